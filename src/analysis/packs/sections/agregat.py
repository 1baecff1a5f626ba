"""KPU against itself, as a short item of the comparison section: where KPU's published aggregate
differs from the sum of its own per-TPS records, by how much, and where the number of TPS KPU says
a region has differs from the desk's TPS list (``rekon__agregat_wilayah_kontestasi_paslon``)."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.packs.html import angka_el, esc
from analysis.packs.load import Pack
from analysis.packs.sections.common import kontestasi_label


def per_region(agregat: pl.DataFrame) -> pl.DataFrame:
    """One row per region × contest: Σ paslon |aggregate − Σ TPS|, both totals, the TPS counts."""
    return agregat.group_by("kode_wilayah", "kode_kontestasi").agg(
        pl.col("tingkat").first(),
        pl.col("selisih").abs().sum().alias("selisih_abs"),
        pl.col("suara_agregat").sum(),
        pl.col("suara_tps").sum(),
        pl.col("tps_total_kpu").first(),
        pl.col("tps_desk").first(),
        pl.col("selisih_tps").first(),
    )


def _name(pack: Pack, kode: str) -> str:
    return f"{pack.nama_wilayah.get(kode, kode)} ({kode})"


def _vote_items(pack: Pack, odd: pl.DataFrame) -> list[str]:
    n = pack.settings.briefing.list_rows
    rows = odd.sort(["selisih_abs", "kode_wilayah"], descending=[True, False]).head(n)
    return [
        f"<li>Agregat KPU berbeda dari jumlah TPS-nya: {esc(_name(pack, x['kode_wilayah']))}, "
        f"{esc(kontestasi_label(pack, x['kode_kontestasi']))} — agregat "
        f"{esc(fmt.angka(x['suara_agregat']))}, jumlah catatan TPS "
        f"{esc(fmt.angka(x['suara_tps']))}, selisih "
        + angka_el(
            "agregat_selisih",
            fmt.angka(x["selisih_abs"]),
            x["selisih_abs"],
            wilayah=x["kode_wilayah"],
            kontestasi=x["kode_kontestasi"],
        )
        + " suara (Σ per pasangan calon).</li>"
        for x in rows.iter_rows(named=True)
    ]


def _tps_items(pack: Pack, odd: pl.DataFrame) -> list[str]:
    n = pack.settings.briefing.list_rows
    rows = odd.sort(["kode_wilayah", "kode_kontestasi"]).head(n)
    return [
        f"<li>{esc(_name(pack, x['kode_wilayah']))}, "
        f"{esc(kontestasi_label(pack, x['kode_kontestasi']))}: KPU menyebut "
        + angka_el(
            "agregat_tps_kpu",
            fmt.angka(x["tps_total_kpu"]),
            x["tps_total_kpu"],
            wilayah=x["kode_wilayah"],
            kontestasi=x["kode_kontestasi"],
        )
        + f" TPS, daftar TPS Desk {esc(fmt.angka(x['tps_desk']))}.</li>"
        for x in rows.iter_rows(named=True)
    ]


def agregat_item(pack: Pack) -> list[str]:
    """The short item: how many of KPU's aggregates inside the unit differ from its own TPS
    records, the largest listed with the size; TPS counts that differ from the desk's list."""
    a = pack.agregat
    if a is None or a.is_empty():
        return []
    per = per_region(a)
    odd = per.filter(pl.col("selisih_abs") > 0)
    odd_tps = per.filter(pl.col("selisih_tps").fill_null(0) != 0)
    first, last = a["waktu_tarik"].min(), a["waktu_tarik"].max()
    when = (
        f"Tarikan {pack.waktu(last)}"
        if first == last
        else f"Tarikan terakhir yang memuat tiap wilayah ({pack.waktu(first)} s.d. {pack.waktu(last)})"
    )
    n, k = odd.height, pack.kode_wilayah
    parts = [
        "<h3>Agregat KPU dibanding catatan TPS-nya sendiri</h3>",
        f"<p>{esc(when)}: {esc(fmt.angka(per.height))} agregat wilayah × pemilihan "
        f"(wilayah ini dan di dalamnya, sampai kecamatan) dibandingkan; "
        + angka_el("agregat_berbeda", fmt.angka(n), n, wilayah=k)
        + " berbeda dari jumlah catatan TPS KPU sendiri; "
        + angka_el("agregat_tps_berbeda", fmt.angka(odd_tps.height), odd_tps.height, wilayah=k)
        + " menyebut jumlah TPS yang berbeda dari daftar TPS Desk.</p>",
    ]
    if n:
        parts.append("<ul>" + "".join(_vote_items(pack, odd)) + "</ul>")
    if odd_tps.height:
        parts.append("<ul>" + "".join(_tps_items(pack, odd_tps)) + "</ul>")
    return parts
