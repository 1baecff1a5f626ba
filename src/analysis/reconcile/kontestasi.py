"""Per contest: who leads in each source, by how much, and how much of the contest is in.

Whether the order could still change is :mod:`.decided`'s question (two questions, answered apart).
"""

from __future__ import annotations

import polars as pl

from analysis.domain.regions import NATIONAL, contest_region
from analysis.schemas import RECON_KONTESTASI

#: Columns of the national rekon__wilayah_kontestasi row each contest carries.
NATIONAL_STATUS = [
    "kode_kontestasi",
    "tps_diharapkan",
    "dpt_diharapkan",
    "tps_internal",
    "tps_kpu",
    "tps_keduanya",
    "cakupan_internal",
    "cakupan_kpu",
    "n_tidak_cocok",
    "n_kpu_direvisi",
    "selisih_abs",
    "dpt_belum_internal",
]


def top_two(nat: pl.DataFrame, col: str, suffix: str) -> pl.DataFrame:
    """Leader, runner-up and margin per contest on ``col`` (ties broken by nomor urut).

    ``_ada_<suffix>``: the column has any votes at all (no votes: no leader).
    """
    ranked = nat.sort(
        ["kode_kontestasi", col, "nomor_urut"], descending=[False, True, False]
    ).with_columns(pl.col("nomor_urut").cum_count().over("kode_kontestasi").alias("_rank"))
    first, second = pl.col("_rank") == 1, pl.col("_rank") == 2
    return ranked.group_by("kode_kontestasi").agg(
        pl.col("nomor_urut").filter(first).first().alias(f"unggul_{suffix}"),
        pl.col("nomor_urut").filter(second).first().alias(f"kedua_{suffix}"),
        (pl.col(col).filter(first).first() - pl.col(col).filter(second).first().fill_null(0)).alias(
            f"margin_{suffix}"
        ),
        (pl.col(col).sum() > 0).alias(f"_ada_{suffix}"),
    )


def _leaders(wilayah: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """Per contest: national coverage and counts, leaders and margins of both sources."""
    nat = wilayah.filter(pl.col("kode_wilayah") == NATIONAL)
    top_i = top_two(nat, "suara_internal", "internal")
    tops = [
        top_i,
        top_two(nat, "suara_kpu", "kpu"),
        top_two(nat, "suara_internal_banding", "ib").select(
            "kode_kontestasi", "unggul_ib", "_ada_ib"
        ),
        top_two(nat, "suara_kpu_banding", "kb").select("kode_kontestasi", "unggul_kb"),
    ]
    k = status.filter(pl.col("kode_wilayah") == NATIONAL).select(NATIONAL_STATUS)
    for t in tops:
        k = k.join(t, on="kode_kontestasi", how="left")
    return k.with_columns(
        # no votes from a source yet: no leader and no margin from it
        *[
            pl.when(pl.col(f"_ada_{side}").fill_null(False)).then(pl.col(f"{c}_{side}"))
            for side in ("internal", "kpu")
            for c in ("unggul", "kedua", "margin")
        ],
        pl.col("kode_kontestasi")
        .map_elements(contest_region, return_dtype=pl.String)
        .alias("kode_wilayah"),
        (1 - pl.col("cakupan_internal")).alias("porsi_belum_internal"),
        (1 - pl.col("cakupan_kpu")).alias("porsi_belum_kpu"),
        pl.when(pl.col("_ada_ib").fill_null(False))
        .then(pl.col("unggul_ib") == pl.col("unggul_kb"))
        .alias("urutan_sama"),
    )


def outcome(wilayah: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """rekon__kontestasi: one row per contest — coverage, leaders and margins of both sources."""
    k = _leaders(wilayah, status)
    return RECON_KONTESTASI.check_key(
        RECON_KONTESTASI.conform(k).select(list(RECON_KONTESTASI.columns)).sort("kode_kontestasi")
    )
