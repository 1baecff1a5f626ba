"""The frames an analyst digs into for one unit, read with the calls the packs make.

Count and comparison come from the reconciliation's datasets (``analysis.catalog``), the night's
history from ``analysis.reconcile`` (its kept runs, or the same reconciliation recomputed as of
every hour). Every function returns a polars frame as the library wrote it (codes, UTC times);
:func:`analysis.explore.table` makes the view.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from analysis import catalog, reconcile
from analysis.analyse.incidents import with_names
from analysis.analyse.inputs import run_times
from analysis.domain.regions import contest_region, depth, inside_expr, is_inside
from analysis.schemas import PASLON, RECON_TPS, RECON_WILAYAH, RECON_WILAYAH_STATUS
from analysis.settings import Settings, default_settings

#: The most reconciliations :func:`over_the_night` recomputes (one per step).
MAX_STEPS = 72


def _unit_and_children(unit: str) -> pl.Expr:
    return (pl.col("kode_wilayah") == unit) | (pl.col("kode_induk") == unit)


def count_per_unit(processed: Path, unit: str) -> pl.DataFrame:
    """Coverage, TPS by comparison status and discrepancy of ``unit`` and each child unit, per
    contest (``rekon__wilayah_kontestasi``), with the unit's name; the unit itself first."""
    status = catalog.read(RECON_WILAYAH_STATUS.name, root=processed).filter(
        _unit_and_children(unit)
    )
    return (
        with_names(status)
        .with_columns((pl.col("kode_wilayah") != unit).alias("_anak"))
        .sort("_anak", "kode_kontestasi", "kode_wilayah")
        .drop("_anak")
        .select("kode_wilayah", "nama", pl.exclude("kode_wilayah", "nama"))
    )


def votes(processed: Path, unit: str) -> pl.DataFrame:
    """Votes per paslon in ``unit``, internal count beside KPU's and D.Hasil
    (``rekon__wilayah_kontestasi_paslon``), with the paslon's name."""
    wil = catalog.read(RECON_WILAYAH.name, root=processed).filter(pl.col("kode_wilayah") == unit)
    names = catalog.read(PASLON.name, root=processed).select(
        "kode_kontestasi", "nomor_urut", "nama_paslon"
    )
    head = ["kode_kontestasi", "nomor_urut", "nama_paslon"]
    return (
        wil.join(names, on=["kode_kontestasi", "nomor_urut"], how="left")
        .select(*head, pl.exclude(*head))
        .sort("kode_kontestasi", "nomor_urut")
    )


def discrepancies(processed: Path, unit: str) -> pl.DataFrame:
    """TPS × contest inside ``unit`` where the internal count and KPU's differ
    (``rekon__tps_kontestasi``, ``status_banding`` selisih), largest absolute discrepancy first, with
    kecamatan and desa names."""
    tps = catalog.read(RECON_TPS.name, root=processed).filter(
        inside_expr("kode_desa", unit) & (pl.col("status_banding") == "selisih")
    )
    named = with_names(
        with_names(tps, "kode_kecamatan", "nama_kecamatan"), "kode_desa", "nama_desa"
    )
    return named.sort("selisih_abs", "kode_tps", descending=[True, False]).select(
        "kode_tps",
        "kode_kontestasi",
        "nama_kecamatan",
        "nama_desa",
        "status",
        "selisih_total",
        "selisih_abs",
        "paslon_selisih",
        "suara_sah_internal",
        "suara_sah_kpu",
        "dijelaskan_validasi",
        "peringatan_internal",
        "peringatan_kpu",
        "waktu_laporan",
        "waktu_tarik",
    )


def _at(status: pl.DataFrame, unit: str, as_of: dt.datetime) -> pl.DataFrame:
    """The unit's rows of a ``rekon__wilayah_kontestasi`` frame, with the time it stood as of."""
    ds = RECON_WILAYAH_STATUS
    rows = ds.conform(status.filter(pl.col("kode_wilayah") == unit)).select(list(ds.columns))
    return rows.select(
        pl.lit(as_of.astimezone(dt.UTC), dtype=pl.Datetime("us", "UTC")).alias("waktu_acuan"),
        pl.all(),
    )


def kept_runs(processed: Path, unit: str) -> pl.DataFrame:
    """The unit's row per contest in every reconciliation kept in the history (one per report),
    oldest first, with the run's ``waktu_acuan``."""
    frames = [
        _at(reconcile.load_history(processed, t).wilayah_status, unit, t)
        for t, _ in reconcile.history_runs(processed)
    ]
    return (
        pl.concat(frames)
        if frames
        else _at(RECON_WILAYAH_STATUS.empty(), "", dt.datetime.now(dt.UTC))
    )


def _arrival_window(inputs: reconcile.ReconInputs) -> tuple[dt.datetime | None, dt.datetime | None]:
    """First and last time a result reached the desk (internal report or KPU pull)."""
    times = pl.concat(
        [
            inputs.tally_tps.select(pl.col("waktu_laporan").alias("t")),
            inputs.official_tps.select(pl.col("waktu_tarik").alias("t")),
        ]
    )["t"].drop_nulls()
    return (times.min(), times.max()) if len(times) else (None, None)


def night_times(
    first: dt.datetime, last: dt.datetime, step: dt.timedelta = dt.timedelta(hours=1)
) -> list[dt.datetime]:
    """From the hour of ``first`` to ``last`` every ``step`` (``last`` itself included), at most
    :data:`MAX_STEPS` times (the step grows when the night is longer)."""
    start = first.replace(minute=0, second=0, microsecond=0)
    while (last - start) / step > MAX_STEPS - 1:
        step *= 2
    times = []
    t = start
    while t < last:
        times.append(t)
        t += step
    return [*times, last]


def over_the_night(
    processed: Path,
    unit: str,
    step: dt.timedelta = dt.timedelta(hours=1),
    settings: Settings | None = None,
) -> pl.DataFrame:
    """The unit's coverage and discrepancies per contest as they stood every ``step`` from the
    first result to the run's as-of: the reconciliation recomputed in memory as of each time
    (nothing written). One row per ``waktu_acuan`` × contest, ``rekon__wilayah_kontestasi``
    columns."""
    s = settings or default_settings()
    inputs = reconcile.load_inputs(processed)
    first, last = _arrival_window(inputs)
    if first is None or last is None:
        return RECON_WILAYAH_STATUS.empty()
    last = run_times(Path(processed))[0] or last
    tol = s.election.tolerances.reconcile_votes
    frames = [
        _at(reconcile.reconcile(inputs, t, tol, detail=False).wilayah_status, unit, t)
        for t in night_times(first, last, step)
    ]
    return pl.concat(frames)


def default_contest(unit: str, contests: list[str]) -> str | None:
    """The contest to show first for ``unit``: the one whose region is nearest above or at the
    unit (the kab/kota's own bupati race, the province's gubernur race), else the first."""
    around = [k for k in contests if is_inside(unit, contest_region(k))]
    if around:
        return max(around, key=lambda k: depth(contest_region(k)))
    return sorted(contests)[0] if contests else None
