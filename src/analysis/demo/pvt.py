"""The PVT sample of the demo: drawn in the quiet period before voting day, reported first.

The generator draws the sample with :func:`analysis.reconcile.sample.draw_sample` — the function
``python -m analysis sampel`` uses — seeded with the demo's seed, so drawing it again from the drop's
``referensi/tps.csv`` gives the same list. The world reports its TPS first (:mod:`.arrival`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.demo import timeline
from analysis.demo.drop import Drop
from analysis.domain import regions
from analysis.reconcile.sample import (
    FOLDER,
    RECORD_FILE,
    default_size,
    draw_sample,
    write_sample,
)
from analysis.schemas import REF_SAMPEL_TPS
from analysis.settings import Proyeksi

#: When the demo's sample was drawn: in the quiet period, three days before voting day.
DRAWN = dt.datetime.combine(
    timeline.VOTING_DAY - dt.timedelta(days=3), dt.time(10), tzinfo=timeline.WIB
)


@dataclass
class Pvt:
    """The sample of one generation: drawn when the world asks which TPS report first."""

    scope: str
    seed: int
    cfg: Proyeksi
    sample: pl.DataFrame | None = None

    def first(self, codes: pl.Series) -> np.ndarray:
        """Draw the sample from the world's TPS codes; True for each sampled TPS."""
        m = self.cfg.sample_min_per_stratum
        size = default_size(codes, self.scope, self.cfg.sample_share, m)
        self.sample = draw_sample(codes, self.scope, size, self.seed, m)
        return codes.is_in(self.sample["kode_tps"].implode()).to_numpy()

    def write(self, drop: Drop) -> dict:
        """``referensi/sampel_pvt.csv`` and ``sampel_pvt.json`` (after the references); returns
        the manifest's entry."""
        assert self.sample is not None, "the world draws the sample"
        m = self.cfg.sample_min_per_stratum
        path, digest = write_sample(drop.out, self.sample, self.scope, self.seed, m, DRAWN)
        meta = {"format": "csv", "separator": ",", "header_row": 1}
        drop.add_file(path, REF_SAMPEL_TPS.name, self.sample.height, **meta)
        drop.add_file(drop.out / FOLDER / RECORD_FILE, REF_SAMPEL_TPS.name, 0, format="json")
        return {
            "berkas": drop.rel(path),
            "sha256": digest,
            "lingkup": self.scope,
            "ukuran": self.sample.height,
            "seed": self.seed,
        }


def scope_code(prefix: str | None) -> str:
    """The sample's scope: the demo's, ``"00"`` for the whole country."""
    return regions.NATIONAL if prefix is None else prefix
