"""Incremental runs give what a full run gives (issue 15, "Identical results").

The demo drop of a small scope (Kota Prabumulih) arrives in two batches into a growing raw folder,
as on count night: the references, incidents, readiness, the first pull and the earlier tally
files; then the rest. The daily brief runs after each batch (the second run skips nothing it may
not, and carries the packs whose inputs did not change), once more with nothing new (it must
write nothing), and a full run from scratch runs on a copy of the same files in a fresh folder.
The last incremental run's datasets and packs must equal the full run's, with run times masked
as in tests/test_determinism.py.

One difference is the desk's memory, not the files: the follow-up list (``tindak_lanjut__masalah``,
docs in analysis.analyse.followup) keeps every problem ever seen, so the incremental run also holds
the problems its first run saw that the files no longer show (closed: *masalah tidak muncul lagi*),
which a run from scratch never saw. Those rows, and the pack lines that list them, are set aside;
every other row and figure must be equal.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
from test_determinism import DAY, DROP, RUN_TIMES, SCOPE, _files, _masked, _run

from analysis import daily, demo
from analysis.settings import load_settings

pytestmark = pytest.mark.slow

#: Tally files from this report time on, and the pulls after the first, arrive in the second batch.
LATER = "20241128T0600"
WIB = dt.timezone(dt.timedelta(hours=7))

#: Datasets of the follow-up state and their copies: compared on the problems the full run saw.
MEMORY = ("tindak_lanjut__masalah", "paket__tindak_lanjut_masalah")
#: Closed because the files no longer show it: what only a run with a memory can hold.
GONE = "masalah tidak muncul lagi"
#: A pack page no run of this code makes (planted in the first generation).
STALE = "16.74.99.lampiran.html"


def _first_batch(rel: Path) -> bool:
    parts = rel.parts
    if parts[0] == "hitung_internal":
        stamp = rel.stem.rsplit("_", 1)[-1]
        return stamp[:8].isdigit() and stamp < LATER
    if parts[0] == "kpu" and len(parts) > 1 and parts[1][:8].isdigit():
        return parts[1] < LATER
    return True


def _copy(src: Path, dst: Path, keep: object) -> None:
    for p in sorted(src.rglob("*")):
        rel = p.relative_to(src)
        if p.is_file() and keep(rel):
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dst / rel)


def _generation(root: Path) -> str:
    return (root / "processed" / DROP).resolve().parent.name


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    base = tmp_path_factory.mktemp("incremental")
    full_drop = base / "drop" / DROP
    s = load_settings()
    demo.generate(SCOPE, s.demo.seed, s.demo.as_of, full_drop)
    inc, growing = base / "inc", base / "inc" / "drop" / DROP
    _copy(full_drop, growing, _first_batch)
    _run(inc, growing)
    # a page the current code does not make (an older version's, a unit out of scope): the next
    # generation, a hard-link copy of this one, must not keep it
    (inc / "reports" / DAY / "kecamatan" / STALE).write_text("lama", encoding="utf-8")
    _copy(full_drop, growing, lambda rel: not _first_batch(rel))
    _run(inc, growing)
    seen = {"generation": _generation(inc), "index": _index(inc)}
    _run(inc, growing)  # nothing new
    seen |= {"generation_after": _generation(inc), "index_after": _index(inc)}
    full = base / "full"
    _copy(full_drop, full / "drop" / DROP, lambda rel: True)
    _run(full, full / "drop" / DROP)
    return inc, full, seen


def test_a_new_generation_keeps_no_page_the_run_did_not_make(runs: tuple[Path, Path, dict]) -> None:
    inc, _, seen = runs
    day = inc / "reports" / DAY
    assert not (day / "kecamatan" / STALE).exists()
    listed = {p["html"] for p in seen["index"]["packs"]}
    pages = (p for p in (day / "kecamatan").glob("*.html") if re.fullmatch(r"[0-9.]+html", p.name))
    assert {f"kecamatan/{p.name}" for p in pages} <= listed


def _index(root: Path) -> dict:
    return json.loads((root / "reports" / DAY / "index.json").read_text(encoding="utf-8"))


def test_incremental_and_full_runs_give_the_same_datasets(runs: tuple[Path, Path, dict]) -> None:
    inc, full, _ = runs
    a, b = (r / "processed" / DROP for r in (inc, full))
    fa, fb = _files(a, "*.parquet"), _files(b, "*.parquet")
    assert fa.keys() == fb.keys() and len(fa) > 40
    differ = []
    for rel in fa:
        if fa[rel].read_bytes() == fb[rel].read_bytes():
            continue
        dataset = next(x.removesuffix(".parquet") for x in Path(rel).parts if "__" in x)
        masked = RUN_TIMES.get(dataset, set())
        da, db = pl.read_parquet(fa[rel]), pl.read_parquet(fb[rel])
        if dataset in MEMORY:
            da = _without_memory(da, db)
        if dataset == "analitik__langkah":  # the follow-up step counts the remembered rows too
            masked = masked | {"n_baris"}
        if not da.drop(masked, strict=False).equals(db.drop(masked, strict=False)):
            differ.append(rel)
    assert differ == []


def _without_memory(inc: pl.DataFrame, full: pl.DataFrame) -> pl.DataFrame:
    """The incremental run's follow-up rows the full run also has; the others must be problems
    closed because the files no longer show them."""
    extra = inc.join(full, on="id_masalah", how="anti")
    assert extra["alasan_tutup"].to_list() == [GONE] * extra.height
    return inc.join(extra, on="id_masalah", how="anti")


def test_incremental_and_full_runs_give_the_same_packs(runs: tuple[Path, Path, dict]) -> None:
    inc, full, _ = runs
    a, b = (r / "reports" / DAY for r in (inc, full))
    fa, fb = _files(a, "*.html"), _files(b, "*.html")
    # index, kab/kota and 6 kecamatan (pack, annex, wall edition), 3 flash reports
    assert fa.keys() == fb.keys() and len(fa) == 1 + 7 * 3 + 3
    differ = [
        rel
        for rel in fa
        if rel != "index.html"  # pack sizes differ by the remembered follow-up rows
        and _page(fa[rel]) != _page(fb[rel])
    ]
    assert differ == []


def _page(path: Path) -> str:
    """A page masked as in test_determinism, without its follow-up section (the memory)."""
    html = _masked(path.read_text(encoding="utf-8"))
    return re.sub(r'<section class="bagian" id="rekomendasi">.*?</section>', "", html, flags=re.S)


def test_the_index_says_which_packs_changed(runs: tuple[Path, Path, dict]) -> None:
    _, _, seen = runs
    packs = seen["index"]["packs"]
    assert {p["berubah"] for p in packs} <= {True, False}
    assert all(p["waktu_data"] for p in packs)
    assert next(p for p in packs if p["kode_wilayah"] == SCOPE)["berubah"] is True


def test_a_run_with_nothing_new_writes_nothing(runs: tuple[Path, Path, dict]) -> None:
    _, _, seen = runs
    assert seen["generation_after"] == seen["generation"]
    assert seen["index_after"] == seen["index"]


def test_each_pack_is_carried_unless_its_own_inputs_changed(runs: tuple[Path, Path, dict]) -> None:
    from analysis.packs import carry
    from analysis.packs.plan import plan_packs

    inc, _, _ = runs
    processed, day = (inc / "processed" / DROP).resolve(), (inc / "reports" / DAY).resolve()
    jobs = plan_packs(
        DAY, SCOPE, 1, processed, day.parent, extra_parameters={"lingkup": SCOPE, "kedalaman": 1}
    )
    record = carry.read_record(day, day.parent.name)["paket"]
    from analysis.packs.share import plan_share

    plan = plan_share(load_settings().share, {j.tingkat for j in jobs}, True, say=lambda _: None)
    shared = carry.run_parts(processed, plan)
    same = carry.decide(jobs, record, shared)
    assert same.render == [] and len(same.carried) == 7
    # the national set computes them on two workers: the same fingerprints
    assert carry.fingerprints(jobs, shared, workers=2, parallel_from=1) == same.fingerprints
    kec = "16.74.03"
    touched = {**record, kec: {**record[kec], "sidik": "lain"}}
    redo = carry.decide(jobs, touched, shared)
    assert [j.kode_wilayah for j in redo.render] == [SCOPE, kec]


def test_a_replayed_earlier_run_whose_inputs_are_the_same_is_not_made_again(
    runs: tuple[Path, Path, dict],
) -> None:
    """The demo replays the night's earlier runs; those before the second batch saw the same data
    both times, so the second run takes them as they were (and they equal the full run's, as
    every kept dataset does: test_incremental_and_full_runs_give_the_same_datasets)."""
    inc, _, _ = runs
    second = sorted((inc / "reports" / "log").glob("*.log"))[1].read_text(encoding="utf-8")
    taken = re.findall(r"rekonsiliasi per (\S+): masukannya sama, diambil apa adanya", second)
    s = load_settings()
    _, previous = daily.demo_times(s.demo.as_of.date(), SCOPE, s)
    replayed = sorted({*s.demo.night_runs, previous})
    # every replayed run before the second batch (those after it saw new data: made again)
    before = [t.isoformat() for t in replayed if t < dt.datetime(2024, 11, 28, 6, tzinfo=WIB)]
    assert taken == before and 0 < len(taken) < len(replayed)
