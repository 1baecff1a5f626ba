"""Briefing packs for a unit and its descendants: validate → execute (papermill) → HTML → index.

``make_packs`` plans one pack per unit (the scope's unit and every descendant down to ``depth``
tiers), validates every pack's parameters before anything runs, prepares the per-unit inputs once,
then executes the packs on a small pool of spawned workers, each keeping one kernel warm
(:mod:`analysis.render`). Output, one folder per report date::

    reports/<date>/<tingkat>/<kode>.html    the pack, self-contained, fit to forward
    reports/<date>/<tingkat>/<kode>.ipynb   the executed notebook: the record of that run
    reports/<date>/index.html               every pack with its status (ok / gagal)
    reports/<date>/index.json               the same, for machines

A pack that fails does not stop the others: its executed notebook (with the error) is kept, the
index marks it, and the command exits non-zero with a summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import multiprocessing as mp
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis import reference
from analysis.domain import regions
from analysis.settings import REPO_ROOT, default_settings

DEFAULT_NOTEBOOK = REPO_ROOT / "notebooks" / "pack.ipynb"
PACK_TIERS: tuple[str, ...] = ("nasional", "provinsi", "kabkota", "kecamatan")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PackParameterError(ValueError):
    """A pack's parameters are invalid; nothing has been executed."""


class PackInputError(RuntimeError):
    """Preparing the per-unit inputs failed; no pack has been executed."""


@dataclass(frozen=True)
class PackJob:
    """One pack to make: a unit at its tier, with the notebook's parameters."""

    kode_wilayah: str
    tingkat: str
    nama: str
    parameters: dict[str, Any]
    ipynb: Path
    html: Path


@dataclass
class PackResult:
    """What became of one pack."""

    kode_wilayah: str
    tingkat: str
    nama: str
    status: str  # "ok" | "gagal"
    ipynb: Path
    html: Path | None
    size_bytes: int
    seconds: float
    error: str = ""


@dataclass
class BriefResult:
    """All packs of one run, plus where the index is."""

    date: dt.date
    scope: str
    depth: int
    out_dir: Path
    index: Path
    packs: list[PackResult] = field(default_factory=list)
    seconds: float = 0.0
    demo: bool = False  # the processed data came from the synthetic demo (run.json)

    @property
    def failed(self) -> list[PackResult]:
        return [p for p in self.packs if p.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """A short text summary for the console."""
        lines = [
            f"{len(self.packs) - len(self.failed)} of {len(self.packs)} packs made in "
            f"{self.seconds:.1f} s → {self.index}"
        ]
        for p in self.failed:
            lines.append(f"  FAILED {p.tingkat} {p.kode_wilayah} ({p.nama}): {p.error}")
            lines.append(f"         executed notebook kept: {p.ipynb}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# parameters


@lru_cache(maxsize=8)
def _declared_parameters(notebook: str, mtime: float) -> frozenset[str]:
    from papermill import inspect_notebook

    return frozenset(inspect_notebook(notebook))


def notebook_parameters(notebook: Path = DEFAULT_NOTEBOOK) -> frozenset[str]:
    """Names declared in the notebook's ``parameters`` cell."""
    if not notebook.exists():
        raise PackParameterError(f"{notebook}: pack notebook not found")
    names = _declared_parameters(str(notebook), notebook.stat().st_mtime)
    if not names:
        raise PackParameterError(f"{notebook}: has no cell tagged 'parameters'")
    return names


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    return frozenset(reference.regions()["kode_wilayah"].to_list()) | {regions.NATIONAL}


def validate_parameters(
    params: dict[str, Any], notebook: Path = DEFAULT_NOTEBOOK
) -> dict[str, Any]:
    """Check a pack's parameters before anything is executed; return them normalised.

    Rejected, all reported together: a name the notebook's ``parameters`` cell does not declare; a
    ``tanggal`` that is not a YYYY-MM-DD date; a ``kode_wilayah`` that is not a Kemendagri code
    (``"00"`` = nasional); a ``tingkat`` that is not a pack tier or does not match the code's tier;
    a ``processed_dir`` that is not a folder.
    """
    declared = notebook_parameters(notebook)
    errors: list[str] = []
    unknown = sorted(set(params) - declared)
    if unknown:
        errors.append(
            f"unknown parameter(s) {', '.join(unknown)}; {notebook.name} declares "
            f"{', '.join(sorted(declared))}"
        )
    out = dict(params)
    tanggal = params.get("tanggal")
    if tanggal is not None:
        text = tanggal.isoformat() if isinstance(tanggal, dt.date) else str(tanggal)
        try:
            if not _DATE.match(text):
                raise ValueError
            dt.date.fromisoformat(text)
            out["tanggal"] = text
        except ValueError:
            errors.append(f"tanggal={tanggal!r} is not a date YYYY-MM-DD")
    kode = params.get("kode_wilayah")
    tingkat = params.get("tingkat")
    if kode is not None:
        kode = str(kode)
        if kode not in _known_codes():
            errors.append(
                f"kode_wilayah={kode!r} is not a Kemendagri region code (dotted, e.g. '16.71'; "
                f"'00' = nasional)"
            )
        elif tingkat is not None and regions.tier_of(kode) != tingkat:
            errors.append(
                f"tingkat={tingkat!r} does not match kode_wilayah={kode!r}, "
                f"which is a {regions.tier_of(kode)} code"
            )
    if tingkat is not None and tingkat not in PACK_TIERS:
        errors.append(f"tingkat={tingkat!r} is not one of {', '.join(PACK_TIERS)}")
    if params.get("processed_dir") is not None:
        pdir = Path(params["processed_dir"]).resolve()
        if not pdir.is_dir():
            errors.append(f"processed_dir={str(params['processed_dir'])!r} is not a folder")
        out["processed_dir"] = str(pdir)
    if errors:
        raise PackParameterError(
            "invalid pack parameters (nothing was executed):\n  - " + "\n  - ".join(errors)
        )
    return out


# ---------------------------------------------------------------------------------------------
# planning


def plan_units(scope: str, depth: int) -> list[tuple[str, str, str]]:
    """(kode_wilayah, tingkat, nama) of the scope's unit and its descendants down to ``depth`` tiers.

    One row per pack; the scope first, then tier by tier in code order.
    """
    if scope != regions.NATIONAL and scope not in _known_codes():
        raise PackParameterError(
            f"scope {scope!r} is not a Kemendagri region code ('00' = nasional)"
        )
    if depth < 0:
        raise PackParameterError(f"depth must be 0 or more, got {depth}")
    top = PACK_TIERS.index(regions.tier_of(scope)) if regions.tier_of(scope) in PACK_TIERS else -1
    if top < 0:
        raise PackParameterError(
            f"scope {scope!r} is a {regions.tier_of(scope)} code; packs are made for "
            f"{', '.join(PACK_TIERS)}"
        )
    units = [(scope, PACK_TIERS[top], reference.unit_name(scope))]
    for tier in PACK_TIERS[top + 1 : top + 1 + depth]:
        d = reference.descendants(scope, tier).sort("kode_wilayah")
        units += [(k, tier, n) for k, n in d.select("kode_wilayah", "nama").iter_rows()]
    return units


def _as_date(date: dt.date | str) -> dt.date:
    if isinstance(date, dt.date):
        return date
    if not _DATE.match(str(date)):
        raise PackParameterError(f"date {date!r} is not YYYY-MM-DD")
    return dt.date.fromisoformat(str(date))


def plan_packs(
    date: dt.date | str,
    scope: str,
    depth: int,
    processed_dir: Path,
    reports_dir: Path,
    notebook: Path = DEFAULT_NOTEBOOK,
    extra_parameters: dict[str, Any] | None = None,
) -> list[PackJob]:
    """Every pack of a run with validated parameters (raises before anything is executed)."""
    day = _as_date(date)
    out_dir = Path(reports_dir) / day.isoformat()
    jobs = []
    for kode, tingkat, nama in plan_units(scope, depth):
        params = validate_parameters(
            {
                "tanggal": day.isoformat(),
                "tingkat": tingkat,
                "kode_wilayah": kode,
                "processed_dir": str(processed_dir),
                **(extra_parameters or {}),
            },
            notebook,
        )
        folder = out_dir / tingkat  # codes hold dots: never derive these names with with_suffix
        ipynb, page = folder / f"{kode}.ipynb", folder / f"{kode}.html"
        jobs.append(PackJob(kode, tingkat, nama, params, ipynb, page))
    return jobs


# ---------------------------------------------------------------------------------------------
# execution


def pack_title(job: PackJob) -> str:
    """The HTML page title (what a phone shows in its tab list)."""
    return f"Laporan Harian Desk Pilkada · {job.nama} · {job.parameters.get('tanggal', '')}"


_RUNNER: Any = None
# Run in each worker's kernel after the notebook's imports: the content module's one-off costs
# (chart renderer start-up, region names), paid while the main process prepares the inputs. One
# expression, no name left behind; a content module without ``warm_up`` is fine.
_WARM_UP_CODE = (
    "(lambda m: getattr(m, 'warm_up', lambda: None)())"
    "(__import__('importlib').import_module('analysis.packs'))"
)


def _worker_init(execution_timeout: int, notebook: Path) -> None:
    """Start of a spawned worker: one runner (one warm kernel, imports done) for its life."""
    global _RUNNER
    from multiprocessing import util

    from analysis.render import PackRunner

    _RUNNER = PackRunner(execution_timeout=execution_timeout)
    _RUNNER.warm_up(notebook, extra_code=_WARM_UP_CODE)
    warm_up_html()
    # shut the kernel down when the pool is closed (finalisers run on a worker's normal exit)
    util.Finalize(_RUNNER, _RUNNER.close, exitpriority=10)


def warm_up_html() -> None:
    """Build the HTML exporter (nbconvert, the template's Jinja environment) on an empty
    notebook, so a worker's first pack does not pay it (~0.5 s). Failures are left to that pack."""
    try:
        import nbformat

        from analysis.render import to_html

        to_html(nbformat.v4.new_notebook(), "")
    except Exception:  # noqa: BLE001
        return


def _run_job(job: PackJob, notebook: Path, runner: Any = None) -> PackResult:
    """Execute one pack and render its HTML; any failure is recorded, never raised."""
    from analysis.render import write_html

    runner = runner or _RUNNER
    start = time.perf_counter()
    try:
        outcome = runner.run(notebook, job.ipynb, job.parameters, cwd=notebook.parent)
        if outcome.ok:
            size = write_html(outcome.notebook, job.html, pack_title(job))
            return PackResult(
                job.kode_wilayah, job.tingkat, job.nama, "ok", job.ipynb, job.html, size,
                time.perf_counter() - start,
            )  # fmt: skip
        error = outcome.error
    except Exception as exc:  # rendering failed: the pack fails alone
        error = f"{type(exc).__name__}: {exc}"
    # never leave a stale pack from an earlier run beside the failure
    job.html.unlink(missing_ok=True)
    return PackResult(
        job.kode_wilayah, job.tingkat, job.nama, "gagal", job.ipynb, None, 0,
        time.perf_counter() - start, error.splitlines()[0][:500] if error else "unknown error",
    )  # fmt: skip


def _run_job_in_worker(args: tuple[PackJob, Path]) -> PackResult:
    return _run_job(*args)


def prepare_inputs(processed_dir: Path) -> None:
    """Run the content's one-off preparation (per-unit slices) before the packs, when it has one."""
    try:
        from analysis import packs
    except ModuleNotFoundError as exc:  # the content module is not there yet: nothing to prepare
        if exc.name != "analysis.packs":
            raise
        return
    prepare = getattr(packs, "prepare_pack_inputs", None)
    if prepare is not None:
        prepare(processed_dir)


def _prepare_with_notice(processed: Path, progress: bool) -> None:
    if progress:
        print(f"preparing per-unit pack inputs in {processed} …", file=sys.stderr, flush=True)
    start = time.perf_counter()
    try:
        prepare_inputs(processed)
    except Exception as exc:
        raise PackInputError(
            f"preparing the pack inputs from {processed} failed (no pack was made): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    if progress:
        print(f"  ({time.perf_counter() - start:.1f} s)", file=sys.stderr, flush=True)


def execute_packs(
    jobs: list[PackJob],
    notebook: Path = DEFAULT_NOTEBOOK,
    workers: int = 2,
    progress: bool = True,
    execution_timeout: int = 300,
    before: Callable[[], None] | None = None,
) -> list[PackResult]:
    """Execute ``jobs``; ``workers=0`` runs them in this process (one warm kernel).

    ``before`` (e.g. preparing the per-unit inputs) runs in this process while the workers start
    their kernels and import what the notebook imports.
    """
    from tqdm import tqdm

    results: list[PackResult] = []
    # the widest packs first, so no worker is left with a slow one at the end
    order = sorted(jobs, key=lambda j: PACK_TIERS.index(j.tingkat))
    bar = None

    def _done(r: PackResult) -> None:
        results.append(r)
        bar.set_postfix_str(f"{r.tingkat} {r.kode_wilayah} {r.status}", refresh=False)
        bar.update(1)

    def _bar() -> Any:
        return tqdm(
            total=len(jobs), desc="paket", unit="paket", disable=not progress, file=sys.stderr
        )

    if workers <= 0 or len(jobs) == 1:
        from analysis.render import PackRunner

        if before:
            before()
        runner = PackRunner(execution_timeout=execution_timeout)
        bar = _bar()
        try:
            for job in order:
                _done(_run_job(job, notebook, runner))
        finally:
            runner.close()
            bar.close()
    else:
        # spawn, not fork: a forked copy of a process that has used vl-convert hangs
        ctx = mp.get_context("spawn")
        pool = ctx.Pool(min(workers, len(jobs)), _worker_init, (execution_timeout, notebook))
        closed = False
        try:
            if before:
                before()
            bar = _bar()
            for r in pool.imap_unordered(_run_job_in_worker, [(j, notebook) for j in order]):
                _done(r)
            pool.close()  # normal exit: each worker shuts its kernel down
            closed = True
        finally:
            if bar is not None:
                bar.close()
            if not closed:  # interrupted or failed: stop the workers
                pool.terminate()
            pool.join()
    rank = {j.kode_wilayah: i for i, j in enumerate(jobs)}
    return sorted(results, key=lambda r: rank[r.kode_wilayah])


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
) -> BriefResult:
    """Make the packs of ``scope`` and its descendants down to ``depth`` tiers for ``date``.

    Raises :class:`PackParameterError` (before executing anything) when a pack's parameters are
    invalid; a pack that fails while executing is recorded in the result and the index instead.
    """
    start = time.perf_counter()
    paths = default_settings().paths.resolved()
    processed = Path(processed_dir) if processed_dir else paths.processed
    reports = Path(reports_dir) if reports_dir else paths.reports
    notebook = Path(notebook)
    day = _as_date(date)
    jobs = plan_packs(day, scope, depth, processed.resolve(), reports, notebook)
    out_dir = reports / day.isoformat()
    result = BriefResult(day, scope, depth, out_dir, out_dir / "index.html")
    from analysis.packs import read_run_info

    result.demo = read_run_info(processed).demo
    result.packs = execute_packs(
        jobs,
        notebook,
        workers=workers,
        progress=progress,
        before=(lambda: _prepare_with_notice(processed.resolve(), progress)) if prepare else None,
    )
    result.seconds = time.perf_counter() - start
    write_index(result)
    return result


# ---------------------------------------------------------------------------------------------
# index


def _ukuran(n: int) -> str:
    """File size for readers: ``12,3 KB``."""
    from analysis.fmt import angka

    if n >= 1024 * 1024:
        return f"{angka(n / 1024 / 1024, 1)} MB"
    return f"{angka(n / 1024, 1)} KB"


_TINGKAT_LABEL = {
    "nasional": "Nasional",
    "provinsi": "Provinsi",
    "kabkota": "Kab/Kota",
    "kecamatan": "Kecamatan",
}


def render_index(result: BriefResult) -> str:
    """The index page: every pack with status, tier, unit, link and size (Bahasa Indonesia)."""
    from analysis.fmt import angka, tanggal

    css = (Path(__file__).parent / "html_template" / "pack.css").read_text(encoding="utf-8")
    rows = []
    for p in result.packs:
        target = p.html if p.status == "ok" and p.html else p.ipynb
        link = target.relative_to(result.out_dir).as_posix()
        label = (
            "buka laporan"
            if p.status == "ok"
            else "catatan eksekusi (.ipynb) — laporan gagal dibuat"
        )
        status = (
            '<span class="ok">ok</span>'
            if p.status == "ok"
            else f'<span class="gagal">gagal</span><br><small>{html.escape(p.error)}</small>'
        )
        rows.append(
            f'<tr class="{p.status}" data-kode="{html.escape(p.kode_wilayah)}">'
            f'<td><a href="{html.escape(link, quote=True)}" title="{label}">{html.escape(p.nama)}</a>'
            f"<br><small>{html.escape(p.kode_wilayah)} · "
            f"{_TINGKAT_LABEL.get(p.tingkat, html.escape(p.tingkat))}</small></td>"
            f"<td>{status}</td>"
            f'<td class="angka">{_ukuran(p.size_bytes) if p.status == "ok" else "–"}</td></tr>'
        )
    n_fail = len(result.failed)
    ringkas = (
        f"{angka(len(result.packs) - n_fail)} dari {angka(len(result.packs))} laporan berhasil dibuat"
        + (f"; <strong>{angka(n_fail)} gagal</strong>" if n_fail else "")
    )
    title = f"Daftar Laporan Harian Desk Pilkada · {tanggal(result.date)}"
    banner = (
        '<div class="banner-simulasi" role="alert"><strong>DATA SIMULASI</strong> — seluruh laporan '
        "di bawah ini dibuat dari skenario demo buatan, bukan data pemilihan sebenarnya.</div>\n"
        if result.demo
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{html.escape(title)}</title>
<style>
{css}
span.gagal {{ color: var(--merah); font-weight: 700; }}
span.ok {{ color: #1f6f3a; font-weight: 700; }}
</style>
</head>
<body>
<main class="laporan">
<p class="klasifikasi">TERBATAS</p>
{banner}<h1>{html.escape(title)}</h1>
<p>{ringkas}. Lingkup: {html.escape(reference.unit_name(result.scope))} dan {result.depth} tingkat di bawahnya.</p>
<div class="tabel-gulir"><table class="tabel">
<thead><tr><th>Wilayah · tingkat</th><th>Status</th><th class="angka">Ukuran</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table></div>
</main>
</body>
</html>
"""


def write_index(result: BriefResult) -> Path:
    """Write ``index.html`` and ``index.json`` into the report date's folder."""
    result.out_dir.mkdir(parents=True, exist_ok=True)
    result.index.write_text(render_index(result), encoding="utf-8")
    records = []
    for p in result.packs:
        d = asdict(p)
        d["ipynb"] = p.ipynb.relative_to(result.out_dir).as_posix()
        d["html"] = p.html.relative_to(result.out_dir).as_posix() if p.html else None
        d["seconds"] = round(p.seconds, 3)
        records.append(d)
    (result.out_dir / "index.json").write_text(
        json.dumps(
            {
                "tanggal": result.date.isoformat(),
                "scope": result.scope,
                "depth": result.depth,
                "seconds": round(result.seconds, 2),
                "ok": result.ok,
                "packs": records,
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return result.index


# ---------------------------------------------------------------------------------------------
# benchmark


def _naive_run(job: PackJob, notebook: Path, out: Path) -> tuple[float, bool]:
    """One ``papermill`` command for one pack, as a naive loop would run it: (seconds, succeeded)."""
    papermill = Path(sys.executable).with_name("papermill")
    notebook, out = notebook.resolve(), out.resolve()  # the command runs in the notebook's folder
    cmd = [str(papermill), str(notebook), str(out), "--no-progress-bar"]
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


# ---------------------------------------------------------------------------------------------
# command line


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
    paths = default_settings().paths.resolved()
    drop = "demo-00" if scope == regions.NATIONAL else f"demo-{scope.split('.')[0]}"
    return paths.processed / drop if (paths.processed / drop).is_dir() else paths.processed


def run(args: argparse.Namespace) -> int:
    processed = args.processed or _default_processed(args.scope)
    date = args.date
    if date is None:
        run_json = processed / "run.json"
        if run_json.exists():
            date = json.loads(run_json.read_text(encoding="utf-8")).get("tanggal")
        date = date or default_settings().demo.as_of.date()
    try:
        result = make_packs(
            date, args.scope, args.depth, processed, args.reports, args.workers, args.notebook
        )
    except (PackParameterError, PackInputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.ok else 1
