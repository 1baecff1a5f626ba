"""What the checks compare codes against: the region tree, the contests, the incident taxonomy.

Loaded once per process (the region tree takes a second to walk); the code arithmetic itself is
:mod:`analysis.domain.regions`'.
"""

from __future__ import annotations

from functools import lru_cache

import polars as pl

from analysis import reference
from analysis.domain.regions import contest_region, undotted

#: Contests valid in KPU's official data besides the Pilkada ones of reference.contests(): the
#: presidential race, whose real Sirekap records (Pemilu 2024) are accepted as official records of
#: that contest (it covers every desa). The desk's internal Pilkada count never holds ppwp.
EXTRA_CONTESTS: tuple[str, ...] = ("ppwp",)


@lru_cache(maxsize=1)
def desa_codes() -> pl.Series:
    """Dotted codes of every desa/kelurahan in the region tree."""
    r = reference.regions()
    return r.filter(pl.col("tingkat") == "desa")["kode_wilayah"]


@lru_cache(maxsize=1)
def desa_kpu_codes() -> pl.Series:
    """The same codes in KPU (undotted) form, to look up the desa of millions of TPS codes."""
    r = reference.regions()
    return r.filter(pl.col("tingkat") == "desa")["kode_kpu"]


@lru_cache(maxsize=1)
def region_codes() -> pl.Series:
    """Dotted codes of every unit of the region tree."""
    return reference.regions()["kode_wilayah"]


@lru_cache(maxsize=2)
def contest_codes(official: bool = True) -> pl.Series:
    """Valid contest codes: Pilkada 2024, plus :data:`EXTRA_CONTESTS` for KPU's official data."""
    extra = list(EXTRA_CONTESTS) if official else []
    return pl.concat([reference.contests()["kode_kontestasi"], pl.Series(extra, dtype=pl.String)])


@lru_cache(maxsize=2)
def _contest_regions(kpu: bool) -> dict[str, str]:
    return {
        c: undotted(contest_region(c)) if kpu else contest_region(c) for c in contest_codes(True)
    }


def contest_region_expr(col: str = "kode_kontestasi", *, kpu: bool = False) -> pl.Expr:
    """The region each known contest elects a head for (``"00"`` for ppwp), dotted or in KPU
    form; null for an unknown contest."""
    return pl.col(col).replace_strict(_contest_regions(kpu), default=None, return_dtype=pl.String)


def taxonomy_codes() -> dict[str, tuple[str, ...]]:
    """Canonical codes per incident field (its codes and its fallback), from config/taxonomy.yaml
    as :mod:`analysis.taxonomy` reads it for normalisation."""
    from analysis.taxonomy import taxonomy

    out: dict[str, tuple[str, ...]] = {}
    for name, spec in taxonomy().fields.items():
        codes = list(spec.labels)
        if spec.fallback and spec.fallback not in codes:
            codes.append(spec.fallback)
        out[name] = tuple(codes)
    return out
