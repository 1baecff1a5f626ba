"""KPU's candidates into the drop's ``referensi/paslon.csv``, in the form ingest reads.

The desk's own file is never overwritten silently: the pull writes the file when the drop has
none, replaces it when it is the one an earlier pull wrote (its sha256 is kept in the hidden
``referensi/.paslon.csv.tarik``), leaves it alone when equal, and otherwise keeps KPU's list
beside the pull (``kpu/<pull>/paslon_kpu.csv``) and says so, unless told to replace it (the desk's
file is then kept as ``referensi/.paslon.csv.<pull>.bak``).
"""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path
from typing import Any

import polars as pl

from analysis.domain import regions
from analysis.pull.folder import PullFolder, write_atomic
from analysis.read import COLUMNS
from analysis.settings import KpuSite

REF = "referensi/paslon.csv"
MARK = "referensi/.paslon.csv.tarik"
BESIDE = "paslon_kpu.csv"
#: KPU lists a single pair's "kolom kosong" like a candidate; nomor urut 0 or this name marks it.
KOLOM_KOSONG_NAME = "kolom kosong"


def frame(kpu: KpuSite, paslon: dict[str, Any], scope: str) -> pl.DataFrame:
    """One row per contest × paslon of the contests the scope's voters vote in."""
    rows = []
    for jenis, value in paslon.items():
        if value is None:
            continue
        groups = value.items() if kpu.paslon_per_wilayah else [("", value)]
        for kode, entries in groups:
            region = regions.dotted(kode) if kode else regions.NATIONAL
            if not (regions.is_inside(region, scope) or regions.is_inside(scope, region)):
                continue
            contest = regions.contest_code(jenis, region)
            for pid, info in entries.items():
                nama = str(info.get("nama") or "").strip()
                nomor = int(info["nomor_urut"])
                kosong = nomor == 0 or nama.lower() == KOLOM_KOSONG_NAME
                rows.append((contest, nomor, pid, nama, kosong))
    cols = COLUMNS["ref_paslon"][0]
    df = pl.DataFrame(rows, schema=dict(zip(cols, _TYPES, strict=True)), orient="row")
    return df.sort("kode_kontestasi", pl.col("nomor_urut") == 0, "nomor_urut")


_TYPES = (pl.String, pl.Int64, pl.String, pl.String, pl.Boolean)


def csv_bytes(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_csv(buf, line_terminator="\n")
    return buf.getvalue()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _differing(old: bytes, new: pl.DataFrame) -> int:
    """Rows of KPU's list absent from the desk's file or vice versa (by contest, nomor, id)."""
    key = ["kode_kontestasi", "nomor_urut", "paslon_id"]
    try:
        desk = pl.read_csv(old, infer_schema=False).select(key)
    except Exception:  # noqa: BLE001 - an unreadable desk file differs in every row
        return new.height
    kpu = new.select(pl.col(k).cast(pl.String) for k in key)
    return desk.join(kpu, on=key, how="anti").height + kpu.join(desk, on=key, how="anti").height


def place(pull: PullFolder, df: pl.DataFrame, replace: bool) -> dict[str, Any]:
    """Put KPU's list where ingest reads it, by the rules of the module docstring; returns the
    decision (``status`` and a message) for the pull's summary."""
    data = csv_bytes(df)
    target, mark = pull.drop / REF, pull.drop / MARK
    ours = mark.read_text().strip() if mark.exists() else None
    if not target.exists():
        return _write(target, mark, data, "ditulis", f"{REF} ditulis dari daftar paslon KPU")
    old = target.read_bytes()
    if old == data:
        return {"status": "sama", "pesan": f"{REF} sama dengan daftar paslon KPU"}
    if ours == _sha(old):
        return _write(target, mark, data, "diperbarui", f"{REF} diperbarui dari daftar KPU")
    n = _differing(old, df)
    if replace:
        backup = pull.drop / f"referensi/.paslon.csv.{pull.name}.bak"
        shutil.copy2(target, backup)
        msg = (
            f"{REF} milik desk ditimpa daftar KPU ({n} baris berbeda); salinan lama: {backup.name}"
        )
        return _write(target, mark, data, "ditimpa", msg)
    write_atomic(pull.path(BESIDE), data)
    return {
        "status": "dibiarkan",
        "pesan": (
            f"{REF} milik desk berbeda dari daftar paslon KPU ({n} baris berbeda) dan tidak "
            f"ditimpa; daftar KPU ada di kpu/{pull.name}/{BESIDE} (pakai --timpa-paslon untuk "
            "menggantinya)"
        ),
    }


def _write(target: Path, mark: Path, data: bytes, status: str, msg: str) -> dict[str, Any]:
    write_atomic(target, data)
    write_atomic(mark, (_sha(data) + "\n").encode())
    return {"status": status, "pesan": msg}
