"""KPU's D.Hasil recapitulation (``kpu/rekap/``) of a few kecamatan, in three layouts.

One row per desa × contest with the paslon wide; one file per kecamatan (up to three kecamatan,
from different kab/kota where the scope has them): a plain CSV, a ``;`` CSV with ``1.234`` and
undotted codes, and a workbook with title rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis.demo.drop import Drop, csv_text, encode, thousands
from analysis.demo.world import VOTE_COLS, World
from analysis.domain import regions
from analysis.xlsx import write_xlsx

_SHEET = "D.Hasil"


def write_dhasil(w: World, drop: Drop, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Write the recaps; per file: its path, kecamatan, rows and totals per contest."""
    folder = drop.out / "kpu" / "rekap"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for n, kec in enumerate(_choose_kecamatan(w, rng)):
        agg = _by_desa(w.tc.filter(pl.col("kode_kec") == kec))
        vcols = [c for c in VOTE_COLS if agg[c].is_not_null().any()]
        cols = ["kode_wilayah", "jenis_pemilihan", *vcols, "suara_sah", "suara_tidak_sah"]
        cols += ["tps_total", "tps_masuk"]
        rows = [
            [r["kode_desa"], r["jenis"], *(r[c] for c in cols[2:])]
            for r in agg.iter_rows(named=True)
        ]
        path = folder / f"dhasil_kec_{regions.undotted(kec)}"
        path, meta = _LAYOUTS[n](path, cols, rows, w.names.get(kec, kec))
        drop.add_file(path, "official_region", len(rows), **meta)
        out.append(
            {
                "file": drop.rel(path),
                "kode_kecamatan": kec,
                "rows": len(rows),
                "totals": _totals(agg, vcols),
            }
        )
    return out


def _choose_kecamatan(w: World, rng: np.random.Generator) -> list[str]:
    """Up to three kecamatan: one in each of up to three kab/kota, then any others."""
    kecs = sorted(w.tc["kode_kec"].unique().to_list())
    by_kab: dict[str, list[str]] = {}
    for k in kecs:
        by_kab.setdefault(regions.ancestor_at(k, 2) or k, []).append(k)
    kabs = sorted(by_kab)
    chosen_kab = [kabs[i] for i in sorted(rng.choice(len(kabs), min(3, len(kabs)), replace=False))]
    chosen = [by_kab[k][int(rng.integers(len(by_kab[k])))] for k in chosen_kab]
    while len(chosen) < min(3, len(kecs)):
        extra = [k for k in kecs if k not in chosen]
        chosen.append(extra[int(rng.integers(len(extra)))])
    return chosen


def _by_desa(sub: pl.DataFrame) -> pl.DataFrame:
    """One row per desa × contest: votes per slot (null where the contest lacks it), TPS counted."""
    return (
        sub.group_by("kode_desa", "kode_kontestasi", "jenis")
        .agg(
            *(
                pl.col(c).sum().alias(c) if sub[c].is_not_null().any() else pl.lit(None).alias(c)
                for c in VOTE_COLS
            ),
            pl.col("suara_sah").sum(),
            pl.col("suara_tidak_sah").sum(),
            pl.len().alias("tps_total"),
        )
        .sort("kode_desa", "kode_kontestasi")
        .with_columns(pl.col("tps_total").alias("tps_masuk"))
    )


def _totals(agg: pl.DataFrame, vcols: list[str]) -> list[dict[str, Any]]:
    return (
        agg.group_by("kode_kontestasi")
        .agg(
            *(pl.col(c).sum() for c in vcols),
            pl.col("suara_sah").sum(),
            pl.col("suara_tidak_sah").sum(),
            pl.col("tps_total").sum(),
        )
        .sort("kode_kontestasi")
        .to_dicts()
    )


# --- the three layouts (the n-th kecamatan gets the n-th) ---------------------------------------


def _plain_csv(stem: Path, cols: list[str], rows: list[list[Any]], _: str) -> tuple[Path, dict]:
    path = stem.with_suffix(".csv")
    text = csv_text(cols, [["" if v is None else str(v) for v in r] for r in rows], ",")
    path.write_bytes(encode(text, "utf-8"))
    return path, {"format": "csv", "separator": ",", "thousands": False, "header_row": 1}


def _semicolon_csv(stem: Path, cols: list[str], rows: list[list[Any]], _: str) -> tuple[Path, dict]:
    """``;``-separated, ``1.234`` counts, KPU's undotted desa codes."""
    path = stem.with_suffix(".csv")
    body = [[regions.undotted(r[0]), *r[1:]] for r in rows]
    cells = [
        [thousands(v) if isinstance(v, int) else ("" if v is None else v) for v in r] for r in body
    ]
    path.write_bytes(encode(csv_text(cols, cells, ";"), "utf-8"))
    return path, {"format": "csv", "separator": ";", "thousands": True, "header_row": 1}


def _workbook(stem: Path, cols: list[str], rows: list[list[Any]], kec: str) -> tuple[Path, dict]:
    path = stem.with_suffix(".xlsx")
    title = [
        [f"D.HASIL KECAMATAN {kec.upper()}"],
        ["Rekapitulasi hasil penghitungan suara per desa/kelurahan"],
        [],
    ]
    write_xlsx(path, [(_SHEET, [*title, cols, *rows])])
    return path, {"format": "xlsx", "header_row": 4, "sheets": [_SHEET]}


_LAYOUTS = (_plain_csv, _semicolon_csv, _workbook)
