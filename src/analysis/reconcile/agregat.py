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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analysis import incremental, read
from analysis.domain import regions
from analysis.ingest.cache import CACHE_DIR
from analysis.publish import write_durably
from analysis.pull.agregat import aggregates, region_contest
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
    listed: list[tuple[str, str]] = []
    for pull in pulls_by(raw, as_of):
        prefix = pull.relative_to(raw).as_posix() + "/"
        if shas is not None:
            listed += sorted((rel, sha) for rel, sha in shas.items() if rel.startswith(prefix))
            continue
        for path in sorted(p for p in pull.rglob("*") if p.is_file()):
            listed.append((path.relative_to(raw).as_posix(), incremental.file_sha256(path)))
    return incremental.digest(listed)


def latest_pull(raw: Path, as_of: dt.datetime) -> Path | None:
    """The drop's latest pull folder taken by ``as_of``."""
    pulls = pulls_by(raw, as_of)
    return pulls[0] if pulls else None


def read_aggregates(raw: Path, as_of: dt.datetime, kpu: KpuSite) -> KpuAggregates | None:
    """Each region's aggregate from the latest pull by ``as_of`` that holds it: a pull of one
    kab/kota (its scope in its ``ringkasan.json``) renews that kab/kota's aggregates and leaves
    every other region's from the pull before. None when no pull holds any."""
    taken: set[tuple[str, str]] = set()
    parts: list[pl.DataFrame] = []
    bad: list[str] = []
    for pull in pulls_by(raw, as_of):
        if not (pull / "agregat").is_dir():
            continue
        rows, why = aggregates(pull, kpu, DEEPEST, taken)
        bad += why
        when = read.path_pull(pull.name)
        parts.append(rows.with_columns(pl.lit(when, pl.Datetime("us", "UTC")).alias("waktu_tarik")))
    if not parts:
        return None
    return _aggregates_of(pl.concat(parts), bad)


def _aggregates_of(rows: pl.DataFrame, bad: list[str]) -> KpuAggregates:
    latest = rows["waktu_tarik"].max() if not rows.is_empty() else None
    return KpuAggregates(rows, latest, bad)  # type: ignore[arg-type]


#: Where :func:`read_aggregates_kept` keeps what it read (under the processed folder's cache).
KEPT_DIR = Path(CACHE_DIR) / "agregat"
#: Entries kept: a province demo's night replays eight as-of times per run.
KEPT_MAX = 16


def read_aggregates_kept(
    raw: Path, as_of: dt.datetime, kpu: KpuSite, processed: Path, key: str
) -> KpuAggregates | None:
    """:func:`read_aggregates`, kept under ``processed`` by ``key`` (the pulls' content with
    :func:`pulls_key`, code and settings: the caller's): a run over the same pulls reads one
    Parquet file instead of every pull's thousands of JSON files. An entry that cannot be read
    is read again from the pulls."""
    folder = Path(processed) / KEPT_DIR
    meta, part = folder / f"{key}.json", folder / f"{key}.parquet"
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
        if m["kosong"]:
            return None
        return _aggregates_of(pl.read_parquet(part), list(m["tidak_terbaca"]))
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError):
        pass
    agg = read_aggregates(raw, as_of, kpu)
    folder.mkdir(parents=True, exist_ok=True)
    if agg is not None:
        write_durably(part, lambda p: agg.rows.write_parquet(p))
    record = {"kosong": agg is None, "tidak_terbaca": agg.tidak_terbaca if agg else []}
    write_durably(meta, lambda p: p.write_text(json.dumps(record), encoding="utf-8"))
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[KEPT_MAX:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".parquet").unlink(missing_ok=True)
    return agg


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
