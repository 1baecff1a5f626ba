"""Indonesian number, percentage and date formats for everything a reader of a pack sees.

Examples: ``angka(1234567)`` → ``1.234.567``; ``persen(0.8382)`` → ``83,82%``;
``tanggal_waktu(t, "Asia/Jakarta", "WIB")`` → ``Kamis, 28 November 2024 14.05 WIB``.
A missing value (None or NaN) is shown as an en dash.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

KOSONG = "–"  # what a missing value looks like

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
BULAN = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def angka(n: float | int | None, desimal: int = 0) -> str:
    """``1234567`` → ``1.234.567``; ``1234.5`` with ``desimal=1`` → ``1.234,5``."""
    if _missing(n):
        return KOSONG
    s = f"{float(n):,.{desimal}f}" if desimal else f"{round(float(n)):,d}"
    return s.replace(",", "_").replace(".", ",").replace("_", ".")


def persen(share: float | None, desimal: int = 2) -> str:
    """A share 0..1 as a percentage: ``0.8382`` → ``83,82%``."""
    if _missing(share):
        return KOSONG
    return f"{angka(100 * float(share), desimal)}%"


def selisih(n: float | int | None, desimal: int = 0) -> str:
    """A signed difference: ``+1.234``, ``-56``, ``0``."""
    if _missing(n):
        return KOSONG
    if round(float(n), desimal) == 0:
        return angka(0, desimal)
    return ("+" if n > 0 else "-") + angka(abs(n), desimal)


def selisih_poin(share_diff: float | None, desimal: int = 2) -> str:
    """A difference of two shares in percentage points: ``0.012`` → ``+1,20 poin``."""
    if _missing(share_diff):
        return KOSONG
    return f"{selisih(100 * float(share_diff), desimal)} poin"


def dari(bagian: int | None, total: int | None, satuan: str = "TPS") -> str:
    """``x dari y TPS (z%)``, e.g. ``1.234 dari 2.000 TPS (61,70%)``."""
    share = bagian / total if total and not _missing(bagian) else None
    return f"{angka(bagian)} dari {angka(total)} {satuan} ({persen(share)})".replace("  ", " ")


def _local(t: dt.datetime, tz: str) -> dt.datetime:
    if t.tzinfo is None:  # naive datetimes in this project are UTC (schemas: stored in UTC)
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(ZoneInfo(tz))


def tanggal(d: dt.date | dt.datetime) -> str:
    """``Kamis, 28 November 2024``."""
    return f"{HARI[d.weekday()]}, {d.day} {BULAN[d.month - 1]} {d.year}"


def tanggal_pendek(d: dt.date | dt.datetime) -> str:
    """``28 Nov 2024`` style without the weekday: ``28 November 2024``."""
    return f"{d.day} {BULAN[d.month - 1]} {d.year}"


def jam(t: dt.datetime, tz: str, zona: str) -> str:
    """Local time with a dot and the zone: ``14.05 WIB``."""
    lt = _local(t, tz)
    return f"{lt.hour:02d}.{lt.minute:02d} {zona}"


def tanggal_waktu(t: dt.datetime, tz: str = "Asia/Jakarta", zona: str = "WIB") -> str:
    """``Kamis, 28 November 2024 14.05 WIB`` in the unit's own time zone."""
    if _missing(t):
        return KOSONG
    lt = _local(t, tz)
    return f"{tanggal(lt)} {jam(lt, tz, zona)}"


def waktu_singkat(t: dt.datetime, tz: str = "Asia/Jakarta", zona: str = "WIB") -> str:
    """``28 November 2024 14.05 WIB`` (no weekday) for tables."""
    if _missing(t):
        return KOSONG
    lt = _local(t, tz)
    return f"{tanggal_pendek(lt)} {jam(lt, tz, zona)}"


def durasi(td: dt.timedelta | None) -> str:
    """An age or delay in words: ``2 hari 3 jam``, ``5 jam 10 menit``, ``12 menit``."""
    if td is None:
        return KOSONG
    menit = int(td.total_seconds() // 60)
    if menit < 0:
        return KOSONG
    hari, sisa = divmod(menit, 24 * 60)
    jam_, mnt = divmod(sisa, 60)
    if hari:
        return f"{hari} hari {jam_} jam"
    if jam_:
        return f"{jam_} jam {mnt} menit"
    return f"{mnt} menit"
