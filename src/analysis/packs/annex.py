"""The Excel annex of a pack (``<kode>.xlsx`` beside its HTML): the pack's tables in full, for
offices that work in spreadsheets.

Data comes from the pack's own inputs (:func:`analysis.packs.load.load_pack`) through the same
calls the pack's sections make (``incidents.prepare``, ``followup.followup_list``), so every
figure is the pack's. One sheet per table (:data:`SHEETS`, a declarative table): row 1 carries
TERBATAS, DATA SIMULASI (demo data) and what the sheet is; row 2 the header, frozen and
filtered. Numbers are numbers (a sum or a filter works on them) with Indonesian formats:
``[$-421]`` tags the Indonesian locale (month names); the separators are the reader's regional
settings', so an Indonesian computer shows ``1.234`` and ``81,6%`` (a text cell cannot be summed);
times are in the unit's zone. Written with XlsxWriter, every text cell with
``write_string``: text from field reports never becomes a formula, and text opening with ``=``,
``+``, ``-``, ``@``, tab or CR also carries Excel's quote prefix, so editing the cell keeps it text.
Every row is checked to lie in the pack's unit (the unit-and-descendants rule), or nothing is
written.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from analysis import fmt
from analysis.domain import regions
from analysis.packs.labels import BELUM, CAVEAT, TINGKAT_LABEL, TPS_STATUS_LABEL
from analysis.packs.load import Pack
from analysis.packs.lock import SIMULASI
from analysis.schemas import PAKET_WILAYAH

#: Cells opening with one of these are formulas or DDE to a spreadsheet when typed or re-parsed.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

# Number formats: the codes are stored in the file's neutral notation (``,`` groups, ``.`` is the
# decimal point); [$-421] asks for the Indonesian locale (see the module's docstring).
NUMBER_FORMATS: dict[str, str] = {
    "angka": "[$-421]#,##0",
    "desimal": "[$-421]#,##0.0",
    "persen": "[$-421]0.0%",
    "waktu": r"[$-421]d mmm yyyy hh\.mm",
}
MAX_WIDTH = 60  # characters; longer text wraps
RED, AMBER, GREEN = "#a4161a", "#fff3cd", "#e3f4e8"  # the pack's status colours (pack.css)


class AnnexError(RuntimeError):
    """The annex would break the unit-and-descendants rule; nothing was written."""


@dataclass(frozen=True)
class Column:
    """One column: its header, the frame column it shows and how (teks, angka, persen, …)."""

    header: str
    key: str
    kind: str = "teks"  # teks | angka | desimal | persen | waktu | ya_tidak


@dataclass(frozen=True)
class Sheet:
    """One sheet: name, what it shows, the column holding each row's unit, columns, colours."""

    name: str
    title: str
    region: str
    columns: tuple[Column, ...]
    colours: dict[str, dict[str, str]] = field(default_factory=dict)  # key -> value -> colour


_SEVERITY_COLOURS = {"Kritis": RED, "Tinggi": AMBER}

SHEETS: tuple[Sheet, ...] = (
    Sheet("Selisih TPS", "TPS yang berbeda antara hitung internal dan KPU", "kode_desa", (
        Column("Kab/Kota", "nama_kabkota"), Column("Kecamatan", "nama_kecamatan"),
        Column("Desa/Kelurahan", "nama_desa"), Column("Kode desa", "kode_desa"),
        Column("TPS", "kode_tps"), Column("Pemilihan", "nama_kontestasi"),
        Column("Status", "status_label"),
        Column("Suara sah internal", "suara_sah_internal", "angka"),
        Column("Suara sah KPU", "suara_sah_kpu", "angka"),
        Column("Selisih total", "selisih_total", "angka"),
        Column("Σ |selisih|", "selisih_abs", "angka"),
        Column("Paslon berbeda", "paslon_selisih", "angka"),
        Column("KPU merevisi", "kpu_direvisi", "ya_tidak"),
        Column("Ada catatan validasi", "dijelaskan_validasi", "ya_tidak"),
        Column("Laporan internal", "waktu_laporan", "waktu"),
        Column("Data KPU", "ts_kpu", "waktu"),
    )),
    Sheet("Cakupan per wilayah", f"Cakupan dan perbandingan — {CAVEAT}", "kode_wilayah", (
        Column("Wilayah", "nama_wilayah"), Column("Kode", "kode_wilayah"),
        Column("Pemilihan", "nama_kontestasi"),
        Column("TPS diharapkan", "tps_diharapkan", "angka"),
        Column("TPS masuk (internal)", "tps_internal", "angka"),
        Column("Cakupan internal", "cakupan_internal", "persen"),
        Column("Cakupan KPU", "cakupan_kpu", "persen"),
        Column("DPT TPS belum masuk", "dpt_belum_internal", "angka"),
        Column("Suara sah internal", "suara_sah_internal", "angka"),
        Column("Partisipasi internal", "partisipasi_internal", "persen"),
        Column("TPS dibandingkan", "tps_keduanya", "angka"),
        Column("TPS tidak cocok", "n_tidak_cocok", "angka"),
        Column("Σ |selisih|", "selisih_abs", "angka"),
    )),
    Sheet("Suara per paslon", f"Suara per pasangan calon — {CAVEAT}", "kode_wilayah", (
        Column("Wilayah", "nama_wilayah"), Column("Kode", "kode_wilayah"),
        Column("Pemilihan", "nama_kontestasi"), Column("No. urut", "nomor_urut", "angka"),
        Column("Pasangan calon", "paslon"),
        Column("Suara internal", "suara_internal", "angka"),
        Column("Persentase internal", "persen_internal", "persen"),
        Column("Suara KPU (Sirekap)", "suara_kpu", "angka"),
        Column("Internal, TPS sama", "suara_internal_banding", "angka"),
        Column("KPU, TPS sama", "suara_kpu_banding", "angka"),
        Column("Selisih, TPS sama", "selisih_banding", "angka"),
    )),
    Sheet("Insiden", "Laporan insiden di wilayah ini", "kode_lokasi", (
        Column("ID", "id_insiden"), Column("Dilaporkan", "waktu_laporan", "waktu"),
        Column("Kejadian", "waktu_kejadian", "waktu"), Column("Lokasi", "nama_lokasi"),
        Column("Kode lokasi", "kode_lokasi"), Column("TPS", "kode_tps"),
        Column("Tahapan", "tahapan_label"), Column("Kategori", "kategori_label"),
        Column("Keparahan", "keparahan_label"), Column("Verifikasi", "verifikasi_label"),
        Column("Penanganan", "penanganan_label"), Column("Instansi", "instansi"),
        Column("Belum selesai", "terbuka", "ya_tidak"),
        Column("Umur (jam)", "umur_jam", "desimal"), Column("Uraian", "deskripsi"),
    ), {"keparahan_label": _SEVERITY_COLOURS}),
    Sheet("Tindak lanjut", "Rekomendasi dan tindak lanjut", "kode_wilayah", (
        Column("Masalah", "jenis_label"), Column("Uraian", "uraian"),
        Column("Lokasi", "nama_wilayah"), Column("Kode", "kode_wilayah"),
        Column("Keparahan", "keparahan"), Column("Rekomendasi", "tindakan"),
        Column("Penanggung jawab", "instansi"),
        Column("Pertama terlihat", "pertama_terlihat", "waktu"),
        Column("Jatuh tempo", "jatuh_tempo", "waktu"), Column("Tenggat", "tenggat"),
        Column("Hari terbuka", "hari_terbuka", "angka"),
        Column("Terlambat", "terlambat", "ya_tidak"),
        Column("Status", "status"), Column("Ditutup", "ditutup_pada", "waktu"),
        Column("Alasan ditutup", "alasan_tutup"), Column("ID", "id_masalah"),
    ), {"keparahan": _SEVERITY_COLOURS, "terlambat": {"ya": RED}}),
    Sheet("Kerawanan", "Titik rawan: skor kerawanan 0–100", "kode_wilayah", (
        Column("Wilayah", "nama"), Column("Kode", "kode_wilayah"),
        Column("Skor", "skor", "desimal"), Column("Kelas", "kelas"),
        Column("Skor insiden", "skor_insiden", "desimal"),
        Column("Skor anomali", "skor_anomali", "desimal"),
        Column("Skor kesiapan", "skor_kesiapan", "desimal"),
        Column("Insiden", "n_insiden", "angka"),
        Column("Insiden 7 hari", "n_insiden_7hari", "angka"),
        Column("TPS", "n_tps", "angka"), Column("TPS tertandai", "n_tps_ditandai", "angka"),
        Column("Kesenjangan kesiapan", "kesenjangan_kesiapan", "desimal"),
        Column("Faktor utama", "faktor_utama"),
    ), {"kelas": {"rawan tinggi": RED, "rawan sedang": AMBER, "rawan rendah": GREEN}}),
)  # fmt: skip


# --- The sheets' rows, from the pack ------------------------------------------------------------


def _names_of(pack: Pack, codes: list[str]) -> dict[str, str]:
    """Names of ``codes``: the prepared units' (a pack input), the region tree's for the rest
    (a location without count data); one lookup instead of a join per column."""
    from analysis.analyse.incidents import with_names
    from analysis.packs.load import table

    wil = table(PAKET_WILAYAH, pack.processed_dir)
    known = wil.filter(pl.col("kode_wilayah").is_in(codes)) if wil is not None else None
    found = dict(known.select("kode_wilayah", "nama").iter_rows()) if known is not None else {}
    rest = [c for c in codes if c not in found]
    if rest:
        found |= dict(with_names(pl.DataFrame({"kode_wilayah": rest})).iter_rows())
    return found


def _names(pack: Pack, codes: pl.Expr) -> pl.Expr:
    return codes.replace_strict(pack.nama_wilayah, default=codes)


def _contest_names(pack: Pack) -> pl.Expr:
    return pl.col("kode_kontestasi").replace_strict(
        pack.nama_kontestasi, default=pl.col("kode_kontestasi")
    )


def _selisih(pack: Pack) -> pl.DataFrame | None:
    """TPS × contest that differ, largest first (the pack lists the first few)."""
    if pack.selisih is None or pack.selisih.is_empty():
        return pack.selisih
    df = pack.selisih.sort(["selisih_abs", "kode_tps"], descending=[True, False], nulls_last=True)
    cols = [f"kode_{tier}" for tier in ("kabkota", "kecamatan", "desa")]
    names = _names_of(pack, pl.concat([df[c] for c in cols]).drop_nulls().unique().to_list())
    return df.with_columns(
        *(
            pl.col(c).replace_strict(names, default=None).alias(c.replace("kode_", "nama_"))
            for c in cols
        ),
        _contest_names(pack).alias("nama_kontestasi"),
        pl.col("status")
        .replace_strict(TPS_STATUS_LABEL, default=pl.col("status"))
        .alias("status_label"),
    )


def _unit_contest_order(pack: Pack, df: pl.DataFrame) -> list[pl.Expr]:
    """The unit's own rows first, then its children by code; the widest contest first."""
    codes = df["kode_kontestasi"].unique().to_list()
    depth = {k: regions.depth(regions.contest_region(k)) for k in codes}
    return [
        pl.col("kode_wilayah") != pack.kode_wilayah,
        pl.col("kode_wilayah"),
        pl.col("kode_kontestasi").replace_strict(depth, return_dtype=pl.Int64),
        pl.col("kode_kontestasi"),
    ]


def _suara(pack: Pack) -> pl.DataFrame | None:
    """Votes per paslon of the unit and its children, with each paslon's share of valid votes."""
    if pack.suara is None:
        return None
    total = pl.col("suara_internal").fill_null(0).sum().over("kode_wilayah", "kode_kontestasi")
    kosong = pl.col("kolom_kosong").fill_null(False) | (pl.col("nomor_urut") == 0)
    order = [*_unit_contest_order(pack, pack.suara), pl.col("nomor_urut")]
    return pack.suara.sort(order).with_columns(
        _names(pack, pl.col("kode_wilayah")).alias("nama_wilayah"),
        _contest_names(pack).alias("nama_kontestasi"),
        pl.when(kosong).then(pl.lit("Kolom kosong")).otherwise("nama_paslon").alias("paslon"),
        pl.when(total > 0).then(pl.col("suara_internal") / total).alias("persen_internal"),
    )  # fmt: skip


def _cakupan(pack: Pack) -> pl.DataFrame | None:
    """Coverage and comparison per unit × contest, with the valid votes the paslon rows add to."""
    if pack.hitung is None:
        return None
    df = pack.hitung.sort(_unit_contest_order(pack, pack.hitung))
    if pack.suara is not None:
        sah = pack.suara.group_by("kode_wilayah", "kode_kontestasi").agg(
            pl.col("suara_internal").fill_null(0).sum().alias("suara_sah_internal")
        )
        df = df.join(sah, on=["kode_wilayah", "kode_kontestasi"], how="left")
    else:
        df = df.with_columns(pl.lit(None, pl.Int64).alias("suara_sah_internal"))
    return df.with_columns(
        _names(pack, pl.col("kode_wilayah")).alias("nama_wilayah"),
        _contest_names(pack).alias("nama_kontestasi"),
    )


def _insiden(pack: Pack) -> pl.DataFrame | None:
    """Every incident report in the unit by the report time, most severe and newest first."""
    if pack.insiden is None:
        return None
    from analysis.analyse import incidents

    df = incidents.prepare(pack.insiden, pack.kode_wilayah, pack.as_of)
    names = _names_of(pack, df["kode_lokasi"].unique().to_list())
    df = df.with_columns(
        pl.col("kode_lokasi").replace_strict(names, default=None).alias("nama_lokasi")
    )
    rank = {s: i for i, s in enumerate(incidents.SEVERITIES)}
    order = pl.col("tingkat_keparahan").replace_strict(rank, default=len(rank))
    return df.sort(order, pl.col("waktu_laporan"), "id_insiden", descending=[False, True, False])


def _tindak_lanjut(pack: Pack) -> pl.DataFrame | None:
    """The pack's follow-up list, every row."""
    if pack.tindak_lanjut is None:
        return None
    from analysis.analyse import followup

    df = followup.followup_list(
        pack.tindak_lanjut, pack.kode_wilayah, pack.as_of, pack.previous_as_of
    )
    return df.with_columns(pl.col("tingkat_keparahan").str.to_titlecase().alias("keparahan"))


def _kerawanan(pack: Pack) -> pl.DataFrame | None:
    """Kerawanan of the scored units, highest first (as the pack ranks them)."""
    if pack.kerawanan is None:
        return None
    return pack.kerawanan.sort(["skor", "kode_wilayah"], descending=[True, False])


BUILDERS: dict[str, Callable[[Pack], pl.DataFrame | None]] = {
    "Selisih TPS": _selisih,
    "Cakupan per wilayah": _cakupan,
    "Suara per paslon": _suara,
    "Insiden": _insiden,
    "Tindak lanjut": _tindak_lanjut,
    "Kerawanan": _kerawanan,
}


def sheet_rows(pack: Pack) -> dict[str, pl.DataFrame | None]:
    """Each sheet's rows (None: the data behind it is absent), checked against the unit rule."""
    out = {s.name: BUILDERS[s.name](pack) for s in SHEETS}
    for s in SHEETS:
        check_inside(out[s.name], s.region, pack.kode_wilayah, s.name)
    return out


def check_inside(df: pl.DataFrame | None, col: str, unit: str, sheet: str) -> None:
    """Raise :class:`AnnexError` when a row of ``df`` lies outside ``unit``."""
    if df is None or df.is_empty() or unit == regions.NATIONAL:
        return
    outside = df.filter(~regions.inside_expr(col, unit).fill_null(False))
    if not outside.is_empty():
        raise AnnexError(
            f"sheet {sheet!r}: {outside.height} row(s) outside {unit} "
            f"(e.g. {outside[col][0]!r}); annex not written"
        )


# --- Writing ------------------------------------------------------------------------------------

_FORMAT_SPECS: dict[str, dict[str, Any]] = {
    "mark": {"bold": True, "font_color": RED},
    "header": {"bold": True, "bg_color": "#f4f6f8", "bottom": 1, "text_wrap": True,
               "valign": "top"},
    "teks": {"valign": "top"},
    "teks_panjang": {"valign": "top", "text_wrap": True},
    "teks_kutip": {"valign": "top", "quote_prefix": True},
    "teks_panjang_kutip": {"valign": "top", "text_wrap": True, "quote_prefix": True},
    **{k: {"num_format": v, "valign": "top"} for k, v in NUMBER_FORMATS.items()},
    RED: {"bg_color": RED, "font_color": "#ffffff", "bold": True},
    AMBER: {"bg_color": AMBER, "font_color": "#7a5200", "bold": True},
    GREEN: {"bg_color": GREEN, "font_color": "#1f6f3a"},
}  # fmt: skip

WORKBOOK_OPTIONS: dict[str, bool] = {
    "strings_to_formulas": False,  # belt and braces: text is written with write_string anyway
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "in_memory": True,  # no temporary file per part (~30% of the time of a small annex)
}


def needs_quote(text: str) -> bool:
    """Whether a text cell would read as a formula (or DDE) when typed or re-parsed."""
    return text.startswith(FORMULA_STARTS)


def _cell_value(v: Any, kind: str, tz: ZoneInfo) -> Any:
    """What a cell holds: None (blank), a number, a local naive datetime, or text."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if kind == "ya_tidak":
        return "ya" if v else "tidak"
    if kind == "waktu" and isinstance(v, dt.datetime):
        return v.astimezone(tz).replace(tzinfo=None) if v.tzinfo else v
    if isinstance(v, list):
        return "; ".join(str(x) for x in v)
    return v


def _shown_length(v: Any) -> int:
    return len(fmt.angka(v)) if isinstance(v, (int, float)) else len(str(v))


def _width(header: str, values: list[Any], kind: str) -> int:
    """Characters a column needs: its header or its longest value, at most MAX_WIDTH."""
    if kind == "waktu":
        return max(len(header), 17)
    longest = max((_shown_length(v) for v in values if v is not None), default=0)
    return min(MAX_WIDTH, max(6, len(header) + 2, longest + 2))


@dataclass(frozen=True)
class Marks:
    """What every sheet says on its first row and its printed pages."""

    unit: str  # "Kota Palembang (16.71)"
    data_time: str  # "Kamis, 28 November 2024 14.00 WIB"
    zone: str  # "WIB"
    demo: bool

    @property
    def label(self) -> str:
        return "TERBATAS · DATA SIMULASI" if self.demo else "TERBATAS"


@dataclass
class _Book:
    """One workbook being written: XlsxWriter's workbook, its formats, the marks, the zone."""

    book: Any
    marks: Marks
    tz: ZoneInfo
    formats: dict[str, Any] = field(default_factory=dict)

    def fmt(self, name: str) -> Any:
        if name not in self.formats:
            self.formats[name] = self.book.add_format(_FORMAT_SPECS[name])
        return self.formats[name]

    def cell(self, ws: Any, r: int, c: int, v: Any, kind: str, wide: bool) -> None:
        """One cell: numbers and times as numbers, everything else with ``write_string``."""
        if v is None:
            return
        if kind == "waktu" and isinstance(v, dt.datetime):
            ws.write_datetime(r, c, v, self.fmt("waktu"))
        elif kind in NUMBER_FORMATS and isinstance(v, (int, float)):
            ws.write_number(r, c, float(v), self.fmt(kind))
        else:
            text = str(v)
            style = ("teks_panjang" if wide else "teks") + ("_kutip" if needs_quote(text) else "")
            ws.write_string(r, c, text, self.fmt(style))

    def print_setup(self, ws: Any) -> None:
        """A4 landscape, one page wide, header rows repeated, the marks on every page."""
        ws.set_landscape()
        ws.set_paper(9)
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(0, 1)
        unit = self.marks.unit.replace("&", "&&")
        ws.set_header(f'&L&"-,Bold"{self.marks.label}&R{unit}'[:250])
        ws.set_footer("&Lhitung internal — bukan hasil resmi&Rhalaman &P dari &N")

    def column(self, ws: Any, c: int, col: Column, values: list[Any]) -> None:
        header = col.header + (f" ({self.marks.zone})" if col.kind == "waktu" else "")
        ws.write_string(1, c, header, self.fmt("header"))
        width = _width(col.header, values, col.kind)
        ws.set_column(c, c, width)
        for i, v in enumerate(values):
            self.cell(ws, i + 2, c, v, col.kind, width >= MAX_WIDTH)

    def colours(self, ws: Any, sheet: Sheet, last: int) -> None:
        """Conditional colours of the columns the pack colours (severity, class, overdue)."""
        keys = [col.key for col in sheet.columns]
        if last < 2:  # no rows: nothing to colour
            return
        for key, colours in sheet.colours.items():
            c = keys.index(key)
            for value, colour in colours.items():
                rule = {"type": "cell", "criteria": "==", "value": f'"{value}"'}
                ws.conditional_format(2, c, last, c, {**rule, "format": self.fmt(colour)})

    def sheet(self, sheet: Sheet, df: pl.DataFrame | None) -> None:
        """One sheet: the mark row, the header (frozen, filtered), the rows, the colours."""
        ws = self.book.add_worksheet(sheet.name)
        m = self.marks
        title = f"{m.label} — {sheet.title} · {m.unit} · data per {m.data_time}"
        ws.write_string(0, 0, title, self.fmt("mark"))
        keys = [c.key for c in sheet.columns]
        rows = [] if df is None else _select(df, keys).rows()
        for c, col in enumerate(sheet.columns):
            self.column(ws, c, col, [_cell_value(r[c], col.kind, self.tz) for r in rows])
        if df is None:
            ws.write_string(2, 0, "data belum tersedia", self.fmt("teks"))
        last = max(1, len(rows) + 1)
        ws.freeze_panes(2, 0)
        ws.autofilter(1, 0, last, len(keys) - 1)
        self.colours(ws, sheet, len(rows) + 1)
        self.print_setup(ws)

    def about(self, pack: Pack, counts: dict[str, int | None]) -> None:
        """The first sheet: what the annex is, for which unit and time, what each sheet holds."""
        ws = self.book.add_worksheet("Keterangan")
        ws.write_string(0, 0, self.marks.label, self.fmt("mark"))
        for i, (k, v) in enumerate(_about_rows(pack, self.marks, counts), start=1):
            ws.write_string(i, 0, k, self.fmt("header"))
            ws.write_string(i, 1, v, self.fmt("teks_panjang"))
        ws.set_column(0, 0, 26)
        ws.set_column(1, 1, MAX_WIDTH)
        self.print_setup(ws)


def _select(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The sheet's columns in order; one the frame lacks is blank."""
    return df.select(pl.col(k) if k in df.columns else pl.lit(None).alias(k) for k in keys)


def _about_rows(pack: Pack, marks: Marks, counts: dict[str, int | None]) -> list[tuple[str, str]]:
    rows = [
        ("Klasifikasi", marks.label),
        ("Dokumen", "Lampiran Laporan Harian Desk Pilkada"),
        ("Wilayah", marks.unit),
        ("Tingkat", TINGKAT_LABEL.get(pack.tingkat, pack.tingkat)),
        ("Tanggal laporan", fmt.tanggal(pack.tanggal)),
        ("Data per", marks.data_time),
        ("Sumber data", pack.run.raw or "tidak diketahui"),
        ("Catatan", f"{CAVEAT}. Angka KPU adalah data Sirekap yang dibaca Desk."),
        ("Cakupan", "Hanya wilayah ini dan wilayah di bawahnya."),
    ]
    if marks.demo:
        rows.insert(1, ("Data", SIMULASI))
    for name, n in counts.items():
        rows.append((f"Lembar “{name}”", BELUM if n is None else f"{fmt.angka(n)} baris"))
    return rows


def _properties(book: Any, pack: Pack, marks: Marks) -> None:
    """Title, subject and category carry the marks; created is the data time (reproducible)."""
    when = pack.as_of or dt.datetime.combine(pack.tanggal, dt.time(), dt.UTC)
    book.set_properties({
        "title": f"Lampiran Laporan Harian Desk Pilkada · {marks.unit} · {pack.tanggal}",
        "subject": marks.label, "author": "Desk Pilkada", "company": "Desk Pilkada",
        "category": "TERBATAS", "keywords": marks.label.replace(" · ", ", "),
        "comments": f"{CAVEAT}.", "created": when.replace(tzinfo=None),
    })  # fmt: skip
    book.set_custom_property("Klasifikasi", "TERBATAS")
    book.set_custom_property("Data simulasi", "ya" if marks.demo else "tidak")


def write_annex(pack: Pack, out: Path) -> int:
    """Write the annex of ``pack`` to ``out`` (atomically); returns its size in bytes."""
    import xlsxwriter

    data = sheet_rows(pack)  # checked before anything is written
    unit = f"{pack.nama} ({pack.kode_wilayah})"
    marks = Marks(unit, pack.waktu(pack.as_of), pack.zona, pack.run.demo)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    book = _Book(xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS), marks, ZoneInfo(pack.tz))
    _properties(book.book, pack, marks)
    book.about(pack, {name: None if df is None else df.height for name, df in data.items()})
    for s in SHEETS:
        book.sheet(s, data[s.name])
    book.book.close()
    tmp.replace(out)
    return out.stat().st_size
