"""A minimal, byte-reproducible ``.xlsx`` writer: the one the demo drop and the field templates use.

A workbook is a zip of XML parts. Writing them directly (not with openpyxl or xlsxwriter) is about
50x faster for the demo's many small workbooks, and the output is byte-identical for the same
content: every zip entry carries a fixed date and ``docProps/core.xml`` a fixed creation time.
Cells are inline strings, numbers, booleans, datetimes (``yyyy-mm-dd hh:mm``) and dates.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

FIXED_TIME = dt.datetime(2024, 11, 27, 0, 0, 0)
"""The creation time every workbook carries (so the bytes do not depend on the clock)."""

Sheet = tuple[str, list[list[Any]]]
"""A sheet: its name and its rows (``None`` or ``""`` leave a cell empty)."""

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_CORE = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_STYLES_XML = (
    f'<styleSheet xmlns="{_NS_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
    'formatCode="yyyy-mm-dd hh:mm"/></numFmts><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def write_xlsx(path: Path, sheets: list[Sheet]) -> None:
    """Write ``sheets`` (in order) as one workbook at ``path``."""
    parts = [
        ("[Content_Types].xml", _content_types(len(sheets))),
        ("_rels/.rels", _package_rels()),
        ("docProps/core.xml", _core_properties()),
        ("xl/workbook.xml", _workbook(sheets)),
        ("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets))),
        ("xl/styles.xml", _XML_HEAD + _STYLES_XML),
    ]
    parts += [
        (f"xl/worksheets/sheet{i}.xml", _sheet_xml(rows)) for i, (_, rows) in _numbered(sheets)
    ]
    Path(path).write_bytes(_zip(parts))


def _numbered(sheets: list[Sheet]) -> list[tuple[int, Sheet]]:
    return list(enumerate(sheets, start=1))


def _zip(parts: list[tuple[str, str]]) -> bytes:
    date_time = FIXED_TIME.timetuple()[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            zi = zipfile.ZipInfo(name, date_time=date_time)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, text.encode("utf-8"))
    return buf.getvalue()


# --- package parts -----------------------------------------------------------------------------


def _content_types(n: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>{overrides}'
        f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>'
    )


def _package_rels() -> str:
    return (
        f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG}"><Relationship Id="rId1" '
        f'Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" '
        f'Type="{_NS_PKG}/metadata/core-properties" Target="docProps/core.xml"/></Relationships>'
    )


def _core_properties() -> str:
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f'{_XML_HEAD}<cp:coreProperties xmlns:cp="{_NS_CORE}" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
        'XMLSchema-instance"><dc:creator>Desk Pilkada (demo)</dc:creator>'
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    )


def _workbook(sheets: list[Sheet]) -> str:
    tags = "".join(
        f'<sheet name="{_xml_text(name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, (name, _) in _numbered(sheets)
    )
    return (
        f'{_XML_HEAD}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>{tags}'
        "</sheets></workbook>"
    )


def _workbook_rels(n: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    return (
        f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG}">{rels}<Relationship Id="rId{n + 1}" '
        f'Type="{_NS_REL}/styles" Target="styles.xml"/></Relationships>'
    )


# --- sheets ------------------------------------------------------------------------------------


def _col_letter(i: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _xml_text(v: str) -> str:
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, v: Any) -> str:
    """One ``<c>`` element; booleans before numbers (a bool is an int in Python)."""
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float, np.integer, np.floating)):
        return f'<c r="{ref}"><v>{v}</v></c>'
    if isinstance(v, dt.datetime):
        d = v - _EXCEL_EPOCH
        serial = d.days + round(d.seconds) / 86400
        return f'<c r="{ref}" s="1"><v>{serial!r}</v></c>'
    if isinstance(v, dt.date):
        return f'<c r="{ref}" s="2"><v>{(v - _EXCEL_EPOCH.date()).days}</v></c>'
    text = _xml_text(str(v))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def _sheet_xml(rows: list[list[Any]]) -> str:
    out = [f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}"><sheetData>']
    letters = [_col_letter(i) for i in range(max((len(r) for r in rows), default=0))]
    for r_i, row in enumerate(rows, start=1):
        cells = "".join(
            _cell(f"{letters[c_i]}{r_i}", v)
            for c_i, v in enumerate(row)
            if v is not None and v != ""
        )
        out.append(f'<row r="{r_i}">{cells}</row>' if cells else f'<row r="{r_i}"/>')
    out.append("</sheetData></worksheet>")
    return "".join(out)
