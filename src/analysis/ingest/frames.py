"""Small frame helpers the rule modules share."""

from __future__ import annotations

import polars as pl

#: An empty list of reasons (``alasan``, ``peringatan``).
EMPTY_LIST = pl.lit([], dtype=pl.List(pl.String))


def attach(df: pl.DataFrame, other: pl.DataFrame, on: str | list[str] = "_rid") -> pl.DataFrame:
    """``df`` left-joined with ``other`` (unique on ``on``), keeping ``df``'s row order, without
    copying ``df``'s own columns: the join runs on the key alone and the new columns are added
    beside the old ones (a join of the wide frame itself would copy every column)."""
    keys = [on] if isinstance(on, str) else on
    aligned = df.select(keys).join(other, on=keys, how="left", maintain_order="left")
    return df.with_columns(aligned.drop(keys).get_columns())


def lineage_ref() -> pl.Expr:
    """A row's place in the drop as text, ``"<file>:<row>"`` (how ``digantikan_oleh`` names it)."""
    return pl.concat_str(pl.col("sumber_file"), pl.lit(":"), pl.col("sumber_baris").cast(pl.String))
