"""Faults a stand-in can inject, as a table: what KPU's real site did to scrapers in 2024.

A fault is a small mapping, e.g. ``{"gangguan": "status", "status": 429, "detik": 1, "path":
"pilkada/hhcw/pkwkk/16/*", "kali": 2}``. Transport faults act on requests whose path matches the
glob ``path`` (every request when absent), ``kali`` times (always when absent). Content faults
change what is served, in the records and the aggregates alike, until the faults are replaced.
"""

from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field
from typing import Any

#: kind -> (transport or content, what it does). The one list of faults the stand-in knows.
KINDS: dict[str, tuple[str, str]] = {
    "status": ("transport", "answers with `status` (default 500); `detik` adds Retry-After"),
    "lambat": ("transport", "waits `detik` seconds before answering (past the client's timeout)"),
    "html": ("transport", "status 200 with an HTML error page instead of JSON"),
    "terpotong": ("transport", "status 200 with only the first half of the file"),
    "besar": ("transport", "status 200 with a body of `byte` bytes, no Content-Length"),
    "ubah": ("content", "the record of TPS `kode` gets `tambah` more votes for its first paslon"),
    "hilang": ("content", "TPS `kode` vanishes: from its desa's list, the aggregates, its record"),
    "selisih": (
        "content",
        "KPU's aggregate of region `kode` shows `tambah` more votes than its TPS",
    ),
}
_FIELDS = {
    "gangguan",
    "path",
    "kali",
    "status",
    "detik",
    "byte",
    "jenis_pemilihan",
    "kode",
    "tambah",
}


@dataclass
class Fault:
    gangguan: str
    path: str = "*"
    kali: int | None = None
    status: int = 500
    detik: float | None = None
    byte: int = 0
    jenis_pemilihan: str | None = None
    kode: str = ""
    tambah: int = 1
    used: int = field(default=0, compare=False)

    @property
    def transport(self) -> bool:
        return KINDS[self.gangguan][0] == "transport"


def parse(items: list[dict[str, Any]]) -> list[Fault]:
    """Faults from their mappings; an unknown kind or key is an error naming it."""
    out = []
    for item in items:
        kind = item.get("gangguan")
        if kind not in KINDS:
            raise ValueError(f"gangguan {kind!r} tidak dikenal; pilih salah satu: {sorted(KINDS)}")
        extra = set(item) - _FIELDS
        if extra:
            raise ValueError(f"gangguan {kind}: kunci tidak dikenal {sorted(extra)}")
        out.append(Fault(**item))
    return out


class Transport:
    """The transport faults in force, matched and counted across the server's threads."""

    def __init__(self, faults: list[Fault]) -> None:
        self.faults = [f for f in faults if f.transport]
        self._lock = threading.Lock()

    def match(self, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if fnmatch.fnmatchcase(path, f.path) and (f.kali is None or f.used < f.kali):
                    f.used += 1
                    return f
        return None


def content(faults: list[Fault], kind: str) -> list[Fault]:
    return [f for f in faults if f.gangguan == kind]
