"""One raw file of a drop -> the reader its place in the drop calls for (see ``analysis.catalog``)."""

from __future__ import annotations

from pathlib import Path

from analysis import catalog
from analysis.read.bundles import read_sirekap_jsonl
from analysis.read.coerce import coerce
from analysis.read.result import FileRead
from analysis.read.sirekap import read_sirekap_json
from analysis.read.tables import TABLE_SUFFIXES, read_table_raw

#: Kinds of raw file, by where they sit in the drop (see ``analysis.catalog``).
KINDS = ("ref_tps", "ref_paslon", "tally", "official", "official_region", "incidents", "readiness")

#: Top folder of the drop -> kind (``kpu/`` and ``referensi/`` are split further by :func:`kind_of`).
_FOLDER_KIND = {"hitung_internal": "tally", "insiden": "incidents", "kesiapan": "readiness"}
#: Files that are about the drop, not data: name (lower case) -> why they are not read.
NOT_DATA = {
    catalog.DEMO_MANIFEST: "manifest drop (keterangan, bukan data); tidak dibaca",
    "readme.md": "catatan pembaca (README), bukan data; tidak dibaca",
    "readme.txt": "catatan pembaca (README), bukan data; tidak dibaca",
    catalog.DEMO_MARKER.lower(): "penanda drop demo buatan workbench (DATA SIMULASI); tidak dibaca",
}
HIDDEN = "berkas tersembunyi (nama diawali titik); tidak dibaca"
#: The PVT sample and its hash record: read by the reconcile stage, not by ingest.
PVT_SAMPLE = "sampel PVT dan catatan hash-nya: dibaca tahap rekonsiliasi, bukan sebagai data masuk"


def read_elsewhere(rel: str) -> str | None:
    """Why a file in its right place is read by another stage than ingest (listed as skipped):
    the PVT sample's list and record, by the names :mod:`analysis.reconcile.sample` reads."""
    from analysis.reconcile.sample import FOLDER, LIST_FILE, RECORD_FILE

    if rel in (f"{FOLDER}/{LIST_FILE}", f"{FOLDER}/{RECORD_FILE}"):
        return PVT_SAMPLE
    return None


def skip_reason(name: str) -> str | None:
    """Why a file of this name is not read as data (listed in the ledger as skipped), else None."""
    if name.startswith("."):
        return HIDDEN
    return NOT_DATA.get(name.lower())


def kind_of(rel: str) -> str | None:
    """Which reader a drop-relative path goes to (catalog layout), None for a file to skip."""
    parts = [x.lower() for x in rel.split("/") if x and x != "."]
    name = parts[-1]
    if skip_reason(name) is not None:
        return None
    top = parts[0] if len(parts) > 1 else ""
    if read_elsewhere(rel) is not None:
        return None  # the PVT sample and its hash record: analysis.reconcile.sample reads them
    if top == "referensi":
        if "paslon" in name:
            return "ref_paslon"
        return "ref_tps" if "tps" in name else "unknown"
    if top == "kpu":
        return "official_region" if "rekap" in parts[:-1] else "official"
    return _FOLDER_KIND.get(top, "unknown")


def read_table(kind: str, data: bytes, rel: str, suffix: str = ".csv") -> FileRead:
    """Any CSV/xlsx of ``kind`` -> typed canonical rows (every sheet that carries data)."""
    fr = read_table_raw(kind, data, rel, suffix)
    if fr.error is not None:
        return fr
    return coerce(fr)


def read_file(
    path: Path,
    root: Path,
    data: bytes | None = None,
    kind: str | None = None,
    typed: bool = True,
) -> FileRead:
    """Read one raw file of the drop at ``root`` with the reader its place calls for; never raises
    on bad data (the result's ``error`` says why a file was rejected). ``typed=False``: tables
    come back as text (:func:`.tables.read_table_raw`) for batch coercion."""
    rel = path.relative_to(root).as_posix()
    kind = kind or kind_of(rel) or "unknown"
    try:
        if data is None:
            data = path.read_bytes()
        if kind == "unknown":
            return FileRead(
                kind,
                error="letak berkas tidak dikenal; taruh di referensi/, hitung_internal/, kpu/, "
                "insiden/ atau kesiapan/ (lihat analysis.catalog)",
            )
        return _read(kind, path.suffix.lower(), data, rel, typed)
    except OSError as exc:
        return FileRead(kind, error=f"tidak bisa dibaca ({exc.strerror})")
    except Exception as exc:  # noqa: BLE001 - last line of defence: one message, never a traceback
        return FileRead(kind, error=f"gagal dibaca ({type(exc).__name__}: {exc})")


def _read(kind: str, suffix: str, data: bytes, rel: str, typed: bool) -> FileRead:
    if kind == "official":
        if suffix == ".jsonl":
            return read_sirekap_jsonl(data, rel)
        if suffix == ".json":
            return read_sirekap_json(data, rel)
        return FileRead(kind, error=f"akhiran {suffix or '(tanpa)'} bukan .json/.jsonl Sirekap")
    if suffix not in TABLE_SUFFIXES:
        return FileRead(kind, error=f"akhiran {suffix or '(tanpa)'} bukan .csv atau .xlsx")
    return read_table(kind, data, rel, suffix) if typed else read_table_raw(kind, data, rel, suffix)
