"""What became of the packs of one run: per pack, and the run as a whole."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ShareOutcome:
    """What a pack got beyond its open page (analysis.packs.share), and what failed (in words)."""

    locked: Path | None = None  # the locked edition
    annex: Path | None = None  # the Excel annex
    annex_inside: bool = False  # the annex also travels inside the locked edition
    error: str = ""
    annex_seconds: float = 0.0
    locked_seconds: float = 0.0


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
    status_wilayah: str = ""  # the unit's own traffic light (aman | perhatian | kritis; "" unknown)
    judul_status: str = ""  # the status headline: the unit's and its children's
    share: ShareOutcome = field(default_factory=ShareOutcome)
    # an incremental run (analysis.packs.carry): the data time the pack shows (ISO) and whether it
    # was rendered in this run (False: carried from the run that made it); None when not known
    waktu_data: str | None = None
    berubah: bool | None = None

    @property
    def locked(self) -> Path | None:
        return self.share.locked

    @property
    def annex(self) -> Path | None:
        return self.share.annex


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
    drop: str | None = None  # the drop the processed data came from (run.json)
    stage_failures: list[str] = field(default_factory=list)  # earlier stages that failed, in words
    as_of: dt.datetime | None = None  # the data time of every pack of the run
    tz: str = "Asia/Jakarta"  # the zone the index states it in (the scope's)
    zona: str = "WIB"
    share_notes: list[str] = field(default_factory=list)  # e.g. locked edition skipped, in words
    bundles: list[Any] = field(default_factory=list)  # analysis.packs.bundle.BundleResult
    fingerprints: dict[str, str] = field(default_factory=dict)  # kode -> fingerprint (carry)

    @property
    def rendered(self) -> list[PackResult]:
        """Packs rendered in this run (all of them when the run carried none)."""
        return [p for p in self.packs if p.berubah is not False]

    @property
    def failed(self) -> list[PackResult]:
        return [p for p in self.packs if p.status != "ok"]

    @property
    def share_failed(self) -> list[PackResult]:
        """Packs made whose annex or locked edition failed."""
        return [p for p in self.packs if p.share.error]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.share_failed

    def summary(self) -> str:
        """A short text summary for the console."""
        lines = [
            f"{len(self.packs) - len(self.failed)} of {len(self.packs)} packs made in "
            f"{self.seconds:.1f} s → {self.index}"
        ]
        for p in self.failed:
            lines.append(f"  FAILED {p.tingkat} {p.kode_wilayah} ({p.nama}): {p.error}")
            lines.append(f"         executed notebook kept: {p.ipynb}")
        for p in self.share_failed:
            lines.append(f"  SHARE FAILED {p.tingkat} {p.kode_wilayah} ({p.nama}): {p.share.error}")
        made = [b for b in self.bundles if b.path is not None]
        if self.bundles:
            lines.append(f"{len(made)} of {len(self.bundles)} bundles made")
        return "\n".join(lines)
