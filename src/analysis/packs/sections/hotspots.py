"""Hotspots: kerawanan per child unit, ranked, with the factors behind each score."""

from __future__ import annotations

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, p, tabel
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded


@guarded
def section_kerawanan(pack: Pack) -> Html:
    """Hotspots: kerawanan per child unit, ranked, with the factors behind each score."""
    judul = "Titik rawan (kerawanan)"
    k = pack.kerawanan
    if k is None:
        return bagian("kerawanan", judul, kosong("Kerawanan"))
    if k.is_empty():
        return bagian("kerawanan", judul, p("Tidak ada wilayah yang dinilai."))
    k = k.sort(["skor", "kode_wilayah"], descending=[True, False])
    n = pack.settings.briefing.list_rows
    rows = [
        [
            str(i),
            pack.nama_wilayah.get(r["kode_wilayah"], r.get("nama") or r["kode_wilayah"]),
            angka_el(
                "skor_kerawanan", fmt.angka(r["skor"], 1), r["skor"], wilayah=r["kode_wilayah"]
            ),
            Html(f'<span class="kelas-rawan">{esc(r.get("kelas"))}</span>'),
            r.get("faktor_utama") or "—",
        ]
        for i, r in enumerate(k.head(n).iter_rows(named=True), 1)
    ]
    parts = [
        p(
            "Skor 0–100 gabungan insiden (bobot keparahan, verifikasi dan waktu), penapisan anomali "
            "dan kesenjangan kesiapan; kelas mengikuti gradasi IKP Bawaslu. Bobot ada di pengaturan.",
            "catatan",
        ),
        tabel(["#", "Wilayah", "Skor", "Kelas", "Faktor utama"], rows, kanan=(0, 2)),
    ]
    if k.height > n:
        parts.append(
            p(f"… dan {fmt.angka(k.height - n)} wilayah lain dengan skor lebih rendah.", "catatan")
        )
    return bagian("kerawanan", judul, "".join(parts))
