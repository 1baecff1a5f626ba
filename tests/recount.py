"""An independent recount of a demo drop's headline figures, straight from its raw files.

Nothing here imports the workbench: the files are read with csv, json and openpyxl as the demo's
``manifest.json`` describes them, and the rules are written again from docs/domain.md (a report in
force is the latest at or before the report time; KPU's record in force is the latest pull at or
before it that carries votes; a TPS × contest "berbeda" when both sources have it and a paslon's
votes differ; "cocok" when they are all equal, whether KPU revised the record or not). The only
processed file read is ingest's list of rejected rows (``mutu__baris_ditolak``), which the tests
check separately against the faults the demo says it injected.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import polars as pl

WIB = ZoneInfo("Asia/Jakarta")
_JENIS = {
    "gubernur": "pkwkp",
    "pkwkp": "pkwkp",
    "bupati": "pkwkk",
    "walikota": "pkwkk",
    "pkwkk": "pkwkk",
}
_ALIAS = {"jumlah_dpt": "pemilih_dpt", "suara_kolom_kosong": "suara_paslon_0"}


@dataclass
class Drop:
    """The raw drop's parts the headline figures need."""

    tps: pl.DataFrame  # kode_tps, kode_kabkota (dotted), pemilih_dpt
    internal: pl.DataFrame  # kode_tps, kode_kontestasi, waktu, nomor_urut, suara (in force)
    kpu: pl.DataFrame  # kode_tps, kode_kontestasi, nomor_urut, suara (in force, with votes)


def _header(name: object) -> str:
    h = re.sub(r"\s+", "_", str(name).strip().lower())
    h = _ALIAS.get(h, h)
    return re.sub(r"^paslon_(\d+)$", r"suara_paslon_\1", h)


def _contest(jenis: str, kode_tps: str) -> str | None:
    j = _JENIS.get(jenis.strip().lower())
    if j is None:
        return None
    return f"{j}-{kode_tps[:2]}" if j == "pkwkp" else f"{j}-{kode_tps[:4]}"


def _time(v: object) -> dt.datetime:
    """A report time: a datetime cell or text, local (WIB for province 16) unless it has an offset."""
    t = v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v).strip())
    return t if t.tzinfo else t.replace(tzinfo=WIB)


def _int(v: object, thousands: bool) -> int | None:
    if v is None or str(v).strip() == "":
        return None
    s = str(v).strip()
    return int(s.replace(".", "") if thousands else s)


def _csv_rows(path: Path, spec: dict) -> list[tuple[str | None, int, dict]]:
    with path.open(encoding=spec["encoding"], newline="") as f:
        lines = list(csv.reader(f, delimiter=spec["separator"]))
    head = [_header(h) for h in lines[spec["header_row"] - 1]]
    return [
        (None, spec["header_row"] + i, dict(zip(head, r, strict=False)))
        for i, r in enumerate(lines[spec["header_row"] :], 1)
        if any(c.strip() for c in r)
    ]


def _xlsx_rows(path: Path, spec: dict) -> list[tuple[str | None, int, dict]]:
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    out = []
    for sheet in spec["sheets"]:
        rows = list(wb[sheet].iter_rows(values_only=True))
        head = [_header(h) for h in rows[spec["header_row"] - 1]]
        for i, r in enumerate(rows[spec["header_row"] :], 1):
            if any(c is not None for c in r):
                out.append((sheet, spec["header_row"] + i, dict(zip(head, r, strict=False))))
    return out


def _tally(raw: Path, files: list[dict], rejected: set[tuple], as_of: dt.datetime) -> pl.DataFrame:
    """Every accepted internal report up to ``as_of``, one row per paslon."""
    rows = []
    for spec in files:
        if spec["dataset"] != "tally" or spec["format"] not in ("csv", "xlsx"):
            continue
        reader = _xlsx_rows if spec["format"] == "xlsx" else _csv_rows
        thousands = bool(spec.get("thousands"))
        for sheet, line, r in reader(raw / spec["path"], spec):
            if (spec["path"], sheet or "", line) in rejected:
                continue
            kode = str(r["kode_tps"]).strip()
            t = _time(r["waktu_laporan"])
            if t > as_of:
                continue
            k = _contest(str(r["jenis_pemilihan"]), kode)
            for col, v in r.items():
                m = re.fullmatch(r"suara_paslon_(\d+)", col)
                if m and (n := _int(v, thousands)) is not None:
                    rows.append((kode, k, t.astimezone(dt.UTC), int(m.group(1)), n))
    df = pl.DataFrame(
        rows,
        schema={
            "kode_tps": pl.String,
            "kode_kontestasi": pl.String,
            "waktu": pl.Datetime("us", "UTC"),
            "nomor_urut": pl.Int64,
            "suara": pl.Int64,
        },
        orient="row",
    )
    last = df.group_by("kode_tps", "kode_kontestasi").agg(pl.col("waktu").max())
    # a row repeated word for word (in the same file or the next) is one report
    return df.join(last, on=["kode_tps", "kode_kontestasi", "waktu"]).unique()


def _kpu(raw: Path, paslon: dict[str, int], as_of: dt.datetime) -> pl.DataFrame:
    """KPU's votes in force: per TPS × contest the latest pull up to ``as_of`` with a chart."""
    best: dict[tuple[str, str], tuple[str, dict]] = {}
    for pull in sorted(p for p in (raw / "kpu").iterdir() if re.fullmatch(r"\d{8}T\d{4}", p.name)):
        if dt.datetime.strptime(pull.name, "%Y%m%dT%H%M").replace(tzinfo=WIB) > as_of:
            continue
        for f in (pull / "tps").glob("*/*.json"):
            rec = json.loads(f.read_text(encoding="utf-8"))
            chart = (rec.get("tungsura") or {}).get("chart")
            if chart:
                best[(f.stem, _contest(f.parent.name, f.stem))] = (pull.name, chart)
    rows = [
        (tps, k, paslon[pid], int(v))
        for (tps, k), (_, chart) in best.items()
        for pid, v in chart.items()
        if pid in paslon and v is not None
    ]
    schema = {"kode_tps": pl.String, "kode_kontestasi": pl.String, "nomor_urut": pl.Int64}
    return pl.DataFrame(rows, schema={**schema, "suara": pl.Int64}, orient="row")


def read_drop(raw: Path, rejected_rows: pl.DataFrame) -> Drop:
    """The drop's reference TPS list and both sources' votes in force at the manifest's as-of."""
    manifest = json.loads((raw / "manifest.json").read_text(encoding="utf-8"))
    as_of = dt.datetime.fromisoformat(manifest["as_of"])
    rejected = {
        (r["sumber_file"], r["sumber_sheet"] or "", r["sumber_baris"])
        for r in rejected_rows.iter_rows(named=True)
    }
    tps = pl.read_csv(raw / "referensi" / "tps.csv", schema_overrides={"kode_tps": pl.String})
    tps = tps.select(
        "kode_tps",
        (pl.col("kode_tps").str.slice(0, 2) + "." + pl.col("kode_tps").str.slice(2, 2)).alias(
            "kode_kabkota"
        ),
        "pemilih_dpt",
    )
    with (raw / "referensi" / "paslon.csv").open(encoding="utf-8") as f:
        paslon = {r["paslon_id"]: int(r["nomor_urut"]) for r in csv.DictReader(f)}
    return Drop(tps, _tally(raw, manifest["files"], rejected, as_of), _kpu(raw, paslon, as_of))


def kabkota_of_name(path: str) -> str:
    """The kab/kota a tally file's name carries: ``hitung_1601_kosong.csv`` → ``16.01``."""
    m = re.search(r"hitung_(\d{2})(\d{2})_", path)
    assert m, path
    return f"{m.group(1)}.{m.group(2)}"


def headline(drop: Drop, unit: str, contest: str) -> dict[str, object]:
    """A unit's headline figures for one contest: TPS expected and in, votes per paslon, and the
    comparison with KPU (TPS compared, cocok, berbeda)."""
    inside = drop.tps.filter(
        (pl.col("kode_kabkota") == unit) | pl.col("kode_kabkota").str.starts_with(unit + ".")
    )
    tps = set(inside["kode_tps"].to_list())
    internal = drop.internal.filter(
        (pl.col("kode_kontestasi") == contest) & pl.col("kode_tps").is_in(list(tps))
    )
    kpu = drop.kpu.filter(
        (pl.col("kode_kontestasi") == contest) & pl.col("kode_tps").is_in(list(tps))
    )
    both = internal.join(kpu, on=["kode_tps", "nomor_urut"], how="full", coalesce=True, suffix="_k")
    both = both.filter(
        pl.col("kode_tps").is_in(internal["kode_tps"].implode())
        & pl.col("kode_tps").is_in(kpu["kode_tps"].implode())
    )
    differ = both.group_by("kode_tps").agg(
        (pl.col("suara").fill_null(0) != pl.col("suara_k").fill_null(0)).any().alias("beda")
    )
    return {
        "tps_diharapkan": len(tps),
        "tps_internal": internal["kode_tps"].n_unique(),
        "suara": dict(internal.group_by("nomor_urut").agg(pl.col("suara").sum()).iter_rows()),
        "tps_keduanya": differ.height,
        "n_berbeda": int(differ["beda"].sum()),
        "n_cocok": int((~differ["beda"]).sum()),
    }
