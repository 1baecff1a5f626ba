"""Readers on tiny inline files: every messy variant a desk receives, and unreadable files."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import openpyxl
import polars as pl
import pytest

from analysis import read

UTC = dt.UTC

TALLY_HEADER = [
    "Kode TPS",
    "Jenis Pemilihan",
    "Waktu Laporan",
    "Pelapor",
    "Jumlah DPT",
    "Pengguna DPT",
    "pengguna_dptb",
    "PENGGUNA DPK",
    "Pengguna Total",
    "Paslon 1",
    "Paslon 2",
    "Suara Sah",
    "Suara Tidak Sah",
    "suara_total",
]


def _csv(rows: list[list[str]], sep: str) -> str:
    buf = io.StringIO()
    import csv

    csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def _tally(text: bytes, rel: str = "hitung_internal/a.csv") -> read.FileRead:
    fr = read.read_table("tally", text, rel)
    assert fr.error is None, fr.error
    return fr


def test_csv_bom_semicolon_thousands_title_and_blank_rows():
    rows = [
        ["LAPORAN HITUNG INTERNAL KOTA PALEMBANG"],
        [],
        TALLY_HEADER,
        ["1671011001001", "Walikota", "2024-11-27 16:05", "Budi", "1.234", "300", "2", "1", "303"]
        + ["150", "143", "293", "10", "303"],
        [""] * 14,
        [""] * 14,
    ]
    data = ("\ufeff" + _csv(rows, ";")).encode("utf-8")
    fr = _tally(data)
    r = fr.rows
    assert r.height == 1  # title and trailing blank rows are not data rows
    row = r.row(0, named=True)
    assert row["kode_tps"] == "1671011001001"
    assert row["kode_kontestasi"] == "pkwkk-1671"
    assert row["pemilih_dpt"] == 1234  # "1.234" is one thousand two hundred thirty-four
    assert row["pengguna_dpk"] == 1
    assert row["waktu_laporan"] == dt.datetime(2024, 11, 27, 9, 5, tzinfo=UTC)  # 16:05 WIB
    assert row["sumber_file"] == "hitung_internal/a.csv"
    assert row["sumber_baris"] == 4  # the row number seen in a spreadsheet
    assert row["sumber_sheet"] is None
    assert row["masalah"] == []
    assert json.loads(row["nilai_asli"])["Jumlah DPT"] == "1.234"
    votes = fr.votes
    assert votes.select("nomor_urut", "suara").rows() == [(1, 150), (2, 143)]


def test_csv_cp1252_comma_quotes_and_tab():
    rows = [TALLY_HEADER, ["1671011001002", "Gubernur", "27/11/2024 16.30", "Andi, S.Pd — Café"]]
    rows[1] += ["250", "200", "0", "0", "200", "100", "95", "195", "5", "200"]
    fr = _tally(_csv(rows, ",").encode("cp1252"))
    row = fr.rows.row(0, named=True)
    assert row["pelapor"] == "Andi, S.Pd — Café"  # quoted comma kept, cp1252 decoded
    assert row["kode_kontestasi"] == "pkwkp-16"
    assert row["waktu_laporan"] == dt.datetime(2024, 11, 27, 9, 30, tzinfo=UTC)
    fr_tab = _tally(_csv(rows, "\t").encode("utf-8"))
    assert fr_tab.rows["suara_sah"].to_list() == [195]


def test_time_zones_and_offsets_and_unreadable_cells():
    rows = [TALLY_HEADER]
    base = ["Bupati", "Budi", "250", "200", "0", "0", "200", "100", "95", "195", "5", "200"]
    rows.append(["7371011001001", "Walikota", "2024-11-27 16:05", *base[1:]])  # WITA
    rows.append(["1671011001001", "Walikota", "2024-11-27T16:05:00+08:00", *base[1:]])
    rows.append(["1671011001003", "Pilkada?", "kemarin", "Budi", "2,5", *base[3:]])
    r = _tally(_csv(rows, ",").encode()).rows
    assert r["waktu_laporan"][0] == dt.datetime(2024, 11, 27, 8, 5, tzinfo=UTC)
    assert r["waktu_laporan"][1] == dt.datetime(2024, 11, 27, 8, 5, tzinfo=UTC)
    bad = r.row(2, named=True)
    assert bad["waktu_laporan"] is None and bad["pemilih_dpt"] is None
    text = " | ".join(bad["masalah"])
    assert "waktu_laporan" in text and "kemarin" in text
    assert "pemilih_dpt" in text and "2,5" in text
    assert "jenis_pemilihan" in text


def test_missing_required_columns_names_them_and_the_closest_headers():
    rows = [["Kode TPS", "Jenis Pemilihan", "Waktu Laporan", "Suara Sahh", "Tidak Sah", "Total"]]
    rows.append(["1671011001001", "Walikota", "2024-11-27 16:05", "1", "2", "3"])
    fr = read.read_table("tally", _csv(rows, ",").encode(), "hitung_internal/x.csv")
    assert fr.rows.is_empty()
    assert "kolom wajib tidak ada" in fr.error
    assert "suara_sah" in fr.error and "pengguna_total" in fr.error
    assert "'Suara Sahh' (mirip suara_sah)" in fr.error


@pytest.mark.parametrize(
    ("data", "suffix", "reason"),
    [
        (b"", ".csv", "berkas kosong"),
        (bytes(range(256)) * 8, ".csv", "biner"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, ".xls", ".xls"),
        (b"PK\x03\x04not really a zip", ".xlsx", "bukan berkas Excel"),
        (b'{"a": 1}', ".csv", "JSON"),
        (b"just some words\nno table here\n", ".csv", "kolom wajib tidak ada"),
    ],
)
def test_unreadable_files_give_one_clear_message(tmp_path, data, suffix, reason):
    p = tmp_path / "hitung_internal" / f"bad{suffix}"
    p.parent.mkdir()
    p.write_bytes(data)
    fr = read.read_file(p, tmp_path)
    assert fr.error and reason in fr.error
    assert fr.rows.is_empty()


def _xlsx_with_cached_formula() -> bytes:
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Petunjuk"
    info.append(["Isi satu baris per TPS. Jangan ubah header."])
    for title, code in (("Gubernur", "1671011001001"), ("Walikota", "1671011001002")):
        ws = wb.create_sheet(title)
        ws.append(["FORMULIR LAPORAN HITUNG INTERNAL"])
        ws.append(["Kota Palembang", None, "dicetak 27/11/2024"])
        ws.append([])
        ws.append(TALLY_HEADER)
        ws.append(
            [int(code), title, dt.datetime(2024, 11, 27, 16, 5), "Sari", 250, 200, 0, 0]
            + ["=F5+G5+H5", 100, 95, 195, 5, 200.0]
        )
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stores no cached value for a formula; add the one Excel would have saved
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                body = body.replace(b"<f>F5+G5+H5</f><v />", b"<f>F5+G5+H5</f><v>200</v>")
            dst.writestr(item, body)
    return out.getvalue()


def test_xlsx_title_rows_every_sheet_and_values_not_formulas():
    fr = read.read_table("tally", _xlsx_with_cached_formula(), "hitung_internal/b.xlsx", ".xlsx")
    assert fr.error is None
    r = fr.rows.sort("sumber_sheet")
    assert r["sumber_sheet"].to_list() == ["Gubernur", "Walikota"]
    assert r["sumber_baris"].to_list() == [5, 5]
    assert r["pengguna_total"].to_list() == [200, 200]  # the cached value, not "=F5+G5+H5"
    assert r["kode_tps"].to_list() == ["1671011001001", "1671011001002"]
    assert r["kode_kontestasi"].to_list() == ["pkwkp-16", "pkwkk-1671"]
    assert r["waktu_laporan"][0] == dt.datetime(2024, 11, 27, 9, 5, tzinfo=UTC)
    assert any("Petunjuk" in n for n in fr.notes)  # a sheet without data is skipped, and said so


def test_xlsx_given_a_csv_suffix_is_read_by_content(tmp_path):
    p = tmp_path / "hitung_internal" / "ternyata_excel.csv"
    p.parent.mkdir()
    p.write_bytes(_xlsx_with_cached_formula())
    fr = read.read_file(p, tmp_path)
    assert fr.error is None and fr.rows.height == 2


def test_header_aliases_fold_case_spaces_and_punctuation():
    assert read.canonical_header(" Jumlah DPT ") == "pemilih_dpt"
    assert read.canonical_header("DPT (L)") == "pemilih_dpt_l"
    assert read.canonical_header("Suara Sah") == "suara_sah"
    assert read.canonical_header("KODE-TPS") == "kode_tps"
    assert read.canonical_header("Paslon 1") == "suara_paslon_1"
    assert read.canonical_header("Suara Paslon 03") == "suara_paslon_3"
    assert read.canonical_header("Kolom Kosong") == "suara_kolom_kosong"
    assert read.canonical_header("Pengguna Non DPT") == "pengguna_dpk"
    assert read.canonical_header("apa ini") is None


# --- Sirekap -----------------------------------------------------------------------------------

PILKADA = {
    "tungsura": {
        "chart": {"1671001": 120, "1671002": "80", "9999999": 3, "null": None},
        "administrasi": {
            "suara_sah": 203,
            "suara_tidak_sah": 4,
            "suara_total": 207,
            "pemilih_dpt_j": 250,
            "pemilih_dpt_l": 120,
            "pemilih_dpt_p": 130,
            "pengguna_non_dpt_j": 1,
            "pengguna_total_j": 207,
            "kolom_baru_kpu": 5,
        },
    },
    "images": [None],
    "psu": None,
    "ts": "2024-11-28 07:15:00",
    "status_suara": True,
    "status_adm": True,
    "versi": "2.1",
}


def test_sirekap_pilkada_shape_from_pull_folder(tmp_path):
    rel = "kpu/20241128T0800/tps/pkwkk/1671011001001.json"
    p = tmp_path / rel
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps(PILKADA))
    fr = read.read_file(p, tmp_path)
    assert fr.error is None
    row = fr.rows.row(0, named=True)
    assert row["kode_tps"] == "1671011001001" and row["kode_kontestasi"] == "pkwkk-1671"
    assert row["waktu_tarik"] == dt.datetime(2024, 11, 28, 1, 0, tzinfo=UTC)  # 08:00 WIB
    assert row["ts"] == dt.datetime(2024, 11, 28, 0, 15, tzinfo=UTC)
    assert row["pemilih_dpt"] == 250 and row["pengguna_dpk"] == 1 and row["suara_sah"] == 203
    assert row["ada_chart"] and row["ada_administrasi"] and row["masalah"] == []
    # the spurious "null" key is dropped; unknown keys pass through without harm
    assert sorted(fr.votes["paslon_id"].to_list()) == ["1671001", "1671002", "9999999"]
    ref = pl.DataFrame(
        {
            "kode_kontestasi": ["pkwkk-1671"] * 2,
            "nomor_urut": [1, 2],
            "paslon_id": ["1671001", "1671002"],
        }
    )
    mapped = read.map_paslon(
        fr.votes.rename({"_i": "_rid"}).select("_rid", "paslon_id", "suara", "nomor_urut"),
        fr.rows.select(pl.col("_i").alias("_rid"), "kode_kontestasi"),
        ref,
    ).sort("paslon_id")
    assert mapped["nomor_urut"].to_list() == [1, 2, None]
    assert mapped["asing"].to_list() == [False, False, True]  # kept and flagged, not dropped
    assert mapped["suara"].to_list() == [120, 80, 3]


def test_sirekap_sections_may_be_null_and_pemilu_shape(tmp_path):
    rec = {"tungsura": {"chart": None, "administrasi": None}, "ts": "2024-11-27 22:00:00"}
    p = tmp_path / "kpu" / "tps" / "pkwkp" / "1671011001002.json"
    p.parent.mkdir(parents=True)
    p.write_text(json.dumps(rec))
    row = read.read_file(p, tmp_path).rows.row(0, named=True)
    assert row["ada_chart"] is False and row["ada_administrasi"] is False
    assert row["kode_kontestasi"] == "pkwkp-16"
    assert row["waktu_tarik"] == row["ts"]  # outside a pull folder: the record's own time
    assert row["suara_sah"] is None
    pemilu = {
        "chart": {"100025": 1, "null": None},
        "administrasi": None,
        "ts": "2024-02-15 07:00:44",
    }
    q = tmp_path / "kpu" / "tps" / "ppwp" / "3101011001001.json"
    q.parent.mkdir(parents=True)
    q.write_text(json.dumps(pemilu))
    fr = read.read_file(q, tmp_path)
    assert fr.rows["kode_kontestasi"].to_list() == ["ppwp"]
    assert fr.votes["paslon_id"].to_list() == ["100025"]


def test_sirekap_jsonl_bundle_with_a_bad_line(tmp_path):
    lines = [
        json.dumps({"kode_tps": "1671011001001", "record": PILKADA}),
        "{not json",
        "",
        json.dumps({"kode_tps": "1671011001002", "record": {"tungsura": None, "ts": None}}),
    ]
    p = tmp_path / "kpu" / "20241127T2000" / "tps" / "pkwkk.jsonl"
    p.parent.mkdir(parents=True)
    p.write_text("\n".join(lines))
    fr = read.read_file(p, tmp_path)
    assert fr.error is None
    r = fr.rows
    assert r["sumber_baris"].to_list() == [1, 2, 4]
    assert r["masalah"][0].to_list() == []
    assert "bukan JSON" in r["masalah"][1][0]
    assert r["waktu_tarik"][2] == dt.datetime(2024, 11, 27, 13, 0, tzinfo=UTC)
    assert r["ada_chart"][2] is False
    assert read.original_json_rows(p.read_bytes(), "x.jsonl", [2]) == {2: "{not json"}


def test_bad_json_is_a_clear_file_error(tmp_path):
    p = tmp_path / "kpu" / "tps" / "pkwkk" / "1671011001001.json"
    p.parent.mkdir(parents=True)
    p.write_text('{"tungsura": ')
    assert "bukan JSON yang sah" in read.read_file(p, tmp_path).error
    p.write_text('{"hello": 1}')
    assert "bukan catatan Sirekap" in read.read_file(p, tmp_path).error


# --- D.Hasil, incidents, readiness, references ---------------------------------------------------


def test_dhasil_wide_and_long():
    wide = "kode_wilayah;jenis_pemilihan;Paslon 1;Paslon 2;suara_sah;suara_tidak_sah;tps_total;tps_masuk\n"
    wide += "167101;Walikota;1.200;800;2.000;35;10;10\n"
    fr = read.read_table("official_region", wide.encode(), "kpu/rekap/a.csv")
    assert fr.error is None
    row = fr.rows.row(0, named=True)
    assert row["kode_wilayah"] == "16.71.01" and row["kode_kontestasi"] == "pkwkk-1671"
    assert row["suara_sah"] == 2000
    assert fr.votes.select("nomor_urut", "suara").rows() == [(1, 1200), (2, 800)]
    long = "Kode Wilayah,Jenis,No Urut,Suara\n16.71.01,Gubernur,1,10\n16.71.01,Gubernur,2,20\n"
    fr = read.read_table("official_region", long.encode(), "kpu/rekap/b.csv")
    assert fr.rows["kode_kontestasi"].to_list() == ["pkwkp-16", "pkwkp-16"]
    assert fr.votes.select("_i", "nomor_urut", "suara").rows() == [(0, 1, 10), (1, 2, 20)]


def test_incidents_keep_raw_labels_and_codes():
    text = (
        "id_insiden,waktu_kejadian,waktu_laporan,kode_wilayah,kode_tps,lokasi,tahapan,kategori,"
        "tingkat_keparahan,status_verifikasi,status_penanganan,instansi,waktu_penanganan,deskripsi\n"
        ",2024-11-26 21:00,27/11/2024 08:00,1671011001,,Pasar,Masa tenang,Politik uang dan intimidasi,"
        "Tinggi,belum,baru,Bawaslu,,Pembagian amplop\n"
    )
    fr = read.read_table("incidents", text.encode(), "insiden/a.csv")
    row = fr.rows.row(0, named=True)
    assert row["kode_wilayah"] == "16.71.01.1001" and row["kode_tps"] is None
    assert row["kategori"] == "Politik uang dan intimidasi"  # normalised later, by ingest
    assert row["waktu_laporan"] == dt.datetime(2024, 11, 27, 1, 0, tzinfo=UTC)
    assert row["id_insiden"] is None


def test_readiness_decimal_commas_and_percent_do_not_touch_dates():
    text = "kode_wilayah;tanggal;indikator;pembilang;penyebut;nilai\n"
    text += "16.71;26/11/2024;perekaman_ktp_el;;;98,03%\n"
    text += "1671;2024-11-25;Logistik Diterima;18;18;\n"
    text += "16.72;2024-11-25;nphd_dibayar;;;0,5\n"
    r = read.read_table("readiness", text.encode(), "kesiapan/a.csv").rows
    assert r["nilai"].to_list() == pytest.approx([0.9803, 1.0, 0.5])
    assert r["tanggal"].to_list() == [dt.date(2024, 11, 26), dt.date(2024, 11, 25)] + [
        dt.date(2024, 11, 25)
    ]
    assert r["indikator"][1] == "logistik_diterima" and r["kode_wilayah"][1] == "16.71"


def test_reference_tables():
    tps = "kode_tps,pemilih_dpt\n1671011001001,1.234\n"
    r = read.read_table("ref_tps", tps.encode(), "referensi/tps.csv").rows
    assert r["kode_desa"].to_list() == ["16.71.01.1001"] and r["nomor_tps"].to_list() == [1]
    assert r["pemilih_dpt"].to_list() == [1234]
    pas = "kode_kontestasi,nomor_urut,paslon_id,nama_paslon,kolom_kosong\npkwkk-1671,0,,Kolom Kosong,ya\n"
    r = read.read_table("ref_paslon", pas.encode(), "referensi/paslon.csv").rows
    assert r["kolom_kosong"].to_list() == [True] and r["paslon_id"].to_list() == [None]


def test_kind_of_follows_the_catalog_layout():
    assert read.kind_of("referensi/tps.csv") == "ref_tps"
    assert read.kind_of("referensi/paslon.csv") == "ref_paslon"
    assert read.kind_of("hitung_internal/x.xlsx") == "tally"
    assert read.kind_of("kpu/20241127T2000/tps/pkwkk/1.json") == "official"
    assert read.kind_of("kpu/rekap/x.csv") == "official_region"
    assert read.kind_of("manifest.json") is None
    assert read.kind_of("lain/x.csv") == "unknown"
    assert read.path_jenis("sirekap_ppwp2024_kepulauan_seribu/1.json") == "ppwp"
    assert read.path_pull("kpu/x/1.json") is None


def _compact(kode: str, chart: dict | None, adm: dict | None, **rec) -> str:
    record = {
        "ts": rec.get("ts", "2024-11-27 19:44:47"),
        "psu": rec.get("psu"),
        "images": ["https://x/y.jpg"],
        "tungsura": {"chart": chart, "administrasi": adm},
        "status_suara": chart is not None,
        "status_adm": adm is not None,
    }
    return json.dumps({"kode_tps": kode, "record": record}, separators=(",", ":"))


def test_bundle_fast_path_reads_exactly_like_the_record_by_record_reader():
    adm = {k: 7 for k in ("suara_sah", "suara_tidak_sah", "pemilih_dpt_j", "pengguna_non_dpt_p")}
    lines = [
        _compact("1671011001001", {"null": None, "1671001": 120, "1671002": 80}, adm),
        _compact("1671011001002", None, adm, psu="Pemungutan Suara Ulang"),
        _compact("1671011001003", {"1671001": -3, "null": 5}, None, ts=None),
        _compact("1671011001004", {"1671001": "12"}, {"suara_sah": 1.5}),  # odd: record by record
        _compact("167101100100", {}, {}),  # 12 digits
        '{"kode_tps": "1671011001005", "record": {"tungsura": null, "ts": "2024-11-27 20:00:00"}}',
        _compact("1671011001006", {"1671001": 1}, adm, psu='PSU "ulang"'),
        "not json",
        "",
    ]
    data = "\n".join(lines).encode()
    rel = "kpu/20241127T2000/tps/pkwkk.jsonl"
    fast = read.read_sirekap_jsonl(data, rel)
    slow = read.read_sirekap_jsonl(data, rel, fast=False)
    assert fast.rows.equals(slow.rows)
    assert fast.votes.sort("_i", "paslon_id").equals(slow.votes.sort("_i", "paslon_id"))
    r = fast.rows
    assert r["sumber_baris"].to_list() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert r["psu"][1] == "Pemungutan Suara Ulang" and r["psu"][6] == 'PSU "ulang"'
    assert r["ts"][2] is None and r["waktu_tarik"][2] is not None  # the pull time stands
    assert "administrasi.suara_sah" in " ".join(r["masalah"][3]) and r["masalah"][4].len() == 1
    assert "bukan JSON" in r["masalah"][7][0]


def test_bundle_lines_unchanged_since_the_previous_pull_are_copies():
    a = _compact("1671011001001", {"1671001": 1}, None)
    b = _compact("1671011001002", {"1671001": 2}, None)
    first = read.read_sirekap_jsonl(f"{a}\n{b}".encode(), "kpu/20241127T2000/tps/pkwkk.jsonl")
    b2 = b.replace('"1671001":2', '"1671001":3')
    second = read.read_sirekap_jsonl(
        f"{b2}\n{a}".encode(), "kpu/20241128T0800/tps/pkwkk.jsonl", previous=first.line_table
    )
    r = second.rows
    assert r["_src_file"].to_list() == [None, "kpu/20241127T2000/tps/pkwkk.jsonl"]
    assert r["_src_baris"].to_list() == [None, 1]
    assert r["kode_tps"].to_list() == ["1671011001002", None]  # the copy is not parsed again


# --- The native CSV body reader gives exactly what the csv module gives ------------------------

_EDGE_CSVS: dict[str, bytes] = {
    "crlf": b"kode_tps,suara_sah,suara_tidak_sah\r\n1,2,3\r\n4,5,6\r\n",
    "short and long rows": b"kode_tps,suara_sah,suara_tidak_sah\n1,2\n4,5,6,7\n8\n",
    "blank and whitespace lines": b"kode_tps,suara_sah,x\n1,2,3\n\n  \n4,5,6\n\n\n",
    "title rows with a quoted line break": b'"Rekap\nmalam",,\n\nkode_tps,suara_sah,x\n1,2,3\n',
    "quotes": b'kode_tps,suara_sah,x\n"",2,""\nab"c"d,"1,5","he said ""hi"""\n',
    "separator-only rows": b"kode_tps;suara_sah;x\n;;\n1;2;3\n",
    "spaces kept for stripping": b"kode_tps,suara_sah,x\n 1 , 2,3 \n",
    "no final newline": b"kode_tps,suara_sah,x\n1,2,3",
    "old mac line ends": b"kode_tps,suara_sah,x\r1,2,3\r",
    "unbalanced quote": b'kode_tps,suara_sah,x\n"abc,2,3\n4,5,6\n',
    "stray quote in a quoted field": b'kode_tps,suara_sah,x\n1,",x "y","\n',  # found by Hypothesis
    "cp1252": "kode_tps;pelapor;suara_sah\n1;Andi Ça;2\n".encode("cp1252"),
    "bom and tab": b"\xef\xbb\xbfkode_tps\tsuara_sah\tx\n1\t2\t3\n",
    "header only": b"kode_tps,suara_sah,x\n",
}


def _both_ways(kind: str, data: bytes, rel: str) -> tuple[read.FileRead, read.FileRead]:
    return read.read_table_raw(kind, data, rel), read.read_table_raw(kind, data, rel, native=False)


@pytest.mark.parametrize("name", sorted(_EDGE_CSVS))
def test_native_csv_body_equals_the_csv_module(name):
    native, rows = _both_ways("tally", _EDGE_CSVS[name], "hitung_internal/a.csv")
    assert native.error == rows.error
    if rows.rows is not None:
        assert native.rows.equals(rows.rows), (native.rows, rows.rows)


def test_native_csv_body_equals_the_csv_module_on_every_demo_table(tmp_path):
    from analysis import demo
    from analysis.settings import default_settings

    s = default_settings()
    drop = tmp_path / "demo"
    demo.generate("16.74", s.demo.seed, s.demo.as_of, drop)
    files = [p for p in sorted(drop.rglob("*.csv"))]
    assert len(files) > 10
    for path in files:
        rel = path.relative_to(drop).as_posix()
        kind = read.kind_of(rel)
        if kind not in read.COERCE:
            continue
        native, rows = _both_ways(kind, path.read_bytes(), rel)
        assert native.error == rows.error, rel
        assert native.rows.equals(rows.rows), rel


# --- Disagreements the property tests found (tests/test_read_properties.py), pinned ------------


def test_tally_row_without_a_tps_code_is_read_not_a_crash():
    data = (
        b"kode_tps,jenis_pemilihan,waktu_laporan,pengguna_total,suara_sah,suara_tidak_sah,"
        b"suara_total\n,Gubernur,2024-11-27 10:00,1,1,0,1\n"
    )
    r = _tally(data).rows
    assert r["kode_tps"].to_list() == [None] and r["kode_kontestasi"].to_list() == [None]
    assert r["masalah"].to_list() == [[]]  # the missing code is the validator's to name


def test_bundle_fast_path_agrees_on_time_duplicate_keys_and_copies():
    line = _compact("1671011001001", {"1671001": 5}, {"suara_sah": 1}, ts=None)
    twice = line.replace('{"1671001":5}', '{"1671001":5,"1671001":7}')  # JSON: the last counts
    old = line.replace("2024-11-27", "1963-01-01").replace(
        '"ts":null', '"ts":"1963-01-01 10:00:00"'
    )
    data = f"{twice}\n{old}\n".encode()
    for fast in (True, False):
        fr = read.read_sirekap_jsonl(data, "kpu/tps/pkwkk.jsonl", fast=fast)  # no pull folder
        assert fr.rows["masalah"][0].to_list() == ["format: tanpa waktu tarik (folder) maupun ts"]
        assert fr.votes.filter(pl.col("_i") == 0)["suara"].to_list() == [7]
        assert fr.rows["ts"][1] == dt.datetime(1963, 1, 1, 3, 0, tzinfo=UTC)  # WIB is UTC+7
    rel = "kpu/20241127T2000/tps/pkwkk.jsonl"
    first = read.read_sirekap_jsonl(data, rel)
    again = read.read_sirekap_jsonl(
        data, rel.replace("1127T2000", "1128T0800"), previous=first.line_table
    )
    assert again.rows["_src_baris"].to_list() == [1, 2]  # every line a copy: still a full frame
    assert again.rows.schema == first.rows.schema


def test_quarantined_bundle_text_is_the_line_the_reader_read():
    good = _compact("1671011001001", None, None).encode()
    data = b'{"a":1}\r{"b":2}\n\n{"c":3}\x1fzz\n' + good  # a lone CR, a control character
    rows = read.read_sirekap_jsonl(data, "kpu/20241127T2000/tps/pkwkk.jsonl").rows
    assert rows["sumber_baris"].to_list() == [1, 3, 4]
    assert "bukan JSON" in rows["masalah"][1][0]  # not cut at \x1f into valid JSON
    texts = read.original_json_rows(data, "kpu/x/pkwkk.jsonl", [1, 3])
    assert texts == {1: '{"a":1}\r{"b":2}', 3: '{"c":3}\x1fzz'}


def test_every_demo_bundle_line_takes_the_fast_path(tmp_path):
    """The national benchmark reads its bundles through the fast path: a demo layout the grammar
    no longer matches would still be read right, but slowly; this says so."""
    from analysis import demo
    from analysis.read.bundle_fast import LAYOUT
    from analysis.settings import default_settings

    s = default_settings()
    drop = tmp_path / "demo"
    demo.generate("16.74.01", s.demo.seed, s.demo.as_of, drop, kpu_bundle=True)
    bundles = sorted(drop.rglob("*.jsonl"))
    assert bundles
    for path in bundles:
        data = path.read_bytes()
        lines = data.decode().splitlines()
        assert all(pl.Series(lines).str.contains(LAYOUT)), path
        rel = path.relative_to(drop).as_posix()
        fast, slow = (
            read.read_sirekap_jsonl(data, rel),
            read.read_sirekap_jsonl(data, rel, fast=False),
        )
        assert fast.rows.equals(slow.rows)
