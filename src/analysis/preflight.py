"""Parameters and the machine checked before a run does any work.

Each check raises :class:`PreflightError` with one line in Bahasa Indonesia naming the parameter
(as ``make`` calls it, and as the command line does) and what would be accepted. The run then
prints that line and stops with exit code 2, having read and written nothing.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

from analysis import reference
from analysis.domain import regions
from analysis.fmt import angka
from analysis.packs import PACK_TIERS

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PreflightError(ValueError):
    """A parameter or the environment does not allow the run; the message is one line."""


def date(text: str | dt.date | None) -> dt.date | None:
    """DATE (``--date``): a real calendar day ``YYYY-MM-DD``, or None when not given."""
    if text is None or isinstance(text, dt.date):
        return text
    s = str(text).strip()
    try:
        if not _DATE.match(s):
            raise ValueError
        return dt.date.fromisoformat(s)
    except ValueError:
        raise PreflightError(
            f"DATE (--date) {s!r} bukan tanggal yang ada; tulis YYYY-MM-DD, mis. 2024-11-28"
        ) from None


def scope(code: str) -> str:
    """SCOPE (``--scope``): ``00`` or a Kemendagri code of a tier that gets packs (not a desa)."""
    code = str(code).strip()
    if code != regions.NATIONAL:
        try:
            reference.unit_name(code)
        except KeyError:
            raise PreflightError(
                f"SCOPE (--scope) {code!r} bukan kode wilayah Kemendagri (mis. 16, 16.71; "
                "00 = nasional)"
            ) from None
    tier = regions.tier_of(code)
    if tier not in PACK_TIERS:
        raise PreflightError(
            f"SCOPE (--scope) {code} adalah kode tingkat {tier}; laporan dibuat untuk tingkat "
            f"{', '.join(PACK_TIERS)}"
        )
    return code


def depth(n: int | str) -> int:
    """DEPTH (``--depth``): how many tiers below the scope, 0 or more."""
    try:
        value = int(n)
    except (TypeError, ValueError):
        value = -1
    if value < 0:
        raise PreflightError(f"DEPTH (--depth) harus bilangan bulat 0 atau lebih, bukan {n!r}")
    return value


def _existing(path: Path) -> Path:
    """``path`` or its nearest ancestor that exists."""
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def writable_folder(path: Path, what: str, min_free_mb: int) -> None:
    """``path`` is (or can be made) a folder this run can write, with ``min_free_mb`` free."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise PreflightError(f"{what} {path} adalah sebuah berkas, bukan folder")
    base = _existing(path)
    if not base.is_dir():
        raise PreflightError(f"{what} {path} tidak bisa dibuat: {base} bukan folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".uji-tulis-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        why = {
            errno.EROFS: "sistem berkasnya hanya-baca",
            errno.EACCES: "tidak ada izin menulis",
            errno.EPERM: "tidak ada izin menulis",
            errno.ENOSPC: "disk penuh",
            errno.EDQUOT: "kuota disk habis",
        }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        raise PreflightError(f"{what} {path} tidak bisa ditulisi: {why}") from None
    free_mb = shutil.disk_usage(base).free // (1024 * 1024)
    if free_mb < min_free_mb:
        raise PreflightError(
            f"ruang kosong untuk {what} {path} tinggal {angka(free_mb)} MB; run ini perlu "
            f"setidaknya {angka(min_free_mb)} MB (run.min_free_mb di config/settings.yaml)"
        )


def raw_folder(path: Path) -> Path:
    """RAW (``--raw``): an existing folder."""
    path = Path(path)
    if not path.is_dir():
        what = "sebuah berkas" if path.exists() else "tidak ada"
        raise PreflightError(f"RAW (--raw) {path}: folder drop mentah {what}")
    return path.resolve()
