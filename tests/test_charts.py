"""Charts: static SVG, nothing fetched at view time, untrusted labels escaped, Indonesian numbers."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from analysis.packs import charts

EVIL = 'Kota <script>alert(1)</script> & "Ilir"'


def _no_external(svg: str) -> None:
    assert svg.startswith("<svg")
    assert "<script" not in svg.lower() and "<image" not in svg and "<foreignObject" not in svg
    assert not re.findall(r'(?:href|src)\s*=\s*"(?!#)[^"]*"', svg)
    urls = set(re.findall(r"https?://[^\"\s)]+", svg))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_turnout_vs_target_escapes_labels() -> None:
    svg = charts.turnout_vs_target(
        pl.DataFrame(
            {"nama": [EVIL, "Ogan Ilir"], "partisipasi": [0.7, 0.85], "target": [0.82, 0.82]}
        )
    )
    _no_external(svg)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "80%" in svg  # axis in percent


def test_internal_vs_kpu_uses_indonesian_thousands() -> None:
    df = pl.DataFrame(
        {
            "paslon": ["1. A", "1. A", "2. B", "2. B"],
            "sumber": ["Hitung internal", "KPU (Sirekap)"] * 2,
            "suara": [1000, 900, 2500, 1500],
        }
    )
    svg = charts.internal_vs_kpu(df)
    _no_external(svg)
    assert "2.000" in svg and "Hitung internal" in svg


def test_count_progress_and_incidents() -> None:
    t0 = dt.datetime(2024, 11, 27, 14)
    prog = pl.DataFrame(
        {
            "waktu": [t0, t0 + dt.timedelta(hours=4), t0 + dt.timedelta(hours=20)] * 2,
            "sumber": ["Hitung internal"] * 3 + ["KPU (Sirekap)"] * 3,
            "cakupan": [0.1, 0.5, 0.8, 0.0, 0.2, 0.4],
        }
    )
    _no_external(charts.count_progress(prog))
    inc = pl.DataFrame(
        {
            "tahapan": ["Kampanye", "Masa tenang"],
            "kategori": ["Politik uang", EVIL],
            "tingkat_keparahan": ["kritis", "tinggi"],
            "jumlah": [2, 1],
        }
    )
    svg = charts.incidents_by_stage(inc)
    _no_external(svg)
    assert "<script>" not in svg


def test_too_many_rows_is_refused_with_a_message() -> None:
    big = pl.DataFrame({"nama": [str(i) for i in range(5001)], "partisipasi": 0.5, "target": 0.8})
    with pytest.raises(charts.ChartError, match="agregasikan"):
        charts.turnout_vs_target(big)
    with pytest.raises(charts.ChartError, match="kolom"):
        charts.turnout_vs_target(pl.DataFrame({"nama": ["a"]}))
