"""The traffic light of every unit (*aman* / *perlu perhatian* / *kritis*), computed once per run.

A status leadership can trust: *kritis* only for a verified critical incident still open and
recent, a discrepancy with KPU that could change a contest's order, or internal coverage far below
what is expected at that hour (the curve of ``settings.briefing.status.expected_coverage``, by
hours since the polls closed). Unverified or old reports, a few differing TPS or coverage somewhat
behind the curve give *perlu perhatian* at most. The rules are a table (:data:`RULES`); every rule
that holds is said in ``alasan``. :func:`unit_status` writes one row per unit of the drop
(``paket__status_wilayah``); packs, their first screen and the index read it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

from analysis import fmt
from analysis.analyse import incidents as inc
from analysis.domain import regions
from analysis.packs.labels import STATUS_LABEL
from analysis.schemas import PAKET_STATUS_WILAYAH
from analysis.settings import ChildStatus, Settings

LEVELS: tuple[str, ...] = ("aman", "perhatian", "kritis")
NONE_SAID = "tidak ada catatan"

Row = dict[str, object]


@dataclass(frozen=True)
class Rule:
    """One reason for a status: the level it gives, when it holds, what it says."""

    level: str
    holds: Callable[[Row, ChildStatus], bool]
    says: Callable[[Row, ChildStatus], str]


def _behind(r: Row, ratio: float) -> bool:
    cov, exp = r["cakupan_internal"], r["cakupan_harapan"]
    return cov is not None and exp is not None and exp > 0 and cov < ratio * exp


def _coverage_words(r: Row, _: ChildStatus) -> str:
    return (
        f"hitung internal baru {fmt.persen(r['cakupan_internal'])} TPS, padahal pada jam ini "
        f"diharapkan sekitar {fmt.persen(r['cakupan_harapan'], 0)}"
    )


#: The status rules, most serious first; a unit takes the highest level of the rules that hold.
RULES: tuple[Rule, ...] = (
    Rule(
        "kritis",
        lambda r, c: r["n_kritis_terverifikasi"] > 0,
        lambda r, c: (
            f"{fmt.angka(r['n_kritis_terverifikasi'])} insiden kritis terverifikasi belum selesai"
        ),
    ),
    Rule(
        "kritis",
        lambda r, c: r["n_kontestasi_berubah"] > 0,
        lambda r, c: (
            f"selisih dengan KPU dapat mengubah urutan {fmt.angka(r['n_kontestasi_berubah'])} "
            "pemilihan"
        ),
    ),
    Rule(
        "kritis",
        lambda r, c: _behind(r, c.coverage_critical_ratio),
        _coverage_words,
    ),
    Rule(
        "perhatian",
        lambda r, c: r["n_tinggi_terverifikasi"] > 0,
        lambda r, c: (
            f"{fmt.angka(r['n_tinggi_terverifikasi'])} insiden tinggi terverifikasi belum selesai"
        ),
    ),
    Rule(
        "perhatian",
        lambda r, c: r["n_kritis_lain"] > 0,
        lambda r, c: f"{fmt.angka(r['n_kritis_lain'])} laporan insiden kritis belum terverifikasi",
    ),
    Rule(
        "perhatian",
        lambda r, c: (
            r["porsi_selisih"] is not None
            and r["porsi_selisih"] >= c.discrepancy_share_watch
            and r["n_tidak_cocok"] > 0
        ),
        lambda r, c: (
            f"{fmt.angka(r['n_tidak_cocok'])} TPS berbeda dengan KPU "
            f"({fmt.persen(r['porsi_selisih'])} dari yang dibandingkan)"
        ),
    ),
    Rule(
        "perhatian",
        lambda r, c: (
            _behind(r, c.coverage_watch_ratio) and not _behind(r, c.coverage_critical_ratio)
        ),
        _coverage_words,
    ),
)


def rules_in_words(cfg: ChildStatus) -> str:
    """The rule for a reader, with the figures of the settings."""
    return (
        "Kritis: insiden kritis yang sudah terverifikasi dan belum selesai (kejadian dalam "
        f"{fmt.angka(cfg.incident_recent_hours)} jam terakhir), selisih dengan KPU yang dapat "
        "mengubah urutan suatu pemilihan, atau hitung internal kurang dari "
        f"{fmt.persen(cfg.coverage_critical_ratio, 0)} dari cakupan yang wajar pada jam itu. "
        "Perlu perhatian: insiden tinggi terverifikasi belum selesai, laporan kritis yang belum "
        f"terverifikasi, ≥ {fmt.persen(cfg.discrepancy_share_watch, 0)} TPS "
        "berbeda dengan KPU, atau hitung internal kurang dari "
        f"{fmt.persen(cfg.coverage_watch_ratio, 0)} dari cakupan yang wajar. Cakupan yang wajar "
        "naik menurut jam sejak TPS ditutup (pukul "
        f"{cfg.polls_close.strftime('%H.%M')} waktu setempat): "
        + ", ".join(
            f"{fmt.persen(s, 0)} setelah {fmt.angka(h)} jam" for h, s in cfg.expected_coverage if h
        )
        + ". Laporan yang belum terverifikasi tidak pernah sendirian membuat status kritis; "
        f"insiden yang terjadi lebih dari {fmt.angka(cfg.incident_recent_hours)} jam lalu tetap "
        "tercantum di daftar insiden tetapi tidak mengubah status."
    )


def judge(r: Row, cfg: ChildStatus) -> tuple[str, str]:
    """(status, reasons in words) of one unit's row."""
    held = [rule for rule in RULES if rule.holds(r, cfg)]
    if not held:
        return "aman", NONE_SAID
    level = max(LEVELS.index(rule.level) for rule in held)
    return LEVELS[level], "; ".join(dict.fromkeys(rule.says(r, cfg) for rule in held))


# --- Expected coverage -----------------------------------------------------------------------------


def expected_share(cfg: ChildStatus, hours: float | None) -> float | None:
    """The share of TPS expected in ``hours`` after the polls closed (linear between the curve's
    points, flat after the last); ``None`` before they close."""
    if hours is None or hours < 0:
        return None
    pts = cfg.expected_coverage
    for (h0, s0), (h1, s1) in zip(pts, pts[1:], strict=False):
        if h0 <= hours <= h1:
            return s0 + (s1 - s0) * (hours - h0) / (h1 - h0) if h1 > h0 else s1
    return pts[-1][1] if hours > pts[-1][0] else pts[0][1]


def hours_since_close(s: Settings, tz: str, as_of: dt.datetime | None) -> float | None:
    """Hours from the polls' close on voting day (local time of ``tz``) to ``as_of``."""
    if as_of is None:
        return None
    close = dt.datetime.combine(
        s.election.voting_day, s.briefing.status.polls_close, tzinfo=ZoneInfo(tz)
    )
    return (as_of - close).total_seconds() / 3600


# --- Discrepancies that could change an order --------------------------------------------------------


def internal_decidedness(
    kepastian: pl.DataFrame | None, kontestasi: pl.DataFrame | None
) -> pl.DataFrame | None:
    """What :func:`discrepancy_could_change` reads: the internal rows of
    rekon__kepastian_kontestasi_sumber where the run has them, else the contest rows."""
    if kepastian is not None and "sumber" in kepastian.columns:
        return kepastian.filter(pl.col("sumber") == "internal")
    return kontestasi


def discrepancy_could_change(kontestasi: pl.DataFrame | None) -> pl.DataFrame:
    """Per contest: could the open discrepancies with KPU change the order (``selisih_bisa_mengubah``)?

    The one home of this answer for packs. On rekon__kontestasi: the unresolved discrepancy on
    the internal top two reaches the internal margin, or like for like the two sources lead with
    different paslon (reconcile's reasons, without "TPS not yet in", which is the projection's
    question). Where rekon__kepastian_kontestasi_sumber exists (issue 13), its internal row's
    ``selisih_bisa_mengubah`` is the answer instead.
    """
    schema = {"kode_kontestasi": pl.String, "selisih_bisa_mengubah": pl.Boolean}
    if kontestasi is None or kontestasi.is_empty():
        return pl.DataFrame(schema=schema)
    if "selisih_bisa_mengubah" in kontestasi.columns:
        return kontestasi.select(list(schema)).cast(schema)
    if "ayunan_selisih" not in kontestasi.columns:
        return kontestasi.select("kode_kontestasi").with_columns(
            pl.lit(None, pl.Boolean).alias("selisih_bisa_mengubah")
        )
    counted = pl.col("margin_internal").is_not_null()
    return kontestasi.select(
        "kode_kontestasi",
        pl.when(counted)
        .then((pl.col("ayunan_selisih") >= pl.col("margin_internal")) | ~pl.col("urutan_sama"))
        .fill_null(False)
        .alias("selisih_bisa_mengubah"),
    )


# --- Every unit at once ------------------------------------------------------------------------------


def _up_the_tree(df: pl.DataFrame, col: str) -> pl.DataFrame:
    """Each row once per unit containing ``col`` (itself and its ancestors), as ``kode_wilayah``."""
    d = regions.depth_expr(col)
    return pl.concat(
        [
            df.filter(d >= k).with_columns(regions.ancestor_expr(col, k).alias("kode_wilayah"))
            for k in range(len(regions.TIERS))
        ]
    )


def critical_expr(cfg: ChildStatus) -> pl.Expr:
    """On open incidents (:func:`analysis.analyse.incidents.prepare`): the incident makes its
    units *kritis* — kritis, verified, recent. The one home of that rule (the status, and a flash
    report's trigger, :mod:`analysis.packs.kilat`)."""
    return (
        (pl.col("tingkat_keparahan") == "kritis")
        & (pl.col("kelompok_verifikasi") == "terverifikasi")
        & (pl.col("umur_menit") <= cfg.incident_recent_hours * 60)
    )


def _incident_counts(
    insiden: pl.DataFrame | None, as_of: dt.datetime | None, cfg: ChildStatus
) -> pl.DataFrame:
    """Per unit: open kritis incidents (verified and recent / the rest), open verified tinggi."""
    schema = {
        "kode_wilayah": pl.String,
        "n_kritis_terbuka": pl.Int64,
        "n_kritis_terverifikasi": pl.Int64,
        "n_kritis_lain": pl.Int64,
        "n_tinggi_terverifikasi": pl.Int64,
    }
    if insiden is None or insiden.is_empty():
        return pl.DataFrame(schema=schema)
    df = inc.prepare(insiden, regions.NATIONAL, as_of).filter(pl.col("terbuka"))
    recent = pl.col("umur_menit") <= cfg.incident_recent_hours * 60
    verified = pl.col("kelompok_verifikasi") == "terverifikasi"
    kritis, tinggi = (pl.col("tingkat_keparahan") == s for s in ("kritis", "tinggi"))
    agg = (
        _up_the_tree(df, "kode_lokasi")
        .group_by("kode_wilayah")
        .agg(
            kritis.sum().alias("n_kritis_terbuka"),
            critical_expr(cfg).sum().alias("n_kritis_terverifikasi"),
            (kritis & ~verified & recent).sum().alias("n_kritis_lain"),
            (tinggi & verified & recent).sum().alias("n_tinggi_terverifikasi"),
        )
    )
    return agg.cast({c: pl.Int64 for c in list(schema)[1:]})


def _contests_changing(kontestasi: pl.DataFrame | None) -> pl.DataFrame:
    """Per unit: contests held in it whose discrepancy could change the order."""
    d = discrepancy_could_change(kontestasi).filter(pl.col("selisih_bisa_mengubah"))
    d = d.with_columns(
        pl.col("kode_kontestasi")
        .map_elements(regions.contest_region, return_dtype=pl.String)
        .alias("_wil")
    )
    if d.is_empty():
        return pl.DataFrame(schema={"kode_wilayah": pl.String, "n_kontestasi_berubah": pl.Int64})
    return (
        _up_the_tree(d, "_wil")
        .group_by("kode_wilayah")
        .agg(pl.len().cast(pl.Int64).alias("n_kontestasi_berubah"))
    )


def _expected_by_zone(units: pl.DataFrame, s: Settings, as_of: dt.datetime | None) -> pl.Series:
    zones = units["tz"].unique().drop_nulls().to_list()
    exp = {z: expected_share(s.briefing.status, hours_since_close(s, z, as_of)) for z in zones}
    return units["tz"].replace_strict(exp, default=None, return_dtype=pl.Float64)


#: The counts any rule of :data:`RULES` looks at: a unit with all of them 0 and its coverage on
#: the curve is aman without going through the rules.
_COUNTERS = (
    "n_kritis_terverifikasi",
    "n_kontestasi_berubah",
    "n_tinggi_terverifikasi",
    "n_kritis_lain",
    "n_tidak_cocok",
)


def unit_status(
    hitung: pl.DataFrame | None,
    units: pl.DataFrame,
    insiden: pl.DataFrame | None,
    kontestasi: pl.DataFrame | None,
    as_of: dt.datetime | None,
    s: Settings,
) -> pl.DataFrame:
    """paket__status_wilayah: one row per unit of ``units`` (kode_wilayah, tz) with its status."""
    cfg = s.briefing.status
    base = units.select("kode_wilayah", "kode_induk", "tingkat", "tz")
    if hitung is not None and not hitung.is_empty():
        cov = hitung.group_by("kode_wilayah").agg(
            pl.col("tps_diharapkan", "tps_internal", "tps_keduanya", "n_tidak_cocok").sum()
        )
        base = base.join(cov, on="kode_wilayah", how="left")
    else:
        base = base.with_columns(
            pl.lit(None, pl.Int64).alias(c)
            for c in ("tps_diharapkan", "tps_internal", "tps_keduanya", "n_tidak_cocok")
        )
    counts = (_incident_counts(insiden, as_of, cfg), _contests_changing(kontestasi))
    for c in counts:
        base = base.join(c, on="kode_wilayah", how="left")
    base = base.with_columns(
        pl.col(c).fill_null(0)
        for c in (*counts[0].columns[1:], "n_kontestasi_berubah", "n_tidak_cocok")
    ).with_columns(
        pl.when(pl.col("tps_diharapkan") > 0)
        .then(pl.col("tps_internal") / pl.col("tps_diharapkan"))
        .alias("cakupan_internal"),
        pl.when(pl.col("tps_keduanya") > 0)
        .then(pl.col("n_tidak_cocok") / pl.col("tps_keduanya"))
        .alias("porsi_selisih"),
        _expected_by_zone(base, s, as_of).alias("cakupan_harapan"),
    )
    # only a unit with something to say goes through the rules one by one (a national run has
    # ~90,000 units, most with nothing): the rest is aman without a reason
    exp, cov = pl.col("cakupan_harapan"), pl.col("cakupan_internal")
    coverage_ok = (
        exp.is_null() | (exp <= 0) | cov.is_null() | (cov >= cfg.coverage_watch_ratio * exp)
    )
    quiet = (pl.sum_horizontal(*(pl.col(c) for c in _COUNTERS)) == 0) & coverage_ok
    base = base.with_columns(quiet.fill_null(False).alias("_quiet"))
    calm = base.filter(pl.col("_quiet")).with_columns(
        pl.lit("aman").alias("status"), pl.lit(NONE_SAID).alias("alasan")
    )
    loud = base.filter(~pl.col("_quiet"))
    judged = [judge(r, cfg) for r in loud.iter_rows(named=True)]
    loud = loud.with_columns(
        pl.Series("status", [j[0] for j in judged], dtype=pl.String),
        pl.Series("alasan", [j[1] for j in judged], dtype=pl.String),
    )
    out = pl.concat([calm, loud], how="vertical_relaxed").sort("kode_wilayah")
    return out.select(list(PAKET_STATUS_WILAYAH.columns)).cast(PAKET_STATUS_WILAYAH.polars_schema)


def headline(own: Row | None, children: pl.DataFrame | None, anak_label: str) -> str:
    """One line for the index and the first screen: the unit's status and its children's
    (``Kritis · kecamatan: 1 kritis, 3 perlu perhatian, 14 aman``)."""
    parts = []
    if own:
        parts.append(STATUS_LABEL[str(own["status"])])
    if children is not None and not children.is_empty():
        n = {lv: int((children["status"] == lv).sum()) for lv in reversed(LEVELS)}
        said = ", ".join(f"{fmt.angka(v)} {STATUS_LABEL[lv].lower()}" for lv, v in n.items() if v)
        parts.append(f"{anak_label}: {said}")
    return " · ".join(parts)
