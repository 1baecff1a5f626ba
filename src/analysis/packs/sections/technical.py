"""The technical annex page (`<kode>.lampiran.html`; the Excel annex is `packs.annex`): its
short summary in the pack (with the link) and the annex page's header.

The annex page (``<kode>.lampiran.html``, :mod:`analysis.packs.paged`) holds the data-quality and
sources sections as they are; the pack keeps a few lines about them so a reader knows what is
there and whether anything needs a look.
"""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.packs.html import Html, bagian, esc
from analysis.packs.load import Pack, derived
from analysis.packs.paged import ANNEX_SUFFIX
from analysis.packs.sections.common import guarded
from analysis.settings import code_version

_TOTALS = ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")


def annex_href(pack: Pack) -> str:
    """The annex's file name, relative to the pack (both sit in the tier's folder)."""
    return f"{pack.kode_wilayah}{ANNEX_SUFFIX}"


def pack_href(pack: Pack) -> str:
    return f"{pack.kode_wilayah}.html"


def classification(pack: Pack) -> str:
    """TERBATAS, and the DATA SIMULASI banner when the data is the demo's."""
    out = '<p class="klasifikasi">TERBATAS</p>'
    if pack.run.demo:
        out += (
            '<div class="banner-simulasi" role="alert"><strong>DATA SIMULASI</strong> — dibuat '
            "oleh generator demo, bukan data pemilihan sebenarnya.</div>"
        )
    return out


def _row_totals(pack: Pack) -> dict[str, int] | None:
    led = pack.kualitas.get("berkas", pack.sumber)
    if led is None or led.is_empty() or not set(_TOTALS) <= set(led.columns):
        return None
    return derived(
        led,
        "ringkas_neraca",
        lambda d: {
            "berkas": d.height,
            **d.select(pl.col(c).sum() for c in _TOTALS).row(0, named=True),
        },
    )


def _failing_checks(pack: Pack) -> int | None:
    cs = pack.kualitas.get("pemeriksaan")
    if cs is None or "n_gagal" not in cs.columns:
        return None
    return cs.filter(pl.col("n_gagal") > 0).select("dataset", "pemeriksaan").unique().height


def _screened(pack: Pack) -> str | None:
    """The anomaly screens in one line (their lists are on the annex page)."""
    if pack.penapisan is None:
        return None
    n_tps = pack.penapisan["kode_tps"].n_unique() if not pack.penapisan.is_empty() else 0
    line = (
        f"Penapisan anomali (penunjuk bagi analis, bukan temuan): {fmt.angka(n_tps)} TPS tertandai"
    )
    w = pack.penapisan_wilayah
    if w is not None and not w.is_empty():
        n_flag = w.filter(pl.col("ditandai").fill_null(False)).height
        line += f"; {fmt.angka(n_flag)} dari {fmt.angka(w.height)} uji digit tertandai"
    return line + "."


def _summary_lines(pack: Pack) -> list[str]:
    lines = []
    t = _row_totals(pack)
    if t:
        lines.append(
            f"{fmt.angka(t['berkas'])} berkas masukan; {fmt.angka(t['baris_dibaca'])} baris "
            f"dibaca: {fmt.angka(t['baris_diterima'])} diterima, {fmt.angka(t['baris_ditolak'])} "
            f"ditolak, {fmt.angka(t['baris_digantikan'])} digantikan laporan yang lebih baru."
        )
    n = _failing_checks(pack)
    if n is not None:
        lines.append(
            f"{fmt.angka(n)} jenis pemeriksaan menemukan data bermasalah di wilayah ini."
            if n
            else "Semua pemeriksaan data lolos untuk wilayah ini."
        )
    screened = _screened(pack)
    if screened:
        lines.append(screened)
    lines.append(f"Versi program pengolah: {pack.run.code_version or code_version()}.")
    return lines


@guarded
def section_lampiran(pack: Pack) -> Html:
    """The pack's few lines about its technical annex, with the link to it."""
    items = "".join(f"<li>{esc(line)}</li>" for line in _summary_lines(pack))
    body = (
        "<p>Rincian teknis — daftar penapisan anomali, setiap berkas sumber dengan sidik "
        "(SHA-256), hasil pemeriksaan per data, dan baris yang ditolak beserta alasannya — ada di "
        "halaman terpisah: "
        f'<a href="{esc(annex_href(pack))}">Lampiran teknis {esc(pack.nama)}</a>.</p>'
        f"<ul>{items}</ul>"
    )
    return bagian("lampiran", "Lampiran teknis (ringkas)", Html(body))


@guarded
def section_lampiran_kepala(pack: Pack) -> Html:
    """The annex page's header: classification, title, data time, the way back to the pack."""
    return Html(
        f'<section class="bagian" id="kepala-lampiran">{classification(pack)}'
        f"<h1>Lampiran teknis — Laporan Harian Desk Pilkada {esc(pack.nama)}</h1>"
        f"<p>Tanggal laporan {esc(fmt.tanggal(pack.tanggal))}; data per {esc(pack.waktu(pack.as_of))}. "
        f'Lampiran dari <a href="{esc(pack_href(pack))}">laporan harian {esc(pack.nama)}</a>.</p>'
        "</section>"
    )
