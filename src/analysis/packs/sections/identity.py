"""The pack's identity: a compact header line on top, the full identity at the end (in the
closing block, :mod:`analysis.packs.sections.closing`)."""

from __future__ import annotations

from analysis import fmt
from analysis.domain import regions
from analysis.packs.html import Html, angka_el, esc, p
from analysis.packs.labels import TINGKAT_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded, local_date
from analysis.packs.sections.navigation import link_to


def _up_link(pack: Pack) -> str:
    up = regions.parent(pack.kode_wilayah)
    if up is None:
        return ""
    href = link_to(pack, up)
    if href is None:
        return ""
    from analysis.reference import unit_name

    nama = pack.nama_wilayah.get(up) or unit_name(up)
    return (
        f' · <a class="naik" href="{esc(href)}" data-tautan="{esc(up)}">↑ laporan '
        f"{esc(TINGKAT_LABEL[regions.tier_of(up)].lower())} {esc(nama)}</a>"
    )


@guarded
def section_kepala(pack: Pack) -> Html:
    """Header: TERBATAS, the DATA SIMULASI banner, the title and one compact identity line."""
    parts = ['<p class="klasifikasi" data-angka="klasifikasi">TERBATAS</p>']
    if pack.run.demo:
        parts.append(
            '<div class="banner-simulasi" role="alert" data-angka="simulasi" data-nilai="true">'
            "<strong>DATA SIMULASI</strong> — angka dari generator demo, bukan data pemilihan "
            "sebenarnya.</div>"
        )
    if not pack.run.known:
        parts.append(
            p(
                "Sumber data tidak diketahui: keterangan proses (run.json) tidak ditemukan.",
                "peringatan",
            )
        )
    parts.append(f"<h1>Laporan Harian Desk Pilkada — {esc(pack.nama)}</h1>")
    waktu = angka_el(
        "waktu_data", pack.waktu(pack.as_of), pack.as_of.isoformat() if pack.as_of else None
    )
    parts.append(
        f'<p class="identitas-ringkas">{esc(TINGKAT_LABEL[pack.tingkat])} · '
        f"{esc(pack.kode_wilayah)} · data per {waktu}{_up_link(pack)}</p>"
    )
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


def identity_rows(pack: Pack) -> list[list[object]]:
    """The report's identity in full (unit, tier, period, zone, source): the closing block shows
    it at the end of the pack."""
    periode = (
        f"{pack.waktu(pack.previous_as_of)} s.d. {pack.waktu(pack.as_of)}"
        if pack.previous_as_of
        else f"s.d. {pack.waktu(pack.as_of)}"
    )
    return [
        ["Wilayah", Html(f"{esc(pack.nama)} ({esc(pack.kode_wilayah)})")],
        ["Tingkat", TINGKAT_LABEL[pack.tingkat]],
        ["Data per", pack.waktu(pack.as_of)],
        ["Periode laporan", periode],
        ["Zona waktu", f"{pack.zona} ({pack.tz})"],
        ["Sumber data", pack.run.raw or "tidak diketahui"],
    ]
