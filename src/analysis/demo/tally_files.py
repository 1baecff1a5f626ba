"""The files of the internal count as field staff send them: layouts, styles, and how cells read.

A batch of one kab/kota becomes one CSV in one of the :data:`STYLES` (``;``, ``1.234``, BOM,
cp1252, alias headers) or, for a few, an Excel workbook with title rows (one workbook has a sheet
per contest). :func:`write_csv` and :func:`xlsx_sheets` return where each report landed, so the
manifest can point at every injected fault.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from analysis.demo.drop import encode, thousands, thousands_expr
from analysis.demo.timeline import local_text
from analysis.demo.world import VOTE_COLS
from analysis.domain import regions

#: Canonical raw tally headers, in file order; paslon columns are cut to what a file needs.
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

#: Header aliases some field staff use (the readers know them); title case for the rest.
TALLY_ALIASES: dict[str, str] = {
    "kode_tps": "Kode TPS",
    "pemilih_dpt": "Jumlah DPT",
    "suara_sah": "Suara Sah",
    **{f"suara_paslon_{i}": f"Paslon {i}" for i in range(1, 7)},
}

#: File styles of field staff: separator, encoding, thousands separator, jenis as words, ISO times,
#: alias headers.
STYLES: dict[str, dict[str, Any]] = {
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
STYLE_CYCLE = tuple(STYLES)

XLSX_SHARE = 0.15  # share of tally files sent as Excel workbooks
# At most this many tally workbooks: Excel senders are a minority, and it keeps file I/O bounded.
XLSX_CAP = 40
XLSX_HEADER_ROW = 4  # two title rows and a blank row above the header


def jenis_word(jenis: str, kab_kind: str | None) -> str:
    """A contest as field staff write it: Gubernur, Bupati, or Walikota in a kota."""
    if jenis == regions.JENIS_GUBERNUR:
        return "Gubernur"
    if jenis == regions.JENIS_BUPATI:
        return "Walikota" if kab_kind == "kota" else "Bupati"
    return jenis


def file_columns(has: tuple[bool, ...]) -> list[str]:
    """A file's columns: paslon up to the last one present in it, kolom kosong only if present."""
    max_slot = max((s + 1 for s in range(6) if has[s]), default=0)
    cols = [*TALLY_HEADERS[:17], *VOTE_COLS[:max_slot]]
    if has[6]:
        cols.append("suara_kolom_kosong")
    return [*cols, "suara_sah", "suara_tidak_sah", "suara_total"]


# --- cell texts (every variant a style may need, formatted once for all rows) ------------------


def with_cell_texts(
    reports: pl.DataFrame, overrides: dict[tuple[int, str], str], kab_kinds: dict[str, str]
) -> pl.DataFrame:
    """Add the written forms of each cell; injected cell texts replace the true ones."""
    off = pl.col("tz_off")
    local = pl.from_epoch(pl.col("_t"), time_unit="s") + pl.duration(hours=off)
    iso_offset = pl.concat_str(pl.lit("+"), off.cast(pl.String).str.zfill(2), pl.lit(":00"))
    out = reports.with_columns(
        local.dt.strftime("%Y-%m-%d %H:%M").alias("_w_local"),  # local_text, column-wise
        pl.concat_str(local.dt.strftime("%Y-%m-%dT%H:%M:%S"), iso_offset).alias("_w_iso"),
        _jenis_word_expr(reports, kab_kinds).alias("_j_word"),
        *(pl.col(c).cast(pl.String).alias(f"_s_{c}") for c in TALLY_INT_COLS),
        *(thousands_expr(c).alias(f"_t_{c}") for c in TALLY_INT_COLS),
    )
    by_col: dict[str, dict[int, str]] = {}
    for (i, c), v in overrides.items():
        by_col.setdefault(c, {})[i] = str(v)
    for c, mapping in by_col.items():
        targets = ["_w_local", "_w_iso"] if c == "waktu_laporan" else [f"_s_{c}", f"_t_{c}"]
        out = out.with_columns(
            pl.col("_idx")
            .replace_strict(mapping, default=pl.col(t), return_dtype=pl.String)
            .alias(t)
            for t in targets
        )
    return out


def _jenis_word_expr(reports: pl.DataFrame, kab_kinds: dict[str, str]) -> pl.Expr:
    """:func:`jenis_word` over the reports' columns."""
    kabs = reports["kode_kab"].unique().to_list()
    bupati = {k: jenis_word(regions.JENIS_BUPATI, kab_kinds.get(k)) for k in kabs}
    jenis = pl.col("_jenis_code")
    return (
        pl.when(jenis == regions.JENIS_GUBERNUR)
        .then(pl.lit(jenis_word(regions.JENIS_GUBERNUR, None)))
        .when(jenis == regions.JENIS_BUPATI)
        .then(pl.col("kode_kab").replace_strict(bupati, return_dtype=pl.String))
        .otherwise(jenis)
    )


def written(place: dict[str, Any], value: Any, col: str, overridden: bool) -> Any:
    """A value as it stands in the file at ``place``: text in a CSV, the cell value in an xlsx."""
    if overridden:
        return str(value)
    if col == "jenis_pemilihan":
        return jenis_word(value, place["kab_kind"]) if place["words"] else value
    if place["format"] == "xlsx":
        return value
    if isinstance(value, int) and place.get("thousands"):
        return thousands(value)
    return "" if value is None else str(value)


# --- writing -----------------------------------------------------------------------------------


def write_csv(path: Path, part: pl.DataFrame, cols: list[str], style: str) -> list[str]:
    """Write one batch as a CSV in ``style``; return its header as written."""
    st = STYLES[style]
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
    path.write_bytes(encode(text, st["enc"]))
    return header


def xlsx_sheets(
    part: pl.DataFrame,
    cols: list[str],
    kab_kind: str | None,
    title: list[list[Any]],
    two_sheets: bool,
    overrides: dict[tuple[int, str], str],
) -> list[tuple[str, list[list[Any]], list[int]]]:
    """The sheets of one batch workbook: (name, rows with title and header, ``_idx`` per row).

    With ``two_sheets`` the gubernur reports get their own sheet, as some senders do.
    """
    if two_sheets:
        gub = pl.col("_jenis_code") == regions.JENIS_GUBERNUR
        groups = [
            (jenis_word(regions.JENIS_GUBERNUR, kab_kind), part.filter(gub)),
            (jenis_word(regions.JENIS_BUPATI, kab_kind), part.filter(~gub)),
        ]
    else:
        groups = [("Laporan", part)]
    sheets = []
    for name, sub in groups:
        rows = [_xlsx_row(r, cols, kab_kind, overrides) for r in sub.iter_rows(named=True)]
        sheets.append((name, [*title, cols, *rows], sub["_idx"].to_list()))
    return sheets


def _xlsx_row(
    r: dict[str, Any], cols: list[str], kab_kind: str | None, overrides: dict[tuple[int, str], str]
) -> list[Any]:
    vals: list[Any] = []
    for c in cols:
        key = (r["_idx"], c)
        if key in overrides:
            vals.append(overrides[key])
        elif c == "jenis_pemilihan":
            vals.append(jenis_word(r["_jenis_code"], kab_kind))
        elif c == "waktu_laporan":
            tz = dt.timezone(dt.timedelta(hours=r["tz_off"]))
            vals.append(dt.datetime.fromtimestamp(r["_t"], tz).replace(tzinfo=None))
        else:
            vals.append(r[c])
    return vals


def xlsx_title(region_name: str, cutoff: int) -> list[list[Any]]:
    """The rows above a workbook's header: what it is, up to when, and that it is not official."""
    return [
        [f"LAPORAN HITUNG INTERNAL DESK PILKADA — {region_name.upper()}"],
        [f"Kiriman s.d. {local_text(cutoff, 7)} WIB · hitung internal, bukan hasil resmi"],
        [],
    ]
