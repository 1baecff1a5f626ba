"""The ingest stage: :func:`run_ingest`, its command line and its benchmark.

This module wires the rooms together: the files of the drop are hashed and admitted
(:mod:`~analysis.ingest.accounting`), read kind by kind (:mod:`~analysis.ingest.batch`, through
the parse cache), decided (:mod:`~analysis.ingest.kinds`, :mod:`~analysis.ingest.fates`) and
written; the scheduling (:mod:`~analysis.ingest.schedule`) is started and joined here, and only
here.

A large drop is spread over two worker processes: the tally files are hashed first and parsed by
both workers, then one reads the Sirekap pulls while the main process validates the references,
the small kinds and the tally (Great Expectations is imported in a thread meanwhile). On the
national demo this keeps ingest + validate near 42 s and under 4 GB over all processes.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis import catalog, console
from analysis.incremental import digest, known_sha
from analysis.ingest import accounting as acct
from analysis.ingest import schedule
from analysis.ingest.accounting import FILE_DUPLICATE, Accounting
from analysis.ingest.batch import (
    Item,
    KindBatch,
    batch_of,
    read_kind,
    read_official,
    read_official_alone,
)
from analysis.ingest.cache import CACHE_DIR, ParseCache
from analysis.ingest.checks import SUMMARY_SCHEMA
from analysis.ingest.fates import DITOLAK
from analysis.ingest.kinds import canon, outputs, process_kind
from analysis.ingest.memo import KindMemo, Outcome
from analysis.ingest.partitions import (
    PARTITIONED,
    PartReuse,
    decide_by_part,
    part_store,
)
from analysis.ingest.quarantine import quarantine
from analysis.ingest.specs import DATASETS, ORDER, PROCESS_ORDER, REFERENCES, SPECS, Spec
from analysis.ingest.survey import REFUSED, NotRead, Survey, survey
from analysis.ingest.verdicts import Bound, VerdictCache
from analysis.partstore import PartStore
from analysis.schemas import ACCOUNTING, BY_NAME, CHECK_SUMMARY, LEDGER, QUARANTINE
from analysis.settings import Settings, default_settings

#: Hashing order: the tally files first (both workers parse them as soon as they are hashed; whether
#: they go to workers at all is decided before the Sirekap read is sent), then the Sirekap files (one
#: worker reads the pulls, the longest single job, while the main process validates: alone in a
#: pool of one when the tally files did not need one); path order within each kind.
_HASH_FIRST = {"tally": 0, "official": 1}


def discover(raw: Path) -> list[tuple[Path, str]]:
    """The files of the drop to read, with their reader kind, in path order (the others, each
    with its fate: :func:`~analysis.ingest.survey.survey`)."""
    return survey(raw).read


def run_ingest(
    raw: Path,
    processed: Path,
    settings: Settings | None = None,
    echo: bool = False,
    known: Mapping[str, list] | None = None,
    take_unchanged: bool = True,
) -> Accounting:
    """Read, validate and account for the drop at ``raw``; write everything under ``processed``.

    ``take_unchanged``: a kind whose inputs are those of the last run is taken as it was
    (:mod:`analysis.ingest.memo`); False decides every kind again (``daily-brief --full``).

    ``known``: the daily run's stat cache of the drop (relative path → ``[size, mtime_ns, inode,
    sha256]``, just brought up to date by :func:`analysis.incremental.drop_files`): a file whose
    stat is still the one recorded is not hashed a second time.

    Returns the :class:`Accounting` (also written as ``mutu__neraca_berkas`` and in the ledger
    ``mutu__berkas``).
    """
    t0 = time.perf_counter()
    s = settings or default_settings()
    raw, processed = _checked_folders(raw, processed)
    cache = ParseCache(processed)
    drop = survey(raw)
    found = drop.read
    prefetch = schedule.Prefetch()
    pool = sum(1 for _, kind in found if kind == "tally") >= schedule.POOL_MIN_FILES
    cached = bool(cache.known("tally"))
    if pool and not cached:
        prefetch.start()  # a cold cache: the workers start while the files are hashed
    run = _Run(
        raw, processed, s, cache, prefetch, schedule.Warmup(s), VerdictCache(processed, s), t0,
        KindMemo(processed, s, take_unchanged), drop, known=known or {}, pool=pool,
    )  # fmt: skip
    run.list_not_read(drop.not_read)
    if cached and known:
        # a daily re-run: its files are hashed from the stat record and read from the parse
        # cache, so Great Expectations' import (seconds of pure Python, needed by any kind that
        # changed) starts now instead of after the hashing (_Kickoff)
        run.warm.start()
    try:
        out = run.ingest(found)
        t_wait = time.perf_counter()
        cache.wait()
        out.timings["tunggu_cache"] = round(time.perf_counter() - t_wait, 2)
        out.seconds = time.perf_counter() - t0
        if echo:
            console.say(out.table(), block=True)
        return out
    finally:
        prefetch.close()
        if any(SPECS[kind].validate_as for kind in run.outcomes):
            run.warm.wait()  # a kind was validated: no warm-up outlives the stage
        with contextlib.suppress(BaseException):
            cache.wait()


def _checked_folders(raw: Path, processed: Path) -> tuple[Path, Path]:
    """Both folders resolved; the raw drop must exist and nothing may be written inside it."""
    raw, processed = Path(raw).resolve(), Path(processed).resolve()
    if not raw.is_dir():
        raise FileNotFoundError(f"{raw}: folder drop mentah tidak ada")
    if processed == raw or raw in processed.parents:
        raise ValueError(
            f"{processed}: hasil olahan tidak boleh ditulis di dalam folder mentah {raw}"
        )
    processed.mkdir(parents=True, exist_ok=True)
    return raw, processed


@dataclass
class _Run:
    """One ingest run: the drop, what is known so far, and the scheduling it started."""

    raw: Path
    processed: Path
    settings: Settings
    cache: ParseCache
    prefetch: schedule.Prefetch
    warm: schedule.Warmup
    verdicts: VerdictCache
    t0: float
    memo: KindMemo  # the kinds whose inputs are unchanged are taken as they are
    drop: Survey  # the walk of the drop (each file's relative path and stat)
    known: Mapping[str, list] = field(default_factory=dict)  # the daily run's stat cache
    pool: bool = False  # enough files that worker processes are worth starting
    writer: schedule.Background = field(default_factory=schedule.Background)
    messages: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    by_kind: dict[str, list[Item]] = field(default_factory=lambda: {k: [] for k in ORDER})
    sizes: dict[str, int] = field(default_factory=dict)
    shas: dict[str, str] = field(default_factory=dict)
    unread: list[dict] = field(default_factory=list)  # accounting rows of files not read
    refs: dict[str, pl.DataFrame] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)
    summaries: dict[str, pl.DataFrame] = field(default_factory=dict)
    quarantines: dict[str, pl.DataFrame] = field(default_factory=dict)
    files: dict[str, list[dict]] = field(default_factory=dict)  # accounting rows per kind
    reused_hashes: int = 0  # files whose sha256 came from the daily run's stat cache
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # kinds processed, to record
    taken: list[str] = field(default_factory=list)  # kinds taken as they were
    parts: list[PartReuse] = field(default_factory=list)  # what deciding per kab/kota redid
    late_messages: list[str] = field(default_factory=list)  # said by background jobs

    def ingest(self, found: list[tuple[Path, str]]) -> Accounting:
        """1. hash and admit every file; 2. read and decide kind by kind; 3. write."""
        self.hash_files(found)
        self.timings["hash"] = round(time.perf_counter() - self.t0, 2)
        for kind in PROCESS_ORDER:
            self.process(kind)
        return self.finish()

    # --- 1. The ledger: every file hashed, the same content read once -----------------------------

    def list_not_read(self, entries: list[NotRead]) -> None:
        """Every entry of the drop that is not read, in the ledger with its fate (refusals said)."""
        for e in entries:
            if e.status == REFUSED:
                self.messages.append(f"{e.rel}: DITOLAK — {e.reason}")
            if e.size is not None:
                self.sizes[e.rel] = e.size
            self.unread.append(acct.file_row(e.rel, None, None, e.status, e.reason))

    def hash_files(self, found: list[tuple[Path, str]]) -> None:
        kickoff = _Kickoff(self, found)
        seen: dict[str, str] = {}
        for path, kind in sorted(found, key=lambda f: _HASH_FIRST.get(f[1], 2)):
            kickoff.before(kind)
            self.admit(path, kind, seen)
        kickoff.after()

    def hashed(self, path: Path, rel: str) -> tuple[str, int]:
        """The file's sha256 and size: from the daily run's stat cache when its stat (as the walk
        of the drop took it) is the one hashed there, else read and hashed."""
        sha = known_sha(path, self.known.get(rel), self.drop.stats.get(rel))
        if sha is not None:
            self.reused_hashes += 1
            return sha, self.known[rel][0]
        return acct.sha256(path)

    def admit(self, path: Path, kind: str, seen: dict[str, str]) -> None:
        """Hash one file and queue it for its kind, unless it cannot be read, copies content
        already queued, or lies where no kind is expected (an accounting row says which)."""
        rel = self.drop.rel_by_path[str(path)]
        try:
            sha, size = self.hashed(path, rel)
        except OSError as exc:
            self.messages.append(f"{rel}: tidak bisa dibaca ({exc.strerror})")
            self.unread.append(
                acct.file_row(rel, None, None, DITOLAK, f"tidak bisa dibaca ({exc.strerror})")
            )
            return
        self.sizes[rel] = size
        self.shas[rel] = sha
        dataset = SPECS[kind].name if kind in SPECS else None
        ident = acct.identity(kind, path, sha)
        if ident in seen:
            msg = f"isinya sama persis dengan {seen[ident]} (sha256); tidak dibaca dua kali"
            self.unread.append(acct.file_row(rel, sha, dataset, FILE_DUPLICATE, msg))
            return
        seen[ident] = rel
        if kind in SPECS:
            self.by_kind[kind].append((path, sha, size, rel))
            return
        self.messages.append(f"{rel}: DITOLAK — {acct.UNKNOWN_PLACE}")
        self.unread.append(acct.file_row(rel, sha, None, DITOLAK, acct.UNKNOWN_PLACE))

    # --- 2. Read and decide, kind by kind ---------------------------------------------------------

    def read(self, kind: str) -> KindBatch:
        """One kind's batch: the Sirekap pulls as the worker handed them back (or read here)."""
        if kind != "official":
            return read_kind(
                kind, self.by_kind[kind], self.raw, self.cache, take_tables=self.prefetch.take
            )
        handed = self.prefetch.take_call("official")
        self.prefetch.close()  # the workers' memory is given back before validation
        if handed is not None:
            return batch_of(schedule.handoff_read(handed))
        return read_official(self.by_kind[kind], self.raw, self.cache)

    def process(self, kind: str) -> None:
        """One kind: taken as it was when nothing it depends on changed, else read, decided and
        written (its outcome recorded for the next run)."""
        items = self.by_kind[kind]
        key = self.memo.key(kind, items, [r for r in REFERENCES if r != kind])
        held = self.memo.recall(kind, key)
        if held is not None:
            self.take(kind, held)
            return
        self.memo.forget(kind)
        n_messages = len(self.messages)
        datasets = self.decide(kind)
        self.outcomes[kind] = Outcome(
            datasets, self.summaries.get(kind), self.quarantines.get(kind), self.files[kind],
            self.messages[n_messages:],
        )  # fmt: skip

    def take(self, kind: str, held: Outcome) -> None:
        """A kind's recorded outcome: its datasets are already in the processed folder."""
        self.taken.append(kind)
        self.messages.extend(held.messages)
        if held.summary is not None:
            self.summaries[kind] = held.summary
        if held.quarantine is not None:
            self.quarantines[kind] = held.quarantine
        self.files[kind] = held.files
        self.written.update(held.datasets)
        name = SPECS[kind].name
        if kind in REFERENCES:
            self.refs[kind] = canon(name, catalog.read(name, root=self.processed))

    def decide(self, kind: str) -> list[str]:
        """Read, decide and write one kind; the names of the datasets it wrote."""
        spec = SPECS[kind]
        written: list[str] = []
        t_read = time.perf_counter()
        batch = self.read(kind)
        self.timings[f"baca_{kind}"] = round(time.perf_counter() - t_read, 2)
        counts: dict[str, dict] = {}
        if batch.rows is not None and batch.rows.height:
            t_dec = time.perf_counter()
            refs = self.memo.references(kind, REFERENCES)
            memo = self.verdicts.bound(batch.rows, batch.files, refs)
            if kind in PARTITIONED:
                decided, summary, votes = self.decide_by_part(spec, batch, memo, refs)
            else:
                decided, summary, votes = process_kind(
                    spec, batch.rows, batch.votes, self.refs, self.settings, self.messages, memo
                )
            self.timings[f"validasi_{kind}"] = round(time.perf_counter() - t_dec, 2)
            self.timings[f"rss_mb_{kind}"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            )
            self.summaries[kind] = summary
            rejected = decided.filter(pl.col("_status") == DITOLAK)
            self.quarantines[kind] = quarantine(spec.dataset, rejected, self.raw, self.cache, kind)
            counts = acct.row_counts(decided)
            produced = outputs(spec, decided, votes)
            del decided, votes, rejected  # free the batch before the next kind is read
            if kind in REFERENCES:
                self.refs[kind] = produced[spec.name]
            for name in list(produced):  # write each dataset as soon as it is final
                self.write(canon(name, produced.pop(name)), name)
                written.append(name)
        self.files[kind] = acct.kind_rows(
            spec, batch.files, counts, self.shas, self.messages, self.raw
        )
        return written

    def decide_by_part(
        self, spec: Spec, batch: KindBatch, memo: Bound, refs: str
    ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
        """A big kind decided per kab/kota (:mod:`~analysis.ingest.partitions`): the parts whose
        rows are those of the last run taken as they were; the newly decided parts stored in the
        background (a cold run holds its decided rows until they are written)."""
        store = part_store(self.processed, spec.kind, self.memo.take)
        base = digest({"jenis": spec.kind, "referensi": refs, **self.memo.base})
        out = decide_by_part(
            spec, batch.rows, batch.votes, self.refs, self.settings, self.messages, memo, store,
            base,
        )  # fmt: skip
        self.parts.append(out.reuse)
        self.writer.submit(
            f"bagian-{spec.kind}", self.store_parts, store, out.keys, out.held, out.new_rows,
            out.new_summary,
        )  # fmt: skip
        return out.rows, out.summary, out.votes

    def store_parts(
        self, store: PartStore, keys: dict[str, str], held: dict[str, str],
        rows: pl.DataFrame | None, summary: pl.DataFrame | None,
    ) -> None:  # fmt: skip
        """Record the kind's parts (:meth:`~analysis.partstore.PartStore.try_save`); a failure's
        message is said at the end of the run, not in a kind's record."""
        failed = store.try_save(
            keys, held, None if rows is None or summary is None else (rows, summary)
        )
        if failed:
            self.late_messages.append(
                f"[{SPECS[store.kind].name}] keputusan per kab/kota tidak tersimpan untuk run "
                f"berikutnya: {failed}"
            )

    def write(self, df: pl.DataFrame, name: str) -> None:
        """Write a dataset in the background (Parquet writing releases the GIL)."""
        self.writer.submit(f"write-{name}", catalog.write, df, name, root=self.processed)
        self.written.add(name)

    # --- 3. Write what is left, in the canonical kind order ---------------------------------------

    def finish(self) -> Accounting:
        t_end = time.perf_counter()
        self.writer.wait()
        self.messages.extend(self.late_messages)
        for kind, outcome in self.outcomes.items():  # the datasets are on disk: record them
            self.memo.save(kind, self.by_kind[kind], outcome)
        rows = self.unread + [r for kind in ORDER for r in self.files.get(kind, [])]
        files = pl.DataFrame(rows, schema=acct.ACCOUNTING_SCHEMA).sort("path")
        summaries = [self.summaries[k] for k in ORDER if k in self.summaries]
        check_summary = (
            pl.concat(summaries).cast(SUMMARY_SCHEMA)
            if summaries
            else pl.DataFrame(schema=SUMMARY_SCHEMA)
        )
        quarantines = [self.quarantines[k] for k in ORDER if k in self.quarantines]
        root = self.processed
        for name in DATASETS:
            if name not in self.written:
                catalog.write(BY_NAME[name].empty(), name, root=root)
        catalog.write(
            pl.concat(quarantines) if quarantines else QUARANTINE.empty(),
            QUARANTINE.name,
            root=root,
        )
        catalog.write(acct.ledger(root, self.sizes, files), LEDGER.name, root=root)
        catalog.write(files, ACCOUNTING.name, root=root)
        catalog.write(check_summary, CHECK_SUMMARY.name, root=root)
        self.timings["tulis_akhir"] = round(time.perf_counter() - t_end, 2)
        elapsed = time.perf_counter() - self.t0
        return Accounting(
            files, self.messages, check_summary, elapsed, self.timings, self.verdicts.reports,
            hashes_reused=self.reused_hashes, hashes_read=len(self.shas) - self.reused_hashes,
            taken=list(self.taken), parts=list(self.parts),
        )  # fmt: skip


class _Kickoff:
    """When, while the files are hashed, work is handed to the workers and the warm-up thread.

    The tally files are handed to the workers once all are hashed (parsed as the next files are
    hashed); the Sirekap read once every Sirekap file is hashed. Great Expectations takes seconds
    of pure Python to import: the warm-up starts at the first file that is not a tally file, so it
    runs while the big files are hashed and the references read, not while the thousands of small
    tally files are (each read gives the GIL back and waits up to a switch interval to take it
    again behind the import). A daily re-run, whose files are hashed from the stat record and
    read from the parse cache, starts it before the hashing (:func:`run_ingest`).
    """

    def __init__(self, run: _Run, found: list[tuple[Path, str]]) -> None:
        self.run = run
        self.tally_left = sum(1 for _, kind in found if kind == "tally")
        self.official_left = sum(1 for _, kind in found if kind == "official")
        self.official_done = False
        self.tally_done = False

    def before(self, kind: str) -> None:
        """Called before each file is hashed (tally files first, then Sirekap, then the rest)."""
        if self.official_left == 0:
            self._official()
        if kind == "official":
            self.official_left -= 1
        if kind == "tally":
            self.tally_left -= 1
            return
        self.run.warm.start()
        if self.tally_left == 0:
            self._tally()

    def after(self) -> None:
        """Called once every file is hashed."""
        self._official()
        self._tally()
        self.run.warm.start()  # (if no file but tally files was found)

    def _official(self) -> None:
        """The Sirekap read (the largest) in a worker, once; not when its files are those it
        had in the last run (it will likely be taken as it was)."""
        run, prefetch = self.run, self.run.prefetch
        items = run.by_kind["official"]
        if self.official_done or not items or not run.pool:
            return
        self.official_done = True
        if run.memo.same_files("official", items):
            return
        # the tally files were decided first: a pool not started for them has this one call to
        # run, and a second worker would only pay its imports (seconds of CPU on count night)
        prefetch.ensure_started(workers=1)
        if prefetch.pool is None:
            return
        folder = run.processed / CACHE_DIR
        args = (list(items), run.raw, run.processed)
        prefetch.submit_call("official", schedule.handoff_job, read_official_alone, folder, *args)

    def _tally(self) -> None:
        """The tally files not in the parse cache to the workers (as read_kind will ask), once;
        a few new files are parsed in the main process (starting workers would cost more)."""
        run, prefetch = self.run, self.run.prefetch
        if self.tally_done:
            return
        self.tally_done = True
        known = run.cache.known("tally")
        new = [(p, rel, sha) for p, sha, _, rel in run.by_kind["tally"] if (sha, rel) not in known]
        if run.pool and len(new) >= schedule.POOL_MIN_FILES:
            prefetch.ensure_started()
        if prefetch.pool is None:
            return
        prefetch.submit("tally", new)
        prefetch.mark_nothing("tally")


# --- CLI and benchmark ----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw",
        type=Path,
        default=None,
        help="raw drop folder (default: data/raw/demo-<demo.scope>)",
    )
    parser.add_argument(
        "--processed",
        type=Path,
        default=None,
        help="output folder (default: data/processed/<drop name>)",
    )


def default_raw(settings: Settings) -> Path:
    return settings.paths.resolved().raw / f"demo-{settings.demo.scope}"


def run(args: argparse.Namespace) -> int:
    """The CLI: checked, under the run lock, into a new generation (analysis.runguard)."""
    from analysis import preflight, publish, runguard

    s = default_settings()
    try:
        raw = preflight.raw_folder(args.raw or default_raw(s))
        processed = args.processed or s.paths.resolved().processed / raw.name
        runguard.check_processed(Path(processed), s)
    except preflight.PreflightError as exc:
        console.error(exc)
        return runguard.EXIT_PARAMETERS

    def work() -> int:
        with publish.staged([Path(processed)]) as (folder,):
            acc = run_ingest(raw, folder, s)
        for m in acc.messages:
            console.say(m, stream=sys.stderr)
        for line in acc.redone():
            console.say(line)
        console.say(acc.table(), block=True)
        t = acc.totals()
        console.say(
            f"\n{acc.files.height} berkas, {t['baris_dibaca']} baris dibaca: {t['baris_diterima']} diterima, "
            f"{t['baris_ditolak']} ditolak (karantina), {t['baris_digantikan']} digantikan — {acc.seconds:.1f} dtk. "
            f"Hasil di {processed}",
            block=True,
        )
        return 0 if acc.balanced else 1

    return runguard.guarded(Path(processed), work, s)


def bench_ingest(raw: Path, processed: Path, settings: Settings | None = None) -> dict:
    """Run ingest + validation once and report seconds, peak RSS of this process (``make bench``
    also samples the worker processes) and row counts."""
    t0 = time.perf_counter()
    acc = run_ingest(Path(raw), Path(processed), settings)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "stage": "ingest",
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "files": acc.files.height,
        **acc.totals(),
        "balanced": acc.balanced,
        "timings": acc.timings,
    }
