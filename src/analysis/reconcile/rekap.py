"""The official recapitulation tier by tier: D.Hasil beside the internal count and Sirekap.

A D.Hasil file lists the figures of the child regions of the unit that recapitulates it (a PPK's
D.Hasil Kecamatan lists its desa, KPU kab/kota's its kecamatan, KPU provinsi's its kab/kota); a
``penetapan`` file gives the contest's determined result at the contest's own region. Every file
received is kept (``dhasil__wilayah_kontestasi_paslon``); as of T the figure in force for a region ×
contest × paslon is the latest one received by T, and every earlier one with another value is a
revision (both values kept). Each figure in force is set beside the internal count and the sum of
KPU's per-TPS Sirekap records for the same region, compared only where that source covers every
expected TPS of the region. The outputs (``rekon__rekap_*``):

- :func:`side_by_side`: per region × contest × paslon, the three sources and their differences;
- :func:`pairs`: per region × contest, which pair disagrees (:data:`PASANGAN`), and whether the
  figure the tier above carried up equals the region's own recap (its children summed): a tier
  that corrects a figure (or miscopies it) makes the recap inconsistent with itself;
- :func:`progress`: per recapitulating unit × contest × step, in or not, when, late or not;
- :func:`revisions`: figures replaced by a later file with another value.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import polars as pl

from analysis.domain.regions import (
    contest_region,
    depth_expr,
    desk_time_zone,
    dotted_expr,
    inside_expr,
    parent_expr,
    tier_expr,
)
from analysis.reconcile.exprs import first_label
from analysis.schemas import REKAP_PASLON, REKAP_PROGRES, REKAP_REVISI, REKAP_WILAYAH
from analysis.settings import Rekapitulasi

ENTITY = ["kode_wilayah", "kode_kontestasi", "nomor_urut"]
UNIT = ["kode_wilayah", "kode_kontestasi"]
PENETAPAN = "penetapan"
#: Contest codes of the Pilkada (pkwkp-…, pkwkk-…): the recap steps are theirs; records of another
#: election found in a drop (ppwp) have no D.Hasil schedule here.
PILKADA = "pkwk"
#: The recap steps a contest goes through, lowest first (the recapitulating unit's tier).
STEPS = ("kecamatan", "kabkota", "provinsi", PENETAPAN)

#: ``pasangan_beda`` of a region × contest: the first label whose condition holds. ``_bi``/``_bs``:
#: the recap against the internal count / the Sirekap sum (REKAP_BANDING). A recap that differs
#: from both is the strongest signal a desk can raise.
_BI, _BS = pl.col("banding_internal"), pl.col("banding_sirekap")
PASANGAN: tuple[tuple[str, pl.Expr], ...] = (
    ("beda_keduanya", (_BI == "beda") & (_BS == "beda")),
    ("beda_internal", _BI == "beda"),
    ("beda_sirekap", _BS == "beda"),
    ("sepakat", (_BI == "sama") & (_BS == "sama")),
    ("sepakat_sebagian", (_BI == "sama") | (_BS == "sama")),
)
BELUM_BANDING = "belum_bisa_dibandingkan"


def received(official_region: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """Every recap row received by ``as_of`` (a file without a receipt time always counts), dotted
    codes, oldest version first per region × contest × paslon (``_versi`` 1, 2, ...)."""
    df = official_region.filter(
        pl.col("waktu_terima").is_null() | (pl.col("waktu_terima") <= as_of)
    ).with_columns(dotted_expr("kode_wilayah").alias("kode_wilayah"))
    return df.sort([*ENTITY, "waktu_terima", "sumber_file"], nulls_last=False).with_columns(
        pl.int_range(1, pl.len() + 1).over(ENTITY).alias("_versi"),
        pl.len().over(ENTITY).alias("n_versi"),
    )


def in_force(official_region: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """The recap rows in force at ``as_of``: one per region × contest × paslon (the latest)."""
    df = received(official_region, as_of)
    return df.filter(pl.col("_versi") == pl.col("n_versi")).drop("_versi", "n_versi")


def _with_step(df: pl.DataFrame) -> pl.DataFrame:
    """``kode_rekap`` (who recapitulated the row: its parent, the region itself for a penetapan)
    and ``tingkat_rekap`` (that unit's tier, or ``penetapan``)."""
    body = pl.when(pl.col("penetapan")).then(pl.col("kode_wilayah"))
    return df.with_columns(
        body.otherwise(parent_expr("kode_wilayah")).alias("kode_rekap"),
    ).with_columns(
        pl.when(pl.col("penetapan"))
        .then(pl.lit(PENETAPAN))
        .otherwise(tier_expr("kode_rekap"))
        .alias("tingkat_rekap")
    )


def revisions(official_region: pl.DataFrame, as_of: dt.datetime) -> pl.DataFrame:
    """rekon__rekap_revisi_wilayah_kontestasi_paslon: each version whose figure differs from the
    version before it (received by ``as_of``), with both values."""
    df = received(official_region, as_of).select(
        *ENTITY, "suara", "waktu_terima", "sumber_file", "penetapan"
    )
    prev = pl.col("suara").shift(1).over(ENTITY)
    out = df.with_columns(
        prev.alias("suara_lama"),
        pl.col("waktu_terima").shift(1).over(ENTITY).alias("waktu_terima_lama"),
        pl.col("sumber_file").shift(1).over(ENTITY).alias("sumber_file_lama"),
        pl.col("sumber_file").shift(1).over(ENTITY).is_not_null().alias("_ada_lama"),
    ).filter(pl.col("_ada_lama") & pl.col("suara").ne_missing(pl.col("suara_lama")))
    out = _with_step(out).with_columns((pl.col("suara") - pl.col("suara_lama")).alias("perubahan"))
    return REKAP_REVISI.check_key(REKAP_REVISI.conform(out).sort(ENTITY))


def side_by_side(
    official_region: pl.DataFrame,
    wilayah: pl.DataFrame,
    wilayah_status: pl.DataFrame,
    as_of: dt.datetime,
) -> pl.DataFrame:
    """rekon__rekap_wilayah_kontestasi_paslon: the recap in force beside the internal count and
    the Sirekap sum (``wilayah``: rekon__wilayah_kontestasi_paslon; ``wilayah_status``:
    rekon__wilayah_kontestasi for coverage)."""
    rec = received(official_region, as_of)
    before = rec.filter(pl.col("_versi") == pl.col("n_versi") - 1).select(
        *ENTITY, pl.col("suara").alias("_sebelumnya")
    )
    now = rec.filter(pl.col("_versi") == pl.col("n_versi")).join(before, on=ENTITY, how="left")
    counts = wilayah.select(*ENTITY, "suara_internal", pl.col("suara_kpu").alias("suara_sirekap"))
    cover = wilayah_status.select(
        *UNIT, "cakupan_internal", pl.col("cakupan_kpu").alias("cakupan_sirekap")
    )
    now = _with_step(now)
    below, has_below = _below(now)
    out = (
        now.join(below, on=ENTITY, how="left")
        .join(has_below, on=UNIT, how="left")
        .with_columns(  # a paslon the region's own recap does not list has 0 there
            pl.when(pl.col("_ada_bawah").fill_null(False))
            .then(pl.col("suara_rekap_bawah").fill_null(0))
            .alias("suara_rekap_bawah")
        )
        .join(counts, on=ENTITY, how="left")
        .join(cover, on=UNIT, how="left")
        .with_columns(
            tier_expr("kode_wilayah").alias("tingkat"),
            parent_expr("kode_wilayah").alias("kode_induk"),
            pl.col("suara").alias("suara_dhasil"),
            pl.col("suara_internal").fill_null(0),
            pl.col("suara_sirekap").fill_null(0),
            pl.when(pl.col("_sebelumnya").ne_missing(pl.col("suara")))
            .then(pl.col("_sebelumnya"))
            .alias("suara_dhasil_sebelumnya"),
        )
        .with_columns(
            (pl.col("suara_dhasil") - pl.col("suara_internal")).alias("selisih_internal"),
            (pl.col("suara_dhasil") - pl.col("suara_sirekap")).alias("selisih_sirekap"),
            (pl.col("suara_dhasil") - pl.col("suara_rekap_bawah")).alias("selisih_rekap_bawah"),
        )
    )
    return REKAP_PASLON.check_key(REKAP_PASLON.conform(out).sort(UNIT[1], UNIT[0], "nomor_urut"))


def _below(now: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per region × contest × paslon, the sum of its children's figures in the region's own recap
    (the rows it recapitulated itself): what the tier above should have carried up; and the
    region × contest pairs whose own recap is in (``_ada_bawah``)."""
    own = now.filter(~pl.col("penetapan")).rename(
        {"kode_rekap": "kode_wilayah", "kode_wilayah": "_c"}
    )
    sums = own.group_by(ENTITY).agg(pl.col("suara").sum().alias("suara_rekap_bawah"))
    return sums, own.select(UNIT).unique().with_columns(pl.lit(True).alias("_ada_bawah"))


def _banding(cover: str, diff_abs: str, tolerance: int) -> pl.Expr:
    """sama / beda where the source covers every expected TPS of the region, else belum_lengkap."""
    complete = pl.col(cover).fill_null(0) >= 1.0
    return (
        pl.when(~complete)
        .then(pl.lit("belum_lengkap"))
        .when(pl.col(diff_abs) <= tolerance)
        .then(pl.lit("sama"))
        .otherwise(pl.lit("beda"))
    )


def pairs(side: pl.DataFrame, tolerance: int = 0) -> pl.DataFrame:
    """rekon__rekap_wilayah_kontestasi: per region × contest, the differences and which pair of
    sources disagrees."""
    where = ["tingkat", "kode_induk", "kode_rekap", "tingkat_rekap", "penetapan"]
    out = (
        side.group_by(UNIT)
        .agg(
            pl.col(where).first(),
            pl.col("suara_dhasil").sum(),
            pl.col("cakupan_internal", "cakupan_sirekap").first(),
            pl.col("selisih_internal").abs().sum().alias("selisih_internal_abs"),
            pl.col("selisih_sirekap").abs().sum().alias("selisih_sirekap_abs"),
            pl.col("suara_rekap_bawah").is_not_null().any().alias("_bawah"),
            pl.col("selisih_rekap_bawah").abs().sum().alias("selisih_rekap_bawah_abs"),
            pl.col("suara_dhasil_sebelumnya").is_not_null().any().alias("direvisi"),
            pl.col("waktu_terima").max(),
            pl.col("sumber_file").sort().last(),
        )
        .with_columns(
            _banding("cakupan_internal", "selisih_internal_abs", tolerance).alias(
                "banding_internal"
            ),
            _banding("cakupan_sirekap", "selisih_sirekap_abs", tolerance).alias("banding_sirekap"),
        )
        .with_columns(
            first_label(PASANGAN, BELUM_BANDING).alias("pasangan_beda"),
            _antartingkat(tolerance).alias("status_antartingkat"),
            pl.when(pl.col("_bawah"))
            .then(pl.col("selisih_rekap_bawah_abs"))
            .alias("selisih_rekap_bawah_abs"),
        )
        .drop("_bawah")
    )
    return REKAP_WILAYAH.check_key(REKAP_WILAYAH.conform(out).sort(UNIT[1], UNIT[0]))


def _antartingkat(tolerance: int) -> pl.Expr:
    """sama / beda: the figure carried up against the region's own recap (its children summed);
    belum_ada while the region's own recap is not in (a desa has none)."""
    return (
        pl.when(~pl.col("_bawah"))
        .then(pl.lit("belum_ada"))
        .when(pl.col("selisih_rekap_bawah_abs") <= tolerance)
        .then(pl.lit("sama"))
        .otherwise(pl.lit("beda"))
    )


def expected_steps(wilayah_status: pl.DataFrame) -> pl.DataFrame:
    """Every recap a contest needs: its kecamatan, kab/kota and provinsi units inside the contest's
    region (no deeper than the contest's own unit is shallow), and its penetapan; with DPT."""
    units = wilayah_status.filter(
        pl.col("tingkat").is_in(["kecamatan", "kabkota", "provinsi"])
        & pl.col("kode_kontestasi").str.starts_with(PILKADA)
    ).select("tingkat", *UNIT, pl.col("dpt_diharapkan").alias("dpt"))
    region = pl.col("kode_kontestasi").map_elements(contest_region, return_dtype=pl.String)
    units = units.with_columns(region.alias("_wk")).filter(
        inside_expr("kode_wilayah", pl.col("_wk"))
        & (depth_expr("kode_wilayah") >= depth_expr("_wk"))
    )
    own = units.filter(pl.col("kode_wilayah") == pl.col("_wk")).with_columns(
        pl.lit(PENETAPAN).alias("tingkat")
    )
    return pl.concat([units, own]).rename({"tingkat": "tingkat_rekap"}).drop("_wk")


def progress(
    side: pl.DataFrame,
    pairs_: pl.DataFrame,
    rev: pl.DataFrame,
    wilayah_status: pl.DataFrame,
    as_of: dt.datetime,
    schedule: Rekapitulasi,
) -> pl.DataFrame:
    """rekon__rekap_progres_wilayah_kontestasi: per recapitulating unit × contest × step, whether
    its recap is in, when, and whether it is late against KPU's schedule for its tier."""
    key = ["kode_rekap", "kode_kontestasi", "tingkat_rekap"]
    labels = pairs_.select(*UNIT, "pasangan_beda")
    got = (
        side.join(labels, on=UNIT, how="left")
        .group_by(key)
        .agg(
            pl.col("waktu_terima").min().alias("waktu_terima_pertama"),
            pl.col("waktu_terima").max(),
            pl.col("kode_wilayah").n_unique().alias("baris"),
            *(
                pl.col("kode_wilayah")
                .filter(pl.col("pasangan_beda") == lab)
                .n_unique()
                .alias(f"baris_{lab}")
                for lab in ("beda_internal", "beda_sirekap", "beda_keduanya")
            ),
        )
    )
    n_rev = rev.group_by(key).agg(pl.len().alias("n_revisi"))
    zone = ZoneInfo(desk_time_zone("00"))
    day = as_of.astimezone(zone).date()
    deadline = pl.col("tingkat_rekap").replace_strict(
        {t: schedule.deadline(t) for t in STEPS}, default=None, return_dtype=pl.Date
    )
    arrived = pl.col("waktu_terima").dt.convert_time_zone(zone.key).dt.date()
    late_in = arrived > pl.col("batas")
    out = (
        expected_steps(wilayah_status)
        .rename({"kode_wilayah": "kode_rekap"})
        .join(got, on=key, how="left")
        .join(n_rev, on=key, how="left")
        .with_columns(deadline.alias("batas"), pl.col("n_revisi").fill_null(0))
        .with_columns(
            pl.when(pl.col("baris").is_not_null() & late_in.fill_null(False))
            .then(pl.lit("masuk_terlambat"))
            .when(pl.col("baris").is_not_null())
            .then(pl.lit("masuk"))
            .when(pl.col("batas") < day)
            .then(pl.lit("terlambat_belum_masuk"))
            .otherwise(pl.lit("belum_masuk"))
            .alias("status_rekap"),
            *(pl.col(c).fill_null(0) for c in ("baris", *_ROW_COUNTS)),
        )
        .rename({"kode_rekap": "kode_wilayah"})
        .with_columns(parent_expr("kode_wilayah").alias("kode_induk"))
    )
    return REKAP_PROGRES.check_key(
        REKAP_PROGRES.conform(out).sort("kode_kontestasi", "kode_wilayah", "tingkat_rekap")
    )


_ROW_COUNTS = ("baris_beda_internal", "baris_beda_sirekap", "baris_beda_keduanya")


def recap(
    official_region: pl.DataFrame,
    wilayah: pl.DataFrame,
    wilayah_status: pl.DataFrame,
    as_of: dt.datetime,
    schedule: Rekapitulasi,
    tolerance: int = 0,
) -> dict[str, pl.DataFrame]:
    """The four rekon__rekap_* frames, by dataset name."""
    side = side_by_side(official_region, wilayah, wilayah_status, as_of)
    rev = revisions(official_region, as_of)
    pr = pairs(side, tolerance)
    prog = progress(side, pr, rev, wilayah_status, as_of, schedule)
    return {
        REKAP_PASLON.name: side,
        REKAP_WILAYAH.name: pr,
        REKAP_PROGRES.name: prog,
        REKAP_REVISI.name: rev,
    }
