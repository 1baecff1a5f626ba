"""The projection section of a pack: its figures equal the processed data, its wording is a
projection's, and a PVT sample's hash is printed (the tiny processed folder of test_packs)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from test_packs import AS_OF, build_processed

from analysis import catalog
from analysis.packs import sections
from analysis.packs.html import figures
from analysis.packs.inputs import prepare_pack_inputs
from analysis.packs.load import load_pack
from analysis.reconcile import run_reconcile
from analysis.reconcile.sample import draw_sample, take_in, write_sample
from analysis.schemas import REF_SAMPEL, REKON_KEPASTIAN, REKON_PROYEKSI_PASLON, TPS


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_processed(tmp_path_factory.mktemp("proj") / "demo-16")
    drop = root.parent / "drop"
    codes = catalog.read(TPS.name, root)["kode_tps"]
    write_sample(drop, draw_sample(codes, "16", 2, 1, 1), "16", 1, 1, AS_OF)
    take_in(drop, root)
    run_reconcile(root, AS_OF, previous_as_of=None)
    prepare_pack_inputs(root)
    return root


def test_section_shows_the_decidedness_and_the_sample_hash(processed: Path) -> None:
    html = sections.section_proyeksi(load_pack(processed, "2024-11-28", "provinsi", "16"))
    assert "proyeksi internal — bukan hasil resmi; hasil resmi ditetapkan KPU" in html
    assert "data-galat" not in html
    dec = catalog.read(REKON_KEPASTIAN.name, processed)
    want = dec.filter(
        (pl.col("kode_kontestasi") == "pkwkp-16") & (pl.col("sumber") == "internal")
    ).row(0, named=True)
    got = figures(html, "urutan_pasti", kontestasi="pkwkp-16", sumber="internal")
    assert got == [str(want["urutan_pasti"])]
    assert want["kalimat_sisa"][1:] in html  # said as a sentence: capitalised
    rec = catalog.read(REF_SAMPEL.name, processed).row(0, named=True)
    assert figures(html, "sampel_sha256") == [rec["sha256"]] and rec["sah"]
    # the children's contests, one line each
    assert figures(html, "urutan_pasti", kontestasi="pkwkk-1671", sumber="internal")


def test_projected_figures_equal_the_dataset(processed: Path) -> None:
    html = sections.section_proyeksi(load_pack(processed, "2024-11-28", "kabkota", "16.71"))
    proj = catalog.read(REKON_PROYEKSI_PASLON.name, processed).filter(
        pl.col("persen_proyeksi").is_not_null()
    )
    for r in proj.filter(pl.col("kode_kontestasi") == "pkwkk-1671").iter_rows(named=True):
        attrs = {
            "kontestasi": r["kode_kontestasi"],
            "metode": r["metode"],
            "paslon": r["nomor_urut"],
        }
        assert figures(html, "proyeksi_persen", **attrs) == [str(r["persen_proyeksi"])]
    shown = figures(html, "persen_terhitung", kontestasi="pkwkk-1671")
    assert shown and 0 <= float(shown[0]) <= 1


def test_comparison_answers_only_the_discrepancy_question(processed: Path) -> None:
    html = sections.section_banding(load_pack(processed, "2024-11-28", "provinsi", "16"))
    # B's OCR misread (130 → 830) moves KPU's paslon 2 by 700, but for the internal order the
    # discrepancy could move the lead by 700 at most against a margin of 20 (310 − 290): it can
    assert figures(html, "selisih_bisa_mengubah", kontestasi="pkwkp-16", sumber="internal") == [
        "True"
    ]
    assert "bisa_mengubah_hasil" not in html


def test_chart_over_the_night_needs_enough_kept_runs(processed: Path) -> None:
    """Two points are no line: the chart is drawn from ``proyeksi.chart_min_runs`` kept runs on."""
    import dataclasses
    import datetime as dt

    pack = load_pack(processed, "2024-11-28", "kabkota", "16.71")
    assert pack.proyeksi_waktu is not None
    one = pack.proyeksi_waktu.filter(pl.col("waktu") == pl.col("waktu").max())
    title = "Proyeksi ± galat sepanjang malam"
    need = pack.settings.proyeksi.chart_min_runs

    def runs(n: int) -> pl.DataFrame:
        return pl.concat(
            [one.with_columns(pl.col("waktu") - dt.timedelta(hours=h)) for h in range(n)]
        )

    short = dataclasses.replace(pack, proyeksi_waktu=runs(need - 1))
    assert title not in sections.section_proyeksi(short)
    html = sections.section_proyeksi(dataclasses.replace(pack, proyeksi_waktu=runs(need)))
    assert title in html and "<svg" in html
