"""Data quality appendix: what was rejected and why, and the row accounting of the unit's files.

Everything here covers the pack's unit and its descendants only (``analysis.packs.load``): checks
by the kab/kota of each row's TPS, files and their rejected rows by the unit of the file
(``kode_wilayah_berkas``); what no unit can be placed in is shown only in the pack of the run's
scope. Every count states its denominator over the whole unit.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, p, tabel
from analysis.packs.labels import dataset_label
from analysis.packs.load import Pack, derived, holds_unplaced
from analysis.packs.sections.common import guarded, lainnya


def check_totals(cs: pl.DataFrame) -> pl.DataFrame:
    """Per dataset × check: rows failed and rows checked over every kab/kota of the unit (not only
    those that failed), the checks that failed somewhere, rejections first."""
    return (
        cs.group_by("dataset", "pemeriksaan", "tingkat", maintain_order=True)
        .agg(
            pl.col("alasan").drop_nulls().first(),
            pl.col("n_gagal").sum(),
            pl.col("n_diperiksa").sum(),
        )
        .filter(pl.col("n_gagal") > 0)
        .sort(
            ["tingkat", "n_gagal", "dataset", "pemeriksaan"],
            descending=[True, True, False, False],
            maintain_order=True,
        )
    )


def _checks(pack: Pack) -> list[str]:
    """Checks that failed on the unit's rows, rejections first."""
    parts: list[str] = []
    cs = pack.kualitas.get("pemeriksaan")
    if cs is None:
        parts.append(kosong("Ringkasan validasi"))
    elif cs.is_empty():
        parts.append(
            p(
                "Ringkasan pemeriksaan dirinci per kabupaten/kota; lihat laporan kabupaten/kota.",
                "catatan",
            )
        )
    else:
        agg = check_totals(cs)
        if agg.is_empty():
            parts.append(p("Semua pemeriksaan lolos untuk wilayah ini."))
        else:
            rows = [
                [
                    dataset_label(r["dataset"]),
                    r["alasan"] or r["pemeriksaan"],
                    "ditolak" if r["tingkat"] == "tolak" else "peringatan",
                    angka_el(
                        "n_gagal",
                        fmt.dari(r["n_gagal"], r["n_diperiksa"], "baris"),
                        r["n_gagal"],
                        pemeriksaan=r["pemeriksaan"],
                        diperiksa=r["n_diperiksa"],
                    ),
                ]
                for r in agg.iter_rows(named=True)
            ]
            parts.append(tabel(["Data", "Pemeriksaan", "Akibat", "Gagal"], rows, kanan=(3,)))
            parts.append(
                p(
                    "Penyebut: semua baris wilayah ini yang diperiksa dengan pemeriksaan itu "
                    "(menurut kabupaten/kota TPS-nya).",
                    "catatan",
                )
            )
    return parts


def quarantine_totals(q: pl.DataFrame) -> pl.DataFrame:
    """Rejected rows of the unit's files per dataset × check, with an example from one of them."""
    return (
        q.sort("kode_wilayah_berkas", nulls_last=True)
        .group_by("dataset", "pemeriksaan", maintain_order=True)
        .agg(pl.col("n_baris").sum(), pl.col("contoh_alasan").first())
        .sort(["n_baris", "dataset", "pemeriksaan"], descending=[True, False, False])
    )


def _quarantine(pack: Pack) -> list[str]:
    """Rejected rows of the unit's files, by dataset and check."""
    parts: list[str] = []
    q = pack.kualitas.get("karantina")
    parts.append("<h3>Baris yang ditolak (karantina, berkas wilayah ini)</h3>")
    if q is None:
        parts.append(kosong("Karantina"))
    elif q.is_empty():
        parts.append(p("Tidak ada baris yang ditolak dari berkas wilayah ini."))
    else:
        q = quarantine_totals(q)
        total = int(q["n_baris"].sum())
        parts.append(
            Html(
                f"<p>Jumlah baris ditolak: {angka_el('baris_ditolak', fmt.angka(total), total)}</p>"
            )
        )
        shown = q.head(pack.settings.briefing.list_rows * 2)
        rows = [
            [
                dataset_label(r["dataset"]),
                r["pemeriksaan"],
                fmt.angka(r["n_baris"]),
                r["contoh_alasan"],
            ]
            for r in shown.iter_rows(named=True)
        ]
        parts.append(tabel(["Data", "Pemeriksaan", "Baris", "Contoh alasan"], rows, kanan=(2,)))
        parts.append(lainnya(shown.height, q.height, "pemeriksaan"))
    return parts


def problem_files(led: pl.DataFrame) -> pl.DataFrame:
    """Files rejected whole or copies first (they have no rejected rows to sort by), then files
    with the most rejected rows."""
    return led.filter((pl.col("status") != "diterima") | (pl.col("baris_ditolak") > 0)).sort(
        [pl.col("status") == "diterima", "baris_ditolak", "path"], descending=[False, True, False]
    )


def _row_accounting(pack: Pack) -> list[str]:
    """Rows read = accepted + rejected + superseded, and the files with rejections or copies."""
    parts: list[str] = []
    led = pack.kualitas.get("berkas", pack.sumber)  # ingest's per-file accounting, else the ledger
    if led is not None and not led.is_empty() and "baris_ditolak" in led.columns:
        t = derived(
            led,
            "neraca",
            lambda d: d.select(
                pl.col(c).sum()
                for c in ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")
            ).row(0, named=True),
        )
        parts.append(
            Html(
                "<h3>Neraca baris (berkas wilayah ini)</h3><p>"
                f"Dibaca {angka_el('baris_dibaca', fmt.angka(t['baris_dibaca']), t['baris_dibaca'])} = "
                f"diterima {angka_el('baris_diterima', fmt.angka(t['baris_diterima']), t['baris_diterima'])} + "
                f"ditolak {esc(fmt.angka(t['baris_ditolak']))} + "
                f"digantikan laporan yang lebih baru {esc(fmt.angka(t['baris_digantikan']))}; "
                f"{angka_el('n_berkas', fmt.angka(led.height), led.height)} berkas.</p>"
            )
        )
        ditolak = derived(led, "ditolak", problem_files)
        if not ditolak.is_empty():
            parts.append("<h3>Berkas dengan penolakan atau salinan</h3>")
            shown = ditolak.head(pack.settings.briefing.list_rows * 2)
            rows = [
                [
                    Path(r["path"]).name,
                    dataset_label(r.get("dataset")),
                    r["status"],
                    fmt.angka(r["baris_dibaca"]),
                    fmt.angka(r["baris_ditolak"]),
                    r.get("pesan"),
                ]
                for r in shown.iter_rows(named=True)
            ]
            parts.append(
                tabel(
                    ["Berkas", "Data", "Status", "Dibaca", "Ditolak", "Pesan"], rows, kanan=(3, 4)
                )
            )
            parts.append(lainnya(shown.height, ditolak.height, "berkas"))
    parts.append(p(_scope_note(pack), "catatan"))
    return parts


def _scope_note(pack: Pack) -> str:
    """Which files and rows the annex covers, in words."""
    note = (
        "Lampiran ini hanya memuat berkas dan baris wilayah ini: sebuah berkas milik wilayah "
        "terkecil yang memuat semua baris yang diterimanya dan kode wilayah pada nama berkasnya "
        "(berkas yang ditolak utuh dari nama berkas kabupaten/kota tertentu milik kabupaten/kota "
        "itu); berkas yang mencakup beberapa kabupaten/kota (mis. insiden, kesiapan) dirinci di "
        "laporan wilayah induknya."
    )
    if holds_unplaced(pack):
        note += " Berkas dan baris yang wilayahnya tidak dapat ditentukan dimuat di laporan ini."
    else:
        note += " Berkas dan baris yang wilayahnya tidak dapat ditentukan dimuat di laporan tingkat atas."
    return note


@guarded
def section_kualitas(pack: Pack) -> Html:
    """Data quality: what was rejected and why (validation summary, quarantine, per-file accounting)."""
    parts = _checks(pack) + _quarantine(pack) + _row_accounting(pack)
    return bagian("kualitas", "Lampiran: kualitas data", "".join(parts))
