"""Ingest end to end on small drops: real KPU records, a messy internal count, bad files, the demo.

Validation is the real analysis.validate (Great Expectations); each drop is ingested once per module
and the tests read what it wrote.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import operator
import shutil
from pathlib import Path

import polars as pl
import pytest

from analysis import catalog, ingest
from analysis.catalog import CACHE_DIR
from analysis.ingest import (
    ORDER,
    PROCESS_ORDER,
    SPECS,
    Accounting,
    Spec,
    accounting,
    checks,
    fates,
    run_ingest,
    schedule,
    specs,
)
from analysis.ingest.cache import ParseCache, typing_key
from analysis.schemas import (
    ACCOUNTING,
    BY_NAME,
    CHECK_SUMMARY,
    INCIDENTS,
    LEDGER,
    OFFICIAL_REGION,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    QUARANTINE,
    READINESS,
    TALLY,
    TALLY_VOTES,
    TPS,
)
from analysis.settings import default_settings

# the 88 real Sirekap records, carried in the repo (tests/data/.../SOURCE.md names source and licence)
KPU88 = Path(__file__).resolve().parent / "data" / "sirekap_ppwp2024_kepulauan_seribu"


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file under ``root``."""
    return {
        p.relative_to(root).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _balanced(acc: pl.DataFrame) -> bool:
    return bool(
        (
            acc["baris_dibaca"]
            == acc["baris_diterima"] + acc["baris_ditolak"] + acc["baris_digantikan"]
        ).all()
    )


# --- The 88 real Sirekap records ---------------------------------------------------------------


@pytest.fixture(scope="module")
def kpu88(tmp_path_factory):
    assert len(list(KPU88.glob("*.json"))) == 88, f"fixture missing at {KPU88}"
    drop = tmp_path_factory.mktemp("drop88")
    target = drop / "kpu" / "tps" / "ppwp"  # outside a pull folder: waktu_tarik = the record's ts
    target.mkdir(parents=True)
    for p in KPU88.glob("*.json"):
        shutil.copy2(p, target / p.name)
    (drop / "referensi").mkdir()
    (drop / "referensi" / "paslon.csv").write_text(
        "kode_kontestasi,nomor_urut,paslon_id,nama_paslon,kolom_kosong\n"
        "ppwp,1,100025,Paslon 1,false\nppwp,2,100026,Paslon 2,false\nppwp,3,100027,Paslon 3,false\n"
    )
    before = _snapshot(drop)
    out = tmp_path_factory.mktemp("proc88")
    acc = run_ingest(drop, out, default_settings())
    return drop, out, acc, before


def _independent_identity_counts() -> dict[str, int]:
    """Stations breaking each identity of docs/domain.md §4, computed straight from the JSON."""
    s = default_settings().election
    tol = s.tolerances
    counts = dict.fromkeys(
        (
            "identitas_1",
            "identitas_2",
            "identitas_3",
            "identitas_4",
            "identitas_5",
            "identitas_6",
            "identitas_7",
        ),
        0,
    )
    for p in sorted(KPU88.glob("*.json")):
        rec = json.loads(p.read_text())
        chart, adm = rec.get("chart"), rec.get("administrasi") or {}

        def g(k, adm=adm):
            return adm.get(k)

        if chart is not None and g("suara_sah") is not None:
            total = sum(v for k, v in chart.items() if k != "null" and v is not None)
            counts["identitas_1"] += abs(total - g("suara_sah")) > tol.votes_sum
        if None not in (g("suara_sah"), g("suara_tidak_sah"), g("suara_total")):
            counts["identitas_2"] += (
                abs(g("suara_sah") + g("suara_tidak_sah") - g("suara_total")) > tol.valid_invalid
            )
        parts = (
            g("pengguna_dpt_j"),
            g("pengguna_dptb_j"),
            g("pengguna_non_dpt_j"),
            g("pengguna_total_j"),
        )
        if None not in parts:
            counts["identitas_3"] += abs(sum(parts[:3]) - parts[3]) > tol.voters_sum
        if None not in (g("suara_total"), g("pengguna_total_j")):
            counts["identitas_4"] += (
                abs(g("suara_total") - g("pengguna_total_j")) > tol.ballots_voters
            )
        bad_split = False
        for f in (
            "pemilih_dpt",
            "pengguna_dpt",
            "pengguna_dptb",
            "pengguna_non_dpt",
            "pengguna_total",
        ):
            j, l_, p_ = g(f"{f}_j"), g(f"{f}_l"), g(f"{f}_p")
            if None not in (j, l_, p_) and abs(l_ + p_ - j) > tol.split_sum:
                bad_split = True
        counts["identitas_5"] += bad_split
        if None not in (g("pengguna_dpt_j"), g("pemilih_dpt_j")):
            counts["identitas_6"] += g("pengguna_dpt_j") > g("pemilih_dpt_j")
        if None not in (g("suara_total"), g("pemilih_dpt_j")):
            counts["identitas_7"] += g("suara_total") > math.floor(
                g("pemilih_dpt_j") * (1 + s.reserve_share)
            )
    return counts


def test_real_kpu_records_every_station_accounted_for(kpu88):
    drop, out, acc, _ = kpu88
    files = acc.files.filter(pl.col("dataset") == OFFICIAL_TPS.name)
    assert files.height == 88
    assert acc.balanced and _balanced(files)
    # two stations published byte-identical empty records: still two stations, not one file twice
    assert files["status"].to_list() == ["diterima"] * 88
    assert int(files["baris_dibaca"].sum()) == 88
    off = catalog.read(OFFICIAL_TPS.name, root=out)
    q = catalog.read(QUARANTINE.name, root=out)
    assert off.height + q.filter(pl.col("dataset") == OFFICIAL_TPS.name).height == 88
    assert off["kode_tps"].n_unique() == off.height
    assert set(off["kode_kontestasi"]) == {"ppwp"}
    assert off["waktu_tarik"].to_list() == off["ts"].to_list()
    votes = catalog.read(OFFICIAL_VOTES.name, root=out)
    assert set(votes["nomor_urut"]) <= {1, 2, 3}  # 100025/26/27 mapped through the reference
    assert off.filter(pl.col("ada_chart")).height == votes["kode_tps"].n_unique()


def test_real_kpu_identity_counts_match_an_independent_count(kpu88):
    _, out, _, _ = kpu88
    off = catalog.read(OFFICIAL_TPS.name, root=out)
    q = catalog.read(QUARANTINE.name, root=out)
    flags = pl.concat(
        [
            off.select(pl.col("peringatan").alias("r")),
            q.filter(pl.col("dataset") == OFFICIAL_TPS.name).select(pl.col("alasan").alias("r")),
        ]
    )
    expected = _independent_identity_counts()
    assert expected["identitas_1"] > 0 and expected["identitas_4"] > 0  # real errors are there
    for prefix, n in expected.items():
        got = flags.filter(
            pl.col("r").list.eval(pl.element().str.starts_with(prefix)).list.any()
        ).height
        assert got == n, f"{prefix}: validator flagged {got} stations, the JSON says {n}"


def test_raw_drop_is_never_written(kpu88):
    drop, _, _, before = kpu88
    assert _snapshot(drop) == before


# --- A messy internal count, KPU pulls, bad files --------------------------------------------------

HEADER = (
    "kode_tps;jenis_pemilihan;waktu_laporan;pelapor;pemilih_dpt;pengguna_dpt;pengguna_dptb;pengguna_dpk;"
    "pengguna_total;suara_paslon_1;suara_paslon_2;suara_paslon_3;suara_sah;suara_tidak_sah;suara_total"
)


PASLON_1671 = "pkwkk-1671,1,1671001,C,false\npkwkk-1671,2,1671002,D,false\n"
PASLON_16 = "pkwkp-16,1,1600001,A,false\npkwkp-16,2,1600002,B,false\n"


def write_references(drop: Path, n_tps: int = 7, paslon: str = PASLON_1671) -> None:
    """The TPS list (TPS 1…n of one desa in Kota Palembang, DPT 250) and the paslon rows given."""
    (drop / "referensi").mkdir(parents=True, exist_ok=True)
    (drop / "referensi" / "tps.csv").write_text(
        "kode_tps,kode_desa,nomor_tps,pemilih_dpt,pemilih_dpt_l,pemilih_dpt_p\n"
        + "".join(f"1671011001{i:03d},16.71.01.1001,{i},250,120,130\n" for i in range(1, n_tps + 1))
    )
    (drop / "referensi" / "paslon.csv").write_text(
        "kode_kontestasi,nomor_urut,paslon_id,nama_paslon,kolom_kosong\n" + paslon
    )


def _valid(tps: str, jenis: str, time: str, p1: int = 120) -> str:
    p2 = 198 - p1
    return f"{tps};{jenis};{time};Budi;250;200;2;1;203;{p1};{p2};;198;5;203"


def _pilkada(chart: dict | None, sah: int) -> dict:
    return {
        "tungsura": {
            "chart": None if chart is None else {**chart, "null": None},
            "administrasi": {
                "suara_sah": sah,
                "suara_tidak_sah": 5,
                "suara_total": sah + 5,
                "pemilih_dpt_j": 250,
                "pemilih_dpt_l": 120,
                "pemilih_dpt_p": 130,
                "pengguna_dpt_j": sah + 5,
                "pengguna_dptb_j": 0,
                "pengguna_non_dpt_j": 0,
                "pengguna_total_j": sah + 5,
            },
        },
        "psu": None,
        "ts": "2024-11-27 19:30:00",
        "status_suara": True,
        "status_adm": True,
    }


@pytest.fixture(scope="module")
def messy(tmp_path_factory):
    drop = tmp_path_factory.mktemp("messy")
    write_references(drop, 7, PASLON_16 + PASLON_1671)
    hi = drop / "hitung_internal"
    hi.mkdir()
    batch1 = [
        "LAPORAN HITUNG INTERNAL — KOTA PALEMBANG",
        HEADER,
        _valid("1671011001001", "Walikota", "2024-11-27 16:05"),  # superseded by 18:00 in batch 2
        _valid("1671011001002", "Walikota", "2024-11-27 16:10"),  # exact duplicate in batch 2
        "1671011001003;Walikota;2024-11-27 16:20;Budi;250;200;2;1;203;120;80;;198;5;203",  # Σ 200 ≠ 198
        "1671011001004;Walikota;2024-11-27 16:30;Budi;250;200;2;1;203;120;78;;abc;5;203",  # unreadable
        _valid("1671011001005", "Gubernur", "2024-11-27 16:40"),  # accepted
        _valid("1671011001006", "Gubernur", "2024-11-27 16:45"),  # conflicts with batch 2
        ";;;;;;;;;;;;;;",
    ]
    (hi / "batch1.csv").write_bytes(("\ufeff" + "\n".join(batch1) + "\n").encode("utf-8"))
    batch2 = [
        HEADER.replace(";", ",").replace("kode_tps", "Kode TPS").replace("suara_sah", "Suara Sah"),
        _valid("1671011001001", "Walikota", "2024-11-27 18:00", p1=119).replace(";", ","),
        _valid("1671011001002", "Walikota", "2024-11-27 16:10").replace(";", ","),
        _valid("1671011001006", "Gubernur", "2024-11-27 16:45", p1=100).replace(";", ","),
        "1671011001001,Walikota,2024-11-27 19:00,Budi,250,200,2,1,203,150,80,,198,5,203",  # broken resend
    ]
    (hi / "batch2.csv").write_bytes(("\n".join(batch2) + "\n").encode("cp1252"))
    shutil.copy2(hi / "batch1.csv", hi / "batch1_kirim_ulang.csv")  # same file twice
    (hi / "rusak.csv").write_bytes(bytes(range(256)) * 4)
    (hi / "kosong.csv").write_bytes(b"")
    (drop / "lain").mkdir()
    (drop / "lain" / "catatan.csv").write_text("a,b\n1,2\n")
    (drop / "manifest.json").write_text("{}")
    for pull, recs in (
        (
            "20241127T2000",
            {
                "1671011001001": _pilkada({"1671001": 100, "1671002": 98}, 198),
                "1671011001003": _pilkada(None, 198),  # unchanged in the next pull
            },
        ),
        (
            "20241128T0800",
            {
                "1671011001001": _pilkada({"1671001": 101, "1671002": 97}, 198),
                "1671011001002": _pilkada({"1671001": 100, "9999999": 98}, 198),
                "1671011001003": _pilkada(None, 198),
            },
        ),
    ):
        d = drop / "kpu" / pull / "tps" / "pkwkk"
        d.mkdir(parents=True)
        for tps, rec in recs.items():
            (d / f"{tps}.json").write_text(json.dumps(rec))
    (drop / "kpu" / "20241127T2000" / "tps" / "pkwkk" / "1671011001009.json").write_text("{broken")
    line5 = json.dumps(
        {"kode_tps": "1671011001005", "record": _pilkada({"1600001": 150, "1600002": 48}, 198)},
        separators=(",", ":"),
    )
    line7 = json.dumps(
        {"kode_tps": "1671011001007", "record": _pilkada({"1600001": 150, "1600002": 48}, 198)},
        separators=(",", ":"),
    )
    (drop / "kpu" / "20241127T2000" / "tps" / "pkwkp.jsonl").write_text(line5 + "\n" + line7 + "\n")
    changed7 = line7.replace('"1600001":150,"1600002":48', '"1600001":149,"1600002":49')
    bundle = drop / "kpu" / "20241128T0800" / "tps" / "pkwkp.jsonl"
    bundle.write_text(line5 + "\nnot json at all\n" + changed7 + "\n")
    (drop / "kpu" / "rekap").mkdir()
    (drop / "kpu" / "rekap" / "rekap_20241128.csv").write_text(
        "kode_wilayah;jenis_pemilihan;Paslon 1;Paslon 2;suara_sah;suara_tidak_sah;tps_total;tps_masuk\n"
        "16.71.01;Walikota;1.200;800;2.000;35;10;9\n"
    )
    (drop / "insiden").mkdir()
    (drop / "insiden" / "harian.csv").write_text(
        "id_insiden,waktu_kejadian,waktu_laporan,kode_wilayah,kode_tps,lokasi,tahapan,kategori,"
        "tingkat_keparahan,status_verifikasi,status_penanganan,instansi,waktu_penanganan,deskripsi\n"
        "INS-1,2024-11-27 09:00,2024-11-27 10:00,16.71.01,,TPS 3,pemungutan suara,Intimidasi,Tinggi,"
        "belum diverifikasi,baru,Polres,,Saksi diusir\n"
        "INS-1,2024-11-27 09:00,2024-11-27 15:00,16.71.01,,TPS 3,pemungutan suara,Intimidasi,Tinggi,"
        "terkonfirmasi,selesai,Polres,2024-11-27 14:00,Saksi diusir; sudah ditangani\n"
        ",2024-11-26 21:00,2024-11-27 08:00,1671,,Pasar,masa tenang,Politik uang dan netralitas ASN,sedang,"
        "belum,baru,Bawaslu,,Amplop\n"
    )
    (drop / "kesiapan").mkdir()
    (drop / "kesiapan" / "kesiapan.csv").write_text(
        "kode_wilayah;tanggal;indikator;pembilang;penyebut;nilai\n16.71;26/11/2024;perekaman_ktp_el;;;98,03%\n"
    )
    before = _snapshot(drop)
    out = tmp_path_factory.mktemp("messy_out")
    acc = run_ingest(drop, out, default_settings())
    return drop, out, acc, before


def _file(acc, path: str) -> dict:
    rows = acc.files.filter(pl.col("path") == path).to_dicts()
    assert rows, f"{path} not in the accounting"
    return rows[0]


def test_accounting_adds_up_for_every_file(messy):
    _, out, acc, _ = messy
    assert acc.balanced
    stored = catalog.read(ACCOUNTING.name, root=out)
    assert _balanced(stored) and stored.height == acc.files.height
    ledger = catalog.read(LEDGER.name, root=out)
    assert set(ledger["path"]) == set(stored["path"])
    assert "JUMLAH" in acc.table() and "seimbang" in acc.table()


def test_resubmission_duplicate_conflict_and_rejections(messy):
    _, out, acc, _ = messy
    b1 = _file(acc, "hitung_internal/batch1.csv")
    assert (
        b1["baris_dibaca"],
        b1["baris_diterima"],
        b1["baris_ditolak"],
        b1["baris_digantikan"],
    ) == (6, 2, 3, 1)
    b2 = _file(acc, "hitung_internal/batch2.csv")
    assert (
        b2["baris_dibaca"],
        b2["baris_diterima"],
        b2["baris_ditolak"],
        b2["baris_digantikan"],
    ) == (4, 1, 2, 1)
    t = catalog.read(TALLY.name, root=out)
    tps1 = t.filter(pl.col("kode_tps") == "1671011001001").sort("waktu_laporan")
    assert tps1["sumber_file"].to_list() == [
        "hitung_internal/batch1.csv",
        "hitung_internal/batch2.csv",
    ]
    assert tps1["digantikan_oleh"].to_list() == ["hitung_internal/batch2.csv:2", None]
    assert (
        t.filter(pl.col("kode_tps") == "1671011001002").height == 1
    )  # the exact copy is not a version
    assert t.filter(pl.col("kode_tps") == "1671011001006").is_empty()
    v = catalog.read(TALLY_VOTES.name, root=out)
    assert v.filter(pl.col("kode_tps") == "1671011001001")["suara"].sum() == 198 * 2
    q = catalog.read(QUARANTINE.name, root=out).filter(pl.col("dataset") == TALLY.name)
    reasons = {(r["sumber_file"], r["sumber_baris"]): " | ".join(r["alasan"]) for r in q.to_dicts()}
    assert "identitas_1" in reasons[("hitung_internal/batch1.csv", 5)]
    assert "format: kolom suara_sah berisi 'abc'" in reasons[("hitung_internal/batch1.csv", 6)]
    assert "versi_bentrok" in reasons[("hitung_internal/batch1.csv", 8)]
    assert "versi_bentrok" in reasons[("hitung_internal/batch2.csv", 4)]
    assert "identitas_1" in reasons[("hitung_internal/batch2.csv", 5)]
    asli = json.loads(q.filter(pl.col("sumber_baris") == 6)["nilai_asli"][0])
    assert asli["suara_sah"] == "abc"  # original values kept as read


def test_bad_and_duplicate_files_are_reported_and_the_run_goes_on(messy):
    _, _, acc, _ = messy
    assert _file(acc, "hitung_internal/batch1_kirim_ulang.csv")["status"] == "duplikat"
    assert _file(acc, "hitung_internal/batch1_kirim_ulang.csv")["baris_dibaca"] == 0
    rusak = _file(acc, "hitung_internal/rusak.csv")
    assert rusak["status"] == "ditolak" and "biner" in rusak["pesan"]
    assert _file(acc, "hitung_internal/kosong.csv")["status"] == "ditolak"
    assert "letak berkas tidak dikenal" in _file(acc, "lain/catatan.csv")["pesan"]
    assert "bukan JSON" in _file(acc, "kpu/20241127T2000/tps/pkwkk/1671011001009.json")["pesan"]
    assert any(m.startswith("hitung_internal/rusak.csv: DITOLAK") for m in acc.messages)
    manifest = _file(acc, "manifest.json")  # listed, not read (issue 11 item 5)
    assert manifest["status"] == "dilewati" and manifest["baris_dibaca"] == 0


def test_kpu_pulls_supersede_and_unknown_paslon_is_kept(messy):
    _, out, acc, _ = messy
    off = catalog.read(OFFICIAL_TPS.name, root=out)
    tps1 = off.filter(pl.col("kode_tps") == "1671011001001").sort("waktu_tarik")
    assert tps1.height == 2  # both pulls kept: reconciliation can see the revision
    assert tps1["digantikan_oleh"].to_list() == [
        "kpu/20241128T0800/tps/pkwkk/1671011001001.json:1",
        None,
    ]
    assert _file(acc, "kpu/20241127T2000/tps/pkwkk/1671011001001.json")["baris_digantikan"] == 1
    votes = catalog.read(OFFICIAL_VOTES.name, root=out).filter(
        pl.col("kode_tps") == "1671011001002"
    )
    assert sorted(votes["nomor_urut"].to_list()) == [-1, 1]
    assert votes.filter(pl.col("nomor_urut") == -1)["paslon_id"].to_list() == ["9999999"]
    warned = off.filter(pl.col("kode_tps") == "1671011001002")["peringatan"][0].to_list()
    assert any(w.startswith("paslon_dikenal") for w in warned)
    # unchanged since the previous pull: not a new version (superseded by the first copy)
    bundle = _file(acc, "kpu/20241128T0800/tps/pkwkp.jsonl")
    got = tuple(
        bundle[k] for k in ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")
    )
    assert got == (3, 1, 1, 1)
    first = _file(acc, "kpu/20241127T2000/tps/pkwkp.jsonl")
    assert (first["baris_diterima"], first["baris_digantikan"]) == (1, 1)  # TPS 005 still in force
    tps5 = off.filter(pl.col("kode_tps") == "1671011001005")
    assert tps5["sumber_file"].to_list() == ["kpu/20241127T2000/tps/pkwkp.jsonl"]
    tps7 = off.filter(pl.col("kode_tps") == "1671011001007").sort("waktu_tarik")
    assert tps7["digantikan_oleh"].to_list() == ["kpu/20241128T0800/tps/pkwkp.jsonl:3", None]
    tps3 = off.filter(pl.col("kode_tps") == "1671011001003")
    assert tps3["sumber_file"].to_list() == ["kpu/20241127T2000/tps/pkwkk/1671011001003.json"]
    copy3 = _file(acc, "kpu/20241128T0800/tps/pkwkk/1671011001003.json")
    assert (copy3["baris_dibaca"], copy3["baris_digantikan"]) == (1, 1)
    q = catalog.read(QUARANTINE.name, root=out).filter(
        pl.col("sumber_file") == "kpu/20241128T0800/tps/pkwkp.jsonl"
    )
    assert q["nilai_asli"].to_list() == ["not json at all"]


def test_incidents_regions_readiness(messy):
    _, out, acc, _ = messy
    inc = catalog.read(INCIDENTS.name, root=out)
    ins1 = inc.filter(pl.col("id_insiden") == "INS-1")
    assert ins1.height == 1 and ins1["status_penanganan"][0] == "selesai"  # the later report wins
    assert _file(acc, "insiden/harian.csv")["baris_digantikan"] == 1
    assert "insiden/harian.csv:4" in inc["id_insiden"].to_list()  # a blank id gets its lineage
    assert inc["kategori_asli"].null_count() == 0
    reg = catalog.read(OFFICIAL_REGION.name, root=out)
    assert reg.sort("nomor_urut").select("nomor_urut", "suara").rows() == [(1, 1200), (2, 800)]
    rd = catalog.read(READINESS.name, root=out)
    assert rd["nilai"].to_list() == pytest.approx([0.9803])


def test_check_summary_counts_ingest_and_validator_checks(messy):
    _, out, _, _ = messy
    cs = catalog.read(CHECK_SUMMARY.name, root=out)
    by = cs.group_by("dataset", "pemeriksaan").agg(pl.col("n_gagal").sum())
    got = {(r["dataset"], r["pemeriksaan"]): r["n_gagal"] for r in by.to_dicts()}
    assert got[(TALLY.name, "format_baca")] == 1
    assert got[(TALLY.name, "versi_bentrok")] == 2
    assert got[(TALLY.name, "identitas_1_jumlah_suara")] == 2
    assert (TALLY.name, "kunci_unik") not in got


def test_rerun_uses_the_cache_gives_the_same_result_and_keeps_first_ingest_time(messy):
    drop, out, acc, before = messy
    ledger1 = catalog.read(LEDGER.name, root=out)
    tally1 = catalog.read(TALLY.name, root=out)
    acc2 = run_ingest(drop, out, default_settings())
    assert acc2.files.equals(acc.files)
    assert catalog.read(TALLY.name, root=out).equals(tally1)
    ledger2 = catalog.read(LEDGER.name, root=out)
    assert ledger2["waktu_ingest"].to_list() == ledger1["waktu_ingest"].to_list()
    assert (out / "_cache" / "tally.json").exists()
    assert _snapshot(drop) == before  # raw hashes and mtimes unchanged


def test_typed_rows_made_by_other_typing_code_are_not_served(messy, tmp_path):
    """The parse cache keeps table files typed: an entry written under other typing code (its
    key in the manifest) is not used, so a fix to the typing reaches every file; the Sirekap
    entry, whose rows are not typed there, is still served."""
    _, out, _, _ = messy
    cached = tmp_path / "processed"
    shutil.copytree(out / CACHE_DIR, cached / CACHE_DIR)
    assert ParseCache(cached).known("tally") and ParseCache(cached).known("official")
    manifest = cached / CACHE_DIR / "tally.json"
    m = json.loads(manifest.read_text())
    assert m["typing"] == typing_key()
    manifest.write_text(json.dumps({**m, "typing": "kode pengetikan lain"}))
    assert ParseCache(cached).known("tally") == set()
    assert ParseCache(cached).known("official")


# --- The demo election ---------------------------------------------------------------------------

ROW_REJECTS = {
    "sum_mismatch",
    "negative_value",
    "non_numeric_value",
    "out_of_window_time",
    "over_capacity",
    "unknown_tps",
    "contest_not_held",
}


def _at(df: pl.DataFrame, f: dict) -> pl.DataFrame:
    cond = (pl.col("sumber_file") == f["file"]) & (pl.col("sumber_baris") == f["row"])
    if f.get("sheet"):
        cond = cond & (pl.col("sumber_sheet") == f["sheet"])
    return df.filter(cond)


@pytest.mark.slow
def test_demo_every_injected_fault_is_flagged_and_accounting_adds_up(tmp_path):
    from analysis import demo

    s = default_settings()
    drop, out = tmp_path / "demo-1671", tmp_path / "out"
    m = demo.generate("16.71", s.demo.seed, s.demo.as_of, drop)
    acc = run_ingest(drop, out, s)
    assert acc.balanced
    # the manifest counts the rows its readable files hold; a file rejected whole now accounts
    # for its rows too (as rejected), beyond the manifest's count
    read_by = (
        acc.files.filter(pl.col("status") == "diterima")
        .group_by("dataset")
        .agg(pl.col("baris_dibaca").sum())
    )
    read_by = dict(zip(read_by["dataset"], read_by["baris_dibaca"], strict=True))
    whole = acc.files.filter(pl.col("status") == "ditolak", pl.col("dataset") == TALLY.name)
    assert whole["baris_ditolak"].sum() > 0  # the old-format file's rows are not lost
    rows = m["totals"]["rows"]
    assert read_by[TALLY.name] == rows["tally"]
    assert read_by[OFFICIAL_TPS.name] == sum(rows["kpu_tps"].values())
    # the manifest counts rows per raw-file kind
    for ds, key in (
        (TPS.name, "ref_tps"),
        (INCIDENTS.name, "incidents"),
        (READINESS.name, "readiness"),
    ):
        assert read_by[ds] == rows[key], ds

    q = catalog.read(QUARANTINE.name, root=out)
    tally = catalog.read(TALLY.name, root=out)
    off = catalog.read(OFFICIAL_TPS.name, root=out)
    inc = catalog.read(INCIDENTS.name, root=out)
    status = dict(zip(acc.files["path"], acc.files["status"], strict=True))
    checked: dict[str, int] = {}
    for f in m["faults"]:
        kind = f["kind"]
        if kind == "typing_discrepancy":
            continue  # consistent sums: only reconciliation against KPU can see it
        if kind == "unreadable_file":
            assert status[f["file"]] == "ditolak", f
        elif kind in ROW_REJECTS:
            assert _at(q, f).height == 1, f
        elif kind == "resubmission":
            later = f"{f['corrected_by']['file']}:{f['corrected_by']['row']}"
            kept = _at(tally, f)
            assert _at(q, f).height == 1 or kept["digantikan_oleh"].to_list() == [later], f
        elif kind.startswith("duplicate_"):
            assert _at(q, f).is_empty() and _at(tally, f).is_empty(), (
                f
            )  # superseded by the original
            assert _at(tally, f["duplicate_of"]).height == 1, f
        elif kind.startswith("kpu_"):
            v = off.filter(
                (pl.col("kode_tps") == f["kode_tps"])
                & (pl.col("kode_kontestasi") == f["kode_kontestasi"])
            )
            warned = v["peringatan"].list.join(" | ").to_list()
            if kind == "kpu_missing":
                assert v.is_empty(), f
            elif kind == "kpu_revision":
                assert v.height >= 2, f  # every version kept: the revision is visible
            elif kind == "kpu_psu":
                assert v["psu"].is_not_null().any(), f
            elif kind == "kpu_chart_null":
                assert (~v["ada_chart"]).any(), f
            elif kind == "kpu_administrasi_null":
                assert (~v["ada_administrasi"]).any(), f
            elif kind == "kpu_sum_mismatch":
                assert any("identitas_1" in w or "identitas_2" in w for w in warned), f
            elif kind == "kpu_ocr_hundreds":
                assert any("ocr_digit_ratusan" in w for w in warned), f
        elif f["side"] == "incident":
            row = _at(inc, f)
            assert row.height == 1, f
            if f["field"] == "kategori" and kind != "incident_missing_location":
                got = [row["kategori"][0], *row["kategori_lain"][0].to_list()]
                assert sorted(got) == sorted(f["true_value"]), (f, got)
        checked[kind] = checked.get(kind, 0) + 1
    assert {"sum_mismatch", "kpu_revision", "duplicate_same_file", "unreadable_file"} <= set(
        checked
    )


# --- The rules on tiny frames (no drop, no validator) ---------------------------------------------

# a versioned kind the validator does not check: only ingest's own rules decide
VERSIONED = Spec("laporan", "laporan", ("kode_tps",), "waktu", True, None)
SNAPSHOT = Spec("tarik", "tarik", ("kode_tps",), "waktu", True, None, snapshot=True)


def _rows(*rows: tuple) -> pl.DataFrame:
    """(kode_tps, waktu, suara, masalah) per row of file ``f.csv``, rows numbered from 2."""
    return pl.DataFrame(
        [(i, "f.csv", i + 2, *r) for i, r in enumerate(rows)],
        schema={
            "_rid": pl.Int64,
            "sumber_file": pl.String,
            "sumber_baris": pl.Int64,
            "kode_tps": pl.String,
            "waktu": pl.Int64,
            "suara": pl.Int64,
            "masalah": pl.List(pl.String),
        },
        orient="row",
    )


def _fates(spec: Spec, df: pl.DataFrame) -> list[tuple]:
    decided, _ = fates.decide(spec, df, default_settings(), [])
    return decided.sort("_rid").select("_status", "digantikan_oleh").rows()


def test_a_later_version_supersedes_and_names_its_successor():
    df = _rows(
        ("1671011001001", 1, 10, []), ("1671011001001", 2, 11, []), ("1671011001002", 1, 5, [])
    )
    assert _fates(VERSIONED, df) == [
        (fates.DIGANTIKAN, "f.csv:3"),
        (fates.DITERIMA, None),
        (fates.DITERIMA, None),
    ]


def test_a_rejected_resubmission_never_hides_the_good_report():
    df = _rows(("1671011001001", 1, 10, []), ("1671011001001", 2, None, ["format: suara"]))
    assert _fates(VERSIONED, df) == [(fates.DITERIMA, None), (fates.DITOLAK, None)]


def test_exact_copy_is_superseded_by_the_first_and_a_collision_rejects_both():
    df = _rows(
        ("1671011001001", 1, 10, []),
        ("1671011001001", 1, 10, []),  # same numbers: a copy
        ("1671011001002", 1, 10, []),
        ("1671011001002", 1, 12, []),  # same time, other numbers: which one is right?
    )
    decided, summary = fates.decide(VERSIONED, df, default_settings(), [])
    decided = decided.sort("_rid")
    assert decided["_status"].to_list() == [fates.DITERIMA, fates.DIGANTIKAN, *[fates.DITOLAK] * 2]
    assert decided["_dup_of"].to_list()[1] == "f.csv:2"
    assert all(r[0].startswith("versi_bentrok") for r in decided["alasan"].to_list()[2:])
    bentrok = summary.filter(pl.col("pemeriksaan") == "versi_bentrok")
    assert bentrok.select("kode_kabkota", "n_gagal", "n_diperiksa").rows() == [("16.71", 2, 4)]


def test_an_empty_key_is_rejected_when_no_validator_checks_the_kind():
    df = _rows((None, 1, 10, []))
    decided, summary = fates.decide(VERSIONED, df, default_settings(), [])
    assert decided["alasan"].to_list() == [["wajib_terisi: kolom kunci kosong: kode_tps"]]
    kosong = summary.filter(pl.col("pemeriksaan") == "wajib_terisi_kunci")
    assert kosong.select("kode_kabkota", "n_gagal").rows() == [(None, 1)]


def test_a_snapshot_unchanged_since_the_previous_pull_is_not_a_new_version():
    df = _rows(
        ("1671011001001", 1, 10, []),
        ("1671011001001", 2, 10, []),  # unchanged: a copy of the first
        ("1671011001001", 3, 11, []),  # changed
        ("1671011001001", 4, 10, []),  # changed back: a version of its own
    )
    decided, _ = fates.decide(SNAPSHOT, df, default_settings(), [])
    got = decided.sort("_rid").select("_status", "_dup_of", "digantikan_oleh").rows()
    assert got == [
        (fates.DIGANTIKAN, None, "f.csv:4"),
        (fates.DIGANTIKAN, "f.csv:2", "f.csv:2"),
        (fates.DIGANTIKAN, None, "f.csv:5"),
        (fates.DITERIMA, None, None),
    ]


def test_an_unchanged_copy_takes_the_fate_of_the_record_it_copies():
    decided = pl.DataFrame(
        {
            "sumber_file": ["a.json", "b.json"],
            "sumber_baris": [1, 1],
            "_status": [fates.DITERIMA, fates.DITOLAK],
            "alasan": [[], ["identitas_1: x"]],
            "_dup_of": [None, None],
            "kode_tps": ["1671011001001", "1671011001002"],
            "kode_kontestasi": ["pkwkk-1671", "pkwkk-1671"],
        },
        schema_overrides={"_dup_of": pl.String, "alasan": pl.List(pl.String)},
    )
    copies = pl.DataFrame(
        {
            "sumber_file": ["a2.json", "b2.json", "c2.json"],
            "sumber_baris": [1, 1, 1],
            "_src_file": ["a.json", "b.json", "c.json"],
            "_src_baris": [1, 1, 1],
            "kode_tps": [None, None, None],
            "kode_kontestasi": [None, None, None],
        },
        schema_overrides={"kode_tps": pl.String, "kode_kontestasi": pl.String},
    )
    out = fates.copy_fates(copies, decided).sort("sumber_file")
    assert out["_status"].to_list() == [fates.DIGANTIKAN, fates.DITOLAK, fates.DITOLAK]
    assert out["_dup_of"].to_list() == ["a.json:1", None, None]
    assert out["alasan"].to_list()[1] == ["identitas_1: x"]
    assert out["alasan"].to_list()[2][0].startswith("salinan_tanpa_sumber")
    assert out["kode_tps"].to_list()[:2] == ["1671011001001", "1671011001002"]


def test_check_summary_counts_a_row_under_its_kabkota_only_when_the_code_is_one():
    df = pl.DataFrame(
        {
            "kode_wilayah": ["16.71.01", "16.AB.01", None, None],
            "kode_tps": [None, None, "1672011001001", "16720110"],
        }
    )
    got = df.select(checks.kabkota_expr(df.columns)).to_series().to_list()
    assert got == ["16.71", None, "16.72", None]


# --- Accounting -----------------------------------------------------------------------------------


def test_the_printed_table_sums_per_folder_when_there_are_many_files():
    rows = [
        accounting.file_row(
            f"hitung_internal/{i}.csv", "x", TALLY.name, "diterima", None, (3, 1, 1, 1)
        )
        for i in range(5)
    ]
    acc = Accounting(pl.DataFrame(rows, schema=accounting.ACCOUNTING_SCHEMA))
    assert acc.balanced and acc.totals()["baris_dibaca"] == 15
    table = acc.table(max_files=2)
    assert "hitung_internal/* (5 berkas)" in table and "seimbang" in table
    broken = Accounting(acc.files.with_columns(pl.lit(2).alias("baris_ditolak")))
    assert not broken.balanced and "TIDAK SEIMBANG" in broken.table()


def test_two_sirekap_records_with_the_same_bytes_are_two_inputs():
    a, b = Path("kpu/t1/tps/pkwkk/1.json"), Path("kpu/t1/tps/pkwkk/2.json")
    assert accounting.identity("official", a, "s") != accounting.identity("official", b, "s")
    assert accounting.identity("tally", a, "s") == accounting.identity("tally", b, "s")


# --- The table of kinds, and the house rule ------------------------------------------------------


def test_every_kind_is_processed_once_and_writes_declared_datasets():
    assert sorted(ORDER) == sorted(PROCESS_ORDER) == sorted(SPECS)
    assert {s.name for s in SPECS.values()} <= set(specs.DATASETS)
    assert set(specs.EXTRAS) <= set(specs.DATASETS)
    assert set(specs.DATASETS) <= set(BY_NAME)
    assert all(s.version is None or not s.snapshot or s.history for s in SPECS.values())


def _imports(module: Path) -> set[str]:
    """Modules ``module`` imports (at any depth, outside ``if TYPE_CHECKING:``)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(module.read_text()))
    return found


def test_rule_code_never_imports_the_scheduling():
    package = Path(ingest.__file__).parent
    rules = ("specs", "frames", "fates", "checks", "kinds", "accounting", "quarantine")
    graph = {p.stem: _imports(p) for p in package.glob("*.py")}
    for start in rules:
        seen, todo = set(), [start]
        while todo:
            mod = todo.pop()
            if mod in seen:
                continue
            seen.add(mod)
            inside = (m.split(".") for m in graph[mod] if m.startswith("analysis.ingest."))
            todo += [parts[2] for parts in inside if parts[2] in graph]
        assert not seen & {"schedule", "stage", "cache", "batch"}, (start, seen)


# --- The scheduling gives the in-process result ---------------------------------------------------


def test_background_jobs_reraise_and_handoff_round_trips(tmp_path):
    bg = schedule.Background()
    bg.submit("boom", operator.truediv, 1, 0)
    with pytest.raises(ZeroDivisionError):
        bg.wait()
    frames = {"rows": pl.DataFrame({"a": [1, 2]}), "votes": None}
    paths = schedule.handoff_job(lambda: frames, tmp_path)
    back = schedule.handoff_read(paths)
    assert back["rows"].equals(frames["rows"]) and back["votes"] is None
    assert not list(tmp_path.iterdir())


def test_worker_processes_give_the_in_process_result(messy, tmp_path, monkeypatch):
    """The messy drop again with the worker pool on (real spawn processes): every dataset equal."""
    drop, out, acc, _ = messy
    monkeypatch.setattr(schedule, "POOL_MIN_FILES", 1)
    pooled = tmp_path / "pooled"
    acc2 = run_ingest(drop, pooled, default_settings())
    assert acc2.files.equals(acc.files)
    for name in (*specs.DATASETS, QUARANTINE.name, CHECK_SUMMARY.name):
        a, b = catalog.read(name, root=out), catalog.read(name, root=pooled)
        assert a.sort(a.columns[:4]).equals(b.sort(b.columns[:4])), name


def test_photo_links_of_the_records_in_force_are_kept_for_the_analyst(kpu88) -> None:
    """Issue 14 item 6: each record's ``images`` are read back, in order, from the raw record (an
    empty slot, a photo not uploaded, gives no row)."""
    from analysis import explore

    drop, out, _, _ = kpu88
    want = {p.stem: json.loads(p.read_text())["images"] for p in sorted(KPU88.glob("*.json"))[:5]}
    got = explore.photos(out, want, raw=drop)
    assert sorted(set(got["kode_tps"])) == sorted(k for k, v in want.items() if v)
    for kode, links in want.items():
        mine = got.filter(pl.col("kode_tps") == kode)
        assert mine["tautan_foto"].to_list() == [x for x in links if x]
        assert mine["foto_ke"].to_list() == [i for i, x in enumerate(links, start=1) if x]
    assert explore.photos(out, [], raw=drop).is_empty()


def _kickoff_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_tally: int) -> list[int]:
    """The workers ingest's kickoff starts (each start's count) as it hashes ``new_tally`` tally
    files not in the parse cache, then a Sirekap file of a new pull (real spawned workers)."""
    from types import SimpleNamespace

    from analysis.ingest import schedule, stage

    tmp_path.mkdir()

    monkeypatch.setattr(schedule, "POOL_MIN_FILES", 3)  # a few files stand for hundreds
    started: list[int] = []
    real_start = schedule.Prefetch.start

    def start(self: schedule.Prefetch, workers: int = schedule.POOL_WORKERS) -> None:
        started.append(workers)
        real_start(self, workers)

    monkeypatch.setattr(schedule.Prefetch, "start", start)
    tally = []
    for i in range(new_tally):
        path = tmp_path / f"hitung_{i}.csv"
        path.write_text("kode_tps\n", encoding="utf-8")
        tally.append((path, f"sha{i}", path.stat().st_size, path.name))
    pull = tmp_path / "tps.json"
    pull.write_text("[]", encoding="utf-8")
    run = SimpleNamespace(
        by_kind={"tally": tally, "official": [(pull, "sha-pull", 2, pull.name)]},
        pool=True, prefetch=schedule.Prefetch(), processed=tmp_path, raw=tmp_path,
        memo=SimpleNamespace(same_files=lambda kind, items: False),
        cache=SimpleNamespace(known=lambda kind: set()), warm=SimpleNamespace(start=lambda: None),
    )  # fmt: skip
    found = [(p, "tally") for p, *_ in tally] + [(pull, "official")]
    kickoff = stage._Kickoff(run, found)
    try:
        for _, kind in found:  # in ingest's hashing order: tally files, then Sirekap
            kickoff.before(kind)
        kickoff.after()
        assert "official" in run.prefetch.calls  # the Sirekap read went to a worker
    finally:
        run.prefetch.close()
    return started


def test_the_sirekap_read_alone_starts_one_worker_not_two(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On count night a new KPU pull with few new tally files (parsed in the main process) sends
    only the Sirekap read to a worker: one worker process, not two (a second would only pay its
    imports); with many new tally files both workers start for them and the read joins them."""
    assert _kickoff_workers(tmp_path / "malam", monkeypatch, new_tally=1) == [1]
    assert _kickoff_workers(tmp_path / "banyak", monkeypatch, new_tally=5) == [2]


def test_the_pvt_sample_is_listed_as_read_by_reconcile_not_as_a_misplaced_file(tmp_path):
    """The demo's referensi/sampel_pvt.* sit where the README says: ingest lists them as skipped
    (reconcile reads them), not "DITOLAK — letak berkas tidak dikenal"."""
    from analysis.ingest.survey import SKIPPED, survey
    from analysis.read.files import PVT_SAMPLE

    (tmp_path / "referensi").mkdir()
    for name in ("sampel_pvt.csv", "sampel_pvt.json"):
        (tmp_path / "referensi" / name).write_text("x\n", encoding="utf-8")
    (tmp_path / "lain").mkdir()
    (tmp_path / "lain" / "sampel_pvt.csv").write_text("x\n", encoding="utf-8")
    out = survey(tmp_path)
    fates = {n.rel: (n.status, n.reason) for n in out.not_read}
    assert fates["referensi/sampel_pvt.csv"] == fates["referensi/sampel_pvt.json"] == (
        SKIPPED, PVT_SAMPLE
    )  # fmt: skip
    assert [rel for rel in out.rel_by_path.values()] == ["lain/sampel_pvt.csv"]  # misplaced: read
