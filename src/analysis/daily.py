"""The scheduled job: ``make daily-brief``.

parameters and the machine checked (:mod:`analysis.preflight`) → the run lock of the processed
folder (:mod:`analysis.runlock`) → demo drop (generated when no raw drop is given) → a new
generation of the processed folder and of the report date's folder (:mod:`analysis.publish`) →
ingest + validate → reconcile (as of the report time, and as of the previous report when the
history lacks it) → analyse (screens, kerawanan, follow-up) → briefing packs for the scope's unit
and its descendants → both generations published. Each stage prints its timing.

A failed analytic or a failed pack does not stop the packs; either makes the exit code 1 and the
run is published (its index says what failed). A run stopped by an error publishes nothing; the
exit codes and the one-line messages are :mod:`analysis.runguard`'s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from analysis import console, preflight, publish, runguard
from analysis.demo.marker import is_demo
from analysis.domain import regions
from analysis.settings import Settings, code_version, default_settings


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
    return Plan(scope, depth, date, raw, drop, processed, paths.reports)


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    s = settings or default_settings()
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
    lives = [plan.processed, plan.reports / date.isoformat()]
    with publish.staged(lives, gen_id) as (processed, reports_day):
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
            gen_id,
        )
    index = plan.reports / date.isoformat() / "index.html"
    console.say(f"\ndaily brief done in {time.perf_counter() - t_all:.1f} s → {index}", block=True)
    return 0 if ok else runguard.EXIT_FAILURES


def _stages(
    raw: Path, processed: Path, reports: Path, plan: Plan, workers: int, s: Settings,
    demo: bool, date: dt.date, as_of: dt.datetime, previous: dt.datetime | None, gen_id: str,
) -> bool:  # fmt: skip
    """Ingest, reconcile, analyse and the packs into the new generations; True when all went well."""
    t0 = _stage(f"ingest + validate: {raw} → {plan.processed}")
    from analysis import ingest

    accounting = ingest.run_ingest(raw, processed, s)
    for message in accounting.messages:
        console.say(message)
    console.say(accounting.table(), block=True)
    from analysis.reconcile import sample

    console.say(sample.take_in(raw, processed).line())
    _done(t0)

    t0 = _stage(f"reconcile as of {as_of.isoformat()}")
    from analysis import reconcile

    # a province or kab/kota demo replays the desk's runs over the count night (docs/domain.md
    # §11), so the packs can show the projection over the night; each kept run is made once. The
    # national demo does not: each replayed run is a full national reconciliation.
    replay = demo and plan.scope != regions.NATIONAL
    night = [t for t in s.demo.night_runs if t < as_of] if replay else []
    for t in sorted({*night, *([previous] if previous else [])}):
        if not reconcile.has_history(processed, t):
            reconcile.run_reconcile(processed, t, s, raw=raw)
    previous = previous or reconcile.previous_run(processed, as_of)
    reconcile.run_reconcile(processed, as_of, s, previous, raw=raw)
    _done(t0)

    run_info = {
        "demo": demo,
        "raw": str(raw),
        "drop": raw.name,
        "as_of": as_of.isoformat(),
        "previous_as_of": previous.isoformat() if previous else None,
        "tanggal": date.isoformat(),
        "scope": plan.scope,
        "code_version": code_version(),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "generasi": gen_id,
    }
    publish.write_text_atomic(processed / "run.json", json.dumps(run_info, indent=2))

    t0 = _stage("analyse: screens, kerawanan, follow-up")
    from analysis.analyse.stage import run_analyse

    analysed = run_analyse(processed, s)
    _done(t0)

    t0 = _stage(f"briefing packs: {plan.scope} and {plan.depth} tier(s) below")
    from analysis.packs import execute

    result = execute.make_packs(
        date=date,
        scope=plan.scope,
        depth=plan.depth,
        processed_dir=processed,
        reports_dir=reports,
        workers=workers,
        share=s.share,
    )
    _done(t0)
    for o in analysed.failed:
        console.say(f"analitik gagal: {o.step.id} — {o.pesan}", stream=sys.stderr)
    return result.ok and analysed.ok
