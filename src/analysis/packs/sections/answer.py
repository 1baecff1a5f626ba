"""The first phone screen: the answer, per contest, before anything else.

:func:`first_screen` builds the model (what a reader must see first), :func:`section_jawaban`
draws it: per contest shown in full, who leads the internal count in this unit and with what share
("bukan hasil resmi"), how much of it is counted, whether the difference with KPU could change the
order, a slot for the projection with its margin (issue 13), then the critical open incidents, the
top three actions with owner and due time, and "Yang perlu diputuskan hari ini".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from analysis import fmt, reference
from analysis.domain import regions
from analysis.packs import status
from analysis.packs.html import Html, angka_el, esc
from analysis.packs.labels import ANAK_LABEL, METODE_LABEL, STATUS_LABEL, TINGKAT_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import (
    contests_shown,
    guarded,
    kontestasi_label,
    own_rows,
    paslon_label,
    paslon_rows,
)
from analysis.packs.sections.summary import child_status, own_status


@dataclass(frozen=True)
class ContestAnswer:
    """One contest on the first screen, in this unit (the unit's own internal count)."""

    kode_kontestasi: str
    nama: str
    unggul: str | None  # leading paslon's label; None: no internal count yet
    nomor_unggul: int | None
    porsi_unggul: float | None  # share of the valid votes counted in this unit
    tps_internal: int | None
    tps_diharapkan: int | None
    # could the open differences with KPU change the order? None: answered in a wider pack
    selisih_bisa_mengubah: bool | None
    # SLOT for issue 13: the projection with its margin (set by :func:`projection_for`)
    proyeksi: object | None = None

    @property
    def cakupan(self) -> float | None:
        return self.tps_internal / self.tps_diharapkan if self.tps_diharapkan else None


@dataclass(frozen=True)
class Action:
    """One of the top actions: what, where, who, by when."""

    tindakan: str
    lokasi: str
    instansi: str | None
    jatuh_tempo: dt.datetime | None
    terlambat: bool


@dataclass(frozen=True)
class FirstScreen:
    """Everything the first phone screen says."""

    status: dict | None
    kontestasi: list[ContestAnswer]
    n_kontestasi_anak: int  # contests of the children, summarised in one line
    n_anak_berubah: int  # ... of which the difference with KPU could change the order
    n_kritis_terbuka: int
    n_kritis_terverifikasi: int
    tindakan: list[Action] = field(default_factory=list)
    keputusan: list[str] = field(default_factory=list)


def projection_for(pack: Pack, kode_kontestasi: str) -> str | None:
    """The first method (in the projection section's order) that projects the contest's
    leader, as ``Proyeksi strata (hitung internal): 4: 44,6% ± 0,1``; None when none does
    (the projection section says why)."""
    from analysis.packs.sections.projection import SHOWN, _leading

    for metode in SHOWN:
        text = _leading(pack, kode_kontestasi, metode)
        if text != "belum":
            where = reference.unit_name(regions.contest_region(kode_kontestasi))
            return (
                f"{METODE_LABEL[metode]} untuk seluruh {where}: {text} poin — proyeksi internal, "
                "bukan hasil resmi"
            )
    return None


def _could_change(pack: Pack) -> dict[str, bool]:
    d = status.discrepancy_could_change(
        status.internal_decidedness(pack.kepastian, pack.kontestasi)
    )
    return dict(zip(d["kode_kontestasi"], d["selisih_bisa_mengubah"], strict=True))


def _contest(pack: Pack, k: str, changes: dict[str, bool]) -> ContestAnswer:
    s = paslon_rows(pack, k) if pack.suara is not None else pl.DataFrame()
    own = own_rows(pack.hitung, pack)
    h = own.filter(pl.col("kode_kontestasi") == k) if own is not None else pl.DataFrame()
    r = h.row(0, named=True) if h.height else {}
    total = int(s["suara_internal"].sum()) if s.height else 0
    top = (
        s.sort(["suara_internal", "nomor_urut"], descending=[True, False]).row(0, named=True)
        if total
        else None
    )
    return ContestAnswer(
        kode_kontestasi=k,
        nama=kontestasi_label(pack, k),
        unggul=paslon_label(top["nomor_urut"], top["nama_paslon"], top["kolom_kosong"])
        if top
        else None,
        nomor_unggul=top["nomor_urut"] if top else None,
        porsi_unggul=top["suara_internal"] / total if top else None,
        tps_internal=r.get("tps_internal"),
        tps_diharapkan=r.get("tps_diharapkan"),
        selisih_bisa_mengubah=changes.get(k),
        proyeksi=projection_for(pack, k),
    )


_SEVERITY = {"kritis": 0, "tinggi": 1, "sedang": 2, "rendah": 3}


def _followups(pack: Pack) -> pl.DataFrame:
    """The unit's follow-up list as of the data time (once per pack: actions and overdue count)."""
    from analysis.analyse import followup

    return pack.once(
        "tindak_lanjut_kini",
        lambda: followup.followup_list(pack.tindak_lanjut, pack.kode_wilayah, pack.as_of),
    )


def _actions(pack: Pack, n: int = 3) -> list[Action]:
    if pack.tindak_lanjut is None:
        return []
    df = (
        _followups(pack)
        .filter(pl.col("status") == "terbuka")
        .with_columns(
            pl.col("tingkat_keparahan")
            .replace_strict(_SEVERITY, default=len(_SEVERITY))
            .alias("_s")
        )
    )
    # most serious first; within a severity the deadlines still ahead (nearest first), then the
    # missed ones (most recent first): an item overdue for months is not today's first action
    df = df.sort(
        ["_s", "terlambat", "jatuh_tempo"], descending=[False, False, False], nulls_last=True
    )
    df = (
        pl.concat(
            [
                df.filter(~pl.col("terlambat").fill_null(False)),
                df.filter(pl.col("terlambat").fill_null(False)).sort(
                    ["_s", "jatuh_tempo"], descending=[False, True]
                ),
            ]
        )
        .sort("_s", maintain_order=True)
        .head(n)
    )
    # the same action for the same owner at several places is one action with its places, due
    # by the earliest of their deadlines, and overdue when any of them is
    df = df.with_columns(pl.coalesce("nama_wilayah", "kode_wilayah").alias("_lokasi"))
    grouped = df.group_by("tindakan", "instansi", maintain_order=True).agg(
        pl.col("_lokasi").unique(maintain_order=True),
        pl.col("jatuh_tempo").min(),
        pl.col("terlambat").fill_null(False).any(),
    )
    return [
        Action(
            tindakan=r["tindakan"],
            lokasi=_places(r["_lokasi"]),
            instansi=r.get("instansi"),
            jatuh_tempo=r.get("jatuh_tempo"),
            terlambat=bool(r.get("terlambat")),
        )
        for r in grouped.head(n).iter_rows(named=True)
    ]


def _places(names: list[str], shown: int = 3) -> str:
    more = f" dan {fmt.angka(len(names) - shown)} lainnya" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _overdue(pack: Pack) -> int:
    if pack.tindak_lanjut is None:
        return 0
    return int(_followups(pack)["terlambat"].fill_null(False).sum())


#: "Yang perlu diputuskan hari ini": (does it apply to this screen, what it says). First to last.
KEPUTUSAN = (
    (
        lambda f, p: [c for c in f.kontestasi if c.selisih_bisa_mengubah] != [],
        lambda f, p: (
            "Selisih dengan KPU dapat mengubah urutan "
            + ", ".join(c.nama for c in f.kontestasi if c.selisih_bisa_mengubah)
            + ": putuskan pencocokan C.Hasil bersama KPU dan Bawaslu sebelum pleno rekapitulasi."
        ),
    ),
    (
        lambda f, p: f.n_anak_berubah > 0,
        lambda f, p: (
            f"{fmt.angka(f.n_anak_berubah)} pemilihan {_jenis_anak(p)} dengan selisih yang "
            "dapat mengubah urutan: putuskan pencocokan C.Hasil bersama KPU kab/kota."
        ),
    ),
    (
        lambda f, p: f.n_kritis_terverifikasi > 0,
        lambda f, p: (
            f"{fmt.angka(f.n_kritis_terverifikasi)} insiden kritis terverifikasi belum "
            "selesai: putuskan eskalasi ke Forkopimda (rincian di bagian Insiden)."
        ),
    ),
    (
        lambda f, p: _kritis_children(p) != [],
        lambda f, p: (
            f"{ANAK_LABEL[p.tingkat].capitalize()} berstatus kritis: "
            + ", ".join(_kritis_children(p))
            + " — tetapkan penanggung jawab pemantauan hari ini."
        ),
    ),
    (
        lambda f, p: _overdue(p) > 0,
        lambda f, p: (
            f"{fmt.angka(_overdue(p))} tindak lanjut lewat tenggat: tegur atau alihkan "
            "penanggung jawabnya."
        ),
    ),
)


def _jenis_anak(pack: Pack) -> str:
    return "gubernur" if pack.tingkat == "nasional" else "bupati/walikota"


def _kritis_children(pack: Pack) -> list[str]:
    if pack.anak.is_empty():
        return []
    st = child_status(pack).filter(pl.col("status") == "kritis")
    return st["nama"].to_list()


def first_screen(pack: Pack) -> FirstScreen:
    """The model of the first screen (the rendering is :func:`section_jawaban`); computed once
    per pack (the command-centre edition opens with the same decisions)."""
    return pack.once("layar_pertama", lambda: _first_screen(pack))


def _first_screen(pack: Pack) -> FirstScreen:
    full, sub = contests_shown(pack)
    changes = _could_change(pack)
    own = own_status(pack) or {}
    f = FirstScreen(
        status=own or None,
        kontestasi=[_contest(pack, k, changes) for k in full],
        n_kontestasi_anak=len(sub),
        n_anak_berubah=sum(bool(changes.get(k)) for k in sub),
        n_kritis_terbuka=int(own.get("n_kritis_terbuka") or 0),
        n_kritis_terverifikasi=int(own.get("n_kritis_terverifikasi") or 0),
        tindakan=_actions(pack),
    )
    f.keputusan.extend(say(f, pack) for applies, say in KEPUTUSAN if applies(f, pack))
    return f


# --- Drawing --------------------------------------------------------------------------------------


def _change_words(c: ContestAnswer) -> Html:
    if c.selisih_bisa_mengubah is None:
        tier = regions.tier_of(regions.contest_region(c.kode_kontestasi))
        text, val = f"dinilai di laporan {TINGKAT_LABEL[tier].lower()}", None
    elif c.selisih_bisa_mengubah:
        text, val = "YA, dapat mengubah urutan", True
    else:
        text, val = "tidak dapat mengubah urutan", False
    el = angka_el("selisih_bisa_mengubah", text, val, kontestasi=c.kode_kontestasi)
    return Html(f"<p>Selisih dengan KPU: <strong>{el}</strong></p>")


def _projection_html(c: ContestAnswer) -> Html:
    """SLOT: the projection with its margin (issue 13); nothing when there is none."""
    return Html("") if c.proyeksi is None else Html(f"<p>{esc(c.proyeksi)}</p>")


def _card(pack: Pack, c: ContestAnswer) -> Html:
    k = c.kode_kontestasi
    if c.unggul is None:
        lead = Html('<p class="besar">Belum ada hitung internal</p>')
    else:
        lead = Html(
            '<p class="besar">'
            + angka_el("unggul", c.unggul, c.nomor_unggul, kontestasi=k)
            + " "
            + angka_el("porsi_unggul", fmt.persen(c.porsi_unggul), c.porsi_unggul, kontestasi=k)
            + "</p>"
        )
    cov = angka_el("cakupan_jawaban", fmt.persen(c.cakupan), c.cakupan, kontestasi=k)
    counted = Html(
        f"<p>Terhitung {cov} TPS ({esc(fmt.angka(c.tps_internal))} dari "
        f"{esc(fmt.angka(c.tps_diharapkan))})</p>"
    )
    return Html(
        f'<div class="kartu" data-kontestasi="{esc(k)}">'
        f"<h2>{esc(c.nama)}</h2>{lead}"
        f'<p class="catatan">porsi suara sah di {esc(pack.nama)}; hitung internal — '
        "bukan hasil resmi</p>"
        f"{counted}{_change_words(c)}{_projection_html(c)}</div>"
    )


def _actions_html(pack: Pack, acts: list[Action]) -> Html:
    if not acts:
        return Html("<p>Tidak ada tindak lanjut terbuka.</p>")
    items = []
    for a in acts:
        due = fmt.waktu_singkat(a.jatuh_tempo, pack.tz, pack.zona) if a.jatuh_tempo else "–"
        late = " <strong>(lewat tenggat)</strong>" if a.terlambat else ""
        items.append(
            f'<li data-angka="tindakan_teratas">{esc(a.tindakan)} <span class="catatan">'
            f"— {esc(a.lokasi)}; {esc(a.instansi)}; tenggat {esc(due)}</span>{late}</li>"
        )
    return Html(f"<ol>{''.join(items)}</ol>")


@guarded
def section_jawaban(pack: Pack) -> Html:
    """The first screen: per contest the answer, then incidents, actions and decisions."""
    f = first_screen(pack)
    parts = [_card(pack, c) for c in f.kontestasi]
    if f.n_kontestasi_anak:
        parts.append(
            f"<p>{esc(fmt.angka(f.n_kontestasi_anak))} pemilihan {esc(_jenis_anak(pack))} di "
            f"wilayah ini; selisih dengan KPU dapat mengubah urutan "
            f"{angka_el('n_anak_berubah', fmt.angka(f.n_anak_berubah), f.n_anak_berubah)} di "
            "antaranya (rincian per wilayah di bawah).</p>"
        )
    kritis = angka_el(
        "insiden_kritis_terbuka",
        fmt.angka(f.n_kritis_terbuka),
        f.n_kritis_terbuka,
        wilayah=pack.kode_wilayah,
    )
    st = f.status["status"] if f.status else None
    head = (
        f'<span class="status status-{esc(st)}" data-angka="status_wilayah" '
        f'data-nilai="{esc(st)}">{esc(STATUS_LABEL[st])}</span> '
        if st
        else ""
    )
    parts.append(
        f'<p class="ubin">{head}Insiden kritis belum selesai: {kritis} '
        f"({esc(fmt.angka(f.n_kritis_terverifikasi))} terverifikasi)</p>"
    )
    parts.append("<h3>Tindakan teratas</h3>")
    parts.append(_actions_html(pack, f.tindakan))
    parts.append("<h3>Yang perlu diputuskan hari ini</h3>")
    if f.keputusan:
        parts.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in f.keputusan) + "</ul>")
    else:
        parts.append("<p>Tidak ada keputusan mendesak; pantau daftar tindak lanjut.</p>")
    return Html(f'<section class="bagian" id="jawaban">{"".join(parts)}</section>')
