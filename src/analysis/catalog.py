"""Where each dataset lives: one place maps dataset names to files (the Kedro-style catalogue).

Raw drop layout (a folder given as ``--raw``; the demo writes the same layout)::

    <drop>/referensi/tps.csv              TPS list with DPT            -> ref_tps
    <drop>/referensi/paslon.csv           paslon per contest           -> ref_paslon
    <drop>/hitung_internal/*.csv|*.xlsx   field staff's tally reports  -> tally_tps, tally_votes
    <drop>/kpu/<pull>/tps/<jenis>/<kode_tps>.json   Sirekap per-TPS records, one folder per pull
    <drop>/kpu/<pull>/tps/<jenis>.jsonl   the same records bundled, one {"kode_tps", "record"} per line
    <drop>/kpu/rekap/*.csv|*.xlsx         D.Hasil recapitulation per child region -> official_region
    <drop>/insiden/*.csv|*.xlsx           incident reports            -> incidents
    <drop>/kesiapan/*.csv|*.xlsx          readiness indicators        -> readiness
    <drop>/manifest.json                  demo only: ground truth of every injected fault

``<pull>`` is the time KPU's site was read, ``YYYYMMDDTHHMM`` in WIB; ``<jenis>`` is ``pkwkp``,
``pkwkk`` or ``ppwp``. Processed datasets are Parquet files named after the dataset
(``data/processed/<name>.parquet``); reconciliation history is kept under
``data/processed/history/<run time>/``.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis.schemas import BY_NAME
from analysis.settings import Settings, default_settings

RAW_FOLDERS: dict[str, str] = {
    "referensi": "reference tables (TPS list, paslon)",
    "hitung_internal": "internal count reports from field staff",
    "kpu": "official KPU data (Sirekap pulls, D.Hasil recapitulation)",
    "insiden": "incident reports",
    "kesiapan": "readiness indicators",
}


def processed_dir(settings: Settings | None = None) -> Path:
    s = settings or default_settings()
    return s.paths.resolved().processed


def processed_path(name: str, settings: Settings | None = None, root: Path | None = None) -> Path:
    """File of a processed dataset, e.g. ``processed_path("tally_tps")``."""
    return (root or processed_dir(settings)) / f"{name}.parquet"


def write(df: pl.DataFrame, name: str, root: Path | None = None) -> Path:
    """Write a processed dataset; a canonical one is conformed and its key checked first."""
    if name in BY_NAME:
        ds = BY_NAME[name]
        df = ds.check_key(ds.conform(df))
    path = processed_path(name, root=root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    df.write_parquet(tmp)
    tmp.replace(path)
    return path


def read(name: str, root: Path | None = None) -> pl.DataFrame:
    """Read a processed dataset; an absent one is an empty frame of its schema if it is canonical."""
    path = processed_path(name, root=root)
    if not path.exists():
        if name in BY_NAME:
            return BY_NAME[name].empty()
        raise FileNotFoundError(f"{path}: dataset {name!r} has not been produced yet")
    return pl.read_parquet(path)
