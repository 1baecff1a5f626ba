"""What several sections share: names of contests and paslon, the unit's and its children's rows,
which contests a pack shows in full, and the guard that keeps one failing section from taking the
pack down."""

from __future__ import annotations

import datetime as dt
import functools
import sys
import traceback
from collections.abc import Callable
from zoneinfo import ZoneInfo

import polars as pl

from analysis import fmt
from analysis.domain import regions
from analysis.packs.html import Html, bagian, esc
from analysis.packs.load import Pack

#: Child units a print keeps in a per-unit table (sorted worst first; the map and the status table
#: already show where trouble is, the screen keeps every row).
PRINTED_CHILDREN = 6


def kontestasi_label(pack: Pack, kode: str) -> str:
    return pack.nama_kontestasi.get(kode, kode)


def paslon_label(nomor: int | None, nama: str | None, kolom_kosong: bool | None = None) -> str:
    if kolom_kosong or nomor == 0:
        return "Kolom kosong"
    return f"{nomor}. {nama}" if nama else f"Paslon {nomor}"


def own_rows(df: pl.DataFrame | None, pack: Pack) -> pl.DataFrame | None:
    """The pack's own unit's rows."""
    return None if df is None else df.filter(pl.col("kode_wilayah") == pack.kode_wilayah)


def child_rows(df: pl.DataFrame | None, pack: Pack) -> pl.DataFrame | None:
    """The rows of the pack's child units."""
    return None if df is None else df.filter(pl.col("kode_wilayah").is_in(pack.kode_anak))


def _contest_depth(kode_kontestasi: str) -> int:
    return regions.depth(regions.contest_region(kode_kontestasi))


def contests_shown(pack: Pack) -> tuple[list[str], list[str]]:
    """(contests shown in full: the unit's own or a wider one; contests of descendants, compact)."""
    own = own_rows(pack.hitung, pack)
    if own is None or own.is_empty():
        return [], []
    codes = sorted(own["kode_kontestasi"].unique().to_list(), key=lambda k: (_contest_depth(k), k))
    unit = pack.kode_wilayah
    full = [k for k in codes if regions.is_inside(unit, regions.contest_region(k))]
    # Contests of the children only: a national pack lists the gubernur races, not all 545.
    sub = [k for k in codes if regions.parent(regions.contest_region(k)) == unit]
    return full, sub


def main_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Per unit, the row of its widest contest (gubernur before bupati/walikota)."""
    return (
        df.with_columns(
            pl.col("kode_kontestasi")
            .map_elements(_contest_depth, return_dtype=pl.Int64)
            .alias("_d")
        )
        .sort("kode_wilayah", "_d", "kode_kontestasi")
        .unique(subset=["kode_wilayah"], keep="first", maintain_order=True)
        .drop("_d")
    )


def paslon_rows(pack: Pack, k: str) -> pl.DataFrame:
    """The unit's own rows of one contest, one per paslon by ballot number, names included."""
    s = own_rows(pack.suara, pack).filter(pl.col("kode_kontestasi") == k)
    for c in ("nama_paslon", "kolom_kosong"):
        if c not in s.columns:
            s = s.with_columns(pl.lit(None).alias(c))
    return s.sort("nomor_urut")


def jenis_anak(pack: Pack) -> str:
    """The head of region the children's contests elect."""
    return "gubernur" if pack.tingkat == "nasional" else "bupati/walikota"


def lainnya(shown: int, total: int, apa: str = "") -> Html:
    """The line under a truncated table: ``… dan 12 berkas lainnya.`` (empty when nothing is cut)."""
    if total <= shown:
        return Html("")
    noun = f"{apa} " if apa else ""
    return Html(
        f'<p class="catatan lainnya" data-angka="lainnya" data-nilai="{total - shown}">… dan '
        f"{esc(fmt.angka(total - shown))} {esc(noun)}lainnya (ditampilkan {esc(fmt.angka(shown))} "
        f"dari {esc(fmt.angka(total))}).</p>"
    )


def val(row: dict, key: str) -> object:
    return row.get(key) if row else None


def local_date(pack: Pack, t: dt.datetime | None) -> dt.date | None:
    return t.astimezone(ZoneInfo(pack.tz)).date() if t else None


def has_values(df: pl.DataFrame | None, col: str) -> bool:
    """Whether ``df`` has ``col`` with at least one value (a column of an absent source is null)."""
    return df is not None and col in df.columns and df[col].null_count() < df.height


def guarded(fn: Callable[[Pack], str]) -> Callable[[Pack], Html]:
    """A section that fails shows an error box instead of taking the whole pack down.

    The traceback goes to stderr (kept in the executed notebook, hidden from the HTML) and the box
    carries ``data-galat`` so the executor and tests can find it.
    """

    @functools.wraps(fn)
    def wrapper(pack: Pack) -> Html:
        try:
            return Html(fn(pack))
        except Exception as exc:  # noqa: BLE001 — one section must not cost leadership the pack
            traceback.print_exc(file=sys.stderr)
            id_ = fn.__name__.removeprefix("section_")
            return bagian(
                id_,
                id_.capitalize(),
                Html(
                    f'<p class="galat" data-galat="{esc(type(exc).__name__)}">Bagian ini gagal '
                    f"dibuat ({esc(type(exc).__name__)}: {esc(str(exc)[:200])}); bagian lain tidak "
                    "terpengaruh. Analis: lihat notebook hasil eksekusi.</p>"
                ),
            )

    return wrapper
