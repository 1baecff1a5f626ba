"""Executive summary: what changed since the previous report, and a status per child unit."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.analyse import incidents
from analysis.packs import status
from analysis.packs.html import Html, bagian, daftar, esc, kosong, p, tabel
from analysis.packs.labels import ANAK_LABEL, STATUS_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import (
    contests_shown,
    guarded,
    jenis_anak,
    kontestasi_label,
    own_rows,
    val,
)


def _changes(pack: Pack) -> list[str]:
    """One sentence per contest shown in full, one for the children's contests, one on incidents."""
    items: list[str] = []
    ch = own_rows(pack.perubahan, pack)
    own = own_rows(pack.hitung, pack)
    full, sub = contests_shown(pack)
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True) if own is not None else {}
        c = ch.filter(pl.col("kode_kontestasi") == k) if ch is not None else None
        c = c.row(0, named=True) if c is not None and not c.is_empty() else {}
        txt = (
            f"{kontestasi_label(pack, k)}: hitung internal "
            f"{fmt.dari(val(r, 'tps_internal'), val(r, 'tps_diharapkan'))}"
        )
        if c:
            txt += f" (laporan sebelumnya {fmt.persen(c.get('cakupan_internal_sebelumnya'))})"
        txt += f"; KPU {fmt.persen(val(r, 'cakupan_kpu'))}"
        if c:
            txt += (
                f" (sebelumnya {fmt.persen(c.get('cakupan_kpu_sebelumnya'))}); "
                f"selisih baru {fmt.angka(c.get('n_selisih_baru'))} TPS, selesai "
                f"{fmt.angka(c.get('n_selisih_selesai'))}, revisi KPU baru {fmt.angka(c.get('n_kpu_direvisi_baru'))}"
            )
        items.append(txt)
    if sub and own is not None:
        s = own.filter(pl.col("kode_kontestasi").is_in(sub))
        items.append(
            f"{len(sub)} pemilihan {jenis_anak(pack)} di wilayah ini: hitung internal "
            f"{fmt.dari(int(s['tps_internal'].sum()), int(s['tps_diharapkan'].sum()), 'laporan TPS')}"
        )
    if pack.insiden is not None and not pack.insiden.is_empty():
        sm = incidents.incident_summary(
            pack.insiden, pack.kode_wilayah, pack.previous_as_of, pack.as_of
        )
        items.append(
            f"Insiden: {fmt.angka(sm['baru'])} laporan baru sejak laporan sebelumnya; "
            f"{fmt.angka(sm['serius_terbuka'])} insiden kritis/tinggi belum selesai"
        )
    return items


def _status_table(pack: Pack) -> list[str]:
    """The traffic light per child unit, the most serious first, with the rules in words."""
    parts: list[str] = []
    st = child_status(pack)
    order = {"kritis": 0, "perhatian": 1, "aman": 2}
    st = st.with_columns(pl.col("status").replace_strict(order).alias("_o")).sort(
        "_o", "kode_wilayah"
    )
    rows = [
        [r["nama"], _status_el(r["status"], r["kode_wilayah"]), r["alasan"]]
        for r in st.iter_rows(named=True)
    ]
    parts.append(f"<h3>Status per {esc(ANAK_LABEL[pack.tingkat])}</h3>")
    # a print keeps the units that need a look (the result per child unit lists every status)
    needs_look = max(3, st.filter(pl.col("status") != "aman").height)
    parts.append(tabel(["Wilayah", "Status", "Alasan"], rows, cetak=needs_look))
    parts.append(p(status.rules_in_words(pack.settings.briefing.status), "catatan"))
    return parts


@guarded
def section_ringkasan(pack: Pack) -> Html:
    """Executive summary: what changed since the previous report, and a status per child unit."""
    parts = []
    items = _changes(pack)
    if items:
        parts.append(daftar(items))
    else:
        parts.append(kosong("Perubahan sejak laporan sebelumnya"))
    if pack.anak.is_empty():
        parts.append(kosong(f"Status per {ANAK_LABEL[pack.tingkat]}"))
    else:
        parts += _status_table(pack)
    return bagian("ringkasan", "Ringkasan eksekutif", "".join(parts))


_STATUS_SCHEMA = {
    "kode_wilayah": pl.String,
    "nama": pl.String,
    "status": pl.String,
    "alasan": pl.String,
    "cakupan_internal": pl.Float64,
    "porsi_selisih": pl.Float64,
}


def unit_rows(pack: Pack) -> pl.DataFrame:
    """``paket__status_wilayah`` rows of the unit and its children (computed here when the
    prepared inputs predate that table)."""
    if pack.status is not None:
        return pack.status
    hitung = pack.hitung
    kids = pack.anak.select(
        "kode_wilayah", "tingkat", pl.lit(pack.kode_wilayah).alias("kode_induk")
    )
    me = pl.DataFrame(
        {"kode_wilayah": [pack.kode_wilayah], "tingkat": [pack.tingkat], "kode_induk": [None]},
        schema={"kode_wilayah": pl.String, "tingkat": pl.String, "kode_induk": pl.String},
    )
    units = pl.concat([me, kids]).with_columns(pl.lit(pack.tz).alias("tz"))
    return status.unit_status(
        hitung, units, pack.insiden, pack.kontestasi, pack.as_of, pack.settings
    )


def own_status(pack: Pack) -> dict | None:
    """The unit's own status row."""
    own = unit_rows(pack).filter(pl.col("kode_wilayah") == pack.kode_wilayah)
    return own.row(0, named=True) if own.height else None


def child_status(pack: Pack) -> pl.DataFrame:
    """Status per child unit: aman / perhatian / kritis, with the reasons in words.

    Grain: one row per child unit. The rule is :data:`analysis.packs.status.RULES`, computed once
    per run for every unit (``paket__status_wilayah``); computed once per pack (the summary, the
    first screen, the result per child unit and the map all show it).
    """
    return pack.once("status_anak", lambda: _child_status(pack))


def _child_status(pack: Pack) -> pl.DataFrame:
    st = unit_rows(pack).filter(pl.col("kode_wilayah").is_in(pack.kode_anak))
    out = pack.anak.select("kode_wilayah", "nama").join(st, on="kode_wilayah", how="left")
    return (
        out.with_columns(
            pl.col("status").fill_null("aman"), pl.col("alasan").fill_null(status.NONE_SAID)
        )
        .select(list(_STATUS_SCHEMA))
        .cast(_STATUS_SCHEMA)
    )


def _status_el(status_: str, kode: str) -> Html:
    return Html(
        f'<span class="status status-{esc(status_)}" data-angka="status" data-nilai="{esc(status_)}"'
        f' data-wilayah="{esc(kode)}">{esc(STATUS_LABEL[status_])}</span>'
    )
