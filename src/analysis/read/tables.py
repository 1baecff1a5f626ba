"""Table files (CSV/xlsx) of a kind -> one raw text frame: canonical columns + lineage + ``_i``.

Two ways to read a CSV body, one result: the ``csv`` module (the specification, ``native=False``)
and polars' native reader on many files at once (:mod:`.native`, the default, which falls back to
the ``csv`` module for anything it cannot take). Typing the text is :func:`.coerce.coerce`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from analysis.read.frames import parts_frame
from analysis.read.native import NativeBatch
from analysis.read.result import FileRead
from analysis.read.sheets import TablePart, table_parts

TABLE_SUFFIXES = (".csv", ".xlsx", ".txt", ".tsv")
_BATCH_ROWS = 100_000  # rows held as Python objects or waiting for a native read, per frame


def read_table_raw(
    kind: str, data: bytes, rel: str, suffix: str = ".csv", *, native: bool = True
) -> FileRead:
    """Any CSV/xlsx of ``kind`` -> its rows as text in canonical columns + lineage + ``_i``
    (ingest reads every file this way and coerces a whole batch at once: far faster).
    ``native=False`` reads a CSV body with the ``csv`` module only: the specification."""
    if not native:
        parts, notes, error = table_parts(kind, data, rel, suffix)
        if error is not None:
            return FileRead(kind, error=error)
        return FileRead(kind, rows=parts_frame(kind, parts), notes=notes)
    chunks = _Chunks(kind)
    chunks.add(rel, None, suffix, lambda: data)
    frame, _ = chunks.finish()
    _, error, notes = chunks.outcome[0]
    if error is not None or frame is None:
        return FileRead(kind, error=error)
    return FileRead(kind, rows=frame, notes=notes)


def read_tables_raw(
    kind: str, files: Sequence[tuple[Path, str, str]]
) -> tuple[pl.DataFrame | None, list[tuple[str, str | None, str | None]]]:
    """Many CSV/xlsx files of one kind (``(path, rel, sha256)``) -> one raw text frame (as
    :func:`read_table_raw`, plus ``_sha``) and per file ``(rel, error, notes)``; like
    :func:`.files.read_file`, never raises on bad data. CSV bodies are read natively in batches."""
    chunks = _Chunks(kind)
    for path, rel, sha in files:
        suffix = path.suffix.lower()
        if suffix not in TABLE_SUFFIXES:
            chunks.reject(rel, f"akhiran {suffix or '(tanpa)'} bukan .csv atau .xlsx")
        else:
            chunks.add(rel, sha, suffix, path.read_bytes)
    return chunks.finish()


class _Chunks:
    """Files of one kind read into frames of at most about :data:`_BATCH_ROWS` rows each (bounds
    the objects held), with each file's outcome."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.batch = NativeBatch()
        self.parts: list[TablePart] = []
        self.pending = 0
        self.frames: list[pl.DataFrame] = []
        self.outcome: list[list] = []  # [rel, error, notes (list)]

    def reject(self, rel: str, error: str) -> None:
        self.outcome.append([rel, error, []])

    def add(self, rel: str, sha: str | None, suffix: str, load: Callable[[], bytes]) -> None:
        """One file: its sheets' parts join the chunk (CSV bodies wait for the native read)."""
        if self.pending + self.batch.pending_rows() > _BATCH_ROWS:
            self._flush()
        try:
            parts, notes, error = table_parts(self.kind, load(), rel, suffix, self.batch)
        except OSError as exc:
            parts, notes, error = [], [], f"tidak bisa dibaca ({exc.strerror})"
        except Exception as exc:  # noqa: BLE001 - one message, never a traceback
            parts, notes, error = [], [], f"gagal dibaca ({type(exc).__name__}: {exc})"
        for p in parts:
            p.sha = sha
            self.pending += p.n_rows
        self.parts.extend(parts)
        self.outcome.append([rel, error, notes])

    def _flush(self) -> None:
        self.batch.resolve()
        failed = {p.rel: p.error for p in self.parts if p.error is not None}
        for o in self.outcome:
            if o[0] in failed and o[1] is None:
                o[1], o[2] = failed[o[0]], []
        kept = [p for p in self.parts if p.rel not in failed]
        if kept:
            self.frames.append(parts_frame(self.kind, kept))
        self.parts, self.pending = [], 0

    def finish(self) -> tuple[pl.DataFrame | None, list[tuple[str, str | None, str | None]]]:
        self._flush()
        frame = pl.concat(self.frames, how="diagonal_relaxed") if self.frames else None
        return frame, [(o[0], o[1], "; ".join(o[2]) or None) for o in self.outcome]
