"""Every row's fate: accepted, rejected with its reasons, or superseded by a later version.

- **ditolak** (rejected): a cell could not be read (``format_baca``), a key column is empty, the
  row collides with another of the same entity and version time but different numbers
  (``versi_bentrok``: which one is right cannot be decided, both are rejected), or it fails a
  reject-level check of the validator (:mod:`analysis.ingest.checks`).
- **digantikan** (superseded): a later version of the same entity exists among the non-rejected
  rows (entity and version order per kind in :data:`analysis.ingest.specs.SPECS`); an exact
  duplicate (same entity, same time, same numbers) is superseded by its first copy; for snapshot
  kinds (Sirekap pulls) a record unchanged since the entity's previous version is superseded by the
  first record of that unchanged run.
- **diterima** (accepted): the version in force; warn-level failures stay on it in ``peringatan``.

A later version supersedes an earlier one only if it is not rejected itself: a broken
resubmission never hides a good report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from analysis.ingest import checks
from analysis.ingest.frames import EMPTY_LIST, attach, lineage_ref
from analysis.ingest.specs import Spec
from analysis.settings import Settings

if TYPE_CHECKING:
    from analysis.ingest.verdicts import Bound

DITERIMA, DITOLAK, DIGANTIKAN = "diterima", "ditolak", "digantikan"

#: Columns that are not part of what a row says (lineage and working columns).
_NOT_COMPARED = (
    "_rid",
    "_i",
    "_sha",
    "sumber_file",
    "sumber_sheet",
    "sumber_baris",
    "nilai_asli",
    "masalah",
    "_votes_sig",
)


def decide(
    spec: Spec,
    df: pl.DataFrame,
    settings: Settings,
    messages: list[str],
    validate_df: pl.DataFrame | None = None,
    memo: Bound | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Give every row its fate: adds ``_status``, ``alasan`` (list), ``peringatan``,
    ``digantikan_oleh`` and ``_dup_of``; returns the rows and the check summary. ``validate_df``:
    the frame handed to the validator when it differs from ``df`` (official_region: long rows
    carrying ``_rid``); ``memo``: the verdict cache of the batch's files."""
    compare = _compared_columns(df)
    df = df.with_columns(lineage_ref().alias("_ref"))
    df = _mark_duplicates(df, spec, compare)
    df = df.with_columns(_empty_key_reason(spec).alias("_kosong"))
    df, summary = _run_checks(df, spec, settings, messages, validate_df, memo)
    df = _gather_reasons(df)
    df = df.with_columns(
        pl.when(pl.col("alasan").list.len() > 0)
        .then(pl.lit(DITOLAK))
        .when(pl.col("_dup_of").is_not_null())
        .then(pl.lit(DIGANTIKAN))
        .otherwise(None)
        .alias("_status")
    )
    if spec.snapshot and spec.version:
        df = unchanged_since_previous(df, spec, [c for c in compare if c != spec.version])
    df = _hold_empty(df, spec)
    df = _supersede(df, spec)
    df = _release_empty(df, spec)
    own = checks.own_summary(spec, df)
    return df.drop("_ref", "_next", "_kosong", "_bentrok", "_alasan_v"), pl.concat([summary, own])


def _compared_columns(df: pl.DataFrame) -> list[str]:
    """What two reports must share to be the same report (votes last, through their signature)."""
    own = [c for c in df.columns if c not in _NOT_COMPARED]
    return own + (["_votes_sig"] if "_votes_sig" in df.columns else [])


def _mark_duplicates(df: pl.DataFrame, spec: Spec, compare: list[str]) -> pl.DataFrame:
    """``_dup_of`` (exact copies) and ``_bentrok`` (colliding versions) of versioned kinds."""
    if spec.version:
        return attach(df, duplicates(df, spec, compare))
    return df.with_columns(
        pl.lit(None, dtype=pl.String).alias("_dup_of"),
        pl.lit(None, dtype=pl.String).alias("_bentrok"),
    )


def _empty_key_reason(spec: Spec) -> pl.Expr:
    """A null entity or version cannot be placed (the validator names the column; this guards
    the references)."""
    keycols = [*spec.entity, *([spec.version] if spec.version else [])]
    if spec.kind == "official_region":  # a wide row has no nomor_urut
        keycols = ["kode_wilayah", "kode_kontestasi"]
    nulls = [pl.when(pl.col(k).is_null()).then(pl.lit(k)) for k in keycols]
    return pl.when(pl.any_horizontal(pl.col(k).is_null() for k in keycols)).then(
        pl.concat_str(
            pl.lit("wajib_terisi: kolom kunci kosong: "),
            pl.concat_list(nulls).list.drop_nulls().list.join(", "),
        )
    )


def _run_checks(
    df: pl.DataFrame,
    spec: Spec,
    settings: Settings,
    messages: list[str],
    validate_df: pl.DataFrame | None,
    memo: Bound | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The validator's reasons (``_alasan_v``) and warnings (``peringatan``) on every row that is
    neither a copy nor a collision (which rows those are is decided here, over the whole batch,
    before any verdict is taken from the cache)."""
    if not spec.validate_as:
        return df.with_columns(
            EMPTY_LIST.alias("_alasan_v"), EMPTY_LIST.alias("peringatan")
        ), checks.empty_summary()
    to_check = df.filter(pl.col("_dup_of").is_null() & pl.col("_bentrok").is_null())
    if validate_df is not None:
        flags, summary = checks.run_validator_at(
            spec.validate_as, to_check, validate_df, settings, messages
        )
    else:
        flags, summary = checks.run_validator(spec.validate_as, to_check, settings, messages, memo)
    return attach(df, flags), summary


def _gather_reasons(df: pl.DataFrame) -> pl.DataFrame:
    """``alasan``: every reason to reject the row; ``peringatan``: every warning on it."""
    return df.with_columns(
        pl.concat_list(
            pl.col("masalah").fill_null(EMPTY_LIST),
            pl.concat_list(pl.col("_kosong"), pl.col("_bentrok")).list.drop_nulls(),
            pl.col("_alasan_v").fill_null(EMPTY_LIST),
            pl.col("_tolak_ingest") if "_tolak_ingest" in df.columns else EMPTY_LIST,
        ).alias("alasan"),
        pl.concat_list(
            pl.col("peringatan").fill_null(EMPTY_LIST),
            pl.col("_warn_ingest") if "_warn_ingest" in df.columns else EMPTY_LIST,
        ).alias("peringatan"),
    )


def _supersede(df: pl.DataFrame, spec: Spec) -> pl.DataFrame:
    """Among the rows still without a fate, versions in order: the last of each entity is in
    force (diterima), every other one is superseded by the next (``digantikan_oleh``)."""
    order = [*spec.entity, *([spec.version] if spec.version else []), "_rid"]
    live = (
        df.select(*dict.fromkeys(["_rid", "_ref", *order]), pl.col("_status").is_null().alias("_l"))
        .filter(pl.col("_l"))
        .sort(order)
    )
    live = live.select(
        "_rid",
        pl.when(same_entity_as(spec.entity, -1)).then(pl.col("_ref").shift(-1)).alias("_next"),
    )
    return attach(df, live).with_columns(
        pl.when(pl.col("_status").is_not_null())
        .then(pl.col("_status"))
        .when(pl.col("_next").is_not_null())
        .then(pl.lit(DIGANTIKAN))
        .otherwise(pl.lit(DITERIMA))
        .alias("_status"),
        pl.coalesce(pl.col("_next"), pl.col("_dup_of")).alias("digantikan_oleh"),
    )


EMPTY_CHECK = "catatan_kosong"
EMPTY_KEPT = (
    f"{EMPTY_CHECK}: catatan ini tidak berisi hasil (tungsura/chart dan administrasi kosong); "
    "versi berisi sebelumnya tetap berlaku"
)


def held_empty() -> pl.Expr:
    """A kept version that holds nothing after one that holds something: never in force."""
    return (
        pl.col("peringatan")
        .list.eval(pl.element().str.starts_with(f"{EMPTY_CHECK}:"))
        .list.any()
        .fill_null(False)
    )


def _hold_empty(df: pl.DataFrame, spec: Spec) -> pl.DataFrame:
    """Rows that hold nothing (:attr:`Spec.content`) after a live version of their entity that holds
    something: out of the version order (``_hold``), so they never supersede it."""
    if not spec.content or not spec.version:
        return df.with_columns(pl.lit(False).alias("_hold"))
    holds = pl.any_horizontal(pl.col(c).fill_null(False) for c in spec.content)
    live = (
        df.select(
            "_rid",
            *spec.entity,
            spec.version,
            holds.alias("_holds"),
            pl.col("_status").is_null().alias("_live"),
        )
        .filter(pl.col("_live"))
        .sort([*spec.entity, spec.version, "_rid"])
        .with_columns(
            pl.col("_holds").cast(pl.Int64).cum_sum().over(list(spec.entity)).alias("_before")
        )
        .select("_rid", (~pl.col("_holds") & (pl.col("_before") > 0)).alias("_hold"))
    )
    return (
        attach(df, live)
        .with_columns(pl.col("_hold").fill_null(False))
        .with_columns(
            pl.when(pl.col("_hold"))
            .then(pl.lit("_hold"))
            .otherwise(pl.col("_status"))
            .alias("_status")
        )
    )


def _release_empty(df: pl.DataFrame, spec: Spec) -> pl.DataFrame:
    """Held empty rows: superseded by (pointing to) the version in force, with a warning."""
    if not spec.content or not spec.version:
        return df.drop("_hold")
    held = pl.col("_hold")
    in_force = (
        df.filter(pl.col("_status") == DITERIMA)
        .select(*spec.entity, pl.col("_ref").alias("_in_force"))
        .unique(list(spec.entity), keep="first")
    )
    df = df.join(in_force, on=list(spec.entity), how="left", nulls_equal=True)
    return df.with_columns(
        pl.when(held).then(pl.lit(DIGANTIKAN)).otherwise(pl.col("_status")).alias("_status"),
        pl.when(held)
        .then(pl.col("_in_force"))
        .otherwise(pl.col("digantikan_oleh"))
        .alias("digantikan_oleh"),
        pl.when(held)
        .then(pl.col("peringatan").list.concat(pl.lit([EMPTY_KEPT])))
        .otherwise(pl.col("peringatan"))
        .alias("peringatan"),
    ).drop("_hold", "_in_force")


def same_entity_as(entity: tuple[str, ...], offset: int) -> pl.Expr:
    """In a frame sorted by ``entity``: the row ``offset`` rows away (1: previous, -1: next)
    belongs to the same entity (nulls equal; False where there is no such row)."""
    idx = pl.int_range(pl.len())
    exists = idx >= offset if offset > 0 else idx < pl.len() + offset
    return exists & pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(offset)) for c in entity)


# --- Copies and collisions ------------------------------------------------------------------------


def _collision_reason(spec: Spec) -> pl.Expr:
    """``versi_bentrok``: the reason given to each of several reports that disagree (``_refs``)."""
    return pl.concat_str(
        pl.lit(
            f"versi_bentrok: laporan lain untuk {' × '.join(spec.entity)} pada {spec.version} yang sama berisi angka berbeda ("
        ),
        pl.col("_refs").list.join(", "),
        pl.lit("); tidak bisa diputuskan mana yang benar"),
    )


def duplicates(df: pl.DataFrame, spec: Spec, compare: list[str]) -> pl.DataFrame:
    """Versioned kinds: rows sharing entity + version time. Returns ``_rid``, ``_dup_of`` (the
    first copy, for exact duplicates) and ``_bentrok`` (reason, for differing numbers). Rows with
    a null key or an unreadable cell take no part."""
    assert spec.version is not None
    key = [*spec.entity, spec.version]
    # hash on the whole frame, then filter only the few columns needed (a wide filter copies all)
    cand = df.select(
        "_rid",
        *key,
        pl.struct(compare).hash().alias("_h"),
        lineage_ref().alias("_ref"),
        (
            pl.all_horizontal(pl.col(k).is_not_null() for k in key)
            & (pl.col("masalah").list.len() == 0)
        ).alias("_ok"),
    ).filter(pl.col("_ok"))
    grp = cand.with_columns(
        pl.len().over(key).alias("_n"),
        pl.col("_h").n_unique().over(key).alias("_nh"),
        pl.col("_rid").min().over(key).alias("_first"),
    ).filter(pl.col("_n") > 1)
    first_ref = grp.filter(pl.col("_rid") == pl.col("_first")).select(
        pl.col("_rid").alias("_first"), pl.col("_ref").alias("_first_ref")
    )
    others = grp.group_by(key).agg(pl.col("_ref").alias("_refs"))
    grp = grp.join(first_ref, on="_first").join(others, on=key, nulls_equal=True)
    return grp.select(
        "_rid",
        pl.when((pl.col("_nh") == 1) & (pl.col("_rid") != pl.col("_first")))
        .then(pl.col("_first_ref"))
        .alias("_dup_of"),
        pl.when(pl.col("_nh") > 1).then(_collision_reason(spec)).alias("_bentrok"),
    )


def unchanged_since_previous(df: pl.DataFrame, spec: Spec, compare: list[str]) -> pl.DataFrame:
    """Snapshots: a live row equal (all but the version time and lineage) to the entity's previous
    live row is an exact duplicate of the first row of that unchanged run: superseded by it and not
    kept as a version. A record that changes and changes back (A, B, A) gives three versions."""
    assert spec.version is not None
    live = (
        df.select(  # narrow first: filtering the wide frame would copy every column
            "_rid",
            "_ref",
            *spec.entity,
            spec.version,
            pl.struct(compare).hash().alias("_h"),
            pl.col("_status").is_null().alias("_live"),
        )
        .filter(pl.col("_live"))
        .drop("_live")
        .sort([*spec.entity, spec.version, "_rid"])
    )
    # sorted by entity then version: a run of equal records starts where the entity or the
    # record changes; every row of a run points to the run's first row
    live = live.with_columns(
        (~same_entity_as(spec.entity, 1) | (pl.col("_h") != pl.col("_h").shift(1)))
        .fill_null(True)
        .alias("_new")
    ).with_columns(pl.when(pl.col("_new")).then(pl.col("_ref")).forward_fill().alias("_first"))
    same = live.filter(~pl.col("_new")).select("_rid", pl.col("_first").alias("_same_as"))
    return (
        attach(df, same)
        .with_columns(
            pl.when(pl.col("_same_as").is_not_null())
            .then(pl.lit(DIGANTIKAN))
            .otherwise(pl.col("_status"))
            .alias("_status"),
            pl.coalesce(pl.col("_dup_of"), pl.col("_same_as")).alias("_dup_of"),
        )
        .drop("_same_as")
    )


def copy_fates(copies: pl.DataFrame, decided: pl.DataFrame) -> pl.DataFrame:
    """Unchanged Sirekap copies (rows with ``_src_file``/``_src_baris``) take the fate of the
    record they copy: rejected with its reasons when it was rejected, else superseded by it (by
    the first copy of an unchanged run); rejected when that record was never read."""
    src = decided.select(
        pl.col("sumber_file").alias("_src_file"),
        pl.col("sumber_baris").alias("_src_baris"),
        pl.col("_status").alias("_src_status"),
        pl.col("alasan").alias("_src_alasan"),
        pl.coalesce(pl.col("_dup_of"), lineage_ref()).alias("_src_ref"),
        "kode_tps",
        "kode_kontestasi",
    )
    out = copies.drop("kode_tps", "kode_kontestasi").join(
        src, on=["_src_file", "_src_baris"], how="left"
    )
    missing = pl.col("_src_status").is_null()
    rejected = missing | (pl.col("_src_status") == DITOLAK)
    lost = pl.format(
        "salinan_tanpa_sumber: catatan asal {}:{} tidak terbaca",
        pl.col("_src_file"),
        pl.col("_src_baris"),
    )
    return out.with_columns(
        pl.when(rejected).then(pl.lit(DITOLAK)).otherwise(pl.lit(DIGANTIKAN)).alias("_status"),
        pl.when(missing)
        .then(pl.concat_list(lost))
        .when(pl.col("_src_status") == DITOLAK)
        .then(pl.col("_src_alasan"))
        .otherwise(EMPTY_LIST)
        .alias("alasan"),
        pl.when(rejected).then(None).otherwise(pl.col("_src_ref")).alias("_dup_of"),
        pl.lit(None, dtype=pl.String).alias("digantikan_oleh"),
        EMPTY_LIST.alias("peringatan"),
    ).drop("_src_status", "_src_alasan", "_src_ref")
