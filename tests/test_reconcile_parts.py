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


def _sample(inputs):
    """Every seventh TPS of the list, as a valid PVT sample stratified by kab/kota."""
    codes = inputs.ref_tps.select("kode_tps").sort("kode_tps").gather_every(7)
    meta = {"lingkup": "00", "tingkat_strata": "kabkota", "sah": True, "sha256": "ab", "pesan": ""}
    return codes, meta


def test_projections_kept_per_contest_give_what_projecting_all_gives(inputs, tmp_path: Path):
    """Contests outside the kab/kota whose reports changed keep their projections; the governor's
    contest of its province and its regent's are projected again; together, what a whole
    projection gives (both stratified methods and the sample's)."""
    from analysis.reconcile.contest_parts import contest_store, project_by_contest
    from analysis.reconcile.projection import project
    from analysis.settings import default_settings

    cfg = default_settings().proyeksi
    sample, meta = _sample(inputs)
    tps_store = part_store(tmp_path)
    store = contest_store(tps_store, "proyeksi")

    def check(inp):
        parts = reconcile_tps_by_part(inp, AS_OF, 0, PREV, tps_store)
        assert parts.try_save(tps_store) is None
        got = project_by_contest(parts.tps, parts.tps_paslon, sample, meta, cfg, parts.keys, store)
        want_k, want_p = project(parts.tps, parts.tps_paslon, sample, meta, cfg)
        assert got.frames[0].equals(want_k) and got.frames[1].equals(want_p)
        assert got.try_save(store) is None
        return got.reuse, parts.tps

    first, tps = check(inputs)
    n = tps["kode_kontestasi"].n_unique()
    assert (first.done, first.kept) == (n, 0)
    assert check(inputs)[0].done == 0
    changed, part = _one_kabkota_changed(inputs)
    one, _ = check(changed)
    touched = tps.filter(part_of() == part)["kode_kontestasi"].n_unique()
    assert (one.done, one.kept) == (touched, n - touched) and 0 < touched < n / 10
    # another sample: every contest again
    parts = reconcile_tps_by_part(changed, AS_OF, 0, PREV, tps_store)
    again = project_by_contest(
        parts.tps, parts.tps_paslon, sample.head(50), meta, cfg, parts.keys, store
    )
    assert again.reuse.kept == 0


def test_roll_ups_kept_per_contest_give_what_rolling_up_all_gives(inputs, tmp_path: Path):
    """The region roll-ups of the contests outside a changed kab/kota are kept; a D.Hasil row
    that arrives for one contest makes that contest alone rolled up again."""
    from analysis.reconcile.contest_parts import contest_store, roll_ups_by_contest
    from analysis.reconcile.rekap import in_force
    from analysis.reconcile.wilayah import roll_up_paslon, roll_up_status

    tps_store = part_store(tmp_path)
    store = contest_store(tps_store, "wilayah")

    def check(inp, dhasil):
        parts = reconcile_tps_by_part(inp, AS_OF, 0, PREV, tps_store)
        assert parts.try_save(tps_store) is None
        got = roll_ups_by_contest(parts.tps, parts.tps_paslon, dhasil, 0, parts.keys, store)
        wil = roll_up_paslon(parts.tps_paslon, dhasil, 0)
        assert got.frames[0].equals(wil)
        assert got.frames[1].equals(roll_up_status(parts.tps, wil, dhasil, 0))
        assert got.try_save(store) is None
        return got.reuse, parts.tps

    dhasil = in_force(inputs.official_region, AS_OF)
    if not dhasil.height:  # KPU's D.Hasil of every kab/kota's regent contest, from the TPS rows
        wil = roll_up_paslon(reconcile_tps(inputs, AS_OF, 0, PREV)[0], dhasil, 0)
        dhasil = (
            wil.filter(
                (pl.col("tingkat") == "kabkota") & pl.col("kode_kontestasi").str.contains("pkwkk")
            )
            .select(
                "kode_wilayah",
                "kode_kontestasi",
                "nomor_urut",
                pl.col("suara_internal").alias("suara"),
            )
            .with_columns(pl.col("kode_wilayah").str.replace_all(".", "", literal=True))
            .pipe(lambda d: pl.concat([inputs.official_region.head(0), d], how="diagonal_relaxed"))
        )
        dhasil = in_force(dhasil, AS_OF)
    assert dhasil.height
    first, tps = check(inputs, dhasil)
    n = len(set(tps["kode_kontestasi"]) | set(dhasil["kode_kontestasi"]))
    assert (first.done, first.kept) == (n, 0)
    assert check(inputs, dhasil)[0].done == 0
    changed, part = _one_kabkota_changed(inputs)
    one, _ = check(changed, dhasil)
    touched = tps.filter(part_of() == part)["kode_kontestasi"].n_unique()
    assert (one.done, one.kept) == (touched, n - touched) and 0 < touched < n / 10
    row = dhasil.head(1).with_columns(pl.col("suara") + 7)
    more = pl.concat([dhasil.filter(pl.int_range(pl.len()) > 0), row])
    assert check(changed, more)[0].done == 1


def test_a_reconciliation_kept_in_parts_equals_a_whole_one(inputs, tmp_path: Path):
    """reconcile() with the stores against without, every dataset, as one kab/kota's reports
    change and a contest known only from D.Hasil comes, goes and comes back."""
    from analysis.reconcile.contest_parts import contest_store
    from analysis.reconcile.result import reconcile
    from analysis.reconcile.wilayah import roll_up_paslon

    wil = roll_up_paslon(reconcile_tps(inputs, AS_OF, 0, PREV)[0], inputs.official_region, 0)
    dh = (
        wil.filter((pl.col("tingkat") == "kabkota") & pl.col("kode_kontestasi").str.contains("pkwkk"))
        .select("kode_wilayah", "kode_kontestasi", "nomor_urut", pl.col("suara_internal").alias("suara"))
        .with_columns(pl.col("kode_wilayah").str.replace_all(".", "", literal=True))
    )  # fmt: skip
    lone = dh.head(2).with_columns(pl.lit("pkwkk-9999").alias("kode_kontestasi"))
    with_lone, without = (
        pl.concat([inputs.official_region.head(0), *d], how="diagonal_relaxed")
        for d in ([dh, lone], [dh])
    )
    sample, meta = _sample(inputs)
    record = pl.concat([inputs.sampel.head(0), pl.DataFrame([meta])], how="diagonal_relaxed")
    base = dataclasses.replace(inputs, official_region=with_lone, sampel=record, sampel_tps=sample)
    changed, _ = _one_kabkota_changed(base)
    store = part_store(tmp_path)
    # (what the roll-ups redid and kept, what the projections did): the lone contest is rolled up
    steps = [
        (base, (571, 0), (570, 0)),
        (base, (0, 571), (0, 570)),
        (dataclasses.replace(base, official_region=without), (0, 570), (0, 570)),
        (base, (1, 570), (0, 570)),
        (changed, (2, 569), (2, 568)),
    ]
    for inp, wilayah, proyeksi in steps:
        got = reconcile(inp, AS_OF, 0, PREV, tps_store=store)
        want = reconcile(inp, AS_OF, 0, PREV)
        for name, frame in want.frames().items():
            assert got.frames()[name].equals(frame), name
        reuse = {k: (p.reuse.done, p.reuse.kept) for k, p in got.per_kontestasi.items()}
        assert reuse == {"wilayah": wilayah, "proyeksi": proyeksi}
        assert got.bagian.try_save(store) is None
        for kind, parts in got.per_kontestasi.items():
            assert parts.try_save(contest_store(store, kind)) is None


def test_changes_kept_per_kabkota_give_what_comparing_all_gives(inputs, tmp_path: Path):
    """The changes since the previous report of the kab/kota whose rows and previous rows are
    those of the last run are kept; the others found again; together, what comparing all gives."""
    from analysis.reconcile.parts import change_store, changes_by_part
    from analysis.reconcile.perubahan import changes_since, finish_tps, per_unit
    from analysis.reconcile.result import reconcile

    tps_store = part_store(tmp_path)
    store = change_store(tps_store)

    def check(inp, prev_t):
        prev = reconcile(inp, prev_t, 0, None, detail=False)
        cur = reconcile(inp, AS_OF, 0, prev_t, tps_store=tps_store)
        assert cur.bagian.try_save(tps_store) is None
        got = changes_by_part(prev.tps, cur.tps, cur.bagian.keys, store)
        want_tps, want_wil = changes_since(prev, cur)
        assert finish_tps(got.tps).equals(want_tps) and want_tps.height > 100
        assert per_unit(prev, cur, got.desa).equals(want_wil)
        assert got.try_save(store) is None
        return got.reuse

    first = check(inputs, PREV)
    assert first.kept == 0 and first.done > 100
    assert check(inputs, PREV).done == 0
    changed, _ = _one_kabkota_changed(inputs)
    assert check(changed, PREV).done == 1
    # another previous report: its rows differ wherever a pull fell between
    moved = check(changed, PULLS[0][1])
    assert moved.done > 0 and check(changed, PULLS[0][1]).done == 0
