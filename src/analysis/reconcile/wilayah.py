"""Up the region tree: votes, statuses and coverage per region unit, with KPU's D.Hasil alongside.

Every level from desa to the national root ``"00"`` is summed from the desa rows, so each level
equals the sum of its parts. KPU's D.Hasil recap (``docs/domain.md`` §7) is set beside the unit it
was made for, whatever its tier.
"""

from __future__ import annotations

import polars as pl

from analysis.domain.regions import TIERS, ancestor_expr, dotted_expr, parent_expr, tier_expr
from analysis.reconcile.exprs import first_label, ratio
from analysis.reconcile.keys import desa_group
from analysis.schemas import RECON_COMPARISONS, RECON_STATUSES, RECON_WILAYAH, RECON_WILAYAH_STATUS

DESA_DEPTH = TIERS.index("desa")
UNIT = ["kode_wilayah", "kode_kontestasi"]

#: Sums per region unit × contest × paslon (rekon__wilayah_kontestasi_paslon).
VOTE_SUMS = [
    "suara_internal",
    "suara_kpu",
    "suara_internal_banding",
    "suara_kpu_banding",
    "selisih_abs",
]

#: ``status_dhasil`` where D.Hasil covers the unit: the first label that holds, else ``selisih``.
#: ``_sama``: every paslon's internal total within tolerance of D.Hasil.
DHASIL_STATUS: tuple[tuple[str, pl.Expr], ...] = (
    ("cocok", pl.col("_sama")),
    ("belum_lengkap", pl.col("tps_internal") < pl.col("tps_diharapkan")),
)


def roll_up(desa: pl.DataFrame, keys: list[str], sums: list[str]) -> pl.DataFrame:
    """Every level from desa (``kode_wilayah`` = desa code) to nasional, summed from the desa rows.

    Columns: ``tingkat``, ``kode_wilayah``, ``keys``, ``sums``.
    """
    out = [desa.with_columns(pl.lit("desa").alias("tingkat"))]
    for depth in range(DESA_DEPTH - 1, -1, -1):
        out.append(
            desa.with_columns(ancestor_expr("kode_wilayah", depth).alias("kode_wilayah"))
            .group_by(["kode_wilayah", *keys])
            .agg(pl.col(sums).sum())
            .with_columns(pl.lit(TIERS[depth]).alias("tingkat"))
        )
    cols = ["tingkat", "kode_wilayah", *keys, *sums]
    return pl.concat([o.select(cols) for o in out])


def dhasil(official_region: pl.DataFrame) -> pl.DataFrame:
    """D.Hasil rows with dotted codes: one row per region unit × contest × paslon."""
    return official_region.with_columns(dotted_expr("kode_wilayah").alias("kode_wilayah")).rename(
        {"suara": "suara_dhasil"}
    )


def _desa_votes(tps_paslon: pl.DataFrame) -> pl.DataFrame:
    """Votes per desa × contest × paslon; ``_banding`` sums count TPS both sources have."""
    both = pl.col("suara_internal").is_not_null() & pl.col("suara_kpu").is_not_null()
    return (
        tps_paslon.select(
            desa_group(tps_paslon, per_paslon=True),
            "kode_desa",
            "kode_kontestasi",
            "nomor_urut",
            "suara_internal",
            "suara_kpu",
            pl.when(both).then(pl.col("suara_internal")).alias("suara_internal_banding"),
            pl.when(both).then(pl.col("suara_kpu")).alias("suara_kpu_banding"),
            "selisih_abs",
        )
        .group_by("_k")
        .agg(pl.col("kode_desa", "kode_kontestasi", "nomor_urut").first(), pl.col(VOTE_SUMS).sum())
        .drop("_k")
        .rename({"kode_desa": "kode_wilayah"})
    )


def roll_up_paslon(
    tps_paslon: pl.DataFrame, official_region: pl.DataFrame, tolerance: int = 0
) -> pl.DataFrame:
    """rekon__wilayah_kontestasi_paslon: one row per region unit × contest × paslon, every level of
    the tree."""
    keys = ["kode_kontestasi", "nomor_urut"]
    w = roll_up(_desa_votes(tps_paslon), keys, VOTE_SUMS).with_columns(
        (pl.col("suara_internal_banding") - pl.col("suara_kpu_banding")).alias("selisih_banding")
    )
    dh = dhasil(official_region).select("kode_wilayah", *keys, "suara_dhasil")
    w = (
        w.join(dh, on=["kode_wilayah", *keys], how="full", coalesce=True)
        .with_columns(
            pl.col("tingkat").fill_null(tier_expr("kode_wilayah")),
            *[pl.col(c).fill_null(0) for c in [*VOTE_SUMS, "selisih_banding"]],
        )
        .with_columns((pl.col("suara_internal") - pl.col("suara_dhasil")).alias("selisih_dhasil"))
    )
    return RECON_WILAYAH.check_key(
        RECON_WILAYAH.conform(w).sort("kode_kontestasi", "kode_wilayah", "nomor_urut")
    )


def _desa_status(tps: pl.DataFrame) -> pl.DataFrame:
    """Counts per desa × contest: expected TPS and DPT, coverage of each source, TPS by status."""
    exp, internal, kpu = pl.col("diharapkan"), pl.col("ada_internal"), pl.col("ada_kpu")
    dpt = pl.col("pemilih_dpt")

    def count(cond: pl.Expr, name: str) -> pl.Expr:
        return cond.sum().cast(pl.Int64).alias(name)

    return (
        tps.group_by(desa_group(tps, per_paslon=False))
        .agg(
            pl.col("kode_desa").first(),
            pl.col("kode_kontestasi").first(),
            count(exp, "tps_diharapkan"),
            dpt.filter(exp).sum().alias("dpt_diharapkan"),
            count(exp & internal, "tps_internal"),
            count(exp & kpu, "tps_kpu"),
            count(exp & internal & kpu, "tps_keduanya"),
            dpt.filter(exp & ~internal).sum().alias("dpt_belum_internal"),
            dpt.filter(exp & ~kpu).sum().alias("dpt_belum_kpu"),
            *[count(pl.col("status") == s, f"n_{s}") for s in RECON_STATUSES],
            *[count(pl.col("status_banding") == s, f"n_banding_{s}") for s in RECON_COMPARISONS],
            count(pl.col("paslon_selisih") > 0, "n_tidak_cocok"),
            count(pl.col("dijelaskan_validasi"), "n_selisih_dijelaskan"),
            pl.col("selisih_abs").sum().alias("selisih_abs"),
        )
        .drop("_k")
        .rename({"kode_desa": "kode_wilayah"})
    )


def _dhasil_units(
    official_region: pl.DataFrame, wilayah: pl.DataFrame, tolerance: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per unit × contest D.Hasil covers: its TPS counts, and ``_sama`` (every paslon's internal
    total within ``tolerance`` of D.Hasil)."""
    units = (
        dhasil(official_region)
        .group_by(UNIT)
        .agg(
            pl.col("tps_total").max().alias("tps_total_dhasil"),
            pl.col("tps_masuk").max().alias("tps_masuk_dhasil"),
        )
    )
    same = (
        wilayah.filter(pl.col("suara_dhasil").is_not_null())
        .group_by(UNIT)
        .agg((pl.col("selisih_dhasil").abs().max() <= tolerance).alias("_sama"))
    )
    return units, same


def roll_up_status(
    tps: pl.DataFrame, wilayah: pl.DataFrame, official_region: pl.DataFrame, tolerance: int = 0
) -> pl.DataFrame:
    """rekon__wilayah_kontestasi: one row per region unit × contest, every level of the tree."""
    desa = _desa_status(tps)
    sums = [c for c in desa.columns if c not in UNIT]
    units, same = _dhasil_units(official_region, wilayah, tolerance)
    s = (
        roll_up(desa, ["kode_kontestasi"], sums)
        .join(units, on=UNIT, how="full", coalesce=True)
        .join(same, on=UNIT, how="left")
        .with_columns(
            pl.col("tingkat").fill_null(tier_expr("kode_wilayah")),
            *[pl.col(c).fill_null(0) for c in sums],
        )
        .with_columns(
            parent_expr("kode_wilayah").alias("kode_induk"),
            ratio("tps_internal", "tps_diharapkan").alias("cakupan_internal"),
            ratio("tps_kpu", "tps_diharapkan").alias("cakupan_kpu"),
            pl.when(pl.col("_sama").is_not_null())
            .then(first_label(DHASIL_STATUS, "selisih"))
            .alias("status_dhasil"),
        )
    )
    return RECON_WILAYAH_STATUS.check_key(
        RECON_WILAYAH_STATUS.conform(s).sort("kode_kontestasi", "kode_wilayah")
    )
