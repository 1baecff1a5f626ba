"""A run's outputs published as one generation: readers see the previous run or this one, never a mix.

A published folder — ``data/processed/<drop>`` and ``reports/<date>`` — is a symbolic link to
its current generation, a complete folder kept beside it::

    data/processed/demo-16 -> .demo-16.generasi/20261201T004012.512345-5242/demo-16
    reports/2024-11-28     -> .2024-11-28.generasi/20261201T004012.512345-5242/2024-11-28

A run starts a new generation as a copy of the current one made of hard links (instant, no extra
space: unchanged files are shared; every writer replaces a file by writing aside and renaming, so
a shared file is never changed in place), writes everything into it, flushes the new files to
disk, then switches each link with one atomic rename (:func:`Generation.publish`). A run that is
killed, fails or meets a full disk before that leaves the links on the previous generation; its
half-made generation is removed when it fails, or by the next run when it was killed. After a
switch the previous generation is kept until the next one (a reader that pinned it finishes), and
older ones are removed.

Readers: a path through the link always gives the current generation. A reader that opens several
files (a notebook, JupyterLab, the packs) pins one generation by resolving the link once
(``Path.resolve()``, as :func:`analysis.analyse.inputs.resolve_processed_dir` and the pack planner
do) and reads everything from there. A folder written before generations existed is adopted as
the first generation on the next run (moved, then linked). Links need a POSIX file system (the
desk's Linux machines); :data:`GENERATIONS` names the hidden folders.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

GENERATIONS = ".generasi"  # suffix of the hidden folder of a published folder's generations


#: errno of a write the machine refused for lack of room: a full disk, a quota, a file-size limit.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


_DISK_FULL_TEXT = tuple(f"os error {n}" for n in sorted(DISK_FULL)) + tuple(
    os.strerror(n) for n in sorted(DISK_FULL)
)


def disk_full(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is a write refused for lack of room: it stops the run,
    not one pack. Libraries that wrap the system's error (Parquet writers, papermill) keep only its
    text, so the text counts too."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            return True
        if any(t in str(exc) for t in _DISK_FULL_TEXT):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def generations_dir(live: Path) -> Path:
    """The hidden folder beside ``live`` that holds its generations."""
    return live.parent / f".{live.name}{GENERATIONS}"


def current(live: Path) -> Path | None:
    """The generation ``live`` points at (resolved), or None when it is not a published link."""
    if not live.is_symlink():
        return None
    target = live.resolve()
    return target if target.is_dir() else None


def write_durably(path: Path, write: Callable[[Path], object]) -> None:
    """Write a file by ``write(temporary path)`` beside ``path``, flush it to disk (fsync), then
    rename it into place: a reader, or a crash at any instant, sees the old file or the new one,
    never a truncated one."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write(tmp)
        _fsync(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> None:
    """:func:`write_durably` for a text file (UTF-8)."""
    write_durably(path, lambda p: p.write_text(text, encoding="utf-8"))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _link_copy(src: Path, dst: Path) -> None:
    """``dst`` as a copy of ``src`` made of hard links (a real copy where links are refused)."""

    def link(s: str, d: str) -> None:
        try:
            os.link(s, d)
        except OSError:
            shutil.copy2(s, d)

    shutil.copytree(src, dst, symlinks=True, copy_function=link)


def _adopt(live: Path) -> None:
    """A real folder from before generations becomes the first generation (moved, then linked)."""
    if live.is_symlink() or not live.is_dir():
        return
    stamp = dt.datetime.fromtimestamp(live.stat().st_mtime, dt.UTC).strftime("%Y%m%dT%H%M%S")
    home = generations_dir(live) / f"{stamp}-awal"
    home.mkdir(parents=True)
    os.rename(live, home / live.name)
    _switch(live, home / live.name)


def _switch(live: Path, target: Path) -> None:
    """Point ``live`` at ``target`` with one atomic rename of a new link over it."""
    tmp = live.parent / f".{live.name}.{os.getpid()}.tukar"
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, live.parent), tmp)
    os.replace(tmp, live)
    _fsync(live.parent)


def _flush_new_files(folder: Path) -> None:
    """Flush to disk every file this generation wrote (a file with one link is new)."""
    for dirpath, _, names in os.walk(folder):
        for name in names:
            p = Path(dirpath) / name
            if not p.is_symlink() and p.stat().st_nlink == 1:
                _fsync(p)
        _fsync(Path(dirpath))


class Generation:
    """A new generation of one published folder: :meth:`start`, write into :attr:`folder`, then
    :meth:`publish` (or :meth:`discard`)."""

    def __init__(self, live: Path, gen_id: str) -> None:
        self.live = Path(live).absolute()
        self.id = gen_id
        self.home = generations_dir(self.live) / gen_id
        self.folder = self.home / self.live.name

    def start(self) -> Path:
        """Create the generation as a hard-link copy of the current one (empty when none); remove
        the leftovers of runs killed since the last switch. Returns the folder to write into."""
        if self.live.exists() and not self.live.is_symlink() and not self.live.is_dir():
            raise NotADirectoryError(f"{self.live} bukan folder")
        _adopt(self.live)
        now = current(self.live)
        now_id = now.parent.name if now is not None else None
        self._prune(lambda name: now_id is not None and name <= now_id)
        self.home.mkdir(parents=True)
        if now is not None:
            _link_copy(now, self.folder)
        else:
            self.folder.mkdir()
        return self.folder

    def publish(self) -> None:
        """Flush the generation to disk and switch the link to it; every other generation but the
        one just replaced (a reader may have pinned it) is removed."""
        _flush_new_files(self.home)
        before = current(self.live)
        _switch(self.live, self.folder)
        kept = {self.id, before.parent.name if before is not None else self.id}
        self._prune(lambda name: name in kept)

    def discard(self) -> None:
        """Remove this generation (the run failed): the link stays on the previous one."""
        shutil.rmtree(self.home, ignore_errors=True)

    def _prune(self, keep: Callable[[str], bool]) -> None:
        """Remove the generations whose name ``keep`` refuses."""
        gens = generations_dir(self.live)
        if not gens.is_dir():
            return
        for p in gens.iterdir():
            if p.is_dir() and p.name != self.id and not keep(p.name):
                shutil.rmtree(p, ignore_errors=True)


def new_id() -> str:
    """A generation's name: UTC time and process id (sorts by time)."""
    now = dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S}.{now.microsecond:06d}-{os.getpid()}"


class Unchanged(Exception):  # noqa: N818 — a signal, not an error
    """Raised inside :func:`staged` by a run that found nothing new: its generations are
    discarded and the published ones stay, so nothing a reader sees changes on disk."""


@contextmanager
def staged(lives: list[Path], gen_id: str | None = None) -> Iterator[list[Path]]:
    """New generations of ``lives`` (same id) to write into; all published when the block ends,
    all discarded when it raises (the links stay on the previous generations; :class:`Unchanged`
    is not raised further)."""
    gid = gen_id or new_id()
    gens = [Generation(live, gid) for live in lives]
    try:
        yield [g.start() for g in gens]
    except Unchanged:
        for g in gens:
            g.discard()
        return
    except BaseException:
        for g in gens:
            g.discard()
        raise
    for g in gens:
        g.publish()
