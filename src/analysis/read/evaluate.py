"""The cell expressions of :mod:`.cells`, evaluated only where they are needed.

The expressions are row-wise pure; on a whole national batch they are costly (a dozen regex and
strptime passes per column). These helpers give exactly their result at a fraction of the cost: a
plain cast where the text is already clean, the full expression only on the distinct values (or
the rows) that need it. ``tests/test_read_properties.py`` checks the equality on generated text.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analysis.read.cells import datetime_expr, int_expr, problems_expr, unreadable


def by_unique(df: pl.DataFrame, cols: Sequence[str], expr: pl.Expr) -> pl.Series:
    """``expr`` (row-wise, reading only ``cols``) evaluated once per distinct value of ``cols``."""
    u = df.select(cols).unique().with_columns(expr.alias("_by_unique"))
    return (
        df.select(cols)
        .join(u, on=list(cols), how="left", nulls_equal=True, maintain_order="left")
        .get_column("_by_unique")
    )


def parse_ints(df: pl.DataFrame, cols: Sequence[str], prefix: str = "_p_") -> pl.DataFrame:
    """Add ``<prefix><col>`` = :func:`int_expr` of each column: text that casts to an integer as it
    is (after stripping) needs no rewriting, so only the distinct other texts go through
    :func:`int_expr` (same result, a fraction of the regex work)."""
    df = df.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False).alias(prefix + c)
        for c in cols
    )
    fixes = []
    for c in cols:
        bad = (
            df.filter(pl.col(prefix + c).is_null() & pl.col(c).is_not_null())
            .select(pl.col(c).cast(pl.String))
            .unique()
        )
        if bad.height:
            lut = bad.with_columns(int_expr(c).alias("_v"))
            mapped = (
                pl.col(c)
                .cast(pl.String)
                .replace_strict(lut[c], lut["_v"], default=None, return_dtype=pl.Int64)
            )
            fixes.append(pl.coalesce(pl.col(prefix + c), mapped).alias(prefix + c))
    return df.with_columns(fixes) if fixes else df


def parse_datetime(df: pl.DataFrame, col: str, tz_col: str) -> pl.Series:
    """:func:`datetime_expr` once per distinct (text, zone) pair."""
    return by_unique(
        df.with_columns(pl.col(col).cast(pl.String)), [col, tz_col], datetime_expr(col, tz_col)
    )


def problems_sparse(df: pl.DataFrame, checks: list[tuple[str, pl.Expr, pl.Expr]]) -> pl.Series:
    """:func:`.cells.problems_expr` for every row of ``df``, the messages built only on rows with a problem."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    if df.height == 0:
        return pl.Series("masalah", [], dtype=pl.List(pl.String))
    if not checks:
        return _empty_lists(df.height)
    bad = [unreadable(raw, parsed) for _, raw, parsed in checks]
    k = df.select(pl.any_horizontal(bad).fill_null(False).arg_true().alias("_k")).to_series()
    if k.len() == 0:
        return _empty_lists(df.height)
    sub = (
        df[k]
        .select(problems_expr(checks).alias("masalah"))
        .with_columns(k.cast(pl.Int64).alias("_k"))
    )
    return (
        pl.DataFrame({"_k": pl.arange(0, df.height, eager=True).cast(pl.Int64)})
        .join(sub, on="_k", how="left", maintain_order="left")
        .select(pl.col("masalah").fill_null(empty))
        .to_series()
    )


def _empty_lists(n: int) -> pl.Series:
    """``n`` empty ``masalah`` lists."""
    return (
        pl.DataFrame({"_k": pl.zeros(n, dtype=pl.Int8, eager=True)})
        .select(pl.lit([], dtype=pl.List(pl.String)).alias("masalah"), "_k")
        .get_column("masalah")
    )
