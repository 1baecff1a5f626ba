"""Reconciliation per TPS kept per kab/kota between runs: on count night one kab/kota's new reports
leave the other kab/kota's TPS rows as they were (issue 15, "work proportional to what changed").

Every figure and status of ``rekon__tps_kontestasi`` and ``rekon__tps_kontestasi_paslon`` is made
from the rows of the same TPS × contest only (:mod:`.versions`, :mod:`.tps`): its versions of the
desk's reports and of KPU's pulls, and its line in the TPS list. So the TPS rows split by the
kab/kota of their TPS code (a *part*) are reconciled part by part with the same outcome as all at
once, and a part whose inputs are those of the last run is not reconciled again: its rows are
taken from the :class:`~analysis.partstore.PartStore` under ``processed/_cache/rekon``.

A part's key is the hash of what makes its rows: the code, the tolerance, the contests' integer
keys (:func:`~analysis.reconcile.keys.contest_ids`), and the part's rows of the five inputs by value
(in any order: the sums of their row hashes), each with whether it is known by the as-of time and, for KPU's pulls, whether it
was known at the previous report (the window of a revision). Put together, the rows go back into
key order, the order a whole run gives them — tested in ``tests/test_reconcile_parts.py`` and by
the incremental run's equality with a full one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import polars as pl

from analysis import fmt, incremental
from analysis.domain.regions import KPU_LENGTH
from analysis.domain.regions import undotted_expr as regions_undotted
from analysis.ingest.cache import CACHE_DIR
from analysis.partstore import PART, PartStore, Recorded, as_computed, row_sums
from analysis.reconcile.inputs import ReconInputs, as_utc
from analysis.reconcile.keys import contest_ids
from analysis.reconcile.tps import reconcile_tps

#: The inputs whose rows make a TPS's reconciliation, and the time each row became known by.
TPS_INPUTS: dict[str, str | None] = {
    "tally_tps": "waktu_laporan",
    "tally_votes": "waktu_laporan",
    "official_tps": "waktu_tarik",
    "official_votes": "waktu_tarik",
    "ref_tps": None,
}
#: KPU's inputs, whose rows' being known at the previous report opens a revision's window.
_PULLS = frozenset({"official_tps", "official_votes"})
STORE_DIR = "rekon"  # under processed/_cache
KIND = "tps"
FRAMES = ("tps_paslon", "tps")
FORMAT = 1
_SEED = 20241203


def part_of() -> pl.Expr:
    """A row's part: the kab/kota digits of its TPS code (every key of a row starts with them)."""
    return pl.col("kode_tps").str.slice(0, KPU_LENGTH[2]).alias(PART)


def part_store(processed: Path, take: bool = True) -> PartStore:
    """The reconciled TPS rows per kab/kota of a processed folder."""
    return PartStore(Path(processed) / CACHE_DIR / STORE_DIR, KIND, FRAMES, take)


@dataclass(frozen=True)
class TpsReuse:
    """What reconciling the TPS rows redid: kab/kota (and TPS × contest rows) reconciled, and
    taken as they were."""

    parts_done: int
    rows_done: int
    parts_kept: int
    rows_kept: int

    def line(self) -> str:
        """The decision in words (Bahasa Indonesia)."""
        return (
            f"rekonsiliasi per TPS: {fmt.angka(self.parts_done)} kab/kota dihitung ulang "
            f"({fmt.angka(self.rows_done)} TPS × kontestasi), {fmt.angka(self.parts_kept)} tetap "
            f"({fmt.angka(self.rows_kept)})"
        )


def _flags(name: str, as_of: dt.datetime, previous_as_of: dt.datetime | None) -> list[pl.Expr]:
    """Per row, what of its time the result depends on (known by as-of; at the previous report)."""
    t = TPS_INPUTS[name]
    if t is None:
        return []
    out = [(pl.col(t) <= as_of).alias("_diketahui")]
    if name in _PULLS:
        prev = pl.col(t) <= previous_as_of if previous_as_of is not None else pl.lit(None)
        out.append(prev.alias("_sebelumnya"))
    return out


def part_keys(
    inputs: ReconInputs,
    as_of: dt.datetime,
    previous_as_of: dt.datetime | None,
    base: str,
) -> dict[str, str]:
    """Each part's key: ``base`` (code, tolerance, contests' keys) and its rows of every input,
    by value, in any order."""
    per_input: dict[str, dict[str | None, list[int]]] = {}
    for name in TPS_INPUTS:
        df = getattr(inputs, name)
        flagged = df.with_columns(*_flags(name, as_of, previous_as_of))
        per_input[name] = row_sums(flagged, df.select(part_of()).to_series(), _SEED)
    parts = sorted(
        {p for rows in per_input.values() for p in rows}, key=lambda p: (p is None, p or "")
    )
    return {
        p: incremental.digest([base, p, [per_input[n].get(p, [0, 0, 0]) for n in TPS_INPUTS]])
        for p in parts
    }


def _only(inputs: ReconInputs, parts: list[str]) -> ReconInputs:
    """``inputs`` with the five TPS inputs cut to the rows of ``parts``."""
    wanted = pl.Series(parts, dtype=pl.String).implode()
    cut = {n: getattr(inputs, n).filter(part_of().is_in(wanted)) for n in TPS_INPUTS}
    return dataclasses.replace(inputs, **cut)


@dataclass
class TpsParts(Recorded):
    """The TPS rows reconciled part by part, and what to store for the next run (a part without
    rows too: a kab/kota with no TPS row yet is as much a result as one with)."""

    tps_paslon: pl.DataFrame
    tps: pl.DataFrame
    reuse: TpsReuse
    keys: dict[str, str]
    held: dict[str, str]
    new: tuple[pl.DataFrame, pl.DataFrame] | None
    done: list[str] = dataclasses.field(default_factory=list)  # the parts ``new`` holds


def reconcile_tps_by_part(
    inputs: ReconInputs,
    as_of: dt.datetime,
    tolerance: int,
    previous_as_of: dt.datetime | None,
    store: PartStore,
) -> TpsParts:
    """:func:`~analysis.reconcile.tps.reconcile_tps`, the parts ``store`` holds under the same key
    taken from it, the others reconciled together; every row in key order."""
    as_of = as_utc(as_of)
    previous_as_of = as_utc(previous_as_of) if previous_as_of is not None else None
    cmap = contest_ids(inputs.ref_paslon, inputs.tally_tps, inputs.official_tps)
    base = incremental.digest(
        [FORMAT, incremental.code_fingerprint(), tolerance, sorted(cmap.items())]
    )
    keys = part_keys(inputs, as_of, previous_as_of, base)
    if None in keys:  # a row without a TPS code: reconciled whole, which names it (ReconcileError)
        tp, tps = reconcile_tps(inputs, as_of, tolerance, previous_as_of, cmap)
        return TpsParts(tp, tps, TpsReuse(0, tps.height, 0, 0), {}, {}, None)
    held, stored = store.taken(keys)
    todo = [p for p in keys if p not in held]
    tp, tps = reconcile_tps(
        _only(inputs, todo) if held else inputs, as_of, tolerance, previous_as_of, cmap
    )
    new = (tp.with_columns(part_of()), tps.with_columns(part_of())) if todo else None
    n_done = tps.height
    if stored is not None:
        kept_tp, kept_tps = (as_computed(s, f) for s, f in zip(stored, (tp, tps), strict=True))
        tp = pl.concat([tp, kept_tp]).sort("_vid")
        tps = pl.concat([tps, kept_tps]).sort("_pid")
    reuse = TpsReuse(len(todo), n_done, len(held), tps.height - n_done)
    return TpsParts(tp, tps, reuse, keys, held, new, todo)


# --- What changed since the previous report, per kab/kota ------------------------------------------

#: The changes per kab/kota, beside the TPS parts: the TPS × contest rows that changed and the
#: events per desa (:func:`~analysis.reconcile.perubahan.tps_changes`).
CHANGES = "perubahan"
CHANGE_FRAMES = ("tps", "desa")


def change_store(tps_store: PartStore) -> PartStore:
    """The changes per kab/kota, kept beside (and taken as) the TPS parts of ``tps_store``."""
    return PartStore(tps_store.dir, CHANGES, CHANGE_FRAMES, tps_store.take)


@dataclass(frozen=True)
class ChangeReuse:
    """What finding the changes since the previous report redid, in kab/kota."""

    done: int
    kept: int
    what: ClassVar[str] = "perubahan sejak laporan sebelumnya"

    def line(self) -> str:
        """The decision in words (Bahasa Indonesia)."""
        return (
            f"{self.what}: {fmt.angka(self.done)} kab/kota dihitung ulang, "
            f"{fmt.angka(self.kept)} tetap"
        )


@dataclass
class ChangeParts(Recorded):
    """The changes since the previous report, kab/kota by kab/kota, and what to store."""

    tps: pl.DataFrame  # the changed TPS × contest rows, unsorted
    desa: pl.DataFrame  # the events per desa × contest
    reuse: ChangeReuse
    keys: dict[str, str]
    held: dict[str, str]
    new: tuple[pl.DataFrame, pl.DataFrame] | None
    done: list[str]


def _desa_part() -> pl.Expr:
    """A desa row's part: the kab/kota digits of its dotted code."""
    return regions_undotted("kode_wilayah").str.slice(0, KPU_LENGTH[2]).alias(PART)


def changes_by_part(
    previous: pl.DataFrame, current: pl.DataFrame, current_keys: dict[str, str], store: PartStore
) -> ChangeParts:
    """:func:`~analysis.reconcile.perubahan.tps_changes` between the previous report's TPS rows
    and this run's, the kab/kota ``store`` holds under the same key taken from it: a kab/kota's
    key is its TPS part's key (``current_keys``) and its previous rows by value."""
    from analysis.reconcile.perubahan import COMPARED, tps_changes

    before = previous.select(COMPARED)
    base = incremental.digest([FORMAT, CHANGES, incremental.code_fingerprint()])
    prev_sums = row_sums(before, before.select(part_of()).to_series(), _SEED)
    if None in prev_sums:  # a previous row without a TPS code: compared whole, which names it
        changed, desa = tps_changes(previous, current)
        return ChangeParts(changed, desa, ChangeReuse(0, 0), {}, {}, None, [])
    parts = sorted({*current_keys, *prev_sums}, key=lambda p: (p is None, p or ""))
    keys = {p: incremental.digest([base, p, current_keys.get(p), prev_sums.get(p)]) for p in parts}
    held, stored = store.taken(keys)
    todo = [p for p in keys if p not in held]
    if held:
        wanted = pl.Series(todo, dtype=pl.String).implode()
        changed, desa = tps_changes(
            previous.filter(part_of().is_in(wanted)), current.filter(part_of().is_in(wanted))
        )
    else:
        changed, desa = tps_changes(previous, current)
    new = (changed.with_columns(part_of()), desa.with_columns(_desa_part())) if todo else None
    if new is not None and not set(new[1][PART].unique().to_list()) <= set(todo):
        new, todo = None, []  # a desa outside the kab/kota of its TPS: not stored
    if stored is not None:
        kept_tps, kept_desa = (
            as_computed(s, f) for s, f in zip(stored, (changed, desa), strict=True)
        )
        changed, desa = pl.concat([changed, kept_tps]), pl.concat([desa, kept_desa])
    reuse = ChangeReuse(len(keys) - len(held), len(held))
    return ChangeParts(changed, desa, reuse, keys, held, new, todo)
