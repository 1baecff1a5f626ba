"""Incident views per unit: the reports in a unit, counted, listed and timed.

The functions take the normalised ``insiden__laporan`` dataset (one row per incident report; labels
mapped by :func:`analysis.taxonomy.normalise_incidents` at ingest) and a unit code (dotted, ``"00"``
for the whole country). An incident counts for every unit that contains the most precise location it
carries: one reported only for a kab/kota counts for that kab/kota, its province and the nation, but
for none of its kecamatan ("tanpa lokasi rinci" in a breakdown by child unit); one without any
location counts only nationally.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import polars as pl

from analysis.domain.regions import (
    KPU_LENGTH,
    NATIONAL,
    TIERS,
    ancestors,
    child_expr,
    depth,
    inside_expr,
    tps_desa_expr,
)
from analysis.taxonomy import taxonomy

SEVERITIES: tuple[str, ...] = ("kritis", "tinggi", "sedang", "rendah", "lainnya")
VERIFIED: tuple[str, ...] = ("terkonfirmasi", "terverifikasi_resmi")
NO_DETAIL = "tanpa lokasi rinci"
#: Label columns ``prepare`` adds: code column -> its Indonesian label column.
LABEL_COLUMNS: dict[str, str] = {
    "tahapan": "tahapan_label",
    "kategori": "kategori_label",
    "tingkat_keparahan": "keparahan_label",
    "status_verifikasi": "verifikasi_label",
    "status_penanganan": "penanganan_label",
}


# --- Unit names ---------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _names() -> pl.DataFrame:
    from analysis import reference

    r = reference.regions().select("kode_wilayah", "nama", "tingkat")
    return pl.concat(
        [
            pl.DataFrame(
                {"kode_wilayah": [NATIONAL], "nama": ["Indonesia"], "tingkat": ["nasional"]}
            ),
            r,
        ]
    )


def with_names(df: pl.DataFrame, col: str = "kode_wilayah", alias: str = "nama") -> pl.DataFrame:
    """Add the region's display name (``alias``) for the dotted code in ``col``."""
    names = _names().select(pl.col("kode_wilayah").alias(col), pl.col("nama").alias(alias))
    return df.join(names, on=col, how="left")


def location_path(df: pl.DataFrame, col: str = "kode_lokasi", top: int = 2) -> pl.DataFrame:
    """Add ``lokasi_lengkap``: the names from depth ``top`` down to the code in ``col``, joined
    with " › " (``Kabupaten Ogan Komering Ulu Timur › Jayapura › Desa X``), so a kecamatan is
    never read as a place elsewhere; a code above ``top`` gives its own name."""
    names = dict(zip(*_names().select("kode_wilayah", "nama").get_columns(), strict=True))
    codes = df[col].unique().drop_nulls().to_list()
    paths = {}
    for code in codes:
        chain = [a for a in (*ancestors(code), code) if depth(a) >= top] or [code]
        paths[code] = " › ".join(
            ("Kec. " if depth(a) == TIERS.index("kecamatan") else "") + names.get(a, a)
            for a in chain
        )
    return df.with_columns(
        pl.col(col)
        .replace_strict(paths, default=None, return_dtype=pl.String)
        .alias("lokasi_lengkap")
    )


# --- Incident analytics ------------------------------------------------------------------------


def _as_utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    if t.tzinfo is None:
        raise ValueError(f"time {t.isoformat()} needs a UTC offset (e.g. +07:00)")
    return t.astimezone(dt.UTC)


def location_expr() -> pl.Expr:
    """The most precise location of a report: the desa of its TPS when that lies in the region
    given (or none is given), else the region given, else ``"00"``."""
    wil = pl.col("kode_wilayah").replace("", None)
    # a TPS code too short to hold a desa code gives no location
    holds_desa = pl.col("kode_tps").str.len_chars() >= KPU_LENGTH[TIERS.index("desa")]
    desa = pl.when(holds_desa).then(tps_desa_expr("kode_tps"))
    inside = desa.is_not_null() & (wil.is_null() | inside_expr(desa, wil))
    return pl.coalesce(pl.when(inside).then(desa).otherwise(wil), pl.lit(NATIONAL))


def _label_columns() -> list[pl.Expr]:
    tax = taxonomy()
    return [
        pl.col(field).replace_strict(tax.fields[field].labels, default=pl.col(field)).alias(alias)
        for field, alias in LABEL_COLUMNS.items()
    ]


def _verification_group() -> pl.Expr:
    return (
        pl.when(pl.col("status_verifikasi").is_in(VERIFIED))
        .then(pl.lit("terverifikasi"))
        .when(pl.col("status_verifikasi") == "dibantah")
        .then(pl.lit("dibantah"))
        .otherwise(pl.lit("belum_diverifikasi"))
    )


def prepare(
    incidents: pl.DataFrame, unit: str = NATIONAL, as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """Incidents reported by ``as_of`` that lie in ``unit``, with the columns analytics need.

    Grain: one row per incident report. Adds ``kode_lokasi`` (:func:`location_expr`),
    ``kode_anak`` (the child of ``unit`` it lies in, or the unit itself when the location is no
    more precise), ``kelompok_verifikasi`` (terverifikasi | belum_diverifikasi | dibantah),
    ``terbuka`` (not selesai and not dibantah), ``waktu_acuan_umur`` (when it happened, else
    when it was reported), ``umur_menit`` (whole minutes from that time to ``as_of``, rounded
    down: an age printed in minutes is computed in minutes), ``jam_ke_penanganan`` (report to
    handling, hours) and the Indonesian labels of ``LABEL_COLUMNS``.
    """
    as_of_utc = _as_utc(as_of)
    df = incidents.with_columns(
        pl.lit(None, pl.String).alias(c)
        for c in ("kode_wilayah", "kode_tps")
        if c not in incidents.columns
    )
    df = df.with_columns(location_expr().alias("kode_lokasi"))
    if as_of_utc is not None:
        df = df.filter(pl.col("waktu_laporan") <= as_of_utc)
        now = pl.lit(as_of_utc, dtype=pl.Datetime("us", "UTC"))
    else:
        now = pl.col("waktu_laporan").max()
    hours = 3600
    if "waktu_kejadian" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.Datetime("us", "UTC")).alias("waktu_kejadian"))
    event = pl.coalesce("waktu_kejadian", "waktu_laporan")
    return df.filter(inside_expr("kode_lokasi", unit)).with_columns(
        child_expr("kode_lokasi", unit).alias("kode_anak"),
        _verification_group().alias("kelompok_verifikasi"),
        (
            (pl.col("status_penanganan") != "selesai") & (pl.col("status_verifikasi") != "dibantah")
        ).alias("terbuka"),
        event.alias("waktu_acuan_umur"),
        ((now - event).dt.total_seconds() // 60).cast(pl.Int64).alias("umur_menit"),
        ((pl.col("waktu_penanganan") - pl.col("waktu_laporan")).dt.total_seconds() / hours)
        .round(1)
        .alias("jam_ke_penanganan"),
        *_label_columns(),
    )


def _verification_counts() -> list[pl.Expr]:
    exprs = [
        pl.len().alias("n_insiden"),
        (pl.col("kelompok_verifikasi") == "terverifikasi").sum().alias("n_terverifikasi"),
        (pl.col("kelompok_verifikasi") == "belum_diverifikasi").sum().alias("n_belum_diverifikasi"),
        (pl.col("kelompok_verifikasi") == "dibantah").sum().alias("n_dibantah"),
        pl.col("terbuka").sum().alias("n_terbuka"),
    ]
    return [e.cast(pl.Int64) for e in exprs]


def incident_counts(
    incidents: pl.DataFrame,
    unit: str = NATIONAL,
    as_of: dt.datetime | None = None,
    by: tuple[str, ...] = ("tahapan", "kategori", "tingkat_keparahan"),
) -> pl.DataFrame:
    """Counts of incidents in ``unit`` by stage × category × severity (or ``by``).

    Grain: one row per combination of ``by`` present. Columns: ``by`` codes with their labels,
    ``n_insiden``, ``n_terverifikasi``, ``n_belum_diverifikasi``, ``n_dibantah`` (verified and
    unverified kept apart), ``n_terbuka``. Sorted by severity then count.
    """
    df = prepare(incidents, unit, as_of)
    keys = list(by) + [LABEL_COLUMNS[b] for b in by if b in LABEL_COLUMNS]
    out = df.group_by(keys).agg(_verification_counts())
    order = []
    if "tingkat_keparahan" in by:
        out = out.with_columns(
            pl.col("tingkat_keparahan")
            .replace_strict({s: i for i, s in enumerate(SEVERITIES)}, default=len(SEVERITIES))
            .alias("_sev")
        )
        order.append("_sev")
    out = out.sort(
        [*order, "n_insiden", *by], descending=[*([False] * len(order)), True] + [False] * len(by)
    )
    return out.drop("_sev", strict=False)


def counts_by_child(
    incidents: pl.DataFrame,
    unit: str = NATIONAL,
    as_of: dt.datetime | None = None,
    since: dt.datetime | None = None,
) -> pl.DataFrame:
    """Incidents per child unit of ``unit`` (plus a row for the unit itself when some incidents
    are known only at its level, named "tanpa lokasi rinci").

    Grain: one row per child unit with at least one incident. Columns: ``kode_wilayah``, ``nama``,
    ``n_insiden``, ``n_kritis``..``n_rendah``, ``n_terverifikasi``, ``n_belum_diverifikasi``,
    ``n_dibantah``, ``n_terbuka``, ``n_baru`` (reported after ``since``; 0 when since is None).
    """
    df = prepare(incidents, unit, as_of)
    since_utc = _as_utc(since)
    new = (
        (pl.col("waktu_laporan") > since_utc).sum()
        if since_utc is not None
        else pl.lit(0, dtype=pl.UInt32)
    )
    out = df.group_by(pl.col("kode_anak").alias("kode_wilayah")).agg(
        *_verification_counts(),
        *[
            (pl.col("tingkat_keparahan") == s).sum().alias(f"n_{s}")
            for s in ("kritis", "tinggi", "sedang", "rendah")
        ],
        new.alias("n_baru"),
    )
    out = with_names(out).with_columns(
        pl.when(pl.col("kode_wilayah") == unit)
        .then(pl.lit(NO_DETAIL))
        .otherwise(pl.col("nama"))
        .alias("nama")
    )
    cols = ["kode_wilayah", "nama", "n_insiden", "n_kritis", "n_tinggi", "n_sedang", "n_rendah"]
    rest = ["n_terverifikasi", "n_belum_diverifikasi", "n_dibantah", "n_terbuka", "n_baru"]
    return (
        out.select(cols + rest)
        .with_columns(pl.col(c).cast(pl.Int64) for c in cols[2:] + rest)
        .sort(
            ["n_kritis", "n_tinggi", "n_insiden", "kode_wilayah"],
            descending=[True, True, True, False],
        )
    )


_LISTING = [
    "id_insiden",
    "waktu_kejadian",
    "waktu_laporan",
    "kode_lokasi",
    "nama_lokasi",
    "kategori",
    "kategori_label",
    "tingkat_keparahan",
    "keparahan_label",
    "tahapan_label",
    "status_verifikasi",
    "verifikasi_label",
    "status_penanganan",
    "penanganan_label",
    "instansi",
    "umur_menit",
    "deskripsi",
    "tahapan",
]


def _listing(df: pl.DataFrame) -> pl.DataFrame:
    df = with_names(df, "kode_lokasi", "nama_lokasi")
    if "deskripsi" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("deskripsi"))
    if "instansi" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("instansi"))
    sev = {s: i for i, s in enumerate(SEVERITIES)}
    return (
        df.with_columns(pl.col("tingkat_keparahan").replace_strict(sev, default=9).alias("_s"))
        .sort(["_s", "waktu_laporan", "id_insiden"], descending=[False, True, False])
        .select(_LISTING)
    )


def new_incidents(
    incidents: pl.DataFrame,
    unit: str,
    since: dt.datetime,
    as_of: dt.datetime | None = None,
    severities: tuple[str, ...] = SEVERITIES,
) -> pl.DataFrame:
    """Incidents reported after ``since`` (the previous report) and by ``as_of``.

    Grain: one row per incident, most severe first, newest first within a severity.
    """
    df = prepare(incidents, unit, as_of).filter(
        (pl.col("waktu_laporan") > _as_utc(since)) & pl.col("tingkat_keparahan").is_in(severities)
    )
    return _listing(df)


def open_serious(
    incidents: pl.DataFrame, unit: str = NATIONAL, as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """Open *kritis* and *tinggi* incidents (not selesai, not dibantah) with age and handling status.

    Grain: one row per incident; columns as in ``new_incidents`` (``umur_menit`` = whole minutes
    since it happened, ``penanganan_label``, ``instansi``).
    """
    df = prepare(incidents, unit, as_of).filter(
        pl.col("terbuka") & pl.col("tingkat_keparahan").is_in(["kritis", "tinggi"])
    )
    return _listing(df)


def handling_times(
    incidents: pl.DataFrame, unit: str = NATIONAL, as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """Time from report to handling, per severity, verified and unverified apart.

    Grain: one row per severity × kelompok_verifikasi. Columns: ``n_insiden``, ``n_ditangani``
    (with a handling time), ``n_belum_ditangani`` (status baru), ``median_jam``, ``p90_jam``.
    """
    df = prepare(incidents, unit, as_of).filter(pl.col("kelompok_verifikasi") != "dibantah")
    sev = {s: i for i, s in enumerate(SEVERITIES)}
    return (
        df.group_by("tingkat_keparahan", "keparahan_label", "kelompok_verifikasi")
        .agg(
            pl.len().cast(pl.Int64).alias("n_insiden"),
            pl.col("jam_ke_penanganan").is_not_null().sum().cast(pl.Int64).alias("n_ditangani"),
            (pl.col("status_penanganan") == "baru").sum().cast(pl.Int64).alias("n_belum_ditangani"),
            pl.col("jam_ke_penanganan").median().round(1).alias("median_jam"),
            pl.col("jam_ke_penanganan").quantile(0.9).round(1).alias("p90_jam"),
        )
        .with_columns(pl.col("tingkat_keparahan").replace_strict(sev, default=9).alias("_s"))
        .sort("_s", "kelompok_verifikasi")
        .drop("_s")
    )


def incident_summary(
    incidents: pl.DataFrame,
    unit: str = NATIONAL,
    since: dt.datetime | None = None,
    as_of: dt.datetime | None = None,
) -> dict[str, int]:
    """Headline numbers for a pack: totals, new since the previous report, open serious ones."""
    df = prepare(incidents, unit, as_of)
    since_utc = _as_utc(since)
    serious = pl.col("tingkat_keparahan").is_in(["kritis", "tinggi"])
    row = df.select(
        pl.len().alias("total"),
        (pl.col("waktu_laporan") > since_utc).sum().alias("baru")
        if since_utc is not None
        else pl.lit(0).alias("baru"),
        (pl.col("tingkat_keparahan") == "kritis").sum().alias("kritis"),
        (pl.col("tingkat_keparahan") == "tinggi").sum().alias("tinggi"),
        (serious & pl.col("terbuka")).sum().alias("serius_terbuka"),
        (pl.col("kelompok_verifikasi") == "terverifikasi").sum().alias("terverifikasi"),
        (pl.col("kelompok_verifikasi") == "belum_diverifikasi").sum().alias("belum_diverifikasi"),
        (pl.col("kelompok_verifikasi") == "dibantah").sum().alias("dibantah"),
        pl.col("terbuka").sum().alias("terbuka"),
    ).row(0, named=True)
    return {k: int(v or 0) for k, v in row.items()}
