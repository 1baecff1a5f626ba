"""Readiness indicators (``kesiapan/``): one row per kab/kota × day × indicator, 1–28 November.

Three indicators, one file each in its own form: logistics received (kecamatan, plain CSV), KTP-el
recording (people, ``;`` CSV with ``1.234`` and ``98,03%``), NPHD grant paid (rupiah, a workbook
with title rows). About one kab/kota in six lags on one or two indicators.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis import read
from analysis.demo.drop import Drop, csv_text, encode, thousands
from analysis.demo.names import pick
from analysis.demo.timeline import WIB
from analysis.demo.world import World
from analysis.xlsx import write_xlsx

#: The canonical readiness header: the reader's own list (one list for writer and reader).
READINESS_HEADERS: tuple[str, ...] = read.COLUMNS["readiness"][0]
INDICATORS = ("logistik_diterima", "perekaman_ktp_el", "nphd_dibayar")


@dataclass
class _Course:
    """One kab/kota's course over the month (drawn once, then evaluated per day)."""

    n_kec: int
    start: float  # logistics begin arriving (day of November)
    end: float  # and are complete
    ktp0: float  # share of those obliged who recorded their KTP-el on 1 November
    ktp1: float  # and on the 26th
    hibah: int  # the NPHD grant in rupiah
    nphd_end: float  # day the grant is fully paid
    wajib: int  # people obliged to record a KTP-el
    lagging: frozenset[str]  # indicators this kab/kota lags on


def write_readiness(w: World, drop: Drop, rng: np.random.Generator, as_of: int) -> dict[str, Any]:
    """Write the three indicator files up to ``as_of``'s day; the manifest's summary."""
    folder = drop.folder("kesiapan")
    kabs = sorted(w.tps["kode_kab"].unique().to_list())
    n_kec = dict(w.tps.group_by("kode_kab").agg(pl.col("kode_kec").n_unique()).rows())
    dpt = dict(w.tps.group_by("kode_kab").agg(pl.col("pemilih_dpt").sum()).rows())
    last_day = dt.datetime.fromtimestamp(as_of, WIB).date()
    days = [dt.date(2024, 11, d) for d in range(1, 29) if dt.date(2024, 11, d) <= last_day]
    lagging = _laggards(kabs, rng)
    rows: dict[str, list[list[Any]]] = {i: [] for i in INDICATORS}
    last_values = []
    for k in kabs:
        course = _draw_course(rng, n_kec[k], dpt[k], lagging.get(k, frozenset()))
        for ind, series in _series(k, course, days).items():
            rows[ind] += series
            if ind in course.lagging:
                last_values.append(_last_value(k, ind, days, rows[ind][-1]))
    _write_logistics(folder / "logistik_diterima.csv", rows["logistik_diterima"], drop)
    _write_ktp(folder / "perekaman_ktp_el.csv", rows["perekaman_ktp_el"], drop)
    _write_nphd(folder / "nphd_dibayar.xlsx", rows["nphd_dibayar"], drop)
    return {
        "rows": sum(len(v) for v in rows.values()),
        "files": 3,
        "days": [days[0].isoformat(), days[-1].isoformat()] if days else [],
        "laggards": last_values,
    }


def _laggards(kabs: list[str], rng: np.random.Generator) -> dict[str, frozenset[str]]:
    """About one kab/kota in six, each lagging on one or two indicators."""
    drawn = sorted(pick(rng, kabs) for _ in range(max(1, len(kabs) // 6)))
    out = {}
    for k in sorted(set(drawn)):
        chosen = sorted(rng.choice(3, int(rng.integers(1, 3)), replace=False))
        out[k] = frozenset(INDICATORS[i] for i in chosen)
    return out


def _draw_course(
    rng: np.random.Generator, n_kec: int, dpt: int, lagging: frozenset[str]
) -> _Course:
    start, end = rng.uniform(3, 10), rng.uniform(17, 23)
    ktp0, ktp1 = rng.uniform(0.95, 0.975), rng.uniform(0.982, 0.995)
    hibah = int(rng.uniform(20, 150)) * 1_000_000_000 + int(rng.integers(0, 999)) * 1_000_000
    nphd_end = rng.uniform(8, 18)
    wajib = int(dpt * rng.uniform(1.01, 1.05))
    return _Course(n_kec, start, end, ktp0, ktp1, hibah, nphd_end, wajib, lagging)


def _series(k: str, c: _Course, days: list[dt.date]) -> dict[str, list[list[Any]]]:
    """Each indicator's rows for one kab/kota: kode, tanggal, indikator, nilai, penyebut, share."""
    out: dict[str, list[list[Any]]] = {i: [] for i in INDICATORS}
    for d in days:
        x = d.day
        frac = float(np.clip((x - c.start) / (c.end - c.start), 0, 1))
        if "logistik_diterima" in c.lagging:
            frac = min(frac, 0.55 + 0.012 * x)
        num = int(round(frac * c.n_kec))
        out["logistik_diterima"].append(
            [k, d.isoformat(), "logistik_diterima", num, c.n_kec, f"{num / c.n_kec:.4f}"]
        )
        share = c.ktp0 + (c.ktp1 - c.ktp0) * min(1.0, x / 26)
        if "perekaman_ktp_el" in c.lagging:
            share = c.ktp0 - 0.02 + 0.0004 * x
        rec = int(round(share * c.wajib))
        out["perekaman_ktp_el"].append(
            [k, d.isoformat(), "perekaman_ktp_el", rec, c.wajib, rec / c.wajib]
        )
        paid = 0.4 + 0.6 * min(1.0, x / c.nphd_end)  # paid in tranches from 40%
        if "nphd_dibayar" in c.lagging:
            paid = min(paid, 0.7)
        amt = int(round(paid * c.hibah / 1_000_000)) * 1_000_000
        out["nphd_dibayar"].append([k, d, "nphd_dibayar", amt, c.hibah, round(amt / c.hibah, 4)])
    return out


def _last_value(k: str, ind: str, days: list[dt.date], row: list[Any]) -> dict[str, Any]:
    return {
        "kode_wilayah": k,
        "indikator": ind,
        "tanggal": days[-1].isoformat(),
        "nilai": round(float(row[3]) / row[4], 4),
    }


# --- the three files -----------------------------------------------------------------------------


def _write_logistics(path: Path, rows: list[list[Any]], drop: Drop) -> None:
    text = csv_text(list(READINESS_HEADERS), [[str(v) for v in r] for r in rows], ",")
    path.write_bytes(encode(text, "utf-8"))
    drop.add_file(path, "readiness", len(rows), format="csv", separator=",", header_row=1)


def _write_ktp(path: Path, rows: list[list[Any]], drop: Drop) -> None:
    """Counts with ``.`` thousands, the share as ``98,03%``."""
    cells = [
        [*r[:3], thousands(r[3]), thousands(r[4]), f"{r[5] * 100:.2f}".replace(".", ",") + "%"]
        for r in rows
    ]
    path.write_bytes(encode(csv_text(list(READINESS_HEADERS), cells, ";"), "utf-8"))
    meta = {"format": "csv", "separator": ";", "thousands": True, "header_row": 1}
    drop.add_file(
        path, "readiness", len(rows), **meta, note="nilai as '98,03%', counts with '.' thousands"
    )


def _write_nphd(path: Path, rows: list[list[Any]], drop: Drop) -> None:
    title = [["REALISASI PEMBAYARAN NPHD PILKADA 2024"], ["Sumber: BPKAD; nilai dalam rupiah"], []]
    write_xlsx(path, [("NPHD", [*title, list(READINESS_HEADERS), *rows])])
    drop.add_file(path, "readiness", len(rows), format="xlsx", sheets=["NPHD"], header_row=4)
