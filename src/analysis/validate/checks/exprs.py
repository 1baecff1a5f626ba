"""Small polars expressions the check tables are written with: values in messages, counts of
conditions, times in WIB."""

from __future__ import annotations

import datetime as dt

import polars as pl


def shown(col: str | pl.Expr) -> pl.Expr:
    """A value rendered for a message ("kosong" when null)."""
    e = pl.col(col) if isinstance(col, str) else col
    return e.cast(pl.String).fill_null("kosong")


def msg(check_id: str, template: str, *values: str | pl.Expr) -> pl.Expr:
    """``"<check id>: <template>"`` with each ``{}`` filled by a value of the row."""
    return pl.format(f"{check_id}: {template}", *(shown(v) for v in values))


def absdiff(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (a - b).abs()


def wib(col: str) -> pl.Expr:
    """A datetime column as ``2024-11-27 16:05 WIB`` text."""
    return pl.col(col).dt.convert_time_zone("Asia/Jakarta").dt.strftime("%Y-%m-%d %H:%M WIB")


def utc(ts: dt.datetime) -> pl.Expr:
    """An aware datetime as a UTC literal comparable with the canonical datetime columns."""
    naive = ts.astimezone(dt.UTC).replace(tzinfo=None)
    return pl.lit(naive, dtype=pl.Datetime("us")).dt.replace_time_zone("UTC")


def listed(names_and_conds: list[tuple[str | pl.Expr, pl.Expr]]) -> pl.Expr:
    """Comma-joined text of the labels whose condition holds (labels may be expressions)."""
    parts = [
        pl.when(cond).then(pl.lit(label) if isinstance(label, str) else label)
        for label, cond in names_and_conds
    ]
    return pl.concat_list(parts).list.drop_nulls().list.join(", ")


def count_true(conds: list[pl.Expr]) -> pl.Expr:
    """How many of ``conds`` hold in the row (a null condition does not count)."""
    return pl.sum_horizontal([c.fill_null(False).cast(pl.Int64) for c in conds])


def values_listed(conds: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """``kolom=nilai`` of every column whose condition holds, comma-joined."""
    return listed([(pl.format("{}={}", pl.lit(c), shown(c)), cond) for c, cond in conds])
