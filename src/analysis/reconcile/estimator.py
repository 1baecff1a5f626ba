"""The separate ratio estimator of each paslon's share, with its variance: the one formula the
projections use (``docs/domain.md`` §11).

Within stratum *h* of a contest, ``N_h`` TPS hold ``X_h`` registered voters (DPT, known for every
TPS); ``n_h`` of them are in. For paslon *j* the estimated total is the separate ratio estimate
Ŷ_j = Σ_h X_h · (Σ y_j / Σ x)_h over the TPS in, and likewise V̂ for the valid votes; the share is
P̂_j = Ŷ_j / V̂. Its variance is the ratio estimator's (Cochran, *Sampling Techniques*, 3rd ed.,
ch. 6, the separate ratio estimate in stratified sampling) applied to the residual
d = y_j − P̂_j · v (Taylor linearisation of a ratio of two estimated totals):

    v(P̂_j) = Σ_h N_h² (1 − n_h/N_h) / n_h · s²_e,h / V̂²,
    s²_e,h = Σ_i (d_i − R_d,h x_i)² / (n_h − 1),   R_d,h = Σ d / Σ x in h.

Every sum is taken once per stratum and half (Σx, Σx², Σv, Σv², Σvx; Σy, Σy², Σyv, Σyx per paslon),
on integer keys, so a national run (≈860,000 TPS × contest, ≈3 million vote rows) costs one join
and a few group-bys:
Σ(d − R x)² = Σd² − 2R·Σdx + R²·Σx², with Σd² = Σy² − 2P·Σyv + P²·Σv² and Σdx = Σyx − P·Σvx.

**Arrival order.** Counts do not arrive at random: within a stratum the TPS near the road come
first. When ``units`` carry ``_urut`` (when each count arrived), the units in are split into the
earlier and the later half of their stratum; D_h = R_d(later) − R_d(earlier) is the drift of the
residual ratio along the arrival order. Taking the drift as linear in the arrival quantile, the
units not yet in differ from those in by D_h / f_h (f_h = n_h / N_h), so Ŷ_d gains
B_h = (X_h − x_h) · D_h / f_h and the variance gains ((X_h − x_h) / f_h)² · v(D_h), with
v(D_h) = s²_e,h / x̄_h² · (1/n_early + 1/n_late). Early in the night f_h is small and the margin is
wide — the honest answer; as strata fill up the correction and its variance vanish. With random
arrival D_h is noise around 0 and the interval stays a plain ratio estimator's (measured by
:mod:`.simulation`).

Inputs (all polars):

- ``units``: one row per TPS × contest of the population — ``kode_kontestasi``, ``_u`` (a unit
  key), ``_h`` (its stratum), ``x`` (DPT), ``masuk`` (whether its count is in), optionally
  ``_urut`` (when its count arrived);
- ``votes``: one row per unit in × paslon — ``_u``, ``nomor_urut``, ``y`` (votes).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist

import polars as pl

CONTEST = "kode_kontestasi"
K = "_k"  # the contest as an integer key (hash of its code)
STRATUM = [K, "_h"]
CELL = [*STRATUM, "nomor_urut"]
HALF = [*STRATUM, "_akhir"]

_UNIT_SUMS = {
    "sx": pl.col("x"),
    "sxx": pl.col("x") ** 2,
    "sv": pl.col("v"),
    "svv": pl.col("v") ** 2,
    "svx": pl.col("v") * pl.col("x"),
}
_CELL_SUMS = {
    "sy": pl.col("y"),
    "syy": pl.col("y") ** 2,
    "syv": pl.col("y") * pl.col("v"),
    "syx": pl.col("y") * pl.col("x"),
}
SUMS = [*_UNIT_SUMS, *_CELL_SUMS]
_SLOTS = 256  # nomor urut −128…127 in one integer key (ingest files unknown paslon under −1, −2, …)


def z_value(confidence: float) -> float:
    """Two-sided normal quantile of a confidence level (0.95 → 1.96)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def _keyed(units: pl.DataFrame) -> pl.DataFrame:
    """``units`` with the integer contest key ``_k``."""
    return units if K in units.columns else units.with_columns(pl.col(CONTEST).hash().alias(K))


def collapse_strata(units: pl.DataFrame, levels: Sequence[str], min_n: int) -> pl.DataFrame:
    """``units`` with its final stratum ``_h``: the finest level whose stratum has at least
    ``min_n`` units in, or all of its units; a stratum short of that joins the pool of the next
    level (with the other short strata of that pool). A last-level pool still short joins the
    largest stratum kept in its unit; ``_kurang``: the unit kept none and its pool is short.

    ``levels``: columns of ``units`` naming each unit's stratum at each level, finest first.
    """
    out, rest = [], _keyed(units)
    enough = (pl.col("_n") >= min_n) | (pl.col("_n") == pl.col("_N"))  # a complete one needs none
    for i, col in enumerate(levels):
        key = [K, col]
        sizes = rest.group_by(key).agg(pl.col("masuk").sum().alias("_n"), pl.len().alias("_N"))
        rest = rest.join(sizes, on=key, how="left")
        keep = enough | pl.lit(i == len(levels) - 1)
        out.append(
            rest.filter(keep).with_columns(
                pl.col(col).hash(seed=i).alias("_h"),
                pl.lit(i, dtype=pl.Int64).alias("_tingkat"),
                (~enough).alias("_kurang"),
            )
        )
        rest = rest.filter(~keep).drop("_n", "_N")
    return _absorb_short(pl.concat(out, how="diagonal_relaxed").drop("_n", "_N"), levels)


def _absorb_short(units: pl.DataFrame, levels: Sequence[str]) -> pl.DataFrame:
    """A last-level unit's leftover pool that is short joins the largest stratum kept in that
    unit (so filling strata never silences a projection that already spoke); it stays short
    (``_kurang``) only when the unit kept no stratum at all."""
    key = [K, levels[-1]]
    kept = (
        units.filter(~pl.col("_kurang"))
        .group_by(*key, "_h")
        .agg(pl.col("masuk").sum().alias("_m"), pl.col("_tingkat").first().alias("_lv"))
        .sort(*key, "_m", "_h", descending=[False, False, True, False])
        .unique(key, keep="first", maintain_order=True)
        .select(*key, pl.col("_h").alias("_h_besar"), "_lv")
    )
    merge = pl.col("_kurang") & pl.col("_h_besar").is_not_null()
    return (
        units.join(kept, on=key, how="left")
        .with_columns(
            pl.when(merge).then(pl.col("_h_besar")).otherwise(pl.col("_h")).alias("_h"),
            pl.when(merge).then(pl.col("_lv")).otherwise(pl.col("_tingkat")).alias("_tingkat"),
            (pl.col("_kurang") & ~merge).alias("_kurang"),
        )
        .drop("_h_besar", "_lv")
    )


def by_unit(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` sorted on ``_u`` and flagged so: joins and group-bys on ``_u`` then take polars'
    sorted paths (several times faster on millions of vote rows, which reconcile already keeps
    in key order)."""
    if df["_u"].is_sorted():
        return df.with_columns(pl.col("_u").set_sorted())
    return df.sort("_u")


def _units_in(units: pl.DataFrame, votes: pl.DataFrame) -> pl.DataFrame:
    """The units in: key, stratum, ``x``, valid votes ``v`` and ``_akhir`` (in the later half of
    their stratum's arrivals; all False without ``_urut``)."""
    valid = votes.group_by("_u").agg(pl.col("y").sum().cast(pl.Float64).alias("v"))
    order = ["_urut"] if "_urut" in units.columns else []
    inn = (
        by_unit(units.filter("masuk").select("_u", *STRATUM, pl.col("x").cast(pl.Float64), *order))
        .join(by_unit(valid), on="_u", how="left", maintain_order="left")
        .with_columns(pl.col("v").fill_null(0.0))
    )
    if "_urut" not in inn.columns:
        return inn.with_columns(pl.lit(False).alias("_akhir"))
    rank = pl.col("_urut").rank("ordinal").over(STRATUM)
    return inn.with_columns((rank > pl.len().over(STRATUM) / 2).alias("_akhir")).drop("_urut")


def _half_sums(inn: pl.DataFrame, votes: pl.DataFrame) -> pl.DataFrame:
    """Per stratum × half × paslon: the unit sums and the paslon's sums (0 where it has none).

    The one pass over every vote row groups on a single dense integer (stratum × half) key.
    """
    unit = (
        inn.group_by(HALF)
        .agg(pl.len().alias("n"), *[e.sum().alias(k) for k, e in _UNIT_SUMS.items()])
        .with_row_index("_g")
    )
    keyed = inn.join(unit.select(*HALF, "_g"), on=HALF, maintain_order="left").select(
        "_u", "_g", "x", "v"
    )
    slot = pl.col("_g").cast(pl.Int64) * _SLOTS + pl.col("nomor_urut") + _SLOTS // 2
    cell = (
        votes.select("_u", "nomor_urut", pl.col("y").cast(pl.Float64))
        .join(by_unit(keyed), on="_u")
        .group_by(slot.alias("_c"))  # one integer key: stratum × half × paslon
        .agg(*[e.sum().alias(k) for k, e in _CELL_SUMS.items()])
        .select(
            (pl.col("_c") // _SLOTS).cast(pl.UInt32).alias("_g"),
            (pl.col("_c") % _SLOTS - _SLOTS // 2).alias("nomor_urut"),
            *_CELL_SUMS,
        )
    )
    paslon = cell.join(unit.select("_g", K), on="_g").select(K, "nomor_urut").unique()
    return (
        unit.join(paslon, on=K)
        .join(cell, on=["_g", "nomor_urut"], how="left")
        .with_columns(pl.col(k).fill_null(0.0) for k in _CELL_SUMS)
        .drop("_g")
    )


def _cells(halves: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """Per stratum × paslon: N and X of the stratum, n and every sum over both halves; in cell
    order, so the sums over cells that follow add in one order every run (a group's order out of
    a parallel group-by varies, and so would the last bits of a float sum)."""
    pop = units.group_by(STRATUM).agg(
        pl.len().alias("N"), pl.col("x").sum().cast(pl.Float64).alias("X")
    )
    return (
        halves.group_by(CELL)
        .agg(pl.col("n").sum(), pl.col(SUMS).sum())
        .join(pop, on=STRATUM)
        .sort(CELL)
    )


def _ratio(num: str) -> pl.Expr:
    """``num`` per registered voter among the TPS in (0 where none is in)."""
    return pl.when(pl.col("sx") > 0).then(pl.col(num) / pl.col("sx")).otherwise(0.0)


def _with_share(cells: pl.DataFrame, units: pl.DataFrame) -> pl.DataFrame:
    """Each cell with its contest's projected share ``p`` of the paslon and total valid ``V``
    (strata with no unit in count toward neither; the collapse leaves none but short ones)."""
    return (
        cells.with_columns((pl.col("X") * _ratio("sy")).alias("_yhat"))
        .with_columns(
            pl.col("_yhat").sum().over(K, "nomor_urut").alias("_Y"),
            # V̂: every paslon's Ŷ of the contest (each stratum counted once per paslon)
            pl.col("_yhat").sum().over(K).alias("V"),
        )
        .with_columns(pl.when(pl.col("V") > 0).then(pl.col("_Y") / pl.col("V")).alias("p"))
    )


def _resid_var() -> pl.Expr:
    """s²_e of the residual d = y − p·v about its ratio in one stratum (null when n < 2)."""
    p = pl.col("p")
    sd = pl.col("sy") - p * pl.col("sv")
    sdd = pl.col("syy") - 2 * p * pl.col("syv") + p**2 * pl.col("svv")
    sdx = pl.col("syx") - p * pl.col("svx")
    r = pl.when(pl.col("sx") > 0).then(sd / pl.col("sx")).otherwise(0.0)
    sse = (sdd - 2 * r * sdx + r**2 * pl.col("sxx")).clip(lower_bound=0.0)
    return pl.when(pl.col("n") >= 2).then(sse / (pl.col("n") - 1))


def _stratum_variance() -> pl.Expr:
    """N² (1 − n/N) s²_e / n of the residual d = y − p·v in one stratum: 0 when every unit is in,
    null when fewer than two are (no spread to estimate)."""
    n, big_n = pl.col("n"), pl.col("N")
    fpc = (1 - n / big_n).clip(lower_bound=0.0)
    return (
        pl.when(n >= big_n)  # every unit in: nothing left to estimate
        .then(0.0)
        .when(n >= 2)
        .then(big_n**2 * fpc * pl.col("_s2") / n)
    )


def _drift(cells: pl.DataFrame, halves: pl.DataFrame) -> pl.DataFrame:
    """Each cell with ``_bias`` and ``_var_bias``: the units in drift from the earlier to the
    later half of their arrivals; carried on to the units not yet in (a linear trend in arrival
    order: the missing ones differ from those in by the drift ÷ the share in)."""
    cols = ["n", "sx", "sv", "sy"]
    early = halves.filter(~pl.col("_akhir")).select(
        *CELL, *[pl.col(c).alias(f"_{c}") for c in cols]
    )
    late = halves.filter("_akhir").select(*CELL, *[pl.col(c).alias(f"_{c}_l") for c in cols])
    p = pl.col("p")
    d_e = (pl.col("_sy") - p * pl.col("_sv")) / pl.col("_sx")
    d_l = (pl.col("_sy_l") - p * pl.col("_sv_l")) / pl.col("_sx_l")
    scale = (pl.col("X") - pl.col("sx")) / (pl.col("n") / pl.col("N"))
    xbar = pl.col("sx") / pl.col("n")
    var_d = pl.col("_s2") / xbar**2 * (1 / pl.col("_n") + 1 / pl.col("_n_l"))
    ok = (pl.col("_n") >= 2) & (pl.col("_n_l") >= 2) & (pl.col("n") < pl.col("N"))
    return (
        cells.join(early, on=CELL, how="left")
        .join(late, on=CELL, how="left")
        .with_columns(
            pl.when(ok).then(scale * (d_l - d_e)).otherwise(0.0).alias("_bias"),
            pl.when(ok).then(scale**2 * var_d).otherwise(0.0).alias("_var_bias"),
        )
    )


def ratio_shares(units: pl.DataFrame, votes: pl.DataFrame, z: float) -> pl.DataFrame:
    """One row per contest × paslon: the projected share ``persen_proyeksi``, its half-width
    ``galat`` at ``z``, the interval ``persen_bawah``–``persen_atas`` (clipped to 0–1), and the
    plain share among the TPS in ``persen_terhitung``. ``galat`` is null when a stratum has fewer
    than two units in (no variance to speak of). With ``_urut`` in ``units``, the arrival drift
    is corrected for (module docstring)."""
    units, votes = _keyed(units), by_unit(votes)
    inn = _units_in(units, votes)
    halves = _half_sums(inn, votes)
    if halves.is_empty():
        return _EMPTY
    cells = _with_share(_cells(halves, units), units).with_columns(_resid_var().alias("_s2"))
    cells = _drift(cells.with_columns(_stratum_variance().alias("_var")), halves)
    names = units.select(K, CONTEST).unique(K)
    out = (
        cells.group_by(K, "nomor_urut")
        .agg(
            (pl.col("p").first() + pl.col("_bias").sum() / pl.col("V").first()).alias(
                "persen_proyeksi"
            ),
            pl.col("V").first(),
            (pl.col("sy").sum() / pl.col("sv").sum()).alias("persen_terhitung"),
            (pl.col("_var").sum() + pl.col("_var_bias").sum()).alias("_var"),
            pl.col("_var").null_count().alias("_tanpa"),
        )
        .with_columns(
            pl.when(pl.col("_tanpa") == 0)
            .then(z * pl.col("_var").sqrt() / pl.col("V"))
            .alias("galat")
        )
        .join(names, on=K)
    )
    return out.select(
        CONTEST,
        "nomor_urut",
        "persen_terhitung",
        "persen_proyeksi",
        "galat",
        (pl.col("persen_proyeksi") - pl.col("galat")).clip(lower_bound=0.0).alias("persen_bawah"),
        (pl.col("persen_proyeksi") + pl.col("galat")).clip(upper_bound=1.0).alias("persen_atas"),
    ).sort(CONTEST, "nomor_urut")


_EMPTY = pl.DataFrame(
    schema={
        CONTEST: pl.String,
        "nomor_urut": pl.Int64,
        "persen_terhitung": pl.Float64,
        "persen_proyeksi": pl.Float64,
        "galat": pl.Float64,
        "persen_bawah": pl.Float64,
        "persen_atas": pl.Float64,
    }
)


def coverage(units: pl.DataFrame) -> pl.DataFrame:
    """Per contest: TPS and DPT in the population and in, and the number of strata."""
    return units.group_by(CONTEST).agg(
        pl.len().alias("tps_populasi"),
        pl.col("masuk").sum().cast(pl.Int64).alias("tps_masuk"),
        pl.col("x").sum().cast(pl.Int64).alias("dpt_populasi"),
        pl.col("x").filter("masuk").sum().cast(pl.Int64).alias("dpt_masuk"),
        pl.col("_h").n_unique().cast(pl.Int64).alias("strata"),
    )
