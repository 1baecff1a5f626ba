"""The PVT sample: a seeded stratified draw, kept in the drop with its hash, refused when changed."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from analysis import catalog
from analysis.reconcile import sample, sample_cli
from analysis.schemas import REF_SAMPEL, REF_SAMPEL_TPS, TPS

DRAWN = __import__("datetime").datetime.fromisoformat("2024-11-24T10:00:00+07:00")


def _codes() -> pl.Series:
    """TPS of two kab/kota of province 16 (60 and 20 TPS) and one outside it."""
    a = [f"1601012001{i:03d}" for i in range(1, 61)]
    b = [f"1671012001{i:03d}" for i in range(1, 21)]
    return pl.Series("kode_tps", [*a, *b, "1701012001001"])


def test_allocation_gives_each_stratum_its_minimum_then_in_proportion():
    n = sample.allocate(np.array([60, 20, 5]), 40, 10)
    assert n.tolist() == [25, 10, 5] and n.sum() == 40
    with pytest.raises(sample.SampleError, match="terlalu kecil"):
        sample.allocate(np.array([60, 20]), 15, 10)
    with pytest.raises(sample.SampleError, match="melebihi"):
        sample.allocate(np.array([6, 2]), 9, 1)


def test_draw_is_seeded_stratified_and_inside_the_scope():
    s1 = sample.draw_sample(_codes(), "16", 30, 7, 10)
    assert s1.columns == list(REF_SAMPEL_TPS.columns) and s1.height == 30
    assert s1["kode_tps"].str.starts_with("16").all()
    assert dict(s1.group_by("kode_strata").len().iter_rows()) == {"16.01": 20, "16.71": 10}
    assert s1.filter(pl.col("kode_strata") == "16.01")["tps_strata"].unique().to_list() == [60]
    again = sample.draw_sample(_codes().shuffle(seed=1), "16", 30, 7, 10)
    assert again.equals(s1)  # the set of codes, not their order, decides
    assert not sample.draw_sample(_codes(), "16", 30, 8, 10).equals(s1)
    kec = sample.draw_sample(_codes(), "16.01", 10, 7, 2)
    assert kec["kode_strata"].unique().to_list() == ["16.01.01"]  # kecamatan strata
    assert sample.default_size(_codes(), "16", 0.1, 10) == 20  # the minimum wins over 8


def _drop(tmp_path: Path) -> Path:
    drop = tmp_path / "drop"
    s = sample.draw_sample(_codes(), "16", 30, 7, 10)
    sample.write_sample(drop, s, "16", 7, 10, DRAWN)
    return drop


def test_written_sample_records_its_hash_and_is_never_replaced(tmp_path):
    drop = _drop(tmp_path)
    record = json.loads((drop / "referensi/sampel_pvt.json").read_text(encoding="utf-8"))
    data = (drop / "referensi/sampel_pvt.csv").read_bytes()
    assert record["sha256"] == sample.sha256(data) and record["ukuran"] == 30
    assert record["lingkup"] == "16" and record["tingkat_strata"] == "kabkota"
    with pytest.raises(sample.SampleError, match="tidak diganti diam-diam"):
        sample.write_sample(drop, sample.draw_sample(_codes(), "16", 30, 8, 10), "16", 8, 10, DRAWN)


def test_reading_back_checks_hash_rows_and_redraw(tmp_path):
    drop = _drop(tmp_path)
    listed = _codes()
    ok = sample.read_sample(drop, listed)
    assert ok.record["sah"] and ok.record["dapat_diulang"] and ok.rows.height == 30
    assert "hash cocok" in ok.record["pesan"] and ok.record["baris_ditolak"] == 0
    # one TPS swapped after the fact: the hash no longer matches, and the message says so
    path = drop / "referensi/sampel_pvt.csv"
    text = path.read_text(encoding="utf-8")
    first = text.splitlines()[1].split(",")[0]
    path.write_text(text.replace(first, "1601012001099"), encoding="utf-8")
    bad = sample.read_sample(drop, listed)
    assert not bad.record["sah"] and "berubah sejak diundi" in bad.record["pesan"]
    assert "baris 2, kolom kode_tps" in bad.record["pesan"]  # 099 is not a listed TPS
    assert bad.record["baris_ditolak"] == 1 and bad.record["dapat_diulang"] is False


def test_no_sample_and_a_sample_without_its_record(tmp_path):
    assert sample.read_sample(tmp_path, _codes()).record is None
    drop = _drop(tmp_path)
    (drop / "referensi/sampel_pvt.json").unlink()
    r = sample.read_sample(drop, _codes()).record
    assert not r["sah"] and "hash sampel tidak tercatat" in r["pesan"]


def test_take_in_writes_the_declared_datasets(tmp_path):
    drop = _drop(tmp_path)
    processed = tmp_path / "processed"
    catalog.write(
        pl.DataFrame({"kode_tps": _codes()}).with_columns(
            pl.lit("x").alias("kode_desa"),
            pl.lit(1).alias("nomor_tps"),
            pl.lit(300).alias("pemilih_dpt"),
        ),
        TPS.name,
        processed,
    )
    intake = sample.take_in(drop, processed)
    assert "sah" in intake.line() and intake.record["sha256"] in intake.line()
    rec = catalog.read(REF_SAMPEL.name, processed)
    assert (
        rec.height == 1
        and rec["sah"][0]
        and rec["dibuat"][0].isoformat().startswith("2024-11-24T03")
    )
    assert catalog.read(REF_SAMPEL_TPS.name, processed).height == 30
    empty = tmp_path / "empty"
    (empty / "referensi").mkdir(parents=True)
    sample.take_in(empty, processed)  # no sample: both datasets empty, never stale
    assert catalog.read(REF_SAMPEL.name, processed).is_empty()


def test_command_draws_into_a_drop_and_checks_it(tmp_path, capsys):
    drop = tmp_path / "drop"
    (drop / "referensi").mkdir(parents=True)
    lines = ["kode_tps,kode_desa,nomor_tps,pemilih_dpt,pemilih_dpt_l,pemilih_dpt_p"]
    lines += [f"{c},16.01.01.2001,1,300,150,150" for c in _codes()[:80]]
    (drop / "referensi/tps.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    args = argparse.Namespace(raw=drop, scope="16", size=None, seed=None, periksa=False)
    assert sample_cli.run(args) == 2 and "--seed" in capsys.readouterr().out
    args.seed = 5
    assert sample_cli.run(args) == 0
    out = capsys.readouterr().out
    assert "sha256" in out and (drop / "referensi/sampel_pvt.csv").exists()
    args.periksa = True
    assert sample_cli.run(args) == 0 and "sah" in capsys.readouterr().out
    kept = drop / "referensi/sampel_pvt.csv"
    kept.write_text(kept.read_text(encoding="utf-8").replace(",", ";", 1), encoding="utf-8")
    assert sample_cli.run(args) == 1 and "TIDAK SAH" in capsys.readouterr().out


def test_command_help_is_printed(capsys):
    from analysis.__main__ import main

    with pytest.raises(SystemExit) as done:
        main(["sampel", "--help"])
    assert done.value.code == 0 and "--periksa" in capsys.readouterr().out


def test_demo_drop_holds_its_sample_reported_first(tmp_path):
    import datetime as dt

    from analysis import demo
    from analysis.demo.pvt import Pvt
    from analysis.demo.world import build_world
    from analysis.settings import default_settings

    as_of = dt.datetime.fromisoformat("2024-11-28T14:00:00+07:00")
    out = tmp_path / "demo"
    m = demo.generate("16.74", 7, as_of, out)
    rec = sample.read_sample(
        out, pl.read_csv(out / "referensi/tps.csv", infer_schema=False)["kode_tps"]
    )
    assert rec.record["sah"] and rec.record["dapat_diulang"]  # the seed draws it again
    assert m["sampel_pvt"]["sha256"] == rec.record["sha256"] and m["sampel_pvt"]["seed"] == 7
    listed = {f["path"] for f in m["files"]}
    assert {"referensi/sampel_pvt.csv", "referensi/sampel_pvt.json"} <= listed
    # towns first: remote TPS report later; the sampled TPS come first of all
    pvt = Pvt("16.74", 7, default_settings().proyeksi)
    w = build_world("16.74", np.random.default_rng(7), 0.025, pvt.first)  # as the generator does
    assert pvt.sample.equals(rec.rows.select(pvt.sample.columns).sort("kode_tps"))
    tc = w.tc.join(w.tps.select("kode_tps", "jauh"), on="kode_tps")
    rest = tc.filter(~pl.col("kode_tps").is_in(pvt.sample["kode_tps"].implode()))
    assert rest.select(pl.corr("jauh", "_t_int", method="spearman")).item() > 0.1
    first = tc.filter(pl.col("kode_tps").is_in(pvt.sample["kode_tps"].implode()))
    assert first["_t_int"].quantile(0.9) < rest["_t_int"].median()


def test_the_redraw_check_is_kept_by_what_decides_it(tmp_path, monkeypatch):
    """Drawing the sample again is checked once per sample, TPS list and code: a second read with
    the same inputs takes the kept answer, a changed TPS list draws again."""
    drop = _drop(tmp_path)
    memo = tmp_path / "cache" / sample.REDRAW_MEMO
    listed = _codes()
    assert sample.read_sample(drop, listed, memo).record["dapat_diulang"] is True
    assert memo.is_file()
    in_sample = sample.read_sample(drop, listed).rows["kode_tps"]
    other = listed.filter(~listed.is_in(in_sample.implode()))
    drawn = []
    real = sample._redraws
    monkeypatch.setattr(sample, "_redraws", lambda *a: drawn.append(1) or real(*a))
    assert sample.read_sample(drop, listed, memo).record["dapat_diulang"] is True
    assert drawn == []  # kept
    # one TPS that was not drawn leaves the list: the draw is made again (and gives another list)
    changed = listed.filter(listed != other[0])
    again = sample.read_sample(drop, changed, memo).record
    assert drawn == [1] and again["dapat_diulang"] is not None
