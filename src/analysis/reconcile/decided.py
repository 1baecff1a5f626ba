"""Could a contest's order still change? Two questions, answered apart, for each source.

(``docs/domain.md`` §11.) For the internal count and for KPU's, per contest, with L the source's
leader:

(a) **The open discrepancies.** Where both sources have a TPS and differ, the other source's figures
    could be the right ones; where a record is flagged by validation and the other source has
    nothing to compare, any figure its ballots allow could be. For every challenger k, the most
    that can move L's lead over k is Σ max(0, d_this − d_other) over the differing TPS plus
    Σ max(0, d_this + DPT plus reserve) over the flagged ones, with d = votes(L) − votes(k) at the
    TPS. They could change the order when that reaches L's lead over k for some k.
(b) **The TPS still uncounted.** The exact worst case: every expected TPS the source lacks gives
    its whole DPT plus reserve (:func:`analysis.domain.rules.with_reserve`) to the runner-up. Only
    when L still leads after that (``suara_maks_belum < margin``) may a pack say the order can no
    longer change — and only when (a) says no as well (``urutan_pasti``).
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from analysis import fmt
from analysis.domain.rules import with_reserve_expr
from analysis.reconcile.kontestasi import top_two
from analysis.schemas import REKON_KEPASTIAN

SIDES = ("internal", "kpu")
OTHER = {"internal": "kpu", "kpu": "internal"}
#: What a reader calls the other source in (a)'s sentence.
OTHER_LABEL = {"internal": "KPU", "kpu": "hitung internal"}

Row = dict[str, object]

#: (b)'s sentence: the first row whose test holds (figures in Indonesian format).
KALIMAT_SISA: tuple[tuple[Callable[[Row], bool], str], ...] = (
    (lambda r: not r["ada_hitungan"], "belum ada hitungan"),
    (
        lambda r: r["margin"] is None,
        "hanya satu paslon dalam hitungan; tidak ada urutan untuk dibandingkan",
    ),
    (
        lambda r: not r["sisa_bisa_mengubah"] and r["tps_belum"] == 0,
        "semua TPS yang diharapkan sudah masuk; selisih unggul–kedua {margin} suara",
    ),
    (
        lambda r: not r["sisa_bisa_mengubah"],
        "urutan teratas tidak bisa berubah lagi oleh TPS yang belum masuk: {tps_belum} TPS "
        "tersisa, paling banyak {suara_maks_belum} suara, lebih sedikit dari selisih "
        "unggul–kedua {margin} suara",
    ),
    (
        lambda r: True,
        "urutan masih bisa berubah oleh TPS yang belum masuk: {tps_belum} TPS tersisa, paling "
        "banyak {suara_maks_belum} suara, selisih unggul–kedua {margin} suara — lihat proyeksi",
    ),
)

#: (a)'s sentence.
KALIMAT_SELISIH: tuple[tuple[Callable[[Row], bool], str], ...] = (
    (lambda r: not r["ada_hitungan"], "belum ada hitungan"),
    (lambda r: r["margin"] is None, "hanya satu paslon dalam hitungan"),
    (lambda r: r["tps_selisih"] == 0, "tidak ada selisih terbuka dengan {lain}"),
    (
        lambda r: not r["selisih_bisa_mengubah"],
        "selisih terbuka dengan {lain} ({tps_selisih} TPS) paling banyak menggeser "
        "{efek_selisih_maks} suara, lebih kecil dari keunggulan atas paslon {penantang} "
        "({margin_penantang} suara): tidak dapat mengubah urutan",
    ),
    (
        lambda r: True,
        "selisih terbuka dengan {lain} ({tps_selisih} TPS) dapat menggeser sampai "
        "{efek_selisih_maks} suara, tidak kurang dari keunggulan atas paslon {penantang} "
        "({margin_penantang} suara): selesaikan sebelum urutan disebut pasti",
    ),
)


def _say(row: Row, table: tuple[tuple[Callable[[Row], bool], str], ...]) -> str:
    figures = {
        k: fmt.angka(v) if isinstance(v, int) and not isinstance(v, bool) else v
        for k, v in row.items()
    }
    return next(text for test, text in table if test(row)).format(**figures)


def _margins(nat: pl.DataFrame, side: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per contest: leader, runner-up, margin; per contest × challenger k: L's lead over k)."""
    tops = top_two(nat, f"suara_{side}", "s").select(
        "kode_kontestasi",
        pl.col("_ada_s").alias("ada_hitungan"),
        pl.col("unggul_s").alias("unggul"),
        pl.col("kedua_s").alias("kedua"),
        pl.col("margin_s").alias("margin"),
    )
    total = pl.col(f"suara_{side}")
    lead = (
        nat.join(tops.select("kode_kontestasi", "unggul"), on="kode_kontestasi")
        .with_columns(
            total.filter(pl.col("nomor_urut") == pl.col("unggul"))
            .first()
            .over("kode_kontestasi")
            .alias("_tl")
        )
        .filter(pl.col("nomor_urut") != pl.col("unggul"))
        .select("kode_kontestasi", "nomor_urut", (pl.col("_tl") - total).alias("_lead"))
    )
    return tops, lead


def _open_tps(tps: pl.DataFrame, side: str, cap: pl.Expr) -> pl.DataFrame:
    """TPS × contest whose figures could still be wrong: ``_beda`` (both sources, differing) or
    flagged on this side with nothing on the other; ``_cap`` the most votes its ballots allow."""
    both = pl.col("ada_internal") & pl.col("ada_kpu")
    differ = both & (pl.col("selisih_abs").fill_null(0) > 0)
    flagged = (
        pl.col(f"ada_{side}")
        & ~pl.col(f"ada_{OTHER[side]}")
        & (pl.col(f"peringatan_{side}").list.len().fill_null(0) > 0)
    )
    return tps.filter(differ | flagged).select(
        "_pid", "kode_kontestasi", differ.alias("_beda"), cap.alias("_cap")
    )


def _effects(
    tp: pl.DataFrame, open_: pl.DataFrame, nat: pl.DataFrame, tops: pl.DataFrame, side: str
) -> pl.DataFrame:
    """Per contest × challenger k: the most the open TPS can move L's lead over k."""
    this, other = f"suara_{side}", f"suara_{OTHER[side]}"
    rows = tp.join(open_.select("_pid"), on="_pid", how="semi")  # a few TPS of millions of rows
    grid = open_.join(nat.select("kode_kontestasi", "nomor_urut"), on="kode_kontestasi").join(
        rows.select("_pid", "nomor_urut", pl.col(this).alias("_a"), pl.col(other).alias("_b")),
        on=["_pid", "nomor_urut"],
        how="left",
    )
    grid = grid.with_columns(pl.col("_a", "_b").fill_null(0)).join(
        tops.select("kode_kontestasi", "unggul"), on="kode_kontestasi"
    )
    is_l = pl.col("nomor_urut") == pl.col("unggul")
    d_this = pl.col("_a").filter(is_l).first().over("_pid") - pl.col("_a")
    d_other = pl.col("_b").filter(is_l).first().over("_pid") - pl.col("_b")
    move = pl.when("_beda").then(d_this - d_other).otherwise(d_this + pl.col("_cap"))
    return (
        grid.with_columns(move.clip(lower_bound=0).alias("_efek"))
        .filter(~is_l)
        .group_by("kode_kontestasi", "nomor_urut")
        .agg(pl.col("_efek").sum())
    )


def _discrepancy(lead: pl.DataFrame, effects: pl.DataFrame, open_: pl.DataFrame) -> pl.DataFrame:
    """Per contest: the challenger closest to overtaking by the open TPS, and (a)'s answer."""
    n_open = open_.group_by("kode_kontestasi").agg(pl.len().cast(pl.Int64).alias("tps_selisih"))
    closest = (
        lead.join(effects, on=["kode_kontestasi", "nomor_urut"], how="left")
        .with_columns(pl.col("_efek").fill_null(0))
        .sort(
            "kode_kontestasi",
            pl.col("_efek") - pl.col("_lead"),
            "nomor_urut",
            descending=[False, True, False],
        )
        .unique("kode_kontestasi", keep="first", maintain_order=True)
    )
    return (
        closest.select(
            "kode_kontestasi",
            pl.col("nomor_urut").alias("penantang"),
            pl.col("_lead").alias("margin_penantang"),
            pl.col("_efek").alias("efek_selisih_maks"),
            pl.col("_efek").alias("_efek"),
            pl.col("_lead"),
        )
        .join(n_open, on="kode_kontestasi", how="left")
        .with_columns(
            ((pl.col("tps_selisih").fill_null(0) > 0) & (pl.col("_efek") >= pl.col("_lead"))).alias(
                "selisih_bisa_mengubah"
            )
        )
        .drop("_efek", "_lead")
    )


def _remaining(tps: pl.DataFrame, side: str, cap: pl.Expr) -> pl.DataFrame:
    """Per contest: expected TPS the source lacks, and the most votes they could hold."""
    missing = tps.filter(pl.col("diharapkan") & ~pl.col(f"ada_{side}"))
    return missing.group_by("kode_kontestasi").agg(
        pl.len().cast(pl.Int64).alias("tps_belum"), cap.sum().alias("suara_maks_belum")
    )


#: (b) and (a) once a source has a count (null before: nothing to answer about).
ANSWERS: tuple[pl.Expr, ...] = (
    pl.when("ada_hitungan")
    .then(pl.col("suara_maks_belum") >= pl.col("margin"))
    .alias("sisa_bisa_mengubah"),
    pl.when("ada_hitungan").then(pl.col("selisih_bisa_mengubah")).alias("selisih_bisa_mengubah"),
)
#: The order can no longer change: neither question says it could.
PASTI = (~pl.col("sisa_bisa_mengubah") & ~pl.col("selisih_bisa_mengubah")).alias("urutan_pasti")


def one_side(
    nat: pl.DataFrame,
    tps: pl.DataFrame,
    tp: pl.DataFrame,
    side: str,
    reserve_share: float,
    max_voters: int,
) -> pl.DataFrame:
    """The rows of one source (``sumber`` = ``side``)."""
    cap = with_reserve_expr(pl.col("pemilih_dpt").fill_null(max_voters), reserve_share)
    tops, lead = _margins(nat, side)
    open_ = _open_tps(tps, side, cap)
    k = (
        tops.join(
            _discrepancy(lead, _effects(tp, open_, nat, tops, side), open_),
            on="kode_kontestasi",
            how="left",
        )
        .join(_remaining(tps, side, cap), on="kode_kontestasi", how="left")
        .with_columns(
            pl.lit(side).alias("sumber"),
            pl.lit(OTHER_LABEL[side]).alias("lain"),
            pl.col("ada_hitungan").fill_null(False),
            *[pl.col(c).fill_null(0) for c in ("tps_selisih", "tps_belum", "suara_maks_belum")],
        )
        .with_columns(ANSWERS)
        .with_columns(PASTI)
    )
    rows = list(k.iter_rows(named=True))
    return k.with_columns(
        pl.Series("kalimat_sisa", [_say(r, KALIMAT_SISA) for r in rows], dtype=pl.String),
        pl.Series("kalimat_selisih", [_say(r, KALIMAT_SELISIH) for r in rows], dtype=pl.String),
    )


def decidedness(
    nat: pl.DataFrame,
    tps: pl.DataFrame,
    tp: pl.DataFrame,
    reserve_share: float,
    max_voters: int,
) -> pl.DataFrame:
    """rekon__kepastian_kontestasi_sumber from the national rows of recon_wilayah (``nat``),
    recon_tps and recon_tps_paslon (both with ``_pid``)."""
    parts = [one_side(nat, tps, tp, s, reserve_share, max_voters) for s in SIDES]
    out = REKON_KEPASTIAN.conform(pl.concat(parts, how="diagonal_relaxed"))
    return REKON_KEPASTIAN.check_key(
        out.select(list(REKON_KEPASTIAN.columns)).sort("kode_kontestasi", "sumber")
    )
