"""Kinds taken as they are: a kind whose inputs are all the same as in the run that wrote the
processed folder is not read, validated or written again (issue 15, "work proportional to what
changed").

A kind's outcome — its datasets, its check summary, its quarantined rows, its files' accounting
rows and the messages it said — depends only on its own files (path and content hash), the
reference datasets made before it (through the keys of the reference kinds), and the code,
configuration, settings and library versions that decide rows (:func:`base_parts`: the verdict
cache's :func:`~analysis.ingest.verdicts.deciding_parts` and the reader version). The key of a kind is the hash of all of these. When the key equals
the one recorded for the kind, and every dataset file the kind wrote is still the file recorded
(size, modification time and inode: a new generation is a hard-link copy of the previous one, so
its files are the very same), the kind's outcome is taken from the record: its datasets stay where
they are. Anything else — a new, changed or removed file of the kind, a reference that changed, a
new code or settings fingerprint, a dataset file that was replaced, a damaged record — and the
kind is processed as before. So a run that takes a kind from here gives the same datasets,
accounting and check summary as a run that processes it (tested in ``tests/test_memo.py``).

On count night a new incident file leaves the tally and the Sirekap pulls — most of ingest's time
— as they are, and one kab/kota's tally files leave the references, incidents, readiness and
D.Hasil as they are.

**Written atomically and verified on read**, like the parse and verdict caches: per kind a Parquet
part for the check summary and one for the quarantine (never rewritten in place) and the manifest
``<kind>.json`` naming them with their sizes, written last.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from analysis import catalog, incremental
from analysis.ingest.cache import CACHE_DIR, _fsync_dir
from analysis.ingest.verdicts import deciding_parts
from analysis.publish import write_durably
from analysis.settings import Settings

MEMO_DIR = "jenis"
MEMO_FORMAT = 1
_PARTS = ("ringkasan", "karantina")


def base_parts(settings: Settings) -> dict[str, str]:
    """What every kind's outcome depends on besides its files and references."""
    return {
        "format": str(MEMO_FORMAT),
        "pembaca": incremental.reader_version(),
        **deciding_parts(settings),
    }


def files_part(items: Iterable[tuple[Any, str, int, str]]) -> str:
    """The hash of a kind's files: (path relative to the drop, sha256), in path order."""
    return incremental.digest(sorted((rel, sha) for _, sha, _, rel in items))


@dataclass
class Outcome:
    """What processing one kind left: its datasets (by name), check summary, quarantine rows,
    accounting rows and messages."""

    datasets: list[str]
    summary: pl.DataFrame | None
    quarantine: pl.DataFrame | None
    files: list[dict]
    messages: list[str] = field(default_factory=list)


def _stats(name: str, root: Path) -> list[list]:
    """(file, size, mtime_ns, inode) of a dataset's file, or of every part of a partitioned one."""
    path = catalog.located(name, root=root)
    paths = sorted(path.glob("*.parquet")) if name in catalog.PARTITIONS else [path]
    out = []
    for p in paths:
        st = p.stat()
        out.append([p.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns, st.st_ino])
    return out


class KindMemo:
    """The record of each kind's key and outcome under ``processed/_cache/jenis``."""

    def __init__(self, processed: Path, settings: Settings, take: bool = True) -> None:
        """``take=False``: nothing is taken (every kind decided again), outcomes still recorded."""
        self.take = take
        self.processed = processed
        self.dir = processed / CACHE_DIR / MEMO_DIR
        self.base = base_parts(settings)
        self.keys: dict[str, str] = {}  # this run's key of every kind processed or taken

    def key(self, kind: str, items: list, refs: Iterable[str]) -> str:
        """The key of ``kind`` given its files ``items`` and the reference kinds ``refs`` made
        before it in this run (their keys, recorded as they were decided)."""
        k = incremental.digest(
            {
                "jenis": kind,
                "berkas": files_part(items),
                "referensi": {r: self.keys[r] for r in refs if r in self.keys},
                **self.base,
            }
        )
        self.keys[kind] = k
        return k

    def references(self, kind: str, refs: Iterable[str]) -> str:
        """The digest of the keys of the reference kinds ``refs`` made before ``kind`` in this run
        (what the verdicts of its rows depend on besides their files,
        :mod:`analysis.ingest.verdicts`)."""
        return incremental.digest({r: self.keys[r] for r in refs if r in self.keys and r != kind})

    def _manifest(self, kind: str) -> dict | None:
        try:
            m = json.loads((self.dir / f"{kind}.json").read_text())
            return m if m.get("format") == MEMO_FORMAT else None
        except (OSError, ValueError):
            return None

    def same_files(self, kind: str, items: list) -> bool:
        """Whether the kind's files are those of its record (before its key can be known: the
        Sirekap read is not started in a worker for a kind that will likely be taken)."""
        m = self._manifest(kind) if self.take else None
        return m is not None and m.get("berkas") == files_part(items)

    def recall(self, kind: str, key: str) -> Outcome | None:
        """The kind's recorded outcome when its key is ``key`` and its dataset files are those it
        wrote; None otherwise (the kind is then processed)."""
        m = self._manifest(kind) if self.take else None
        if m is None or m.get("kunci") != key:
            return None
        try:
            for name, stats in m["dataset"].items():
                if _stats(name, self.processed) != stats:
                    return None
            frames: dict[str, pl.DataFrame | None] = {}
            for part in _PARTS:
                entry = m["bagian"].get(part)
                if entry is None:
                    frames[part] = None
                    continue
                p = self.dir / entry["file"]
                if "/" in entry["file"] or p.stat().st_size != entry["size"]:
                    return None
                frames[part] = pl.read_parquet(p)
            return Outcome(
                list(m["dataset"]), frames["ringkasan"], frames["karantina"],
                list(m["akuntansi"]), list(m["pesan"]),
            )  # fmt: skip
        except Exception:  # noqa: BLE001 - an unreadable record is just a kind processed again
            return None

    def save(self, kind: str, items: list, out: Outcome) -> None:
        """Record the kind's outcome under this run's key (its datasets must be on disk)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex[:12]
        parts: dict[str, dict] = {}
        for part, df in (("ringkasan", out.summary), ("karantina", out.quarantine)):
            if df is None:
                continue
            path = self.dir / f"{kind}--{token}.{part}.parquet"
            write_durably(path, lambda t, df=df: df.write_parquet(t, statistics=False))
            parts[part] = {"file": path.name, "size": path.stat().st_size}
        manifest = {
            "format": MEMO_FORMAT,
            "kunci": self.keys[kind],
            "berkas": files_part(items),
            "dataset": {n: _stats(n, self.processed) for n in sorted(out.datasets)},
            "bagian": parts,
            "akuntansi": out.files,
            "pesan": out.messages,
        }
        write_durably(
            self.dir / f"{kind}.json", lambda p: p.write_text(json.dumps(manifest, default=str))
        )
        _fsync_dir(self.dir)
        for p in self.dir.glob(f"{kind}--*.parquet"):
            if not p.name.startswith(f"{kind}--{token}."):
                p.unlink(missing_ok=True)

    def forget(self, kind: str) -> None:
        """Remove the kind's record (before it is processed: a run stopped half-way through the
        kind leaves no record that its new datasets would contradict)."""
        (self.dir / f"{kind}.json").unlink(missing_ok=True)
