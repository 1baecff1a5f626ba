"""The validator: each check on tiny inline frames, real Great Expectations, real Sirekap records."""

from __future__ import annotations

import datetime as dt
import json
import math
import shutil
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

from analysis import validate as v
from analysis.schemas import INCIDENTS, OFFICIAL_REGION, OFFICIAL_TPS, READINESS, TALLY, TPS
from analysis.settings import REPO_ROOT, load_settings

# the 88 real Sirekap records, carried in the repo (tests/data/.../SOURCE.md names source and licence)
SIREKAP = Path(__file__).resolve().parent / "data" / "sirekap_ppwp2024_kepulauan_seribu"
WIB = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2024, 11, 27, 16, 5, tzinfo=WIB)


@pytest.fixture(scope="module")
def gx_root(tmp_path_factory) -> Path:
    """A GX context of the tests' own, so tests never rewrite the committed suites."""
    return tmp_path_factory.mktemp("gx") / "expectations"


@pytest.fixture(scope="module")
def s(gx_root):
    return load_settings(paths={"expectations": str(gx_root)})


def tally_row(**over) -> dict:
    """A consistent C.Hasil report from a TPS in Kota Palembang (every identity holds)."""
    row = dict(
        kode_tps="1671011001001",
        kode_kontestasi="pkwkk-1671",
        waktu_laporan=T0,
        pelapor="saksi-1",
        pemilih_dpt=300,
        pemilih_dpt_l=150,
        pemilih_dpt_p=150,
        pengguna_dpt=250,
        pengguna_dptb=3,
        pengguna_dpk=2,
        pengguna_total=255,
        pengguna_total_l=120,
        pengguna_total_p=135,
        surat_suara_diterima=308,
        surat_suara_digunakan=255,
        surat_suara_rusak=1,
        surat_suara_tidak_digunakan=52,
        suara_sah=250,
        suara_tidak_sah=5,
        suara_total=255,
        jumlah_suara_paslon=250,
        paslon_asing=0,
        sumber_file="hitung_internal/a.csv",
        sumber_baris=2,
    )
    row.update(over)
    return row


def frame(*rows: dict) -> pl.DataFrame:
    df = pl.DataFrame(list(rows))
    return df.with_columns(pl.int_range(pl.len(), dtype=pl.Int64).alias("_row_id"))


def official(*rows: dict) -> pl.DataFrame:
    """The same rows as KPU records (pull time instead of report time)."""
    out = []
    for r in rows:
        r = dict(r)
        r["waktu_tarik"] = r.pop("waktu_laporan")
        r.pop("pelapor", None)
        r.update(ts=r["waktu_tarik"], status_suara=True, status_adm=True, ada_chart=True)
        r.update(ada_administrasi=True)
        out.append(r)
    return frame(*out)


def reasons(outcome: v.ValidationOutcome, row: int = 0) -> tuple[list[str], list[str]]:
    f = outcome.flags.filter(pl.col("_row_id") == row).row(0, named=True)
    return f["alasan_tolak"], f["peringatan"]


def ids(messages: list[str]) -> set[str]:
    return {m.split(":", 1)[0] for m in messages}


def test_a_consistent_report_passes_every_check(s):
    out = v.validate(TALLY.name, frame(tally_row()), s)
    assert out.flags.to_dicts() == [
        {"_row_id": 0, "ditolak": False, "alasan_tolak": [], "peringatan": []}
    ]
    assert out.summary["n_gagal"].sum() == 0
    assert set(out.summary["kode_kabkota"]) == {"16.71"}


# (overrides, check id, tally severity, text the reason must contain)
IDENTITY_CASES = [
    (
        dict(jumlah_suara_paslon=812),
        "identitas_1_jumlah_suara",
        "reject",
        "Σ suara paslon (812) ≠ suara_sah (250)",
    ),
    (
        dict(suara_tidak_sah=9),
        "identitas_2_sah_tidak_sah",
        "reject",
        "suara_sah (250) + suara_tidak_sah (9) = 259 ≠ suara_total (255)",
    ),
    (dict(pengguna_dpk=5), "identitas_3_pengguna", "warn", "= 258 ≠ pengguna_total (255)"),
    (
        dict(pengguna_total=252, pengguna_dpt=247, pengguna_total_l=117),
        "identitas_4_suara_pengguna",
        "warn",
        "suara_total (255) ≠ pengguna_total (252), selisih 3 > toleransi 2",
    ),
    (
        dict(pemilih_dpt_l=151),
        "identitas_5_lp_pemilih_dpt",
        "warn",
        "pemilih_dpt_l (151) + pemilih_dpt_p (150) = 301 ≠ pemilih_dpt (300)",
    ),
    (
        dict(pemilih_dpt=240, pemilih_dpt_l=120, pemilih_dpt_p=120),
        "identitas_6_pengguna_dpt",
        "warn",
        "pengguna_dpt (250) > pemilih_dpt (240)",
    ),
    (
        dict(
            pemilih_dpt=240,
            pemilih_dpt_l=120,
            pemilih_dpt_p=120,
            pengguna_dpt=240,
            pengguna_dptb=10,
            pengguna_dpk=5,
        ),
        "identitas_7_batas_cadangan",
        "warn",
        "suara_total (255) > pemilih_dpt (240) + cadangan 2,5% = 246",
    ),
    (
        dict(surat_suara_rusak=3),
        "identitas_8_surat_suara",
        "warn",
        "surat_suara_diterima (308) ≠ digunakan (255) + rusak (3) + tidak_digunakan (52) = 310",
    ),
    (
        dict(pengguna_dpk_l=-1, pengguna_dpk_p=3),
        "identitas_9_rentang",
        "reject",
        "di luar 0…9999: pengguna_dpk_l=-1",
    ),
    (
        dict(suara_paslon_min=-125, suara_paslon_max=250),  # optional per-paslon extremes
        "identitas_9_rentang",
        "reject",
        "di luar 0…9999: suara_paslon_min=-125",
    ),
    (
        dict(pemilih_dpt=700, pemilih_dpt_l=350, pemilih_dpt_p=350),
        "tps_tidak_wajar",
        "reject",
        "melebihi 600 pemilih + cadangan = 615",
    ),
]


@pytest.fixture(scope="module")
def identity_outcome(s) -> v.ValidationOutcome:
    """One batch: row 0 holds every identity, row i breaks the i-th case (one GX run for all)."""
    rows = [tally_row()]
    for i, (over, *_) in enumerate(IDENTITY_CASES, start=1):
        rows.append(tally_row(kode_tps=f"1671011001{i + 1:03d}", **over))
    return v.validate(TALLY.name, frame(*rows), s)


def test_the_row_that_holds_is_not_flagged(identity_outcome):
    assert reasons(identity_outcome, 0) == ([], [])


@pytest.mark.parametrize("case", range(len(IDENTITY_CASES)))
def test_each_identity_flags_the_breaking_row_with_its_reason(identity_outcome, case):
    _, check, severity, text = IDENTITY_CASES[case]
    out = identity_outcome
    rejected, warned = reasons(out, case + 1)
    bucket = rejected if severity == "reject" else warned
    hit = [m for m in bucket if m.startswith(check + ":")]
    assert hit, (rejected, warned)
    assert text in hit[0]
    assert out.flags["ditolak"][case + 1] == bool(rejected)
    if severity == "warn":
        assert check not in ids(rejected)
    summary = out.summary.filter(pl.col("pemeriksaan") == check).row(0, named=True)
    assert summary["n_diperiksa"] == len(IDENTITY_CASES) + 1
    assert summary["n_gagal"] >= 1
    assert summary["tingkat"] == v.TINGKAT[severity]


def dpt_241(votes: int, **over) -> dict:
    """A consistent report of a TPS with DPT 241 where ``votes`` ballots were used (DPTb covers
    the rest)."""
    return tally_row(
        pemilih_dpt=241,
        pemilih_dpt_l=121,
        pemilih_dpt_p=120,
        pengguna_dpt=241,
        pengguna_dptb=votes - 241,
        pengguna_dpk=0,
        pengguna_total=votes,
        pengguna_total_l=votes - 135,
        suara_sah=votes - 5,
        jumlah_suara_paslon=votes - 5,
        suara_total=votes,
        surat_suara_digunakan=votes,
        surat_suara_tidak_digunakan=307 - votes,
        **over,
    )


def test_dpt_plus_reserve_rounds_the_reserve_up(s):
    """DPT 241: 2.5% is 6.025 ballots, printed as 7, so up to 248 votes fit DPT + reserve."""
    df = frame(dpt_241(248), dpt_241(249, kode_tps="1671011001002"))
    out = v.validate(TALLY.name, df, s)
    assert [ids(w) for w in out.flags["peringatan"]] == [set(), {"identitas_7_batas_cadangan"}]
    assert out.flags["peringatan"][1][0] == (
        "identitas_7_batas_cadangan: suara_total (249) > pemilih_dpt (241) + cadangan 2,5% = 248"
    )


def test_tolerance_comes_from_settings(gx_root, tmp_path):
    # identity 4: a difference of 2 is within the default tolerance, 3 is not
    lenient = load_settings(paths={"expectations": str(gx_root)})
    df = frame(
        tally_row(pengguna_total=253, pengguna_dpt=248, pengguna_total_l=118),
        tally_row(
            kode_tps="1671011001002", pengguna_total=252, pengguna_dpt=247, pengguna_total_l=117
        ),
    )
    out = v.validate(TALLY.name, df, lenient)
    assert [ids(w) for w in out.flags["peringatan"]] == [set(), {"identitas_4_suara_pengguna"}]
    # identity 1 with votes_sum = 5: a difference of 3 passes, 6 fails
    tolerances = lenient.election.tolerances.model_dump() | {"votes_sum": 5}
    election = lenient.election.model_dump() | {"tolerances": tolerances}
    # its own context: a suite built from other thresholds must not replace the shared one
    loose = load_settings(paths={"expectations": str(tmp_path / "gx")}, election=election)
    df = frame(
        tally_row(jumlah_suara_paslon=253),
        tally_row(kode_tps="1671011001002", jumlah_suara_paslon=256),
    )
    out = v.validate(TALLY.name, df, loose)
    assert out.flags["ditolak"].to_list() == [False, True]
    assert "(toleransi 5)" in out.flags["alasan_tolak"][1][0]


def test_severity_routing_internal_rejects_kpu_warns(s):
    broken = dict(jumlah_suara_paslon=412, paslon_asing=1)  # 412: no OCR signature (hundreds 4)
    tally = v.validate(TALLY.name, frame(tally_row(**broken)), s)
    kpu = v.validate(OFFICIAL_TPS.name, official(tally_row(**broken)), s)
    assert tally.flags["ditolak"].to_list() == [True]
    assert ids(tally.flags["alasan_tolak"][0]) == {"identitas_1_jumlah_suara", "paslon_dikenal"}
    assert kpu.flags["ditolak"].to_list() == [False]  # KPU's record: flagged, never dropped
    assert ids(kpu.flags["peringatan"][0]) == {"identitas_1_jumlah_suara", "paslon_dikenal"}


def test_codes_are_checked_against_the_region_tree(s):
    df = frame(
        tally_row(kode_tps="9999011001001"),  # no such desa
        tally_row(kode_tps="16710110010"),  # not 13 digits
        tally_row(kode_kontestasi="pkwkk-9999"),  # no such contest
        tally_row(kode_kontestasi="pkwkk-1601", kode_tps="1671011001002"),  # another kab's contest
        tally_row(kode_kontestasi="pkwkp-16", kode_tps="1601072001001"),  # gubernur: any desa of 16
        tally_row(kode_kontestasi="ppwp", kode_tps="1671011001003"),  # not held in Pilkada
        tally_row(kode_kontestasi="pkwkp-34", kode_tps="3471011001001"),  # DIY: no gubernur race
        tally_row(kode_tps="1671011001901"),  # real desa, TPS 901 not in the TPS list
    )
    ref_tps = pl.DataFrame(
        {"kode_tps": [f"1671011001{i:03d}" for i in range(1, 4)] + ["1601072001001"]}
    )
    out = v.validate(TALLY.name, df, s, ref_tps=ref_tps)
    got = [ids(r) for r in out.flags["alasan_tolak"]]
    assert got[0] == {"kode_tps_desa_dikenal", "kode_tps_terdaftar"}
    assert got[1] == {"kode_tps_format"}
    assert got[2] == {"kontestasi_dikenal"}
    assert got[3] == {"kontestasi_sesuai_wilayah"}
    assert got[4] == set()
    assert got[5] == {"kontestasi_dikenal"}
    assert got[6] == {"kontestasi_dikenal", "kode_tps_terdaftar"}
    assert got[7] == {"kode_tps_terdaftar"}
    assert "desa 9999011001 dari kode_tps 9999011001001" in out.flags["alasan_tolak"][0][0]
    # KPU's presidential records are official records of the ppwp contest, valid in every desa;
    # a KPU record of a TPS missing from the desk's list only warns
    kpu = v.validate(
        OFFICIAL_TPS.name,
        official(df.row(5, named=True), df.row(7, named=True)),
        s,
        ref_tps=ref_tps,
    )
    assert kpu.flags["ditolak"].to_list() == [False, False]
    assert [ids(w) for w in kpu.flags["peringatan"]] == [set(), {"kode_tps_terdaftar"}]
    # without a TPS list the check is skipped, not failed
    skipped = v.validate(TALLY.name, df, s).summary.filter(
        pl.col("pemeriksaan") == "kode_tps_terdaftar"
    )
    assert skipped["n_diperiksa"].sum() == 0


def test_report_time_must_be_inside_the_election_window(s):
    early = dt.datetime(2024, 11, 27, 6, 59, tzinfo=WIB)
    late = dt.datetime(2025, 1, 2, 9, 0, tzinfo=WIB)
    df = frame(
        tally_row(waktu_laporan=early),
        tally_row(kode_tps="1671011001002", waktu_laporan=late),
        tally_row(kode_tps="1671011001003", waktu_laporan=T0),
    )
    out = v.validate(TALLY.name, df, s)
    assert out.flags["ditolak"].to_list() == [True, True, False]
    assert "waktu_laporan (2024-11-27 06:59 WIB) di luar jendela" in out.flags["alasan_tolak"][0][0]
    kpu = v.validate(OFFICIAL_TPS.name, official(tally_row(waktu_laporan=late)), s)
    assert kpu.flags["ditolak"].to_list() == [False]
    assert ids(kpu.flags["peringatan"][0]) == {"waktu_dalam_jendela"}


def test_duplicate_key_rejects_the_repeat_not_the_first(s):
    df = frame(
        tally_row(),
        tally_row(suara_tidak_sah=5),
        tally_row(waktu_laporan=T0 + dt.timedelta(minutes=5)),
    )
    out = v.validate(TALLY.name, df, s)
    assert out.flags["ditolak"].to_list() == [
        False,
        True,
        False,
    ]  # a later version is not a duplicate
    assert out.flags["alasan_tolak"][1][0].startswith(
        "kunci_unik: kunci (kode_tps, kode_kontestasi, waktu_laporan) = (1671011001001, pkwkk-1671,"
    )


def test_ocr_hundreds_digit_signature(s):
    df = frame(
        tally_row(
            suara_sah=962, jumlah_suara_paslon=962, suara_total=967, surat_suara_digunakan=967
        ),
        # 420 above a DPT of 300: the hundreds digit is 4, not a crossed-out box misread
        tally_row(kode_tps="1671011001002", suara_sah=420, jumlah_suara_paslon=420),
    )
    out = v.validate(OFFICIAL_TPS.name, official(*df.drop("_row_id").to_dicts()), s)
    first = [m for m in out.flags["peringatan"][0] if m.startswith("ocr_digit_ratusan")]
    assert first and "suara_sah 962→62" in first[0] and "suara_total 967→67" in first[0]
    assert "ocr_digit_ratusan" not in ids(out.flags["peringatan"][1])


def test_ocr_signature_in_a_paslon_box_shows_as_an_exact_hundreds_excess(s):
    # one paslon's 62 read as 962: Σ paslon = 250 + 900 while suara_sah stays 250
    df = official(
        tally_row(jumlah_suara_paslon=1150),
        tally_row(kode_tps="1671011001002", jumlah_suara_paslon=650),
    )
    out = v.validate(OFFICIAL_TPS.name, df, s)
    first = [m for m in out.flags["peringatan"][0] if m.startswith("ocr_digit_ratusan")]
    assert first and "Σ suara paslon (1150) − suara_sah (250) = 900" in first[0]
    # an excess of 400: 4 is not a digit a crossed-out box is read as
    assert "ocr_digit_ratusan" not in ids(out.flags["peringatan"][1])


def test_incomplete_and_psu_kpu_records_are_kept_with_a_warning(s):
    df = official(tally_row(), tally_row(kode_tps="1671011001002", psu="Pemungutan Suara Ulang"))
    df = df.with_columns(
        pl.when(pl.col("_row_id") == 0).then(False).otherwise(True).alias("ada_chart"),
        pl.when(pl.col("_row_id") == 0)
        .then(None)
        .otherwise(pl.col("jumlah_suara_paslon"))
        .alias("jumlah_suara_paslon"),
    )
    out = v.validate(OFFICIAL_TPS.name, df, s)
    assert out.flags["ditolak"].to_list() == [False, False]
    assert out.flags["peringatan"][0].to_list() == [
        "rekaman_lengkap: rekaman Sirekap belum lengkap: chart (suara paslon) kosong"
    ]
    assert out.flags["peringatan"][1].to_list() == [
        "tanpa_psu: TPS dicatat PSU oleh KPU: Pemungutan Suara Ulang"
    ]


def test_summary_counts_per_check_and_kabkota(s):
    df = frame(
        tally_row(),
        tally_row(kode_tps="1671011001002", jumlah_suara_paslon=1),
        tally_row(kode_tps="1671011001003", jumlah_suara_paslon=None),  # no chart: not checked
        tally_row(kode_tps="1601072001001", kode_kontestasi="pkwkp-16", jumlah_suara_paslon=2),
    )
    out = v.validate(TALLY.name, df, s)
    row = out.summary.filter(pl.col("pemeriksaan") == "identitas_1_jumlah_suara").select(
        "kode_kabkota", "n_gagal", "n_diperiksa"
    )
    assert row.sort("kode_kabkota").to_dicts() == [
        {"kode_kabkota": "16.01", "n_gagal": 1, "n_diperiksa": 1},
        {"kode_kabkota": "16.71", "n_gagal": 1, "n_diperiksa": 2},
    ]
    assert out.summary.columns == [
        "dataset",
        "pemeriksaan",
        "tingkat",
        "kode_kabkota",
        "alasan",
        "n_gagal",
        "n_diperiksa",
    ]
    assert out.summary.filter(pl.col("n_diperiksa") < pl.col("n_gagal")).is_empty()


def incident(**over) -> dict:
    row = dict(
        id_insiden="INS-1",
        waktu_kejadian=T0 - dt.timedelta(hours=2),
        waktu_laporan=T0,
        kode_wilayah="16.71.01",
        kode_tps=None,
        lokasi="TPS 1 Kel. 35 Ilir",
        tahapan="pemungutan_penghitungan",
        kategori="logistik",
        kategori_lain=["kamtibmas"],
        tingkat_keparahan="tinggi",
        status_verifikasi="terkonfirmasi",
        status_penanganan="ditangani",
        instansi="KPU",
        waktu_penanganan=T0,
        deskripsi="Surat suara kurang",
        tahapan_asli="Pungut hitung",
        kategori_asli="Logistik; kamtibmas",
        tingkat_keparahan_asli="Tinggi",
        sumber_file="insiden/a.csv",
        sumber_baris=2,
        label_tidak_dikenal=[],
    )
    row.update(over)
    return row


def test_incident_fields_after_normalisation(s):
    df = frame(
        incident(),
        incident(id_insiden="INS-2", kategori="Logistik"),  # never normalised: reject
        incident(id_insiden="INS-3", kode_wilayah=None, lokasi="dekat pasar"),  # no location: warn
        incident(id_insiden="INS-4", tahapan="lainnya", label_tidak_dikenal=["tahapan"]),
        incident(id_insiden="INS-5", kode_wilayah="99.99"),
        incident(id_insiden="INS-1"),  # duplicate id
    )
    out = v.validate(INCIDENTS.name, df, s)
    assert out.flags["ditolak"].to_list() == [False, True, False, False, False, True]
    assert ids(out.flags["alasan_tolak"][1]) == {"kategori_kanonik"}
    assert ids(out.flags["peringatan"][2]) == {"lokasi_ada"}
    assert "dekat pasar" in out.flags["peringatan"][2][0]
    assert ids(out.flags["peringatan"][3]) == {"label_dikenal"}
    assert ids(out.flags["peringatan"][4]) == {"wilayah_dikenal"}
    assert ids(out.flags["alasan_tolak"][5]) == {"kunci_unik"}


def test_readiness_ref_tps_and_region_recap(s):
    day = dt.date(2024, 11, 26)
    ready = frame(
        dict(
            kode_wilayah="16.71",
            tanggal=day,
            indikator="logistik_diterima",
            nilai=1.0,
            pembilang=18,
            penyebut=18,
        ),
        dict(
            kode_wilayah="16.01",
            tanggal=day,
            indikator="logistik_diterima",
            nilai=98.0,
            pembilang=None,
            penyebut=None,
        ),
        dict(
            kode_wilayah="16.02",
            tanggal=day,
            indikator="perekaman_ktp_el",
            nilai=0.5,
            pembilang=9,
            penyebut=10,
        ),
    )
    out = v.validate(READINESS.name, ready, s)
    assert out.flags["ditolak"].to_list() == [False, True, False]
    assert ids(out.flags["peringatan"][2]) == {"pecahan_konsisten"}

    tps = frame(
        dict(
            kode_tps="1671011001001",
            kode_desa="16.71.01.1001",
            nomor_tps=1,
            pemilih_dpt=300,
            pemilih_dpt_l=150,
            pemilih_dpt_p=150,
        ),
        dict(
            kode_tps="1671011002001",
            kode_desa="16.71.01.1001",
            nomor_tps=1,
            pemilih_dpt=300,
            pemilih_dpt_l=150,
            pemilih_dpt_p=150,
        ),
        dict(
            kode_tps="1671011001002",
            kode_desa="16.71.01.1001",
            nomor_tps=2,
            pemilih_dpt=700,
            pemilih_dpt_l=350,
            pemilih_dpt_p=350,
        ),
    )
    out = v.validate(TPS.name, tps, s)
    assert out.flags["ditolak"].to_list() == [False, True, False]
    assert ids(out.flags["alasan_tolak"][1]) == {"kode_tps_sesuai_desa"}
    assert ids(out.flags["peringatan"][2]) == {"dpt_wajar"}

    def rec(kode, nomor, suara, sah=300):
        return dict(
            kode_wilayah=kode,
            kode_kontestasi="pkwkk-1671",
            nomor_urut=nomor,
            suara=suara,
            suara_sah=sah,
            suara_tidak_sah=4,
            tps_total=10,
            tps_masuk=9,
            sumber_file="rekap.csv",
            sumber_baris=nomor,
        )

    region = frame(
        rec("16.71.01", 1, 100),
        rec("16.71.01", 2, 200),
        rec("16.71.02", 1, 100),
        rec("16.71.02", 2, 150),
        rec("16.01.07", 1, 5),
    )
    out = v.validate(OFFICIAL_REGION.name, region, s)
    assert out.flags["ditolak"].to_list() == [False, False, False, False, True]
    assert ids(out.flags["alasan_tolak"][4]) == {"kontestasi_sesuai_wilayah"}
    assert [ids(w) for w in out.flags["peringatan"][2:4]] == [{"identitas_1_jumlah_suara"}] * 2
    assert "(250) ≠ suara_sah (300)" in out.flags["peringatan"][2][0]


def _sirekap_frame() -> tuple[pl.DataFrame, list[dict]]:
    """The 88 real Pemilu 2024 records as an official_tps-like frame (parsed minimally here)."""
    rows, raw = [], []
    for i, path in enumerate(sorted(SIREKAP.glob("*.json"))):
        rec = json.loads(path.read_text())
        raw.append(rec)
        adm = rec.get("administrasi") or {}
        chart = rec.get("chart")
        votes = [n for k, n in (chart or {}).items() if k != "null" and n is not None]
        row = {
            "_row_id": i,
            "kode_tps": path.stem,
            "kode_kontestasi": "ppwp",
            "waktu_tarik": dt.datetime(2024, 2, 18, 12, 25, tzinfo=dt.UTC),
            "ts": dt.datetime.fromisoformat(rec["ts"]).replace(tzinfo=WIB)
            if rec.get("ts")
            else None,
            "status_suara": rec.get("status_suara"),
            "status_adm": rec.get("status_adm"),
            "psu": rec.get("psu"),
            "ada_chart": chart is not None,
            "ada_administrasi": bool(adm),
            "suara_sah": adm.get("suara_sah"),
            "suara_tidak_sah": adm.get("suara_tidak_sah"),
            "suara_total": adm.get("suara_total"),
            "jumlah_suara_paslon": sum(votes) if chart is not None else None,
            "paslon_asing": sum(
                k not in ("100025", "100026", "100027", "null") for k in chart or {}
            ),
            "sumber_file": path.name,
            "sumber_baris": 1,
        }
        for f, src in [
            ("pemilih_dpt", "pemilih_dpt"),
            ("pengguna_dpt", "pengguna_dpt"),
            ("pengguna_dptb", "pengguna_dptb"),
            ("pengguna_dpk", "pengguna_non_dpt"),
            ("pengguna_total", "pengguna_total"),
        ]:
            row[f] = adm.get(f"{src}_j")
            row[f"{f}_l"] = adm.get(f"{src}_l")
            row[f"{f}_p"] = adm.get(f"{src}_p")
        rows.append(row)
    return pl.DataFrame(rows, infer_schema_length=None), raw


def _independent_counts(raw: list[dict]) -> dict[str, int]:
    """How many records break each identity, counted straight from the JSON."""
    n = dict.fromkeys(
        [
            "identitas_1_jumlah_suara",
            "identitas_2_sah_tidak_sah",
            "identitas_3_pengguna",
            "identitas_4_suara_pengguna",
            "identitas_6_pengguna_dpt",
            "identitas_7_batas_cadangan",
            *(
                f"identitas_5_lp_{f}"
                for f in (
                    "pemilih_dpt",
                    "pengguna_dpt",
                    "pengguna_dptb",
                    "pengguna_dpk",
                    "pengguna_total",
                )
            ),
        ],
        0,
    )

    def known(*xs):
        return all(x is not None for x in xs)

    for rec in raw:
        a, chart = rec.get("administrasi") or {}, rec.get("chart")
        sah, tidak, total = a.get("suara_sah"), a.get("suara_tidak_sah"), a.get("suara_total")
        dpt, pdpt = a.get("pemilih_dpt_j"), a.get("pengguna_dpt_j")
        dptb, dpk, ptot = (
            a.get("pengguna_dptb_j"),
            a.get("pengguna_non_dpt_j"),
            a.get("pengguna_total_j"),
        )
        chart_sum = sum(x for k, x in (chart or {}).items() if k != "null" and x is not None)
        if chart is not None and known(sah) and chart_sum != sah:
            n["identitas_1_jumlah_suara"] += 1
        if known(sah, tidak, total) and sah + tidak != total:
            n["identitas_2_sah_tidak_sah"] += 1
        if known(pdpt, dptb, dpk, ptot) and pdpt + dptb + dpk != ptot:
            n["identitas_3_pengguna"] += 1
        if known(total, ptot) and abs(total - ptot) > 2:
            n["identitas_4_suara_pengguna"] += 1
        if known(pdpt, dpt) and pdpt > dpt:
            n["identitas_6_pengguna_dpt"] += 1
        # exact: reserve 2.5% of DPT, rounded up to whole ballots
        if known(total, dpt) and total > dpt + math.ceil(Fraction(dpt * 25, 1000)):
            n["identitas_7_batas_cadangan"] += 1
        for f, src in [
            ("pemilih_dpt", "pemilih_dpt"),
            ("pengguna_dpt", "pengguna_dpt"),
            ("pengguna_dptb", "pengguna_dptb"),
            ("pengguna_dpk", "pengguna_non_dpt"),
            ("pengguna_total", "pengguna_total"),
        ]:
            j, l_, p = a.get(f"{src}_j"), a.get(f"{src}_l"), a.get(f"{src}_p")
            if known(j, l_, p) and l_ + p != j:
                n[f"identitas_5_lp_{f}"] += 1
    return n


def test_real_sirekap_records_identity_counts_match_an_independent_count(s):
    df, raw = _sirekap_frame()
    assert df.height == 88
    out = v.validate(OFFICIAL_TPS.name, df, s)
    assert out.flags.height == 88 and out.flags["_row_id"].n_unique() == 88  # every station
    assert out.n_rejected == 0  # KPU's records are flagged, never dropped
    got = out.summary.group_by("pemeriksaan").agg(pl.col("n_gagal").sum())
    got = dict(got.iter_rows())
    expected = _independent_counts(raw)
    assert {k: got[k] for k in expected} == expected
    assert sum(expected.values()) > 0  # the real data does break identities
    assert got["kontestasi_dikenal"] == 0 and got["kode_tps_desa_dikenal"] == 0


def test_checks_are_described_with_severity_and_reason(s):
    d = v.describe_checks(s)
    assert set(d["dataset"]) == set(v.DATASETS)
    for col in ("why", "mengapa", "aturan", "alasan", "sumber"):
        assert d.filter(pl.col(col).str.len_chars() < 10).is_empty(), col
    assert set(d["tingkat"]) == {"tolak", "peringatan"}
    assert d.filter(pl.col("pemeriksaan").str.starts_with("identitas_")).height >= 20
    suites = v.suite_definitions(s)
    for defs in suites.values():
        for e in defs:
            meta = e["meta"]
            assert meta["severity"] in ("reject", "warn") and meta["why"] and meta["aturan"]
            assert meta["tingkat"] == v.TINGKAT[meta["severity"]]
    # the rule in words carries the threshold of the settings
    tally = {e["meta"]["check"]: e["meta"] for e in suites[TALLY.name]}
    assert tally["identitas_1_jumlah_suara"]["aturan"] == "Σ suara paslon = suara_sah, toleransi 0"
    assert "election.tolerances.votes_sum = 0" in tally["identitas_1_jumlah_suara"]["sumber"]


def test_shared_chasil_checks_differ_only_where_the_table_says(s):
    """The C.Hasil identities are one table: same rule for both, severity per dataset."""
    tally = {c.id: c for c in v.checks_for(TALLY.name, s)}
    kpu = {c.id: c for c in v.checks_for(OFFICIAL_TPS.name, s)}
    assert tally["identitas_1_jumlah_suara"].severity == "reject"
    assert kpu["identitas_1_jumlah_suara"].severity == "warn"
    assert tally["identitas_1_jumlah_suara"].aturan == kpu["identitas_1_jumlah_suara"].aturan
    same = tally["identitas_3_pengguna"], kpu["identitas_3_pengguna"]  # nothing per dataset
    assert same[0].why == same[1].why and str(same[0].derive) == str(same[1].derive)
    assert set(kpu) - set(tally) == {"rekaman_lengkap", "tanpa_psu"}


def test_checks_doc_is_fresh():
    """docs/checks.md is generated from the check tables: regenerate with `make checks-doc`."""
    from analysis.validate import catalogue

    assert catalogue.DOC.read_text(encoding="utf-8") == catalogue.render(), (
        "docs/checks.md is stale: run `make checks-doc` and commit it"
    )
    text = catalogue.DOC.read_text(encoding="utf-8")
    assert "| `identitas_1_jumlah_suara` |" in text and "DPT 241 → 248" in text


def test_context_works_from_a_fresh_clone_and_is_idempotent(tmp_path):
    """The committed expectations/ folder (without uncommitted/) validates twice, leaving no results."""
    committed = REPO_ROOT / "expectations"
    fresh = tmp_path / "expectations"
    shutil.copytree(committed, fresh, ignore=shutil.ignore_patterns("uncommitted"))
    settings = load_settings(paths={"expectations": str(fresh)})

    def files() -> dict[Path, bytes]:
        return {
            p: p.read_bytes()
            for p in fresh.rglob("*")
            if p.is_file() and "uncommitted" not in p.relative_to(fresh).parts
        }

    before = files()
    assert (fresh / "great_expectations.yml") in before
    for _ in range(2):
        out = v.validate(TALLY.name, frame(tally_row(), tally_row(jumlah_suara_paslon=1)), settings)
        assert out.flags["ditolak"].to_list() == [False, True]
    assert files() == before  # neither the config nor the suites are rewritten
    v.sync_suites(settings)  # every suite: the committed ones are fresh (regenerated from code)
    assert files() == before, "expectations/ is stale: run `make checks-doc` and commit it"
    assert not (fresh / "uncommitted" / "validations").exists()  # results are kept in memory
    assert v._gx_context(fresh).validation_results_store.list_keys() == []  # and dropped once read
    assert (fresh / "expectations" / f"{TALLY.name}.json").exists()  # suites named by dataset


def test_contract_errors_are_clear(s):
    with pytest.raises(v.ValidationInputError, match="_row_id"):
        v.validate(TALLY.name, pl.DataFrame([tally_row()]), s)
    with pytest.raises(v.ValidationInputError, match="jumlah_suara_paslon"):
        v.validate(TALLY.name, frame(tally_row()).drop("jumlah_suara_paslon"), s)
    with pytest.raises(v.ValidationInputError, match="no suite"):
        v.validate("nope", frame(tally_row()), s)
    empty = v.validate(TALLY.name, frame(tally_row()).clear(), s)
    assert empty.flags.is_empty() and empty.summary.is_empty()


def test_missing_required_values_are_named(s):
    out = v.validate(TALLY.name, frame(tally_row(suara_sah=None, kode_kontestasi=None)), s)
    msg = [m for m in out.flags["alasan_tolak"][0] if m.startswith("wajib_terisi")][0]
    assert msg == "wajib_terisi: kolom wajib kosong: kode_kontestasi, suara_sah"


def test_importing_the_module_does_not_import_great_expectations():
    code = "import sys, analysis.validate; print('great_expectations' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
