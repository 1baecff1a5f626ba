"""Hostile and messy drops (issue 11 items 4-7): each reproducer is a real drop in a temporary
folder run through the real ingest; nothing stops the run, every file is in the ledger with its
fate, no row is lost in silence, and a drop is the demo only when the generator marked it."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_ingest import write_references

from analysis import catalog, read
from analysis.ingest import run_ingest
from analysis.ingest.fates import EMPTY_CHECK
from analysis.schemas import ACCOUNTING, LEDGER, OFFICIAL_TPS
from analysis.settings import default_settings

HEADER = (
    "kode_tps;jenis_pemilihan;waktu_laporan;pelapor;pemilih_dpt;pengguna_dpt;pengguna_dptb;"
    "pengguna_dpk;pengguna_total;suara_paslon_1;suara_paslon_2;suara_sah;suara_tidak_sah;suara_total"
)


def _row(n: int, jenis: str = "Walikota", who: str = "Budi", p1: object = 120) -> str:
    return f"1671011001{n:03d};{jenis};2024-11-27 16:05;{who};250;200;2;1;203;{p1};78;198;5;203"


def _record(chart: dict | None = None, ts: str = "2024-11-27 19:30:00") -> dict:
    chart = {"1671001": 120, "1671002": 78} if chart is None else chart
    adm = {
        "suara_sah": 198,
        "suara_tidak_sah": 5,
        "suara_total": 203,
        "pemilih_dpt_j": 250,
        "pemilih_dpt_l": 120,
        "pemilih_dpt_p": 130,
        "pengguna_dpt_j": 203,
        "pengguna_dptb_j": 0,
        "pengguna_non_dpt_j": 0,
        "pengguna_total_j": 203,
    }
    return {
        "tungsura": {"chart": chart, "administrasi": adm},
        "ts": ts,
        "psu": None,
        "status_suara": True,
        "status_adm": True,
    }


def _base(drop: Path) -> Path:
    write_references(drop, 59)
    (drop / "hitung_internal").mkdir()
    (drop / "hitung_internal" / "a.csv").write_text(f"{HEADER}\n{_row(1)}\n")
    pull = drop / "kpu" / "20241127T2000" / "tps" / "pkwkk"
    pull.mkdir(parents=True)
    (pull / "1671011001001.json").write_text(json.dumps(_record()))
    return drop


def _ingest(drop: Path, out: Path) -> pl.DataFrame:
    acc = run_ingest(drop, out, default_settings())
    assert acc.balanced
    stored = catalog.read(ACCOUNTING.name, root=out)
    ledger = catalog.read(LEDGER.name, root=out)
    assert set(ledger["path"]) == set(stored["path"])
    return stored


def _file(files: pl.DataFrame, path: str) -> dict:
    rows = files.filter(pl.col("path") == path).to_dicts()
    assert rows, f"{path} not in the ledger"
    return rows[0]


def _every_file(drop: Path) -> set[str]:
    """Every entry of the drop that is not a folder, as a drop-relative path (links unfollowed)."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(drop):
        for name in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            out.add((Path(dirpath) / name).relative_to(drop).as_posix())
    return out


# --- 4. Nothing stops the day but the machine -----------------------------------------------------


def test_impossible_pull_folders_are_rejected_as_a_pull_and_the_run_goes_on(tmp_path):
    drop = _base(tmp_path / "drop")
    for name in ("20241399T2599", "00010101T0000", "2024-11-28_0800"):
        d = drop / "kpu" / name / "tps" / "pkwkk"
        d.mkdir(parents=True)
        (d / "1671011001002.json").write_text(json.dumps(_record()))
    files = _ingest(drop, tmp_path / "out")
    for name in ("20241399T2599", "00010101T0000", "2024-11-28_0800"):
        f = _file(files, f"kpu/{name}/tps/pkwkk/1671011001002.json")
        assert f["status"] == "ditolak" and f"folder tarikan {name!r} tidak sah" in f["pesan"]
    assert _file(files, "kpu/20241127T2000/tps/pkwkk/1671011001001.json")["baris_diterima"] == 1
    assert read.path_pull("kpu/00010101T0000/tps/x.json") is None


def test_year_one_huge_votes_and_deep_json_are_rejected_at_their_scope(tmp_path):
    drop = _base(tmp_path / "drop")
    pull = drop / "kpu" / "20241127T2000" / "tps" / "pkwkk"
    (pull / "1671011001002.json").write_text(json.dumps(_record(ts="0001-01-01 00:00:00")))
    (pull / "1671011001003.json").write_text(json.dumps(_record({"1671001": 10**23})))
    (pull / "1671011001004.json").write_text("[" * 100_000 + "]" * 100_000)
    (pull / "1671011001005.json").write_text(
        '{"tungsura": {"chart": {"1671001": ' + "9" * 5000 + "}}}"
    )
    deep = '{"kode_tps":"1671011001006","record":' + "[" * 50_000 + "]" * 50_000 + "}"
    (pull.parent / "pkwkp.jsonl").write_text(
        deep + "\n" + json.dumps({"kode_tps": "1671011001007", "record": _record()}) + "\n"
    )
    hi = drop / "hitung_internal"
    (hi / "b.csv").write_text(
        f"{HEADER}\n{_row(8, p1=10**23)}\n{_row(9).replace('2024-11-27', '0001-01-01')}\n"
    )
    files = _ingest(drop, tmp_path / "out")
    assert _file(files, "kpu/20241127T2000/tps/pkwkk/1671011001002.json")["status"] == "diterima"
    big = _file(files, "kpu/20241127T2000/tps/pkwkk/1671011001003.json")
    assert big["baris_ditolak"] == 1  # the row, not the run
    deep_file = _file(files, "kpu/20241127T2000/tps/pkwkk/1671011001004.json")
    assert "terlalu dalam" in deep_file["pesan"] and deep_file["baris_ditolak"] == 1
    assert (
        "bukan JSON yang dapat dibaca"
        in _file(files, "kpu/20241127T2000/tps/pkwkk/1671011001005.json")["pesan"]
    )
    bundle = _file(files, "kpu/20241127T2000/tps/pkwkp.jsonl")
    assert bundle["baris_dibaca"] == 2 and bundle["baris_ditolak"] >= 1
    assert _file(files, "hitung_internal/b.csv")["baris_ditolak"] == 2
    q = catalog.read("mutu__baris_ditolak", root=tmp_path / "out")
    assert q.filter(pl.col("sumber_file") == "hitung_internal/b.csv").height == 2


# --- 5. The drop's boundary -----------------------------------------------------------------------


def test_links_and_special_files_are_refused_unopened_and_every_file_is_listed(tmp_path):
    drop = _base(tmp_path / "drop")
    outside = tmp_path / "rahasia.csv"
    outside.write_text(f"{HEADER}\n{_row(20)}\n")
    hi = drop / "hitung_internal"
    (hi / "tautan.csv").symlink_to(outside)
    (hi / "passwd.csv").symlink_to("/etc/passwd")
    (hi / "folder_luar").symlink_to(tmp_path, target_is_directory=True)
    (hi / "dalam.csv").symlink_to(hi / "a.csv")
    os.mkfifo(hi / "pipa.csv")
    (hi / ".tersembunyi.csv").write_text(f"{HEADER}\n{_row(21)}\n")
    (drop / "kpu" / ".tarik.lock").write_text("")
    staged = drop / "kpu" / ".tarik-20241128T0800" / "tps" / "pkwkk"
    staged.mkdir(parents=True)
    (staged / "1671011001001.json").write_text(json.dumps(_record({"1671001": 1})))
    pull = drop / "kpu" / "20241127T2000"
    (pull / "ringkasan.json").write_text("{}")
    (pull / "agregat").mkdir()
    (pull / "agregat" / "1671.json").write_text("{}")
    (drop / "manifest.json").write_text("{}")
    files = _ingest(drop, tmp_path / "out")  # the FIFO would hang a run that opened it
    assert set(files["path"]) == _every_file(drop)
    for link in ("tautan.csv", "passwd.csv", "folder_luar", "dalam.csv"):
        f = _file(files, f"hitung_internal/{link}")
        assert f["status"] == "ditolak" and "symlink" in f["pesan"] and f["sha256"] is None
    assert "FIFO" in _file(files, "hitung_internal/pipa.csv")["pesan"]
    staged_file = _file(files, "kpu/.tarik-20241128T0800/tps/pkwkk/1671011001001.json")
    assert staged_file["status"] == "dilewati" and "tarikan belum selesai" in staged_file["pesan"]
    for skipped in (
        "hitung_internal/.tersembunyi.csv",
        "kpu/.tarik.lock",
        "kpu/20241127T2000/ringkasan.json",
        "kpu/20241127T2000/agregat/1671.json",
        "manifest.json",
    ):
        assert _file(files, skipped)["status"] == "dilewati", skipped
    tally = catalog.read("internal__tps_kontestasi_laporan", root=tmp_path / "out")
    assert set(tally["kode_tps"]) == {"1671011001001"}  # nothing from outside the drop
    sirekap = catalog.read(OFFICIAL_TPS.name, root=tmp_path / "out")
    assert sirekap.height == 1  # the staged pull is not read


# --- 6. Rows are never lost in silence ------------------------------------------------------------


def test_files_rejected_whole_account_for_their_rows_and_tables_are_read_at_their_scope(tmp_path):
    drop = _base(tmp_path / "drop")
    hi = drop / "hitung_internal"
    (hi / "judul.csv").write_text(
        f"[LAPORAN HITUNG] Kota Palembang\n{HEADER}\n{_row(2)}\n{_row(3)}\n"
    )
    (hi / "besar.csv").write_text(f"{HEADER}\n{_row(4, who='B' * 200_000)}\n{_row(5)}\n")
    nul_row = _row(6, p1="12\x003")
    (hi / "nul.csv").write_bytes(f"{HEADER}\n{nul_row}\n{_row(7)}\n".encode())
    (hi / "utf8.csv").write_bytes(
        f"{HEADER}\n{_row(8, who='Désirée')}\n".encode()
        + _row(9, who="Bu\udcffdi").encode("utf-8", "surrogateescape")
        + b"\n"
    )
    (hi / "kolom_ganda.csv").write_text(f"{HEADER};Suara Sah\n{_row(10)};999\n")
    (hi / "format_lama.csv").write_text("kecamatan,desa,no_tps,paslon_1\n" + "a,b,1,2\n" * 4)
    (hi / "biner.csv").write_bytes(bytes(range(256)) * 8)
    files = _ingest(drop, tmp_path / "out")
    assert _file(files, "hitung_internal/judul.csv")["baris_diterima"] == 2
    assert _file(files, "hitung_internal/besar.csv")["baris_diterima"] == 2
    nul = _file(files, "hitung_internal/nul.csv")
    assert (nul["baris_diterima"], nul["baris_ditolak"]) == (1, 1) and "NUL" in nul["pesan"]
    utf8 = _file(files, "hitung_internal/utf8.csv")
    assert utf8["baris_diterima"] == 2 and "UTF-8" in utf8["pesan"] and "baris 3" in utf8["pesan"]
    tally = catalog.read("internal__tps_kontestasi_laporan", root=tmp_path / "out")
    assert "Désirée" in tally["pelapor"].to_list()  # no mojibake for the rest of the file
    ganda = _file(files, "hitung_internal/kolom_ganda.csv")
    assert (
        "kolom ganda untuk suara_sah" in ganda["pesan"]
        and "'Suara Sah' (kolom 15)" in ganda["pesan"]
    )
    lama = _file(files, "hitung_internal/format_lama.csv")
    assert (lama["status"], lama["baris_dibaca"], lama["baris_ditolak"]) == ("ditolak", 4, 4)
    biner = _file(files, "hitung_internal/biner.csv")
    assert biner["status"] == "ditolak" and "tidak dapat dihitung" in biner["pesan"]


def _xlsx(sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        if name in hidden:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_hidden_sheets_uncached_formulas_and_doubled_headers_are_named(tmp_path):
    drop = _base(tmp_path / "drop")
    hi = drop / "hitung_internal"
    head = HEADER.split(";")
    stale = [c.replace("198", "190") for c in _row(11).split(";")]
    (hi / "tersembunyi.xlsx").write_bytes(
        _xlsx({"Data": [head, _row(11).split(";")], "Lama": [head, stale]}, hidden=("Lama",))
    )
    formula = _row(12).split(";")
    formula[11] = "=J2+K2"
    (hi / "rumus.xlsx").write_bytes(_xlsx({"Rumus": [head, formula]}))
    (hi / "ganda.xlsx").write_bytes(
        _xlsx({"Dobel": [[*head, "Suara Sah"], [*_row(13).split(";"), "9"]]})
    )
    files = _ingest(drop, tmp_path / "out")
    hidden = _file(files, "hitung_internal/tersembunyi.xlsx")
    assert hidden["baris_diterima"] == 1 and "lembar 'Lama' tersembunyi" in hidden["pesan"]
    rumus = _file(files, "hitung_internal/rumus.xlsx")
    assert rumus["baris_ditolak"] == 1 and "lembar 'Rumus': rumus tanpa nilai" in rumus["pesan"]
    q = catalog.read("mutu__baris_ditolak", root=tmp_path / "out")
    reasons = q.filter(pl.col("sumber_file") == "hitung_internal/rumus.xlsx")["alasan"].to_list()
    assert any("suara_sah" in r and "=J2+K2" in r for r in reasons[0])
    assert (
        "lembar 'Dobel': kolom ganda untuk suara_sah"
        in _file(files, "hitung_internal/ganda.xlsx")["pesan"]
    )


def test_an_empty_kpu_record_never_replaces_a_full_one(tmp_path):
    drop = _base(tmp_path / "drop")
    later = drop / "kpu" / "20241128T0800" / "tps" / "pkwkk"
    later.mkdir(parents=True)
    empty_record = {**_record(), "tungsura": None, "ts": "2024-11-28 07:00:00"}
    (later / "1671011001001.json").write_text(json.dumps(empty_record))
    files = _ingest(drop, tmp_path / "out")
    first = _file(files, "kpu/20241127T2000/tps/pkwkk/1671011001001.json")
    empty = _file(files, "kpu/20241128T0800/tps/pkwkk/1671011001001.json")
    assert first["baris_diterima"] == 1 and empty["baris_digantikan"] == 1
    versions = catalog.read(OFFICIAL_TPS.name, root=tmp_path / "out").sort("waktu_tarik")
    assert versions.height == 2  # the empty record is kept, flagged
    flagged = versions.row(1, named=True)
    assert any(p.startswith(EMPTY_CHECK) for p in flagged["peringatan"])
    assert flagged["digantikan_oleh"] == "kpu/20241127T2000/tps/pkwkk/1671011001001.json:1"


# --- 7. Demo by intent only -----------------------------------------------------------------------


def test_a_manifest_alone_does_not_make_a_real_drop_the_demo(tmp_path):
    from analysis.demo import is_demo
    from analysis.demo.marker import write_marker

    drop = _base(tmp_path / "drop")
    assert not is_demo(drop)
    (drop / "manifest.json").write_text(json.dumps({"generator": "analysis.demo"}))
    assert not is_demo(drop)  # a manifest, even one naming the generator, is not the mark
    write_marker(drop)
    assert is_demo(drop)
    (drop / "manifest.json").write_text(json.dumps({"generator": "analysis.demo", "x": 1}))
    assert not is_demo(drop)  # the mark binds the manifest it was written with
    write_marker(drop)
    copy = tmp_path / "copy"
    shutil.copytree(drop, copy, symlinks=True)
    (copy / "DATA_SIMULASI.json").unlink()
    (copy / "DATA_SIMULASI.json").symlink_to(drop / "DATA_SIMULASI.json")
    assert not is_demo(copy)  # never through a link


# --- 4. Any bytes: the readers never raise and the accounting balances -----------------------------

#: Readers alone: many examples (milliseconds each); the whole ingest: a few (seconds each).
#: Deterministic (derandomize) so CI sees the same examples every run; ROBUST_EXAMPLES raises
#: the reader count for a longer local hunt.
_PROFILE = {
    "deadline": None,
    "database": None,
    "derandomize": True,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
READERS = settings(max_examples=int(os.environ.get("ROBUST_EXAMPLES", "150")), **_PROFILE)
INGEST = settings(max_examples=6, **_PROFILE)
_GOOD = {
    "hitung_internal/x.csv": f"{HEADER}\n{_row(30)}\n{_row(31, 'Gubernur')}\n".encode(),
    "kpu/20241127T2000/tps/pkwkk/1671011001032.json": json.dumps(_record()).encode(),
    "kpu/20241127T2000/tps/pkwkp.jsonl": (
        json.dumps({"kode_tps": "1671011001033", "record": _record()}) + "\n"
    ).encode(),
    "hitung_internal/y.xlsx": _xlsx({"Data": [HEADER.split(";"), _row(34).split(";")]}),
}


@st.composite
def _mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    rel = draw(st.sampled_from(sorted(_GOOD)))
    data = bytearray(_GOOD[rel])
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(("flip", "cut", "insert", "dup")))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from([b"\x00", b"[", b"{", b'"', b"\xff", b";", b"\n", b"9" * 30])
            )
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
    return rel, bytes(data)


_ANY_INPUT = st.one_of(
    _mutated(), st.tuples(st.sampled_from(sorted(_GOOD)), st.binary(max_size=2048))
)


@READERS
@given(_ANY_INPUT)
def test_any_bytes_given_to_a_reader_give_rows_or_one_message(tmp_path_factory, case):
    rel, data = case
    root = tmp_path_factory.mktemp("baca")
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(data)
    fr = read.read_file(root / rel, root)  # never an exception
    assert (fr.error is None) or (fr.rows.is_empty() and fr.error.strip())
    shutil.rmtree(root)


@INGEST
@given(_ANY_INPUT)
def test_any_bytes_in_a_drop_never_stop_ingest_and_the_accounting_balances(tmp_path_factory, case):
    rel, data = case
    root = tmp_path_factory.mktemp("fuzz")
    drop = _base(root / "drop")
    (drop / rel).parent.mkdir(parents=True, exist_ok=True)
    (drop / rel).write_bytes(data)
    files = _ingest(drop, root / "out")  # balanced, ledger = accounting
    assert set(files["path"]) == _every_file(drop)
    shutil.rmtree(root)


@pytest.mark.parametrize("rel", sorted(_GOOD))
def test_the_fuzz_seeds_are_good_files(tmp_path, rel):
    drop = _base(tmp_path / "drop")
    (drop / rel).parent.mkdir(parents=True, exist_ok=True)
    (drop / rel).write_bytes(_GOOD[rel])
    f = _file(_ingest(drop, tmp_path / "out"), rel)
    assert f["status"] == "diterima" and f["baris_diterima"] >= 1


@pytest.mark.slow
def test_packs_say_data_simulasi_exactly_when_the_drop_is_the_demo(tmp_path):
    import argparse
    import datetime as dt

    from analysis import daily, demo
    from analysis.settings import load_settings

    s = load_settings(
        paths={"raw": tmp_path / "raw", "processed": tmp_path / "p", "reports": tmp_path / "r"}
    )
    real = tmp_path / "raw" / "drop-nyata"
    demo.generate("16.74", s.demo.seed, s.demo.as_of, real)
    assert demo.is_demo(real)
    (real / "DATA_SIMULASI.json").unlink()  # a real drop that happens to carry a manifest.json
    args = argparse.Namespace(
        date=dt.date(2024, 11, 28), scope="16.74", depth=0, raw=real, workers=1
    )
    daily.run(args, s)
    run_info = json.loads((tmp_path / "p" / "drop-nyata" / "run.json").read_text())
    assert run_info["demo"] is False
    pages = list((tmp_path / "r" / "2024-11-28").rglob("*.html"))
    assert pages and not any("DATA SIMULASI" in p.read_text(encoding="utf-8") for p in pages)
