"""A real drop's as-of time is the time of its data, not the machine's clock (issue 15: a run that
finds nothing new must have the as-of of the run before, so it skips every stage)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from analysis import catalog
from analysis.daily import data_clock

UTC = dt.UTC


def _times(processed: Path, name: str, column: str, *times: dt.datetime | dt.date) -> None:
    path = catalog.processed_path(name, root=processed)
    path.parent.mkdir(parents=True, exist_ok=True)
    dtype = pl.Date if type(times[0]) is dt.date else pl.Datetime("us", "UTC")
    pl.DataFrame({column: list(times)}, schema={column: dtype}).write_parquet(path)


def test_the_newest_datum_up_to_the_cap(tmp_path: Path) -> None:
    processed, raw = tmp_path / "p", tmp_path / "raw"
    raw.mkdir()
    cap = dt.datetime(2024, 11, 28, 7, 0, tzinfo=UTC)  # 14.00 WIB
    assert data_clock(processed, raw, cap) == cap  # nothing timed yet: the cap
    _times(processed, "internal__tps_kontestasi_laporan", "waktu_laporan",
           dt.datetime(2024, 11, 28, 5, 0, tzinfo=UTC), dt.datetime(2024, 11, 28, 6, 0, tzinfo=UTC))  # fmt: skip
    _times(processed, "sirekap__tps_kontestasi_tarikan", "waktu_tarik",
           dt.datetime(2024, 11, 28, 6, 0, tzinfo=UTC))  # fmt: skip
    _times(processed, "kesiapan__wilayah_tanggal_indikator", "tanggal", dt.date(2024, 11, 27))
    newest = dt.datetime(2024, 11, 28, 6, 0, tzinfo=UTC)
    assert data_clock(processed, raw, cap) == newest
    # later runs, nothing new: the same as-of, whatever the clock says
    assert data_clock(processed, raw, cap + dt.timedelta(minutes=30)) == newest
    # a report from a device whose clock runs ahead is not taken (it would pin the as-of to now)
    _times(processed, "insiden__laporan", "waktu_laporan",
           dt.datetime(2024, 11, 28, 9, tzinfo=UTC), dt.datetime(2024, 11, 28, 5, 30, tzinfo=UTC))  # fmt: skip
    assert data_clock(processed, raw, cap) == newest
    # a KPU pull whose records all equal the pull before keeps none of them: its folder counts
    (raw / "kpu" / "20241128T1330" / "agregat").mkdir(parents=True)  # 13.30 WIB
    (raw / "kpu" / "20241128T1500").mkdir(parents=True)  # after the cap: not yet
    assert data_clock(processed, raw, cap) == dt.datetime(2024, 11, 28, 6, 30, tzinfo=UTC)
