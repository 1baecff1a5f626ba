"""KPU's official recapitulation (``kpu/rekap/<YYYYMMDDTHHMM>/``) over the rekap days, tier by tier.

Every kecamatan's D.Hasil Kecamatan (its desa as rows), every kab/kota's D.Hasil Kabupaten/Kota
(its kecamatan), the province's D.Hasil Provinsi (its kab/kota, gubernur only) and each contest's
``penetapan`` (one row at the contest's region), each in the folder named after the time the desk
received it (WIB, as pull folders are named). Figures are the true counts, except the injected
recap faults listed in the manifest (:data:`FAULT_KINDS`):

- ``rekap_terlambat``: a recap received after its tier's last day in KPU's schedule;
- ``rekap_dikoreksi``: a D.Hasil Kecamatan received with one desa's figure wrong, then received
  again corrected the next day (both files in the drop);
- ``rekap_beda_tps``: a D.Hasil Kecamatan whose figure for one desa differs from the TPS records
  beneath it (the internal count and Sirekap agree with each other there), carried up the tiers;
- ``rekap_koreksi_atas``: a D.Hasil Kabupaten/Kota whose figure for one kecamatan (bupati/walikota
  contest) differs from that kecamatan's own D.Hasil (a correction at the kab/kota plenary, or a
  slip), carried on to the penetapan: the recap is inconsistent with itself.

Layouts: D.Hasil Kecamatan rotate between a plain CSV, a ``;`` CSV with ``1.234`` counts and
undotted codes, and a workbook with title rows; one kab/kota sends its kecamatan as one workbook,
one sheet per kecamatan (the Excel transcription KPU offices circulate).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis.demo import timeline
from analysis.demo.drop import Drop, csv_text, encode, thousands
from analysis.demo.world import VOTE_COLS, World
from analysis.domain import regions
from analysis.settings import default_settings
from analysis.xlsx import write_xlsx

_SHEET = "D.Hasil"
FAULT_KINDS = ("rekap_terlambat", "rekap_dikoreksi", "rekap_beda_tps", "rekap_koreksi_atas")
_H = 3600
#: Hours after voting day 00:00 WIB: the kecamatan recaps arrive between these (28 Nov 18.00 and
#: 3 Dec 20.00: PPK plenaries run through KPU's last day for the tier).
_KEC_WINDOW = (24 + 18, 6 * 24 + 20)
_LATE_KEC = 2  # kecamatan received 1-2 days after their last day
_WRONG = 100  # votes a transcription slip adds to one paslon
_UPPER = 75  # votes a kab/kota recap adds to one kecamatan's figure (rekap_koreksi_atas)


def write_dhasil(
    w: World, drop: Drop, rng: np.random.Generator, as_of: int, plan: dict[str, np.ndarray]
) -> list[dict[str, Any]]:
    """Write every recap file; per file: path, step, unit, receipt time, rows, totals, faults."""
    tc = w.tc.with_columns(pl.int_range(pl.len()).alias("_pos"))
    kecs = sorted(tc["kode_kec"].unique().to_list())
    arrive = _kecamatan_times(kecs, rng)
    clean = _clean_desa(w, tc, as_of, plan)
    picks = (
        [clean[i] for i in sorted(rng.choice(len(clean), min(2, len(clean)), replace=False))]
        if clean
        else []
    )
    out: list[dict[str, Any]] = []
    by_kec = {k: _by_desa(tc.filter(pl.col("kode_kec") == k)) for k in kecs}
    wrong: dict[str, tuple[str, str, str, int]] = {}
    for n, (desa, kontestasi) in enumerate(picks):
        kec = regions.parent(desa) or desa
        col, delta = ("suara_paslon_1", "suara_paslon_2")[n], (_WRONG, -57)[n]
        wrong[kec] = (desa, kontestasi, _room_for(tc, desa, kontestasi, col, delta), delta)
    sheet_kab = _sheet_kab(kecs, wrong, rng)
    for i, kec in enumerate(kecs):
        if regions.parent(kec) == sheet_kab:
            continue
        out += _kecamatan_files(drop, w, kec, by_kec[kec], arrive[kec], i, wrong)
    out += _sheet_workbook(drop, w, sheet_kab, by_kec, arrive)
    for kec in _corrected(wrong):
        arrive[kec] = _correction_time(arrive[kec])
    kab_t = _kab_times(kecs, arrive, rng)
    fixed = _corrected(wrong)
    final = {k: _apply(v, wrong.get(k), corrected=k in fixed) for k, v in by_kec.items()}
    late_kab = {k for k, t in kab_t.items() if t >= _at(10 * 24)}
    upper = _upper_fault(final, wrong, {sheet_kab, *late_kab})
    out += _upper_files(drop, w, final, kab_t, upper)
    return out


# --- when ---------------------------------------------------------------------------------------


def _at(hours: float) -> int:
    return timeline.day0_wib() + int(hours * _H)


def _kecamatan_times(kecs: list[str], rng: np.random.Generator) -> dict[str, int]:
    """Receipt time per kecamatan; ``_LATE_KEC`` of them after the tier's last day."""
    lo, hi = _KEC_WINDOW
    hours = rng.uniform(lo, hi, len(kecs))
    late = rng.choice(len(kecs), min(_LATE_KEC, len(kecs)), replace=False)
    hours[late] = rng.uniform(7 * 24 + 9, 8 * 24 + 17, late.size)  # 4-5 Dec
    return {k: _at(round(h * 4) / 4) for k, h in zip(kecs, hours, strict=True)}


def _correction_time(t: int) -> int:
    """A corrected D.Hasil Kecamatan is received the next day at 10.00 WIB."""
    return _at((timeline.wib(t).date() - timeline.VOTING_DAY).days * 24 + 24 + 10)


def _kab_times(kecs: list[str], arrive: dict[str, int], rng: np.random.Generator) -> dict[str, int]:
    """A kab/kota recaps once its last kecamatan is in: 6-30 h later, not before 30 Nov 09.00;
    the first kab/kota that has no late kecamatan is received late (7 Dec)."""
    last: dict[str, int] = {}
    for k in kecs:
        kab = regions.parent(k) or k
        last[kab] = max(last.get(kab, 0), arrive[k])
    out = {
        kab: max(t, _at(3 * 24 + 9)) + int(round(rng.uniform(6, 30)) * _H)
        for kab, t in sorted(last.items())
    }
    deadline = _at(10 * 24)  # 7 Dec 00.00
    on_time = [k for k, t in out.items() if t < deadline]
    if on_time:
        out[on_time[0]] = _at(10 * 24 + 11)
    return out


# --- which desa carry the faults ----------------------------------------------------------------


def _room_for(tc: pl.DataFrame, desa: str, kontestasi: str, col: str, delta: int) -> str:
    """``col``, or the desa's largest paslon column when ``col`` holds fewer votes than a negative
    ``delta`` takes away (a single-paslon contest has no paslon 2: its figure would go negative)."""
    rows = tc.filter((pl.col("kode_desa") == desa) & (pl.col("kode_kontestasi") == kontestasi))
    paslon = [c for c in VOTE_COLS if c.startswith("suara_paslon_") and c in rows.columns]
    sums = {c: int(rows[c].fill_null(0).sum()) for c in paslon}
    if sums.get(col, 0) + delta >= 0:
        return col
    return max(paslon, key=lambda c: (sums[c], c))


def _clean_desa(w: World, tc: pl.DataFrame, as_of: int, plan: dict[str, np.ndarray]) -> list:
    """(desa, contest) whose every TPS both the internal count and KPU's last pull hold by
    ``as_of`` with no injected fault and no anomaly: a recap figure differing there differs from
    both sources."""
    pulls = timeline.pulls(as_of)
    last = pulls[-1] if pulls else as_of
    faulty = np.zeros(tc.height, bool)
    for rows in plan.values():
        faulty[np.asarray(rows, int)] = True
    anomalous = tc["kode_tps"].is_in([a["kode_tps"] for a in w.anomaly]).to_numpy()
    ok = (
        tc.with_columns(
            (
                (pl.col("_t_int") <= as_of)
                & (pl.col("_t_kpu") <= last)
                & pl.Series(~faulty & ~anomalous)
            ).alias("_ok")
        )
        .group_by("kode_desa", "kode_kontestasi")
        .agg(pl.col("_ok").all(), pl.len().alias("_n"))
        .filter(pl.col("_ok") & (pl.col("_n") >= 2))
        .sort("kode_desa", "kode_kontestasi")
    )
    # two different kecamatan
    seen: set[str] = set()
    out = []
    for d, k in ok.select("kode_desa", "kode_kontestasi").iter_rows():
        kec = regions.parent(d) or d
        if kec not in seen:
            seen.add(kec)
            out.append((d, k))
    return out


def _corrected(wrong: dict[str, tuple[str, str, str, int]]) -> list[str]:
    """The kecamatan whose wrong figure is corrected by a second file (the first one drawn)."""
    return [k for k, v in wrong.items() if v[3] == _WRONG]


def _upper_fault(
    final: dict[str, pl.DataFrame], wrong: dict, skip: set[str | None]
) -> tuple[str, str] | None:
    """(kecamatan, bupati/walikota contest) whose figure its kab/kota's recap changes: the first
    kecamatan of the first kab/kota with no other recap fault, not late and not ``skip``."""
    faulty = {regions.parent(k) for k in wrong} | skip
    for kec in sorted(final):
        if regions.parent(kec) in faulty:
            continue
        own = final[kec].filter(pl.col("jenis") == "pkwkk")["kode_kontestasi"]
        if own.len():
            return kec, own.sort()[0]
    return None


def _sheet_kab(kecs: list[str], wrong: dict, rng: np.random.Generator) -> str | None:
    """A kab/kota with several kecamatan and no fault, sending one workbook of sheets."""
    kabs = sorted({regions.parent(k) or k for k in kecs})
    faulty = {regions.parent(k) for k in wrong}
    cand = [k for k in kabs if k not in faulty and sum(regions.parent(x) == k for x in kecs) > 1]
    return cand[int(rng.integers(len(cand)))] if cand else None


# --- what -----------------------------------------------------------------------------------------


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
        .rename({"kode_desa": "kode_wilayah"})
    )


def _apply(agg: pl.DataFrame, fault: tuple | None, corrected: bool) -> pl.DataFrame:
    """The rows with a fault's wrong figure (and suara_sah kept consistent), unless corrected."""
    if fault is None or corrected:
        return agg
    desa, kontestasi, col, delta = fault
    hit = (pl.col("kode_wilayah") == desa) & (pl.col("kode_kontestasi") == kontestasi)
    return agg.with_columns(
        pl.when(hit).then(pl.col(c) + delta).otherwise(pl.col(c)).alias(c)
        for c in (col, "suara_sah")
    )


def _roll(agg: pl.DataFrame, depth: int) -> pl.DataFrame:
    """Rows one tier up (kecamatan or kab/kota), summed from the desa rows."""
    sums = [*VOTE_COLS, "suara_sah", "suara_tidak_sah", "tps_total", "tps_masuk"]
    return (
        agg.with_columns(regions.ancestor_expr("kode_wilayah", depth).alias("kode_wilayah"))
        .group_by("kode_wilayah", "kode_kontestasi", "jenis")
        .agg(
            *(
                pl.col(c).sum() if agg[c].is_not_null().any() else pl.lit(None).alias(c)
                for c in sums
            )
        )
        .sort("kode_wilayah", "kode_kontestasi")
    )


def _table(agg: pl.DataFrame) -> tuple[list[str], list[list[Any]]]:
    vcols = [c for c in VOTE_COLS if agg[c].is_not_null().any()]
    cols = ["kode_wilayah", "jenis_pemilihan", *vcols, "suara_sah", "suara_tidak_sah"]
    cols += ["tps_total", "tps_masuk"]
    rows = [
        [r["kode_wilayah"], r["jenis"], *(r[c] for c in cols[2:])]
        for r in agg.iter_rows(named=True)
    ]
    return cols, rows


def _totals(agg: pl.DataFrame) -> list[dict[str, Any]]:
    vcols = [c for c in VOTE_COLS if agg[c].is_not_null().any()]
    return (
        agg.group_by("kode_kontestasi")
        .agg(*(pl.col(c).sum() for c in [*vcols, "suara_sah", "suara_tidak_sah", "tps_total"]))
        .sort("kode_kontestasi")
        .to_dicts()
    )


# --- files ----------------------------------------------------------------------------------------


def _folder(drop: Drop, t: int) -> Path:
    f = drop.out / "kpu" / "rekap" / timeline.label_wib(t)
    f.mkdir(parents=True, exist_ok=True)
    return f


def _entry(
    drop: Drop, path: Path, step: str, unit: str, t: int, agg: pl.DataFrame, meta: dict
) -> dict[str, Any]:
    drop.add_file(path, "official_region", agg.height, **meta)
    deadline = default_settings().rekapitulasi.deadline(step)
    day = timeline.wib(t).date()
    return {
        "file": drop.rel(path),
        "tingkat_rekap": step,
        "kode_rekap": unit,
        **({"kode_kecamatan": unit} if step == "kecamatan" else {}),
        "waktu_terima": timeline.wib(t).isoformat(),
        "terlambat": bool(deadline and day > deadline),
        "rows": agg.height,
        "totals": _totals(agg),
        "kesalahan": [],
    }


def _kecamatan_files(
    drop: Drop, w: World, kec: str, agg: pl.DataFrame, t: int, n: int, wrong: dict
) -> list[dict[str, Any]]:
    """The kecamatan's D.Hasil (a wrong figure where a fault says so), and its correction."""
    fault = wrong.get(kec)
    first = _apply(agg, fault, corrected=False)
    e = _write_kec(drop, w, kec, first, t, n)
    out = [e]
    if fault is not None:
        desa, kontestasi, col, delta = fault
        kind = "rekap_dikoreksi" if delta == _WRONG else "rekap_beda_tps"
        e["kesalahan"].append(
            {
                "kind": kind,
                "kode_wilayah": desa,
                "kode_kontestasi": kontestasi,
                "kolom": col,
                "selisih": delta,
            }
        )
        if kind == "rekap_dikoreksi":
            fix = _write_kec(drop, w, kec, agg, _correction_time(t), n)
            fix["kesalahan"].append({"kind": "koreksi", "memperbaiki": e["file"]})
            out.append(fix)
    if e["terlambat"]:
        e["kesalahan"].append({"kind": "rekap_terlambat", "kode_rekap": kec})
    return out


def _write_kec(drop: Drop, w: World, kec: str, agg: pl.DataFrame, t: int, n: int) -> dict[str, Any]:
    cols, rows = _table(agg)
    stem = _folder(drop, t) / f"dhasil_kec_{regions.undotted(kec)}"
    path, meta = _LAYOUTS[n % len(_LAYOUTS)](stem, cols, rows, w.names.get(kec, kec))
    return _entry(drop, path, "kecamatan", kec, t, agg, meta)


def _sheet_workbook(
    drop: Drop, w: World, kab: str | None, by_kec: dict[str, pl.DataFrame], arrive: dict[str, int]
) -> list[dict[str, Any]]:
    """One kab/kota's kecamatan recaps as one workbook, one sheet per kecamatan, received when
    its last kecamatan is in."""
    if kab is None:
        return []
    kecs = [k for k in sorted(by_kec) if regions.parent(k) == kab]
    t = max(arrive[k] for k in kecs)
    sheets, aggs = [], []
    for k in kecs:
        cols, rows = _table(by_kec[k])
        title = [[f"D.HASIL KECAMATAN {w.names.get(k, k).upper()}"], []]
        sheets.append((f"Kec {regions.undotted(k)[-2:]}", [*title, cols, *rows]))
        aggs.append(by_kec[k])
    path = _folder(drop, t) / f"dhasil_kec_kab_{regions.undotted(kab)}.xlsx"
    write_xlsx(path, sheets)
    meta = {"format": "xlsx", "header_row": 3, "sheets": [s for s, _ in sheets]}
    e = _entry(drop, path, "kecamatan", kab, t, pl.concat(aggs, how="vertical_relaxed"), meta)
    e.pop("kode_kecamatan", None)
    e["kode_kecamatan_list"] = kecs
    if e["terlambat"]:
        e["kesalahan"].append({"kind": "rekap_terlambat", "kode_rekap": kab})
    return [e]


def _upper_files(
    drop: Drop,
    w: World,
    final: dict[str, pl.DataFrame],
    kab_t: dict[str, int],
    upper: tuple[str, str] | None,
) -> list[dict[str, Any]]:
    """D.Hasil Kabupaten/Kota and Provinsi, and each contest's penetapan, from the desa figures in
    force (a wrong figure not corrected travels up; ``upper``: the kecamatan × contest figure a
    kab/kota recap changes, carried on to its penetapan)."""
    desa = pl.concat(list(final.values()), how="vertical_relaxed")
    kec_rows = _roll(desa, 3)
    out = []
    for kab, t in sorted(kab_t.items()):
        agg = kec_rows.filter(regions.inside_expr("kode_wilayah", kab))
        fault = None
        if upper is not None and regions.parent(upper[0]) == kab:
            fault = (*upper, "suara_paslon_1", _UPPER)
            agg = _apply(agg, fault, corrected=False)
        path = _folder(drop, t) / f"dhasil_kab_{regions.undotted(kab)}.csv"
        out.append(_plain(drop, path, "kabkota", kab, t, agg))
        if fault is not None:
            out[-1]["kesalahan"].append(
                {
                    "kind": "rekap_koreksi_atas",
                    "kode_wilayah": fault[0],
                    "kode_kontestasi": fault[1],
                    "kolom": fault[2],
                    "selisih": fault[3],
                }
            )
        own = _roll(agg, 2).filter(pl.col("jenis") == "pkwkk")
        out += _penetapan(drop, own, t + 20 * _H)
    prov_rows = _roll(desa, 2).filter(pl.col("jenis") == "pkwkp")
    provs = {regions.ancestor_at(c, 1) or c for c in prov_rows["kode_wilayah"]}
    for prov in sorted(provs):
        agg = prov_rows.filter(regions.inside_expr("kode_wilayah", prov))
        t = max(kab_t.values()) + 18 * _H
        path = _folder(drop, t) / f"dhasil_prov_{prov}.csv"
        out.append(_plain(drop, path, "provinsi", prov, t, agg))
        out += _penetapan(drop, _roll(agg, 1), t + 20 * _H)
    for e in out:
        if e["terlambat"]:
            e["kesalahan"].append({"kind": "rekap_terlambat", "kode_rekap": e["kode_rekap"]})
    return out


def _penetapan(drop: Drop, rows: pl.DataFrame, t: int) -> list[dict[str, Any]]:
    out = []
    for k in rows["kode_kontestasi"].unique().sort().to_list():
        agg = rows.filter(pl.col("kode_kontestasi") == k)
        path = _folder(drop, t) / f"penetapan_{k.replace('.', '_')}.csv"
        out.append(_plain(drop, path, "penetapan", agg["kode_wilayah"][0], t, agg))
    return out


def _plain(drop: Drop, path: Path, step: str, unit: str, t: int, agg: pl.DataFrame) -> dict:
    cols, rows = _table(agg)
    text = csv_text(cols, [["" if v is None else str(v) for v in r] for r in rows], ",")
    path.write_bytes(encode(text, "utf-8"))
    meta = {"format": "csv", "separator": ",", "thousands": False, "header_row": 1}
    return _entry(drop, path, step, unit, t, agg, meta)


# --- the three layouts of a D.Hasil Kecamatan (the n-th kecamatan gets the n-th) ------------------


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
