"""Each run of the daily brief leaves a log and a one-line status a monitor can read.

Beside the report dates, in the reports folder (not inside a generation, :mod:`analysis.publish`:
a run that is refused or stops on an error publishes nothing, yet its log and status must stay)::

    reports/log/<run-id>.log   the run's console output (stdout and stderr as printed), written as
                               the run goes; one file per run, also for a refused or stopped run;
                               the oldest beyond ``settings.run.log_keep`` are removed
    reports/status.json        one line of JSON, overwritten atomically at the end of every run
    reports/status.txt         the same in one line of Indonesian, for a person or ``cat``

On a fresh machine (no reports folder yet) a run refused before any work (exit 2) leaves neither:
its one line on stderr says why, and nothing was made. The status says when the run ended (UTC and the desk's time), its exit code and what the code
means (:mod:`analysis.runguard`), how long it took, how many packs it made and how many failed, how
many flash reports (*laporan kilat*, :mod:`analysis.packs.kilat`) it made, the path of the index
and of the log. ``<run-id>`` is a UTC time and the process id, so the logs sort by time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

from analysis import runguard
from analysis.domain import regions
from analysis.fmt import angka, waktu_singkat
from analysis.publish import new_id, write_text_atomic
from analysis.settings import Settings

LOG_DIR = "log"
STATUS_JSON = "status.json"
STATUS_TXT = "status.txt"

#: What each exit code means, in the words a monitor shows (codes: analysis.runguard).
EXIT_WORDS: dict[int, str] = {
    0: "selesai",
    runguard.EXIT_FAILURES: "selesai dengan kegagalan (lihat indeks)",
    runguard.EXIT_PARAMETERS: "ditolak: parameter atau mesin tidak memungkinkan",
    runguard.EXIT_BUSY: "ditolak: run lain sedang memakai folder data olahan",
    runguard.EXIT_STOPPED: "berhenti karena galat; hasil run sebelumnya tetap dipakai",
    runguard.EXIT_INTERRUPTED: "dihentikan",
}

#: What the run tells the recorder while it runs (:func:`note`): its index and generation.
_NOTES: dict[str, Any] = {}


class _Tee:
    """A text stream that writes to the terminal's stream and to the log."""

    def __init__(self, stream: TextIO, log: TextIO) -> None:
        self._stream, self._log = stream, log

    def write(self, text: str) -> int:
        with suppress(OSError, ValueError):  # the log never stops the run
            self._log.write(text)
        return self._stream.write(text)

    def flush(self) -> None:
        with suppress(OSError, ValueError):
            self._log.flush()
        self._stream.flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno, … of the terminal's
        return getattr(self._stream, name)


def note(**facts: Any) -> None:
    """Tell the recorder a fact of this run (``index=<path>``, ``generasi=<id>``)."""
    _NOTES.update(facts)


class _Log(io.StringIO):
    """The run's log: kept in memory, and written through to ``reports/log/<run-id>.log`` as the
    run goes when the reports folder exists (a monitor can follow it); else written at the end,
    once a run has made the folder. A run refused before any work never creates the folder."""

    def __init__(self, reports: Path, run_id: str) -> None:
        super().__init__()
        self.path = reports / LOG_DIR / f"{run_id}.log"
        self._file: TextIO | None = None
        if reports.is_dir():
            with suppress(OSError):
                self.path.parent.mkdir(exist_ok=True)
                self._file = self.path.open("w", encoding="utf-8", buffering=1)

    def write(self, text: str) -> int:
        if self._file is not None:
            with suppress(OSError, ValueError):
                self._file.write(text)
        return super().write(text)

    def finish(self) -> Path | None:
        """Close the log; its path, or None when it could not be written."""
        if self._file is not None:
            with suppress(OSError):
                self._file.close()
            return self.path
        if not self.path.parent.parent.is_dir():
            return None
        try:
            self.path.parent.mkdir(exist_ok=True)
            self.path.write_text(self.getvalue(), encoding="utf-8")
        except OSError:
            return None
        return self.path


def _prune(reports: Path, keep: int) -> None:
    """Remove the oldest logs beyond ``keep``."""
    with suppress(OSError):
        logs = sorted((reports / LOG_DIR).glob("*.log"))
        for old in logs[: max(0, len(logs) - keep)]:
            old.unlink(missing_ok=True)


def recorded(s: Settings, work: Callable[[], int]) -> int:
    """``work()`` with its console output kept in a log, then the status written; its exit code."""
    reports, keep = s.paths.resolved().reports, s.run.log_keep
    try:
        zone = regions.desk_zone(s.desk.unit_code)
    except ValueError:
        zone = regions.desk_zone(regions.NATIONAL)
    run_id, started, t0 = new_id(), dt.datetime.now(dt.UTC), time.perf_counter()
    _NOTES.clear()
    log = _Log(reports, run_id)
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Tee(out, log), _Tee(err, log)
    code = runguard.EXIT_STOPPED
    try:
        code = work()
    except KeyboardInterrupt:
        code = runguard.EXIT_INTERRUPTED
        raise
    finally:
        sys.stdout, sys.stderr = out, err
        logged = log.finish()
        if reports.is_dir():  # a run refused before any work on a fresh machine leaves nothing
            status = run_status(run_id, started, time.perf_counter() - t0, code, logged, zone)
            write_status(reports, status)
            _prune(reports, keep)
    return code


def _counts(index: Path | None, generasi: str | None) -> dict[str, int | None]:
    """Packs made and failed (the day's index.json) and flash reports made by this run."""
    out: dict[str, int | None] = {"laporan": None, "laporan_gagal": None, "kilat_baru": None}
    if index is None:
        return out
    with suppress(OSError, ValueError):
        packs = json.loads((index.parent / "index.json").read_text(encoding="utf-8"))["packs"]
        out["laporan"] = len(packs)
        out["laporan_gagal"] = sum(1 for p in packs if p.get("status") != "ok")
    from analysis.packs.kilat import made_by

    out["kilat_baru"] = made_by(index.parent, generasi) if generasi else None
    return out


def run_status(
    run_id: str, started: dt.datetime, seconds: float, code: int, log: Path | None,
    zone: tuple[str, str],
) -> dict[str, Any]:  # fmt: skip
    """The status of one run (what :data:`STATUS_JSON` holds)."""
    ended = dt.datetime.now(dt.UTC)
    index = _NOTES.get("index") if code in (0, runguard.EXIT_FAILURES) else None
    return {
        "run": run_id,
        "mulai": started.isoformat(timespec="seconds"),
        "selesai": ended.isoformat(timespec="seconds"),
        "selesai_teks": waktu_singkat(ended, zone[1], zone[0]),
        "kode_keluar": code,
        "keadaan": EXIT_WORDS.get(code, "kode keluar tak dikenal"),
        "durasi_detik": round(seconds, 1),
        **_counts(Path(index) if index else None, _NOTES.get("generasi")),
        "indeks": str(index) if index else None,
        "generasi": _NOTES.get("generasi") if index else None,
        "log": str(log) if log else None,
    }


def status_line(st: dict[str, Any]) -> str:
    """The status in one line of Indonesian."""
    parts = [
        f"{st['selesai_teks']}",
        f"kode {st['kode_keluar']} ({st['keadaan']})",
        f"{angka(st['durasi_detik'], 1)} detik",
    ]
    if st.get("laporan") is not None:
        parts.append(f"{angka(st['laporan'])} laporan, {angka(st['laporan_gagal'])} gagal")
    if st.get("kilat_baru") is not None:
        parts.append(f"{angka(st['kilat_baru'])} laporan kilat baru")
    parts.append(f"indeks {st['indeks']}" if st.get("indeks") else "indeks tidak berubah")
    if st.get("log"):
        parts.append(f"log {st['log']}")
    return " · ".join(parts)


def write_status(reports: Path, st: dict[str, Any]) -> None:
    """Overwrite ``status.json`` and ``status.txt`` atomically (silently skipped when the reports
    folder cannot be written: the run's own message already says why)."""
    with suppress(OSError):
        write_text_atomic(reports / STATUS_JSON, json.dumps(st, ensure_ascii=False) + "\n")
        write_text_atomic(reports / STATUS_TXT, status_line(st) + "\n")
