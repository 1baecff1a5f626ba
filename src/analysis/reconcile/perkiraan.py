"""The naive estimate of each contest's final internal count: the baseline the projection replaced.

Until the projection of :mod:`.projection` (``docs/domain.md`` §11) this was reconcile's estimate
(``recon_perkiraan``) and the packs showed it. It is kept, unchanged, only as the baseline the
simulation (:mod:`.simulation`, ``make simulasi``) measures against: it treats the TPS in so far as
a random sample of each kab/kota and always speaks.

Stratified ratio estimator: within each kab/kota, votes per registered voter among the expected
TPS the desk has, times the DPT of all expected TPS of that kab/kota; a kab/kota with no TPS in yet
uses the contest-wide ratio. The 95% interval is the usual ratio-estimator variance with the finite
population correction; it assumes the TPS in so far are like the missing ones (early reports are not
a random sample, so read it as indicative). Computed from sums per stratum (Σy, Σx, Σy², Σxy, Σx²):
Σ(y - r·x)² = Σy² - 2r·Σxy + r²·Σx².
"""

from __future__ import annotations

import polars as pl

from analysis.reconcile.exprs import ratio
from analysis.reconcile.inputs import PAIR
from analysis.schemas import RECON_PERKIRAAN

Z95 = 1.959963984540054  # two-sided 95% normal quantile
ESTIMATE_NOTE = (
    "perkiraan dari TPS yang sudah masuk (rasio per kab/kota terhadap DPT, selang 95%) — "
    "bukan hasil resmi; mengandaikan TPS yang belum masuk serupa dengan yang sudah"
)
STRATUM = ["kode_kontestasi", "kode_kabkota"]
CELL = [*STRATUM, "nomor_urut"]
SUMS = ["sy", "sx", "syy", "sxy", "sxx"]

# Σ(y - r·x)² from the sums, for the ratio r of the row
_RESID = pl.col("syy") - 2 * pl.col("r") * pl.col("sxy") + pl.col("r") ** 2 * pl.col("sxx")
_FPC = (1 - pl.col("n") / pl.col("N")).clip(lower_bound=0)  # finite population correction


def _sample(tps_paslon: pl.DataFrame, tps: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(strata, y): per kab/kota × contest the expected TPS ``N``, their DPT ``X`` and those in
    ``n``; per TPS × paslon in, the votes ``y`` and the TPS's DPT ``x``."""
    on = "_pid" if "_pid" in tps.columns and "_pid" in tps_paslon.columns else PAIR
    frame = tps.filter("diharapkan")
    strata = frame.group_by(STRATUM).agg(
        pl.len().alias("N"),
        pl.col("pemilih_dpt").sum().alias("X"),
        pl.col("ada_internal").sum().cast(pl.Int64).alias("n"),
    )
    y = (
        tps_paslon.filter(pl.col("suara_internal").is_not_null())
        .select(on, "kode_kontestasi", "nomor_urut", "suara_internal")
        .join(frame.filter("ada_internal").select(on, "kode_kabkota", "pemilih_dpt"), on=on)
        .with_columns(
            pl.col("suara_internal").cast(pl.Float64).alias("y"),
            pl.col("pemilih_dpt").cast(pl.Float64).alias("x"),
        )
    )
    return strata, y


def _cell_sums(y: pl.DataFrame) -> pl.DataFrame:
    """Σy, Σx, Σy², Σxy, Σx² per kab/kota × contest × paslon."""
    return y.group_by(CELL).agg(
        pl.col("y").sum().alias("sy"),
        pl.col("x").sum().alias("sx"),
        (pl.col("y") ** 2).sum().alias("syy"),
        (pl.col("x") * pl.col("y")).sum().alias("sxy"),
        (pl.col("x") ** 2).sum().alias("sxx"),
    )


def _contest_wide(cell: pl.DataFrame, strata: pl.DataFrame) -> pl.DataFrame:
    """Per contest × paslon: the contest-wide ratio ``r_all`` and its variance ``var_r_all``."""
    totals = strata.group_by("kode_kontestasi").agg(pl.col("N", "n").sum())
    return (
        cell.group_by("kode_kontestasi", "nomor_urut")
        .agg(pl.col(SUMS).sum())
        .join(totals, on="kode_kontestasi")
        .with_columns((pl.col("sy") / pl.col("sx")).alias("r"))
        .with_columns(
            pl.when(pl.col("n") > 1)
            .then(
                _FPC
                * _RESID.clip(lower_bound=0)
                / (pl.col("n") - 1)
                / (pl.col("n") * (pl.col("sx") / pl.col("n")) ** 2)
            )
            .otherwise(0.0)
            .alias("var_r_all")
        )
        .select("kode_kontestasi", "nomor_urut", pl.col("r").alias("r_all"), "var_r_all")
    )


def _stratum_estimates(
    strata: pl.DataFrame, contest_wide: pl.DataFrame, cell: pl.DataFrame
) -> pl.DataFrame:
    """Per kab/kota × contest × paslon: the estimate ``est`` and its variance ``var``."""
    return (
        strata.join(contest_wide, on="kode_kontestasi")
        .join(cell, on=CELL, how="left")
        .with_columns(
            pl.when(pl.col("n") > 0)
            .then(pl.col("sy") / pl.col("sx"))
            .otherwise(pl.col("r_all"))
            .fill_null(0.0)
            .alias("r")
        )
        .with_columns(
            (pl.col("r") * pl.col("X")).alias("est"),
            pl.when(pl.col("n") >= 2)
            .then(
                pl.col("N") ** 2
                * _FPC
                * (_RESID.clip(lower_bound=0) / (pl.col("n") - 1))
                / pl.col("n")
            )
            # one TPS or none: no within-stratum spread; borrow the contest-wide ratio's
            .otherwise(pl.col("X") ** 2 * pl.col("var_r_all"))
            .alias("var"),
        )
    )


def _contest_totals(cells: pl.DataFrame) -> pl.DataFrame:
    """Per contest × paslon: the estimate, its 95% interval, and both as shares of the contest."""
    half = Z95 * pl.col("_var").sqrt()
    # float sums in a fixed order (kab/kota by code, then paslon): the same files give the same
    # bits, whatever order the rows arrive in or however many threads sum them
    return (
        cells.group_by("kode_kontestasi", "nomor_urut")
        .agg(
            pl.col("est").sort_by("kode_kabkota").sum().alias("perkiraan_suara"),
            pl.col("var").sort_by("kode_kabkota").sum().alias("_var"),
        )
        .sort("kode_kontestasi", "nomor_urut")
        .with_columns(
            (pl.col("perkiraan_suara") - half).clip(lower_bound=0).alias("suara_bawah"),
            (pl.col("perkiraan_suara") + half).alias("suara_atas"),
        )
        .with_columns(pl.col("perkiraan_suara").sum().over("kode_kontestasi").alias("_tot"))
        .with_columns(
            ratio("perkiraan_suara", "_tot").alias("perkiraan_persen"),
            ratio("suara_bawah", "_tot").alias("persen_bawah"),
            ratio("suara_atas", "_tot").clip(upper_bound=1.0).alias("persen_atas"),
        )
    )


def estimate(tps_paslon: pl.DataFrame, tps: pl.DataFrame) -> pl.DataFrame:
    """rekon__perkiraan_kontestasi_paslon: one row per contest × paslon — an ESTIMATE of the final
    internal count."""
    strata, y = _sample(tps_paslon, tps)
    if y.is_empty():
        return RECON_PERKIRAAN.empty()
    cell = _cell_sums(y)
    cells = _stratum_estimates(strata, _contest_wide(cell, strata), cell)
    n_in = strata.group_by("kode_kontestasi").agg(pl.col("n").sum().alias("tps_sampel"))
    est = (
        _contest_totals(cells)
        .join(n_in, on="kode_kontestasi", how="left")
        .with_columns(pl.lit(ESTIMATE_NOTE).alias("keterangan"))
    )
    return RECON_PERKIRAAN.check_key(
        RECON_PERKIRAAN.conform(est).sort("kode_kontestasi", "nomor_urut")
    )
