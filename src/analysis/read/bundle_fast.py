"""The fast path for bundle lines: vectorised reading of the compact layout the pull tool writes
(``{"kode_tps":"<13 digits>","record":{...,"tungsura":{"chart":{...},"administrasi":{...}},...}}``)
with literal string operations, no JSON parser.

It reads only what it can read exactly as :class:`.sirekap.OfficialBuilder` does (the
specification; ``tests/test_read_properties.py`` checks the equality on generated bundles): a line
not in that layout, or holding anything but plain numbers or null in chart/administrasi, is handed
back to be read record by record.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.domain import regions
from analysis.read.sirekap import (
    ADMIN_MAP,
    KPU_UTC_OFFSET,
    OFFICIAL_BUILT,
    OFFICIAL_COUNT_COLS,
    OFFICIAL_ROW_COLS,
)

_LINE = pl.col("line")
_PREFIX = '{"kode_tps":"'
_RECORD = '","record":{'


def _after(marker: str, n: int) -> pl.Expr:
    """Up to ``n`` characters of ``line`` after the first ``marker`` (literal); null if absent."""
    return _LINE.str.slice(_LINE.str.find(marker, literal=True) + len(marker), n)


def _until(expr: pl.Expr, marker: str) -> pl.Expr:
    """``expr`` cut before the first ``marker`` (literal); null if absent."""
    return expr.str.slice(0, expr.str.find(marker, literal=True))


def _own(text: pl.Expr) -> pl.Expr:
    """A copy of sliced text in fresh buffers. A polars string slice is a view that keeps the whole
    buffer it was cut from alive: without the copy each bundle's line text (hundreds of MB) would
    stay in memory for as long as the TPS codes cut from it."""
    return pl.concat_str(text, pl.lit(""))


def _word(col: str) -> pl.Expr:
    """``false``/``true``/``null`` at the start of the text, else null."""
    c = pl.col(col)
    out = pl.lit(None, dtype=pl.String)
    for w in ("false", "true", "null"):
        out = pl.when(c.str.starts_with(w)).then(pl.lit(w)).otherwise(out)
    return out


def _section(col: str) -> pl.Expr:
    """``null``, or a flat object body (the closing brace cut), else null."""
    c = pl.col(col)
    return (
        pl.when(c.str.starts_with("null"))
        .then(pl.lit("null"))
        .when(c.str.starts_with("{") & ~c.str.slice(1).str.contains("{", literal=True))
        .then(c)
    )


def _fields(lines: pl.DataFrame) -> pl.DataFrame:
    """Each field's raw text cut from the line, and ``_shape``: the line has the layout."""
    t_at = _LINE.str.find('"tungsura":{', literal=True)
    once = [_LINE.str.count_matches(m, literal=True) == 1 for m in ('"chart":', '"administrasi":')]
    code_end = len(_PREFIX) + regions.TPS_CODE_DIGITS
    return lines.with_columns(
        _LINE.str.slice(len(_PREFIX), regions.TPS_CODE_DIGITS).alias("kode"),
        _until(_after('"chart":', 400), "}").alias("chart"),
        _until(_after('"administrasi":', 2000), "}").alias("adm"),
        _after('"ts":', 21).alias("ts"),
        _after('"psu":', 200).alias("_psu"),
        _after('"status_suara":', 5).alias("ss"),
        _after('"status_adm":', 5).alias("sa"),
        (
            _LINE.str.starts_with(_PREFIX)
            & (_LINE.str.slice(code_end, len(_RECORD)) == _RECORD)
            & once[0]
            & once[1]
            & (_LINE.str.find('"chart":', literal=True) > t_at)
            & (_LINE.str.find('"administrasi":', literal=True) > t_at)
        )
        .fill_null(False)
        .alias("_shape"),
    )


def _values(parts: pl.DataFrame) -> pl.DataFrame:
    """The fields as values the rows take (null where the text is not plainly one), and
    ``_fast``: the line can be read here."""
    psu_text = _until(pl.col("_psu").str.slice(1), '"')
    parts = parts.with_columns(
        pl.when(pl.col("_psu").str.starts_with("null"))
        .then(pl.lit("null"))
        .when(pl.col("_psu").str.starts_with('"') & ~psu_text.str.contains("\\", literal=True))
        .then(psu_text)
        .alias("psu"),
        pl.when(pl.col("ts").str.starts_with("null"))
        .then(pl.lit("null"))
        .when(pl.col("ts").str.contains(r'^"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}"$'))
        .then(pl.col("ts").str.slice(1, 19).str.replace("T", " ", literal=True))
        .alias("ts"),
        _word("ss").alias("ss"),
        _word("sa").alias("sa"),
        _section("chart").alias("chart"),
        _section("adm").alias("adm"),
    )
    fields = ("psu", "ts", "ss", "sa", "chart", "adm")
    return parts.with_columns(
        (
            pl.col("_shape")
            & regions.valid_tps_expr("kode")
            & pl.all_horizontal(pl.col(c).is_not_null() for c in fields)
        )
        .fill_null(False)
        .alias("_fast")
    )


def _pairs_long(parts: pl.DataFrame, col: str) -> pl.DataFrame:
    """``{"k":1,"j":null`` bodies (the closing brace cut) -> one row per pair, with ``_ok`` saying
    the pair is a plain ``"key":int|null``."""
    p = (
        parts.select("_i", pl.col(col).str.strip_prefix("{").str.split(",").alias("_p"))
        .explode("_p")
        .filter(pl.col("_p").is_not_null() & (pl.col("_p") != ""))
    )
    cut = pl.col("_p").str.find(":", literal=True)
    p = p.select(
        "_i",
        pl.col("_p").str.slice(0, cut).alias("_key"),
        pl.col("_p").str.slice(cut + 1).alias("_val"),
    )
    key, val = pl.col("_key"), pl.col("_val")
    v = val.cast(pl.Int64, strict=False)
    return p.select(
        "_i",
        key.str.slice(1, key.str.len_bytes() - 2).alias("_k"),
        v.alias("_v"),
        (
            key.str.starts_with('"')
            & key.str.ends_with('"')
            & (key.str.count_matches('"', literal=True) == 2)
            & ~key.str.contains("\\", literal=True)
            & ((val == "null") | (v.is_not_null() & val.str.slice(0, 1).is_in(list("-0123456789"))))
        )
        .fill_null(False)
        .alias("_ok"),
    )


def _base(good: pl.DataFrame, jenis: str) -> pl.DataFrame:
    """One row per line read: codes, times and flags."""
    ts = (
        pl.when(pl.col("ts") != "null")
        .then(pl.col("ts"))
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
        .sub(
            pl.lit(KPU_UTC_OFFSET)
        )  # as parse_ts: a fixed UTC+7, not the zone database (+7:30 before 1964)
        .dt.replace_time_zone("UTC")
    )

    def flag(col: str) -> pl.Expr:
        v = pl.col(col)
        return pl.when(v == "true").then(True).when(v == "false").then(False)

    return good.select(
        "_i",
        "sumber_baris",
        _own(pl.col("kode")).alias("kode_tps"),
        regions.kpu_contest_expr(pl.lit(jenis), "kode").alias("kode_kontestasi"),
        ts.alias("ts"),
        flag("ss").alias("status_suara"),
        flag("sa").alias("status_adm"),
        pl.when(pl.col("psu") != "null").then(_own(pl.col("psu"))).alias("psu"),
        (pl.col("chart") != "null").alias("ada_chart"),
        (pl.col("adm") != "null").alias("ada_administrasi"),
    )


def _counts(base: pl.DataFrame, adm_long: pl.DataFrame) -> pl.DataFrame:
    """The administrasi counts per line (``_i``), every count column present."""
    adm_long = adm_long.with_columns(
        pl.col("_k").replace_strict(ADMIN_MAP, default=None)
    ).drop_nulls("_k")
    counts = base.select("_i")
    if adm_long.height:
        wide = adm_long.pivot(on="_k", index="_i", values="_v", aggregate_function="last")
        counts = counts.join(wide, on="_i", how="left")
    return counts.with_columns(
        pl.lit(None, dtype=pl.Int64).alias(c)
        for c in OFFICIAL_COUNT_COLS
        if c not in counts.columns
    )


def fast_read(
    lines: pl.DataFrame, rel: str, jenis: str, pull: dt.datetime | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Bundle lines (``_i``, ``sumber_baris``, ``line``) -> (rows, votes, the lines left to be
    read record by record: any line not in the layout or holding anything but plain numbers/null
    in chart/administrasi — same result, only slower)."""
    cand = _values(_fields(lines)).filter(pl.col("_fast"))
    adm_long = _pairs_long(cand.filter(pl.col("adm") != "null"), "adm")
    chart_long = _pairs_long(cand.filter(pl.col("chart") != "null"), "chart")
    bad = pl.concat([adm_long.filter(~pl.col("_ok")), chart_long.filter(~pl.col("_ok"))])["_i"]
    good = cand.filter(~pl.col("_i").is_in(bad.implode()))
    slow = lines.join(good.select("_i"), on="_i", how="anti")
    adm_long = adm_long.join(good.select("_i"), on="_i", how="semi")
    chart_long = chart_long.join(good.select("_i"), on="_i", how="semi")
    base = _base(good, jenis)
    votes = chart_long.filter(~((pl.col("_k") == "null") & pl.col("_v").is_null())).select(
        "_i",
        pl.lit(None, dtype=pl.Int64).alias("nomor_urut"),
        _own(pl.col("_k")).alias("paslon_id"),
        pl.col("_v").alias("suara"),
    )
    tarik = pl.lit(pull, dtype=pl.Datetime("us", "UTC")) if pull else pl.col("ts")
    rows = base.join(_counts(base, adm_long), on="_i", how="left").with_columns(
        tarik.alias("waktu_tarik"),
        pl.lit([], dtype=pl.List(pl.String)).alias("masalah"),
        pl.lit(rel).alias("sumber_file"),
        pl.lit(None, dtype=pl.String).alias("sumber_sheet"),
        pl.lit(None, dtype=pl.String).alias("nilai_asli"),
        pl.lit(None, dtype=pl.String).alias("_src_file"),
        pl.lit(None, dtype=pl.Int64).alias("_src_baris"),
    )
    types = {**OFFICIAL_BUILT, "sumber_sheet": pl.String(), "nilai_asli": pl.String()}
    rows = rows.select([pl.col(c).cast(types.get(c, rows.schema[c])) for c in OFFICIAL_ROW_COLS])
    return rows, votes, slow
