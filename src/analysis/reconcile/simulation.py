"""``python -m analysis simulasi`` (``make simulasi``): do the intervals cover the truth?

Many simulated count nights on the demo's structure (``docs/domain.md`` §11): per *world* (the
demo's election of a scope, drawn from a seed) the true final shares are known; per *night* a new
reporting order, biased as the demo's (towns and near-road TPS first, :mod:`analysis.demo.arrival`)
and a new PVT sample whose TPS field staff report first. At checkpoints through the night, with the
functions the reconcile stage runs:

- the share of 95% intervals that cover each paslon's true final share — for the sample mode and
  the stratified projection (when they speak) and for the old naive estimate (:mod:`.perkiraan`);
- the number of "can no longer change" statements (:mod:`.decided`, (b) on the internal count)
  whose leader is not the final leader — zero by construction, and counted.

A benchmark, not a test: seeded, so the same arguments give the same figures.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analysis import console
from analysis.demo import arrival
from analysis.demo.world import SLOT_NOMOR, VOTE_COLS, World, build_world
from analysis.domain import regions
from analysis.reconcile import perkiraan
from analysis.reconcile.decided import one_side
from analysis.reconcile.projection import from_sample, population, stratified
from analysis.reconcile.sample import default_size, draw_sample, strata_depth
from analysis.settings import Settings, default_settings

#: Checkpoints: hours after 14:00 local on voting day (polls close at 13:00).
CHECKPOINTS: tuple[float, ...] = (1, 2, 3, 4, 6, 8, 12, 18, 24, 36)
METHODS = ("sampel", "strata_internal", "naif")


@dataclass
class Tally:
    """Intervals given and intervals that covered the truth, per method × checkpoint."""

    given: dict[tuple[str, float], int] = field(default_factory=dict)
    covered: dict[tuple[str, float], int] = field(default_factory=dict)
    width: dict[tuple[str, float], float] = field(default_factory=dict)
    statements: int = 0
    contradicted: int = 0

    def add(self, method: str, h: float, rows: pl.DataFrame) -> None:
        """Count the rows' intervals (``bawah``, ``atas``) against the truth ``benar``."""
        key = (method, h)
        ok = rows.filter(pl.col("bawah").is_not_null())
        hit = ok.filter(pl.col("benar").is_between(pl.col("bawah"), pl.col("atas")))
        self.given[key] = self.given.get(key, 0) + ok.height
        self.covered[key] = self.covered.get(key, 0) + hit.height
        self.width[key] = self.width.get(key, 0.0) + float((ok["atas"] - ok["bawah"]).sum())


@dataclass
class Night:
    """The frames of one world the estimators read, and its truth."""

    units: pl.DataFrame  # one row per TPS × contest: population columns and _tps (TPS index)
    votes: pl.DataFrame  # one row per TPS × contest × paslon: _u, nomor_urut, suara_internal
    truth: pl.DataFrame  # one row per contest × paslon: benar (final share), and the leader
    codes: pl.Series  # TPS codes
    remote: np.ndarray  # per TPS
    kab: tuple[int, np.ndarray]


def _frames(w: World) -> Night:
    """The world's TPS × contest rows as recon_tps-like frames, and the true final shares."""
    tc = w.tc.with_columns(pl.col("_tc").alias("_u"))
    units = tc.select(
        "kode_kontestasi",
        "_u",
        "_tps",
        "kode_tps",
        "kode_desa",
        pl.col("kode_kec").alias("kode_kecamatan"),
        pl.col("kode_kab").alias("kode_kabkota"),
        "pemilih_dpt",
        pl.lit(True).alias("diharapkan"),
    )
    votes = pl.concat(
        tc.select("_u", "kode_kontestasi", pl.lit(n).alias("nomor_urut"), pl.col(c).alias("y"))
        for n, c in zip(SLOT_NOMOR, VOTE_COLS, strict=True)
    ).drop_nulls("y")
    totals = votes.group_by("kode_kontestasi", "nomor_urut").agg(pl.col("y").sum())
    truth = totals.with_columns(
        (pl.col("y") / pl.col("y").sum().over("kode_kontestasi")).alias("benar"),
        (pl.col("y") == pl.col("y").max().over("kode_kontestasi")).alias("_final_lead"),
    )
    kab_u, kab_i = np.unique(w.tps["kode_kab"].to_numpy(), return_inverse=True)
    return Night(
        units, votes, truth, w.tps["kode_tps"], w.tps["jauh"].to_numpy(), (kab_u.size, kab_i)
    )


def _state(night: Night, hours: np.ndarray, h: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(recon_tps-like, recon_tps_paslon-like) frames as of ``h`` hours after 14:00."""
    inn = pl.Series(hours <= h)
    tps = night.units.with_columns(
        inn.gather(night.units["_tps"]).alias("ada_internal"),
        pl.lit(False).alias("ada_kpu"),
        pl.Series(hours).gather(night.units["_tps"]).alias("waktu_laporan"),
        pl.lit(None, dtype=pl.Float64).alias("ts_kpu"),
        pl.lit(None, dtype=pl.Float64).alias("waktu_tarik"),
        pl.col("_u").alias("_pid"),
        pl.lit(None, dtype=pl.Int64).alias("selisih_abs"),
        pl.lit([], dtype=pl.List(pl.String)).alias("peringatan_internal"),
        pl.lit([], dtype=pl.List(pl.String)).alias("peringatan_kpu"),
    )
    tp = night.votes.join(tps.select("_u", "kode_tps", "ada_internal"), on="_u").select(
        pl.col("_u").alias("_pid"),
        "kode_tps",
        "kode_kontestasi",
        "nomor_urut",
        pl.when("ada_internal").then(pl.col("y")).alias("suara_internal"),
        pl.lit(None, dtype=pl.Int64).alias("suara_kpu"),
    )
    return tps, tp


def _naive(tps: pl.DataFrame, tp: pl.DataFrame) -> pl.DataFrame:
    e = perkiraan.estimate(tp, tps)
    return e.select(
        "kode_kontestasi",
        "nomor_urut",
        pl.col("persen_bawah").alias("bawah"),
        pl.col("persen_atas").alias("atas"),
    )


def _interval(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.select(
        "kode_kontestasi",
        "nomor_urut",
        pl.col("persen_bawah").alias("bawah"),
        pl.col("persen_atas").alias("atas"),
    )


def _decided(tps: pl.DataFrame, tp: pl.DataFrame, s: Settings) -> pl.DataFrame:
    """(b) on the internal count: the leader and whether the TPS still out could change it."""
    nat = tp.group_by("kode_kontestasi", "nomor_urut").agg(
        pl.col("suara_internal").sum(), pl.lit(0).alias("suara_kpu")
    )
    e = s.election
    return one_side(nat, tps, tp, "internal", e.reserve_share, e.max_voters_per_tps)


def _checkpoint(
    night: Night, tally: Tally, tps: pl.DataFrame, tp: pl.DataFrame, h: float, extra: dict
) -> None:
    """Every method's intervals and the decidedness statements at one checkpoint."""
    s: Settings = extra["settings"]
    pop = population(tps)
    got = {
        "naif": _naive(tps, tp),
        "strata_internal": _interval(stratified(pop, tp, "internal", s.proyeksi)[1]),
        "sampel": _interval(from_sample(pop, tp, extra["sample"], extra["meta"], s.proyeksi)[1]),
    }
    for method, rows in got.items():
        tally.add(method, h, rows.join(night.truth, on=["kode_kontestasi", "nomor_urut"]))
    d = _decided(tps, tp, s).filter(pl.col("ada_hitungan") & ~pl.col("sisa_bisa_mengubah"))
    lead = night.truth.filter("_final_lead").select(
        "kode_kontestasi", pl.col("nomor_urut").alias("_final")
    )
    d = d.join(lead, on="kode_kontestasi")
    tally.statements += d.height
    tally.contradicted += d.filter(pl.col("unggul") != pl.col("_final")).height


def simulate_night(
    night: Night,
    scope: str,
    rng: np.random.Generator,
    tally: Tally,
    s: Settings,
    checkpoints: tuple[float, ...] = CHECKPOINTS,
) -> None:
    """One night: a new sample and reporting order, every checkpoint counted into ``tally``."""
    cfg = s.proyeksi
    size = default_size(night.codes, scope, cfg.sample_share, cfg.sample_min_per_stratum)
    seed = int(rng.integers(2**31))
    sample = draw_sample(night.codes, scope, size, seed, cfg.sample_min_per_stratum)
    first = night.codes.is_in(sample["kode_tps"].implode()).to_numpy()
    n_kab, kab_i = night.kab
    speed = arrival.kab_speed(rng, n_kab)[kab_i]
    hours = arrival.report_hours(rng, night.remote, speed, first)
    meta = {
        "lingkup": scope,
        "tingkat_strata": regions.TIERS[strata_depth(scope)],
        "sha256": None,
        "sah": True,
    }
    extra = {"settings": s, "sample": sample, "meta": meta}
    for h in checkpoints:
        tps, tp = _state(night, hours, h)
        _checkpoint(night, tally, tps, tp, h, extra)


def simulate(
    scope: str,
    worlds: int,
    nights: int,
    seed: int,
    s: Settings,
    checkpoints: tuple[float, ...] = CHECKPOINTS,
) -> Tally:
    """``worlds`` demo elections of ``scope`` × ``nights`` nights each."""
    tally = Tally()
    prefix = None if scope == regions.NATIONAL else scope
    for wi in range(worlds):
        w = build_world(prefix, np.random.default_rng([seed, wi]), s.election.reserve_share)
        night = _frames(w)
        for ni in range(nights):
            rng = np.random.default_rng([seed, wi, ni])
            simulate_night(night, scope, rng, tally, s, checkpoints)
    return tally


def report(tally: Tally) -> dict:
    """Coverage per method overall (when it speaks) and per checkpoint; the contradictions."""
    out: dict = {"metode": {}, "pernyataan_pasti": tally.statements}
    out["pernyataan_pasti_terbantah"] = tally.contradicted
    for m in METHODS:
        keys = [(m, h) for h in CHECKPOINTS]
        given = sum(tally.given.get(k, 0) for k in keys)
        covered = sum(tally.covered.get(k, 0) for k in keys)
        out["metode"][m] = {
            "selang": given,
            "cakupan": round(covered / given, 4) if given else None,
            "per_jam": {
                str(h): {
                    "selang": tally.given.get((m, h), 0),
                    "cakupan": round(tally.covered[(m, h)] / tally.given[(m, h)], 4)
                    if tally.given.get((m, h))
                    else None,
                    "lebar_rerata": round(tally.width[(m, h)] / tally.given[(m, h)], 4)
                    if tally.given.get((m, h))
                    else None,
                }
                for h in CHECKPOINTS
            },
        }
    return out


def _print(r: dict, args: argparse.Namespace, seconds: float) -> None:
    console.say(
        f"simulasi: lingkup {args.scope}, {args.worlds} dunia × {args.nights} malam, seed "
        f"{args.seed} ({seconds:.0f} s)"
    )
    console.say(f"  {'jam':>5} " + "".join(f"{m:>26}" for m in METHODS))
    for h in CHECKPOINTS:
        cells = []
        for m in METHODS:
            c = r["metode"][m]["per_jam"][str(h)]
            cov = f"{c['cakupan']:.1%}" if c["cakupan"] is not None else "diam"
            cells.append(f"{cov:>8} ({c['selang']:>5} selang)      ")
        console.say(f"  {h:>5} " + "".join(f"{x:>26}" for x in cells))
    for m in METHODS:
        c = r["metode"][m]
        cov = f"{c['cakupan']:.1%}" if c["cakupan"] is not None else "—"
        console.say(f"  {m:<16} cakupan selang 95%: {cov} dari {c['selang']} selang")
    console.say(
        f"  pernyataan 'urutan tidak bisa berubah lagi': {r['pernyataan_pasti']}, terbantah "
        f"{r['pernyataan_pasti_terbantah']}"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    s = default_settings()
    parser.add_argument("--scope", default=s.demo.scope, help="demo scope (default the demo's)")
    parser.add_argument("--worlds", type=int, default=8, help="demo elections drawn (default 8)")
    parser.add_argument("--nights", type=int, default=5, help="nights per election (default 5)")
    parser.add_argument("--seed", type=int, default=s.demo.seed, help="seed (default the demo's)")
    parser.add_argument("--out", type=Path, help="JSON file (default reports/bench/simulasi.json)")


def run(args: argparse.Namespace) -> int:
    s = default_settings()
    t0 = time.perf_counter()
    r = report(simulate(args.scope, args.worlds, args.nights, args.seed, s))
    r["argumen"] = {k: str(v) for k, v in vars(args).items() if not k.startswith("_")}
    _print(r, args, time.perf_counter() - t0)
    out = args.out or (s.paths.resolved().reports / "bench" / "simulasi.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(r, indent=1, ensure_ascii=False), encoding="utf-8")
    console.say(f"ditulis {out}")
    return 1 if r["pernyataan_pasti_terbantah"] else 0
