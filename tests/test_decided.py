"""Could the order still change? The two questions on hand-worked cases, for each source."""

from __future__ import annotations

import polars as pl

from analysis.reconcile.decided import decidedness

C = "pkwkk-1671"
SHARE = 0.025


def _frames(
    tps_rows: list[dict], votes: dict[str, dict[int, tuple[int | None, int | None]]]
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(nat, tps, tp): ``votes`` per TPS code → paslon → (internal, kpu)."""
    ids = {r["kode_tps"]: i for i, r in enumerate(tps_rows)}
    tps = pl.DataFrame(
        [
            {
                "_pid": ids[r["kode_tps"]],
                "kode_kontestasi": C,
                "diharapkan": True,
                "peringatan_internal": [],
                "peringatan_kpu": [],
                "selisih_abs": None,
                **r,
            }
            for r in tps_rows
        ],
        schema_overrides={
            "peringatan_internal": pl.List(pl.String),
            "peringatan_kpu": pl.List(pl.String),
            "selisih_abs": pl.Int64,
        },
    )
    tp = pl.DataFrame(
        [
            {
                "_pid": ids[t],
                "kode_kontestasi": C,
                "nomor_urut": nu,
                "suara_internal": a,
                "suara_kpu": b,
            }
            for t, per in votes.items()
            for nu, (a, b) in per.items()
        ],
        schema_overrides={"suara_internal": pl.Int64, "suara_kpu": pl.Int64},
    )
    nat = tp.group_by("kode_kontestasi", "nomor_urut").agg(
        pl.col("suara_internal").sum(), pl.col("suara_kpu").sum()
    )
    return nat, tps, tp


def _row(out: pl.DataFrame, sumber: str) -> dict:
    return out.filter(pl.col("sumber") == sumber).row(0, named=True)


def _base(extra_tps: list[dict], extra_votes: dict) -> tuple:
    """Internal 1000 / 950 / 100 and KPU 1000 / 700 / 50 from a bulk TPS, plus ``extra``."""
    rows = [{"kode_tps": "BULK", "pemilih_dpt": 3000, "ada_internal": True, "ada_kpu": True}]
    votes = {"BULK": {1: (1000, 1000), 2: (950, 700), 3: (100, 50)}}
    return _frames(rows + extra_tps, {**votes, **extra_votes})


def test_a_discrepancy_that_cannot_and_one_that_can_change_the_order():
    # TPS A: internal 60/40/0, KPU 40/60/0 → internal's lead over 2 could lose 20 − (−20) = 40
    a = {
        "kode_tps": "A",
        "pemilih_dpt": 200,
        "ada_internal": True,
        "ada_kpu": True,
        "selisih_abs": 40,
    }
    va = {"A": {1: (60, 40), 2: (40, 60), 3: (0, 0)}}
    nat, tps, tp = _base([a], va)
    # the bulk TPS differ too (paslon 2: 950 vs 700): make it agree so only A is open
    tp = tp.with_columns(
        pl.when(pl.col("_pid") == 0)
        .then(pl.col("suara_internal"))
        .otherwise("suara_kpu")
        .alias("suara_kpu")
    )
    nat = tp.group_by("kode_kontestasi", "nomor_urut").agg(
        pl.col("suara_internal").sum(), pl.col("suara_kpu").sum()
    )
    r = _row(decidedness(nat, tps, tp, SHARE, 600), "internal")
    # internal totals 1060 / 990 / 100: lead over 2 is 70 > 40
    assert (r["unggul"], r["margin"], r["penantang"]) == (1, 70, 2)
    assert r["efek_selisih_maks"] == 40 and r["tps_selisih"] == 1
    assert (
        r["selisih_bisa_mengubah"] is False
        and "tidak dapat mengubah urutan" in r["kalimat_selisih"]
    )
    # a second open TPS B: internal 30/20, KPU 0/50 → another 10 − (−50) = 60: 100 ≥ 70
    b = {
        "kode_tps": "B",
        "pemilih_dpt": 100,
        "ada_internal": True,
        "ada_kpu": True,
        "selisih_abs": 60,
    }
    tps2 = pl.concat(
        [
            tps,
            tps.head(1).with_columns(
                pl.lit(2).alias("_pid"),
                pl.lit("B").alias("kode_tps"),
                pl.lit(100).alias("pemilih_dpt"),
                pl.lit(60).alias("selisih_abs"),
            ),
        ],
        how="diagonal_relaxed",
    )
    tp2 = pl.concat(
        [
            tp,
            pl.DataFrame(
                {
                    "_pid": [2, 2, 2],
                    "kode_kontestasi": [C] * 3,
                    "nomor_urut": [1, 2, 3],
                    "suara_internal": [30, 20, 0],
                    "suara_kpu": [0, 50, 0],
                }
            ),
        ],
        how="diagonal_relaxed",
    )
    nat2 = tp2.group_by("kode_kontestasi", "nomor_urut").agg(
        pl.col("suara_internal").sum(), pl.col("suara_kpu").sum()
    )
    assert b["kode_tps"] == "B"
    r = _row(decidedness(nat2, tps2, tp2, SHARE, 600), "internal")
    assert (r["margin"], r["efek_selisih_maks"]) == (80, 100)
    assert r["selisih_bisa_mengubah"] is True and r["urutan_pasti"] is False
    assert "selesaikan sebelum urutan disebut pasti" in r["kalimat_selisih"]


def test_a_flagged_kpu_record_with_nothing_to_compare_counts_its_worst_case():
    # the bulk TPS agree (1000/950/100 in both); TPS C: KPU only, flagged, 100/0/0 of DPT 200
    # (205 ballots). KPU: 1100 vs 950, lead 150; a correct C could give 2 every ballot and take
    # 1's 100: the lead could lose 100 + 205 = 305 ≥ 150.
    c = {
        "kode_tps": "C",
        "pemilih_dpt": 200,
        "ada_internal": False,
        "ada_kpu": True,
        "peringatan_kpu": ["ocr_digit_ratusan: …"],
    }
    nat, tps, tp = _base([c], {"C": {1: (None, 100), 2: (None, 0), 3: (None, 0)}})
    tp = tp.with_columns(
        pl.when(pl.col("_pid") == 0)
        .then(pl.col("suara_internal"))
        .otherwise("suara_kpu")
        .alias("suara_kpu")
    )
    nat = tp.group_by("kode_kontestasi", "nomor_urut").agg(
        pl.col("suara_internal").sum(), pl.col("suara_kpu").sum()
    )
    out = decidedness(nat, tps, tp, SHARE, 600)
    r = _row(out, "kpu")
    assert (r["unggul"], r["margin"], r["penantang"]) == (1, 150, 2)
    assert r["efek_selisih_maks"] == 305 and r["tps_selisih"] == 1
    assert r["selisih_bisa_mengubah"] is True
    internal = _row(out, "internal")  # for the internal count C is a TPS still out
    assert internal["tps_belum"] == 1 and internal["suara_maks_belum"] == 205
    assert internal["tps_selisih"] == 0 and internal["selisih_bisa_mengubah"] is False


def test_b_the_exact_worst_case_of_the_tps_still_out():
    # internal margin 50 (1000 vs 950); TPS D (DPT 40 → 41 ballots) and E (DPT 8 → 9) still out:
    # 41 + 9 = 50 ≥ 50 → could still tie: not decided. With E's DPT 7 (8 ballots): 49 < 50.
    def run(dpt_e: int) -> dict:
        out = [
            {"kode_tps": "D", "pemilih_dpt": 40, "ada_internal": False, "ada_kpu": False},
            {"kode_tps": "E", "pemilih_dpt": dpt_e, "ada_internal": False, "ada_kpu": False},
        ]
        nat, tps, tp = _base(out, {})
        tp = tp.with_columns(pl.col("suara_internal").alias("suara_kpu"))
        nat = tp.group_by("kode_kontestasi", "nomor_urut").agg(
            pl.col("suara_internal").sum(), pl.col("suara_kpu").sum()
        )
        return _row(decidedness(nat, tps, tp, SHARE, 600), "internal")

    r = run(8)
    assert (r["tps_belum"], r["suara_maks_belum"], r["margin"]) == (2, 50, 50)
    assert r["sisa_bisa_mengubah"] is True and "masih bisa berubah" in r["kalimat_sisa"]
    r = run(7)
    assert r["suara_maks_belum"] == 49 and r["sisa_bisa_mengubah"] is False
    assert r["urutan_pasti"] is True
    assert "tidak bisa berubah lagi" in r["kalimat_sisa"] and "49" in r["kalimat_sisa"]


def test_no_count_yet_says_so():
    rows = [{"kode_tps": "X", "pemilih_dpt": 300, "ada_internal": False, "ada_kpu": False}]
    nat, tps, tp = _frames(rows, {"X": {1: (None, None), 2: (None, None)}})
    out = decidedness(nat, tps, tp, SHARE, 600)
    assert out.height == 2 and not out["ada_hitungan"].any()
    assert set(out["kalimat_sisa"]) == {"belum ada hitungan"}
    assert out["urutan_pasti"].null_count() == 2
