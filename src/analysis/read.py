"""Readers: turn one raw file of a drop into canonical rows with their lineage.

Every reader returns a :class:`FileRead`: the file's rows in the canonical columns of
``schemas.py`` (typed), lineage on every row (``sumber_file`` relative to the drop,
``sumber_sheet``, ``sumber_baris`` = the row number an analyst sees when opening the file),
``masalah`` (list of cell-level problems; a row with one is rejected by ingest), ``_i`` (row index
inside the file) and, for vote-bearing datasets, a long ``votes`` frame keyed by ``_i``.
A file that cannot be read at all gives ``error`` (one message naming the file and the reason) and
no rows; nothing is raised for bad data.

Readers know nothing of other files or the reference tables, so their output can be cached by the
file's sha256 (see ``analysis.ingest``); mapping Sirekap paslon ids to nomor urut is
:func:`map_paslon`, applied by ingest on the whole batch.

Formats handled:

- CSV: UTF-8 with or without BOM, UTF-16 with BOM, cp1252 (latin-1 as a last resort); ``,`` ``;``
  tab or ``|`` separators (sniffed); quoted fields; title rows above the header; blank rows;
  Indonesian thousands (``1.234`` -> 1234) and decimal commas (``98,03%`` -> 0.9803) converted per
  column type, so dates and codes are never touched by the number parser.
- Excel ``.xlsx`` (openpyxl, read-only, cached values not formulas): the header row is found below
  title/instruction rows, every sheet with a recognisable header is read.
- Sirekap per-TPS JSON, Pemilu 2024 shape (top-level ``chart``/``administrasi``) and Pilkada 2024
  shape (under ``tungsura``), and the bundled JSONL form (one ``{"kode_tps", "record"}`` per line).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import io
import itertools
import json
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl

from analysis.domain.regions import contest_code
from analysis.schemas import ADMIN_COUNTS, SPLIT_FIELDS

#: Bump when a reader's output changes: ingest's parse cache is keyed by it.
READER_VERSION = "2"

#: Kinds of raw file, by where they sit in the drop (see ``analysis.catalog``).
KINDS = ("ref_tps", "ref_paslon", "tally", "official", "official_region", "incidents", "readiness")

JENIS = ("pkwkp", "pkwkk", "ppwp")
PULL_RE = re.compile(r"^\d{8}T\d{4}$")
WIB = "Asia/Jakarta"
_ZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")

PASLON_MAX = 6
PASLON_COLS = tuple(f"suara_paslon_{n}" for n in range(1, PASLON_MAX + 1))
KOLOM_KOSONG_COL = "suara_kolom_kosong"
SPLIT_COLS = tuple(f"{f}_{s}" for f in SPLIT_FIELDS for s in ("l", "p"))


@dataclass
class FileRead:
    """What one raw file yielded.

    ``rows``: one row per data row of the file (grain of the dataset's raw form), canonical typed
    columns + lineage + ``masalah`` + ``_i``. ``votes``: for tally/official/official_region, one
    row per raw row × paslon (``_i``, ``nomor_urut`` and/or ``paslon_id``, ``suara``).
    ``error``: a file-level rejection message, then ``rows`` is empty.
    """

    kind: str
    rows: pl.DataFrame = field(default_factory=pl.DataFrame)
    votes: pl.DataFrame | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    line_table: pl.DataFrame | None = None  # bundles: see jsonl_line_table (not cached)


class ReadError(Exception):
    """A whole file is unreadable; the message names the reason (the caller adds the file)."""


# --- Header matching ----------------------------------------------------------------------------


def norm_header(text: object) -> str:
    """``" Jumlah DPT (L) "`` -> ``"jumlah_dpt_l"``: case, accents, spaces and punctuation folded."""
    s = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def _split_aliases(canon: str, *stems: str) -> dict[str, str]:
    out = {}
    for stem in stems:
        out[stem] = canon
        out[f"{stem}_j"] = canon
        out[f"{stem}_total"] = canon
        out[f"{stem}_jumlah"] = canon
        for suf, sub in (("l", "l"), ("lk", "l"), ("laki_laki", "l"), ("p", "p"), ("pr", "p")):
            out[f"{stem}_{suf}"] = f"{canon}_{sub}"
        out[f"{stem}_perempuan"] = f"{canon}_p"
    return out


#: The one alias table: normalised header -> canonical column. Canonical names match themselves.
ALIASES: dict[str, str] = {
    # codes, times, people
    "kode_tps": "kode_tps",
    "kd_tps": "kode_tps",
    "id_tps": "kode_tps",
    "tps_kode": "kode_tps",
    "no_tps_kpu": "kode_tps",
    "kode_desa": "kode_desa",
    "kode_kelurahan": "kode_desa",
    "nomor_tps": "nomor_tps",
    "no_tps": "nomor_tps",
    "tps": "nomor_tps",
    "kode_wilayah": "kode_wilayah",
    "kode_daerah": "kode_wilayah",
    "kode_kemendagri": "kode_wilayah",
    "wilayah_kode": "kode_wilayah",
    "kode": "kode_wilayah",
    "jenis_pemilihan": "jenis_pemilihan",
    "jenis": "jenis_pemilihan",
    "pemilihan": "jenis_pemilihan",
    "jenis_pilkada": "jenis_pemilihan",
    "jenis_kontestasi": "jenis_pemilihan",
    "kode_kontestasi": "kode_kontestasi",
    "kontestasi": "kode_kontestasi",
    "waktu_laporan": "waktu_laporan",
    "waktu_lapor": "waktu_laporan",
    "jam_laporan": "waktu_laporan",
    "waktu_pelaporan": "waktu_laporan",
    "tanggal_laporan": "waktu_laporan",
    "waktu_kirim": "waktu_laporan",
    "dilaporkan": "waktu_laporan",
    "pelapor": "pelapor",
    "nama_pelapor": "pelapor",
    "petugas": "pelapor",
    "pengirim": "pelapor",
    # C.Hasil counts
    **_split_aliases(
        "pemilih_dpt", "pemilih_dpt", "jumlah_dpt", "dpt", "jml_dpt", "jumlah_pemilih_dpt"
    ),
    **_split_aliases("pengguna_dpt", "pengguna_dpt", "pengguna_hak_pilih_dpt", "jml_pengguna_dpt"),
    **_split_aliases("pengguna_dptb", "pengguna_dptb", "pengguna_hak_pilih_dptb", "dptb"),
    **_split_aliases(
        "pengguna_dpk", "pengguna_dpk", "pengguna_non_dpt", "pengguna_hak_pilih_dpk", "dpk"
    ),
    **_split_aliases(
        "pengguna_total",
        "pengguna_total",
        "jumlah_pengguna_hak_pilih",
        "pengguna_hak_pilih",
        "total_pengguna_hak_pilih",
        "jumlah_pemilih_hadir",
    ),
    "surat_suara_diterima": "surat_suara_diterima",
    "surat_suara_terima": "surat_suara_diterima",
    "jumlah_surat_suara_diterima": "surat_suara_diterima",
    "ss_diterima": "surat_suara_diterima",
    "surat_suara_digunakan": "surat_suara_digunakan",
    "surat_suara_terpakai": "surat_suara_digunakan",
    "ss_digunakan": "surat_suara_digunakan",
    "surat_suara_rusak": "surat_suara_rusak",
    "surat_suara_rusak_keliru": "surat_suara_rusak",
    "ss_rusak": "surat_suara_rusak",
    "surat_suara_tidak_digunakan": "surat_suara_tidak_digunakan",
    "surat_suara_sisa": "surat_suara_tidak_digunakan",
    "ss_tidak_digunakan": "surat_suara_tidak_digunakan",
    "suara_sah": "suara_sah",
    "jumlah_suara_sah": "suara_sah",
    "total_suara_sah": "suara_sah",
    "sah": "suara_sah",
    "suara_tidak_sah": "suara_tidak_sah",
    "jumlah_suara_tidak_sah": "suara_tidak_sah",
    "tidak_sah": "suara_tidak_sah",
    "suara_total": "suara_total",
    "jumlah_suara": "suara_total",
    "total_suara": "suara_total",
    "jumlah_suara_sah_dan_tidak_sah": "suara_total",
    "suara_kolom_kosong": KOLOM_KOSONG_COL,
    "kolom_kosong": KOLOM_KOSONG_COL,
    "kotak_kosong": KOLOM_KOSONG_COL,
    "suara_kotak_kosong": KOLOM_KOSONG_COL,
    # D.Hasil
    "nomor_urut": "nomor_urut",
    "no_urut": "nomor_urut",
    "suara": "suara",
    "jumlah_suara_paslon": "suara",
    "perolehan_suara": "suara",
    "tps_total": "tps_total",
    "jumlah_tps": "tps_total",
    "total_tps": "tps_total",
    "tps_masuk": "tps_masuk",
    "tps_masuk_data": "tps_masuk",
    "progres": "tps_masuk",
    # paslon reference
    "paslon_id": "paslon_id",
    "id_paslon": "paslon_id",
    "nama_paslon": "nama_paslon",
    "nama_pasangan": "nama_paslon",
    "nama": "nama_paslon",
    # incidents
    "id_insiden": "id_insiden",
    "id": "id_insiden",
    "no_insiden": "id_insiden",
    "nomor_insiden": "id_insiden",
    "waktu_kejadian": "waktu_kejadian",
    "tanggal_kejadian": "waktu_kejadian",
    "waktu_insiden": "waktu_kejadian",
    "lokasi": "lokasi",
    "lokasi_kejadian": "lokasi",
    "tempat": "lokasi",
    "tahapan": "tahapan",
    "tahap": "tahapan",
    "kategori": "kategori",
    "jenis_insiden": "kategori",
    "kategori_insiden": "kategori",
    "tingkat_keparahan": "tingkat_keparahan",
    "keparahan": "tingkat_keparahan",
    "tingkat": "tingkat_keparahan",
    "status_verifikasi": "status_verifikasi",
    "verifikasi": "status_verifikasi",
    "status_penanganan": "status_penanganan",
    "penanganan": "status_penanganan",
    "status": "status_penanganan",
    "instansi": "instansi",
    "instansi_penanganan": "instansi",
    "penanggung_jawab": "instansi",
    "waktu_penanganan": "waktu_penanganan",
    "deskripsi": "deskripsi",
    "uraian": "deskripsi",
    "keterangan": "deskripsi",
    "kronologi": "deskripsi",
    # readiness
    "tanggal": "tanggal",
    "tgl": "tanggal",
    "indikator": "indikator",
    "pembilang": "pembilang",
    "penyebut": "penyebut",
    "nilai": "nilai",
    "persentase": "nilai",
    "capaian": "nilai",
}

_PASLON_RE = re.compile(
    r"^(?:suara_|jumlah_suara_|perolehan_)?(?:paslon|pasangan_calon|pasangan|calon|no_urut|nomor_urut)"
    r"_?(?:no_)?0?(\d)$"
)


def canonical_header(text: object) -> str | None:
    """The canonical column a raw header stands for, or None."""
    return _canonical_header(str(text) if text is not None else "")


@lru_cache(maxsize=4096)
def _canonical_header(text: str) -> str | None:
    h = norm_header(text)
    if not h:
        return None
    if h in ALIASES:
        return ALIASES[h]
    m = _PASLON_RE.match(h)
    if m and 1 <= int(m.group(1)) <= PASLON_MAX:
        return f"suara_paslon_{m.group(1)}"
    return None


_TALLY_COLS = (
    "kode_tps",
    "jenis_pemilihan",
    "kode_kontestasi",
    "waktu_laporan",
    "pelapor",
    *ADMIN_COUNTS,
    *SPLIT_COLS,
    *PASLON_COLS,
    KOLOM_KOSONG_COL,
)

#: kind -> (columns the reader keeps, required columns; a tuple inside = "one of these").
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str | tuple[str, ...], ...]]] = {
    "tally": (
        _TALLY_COLS,
        (
            "kode_tps",
            ("jenis_pemilihan", "kode_kontestasi"),
            "waktu_laporan",
            "pengguna_total",
            "suara_sah",
            "suara_tidak_sah",
            "suara_total",
        ),
    ),
    "official_region": (
        (
            "kode_wilayah",
            "jenis_pemilihan",
            "kode_kontestasi",
            "nomor_urut",
            "suara",
            *PASLON_COLS,
            KOLOM_KOSONG_COL,
            "suara_sah",
            "suara_tidak_sah",
            "tps_total",
            "tps_masuk",
        ),
        ("kode_wilayah", ("jenis_pemilihan", "kode_kontestasi"), ("nomor_urut", "suara_paslon_1")),
    ),
    "incidents": (
        (
            "id_insiden",
            "waktu_kejadian",
            "waktu_laporan",
            "kode_wilayah",
            "kode_tps",
            "lokasi",
            "tahapan",
            "kategori",
            "tingkat_keparahan",
            "status_verifikasi",
            "status_penanganan",
            "instansi",
            "waktu_penanganan",
            "deskripsi",
        ),
        ("waktu_laporan", "tahapan", "kategori", "tingkat_keparahan"),
    ),
    "readiness": (
        ("kode_wilayah", "tanggal", "indikator", "pembilang", "penyebut", "nilai"),
        ("kode_wilayah", "tanggal", "indikator", ("nilai", "pembilang")),
    ),
    "ref_tps": (
        ("kode_tps", "kode_desa", "nomor_tps", "pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p"),
        ("kode_tps", "pemilih_dpt"),
    ),
    "ref_paslon": (
        ("kode_kontestasi", "nomor_urut", "paslon_id", "nama_paslon", "kolom_kosong"),
        ("kode_kontestasi", "nomor_urut"),
    ),
}
# in the paslon list "kolom_kosong" is a yes/no flag, not a vote count
_KIND_ALIASES = {"ref_paslon": {KOLOM_KOSONG_COL: "kolom_kosong"}}


def _map_headers(kind: str, header: Sequence[object]) -> dict[int, str]:
    """Column index -> canonical name for the columns this kind keeps (first occurrence wins)."""
    keep, _ = COLUMNS[kind]
    out: dict[int, str] = {}
    for i, h in enumerate(header):
        c = canonical_header(h)
        c = _KIND_ALIASES.get(kind, {}).get(c, c) if c else c
        if c in keep and c not in out.values():
            out[i] = c
    return out


def _missing_required(kind: str, found: Iterable[str]) -> list[str]:
    found = set(found)
    missing = []
    for req in COLUMNS[kind][1]:
        options = (req,) if isinstance(req, str) else req
        if not any(o in found for o in options):
            missing.append(" atau ".join(options))
    return missing


def _closest(missing: list[str], header: Sequence[object]) -> str:
    raw = [str(h) for h in header if h not in (None, "")]
    normed = {norm_header(h): h for h in raw}
    hints = []
    for m in missing:
        for option in m.split(" atau "):
            hit = difflib.get_close_matches(option, list(normed), n=1, cutoff=0.55)
            if hit:
                hints.append(f"{normed[hit[0]]!r} (mirip {option})")
                break
    shown = ", ".join(repr(h) for h in raw[:20]) or "(tidak ada)"
    near = f"; yang paling mirip: {', '.join(hints)}" if hints else ""
    return f"header yang ditemukan: {shown}{near}"


_HEADER_SCAN = 25  # title and instruction rows above a header: never more than a handful


def _find_header(
    kind: str, rows: list[list[object]], scan: int = _HEADER_SCAN
) -> tuple[int, dict[int, str]]:
    """The row (index) among the first ``scan`` that matches most known columns, and its mapping."""
    best, best_map = -1, {}
    for i, row in enumerate(rows[:scan]):
        m = _map_headers(kind, row)
        if len(m) > len(best_map):
            best, best_map = i, m
        filled = sum(v is not None and v != "" for v in row)
        if len(m) >= 3 and 2 * len(m) >= filled:
            break  # a header row: mostly known column names (data rows below hold values)
    return best, best_map


# --- Cells -> typed values --------------------------------------------------------------------


def _cell_text(v: object) -> str | None:
    """A cell as text: Excel numbers lose a spurious ``.0``, datetimes become ISO, blanks None."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, dt.datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, dt.time):
        return v.isoformat()
    s = str(v).strip()
    return s or None


def int_expr(col: str) -> pl.Expr:
    """Indonesian integer text -> Int64: ``1.234`` and ``1,234`` are thousands, ``12.0`` is 12."""
    s = pl.col(col).cast(pl.String).str.strip_chars().str.replace_all(r"[\s\u00a0]", "")
    s = (
        pl.when(s.str.contains(r"^-?\d{1,3}([.,]\d{3})+$"))
        .then(s.str.replace_all(r"[.,]", ""))
        .when(s.str.contains(r"^-?\d+[.,]0+$"))
        .then(s.str.replace(r"[.,]0+$", ""))
        .otherwise(s)
    )
    return s.cast(pl.Int64, strict=False)


def float_expr(col: str) -> pl.Expr:
    """A share: ``98,03%`` / ``98.03%`` / ``0,9803`` / ``0.9803`` -> 0.9803 (above 1 read as %)."""
    s = pl.col(col).cast(pl.String).str.strip_chars().str.replace_all(r"\s", "")
    pct = s.str.ends_with("%")
    s = s.str.strip_chars_end("%")
    s = (
        pl.when(s.str.contains(r",") & s.str.contains(r"\."))
        .then(s.str.replace_all(r"\.", "").str.replace(",", "."))
        .otherwise(s.str.replace(",", "."))
    )
    v = s.cast(pl.Float64, strict=False)
    return pl.when(pct | (v > 1)).then(v / 100).otherwise(v)


def bool_expr(col: str) -> pl.Expr:
    s = pl.col(col).cast(pl.String).str.strip_chars().str.to_lowercase()
    return (
        pl.when(s.is_in(["true", "1", "ya", "y", "yes", "benar"]))
        .then(True)
        .when(s.is_in(["false", "0", "tidak", "t", "no", "n", "salah", ""]))
        .then(False)
        .otherwise(None)
    )


def _clean_time_text(col: str) -> pl.Expr:
    return (
        pl.col(col)
        .cast(pl.String)
        .str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})T", "$1 ")
        .str.replace(r"(\d) (\d{1,2})\.(\d{2})(\.(\d{2}))?$", "$1 $2:$3")
        .str.replace(r"\.\d+", "")  # fractional seconds
        .str.replace(r"Z$", "+00:00")
        .str.replace(r" ?(WIB|WITA|WIT)$", "")
        .str.replace(r" (\d):", " 0$1:")
    )


_NAIVE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
)
_OFFSET_FORMATS = ("%Y-%m-%d %H:%M:%S%:z", "%Y-%m-%d %H:%M%:z", "%Y-%m-%d %H:%M:%S%z")


def datetime_expr(col: str, tz_col: str) -> pl.Expr:
    """Time text -> UTC datetime. Text with an offset keeps it; naive text is local time of the
    IANA zone in ``tz_col`` (the TPS's or region's province; DOMAIN §2)."""
    s = _clean_time_text(col)
    aware = pl.coalesce(
        [s.str.strptime(pl.Datetime("us", "UTC"), f, strict=False) for f in _OFFSET_FORMATS]
    )
    naive = pl.coalesce(
        [s.str.strptime(pl.Datetime("us"), f, strict=False) for f in _NAIVE_FORMATS]
    )
    local = pl.lit(None, dtype=pl.Datetime("us", "UTC"))
    for zone in reversed(_ZONES):
        local = (
            pl.when(pl.col(tz_col) == zone)
            .then(naive.dt.replace_time_zone(zone).dt.convert_time_zone("UTC"))
            .otherwise(local)
        )
    return pl.coalesce([aware, local])


def date_expr(col: str) -> pl.Expr:
    s = pl.col(col).cast(pl.String).str.strip_chars().str.slice(0, 10)
    return pl.coalesce(
        [s.str.strptime(pl.Date, f, strict=False) for f in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")]
    )


def tz_of_province_expr(code_col: str, default: str = WIB) -> pl.Expr:
    """IANA zone from the first two digits of a region or TPS code (DOMAIN §2)."""
    p = pl.col(code_col).cast(pl.String).str.slice(0, 2).cast(pl.Int64, strict=False)
    return (
        pl.when(p.is_in([61, 62]))
        .then(pl.lit("Asia/Pontianak"))
        .when(p.is_in([51, 52, 53, 63, 64, 65, *range(71, 77)]))
        .then(pl.lit("Asia/Makassar"))
        .when(p.is_in([81, 82, *range(91, 97)]))
        .then(pl.lit("Asia/Jayapura"))
        .when(p.is_not_null())
        .then(pl.lit(WIB))
        .otherwise(pl.lit(default))
    )


def digits_expr(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.String).str.replace_all(r"\D", "")


def dotted_code_expr(col: str) -> pl.Expr:
    """Region code with or without dots -> dotted Kemendagri code (``1671011001`` -> ``16.71.01.1001``)."""
    d = digits_expr(col)
    return (
        pl.when(d.str.len_chars() == 2)
        .then(d)
        .when(d.str.len_chars() == 4)
        .then(pl.concat_str(d.str.slice(0, 2), pl.lit("."), d.str.slice(2, 2)))
        .when(d.str.len_chars() == 6)
        .then(
            pl.concat_str(
                d.str.slice(0, 2), pl.lit("."), d.str.slice(2, 2), pl.lit("."), d.str.slice(4, 2)
            )
        )
        .when(d.str.len_chars() == 10)
        .then(
            pl.concat_str(
                d.str.slice(0, 2),
                pl.lit("."),
                d.str.slice(2, 2),
                pl.lit("."),
                d.str.slice(4, 2),
                pl.lit("."),
                d.str.slice(6, 4),
            )
        )
        .otherwise(pl.col(col).cast(pl.String).str.strip_chars())
    )


def jenis_expr(col: str) -> pl.Expr:
    """``Gubernur``/``Pilgub``/``pkwkp`` -> pkwkp; ``Bupati``/``Wali Kota``/``pkwkk`` -> pkwkk; president -> ppwp."""
    s = pl.col(col).cast(pl.String).str.to_lowercase().str.replace_all(r"[^a-z]", "")
    return (
        pl.when(s.str.contains("pkwkp|gub"))
        .then(pl.lit("pkwkp"))
        .when(s.str.contains("pkwkk|bup|wali|walkot|kota|kabupaten"))
        .then(pl.lit("pkwkk"))
        .when(s.str.contains("ppwp|presiden|pilpres"))
        .then(pl.lit("ppwp"))
        .otherwise(None)
    )


def with_contest(df: pl.DataFrame, jenis_col: str, code_col: str, out: str) -> pl.DataFrame:
    """Add ``out``: the contest code from jenis + any region/TPS code inside the contest's region,
    by :func:`analysis.reference.contest_code` on the region the contest is held in (the province
    for pkwkp, the kab/kota for pkwkk, none for ppwp) — computed once per distinct pair."""
    d = digits_expr(code_col)
    region = (
        pl.when(pl.col(jenis_col) == "pkwkp")
        .then(d.str.slice(0, 2))
        .when(pl.col(jenis_col) == "pkwkk")
        .then(pl.concat_str(d.str.slice(0, 2), pl.lit("."), d.str.slice(2, 2)))
        .otherwise(pl.lit(""))
    )
    df = df.with_columns(region.alias("_region"))
    pairs = df.select(jenis_col, "_region").unique().drop_nulls(jenis_col)
    codes = [contest_code(j, r) for j, r in pairs.iter_rows()]
    lut = pairs.with_columns(pl.Series(out, codes, dtype=pl.String))
    return df.join(lut, on=[jenis_col, "_region"], how="left", maintain_order="left").drop(
        "_region"
    )


def _problems(checks: list[tuple[str, pl.Expr, pl.Expr]]) -> pl.Expr:
    """``masalah`` list: for each (column, raw text, parsed value) where text is set but unparsable."""
    parts = []
    for col, raw, parsed in checks:
        bad = raw.is_not_null() & (raw.cast(pl.String).str.strip_chars() != "") & parsed.is_null()
        parts.append(
            pl.when(bad).then(
                pl.concat_str(
                    pl.lit(f"format: kolom {col} berisi "),
                    pl.lit("'"),
                    raw.cast(pl.String),
                    pl.lit("' yang tidak terbaca"),
                )
            )
        )
    if not parts:
        return pl.lit([], dtype=pl.List(pl.String))
    return pl.concat_list(parts).list.drop_nulls()


# --- Batch parsing: the same expressions, evaluated only where they are needed ---------------------
# The expressions above are row-wise pure; on a whole national batch they are costly (a dozen regex
# and strptime passes per column). These helpers give exactly their result at a fraction of the
# cost: a plain cast where the text is already clean, the full expression only on the distinct
# values (or the rows) that need it.


def by_unique(df: pl.DataFrame, cols: Sequence[str], expr: pl.Expr) -> pl.Series:
    """``expr`` (row-wise, reading only ``cols``) evaluated once per distinct value of ``cols``."""
    u = df.select(cols).unique().with_columns(expr.alias("_by_unique"))
    return (
        df.select(cols)
        .join(u, on=list(cols), how="left", nulls_equal=True, maintain_order="left")
        .get_column("_by_unique")
    )


def parse_ints(df: pl.DataFrame, cols: Sequence[str], prefix: str = "_p_") -> pl.DataFrame:
    """Add ``<prefix><col>`` = :func:`int_expr` of each column: text that casts to an integer as it
    is (after stripping) needs no rewriting, so only the distinct other texts go through
    :func:`int_expr` (same result, a fraction of the regex work)."""
    df = df.with_columns(
        pl.col(c).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False).alias(prefix + c)
        for c in cols
    )
    fixes = []
    for c in cols:
        bad = (
            df.filter(pl.col(prefix + c).is_null() & pl.col(c).is_not_null())
            .select(pl.col(c).cast(pl.String))
            .unique()
        )
        if bad.height:
            lut = bad.with_columns(int_expr(c).alias("_v"))
            mapped = (
                pl.col(c)
                .cast(pl.String)
                .replace_strict(lut[c], lut["_v"], default=None, return_dtype=pl.Int64)
            )
            fixes.append(pl.coalesce(pl.col(prefix + c), mapped).alias(prefix + c))
    return df.with_columns(fixes) if fixes else df


def parse_datetime(df: pl.DataFrame, col: str, tz_col: str) -> pl.Series:
    """:func:`datetime_expr` once per distinct (text, zone) pair."""
    return by_unique(
        df.with_columns(pl.col(col).cast(pl.String)), [col, tz_col], datetime_expr(col, tz_col)
    )


def problems_sparse(df: pl.DataFrame, checks: list[tuple[str, pl.Expr, pl.Expr]]) -> pl.Series:
    """:func:`_problems` for every row of ``df``, the messages built only on rows with a problem."""
    empty = pl.lit([], dtype=pl.List(pl.String))
    if df.height == 0:
        return pl.Series("masalah", [], dtype=pl.List(pl.String))
    if not checks:
        return _empty_lists(df.height)
    bad = [
        raw.is_not_null() & (raw.cast(pl.String).str.strip_chars() != "") & parsed.is_null()
        for _, raw, parsed in checks
    ]
    k = df.select(pl.any_horizontal(bad).fill_null(False).arg_true().alias("_k")).to_series()
    if k.len() == 0:
        return _empty_lists(df.height)
    sub = (
        df[k].select(_problems(checks).alias("masalah")).with_columns(k.cast(pl.Int64).alias("_k"))
    )
    return (
        pl.DataFrame({"_k": pl.arange(0, df.height, eager=True).cast(pl.Int64)})
        .join(sub, on="_k", how="left", maintain_order="left")
        .select(pl.col("masalah").fill_null(empty))
        .to_series()
    )


def _empty_lists(n: int) -> pl.Series:
    return (
        pl.DataFrame({"_k": pl.zeros(n, dtype=pl.Int8, eager=True)})
        .select(pl.lit([], dtype=pl.List(pl.String)).alias("masalah"), "_k")
        .get_column("masalah")
    )


# --- Tables (CSV / xlsx) -> raw string frames -------------------------------------------------


def _decode_plain(data: bytes) -> tuple[str, bool]:
    """The text, and whether ``data`` is exactly its UTF-8 encoding (no BOM, nothing replaced)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), False
    if b"\x00" in data[:4096]:
        raise ReadError("berkas biner (berisi byte NUL), bukan tabel CSV")
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252"), False
        except UnicodeDecodeError:
            return data.decode("latin-1"), False


def _sniff_separator(text: str) -> str:
    head = text[:65536]  # the first 40 lines are all the sniffer looks at
    if len(head) < len(text) and len(head.splitlines()) <= 41:
        head = text
    lines = [ln for ln in head.splitlines()[:40] if ln.strip()]
    best, best_score = ",", (-1, -1)
    for sep in (",", ";", "\t", "|"):
        counts = [len(r) for r in csv.reader(lines, delimiter=sep)]
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = (wide.count(mode), mode)
        if score > best_score:
            best, best_score = sep, score
    return best


def _native_csv(data: bytes, sep: str, width: int, skip: int = 0) -> pl.DataFrame:
    """CSV rows after the first ``skip`` as text columns ``_c0`` .. ``_c<width-1>``, the way the
    ``csv`` module reads them: short rows padded with nulls, long ones cut, blank lines kept."""
    return pl.read_csv(
        data,
        has_header=False,
        separator=sep,
        quote_char='"',
        skip_rows=skip,
        schema={f"_c{i}": pl.String for i in range(width)},
        truncate_ragged_lines=True,
        missing_columns="insert",
        extra_columns="ignore",
        raise_if_empty=False,
    )


#: Below this size the ``csv`` module is as fast: a native read has a fixed cost of about a
#: millisecond, and a drop can hold thousands of small per-kecamatan files.
_NATIVE_MIN_CHARS = 256 * 1024


class _CsvText:
    """A decoded CSV. The header search reads only the first rows (:meth:`head`); the body is read
    by polars' native CSV reader (:meth:`body_frame`), which gives the same cells as Python's
    ``csv`` module (blank lines kept as rows, quotes and ragged rows alike) at a fraction of the
    cost; a file it cannot take (lone ``\\r`` line ends, badly quoted fields) is read row by row
    with ``csv`` (:meth:`rows`)."""

    def __init__(self, data: bytes) -> None:
        self.text, plain = _decode_plain(data)
        if not self.text.strip():
            raise ReadError("berkas kosong (tidak ada teks)")
        self.sep = _sniff_separator(self.text)
        self._utf8 = data if plain else None
        self._rows: list[list[object]] | None = None

    def _native_ok(self) -> bool:
        text = self.text
        return text.count("\r") == text.count("\r\n")  # old Mac line ends: csv splits on them

    def body_bytes(self, skip: int) -> bytes | None:
        """The UTF-8 text after the first ``skip`` lines, when those lines are plain (no quote, so
        lines = rows) and the line ends are ``\\n`` or ``\\r\\n``; else None."""
        text = self.text
        at = 0
        for _ in range(skip):
            at = text.find("\n", at) + 1
            if at == 0:
                return None
        if '"' in text[:at] or not self._native_ok():
            return None
        if self._utf8 is not None:
            return self._utf8[len(text[:at].encode("utf-8")) :]
        return text[at:].encode("utf-8")

    def _reader(self) -> Iterable[list[str]]:
        return csv.reader(io.StringIO(self.text, newline=""), delimiter=self.sep)

    def head(self, n: int) -> list[list[object]]:
        if self._rows is not None:
            return self._rows[:n]
        try:
            return list(itertools.islice(self._reader(), n))
        except csv.Error as exc:
            raise ReadError(f"CSV tidak terbaca ({exc})") from None

    def rows(self) -> list[list[object]]:
        if self._rows is None:
            try:
                self._rows = list(self._reader())
            except csv.Error as exc:
                raise ReadError(f"CSV tidak terbaca ({exc})") from None
        return self._rows

    def body_frame(self, skip: int, width: int) -> pl.DataFrame | None:
        """Rows after the first ``skip`` as ``_c0`` .. ``_c<width-1>`` text (None: not taken)."""
        text = self.text
        if len(text) < _NATIVE_MIN_CHARS or not self._native_ok():
            return None
        data = self._utf8 if self._utf8 is not None else text.encode("utf-8")
        try:
            df = _native_csv(data, self.sep, width, skip)
        except Exception:  # noqa: BLE001 - anything odd is left to the csv module
            return None
        return df if df.width == width else None


_SENTINEL = "\x1e"  # a control character no CSV a desk sends holds on a line of its own


class _NativeBatch:
    """CSV bodies of many files read by one native call: a sentinel line is put after each body
    and the rows are split back at the sentinels. A batch whose sentinel count does not come out
    right (a quote left open swallows the next file) is read file by file instead."""

    def __init__(self) -> None:
        self.entries: list[tuple[_TablePart, _CsvText, bytes, int]] = []

    def add(self, part: _TablePart, csvt: _CsvText, body: bytes, skip: int) -> None:
        self.entries.append((part, csvt, body, skip))

    def pending_rows(self) -> int:
        return sum(len(e[2]) for e in self.entries) // 64  # ~64 bytes a row: a bound, not a count

    def resolve(self) -> None:
        by_sep: dict[str, list[tuple[_TablePart, _CsvText, bytes, int]]] = {}
        for e in self.entries:
            by_sep.setdefault(e[1].sep, []).append(e)
        self.entries = []
        for sep, entries in by_sep.items():
            if not self._read(sep, entries):
                for part, csvt, _, skip in entries:
                    try:
                        _fill_body(part, csvt, skip)
                    except ReadError as exc:
                        part.error = str(exc)

    @staticmethod
    def _read(sep: str, entries: list[tuple[_TablePart, _CsvText, bytes, int]]) -> bool:
        width = max(len(e[0].names) for e in entries)
        mark = _SENTINEL.encode()
        pieces: list[bytes] = []
        for _, _, body, _ in entries:
            pieces.append(body)
            if body and not body.endswith(b"\n"):
                pieces.append(b"\n")
            pieces.append(mark + b"\n")
        try:
            df = _native_csv(b"".join(pieces), sep, width)
        except Exception:  # noqa: BLE001 - read file by file instead
            return False
        is_mark = (
            ((pl.col("_c0") == _SENTINEL) & pl.all_horizontal(pl.exclude("_c0").is_null()))
            if width > 1
            else pl.col("_c0") == _SENTINEL
        ).fill_null(False)
        df = df.with_columns(is_mark.alias("_m"))
        if int(df["_m"].sum()) != len(entries) or not df["_m"][-1]:
            return False
        df = (
            df.with_columns(
                pl.col("_m").cast(pl.Int64).cum_sum().shift(1, fill_value=0).alias("_e")
            )
            .filter(~pl.col("_m"))
            .drop("_m")
            .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("_e").alias("_r"))
        )
        for e, (part, _, _, _) in enumerate(entries):
            part.frame, part.entry = df, e
        return True


def _fill_body(part: _TablePart, csvt: _CsvText, skip: int) -> None:
    """One file's body, natively or row by row (see :class:`_CsvText`)."""
    width = len(part.names)
    frame = csvt.body_frame(skip, width)
    if frame is not None:
        part.frame = frame
        return
    part.body = _padded(csvt.rows()[skip:], width)


def _padded(body: list[list[object]], width: int) -> list[list[object]]:
    if all(type(v) is str for r in body[:50] for v in r):  # CSV: text already
        return [r[:width] + [""] * (width - len(r)) for r in body]
    return [[_cell_text(v) for v in r[:width]] + [None] * (width - len(r)) for r in body]


def _xlsx_sheets(data: bytes) -> list[tuple[str, list[list[object]]]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ReadError(
            f"bukan berkas Excel .xlsx yang sah ({type(exc).__name__}: {exc})"
        ) from None
    try:
        sheets = []
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(values_only=True)]
            sheets.append((ws.title, rows))
        return sheets
    except Exception as exc:  # noqa: BLE001 - a corrupt workbook can fail in many ways
        raise ReadError(f"isi Excel rusak ({type(exc).__name__}: {exc})") from None
    finally:
        wb.close()


def _sheets(data: bytes, suffix: str) -> list[tuple[str | None, list[list[object]] | _CsvText]]:
    """The file's tables: sniffed by content, not trusted from the suffix."""
    if not data:
        raise ReadError("berkas kosong (0 byte)")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_sheets(data)  # type: ignore[return-value]
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ReadError("format Excel lama (.xls) tidak didukung; simpan ulang sebagai .xlsx")
    if suffix == ".xlsx":
        raise ReadError("berakhiran .xlsx tetapi isinya bukan berkas Excel")
    if data.lstrip()[:1] in (b"{", b"["):
        raise ReadError("berisi JSON, bukan tabel CSV")
    return [(None, _CsvText(data))]


@dataclass
class _TablePart:
    """One sheet's data rows as text, before any frame is built (frames are built per batch)."""

    rel: str
    sheet: str | None
    first_row: int  # sumber_baris of the first body row
    mapping: dict[int, str]
    names: list[str]
    body: list[list[object]]
    sha: str | None = None
    frame: pl.DataFrame | None = None  # the body read natively (CSV); then ``body`` is empty
    error: str | None = None  # the body turned out unreadable (file rejected whole)
    entry: int | None = None  # its body's number in a shared batch frame (``_e``), if any

    @property
    def n_rows(self) -> int:
        if self.frame is not None and self.entry is None:
            return self.frame.height
        return len(self.body)


def _table_part(
    kind: str,
    rows: list[list[object]] | _CsvText,
    sheet: str | None,
    rel: str,
    batch: _NativeBatch | None = None,
) -> tuple[_TablePart | None, str | None]:
    """The data rows of one sheet (canonical column mapping) or a reason it has no data."""
    csvt = rows if isinstance(rows, _CsvText) else None
    head = csvt.head(_HEADER_SCAN + 1) if csvt is not None else rows
    hi, mapping = _find_header(kind, head, _HEADER_SCAN)
    if hi < 0:  # nothing recognised: show the widest of the first rows as "the header"
        hi = max(
            range(min(len(head), _HEADER_SCAN)),
            key=lambda i: sum(v is not None for v in head[i]),
            default=-1,
        )
    header = head[hi] if hi >= 0 else []
    missing = _missing_required(kind, mapping.values())
    if missing or len(mapping) < 2:
        missing = missing or ["(lebih dari satu kolom yang dikenali)"]
        return None, f"kolom wajib tidak ada: {', '.join(missing)}; {_closest(missing, header)}"
    names = _unique_names(header)
    width = len(names)
    part = _TablePart(rel, sheet, hi + 2, mapping, names, [])
    if csvt is not None:
        body = csvt.body_bytes(hi + 1) if batch is not None else None
        if body is not None and batch is not None:
            batch.add(part, csvt, body, hi + 1)  # the rows come with the batch
        else:
            _fill_body(part, csvt, hi + 1)
        return part, None
    part.body = _padded(rows[hi + 1 :], width)
    return part, None


def _parts_frame(kind: str, parts: Sequence[_TablePart]) -> pl.DataFrame:
    """Raw string frame of many sheets/files at once: canonical columns, ``nilai_asli`` (the row's
    original cells as JSON under its own headers), lineage, ``_i`` (row index inside its file) and
    ``_sha`` when the parts carry one. Sheets with the same header layout share one frame: building
    a frame per file dominates at thousands of files."""
    groups: dict[tuple, list[int]] = {}
    for k, p in enumerate(parts):
        groups.setdefault((tuple(p.mapping.items()), tuple(p.names)), []).append(k)
    file_no: dict[str, int] = {}
    for p in parts:
        file_no.setdefault(p.rel, len(file_no))
    meta = pl.DataFrame(
        {
            "_pi": list(range(len(parts))),
            "sumber_file": [p.rel for p in parts],
            "sumber_sheet": [p.sheet for p in parts],
            "_fi": [file_no[p.rel] for p in parts],
            "_sha": [p.sha for p in parts],
        },
        schema={
            "_pi": pl.Int64,
            "sumber_file": pl.String,
            "sumber_sheet": pl.String,
            "_fi": pl.Int64,
            "_sha": pl.String,
        },
    )
    native = _native_rows(parts)
    frames = []
    for (items, names), members in groups.items():
        width = len(names)
        body: list[list[object]] = []
        pi: list[int] = []
        baris: list[int] = []
        for k in members:
            p = parts[k]
            if p.frame is None:
                body.extend(p.body)
                pi.extend([k] * len(p.body))
                baris.extend(range(p.first_row, p.first_row + len(p.body)))
        columns = list(zip(*body, strict=True)) if body else [()] * width
        df = pl.DataFrame(
            {f"_c{i}": list(col) for i, col in enumerate(columns)},
            schema={f"_c{i}": pl.String for i in range(width)},
        ).with_columns(
            pl.Series("sumber_baris", baris, dtype=pl.Int64), pl.Series("_pi", pi, dtype=pl.Int64)
        )
        if native is not None and any(parts[k].frame is not None for k in members):
            mine = native.filter(pl.col("_pi").is_in(members)).select(
                *(f"_c{i}" for i in range(width)), "sumber_baris", "_pi"
            )
            df = pl.concat([df, mine], how="vertical")
        # one expression over all columns
        df = df.with_columns(pl.col(r"^_c\d+$").str.strip_chars().replace("", None))
        # a blank row (often trailing) is not a data row
        df = df.filter(pl.any_horizontal(pl.exclude("sumber_baris", "_pi").is_not_null()))
        frames.append(
            df.select(
                *(pl.col(f"_c{i}").alias(c) for i, c in dict(items).items()),
                pl.struct(pl.exclude("sumber_baris", "_pi"))
                .struct.rename_fields(list(names))
                .struct.json_encode()
                .alias("nilai_asli"),
                "sumber_baris",
                "_pi",
            )
        )
    raw = pl.concat(frames, how="diagonal_relaxed")
    raw = (
        raw.join(meta, on="_pi", how="left")
        .sort("_fi", "_pi", "sumber_baris")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("_fi").alias("_i"))
    )
    keep = COLUMNS[kind][0]
    raw = raw.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in keep if c not in raw.columns
    )
    has_sha = any(p.sha is not None for p in parts)
    lineage = [
        "nilai_asli",
        "sumber_baris",
        "sumber_file",
        "sumber_sheet",
        "_i",
        "_fi",
        "_pi",
        "_sha",
    ]
    mapped = [c for c in raw.columns if c not in lineage]
    return raw.select(
        "_i",
        *mapped,
        "nilai_asli",
        "sumber_baris",
        "sumber_file",
        "sumber_sheet",
        *(["_sha"] if has_sha else []),
    )


def _native_rows(parts: Sequence[_TablePart]) -> pl.DataFrame | None:
    """The natively read bodies of ``parts`` as one frame: ``_c0`` .. (the widest), ``_pi`` (the
    part's index) and ``sumber_baris``. One operation per source frame, not per part."""
    sources: dict[int, tuple[pl.DataFrame, list[tuple[int, int | None, int]]]] = {}
    for k, p in enumerate(parts):
        if p.frame is not None:
            sources.setdefault(id(p.frame), (p.frame, []))[1].append((k, p.entry, p.first_row))
    if not sources:
        return None
    out = []
    for frame, members in sources.values():
        if "_e" not in frame.columns:  # one file's body
            for k, _, first in members:
                out.append(
                    frame.with_columns(
                        pl.int_range(first, first + pl.len(), dtype=pl.Int64).alias("sumber_baris"),
                        pl.lit(k, dtype=pl.Int64).alias("_pi"),
                    )
                )
            continue
        index = pl.DataFrame(
            {
                "_e": [m[1] for m in members],
                "_pi": [m[0] for m in members],
                "_first": [m[2] for m in members],
            },
            schema={"_e": pl.Int64, "_pi": pl.Int64, "_first": pl.Int64},
        )
        out.append(
            frame.join(index, on="_e", how="inner")
            .with_columns((pl.col("_first") + pl.col("_r")).alias("sumber_baris"))
            .drop("_e", "_r", "_first")
        )
    return pl.concat(out, how="diagonal")


def _unique_names(header: Sequence[object]) -> list[str]:
    """Header texts as JSON keys: blanks named ``kolom_<n>``, repeats suffixed ``_2``, ``_3``."""
    out: list[str] = []
    for i, h in enumerate(header):
        name = _cell_text(h) or f"kolom_{i + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


def read_table(kind: str, data: bytes, rel: str, suffix: str = ".csv") -> FileRead:
    """Any CSV/xlsx of ``kind`` -> typed canonical rows (every sheet that carries data)."""
    fr = read_table_raw(kind, data, rel, suffix)
    if fr.error is not None:
        return fr
    return coerce(fr)


def coerce(fr: FileRead) -> FileRead:
    """Raw text rows (:func:`read_table_raw`, or many files' concatenated, with ``_i`` unique)
    -> typed canonical rows (+ votes keyed by ``_i``). Row by row, so batching changes nothing."""
    out = COERCE[fr.kind](fr.rows)
    if fr.kind in ("tally", "official_region"):
        rows_, votes = out
        return FileRead(fr.kind, rows=rows_, votes=votes, notes=fr.notes)
    return FileRead(fr.kind, rows=out, notes=fr.notes)


def table_parts(
    kind: str, data: bytes, rel: str, suffix: str = ".csv", batch: _NativeBatch | None = None
) -> tuple[list[_TablePart], list[str], str | None]:
    """The sheets of a CSV/xlsx with data (as :class:`_TablePart`), notes on skipped sheets, and
    the file-level error (no sheet with data). With ``batch``, a CSV body may be left to it:
    its part has no rows until :meth:`_NativeBatch.resolve`."""
    try:
        sheets = _sheets(data, suffix)
    except ReadError as exc:
        return [], [], str(exc)
    parts, reasons = [], []
    for name, rows in sheets:
        try:
            part, why = _table_part(kind, rows, name, rel, batch)
        except ReadError as exc:
            return [], [], str(exc)
        if part is not None:
            parts.append(part)
        elif name is not None:
            reasons.append(f"lembar {name!r}: {why}")
        else:
            reasons.append(why or "")
    if not parts:
        return [], [], "; ".join(reasons) or "tidak ada tabel"
    return parts, [f"lembar dilewati — {r}" for r in reasons], None


def read_table_raw(kind: str, data: bytes, rel: str, suffix: str = ".csv") -> FileRead:
    """Any CSV/xlsx of ``kind`` -> its rows as text in canonical columns + lineage + ``_i``
    (ingest reads every file this way and coerces a whole batch at once: far faster)."""
    parts, notes, error = table_parts(kind, data, rel, suffix)
    if error is not None:
        return FileRead(kind, error=error)
    return FileRead(kind, rows=_parts_frame(kind, parts), notes=notes)


def read_tables_raw(
    kind: str, files: Sequence[tuple[Path, str, str]]
) -> tuple[pl.DataFrame | None, list[tuple[str, str | None, str | None]]]:
    """Many CSV/xlsx files of one kind (``(path, rel, sha256)``) -> one raw text frame (as
    :func:`read_table_raw`, plus ``_sha``) and per file ``(rel, error, notes)``; like
    :func:`read_file`, never raises on bad data. CSV bodies are read natively in batches
    (:class:`_NativeBatch`)."""
    parts: list[_TablePart] = []
    frames: list[pl.DataFrame] = []
    outcome: list[list] = []
    pending = 0
    batch = _NativeBatch()

    def flush() -> None:
        batch.resolve()
        failed = {p.rel: p.error for p in parts if p.error is not None}
        for o in outcome:
            if o[0] in failed and o[1] is None:
                o[1], o[2] = failed[o[0]], None
        kept = [p for p in parts if p.rel not in failed]
        if kept:
            frames.append(_parts_frame(kind, kept))

    for path, rel, sha in files:
        if pending + batch.pending_rows() > _BATCH_ROWS:  # bound the objects held
            flush()
            parts, pending = [], 0
        suffix = path.suffix.lower()
        error, notes = None, []
        if suffix not in (".csv", ".xlsx", ".txt", ".tsv"):
            error = f"akhiran {suffix or '(tanpa)'} bukan .csv atau .xlsx"
        else:
            try:
                ps, notes, error = table_parts(kind, path.read_bytes(), rel, suffix, batch)
            except OSError as exc:
                ps, error = [], f"tidak bisa dibaca ({exc.strerror})"
            except Exception as exc:  # noqa: BLE001 - one message, never a traceback
                ps, error = [], f"gagal dibaca ({type(exc).__name__}: {exc})"
            for p in ps:
                p.sha = sha
                pending += p.n_rows
            parts.extend(ps)
        outcome.append([rel, error, "; ".join(notes) or None])
    flush()
    return (pl.concat(frames, how="diagonal_relaxed") if frames else None), [
        (o[0], o[1], o[2]) for o in outcome
    ]


_BATCH_ROWS = 100_000


# --- Per-kind coercion (raw strings -> canonical typed) ------------------------------------------


def _ensure(df: pl.DataFrame, cols: Iterable[str]) -> pl.DataFrame:
    missing = [c for c in cols if c not in df.columns]
    return df.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in missing)


_LINEAGE_OUT = ("sumber_file", "sumber_sheet", "sumber_baris", "_i", "nilai_asli")


def _coerce_counts(df: pl.DataFrame, cols: Sequence[str]) -> tuple[list[pl.Expr], list]:
    exprs = [int_expr(c).alias(c) for c in cols]
    checks = [(c, pl.col(c), int_expr(c)) for c in cols]
    return exprs, checks


def wide_votes(df: pl.DataFrame) -> pl.DataFrame:
    """suara_paslon_<n> / suara_kolom_kosong columns → one row per row × paslon with votes.

    Columns ``_i``, ``nomor_urut`` (0 = kolom kosong), ``suara``; empty cells are no paslon.
    """
    return (
        df.select("_i", *PASLON_COLS, KOLOM_KOSONG_COL)
        .unpivot(index="_i", variable_name="_kolom", value_name="suara")
        .drop_nulls("suara")
        .with_columns(
            pl.when(pl.col("_kolom") == KOLOM_KOSONG_COL)
            .then(0)
            .otherwise(pl.col("_kolom").str.extract(r"(\d+)$").cast(pl.Int64))
            .alias("nomor_urut")
        )
        .select("_i", "nomor_urut", "suara")
    )


def coerce_tally(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Tally rows (one per TPS × contest report) and their long votes (``_i``, nomor_urut, suara)."""
    count_cols = [*ADMIN_COUNTS, *SPLIT_COLS, *PASLON_COLS, KOLOM_KOSONG_COL]
    df = _ensure(raw, _TALLY_COLS)
    df = df.with_columns(
        digits_expr("kode_tps").alias("kode_tps"),
        by_unique(df, ["jenis_pemilihan"], jenis_expr("jenis_pemilihan")).alias("_jenis"),
        pl.col("kode_kontestasi").str.strip_chars().str.to_lowercase().alias("_kontestasi_asli"),
    )
    df = with_contest(df, "_jenis", "kode_tps", "_kontestasi_dari_jenis")
    df = df.with_columns(
        pl.coalesce(pl.col("_kontestasi_asli"), pl.col("_kontestasi_dari_jenis")).alias(
            "kode_kontestasi"
        ),
        tz_of_province_expr("kode_tps").alias("_tz"),
    )
    # parse every column once into _p_<col>; problems compare text and parsed value
    df = parse_ints(df, count_cols, "_p_")
    df = df.with_columns(
        parse_datetime(df, "waktu_laporan", "_tz").alias("_p_waktu_laporan"),
    )
    checks = [(c, pl.col(c), pl.col(f"_p_{c}")) for c in [*count_cols, "waktu_laporan"]]
    counts = [pl.col(f"_p_{c}").alias(c) for c in count_cols]
    waktu = pl.col("_p_waktu_laporan")
    jenis_bad = pl.col("jenis_pemilihan").is_not_null() & pl.col("kode_kontestasi").is_null()
    df = df.with_columns(
        problems_sparse(df, checks).alias("masalah"),
        pl.when(jenis_bad)
        .then(
            pl.concat_str(
                pl.lit("format: jenis_pemilihan '"),
                pl.col("jenis_pemilihan"),
                pl.lit("' bukan gubernur/bupati/walikota"),
            )
        )
        .alias("_jm"),
    )
    df = df.with_columns(
        pl.concat_list(pl.col("masalah"), pl.col("_jm")).list.drop_nulls().alias("masalah"),
        *counts,
        waktu.alias("waktu_laporan"),
        pl.col("pelapor").str.strip_chars(),
    )
    rows = df.select(
        "kode_tps",
        "kode_kontestasi",
        "waktu_laporan",
        "pelapor",
        *count_cols,
        "masalah",
        *_LINEAGE_OUT,
    )
    votes = (
        wide_votes(rows)
        .select("_i", "nomor_urut", pl.lit(None, dtype=pl.String).alias("paslon_id"), "suara")
        .sort("_i", "nomor_urut")
    )
    return rows.drop(*PASLON_COLS, KOLOM_KOSONG_COL), votes


def coerce_official_region(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """D.Hasil rows (one per raw row: region × contest, wide or long) and long votes."""
    cols = COLUMNS["official_region"][0]
    df = _ensure(raw, cols)
    df = df.with_columns(
        dotted_code_expr("kode_wilayah").alias("kode_wilayah"),
        jenis_expr("jenis_pemilihan").alias("_jenis"),
        pl.col("kode_kontestasi").str.strip_chars().str.to_lowercase().alias("_k"),
    )
    df = with_contest(df, "_jenis", "kode_wilayah", "_kontestasi_dari_jenis")
    df = df.with_columns(
        pl.coalesce(pl.col("_k"), pl.col("_kontestasi_dari_jenis")).alias("kode_kontestasi")
    )
    count_cols = [
        "nomor_urut",
        "suara",
        *PASLON_COLS,
        KOLOM_KOSONG_COL,
        "suara_sah",
        "suara_tidak_sah",
        "tps_total",
        "tps_masuk",
    ]
    counts, checks = _coerce_counts(df, count_cols)
    df = df.with_columns(_problems(checks).alias("masalah")).with_columns(counts)
    wide = wide_votes(df)
    long = df.filter(pl.col("nomor_urut").is_not_null() & pl.col("suara").is_not_null()).select(
        "_i", "nomor_urut", "suara"
    )
    votes = pl.concat([wide, long]).with_columns(pl.lit(None, dtype=pl.String).alias("paslon_id"))
    rows = df.select(
        "kode_wilayah",
        "kode_kontestasi",
        "nomor_urut",
        "suara_sah",
        "suara_tidak_sah",
        "tps_total",
        "tps_masuk",
        "masalah",
        *_LINEAGE_OUT,
    )
    return rows, votes.select("_i", "nomor_urut", "paslon_id", "suara").sort("_i", "nomor_urut")


def coerce_incidents(raw: pl.DataFrame, default_tz: str = WIB) -> pl.DataFrame:
    """Incident rows with raw label text (normalised later by ``analysis.taxonomy``)."""
    cols = COLUMNS["incidents"][0]
    df = _ensure(raw, cols)
    df = df.with_columns(
        dotted_code_expr("kode_wilayah").alias("kode_wilayah"),
        digits_expr("kode_tps").alias("kode_tps"),
    ).with_columns(
        pl.when(pl.col("kode_wilayah") == "")
        .then(None)
        .otherwise(pl.col("kode_wilayah"))
        .alias("kode_wilayah"),
        pl.when(pl.col("kode_tps") == "")
        .then(None)
        .otherwise(pl.col("kode_tps"))
        .alias("kode_tps"),
    )
    df = df.with_columns(
        pl.when(pl.col("kode_wilayah").is_not_null())
        .then(tz_of_province_expr("kode_wilayah", default_tz))
        .otherwise(tz_of_province_expr("kode_tps", default_tz))
        .alias("_tz")
    )
    times = ("waktu_kejadian", "waktu_laporan", "waktu_penanganan")
    df = df.with_columns(parse_datetime(df, c, "_tz").alias(f"_p_{c}") for c in times)
    checks = [(c, pl.col(c), pl.col(f"_p_{c}")) for c in times]
    df = df.with_columns(problems_sparse(df, checks).alias("masalah")).with_columns(
        pl.col(f"_p_{c}").alias(c) for c in times
    )
    return df.select(*cols, "masalah", *_LINEAGE_OUT)


def coerce_readiness(raw: pl.DataFrame) -> pl.DataFrame:
    """Readiness rows: one per region × day × indicator; nilai from pembilang/penyebut if absent."""
    df = _ensure(raw, COLUMNS["readiness"][0])
    checks = [
        ("tanggal", pl.col("tanggal"), date_expr("tanggal")),
        ("pembilang", pl.col("pembilang"), int_expr("pembilang")),
        ("penyebut", pl.col("penyebut"), int_expr("penyebut")),
        ("nilai", pl.col("nilai"), float_expr("nilai")),
    ]
    df = df.with_columns(_problems(checks).alias("masalah")).with_columns(
        dotted_code_expr("kode_wilayah").alias("kode_wilayah"),
        date_expr("tanggal").alias("tanggal"),
        pl.col("indikator")
        .str.strip_chars()
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]+", "_"),
        int_expr("pembilang").alias("pembilang"),
        int_expr("penyebut").alias("penyebut"),
        float_expr("nilai").alias("nilai"),
    )
    df = df.with_columns(
        pl.coalesce(
            pl.col("nilai"),
            pl.when(pl.col("penyebut") > 0).then(pl.col("pembilang") / pl.col("penyebut")),
        ).alias("nilai")
    )
    return df.select(
        "kode_wilayah", "tanggal", "indikator", "nilai", "pembilang", "penyebut", "masalah",
        *_LINEAGE_OUT,
    )  # fmt: skip


def coerce_ref_tps(raw: pl.DataFrame) -> pl.DataFrame:
    """TPS list: kode_desa derived from kode_tps when absent, nomor_tps from its last 3 digits."""
    df = _ensure(raw, COLUMNS["ref_tps"][0]).with_columns(digits_expr("kode_tps").alias("kode_tps"))
    ints = ("nomor_tps", "pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p")
    df = parse_ints(df, ints, "_p_")
    checks = [(c, pl.col(c), pl.col(f"_p_{c}")) for c in ints]
    df = df.with_columns(problems_sparse(df, checks).alias("masalah")).with_columns(
        *(pl.col(f"_p_{c}").alias(c) for c in ints),
        by_unique(df, ["kode_desa"], dotted_code_expr("kode_desa")).alias("kode_desa"),
    )
    df = df.with_columns(
        pl.coalesce(
            pl.col("kode_desa"),
            pl.when(pl.col("kode_tps").str.len_chars() == 13).then(
                pl.concat_str(
                    pl.col("kode_tps").str.slice(0, 2),
                    pl.lit("."),
                    pl.col("kode_tps").str.slice(2, 2),
                    pl.lit("."),
                    pl.col("kode_tps").str.slice(4, 2),
                    pl.lit("."),
                    pl.col("kode_tps").str.slice(6, 4),
                )
            ),
        ).alias("kode_desa"),
        pl.coalesce(
            pl.col("nomor_tps"), pl.col("kode_tps").str.slice(10, 3).cast(pl.Int64, strict=False)
        ).alias("nomor_tps"),
    )
    return df.select(*COLUMNS["ref_tps"][0], "masalah", *_LINEAGE_OUT)


def coerce_ref_paslon(raw: pl.DataFrame) -> pl.DataFrame:
    df = _ensure(raw, COLUMNS["ref_paslon"][0])
    checks = [("nomor_urut", pl.col("nomor_urut"), int_expr("nomor_urut"))]
    df = df.with_columns(_problems(checks).alias("masalah")).with_columns(
        pl.col("kode_kontestasi").str.strip_chars().str.to_lowercase(),
        int_expr("nomor_urut").alias("nomor_urut"),
        digits_expr("paslon_id").alias("paslon_id"),
        pl.col("nama_paslon").str.strip_chars(),
    )
    df = df.with_columns(
        pl.coalesce(bool_expr("kolom_kosong"), pl.col("nomor_urut") == 0).alias("kolom_kosong"),
        pl.when(pl.col("paslon_id") == "")
        .then(None)
        .otherwise(pl.col("paslon_id"))
        .alias("paslon_id"),
    )
    return df.select(*COLUMNS["ref_paslon"][0], "masalah", *_LINEAGE_OUT)


COERCE = {
    "tally": coerce_tally,
    "official_region": coerce_official_region,
    "incidents": coerce_incidents,
    "readiness": coerce_readiness,
    "ref_tps": coerce_ref_tps,
    "ref_paslon": coerce_ref_paslon,
}


# --- Sirekap JSON -----------------------------------------------------------------------------

_ADMIN_MAP: dict[str, str] = {
    "suara_sah": "suara_sah",
    "suara_tidak_sah": "suara_tidak_sah",
    "suara_total": "suara_total",
    "surat_suara_diterima": "surat_suara_diterima",
    "surat_suara_digunakan": "surat_suara_digunakan",
    "surat_suara_rusak": "surat_suara_rusak",
    "surat_suara_tidak_digunakan": "surat_suara_tidak_digunakan",
}
for _f, _src in (
    ("pemilih_dpt", "pemilih_dpt"),
    ("pengguna_dpt", "pengguna_dpt"),
    ("pengguna_dptb", "pengguna_dptb"),
    ("pengguna_dpk", "pengguna_non_dpt"),
    ("pengguna_total", "pengguna_total"),
):
    _ADMIN_MAP[f"{_src}_j"] = _f
    _ADMIN_MAP[f"{_src}_l"] = f"{_f}_l"
    _ADMIN_MAP[f"{_src}_p"] = f"{_f}_p"
_ADMIN_MAP["pengguna_dpk_j"] = "pengguna_dpk"
_ADMIN_MAP["pengguna_dpk_l"] = "pengguna_dpk_l"
_ADMIN_MAP["pengguna_dpk_p"] = "pengguna_dpk_p"

OFFICIAL_COUNT_COLS: tuple[str, ...] = (*ADMIN_COUNTS, *SPLIT_COLS)
_OFFICIAL_TEXT = ("kode_tps", "kode_kontestasi", "psu", "sumber_file", "sumber_sheet")


def _as_int(v: object) -> tuple[int | None, bool]:
    """(value, ok): JSON numbers and digit strings become ints; null is (None, True)."""
    if v is None:
        return None, True
    if isinstance(v, bool):
        return None, False
    if isinstance(v, int):
        return v, True
    if isinstance(v, float):
        return (int(v), True) if v.is_integer() else (None, False)
    if isinstance(v, str):
        s = v.strip().replace(".", "")
        if not s:
            return None, True
        if re.fullmatch(r"-?\d+", s):
            return int(s), True
    return None, False


def path_jenis(rel: str) -> str | None:
    """The contest type a KPU file belongs to, from its folders: ``.../tps/pkwkk/...`` -> pkwkk.

    An exact folder name wins; else a token inside a folder or file name (``sirekap_ppwp2024_...``).
    """
    parts = Path(rel).parts
    for p in reversed(parts):
        stem = p.split(".")[0].lower()
        if stem in JENIS:
            return stem
    for p in reversed(parts):
        m = re.search(r"(pkwkp|pkwkk|ppwp)", p.lower())
        if m:
            return m.group(1)
    return None


def path_pull(rel: str) -> dt.datetime | None:
    """The pull time from a ``YYYYMMDDTHHMM`` (WIB) folder, as UTC; None outside a pull folder."""
    for p in Path(rel).parts:
        if PULL_RE.match(p):
            local = dt.datetime.strptime(p, "%Y%m%dT%H%M")
            return (local - dt.timedelta(hours=7)).replace(tzinfo=dt.UTC)
    return None


def _parse_ts(v: object) -> dt.datetime | None:
    if not isinstance(v, str):
        return None
    s = v.strip().replace("T", " ")
    for f in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return (dt.datetime.strptime(s[:19], f) - dt.timedelta(hours=7)).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    return None


_OFFICIAL_BUILT: dict[str, pl.DataType] = {
    "kode_tps": pl.String(),
    "kode_kontestasi": pl.String(),
    "waktu_tarik": pl.Datetime("us", "UTC"),
    "ts": pl.Datetime("us", "UTC"),
    "status_suara": pl.Boolean(),
    "status_adm": pl.Boolean(),
    "psu": pl.String(),
    "ada_chart": pl.Boolean(),
    "ada_administrasi": pl.Boolean(),
    **{c: pl.Int64() for c in OFFICIAL_COUNT_COLS},
    "masalah": pl.List(pl.String),
    "sumber_file": pl.String(),
    "sumber_baris": pl.Int64(),
    "_i": pl.Int64(),
}
#: Column order of every official rows frame (builder, fast path, unchanged copies).
OFFICIAL_ROW_COLS: tuple[str, ...] = (
    *_OFFICIAL_BUILT,
    "sumber_sheet",
    "nilai_asli",
    "_src_file",
    "_src_baris",
)


class _OfficialBuilder:
    """Accumulates Sirekap records column-wise (fast at ~600k records)."""

    def __init__(self, rel: str, jenis: str | None, pull: dt.datetime | None) -> None:
        self.rel, self.jenis, self.pull = rel, jenis, pull
        self.cols: dict[str, list] = {
            c: []
            for c in (
                "kode_tps",
                "kode_kontestasi",
                "waktu_tarik",
                "ts",
                "status_suara",
                "status_adm",
                "psu",
                "ada_chart",
                "ada_administrasi",
                *OFFICIAL_COUNT_COLS,
                "masalah",
                "sumber_file",
                "sumber_baris",
                "_i",
            )
        }
        self.v_i: list[int] = []
        self.v_id: list[str] = []
        self.v_suara: list[int | None] = []

    def add(
        self,
        kode_tps: str | None,
        rec: object,
        baris: int,
        problems: list[str],
        rel: str | None = None,
    ) -> None:
        """One record; ``rel`` overrides the builder's file (many per-TPS files in one frame)."""
        i = len(self.cols["_i"])
        if rel is not None and rel != self.rel:
            self.jenis, self.pull = path_jenis(rel), path_pull(rel)
        c = self.cols
        problems = list(problems)
        if not isinstance(rec, dict):
            if rec is not None or not problems:
                problems.append("format: catatan Sirekap bukan objek JSON")
            rec = {}
        if "tungsura" in rec:
            t = rec.get("tungsura") or {}
            t = t if isinstance(t, dict) else {}
            chart, adm = t.get("chart"), t.get("administrasi")
        else:
            chart, adm = rec.get("chart"), rec.get("administrasi")
        kode = re.sub(r"\D", "", str(kode_tps or rec.get("kode_tps") or ""))
        if len(kode) != 13:
            problems.append(f"format: kode_tps '{kode_tps}' bukan 13 digit")
        c["kode_tps"].append(kode or None)
        jenis = self.jenis
        if jenis is None:
            c["kode_kontestasi"].append(None)
            problems.append("format: jenis pemilihan tidak diketahui dari nama folder")
        elif jenis == "ppwp":
            c["kode_kontestasi"].append(contest_code("ppwp", ""))
        else:
            region = kode[:2] if jenis == "pkwkp" else f"{kode[:2]}.{kode[2:4]}"
            c["kode_kontestasi"].append(contest_code(jenis, region) if kode else None)
        ts = _parse_ts(rec.get("ts"))
        c["ts"].append(ts)
        c["waktu_tarik"].append(self.pull or ts)
        if (self.pull or ts) is None:
            problems.append("format: tanpa waktu tarik (folder) maupun ts")
        for k in ("status_suara", "status_adm"):
            v = rec.get(k)
            c[k].append(v if isinstance(v, bool) else None)
        psu = rec.get("psu")
        c["psu"].append(None if psu is None else (psu if isinstance(psu, str) else json.dumps(psu)))
        admin_vals: dict[str, int | None] = {}
        has_adm = isinstance(adm, dict)
        if has_adm:
            for key, val in adm.items():
                canon = _ADMIN_MAP.get(key)
                if canon is None:
                    continue  # unknown keys pass through harmlessly
                iv, ok = _as_int(val)
                if not ok:
                    problems.append(f"format: administrasi.{key} berisi {val!r}")
                admin_vals[canon] = iv
        elif adm is not None:
            problems.append("format: administrasi bukan objek")
        c["ada_administrasi"].append(has_adm)
        for col in OFFICIAL_COUNT_COLS:
            c[col].append(admin_vals.get(col))
        has_chart = isinstance(chart, dict)
        if has_chart:
            for pid, val in chart.items():
                if pid == "null" and val is None:
                    continue  # Sirekap's spurious "null" key
                iv, ok = _as_int(val)
                if not ok:
                    problems.append(f"format: chart.{pid} berisi {val!r}")
                self.v_i.append(i)
                self.v_id.append(str(pid))
                self.v_suara.append(iv)
        elif chart is not None:
            problems.append("format: chart bukan objek")
        c["ada_chart"].append(has_chart)
        c["masalah"].append(problems)
        c["sumber_file"].append(rel or self.rel)
        c["sumber_baris"].append(baris)
        c["_i"].append(i)

    def result(self) -> FileRead:
        rows = pl.DataFrame(self.cols, schema=_OFFICIAL_BUILT).with_columns(
            pl.lit(None, dtype=pl.String).alias("sumber_sheet"),
            pl.lit(None, dtype=pl.String).alias("nilai_asli"),  # re-read from the file if rejected
            pl.lit(None, dtype=pl.String).alias("_src_file"),
            pl.lit(None, dtype=pl.Int64).alias("_src_baris"),
        )
        votes = pl.DataFrame(
            {"_i": self.v_i, "paslon_id": self.v_id, "suara": self.v_suara},
            schema={"_i": pl.Int64, "paslon_id": pl.String, "suara": pl.Int64},
        ).with_columns(pl.lit(None, dtype=pl.Int64).alias("nomor_urut"))
        return FileRead(
            "official", rows=rows, votes=votes.select("_i", "nomor_urut", "paslon_id", "suara")
        )


def read_sirekap_json(data: bytes, rel: str, jenis: str | None = None) -> FileRead:
    """One Sirekap per-TPS JSON file (either shape); the TPS code is the file name."""
    if not data.strip():
        return FileRead("official", error="berkas kosong (0 byte)")
    try:
        rec = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (baris {exc.lineno}, kolom {exc.colno})" if hasattr(exc, "lineno") else ""
        return FileRead("official", error=f"bukan JSON yang sah{where}: {getattr(exc, 'msg', exc)}")
    if not isinstance(rec, dict) or not ({"tungsura", "chart", "administrasi"} & rec.keys()):
        return FileRead(
            "official",
            error="JSON ini bukan catatan Sirekap per TPS (tidak ada tungsura/chart/administrasi)",
        )
    stem = Path(rel).stem
    b = _OfficialBuilder(rel, jenis or path_jenis(rel), path_pull(rel))
    b.add(stem if re.fullmatch(r"\d{13}", stem) else rec.get("kode_tps", stem), rec, 1, [])
    return b.result()


def _jsonl_lines(data: bytes) -> pl.DataFrame:
    """Non-blank lines of a JSONL file: ``sumber_baris`` (line number), ``_i`` (index among the
    non-blank lines), ``line`` and ``_h`` (its 64-bit hash, to find unchanged lines)."""
    # polars' CSV reader splits lines natively; \x1f never occurs in valid JSON (raw control
    # characters are not allowed), so each line is one field; blank lines stay as null rows
    df = pl.read_csv(
        data,
        has_header=False,
        separator="\x1f",
        quote_char=None,
        schema={"line": pl.String},
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
        extra_columns="ignore",
        raise_if_empty=False,
    ).with_columns(pl.col("line").str.strip_suffix("\r"))
    df = df.with_row_index("sumber_baris", offset=1).with_columns(
        pl.col("sumber_baris").cast(pl.Int64)
    )
    df = df.filter(pl.col("line").str.strip_chars() != "")
    return df.with_row_index("_i").with_columns(
        pl.col("_i").cast(pl.Int64), pl.col("line").hash(seed=11).alias("_h")
    )


def jsonl_line_table(data: bytes, rel: str, rows: pl.DataFrame | None) -> pl.DataFrame:
    """Each distinct line of a bundle (by 64-bit hash ``_h``) with the record it stands for
    (``_root_file``, ``_root_baris``): itself, or for an unchanged copy the file first read."""
    lines = _jsonl_lines(data).select("sumber_baris", "_h")
    if rows is not None and "_src_file" in rows.columns:
        src = rows.filter(pl.col("sumber_file") == rel).select(
            "sumber_baris", "_src_file", "_src_baris"
        )
        lines = lines.join(src, on="sumber_baris", how="left")
    else:
        lines = lines.with_columns(
            pl.lit(None, dtype=pl.String).alias("_src_file"),
            pl.lit(None, dtype=pl.Int64).alias("_src_baris"),
        )
    return lines.select(
        "_h",
        pl.coalesce(pl.col("_src_file"), pl.lit(rel)).alias("_root_file"),
        pl.coalesce(pl.col("_src_baris"), pl.col("sumber_baris")).alias("_root_baris"),
    ).unique("_h", keep="first", maintain_order=True)


def _after(marker: str, n: int) -> pl.Expr:
    """Up to ``n`` characters of ``line`` after the first ``marker`` (literal); null if absent."""
    line = pl.col("line")
    return line.str.slice(line.str.find(marker, literal=True) + len(marker), n)


def _until(expr: pl.Expr, marker: str) -> pl.Expr:
    """``expr`` cut before the first ``marker`` (literal); null if absent."""
    return expr.str.slice(0, expr.str.find(marker, literal=True))


def _pairs_long(parts: pl.DataFrame, col: str) -> pl.DataFrame:
    """``{"k":1,"j":null`` bodies (the closing brace cut) -> one row per pair, with ``_ok`` saying
    the pair is a plain ``"key":int|null``."""
    p = (
        parts.select("_i", pl.col(col).str.strip_prefix("{").str.split(",").alias("_p"))
        .explode("_p")
        .filter(pl.col("_p").is_not_null() & (pl.col("_p") != ""))
    )
    cut = pl.col("_p").str.find(":", literal=True)
    p = p.select(
        "_i",
        pl.col("_p").str.slice(0, cut).alias("_key"),
        pl.col("_p").str.slice(cut + 1).alias("_val"),
    )
    key, val = pl.col("_key"), pl.col("_val")
    v = val.cast(pl.Int64, strict=False)
    return p.select(
        "_i",
        key.str.slice(1, key.str.len_bytes() - 2).alias("_k"),
        v.alias("_v"),
        (
            key.str.starts_with('"')
            & key.str.ends_with('"')
            & (key.str.count_matches('"', literal=True) == 2)
            & ~key.str.contains("\\", literal=True)
            & ((val == "null") | (v.is_not_null() & val.str.slice(0, 1).is_in(list("-0123456789"))))
        )
        .fill_null(False)
        .alias("_ok"),
    )


def _own(text: pl.Expr) -> pl.Expr:
    """A copy of sliced text in fresh buffers. A polars string slice is a view that keeps the whole
    buffer it was cut from alive: without the copy each bundle's line text (hundreds of MB) would
    stay in memory for as long as the TPS codes cut from it."""
    return pl.concat_str(text, pl.lit(""))


def _fast_read(
    lines: pl.DataFrame, rel: str, jenis: str, pull: dt.datetime | None
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Vectorised reading of bundle lines in the compact layout the pull tool writes, with literal
    (fast) string operations. Returns (rows, votes, the lines left for the record-by-record reader:
    any line not in that layout or holding anything but plain numbers/null in chart/administrasi —
    same result, only slower)."""
    line = pl.col("line")
    t_at = line.str.find('"tungsura":{', literal=True)
    once = [line.str.count_matches(m, literal=True) == 1 for m in ('"chart":', '"administrasi":')]
    parts = lines.with_columns(
        line.str.slice(13, 13).alias("kode"),
        _until(_after('"chart":', 400), "}").alias("chart"),
        _until(_after('"administrasi":', 2000), "}").alias("adm"),
        _after('"ts":', 21).alias("ts"),
        _after('"psu":', 200).alias("_psu"),
        _after('"status_suara":', 5).alias("ss"),
        _after('"status_adm":', 5).alias("sa"),
        (
            line.str.starts_with('{"kode_tps":"')
            & (line.str.slice(26, 12) == '","record":{')
            & once[0]
            & once[1]
            & (line.str.find('"chart":', literal=True) > t_at)
            & (line.str.find('"administrasi":', literal=True) > t_at)
        )
        .fill_null(False)
        .alias("_shape"),
    )
    psu_text = _until(pl.col("_psu").str.slice(1), '"')

    def word(col: str) -> pl.Expr:
        c = pl.col(col)
        out = pl.lit(None, dtype=pl.String)
        for w in ("false", "true", "null"):
            out = pl.when(c.str.starts_with(w)).then(pl.lit(w)).otherwise(out)
        return out

    def section(col: str) -> pl.Expr:
        c = pl.col(col)
        return (
            pl.when(c.str.starts_with("null"))
            .then(pl.lit("null"))
            .when(c.str.starts_with("{") & ~c.str.slice(1).str.contains("{", literal=True))
            .then(c)
        )

    parts = parts.with_columns(
        pl.when(pl.col("_psu").str.starts_with("null"))
        .then(pl.lit("null"))
        .when(pl.col("_psu").str.starts_with('"') & ~psu_text.str.contains("\\", literal=True))
        .then(psu_text)
        .alias("psu"),
        pl.when(pl.col("ts").str.starts_with("null"))
        .then(pl.lit("null"))
        .when(pl.col("ts").str.contains(r'^"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}"$'))
        .then(pl.col("ts").str.slice(1, 19).str.replace("T", " ", literal=True))
        .alias("ts"),
        word("ss").alias("ss"),
        word("sa").alias("sa"),
        section("chart").alias("chart"),
        section("adm").alias("adm"),
    )
    parts = parts.with_columns(
        (
            pl.col("_shape")
            & pl.col("kode").str.contains(r"^\d{13}$")
            & pl.all_horizontal(
                pl.col(c).is_not_null() for c in ("psu", "ts", "ss", "sa", "chart", "adm")
            )
        )
        .fill_null(False)
        .alias("_fast")
    )
    cand = parts.filter(pl.col("_fast"))
    adm_long = _pairs_long(cand.filter(pl.col("adm") != "null"), "adm")
    chart_long = _pairs_long(cand.filter(pl.col("chart") != "null"), "chart")
    bad = pl.concat([adm_long.filter(~pl.col("_ok")), chart_long.filter(~pl.col("_ok"))])["_i"]
    good = cand.filter(~pl.col("_i").is_in(bad.implode()))
    slow = lines.join(good.select("_i"), on="_i", how="anti")
    adm_long = adm_long.join(good.select("_i"), on="_i", how="semi")
    chart_long = chart_long.join(good.select("_i"), on="_i", how="semi")

    kode = pl.col("kode")
    if jenis == "ppwp":
        contest = pl.lit(contest_code("ppwp", ""))
    elif jenis == "pkwkp":
        contest = pl.concat_str(pl.lit("pkwkp-"), kode.str.slice(0, 2))
    else:
        contest = pl.concat_str(pl.lit("pkwkk-"), kode.str.slice(0, 4))
    ts = (
        pl.when(pl.col("ts") != "null")
        .then(pl.col("ts"))
        .str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
        .dt.replace_time_zone(WIB)
        .dt.convert_time_zone("UTC")
    )

    def flag(col: str) -> pl.Expr:
        v = pl.col(col)
        return pl.when(v == "true").then(True).when(v == "false").then(False)

    base = good.select(
        "_i",
        "sumber_baris",
        _own(kode).alias("kode_tps"),
        contest.alias("kode_kontestasi"),
        ts.alias("ts"),
        flag("ss").alias("status_suara"),
        flag("sa").alias("status_adm"),
        pl.when(pl.col("psu") != "null").then(_own(pl.col("psu"))).alias("psu"),
        (pl.col("chart") != "null").alias("ada_chart"),
        (pl.col("adm") != "null").alias("ada_administrasi"),
    )
    adm_long = adm_long.with_columns(
        pl.col("_k").replace_strict(_ADMIN_MAP, default=None)
    ).drop_nulls("_k")
    counts = base.select("_i")
    if adm_long.height:
        wide = adm_long.pivot(on="_k", index="_i", values="_v", aggregate_function="last")
        counts = counts.join(wide, on="_i", how="left")
    counts = counts.with_columns(
        pl.lit(None, dtype=pl.Int64).alias(c)
        for c in OFFICIAL_COUNT_COLS
        if c not in counts.columns
    )
    votes = chart_long.filter(~((pl.col("_k") == "null") & pl.col("_v").is_null())).select(
        "_i",
        pl.lit(None, dtype=pl.Int64).alias("nomor_urut"),
        _own(pl.col("_k")).alias("paslon_id"),
        pl.col("_v").alias("suara"),
    )
    tarik = pl.lit(pull, dtype=pl.Datetime("us", "UTC")) if pull else pl.col("ts")
    rows = base.join(counts, on="_i", how="left").with_columns(
        tarik.alias("waktu_tarik"),
        pl.lit([], dtype=pl.List(pl.String)).alias("masalah"),
        pl.lit(rel).alias("sumber_file"),
        pl.lit(None, dtype=pl.String).alias("sumber_sheet"),
        pl.lit(None, dtype=pl.String).alias("nilai_asli"),
        pl.lit(None, dtype=pl.String).alias("_src_file"),
        pl.lit(None, dtype=pl.Int64).alias("_src_baris"),
    )
    types = {**_OFFICIAL_BUILT, "sumber_sheet": pl.String(), "nilai_asli": pl.String()}
    rows = rows.select([pl.col(c).cast(types.get(c, rows.schema[c])) for c in OFFICIAL_ROW_COLS])
    return rows, votes, slow


_FAST_SLICE = 50_000


def read_sirekap_jsonl(
    data: bytes, rel: str, jenis: str | None = None, previous: pl.DataFrame | None = None
) -> FileRead:
    """A bundle: one ``{"kode_tps": ..., "record": {...}}`` per line; a bad line is one bad row.

    ``previous``: :func:`jsonl_line_table` of the same bundle in the previous pull. A line
    byte-identical to one there is an unchanged record: it is not parsed again but kept as a row
    pointing to the record it copies (``_src_file``, ``_src_baris``); ingest gives it that record's
    fate. Clean lines are read vectorised; any other line record by record, with the same result.
    """
    if not data.strip():
        return FileRead("official", error="berkas kosong (0 byte)")
    if b"\x00" in data[:4096]:
        return FileRead("official", error="berkas biner (berisi byte NUL), bukan JSONL")
    jenis = jenis or path_jenis(rel)
    pull = path_pull(rel)
    lines = _jsonl_lines(data)
    if previous is not None and previous.height:
        lines = lines.join(previous, on="_h", how="left", maintain_order="left")
    else:
        lines = lines.with_columns(
            pl.lit(None, dtype=pl.String).alias("_root_file"),
            pl.lit(None, dtype=pl.Int64).alias("_root_baris"),
        )
    n_lines = lines.height
    table = lines.select(
        "_h",
        pl.coalesce(pl.col("_root_file"), pl.lit(rel)).alias("_root_file"),
        pl.coalesce(pl.col("_root_baris"), pl.col("sumber_baris")).alias("_root_baris"),
    ).unique("_h", keep="first", maintain_order=True)
    # an unchanged line needs no text; only the changed ones are read (fewer copies held)
    copies = lines.select("_i", "sumber_baris", "_root_file", "_root_baris").filter(
        pl.col("_root_file").is_not_null()
    )
    todo = lines.filter(pl.col("_root_file").is_null())
    del lines
    row_parts, vote_parts = [], []
    if jenis is not None and todo.height:
        slows = []
        # in slices: the string work of the fast reader holds several copies of each line
        for start in range(0, todo.height, _FAST_SLICE):
            r, v, s = _fast_read(todo.slice(start, _FAST_SLICE), rel, jenis, pull)
            row_parts.append(r)
            vote_parts.append(v)
            slows.append(s)
        slow = pl.concat(slows)
    else:
        slow = todo
    n_bad = 0
    if slow.height:
        b = _OfficialBuilder(rel, jenis, pull)
        index = slow["_i"].to_list()
        for n, text in zip(slow["sumber_baris"].to_list(), slow["line"].to_list(), strict=True):
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                n_bad += 1
                b.add(None, None, n, [f"format: baris bukan JSON yang sah ({exc.msg})"])
                continue
            if isinstance(obj, dict) and "record" in obj:
                b.add(obj.get("kode_tps"), obj.get("record"), n, [])
            else:
                b.add(None, obj, n, [])
        out = b.result()
        remap = pl.DataFrame(
            {"_i": range(len(index)), "_gi": index}, schema={"_i": pl.Int64, "_gi": pl.Int64}
        )
        fix = [pl.col("_gi").alias("_i")]
        row_parts.append(
            out.rows.join(remap, on="_i").drop("_i").with_columns(fix).select(OFFICIAL_ROW_COLS)
        )
        vote_parts.append(out.votes.join(remap, on="_i").drop("_i").with_columns(fix))
    if copies.height:
        row_parts.append(
            copies.select(
                pl.col("_i"),
                pl.col("sumber_baris"),
                pl.col("_root_file").alias("_src_file"),
                pl.col("_root_baris").alias("_src_baris"),
            ).with_columns(
                pl.lit(rel).alias("sumber_file"),
                pl.lit([], dtype=pl.List(pl.String)).alias("masalah"),
                (
                    pl.lit(pull, dtype=pl.Datetime("us", "UTC"))
                    if pull
                    else pl.lit(None, dtype=pl.Datetime("us", "UTC"))
                ).alias("waktu_tarik"),
            )
        )
    if n_bad and n_bad == n_lines:
        return FileRead("official", error="tidak ada satu baris pun yang JSON sah")
    rows = pl.concat(row_parts, how="diagonal_relaxed").select(OFFICIAL_ROW_COLS).sort("_i")
    votes = (
        pl.concat(vote_parts, how="diagonal_relaxed")
        .select("_i", "nomor_urut", "paslon_id", "suara")
        .sort("_i", maintain_order=True)
        if vote_parts
        else pl.DataFrame(
            schema={
                "_i": pl.Int64,
                "nomor_urut": pl.Int64,
                "paslon_id": pl.String,
                "suara": pl.Int64,
            }
        )
    )
    return FileRead("official", rows=rows, votes=votes, line_table=table)


def original_json_rows(data: bytes, rel: str, rows: Sequence[int]) -> dict[int, str]:
    """Original text of some rows of a KPU file (for quarantine): JSON file = its text, JSONL = line."""
    wanted = set(rows)
    if rel.endswith(".jsonl"):
        out = {}
        for n, line in enumerate(data.splitlines(), start=1):
            if n in wanted:
                out[n] = line.decode("utf-8", errors="replace")
        return out
    return {1: data.decode("utf-8", errors="replace")} if 1 in wanted else {}


def map_paslon(
    votes: pl.DataFrame, contest: pl.DataFrame, ref_paslon: pl.DataFrame
) -> pl.DataFrame:
    """Sirekap paslon ids -> nomor urut through the paslon reference.

    ``votes``: ``_rid``, ``paslon_id``, ``suara``; ``contest``: ``_rid`` -> ``kode_kontestasi``.
    An id not in the contest's reference is kept, with ``nomor_urut`` null and ``asing`` true.
    """
    ref = ref_paslon.select("kode_kontestasi", "paslon_id", pl.col("nomor_urut").alias("_nu"))
    ref = ref.drop_nulls("paslon_id").unique(["kode_kontestasi", "paslon_id"])
    v = votes.join(contest, on="_rid", how="left").join(
        ref, on=["kode_kontestasi", "paslon_id"], how="left"
    )
    return v.with_columns(
        pl.coalesce(pl.col("nomor_urut"), pl.col("_nu")).alias("nomor_urut"),
        pl.col("_nu").is_null().alias("asing"),
    ).drop("_nu")


# --- Dispatch ---------------------------------------------------------------------------------


def kind_of(rel: str) -> str | None:
    """Which reader a drop-relative path goes to (catalog layout), None for a file to skip."""
    p = Path(rel)
    parts = [x.lower() for x in p.parts]
    name = parts[-1]
    if name.startswith(".") or name in ("manifest.json", "readme.md", "readme.txt"):
        return None
    top = parts[0] if len(parts) > 1 else ""
    if top == "referensi" and name.startswith("sampel_pvt."):
        return None  # the PVT sample and its hash record: analysis.reconcile.sample reads them
    if top == "referensi":
        if "paslon" in name:
            return "ref_paslon"
        if "tps" in name:
            return "ref_tps"
        return "unknown"
    if top == "hitung_internal":
        return "tally"
    if top == "kpu":
        if "rekap" in parts[:-1]:
            return "official_region"
        return "official"
    if top == "insiden":
        return "incidents"
    if top == "kesiapan":
        return "readiness"
    return "unknown"


def read_file(
    path: Path,
    root: Path,
    data: bytes | None = None,
    kind: str | None = None,
    typed: bool = True,
) -> FileRead:
    """Read one raw file of the drop at ``root`` with the reader its place calls for; never raises
    on bad data (the result's ``error`` says why a file was rejected). ``typed=False``: tables
    come back as text (:func:`read_table_raw`) for batch coercion."""
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
        suffix = path.suffix.lower()
        if kind == "official":
            if suffix == ".jsonl":
                return read_sirekap_jsonl(data, rel)
            if suffix == ".json":
                return read_sirekap_json(data, rel)
            return FileRead(kind, error=f"akhiran {suffix or '(tanpa)'} bukan .json/.jsonl Sirekap")
        if suffix not in (".csv", ".xlsx", ".txt", ".tsv"):
            return FileRead(kind, error=f"akhiran {suffix or '(tanpa)'} bukan .csv atau .xlsx")
        return (
            read_table(kind, data, rel, suffix)
            if typed
            else read_table_raw(kind, data, rel, suffix)
        )
    except OSError as exc:
        return FileRead(kind, error=f"tidak bisa dibaca ({exc.strerror})")
    except Exception as exc:  # noqa: BLE001 - last line of defence: one message, never a traceback
        return FileRead(kind, error=f"gagal dibaca ({type(exc).__name__}: {exc})")
