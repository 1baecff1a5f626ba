"""The one xlsx writer: cells read back as written, and the same content gives the same bytes."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl

from analysis.xlsx import FIXED_TIME, write_xlsx

ROW = [
    "teks & <tag>",
    12,
    3.5,
    True,
    dt.datetime(2024, 11, 27, 16, 5),
    dt.date(2024, 11, 27),
    None,
    "",
]


def test_cells_read_back_as_written(tmp_path):
    wide = [f"k{i}" for i in range(30)]  # columns past Z are AA, AB, …
    path = tmp_path / "a.xlsx"
    write_xlsx(path, [("Laporan", [["judul"], [], ROW]), ("Dua & tiga", [wide])])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Laporan", "Dua & tiga"]
    ws = wb["Laporan"]
    assert ws.cell(row=1, column=1).value == "judul"
    assert ws.cell(row=2, column=1).value is None
    got = [ws.cell(row=3, column=c).value for c in range(1, len(ROW) + 1)]
    assert got == [*ROW[:5], dt.datetime(2024, 11, 27), None, None]
    assert [c.value for c in wb["Dua & tiga"][1]] == wide


def test_same_content_gives_the_same_bytes(tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_xlsx(a, [("S", [ROW])])
    write_xlsx(b, [("S", [ROW])])
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as z:
        assert {i.date_time for i in z.infolist()} == {FIXED_TIME.timetuple()[:6]}
