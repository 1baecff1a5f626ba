"""KPU against itself (analysis.reconcile.agregat): the latest pull's aggregates beside the sum of
KPU's own per-TPS records and the desk's TPS list."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl

from analysis import incremental
from analysis.reconcile import agregat
from analysis.schemas import PASLON
from analysis.settings import default_settings

WIB = dt.timezone(dt.timedelta(hours=7))
KPU = default_settings().kpu_pull.sites["pilkada"]
C = "pkwkk-1674"


def _pull(raw: Path, name: str, files: dict[str, object]) -> Path:
    for rel, value in files.items():
        f = raw / "kpu" / name / "agregat" / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(value if isinstance(value, str) else json.dumps(value), encoding="utf-8")
    return raw / "kpu" / name


def _agg(a: int, b: int, total: int, masuk: int) -> dict:
    return {
        "tungsura": {"chart": {"1000001": a, "1000002": b}},
        "table": {},
        "progres": {"total": total, "progres": masuk, "persen": 0},
        "ts": "2024-11-28 13:00:00",
    }


def _inputs() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    ref = PASLON.conform(
        pl.DataFrame(
            {"kode_kontestasi": [C, C], "nomor_urut": [1, 2], "paslon_id": ["1000001", "1000002"]}
        )
    )
    units = ["16.74", "16.74.01", "16.74.02"]
    wil = pl.DataFrame(
        {
            "kode_wilayah": [u for u in units for _ in (1, 2)],
            "kode_kontestasi": [C] * 6,
            "nomor_urut": [1, 2] * 3,
            "suara_kpu": [300, 200, 100, 80, 200, 120],
        }
    )
    stat = pl.DataFrame(
        {
            "kode_wilayah": units,
            "kode_kontestasi": [C] * 3,
            "tps_kpu": [9, 4, 5],
            "tps_diharapkan": [10, 5, 5],
        }
    )
    return ref, wil, stat


def test_the_latest_pull_by_the_time_and_its_aggregates_against_the_records(tmp_path: Path):
    _pull(tmp_path, "20241127T2000", {"pkwkk/167401.json": _agg(1, 1, 5, 1)})
    _pull(
        tmp_path,
        "20241128T1330",
        {
            "pkwkk/1674.json": _agg(300, 200, 10, 9),
            "pkwkk/167401.json": _agg(240, 80, 5, 4),  # 140 more than its own TPS records
            "pkwkk/167402.json": _agg(200, 120, 6, 5),  # KPU says 6 TPS, the desk's list 5
            "pkwkk/1674021001.json": _agg(9, 9, 1, 1),  # a desa: not compared
            "pkwkk/167403.json": "<html>galat</html>",  # not an aggregate: listed, not read
        },
    )
    (tmp_path / "kpu" / ".tarik-20241128T1400").mkdir()  # a staged pull is not a pull
    as_of = dt.datetime(2024, 11, 28, 14, 0, tzinfo=WIB)
    assert agregat.latest_pull(tmp_path, as_of).name == "20241128T1330"
    early = dt.datetime(2024, 11, 28, 8, 0, tzinfo=WIB)
    assert agregat.latest_pull(tmp_path, early).name == "20241127T2000"
    agg = agregat.read_aggregates(tmp_path, as_of, KPU)
    assert agg.waktu_tarik == dt.datetime(2024, 11, 28, 6, 30, tzinfo=dt.UTC)
    assert len(agg.tidak_terbaca) == 1 and "167403.json" in agg.tidak_terbaca[0]
    out = agregat.against_itself(agg, *_inputs())
    assert sorted(out["kode_wilayah"].unique()) == ["16.74", "16.74.01", "16.74.02"]
    odd = out.filter(pl.col("selisih") != 0)
    assert odd.select(
        "kode_wilayah", "nomor_urut", "suara_agregat", "suara_tps", "selisih"
    ).rows() == [("16.74.01", 1, 240, 100, 140)]
    tps = out.filter(pl.col("selisih_tps") != 0).select("kode_wilayah", "tps_total_kpu", "tps_desk")
    assert tps.unique().rows() == [("16.74.02", 6, 5)]
    assert out.filter(pl.col("kode_wilayah") == "16.74.01")["tps_tercatat"].to_list() == [4, 4]


def test_no_aggregates_no_rows(tmp_path: Path):
    (tmp_path / "kpu" / "20241128T1330" / "tps").mkdir(parents=True)
    as_of = dt.datetime(2024, 11, 28, 14, 0, tzinfo=WIB)
    assert agregat.read_aggregates(tmp_path, as_of, KPU) is None
    assert agregat.against_itself(None, *_inputs()).is_empty()


def test_a_pull_of_one_kabkota_renews_only_its_regions(tmp_path: Path):
    """Election night: a later pull of one scope renews that scope's aggregates; every other
    region keeps the one from the latest pull holding it, with that pull's time."""
    _pull(
        tmp_path,
        "20241128T1330",
        {"pkwkk/167401.json": _agg(100, 80, 5, 4), "pkwkk/167402.json": _agg(1, 1, 5, 1)},
    )
    later = _pull(
        tmp_path,
        "20241128T1500",
        {
            "pkwkk/167402.json": _agg(200, 120, 5, 5),
            "pkwkk/167401.json": "<html>galat</html>",  # broken: the earlier one stands
        },
    )
    (later / "ringkasan.json").write_text(json.dumps({"cakupan": "16.74"}), encoding="utf-8")
    agg = agregat.read_aggregates(tmp_path, dt.datetime(2024, 11, 28, 16, 0, tzinfo=WIB), KPU)
    assert agg.waktu_tarik == dt.datetime(2024, 11, 28, 8, 0, tzinfo=dt.UTC)
    assert len(agg.tidak_terbaca) == 1 and "20241128T1500" in agg.tidak_terbaca[0]
    out = agregat.against_itself(agg, *_inputs())
    got = out.select("kode_wilayah", "nomor_urut", "suara_agregat", "waktu_tarik").sort(
        "kode_wilayah", "nomor_urut"
    )
    t1, t2 = (dt.datetime(2024, 11, 28, h, 30 * (h == 6), tzinfo=dt.UTC) for h in (6, 8))
    assert got.rows() == [
        ("16.74.01", 1, 100, t1),
        ("16.74.01", 2, 80, t1),
        ("16.74.02", 1, 200, t2),
        ("16.74.02", 2, 120, t2),
    ]
    assert out["selisih"].to_list() == [0, 0, 0, 0]


def _same(got: agregat.KpuAggregates, fresh: agregat.KpuAggregates) -> None:
    assert got.rows.equals(fresh.rows) and got.waktu_tarik == fresh.waktu_tarik
    assert got.tidak_terbaca == fresh.tidak_terbaca


def test_each_pull_is_read_once_and_kept_as_a_fresh_read_gives_it(tmp_path: Path):
    """Each pull's aggregates are kept by its files' content (with code and settings): after a
    new pull only that pull's files are read, the earlier one's come from what was kept, and the
    result is a fresh read's — the later pull's regions, its broken file leaving the region to
    the earlier pull."""
    raw, kept = tmp_path / "raw", agregat.Kept(tmp_path / "processed", "kode+pengaturan")
    early = _pull(
        raw,
        "20241128T1330",
        {
            "pkwkk/167401.json": _agg(100, 80, 5, 4),
            "pkwkk/167402.json": _agg(1, 1, 5, 1),
            "pkwkk/x.json": "?",
        },
    )
    as_of = dt.datetime(2024, 11, 28, 16, 0, tzinfo=WIB)
    _same(agregat.read_aggregates(raw, as_of, KPU, kept), agregat.read_aggregates(raw, as_of, KPU))
    folder = kept.processed / agregat.KEPT_DIR
    (entry,) = [(p, p.stat().st_mtime_ns) for p in folder.glob("*.parquet")]
    later = _pull(
        raw,
        "20241128T1500",
        {"pkwkk/167402.json": _agg(200, 120, 5, 5), "pkwkk/167401.json": "<html>galat</html>"},
    )
    (later / "ringkasan.json").write_text(json.dumps({"cakupan": "16.74"}), encoding="utf-8")
    got = agregat.read_aggregates(raw, as_of, KPU, kept)
    rows = got.rows.select("kode", "paslon_id", "suara_agregat", "waktu_tarik").sort("kode")
    t1, t2 = (dt.datetime(2024, 11, 28, h, 30 * (h == 6), tzinfo=dt.UTC) for h in (6, 8))
    assert rows.rows() == [
        ("167401", "1000001", 100, t1),
        ("167401", "1000002", 80, t1),
        ("167402", "1000001", 200, t2),
        ("167402", "1000002", 120, t2),
    ]
    assert [why.split(":")[0] for why in got.tidak_terbaca] == [
        "kpu/20241128T1500/agregat/pkwkk/167401.json",
        "kpu/20241128T1330/agregat/pkwkk/x.json",
    ]
    _same(got, agregat.read_aggregates(raw, as_of, KPU))
    assert len(list(folder.glob("*.parquet"))) == 2  # one per pull
    assert entry[0].stat().st_mtime_ns == entry[1]  # the earlier pull's, as it was kept
    (early / "agregat" / "pkwkk" / "167401.json").write_text("?", encoding="utf-8")
    changed = agregat.read_aggregates(raw, as_of, KPU, kept)  # its content changed: read anew
    _same(changed, agregat.read_aggregates(raw, as_of, KPU))
    assert "167401" not in changed.rows["kode"].to_list()
    agregat.read_aggregates(raw, as_of, KPU, agregat.Kept(kept.processed, "kode lain"))
    assert len(list(folder.glob("*.parquet"))) == 5  # other code or settings: each read anew


def test_the_pulls_key_follows_the_pulls_content(tmp_path: Path):
    raw = tmp_path / "raw"
    _pull(raw, "20241128T1330", {"pkwkk/167401.json": _agg(100, 80, 5, 4), "pkwkk/x.json": "?"})
    as_of = dt.datetime(2024, 11, 28, 16, 0, tzinfo=WIB)
    key = agregat.pulls_key(raw, as_of)
    (raw / "kpu" / "20241128T1330" / "agregat" / "pkwkk" / "167401.json").unlink()
    assert agregat.pulls_key(raw, as_of) != key
    _pull(raw, "20241128T1500", {"pkwkk/167401.json": _agg(1, 1, 5, 5)})
    assert agregat.pulls_key(raw, as_of) not in {
        key,
        agregat.pulls_key(raw, as_of - dt.timedelta(hours=2)),  # before the new pull
    }
    shas = {
        p.relative_to(raw).as_posix(): incremental.file_sha256(p)
        for p in raw.rglob("*") if p.is_file()
    }  # fmt: skip
    assert agregat.pulls_key(raw, as_of, shas) == agregat.pulls_key(raw, as_of)
