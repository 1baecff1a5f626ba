"""KPU against itself: its aggregate per region vs the sum of its own per-TPS records.

In 2024 KPU's published aggregates often lagged or differed from the sum of the TPS records it
published itself (docs/domain.md §6); that difference is news for leadership. :func:`agregat_vs_tps` reads
one pull folder (:mod:`analysis.pull.folder` layout) and returns
``sirekap__agregat_wilayah_kontestasi_paslon``: per region × contest × paslon, KPU's aggregate, the
sum of the records the pull holds, their difference, and KPU's TPS count (``progres``) beside the
records held and the desk's TPS list. Pure: it reads the folder and writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from analysis import read
from analysis.domain import regions
from analysis.pull import shapes
from analysis.schemas import SIREKAP_AGREGAT
from analysis.settings import KpuSite

_AGG = {
    "jenis_pemilihan": pl.String,
    "kode": pl.String,
    "paslon_id": pl.String,
    "suara_agregat": pl.Int64,
    "tps_total_kpu": pl.Int64,
    "tps_masuk_kpu": pl.Int64,
    "sumber_file": pl.String,
}


def agregat_vs_tps(
    pull_dir: Path, kpu: KpuSite, desk_tps: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per region × contest × paslon of the aggregates in ``pull_dir``.

    ``desk_tps``: the desk's TPS list (``kode_tps``), e.g. ``catalog.read(TPS.name)`` or
    :func:`desk_tps_of`; without it ``tps_desk`` is null."""
    pull_dir = Path(pull_dir)
    agg, _ = aggregates(pull_dir, kpu)
    held = _records(pull_dir)
    out = agg.join(
        _sum_under(held, agg), on=["jenis_pemilihan", "kode", "paslon_id"], how="left"
    ).join(_count_under(held, agg), on=["jenis_pemilihan", "kode"], how="left")
    out = out.join(_desk_under(desk_tps, agg), on=["jenis_pemilihan", "kode"], how="left")
    out = _with_contest(
        out.join(_paslon(pull_dir, kpu), on=["jenis_pemilihan", "paslon_id"], how="left")
    )
    pulled = read.path_pull(pull_dir.name)
    out = out.with_columns(
        regions.dotted_expr("kode").alias("kode_wilayah"),
        pl.col("suara_tps").fill_null(0),
        pl.col("tps_tercatat").fill_null(0),
        pl.lit(pulled, pl.Datetime("us", "UTC")).alias("waktu_tarik"),
    ).with_columns(
        regions.tier_expr("kode_wilayah").alias("tingkat"),
        (pl.col("suara_agregat") - pl.col("suara_tps")).alias("selisih"),
    )
    ds = SIREKAP_AGREGAT
    out = (
        ds.conform(out)
        .select(list(ds.columns))
        .sort("kode_wilayah", "kode_kontestasi", "paslon_id")
    )
    return ds.check_key(out)


def desk_tps_of(drop: Path) -> pl.DataFrame | None:
    """The desk's TPS list of a drop (``referensi/tps.csv``), read by ingest's own reader."""
    path = Path(drop) / "referensi" / "tps.csv"
    if not path.exists():
        return None
    fr = read.read_file(path, Path(drop), kind="ref_tps")
    return None if fr.error else fr.rows.select("kode_tps").drop_nulls()


def _scope(pull_dir: Path) -> str:
    """The pull's scope from its summary (the whole country when the summary does not say)."""
    summary = pull_dir / "ringkasan.json"
    if summary.exists():
        return json.loads(summary.read_bytes()).get("cakupan") or regions.NATIONAL
    return regions.NATIONAL


@dataclass
class PullAggregates:
    """What one pull's aggregate files say: the rows (``_AGG`` columns) of the regions read, every
    region whose file is an aggregate (``jenis_pemilihan``, ``kode``; a chart without a paslon is
    still that region's aggregate), and each file that is not one, with its region and reason."""

    rows: pl.DataFrame
    regions: list[tuple[str, str]] = field(default_factory=list)
    bad: list[tuple[str, str, str]] = field(default_factory=list)  # (jenis, kode, "file: why")


def read_pull_aggregates(
    pull_dir: Path, kpu: KpuSite, deepest: int = 4, taken: set[tuple[str, str]] | None = None
) -> PullAggregates:
    """KPU's own figures for each region walked inside the pull's scope, down to ``deepest`` (an
    ancestor's aggregate covers TPS the pull does not hold): its chart and progres, from its own
    file; and the files that are not an aggregate, each with its reason.

    ``taken``: (jenis, KPU code) of regions already read from a later pull; their files are not
    opened (a file that is not an aggregate is listed and leaves the region to an earlier pull: a
    broken file never hides a good aggregate)."""
    scope = _scope(pull_dir)
    width = regions.KPU_LENGTH[deepest]
    rows: list[tuple[Any, ...]] = []
    read: list[tuple[str, str]] = []
    bad: list[tuple[str, str, str]] = []
    check = shapes.agregat(kpu.record)
    for f in sorted((pull_dir / "agregat").glob("*/*.json")):
        if len(f.stem) > width or not regions.is_inside(regions.dotted(f.stem), scope):
            continue
        region = (f.parent.name, f.stem)
        if taken is not None and region in taken:
            continue
        rel = f.relative_to(pull_dir.parent.parent).as_posix()
        try:
            value = json.loads(f.read_bytes())
        except (OSError, ValueError) as exc:
            bad.append((*region, f"{rel}: bukan JSON agregat ({type(exc).__name__})"))
            continue
        reason = check(value)
        if reason is not None:
            bad.append((*region, f"{rel}: {reason}"))
            continue
        read.append(region)
        chart = shapes.chart_of(value, kpu.record) or {}
        progres = value.get("progres") if isinstance(value.get("progres"), dict) else {}
        for pid, votes in chart.items():
            if pid.isdigit():
                total, masuk = progres.get("total"), progres.get("progres")
                rows.append((*region, pid, _int(votes), _int(total), _int(masuk), rel))
    return PullAggregates(pl.DataFrame(rows, schema=_AGG, orient="row"), read, bad)


def aggregates(pull_dir: Path, kpu: KpuSite, deepest: int = 4) -> tuple[pl.DataFrame, list[str]]:
    """:func:`read_pull_aggregates` as rows and the unreadable files' reasons."""
    read = read_pull_aggregates(pull_dir, kpu, deepest)
    return read.rows, [why for _, _, why in read.bad]


def _int(v: object) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def _records(pull_dir: Path) -> pl.DataFrame:
    """Votes of every record the pull holds (``jenis_pemilihan``, ``kode_tps``, paslon, votes),
    read by ingest's Sirekap reader."""
    parts = []
    for f in sorted((pull_dir / "tps").glob("*/*.json")):
        rel = f.relative_to(pull_dir.parent.parent).as_posix()
        fr = read.read_sirekap_json(f.read_bytes(), rel, jenis=f.parent.name)
        if fr.error or fr.votes is None or fr.votes.is_empty():
            continue
        parts.append(
            fr.votes.select(
                pl.lit(f.parent.name).alias("jenis_pemilihan"),
                pl.lit(f.stem).alias("kode_tps"),
                "paslon_id",
                "suara",
            )
        )
    schema = {"jenis_pemilihan": pl.String, "kode_tps": pl.String, "paslon_id": pl.String}
    if not parts:
        return pl.DataFrame(schema={**schema, "suara": pl.Int64})
    return pl.concat(parts).with_columns(pl.col("suara").cast(pl.Int64))


def _levels(agg: pl.DataFrame) -> list[int]:
    return sorted(agg["kode"].str.len_chars().unique().to_list())


def _sum_under(held: pl.DataFrame, agg: pl.DataFrame) -> pl.DataFrame:
    parts = [
        held.with_columns(pl.col("kode_tps").str.slice(0, n).alias("kode"))
        .group_by("jenis_pemilihan", "kode", "paslon_id")
        .agg(pl.col("suara").sum().alias("suara_tps"))
        for n in _levels(agg)
    ]
    return _concat(parts, {"paslon_id": pl.String, "suara_tps": pl.Int64})


def _count_under(held: pl.DataFrame, agg: pl.DataFrame) -> pl.DataFrame:
    tps = held.select("jenis_pemilihan", "kode_tps").unique()
    parts = [
        tps.group_by("jenis_pemilihan", pl.col("kode_tps").str.slice(0, n).alias("kode")).agg(
            pl.len().cast(pl.Int64).alias("tps_tercatat")
        )
        for n in _levels(agg)
    ]
    return _concat(parts, {"tps_tercatat": pl.Int64})


def _desk_under(desk: pl.DataFrame | None, agg: pl.DataFrame) -> pl.DataFrame:
    """Desk TPS per region and contest type (a TPS counts for each type its desa votes in)."""
    if desk is None:
        return _concat([], {"tps_desk": pl.Int64})
    tps = desk.select("kode_tps", regions.tps_desa_expr("kode_tps").alias("_d"))
    held = {d: _jenis_of_desa(d) for d in tps["_d"].unique().to_list()}
    jenis = pl.DataFrame(
        {"_d": list(held), "jenis_pemilihan": list(held.values())},
        schema={"_d": pl.String, "jenis_pemilihan": pl.List(pl.String)},
    ).explode("jenis_pemilihan")
    tps = tps.join(jenis, on="_d")
    parts = [
        tps.group_by("jenis_pemilihan", pl.col("kode_tps").str.slice(0, n).alias("kode")).agg(
            pl.len().cast(pl.Int64).alias("tps_desk")
        )
        for n in _levels(agg)
    ]
    return _concat(parts, {"tps_desk": pl.Int64})


def _jenis_of_desa(desa: str) -> list[str]:
    """Contest types a desa votes in: its Pilkada contests, and the presidential race."""
    return [c.split("-")[0] for c in regions.contests_for_desa(desa)] + [regions.JENIS_PRESIDEN]


def _concat(parts: list[pl.DataFrame], cols: dict[str, pl.DataType]) -> pl.DataFrame:
    if parts:
        return pl.concat(parts)
    return pl.DataFrame(schema={"jenis_pemilihan": pl.String, "kode": pl.String, **cols})


def _paslon(pull_dir: Path, kpu: KpuSite) -> pl.DataFrame:
    """KPU's candidate list in the pull: paslon id -> contest and nomor urut."""
    rows = []
    for f in sorted((pull_dir / "paslon").glob("*.json")):
        value = json.loads(f.read_bytes())
        groups = value.items() if kpu.paslon_per_wilayah else [("", value)]
        for kode, entries in groups:
            region = regions.dotted(kode) if kode else regions.NATIONAL
            contest = regions.contest_code(f.stem, region)
            for pid, info in entries.items():
                rows.append((f.stem, pid, contest, _int(info.get("nomor_urut"))))
    schema = {
        "jenis_pemilihan": pl.String,
        "paslon_id": pl.String,
        "kode_kontestasi": pl.String,
        "nomor_urut": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").unique(["jenis_pemilihan", "paslon_id"])


def region_contest(jenis: str, kode: str) -> str:
    """The contest a region lies in, for a paslon KPU's list does not name: the province's
    (gubernur), the kab/kota's (bupati/walikota; the province's code above that), the nation's."""
    code = regions.dotted(kode)
    if jenis == regions.JENIS_PRESIDEN:
        return regions.contest_code(jenis, regions.NATIONAL)
    depth = 1 if jenis == regions.JENIS_GUBERNUR else min(2, regions.depth(code))
    return regions.contest_code(jenis, regions.ancestor_at(code, depth) or code)


def _with_contest(df: pl.DataFrame) -> pl.DataFrame:
    missing = df.filter(pl.col("kode_kontestasi").is_null()).select("jenis_pemilihan", "kode")
    pairs = missing.unique().rows()
    fill = pl.DataFrame(
        [(j, k, region_contest(j, k)) for j, k in pairs],
        schema={"jenis_pemilihan": pl.String, "kode": pl.String, "_k": pl.String},
        orient="row",
    )
    return (
        df.join(fill, on=["jenis_pemilihan", "kode"], how="left")
        .with_columns(pl.coalesce("kode_kontestasi", "_k").alias("kode_kontestasi"))
        .drop("_k")
    )
