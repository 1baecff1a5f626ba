"""KPU against itself: its published aggregate per region beside the sum of its own per-TPS records.

KPU's Sirekap site publishes, beside each TPS record, an aggregate per region (votes per paslon and
``progres``: the TPS it says the region has and how many are in). In 2024 these often lagged or
differed from the sum of the records KPU itself published (docs/domain.md §5); the difference is
news for leadership. The pull keeps the aggregates it walked (``kpu/<pull>/agregat/<jenis>/``,
:mod:`analysis.pull.folder`); ingest reads only the records. Reconciliation sets the aggregates of
the latest pull by the as-of time that holds each region beside the records in force then
(``rekon__wilayah_kontestasi_paslon``'s ``suara_kpu``) and the desk's TPS list
(``rekon__wilayah_kontestasi``): ``rekon__agregat_wilayah_kontestasi_paslon``.

Only the provinsi, kab/kota and kecamatan aggregates are compared (the tiers whose units read a
pack); a desa's aggregate serves the pull's incremental fetch.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis import incremental, read
from analysis.catalog import CACHE_DIR
from analysis.domain import regions
from analysis.publish import write_durably
from analysis.pull.agregat import PullAggregates, read_pull_aggregates, region_contest
from analysis.schemas import RECON_AGREGAT
from analysis.settings import KpuSite

#: The deepest tier compared (regions.TIERS index): the kecamatan.
DEEPEST = 3


@dataclass
class KpuAggregates:
    """KPU's aggregates as read (``pull.agregat.aggregates`` columns plus ``waktu_tarik``, the pull
    each region's aggregate comes from), the latest of those pulls, and the files that could not
    be read (each with its reason)."""

    rows: pl.DataFrame
    waktu_tarik: dt.datetime | None = None
    tidak_terbaca: list[str] = field(default_factory=list)


def pulls_by(raw: Path, as_of: dt.datetime) -> list[Path]:
    """The drop's pull folders taken by ``as_of``, latest first (hidden, staged pulls are not
    pulls)."""
    kpu = Path(raw) / "kpu"
    if not kpu.is_dir():
        return []
    taken = [
        p
        for p in kpu.iterdir()
        if p.is_dir() and read.PULL_RE.match(p.name) and read.path_pull(p.name) <= as_of
    ]
    return sorted(taken, key=lambda p: p.name, reverse=True)


def pulls_key(raw: Path, as_of: dt.datetime, shas: Mapping[str, str] | None = None) -> str:
    """The content of the pulls taken by ``as_of``: every file under them, by path relative to the
    drop and sha256. ``shas``: the run's hashes of every file of the drop (its stat cache, just
    brought up to date); without them the pulls' files are walked and hashed here."""
    return incremental.digest([f for pull in pulls_by(raw, as_of) for f in _files(raw, pull, shas)])


def _files(raw: Path, pull: Path, shas: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """Every file under one pull: path relative to the drop and sha256 (from ``shas`` if given)."""
    prefix = pull.relative_to(raw).as_posix() + "/"
    if shas is not None:
        return sorted((rel, sha) for rel, sha in shas.items() if rel.startswith(prefix))
    return [
        (path.relative_to(raw).as_posix(), incremental.file_sha256(path))
        for path in sorted(p for p in pull.rglob("*") if p.is_file())
    ]


def latest_pull(raw: Path, as_of: dt.datetime) -> Path | None:
    """The drop's latest pull folder taken by ``as_of``."""
    pulls = pulls_by(raw, as_of)
    return pulls[0] if pulls else None


@dataclass(frozen=True)
class Kept:
    """Where and under what each pull's reading is kept: the processed folder, ``base`` (code and
    settings: the caller's digest) and the run's hashes of the drop's files (relative path →
    sha256; None: the pull's files are hashed here)."""

    processed: Path
    base: str
    shas: Mapping[str, str] | None = None


def read_aggregates(
    raw: Path, as_of: dt.datetime, kpu: KpuSite, kept: Kept | None = None
) -> KpuAggregates | None:
    """Each region's aggregate from the latest pull by ``as_of`` that holds it: a pull of one
    kab/kota (its scope in its ``ringkasan.json``) renews that kab/kota's aggregates and leaves
    every other region's from the pull before. None when no pull holds any.

    ``kept``: each pull's reading is kept under the processed folder by its files' content
    (:func:`read_pull_kept`): a run after a new pull reads that pull's JSON files and one Parquet
    file for each pull before it."""
    taken: set[tuple[str, str]] = set()
    parts: list[pl.DataFrame] = []
    bad: list[str] = []
    for pull in pulls_by(raw, as_of):
        if not (pull / "agregat").is_dir():
            continue
        if kept is None:
            one = read_pull_aggregates(pull, kpu, DEEPEST, taken)  # taken regions: not opened
        else:
            one = _not_taken(read_pull_kept(raw, pull, kpu, kept), taken)
        taken.update(one.regions)
        bad += [why for _, _, why in one.bad]
        when = read.path_pull(pull.name)
        parts.append(
            one.rows.with_columns(pl.lit(when, pl.Datetime("us", "UTC")).alias("waktu_tarik"))
        )
    if not parts:
        return None
    return _aggregates_of(pl.concat(parts), bad)


def _not_taken(one: PullAggregates, taken: set[tuple[str, str]]) -> PullAggregates:
    """A pull's reading without the regions a later pull already gave."""
    if not taken:
        return one
    later = pl.DataFrame(
        list(taken), schema={"jenis_pemilihan": pl.String, "kode": pl.String}, orient="row"
    )
    return PullAggregates(
        one.rows.join(later, on=["jenis_pemilihan", "kode"], how="anti", maintain_order="left"),
        [r for r in one.regions if r not in taken],
        [b for b in one.bad if (b[0], b[1]) not in taken],
    )


def _aggregates_of(rows: pl.DataFrame, bad: list[str]) -> KpuAggregates:
    latest = rows["waktu_tarik"].max() if not rows.is_empty() else None
    return KpuAggregates(rows, latest, bad)  # type: ignore[arg-type]


#: Where :func:`read_pull_kept` keeps each pull's reading (under the processed folder's cache).
KEPT_DIR = Path(CACHE_DIR) / "agregat"
#: Pulls kept: a count night brings a pull every quarter hour; the least recently used go first.
KEPT_MAX = 256


def read_pull_kept(raw: Path, pull: Path, kpu: KpuSite, kept: Kept) -> PullAggregates:
    """:func:`~analysis.pull.agregat.read_pull_aggregates` of one pull, kept under the processed
    folder by the pull's files' content, code and settings: a pull already read is one Parquet
    file instead of its thousands of JSON files. An entry that cannot be read is read again from
    the pull."""
    folder = kept.processed / KEPT_DIR
    key = incremental.digest(
        {"tarikan": _files(raw, pull, kept.shas), "dasar": kept.base, "kedalaman": DEEPEST}
    )
    meta, part = folder / f"{key}.json", folder / f"{key}.parquet"
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
        one = PullAggregates(
            pl.read_parquet(part),
            [(j, k) for j, k in m["wilayah"]],
            [(j, k, why) for j, k, why in m["tidak_terbaca"]],
        )
        os.utime(meta)  # recently used
        return one
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError):
        pass
    one = read_pull_aggregates(pull, kpu, DEEPEST)
    folder.mkdir(parents=True, exist_ok=True)
    write_durably(part, lambda p: one.rows.write_parquet(p))
    record = {"wilayah": one.regions, "tidak_terbaca": one.bad}
    write_durably(meta, lambda p: p.write_text(json.dumps(record), encoding="utf-8"))
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEPT_MAX:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".parquet").unlink(missing_ok=True)
    return one


def _contest_and_number(agg: pl.DataFrame, ref_paslon: pl.DataFrame) -> pl.DataFrame:
    """Each paslon id's contest and nomor urut from the desk's reference; an id it lacks keeps
    the contest of its region (null nomor urut)."""
    ids = (
        ref_paslon.select("paslon_id", "kode_kontestasi", "nomor_urut")
        .drop_nulls("paslon_id")
        .unique("paslon_id")
    )
    out = agg.join(ids, on="paslon_id", how="left")
    missing = out.filter(pl.col("kode_kontestasi").is_null()).select("jenis_pemilihan", "kode")
    fill = pl.DataFrame(
        [(j, k, region_contest(j, k)) for j, k in missing.unique().rows()],
        schema={"jenis_pemilihan": pl.String, "kode": pl.String, "_k": pl.String},
        orient="row",
    )
    return (
        out.join(fill, on=["jenis_pemilihan", "kode"], how="left")
        .with_columns(pl.coalesce("kode_kontestasi", "_k").alias("kode_kontestasi"))
        .drop("_k")
    )


def _inside_contest() -> pl.Expr:
    """The region lies inside its contest's region: its aggregate's TPS count is the contest's
    (a province's bupati/walikota aggregate counts the TPS of every kab/kota contest in it)."""
    region = pl.col("kode_kontestasi").map_elements(regions.contest_region, return_dtype=pl.String)
    return regions.inside_expr("kode_wilayah", region)


def against_itself(
    agg: KpuAggregates | None,
    ref_paslon: pl.DataFrame,
    wilayah: pl.DataFrame,
    wilayah_status: pl.DataFrame,
) -> pl.DataFrame:
    """rekon__agregat_wilayah_kontestasi_paslon: KPU's aggregate beside the sum of its records in
    force (``wilayah``) and its TPS count beside the desk's list (``wilayah_status``)."""
    if agg is None or agg.rows.is_empty():
        return RECON_AGREGAT.empty()
    unit = ["kode_wilayah", "kode_kontestasi"]
    sums = wilayah.select(*unit, "nomor_urut", pl.col("suara_kpu").alias("suara_tps"))
    counts = wilayah_status.select(
        *unit, pl.col("tps_kpu").alias("tps_tercatat"), pl.col("tps_diharapkan").alias("tps_desk")
    )
    out = (
        _contest_and_number(agg.rows, ref_paslon)
        .with_columns(regions.dotted_expr("kode").alias("kode_wilayah"))
        .join(sums, on=[*unit, "nomor_urut"], how="left")
        .join(counts, on=unit, how="left")
        .with_columns(
            regions.tier_expr("kode_wilayah").alias("tingkat"),
            regions.parent_expr("kode_wilayah").alias("kode_induk"),
            pl.col("suara_tps").fill_null(0),
            pl.col("tps_tercatat").fill_null(0),
            pl.col("tps_desk").fill_null(0),
        )
        .with_columns(
            (pl.col("suara_agregat") - pl.col("suara_tps")).alias("selisih"),
            pl.when(_inside_contest())
            .then(pl.col("tps_total_kpu") - pl.col("tps_desk"))
            .alias("selisih_tps"),
        )
    )
    out = RECON_AGREGAT.conform(out).sort("kode_kontestasi", "kode_wilayah", "paslon_id")
    return RECON_AGREGAT.check_key(out)
