"""One reconciliation as of a time, computed in memory: the steps in order, and what they make."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

from analysis.reconcile.agregat import KpuAggregates, against_itself
from analysis.reconcile.inputs import ReconInputs, as_utc
from analysis.reconcile.kontestasi import outcome
from analysis.reconcile.perkiraan import estimate
from analysis.reconcile.rekap import in_force, recap
from analysis.reconcile.tps import reconcile_tps
from analysis.reconcile.wilayah import roll_up_paslon, roll_up_status
from analysis.schemas import (
    RECON_AGREGAT,
    RECON_KONTESTASI,
    RECON_PERKIRAAN,
    RECON_PERUBAHAN,
    RECON_PERUBAHAN_WILAYAH,
    RECON_RUN,
    RECON_TPS,
    RECON_TPS_PASLON,
    RECON_WILAYAH,
    RECON_WILAYAH_STATUS,
    REKAP_PASLON,
    REKAP_PROGRES,
    REKAP_REVISI,
    REKAP_WILAYAH,
    Dataset,
)
from analysis.settings import Rekapitulasi

#: Attribute of :class:`ReconResult` → the dataset it is written as.
OUTPUTS: dict[str, Dataset] = {
    "tps_paslon": RECON_TPS_PASLON,
    "tps": RECON_TPS,
    "wilayah": RECON_WILAYAH,
    "wilayah_status": RECON_WILAYAH_STATUS,
    "kontestasi": RECON_KONTESTASI,
    "perkiraan": RECON_PERKIRAAN,
    "perubahan": RECON_PERUBAHAN,
    "perubahan_wilayah": RECON_PERUBAHAN_WILAYAH,
    "run": RECON_RUN,
    "rekap_paslon": REKAP_PASLON,
    "rekap_wilayah": REKAP_WILAYAH,
    "rekap_progres": REKAP_PROGRES,
    "rekap_revisi": REKAP_REVISI,
    "agregat": RECON_AGREGAT,
}


@dataclass
class ReconResult:
    """One reconciliation as of a time: every rekon__* frame (attributes named after OUTPUTS)."""

    as_of: dt.datetime
    previous_as_of: dt.datetime | None
    tps_paslon: pl.DataFrame
    tps: pl.DataFrame
    wilayah: pl.DataFrame
    wilayah_status: pl.DataFrame
    kontestasi: pl.DataFrame
    perkiraan: pl.DataFrame
    perubahan: pl.DataFrame = field(default_factory=RECON_PERUBAHAN.empty)
    perubahan_wilayah: pl.DataFrame = field(default_factory=RECON_PERUBAHAN_WILAYAH.empty)
    run: pl.DataFrame = field(default_factory=RECON_RUN.empty)
    rekap_paslon: pl.DataFrame = field(default_factory=REKAP_PASLON.empty)
    rekap_wilayah: pl.DataFrame = field(default_factory=REKAP_WILAYAH.empty)
    rekap_progres: pl.DataFrame = field(default_factory=REKAP_PROGRES.empty)
    rekap_revisi: pl.DataFrame = field(default_factory=REKAP_REVISI.empty)
    agregat: pl.DataFrame = field(default_factory=RECON_AGREGAT.empty)
    timings: dict[str, float] = field(default_factory=dict)

    def frames(self) -> dict[str, pl.DataFrame]:
        """Dataset name -> frame, conformed to its schema (private ``_`` keys dropped)."""
        return {
            ds.name: ds.conform(getattr(self, attr)).select(list(ds.columns))
            for attr, ds in OUTPUTS.items()
        }


@contextlib.contextmanager
def timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    """Record a phase's wall seconds under ``phase`` and process CPU seconds under ``phase_cpu``."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        timings[phase] = time.perf_counter() - wall
        timings[f"{phase}_cpu"] = time.process_time() - cpu


def reconcile(
    inputs: ReconInputs,
    as_of: dt.datetime,
    tolerance: int = 0,
    previous_as_of: dt.datetime | None = None,
    *,
    detail: bool = True,
    schedule: Rekapitulasi | None = None,
    aggregates: KpuAggregates | None = None,
) -> ReconResult:
    """Reconcile as of ``as_of`` (pure: no files read or written).

    ``detail=False`` skips the per-contest outcome, the estimate, the recapitulation and KPU's
    aggregates (enough for "what changed"). ``schedule``: KPU's recap dates per tier (default:
    none, nothing late). ``aggregates``: KPU's aggregates of the latest pull by ``as_of``.
    """
    timings: dict[str, float] = {}
    with timed(timings, "tps"):
        tp, tps = reconcile_tps(inputs, as_of, tolerance, previous_as_of)
    with timed(timings, "wilayah"):
        dhasil = in_force(inputs.official_region, as_utc(as_of))
        wil = roll_up_paslon(tp, dhasil, tolerance)
        stat = roll_up_status(tps, wil, dhasil, tolerance)
    with timed(timings, "kontestasi"):
        if detail:
            kon, est = outcome(wil, stat), estimate(tp, tps)
        else:
            kon, est = RECON_KONTESTASI.empty(), RECON_PERKIRAAN.empty()
    rekap: dict[str, pl.DataFrame] = {}
    agregat = RECON_AGREGAT.empty()
    if detail:
        with timed(timings, "rekap"):
            rekap = recap(
                inputs.official_region, wil, stat, as_utc(as_of), schedule or Rekapitulasi()
            )
        with timed(timings, "agregat"):
            agregat = against_itself(aggregates, inputs.ref_paslon, wil, stat)
    return ReconResult(
        as_of=as_utc(as_of),
        previous_as_of=as_utc(previous_as_of) if previous_as_of else None,
        tps_paslon=tp,
        tps=tps,
        wilayah=wil,
        wilayah_status=stat,
        kontestasi=kon,
        perkiraan=est,
        timings=timings,
        agregat=agregat,
        **{attr: rekap[OUTPUTS[attr].name] for attr in _REKAP if rekap},
    )


_REKAP = ("rekap_paslon", "rekap_wilayah", "rekap_progres", "rekap_revisi")
