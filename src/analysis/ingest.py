"""Ingest: read a raw drop, validate each dataset once per batch, decide every row's fate.

``run_ingest(raw, processed, settings)`` reads every file of the drop (``analysis.read``), records
it in the ledger (by sha256: the same content under two names, or on a re-run, is read once),
validates each dataset as one batch (``analysis.validate``), and writes the processed datasets,
``quarantine``, ``ledger``, ``accounting`` and ``check_summary``. Nothing is ever written under
the raw folder. CLI: ``python -m analysis ingest [--raw DIR] [--processed DIR]``.

Every row read ends in exactly one state, so that per file **rows read = accepted + rejected +
superseded**:

- **ditolak** (rejected): a cell could not be read (``format_baca``), it collides with another row
  of the same TPS × contest × time but different numbers (``versi_bentrok``: which one is right
  cannot be decided, both go to quarantine), or it fails a reject-level check of the validator.
  Rejected rows go to ``quarantine`` with every reason and the original values.
- **digantikan** (superseded): a later version of the same entity exists among the non-rejected
  rows. The entity and the order of versions per dataset are in :data:`SPECS`: tally reports per
  TPS × contest by ``waktu_laporan``; Sirekap records per TPS × contest by ``waktu_tarik`` (each
  pull is a snapshot: a later pull's record supersedes the earlier pull's, changed or not);
  incidents per ``id_insiden`` by ``waktu_laporan``; D.Hasil rows, readiness rows and reference
  rows by file order (path, then row: name recap files so they sort by time). An exact duplicate
  (same entity, same time, same numbers) is superseded by its first copy. ``tally_tps`` and
  ``official_tps`` keep superseded versions with ``digantikan_oleh`` = ``"<file>:<row>"`` of the
  next version; the other datasets keep only the version in force.
- **diterima** (accepted): the version in force; warn-level failures stay on it in ``peringatan``.

A later version supersedes an earlier one only if it is not rejected itself: a broken resubmission
never hides a good report. The validator's own ``kunci_unik`` (duplicate key) check is therefore
resolved here, by the rules above, and its failures are not counted as rejections.

Parsed rows are cached under ``processed/_cache`` by (sha256, path, reader version) so a daily
re-run only parses new files; validation and the fates are recomputed on the whole drop each run,
so the results are the same with or without the cache.

A large drop is spread over two ``spawn`` worker processes: the tally files are hashed first and
parsed by both workers, then one reads the Sirekap pulls while the main process validates the
references, the small kinds and the tally (Great Expectations is imported in a thread meanwhile).
On the national demo this keeps ingest + validate near 42 s and under 4 GB over all processes.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import resource
import shutil
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis import JEMALLOC_CONF, JEMALLOC_ENV, catalog, read
from analysis.schemas import BY_NAME, LEDGER, QUARANTINE
from analysis.settings import Settings, default_settings

DITERIMA, DITOLAK, DIGANTIKAN = "diterima", "ditolak", "digantikan"
FILE_DUPLICATE = "duplikat"
CACHE_DIR = "_cache"
_EMPTY_LIST = pl.lit([], dtype=pl.List(pl.String))


@dataclass(frozen=True)
class Spec:
    """How one kind of raw file becomes a processed dataset.

    ``entity``: what a newer version replaces; ``version``: the column that orders versions (None:
    file order); ``history``: superseded versions stay in the dataset; ``validate_as``: the
    validator's dataset name (None: not validated beyond reading); ``snapshot``: a record equal to
    the entity's previous version (a later KPU pull where nothing changed) is an exact duplicate of
    it, not a version of its own.
    """

    kind: str
    name: str
    entity: tuple[str, ...]
    version: str | None
    history: bool
    validate_as: str | None
    snapshot: bool = False  # each file is a full snapshot: an unchanged record is not a new version


SPECS: dict[str, Spec] = {
    s.kind: s
    for s in (
        Spec("ref_paslon", "ref_paslon", ("kode_kontestasi", "nomor_urut"), None, False, None),
        Spec("ref_tps", "ref_tps", ("kode_tps",), None, False, "ref_tps"),
        Spec(
            "tally",
            "tally_tps",
            ("kode_tps", "kode_kontestasi"),
            "waktu_laporan",
            True,
            "tally_tps",
        ),
        Spec(
            "official",
            "official_tps",
            ("kode_tps", "kode_kontestasi"),
            "waktu_tarik",
            True,
            "official_tps",
            snapshot=True,
        ),
        Spec(
            "official_region",
            "official_region",
            ("kode_wilayah", "kode_kontestasi", "nomor_urut"),
            None,
            False,
            "official_region",
        ),
        Spec("incidents", "incidents", ("id_insiden",), "waktu_laporan", False, "incidents"),
        Spec(
            "readiness",
            "readiness",
            ("kode_wilayah", "tanggal", "indikator"),
            None,
            False,
            "readiness",
        ),
    )
}
#: Processing order: references first (tally and KPU records need them).
ORDER = ("ref_paslon", "ref_tps", "tally", "official", "official_region", "incidents", "readiness")
#: The order kinds are processed in: the references first (the others are checked against them),
#: then the small kinds while the worker processes still parse the tally files and the Sirekap
#: pulls. Outputs (quarantine, check summary, accounting) keep :data:`ORDER`.
PROCESS_ORDER = (
    "ref_paslon",
    "ref_tps",
    "official_region",
    "incidents",
    "readiness",
    "tally",
    "official",
)

ACCOUNTING_SCHEMA = {
    "path": pl.String,
    "sha256": pl.String,
    "dataset": pl.String,
    "status": pl.String,
    "pesan": pl.String,
    "baris_dibaca": pl.Int64,
    "baris_diterima": pl.Int64,
    "baris_ditolak": pl.Int64,
    "baris_digantikan": pl.Int64,
}
SUMMARY_SCHEMA = {
    "dataset": pl.String,
    "pemeriksaan": pl.String,
    "tingkat": pl.String,
    "kode_kabkota": pl.String,
    "alasan": pl.String,
    "n_gagal": pl.Int64,
    "n_diperiksa": pl.Int64,
}


@dataclass
class Accounting:
    """The outcome of one ingest run.

    ``files``: one row per raw file (path): rows read / accepted / rejected / superseded, status,
    message. ``messages``: one clear line per file-level problem. ``check_summary``: one row per
    dataset × check × kab/kota.
    """

    files: pl.DataFrame
    messages: list[str] = field(default_factory=list)
    check_summary: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SUMMARY_SCHEMA))
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (bench)

    @property
    def balanced(self) -> bool:
        """Rows read = accepted + rejected + superseded for every file."""
        f = self.files
        return bool(
            (
                f["baris_dibaca"]
                == f["baris_diterima"] + f["baris_ditolak"] + f["baris_digantikan"]
            ).all()
        )

    def totals(self) -> dict[str, int]:
        cols = ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")
        return {c: int(self.files[c].sum()) for c in cols}

    def table(self, max_files: int = 40) -> str:
        """The accounting as a text table (per file, or per folder when there are many files)."""
        f = self.files
        if f.height > max_files:
            f = (
                f.with_columns(
                    pl.col("path").str.replace(r"/[^/]+$", "/*").alias("path"),
                    pl.when(pl.col("status") == DITERIMA)
                    .then(pl.lit(DITERIMA))
                    .otherwise(pl.col("status"))
                    .alias("status"),
                )
                .group_by("path", "dataset", "status")
                .agg(
                    pl.len().alias("berkas"),
                    *(
                        pl.col(c).sum()
                        for c in (
                            "baris_dibaca",
                            "baris_diterima",
                            "baris_ditolak",
                            "baris_digantikan",
                        )
                    ),
                )
                .sort("path", "status")
            )
        else:
            f = f.with_columns(pl.lit(1).alias("berkas"))
        header = ("Berkas", "Dataset", "Status", "Dibaca", "Diterima", "Ditolak", "Digantikan")
        rows = [
            (
                r["path"] + (f" ({r['berkas']} berkas)" if r["berkas"] > 1 else ""),
                r["dataset"] or "-",
                r["status"],
                *(
                    str(r[c])
                    for c in ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")
                ),
            )
            for r in f.iter_rows(named=True)
        ]
        t = self.totals()
        rows.append(
            (
                "JUMLAH",
                "",
                "seimbang" if self.balanced else "TIDAK SEIMBANG",
                *(
                    str(t[c])
                    for c in ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")
                ),
            )
        )
        widths = [max(len(x[i]) for x in [header, *rows]) for i in range(len(header))]
        widths[0] = min(widths[0], 70)

        def line(cells: Sequence[str]) -> str:
            out = []
            for i, c in enumerate(cells):
                c = c if len(c) <= widths[i] else "…" + c[-(widths[i] - 1) :]
                out.append(c.ljust(widths[i]) if i < 3 else c.rjust(widths[i]))
            return "  ".join(out)

        sep = "  ".join("-" * w for w in widths)
        return "\n".join([line(header), sep, *(line(r) for r in rows[:-1]), sep, line(rows[-1])])


# --- Discovery, hashing, cache ----------------------------------------------------------------


def discover(raw: Path) -> list[tuple[Path, str]]:
    """Every file of the drop with its reader kind, in path order (skips manifest and hidden files)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(raw):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(raw).parts
        if len(rel) == 2 and rel[0] == "kpu" and read.PULL_RE.match(rel[1]):
            # in a pull folder only tps/ holds records; the rest is the pull's own bookkeeping
            dirnames[:], filenames = [d for d in dirnames if d == "tps"], []
        for name in sorted(filenames):
            p = Path(dirpath) / name
            kind = read.kind_of(p.relative_to(raw).as_posix())
            if kind is not None:
                out.append((p, kind))
    return sorted(out, key=lambda x: x[0].relative_to(raw).as_posix())


class _Cache:
    """Parsed rows of every file by (sha256, path), one Parquet file per kind."""

    def __init__(self, processed: Path, clean: bool = True, background: bool = True) -> None:
        """``clean=False`` (a worker process, while the main process owns the folder): an
        outdated cache is ignored, not removed. ``background=False``: :meth:`save` writes before
        it returns (a worker holds less memory at once)."""
        self.background = background
        self.dir = processed / CACHE_DIR
        meta = self.dir / "meta.json"
        ok = False
        if meta.exists():
            try:
                ok = json.loads(meta.read_text())["reader_version"] == read.READER_VERSION
            except (ValueError, KeyError, OSError):
                ok = False
        if not ok and self.dir.exists() and clean:
            shutil.rmtree(self.dir)
        self.files: dict[str, pl.DataFrame | None] = {}
        self.valid = ok or clean
        self._writers: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def wait(self) -> None:
        """Block until every background :meth:`save` is on disk (re-raises a write error)."""
        while self._writers:
            self._writers.pop().join()
        if self._errors:
            raise self._errors.pop()

    def _files(self, kind: str) -> pl.DataFrame | None:
        """The files a kind's cache holds (path, sha256, ...); None when there is no cache."""
        self.wait()
        if not self.valid:
            return None
        if kind not in self.files:
            p = self.dir / f"{kind}.files.parquet"
            try:
                self.files[kind] = pl.read_parquet(p) if p.exists() else None
            except Exception:  # noqa: BLE001 - a broken cache is just a cold cache
                self.files[kind] = None
        return self.files[kind]

    def known(self, kind: str) -> set[tuple[str, str]]:
        files = self._files(kind)
        if files is None:
            return set()
        return set(zip(files["sha256"], files["path"], strict=True))

    def get(
        self, kind: str, keys: set[tuple[str, str]]
    ) -> tuple[pl.DataFrame | None, pl.DataFrame | None, pl.DataFrame]:
        """The cached parse of the files ``keys`` ((sha256, path)), read from disk each time (a
        run holds only what it uses)."""
        files = self._files(kind)
        assert files is not None
        kf = pl.DataFrame(
            list(keys), schema={"_sha": pl.String, "sumber_file": pl.String}, orient="row"
        )
        files = files.join(
            kf.rename({"_sha": "sha256", "sumber_file": "path"}), on=["sha256", "path"]
        )
        out: list[pl.DataFrame | None] = []
        for part in ("rows", "votes"):
            p = self.dir / f"{kind}.{part}.parquet"
            out.append(
                pl.scan_parquet(p).join(kf.lazy(), on=["_sha", "sumber_file"], how="semi").collect()
                if p.exists()
                else None
            )
        return out[0], out[1], files

    def originals(self, kind: str, keys: pl.DataFrame) -> pl.DataFrame:
        """``nilai_asli`` of some table rows (``keys``: sumber_file, sumber_sheet, sumber_baris)."""
        self.wait()
        p = self.dir / f"{kind}.rows.parquet"
        cols = ["sumber_file", "sumber_sheet", "sumber_baris"]
        if not p.exists():
            return keys.select(cols).with_columns(pl.lit(None, dtype=pl.String).alias("nilai_asli"))
        return (
            pl.scan_parquet(p)
            .select(*cols, "nilai_asli")
            .join(keys.lazy().select(cols).unique(), on=cols, how="semi", nulls_equal=True)
            .unique(cols, keep="first")
            .collect()
        )

    def save(
        self, kind: str, rows: pl.DataFrame | None, votes: pl.DataFrame | None, files: pl.DataFrame
    ) -> None:
        """Write one kind's parse in a background thread (Parquet writing releases the GIL);
        :meth:`wait` (called before any read of the cache) joins it."""

        self.files.pop(kind, None)  # re-read after the write

        def job() -> None:
            try:
                self._write(kind, rows, votes, files)
            except BaseException as e:  # noqa: BLE001 - re-raised by wait()
                self._errors.append(e)

        if not self.background:
            self._write(kind, rows, votes, files)
            return
        t = threading.Thread(target=job, name=f"cache-{kind}")
        self._writers.append(t)
        t.start()

    def _write(
        self, kind: str, rows: pl.DataFrame | None, votes: pl.DataFrame | None, files: pl.DataFrame
    ) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "meta.json").write_text(json.dumps({"reader_version": read.READER_VERSION}))
        for part, df in (("rows", rows), ("votes", votes), ("files", files)):
            p = self.dir / f"{kind}.{part}.parquet"
            if df is None:
                p.unlink(missing_ok=True)
            else:
                tmp = p.with_suffix(".tmp")
                df.write_parquet(tmp, compression="lz4", statistics=False)
                tmp.replace(p)


# --- Reading a whole kind -----------------------------------------------------------------------


@dataclass
class _KindBatch:
    """All rows of one kind, each with a global ``_rid``; file-level outcomes per path."""

    rows: pl.DataFrame | None
    votes: pl.DataFrame | None
    files: pl.DataFrame  # path, sha256, ukuran_byte, error, notes


class _Writer:
    """Processed datasets written in background threads (Parquet writing releases the GIL) while
    the next kind is read and validated; :meth:`wait` joins them and re-raises a failure."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def write(self, df: pl.DataFrame, name: str) -> None:
        def job() -> None:
            try:
                catalog.write(df, name, root=self.root)
            except BaseException as e:  # noqa: BLE001 - re-raised by wait()
                self._errors.append(e)

        t = threading.Thread(target=job, name=f"write-{name}")
        self._threads.append(t)
        t.start()

    def wait(self) -> None:
        while self._threads:
            self._threads.pop().join()
        if self._errors:
            raise self._errors.pop()


def _pull_key(rel: str) -> str:
    """The same Sirekap file across pulls: its path with the pull folder replaced by ``*``."""
    return "/".join("*" if read.PULL_RE.match(p) else p for p in rel.split("/"))


def _read_official(items: list[tuple[Path, str, int, str]], raw: Path, cache: _Cache) -> _KindBatch:
    """Sirekap files, pull by pull. A per-TPS file byte-identical to the same file in the previous
    pull, and a bundle line byte-identical to a line of the previous pull's bundle, is an
    unchanged record: it is not parsed again but becomes a row pointing to the record it copies
    (``_src_file``/``_src_baris``; ingest gives it that record's fate). A bundle's parse depends
    on its previous pull, so its cache key is both hashes."""
    groups: dict[str, list[tuple[Path, str, int, str]]] = {}
    for it in items:
        groups.setdefault(_pull_key(it[3]), []).append(it)
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    plain, bundles, copies, copy_files = [], [], [], []
    previous: dict[str, tuple[Path, str]] = {}
    for group in groups.values():
        group.sort(key=lambda it: (read.path_pull(it[3]) or earliest, it[3]))
        prev: tuple[Path, str, int, str] | None = None
        root = None
        for it in group:
            path, sha, size, rel = it
            if path.suffix.lower() == ".jsonl":
                bundles.append((path, f"{sha}|{prev[1] if prev else ''}", size, rel))
                if prev is not None:
                    previous[rel] = (prev[0], prev[3])
            elif prev is not None and prev[1] == sha and root is not None:
                copies.append((rel, root))
                copy_files.append((rel, sha, size, None, None))
            else:
                plain.append(it)
                root = rel
            prev = it
    extra = None
    if copies:
        pulls = [read.path_pull(rel) for rel, _ in copies]
        extra = pl.DataFrame(
            {
                "sumber_file": [c[0] for c in copies],
                "_src_file": [c[1] for c in copies],
                "waktu_tarik": pulls,
            },
            schema={
                "sumber_file": pl.String,
                "_src_file": pl.String,
                "waktu_tarik": pl.Datetime("us", "UTC"),
            },
        ).with_columns(
            pl.lit(1, dtype=pl.Int64).alias("sumber_baris"),
            pl.lit(1, dtype=pl.Int64).alias("_src_baris"),
            pl.lit(0, dtype=pl.Int64).alias("_i"),
            pl.lit([], dtype=pl.List(pl.String)).alias("masalah"),
            pl.lit("").alias("_sha"),
        )
    return _read_kind(
        "official",
        plain + bundles,
        raw,
        cache,
        previous=previous,
        extra=(extra, _files_frame(copy_files)),
    )


def _read_official_job(
    items: list[tuple[Path, str, int, str]], raw: Path, processed: Path
) -> dict[str, str | None]:
    """:func:`_read_official` in a worker process (its own view of the parse cache). The batch
    is handed back as uncompressed Arrow IPC files in the cache folder (paths returned; see
    :func:`_handoff_read`) instead of being pickled through the pool's pipe."""
    cache = _Cache(processed, clean=False, background=False)
    try:
        batch = _read_official(items, raw, cache)
    finally:
        cache.wait()
    folder = processed / CACHE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, str | None] = {}
    for part in ("rows", "votes", "files"):
        df = getattr(batch, part)
        if df is None:
            out[part] = None
            continue
        path = folder / f"_handoff.official.{os.getpid()}.{part}.arrow"
        df.write_ipc(path, compression="uncompressed")
        out[part] = str(path)
    return out


def _handoff_read(paths: dict[str, str | None]) -> _KindBatch:
    """The batch a worker wrote with :func:`_read_official_job` (files removed once read)."""
    parts: dict[str, pl.DataFrame | None] = {}
    for part, path in paths.items():
        parts[part] = pl.read_ipc(path) if path is not None else None
        if path is not None:
            Path(path).unlink(missing_ok=True)
    return _KindBatch(parts["rows"], parts["votes"], parts["files"])  # type: ignore[arg-type]


def _read_kind(
    kind: str,
    items: list[tuple[Path, str, int, str]],
    raw: Path,
    cache: _Cache,
    previous: dict[str, tuple[Path, str]] | None = None,
    extra: tuple[pl.DataFrame | None, pl.DataFrame] | None = None,
    prefetch: _Prefetch | None = None,
) -> _KindBatch:
    """Parse (or take from cache) every file of one kind. ``items``: (path, cache key (sha256),
    size, rel). ``previous``: bundle -> its previous pull's bundle; ``extra``: rows and files
    added after caching (unchanged Sirekap copies)."""
    known = cache.known(kind)
    keys = {(sha, rel) for _, sha, _, rel in items}
    hit = keys & known
    new = [it for it in items if (it[1], it[3]) not in known]
    rows_parts, votes_parts, file_rows = [], [], []
    if hit:
        r, v, f = cache.get(kind, hit)
        if r is not None:
            rows_parts.append(r)
        if v is not None:
            votes_parts.append(v)
        file_rows.append(f)
    if new:
        cached = pl.concat(rows_parts, how="diagonal_relaxed") if rows_parts else None
        nr, nv, nf = _parse_new(kind, new, raw, previous or {}, cached, prefetch)
        rows_parts += nr
        votes_parts += nv
        file_rows.append(nf)
    files = pl.concat(file_rows, how="diagonal_relaxed") if file_rows else _files_frame([])
    rows = pl.concat(rows_parts, how="diagonal_relaxed") if rows_parts else None
    votes = pl.concat(votes_parts, how="diagonal_relaxed") if votes_parts else None
    rows_parts.clear()  # the parts are copied into one frame: let them go
    votes_parts.clear()
    if new:
        cache.save(kind, rows, votes, files)
    if rows is not None and kind in read.COERCE and "nilai_asli" in rows.columns:
        # the original cells are only needed for rejected rows: quarantine takes them back from
        # the parse cache (_Cache.originals), which keeps every row's
        rows = rows.with_columns(pl.lit(None, dtype=pl.String).alias("nilai_asli"))
    if extra is not None:
        if extra[0] is not None:
            rows = pl.concat([r for r in (rows, extra[0]) if r is not None], how="diagonal_relaxed")
        files = pl.concat([files, extra[1]], how="diagonal_relaxed")
    # a stable global row order: by path, then row within the file
    if rows is not None and rows.height:
        # files by number in path order: sorting and joining on integers, not on path and hash
        # text, costs a fraction of the memory (a path holds one content in a batch)
        names = sorted(rows["sumber_file"].unique().drop_nulls().to_list())
        file_no = pl.col("sumber_file").replace_strict(
            {n: k for k, n in enumerate(names)}, default=None, return_dtype=pl.Int64
        )
        rows = (
            rows.with_columns(file_no.alias("_f"))
            .sort("_f", "_i", nulls_last=True)
            .with_row_index("_rid")
            .with_columns(pl.col("_rid").cast(pl.Int64))
        )
        if votes is not None:
            votes = (
                votes.with_columns(file_no.alias("_f"))
                .drop("_sha", "sumber_file")
                .join(rows.select("_f", "_i", "_rid"), on=["_f", "_i"], how="inner")
                .drop("_f", "_i")
            )
        rows = rows.drop("_f")
        if "_sha" in rows.columns:  # only the cache and the votes join above need it
            rows = rows.drop("_sha")
        if kind in read.COERCE:  # tables are read as text and typed here, the whole batch at once
            typed = read.coerce(read.FileRead(kind, rows=rows.drop("_i").rename({"_rid": "_i"})))
            rows = typed.rows.rename({"_i": "_rid"}).drop("nilai_asli")
            votes = typed.votes.rename({"_i": "_rid"}) if typed.votes is not None else None
    return _KindBatch(rows, votes, files.sort("path"))


# --- Table files parsed in worker processes -----------------------------------------------------

_POOL_MIN_FILES = (
    200  # fewer table files: a worker's start-up (imports, ~1 s) costs more than it saves
)
_POOL_WORKERS = 2  # the benchmark box has 2 cores; the main process works on other kinds meanwhile
_POOL_CHUNKS = 24  # small chunks: the main process takes the last unstarted ones when it is free


def _warm_worker() -> int:
    """Runs once in each worker so its imports happen while the main process hashes files."""
    return os.getpid()


class _Prefetch:
    """Work done in ``spawn`` worker processes (fork is unsafe after native libraries start
    threads) while the main process works on other kinds: the raw text parse
    (:func:`read.read_tables_raw`) of many CSV/xlsx files, started as soon as they are hashed
    (same frame and per-file outcome as one in-process call: chunks are contiguous runs of whole
    files, concatenated in order), and single calls (the Sirekap read), queued after them."""

    def __init__(self) -> None:
        self.pool: cf.ProcessPoolExecutor | None = None
        self.jobs: dict[str, tuple[list, list[tuple[list, cf.Future]]]] = {}
        self.calls: dict[str, tuple] = {}

    def start(self) -> None:
        # The workers' allocator gives freed memory back quickly (see analysis.JEMALLOC_CONF): a
        # worker's big transient buffers would otherwise still count while the main process
        # validates (the main process keeps the setting it was started with).
        before = os.environ.get(JEMALLOC_ENV)
        if before is None:
            os.environ[JEMALLOC_ENV] = JEMALLOC_CONF
        try:
            ctx = multiprocessing.get_context("spawn")
            self.pool = cf.ProcessPoolExecutor(max_workers=_POOL_WORKERS, mp_context=ctx)
            for _ in range(_POOL_WORKERS):
                self.pool.submit(_warm_worker)
        except (OSError, RuntimeError):  # no processes available: work in-process
            self.close()
        finally:
            if before is None:
                os.environ.pop(JEMALLOC_ENV, None)

    def submit(self, kind: str, files: list[tuple[Path, str, str]]) -> None:
        if self.pool is None or not files:
            return
        total = sum(max(f[0].stat().st_size, 1) for f in files)
        target = total / _POOL_CHUNKS
        chunks: list[list] = [[]]
        acc = 0
        for f in files:
            if acc >= target:
                chunks.append([])
                acc = 0
            chunks[-1].append(f)
            acc += max(f[0].stat().st_size, 1)
        try:
            jobs = [(c, self.pool.submit(read.read_tables_raw, kind, c)) for c in chunks]
        except RuntimeError:  # pool broken or shut down
            return
        self.jobs[kind] = (list(files), jobs)

    def take(
        self, kind: str, files: list[tuple[Path, str, str]]
    ) -> tuple[pl.DataFrame | None, list] | None:
        """The prefetched parse of exactly ``files`` (None if it was not prefetched). Chunks no
        worker has started yet are parsed here; a failed worker's chunk is parsed again here."""
        job = self.jobs.pop(kind, None)
        if job is None:
            return None
        if job[0] != list(files):
            for _, fut in job[1]:
                fut.cancel()
            return None
        results: list = [None] * len(job[1])
        for k in reversed(range(len(job[1]))):
            chunk, fut = job[1][k]
            if fut.cancel():
                results[k] = read.read_tables_raw(kind, chunk)
        for k, (chunk, fut) in enumerate(job[1]):
            if results[k] is None:
                try:
                    results[k] = fut.result()
                except Exception:  # noqa: BLE001 - a dead worker: do the chunk here
                    results[k] = read.read_tables_raw(kind, chunk)
        frames = [r[0] for r in results if r[0] is not None]
        outcome = [o for r in results for o in r[1]]
        frame = pl.concat(frames, how="diagonal_relaxed") if frames else None
        return frame, outcome

    def submit_call(self, key: str, fn, *args) -> None:  # noqa: ANN001 - any picklable function
        """Run ``fn(*args)`` in a worker; :meth:`take_call` gets its result."""
        if self.pool is None:
            return
        with contextlib.suppress(RuntimeError):  # pool broken or shut down: run it in-process
            self.calls[key] = (fn, args, self.pool.submit(fn, *args))

    def take_call(self, key: str):  # noqa: ANN201 - whatever the function returns
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
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
        self.jobs.clear()
        self.calls.clear()


def _files_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "path": pl.String,
            "sha256": pl.String,
            "ukuran_byte": pl.Int64,
            "error": pl.String,
            "notes": pl.String,
        },
        orient="row",
    )


def _parse_new(
    kind: str,
    items: list[tuple[Path, str, int, str]],
    raw: Path,
    previous: dict[str, tuple[Path, str]],
    cached: pl.DataFrame | None,
    prefetch: _Prefetch | None = None,
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], pl.DataFrame]:
    rows, votes, files = [], [], []
    per_tps_json = [it for it in items if kind == "official" and it[0].suffix.lower() == ".json"]
    others = [it for it in items if not (kind == "official" and it[0].suffix.lower() == ".json")]
    if per_tps_json:
        r, v, f = _parse_sirekap_files(per_tps_json)
        rows += r
        votes += v
        files += f
    if kind in read.COERCE:  # tables: every file's text rows in one frame
        table_files = [(p, rel, sha) for p, sha, _, rel in others]
        done = prefetch.take(kind, table_files) if prefetch is not None else None
        frame, outcome = done or read.read_tables_raw(kind, table_files)
        sizes = {rel: (sha, size) for _, sha, size, rel in others}
        files += [(rel, *sizes[rel], err, notes) for rel, err, notes in outcome]
        if frame is not None and frame.height:
            rows.append(frame)
        return rows, votes, _files_frame(files)
    parsed: dict[str, pl.DataFrame] = {}
    tables: dict[str, pl.DataFrame] = {}
    for path, sha, size, rel in others:
        if rel in previous:  # a bundle after the first pull: lines unchanged since then are copies
            prev_path, prev_rel = previous[rel]
            prev_rows = parsed.get(prev_rel)
            if prev_rows is None and cached is not None:
                prev_rows = cached.filter(pl.col("sumber_file") == prev_rel)
            table = tables.pop(prev_rel, None)  # each table serves only the next pull
            if table is None and prev_rows is not None and prev_rows.height:
                table = read.jsonl_line_table(prev_path.read_bytes(), prev_rel, prev_rows)
            try:
                fr = read.read_sirekap_jsonl(path.read_bytes(), rel, previous=table)
            except OSError as exc:
                fr = read.FileRead(kind, error=f"tidak bisa dibaca ({exc.strerror})")
        else:
            fr = read.read_file(path, raw, kind=kind, typed=False)
        if fr.error is None and kind == "official":
            parsed[rel] = fr.rows
            if fr.line_table is not None:
                tables[rel] = fr.line_table
        files.append((rel, sha, size, fr.error, "; ".join(fr.notes) or None))
        if fr.error is None and fr.rows.height:
            rows.append(fr.rows.with_columns(pl.lit(sha).alias("_sha")))
            if fr.votes is not None:
                votes.append(
                    fr.votes.with_columns(
                        pl.lit(sha).alias("_sha"), pl.lit(rel).alias("sumber_file")
                    )
                )
    return rows, votes, _files_frame(files)


def _parse_sirekap_files(items: list[tuple[Path, str, int, str]]) -> tuple[list, list, list]:
    """Many per-TPS JSON files at once: one frame for all (creating a frame per file is slow)."""
    builders: dict[str, read._OfficialBuilder] = {}
    shas: dict[str, list[str]] = {}
    files = []
    for path, sha, size, rel in items:
        data = path.read_bytes()
        parent = str(Path(rel).parent)
        fr_err = None
        try:
            rec = json.loads(data) if data.strip() else None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = f" (baris {exc.lineno}, kolom {exc.colno})" if hasattr(exc, "lineno") else ""
            fr_err = f"bukan JSON yang sah{where}: {getattr(exc, 'msg', exc)}"
            rec = None
        if fr_err is None and rec is None:
            fr_err = "berkas kosong (0 byte)" if not data else "berkas kosong (hanya spasi)"
        if fr_err is None and (
            not isinstance(rec, dict) or not ({"tungsura", "chart", "administrasi"} & rec.keys())
        ):
            fr_err = (
                "JSON ini bukan catatan Sirekap per TPS (tidak ada tungsura/chart/administrasi)"
            )
        files.append((rel, sha, size, fr_err, None))
        if fr_err:
            continue
        if parent not in builders:
            builders[parent] = read._OfficialBuilder(rel, read.path_jenis(rel), read.path_pull(rel))
            shas[parent] = []
        stem = Path(rel).stem
        builders[parent].add(
            stem if stem.isdigit() and len(stem) == 13 else rec.get("kode_tps", stem),
            rec,
            1,
            [],
            rel=rel,
        )
        shas[parent].append(sha)
    rows, votes = [], []
    for parent, b in builders.items():
        fr = b.result()
        r = fr.rows.with_columns(pl.Series("_sha", shas[parent], dtype=pl.String))
        # each record is its own file: _i = 0 inside it
        v = fr.votes.join(r.select("_i", "sumber_file", "_sha"), on="_i").with_columns(
            pl.lit(0, dtype=pl.Int64).alias("_i")
        )
        rows.append(r.with_columns(pl.lit(0, dtype=pl.Int64).alias("_i")))
        votes.append(v)
    return rows, votes, files


# --- Derived columns the validator needs ------------------------------------------------------


def _ref_paslon_table(ref: pl.DataFrame | None) -> pl.DataFrame:
    if ref is None or ref.is_empty():
        return BY_NAME["ref_paslon"].empty()
    return ref


def _vote_stats(votes: pl.DataFrame, rows: pl.DataFrame, ref_paslon: pl.DataFrame) -> pl.DataFrame:
    """Per ``_rid``: jumlah_suara_paslon (Σ votes, null with no vote entry) and paslon_asing (vote
    entries, nonzero, whose paslon is not in the contest's reference — every entry of a contest the
    reference does not hold, e.g. ``ppwp`` in a Pilkada drop; null when there is no paslon
    reference at all)."""
    ref_nu = (
        ref_paslon.select("kode_kontestasi", "nomor_urut")
        .unique()
        .with_columns(pl.lit(True).alias("_in_ref"))
    )
    v = votes.join(rows.select("_rid", "kode_kontestasi"), on="_rid", how="inner")
    if "asing" in v.columns:  # official: already decided by paslon id
        v = v.with_columns(pl.col("asing").alias("_foreign"))
    else:
        v = v.join(ref_nu, on=["kode_kontestasi", "nomor_urut"], how="left").with_columns(
            pl.col("_in_ref").is_null().alias("_foreign")
        )
    stats = v.group_by("_rid").agg(
        pl.col("suara").sum().alias("jumlah_suara_paslon"),
        (pl.col("_foreign") & (pl.col("suara").fill_null(1) != 0)).sum().alias("paslon_asing"),
    )
    out = rows.select("_rid", "kode_kontestasi").join(stats, on="_rid", how="left")
    out = out.with_columns(
        pl.col("paslon_asing").fill_null(0)
        if ref_paslon.height
        else pl.lit(None, dtype=pl.Int64).alias("paslon_asing")
    )
    return out.select(
        "_rid", pl.col("jumlah_suara_paslon").cast(pl.Int64), pl.col("paslon_asing").cast(pl.Int64)
    )


# --- Fates ------------------------------------------------------------------------------------


def _attach(df: pl.DataFrame, other: pl.DataFrame, on: str | list[str] = "_rid") -> pl.DataFrame:
    """``df`` left-joined with ``other`` (unique on ``on``), keeping ``df``'s row order, without
    copying ``df``'s own columns: the join runs on the key alone and the new columns are added
    beside the old ones (a join of the wide frame itself would copy every column)."""
    keys = [on] if isinstance(on, str) else on
    aligned = df.select(keys).join(other, on=keys, how="left", maintain_order="left")
    return df.with_columns(aligned.drop(keys).get_columns())


def _ref_of(df: pl.DataFrame) -> pl.Expr:
    return pl.concat_str(pl.col("sumber_file"), pl.lit(":"), pl.col("sumber_baris").cast(pl.String))


def _duplicates(df: pl.DataFrame, spec: Spec, compare: list[str]) -> pl.DataFrame:
    """Versioned datasets: rows sharing entity + version time. Returns ``_rid``, ``_dup_of`` (the
    first copy, for exact duplicates) and ``_bentrok`` (reason, for differing numbers)."""
    assert spec.version is not None
    key = [*spec.entity, spec.version]
    # hash on the whole frame, then filter only the few columns needed (a wide filter copies all)
    cand = df.select(
        "_rid",
        *key,
        pl.struct(compare).hash().alias("_h"),
        _ref_of(df).alias("_ref"),
        (
            pl.all_horizontal(pl.col(k).is_not_null() for k in key)
            & (pl.col("masalah").list.len() == 0)
        ).alias("_ok"),
    ).filter(pl.col("_ok"))
    grp = cand.with_columns(
        pl.len().over(key).alias("_n"),
        pl.col("_h").n_unique().over(key).alias("_nh"),
        pl.col("_rid").min().over(key).alias("_first"),
    ).filter(pl.col("_n") > 1)
    first_ref = grp.filter(pl.col("_rid") == pl.col("_first")).select(
        pl.col("_rid").alias("_first"), pl.col("_ref").alias("_first_ref")
    )
    others = grp.group_by(key).agg(pl.col("_ref").alias("_refs"))
    grp = grp.join(first_ref, on="_first").join(others, on=key, nulls_equal=True)
    return grp.select(
        "_rid",
        pl.when((pl.col("_nh") == 1) & (pl.col("_rid") != pl.col("_first")))
        .then(pl.col("_first_ref"))
        .alias("_dup_of"),
        pl.when(pl.col("_nh") > 1)
        .then(
            pl.concat_str(
                pl.lit(
                    f"versi_bentrok: laporan lain untuk {' × '.join(spec.entity)} pada {spec.version} yang sama berisi angka berbeda ("
                ),
                pl.col("_refs").list.join(", "),
                pl.lit("); tidak bisa diputuskan mana yang benar"),
            )
        )
        .alias("_bentrok"),
    )


def _run_validator(
    dataset: str, df: pl.DataFrame, settings: Settings, messages: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """flags (``_rid``, ``_alasan_v``, ``peringatan``) and summary; never raises."""
    empty_flags = df.select(
        pl.col("_rid"), _EMPTY_LIST.alias("_alasan_v"), _EMPTY_LIST.alias("peringatan")
    )
    empty_summary = pl.DataFrame(schema=SUMMARY_SCHEMA)
    if df.is_empty():
        return empty_flags, empty_summary
    _wait_warm()  # never two threads in Great Expectations at once
    try:
        from analysis.validate import validate
    except ImportError as exc:
        messages.append(
            f"[{dataset}] validasi tidak tersedia ({exc}); baris diterima tanpa validasi"
        )
        return empty_flags.with_columns(
            pl.lit(["tidak_tervalidasi"]).alias("peringatan")
        ), empty_summary
    try:
        out = validate(dataset, df.with_columns(pl.col("_rid").alias("_row_id")), settings)
    except Exception as exc:  # noqa: BLE001 - a validator failure must not lose the batch
        messages.append(f"[{dataset}] validasi gagal dijalankan: {type(exc).__name__}: {exc}")
        return empty_flags.with_columns(
            pl.lit(["tidak_tervalidasi"]).alias("peringatan")
        ), empty_summary
    flags = out.flags.select(
        pl.col("_row_id").alias("_rid"),
        # duplicate keys are resolved by supersession here (module docstring)
        pl.col("alasan_tolak")
        .list.eval(pl.element().filter(~pl.element().str.starts_with("kunci_unik:")))
        .alias("_alasan_v"),
        pl.col("peringatan"),
    )
    summary = out.summary.filter(pl.col("pemeriksaan") != "kunci_unik")
    return flags, summary.select(list(SUMMARY_SCHEMA)).cast(SUMMARY_SCHEMA)


def _decide(
    spec: Spec,
    df: pl.DataFrame,
    settings: Settings,
    messages: list[str],
    validate_df: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give every row its fate. Adds ``_status``, ``alasan`` (list), ``peringatan``,
    ``digantikan_oleh``. ``validate_df``: the frame handed to the validator when it differs from
    ``df`` (official_region: long rows carrying ``_rid``)."""
    compare = [
        c for c in df.columns
        if c not in ("_rid", "_i", "_sha", "sumber_file", "sumber_sheet", "sumber_baris", "nilai_asli", "masalah", "_votes_sig")
    ] + (["_votes_sig"] if "_votes_sig" in df.columns else [])  # fmt: skip
    df = df.with_columns(_ref_of(df).alias("_ref"))
    if spec.version:
        dups = _duplicates(df, spec, compare)
        df = _attach(df, dups)
    else:
        df = df.with_columns(
            pl.lit(None, dtype=pl.String).alias("_dup_of"),
            pl.lit(None, dtype=pl.String).alias("_bentrok"),
        )
    # null entity/version: cannot be placed (the validator says which column; this guards refs)
    keycols = [*spec.entity, *([spec.version] if spec.version else [])]
    if spec.kind == "official_region":
        keycols = ["kode_wilayah", "kode_kontestasi"]
    nulls = [pl.when(pl.col(k).is_null()).then(pl.lit(k)) for k in keycols]
    df = df.with_columns(
        pl.when(pl.any_horizontal(pl.col(k).is_null() for k in keycols))
        .then(
            pl.concat_str(
                pl.lit("wajib_terisi: kolom kunci kosong: "),
                pl.concat_list(nulls).list.drop_nulls().list.join(", "),
            )
        )
        .alias("_kosong")
    )
    to_check = df.filter(pl.col("_dup_of").is_null() & pl.col("_bentrok").is_null())
    summary = pl.DataFrame(schema=SUMMARY_SCHEMA)
    if spec.validate_as:
        if validate_df is not None:  # validated at another grain: fold the flags back per raw row
            vdf = validate_df.join(to_check.select("_rid"), on="_rid")
            vdf = vdf.with_row_index("_vrid").with_columns(pl.col("_vrid").cast(pl.Int64))
            vflags, summary = _run_validator(
                spec.validate_as,
                vdf.rename({"_rid": "_raw_rid", "_vrid": "_rid"}),
                settings,
                messages,
            )
            flags = (
                vflags.join(
                    vdf.select(pl.col("_vrid").alias("_rid"), pl.col("_rid").alias("_raw")),
                    on="_rid",
                )
                .group_by("_raw")
                .agg(
                    pl.col("_alasan_v")
                    .list.explode(keep_nulls=False, empty_as_null=False)
                    .unique(maintain_order=True),
                    pl.col("peringatan")
                    .list.explode(keep_nulls=False, empty_as_null=False)
                    .unique(maintain_order=True),
                )
                .rename({"_raw": "_rid"})
            )
        else:
            flags, summary = _run_validator(spec.validate_as, to_check, settings, messages)
        df = _attach(df, flags)
    else:
        df = df.with_columns(_EMPTY_LIST.alias("_alasan_v"), _EMPTY_LIST.alias("peringatan"))
    df = df.with_columns(
        pl.concat_list(
            pl.col("masalah").fill_null(_EMPTY_LIST),
            pl.concat_list(pl.col("_kosong"), pl.col("_bentrok")).list.drop_nulls(),
            pl.col("_alasan_v").fill_null(_EMPTY_LIST),
            pl.col("_tolak_ingest") if "_tolak_ingest" in df.columns else _EMPTY_LIST,
        ).alias("alasan"),
        pl.concat_list(
            pl.col("peringatan").fill_null(_EMPTY_LIST),
            pl.col("_warn_ingest") if "_warn_ingest" in df.columns else _EMPTY_LIST,
        ).alias("peringatan"),
    )
    rejected = pl.col("alasan").list.len() > 0
    df = df.with_columns(
        pl.when(rejected)
        .then(pl.lit(DITOLAK))
        .when(pl.col("_dup_of").is_not_null())
        .then(pl.lit(DIGANTIKAN))
        .otherwise(None)
        .alias("_status")
    )
    if spec.snapshot and spec.version:
        df = _unchanged_since_previous(df, spec, [c for c in compare if c != spec.version])
    # supersession among the live rows: order versions, the last one is in force
    order = [*spec.entity, *([spec.version] if spec.version else []), "_rid"]
    live = (
        df.select(*dict.fromkeys(["_rid", "_ref", *order]), pl.col("_status").is_null().alias("_l"))
        .filter(pl.col("_l"))
        .sort(order)
    )
    # the next version of the same entity (rows sorted by entity, then version)
    live = live.select(
        "_rid",
        pl.when(_same_entity_as(spec.entity, -1)).then(pl.col("_ref").shift(-1)).alias("_next"),
    )
    df = _attach(df, live).with_columns(
        pl.when(pl.col("_status").is_not_null())
        .then(pl.col("_status"))
        .when(pl.col("_next").is_not_null())
        .then(pl.lit(DIGANTIKAN))
        .otherwise(pl.lit(DITERIMA))
        .alias("_status"),
        pl.coalesce(pl.col("_next"), pl.col("_dup_of")).alias("digantikan_oleh"),
    )
    own = _own_summary(spec, df)
    return df.drop("_ref", "_next", "_kosong", "_bentrok", "_alasan_v"), pl.concat([summary, own])


def _same_entity_as(entity: tuple[str, ...], offset: int) -> pl.Expr:
    """In a frame sorted by ``entity``: the row ``offset`` rows away (1: previous, -1: next)
    belongs to the same entity (nulls equal; False where there is no such row)."""
    idx = pl.int_range(pl.len())
    exists = idx >= offset if offset > 0 else idx < pl.len() + offset
    return exists & pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(offset)) for c in entity)


def _unchanged_since_previous(df: pl.DataFrame, spec: Spec, compare: list[str]) -> pl.DataFrame:
    """Snapshots: a live row equal (all but the version time and lineage) to the entity's previous
    live row is an exact duplicate of the first row of that unchanged run: superseded by it and not
    kept as a version. A record that changes and changes back (A, B, A) gives three versions."""
    assert spec.version is not None
    live = (
        df.select(  # narrow first: filtering the wide frame would copy every column
            "_rid",
            "_ref",
            *spec.entity,
            spec.version,
            pl.struct(compare).hash().alias("_h"),
            pl.col("_status").is_null().alias("_live"),
        )
        .filter(pl.col("_live"))
        .drop("_live")
        .sort([*spec.entity, spec.version, "_rid"])
    )
    # sorted by entity then version: a run of equal records starts where the entity or the
    # record changes; every row of a run points to the run's first row
    live = live.with_columns(
        (~_same_entity_as(spec.entity, 1) | (pl.col("_h") != pl.col("_h").shift(1)))
        .fill_null(True)
        .alias("_new")
    ).with_columns(pl.when(pl.col("_new")).then(pl.col("_ref")).forward_fill().alias("_first"))
    same = live.filter(~pl.col("_new")).select("_rid", pl.col("_first").alias("_same_as"))
    return (
        _attach(df, same)
        .with_columns(
            pl.when(pl.col("_same_as").is_not_null())
            .then(pl.lit(DIGANTIKAN))
            .otherwise(pl.col("_status"))
            .alias("_status"),
            pl.coalesce(pl.col("_dup_of"), pl.col("_same_as")).alias("_dup_of"),
        )
        .drop("_same_as")
    )


def _kabkota_expr(df: pl.DataFrame) -> pl.Expr:
    if "kode_tps" in df.columns:
        c = pl.col("kode_tps")
        tps = pl.when(c.str.contains(r"^\d{13}$")).then(
            pl.concat_str(c.str.slice(0, 2), pl.lit("."), c.str.slice(2, 2))
        )
        if "kode_wilayah" in df.columns:
            return pl.coalesce(
                pl.when(pl.col("kode_wilayah").str.contains(r"^\d{2}\.\d{2}")).then(
                    pl.col("kode_wilayah").str.slice(0, 5)
                ),
                tps,
            )
        return tps
    if "kode_wilayah" in df.columns:
        return pl.when(pl.col("kode_wilayah").str.contains(r"^\d{2}\.\d{2}")).then(
            pl.col("kode_wilayah").str.slice(0, 5)
        )
    return pl.lit(None, dtype=pl.String)


def _own_summary(spec: Spec, df: pl.DataFrame) -> pl.DataFrame:
    """Summary rows for the checks ingest itself makes (unreadable cells, colliding versions)."""
    ds = spec.validate_as or spec.name
    w = df.with_columns(_kabkota_expr(df).alias("kode_kabkota"))
    own: tuple[tuple, ...] = (
        (
            "format_baca",
            pl.col("masalah").list.len() > 0,
            "Nilai sel harus terbaca (angka, tanggal, jenis pemilihan)",
        ),
        (
            "versi_bentrok",
            pl.col("_bentrok").is_not_null(),
            "Dua laporan untuk TPS × kontestasi pada waktu yang sama harus berisi angka yang sama",
        ),
        ("wajib_terisi_kunci", pl.col("_kosong").is_not_null(), "Kolom kunci tidak boleh kosong"),
    )
    for col, tingkat in (("_tolak_ingest", "tolak"), ("_warn_ingest", "peringatan")):
        if col in df.columns:
            own += (
                (
                    "tps_terdaftar",
                    pl.col(col).list.len() > 0,
                    "Kode TPS harus ada di daftar TPS (referensi/tps.csv)",
                    tingkat,
                ),
            )
    parts = []
    for check, cond, alasan, *tingkat in own:
        if check == "wajib_terisi_kunci" and spec.validate_as:
            continue  # the validator's wajib_terisi covers it
        parts.append(
            w.group_by("kode_kabkota")
            .agg(
                cond.sum().cast(pl.Int64).alias("n_gagal"),
                pl.len().cast(pl.Int64).alias("n_diperiksa"),
            )
            .with_columns(
                pl.lit(ds).alias("dataset"),
                pl.lit(check).alias("pemeriksaan"),
                pl.lit(tingkat[0] if tingkat else "tolak").alias("tingkat"),
                pl.lit(alasan).alias("alasan"),
            )
            .select(list(SUMMARY_SCHEMA))
        )
    return pl.concat(parts).cast(SUMMARY_SCHEMA) if parts else pl.DataFrame(schema=SUMMARY_SCHEMA)


# --- Per-kind preparation ---------------------------------------------------------------------


def _votes_signature(votes: pl.DataFrame) -> pl.DataFrame:
    """Per ``_rid`` a 64-bit signature of its vote entries (order-free): two reports compare equal
    only if their votes do (as the rest of a row is compared, through a 64-bit hash)."""
    return (
        votes.select(
            "_rid", pl.struct("nomor_urut", "paslon_id", "suara").hash(seed=7).alias("_vh")
        )
        .group_by("_rid")
        .agg(pl.col("_vh").sort())
        .select("_rid", pl.col("_vh").hash(seed=11).alias("_votes_sig"))
    )


def _prepare_votes_rows(
    kind: str, rows: pl.DataFrame, votes: pl.DataFrame, refs: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    ref_paslon = _ref_paslon_table(refs.get("ref_paslon"))
    if kind == "official":
        votes = read.map_paslon(
            votes.select("_rid", "paslon_id", "suara", "nomor_urut"),
            rows.select("_rid", "kode_kontestasi"),
            ref_paslon,
        ).drop("kode_kontestasi")
    if kind == "tally":
        ref_tps = refs.get("ref_tps")
        if ref_tps is not None and ref_tps.height:
            fill = ref_tps.select(
                "kode_tps",
                *(
                    pl.col(c).alias(f"_ref_{c}")
                    for c in ("pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p")
                ),
            )
            rows = (
                _attach(rows, fill.unique("kode_tps", keep="first"), on="kode_tps")
                .with_columns(
                    pl.coalesce(c, f"_ref_{c}").alias(c)
                    for c in ("pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p")
                )
                .drop("_ref_pemilih_dpt", "_ref_pemilih_dpt_l", "_ref_pemilih_dpt_p")
            )
    stats = _vote_stats(votes, rows, ref_paslon)
    rows = _attach(_attach(rows, stats), _votes_signature(votes))
    ref_tps = refs.get("ref_tps")
    if ref_tps is not None and ref_tps.height:
        # a TPS code whose desa exists but which is not in the TPS list (a typo in the number)
        unknown = pl.col("kode_tps").is_not_null() & ~pl.col("kode_tps").is_in(
            ref_tps["kode_tps"].implode()
        )
        msg = pl.format(
            "tps_terdaftar: kode_tps {} tidak ada di daftar TPS (referensi/tps.csv)",
            pl.col("kode_tps"),
        )
        # an internal report cannot be placed: reject; KPU's record stands: warn
        col = "_tolak_ingest" if kind == "tally" else "_warn_ingest"
        rows = rows.with_columns(
            pl.when(unknown).then(pl.concat_list(msg)).otherwise(_EMPTY_LIST).alias(col)
        )
    return rows, votes


def _normalise_incidents(rows: pl.DataFrame, messages: list[str]) -> pl.DataFrame:
    rows = rows.with_columns(
        pl.when(pl.col("id_insiden").is_null() | (pl.col("id_insiden").str.strip_chars() == ""))
        .then(
            pl.concat_str(
                pl.col("sumber_file"), pl.lit(":"), pl.col("sumber_baris").cast(pl.String)
            )
        )
        .otherwise(pl.col("id_insiden").str.strip_chars())
        .alias("id_insiden")
    )
    try:
        from analysis.incidents import normalise_incidents
    except ImportError as exc:
        messages.append(f"[incidents] normalisasi label belum tersedia ({exc}); teks asli disimpan")
        return rows.with_columns(
            *(pl.col(c).alias(f"{c}_asli") for c in ("tahapan", "kategori", "tingkat_keparahan")),
            pl.lit([], dtype=pl.List(pl.String)).alias("kategori_lain"),
        )
    return normalise_incidents(rows)


# --- Quarantine -------------------------------------------------------------------------------


def _quarantine(
    dataset: str,
    rejected: pl.DataFrame,
    raw: Path,
    cache: _Cache | None = None,
    kind: str | None = None,
) -> pl.DataFrame:
    if rejected.is_empty():
        return QUARANTINE.empty()
    if "nilai_asli" not in rejected.columns and cache is not None and kind in read.COERCE:
        keys = ["sumber_file", "sumber_sheet", "sumber_baris"]
        rejected = rejected.join(
            cache.originals(kind, rejected.select(keys)),
            on=keys,
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    q = rejected.select(
        pl.lit(dataset).alias("dataset"),
        "sumber_file",
        pl.col("sumber_sheet").fill_null(""),
        "sumber_baris",
        "alasan",
        pl.col("nilai_asli")
        if "nilai_asli" in rejected.columns
        else pl.lit(None, dtype=pl.String).alias("nilai_asli"),
    )
    missing = q.filter(pl.col("nilai_asli").is_null())
    if missing.height:  # KPU records: take the original text back from the file
        texts: dict[tuple[str, int], str] = {}
        for (rel,), part in missing.group_by(["sumber_file"]):
            try:
                data = (raw / rel).read_bytes()
            except OSError:
                continue
            for n, t in read.original_json_rows(data, rel, part["sumber_baris"].to_list()).items():
                texts[(rel, n)] = t
        lut = pl.DataFrame(
            [(k[0], k[1], v) for k, v in texts.items()],
            schema={"sumber_file": pl.String, "sumber_baris": pl.Int64, "_t": pl.String},
            orient="row",
        )
        q = (
            q.join(lut, on=["sumber_file", "sumber_baris"], how="left")
            .with_columns(pl.coalesce("nilai_asli", "_t").alias("nilai_asli"))
            .drop("_t")
        )
    return q.unique(
        ["dataset", "sumber_file", "sumber_sheet", "sumber_baris"],
        keep="first",
        maintain_order=True,
    )


# --- The run ----------------------------------------------------------------------------------


_HASH_CHUNK = 32 << 20  # large reads: each one gives the GIL back and must take it again, and
# while Great Expectations is imported in another thread every re-take can wait ~5 ms


def _sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def run_ingest(
    raw: Path, processed: Path, settings: Settings | None = None, echo: bool = False
) -> Accounting:
    """Read, validate and account for the drop at ``raw``; write everything under ``processed``.

    Returns the :class:`Accounting` (also written as ``accounting.parquet`` and in the ledger).
    """
    t0 = time.perf_counter()
    s = settings or default_settings()
    raw, processed = Path(raw).resolve(), Path(processed).resolve()
    if not raw.is_dir():
        raise FileNotFoundError(f"{raw}: folder drop mentah tidak ada")
    if processed == raw or raw in processed.parents:
        raise ValueError(
            f"{processed}: hasil olahan tidak boleh ditulis di dalam folder mentah {raw}"
        )
    processed.mkdir(parents=True, exist_ok=True)
    cache = _Cache(processed)
    _WARM.pop("started", None)  # one warm-up thread per run (see _start_warm)

    # 1. ledger: hash every file, the same content is read once
    found = discover(raw)
    # the tally files are parsed in worker processes as soon as they are hashed
    tally_left = sum(1 for _, kind in found if kind == "tally")
    prefetch = _Prefetch()
    if tally_left >= _POOL_MIN_FILES:
        prefetch.start()
    try:
        out = _run_ingest(raw, processed, s, echo, t0, cache, found, prefetch, tally_left)
        t_wait = time.perf_counter()
        cache.wait()
        out.timings["tunggu_cache"] = round(time.perf_counter() - t_wait, 2)
        out.seconds = time.perf_counter() - t0
        return out
    finally:
        prefetch.close()
        with contextlib.suppress(BaseException):
            cache.wait()


def _run_ingest(
    raw: Path,
    processed: Path,
    s: Settings,
    echo: bool,
    t0: float,
    cache: _Cache,
    found: list[tuple[Path, str]],
    prefetch: _Prefetch,
    tally_left: int,
) -> Accounting:
    """:func:`run_ingest` once the files are discovered and the worker pool is started."""
    messages: list[str] = []
    seen: dict[str, str] = {}
    by_kind: dict[str, list[tuple[Path, str, int, str]]] = {k: [] for k in ORDER}
    acc_rows: list[dict] = []
    sizes: dict[str, int] = {}
    shas: dict[str, str] = {}
    # the tally files first, then the Sirekap files: both worker processes parse the tally as
    # soon as it is hashed, then one reads the Sirekap pulls (the longest single job) while the
    # main process validates the tally (a stable sort: path order within each kind stays)
    first = {"tally": 0, "official": 1}
    found = sorted(found, key=lambda f: first.get(f[1], 2))
    official_left = sum(1 for _, kind in found if kind == "official")
    for path, kind in found:
        if official_left == 0 and "official" not in prefetch.calls:
            _submit_official(prefetch, by_kind["official"], raw, processed)
        if kind == "official":
            official_left -= 1
        if kind == "tally":
            tally_left -= 1
        else:
            # Great Expectations takes seconds of pure Python to import: a thread does it while
            # the big files are hashed and the references read, not while the thousands of
            # small tally files are (each read gives the GIL back and waits up to a switch
            # interval to take it again behind the import)
            _start_warm(s)
            if tally_left == 0 and prefetch.pool is not None and "tally" not in prefetch.jobs:
                _submit_tally(prefetch, by_kind["tally"], cache)
        rel = path.relative_to(raw).as_posix()
        try:
            sha, size = _sha256(path)
        except OSError as exc:
            messages.append(f"{rel}: tidak bisa dibaca ({exc.strerror})")
            acc_rows.append(_acc(rel, None, None, DITOLAK, f"tidak bisa dibaca ({exc.strerror})"))
            continue
        sizes[rel] = size
        shas[rel] = sha
        dataset = SPECS[kind].name if kind in SPECS else None
        ident = _identity(kind, path, sha)
        if ident in seen:
            msg = f"isinya sama persis dengan {seen[ident]} (sha256); tidak dibaca dua kali"
            acc_rows.append(_acc(rel, sha, dataset, FILE_DUPLICATE, msg))
            continue
        seen[ident] = rel
        if kind in SPECS:
            by_kind[kind].append((path, sha, size, rel))
        else:
            msg = (
                "letak berkas tidak dikenal; taruh di referensi/, hitung_internal/, kpu/, "
                "insiden/ atau kesiapan/ (lihat analysis.catalog)"
            )
            messages.append(f"{rel}: DITOLAK — {msg}")
            acc_rows.append(_acc(rel, sha, None, DITOLAK, msg))

    if "official" not in prefetch.calls:
        _submit_official(prefetch, by_kind["official"], raw, processed)
    if prefetch.pool is not None and "tally" not in prefetch.jobs:
        _submit_tally(prefetch, by_kind["tally"], cache)

    _start_warm(s)  # (if no file but tally files was found)

    # 2. read and decide, kind by kind
    refs: dict[str, pl.DataFrame] = {}
    outputs: dict[str, pl.DataFrame] = {}
    written: set[str] = set()
    timings: dict[str, float] = {"hash": round(time.perf_counter() - t0, 2)}
    quarantine_parts: dict[str, pl.DataFrame] = {}
    summary_parts: dict[str, pl.DataFrame] = {}
    writer = _Writer(processed)
    acc_by_kind: dict[str, list[dict]] = {}
    for kind in PROCESS_ORDER:
        spec = SPECS[kind]
        t_read = time.perf_counter()
        if kind == "official":
            handed = prefetch.take_call("official")
            batch = (
                _handoff_read(handed)
                if handed is not None
                else _read_official(by_kind[kind], raw, cache)
            )
            prefetch.close()  # the workers' memory is given back before validation
        else:
            batch = _read_kind(kind, by_kind[kind], raw, cache, prefetch=prefetch)
        timings[f"baca_{kind}"] = round(time.perf_counter() - t_read, 2)
        counts = None
        if batch.rows is not None and batch.rows.height:
            t_dec = time.perf_counter()
            decided, summary, votes = _process_kind(spec, batch, refs, s, messages)
            timings[f"validasi_{kind}"] = round(time.perf_counter() - t_dec, 2)
            timings[f"rss_mb_{kind}"] = round(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            )
            summary_parts[kind] = summary
            quarantine_parts[kind] = _quarantine(
                spec.validate_as or spec.name,
                decided.filter(pl.col("_status") == DITOLAK),
                raw,
                cache,
                kind,
            )
            counts = decided.group_by("sumber_file").agg(
                pl.len().alias("baris_dibaca"),
                (pl.col("_status") == DITERIMA).sum().alias("baris_diterima"),
                (pl.col("_status") == DITOLAK).sum().alias("baris_ditolak"),
                (pl.col("_status") == DIGANTIKAN).sum().alias("baris_digantikan"),
            )
            _outputs(spec, decided, votes, refs, outputs)
            del decided, votes  # free the batch before the next kind is read
            for name in list(outputs):  # write each dataset as soon as it is final
                writer.write(_canon(name, outputs.pop(name)), name)
                written.add(name)
        counts_by_file = (
            {r["sumber_file"]: r for r in counts.iter_rows(named=True)}
            if counts is not None
            else {}
        )
        for f in batch.files.iter_rows(named=True):
            rel = f["path"]
            if f["error"]:
                msg = f["error"]
                messages.append(f"{rel}: DITOLAK — {msg}")
                acc_by_kind.setdefault(kind, []).append(
                    _acc(rel, shas.get(rel), spec.name, DITOLAK, msg)
                )
                continue
            c = counts_by_file.get(rel, {})
            note = f["notes"] or (None if c else "tidak ada baris data")
            acc_by_kind.setdefault(kind, []).append(
                _acc(
                    rel,
                    shas.get(rel),
                    spec.name,
                    DITERIMA,
                    note,
                    *(
                        int(c.get(k, 0))
                        for k in (
                            "baris_dibaca",
                            "baris_diterima",
                            "baris_ditolak",
                            "baris_digantikan",
                        )
                    ),
                )
            )
        batch = None

    # 3. write (in the canonical kind order, whatever order the kinds were processed in)
    t_end = time.perf_counter()
    writer.wait()
    for kind in ORDER:
        acc_rows += acc_by_kind.get(kind, [])
    accounting = pl.DataFrame(acc_rows, schema=ACCOUNTING_SCHEMA).sort("path")
    summaries = [summary_parts[k] for k in ORDER if k in summary_parts]
    check_summary = (
        pl.concat(summaries).cast(SUMMARY_SCHEMA)
        if summaries
        else pl.DataFrame(schema=SUMMARY_SCHEMA)
    )
    quarantines = [quarantine_parts[k] for k in ORDER if k in quarantine_parts]
    quarantine = pl.concat(quarantines) if quarantines else QUARANTINE.empty()
    for name in (
        "ref_tps",
        "ref_paslon",
        "tally_tps",
        "tally_votes",
        "official_tps",
        "official_votes",
        "official_region",
        "incidents",
        "readiness",
    ):
        if name not in written:
            catalog.write(BY_NAME[name].empty(), name, root=processed)
    catalog.write(quarantine, "quarantine", root=processed)
    catalog.write(_ledger(processed, sizes, accounting), "ledger", root=processed)
    catalog.write(accounting, "accounting", root=processed)
    catalog.write(check_summary, "check_summary", root=processed)
    timings["tulis_akhir"] = round(time.perf_counter() - t_end, 2)
    result = Accounting(accounting, messages, check_summary, time.perf_counter() - t0, timings)
    if echo:
        print(result.table())
    return result


def _submit_official(
    prefetch: _Prefetch, items: list[tuple[Path, str, int, str]], raw: Path, processed: Path
) -> None:
    """The Sirekap read (the largest) in a worker while the main process reads and validates the
    other kinds; nothing to hand when there are no Sirekap files or no pool."""
    if prefetch.pool is not None and items:
        prefetch.submit_call("official", _read_official_job, list(items), raw, processed)


def _submit_tally(
    prefetch: _Prefetch, items: list[tuple[Path, str, int, str]], cache: _Cache
) -> None:
    """Hand the tally files not in the parse cache to the worker pool (as :func:`_read_kind`
    will ask for them), or mark that there is nothing to hand."""
    known = cache.known("tally")
    new = [(p, rel, sha) for p, sha, _, rel in items if (sha, rel) not in known]
    if new:
        prefetch.submit("tally", new)
    if "tally" not in prefetch.jobs:
        prefetch.jobs["tally"] = ([], [])


_WARM: dict[str, threading.Thread] = {}


def _warm_validator(settings: Settings) -> None:
    """Import Great Expectations and load every suite's checkpoint (seconds of work), in a
    background thread while the files are hashed and read; the first validation waits for it."""
    try:
        from analysis import validate

        validate.sync_suites(settings)
        validate._desa_codes()
    except Exception:  # noqa: BLE001 - the real call in _run_validator reports problems
        pass


def _start_warm(settings: Settings) -> None:
    """Start :func:`_warm_validator` in a thread, once per run."""
    if "started" in _WARM:
        return
    warm = threading.Thread(target=_warm_validator, args=(settings,), daemon=True)
    _WARM["thread"] = warm
    _WARM["started"] = warm
    warm.start()


def _wait_warm() -> None:
    t = _WARM.pop("thread", None)
    if t is not None and t is not threading.current_thread():
        t.join()


def _acc(
    path: str,
    sha: str | None,
    dataset: str | None,
    status: str,
    pesan: str | None,
    dibaca: int = 0,
    diterima: int = 0,
    ditolak: int = 0,
    digantikan: int = 0,
) -> dict:
    return {
        "path": path, "sha256": sha, "dataset": dataset, "status": status, "pesan": pesan,
        "baris_dibaca": dibaca, "baris_diterima": diterima, "baris_ditolak": ditolak, "baris_digantikan": digantikan,
    }  # fmt: skip


def _identity(kind: str, path: Path, sha: str) -> str:
    """What makes two files the same input: their content. Not for a Sirekap per-TPS JSON, whose
    name (the TPS code) and pull folder are part of the record: two TPS can publish byte-identical
    empty records, and an unchanged record in a later pull is a snapshot; both are handled row by
    row (the snapshot rule of :class:`Spec`)."""
    if kind == "official" and path.suffix.lower() == ".json":
        return f"{sha}:{path.as_posix()}"
    return sha


def _ledger(processed: Path, sizes: dict[str, int], accounting: pl.DataFrame) -> pl.DataFrame:
    """One row per raw file path; ``waktu_ingest`` is when its content was first ingested."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    before: dict[str, dt.datetime] = {}
    prev = processed / "ledger.parquet"
    if prev.exists():
        try:
            p = pl.read_parquet(prev, columns=["sha256", "waktu_ingest"]).drop_nulls()
            before = dict(zip(p["sha256"], p["waktu_ingest"], strict=True))
        except Exception:  # noqa: BLE001 - a broken ledger is rebuilt
            before = {}
    led = accounting.with_columns(
        pl.col("path")
        .replace_strict(sizes, default=None, return_dtype=pl.Int64)
        .alias("ukuran_byte"),
        pl.col("sha256")
        .replace_strict(before, default=now, return_dtype=pl.Datetime("us", "UTC"))
        .alias("waktu_ingest"),
    )
    return LEDGER.conform(led).select(list(LEDGER.columns))


def _process_kind(
    spec: Spec, batch: _KindBatch, refs: dict[str, pl.DataFrame], s: Settings, messages: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    rows, votes = batch.rows, batch.votes
    assert rows is not None
    validate_df = None
    copies = None
    if spec.kind == "official" and "_src_file" in rows.columns:
        copies = rows.filter(pl.col("_src_file").is_not_null())
        rows = rows.filter(pl.col("_src_file").is_null())
    if spec.kind in ("tally", "official"):
        rows, votes = _prepare_votes_rows(
            spec.kind,
            rows,
            votes
            if votes is not None
            else pl.DataFrame(
                schema={
                    "_rid": pl.Int64,
                    "nomor_urut": pl.Int64,
                    "paslon_id": pl.String,
                    "suara": pl.Int64,
                }
            ),
            refs,
        )
    elif spec.kind == "official_region":
        rows, validate_df = _region_long(rows, votes, refs)
    elif spec.kind == "incidents":
        rows = _normalise_incidents(rows, messages)
    decided, summary = _decide(spec, rows, s, messages, validate_df)
    if copies is not None and copies.height:
        decided = pl.concat([decided, _copy_fates(copies, decided)], how="diagonal_relaxed")
    if spec.kind == "official_region":
        decided = decided.drop("nomor_urut")
    return decided, summary, votes if spec.kind != "official_region" else validate_df


def _copy_fates(copies: pl.DataFrame, decided: pl.DataFrame) -> pl.DataFrame:
    """Unchanged Sirekap copies take the fate of the record they copy: rejected with its reasons
    when it was rejected, else superseded by it (by the first copy of an unchanged run)."""
    src = decided.select(
        pl.col("sumber_file").alias("_src_file"),
        pl.col("sumber_baris").alias("_src_baris"),
        pl.col("_status").alias("_src_status"),
        pl.col("alasan").alias("_src_alasan"),
        pl.coalesce(pl.col("_dup_of"), pl.col("_ref")).alias("_src_ref")
        if "_ref" in decided.columns
        else pl.coalesce(
            pl.col("_dup_of"),
            pl.concat_str(
                pl.col("sumber_file"), pl.lit(":"), pl.col("sumber_baris").cast(pl.String)
            ),
        ).alias("_src_ref"),
        "kode_tps",
        "kode_kontestasi",
    )
    out = copies.drop("kode_tps", "kode_kontestasi").join(
        src, on=["_src_file", "_src_baris"], how="left"
    )
    missing = pl.col("_src_status").is_null()
    lost = pl.format(
        "salinan_tanpa_sumber: catatan asal {}:{} tidak terbaca",
        pl.col("_src_file"),
        pl.col("_src_baris"),
    )
    return out.with_columns(
        pl.when(missing | (pl.col("_src_status") == DITOLAK))
        .then(pl.lit(DITOLAK))
        .otherwise(pl.lit(DIGANTIKAN))
        .alias("_status"),
        pl.when(missing)
        .then(pl.concat_list(lost))
        .when(pl.col("_src_status") == DITOLAK)
        .then(pl.col("_src_alasan"))
        .otherwise(_EMPTY_LIST)
        .alias("alasan"),
        pl.when(missing | (pl.col("_src_status") == DITOLAK))
        .then(None)
        .otherwise(pl.col("_src_ref"))
        .alias("_dup_of"),
        pl.lit(None, dtype=pl.String).alias("digantikan_oleh"),
        _EMPTY_LIST.alias("peringatan"),
    ).drop("_src_status", "_src_alasan", "_src_ref")


def _region_long(
    rows: pl.DataFrame, votes: pl.DataFrame | None, refs: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """D.Hasil: raw rows (region × contest, wide; or × paslon, long) and the long frame the
    validator sees (region × contest × paslon, one per vote entry; a raw row without any vote
    entry gives one row with nomor_urut null)."""
    v = (
        votes
        if votes is not None
        else pl.DataFrame(schema={"_rid": pl.Int64, "nomor_urut": pl.Int64, "suara": pl.Int64})
    )
    base = rows.select(
        "_rid",
        "kode_wilayah",
        "kode_kontestasi",
        "suara_sah",
        "suara_tidak_sah",
        "tps_total",
        "tps_masuk",
        "sumber_file",
        "sumber_sheet",
        "sumber_baris",
    )
    long = base.join(v.select("_rid", "nomor_urut", "suara"), on="_rid", how="left")
    # a long-form row's entity includes its nomor urut; a wide row's does not
    rows = rows.with_columns(pl.col("nomor_urut"))
    return rows, long


#: Non-canonical columns worth keeping in a processed dataset (for the packs and analysts).
EXTRAS: dict[str, tuple[str, ...]] = {
    "tally_tps": ("jumlah_suara_paslon", "paslon_asing"),
    "official_tps": ("jumlah_suara_paslon", "paslon_asing"),
    "official_votes": ("asing",),
    "incidents": (
        "lokasi",
        "label_tidak_dikenal",
        "status_verifikasi_asli",
        "status_penanganan_asli",
        "instansi_asli",
    ),
}


def _canon(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """The dataset's own columns (missing ones null) plus its useful extras; working columns go."""
    ds = BY_NAME[name]
    extras = [c for c in EXTRAS.get(name, ()) if c in df.columns]
    return ds.conform(df.select([c for c in (*ds.columns, *extras) if c in df.columns]))


def _outputs(
    spec: Spec,
    decided: pl.DataFrame,
    votes: pl.DataFrame | None,
    refs: dict[str, pl.DataFrame],
    outputs: dict[str, pl.DataFrame],
) -> None:
    if spec.history:  # every version but the rejected ones and exact duplicate copies
        keep = decided.filter((pl.col("_status") != DITOLAK) & pl.col("_dup_of").is_null())
    else:
        keep = decided.filter(pl.col("_status") == DITERIMA)
    if spec.kind in ("ref_paslon", "ref_tps"):
        refs[spec.kind] = _canon(spec.name, keep)
        outputs[spec.name] = refs[spec.kind]
        return
    if spec.kind == "tally":
        outputs["tally_tps"] = keep
        v = votes.join(
            keep.select("_rid", "kode_tps", "kode_kontestasi", "waktu_laporan"), on="_rid"
        )
        outputs["tally_votes"] = v.unique(
            ["kode_tps", "kode_kontestasi", "waktu_laporan", "nomor_urut"], keep="first"
        )
        return
    if spec.kind == "official":
        outputs["official_tps"] = keep
        v = votes.join(keep.select("_rid", "kode_tps", "kode_kontestasi", "waktu_tarik"), on="_rid")
        # a paslon id not in the reference keeps its votes under a negative nomor urut (-1, -2, ...)
        v = v.sort("_rid", "paslon_id").with_columns(
            pl.when(pl.col("nomor_urut").is_null())
            .then(-pl.col("nomor_urut").is_null().cast(pl.Int64).cum_sum().over("_rid"))
            .otherwise(pl.col("nomor_urut"))
            .alias("nomor_urut")
        )
        outputs["official_votes"] = v.unique(
            ["kode_tps", "kode_kontestasi", "waktu_tarik", "nomor_urut"], keep="first"
        )
        return
    if spec.kind == "official_region":
        long = votes.join(keep.select("_rid"), on="_rid") if votes is not None else None
        if long is not None:
            outputs["official_region"] = long.drop_nulls(["nomor_urut"]).unique(
                ["kode_wilayah", "kode_kontestasi", "nomor_urut"], keep="last", maintain_order=True
            )
        return
    outputs[spec.name] = keep


# --- CLI and benchmark --------------------------------------------------------------------------


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
    s = default_settings()
    raw = args.raw or default_raw(s)
    processed = args.processed or s.paths.resolved().processed / Path(raw).resolve().name
    if not Path(raw).is_dir():
        print(f"Folder drop mentah tidak ada: {raw}", file=sys.stderr)
        return 2
    acc = run_ingest(Path(raw), Path(processed), s)
    for m in acc.messages:
        print(m, file=sys.stderr)
    print(acc.table())
    t = acc.totals()
    print(
        f"\n{acc.files.height} berkas, {t['baris_dibaca']} baris dibaca: {t['baris_diterima']} diterima, "
        f"{t['baris_ditolak']} ditolak (karantina), {t['baris_digantikan']} digantikan — {acc.seconds:.1f} dtk. "
        f"Hasil di {processed}"
    )
    return 0 if acc.balanced else 1


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
