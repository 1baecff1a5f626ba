"""What a pack gets beyond its open page, so it can travel: an Excel annex and a locked edition.

:func:`plan_share` runs once per run, before any pack: it finds the passphrase of every tier to
lock (``share`` in the settings), derives each key once, and says in one line when the locked
edition is skipped for want of a passphrase (an error instead for a tier that requires it). The
:class:`SharePlan` it returns holds keys, never a passphrase, and goes to the workers;
:func:`finish_pack` runs in the worker right after a pack's HTML is written::

    reports/<date>/<tingkat>/<kode>.xlsx            the Excel annex (analysis.packs.annex)
    reports/<date>/<tingkat>/<kode>.terkunci.html   the locked edition (analysis.packs.lock)

Bundles per recipient are :mod:`analysis.packs.bundle`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from analysis.domain import regions
from analysis.packs import lock
from analysis.packs.plan import PackJob, PackParameterError
from analysis.packs.results import ShareOutcome
from analysis.settings import PassphraseSource, Share

LOCKED_SUFFIX = ".terkunci.html"
ANNEX_SUFFIX = ".xlsx"


class ShareError(PackParameterError):
    """The share settings cannot be met (a required passphrase is missing or too short, a
    recipient's unit is of another tier); nothing has been executed."""


@dataclass(frozen=True)
class SharePlan:
    """What every pack of a run gets beyond its open HTML; picklable, without any passphrase."""

    keys: dict[str, lock.Key] = field(default_factory=dict)  # tier -> key of its locked edition
    annex_tiers: frozenset[str] = frozenset()
    annex_inside_locked: bool = True
    demo: bool = False
    notes: tuple[str, ...] = ()  # what the run was told (skipped locked edition), for the index


def locked_path(html: Path) -> Path:
    return html.with_name(html.name.removesuffix(".html") + LOCKED_SUFFIX)


def annex_path(html: Path) -> Path:
    return html.with_name(html.name.removesuffix(".html") + ANNEX_SUFFIX)


# --- Once per run ---------------------------------------------------------------------------------


def _source(share: Share, tier: str) -> PassphraseSource:
    return share.tier_passphrases.get(tier, share.passphrase)  # type: ignore[call-overload]


def check_recipients(share: Share) -> None:
    """Every explicitly listed unit is a code of the tier it is listed under."""
    for tier, people in share.recipients.items():
        for r in people:
            for unit in [] if r.units == "each" else r.units:
                try:
                    actual = regions.tier_of(regions.check_unit(unit))
                except ValueError as exc:
                    raise ShareError(f"share.recipients.{tier} {r.id}: {exc}") from None
                if actual != tier:
                    raise ShareError(
                        f"share.recipients.{tier} {r.id}: wilayah {unit} adalah kode {actual}, "
                        f"bukan {tier}"
                    )


def _passphrase(share: Share, tier: str) -> lock.Found:
    """The tier's passphrase lookup; a passphrase below the minimum length stops the run."""
    found = lock.read_passphrase(_source(share, tier))
    if found.passphrase is not None and len(found.passphrase) < share.min_passphrase_chars:
        raise ShareError(
            f"kata sandi untuk {tier} ({found.where}) lebih pendek dari "
            f"share.min_passphrase_chars ({share.min_passphrase_chars} karakter)"
        )
    return found


def _required_missing(tiers: list[str], looked: list[str]) -> ShareError:
    return ShareError(
        f"tidak ada kata sandi untuk edisi terkunci {', '.join(tiers)}, yang diwajibkan "
        f"share.required_tiers ({'; '.join(looked)})"
    )


def preflight(share: Share) -> None:
    """Before a daily run does any work: the recipients are valid and every tier that requires a
    locked edition has a passphrase of the minimum length. Raises :class:`ShareError`."""
    check_recipients(share)
    for tier in share.required_tiers:
        found = _passphrase(share, tier)
        if found.passphrase is None:
            raise _required_missing([tier], [found.where])


def _keys(share: Share, tiers: list[str]) -> tuple[dict[str, lock.Key], list[str], list[str]]:
    """(tier -> key, tiers without a passphrase, where each was looked for); one derivation per
    distinct passphrase."""
    keys: dict[str, lock.Key] = {}
    by_passphrase: dict[str, lock.Key] = {}
    missing, looked = [], []
    for tier in tiers:
        found = _passphrase(share, tier)
        if found.passphrase is None:
            missing.append(tier)
            looked.append(found.where)
            continue
        if found.passphrase not in by_passphrase:
            by_passphrase[found.passphrase] = lock.derive_key(
                found.passphrase, share.pbkdf2_iterations
            )
        keys[tier] = by_passphrase[found.passphrase]
    return keys, missing, sorted(set(looked))


def plan_share(
    share: Share, tiers: set[str], demo: bool, say: Callable[[str], None] = print
) -> SharePlan:
    """The run's plan for the packs of ``tiers``; raises :class:`ShareError` before any work."""
    check_recipients(share)
    keys, missing, looked = _keys(share, [t for t in share.locked_tiers if t in tiers])
    required = [t for t in missing if t in share.required_tiers]
    if required:
        raise _required_missing(required, looked)
    notes: tuple[str, ...] = ()
    if missing:
        # the console says where the passphrase was looked for; the index, which readers open,
        # says only what is missing (no variable names or machine paths)
        short = f"edisi terkunci tidak dibuat untuk {', '.join(missing)}: tidak ada kata sandi"
        say(f"{short} ({'; '.join(looked)}); hanya laporan terbuka")
        notes = (f"{short}; hanya laporan terbuka",)
    return SharePlan(
        keys, frozenset(share.annex_tiers) & tiers, share.annex_inside_locked, demo, notes
    )


@contextlib.contextmanager
def passphrases_hidden(share: Share) -> Iterator[None]:
    """The passphrase variables out of the environment while packs are made: workers and their
    kernels inherit the environment, and a pack needs keys, never the passphrase."""
    names = {src.env for src in (share.passphrase, *share.tier_passphrases.values()) if src.env}
    saved = {n: os.environ.pop(n) for n in names if n in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


# --- Once per pack, in the worker -----------------------------------------------------------------


def clear_outputs(html: Path) -> None:
    """Remove a pack's annex and locked edition (a failed pack, or an edition not made this run)."""
    locked_path(html).unlink(missing_ok=True)
    annex_path(html).unlink(missing_ok=True)


def warm_up(plan: SharePlan | None) -> None:
    """Pay the annex's one-off costs (XlsxWriter, the region names, the playbook) in a worker
    while the main process prepares the inputs (~2-4 s, else paid by its first pack)."""
    if plan is None or not plan.annex_tiers:
        return
    try:
        import polars as pl
        import xlsxwriter  # noqa: F401

        from analysis.analyse import followup, incidents

        incidents.with_names(pl.DataFrame(schema={"kode_wilayah": pl.String}))
        followup.playbook()
    except Exception:  # noqa: BLE001 — the first pack then pays (and reports) it
        return


def _write_annex(job: PackJob) -> Path:
    from analysis.packs.annex import write_annex
    from analysis.packs.load import load_pack

    p = job.parameters
    pack = load_pack(p["processed_dir"], p["tanggal"], p["tingkat"], p["kode_wilayah"])
    out = annex_path(job.html)
    write_annex(pack, out)
    return out


def _write_locked(plan: SharePlan, job: PackJob, annex: Path | None) -> Path:
    inside = (annex.name, annex.read_bytes()) if annex and plan.annex_inside_locked else None
    page = lock.lock_page(
        job.html.read_text(encoding="utf-8"),
        plan.keys[job.tingkat],
        job.kode_wilayah,
        str(job.parameters["tanggal"]),
        plan.demo,
        inside,
    )
    out = locked_path(job.html)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


def finish_pack(plan: SharePlan, job: PackJob) -> ShareOutcome:
    """The annex and the locked edition of a pack whose HTML is written; failures are recorded,
    never raised (the open pack stands)."""
    clear_outputs(job.html)  # nothing stale from an earlier run survives beside this pack
    errors: list[str] = []
    annex = locked = None
    t0 = time.perf_counter()
    if job.tingkat in plan.annex_tiers:
        try:
            annex = _write_annex(job)
        except Exception as exc:  # noqa: BLE001 — the open pack stands; the index says so
            errors.append(f"lampiran: {type(exc).__name__}: {exc}")
    t1 = time.perf_counter()
    if job.tingkat in plan.keys:
        try:
            locked = _write_locked(plan, job, annex)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"edisi terkunci: {type(exc).__name__}: {exc}")
    t2 = time.perf_counter()
    inside = locked is not None and annex is not None and plan.annex_inside_locked
    return ShareOutcome(locked, annex, inside, "; ".join(errors)[:500], t1 - t0, t2 - t1)
