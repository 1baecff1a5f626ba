"""The scheduled job: ``make daily-brief``.

parameters and the machine checked (:mod:`analysis.preflight`) → the run lock of the processed
folder (:mod:`analysis.runlock`) → demo drop (generated when no raw drop is given) → a new
generation of the processed folder and of the report date's folder (:mod:`analysis.publish`) →
ingest + validate → reconcile (as of the report time, and as of the previous report when the
history lacks it) → analyse (screens, kerawanan, follow-up) → briefing packs for the scope's unit
and its descendants → both generations published. Each stage prints its timing, and whether it
ran or was skipped and why: a stage whose inputs' content hashes equal those the previous
generation recorded is skipped, and only the packs whose inputs changed are rendered
(:mod:`analysis.incremental`, :mod:`analysis.packs.carry`; ``--full`` recomputes everything). A
run that finds nothing new writes nothing: the published generations stay.

A failed analytic or a failed pack does not stop the packs; either makes the exit code 1 and the
run is published (its index says what failed). A run stopped by an error publishes nothing; the
exit codes and the one-line messages are :mod:`analysis.runguard`'s.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from analysis import console, incremental, preflight, publish, runguard, runlog
from analysis.demo.marker import is_demo
from analysis.domain import regions
from analysis.settings import Settings, code_version, default_settings

if TYPE_CHECKING:
    from analysis.packs.execute import EarlyWorkers
    from analysis.packs.results import BriefResult
    from analysis.reconcile.agregat import Kept
    from analysis.reconcile.inputs import ReconInputs


def demo_scope_for(scope: str) -> str:
    """The demo drop that covers ``scope``: the national one for "00", else the scope's province."""
    return regions.NATIONAL if scope == regions.NATIONAL else scope.split(".")[0]


def report_time(date: dt.date, scope: str) -> dt.datetime:
    """The end of ``date`` in the scope's local time zone (Jakarta for the national desk)."""
    tz = "Asia/Jakarta" if scope == regions.NATIONAL else regions.time_zone(scope)[1]
    return dt.datetime.combine(date, dt.time(23, 59, 59), tzinfo=ZoneInfo(tz))


def demo_times(date: dt.date, scope: str, s: Settings) -> tuple[dt.datetime, dt.datetime | None]:
    """(as_of, previous) of a demo brief. Up to the drop's day the scenario's clock (``demo.as_of``)
    caps the report; a later day is a rekap day: the count and the pulls stop at ``demo.as_of``
    while KPU's recaps keep arriving, so the report is as of that day's end, compared with the
    day before's."""
    if date <= s.demo.as_of.date():
        as_of = min(report_time(date, scope), s.demo.as_of)
        return as_of, (s.demo.previous_report if s.demo.previous_report < as_of else None)
    return report_time(date, scope), demo_times(date - dt.timedelta(days=1), scope, s)[0]


#: What a desk's data is timed by: (dataset, its time column). A readiness report counts from the
#: start of its date (UTC), the day the analytics take it in (``tanggal <= as_of.date()``).
DATA_TIMES = (
    ("internal__tps_kontestasi_laporan", "waktu_laporan"),
    ("sirekap__tps_kontestasi_tarikan", "waktu_tarik"),
    ("dhasil__wilayah_kontestasi_paslon", "waktu_terima"),
    ("insiden__laporan", "waktu_laporan"),
    ("kesiapan__wilayah_tanggal_indikator", "tanggal"),
)


def data_clock(processed: Path, raw: Path, cap: dt.datetime) -> dt.datetime:
    """A real drop's as-of time: its newest datum up to ``cap`` (the day's end or now, whichever
    is first) — the newest row of :data:`DATA_TIMES` or KPU pull folder (a pull whose records
    all equal the pull before keeps none of them, but its aggregates count); ``cap`` when the
    drop holds nothing timed.

    Not the clock: a run that finds nothing new then has the as-of of the run before, so every
    stage after ingest is skipped as its inputs are the same (issue 15), and a pack says the time
    of its data rather than the minute the machine ran. A datum later than ``cap`` (a device
    whose clock runs ahead) is not taken: it would pin the as-of to the clock."""
    import polars as pl

    from analysis import catalog, read
    from analysis.reconcile.agregat import latest_pull

    limit = cap.astimezone(dt.UTC)
    newest: list[dt.datetime] = []
    for name, column in DATA_TIMES:
        if not catalog.exists(name, processed):
            continue
        path = catalog.located(name, root=processed)
        files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
        if not files:
            continue
        scan = pl.scan_parquet(files)
        dtype = scan.collect_schema().get(column)
        if dtype is None:
            continue
        t = pl.col(column).cast(pl.Datetime("us")) if dtype == pl.Date else pl.col(column)
        zone = getattr(dtype, "time_zone", None)
        t = t.dt.replace_time_zone("UTC") if zone is None else t.dt.convert_time_zone("UTC")
        value = (
            (scan.select(t.alias("t")).filter(pl.col("t") <= limit).select(pl.col("t").max()))
            .collect()
            .item()
        )
        if value is not None:
            newest.append(value)
    pull = latest_pull(raw, limit)
    if pull is not None and (when := read.path_pull(pull.name)) is not None:
        newest.append(when)
    return max(newest) if newest else cap


def _stage(name: str) -> float:
    console.say(f"\n== {name} ==", block=True)
    return time.perf_counter()


def _done(t0: float) -> None:
    console.say(f"   ({time.perf_counter() - t0:.1f} s)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", help="report date YYYY-MM-DD")
    parser.add_argument(
        "--scope", help="unit code (dotted; 00 = national); default: the desk's unit"
    )
    parser.add_argument("--depth", default=1, help="tiers below the scope (default 1)")
    parser.add_argument("--raw", type=Path, help="raw drop folder; default: the demo scenario")
    parser.add_argument("--workers", type=int, default=2, help="pack worker processes")
    parser.add_argument(
        "--wait", action="store_true", help="wait for another run on the same folder to finish"
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="recompute every stage and pack, whatever the previous run recorded",
    )


@dataclass(frozen=True)
class Plan:
    """A run's checked parameters and where it writes."""

    scope: str
    depth: int
    date: dt.date | None
    raw: Path | None  # None: the demo drop of the scope, generated when absent
    drop: str
    processed: Path  # the published processed folder (a link to its current generation)
    reports: Path  # the reports root; the run publishes reports/<date>
    full: bool = False  # recompute everything (no stage skipped, no pack carried)


def check(args: argparse.Namespace, s: Settings) -> Plan:
    """Every parameter and the folders the run writes, before any work (raises PreflightError)."""
    paths = s.paths.resolved()
    scope = preflight.scope(args.scope or s.desk.unit_code)
    depth = preflight.depth(args.depth)
    date = preflight.date(args.date)
    raw = preflight.raw_folder(args.raw) if args.raw is not None else None
    drop = raw.name if raw else f"demo-{demo_scope_for(scope).replace('.', '')}"
    processed = paths.processed / drop
    preflight.writable_folder(paths.processed, "folder data olahan", s.run.min_free_mb)
    preflight.writable_folder(processed, "folder data olahan", s.run.min_free_mb)
    preflight.writable_folder(paths.reports, "folder laporan", s.run.min_free_mb)
    if raw is None:
        preflight.writable_folder(paths.raw, "folder drop mentah", s.run.min_free_mb)
    full = bool(getattr(args, "full", False))
    return Plan(scope, depth, date, raw, drop, processed, paths.reports, full)


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """The daily brief; its console output kept as a log, its status line written (analysis.runlog)."""
    s = settings or default_settings()
    return runlog.recorded(s, lambda: _run(args, s))


def _run(args: argparse.Namespace, s: Settings) -> int:
    from analysis.packs.share import ShareError
    from analysis.packs.share import preflight as share_preflight

    try:
        share_preflight(s.share)  # a required passphrase missing stops the run before any work
        plan = check(args, s)
    except (ShareError, preflight.PreflightError) as exc:
        console.error(exc)
        return runguard.EXIT_PARAMETERS
    work = lambda: _run_locked(plan, args.workers, s)  # noqa: E731
    return runguard.guarded(plan.processed, work, s, getattr(args, "wait", False))


def _demo_drop(plan: Plan, s: Settings) -> Path:
    """The scope's demo drop, generated when absent."""
    from analysis import demo as demo_mod

    dscope = demo_scope_for(plan.scope)
    raw = s.paths.resolved().raw / plan.drop
    if not is_demo(raw):
        t0 = _stage(f"demo: generating the synthetic scenario for {dscope} into {raw}")
        demo_mod.generate(dscope, s.demo.seed, s.demo.as_of, raw)
        _done(t0)
    else:
        console.say(f"demo drop present: {raw}")
    return raw


def _clock(
    raw: Path, plan: Plan, s: Settings
) -> tuple[bool, dt.date, dt.datetime, dt.datetime | None]:
    """(demo?, report date, as-of time, previous report time) of the run."""
    if is_demo(raw):  # made and marked by the generator: its clock is the scenario's, not today's
        date = plan.date or s.demo.as_of.date()
        as_of, previous = demo_times(date, plan.scope, s)
        return True, date, as_of, previous
    date = plan.date or dt.date.today()
    return False, date, min(report_time(date, plan.scope), dt.datetime.now(dt.UTC)), None


def _run_locked(plan: Plan, workers: int, s: Settings) -> int:
    """The run, holding the lock: everything written into new generations, published at the end."""
    t_all = time.perf_counter()
    raw = plan.raw or _demo_drop(plan, s)
    demo, date, as_of, previous = _clock(raw, plan, s)
    gen_id = publish.new_id()
    # a record of skipped stages is trusted only in the generation the daily run wrote it in (a
    # single-stage command writes a generation without it): gen_id, then the published ones' ids
    ids = (
        gen_id,
        *(_generation_id(live) for live in (plan.processed, plan.reports / date.isoformat())),
    )
    lives = [plan.processed, plan.reports / date.isoformat()]
    other = _other_drop(lives[1], raw.name)
    ok = True  # stays so when the run finds nothing new (publish.Unchanged)
    with publish.staged(lives, gen_id) as (processed, reports_day):
        if other:
            _start_day_afresh(reports_day)
        ok = _stages(
            raw,
            processed,
            reports_day.parent,
            plan,
            workers,
            s,
            demo,
            date,
            as_of,
            previous,
            ids,
        )
    index = plan.reports / date.isoformat() / "index.html"
    runlog.note(index=index, generasi=gen_id)
    console.say(f"\ndaily brief done in {time.perf_counter() - t_all:.1f} s → {index}", block=True)
    return 0 if ok else runguard.EXIT_FAILURES


def _other_drop(day: Path, drop: str) -> str | None:
    """The other drop a report date's published reports were made from: those reports are kept
    beside it (``<date>.<drop>``, listed in the archive) and this run makes the date afresh, so
    none of that drop's packs, flash reports or delivery list is carried; said on stderr and in
    the run's log."""
    import os
    import shutil

    from analysis.packs.index import made_from

    other = made_from(day)
    now = publish.current(day)
    if other is None or other == drop or now is None:
        return None
    aside = day.with_name(f"{day.name}.{other}")
    if aside.exists():
        shutil.rmtree(aside)
    shutil.copytree(now, aside, copy_function=os.link, symlinks=True)
    console.say(
        f"PERHATIAN: laporan tanggal {day.name} dibuat dari drop {other}; laporan itu disimpan di "
        f"{aside} dan run ini (drop {drop}) membuat tanggal itu dari awal — laporan, laporan kilat "
        f"dan daftar kirim drop {other} tidak dibawa.",
        stream=sys.stderr,
    )
    return other


def _start_day_afresh(day: Path) -> None:
    """Empty the new generation of a report date (a hard-link copy of the published one)."""
    import shutil

    for entry in day.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _generation_id(live: Path) -> str | None:
    now = publish.current(live)
    return now.parent.name if now is not None else None


def _stages(
    raw: Path, processed: Path, reports: Path, plan: Plan, workers: int, s: Settings,
    demo: bool, date: dt.date, as_of: dt.datetime, previous: dt.datetime | None,
    ids: tuple[str, str | None, str | None],
) -> bool:  # fmt: skip
    """Ingest, reconcile, analyse and the packs into the new generations; True when all went well.

    Each stage runs only when the hashes of its inputs differ from those the previous generation
    recorded (:mod:`analysis.incremental`); a run that finds nothing new raises
    :class:`~analysis.publish.Unchanged`, so the published generations stay as they are.
    """
    gen_id = ids[0]
    rec = incremental.Record.load(processed, ids[1], gen_id)
    if plan.full:
        rec.stages.clear()
    base = {
        "pengaturan": incremental.settings_fingerprint(s),
        "kode": incremental.code_fingerprint(),
    }
    from analysis.packs.execute import EarlyWorkers

    # the pack workers start after ingest or reconcile when a stage ran, and stop when the run
    # ends (not during ingest: its own processes and memory peak come first)
    with contextlib.ExitStack() as stack:
        early = EarlyWorkers(stack, workers, s.share, plan.scope, plan.depth, demo)
        _ingest(raw, processed, s, rec, base, plan.full)
        if not demo:
            as_of = data_clock(processed, raw, as_of)
        if rec.ran:
            early.start()
        previous = _reconcile(raw, processed, s, rec, base, plan, demo, as_of, previous)
        if rec.ran:
            early.start()
        run_info = {
            "demo": demo,
            "raw": str(raw),
            "drop": raw.name,
            "as_of": as_of.isoformat(),
            "previous_as_of": previous.isoformat() if previous else None,
            "tanggal": date.isoformat(),
            "scope": plan.scope,
            "code_version": code_version(),
        }
        _write_run_info(processed, run_info, rec, gen_id)
        failed = _analyse(processed, s, rec, base)
        from analysis.packs import kilat  # flash reports of new kritis problems (issue 15, item 4)

        flashed = kilat.run_stage(processed, reports / date.isoformat(), plan.scope, as_of, previous, demo, gen_id, s)  # fmt: skip
        result = _packs(processed, reports, plan, workers, s, date, rec, base, run_info, ids, early)
        for line in failed:
            console.say(line, stream=sys.stderr)
        if not rec.ran:
            console.say(
                "\ntidak ada yang baru: tidak ada yang ditulis; generasi yang terbit tetap",
                block=True,
            )
            raise publish.Unchanged
        rec.save()
        return (result is None or result.ok) and not failed and flashed


def _ingest(
    raw: Path, processed: Path, s: Settings, rec: incremental.Record, base: dict, full: bool = False
) -> None:
    t0 = _stage(f"ingest + validate: {raw}")
    files, change = rec.drop_parts(raw)
    parts = {"berkas": files, "versi_pembaca": incremental.reader_version(), **base}
    decision = rec.decide("ingest", parts, {"berkas": change})
    console.say(decision.line())
    if decision.run:
        from analysis import ingest
        from analysis.reconcile import sample

        rec.forget("ingest")
        accounting = ingest.run_ingest(
            raw, processed, s, known=rec.stat_cache, take_unchanged=not full
        )
        for message in accounting.messages:
            console.say(message)
        for line in accounting.redone():
            console.say(line)
        console.say(accounting.table(), block=True)
        console.say(sample.take_in(raw, processed).line())
    rec.done("ingest", parts, decision.run)
    _done(t0)


def _reconcile(
    raw: Path, processed: Path, s: Settings, rec: incremental.Record, base: dict, plan: Plan, demo: bool,
    as_of: dt.datetime, previous: dt.datetime | None,
) -> dt.datetime | None:  # fmt: skip
    """Reconcile as of the report time; returns the previous report time the run compares with.

    A demo replays the desk's earlier runs (the previous report; over the count night for a
    province or kab/kota demo, docs/domain.md §11): reconstructions from the files, so they are
    made again whenever the stage runs. A real desk's kept runs are records: made only if absent.
    The national demo does not replay the night: each would be a full national reconciliation."""
    from analysis import reconcile

    t0 = _stage(f"reconcile as of {as_of.isoformat()}")
    replay = demo and plan.scope != regions.NATIONAL
    night = [t for t in s.demo.night_runs if t < as_of] if replay else []
    times = sorted({*night, *([previous] if previous else [])})
    parts = {
        "hulu": rec.fingerprint("ingest"),
        "waktu_acuan": as_of.isoformat(),
        "sebelumnya": previous.isoformat() if previous else "",
        "malam": incremental.digest([t.isoformat() for t in times]),
        **base,
    }
    decision = rec.decide("reconcile", parts)
    console.say(decision.line())
    inputs = None
    if decision.run:
        rec.forget("reconcile")
        inputs = reconcile.load_inputs(processed)
        for t in times:
            _replay(raw, processed, s, rec, base, demo, t, inputs)
    previous = previous or reconcile.previous_run(processed, as_of)
    if decision.run:
        kept = _kept(processed, rec, base)
        result = reconcile.run_reconcile(
            processed, as_of, s, previous, raw=raw, inputs=inputs, kept=kept, by_part=True,
            take_parts=not plan.full,
        )  # fmt: skip
        for step in (result.bagian, *result.per_kontestasi.values(), result.bagian_perubahan):
            if step is not None:
                console.say(step.reuse.line())
    rec.done("reconcile", parts, decision.run)
    _done(t0)
    return previous


def _replay(
    raw: Path, processed: Path, s: Settings, rec: incremental.Record, base: dict, demo: bool,
    t: dt.datetime, inputs: ReconInputs,
) -> None:  # fmt: skip
    """One earlier run the report compares with. A real desk's is a record: made only if absent.
    A demo's is a reconstruction: made again unless the one kept was made of the same inputs (the
    data known by then, the pulls taken by then, the run before it, code and settings)."""
    from analysis import reconcile

    if not demo:
        if not reconcile.has_history(processed, t):
            kept = _kept(processed, rec, base)
            reconcile.run_reconcile(processed, t, s, raw=raw, inputs=inputs, kept=kept)
        return
    pulls = _pulls(raw, rec, base, t)
    key = reconcile.replay_key(inputs, t, pulls, processed, base)
    if reconcile.kept_key(processed, t) == key:
        console.say(f"rekonsiliasi per {t.isoformat()}: masukannya sama, diambil apa adanya")
        return
    kept = _kept(processed, rec, base)
    reconcile.run_reconcile(processed, t, s, raw=raw, inputs=inputs, key=key, kept=kept)


def _pulls(raw: Path, rec: incremental.Record, base: dict, t: dt.datetime) -> str:
    """The key of the KPU pulls a run as of ``t`` takes: their files' content hashes (from the
    run's walk of the drop), code and settings."""
    from analysis.reconcile.agregat import pulls_key

    return incremental.digest({"tarikan": pulls_key(raw, t, _shas(rec)), **base})


def _kept(processed: Path, rec: incremental.Record, base: dict) -> Kept:
    """Where each KPU pull's reading is kept, under code and settings, with the run's hashes."""
    from analysis.reconcile.agregat import Kept

    return Kept(processed, incremental.digest(base), _shas(rec))


def _shas(rec: incremental.Record) -> dict[str, str] | None:
    """The drop's files' sha256 from the run's walk of the drop (None when it has none)."""
    return {rel: sha for rel, sha in rec.drop.items() if len(sha) == 64} if rec.drop else None


def _write_run_info(processed: Path, facts: dict, rec: incremental.Record, gen_id: str) -> None:
    """``run.json``: the run's facts, with when it ran; rewritten only when a stage ran or the
    facts changed (a run that changed nothing leaves it as the run that made the data wrote it)."""
    from analysis.packs.load import run_facts

    if not rec.ran and run_facts(processed) == facts:
        return
    stamp = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generasi": gen_id,
    }
    publish.write_text_atomic(processed / "run.json", json.dumps({**facts, **stamp}, indent=2))


def _analyse(processed: Path, s: Settings, rec: incremental.Record, base: dict) -> list[str]:
    """Screens, kerawanan, follow-up; the lines of the steps that failed."""
    t0 = _stage("analyse: screens, kerawanan, follow-up")
    parts = {"hulu": rec.fingerprint("reconcile"), **base}
    decision = rec.decide("analyse", parts)
    console.say(decision.line())
    failed: list[str] = []
    if decision.run:
        from analysis.analyse.stage import run_analyse

        rec.forget("analyse")
        analysed = run_analyse(processed, s)
        failed = [f"analitik gagal: {o.step.id} — {o.pesan}" for o in analysed.failed]
    if not failed:
        rec.done("analyse", parts, decision.run)
    _done(t0)
    return failed


def _packs(
    processed: Path, reports: Path, plan: Plan, workers: int, s: Settings, date: dt.date,
    rec: incremental.Record, base: dict, facts: dict, ids: tuple[str, str | None, str | None],
    early: EarlyWorkers | None = None,
) -> BriefResult | None:  # fmt: skip
    """The packs of the scope: prepared inputs and packs only where their inputs changed."""
    from analysis.packs import carry, execute

    t0 = _stage(f"briefing packs: {plan.scope} and {plan.depth} tier(s) below")
    inputs = {"hulu": rec.fingerprint("analyse"), "run": incremental.digest(facts), **base}
    prepare = rec.decide("inputs", inputs)
    console.say(prepare.line())
    day = reports / date.isoformat()
    day_record = {} if plan.full else carry.read_record(day, ids[2])
    parts = {
        "hulu": incremental.digest(inputs),
        "lingkup": incremental.digest([plan.scope, plan.depth, date.isoformat()]),
        "bagikan": incremental.digest(s.share.model_dump(mode="json")),
        **base,
    }
    before = day_record.get("tahap")
    decision = incremental.Record(day, ids[0], {"paket": before} if before else {}).decide(
        "paket", parts
    )
    console.say(decision.line())
    if not (decision.run or prepare.run):
        rec.done("inputs", inputs, False)
        n = len(day_record.get("paket", {}))
        console.say(f"paket: 0 dirender ulang, {n} dibawa (masukan sama)")
        _done(t0)
        return None
    rec.forget("inputs")
    result = execute.make_packs(
        date=date, scope=plan.scope, depth=plan.depth, processed_dir=processed,
        reports_dir=reports, workers=workers, share=s.share, prepare=prepare.run,
        previous=day_record.get("paket", {}), early=early,
    )  # fmt: skip
    rec.done("inputs", inputs, True)
    records = {
        r.kode_wilayah: carry.pack_record(
            r, result.fingerprints[r.kode_wilayah], r.waktu_data, ids[0]
        )
        for r in result.packs
        if r.status == "ok" and r.kode_wilayah in result.fingerprints
    }
    carry.write_record(day, ids[0], {"tahap": parts if result.ok else {}, "paket": records})
    n_new = len(result.rendered)
    console.say(
        f"paket: {n_new} dirender ulang, {len(result.packs) - n_new} dibawa (tidak berubah)"
    )
    _done(t0)
    return result
