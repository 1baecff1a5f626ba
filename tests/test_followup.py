"""Recommendations and follow-up: the playbook, and items carried over days until closed."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis.analyse import followup as fu
from analysis.analyse import problems as pr
from analysis.schemas import INCIDENTS
from analysis.taxonomy import normalise_incidents

WIB = dt.timezone(dt.timedelta(hours=7))
DAY1 = dt.datetime(2024, 11, 27, 20, tzinfo=WIB)
DAY2 = dt.datetime(2024, 11, 28, 14, tzinfo=WIB)
DAY3 = dt.datetime(2024, 11, 29, 14, tzinfo=WIB)
REPORTED = dt.datetime(2024, 11, 27, 18, tzinfo=WIB)


def _inc(*rows: tuple[str, str, str, str]) -> pl.DataFrame:
    """rows: (id, kategori, severity, handling status)."""
    return INCIDENTS.conform(
        normalise_incidents(
            pl.DataFrame(
                [
                    {
                        "id_insiden": i,
                        "kategori": k,
                        "tingkat_keparahan": sev,
                        "status_penanganan": st,
                        "status_verifikasi": "dibantah" if st == "dibantah" else "terkonfirmasi",
                        "waktu_laporan": REPORTED,
                        "kode_wilayah": "16.71.01",
                        "tahapan": "pemungutan dan penghitungan",
                        "deskripsi": f"insiden {i}",
                    }
                    for i, k, sev, st in rows
                ]
            )
        )
    )


PROBLEM = pl.DataFrame(
    {
        "jenis_masalah": ["identitas_kpu"],
        "kode_objek": ["1671011001001/pkwkp-16"],
        "kode_wilayah": ["16.71.01.1001"],
        "uraian": ["TPS 1671011001001: Σ suara paslon ≠ suara sah"],
    }
)


def test_playbook_rules_pick_action_and_agency():
    df = _inc(
        ("a", "kamtibmas", "kritis", "baru"),
        ("b", "politik uang", "tinggi", "baru"),
        ("c", "logistik", "tinggi", "baru"),
        ("d", "xyz", "rendah", "baru"),
    )
    rec = fu.recommend(df)
    agencies = dict(zip(rec["id_insiden"], rec["instansi_usulan"], strict=True))
    assert agencies == {"a": "Polres", "b": "Bawaslu", "c": "KPU", "d": "Pemda"}
    assert rec["tindakan"].str.len_chars().min() > 20


def test_playbook_data_entry_for_kpu_identity():
    item = fu.data_problems(PROBLEM).row(0, named=True)
    assert item["instansi"] == "KPU"
    assert item["tindakan"].startswith("Sampaikan ke KPU kab/kota untuk koreksi Sirekap")
    with pytest.raises(ValueError, match="unknown jenis_masalah"):
        fu.data_problems(PROBLEM.with_columns(pl.lit("tidak_ada").alias("jenis_masalah")))


def test_items_carried_over_days_until_closed():
    day1 = _inc(("A", "kamtibmas", "kritis", "baru"), ("B", "politik uang", "sedang", "baru"))
    s1 = fu.update_followup(None, day1, PROBLEM, DAY1)
    assert set(s1.filter(pl.col("status") == "terbuka")["id_masalah"]) == {
        "insiden:A",
        "insiden:B",
        "identitas_kpu:1671011001001/pkwkp-16",
    }
    a1 = s1.filter(pl.col("id_masalah") == "insiden:A").row(0, named=True)
    # kritis: within 2 hours of the report (a deadline is never the report time itself)
    assert a1["jatuh_tempo"] == (REPORTED + dt.timedelta(hours=2)).astimezone(dt.UTC)
    b1 = s1.filter(pl.col("id_masalah") == "insiden:B").row(0, named=True)
    # sedang: by the end of the next local day (28 Nov 23:59:59 WIB)
    assert b1["jatuh_tempo"] == dt.datetime(2024, 11, 28, 23, 59, 59, tzinfo=WIB).astimezone(dt.UTC)

    # day 2: A handled and closed, B still being handled, the KPU problem persists
    day2 = _inc(
        ("A", "kamtibmas", "kritis", "selesai"), ("B", "politik uang", "sedang", "ditangani")
    )
    s2 = fu.update_followup(s1, day2, PROBLEM, DAY2)
    by = {r["id_masalah"]: r for r in s2.iter_rows(named=True)}
    assert by["insiden:A"]["status"] == "selesai"
    assert by["insiden:A"]["alasan_tutup"] == "insiden selesai ditangani"
    assert by["insiden:B"]["status"] == "terbuka"
    assert by["insiden:B"]["jatuh_tempo"] == b1["jatuh_tempo"]  # the due time does not move
    kpu = by["identitas_kpu:1671011001001/pkwkp-16"]
    assert kpu["status"] == "terbuka" and kpu["pertama_terlihat"] == DAY1.astimezone(dt.UTC)

    # day 3: B dibantah, the KPU record corrected (problem gone)
    day3 = _inc(
        ("A", "kamtibmas", "kritis", "selesai"), ("B", "politik uang", "sedang", "dibantah")
    )
    s3 = fu.update_followup(s2, day3, None, DAY3)
    assert (s3["status"] == "selesai").all() and s3.height == 3
    reasons = dict(zip(s3["id_masalah"], s3["alasan_tutup"], strict=True))
    assert reasons["insiden:B"] == "insiden dibantah"
    assert reasons["identitas_kpu:1671011001001/pkwkp-16"] == "masalah tidak muncul lagi"

    # the pack's list: nothing open on day 3; the two closed since day 2 are shown as closed
    rows = fu.followup_list(s3, "16.71", DAY3, closed_since=DAY2)
    assert set(rows["status"]) == {"selesai"} and rows.height == 2
    # on day 2: open items most urgent first; the KPU problem (tinggi, due the evening it was
    # seen) is late, B (sedang, due 28 Nov 23:59 WIB) is not yet
    open2 = fu.followup_list(s2, "16", DAY2)
    assert open2["status"].to_list() == ["terbuka", "terbuka"]
    assert open2["tingkat_keparahan"].to_list() == ["tinggi", "sedang"]
    assert open2["terlambat"].to_list() == [True, False]
    assert fu.followup_list(s2, "16.02", DAY2).is_empty()  # outside the unit


def test_a_closed_problem_that_returns_reopens():
    s1 = fu.update_followup(None, _inc(), PROBLEM, DAY1)
    s2 = fu.update_followup(s1, _inc(), None, DAY2)
    s3 = fu.update_followup(s2, _inc(), PROBLEM, DAY3)
    row = s3.row(0, named=True)
    assert row["status"] == "terbuka" and row["pertama_terlihat"] == DAY3.astimezone(dt.UTC)


def test_problems_built_from_reconcile_screens_and_readiness():
    from analysis.schemas import RECON_TPS

    recon = RECON_TPS.conform(
        pl.DataFrame(
            {
                "kode_tps": ["1671011001001", "1671011001002", "1671011001003"],
                "kode_kontestasi": ["pkwkp-16"] * 3,
                "kode_desa": ["16.71.01.1001"] * 3,
                "status_banding": ["selisih", "cocok", "cocok"],
                "selisih_abs": [12, 0, 0],
                "peringatan_kpu": [
                    [],
                    [],
                    ["identitas_1_jumlah_suara: Σ suara paslon ≠ suara_sah"],
                ],
            }
        )
    )
    hits = pl.DataFrame(
        {
            "kode_tps": ["1671011001002", "1671011001002"],
            "kode_kontestasi": ["pkwkp-16"] * 2,
            "penapisan_label": ["a", "b"],
            "keterangan": ["x", "y"],
        }
    )
    ready = pl.DataFrame(
        {
            "kode_wilayah": ["16.71", "16.72"],
            "indikator": ["logistik_diterima", "logistik_diterima"],
            "nilai": [0.8, 1.0],
            "target": [1.0, 1.0],
            "kesenjangan": [0.2, 0.0],
        }
    )
    problems = pl.concat(
        [
            pr.problems_from_recon(recon),
            pr.problems_from_screens(hits),
            pr.problems_from_readiness(ready),
        ]
    )
    assert problems["jenis_masalah"].to_list() == [
        "selisih_hitung",
        "identitas_kpu",
        "penapisan_anomali",
        "kesiapan_kurang",
    ]
    assert problems["uraian"][3] == "logistik baru 80% dari target 100%"
    state = fu.update_followup(None, _inc(), problems, DAY1)
    assert set(state["instansi"]) == {"KPU", "Pemda"}
    assert state.height == 4 and (state["status"] == "terbuka").all()


def test_logistics_advice_fits_the_day_of_the_report():
    """A logistics incident of voting day, reported on again the day after, is not told to send
    ballots "sebelum pemungutan" (issue 12): the advice follows where the report's time stands."""
    df = pl.DataFrame(
        {
            "kategori": ["logistik"] * 3,
            "tingkat_keparahan": ["tinggi"] * 3,
            "tahapan": ["pemungutan_penghitungan"] * 3,
        }
    )
    before = fu.recommend(df, saat=fu.phase_of(dt.datetime(2024, 11, 26, 9, tzinfo=WIB)))
    after = fu.recommend(df, saat=fu.phase_of(dt.datetime(2024, 11, 28, 14, tzinfo=WIB)))
    assert before["tindakan"][0].startswith("Minta KPU kab/kota segera mengirim logistik")
    assert "pemungutan susulan" in after["tindakan"][0]
    assert not any("sebelum pemungutan" in t for t in after["tindakan"])
    assert fu.phase_of(dt.datetime(2024, 11, 27, 23, tzinfo=WIB)) == "hari_pemungutan"
