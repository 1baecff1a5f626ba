"""Cells: raw text to typed values, as polars expressions applied per column.

Numbers are read the Indonesian way (``1.234`` is a thousand two hundred thirty-four, ``98,03%``
a share), times as local time of the zone of the TPS's or region's province unless they carry an
offset, codes as digits or dotted Kemendagri codes (:mod:`analysis.domain.regions`). Each cast is
chosen by the column's type, so dates and codes never meet the number parser. A cell with text
that does not parse is a problem of the row (``masalah``), never an exception.

The expressions here are the specification; :mod:`.evaluate` gives the same results faster on
large batches.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.domain import regions

#: The zone of a code outside every province with a known zone (and of a row without a code):
#: the national desk's, WIB.
WIB = regions.desk_time_zone(regions.NATIONAL)


def cell_text(v: object) -> str | None:
    """A cell as text: Excel numbers lose a spurious ``.0``, datetimes become ISO, blanks None."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    s = str(v).strip()
    return s or None


def int_expr(col: str) -> pl.Expr:
    """Indonesian integer text -> Int64: ``1.234`` and ``1,234`` are thousands, ``12.0`` is 12."""
    s = pl.col(col).cast(pl.String).str.strip_chars().str.replace_all(r"[\s\u00a0]", "")
    s = (
        pl.when(s.str.contains(r"^-?\d{1,3}([.,]\d{3})+$"))
        .then(s.str.replace_all(r"[.,]", ""))
        .when(s.str.contains(r"^-?\d+[.,]0+$"))
        .then(s.str.replace(r"[.,]0+$", ""))
        .otherwise(s)
    )
    return s.cast(pl.Int64, strict=False)


def float_expr(col: str) -> pl.Expr:
    """A share: ``98,03%`` / ``98.03%`` / ``0,9803`` / ``0.9803`` -> 0.9803 (above 1 read as %)."""
    s = pl.col(col).cast(pl.String).str.strip_chars().str.replace_all(r"\s", "")
    pct = s.str.ends_with("%")
    s = s.str.strip_chars_end("%")
    s = (
        pl.when(s.str.contains(r",") & s.str.contains(r"\."))
        .then(s.str.replace_all(r"\.", "").str.replace(",", "."))
        .otherwise(s.str.replace(",", "."))
    )
    v = s.cast(pl.Float64, strict=False)
    return pl.when(pct | (v > 1)).then(v / 100).otherwise(v)


def bool_expr(col: str) -> pl.Expr:
    """Yes/no text (Indonesian or English, ``1``/``0``) -> Boolean; anything else null."""
    s = pl.col(col).cast(pl.String).str.strip_chars().str.to_lowercase()
    return (
        pl.when(s.is_in(["true", "1", "ya", "y", "yes", "benar"]))
        .then(True)
        .when(s.is_in(["false", "0", "tidak", "t", "no", "n", "salah", ""]))
        .then(False)
        .otherwise(None)
    )


def _clean_time_text(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .cast(pl.String)
        .str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})T", "$1 ")
        .str.replace(r"(\d) (\d{1,2})\.(\d{2})(\.(\d{2}))?$", "$1 $2:$3")
        .str.replace(r"\.\d+", "")  # fractional seconds
        .str.replace(r"Z$", "+00:00")
        .str.replace(r" ?(WIB|WITA|WIT)$", "")
        .str.replace(r" (\d):", " 0$1:")
    )


_NAIVE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
)
_OFFSET_FORMATS = ("%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%d %H:%M%:z", "%Y-%m-%d %H:%M:%S%z")


def datetime_expr(col: str, tz_col: str) -> pl.Expr:
    """Time text -> UTC datetime. Text with an offset keeps it; naive text is local time of the
    IANA zone in ``tz_col`` (the TPS's or region's province; docs/domain.md §3)."""
    s = _clean_time_text(col)
    aware = pl.coalesce(
        [s.str.strptime(pl.Datetime("us", "UTC"), f, strict=False) for f in _OFFSET_FORMATS]
    )
    naive = pl.coalesce(
        [s.str.strptime(pl.Datetime("us"), f, strict=False) for f in _NAIVE_FORMATS]
    )
    local = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    for zone in reversed(regions.TIME_ZONES):
        local = (
            pl.when(pl.col(tz_col) == zone)
            .then(naive.dt.replace_time_zone(zone).dt.convert_time_zone("UTC"))
            .otherwise(local)
        )
    return pl.coalesce([aware, local])


def date_expr(col: str) -> pl.Expr:
    """Date text (``2024-11-27``, ``27/11/2024``, ``27-11-2024``; a time after it ignored) -> Date."""
    s = pl.col(col).cast(pl.String).str.strip_chars().str.slice(0, 10)
    return pl.coalesce(
        [s.str.strptime(pl.Date, f, strict=False) for f in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")]
    )


def zone_expr(code_col: str, default: str = WIB) -> pl.Expr:
    """The IANA zone a region or TPS code's time is read in (its province's; docs/domain.md §3), else
    ``default``."""
    return pl.coalesce(regions.time_zone_expr(code_col), pl.lit(default))


def digits_expr(col: str) -> pl.Expr:
    """Only the digits of a code (KPU form)."""
    return pl.col(col).cast(pl.String).str.replace_all(r"\D", "")


def dotted_code_expr(col: str) -> pl.Expr:
    """Region code with or without dots -> dotted Kemendagri code (``1671011001`` -> ``16.71.01.1001``);
    text whose digits are no code's length is kept as written (stripped), for the checks to name."""
    d = digits_expr(col)
    return (
        pl.when(d.str.len_chars().is_in(list(regions.KPU_LENGTH.values())))
        .then(regions.dotted_expr(d))
        .otherwise(pl.col(col).cast(pl.String).str.strip_chars())
    )


def jenis_expr(col: str) -> pl.Expr:
    """``Gubernur``/``Pilgub``/``pkwkp`` -> pkwkp; ``Bupati``/``Wali Kota``/``pkwkk`` -> pkwkk; president -> ppwp."""
    s = pl.col(col).cast(pl.String).str.to_lowercase().str.replace_all(r"[^a-z]", "")
    return (
        pl.when(s.str.contains("pkwkp|gub"))
        .then(pl.lit(regions.JENIS_GUBERNUR))
        .when(s.str.contains("pkwkk|bup|wali|walkot|kota|kabupaten"))
        .then(pl.lit(regions.JENIS_BUPATI))
        .when(s.str.contains("ppwp|presiden|pilpres"))
        .then(pl.lit(regions.JENIS_PRESIDEN))
        .otherwise(None)
    )


def contest_expr(jenis_col: str, code_col: str) -> pl.Expr:
    """The contest code from jenis + any region/TPS code inside the contest's region (the province
    for pkwkp, the kab/kota for pkwkk, none for ppwp): :func:`analysis.domain.regions.kpu_contest`."""
    return regions.kpu_contest_expr(jenis_col, digits_expr(code_col))


def unreadable(raw: pl.Expr, parsed: pl.Expr) -> pl.Expr:
    """A cell whose text is set but did not parse."""
    return raw.is_not_null() & (raw.cast(pl.String).str.strip_chars() != "") & parsed.is_null()


def problems_expr(checks: list[tuple[str, pl.Expr, pl.Expr]]) -> pl.Expr:
    """``masalah`` list: for each (column, raw text, parsed value) where text is set but unparsable."""
    parts = []
    for col, raw, parsed in checks:
        message = pl.concat_str(
            pl.lit(f"format: kolom {col} berisi "),
            pl.lit("'"),
            raw.cast(pl.String),
            pl.lit("' yang tidak terbaca"),
        )
        parts.append(pl.when(unreadable(raw, parsed)).then(message))
    if not parts:
        return pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(parts).list.drop_nulls()
