"""How a command that writes a processed folder runs: checked, alone, all or nothing, one line.

:func:`guarded` holds the folder's run lock (:mod:`analysis.runlock`) around the work and turns
every way it can end into an exit code and at most one line on stderr (through
:mod:`analysis.console`). The work writes into new generations (:func:`analysis.publish.staged`),
so a run that stops on an error publishes nothing.

Exit codes: 0 done; 1 done with failures the run's outputs report (published); 2 a parameter or
the machine does not allow the run (nothing done); 3 another run holds the folder (nothing done);
4 stopped by an error — a full disk, a stage that raised — nothing published, the previous
generation stays (details of an unexpected error in ``.<folder>.galat.log`` beside the folder);
130 interrupted.
"""

from __future__ import annotations

import datetime as dt
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path

from analysis import console, preflight, publish, runlock
from analysis.domain import regions
from analysis.settings import Settings

EXIT_FAILURES, EXIT_PARAMETERS, EXIT_BUSY, EXIT_STOPPED, EXIT_INTERRUPTED = 1, 2, 3, 4, 130


#: Free bytes under which the disk of the processed folder counts as full when a run stops: some
#: writers (the Parquet writer on a full tmpfs) report a full disk without the system's errno.
NEARLY_FULL_BYTES = 1 << 20


def nearly_full(folder: Path) -> bool:
    """The file system holding ``folder`` (or its nearest existing parent) has almost no room."""
    for p in (folder, *folder.parents):
        if p.exists():
            try:
                return shutil.disk_usage(p).free < NEARLY_FULL_BYTES
            except OSError:
                return False
    return False


def stopped_line(exc: BaseException, log: Path | None, full: bool = False) -> str:
    """One line for a run stopped by ``exc`` (``full``: the disk was found full)."""
    if full or publish.disk_full(exc):
        name = getattr(exc, "filename", None)
        what = f"disk penuh saat menulis {name}" if name else "disk penuh saat menulis hasil run"
    elif isinstance(exc, OSError):
        what = f"{exc.strerror or type(exc).__name__}: {exc.filename or ''}".rstrip(": ")
    else:
        first = str(exc).splitlines()[0] if str(exc) else ""
        what = f"{type(exc).__name__}: {first}".rstrip(": ")
    where = f"; rincian di {log}" if log else ""
    return f"run berhenti — {what}; hasil run sebelumnya tetap dipakai{where}"


def write_log(folder: Path, exc: BaseException) -> Path | None:
    """Keep the traceback of an unexpected error beside ``folder`` (None when that fails too)."""
    path = folder.parent / f".{folder.name}.galat.log"
    try:
        text = "".join(traceback.format_exception(exc))
        path.write_text(f"{dt.datetime.now(dt.UTC).isoformat()}\n{text}", encoding="utf-8")
        return path
    except OSError:
        return None


def guarded(
    processed: Path, work: Callable[[], int], settings: Settings, wait: bool = False
) -> int:
    """``work()`` holding the run lock of ``processed``; every ending an exit code and one line."""
    zone = regions.desk_zone(settings.desk.unit_code)
    try:
        with runlock.hold(processed, wait, zone, console.say):
            return work()
    except runlock.RunLocked as exc:
        console.error(exc)
        return EXIT_BUSY
    except preflight.PreflightError as exc:
        console.error(exc)
        return EXIT_PARAMETERS
    except KeyboardInterrupt:
        console.error("run dihentikan (Ctrl-C); hasil run sebelumnya tetap dipakai")
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every error is one line; details in the log
        full = publish.disk_full(exc) or nearly_full(processed)
        log = None if isinstance(exc, OSError) or full else write_log(processed, exc)
        console.error(stopped_line(exc, log, full))
        return EXIT_STOPPED


def check_processed(path: Path, settings: Settings) -> Path:
    """A stage's processed folder: a folder (or absent), writable, with room (PreflightError)."""
    preflight.writable_folder(path, "folder data olahan", settings.run.min_free_mb)
    return path
