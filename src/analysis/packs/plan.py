"""Which packs a run makes, with their notebook parameters checked before anything runs.

One pack per unit: the scope's unit and every descendant down to ``depth`` tiers. A pack's
parameters are checked against the notebook's ``parameters`` cell and the region tree; all the
problems are reported together, and nothing is executed when one pack's are invalid.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis import reference
from analysis.domain import regions
from analysis.packs import PACK_TIERS
from analysis.settings import REPO_ROOT

DEFAULT_NOTEBOOK = REPO_ROOT / "notebooks" / "pack.ipynb"


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PackParameterError(ValueError):
    """A pack's parameters are invalid; nothing has been executed."""


@dataclass(frozen=True)
class PackJob:
    """One pack to make: a unit at its tier, with the notebook's parameters."""

    kode_wilayah: str
    tingkat: str
    nama: str
    parameters: dict[str, Any]
    ipynb: Path
    html: Path


def pack_title(job: PackJob) -> str:
    """The HTML page title (what a phone shows in its tab list)."""
    return f"Laporan Harian Desk Pilkada · {job.nama} · {job.parameters.get('tanggal', '')}"


@lru_cache(maxsize=8)
def _declared_parameters(notebook: str, mtime: float) -> frozenset[str]:
    from papermill import inspect_notebook

    return frozenset(inspect_notebook(notebook))


def notebook_parameters(notebook: Path = DEFAULT_NOTEBOOK) -> frozenset[str]:
    """Names declared in the notebook's ``parameters`` cell."""
    if not notebook.exists():
        raise PackParameterError(f"{notebook}: pack notebook not found")
    names = _declared_parameters(str(notebook), notebook.stat().st_mtime)
    if not names:
        raise PackParameterError(f"{notebook}: has no cell tagged 'parameters'")
    return names


@lru_cache(maxsize=1)
def _known_codes() -> frozenset[str]:
    return frozenset(reference.regions()["kode_wilayah"].to_list()) | {regions.NATIONAL}


def validate_parameters(
    params: dict[str, Any], notebook: Path = DEFAULT_NOTEBOOK
) -> dict[str, Any]:
    """Check a pack's parameters before anything is executed; return them normalised.

    Rejected, all reported together: a name the notebook's ``parameters`` cell does not declare; a
    ``tanggal`` that is not a YYYY-MM-DD date; a ``kode_wilayah`` that is not a Kemendagri code
    (``"00"`` = nasional); a ``tingkat`` that is not a pack tier or does not match the code's tier;
    a ``processed_dir`` that is not a folder.
    """
    declared = notebook_parameters(notebook)
    errors: list[str] = []
    unknown = sorted(set(params) - declared)
    if unknown:
        errors.append(
            f"unknown parameter(s) {', '.join(unknown)}; {notebook.name} declares "
            f"{', '.join(sorted(declared))}"
        )
    out = dict(params)
    tanggal = params.get("tanggal")
    if tanggal is not None:
        text = tanggal.isoformat() if isinstance(tanggal, dt.date) else str(tanggal)
        try:
            if not _DATE.match(text):
                raise ValueError
            dt.date.fromisoformat(text)
            out["tanggal"] = text
        except ValueError:
            errors.append(f"tanggal={tanggal!r} is not a date YYYY-MM-DD")
    kode = params.get("kode_wilayah")
    tingkat = params.get("tingkat")
    if kode is not None:
        kode = str(kode)
        if kode not in _known_codes():
            errors.append(
                f"kode_wilayah={kode!r} is not a Kemendagri region code (dotted, e.g. '16.71'; "
                f"'00' = nasional)"
            )
        elif tingkat is not None and regions.tier_of(kode) != tingkat:
            errors.append(
                f"tingkat={tingkat!r} does not match kode_wilayah={kode!r}, "
                f"which is a {regions.tier_of(kode)} code"
            )
    if tingkat is not None and tingkat not in PACK_TIERS:
        errors.append(f"tingkat={tingkat!r} is not one of {', '.join(PACK_TIERS)}")
    if params.get("processed_dir") is not None:
        pdir = Path(params["processed_dir"]).resolve()
        if not pdir.is_dir():
            errors.append(f"processed_dir={str(params['processed_dir'])!r} is not a folder")
        out["processed_dir"] = str(pdir)
    if errors:
        raise PackParameterError(
            "invalid pack parameters (nothing was executed):\n  - " + "\n  - ".join(errors)
        )
    return out


def plan_units(scope: str, depth: int) -> list[tuple[str, str, str]]:
    """(kode_wilayah, tingkat, nama) of the scope's unit and its descendants down to ``depth`` tiers.

    One row per pack; the scope first, then tier by tier in code order.
    """
    if scope != regions.NATIONAL and scope not in _known_codes():
        raise PackParameterError(
            f"scope {scope!r} is not a Kemendagri region code ('00' = nasional)"
        )
    if depth < 0:
        raise PackParameterError(f"depth must be 0 or more, got {depth}")
    top = PACK_TIERS.index(regions.tier_of(scope)) if regions.tier_of(scope) in PACK_TIERS else -1
    if top < 0:
        raise PackParameterError(
            f"scope {scope!r} is a {regions.tier_of(scope)} code; packs are made for "
            f"{', '.join(PACK_TIERS)}"
        )
    units = [(scope, PACK_TIERS[top], reference.unit_name(scope))]
    for tier in PACK_TIERS[top + 1 : top + 1 + depth]:
        d = reference.descendants(scope, tier).sort("kode_wilayah")
        units += [(k, tier, n) for k, n in d.select("kode_wilayah", "nama").iter_rows()]
    return units


def as_date(date: dt.date | str) -> dt.date:
    if isinstance(date, dt.date):
        return date
    if not _DATE.match(str(date)):
        raise PackParameterError(f"date {date!r} is not YYYY-MM-DD")
    return dt.date.fromisoformat(str(date))


def plan_packs(
    date: dt.date | str,
    scope: str,
    depth: int,
    processed_dir: Path,
    reports_dir: Path,
    notebook: Path = DEFAULT_NOTEBOOK,
    extra_parameters: dict[str, Any] | None = None,
) -> list[PackJob]:
    """Every pack of a run with validated parameters (raises before anything is executed)."""
    day = as_date(date)
    out_dir = Path(reports_dir) / day.isoformat()
    jobs = []
    for kode, tingkat, nama in plan_units(scope, depth):
        params = validate_parameters(
            {
                "tanggal": day.isoformat(),
                "tingkat": tingkat,
                "kode_wilayah": kode,
                "processed_dir": str(processed_dir),
                **(extra_parameters or {}),
            },
            notebook,
        )
        folder = out_dir / tingkat  # codes hold dots: never derive these names with with_suffix
        ipynb, page = folder / f"{kode}.ipynb", folder / f"{kode}.html"
        jobs.append(PackJob(kode, tingkat, nama, params, ipynb, page))
    return jobs
