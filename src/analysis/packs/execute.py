"""Make the packs of a run: plan → prepare the inputs → execute (papermill) → HTML → index.

``make_packs`` plans one pack per unit (:mod:`.plan`), prepares the per-unit inputs once
(:mod:`.inputs`), then executes the packs on a small pool of spawned workers, each keeping one
kernel warm (:mod:`.kernel`); :mod:`.render` writes each page and :mod:`.index` the index.
Output, one folder per report date::

    reports/<date>/<tingkat>/<kode>.html    the pack, self-contained, fit to forward
    reports/<date>/<tingkat>/<kode>.lampiran.html   its technical annex (same notebook run)
    reports/<date>/<tingkat>/<kode>.layar.html      its command-centre edition (same notebook run)
    reports/<date>/<tingkat>/<kode>.ipynb   the executed notebook: the record of that run
    reports/<date>/<tingkat>/<kode>.xlsx    its Excel annex (:mod:`.share`, settings ``share``)
    reports/<date>/<tingkat>/<kode>.terkunci.html   its locked edition, when a passphrase is set
    reports/<date>/kiriman/<id>.zip         one bundle per recipient (:mod:`.bundle`)
    reports/<date>/index.html               every pack with its status (ok / gagal)
    reports/<date>/index.json               the same, for machines

A pack that fails does not stop the others: its executed notebook (with the error) is kept, the
index marks it, and the command exits non-zero with a summary. ``python -m analysis brief`` is
:func:`run`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing as mp
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis import console
from analysis.domain import regions
from analysis.packs import PACK_TIERS
from analysis.packs.index import add_status, write_index
from analysis.packs.paged import PageMarks, annex_path, wall_path
from analysis.packs.plan import (
    DEFAULT_NOTEBOOK,
    PackJob,
    PackParameterError,
    as_date,
    notebook_parameters,
    pack_title,
    plan_packs,
)
from analysis.packs.results import BriefResult, PackResult, ShareOutcome
from analysis.packs.share import SharePlan
from analysis.publish import disk_full
from analysis.settings import Share, default_settings

if TYPE_CHECKING:
    from analysis.packs.carry import Carry


class PackInputError(RuntimeError):
    """Preparing the per-unit inputs failed; no pack has been executed."""


_RUNNER: Any = None
_SHARE: SharePlan | None = None  # the run's annex and locked-edition plan, in each worker
# Run in each worker's kernel after the notebook's imports: the sections' one-off costs (chart
# renderer start-up, region names), paid while the main process prepares the inputs. One
# expression, no name left behind.
_WARM_UP_CODE = "__import__('analysis.packs.sections', fromlist=['warm_up']).warm_up()"


def _worker_init(execution_timeout: int, notebook: Path, share: SharePlan | None) -> None:
    """Start of a spawned worker: one runner (one warm kernel, imports done) for its life."""
    global _RUNNER, _SHARE
    _SHARE = share
    from multiprocessing import util

    from analysis.packs.kernel import PackRunner

    _RUNNER = PackRunner(execution_timeout=execution_timeout)
    _RUNNER.warm_up(notebook, extra_code=_WARM_UP_CODE)
    warm_up_html()
    from analysis.packs.share import warm_up

    warm_up(share)
    # shut the kernel down when the pool is closed (finalisers run on a worker's normal exit)
    util.Finalize(_RUNNER, _RUNNER.close, exitpriority=10)


def warm_up_html() -> None:
    """Build the HTML exporter (nbconvert, the template's Jinja environment) on an empty
    notebook, so a worker's first pack does not pay it (~0.5 s). Failures are left to that pack."""
    try:
        import nbformat

        from analysis.packs.render import to_html

        to_html(nbformat.v4.new_notebook(), "")
    except Exception:  # noqa: BLE001
        return


def _run_job(
    job: PackJob, notebook: Path, runner: Any = None, share: SharePlan | None = None
) -> PackResult:
    """Execute one pack and render its pages (the pack, its technical annex, its command-centre
    edition), then its Excel annex and locked edition when planned; any failure is recorded,
    never raised."""
    from analysis.packs.render import write_pages
    from analysis.packs.share import clear_outputs, finish_pack

    runner = runner or _RUNNER
    share = share or _SHARE
    start = time.perf_counter()
    try:
        outcome = runner.run(notebook, job.ipynb, job.parameters, cwd=notebook.parent)
        if outcome.ok:
            sizes = write_pages(outcome.notebook, job.html, pack_title(job), page_marks(job))
            size = sizes["paket"]
            extra = finish_pack(share, job) if share else ShareOutcome()
            return PackResult(
                job.kode_wilayah, job.tingkat, job.nama, "ok", job.ipynb, job.html, size,
                time.perf_counter() - start, share=extra,
            )  # fmt: skip
        error = outcome.error
    except Exception as exc:  # rendering failed: the pack fails alone
        if disk_full(exc):  # ...unless the machine is out of room: that stops the run
            raise
        error = f"{type(exc).__name__}: {exc}"
    # never leave a stale pack (or its annex, its slides) from an earlier run beside the failure
    for path in (job.html, annex_path(job.html), wall_path(job.html)):
        path.unlink(missing_ok=True)
    clear_outputs(job.html)
    return PackResult(
        job.kode_wilayah, job.tingkat, job.nama, "gagal", job.ipynb, None, 0,
        time.perf_counter() - start, error.splitlines()[0][:500] if error else "unknown error",
    )  # fmt: skip


def page_marks(job: PackJob) -> PageMarks:
    """The printed margins' marks of a pack: its unit, its date, DATA SIMULASI from its run."""
    from analysis.packs.load import read_run_info

    processed = Path(str(job.parameters.get("processed_dir", "")))
    return PageMarks(job.nama, as_date(job.parameters["tanggal"]), read_run_info(processed).demo)


def _run_job_in_worker(args: tuple[PackJob, Path]) -> PackResult:
    return _run_job(*args)


def prepare_inputs(processed_dir: Path) -> None:
    """The per-unit pack inputs of the run, once, before the packs."""
    from analysis.packs.inputs import prepare_pack_inputs

    prepare_pack_inputs(processed_dir)


def _prepare_with_notice(processed: Path, progress: bool) -> None:
    if progress:
        console.say(f"preparing per-unit pack inputs in {processed} …", stream=sys.stderr)
    start = time.perf_counter()
    try:
        prepare_inputs(processed)
    except Exception as exc:
        raise PackInputError(
            f"preparing the pack inputs from {processed} failed (no pack was made): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if progress:
        console.say(f"  ({time.perf_counter() - start:.1f} s)", stream=sys.stderr)


def _tick(bar: Any, results: list[PackResult], r: PackResult) -> None:
    results.append(r)
    bar.set_postfix_str(f"{r.tingkat} {r.kode_wilayah} {r.status}", refresh=False)
    bar.update(1)


def _run_here(
    order: list[PackJob], notebook: Path, timeout: int, before: Callable[[], None] | None,
    new_bar: Callable[[], Any], share: SharePlan | None = None,
) -> list[PackResult]:  # fmt: skip
    """The packs one after another on one warm kernel in this process."""
    results: list[PackResult] = []
    from analysis.packs.kernel import PackRunner

    if before:
        before()
    runner = PackRunner(execution_timeout=timeout)
    bar = new_bar()
    try:
        for job in order:
            _tick(bar, results, _run_job(job, notebook, runner, share))
    finally:
        runner.close()
        bar.close()
    return results


@dataclass
class PackPool:
    """A pool of spawned pack workers, each warming its kernel up as soon as it starts; ``used``
    once a pack has been given to it (a pool that made no pack is stopped, not waited for)."""

    pool: Any
    used: bool = False


@contextlib.contextmanager
def pack_pool(
    workers: int, notebook: Path, share: SharePlan | None, timeout: int = 300
) -> Iterator[PackPool]:
    """Start ``workers`` pack workers now (their kernels warm up while this process works on);
    on leaving, a used pool is closed normally (each worker shuts its kernel down), any other
    stopped."""
    # spawn, not fork: a forked copy of a process that has used vl-convert hangs
    ctx = mp.get_context("spawn")
    held = PackPool(ctx.Pool(workers, _worker_init, (timeout, notebook, share)))
    closed = False
    try:
        yield held
        if held.used:
            held.pool.close()
            closed = True
    finally:
        if not closed:  # interrupted, failed or never used: stop the workers
            held.pool.terminate()
        held.pool.join()


class EarlyWorkers:
    """The pack workers of a daily run, started as soon as the run knows it has work (after
    ingest, or reconcile, when a stage ran), so their kernels warm up beside reconcile and
    analyse — which keep about one core busy — instead of beside the pack inputs (not beside
    ingest, whose own processes and memory peak come first). The run's share plan is made
    when they start (the passphrases read; its notes said then), and the passphrases are out of
    the environment from then until the run ends, as :func:`make_packs` does for its own
    workers. The workers stop when the run ends, used or not."""

    def __init__(
        self, stack: contextlib.ExitStack, workers: int, share: Share, scope: str, depth: int,
        demo: bool,
    ) -> None:  # fmt: skip
        self.stack, self.workers, self.share = stack, workers, share
        self.scope, self.depth, self.demo = scope, depth, demo
        self.pool: PackPool | None = None
        self.plan: SharePlan | None = None

    def notebook_is(self, notebook: Path) -> bool:
        """Whether these workers run ``notebook`` (they warm the default pack notebook up)."""
        return Path(notebook).resolve() == DEFAULT_NOTEBOOK.resolve()

    def start(self) -> None:
        """Start the workers (once; not for fewer than two workers or a single pack)."""
        if self.pool is not None or self.workers < 2:
            return
        from analysis.packs.plan import plan_units
        from analysis.packs.share import passphrases_hidden, plan_share

        units = plan_units(self.scope, self.depth)
        if len(units) < 2:
            return
        plan = plan_share(self.share, {t for _, t, _ in units}, self.demo, say=_say)
        self.stack.enter_context(passphrases_hidden(self.share))
        self.pool = self.stack.enter_context(pack_pool(self.workers, DEFAULT_NOTEBOOK, plan))
        # closed normally when the run ends, even unused (long warm by then): each worker shuts
        # its kernel down instead of leaving it to notice its parent is gone
        self.pool.used = True
        self.plan = plan


def _run_in_pool(
    order: list[PackJob], notebook: Path, workers: int, timeout: int,
    before: Callable[[], None] | None, new_bar: Callable[[], Any], share: SharePlan | None = None,
    pool: PackPool | None = None,
) -> list[PackResult]:  # fmt: skip
    """The packs on a pool of spawned workers, each with its own warm kernel (``pool``: one
    already started, left open for its owner)."""
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(pack_pool(workers, notebook, share, timeout))
        results: list[PackResult] = []
        if before:
            before()
        pool.used = True
        bar = new_bar()
        try:
            jobs = [(j, notebook) for j in order]
            for r in pool.pool.imap_unordered(_run_job_in_worker, jobs):
                _tick(bar, results, r)
        finally:
            bar.close()
    return results


def execute_packs(
    jobs: list[PackJob],
    notebook: Path = DEFAULT_NOTEBOOK,
    workers: int = 2,
    progress: bool = True,
    execution_timeout: int = 300,
    before: Callable[[], None] | None = None,
    share: SharePlan | None = None,
    pool: PackPool | None = None,
) -> list[PackResult]:
    """Execute ``jobs``; ``workers=0`` runs them in this process (one warm kernel).

    ``before`` (e.g. preparing the per-unit inputs) runs in this process while the workers start
    their kernels and import what the notebook imports. ``share``: each pack's annex and locked
    edition (:mod:`.share`). ``pool``: workers already started (:func:`pack_pool`), used
    whatever the number of jobs.
    """
    from tqdm import tqdm

    # the widest packs first, so no worker is left with a slow one at the end
    order = sorted(jobs, key=lambda j: PACK_TIERS.index(j.tingkat))

    def new_bar() -> Any:
        return tqdm(
            total=len(jobs), desc="paket", unit="paket", disable=not progress, file=sys.stderr
        )

    if pool is None and (workers <= 0 or len(jobs) == 1):
        results = _run_here(order, notebook, execution_timeout, before, new_bar, share)
    else:
        n = min(workers, len(jobs))
        results = _run_in_pool(
            order, notebook, n, execution_timeout, before, new_bar, share, pool
        )  # fmt: skip
    rank = {j.kode_wilayah: i for i, j in enumerate(jobs)}
    return sorted(results, key=lambda r: rank[r.kode_wilayah])


def analyse_failures(processed: Path, as_of: dt.datetime | None) -> list[str]:
    """The analyse stage's steps that did not give this run's figures, one line each (Indonesian):
    a step that failed, or a status left by a run for another time."""
    from analysis import catalog
    from analysis.schemas import ANALITIK_LANGKAH

    status = catalog.read_optional(ANALITIK_LANGKAH.name, processed)
    if status is None:
        return []
    out = []
    for step in status.iter_rows(named=True):
        if step["status"] == "gagal":
            out.append(f"{step['judul']}: gagal dihitung ({step['pesan']})")
        elif step["waktu_acuan"] is not None and as_of is not None and step["waktu_acuan"] != as_of:
            out.append(f"{step['judul']}: dihitung untuk waktu lain, bukan untuk laporan ini")
    return out


def make_packs(
    date: dt.date | str,
    scope: str = "16",
    depth: int = 1,
    processed_dir: Path | str | None = None,
    reports_dir: Path | str | None = None,
    workers: int = 2,
    notebook: Path | str = DEFAULT_NOTEBOOK,
    progress: bool = True,
    prepare: bool = True,
    share: Share | None = None,
    previous: dict[str, dict[str, Any]] | None = None,
    early: EarlyWorkers | None = None,
) -> BriefResult:
    """Make the packs of ``scope`` and its descendants down to ``depth`` tiers for ``date``, with
    their annexes, locked editions and bundles per recipient (``share``, default: the settings').

    Raises :class:`PackParameterError` (before executing anything) when a pack's parameters are
    invalid or the share settings cannot be met (:class:`~.share.ShareError`); a pack that fails
    while executing is recorded in the result and the index instead.

    ``previous`` (per pack, the record of the previous generation of this report date): the run
    is incremental (:mod:`.carry`): the inputs are prepared first, every pack is fingerprinted, and
    only those whose fingerprint changed (and their ancestors) are rendered; the others are
    carried as they are in the new generation.

    ``early``: workers the daily run started before this stage (with their share plan, made when
    they started), used instead of starting new ones.
    """
    start = time.perf_counter()
    paths = default_settings().paths.resolved()
    processed = Path(processed_dir) if processed_dir else paths.processed
    reports = Path(reports_dir) if reports_dir else paths.reports
    notebook = Path(notebook)
    day = as_date(date)
    run_params = {"lingkup": scope, "kedalaman": depth}  # so each pack links only to made packs
    declared = notebook_parameters(notebook)
    extra = {k: v for k, v in run_params.items() if k in declared}
    jobs = plan_packs(day, scope, depth, processed.resolve(), reports, notebook, extra)
    out_dir = reports / day.isoformat()
    result = BriefResult(day, scope, depth, out_dir, out_dir / "index.html")
    from analysis.packs.load import read_run_info

    run = read_run_info(processed)
    result.demo, result.drop = run.demo, run.raw
    result.stage_failures = analyse_failures(processed, run.as_of)
    from analysis.packs.bundle import make_bundles
    from analysis.packs.share import passphrases_hidden, plan_share

    share = share or default_settings().share
    started = early.pool if early is not None and early.notebook_is(notebook) else None
    if started is not None and early is not None and early.plan is not None:
        plan = early.plan
    else:
        plan = plan_share(share, {j.tingkat for j in jobs}, run.demo, say=_say)
    result.share_notes = list(plan.notes)
    before = (lambda: _prepare_with_notice(processed.resolve(), progress)) if prepare else None
    picked = None
    from analysis.packs import carry

    with passphrases_hidden(share), contextlib.ExitStack() as stack:
        pool = started
        if previous is not None:  # incremental: the inputs, then only the packs that changed
            if pool is None and workers >= 2 and len(jobs) > 1:  # warm up beside the inputs
                pool = stack.enter_context(pack_pool(workers, notebook, plan))
            if before:
                before()
            before = None
            t0 = time.perf_counter()
            shared = carry.run_parts(processed.resolve(), plan)
            picked = carry.decide(jobs, previous, shared, workers, pool.pool if pool else None)
            result.fingerprints = picked.fingerprints
            if progress:
                _say(f"sidik {len(jobs)} paket dihitung dalam {time.perf_counter() - t0:.1f} dtk")
        todo = picked.render if picked is not None else jobs
        if picked is not None:  # nothing stale: the new generation keeps only the carried packs'
            carry.sweep(out_dir, picked.carried)
        made = execute_packs(
            todo, notebook, workers=workers, progress=progress, before=before, share=plan,
            pool=pool,
        ) if todo else []  # fmt: skip
    result.packs = _with_carried(jobs, made, picked, previous or {}, run.as_of)
    result.as_of = run.as_of
    result.zona, result.tz = regions.desk_zone(scope)
    add_status(result, processed)
    result.bundles = make_bundles(result, share)
    result.seconds = time.perf_counter() - start
    write_index(result)
    return result


def _with_carried(
    jobs: list[PackJob], made: list[PackResult], picked: Carry | None,
    previous: dict[str, dict[str, Any]], as_of: dt.datetime | None,
) -> list[PackResult]:  # fmt: skip
    """The run's packs in plan order: those made now, and the carried ones as they were."""
    if picked is None:
        return made
    for r in made:
        r.waktu_data, r.berubah = (as_of.isoformat() if as_of else None), True
    from analysis.packs import carry

    by_code = {r.kode_wilayah: r for r in made}
    for job in picked.carried:
        by_code[job.kode_wilayah] = carry.carried_result(job, previous[job.kode_wilayah])
    return [by_code[j.kode_wilayah] for j in jobs]


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _naive_run(job: PackJob, notebook: Path, out: Path) -> tuple[float, bool]:
    """One ``papermill`` command for one pack, as a naive loop would run it: (seconds, succeeded)."""
    papermill = Path(sys.executable).with_name("papermill")
    notebook, out = notebook.resolve(), out.resolve()  # the command runs in the notebook's folder
    # python3: this environment's own Python (the notebook's project kernel is registered for Lab only)
    cmd = [str(papermill), str(notebook), str(out), "--no-progress-bar", "-k", "python3"]
    for k, v in job.parameters.items():
        cmd += ["-r", k, str(v)]  # -r: raw strings ("16.05" must not become a float)
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, cwd=notebook.parent, check=False)
    return time.perf_counter() - start, done.returncode == 0 and out.exists()


def bench_packs(
    processed_dir: Path | str,
    reports_dir: Path | str,
    date: dt.date | str = "2024-11-28",
    scope: str = regions.NATIONAL,
    depth: int = 2,
    naive_sample: int = 6,
    workers: int = 2,
    notebook: Path | str = DEFAULT_NOTEBOOK,
) -> dict[str, Any]:
    """Time the national set (1 + 38 + 514 packs) against the naive loop on a sample of the same packs.

    The naive loop (one ``papermill`` command per pack) is timed on ``naive_sample`` packs spread
    over the tiers of the same set, in the same run, and extrapolated to the whole set.
    """
    notebook = Path(notebook)
    result = make_packs(date, scope, depth, processed_dir, reports_dir, workers, notebook)
    jobs = plan_packs(
        date, scope, depth, Path(processed_dir).resolve(), Path(reports_dir), notebook
    )
    step = max(1, len(jobs) // max(1, naive_sample))
    sample = jobs[::step][:naive_sample]
    naive_dir = Path(reports_dir) / "_naive"
    runs = [_naive_run(j, notebook, naive_dir / f"{j.kode_wilayah}.ipynb") for j in sample]
    naive = [seconds for seconds, ok in runs if ok]  # a failed command is no fair comparison
    naive_per_pack = sum(naive) / len(naive) if naive else float("nan")
    ok_sizes = sorted(p.size_bytes for p in result.packs if p.status == "ok")
    n = len(result.packs)
    return {
        "packs": n,
        "failed": len(result.failed),
        "workers": workers,
        "seconds": round(result.seconds, 1),
        "per_pack_seconds": round(result.seconds / n, 3) if n else None,
        "naive_sample": len(sample),
        "naive_failed": len(runs) - len(naive),
        "naive_per_pack_seconds": round(naive_per_pack, 2),
        "naive_extrapolated_seconds": round(naive_per_pack * n, 1),
        "ratio": round(naive_per_pack * n / result.seconds, 1) if result.seconds else None,
        "typical_pack_bytes": ok_sizes[len(ok_sizes) // 2] if ok_sizes else 0,
        "largest_pack_bytes": ok_sizes[-1] if ok_sizes else 0,
        "index": str(result.index),
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--date", help="report date YYYY-MM-DD (default: the run's date or the demo's)"
    )
    parser.add_argument(
        "--scope", default="16", help="unit code, dotted; 00 = nasional (default 16)"
    )
    parser.add_argument("--depth", type=int, default=1, help="tiers below the scope (default 1)")
    parser.add_argument(
        "--processed", type=Path, help="processed data folder (default: the demo's)"
    )
    parser.add_argument(
        "--reports", type=Path, help="reports folder (default: settings paths.reports)"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes (0 = in this process)"
    )
    parser.add_argument("--notebook", type=Path, default=DEFAULT_NOTEBOOK, help=argparse.SUPPRESS)


def _default_processed(scope: str) -> Path:
    """The demo's processed folder for ``scope`` (as the daily brief writes it), else the root."""
    from analysis.daily import demo_scope_for

    paths = default_settings().paths.resolved()
    drop = f"demo-{regions.undotted(demo_scope_for(scope))}"
    return paths.processed / drop if (paths.processed / drop).is_dir() else paths.processed


def run(args: argparse.Namespace) -> int:
    """The CLI: checked, under the run lock of the processed folder (the pack inputs are written
    there), the packs and the inputs into new generations (analysis.runguard, analysis.publish)."""
    from analysis import preflight, publish, runguard

    s = default_settings()
    processed = args.processed or _default_processed(args.scope)
    reports = args.reports or s.paths.resolved().reports
    try:
        runguard.check_processed(processed, s)
        if not processed.is_dir():
            raise preflight.PreflightError(
                f"folder data olahan (--processed) {processed} tidak ada"
            )
        preflight.writable_folder(reports, "folder laporan (--reports)", s.run.min_free_mb)
        scope, depth = preflight.scope(args.scope), preflight.depth(args.depth)
        date = preflight.date(args.date) or _run_date(processed)
        plan_packs(date, scope, depth, processed.resolve(), reports, args.notebook)
    except (preflight.PreflightError, PackParameterError) as exc:
        console.error(str(exc).replace("\n", " "))
        return runguard.EXIT_PARAMETERS

    def work() -> int:
        with publish.staged([processed, reports / date.isoformat()]) as (folder, day):
            result = make_packs(date, scope, depth, folder, day.parent, args.workers, args.notebook)
        console.say(result.summary().replace(str(day), str(reports / date.isoformat())), block=True)
        return 0 if result.ok else runguard.EXIT_FAILURES

    return runguard.guarded(processed, work, s)


def _run_date(processed: Path) -> dt.date:
    """The report date of the processed folder's run (run.json), else the demo's."""
    run_json = processed / "run.json"
    date = None
    if run_json.exists():
        date = json.loads(run_json.read_text(encoding="utf-8")).get("tanggal")
    return as_date(date or default_settings().demo.as_of.date())
