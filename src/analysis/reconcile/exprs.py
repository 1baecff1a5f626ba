"""Two small polars helpers the reconciliation steps share: labels from a table, and shares."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl


def first_label(
    table: Sequence[tuple[str, pl.Expr]], otherwise: str | pl.Expr | None = None
) -> pl.Expr:
    """The label of the first ``(label, condition)`` row whose condition holds, else ``otherwise``.

    A null condition does not hold. ``otherwise=None`` leaves the row null.
    """
    default = otherwise if isinstance(otherwise, pl.Expr) else pl.lit(otherwise, dtype=pl.String)
    label, condition = table[0]
    chain = pl.when(condition).then(pl.lit(label))
    for label, condition in table[1:]:
        chain = chain.when(condition).then(pl.lit(label))
    return chain.otherwise(default)


def ratio(num: str, den: str) -> pl.Expr:
    """``num / den``; null when ``den`` is not positive (nothing to divide by)."""
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))
