"""``manifest.json``: the ground truth of a demo drop — its files, every injected fault, the truth.

A test or an analyst checks the workbench against it: each fault names the file, sheet and row it
sits in (see :data:`ROW_CONVENTION`), the true and the injected value; ``truth_by_contest`` holds
the true totals, overall and of what the internal count holds by ``as_of``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from analysis.demo.drop import Drop
from analysis.demo.world import SLOT_NOMOR, VOTE_COLS, World

ROW_CONVENTION = (
    "row = the physical line number in a CSV file (line 1 is the first line; a UTF-8 BOM is not a "
    "line) or the Excel row number in the named sheet of an .xlsx; the header sits on header_row. "
    "data_row = the n-th data row after the header (1-based). In a JSONL file row = its line "
    "number; a per-TPS JSON file has row null."
)
TIME_CONVENTIONS = {
    "tally waktu_laporan": "local time of the TPS's province without offset "
    "('2024-11-27 16:05'), ISO with offset in BOM-style files, datetime cells in xlsx",
    "kpu ts": "WIB, 'YYYY-MM-DD HH:MM:SS'",
    "pulls": "folder names YYYYMMDDTHHMM in WIB",
    "incidents": "local time, 'YYYY-MM-DD HH:MM' (datetime cells in xlsx)",
}


def build_manifest(
    w: World,
    drop: Drop,
    head: dict[str, Any],
    parts: dict[str, Any],
    as_of: int,
) -> dict[str, Any]:
    """The manifest of a drop; ``head``: scope, seed, as_of; ``parts``: each source's summary."""
    internal, kpu, rekap = parts["internal"], parts["kpu"], parts["rekap"]
    incidents, readiness = parts["incidents"], parts["readiness"]
    return {
        "generator": "analysis.demo",
        "format_version": 1,
        **head,
        "row_convention": ROW_CONVENTION,
        "time_conventions": TIME_CONVENTIONS,
        "totals": _totals(w, drop, parts),
        "internal": {k: v for k, v in internal.items() if k != "rows"},
        "kpu": kpu,
        "rekap": rekap,
        "anomaly_tps": w.anomaly,
        "hotspots": incidents["hotspots"],
        "readiness_laggards": readiness["laggards"],
        "fault_counts": _fault_counts(drop.faults),
        "faults": drop.faults,
        "truth_by_contest": truth_by_contest(w, as_of),
        "incidents": incidents["listing"],
        "files": [f for f in drop.files if f["dataset"] != "kpu_tps"],
    }


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    text = json.dumps(manifest, ensure_ascii=False, indent=1, default=str) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")


def _files_by_folder(drop: Drop, kpu_files: int) -> dict[str, int]:
    """Files per top folder; KPU's per-TPS JSON files are counted, not listed one by one."""
    out: dict[str, int] = {}
    for f in drop.files:
        top = f["path"].split("/")[0]
        out[top] = out.get(top, 0) + 1
    out["kpu"] = kpu_files
    return out


def _totals(w: World, drop: Drop, parts: dict[str, Any]) -> dict[str, Any]:
    files = _files_by_folder(drop, parts["kpu"]["files"] + len(parts["rekap"]))
    return {
        "tps": w.tps.height,
        "desa": w.tps["kode_desa"].n_unique(),
        "kabkota": w.tps["kode_kab"].n_unique(),
        "contests": w.contests.height,
        "single_candidate_contests": sorted(
            w.paslon.filter(pl.col("kolom_kosong"))["kode_kontestasi"].to_list()
        ),
        "tps_contest": w.tc.height,
        "paslon_rows": w.paslon.height,
        "files": files,
        "files_total": sum(files.values()),
        "rows": {
            "ref_tps": w.tps.height,
            "ref_paslon": w.paslon.height,
            "tally": parts["internal"]["rows"],
            "kpu_tps": {k: v["records"] for k, v in parts["kpu"]["pulls"].items()},
            "official_region": sum(r["rows"] for r in parts["rekap"]),
            "incidents": parts["incidents"]["rows"],
            "readiness": parts["readiness"]["rows"],
        },
    }


def _fault_counts(faults: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in faults:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
    return dict(sorted(counts.items()))


def _contest_sums(tc: pl.DataFrame) -> dict[str, dict[str, Any]]:
    sums = tc.group_by("kode_kontestasi").agg(
        pl.len().alias("tps"),
        pl.col("pemilih_dpt").sum(),
        pl.col("pengguna_total").sum(),
        pl.col("suara_sah").sum(),
        pl.col("suara_tidak_sah").sum(),
        pl.col("suara_total").sum(),
        *(pl.col(c).sum().alias(c) for c in VOTE_COLS),
    )
    return {r["kode_kontestasi"]: r for r in sums.to_dicts()}


def truth_by_contest(w: World, as_of: int) -> list[dict[str, Any]]:
    """Per contest: the true totals, and those of what the internal count holds by ``as_of``."""
    nomor = dict(zip(VOTE_COLS, SLOT_NOMOR, strict=True))
    full = _contest_sums(w.tc)
    reported = _contest_sums(w.tc.filter(pl.col("_t_int") <= as_of))
    present = dict(w.paslon.group_by("kode_kontestasi").agg(pl.col("nomor_urut")).rows())
    out = []
    for code in sorted(full):
        f, r = full[code], reported.get(code)

        def votes(x: dict[str, Any] | None, noms: list[int] = present[code]) -> dict[str, int]:
            if not x:
                return {}
            return {str(nomor[c]): int(x[c] or 0) for c in VOTE_COLS if nomor[c] in noms}

        out.append(
            {
                "kode_kontestasi": code,
                **{k: f[k] for k in _TRUTH_KEYS},
                "suara": votes(f),
                "internal_as_of": {
                    "tps": r["tps"] if r else 0,
                    "suara_sah": r["suara_sah"] if r else 0,
                    "suara": votes(r),
                },
            }
        )
    return out


_TRUTH_KEYS = (
    "tps",
    "pemilih_dpt",
    "pengguna_total",
    "suara_sah",
    "suara_tidak_sah",
    "suara_total",
)
