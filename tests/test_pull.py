"""The KPU pull's rules without a network: paths, code checks, response shapes, backoff, the pull
folder, the paslon file, the aggregate comparison (tests over real HTTP: test_pull_http.py)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import polars as pl
import pytest

from analysis import ingest
from analysis.pull import agregat, fetch, folder, paslon, shapes, site
from analysis.pull.site import Node
from analysis.settings import SettingsError, default_settings, load_settings

S = default_settings()
PILKADA = S.kpu_pull.sites["pilkada"]
PEMILU = S.kpu_pull.sites["pemilu"]


# --- KPU's paths ------------------------------------------------------------------------------


def test_paths_are_kpus_public_paths():
    # docs/domain.md §6, written out by hand
    assert site.wilayah_path(PILKADA, Node("pkwkp", "0")) == "wilayah/pilkada/pkwkp/0.json"
    assert site.wilayah_path(PILKADA, Node("pkwkk", "167401")) == (
        "wilayah/pilkada/pkwkk/16/1674/167401.json"
    )
    assert site.hhcw_path(PILKADA, Node("pkwkk", "1674")) == "pilkada/hhcw/pkwkk/16/1674.json"
    assert site.hhcw_path(PILKADA, Node("pkwkp", "1674011001001")) == (
        "pilkada/hhcw/pkwkp/16/1674/167401/1674011001/1674011001001.json"
    )
    assert site.paslon_path(PILKADA, "pkwkk") == "pilkada/paslon/pkwkk.json"
    assert site.hhcw_path(PEMILU, Node("ppwp", "3101011001001")) == (
        "pemilu/hhcw/ppwp/31/3101/310101/3101011001/3101011001001.json"
    )
    assert site.paslon_path(PEMILU, "ppwp") == "pemilu/ppwp.json"
    assert site.url(PILKADA, "pilkada/paslon/pkwkp.json") == (
        "https://sirekappilkada-obj-data.kpu.go.id/pilkada/paslon/pkwkp.json"
    )


def test_codes_from_the_internet_are_checked_before_they_go_into_a_path():
    desa = Node("pkwkk", "1674011001")
    assert site.check_child(desa, "1674011001001") is None
    assert "13 angka" in site.check_child(desa, "167401100100")
    assert "bukan deret angka" in site.check_child(desa, "../../../etc")
    assert "bukan deret angka" in site.check_child(desa, "１６７４０１１００１００１")  # full-width
    assert "bukan deret angka" in site.check_child(desa, 1674011001001)
    assert "tidak berada di bawah" in site.check_child(desa, "1671011001001")
    assert site.check_child(Node("pkwkp", "0"), "16") is None
    assert "2 angka" in site.check_child(Node("pkwkp", "0"), "160")
    assert "tidak punya anak" in site.check_child(Node("pkwkp", "1674011001001"), "1")


def test_scope_keeps_regions_inside_and_the_way_down_to_it():
    assert site.in_scope(Node("pkwkp", "16"), "16.74")  # an ancestor is walked through
    assert site.in_scope(Node("pkwkp", "1674"), "16.74")
    assert site.in_scope(Node("pkwkp", "167401"), "16.74")
    assert not site.in_scope(Node("pkwkp", "1671"), "16.74")
    assert site.in_scope(Node("pkwkp", "1674011001001"), "16.74.01")
    assert not site.in_scope(Node("pkwkp", "1674021003001"), "16.74.01")
    assert site.in_scope(Node("pkwkp", "31"), "00")


# --- response shapes --------------------------------------------------------------------------


def test_a_response_that_is_not_the_expected_json_is_never_accepted():
    rec = shapes.record("tungsura")
    good = b'{"ts":"2024-11-28 05:54:56","tungsura":{"chart":{"1":2},"administrasi":null}}'
    assert shapes.parse(good, rec).reason is None
    html = shapes.parse(b"<html><h1>503</h1></html>", rec)
    assert "HTML" in html.reason and html.transient
    cut = shapes.parse(good[: len(good) // 2], rec)
    assert "bukan JSON yang utuh" in cut.reason and cut.transient
    assert shapes.parse(b"", rec).transient
    other = shapes.parse(b'{"chart":{"1":2},"administrasi":{}}', rec)  # Pemilu shape on Pilkada
    assert other.reason == "catatan TPS tanpa objek tungsura" and not other.transient
    assert shapes.parse(b'{"tungsura":{"chart":[1,2]}}', rec).reason == "chart bukan objek"
    assert shapes.parse(b'{"chart":null,"administrasi":null}', shapes.record("top")).reason is None
    assert shapes.parse(b"[]", rec).reason == "catatan TPS bukan objek"


def test_region_lists_candidates_and_aggregates_are_checked():
    assert shapes.wilayah([{"kode": "16", "nama": "x"}]) is None
    assert "kode" in shapes.wilayah([{"nama": "x"}])
    assert shapes.wilayah({"kode": "16"}) == "daftar wilayah bukan larik JSON"
    per_region = shapes.paslon(per_wilayah=True)
    assert per_region({"1674": {"1000101": {"nomor_urut": 1, "nama": "A"}}}) is None
    assert "nomor_urut" in per_region({"1674": {"1000101": {"nama": "A"}}})
    assert "bukan angka" in per_region({"16x": {}})
    assert shapes.paslon(per_wilayah=False)({"100025": {"nomor_urut": 1}}) is None
    agg = shapes.agregat("tungsura")
    assert agg({"tungsura": {"chart": {"1": 3}}, "table": {"1674": {"1": 3}}}) is None
    assert "baris table" in agg({"table": {"../x": {}}})


def test_a_desa_table_row_says_whether_kpu_holds_data():
    assert shapes.row_published({"1": 5, "progres": {"total": 1, "progres": 1}})
    assert shapes.row_published({"1": None, "progres": {"total": 1, "progres": 1}})
    assert not shapes.row_published({"1": None, "progres": {"total": 1, "progres": 0}})
    assert not shapes.row_published(None)


# --- politeness -------------------------------------------------------------------------------


def test_retry_after_as_seconds_or_http_date():
    now = dt.datetime(2024, 11, 28, 1, 0, 0, tzinfo=dt.UTC)
    assert fetch.retry_after_seconds("7") == 7
    assert fetch.retry_after_seconds("Thu, 28 Nov 2024 01:00:30 GMT", now) == 30
    assert fetch.retry_after_seconds("Thu, 28 Nov 2024 00:59:00 GMT", now) == 0
    assert fetch.retry_after_seconds("soon") is None
    assert fetch.retry_after_seconds(None) is None


def test_backoff_doubles_up_to_the_cap_with_jitter():
    policy = S.kpu_pull
    rng = random.Random(1)
    for attempt in range(10):
        full = min(policy.backoff_max_seconds, policy.backoff_seconds * 2**attempt)
        waits = [fetch.backoff(policy, attempt, rng) for _ in range(50)]
        assert all(full / 2 <= w <= full for w in waits)
        assert len(set(waits)) > 1  # jittered: workers do not retry in step


def test_settings_of_the_pull_are_validated():
    assert S.kpu_pull.site in S.kpu_pull.sites
    with pytest.raises(SettingsError, match="kpu_pull"):
        load_settings(kpu_pull={"site": "pilpres"})
    with pytest.raises(SettingsError, match=r"kpu_pull\.concurrency"):
        load_settings(kpu_pull={"concurrency": 0})
    with pytest.raises(SettingsError, match=r"kpu_pull\.colour: unknown key"):
        load_settings(kpu_pull={"colour": "red"})


# --- the pull folder --------------------------------------------------------------------------


def test_a_pull_is_staged_out_of_ingests_sight_and_published_whole(tmp_path):
    drop = tmp_path / "drop"
    with folder.locked(drop):
        pull = folder.open_pull(drop, "20241128T0800", 6)
        folder.write_atomic(pull.path("tps/pkwkk/1674011001001.json"), b'{"tungsura":{}}')
        folder.write_atomic(pull.path("agregat/pkwkk/1674.json"), b'{"table":{}}')
        folder.write_atomic(pull.path("ringkasan.json"), b"{}")
        assert ingest.discover(drop) == []  # staged: invisible
        folder.publish(pull)
    found = [p.relative_to(drop).as_posix() for p, _ in ingest.discover(drop)]
    assert found == ["kpu/20241128T0800/tps/pkwkk/1674011001001.json"]  # aggregates are not records
    assert not list((drop / "kpu").glob(".tarik-*"))


def test_a_stopped_pull_is_resumed_under_its_name_and_an_old_one_discarded(tmp_path):
    drop = tmp_path / "drop"
    first = folder.open_pull(drop, "20241127T2000", 6)
    folder.write_atomic(first.path("tps/pkwkp/1674011001001.json"), b"{}")
    (first.path("tps/pkwkp") / ".1674011001002.json.tmp1-2").write_bytes(b'{"tung')
    again = folder.open_pull(drop, None, 6)
    assert again.resumed and again.name == "20241127T2000"
    assert (again.path("tps/pkwkp/1674011001001.json")).exists()
    assert not list(again.path("tps/pkwkp").glob(".*"))  # the half-written temporary is gone
    fresh = folder.open_pull(drop, "20241127T2100", 1e-9)  # too old to resume
    assert not fresh.resumed and not first.staging.exists()


def test_pull_names_must_move_forward(tmp_path):
    drop = tmp_path / "drop"
    (drop / "kpu" / "20241128T0800").mkdir(parents=True)
    with pytest.raises(folder.FolderError, match="sudah ada"):
        folder.open_pull(drop, "20241128T0800", 6)
    with pytest.raises(folder.FolderError, match="lebih awal"):
        folder.open_pull(drop, "20241127T2000", 6)
    with pytest.raises(folder.FolderError, match="YYYYMMDDTHHMM"):
        folder.open_pull(drop, "2024-11-28", 6)
    assert folder.open_pull(drop, "20241128T0900", 6).previous == drop / "kpu" / "20241128T0800"


def test_one_pull_at_a_time_per_drop(tmp_path):
    with (
        folder.locked(tmp_path),
        pytest.raises(folder.FolderError, match="sedang berjalan"),
        folder.locked(tmp_path),
    ):
        pass


def test_carry_is_a_hard_link_to_the_previous_file(tmp_path):
    prev = tmp_path / "a.json"
    prev.write_bytes(b"{}")
    folder.carry(prev, tmp_path / "b" / "a.json")
    assert (tmp_path / "b" / "a.json").samefile(prev)


# --- candidates -------------------------------------------------------------------------------

KPU_PASLON = {
    "pkwkp": {
        "16": {
            "1000116": {"nama": "B & B", "nomor_urut": 2},
            "1000112": {"nama": "A & A", "nomor_urut": 1},
        },
        "17": {"1000200": {"nama": "Z", "nomor_urut": 1}},
    },
    "pkwkk": {
        "1674": {
            "1000106": {"nama": "Kolom Kosong", "nomor_urut": 0},
            "1000101": {"nama": "C & C", "nomor_urut": 1},
        },
        "1671": {"1000300": {"nama": "Y", "nomor_urut": 1}},
    },
}


def test_kpu_candidates_become_the_paslon_file_ingest_reads():
    df = paslon.frame(PILKADA, KPU_PASLON, "16.74")
    assert df.columns == [
        "kode_kontestasi",
        "nomor_urut",
        "paslon_id",
        "nama_paslon",
        "kolom_kosong",
    ]
    assert df.rows() == [
        ("pkwkk-1674", 1, "1000101", "C & C", False),
        ("pkwkk-1674", 0, "1000106", "Kolom Kosong", True),
        ("pkwkp-16", 1, "1000112", "A & A", False),
        ("pkwkp-16", 2, "1000116", "B & B", False),
    ]
    pemilu = paslon.frame(PEMILU, {"ppwp": {"100025": {"nama": "P", "nomor_urut": 1}}}, "31.01")
    assert pemilu.rows() == [("ppwp", 1, "100025", "P", False)]


def _pull(drop: Path, name: str) -> folder.PullFolder:
    return folder.open_pull(drop, name, 6)


def test_the_desks_own_paslon_file_is_never_clobbered_silently(tmp_path):
    drop = tmp_path / "drop"
    df = paslon.frame(PILKADA, KPU_PASLON, "16.74")
    assert paslon.place(_pull(drop, "20241127T2000"), df, False)["status"] == "ditulis"
    assert paslon.place(_pull(drop, "20241127T2001"), df, False)["status"] == "sama"
    updated = df.with_columns(pl.col("nama_paslon").str.to_uppercase())
    assert paslon.place(_pull(drop, "20241127T2002"), updated, False)["status"] == "diperbarui"
    desk = b"kode_kontestasi,nomor_urut,paslon_id,nama_paslon,kolom_kosong\npkwkk-1674,1,1000101,X,false\n"
    (drop / paslon.REF).write_bytes(desk)  # the desk edits its own file
    pull = _pull(drop, "20241127T2003")
    kept = paslon.place(pull, df, False)
    assert kept["status"] == "dibiarkan" and "3 baris berbeda" in kept["pesan"]
    assert (drop / paslon.REF).read_bytes() == desk
    assert pull.path(paslon.BESIDE).read_bytes() == paslon.csv_bytes(df)
    replaced = paslon.place(_pull(drop, "20241127T2004"), df, True)
    assert replaced["status"] == "ditimpa"
    assert (drop / "referensi/.paslon.csv.20241127T2004.bak").read_bytes() == desk
    assert (drop / paslon.REF).read_bytes() == paslon.csv_bytes(df)


# --- KPU against itself -----------------------------------------------------------------------


def _json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), encoding="utf-8")


def test_kpus_aggregate_against_the_sum_of_its_own_records(tmp_path):
    pull = tmp_path / "drop" / "kpu" / "20241128T0800"
    _json(pull / "ringkasan.json", {"cakupan": "16.74"})
    _json(pull / "paslon/pkwkk.json", {"1674": {"11": {"nomor_urut": 1}, "12": {"nomor_urut": 2}}})
    row = {"progres": {"total": 3, "progres": 2}}
    _json(
        pull / "agregat/pkwkk/16.json", {"tungsura": {"chart": {"11": 999}}, **row}
    )  # above scope
    _json(pull / "agregat/pkwkk/1674.json", {"tungsura": {"chart": {"11": 30, "12": 7}}, **row})
    _json(pull / "agregat/pkwkk/1674011001.json", {"tungsura": {"chart": {"11": 25, "12": 7}}})
    for kode, a, b in (("1674011001001", 10, 3), ("1674011001002", 15, 4)):
        rec = {"tungsura": {"chart": {"null": None, "11": a, "12": b}, "administrasi": None}}
        _json(pull / f"tps/pkwkk/{kode}.json", rec)
    desk = pl.DataFrame({"kode_tps": ["1674011001001", "1674011001002", "1674011001003"]})
    df = agregat.agregat_vs_tps(pull, PILKADA, desk)
    got = {(r["kode_wilayah"], r["paslon_id"]): r for r in df.iter_rows(named=True)}
    assert set(got) == {
        ("16.74", "11"),
        ("16.74", "12"),
        ("16.74.01.1001", "11"),
        ("16.74.01.1001", "12"),
    }
    kab = got[("16.74", "11")]
    assert (kab["suara_agregat"], kab["suara_tps"], kab["selisih"]) == (30, 25, 5)
    assert (kab["tps_total_kpu"], kab["tps_masuk_kpu"], kab["tps_tercatat"], kab["tps_desk"]) == (
        3,
        2,
        2,
        3,
    )
    assert kab["kode_kontestasi"] == "pkwkk-1674" and kab["nomor_urut"] == 1
    assert kab["tingkat"] == "kabkota"
    assert got[("16.74.01.1001", "12")]["selisih"] == 0
    assert got[("16.74.01.1001", "11")]["tps_total_kpu"] is None  # the file gave no progres
    assert kab["waktu_tarik"] == dt.datetime(2024, 11, 28, 1, 0, tzinfo=dt.UTC)
