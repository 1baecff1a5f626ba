"""The true election in scope: the regions, the TPS with their DPT, the paslon, the true counts.

Everything here is drawn from one random generator in a fixed order, so the same seed and scope
give the same world. The counts are true; the sources (:mod:`.internal`, :mod:`.sirekap`, …) write
them with the faults of :mod:`.faults` injected.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from analysis import reference
from analysis.demo import arrival, timeline
from analysis.demo.names import full_name
from analysis.domain import regions, rules

N_SLOTS = 7  # suara_paslon_1..6 + kolom kosong
VOTE_COLS: tuple[str, ...] = (*(f"suara_paslon_{i}" for i in range(1, 7)), "suara_kolom_kosong")
SLOT_NOMOR: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 0)  # nomor urut of each slot; 0 = kolom kosong


@dataclass
class World:
    """The true election in scope.

    ``tps``: one row per TPS (``jauh``: its remoteness, :mod:`.arrival`); ``paslon``: one row per contest × nomor urut; ``contests``: one row
    per contest; ``tc``: one row per TPS × contest with every true count, the internal report time
    (``_t_int``) and KPU's publication time (``_t_kpu``).
    """

    tps: pl.DataFrame
    paslon: pl.DataFrame
    contests: pl.DataFrame
    tc: pl.DataFrame
    names: dict[str, str]  # dotted region code -> name
    kinds: dict[str, str]  # dotted region code -> jenis (kabupaten/kota, desa/kelurahan, …)
    anomaly: list[dict[str, Any]]
    reserve_share: float  # reserve ballots as a share of DPT (settings.election)


@dataclass
class _Voters:
    """Voters per TPS (arrays over TPS), drawn before the votes."""

    dpt: np.ndarray
    u_dpt: np.ndarray
    u_dpt_l: np.ndarray
    u_dptb: np.ndarray
    u_dptb_l: np.ndarray
    u_dpk: np.ndarray
    u_dpk_l: np.ndarray
    full: np.ndarray  # TPS with ≈100% turnout and one paslon at ≥95%
    low: np.ndarray  # the one TPS with a very low turnout

    @property
    def total(self) -> np.ndarray:
        return self.u_dpt + self.u_dptb + self.u_dpk

    @property
    def anomalous(self) -> np.ndarray:
        return np.concatenate([self.full, self.low])


#: Given the TPS codes, which TPS field staff report first (the PVT sample), as a boolean array.
FirstReported = Callable[[pl.Series], np.ndarray]


def build_world(
    prefix: str | None,
    rng: np.random.Generator,
    reserve: float,
    first: FirstReported | None = None,
) -> World:
    """The world of ``prefix`` (a dotted region code, None for the whole country).

    ``first``: picks the TPS whose counts field staff report first (the PVT sample).
    """
    desa = desa_in_scope(prefix)
    if desa.is_empty():
        raise ValueError(f"scope {prefix!r} holds no desa/kelurahan")
    order = rng.spawn(1)[0]  # remoteness and the sample's reports: a stream of their own
    tps = build_tps(desa, rng)
    tps = tps.with_columns(pl.Series("jauh", arrival.remoteness(tps, order)))
    tc_tps, tc_c, codes = _contest_rows(desa, tps)
    paslon, base = build_paslon(codes, rng)
    contests = reference.contests().filter(pl.col("kode_kontestasi").is_in(codes))
    kab_u, kab_i = np.unique(tps["kode_kab"].to_numpy(), return_inverse=True)
    voters = _voters(tps, kab_u.size, kab_i, rng)
    lean = order.normal(0, 1, (len(codes), N_SLOTS))
    towns = arrival.tilt(tps["jauh"].to_numpy()[tc_tps], lean[tc_c])
    counts = _counts(voters, base, tc_tps, tc_c, (kab_u.size, kab_i), towns, rng)
    counts |= _ballots(voters.dpt[tc_tps], counts["pengguna_total"], reserve, rng)
    sampled = first(tps["kode_tps"]) if first is not None else None
    counts |= _timing(tps, voters.anomalous, tc_tps, (kab_u.size, kab_i), sampled, rng, order)
    tc = _tc_frame(tps, voters, counts, base, tc_tps, tc_c, codes)
    names, kinds = _region_labels(prefix)
    anomaly = _anomaly_list(tps, voters)
    return World(tps.drop("tz_off"), paslon, contests, tc, names, kinds, anomaly, reserve)


def desa_in_scope(prefix: str | None) -> pl.DataFrame:
    """The desa/kelurahan of the reference tree inside ``prefix`` (all of them for None)."""
    d = reference.regions().filter(pl.col("tingkat") == "desa")
    if prefix is not None:
        d = d.filter(regions.inside_expr("kode_wilayah", prefix))
    return d.sort("kode_wilayah")


def _utc_offset_hours(tz: str) -> int:
    """Hours east of UTC of an Indonesian IANA zone on voting day."""
    return {"Asia/Jakarta": 7, "Asia/Pontianak": 7, "Asia/Makassar": 8, "Asia/Jayapura": 9}[tz]


def build_tps(desa: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One row per TPS: ≈5.1 per desa on average (kelurahan larger), DPT ≤ 600 split L/P."""
    kab = desa.select(regions.ancestor_expr("kode_wilayah", 2)).to_series().to_numpy()
    kab_u, kab_i = np.unique(kab, return_inverse=True)
    kab_f = np.exp(rng.normal(0, 0.25, len(kab_u)) - 0.25**2 / 2)[kab_i]
    is_kel = (desa["jenis"] == "kelurahan").to_numpy()
    # 75,266 desa × 4.35 + 8,496 kelurahan × 12 ≈ 429,000 TPS nationally (docs/domain.md §2)
    lam = np.where(is_kel, 11.0, 3.345) * kab_f
    n = 1 + rng.poisson(lam)
    idx = np.repeat(np.arange(desa.height), n)
    starts = np.repeat(np.cumsum(n) - n, n)
    nomor = np.arange(idx.size) - starts + 1
    mu = np.where(is_kel, 520.0, 465.0)[idx] + rng.normal(0, 35, len(kab_u))[kab_i][idx]
    dpt = np.clip(np.round(rng.normal(mu, 70)), 120, 600).astype(np.int64)
    dpt_l = rng.binomial(dpt, np.clip(rng.normal(0.5, 0.015, idx.size), 0.4, 0.6))
    d = desa[idx]
    return pl.DataFrame(
        {
            "kode_tps": (d["kode_kpu"] + pl.Series(nomor).cast(pl.String).str.zfill(3)),
            "kode_desa": d["kode_wilayah"],
            "nomor_tps": nomor.astype(np.int64),
            "pemilih_dpt": dpt,
            "pemilih_dpt_l": dpt_l.astype(np.int64),
            "pemilih_dpt_p": (dpt - dpt_l).astype(np.int64),
            "tz_off": d["tz"].map_elements(_utc_offset_hours, return_dtype=pl.Int64),
        }
    ).with_columns(
        regions.ancestor_expr("kode_desa", 3).alias("kode_kec"),
        regions.ancestor_expr("kode_desa", 2).alias("kode_kab"),
        regions.ancestor_expr("kode_desa", 1).alias("kode_prov"),
    )


def _contest_rows(
    desa: pl.DataFrame, tps: pl.DataFrame
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """TPS × contest (gubernur and bupati/walikota, where held): TPS index, contest index, codes."""
    per_desa = {d: regions.contests_for_desa(d) for d in desa["kode_wilayah"].to_list()}
    tc_tps, tc_code = [], []
    for i, d in enumerate(tps["kode_desa"].to_list()):
        for c in per_desa[d]:
            tc_tps.append(i)
            tc_code.append(c)
    codes = sorted(set(tc_code))
    code_i = {c: i for i, c in enumerate(codes)}
    return np.array(tc_tps), np.array([code_i[c] for c in tc_code]), codes


def build_paslon(codes: list[str], rng: np.random.Generator) -> tuple[pl.DataFrame, np.ndarray]:
    """Paslon per contest (2–6, some single with kolom kosong) and base vote shares per slot."""
    n_c = len(codes)
    n_pas = rng.choice([2, 3, 4, 5, 6], size=n_c, p=[0.38, 0.32, 0.17, 0.08, 0.05])
    single = rng.random(n_c) < 37 / 545  # docs/domain.md §2: 37 of 545 contests had a single pair
    if n_c >= 2 and not single.any():
        pkwkk = [i for i, c in enumerate(codes) if regions.depth(regions.contest_region(c)) == 2]
        single[pkwkk[int(rng.integers(len(pkwkk)))] if pkwkk else n_c - 1] = True
    n_pas = np.where(single, 1, n_pas)
    shares = np.zeros((n_c, N_SLOTS))
    rows = []
    next_id = 1_000_101
    for i, code in enumerate(codes):
        if single[i]:
            s = rng.uniform(0.55, 0.8)
            shares[i, 0], shares[i, 6] = s, 1 - s
        else:
            shares[i, : n_pas[i]] = rng.dirichlet(np.full(n_pas[i], 3.0))
        for slot in [*range(n_pas[i]), *([6] if single[i] else [])]:
            kk = slot == 6
            nama = "Kolom Kosong" if kk else f"{full_name(rng)} & {full_name(rng)}"
            rows.append((code, SLOT_NOMOR[slot], str(next_id), nama, bool(kk)))
            next_id += int(rng.integers(1, 8))
    paslon = pl.DataFrame(
        rows,
        schema=["kode_kontestasi", "nomor_urut", "paslon_id", "nama_paslon", "kolom_kosong"],
        orient="row",
    )
    return paslon, shares


def _voters(tps: pl.DataFrame, n_kab: int, kab_i: np.ndarray, rng: np.random.Generator) -> _Voters:
    """Turnout 65–85% by kab/kota plus TPS noise; a few TPS with ≈100% turnout, one at ≈22%."""
    n_tps = tps.height
    turnout = np.clip(
        rng.uniform(0.65, 0.85, n_kab)[kab_i] + rng.normal(0, 0.05, n_tps), 0.35, 0.97
    )
    dpt = tps["pemilih_dpt"].to_numpy()
    dpt_l = tps["pemilih_dpt_l"].to_numpy()
    dpt_p = tps["pemilih_dpt_p"].to_numpy()
    u_dpt = rng.binomial(dpt, turnout)
    u_dptb = np.minimum(rng.poisson(2.0, n_tps), 8)
    u_dpk = np.minimum(rng.poisson(0.7, n_tps), 4)
    n_anom = int(min(8, max(2, n_kab // 6 + 2)))
    anom = rng.choice(n_tps, size=n_anom + 1, replace=False)
    full, low = anom[:-1], anom[-1:]
    u_dpt[full], u_dptb[full], u_dpk[full] = dpt[full], 0, 0
    u_dpt[low] = np.round(dpt[low] * 0.22).astype(np.int64)
    u_dpt_l = rng.hypergeometric(dpt_l, dpt_p, u_dpt)
    u_dptb_l = rng.binomial(u_dptb, 0.5)
    u_dpk_l = rng.binomial(u_dpk, 0.5)
    return _Voters(dpt, u_dpt, u_dpt_l, u_dptb, u_dptb_l, u_dpk, u_dpk_l, full, low)


def _counts(
    v: _Voters,
    base: np.ndarray,
    tc_tps: np.ndarray,
    tc_c: np.ndarray,
    kab: tuple[int, np.ndarray],
    towns: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Votes per TPS × contest: contest shares, a kab/kota swing, the town/remote tilt
    (``towns``, :func:`.arrival.tilt`), Dirichlet noise per TPS."""
    n_codes = base.shape[0]
    n_kab, kab_i = kab
    swing = np.exp(rng.normal(0, 0.3, (n_kab, n_codes, N_SLOTS)))
    alpha = base[tc_c] * swing[kab_i[tc_tps], tc_c] * towns * 40
    present = base[tc_c] > 0
    g = rng.gamma(np.where(present, alpha, 1.0)) * present
    p = g / g.sum(axis=1, keepdims=True)
    total = v.total[tc_tps]
    invalid = rng.binomial(total, rng.uniform(0.01, 0.045, n_codes)[tc_c])
    valid = total - invalid
    votes = rng.multinomial(valid, p)
    for r in np.flatnonzero(np.isin(tc_tps, v.full)):
        invalid[r] = min(int(invalid[r]), 2)
        valid[r] = total[r] - invalid[r]
        votes[r] = _landslide(base[tc_c[r]], present[r], int(valid[r]), rng)
    return {
        "pengguna_total": total,
        **{c: votes[:, s] for s, c in enumerate(VOTE_COLS)},
        "suara_sah": valid,
        "suara_tidak_sah": invalid,
        "suara_total": total,
    }


def _landslide(
    base: np.ndarray, present: np.ndarray, valid: int, rng: np.random.Generator
) -> np.ndarray:
    """Votes of an anomalous TPS: ≈97% to the contest's favourite, the rest spread evenly."""
    slots = np.flatnonzero(present)
    top = slots[int(np.argmax(base[slots]))]
    v = np.zeros(N_SLOTS, dtype=np.int64)
    v[top] = int(round(valid * 0.97))
    rest = [s for s in slots if s != top]
    if rest:
        v[rest] = rng.multinomial(valid - v[top], np.full(len(rest), 1 / len(rest)))
    else:
        v[top] = valid
    return v


def _ballots(
    dpt: np.ndarray, total: np.ndarray, reserve: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Ballots received (DPT plus reserve), damaged and unused, per TPS × contest."""
    allowed = pl.select(rules.with_reserve_expr(pl.lit(pl.Series(dpt)), reserve)).to_series()
    received = allowed.to_numpy()
    damaged = np.minimum(rng.poisson(0.4, dpt.size), np.maximum(received - total, 0))
    unused = np.maximum(received - total - damaged, 0)
    return {
        "surat_suara_diterima": total + damaged + unused,
        "surat_suara_digunakan": total,
        "surat_suara_rusak": damaged,
        "surat_suara_tidak_digunakan": unused,
    }


def _timing(
    tps: pl.DataFrame,
    anom: np.ndarray,
    tc_tps: np.ndarray,
    kab: tuple[int, np.ndarray],
    sampled: np.ndarray | None,
    rng: np.random.Generator,
    order: np.random.Generator,
) -> dict[str, np.ndarray]:
    """When each TPS × contest reaches the desk (``_t_int``) and KPU publishes it (``_t_kpu``):
    remote TPS later (:mod:`.arrival`), the PVT sample's first."""
    n_tps, n_tc = tps.height, tc_tps.size
    n_kab, kab_i = kab
    remote = tps["jauh"].to_numpy()
    speed = arrival.kab_speed(rng, n_kab)[kab_i]
    h_int = arrival.report_hours(rng, remote, speed, sampled, order)
    h_int[anom] = rng.uniform(1, 5, anom.size)  # anomalies are in the data the screens see
    h_int_tc = h_int[tc_tps] + rng.uniform(0, 0.25, n_tc)
    tz_off = tps["tz_off"].to_numpy()
    day0 = timeline.day0_utc()
    # reports count from 14:00 local (polls close at 13:00), KPU from 14:00 WIB
    t_int = day0 + (14 - tz_off[tc_tps]) * 3600 + np.round(h_int_tc * 60).astype(np.int64) * 60
    kspeed = np.exp(rng.normal(0, 0.2, n_kab))[kab_i]
    u_kpu = rng.random(n_tps)
    h_kpu = arrival.ordered_hours(u_kpu, remote, arrival.DELAY_KPU, timeline.KPU_CDF) * kspeed
    h_kpu[anom] = rng.uniform(1, 4, anom.size)
    h_kpu_tc = h_kpu[tc_tps] + rng.uniform(0, 0.5, n_tc)
    t_kpu = day0 + 7 * 3600 + np.round(h_kpu_tc * 3600).astype(np.int64)
    return {"_t_int": t_int, "_t_kpu": t_kpu}


_TPS_COLS = (
    "kode_tps",
    "kode_desa",
    "kode_kec",
    "kode_kab",
    "kode_prov",
    "tz_off",
    "pemilih_dpt",
    "pemilih_dpt_l",
    "pemilih_dpt_p",
)


def _tc_frame(
    tps: pl.DataFrame,
    v: _Voters,
    counts: dict[str, np.ndarray],
    base: np.ndarray,
    tc_tps: np.ndarray,
    tc_c: np.ndarray,
    codes: list[str],
) -> pl.DataFrame:
    """One row per TPS × contest: the TPS's columns, the true counts, null for absent slots."""
    voters = {
        "pengguna_dpt": v.u_dpt,
        "pengguna_dpt_l": v.u_dpt_l,
        "pengguna_dptb": v.u_dptb,
        "pengguna_dptb_l": v.u_dptb_l,
        "pengguna_dpk": v.u_dpk,
        "pengguna_dpk_l": v.u_dpk_l,
    }
    tc = pl.DataFrame(
        {
            "_tc": np.arange(tc_tps.size),
            "_tps": tc_tps,
            "_c": tc_c,
            "kode_kontestasi": [codes[i] for i in tc_c],
            **{k: a[tc_tps] for k, a in voters.items()},
            **{k: counts[k] for k in _COUNT_ORDER},
        }
    )
    present = base[tc_c] > 0
    tc = tc.with_columns(
        pl.when(pl.Series(present[:, s])).then(pl.col(c)).otherwise(None).alias(c)
        for s, c in enumerate(VOTE_COLS)
    )
    jenis = dict(reference.contests().select("kode_kontestasi", "jenis").rows())
    return (
        pl.concat([tps.select(_TPS_COLS)[tc_tps], tc], how="horizontal")
        .with_columns(
            pl.col("kode_kontestasi").replace_strict(jenis, return_dtype=pl.String).alias("jenis"),
            *_split_expr(),
        )
        .with_columns(
            (pl.col("pengguna_total") - pl.col("pengguna_total_l")).alias("pengguna_total_p")
        )
    )


def _split_expr() -> list[pl.Expr]:
    """Women per voter group (total minus men), and men in all."""
    groups = ("pengguna_dpt", "pengguna_dptb", "pengguna_dpk")
    return [
        *((pl.col(k) - pl.col(f"{k}_l")).alias(f"{k}_p") for k in groups),
        pl.sum_horizontal(pl.col(f"{k}_l") for k in groups).alias("pengguna_total_l"),
    ]


#: Columns of the true counts in ``tc``, in the order the frame has always held them.
_COUNT_ORDER: tuple[str, ...] = (
    "pengguna_total",
    "surat_suara_diterima",
    "surat_suara_digunakan",
    "surat_suara_rusak",
    "surat_suara_tidak_digunakan",
    *VOTE_COLS,
    "suara_sah",
    "suara_tidak_sah",
    "suara_total",
    "_t_int",
    "_t_kpu",
)


def _region_labels(prefix: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Names and jenis of the regions of the scope's province(s), by dotted code."""
    r = reference.regions()
    province = None if prefix is None else regions.ancestor_at(prefix, 1)
    if province is not None:
        r = r.filter(regions.inside_expr("kode_wilayah", province))
    codes = r["kode_wilayah"].to_list()
    names = dict(zip(codes, r["nama"].to_list(), strict=True))
    kinds = dict(zip(codes, r["jenis"].to_list(), strict=True))
    return names, kinds


def _anomaly_list(tps: pl.DataFrame, v: _Voters) -> list[dict[str, Any]]:
    """The injected result anomalies, as the manifest lists them."""
    out = [
        {
            "kode_tps": tps["kode_tps"][int(t)],
            "kind": "turnout_100_winner_95",
            "note": "≈100% turnout, ≥95% of valid votes to one paslon in each contest",
        }
        for t in set(v.full.tolist())
    ]
    out.append(
        {
            "kode_tps": tps["kode_tps"][int(v.low[0])],
            "kind": "turnout_outlier_low",
            "note": "turnout ≈22% of DPT, far below its kab/kota",
        }
    )
    return out
