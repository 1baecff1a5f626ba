"""Where each dataset lives: one place maps dataset names to files (the Kedro-style catalogue).

Raw drop layout (a folder given as ``--raw``; the demo writes the same layout)::

    <drop>/referensi/tps.csv              TPS list with DPT       -> ref__tps
    <drop>/referensi/paslon.csv           paslon per contest      -> ref__kontestasi_paslon
    <drop>/hitung_internal/*.csv|*.xlsx   field staff's tally reports
                                          -> internal__tps_kontestasi_laporan (+ ``_paslon``: votes)
    <drop>/kpu/<pull>/tps/<jenis>/<kode_tps>.json   Sirekap per-TPS records, one folder per pull
    <drop>/kpu/<pull>/tps/<jenis>.jsonl   the same records bundled: {"kode_tps", "record"} a line
                                          -> sirekap__tps_kontestasi_tarikan (+ ``_paslon``: votes)
    <drop>/kpu/<pull>/agregat/<jenis>/<kode>.json   KPU's aggregate per region (not ingested:
                                          reconcile reads the latest pull's, analysis.reconcile.agregat)
    <drop>/kpu/rekap/<YYYYMMDDTHHMM>/*.csv|*.xlsx   D.Hasil recapitulation per child region, by
                                          receipt time (WIB); penetapan_*.csv: KPU's determination
                                          -> dhasil__wilayah_kontestasi_paslon
    <drop>/insiden/*.csv|*.xlsx           incident reports        -> insiden__laporan
    <drop>/kesiapan/*.csv|*.xlsx          readiness indicators
                                          -> kesiapan__wilayah_tanggal_indikator
    <drop>/manifest.json                  demo only: ground truth of every injected fault
    <drop>/DATA_SIMULASI.json             demo only: the generator's mark (binds manifest.json by
                                          its sha256); only a drop carrying both is "the demo"

Only regular files inside the drop are read: symbolic links and special files (FIFO, device,
socket) are refused unopened; hidden files, ``manifest.json``/README, a pull's own bookkeeping
(everything in ``kpu/<pull>/`` but ``tps/``) and a pull still being staged (``kpu/.tarik-<pull>/``)
are skipped. Every one of them is listed in the ledger with its fate (``analysis.ingest.survey``).

``<pull>`` is the time KPU's site was read, ``YYYYMMDDTHHMM`` in WIB; ``<jenis>`` is ``pkwkp``,
``pkwkk`` or ``ppwp``. Dataset names follow ``<sumber>__<butir>`` (README, "For developers"), and
every one is declared in :mod:`analysis.schemas`. Processed datasets are Parquet files named after
the dataset (``data/processed/<name>.parquet``); reconciliation history (``rekon__*``) is kept under
``data/processed/history/<run time>/``. A source may keep its datasets in a sub-folder of its own
(:data:`SOURCE_FOLDERS`: the pack inputs ``paket__*`` under ``pack_inputs/``), and a dataset may be
split into one file per value of a column (:data:`PARTITIONS`: ``<folder>/<name>/<value>.parquet``).
A folder written before the datasets were renamed is still read: :data:`LEGACY_FILES`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis import schemas
from analysis.schemas import BY_NAME
from analysis.settings import Settings, default_settings

#: The demo generator's files at the root of a drop it made (see :mod:`analysis.demo.marker`).
DEMO_MANIFEST = "manifest.json"
DEMO_MARKER = "DATA_SIMULASI.json"

RAW_FOLDERS: dict[str, str] = {
    "referensi": "reference tables (TPS list, paslon)",
    "hitung_internal": "internal count reports from field staff",
    "kpu": "official KPU data (Sirekap pulls, D.Hasil recapitulation)",
    "insiden": "incident reports",
    "kesiapan": "readiness indicators",
}


#: Sub-folder of the processed folder holding what a run keeps to do less the next time (the parse,
#: verdict and kind records of ingest, KPU's aggregates per pull, bootstrap intervals, the region
#: tree): never a dataset, and removing it costs only time.
CACHE_DIR = "_cache"

#: Sub-folder of the processed folder holding every dataset of a source (the name before ``__``).
SOURCE_FOLDERS: dict[str, str] = {"paket": "pack_inputs"}

#: Datasets written as one file per value of a column, so a reader opens only the part it needs.
PARTITIONS: dict[str, str] = {schemas.PAKET_SELISIH.name: "kode_provinsi"}


#: Files a processed folder held before the datasets were named by the rule: old file name ->
#: dataset. While a dataset's own file is absent, a reader takes its old file instead, so a desk's
#: processed folder, its kept history (``history/<as-of>/recon_*.parquet``) and its follow-up
#: state from before the rename keep working; the next write uses the new name.
LEGACY_FILES: dict[str, str] = {
    "ref_regions": schemas.REGIONS.name,
    "ref_contests": schemas.CONTESTS.name,
    "ref_paslon": schemas.PASLON.name,
    "ref_tps": schemas.TPS.name,
    "tally_tps": schemas.TALLY.name,
    "tally_votes": schemas.TALLY_VOTES.name,
    "official_tps": schemas.OFFICIAL_TPS.name,
    "official_votes": schemas.OFFICIAL_VOTES.name,
    "official_region": schemas.OFFICIAL_REGION.name,
    "incidents": schemas.INCIDENTS.name,
    "readiness": schemas.READINESS.name,
    "quarantine": schemas.QUARANTINE.name,
    "ledger": schemas.LEDGER.name,
    "accounting": schemas.ACCOUNTING.name,
    "check_summary": schemas.CHECK_SUMMARY.name,
    "recon_tps_paslon": schemas.RECON_TPS_PASLON.name,
    "recon_tps": schemas.RECON_TPS.name,
    "recon_wilayah": schemas.RECON_WILAYAH.name,
    "recon_wilayah_status": schemas.RECON_WILAYAH_STATUS.name,
    "recon_kontestasi": schemas.RECON_KONTESTASI.name,
    "recon_perkiraan": schemas.RECON_PERKIRAAN.name,
    "recon_perubahan": schemas.RECON_PERUBAHAN.name,
    "recon_perubahan_wilayah": schemas.RECON_PERUBAHAN_WILAYAH.name,
    "recon_run": schemas.RECON_RUN.name,
    "tindak_lanjut": schemas.TINDAK_LANJUT_MASALAH.name,  # the follow-up state before analyse
}
_LEGACY_OF: dict[str, str] = {new: old for old, new in LEGACY_FILES.items()}


def processed_dir(settings: Settings | None = None) -> Path:
    s = settings or default_settings()
    return s.paths.resolved().processed


def source_dir(source: str, root: Path | None = None, settings: Settings | None = None) -> Path:
    """The folder a source's datasets live in (the processed folder unless it has its own)."""
    base = root or processed_dir(settings)
    sub = SOURCE_FOLDERS.get(source)
    return base / sub if sub else base


def processed_path(
    name: str, settings: Settings | None = None, root: Path | None = None, part: str | None = None
) -> Path:
    """File a processed dataset is written to, e.g. ``processed_path(TALLY.name)``.

    A partitioned dataset is a folder; ``part`` names one of its files (e.g. a province code).
    Readers use :func:`located`.
    """
    folder = source_dir(name.split("__")[0] if "__" in name else "", root, settings)
    if name not in PARTITIONS:
        return folder / f"{name}.parquet"
    return folder / name if part is None else folder / name / f"{part}.parquet"


def located(name: str, root: Path | None = None, part: str | None = None) -> Path:
    """File a processed dataset is read from: its own, or its file from before the rename
    (:data:`LEGACY_FILES`) while only that one exists."""
    path = processed_path(name, root=root, part=part)
    old = _LEGACY_OF.get(name)
    if old is None or path.exists():
        return path
    legacy = processed_path(old, root=root)
    return legacy if legacy.exists() else path


def exists(name: str, root: Path | None = None) -> bool:
    """Whether a dataset has been written (a partitioned one: its folder, even with no part)."""
    return located(name, root=root).exists()


def parts(name: str, root: Path | None = None) -> list[str]:
    """The values a partitioned dataset has files for, sorted."""
    folder = processed_path(name, root=root)
    return sorted(f.name.removesuffix(".parquet") for f in folder.glob("*.parquet"))


def _write_file(df: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    df.write_parquet(tmp)
    tmp.replace(path)


def write(
    df: pl.DataFrame, name: str, root: Path | None = None, sort: list[str] | None = None
) -> Path:
    """Write a processed dataset; a canonical one is conformed and its key checked first.

    ``sort`` orders the rows on disk (readers get them in that order). A partitioned dataset
    replaces all its parts: one file per value of its partition column.
    """
    if name in BY_NAME:
        ds = BY_NAME[name]
        df = ds.check_key(ds.conform(df))
    if sort:
        df = df.sort(sort, nulls_last=True)
    path = processed_path(name, root=root)
    if name not in PARTITIONS:
        _write_file(df, path)
        return path
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.parquet"):
        old.unlink()
    for (value,), part in df.partition_by(PARTITIONS[name], as_dict=True).items():
        _write_file(part, path / f"{value}.parquet")
    return path


def read(name: str, root: Path | None = None, part: str | None = None) -> pl.DataFrame:
    """Read a processed dataset; an absent one is an empty frame of its schema if it is canonical."""
    path = located(name, root=root, part=part)
    if name in PARTITIONS and part is None:
        frames = [read(name, root, p) for p in parts(name, root)]
        if frames:
            return pl.concat(frames, how="diagonal_relaxed")
    elif path.exists():
        return pl.read_parquet(path)
    if name in BY_NAME:
        return BY_NAME[name].empty()
    raise FileNotFoundError(f"{path}: dataset {name!r} has not been produced yet")


def read_optional(
    name: str, root: Path | None = None, columns: list[str] | None = None
) -> pl.DataFrame | None:
    """A processed dataset (only those of ``columns`` it has, when given), or None when absent."""
    if not exists(name, root):
        return None
    if name in PARTITIONS:
        df = read(name, root)
        return df if columns is None else df.select(c for c in columns if c in df.columns)
    path = located(name, root=root)
    if columns is None:
        return pl.read_parquet(path)
    have = pl.read_parquet_schema(path)
    return pl.read_parquet(path, columns=[c for c in columns if c in have])
