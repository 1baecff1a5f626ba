"""Per-kind typing: raw text rows (:mod:`.tables`) -> canonical typed rows, with every cell that
does not parse named in ``masalah``, and for vote-bearing kinds a long ``votes`` frame.

Row by row, so typing one file or a whole batch of files gives the same rows. :data:`COERCE`
maps each table kind to its function; :func:`coerce` applies it to a :class:`.result.FileRead`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import polars as pl

from analysis.domain import regions
from analysis.read.cells import (
    WIB,
    bool_expr,
    contest_expr,
    date_expr,
    digits_expr,
    dotted_code_expr,
    float_expr,
    int_expr,
    jenis_expr,
    problems_expr,
    zone_expr,
)
from analysis.read.columns import COLUMNS, KOLOM_KOSONG_COL, PASLON_COLS, SPLIT_COLS, TALLY_COLS
from analysis.read.evaluate import by_unique, parse_datetime, parse_ints, problems_sparse
from analysis.read.result import FileRead
from analysis.read.sirekap import KPU_UTC_OFFSET
from analysis.schemas import ADMIN_COUNTS

_LINEAGE_OUT = ("sumber_file", "sumber_sheet", "sumber_baris", "_i", "nilai_asli")
_TALLY_COUNTS = (*ADMIN_COUNTS, *SPLIT_COLS, *PASLON_COLS, KOLOM_KOSONG_COL)
_DHASIL_COUNTS = (
    "nomor_urut",
    "suara",
    *PASLON_COLS,
    KOLOM_KOSONG_COL,
    "suara_sah",
    "suara_tidak_sah",
    "tps_total",
    "tps_masuk",
)
_VOTE_COLS = ("_i", "nomor_urut", "paslon_id", "suara")


def _ensure(df: pl.DataFrame, cols: Iterable[str]) -> pl.DataFrame:
    missing = [c for c in cols if c not in df.columns]
    return df.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)


def _blank_to_null(col: str) -> pl.Expr:
    return pl.when(pl.col(col) == "").then(None).otherwise(pl.col(col)).alias(col)


def _contest(df: pl.DataFrame, code_col: str) -> pl.DataFrame:
    """``kode_kontestasi`` as written (lower case), else from jenis_pemilihan and the code (the
    jenis parsed into ``_jenis`` once per distinct text)."""
    df = df.with_columns(
        by_unique(df, ["jenis_pemilihan"], jenis_expr("jenis_pemilihan")).alias("_jenis"),
        pl.col("kode_kontestasi").str.strip_chars().str.to_lowercase().alias("_kontestasi_asli"),
    )
    return df.with_columns(
        pl.coalesce(pl.col("_kontestasi_asli"), contest_expr("_jenis", code_col)).alias(
            "kode_kontestasi"
        )
    )


def wide_votes(df: pl.DataFrame) -> pl.DataFrame:
    """suara_paslon_<n> / suara_kolom_kosong columns → one row per row × paslon with votes.

    Columns ``_i``, ``nomor_urut`` (0 = kolom kosong), ``suara``; empty cells are no paslon.
    """
    return (
        df.select("_i", *PASLON_COLS, KOLOM_KOSONG_COL)
        .unpivot(index="_i", variable_name="_kolom", value_name="suara")
        .drop_nulls("suara")
        .with_columns(
            pl.when(pl.col("_kolom") == KOLOM_KOSONG_COL)
            .then(0)
            .otherwise(pl.col("_kolom").str.extract(r"(\d+)$").cast(pl.Int64))
            .alias("nomor_urut")
        )
        .select("_i", "nomor_urut", "suara")
    )


def _jenis_problem() -> pl.Expr:
    """A jenis_pemilihan given but not understood (so no contest made of it)."""
    bad = (
        pl.col("jenis_pemilihan").is_not_null()
        & pl.col("_jenis").is_null()
        & pl.col("kode_kontestasi").is_null()
    )
    message = pl.concat_str(
        pl.lit("format: jenis_pemilihan '"),
        pl.col("jenis_pemilihan"),
        pl.lit("' bukan gubernur/bupati/walikota"),
    )
    return pl.when(bad).then(message)


def coerce_tally(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tally rows (one per TPS × contest report) and their long votes (``_i``, nomor_urut, suara)."""
    df = _ensure(raw, TALLY_COLS).with_columns(digits_expr("kode_tps").alias("kode_tps"))
    df = _contest(df, "kode_tps").with_columns(zone_expr("kode_tps").alias("_tz"))
    # parse every column once into _p_<col>; problems compare text and parsed value
    df = parse_ints(df, _TALLY_COUNTS, "_p_")
    df = df.with_columns(parse_datetime(df, "waktu_laporan", "_tz").alias("_p_waktu_laporan"))
    checks = [(c, pl.col(c), pl.col(f"_p_{c}")) for c in [*_TALLY_COUNTS, "waktu_laporan"]]
    df = df.with_columns(
        problems_sparse(df, checks).alias("masalah"), _jenis_problem().alias("_jm")
    )
    df = df.with_columns(
        pl.concat_list(pl.col("masalah"), pl.col("_jm")).list.drop_nulls().alias("masalah"),
        *(pl.col(f"_p_{c}").alias(c) for c in [*_TALLY_COUNTS, "waktu_laporan"]),
        pl.col("pelapor").str.strip_chars(),
    )
    rows = df.select(
        "kode_tps",
        "kode_kontestasi",
        "waktu_laporan",
        "pelapor",
        *_TALLY_COUNTS,
        "masalah",
        *_LINEAGE_OUT,
    )
    votes = (
        wide_votes(rows)
        .select("_i", "nomor_urut", pl.lit(None, dtype=pl.String).alias("paslon_id"), "suara")
        .sort("_i", "nomor_urut")
    )
    return rows.drop(*PASLON_COLS, KOLOM_KOSONG_COL), votes


def coerce_official_region(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """D.Hasil rows (one per raw row: region × contest, wide or long) and long votes."""
    df = _ensure(raw, COLUMNS["official_region"][0]).with_columns(
        dotted_code_expr("kode_wilayah").alias("kode_wilayah")
    )
    df = _contest(df, "kode_wilayah")
    checks = [(c, pl.col(c), int_expr(c)) for c in _DHASIL_COUNTS]
    df = df.with_columns(problems_expr(checks).alias("masalah")).with_columns(
        int_expr(c).alias(c) for c in _DHASIL_COUNTS
    )
    df = df.with_columns(*recap_file_exprs())
    long = df.filter(pl.col("nomor_urut").is_not_null() & pl.col("suara").is_not_null())
    votes = pl.concat([wide_votes(df), long.select("_i", "nomor_urut", "suara")])
    votes = votes.with_columns(pl.lit(None, dtype=pl.String).alias("paslon_id"))
    rows = df.select(
        "kode_wilayah",
        "kode_kontestasi",
        "nomor_urut",
        "suara_sah",
        "suara_tidak_sah",
        "tps_total",
        "tps_masuk",
        "waktu_terima",
        "penetapan",
        "masalah",
        *_LINEAGE_OUT,
    )
    return rows, votes.select(_VOTE_COLS).sort("_i", "nomor_urut")


#: A recap file whose name carries this word is KPU's determination (penetapan) of the result.
PENETAPAN_WORD = "penetapan"


def recap_file_exprs() -> tuple[pl.Expr, pl.Expr]:
    """``waktu_terima``: when the desk received a D.Hasil file, from its ``YYYYMMDDTHHMM`` (WIB)
    folder under ``kpu/rekap/`` as pull folders are named (null for a file directly in
    ``kpu/rekap/``); ``penetapan``: the file is KPU's determination of the result (its name says
    ``penetapan``)."""
    folder = pl.col("sumber_file").str.extract(r"(?:^|/)(\d{8}T\d{4})/", 1)
    return (
        folder.str.strptime(pl.Datetime("us"), "%Y%m%dT%H%M", strict=False)
        .dt.offset_by(f"-{KPU_UTC_OFFSET.seconds // 3600}h")
        .dt.replace_time_zone("UTC")
        .alias("waktu_terima"),
        pl.col("sumber_file")
        .str.extract(r"([^/]*)$", 1)
        .str.to_lowercase()
        .str.contains(PENETAPAN_WORD, literal=True)
        .fill_null(False)
        .alias("penetapan"),
    )


def coerce_incidents(raw: pl.DataFrame, default_tz: str = WIB) -> pl.DataFrame:
    """Incident rows with raw label text (normalised later by ``analysis.taxonomy``); times in
    the zone of the region's (else the TPS's) province, ``default_tz`` without either."""
    cols = COLUMNS["incidents"][0]
    df = _ensure(raw, cols).with_columns(
        dotted_code_expr("kode_wilayah").alias("kode_wilayah"),
        digits_expr("kode_tps").alias("kode_tps"),
    )
    df = df.with_columns(_blank_to_null("kode_wilayah"), _blank_to_null("kode_tps"))
    df = df.with_columns(
        pl.when(pl.col("kode_wilayah").is_not_null())
        .then(zone_expr("kode_wilayah", default_tz))
        .otherwise(zone_expr("kode_tps", default_tz))
        .alias("_tz")
    )
    times = ("waktu_kejadian", "waktu_laporan", "waktu_penanganan")
    df = df.with_columns(parse_datetime(df, c, "_tz").alias(f"_p_{c}") for c in times)
    checks = [(c, pl.col(c), pl.col(f"_p_{c}")) for c in times]
    df = df.with_columns(problems_sparse(df, checks).alias("masalah")).with_columns(
        pl.col(f"_p_{c}").alias(c) for c in times
    )
    return df.select(*cols, "masalah", *_LINEAGE_OUT)


def coerce_readiness(raw: pl.DataFrame) -> pl.DataFrame:
    """Readiness rows: one per region × day × indicator; nilai from pembilang/penyebut if absent."""
    df = _ensure(raw, COLUMNS["readiness"][0])
    checks = [
        ("tanggal", pl.col("tanggal"), date_expr("tanggal")),
        ("pembilang", pl.col("pembilang"), int_expr("pembilang")),
        ("penyebut", pl.col("penyebut"), int_expr("penyebut")),
        ("nilai", pl.col("nilai"), float_expr("nilai")),
    ]
    df = df.with_columns(problems_expr(checks).alias("masalah")).with_columns(
        dotted_code_expr("kode_wilayah").alias("kode_wilayah"),
        date_expr("tanggal").alias("tanggal"),
        pl.col("indikator")
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", "_"),
        int_expr("pembilang").alias("pembilang"),
        int_expr("penyebut").alias("penyebut"),
        float_expr("nilai").alias("nilai"),
    )
    df = df.with_columns(
        pl.coalesce(
            pl.col("nilai"),
            pl.when(pl.col("penyebut") > 0).then(pl.col("pembilang") / pl.col("penyebut")),
        ).alias("nilai")
    )
    return df.select(
        "kode_wilayah", "tanggal", "indikator", "nilai", "pembilang", "penyebut", "masalah",
        *_LINEAGE_OUT,
    )  # fmt: skip


def coerce_ref_tps(raw: pl.DataFrame) -> pl.DataFrame:
    """TPS list: kode_desa derived from kode_tps when absent, nomor_tps from its last 3 digits."""
    df = _ensure(raw, COLUMNS["ref_tps"][0]).with_columns(digits_expr("kode_tps").alias("kode_tps"))
    ints = ("nomor_tps", "pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p")
    df = parse_ints(df, ints, "_p_")
    checks = [(c, pl.col(c), pl.col(f"_p_{c}")) for c in ints]
    df = df.with_columns(problems_sparse(df, checks).alias("masalah")).with_columns(
        *(pl.col(f"_p_{c}").alias(c) for c in ints),
        by_unique(df, ["kode_desa"], dotted_code_expr("kode_desa")).alias("kode_desa"),
    )
    tps = pl.col("kode_tps")
    df = df.with_columns(
        pl.coalesce(
            pl.col("kode_desa"),
            pl.when(regions.valid_tps_expr(tps)).then(regions.tps_desa_expr(tps)),
        ).alias("kode_desa"),
        pl.coalesce(pl.col("nomor_tps"), regions.tps_number_expr(tps)).alias("nomor_tps"),
    )
    return df.select(*COLUMNS["ref_tps"][0], "masalah", *_LINEAGE_OUT)


def coerce_ref_paslon(raw: pl.DataFrame) -> pl.DataFrame:
    """Paslon list: one row per contest × paslon; ``kolom_kosong`` a flag (nomor urut 0 if blank)."""
    df = _ensure(raw, COLUMNS["ref_paslon"][0])
    checks = [("nomor_urut", pl.col("nomor_urut"), int_expr("nomor_urut"))]
    df = df.with_columns(problems_expr(checks).alias("masalah")).with_columns(
        pl.col("kode_kontestasi").str.strip_chars().str.to_lowercase(),
        int_expr("nomor_urut").alias("nomor_urut"),
        digits_expr("paslon_id").alias("paslon_id"),
        pl.col("nama_paslon").str.strip_chars(),
    )
    df = df.with_columns(
        pl.coalesce(bool_expr("kolom_kosong"), pl.col("nomor_urut") == 0).alias("kolom_kosong"),
        _blank_to_null("paslon_id"),
    )
    return df.select(*COLUMNS["ref_paslon"][0], "masalah", *_LINEAGE_OUT)


COERCE: dict[str, Callable[[pl.DataFrame], pl.DataFrame | tuple[pl.DataFrame, pl.DataFrame]]] = {
    "tally": coerce_tally,
    "official_region": coerce_official_region,
    "incidents": coerce_incidents,
    "readiness": coerce_readiness,
    "ref_tps": coerce_ref_tps,
    "ref_paslon": coerce_ref_paslon,
}


def coerce(fr: FileRead) -> FileRead:
    """Raw text rows (:func:`.tables.read_table_raw`, or many files' concatenated, with ``_i``
    unique) -> typed canonical rows (+ votes keyed by ``_i``)."""
    out = COERCE[fr.kind](fr.rows)
    if isinstance(out, tuple):
        rows, votes = out
        return FileRead(fr.kind, rows=rows, votes=votes, notes=fr.notes)
    return FileRead(fr.kind, rows=out, notes=fr.notes)
