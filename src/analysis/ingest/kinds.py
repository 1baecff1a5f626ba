"""What is particular to each kind, around the common fates: the columns a kind needs before its
rows are decided (vote sums, TPS-list check, incident ids, D.Hasil's long form), and what each
processed dataset keeps afterwards.

:func:`process_kind` is one kind's whole path: prepare, :func:`~analysis.ingest.fates.decide`,
the fates of unchanged Sirekap copies. :func:`outputs` turns the decided rows into datasets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from analysis import read
from analysis.ingest.fates import DITERIMA, DITOLAK, copy_fates, decide
from analysis.ingest.frames import EMPTY_LIST, attach, lineage_ref
from analysis.ingest.specs import EXTRAS, REFERENCES, WITH_VOTES, Spec
from analysis.schemas import (
    BY_NAME,
    INCIDENTS,
    OFFICIAL_REGION,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    PASLON,
    TALLY,
    TALLY_VOTES,
)
from analysis.settings import Settings

if TYPE_CHECKING:
    from analysis.ingest.verdicts import Bound

_DPT = ("pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p")
_NO_VOTES = {"_rid": pl.Int64, "nomor_urut": pl.Int64, "paslon_id": pl.String, "suara": pl.Int64}


def process_kind(
    spec: Spec,
    rows: pl.DataFrame,
    votes: pl.DataFrame | None,
    refs: dict[str, pl.DataFrame],
    s: Settings,
    messages: list[str],
    memo: Bound | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """Decided rows, check summary and vote entries (D.Hasil: its long form) of one kind's batch
    (``refs``: the reference datasets already made; ``memo``: the verdict cache of its files)."""
    validate_df = None
    rows, copies = split_copies(rows)
    if spec.kind in WITH_VOTES:
        votes = votes if votes is not None else pl.DataFrame(schema=_NO_VOTES)
        rows, votes = prepare_votes_rows(spec.kind, rows, votes, refs)
    elif spec.kind == "official_region":
        rows, validate_df = region_long(rows, votes)
    elif spec.kind == "incidents":
        rows = normalise_incidents(rows, messages)
    decided, summary = decide(spec, rows, s, messages, validate_df, memo)
    decided = with_copies(decided, copies)
    if spec.kind == "official_region":
        return decided.drop("nomor_urut"), summary, validate_df
    return decided, summary, votes


def split_copies(rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """The rows to decide, and apart from them the unchanged Sirekap copies (rows with
    ``_src_file``: a record a later pull repeats), which take their fates from the records they
    copy once those are decided (:func:`with_copies`)."""
    if "_src_file" not in rows.columns:
        return rows, None
    return rows.filter(pl.col("_src_file").is_null()), rows.filter(
        pl.col("_src_file").is_not_null()
    )


def with_copies(decided: pl.DataFrame, copies: pl.DataFrame | None) -> pl.DataFrame:
    """The decided rows followed by the copies with their fates (:func:`copy_fates`)."""
    if copies is None or not copies.height:
        return decided
    return pl.concat([decided, copy_fates(copies, decided)], how="diagonal_relaxed")


# --- Before the fates -----------------------------------------------------------------------------


def _ref_paslon_table(ref: pl.DataFrame | None) -> pl.DataFrame:
    if ref is None or ref.is_empty():
        return PASLON.empty()
    return ref


def vote_stats(votes: pl.DataFrame, rows: pl.DataFrame, ref_paslon: pl.DataFrame) -> pl.DataFrame:
    """Per ``_rid``: jumlah_suara_paslon (Σ votes, null with no vote entry) and paslon_asing (vote
    entries, nonzero, whose paslon is not in the contest's reference — every entry of a contest the
    reference does not hold, e.g. ``ppwp`` in a Pilkada drop; null when there is no paslon
    reference at all)."""
    ref_nu = (
        ref_paslon.select("kode_kontestasi", "nomor_urut")
        .unique()
        .with_columns(pl.lit(True).alias("_in_ref"))
    )
    v = votes.join(rows.select("_rid", "kode_kontestasi"), on="_rid", how="inner")
    if "asing" in v.columns:  # official: already decided by paslon id
        v = v.with_columns(pl.col("asing").alias("_foreign"))
    else:
        v = v.join(ref_nu, on=["kode_kontestasi", "nomor_urut"], how="left").with_columns(
            pl.col("_in_ref").is_null().alias("_foreign")
        )
    stats = v.group_by("_rid").agg(
        pl.col("suara").sum().alias("jumlah_suara_paslon"),
        (pl.col("_foreign") & (pl.col("suara").fill_null(1) != 0)).sum().alias("paslon_asing"),
    )
    out = rows.select("_rid", "kode_kontestasi").join(stats, on="_rid", how="left")
    out = out.with_columns(
        pl.col("paslon_asing").fill_null(0)
        if ref_paslon.height
        else pl.lit(None, dtype=pl.Int64).alias("paslon_asing")
    )
    return out.select(
        "_rid", pl.col("jumlah_suara_paslon").cast(pl.Int64), pl.col("paslon_asing").cast(pl.Int64)
    )


def votes_signature(votes: pl.DataFrame) -> pl.DataFrame:
    """Per ``_rid`` a 64-bit signature of its vote entries (order-free): two reports compare equal
    only if their votes do (as the rest of a row is compared, through a 64-bit hash)."""
    return (
        votes.select(
            "_rid", pl.struct("nomor_urut", "paslon_id", "suara").hash(seed=7).alias("_vh")
        )
        .group_by("_rid")
        .agg(pl.col("_vh").sort())
        .select("_rid", pl.col("_vh").hash(seed=11).alias("_votes_sig"))
    )


def _dpt_from_ref(rows: pl.DataFrame, ref_tps: pl.DataFrame) -> pl.DataFrame:
    """An internal report without DPT takes the TPS list's."""
    fill = ref_tps.select("kode_tps", *(pl.col(c).alias(f"_ref_{c}") for c in _DPT))
    return (
        attach(rows, fill.unique("kode_tps", keep="first"), on="kode_tps")
        .with_columns(pl.coalesce(c, f"_ref_{c}").alias(c) for c in _DPT)
        .drop(*(f"_ref_{c}" for c in _DPT))
    )


def mark_unlisted_tps(kind: str, rows: pl.DataFrame, ref_tps: pl.DataFrame) -> pl.DataFrame:
    """A TPS code whose desa exists but which is not in the TPS list (a typo in the number): an
    internal report cannot be placed (``_tolak_ingest``: rejected); KPU's record stands
    (``_warn_ingest``: a warning)."""
    unknown = pl.col("kode_tps").is_not_null() & ~pl.col("kode_tps").is_in(
        ref_tps["kode_tps"].implode()
    )
    msg = pl.format(
        "tps_terdaftar: kode_tps {} tidak ada di daftar TPS (referensi/tps.csv)",
        pl.col("kode_tps"),
    )
    col = "_tolak_ingest" if kind == "tally" else "_warn_ingest"
    return rows.with_columns(
        pl.when(unknown).then(pl.concat_list(msg)).otherwise(EMPTY_LIST).alias(col)
    )


def prepared_votes(
    kind: str, rows: pl.DataFrame, votes: pl.DataFrame, refs: dict[str, pl.DataFrame]
) -> pl.DataFrame:
    """The vote entries as the datasets keep them: KPU's placed on the paslon list by paslon id
    (``rows``: the batch rows they belong to); the internal count's as they were read."""
    if kind != "official":
        return votes
    return read.map_paslon(
        votes.select("_rid", "paslon_id", "suara", "nomor_urut"),
        rows.select("_rid", "kode_kontestasi"),
        _ref_paslon_table(refs.get("ref_paslon")),
    ).drop("kode_kontestasi")


def prepare_votes_rows(
    kind: str, rows: pl.DataFrame, votes: pl.DataFrame, refs: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tally and Sirekap rows: paslon of KPU's entries by id, DPT from the TPS list, vote sums and
    signature, the TPS-list check."""
    ref_paslon = _ref_paslon_table(refs.get("ref_paslon"))
    ref_tps = refs.get("ref_tps")
    has_tps_list = ref_tps is not None and ref_tps.height > 0
    votes = prepared_votes(kind, rows, votes, refs)
    if kind == "tally" and has_tps_list:
        rows = _dpt_from_ref(rows, ref_tps)
    stats = vote_stats(votes, rows, ref_paslon)
    rows = attach(attach(rows, stats), votes_signature(votes))
    if has_tps_list:
        rows = mark_unlisted_tps(kind, rows, ref_tps)
    return rows, votes


def normalise_incidents(rows: pl.DataFrame, messages: list[str]) -> pl.DataFrame:
    """A blank ``id_insiden`` becomes the row's lineage; labels normalised to the taxonomy (the
    original text kept)."""
    blank = pl.col("id_insiden").is_null() | (pl.col("id_insiden").str.strip_chars() == "")
    rows = rows.with_columns(
        pl.when(blank)
        .then(lineage_ref())
        .otherwise(pl.col("id_insiden").str.strip_chars())
        .alias("id_insiden")
    )
    try:
        from analysis.taxonomy import normalise_incidents
    except ImportError as exc:
        messages.append(
            f"[{INCIDENTS.name}] normalisasi label belum tersedia ({exc}); teks asli disimpan"
        )
        return rows.with_columns(
            *(pl.col(c).alias(f"{c}_asli") for c in ("tahapan", "kategori", "tingkat_keparahan")),
            pl.lit([], dtype=pl.List(pl.String)).alias("kategori_lain"),
        )
    return normalise_incidents(rows)


def region_long(
    rows: pl.DataFrame, votes: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """D.Hasil: raw rows (region × contest, wide; or × paslon, long) and the long frame the
    validator sees (region × contest × paslon, one per vote entry; a raw row without any vote
    entry gives one row with nomor_urut null)."""
    v = (
        votes
        if votes is not None
        else pl.DataFrame(schema={"_rid": pl.Int64, "nomor_urut": pl.Int64, "suara": pl.Int64})
    )
    base = rows.select(
        "_rid",
        "kode_wilayah",
        "kode_kontestasi",
        "suara_sah",
        "suara_tidak_sah",
        "tps_total",
        "tps_masuk",
        "waktu_terima",
        "penetapan",
        "sumber_file",
        "sumber_sheet",
        "sumber_baris",
    )
    long = base.join(v.select("_rid", "nomor_urut", "suara"), on="_rid", how="left")
    # a long-form row's entity includes its nomor urut; a wide row's does not
    rows = rows.with_columns(pl.col("nomor_urut"))
    return rows, long


# --- After the fates ------------------------------------------------------------------------------


def canon(name: str, df: pl.DataFrame) -> pl.DataFrame:
    """The dataset's own columns (missing ones null) plus its useful extras; working columns go."""
    ds = BY_NAME[name]
    extras = [c for c in EXTRAS.get(name, ()) if c in df.columns]
    return ds.conform(df.select([c for c in (*ds.columns, *extras) if c in df.columns]))


def _kept(spec: Spec, decided: pl.DataFrame) -> pl.DataFrame:
    """The rows a dataset keeps: the version in force, or (history) every version but the
    rejected ones and exact duplicate copies."""
    if spec.history:
        return decided.filter((pl.col("_status") != DITOLAK) & pl.col("_dup_of").is_null())
    return decided.filter(pl.col("_status") == DITERIMA)


def _tally_votes(keep: pl.DataFrame, votes: pl.DataFrame) -> pl.DataFrame:
    v = votes.join(keep.select("_rid", "kode_tps", "kode_kontestasi", "waktu_laporan"), on="_rid")
    # in row order (a join's output order is not fixed), so the same files give the same bytes
    v = v.sort("_rid", "nomor_urut", "suara", nulls_last=True, maintain_order=True)
    return v.unique(
        ["kode_tps", "kode_kontestasi", "waktu_laporan", "nomor_urut"],
        keep="first",
        maintain_order=True,
    )


def _official_votes(keep: pl.DataFrame, votes: pl.DataFrame) -> pl.DataFrame:
    v = votes.join(keep.select("_rid", "kode_tps", "kode_kontestasi", "waktu_tarik"), on="_rid")
    # a paslon id not in the reference keeps its votes under a negative nomor urut (-1, -2, ...)
    v = v.sort("_rid", "paslon_id", "suara", nulls_last=True, maintain_order=True).with_columns(
        pl.when(pl.col("nomor_urut").is_null())
        .then(-pl.col("nomor_urut").is_null().cast(pl.Int64).cum_sum().over("_rid"))
        .otherwise(pl.col("nomor_urut"))
        .alias("nomor_urut")
    )
    return v.unique(
        ["kode_tps", "kode_kontestasi", "waktu_tarik", "nomor_urut"],
        keep="first",
        maintain_order=True,
    )


def _region_rows(keep: pl.DataFrame, long: pl.DataFrame) -> pl.DataFrame:
    return (
        long.join(keep.select("_rid"), on="_rid")
        .drop_nulls(["nomor_urut"])
        .unique(list(OFFICIAL_REGION.key), keep="last", maintain_order=True)
    )


def outputs(
    spec: Spec, decided: pl.DataFrame, votes: pl.DataFrame | None
) -> dict[str, pl.DataFrame]:
    """The datasets one kind's decided rows make (references already in their canonical form:
    later kinds are prepared against them)."""
    keep = _kept(spec, decided)
    if spec.kind in REFERENCES:
        return {spec.name: canon(spec.name, keep)}
    if spec.kind == "tally":
        assert votes is not None
        return {TALLY.name: keep, TALLY_VOTES.name: _tally_votes(keep, votes)}
    if spec.kind == "official":
        assert votes is not None
        return {OFFICIAL_TPS.name: keep, OFFICIAL_VOTES.name: _official_votes(keep, votes)}
    if spec.kind == "official_region":
        return {} if votes is None else {OFFICIAL_REGION.name: _region_rows(keep, votes)}
    return {spec.name: keep}
