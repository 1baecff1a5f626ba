"""A table file's sheets and their data rows: a CSV (one sheet, :mod:`.csvtext`) or every sheet of
an ``.xlsx`` (openpyxl, read-only, cached values not formulas), recognised by content, not by the
suffix. Each sheet with a usable header gives a :class:`TablePart`: its data rows as text under
the canonical column mapping, before any frame is built (:mod:`.frames` builds them per batch)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from analysis.read.cells import cell_text
from analysis.read.csvtext import CsvText
from analysis.read.headers import HEADER_SCAN, find_header
from analysis.read.result import ReadError

if TYPE_CHECKING:
    from analysis.read.native import NativeBatch

Rows = list[list[object]]


@dataclass
class TablePart:
    """One sheet's data rows as text, before any frame is built (frames are built per batch)."""

    rel: str
    sheet: str | None
    first_row: int  # sumber_baris of the first body row
    mapping: dict[int, str]
    names: list[str]
    body: Rows
    sha: str | None = None
    frame: pl.DataFrame | None = None  # the body read natively (CSV); then ``body`` is empty
    error: str | None = None  # the body turned out unreadable (file rejected whole)
    entry: int | None = None  # its body's number in the shared native frame (``_e``)

    @property
    def n_rows(self) -> int:
        """Rows held as Python lists (a natively read body is not counted)."""
        return len(self.body)


def padded(body: Rows, width: int) -> Rows:
    """Rows cut or padded to ``width`` cells of text (CSV: ``""``; Excel: ``None`` after
    :func:`.cells.cell_text`)."""
    if all(type(v) is str for r in body[:50] for v in r):  # CSV: text already
        return [r[:width] + [""] * (width - len(r)) for r in body]
    return [[cell_text(v) for v in r[:width]] + [None] * (width - len(r)) for r in body]


def xlsx_sheets(data: bytes) -> list[tuple[str, Rows]]:
    """Every sheet of a workbook with its rows of cached values."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(
            f"bukan berkas Excel .xlsx yang sah ({type(exc).__name__}: {exc})"
        ) from None
    try:
        return [
            (ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in wb.worksheets
        ]
    except Exception as exc:  # noqa: BLE001 - a corrupt workbook can fail in many ways
        raise ReadError(f"isi Excel rusak ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()


def sheets_of(data: bytes, suffix: str) -> list[tuple[str | None, Rows | CsvText]]:
    """The file's tables: sniffed by content, not trusted from the suffix."""
    if not data:
        raise ReadError("berkas kosong (0 byte)")
    if data.startswith(b"PK\x03\x04"):
        return list(xlsx_sheets(data))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError("format Excel lama (.xls) tidak didukung; simpan ulang sebagai .xlsx")
    if suffix == ".xlsx":
        raise ReadError("berakhiran .xlsx tetapi isinya bukan berkas Excel")
    if data.lstrip()[:1] in (b"{", b"["):
        raise ReadError("berisi JSON, bukan tabel CSV")
    return [(None, CsvText(data))]


def table_part(
    kind: str,
    rows: Rows | CsvText,
    sheet: str | None,
    rel: str,
    batch: NativeBatch | None = None,
) -> tuple[TablePart | None, str | None]:
    """The data rows of one sheet (canonical column mapping) or a reason it has no data. A CSV
    body is left to ``batch`` when given and possible, else read by the ``csv`` module."""
    csvt = rows if isinstance(rows, CsvText) else None
    head = csvt.head(HEADER_SCAN + 1) if csvt is not None else rows
    header, why = find_header(kind, head)  # type: ignore[arg-type]
    if header is None:
        return None, why
    skip = header.row + 1
    part = TablePart(rel, sheet, skip + 1, header.mapping, header.names, [])
    if csvt is None:
        part.body = padded(rows[skip:], len(part.names))  # type: ignore[index]
        return part, None
    body = csvt.body_bytes(skip) if batch is not None else None
    if batch is not None and body is not None:
        batch.add(part, csvt, body, skip)  # the rows come with the batch
    else:
        part.body = padded(csvt.rows()[skip:], len(part.names))
    return part, None


def table_parts(
    kind: str, data: bytes, rel: str, suffix: str = ".csv", batch: NativeBatch | None = None
) -> tuple[list[TablePart], list[str], str | None]:
    """The sheets of a CSV/xlsx with data (as :class:`TablePart`), notes on skipped sheets, and
    the file-level error (no sheet with data). With ``batch``, a CSV body may be left to it: its
    part has no rows until :meth:`.native.NativeBatch.resolve`; without, the ``csv`` module reads
    it (the specification)."""
    try:
        sheets = sheets_of(data, suffix)
    except ReadError as exc:
        return [], [], str(exc)
    parts, reasons = [], []
    for name, rows in sheets:
        try:
            part, why = table_part(kind, rows, name, rel, batch)
        except ReadError as exc:
            return [], [], str(exc)
        if part is not None:
            parts.append(part)
        elif name is not None:
            reasons.append(f"lembar {name!r}: {why}")
        else:
            reasons.append(why or "")
    if not parts:
        return [], [], "; ".join(reasons) or "tidak ada tabel"
    return parts, [f"lembar dilewati — {r}" for r in reasons], None
