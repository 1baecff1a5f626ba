"""One reconciliation as of a time, computed in memory: the steps in order, and what they make."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

from analysis.domain.regions import NATIONAL
from analysis.partstore import PartStore
from analysis.reconcile.agregat import KpuAggregates, against_itself
from analysis.reconcile.contest_parts import (
    ContestParts,
    contest_store,
    project_by_contest,
    roll_ups_by_contest,
)
from analysis.reconcile.decided import decidedness
from analysis.reconcile.inputs import ReconInputs, as_utc
from analysis.reconcile.kontestasi import outcome
from analysis.reconcile.parts import ChangeParts, TpsParts, reconcile_tps_by_part
from analysis.reconcile.projection import project
from analysis.reconcile.rekap import in_force, recap
from analysis.reconcile.sample import record_of
from analysis.reconcile.tps import reconcile_tps
from analysis.reconcile.wilayah import roll_up_paslon, roll_up_status
from analysis.schemas import (
    RECON_AGREGAT,
    RECON_KONTESTASI,
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
    REKON_KEPASTIAN,
    REKON_PROYEKSI,
    REKON_PROYEKSI_PASLON,
    Dataset,
)
from analysis.settings import Settings, default_settings

#: Attribute of :class:`ReconResult` → the dataset it is written as.
OUTPUTS: dict[str, Dataset] = {
    "tps_paslon": RECON_TPS_PASLON,
    "tps": RECON_TPS,
    "wilayah": RECON_WILAYAH,
    "wilayah_status": RECON_WILAYAH_STATUS,
    "kontestasi": RECON_KONTESTASI,
    "proyeksi": REKON_PROYEKSI,
    "proyeksi_paslon": REKON_PROYEKSI_PASLON,
    "kepastian": REKON_KEPASTIAN,
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
    proyeksi: pl.DataFrame = field(default_factory=REKON_PROYEKSI.empty)
    proyeksi_paslon: pl.DataFrame = field(default_factory=REKON_PROYEKSI_PASLON.empty)
    kepastian: pl.DataFrame = field(default_factory=REKON_KEPASTIAN.empty)
    perubahan: pl.DataFrame = field(default_factory=RECON_PERUBAHAN.empty)
    perubahan_wilayah: pl.DataFrame = field(default_factory=RECON_PERUBAHAN_WILAYAH.empty)
    run: pl.DataFrame = field(default_factory=RECON_RUN.empty)
    rekap_paslon: pl.DataFrame = field(default_factory=REKAP_PASLON.empty)
    rekap_wilayah: pl.DataFrame = field(default_factory=REKAP_WILAYAH.empty)
    rekap_progres: pl.DataFrame = field(default_factory=REKAP_PROGRES.empty)
    rekap_revisi: pl.DataFrame = field(default_factory=REKAP_REVISI.empty)
    agregat: pl.DataFrame = field(default_factory=RECON_AGREGAT.empty)
    timings: dict[str, float] = field(default_factory=dict)
    bagian: TpsParts | None = None  # the TPS rows per kab/kota, when kept (.parts); not written
    # the steps kept per contest (.contest_parts), by store kind, when the TPS rows are kept
    per_kontestasi: dict[str, ContestParts] = field(default_factory=dict)
    bagian_perubahan: ChangeParts | None = None  # the changes per kab/kota, when kept

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


def _outlook(
    inputs: ReconInputs, tp: pl.DataFrame, tps: pl.DataFrame, wil: pl.DataFrame, s: Settings,
    kept: ContestParts | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:  # fmt: skip
    """(rekon__proyeksi_*, rekon__kepastian_*): the projections (``kept``: already made contest
    by contest, :mod:`.contest_parts`) and the two questions."""
    if kept is not None:
        proj, proj_paslon = kept.frames
    else:
        meta = record_of(inputs.sampel)
        proj, proj_paslon = project(tps, tp, inputs.sampel_tps, meta, s.proyeksi)
    nat = wil.filter(pl.col("kode_wilayah") == NATIONAL)
    e = s.election
    return proj, proj_paslon, decidedness(nat, tps, tp, e.reserve_share, e.max_voters_per_tps)


def reconcile(
    inputs: ReconInputs,
    as_of: dt.datetime,
    tolerance: int = 0,
    previous_as_of: dt.datetime | None = None,
    *,
    detail: bool = True,
    settings: Settings | None = None,
    aggregates: KpuAggregates | None = None,
    tps_store: PartStore | None = None,
) -> ReconResult:
    """Reconcile as of ``as_of`` (pure: no files read or written).

    ``detail=False`` skips the per-contest outcome, the projections and the two questions, the
    recapitulation and KPU's aggregates (enough for "what changed"). ``aggregates``: KPU's
    aggregates of the latest pull by ``as_of``; the recap's schedule is ``settings.rekapitulasi``.
    ``tps_store``: the TPS rows kept per kab/kota (:mod:`.parts`); the parts it holds under the
    same inputs are taken from it (the result's ``bagian`` says what to store for the next run).
    """
    timings: dict[str, float] = {}
    bagian = None
    with timed(timings, "tps"):
        if tps_store is None:
            tp, tps = reconcile_tps(inputs, as_of, tolerance, previous_as_of)
        else:
            bagian = reconcile_tps_by_part(inputs, as_of, tolerance, previous_as_of, tps_store)
            tp, tps = bagian.tps_paslon, bagian.tps
    per_contest: dict[str, ContestParts] = {}
    kept = tps_store is not None and bagian is not None and bool(bagian.keys)
    with timed(timings, "wilayah"):
        dhasil = in_force(inputs.official_region, as_utc(as_of))
        if kept:
            per_contest["wilayah"] = roll_ups_by_contest(
                tps, tp, dhasil, tolerance, bagian.keys, contest_store(tps_store, "wilayah")
            )
            wil, stat = per_contest["wilayah"].frames
        else:
            wil = roll_up_paslon(tp, dhasil, tolerance)
            stat = roll_up_status(tps, wil, dhasil, tolerance)
    result = ReconResult(
        as_of=as_utc(as_of),
        previous_as_of=as_utc(previous_as_of) if previous_as_of else None,
        tps_paslon=tp,
        tps=tps,
        wilayah=wil,
        wilayah_status=stat,
        kontestasi=RECON_KONTESTASI.empty(),
        timings=timings,
        bagian=bagian,
        per_kontestasi=per_contest,
    )
    if detail:
        with timed(timings, "kontestasi"):
            result.kontestasi = outcome(wil, stat)
        with timed(timings, "proyeksi"):
            s = settings or default_settings()
            if kept:
                per_contest["proyeksi"] = project_by_contest(
                    tps, tp, inputs.sampel_tps, record_of(inputs.sampel), s.proyeksi,
                    bagian.keys, contest_store(tps_store, "proyeksi"),
                )  # fmt: skip
            result.proyeksi, result.proyeksi_paslon, result.kepastian = _outlook(
                inputs, tp, tps, wil, s, per_contest.get("proyeksi")
            )
        with timed(timings, "rekap"):
            rekap = recap(inputs.official_region, wil, stat, as_utc(as_of), s.rekapitulasi)
            for attr in _REKAP:
                setattr(result, attr, rekap[OUTPUTS[attr].name])
        with timed(timings, "agregat"):
            result.agregat = against_itself(aggregates, inputs.ref_paslon, wil, stat)
    return result


_REKAP = ("rekap_paslon", "rekap_wilayah", "rekap_progres", "rekap_revisi")
