"""The parse cache: every file's parsed rows kept under ``processed/_cache``, so a daily re-run
parses only the files it has not seen.

A file's parse is found by (sha256 of its content, its path) and is valid only for the reader
version that made it (:data:`analysis.read.READER_VERSION`, in ``meta.json``): a new reader
empties the cache. Per kind there are three Parquet files: ``<kind>.rows``, ``<kind>.votes``
(rows and vote entries, each tagged ``_sha`` + ``sumber_file``) and ``<kind>.files`` (the per-file
outcome). Validation and the fates are recomputed on the whole drop each run, so the results are
the same with or without the cache.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from analysis import read
from analysis.ingest.schedule import Background

CACHE_DIR = "_cache"

Key = tuple[str, str]  # (sha256, path relative to the drop)


class ParseCache:
    """Parsed rows of every file by (sha256, path), one set of Parquet files per kind."""

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
        self._writes = Background() if background else None

    def _current(self) -> bool:
        """The cache on disk was written by this reader version."""
        meta = self.dir / "meta.json"
        if not meta.exists():
            return False
        try:
            return json.loads(meta.read_text())["reader_version"] == read.READER_VERSION
        except (ValueError, KeyError, OSError):
            return False

    def wait(self) -> None:
        """Block until every background :meth:`save` is on disk (re-raises a write error)."""
        if self._writes is not None:
            self._writes.wait()

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

    def known(self, kind: str) -> set[Key]:
        """The (sha256, path) of every file of ``kind`` the cache holds."""
        files = self._files(kind)
        if files is None:
            return set()
        return set(zip(files["sha256"], files["path"], strict=True))

    def get(
        self, kind: str, keys: set[Key]
    ) -> tuple[pl.DataFrame | None, pl.DataFrame | None, pl.DataFrame]:
        """The cached rows, votes and file outcomes of the files ``keys``, read from disk each
        time (a run holds only what it uses)."""
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
        (self.dir / "meta.json").write_text(json.dumps({"reader_version": read.READER_VERSION}))
        for part, df in (("rows", rows), ("votes", votes), ("files", files)):
            p = self.dir / f"{kind}.{part}.parquet"
            if df is None:
                p.unlink(missing_ok=True)
            else:
                tmp = p.with_suffix(".tmp")
                df.write_parquet(tmp, compression="lz4", statistics=False)
                tmp.replace(p)
