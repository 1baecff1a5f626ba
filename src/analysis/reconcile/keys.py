"""Integer keys: one Int64 per TPS × contest and per TPS × contest × paslon.

Joining and grouping on one integer instead of two or three strings is what keeps a national run
(≈860,000 TPS × contest, millions of vote rows) fast. The keys are private columns, never written:

- ``_pid`` (pair): the 13-digit TPS code × :data:`CONTEST_SLOTS` + the contest's index, contest
  codes numbered in sorted order, so integer order equals (``kode_tps``, ``kode_kontestasi``) order;
- ``_vid`` (vote): ``_pid`` × :data:`PASLON_SLOTS` + nomor urut + :data:`PASLON_OFFSET`.

A TPS code is the desa code and a TPS number (``docs/domain.md`` §1), so zeroing the number's digits
of a key gives the key of the desa's cell: :func:`desa_group`.
"""

from __future__ import annotations

import polars as pl

from analysis.domain.regions import KPU_LENGTH, TPS_CODE_DIGITS
from analysis.reconcile.inputs import ReconcileError
from analysis.schemas import Dataset

CONTEST_SLOTS = 1000
"""Contest indexes per TPS in ``_pid`` (a run knows at most 1000 contests; 545 exist)."""
PASLON_SLOTS = 100
"""Nomor urut slots per TPS × contest in ``_vid``."""
PASLON_OFFSET = 50
"""Nomor urut -50..49 fit a slot: ingest files an unknown paslon id under -1, -2, …"""
TPS_NUMBER_DIGITS = TPS_CODE_DIGITS - KPU_LENGTH[4]
"""The TPS number is what a TPS code has beyond its desa code (3 digits)."""
TPS_NUMBER_SLOTS = 10**TPS_NUMBER_DIGITS


def contest_ids(*frames: pl.DataFrame) -> dict[str, int]:
    """Contest code → small integer, in code order (so integer order = string order)."""
    codes = pl.concat([f.select(pl.col("kode_kontestasi").unique()) for f in frames]).unique()
    return {
        c: i for i, c in enumerate(sorted(c for c in codes["kode_kontestasi"] if c is not None))
    }


def pair_id(cmap: dict[str, int]) -> pl.Expr:
    """``_pid`` of each row; null when the TPS code is not 13 digits or the contest is unknown.

    Ingest has already checked every code (``valid_tps_expr``); the length test here is only the
    cheap guard that keeps the integer meaningful.
    """
    tps = pl.col("kode_tps")
    return (
        pl.when(tps.str.len_chars() == TPS_CODE_DIGITS).then(tps.cast(pl.Int64, strict=False))
        * CONTEST_SLOTS
        + pl.col("kode_kontestasi").replace_strict(cmap, default=None, return_dtype=pl.Int64)
    ).alias("_pid")


def with_pid(df: pl.DataFrame, cmap: dict[str, int], where: str) -> pl.DataFrame:
    """``df`` with its ``_pid``; a row that cannot have one is an error naming it."""
    out = df.with_columns(pair_id(cmap))
    bad = out.filter(pl.col("_pid").is_null())
    if not bad.is_empty():
        row = bad.row(0, named=True)
        raise ReconcileError(
            f"{where}: kode_tps {row['kode_tps']!r} / kode_kontestasi {row['kode_kontestasi']!r} "
            "is not a 13-digit TPS code of a known contest (ingest should have rejected it)"
        )
    return out


def vote_id() -> pl.Expr:
    """``_vid`` of a vote row that carries ``_pid`` and ``nomor_urut``."""
    return (pl.col("_pid") * PASLON_SLOTS + pl.col("nomor_urut") + PASLON_OFFSET).alias("_vid")


def pair_of_vote() -> pl.Expr:
    """``_pid`` back from ``_vid``."""
    return (pl.col("_vid") // PASLON_SLOTS).alias("_pid")


def pair_columns(cmap: dict[str, int]) -> list[pl.Expr]:
    """``kode_tps`` and ``kode_kontestasi`` back from ``_pid``."""
    codes = {i: c for c, i in cmap.items()}
    return [
        (pl.col("_pid") // CONTEST_SLOTS)
        .cast(pl.String)
        .str.zfill(TPS_CODE_DIGITS)
        .alias("kode_tps"),
        (pl.col("_pid") % CONTEST_SLOTS)
        .replace_strict(codes, return_dtype=pl.String)
        .alias("kode_kontestasi"),
    ]


def desa_group(df: pl.DataFrame, per_paslon: bool) -> pl.Expr:
    """Group key ``_k`` of the desa × contest (× paslon) cell a TPS-level row belongs to.

    The integer key with the TPS number zeroed when the frame has it, else the codes joined.
    """
    key, unit = ("_vid", CONTEST_SLOTS * PASLON_SLOTS) if per_paslon else ("_pid", CONTEST_SLOTS)
    if key in df.columns:
        k = pl.col(key)
        return (k - ((k // unit) % TPS_NUMBER_SLOTS) * unit).alias("_k")
    parts = ["kode_desa", "kode_kontestasi"] + (["nomor_urut"] if per_paslon else [])
    return pl.concat_str(parts, separator="|").alias("_k")


def keyed(ds: Dataset, df: pl.DataFrame, key: str) -> pl.DataFrame:
    """Conform to ``ds`` keeping the private ``_`` columns, and check the key on its integer form.

    One integer per key of ``ds``: the same check as ``ds.check_key``, a lot cheaper nationally.
    """
    out = ds.conform(df).select(*ds.columns, *[c for c in df.columns if c.startswith("_")])
    nulls = out.select(pl.any_horizontal(pl.col(k).is_null() for k in ds.key).sum()).item()
    dup = out.height - out[key].n_unique()
    if nulls or dup:
        raise ValueError(
            f"{ds.name} ({ds.grain}): key {ds.key} has {nulls} null and {dup} duplicate rows"
        )
    return out
