"""The checks a row goes through: the validator's (:func:`analysis.validate.validate`, by
dataset) turned into per-row reasons, and the summary rows of the checks ingest makes itself.

The validator's ``kunci_unik`` (duplicate key) check is resolved by supersession
(:mod:`analysis.ingest.fates`), so its failures are dropped here and are not rejections.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from analysis.ingest.frames import EMPTY_LIST
from analysis.ingest.specs import Spec
from analysis.schemas import CHECK_SUMMARY
from analysis.settings import Settings
from analysis.validate.checks.common import region_kabkota, tps_kabkota

if TYPE_CHECKING:
    from analysis.ingest.verdicts import Bound

SUMMARY_SCHEMA = CHECK_SUMMARY.polars_schema


def empty_summary() -> pl.DataFrame:
    return pl.DataFrame(schema=SUMMARY_SCHEMA)


def _unvalidated(df: pl.DataFrame) -> pl.DataFrame:
    """Flags for rows the validator could not check: accepted with a warning."""
    return df.select(
        pl.col("_rid"),
        EMPTY_LIST.alias("_alasan_v"),
        pl.lit(["tidak_tervalidasi"]).alias("peringatan"),
    )


def run_validator(
    dataset: str,
    df: pl.DataFrame,
    settings: Settings,
    messages: list[str],
    memo: Bound | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Flags (``_rid``, ``_alasan_v`` = reject reasons, ``peringatan``) and the summary; never
    raises: a validator that cannot run leaves a message and the rows accepted with a warning.
    ``memo``: the verdict cache of the batch's files (rows of unchanged files are not validated
    again: :mod:`analysis.ingest.verdicts`)."""
    if df.is_empty():
        flags = df.select(
            pl.col("_rid"), EMPTY_LIST.alias("_alasan_v"), EMPTY_LIST.alias("peringatan")
        )
        return flags, empty_summary()
    try:
        from analysis.validate import validate
    except ImportError as exc:
        messages.append(
            f"[{dataset}] validasi tidak tersedia ({exc}); baris diterima tanpa validasi"
        )
        return _unvalidated(df), empty_summary()
    try:
        if memo is not None and memo.serves(dataset):
            out = memo.validate(dataset, df)
        else:
            out = validate(dataset, df.with_columns(pl.col("_rid").alias("_row_id")), settings)
    except Exception as exc:  # noqa: BLE001 - a validator failure must not lose the batch
        messages.append(f"[{dataset}] validasi gagal dijalankan: {type(exc).__name__}: {exc}")
        return _unvalidated(df), empty_summary()
    flags = out.flags.select(
        pl.col("_row_id").alias("_rid"),
        pl.col("alasan_tolak")
        .list.eval(pl.element().filter(~pl.element().str.starts_with("kunci_unik:")))
        .alias("_alasan_v"),
        pl.col("peringatan"),
    )
    summary = out.summary.filter(pl.col("pemeriksaan") != "kunci_unik")
    return flags, summary.select(list(SUMMARY_SCHEMA)).cast(SUMMARY_SCHEMA)


def run_validator_at(
    dataset: str,
    checked: pl.DataFrame,
    at_grain: pl.DataFrame,
    settings: Settings,
    messages: list[str],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`run_validator` on ``at_grain``, a frame at another grain than the raw rows (several
    rows per ``_rid``: official_region's long form), its flags folded back per raw row of
    ``checked``."""
    vdf = at_grain.join(checked.select("_rid"), on="_rid")
    vdf = vdf.with_row_index("_vrid").with_columns(pl.col("_vrid").cast(pl.Int64))
    vflags, summary = run_validator(
        dataset, vdf.rename({"_rid": "_raw_rid", "_vrid": "_rid"}), settings, messages
    )
    flags = (
        vflags.join(
            vdf.select(pl.col("_vrid").alias("_rid"), pl.col("_rid").alias("_raw")), on="_rid"
        )
        .group_by("_raw")
        .agg(
            pl.col("_alasan_v")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique(maintain_order=True),
            pl.col("peringatan")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique(maintain_order=True),
        )
        .rename({"_raw": "_rid"})
    )
    return flags, summary


# --- Ingest's own checks --------------------------------------------------------------------------


def kabkota_expr(columns: list[str]) -> pl.Expr:
    """The kab/kota a row is counted under: its region code's, else its TPS code's; null when
    neither is a code."""
    parts = []
    if "kode_wilayah" in columns:
        parts.append(region_kabkota("kode_wilayah"))
    if "kode_tps" in columns:
        parts.append(tps_kabkota("kode_tps"))
    if not parts:
        return pl.lit(None, dtype=pl.String)
    return parts[0] if len(parts) == 1 else pl.coalesce(parts)


# (pemeriksaan, the failure, alasan): checks made while reading and deciding fates
_OWN_CHECKS: tuple[tuple[str, pl.Expr, str], ...] = (
    (
        "format_baca",
        pl.col("masalah").list.len() > 0,
        "Nilai sel harus terbaca (angka, tanggal, jenis pemilihan)",
    ),
    (
        "versi_bentrok",
        pl.col("_bentrok").is_not_null(),
        "Dua laporan untuk TPS × kontestasi pada waktu yang sama harus berisi angka yang sama",
    ),
    ("wajib_terisi_kunci", pl.col("_kosong").is_not_null(), "Kolom kunci tidak boleh kosong"),
)
# the TPS-list check (kinds.mark_unlisted_tps): the column it fills and its level
_TPS_LISTED = (("_tolak_ingest", "tolak"), ("_warn_ingest", "peringatan"))
_TPS_LISTED_REASON = "Kode TPS harus ada di daftar TPS (referensi/tps.csv)"


def summary_order(spec: Spec, settings: Settings) -> list[str]:
    """The checks of a kind in the order its summary lists them: the validator's (as
    :func:`analysis.validate.engine.outcome` orders them), then ingest's own (as
    :func:`own_summary` does); within each check the rows go by kode_kabkota, nulls last. A
    summary put together from parts (:mod:`analysis.ingest.partitions`) is sorted back by it
    (one home each: :func:`~analysis.validate.checks_for` and :func:`_own_checks`)."""
    ids: list[str] = []
    if spec.validate_as:
        from analysis.validate import checks_for

        ids += [c.id for c in checks_for(spec.validate_as, settings) if c.id != "kunci_unik"]
    every_column = [col for col, _ in _TPS_LISTED]
    return ids + list(dict.fromkeys(check for check, *_ in _own_checks(spec, every_column)))


def _own_checks(spec: Spec, columns: list[str]) -> list[tuple[str, pl.Expr, str, str]]:
    """Ingest's own checks of a kind, in summary order: (pemeriksaan, failure, alasan, tingkat)."""
    checks: list[tuple[str, pl.Expr, str, str]] = [
        (check, failed, alasan, "tolak")
        for check, failed, alasan in _OWN_CHECKS
        if not (check == "wajib_terisi_kunci" and spec.validate_as)  # the validator's covers it
    ]
    return checks + [
        ("tps_terdaftar", pl.col(col).list.len() > 0, _TPS_LISTED_REASON, tingkat)
        for col, tingkat in _TPS_LISTED
        if col in columns
    ]


def own_summary(spec: Spec, df: pl.DataFrame) -> pl.DataFrame:
    """Summary rows for the checks ingest itself makes (unreadable cells, colliding versions,
    empty keys of an unvalidated kind, TPS codes not in the TPS list)."""
    checks = _own_checks(spec, df.columns)
    w = df.with_columns(kabkota_expr(df.columns).alias("kode_kabkota"))
    parts = [
        w.group_by("kode_kabkota")
        .agg(
            cond.sum().cast(pl.Int64).alias("n_gagal"),
            pl.len().cast(pl.Int64).alias("n_diperiksa"),
        )
        .with_columns(
            pl.lit(spec.dataset).alias("dataset"),
            pl.lit(check).alias("pemeriksaan"),
            pl.lit(tingkat).alias("tingkat"),
            pl.lit(alasan).alias("alasan"),
        )
        .select(list(SUMMARY_SCHEMA))
        .sort("kode_kabkota", nulls_last=True)  # a group_by's order is not fixed
        for check, cond, alasan, tingkat in checks
    ]
    return pl.concat(parts).cast(SUMMARY_SCHEMA) if parts else empty_summary()
