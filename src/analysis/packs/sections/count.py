"""The internal count: votes per paslon with coverage and progress, always with the caveat."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import polars as pl

from analysis import fmt
from analysis.packs import charts
from analysis.packs.html import Html, angka_el, bagian, caveat, esc, grafik, kosong, p, tabel
from analysis.packs.labels import ANAK_LABEL, CAVEAT, SUMBER_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import (
    PRINTED_CHILDREN,
    child_rows,
    contests_shown,
    guarded,
    jenis_anak,
    kontestasi_label,
    main_rows,
    own_rows,
    paslon_label,
    paslon_rows,
)


def _progress_chart(pack: Pack, k: str, tps_total: int | None) -> Html | None:
    if pack.progres is None or not tps_total:
        return None
    g = pack.progres.filter(pl.col("kode_kontestasi") == k)
    if g.is_empty():
        return None
    tz = ZoneInfo(pack.tz)
    g = g.with_columns(
        pl.col("waktu").dt.convert_time_zone(pack.tz).dt.replace_time_zone(None).alias("waktu"),
        (pl.col("tps_masuk") / tps_total).alias("cakupan"),
        pl.col("sumber").replace_strict(SUMBER_LABEL).alias("sumber"),
    )
    if pack.as_of is not None:  # carry each line to the report time
        end = pack.as_of.astimezone(tz).replace(tzinfo=None)
        last = (
            g.sort("waktu", maintain_order=True)
            .group_by("sumber", maintain_order=True)  # same order every run
            .agg(pl.col("cakupan").last())
            .with_columns(pl.lit(end).cast(g["waktu"].dtype).alias("waktu"))
        )
        g = pl.concat(
            [g.select("waktu", "sumber", "cakupan"), last.select("waktu", "sumber", "cakupan")]
        )
    g = (
        g.select("waktu", "sumber", "cakupan")
        .sort("waktu", maintain_order=True)
        .tail(charts.MAX_ROWS)
    )
    return grafik(
        charts.count_progress(g),
        f"Progres TPS masuk — {kontestasi_label(pack, k)} (waktu {pack.zona})",
    )


def _paslon_table(pack: Pack, k: str, s: pl.DataFrame) -> Html:
    """Votes per paslon of the unit's own contest, with the total of valid votes."""
    total = int(s["suara_internal"].fill_null(0).sum()) if not s.is_empty() else 0
    rows = []
    for x in s.iter_rows(named=True):
        v = x["suara_internal"]
        rows.append(
            [
                paslon_label(x["nomor_urut"], x["nama_paslon"], x["kolom_kosong"]),
                angka_el(
                    "suara_internal",
                    fmt.angka(v),
                    v,
                    wilayah=pack.kode_wilayah,
                    kontestasi=k,
                    paslon=x["nomor_urut"],
                ),
                fmt.persen(v / total) if total and v is not None else fmt.KOSONG,
            ]
        )
    rows.append(
        [
            Html("<strong>Jumlah suara sah</strong>"),
            angka_el("suara_sah_internal", fmt.angka(total), total, kontestasi=k),
            "",
        ]
    )
    return tabel(["Pasangan calon", "Suara (internal)", "Persentase"], rows, kanan=(1, 2))


def _contest_count(pack: Pack, k: str, r: dict, chart: bool) -> list[str]:
    """One contest shown in full: coverage, votes per paslon and (once) progress."""
    parts: list[str] = []
    parts.append(f"<h3>{esc(kontestasi_label(pack, k))}</h3>")
    parts.append(
        Html(
            "<p>Cakupan hitung internal: "
            + angka_el(
                "cakupan_internal",
                fmt.dari(r["tps_internal"], r["tps_diharapkan"]),
                r["cakupan_internal"],
                wilayah=pack.kode_wilayah,
                kontestasi=k,
                tps=r["tps_internal"],
                tps_total=r["tps_diharapkan"],
            )
            + f"; DPT pada TPS yang belum masuk: {esc(fmt.angka(r.get('dpt_belum_internal')))} pemilih.</p>"
        )
    )
    s = paslon_rows(pack, k)
    parts.append(_paslon_table(pack, k, s))
    parts.append(p(f"{CAVEAT}; cakupan {fmt.persen(r['cakupan_internal'])} TPS.", "caveat-kecil"))
    parts.append(p("Proyeksi hasil akhir dan kepastian urutan: lihat bagian Proyeksi.", "catatan"))
    # One chart per kind and pack (the contest closest to the unit) keeps a pack fast to make.
    ch = _progress_chart(pack, k, r["tps_diharapkan"]) if chart else None
    if ch:
        parts.append(ch)
    return parts


def _sub_contests(pack: Pack, own: pl.DataFrame, sub: list[str]) -> list[str]:
    """The contests of the children, one line each: coverage and who leads."""
    parts: list[str] = []
    parts.append(Html(f"<h3>Pemilihan {esc(jenis_anak(pack))} di {esc(pack.nama)}</h3>"))
    suara = own_rows(pack.suara, pack)
    rows = []
    for k in sub:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
        s = suara.filter(pl.col("kode_kontestasi") == k).sort(
            ["suara_internal", "nomor_urut"], descending=[True, False], nulls_last=True
        )
        total = int(s["suara_internal"].fill_null(0).sum())
        lead = s.row(0, named=True) if not s.is_empty() else None
        second = s.row(1, named=True) if s.height > 1 else None
        rows.append(
            [
                kontestasi_label(pack, k),
                angka_el(
                    "cakupan_internal",
                    fmt.persen(r["cakupan_internal"]),
                    r["cakupan_internal"],
                    wilayah=pack.kode_wilayah,
                    kontestasi=k,
                    tps=r["tps_internal"],
                    tps_total=r["tps_diharapkan"],
                ),
                paslon_label(lead["nomor_urut"], lead.get("nama_paslon"), lead.get("kolom_kosong"))
                if lead and total
                else fmt.KOSONG,
                fmt.persen(lead["suara_internal"] / total) if lead and total else fmt.KOSONG,
                fmt.angka((lead["suara_internal"] or 0) - (second["suara_internal"] or 0))
                if lead and second and total
                else fmt.KOSONG,
            ]
        )
    parts.append(
        tabel(
            [
                "Pemilihan",
                "Cakupan internal",
                "Unggul sementara",
                "Persentase",
                "Selisih dgn. kedua",
            ],
            rows,
            kanan=(1, 3, 4),
        )
    )
    parts.append(p(f"Unggul sementara menurut {CAVEAT}.", "caveat-kecil"))
    return parts


def _coverage_per_child(pack: Pack) -> list[str]:
    """Coverage of the internal count and of KPU per child unit (its widest contest), the least
    covered first (a print keeps those)."""
    parts: list[str] = []
    kids = child_rows(pack.hitung, pack)
    if kids is not None and not kids.is_empty():
        m = (
            main_rows(kids)
            .join(pack.anak.select("kode_wilayah", "nama"), on="kode_wilayah", how="left")
            .sort(["cakupan_internal", "kode_wilayah"], nulls_last=False)
        )
        rows = [
            [
                r["nama"],
                kontestasi_label(pack, r["kode_kontestasi"]),
                angka_el(
                    "cakupan_internal",
                    fmt.dari(r["tps_internal"], r["tps_diharapkan"]),
                    r["cakupan_internal"],
                    wilayah=r["kode_wilayah"],
                    kontestasi=r["kode_kontestasi"],
                ),
                angka_el(
                    "cakupan_kpu",
                    fmt.persen(r["cakupan_kpu"]),
                    r["cakupan_kpu"],
                    wilayah=r["kode_wilayah"],
                    kontestasi=r["kode_kontestasi"],
                ),
            ]
            for r in m.iter_rows(named=True)
        ]
        parts.append(f"<h3>Cakupan per {esc(ANAK_LABEL[pack.tingkat])}</h3>")
        kolom = ["Wilayah", "Pemilihan", "Hitung internal", "KPU"]
        parts.append(tabel(kolom, rows, kanan=(2, 3), cetak=PRINTED_CHILDREN))
    return parts


@guarded
def section_hitung(pack: Pack) -> Html:
    """The internal count, always with its coverage and the caveat."""
    parts = [caveat()]
    own = own_rows(pack.hitung, pack)
    full, sub = contests_shown(pack)
    if own is None or own.is_empty() or pack.suara is None:
        parts.append(kosong("Hitung internal"))
        return bagian("hitung", "Hitung internal", "".join(parts))
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
        parts += _contest_count(pack, k, r, chart=k == full[-1])
    if sub:
        parts += _sub_contests(pack, own, sub)
    parts += _coverage_per_child(pack)
    return bagian("hitung", "Hitung internal", "".join(parts))
