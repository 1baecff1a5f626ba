"""What a response must look like before anything is written: it is data from the internet.

Each check takes the parsed JSON and returns why it is not the expected file (``None`` when it
is). Only the outline is checked here: the keys a pull relies on and their types. Everything finer
(a count that is not a number, sums that do not add up) is kept and left to ingest, which accounts
for it row by row; unknown keys pass through untouched (docs/domain.md §6).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Check = Callable[[Any], str | None]


@dataclass(frozen=True)
class Parsed:
    """A body read as JSON: ``value`` when it parsed, else ``reason``; ``transient``: worth asking
    again now (a cut or garbled transfer, an error page), not a file that is wrong as published."""

    value: Any = None
    reason: str | None = None
    transient: bool = False


def parse(body: bytes, check: Check) -> Parsed:
    """Decode ``body`` and run ``check`` on it."""
    text = body.lstrip()
    if not text:
        return Parsed(reason="jawaban kosong", transient=True)
    if text[:1] == b"<":
        return Parsed(reason="halaman HTML, bukan JSON (halaman galat server?)", transient=True)
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        msg = getattr(exc, "msg", None) or type(exc).__name__
        return Parsed(reason=f"bukan JSON yang utuh ({msg}; terpotong?)", transient=True)
    reason = check(value)
    return Parsed(value=value if reason is None else None, reason=reason)


def _map_or_null(v: object, what: str) -> str | None:
    return None if v is None or isinstance(v, dict) else f"{what} bukan objek"


def wilayah(value: Any) -> str | None:
    """A region list: ``[{"nama", "id", "kode", "tingkat"}, ...]`` (codes checked by the walker)."""
    if not isinstance(value, list):
        return "daftar wilayah bukan larik JSON"
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("kode"), str):
            return f"butir ke-{i + 1} daftar wilayah tidak punya 'kode' teks"
    return None


def _paslon_entries(value: Any, where: str) -> str | None:
    if not isinstance(value, dict):
        return f"daftar paslon {where} bukan objek"
    for pid, info in value.items():
        if not pid.isdigit():
            return f"id paslon {pid!r} {where} bukan angka"
        if not isinstance(info, dict) or not isinstance(info.get("nomor_urut"), int):
            return f"paslon {pid} {where} tidak punya nomor_urut bilangan"
    return None


def paslon(per_wilayah: bool) -> Check:
    """Candidates: ``{kode wilayah: {paslon_id: {...}}}`` (Pilkada) or ``{paslon_id: {...}}``."""

    def check(value: Any) -> str | None:
        if not per_wilayah:
            return _paslon_entries(value, "")
        if not isinstance(value, dict):
            return "berkas paslon bukan objek"
        for kode, entries in value.items():
            if not kode.isdigit():
                return f"kode wilayah {kode!r} di berkas paslon bukan angka"
            reason = _paslon_entries(entries, f"wilayah {kode}")
            if reason:
                return reason
        return None

    return check


def chart_of(value: dict[str, Any], record: str) -> Any:
    """The vote chart of a record or aggregate in a site's shape (``tungsura`` or top level)."""
    body = value.get("tungsura") if record == "tungsura" else value
    return body.get("chart") if isinstance(body, dict) else None


def agregat(record: str) -> Check:
    """An aggregate: an object; its chart and ``table`` rows, when present, objects of counts."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return "agregat bukan objek"
        if record == "tungsura" and _map_or_null(value.get("tungsura"), "tungsura"):
            return "tungsura bukan objek"
        chart = chart_of(value, record)
        if _map_or_null(chart, "chart"):
            return "chart bukan objek"
        table = value.get("table")
        if _map_or_null(table, "table"):
            return "table bukan objek"
        for kode, row in (table or {}).items():
            if not kode.isdigit() or _map_or_null(row, "baris"):
                return f"baris table {kode!r} tidak sah"
        return None

    return check


def record(shape: str) -> Check:
    """A per-TPS record: ``tungsura`` {chart, administrasi} (Pilkada) or both at the top level
    (Pemilu); each an object or null."""

    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return "catatan TPS bukan objek"
        body = value.get("tungsura") if shape == "tungsura" else value
        if shape == "tungsura" and not isinstance(body, dict):
            return "catatan TPS tanpa objek tungsura"
        if not ({"chart", "administrasi"} & body.keys()):
            return "catatan TPS tanpa chart maupun administrasi"
        for key in ("chart", "administrasi"):
            if _map_or_null(body.get(key), key):
                return f"{key} bukan objek"
        return None

    return check


def row_published(row: Any) -> bool:
    """A TPS row of a desa's aggregate table says KPU holds data for it: a vote or progres > 0."""
    if not isinstance(row, dict):
        return False
    progres = row.get("progres")
    count = progres.get("progres") if isinstance(progres, dict) else None
    if isinstance(count, int) and count > 0:
        return True
    return any(k.isdigit() and isinstance(v, int) for k, v in row.items())
