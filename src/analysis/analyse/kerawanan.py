"""Kerawanan (vulnerability) per unit, kecamatan and up: a transparent 0–100 score with its reasons.

Three sub-scores, each 0–100, combined with the weights in ``settings.kerawanan.component_weights``:

- **insiden**: Σ over incidents in the unit (dibantah excluded) of severity weight × verification
  weight × 0.5^(age in days / half-life), mapped to 0–100 by ``100 × (1 − exp(−Σ / incident_scale))``;
- **anomali**: share of the unit's reported TPS with at least one per-TPS screen hit, 100 at
  ``anomaly_share_full``;
- **kesiapan**: total shortfall of the readiness indicators against ``election.readiness_targets``
  (latest value by ``as_of``, :mod:`analysis.analyse.readiness`), 100 at ``readiness_gap_full``.

The total is classed *rawan tinggi / sedang / rendah* with the tier's cut-offs (after Bawaslu's IKP
2024 gradations) and explained by its top contributing factors in Indonesian words.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis.analyse.incidents import prepare, with_names
from analysis.analyse.readiness import INDICATOR_WORDS, pct_text, readiness_by_unit, units_frame
from analysis.analyse.screens import hits_per_unit
from analysis.domain.regions import NATIONAL, TIERS, ancestor_expr, depth, tier_expr
from analysis.settings import Kerawanan, Settings, default_settings

SEVERITY_WORDS: dict[str, str] = {
    "kritis": "kritis",
    "tinggi": "tinggi",
    "sedang": "sedang",
    "rendah": "rendah",
    "lainnya": "tanpa tingkat",
}
CLASSES = ("rawan tinggi", "rawan sedang", "rawan rendah")
#: Deepest tier scored: a kecamatan (desa are too small for the score's inputs).
DEEPEST = TIERS.index("kecamatan")
#: Columns of ``kerawanan_scores``, in order.
SCORE_COLUMNS: tuple[str, ...] = (
    "kode_wilayah",
    "nama",
    "tingkat",
    "skor",
    "kelas",
    "skor_insiden",
    "skor_anomali",
    "skor_kesiapan",
    "bobot_insiden",
    "n_insiden",
    "n_insiden_7hari",
    "n_tps",
    "n_tps_ditandai",
    "kesenjangan_kesiapan",
    "faktor_utama",
)
_ROUNDING = {
    "skor": 1,
    "skor_insiden": 1,
    "skor_anomali": 1,
    "skor_kesiapan": 1,
    "bobot_insiden": 2,
    "kesenjangan_kesiapan": 4,
}
_FACTOR_SCHEMA = {"kode_wilayah": pl.String, "poin": pl.Float64, "teks": pl.String}
_ANOMALY_SCHEMA = {
    "kode_wilayah": pl.String,
    "n_tps": pl.Int64,
    "n_tps_ditandai": pl.Int64,
    "porsi_ditandai": pl.Float64,
}


def _assign(df: pl.DataFrame, code_col: str, units: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``df`` once per unit of ``units`` that contains their code."""
    parts = []
    for d in units["_depth"].unique().to_list():
        codes = units.filter(pl.col("_depth") == d)["kode_wilayah"]
        parts.append(
            df.with_columns(ancestor_expr(code_col, d).alias("kode_wilayah")).filter(
                pl.col("kode_wilayah").is_in(codes.implode())
            )
        )
    return (
        pl.concat(parts, how="vertical_relaxed")
        if parts
        else df.clear().with_columns(pl.lit(None, pl.String).alias("kode_wilayah"))
    )


def incident_weights(
    incidents: pl.DataFrame, as_of: dt.datetime | None, settings: Settings
) -> pl.DataFrame:
    """Incidents with their weight in the score (dibantah excluded).

    Grain: one row per incident report. Adds ``bobot`` = severity × verification ×
    0.5^(age/half-life), ``umur_hari`` (from waktu_kejadian, else waktu_laporan, to as_of) and
    ``baru_baru_ini`` (within ``recent_days``).
    """
    k = settings.kerawanan
    df = prepare(incidents, NATIONAL, as_of).filter(pl.col("status_verifikasi") != "dibantah")
    now = (
        pl.lit(as_of.astimezone(dt.UTC), dtype=pl.Datetime("us", "UTC"))
        if as_of is not None
        else pl.col("waktu_laporan").max()
    )
    when = (
        pl.coalesce(pl.col("waktu_kejadian"), pl.col("waktu_laporan"))
        if "waktu_kejadian" in df.columns
        else pl.col("waktu_laporan")
    )
    severity = pl.col("tingkat_keparahan").replace_strict(
        k.severity_weights, default=k.severity_weights.get("lainnya", 1.0), return_dtype=pl.Float64
    )
    verification = pl.col("status_verifikasi").replace_strict(
        k.verification_weights,
        default=min(k.verification_weights.values()),
        return_dtype=pl.Float64,
    )
    return df.with_columns(
        ((now - when).dt.total_seconds() / 86400).clip(0, None).alias("umur_hari")
    ).with_columns(
        (severity * verification * (0.5 ** (pl.col("umur_hari") / k.half_life_days))).alias(
            "bobot"
        ),
        (pl.col("umur_hari") <= k.recent_days).alias("baru_baru_ini"),
    )


def _anomalies(
    units: pl.DataFrame, screen_hits: pl.DataFrame | None, tps: pl.DataFrame | None
) -> pl.DataFrame:
    """Screened TPS per unit (``hits_per_unit`` at each depth present); empty without screens."""
    if screen_hits is None or tps is None or tps.is_empty():
        return pl.DataFrame(schema=_ANOMALY_SCHEMA)
    parts = [hits_per_unit(screen_hits, tps, TIERS[d]) for d in units["_depth"].unique().to_list()]
    anom = pl.concat(parts).filter(pl.col("kode_wilayah").is_in(units["kode_wilayah"].implode()))
    return anom.select(list(_ANOMALY_SCHEMA))


def _sub_scores(df: pl.DataFrame, k: Kerawanan) -> pl.DataFrame:
    """The three sub-scores (0–100), the weighted total and its class by the tier's cut-offs."""
    cw = k.component_weights
    df = df.with_columns(
        (100 * (1 - (-pl.col("bobot_insiden") / k.incident_scale).exp())).alias("skor_insiden"),
        (100 * (pl.col("porsi_ditandai") / k.anomaly_share_full).clip(0, 1)).alias("skor_anomali"),
        (100 * (pl.col("kesenjangan_kesiapan") / k.readiness_gap_full).clip(0, 1)).alias(
            "skor_kesiapan"
        ),
        tier_expr("kode_wilayah").alias("tingkat"),
    ).with_columns(
        (
            cw["insiden"] * pl.col("skor_insiden")
            + cw["anomali"] * pl.col("skor_anomali")
            + cw["kesiapan"] * pl.col("skor_kesiapan")
        ).alias("skor")
    )
    hi, mid = (
        pl.col("tingkat").replace_strict(
            {t: c[i] for t, c in k.cutoffs.items()}, return_dtype=pl.Float64
        )
        for i in (0, 1)
    )
    return df.with_columns(
        pl.when(pl.col("skor") >= hi)
        .then(pl.lit(CLASSES[0]))
        .when(pl.col("skor") >= mid)
        .then(pl.lit(CLASSES[1]))
        .otherwise(pl.lit(CLASSES[2]))
        .alias("kelas")
    )


def kerawanan_scores(
    incidents: pl.DataFrame,
    units: list[str],
    as_of: dt.datetime | None = None,
    screen_hits: pl.DataFrame | None = None,
    tps: pl.DataFrame | None = None,
    readiness: pl.DataFrame | None = None,
    settings: Settings | None = None,
) -> pl.DataFrame:
    """Kerawanan score of each unit in ``units`` (dotted codes, kecamatan and up; "00" = nation).

    ``screen_hits`` is ``screens.tps_screens`` output and ``tps`` the per-TPS frame it ran on (the
    denominator); both optional, as is ``readiness`` (the READINESS dataset).

    Grain: one row per unit. Columns: ``SCORE_COLUMNS``: ``kode_wilayah``, ``nama``, ``tingkat``,
    ``skor`` (0–100), ``kelas`` (rawan tinggi | rawan sedang | rawan rendah), ``skor_insiden``,
    ``skor_anomali``, ``skor_kesiapan``, ``bobot_insiden``, ``n_insiden`` (not dibantah),
    ``n_insiden_7hari``, ``n_tps``, ``n_tps_ditandai``, ``kesenjangan_kesiapan``,
    ``faktor_utama`` (top three reasons in Indonesian, "; "-separated), sorted by score, highest
    first (ties: larger incident weight first).
    """
    s = settings or default_settings()
    u = units_frame(units)
    if (u["_depth"] > DEEPEST).any():
        raise ValueError("kerawanan is scored for kecamatan and up; got a desa code in units")
    wa = _assign(incident_weights(incidents, as_of, s), "kode_lokasi", u)
    inc = wa.group_by("kode_wilayah").agg(
        pl.col("bobot").sum().alias("bobot_insiden"),
        pl.len().cast(pl.Int64).alias("n_insiden"),
        pl.col("baru_baru_ini").sum().cast(pl.Int64).alias("n_insiden_7hari"),
    )
    ready = readiness_by_unit(readiness, u["kode_wilayah"].to_list(), as_of, s)
    gaps = ready.group_by("kode_wilayah").agg(
        pl.col("kesenjangan").sum().alias("kesenjangan_kesiapan")
    )
    df = (
        u.drop("_depth")
        .join(inc, on="kode_wilayah", how="left")
        .join(_anomalies(u, screen_hits, tps), on="kode_wilayah", how="left")
        .join(gaps, on="kode_wilayah", how="left")
        .with_columns(
            pl.col("bobot_insiden", "porsi_ditandai", "kesenjangan_kesiapan").fill_null(0.0),
            pl.col("n_insiden", "n_insiden_7hari", "n_tps", "n_tps_ditandai").fill_null(0),
        )
    )
    df = _sub_scores(df, s.kerawanan)
    df = df.join(_factors(df, wa, ready, s), on="kode_wilayah", how="left").with_columns(
        pl.col("faktor_utama").fill_null("tidak ada faktor menonjol")
    )
    return (
        with_names(df)
        .with_columns(pl.col(c).round(n) for c, n in _ROUNDING.items())
        .select(SCORE_COLUMNS)
        .sort(["skor", "bobot_insiden", "kode_wilayah"], descending=[True, True, False])
    )


# --- Factors: why a unit scores what it scores --------------------------------------------------


def _incident_factors(scores: pl.DataFrame, wa: pl.DataFrame, k: Kerawanan) -> pl.DataFrame:
    """Points of each group of incidents (severity × verified × recent) per unit, in words."""
    ver = (
        pl.when(pl.col("kelompok_verifikasi") == "terverifikasi")
        .then(pl.lit("terverifikasi"))
        .otherwise(pl.lit("belum diverifikasi"))
    )
    severity = pl.col("tingkat_keparahan").replace_strict(
        SEVERITY_WORDS, default=pl.col("tingkat_keparahan")
    )
    when = (
        pl.when(pl.col("baru_baru_ini"))
        .then(pl.lit(f" dalam {k.recent_days} hari terakhir"))
        .otherwise(pl.lit(f" lebih dari {k.recent_days} hari lalu"))
    )
    # the unit's incident points, split by each group's share of the unit's incident weight
    cw = k.component_weights["insiden"]
    points = cw * pl.col("skor_insiden") * pl.col("b") / pl.col("bobot_insiden")
    return (
        wa.with_columns(ver.alias("_ver"))
        .group_by("kode_wilayah", "tingkat_keparahan", "_ver", "baru_baru_ini")
        .agg(pl.len().alias("n"), pl.col("bobot").sum().alias("b"))
        .join(scores.select("kode_wilayah", "skor_insiden", "bobot_insiden"), on="kode_wilayah")
        .select(
            "kode_wilayah",
            points.alias("poin"),
            pl.concat_str(
                pl.col("n").cast(pl.String),
                pl.lit(" insiden "),
                severity,
                pl.lit(" "),
                pl.col("_ver"),
                when,
            ).alias("teks"),
        )
    )


def _anomaly_factors(scores: pl.DataFrame, k: Kerawanan) -> pl.DataFrame:
    return scores.filter(pl.col("n_tps_ditandai") > 0).select(
        "kode_wilayah",
        (k.component_weights["anomali"] * pl.col("skor_anomali")).alias("poin"),
        pl.concat_str(
            pl.col("n_tps_ditandai").cast(pl.String),
            pl.lit(" dari "),
            pl.col("n_tps").cast(pl.String),
            pl.lit(" TPS tertandai penapisan anomali ("),
            pct_text(pl.col("porsi_ditandai"), 1),
            pl.lit(")"),
        ).alias("teks"),
    )


def _readiness_factors(scores: pl.DataFrame, ready: pl.DataFrame, k: Kerawanan) -> pl.DataFrame:
    cw = k.component_weights["kesiapan"]
    points = cw * pl.col("skor_kesiapan") * pl.col("kesenjangan") / pl.col("kesenjangan_kesiapan")
    return (
        ready.filter(pl.col("kesenjangan") > 0)
        .join(
            scores.select("kode_wilayah", "skor_kesiapan", "kesenjangan_kesiapan"),
            on="kode_wilayah",
        )
        .select(
            "kode_wilayah",
            points.alias("poin"),
            pl.concat_str(
                pl.col("indikator").replace_strict(INDICATOR_WORDS, default=pl.col("indikator")),
                pl.lit(" baru "),
                pct_text(pl.col("nilai"), 1),
                pl.lit(" (target "),
                pct_text(pl.col("target"), 1),
                pl.lit(")"),
            ).alias("teks"),
        )
    )


def _factors(
    scores: pl.DataFrame, wa: pl.DataFrame, ready: pl.DataFrame, s: Settings
) -> pl.DataFrame:
    """Top three contributing factors per unit, as one Indonesian sentence list."""
    k = s.kerawanan
    parts: list[pl.DataFrame] = []
    if not wa.is_empty():
        parts.append(_incident_factors(scores, wa, k))
    parts.append(_anomaly_factors(scores, k))
    if not ready.is_empty():
        parts.append(_readiness_factors(scores, ready, k))
    f = pl.concat([p.cast(_FACTOR_SCHEMA) for p in parts]).filter(pl.col("poin") > 0.05)
    return (  # ties by their text: the same three in every run, whatever order the parts came in
        f.sort(["kode_wilayah", "poin", "teks"], descending=[False, True, False])
        .group_by("kode_wilayah", maintain_order=True)
        .agg(pl.col("teks").head(3).str.join("; ").alias("faktor_utama"))
    )


# --- Hotspots -----------------------------------------------------------------------------------


def children_of(unit: str) -> list[str]:
    """Codes of a unit's children in the region tree (provinces for "00")."""
    from analysis import reference

    return reference.descendants(unit, TIERS[depth(unit) + 1])["kode_wilayah"].to_list()


def hotspots(
    incidents: pl.DataFrame,
    unit: str,
    as_of: dt.datetime | None = None,
    screen_hits: pl.DataFrame | None = None,
    tps: pl.DataFrame | None = None,
    readiness: pl.DataFrame | None = None,
    settings: Settings | None = None,
    top: int | None = None,
) -> pl.DataFrame:
    """Ranked hotspot table of a unit's children (kab/kota of a province, kecamatan of a kab/kota).

    Grain: one row per child unit (every child, zero scores included), as ``kerawanan_scores``
    plus ``peringkat`` (1 = most vulnerable). For a kecamatan, whose children (desa) are not
    scored, it is the kecamatan's own row.
    """
    units = [unit] if depth(unit) >= DEEPEST else children_of(unit)
    out = kerawanan_scores(incidents, units, as_of, screen_hits, tps, readiness, settings)
    out = out.with_row_index("peringkat", offset=1).with_columns(pl.col("peringkat").cast(pl.Int64))
    return out.head(top) if top else out
