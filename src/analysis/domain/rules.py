"""Election rules used by more than one stage, each decided once (``docs/domain.md`` §5).

Only rules several stages share live here; a rule used by one check stays in that check's table.
"""

from __future__ import annotations

import math

import polars as pl

# 1e-9 absorbs binary rounding: 240 × 0.025 is 6.000000000000001 in floating point, but 6.
_EPS = 1e-9


def reserve_ballots(dpt: int, share: float) -> int:
    """Reserve ballots a TPS receives for ``dpt`` voters: ``share`` of DPT, rounded up.

    Ballots are whole sheets and the reserve is *at least* ``share`` of the DPT (2.5% in a
    Pilkada, ``docs/domain.md`` §5), so a fraction of a ballot is printed as one more: DPT 241 → ⌈6.025⌉ = 7.
    Rounding up is also the lenient side for a limit: a count that many ballots allow is never
    flagged as impossible.
    """
    return math.ceil(dpt * share - _EPS)


def with_reserve(dpt: int, share: float) -> int:
    """DPT plus its reserve ballots: the most votes a TPS's ballots allow (DPT 241 → 248)."""
    return dpt + reserve_ballots(dpt, share)


def reserve_ballots_expr(dpt: pl.Expr, share: float) -> pl.Expr:
    """:func:`reserve_ballots` over a column."""
    return (dpt * share - _EPS).ceil().cast(pl.Int64)


def with_reserve_expr(dpt: pl.Expr, share: float) -> pl.Expr:
    """:func:`with_reserve` over a column (null stays null)."""
    return (dpt + reserve_ballots_expr(dpt, share)).cast(pl.Int64)
