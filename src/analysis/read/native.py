"""The fast CSV path: the bodies of many CSV files read by one call of polars' native reader.

It gives the cells Python's ``csv`` module gives (:class:`.csvtext.CsvText`, the specification;
``tests/test_read_properties.py`` checks the equality on generated files), at a fraction of the
cost. A sentinel line is put after each body and the rows are split back at the sentinels; a batch
whose sentinel count does not come out right (a quote left open swallows the next file) or that
the native reader refuses is read file by file, and a file it refuses alone by the ``csv`` module.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis.read.csvtext import CsvText
from analysis.read.result import ReadError
from analysis.read.sheets import TablePart, padded

_SENTINEL = "\x1e"  # a control character no CSV a desk sends holds on a line of its own
_BYTES_PER_ROW = 64  # a bound on the rows a body holds, not a count


def native_csv(data: bytes, sep: str, width: int) -> pl.DataFrame:
    """CSV rows as text columns ``_c0`` .. ``_c<width-1>``, the way the ``csv`` module reads
    them: short rows padded with nulls, long ones cut, blank lines kept."""
    return pl.read_csv(
        data,
        has_header=False,
        separator=sep,
        quote_char='"',
        schema={f"_c{i}": pl.String for i in range(width)},
        truncate_ragged_lines=True,
        missing_columns="insert",
        extra_columns="ignore",
        raise_if_empty=False,
    )


@dataclass
class _Entry:
    part: TablePart
    csvt: CsvText
    body: bytes
    skip: int  # rows above the body (title rows and the header)


class NativeBatch:
    """CSV bodies waiting to be read together (:meth:`add`, then :meth:`resolve`)."""

    def __init__(self) -> None:
        self.entries: list[_Entry] = []

    def add(self, part: TablePart, csvt: CsvText, body: bytes, skip: int) -> None:
        """Leave ``part``'s body to the batch: it gets its rows at :meth:`resolve`."""
        self.entries.append(_Entry(part, csvt, body, skip))

    def pending_rows(self) -> int:
        """About how many rows are waiting (an upper bound)."""
        return sum(len(e.body) for e in self.entries) // _BYTES_PER_ROW

    def resolve(self) -> None:
        """Read every waiting body: ``part.frame``/``part.entry``, ``part.body`` (read by the
        ``csv`` module) or ``part.error`` (unreadable) is set on each part."""
        by_sep: dict[str, list[_Entry]] = {}
        for e in self.entries:
            by_sep.setdefault(e.csvt.sep, []).append(e)
        self.entries = []
        for sep, entries in by_sep.items():
            if _read_together(sep, entries):
                continue
            for e in entries:
                if len(entries) == 1 or not _read_together(sep, [e]):
                    _read_by_csv_module(e)


def _read_by_csv_module(e: _Entry) -> None:
    try:
        e.part.body = padded(e.csvt.rows()[e.skip :], len(e.part.names))
    except ReadError as exc:
        e.part.error = str(exc)


def _read_together(sep: str, entries: list[_Entry]) -> bool:
    """One native read of the bodies with a sentinel line after each; False when it fails."""
    width = max(len(e.part.names) for e in entries)
    mark = _SENTINEL.encode()
    pieces: list[bytes] = []
    for e in entries:
        pieces.append(e.body)
        if e.body and not e.body.endswith(b"\n"):
            pieces.append(b"\n")
        pieces.append(mark + b"\n")
    try:
        df = native_csv(b"".join(pieces), sep, width)
    except Exception:  # noqa: BLE001 - anything odd is left to the csv module
        return False
    is_mark = (
        ((pl.col("_c0") == _SENTINEL) & pl.all_horizontal(pl.exclude("_c0").is_null()))
        if width > 1
        else pl.col("_c0") == _SENTINEL
    ).fill_null(False)
    df = df.with_columns(is_mark.alias("_m"))
    if int(df["_m"].sum()) != len(entries) or not df["_m"][-1]:
        return False
    df = (
        df.with_columns(pl.col("_m").cast(pl.Int64).cum_sum().shift(1, fill_value=0).alias("_e"))
        .filter(~pl.col("_m"))
        .drop("_m")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("_e").alias("_r"))
    )
    for k, e in enumerate(entries):
        e.part.frame, e.part.entry = df, k
    return True
