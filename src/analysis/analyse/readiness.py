"""Readiness (*kesiapan*) per unit against its targets, as kerawanan and follow-up read it.

Readiness is reported per kab/kota (the ``kesiapan__wilayah_tanggal_indikator`` dataset): a
unit's own rows are used when present; a kecamatan inherits its kab/kota's figures; a province, or
the nation, aggregates its kab/kota (Σ pembilang / Σ penyebut, else the mean of nilai).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.domain.regions import ancestor_expr, depth_expr
from analysis.settings import Settings

INDICATOR_WORDS: dict[str, str] = {
    "logistik_diterima": "logistik",
    "perekaman_ktp_el": "perekaman KTP-el",
    "nphd_dibayar": "NPHD dibayar",
}
READINESS_SCHEMA: dict[str, pl.DataType] = {
    "kode_wilayah": pl.String(),
    "indikator": pl.String(),
    "nilai": pl.Float64(),
    "target": pl.Float64(),
    "kesenjangan": pl.Float64(),
}


def pct_text(x: pl.Expr, decimals: int = 0) -> pl.Expr:
    """A share as Indonesian percent text: 0.8 -> "80%", 0.9803 -> "98,0%"."""
    return pl.concat_str(
        (x * 100)
        .round(decimals)
        .cast(pl.String)
        .str.replace(r"\.0$", "")
        .str.replace(".", ",", literal=True),
        pl.lit("%"),
    )


def units_frame(units: list[str]) -> pl.DataFrame:
    """Distinct unit codes, in the order given, with their depth ``_depth``."""
    df = pl.DataFrame({"kode_wilayah": units}, schema={"kode_wilayah": pl.String})
    return df.unique(maintain_order=True).with_columns(depth_expr("kode_wilayah").alias("_depth"))


def latest_readiness(readiness: pl.DataFrame, as_of: dt.datetime | None) -> pl.DataFrame:
    """The latest value by ``as_of`` per reported unit × indicator, with its depth ``_d``."""
    r = readiness if as_of is None else readiness.filter(pl.col("tanggal") <= as_of.date())
    return (
        r.sort("tanggal")
        .group_by("kode_wilayah", "indikator")
        .last()
        .with_columns(pl.col("nilai").cast(pl.Float64), depth_expr("kode_wilayah").alias("_d"))
    )


def _unit_values(units: pl.DataFrame, latest: pl.DataFrame) -> pl.DataFrame:
    """Per unit × indicator: own rows first (``_prio`` 0), else inherited or aggregated (1)."""
    kab_rows = latest.filter(pl.col("_d") == 2)
    agg = (
        pl.when(pl.col("penyebut").sum() > 0)
        .then(pl.col("pembilang").sum() / pl.col("penyebut").sum())
        .otherwise(pl.col("nilai").mean())
        .alias("nilai")
    )
    cols = ["kode_wilayah", "indikator", "nilai", "_prio"]
    own = units.join(latest.select("kode_wilayah", "indikator", "nilai"), on="kode_wilayah")
    inherited = (
        units.filter(pl.col("_depth") >= 3)
        .with_columns(ancestor_expr("kode_wilayah", 2).alias("_kab"))
        .join(latest.select(pl.col("kode_wilayah").alias("_kab"), "indikator", "nilai"), on="_kab")
    )
    prov = units.filter(pl.col("_depth") == 1).join(
        kab_rows.group_by(ancestor_expr("kode_wilayah", 1).alias("kode_wilayah"), "indikator").agg(
            agg
        ),
        on="kode_wilayah",
    )
    nat = units.filter(pl.col("_depth") == 0).join(
        kab_rows.group_by("indikator").agg(agg), how="cross"
    )
    parts = [
        own.with_columns(pl.lit(0).alias("_prio")).select(cols),
        *(f.with_columns(pl.lit(1).alias("_prio")).select(cols) for f in (inherited, prov, nat)),
    ]
    return (
        pl.concat(parts, how="vertical_relaxed")
        .sort("_prio", maintain_order=True)
        .unique(["kode_wilayah", "indikator"], keep="first", maintain_order=True)
        .drop("_prio")
    )


def readiness_by_unit(
    readiness: pl.DataFrame | None,
    units: list[str],
    as_of: dt.datetime | None,
    settings: Settings,
) -> pl.DataFrame:
    """Latest readiness per unit × indicator against its target (``units``: dotted codes).

    Grain: one row per unit × indicator with data
    and a target. Columns: ``kode_wilayah``, ``indikator``, ``nilai``, ``target``,
    ``kesenjangan`` (max(0, target − nilai)).
    """
    empty = pl.DataFrame(schema=READINESS_SCHEMA)
    if readiness is None or readiness.is_empty():
        return empty
    rows = _unit_values(units_frame(units), latest_readiness(readiness, as_of))
    if rows.is_empty():
        return empty
    targets = settings.election.readiness_targets.model_dump()
    target = pl.col("indikator").replace_strict(targets, default=None, return_dtype=pl.Float64)
    return (
        rows.with_columns(target.alias("target"))
        .filter(pl.col("target").is_not_null())
        .with_columns((pl.col("target") - pl.col("nilai")).clip(0, None).alias("kesenjangan"))
        .select(list(READINESS_SCHEMA))
    )
