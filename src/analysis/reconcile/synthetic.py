"""National-size synthetic inputs for the reconcile benchmark (no demo drop needed).

One gubernur and one bupati contest per TPS, 2–6 paslon, a report for ~90% of TPS, KPU in three
pulls (~40/60/70% of TPS), and a few KPU figures off by 100. Not an election: only its sizes and
shapes are realistic.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from analysis.domain.regions import PILKADA_DEPTH, contest_expr, undotted_expr
from analysis.reconcile.inputs import PAIR, ReconInputs, make_inputs
from analysis.reconcile.keys import TPS_NUMBER_DIGITS

N_DESA = 83_762  # desa/kelurahan nationally (docs/domain.md §1)
PULLS = (  # (share of TPS KPU has published, pull time)
    (0.4, dt.datetime(2024, 11, 27, 13, tzinfo=dt.UTC)),
    (0.6, dt.datetime(2024, 11, 28, 1, tzinfo=dt.UTC)),
    (0.7, dt.datetime(2024, 11, 28, 6, 30, tzinfo=dt.UTC)),
)
REPORTED = 0.9  # share of TPS the desk has a report for
OFF_BY_100 = 0.003  # share of KPU vote rows off by 100


def _tps_list(rng: np.random.Generator, n_tps: int) -> pl.DataFrame:
    """ref__tps: ``n_tps`` TPS spread over the desa, DPT 150–599."""
    desa_i = np.sort(rng.integers(0, N_DESA, n_tps))
    prov = 11 + desa_i % 38
    kab = 1 + (desa_i // 38) % 14
    kec = 1 + (desa_i // 532) % 15
    ds = 2001 + desa_i % 157
    nomor = np.arange(n_tps) % 900 + 1
    kode_desa = [
        f"{p:02d}.{k:02d}.{c:02d}.{d:04d}" for p, k, c, d in zip(prov, kab, kec, ds, strict=True)
    ]
    return (
        pl.DataFrame({"kode_desa": kode_desa, "nomor_tps": nomor})
        .with_columns(
            (
                undotted_expr("kode_desa")
                + pl.col("nomor_tps").cast(pl.String).str.zfill(TPS_NUMBER_DIGITS)
            ).alias("kode_tps"),
            pl.Series("pemilih_dpt", rng.integers(150, 600, n_tps)),
        )
        .unique("kode_tps", maintain_order=True)  # row order drives the draws below: keep it fixed
    )


def _paslon(rng: np.random.Generator, pairs: pl.DataFrame) -> pl.DataFrame:
    """ref__kontestasi_paslon: 2–6 paslon per contest."""
    contests = pairs.select("kode_kontestasi").unique().sort("kode_kontestasi")
    n_pas = pl.Series(rng.integers(2, 6, contests.height) + (rng.random(contests.height) < 0.1))
    return (
        contests.with_columns(n_pas.alias("n"))
        .with_columns(pl.int_ranges(1, pl.col("n") + 1).alias("nomor_urut"))
        .explode("nomor_urut")
        .select("kode_kontestasi", "nomor_urut", pl.lit(False).alias("kolom_kosong"))
    )


def _pulls(
    rng: np.random.Generator, pairs: pl.DataFrame, votes: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """sirekap__tps_kontestasi_tarikan and its ``_paslon`` votes: each pull a snapshot of a
    growing share of TPS."""
    off_tps, off_votes = [], []
    for share, pull in PULLS:
        sel = pairs.filter(pl.col("u") < share).select(PAIR)
        off_tps.append(
            sel.with_columns(
                pl.lit(pull).alias("waktu_tarik"),
                pl.lit(True).alias("ada_chart"),
                pl.lit([], dtype=pl.List(pl.String)).alias("peringatan"),
            )
        )
        v = votes.join(sel, on=PAIR, how="semi").select(*PAIR, "nomor_urut", "suara")
        bump = pl.Series(rng.random(v.height) < OFF_BY_100)
        off_votes.append(
            v.with_columns(
                pl.lit(pull).alias("waktu_tarik"),
                pl.when(bump).then(pl.col("suara") + 100).otherwise(pl.col("suara")).alias("suara"),
            )
        )
    return pl.concat(off_tps), pl.concat(off_votes)


def synthetic_inputs(n_tps: int = 430_000, seed: int = 20241127) -> ReconInputs:
    """National-size synthetic inputs (``n_tps`` TPS, two contests each)."""
    rng = np.random.default_rng(seed)
    ref_tps = _tps_list(rng, n_tps)
    t = ref_tps.select("kode_tps", "kode_desa", "pemilih_dpt")
    pairs = pl.concat(
        t.with_columns(contest_expr(jenis, "kode_desa").alias("kode_kontestasi"))
        for jenis in PILKADA_DEPTH
    )
    paslon = _paslon(rng, pairs)
    base = dt.datetime(2024, 11, 27, 7, tzinfo=dt.UTC)
    m = pairs.height
    pairs = pairs.with_columns(
        pl.Series("u", rng.random(m)),
        pl.Series("waktu_laporan", [base] * m).dt.offset_by(
            pl.Series(rng.integers(0, 20 * 60, m)).cast(pl.String) + "m"
        ),
    )
    votes = pairs.join(paslon, on="kode_kontestasi", maintain_order="left_right")
    votes = votes.with_columns(pl.Series("suara", rng.integers(0, 150, votes.height)))
    tally = pairs.filter(pl.col("u") < REPORTED)
    tv = votes.join(tally.select(PAIR), on=PAIR, how="semi")
    tally_tps = tally.join(
        tv.group_by(PAIR).agg(pl.col("suara").sum().alias("suara_sah")), on=PAIR
    ).with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("peringatan"))
    official_tps, official_votes = _pulls(rng, pairs, votes)
    return make_inputs(
        tally_tps=tally_tps,
        tally_votes=tv,
        official_tps=official_tps,
        official_votes=official_votes,
        ref_tps=ref_tps,
        ref_paslon=paslon,
        where="synthetic",
    )
