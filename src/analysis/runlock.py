"""One run at a time on a processed folder: the run lock.

A run that writes a processed folder holds ``<parent>/.<folder>.kunci`` (beside the folder, so the
lock outlives the switch of generations, :mod:`analysis.publish`) with an exclusive ``flock``.
The file names the holder (process id, user@host, command, since when) so a second run can say who
is in the way; the second run stops with that one line, or waits for the lock with ``wait=True``
(``--wait``, ``make … WAIT=1``). The kernel releases a ``flock`` when the holding process dies, however it dies, so
the lock of a killed run is free and is taken over at once; its stale note is overwritten. Election-
night runs (issue 15) take the same lock around each incremental run.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import getpass
import json
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from analysis.fmt import waktu_singkat

LOCK_SUFFIX = ".kunci"


@dataclass(frozen=True)
class Holder:
    """Who holds a lock, as its note says."""

    pid: int
    user: str
    host: str
    command: str
    since: dt.datetime


class RunLocked(RuntimeError):
    """Another run holds the folder's lock; the message is one Indonesian line."""

    def __init__(self, folder: Path, holder: Holder | None, zone: tuple[str, str]) -> None:
        self.folder, self.holder = folder, holder
        if holder is None:
            who = "run lain (belum tercatat siapa)"
        else:
            since = waktu_singkat(holder.since, zone[1], zone[0])
            who = (
                f"run lain: proses {holder.pid} ({holder.user}@{holder.host}, "
                f"`{holder.command}`) sejak {since}"
            )
        super().__init__(
            f"folder data olahan {folder} sedang dipakai {who}; tunggu sampai selesai atau "
            "jalankan lagi dengan --wait (make … WAIT=1) untuk menunggu"
        )


def lock_path(folder: Path) -> Path:
    """The lock file of a processed folder: beside it, hidden."""
    folder = Path(folder)
    return folder.parent / f".{folder.name}{LOCK_SUFFIX}"


def read_holder(path: Path) -> Holder | None:
    """The note in a lock file; None when there is none or it cannot be read."""
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return Holder(
            int(d["pid"]), str(d["user"]), str(d["host"]), str(d["command"]),
            dt.datetime.fromisoformat(d["since"]),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _command() -> str:
    """The holder's command line as typed (``python -m analysis …`` for the workbench's CLI)."""
    first = Path(sys.argv[0]) if sys.argv and sys.argv[0] else Path("python")
    head = "python -m analysis" if first.parent.name == "analysis" else first.name
    return " ".join([head, *sys.argv[1:]])


def _write_note(fd: int) -> None:
    note = {
        "pid": os.getpid(),
        "user": _user(),
        "host": socket.gethostname(),
        "command": _command()[:200],
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    data = json.dumps(note).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
    os.fsync(fd)


@contextmanager
def hold(
    folder: Path,
    wait: bool = False,
    zone: tuple[str, str] = ("WIB", "Asia/Jakarta"),
    on_wait: object = None,
) -> Iterator[Path]:
    """Hold the run lock of ``folder`` for the ``with`` block.

    Raises :class:`RunLocked` when another live process holds it, unless ``wait``: then blocks
    until it is free (``on_wait``, a callable, is told once, with the :class:`RunLocked` message).
    """
    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            busy = RunLocked(Path(folder), read_holder(path), zone)
            if not wait:
                raise busy from None
            if callable(on_wait):
                on_wait(str(busy))
            fcntl.flock(fd, fcntl.LOCK_EX)
        _write_note(fd)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the last descriptor releases the flock
