"""Count-night projections of each contest's final shares — the desk's own, never a result.

Three methods per contest (``docs/domain.md`` §11), all with the one estimator of
:mod:`.estimator`:

- ``strata_internal`` / ``strata_kpu``: from the TPS a source has so far, in strata that follow how
  reports arrive (:data:`STRATA`: towns and kelurahan report first, remote desa last); a stratum
  with too few TPS in joins a coarser one, and when even a kab/kota has too few the projection is
  withheld, saying why (:data:`WITHHELD`);
- ``sampel``: from the PVT sample alone (:mod:`.sample`), withheld until enough of the sample is
  in; once KPU covers enough of the contest, whether KPU's shares fall inside its interval.

Outputs: ``rekon__proyeksi_kontestasi_metode`` (one row per contest × method: whether it speaks and
why) and ``rekon__proyeksi_kontestasi_metode_paslon`` (its shares, interval and margin of error).
"""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.domain import regions
from analysis.reconcile.estimator import (
    collapse_strata,
    coverage,
    ratio_shares,
    z_value,
)
from analysis.reconcile.exprs import ratio
from analysis.schemas import REKON_PROYEKSI, REKON_PROYEKSI_PASLON
from analysis.settings import Proyeksi

METODE_STRATA = {"internal": "strata_internal", "kpu": "strata_kpu"}
METODE_SAMPEL = "sampel"

_AREA = pl.when(regions.kelurahan_expr("kode_desa")).then(pl.lit("|kel")).otherwise(pl.lit("|desa"))

#: Strata of the projection from the TPS in so far, finest first, as columns of recon_tps: a TPS's
#: kecamatan and whether it lies in a kelurahan (town) or a desa, then its kab/kota and town/desa,
#: then its kab/kota. A stratum with fewer than ``proyeksi.min_tps_per_stratum`` TPS in joins the
#: next level's pool.
STRATA: tuple[tuple[str, pl.Expr], ...] = (
    ("kecamatan × kelurahan/desa", pl.concat_str(pl.col("kode_kecamatan"), _AREA)),
    ("kabupaten/kota × kelurahan/desa", pl.concat_str(pl.col("kode_kabkota"), _AREA)),
    ("kabupaten/kota", pl.col("kode_kabkota")),
)

_PROJECTION = ["persen_proyeksi", "galat", "persen_bawah", "persen_atas"]

#: When a source's count of a TPS arrived (recon_tps columns): the order the drift is read from.
ARRIVAL: dict[str, pl.Expr] = {
    "internal": pl.col("waktu_laporan"),
    "kpu": pl.coalesce(pl.col("ts_kpu"), pl.col("waktu_tarik")),
}


def population(tps: pl.DataFrame) -> pl.DataFrame:
    """The expected TPS × contest: the population every projection estimates (``_u`` its key)."""
    key = pl.col("_pid") if "_pid" in tps.columns else pl.concat_str("kode_tps", "kode_kontestasi")
    return tps.filter("diharapkan").select(
        "kode_kontestasi",
        key.alias("_u"),
        "kode_tps",
        "kode_desa",
        "kode_kecamatan",
        "kode_kabkota",
        pl.col("pemilih_dpt").fill_null(0).alias("x"),
        "ada_internal",
        "ada_kpu",
        *[expr.alias(f"_urut_{side}") for side, expr in ARRIVAL.items()],
    )


def side_votes(tps_paslon: pl.DataFrame, side: str) -> pl.DataFrame:
    """One row per TPS × contest × paslon: ``_u``, ``nomor_urut``, ``y`` (the source's votes;
    null where it has no count — the estimator keeps only the units in, so no filter here)."""
    col = f"suara_{side}"
    key = (
        pl.col("_pid")
        if "_pid" in tps_paslon.columns
        else pl.concat_str("kode_tps", "kode_kontestasi")
    )
    return tps_paslon.select(key.alias("_u"), "nomor_urut", pl.col(col).alias("y"))


# --- From the TPS in so far, by strata that follow how reports arrive ------------------------------

#: Why a stratified projection is withheld: the first row whose condition holds is said.
WITHHELD: tuple[tuple[pl.Expr, str], ...] = (
    (pl.col("tps_masuk") == 0, "belum ada TPS yang masuk"),
    (
        pl.col("strata_kurang") > 0,
        "{strata_kurang} dari {kabkota} kabupaten/kota baru punya kurang dari {min_tps} TPS masuk",
    ),
    (
        pl.col("galat_maks").is_null() | (pl.col("galat_maks") > pl.col("batas_galat")),
        "galat proyeksi masih ±{galat_maks} poin persen (disebut bila paling banyak "
        "±{batas_galat} poin): urutan masuk TPS belum cukup terbaca",
    ),
)


def _reason(rows: pl.DataFrame, table: tuple[tuple[pl.Expr, str], ...]) -> pl.DataFrame:
    """``rows`` with ``_alasan``: the index of the first reason of ``table`` that holds (null: none)."""
    chain = pl.when(table[0][0]).then(pl.lit(0))
    for i, (cond, _) in enumerate(table[1:], start=1):
        chain = chain.when(cond).then(pl.lit(i))
    return rows.with_columns(chain.otherwise(None).alias("_alasan"))


def _said(rows: pl.DataFrame, table: tuple[tuple[pl.Expr, str], ...], spoken: str) -> list[str]:
    """The sentence of each row: its reason's template filled in, else ``spoken`` filled in."""
    out = []
    for r in rows.iter_rows(named=True):
        figures = {k: _figure(k, v) for k, v in r.items()}
        i = r["_alasan"]
        out.append((table[i][1] if i is not None else spoken).format(**figures))
    return out


#: Figures of a reason that are shares (said as percentages); other numbers are counts.
SHARES = frozenset({"kelengkapan_sampel", "min_kelengkapan", "cakupan"})


def _figure(name: str, value: object) -> str:
    """A figure in a reason, in Indonesian format."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if name in SHARES:
        return fmt.persen(value, 0)
    return fmt.angka(value, 1) if isinstance(value, float) else fmt.angka(value)


def _stratified_units(pop: pl.DataFrame, side: str, min_n: int) -> pl.DataFrame:
    units = pop.with_columns(
        pl.col(f"ada_{side}").alias("masuk"),
        pl.col(f"_urut_{side}").alias("_urut"),
        *[expr.alias(f"_s{i}") for i, (_, expr) in enumerate(STRATA)],
    )
    return collapse_strata(units, [f"_s{i}" for i in range(len(STRATA))], min_n)


#: What a stratified projection that speaks says it was made from.
STRATA_SPOKEN = (
    "dibuat dari {tps_masuk} TPS yang masuk dalam {strata} strata (kecamatan × kelurahan/desa, "
    "digabung ke kabupaten/kota bila TPS-nya sedikit), dikoreksi untuk urutan masuk TPS"
)


def _stratified_contests(
    pop: pl.DataFrame, units: pl.DataFrame, shares: pl.DataFrame, cfg: Proyeksi
) -> pl.DataFrame:
    """Per contest: coverage, short kab/kota, the widest margin, and the figures of the reasons."""
    short = (
        units.filter("_kurang")
        .group_by("kode_kontestasi")
        .agg(pl.col("_h").n_unique().cast(pl.Int64).alias("strata_kurang"))
    )
    kab = pop.group_by("kode_kontestasi").agg(pl.col("kode_kabkota").n_unique().alias("kabkota"))
    widest = shares.group_by("kode_kontestasi").agg(
        (100 * pl.col("galat").max()).alias("galat_maks"),
        pl.col("galat").null_count().alias("_tanpa_galat"),
    )
    return (
        coverage(units)
        .join(short, on="kode_kontestasi", how="left")
        .join(kab, on="kode_kontestasi", how="left")
        .join(widest, on="kode_kontestasi", how="left")
        .with_columns(
            pl.col("strata_kurang").fill_null(0),
            pl.when(pl.col("_tanpa_galat") == 0).then(pl.col("galat_maks")).alias("galat_maks"),
            pl.lit(100 * cfg.max_margin).alias("batas_galat"),
            pl.lit(cfg.min_tps_per_stratum).alias("min_tps"),
        )
    )


def stratified(
    pop: pl.DataFrame, tps_paslon: pl.DataFrame, side: str, cfg: Proyeksi
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(contest rows, paslon rows) of the projection from the TPS ``side`` has so far."""
    units = _stratified_units(pop, side, cfg.min_tps_per_stratum)
    # votes of TPS outside the population (not expected) drop out in the estimator's join
    shares = ratio_shares(units, side_votes(tps_paslon, side), z_value(cfg.confidence))
    k = _reason(_stratified_contests(pop, units, shares, cfg), WITHHELD)
    k = k.with_columns(
        pl.lit(METODE_STRATA[side]).alias("metode"),
        pl.lit(side).alias("sumber"),
        pl.col("_alasan").is_null().alias("ada_proyeksi"),
        pl.Series("alasan", _said(k, WITHHELD, STRATA_SPOKEN), dtype=pl.String),
        pl.lit(cfg.confidence).alias("tingkat_kepercayaan"),
    )
    return k, _paslon_rows(shares, k)


def _paslon_rows(shares: pl.DataFrame, k: pl.DataFrame) -> pl.DataFrame:
    """Shares per paslon, the projection blanked where the contest's projection is withheld."""
    return shares.join(
        k.select("kode_kontestasi", "metode", "ada_proyeksi"), on="kode_kontestasi"
    ).with_columns(pl.when("ada_proyeksi").then(pl.col(c)).alias(c) for c in _PROJECTION)


# --- From the PVT sample ------------------------------------------------------------------------

#: Why the sample's projection is withheld: the first row whose condition holds is said.
SAMPLE_WITHHELD: tuple[tuple[pl.Expr, str], ...] = (
    (~pl.col("sampel_sah"), "sampel PVT tidak dapat dipakai: {pesan_sampel}"),
    (pl.col("sampel_ukuran") == 0, "tidak ada TPS sampel di wilayah pemilihan ini"),
    (
        pl.col("kelengkapan_sampel") < pl.col("min_kelengkapan"),
        "baru {sampel_masuk} dari {sampel_ukuran} TPS sampel masuk ({kelengkapan_sampel}); "
        "proyeksi sampel dibuat mulai {min_kelengkapan}",
    ),
    (pl.col("_strata_kurang") > 0, "ada strata sampel dengan kurang dari 2 TPS masuk"),
)


def _sample_units(pop: pl.DataFrame, sample: pl.DataFrame, meta: dict) -> pl.DataFrame:
    """The population of the contests inside the sample's scope, in the sample's design strata."""
    scope, depth = meta["lingkup"], regions.TIERS.index(meta["tingkat_strata"])
    codes = pop["kode_kontestasi"].unique().to_list()
    inside = [k for k in codes if regions.is_inside(regions.contest_region(k), scope)]
    picked = sample.select("kode_tps", pl.lit(True).alias("_sampel"))
    return (
        pop.filter(pl.col("kode_kontestasi").is_in(inside))
        .join(picked, on="kode_tps", how="left")
        .with_columns(
            pl.col("_sampel").fill_null(False),
            regions.ancestor_expr("kode_desa", depth).alias("_h"),
        )
        .with_columns((pl.col("_sampel") & pl.col("ada_internal")).alias("masuk"))
    )


def _kpu_shares(units: pl.DataFrame, tps_paslon: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per contest KPU's coverage; per contest × paslon KPU's share over the TPS it has), for the
    contests of ``units``."""
    cov = units.group_by("kode_kontestasi").agg(pl.col("ada_kpu").mean().alias("cakupan_kpu"))
    shares = (
        tps_paslon.filter(pl.col("kode_kontestasi").is_in(cov["kode_kontestasi"].implode()))
        .group_by("kode_kontestasi", "nomor_urut")
        .agg(pl.col("suara_kpu").sum().alias("y"))
        .with_columns((pl.col("y") / pl.col("y").sum().over("kode_kontestasi")).alias("persen_kpu"))
        .drop("y")
    )
    return cov, shares


def _sample_contests(units: pl.DataFrame, meta: dict, cfg: Proyeksi) -> pl.DataFrame:
    """Per contest: sample size, completeness, short strata, and whether the sample speaks."""
    per_h = units.group_by("kode_kontestasi", "_h").agg(
        pl.col("_sampel").sum().alias("_nh"), pl.col("masuk").sum().alias("_mh")
    )
    k = (
        coverage(units)
        .join(
            per_h.group_by("kode_kontestasi").agg(
                pl.col("_nh").sum().cast(pl.Int64).alias("sampel_ukuran"),
                ((pl.col("_mh") < 2) & (pl.col("_nh") > 0)).sum().alias("_strata_kurang"),
            ),
            on="kode_kontestasi",
        )
        .with_columns(
            pl.col("tps_masuk").alias("sampel_masuk"),
            ratio("tps_masuk", "sampel_ukuran").fill_null(0.0).alias("kelengkapan_sampel"),
            pl.lit(cfg.sample_min_completeness).alias("min_kelengkapan"),
            pl.lit(bool(meta["sah"])).alias("sampel_sah"),
            pl.lit(meta.get("pesan") or "").alias("pesan_sampel"),
            pl.lit(meta.get("sha256")).alias("sampel_sha256"),
            pl.lit(METODE_SAMPEL).alias("metode"),
            pl.lit("internal").alias("sumber"),
            pl.lit(cfg.confidence).alias("tingkat_kepercayaan"),
        )
    )
    k = _reason(k, SAMPLE_WITHHELD)
    spoken = (
        "dibuat dari {sampel_masuk} dari {sampel_ukuran} TPS sampel (kelengkapan "
        "{kelengkapan_sampel})"
    )
    return k.with_columns(
        pl.col("_alasan").is_null().alias("ada_proyeksi"),
        pl.Series("alasan", _said(k, SAMPLE_WITHHELD, spoken), dtype=pl.String),
    )


def _compare_kpu(
    k: pl.DataFrame, paslon: pl.DataFrame, cov: pl.DataFrame, kpu: pl.DataFrame, cfg: Proyeksi
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Whether KPU's shares fall inside the sample's interval, once KPU covers enough."""
    inside = pl.col("persen_kpu").is_between(pl.col("persen_bawah"), pl.col("persen_atas"))
    paslon = (
        paslon.join(kpu, on=["kode_kontestasi", "nomor_urut"], how="left")
        .join(cov, on="kode_kontestasi", how="left")
        .with_columns(
            pl.when(pl.col("ada_proyeksi") & (pl.col("cakupan_kpu") >= cfg.kpu_check_coverage))
            .then(inside.fill_null(False))
            .alias("kpu_dalam_selang")
        )
        .drop("cakupan_kpu")
    )
    verdict = paslon.group_by("kode_kontestasi").agg(
        pl.col("kpu_dalam_selang").all(ignore_nulls=False).alias("kpu_dalam_selang"),
        pl.col("kpu_dalam_selang").is_not_null().any().alias("kpu_dibandingkan"),
    )
    k = k.join(cov, on="kode_kontestasi", how="left").join(
        verdict, on="kode_kontestasi", how="left"
    )
    return k.with_columns(
        pl.when("kpu_dibandingkan").then(pl.col("kpu_dalam_selang")).alias("kpu_dalam_selang")
    ), paslon


def _no_sample(pop: pl.DataFrame, meta: dict | None, cfg: Proyeksi) -> pl.DataFrame:
    """One row per contest saying why there is no sample projection."""
    said = (
        "tidak ada sampel PVT pada data ini"
        if meta is None
        else f"sampel PVT tidak dapat dipakai: {meta.get('pesan')}"
    )
    return (
        pop.select("kode_kontestasi")
        .unique()
        .with_columns(
            pl.lit(METODE_SAMPEL).alias("metode"),
            pl.lit("internal").alias("sumber"),
            pl.lit(False).alias("ada_proyeksi"),
            pl.lit(said).alias("alasan"),
            pl.lit(cfg.confidence).alias("tingkat_kepercayaan"),
            pl.lit(meta.get("sha256") if meta else None, dtype=pl.String).alias("sampel_sha256"),
            pl.lit(bool(meta and meta.get("sah")) if meta else None, dtype=pl.Boolean).alias(
                "sampel_sah"
            ),
        )
    )


def from_sample(
    pop: pl.DataFrame,
    tps_paslon: pl.DataFrame,
    sample: pl.DataFrame,
    meta: dict | None,
    cfg: Proyeksi,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(contest rows, paslon rows) of the projection from the PVT sample's internal reports.

    ``sample``: the sampled TPS (``kode_tps``); ``meta``: the sample's record (``lingkup``,
    ``tingkat_strata``, ``sha256``, ``sah``, ``pesan``), None when the drop holds no sample.
    """
    if meta is None or not meta.get("sah"):
        return _no_sample(pop, meta, cfg), REKON_PROYEKSI_PASLON.empty()
    units = _sample_units(pop, sample, meta)
    shares = ratio_shares(units, side_votes(tps_paslon, "internal"), z_value(cfg.confidence))
    k = _sample_contests(units, meta, cfg)
    cov, kpu = _kpu_shares(units, tps_paslon)
    return _compare_kpu(k, _paslon_rows(shares, k), cov, kpu, cfg)


#: Decimals a projection's floats keep. The parallel sums beneath them may add in another order
#: from run to run (a difference in the 16th digit); rounding far below any shown precision makes
#: the same files give byte-identical datasets and packs (issue 11, item 9).
SETTLED_DECIMALS = 12


def _settled(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with every float column rounded to :data:`SETTLED_DECIMALS`."""
    floats = [c for c, t in df.schema.items() if t.is_float()]
    return df.with_columns(pl.col(floats).round(SETTLED_DECIMALS)) if floats else df


def project(
    tps: pl.DataFrame,
    tps_paslon: pl.DataFrame,
    sample: pl.DataFrame,
    meta: dict | None,
    cfg: Proyeksi,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(rekon__proyeksi_kontestasi_metode, rekon__proyeksi_kontestasi_metode_paslon)."""
    pop = population(tps)
    parts = [stratified(pop, tps_paslon, side, cfg) for side in METODE_STRATA]
    parts.append(from_sample(pop, tps_paslon, sample, meta, cfg))
    k = _settled(pl.concat([REKON_PROYEKSI.conform(c) for c, _ in parts], how="diagonal_relaxed"))
    p = _settled(
        pl.concat([REKON_PROYEKSI_PASLON.conform(x) for _, x in parts], how="diagonal_relaxed")
    )
    return (
        REKON_PROYEKSI.check_key(
            REKON_PROYEKSI.conform(k)
            .select(list(REKON_PROYEKSI.columns))
            .sort("kode_kontestasi", "metode")
        ),
        REKON_PROYEKSI_PASLON.check_key(
            REKON_PROYEKSI_PASLON.conform(p)
            .select(list(REKON_PROYEKSI_PASLON.columns))
            .sort("kode_kontestasi", "metode", "nomor_urut")
        ),
    )
