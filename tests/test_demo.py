"""The demo generator: deterministic bytes, a manifest that matches its files, realistic shapes."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import polars as pl
import pytest

from analysis import demo
from analysis.demo import faults
from analysis.demo.faults_internal import TallyChanges, contest_not_held, swap_top_two, unknown_tps
from analysis.demo.faults_kpu import RecordChanges, misread_hundreds
from analysis.demo.timeline import pulls as pull_times
from analysis.demo.world import build_world, desa_in_scope
from analysis.domain import regions

AS_OF = dt.datetime.fromisoformat("2024-11-28T14:00:00+07:00")
SCOPE = "16.74"  # Kota Prabumulih: small, with a gubernur and a walikota contest


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo") / "demo-1674"
    m = demo.generate(SCOPE, 7, AS_OF, out)
    return out, m


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(drop, tmp_path):
    out, _ = drop
    again = tmp_path / "again"
    demo.generate(SCOPE, 7, AS_OF, again)
    assert _digests(out) == _digests(again)
    other = tmp_path / "other"
    demo.generate(SCOPE, 8, AS_OF, other)
    assert _digests(out)["referensi/tps.csv"] != _digests(other)["referensi/tps.csv"]


def test_bytes_do_not_depend_on_the_process_hash_seed(drop, tmp_path):
    out, _ = drop
    other = tmp_path / "subprocess"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    cmd = [sys.executable, "-m", "analysis", "demo", "--scope", SCOPE, "--seed", "7"]
    cmd += ["--as-of", AS_OF.isoformat(), "--out", str(other)]
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    assert _digests(out) == _digests(other)


def test_layout_follows_the_catalog(drop):
    out, m = drop
    for folder in ("referensi", "hitung_internal", "kpu", "insiden", "kesiapan"):
        assert (out / folder).is_dir()
    assert sorted(p.name for p in (out / "kpu").iterdir()) == [
        "20241127T2000",
        "20241128T0800",
        "20241128T1330",
        "rekap",
    ]
    assert (out / "kpu/20241128T1330/tps/pkwkk").is_dir()
    assert (out / "manifest.json").exists()
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["scope"] == SCOPE
    for f in m["files"]:
        assert (out / f["path"]).exists(), f["path"]


def test_reference_tables(drop):
    out, m = drop
    tps = pl.read_csv(out / "referensi/tps.csv", schema_overrides={"kode_tps": pl.String})
    assert tps.height == m["totals"]["tps"]
    assert tps["pemilih_dpt"].max() <= 600
    assert (tps["pemilih_dpt_l"] + tps["pemilih_dpt_p"] == tps["pemilih_dpt"]).all()
    assert tps["kode_tps"].str.len_chars().unique().to_list() == [13]
    pas = pl.read_csv(out / "referensi/paslon.csv", schema_overrides={"paslon_id": pl.String})
    assert pas["paslon_id"].str.len_chars().unique().to_list() == [7]
    assert pas["paslon_id"].is_unique().all()
    # at least one single-candidate contest, with its kolom kosong as nomor_urut 0
    kk = pas.filter(pl.col("kolom_kosong"))
    assert kk.height >= 1 and kk["nomor_urut"].unique().to_list() == [0]
    per = pas.filter(~pl.col("kolom_kosong")).group_by("kode_kontestasi").len()
    assert per["len"].min() >= 1 and per["len"].max() <= 6


def _cell(out: Path, f: dict):
    """The cell a manifest entry points at, read the way a reader would."""
    path = out / f["file"]
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path)
        ws = wb[f["sheet"]] if f.get("sheet") else wb.worksheets[0]
        header = [c.value for c in ws[f["header_row"]]]
        return ws.cell(row=f["row"], column=header.index(f["column"]) + 1).value
    meta = next(x for x in _files(out) if x["path"] == f["file"])
    raw = path.read_bytes()
    enc = meta.get("encoding", "utf-8")
    text = raw.decode("cp1252" if enc == "cp1252" else "utf-8-sig")
    lines = text.split("\n")
    sep = meta.get("separator", ",")
    header = next(csv.reader(io.StringIO(lines[f["header_row"] - 1]), delimiter=sep))
    row = next(csv.reader(io.StringIO(lines[f["row"] - 1]), delimiter=sep))
    return row[header.index(f["column"])]


def _files(out: Path) -> list[dict]:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]


def test_every_internal_and_incident_fault_sits_where_the_manifest_says(drop):
    out, m = drop
    checked = 0
    for f in m["faults"]:
        if f["side"] not in ("internal", "incident") or f["row"] is None or f["field"] is None:
            continue
        assert _cell(out, f) == f["written"], f
        checked += 1
    assert checked >= 20


def test_kpu_faults_sit_where_the_manifest_says(drop):
    out, m = drop
    kinds = set()
    for f in m["faults"]:
        if f["side"] != "kpu" or f["kind"] == "kpu_missing":
            continue
        rec = json.loads((out / f["file"]).read_text(encoding="utf-8"))
        node = rec
        for part in f["field"].split("."):
            node = node[part]
        assert node == f["injected_value"], f
        kinds.add(f["kind"])
        if f["kind"] == "kpu_ocr_hundreds":
            dpt = rec["tungsura"]["administrasi"]["pemilih_dpt_j"]
            assert f["injected_value"] > dpt and f["injected_value"] % 100 == f["true_value"]
    assert {"kpu_ocr_hundreds", "kpu_sum_mismatch", "kpu_psu", "kpu_chart_null"} <= kinds
    for f in m["faults"]:
        if f["kind"] == "kpu_missing":
            assert not list((out / "kpu").glob(f"*/tps/*/{f['kode_tps']}.json"))
        if f["kind"] == "kpu_revision" and f["revised_in"]:
            later = out / f["file"].replace(f["pulls"][0], f["revised_in"][0])
            node = json.loads(later.read_text(encoding="utf-8"))
            for part in f["field"].split("."):
                node = node[part]
            assert node == f["true_value"]


def test_clean_kpu_records_satisfy_the_form_identities(drop):
    out, m = drop
    faulty = {(f["kode_tps"], f["kode_kontestasi"]) for f in m["faults"]}
    n = 0
    for p in sorted((out / "kpu/20241128T1330/tps").rglob("*.json")):
        kode, jenis = p.stem, p.parent.name
        depth = 1 if jenis == regions.JENIS_GUBERNUR else 2
        region = regions.ancestor_at(regions.tps_desa(kode), depth) or ""
        contest = regions.contest_code(jenis, region)
        if (kode, contest) in faulty:
            continue
        rec = json.loads(p.read_text(encoding="utf-8"))
        chart, adm = rec["tungsura"]["chart"], rec["tungsura"]["administrasi"]
        assert sum(v for k, v in chart.items() if k != "null") == adm["suara_sah"]
        assert adm["suara_sah"] + adm["suara_tidak_sah"] == adm["suara_total"]
        assert adm["pengguna_total_j"] == adm["suara_total"]
        for f in ("pemilih_dpt", "pengguna_dpt", "pengguna_total"):
            assert adm[f"{f}_l"] + adm[f"{f}_p"] == adm[f"{f}_j"]
        n += 1
    assert n > 100


def test_kpu_pulls_are_growing_snapshots(drop):
    out, m = drop
    pulls = sorted(m["kpu"]["pulls"])
    sets = [{p.name for p in (out / "kpu" / pl_ / "tps").rglob("*.json")} for pl_ in pulls]
    assert len(sets[0]) < len(sets[1]) < len(sets[2])
    assert sets[0] <= sets[1] <= sets[2]


def test_tally_files_come_in_the_messy_forms(drop):
    out, m = drop
    tally = [f for f in m["files"] if f["dataset"] == "tally"]
    styles = {f.get("style") for f in tally if f["format"] == "csv"}
    assert len(styles) >= 3
    assert any(f["format"] == "xlsx" for f in tally)
    assert sum(f["rows"] for f in tally) == m["totals"]["rows"]["tally"]
    assert len(m["internal"]["unreadable_files"]) == 3
    assert (out / m["internal"]["unreadable_files"][0]["file"]).stat().st_size == 0
    for f in tally:
        if f["format"] == "xlsx":
            wb = openpyxl.load_workbook(out / f["path"])
            for name in f["sheets"]:
                ws = wb[name]
                assert ws.cell(row=4, column=1).value == "kode_tps"
                assert ws.cell(row=1, column=1).value.startswith("LAPORAN")


def test_incidents_readiness_and_truth(drop):
    out, m = drop
    assert m["totals"]["rows"]["incidents"] == len(m["incidents"]) > 10
    assert all(h["kritis_tinggi"] >= 6 for h in m["hotspots"])
    assert m["readiness_laggards"]
    assert len(m["anomaly_tps"]) >= 3
    truth = {t["kode_kontestasi"]: t for t in m["truth_by_contest"]}
    assert set(truth) == {"pkwkp-16", "pkwkk-1674"}
    for t in truth.values():
        assert sum(t["suara"].values()) == t["suara_sah"]
        assert 0.6 < t["suara_total"] / t["pemilih_dpt"] < 0.9
    ktp = pl.read_csv(out / "kesiapan/perekaman_ktp_el.csv", separator=";", infer_schema=False)
    assert ktp["nilai"].str.ends_with("%").all()


def test_cli_rejects_an_unknown_scope(tmp_path, capsys):
    args = argparse.Namespace(
        scope="99.99", seed=1, as_of=AS_OF.isoformat(), out=tmp_path / "x", bundle="auto"
    )
    assert demo.run(args) == 2
    assert "99.99" in capsys.readouterr().out


def test_scope_holds_the_desa_inside_it():
    kecamatan = desa_in_scope("16.74.01")
    assert kecamatan.height > 1
    assert kecamatan["kode_wilayah"].str.starts_with("16.74.01.").all()
    assert desa_in_scope("16.74.01.1001")["kode_wilayah"].to_list() == ["16.74.01.1001"]


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ValueError, match="refusing"):
        demo.generate(SCOPE, 7, AS_OF, tmp_path)
    assert (tmp_path / "mine.txt").exists()


def test_bundled_kpu_records_and_their_manifest_rows(tmp_path):
    out = tmp_path / "bundled"
    m = demo.generate(SCOPE, 7, AS_OF, out, kpu_bundle=True)
    files = sorted(p.relative_to(out).as_posix() for p in (out / "kpu").rglob("*.jsonl"))
    assert files == [
        f"kpu/{p}/tps/{j}.jsonl"
        for p in ("20241127T2000", "20241128T0800", "20241128T1330")
        for j in ("pkwkk", "pkwkp")
    ]
    # no per-TPS record outside the bundles (a pull's aggregates stay one file per region)
    assert not [p for p in (out / "kpu").rglob("*.json") if "tps" in p.relative_to(out).parts]
    assert list((out / "kpu").glob("*/agregat/pkwkk/*.json"))
    n = 0
    for f in m["faults"]:
        if f["side"] != "kpu" or f["file"] is None:
            continue
        for pull, row in f["rows_by_pull"].items():
            path = out / f["file"].replace(f["pulls"][0], pull)
            line = json.loads(path.read_text(encoding="utf-8").splitlines()[row - 1])
            assert line["kode_tps"] == f["kode_tps"]
            node = line["record"]
            for part in f["field"].split("."):
                node = node[part]
            assert node == f["injected_value"]
            n += 1
    assert n >= 8
    assert m["totals"]["rows"]["kpu_tps"]["20241128T1330"] == sum(
        len((out / p).read_text(encoding="utf-8").splitlines())
        for p in files
        if "20241128T1330" in p
    )


@pytest.mark.slow
def test_province_scenario_has_the_documented_shape(tmp_path):
    m = demo.generate("16", 20241127, AS_OF, tmp_path / "demo-16")
    t = m["totals"]
    assert t["kabkota"] == 17 and t["contests"] == 18
    assert 4.5 < t["tps"] / t["desa"] < 6.5
    assert 0.85 < m["internal"]["coverage"] < 0.95
    cov = [v["coverage"] for v in m["kpu"]["pulls"].values()]
    assert 0.28 < cov[0] < 0.42 and 0.52 < cov[1] < 0.68 and 0.68 < cov[2] < 0.82
    assert len(m["hotspots"]) == 3
    assert t["single_candidate_contests"]


# --- the fault table ----------------------------------------------------------------------------


def test_fault_table_rows_are_complete():
    kinds = [f.kind for f in faults.FAULTS]
    assert len(kinds) == len(set(kinds))
    for f in faults.FAULTS:
        assert f.source in ("internal", "kpu"), f
        assert f.kind.startswith("kpu_") == (f.source == "kpu"), f
        assert 0 < f.rate < 1 and f.at_least >= 1, f
        assert f.eligible and set(f.eligible) <= set(faults.ROW_SETS), f
        assert f.effect in faults.EFFECTS and f.unit in ("row", "tps"), f
        assert callable(f.apply), f


def test_faults_are_drawn_on_disjoint_eligible_rows():
    rng = np.random.default_rng(3)
    w = build_world(SCOPE, rng, 0.025)
    as_of = int(AS_OF.timestamp())
    pulls = pull_times(as_of)
    plan = faults.plan_faults(w, rng, as_of, pulls)
    sets = faults.row_sets(w, as_of, pulls)
    anomalous = set(
        w.tc.filter(pl.col("kode_tps").is_in([a["kode_tps"] for a in w.anomaly]))["_tc"]
    )
    seen: set[int] = set()
    for f in faults.FAULTS:
        rows = set(plan[f.kind].tolist())
        assert rows and not rows & seen and not rows & anomalous, f.kind
        for name in f.eligible:
            assert sets[name][list(rows)].all(), (f.kind, name)
        if f.unit == "row":
            assert len(rows) == f.count(w.tc.height), f.kind
        seen |= rows


def test_every_table_fault_is_in_the_manifest_grouped_by_effect(drop):
    _, m = drop
    for f in faults.FAULTS:
        assert m["fault_counts"].get(f.kind, 0) >= f.at_least, f.kind
    for side in ("internal", "kpu"):
        listed = [
            x["kind"] for x in m["faults"] if x["side"] == side and x["kind"] in faults.BY_KIND
        ]
        ranks = [faults.listing_order(faults.BY_KIND[k].effect) for k in listed]
        assert ranks == sorted(ranks), side


def _changes(rows: list[dict]) -> TallyChanges:
    reports = pl.DataFrame(rows)
    ch = TallyChanges(reports, np.random.default_rng(0), as_of=0, next_idx=100)
    ch.rows = {r["_idx"]: r for r in rows}
    return ch


def _report(idx: int, kode_tps: str, kode_kab: str, jenis: str, **votes: int) -> dict:
    slots = {c: votes.get(c) for c in demo.VOTE_COLS}
    return {"_idx": idx, "kode_tps": kode_tps, "kode_kab": kode_kab, "_jenis_code": jenis, **slots}


def test_swap_top_two_swaps_the_leaders_and_records_both_cells():
    row = _report(1, "1674011001001", "16.74", "pkwkk", suara_paslon_1=40, suara_paslon_2=90)
    ch = _changes([row])
    swap_top_two(faults.BY_KIND["typing_discrepancy"], np.array([1]), ch)
    assert ch.edits[1] == {"suara_paslon_2": 40, "suara_paslon_1": 90}
    assert [(f.field, f.true_value, f.injected_value) for f in ch.findings] == [
        ("suara_paslon_2", 90, 40),
        ("suara_paslon_1", 40, 90),
    ]


def test_unknown_tps_codes_are_absent_from_the_desa():
    rows = [_report(i, f"167401100100{i}", "16.74", "pkwkk", suara_paslon_1=5) for i in (1, 2)]
    ch = _changes(rows)
    unknown_tps(faults.BY_KIND["unknown_tps"], np.array([1, 2]), ch)
    first, second = (x["kode_tps"] for x in ch.extra)
    assert first.startswith("1674011001") and first[10] == "9" and len(first) == 13
    assert second == "167401100002" and len(second) == 12  # a desa digit dropped
    assert "copied from 1674011001002" in ch.findings[1].extra["note"]


def test_contest_not_held_adds_a_gubernur_report_from_diy_only():
    rows = [
        _report(1, "1674011001001", "16.74", "pkwkk", suara_paslon_1=5),
        _report(2, "3471011001001", "34.71", "pkwkk", suara_paslon_1=5),
    ]
    ch = _changes(rows)
    contest_not_held(faults.BY_KIND["contest_not_held"], np.array([1]), ch)
    ppwp, diy = ch.extra
    assert (ppwp["_idx"], ppwp["kode_kontestasi"]) == (100, "ppwp")
    assert (diy["kode_tps"], diy["kode_kontestasi"]) == ("3471011001001", "pkwkp-34")
    assert "DIY" in ch.findings[-1].extra["note"]


def test_ocr_misread_exceeds_dpt_plus_reserve():
    row = {"_tc": 5, "kode_kontestasi": "pkwkk-1674", "pemilih_dpt": 550, "suara_sah": 0}
    row |= {c: None for c in demo.VOTE_COLS} | {"suara_paslon_1": 64, "suara_paslon_2": 300}
    pid = {"pkwkk-1674": ("1000101", "1000102", None, None, None, None, None)}
    for seed in range(20):
        ch = RecordChanges({5: row}, pid, [], 0.025, np.random.default_rng(seed))
        misread_hundreds(faults.BY_KIND["kpu_ocr_hundreds"], np.array([5]), ch)
        bad = ch.edits[5]["suara_paslon_1"]
        assert bad % 100 == 64 and bad > 550 * 1.025
        assert ch.findings[0].field == "tungsura.chart.1000101"
