"""Count-night results kept per contest between runs: one kab/kota's new reports leave every contest
outside it as it was (issue 15, "work proportional to what changed").

The roll-ups up the region tree (:mod:`.wilayah`) and the projections (:mod:`.projection`) of a
contest are made from that contest's TPS rows only — with, for the roll-ups, KPU's D.Hasil rows
of the contest in force, and for the projections the PVT sample and their settings. The TPS rows
of a kab/kota are those of its part in :mod:`.parts`, whose key already says what made them; so a
contest's key is the keys of the kab/kota parts its TPS rows lie in (a regent's contest: one; a
governor's: every kab/kota of the province), with what else the step reads and the code. A
contest whose key is the one stored is taken from a :class:`~analysis.partstore.PartStore` beside
the TPS parts; the others are computed together. Put together, the rows go back in the order a
whole computation gives them — tested in ``tests/test_reconcile_parts.py`` and by the incremental
run's equality with a full one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl

from analysis import fmt, incremental
from analysis.partstore import PART, PartStore, Recorded, as_computed, row_sums
from analysis.reconcile.parts import part_of
from analysis.reconcile.projection import project
from analysis.reconcile.wilayah import roll_up_paslon, roll_up_status
from analysis.schemas import (
    RECON_WILAYAH,
    RECON_WILAYAH_STATUS,
    REKON_PROYEKSI,
    REKON_PROYEKSI_PASLON,
    Dataset,
)
from analysis.settings import Proyeksi

FORMAT = 1
_SEED = 20241204

#: What is kept per contest: store kind → (its frames, their datasets, the words of its line).
STEPS: dict[str, tuple[tuple[str, ...], tuple[Dataset, ...], str]] = {
    "wilayah": (("paslon", "status"), (RECON_WILAYAH, RECON_WILAYAH_STATUS), "rekap wilayah"),
    "proyeksi": (("kontestasi", "paslon"), (REKON_PROYEKSI, REKON_PROYEKSI_PASLON), "proyeksi"),
}

#: The row order of each dataset, as the whole computation sorts it.
_ORDER: dict[str, list[str]] = {
    RECON_WILAYAH.name: ["kode_kontestasi", "kode_wilayah", "nomor_urut"],
    RECON_WILAYAH_STATUS.name: ["kode_kontestasi", "kode_wilayah"],
    REKON_PROYEKSI.name: ["kode_kontestasi", "metode"],
    REKON_PROYEKSI_PASLON.name: ["kode_kontestasi", "metode", "nomor_urut"],
}


def contest_store(tps_store: PartStore, kind: str) -> PartStore:
    """One step's results per contest, kept beside (and taken as) the TPS parts of ``tps_store``."""
    return PartStore(tps_store.dir, kind, STEPS[kind][0], tps_store.take)


def contest_keys(
    tps: pl.DataFrame, part_keys: dict[str, str], base: str,
    more: dict[str | None, list[int]] | None = None,
) -> dict[str, str]:  # fmt: skip
    """Each contest's key: ``base``, the keys of the kab/kota parts its TPS rows lie in, and its
    entry of ``more`` (what else the step reads of it; a contest only there has a key too)."""
    spans = dict(
        tps.select("kode_kontestasi", part_of())
        .unique()
        .group_by("kode_kontestasi")
        .agg(pl.col(PART).sort())
        .iter_rows()
    )
    more = more or {}
    return {
        k: incremental.digest(
            [base, k, [[p, part_keys.get(p)] for p in spans.get(k, [])], more.get(k)]
        )
        for k in sorted({*spans, *more}, key=lambda k: (k is None, k or ""))
    }


@dataclass(frozen=True)
class ContestReuse:
    """What a step redid: contests computed again, and taken as they were."""

    what: str
    done: int
    kept: int

    def line(self) -> str:
        """The decision in words (Bahasa Indonesia)."""
        return (
            f"{self.what} per kontestasi: {fmt.angka(self.done)} dihitung ulang, "
            f"{fmt.angka(self.kept)} tetap"
        )


@dataclass
class ContestParts(Recorded):
    """One step's frames, contest by contest, and what to store for the next run."""

    frames: tuple[pl.DataFrame, ...]
    reuse: ContestReuse
    keys: dict[str, str]
    held: dict[str, str]
    new: tuple[pl.DataFrame, ...] | None
    done: list[str]


def only(df: pl.DataFrame, contests: Sequence[str]) -> pl.DataFrame:
    """The rows of ``df`` of ``contests``."""
    wanted = pl.Series(list(contests), dtype=pl.String).implode()
    return df.filter(pl.col("kode_kontestasi").is_in(wanted))


def by_contest(
    kind: str,
    keys: dict[str, str],
    store: PartStore,
    compute: Callable[[list[str] | None], tuple[pl.DataFrame, ...]],
) -> ContestParts:
    """``compute`` (of the given contests; None: of all) for the contests ``store`` does not hold
    under the same key, the others taken from it; rows in the order of a whole computation."""
    _, datasets, what = STEPS[kind]
    held, stored = store.taken(keys)
    todo = [k for k in keys if k not in held]
    frames = compute(todo if held else None)
    new = (
        tuple(f.with_columns(pl.col("kode_kontestasi").alias(PART)) for f in frames)
        if todo
        else None
    )
    if stored is not None:
        frames = tuple(
            ds.check_key(pl.concat([f, as_computed(s, f)]).sort(_ORDER[ds.name], nulls_last=False))
            for f, s, ds in zip(frames, stored, datasets, strict=True)
        )
    return ContestParts(frames, ContestReuse(what, len(todo), len(held)), keys, held, new, todo)


def roll_ups_by_contest(
    tps: pl.DataFrame, tps_paslon: pl.DataFrame, dhasil: pl.DataFrame, tolerance: int,
    part_keys: dict[str, str], store: PartStore,
) -> ContestParts:  # fmt: skip
    """(rekon__wilayah_kontestasi_paslon, rekon__wilayah_kontestasi) contest by contest
    (``dhasil``: KPU's D.Hasil rows in force)."""
    base = incremental.digest([FORMAT, "wilayah", incremental.code_fingerprint(), tolerance])
    keys = contest_keys(tps, part_keys, base, row_sums(dhasil, dhasil["kode_kontestasi"], _SEED))

    def compute(todo: list[str] | None) -> tuple[pl.DataFrame, ...]:
        t, tp, dh = (x if todo is None else only(x, todo) for x in (tps, tps_paslon, dhasil))
        wil = roll_up_paslon(tp, dh, tolerance)
        return wil, roll_up_status(t, wil, dh, tolerance)

    return by_contest("wilayah", keys, store, compute)


def project_by_contest(
    tps: pl.DataFrame, tps_paslon: pl.DataFrame, sample: pl.DataFrame, meta: dict | None,
    cfg: Proyeksi, part_keys: dict[str, str], store: PartStore,
) -> ContestParts:  # fmt: skip
    """:func:`~analysis.reconcile.projection.project` contest by contest."""
    base = incremental.digest(
        [
            FORMAT,
            "proyeksi",
            incremental.code_fingerprint(),
            cfg.model_dump(mode="json"),
            incremental.frame_sha(sample),
            meta,
        ]
    )
    keys = contest_keys(tps, part_keys, base)

    def compute(todo: list[str] | None) -> tuple[pl.DataFrame, ...]:
        if todo is None:
            return project(tps, tps_paslon, sample, meta, cfg)
        return project(only(tps, todo), only(tps_paslon, todo), sample, meta, cfg)

    return by_contest("proyeksi", keys, store, compute)
