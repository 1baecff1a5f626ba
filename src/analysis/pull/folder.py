"""The pull folder in the drop: staged out of sight, published whole by one rename.

A pull is written into ``<drop>/kpu/.tarik-<pull>/`` (hidden: ingest skips it) and renamed to
``<drop>/kpu/<pull>/`` when complete, so ingest sees all of a pull or none of it. Every file inside
is written to a temporary name and renamed, so a killed pull leaves only whole files; the next run
resumes the staged folder (if it started less than ``resume_within_hours`` ago) and asks only for
what is missing. A record unchanged since the previous pull is a hard link to the previous pull's
file: byte-identical, which is what ingest's "unchanged since the previous pull" rule looks for.

Layout of a pull folder (only ``tps/`` is read by ingest)::

    tps/<jenis>/<kode_tps>.json     the per-TPS records, exactly as KPU served them
    agregat/<jenis>/<kode>.json     KPU's aggregate of every region walked (a table of its children)
    wilayah/<jenis>/<kode>.json     KPU's region tree as walked (0.json = the provinces)
    paslon/<jenis>.json             KPU's candidates
    permintaan.jsonl                every request: URL, status, bytes, sha256, time, outcome
    status_tps.csv                  every TPS in scope: diambil | dibawa | belum_ada | gagal | hilang
    ringkasan.json                  what the pull did, in figures, and what failed and why
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from analysis import console
from analysis.read import PULL_RE

KPU = "kpu"
STAGING_PREFIX = ".tarik-"
LOCK_NAME = ".tarik.lock"
STARTED_MARKER = ".mulai"
WIB = dt.timezone(dt.timedelta(hours=7))


class FolderError(Exception):
    """The drop cannot take this pull now; the message says why (Indonesian, for the user)."""


@dataclass(frozen=True)
class PullFolder:
    """One pull being written: ``staging`` until :func:`publish` renames it to ``final``."""

    drop: Path
    name: str
    staging: Path
    final: Path
    previous: Path | None
    resumed: bool

    def path(self, rel: str) -> Path:
        return self.staging / rel

    def previous_path(self, rel: str) -> Path | None:
        return self.previous / rel if self.previous else None


def pull_name(now: dt.datetime | None = None) -> str:
    """The pull's folder name: the time KPU's site is read, ``YYYYMMDDTHHMM`` in WIB."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(WIB).strftime("%Y%m%dT%H%M")


def published(drop: Path) -> list[str]:
    """Names of the published pull folders of a drop, oldest first."""
    kpu = drop / KPU
    if not kpu.is_dir():
        return []
    return sorted(p.name for p in kpu.iterdir() if p.is_dir() and PULL_RE.match(p.name))


@contextlib.contextmanager
def locked(drop: Path) -> Iterator[None]:
    """One pull at a time per drop (an advisory lock the OS releases if the process dies)."""
    kpu = drop / KPU
    kpu.mkdir(parents=True, exist_ok=True)
    fd = os.open(kpu / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderError(f"{kpu}: tarikan lain sedang berjalan di drop ini") from None
        yield
    finally:
        os.close(fd)


def _pending(drop: Path) -> list[Path]:
    return sorted((drop / KPU).glob(STAGING_PREFIX + "*"))


def _age_hours(staging: Path) -> float:
    marker = staging / STARTED_MARKER
    started = marker.stat().st_mtime if marker.exists() else staging.stat().st_mtime
    return (time.time() - started) / 3600


def open_pull(drop: Path, name: str | None, resume_within_hours: float) -> PullFolder:
    """The pull to write now: a stopped one resumed, else a new one named ``name`` (default now).

    Must be called under :func:`locked`. A stopped pull older than ``resume_within_hours``, or one
    under another name than the one asked for, is discarded (it was never published)."""
    if name is not None and not PULL_RE.match(name):
        raise FolderError(f"nama tarikan {name!r} harus YYYYMMDDTHHMM (WIB)")
    resumed = None
    for staging in _pending(drop):
        own = staging.name[len(STAGING_PREFIX) :]
        fresh = _age_hours(staging) < resume_within_hours
        if resumed is None and fresh and name in (None, own):
            resumed = staging
            continue
        console.say(f"tarik-kpu: tarikan tertunda {own} dibuang (terlalu lama atau nama lain)")
        shutil.rmtree(staging)
    if resumed is not None:
        name = resumed.name[len(STAGING_PREFIX) :]
    name = name or pull_name()
    done = published(drop)
    if name in done:
        raise FolderError(f"tarikan {name} sudah ada di {drop / KPU}; tunggu semenit lalu ulangi")
    if done and name < done[-1]:
        raise FolderError(f"tarikan {name} lebih awal dari tarikan terakhir {done[-1]}")
    staging = drop / KPU / f"{STAGING_PREFIX}{name}"
    if resumed is None:
        staging.mkdir(parents=True)
        (staging / STARTED_MARKER).touch()
    else:
        _clean_temporaries(staging)
    previous = drop / KPU / done[-1] if done else None
    return PullFolder(drop, name, staging, drop / KPU / name, previous, resumed is not None)


def _clean_temporaries(staging: Path) -> None:
    """Remove half-written temporary files a killed run left (whole files stay)."""
    for dirpath, _, filenames in os.walk(staging):
        for f in filenames:
            if f.startswith(".") and ".tmp" in f:
                os.unlink(os.path.join(dirpath, f))


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary name in the same folder and one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.tmp{os.getpid()}-{threading.get_ident()}"
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def carry(previous: Path, path: Path) -> None:
    """The previous pull's file into this pull, unchanged: a hard link, else a copy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(previous, path)
    except FileExistsError:
        pass
    except OSError:
        tmp = path.parent / f".{path.name}.tmp{os.getpid()}-{threading.get_ident()}"
        shutil.copy2(previous, tmp)
        os.replace(tmp, path)


def publish(pull: PullFolder) -> Path:
    """Make the pull visible to ingest: one rename of the whole folder."""
    (pull.staging / STARTED_MARKER).unlink(missing_ok=True)
    os.rename(pull.staging, pull.final)
    fd = os.open(pull.final.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return pull.final
