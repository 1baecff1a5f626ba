"""Bootstrap intervals kept between runs (issue 15, "work proportional to what changed").

A digit test's interval for one unit × contest depends only on the unit's digit frequencies (or,
for a share, its count and hits), the number of samples, the seed and the unit's own random stream
(:func:`analysis.analyse.digits.group_streams`): it is the same in every run that sees the same
counts for that unit. So the intervals are kept under ``processed/_cache/interval.parquet``, each
by the hash of what decides it, and a run draws only for the units whose counts changed: on count
night one kab/kota's new reports redraw that kab/kota's intervals, not every one of them.

The file is valid only for the code and numpy version that drew it (the random streams are
numpy's); otherwise it is ignored. It holds the intervals of the last run only, so it never grows,
and is written atomically: a damaged or missing file only costs the draws again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analysis.publish import write_durably

FILE = "interval.parquet"
_SCHEMA = {"kunci": pl.String, "bawah": pl.Float64, "atas": pl.Float64}


def interval_key(*parts: object) -> str:
    """The key of one interval: the hash of what decides it."""
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=16).hexdigest()


@dataclass
class IntervalMemo:
    """Intervals by key: those of the last run (``held``) and those this run used (``used``)."""

    held: dict[str, tuple[float, float]] = field(default_factory=dict)
    used: dict[str, tuple[float, float]] = field(default_factory=dict)
    drawn: int = 0  # intervals drawn in this run (the others came from ``held``)

    def get(self, key: str) -> tuple[float, float] | None:
        hit = self.held.get(key)
        if hit is not None:
            self.used[key] = hit
        return hit

    def put(self, key: str, lo: float, hi: float) -> None:
        self.used[key] = (lo, hi)
        self.drawn += 1


def _stamp() -> str:
    from analysis import incremental

    return json.dumps({"kode": incremental.code_fingerprint(), "numpy": np.__version__})


def load(folder: Path) -> IntervalMemo:
    """The intervals kept in ``folder`` when the same code and numpy drew them; else none."""
    path = folder / FILE
    try:
        if pl.read_parquet_metadata(path).get("stamp") != _stamp():
            return IntervalMemo()
        df = pl.read_parquet(path)
        held = dict(zip(df["kunci"], zip(df["bawah"], df["atas"], strict=True), strict=True))
        return IntervalMemo(held=held)
    except Exception:  # noqa: BLE001 - an unreadable file only costs the draws again
        return IntervalMemo()


def save(folder: Path, memo: IntervalMemo) -> None:
    """Keep the intervals this run used (atomically)."""
    folder.mkdir(parents=True, exist_ok=True)
    df = pl.DataFrame(
        {
            "kunci": list(memo.used),
            "bawah": [v[0] for v in memo.used.values()],
            "atas": [v[1] for v in memo.used.values()],
        },
        schema=_SCHEMA,
    )
    stamp = _stamp()
    write_durably(folder / FILE, lambda p: df.write_parquet(p, metadata={"stamp": stamp}))
