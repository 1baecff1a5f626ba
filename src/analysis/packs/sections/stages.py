"""Stage position: which tahapan of the election schedule the report date falls in."""

from __future__ import annotations

import datetime as dt

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, p, tabel
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded
from analysis.settings import Settings


def stage_position(day: dt.date, settings: Settings) -> list[tuple[str, str, str]]:
    """(kode, jadwal, keadaan) per stage for ``day``: keadaan is selesai | berlangsung | akan datang."""
    out = []
    last_end: dt.date | None = None
    for st in settings.briefing.stages:
        if st.mulai is None:
            keadaan = "akan datang" if last_end is None or day <= last_end else "dapat berlangsung"
            jadwal = "setelah rekapitulasi"
        else:
            end = st.selesai or st.mulai
            keadaan = (
                "selesai" if day > end else "berlangsung" if day >= st.mulai else "akan datang"
            )
            jadwal = (
                fmt.tanggal_pendek(st.mulai)
                if end == st.mulai
                else f"{fmt.tanggal_pendek(st.mulai)} – {fmt.tanggal_pendek(end)}"
            )
            last_end = max(last_end or end, end)
        out.append((st.kode, jadwal, keadaan))
    return out


@guarded
def section_tahapan(pack: Pack) -> Html:
    """Stage position: which tahapan the report date falls in."""
    stages = stage_position(pack.tanggal, pack.settings)
    if not stages:
        return bagian("tahapan", "Posisi tahapan", kosong("Jadwal tahapan"))
    from analysis.taxonomy import taxonomy

    labels = taxonomy().fields["tahapan"].labels
    now = [labels.get(k, k) for k, _, s in stages if s == "berlangsung"]
    h = (pack.tanggal - pack.settings.election.voting_day).days
    hari = (
        "hari pemungutan suara" if h == 0 else f"H{'+' if h > 0 else '-'}{abs(h)} pemungutan suara"
    )
    parts = [
        Html(
            f'<p class="sorot">Tahapan berlangsung: '
            f"{angka_el('tahapan_berlangsung', ', '.join(now) or 'tidak ada tahapan terjadwal', '|'.join(now))}"
            f" ({esc(hari)}, {esc(fmt.tanggal(pack.tanggal))}).</p>"
        )
    ]
    rows = [
        [
            labels.get(k, k),
            j,
            Html(f'<span class="keadaan keadaan-{esc(s.replace(" ", "-"))}">{esc(s)}</span>'),
        ]
        for k, j, s in stages
    ]
    # the schedule is reference: a print keeps the current stage's line above
    parts.append(f'<div class="layar-saja">{tabel(["Tahapan", "Jadwal", "Keadaan"], rows)}</div>')
    parts.append(p("Jadwal semua tahapan: versi layar.", "catatan hanya-cetak"))
    return bagian("tahapan", "Posisi tahapan", "".join(parts))
