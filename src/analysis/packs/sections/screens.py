"""Anomaly screens: a short list, with the caveat that they are screens, not findings."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.analyse import screens
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, p, tabel
from analysis.packs.labels import ISTILAH
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded, kontestasi_label, lainnya

#: Flagged TPS a print keeps: screens point an analyst somewhere, the full list is on screen.
PRINTED_HITS = 3


def _tps_hits(pack: Pack) -> list[str]:
    """The TPS the screens flag inside the unit, the first screens first."""
    parts: list[str] = []
    hits = pack.penapisan
    n = pack.settings.briefing.list_rows
    if hits.is_empty():
        parts.append(p("Tidak ada TPS yang tertandai penapisan."))
    else:
        n_tps = hits["kode_tps"].n_unique()
        parts.append(
            Html(
                f"<p>TPS tertandai: {angka_el('penapisan_tps', fmt.angka(n_tps), n_tps, wilayah=pack.kode_wilayah)}</p>"
            )
        )
        order = {c: i for i, c in enumerate(screens.SCREEN_LABELS)}
        top = (
            hits.with_columns(pl.col("penapisan").replace_strict(order, default=99).alias("_o"))
            .sort("_o", "kode_tps")
            .head(n)
        )
        rows = [
            [
                r["kode_tps"],
                pack.nama_wilayah.get(r.get("kode_desa") or "", r.get("kode_desa")),
                kontestasi_label(pack, r["kode_kontestasi"]),
                r["penapisan_label"],
                r.get("keterangan"),
            ]
            for r in top.iter_rows(named=True)
        ]
        head = ["TPS", "Desa/kelurahan", "Pemilihan", "Penapisan", "Keterangan"]
        parts.append(tabel(head, rows, cetak=PRINTED_HITS))
        if hits.height > n:
            parts.append(
                p(
                    f"… dan {fmt.angka(hits.height - n)} tanda lain (lihat buku kerja analis).",
                    "catatan",
                )
            )
    return parts


def _digit_tests(pack: Pack) -> list[str]:
    """Digit tests of the kab/kota that flag something."""
    n = pack.settings.briefing.list_rows
    parts: list[str] = []
    w = pack.penapisan_wilayah
    if w is not None and not w.is_empty():
        flagged = w.filter(pl.col("ditandai").fill_null(False))
        parts.append("<h3>Uji digit per kabupaten/kota</h3>")
        if flagged.is_empty():
            parts.append(p(f"Tidak ada yang tertandai dari {fmt.angka(w.height)} uji."))
        else:
            rows = [
                [
                    pack.nama_wilayah.get(r["kode_wilayah"], r["kode_wilayah"]),
                    kontestasi_label(pack, r["kode_kontestasi"]),
                    r["uji_label"],
                    fmt.angka(r["nilai"], 3),
                    fmt.angka(r["harapan"], 3) if r.get("harapan") is not None else fmt.KOSONG,
                    f"{fmt.angka(r['batas_bawah'], 3)} – {fmt.angka(r['batas_atas'], 3)}"
                    if r.get("batas_bawah") is not None
                    else fmt.KOSONG,
                ]
                for r in flagged.head(n).iter_rows(named=True)
            ]
            parts.append(
                tabel(
                    ["Wilayah", "Pemilihan", "Uji", "Nilai", "Harapan", "Interval 95%"],
                    rows,
                    kanan=(3, 4),
                )
            )
            parts.append(lainnya(min(n, flagged.height), flagged.height, "uji tertandai"))
            parts.append(
                p(
                    f"{fmt.angka(flagged.height)} dari {fmt.angka(w.height)} uji tertandai; pada taraf 95% sekitar 5% tertandai walau data bersih.",
                    "catatan",
                )
            )
    return parts


@guarded
def section_penapisan(pack: Pack) -> Html:
    """Anomaly screens, short list, with the caveat that they are screens, not findings."""
    judul = "Penapisan anomali"
    if pack.penapisan is None:
        return bagian("penapisan", judul, kosong("Penapisan anomali"))
    parts = [p(screens.CAVEAT, "caveat"), *_tps_hits(pack), *_digit_tests(pack)]
    body = "".join(parts)
    return bagian("penapisan", judul, body + istilah(body))


def istilah(text: str) -> str:
    """The technical terms used in ``text``, explained in words (nothing when none is used)."""
    used = [(term, words) for term, words in ISTILAH.items() if term.lower() in text.lower()]
    if not used:
        return ""
    items = "".join(f"<li><strong>{esc(t)}</strong>: {esc(w)}</li>" for t, w in used)
    return f'<div class="catatan"><p>Istilah:</p><ul>{items}</ul></div>'
