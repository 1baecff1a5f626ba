"""The parse cache: every file's parsed rows kept under ``processed/_cache``, so a daily re-run
parses only the files it has not seen. Table files (CSV/xlsx) are kept typed, with their vote
entries (:func:`analysis.ingest.batch.typed_parse`), and their original cells (``nilai_asli``, for
the quarantine): a re-run types only the new files too.

A file's parse is found by (sha256 of its content, its path) and is valid only for the reader
version and cache format that made it (:data:`analysis.read.READER_VERSION`, in ``meta.json``): a
new reader empties the cache. The fates are decided on the whole drop each run (row verdicts of
unchanged files come from :mod:`analysis.ingest.verdicts`), so the results are the same with or
without the cache.

**One entry per kind, written atomically and verified on read.** An entry is three Parquet parts
— rows, votes (each tagged ``_sha`` + ``sumber_file``) and the per-file outcomes, which also record
how many rows and vote entries each file gave (``_n_rows``, ``_n_votes``) — under names of their
own (``<kind>--<token>.<part>.parquet``), and the manifest ``<kind>.json`` naming them with their
sizes. Each part is written to a temporary name, flushed to disk (fsync) and renamed; the manifest
is written the same way last, so a run killed at any instant leaves either the previous entry or
the new one, never a mix; parts of an unfinished write are removed by the next write of the kind.
On read, an entry whose manifest or parts are missing, of another size or unreadable is discarded
whole, and a file whose recorded counts differ from the rows and votes the parts hold is dropped
from the entry: either way the file is parsed again, so a damaged cache can cost time but never
rows (a valid file can never read as 0 rows from it).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from functools import lru_cache
from pathlib import Path

import polars as pl

from analysis import incremental, read
from analysis.catalog import CACHE_DIR
from analysis.ingest.schedule import Background
from analysis.publish import write_durably

CACHE_FORMAT = 3  # 2: one manifest per kind naming parts never rewritten in place; 3: tables typed
PARTS = ("rows", "votes", "files")
_COUNTS = {"rows": "_n_rows", "votes": "_n_votes"}

Key = tuple[str, str]  # (sha256, path relative to the drop)


@lru_cache(maxsize=1)
def typing_key() -> str:
    """What decides a table file's typed rows besides its content: the readers and the typing
    (``analysis/read``), the region rules and the schemas they use. An entry of a typed kind
    (:data:`analysis.read.COERCE`) made under another key is not used: a fix to the typing reaches
    every file, not only the new ones (the reader version is bumped by hand; this is not)."""
    from analysis import schemas
    from analysis.domain import regions

    files = sorted(Path(read.__file__).parent.glob("*.py"))
    files += [Path(regions.__file__), Path(schemas.__file__)]
    return incremental.digest([(f.name, incremental.file_sha256(f)) for f in files])


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ParseCache:
    """Parsed rows of every file by (sha256, path), one verified entry per kind."""

    def __init__(self, processed: Path, clean: bool = True, background: bool = True) -> None:
        """``clean=False`` (a worker process, while the main process owns the folder): an
        outdated cache is ignored, not removed. ``background=False``: :meth:`save` writes before
        it returns (a worker holds less memory at once)."""
        self.dir = processed / CACHE_DIR
        ok = self._current()
        if not ok and self.dir.exists() and clean:
            shutil.rmtree(self.dir)
        self.valid = ok or clean
        self.files: dict[str, pl.DataFrame | None] = {}
        self.parts: dict[str, dict[str, Path]] = {}
        self._writes = Background() if background else None

    def _current(self) -> bool:
        """The cache on disk was written by this reader version in this format."""
        meta = self.dir / "meta.json"
        if not meta.exists():
            return False
        try:
            m = json.loads(meta.read_text())
            return m["reader_version"] == read.READER_VERSION and m["format"] == CACHE_FORMAT
        except (ValueError, KeyError, TypeError, OSError):
            return False

    def wait(self) -> None:
        """Block until every background :meth:`save` is on disk (re-raises a write error)."""
        if self._writes is not None:
            self._writes.wait()

    # --- reading ----------------------------------------------------------------------------

    def _manifest(self, kind: str) -> dict[str, Path] | None:
        """The parts of a kind's entry, each present with its recorded size; None otherwise."""
        try:
            m = json.loads((self.dir / f"{kind}.json").read_text())
            if m.get("format") != CACHE_FORMAT or m.get("reader_version") != read.READER_VERSION:
                return None
            if kind in read.COERCE and m.get("typing") != typing_key():
                return None
            out = {}
            for part, entry in m["parts"].items():
                p = self.dir / entry["file"]
                if part not in PARTS or "/" in entry["file"] or p.stat().st_size != entry["size"]:
                    return None
                out[part] = p
            return out if "files" in out else None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def _verified(self, kind: str, parts: dict[str, Path]) -> pl.DataFrame:
        """The entry's file outcomes, keeping only files whose rows and votes in the parts number
        what the write recorded (raises when a part cannot be read)."""
        files = pl.read_parquet(parts["files"])
        ok = pl.lit(True)
        for part, col in _COUNTS.items():
            if col not in files.columns:
                raise ValueError(f"{kind}: files part without {col}")
            if part in parts:
                held = (
                    pl.scan_parquet(parts[part])
                    .group_by("_sha", "sumber_file")
                    .agg(pl.len().cast(pl.Int64).alias(f"_held{col}"))
                    .rename({"_sha": "sha256", "sumber_file": "path"})
                    .collect()
                )
                files = files.join(held, on=["sha256", "path"], how="left")
            else:
                files = files.with_columns(pl.lit(None, dtype=pl.Int64).alias(f"_held{col}"))
            ok = ok & (pl.col(col) == pl.col(f"_held{col}").fill_null(0))
        return files.filter(ok).select(pl.exclude("^_held.*$"))

    def _files(self, kind: str) -> pl.DataFrame | None:
        """The files a kind's entry holds (path, sha256, ...) after verification; None when there
        is no usable entry."""
        self.wait()
        if not self.valid:
            return None
        if kind not in self.files:
            parts = self._manifest(kind)
            files = None
            if parts is not None:
                try:
                    files = self._verified(kind, parts)
                except Exception:  # noqa: BLE001 - an unreadable entry is just a cold cache
                    files = None
            self.files[kind] = files
            self.parts[kind] = parts if files is not None else {}
        return self.files[kind]

    def known(self, kind: str) -> set[Key]:
        """The (sha256, path) of every file of ``kind`` the cache holds, verified."""
        files = self._files(kind)
        if files is None:
            return set()
        return set(zip(files["sha256"], files["path"], strict=True))

    def get(
        self, kind: str, keys: set[Key]
    ) -> tuple[pl.DataFrame | None, pl.DataFrame | None, pl.DataFrame]:
        """The cached rows, votes and file outcomes of the files ``keys`` (all from
        :meth:`known`), read from disk each time (a run holds only what it uses)."""
        files = self._files(kind)
        assert files is not None
        kf = pl.DataFrame(
            list(keys), schema={"_sha": pl.String, "sumber_file": pl.String}, orient="row"
        )
        files = files.join(
            kf.rename({"_sha": "sha256", "sumber_file": "path"}), on=["sha256", "path"]
        ).drop(list(_COUNTS.values()))
        out: list[pl.DataFrame | None] = []
        for part in ("rows", "votes"):
            p = self.parts[kind].get(part)
            out.append(
                pl.scan_parquet(p).join(kf.lazy(), on=["_sha", "sumber_file"], how="semi").collect()
                if p is not None
                else None
            )
        return out[0], out[1], files

    def originals(self, kind: str, keys: pl.DataFrame) -> pl.DataFrame:
        """``nilai_asli`` of some table rows (``keys``: sumber_file, sumber_sheet, sumber_baris)."""
        self.wait()
        cols = ["sumber_file", "sumber_sheet", "sumber_baris"]
        p = self.parts.get(kind, {}).get("rows") if self._files(kind) is not None else None
        if p is None:
            return keys.select(cols).with_columns(pl.lit(None, dtype=pl.String).alias("nilai_asli"))
        return (
            pl.scan_parquet(p)
            .select(*cols, "nilai_asli")
            .join(keys.lazy().select(cols).unique(), on=cols, how="semi", nulls_equal=True)
            .unique(cols, keep="first")
            .collect()
        )

    # --- writing ----------------------------------------------------------------------------

    def save(
        self, kind: str, rows: pl.DataFrame | None, votes: pl.DataFrame | None, files: pl.DataFrame
    ) -> None:
        """Store one kind's parse, in the background unless the cache was made without it;
        :meth:`wait` (called before any read of the cache) joins it."""
        self.files.pop(kind, None)  # re-read after the write
        if self._writes is None:
            self._write(kind, rows, votes, files)
        else:
            self._writes.submit(f"cache-{kind}", self._write, kind, rows, votes, files)

    def _write(
        self, kind: str, rows: pl.DataFrame | None, votes: pl.DataFrame | None, files: pl.DataFrame
    ) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        meta = {"reader_version": read.READER_VERSION, "format": CACHE_FORMAT}
        write_durably(self.dir / "meta.json", lambda p: p.write_text(json.dumps(meta)))
        files = _with_counts(files, rows, votes)
        token = uuid.uuid4().hex[:12]
        entries: dict[str, dict[str, object]] = {}
        manifest = {**meta, "typing": typing_key(), "parts": entries}
        for part, df in (("rows", rows), ("votes", votes), ("files", files)):
            if df is None:
                continue
            p = self.dir / f"{kind}--{token}.{part}.parquet"
            write_durably(
                p, lambda t, df=df: df.write_parquet(t, compression="lz4", statistics=False)
            )
            entries[part] = {"file": p.name, "size": p.stat().st_size}
        write_durably(self.dir / f"{kind}.json", lambda p: p.write_text(json.dumps(manifest)))
        _fsync_dir(self.dir)
        self._remove_unused(kind, {str(e["file"]) for e in entries.values()})

    def _remove_unused(self, kind: str, used: set[str]) -> None:
        """Parts of the kind no manifest names (the entry replaced, a write that was killed)."""
        for p in self.dir.glob(f"{kind}--*.parquet"):
            if p.name.split("--")[0] == kind and p.name not in used:
                p.unlink(missing_ok=True)


def _with_counts(
    files: pl.DataFrame, rows: pl.DataFrame | None, votes: pl.DataFrame | None
) -> pl.DataFrame:
    """``files`` with how many rows and vote entries each file gave (0 when none)."""
    out = files.drop([c for c in _COUNTS.values() if c in files.columns])
    for part, df in (("rows", rows), ("votes", votes)):
        col = _COUNTS[part]
        if df is None or df.height == 0:
            out = out.with_columns(pl.lit(0, dtype=pl.Int64).alias(col))
            continue
        n = (
            df.group_by("_sha", "sumber_file")
            .agg(pl.len().cast(pl.Int64).alias(col))
            .rename({"_sha": "sha256", "sumber_file": "path"})
        )
        out = out.join(n, on=["sha256", "path"], how="left").with_columns(pl.col(col).fill_null(0))
    return out
