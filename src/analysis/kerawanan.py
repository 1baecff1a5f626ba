"""Kerawanan (vulnerability) per unit, kecamatan and up: a transparent 0–100 score with its reasons.

Three sub-scores, each 0–100, combined with the weights in ``settings.kerawanan.component_weights``:

- **insiden**: Σ over incidents in the unit (dibantah excluded) of severity weight × verification
  weight × 0.5^(age in days / half-life), mapped to 0–100 by ``100 × (1 − exp(−Σ / incident_scale))``;
- **anomali**: share of the unit's reported TPS with at least one per-TPS screen hit, 100 at
  ``anomaly_share_full``;
- **kesiapan**: total shortfall of the readiness indicators against ``election.readiness_targets``
  (latest value by ``as_of``), 100 at ``readiness_gap_full``. Readiness is reported per kab/kota:
  a kecamatan inherits its kab/kota's figures, a province or the nation aggregates them.

The total is classed *rawan tinggi / sedang / rendah* with the tier's cut-offs (after Bawaslu's IKP
2024 gradations) and explained by its top contributing factors in Indonesian words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis.incidents import NATIONAL, depth, prepare, truncate_code, with_names
from analysis.screens import hits_per_unit
from analysis.settings import REPO_ROOT, Settings, default_settings

TIERS_BY_DEPTH: dict[int, str] = {0: "nasional", 1: "provinsi", 2: "kabkota", 3: "kecamatan"}
INDICATOR_WORDS: dict[str, str] = {
    "logistik_diterima": "logistik",
    "perekaman_ktp_el": "perekaman KTP-el",
    "nphd_dibayar": "NPHD dibayar",
}
SEVERITY_WORDS: dict[str, str] = {
    "kritis": "kritis",
    "tinggi": "tinggi",
    "sedang": "sedang",
    "rendah": "rendah",
    "lainnya": "tanpa tingkat",
}
CLASSES = ("rawan tinggi", "rawan sedang", "rawan rendah")

_FACTOR_SCHEMA = {"kode_wilayah": pl.String, "poin": pl.Float64, "teks": pl.String}


def pct_text(x: pl.Expr, decimals: int = 0) -> pl.Expr:
    """A share as Indonesian percent text: 0.8 -> "80%", 0.9803 -> "98,0%"."""
    return pl.concat_str(
        (x * 100)
        .round(decimals)
        .cast(pl.String)
        .str.replace(r"\.0$", "")
        .str.replace(".", ",", literal=True),
        pl.lit("%"),
    )


def _units_frame(units: list[str]) -> pl.DataFrame:
    df = pl.DataFrame({"kode_wilayah": units}, schema={"kode_wilayah": pl.String}).unique(
        maintain_order=True
    )
    return df.with_columns(
        pl.col("kode_wilayah").map_elements(depth, return_dtype=pl.Int64).alias("_depth")
    )


def _assign(df: pl.DataFrame, code_col: str, units: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``df`` once per unit of ``units`` that contains their code (by truncation)."""
    parts = []
    for d in units["_depth"].unique().to_list():
        codes = units.filter(pl.col("_depth") == d)["kode_wilayah"]
        parts.append(
            df.with_columns(truncate_code(code_col, d).alias("kode_wilayah")).filter(
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
    return df.with_columns(
        ((now - when).dt.total_seconds() / 86400).clip(0, None).alias("umur_hari")
    ).with_columns(
        (
            pl.col("tingkat_keparahan").replace_strict(
                k.severity_weights,
                default=k.severity_weights.get("lainnya", 1.0),
                return_dtype=pl.Float64,
            )
            * pl.col("status_verifikasi").replace_strict(
                k.verification_weights,
                default=min(k.verification_weights.values()),
                return_dtype=pl.Float64,
            )
            * (0.5 ** (pl.col("umur_hari") / k.half_life_days))
        ).alias("bobot"),
        (pl.col("umur_hari") <= k.recent_days).alias("baru_baru_ini"),
    )


def readiness_by_unit(
    readiness: pl.DataFrame, units: list[str], as_of: dt.datetime | None, settings: Settings
) -> pl.DataFrame:
    """Latest readiness per unit × indicator against its target.

    Grain: one row per unit × indicator with data. A unit's own rows are used when present;
    otherwise kab/kota rows are aggregated (Σ pembilang / Σ penyebut, else the mean of nilai) for
    a province or the nation, and inherited by a kecamatan. Columns: ``kode_wilayah``,
    ``indikator``, ``nilai``, ``target``, ``kesenjangan`` (max(0, target − nilai)).
    """
    targets = settings.election.readiness_targets.model_dump()
    empty = pl.DataFrame(
        schema={
            "kode_wilayah": pl.String,
            "indikator": pl.String,
            "nilai": pl.Float64,
            "target": pl.Float64,
            "kesenjangan": pl.Float64,
        }
    )
    if readiness is None or readiness.is_empty():
        return empty
    r = readiness
    if as_of is not None:
        r = r.filter(pl.col("tanggal") <= as_of.date())
    latest = (
        r.sort("tanggal")
        .group_by("kode_wilayah", "indikator")
        .last()
        .with_columns(
            pl.col("nilai").cast(pl.Float64),
            (pl.col("kode_wilayah").str.count_matches(".", literal=True) + 1).alias("_d"),
        )
    )
    u = _units_frame(units)
    kab_rows = latest.filter(pl.col("_d") == 2)
    agg = [
        pl.when(pl.col("penyebut").sum() > 0)
        .then(pl.col("pembilang").sum() / pl.col("penyebut").sum())
        .otherwise(pl.col("nilai").mean())
        .alias("nilai")
    ]
    cols = ["kode_wilayah", "indikator", "nilai", "_prio"]
    own = u.join(latest.select("kode_wilayah", "indikator", "nilai"), on="kode_wilayah")
    # a kecamatan inherits its kab/kota's figures
    inherited = (
        u.filter(pl.col("_depth") >= 3)
        .with_columns(pl.col("kode_wilayah").str.slice(0, 5).alias("_kab"))
        .join(
            latest.select(pl.col("kode_wilayah").alias("_kab"), "indikator", "nilai"),
            on="_kab",
        )
    )
    # a province, or the nation, aggregates its kab/kota
    prov = u.filter(pl.col("_depth") == 1).join(
        kab_rows.group_by(pl.col("kode_wilayah").str.slice(0, 2), "indikator").agg(agg),
        on="kode_wilayah",
    )
    nat = u.filter(pl.col("_depth") == 0).join(kab_rows.group_by("indikator").agg(agg), how="cross")
    parts = [
        own.with_columns(pl.lit(0).alias("_prio")).select(cols),
        *(f.with_columns(pl.lit(1).alias("_prio")).select(cols) for f in (inherited, prov, nat)),
    ]
    rows = [
        pl.concat(parts, how="vertical_relaxed")
        .sort("_prio")
        .unique(["kode_wilayah", "indikator"], keep="first", maintain_order=True)
        .drop("_prio")
    ]
    if rows[0].is_empty():
        return empty
    out = (
        pl.concat(rows)
        .with_columns(
            pl.col("indikator")
            .replace_strict(targets, default=None, return_dtype=pl.Float64)
            .alias("target")
        )
        .filter(pl.col("target").is_not_null())
    )
    return out.with_columns(
        (pl.col("target") - pl.col("nilai")).clip(0, None).alias("kesenjangan")
    ).select(empty.columns)


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

    Grain: one row per unit. Columns: ``kode_wilayah``, ``nama``, ``tingkat``, ``skor`` (0–100),
    ``kelas`` (rawan tinggi | rawan sedang | rawan rendah), ``skor_insiden``, ``skor_anomali``,
    ``skor_kesiapan``, ``bobot_insiden``, ``n_insiden`` (not dibantah), ``n_insiden_7hari``,
    ``n_tps``, ``n_tps_ditandai``, ``kesenjangan_kesiapan``, ``faktor_utama`` (top three reasons in
    Indonesian, "; "-separated), sorted by score, highest first (ties: larger incident weight first).
    """
    s = settings or default_settings()
    k = s.kerawanan
    u = _units_frame(units)
    if (u["_depth"] > 3).any():
        raise ValueError("kerawanan is scored for kecamatan and up; got a desa code in units")
    w = incident_weights(incidents, as_of, s)
    wa = _assign(w, "kode_lokasi", u)
    inc = wa.group_by("kode_wilayah").agg(
        pl.col("bobot").sum().alias("bobot_insiden"),
        pl.len().cast(pl.Int64).alias("n_insiden"),
        pl.col("baru_baru_ini").sum().cast(pl.Int64).alias("n_insiden_7hari"),
    )
    # anomalies
    if screen_hits is not None and tps is not None and not tps.is_empty():
        parts = []
        for d in u["_depth"].unique().to_list():
            tier = TIERS_BY_DEPTH[d]
            parts.append(hits_per_unit(screen_hits, tps, tier))
        anom = pl.concat(parts).filter(pl.col("kode_wilayah").is_in(u["kode_wilayah"].implode()))
    else:
        anom = pl.DataFrame(
            schema={
                "kode_wilayah": pl.String,
                "n_tps": pl.Int64,
                "n_tps_ditandai": pl.Int64,
                "porsi_ditandai": pl.Float64,
            }
        )
    ready = readiness_by_unit(readiness, u["kode_wilayah"].to_list(), as_of, s)
    gaps = ready.group_by("kode_wilayah").agg(
        pl.col("kesenjangan").sum().alias("kesenjangan_kesiapan")
    )
    cw = k.component_weights
    df = (
        u.drop("_depth")
        .join(inc, on="kode_wilayah", how="left")
        .join(
            anom.select("kode_wilayah", "n_tps", "n_tps_ditandai", "porsi_ditandai"),
            on="kode_wilayah",
            how="left",
        )
        .join(gaps, on="kode_wilayah", how="left")
        .with_columns(
            pl.col("bobot_insiden").fill_null(0.0),
            pl.col("n_insiden").fill_null(0),
            pl.col("n_insiden_7hari").fill_null(0),
            pl.col("n_tps").fill_null(0),
            pl.col("n_tps_ditandai").fill_null(0),
            pl.col("porsi_ditandai").fill_null(0.0),
            pl.col("kesenjangan_kesiapan").fill_null(0.0),
        )
        .with_columns(
            (100 * (1 - (-pl.col("bobot_insiden") / k.incident_scale).exp())).alias("skor_insiden"),
            (100 * (pl.col("porsi_ditandai") / k.anomaly_share_full).clip(0, 1)).alias(
                "skor_anomali"
            ),
            (100 * (pl.col("kesenjangan_kesiapan") / k.readiness_gap_full).clip(0, 1)).alias(
                "skor_kesiapan"
            ),
        )
        .with_columns(
            (
                cw["insiden"] * pl.col("skor_insiden")
                + cw["anomali"] * pl.col("skor_anomali")
                + cw["kesiapan"] * pl.col("skor_kesiapan")
            ).alias("skor")
        )
    )
    df = df.with_columns(
        pl.col("kode_wilayah")
        .map_elements(lambda c: TIERS_BY_DEPTH[depth(c)], return_dtype=pl.String)
        .alias("tingkat")
    )
    hi = pl.col("tingkat").replace_strict(
        {t: c[0] for t, c in k.cutoffs.items()}, return_dtype=pl.Float64
    )
    mid = pl.col("tingkat").replace_strict(
        {t: c[1] for t, c in k.cutoffs.items()}, return_dtype=pl.Float64
    )
    df = df.with_columns(
        pl.when(pl.col("skor") >= hi)
        .then(pl.lit(CLASSES[0]))
        .when(pl.col("skor") >= mid)
        .then(pl.lit(CLASSES[1]))
        .otherwise(pl.lit(CLASSES[2]))
        .alias("kelas")
    )
    factors = _factors(df, wa, ready, s)
    df = df.join(factors, on="kode_wilayah", how="left").with_columns(
        pl.col("faktor_utama").fill_null("tidak ada faktor menonjol")
    )
    df = with_names(df)
    return df.select(
        "kode_wilayah",
        "nama",
        "tingkat",
        pl.col("skor").round(1),
        "kelas",
        pl.col("skor_insiden").round(1),
        pl.col("skor_anomali").round(1),
        pl.col("skor_kesiapan").round(1),
        pl.col("bobot_insiden").round(2),
        "n_insiden",
        "n_insiden_7hari",
        "n_tps",
        "n_tps_ditandai",
        pl.col("kesenjangan_kesiapan").round(4),
        "faktor_utama",
    ).sort(["skor", "bobot_insiden", "kode_wilayah"], descending=[True, True, False])


def _factors(
    scores: pl.DataFrame, wa: pl.DataFrame, ready: pl.DataFrame, s: Settings
) -> pl.DataFrame:
    """Top three contributing factors per unit, as one Indonesian sentence list."""
    k = s.kerawanan
    cw = k.component_weights
    parts: list[pl.DataFrame] = []
    if not wa.is_empty():
        ver = (
            pl.when(pl.col("kelompok_verifikasi") == "terverifikasi")
            .then(pl.lit("terverifikasi"))
            .otherwise(pl.lit("belum diverifikasi"))
        )
        buckets = (
            wa.with_columns(ver.alias("_ver"))
            .group_by("kode_wilayah", "tingkat_keparahan", "_ver", "baru_baru_ini")
            .agg(pl.len().alias("n"), pl.col("bobot").sum().alias("b"))
            .join(scores.select("kode_wilayah", "skor_insiden", "bobot_insiden"), on="kode_wilayah")
            .with_columns(
                (
                    cw["insiden"] * pl.col("skor_insiden") * pl.col("b") / pl.col("bobot_insiden")
                ).alias("poin"),
                pl.concat_str(
                    pl.col("n").cast(pl.String),
                    pl.lit(" insiden "),
                    pl.col("tingkat_keparahan").replace_strict(
                        SEVERITY_WORDS, default=pl.col("tingkat_keparahan")
                    ),
                    pl.lit(" "),
                    pl.col("_ver"),
                    pl.when(pl.col("baru_baru_ini"))
                    .then(pl.lit(f" dalam {k.recent_days} hari terakhir"))
                    .otherwise(pl.lit(f" lebih dari {k.recent_days} hari lalu")),
                ).alias("teks"),
            )
        )
        parts.append(buckets.select(list(_FACTOR_SCHEMA)))
    anom = scores.filter(pl.col("n_tps_ditandai") > 0).select(
        "kode_wilayah",
        (cw["anomali"] * pl.col("skor_anomali")).alias("poin"),
        pl.concat_str(
            pl.col("n_tps_ditandai").cast(pl.String),
            pl.lit(" dari "),
            pl.col("n_tps").cast(pl.String),
            pl.lit(" TPS tertandai penapisan anomali ("),
            pct_text(pl.col("porsi_ditandai"), 1),
            pl.lit(")"),
        ).alias("teks"),
    )
    parts.append(anom)
    if not ready.is_empty():
        rd = (
            ready.filter(pl.col("kesenjangan") > 0)
            .join(
                scores.select("kode_wilayah", "skor_kesiapan", "kesenjangan_kesiapan"),
                on="kode_wilayah",
            )
            .select(
                "kode_wilayah",
                (
                    cw["kesiapan"]
                    * pl.col("skor_kesiapan")
                    * pl.col("kesenjangan")
                    / pl.col("kesenjangan_kesiapan")
                ).alias("poin"),
                pl.concat_str(
                    pl.col("indikator").replace_strict(
                        INDICATOR_WORDS, default=pl.col("indikator")
                    ),
                    pl.lit(" baru "),
                    pct_text(pl.col("nilai"), 1),
                    pl.lit(" (target "),
                    pct_text(pl.col("target"), 1),
                    pl.lit(")"),
                ).alias("teks"),
            )
        )
        parts.append(rd)
    f = pl.concat([p.cast(_FACTOR_SCHEMA) for p in parts]).filter(pl.col("poin") > 0.05)
    return (
        f.sort(["kode_wilayah", "poin"], descending=[False, True])
        .group_by("kode_wilayah", maintain_order=True)
        .agg(pl.col("teks").head(3).str.join("; ").alias("faktor_utama"))
    )


def children_of(unit: str) -> list[str]:
    """Codes of a unit's children in the region tree (provinces for "00")."""
    from analysis import reference

    d = depth(unit)
    tier = ("provinsi", "kabkota", "kecamatan", "desa")[d]
    return reference.descendants(unit, tier)["kode_wilayah"].to_list()


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
    units = [unit] if depth(unit) >= 3 else children_of(unit)
    out = kerawanan_scores(incidents, units, as_of, screen_hits, tps, readiness, settings)
    out = out.with_row_index("peringkat", offset=1).with_columns(pl.col("peringkat").cast(pl.Int64))
    return out.head(top) if top else out


# --- One entry point for packs and the analyst notebook ---------------------------------------


def check_unit(unit: object) -> str:
    """A dotted Kemendagri code as text ("00", "16", "16.71", "16.71.01"), else a clear error."""
    import re

    if not isinstance(unit, str) or not re.fullmatch(r"00|\d{2}(\.\d{2}){0,2}", unit):
        raise ValueError(
            f"kode_wilayah {unit!r} tidak dikenal: berikan teks kode Kemendagri bertitik, "
            'mis. "16", "16.71" atau "16.71.01" ("00" = nasional)'
        )
    return unit


class ProcessedDataMissing(FileNotFoundError):
    """The processed datasets this analysis needs have not been produced yet."""


@dataclass(frozen=True)
class Inputs:
    """The processed datasets the incident/anomaly analysis reads (one processed folder)."""

    processed: Path
    sumber: str  # internal (tally_tps/tally_votes) | kpu (official_tps/official_votes)
    incidents: pl.DataFrame
    tps: pl.DataFrame
    votes: pl.DataFrame
    readiness: pl.DataFrame
    as_of: dt.datetime | None  # from the run's run.json, when the daily job wrote one
    previous_as_of: dt.datetime | None


def resolve_processed_dir(
    processed_dir: Path | str | None = None, settings: Settings | None = None
) -> Path:
    """The folder to read: the one given (relative to the repository root), else the demo's
    ``data/processed/demo-<scope>`` when it exists, else ``data/processed``."""
    s = settings or default_settings()
    if processed_dir is not None:
        p = Path(processed_dir)
        return p if p.is_absolute() else REPO_ROOT / p
    base = s.paths.resolved().processed
    demo = base / f"demo-{s.demo.scope}"
    return demo if demo.exists() else base


def _iso(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        t = value
    else:
        try:
            t = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO time such as 2024-11-28T14:00:00+07:00"
            ) from None
    if t.tzinfo is None:
        raise ValueError(f"{value!r} needs a UTC offset, e.g. 2024-11-28T14:00:00+07:00")
    return t


def load_inputs(
    processed_dir: Path | str | None = None,
    sumber: str = "internal",
    settings: Settings | None = None,
) -> Inputs:
    """Read incidents, per-TPS results (internal count or KPU's) and readiness from a processed
    folder. Raises ``ProcessedDataMissing`` with a message saying what to run when it is absent."""
    from analysis import catalog

    if sumber not in ("internal", "kpu"):
        raise ValueError(f"sumber must be 'internal' or 'kpu', got {sumber!r}")
    root = resolve_processed_dir(processed_dir, settings)
    tps_name, votes_name = (
        ("tally_tps", "tally_votes") if sumber == "internal" else ("official_tps", "official_votes")
    )
    needed = ["incidents", tps_name]
    missing = [n for n in needed if not catalog.processed_path(n, root=root).exists()]
    if not root.exists() or len(missing) == len(needed):
        raise ProcessedDataMissing(
            f"Data olahan belum ada di {root} (tidak ditemukan: {', '.join(f'{n}.parquet' for n in missing)}). "
            "Jalankan dahulu `python -m analysis ingest` (atau `make daily-brief` untuk demo)."
        )
    run: dict = {}
    run_file = root / "run.json"
    if run_file.exists():
        import json

        run = json.loads(run_file.read_text(encoding="utf-8"))
    return Inputs(
        processed=root,
        sumber=sumber,
        incidents=catalog.read("incidents", root=root),
        tps=_with_reference_dpt(
            catalog.read(tps_name, root=root), catalog.read("ref_tps", root=root)
        ),
        votes=catalog.read(votes_name, root=root),
        readiness=catalog.read("readiness", root=root),
        as_of=_iso(run.get("as_of")),
        previous_as_of=_iso(run.get("previous_as_of")),
    )


def _with_reference_dpt(tps: pl.DataFrame, ref_tps: pl.DataFrame) -> pl.DataFrame:
    """Fill a missing pemilih_dpt (a KPU record without administrasi) from the TPS list."""
    if ref_tps.is_empty() or "pemilih_dpt" not in tps.columns:
        return tps
    ref = ref_tps.select("kode_tps", pl.col("pemilih_dpt").alias("_dpt_ref"))
    return (
        tps.join(ref, on="kode_tps", how="left")
        .with_columns(pl.coalesce(pl.col("pemilih_dpt"), pl.col("_dpt_ref")).alias("pemilih_dpt"))
        .drop("_dpt_ref")
    )


@dataclass(frozen=True)
class Analysis:
    """Screens computed once for all units, as of a time; ``unit_tables`` slices it per unit."""

    inputs: Inputs
    as_of: dt.datetime | None
    since: dt.datetime | None
    tps: pl.DataFrame  # version in force per TPS × contest
    votes: pl.DataFrame
    hits: pl.DataFrame  # screens.tps_screens output


def analyse(
    inputs: Inputs,
    as_of: dt.datetime | str | None = None,
    since: dt.datetime | str | None = None,
    settings: Settings | None = None,
) -> Analysis:
    """Pick the results in force as of ``as_of`` (default: the run's as_of) and run the per-TPS
    screens once. ``since`` (default: the run's previous report) marks what is new."""
    from analysis import screens

    as_of_t = _iso(as_of) or inputs.as_of
    since_t = _iso(since) or inputs.previous_as_of
    tps, votes = screens.current_results(inputs.tps, inputs.votes, as_of_t)
    hits = screens.tps_screens(tps, votes, settings=settings, current=True)
    return Analysis(inputs, as_of_t, since_t, tps, votes, hits)


def unit_tables(
    an: Analysis, unit: str, settings: Settings | None = None, digits: bool = True
) -> dict[str, pl.DataFrame]:
    """Every incident/kerawanan/screen table for one unit (dotted code, "00" national).

    Keys (each a polars frame with Indonesian-ready columns):
    ``ringkasan`` (one row: incident headline numbers), ``insiden_per_kategori``
    (stage × category × severity), ``insiden_per_wilayah`` (per child unit), ``insiden_baru``
    (since the previous report), ``insiden_serius_terbuka``, ``waktu_penanganan``, ``titik_rawan``
    (ranked kerawanan of the children), ``kerawanan_unit`` (the unit's own score),
    ``penapisan_tps`` (per-TPS screen hits in the unit), ``penapisan_digit`` (digit screens of the
    children's tier, only units in this unit), ``sidik_jari`` (fingerprint histogram).
    """
    from analysis import incidents as inc
    from analysis import screens

    s = settings or default_settings()
    i = an.inputs.incidents
    check_unit(unit)
    d = depth(unit)
    in_u = (
        pl.lit(True)
        if unit == NATIONAL
        else pl.col("kode_tps").str.starts_with(unit.replace(".", ""))
    )
    tps_u = an.tps.filter(in_u)
    hits_u = an.hits.filter(in_u)
    out: dict[str, pl.DataFrame] = {
        "ringkasan": pl.DataFrame([inc.incident_summary(i, unit, an.since, an.as_of)]),
        "insiden_per_kategori": inc.incident_counts(i, unit, an.as_of),
        "insiden_per_wilayah": inc.counts_by_child(i, unit, an.as_of, an.since),
        "insiden_baru": inc.new_incidents(i, unit, an.since, an.as_of)
        if an.since is not None
        else inc.new_incidents(i, unit, dt.datetime(1970, 1, 1, tzinfo=dt.UTC), an.as_of).clear(),
        "insiden_serius_terbuka": inc.open_serious(i, unit, an.as_of),
        "waktu_penanganan": inc.handling_times(i, unit, an.as_of),
        "titik_rawan": hotspots(i, unit, an.as_of, an.hits, an.tps, an.inputs.readiness, s),
        "kerawanan_unit": kerawanan_scores(
            i, [unit], an.as_of, an.hits, an.tps, an.inputs.readiness, s
        ),
        "penapisan_tps": inc.with_names(
            hits_u.with_columns(truncate_code("kode_desa", 3).alias("kode_kecamatan")),
            "kode_kecamatan",
            "nama_kecamatan",
        ),
        "sidik_jari": screens.fingerprint(tps_u, an.votes.filter(in_u), settings=s, current=True),
    }
    if digits:
        tier = TIERS_BY_DEPTH.get(min(d + 1, 3), "kecamatan")
        dg = screens.digit_screens(
            tps_u, an.votes.filter(in_u), tier=tier, settings=s, current=True
        )
        out["penapisan_digit"] = inc.with_names(dg)
    return out
