"""The count-night projection: the estimator on hand-worked cases and against Cochran's formula,
its coverage on random samples, strata collapse, the order-drift correction and the speak rules."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from analysis.reconcile.estimator import collapse_strata, ratio_shares, z_value
from analysis.reconcile.projection import from_sample, population, stratified
from analysis.settings import Proyeksi

Z = z_value(0.95)


def _units(h: list[str], x: list[int], masuk: list[bool], contest: str = "c") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kode_kontestasi": [contest] * len(x),
            "_u": list(range(1, len(x) + 1)),
            "_h": h,
            "x": x,
            "masuk": masuk,
        }
    )


def _votes(by_paslon: dict[int, list[int]]) -> pl.DataFrame:
    """Votes of the units in (unit i+1 is the i-th entry) per paslon."""
    rows = [
        {"_u": i + 1, "nomor_urut": nu, "y": v}
        for nu, vs in by_paslon.items()
        for i, v in enumerate(vs)
    ]
    return pl.DataFrame(rows)


def test_z_value():
    assert z_value(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_value(0.90) == pytest.approx(1.644854, abs=1e-6)


def test_one_stratum_worked_by_hand():
    # 4 TPS, DPT 100/200/100/200 (X = 600); the first three are in.
    # paslon 1: 30, 50, 20 (Σ 100); paslon 2: 20, 70, 40 (Σ 130); valid v = 50, 120, 60 (Σ 230)
    # P1 = (600·100/400) / (600·230/400) = 10/23. Residuals d = y − P·v = 190/23, −50/23, −140/23
    # (Σ d = 0, so R_d = 0); s²_e = (190² + 50² + 140²) / 23² / 2 = 29100/529.
    # v(Ŷ_d) = N²(1 − n/N)/n · s²_e = 16 · ¼ / 3 · 29100/529; V̂ = 345; v(P1) = v(Ŷ_d) / 345².
    u = _units(["a"] * 4, [100, 200, 100, 200], [True, True, True, False])
    v = _votes({1: [30, 50, 20], 2: [20, 70, 40]})
    out = ratio_shares(u, v, Z).sort("nomor_urut")
    se = math.sqrt((16 * 0.25 / 3) * (29100 / 529)) / 345
    assert out["persen_proyeksi"].to_list() == pytest.approx([10 / 23, 13 / 23])
    assert out["galat"].to_list() == pytest.approx([Z * se, Z * se])
    assert out["persen_terhitung"].to_list() == pytest.approx([100 / 230, 130 / 230])
    assert out["persen_bawah"][0] == pytest.approx(10 / 23 - Z * se)


def _cochran_separate_ratio(strata: list[dict], j: int) -> tuple[float, float]:
    """P̂_j and its standard error from Cochran's separate ratio estimate, written directly:
    v(Ŷ_Rs) = Σ_h N_h²(1 − f_h)/n_h · (s²_yh − 2 R̂_h s_yxh + R̂_h² s²_xh) for the residual
    y = votes_j − P̂ · valid, divided by V̂² (the share as a ratio of two estimated totals)."""
    yhat = sum(s["X"] * s["y"][j].sum() / s["x"].sum() for s in strata)
    vhat = sum(s["X"] * s["v"].sum() / s["x"].sum() for s in strata)
    p = yhat / vhat
    var = 0.0
    for s in strata:
        d = s["y"][j] - p * s["v"]
        x = s["x"]
        n, big_n = len(x), s["N"]
        r = d.sum() / x.sum()
        s_dd, s_xx = np.var(d, ddof=1), np.var(x, ddof=1)
        s_dx = np.cov(d, x, ddof=1)[0, 1]
        var += big_n**2 * (1 - n / big_n) / n * (s_dd - 2 * r * s_dx + r**2 * s_xx)
    return p, math.sqrt(var) / vhat


def test_two_strata_agree_with_cochrans_formula():
    rng = np.random.default_rng(3)
    strata, h, x, masuk, y1, y2 = [], [], [], [], [], []
    for name, big_n, n in (("a", 30, 9), ("b", 50, 14)):
        xs = rng.integers(150, 600, big_n)
        inn = xs[:n]
        a = rng.binomial(inn, 0.35)
        b = rng.binomial(inn - a, 0.6)
        strata.append({"N": big_n, "X": xs.sum(), "x": inn, "y": [a, b], "v": a + b})
        h += [name] * big_n
        x += xs.tolist()
        masuk += [True] * n + [False] * (big_n - n)
        y1 += a.tolist() + [0] * (big_n - n)
        y2 += b.tolist() + [0] * (big_n - n)
    u = _units(h, x, masuk)
    inn_ids = u.filter("masuk")["_u"].to_list()
    v = pl.DataFrame(
        {"_u": inn_ids * 2, "nomor_urut": [1] * len(inn_ids) + [2] * len(inn_ids)}
    ).with_columns(pl.Series("y", [y1[i - 1] for i in inn_ids] + [y2[i - 1] for i in inn_ids]))
    out = ratio_shares(u, v, Z).sort("nomor_urut")
    for j in (0, 1):
        p, se = _cochran_separate_ratio(strata, j)
        assert out["persen_proyeksi"][j] == pytest.approx(p, rel=1e-9)
        assert out["galat"][j] == pytest.approx(Z * se, rel=1e-9)


def test_intervals_cover_about_95_percent_of_random_samples():
    rng = np.random.default_rng(11)
    big_n = 400
    h = ["a"] * 150 + ["b"] * 250
    x = rng.integers(150, 600, big_n)
    share = np.where(np.array(h) == "a", 0.4, 0.55) + rng.normal(0, 0.08, big_n)
    valid = rng.binomial(x, 0.75)
    y = rng.binomial(valid, np.clip(share, 0, 1))
    truth = y.sum() / valid.sum()
    hits, runs = 0, 300
    for _ in range(runs):
        masuk = np.zeros(big_n, bool)
        masuk[rng.choice(150, 30, replace=False)] = True
        masuk[150 + rng.choice(250, 50, replace=False)] = True
        u = _units(h, x.tolist(), masuk.tolist())
        ids = np.flatnonzero(masuk) + 1
        v = pl.DataFrame(
            {
                "_u": np.concatenate([ids, ids]),
                "nomor_urut": [1] * ids.size + [2] * ids.size,
                "y": np.concatenate([y[ids - 1], valid[ids - 1] - y[ids - 1]]),
            }
        )
        r = ratio_shares(u, v, Z).filter(pl.col("nomor_urut") == 1).row(0, named=True)
        hits += r["persen_bawah"] <= truth <= r["persen_atas"]
    assert 0.92 <= hits / runs <= 0.98


def test_complete_stratum_has_no_variance_and_one_unit_none():
    u = _units(["a", "a", "b", "b"], [100, 100, 100, 100], [True, True, True, False])
    v = _votes({1: [10, 20, 30], 2: [10, 20, 30]})
    out = ratio_shares(u, v, Z)
    assert out["galat"].null_count() == 2  # stratum b: one unit in of two → no spread to estimate
    full = _units(["a", "a"], [100, 100], [True, True])
    got = ratio_shares(full, _votes({1: [10, 30], 2: [30, 10]}), Z)
    assert got["galat"].to_list() == [0.0, 0.0] and got["persen_proyeksi"].to_list() == [0.5, 0.5]


def test_collapse_joins_short_strata_then_the_whole_unit():
    u = pl.DataFrame(
        {
            "kode_kontestasi": ["c"] * 12,
            "_u": range(12),
            "fine": ["k1"] * 6 + ["k2"] * 3 + ["k3"] * 3,
            "coarse": ["A"] * 12,
            "masuk": [True] * 6 + [True, True, True] + [True, False, False],
        }
    )
    out = collapse_strata(u, ["fine", "coarse"], 5)
    got = dict(out.group_by("fine").agg(pl.col("_h").first()).iter_rows())
    # k1 has 6 in: its own stratum; k2 is complete (3 of 3): its own too; k3 (1 of 3) is short,
    # and its pool at level "coarse" (1 in) is short as well: it joins A's largest kept stratum
    assert got["k3"] == got["k1"] != got["k2"]
    assert out["_tingkat"].to_list() == [0] * 12 and not out["_kurang"].any()
    few = u.with_columns(pl.lit(False).alias("masuk")).with_columns(
        (pl.col("_u") < 3).alias("masuk")
    )
    out = collapse_strata(few, ["fine", "coarse"], 5)
    assert out["_kurang"].all()  # 3 in for the whole unit: short, say so


def test_drift_correction_worked_by_hand():
    # one stratum of 8 TPS (DPT 100 each), arriving in order; the first four are in.
    # paslon 1's share rises with arrival: 20, 30, 40, 50 of 100 valid each; paslon 2 the rest.
    # P = 140/400 = 0.35; residual ratios d/x: early half (−0.10, −0.05)·… → R_early = (20+30 −
    # 0.35·200)/200 = −0.10, R_late = (40+50 − 70)/200 = 0.10; D = 0.20; f = ½;
    # B = (X − x)·D/f = 400 · 0.20 / 0.5 = 160 votes; V̂ = 800 · 400/400 = 800 → P + 160/800 = 0.55,
    # the share of the missing TPS under a linear trend (60, 70, 80, 90 → 0.75; all 8: 0.55).
    u = _units(["a"] * 8, [100] * 8, [True] * 4 + [False] * 4).with_columns(
        pl.Series("_urut", [1, 2, 3, 4, 5, 6, 7, 8])
    )
    v = _votes({1: [20, 30, 40, 50], 2: [80, 70, 60, 50]})
    out = ratio_shares(u, v, Z).sort("nomor_urut")
    assert out["persen_proyeksi"].to_list() == pytest.approx([0.55, 0.45])
    plain = ratio_shares(u.drop("_urut"), v, Z).sort("nomor_urut")
    assert plain["persen_proyeksi"][0] == pytest.approx(0.35)
    assert out["galat"][0] > plain["galat"][0]  # the drift's own uncertainty is added


# --- The methods on recon_tps-like frames --------------------------------------------------------


def _recon(n_kec: int, per: int, seed: int = 1, reported: float = 1.0):
    """recon_tps / recon_tps_paslon-like frames: one kab/kota, ``n_kec`` kecamatan of ``per`` TPS."""
    rng = np.random.default_rng(seed)
    n = n_kec * per
    kec = [f"16.71.{i // per + 1:02d}" for i in range(n)]
    desa = [f"{k}.2001" for k in kec]
    codes = [f"167101{i // per + 1:02d}2001"[:10] + f"{i % per + 1:03d}" for i in range(n)]
    dpt = rng.integers(200, 500, n)
    inn = rng.random(n) < reported
    tps = pl.DataFrame(
        {
            "_pid": range(n),
            "kode_tps": codes,
            "kode_kontestasi": ["pkwkk-1671"] * n,
            "kode_desa": desa,
            "kode_kecamatan": kec,
            "kode_kabkota": ["16.71"] * n,
            "pemilih_dpt": dpt,
            "diharapkan": [True] * n,
            "ada_internal": inn,
            "ada_kpu": [False] * n,
            "waktu_laporan": rng.random(n),
            "ts_kpu": [None] * n,
            "waktu_tarik": [None] * n,
        }
    )
    a = rng.binomial(dpt, 0.4)
    b = rng.binomial(dpt - a, 0.5)
    tp = pl.DataFrame(
        {
            "_pid": list(range(n)) * 2,
            "kode_tps": codes * 2,
            "kode_kontestasi": ["pkwkk-1671"] * (2 * n),
            "nomor_urut": [1] * n + [2] * n,
            "suara_internal": [int(v) if i else None for v, i in zip(a, inn, strict=True)]
            + [int(v) if i else None for v, i in zip(b, inn, strict=True)],
            "suara_kpu": [None] * (2 * n),
        },
        schema_overrides={"suara_kpu": pl.Int64, "suara_internal": pl.Int64},
    )
    return tps, tp


def test_stratified_speaks_and_says_why_not():
    tps, tp = _recon(4, 30, reported=0.8)
    k, paslon = stratified(population(tps), tp, "internal", Proyeksi())
    row = k.row(0, named=True)
    assert row["ada_proyeksi"] and "dikoreksi untuk urutan masuk" in row["alasan"]
    assert paslon["persen_proyeksi"].sum() == pytest.approx(1.0)
    few, tp_few = _recon(4, 30, reported=0.02)
    k, paslon = stratified(population(few), tp_few, "internal", Proyeksi())
    row = k.row(0, named=True)
    assert not row["ada_proyeksi"] and paslon["persen_proyeksi"].null_count() == paslon.height
    assert "kurang dari 5 TPS masuk" in row["alasan"] or "belum ada TPS" in row["alasan"]
    wide = Proyeksi(max_margin=0.0001)
    k, _ = stratified(population(tps), tp, "internal", wide)
    assert "galat proyeksi masih" in k["alasan"][0]


def test_sample_projection_waits_for_completeness_and_refuses_a_bad_sample():
    tps, tp = _recon(4, 30, reported=1.0)
    sample = tps.filter(pl.col("_pid") % 3 == 0).select("kode_tps")
    meta = {"lingkup": "16.71", "tingkat_strata": "kecamatan", "sha256": "ab", "sah": True}
    k, paslon = from_sample(population(tps), tp, sample, meta, Proyeksi())
    row = k.row(0, named=True)
    assert row["ada_proyeksi"] and row["kelengkapan_sampel"] == 1.0
    assert row["sampel_ukuran"] == 40 and row["sampel_sha256"] == "ab"
    assert row["kpu_dibandingkan"] is False or row["kpu_dibandingkan"] is None
    half = tps.with_columns(
        (pl.col("ada_internal") & (pl.col("_pid") % 2 == 0)).alias("ada_internal")
    )
    k, _ = from_sample(population(half), tp, sample, meta, Proyeksi())
    assert not k["ada_proyeksi"][0] and "TPS sampel masuk" in k["alasan"][0]
    bad = {**meta, "sah": False, "pesan": "isi berubah"}
    k, paslon = from_sample(population(tps), tp, sample, bad, Proyeksi())
    assert not k["ada_proyeksi"][0] and "isi berubah" in k["alasan"][0] and paslon.is_empty()
    k, _ = from_sample(population(tps), tp, sample, None, Proyeksi())
    assert k["alasan"][0] == "tidak ada sampel PVT pada data ini"


def test_sample_interval_is_compared_with_kpu_once_it_covers_enough():
    tps, tp = _recon(4, 30, reported=1.0)
    tps = tps.with_columns(pl.lit(True).alias("ada_kpu"))
    tp = tp.with_columns(pl.col("suara_internal").alias("suara_kpu"))
    sample = tps.filter(pl.col("_pid") % 3 == 0).select("kode_tps")
    meta = {"lingkup": "16.71", "tingkat_strata": "kecamatan", "sha256": "ab", "sah": True}
    k, paslon = from_sample(population(tps), tp, sample, meta, Proyeksi())
    assert k["kpu_dibandingkan"][0] and k["cakupan_kpu"][0] == 1.0
    # KPU's figures here are the whole count, which a 40-of-120 sample's interval should hold
    assert k["kpu_dalam_selang"][0] == paslon["kpu_dalam_selang"].all()
    off = tp.with_columns(
        pl.when(pl.col("nomor_urut") == 1).then(pl.col("suara_kpu") * 3).otherwise("suara_kpu")
    )
    k, paslon = from_sample(population(tps), off, sample, meta, Proyeksi())
    assert k["kpu_dalam_selang"][0] is False


def test_simulation_runs_seeded_and_no_statement_is_contradicted():
    from analysis.reconcile import simulation
    from analysis.settings import default_settings

    s = default_settings()
    r1 = simulation.report(simulation.simulate("16.74", 1, 1, 3, s, (4, 24)))
    r2 = simulation.report(simulation.simulate("16.74", 1, 1, 3, s, (4, 24)))
    assert r1 == r2  # seeded
    assert r1["pernyataan_pasti_terbantah"] == 0
    for m in simulation.METHODS:
        c = r1["metode"][m]["cakupan"]
        assert c is None or 0 <= c <= 1
    assert r1["metode"]["naif"]["selang"] > 0
