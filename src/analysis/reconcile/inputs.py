"""What reconciliation reads: the processed datasets, conformed to their schemas.

The internal count (``internal__tps_kontestasi_laporan`` and its ``_paslon`` votes) and KPU's
data (``sirekap__tps_kontestasi_tarikan`` and its ``_paslon`` votes, the D.Hasil recap
``dhasil__wilayah_kontestasi_paslon``) hold *every* accepted version; which one is in force at a
time is :mod:`analysis.reconcile.versions`' business. The fields of :class:`ReconInputs` are code
names; :data:`INPUTS` maps each to its dataset.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import catalog
from analysis.schemas import (
    OFFICIAL_REGION,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    PASLON,
    REF_SAMPEL,
    REF_SAMPEL_TPS,
    TALLY,
    TALLY_VOTES,
    TPS,
    Dataset,
)

PAIR = ["kode_tps", "kode_kontestasi"]
"""The unit both sources report on: one TPS × contest."""


class ReconcileError(ValueError):
    """Inputs that cannot be reconciled (missing columns, bad times): the message says what."""


@dataclass
class ReconInputs:
    """The processed datasets reconciliation reads (every accepted version / pull)."""

    tally_tps: pl.DataFrame
    tally_votes: pl.DataFrame
    official_tps: pl.DataFrame
    official_votes: pl.DataFrame
    official_region: pl.DataFrame
    ref_tps: pl.DataFrame
    ref_paslon: pl.DataFrame
    sampel_tps: pl.DataFrame  # the PVT sample (docs/domain.md §11), empty when the drop has none
    sampel: pl.DataFrame  # its record and hash check (one row, or none)


#: The dataset behind each field of :class:`ReconInputs`, and the only columns reconciliation uses
#: (the tables are wide; a national run reads millions of rows).
INPUTS: dict[str, tuple[Dataset, list[str]]] = {
    "tally_tps": (TALLY, [*PAIR, "waktu_laporan", "suara_sah", "peringatan"]),
    "tally_votes": (TALLY_VOTES, [*PAIR, "waktu_laporan", "nomor_urut", "suara"]),
    "official_tps": (
        OFFICIAL_TPS,
        [*PAIR, "waktu_tarik", "ts", "psu", "ada_chart", "suara_sah", "peringatan"],
    ),
    "official_votes": (OFFICIAL_VOTES, [*PAIR, "waktu_tarik", "nomor_urut", "suara"]),
    "official_region": (OFFICIAL_REGION, list(OFFICIAL_REGION.columns)),
    "ref_tps": (TPS, ["kode_tps", "kode_desa", "pemilih_dpt"]),
    "ref_paslon": (PASLON, ["kode_kontestasi", "nomor_urut", "paslon_id"]),
    "sampel_tps": (REF_SAMPEL_TPS, ["kode_tps"]),
    "sampel": (REF_SAMPEL, list(REF_SAMPEL.columns)),
}


#: When each time-stamped input's row became known: a run as of T reads only the rows known by T
#: (the report's, the pull's, the recap file's receipt time; a recap file without one always
#: counts). :mod:`.versions` and :mod:`.rekap` bound their versions by the same columns.
KNOWN_AT: dict[str, str] = {
    "tally_tps": "waktu_laporan",
    "tally_votes": "waktu_laporan",
    "official_tps": "waktu_tarik",
    "official_votes": "waktu_tarik",
    "official_region": "waktu_terima",
}


def known_by(inputs: ReconInputs, as_of: dt.datetime) -> ReconInputs:
    """The inputs as a run as of ``as_of`` sees them: each time-stamped one cut to the rows known
    by then (what comes after cannot move a figure of that run, so two runs whose cut inputs are
    equal give the same result: :func:`analysis.reconcile.stage.replay_key`)."""
    t = as_utc(as_of)
    cut = {}
    for name, col in KNOWN_AT.items():
        df = getattr(inputs, name)
        known = pl.col(col) <= t
        cut[name] = df.filter(known | pl.col(col).is_null() if name == "official_region" else known)
    return dataclasses.replace(inputs, **cut)


def as_utc(t: dt.datetime) -> dt.datetime:
    """An as-of time in UTC; a time without offset is refused (whose 14.00 would it be?)."""
    if t.tzinfo is None:
        raise ReconcileError(f"as-of time {t.isoformat()} needs a UTC offset, e.g. +07:00")
    return t.astimezone(dt.UTC)


def _conformed(ds: Dataset, df: pl.DataFrame, where: str) -> pl.DataFrame:
    missing = [k for k in ds.key if k not in df.columns]
    if missing:
        raise ReconcileError(f"{where}: dataset {ds.name} lacks key columns {missing}")
    return ds.conform(df)


def make_inputs(
    tally_tps: pl.DataFrame | None = None,
    tally_votes: pl.DataFrame | None = None,
    official_tps: pl.DataFrame | None = None,
    official_votes: pl.DataFrame | None = None,
    official_region: pl.DataFrame | None = None,
    ref_tps: pl.DataFrame | None = None,
    ref_paslon: pl.DataFrame | None = None,
    sampel_tps: pl.DataFrame | None = None,
    sampel: pl.DataFrame | None = None,
    where: str = "inputs",
) -> ReconInputs:
    """Inputs conformed to their schemas; an absent dataset is an empty frame."""
    given = {
        "tally_tps": tally_tps,
        "tally_votes": tally_votes,
        "official_tps": official_tps,
        "official_votes": official_votes,
        "official_region": official_region,
        "ref_tps": ref_tps,
        "ref_paslon": ref_paslon,
        "sampel_tps": sampel_tps,
        "sampel": sampel,
    }
    frames = {
        name: ds.empty() if given[name] is None else _conformed(ds, given[name], where)
        for name, (ds, _) in INPUTS.items()
    }
    return ReconInputs(**frames)


def _read(processed: Path, ds: Dataset, columns: list[str]) -> pl.DataFrame | None:
    """The used columns of one processed dataset; None when it has not been produced."""
    name = ds.name
    path = catalog.located(name, root=processed)
    if not path.exists():
        return None
    try:
        have = pl.read_parquet_schema(path)
        return pl.read_parquet(path, columns=[c for c in columns if c in have] or None)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ReconcileError(f"{path}: cannot read dataset {name} ({exc})") from None


def load_inputs(processed: Path) -> ReconInputs:
    """Read reconciliation's inputs from a processed folder (absent ones are empty)."""
    processed = Path(processed)
    frames = {field: _read(processed, ds, cols) for field, (ds, cols) in INPUTS.items()}
    return make_inputs(**frames, where=str(processed))
