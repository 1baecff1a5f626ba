"""What changed since the previous report: per TPS × contest, and per region unit × contest.

A pack says what is new since the desk's last report (``docs/domain.md`` §7): discrepancies that
appeared or were resolved, KPU revisions, TPS newly in either source, and coverage before and after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from analysis.domain.regions import tier_expr
from analysis.reconcile.exprs import first_label
from analysis.reconcile.inputs import PAIR
from analysis.reconcile.keys import contest_ids, desa_group, with_pid
from analysis.reconcile.wilayah import UNIT, roll_up
from analysis.schemas import RECON_PERUBAHAN, RECON_PERUBAHAN_WILAYAH, RECON_TPS

if TYPE_CHECKING:
    from analysis.reconcile.result import ReconResult

SEBELUMNYA = "_sebelumnya"
#: rekon__tps_kontestasi columns compared between the two reports.
COMPARED = [
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
FLAGS = ("kpu_direvisi", "ada_internal", "ada_kpu")

_WAS = pl.col("status_banding_sebelumnya") == "selisih"
_NOW = pl.col("status_banding") == "selisih"

#: ``jenis_perubahan`` of a TPS × contest: the first that applies; none applies, no row.
JENIS_PERUBAHAN: tuple[tuple[str, pl.Expr], ...] = (
    ("selisih_baru", pl.col("_baru")),
    ("selisih_selesai", pl.col("_selesai")),
    ("kpu_direvisi_baru", pl.col("_revisi")),
    (
        "selisih_berubah",
        _NOW & _WAS & (pl.col("selisih_abs") != pl.col("selisih_abs_sebelumnya")),
    ),
    ("masuk_internal", pl.col("ada_internal") & ~pl.col("ada_internal_sebelumnya")),
    ("masuk_kpu", pl.col("ada_kpu") & ~pl.col("ada_kpu_sebelumnya")),
    ("lainnya", pl.col("status") != pl.col("status_sebelumnya")),
)
#: What is counted per unit: new discrepancies, resolved ones, new KPU revisions.
EVENTS: dict[str, pl.Expr] = {
    "_baru": _NOW & ~_WAS,
    "_selesai": _WAS & (pl.col("status_banding") == "cocok"),
    "_revisi": pl.col("kpu_direvisi") & ~pl.col("kpu_direvisi_sebelumnya"),
}
#: Event → the rekon__perubahan_wilayah_kontestasi column counting it.
EVENT_COUNTS: dict[str, str] = {
    "_baru": "n_selisih_baru",
    "_selesai": "n_selisih_selesai",
    "_revisi": "n_kpu_direvisi_baru",
}

#: rekon__wilayah_kontestasi columns set side by side, before and after.
COVERAGE = ["tps_internal", "tps_kpu", "cakupan_internal", "cakupan_kpu", "n_tidak_cocok"]


def _side_by_side(previous: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
    """Each TPS × contest of either report, its columns now and ``_sebelumnya``; a side that did
    not have it counts as ``belum_masuk`` with every flag false."""
    cmap = contest_ids(previous, current)
    prev = with_pid(previous.select(COMPARED), cmap, f"previous {RECON_TPS.name}")
    cur = with_pid(current.select(COMPARED), cmap, RECON_TPS.name)
    j = cur.join(prev, on="_pid", how="full", coalesce=True, suffix=SEBELUMNYA)
    statuses = ("status", "status_banding")
    return j.with_columns(
        *[pl.col(c).fill_null(pl.col(c + SEBELUMNYA)) for c in (*PAIR, "kode_desa")],
        pl.col("diharapkan").fill_null(pl.col("diharapkan" + SEBELUMNYA)).fill_null(False),
        *[pl.col(c + SEBELUMNYA).fill_null("belum_masuk") for c in statuses],
        *[pl.col(c).fill_null("belum_masuk") for c in statuses],
        *[pl.col(c).fill_null(False) for c in FLAGS],
        *[pl.col(c + SEBELUMNYA).fill_null(False) for c in FLAGS],
    ).with_columns(cond.alias(name) for name, cond in EVENTS.items())


def desa_events(j: pl.DataFrame) -> pl.DataFrame:
    """The events of :data:`EVENT_COUNTS` per desa × contest (``kode_wilayah``: the desa)."""
    return (
        j.group_by(desa_group(j, per_paslon=False))
        .agg(
            pl.col("kode_desa").first(),
            pl.col("kode_kontestasi").first(),
            *[pl.col(e).sum().cast(pl.Int64).alias(n) for e, n in EVENT_COUNTS.items()],
        )
        .drop("_k")
        .rename({"kode_desa": "kode_wilayah"})
    )


def per_unit(previous: ReconResult, current: ReconResult, desa: pl.DataFrame) -> pl.DataFrame:
    """rekon__perubahan_wilayah_kontestasi: coverage before and after, and the events of the desa
    rows (:func:`desa_events`) summed up the tree."""
    counts = roll_up(desa, ["kode_kontestasi"], list(EVENT_COUNTS.values()))
    before = previous.wilayah_status.select(*UNIT, *COVERAGE)
    after = current.wilayah_status.select("tingkat", *UNIT, *COVERAGE)
    counted = [c for c in COVERAGE if not c.startswith("cakupan")]
    w = (
        after.join(before, on=UNIT, how="full", coalesce=True, suffix=SEBELUMNYA)
        .join(counts.drop("tingkat"), on=UNIT, how="left")
        .with_columns(
            pl.col("tingkat").fill_null(tier_expr("kode_wilayah")),
            *[
                pl.col(c).fill_null(0)
                for c in (*counted, *[c + SEBELUMNYA for c in counted], *EVENT_COUNTS.values())
            ],
        )
    )
    return RECON_PERUBAHAN_WILAYAH.check_key(
        RECON_PERUBAHAN_WILAYAH.conform(w).sort("kode_kontestasi", "kode_wilayah")
    )


def changes_since(previous: ReconResult, current: ReconResult) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What changed between two reconciliations: (rekon__perubahan_tps_kontestasi,
    rekon__perubahan_wilayah_kontestasi).

    rekon__perubahan_tps_kontestasi: one row per TPS × contest whose status or discrepancy changed
    (:data:`JENIS_PERUBAHAN`); rekon__perubahan_wilayah_kontestasi: one row per region unit ×
    contest with coverage before/after and new/resolved discrepancies.
    """
    changed, desa = tps_changes(previous.tps, current.tps)
    return finish_tps(changed), per_unit(previous, current, desa)


def tps_changes(previous: pl.DataFrame, current: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the TPS × contest rows that changed, as the dataset's columns, unsorted; :func:`desa_events`)
    between two ``rekon__tps_kontestasi`` frames (no private key: a part's is of its own run)."""
    j = _side_by_side(previous, current)
    per_tps = j.with_columns(first_label(JENIS_PERUBAHAN).alias("jenis_perubahan")).filter(
        pl.col("jenis_perubahan").is_not_null()
    )
    return RECON_PERUBAHAN.conform(per_tps).select(list(RECON_PERUBAHAN.columns)), desa_events(j)


def finish_tps(changed: pl.DataFrame) -> pl.DataFrame:
    """rekon__perubahan_tps_kontestasi from the changed rows of :func:`tps_changes`: in key order."""
    return RECON_PERUBAHAN.check_key(changed.sort(PAIR))
