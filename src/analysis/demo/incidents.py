"""Incident reports (``insiden/``): one row per report over the election stages.

10–19 reports per kab/kota spread over the stages, plus clusters of severe ones in a few hotspot
kecamatan. Labels are written the way people write them (:mod:`.incident_labels`); each messy
label and each report without a location is a fault in the manifest, and every report is listed
there with its true codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from analysis import read
from analysis.demo import incident_labels as lb
from analysis.demo.drop import Drop, csv_text, encode
from analysis.demo.names import pick
from analysis.demo.timeline import epoch, local_text
from analysis.demo.world import World
from analysis.domain import regions
from analysis.xlsx import write_xlsx

#: The canonical incident header: the reader's own list (one list for writer and reader).
INCIDENT_HEADERS: tuple[str, ...] = read.COLUMNS["incidents"][0]

#: The files, and the stages whose reports each holds: (name, stages, separator, encoding).
_FILES: tuple[tuple[str, tuple[int, ...], str, str], ...] = (
    ("insiden_pra_pemungutan.csv", (0, 1, 2, 3), ",", "utf-8"),
    ("insiden_masa_tenang.xlsx", (4,), "", ""),
    ("insiden_hari_pemungutan.csv", (5,), ";", "utf-8-sig"),
    ("insiden_rekapitulasi.csv", (6,), ",", "utf-8"),
)
_XLSX_TITLE = [["REKAP LAPORAN INSIDEN — MASA TENANG"], ["Sumber: Bawaslu, Polres, Kesbangpol"], []]


@dataclass
class _Geography:
    """The places an incident can be: kab/kota → kecamatan → desa → TPS, and UTC offsets."""

    kabs: list[str]
    kec_by_kab: dict[str, list[str]]
    desa_by_kec: dict[str, list[str]]
    tps_by_desa: dict[str, list[str]]
    off_by_kab: dict[str, int]
    names: dict[str, str]


def write_incidents(w: World, drop: Drop, rng: np.random.Generator, as_of: int) -> dict[str, Any]:
    """Write the incident files; the manifest's summary, hotspots and listing."""
    folder = drop.folder("insiden")
    geo = _geography(w)
    hot = _hotspots(geo, rng)
    rows = []
    for n, (kab, si, hot_kec) in enumerate(_specs(geo, hot, rng)):
        row = _incident(n, kab, si, hot_kec, geo, rng, as_of)
        if row is not None:
            rows.append(row)
    listing = []
    for fname, stages, sep, enc in _FILES:
        group = [r for r in rows if r["_si"] in stages]
        listing += _write_file(folder / fname, group, sep, enc, drop)
    return {
        "rows": len(listing),
        "files": len(_FILES),
        "hotspots": [_hotspot_summary(kec, listing, geo.names) for kec in hot],
        "listing": listing,
    }


def _geography(w: World) -> _Geography:
    tps = w.tps
    kec_by_kab: dict[str, list[str]] = {}
    for k in sorted(tps["kode_kec"].unique().to_list()):
        kec_by_kab.setdefault(regions.parent(k) or k, []).append(k)
    desa_by_kec: dict[str, list[str]] = {}
    for d in sorted(tps["kode_desa"].unique().to_list()):
        desa_by_kec.setdefault(regions.parent(d) or d, []).append(d)
    tps_by_desa: dict[str, list[str]] = {}
    for kode, d in tps.select("kode_tps", "kode_desa").rows():
        tps_by_desa.setdefault(d, []).append(kode)
    off_by_kab = dict(w.tc.select("kode_kab", "tz_off").unique().rows())
    kabs = sorted(tps["kode_kab"].unique().to_list())
    return _Geography(kabs, kec_by_kab, desa_by_kec, tps_by_desa, off_by_kab, w.names)


def _hotspots(geo: _Geography, rng: np.random.Generator) -> list[str]:
    """2–3 kecamatan (2 per province when the scope spans several)."""
    provs = {regions.parent(k) for k in geo.kabs}
    n_hot = 2 * len(provs) if len(provs) > 1 else (2 if len(geo.kabs) == 1 else 3)
    all_kec = [k for kab in geo.kabs for k in geo.kec_by_kab[kab]]
    return sorted(set(pick(rng, all_kec) for _ in range(n_hot)))


def _specs(
    geo: _Geography, hot: list[str], rng: np.random.Generator
) -> list[tuple[str, int, str | None]]:
    """(kab/kota, stage index, hotspot kecamatan or None) of every report to draw."""
    stage_w = np.array([s[3] for s in lb.STAGES])
    stage_w = stage_w / stage_w.sum()
    specs: list[tuple[str, int, str | None]] = []
    for kab in geo.kabs:
        for _ in range(int(rng.integers(10, 20))):
            specs.append((kab, int(rng.choice(len(lb.STAGES), p=stage_w)), None))
    for kec in hot:
        for _ in range(int(rng.integers(6, 10))):
            specs.append((regions.parent(kec) or kec, int(rng.choice(lb.HOTSPOT_STAGES)), kec))
    return specs


def _incident(
    n: int,
    kab: str,
    si: int,
    hot_kec: str | None,
    geo: _Geography,
    rng: np.random.Generator,
    as_of: int,
) -> dict[str, Any] | None:
    """The n-th report as written, with its truth; None when its stage lies after ``as_of``."""
    code = lb.STAGES[si][0]
    off = geo.off_by_kab.get(kab, 7)
    times = _times(si, off, as_of, rng)
    if times is None:
        return None
    t_k, t_l = times
    hot = hot_kec is not None
    cat, sev, kec = _category(code, kab, hot_kec, geo, rng)
    desa = pick(rng, geo.desa_by_kec[kec])
    label, cats, tags, unmappable = _label(cat, hot, rng)
    ver, han, t_h = _statuses(hot, t_l, as_of, rng)
    kode_w, lokasi, true_w = _location(kec, desa, hot, geo.names, tags, rng)
    kode_tps = ""
    if code == "pemungutan_penghitungan" and true_w is not None and rng.random() < 0.4:
        kode_tps, true_w, kode_w = pick(rng, geo.tps_by_desa[desa]), desa, kode_w or desa
    ident = "" if rng.random() < 0.05 else f"INS-{regions.undotted(kab)}-{n + 1:05d}"
    truth = {
        "tahapan": code,
        "kategori": cats if not unmappable else ["lainnya"],
        "tingkat_keparahan": sev,
        "status_verifikasi": ver,
        "status_penanganan": han,
        "instansi": lb.INSTANSI_BY_CAT[cat] if han != "baru" else None,
        "kode_wilayah": true_w,
        "kode_tps": kode_tps or None,
        "hotspot": hot,
        "unmappable": unmappable,
        "messy": tags,
    }
    return {
        "id_insiden": ident,
        "waktu_kejadian": local_text(t_k, off),
        "waktu_laporan": local_text(t_l, off),
        "kode_wilayah": kode_w,
        "kode_tps": kode_tps,
        "lokasi": lokasi,
        "kategori": label,
        **_coded_fields(cat, truth, rng),
        "waktu_penanganan": local_text(t_h, off) if t_h else "",
        "deskripsi": lb.DESC[cat],
        "_truth": truth,
        "_t": t_l,
        "_si": si,
    }


def _statuses(
    hot: bool, t_l: int, as_of: int, rng: np.random.Generator
) -> tuple[str, str, int | None]:
    """Verification and handling status, and when handling began (None while ``baru``)."""
    ver = str(rng.choice(list(lb.VER_LABELS), p=lb.VER_WEIGHTS))
    han = str(rng.choice(list(lb.HAN_LABELS), p=lb.HAN_WEIGHTS))
    if hot and han == "selesai":
        han = "ditangani"
    t_h = min(as_of, t_l + int(rng.integers(60, 24 * 60)) * 60) if han != "baru" else None
    return ver, han, t_h


def _coded_fields(cat: str, truth: dict[str, Any], rng: np.random.Generator) -> dict[str, str]:
    """The coded fields as written (a label form of each code); instansi sometimes before handling."""
    han = truth["status_penanganan"]
    return {
        "tahapan": pick(rng, lb.STAGE_LABELS[truth["tahapan"]]),
        "tingkat_keparahan": pick(rng, lb.SEV_LABELS[truth["tingkat_keparahan"]]),
        "status_verifikasi": pick(rng, lb.VER_LABELS[truth["status_verifikasi"]]),
        "status_penanganan": pick(rng, lb.HAN_LABELS[han]),
        "instansi": lb.INSTANSI_BY_CAT[cat] if han != "baru" or rng.random() < 0.5 else "",
    }


def _times(si: int, off: int, as_of: int, rng: np.random.Generator) -> tuple[int, int] | None:
    """When it happened (06:00–22:00 local within the stage) and when it was reported."""
    code, d0, d1, _ = lb.STAGES[si]
    tz = dt.timezone(dt.timedelta(hours=off))
    start = epoch(dt.datetime.combine(d0, dt.time(6), tz))
    end = min(epoch(dt.datetime.combine(d1, dt.time(22), tz)), as_of - 3600)
    if code == "rekapitulasi":  # the recapitulation starts on voting evening
        start = epoch(dt.datetime.combine(dt.date(2024, 11, 27), dt.time(18), tz))
    if end <= start:
        return None
    t_k = int(rng.integers(start, end)) // 60 * 60
    return t_k, min(as_of, t_k + int(rng.integers(30, 36 * 60)) * 60)


def _category(
    code: str, kab: str, hot_kec: str | None, geo: _Geography, rng: np.random.Generator
) -> tuple[str, str, str]:
    """Canonical category, severity and kecamatan."""
    if hot_kec:
        return pick(rng, lb.HOTSPOT_CATS), pick(rng, lb.HOTSPOT_SEVS), hot_kec
    cw = lb.CAT_BY_STAGE[code]
    cat = str(rng.choice(list(cw), p=np.array(list(cw.values())) / sum(cw.values())))
    sev = str(rng.choice(list(lb.SEV_WEIGHTS), p=list(lb.SEV_WEIGHTS.values())))
    return cat, sev, pick(rng, geo.kec_by_kab[kab])


def _label(
    cat: str, hotspot: bool, rng: np.random.Generator
) -> tuple[str, list[str], list[str], bool]:
    """The kategori as written, the true categories, how it is messy, and whether it maps at all."""
    cats, tags = [cat], []
    label, how = pick(rng, lb.CAT_LABELS[cat])
    unmappable = False
    if not hotspot and cat == "lainnya" and rng.random() < 0.5:
        label, how, unmappable = pick(rng, lb.UNMAPPABLE), "unmappable", True
    if how != "canon":
        tags.append(how)
    if rng.random() < 0.12 and not unmappable:
        other = pick(rng, [c for c in lb.CAT_LABELS if c not in (cat, "lainnya")])
        cats.append(other)
        label = label + pick(rng, lb.MULTI_LABEL_SEPARATORS) + lb.CAT_LABELS[other][0][0]
        tags.append("multi_label")
    return label, cats, tags, unmappable


def _location(
    kec: str,
    desa: str,
    hotspot: bool,
    names: dict[str, str],
    tags: list[str],
    rng: np.random.Generator,
) -> tuple[str, str, str | None]:
    """kode_wilayah as written, lokasi, and the true region (None when the report names none)."""
    mode = rng.random()
    if mode < 0.08 and not hotspot:
        tags.append("missing_location")
        return "", pick(rng, lb.VAGUE_PLACES), None
    if mode < 0.5:
        return desa, f"Desa {names.get(desa, desa)}, Kec. {names.get(kec, kec)}", desa
    if mode < 0.6:
        return regions.undotted(desa), f"{names.get(desa, desa)}", desa
    return kec, f"Kec. {names.get(kec, kec)}", kec


# --- files, listing, faults ----------------------------------------------------------------------


def _write_file(
    path: Path, group: list[dict[str, Any]], sep: str, enc: str, drop: Drop
) -> list[dict[str, Any]]:
    """Write one file (in report order); its listing entries, and its faults into ``drop``."""
    group.sort(key=lambda r: (r["_t"], r["id_insiden"], r["kode_wilayah"]))
    hdr = list(INCIDENT_HEADERS)
    if path.suffix == ".xlsx":
        write_xlsx(path, [("Insiden", [*_XLSX_TITLE, hdr, *(_xlsx_row(r, hdr) for r in group)])])
        header_row, sheet, meta = 4, "Insiden", {"format": "xlsx", "sheets": ["Insiden"]}
    else:
        text = csv_text(hdr, [[r[h] for h in hdr] for r in group], sep)
        path.write_bytes(encode(text, enc))
        header_row, sheet, meta = 1, None, {"format": "csv", "separator": sep, "encoding": enc}
    drop.add_file(path, "incidents", len(group), header_row=header_row, **meta)
    listing = []
    for d_i, r in enumerate(group, start=1):
        place = {"file": drop.rel(path), "sheet": sheet, "row": header_row + d_i, "data_row": d_i}
        written = {k: r[k] for k in ("tahapan", "kategori", "tingkat_keparahan", "kode_wilayah")}
        listing.append(
            {**place, "id_insiden": r["id_insiden"] or None, "written": written, **r["_truth"]}
        )
        drop.faults += [_fault(tag, r, place, header_row) for tag in r["_truth"]["messy"]]
    return listing


def _xlsx_row(r: dict[str, Any], hdr: list[str]) -> list[Any]:
    """Times as datetime cells, empty texts as empty cells."""
    vals = []
    for h in hdr:
        v = r[h]
        if h.startswith("waktu") and v:
            v = dt.datetime.strptime(v, "%Y-%m-%d %H:%M")
        vals.append(v if v != "" else None)
    return vals


def _fault(tag: str, r: dict[str, Any], place: dict[str, Any], header_row: int) -> dict[str, Any]:
    """A messy kategori, or a report without kode_wilayah, as the manifest lists it."""
    col = "kode_wilayah" if tag == "missing_location" else "kategori"
    return {
        "kind": f"incident_{tag}",
        "side": "incident",
        **place,
        "header_row": header_row,
        "kode_tps": r["kode_tps"] or None,
        "kode_kontestasi": None,
        "field": col,
        "column": col,
        "true_value": r["_truth"][col],
        "injected_value": r[col],
        "written": r[col] or (None if place["sheet"] else ""),
    }


def _hotspot_summary(kec: str, listing: list[dict[str, Any]], names: dict[str, str]) -> dict:
    hs = [
        e
        for e in listing
        if e["hotspot"] and e["kode_wilayah"] and regions.ancestor_at(e["kode_wilayah"], 3) == kec
    ]
    return {
        "kode_kecamatan": kec,
        "nama": names.get(kec, kec),
        "incidents": len(hs),
        "kritis_tinggi": len(hs),
    }
