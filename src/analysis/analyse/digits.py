"""Digit screens per unit, the turnout–winner-share correlation and its fingerprint histogram.

Per unit (:func:`digit_screens`): last-digit mean (expected 4.5), second-digit mean for counts ≥ 10
(2BL, expected 4.187), share of counts ending in 0 or 5 (expected 0.2), each with a bootstrap 95%
interval, flagged when the interval excludes the expected value (Election Forensics Toolkit) and
the mean is at least ``penapisan.digit_min_deviation`` from it (a practical floor: bounded TPS
counts sit slightly off the textbook values, which thousands of counts make "significant"); and
the turnout–winner-share correlation. The tests are the registry :data:`DIGIT_TESTS`.
:func:`fingerprint` gives the turnout × winner-share 2-D histogram of Klimek et al. (2012). With at
most 600 voters per TPS most counts have 2–3 digits: digit tests are weak here, and every output
says "penapisan", not "temuan".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from analysis.analyse.intervals import IntervalMemo, interval_key
from analysis.analyse.screens import in_force, voters_expr
from analysis.domain.regions import NATIONAL, TIERS, ancestor_expr, inside_expr
from analysis.settings import Penapisan, Settings, default_settings

CORRELATION = "korelasi_partisipasi_suara"
CORRELATION_LABEL = "Korelasi partisipasi × suara pemenang"
CORRELATION_MIN_TPS = 10  # fewer TPS give a correlation too noisy to mention

# --- Bootstrap ----------------------------------------------------------------------------------


def last_digit(x: np.ndarray) -> np.ndarray:
    return x % 10


def second_digit(x: np.ndarray) -> np.ndarray:
    """Second significant digit of integers ≥ 10."""
    k = np.floor(np.log10(x)).astype(np.int64)
    return (x // (10 ** (k - 1))) % 10


def _streams(streams: np.ndarray | None, n_groups: int) -> np.ndarray:
    return np.arange(n_groups, dtype=np.uint64) if streams is None else streams


def bootstrap_digit_means(
    digits: np.ndarray, groups: np.ndarray, n_groups: int, samples: int, seed: int,
    min_n: int = 1, streams: np.ndarray | None = None, memo: IntervalMemo | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Mean digit per group with a percentile bootstrap 95% interval.

    Resampling n digits with replacement from a group's digits is a multinomial draw from its
    digit frequencies, so the bootstrap runs on 10-bin counts. Each group draws from its own
    random stream, ``(seed, streams[group])`` (the group's index when None): its interval depends
    on its own digits only, so new counts elsewhere leave it as it was — and ``memo`` (intervals
    kept from the last run, :mod:`analysis.analyse.intervals`) gives it without drawing when its
    frequencies are those of then. Groups with fewer than ``min_n`` digits get no interval (NaN).
    Returns (n, mean, lower, upper) per group.
    """
    freq = np.zeros((n_groups, 10), dtype=np.int64)
    np.add.at(freq, (groups, digits), 1)
    n = freq.sum(axis=1)
    mean = np.divide(freq @ np.arange(10), n, out=np.full(n_groups, np.nan), where=n > 0)
    lo, hi = _intervals(
        np.flatnonzero(n >= max(min_n, 1)), n_groups, _streams(streams, n_groups), seed, memo,
        lambda g: ("rerata", samples, freq[g].tolist()),
        # resampled digit sums: multinomial draws of the 10 bins, (B, 10) @ digits
        lambda rng, g: (rng.multinomial(n[g], freq[g] / n[g], size=samples) @ np.arange(10)) / n[g],
    )  # fmt: skip
    return n, mean, lo, hi


def bootstrap_share(
    hits: np.ndarray, groups: np.ndarray, n_groups: int, samples: int, seed: int,
    min_n: int = 1, streams: np.ndarray | None = None, memo: IntervalMemo | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Share of True per group with a percentile bootstrap 95% interval (binomial draws, each
    group from its own stream and ``memo`` as in :func:`bootstrap_digit_means`)."""
    n = np.bincount(groups, minlength=n_groups)
    k = np.bincount(groups, weights=hits.astype(float), minlength=n_groups)
    share = np.divide(k, n, out=np.full(n_groups, np.nan), where=n > 0)
    lo, hi = _intervals(
        np.flatnonzero(n >= max(min_n, 1)), n_groups, _streams(streams, n_groups), seed, memo,
        lambda g: ("porsi", samples, int(n[g]), int(k[g])),
        lambda rng, g: rng.binomial(n[g], share[g], size=samples) / n[g],
    )  # fmt: skip
    return n, share, lo, hi


def _intervals(
    groups: np.ndarray, n_groups: int, streams: np.ndarray, seed: int, memo: IntervalMemo | None,
    what: Callable[[int], tuple], draw: Callable[[np.random.Generator, int], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """The 2.5 and 97.5 percentiles of ``draw(rng, g)`` for each group ``g`` of ``groups``, drawn
    from the group's own stream ``(seed, streams[g])`` — or taken from ``memo`` when ``what(g)``
    (what decides the draws besides seed and stream) is that of an interval kept there; NaN for
    the other groups."""
    lo = np.full(n_groups, np.nan)
    hi = np.full(n_groups, np.nan)
    for g in groups:
        key = interval_key(seed, int(streams[g]), *what(g))
        held = memo.get(key) if memo is not None else None
        if held is None:
            rng = np.random.default_rng((seed, int(streams[g])))
            held = tuple(np.percentile(draw(rng, g), [2.5, 97.5]).tolist())
            if memo is not None:
                memo.put(key, *held)
        lo[g], hi[g] = held
    return lo, hi


def group_streams(keys: pl.DataFrame) -> np.ndarray:
    """A random stream per unit × contest from its codes (the same unit, the same stream, in
    every run and whatever other units the data holds)."""
    text = keys.select(pl.concat_str("kode_wilayah", "kode_kontestasi", separator="|")).to_series()
    return np.array(
        [int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "big") for t in text],
        dtype=np.uint64,
    )


# --- The digit tests ----------------------------------------------------------------------------

Interval = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Counts:
    """The per-paslon vote counts of every TPS, grouped by unit × contest (``g`` indexes keys)."""

    x: np.ndarray
    g: np.ndarray
    n_groups: int
    samples: int
    streams: np.ndarray  # each group's random stream (:func:`group_streams`)
    memo: IntervalMemo | None = None  # intervals kept from the last run


def _digit_mean(c: Counts, m: np.ndarray, digits: np.ndarray, p: Penapisan, seed: int) -> Interval:
    """The mean of ``digits`` (of the counts ``m`` selects) per group, with its interval."""
    return bootstrap_digit_means(
        digits, c.g[m], c.n_groups, c.samples, seed, p.digit_min_counts, c.streams, c.memo
    )


def _last_digit_mean(c: Counts, p: Penapisan, seed: int) -> Interval:
    m = c.x >= p.last_digit_min_value
    return _digit_mean(c, m, last_digit(c.x[m]), p, seed)


def _second_digit_mean(c: Counts, p: Penapisan, seed: int) -> Interval:
    m = c.x >= 10
    return _digit_mean(c, m, second_digit(c.x[m]), p, seed)


def _share_ending_0_5(c: Counts, p: Penapisan, seed: int) -> Interval:
    m = c.x >= p.last_digit_min_value
    ends = np.isin(c.x[m] % 10, (0, 5))
    return bootstrap_share(
        ends, c.g[m], c.n_groups, c.samples, seed, p.digit_min_counts, c.streams, c.memo
    )


@dataclass(frozen=True)
class DigitTest:
    """One digit test: id (the ``uji`` value), label, expected value under clean counts
    (Election Forensics Toolkit; Mebane), the settings it reads, its bootstrap."""

    id: str
    label: str
    expected: float
    settings: tuple[str, ...]
    fn: Callable[[Counts, Penapisan, int], Interval]


_COMMON = (
    "penapisan.digit_min_counts",
    "penapisan.digit_min_deviation",
    "penapisan.bootstrap_samples",
    "penapisan.bootstrap_seed",
)
DIGIT_TESTS: tuple[DigitTest, ...] = (
    DigitTest(
        "rerata_digit_akhir",
        "Rerata digit terakhir",
        4.5,
        ("penapisan.last_digit_min_value", *_COMMON),
        _last_digit_mean,
    ),
    DigitTest("rerata_digit_kedua", "Rerata digit kedua (2BL)", 4.187, _COMMON, _second_digit_mean),
    DigitTest(
        "porsi_akhir_0_5",
        "Porsi angka berakhiran 0 atau 5",
        0.2,
        ("penapisan.last_digit_min_value", *_COMMON),
        _share_ending_0_5,
    ),
)
#: Test id -> label, the digit tests then the correlation.
TEST_LABELS: dict[str, str] = {t.id: t.label for t in DIGIT_TESTS} | {
    CORRELATION: CORRELATION_LABEL
}


def _unit_col(tier: str) -> pl.Expr:
    return ancestor_expr("kode_desa", TIERS.index(tier)).alias("kode_wilayah")


def _test_frame(keys: pl.DataFrame, test: DigitTest, interval: Interval) -> pl.DataFrame:
    n, m, lo, hi = interval
    return keys.select("kode_wilayah", "kode_kontestasi").with_columns(
        pl.lit(test.id).alias("uji"),
        pl.Series("n", n, dtype=pl.Int64),
        pl.Series("nilai", m, dtype=pl.Float64).round(4),
        pl.lit(test.expected).alias("harapan"),
        pl.Series("batas_bawah", lo, dtype=pl.Float64).round(4),
        pl.Series("batas_atas", hi, dtype=pl.Float64).round(4),
    )


def _flag(p: Penapisan) -> pl.Expr:
    """The interval excludes the expected value and the mean is at least the floor away."""
    floor = pl.col("uji").replace_strict(
        p.digit_min_deviation, default=0.0, return_dtype=pl.Float64
    )
    outside = (pl.col("harapan") < pl.col("batas_bawah")) | (
        pl.col("harapan") > pl.col("batas_atas")
    )
    return outside & ((pl.col("nilai") - pl.col("harapan")).abs() >= floor)


def _run_digit_tests(
    v: pl.DataFrame, p: Penapisan, samples: int, memo: IntervalMemo | None = None
) -> pl.DataFrame:
    """Every test of :data:`DIGIT_TESTS` per unit × contest of ``v`` (which has kode_wilayah)."""
    keys = (
        v.select("kode_wilayah", "kode_kontestasi")
        .unique()
        .sort("kode_wilayah", "kode_kontestasi")
        .with_row_index("g")
    )
    v = v.join(keys, on=["kode_wilayah", "kode_kontestasi"])
    counts = Counts(
        v["suara"].to_numpy().astype(np.int64),
        v["g"].to_numpy().astype(np.int64),
        keys.height,
        samples,
        group_streams(keys),
        memo,
    )
    # cost is linear in samples: ~1.5 ms per unit × contest × test at 1000
    frames = [
        _test_frame(keys, t, t.fn(counts, p, p.bootstrap_seed + i))
        for i, t in enumerate(DIGIT_TESTS)
    ]
    return (
        pl.concat(frames)
        .filter(pl.col("n") >= p.digit_min_counts)
        .with_columns(_flag(p).alias("ditandai"))
    )


def digit_screens(
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    tier: str = "kabkota",
    as_of: dt.datetime | None = None,
    settings: Settings | None = None,
    current: bool = False,
    samples: int | None = None,
    memo: IntervalMemo | None = None,
) -> pl.DataFrame:
    """Digit screens and turnout–share correlation per unit of ``tier`` × contest.

    Grain: one row per unit × contest × test. Columns: ``kode_wilayah``, ``kode_kontestasi``,
    ``uji`` (a :data:`DIGIT_TESTS` id or korelasi_partisipasi_suara), ``uji_label``, ``n`` (counts
    or TPS used), ``nilai``, ``harapan``, ``batas_bawah``, ``batas_atas`` (bootstrap 95%; null for
    the correlation), ``ditandai`` (the interval excludes ``harapan`` and ``|nilai − harapan|`` ≥
    ``penapisan.digit_min_deviation``). Units with fewer than ``penapisan.digit_min_counts``
    counts are left out. The counts are the per-paslon vote counts of every TPS in the unit.
    ``samples`` overrides ``penapisan.bootstrap_samples`` (the cost is linear in it); ``memo``:
    the intervals kept from the last run (:mod:`analysis.analyse.intervals`), the same figures.
    """
    s = settings or default_settings()
    p = s.penapisan
    cur, v = in_force(tps, votes, as_of, current)
    v = v.with_columns(_unit_col(tier)).filter(pl.col("kode_wilayah").is_not_null())
    digits = _run_digit_tests(v, p, samples or p.bootstrap_samples, memo)
    corr = _turnout_share_correlation(cur, v, tier, p.correlation_abs)
    out = pl.concat([digits, corr], how="diagonal_relaxed").with_columns(
        pl.col("uji").replace_strict(TEST_LABELS, default=pl.col("uji")).alias("uji_label")
    )
    cols = ["kode_wilayah", "kode_kontestasi", "uji", "uji_label", "n", "nilai", "harapan"]
    return out.select(cols + ["batas_bawah", "batas_atas", "ditandai"]).sort(
        "kode_wilayah", "kode_kontestasi", "uji"
    )


# --- Turnout × winner share ---------------------------------------------------------------------


def _winner_share(cur: pl.DataFrame, v: pl.DataFrame) -> pl.DataFrame:
    """Per TPS × contest: turnout and the share of the contest's overall winner (within the data)."""
    totals = v.group_by("kode_kontestasi", "nomor_urut").agg(pl.col("suara").sum())
    winner = (
        totals.sort(["suara", "nomor_urut"], descending=[True, False])
        .group_by("kode_kontestasi", maintain_order=True)
        .first()
        .select("kode_kontestasi", pl.col("nomor_urut").alias("pemenang"))
    )
    won = pl.col("suara").filter(pl.col("nomor_urut") == pl.col("pemenang"))
    per_tps = (
        v.join(winner, on="kode_kontestasi")
        .group_by("kode_tps", "kode_kontestasi")
        .agg(pl.col("suara").sum().alias("jumlah"), won.sum().alias("suara_pemenang"))
    )
    return (
        cur.select(
            "kode_tps",
            "kode_kontestasi",
            "kode_desa",
            "pemilih_dpt",
            voters_expr(cur).alias("pengguna"),
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
        .filter((pl.col("n") >= CORRELATION_MIN_TPS) & pl.col("nilai").is_not_nan())
        .with_columns(
            pl.lit(CORRELATION).alias("uji"),
            pl.lit(0.0).alias("harapan"),
            (pl.col("nilai").abs() > threshold).alias("ditandai"),
        )
    )


def fingerprint(
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    unit: str = NATIONAL,
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
    cur, v = in_force(tps, votes, as_of, current)
    ws = _winner_share(
        cur.filter(inside_expr("kode_desa", unit)), v.filter(inside_expr("kode_desa", unit))
    )

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
