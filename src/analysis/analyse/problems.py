"""Data and monitoring problems for the follow-up list, built from other stages' outputs.

Each builder returns rows of :data:`analysis.analyse.followup.PROBLEM_SCHEMA` (one per problem open
now), whose ``jenis_masalah`` is a key of ``config/playbook.yaml``'s ``data`` section.
"""

from __future__ import annotations

import polars as pl

from analysis.analyse.followup import PROBLEM_SCHEMA
from analysis.analyse.readiness import INDICATOR_WORDS, pct_text
from analysis.domain.regions import tps_desa_expr


def _tps_problem(jenis: str, detail: list[pl.Expr], desa: pl.Expr) -> list[pl.Expr]:
    """The PROBLEM_SCHEMA columns of a problem about one TPS × contest: "TPS <kode> (<contest>):
    <detail>"."""
    return [
        pl.lit(jenis).alias("jenis_masalah"),
        pl.concat_str(pl.col("kode_tps"), pl.lit("/"), pl.col("kode_kontestasi")).alias(
            "kode_objek"
        ),
        desa.alias("kode_wilayah"),
        pl.concat_str(
            pl.lit("TPS "),
            pl.col("kode_tps"),
            pl.lit(" ("),
            pl.col("kode_kontestasi"),
            pl.lit("): "),
            *detail,
        ).alias("uraian"),
    ]


def problems_from_screens(hits: pl.DataFrame) -> pl.DataFrame:
    """One ``penapisan_anomali`` problem per TPS × contest with screen hits (``screens.tps_screens``)."""
    if hits.is_empty():
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    per_tps = hits.group_by("kode_tps", "kode_kontestasi", maintain_order=True).agg(
        pl.col("keterangan").str.join("; ")
    )
    return per_tps.select(
        _tps_problem("penapisan_anomali", [pl.col("keterangan")], tps_desa_expr("kode_tps"))
    )


def problems_from_readiness(ready: pl.DataFrame) -> pl.DataFrame:
    """One ``kesiapan_kurang`` problem per unit × indicator below target
    (``readiness.readiness_by_unit`` output)."""
    gap = ready.filter(pl.col("kesenjangan") > 0)
    return gap.select(
        pl.lit("kesiapan_kurang").alias("jenis_masalah"),
        pl.concat_str(pl.col("kode_wilayah"), pl.lit("/"), pl.col("indikator")).alias("kode_objek"),
        "kode_wilayah",
        pl.concat_str(
            pl.col("indikator").replace_strict(INDICATOR_WORDS, default=pl.col("indikator")),
            pl.lit(" baru "),
            pct_text(pl.col("nilai"), 1),
            pl.lit(" dari target "),
            pct_text(pl.col("target"), 1),
        ).alias("uraian"),
    )


def problems_from_recon(recon_tps: pl.DataFrame) -> pl.DataFrame:
    """``selisih_hitung`` (internal ≠ KPU) and ``identitas_kpu`` (KPU record with validation flags)
    problems, one per TPS × contest, from the reconcile stage's ``rekon__tps_kontestasi``."""
    if recon_tps.is_empty():
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    desa = pl.col("kode_desa")
    differ = [
        pl.lit("selisih "),
        pl.col("selisih_abs").cast(pl.String),
        pl.lit(" suara antara hitung internal dan KPU"),
    ]
    flagged = [pl.lit("data KPU "), pl.col("peringatan_kpu").list.join("; ")]
    sel = recon_tps.filter(pl.col("status_banding") == "selisih")
    ident = recon_tps.filter(pl.col("peringatan_kpu").list.len() > 0)
    return pl.concat(
        [
            sel.select(_tps_problem("selisih_hitung", differ, desa)),
            ident.select(_tps_problem("identitas_kpu", flagged, desa)),
        ]
    ).cast(PROBLEM_SCHEMA)
