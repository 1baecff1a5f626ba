"""A real drop's as-of time is the time of its data, not the machine's clock (issue 15: a run that
finds nothing new must have the as-of of the run before, so it skips every stage)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from analysis import catalog
from analysis.daily import data_clock

UTC = dt.UTC


def _times(processed: Path, name: str, column: str, *times: dt.datetime) -> None:
    path = catalog.processed_path(name, root=processed)
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame({column: list(times)}, schema={column: pl.Datetime("us", "UTC")}).write_parquet(
        path
    )


def test_the_newest_datum_up_to_the_cap(tmp_path: Path) -> None:
    cap = dt.datetime(2024, 11, 28, 7, 0, tzinfo=UTC)  # 14.00 WIB
    assert data_clock(tmp_path, cap) == cap  # nothing timed yet: the cap
    _times(tmp_path, "internal__tps_kontestasi_laporan", "waktu_laporan",
           dt.datetime(2024, 11, 28, 5, 0, tzinfo=UTC), dt.datetime(2024, 11, 28, 6, 0, tzinfo=UTC))  # fmt: skip
    _times(tmp_path, "sirekap__tps_kontestasi_tarikan", "waktu_tarik",
           dt.datetime(2024, 11, 28, 6, 30, tzinfo=UTC))  # fmt: skip
    assert data_clock(tmp_path, cap) == dt.datetime(2024, 11, 28, 6, 30, tzinfo=UTC)
    assert data_clock(tmp_path, cap) == data_clock(tmp_path, cap + dt.timedelta(minutes=30))
    # a report from a device whose clock runs ahead does not move the report past the cap
    _times(tmp_path, "insiden__laporan", "waktu_laporan", dt.datetime(2024, 11, 28, 9, tzinfo=UTC))
    assert data_clock(tmp_path, cap) == cap
