"""Header of the pack: the unit, its tier, the report's date and zone, the classification."""

from __future__ import annotations

from analysis import fmt
from analysis.packs.html import Html, angka_el, esc, p, tabel
from analysis.packs.labels import TINGKAT_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded, local_date


@guarded
def section_kepala(pack: Pack) -> Html:
    """Header: unit, tier, local date and zone, period, classification, DATA SIMULASI banner."""
    parts = ['<p class="klasifikasi" data-angka="klasifikasi">TERBATAS</p>']
    if pack.run.demo:
        parts.append(
            '<div class="banner-simulasi" role="alert" data-angka="simulasi" data-nilai="true">'
            "<strong>DATA SIMULASI</strong> — seluruh angka dalam laporan ini dibuat oleh generator "
            "demo, bukan data pemilihan sebenarnya.</div>"
        )
    if not pack.run.known:
        parts.append(
            p(
                "Sumber data tidak diketahui: keterangan proses (run.json) tidak ditemukan.",
                "peringatan",
            )
        )
    parts.append(f"<h1>Laporan Harian Desk Pilkada — {esc(pack.nama)}</h1>")
    parts.append("<h2>Identitas laporan</h2>")
    periode = (
        f"{pack.waktu(pack.previous_as_of)} s.d. {pack.waktu(pack.as_of)}"
        if pack.previous_as_of
        else f"s.d. {pack.waktu(pack.as_of)}"
    )
    info = [
        ["Wilayah", Html(f"{esc(pack.nama)} ({esc(pack.kode_wilayah)})")],
        ["Tingkat", TINGKAT_LABEL[pack.tingkat]],
        ["Tanggal laporan", fmt.tanggal(pack.tanggal)],
        [
            "Data per",
            angka_el(
                "waktu_data", pack.waktu(pack.as_of), pack.as_of.isoformat() if pack.as_of else None
            ),
        ],
        ["Periode laporan", periode],
        ["Zona waktu", f"{pack.zona} ({pack.tz})"],
        ["Sumber data", pack.run.raw or "tidak diketahui"],
        ["Klasifikasi", Html("<strong>TERBATAS</strong>")],
    ]
    parts.append(tabel(["Keterangan", "Isi"], info, kelas="tabel kepala"))
    if pack.as_of and local_date(pack, pack.as_of) != pack.tanggal:
        parts.append(
            p(
                f"Perhatian: data terakhir per {pack.waktu(pack.as_of)}, bukan tanggal laporan "
                f"{fmt.tanggal(pack.tanggal)}.",
                "peringatan",
            )
        )
    # The classification and the banner come first on the page, above the title.
    return Html(f'<section class="bagian" id="kepala">{"".join(parts)}</section>')
