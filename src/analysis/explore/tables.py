"""Tables as an analyst reads them: Indonesian column labels, Indonesian numbers, times in the desk's
zone with its label (WIB/WITA/WIT), value codes as words.

The frames themselves stay as the library returns them (codes, UTC, floats) for digging;
:func:`table` only makes the view. Labels and formats are tables of data below; a column none of
them names gets its words with underscores as spaces, acronyms in capitals.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

from analysis import fmt
from analysis.domain.regions import NATIONAL, desk_zone
from analysis.packs.labels import SUMBER_LABEL, TINGKAT_LABEL, TPS_STATUS_LABEL

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

#: Words of column names written otherwise in a label.
WORDS: dict[str, str] = {
    "tps": "TPS",
    "dpt": "DPT",
    "dptb": "DPTb",
    "dpk": "DPK",
    "kpu": "KPU",
    "dhasil": "D.Hasil",
    "psu": "PSU",
    "id": "ID",
    "ktp": "KTP",
    "abs": "mutlak",
    "n": "jumlah",
    "7hari": "7 hari",
}

#: Columns whose label is not simply their words.
LABELS: dict[str, str] = {
    "nomor_urut": "No. urut",
    "nama": "Nama",
    "ts_kpu": "Waktu data KPU",
    "umur_menit": "Umur (menit)",
    "median_jam": "Median (jam)",
    "p90_jam": "Persentil 90 (jam)",
    "n_tps": "Jumlah TPS",
    "selisih_abs": "Selisih mutlak",
    "waktu_acuan": "Waktu acuan",
    "uji_label": "Uji",
    "penapisan_label": "Penapisan",
    "kategori_label": "Kategori",
    "keparahan_label": "Keparahan",
    "tahapan_label": "Tahapan",
    "verifikasi_label": "Verifikasi",
    "penanganan_label": "Penanganan",
}

#: A code column and the column that says the same in words; :func:`table` shows only the words.
WORDED: dict[str, str] = {
    "tahapan": "tahapan_label",
    "kategori": "kategori_label",
    "tingkat_keparahan": "keparahan_label",
    "status_verifikasi": "verifikasi_label",
    "status_penanganan": "penanganan_label",
    "penapisan": "penapisan_label",
    "uji": "uji_label",
}

#: Value codes shown as words, per column.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "status": TPS_STATUS_LABEL,
    "status_banding": TPS_STATUS_LABEL,
    "status_sebelumnya": TPS_STATUS_LABEL,
    "tingkat": TINGKAT_LABEL,
    "sumber": SUMBER_LABEL,
    "status_dhasil": {"cocok": "cocok", "selisih": "selisih", "belum_lengkap": "belum lengkap"},
    "jenis_perubahan": {
        "selisih_baru": "selisih baru",
        "selisih_selesai": "selisih selesai",
        "selisih_berubah": "selisih berubah",
        "kpu_direvisi_baru": "KPU merevisi (baru)",
        "masuk_internal": "masuk hitung internal",
        "masuk_kpu": "masuk KPU",
        "lainnya": "lainnya",
    },
}


#: The longest text a table cell shows (the frame keeps the whole text).
MAX_CHARS = 100


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1].rstrip() + "…"


def _decimal(n: float, places: int) -> str:
    """``4.187`` → ``4,187``; ``0.2`` → ``0,2`` (at most ``places`` decimals, no trailing zeros)."""
    text = fmt.angka(n, places)
    return text.rstrip("0").rstrip(",") if "," in text else text


#: Number formats of float columns: the first pattern (on the column name) that matches wins.
FLOAT_FORMATS: tuple[tuple[str, Callable[[float], str]], ...] = (
    (
        r"^(cakupan|porsi|partisipasi|persen|perkiraan_persen|kesenjangan|galat|kelengkapan)",
        fmt.persen,
    ),
    (r"^(suara|perkiraan_suara)", fmt.angka),
    (r"_jam$|^(skor|bobot)", lambda x: fmt.angka(x, 1)),
    (r"", lambda x: _decimal(x, 3)),
)


def label(column: str) -> str:
    """The Indonesian label of a column: ``cakupan_kpu`` → ``Cakupan KPU``."""
    if column in LABELS:
        return LABELS[column]
    words = [WORDS.get(w, w) for w in column.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def local_times(df: pl.DataFrame, unit: str = NATIONAL) -> pl.DataFrame:
    """``df`` with every time column in the desk's zone of ``unit`` (still times, for digging)."""
    tz = desk_zone(unit)[1]
    return df.with_columns(
        pl.col(c).dt.replace_time_zone("UTC").dt.convert_time_zone(tz)
        if dtype.time_zone is None  # type: ignore[union-attr]
        else pl.col(c).dt.convert_time_zone(tz)
        for c, dtype in df.schema.items()
        if isinstance(dtype, pl.Datetime)
    )


def _float_format(column: str) -> Callable[[float], str]:
    return next(f for pattern, f in FLOAT_FORMATS if re.search(pattern, column))


def _formatter(column: str, dtype: pl.DataType, unit: str) -> Callable[[Any], str]:
    """How one value of ``column`` is written."""
    if column in VALUE_LABELS:
        words = VALUE_LABELS[column]
        return lambda v: words.get(v, str(v).replace("_", " "))
    if isinstance(dtype, pl.Datetime):
        zona, tz = desk_zone(unit)
        return lambda t: fmt.waktu_singkat(t, tz, zona)
    if isinstance(dtype, pl.Date):
        return fmt.tanggal_pendek
    if dtype == pl.Boolean:
        return lambda b: "ya" if b else "tidak"
    if dtype.is_float():
        return _float_format(column)
    if dtype.is_integer() and column != "nomor_urut":
        return fmt.angka
    if isinstance(dtype, pl.List):
        return lambda xs: ", ".join(str(x) for x in xs)
    return str


def _shown_columns(df: pl.DataFrame) -> list[str]:
    """Every column but a code whose words are beside it."""
    return [c for c in df.columns if WORDED.get(c) not in df.columns]


def readable(df: pl.DataFrame | pd.DataFrame, unit: str = NATIONAL) -> pl.DataFrame:
    """``df`` written out as text: Indonesian labels as column names, every value formatted, long
    texts cut at :data:`MAX_CHARS`."""
    frame = df if isinstance(df, pl.DataFrame) else pl.from_pandas(df)
    cols = _shown_columns(frame)
    out: dict[str, list[str]] = {}
    for c in cols:
        write = _formatter(c, frame.schema[c], unit)
        out[label(c)] = [fmt.KOSONG if v is None else _cut(write(v)) for v in frame[c].to_list()]
    return pl.DataFrame(out, schema={label(c): pl.String for c in cols})


def _numeric(df: pl.DataFrame) -> list[str]:
    return [label(c) for c, t in df.schema.items() if t.is_numeric() and c != "nomor_urut"]


def table(
    df: pl.DataFrame | pd.DataFrame, unit: str = NATIONAL, max_rows: int = 100, title: str = ""
) -> Styler:
    """The view of ``df`` an analyst reads (see :func:`readable`): numbers right-aligned, no row
    index, at most ``max_rows`` rows with a caption saying how many there are."""
    frame = df if isinstance(df, pl.DataFrame) else pl.from_pandas(df)
    shown = readable(frame.head(max_rows), unit)
    caption = title
    if frame.height > max_rows:
        more = f"{fmt.angka(max_rows)} dari {fmt.angka(frame.height)} baris"
        caption = f"{title} ({more})" if title else more
    elif frame.is_empty():
        caption = f"{title} (tidak ada baris)" if title else "tidak ada baris"
    numeric = [c for c in _numeric(frame) if c in shown.columns]
    times = [label(c) for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    styler = shown.to_pandas().style.hide(axis="index")
    if numeric:
        styler = styler.set_properties(subset=numeric, **{"text-align": "right"})
    if times := [c for c in times if c in shown.columns]:  # one line: "28 November 2024 14.05 WIB"
        styler = styler.set_properties(subset=times, **{"white-space": "nowrap"})
    return styler.set_caption(caption) if caption else styler
