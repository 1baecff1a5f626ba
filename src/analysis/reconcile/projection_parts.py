"""Count-night projections kept per contest between runs: one kab/kota's new reports leave the
projections of every contest outside it as they were (issue 15, "work proportional to what changed").

Each projection of a contest (:func:`~analysis.reconcile.projection.project`: both stratified ones
and the sample's) is made from that contest's TPS rows only, the PVT sample and the projection
settings. The TPS rows of a kab/kota are those of its part in :mod:`.parts`, whose key already
says what made them; so a contest's key is the keys of the kab/kota parts its TPS rows lie in (a
regent's contest: one; a governor's: every kab/kota of the province), with the sample, the
settings and the code. A contest whose key is the one stored is taken from the
:class:`~analysis.partstore.PartStore` beside the TPS parts; the others are projected together.
Put together, the rows go back in the order a whole projection gives them — tested in
``tests/test_reconcile_parts.py`` and by the incremental run's equality with a full one.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis import fmt, incremental
from analysis.partstore import PART, PartStore
from analysis.reconcile.parts import part_of
from analysis.reconcile.projection import project
from analysis.schemas import REKON_PROYEKSI, REKON_PROYEKSI_PASLON
from analysis.settings import Proyeksi

KIND = "proyeksi"  # beside the TPS parts, in the same folder
FRAMES = ("kontestasi", "paslon")
FORMAT = 1


def projection_store(tps_store: PartStore) -> PartStore:
    """The projections per contest, kept beside (and taken as) the TPS parts of ``tps_store``."""
    return PartStore(tps_store.dir, KIND, FRAMES, tps_store.take)


def contest_keys(tps: pl.DataFrame, part_keys: dict[str, str], base: str) -> dict[str, str]:
    """Each contest's key: ``base`` and the keys of the kab/kota parts its TPS rows lie in."""
    spans = (
        tps.select("kode_kontestasi", part_of())
        .unique()
        .group_by("kode_kontestasi")
        .agg(pl.col(PART).sort())
    )
    return {
        k: incremental.digest([base, k, [[p, part_keys.get(p)] for p in parts]])
        for k, parts in spans.iter_rows()
    }


@dataclass(frozen=True)
class ProjectionReuse:
    """What projecting redid: contests projected again, and taken as they were."""

    done: int
    kept: int

    def line(self) -> str:
        """The decision in words (Bahasa Indonesia)."""
        return (
            f"proyeksi per kontestasi: {fmt.angka(self.done)} dihitung ulang, "
            f"{fmt.angka(self.kept)} tetap"
        )


@dataclass
class ProjectionParts:
    """The projections, contest by contest, and what to store for the next run."""

    kontestasi: pl.DataFrame
    paslon: pl.DataFrame
    reuse: ProjectionReuse
    keys: dict[str, str]
    held: dict[str, str]
    new: tuple[pl.DataFrame, pl.DataFrame] | None
    done: list[str]

    def try_save(self, store: PartStore) -> str | None:
        """Record this run's contests in ``store``; a failure as text."""
        return store.try_save(self.keys, self.held, self.new, self.done) if self.keys else None


def _contests(df: pl.DataFrame, wanted: list[str]) -> pl.DataFrame:
    return df.filter(pl.col("kode_kontestasi").is_in(pl.Series(wanted, dtype=pl.String).implode()))


def project_by_contest(
    tps: pl.DataFrame,
    tps_paslon: pl.DataFrame,
    sample: pl.DataFrame,
    meta: dict | None,
    cfg: Proyeksi,
    part_keys: dict[str, str],
    store: PartStore,
) -> ProjectionParts:
    """:func:`~analysis.reconcile.projection.project`, the contests ``store`` holds under the same
    key taken from it, the others projected together; rows in the order of a whole projection."""
    base = incremental.digest(
        [
            FORMAT,
            incremental.code_fingerprint(),
            cfg.model_dump(mode="json"),
            incremental.frame_sha(sample),
            meta,
        ]
    )
    keys = contest_keys(tps, part_keys, base)
    held = store.held(keys)
    stored = store.load(held) if held else None
    if stored is None:
        held = {}
    todo = [k for k in keys if k not in held]
    if held:
        k, p = project(_contests(tps, todo), _contests(tps_paslon, todo), sample, meta, cfg)
    else:
        k, p = project(tps, tps_paslon, sample, meta, cfg)
    new = (
        (k.with_columns(pl.col("kode_kontestasi").alias(PART)),
         p.with_columns(pl.col("kode_kontestasi").alias(PART)))
        if todo else None
    )  # fmt: skip
    if stored is not None:
        kept_k, kept_p = (
            s.drop(PART).select(f.columns).cast(f.schema)
            for s, f in zip(stored, (k, p), strict=True)
        )
        k = pl.concat([k, kept_k]).sort("kode_kontestasi", "metode")
        p = pl.concat([p, kept_p]).sort("kode_kontestasi", "metode", "nomor_urut")
        k, p = REKON_PROYEKSI.check_key(k), REKON_PROYEKSI_PASLON.check_key(p)
    return ProjectionParts(k, p, ProjectionReuse(len(todo), len(held)), keys, held, new, todo)
