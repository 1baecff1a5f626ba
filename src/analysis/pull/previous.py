"""What the previous pull holds, and carrying a region over from it whole.

A region whose row in its parent's aggregate table (votes per paslon, ``progres``, ``psu``) is the
same as in the previous pull has, as far as KPU publishes, not changed: with
``carry_unchanged_regions`` its whole branch (aggregates, region lists, records) is carried over as
hard links, without a request. It is carried only when the previous pull walked the branch in full
(its scope contained the region) and nothing in it failed then; otherwise it is walked.
"""

from __future__ import annotations

import bisect
import json
import os
from functools import cached_property
from pathlib import Path

import polars as pl

from analysis.domain import regions
from analysis.pull import site
from analysis.pull.folder import PullFolder, carry

STATUS_FILE = "status_tps.csv"
SUMMARY_FILE = "ringkasan.json"
STATUS_SCHEMA = {"jenis_pemilihan": pl.String, "kode_tps": pl.String, "nasib": pl.String}
#: Fates of the previous pull that leave a record to carry (the others leave none).
HELD = ("diambil", "dibawa")


class Previous:
    """The previous published pull of the drop, read lazily (nothing when there is none)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._listings: dict[tuple[str, str], list[str]] = {}

    @cached_property
    def summary(self) -> dict:
        p = self.path / SUMMARY_FILE if self.path else None
        return json.loads(p.read_bytes()) if p and p.exists() else {}

    @cached_property
    def status(self) -> pl.DataFrame:
        p = self.path / STATUS_FILE if self.path else None
        if p is None or not p.exists():
            return pl.DataFrame(schema=STATUS_SCHEMA)
        df = pl.read_csv(p, schema_overrides=STATUS_SCHEMA, columns=list(STATUS_SCHEMA))
        return df.sort("jenis_pemilihan", "kode_tps")

    @cached_property
    def _status_index(self) -> dict[str, tuple[list[str], list[str]]]:
        out = {}
        for (jenis,), part in self.status.group_by("jenis_pemilihan", maintain_order=True):
            out[jenis] = (part["kode_tps"].to_list(), part["nasib"].to_list())
        return out

    @cached_property
    def tainted(self) -> set[tuple[str, str]]:
        """(jenis, region) holding something that failed in the previous pull, at every tier."""
        bad = [(j, k) for j, k, n in self.status.iter_rows() if n == "gagal"]
        bad += [(f["jenis_pemilihan"], f["kode"]) for f in self.summary.get("berkas_gagal", [])]
        out = set()
        for jenis, kode in bad:
            for n in site.CODE_DIGITS.values():
                if len(kode) >= n:
                    out.add((jenis, kode[:n]))
            out.add((jenis, kode))
        return out

    def _names(self, part: str, jenis: str) -> list[str]:
        """File names of a folder of the previous pull, sorted (listed once)."""
        if (part, jenis) not in self._listings:
            folder = self.path / part / jenis if self.path else None
            names = os.listdir(folder) if folder and folder.is_dir() else []
            self._listings[(part, jenis)] = sorted(n for n in names if n.endswith(".json"))
        return self._listings[(part, jenis)]

    def walked(self, jenis: str, kode: str) -> bool:
        """The previous pull walked the whole branch of ``kode`` and nothing in it failed."""
        if not self.path or not self.status.height:
            return False
        scope = self.summary.get("cakupan")
        if scope is None or not regions.is_inside(regions.dotted(kode), scope):
            return False
        names = self._names("agregat", jenis)
        i = bisect.bisect_left(names, f"{kode}.json")
        return (jenis, kode) not in self.tainted and i < len(names) and names[i] == f"{kode}.json"

    def carry_branch(self, pull: PullFolder, jenis: str, kode: str) -> list[tuple[str, str]]:
        """Link the branch's files into ``pull``; returns its TPS with their fate (dibawa or
        belum_ada, as the previous pull left them)."""
        assert self.path is not None
        for part in ("agregat", "wilayah", "tps"):
            for name in _prefixed(self._names(part, jenis), kode):
                rel = f"{part}/{jenis}/{name}"
                carry(self.path / rel, pull.path(rel))
        codes, fates = self._status_index.get(jenis, ([], []))
        lo = bisect.bisect_left(codes, kode)
        hi = bisect.bisect_left(codes, kode + ":")  # ':' sorts right after the digits
        return [
            (codes[i], "dibawa" if fates[i] in HELD else fates[i])
            for i in range(lo, hi)
            if fates[i] != "hilang"
        ]


def _prefixed(names: list[str], prefix: str) -> list[str]:
    lo = bisect.bisect_left(names, prefix)
    hi = bisect.bisect_left(names, prefix + ":")
    return names[lo:hi]
