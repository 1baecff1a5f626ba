"""Navigation between packs and the result per child unit.

A pack links up to its parent's pack and down to its children's (relative links: the folder of a
report date opens offline); :func:`section_wilayah` lists each child with its status, the leader of
each contest in it and how much of it is counted, with a link to its pack.
"""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.domain import regions
from analysis.packs import PACK_TIERS
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, p, tabel
from analysis.packs.labels import ANAK_LABEL, CAVEAT, STATUS_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import (
    child_rows,
    contests_shown,
    guarded,
    kontestasi_label,
    paslon_label,
)
from analysis.packs.sections.summary import child_status


def has_pack(pack: Pack, kode: str) -> bool:
    """Whether the run makes a pack for ``kode``: a pack tier inside the run's scope, no deeper
    than its depth (unknown scope: every pack tier is assumed made)."""
    tier = regions.tier_of(kode)
    if tier not in PACK_TIERS:
        return False
    if pack.lingkup is None:
        return True
    below = regions.depth(kode) - regions.depth(pack.lingkup)
    return regions.is_inside(kode, pack.lingkup) and 0 <= below <= (pack.kedalaman or 0)


def link_to(pack: Pack, kode: str) -> str | None:
    """Relative link from this pack's page to ``kode``'s (``reports/<date>/<tingkat>/<kode>.html``)."""
    if not has_pack(pack, kode):
        return None
    return f"../{regions.tier_of(kode)}/{kode}.html"


def _leaders(pack: Pack) -> pl.DataFrame:
    """Per child × contest: the leading paslon of the internal count and its share."""
    s = child_rows(pack.suara, pack)
    if s is None or s.is_empty():
        return pl.DataFrame()
    for c in ("nama_paslon", "kolom_kosong"):
        if c not in s.columns:
            s = s.with_columns(pl.lit(None).alias(c))
    s = s.with_columns(
        pl.col("suara_internal").sum().over("kode_wilayah", "kode_kontestasi").alias("_total")
    )
    return (
        s.filter(pl.col("_total") > 0)
        .sort(
            ["kode_wilayah", "kode_kontestasi", "suara_internal", "nomor_urut"],
            descending=[False, False, True, False],
        )
        .unique(["kode_wilayah", "kode_kontestasi"], keep="first", maintain_order=True)
        .with_columns((pl.col("suara_internal") / pl.col("_total")).alias("porsi"))
    )


def _leader_cell(lead: dict[tuple[str, str], dict], kode: str, k: str | None) -> object:
    r = lead.get((kode, k)) if k else None
    if r is None:
        return "–"
    label = paslon_label(r["nomor_urut"], r["nama_paslon"], r["kolom_kosong"])
    share = angka_el(
        "porsi_unggul_anak", fmt.persen(r["porsi"]), r["porsi"], wilayah=kode, kontestasi=k
    )
    return Html(f"{esc(label)} {share}")


def _name_cell(pack: Pack, kode: str, nama: str) -> Html:
    href = link_to(pack, kode)
    if href is None:
        return Html(esc(nama))
    return Html(f'<a href="{esc(href)}" data-tautan="{esc(kode)}">{esc(nama)}</a>')


@guarded
def section_wilayah(pack: Pack) -> Html:
    """Per child unit: status, each contest's leader and share in it, counted share, its pack."""
    judul = f"Hasil dan status per {ANAK_LABEL[pack.tingkat]}"
    if pack.anak.is_empty():
        return bagian("wilayah", judul, kosong(f"Daftar {ANAK_LABEL[pack.tingkat]}"))
    full, sub = contests_shown(pack)
    lead = {
        (r["kode_wilayah"], r["kode_kontestasi"]): r for r in _leaders(pack).iter_rows(named=True)
    }
    own_contest = {regions.contest_region(k): k for k in sub}
    h = child_rows(pack.hitung, pack)
    cov: dict[str, float | None] = {}
    if h is not None and not h.is_empty() and full:
        hk = h.filter(pl.col("kode_kontestasi") == full[0])
        cov = dict(zip(hk["kode_wilayah"], hk["cakupan_internal"], strict=True))
    st = child_status(pack)
    rows = []
    for r in st.iter_rows(named=True):
        kode = r["kode_wilayah"]
        row: list[object] = [
            _name_cell(pack, kode, r["nama"]),
            Html(
                f'<span class="status status-{esc(r["status"])}">'
                f"{esc(STATUS_LABEL[r['status']])}</span>"
            ),
            *[_leader_cell(lead, kode, k) for k in full],
        ]
        if sub:
            row.append(_leader_cell(lead, kode, own_contest.get(kode)))
        row.append(fmt.persen(cov.get(kode)))
        rows.append(row)
    kolom = ["Wilayah", "Status", *[kontestasi_label(pack, k) for k in full]]
    if sub:
        kolom.append("Pemilihan di wilayah itu")
    kolom.append("TPS terhitung")
    parts = [
        tabel(kolom, rows, kanan=(len(kolom) - 1,)),
        p(
            f"Paslon unggul dan porsinya dalam suara sah hitung internal di tiap wilayah — {CAVEAT}. "
            "Nama wilayah bertaut ke laporannya bila laporan itu dibuat dalam proses yang sama.",
            "catatan",
        ),
    ]
    return bagian("wilayah", judul, "".join(parts))
