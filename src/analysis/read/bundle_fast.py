"""The fast path for bundle lines: vectorised reading of the compact layout the demo and the
bundling tools write, with literal string operations, no JSON parser.

It reads only the lines that match :data:`LAYOUT` — one regular grammar for the whole line: the
keys in their usual order, ASCII only, strings without escapes, chart/administrasi flat objects of
plain integers or null — and for those it gives exactly the rows of :class:`.sirekap.OfficialBuilder`
(the specification; ``tests/test_read_properties.py`` checks the equality on generated bundles).
Any other line (other key order, odd values, escapes, a key written twice, no time at all) is
handed back to be read record by record: same result, only slower.
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


def _chars(excluded: str) -> str:
    """A regex class of the printable ASCII characters but ``excluded`` (as hex ranges)."""
    keep = [c for c in range(0x20, 0x7F) if chr(c) not in excluded]
    ranges, start = [], keep[0]
    for a, b in zip(keep, [*keep[1:], None], strict=True):
        if b != a + 1:
            ranges.append(rf"\x{start:02x}" + (rf"-\x{a:02x}" if a != start else ""))
            start = b
    return "[" + "".join(ranges) + "]"


_STR = '"' + _chars('"\\') + '*"'  # a JSON string without escapes
_KEY = '"' + _chars('"\\{}[],:') + '*"'  # ... nor anything that splits a section
_INT = "-?(?:0|[1-9][0-9]*)"  # a JSON integer (no leading zero, no plus)
_PAIR = f"{_KEY}:(?:null|{_INT})"
_SECTION = rf"(?:null|\{{(?:{_PAIR}(?:,{_PAIR})*)?\}})"
_TS = r'(?:null|"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-5][0-9]")'
_WORD = "(?:true|false|null)"

#: The one line layout the fast path reads (13-digit TPS code, record keys in this order).
LAYOUT = (
    rf'^\{{"kode_tps":"[0-9]{{{regions.TPS_CODE_DIGITS}}}","record":\{{"ts":{_TS}'
    rf',"psu":(?:null|{_STR}),"images":\[(?:{_STR}(?:,{_STR})*)?\]'
    rf',"tungsura":\{{"chart":{_SECTION},"administrasi":{_SECTION}\}}'
    rf',"status_suara":{_WORD},"status_adm":{_WORD}\}}\}}$'
)
_CODE_AT = len('{"kode_tps":"')
_TS_AT = _CODE_AT + regions.TPS_CODE_DIGITS + len('","record":{"ts":')
_CHART_MARK = '"tungsura":{"chart":'  # once per line in the layout: no key holds an object

_LINE = pl.col("line")


def _own(text: pl.Expr) -> pl.Expr:
    """A copy of sliced text in fresh buffers. A polars string slice is a view that keeps the whole
    buffer it was cut from alive: without the copy each bundle's line text (hundreds of MB) would
    stay in memory for as long as the TPS codes cut from it."""
    return pl.concat_str(text, pl.lit(""))


def _value_len(at: str) -> pl.Expr:
    """Length of the ``null`` or flat ``{...}`` value starting at column ``at``."""
    rest = _LINE.str.slice(pl.col(at))
    return (
        pl.when(rest.str.starts_with("null"))
        .then(4)
        .otherwise(rest.str.find("}", literal=True) + 1)
    )


def _fields(lines: pl.DataFrame) -> pl.DataFrame:
    """Each field's text cut from a line of the layout, by position (the grammar fixes them);
    the positions are columns, each computed once."""
    ts_len = pl.when(_LINE.str.slice(_TS_AT, 4) == "null").then(4).otherwise(21)
    df = lines.with_columns(
        ts_len.alias("_ts_len"),
        (_LINE.str.find(_CHART_MARK, literal=True) + len(_CHART_MARK)).alias("_chart_at"),
    )
    df = df.with_columns(
        (_TS_AT + pl.col("_ts_len") + len(',"psu":')).alias("_psu_at"),
        _value_len("_chart_at").alias("_chart_len"),
    )
    df = df.with_columns(
        (pl.col("_chart_at") + pl.col("_chart_len") + len(',"administrasi":')).alias("_adm_at")
    )
    df = df.with_columns(_value_len("_adm_at").alias("_adm_len"))
    ss_at = pl.col("_adm_at") + pl.col("_adm_len") + len('},"status_suara":')
    psu_text = _LINE.str.slice(pl.col("_psu_at") + 1)
    return df.select(
        "_i",
        "sumber_baris",
        _LINE.str.slice(_CODE_AT, regions.TPS_CODE_DIGITS).alias("kode"),
        _LINE.str.slice(_TS_AT, pl.col("_ts_len")).alias("ts"),
        pl.when(_LINE.str.slice(pl.col("_psu_at"), 4) != "null")
        .then(psu_text.str.slice(0, psu_text.str.find('"', literal=True)))
        .alias("psu"),
        _LINE.str.slice(pl.col("_chart_at"), pl.col("_chart_len")).alias("chart"),
        _LINE.str.slice(pl.col("_adm_at"), pl.col("_adm_len")).alias("adm"),
        _LINE.str.slice(ss_at, 5).alias("ss"),
        _LINE.str.tail(7).alias("sa"),
    )


def _pairs_long(parts: pl.DataFrame, col: str) -> pl.DataFrame:
    """Flat ``{"k":1,"j":null}`` sections -> one row per pair: ``_k``, ``_v`` and ``_ok`` (the value
    fits an Int64)."""
    p = (
        parts.select(
            "_i", pl.col(col).str.strip_prefix("{").str.strip_suffix("}").str.split(",").alias("_p")
        )
        .explode("_p")
        .filter(pl.col("_p") != "")
    )
    cut = pl.col("_p").str.find(":", literal=True)
    val = pl.col("_p").str.slice(cut + 1)
    v = val.cast(pl.Int64, strict=False)
    return p.select(
        "_i",
        pl.col("_p").str.slice(1, cut - 2).alias("_k"),
        v.alias("_v"),
        ((val == "null") | v.is_not_null()).alias("_ok"),
    )


def _unread(pairs: pl.DataFrame) -> pl.Series:
    """Lines (``_i``) a section's pairs leave to the record-by-record reader: a value beyond
    Int64, or a key written twice (JSON keeps the last, at the first one's place)."""
    per_line = pairs.group_by("_i").agg(
        pl.col("_ok").all().alias("_ok"), (pl.len() == pl.col("_k").n_unique()).alias("_once")
    )
    return per_line.filter(~(pl.col("_ok") & pl.col("_once")))["_i"]


def _flag(text: pl.Expr) -> pl.Expr:
    """``true``/``false`` in a short cut of text (``true,``, ``:false}}``); else null."""
    return (
        pl.when(text.str.contains("true", literal=True))
        .then(True)
        .when(text.str.contains("false", literal=True))
        .then(False)
    )


def _base(good: pl.DataFrame, jenis: str) -> pl.DataFrame:
    """One row per line read: codes, times and flags."""
    ts = (
        pl.when(pl.col("ts") != "null")
        .then(pl.col("ts").str.slice(1, 19).str.replace("T", " ", literal=True))
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
        # as parse_ts: a fixed UTC+7, not the zone database (Asia/Jakarta was +7:30 before 1964)
        .sub(pl.lit(KPU_UTC_OFFSET))
        .dt.replace_time_zone("UTC")
    )
    return good.select(
        "_i",
        "sumber_baris",
        _own(pl.col("kode")).alias("kode_tps"),
        regions.kpu_contest_expr(pl.lit(jenis), "kode").alias("kode_kontestasi"),
        ts.alias("ts"),
        _flag(pl.col("ss")).alias("status_suara"),
        _flag(pl.col("sa")).alias("status_adm"),
        _own(pl.col("psu")).alias("psu"),
        (pl.col("chart") != "null").alias("ada_chart"),
        (pl.col("adm") != "null").alias("ada_administrasi"),
    )


def _counts(base: pl.DataFrame, adm_long: pl.DataFrame) -> pl.DataFrame:
    """The administrasi counts per line (``_i``), every count column present; a count named by
    two keys takes the later one, as the record-by-record reader does."""
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
    read record by record: any line not in :data:`LAYOUT`, with a count beyond Int64 or a key
    written twice, or without a time when the file is in no pull folder)."""
    cand = _fields(lines.filter(_LINE.str.contains(LAYOUT)))
    if pull is None:  # the row needs the record's own time (else it is a problem of the row)
        cand = cand.filter(pl.col("ts") != "null")
    adm_long = _pairs_long(cand.filter(pl.col("adm") != "null"), "adm")
    chart_long = _pairs_long(cand.filter(pl.col("chart") != "null"), "chart")
    bad = pl.concat([_unread(adm_long), _unread(chart_long)])
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
