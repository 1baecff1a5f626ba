"""Per TPS × contest × paslon: the desk's count beside KPU's, and the status of each TPS × contest.

The desk's report and KPU's Sirekap record of a TPS are sibling submissions for the same TPS ×
contest (``docs/domain.md`` §7). A paslon missing from a side that did report counts 0 there; a
TPS × contest is expected when the TPS list holds it, and counts towards coverage only then.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.domain.regions import (
    PILKADA_DEPTH,
    TIERS,
    ancestor_expr,
    contest_expr,
    tps_desa_expr,
)
from analysis.reconcile.exprs import first_label
from analysis.reconcile.inputs import PAIR, ReconInputs, as_utc
from analysis.reconcile.keys import (
    contest_ids,
    keyed,
    pair_columns,
    pair_of_vote,
    with_pid,
)
from analysis.reconcile.versions import InForce, in_force
from analysis.schemas import RECON_TPS, RECON_TPS_PASLON, TPS

BOTH = pl.col("ada_internal") & pl.col("ada_kpu")

#: ``status_banding``, the comparison alone: the first label whose condition holds.
#: ``cocok`` includes differences within ``election.tolerances.reconcile_votes`` per paslon.
COMPARISON: tuple[tuple[str, pl.Expr], ...] = (
    ("cocok", BOTH & (pl.col("paslon_selisih") == 0)),
    ("selisih", BOTH),
    ("hanya_internal", pl.col("ada_internal")),
    ("hanya_kpu", pl.col("ada_kpu")),
)
NEITHER = "belum_masuk"

#: ``status``: a KPU revision since the previous report comes first, then the comparison.
STATUS: tuple[tuple[str, pl.Expr], ...] = (("kpu_direvisi", pl.col("kpu_direvisi")),)

#: The units above its desa every TPS row names (rekon__tps_kontestasi: kode_kecamatan, …), by depth.
AREA_DEPTHS: dict[str, int] = {
    f"kode_{t}": TIERS.index(t) for t in ("kecamatan", "kabkota", "provinsi")
}

_FLAGGED = (pl.col("peringatan_internal").list.len().fill_null(0) > 0) | (
    pl.col("peringatan_kpu").list.len().fill_null(0) > 0
)


def expected_pairs(ref_tps: pl.DataFrame, contests: pl.Series) -> pl.DataFrame:
    """Expected TPS × contest: each listed TPS in the gubernur and bupati/walikota contest of its
    desa, among the contests the data knows (ref__kontestasi_paslon or either source)."""
    t = ref_tps.select("kode_tps", "kode_desa", "pemilih_dpt")
    per_contest = [
        t.with_columns(contest_expr(jenis, "kode_desa").alias("kode_kontestasi"))
        for jenis in PILKADA_DEPTH
    ]
    return (
        pl.concat(per_contest)
        .filter(pl.col("kode_kontestasi").is_in(contests.implode()))
        .with_columns(pl.lit(True).alias("diharapkan"))
    )


def _pairs(expected: pl.DataFrame, now: InForce, cmap: dict[str, int]) -> pl.DataFrame:
    """One row per TPS × contest expected or seen in either source, sorted by ``_pid``."""
    return (
        pl.concat([expected.select("_pid"), now.internal.select("_pid"), now.kpu.select("_pid")])
        .unique()
        .sort("_pid")  # sorted once on the integer key; the left joins below keep this order
        .with_columns(pair_columns(cmap))
        .join(expected.drop(PAIR), on="_pid", how="left", maintain_order="left")
        .join(now.internal.drop(PAIR), on="_pid", how="left", maintain_order="left")
        .join(now.kpu.drop(PAIR), on="_pid", how="left", maintain_order="left")
        .join(now.revised, on="_pid", how="left", maintain_order="left")
        .with_columns(
            pl.col("diharapkan").fill_null(False),
            tps_desa_expr("kode_tps").alias("kode_desa"),
            pl.col("waktu_laporan").is_not_null().alias("ada_internal"),
            pl.col("ada_kpu").fill_null(False),
            # a previous version equal to the pull in force is no revision
            pl.when(pl.col("waktu_tarik_sebelumnya") < pl.col("waktu_tarik"))
            .then(pl.col("waktu_tarik_sebelumnya"))
            .alias("waktu_tarik_sebelumnya"),
        )
    )


def _paslon_rows(now: InForce, pairs: pl.DataFrame) -> pl.DataFrame:
    """Every paslon either side reported for a TPS × contest, both figures and their difference."""
    flags = pairs.select(
        "_pid", *PAIR, "kode_desa", "ada_internal", "ada_kpu", "waktu_tarik_sebelumnya"
    )
    return (
        now.internal_votes.join(now.kpu_votes, on=["_vid", "nomor_urut"], how="full", coalesce=True)
        .sort("_vid")
        .with_columns(pair_of_vote())
        .join(flags, on="_pid", how="left", maintain_order="left")
        .join(now.revised_votes.drop("nomor_urut"), on="_vid", how="left", maintain_order="left")
        .with_columns(
            pl.when("ada_internal")
            .then(pl.col("suara_internal").fill_null(0))
            .alias("suara_internal"),
            pl.when("ada_kpu").then(pl.col("suara_kpu").fill_null(0)).alias("suara_kpu"),
            pl.when(pl.col("waktu_tarik_sebelumnya").is_not_null())
            .then(pl.col("suara_kpu_sebelumnya").fill_null(0))
            .alias("suara_kpu_sebelumnya"),
        )
        .with_columns((pl.col("suara_internal") - pl.col("suara_kpu")).alias("selisih"))
        .with_columns(pl.col("selisih").abs().alias("selisih_abs"))
    )


def _per_pair(tp: pl.DataFrame, tolerance: int) -> pl.DataFrame:
    """Per TPS × contest: total and absolute difference, paslon beyond tolerance, revision size."""
    return tp.group_by("_pid").agg(
        pl.col("selisih").sum().alias("selisih_total"),
        pl.col("selisih_abs").sum().alias("selisih_abs"),
        (pl.col("selisih_abs") > tolerance).sum().cast(pl.Int64).alias("paslon_selisih"),
        (pl.col("suara_kpu") - pl.col("suara_kpu_sebelumnya")).abs().sum().alias("revisi_abs"),
    )


def _tps_rows(pairs: pl.DataFrame, per_pair: pl.DataFrame) -> pl.DataFrame:
    """rekon__tps_kontestasi's rows: each TPS × contest with its figures, area codes and statuses."""
    return (
        pairs.join(per_pair, on="_pid", how="left", maintain_order="left")
        .with_columns(
            pl.col("paslon_selisih").fill_null(0),
            pl.col("revisi_abs").fill_null(0),
            pl.when(BOTH).then(pl.col("selisih_total")).alias("selisih_total"),
            pl.when(BOTH).then(pl.col("selisih_abs")).alias("selisih_abs"),
            *[ancestor_expr("kode_desa", d).alias(c) for c, d in AREA_DEPTHS.items()],
        )
        .with_columns(
            first_label(COMPARISON, NEITHER).alias("status_banding"),
            (pl.col("ada_kpu") & (pl.col("revisi_abs") > 0)).alias("kpu_direvisi"),
        )
        .with_columns(
            first_label(STATUS, pl.col("status_banding")).alias("status"),
            ((pl.col("paslon_selisih") > 0) & BOTH & _FLAGGED).alias("dijelaskan_validasi"),
        )
    )


def reconcile_tps(
    inputs: ReconInputs,
    as_of: dt.datetime,
    tolerance: int = 0,
    previous_as_of: dt.datetime | None = None,
    cmap: dict[str, int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rekon__tps_kontestasi_paslon, rekon__tps_kontestasi) as of ``as_of``.

    Grain: one row per TPS × contest × paslon, and one row per TPS × contest. Both carry the
    private integer keys (``_vid``, ``_pid``; dropped when written) that later steps join on.
    ``cmap``: the contests' integer keys when the inputs are some kab/kota's rows of a whole run
    (:mod:`.parts`); by default those of the inputs.
    """
    as_of = as_utc(as_of)
    previous_as_of = as_utc(previous_as_of) if previous_as_of is not None else None
    if cmap is None:
        cmap = contest_ids(inputs.ref_paslon, inputs.tally_tps, inputs.official_tps)
    now = in_force(inputs, cmap, as_of, previous_as_of)
    contests = pl.Series(list(cmap), dtype=pl.String)
    expected = with_pid(expected_pairs(inputs.ref_tps, contests), cmap, TPS.name)
    pairs = _pairs(expected, now, cmap)
    tp = _paslon_rows(now, pairs)
    tps = keyed(RECON_TPS, _tps_rows(pairs, _per_pair(tp, tolerance)), "_pid")
    tp = tp.join(tps.select("_pid", "status"), on="_pid", how="left", maintain_order="left")
    return keyed(RECON_TPS_PASLON, tp, "_vid"), tps
