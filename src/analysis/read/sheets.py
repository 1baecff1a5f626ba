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
from analysis.read.sirekap import parse_json

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
    doubles: tuple[str, ...] = ()  # messages on canonical columns the header holds twice

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


@dataclass
class Workbook:
    """A workbook's visible sheets (name, rows of cached values) and what was not read."""

    sheets: list[tuple[str, Rows]]
    notes: list[str]


def xlsx_sheets(data: bytes) -> Workbook:
    """Every visible sheet of a workbook with its rows of cached values. A hidden sheet is not read
    (often a stale copy) but named in the notes; a formula cell without a cached value (the file
    was written by a tool that does not compute) keeps its formula text, so the cell is rejected
    naming it, and the notes name the sheet and columns."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(
            f"bukan berkas Excel .xlsx yang sah ({type(exc).__name__}: {exc})"
        ) from None
    try:
        visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
        notes = [
            f"lembar {ws.title!r} tersembunyi ({ws.sheet_state}): tidak dibaca"
            for ws in wb.worksheets
            if ws.sheet_state != "visible"
        ]
        sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in visible]
    except Exception as exc:  # noqa: BLE001 - a corrupt workbook can fail in many ways
        raise ReadError(f"isi Excel rusak ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()
    if _has_formulas(data):
        notes += _uncached_formulas(data, sheets)
    return Workbook(sheets, notes)


def _has_formulas(data: bytes) -> bool:
    """Whether any sheet of the workbook holds a formula (most hold none: no second read)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return any(
                b"<f" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")
            )
    except Exception:  # noqa: BLE001 - the cached read already succeeded; nothing more to say
        return False


def _uncached_formulas(data: bytes, sheets: list[tuple[str, Rows]]) -> list[str]:
    """Put each formula without a cached value into its cell (as text) and say where they are."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        formulas = {
            ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets
        }
        wb.close()
    except Exception:  # noqa: BLE001
        return []
    notes = []
    for name, rows in sheets:
        where: dict[int, list[int]] = {}
        for i, (row, frow) in enumerate(zip(rows, formulas.get(name, []), strict=False)):
            for j, (v, f) in enumerate(zip(row, frow, strict=False)):
                if v is None and isinstance(f, str) and f.startswith("="):
                    row[j] = f
                    where.setdefault(j, []).append(i + 1)
        if where:
            cols = ", ".join(
                f"{_column_letter(j)} (baris {_rows_text(r)})" for j, r in sorted(where.items())
            )
            notes.append(
                f"lembar {name!r}: rumus tanpa nilai tersimpan di kolom {cols}; buka dan simpan "
                "ulang di Excel agar nilainya terhitung"
            )
    return notes


def _column_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


def _rows_text(rows: list[int], shown: int = 5) -> str:
    more = f", … {len(rows) - shown} lainnya" if len(rows) > shown else ""
    return ", ".join(str(r) for r in rows[:shown]) + more


def sheets_of(
    data: bytes, suffix: str
) -> tuple[list[tuple[str | None, Rows | CsvText]], list[str]]:
    """The file's tables (sniffed by content, not trusted from the suffix) and notes on what was
    not read of it."""
    if not data:
        raise ReadError("berkas kosong (0 byte)")
    if data.startswith(b"PK\x03\x04"):
        wb = xlsx_sheets(data)
        return list(wb.sheets), wb.notes
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError("format Excel lama (.xls) tidak didukung; simpan ulang sebagai .xlsx")
    if suffix == ".xlsx":
        raise ReadError("berakhiran .xlsx tetapi isinya bukan berkas Excel")
    if _is_json(data):
        raise ReadError("berisi JSON, bukan tabel CSV")
    csvt = CsvText(data)
    return [(None, csvt)], csvt.notes


def _is_json(data: bytes) -> bool:
    """A whole JSON document (an object or array), not a CSV whose title row starts with ``[``."""
    head = data.lstrip()[:1]
    if head not in (b"{", b"["):
        return False
    value, error = parse_json(data)
    return error is None and isinstance(value, (dict, list))


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
    part.doubles = header.doubles
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
        sheets, notes = sheets_of(data, suffix)
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
        return [], [], "; ".join([*reasons, *notes]) or "tidak ada tabel"
    notes += [f"lembar {p.sheet!r}: {d}" if p.sheet else d for p in parts for d in p.doubles]
    return parts, [*notes, *(f"lembar dilewati — {r}" for r in reasons)], None
