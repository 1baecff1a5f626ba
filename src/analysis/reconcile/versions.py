"""The versions in force as of a time T, and KPU's revisions since the previous report.

Supersession (``docs/domain.md`` §6): the desk's report in force for a TPS × contest is its latest
with ``waktu_laporan <= T``; KPU's record in force is the latest pull with ``waktu_tarik <= T`` (each
pull is a snapshot; ingest keeps a pull only when the record changed). A record *in force* has
votes only when KPU published them (``ada_chart``).

KPU's votes count as revised when they differ from the version the previous report showed, or from
any version published since (a record first published and then corrected between two reports is
revised too); with no previous report, from any earlier version.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analysis.ingest.fates import held_empty
from analysis.reconcile.inputs import PAIR, ReconInputs
from analysis.reconcile.keys import vote_id, with_pid

#: Columns of each source's TPS × contest record, under the names ``rekon__tps_kontestasi`` gives
#: them.
INTERNAL_RECORD: tuple[pl.Expr, ...] = (
    pl.col("waktu_laporan"),
    pl.col("suara_sah").alias("suara_sah_internal"),
    pl.col("peringatan").alias("peringatan_internal"),
)
KPU_RECORD: tuple[pl.Expr, ...] = (
    pl.col("waktu_tarik"),
    pl.col("ts").alias("ts_kpu"),
    pl.col("psu").alias("psu_kpu"),
    pl.col("ada_chart").fill_null(False).alias("ada_kpu"),
    pl.col("suara_sah").alias("suara_sah_kpu"),
    pl.col("peringatan").alias("peringatan_kpu"),
)


@dataclass(frozen=True)
class Source:
    """Where one source's versions are: its ReconInputs fields, and the time that orders them."""

    time_col: str
    records: str  # one row per TPS × contest × version
    votes: str  # one row per TPS × contest × version × paslon
    columns: tuple[pl.Expr, ...]  # the record's columns kept, as rekon__tps_kontestasi names them


INTERNAL = Source("waktu_laporan", "tally_tps", "tally_votes", INTERNAL_RECORD)
KPU = Source("waktu_tarik", "official_tps", "official_votes", KPU_RECORD)


@dataclass
class InForce:
    """What is in force as of a time, keyed by ``_pid`` (TPS × contest) or ``_vid`` (× paslon)."""

    internal: pl.DataFrame  # the desk's report in force (INTERNAL_RECORD)
    kpu: pl.DataFrame  # KPU's record in force (KPU_RECORD)
    internal_votes: pl.DataFrame  # _vid, nomor_urut, suara_internal
    kpu_votes: pl.DataFrame  # _vid, nomor_urut, suara_kpu
    revised: pl.DataFrame  # _pid, waktu_tarik_sebelumnya: the version KPU's votes differ from
    revised_votes: pl.DataFrame  # _vid, nomor_urut, suara_kpu_sebelumnya: that version's votes


def latest(df: pl.DataFrame, time_col: str) -> pl.DataFrame:
    """The latest version per ``_pid`` (versions of one TPS × contest have distinct times)."""
    return df.filter(pl.col(time_col) == pl.col(time_col).max().over("_pid"))


def _keyed_up_to(
    df: pl.DataFrame,
    time_col: str,
    as_of: dt.datetime,
    columns: tuple[pl.Expr, ...] | list[str],
    cmap: dict[str, int],
    where: str,
) -> pl.DataFrame:
    """Every version up to ``as_of`` with its ``_pid`` (only versions that can be in force)."""
    return with_pid(df.filter(pl.col(time_col) <= as_of).select(*PAIR, *columns), cmap, where)


def _votes_of(votes: pl.DataFrame, chosen: pl.DataFrame, time_col: str) -> pl.DataFrame:
    """The vote rows of the chosen versions (a paslon without a figure counts 0)."""
    return votes.join(chosen.select("_pid", time_col), on=["_pid", time_col], how="semi").select(
        vote_id(), "nomor_urut", pl.col("suara").fill_null(0)
    )


def _versions(
    inputs: ReconInputs, source: Source, as_of: dt.datetime, cmap: dict[str, int]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A source's records and votes, every version up to ``as_of``, keyed."""
    t = source.time_col
    records = getattr(inputs, source.records)
    if "peringatan" in records.columns:  # an empty record kept after a full one is never in force
        records = records.filter(~held_empty())
    votes = getattr(inputs, source.votes)
    return (
        _keyed_up_to(records, t, as_of, source.columns, cmap, source.records),
        _keyed_up_to(votes, t, as_of, [t, "nomor_urut", "suara"], cmap, source.votes),
    )


def in_force(
    inputs: ReconInputs,
    cmap: dict[str, int],
    as_of: dt.datetime,
    previous_as_of: dt.datetime | None,
) -> InForce:
    """The desk's reports and KPU's records in force at ``as_of`` (UTC), with KPU's revisions."""
    tally_all, tally_votes = _versions(inputs, INTERNAL, as_of, cmap)
    official_all, official_votes = _versions(inputs, KPU, as_of, cmap)
    tally = latest(tally_all, INTERNAL.time_col)
    official = latest(official_all, KPU.time_col)
    iv = _votes_of(tally_votes, tally, INTERNAL.time_col).rename({"suara": "suara_internal"})
    ov, prev, pv = kpu_revisions(official_all, official_votes, official, previous_as_of)
    return InForce(tally, official, iv, ov, prev, pv)


def _revision_window(
    official_all: pl.DataFrame, official: pl.DataFrame, previous_as_of: dt.datetime | None
) -> pl.DataFrame:
    """Per TPS × contest with votes in force: ``_t_now`` (the pull in force) and ``_t_start``
    (the pull in force at the previous report; null: look at every earlier pull)."""
    window = official.filter("ada_kpu").select("_pid", pl.col("waktu_tarik").alias("_t_now"))
    if previous_as_of is None:
        return window.with_columns(pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("_t_start"))
    start = (
        official_all.filter(pl.col("ada_kpu") & (pl.col("waktu_tarik") <= previous_as_of))
        .group_by("_pid")
        .agg(pl.col("waktu_tarik").max().alias("_t_start"))
    )
    return window.join(start, on="_pid", how="left")


def kpu_revisions(
    official_all: pl.DataFrame,
    official_votes: pl.DataFrame,
    official: pl.DataFrame,
    previous_as_of: dt.datetime | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """KPU votes in force, and what they are compared against for revisions, in one pass.

    Returns (ov, prev, pv): ``ov`` the votes in force (``_vid``, ``nomor_urut``, ``suara_kpu``);
    ``prev`` one row per TPS × contest whose votes changed within the window (``_pid``,
    ``waktu_tarik_sebelumnya`` = the earliest version in the window that differs from the one in
    force); ``pv`` that version's votes (``suara_kpu_sebelumnya``). Inputs hold versions up to as_of
    only, with ``_pid``.
    """
    window = _revision_window(official_all, official, previous_as_of)
    t = pl.col("waktu_tarik")
    kv = (
        official_votes.join(window, on="_pid")
        .filter(
            (t <= pl.col("_t_now")) & (pl.col("_t_start").is_null() | (t >= pl.col("_t_start")))
        )
        .select(
            "_pid", "waktu_tarik", "_t_now", vote_id(), "nomor_urut", pl.col("suara").fill_null(0)
        )
    )
    now = t == pl.col("_t_now")
    ov = kv.filter(now).select("_vid", "nomor_urut", pl.col("suara").alias("suara_kpu"))
    earlier = kv.filter(~now)
    diff = (
        earlier.join(ov.select("_vid", "suara_kpu"), on="_vid", how="left")
        .group_by("_pid", "waktu_tarik")
        .agg((pl.col("suara") - pl.col("suara_kpu").fill_null(0)).abs().sum().alias("_d"))
    )
    prev = (
        diff.filter(pl.col("_d") > 0)
        .group_by("_pid")
        .agg(pl.col("waktu_tarik").min().alias("waktu_tarik_sebelumnya"))
    )
    pv = earlier.join(
        prev.rename({"waktu_tarik_sebelumnya": "waktu_tarik"}),
        on=["_pid", "waktu_tarik"],
        how="semi",
    ).select("_vid", "nomor_urut", pl.col("suara").alias("suara_kpu_sebelumnya"))
    return ov, prev, pv
