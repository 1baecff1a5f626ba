"""``generate()``: build the world (with the PVT sample drawn before voting day, :mod:`.pvt`), draw
the faults, write every source, then the manifest.

Each source draws from its own generator seeded ``[seed, n]``, so a change in one source's draws
leaves the others' bytes as they were.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis import reference
from analysis.demo import timeline
from analysis.demo.dhasil import write_dhasil
from analysis.demo.drop import Drop
from analysis.demo.faults import plan_faults
from analysis.demo.incidents import write_incidents
from analysis.demo.internal import write_internal
from analysis.demo.manifest import build_manifest, write_manifest
from analysis.demo.marker import made_by_generator, write_marker
from analysis.demo.pvt import Pvt, scope_code
from analysis.demo.readiness import write_readiness
from analysis.demo.references import write_references
from analysis.demo.sirekap import write_kpu
from analysis.demo.world import build_world
from analysis.domain import regions
from analysis.settings import default_settings

_NATIONAL_ALIASES = (regions.NATIONAL, "0", "")


def generate(
    scope: str, seed: int, as_of: dt.datetime, out: Path, kpu_bundle: bool | None = None
) -> dict[str, Any]:
    """Write the demo drop for ``scope`` into ``out`` and return its manifest (also manifest.json).

    ``scope``: ``"00"`` (whole country), a province (``"16"``), a kab/kota (``"16.71"``) or any
    other dotted region code. ``as_of``: the moment the drop is taken (timezone-aware). KPU records
    are bundled as JSONL per pull and jenis when ``kpu_bundle`` is true (default: national only).
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a UTC offset, e.g. 2024-11-28T14:00:00+07:00")
    started = time.perf_counter()
    prefix = scope_prefix(scope)
    bundle = (prefix is None) if kpu_bundle is None else kpu_bundle
    out = Path(out)
    clear_out(out)
    drop = Drop(out)
    t = timeline.epoch(as_of)
    rng = np.random.default_rng(seed)
    s = default_settings()
    pvt = Pvt(scope_code(prefix), seed, s.proyeksi)
    w = build_world(prefix, rng, s.election.reserve_share, pvt.first)
    plan = plan_faults(w, rng, t, timeline.pulls(t))
    write_references(w, drop)
    sampel = pvt.write(drop)
    parts = {
        "internal": write_internal(w, drop, np.random.default_rng([seed, 1]), t, plan),
        "kpu": write_kpu(w, drop, np.random.default_rng([seed, 2]), t, plan, bundle),
        "rekap": write_dhasil(w, drop, np.random.default_rng([seed, 3]), t, plan),
        "incidents": write_incidents(w, drop, np.random.default_rng([seed, 4]), t),
        "readiness": write_readiness(w, drop, np.random.default_rng([seed, 5]), t),
    }
    head = {"scope": prefix or regions.NATIONAL, "seed": seed, "as_of": as_of.isoformat()}
    manifest = build_manifest(w, drop, head, parts, t)
    manifest["sampel_pvt"] = sampel
    write_manifest(out, manifest)
    write_marker(out)
    manifest["_seconds"] = round(time.perf_counter() - started, 2)
    return manifest


def scope_prefix(scope: str) -> str | None:
    """The dotted region code of a scope, or None for the whole country; fails on an unknown code."""
    if scope in _NATIONAL_ALIASES:
        return None
    if reference.regions().filter(pl.col("kode_wilayah") == scope).is_empty():
        raise ValueError(
            f"scope {scope!r} is not a Kemendagri region code (use '00' for the whole country, "
            "'16' for a province, '16.71' for a kab/kota)"
        )
    return scope


def scope_slug(scope: str) -> str:
    """The scope as a folder suffix: ``16.71`` → ``1671``, the country → ``00``."""
    return regions.NATIONAL if scope in _NATIONAL_ALIASES else regions.undotted(scope)


def clear_out(out: Path) -> None:
    """The generator owns its drop folder: replace an earlier demo, never anything else."""
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and not made_by_generator(out):
            raise ValueError(
                f"{out}: folder is not empty and holds no drop made by the demo generator; "
                "refusing to overwrite it (choose another --out)"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
