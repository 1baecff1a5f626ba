"""The desk's internal count (``hitung_internal/``): field staff's reports over election night.

One row per TPS × contest report, in one file per kab/kota per collection batch, with the internal
faults of :data:`analysis.demo.faults.FAULTS` injected and three unreadable files. Returns the
summary the manifest carries; the faults go to ``drop.faults`` with the place each one sits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis.demo import faults as fault_table
from analysis.demo import tally_files as tf
from analysis.demo.drop import Drop
from analysis.demo.faults_internal import Finding, TallyChanges, copies_found
from analysis.demo.names import name
from analysis.demo.timeline import batch_cutoffs, label_wib
from analysis.demo.world import VOTE_COLS, World
from analysis.domain import regions
from analysis.xlsx import write_xlsx

_REPORT_COLS = (
    "_tc",
    "kode_tps",
    "jenis",
    "kode_kontestasi",
    "kode_kec",
    "kode_kab",
    "tz_off",
    "_t_int",
    *tf.TALLY_INT_COLS,
)
_COPY_COLS = {"_dup_of": pl.Int64, "_dup": pl.String, "_later": pl.Int64}
_PLACE_KEYS = ("file", "sheet", "row")


def write_internal(
    w: World, drop: Drop, rng: np.random.Generator, as_of: int, plan: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Write the field staff's tally reports received by ``as_of``; the manifest's summary."""
    folder = drop.folder("hitung_internal")
    reports = (
        w.tc.filter(pl.col("_t_int") <= as_of)
        .select(_REPORT_COLS)
        .rename({"_t_int": "_t", "_tc": "_idx"})
        .with_columns(pl.col("jenis").alias("_jenis_code"))
    )
    ch = _inject(reports, plan, rng, as_of, w.tc.height)
    frame, cut, keys, is_xlsx = _batches(_with_changes(reports, ch), w, as_of, rng)
    frame = tf.with_cell_texts(frame, ch.overrides, w.kinds)
    places, n_rows = _write_batches(frame, keys, is_xlsx, cut, folder, drop, w, ch)
    copies_found(frame, ch, fault_table.BY_KIND)
    unreadable = _unreadable_files(folder, frame, drop, rng)
    info = {r[0]: r for r in frame.select("_idx", "kode_tps", "kode_kontestasi").rows()}
    drop.faults.extend(_resolve(ch.findings, places, info, ch.overrides))
    return {
        "rows": n_rows,
        "files": len(keys) + len(unreadable),
        "xlsx_files": int(is_xlsx.sum()),
        "reported_tps_contest": reports.height,
        "coverage": round(reports.height / max(w.tc.height, 1), 4),
        "unreadable_files": unreadable,
        "batches_wib": [label_wib(c) for c in cut],
    }


def _inject(
    reports: pl.DataFrame, plan: dict[str, np.ndarray], rng: np.random.Generator, as_of: int, n: int
) -> TallyChanges:
    """Apply every internal fault of the table, in table order, to the drawn reports."""
    internal = fault_table.of_source("internal")
    drawn = np.concatenate([plan[f.kind] for f in internal])
    ch = TallyChanges(reports, rng, as_of, next_idx=n)
    ch.rows = {r["_idx"]: r for r in reports.filter(pl.col("_idx").is_in(drawn)).to_dicts()}
    for f in internal:
        f.apply(f, plan[f.kind], ch)
    return ch


def _with_changes(reports: pl.DataFrame, ch: TallyChanges) -> pl.DataFrame:
    """The reports as sent: edited numbers, plus the added reports (copies carry ``_dup*``)."""
    out = reports
    if ch.edits:
        ed = pl.DataFrame(
            [{"_idx": i, **{f"_e_{k}": v for k, v in e.items()}} for i, e in ch.edits.items()],
            infer_schema_length=None,
        )
        out = (
            out.join(ed, on="_idx", how="left")
            .with_columns(
                pl.coalesce(pl.col(f"_e_{c}"), pl.col(c)).alias(c)
                for c in tf.TALLY_INT_COLS
                if f"_e_{c}" in ed.columns
            )
            .drop([c for c in ed.columns if c.startswith("_e_")])
        )
    out = out.with_columns(pl.lit(None, t).alias(c) for c, t in _COPY_COLS.items())
    if not ch.extra:
        return out
    added = pl.DataFrame(ch.extra, infer_schema_length=None)
    added = added.with_columns(pl.lit(None).alias(c) for c in _COPY_COLS if c not in added.columns)
    return pl.concat([out, added.select(out.columns).cast(dict(out.schema))])


def _batches(
    frame: pl.DataFrame, w: World, as_of: int, rng: np.random.Generator
) -> tuple[pl.DataFrame, list[int], list[tuple[str, int]], np.ndarray]:
    """Each report's batch (``_b``) and sender, sorted in file order; the files and which are xlsx."""
    cut = batch_cutoffs(as_of)
    batch = np.searchsorted(np.array(cut), frame["_t"].to_numpy(), side="left")
    later = pl.min_horizontal(pl.col("_b") + pl.col("_later"), len(cut) - 1)
    frame = frame.with_columns(pl.Series("_b", batch)).with_columns(
        pl.when(pl.col("_later") > 0).then(later).otherwise(pl.col("_b")).alias("_b")
    )
    kab_list = sorted(frame["kode_kab"].unique().to_list())
    # each kab/kota starts at its own style and moves one style on per batch
    kab_off = {k: int(rng.integers(len(tf.STYLE_CYCLE))) for k in kab_list}
    sender = {
        k: f"Korcam {w.names.get(k, k)} – {name(rng, 2, 3)}"
        for k in sorted(frame["kode_kec"].unique().to_list())
    }
    frame = frame.with_columns(
        pl.col("kode_kec").replace_strict(sender, return_dtype=pl.String).alias("pelapor"),
        pl.col("kode_kab").replace_strict(kab_off, return_dtype=pl.Int64).alias("_style_offset"),
    ).sort(["kode_kab", "_b", "_t", "kode_tps", "_jenis_code", "_idx"])
    keys = frame.select("kode_kab", "_b").unique(maintain_order=True).rows()
    return frame, cut, keys, _xlsx_choice(len(keys), rng)


def _xlsx_choice(n_files: int, rng: np.random.Generator) -> np.ndarray:
    """Which files are Excel workbooks: ~15%, at least two when there are three files or more."""
    is_xlsx = rng.random(n_files) < tf.XLSX_SHARE
    if n_files >= 3 and is_xlsx.sum() < 2:
        is_xlsx[rng.choice(n_files, 2, replace=False)] = True
    xl_idx = np.flatnonzero(is_xlsx)
    if xl_idx.size > tf.XLSX_CAP:
        is_xlsx[:] = False
        is_xlsx[np.sort(rng.choice(xl_idx, tf.XLSX_CAP, replace=False))] = True
    return is_xlsx


@dataclass
class _Batch:
    """One file to write: a kab/kota's reports of one collection batch."""

    kab: str
    b: int
    part: pl.DataFrame
    cols: list[str]
    stem: Path  # the path without its suffix
    kab_kind: str | None
    title: list[list[Any]]  # rows above an xlsx header


def _write_batches(
    frame: pl.DataFrame,
    keys: list[tuple[str, int]],
    is_xlsx: np.ndarray,
    cut: list[int],
    folder: Path,
    drop: Drop,
    w: World,
    ch: TallyChanges,
) -> tuple[dict[int, dict[str, Any]], int]:
    """Write one file per kab/kota × batch; where each report of interest landed, and the rows."""
    present = {
        (r[0], r[1]): r[2:]
        for r in frame.group_by("kode_kab", "_b")
        .agg(pl.col(c).is_not_null().any() for c in VOTE_COLS)
        .rows()
    }
    parts = frame.partition_by(["kode_kab", "_b"], maintain_order=True, as_dict=True)
    need = _reports_of_interest(frame, ch.findings)
    places: dict[int, dict[str, Any]] = {}
    two_sheets_left = True  # one workbook splits its contests into two sheets
    for f_i, (kab, b) in enumerate(keys):
        batch = _Batch(
            kab,
            b,
            parts[(kab, b)],
            tf.file_columns(present[(kab, b)]),
            folder / f"hitung_{regions.undotted(kab)}_{label_wib(cut[b])}",
            w.kinds.get(kab),
            tf.xlsx_title(w.names.get(kab, kab), cut[b]),
        )
        if is_xlsx[f_i]:
            jenis_here = set(batch.part["_jenis_code"].to_list())
            two = two_sheets_left and {regions.JENIS_GUBERNUR, regions.JENIS_BUPATI} <= jenis_here
            two_sheets_left = two_sheets_left and not two
            places |= _write_workbook(batch, two, drop, ch.overrides)
        else:
            places |= _write_csv(batch, drop, need)
    return places, frame.height


def _write_workbook(
    batch: _Batch, two_sheets: bool, drop: Drop, overrides: dict[tuple[int, str], str]
) -> dict[int, dict[str, Any]]:
    """An Excel batch; the place of every report in it."""
    path = batch.stem.with_suffix(".xlsx")
    sheets = tf.xlsx_sheets(
        batch.part, batch.cols, batch.kab_kind, batch.title, two_sheets, overrides
    )
    write_xlsx(path, [(s, rows) for s, rows, _ in sheets])
    meta = {"format": "xlsx", "sheets": [s[0] for s in sheets], "header_row": tf.XLSX_HEADER_ROW}
    drop.add_file(path, "tally", batch.part.height, **meta)
    rel = drop.rel(path)
    places = {}
    for sheet, _, idxs in sheets:
        for d_i, i in enumerate(idxs, start=1):
            places[i] = {
                "file": rel,
                "sheet": sheet,
                "row": tf.XLSX_HEADER_ROW + d_i,
                "data_row": d_i,
                "header_row": tf.XLSX_HEADER_ROW,
                "format": "xlsx",
                "columns": batch.cols,
                "words": True,
                "kab_kind": batch.kab_kind,
            }
    return places


def _write_csv(batch: _Batch, drop: Drop, need: set[int]) -> dict[int, dict[str, Any]]:
    """A CSV batch in the kab/kota's style of the moment; the place of each report of interest."""
    style = tf.STYLE_CYCLE[(batch.part["_style_offset"][0] + batch.b) % len(tf.STYLE_CYCLE)]
    path = batch.stem.with_suffix(".csv")
    header = tf.write_csv(path, batch.part, batch.cols, style)
    st = tf.STYLES[style]
    meta = {"format": "csv", "separator": st["sep"], "encoding": st["enc"]}
    meta |= {"thousands": st["thousands"], "header_row": 1, "style": style}
    drop.add_file(path, "tally", batch.part.height, **meta)
    rel = drop.rel(path)
    places = {}
    for d_i, i in enumerate(batch.part["_idx"].to_list(), start=1):
        if i in need:
            places[i] = {
                "file": rel,
                "sheet": None,
                "row": 1 + d_i,
                "data_row": d_i,
                "header_row": 1,
                "format": "csv",
                "columns": header,
                "canonical": batch.cols,
                "thousands": st["thousands"],
                "words": st["words"],
                "kab_kind": batch.kab_kind,
            }
    return places


def _reports_of_interest(frame: pl.DataFrame, findings: list[Finding]) -> set[int]:
    """Reports the manifest points at: faulty ones, corrections, copies and their originals."""
    need = {f.idx for f in findings} | {f.refers_to[1] for f in findings if f.refers_to}
    for r in frame.filter(pl.col("_dup").is_not_null()).select("_idx", "_dup_of").rows():
        need.update(r)
    return need


# --- three unreadable files --------------------------------------------------------------------


def _unreadable_files(
    folder: Path, frame: pl.DataFrame, drop: Drop, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """An empty file, binary garbage, and an old layout without the required columns."""
    kabs = sorted(frame["kode_kab"].unique().to_list())
    stem = f"hitung_{regions.undotted(kabs[0]) if kabs else '0000'}"
    files = (
        ("kosong", b"", "empty file"),
        ("rusak", rng.bytes(3000), "binary garbage with a .csv name"),
        (
            "format_lama",
            _old_layout(frame.head(5)),
            "CSV missing required columns (kode_tps, jenis_pemilihan, suara_sah ...)",
        ),
    )
    out = []
    for suffix, content, why in files:
        p = folder / f"{stem}_{suffix}.csv"
        p.write_bytes(content)
        drop.add_file(p, "tally", 0, format="unreadable")
        out.append({"file": drop.rel(p), "why": why})
        drop.faults.append(_unreadable_fault(drop.rel(p), why))
    return out


def _old_layout(sample: pl.DataFrame) -> bytes:
    """A CSV of last election's layout: desa and TPS number apart, no jenis, no kode_tps."""
    lines = ["kecamatan,desa,no_tps,paslon_1,paslon_2,sah"]
    for r in sample.iter_rows(named=True):
        desa = regions.undotted(regions.tps_desa(r["kode_tps"]))
        nomor = r["kode_tps"][len(desa) :]
        lines.append(
            f"{r['kode_kec']},{desa},{nomor},{r['suara_paslon_1']},"
            f"{r['suara_paslon_2'] or 0},{r['suara_sah']}"
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


def _unreadable_fault(rel: str, why: str) -> dict[str, Any]:
    return {
        "kind": "unreadable_file",
        "side": "internal",
        "file": rel,
        "sheet": None,
        "row": None,
        "data_row": None,
        "kode_tps": None,
        "kode_kontestasi": None,
        "field": None,
        "true_value": None,
        "injected_value": None,
        "note": why,
    }


# --- the manifest's fault records --------------------------------------------------------------


def _resolve(
    findings: list[Finding],
    places: dict[int, dict[str, Any]],
    info: dict[int, tuple[Any, ...]],
    overrides: dict[tuple[int, str], str],
) -> list[dict[str, Any]]:
    """Each finding with its place in the files, grouped by effect (the manifest's order)."""
    out = []
    for f in sorted(findings, key=lambda f: fault_table.listing_order(f.effect)):
        place = places[f.idx]
        column = written = None
        if f.field is not None:
            j = (place.get("canonical") or place["columns"]).index(f.field)
            column = place["columns"][j]
            written = tf.written(place, f.injected_value, f.field, (f.idx, f.field) in overrides)
        ref = {}
        if f.refers_to is not None:
            key, other = f.refers_to
            ref = {key: {k: places[other][k] for k in _PLACE_KEYS}}
        out.append(
            {
                "kind": f.kind,
                "side": "internal",
                **{k: place[k] for k in (*_PLACE_KEYS, "data_row", "header_row")},
                "kode_tps": info[f.idx][1],
                "kode_kontestasi": info[f.idx][2],
                "field": f.field,
                "column": column,
                "true_value": f.true_value,
                "injected_value": f.injected_value,
                "written": written,
                **f.extra,
                **ref,
            }
        )
    return out
