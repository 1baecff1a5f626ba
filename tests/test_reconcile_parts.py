"""Reconciliation per TPS kept per kab/kota (analysis.reconcile.parts): taken parts and reconciled
ones put together give exactly what reconciling everything gives, as the inputs change in one
kab/kota, as the previous report moves, and from a damaged store.

Synthetic inputs (analysis.reconcile.synthetic): 6,000 TPS over hundreds of kab/kota, reports,
three KPU pulls with revisions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from analysis.reconcile.inputs import known_by
from analysis.reconcile.parts import part_of, part_store, reconcile_tps_by_part
from analysis.reconcile.synthetic import PULLS, synthetic_inputs
from analysis.reconcile.tps import reconcile_tps

AS_OF = dt.datetime(2024, 11, 28, 7, tzinfo=dt.UTC)
PREV = PULLS[1][1]


@pytest.fixture(scope="module")
def inputs():
    return known_by(synthetic_inputs(6000, seed=7), AS_OF)


def _check(inputs, store, prev=PREV, tol=0):
    got = reconcile_tps_by_part(inputs, AS_OF, tol, prev, store)
    want_tp, want_tps = reconcile_tps(inputs, AS_OF, tol, prev)
    assert got.tps.equals(want_tps) and got.tps_paslon.equals(want_tp)
    assert got.try_save(store) is None
    return got.reuse


def _one_kabkota_changed(inputs):
    """The desk's reports of one kab/kota: one more vote for every paslon."""
    part = inputs.tally_votes.select(part_of())[0, 0]
    votes = inputs.tally_votes.with_columns(
        pl.when(part_of() == part).then(pl.col("suara") + 1).otherwise(pl.col("suara"))
    )
    return dataclasses.replace(inputs, tally_votes=votes), part


def test_parts_taken_and_reconciled_give_what_reconciling_all_gives(inputs, tmp_path: Path):
    store = part_store(tmp_path)
    first = _check(inputs, store)
    assert first.parts_kept == 0 and first.parts_done > 100
    assert first.rows_kept == 0 and first.rows_done > 10_000
    same = _check(inputs, store)
    assert (same.parts_done, same.rows_done, same.parts_kept) == (0, 0, first.parts_done)
    changed, _ = _one_kabkota_changed(inputs)
    one = _check(changed, store)
    assert one.parts_done == 1 and one.parts_kept == first.parts_done - 1
    assert 0 < one.rows_done < first.rows_done / 50
    # the previous report moves: the parts whose pulls fall between are reconciled again
    moved = _check(changed, store, prev=PULLS[0][1])
    assert 0 < moved.parts_done <= first.parts_done
    assert _check(changed, store, prev=PULLS[0][1]).parts_done == 0
    # a different tolerance or no previous report: everything again
    assert _check(changed, store, prev=PULLS[0][1], tol=5).parts_kept == 0
    assert _check(changed, store, prev=None).parts_kept == 0


def test_a_damaged_store_costs_time_only(inputs, tmp_path: Path):
    store = part_store(tmp_path)
    _check(inputs, store)
    for p in store.dir.glob("*.parquet"):
        p.write_bytes(p.read_bytes()[:100])
    assert _check(inputs, store).parts_kept == 0
    (store.dir / "tps.json").write_text("{not json")
    assert _check(inputs, store).parts_kept == 0
    assert _check(inputs, store).parts_done == 0


def test_a_full_run_takes_nothing_and_stores_every_part(inputs, tmp_path: Path):
    _check(inputs, part_store(tmp_path))
    full = _check(inputs, part_store(tmp_path, take=False))
    assert full.parts_kept == 0 and full.parts_done > 100
    assert _check(inputs, part_store(tmp_path)).parts_done == 0


def test_desk_times_and_a_kabkota_without_any_row_yet(inputs, tmp_path: Path):
    """The daily job reconciles as of the desk's local time (WIB); a kab/kota whose only rows are
    in the TPS list (no contest known there yet) is a result too, kept like the others."""
    from zoneinfo import ZoneInfo

    quiet = inputs.ref_tps.head(1).with_columns(
        pl.lit("9901012001001").alias("kode_tps"), pl.lit("99.01.01.2001").alias("kode_desa")
    )
    more = dataclasses.replace(inputs, ref_tps=pl.concat([inputs.ref_tps, quiet]))
    wib = ZoneInfo("Asia/Jakarta")
    store = part_store(tmp_path)
    for _ in range(2):
        got = reconcile_tps_by_part(more, AS_OF.astimezone(wib), 0, PREV.astimezone(wib), store)
        want_tp, want_tps = reconcile_tps(more, AS_OF, 0, PREV)
        assert got.tps.equals(want_tps) and got.tps_paslon.equals(want_tp)
        assert got.try_save(store) is None
    assert got.reuse.parts_done == 0 and "9901" in store.held(got.keys)
