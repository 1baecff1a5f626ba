"""The page of a flash report (*laporan kilat*, :mod:`.kilat`): one A4 page, offline, fit to forward.

What, where (the full place path), when (event and report time in the unit's own zone), source,
the recommended action, its owner and deadline (the playbook, ``config/playbook.yaml``), for whom
(the routing table) and why this is a flash report. The same safety as the packs: every value
escaped, a Content-Security-Policy that allows no script and no request, TERBATAS, DATA SIMULASI on
the demo, Bahasa Indonesia with Indonesian number and date formats.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import catalog, reference
from analysis.analyse import followup
from analysis.analyse import incidents as inc
from analysis.domain import regions
from analysis.fmt import angka, tanggal_waktu
from analysis.packs.kilat import Found, Recipient, RunFacts, route
from analysis.packs.render import SAFE_HEAD, TEMPLATE_DIR
from analysis.schemas import TINDAK_LANJUT_MASALAH
from analysis.settings import Settings
from analysis.taxonomy import taxonomy

#: The playbook entry (data section) of a discrepancy that could change the order.
SELISIH_PLAYBOOK = "selisih_mengubah_urutan"

#: Print: everything on one A4 page (the packs' print rules start each section on a new page).
PRINT_CSS = """
@media print {
  @page { size: A4; margin: 12mm; }
  body { font-size: 9.5pt; line-height: 1.35; }
  h1 { font-size: 1.3rem; }
  th, td { padding: 0.15rem 0.35rem; }
  table.kepala th { width: 26%; }
  section.kilat-isi { break-before: auto; page-break-before: auto; }
}
.kilat-judul { border-left: 6px solid var(--merah); padding-left: .5rem; }
@media screen {  /* a phone: the table wraps inside the screen, no sideways scrolling */
  table.kepala { table-layout: fixed; width: 100%; }
  table.kepala th { width: 33%; overflow-wrap: break-word; }
  table.kepala td { overflow-wrap: anywhere; }
}
"""


@dataclass
class Page:
    """One flash report: its rows for the delivery list, and its HTML."""

    id_masalah: str
    jenis: str
    key: str
    judul: str
    kode_wilayah: str
    recipients: list[Recipient]
    alasan: str
    sumber: str
    html: str = ""

    def daftar_row(self, fid: str, r: Recipient | None, f: RunFacts) -> dict[str, object]:
        return {
            "id": fid,
            "jenis": self.jenis,
            "kode_wilayah": self.kode_wilayah,
            "nama_wilayah": _name(self.kode_wilayah),
            "judul": self.judul,
            "tingkat_tujuan": r.tingkat if r else "",
            "kode_tujuan": r.kode_wilayah if r else "",
            "instansi": r.instansi if r else "",
            "tujuan": r.nama if r else "",
            "alasan": self.alasan,
            "waktu_data": f.as_of.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "dibuat": f.made_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "sumber": self.sumber,
            "berkas": f"{fid}.html",
            "generasi": f.generasi,
        }


def _name(code: str) -> str:
    try:
        return reference.unit_name(code)
    except KeyError:
        return code


def _place(code: str) -> str:
    """The unit's name, with its kab/kota below that tier (``Sidomulyo, Kota Prabumulih``)."""
    k = regions.TIERS.index("kabkota")
    if regions.depth(code) <= k:
        return _name(code)
    return f"{_name(code)}, {_name(regions.ancestor_at(code, k))}"


def _zone(code: str, s: Settings) -> tuple[str, str]:
    """(abbreviation, IANA zone) the page states times in: the unit's; the desk's for no place."""
    try:
        return (
            regions.time_zone(code)
            if code != regions.NATIONAL
            else regions.desk_zone(s.desk.unit_code)
        )
    except ValueError:
        return regions.desk_zone(regions.NATIONAL)


def _when(t: object, zone: tuple[str, str]) -> str:
    return tanggal_waktu(t, zone[1], zone[0]) if isinstance(t, dt.datetime) else "–"


def pages(processed: Path, now: Found, seen: set[str], f: RunFacts, s: Settings) -> list[Page]:
    """The flash pages of what is new in ``now`` (not in ``seen``)."""
    new_inc = now.incidents.filter(~pl.col("id_masalah").is_in(sorted(seen)))
    new_con = now.contests.filter(~pl.col("id_masalah").is_in(sorted(seen)))
    out = []
    if not new_inc.is_empty():
        state = catalog.read_optional(TINDAK_LANJUT_MASALAH.name, processed)
        df = inc.location_path(new_inc, "kode_wilayah", top=1)
        out += [
            _incident(r, _followup(state, r["id_masalah"]), f, s)
            for r in df.sort("id_masalah").iter_rows(named=True)
        ]
    if not new_con.is_empty():
        names = dict(reference.contests().select("kode_kontestasi", "nama").iter_rows())
        df = inc.location_path(new_con, "kode_wilayah", top=1)
        out += [_contest(r, names, f, s) for r in df.sort("id_masalah").iter_rows(named=True)]
    return out


def _followup(state: pl.DataFrame | None, id_masalah: str) -> dict[str, object]:
    if state is None:
        return {}
    hit = state.filter(pl.col("id_masalah") == id_masalah)
    return hit.row(0, named=True) if not hit.is_empty() else {}


def _source(r: dict[str, object]) -> str:
    sheet = f", lembar {r['sumber_sheet']}" if r.get("sumber_sheet") else ""
    return f"{r.get('sumber_file') or '–'}{sheet}, baris {angka(r.get('sumber_baris'))}"


def _incident(r: dict[str, object], fu: dict[str, object], f: RunFacts, s: Settings) -> Page:
    code = str(r["kode_wilayah"])
    zone = _zone(code, s)
    labels = taxonomy().fields["kategori"].labels
    kategori = [
        str(r["kategori_label"]),
        *(labels.get(k, k) for k in (r.get("kategori_lain") or [])),
    ]
    recipients, alasan = route("insiden", str(r["kategori"]), code)
    judul = f"Insiden kritis: {kategori[0]} — {_place(code)}"
    src = _source(r)
    hours = angka(s.briefing.status.incident_recent_hours)
    rows = [
        ("Apa", f"<strong>{_e(', '.join(kategori))}</strong> — {_e(r.get('deskripsi') or '–')}"),
        ("Keparahan · verifikasi", _e(f"{r['keparahan_label']} · {r['verifikasi_label']}")),
        (
            "Penanganan",
            _e(
                f"{r['penanganan_label']}"
                + (f" · instansi: {r['instansi']}" if r.get("instansi") else "")
            ),
        ),
        (
            "Di mana",
            f"{_e(r.get('lokasi_lengkap') or _name(code))}<br><small>kode {_e(code)}"
            + (f" · TPS {_e(r['kode_tps'])}" if r.get("kode_tps") else "")
            + "</small>",
        ),
        ("Kejadian", _e(_when(r.get("waktu_kejadian"), zone))),
        ("Dilaporkan", _e(_when(r.get("waktu_laporan"), zone))),
        ("Sumber", _e(_incident_source(r, src))),
        *_action(
            fu.get("tindakan"),
            fu.get("instansi"),
            fu.get("jatuh_tempo"),
            fu.get("tenggat"),
            zone,
            f.as_of,
        ),
        *_route_rows(recipients, alasan),
    ]
    why = (
        f"Insiden kritis yang terverifikasi, belum selesai dan terjadi dalam {hours} jam terakhir "
        f"membuat wilayahnya berstatus kritis; insiden ini belum ada pada pembanding — {f.baseline}."
    )
    page = Page(
        str(r["id_masalah"]), "insiden", str(r["id_insiden"]), judul, code, recipients, alasan, src
    )
    page.html = _render(judul, rows, why, f, zone, code)
    return page


def _contest(r: dict[str, object], names: dict[str, str], f: RunFacts, s: Settings) -> Page:
    code, kode = str(r["kode_wilayah"]), str(r["kode_kontestasi"])
    zone = _zone(code, s)
    nama = names.get(kode, kode)
    recipients, alasan = route("selisih", "*", code, code)
    pb = followup.playbook().data[SELISIH_PLAYBOOK]
    due, words = followup.due_of(f.as_of, str(pb["tingkat_keparahan"]), zone[1])
    judul = f"Selisih dengan KPU dapat mengubah urutan: {nama}"
    src = f"rekonsiliasi hitung internal dengan KPU per {_when(f.as_of, zone)}"
    figures = [
        ("margin", "Selisih suara unggul dan kedua (hitung internal)", r.get("margin")),
        (
            "margin_penantang",
            "Selisih suara unggul dan penantang terdekat",
            r.get("margin_penantang"),
        ),
        (
            "efek_selisih_maks",
            "Perubahan terbesar akibat selisih terbuka",
            r.get("efek_selisih_maks"),
        ),
        ("tps_selisih", "TPS × pemilihan yang berselisih atau ditandai", r.get("tps_selisih")),
    ]
    rows = [
        (
            "Apa",
            _e(r.get("kalimat_selisih") or "selisih terbuka mencapai selisih suara urutan"),
        ),
        *[
            (label, f'<span data-angka="{k}">{_e(angka(v))}</span>')
            for k, label, v in figures
            if v is not None
        ],
        (
            "Di mana",
            f"{_e(r.get('lokasi_lengkap') or _name(code))}<br><small>kode {_e(code)} · pemilihan {_e(kode)}</small>",
        ),
        (
            "Kapan",
            _e(f"data per {_when(f.as_of, zone)}")
            + (
                f"<br><small>belum demikian pada {_e(_when(f.previous, zone))}</small>"
                if f.previous
                else ""
            ),
        ),
        ("Sumber", _e(src)),
        *_action(" ".join(str(pb["tindakan"]).split()), pb["instansi"], due, words, zone, f.as_of),
        *_route_rows(recipients, alasan),
    ]
    why = (
        "Selisih hitung internal dengan KPU yang belum terselesaikan mencapai selisih suara antara "
        "yang unggul dan penantangnya, sehingga urutan pemenang belum dapat dipastikan; keadaan "
        f"ini belum ada pada pembanding — {f.baseline}."
    )
    page = Page(str(r["id_masalah"]), "selisih", kode, judul, code, recipients, alasan, src)
    page.html = _render(judul, rows, why, f, zone, code)
    return page


def _incident_source(r: dict[str, object], src: str) -> str:
    """The report's id and where it was read; an incident without its own id is known by its
    file and row (``file:row``), which the source already says."""
    ident = str(r.get("id_insiden") or "")
    if not ident or ident.startswith(f"{r.get('sumber_file')}:"):
        return f"laporan insiden · {src}"
    return f"laporan insiden {ident} · {src}"


def _action(
    tindakan: object, instansi: object, due: object, words: object, zone: tuple[str, str],
    as_of: dt.datetime,
) -> list[tuple[str, str]]:  # fmt: skip
    """The recommended action, its owner and deadline; a deadline already past at the data time
    says so instead of the playbook's "within 2 hours" wording."""
    if isinstance(due, dt.datetime) and due.tzinfo is not None and due < as_of:
        words = "lewat tenggat"
    tenggat = _when(due, zone) + (f" ({words})" if words else "")
    return [
        (
            "Tindakan yang disarankan",
            _e(tindakan or "belum tersedia (tindak lanjut belum dihitung)"),
        ),
        ("Penanggung jawab", f"<strong>{_e(instansi or '–')}</strong>"),
        ("Tenggat", _e(tenggat)),
    ]


def _route_rows(recipients: list[Recipient], alasan: str) -> list[tuple[str, str]]:
    to = " · ".join(f"<strong>{_e(r.nama)}</strong>" for r in recipients) or "–"
    return [("Dikirim kepada", f"{to}<br><small>{_e(alasan)}</small>")]


def _e(v: object) -> str:
    return html.escape(str(v), quote=True)


def _render(
    judul: str, rows: list[tuple[str, str]], why: str, f: RunFacts, zone: tuple[str, str], code: str
) -> str:
    css = (TEMPLATE_DIR / "pack.css").read_text(encoding="utf-8")
    banner = (
        '<div class="banner-simulasi" role="alert"><strong>DATA SIMULASI</strong> — laporan ini '
        "dibuat dari skenario demo buatan, bukan data pemilihan sebenarnya.</div>\n"
        if f.demo
        else ""
    )
    body = "\n".join(f'<tr><th scope="row">{_e(k)}</th><td>{v}</td></tr>' for k, v in rows)
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
{SAFE_HEAD}
<title>Laporan Kilat · {_e(judul)}</title>
<style>
{css}
{PRINT_CSS}
</style>
</head>
<body>
<main class="laporan" data-kode="{_e(code)}">
<p class="klasifikasi">TERBATAS</p>
{banner}<p class="identitas-ringkas">LAPORAN KILAT · Desk Pilkada · dibuat {_e(tanggal_waktu(f.made_at, zone[1], zone[0]))} · data per {_e(_when(f.as_of, zone))}</p>
<h1 class="kilat-judul">{_e(judul)}</h1>
<section class="kilat-isi">
<table class="tabel kepala"><tbody>
{body}
</tbody></table>
<p class="catatan">Mengapa laporan kilat: {_e(why)}</p>
<p class="catatan"><a href="../index.html">Daftar laporan hari ini</a> · laporan lengkap wilayah ini menyusul pada run berikutnya bila belum ada.</p>
</section>
</main>
</body>
</html>
"""
