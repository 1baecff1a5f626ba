"""Runs kept under ``processed/history/<as-of>/``, so a pack can say what changed since the last one.

Each run writes its ``rekon__*`` datasets to ``processed/`` and keeps a copy in a folder named
after its as-of time in the desk's local time (``docs/domain.md`` §3), with a ``meta.json`` that
records the as-of, the previous as-of compared against, and the phase timings. A folder is written under a
``.tmp`` name and renamed when complete, so a half-written one is never taken for a run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from analysis import catalog
from analysis.domain.regions import NATIONAL, desk_time_zone
from analysis.reconcile.inputs import as_utc
from analysis.reconcile.result import OUTPUTS, ReconResult
from analysis.schemas import Dataset
from analysis.settings import Settings, default_settings

HISTORY = "history"
META = "meta.json"
#: In ``meta.json``: what the run was made of (:func:`analysis.reconcile.stage.replay_key`).
KEY = "sidik_masukan"
FOLDER_TIME = "%Y%m%dT%H%M"


def desk_zone(settings: Settings | None = None) -> ZoneInfo:
    """The desk's own time zone; a desk code outside the known provinces keeps the national WIB."""
    code = (settings or default_settings()).desk.unit_code
    try:
        return ZoneInfo(desk_time_zone(code))
    except ValueError:
        return ZoneInfo(desk_time_zone(NATIONAL))


def history_dir(processed: Path, as_of: dt.datetime, settings: Settings | None = None) -> Path:
    """processed/history/<as_of in the desk's local time, YYYYMMDDTHHMM>/."""
    local = as_utc(as_of).astimezone(desk_zone(settings))
    return Path(processed) / HISTORY / local.strftime(FOLDER_TIME)


def _as_of_of(meta: Path) -> dt.datetime | None:
    """The as-of a kept folder records; None for an interrupted, half-written or foreign one."""
    if meta.parent.name.endswith(".tmp"):
        return None
    try:
        return as_utc(dt.datetime.fromisoformat(json.loads(meta.read_text())["as_of"]))
    except (ValueError, KeyError, json.JSONDecodeError):
        return None


def history_runs(processed: Path) -> list[tuple[dt.datetime, Path]]:
    """Every kept run as (as_of UTC, folder), oldest first."""
    root = Path(processed) / HISTORY
    if not root.is_dir():
        return []
    found = ((_as_of_of(meta), meta.parent) for meta in root.glob(f"*/{META}"))
    return sorted((t, folder) for t, folder in found if t is not None)


def previous_run(processed: Path, as_of: dt.datetime) -> dt.datetime | None:
    """The latest kept run strictly before ``as_of``, or None."""
    before = [t for t, _ in history_runs(processed) if t < as_utc(as_of)]
    return before[-1] if before else None


def _kept(processed: Path, as_of: dt.datetime) -> Path | None:
    """The folder of the run kept as of exactly ``as_of``, or None."""
    return next((f for t, f in history_runs(processed) if t == as_utc(as_of)), None)


def has_history(processed: Path, as_of: dt.datetime) -> bool:
    """True when a run as of exactly ``as_of`` is kept."""
    return _kept(processed, as_of) is not None


def kept_key(processed: Path, as_of: dt.datetime) -> str | None:
    """The key kept with the run as of ``as_of`` (what it was made of), None if none is."""
    folder = _kept(processed, as_of)
    return json.loads((folder / META).read_text()).get(KEY) if folder is not None else None


def load_history(
    processed: Path, as_of: dt.datetime, only: tuple[str, ...] | None = None
) -> ReconResult:
    """A kept run, read back from its history folder (``only``: just those outputs, by
    :class:`ReconResult` attribute; the others empty)."""
    folder = _kept(processed, as_of)
    if folder is None:
        raise FileNotFoundError(
            f"{Path(processed) / HISTORY}: no reconciliation kept as of {as_of.isoformat()}"
        )
    meta = json.loads((folder / META).read_text())
    frames = {}
    for attr, ds in OUTPUTS.items():
        # a folder kept before the datasets were renamed holds recon_*.parquet: the catalogue
        # reads those (analysis.catalog.LEGACY_FILES); an absent dataset is empty
        wanted = only is None or attr in only
        frames[attr] = catalog.read(ds.name, root=folder) if wanted else ds.empty()
    prev = meta.get("previous_as_of")
    return ReconResult(
        as_of=as_utc(as_of),
        previous_as_of=dt.datetime.fromisoformat(prev) if prev else None,
        **frames,
    )


def kept_series(processed: Path, ds: Dataset, until: dt.datetime | None = None) -> pl.DataFrame:
    """One output over every kept run up to ``until``: its rows with the run's as-of ``waktu``."""
    frames = [
        pl.read_parquet(folder / f"{ds.name}.parquet").with_columns(
            pl.lit(t, dtype=pl.Datetime("us", "UTC")).alias("waktu")
        )
        for t, folder in history_runs(processed)
        if (until is None or t <= as_utc(until)) and (folder / f"{ds.name}.parquet").exists()
    ]
    empty = ds.empty().with_columns(pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("waktu"))
    return pl.concat([empty, *frames], how="diagonal_relaxed")


def _write_current(frames: dict[str, pl.DataFrame], processed: Path) -> None:
    """Replace each rekon__* file in ``processed`` (written aside, then renamed)."""
    for name, df in frames.items():
        path = catalog.processed_path(name, root=processed)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".parquet.tmp")
        # zstd level 1: a national run writes ~4 million rows; level 1 is several times faster
        # to write than the default for files only ~10% larger
        df.write_parquet(part, compression="zstd", compression_level=1)
        part.replace(path)


def _keep(names: list[str], processed: Path, hist: Path, meta: dict) -> None:
    """Copy the files just written into ``hist`` with ``meta.json``, replacing a folder there."""
    tmp = hist.with_name(hist.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name in names:
        src, dst = processed / f"{name}.parquet", tmp / f"{name}.parquet"
        try:
            os.link(src, dst)  # the next run replaces src with a new file: the link keeps this one
        except OSError:
            shutil.copy2(src, dst)
    (tmp / META).write_text(json.dumps(meta, indent=1))
    if hist.exists():
        shutil.rmtree(hist)
    tmp.replace(hist)


def write_result(
    result: ReconResult, processed: Path, settings: Settings | None = None, key: str | None = None
) -> tuple[Path, Path]:
    """Write rekon__* to ``processed`` and a copy to its history folder (with ``key``, what the run
    was made of, when given); returns both folders."""
    processed = Path(processed)
    frames = result.frames()  # keys were checked where each frame was built
    _write_current(frames, processed)
    hist = history_dir(processed, result.as_of, settings)
    meta = {
        "as_of": result.as_of.isoformat(),
        "previous_as_of": result.previous_as_of.isoformat() if result.previous_as_of else None,
        "timings": result.timings,
        **({KEY: key} if key else {}),
    }
    _keep(list(frames), processed, hist, meta)
    return processed, hist
