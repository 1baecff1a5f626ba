"""Anomaly screens (*penapisan*) per TPS: they point an analyst somewhere, never a finding.

Works on either source of per-TPS results, in the canonical model: the internal count
(``internal__tps_kontestasi_laporan`` + ``internal__tps_kontestasi_laporan_paslon``, versions by
``waktu_laporan``) or KPU's records (``sirekap__tps_kontestasi_tarikan`` +
``sirekap__tps_kontestasi_tarikan_paslon``, versions by ``waktu_tarik``). :func:`current_results`
picks the version in force as of a time.

Each screen is a small function in the registry :data:`TPS_SCREENS` (id, Indonesian label, the
settings it reads, the function); :func:`tps_screens` builds the frame they share once and runs
them all. A new screen is one function and one row of the table. The per-unit digit screens are in
:mod:`analysis.analyse.digits`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from analysis.domain.regions import TIERS, ancestor_expr, tps_desa_expr
from analysis.domain.rules import with_reserve_expr
from analysis.schemas import OFFICIAL_TPS, TALLY
from analysis.settings import Settings, default_settings

CAVEAT = (
    "Penapisan statistik: menunjuk TPS/wilayah yang perlu dilihat analis, bukan temuan "
    "kecurangan. Pemeriksaan aritmetika per TPS lebih menentukan."
)

_KEY = ["kode_tps", "kode_kontestasi", "kode_desa"]
HITS_SCHEMA: dict[str, pl.DataType] = {
    "kode_tps": pl.String(),
    "kode_kontestasi": pl.String(),
    "kode_desa": pl.String(),
    "penapisan": pl.String(),
    "penapisan_label": pl.String(),
    "kolom": pl.String(),
    "nilai": pl.Float64(),
    "ambang": pl.Float64(),
    "keterangan": pl.String(),
}


# --- The results in force -----------------------------------------------------------------------


def _time_col(tps: pl.DataFrame) -> str:
    for c in ("waktu_laporan", "waktu_tarik"):
        if c in tps.columns:
            return c
    raise KeyError(
        f"per-TPS results need a version time: waktu_laporan ({TALLY.name}) or waktu_tarik "
        f"({OFFICIAL_TPS.name})"
    )


def current_results(
    tps: pl.DataFrame, votes: pl.DataFrame, as_of: dt.datetime | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The version in force as of ``as_of`` (latest report/pull ≤ as_of) per TPS × contest.

    Returns (one row per TPS × contest, one row per TPS × contest × paslon with non-null votes;
    votes under a paslon id foreign to the contest, nomor_urut < 0, are left out).
    Both get ``kode_desa``.
    """
    tcol = _time_col(tps)
    if as_of is not None:
        if as_of.tzinfo is None:
            raise ValueError("as_of needs a UTC offset, e.g. 2024-11-28T14:00:00+07:00")
        tps = tps.filter(pl.col(tcol) <= as_of.astimezone(dt.UTC))
    cur = (
        tps.sort(tcol)
        .group_by("kode_tps", "kode_kontestasi")
        .last()
        .with_columns(tps_desa_expr("kode_tps").alias("kode_desa"))
    )
    v = votes.join(
        cur.select("kode_tps", "kode_kontestasi", tcol),
        on=["kode_tps", "kode_kontestasi", tcol],
        how="semi",
    ).filter(
        pl.col("suara").is_not_null() & (pl.col("nomor_urut") >= 0)
    )  # < 0: paslon not in the contest
    v = v.with_columns(tps_desa_expr("kode_tps").alias("kode_desa"))
    return cur, v


def in_force(
    tps: pl.DataFrame, votes: pl.DataFrame, as_of: dt.datetime | None, current: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The versions in force with ``kode_desa``; ``current`` says the frames already are."""
    if not current:
        return current_results(tps, votes, as_of)
    cur = tps.with_columns(tps_desa_expr("kode_tps").alias("kode_desa"))
    v = votes.filter(pl.col("suara").is_not_null()).with_columns(
        tps_desa_expr("kode_tps").alias("kode_desa")
    )
    return cur, v


def voters_expr(df: pl.DataFrame) -> pl.Expr:
    """Voters who used their right: pengguna_total, else suara_total."""
    cols = [c for c in ("pengguna_total", "suara_total") if c in df.columns]
    return pl.coalesce([pl.col(c) for c in cols]) if cols else pl.lit(None, pl.Int64)


# --- The frame every screen reads ---------------------------------------------------------------


@dataclass(frozen=True)
class ScreenFrame:
    """What the TPS screens share, built once per run.

    ``tps``: one row per TPS × contest with ``dpt``, ``pengguna`` (floats), the administrative
    counts present and ``batas`` (DPT + reserve ballots, :mod:`analysis.domain.rules`).
    ``votes``: one row per TPS × contest × paslon with votes.
    """

    tps: pl.DataFrame
    votes: pl.DataFrame

    @property
    def admin(self) -> list[str]:
        """The administrative counts present, in form order."""
        return [c for c in ("pengguna_total", "suara_total", "suara_sah") if c in self.tps.columns]


def screen_frame(cur: pl.DataFrame, votes: pl.DataFrame, settings: Settings) -> ScreenFrame:
    """The shared frame from the versions in force (``in_force`` output)."""
    admin = [c for c in ("pengguna_total", "suara_total", "suara_sah") if c in cur.columns]
    base = cur.select(
        *_KEY,
        pl.col("pemilih_dpt").cast(pl.Float64).alias("dpt"),
        voters_expr(cur).cast(pl.Float64).alias("pengguna"),
        *admin,
    ).with_columns(
        with_reserve_expr(pl.col("dpt"), settings.election.reserve_share)
        .cast(pl.Float64)
        .alias("batas")
    )
    return ScreenFrame(base, votes)


def _int_text(x: pl.Expr) -> pl.Expr:
    return x.cast(pl.Int64).cast(pl.String)


def _decimal_text(x: pl.Expr, decimals: int) -> pl.Expr:
    """A number as Indonesian text with a decimal comma: 12.5 -> "12,5"."""
    return x.round(decimals).cast(pl.String).str.replace(".", ",", literal=True)


def _paslon_column(nomor: pl.Expr) -> pl.Expr:
    return pl.concat_str(pl.lit("suara_paslon_"), nomor.cast(pl.String))


# --- The screens: each returns kode_tps, kode_kontestasi, kode_desa, kolom, nilai, ambang,
# keterangan for the TPS × contest × column it hits -----------------------------------------------


def ocr_hundreds(f: ScreenFrame, s: Settings) -> pl.DataFrame:
    """A value above DPT + reserve that a misread hundreds digit explains (docs/domain.md §4)."""
    long_admin = f.tps.unpivot(
        index=[*_KEY, "batas"], on=f.admin, variable_name="kolom", value_name="nilai"
    )
    long_votes = f.votes.join(
        f.tps.select("kode_tps", "kode_kontestasi", "batas"), on=["kode_tps", "kode_kontestasi"]
    ).select(*_KEY, "batas", _paslon_column(pl.col("nomor_urut")).alias("kolom"), "suara")
    vals = pl.concat(
        [
            long_admin.with_columns(pl.col("nilai").cast(pl.Float64)),
            long_votes.select(
                *_KEY, "batas", "kolom", pl.col("suara").cast(pl.Float64).alias("nilai")
            ),
        ],
        how="vertical_relaxed",
    ).with_columns(((pl.col("nilai") // 100) % 10).alias("ratusan"))
    digits = [float(d) for d in s.penapisan.ocr_hundreds_digits]
    without = pl.col("nilai") - pl.col("ratusan") * 100
    hits = vals.filter(
        (pl.col("nilai") > pl.col("batas"))
        & pl.col("ratusan").is_in(digits)
        & (without <= pl.col("batas"))
    )
    return hits.select(
        *_KEY,
        "kolom",
        "nilai",
        pl.col("batas").alias("ambang"),
        pl.concat_str(
            pl.col("kolom").str.replace_all("_", " "),
            pl.lit(" = "),
            _int_text(pl.col("nilai")),
            pl.lit(" melebihi DPT + cadangan ("),
            _int_text(pl.col("batas")),
            pl.lit("); tanpa angka ratusan "),
            _int_text(pl.col("ratusan")),
            pl.lit(" menjadi "),
            _int_text(without),
            pl.lit(": dugaan salah baca kotak ratusan"),
        ).alias("keterangan"),
    )


def turnout_above_reserve(f: ScreenFrame, s: Settings) -> pl.DataFrame:
    """More voters than DPT + reserve ballots allow."""
    share = s.election.reserve_share
    return f.tps.filter(pl.col("pengguna") > pl.col("batas")).select(
        *_KEY,
        pl.lit("pengguna_total").alias("kolom"),
        (pl.col("pengguna") / pl.col("dpt")).round(4).alias("nilai"),
        # the limit as a share of DPT, for the reader; the test itself is on ``batas``
        pl.lit(1 + share).alias("ambang"),
        pl.concat_str(
            pl.lit("pengguna hak pilih "),
            _int_text(pl.col("pengguna")),
            pl.lit(" melebihi DPT "),
            _int_text(pl.col("dpt")),
            pl.lit(" + cadangan "),
            pl.lit(f"{share:.1%}".replace(".", ",")),
        ).alias("keterangan"),
    )


def dominant_paslon(f: ScreenFrame, s: Settings) -> pl.DataFrame:
    """One paslon with at least ``dominant_share`` of the valid votes.

    The denominator is the sum of the paslon votes (= suara_sah when identity 1 holds): a share
    above 100% from a misread suara_sah would say nothing the identity checks do not already say.
    """
    p = s.penapisan
    share = (
        f.votes.group_by(_KEY)
        .agg(
            pl.col("suara").sum().cast(pl.Float64).alias("sah"),
            pl.col("suara").max().alias("maks"),
            pl.col("nomor_urut").sort_by("suara").last().alias("nomor_urut"),
        )
        .filter((pl.col("sah") >= p.dominant_min_valid) & (pl.col("sah") > 0))
        .with_columns((pl.col("maks") / pl.col("sah")).alias("porsi"))
        .filter(pl.col("porsi") >= p.dominant_share)
    )
    return share.select(
        *_KEY,
        _paslon_column(pl.col("nomor_urut")).alias("kolom"),
        pl.col("porsi").round(4).alias("nilai"),
        pl.lit(p.dominant_share).alias("ambang"),
        pl.concat_str(
            pl.lit("paslon "),
            pl.col("nomor_urut").cast(pl.String),
            pl.lit(" meraih "),
            _int_text(pl.col("maks")),
            pl.lit(" dari "),
            _int_text(pl.col("sah")),
            pl.lit(" suara sah ("),
            _decimal_text(pl.col("porsi") * 100, 1),
            pl.lit("%)"),
        ).alias("keterangan"),
    )


def turnout_outlier(f: ScreenFrame, s: Settings) -> pl.DataFrame:
    """Turnout far from its kecamatan's (robust z-score against the median and MAD, same contest)."""
    p = s.penapisan
    group = ["kode_kecamatan", "kode_kontestasi"]
    z = (
        f.tps.filter((pl.col("dpt") > 0) & pl.col("pengguna").is_not_null())
        .with_columns(
            (pl.col("pengguna") / pl.col("dpt")).alias("partisipasi"),
            ancestor_expr("kode_desa", 3).alias("kode_kecamatan"),
        )
        .with_columns(
            pl.col("partisipasi").median().over(group).alias("med"),
            pl.len().over(group).alias("n"),
        )
        .with_columns(
            (pl.col("partisipasi") - pl.col("med")).abs().median().over(group).alias("mad")
        )
        .filter((pl.col("n") >= p.turnout_min_tps) & (pl.col("mad") > 0))
        .with_columns((0.6745 * (pl.col("partisipasi") - pl.col("med")) / pl.col("mad")).alias("z"))
        .filter(pl.col("z").abs() > p.turnout_robust_z)
    )
    return z.select(
        *_KEY,
        pl.lit("pengguna_total").alias("kolom"),
        pl.col("z").round(2).alias("nilai"),
        pl.lit(p.turnout_robust_z).alias("ambang"),
        pl.concat_str(
            pl.lit("partisipasi "),
            _decimal_text(pl.col("partisipasi") * 100, 1),
            pl.lit("% vs median kecamatan "),
            _decimal_text(pl.col("med") * 100, 1),
            pl.lit("% (skor z robust "),
            _decimal_text(pl.col("z"), 1),
            pl.lit(")"),
        ).alias("keterangan"),
    )


# --- The registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TpsScreen:
    """One per-TPS screen: its id (the ``penapisan`` value), label, settings read, function."""

    id: str
    label: str
    settings: tuple[str, ...]
    fn: Callable[[ScreenFrame, Settings], pl.DataFrame]


TPS_SCREENS: tuple[TpsScreen, ...] = (
    TpsScreen(
        "ocr_ratusan",
        "Tanda salah baca OCR angka ratusan",
        ("penapisan.ocr_hundreds_digits", "election.reserve_share"),
        ocr_hundreds,
    ),
    TpsScreen(
        "partisipasi_lebih_dpt",
        "Pengguna hak pilih melebihi DPT + cadangan",
        ("election.reserve_share",),
        turnout_above_reserve,
    ),
    TpsScreen(
        "paslon_dominan",
        "Satu paslon meraih ≥ 95% suara sah",
        ("penapisan.dominant_share", "penapisan.dominant_min_valid"),
        dominant_paslon,
    ),
    TpsScreen(
        "partisipasi_menyimpang",
        "Partisipasi jauh dari TPS lain di kecamatannya",
        ("penapisan.turnout_robust_z", "penapisan.turnout_min_tps"),
        turnout_outlier,
    ),
)
#: Screen id -> label, in the registry's order (the order a pack lists hits in).
SCREEN_LABELS: dict[str, str] = {s.id: s.label for s in TPS_SCREENS}


def tps_screens(
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    as_of: dt.datetime | None = None,
    settings: Settings | None = None,
    current: bool = False,
) -> pl.DataFrame:
    """Every screen of :data:`TPS_SCREENS` on the per-TPS results.

    Grain: one row per TPS × contest × screen × column that hit (a TPS can hit several screens).
    ``tps``/``votes`` are canonical per-TPS frames (tally or official); pass ``current=True`` when
    they already hold one version per TPS × contest. Columns: ``kode_tps``, ``kode_kontestasi``,
    ``kode_desa``, ``penapisan`` (the screen's id), ``penapisan_label``, ``kolom`` (the field
    concerned), ``nilai``, ``ambang``, ``keterangan`` (an Indonesian sentence).
    """
    s = settings or default_settings()
    frame = screen_frame(*in_force(tps, votes, as_of, current), s)
    hits = [
        screen.fn(frame, s).with_columns(
            pl.lit(screen.id).alias("penapisan"),
            pl.lit(screen.label).alias("penapisan_label"),
            pl.col("nilai").cast(pl.Float64),
            pl.col("ambang").cast(pl.Float64),
        )
        for screen in TPS_SCREENS
    ]
    return (
        pl.concat(hits, how="diagonal_relaxed")
        .select(list(HITS_SCHEMA))
        .cast(HITS_SCHEMA)
        .sort("kode_tps", "kode_kontestasi", "penapisan", "kolom")
    )


def hits_per_unit(hits: pl.DataFrame, tps: pl.DataFrame, tier: str) -> pl.DataFrame:
    """Share of reported TPS with at least one screen hit, per unit of ``tier``.

    Grain: one row per unit with reported TPS. ``tps`` is the per-TPS frame the screens ran on.
    Columns: ``kode_wilayah``, ``n_tps``, ``n_tps_ditandai``, ``porsi_ditandai`` and one
    ``n_<screen>`` per TPS screen (TPS hitting it).
    """

    def unit(df: pl.DataFrame) -> pl.DataFrame:
        desa = tps_desa_expr("kode_tps")
        return df.with_columns(ancestor_expr(desa, TIERS.index(tier)).alias("kode_wilayah"))

    t = unit(tps.select("kode_tps").unique())
    t = t.group_by("kode_wilayah").agg(pl.len().cast(pl.Int64).alias("n_tps"))
    flagged = (
        unit(hits)
        .group_by("kode_wilayah")
        .agg(
            pl.col("kode_tps").n_unique().cast(pl.Int64).alias("n_tps_ditandai"),
            *[
                pl.col("kode_tps")
                .filter(pl.col("penapisan") == screen.id)
                .n_unique()
                .cast(pl.Int64)
                .alias(f"n_{screen.id}")
                for screen in TPS_SCREENS
            ],
        )
    )
    out = t.join(flagged, on="kode_wilayah", how="left").fill_null(0)
    return out.with_columns(
        (pl.col("n_tps_ditandai") / pl.col("n_tps")).alias("porsi_ditandai")
    ).sort("kode_wilayah")
