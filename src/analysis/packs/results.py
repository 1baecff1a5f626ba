"""What became of the packs of one run: per pack, and the run as a whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PackResult:
    """What became of one pack."""

    kode_wilayah: str
    tingkat: str
    nama: str
    status: str  # "ok" | "gagal"
    ipynb: Path
    html: Path | None
    size_bytes: int
    seconds: float
    error: str = ""


@dataclass
class BriefResult:
    """All packs of one run, plus where the index is."""

    date: dt.date
    scope: str
    depth: int
    out_dir: Path
    index: Path
    packs: list[PackResult] = field(default_factory=list)
    seconds: float = 0.0
    demo: bool = False  # the processed data came from the synthetic demo (run.json)
    stage_failures: list[str] = field(default_factory=list)  # earlier stages that failed, in words

    @property
    def failed(self) -> list[PackResult]:
        return [p for p in self.packs if p.status != "ok"]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """A short text summary for the console."""
        lines = [
            f"{len(self.packs) - len(self.failed)} of {len(self.packs)} packs made in "
            f"{self.seconds:.1f} s → {self.index}"
        ]
        for p in self.failed:
            lines.append(f"  FAILED {p.tingkat} {p.kode_wilayah} ({p.nama}): {p.error}")
            lines.append(f"         executed notebook kept: {p.ipynb}")
        return "\n".join(lines)
