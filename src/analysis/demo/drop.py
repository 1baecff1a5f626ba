"""The drop being written: its folder, the files in it, the faults injected, and how text is encoded.

Every source module writes through :class:`Drop` so that ``manifest.json`` lists each file (with
the dataset it holds and how it is formatted) and each injected fault (where it sits).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from analysis.fmt import angka


@dataclass
class Drop:
    """Bookkeeping of one generation: the folder, the files written, the faults injected."""

    out: Path
    files: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)

    def rel(self, p: Path) -> str:
        """A file's path inside the drop, as the manifest writes it."""
        return p.relative_to(self.out).as_posix()

    def add_file(self, p: Path, dataset: str, rows: int, **meta: Any) -> None:
        self.files.append({"path": self.rel(p), "dataset": dataset, "rows": rows, **meta})

    def folder(self, name: str) -> Path:
        """A new top-level folder of the drop."""
        path = self.out / name
        path.mkdir(parents=True)
        return path


def csv_text(header: list[str], rows: list[list[Any]], sep: str) -> str:
    """A CSV document (``\\n`` line ends, minimal quoting)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def encode(text: str, encoding: str) -> bytes:
    """Bytes as a sender's tool would save them: UTF-8, UTF-8 with a BOM, or cp1252."""
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "cp1252":
        return text.encode("cp1252", errors="replace")
    return text.encode("utf-8")


def thousands(v: int) -> str:
    """``1234567`` → ``1.234.567``: a count as an Indonesian spreadsheet writes it."""
    return angka(v)


def thousands_expr(col: str) -> pl.Expr:
    """:func:`thousands` over an integer column of counts below one million (the tally's)."""
    c = pl.col(col)
    grouped = pl.concat_str(
        (c // 1000).cast(pl.String), pl.lit("."), (c % 1000).cast(pl.String).str.zfill(3)
    )
    return pl.when(c.abs() >= 1000).then(grouped).otherwise(c.cast(pl.String))
