"""Incident label normalisation and incident analytics, on tiny inline frames."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis import taxonomy as tx
from analysis.analyse import incidents as inc
from analysis.schemas import INCIDENTS

WIB = dt.timezone(dt.timedelta(hours=7))
AS_OF = dt.datetime(2024, 11, 28, 14, tzinfo=WIB)
PREV = dt.datetime(2024, 11, 27, 20, tzinfo=WIB)

# Messy category labels as field staff write them -> (primary, others)
MESSY_KATEGORI = [
    ("Logistik; Kamtibmas", ("logistik", ["kamtibmas"])),
    ("politik uang dan intimidasi", ("politik_uang", ["kamtibmas"])),
    ("LOGISITK", ("logistik", [])),
    ("Money Politic", ("politik_uang", [])),
    ("money politik / serangan fajar", ("politik_uang", [])),
    ("intimdasi", ("kamtibmas", [])),
    ("Kekerasan", ("kamtibmas", [])),
    ("netrlitas ASN", ("netralitas", [])),
    ("ASN tidak netral", ("netralitas", [])),
    ("Netralitas Kepala Desa", ("netralitas", [])),
    ("APK", ("pelanggaran_kampanye", [])),
    ("pelanggaran_kampanye", ("pelanggaran_kampanye", [])),
    ("Kampanye di masa tenang", ("pelanggaran_kampanye", [])),
    ("HOAKS", ("pelanggaran_kampanye", [])),
    ("DPT ganda", ("data_pemilih", [])),
    ("data pemilih", ("data_pemilih", [])),
    ("Data_Pemilih, Logistik", ("data_pemilih", ["logistik"])),
    ("prokes", ("protokol_kesehatan", [])),
    ("PSU", ("prosedur_pungut_hitung", [])),
    ("pelanggaran prosedur pemungutan", ("prosedur_pungut_hitung", [])),
    ("banjir / longsor", ("infrastruktur", [])),
    ("listrik padam", ("infrastruktur", [])),
    ("Gangguan Kamtibmas", ("kamtibmas", [])),
    ("kamtibmas", ("kamtibmas", [])),
    ("surat suara kurang", ("logistik", [])),
    ("Logistic", ("logistik", [])),
    ("  KAMTIBMAS  ", ("kamtibmas", [])),
    ("Lain-lain", ("lainnya", [])),
    ("TPS dibakar massa", ("kamtibmas", [])),
    ("xyzzy qwerty", ("lainnya", [])),
    ("", ("lainnya", [])),
    (None, ("lainnya", [])),
    ("Politik Uang, Intimidasi, blablabla", ("politik_uang", ["kamtibmas", "lainnya"])),
]


@pytest.mark.parametrize(("raw", "expected"), MESSY_KATEGORI)
def test_messy_categories_map_to_canonical_codes(raw, expected):
    out = tx.normalise_incidents(pl.DataFrame({"kategori": [raw]}, schema={"kategori": pl.String}))
    assert out["kategori"][0] == expected[0]
    assert out["kategori_lain"][0].to_list() == expected[1]
    assert out["kategori_asli"][0] == raw  # the original text is always kept


@pytest.mark.parametrize(
    ("field", "raw", "code"),
    [
        ("tahapan", "Pemungutan dan Penghitungan Suara", "pemungutan_penghitungan"),
        ("tahapan", "hari H", "pemungutan_penghitungan"),
        ("tahapan", "Rekap", "rekapitulasi"),
        ("tahapan", "masa tenang", "masa_tenang"),
        ("tahapan", "KAMPANYE", "kampanye"),
        ("tahapan", "kampanye, masa tenang", "kampanye"),
        ("tahapan", "coklit", "pemutakhiran_data_pemilih"),
        ("tahapan", "??", "lainnya"),
        ("tingkat_keparahan", "KRITIS", "kritis"),
        ("tingkat_keparahan", "krtis", "kritis"),
        ("tingkat_keparahan", "tingi", "tinggi"),
        ("tingkat_keparahan", "Medium", "sedang"),
        ("tingkat_keparahan", "ringan", "rendah"),
        ("tingkat_keparahan", "", "lainnya"),
        ("status_verifikasi", "Terverifikasi", "terverifikasi_resmi"),
        ("status_verifikasi", "dikonfirmasi", "terkonfirmasi"),
        ("status_verifikasi", "hoax", "dibantah"),
        ("status_verifikasi", None, "belum_diverifikasi"),
        ("status_penanganan", "Dalam penanganan", "ditangani"),
        ("status_penanganan", "tuntas", "selesai"),
        ("instansi", "polsek", "Polres"),
        ("instansi", "Panwascam", "Bawaslu"),
        ("instansi", "disdukcapil", "Dukcapil"),
    ],
)
def test_stages_severities_statuses_agencies(field, raw, code):
    out = tx.normalise_incidents(pl.DataFrame({field: [raw]}, schema={field: pl.String}))
    assert out[field][0] == code
    assert out[f"{field}_asli"][0] == raw


def test_unmapped_labels_are_counted_never_dropped():
    raw = pl.DataFrame(
        {
            "id_insiden": ["a", "b", "c", "d"],
            "kategori": ["Logistik", "zzz", None, "politik uang"],
            "tahapan": ["rekap", "rekap", "??", None],
            "tingkat_keparahan": ["kritis", "sedang", "tinggi", "apa ini"],
            "instansi": [None, "kpu", "entah", None],
            "sumber_baris": [2, 3, 4, 5],
        }
    )
    out = tx.normalise_incidents(raw)
    assert out.height == 4 and out["sumber_baris"].to_list() == [2, 3, 4, 5]
    counts = {r["kolom"]: r for r in tx.unmapped_counts(out).iter_rows(named=True)}
    assert counts["kategori"]["n_tidak_dikenal"] == 2  # "zzz" and blank
    assert counts["kategori"]["contoh"] == ["zzz"]
    assert counts["tahapan"]["n_tidak_dikenal"] == 2
    assert counts["tingkat_keparahan"]["n_tidak_dikenal"] == 1
    assert counts["instansi"]["n_tidak_dikenal"] == 1  # blank agency is allowed; "entah" is not
    # idempotent: normalising again changes nothing, and the result conforms to the schema
    assert tx.normalise_incidents(out).equals(out)
    INCIDENTS.conform(out)


def _incidents() -> pl.DataFrame:
    def t(hours: float) -> dt.datetime:
        return AS_OF - dt.timedelta(hours=hours)

    rows = [
        # id, reported, wilayah, tps, kategori, severity, verification, handling, handled after h
        ("1", t(2), "16.71.01", None, "kamtibmas", "kritis", "terverifikasi", "baru", None),
        ("2", t(30), "16.71.02.1001", None, "politik uang", "tinggi", "belum", "ditangani", 3),
        ("3", t(5), None, "1671011001002", "logistik", "sedang", "dikonfirmasi", "selesai", 1),
        ("4", t(3), "16.71", None, "kamtibmas", "tinggi", "dibantah", "baru", None),
        ("5", t(1), None, None, "hoaks", "rendah", "belum", "baru", None),
        ("6", t(50), "16.02.03", None, "netralitas", "tinggi", "terverifikasi", "selesai", 10),
        ("7", t(-5), "16.71.01", None, "kamtibmas", "kritis", "terverifikasi", "baru", None),
    ]
    df = pl.DataFrame(
        [
            {
                "id_insiden": r[0],
                "waktu_laporan": r[1],
                "kode_wilayah": r[2],
                "kode_tps": r[3],
                "kategori": r[4],
                "tingkat_keparahan": r[5],
                "status_verifikasi": r[6],
                "status_penanganan": r[7],
                "waktu_penanganan": r[1] + dt.timedelta(hours=r[8]) if r[8] is not None else None,
                "tahapan": "rekapitulasi",
                "deskripsi": f"kejadian {r[0]}",
            }
            for r in rows
        ]
    )
    return INCIDENTS.conform(tx.normalise_incidents(df))


def test_location_counts_at_the_highest_known_level():
    df = _incidents()
    national = inc.incident_summary(df, "00", PREV, AS_OF)
    assert national["total"] == 6  # #7 is reported after as_of
    assert inc.incident_summary(df, "16", PREV, AS_OF)["total"] == 5  # #5 has no location
    kota = inc.counts_by_child(df, "16.71", AS_OF)
    by_code = {r["kode_wilayah"]: r for r in kota.iter_rows(named=True)}
    assert by_code["16.71.01"]["n_insiden"] == 2  # #1 and #3 (desa taken from its TPS code)
    assert by_code["16.71.02"]["n_insiden"] == 1
    assert by_code["16.71"]["nama"] == inc.NO_DETAIL and by_code["16.71"]["n_insiden"] == 1
    assert inc.incident_summary(df, "16.71.01", PREV, AS_OF)["total"] == 2


def test_counts_keep_verified_and_unverified_apart():
    df = _incidents()
    c = inc.incident_counts(df, "16", AS_OF)
    assert c["n_insiden"].sum() == 5
    assert c["n_terverifikasi"].sum() == 3  # #1, #3 (terkonfirmasi), #6
    assert c["n_belum_diverifikasi"].sum() == 1
    assert c["n_dibantah"].sum() == 1
    assert c["tingkat_keparahan"][0] == "kritis"  # most severe first
    assert {"tahapan_label", "kategori_label", "keparahan_label"} <= set(c.columns)


def test_new_and_open_serious_listings():
    df = _incidents()
    new = inc.new_incidents(df, "00", PREV, AS_OF)
    assert set(new["id_insiden"]) == {"1", "3", "4", "5"}
    serious = inc.open_serious(df, "00", AS_OF)
    # #4 is dibantah, #6 selesai, #7 not yet reported as of AS_OF
    assert serious["id_insiden"].to_list() == ["1", "2"]
    assert serious["umur_menit"].to_list() == [120, 1800]
    assert serious["penanganan_label"].to_list() == ["Baru", "Sedang ditangani"]


def test_handling_times():
    h = inc.handling_times(_incidents(), "00", AS_OF)
    tinggi = h.filter(pl.col("tingkat_keparahan") == "tinggi")
    ver = tinggi.filter(pl.col("kelompok_verifikasi") == "terverifikasi").row(0, named=True)
    assert ver["median_jam"] == 10.0 and ver["n_ditangani"] == 1
    unv = tinggi.filter(pl.col("kelompok_verifikasi") == "belum_diverifikasi").row(0, named=True)
    assert unv["median_jam"] == 3.0
    assert "dibantah" not in h["kelompok_verifikasi"].to_list()


def test_naive_time_is_a_clear_error():
    with pytest.raises(ValueError, match="UTC offset"):
        inc.prepare(_incidents(), "00", dt.datetime(2024, 11, 28, 14))
