"""The catalogue: every dataset is named ``<sumber>__<butir>``, and a processed folder written before
the datasets were renamed (old file names, kept history, follow-up state, ledger) is still read."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from analysis import catalog
from analysis.analyse import stage
from analysis.catalog import LEGACY_FILES
from analysis.ingest import accounting
from analysis.reconcile import load_history, run_reconcile
from analysis.reconcile.history import HISTORY
from analysis.reconcile.inputs import INPUTS
from analysis.reconcile.result import OUTPUTS
from analysis.reconcile.synthetic import synthetic_inputs
from analysis.schemas import ALL, BY_NAME, LEDGER, RECON_TPS, TALLY, TINDAK_LANJUT_MASALAH
from analysis.settings import default_settings

#: The sources of the naming rule (README, "For developers").
SOURCES = {
    "ref",
    "internal",
    "sirekap",
    "dhasil",
    "insiden",
    "kesiapan",
    "mutu",
    "rekon",
    "analitik",
    "tindak_lanjut",
    "paket",
}


def test_every_dataset_is_named_by_its_source_and_grain() -> None:
    for ds in ALL:
        source, sep, grain = ds.name.partition("__")
        assert sep and source in SOURCES, ds.name
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", grain), ds.name
        assert ds.grain.startswith("one row"), ds.name


def test_each_old_file_name_maps_to_one_declared_dataset() -> None:
    assert set(LEGACY_FILES.values()) <= set(BY_NAME)
    assert len(set(LEGACY_FILES.values())) == len(LEGACY_FILES)
    assert not set(LEGACY_FILES) & set(BY_NAME)


def _as_before_the_rename(folder: Path) -> None:
    """Give every file of ``folder`` and of its kept runs the name the code before the rename gave it."""
    for sub in [folder, *(folder / HISTORY).iterdir()]:
        for old, name in LEGACY_FILES.items():
            new = catalog.processed_path(name, root=sub)
            if new.exists():
                new.rename(sub / f"{old}.parquet")


def test_a_processed_folder_written_before_the_rename_keeps_working(tmp_path: Path) -> None:
    s = default_settings()
    inputs = synthetic_inputs(300)
    new, old = tmp_path / "baru", tmp_path / "lama"
    for attr, (ds, _) in INPUTS.items():
        catalog.write(getattr(inputs, attr), ds.name, root=new)
    run_reconcile(new, s.demo.previous_report, s)
    shutil.copytree(new, old)
    _as_before_the_rename(old)
    assert not catalog.processed_path(RECON_TPS.name, root=old).exists()
    assert (old / "recon_tps.parquet").exists() and (old / "tally_tps.parquet").exists()

    # every dataset reads as it did under its own name
    for name in LEGACY_FILES.values():
        assert catalog.exists(name, old) == catalog.exists(name, new), name
        assert catalog.read(name, old).equals(catalog.read(name, new)), name
    assert catalog.read_optional(TALLY.name, old, ["kode_tps"]).equals(
        catalog.read_optional(TALLY.name, new, ["kode_tps"])
    )
    # the kept run (history/<as-of>/recon_*.parquet) is read back whole
    kept_old, kept_new = (
        load_history(old, s.demo.previous_report),
        load_history(new, s.demo.previous_report),
    )
    for attr in OUTPUTS:
        assert getattr(kept_old, attr).equals(getattr(kept_new, attr)), attr

    # the next run compares against it as before, and writes the new names
    a = run_reconcile(new, s.demo.as_of, s)
    b = run_reconcile(old, s.demo.as_of, s)
    assert b.previous_as_of == a.previous_as_of == s.demo.previous_report.astimezone(dt.UTC)
    assert not b.perubahan.is_empty()
    for attr, ds in OUTPUTS.items():
        if attr != "run":  # the run's own timings
            # (float sums of the estimate may differ in the last bit from run to run)
            key = list(ds.key)
            assert_frame_equal(getattr(b, attr).sort(key), getattr(a, attr).sort(key), rel_tol=1e-9)
    assert catalog.processed_path(RECON_TPS.name, root=old).exists()


def test_the_follow_up_state_and_the_ledger_from_before_the_rename_are_carried(
    tmp_path: Path,
) -> None:
    t0 = dt.datetime(2024, 11, 27, 8, tzinfo=dt.UTC)
    state = TINDAK_LANJUT_MASALAH.conform(
        pl.DataFrame(
            {"id_masalah": ["insiden:I1"], "status": ["terbuka"], "pertama_terlihat": [t0]}
        )
    )
    state.write_parquet(tmp_path / "tindak_lanjut.parquet")
    assert stage.previous_state(tmp_path).equals(state)

    sha = "a" * 64
    LEDGER.conform(
        pl.DataFrame({"path": ["x.csv"], "sha256": [sha], "waktu_ingest": [t0]})
    ).write_parquet(tmp_path / "ledger.parquet")
    files = pl.DataFrame(
        [accounting.file_row("x.csv", sha, TALLY.name, "diterima", None, (1, 1, 0, 0))],
        schema=accounting.ACCOUNTING_SCHEMA,
    )
    # the first ingest time of a file already read is kept from the old ledger
    assert accounting.ledger(tmp_path, {"x.csv": 10}, files)["waktu_ingest"].to_list() == [t0]
