"""The verdict cache (analysis.ingest.verdicts): a re-run validates only the rows of new or
changed files, serves the others from the cache, and gives what a full run gives; a cache made
under another fingerprint (settings, code) or damaged is not used.

Validation is the real analysis.validate (Great Expectations)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from test_ingest import HEADER, _pilkada, _valid, write_references

from analysis import catalog
from analysis.ingest import CACHE_DIR, run_ingest
from analysis.ingest.memo import MEMO_DIR
from analysis.ingest.specs import PROCESS_ORDER
from analysis.ingest.verdicts import VERDICT_DIR, Reuse
from analysis.schemas import (
    ACCOUNTING,
    CHECK_SUMMARY,
    OFFICIAL_TPS,
    QUARANTINE,
    TALLY,
    TALLY_VOTES,
)
from analysis.settings import Settings, default_settings, load_settings

COMPARED = (TALLY, TALLY_VOTES, OFFICIAL_TPS, QUARANTINE, CHECK_SUMMARY, ACCOUNTING)


def _csv(path: Path, *rows: str) -> None:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    return make_drop(tmp_path)


def make_drop(tmp_path: Path) -> Path:
    """Two tally files (one row breaking Σ paslon = suara_sah) and one KPU pull."""
    d = tmp_path / "drop"
    write_references(d)
    hi = d / "hitung_internal"
    hi.mkdir()
    _csv(
        hi / "a.csv",
        _valid("1671011001001", "Walikota", "2024-11-27 16:05"),
        _valid("1671011001002", "Walikota", "2024-11-27 16:10"),
        "1671011001003;Walikota;2024-11-27 16:20;Budi;250;200;2;1;203;120;80;;198;5;203",
    )
    _csv(hi / "b.csv", _valid("1671011001004", "Walikota", "2024-11-27 16:30"))
    pull = d / "kpu" / "20241127T2000" / "tps" / "pkwkk"
    pull.mkdir(parents=True)
    for tps in ("1671011001001", "1671011001002"):
        (pull / f"{tps}.json").write_text(
            json.dumps(_pilkada({"1671001": 100, "1671002": 98}, 198))
        )
    return d


def _reuse(acc, dataset: str) -> Reuse:
    got = [r for r in acc.reuse if r.dataset == dataset]
    assert len(got) == 1, acc.reuse
    return got[0]


def _same_as_full(drop: Path, out: Path, tmp_path: Path, s: Settings) -> None:
    """Every compared dataset of ``out`` equals a full run's on the same files, from scratch."""
    fresh = tmp_path / "full"
    shutil.rmtree(fresh, ignore_errors=True)
    full = run_ingest(drop, fresh, s)
    assert all(r.files_cached == 0 for r in full.reuse)
    for ds in COMPARED:
        got, want = catalog.read(ds.name, root=out), catalog.read(ds.name, root=fresh)
        assert got.equals(want), ds.name


def test_a_changed_file_is_validated_again_an_unchanged_one_served_from_the_cache(drop, tmp_path):
    s = default_settings()
    out = tmp_path / "out"
    first = run_ingest(drop, out, s)
    assert _reuse(first, TALLY.name) == Reuse(TALLY.name, 2, 4, 0, 0)
    assert _reuse(first, OFFICIAL_TPS.name) == Reuse(OFFICIAL_TPS.name, 2, 2, 0, 0)
    rejected = catalog.read(QUARANTINE.name, root=out)
    assert rejected.filter(pl.col("dataset") == TALLY.name).height == 1  # a.csv row 4

    # nothing changed: every kind is taken as it was (analysis.ingest.memo), none validated;
    # without those records, every row is served from the verdict cache
    again = run_ingest(drop, out, s)
    assert again.taken == list(PROCESS_ORDER) and again.reuse == []
    shutil.rmtree(out / CACHE_DIR / MEMO_DIR)
    again = run_ingest(drop, out, s)
    assert _reuse(again, TALLY.name) == Reuse(TALLY.name, 0, 0, 2, 4)
    assert _reuse(again, OFFICIAL_TPS.name) == Reuse(OFFICIAL_TPS.name, 0, 0, 2, 2)

    # b.csv resent with a broken sum, c.csv new: those two are validated, a.csv is not
    hi = drop / "hitung_internal"
    _csv(
        hi / "b.csv",
        "1671011001004;Walikota;2024-11-27 16:30;Budi;250;200;2;1;203;120;70;;198;5;203",
    )
    _csv(hi / "c.csv", _valid("1671011001005", "Walikota", "2024-11-27 17:00"))
    third = run_ingest(drop, out, s)
    assert _reuse(third, TALLY.name) == Reuse(TALLY.name, 2, 2, 1, 3)
    assert "tally" not in third.taken and "official" in third.taken  # the pull is unchanged
    assert third.redone()[-1] == (
        f"validasi {TALLY.name}: 2 berkas baru/berubah divalidasi (2 baris), 1 dari cache (3 baris)"
    )
    assert third.balanced
    quarantined = catalog.read(QUARANTINE.name, root=out).filter(pl.col("dataset") == TALLY.name)
    assert sorted(quarantined["sumber_file"].to_list()) == [
        "hitung_internal/a.csv",
        "hitung_internal/b.csv",
    ]
    _same_as_full(drop, out, tmp_path, s)


def test_a_cache_of_other_settings_code_or_damaged_is_not_used(drop, tmp_path):
    out = tmp_path / "out"
    run_ingest(drop, out, default_settings())
    # a threshold that changes verdicts: every count above 150 is out of range
    # (its suites in a GX context of their own: the committed expectations/ are the repository's)
    strict = load_settings(
        election={"max_count": 150}, paths={"expectations": str(tmp_path / "expectations")}
    )
    acc = run_ingest(drop, out, strict)
    assert _reuse(acc, TALLY.name) == Reuse(TALLY.name, 2, 4, 0, 0)
    rejected = catalog.read(QUARANTINE.name, root=out).filter(pl.col("dataset") == TALLY.name)
    assert rejected.height == 4  # the old verdicts (1 rejected) were not reused
    _same_as_full(drop, out, tmp_path, strict)

    # another code fingerprint (as a new version of the validator writes): not used (the kinds'
    # records go first, so that the kinds are decided again and the verdict cache consulted)
    shutil.rmtree(out / CACHE_DIR / MEMO_DIR)
    manifest = out / CACHE_DIR / VERDICT_DIR / f"{TALLY.name}.json"
    m = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**m, "fingerprint": "0" * 64}))
    acc = run_ingest(drop, out, strict)
    assert _reuse(acc, TALLY.name).files_cached == 0
    assert _reuse(acc, OFFICIAL_TPS.name).files_cached == 2

    # a damaged part: not used, the rows are validated again
    m = json.loads(manifest.read_text())
    part = manifest.parent / m["file"]
    part.write_bytes(part.read_bytes()[: m["size"] // 2])
    shutil.rmtree(out / CACHE_DIR / MEMO_DIR)
    acc = run_ingest(drop, out, strict)
    assert _reuse(acc, TALLY.name) == Reuse(TALLY.name, 2, 4, 0, 0)
    _same_as_full(drop, out, tmp_path, strict)

    # an entry whose keys repeat (not one the cache wrote, though its size and count check out):
    # not used, every row validated again, and the run goes on
    m = json.loads(manifest.read_text())
    part = manifest.parent / m["file"]
    held = pl.read_parquet(part)
    pl.concat([held, held]).write_parquet(part)
    manifest.write_text(json.dumps({**m, "size": part.stat().st_size, "rows": 2 * held.height}))
    shutil.rmtree(out / CACHE_DIR / MEMO_DIR)
    acc = run_ingest(drop, out, strict)
    assert _reuse(acc, TALLY.name) == Reuse(TALLY.name, 2, 4, 0, 0)
    assert acc.balanced
    _same_as_full(drop, out, tmp_path, strict)


def test_a_new_tps_list_has_every_row_validated_again(drop, tmp_path):
    """A verdict holds for the references its rows were prepared against: rows of unchanged files
    read differently against a new TPS list (a TPS dropped from it)."""
    s = default_settings()
    out = tmp_path / "out"
    run_ingest(drop, out, s)
    write_references(drop, n_tps=3)  # TPS 004 (b.csv) and the others after it are gone
    acc = run_ingest(drop, out, s)
    assert _reuse(acc, TALLY.name) == Reuse(TALLY.name, 2, 4, 0, 0)
    assert _reuse(acc, OFFICIAL_TPS.name) == Reuse(OFFICIAL_TPS.name, 2, 2, 0, 0)
    rejected = catalog.read(QUARANTINE.name, root=out).filter(pl.col("dataset") == TALLY.name)
    assert "hitung_internal/b.csv" in rejected["sumber_file"].to_list()
    _same_as_full(drop, out, tmp_path, s)


def test_files_whose_stat_is_unchanged_are_not_hashed_again(drop, tmp_path):
    from analysis.incremental import drop_files

    stats: dict[str, list] = {}
    drop_files(drop, stats)  # as the daily run does before ingest
    out = tmp_path / "out"
    first = run_ingest(drop, out, default_settings(), known=stats)
    n = len(stats)
    assert (first.hashes_reused, first.hashes_read) == (n, 0)
    assert first.redone()[0].startswith(f"sidik berkas: 0 berkas dibaca untuk sha256, {n} dari")
    # b.csv rewritten after the stat cache was made: its stat differs, so it is read and hashed
    hi = drop / "hitung_internal"
    _csv(
        hi / "b.csv",
        _valid("1671011001004", "Walikota", "2024-11-27 16:30"),
        _valid("1671011001005", "Walikota", "2024-11-27 16:35"),
    )
    again = run_ingest(drop, out, default_settings(), known=stats)
    assert (again.hashes_reused, again.hashes_read) == (n - 1, 1)
    ledger = catalog.read(ACCOUNTING.name, root=out)
    b = ledger.filter(pl.col("path") == "hitung_internal/b.csv")
    assert b["baris_diterima"].to_list() == [2]
    _same_as_full(drop, out, tmp_path, default_settings())
