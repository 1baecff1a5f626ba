"""The reconcile stage: one run on a processed folder, its command line, and its benchmark.

``python -m analysis reconcile [--as-of T] [--previous T] [--processed DIR]`` reads the processed
datasets, reconciles as of T, compares with the previous kept run, writes rekon__* and keeps the run
in history (:mod:`analysis.reconcile.history`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from dataclasses import fields
from pathlib import Path

import polars as pl

from analysis import catalog, fmt, incremental
from analysis.ingest.schedule import Background
from analysis.partstore import PartStore, Recorded
from analysis.reconcile.agregat import Kept, read_aggregates
from analysis.reconcile.contest_parts import contest_store
from analysis.reconcile.history import (
    desk_zone,
    has_history,
    history_dir,
    kept_key,
    load_history,
    previous_run,
    write_result,
)
from analysis.reconcile.inputs import (
    INPUTS,
    ReconcileError,
    ReconInputs,
    as_utc,
    known_by,
    load_inputs,
)
from analysis.reconcile.parts import (
    change_store,
    changes_by_part,
    part_store,
)
from analysis.reconcile.perubahan import changes_since, finish_tps, per_unit
from analysis.reconcile.result import ReconResult, reconcile, timed
from analysis.schemas import RECON_RUN, RECON_STATUSES, TALLY
from analysis.settings import Settings, default_settings


def _changes(
    result: ReconResult, processed: Path, inputs: ReconInputs, prev_t: dt.datetime, tol: int,
    store: PartStore | None = None,
) -> None:  # fmt: skip
    """Fill ``result``'s changes against the run as of ``prev_t`` (kept, else recomputed);
    ``store``: the TPS parts, beside which the changes are kept per kab/kota
    (:func:`~analysis.reconcile.parts.changes_by_part`)."""
    if has_history(processed, prev_t):  # what the changes compare
        prev = load_history(processed, prev_t, only=("tps", "wilayah_status"))
    else:
        prev = reconcile(inputs, prev_t, tol, None, detail=False)
    keys = result.bagian.keys if result.bagian is not None else {}
    if store is None or not keys:
        result.perubahan, result.perubahan_wilayah = changes_since(prev, result)
        return
    kept = changes_by_part(prev.tps, result.tps, keys, change_store(store))
    result.bagian_perubahan = kept if kept.keys else None  # none kept: compared whole
    result.perubahan = finish_tps(kept.tps)
    result.perubahan_wilayah = per_unit(prev, result, kept.desa)


def _run_row(result: ReconResult, seconds: float, tol: int) -> pl.DataFrame:
    """rekon__proses: the as-of times, when and how long, the tolerance used."""
    return pl.DataFrame(
        {
            "waktu_acuan": [result.as_of],
            "waktu_acuan_sebelumnya": [result.previous_as_of],
            "waktu_proses": [dt.datetime.now(dt.UTC)],
            "durasi_detik": [seconds],
            "toleransi_suara": [tol],
        },
        schema=RECON_RUN.polars_schema,
    )


def run_reconcile(
    processed: Path,
    as_of: dt.datetime,
    settings: Settings | None = None,
    previous_as_of: dt.datetime | None = None,
    raw: Path | None = None,
    inputs: ReconInputs | None = None,
    key: str | None = None,
    kept: Kept | None = None,
    by_part: bool = False,
    take_parts: bool = True,
) -> ReconResult:
    """Reconcile the processed data as of ``as_of``, write rekon__* and keep the run in history.

    ``previous_as_of`` defaults to the latest kept run before ``as_of``; changes are computed
    against that run (read from history when kept there, else recomputed from the inputs).
    ``raw``: the drop, whose latest pull's KPU aggregates are set against KPU's own records
    (:mod:`analysis.reconcile.agregat`; none without it). ``inputs``: the processed folder's
    inputs when already read; ``key``: the run's :func:`replay_key`, kept with it; ``kept``: where
    and under what each pull's reading of its aggregates is kept
    (:func:`~analysis.reconcile.agregat.read_pull_kept`). ``by_part``: the TPS rows are kept per
    kab/kota in the folder's cache and taken from it where their inputs are the same
    (:mod:`analysis.reconcile.parts`; the daily job's run as of its report time), and so are
    the region roll-ups and the projections per contest (:mod:`analysis.reconcile.contest_parts`)
    and the changes since the previous report per kab/kota;
    ``take_parts=False`` (``--full``): every part reconciled again, and stored.
    """
    s = settings or default_settings()
    tol = s.election.tolerances.reconcile_votes
    t0 = time.perf_counter()
    processed = Path(processed)
    timings: dict[str, float] = {}
    with timed(timings, "baca"):
        inputs = known_by(inputs if inputs is not None else load_inputs(processed), as_of)
        kpu = s.kpu_pull.sites[s.kpu_pull.site]
        agg = None if raw is None else read_aggregates(raw, as_utc(as_of), kpu, kept)
    if agg is not None:
        for reason in agg.tidak_terbaca:
            print(f"agregat KPU tidak terbaca, dilewati: {reason}")
    prev_t = as_utc(previous_as_of) if previous_as_of else previous_run(processed, as_of)
    store = part_store(processed, take_parts) if by_part else None
    result = reconcile(inputs, as_of, tol, prev_t, settings=s, aggregates=agg, tps_store=store)
    result.timings = {**timings, **result.timings}
    saving = Background()  # the parts are stored beside the rest of the run
    if store is not None and result.bagian is not None:
        saving.submit("rekon-bagian", _store_parts, result.bagian, store, "rekonsiliasi per TPS")
    if store is not None:
        for kind, parts in result.per_kontestasi.items():
            step = contest_store(store, kind)
            saving.submit(f"rekon-{kind}", _store_parts, parts, step, parts.reuse.what)
    try:
        if prev_t is not None:
            with timed(result.timings, "perubahan"):
                _changes(result, processed, inputs, prev_t, tol, store)
            changes = result.bagian_perubahan
            if store is not None and changes is not None:
                step, what = change_store(store), changes.reuse.what
                saving.submit("rekon-perubahan", _store_parts, changes, step, what)
        result.run = _run_row(result, time.perf_counter() - t0, tol)
        with timed(result.timings, "tulis"):
            write_result(result, processed, s, key)
    finally:
        with timed(result.timings, "simpan_bagian"):
            saving.wait()
    return result


def _store_parts(parts: Recorded, store: PartStore, what: str) -> None:
    """Record the run's TPS parts (or a step's results per contest, ``what`` says which); a store
    that cannot be written is said, and costs the next run time only
    (:meth:`~analysis.partstore.PartStore.try_save`)."""
    failed = parts.try_save(store)
    if failed:
        print(f"bagian {what} tidak tersimpan (run berikutnya menghitung ulang): {failed}")


def replay_key(
    inputs: ReconInputs, as_of: dt.datetime, pulls: str, processed: Path, parts: dict[str, str]
) -> str:
    """What a run as of ``as_of`` is made of: the inputs known by then (by value,
    :func:`~analysis.reconcile.inputs.known_by`), the KPU pulls taken by then (``pulls``:
    :func:`~analysis.reconcile.agregat.pulls_key`), the kept run it is compared with (its own
    key), and ``parts`` (code, settings). A demo's replayed run whose key is the one kept with it
    is the same run: it is not made again (issue 15)."""
    cut = known_by(inputs, as_of)
    prev_t = previous_run(processed, as_of)
    return incremental.digest(
        {
            "masukan": {f.name: incremental.frame_sha(getattr(cut, f.name)) for f in fields(cut)},
            "waktu_acuan": as_utc(as_of).isoformat(),
            "tarikan": pulls,
            "sebelumnya": (kept_key(processed, prev_t) or prev_t.isoformat()) if prev_t else "",
            **parts,
        }
    )


# --- the command line -----------------------------------------------------------------------------


def _projection_line(result: ReconResult, kode: str) -> str:
    """The contest's projections that speak, one phrase each (``—`` when none does)."""
    k = result.proyeksi.filter((pl.col("kode_kontestasi") == kode) & pl.col("ada_proyeksi"))
    said = []
    for m in k["metode"].to_list():
        p = result.proyeksi_paslon.filter(
            (pl.col("kode_kontestasi") == kode) & (pl.col("metode") == m)
        ).sort("persen_proyeksi", descending=True, nulls_last=True)
        top = p.row(0, named=True)
        said.append(
            f"{m} {top['nomor_urut']}: {fmt.persen(top['persen_proyeksi'], 1)} "
            f"± {fmt.persen(top['galat'], 1)}"
        )
    return "; ".join(said) or fmt.KOSONG


def summary(result: ReconResult, limit: int = 10, settings: Settings | None = None) -> str:
    """A short text summary (Bahasa Indonesia) of a run, for the command line."""
    zone = desk_zone(settings)

    def when(t: dt.datetime) -> str:
        return t.astimezone(zone).strftime("%Y-%m-%d %H.%M %Z")

    counts = dict(result.tps.group_by("status").len().iter_rows())
    k = result.kontestasi.sort("kode_kontestasi")
    dec = result.kepastian.filter(pl.col("sumber") == "internal")
    pasti = dict(zip(dec["kode_kontestasi"], dec["urutan_pasti"], strict=True))
    selisih = dict(zip(dec["kode_kontestasi"], dec["selisih_bisa_mengubah"], strict=True))
    compared = f" (dibanding {when(result.previous_as_of)})" if result.previous_as_of else ""
    lines = [
        f"Rekonsiliasi per {when(result.as_of)}{compared}",
        "TPS × kontestasi: "
        + ", ".join(f"{s} {fmt.angka(counts.get(s, 0))}" for s in RECON_STATUSES),
        f"{k.height} kontestasi; urutan pasti (hitung internal): "
        f"{sum(bool(v) for v in pasti.values())}; selisih dengan KPU bisa mengubah urutan: "
        f"{sum(bool(v) for v in selisih.values())} "
        "(proyeksi internal — bukan hasil resmi; hasil resmi ditetapkan KPU)",
    ]
    for row in k.head(limit).iter_rows(named=True):
        kode = row["kode_kontestasi"]
        lines.append(
            f"  {kode:<12} cakupan internal {fmt.persen(row['cakupan_internal'])}, "
            f"KPU {fmt.persen(row['cakupan_kpu'])}; margin {fmt.angka(row['margin_internal'])}; "
            f"{'pasti' if pasti.get(kode) else 'belum pasti'}; proyeksi {_projection_line(result, kode)}"
        )
    if k.height > limit:
        lines.append(f"  ... dan {k.height - limit} kontestasi lain")
    if not result.perubahan.is_empty():
        ch = result.perubahan.group_by("jenis_perubahan").len().sort("jenis_perubahan")
        lines.append("Perubahan: " + ", ".join(f"{a} {fmt.angka(b)}" for a, b in ch.iter_rows()))
    return "\n".join(lines)


def parse_time(text: str) -> dt.datetime:
    """An ISO time with offset from the command line or run.json; else a clear error."""
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReconcileError(
            f"--as-of/--previous: {text!r} is not an ISO time (2024-11-28T14:00+07:00)"
        ) from None
    if t.tzinfo is None:
        raise ReconcileError(f"--as-of/--previous: {text!r} needs a UTC offset, e.g. +07:00")
    return t


def _run_info(processed: Path, key: str) -> str | None:
    """A value the daily job recorded in ``processed/run.json``, if any."""
    try:
        return json.loads((processed / "run.json").read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None


def _run_as_of(processed: Path) -> dt.datetime | None:
    """as_of recorded by the daily job in ``processed/run.json``, if any."""
    text = _run_info(processed, "as_of")
    return parse_time(text) if text else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        help="ISO time with offset (default: as_of of <processed>/run.json, else the demo's as_of)",
    )
    parser.add_argument(
        "--previous", help="ISO time of the previous report (default: the latest kept run)"
    )
    parser.add_argument(
        "--processed",
        type=Path,
        help="processed folder (default: <paths.processed>/demo-<demo.scope>)",
    )


def run(args: argparse.Namespace) -> int:
    """The CLI: checked, under the run lock, into a new generation (analysis.runguard)."""
    from analysis import console, preflight, publish, runguard

    s = default_settings()
    processed = args.processed or (s.paths.resolved().processed / f"demo-{s.demo.scope}")
    try:
        runguard.check_processed(processed, s)
        if not processed.is_dir():
            raise preflight.PreflightError(
                f"folder data olahan {processed} tidak ada (jalankan ingest dulu)"
            )
        as_of = parse_time(args.as_of) if args.as_of else _run_as_of(processed) or s.demo.as_of
        prev = parse_time(args.previous) if args.previous else None
        raw = _run_info(processed, "raw")
    except (preflight.PreflightError, ReconcileError) as exc:
        console.error(exc)
        return runguard.EXIT_PARAMETERS

    def work() -> int:
        try:
            with publish.staged([processed]) as (folder,):
                result = run_reconcile(folder, as_of, s, prev, Path(raw) if raw else None)
        except ReconcileError as exc:
            console.error(exc)
            return runguard.EXIT_PARAMETERS
        console.say(summary(result, settings=s), block=True)
        console.say(
            f"Ditulis ke {processed} dan {history_dir(processed, result.as_of, s)} "
            f"({result.run['durasi_detik'][0]:.2f} detik)"
        )
        return 0

    return runguard.guarded(processed, work, s)


# --- the benchmark --------------------------------------------------------------------------------


def _synthetic_folder(n_tps: int) -> tuple[Path, str]:
    """A temporary processed folder holding national-size synthetic inputs."""
    from analysis.reconcile.synthetic import synthetic_inputs

    tmp = Path(tempfile.mkdtemp(prefix="bench_reconcile_"))
    t = time.perf_counter()
    inp = synthetic_inputs(n_tps)
    for field, (ds, _) in INPUTS.items():
        if field != "official_region":
            catalog.write(getattr(inp, field), ds.name, root=tmp)
    return tmp, f"sintetis ({time.perf_counter() - t:.1f} s to generate)"


def bench_reconcile(
    processed: Path | None = None, as_of: dt.datetime | None = None, n_tps: int = 430_000
) -> dict:
    """Time run_reconcile on ``processed`` (national synthetic data when it holds no tally).

    As the daily job does: a run as of the previous report, then the timed run as of ``as_of``
    (previous run kept in history). Returns sizes and seconds per phase (read, TPS, roll-up,
    contests, changes, write), wall and CPU.
    """
    s = default_settings()
    as_of = as_of or s.demo.as_of
    tmp, source = None, "processed"
    if processed is None or not catalog.exists(TALLY.name, root=Path(processed)):
        tmp, source = _synthetic_folder(n_tps)
        processed = tmp
    try:
        prev = s.demo.previous_report
        t = time.perf_counter()
        run_reconcile(Path(processed), prev, s, previous_as_of=None)
        first = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        result = run_reconcile(Path(processed), as_of, s, prev)
        total, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return {
        "sumber": source,
        "tps_kontestasi": result.tps.height,
        "baris_tps_paslon": result.tps_paslon.height,
        "baris_wilayah": result.wilayah.height,
        "kontestasi": result.kontestasi.height,
        "detik_run_pertama": round(first, 2),
        "detik_total": round(total, 2),
        "detik_cpu": round(cpu, 2),
        "detik_per_tahap": {k: round(v, 2) for k, v in result.timings.items()},
    }
