"""The processed datasets the analytics read, from one processed folder.

The analyse stage and the analyst notebook load through :func:`load_inputs`, so both see the same
frames: incidents, per-TPS results of one source (the internal count or KPU's), readiness, and the
run's times from ``run.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import catalog
from analysis.schemas import (
    INCIDENTS,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    READINESS,
    TALLY,
    TALLY_VOTES,
    TPS,
)
from analysis.settings import REPO_ROOT, Settings, default_settings

#: Source of per-TPS results -> (per-TPS dataset, per-paslon dataset).
SOURCES: dict[str, tuple[str, str]] = {
    "internal": (TALLY.name, TALLY_VOTES.name),
    "kpu": (OFFICIAL_TPS.name, OFFICIAL_VOTES.name),
}


class ProcessedDataMissing(FileNotFoundError):
    """The processed datasets this analysis needs have not been produced yet."""


class DatasetUnreadable(ValueError):
    """A processed dataset's file exists but cannot be read (corrupt, or not Parquet)."""


@dataclass(frozen=True)
class Inputs:
    """The processed datasets the incident/anomaly analysis reads (one processed folder)."""

    processed: Path
    sumber: str  # internal | kpu (SOURCES)
    incidents: pl.DataFrame
    tps: pl.DataFrame
    votes: pl.DataFrame
    readiness: pl.DataFrame
    as_of: dt.datetime | None  # from the run's run.json, when the daily job wrote one
    previous_as_of: dt.datetime | None


def resolve_processed_dir(
    processed_dir: Path | str | None = None, settings: Settings | None = None, pin: bool = True
) -> Path:
    """The folder to read: the one given (relative to the repository root), else the demo's
    ``data/processed/demo-<scope>`` when it exists, else ``data/processed``. ``pin``: resolved to
    the generation it shows now (a published folder is a link, :mod:`analysis.publish`), so a run
    publishing meanwhile never mixes two generations under the reader."""
    s = settings or default_settings()
    if processed_dir is not None:
        p = Path(processed_dir)
        p = p if p.is_absolute() else REPO_ROOT / p
    else:
        base = s.paths.resolved().processed
        demo = base / f"demo-{s.demo.scope}"
        p = demo if demo.exists() else base
    return p.resolve() if pin else p


def parse_time(value: object) -> dt.datetime | None:
    """An ISO time with a UTC offset (or a datetime) as an aware datetime; None for blank."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        t = value
    else:
        try:
            t = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ValueError(
                f"{value!r} is not an ISO time such as 2024-11-28T14:00:00+07:00"
            ) from None
    if t.tzinfo is None:
        raise ValueError(f"{value!r} needs a UTC offset, e.g. 2024-11-28T14:00:00+07:00")
    return t


def run_times(root: Path) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(as_of, previous_as_of) of the run that filled ``root``, from its ``run.json``."""
    run_file = root / "run.json"
    run = json.loads(run_file.read_text(encoding="utf-8")) if run_file.exists() else {}
    return parse_time(run.get("as_of")), parse_time(run.get("previous_as_of"))


def present(name: str, root: Path) -> bool:
    """Whether a processed dataset has been produced in ``root``."""
    return catalog.exists(name, root=root)


def read(name: str, root: Path) -> pl.DataFrame:
    """A processed dataset (an absent declared one is empty); a file that cannot be read is an
    error naming it."""
    try:
        return catalog.read(name, root=root)
    except (OSError, pl.exceptions.PolarsError) as exc:
        path = catalog.located(name, root=root)
        msg = " ".join(str(exc).split())
        raise DatasetUnreadable(f"{path}: dataset {name} tidak terbaca ({msg})") from exc


def check_ingested(root: Path, sumber: str = "internal") -> None:
    """Raise ``ProcessedDataMissing``, saying what to run, when ``root`` holds neither incidents
    nor per-TPS results of ``sumber``."""
    needed = [INCIDENTS.name, SOURCES[sumber][0]]
    missing = [n for n in needed if not present(n, root)]
    if not root.exists() or len(missing) == len(needed):
        raise ProcessedDataMissing(
            f"Data olahan belum ada di {root} (tidak ditemukan: {', '.join(f'{n}.parquet' for n in missing)}). "
            "Jalankan dahulu `python -m analysis ingest` (atau `make daily-brief` untuk demo)."
        )


def read_results(root: Path, sumber: str = "internal") -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-TPS results of ``sumber`` (every version), a missing DPT filled from the TPS list, and
    their per-paslon votes."""
    tps_name, votes_name = SOURCES[sumber]
    tps = _with_reference_dpt(read(tps_name, root), read(TPS.name, root))
    return tps, read(votes_name, root)


def load_inputs(
    processed_dir: Path | str | None = None,
    sumber: str = "internal",
    settings: Settings | None = None,
) -> Inputs:
    """Read incidents, per-TPS results (internal count or KPU's) and readiness from a processed
    folder. Raises ``ProcessedDataMissing`` with a message saying what to run when it is absent."""
    if sumber not in SOURCES:
        raise ValueError(f"sumber must be 'internal' or 'kpu', got {sumber!r}")
    root = resolve_processed_dir(processed_dir, settings)
    check_ingested(root, sumber)
    as_of, previous = run_times(root)
    tps, votes = read_results(root, sumber)
    return Inputs(
        processed=root,
        sumber=sumber,
        incidents=read(INCIDENTS.name, root),
        tps=tps,
        votes=votes,
        readiness=read(READINESS.name, root),
        as_of=as_of,
        previous_as_of=previous,
    )


def _with_reference_dpt(tps: pl.DataFrame, ref_tps: pl.DataFrame) -> pl.DataFrame:
    """Fill a missing pemilih_dpt (a KPU record without administrasi) from the TPS list."""
    if ref_tps.is_empty() or "pemilih_dpt" not in tps.columns:
        return tps
    ref = ref_tps.select("kode_tps", pl.col("pemilih_dpt").alias("_dpt_ref"))
    return (
        tps.join(ref, on="kode_tps", how="left")
        .with_columns(pl.coalesce(pl.col("pemilih_dpt"), pl.col("_dpt_ref")).alias("pemilih_dpt"))
        .drop("_dpt_ref")
    )
