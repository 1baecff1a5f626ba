"""The analyse stage: declared datasets written, state carried, a failure loud, packs only read."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from analytics_data import write_count, write_run

from analysis import catalog
from analysis.__main__ import main
from analysis.analyse import stage
from analysis.packs.inputs import prepare_pack_inputs
from analysis.schemas import (
    ANALITIK_KERAWANAN,
    ANALITIK_LANGKAH,
    ANALITIK_PENAPISAN_TPS,
    ANALITIK_PENAPISAN_WILAYAH,
    ANALYTICS,
    INCIDENTS,
    PAKET_KERAWANAN,
    PAKET_PENAPISAN_TPS,
    PAKET_PENAPISAN_WILAYAH,
    PAKET_TINDAK_LANJUT,
    READINESS,
    TALLY,
    TALLY_VOTES,
    TINDAK_LANJUT_MASALAH,
    TPS,
)
from analysis.taxonomy import normalise_incidents

WIB = dt.timezone(dt.timedelta(hours=7))
AS_OF = dt.datetime(2024, 11, 28, 14, tzinfo=WIB)


def _incidents(status: str = "baru") -> pl.DataFrame:
    rows = [
        {
            "id_insiden": f"I{i}",
            "waktu_laporan": dt.datetime(2024, 11, 27, 18, tzinfo=WIB),
            "kode_wilayah": code,
            "kategori": "kamtibmas",
            "tingkat_keparahan": "kritis",
            "status_verifikasi": "terkonfirmasi",
            "status_penanganan": status,
            "tahapan": "pemungutan dan penghitungan",
            "deskripsi": f"insiden {i}",
        }
        for i, code in enumerate(["16.71.02", "16.71.02", "16.71.01"])
    ]
    return INCIDENTS.conform(normalise_incidents(pl.DataFrame(rows)))


def build_processed(root: Path) -> Path:
    """A small processed folder: incidents, the internal count of 120 TPS in Palembang (three
    kecamatan), the TPS list and readiness; run.json as of 28 Nov 14.00 WIB."""
    catalog.write(_incidents(), INCIDENTS.name, root)
    codes = write_count(root)
    tps = catalog.read(TALLY.name, root=root).select("kode_tps", "pemilih_dpt")
    desa = [f"16.71.{c[4:6]}.{c[6:10]}" for c in codes]
    catalog.write(tps.with_columns(pl.Series("kode_desa", desa)), TPS.name, root)
    readiness = {
        "kode_wilayah": ["16.71"],
        "tanggal": [dt.date(2024, 11, 26)],
        "indikator": ["logistik_diterima"],
        "nilai": [0.8],
    }
    catalog.write(READINESS.conform(pl.DataFrame(readiness)), READINESS.name, root)
    write_run(root)
    return root


def _status(root: Path) -> dict[str, dict]:
    df = catalog.read(ANALITIK_LANGKAH.name, root=root)
    return {r["langkah"]: r for r in df.iter_rows(named=True)}


def test_the_stage_writes_every_declared_dataset(tmp_path: Path) -> None:
    root = build_processed(tmp_path)
    result = stage.run_analyse(root)
    assert result.ok
    for ds in ANALYTICS:
        df = pl.read_parquet(catalog.processed_path(ds.name, root=root))
        assert df.schema == ds.polars_schema, ds.name
        ds.check_key(df)
    status = _status(root)
    assert {s: r["status"] for s, r in status.items()} == dict.fromkeys(
        ("penapisan_tps", "penapisan_wilayah", "kerawanan", "tindak_lanjut"), "ok"
    )
    assert status["kerawanan"]["waktu_acuan"] == AS_OF.astimezone(dt.UTC)
    scores = catalog.read(ANALITIK_KERAWANAN.name, root=root)
    # the nation down to every kecamatan holding a TPS of the list
    assert set(scores["kode_wilayah"]) == {"00", "16", "16.71", "16.71.01", "16.71.02", "16.71.03"}
    assert scores.filter(pl.col("tingkat") == "kecamatan")["kode_wilayah"][0] == "16.71.02"
    state = catalog.read(TINDAK_LANJUT_MASALAH.name, root=root)
    assert {"insiden:I0", "insiden:I1", "insiden:I2"} <= set(state["id_masalah"])


def test_packs_read_the_analytics_as_they_are(tmp_path: Path) -> None:
    root = build_processed(tmp_path)
    stage.run_analyse(root)
    prepare_pack_inputs(root)
    for ds, pack in (
        (ANALITIK_PENAPISAN_TPS, PAKET_PENAPISAN_TPS),
        (ANALITIK_PENAPISAN_WILAYAH, PAKET_PENAPISAN_WILAYAH),
        (ANALITIK_KERAWANAN, PAKET_KERAWANAN),
        (TINDAK_LANJUT_MASALAH, PAKET_TINDAK_LANJUT),
    ):
        written = catalog.read(pack.name, root=root)
        declared = catalog.read(ds.name, root=root)
        key = list(ds.key)
        assert written.sort(key).equals(declared.sort(key)), pack.name
    # no analytic runs while packs are prepared: a changed dataset is copied as it is
    state = catalog.read(TINDAK_LANJUT_MASALAH.name, root=root).head(1)
    catalog.write(state, TINDAK_LANJUT_MASALAH.name, root)
    prepare_pack_inputs(root)
    assert catalog.read(PAKET_TINDAK_LANJUT.name, root=root).height == 1


def test_follow_up_state_is_carried_from_run_to_run(tmp_path: Path) -> None:
    root = build_processed(tmp_path)
    stage.run_analyse(root)
    catalog.write(_incidents("selesai"), INCIDENTS.name, root)
    write_run(root, (AS_OF + dt.timedelta(days=1)).isoformat())
    stage.run_analyse(root)
    state = catalog.read(TINDAK_LANJUT_MASALAH.name, root=root)
    i0 = state.filter(pl.col("id_masalah") == "insiden:I0").row(0, named=True)
    assert i0["status"] == "selesai" and i0["alasan_tutup"] == "insiden selesai ditangani"
    # first seen when reported on day one, closed on day two
    assert i0["pertama_terlihat"] == dt.datetime(2024, 11, 27, 11, tzinfo=dt.UTC)
    assert i0["ditutup_pada"] == (AS_OF + dt.timedelta(days=1)).astimezone(dt.UTC)


def test_a_corrupt_input_is_printed_recorded_and_makes_the_stage_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_processed(tmp_path)
    assert main(["analyse", "--processed", str(root)]) == 0
    readiness = catalog.processed_path(READINESS.name, root=root)
    good = readiness.read_bytes()
    readiness.write_bytes(b"bukan parquet" * 20)
    capsys.readouterr()

    assert main(["analyse", "--processed", str(root)]) == 1
    err = capsys.readouterr().err
    assert "GAGAL analitik kerawanan" in err and f"{READINESS.name}.parquet" in err
    status = _status(root)
    assert status["kerawanan"]["status"] == "gagal"
    assert "DatasetUnreadable" in status["kerawanan"]["pesan"]
    # the others still ran; yesterday's kerawanan is not left for the packs to show
    assert status["tindak_lanjut"]["status"] == "ok"
    assert status["penapisan_tps"]["status"] == "ok"
    assert not catalog.processed_path(ANALITIK_KERAWANAN.name, root=root).exists()
    readiness.write_bytes(good)  # the packs read readiness too
    prepare_pack_inputs(root)
    assert not catalog.exists(PAKET_KERAWANAN.name, root)
    assert catalog.exists(PAKET_TINDAK_LANJUT.name, root)


def test_a_failed_screen_skips_what_needs_it_and_keeps_the_follow_up_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = build_processed(tmp_path)
    stage.run_analyse(root)
    before = catalog.read(TINDAK_LANJUT_MASALAH.name, root=root)
    catalog.processed_path(TALLY_VOTES.name, root=root).write_bytes(b"rusak")
    result = stage.run_analyse(root)
    assert [o.step.id for o in result.failed] == ["penapisan_tps", "penapisan_wilayah"]
    status = _status(root)
    # without the screens, kerawanan and follow-up would be wrong (every screened TPS closed as
    # "no longer appearing"): they are skipped, and the state stays as the last good run left it
    assert status["kerawanan"]["status"] == status["tindak_lanjut"]["status"] == "dilewati"
    assert "penapisan_tps" in status["tindak_lanjut"]["pesan"]
    assert catalog.read(TINDAK_LANJUT_MASALAH.name, root=root).equals(before)
    assert f"{TALLY_VOTES.name}.parquet" in capsys.readouterr().err


def test_absent_inputs_are_skipped_not_failed(tmp_path: Path) -> None:
    root = tmp_path
    catalog.write(_incidents(), INCIDENTS.name, root)  # no count, no run.json
    result = stage.run_analyse(root)
    assert result.ok
    status = _status(root)
    assert status["penapisan_tps"]["status"] == "dilewati"
    assert status["kerawanan"]["status"] == "ok"  # from incidents alone, as before
    assert status["tindak_lanjut"]["status"] == "dilewati"  # needs the run's as_of
    assert main(["analyse", "--processed", str(tmp_path / "kosong")]) == 2


@pytest.mark.slow
def test_daily_brief_makes_the_packs_and_exits_non_zero_when_an_analytic_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from analysis import daily, demo
    from analysis.settings import load_settings

    settings = load_settings(
        paths={
            "raw": tmp_path / "raw",
            "processed": tmp_path / "processed",
            "reports": tmp_path / "reports",
        }
    )
    raw = tmp_path / "raw" / "demo-1674"
    demo.generate("16.74", settings.demo.seed, settings.demo.as_of, raw)
    processed = tmp_path / "processed" / "demo-1674"
    processed.mkdir(parents=True)
    # yesterday's follow-up state, corrupted: ingest does not rewrite it, the stage reads it
    catalog.processed_path(TINDAK_LANJUT_MASALAH.name, root=processed).write_bytes(b"rusak")

    args = argparse.Namespace(date=None, scope="16.74", depth=0, raw=raw, workers=0)
    assert daily.run(args, settings) == 1
    err = capsys.readouterr().err
    assert "analitik gagal: tindak_lanjut" in err and f"{TINDAK_LANJUT_MASALAH.name}.parquet" in err

    reports = tmp_path / "reports" / "2024-11-28"
    index = json.loads((reports / "index.json").read_text(encoding="utf-8"))
    assert [p["status"] for p in index["packs"]] == ["ok"]
    assert len(index["tahap_gagal"]) == 1 and "gagal dihitung" in index["tahap_gagal"][0]
    # the index page says so to whoever opens it, above the list of packs
    page = (reports / "index.html").read_text(encoding="utf-8")
    assert page.index("Sebagian analitik gagal") < page.index("<table")
    html = (reports / "kabkota" / "16.74.html").read_text(encoding="utf-8")
    rekomendasi = html.split('id="rekomendasi"')[1].split("</section>")[0]
    assert "data belum tersedia" in rekomendasi
    assert 'data-angka="skor_kerawanan"' in html  # the analytics that ran are shown
