"""A small internal count for the analytics tests (imported by test_kerawanan and test_analyse)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl

from analysis import catalog
from analysis.schemas import TALLY, TALLY_VOTES

T0 = dt.datetime(2024, 11, 27, 10, tzinfo=dt.UTC)
AS_OF = "2024-11-28T14:00:00+07:00"
PREVIOUS = "2024-11-27T20:00:00+07:00"


def write_count(root: Path, n: int = 120) -> list[str]:
    """``internal__tps_kontestasi_laporan`` and its ``_paslon`` votes for ``n`` clean TPS of Kota
    Palembang (pkwkk-1671), 40 per kecamatan 16.71.01-03, three paslon; returns the TPS
    codes."""
    rng = np.random.default_rng(0)
    codes = [f"1671{i // 40 + 1:02d}2001{i % 40 + 1:03d}" for i in range(n)]
    dpt = rng.integers(200, 600, n)
    voters = rng.binomial(dpt, 0.7)
    votes = np.array([rng.multinomial(v, [0.5, 0.3, 0.2]) for v in voters])
    tps = {"kode_tps": codes, "kode_kontestasi": "pkwkk-1671", "waktu_laporan": [T0] * n}
    counts = {"pemilih_dpt": dpt, "pengguna_total": voters, "suara_sah": votes.sum(axis=1)}
    catalog.write(pl.DataFrame(tps | counts), TALLY.name, root)
    per_paslon = {
        "kode_tps": np.repeat(codes, 3),
        "kode_kontestasi": "pkwkk-1671",
        "waktu_laporan": [T0] * (3 * n),
        "nomor_urut": np.tile([1, 2, 3], n),
        "suara": votes.ravel(),
    }
    catalog.write(pl.DataFrame(per_paslon), TALLY_VOTES.name, root)
    return codes


def write_run(root: Path, as_of: str = AS_OF, previous: str = PREVIOUS) -> None:
    """The ``run.json`` the daily job writes: the report's time and the previous report's."""
    run = {"as_of": as_of, "previous_as_of": previous}
    (root / "run.json").write_text(json.dumps(run), encoding="utf-8")
