"""Reconcile the desk's internal count against KPU's official results, at every level of the tree.

The desk's report and KPU's Sirekap record of a TPS are sibling submissions for the same TPS × contest
(KawalPemilu's practice, DOMAIN §4–§5); statuses are derived from comparing them:

- ``cocok``: both sources, every paslon equal within ``tolerances.reconcile_votes``;
- ``selisih``: both sources, some paslon differs (per-paslon and total differences kept);
- ``hanya_internal`` / ``hanya_kpu``: only one source has the TPS × contest yet;
- ``kpu_direvisi``: KPU's votes changed since the previous as-of (both values kept);
- ``belum_masuk``: an expected TPS (ref_tps) neither source has yet.

Everything is computed "as of" a time T: the internal report in force is the latest with
``waktu_laporan <= T``, the KPU record the latest pull with ``waktu_tarik <= T``. Roll-ups from desa to
the national root ``"00"`` are sums of the level below, so each level equals the sum of its parts.
Each run is kept under ``processed/history/<as_of>/`` so a pack can say what changed since the
previous report.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from analysis import catalog
from analysis.domain.regions import NATIONAL as NATIONAL_CODE
from analysis.domain.regions import time_zone
from analysis.domain.regions import tps_desa_expr as tps_to_desa
from analysis.schemas import (
    OFFICIAL_REGION,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    PASLON,
    RECON_KONTESTASI,
    RECON_PERKIRAAN,
    RECON_PERUBAHAN,
    RECON_PERUBAHAN_WILAYAH,
    RECON_RUN,
    RECON_STATUSES,
    RECON_TPS,
    RECON_TPS_PASLON,
    RECON_WILAYAH,
    RECON_WILAYAH_STATUS,
    TALLY,
    TALLY_VOTES,
    TPS,
    Dataset,
)
from analysis.settings import Settings, default_settings

PAIR = ["kode_tps", "kode_kontestasi"]
LEVELS: tuple[tuple[str, int], ...] = (
    # tier, length of its dotted code (desa 13 = "16.71.01.1001")
    ("kecamatan", 8),
    ("kabkota", 5),
    ("provinsi", 2),
)
Z95 = 1.959963984540054  # two-sided 95% normal quantile
ESTIMATE_NOTE = (
    "perkiraan dari TPS yang sudah masuk (rasio per kab/kota terhadap DPT, selang 95%) — "
    "bukan hasil resmi; mengandaikan TPS yang belum masuk serupa dengan yang sudah"
)
HISTORY = "history"
_CONTEST_SLOTS = 1000  # contest index slots in the integer pair key
_PASLON_SLOTS = 100  # nomor urut slots in the integer vote key
_PASLON_OFFSET = 50  # nomor urut -50..49 fit in a slot

OUTPUTS: dict[str, Dataset] = {
    "tps_paslon": RECON_TPS_PASLON,
    "tps": RECON_TPS,
    "wilayah": RECON_WILAYAH,
    "wilayah_status": RECON_WILAYAH_STATUS,
    "kontestasi": RECON_KONTESTASI,
    "perkiraan": RECON_PERKIRAAN,
    "perubahan": RECON_PERUBAHAN,
    "perubahan_wilayah": RECON_PERUBAHAN_WILAYAH,
    "run": RECON_RUN,
}


class ReconcileError(ValueError):
    """Inputs that cannot be reconciled (missing columns, bad times): the message says what."""


@dataclass
class ReconInputs:
    """The processed datasets reconciliation reads (every accepted version / pull)."""

    tally_tps: pl.DataFrame
    tally_votes: pl.DataFrame
    official_tps: pl.DataFrame
    official_votes: pl.DataFrame
    official_region: pl.DataFrame
    ref_tps: pl.DataFrame
    ref_paslon: pl.DataFrame


@dataclass
class ReconResult:
    """One reconciliation as of a time: every recon_* frame (attributes named after OUTPUTS)."""

    as_of: dt.datetime
    previous_as_of: dt.datetime | None
    tps_paslon: pl.DataFrame
    tps: pl.DataFrame
    wilayah: pl.DataFrame
    wilayah_status: pl.DataFrame
    kontestasi: pl.DataFrame
    perkiraan: pl.DataFrame
    perubahan: pl.DataFrame = field(default_factory=RECON_PERUBAHAN.empty)
    perubahan_wilayah: pl.DataFrame = field(default_factory=RECON_PERUBAHAN_WILAYAH.empty)
    run: pl.DataFrame = field(default_factory=RECON_RUN.empty)
    timings: dict[str, float] = field(default_factory=dict)

    def frames(self) -> dict[str, pl.DataFrame]:
        """Dataset name -> frame, conformed to its schema (private ``_`` keys dropped)."""
        return {
            ds.name: ds.conform(getattr(self, attr)).select(list(ds.columns))
            for attr, ds in OUTPUTS.items()
        }


# --- inputs --------------------------------------------------------------------------------------


def _utc(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        raise ReconcileError(f"as-of time {t.isoformat()} needs a UTC offset, e.g. +07:00")
    return t.astimezone(dt.UTC)


def _conformed(ds: Dataset, df: pl.DataFrame, where: str) -> pl.DataFrame:
    missing = [k for k in ds.key if k not in df.columns]
    if missing:
        raise ReconcileError(f"{where}: dataset {ds.name} lacks key columns {missing}")
    return ds.conform(df)


def make_inputs(
    tally_tps: pl.DataFrame | None = None,
    tally_votes: pl.DataFrame | None = None,
    official_tps: pl.DataFrame | None = None,
    official_votes: pl.DataFrame | None = None,
    official_region: pl.DataFrame | None = None,
    ref_tps: pl.DataFrame | None = None,
    ref_paslon: pl.DataFrame | None = None,
    where: str = "inputs",
) -> ReconInputs:
    """Inputs conformed to their schemas; an absent dataset is an empty frame."""
    pairs = [
        (TALLY, tally_tps),
        (TALLY_VOTES, tally_votes),
        (OFFICIAL_TPS, official_tps),
        (OFFICIAL_VOTES, official_votes),
        (OFFICIAL_REGION, official_region),
        (TPS, ref_tps),
        (PASLON, ref_paslon),
    ]
    frames = [ds.empty() if df is None else _conformed(ds, df, where) for ds, df in pairs]
    return ReconInputs(*frames)


def load_inputs(processed: Path) -> ReconInputs:
    """Read reconciliation's inputs from a processed folder (absent ones are empty).

    Only the columns reconciliation uses are read (the tables are wide; a national run reads
    millions of rows).
    """
    frames = {}
    for name, cols in _INPUT_COLUMNS.items():
        path = catalog.processed_path(name, root=Path(processed))
        if not path.exists():
            frames[name] = None
            continue
        try:
            have = pl.read_parquet_schema(path)
            frames[name] = pl.read_parquet(path, columns=[c for c in cols if c in have] or None)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise ReconcileError(f"{path}: cannot read dataset {name} ({exc})") from None
    return make_inputs(**frames, where=str(processed))


_INPUT_COLUMNS: dict[str, list[str]] = {
    "tally_tps": [*PAIR, "waktu_laporan", "suara_sah", "peringatan"],
    "tally_votes": [*PAIR, "waktu_laporan", "nomor_urut", "suara"],
    "official_tps": [*PAIR, "waktu_tarik", "ts", "psu", "ada_chart", "suara_sah", "peringatan"],
    "official_votes": [*PAIR, "waktu_tarik", "nomor_urut", "suara"],
    "official_region": list(OFFICIAL_REGION.columns),
    "ref_tps": ["kode_tps", "kode_desa", "pemilih_dpt"],
    "ref_paslon": ["kode_kontestasi", "nomor_urut"],
}


# --- TPS level -----------------------------------------------------------------------------------


def in_force(df: pl.DataFrame, time_col: str, as_of: dt.datetime) -> pl.DataFrame:
    """The version of each TPS × contest in force at ``as_of``: latest ``time_col <= as_of``."""
    return df.filter(pl.col(time_col) <= as_of).filter(
        pl.col(time_col) == pl.col(time_col).max().over(PAIR)
    )


def _dotted(col: str) -> pl.Expr:
    """A region code with or without dots -> dotted (2/4/6/10 digits -> PP[.KK[.CC[.DDDD]]])."""
    raw = pl.col(col).cast(pl.String).str.strip_chars().str.replace_all(".", "", literal=True)
    parts = [raw.str.slice(0, 2)]
    for start, length in ((2, 2), (4, 2), (6, 4)):
        parts.append(
            pl.when(raw.str.len_chars() > start)
            .then(pl.lit(".") + raw.str.slice(start, length))
            .otherwise(pl.lit(""))
        )
    return pl.when(raw == NATIONAL_CODE).then(pl.lit(NATIONAL_CODE)).otherwise(pl.concat_str(parts))


def _expected_pairs(ref_tps: pl.DataFrame, contests: pl.Series) -> pl.DataFrame:
    """Expected TPS × contest: each reference TPS in the gubernur and bupati/walikota contest of its
    desa, among the contests the data knows (ref_paslon or either source)."""
    t = ref_tps.select("kode_tps", "kode_desa", "pemilih_dpt")
    gub = t.with_columns(
        (pl.lit("pkwkp-") + pl.col("kode_desa").str.slice(0, 2)).alias("kode_kontestasi")
    )
    bup = t.with_columns(
        (
            pl.lit("pkwkk-")
            + pl.col("kode_desa").str.slice(0, 2)
            + pl.col("kode_desa").str.slice(3, 2)
        ).alias("kode_kontestasi")
    )
    return (
        pl.concat([gub, bup])
        .filter(pl.col("kode_kontestasi").is_in(contests.implode()))
        .with_columns(pl.lit(True).alias("diharapkan"))
    )


def _kpu_votes(
    official_all: pl.DataFrame,
    official_votes: pl.DataFrame,
    official: pl.DataFrame,
    previous_as_of: dt.datetime | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """KPU votes in force, and what they are compared against for revisions, in one pass.

    Returns (ov, prev, pv): ``ov`` the votes in force (``_vid``, ``nomor_urut``, ``suara_kpu``);
    ``prev`` one row per TPS × contest whose KPU votes changed since the previous as-of (``_pid``,
    ``waktu_tarik_sebelumnya`` = the earliest earlier version that differs from the one in force);
    ``pv`` that version's votes (``suara_kpu_sebelumnya``).

    Versions looked at: every version with votes from the one in force at ``previous_as_of``
    (what the previous report showed) up to the one in force now; with no previous as-of, every
    earlier version. So a record first published and then corrected since the previous report
    is flagged too. Inputs carry ``_pid`` and hold versions up to as_of only.
    """
    window = official.filter("ada_kpu").select("_pid", pl.col("waktu_tarik").alias("_t_now"))
    if previous_as_of is not None:
        start = (
            official_all.filter(pl.col("ada_kpu") & (pl.col("waktu_tarik") <= previous_as_of))
            .group_by("_pid")
            .agg(pl.col("waktu_tarik").max().alias("_t_start"))
        )
        window = window.join(start, on="_pid", how="left")
    else:
        window = window.with_columns(pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_t_start"))
    t = pl.col("waktu_tarik")
    kv = (
        official_votes.join(window, on="_pid")
        .filter(
            (t <= pl.col("_t_now")) & (pl.col("_t_start").is_null() | (t >= pl.col("_t_start")))
        )
        .select(
            "_pid", "waktu_tarik", "_t_now", _vote_id(), "nomor_urut", pl.col("suara").fill_null(0)
        )
    )
    now = t == pl.col("_t_now")
    ov = kv.filter(now).select("_vid", "nomor_urut", pl.col("suara").alias("suara_kpu"))
    cand = kv.filter(~now)
    diff = (
        cand.join(ov.select("_vid", "suara_kpu"), on="_vid", how="left")
        .group_by("_pid", "waktu_tarik")
        .agg((pl.col("suara") - pl.col("suara_kpu").fill_null(0)).abs().sum().alias("_d"))
    )
    prev = (
        diff.filter(pl.col("_d") > 0)
        .group_by("_pid")
        .agg(pl.col("waktu_tarik").min().alias("waktu_tarik_sebelumnya"))
    )
    pv = cand.join(
        prev.rename({"waktu_tarik_sebelumnya": "waktu_tarik"}),
        on=["_pid", "waktu_tarik"],
        how="semi",
    ).select("_vid", "nomor_urut", pl.col("suara").alias("suara_kpu_sebelumnya"))
    return ov, prev, pv


def _latest(df: pl.DataFrame, time_col: str) -> pl.DataFrame:
    """The latest version per ``_pid`` (versions of one TPS × contest have distinct times)."""
    return df.filter(pl.col(time_col) == pl.col(time_col).max().over("_pid"))


def _contest_ids(*frames: pl.DataFrame) -> dict[str, int]:
    """Contest code -> small integer, in code order (so integer order = string order)."""
    codes = pl.concat([f.select(pl.col("kode_kontestasi").unique()) for f in frames]).unique()[
        "kode_kontestasi"
    ]
    return {c: i for i, c in enumerate(sorted(c for c in codes.to_list() if c is not None))}


def _pair_id(cmap: dict[str, int]) -> pl.Expr:
    """One Int64 per TPS × contest: the 13-digit TPS code × 1000 + contest index.

    Joining and grouping on one integer instead of two strings is what keeps a national run fast;
    integer order equals (kode_tps, kode_kontestasi) order.
    """
    tps = pl.col("kode_tps")
    return (
        pl.when(tps.str.len_chars() == 13).then(tps.cast(pl.Int64, strict=False)) * _CONTEST_SLOTS
        + pl.col("kode_kontestasi").replace_strict(cmap, default=None, return_dtype=pl.Int64)
    ).alias("_pid")


def _with_pid(df: pl.DataFrame, cmap: dict[str, int], where: str) -> pl.DataFrame:
    out = df.with_columns(_pair_id(cmap))
    bad = out.filter(pl.col("_pid").is_null())
    if not bad.is_empty():
        row = bad.row(0, named=True)
        raise ReconcileError(
            f"{where}: kode_tps {row['kode_tps']!r} / kode_kontestasi {row['kode_kontestasi']!r} "
            "is not a 13-digit TPS code of a known contest (ingest should have rejected it)"
        )
    return out


def _vote_id() -> pl.Expr:
    # nomor urut is offset: ingest files an unknown paslon id under -1, -2, ...
    return (pl.col("_pid") * _PASLON_SLOTS + pl.col("nomor_urut") + _PASLON_OFFSET).alias("_vid")


def reconcile_tps(
    inputs: ReconInputs,
    as_of: dt.datetime,
    tolerance: int = 0,
    previous_as_of: dt.datetime | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(recon_tps_paslon, recon_tps) as of ``as_of``.

    Grain: one row per TPS × contest × paslon, and one row per TPS × contest. Both carry a
    private integer key ``_pid`` (dropped when written) that later steps join on.
    """
    as_of = _utc(as_of)
    previous_as_of = _utc(previous_as_of) if previous_as_of is not None else None
    cmap = _contest_ids(inputs.ref_paslon, inputs.tally_tps, inputs.official_tps)

    # every version up to as_of, keyed once; the one in force is the latest per TPS × contest
    tally_all = _with_pid(
        inputs.tally_tps.filter(pl.col("waktu_laporan") <= as_of).select(
            *PAIR,
            "waktu_laporan",
            pl.col("suara_sah").alias("suara_sah_internal"),
            pl.col("peringatan").alias("peringatan_internal"),
        ),
        cmap,
        "tally_tps",
    )
    tally = _latest(tally_all, "waktu_laporan")
    official_all = _with_pid(
        inputs.official_tps.filter(pl.col("waktu_tarik") <= as_of).select(
            *PAIR,
            "waktu_tarik",
            pl.col("ts").alias("ts_kpu"),
            pl.col("psu").alias("psu_kpu"),
            pl.col("ada_chart").fill_null(False).alias("ada_kpu"),
            pl.col("suara_sah").alias("suara_sah_kpu"),
            pl.col("peringatan").alias("peringatan_kpu"),
        ),
        cmap,
        "official_tps",
    )
    official = _latest(official_all, "waktu_tarik")

    def votes(df: pl.DataFrame, chosen: pl.DataFrame, time_col: str) -> pl.DataFrame:
        return df.join(chosen.select("_pid", time_col), on=["_pid", time_col], how="semi").select(
            _vote_id(), "nomor_urut", pl.col("suara").fill_null(0)
        )

    def keyed_votes(df: pl.DataFrame, time_col: str, name: str) -> pl.DataFrame:
        # only versions that can be in force (<= as_of) need a key
        return _with_pid(
            df.filter(pl.col(time_col) <= as_of).select(*PAIR, time_col, "nomor_urut", "suara"),
            cmap,
            name,
        )

    tally_votes = keyed_votes(inputs.tally_votes, "waktu_laporan", "tally_votes")
    official_votes = keyed_votes(inputs.official_votes, "waktu_tarik", "official_votes")
    iv = votes(tally_votes, tally, "waktu_laporan").rename({"suara": "suara_internal"})
    ov, prev, pv = _kpu_votes(official_all, official_votes, official, previous_as_of)

    expected = _expected_pairs(inputs.ref_tps, pl.Series(list(cmap), dtype=pl.String))
    expected = _with_pid(expected, cmap, "ref_tps")
    pairs = (
        pl.concat([expected.select("_pid"), tally.select("_pid"), official.select("_pid")])
        .unique()
        .sort("_pid")  # sorted once on the integer key; the left joins below keep this order
        .with_columns(
            (pl.col("_pid") // _CONTEST_SLOTS).cast(pl.String).str.zfill(13).alias("kode_tps"),
            (pl.col("_pid") % _CONTEST_SLOTS)
            .replace_strict({i: c for c, i in cmap.items()}, return_dtype=pl.String)
            .alias("kode_kontestasi"),
        )
        .join(expected.drop(PAIR), on="_pid", how="left", maintain_order="left")
        .join(tally.drop(PAIR), on="_pid", how="left", maintain_order="left")
        .join(official.drop(PAIR), on="_pid", how="left", maintain_order="left")
        .join(prev, on="_pid", how="left", maintain_order="left")
        .with_columns(
            pl.col("diharapkan").fill_null(False),
            tps_to_desa("kode_tps").alias("kode_desa"),  # the TPS code is the desa code + 3 digits
            pl.col("waktu_laporan").is_not_null().alias("ada_internal"),
            pl.col("ada_kpu").fill_null(False),
            # a previous version equal to the pull in force is no revision
            pl.when(pl.col("waktu_tarik_sebelumnya") < pl.col("waktu_tarik"))
            .then(pl.col("waktu_tarik_sebelumnya"))
            .alias("waktu_tarik_sebelumnya"),
        )
    )

    # paslon rows: every paslon either side reported for the TPS × contest; a paslon missing
    # from a side that did report counts as 0 there
    flags = pairs.select(
        "_pid", *PAIR, "kode_desa", "ada_internal", "ada_kpu", "waktu_tarik_sebelumnya"
    )
    tp = (
        iv.join(ov, on=["_vid", "nomor_urut"], how="full", coalesce=True)
        .sort("_vid")
        .with_columns((pl.col("_vid") // _PASLON_SLOTS).alias("_pid"))
        .join(flags, on="_pid", how="left", maintain_order="left")
        .join(pv.drop("nomor_urut"), on="_vid", how="left", maintain_order="left")
        .with_columns(
            pl.when("ada_internal")
            .then(pl.col("suara_internal").fill_null(0))
            .alias("suara_internal"),
            pl.when("ada_kpu").then(pl.col("suara_kpu").fill_null(0)).alias("suara_kpu"),
            pl.when(pl.col("waktu_tarik_sebelumnya").is_not_null())
            .then(pl.col("suara_kpu_sebelumnya").fill_null(0))
            .alias("suara_kpu_sebelumnya"),
        )
        .with_columns((pl.col("suara_internal") - pl.col("suara_kpu")).alias("selisih"))
        .with_columns(pl.col("selisih").abs().alias("selisih_abs"))
    )
    per_pair = tp.group_by("_pid").agg(
        pl.col("selisih").sum().alias("selisih_total"),
        pl.col("selisih_abs").sum().alias("selisih_abs"),
        (pl.col("selisih_abs") > tolerance).sum().cast(pl.Int64).alias("paslon_selisih"),
        (pl.col("suara_kpu") - pl.col("suara_kpu_sebelumnya")).abs().sum().alias("revisi_abs"),
    )
    both = pl.col("ada_internal") & pl.col("ada_kpu")
    status_banding = (
        pl.when(both & (pl.col("paslon_selisih") == 0))
        .then(pl.lit("cocok"))
        .when(both)
        .then(pl.lit("selisih"))
        .when("ada_internal")
        .then(pl.lit("hanya_internal"))
        .when("ada_kpu")
        .then(pl.lit("hanya_kpu"))
        .otherwise(pl.lit("belum_masuk"))
    )
    has_flag = (pl.col("peringatan_internal").list.len().fill_null(0) > 0) | (
        pl.col("peringatan_kpu").list.len().fill_null(0) > 0
    )
    tps = (
        pairs.join(per_pair, on="_pid", how="left", maintain_order="left")
        .with_columns(
            pl.col("paslon_selisih").fill_null(0),
            pl.col("revisi_abs").fill_null(0),
            pl.when(both).then(pl.col("selisih_total")).alias("selisih_total"),
            pl.when(both).then(pl.col("selisih_abs")).alias("selisih_abs"),
            pl.col("kode_desa").str.slice(0, 8).alias("kode_kecamatan"),
            pl.col("kode_desa").str.slice(0, 5).alias("kode_kabkota"),
            pl.col("kode_desa").str.slice(0, 2).alias("kode_provinsi"),
        )
        .with_columns(
            status_banding.alias("status_banding"),
            (pl.col("ada_kpu") & (pl.col("revisi_abs") > 0)).alias("kpu_direvisi"),
        )
        .with_columns(
            pl.when("kpu_direvisi")
            .then(pl.lit("kpu_direvisi"))
            .otherwise(pl.col("status_banding"))
            .alias("status"),
            ((pl.col("paslon_selisih") > 0) & both & has_flag).alias("dijelaskan_validasi"),
        )
    )
    tps = _keyed(RECON_TPS, tps, "_pid")
    tp = tp.join(tps.select("_pid", "status"), on="_pid", how="left", maintain_order="left")
    tp = _keyed(RECON_TPS_PASLON, tp, "_vid")
    return tp, tps


def _keyed(ds: Dataset, df: pl.DataFrame, key: str) -> pl.DataFrame:
    """Conform to ``ds`` keeping the private integer key, and check the key on it (one integer
    per key of ``ds``: the same check as ``ds.check_key``, a lot cheaper on a national run)."""
    out = ds.conform(df).select(*ds.columns, *[c for c in df.columns if c.startswith("_")])
    nulls = out.select(pl.any_horizontal(pl.col(k).is_null() for k in ds.key).sum()).item()
    dup = out.height - out[key].n_unique()
    if nulls or dup:
        raise ValueError(
            f"{ds.name} ({ds.grain}): key {ds.key} has {nulls} null and {dup} duplicate rows"
        )
    return out


# --- roll-ups ------------------------------------------------------------------------------------


def _up(desa: pl.DataFrame, keys: list[str], sums: list[str]) -> pl.DataFrame:
    """Every level from desa to nasional: each level summed from the desa rows (sum of parts)."""
    out = [desa.with_columns(pl.lit("desa").alias("tingkat"))]
    for tingkat, length in LEVELS:
        out.append(
            desa.with_columns(pl.col("kode_wilayah").str.slice(0, length))
            .group_by(["kode_wilayah", *keys])
            .agg(pl.col(sums).sum())
            .with_columns(pl.lit(tingkat).alias("tingkat"))
        )
    out.append(
        desa.group_by(keys)
        .agg(pl.col(sums).sum())
        .with_columns(
            pl.lit(NATIONAL_CODE).alias("kode_wilayah"), pl.lit("nasional").alias("tingkat")
        )
    )
    cols = ["tingkat", "kode_wilayah", *keys, *sums]
    return pl.concat([o.select(cols) for o in out])


def _parent(col: str = "kode_wilayah") -> pl.Expr:
    c = pl.col(col)
    return (
        pl.when(c == NATIONAL_CODE)
        .then(pl.lit(None, dtype=pl.String))
        .when(c.str.len_chars() == 2)
        .then(pl.lit(NATIONAL_CODE))
        .otherwise(c.str.replace(r"\.[^.]+$", ""))
    )


def _tingkat_of(col: str = "kode_wilayah") -> pl.Expr:
    n = pl.col(col).str.len_chars()
    return (
        pl.when(pl.col(col) == NATIONAL_CODE)
        .then(pl.lit("nasional"))
        .when(n == 2)
        .then(pl.lit("provinsi"))
        .when(n == 5)
        .then(pl.lit("kabkota"))
        .when(n == 8)
        .then(pl.lit("kecamatan"))
        .otherwise(pl.lit("desa"))
    )


def roll_up_paslon(
    tps_paslon: pl.DataFrame, official_region: pl.DataFrame, tolerance: int = 0
) -> pl.DataFrame:
    """recon_wilayah: one row per region unit × contest × paslon, every level of the tree."""
    both = pl.col("suara_internal").is_not_null() & pl.col("suara_kpu").is_not_null()
    sums = [
        "suara_internal",
        "suara_kpu",
        "suara_internal_banding",
        "suara_kpu_banding",
        "selisih_abs",
    ]
    desa = (
        tps_paslon.select(
            _desa_group(tps_paslon, "_vid", _CONTEST_SLOTS * _PASLON_SLOTS),
            "kode_desa",
            "kode_kontestasi",
            "nomor_urut",
            "suara_internal",
            "suara_kpu",
            pl.when(both).then(pl.col("suara_internal")).alias("suara_internal_banding"),
            pl.when(both).then(pl.col("suara_kpu")).alias("suara_kpu_banding"),
            "selisih_abs",
        )
        .group_by("_k")
        .agg(pl.col("kode_desa", "kode_kontestasi", "nomor_urut").first(), pl.col(sums).sum())
        .drop("_k")
        .rename({"kode_desa": "kode_wilayah"})
    )
    w = _up(desa, ["kode_kontestasi", "nomor_urut"], sums).with_columns(
        (pl.col("suara_internal_banding") - pl.col("suara_kpu_banding")).alias("selisih_banding")
    )
    dh = _dhasil(official_region)
    w = (
        w.join(
            dh.select("kode_wilayah", "kode_kontestasi", "nomor_urut", "suara_dhasil"),
            on=["kode_wilayah", "kode_kontestasi", "nomor_urut"],
            how="full",
            coalesce=True,
        )
        .with_columns(
            pl.col("tingkat").fill_null(_tingkat_of()),
            *[pl.col(c).fill_null(0) for c in [*sums, "selisih_banding"]],
        )
        .with_columns((pl.col("suara_internal") - pl.col("suara_dhasil")).alias("selisih_dhasil"))
    )
    return RECON_WILAYAH.check_key(
        RECON_WILAYAH.conform(w).sort("kode_kontestasi", "kode_wilayah", "nomor_urut")
    )


def _desa_group(df: pl.DataFrame, key: str, unit: int) -> pl.Expr:
    """Group key of the desa-level cell of a TPS-level row: the integer key with the 3-digit TPS
    number zeroed (the TPS code is the desa code + 3 digits), or the strings when no key is there."""
    if key in df.columns:
        return (pl.col(key) - ((pl.col(key) // unit) % 1000) * unit).alias("_k")
    parts = ["kode_desa", "kode_kontestasi"] + (["nomor_urut"] if unit > _CONTEST_SLOTS else [])
    return pl.concat_str(parts, separator="|").alias("_k")


def _dhasil(official_region: pl.DataFrame) -> pl.DataFrame:
    """D.Hasil rows with dotted codes: one row per region unit × contest × paslon."""
    return official_region.with_columns(_dotted("kode_wilayah").alias("kode_wilayah")).rename(
        {"suara": "suara_dhasil"}
    )


def roll_up_status(
    tps: pl.DataFrame, wilayah: pl.DataFrame, official_region: pl.DataFrame, tolerance: int = 0
) -> pl.DataFrame:
    """recon_wilayah_status: one row per region unit × contest, every level of the tree."""
    exp = pl.col("diharapkan")
    counts = [(pl.col("status") == s).sum().cast(pl.Int64).alias(f"n_{s}") for s in RECON_STATUSES]
    desa = (
        tps.group_by(_desa_group(tps, "_pid", _CONTEST_SLOTS))
        .agg(
            pl.col("kode_desa").first(),
            pl.col("kode_kontestasi").first(),
            exp.sum().cast(pl.Int64).alias("tps_diharapkan"),
            pl.col("pemilih_dpt").filter(exp).sum().alias("dpt_diharapkan"),
            (exp & pl.col("ada_internal")).sum().cast(pl.Int64).alias("tps_internal"),
            (exp & pl.col("ada_kpu")).sum().cast(pl.Int64).alias("tps_kpu"),
            (exp & pl.col("ada_internal") & pl.col("ada_kpu"))
            .sum()
            .cast(pl.Int64)
            .alias("tps_keduanya"),
            pl.col("pemilih_dpt")
            .filter(exp & ~pl.col("ada_internal"))
            .sum()
            .alias("dpt_belum_internal"),
            pl.col("pemilih_dpt").filter(exp & ~pl.col("ada_kpu")).sum().alias("dpt_belum_kpu"),
            *counts,
            (pl.col("paslon_selisih") > 0).sum().cast(pl.Int64).alias("n_tidak_cocok"),
            pl.col("dijelaskan_validasi").sum().cast(pl.Int64).alias("n_selisih_dijelaskan"),
            pl.col("selisih_abs").sum().alias("selisih_abs"),
        )
        .drop("_k")
        .rename({"kode_desa": "kode_wilayah"})
    )
    sums = [c for c in desa.columns if c not in ("kode_wilayah", "kode_kontestasi")]
    s = _up(desa, ["kode_kontestasi"], sums)

    dh = _dhasil(official_region)
    dh_units = dh.group_by("kode_wilayah", "kode_kontestasi").agg(
        pl.col("tps_total").max().alias("tps_total_dhasil"),
        pl.col("tps_masuk").max().alias("tps_masuk_dhasil"),
    )
    dh_match = (
        wilayah.filter(pl.col("suara_dhasil").is_not_null())
        .group_by("kode_wilayah", "kode_kontestasi")
        .agg((pl.col("selisih_dhasil").abs().max() <= tolerance).alias("_sama"))
    )
    s = (
        s.join(dh_units, on=["kode_wilayah", "kode_kontestasi"], how="full", coalesce=True)
        .join(dh_match, on=["kode_wilayah", "kode_kontestasi"], how="left")
        .with_columns(
            pl.col("tingkat").fill_null(_tingkat_of()),
            *[pl.col(c).fill_null(0) for c in sums],
        )
        .with_columns(
            _parent().alias("kode_induk"),
            _share("tps_internal", "tps_diharapkan").alias("cakupan_internal"),
            _share("tps_kpu", "tps_diharapkan").alias("cakupan_kpu"),
            pl.when(pl.col("_sama").is_null())
            .then(pl.lit(None, dtype=pl.String))
            .when(pl.col("_sama"))
            .then(pl.lit("cocok"))
            .when(pl.col("tps_internal") < pl.col("tps_diharapkan"))
            .then(pl.lit("belum_lengkap"))
            .otherwise(pl.lit("selisih"))
            .alias("status_dhasil"),
        )
    )
    return RECON_WILAYAH_STATUS.check_key(
        RECON_WILAYAH_STATUS.conform(s).sort("kode_kontestasi", "kode_wilayah")
    )


def _share(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))


# --- per contest ---------------------------------------------------------------------------------


def _contest_region(col: str = "kode_kontestasi") -> pl.Expr:
    code = pl.col(col).str.replace(r"^[a-z]+-?", "")
    return (
        pl.when(code == "")
        .then(pl.lit(NATIONAL_CODE))
        .when(code.str.len_chars() == 4)
        .then(code.str.slice(0, 2) + pl.lit(".") + code.str.slice(2, 2))
        .otherwise(code)
    )


def _top_two(nat: pl.DataFrame, col: str, suffix: str) -> pl.DataFrame:
    """Leader, runner-up and margin per contest on ``col`` (ties broken by nomor urut)."""
    ranked = nat.sort(
        ["kode_kontestasi", col, "nomor_urut"], descending=[False, True, False]
    ).with_columns(pl.col("nomor_urut").cum_count().over("kode_kontestasi").alias("_rank"))
    return ranked.group_by("kode_kontestasi").agg(
        pl.col("nomor_urut").filter(pl.col("_rank") == 1).first().alias(f"unggul_{suffix}"),
        pl.col("nomor_urut").filter(pl.col("_rank") == 2).first().alias(f"kedua_{suffix}"),
        (
            pl.col(col).filter(pl.col("_rank") == 1).first()
            - pl.col(col).filter(pl.col("_rank") == 2).first().fill_null(0)
        ).alias(f"margin_{suffix}"),
        (pl.col(col).sum() > 0).alias(f"_ada_{suffix}"),
    )


def _fmt_int(col: str) -> pl.Expr:
    """Indonesian thousands separator, e.g. 1.234.567."""
    return (
        pl.col(col)
        .cast(pl.String)
        .str.reverse()
        .str.replace_all(r"(\d{3})", "$1.")
        .str.reverse()
        .str.strip_chars_start(".")
    )


def outcome(wilayah: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """recon_kontestasi: one row per contest — margins, discrepancy and whether it could overturn
    the order.

    ``bisa_mengubah_hasil`` is true when (a) the unresolved discrepancy on the internal top two
    (Σ|selisih| of both) is at least the internal margin, (b) the DPT of expected TPS the desk has no
    report for (an upper bound of the votes still to come) is at least the margin, or (c) like for
    like the two sources have different leaders; or when there is no internal count yet.
    """
    nat = wilayah.filter(pl.col("kode_wilayah") == NATIONAL_CODE)
    top_i = _top_two(nat, "suara_internal", "internal")
    top_k = _top_two(nat, "suara_kpu", "kpu")
    top_ib = _top_two(nat, "suara_internal_banding", "ib").select(
        "kode_kontestasi", "unggul_ib", "_ada_ib"
    )
    top_kb = _top_two(nat, "suara_kpu_banding", "kb").select("kode_kontestasi", "unggul_kb")
    swing = (
        nat.join(
            top_i.select("kode_kontestasi", "unggul_internal", "kedua_internal"),
            on="kode_kontestasi",
        )
        .filter(
            (pl.col("nomor_urut") == pl.col("unggul_internal"))
            | (pl.col("nomor_urut") == pl.col("kedua_internal"))
        )
        .group_by("kode_kontestasi")
        .agg(pl.col("selisih_abs").sum().alias("ayunan_selisih"))
    )
    st = status.filter(pl.col("kode_wilayah") == NATIONAL_CODE).select(
        "kode_kontestasi",
        "tps_diharapkan",
        "dpt_diharapkan",
        "tps_internal",
        "tps_kpu",
        "tps_keduanya",
        "cakupan_internal",
        "cakupan_kpu",
        "n_tidak_cocok",
        "n_kpu_direvisi",
        "selisih_abs",
        "dpt_belum_internal",
    )
    k = (
        st.join(top_i, on="kode_kontestasi", how="left")
        .join(top_k, on="kode_kontestasi", how="left")
        .join(top_ib, on="kode_kontestasi", how="left")
        .join(top_kb, on="kode_kontestasi", how="left")
        .join(swing, on="kode_kontestasi", how="left")
        .with_columns(
            # no votes from a source yet: no leader and no margin from it
            *[
                pl.when(pl.col(f"_ada_{side}").fill_null(False)).then(pl.col(f"{c}_{side}"))
                for side in ("internal", "kpu")
                for c in ("unggul", "kedua", "margin")
            ],
            _contest_region().alias("kode_wilayah"),
            pl.col("ayunan_selisih").fill_null(0),
            (1 - pl.col("cakupan_internal")).alias("porsi_belum_internal"),
            (1 - pl.col("cakupan_kpu")).alias("porsi_belum_kpu"),
            pl.when(pl.col("_ada_ib").fill_null(False))
            .then(pl.col("unggul_ib") == pl.col("unggul_kb"))
            .alias("urutan_sama"),
        )
    )
    no_count = ~pl.col("_ada_internal").fill_null(False)
    by_discrepancy = pl.col("ayunan_selisih") >= pl.col("margin_internal")
    by_missing = pl.col("dpt_belum_internal") >= pl.col("margin_internal")
    by_order = pl.col("urutan_sama") == False  # noqa: E712  (null = cannot compare)
    reasons = pl.concat_str(
        [
            pl.when(no_count).then(pl.lit("belum ada hitung internal untuk kontestasi ini")),
            pl.when(~no_count & by_discrepancy).then(
                pl.lit("selisih yang belum terselesaikan pada dua paslon teratas (")
                + _fmt_int("ayunan_selisih")
                + pl.lit(" suara) tidak kurang dari margin (")
                + _fmt_int("margin_internal")
                + pl.lit(" suara)")
            ),
            pl.when(~no_count & by_missing).then(
                pl.lit("TPS yang belum masuk hitung internal (")
                + _fmt_int("_tps_belum")
                + pl.lit(" TPS, DPT ")
                + _fmt_int("dpt_belum_internal")
                + pl.lit(") dapat melampaui margin (")
                + _fmt_int("margin_internal")
                + pl.lit(" suara)")
            ),
            pl.when(by_order).then(
                pl.lit("pada TPS yang sama, paslon teratas berbeda antara hitung internal dan KPU")
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    )
    k = k.with_columns(
        (pl.col("tps_diharapkan") - pl.col("tps_internal")).alias("_tps_belum")
    ).with_columns(
        (
            no_count
            | by_discrepancy.fill_null(False)
            | by_missing.fill_null(False)
            | by_order.fill_null(False)
        ).alias("bisa_mengubah_hasil"),
        reasons.alias("_alasan"),
    )
    k = k.with_columns(
        pl.when(pl.col("bisa_mengubah_hasil"))
        .then(pl.col("_alasan"))
        .otherwise(
            pl.lit("margin (")
            + _fmt_int("margin_internal")
            + pl.lit(" suara) lebih besar dari selisih yang belum terselesaikan (")
            + _fmt_int("ayunan_selisih")
            + pl.lit(" suara) dan dari DPT TPS yang belum masuk (")
            + _fmt_int("dpt_belum_internal")
            + pl.lit(")")
        )
        .alias("alasan")
    )
    return RECON_KONTESTASI.check_key(RECON_KONTESTASI.conform(k).sort("kode_kontestasi"))


def estimate(tps_paslon: pl.DataFrame, tps: pl.DataFrame) -> pl.DataFrame:
    """recon_perkiraan: one row per contest × paslon — an ESTIMATE of the final internal count.

    Stratified ratio estimator: within each kab/kota, votes per registered voter among the expected
    TPS the desk has, times the DPT of all expected TPS of that kab/kota; a kab/kota with no TPS in
    yet uses the contest-wide ratio. The 95% interval is the usual ratio-estimator variance with the
    finite population correction; it assumes the TPS in so far are like the missing ones (early
    reports are not a random sample, so read it as indicative). Computed from sums (Σy, Σx, Σy²,
    Σxy, Σx² per stratum): Σ(y - r·x)² = Σy² - 2r·Σxy + r²·Σx².
    """
    on = "_pid" if "_pid" in tps.columns and "_pid" in tps_paslon.columns else PAIR
    frame = tps.filter("diharapkan")
    strata = frame.group_by("kode_kontestasi", "kode_kabkota").agg(
        pl.len().alias("N"),
        pl.col("pemilih_dpt").sum().alias("X"),
        pl.col("ada_internal").sum().cast(pl.Int64).alias("n"),
    )
    y = (
        tps_paslon.filter(pl.col("suara_internal").is_not_null())
        .select(on, "kode_kontestasi", "nomor_urut", "suara_internal")
        .join(frame.filter("ada_internal").select(on, "kode_kabkota", "pemilih_dpt"), on=on)
        .with_columns(
            pl.col("suara_internal").cast(pl.Float64).alias("y"),
            pl.col("pemilih_dpt").cast(pl.Float64).alias("x"),
        )
    )
    if y.is_empty():
        return RECON_PERKIRAAN.empty()
    grp = ["kode_kontestasi", "kode_kabkota", "nomor_urut"]
    sums = [
        pl.col("y").sum().alias("sy"),
        pl.col("x").sum().alias("sx"),
        (pl.col("y") ** 2).sum().alias("syy"),
        (pl.col("x") * pl.col("y")).sum().alias("sxy"),
        (pl.col("x") ** 2).sum().alias("sxx"),
    ]
    cell = y.group_by(grp).agg(*sums)
    resid = pl.col("syy") - 2 * pl.col("r") * pl.col("sxy") + pl.col("r") ** 2 * pl.col("sxx")
    allc = (
        cell.group_by("kode_kontestasi", "nomor_urut")
        .agg(pl.col("sy", "sx", "syy", "sxy", "sxx").sum())
        .join(strata.group_by("kode_kontestasi").agg(pl.col("N", "n").sum()), on="kode_kontestasi")
        .with_columns((pl.col("sy") / pl.col("sx")).alias("r"))
        .with_columns(
            pl.when(pl.col("n") > 1)
            .then(
                (1 - pl.col("n") / pl.col("N")).clip(lower_bound=0)
                * resid.clip(lower_bound=0)
                / (pl.col("n") - 1)
                / (pl.col("n") * (pl.col("sx") / pl.col("n")) ** 2)
            )
            .otherwise(0.0)
            .alias("var_r_all")
        )
        .select("kode_kontestasi", "nomor_urut", pl.col("r").alias("r_all"), "var_r_all")
    )
    cells = (
        strata.join(allc, on="kode_kontestasi")
        .join(cell, on=grp, how="left")
        .with_columns(
            pl.when(pl.col("n") > 0)
            .then(pl.col("sy") / pl.col("sx"))
            .otherwise(pl.col("r_all"))
            .fill_null(0.0)
            .alias("r")
        )
        .with_columns(
            (pl.col("r") * pl.col("X")).alias("est"),
            pl.when(pl.col("n") >= 2)
            .then(
                pl.col("N") ** 2
                * (1 - pl.col("n") / pl.col("N")).clip(lower_bound=0)
                * (resid.clip(lower_bound=0) / (pl.col("n") - 1))
                / pl.col("n")
            )
            # one TPS or none: no within-stratum spread; borrow the contest-wide ratio's
            .otherwise(pl.col("X") ** 2 * pl.col("var_r_all"))
            .alias("var"),
        )
    )
    est = (
        cells.group_by("kode_kontestasi", "nomor_urut")
        .agg(pl.col("est").sum().alias("perkiraan_suara"), pl.col("var").sum().alias("_var"))
        .with_columns(
            (pl.col("perkiraan_suara") - Z95 * pl.col("_var").sqrt())
            .clip(lower_bound=0)
            .alias("suara_bawah"),
            (pl.col("perkiraan_suara") + Z95 * pl.col("_var").sqrt()).alias("suara_atas"),
        )
        .with_columns(pl.col("perkiraan_suara").sum().over("kode_kontestasi").alias("_tot"))
        .with_columns(
            _ratio("perkiraan_suara", "_tot").alias("perkiraan_persen"),
            _ratio("suara_bawah", "_tot").alias("persen_bawah"),
            _ratio("suara_atas", "_tot").clip(upper_bound=1.0).alias("persen_atas"),
        )
    )
    n_in = strata.group_by("kode_kontestasi").agg(pl.col("n").sum().alias("tps_sampel"))
    est = est.join(n_in, on="kode_kontestasi", how="left").with_columns(
        pl.lit(ESTIMATE_NOTE).alias("keterangan")
    )
    return RECON_PERKIRAAN.check_key(
        RECON_PERKIRAAN.conform(est).sort("kode_kontestasi", "nomor_urut")
    )


def _ratio(num: str, den: str) -> pl.Expr:
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))


# --- the whole run -------------------------------------------------------------------------------


@contextlib.contextmanager
def _timed(timings: dict[str, float], phase: str) -> Iterator[None]:
    """Record a phase's wall seconds under ``phase`` and process CPU seconds under ``phase_cpu``."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        timings[phase] = time.perf_counter() - wall
        timings[f"{phase}_cpu"] = time.process_time() - cpu


def reconcile(
    inputs: ReconInputs,
    as_of: dt.datetime,
    tolerance: int = 0,
    previous_as_of: dt.datetime | None = None,
    *,
    detail: bool = True,
) -> ReconResult:
    """Reconcile as of ``as_of`` (pure: no files read or written).

    ``detail=False`` skips the per-paslon roll-up's outcome and estimate (enough for "what changed").
    """
    timings: dict[str, float] = {}
    with _timed(timings, "tps"):
        tp, tps = reconcile_tps(inputs, as_of, tolerance, previous_as_of)
    with _timed(timings, "wilayah"):
        wil = roll_up_paslon(tp, inputs.official_region, tolerance)
        stat = roll_up_status(tps, wil, inputs.official_region, tolerance)
    with _timed(timings, "kontestasi"):
        if detail:
            kon = outcome(wil, stat)
            est = estimate(tp, tps)
        else:
            kon, est = RECON_KONTESTASI.empty(), RECON_PERKIRAAN.empty()
    return ReconResult(
        as_of=_utc(as_of),
        previous_as_of=_utc(previous_as_of) if previous_as_of else None,
        tps_paslon=tp,
        tps=tps,
        wilayah=wil,
        wilayah_status=stat,
        kontestasi=kon,
        perkiraan=est,
        timings=timings,
    )


def changes_since(previous: ReconResult, current: ReconResult) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What changed between two reconciliations: (recon_perubahan, recon_perubahan_wilayah).

    recon_perubahan: one row per TPS × contest whose status or discrepancy changed; recon_perubahan_wilayah:
    one row per region unit × contest with coverage before/after and new/resolved discrepancies.
    """
    cols = [
        *PAIR,
        "kode_desa",
        "status",
        "status_banding",
        "selisih_abs",
        "kpu_direvisi",
        "ada_internal",
        "ada_kpu",
        "diharapkan",
    ]
    cmap = _contest_ids(previous.tps, current.tps)
    prev = _with_pid(previous.tps.select(cols), cmap, "previous recon_tps")
    cur = _with_pid(current.tps.select(cols), cmap, "recon_tps")
    j = cur.join(prev, on="_pid", how="full", coalesce=True, suffix="_sebelumnya").with_columns(
        *[pl.col(c).fill_null(pl.col(f"{c}_sebelumnya")) for c in (*PAIR, "kode_desa")],
        pl.col("diharapkan").fill_null(pl.col("diharapkan_sebelumnya")).fill_null(False),
        pl.col("status_sebelumnya").fill_null("belum_masuk"),
        pl.col("status_banding_sebelumnya").fill_null("belum_masuk"),
        pl.col("status").fill_null("belum_masuk"),
        pl.col("status_banding").fill_null("belum_masuk"),
        *[pl.col(c).fill_null(False) for c in ("kpu_direvisi", "ada_internal", "ada_kpu")],
        *[
            pl.col(f"{c}_sebelumnya").fill_null(False)
            for c in ("kpu_direvisi", "ada_internal", "ada_kpu")
        ],
    )
    was = pl.col("status_banding_sebelumnya") == "selisih"
    now = pl.col("status_banding") == "selisih"
    j = j.with_columns(
        (now & ~was).alias("_baru"),
        (was & (pl.col("status_banding") == "cocok")).alias("_selesai"),
        (pl.col("kpu_direvisi") & ~pl.col("kpu_direvisi_sebelumnya")).alias("_revisi"),
    )
    jenis = (
        pl.when("_baru")
        .then(pl.lit("selisih_baru"))
        .when("_selesai")
        .then(pl.lit("selisih_selesai"))
        .when("_revisi")
        .then(pl.lit("kpu_direvisi_baru"))
        .when(now & was & (pl.col("selisih_abs") != pl.col("selisih_abs_sebelumnya")))
        .then(pl.lit("selisih_berubah"))
        .when(pl.col("ada_internal") & ~pl.col("ada_internal_sebelumnya"))
        .then(pl.lit("masuk_internal"))
        .when(pl.col("ada_kpu") & ~pl.col("ada_kpu_sebelumnya"))
        .then(pl.lit("masuk_kpu"))
        .when(pl.col("status") != pl.col("status_sebelumnya"))
        .then(pl.lit("lainnya"))
    )
    per_tps = j.with_columns(jenis.alias("jenis_perubahan")).filter(
        pl.col("jenis_perubahan").is_not_null()
    )
    perubahan = RECON_PERUBAHAN.check_key(RECON_PERUBAHAN.conform(per_tps).sort(PAIR))

    desa = (
        j.group_by(_desa_group(j, "_pid", _CONTEST_SLOTS))
        .agg(
            pl.col("kode_desa").first(),
            pl.col("kode_kontestasi").first(),
            pl.col("_baru").sum().cast(pl.Int64).alias("n_selisih_baru"),
            pl.col("_selesai").sum().cast(pl.Int64).alias("n_selisih_selesai"),
            pl.col("_revisi").sum().cast(pl.Int64).alias("n_kpu_direvisi_baru"),
        )
        .drop("_k")
        .rename({"kode_desa": "kode_wilayah"})
    )
    counts = _up(
        desa, ["kode_kontestasi"], ["n_selisih_baru", "n_selisih_selesai", "n_kpu_direvisi_baru"]
    )
    keep = [
        "kode_wilayah",
        "kode_kontestasi",
        "tps_internal",
        "tps_kpu",
        "cakupan_internal",
        "cakupan_kpu",
        "n_tidak_cocok",
    ]
    before = previous.wilayah_status.select(keep)
    after = current.wilayah_status.select("tingkat", *keep)
    w = (
        after.join(
            before,
            on=["kode_wilayah", "kode_kontestasi"],
            how="full",
            coalesce=True,
            suffix="_sebelumnya",
        )
        .join(counts.drop("tingkat"), on=["kode_wilayah", "kode_kontestasi"], how="left")
        .with_columns(
            pl.col("tingkat").fill_null(_tingkat_of()),
            *[
                pl.col(c).fill_null(0)
                for c in (
                    "tps_internal",
                    "tps_kpu",
                    "n_tidak_cocok",
                    "tps_internal_sebelumnya",
                    "tps_kpu_sebelumnya",
                    "n_tidak_cocok_sebelumnya",
                    "n_selisih_baru",
                    "n_selisih_selesai",
                    "n_kpu_direvisi_baru",
                )
            ],
        )
    )
    wil = RECON_PERUBAHAN_WILAYAH.check_key(
        RECON_PERUBAHAN_WILAYAH.conform(w).sort("kode_kontestasi", "kode_wilayah")
    )
    return perubahan, wil


# --- history and files ---------------------------------------------------------------------------


def _desk_zone(settings: Settings | None = None) -> ZoneInfo:
    s = settings or default_settings()
    code = s.desk.unit_code
    try:
        return ZoneInfo(time_zone(code)[1]) if code != NATIONAL_CODE else ZoneInfo("Asia/Jakarta")
    except ValueError:
        return ZoneInfo("Asia/Jakarta")


def history_dir(processed: Path, as_of: dt.datetime, settings: Settings | None = None) -> Path:
    """processed/history/<as_of in the desk's local time, YYYYMMDDTHHMM>/."""
    local = _utc(as_of).astimezone(_desk_zone(settings))
    return Path(processed) / HISTORY / local.strftime("%Y%m%dT%H%M")


def history_runs(processed: Path) -> list[tuple[dt.datetime, Path]]:
    """Every kept run as (as_of UTC, folder), oldest first (read from each folder's meta.json)."""
    root = Path(processed) / HISTORY
    runs = []
    if root.is_dir():
        for meta in root.glob("*/meta.json"):
            if meta.parent.name.endswith(".tmp"):
                continue  # an interrupted write
            try:
                as_of = dt.datetime.fromisoformat(json.loads(meta.read_text())["as_of"])
            except (ValueError, KeyError, json.JSONDecodeError):
                continue  # a half-written or foreign folder is not a run
            runs.append((_utc(as_of), meta.parent))
    return sorted(runs)


def previous_run(processed: Path, as_of: dt.datetime) -> dt.datetime | None:
    """The latest kept run strictly before ``as_of``, or None."""
    before = [t for t, _ in history_runs(processed) if t < _utc(as_of)]
    return before[-1] if before else None


def has_history(processed: Path, as_of: dt.datetime) -> bool:
    """True when a run as of exactly ``as_of`` is kept."""
    return any(t == _utc(as_of) for t, _ in history_runs(processed))


def load_history(processed: Path, as_of: dt.datetime) -> ReconResult:
    """A kept run, read back from its history folder."""
    for t, folder in history_runs(processed):
        if t == _utc(as_of):
            meta = json.loads((folder / "meta.json").read_text())
            frames = {
                attr: pl.read_parquet(folder / f"{ds.name}.parquet")
                if (folder / f"{ds.name}.parquet").exists()
                else ds.empty()
                for attr, ds in OUTPUTS.items()
            }
            prev = meta.get("previous_as_of")
            return ReconResult(
                as_of=t,
                previous_as_of=dt.datetime.fromisoformat(prev) if prev else None,
                **frames,
            )
    raise FileNotFoundError(
        f"{Path(processed) / HISTORY}: no reconciliation kept as of {as_of.isoformat()}"
    )


def write_result(
    result: ReconResult, processed: Path, settings: Settings | None = None
) -> tuple[Path, Path]:
    """Write recon_* to ``processed`` and a copy to its history folder; returns both folders."""
    processed = Path(processed)
    frames = result.frames()  # keys were checked where each frame was built
    for name, df in frames.items():
        path = catalog.processed_path(name, root=processed)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".parquet.tmp")
        # zstd level 1: a national run writes ~4 million rows; level 1 is several times faster
        # to write than the default for files only ~10% larger
        df.write_parquet(part, compression="zstd", compression_level=1)
        part.replace(path)
    hist = history_dir(processed, result.as_of, settings)
    tmp = hist.with_name(hist.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name in frames:
        src, dst = processed / f"{name}.parquet", tmp / f"{name}.parquet"
        try:
            os.link(src, dst)  # the next run replaces src with a new file: the link keeps this one
        except OSError:
            shutil.copy2(src, dst)
    meta = {
        "as_of": result.as_of.isoformat(),
        "previous_as_of": result.previous_as_of.isoformat() if result.previous_as_of else None,
        "timings": result.timings,
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    if hist.exists():
        shutil.rmtree(hist)
    tmp.replace(hist)
    return processed, hist


def run_reconcile(
    processed: Path,
    as_of: dt.datetime,
    settings: Settings | None = None,
    previous_as_of: dt.datetime | None = None,
) -> ReconResult:
    """Reconcile the processed data as of ``as_of``, write recon_* and keep the run in history.

    ``previous_as_of`` defaults to the latest kept run before ``as_of``; changes are computed
    against that run (read from history when kept there, else recomputed from the inputs).
    """
    s = settings or default_settings()
    tol = s.election.tolerances.reconcile_votes
    t0 = time.perf_counter()
    processed = Path(processed)
    timings: dict[str, float] = {}
    with _timed(timings, "baca"):
        inputs = load_inputs(processed)
    prev_t = _utc(previous_as_of) if previous_as_of else previous_run(processed, as_of)
    result = reconcile(inputs, as_of, tol, prev_t)
    result.timings = {**timings, **result.timings}
    if prev_t is not None:
        with _timed(result.timings, "perubahan"):
            if has_history(processed, prev_t):
                prev = load_history(processed, prev_t)
            else:
                prev = reconcile(inputs, prev_t, tol, None, detail=False)
            result.perubahan, result.perubahan_wilayah = changes_since(prev, result)
    total = time.perf_counter() - t0
    result.run = pl.DataFrame(
        {
            "waktu_acuan": [result.as_of],
            "waktu_acuan_sebelumnya": [result.previous_as_of],
            "waktu_proses": [dt.datetime.now(dt.UTC)],
            "durasi_detik": [total],
            "toleransi_suara": [tol],
        },
        schema=RECON_RUN.polars_schema,
    )
    with _timed(result.timings, "tulis"):
        write_result(result, processed, s)
    return result


# --- summary, CLI, benchmark ---------------------------------------------------------------------


def summary(result: ReconResult, limit: int = 10, settings: Settings | None = None) -> str:
    """A short text summary (Bahasa Indonesia) of a run, for the command line."""
    zone = _desk_zone(settings)

    def when(t: dt.datetime) -> str:
        return t.astimezone(zone).strftime("%Y-%m-%d %H.%M %Z")

    st = result.tps.group_by("status").len()
    counts = dict(zip(st["status"], st["len"], strict=True))
    lines = [
        f"Rekonsiliasi per {when(result.as_of)}"
        + (f" (dibanding {when(result.previous_as_of)})" if result.previous_as_of else ""),
        "TPS × kontestasi: " + ", ".join(f"{s} {_num(counts.get(s, 0))}" for s in RECON_STATUSES),
    ]
    k = result.kontestasi.sort(["bisa_mengubah_hasil", "kode_kontestasi"], descending=[True, False])
    lines.append(
        f"{k.height} kontestasi; {k['bisa_mengubah_hasil'].sum()} bisa berubah urutannya "
        "(hitung internal — bukan hasil resmi; hasil resmi ditetapkan KPU)"
    )
    for row in k.head(limit).iter_rows(named=True):
        lines.append(
            f"  {row['kode_kontestasi']:<12} cakupan internal {_pct(row['cakupan_internal'])}, "
            f"KPU {_pct(row['cakupan_kpu'])}; tidak cocok {_num(row['n_tidak_cocok'])}; "
            f"margin {_num(row['margin_internal'])}; "
            f"{'BISA BERUBAH' if row['bisa_mengubah_hasil'] else 'aman'}"
        )
    if k.height > limit:
        lines.append(f"  ... dan {k.height - limit} kontestasi lain")
    if not result.perubahan.is_empty():
        ch = result.perubahan.group_by("jenis_perubahan").len().sort("jenis_perubahan")
        lines.append("Perubahan: " + ", ".join(f"{a} {_num(b)}" for a, b in ch.iter_rows()))
    return "\n".join(lines)


def _num(x: int | None) -> str:
    return "-" if x is None else f"{x:,}".replace(",", ".")


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.2f}%".replace(".", ",")


def _parse_time(text: str) -> dt.datetime:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReconcileError(
            f"--as-of/--previous: {text!r} is not an ISO time (2024-11-28T14:00+07:00)"
        ) from None
    if t.tzinfo is None:
        raise ReconcileError(f"--as-of/--previous: {text!r} needs a UTC offset, e.g. +07:00")
    return t


def _run_as_of(processed: Path) -> dt.datetime | None:
    """as_of recorded by the daily job in ``processed/run.json``, if any."""
    try:
        text = json.loads((processed / "run.json").read_text(encoding="utf-8")).get("as_of")
    except (OSError, ValueError, AttributeError):
        return None
    return _parse_time(text) if text else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        help="ISO time with offset (default: as_of of <processed>/run.json, else the demo's as_of)",
    )
    parser.add_argument(
        "--previous", help="ISO time of the previous report (default: the latest kept run)"
    )
    parser.add_argument(
        "--processed",
        type=Path,
        help="processed folder (default: <paths.processed>/demo-<demo.scope>)",
    )


def run(args: argparse.Namespace) -> int:
    s = default_settings()
    processed = args.processed or (s.paths.resolved().processed / f"demo-{s.demo.scope}")
    if not processed.is_dir():
        print(f"galat: folder data olahan {processed} tidak ada (jalankan ingest dulu)")
        return 2
    try:
        as_of = _parse_time(args.as_of) if args.as_of else _run_as_of(processed) or s.demo.as_of
        prev = _parse_time(args.previous) if args.previous else None
    except ReconcileError as exc:
        print(f"galat: {exc}")
        return 2
    try:
        result = run_reconcile(processed, as_of, s, prev)
    except ReconcileError as exc:
        print(f"galat: {exc}")
        return 2
    print(summary(result, settings=s))
    print(
        f"Ditulis ke {processed} dan {history_dir(processed, result.as_of, s)} "
        f"({result.run['durasi_detik'][0]:.2f} detik)"
    )
    return 0


def synthetic_inputs(n_tps: int = 430_000, seed: int = 20241127) -> ReconInputs:
    """National-size synthetic inputs for the benchmark: one gubernur and one bupati contest per TPS,
    2–6 paslon, a report for ~90% of TPS, KPU in three pulls (~40/60/70%), a few differences."""
    rng = np.random.default_rng(seed)
    n_desa = 83_762
    desa_i = np.sort(rng.integers(0, n_desa, n_tps))
    prov = 11 + desa_i % 38
    kab = 1 + (desa_i // 38) % 14
    kec = 1 + (desa_i // 532) % 15
    ds = 2001 + desa_i % 157
    nomor = np.arange(n_tps) % 900 + 1
    kode_desa = [
        f"{p:02d}.{k:02d}.{c:02d}.{d:04d}" for p, k, c, d in zip(prov, kab, kec, ds, strict=True)
    ]
    ref_tps = (
        pl.DataFrame({"kode_desa": kode_desa, "nomor_tps": nomor})
        .with_columns(
            (
                pl.col("kode_desa").str.replace_all(".", "", literal=True)
                + pl.col("nomor_tps").cast(pl.String).str.zfill(3)
            ).alias("kode_tps"),
            pl.Series("pemilih_dpt", rng.integers(150, 600, n_tps)),
        )
        .unique("kode_tps")
    )
    t = ref_tps.select("kode_tps", "kode_desa", "pemilih_dpt")
    pairs = pl.concat(
        [
            t.with_columns(
                (pl.lit("pkwkp-") + pl.col("kode_desa").str.slice(0, 2)).alias("kode_kontestasi")
            ),
            t.with_columns(
                (
                    pl.lit("pkwkk-")
                    + pl.col("kode_desa").str.slice(0, 2)
                    + pl.col("kode_desa").str.slice(3, 2)
                ).alias("kode_kontestasi")
            ),
        ]
    )
    contests = pairs.select("kode_kontestasi").unique().sort("kode_kontestasi")
    n_pas = pl.Series(rng.integers(2, 6, contests.height) + (rng.random(contests.height) < 0.1))
    paslon = (
        contests.with_columns(n_pas.alias("n"))
        .with_columns(pl.int_ranges(1, pl.col("n") + 1).alias("nomor_urut"))
        .explode("nomor_urut")
        .select("kode_kontestasi", "nomor_urut", pl.lit(False).alias("kolom_kosong"))
    )
    base = dt.datetime(2024, 11, 27, 7, tzinfo=dt.UTC)
    m = pairs.height
    pairs = pairs.with_columns(
        pl.Series("u", rng.random(m)),
        pl.Series("waktu_laporan", [base] * m).dt.offset_by(
            pl.Series(rng.integers(0, 20 * 60, m)).cast(pl.String) + "m"
        ),
    )
    votes = pairs.join(paslon, on="kode_kontestasi")
    votes = votes.with_columns(pl.Series("suara", rng.integers(0, 150, votes.height)))
    tally = pairs.filter(pl.col("u") < 0.9)
    tv = votes.join(tally.select(PAIR), on=PAIR, how="semi")
    tally_tps = tally.join(
        tv.group_by(PAIR).agg(pl.col("suara").sum().alias("suara_sah")), on=PAIR
    ).with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("peringatan"))
    pulls = [
        dt.datetime(2024, 11, 27, 13, tzinfo=dt.UTC),
        dt.datetime(2024, 11, 28, 1, tzinfo=dt.UTC),
        dt.datetime(2024, 11, 28, 6, 30, tzinfo=dt.UTC),
    ]
    off_tps, off_votes = [], []
    for share, pull in zip((0.4, 0.6, 0.7), pulls, strict=True):
        sel = pairs.filter(pl.col("u") < share).select(PAIR)
        off_tps.append(
            sel.with_columns(
                pl.lit(pull).alias("waktu_tarik"),
                pl.lit(True).alias("ada_chart"),
                pl.lit([], dtype=pl.List(pl.String)).alias("peringatan"),
            )
        )
        v = votes.join(sel, on=PAIR, how="semi").select(*PAIR, "nomor_urut", "suara")
        bump = pl.Series(rng.random(v.height) < 0.003)
        off_votes.append(
            v.with_columns(
                pl.lit(pull).alias("waktu_tarik"),
                pl.when(bump).then(pl.col("suara") + 100).otherwise(pl.col("suara")).alias("suara"),
            )
        )
    return make_inputs(
        tally_tps=tally_tps,
        tally_votes=tv,
        official_tps=pl.concat(off_tps),
        official_votes=pl.concat(off_votes),
        ref_tps=ref_tps,
        ref_paslon=paslon,
        where="synthetic",
    )


def bench_reconcile(
    processed: Path | None = None, as_of: dt.datetime | None = None, n_tps: int = 430_000
) -> dict:
    """Time run_reconcile on ``processed`` (national synthetic data when it holds no tally).

    As the daily job does: a run as of the previous report, then the timed run as of ``as_of``
    (previous run kept in history). Returns sizes and seconds per phase (read, TPS, roll-up,
    contests, changes, write), wall and CPU.
    """
    s = default_settings()
    as_of = as_of or s.demo.as_of
    tmp = None
    source = "processed"
    if processed is None or not catalog.processed_path("tally_tps", root=Path(processed)).exists():
        tmp = Path(tempfile.mkdtemp(prefix="bench_reconcile_"))
        t = time.perf_counter()
        inp = synthetic_inputs(n_tps)
        for name in (
            "tally_tps",
            "tally_votes",
            "official_tps",
            "official_votes",
            "ref_tps",
            "ref_paslon",
        ):
            catalog.write(getattr(inp, name), name, root=tmp)
        gen = time.perf_counter() - t
        processed, source = tmp, f"sintetis ({gen:.1f} s to generate)"
    try:
        prev = s.demo.previous_report
        t = time.perf_counter()
        run_reconcile(Path(processed), prev, s, previous_as_of=None)
        first = time.perf_counter() - t
        t, c = time.perf_counter(), time.process_time()
        result = run_reconcile(Path(processed), as_of, s, prev)
        total, cpu = time.perf_counter() - t, time.process_time() - c
        return {
            "sumber": source,
            "tps_kontestasi": result.tps.height,
            "baris_tps_paslon": result.tps_paslon.height,
            "baris_wilayah": result.wilayah.height,
            "kontestasi": result.kontestasi.height,
            "detik_run_pertama": round(first, 2),
            "detik_total": round(total, 2),
            "detik_cpu": round(cpu, 2),
            "detik_per_tahap": {k: round(v, 2) for k, v in result.timings.items()},
        }
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


__all__ = [
    "ReconInputs",
    "ReconResult",
    "ReconcileError",
    "bench_reconcile",
    "changes_since",
    "has_history",
    "load_history",
    "load_inputs",
    "make_inputs",
    "previous_run",
    "reconcile",
    "run_reconcile",
    "summary",
]
