"""Anomaly screens (*penapisan*) on per-TPS results: they point an analyst somewhere, never a finding.

Works on either source of per-TPS results, in the canonical model: the internal count
(``tally_tps`` + ``tally_votes``, versions by ``waktu_laporan``) or KPU's records
(``official_tps`` + ``official_votes``, versions by ``waktu_tarik``). ``current_results`` picks
the version in force as of a time.

Per TPS (``tps_screens``): the OCR hundreds-digit signature (DOMAIN §4), turnout above DPT +
reserve, one paslon with ≥ 95% of valid votes, turnout far from its kecamatan's (robust z-score).
Per unit (``digit_screens``): last-digit mean (expected 4.5), second-digit mean for counts ≥ 10
(2BL, expected 4.187), share of counts ending in 0 or 5 (expected 0.2), each with a bootstrap 95%
interval, flagged when the interval excludes the expected value (Election Forensics Toolkit) and
the mean is at least ``penapisan.digit_min_deviation`` from it (a practical floor: bounded TPS
counts sit slightly off the textbook values, which thousands of counts make "significant"); and
the turnout–winner-share correlation. ``fingerprint`` gives the turnout × winner-share 2-D
histogram of Klimek et al. (2012). With at most 600 voters per TPS most counts have 2–3 digits:
digit tests are weak here, and every output says "penapisan", not "temuan".
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from analysis.domain.regions import tps_desa_expr as tps_to_desa
from analysis.incidents import truncate_code
from analysis.settings import Settings, default_settings

CAVEAT = (
    "Penapisan statistik: menunjuk TPS/wilayah yang perlu dilihat analis, bukan temuan "
    "kecurangan. Pemeriksaan aritmetika per TPS lebih menentukan."
)

#: Expected values under clean counts (Election Forensics Toolkit; Mebane).
EXPECTED: dict[str, float] = {
    "rerata_digit_akhir": 4.5,
    "rerata_digit_kedua": 4.187,
    "porsi_akhir_0_5": 0.2,
}
SCREEN_LABELS: dict[str, str] = {
    "ocr_ratusan": "Tanda salah baca OCR angka ratusan",
    "partisipasi_lebih_dpt": "Pengguna hak pilih melebihi DPT + cadangan",
    "paslon_dominan": "Satu paslon meraih ≥ 95% suara sah",
    "partisipasi_menyimpang": "Partisipasi jauh dari TPS lain di kecamatannya",
    "rerata_digit_akhir": "Rerata digit terakhir",
    "rerata_digit_kedua": "Rerata digit kedua (2BL)",
    "porsi_akhir_0_5": "Porsi angka berakhiran 0 atau 5",
    "korelasi_partisipasi_suara": "Korelasi partisipasi × suara pemenang",
}
TIER_DEPTH: dict[str, int] = {"nasional": 0, "provinsi": 1, "kabkota": 2, "kecamatan": 3, "desa": 4}

_HITS_SCHEMA: dict[str, pl.DataType] = {
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


def _time_col(tps: pl.DataFrame) -> str:
    for c in ("waktu_laporan", "waktu_tarik"):
        if c in tps.columns:
            return c
    raise KeyError(
        "per-TPS results need a version time: waktu_laporan (tally_tps) or waktu_tarik (official_tps)"
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
        .with_columns(tps_to_desa("kode_tps").alias("kode_desa"))
    )
    v = votes.join(
        cur.select("kode_tps", "kode_kontestasi", tcol),
        on=["kode_tps", "kode_kontestasi", tcol],
        how="semi",
    ).filter(
        pl.col("suara").is_not_null() & (pl.col("nomor_urut") >= 0)
    )  # < 0: paslon not in the contest
    v = v.with_columns(tps_to_desa("kode_tps").alias("kode_desa"))
    return cur, v


def _voters(df: pl.DataFrame) -> pl.Expr:
    """Voters who used their right: pengguna_total, else suara_total."""
    cols = [c for c in ("pengguna_total", "suara_total") if c in df.columns]
    return pl.coalesce([pl.col(c) for c in cols]) if cols else pl.lit(None, pl.Int64)


def _fmt(x: pl.Expr) -> pl.Expr:
    return x.cast(pl.Int64).cast(pl.String)


def _in_force(
    tps: pl.DataFrame, votes: pl.DataFrame, as_of: dt.datetime | None, current: bool
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The versions in force with ``kode_desa``; ``current`` says the frames already are."""
    if not current:
        return current_results(tps, votes, as_of)
    cur = tps.with_columns(tps_to_desa("kode_tps").alias("kode_desa"))
    v = votes.filter(pl.col("suara").is_not_null()).with_columns(
        tps_to_desa("kode_tps").alias("kode_desa")
    )
    return cur, v


def tps_screens(
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    as_of: dt.datetime | None = None,
    settings: Settings | None = None,
    current: bool = False,
) -> pl.DataFrame:
    """Per-TPS screen hits.

    Grain: one row per TPS × contest × screen × column that hit (a TPS can hit several screens).
    ``tps``/``votes`` are canonical per-TPS frames (tally or official); pass ``current=True`` when
    they already hold one version per TPS × contest. Columns: ``kode_tps``, ``kode_kontestasi``,
    ``kode_desa``, ``penapisan`` (code), ``penapisan_label``, ``kolom`` (the field concerned),
    ``nilai``, ``ambang``, ``keterangan`` (an Indonesian sentence).
    """
    s = settings or default_settings()
    p = s.penapisan
    cur, v = _in_force(tps, votes, as_of, current)
    reserve = 1 + s.election.reserve_share
    base = cur.select(
        "kode_tps",
        "kode_kontestasi",
        "kode_desa",
        pl.col("pemilih_dpt").cast(pl.Float64).alias("dpt"),
        _voters(cur).cast(pl.Float64).alias("pengguna"),
        *[pl.col(c) for c in ("pengguna_total", "suara_total", "suara_sah") if c in cur.columns],
    ).with_columns(
        # reserve ballots are 2.5% of DPT rounded up to a whole ballot (1e-9 absorbs float error)
        (pl.col("dpt") + (pl.col("dpt") * s.election.reserve_share - 1e-9).ceil()).alias("batas")
    )
    out: list[pl.DataFrame] = []

    # 1. OCR hundreds-digit signature: value above DPT + reserve that its hundreds digit explains
    admin = [c for c in ("pengguna_total", "suara_total", "suara_sah") if c in base.columns]
    long_admin = base.unpivot(
        index=["kode_tps", "kode_kontestasi", "kode_desa", "batas"],
        on=admin,
        variable_name="kolom",
        value_name="nilai",
    )
    long_votes = v.join(
        base.select("kode_tps", "kode_kontestasi", "batas"), on=["kode_tps", "kode_kontestasi"]
    ).select(
        "kode_tps",
        "kode_kontestasi",
        "kode_desa",
        "batas",
        pl.concat_str(pl.lit("suara_paslon_"), pl.col("nomor_urut").cast(pl.String)).alias("kolom"),
        pl.col("suara").alias("nilai"),
    )
    vals = pl.concat(
        [
            long_admin.with_columns(pl.col("nilai").cast(pl.Float64)),
            long_votes.with_columns(pl.col("nilai").cast(pl.Float64)),
        ],
        how="vertical_relaxed",
    ).with_columns(((pl.col("nilai") // 100) % 10).alias("ratusan"))
    ocr = vals.filter(
        (pl.col("nilai") > pl.col("batas"))
        & pl.col("ratusan").is_in([float(d) for d in p.ocr_hundreds_digits])
        & ((pl.col("nilai") - pl.col("ratusan") * 100) <= pl.col("batas"))
    )
    out.append(
        ocr.select(
            "kode_tps",
            "kode_kontestasi",
            "kode_desa",
            pl.lit("ocr_ratusan").alias("penapisan"),
            "kolom",
            "nilai",
            pl.col("batas").alias("ambang"),
            pl.concat_str(
                pl.col("kolom").str.replace_all("_", " "),
                pl.lit(" = "),
                _fmt(pl.col("nilai")),
                pl.lit(" melebihi DPT + cadangan ("),
                _fmt(pl.col("batas")),
                pl.lit("); tanpa angka ratusan "),
                _fmt(pl.col("ratusan")),
                pl.lit(" menjadi "),
                _fmt(pl.col("nilai") - pl.col("ratusan") * 100),
                pl.lit(": dugaan salah baca kotak ratusan"),
            ).alias("keterangan"),
        )
    )

    # 2. turnout above DPT + reserve
    over = base.filter(pl.col("pengguna") > pl.col("batas"))
    out.append(
        over.select(
            "kode_tps",
            "kode_kontestasi",
            "kode_desa",
            pl.lit("partisipasi_lebih_dpt").alias("penapisan"),
            pl.lit("pengguna_total").alias("kolom"),
            (pl.col("pengguna") / pl.col("dpt")).round(4).alias("nilai"),
            pl.lit(reserve).alias("ambang"),
            pl.concat_str(
                pl.lit("pengguna hak pilih "),
                _fmt(pl.col("pengguna")),
                pl.lit(" melebihi DPT "),
                _fmt(pl.col("dpt")),
                pl.lit(" + cadangan "),
                pl.lit(f"{s.election.reserve_share:.1%}".replace(".", ",")),
            ).alias("keterangan"),
        )
    )

    # 3. one paslon with >= dominant_share of the valid votes. The denominator is the sum of the
    # paslon votes (= suara_sah when identity 1 holds): a share above 100% from a misread
    # suara_sah would say nothing the identity checks do not already say.
    share = (
        v.group_by("kode_tps", "kode_kontestasi", "kode_desa")
        .agg(
            pl.col("suara").sum().cast(pl.Float64).alias("sah"),
            pl.col("suara").max().alias("maks"),
            pl.col("nomor_urut").sort_by("suara").last().alias("nomor_urut"),
        )
        .filter((pl.col("sah") >= p.dominant_min_valid) & (pl.col("sah") > 0))
        .with_columns((pl.col("maks") / pl.col("sah")).alias("porsi"))
        .filter(pl.col("porsi") >= p.dominant_share)
    )
    out.append(
        share.select(
            "kode_tps",
            "kode_kontestasi",
            "kode_desa",
            pl.lit("paslon_dominan").alias("penapisan"),
            pl.concat_str(pl.lit("suara_paslon_"), pl.col("nomor_urut").cast(pl.String)).alias(
                "kolom"
            ),
            pl.col("porsi").round(4).alias("nilai"),
            pl.lit(p.dominant_share).alias("ambang"),
            pl.concat_str(
                pl.lit("paslon "),
                pl.col("nomor_urut").cast(pl.String),
                pl.lit(" meraih "),
                _fmt(pl.col("maks")),
                pl.lit(" dari "),
                _fmt(pl.col("sah")),
                pl.lit(" suara sah ("),
                (pl.col("porsi") * 100)
                .round(1)
                .cast(pl.String)
                .str.replace(".", ",", literal=True),
                pl.lit("%)"),
            ).alias("keterangan"),
        )
    )

    # 4. turnout robust z-score against the TPS's kecamatan (same contest)
    tz = (
        base.filter((pl.col("dpt") > 0) & pl.col("pengguna").is_not_null())
        .with_columns(
            (pl.col("pengguna") / pl.col("dpt")).alias("partisipasi"),
            truncate_code("kode_desa", 3).alias("kode_kecamatan"),
        )
        .with_columns(
            pl.col("partisipasi").median().over("kode_kecamatan", "kode_kontestasi").alias("med"),
            pl.len().over("kode_kecamatan", "kode_kontestasi").alias("n"),
        )
        .with_columns(
            (pl.col("partisipasi") - pl.col("med"))
            .abs()
            .median()
            .over("kode_kecamatan", "kode_kontestasi")
            .alias("mad")
        )
        .filter((pl.col("n") >= p.turnout_min_tps) & (pl.col("mad") > 0))
        .with_columns((0.6745 * (pl.col("partisipasi") - pl.col("med")) / pl.col("mad")).alias("z"))
        .filter(pl.col("z").abs() > p.turnout_robust_z)
    )
    out.append(
        tz.select(
            "kode_tps",
            "kode_kontestasi",
            "kode_desa",
            pl.lit("partisipasi_menyimpang").alias("penapisan"),
            pl.lit("pengguna_total").alias("kolom"),
            pl.col("z").round(2).alias("nilai"),
            pl.lit(p.turnout_robust_z).alias("ambang"),
            pl.concat_str(
                pl.lit("partisipasi "),
                (pl.col("partisipasi") * 100)
                .round(1)
                .cast(pl.String)
                .str.replace(".", ",", literal=True),
                pl.lit("% vs median kecamatan "),
                (pl.col("med") * 100).round(1).cast(pl.String).str.replace(".", ",", literal=True),
                pl.lit("% (skor z robust "),
                pl.col("z").round(1).cast(pl.String).str.replace(".", ",", literal=True),
                pl.lit(")"),
            ).alias("keterangan"),
        )
    )
    hits = pl.concat(
        [
            h.with_columns(pl.col("nilai").cast(pl.Float64), pl.col("ambang").cast(pl.Float64))
            for h in out
        ],
        how="diagonal_relaxed",
    ).with_columns(
        pl.col("penapisan")
        .replace_strict(SCREEN_LABELS, default=pl.col("penapisan"))
        .alias("penapisan_label")
    )
    return (
        hits.select(list(_HITS_SCHEMA))
        .cast(_HITS_SCHEMA)
        .sort("kode_tps", "kode_kontestasi", "penapisan", "kolom")
    )


# --- Digit screens per unit --------------------------------------------------------------------


def last_digit(x: np.ndarray) -> np.ndarray:
    return x % 10


def second_digit(x: np.ndarray) -> np.ndarray:
    """Second significant digit of integers ≥ 10."""
    k = np.floor(np.log10(x)).astype(np.int64)
    return (x // (10 ** (k - 1))) % 10


def bootstrap_digit_means(
    digits: np.ndarray, groups: np.ndarray, n_groups: int, samples: int, seed: int, min_n: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Mean digit per group with a percentile bootstrap 95% interval.

    Resampling n digits with replacement from a group's digits is a multinomial draw from its
    digit frequencies, so the bootstrap runs on 10-bin counts, vectorised over groups (in chunks
    to bound memory). Groups with fewer than ``min_n`` digits get no interval (NaN).
    Returns (n, mean, lower, upper) per group.
    """
    freq = np.zeros((n_groups, 10), dtype=np.int64)
    np.add.at(freq, (groups, digits), 1)
    n = freq.sum(axis=1)
    mean = np.divide(freq @ np.arange(10), n, out=np.full(n_groups, np.nan), where=n > 0)
    lo = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    rng = np.random.default_rng(seed)
    ok = np.flatnonzero(n >= max(min_n, 1))
    chunk = max(1, 4_000_000 // (samples * 10))
    for start in range(0, ok.size, chunk):
        idx = ok[start : start + chunk]
        pv = freq[idx] / n[idx, None]
        draws = rng.multinomial(n[idx], pv, size=(samples, idx.size))  # (B, g, 10)
        means = (draws @ np.arange(10)) / n[idx]
        lo[idx], hi[idx] = np.percentile(means, [2.5, 97.5], axis=0)
    return n, mean, lo, hi


def bootstrap_share(
    hits: np.ndarray, groups: np.ndarray, n_groups: int, samples: int, seed: int, min_n: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Share of True per group with a percentile bootstrap 95% interval (binomial draws)."""
    n = np.bincount(groups, minlength=n_groups)
    k = np.bincount(groups, weights=hits.astype(float), minlength=n_groups)
    share = np.divide(k, n, out=np.full(n_groups, np.nan), where=n > 0)
    lo = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    ok = np.flatnonzero(n >= max(min_n, 1))
    if ok.size:
        rng = np.random.default_rng(seed)
        draws = rng.binomial(n[ok], share[ok], size=(samples, ok.size)) / n[ok]
        lo[ok], hi[ok] = np.percentile(draws, [2.5, 97.5], axis=0)
    return n, share, lo, hi


def _unit_col(tier: str) -> pl.Expr:
    return truncate_code("kode_desa", TIER_DEPTH[tier]).alias("kode_wilayah")


def digit_screens(
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    tier: str = "kabkota",
    as_of: dt.datetime | None = None,
    settings: Settings | None = None,
    current: bool = False,
    samples: int | None = None,
) -> pl.DataFrame:
    """Digit screens and turnout–share correlation per unit of ``tier`` × contest.

    Grain: one row per unit × contest × test. Columns: ``kode_wilayah``, ``kode_kontestasi``,
    ``uji`` (rerata_digit_akhir | rerata_digit_kedua | porsi_akhir_0_5 |
    korelasi_partisipasi_suara), ``uji_label``, ``n`` (counts or TPS used), ``nilai``, ``harapan``,
    ``batas_bawah``, ``batas_atas`` (bootstrap 95%; null for the correlation), ``ditandai`` (the
    interval excludes ``harapan`` and ``|nilai − harapan|`` ≥ ``penapisan.digit_min_deviation``).
    Units with fewer than ``penapisan.digit_min_counts`` counts are left out. The counts are the
    per-paslon vote counts of every TPS in the unit. ``samples`` overrides
    ``penapisan.bootstrap_samples`` (the cost is linear in it).
    """
    s = settings or default_settings()
    p = s.penapisan
    cur, v = _in_force(tps, votes, as_of, current)
    v = v.with_columns(_unit_col(tier)).filter(pl.col("kode_wilayah").is_not_null())
    keys = (
        v.select("kode_wilayah", "kode_kontestasi").unique().sort("kode_wilayah", "kode_kontestasi")
    )
    keys = keys.with_row_index("g")
    v = v.join(keys, on=["kode_wilayah", "kode_kontestasi"])
    G = keys.height
    results: list[pl.DataFrame] = []
    x = v["suara"].to_numpy().astype(np.int64)
    g = v["g"].to_numpy().astype(np.int64)
    seed = p.bootstrap_seed
    B = (
        samples or p.bootstrap_samples
    )  # cost is linear in B: ~1.5 ms per unit × contest × test at 1000
    specs = [
        ("rerata_digit_akhir", x >= p.last_digit_min_value, last_digit),
        ("rerata_digit_kedua", x >= 10, second_digit),
    ]
    for i, (name, mask, fn) in enumerate(specs):
        n, m, lo, hi = bootstrap_digit_means(
            fn(x[mask]), g[mask], G, B, seed + i, p.digit_min_counts
        )
        results.append(_unit_frame(keys, name, n, m, lo, hi))
    mask = x >= p.last_digit_min_value
    n, m, lo, hi = bootstrap_share(
        np.isin(x[mask] % 10, (0, 5)), g[mask], G, B, seed + 2, p.digit_min_counts
    )
    results.append(_unit_frame(keys, "porsi_akhir_0_5", n, m, lo, hi))
    digits = pl.concat(results).filter(pl.col("n") >= p.digit_min_counts)
    floor = pl.col("uji").replace_strict(
        p.digit_min_deviation, default=0.0, return_dtype=pl.Float64
    )
    digits = digits.with_columns(
        (
            (
                (pl.col("harapan") < pl.col("batas_bawah"))
                | (pl.col("harapan") > pl.col("batas_atas"))
            )
            & ((pl.col("nilai") - pl.col("harapan")).abs() >= floor)
        ).alias("ditandai")
    )
    corr = _turnout_share_correlation(cur, v, tier, p.correlation_abs)
    out = pl.concat([digits, corr], how="diagonal_relaxed").with_columns(
        pl.col("uji").replace_strict(SCREEN_LABELS, default=pl.col("uji")).alias("uji_label")
    )
    cols = ["kode_wilayah", "kode_kontestasi", "uji", "uji_label", "n", "nilai", "harapan"]
    return out.select(cols + ["batas_bawah", "batas_atas", "ditandai"]).sort(
        "kode_wilayah", "kode_kontestasi", "uji"
    )


def _unit_frame(keys: pl.DataFrame, name: str, n, m, lo, hi) -> pl.DataFrame:
    return keys.select("kode_wilayah", "kode_kontestasi").with_columns(
        pl.lit(name).alias("uji"),
        pl.Series("n", n, dtype=pl.Int64),
        pl.Series("nilai", m, dtype=pl.Float64).round(4),
        pl.lit(EXPECTED[name]).alias("harapan"),
        pl.Series("batas_bawah", lo, dtype=pl.Float64).round(4),
        pl.Series("batas_atas", hi, dtype=pl.Float64).round(4),
    )


def _winner_share(cur: pl.DataFrame, v: pl.DataFrame) -> pl.DataFrame:
    """Per TPS × contest: turnout and the share of the contest's overall winner (within the data)."""
    totals = v.group_by("kode_kontestasi", "nomor_urut").agg(pl.col("suara").sum())
    winner = (
        totals.sort("suara", descending=True)
        .group_by("kode_kontestasi")
        .first()
        .select("kode_kontestasi", pl.col("nomor_urut").alias("pemenang"))
    )
    per_tps = (
        v.join(winner, on="kode_kontestasi")
        .group_by("kode_tps", "kode_kontestasi")
        .agg(
            pl.col("suara").sum().alias("jumlah"),
            pl.col("suara")
            .filter(pl.col("nomor_urut") == pl.col("pemenang"))
            .sum()
            .alias("suara_pemenang"),
        )
    )
    return (
        cur.select(
            "kode_tps",
            "kode_kontestasi",
            "kode_desa",
            "pemilih_dpt",
            _voters(cur).alias("pengguna"),
        )
        .join(per_tps, on=["kode_tps", "kode_kontestasi"])
        .filter((pl.col("pemilih_dpt") > 0) & (pl.col("jumlah") > 0))
        .with_columns(
            (pl.col("pengguna") / pl.col("pemilih_dpt")).alias("partisipasi"),
            (pl.col("suara_pemenang") / pl.col("jumlah")).alias("porsi_pemenang"),
        )
    )


def _turnout_share_correlation(
    cur: pl.DataFrame, v: pl.DataFrame, tier: str, threshold: float
) -> pl.DataFrame:
    ws = _winner_share(cur, v).with_columns(_unit_col(tier))
    return (
        ws.group_by("kode_wilayah", "kode_kontestasi")
        .agg(
            pl.len().cast(pl.Int64).alias("n"),
            pl.corr("partisipasi", "porsi_pemenang").round(4).alias("nilai"),
        )
        .filter((pl.col("n") >= 10) & pl.col("nilai").is_not_nan())
        .with_columns(
            pl.lit("korelasi_partisipasi_suara").alias("uji"),
            pl.lit(0.0).alias("harapan"),
            (pl.col("nilai").abs() > threshold).alias("ditandai"),
        )
    )


def fingerprint(
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    unit: str = "00",
    as_of: dt.datetime | None = None,
    settings: Settings | None = None,
    current: bool = False,
) -> pl.DataFrame:
    """Turnout × winner-share 2-D histogram (Klimek et al. 2012), aggregated, per contest.

    Grain: one row per contest × turnout bin × winner-share bin with at least one TPS. Columns:
    ``kode_kontestasi``, ``partisipasi`` and ``porsi_pemenang`` (lower bin edges, 0..1; turnout
    above 100% falls in the last bin), ``n_tps``.
    """
    s = settings or default_settings()
    bins = s.penapisan.fingerprint_bins
    cur, v = _in_force(tps, votes, as_of, current)
    if unit != "00":
        cur = cur.filter(pl.col("kode_desa").str.starts_with(unit + "."))
        v = v.filter(pl.col("kode_desa").str.starts_with(unit + "."))
    ws = _winner_share(cur, v)

    def edge(c: str) -> pl.Expr:
        return (pl.col(c).clip(0, 1) * bins).floor().clip(0, bins - 1) / bins

    return (
        ws.group_by(
            "kode_kontestasi",
            edge("partisipasi").alias("partisipasi"),
            edge("porsi_pemenang").alias("porsi_pemenang"),
        )
        .agg(pl.len().cast(pl.Int64).alias("n_tps"))
        .sort("kode_kontestasi", "partisipasi", "porsi_pemenang")
    )


def fingerprint_chart(
    hist: pl.DataFrame, kode_kontestasi: str | None = None, bins: int | None = None
):
    """An Altair heatmap of ``fingerprint`` output for one contest (the first when not given)."""
    import altair as alt

    if hist.is_empty():
        return alt.Chart(pl.DataFrame({"x": []})).mark_text(text="Belum ada data")
    code = kode_kontestasi or hist["kode_kontestasi"][0]
    bins = bins or default_settings().penapisan.fingerprint_bins
    d = hist.filter(pl.col("kode_kontestasi") == code).with_columns(
        (pl.col("partisipasi") + 1 / bins).alias("p2"),
        (pl.col("porsi_pemenang") + 1 / bins).alias("w2"),
    )
    return (
        alt.Chart(
            d.to_pandas(), title=f"Sidik jari partisipasi × suara pemenang — {code} (penapisan)"
        )
        .mark_rect()
        .encode(
            x=alt.X("partisipasi:Q", title="Partisipasi", axis=alt.Axis(format="%")),
            x2="p2:Q",
            y=alt.Y("porsi_pemenang:Q", title="Porsi suara pemenang", axis=alt.Axis(format="%")),
            y2="w2:Q",
            color=alt.Color("n_tps:Q", title="Jumlah TPS", scale=alt.Scale(scheme="blues")),
            tooltip=["partisipasi", "porsi_pemenang", "n_tps"],
        )
    )


def hits_per_unit(hits: pl.DataFrame, tps: pl.DataFrame, tier: str) -> pl.DataFrame:
    """Share of reported TPS with at least one screen hit, per unit of ``tier``.

    Grain: one row per unit with reported TPS. ``tps`` is the per-TPS frame the screens ran on.
    Columns: ``kode_wilayah``, ``n_tps``, ``n_tps_ditandai``, ``porsi_ditandai`` and one
    ``n_<screen>`` per TPS screen (TPS hitting it).
    """
    t = tps.select("kode_tps").unique().with_columns(tps_to_desa("kode_tps").alias("kode_desa"))
    t = (
        t.with_columns(_unit_col(tier))
        .group_by("kode_wilayah")
        .agg(pl.len().cast(pl.Int64).alias("n_tps"))
    )
    h = hits.with_columns(tps_to_desa("kode_tps").alias("kode_desa")).with_columns(_unit_col(tier))
    flagged = h.group_by("kode_wilayah").agg(
        pl.col("kode_tps").n_unique().cast(pl.Int64).alias("n_tps_ditandai"),
        *[
            pl.col("kode_tps")
            .filter(pl.col("penapisan") == code)
            .n_unique()
            .cast(pl.Int64)
            .alias(f"n_{code}")
            for code in (
                "ocr_ratusan",
                "partisipasi_lebih_dpt",
                "paslon_dominan",
                "partisipasi_menyimpang",
            )
        ],
    )
    out = t.join(flagged, on="kode_wilayah", how="left").fill_null(0)
    return out.with_columns(
        (pl.col("n_tps_ditandai") / pl.col("n_tps")).alias("porsi_ditandai")
    ).sort("kode_wilayah")
