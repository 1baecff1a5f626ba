"""The closing block of a pack, in the form of a *laporan harian*: its number, place and date,
and the signature places (*Mengetahui*, the reporter) whose titles and names come from the
settings (``briefing.closing``); a name not configured leaves a blank line to sign on."""

from __future__ import annotations

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, tabel
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded
from analysis.packs.sections.identity import identity_rows
from analysis.settings import Signatory

_ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
BLANK_NAME = "(" + "." * 36 + ")"


def report_number(pack: Pack) -> str:
    """The report's number from the configured pattern (one number per unit and date)."""
    d = pack.tanggal
    return pack.settings.briefing.closing.nomor.format(
        kode=pack.kode_wilayah,
        tanggal=d.strftime("%Y%m%d"),
        bulan_romawi=_ROMAN[d.month - 1],
        tahun=d.year,
    )


def signatories(pack: Pack) -> list[Signatory]:
    closing = pack.settings.briefing.closing
    return closing.signatories_by_unit.get(pack.kode_wilayah, closing.signatories)


def _signature(pack: Pack, s: Signatory) -> str:
    jabatan = s.jabatan.format(wilayah=pack.nama)
    nip = f"<p>NIP {esc(s.nip)}</p>" if s.nip else ""
    return (
        f"<div><p>{esc(s.peran)},</p><p>{esc(jabatan)}</p>"
        '<div class="ruang-ttd" aria-hidden="true"></div>'
        f'<p class="nama">{esc(s.nama or BLANK_NAME)}</p>{nip}</div>'
    )


@guarded
def section_penutup(pack: Pack) -> Html:
    """Number, place and date, the report's identity, classification, and the signature places."""
    closing = pack.settings.briefing.closing
    tempat = closing.tempat.get(pack.kode_wilayah, pack.nama)
    info = [
        ["Nomor", angka_el("nomor_laporan", report_number(pack), report_number(pack))],
        ["Tempat, tanggal", f"{tempat}, {fmt.tanggal_pendek(pack.tanggal)}"],
        *identity_rows(pack),
        ["Klasifikasi", Html("<strong>TERBATAS</strong>")],
    ]
    # two facts a row: the block stays a third of a page, signatures included
    pairs = [
        info[i] + (info[i + 1] if i + 1 < len(info) else ["", ""]) for i in range(0, len(info), 2)
    ]
    head = ["Keterangan", "Isi", "Keterangan", "Isi"]
    body = (
        '<div class="blok-penutup">'
        "<p>Demikian laporan harian Desk Pilkada ini disampaikan sebagai bahan rapat koordinasi "
        "dan pengambilan keputusan.</p>"
        f"{tabel(head, pairs, kelas='tabel kepala identitas', inti=(0, 1, 2, 3))}"
        f'<div class="tanda-tangan">{"".join(_signature(pack, s) for s in signatories(pack))}</div>'
        "</div>"
    )
    return bagian("penutup", "Penutup", Html(body))
