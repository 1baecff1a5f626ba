"""Comparison with KPU: like-for-like votes, TPS statuses, largest discrepancies, outcome risk."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.packs import charts
from analysis.packs.html import Html, angka_el, bagian, esc, grafik, kosong, p, tabel
from analysis.packs.labels import (
    ANAK_LABEL,
    BANDING_HITUNGAN,
    BANDING_REVISI,
    CAVEAT,
    SUMBER_INTERNAL,
    SUMBER_KPU,
    TPS_STATUS_LABEL,
)
from analysis.packs.load import Pack
from analysis.packs.sections.agregat import agregat_item
from analysis.packs.sections.common import (
    PRINTED_CHILDREN,
    child_rows,
    contests_shown,
    guarded,
    has_values,
    kontestasi_label,
    lainnya,
    own_rows,
    paslon_label,
    paslon_rows,
)


def _paslon_comparison(pack: Pack, k: str) -> tuple[list[list[object]], list[dict]]:
    """Per paslon, internal vs KPU on the same TPS: table rows and chart rows."""
    s = paslon_rows(pack, k)
    rows, chart_rows = [], []
    for x in s.iter_rows(named=True):
        label = paslon_label(x["nomor_urut"], x["nama_paslon"], x["kolom_kosong"])
        rows.append(
            [
                label,
                angka_el(
                    "suara_internal_banding",
                    fmt.angka(x["suara_internal_banding"]),
                    x["suara_internal_banding"],
                    kontestasi=k,
                    paslon=x["nomor_urut"],
                ),
                angka_el(
                    "suara_kpu_banding",
                    fmt.angka(x["suara_kpu_banding"]),
                    x["suara_kpu_banding"],
                    kontestasi=k,
                    paslon=x["nomor_urut"],
                ),
                angka_el(
                    "selisih_banding",
                    fmt.selisih(x["selisih_banding"]),
                    x["selisih_banding"],
                    kontestasi=k,
                    paslon=x["nomor_urut"],
                ),
                fmt.angka(x["selisih_abs"]),
            ]
        )
        chart_rows += [
            {
                "paslon": label,
                "sumber": SUMBER_INTERNAL,
                "suara": x["suara_internal_banding"] or 0,
            },
            {"paslon": label, "sumber": SUMBER_KPU, "suara": x["suara_kpu_banding"] or 0},
        ]
    return rows, chart_rows


def _contest_comparison(pack: Pack, k: str, r: dict, chart: bool) -> list[str]:
    """One contest like for like: TPS by status, votes per paslon on both sides, (once) a chart."""
    parts: list[str] = []
    parts.append(f"<h3>{esc(kontestasi_label(pack, k))}</h3>")
    parts.append(
        "<p>"
        + " · ".join(
            f"{esc(label)}: {angka_el(name, fmt.angka(r.get(c)), r.get(c), wilayah=pack.kode_wilayah, kontestasi=k)}"
            for c, name, label in BANDING_HITUNGAN
        )
        + "</p>"
    )
    c, name, label = BANDING_REVISI
    parts.append(
        Html(
            f'<p class="catatan">{esc(label)}: '
            f"{angka_el(name, fmt.angka(r.get(c)), r.get(c), wilayah=pack.kode_wilayah, kontestasi=k)}"
            " TPS (sudah termasuk di atas; “cocok” mencakup catatan KPU yang direvisi dan kini sama).</p>"
        )
    )
    rows, chart_rows = _paslon_comparison(pack, k)
    kolom = ["Pasangan calon", "Internal", "KPU", "Selisih", "Σ |selisih| per TPS"]
    parts.append(tabel(kolom, rows, kanan=(1, 2, 3, 4)))
    parts.append(p(f"Kolom Internal: {CAVEAT}.", "caveat-kecil"))
    if chart_rows and r.get("tps_keduanya") and chart:
        parts.append(
            grafik(
                charts.internal_vs_kpu(pl.DataFrame(chart_rows)),
                f"Hitung internal vs KPU pada {fmt.angka(r['tps_keduanya'])} TPS yang sama",
            )
        )
    return parts


def _comparison_per_child(pack: Pack) -> list[str]:
    """TPS compared and not matching per child unit, all contests together."""
    parts: list[str] = []
    kids = child_rows(pack.hitung, pack)
    if kids is not None and not kids.is_empty():
        agg = (
            kids.group_by("kode_wilayah")
            .agg(
                pl.col("tps_keduanya").sum(),
                pl.col("n_tidak_cocok").sum(),
                pl.col("selisih_abs").sum(),
            )
            .join(pack.anak.select("kode_wilayah", "nama"), on="kode_wilayah", how="left")
            .sort(["n_tidak_cocok", "kode_wilayah"], descending=[True, False])
        )
        rows = [
            [
                r["nama"],
                fmt.angka(r["tps_keduanya"]),
                angka_el(
                    "n_tidak_cocok",
                    fmt.angka(r["n_tidak_cocok"]),
                    r["n_tidak_cocok"],
                    wilayah=r["kode_wilayah"],
                ),
                fmt.angka(r["selisih_abs"]),
            ]
            for r in agg.iter_rows(named=True)
        ]
        parts.append(f"<h3>Per {esc(ANAK_LABEL[pack.tingkat])} (semua pemilihan)</h3>")
        parts.append(
            tabel(
                ["Wilayah", "TPS dibandingkan", "TPS × pemilihan berbeda", "Σ |selisih|"],
                rows,
                kanan=(1, 2, 3),
                cetak=PRINTED_CHILDREN,
            )
        )
    return parts


@guarded
def section_banding(pack: Pack) -> Html:
    """Comparison with KPU: like-for-like votes, TPS statuses, largest discrepancies, outcome risk."""
    parts = []
    own = own_rows(pack.hitung, pack)
    full, sub = contests_shown(pack)
    if (
        own is None
        or own.is_empty()
        or pack.suara is None
        or not has_values(own, "n_banding_cocok")
    ):
        return bagian("banding", "Perbandingan dengan KPU", kosong("Perbandingan dengan KPU"))
    parts.append(
        p(
            "Perbandingan setara: hanya TPS yang sudah ada di hitung internal dan di Sirekap KPU. "
            "Angka KPU adalah data Sirekap yang dibaca Desk, bukan hasil rekapitulasi resmi; angka "
            "internal adalah hitung internal, bukan hasil resmi. Arti “cocok”, “berbeda” dan “KPU "
            "merevisi”: lampiran sumber, bagian Cara membaca angka.",
            "catatan",
        )
    )
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
        parts += _contest_comparison(pack, k, r, chart=k == full[-1])
    parts.append("<h3>Selisih terbesar (per TPS)</h3>")
    parts.append(_largest_discrepancies(pack, own))
    parts.append("<h3>Apakah selisih dengan KPU dapat mengubah urutan?</h3>")
    parts.append(_outcome(pack))
    parts += _comparison_per_child(pack)
    parts += agregat_item(pack)
    return bagian("banding", "Perbandingan dengan KPU", "".join(parts))


def _largest_discrepancies(pack: Pack, own: pl.DataFrame) -> Html:
    """The TPS × contest that differ, largest first; the count is reconcile's ``n_tidak_cocok`` of
    the unit (all its contests), the same figure the per-child column adds up to."""
    d = pack.selisih
    if d is None:
        return kosong("Selisih per TPS")
    n_beda = int(own["n_tidak_cocok"].sum())
    head = Html(
        f"<p>{angka_el('n_berbeda', fmt.angka(n_beda), n_beda, wilayah=pack.kode_wilayah)} TPS × "
        "pemilihan berbeda antara hitung internal dan KPU (semua pemilihan di wilayah ini).</p>"
    )
    if d.is_empty():
        return head + p("Tidak ada TPS dengan selisih antara hitung internal dan KPU.")
    n = pack.settings.briefing.list_rows
    top = d.sort(["selisih_abs", "kode_tps"], descending=[True, False], nulls_last=True).head(n)
    rows = []
    for r in top.iter_rows(named=True):
        desa = pack.nama_wilayah.get(r.get("kode_desa") or "", None)
        lokasi = f"{desa} ({r['kode_desa']})" if desa else r.get("kode_desa")
        rows.append(
            [
                r["kode_tps"],
                lokasi,
                kontestasi_label(pack, r["kode_kontestasi"]),
                angka_el(
                    "selisih_tps",
                    fmt.angka(r.get("selisih_abs")),
                    r.get("selisih_abs"),
                    tps=r["kode_tps"],
                    kontestasi=r["kode_kontestasi"],
                ),
                fmt.angka(r.get("paslon_selisih")),
                TPS_STATUS_LABEL.get(r.get("status"), r.get("status")),
                "ya" if r.get("dijelaskan_validasi") else "tidak",
            ]
        )
    out = [
        head,
        tabel(
            [
                "TPS",
                "Desa/kelurahan",
                "Pemilihan",
                "Σ |selisih|",
                "Paslon berbeda",
                "Status",
                "Ada catatan validasi",
            ],
            rows,
            kanan=(3, 4),
        ),
        lainnya(top.height, d.height, "TPS × pemilihan berbeda"),
    ]
    out.append(
        p(
            "“Ada catatan validasi”: salah satu sumber gagal pemeriksaan aritmetika formulir "
            "(kemungkinan salah baca/ketik).",
            "catatan",
        )
    )
    return Html("".join(out))


def _outcome(pack: Pack) -> Html:
    """Could the open discrepancies with KPU change a contest's order? (docs/domain.md §11 (a);
    whether the TPS still uncounted could is the projection section's question.)"""
    k = pack.kontestasi
    if k is None or pack.kepastian is None:
        return kosong("Penilaian dampak selisih")
    if k.is_empty():
        return p(
            "Tidak ada pemilihan yang seluruh wilayahnya berada di unit ini; penilaian ada di laporan tingkat atas."
        )
    held = k["kode_kontestasi"].to_list()
    d = pack.kepastian.filter(
        (pl.col("sumber") == "internal") & pl.col("kode_kontestasi").is_in(held)
    ).sort(["selisih_bisa_mengubah", "kode_kontestasi"], descending=[True, False], nulls_last=True)
    n_bisa = int(d["selisih_bisa_mengubah"].fill_null(False).sum())
    n_all = d.height
    cap = pack.settings.briefing.list_rows * 2
    rows = [
        [
            kontestasi_label(pack, r["kode_kontestasi"]),
            fmt.angka(r.get("margin_penantang")),
            fmt.angka(r.get("efek_selisih_maks")),
            angka_el(
                "selisih_bisa_mengubah",
                "ya" if r.get("selisih_bisa_mengubah") else "tidak",
                bool(r.get("selisih_bisa_mengubah")),
                kontestasi=r["kode_kontestasi"],
                sumber="internal",
            ),
            r.get("kalimat_selisih"),
        ]
        for r in d.head(cap).iter_rows(named=True)
    ]
    head = Html(
        f"<p>{angka_el('n_selisih_bisa_mengubah', fmt.angka(n_bisa), n_bisa, wilayah=pack.kode_wilayah)}"
        f" dari {esc(fmt.angka(n_all))} pemilihan: selisih dengan KPU yang belum selesai dapat "
        "mengubah urutan teratas hitung internal. Apakah TPS yang belum masuk dapat mengubahnya: "
        "lihat bagian Proyeksi.</p>"
    )
    return (
        head
        + tabel(
            [
                "Pemilihan",
                "Keunggulan atas penantang terdekat",
                "Pergeseran maks. dari selisih",
                "Selisih bisa mengubah urutan",
                "Keterangan",
            ],
            rows,
            kanan=(1, 2),
        )
        + lainnya(min(cap, n_all), n_all, "pemilihan")
        + p(f"Keunggulan dan pergeseran dihitung dari {CAVEAT}.", "caveat-kecil")
    )
