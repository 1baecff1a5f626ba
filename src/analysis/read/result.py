"""What a reader gives back: :class:`FileRead`, and :class:`ReadError` for a file read no further."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl


@dataclass
class FileRead:
    """What one raw file yielded.

    ``rows``: one row per data row of the file (grain of the dataset's raw form), canonical typed
    columns + lineage + ``masalah`` + ``_i``. ``votes``: for tally/official/official_region, one
    row per raw row × paslon (``_i``, ``nomor_urut`` and/or ``paslon_id``, ``suara``).
    ``error``: a file-level rejection message, then ``rows`` is empty.
    """

    kind: str
    rows: pl.DataFrame = field(default_factory=pl.DataFrame)
    votes: pl.DataFrame | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    line_table: pl.DataFrame | None = None  # bundles: see jsonl_line_table (not cached)


class ReadError(Exception):
    """A whole file is unreadable; the message names the reason (the caller adds the file)."""
