"""Kinds taken as they were (analysis.ingest.memo): a kind whose files, references, code and
settings are those of the last run is not read or validated again, and the run gives exactly what
a run that decides every kind gives — datasets, accounting, check summary, quarantine, messages.

Everything is real: the drop is read from disk, Great Expectations validates."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from test_ingest import _valid
from test_verdicts import COMPARED, _csv, make_drop

from analysis import catalog
from analysis.ingest import run_ingest
from analysis.ingest.specs import PROCESS_ORDER
from analysis.schemas import INCIDENTS, TALLY
from analysis.settings import default_settings

_INCIDENT_HEADER = (
    "id_insiden,waktu_kejadian,waktu_laporan,kode_wilayah,kode_tps,lokasi,tahapan,kategori,"
    "tingkat_keparahan,status_verifikasi,status_penanganan,instansi,waktu_penanganan,deskripsi\n"
)


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    """Two tally files (one row breaking Σ paslon = suara_sah) and one KPU pull."""
    return make_drop(tmp_path)


def _incidents(drop: Path, name: str, *ids: str) -> None:
    folder = drop / "insiden"
    folder.mkdir(exist_ok=True)
    rows = "".join(
        f"{i},2024-11-27 09:00,2024-11-27 10:00,16.71.01,,TPS 3,pemungutan suara,Intimidasi,"
        "Tinggi,belum diverifikasi,baru,Polres,,Saksi diusir\n"
        for i in ids
    )
    (folder / name).write_text(_INCIDENT_HEADER + rows, encoding="utf-8")


def _outputs(out: Path) -> dict[str, pl.DataFrame]:
    return {ds.name: catalog.read(ds.name, root=out) for ds in (*COMPARED, INCIDENTS)}


def _same_as_deciding_everything(drop: Path, out: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "semua"
    shutil.rmtree(fresh, ignore_errors=True)
    full = run_ingest(drop, fresh, default_settings())
    assert full.taken == []
    want = _outputs(fresh)
    for name, got in _outputs(out).items():
        assert got.equals(want[name]), name


def test_an_unchanged_drop_takes_every_kind_with_the_same_outcome(drop, tmp_path):
    (drop / "hitung_internal" / "rusak.csv").write_text("a;b\n1;2\n")  # said in every run
    out = tmp_path / "out"
    first = run_ingest(drop, out, default_settings())
    assert first.taken == []
    before = _outputs(out)

    again = run_ingest(drop, out, default_settings())
    assert again.taken == list(PROCESS_ORDER)
    assert again.messages == first.messages and any("rusak.csv" in m for m in again.messages)
    assert again.files.equals(first.files) and again.balanced
    assert again.check_summary.equals(first.check_summary)
    for name, df in _outputs(out).items():
        assert df.equals(before[name]), name
    said = "\n".join(again.redone())
    assert "diambil apa adanya" in said and "tally" in said
    # daily-brief --full decides every kind again, to the same outcome
    full = run_ingest(drop, out, default_settings(), take_unchanged=False)
    assert full.taken == [] and full.files.equals(first.files)
    for name, df in _outputs(out).items():
        assert df.equals(before[name]), name


def test_a_new_incident_file_leaves_the_count_as_it_was(drop, tmp_path):
    _incidents(drop, "pagi.csv", "INS-1")
    out = tmp_path / "out"
    run_ingest(drop, out, default_settings())
    _incidents(drop, "siang.csv", "INS-2", "INS-3")
    acc = run_ingest(drop, out, default_settings())
    assert "incidents" not in acc.taken
    assert {"tally", "official", "ref_tps", "ref_paslon"} <= set(acc.taken)
    assert sorted(catalog.read(INCIDENTS.name, root=out)["id_insiden"].to_list()) == [
        "INS-1",
        "INS-2",
        "INS-3",
    ]
    _same_as_deciding_everything(drop, out, tmp_path)


def test_a_changed_reference_decides_every_kind_that_uses_it_again(drop, tmp_path):
    out = tmp_path / "out"
    run_ingest(drop, out, default_settings())
    tps = drop / "referensi" / "tps.csv"
    # TPS 004 leaves the list: b.csv's report cannot be placed any more
    lines = tps.read_text().splitlines(keepends=True)
    tps.write_text("".join(line for line in lines if "1671011001004" not in line))
    acc = run_ingest(drop, out, default_settings())
    assert acc.taken == ["ref_paslon"]
    tally = catalog.read(TALLY.name, root=out)
    assert "1671011001004" not in tally["kode_tps"].to_list()
    _same_as_deciding_everything(drop, out, tmp_path)


def test_a_dataset_file_replaced_since_is_written_again(drop, tmp_path):
    out = tmp_path / "out"
    run_ingest(drop, out, default_settings())
    path = catalog.located(TALLY.name, root=out)
    n = pl.read_parquet(path).height
    catalog.write(catalog.read(TALLY.name, root=out).head(1), TALLY.name, root=out)
    acc = run_ingest(drop, out, default_settings())
    assert "tally" not in acc.taken and "official" in acc.taken
    assert pl.read_parquet(path).height == n > 1
    _same_as_deciding_everything(drop, out, tmp_path)


def test_a_new_tally_file_is_decided_with_the_rest_of_its_kind(drop, tmp_path):
    out = tmp_path / "out"
    run_ingest(drop, out, default_settings())
    _csv(
        drop / "hitung_internal" / "c.csv", _valid("1671011001005", "Walikota", "2024-11-27 17:00")
    )
    acc = run_ingest(drop, out, default_settings())
    assert acc.taken == [k for k in PROCESS_ORDER if k != "tally"]
    assert "1671011001005" in catalog.read(TALLY.name, root=out)["kode_tps"].to_list()
    _same_as_deciding_everything(drop, out, tmp_path)
