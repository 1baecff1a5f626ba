"""The big kinds decided per kab/kota (analysis.ingest.partitions): on a drop of several kab/kota,
a run after one kab/kota's new tally file decides that kab/kota's rows again and takes the others'
as they were, and gives exactly what a run deciding everything gives; a damaged store or a full
run decides every part again, with the same outcome.

The drop is the demo of Kalimantan Utara (5 kab/kota); ingest and Great Expectations are real.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis import catalog, demo
from analysis.ingest import CACHE_DIR, run_ingest
from analysis.ingest.memo import MEMO_DIR
from analysis.ingest.partitions import PART_DIR, PartReuse
from analysis.ingest.specs import DATASETS
from analysis.ingest.verdicts import VERDICT_DIR
from analysis.schemas import ACCOUNTING, CHECK_SUMMARY, OFFICIAL_TPS, QUARANTINE, TALLY
from analysis.settings import load_settings

pytestmark = pytest.mark.slow

COMPARED = (*DATASETS, QUARANTINE.name, CHECK_SUMMARY.name, ACCOUNTING.name)
#: The tally file that arrives late (kab/kota 65.02), and the pull that arrives with it.
LATE = "hitung_internal/hitung_6502_20241128T1400.csv"
LATE_PULL = "kpu/20241128T1330"


@pytest.fixture(scope="module")
def drops(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("bagian")
    full = base / "penuh"
    s = load_settings()
    demo.generate("65", s.demo.seed, s.demo.as_of, full)
    assert (full / LATE).is_file() and (full / LATE_PULL).is_dir()
    growing = base / "tumbuh"
    shutil.copytree(full, growing)
    (growing / LATE).unlink()
    shutil.rmtree(growing / LATE_PULL)
    return full, growing


def _same(out: Path, want: Path) -> None:
    for name in COMPARED:
        got, exp = catalog.read(name, root=out), catalog.read(name, root=want)
        assert got.equals(exp), name


def _parts(acc, dataset: str) -> PartReuse:
    got = [p for p in acc.parts if p.dataset == dataset]
    assert len(got) == 1, acc.parts
    return got[0]


def test_one_kabkota_decided_again_the_others_kept_same_as_deciding_all(drops, tmp_path):
    full, growing = drops
    s = load_settings()
    out = tmp_path / "out"
    first = run_ingest(growing, out, s)
    verdicts = out / CACHE_DIR / VERDICT_DIR / f"{TALLY.name}.json"
    n_verdicts = json.loads(verdicts.read_text())["rows"]
    n_parts = _parts(first, TALLY.name).parts_decided
    assert _parts(first, TALLY.name).parts_kept == 0 and n_parts >= 5
    shutil.copy2(full / LATE, growing / LATE)
    again = run_ingest(growing, out, s)
    tally = _parts(again, TALLY.name)
    assert (tally.parts_decided, tally.parts_kept) == (1, n_parts - 1)
    assert f"keputusan {TALLY.name}: 1 kab/kota diputuskan ulang" in "\n".join(again.redone())
    assert "official" in again.taken  # its files did not change
    # the verdicts of the kept parts' rows stay in the verdict cache beside the new file's
    assert json.loads(verdicts.read_text())["rows"] > n_verdicts
    assert again.balanced

    # the later pull: its records supersede the earlier pulls' in the kab/kota it covers
    shutil.copytree(full / LATE_PULL, growing / LATE_PULL)
    third = run_ingest(growing, out, s)
    assert "tally" in third.taken
    assert _parts(third, OFFICIAL_TPS.name).parts_decided >= 1
    assert third.balanced
    want = tmp_path / "penuh"
    everything = run_ingest(full, want, s, take_unchanged=False)
    assert all(p.parts_kept == 0 for p in everything.parts)
    _same(out, want)

    # a damaged store: its parts are decided again, the outcome is the same
    for part in (out / CACHE_DIR / MEMO_DIR / PART_DIR).glob("*.baris.parquet"):
        part.write_bytes(part.read_bytes()[:100])
    (out / CACHE_DIR / MEMO_DIR / "tally.json").unlink()  # the kind is not taken whole
    redone = run_ingest(growing, out, s)
    assert _parts(redone, TALLY.name).parts_kept == 0
    _same(out, want)

    # a manifest that is no manifest: every part decided again, the run goes on
    (out / CACHE_DIR / MEMO_DIR / PART_DIR / "tally.json").write_text('{"format": 1, "bagian": {}}')
    (out / CACHE_DIR / MEMO_DIR / "tally.json").unlink()
    redone = run_ingest(growing, out, s)
    assert _parts(redone, TALLY.name).parts_kept == 0 and redone.balanced
    _same(out, want)
