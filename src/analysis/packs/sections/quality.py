"""Data quality appendix: what was rejected and why, and the row accounting of the drop."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, p, tabel
from analysis.packs.labels import dataset_label
from analysis.packs.load import Pack, derived
from analysis.packs.sections.common import guarded


def _checks(pack: Pack) -> list[str]:
    """Checks that failed on the unit's rows, rejections first."""
    parts: list[str] = []
    cs = pack.kualitas.get("pemeriksaan")
    if cs is None:
        parts.append(kosong("Ringkasan validasi"))
    else:
        bad = cs.filter(pl.col("n_gagal") > 0) if "n_gagal" in cs.columns else cs
        if bad.is_empty():
            parts.append(p("Semua pemeriksaan lolos untuk wilayah ini."))
        else:
            agg = (
                bad.group_by("dataset", "pemeriksaan", "tingkat", maintain_order=True)
                .agg(pl.col("alasan").first(), pl.col("n_gagal").sum(), pl.col("n_diperiksa").sum())
                .sort(["tingkat", "n_gagal"], descending=[True, True], maintain_order=True)
            )
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
                    ),
                ]
                for r in agg.iter_rows(named=True)
            ]
            parts.append(tabel(["Data", "Pemeriksaan", "Akibat", "Gagal"], rows, kanan=(3,)))
    return parts


def _quarantine(pack: Pack) -> list[str]:
    """Rejected rows of the whole drop, by dataset and check."""
    parts: list[str] = []
    q = pack.kualitas.get("karantina")
    parts.append("<h3>Baris yang ditolak (karantina, seluruh kiriman)</h3>")
    if q is None:
        parts.append(kosong("Karantina"))
    elif q.is_empty():
        parts.append(p("Tidak ada baris yang ditolak."))
    else:
        total = int(q["n_baris"].sum())
        parts.append(
            Html(
                f"<p>Jumlah baris ditolak: {angka_el('baris_ditolak', fmt.angka(total), total)}</p>"
            )
        )
        rows = [
            [
                dataset_label(r["dataset"]),
                r["pemeriksaan"],
                fmt.angka(r["n_baris"]),
                r["contoh_alasan"],
            ]
            for r in q.head(pack.settings.briefing.list_rows * 2).iter_rows(named=True)
        ]
        parts.append(tabel(["Data", "Pemeriksaan", "Baris", "Contoh alasan"], rows, kanan=(2,)))
    return parts


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
                "<h3>Neraca baris (seluruh kiriman)</h3><p>"
                f"Dibaca {angka_el('baris_dibaca', fmt.angka(t['baris_dibaca']), t['baris_dibaca'])} = "
                f"diterima {angka_el('baris_diterima', fmt.angka(t['baris_diterima']), t['baris_diterima'])} + "
                f"ditolak {esc(fmt.angka(t['baris_ditolak']))} + "
                f"digantikan laporan yang lebih baru {esc(fmt.angka(t['baris_digantikan']))}; "
                f"{esc(fmt.angka(led.height))} berkas.</p>"
            )
        )
        ditolak = derived(
            led,
            "ditolak",
            lambda d: d.filter(
                (pl.col("status") != "diterima") | (pl.col("baris_ditolak") > 0)
            ).sort(["baris_ditolak", "path"], descending=[True, False]),
        )
        if not ditolak.is_empty():
            parts.append("<h3>Berkas dengan penolakan atau salinan</h3>")
            rows = [
                [
                    Path(r["path"]).name,
                    dataset_label(r.get("dataset")),
                    r["status"],
                    fmt.angka(r["baris_dibaca"]),
                    fmt.angka(r["baris_ditolak"]),
                    r.get("pesan"),
                ]
                for r in ditolak.head(pack.settings.briefing.list_rows * 2).iter_rows(named=True)
            ]
            parts.append(
                tabel(
                    ["Berkas", "Data", "Status", "Dibaca", "Ditolak", "Pesan"], rows, kanan=(3, 4)
                )
            )
    return parts


@guarded
def section_kualitas(pack: Pack) -> Html:
    """Data quality: what was rejected and why (validation summary, quarantine, per-file accounting)."""
    parts = _checks(pack) + _quarantine(pack) + _row_accounting(pack)
    return bagian("kualitas", "Lampiran: kualitas data", "".join(parts))
