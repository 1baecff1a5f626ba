"""The scheduled job: ``make daily-brief``.

demo drop (generated when no raw drop is given) → ingest + validate → reconcile (as of the report
time, and as of the previous report when the history lacks it) → analyse (screens, kerawanan,
follow-up) → briefing packs for the scope's unit and its descendants. Each stage prints its timing.
A failed analytic or a failed pack does not stop the packs; either makes the exit code non-zero.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from analysis import reference
from analysis.domain import regions
from analysis.settings import Settings, code_version, default_settings


def demo_scope_for(scope: str) -> str:
    """The demo drop that covers ``scope``: the national one for "00", else the scope's province."""
    return regions.NATIONAL if scope == regions.NATIONAL else scope.split(".")[0]


def report_time(date: dt.date, scope: str) -> dt.datetime:
    """The end of ``date`` in the scope's local time zone (Jakarta for the national desk)."""
    tz = "Asia/Jakarta" if scope == regions.NATIONAL else regions.time_zone(scope)[1]
    return dt.datetime.combine(date, dt.time(23, 59, 59), tzinfo=ZoneInfo(tz))


def _stage(name: str) -> float:
    print(f"\n== {name} ==", flush=True)
    return time.perf_counter()


def _done(t0: float) -> None:
    print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--date", type=dt.date.fromisoformat, help="report date YYYY-MM-DD")
    parser.add_argument(
        "--scope", help="unit code (dotted; 00 = national); default: the desk's unit"
    )
    parser.add_argument("--depth", type=int, default=1, help="tiers below the scope (default 1)")
    parser.add_argument("--raw", type=Path, help="raw drop folder; default: the demo scenario")
    parser.add_argument("--workers", type=int, default=2, help="pack worker processes")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    s = settings or default_settings()
    paths = s.paths.resolved()
    scope = args.scope or s.desk.unit_code
    if scope != regions.NATIONAL:
        try:
            reference.unit_name(scope)
        except KeyError:
            print(
                f"error: SCOPE {scope!r} is not a Kemendagri region code (e.g. 16, 16.71; 00 = national)",
                file=sys.stderr,
            )
            return 2
    from analysis.packs.share import ShareError, preflight

    try:
        preflight(s.share)  # a required passphrase missing stops the run before any work
    except ShareError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t_all = time.perf_counter()

    if args.raw is None:
        from analysis import demo as demo_mod

        dscope = demo_scope_for(scope)
        raw = paths.raw / f"demo-{dscope.replace('.', '')}"
        if not (raw / "manifest.json").exists():
            t0 = _stage(f"demo: generating the synthetic scenario for {dscope} into {raw}")
            demo_mod.generate(dscope, s.demo.seed, s.demo.as_of, raw)
            _done(t0)
        else:
            print(f"demo drop present: {raw}")
    else:
        raw = args.raw.resolve()
        if not raw.is_dir():
            print(f"error: raw drop {raw} is not a folder", file=sys.stderr)
            return 2
    demo = (raw / "manifest.json").exists()
    if demo:  # a demo drop: its clock is the scenario's, not today's
        date = args.date or s.demo.as_of.date()
        as_of = min(report_time(date, scope), s.demo.as_of)
        previous = s.demo.previous_report if s.demo.previous_report < as_of else None
    else:
        date = args.date or dt.date.today()
        as_of = min(report_time(date, scope), dt.datetime.now(dt.UTC))
        previous = None
    processed = paths.processed / raw.name

    t0 = _stage(f"ingest + validate: {raw} → {processed}")
    from analysis import ingest

    accounting = ingest.run_ingest(raw, processed, s)
    for message in accounting.messages:
        print(message)
    print(accounting.table())
    from analysis.reconcile import sample

    print(sample.take_in(raw, processed).line())
    _done(t0)

    t0 = _stage(f"reconcile as of {as_of.isoformat()}")
    from analysis import reconcile

    # a province or kab/kota demo replays the desk's runs over the count night (docs/domain.md
    # §11), so the packs can show the projection over the night; each kept run is made once. The
    # national demo does not: each replayed run is a full national reconciliation.
    replay = demo and scope != regions.NATIONAL
    night = [t for t in s.demo.night_runs if t < as_of] if replay else []
    for t in sorted({*night, *([previous] if previous else [])}):
        if not reconcile.has_history(processed, t):
            reconcile.run_reconcile(processed, t, s)
    previous = previous or reconcile.previous_run(processed, as_of)
    reconcile.run_reconcile(processed, as_of, s, previous)
    _done(t0)

    run_info = {
        "demo": demo,
        "raw": str(raw),
        "drop": raw.name,
        "as_of": as_of.isoformat(),
        "previous_as_of": previous.isoformat() if previous else None,
        "tanggal": date.isoformat(),
        "scope": scope,
        "code_version": code_version(),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    (processed / "run.json").write_text(json.dumps(run_info, indent=2), encoding="utf-8")

    t0 = _stage("analyse: screens, kerawanan, follow-up")
    from analysis.analyse.stage import run_analyse

    analysed = run_analyse(processed, s)
    _done(t0)

    t0 = _stage(f"briefing packs: {scope} and {args.depth} tier(s) below")
    from analysis.packs import execute

    result = execute.make_packs(
        date=date,
        scope=scope,
        depth=args.depth,
        processed_dir=processed,
        reports_dir=paths.reports,
        workers=args.workers,
        share=s.share,
    )
    _done(t0)
    print(f"\ndaily brief done in {time.perf_counter() - t_all:.1f} s → {result.index}")
    for o in analysed.failed:
        print(f"analitik gagal: {o.step.id} — {o.pesan}", file=sys.stderr)
    return 0 if result.ok and analysed.ok else 1
