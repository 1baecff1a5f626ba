"""The analyse stage: ``python -m analysis analyse [--processed DIR]``, between reconcile and packs.

Runs every analytic of :data:`STEPS` on one processed folder, as of the run's time (``run.json``),
and writes each as a declared dataset through :mod:`analysis.catalog`: the TPS screens, the digit
screens per kab/kota, kerawanan for every unit from the nation down to kecamatan, and the
follow-up state carried from the previous run. Packs only read them.

A failure is loud: the stage runs every step it can, prints each failure in one line, records
every step's outcome in ``analitik__langkah`` (read by the pack inputs and the index page) and
returns non-zero. A step whose input dataset is absent is skipped (*dilewati*), as a pack section
without data says "data belum tersedia"; a step that needs a failed step is skipped too, and its
dataset removed, so no pack shows yesterday's figures as today's. The follow-up state is the
exception: it is history, kept as it was until a run can update it.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import polars as pl

from analysis import catalog, console
from analysis.analyse import digits, followup, intervals, kerawanan, problems, screens
from analysis.analyse.inputs import (
    check_ingested,
    present,
    read,
    read_results,
    resolve_processed_dir,
    run_times,
)
from analysis.catalog import CACHE_DIR
from analysis.domain import regions
from analysis.schemas import (
    ANALITIK_KERAWANAN,
    ANALITIK_LANGKAH,
    ANALITIK_PENAPISAN_TPS,
    ANALITIK_PENAPISAN_WILAYAH,
    INCIDENTS,
    READINESS,
    RECON_TPS,
    RECON_WILAYAH_STATUS,
    TALLY,
    TALLY_VOTES,
    TINDAK_LANJUT_MASALAH,
    TPS,
    Dataset,
)
from analysis.settings import Settings, default_settings

OK, FAILED, SKIPPED = "ok", "gagal", "dilewati"


class Skip(Exception):
    """A step cannot run because an input is absent (not a failure)."""


class Blocked(Skip):
    """A step cannot run because a step it needs did not succeed."""


@dataclass
class Context:
    """One run of the stage: the processed folder, its inputs (each read when first needed, so a
    corrupt file fails only the steps that read it) and the steps' outputs so far."""

    root: Path
    settings: Settings
    outputs: dict[str, pl.DataFrame] = field(default_factory=dict)

    @cached_property
    def as_of(self) -> dt.datetime | None:
        """The run's as_of, in UTC (as the packs read it)."""
        t = run_times(self.root)[0]
        return t.astimezone(dt.UTC) if t is not None else None

    @cached_property
    def incidents(self) -> pl.DataFrame:
        self.need(INCIDENTS.name)
        return read(INCIDENTS.name, self.root)

    @cached_property
    def readiness(self) -> pl.DataFrame:
        return read(READINESS.name, self.root)

    @cached_property
    def in_force(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The internal count in force as of the run (one version per TPS × contest)."""
        self.need(TALLY.name)
        self.need(TALLY_VOTES.name)
        tps, votes = read_results(self.root, "internal")
        if tps.is_empty():
            raise Skip(f"hitung internal ({TALLY.name}) kosong")
        return screens.current_results(tps, votes, self.as_of)

    def need(self, name: str) -> None:
        if not present(name, self.root):
            raise Skip(f"{name} belum ada")

    def screened(self) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
        """(TPS screen hits, the count they ran on); (None, None) without an internal count."""
        if "penapisan_tps" not in self.outputs:
            return None, None
        return self.outputs["penapisan_tps"], self.in_force[0]


# --- The steps ----------------------------------------------------------------------------------


def _tps_screens(ctx: Context) -> pl.DataFrame:
    cur, votes = ctx.in_force
    return screens.tps_screens(cur, votes, settings=ctx.settings, current=True)


def _digit_screens(ctx: Context) -> pl.DataFrame:
    cur, votes = ctx.in_force
    # Per kab/kota only: the unit a bupati/walikota contest is counted in, and the bootstrap is
    # the costly part (about 0.25 s per 10,000 TPS): only the units whose counts changed since
    # the last run draw theirs again (analysis.analyse.intervals)
    folder = ctx.root / CACHE_DIR
    memo = intervals.load(folder)
    out = digits.digit_screens(
        cur, votes, "kabkota", settings=ctx.settings, current=True, memo=memo
    )
    with contextlib.suppress(OSError):  # not kept: the next run draws them again
        intervals.save(folder, memo)
    return out


def scored_units(root: Path) -> list[str]:
    """The units kerawanan is scored for: the nation and every provinsi, kab/kota and kecamatan
    of the region tree that holds a TPS of the drop (TPS list, or reconcile's units)."""
    from analysis import reference

    codes: set[str] = {regions.NATIONAL}
    if present(RECON_WILAYAH_STATUS.name, root):
        codes |= set(read(RECON_WILAYAH_STATUS.name, root)["kode_wilayah"].to_list())
    if present(TPS.name, root):
        for desa in read(TPS.name, root)["kode_desa"].unique().to_list():
            codes |= {regions.ancestor_at(desa, d) for d in range(1, kerawanan.DEEPEST + 1)}
    known = set(reference.regions()["kode_wilayah"].to_list()) | {regions.NATIONAL}
    return sorted(c for c in codes & known if regions.depth(c) <= kerawanan.DEEPEST)


def _kerawanan(ctx: Context) -> pl.DataFrame:
    hits, cur = ctx.screened()
    units = scored_units(ctx.root)
    return kerawanan.kerawanan_scores(
        ctx.incidents, units, ctx.as_of, hits, cur, ctx.readiness, ctx.settings
    )


def previous_state(root: Path) -> pl.DataFrame | None:
    """The follow-up state of the previous run (None on the first run). A state written before
    the analyse stage existed is read too (analysis.catalog.LEGACY_FILES)."""
    if present(TINDAK_LANJUT_MASALAH.name, root):
        return read(TINDAK_LANJUT_MASALAH.name, root)
    return None


def _followup(ctx: Context) -> pl.DataFrame:
    incidents = ctx.incidents
    if ctx.as_of is None:
        raise Skip("waktu acuan belum ada (run.json tanpa as_of)")
    hits, _ = ctx.screened()
    found = [problems.problems_from_screens(hits)] if hits is not None else []
    if present(RECON_TPS.name, ctx.root):
        found.append(problems.problems_from_recon(read(RECON_TPS.name, ctx.root)))
    probs = pl.concat(found, how="diagonal_relaxed") if found else None
    tz = regions.desk_time_zone(ctx.settings.desk.unit_code)
    previous = previous_state(ctx.root)
    return followup.update_followup(previous, incidents, probs, ctx.as_of, tz)


@dataclass(frozen=True)
class Step:
    """One analytic: its id, what it computes (Indonesian), the dataset it writes, the steps whose
    output it uses (each must not have failed), and whether its dataset is state to keep."""

    id: str
    judul: str
    dataset: Dataset
    after: tuple[str, ...]
    fn: Callable[[Context], pl.DataFrame]
    state: bool = False


STEPS: tuple[Step, ...] = (
    Step("penapisan_tps", "Penapisan anomali per TPS", ANALITIK_PENAPISAN_TPS, (), _tps_screens),
    Step(
        "penapisan_wilayah",
        "Uji digit per kabupaten/kota",
        ANALITIK_PENAPISAN_WILAYAH,
        (),
        _digit_screens,
    ),
    Step(
        "kerawanan",
        "Kerawanan wilayah",
        ANALITIK_KERAWANAN,
        ("penapisan_tps",),
        _kerawanan,
    ),
    Step(
        "tindak_lanjut",
        "Rekomendasi dan tindak lanjut",
        TINDAK_LANJUT_MASALAH,
        ("penapisan_tps",),
        _followup,
        state=True,
    ),
)


# --- Running them -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one step did: a row of ``analitik__langkah``."""

    step: Step
    status: str
    pesan: str | None
    n_baris: int | None
    detik: float

    @property
    def line(self) -> str:
        what = f"{self.step.id} ({self.step.judul})"
        if self.status == OK:
            return f"   {what}: ok, {self.n_baris} baris ({self.detik:.1f} s)"
        return f"   {what}: {self.status.upper()} — {self.pesan}"


def one_line(exc: BaseException) -> str:
    """An error in one line: its type, message and where it was raised."""
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" [{Path(where.filename).name}:{where.lineno}]" if where else ""
    return " ".join(f"{type(exc).__name__}: {exc}".split()) + at


def run_step(step: Step, ctx: Context, broken: set[str]) -> Outcome:
    """Run one step and write its dataset; a failure is caught here and reported, never lost."""
    t0 = time.perf_counter()
    blocked = [s for s in step.after if s in broken]
    try:
        if blocked:
            raise Blocked(f"tidak dihitung: {', '.join(blocked)} tidak berhasil")
        df = step.fn(ctx)
        catalog.write(df, step.dataset.name, root=ctx.root)
    except Blocked as why:
        broken.add(step.id)
        status, pesan, n = SKIPPED, str(why), None
    except Skip as why:
        status, pesan, n = SKIPPED, str(why), None
    except Exception as exc:  # noqa: BLE001 — reported in the status and the exit code
        broken.add(step.id)
        status, pesan, n = FAILED, one_line(exc), None
    else:
        ctx.outputs[step.id] = df
        status, pesan, n = OK, None, df.height
    if status != OK and not step.state:
        # no stale figures: a pack must not show a previous run's result as today's
        catalog.processed_path(step.dataset.name, root=ctx.root).unlink(missing_ok=True)
    return Outcome(step, status, pesan, n, time.perf_counter() - t0)


def status_frame(outcomes: list[Outcome], as_of: dt.datetime | None) -> pl.DataFrame:
    """The ``analitik__langkah`` rows of a run."""
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "langkah": o.step.id,
            "judul": o.step.judul,
            "dataset": o.step.dataset.name,
            "status": o.status,
            "pesan": o.pesan,
            "n_baris": o.n_baris,
            "detik": round(o.detik, 2),
            "waktu_acuan": as_of,
            "waktu_proses": now,
        }
        for o in outcomes
    ]
    return pl.DataFrame(rows, schema=ANALITIK_LANGKAH.polars_schema)


@dataclass(frozen=True)
class AnalyseResult:
    """The stage's outcome: one :class:`Outcome` per step."""

    outcomes: list[Outcome]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == FAILED]

    @property
    def ok(self) -> bool:
        return not self.failed


def run_analyse(processed_dir: Path | str, settings: Settings | None = None) -> AnalyseResult:
    """Run every step on ``processed_dir``, write their datasets and ``analitik__langkah``.

    Prints one line per step (failures to stderr too). Raises
    :class:`~analysis.analyse.inputs.ProcessedDataMissing` when the folder holds no ingest output.
    """
    root = Path(processed_dir)
    check_ingested(root)
    ctx = Context(root, settings or default_settings())
    outcomes: list[Outcome] = []
    broken: set[str] = set()  # steps that failed, or could not run because another failed
    for step in STEPS:
        o = run_step(step, ctx, broken)
        outcomes.append(o)
        console.say(o.line)
        if o.status == FAILED:
            console.say(f"GAGAL analitik {step.id}: {o.pesan}", stream=sys.stderr)
    try:
        as_of = ctx.as_of
    except ValueError:  # an unreadable run.json: every step has already said so
        as_of = None
    catalog.write(status_frame(outcomes, as_of), ANALITIK_LANGKAH.name, root=ctx.root)
    return AnalyseResult(outcomes)


# --- Command line -------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--processed",
        type=Path,
        help="processed folder (default: data/processed/demo-<scope> when present, else data/processed)",
    )


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    from analysis import preflight, publish, runguard
    from analysis.analyse.inputs import ProcessedDataMissing

    s = settings or default_settings()
    live = resolve_processed_dir(args.processed, s, pin=False)
    try:
        runguard.check_processed(live, s)
    except preflight.PreflightError as exc:
        console.error(exc)
        return runguard.EXIT_PARAMETERS

    def work() -> int:
        console.say(f"analitik: {live}")
        try:
            with publish.staged([live]) as (root,):
                result = run_analyse(root, s)
        except ProcessedDataMissing as exc:
            console.error(exc)
            return runguard.EXIT_PARAMETERS
        if not result.ok:
            names = ", ".join(o.step.id for o in result.failed)
            console.say(
                f"analitik gagal: {names} (lihat {ANALITIK_LANGKAH.name})", stream=sys.stderr
            )
            return runguard.EXIT_FAILURES
        return 0

    return runguard.guarded(live, work, s)
