"""Kerawanan score: weights, decay, verification, classes, reasons, and a constructed hotspot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from analytics_data import write_count, write_run

from analysis.analyse import inputs, unit
from analysis.analyse import kerawanan as kr
from analysis.domain.regions import check_unit
from analysis.schemas import INCIDENTS, READINESS
from analysis.settings import load_settings
from analysis.taxonomy import normalise_incidents

WIB = dt.timezone(dt.timedelta(hours=7))
AS_OF = dt.datetime(2024, 11, 28, 14, tzinfo=WIB)


def _inc(rows: list[dict]) -> pl.DataFrame:
    base = {
        "tahapan": "rekapitulasi",
        "kategori": "kamtibmas",
        "status_penanganan": "baru",
        "status_verifikasi": "terverifikasi",
    }
    full = [
        {
            **base,
            "id_insiden": str(i),
            "waktu_laporan": AS_OF - dt.timedelta(hours=r.pop("jam", 5)),
            **r,
        }
        for i, r in enumerate(rows)
    ]
    return INCIDENTS.conform(normalise_incidents(pl.DataFrame(full)))


def _score(df: pl.DataFrame, code: str, **kw) -> dict:
    out = kr.kerawanan_scores(df, [code], AS_OF, **kw)
    return out.row(0, named=True)


def test_severity_verification_and_recency_order_the_weight():
    one = lambda **r: _score(_inc([{"kode_wilayah": "16.71", **r}]), "16.71")["bobot_insiden"]  # noqa: E731
    assert (
        one(tingkat_keparahan="kritis")
        > one(tingkat_keparahan="tinggi")
        > one(tingkat_keparahan="rendah")
    )
    assert one(tingkat_keparahan="kritis") > one(
        tingkat_keparahan="kritis", status_verifikasi="belum"
    )
    s = load_settings()
    fresh = one(tingkat_keparahan="kritis", jam=0)
    week = one(tingkat_keparahan="kritis", jam=24 * s.kerawanan.half_life_days)
    assert week == pytest.approx(fresh / 2, rel=0.01)  # the half-life
    assert one(tingkat_keparahan="kritis", status_verifikasi="dibantah") == 0  # excluded


def test_classes_follow_the_tier_cutoffs_and_reasons_are_words():
    df = _inc([{"kode_wilayah": "16.71.01", "tingkat_keparahan": "kritis"} for _ in range(3)])
    ready = READINESS.conform(
        pl.DataFrame(
            {
                "kode_wilayah": ["16.71", "16.71"],
                "tanggal": [dt.date(2024, 11, 25), dt.date(2024, 11, 26)],
                "indikator": ["logistik_diterima", "logistik_diterima"],
                "nilai": [0.5, 0.8],
            }
        )
    )
    row = _score(df, "16.71", readiness=ready)
    assert row["tingkat"] == "kabkota"
    assert row["skor"] >= 49.33 and row["kelas"] == "rawan tinggi"
    assert row["faktor_utama"] == (
        "3 insiden kritis terverifikasi dalam 7 hari terakhir; logistik baru 80% (target 100%)"
    )
    # incidents alone: rawan tinggi for a kab/kota, not for a province (higher IKP cut-off)
    assert _score(df, "16.71")["kelas"] == "rawan tinggi"
    assert _score(df, "16")["kelas"] == "rawan sedang"
    # a kecamatan inherits its kab/kota's readiness
    assert _score(df, "16.71.01", readiness=ready)["kesenjangan_kesiapan"] == pytest.approx(0.2)
    quiet = _score(df, "16.02")
    assert quiet["skor"] == 0 and quiet["kelas"] == "rawan rendah"
    assert quiet["faktor_utama"] == "tidak ada faktor menonjol"


def test_the_reasons_do_not_depend_on_the_order_rows_came_in():
    """Issue 15: equal factors are listed in one order in every run (a tie once re-rendered a
    pack whose data had not changed)."""
    df = _inc([{"kode_wilayah": "16.71.01", "tingkat_keparahan": "kritis"} for _ in range(2)])
    tps = pl.DataFrame({"kode_tps": [f"1671011001{i:03d}" for i in range(1, 11)]})
    hits = pl.DataFrame(
        {"kode_tps": ["1671011001001"], "penapisan": ["ocr_ratusan"], "kode_kontestasi": ["x"]}
    )
    ready = READINESS.conform(
        pl.DataFrame(
            {
                "kode_wilayah": ["16.71"] * 2,
                "tanggal": [dt.date(2024, 11, 26)] * 2,
                "indikator": ["logistik_diterima", "nphd_dibayar"],
                "nilai": [0.7, 0.7],
            }
        )
    )
    one = _score(df, "16.71", readiness=ready, screen_hits=hits, tps=tps)
    other = _score(df.reverse(), "16.71", readiness=ready.reverse(), screen_hits=hits, tps=tps)
    assert one["faktor_utama"] == other["faktor_utama"]
    assert one["faktor_utama"].count("; ") == 2  # the top three


def test_screen_hits_feed_the_anomaly_component():
    tps = pl.DataFrame({"kode_tps": [f"1671011001{i:03d}" for i in range(1, 11)]})
    hits = pl.DataFrame(
        {
            "kode_tps": ["1671011001001"],
            "penapisan": ["ocr_ratusan"],
            "kode_kontestasi": ["pkwkp-16"],
        }
    )
    row = _score(_inc([]), "16.71", screen_hits=hits, tps=tps)
    assert row["n_tps"] == 10 and row["n_tps_ditandai"] == 1
    assert row["skor_anomali"] == 100  # 10% of TPS >= the 5% at which the component is full
    assert "1 dari 10 TPS tertandai penapisan" in row["faktor_utama"]


def test_constructed_hotspot_ranks_first():
    rows = [
        # the hotspot: Kota Palembang, several recent verified serious incidents
        *[{"kode_wilayah": "16.71.02", "tingkat_keparahan": "kritis"} for _ in range(3)],
        *[{"kode_wilayah": "16.71", "tingkat_keparahan": "tinggi"} for _ in range(2)],
        # background noise elsewhere: minor, old, unverified or dibantah
        {"kode_wilayah": "16.02", "tingkat_keparahan": "sedang", "status_verifikasi": "belum"},
        {"kode_wilayah": "16.03.01", "tingkat_keparahan": "kritis", "jam": 24 * 30},
        {"kode_wilayah": "16.04", "tingkat_keparahan": "kritis", "status_verifikasi": "dibantah"},
        {"kode_wilayah": "16.05", "tingkat_keparahan": "rendah"},
        {"kode_wilayah": None, "tingkat_keparahan": "kritis"},
    ]
    table = kr.hotspots(_inc(rows), "16", AS_OF)
    assert table.height == 17  # every kab/kota of Sumatera Selatan, zero scores included
    assert table["kode_wilayah"][0] == "16.71"
    assert table["peringkat"][0] == 1 and table["kelas"][0] == "rawan tinggi"
    assert table["skor"][0] > 2 * table["skor"][1]
    kec = kr.hotspots(_inc(rows), "16.71", AS_OF, top=3)
    assert kec["kode_wilayah"][0] == "16.71.02" and kec.height == 3


def test_desa_units_are_refused():
    with pytest.raises(ValueError, match="kecamatan and up"):
        kr.kerawanan_scores(_inc([]), ["16.71.01.1001"], AS_OF)


# --- The analyst notebook and the demo (slow: papermill kernel start, demo generation + ingest) ---

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "analisis_insiden_anomali.ipynb"


def _processed(root: Path) -> Path:
    """A small processed folder: incidents, an internal count of one kab/kota."""
    from analysis import catalog

    hot = [{"kode_wilayah": "16.71.02", "tingkat_keparahan": "kritis"} for _ in range(3)]
    catalog.write(
        _inc([*hot, {"kode_wilayah": "16.71.05", "tingkat_keparahan": "rendah"}]),
        INCIDENTS.name,
        root,
    )
    write_count(root)
    write_run(root)
    return root


def test_load_inputs_says_clearly_when_data_is_missing(tmp_path):
    with pytest.raises(
        inputs.ProcessedDataMissing, match="Data olahan belum ada.*python -m analysis ingest"
    ):
        inputs.load_inputs(tmp_path / "tidak_ada")
    with pytest.raises(ValueError, match="kode Kemendagri"):
        check_unit(16.71)


def test_unit_tables_on_a_small_processed_folder(tmp_path):
    an = unit.analyse(inputs.load_inputs(_processed(tmp_path)))
    assert an.as_of == AS_OF  # from run.json
    t = unit.unit_tables(an, "16.71")
    assert t["titik_rawan"]["kode_wilayah"][0] == "16.71.02"
    assert t["ringkasan"]["total"][0] == 4
    assert t["sidik_jari"]["n_tps"].sum() == 120
    assert set(t["penapisan_digit"]["kode_wilayah"]) <= {"16.71.01", "16.71.02", "16.71.03"}


@pytest.mark.slow
def test_notebook_runs_with_papermill(tmp_path):
    import nbformat
    import papermill as pm

    processed = _processed(tmp_path / "processed")
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={"processed_dir": str(processed), "kode_wilayah": "16.71"},
        progress_bar=False,
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    text = "\n".join(
        str(o.get("data", {}).get("text/html", "")) + str(o.get("text", ""))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
    )
    assert "16.71.02" in text and "rawan" in text
    # stored without outputs, and it defines nothing: imports and calls only
    stored = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert all(not c.outputs and not c.execution_count for c in code)
    assert not any("def " in c.source or "class " in c.source for c in code)


@pytest.mark.slow
def test_notebook_says_when_processed_data_is_absent(tmp_path):
    import papermill as pm

    with pytest.raises(pm.PapermillExecutionError, match="Data olahan belum ada"):
        pm.execute_notebook(
            str(NOTEBOOK),
            str(tmp_path / "out.ipynb"),
            parameters={"processed_dir": str(tmp_path / "kosong")},
            progress_bar=False,
            kernel_name="python3",
        )


@pytest.mark.slow
def test_demo_hotspots_and_injected_anomalies_rank_at_the_top(tmp_path):
    """On the demo of one kab/kota: the manifest's incident hotspots are the top kecamatan, and
    every injected anomalous TPS and KPU OCR misread is hit by a screen."""
    import json

    from analysis import demo
    from analysis.ingest import run_ingest

    raw, processed = tmp_path / "raw", tmp_path / "processed"
    s = load_settings()
    demo.generate("16.71", s.demo.seed, s.demo.as_of, raw)
    run_ingest(raw, processed)
    manifest = json.loads((raw / "manifest.json").read_text(encoding="utf-8"))

    an = unit.analyse(inputs.load_inputs(processed), s.demo.as_of)
    table = kr.hotspots(
        an.inputs.incidents, "16.71", an.as_of, an.hits, an.tps, an.inputs.readiness
    )
    hot = {h["kode_kecamatan"] for h in manifest["hotspots"]}
    assert set(table["kode_wilayah"].head(len(hot))) == hot
    assert set(table.head(len(hot))["kelas"]) == {"rawan tinggi"}

    flagged = set(an.hits["kode_tps"])
    for a in manifest["anomaly_tps"]:
        assert a["kode_tps"] in flagged, a

    kpu = unit.analyse(inputs.load_inputs(processed, "kpu"), s.demo.as_of)
    ocr = set(kpu.hits.filter(pl.col("penapisan") == "ocr_ratusan")["kode_tps"])
    injected = {f["kode_tps"] for f in manifest["faults"] if f["kind"] == "kpu_ocr_hundreds"}
    assert injected and injected <= ocr
