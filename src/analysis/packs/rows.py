"""A unit's rows of a prepared table, found through indexes instead of a scan of the table.

A warm kernel (and each fingerprinting worker, :mod:`analysis.packs.carry`) slices the same
in-memory tables for hundreds of units; filtering a table of half a million rows for each unit
costs a full scan each time. The conditions a pack selects rows by are few and simple — a column
equal to one of some codes (:class:`Eq`), a code column inside a unit (:class:`Inside`, the rule of
:func:`analysis.domain.regions.inside_expr`), a column without a value (:class:`Missing`) — and a
selection is the union of some of them. :func:`select` answers it from an index built once per
table object and column (the row numbers per value, per unit prefix), so a unit's slice costs what
its rows cost. The rows come in the table's order, with its schema: the same frame as
``df.filter(where_expr(*conditions))``, which ``tests/test_pack_rows.py`` checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.domain import regions


@dataclass(frozen=True)
class Eq:
    """``col`` equals one of ``values`` (a missing value equals nothing)."""

    col: str
    values: tuple[str, ...]

    def __init__(self, col: str, values: Iterable[str]) -> None:
        object.__setattr__(self, "col", col)
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class Inside:
    """The dotted code in ``col`` lies in ``unit`` (itself included); every row for ``"00"``."""

    col: str
    unit: str


@dataclass(frozen=True)
class Missing:
    """``col`` has no value."""

    col: str


Condition = Eq | Inside | Missing


def expr(c: Condition) -> pl.Expr:
    """The polars expression of one condition (what :func:`select` answers without scanning)."""
    if isinstance(c, Eq):
        return pl.col(c.col).is_in(list(c.values))
    if isinstance(c, Inside):
        return regions.inside_expr(c.col, c.unit)
    return pl.col(c.col).is_null()


def where_expr(*conditions: Condition) -> pl.Expr:
    """The expression of the union of ``conditions`` (a row matching none is left out)."""
    if not conditions:
        return pl.lit(False)
    out = expr(conditions[0]).fill_null(False)
    for c in conditions[1:]:
        out = out | expr(c).fill_null(False)
    return out


# --- Indexes --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    """Row numbers grouped by key: ``rows[start[k]:end[k]]`` are the rows of key ``k``, ascending."""

    rows: np.ndarray
    bounds: dict[object, tuple[int, int]]

    def of(self, key: object) -> np.ndarray:
        b = self.bounds.get(key)
        return self.rows[b[0] : b[1]] if b is not None else _NONE


_NONE = np.empty(0, dtype=np.uint32)


def _build(keys: pl.Series) -> _Index:
    frame = pl.DataFrame({"k": keys, "i": pl.int_range(len(keys), dtype=pl.UInt32, eager=True)})
    frame = frame.filter(pl.col("k").is_not_null()).sort("k", maintain_order=True)
    runs = frame.group_by("k", maintain_order=True).agg(pl.len().alias("n"))
    ends = np.cumsum(runs["n"].to_numpy())
    starts = ends - runs["n"].to_numpy()
    bounds = dict(
        zip(runs["k"].to_list(), zip(starts.tolist(), ends.tolist(), strict=True), strict=True)
    )
    return _Index(frame["i"].to_numpy(), bounds)


def _prefix_keys(col: pl.Series, depth: int) -> pl.Series:
    """Per row, the unit at ``depth`` its code lies in by :func:`regions.inside_expr`'s rule (the
    first characters equal the unit and the code ends there or goes on with a dot); else null."""
    n = regions.CODE_LENGTH[depth]
    c = pl.col("c")
    ends_there = (c.str.len_chars() == n) | (c.str.slice(n, 1) == ".")
    key = pl.when(ends_there).then(c.str.slice(0, n))
    return pl.DataFrame({"c": col.cast(pl.String)}).select(key.alias("k"))["k"]


# (id of the key frame, what) -> (the frame, its index); the frame is kept so its id stays its own.
_INDEXES: dict[tuple[int, tuple], tuple[pl.DataFrame, object]] = {}
_LIMIT = 256


def _cached(on: pl.DataFrame, what: tuple, make) -> object:
    key = (id(on), what)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0] is on:
        return hit[1]
    if len(_INDEXES) > _LIMIT:
        _INDEXES.clear()
    value = make()
    _INDEXES[key] = (on, value)
    return value


def _matching(on: pl.DataFrame, c: Condition) -> np.ndarray | None:
    """The row numbers of ``on`` matching ``c``; None for every row."""
    if isinstance(c, Eq):
        index = _cached(on, ("eq", c.col), lambda: _build(on[c.col].cast(pl.String)))
        parts = [index.of(v) for v in dict.fromkeys(c.values)]
        return np.concatenate(parts) if parts else _NONE
    if isinstance(c, Inside):
        if c.unit == regions.NATIONAL:
            return None
        d = regions.depth(c.unit)
        if len(c.unit) != regions.CODE_LENGTH.get(d, -1):  # not a unit's code: scan
            return np.flatnonzero(on.select(expr(c).fill_null(False)).to_series().to_numpy())
        index = _cached(on, ("inside", c.col, d), lambda: _build(_prefix_keys(on[c.col], d)))
        return index.of(c.unit)
    return _cached(on, ("missing", c.col), lambda: np.flatnonzero(on[c.col].is_null().to_numpy()))


def select(
    df: pl.DataFrame, *conditions: Condition, on: pl.DataFrame | None = None
) -> pl.DataFrame:
    """The rows of ``df`` matching any of ``conditions``, in ``df``'s order; the conditions are
    read on ``on`` (a frame of the same rows with extra key columns) when given."""
    keys = df if on is None else on
    found: list[np.ndarray] = []
    for c in conditions:
        rows = _matching(keys, c)
        if rows is None:
            return df
        found.append(rows)
    if not found:
        return df.clear()
    picked = np.unique(np.concatenate(found)) if len(found) > 1 else np.sort(found[0])
    return df[pl.Series(picked, dtype=pl.UInt32)] if picked.size else df.clear()
