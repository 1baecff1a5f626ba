"""Deterministic (issue 11, item 9): the same files give the same datasets and packs.

The issue's reproducer: two runs on the same files gave packs that differed in the order of tied
rows and in float noise. Here the daily brief runs twice, each in a fresh folder, on the same demo
drop of a small scope (Kota Prabumulih and its kecamatan); every dataset must be byte-identical,
and a dataset holding run times (when it was made, how long it took) must be equal once those
columns are masked; every pack page and the index must be identical once the run's own date and
time are masked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from analysis import daily, demo
from analysis.fmt import tanggal
from analysis.settings import load_settings

pytestmark = pytest.mark.slow

SCOPE, DROP, DAY = "16.74", "demo-1674", "2024-11-28"

#: The columns that say when a run happened or how long it took: the only ones allowed to differ.
RUN_TIMES: dict[str, set[str]] = {
    "mutu__berkas": {"waktu_ingest"},
    "paket__sumber_berkas": {"waktu_ingest"},
    "rekon__proses": {"waktu_proses", "durasi_detik"},
    "analitik__langkah": {"waktu_proses", "detik"},
    "paket__proses": {"waktu_persiapan"},
}


def _run(root: Path, raw: Path) -> Path:
    settings = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"}
    )
    args = argparse.Namespace(date=None, scope=SCOPE, depth=1, raw=raw, workers=2, wait=False)
    assert daily.run(args, settings) == 0
    return root


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("determinism")
    raw = base / "drop" / DROP
    s = load_settings()
    demo.generate(SCOPE, s.demo.seed, s.demo.as_of, raw)
    first = _run(base / "a", raw)
    second = base / "b"
    second.mkdir()
    shutil.copytree(raw, second / DROP)  # the same bytes, another place: nothing is shared
    return first, _run(second, second / DROP)


def _files(folder: Path, pattern: str) -> dict[str, Path]:
    root = folder.resolve()
    return {
        str(p.relative_to(root)): p
        for p in sorted(root.rglob(pattern))
        if "_cache" not in p.relative_to(root).parts
    }


def test_the_same_files_give_byte_identical_datasets(two_runs: tuple[Path, Path]) -> None:
    a, b = (r / "processed" / DROP for r in two_runs)
    fa, fb = _files(a, "*.parquet"), _files(b, "*.parquet")
    assert fa.keys() == fb.keys() and len(fa) > 40
    differ = []
    for rel in fa:
        if fa[rel].read_bytes() == fb[rel].read_bytes():
            continue
        dataset = next(x.removesuffix(".parquet") for x in Path(rel).parts if "__" in x)
        masked = RUN_TIMES.get(dataset, set())
        da, db = pl.read_parquet(fa[rel]), pl.read_parquet(fb[rel])
        if not masked or not da.drop(masked, strict=False).equals(db.drop(masked, strict=False)):
            differ.append(rel)
    assert differ == []


def _masked(html: str) -> str:
    """A page with the run's own date and time (and durations) masked."""
    today = dt.datetime.now(dt.UTC)
    for d in {(today + dt.timedelta(days=k)).date() for k in (-1, 0, 1)}:
        html = re.sub(re.escape(tanggal(d)) + r" \d\d\.\d\d [A-Z]+", "«waktu run»", html)
        html = html.replace(tanggal(d), "«tanggal run»")
    # a file's size counts the run's own time written inside it (a zip compresses it differently)
    return re.sub(r"\d[\d.]*(,\d)? (KB|MB|B)\b", "«ukuran»", html)


def test_the_same_files_give_identical_packs(two_runs: tuple[Path, Path]) -> None:
    a, b = (r / "reports" / DAY for r in two_runs)
    fa, fb = _files(a, "*.html"), _files(b, "*.html")
    # the index, the kab/kota and 6 kecamatan packs each with its technical annex and wall
    # edition, and 3 flash reports (the incidents reported since the evening before, issue 15)
    assert fa.keys() == fb.keys() and len(fa) == 1 + 7 * 3 + 3
    differ = [
        rel
        for rel in fa
        if _masked(fa[rel].read_text(encoding="utf-8"))
        != _masked(fb[rel].read_text(encoding="utf-8"))
    ]
    assert differ == []
