"""The demo election: a realistic, deterministic Pilkada 2024 raw drop for any scope.

``generate(scope, seed, as_of, out)`` writes the RAW DROP LAYOUT of :mod:`analysis.catalog` for one
kab/kota (``"16.71"``), one province (``"16"``) or the whole country (``"00"``), on the real
Kemendagri region tree, mid-count at ``as_of``:

- ``referensi/``: the TPS list with DPT (≤ 600 per TPS, ≈ 429,000 TPS nationally) and the paslon
  of every contest (2–6 invented pairs; a few single-candidate contests with a kolom kosong);
- ``hitung_internal/``: field staff's tally reports per kab/kota per batch over election night, in
  the messy forms a desk receives (``;``, ``1.234``, BOM, cp1252, alias headers, Excel title rows,
  two sheets), with corrections, duplicates, typing errors and three unreadable files;
- ``kpu/<pull>/tps/``: Sirekap Pilkada per-TPS JSON snapshots (per file, or bundled JSONL for the
  national scenario) lagging the internal count, with OCR misreads, broken sums, missing TPS,
  revisions, a PSU and half-digitised records; ``kpu/rekap/``: D.Hasil recaps of a few kecamatan;
- ``insiden/``: incident reports over the stages with messy labels and a few hotspots;
- ``kesiapan/``: readiness indicators per kab/kota per day;
- ``manifest.json``: the ground truth of everything injected (see ``/work/notes/demo.md``).

Same seed, scope and as_of → byte-identical files (xlsx timestamps are pinned). Names of paslon and
field staff are built from invented syllables: they are never real people.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import shutil
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis import read, reference
from analysis.domain import regions
from analysis.settings import REPO_ROOT, default_settings

# --- constants of the scenario ---------------------------------------------------------------------

N_SLOTS = 7  # suara_paslon_1..6 + kolom kosong
VOTE_COLS: tuple[str, ...] = (*(f"suara_paslon_{i}" for i in range(1, 7)), "suara_kolom_kosong")
SLOT_NOMOR: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 0)

#: Canonical raw tally headers (COMMON.md), in file order; paslon columns are cut to what a file needs.
TALLY_HEADERS: tuple[str, ...] = (
    "kode_tps",
    "jenis_pemilihan",
    "waktu_laporan",
    "pelapor",
    "pemilih_dpt",
    "pemilih_dpt_l",
    "pemilih_dpt_p",
    "pengguna_dpt",
    "pengguna_dptb",
    "pengguna_dpk",
    "pengguna_total",
    "pengguna_total_l",
    "pengguna_total_p",
    "surat_suara_diterima",
    "surat_suara_digunakan",
    "surat_suara_rusak",
    "surat_suara_tidak_digunakan",
    *VOTE_COLS,
    "suara_sah",
    "suara_tidak_sah",
    "suara_total",
)
TALLY_INT_COLS: tuple[str, ...] = TALLY_HEADERS[4:]

#: Header aliases some field staff use (the ones COMMON.md lists, plus title case for the rest).
TALLY_ALIASES: dict[str, str] = {
    "kode_tps": "Kode TPS",
    "pemilih_dpt": "Jumlah DPT",
    "suara_sah": "Suara Sah",
    **{f"suara_paslon_{i}": f"Paslon {i}" for i in range(1, 7)},
}

#: The canonical incident and readiness headers: the readers' own lists (one list for writer and reader).
INCIDENT_HEADERS: tuple[str, ...] = read.COLUMNS["incidents"][0]
READINESS_HEADERS: tuple[str, ...] = read.COLUMNS["readiness"][0]

#: Hours after voting day 00:00 WIB at which the demo's KPU pulls happen (COMMON.md pull names).
PULL_HOURS_WIB: tuple[float, ...] = (20.0, 32.0, 37.5)
#: Collection batches of the internal count (hours after voting day 00:00 WIB); as_of closes the last.
BATCH_HOURS_WIB: tuple[float, ...] = (16, 18, 20, 22, 24, 27, 30, 33, 36)
#: Internal report arrival: hours after 14:00 local on voting day → cumulative share of TPS × contest.
INTERNAL_CDF: tuple[tuple[float, float], ...] = (
    (0, 0),
    (1, 0.04),
    (2, 0.12),
    (4, 0.30),
    (6, 0.45),
    (8, 0.56),
    (12, 0.68),
    (18, 0.80),
    (24, 0.90),
    (36, 0.97),
    (72, 1.0),
)
#: KPU publication: hours after 14:00 WIB on voting day → cumulative share (≈35/60/75% at the pulls).
KPU_CDF: tuple[tuple[float, float], ...] = (
    (0, 0),
    (2, 0.06),
    (6, 0.41),
    (12, 0.53),
    (18, 0.63),
    (23.5, 0.80),
    (36, 0.88),
    (72, 0.97),
    (168, 1.0),
)
XLSX_SHARE = 0.15  # share of tally files sent as Excel workbooks
# At most this many tally workbooks: Excel senders are a minority, and it keeps file I/O bounded.
XLSX_CAP = 40
FIXED_XLSX_TIME = dt.datetime(2024, 11, 27, 0, 0, 0)
FIXED_ZIP_TIME = (2024, 11, 27, 0, 0, 0)

_SYLLABLES: tuple[str, ...] = tuple(
    [
        "dar",
        "ma",
        "sa",
        "ka",
        "lin",
        "tang",
        "pu",
        "ri",
        "wi",
        "ran",
        "ta",
        "se",
        "kar",
        "wu",
        "lan",
        "su",
        "me",
        "nang",
        "ba",
        "yu",
        "ra",
        "jen",
        "go",
        "te",
        "la",
        "ndi",
        "par",
        "hen",
        "ci",
        "wo",
        "ge",
        "lus",
        "mir",
        "na",
        "to",
        "sem",
        "bi",
        "da",
        "pra",
        "ji",
        "ko",
        "rum",
        "sen",
        "dra",
        "wang",
        "gar",
        "pe",
        "tir",
        "ru",
        "lo",
    ]
)

MANIFEST_ROW_CONVENTION = (
    "row = the physical line number in a CSV file (line 1 is the first line; a UTF-8 BOM is not a "
    "line) or the Excel row number in the named sheet of an .xlsx; the header sits on header_row. "
    "data_row = the n-th data row after the header (1-based). In a JSONL file row = its line "
    "number; a per-TPS JSON file has row null."
)


# --- small helpers -------------------------------------------------------------------------------


def _scope_prefix(scope: str) -> str | None:
    """Dotted code prefix of a scope, or None for the whole country; fails on an unknown code."""
    if scope in ("00", "0", ""):
        return None
    r = reference.regions()
    if r.filter(pl.col("kode_wilayah") == scope).is_empty():
        raise ValueError(
            f"scope {scope!r} is not a Kemendagri region code (use '00' for the whole country, "
            "'16' for a province, '16.71' for a kab/kota)"
        )
    return scope


def _scope_slug(scope: str) -> str:
    return "00" if scope in ("00", "0", "") else scope.replace(".", "")


def _epoch(t: dt.datetime) -> int:
    return int(t.timestamp())


def _name(rng: np.random.Generator, n_min: int = 2, n_max: int = 3) -> str:
    k = int(rng.integers(n_min, n_max + 1))
    return "".join(rng.choice(_SYLLABLES, size=k)).capitalize()


def _full_name(rng: np.random.Generator) -> str:
    return f"{_name(rng, 2, 3)} {_name(rng, 3, 4)}"


def _thousands(v: int) -> str:
    """1234567 → "1.234.567" (Indonesian thousands separator)."""
    s = f"{abs(v):,}".replace(",", ".")
    return f"-{s}" if v < 0 else s


def _interp_hours(u: np.ndarray, cdf: tuple[tuple[float, float], ...]) -> np.ndarray:
    hours = np.array([h for h, _ in cdf])
    share = np.array([s for _, s in cdf])
    return np.interp(u, share, hours)


@dataclass
class _Drop:
    """Bookkeeping of one generation: the folder, the files written, the faults injected."""

    out: Path
    files: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)

    def rel(self, p: Path) -> str:
        return p.relative_to(self.out).as_posix()

    def add_file(self, p: Path, dataset: str, rows: int, **meta: Any) -> None:
        self.files.append({"path": self.rel(p), "dataset": dataset, "rows": rows, **meta})


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_STYLES_XML = (
    f'<styleSheet xmlns="{_NS_MAIN}"><numFmts count="1"><numFmt numFmtId="164" '
    'formatCode="yyyy-mm-dd hh:mm"/></numFmts><fonts count="1"><font><sz val="11"/>'
    '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
    '</fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border>'
    '<left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="3">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _col_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def _xml_text(v: str) -> str:
    return v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sheet_xml(rows: list[list[Any]]) -> str:
    out = [f'{_XML_HEAD}<worksheet xmlns="{_NS_MAIN}"><sheetData>']
    letters = [_col_letter(i) for i in range(max((len(r) for r in rows), default=0))]
    for r_i, row in enumerate(rows, start=1):
        cells = []
        for c_i, v in enumerate(row):
            if v is None or v == "":
                continue
            ref = f"{letters[c_i]}{r_i}"
            if isinstance(v, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, (int, float, np.integer, np.floating)):
                cells.append(f'<c r="{ref}"><v>{v}</v></c>')
            elif isinstance(v, dt.datetime):
                d = v - _EXCEL_EPOCH
                serial = d.days + round(d.seconds) / 86400
                cells.append(f'<c r="{ref}" s="1"><v>{serial!r}</v></c>')
            elif isinstance(v, dt.date):
                serial = (v - _EXCEL_EPOCH.date()).days
                cells.append(f'<c r="{ref}" s="2"><v>{serial}</v></c>')
            else:
                cells.append(
                    f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_xml_text(str(v))}'
                    "</t></is></c>"
                )
        out.append(f'<row r="{r_i}">{"".join(cells)}</row>' if cells else f'<row r="{r_i}"/>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def _write_xlsx(path: Path, sheets: list[tuple[str, list[list[Any]]]]) -> None:
    """Write a minimal, valid .xlsx (inline strings, numbers, date cells) with pinned timestamps.

    Written directly (not with openpyxl) because it is ~50x faster and byte-reproducible: every
    zip entry carries a fixed date and docProps a fixed creation time.
    """
    n = len(sheets)
    parts: list[tuple[str, str]] = []
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_CT}.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    parts.append(
        (
            "[Content_Types].xml",
            f'{_XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>{overrides}'
            f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
            'package.core-properties+xml"/></Types>',
        )
    )
    parts.append(
        (
            "_rels/.rels",
            f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG}"><Relationship Id="rId1" '
            f'Type="{_NS_REL}/officeDocument" Target="xl/workbook.xml"/><Relationship Id="rId2" '
            'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/></Relationships>',
        )
    )
    stamp = FIXED_XLSX_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    parts.append(
        (
            "docProps/core.xml",
            f'{_XML_HEAD}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
            'XMLSchema-instance"><dc:creator>Desk Pilkada (demo)</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>",
        )
    )
    sheet_tags = "".join(
        f'<sheet name="{_xml_text(name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, (name, _) in enumerate(sheets, start=1)
    )
    parts.append(
        (
            "xl/workbook.xml",
            f'{_XML_HEAD}<workbook xmlns="{_NS_MAIN}" xmlns:r="{_NS_REL}"><sheets>{sheet_tags}'
            "</sheets></workbook>",
        )
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_NS_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    parts.append(
        (
            "xl/_rels/workbook.xml.rels",
            f'{_XML_HEAD}<Relationships xmlns="{_NS_PKG}">{rels}<Relationship Id="rId{n + 1}" '
            f'Type="{_NS_REL}/styles" Target="styles.xml"/></Relationships>',
        )
    )
    parts.append(("xl/styles.xml", _XML_HEAD + _STYLES_XML))
    for i, (_, rows) in enumerate(sheets, start=1):
        parts.append((f"xl/worksheets/sheet{i}.xml", _sheet_xml(rows)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts:
            zi = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            z.writestr(zi, text.encode("utf-8"))
    path.write_bytes(buf.getvalue())


def _csv_bytes(header: list[str], rows: list[list[str]], sep: str) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "cp1252":
        return text.encode("cp1252", errors="replace")
    return text.encode("utf-8")


# --- the true election ---------------------------------------------------------------------------


@dataclass
class _World:
    """The true election in scope.

    ``tps``: one row per TPS; ``paslon``: one row per contest × nomor urut; ``tc``: one row per
    TPS × contest with every true count, the internal report time and KPU's publication time.
    """

    tps: pl.DataFrame
    paslon: pl.DataFrame
    contests: pl.DataFrame
    tc: pl.DataFrame
    names: dict[str, str]  # dotted region code -> name
    anomaly: list[dict[str, Any]]


def _desa_in_scope(prefix: str | None) -> pl.DataFrame:
    r = reference.regions()
    d = r.filter(pl.col("tingkat") == "desa")
    if prefix is not None:
        d = d.filter(pl.col("kode_wilayah").str.starts_with(prefix + "."))
    return d.sort("kode_wilayah")


def _offset_hours(tz: str) -> int:
    return {"Asia/Jakarta": 7, "Asia/Pontianak": 7, "Asia/Makassar": 8, "Asia/Jayapura": 9}[tz]


def _build_tps(desa: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """One row per TPS: ≈5.1 per desa on average (kelurahan larger), DPT ≤ 600 split L/P."""
    kab = desa["kode_wilayah"].str.slice(0, 5).to_numpy()
    kab_u, kab_i = np.unique(kab, return_inverse=True)
    kab_f = np.exp(rng.normal(0, 0.25, len(kab_u)) - 0.25**2 / 2)[kab_i]
    is_kel = (desa["jenis"] == "kelurahan").to_numpy()
    # 75,266 desa × 4.35 + 8,496 kelurahan × 12 ≈ 429,000 TPS nationally (DOMAIN §3)
    lam = np.where(is_kel, 11.0, 3.345) * kab_f
    n = 1 + rng.poisson(lam)
    idx = np.repeat(np.arange(desa.height), n)
    starts = np.repeat(np.cumsum(n) - n, n)
    nomor = np.arange(idx.size) - starts + 1
    mu = np.where(is_kel, 520.0, 465.0)[idx] + rng.normal(0, 35, len(kab_u))[kab_i][idx]
    dpt = np.clip(np.round(rng.normal(mu, 70)), 120, 600).astype(np.int64)
    dpt_l = rng.binomial(dpt, np.clip(rng.normal(0.5, 0.015, idx.size), 0.4, 0.6))
    d = desa[idx]
    return pl.DataFrame(
        {
            "kode_tps": (d["kode_kpu"] + pl.Series(nomor).cast(pl.String).str.zfill(3)),
            "kode_desa": d["kode_wilayah"],
            "nomor_tps": nomor.astype(np.int64),
            "pemilih_dpt": dpt,
            "pemilih_dpt_l": dpt_l.astype(np.int64),
            "pemilih_dpt_p": (dpt - dpt_l).astype(np.int64),
            "tz_off": d["tz"].map_elements(_offset_hours, return_dtype=pl.Int64),
        }
    ).with_columns(
        pl.col("kode_desa").str.slice(0, 8).alias("kode_kec"),
        pl.col("kode_desa").str.slice(0, 5).alias("kode_kab"),
        pl.col("kode_desa").str.slice(0, 2).alias("kode_prov"),
    )


def _build_paslon(codes: list[str], rng: np.random.Generator) -> tuple[pl.DataFrame, np.ndarray]:
    """Paslon per contest (2–6, some single with kolom kosong) and base vote shares per slot."""
    n_c = len(codes)
    n_pas = rng.choice([2, 3, 4, 5, 6], size=n_c, p=[0.38, 0.32, 0.17, 0.08, 0.05])
    single = rng.random(n_c) < 37 / 545  # DOMAIN §3: 37 of 545 contests had a single pair
    if n_c >= 2 and not single.any():
        pkwkk = [i for i, c in enumerate(codes) if c.startswith("pkwkk")]
        single[pkwkk[int(rng.integers(len(pkwkk)))] if pkwkk else n_c - 1] = True
    n_pas = np.where(single, 1, n_pas)
    shares = np.zeros((n_c, N_SLOTS))
    rows = []
    next_id = 1_000_101
    for i, code in enumerate(codes):
        if single[i]:
            s = rng.uniform(0.55, 0.8)
            shares[i, 0], shares[i, 6] = s, 1 - s
        else:
            shares[i, : n_pas[i]] = rng.dirichlet(np.full(n_pas[i], 3.0))
        for slot in [*range(n_pas[i]), *([6] if single[i] else [])]:
            kk = slot == 6
            nama = "Kolom Kosong" if kk else f"{_full_name(rng)} & {_full_name(rng)}"
            rows.append((code, SLOT_NOMOR[slot], str(next_id), nama, bool(kk)))
            next_id += int(rng.integers(1, 8))
    paslon = pl.DataFrame(
        rows,
        schema=["kode_kontestasi", "nomor_urut", "paslon_id", "nama_paslon", "kolom_kosong"],
        orient="row",
    )
    return paslon, shares


def _build_world(prefix: str | None, rng: np.random.Generator, reserve: float) -> _World:
    desa = _desa_in_scope(prefix)
    if desa.is_empty():
        raise ValueError(f"scope {prefix!r} holds no desa/kelurahan")
    tps = _build_tps(desa, rng)
    n_tps = tps.height

    # contests per TPS (gubernur and bupati/walikota, where held)
    per_desa = {d: regions.contests_for_desa(d) for d in desa["kode_wilayah"].to_list()}
    kd = tps["kode_desa"].to_list()
    tc_tps, tc_code = [], []
    for i, d in enumerate(kd):
        for c in per_desa[d]:
            tc_tps.append(i)
            tc_code.append(c)
    codes = sorted(set(tc_code))
    code_i = {c: i for i, c in enumerate(codes)}
    tc_tps_a = np.array(tc_tps)
    tc_c = np.array([code_i[c] for c in tc_code])
    paslon, base = _build_paslon(codes, rng)
    contests = reference.contests().filter(pl.col("kode_kontestasi").is_in(codes))

    # voters per TPS: turnout 65–85% by kab/kota plus TPS noise
    kab = tps["kode_kab"].to_numpy()
    kab_u, kab_i = np.unique(kab, return_inverse=True)
    turnout = np.clip(
        rng.uniform(0.65, 0.85, len(kab_u))[kab_i] + rng.normal(0, 0.05, n_tps), 0.35, 0.97
    )
    dpt = tps["pemilih_dpt"].to_numpy()
    dpt_l = tps["pemilih_dpt_l"].to_numpy()
    dpt_p = tps["pemilih_dpt_p"].to_numpy()
    u_dpt = rng.binomial(dpt, turnout)
    u_dptb = np.minimum(rng.poisson(2.0, n_tps), 8)
    u_dpk = np.minimum(rng.poisson(0.7, n_tps), 4)

    # injected result anomalies: ~100% turnout with ≥95% to one paslon; one low-turnout outlier
    n_anom = int(min(8, max(2, len(kab_u) // 6 + 2)))
    anom = rng.choice(n_tps, size=n_anom + 1, replace=False)
    full, low = anom[:-1], anom[-1:]
    u_dpt[full], u_dptb[full], u_dpk[full] = dpt[full], 0, 0
    u_dpt[low] = np.round(dpt[low] * 0.22).astype(np.int64)
    u_dpt_l = rng.hypergeometric(dpt_l, dpt_p, u_dpt)
    u_dptb_l = rng.binomial(u_dptb, 0.5)
    u_dpk_l = rng.binomial(u_dpk, 0.5)
    u_tot = u_dpt + u_dptb + u_dpk

    # votes per TPS × contest: contest shares, a kab/kota swing, Dirichlet noise per TPS
    n_tc = tc_tps_a.size
    swing = np.exp(rng.normal(0, 0.3, (len(kab_u), len(codes), N_SLOTS)))
    alpha = base[tc_c] * swing[kab_i[tc_tps_a], tc_c] * 40
    present = base[tc_c] > 0
    g = rng.gamma(np.where(present, alpha, 1.0)) * present
    p = g / g.sum(axis=1, keepdims=True)
    total = u_tot[tc_tps_a]
    invalid = rng.binomial(total, rng.uniform(0.01, 0.045, len(codes))[tc_c])
    valid = total - invalid
    votes = rng.multinomial(valid, p)
    anomaly = []
    full_set = set(full.tolist())
    for r in np.flatnonzero(np.isin(tc_tps_a, full)):
        slots = np.flatnonzero(present[r])
        top = slots[int(np.argmax(base[tc_c[r]][slots]))]
        invalid[r] = min(int(invalid[r]), 2)
        valid[r] = total[r] - invalid[r]
        v = np.zeros(N_SLOTS, dtype=np.int64)
        v[top] = int(round(valid[r] * 0.97))
        rest = [s for s in slots if s != top]
        if rest:
            v[rest] = rng.multinomial(valid[r] - v[top], np.full(len(rest), 1 / len(rest)))
        else:
            v[top] = valid[r]
        votes[r] = v
    for t in full_set:
        anomaly.append(
            {
                "kode_tps": tps["kode_tps"][int(t)],
                "kind": "turnout_100_winner_95",
                "note": "≈100% turnout, ≥95% of valid votes to one paslon in each contest",
            }
        )
    anomaly.append(
        {
            "kode_tps": tps["kode_tps"][int(low[0])],
            "kind": "turnout_outlier_low",
            "note": "turnout ≈22% of DPT, far below its kab/kota",
        }
    )

    received = dpt[tc_tps_a] + np.ceil(dpt[tc_tps_a] * reserve).astype(np.int64)
    damaged = np.minimum(rng.poisson(0.4, n_tc), np.maximum(received - total, 0))
    unused = np.maximum(received - total - damaged, 0)
    received = total + damaged + unused

    # timing: internal reports (TPS-level delay, kab/kota speed) and KPU publication
    speed = np.exp(rng.normal(0, 0.25, len(kab_u)))[kab_i]
    h_int = _interp_hours(rng.random(n_tps), INTERNAL_CDF) * speed
    h_int[anom] = rng.uniform(1, 5, anom.size)  # anomalies are in the data the screens see
    h_int_tc = h_int[tc_tps_a] + rng.uniform(0, 0.25, n_tc)
    tz_off = tps["tz_off"].to_numpy()
    day0 = _epoch(dt.datetime(2024, 11, 27, tzinfo=dt.UTC))
    t_int = day0 + (14 - tz_off[tc_tps_a]) * 3600 + np.round(h_int_tc * 60).astype(np.int64) * 60
    kspeed = np.exp(rng.normal(0, 0.2, len(kab_u)))[kab_i]
    h_kpu = _interp_hours(rng.random(n_tps), KPU_CDF) * kspeed
    h_kpu[anom] = rng.uniform(1, 4, anom.size)
    h_kpu_tc = h_kpu[tc_tps_a] + rng.uniform(0, 0.5, n_tc)
    t_kpu = day0 + 7 * 3600 + np.round(h_kpu_tc * 3600).astype(np.int64)

    tc = pl.DataFrame(
        {
            "_tc": np.arange(n_tc),
            "_tps": tc_tps_a,
            "_c": tc_c,
            "kode_kontestasi": [codes[i] for i in tc_c],
            "pengguna_dpt": u_dpt[tc_tps_a],
            "pengguna_dpt_l": u_dpt_l[tc_tps_a],
            "pengguna_dptb": u_dptb[tc_tps_a],
            "pengguna_dptb_l": u_dptb_l[tc_tps_a],
            "pengguna_dpk": u_dpk[tc_tps_a],
            "pengguna_dpk_l": u_dpk_l[tc_tps_a],
            "pengguna_total": total,
            "surat_suara_diterima": received,
            "surat_suara_digunakan": total,
            "surat_suara_rusak": damaged,
            "surat_suara_tidak_digunakan": unused,
            **{c: votes[:, s] for s, c in enumerate(VOTE_COLS)},
            "suara_sah": valid,
            "suara_tidak_sah": invalid,
            "suara_total": total,
            "_t_int": t_int,
            "_t_kpu": t_kpu,
        }
    )
    # slots a contest does not have are null
    pres = pl.DataFrame({f"_p{s}": present[:, s] for s in range(N_SLOTS)})
    tc = (
        pl.concat([tc, pres], how="horizontal")
        .with_columns(
            *(
                pl.when(pl.col(f"_p{s}")).then(pl.col(c)).otherwise(None).alias(c)
                for s, c in enumerate(VOTE_COLS)
            )
        )
        .drop([f"_p{s}" for s in range(N_SLOTS)])
    )
    tps_cols = tps.select(
        "kode_tps",
        "kode_desa",
        "kode_kec",
        "kode_kab",
        "kode_prov",
        "tz_off",
        "pemilih_dpt",
        "pemilih_dpt_l",
        "pemilih_dpt_p",
    )
    tc = (
        pl.concat([tps_cols[tc_tps_a], tc], how="horizontal")
        .with_columns(
            pl.col("kode_kontestasi").str.slice(0, 5).alias("jenis"),
            (pl.col("pengguna_dpt") - pl.col("pengguna_dpt_l")).alias("pengguna_dpt_p"),
            (pl.col("pengguna_dptb") - pl.col("pengguna_dptb_l")).alias("pengguna_dptb_p"),
            (pl.col("pengguna_dpk") - pl.col("pengguna_dpk_l")).alias("pengguna_dpk_p"),
            (pl.col("pengguna_dpt_l") + pl.col("pengguna_dptb_l") + pl.col("pengguna_dpk_l")).alias(
                "pengguna_total_l"
            ),
        )
        .with_columns(
            (pl.col("pengguna_total") - pl.col("pengguna_total_l")).alias("pengguna_total_p"),
        )
    )
    r = reference.regions()
    if prefix is not None:
        top = prefix.split(".")[0]
        r = r.filter(pl.col("kode_wilayah").str.starts_with(top))
    names = dict(zip(r["kode_wilayah"].to_list(), r["nama"].to_list(), strict=True))
    return _World(tps.drop("tz_off"), paslon, contests, tc, names, anomaly)


# --- fault planning --------------------------------------------------------------------------------

#: Injected faults: kind -> (rate per TPS × contest, minimum count in any scope).
FAULT_RATES: dict[str, tuple[float, int]] = {
    # KPU side
    "kpu_ocr_hundreds": (1 / 2500, 2),
    "kpu_sum_mismatch": (1 / 3000, 1),
    "kpu_revision": (1 / 4000, 1),
    "kpu_psu": (1 / 20000, 1),
    "kpu_chart_null": (1 / 3000, 1),
    "kpu_administrasi_null": (1 / 3000, 1),
    "kpu_missing": (1 / 4000, 1),  # per TPS: never published, both contests
    # internal side
    "typing_discrepancy": (1 / 3000, 2),
    "sum_mismatch": (1 / 3000, 1),
    "negative_value": (1 / 8000, 1),
    "non_numeric_value": (1 / 8000, 1),
    "out_of_window_time": (1 / 8000, 1),
    "over_capacity": (1 / 10000, 1),
    "resubmission": (1 / 1500, 2),
    "duplicate_same_file": (1 / 5000, 1),
    "duplicate_next_file": (1 / 5000, 1),
    "unknown_tps": (1 / 8000, 2),
    "contest_not_held": (1 / 10000, 1),
}
KPU_KINDS = [k for k in FAULT_RATES if k.startswith("kpu_")]


def _plan_faults(
    w: _World, rng: np.random.Generator, as_of: int, pulls: list[int]
) -> dict[str, np.ndarray]:
    """Pick the TPS × contest rows (``_tc``) each fault is injected into; the sets are disjoint."""
    tc = w.tc
    n = tc.height
    anomalous = tc["kode_tps"].is_in([a["kode_tps"] for a in w.anomaly]).to_numpy()
    t_int = tc["_t_int"].to_numpy()
    t_kpu = tc["_t_kpu"].to_numpy()
    last_pull = max(p for p in pulls) if pulls else as_of
    reported = t_int <= as_of
    published = t_kpu <= last_pull
    n_slots = tc.select(pl.sum_horizontal(pl.col(c).is_not_null() for c in VOTE_COLS)).to_series()
    multi = (n_slots >= 2).to_numpy()
    used = anomalous.copy()
    plan: dict[str, np.ndarray] = {}

    def count(kind: str) -> int:
        rate, minimum = FAULT_RATES[kind]
        return max(minimum, round(rate * n))

    def pick(kind: str, eligible: np.ndarray, k: int | None = None) -> np.ndarray:
        cand = np.flatnonzero(eligible & ~used)
        k = min(count(kind) if k is None else k, cand.size)
        chosen = np.sort(rng.choice(cand, size=k, replace=False)) if k else np.array([], int)
        used[chosen] = True
        return chosen

    # KPU faults live on rows the internal count has right, so reconciliation can see them
    base = reported & published
    pull1 = pulls[0] if pulls else as_of
    # missing: whole TPS published early elsewhere would be; every contest of the TPS withheld
    tps_first = tc.group_by("_tps").agg(pl.col("_t_kpu").max().alias("m")).sort("_tps")
    early_tps = tps_first.filter(pl.col("m") <= pull1)["_tps"].to_numpy()
    tps_anom = set(tc.filter(pl.Series(anomalous))["_tps"].to_list())
    early_tps = np.array([t for t in early_tps if t not in tps_anom], dtype=np.int64)
    k_missing = min(max(1, round(FAULT_RATES["kpu_missing"][0] * n)), early_tps.size)
    miss_tps = np.sort(rng.choice(early_tps, size=k_missing, replace=False)) if k_missing else []
    miss_rows = np.flatnonzero(np.isin(tc["_tps"].to_numpy(), miss_tps))
    used[miss_rows] = True
    plan["kpu_missing"] = miss_rows
    ocr_ok = np.zeros(n, bool)
    votes = tc.select(VOTE_COLS).to_numpy()
    ocr_ok[np.flatnonzero(((votes >= 10) & (votes <= 99)).any(axis=1))] = True
    plan["kpu_ocr_hundreds"] = pick("kpu_ocr_hundreds", base & ocr_ok)
    plan["kpu_sum_mismatch"] = pick("kpu_sum_mismatch", base)
    plan["kpu_revision"] = pick("kpu_revision", base & (t_kpu <= pull1) & multi)
    plan["kpu_psu"] = pick("kpu_psu", base)
    plan["kpu_chart_null"] = pick("kpu_chart_null", base)
    plan["kpu_administrasi_null"] = pick("kpu_administrasi_null", base)
    # internal faults; typing discrepancies sit where KPU has published a clean record
    swap_ok = np.zeros(n, bool)
    srt = np.sort(np.nan_to_num(votes.astype(float), nan=-1), axis=1)
    swap_ok[(srt[:, -1] != srt[:, -2]) & (srt[:, -2] >= 0)] = True
    plan["typing_discrepancy"] = pick("typing_discrepancy", base & multi & swap_ok)
    for kind in ("sum_mismatch", "negative_value", "non_numeric_value", "out_of_window_time"):
        plan[kind] = pick(kind, reported)
    plan["over_capacity"] = pick("over_capacity", reported)
    plan["resubmission"] = pick("resubmission", t_int <= as_of - 5 * 3600)
    for kind in ("duplicate_same_file", "duplicate_next_file", "unknown_tps", "contest_not_held"):
        plan[kind] = pick(kind, reported)
    return plan


# --- internal count (hitung_internal/) ------------------------------------------------------------

#: File styles of field staff: separator, encoding, thousands separator, jenis as words, ISO times,
#: alias headers.
_STYLES: dict[str, dict[str, Any]] = {
    "plain": {"sep": ",", "enc": "utf-8", "thousands": False, "words": False, "iso": False},
    "semicolon": {"sep": ";", "enc": "utf-8", "thousands": True, "words": True, "iso": False},
    "bom": {"sep": ",", "enc": "utf-8-sig", "thousands": False, "words": False, "iso": True},
    "cp1252": {"sep": ";", "enc": "cp1252", "thousands": True, "words": True, "iso": False},
    "alias": {
        "sep": ",",
        "enc": "utf-8",
        "thousands": False,
        "words": True,
        "iso": False,
        "alias": True,
    },
}
_STYLE_CYCLE = tuple(_STYLES)


def _jenis_word(jenis: str, kode_kab: str) -> str:
    if jenis == "pkwkp":
        return "Gubernur"
    if jenis == "pkwkk":
        return "Walikota" if int(kode_kab[3:5]) >= 70 else "Bupati"
    return jenis


def _batch_cutoffs(as_of: int) -> list[int]:
    day0_wib = _epoch(dt.datetime(2024, 11, 27, tzinfo=dt.UTC)) - 7 * 3600
    cut = [day0_wib + int(h * 3600) for h in BATCH_HOURS_WIB]
    return [c for c in cut if c < as_of] + [as_of]


def _label_wib(t: int) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone(dt.timedelta(hours=7))).strftime("%Y%m%dT%H%M")


def _local_str(t: int, off: int, iso: bool = False) -> str:
    tz = dt.timezone(dt.timedelta(hours=off))
    d = dt.datetime.fromtimestamp(t, tz)
    return d.isoformat() if iso else d.strftime("%Y-%m-%d %H:%M")


def _written(lc: dict[str, Any], value: Any, col: str, overridden: bool) -> Any:
    """The cell as it stands in the file: text in a CSV, the cell value in an xlsx."""
    if overridden:
        return str(value)
    if col == "jenis_pemilihan":
        return _jenis_word(value, lc["kab"]) if lc["words"] else value
    if lc["format"] == "xlsx":
        return value
    if isinstance(value, int) and lc.get("thousands"):
        return _thousands(value)
    return "" if value is None else str(value)


def _internal(
    w: _World, drop: _Drop, rng: np.random.Generator, as_of: int, plan: dict[str, np.ndarray]
) -> dict[str, Any]:
    """Write the field staff's tally reports; one row per TPS × contest report."""
    folder = drop.out / "hitung_internal"
    folder.mkdir(parents=True)
    tc = w.tc
    n_tc = tc.height
    keep = [
        "_tc",
        "kode_tps",
        "jenis",
        "kode_kontestasi",
        "kode_kec",
        "kode_kab",
        "tz_off",
        "_t_int",
        *TALLY_INT_COLS,
    ]
    R = tc.filter(pl.col("_t_int") <= as_of).select(keep).rename({"_t_int": "_t", "_tc": "_idx"})
    R = R.with_columns(pl.col("jenis").alias("_jenis_code"))
    faults: list[dict[str, Any]] = []
    overrides: dict[tuple[int, str], Any] = {}
    extra: list[dict[str, Any]] = []
    rows_by_idx = {
        r["_idx"]: r
        for r in R.filter(
            pl.col("_idx").is_in(
                np.concatenate([v for k, v in plan.items() if not k.startswith("kpu")])
            )
        ).to_dicts()
    }
    next_idx = n_tc

    def fault(kind: str, idx: int, fld: str, true: Any, injected: Any, **more: Any) -> None:
        faults.append(
            {
                "kind": kind,
                "side": "internal",
                "_idx": idx,
                "field": fld,
                "true_value": true,
                "injected_value": injected,
                **more,
            }
        )

    def present_slots(row: dict[str, Any]) -> list[str]:
        return [c for c in VOTE_COLS if row[c] is not None]

    edits: dict[int, dict[str, Any]] = {}
    for i in plan["typing_discrepancy"]:
        row = rows_by_idx[int(i)]
        sl = present_slots(row)
        a, b = sorted(sl, key=lambda c: -row[c])[:2]
        edits[int(i)] = {a: row[b], b: row[a]}
        fault("typing_discrepancy", int(i), a, row[a], row[b], note="votes of two paslon swapped")
        fault("typing_discrepancy", int(i), b, row[b], row[a], note="votes of two paslon swapped")
    for i in plan["sum_mismatch"]:
        row = rows_by_idx[int(i)]
        c = present_slots(row)[0]
        d = int(rng.integers(5, 40))
        edits[int(i)] = {c: row[c] + d}
        fault(
            "sum_mismatch",
            int(i),
            c,
            row[c],
            row[c] + d,
            note="sum of paslon votes no longer equals suara_sah",
        )
    for i in plan["over_capacity"]:
        row = rows_by_idx[int(i)]
        x = 1000 - row["suara_total"] + int(rng.integers(0, 250))
        c = present_slots(row)[0]
        e = {
            k: row[k] + x
            for k in (
                "pengguna_dptb",
                "pengguna_total",
                "surat_suara_diterima",
                "surat_suara_digunakan",
                "suara_sah",
                "suara_total",
                c,
            )
        }
        e["pengguna_total_l"] = row["pengguna_total_l"] + x // 2
        e["pengguna_total_p"] = row["pengguna_total_p"] + x - x // 2
        edits[int(i)] = e
        for k in ("suara_total", "pengguna_total"):
            fault(
                "over_capacity",
                int(i),
                k,
                row[k],
                e[k],
                note="consistent sums but far more voters than a TPS can hold (max 600 + reserve)",
            )
    resub_rows = []
    for i in plan["resubmission"]:
        row = rows_by_idx[int(i)]
        # a consistent but wrong first report (votes of one paslon typed as invalid votes): it
        # passes the arithmetic checks and is accepted, then superseded by the correction
        c = max(present_slots(row), key=lambda k: row[k])
        d = int(rng.integers(5, 30))
        e = {
            c: row[c] - d,
            "suara_sah": row["suara_sah"] - d,
            "suara_tidak_sah": row["suara_tidak_sah"] + d,
        }
        edits[int(i)] = e
        t_new = min(as_of, row["_t"] + int(rng.integers(60, 240)) * 60)
        corrected = {**row, "_idx": next_idx, "_t": t_new}
        extra.append(corrected)
        for k, v in e.items():
            resub_rows.append((int(i), next_idx, k, row[k], v))
        next_idx += 1
    for i in plan["duplicate_same_file"]:
        extra.append({**rows_by_idx[int(i)], "_idx": next_idx, "_dup_of": int(i), "_dup": "same"})
        next_idx += 1
    for i in plan["duplicate_next_file"]:
        extra.append({**rows_by_idx[int(i)], "_idx": next_idx, "_dup_of": int(i), "_dup": "next"})
        next_idx += 1
    for j, i in enumerate(plan["unknown_tps"]):
        row = rows_by_idx[int(i)]
        kode = row["kode_tps"]
        new = kode[:10] + f"9{int(rng.integers(10, 99))}" if j % 2 == 0 else kode[:9] + kode[10:]
        extra.append({**row, "_idx": next_idx, "kode_tps": new})
        fault(
            "unknown_tps",
            next_idx,
            "kode_tps",
            None,
            new,
            note=f"kode_tps not in referensi/tps.csv (copied from {kode})",
        )
        next_idx += 1
    for i in plan["contest_not_held"]:
        row = rows_by_idx[int(i)]
        extra.append(
            {
                **row,
                "_idx": next_idx,
                "jenis": "ppwp",
                "_jenis_code": "ppwp",
                "kode_kontestasi": "ppwp",
            }
        )
        fault(
            "contest_not_held",
            next_idx,
            "jenis_pemilihan",
            row["_jenis_code"],
            "ppwp",
            note="no presidential contest in Pilkada 2024",
        )
        next_idx += 1
    diy = tc.filter((pl.col("kode_prov") == "34") & (pl.col("_t_int") <= as_of))
    if not diy.is_empty():
        row = R.filter(pl.col("_idx") == diy["_tc"][0]).to_dicts()[0]
        extra.append(
            {
                **row,
                "_idx": next_idx,
                "jenis": "pkwkp",
                "_jenis_code": "pkwkp",
                "kode_kontestasi": "pkwkp-34",
            }
        )
        fault(
            "contest_not_held",
            next_idx,
            "jenis_pemilihan",
            None,
            "pkwkp",
            note="DIY holds no gubernur election (DOMAIN §3)",
        )
        next_idx += 1

    if edits:
        ed = pl.DataFrame(
            [{"_idx": i, **{f"_e_{k}": v for k, v in e.items()}} for i, e in edits.items()],
            infer_schema_length=None,
        )
        R = (
            R.join(ed, on="_idx", how="left")
            .with_columns(
                pl.coalesce(pl.col(f"_e_{c}"), pl.col(c)).alias(c)
                for c in TALLY_INT_COLS
                if f"_e_{c}" in ed.columns
            )
            .drop([c for c in ed.columns if c.startswith("_e_")])
        )
    if extra:
        X = pl.DataFrame(extra, infer_schema_length=None)
        for col in ("_dup_of", "_dup"):
            if col not in X.columns:
                X = X.with_columns(pl.lit(None).alias(col))
        R = pl.concat(
            [
                R.with_columns(
                    pl.lit(None, pl.Int64).alias("_dup_of"), pl.lit(None, pl.String).alias("_dup")
                ),
                X.select(R.columns + ["_dup_of", "_dup"]).cast(
                    {**R.schema, "_dup_of": pl.Int64, "_dup": pl.String}
                ),
            ],
        )
    else:
        R = R.with_columns(
            pl.lit(None, pl.Int64).alias("_dup_of"), pl.lit(None, pl.String).alias("_dup")
        )

    # value overrides (strings where numbers belong, times out of the window)
    def one_row(i: int) -> dict[str, Any]:
        return rows_by_idx[int(i)]

    for i in plan["negative_value"]:
        row = one_row(i)
        c = present_slots(row)[0]
        v = row[c] if row[c] else 7
        overrides[(int(i), c)] = f"-{v}"
        fault("negative_value", int(i), c, row[c], f"-{v}")
    for i in plan["non_numeric_value"]:
        row = one_row(i)
        c = "suara_tidak_sah"
        s = str(row[c])
        bad = (
            s.replace("1", "l", 1)
            if "1" in s
            else (s.replace("0", "O", 1) if "0" in s else s + "a")
        )
        overrides[(int(i), c)] = bad
        fault("non_numeric_value", int(i), c, row[c], bad)
    for j, i in enumerate(plan["out_of_window_time"]):
        row = one_row(i)
        true = _local_str(row["_t"], row["tz_off"])
        bad = true.replace("2024-11-", "2024-10-") if j % 2 == 0 else true.replace("2024-", "2023-")
        overrides[(int(i), "waktu_laporan")] = bad
        fault("out_of_window_time", int(i), "waktu_laporan", true, bad)

    # files: one per kab/kota per batch
    cut = _batch_cutoffs(as_of)
    cut_a = np.array(cut)
    R = R.with_columns(pl.Series("_b", np.searchsorted(cut_a, R["_t"].to_numpy(), side="left")))
    R = R.with_columns(
        pl.when(pl.col("_dup") == "next")
        .then(pl.min_horizontal(pl.col("_b") + 1, len(cut) - 1))
        .otherwise(pl.col("_b"))
        .alias("_b")
    )
    kab_list = sorted(R["kode_kab"].unique().to_list())
    kab_off = {k: int(rng.integers(len(_STYLE_CYCLE))) for k in kab_list}
    pel = {
        k: f"Korcam {w.names.get(k, k)} – {_name(rng, 2, 3)}"
        for k in sorted(R["kode_kec"].unique().to_list())
    }
    R = R.with_columns(
        pl.col("kode_kec").replace_strict(pel, return_dtype=pl.String).alias("pelapor")
    )
    R = R.sort(["kode_kab", "_b", "_t", "kode_tps", "_jenis_code", "_idx"])
    keys = R.select("kode_kab", "_b").unique(maintain_order=True).rows()
    is_xlsx = rng.random(len(keys)) < XLSX_SHARE
    if len(keys) >= 3 and is_xlsx.sum() < 2:
        is_xlsx[rng.choice(len(keys), 2, replace=False)] = True
    xl_idx = np.flatnonzero(is_xlsx)
    if xl_idx.size > XLSX_CAP:
        is_xlsx[:] = False
        is_xlsx[np.sort(rng.choice(xl_idx, XLSX_CAP, replace=False))] = True
    # every cell variant a file style may need, formatted once for all rows (vectorised)
    off = pl.col("tz_off")
    local = pl.from_epoch(pl.col("_t"), time_unit="s") + pl.duration(hours=off)
    R = R.with_columns(
        local.dt.strftime("%Y-%m-%d %H:%M").alias("_w_local"),
        pl.concat_str(
            local.dt.strftime("%Y-%m-%dT%H:%M:%S"),
            pl.lit("+"),
            off.cast(pl.String).str.zfill(2),
            pl.lit(":00"),
        ).alias("_w_iso"),
        pl.when(pl.col("_jenis_code") == "pkwkp")
        .then(pl.lit("Gubernur"))
        .when((pl.col("_jenis_code") == "pkwkk") & (pl.col("kode_kab").str.slice(3, 2) >= "70"))
        .then(pl.lit("Walikota"))
        .when(pl.col("_jenis_code") == "pkwkk")
        .then(pl.lit("Bupati"))
        .otherwise(pl.col("_jenis_code"))
        .alias("_j_word"),
        *(pl.col(c).cast(pl.String).alias(f"_s_{c}") for c in TALLY_INT_COLS),
        *(
            pl.when(pl.col(c).abs() >= 1000)
            .then(
                pl.concat_str(
                    (pl.col(c) // 1000).cast(pl.String),
                    pl.lit("."),
                    (pl.col(c) % 1000).cast(pl.String).str.zfill(3),
                )
            )
            .otherwise(pl.col(c).cast(pl.String))
            .alias(f"_t_{c}")
            for c in TALLY_INT_COLS
        ),
    )
    by_col: dict[str, dict[int, str]] = {}
    for (i, c), v in overrides.items():
        by_col.setdefault(c, {})[i] = str(v)
    for c, mapping in by_col.items():
        targets = ["_w_local", "_w_iso"] if c == "waktu_laporan" else [f"_s_{c}", f"_t_{c}"]
        R = R.with_columns(
            pl.col("_idx")
            .replace_strict(mapping, default=pl.col(t), return_dtype=pl.String)
            .alias(t)
            for t in targets
        )
    present = {
        (r[0], r[1]): r[2:]
        for r in R.group_by("kode_kab", "_b")
        .agg(pl.col(c).is_not_null().any() for c in VOTE_COLS)
        .rows()
    }
    need = {f["_idx"] for f in faults} | {x for r in resub_rows for x in r[:2]}
    for r in R.filter(pl.col("_dup").is_not_null()).select("_idx", "_dup_of").rows():
        need.update(r)
    loc: dict[int, dict[str, Any]] = {}
    n_rows = 0
    two_sheet_done = False
    parts = R.partition_by(["kode_kab", "_b"], maintain_order=True, as_dict=True)
    for f_i, (kab, b) in enumerate(keys):
        part = parts[(kab, b)]
        stem = f"hitung_{kab.replace('.', '')}_{_label_wib(cut[b])}"
        has = present[(kab, b)]
        max_slot = max((s + 1 for s in range(6) if has[s]), default=0)
        cols = [*TALLY_HEADERS[:17], *VOTE_COLS[:max_slot]]
        if has[6]:
            cols.append("suara_kolom_kosong")
        cols += ["suara_sah", "suara_tidak_sah", "suara_total"]
        if is_xlsx[f_i]:
            path = folder / f"{stem}.xlsx"
            jenis_here = set(part["_jenis_code"].to_list())
            two = not two_sheet_done and {"pkwkp", "pkwkk"} <= jenis_here
            groups = (
                [
                    ("pkwkp", part.filter(pl.col("_jenis_code") == "pkwkp")),
                    ("pkwkk", part.filter(pl.col("_jenis_code") != "pkwkp")),
                ]
                if two
                else [("Laporan", part)]
            )
            if two:
                two_sheet_done = True
            sheets = []
            for g, sub in groups:
                name = (
                    "Laporan"
                    if not two
                    else ("Gubernur" if g == "pkwkp" else _jenis_word("pkwkk", kab))
                )
                title = [
                    [f"LAPORAN HITUNG INTERNAL DESK PILKADA — {w.names.get(kab, kab).upper()}"],
                    [
                        f"Kiriman s.d. {_local_str(cut[b], 7)} WIB · hitung internal, bukan hasil resmi"
                    ],
                    [],
                ]
                rows = []
                for d_i, r in enumerate(sub.iter_rows(named=True), start=1):
                    vals = []
                    for c in cols:
                        key = (r["_idx"], c)
                        if key in overrides:
                            vals.append(overrides[key])
                        elif c == "jenis_pemilihan":
                            vals.append(_jenis_word(r["_jenis_code"], kab))
                        elif c == "waktu_laporan":
                            vals.append(
                                dt.datetime.fromtimestamp(
                                    r["_t"], dt.timezone(dt.timedelta(hours=r["tz_off"]))
                                ).replace(tzinfo=None)
                            )
                        else:
                            vals.append(r[c])
                    rows.append(vals)
                    loc[r["_idx"]] = {
                        "file": drop.rel(path),
                        "sheet": name,
                        "row": 4 + d_i,
                        "data_row": d_i,
                        "header_row": 4,
                        "format": "xlsx",
                        "columns": cols,
                        "words": True,
                        "kab": kab,
                    }
                sheets.append((name, [*title, cols, *rows]))
            _write_xlsx(path, sheets)
            drop.add_file(
                path,
                "tally",
                part.height,
                format="xlsx",
                sheets=[s[0] for s in sheets],
                header_row=4,
            )
        else:
            style = _STYLE_CYCLE[(kab_off[kab] + b) % len(_STYLE_CYCLE)]
            st = _STYLES[style]
            path = folder / f"{stem}.csv"
            header = (
                [TALLY_ALIASES.get(c, c.replace("_", " ").title()) for c in cols]
                if st.get("alias")
                else cols
            )
            src = {
                "kode_tps": "kode_tps",
                "jenis_pemilihan": "_j_word" if st["words"] else "_jenis_code",
                "waktu_laporan": "_w_iso" if st["iso"] else "_w_local",
                "pelapor": "pelapor",
                **{c: ("_t_" if st["thousands"] else "_s_") + c for c in cols[4:]},
            }
            text = part.select(
                pl.col(src[c]).alias(h) for c, h in zip(cols, header, strict=True)
            ).write_csv(separator=st["sep"], quote_style="necessary", line_terminator="\n")
            path.write_bytes(_encode(text, st["enc"]))
            rel = drop.rel(path)
            for d_i, i in enumerate(part["_idx"].to_list(), start=1):
                if i not in need:
                    continue
                loc[i] = {
                    "file": rel,
                    "sheet": None,
                    "row": 1 + d_i,
                    "data_row": d_i,
                    "header_row": 1,
                    "format": "csv",
                    "columns": header,
                    "canonical": cols,
                    "sep": st["sep"],
                    "encoding": st["enc"],
                    "thousands": st["thousands"],
                    "words": st["words"],
                    "kab": kab,
                }
            drop.add_file(
                path,
                "tally",
                part.height,
                format="csv",
                separator=st["sep"],
                encoding=st["enc"],
                thousands=st["thousands"],
                header_row=1,
                style=style,
            )
        n_rows += part.height

    # resubmissions and duplicates, now that rows have places
    for orig, new, c, true, bad in resub_rows:
        fault(
            "resubmission",
            orig,
            c,
            true,
            bad,
            note="first report consistent but wrong; corrected in a later report",
            corrected_by={k: loc[new][k] for k in ("file", "sheet", "row")},
        )
    for r in R.filter(pl.col("_dup").is_not_null()).select("_idx", "_dup_of", "_dup").rows():
        fault(
            f"duplicate_{r[2]}_file",
            r[0],
            None,
            None,
            None,
            note="exact copy of an earlier report",
            duplicate_of={k: loc[r[1]][k] for k in ("file", "sheet", "row")},
        )

    # three unreadable files
    first = kab_list[0].replace(".", "") if kab_list else "0000"
    bad_files = []
    p = folder / f"hitung_{first}_kosong.csv"
    p.write_bytes(b"")
    bad_files.append((p, "empty file"))
    p = folder / f"hitung_{first}_rusak.csv"
    p.write_bytes(rng.bytes(3000))
    bad_files.append((p, "binary garbage with a .csv name"))
    p = folder / f"hitung_{first}_format_lama.csv"
    sample = R.head(5)
    lines = ["kecamatan,desa,no_tps,paslon_1,paslon_2,sah"] + [
        f"{r['kode_kec']},{r['kode_tps'][:10]},{r['kode_tps'][10:]},{r['suara_paslon_1']},"
        f"{r['suara_paslon_2'] or 0},{r['suara_sah']}"
        for r in sample.iter_rows(named=True)
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad_files.append((p, "CSV missing required columns (kode_tps, jenis_pemilihan, suara_sah ...)"))
    unreadable = []
    for p, why in bad_files:
        drop.add_file(p, "tally", 0, format="unreadable")
        unreadable.append({"file": drop.rel(p), "why": why})
        drop.faults.append(
            {
                "kind": "unreadable_file",
                "side": "internal",
                "file": drop.rel(p),
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
        )

    # resolve fault locations
    info = {r[0]: r for r in R.select("_idx", "kode_tps", "kode_kontestasi").rows()}
    for f in faults:
        i = f.pop("_idx")
        lc = loc[i]
        col = f["field"]
        written = None
        header_col = None
        if col is not None:
            j = (lc.get("canonical") or lc["columns"]).index(col)
            header_col = lc["columns"][j]
            written = _written(lc, f["injected_value"], col, (i, col) in overrides)
        drop.faults.append(
            {
                "kind": f["kind"],
                "side": "internal",
                "file": lc["file"],
                "sheet": lc["sheet"],
                "row": lc["row"],
                "data_row": lc["data_row"],
                "header_row": lc["header_row"],
                "kode_tps": info[i][1],
                "kode_kontestasi": info[i][2],
                "field": col,
                "column": header_col,
                "true_value": f["true_value"],
                "injected_value": f["injected_value"],
                "written": written,
                **{
                    k: v
                    for k, v in f.items()
                    if k not in ("kind", "side", "field", "true_value", "injected_value")
                },
            }
        )
    reported_tc = int(tc.filter(pl.col("_t_int") <= as_of).height)
    return {
        "rows": n_rows,
        "files": len(keys) + len(bad_files),
        "xlsx_files": int(is_xlsx.sum()),
        "reported_tps_contest": reported_tc,
        "coverage": round(reported_tc / max(n_tc, 1), 4),
        "unreadable_files": unreadable,
        "batches_wib": [_label_wib(c) for c in cut],
    }


# --- official KPU results (kpu/) -------------------------------------------------------------------

_ADMIN_JSON: tuple[tuple[str, str], ...] = (
    ("suara_sah", "suara_sah"),
    ("suara_tidak_sah", "suara_tidak_sah"),
    ("suara_total", "suara_total"),
    ("pemilih_dpt_j", "pemilih_dpt"),
    ("pemilih_dpt_l", "pemilih_dpt_l"),
    ("pemilih_dpt_p", "pemilih_dpt_p"),
    ("pengguna_dpt_j", "pengguna_dpt"),
    ("pengguna_dpt_l", "pengguna_dpt_l"),
    ("pengguna_dpt_p", "pengguna_dpt_p"),
    ("pengguna_dptb_j", "pengguna_dptb"),
    ("pengguna_dptb_l", "pengguna_dptb_l"),
    ("pengguna_dptb_p", "pengguna_dptb_p"),
    ("pengguna_non_dpt_j", "pengguna_dpk"),
    ("pengguna_non_dpt_l", "pengguna_dpk_l"),
    ("pengguna_non_dpt_p", "pengguna_dpk_p"),
    ("pengguna_total_j", "pengguna_total"),
    ("pengguna_total_l", "pengguna_total_l"),
    ("pengguna_total_p", "pengguna_total_p"),
)
PSU_NOTE = "Pemungutan Suara Ulang"


def _pulls(as_of: int) -> list[int]:
    day0_wib = _epoch(dt.datetime(2024, 11, 27, tzinfo=dt.UTC)) - 7 * 3600
    return [day0_wib + int(h * 3600) for h in PULL_HOURS_WIB if day0_wib + h * 3600 <= as_of]


def _record_expr() -> pl.Expr:
    """The Sirekap Pilkada per-TPS JSON of a row, built column-wise (no Python loop per TPS)."""
    pieces = [
        pl.when(pl.col(f"_pid{s}").is_not_null() & pl.col(c).is_not_null())
        .then(
            pl.concat_str(pl.lit(',"'), pl.col(f"_pid{s}"), pl.lit('":'), pl.col(c).cast(pl.String))
        )
        .otherwise(pl.lit(""))
        for s, c in enumerate(VOTE_COLS)
    ]
    chart = (
        pl.when(pl.col("_chart_null"))
        .then(pl.lit("null"))
        .otherwise(pl.concat_str(pl.lit('{"null":null'), *pieces, pl.lit("}")))
    )
    adm_parts: list[pl.Expr] = []
    for k, (key, col) in enumerate(_ADMIN_JSON):
        adm_parts += [pl.lit(("{" if k == 0 else ",") + f'"{key}":'), pl.col(col).cast(pl.String)]
    adm = (
        pl.when(pl.col("_adm_null"))
        .then(pl.lit("null"))
        .otherwise(pl.concat_str(*adm_parts, pl.lit("}")))
    )
    ts = (pl.from_epoch(pl.col("_ts"), time_unit="s") + pl.duration(hours=7)).dt.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    img_t = (pl.from_epoch(pl.col("_ts") - 1800, time_unit="s") + pl.duration(hours=7)).dt.strftime(
        "%Y%m%d-%H%M%S"
    )
    image = pl.concat_str(
        pl.lit('["https://sirekap-obj-formc.kpu.go.id/'),
        ((pl.col("_tc") * 7919) % 9000 + 1000).cast(pl.String),
        pl.lit("/pilkada/"),
        pl.col("jenis"),
        pl.lit("/"),
        pl.col("kode_desa").str.replace_all(".", "/", literal=True),
        pl.lit("/"),
        pl.col("kode_tps"),
        pl.lit("-"),
        img_t,
        pl.lit('.jpg"]'),
    )
    psu = pl.when(pl.col("_psu")).then(pl.lit(f'"{PSU_NOTE}"')).otherwise(pl.lit("null"))
    return pl.concat_str(
        pl.lit('{"ts":"'),
        ts,
        pl.lit('","psu":'),
        psu,
        pl.lit(',"images":'),
        image,
        pl.lit(',"tungsura":{"chart":'),
        chart,
        pl.lit(',"administrasi":'),
        adm,
        pl.lit('},"status_suara":'),
        pl.when(pl.col("_chart_null")).then(pl.lit("false")).otherwise(pl.lit("true")),
        pl.lit(',"status_adm":'),
        pl.when(pl.col("_adm_null")).then(pl.lit("false")).otherwise(pl.lit("true")),
        pl.lit("}"),
    )


def _kpu(
    w: _World,
    drop: _Drop,
    rng: np.random.Generator,
    as_of: int,
    plan: dict[str, np.ndarray],
    bundle: bool,
) -> dict[str, Any]:
    """Write one snapshot per pull of every Sirekap record published by then."""
    pulls = _pulls(as_of)
    tc = w.tc
    pid = w.paslon.with_columns(
        pl.col("nomor_urut").replace_strict({n: s for s, n in enumerate(SLOT_NOMOR)}).alias("s")
    ).pivot(on="s", index="kode_kontestasi", values="paslon_id")
    pid = pid.rename({c: f"_pid{c}" for c in pid.columns if c != "kode_kontestasi"})
    for s in range(N_SLOTS):
        if f"_pid{s}" not in pid.columns:
            pid = pid.with_columns(pl.lit(None, pl.String).alias(f"_pid{s}"))
    K = tc.filter(~pl.col("_tc").is_in(plan["kpu_missing"])).join(pid, on="kode_kontestasi")
    K = K.with_columns(
        pl.col("_t_kpu").alias("_ts"),
        pl.col("_t_kpu").alias("_from"),
        pl.lit(2**62).alias("_to"),
        pl.lit(False).alias("_chart_null"),
        pl.lit(False).alias("_adm_null"),
        pl.lit(False).alias("_psu"),
    )
    faults: list[dict[str, Any]] = []
    slot_pid = {
        r[0]: r[1:]
        for r in pid.select("kode_kontestasi", *(f"_pid{s}" for s in range(N_SLOTS))).rows()
    }
    edits: dict[int, dict[str, Any]] = {}
    rows = {
        r["_tc"]: r
        for r in tc.filter(
            pl.col("_tc").is_in(np.concatenate([plan[k] for k in KPU_KINDS if k != "kpu_missing"]))
        ).to_dicts()
    }

    def f_add(kind: str, i: int, path: str, true: Any, inj: Any, **more: Any) -> None:
        faults.append(
            {
                "kind": kind,
                "_tc": i,
                "field": path,
                "true_value": true,
                "injected_value": inj,
                **more,
            }
        )

    for i in plan["kpu_ocr_hundreds"]:
        r = rows[int(i)]
        slots = [s for s, c in enumerate(VOTE_COLS) if r[c] is not None and 10 <= r[c] <= 99]
        s = slots[int(rng.integers(len(slots)))]
        v = r[VOTE_COLS[s]]
        digits = [d for d in (5, 8, 9) if d * 100 + v > r["pemilih_dpt"] * 1.025] or [9]
        bad = int(digits[int(rng.integers(len(digits)))]) * 100 + v
        edits[int(i)] = {VOTE_COLS[s]: bad}
        f_add(
            "kpu_ocr_hundreds",
            int(i),
            f"tungsura.chart.{slot_pid[r['kode_kontestasi']][s]}",
            v,
            bad,
            nomor_urut=SLOT_NOMOR[s],
            note="crossed-out hundreds box read as a digit: value far above the TPS's DPT",
        )
    for i in plan["kpu_sum_mismatch"]:
        r = rows[int(i)]
        d = int(rng.integers(3, 30))
        edits[int(i)] = {"suara_sah": r["suara_sah"] + d}
        f_add(
            "kpu_sum_mismatch",
            int(i),
            "tungsura.administrasi.suara_sah",
            r["suara_sah"],
            r["suara_sah"] + d,
            note="suara_sah ≠ Σ chart and suara_sah + tidak_sah ≠ suara_total",
        )
    for i in plan["kpu_psu"]:
        edits[int(i)] = {"_psu": True}
        f_add("kpu_psu", int(i), "psu", None, PSU_NOTE, note="PSU ordered at this TPS")
    for i in plan["kpu_chart_null"]:
        edits[int(i)] = {"_chart_null": True}
        f_add(
            "kpu_chart_null",
            int(i),
            "tungsura.chart",
            "(votes)",
            None,
            note="half-digitised: chart null, status_suara false",
        )
    for i in plan["kpu_administrasi_null"]:
        edits[int(i)] = {"_adm_null": True}
        f_add(
            "kpu_administrasi_null",
            int(i),
            "tungsura.administrasi",
            "(counts)",
            None,
            note="half-digitised: administrasi null, status_adm false",
        )
    if edits:
        ed = pl.DataFrame(
            [{"_tc": i, **{f"_e_{k}": v for k, v in e.items()}} for i, e in edits.items()],
            infer_schema_length=None,
        )
        K = (
            K.join(ed, on="_tc", how="left")
            .with_columns(
                pl.coalesce(pl.col(f"_e_{c[3:]}"), pl.col(c[3:])).alias(c[3:])
                for c in ed.columns
                if c.startswith("_e_")
            )
            .drop([c for c in ed.columns if c.startswith("_e_")])
        )
    # revisions: an early wrong version (two paslon swapped), replaced later with a new ts
    revised = []
    if len(pulls) >= 2:
        rev_rows = []
        for i in plan["kpu_revision"]:
            r = rows[int(i)]
            sl = [c for c in VOTE_COLS if r[c] is not None]
            a, b = sorted(sl, key=lambda c: -r[c])[:2]
            if r[a] == r[b]:
                continue
            t_rev = int(rng.integers(pulls[0] + 1800, pulls[-1] - 600))
            rev_rows.append({"_tc": int(i), "_rev_t": t_rev, "_a": a, "_b": b})
            revised.append((int(i), a, b, r[a], r[b], t_rev))
        if rev_rows:
            early = K.filter(pl.col("_tc").is_in([x["_tc"] for x in rev_rows]))
            wrong = []
            for x in rev_rows:
                e = early.filter(pl.col("_tc") == x["_tc"])
                va, vb = e[x["_a"]][0], e[x["_b"]][0]
                wrong.append(
                    e.with_columns(
                        pl.lit(vb, pl.Int64).alias(x["_a"]),
                        pl.lit(va, pl.Int64).alias(x["_b"]),
                        pl.lit(x["_rev_t"], pl.Int64).alias("_to"),
                    )
                )
            right = (
                early.join(pl.DataFrame(rev_rows).select("_tc", "_rev_t"), on="_tc")
                .with_columns(pl.col("_rev_t").alias("_from"), pl.col("_rev_t").alias("_ts"))
                .drop("_rev_t")
            )
            K = pl.concat(
                [
                    K.filter(~pl.col("_tc").is_in([x["_tc"] for x in rev_rows])),
                    *wrong,
                    right.select(K.columns),
                ]
            )
    K = (
        K.with_columns(_record_expr().alias("_rec"))
        .select("_tc", "kode_tps", "jenis", "kode_kontestasi", "_from", "_to", "_rec")
        .sort("kode_tps", "jenis", "_from")
    )

    where: dict[tuple[int, str], dict[str, Any]] = {}  # (_tc, pull) -> file/row
    per_pull = {}
    n_files = 0
    fault_tc = np.concatenate([plan[k] for k in KPU_KINDS]).astype(np.int64).tolist()
    for t in pulls:
        label = _label_wib(t)
        snap = K.filter((pl.col("_from") <= t) & (pl.col("_to") > t))
        per_pull[label] = {
            "records": snap.height,
            "coverage": round(snap.height / max(tc.height, 1), 4),
        }
        for jenis in sorted(snap["jenis"].unique().to_list()):
            part = snap.filter(pl.col("jenis") == jenis).with_row_index("_line", offset=1)
            if bundle:
                path = drop.out / "kpu" / label / "tps" / f"{jenis}.jsonl"
                path.parent.mkdir(parents=True, exist_ok=True)
                part.select(
                    pl.concat_str(
                        pl.lit('{"kode_tps":"'),
                        pl.col("kode_tps"),
                        pl.lit('","record":'),
                        pl.col("_rec"),
                        pl.lit("}"),
                    )
                ).write_csv(path, include_header=False, quote_style="never", line_terminator="\n")
                drop.add_file(path, "kpu_tps", part.height, format="jsonl", pull=label)
                n_files += 1
                rel = drop.rel(path)
                for i, ln in (
                    part.filter(pl.col("_tc").is_in(fault_tc)).select("_tc", "_line").rows()
                ):
                    where[(i, label)] = {"file": rel, "row": ln}
            else:
                folder = drop.out / "kpu" / label / "tps" / jenis
                folder.mkdir(parents=True, exist_ok=True)
                # os.open relative to the folder's descriptor: ~10x faster than open() per file
                dfd = os.open(folder, os.O_RDONLY)
                try:
                    for kode, rec in part.select("kode_tps", "_rec").rows():
                        fd = os.open(
                            f"{kode}.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dfd
                        )
                        os.write(fd, rec.encode("utf-8"))
                        os.close(fd)
                finally:
                    os.close(dfd)
                n_files += part.height
                for i, kode in (
                    part.filter(pl.col("_tc").is_in(fault_tc)).select("_tc", "kode_tps").rows()
                ):
                    where[(i, label)] = {
                        "file": f"kpu/{label}/tps/{jenis}/{kode}.json",
                        "row": None,
                    }
    info = {
        r[0]: r
        for r in tc.filter(pl.col("_tc").is_in(fault_tc))
        .select("_tc", "kode_tps", "kode_kontestasi", "jenis")
        .rows()
    }
    labels = [_label_wib(t) for t in pulls]

    def emit(kind: str, i: int, fld: str | None, true: Any, inj: Any, visible: list[str], **m: Any):
        first = visible[0] if visible else None
        loc = (
            where.get((i, first), {"file": None, "row": None})
            if first
            else {"file": None, "row": None}
        )
        drop.faults.append(
            {
                "kind": kind,
                "side": "kpu",
                "file": loc["file"],
                "sheet": None,
                "row": loc["row"],
                "data_row": loc["row"],
                "kode_tps": info[i][1],
                "kode_kontestasi": info[i][2],
                "field": fld,
                "true_value": true,
                "injected_value": inj,
                "pulls": visible,
                "rows_by_pull": {p: where[(i, p)]["row"] for p in visible} if bundle else None,
                **m,
            }
        )

    for f in faults:
        i = f.pop("_tc")
        vis = [p for p in labels if (i, p) in where]
        emit(
            f.pop("kind"), i, f.pop("field"), f.pop("true_value"), f.pop("injected_value"), vis, **f
        )
    for i, a, b, va, vb, t_rev in revised:
        vis_wrong = [p for p, t in zip(labels, pulls, strict=True) if t < t_rev and (i, p) in where]
        vis_right = [
            p for p, t in zip(labels, pulls, strict=True) if t >= t_rev and (i, p) in where
        ]
        pa = slot_pid[info[i][2]][VOTE_COLS.index(a)]
        pb = slot_pid[info[i][2]][VOTE_COLS.index(b)]
        for fld, tv, iv in ((f"tungsura.chart.{pa}", va, vb), (f"tungsura.chart.{pb}", vb, va)):
            emit(
                "kpu_revision",
                i,
                fld,
                tv,
                iv,
                vis_wrong,
                revised_in=vis_right,
                revised_ts_wib=dt.datetime.fromtimestamp(
                    t_rev, dt.timezone(dt.timedelta(hours=7))
                ).strftime("%Y-%m-%d %H:%M:%S"),
                note="early record had two paslon swapped; a later pull carries the corrected record",
            )
    for i in plan["kpu_missing"]:
        emit("kpu_missing", int(i), None, None, None, [], note="never published by KPU")
    return {"pulls": per_pull, "files": n_files, "bundled": bundle}


def _rekap(w: _World, drop: _Drop, rng: np.random.Generator) -> list[dict[str, Any]]:
    """D.Hasil recapitulation of a few kecamatan: one row per desa × contest, paslon wide."""
    folder = drop.out / "kpu" / "rekap"
    folder.mkdir(parents=True, exist_ok=True)
    tc = w.tc
    kecs = sorted(tc["kode_kec"].unique().to_list())
    by_kab: dict[str, list[str]] = {}
    for k in kecs:
        by_kab.setdefault(k[:5], []).append(k)
    kabs = sorted(by_kab)
    chosen_kab = [kabs[i] for i in sorted(rng.choice(len(kabs), min(3, len(kabs)), replace=False))]
    chosen = [by_kab[k][int(rng.integers(len(by_kab[k])))] for k in chosen_kab]
    while len(chosen) < min(3, len(kecs)):
        extra = [k for k in kecs if k not in chosen]
        chosen.append(extra[int(rng.integers(len(extra)))])
    out = []
    for n, kec in enumerate(chosen):
        sub = tc.filter(pl.col("kode_kec") == kec)
        agg = (
            sub.group_by("kode_desa", "kode_kontestasi", "jenis")
            .agg(
                *(
                    pl.col(c).sum().alias(c)
                    if sub[c].is_not_null().any()
                    else pl.lit(None).alias(c)
                    for c in VOTE_COLS
                ),
                pl.col("suara_sah").sum(),
                pl.col("suara_tidak_sah").sum(),
                pl.len().alias("tps_total"),
            )
            .sort("kode_desa", "kode_kontestasi")
        )
        agg = agg.with_columns(pl.col("tps_total").alias("tps_masuk"))
        vcols = [c for c in VOTE_COLS if agg[c].is_not_null().any()]
        cols = [
            "kode_wilayah",
            "jenis_pemilihan",
            *vcols,
            "suara_sah",
            "suara_tidak_sah",
            "tps_total",
            "tps_masuk",
        ]
        rows = []
        for r in agg.iter_rows(named=True):
            code = r["kode_desa"] if n != 1 else r["kode_desa"].replace(".", "")
            rows.append(
                [
                    code,
                    r["jenis"],
                    *(r[c] for c in vcols),
                    r["suara_sah"],
                    r["suara_tidak_sah"],
                    r["tps_total"],
                    r["tps_masuk"],
                ]
            )
        stem = f"dhasil_kec_{kec.replace('.', '')}"
        if n == 2:
            path = folder / f"{stem}.xlsx"
            title = [
                [f"D.HASIL KECAMATAN {w.names.get(kec, kec).upper()}"],
                ["Rekapitulasi hasil penghitungan suara per desa/kelurahan"],
                [],
            ]
            _write_xlsx(path, [("D.Hasil", [*title, cols, *rows])])
            meta = {"format": "xlsx", "header_row": 4, "sheets": ["D.Hasil"]}
        elif n == 1:
            path = folder / f"{stem}.csv"
            text = _csv_bytes(
                cols,
                [
                    [_thousands(v) if isinstance(v, int) else ("" if v is None else v) for v in r]
                    for r in rows
                ],
                ";",
            )
            path.write_bytes(_encode(text, "utf-8"))
            meta = {"format": "csv", "separator": ";", "thousands": True, "header_row": 1}
        else:
            path = folder / f"{stem}.csv"
            text = _csv_bytes(cols, [["" if v is None else str(v) for v in r] for r in rows], ",")
            path.write_bytes(_encode(text, "utf-8"))
            meta = {"format": "csv", "separator": ",", "thousands": False, "header_row": 1}
        drop.add_file(path, "official_region", len(rows), **meta)
        totals = (
            agg.group_by("kode_kontestasi")
            .agg(
                *(pl.col(c).sum() for c in vcols),
                pl.col("suara_sah").sum(),
                pl.col("suara_tidak_sah").sum(),
                pl.col("tps_total").sum(),
            )
            .sort("kode_kontestasi")
        )
        out.append(
            {
                "file": drop.rel(path),
                "kode_kecamatan": kec,
                "rows": len(rows),
                "totals": totals.to_dicts(),
            }
        )
    return out


# --- incidents (insiden/) --------------------------------------------------------------------------

#: (code, first day, last day, weight) — DOMAIN §6 stage windows.
_STAGES: tuple[tuple[str, dt.date, dt.date, float], ...] = (
    ("pemutakhiran_data_pemilih", dt.date(2024, 5, 31), dt.date(2024, 9, 23), 0.08),
    ("pendaftaran_paslon", dt.date(2024, 8, 27), dt.date(2024, 8, 29), 0.03),
    ("penetapan_paslon", dt.date(2024, 9, 22), dt.date(2024, 9, 22), 0.02),
    ("kampanye", dt.date(2024, 9, 25), dt.date(2024, 11, 23), 0.40),
    ("masa_tenang", dt.date(2024, 11, 24), dt.date(2024, 11, 26), 0.17),
    ("pemungutan_penghitungan", dt.date(2024, 11, 27), dt.date(2024, 11, 27), 0.22),
    ("rekapitulasi", dt.date(2024, 11, 28), dt.date(2024, 12, 16), 0.08),
)
_CAT_BY_STAGE: dict[str, dict[str, float]] = {
    "pemutakhiran_data_pemilih": {
        "data_pemilih": 0.7,
        "netralitas": 0.1,
        "infrastruktur": 0.1,
        "lainnya": 0.1,
    },
    "pendaftaran_paslon": {
        "kamtibmas": 0.3,
        "pelanggaran_kampanye": 0.2,
        "netralitas": 0.2,
        "lainnya": 0.3,
    },
    "penetapan_paslon": {"kamtibmas": 0.4, "netralitas": 0.2, "lainnya": 0.4},
    "kampanye": {
        "pelanggaran_kampanye": 0.35,
        "politik_uang": 0.2,
        "netralitas": 0.2,
        "kamtibmas": 0.15,
        "infrastruktur": 0.05,
        "lainnya": 0.05,
    },
    "masa_tenang": {
        "politik_uang": 0.35,
        "pelanggaran_kampanye": 0.25,
        "logistik": 0.2,
        "kamtibmas": 0.1,
        "netralitas": 0.1,
    },
    "pemungutan_penghitungan": {
        "prosedur_pungut_hitung": 0.3,
        "logistik": 0.2,
        "kamtibmas": 0.13,
        "politik_uang": 0.1,
        "data_pemilih": 0.15,
        "infrastruktur": 0.1,
        "protokol_kesehatan": 0.02,
    },
    "rekapitulasi": {
        "prosedur_pungut_hitung": 0.4,
        "kamtibmas": 0.3,
        "infrastruktur": 0.2,
        "lainnya": 0.1,
    },
}
#: Written forms of each canonical code: (text, how it is messy).
_CAT_LABELS: dict[str, tuple[tuple[str, str], ...]] = {
    "kamtibmas": (
        ("Kamtibmas", "canon"),
        ("KAMTIBMAS", "case"),
        ("intimidasi", "synonym"),
        ("Kekerasan", "synonym"),
        ("kamtibmass", "misspelling"),
    ),
    "logistik": (
        ("Logistik", "canon"),
        ("Logistk", "misspelling"),
        ("distribusi logistik", "synonym"),
        ("LOGISTIK", "case"),
    ),
    "data_pemilih": (
        ("Data Pemilih", "canon"),
        ("data pemilih", "case"),
        ("DPT bermasalah", "synonym"),
        ("data pemilh", "misspelling"),
    ),
    "pelanggaran_kampanye": (
        ("Pelanggaran Kampanye", "canon"),
        ("APK", "synonym"),
        ("Hoaks", "synonym"),
        ("pelangaran kampanye", "misspelling"),
    ),
    "politik_uang": (
        ("Politik Uang", "canon"),
        ("politk uang", "misspelling"),
        ("money politics", "synonym"),
        ("serangan fajar", "synonym"),
        ("POLITIK UANG", "case"),
    ),
    "netralitas": (
        ("Netralitas", "canon"),
        ("Netralitas ASN", "synonym"),
        ("netralitas kades", "synonym"),
        ("netralitass", "misspelling"),
    ),
    "protokol_kesehatan": (("Protokol Kesehatan", "canon"), ("prokes", "synonym")),
    "prosedur_pungut_hitung": (
        ("Prosedur Pungut Hitung", "canon"),
        ("pungut hitung", "synonym"),
        ("Salah prosedur KPPS", "synonym"),
        ("prosedur pungut-hitung", "case"),
    ),
    "infrastruktur": (
        ("Infrastruktur", "canon"),
        ("listrik padam", "synonym"),
        ("Banjir", "synonym"),
        ("infrastuktur", "misspelling"),
    ),
    "lainnya": (("Lainnya", "canon"), ("lain-lain", "synonym")),
}
_UNMAPPABLE = ("???", "Kejadian khusus", "lihat keterangan", "xx")
_STAGE_LABELS: dict[str, tuple[str, ...]] = {
    "pemutakhiran_data_pemilih": ("Pemutakhiran Data Pemilih", "pemutakhiran data pemilih"),
    "pendaftaran_paslon": ("Pendaftaran Paslon", "pendaftaran paslon"),
    "penetapan_paslon": ("Penetapan Paslon", "penetapan paslon"),
    "kampanye": ("Kampanye", "kampanye", "KAMPANYE"),
    "masa_tenang": ("Masa Tenang", "masa tenang"),
    "pemungutan_penghitungan": (
        "Pemungutan dan Penghitungan Suara",
        "pemungutan_penghitungan",
        "Pungut Hitung",
    ),
    "rekapitulasi": ("Rekapitulasi", "rekapitulasi"),
}
_SEV_LABELS = {
    "kritis": ("Kritis", "KRITIS", "kritis"),
    "tinggi": ("Tinggi", "tinggi", "TINGGI"),
    "sedang": ("Sedang", "sedang", "sedang "),
    "rendah": ("Rendah", "rendah"),
}
_VER_LABELS = {
    "belum_diverifikasi": ("Belum diverifikasi", "belum_diverifikasi"),
    "terkonfirmasi": ("Terkonfirmasi", "terkonfirmasi"),
    "terverifikasi_resmi": ("Terverifikasi resmi", "terverifikasi_resmi"),
    "dibantah": ("Dibantah", "dibantah"),
}
_HAN_LABELS = {
    "baru": ("Baru", "baru"),
    "ditangani": ("Ditangani", "ditangani"),
    "selesai": ("Selesai", "selesai"),
}
_INSTANSI_BY_CAT = {
    "kamtibmas": "Polres",
    "logistik": "KPU",
    "data_pemilih": "Dukcapil",
    "pelanggaran_kampanye": "Bawaslu",
    "politik_uang": "Bawaslu",
    "netralitas": "Bawaslu",
    "protokol_kesehatan": "Pemda",
    "prosedur_pungut_hitung": "KPU",
    "infrastruktur": "Pemda",
    "lainnya": "Pemda",
}
_DESC = {
    "kamtibmas": "Keributan antarpendukung di sekitar lokasi; aparat berjaga.",
    "logistik": "Kotak/surat suara terlambat tiba atau kurang dari kebutuhan.",
    "data_pemilih": "Warga tidak terdaftar di DPT meski memiliki KTP-el setempat.",
    "pelanggaran_kampanye": "APK dipasang di luar zona yang ditetapkan.",
    "politik_uang": "Laporan pembagian uang/sembako kepada pemilih.",
    "netralitas": "Dugaan keterlibatan ASN/kepala desa dalam kegiatan paslon.",
    "protokol_kesehatan": "Antrean padat tanpa pengaturan di TPS.",
    "prosedur_pungut_hitung": "KPPS tidak menunjukkan kotak kosong saat pembukaan TPS.",
    "infrastruktur": "Listrik padam/akses jalan terputus menghambat kegiatan.",
    "lainnya": "Kejadian lain yang dilaporkan masyarakat.",
}


def _choice(rng: np.random.Generator, seq: tuple[Any, ...] | list[Any]) -> Any:
    return seq[int(rng.integers(len(seq)))]


def _incidents(w: _World, drop: _Drop, rng: np.random.Generator, as_of: int) -> dict[str, Any]:
    """Incident reports over the stages: one row per report, messy labels, a few hotspots."""
    folder = drop.out / "insiden"
    folder.mkdir(parents=True)
    tps = w.tps
    kabs = sorted(tps["kode_kab"].unique().to_list())
    kec_by_kab: dict[str, list[str]] = {}
    for k in sorted(tps["kode_kec"].unique().to_list()):
        kec_by_kab.setdefault(k[:5], []).append(k)
    desa_by_kec: dict[str, list[str]] = {}
    for d in sorted(tps["kode_desa"].unique().to_list()):
        desa_by_kec.setdefault(d[:8], []).append(d)
    tps_by_desa: dict[str, list[str]] = {}
    for kode, d in tps.select("kode_tps", "kode_desa").rows():
        tps_by_desa.setdefault(d, []).append(kode)
    off_by_kab = dict(w.tc.select("kode_kab", "tz_off").unique().rows())
    provs = sorted({k[:2] for k in kabs})
    # hotspots: 2–3 kecamatan (2 per province in the national scenario)
    n_hot = 2 * len(provs) if len(provs) > 1 else (2 if len(kabs) == 1 else 3)
    all_kec = [k for kab in kabs for k in kec_by_kab[kab]]
    hot = sorted(_choice(rng, all_kec) for _ in range(n_hot))
    hot = sorted(set(hot))
    stage_w = np.array([s[3] for s in _STAGES])
    stage_w = stage_w / stage_w.sum()
    specs = []  # (kab, stage index, hotspot kec or None)
    for kab in kabs:
        for _ in range(int(rng.integers(10, 20))):
            specs.append((kab, int(rng.choice(len(_STAGES), p=stage_w)), None))
    for kec in hot:
        for _ in range(int(rng.integers(6, 10))):
            specs.append((kec[:5], int(rng.choice([4, 5, 5, 6])), kec))
    rows = []
    tz_cache: dict[int, dt.timezone] = {}
    for n, (kab, si, hot_kec) in enumerate(specs):
        code, d0, d1, _ = _STAGES[si]
        off = off_by_kab.get(kab, 7)
        tz = tz_cache.setdefault(off, dt.timezone(dt.timedelta(hours=off)))
        start = _epoch(dt.datetime.combine(d0, dt.time(6), tz))
        end = min(_epoch(dt.datetime.combine(d1, dt.time(22), tz)), as_of - 3600)
        if si == 6:
            start = _epoch(dt.datetime.combine(dt.date(2024, 11, 27), dt.time(18), tz))
        if end <= start:
            continue
        t_k = int(rng.integers(start, end)) // 60 * 60
        t_l = min(as_of, t_k + int(rng.integers(30, 36 * 60)) * 60)
        if hot_kec:
            cat = _choice(rng, ("kamtibmas", "kamtibmas", "politik_uang", "prosedur_pungut_hitung"))
            sev = _choice(rng, ("kritis", "tinggi", "tinggi"))
            kec = hot_kec
        else:
            cw = _CAT_BY_STAGE[code]
            cat = str(rng.choice(list(cw), p=np.array(list(cw.values())) / sum(cw.values())))
            sev = str(
                rng.choice(["kritis", "tinggi", "sedang", "rendah"], p=[0.05, 0.2, 0.4, 0.35])
            )
            kec = _choice(rng, kec_by_kab[kab])
        desa = _choice(rng, desa_by_kec[kec])
        cats = [cat]
        tags = []
        label, how = _choice(rng, _CAT_LABELS[cat])
        unmappable = False
        if not hot_kec and cat == "lainnya" and rng.random() < 0.5:
            label, how, unmappable = _choice(rng, _UNMAPPABLE), "unmappable", True
        if how != "canon":
            tags.append(how)
        if rng.random() < 0.12 and not unmappable:
            other = _choice(rng, [c for c in _CAT_LABELS if c not in (cat, "lainnya")])
            cats.append(other)
            label = label + _choice(rng, ("; ", ", ", " / ", " dan ")) + _CAT_LABELS[other][0][0]
            tags.append("multi_label")
        ver = str(rng.choice(list(_VER_LABELS), p=[0.35, 0.3, 0.25, 0.1]))
        han = str(rng.choice(list(_HAN_LABELS), p=[0.3, 0.4, 0.3]))
        if hot_kec and han == "selesai":
            han = "ditangani"
        inst = _INSTANSI_BY_CAT[cat]
        t_h = min(as_of, t_l + int(rng.integers(60, 24 * 60)) * 60) if han != "baru" else None
        loc_mode = rng.random()
        missing = loc_mode < 0.08 and not hot_kec
        if missing:
            kode_w, lokasi, true_w = "", _choice(rng, ("", "dekat pasar", "-")), None
            tags.append("missing_location")
        elif loc_mode < 0.5:
            kode_w, true_w = desa, desa
            lokasi = f"Desa {w.names.get(desa, desa)}, Kec. {w.names.get(kec, kec)}"
        elif loc_mode < 0.6:
            kode_w, true_w = desa.replace(".", ""), desa
            lokasi = f"{w.names.get(desa, desa)}"
        else:
            kode_w, true_w = kec, kec
            lokasi = f"Kec. {w.names.get(kec, kec)}"
        kode_tps = ""
        if code == "pemungutan_penghitungan" and not missing and rng.random() < 0.4:
            kode_tps = _choice(rng, tps_by_desa[desa])
            true_w = desa
            kode_w = kode_w if kode_w else desa
        ident = "" if rng.random() < 0.05 else f"INS-{kab.replace('.', '')}-{n + 1:05d}"
        rows.append(
            {
                "id_insiden": ident,
                "waktu_kejadian": _local_str(t_k, off),
                "waktu_laporan": _local_str(t_l, off),
                "kode_wilayah": kode_w,
                "kode_tps": kode_tps,
                "lokasi": lokasi,
                "tahapan": _choice(rng, _STAGE_LABELS[code]),
                "kategori": label,
                "tingkat_keparahan": _choice(rng, _SEV_LABELS[sev]),
                "status_verifikasi": _choice(rng, _VER_LABELS[ver]),
                "status_penanganan": _choice(rng, _HAN_LABELS[han]),
                "instansi": inst if han != "baru" or rng.random() < 0.5 else "",
                "waktu_penanganan": _local_str(t_h, off) if t_h else "",
                "deskripsi": _DESC[cat],
                "_truth": {
                    "tahapan": code,
                    "kategori": cats if not unmappable else ["lainnya"],
                    "tingkat_keparahan": sev,
                    "status_verifikasi": ver,
                    "status_penanganan": han,
                    "instansi": inst if han != "baru" else None,
                    "kode_wilayah": true_w,
                    "kode_tps": kode_tps or None,
                    "hotspot": hot_kec is not None,
                    "unmappable": unmappable,
                    "messy": tags,
                },
                "_t": t_l,
                "_off": off,
                "_si": si,
            }
        )
    groups = {
        "insiden_pra_pemungutan.csv": [r for r in rows if r["_si"] <= 3],
        "insiden_masa_tenang.xlsx": [r for r in rows if r["_si"] == 4],
        "insiden_hari_pemungutan.csv": [r for r in rows if r["_si"] == 5],
        "insiden_rekapitulasi.csv": [r for r in rows if r["_si"] == 6],
    }
    listing = []
    for fname, grp in groups.items():
        grp.sort(key=lambda r: (r["_t"], r["id_insiden"], r["kode_wilayah"]))
        path = folder / fname
        hdr = list(INCIDENT_HEADERS)
        if fname.endswith(".xlsx"):
            title = [
                ["REKAP LAPORAN INSIDEN — MASA TENANG"],
                ["Sumber: Bawaslu, Polres, Kesbangpol"],
                [],
            ]
            body = []
            for r in grp:
                vals = []
                for h in hdr:
                    v = r[h]
                    if h.startswith("waktu") and v:
                        v = dt.datetime.strptime(v, "%Y-%m-%d %H:%M")
                    vals.append(v if v != "" else None)
                body.append(vals)
            _write_xlsx(path, [("Insiden", [*title, hdr, *body])])
            header_row, sheet, meta = 4, "Insiden", {"format": "xlsx", "sheets": ["Insiden"]}
        else:
            sep = ";" if "hari" in fname else ","
            enc = "utf-8-sig" if "hari" in fname else "utf-8"
            text = _csv_bytes(hdr, [[r[h] for h in hdr] for r in grp], sep)
            path.write_bytes(_encode(text, enc))
            header_row, sheet, meta = 1, None, {"format": "csv", "separator": sep, "encoding": enc}
        drop.add_file(path, "incidents", len(grp), header_row=header_row, **meta)
        for d_i, r in enumerate(grp, start=1):
            entry = {
                "file": drop.rel(path),
                "sheet": sheet,
                "row": header_row + d_i,
                "data_row": d_i,
                "id_insiden": r["id_insiden"] or None,
                "written": {
                    k: r[k] for k in ("tahapan", "kategori", "tingkat_keparahan", "kode_wilayah")
                },
                **r["_truth"],
            }
            listing.append(entry)
            for tag in r["_truth"]["messy"]:
                drop.faults.append(
                    {
                        "kind": f"incident_{tag}",
                        "side": "incident",
                        "file": entry["file"],
                        "sheet": sheet,
                        "row": entry["row"],
                        "data_row": d_i,
                        "header_row": header_row,
                        "kode_tps": r["kode_tps"] or None,
                        "kode_kontestasi": None,
                        "field": "kode_wilayah" if tag == "missing_location" else "kategori",
                        "column": "kode_wilayah" if tag == "missing_location" else "kategori",
                        "true_value": r["_truth"]["kode_wilayah"]
                        if tag == "missing_location"
                        else r["_truth"]["kategori"],
                        "injected_value": r["kode_wilayah"]
                        if tag == "missing_location"
                        else r["kategori"],
                        "written": (
                            r["kode_wilayah"] if tag == "missing_location" else r["kategori"]
                        )
                        or (None if sheet else ""),
                    }
                )
    hotspots = []
    for kec in hot:
        hs = [
            e
            for e in listing
            if e["hotspot"] and e["kode_wilayah"] and e["kode_wilayah"][:8] == kec
        ]
        hotspots.append(
            {
                "kode_kecamatan": kec,
                "nama": w.names.get(kec, kec),
                "incidents": len(hs),
                "kritis_tinggi": len(hs),
            }
        )
    return {"rows": len(listing), "files": len(groups), "hotspots": hotspots, "listing": listing}


# --- readiness (kesiapan/) -------------------------------------------------------------------------


def _readiness(w: _World, drop: _Drop, rng: np.random.Generator, as_of: int) -> dict[str, Any]:
    """Readiness per kab/kota per day (1–28 Nov): logistics, KTP-el recording, NPHD paid."""
    folder = drop.out / "kesiapan"
    folder.mkdir(parents=True)
    kabs = sorted(w.tps["kode_kab"].unique().to_list())
    n_kec = w.tps.group_by("kode_kab").agg(pl.col("kode_kec").n_unique()).rows()
    n_kec_d = dict(n_kec)
    dpt = dict(w.tps.group_by("kode_kab").agg(pl.col("pemilih_dpt").sum()).rows())
    last_day = dt.datetime.fromtimestamp(as_of, dt.timezone(dt.timedelta(hours=7))).date()
    days = [dt.date(2024, 11, d) for d in range(1, 29) if dt.date(2024, 11, d) <= last_day]
    n_lag = max(1, len(kabs) // 6)
    lag_kabs = sorted(_choice(rng, kabs) for _ in range(n_lag))
    laggards = {}
    for k in sorted(set(lag_kabs)):
        inds = ["logistik_diterima", "perekaman_ktp_el", "nphd_dibayar"]
        pick = [inds[i] for i in sorted(rng.choice(3, int(rng.integers(1, 3)), replace=False))]
        for ind in pick:
            laggards[(k, ind)] = True
    out_rows: dict[str, list[list[Any]]] = {i: [] for i in READINESS_TARGET_INDICATORS}
    last_vals = []
    for k in kabs:
        start = rng.uniform(3, 10)
        end = rng.uniform(17, 23)
        ktp0, ktp1 = rng.uniform(0.95, 0.975), rng.uniform(0.982, 0.995)
        hibah = int(rng.uniform(20, 150)) * 1_000_000_000 + int(rng.integers(0, 999)) * 1_000_000
        nphd_end = rng.uniform(8, 18)
        wajib = int(dpt[k] * rng.uniform(1.01, 1.05))
        for d in days:
            x = d.day
            # logistics: kecamatan that hold their logistics
            frac = float(np.clip((x - start) / (end - start), 0, 1))
            if laggards.get((k, "logistik_diterima")):
                frac = min(frac, 0.55 + 0.012 * x)
            num = int(round(frac * n_kec_d[k]))
            out_rows["logistik_diterima"].append(
                [k, d.isoformat(), "logistik_diterima", num, n_kec_d[k], f"{num / n_kec_d[k]:.4f}"]
            )
            # KTP-el recording among those obliged
            share = ktp0 + (ktp1 - ktp0) * min(1.0, x / 26)
            if laggards.get((k, "perekaman_ktp_el")):
                share = ktp0 - 0.02 + 0.0004 * x
            rec = int(round(share * wajib))
            out_rows["perekaman_ktp_el"].append(
                [k, d.isoformat(), "perekaman_ktp_el", rec, wajib, rec / wajib]
            )
            # NPHD paid (tranches)
            paid = 0.4 + 0.6 * min(1.0, x / nphd_end)
            if laggards.get((k, "nphd_dibayar")):
                paid = min(paid, 0.7)
            amt = int(round(paid * hibah / 1_000_000)) * 1_000_000
            out_rows["nphd_dibayar"].append(
                [k, d, "nphd_dibayar", amt, hibah, round(amt / hibah, 4)]
            )
        for ind, rows in out_rows.items():
            if (k, ind) in laggards:
                last_vals.append(
                    {
                        "kode_wilayah": k,
                        "indikator": ind,
                        "tanggal": days[-1].isoformat(),
                        "nilai": round(float(rows[-1][3]) / rows[-1][4], 4),
                    }
                )
    hdr = list(READINESS_HEADERS)
    p = folder / "logistik_diterima.csv"
    p.write_bytes(
        _encode(
            _csv_bytes(hdr, [[str(v) for v in r] for r in out_rows["logistik_diterima"]], ","),
            "utf-8",
        )
    )
    drop.add_file(
        p,
        "readiness",
        len(out_rows["logistik_diterima"]),
        format="csv",
        separator=",",
        header_row=1,
    )
    p = folder / "perekaman_ktp_el.csv"
    rows = [
        [
            r[0],
            r[1],
            r[2],
            _thousands(r[3]),
            _thousands(r[4]),
            f"{r[5] * 100:.2f}".replace(".", ",") + "%",
        ]
        for r in out_rows["perekaman_ktp_el"]
    ]
    p.write_bytes(_encode(_csv_bytes(hdr, rows, ";"), "utf-8"))
    drop.add_file(
        p,
        "readiness",
        len(rows),
        format="csv",
        separator=";",
        thousands=True,
        header_row=1,
        note="nilai as '98,03%', counts with '.' thousands",
    )
    p = folder / "nphd_dibayar.xlsx"
    title = [["REALISASI PEMBAYARAN NPHD PILKADA 2024"], ["Sumber: BPKAD; nilai dalam rupiah"], []]
    _write_xlsx(p, [("NPHD", [*title, hdr, *out_rows["nphd_dibayar"]])])
    drop.add_file(
        p, "readiness", len(out_rows["nphd_dibayar"]), format="xlsx", sheets=["NPHD"], header_row=4
    )
    return {
        "rows": sum(len(v) for v in out_rows.values()),
        "files": 3,
        "days": [days[0].isoformat(), days[-1].isoformat()] if days else [],
        "laggards": last_vals,
    }


READINESS_TARGET_INDICATORS = ("logistik_diterima", "perekaman_ktp_el", "nphd_dibayar")


# --- reference tables, truth summary, manifest -----------------------------------------------------


def _references(w: _World, drop: _Drop) -> None:
    folder = drop.out / "referensi"
    folder.mkdir(parents=True)
    p = folder / "tps.csv"
    w.tps.select(
        "kode_tps", "kode_desa", "nomor_tps", "pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p"
    ).write_csv(p, line_terminator="\n")
    drop.add_file(p, "ref_tps", w.tps.height, format="csv", separator=",", header_row=1)
    p = folder / "paslon.csv"
    w.paslon.write_csv(p, line_terminator="\n")
    drop.add_file(p, "ref_paslon", w.paslon.height, format="csv", separator=",", header_row=1)


def _truth_summary(w: _World, as_of: int) -> list[dict[str, Any]]:
    """Per contest: the true totals, and the true totals of what the internal count holds by as_of."""
    nomor = {c: n for c, n in zip(VOTE_COLS, SLOT_NOMOR, strict=True)}
    out = []

    def agg(df: pl.DataFrame) -> pl.DataFrame:
        return df.group_by("kode_kontestasi").agg(
            pl.len().alias("tps"),
            pl.col("pemilih_dpt").sum(),
            pl.col("pengguna_total").sum(),
            pl.col("suara_sah").sum(),
            pl.col("suara_tidak_sah").sum(),
            pl.col("suara_total").sum(),
            *(pl.col(c).sum().alias(c) for c in VOTE_COLS),
        )

    full = {r["kode_kontestasi"]: r for r in agg(w.tc).to_dicts()}
    rep = {r["kode_kontestasi"]: r for r in agg(w.tc.filter(pl.col("_t_int") <= as_of)).to_dicts()}
    present = w.paslon.group_by("kode_kontestasi").agg(pl.col("nomor_urut"))
    pres = dict(present.rows())
    for code in sorted(full):
        f = full[code]
        r = rep.get(code)
        noms = sorted(pres[code], key=lambda n: (n == 0, n))

        def votes(x: dict[str, Any] | None, noms: list[int] = noms) -> dict[str, int]:
            if not x:
                return {}
            return {str(nomor[c]): int(x[c] or 0) for c in VOTE_COLS if nomor[c] in noms}

        out.append(
            {
                "kode_kontestasi": code,
                "tps": f["tps"],
                "pemilih_dpt": f["pemilih_dpt"],
                "pengguna_total": f["pengguna_total"],
                "suara_sah": f["suara_sah"],
                "suara_tidak_sah": f["suara_tidak_sah"],
                "suara_total": f["suara_total"],
                "suara": votes(f),
                "internal_as_of": {
                    "tps": r["tps"] if r else 0,
                    "suara_sah": r["suara_sah"] if r else 0,
                    "suara": votes(r),
                },
            }
        )
    return out


def _clear_out(out: Path) -> None:
    """The generator owns its drop folder: replace an earlier demo, never anything else."""
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"{out}: exists and is not a folder")
        if any(out.iterdir()) and not (out / "manifest.json").exists():
            raise ValueError(
                f"{out}: folder is not empty and holds no demo manifest.json; refusing to overwrite "
                "it (choose another --out)"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)


def generate(
    scope: str, seed: int, as_of: dt.datetime, out: Path, kpu_bundle: bool | None = None
) -> dict[str, Any]:
    """Write the demo drop for ``scope`` into ``out`` and return its manifest (also manifest.json).

    ``scope``: ``"00"`` (whole country), a province (``"16"``), a kab/kota (``"16.71"``) or any
    other dotted region code. ``as_of``: the moment the drop is taken (timezone-aware). KPU records
    are bundled as JSONL per pull and jenis when ``kpu_bundle`` is true (default: national only).
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a UTC offset, e.g. 2024-11-28T14:00:00+07:00")
    started = time.perf_counter()
    prefix = _scope_prefix(scope)
    bundle = (prefix is None) if kpu_bundle is None else kpu_bundle
    settings = default_settings()
    out = Path(out)
    _clear_out(out)
    drop = _Drop(out)
    t_as_of = _epoch(as_of)
    rng = np.random.default_rng(seed)
    w = _build_world(prefix, rng, settings.election.reserve_share)
    pulls = _pulls(t_as_of)
    plan = _plan_faults(w, rng, t_as_of, pulls)
    _references(w, drop)
    internal = _internal(w, drop, np.random.default_rng([seed, 1]), t_as_of, plan)
    kpu = _kpu(w, drop, np.random.default_rng([seed, 2]), t_as_of, plan, bundle)
    rekap = _rekap(w, drop, np.random.default_rng([seed, 3]))
    incidents = _incidents(w, drop, np.random.default_rng([seed, 4]), t_as_of)
    readiness = _readiness(w, drop, np.random.default_rng([seed, 5]), t_as_of)

    files_by_folder: dict[str, int] = {}
    for f in drop.files:
        top = f["path"].split("/")[0]
        files_by_folder[top] = files_by_folder.get(top, 0) + 1
    files_by_folder["kpu"] = kpu["files"] + len(rekap)
    manifest = {
        "generator": "analysis.demo",
        "format_version": 1,
        "scope": "00" if prefix is None else prefix,
        "seed": seed,
        "as_of": as_of.isoformat(),
        "row_convention": MANIFEST_ROW_CONVENTION,
        "time_conventions": {
            "tally waktu_laporan": "local time of the TPS's province without offset "
            "('2024-11-27 16:05'), ISO with offset in BOM-style files, datetime cells in xlsx",
            "kpu ts": "WIB, 'YYYY-MM-DD HH:MM:SS'",
            "pulls": "folder names YYYYMMDDTHHMM in WIB",
            "incidents": "local time, 'YYYY-MM-DD HH:MM' (datetime cells in xlsx)",
        },
        "totals": {
            "tps": w.tps.height,
            "desa": w.tps["kode_desa"].n_unique(),
            "kabkota": w.tps["kode_kab"].n_unique(),
            "contests": w.contests.height,
            "single_candidate_contests": sorted(
                w.paslon.filter(pl.col("kolom_kosong"))["kode_kontestasi"].to_list()
            ),
            "tps_contest": w.tc.height,
            "paslon_rows": w.paslon.height,
            "files": files_by_folder,
            "files_total": sum(files_by_folder.values()),
            "rows": {
                "ref_tps": w.tps.height,
                "ref_paslon": w.paslon.height,
                "tally": internal["rows"],
                "kpu_tps": {k: v["records"] for k, v in kpu["pulls"].items()},
                "official_region": sum(r["rows"] for r in rekap),
                "incidents": incidents["rows"],
                "readiness": readiness["rows"],
            },
        },
        "internal": {k: v for k, v in internal.items() if k != "rows"},
        "kpu": kpu,
        "rekap": rekap,
        "anomaly_tps": w.anomaly,
        "hotspots": incidents["hotspots"],
        "readiness_laggards": readiness["laggards"],
        "fault_counts": {},
        "faults": drop.faults,
        "truth_by_contest": _truth_summary(w, t_as_of),
        "incidents": incidents["listing"],
        "files": [f for f in drop.files if f["dataset"] != "kpu_tps"],
    }
    counts: dict[str, int] = {}
    for f in drop.faults:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
    manifest["fault_counts"] = dict(sorted(counts.items()))
    (out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )
    manifest["_seconds"] = round(time.perf_counter() - started, 2)
    return manifest


# --- command line -----------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    s = default_settings().demo
    parser.add_argument(
        "--scope",
        default=s.scope,
        help=f"region code: '00' national, '16' province, '16.71' kab/kota (default {s.scope})",
    )
    parser.add_argument("--seed", type=int, default=s.seed, help=f"random seed (default {s.seed})")
    parser.add_argument(
        "--as-of",
        default=s.as_of.isoformat(),
        help=f"moment of the drop, ISO with offset (default {s.as_of.isoformat()})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default data/raw/demo-<scope without dots>)",
    )
    parser.add_argument(
        "--bundle",
        choices=("auto", "yes", "no"),
        default="auto",
        help="KPU records as bundled JSONL (auto: only for the national scope)",
    )


def run(args: argparse.Namespace) -> int:
    settings = default_settings()
    try:
        as_of = dt.datetime.fromisoformat(args.as_of)
        out = args.out or (settings.paths.resolved().raw / f"demo-{_scope_slug(args.scope)}")
        bundle = {"auto": None, "yes": True, "no": False}[args.bundle]
        m = generate(args.scope, args.seed, as_of, out, bundle)
    except ValueError as exc:
        print(f"demo: {exc}")
        return 2
    t = m["totals"]
    rel = out.relative_to(REPO_ROOT) if out.is_relative_to(REPO_ROOT) else out
    print(
        f"demo: {rel} — scope {m['scope']}, {t['tps']:,} TPS, {t['contests']} contests, "
        f"{t['files_total']:,} files, {t['rows']['tally']:,} tally rows, "
        f"{len(m['faults'])} injected faults, {m['_seconds']} s"
    )
    return 0
