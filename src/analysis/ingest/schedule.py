"""The mechanics of speed: worker processes, prefetch, background writes, the validator's warm-up.

Nothing here decides anything about a row: the rule modules (:mod:`~analysis.ingest.specs`,
:mod:`~analysis.ingest.fates`, :mod:`~analysis.ingest.accounting`, …) never import this one, and
:mod:`analysis.ingest.stage` wires the two together. Each piece gives the same result as the plain
in-process call it stands for; only the time and memory differ.

- :class:`Background`: jobs (Parquet writes, which release the GIL) in threads; ``wait`` joins them
  and re-raises a failure.
- :class:`Prefetch`: two ``spawn`` worker processes (fork is unsafe after native libraries start
  threads) that parse table files in contiguous chunks and run single calls (the Sirekap read);
  one worker when that read is all there is to send (count night: a new pull, few new tally files).
- :func:`handoff_job` / :func:`handoff_read`: a worker's frames handed back as uncompressed Arrow
  IPC files instead of being pickled through the pool's pipe.
- :class:`Warmup`: Great Expectations imported and every suite loaded in a thread while the files
  are hashed and read; the first validation waits for it.
- The workers' allocator setting (:data:`analysis.JEMALLOC_CONF`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl

from analysis import JEMALLOC_CONF, JEMALLOC_ENV, read
from analysis.settings import Settings

#: Fewer tally files than this: a worker's start-up (imports, ~1 s) costs more than it saves.
POOL_MIN_FILES = 200
#: The benchmark box has 2 cores; the main process works on other kinds meanwhile.
POOL_WORKERS = 2
#: Small chunks: the main process takes the last unstarted ones when it is free.
POOL_CHUNKS = 24

TableFiles = list[tuple[Path, str, str]]  # (path, rel, sha256) as read.read_tables_raw takes them


class Background:
    """Jobs run in threads (Parquet writing releases the GIL) while the caller goes on; :meth:`wait`
    joins them and re-raises a job's failure."""

    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def submit(self, name: str, fn: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        def job() -> None:
            try:
                fn(*args, **kwargs)
            except BaseException as e:  # noqa: BLE001 - re-raised by wait()
                self._errors.append(e)

        t = threading.Thread(target=job, name=name)
        self._threads.append(t)
        t.start()

    def wait(self) -> None:
        while self._threads:
            self._threads.pop().join()
        if self._errors:
            raise self._errors.pop()


# --- Worker processes -----------------------------------------------------------------------------


def _warm_worker() -> int:
    """Runs once in each worker so its imports happen while the main process hashes files."""
    return os.getpid()


@contextlib.contextmanager
def _workers_allocator() -> Iterator[None]:
    """Workers started inside get an allocator that gives freed memory back quickly (see
    :data:`analysis.JEMALLOC_CONF`): a worker's big transient buffers would otherwise still count
    while the main process validates. The main process keeps the setting it was started with."""
    before = os.environ.get(JEMALLOC_ENV)
    if before is None:
        os.environ[JEMALLOC_ENV] = JEMALLOC_CONF
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(JEMALLOC_ENV, None)


def _chunks(files: TableFiles) -> list[TableFiles]:
    """Contiguous runs of whole files of about equal size, :data:`POOL_CHUNKS` of them."""
    target = sum(max(f[0].stat().st_size, 1) for f in files) / POOL_CHUNKS
    chunks: list[TableFiles] = [[]]
    acc = 0
    for f in files:
        if acc >= target:
            chunks.append([])
            acc = 0
        chunks[-1].append(f)
        acc += max(f[0].stat().st_size, 1)
    return chunks


class Prefetch:
    """Work done in ``spawn`` worker processes while the main process works on other kinds: the
    raw text parse (:func:`read.read_tables_raw`) of many CSV/xlsx files, started as soon as they
    are hashed (same frame and per-file outcome as one in-process call: chunks are contiguous runs
    of whole files, concatenated in order), and single calls (the Sirekap read), queued after."""

    def __init__(self) -> None:
        self.pool: cf.ProcessPoolExecutor | None = None
        self.jobs: dict[str, tuple[TableFiles, list[tuple[TableFiles, cf.Future]]]] = {}
        self.calls: dict[str, tuple[Callable[..., Any], tuple, cf.Future]] = {}
        self._started = False

    def ensure_started(self, workers: int = POOL_WORKERS) -> None:
        """Start ``workers`` workers unless they were started (or closed) before."""
        if not self._started:
            self.start(workers)

    def start(self, workers: int = POOL_WORKERS) -> None:
        self._started = True
        try:
            with _workers_allocator():
                ctx = multiprocessing.get_context("spawn")
                self.pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
                for _ in range(workers):
                    self.pool.submit(_warm_worker)
        except (OSError, RuntimeError):  # no processes available: work in-process
            self.close()

    def submit(self, kind: str, files: TableFiles) -> None:
        """Parse ``files`` (table files of ``kind``) in the workers; :meth:`take` gets the result."""
        if self.pool is None or not files:
            return
        try:
            jobs = [(c, self.pool.submit(read.read_tables_raw, kind, c)) for c in _chunks(files)]
        except RuntimeError:  # pool broken or shut down
            return
        self.jobs[kind] = (list(files), jobs)

    def mark_nothing(self, kind: str) -> None:
        """Record that ``kind`` has nothing to prefetch (:meth:`take` then returns None)."""
        self.jobs.setdefault(kind, ([], []))

    def take(self, kind: str, files: TableFiles) -> tuple[pl.DataFrame | None, list] | None:
        """The prefetched parse of exactly ``files`` (None if it was not prefetched). Chunks no
        worker has started yet are parsed here; a failed worker's chunk is parsed again here."""
        job = self.jobs.pop(kind, None)
        if job is None:
            return None
        wanted, parts = job
        if wanted != list(files):
            for _, fut in parts:
                fut.cancel()
            return None
        results: list = [None] * len(parts)
        for k in reversed(range(len(parts))):
            chunk, fut = parts[k]
            if fut.cancel():
                results[k] = read.read_tables_raw(kind, chunk)
        for k, (chunk, fut) in enumerate(parts):
            if results[k] is None:
                try:
                    results[k] = fut.result()
                except Exception:  # noqa: BLE001 - a dead worker: do the chunk here
                    results[k] = read.read_tables_raw(kind, chunk)
        frames = [r[0] for r in results if r[0] is not None]
        outcome = [o for r in results for o in r[1]]
        return (pl.concat(frames, how="diagonal_relaxed") if frames else None), outcome

    def submit_call(self, key: str, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` (picklable) in a worker; :meth:`take_call` gets its result."""
        if self.pool is None:
            return
        with contextlib.suppress(RuntimeError):  # pool broken or shut down: run it in-process
            self.calls[key] = (fn, args, self.pool.submit(fn, *args))

    def take_call(self, key: str) -> Any:
        """The result of a :meth:`submit_call` (run here if no worker started it or the worker
        died); None if it was never submitted."""
        job = self.calls.pop(key, None)
        if job is None:
            return None
        fn, args, fut = job
        if fut.cancel():
            return fn(*args)
        try:
            return fut.result()
        except Exception:  # noqa: BLE001 - a dead worker: do it here
            return fn(*args)

    def close(self) -> None:
        """Stop the workers (their memory is given back) and forget every job."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
        self.jobs.clear()
        self.calls.clear()


# --- Frames handed back from a worker -------------------------------------------------------------


def handoff_job(
    fn: Callable[..., dict[str, pl.DataFrame | None]], folder: Path, *args: Any
) -> dict[str, str | None]:
    """Run ``fn(*args)`` in a worker and write each frame it returns as an uncompressed Arrow IPC
    file in ``folder`` (a pickled frame would be copied through the pool's pipe); returns the
    paths (None for a missing frame) for :func:`handoff_read`."""
    frames = fn(*args)
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, str | None] = {}
    for part, df in frames.items():
        if df is None:
            out[part] = None
            continue
        path = folder / f"_handoff.{fn.__name__}.{os.getpid()}.{part}.arrow"
        df.write_ipc(path, compression="uncompressed")
        out[part] = str(path)
    return out


def handoff_read(paths: dict[str, str | None]) -> dict[str, pl.DataFrame | None]:
    """The frames a worker wrote with :func:`handoff_job` (files removed once read)."""
    frames: dict[str, pl.DataFrame | None] = {}
    for part, path in paths.items():
        frames[part] = pl.read_ipc(path) if path is not None else None
        if path is not None:
            Path(path).unlink(missing_ok=True)
    return frames


# --- Great Expectations warmed up in a thread -----------------------------------------------------


def _warm_validator(settings: Settings) -> None:
    """Import Great Expectations and load every suite's checkpoint (seconds of work)."""
    try:
        from analysis import validate

        validate.sync_suites(settings)
        validate._desa_codes()
    except Exception:  # noqa: BLE001 - the real validation call reports problems
        pass


class Warmup:
    """The validator's warm-up, once per run, in a daemon thread. Great Expectations is entered by
    one thread at a time (:data:`analysis.validate.engine.GX_LOCK`): a batch's first GX run waits
    there for the warm-up, after the work that needs no GX. :meth:`wait` at the end of an ingest
    that validated, so no warm-up outlives it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._thread: threading.Thread | None = None
        self._started = False

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._thread = threading.Thread(
            target=_warm_validator, args=(self.settings,), daemon=True, name="warm-validator"
        )
        self._thread.start()

    def wait(self) -> None:
        t, self._thread = self._thread, None
        if t is not None and t is not threading.current_thread():
            t.join()
