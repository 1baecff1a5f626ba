"""Field-staff templates: instruction rows above the canonical header, allowed values listed."""

from __future__ import annotations

import csv

import openpyxl

from analysis.demo import INCIDENT_HEADERS, TALLY_HEADERS
from analysis.templates import write_templates


def test_templates_have_the_canonical_header_below_an_instruction_row(tmp_path):
    paths = write_templates(tmp_path)
    names = {p.name for p in paths}
    assert {"templat_hitung_internal.xlsx", "templat_hitung_internal.csv"} <= names
    assert {"templat_insiden.xlsx", "templat_insiden.csv"} <= names
    for stem, header in (
        ("templat_hitung_internal", list(TALLY_HEADERS)),
        ("templat_insiden", list(INCIDENT_HEADERS)),
    ):
        rows = list(csv.reader((tmp_path / f"{stem}.csv").open(encoding="utf-8")))
        assert rows[1][0].startswith("Petunjuk")
        assert rows[2] == header
        assert len(rows) == 3  # no data rows
        wb = openpyxl.load_workbook(tmp_path / f"{stem}.xlsx")
        ws = wb.worksheets[0]
        assert ws.cell(row=2, column=1).value.startswith("Petunjuk")
        assert [c.value for c in ws[3]] == header
        assert ws.max_row == 3
        assert "Nilai yang diizinkan" in wb.sheetnames


def test_allowed_values_list_the_taxonomy_codes(tmp_path):
    write_templates(tmp_path)
    ws = openpyxl.load_workbook(tmp_path / "templat_insiden.xlsx")["Nilai yang diizinkan"]
    pairs = {(r[0], r[1]) for r in ws.iter_rows(min_row=4, values_only=True)}
    for code in ("kamtibmas", "politik_uang", "prosedur_pungut_hitung"):
        assert ("kategori", code) in pairs
    for code in ("kritis", "tinggi", "sedang", "rendah"):
        assert ("tingkat_keparahan", code) in pairs
    assert ("status_penanganan", "ditangani") in pairs
    assert ("jenis_pemilihan", "pkwkk") in pairs
