"""``make bench``: measure the stages on the national scenario (a benchmark, never a test).

Then the count-night figures (:mod:`analysis.bench_night`): a re-run with no new files, one
kab/kota's new files, and a full run, each with the packs it re-rendered.

Each stage runs in a fresh spawned process, so its wall time includes its own imports and its peak
memory (max RSS) is its own. Prints a table and writes ``reports/bench/bench.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import queue
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis import console, tune_allocator
from analysis.settings import default_settings


def _measure(fn: Callable[..., Any], kwargs: dict[str, Any], queue: mp.Queue) -> None:
    t0 = time.perf_counter()
    try:
        extra = fn(**kwargs)
        error = None
    except Exception as exc:  # a benchmark reports a failing stage instead of stopping
        extra, error = None, f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - t0
    own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    peak_mb = own.ru_maxrss / 1024
    # CPU seconds of the stage and its finished workers: steadier than wall time on a busy machine
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    queue.put(
        {
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 1),
            "peak_rss_mb": round(peak_mb),
            "error": error,
            "detail": extra if isinstance(extra, dict) else None,
        }
    )


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (MB), from /proc (0 if gone)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm") as fh:
                total += int(fh.read().split()[1]) * _PAGE
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total / 2**20


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def run_stage(name: str, fn: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """Run ``fn(**kwargs)`` in a fresh spawned process: wall time, peak RSS of that process, and
    the peak of the summed RSS of that process and its workers (sampled every 0.1 s: the figure
    to hold against a memory budget; shared library pages are counted once per process, so it
    errs high)."""
    tune_allocator()  # the stage process starts with the allocator setting of the CLI
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    p = ctx.Process(target=_measure, args=(fn, kwargs, q))
    p.start()
    peak_tree = 0.0
    result = None
    while result is None:
        assert p.pid is not None
        peak_tree = max(peak_tree, _tree_rss_mb(p.pid))
        try:
            result = q.get(timeout=0.1)
        except queue.Empty:
            if not p.is_alive():
                result = {"seconds": 0.0, "peak_rss_mb": 0, "error": "stage process died"}
                result["cpu_seconds"] = 0.0
                result["detail"] = None
    p.join()
    result["stage"] = name
    result["peak_rss_tree_mb"] = round(peak_tree)
    console.say(
        f"  {name:<28} {result['seconds']:>8.1f} s   cpu {result['cpu_seconds']:>7.1f} s"
        f"   peak {result['peak_rss_mb']:>6} MB"
        f"   all processes {result['peak_rss_tree_mb']:>6} MB"
        + (f"   ERROR {result['error']}" if result["error"] else ""),
    )
    return result


def _generate(scope: str, out: Path) -> dict[str, Any]:
    from analysis import demo

    s = default_settings()
    manifest = demo.generate(scope, s.demo.seed, s.demo.as_of, out)
    return {"totals": manifest.get("totals")} if isinstance(manifest, dict) else {}


def _ingest(raw: Path, processed: Path) -> dict[str, Any]:
    from analysis.ingest import run_ingest

    acc = run_ingest(raw, processed, default_settings())
    return {"totals": acc.totals(), "balanced": acc.balanced}


def _reconcile(processed: Path) -> dict[str, Any]:
    from analysis.reconcile import run_reconcile

    s = default_settings()
    run_reconcile(processed, s.demo.previous_report, s)
    t0 = time.perf_counter()
    run_reconcile(processed, s.demo.as_of, s)
    return {"second_run_seconds": round(time.perf_counter() - t0, 2)}


def _analyse(processed: Path) -> dict[str, Any]:
    from analysis.analyse.stage import run_analyse

    result = run_analyse(processed, default_settings())
    return {o.step.id: o.status for o in result.outcomes}


def _packs(processed: Path, reports: Path, naive_sample: int) -> dict[str, Any]:
    from analysis.packs.execute import bench_packs

    return bench_packs(processed, reports, naive_sample=naive_sample, workers=2)


def _write_run_info(processed: Path) -> None:
    s = default_settings()
    info = {
        "demo": True,
        "raw": "demo-00",
        "drop": "demo-00",
        "as_of": s.demo.as_of.isoformat(),
        "previous_as_of": s.demo.previous_report.isoformat(),
        "tanggal": s.demo.as_of.date().isoformat(),
        "scope": "00",
        "code_version": "bench",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
    }
    (processed / "run.json").write_text(json.dumps(info, indent=2), encoding="utf-8")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scope", default="00", help="demo scope to benchmark on (default national)"
    )
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=10,
        help="packs run through the naive one-papermill-command-per-pack loop",
    )
    parser.add_argument("--skip-packs", action="store_true")
    parser.add_argument(
        "--skip-night", action="store_true", help="skip the count-night (incremental) figures"
    )
    parser.add_argument(
        "--night-only", action="store_true", help="only the count-night (incremental) figures"
    )


def run(args: argparse.Namespace) -> int:
    paths = default_settings().paths.resolved()
    tag = args.scope.replace(".", "")
    raw = paths.raw / f"demo-{tag}"
    processed = paths.processed / f"bench-{tag}"
    reports = paths.reports / "bench"
    results = []
    console.say(
        f"benchmark on the demo scenario {args.scope} (2 cores; each stage in a fresh process)"
    )
    if not (raw / "manifest.json").exists():
        results.append(run_stage("generate demo", _generate, scope=args.scope, out=raw))
    if not args.night_only:
        results += _stages(args, raw, processed, reports)
    if not args.skip_night:
        from analysis.bench_night import run_night

        results += run_night(args.scope, run_stage)
    reports.mkdir(parents=True, exist_ok=True)
    out = reports / "bench.json"
    out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    for r in results:
        if r.get("detail"):
            console.say(f"  {r['stage']}: {json.dumps(r['detail'], default=str)}")
    console.say(f"written {out}")
    return 1 if any(r["error"] for r in results) else 0


def _stages(
    args: argparse.Namespace, raw: Path, processed: Path, reports: Path
) -> list[dict[str, Any]]:
    """Each stage alone on the scenario: ingest cold and again, reconcile, analyse, packs."""
    results = []
    shutil.rmtree(processed, ignore_errors=True)
    results.append(run_stage("ingest + validate (cold)", _ingest, raw=raw, processed=processed))
    results.append(run_stage("ingest again (same files)", _ingest, raw=raw, processed=processed))
    results.append(run_stage("reconcile (2 runs)", _reconcile, processed=processed))
    _write_run_info(processed)
    results.append(run_stage("analyse", _analyse, processed=processed))
    if not args.skip_packs:
        shutil.rmtree(reports, ignore_errors=True)
        results.append(
            run_stage(
                "packs",
                _packs,
                processed=processed,
                reports=reports,
                naive_sample=args.naive_sample,
            )
        )
    return results
