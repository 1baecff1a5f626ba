"""Rekomendasi dan tindak lanjut: open problems with action, owner and due time."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, p, tabel
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded


def followup_rows(pack: Pack) -> pl.DataFrame:
    """The unit's follow-up list (once per pack: the slides show it too)."""
    from analysis.analyse import followup

    return pack.once(
        "tindak_lanjut",
        lambda: followup.followup_list(
            pack.tindak_lanjut, pack.kode_wilayah, pack.as_of, pack.previous_as_of
        ),
    )


@guarded
def section_rekomendasi(pack: Pack) -> Html:
    """Rekomendasi dan tindak lanjut: open problems with action, owner and due time."""
    judul = "Rekomendasi dan tindak lanjut"
    if pack.tindak_lanjut is None:
        return bagian("rekomendasi", judul, kosong("Daftar tindak lanjut"))
    df = followup_rows(pack)
    # each incident is listed once: the open kritis/tinggi ones in the Insiden section
    in_incidents = (
        pl.col("id_masalah").str.starts_with("insiden:")
        & pl.col("tingkat_keparahan").is_in(["kritis", "tinggi"])
        & (pl.col("status") == "terbuka")
    )
    n_there = int(df.select(in_incidents.sum()).item())
    n_open = int((df["status"] == "terbuka").sum())  # every open problem, those included
    df = df.filter(~in_incidents)
    there = p(
        f"{fmt.angka(n_there)} dari masalah terbuka itu adalah insiden kritis/tinggi yang belum "
        "selesai; tindakan dan tenggatnya tercantum di bagian Insiden, tidak diulang di sini.",
        "catatan",
    )
    if df.is_empty():
        return bagian(
            "rekomendasi", judul, p("Tidak ada masalah terbuka lain di wilayah ini.") + there
        )
    tanpa_riwayat = "_tanpa_riwayat" in pack.tindak_lanjut.columns
    n = pack.settings.briefing.list_rows * 2
    rows = []
    for r in df.head(n).iter_rows(named=True):
        status = (
            r["status"]
            if r["status"] != "terbuka" or not r.get("terlambat")
            else "terbuka — terlambat"
        )
        rows.append(
            [
                Html(f"<strong>{esc(r.get('jenis_label'))}</strong>: {esc(r.get('uraian'))}"),
                r.get("nama_wilayah") or r.get("kode_wilayah"),
                r.get("tindakan"),
                r.get("instansi"),
                f"{fmt.waktu_singkat(r['jatuh_tempo'], pack.tz, pack.zona)} "
                f"({'lewat tenggat' if r.get('terlambat') else r.get('tenggat') or '-'})"
                if r.get("jatuh_tempo")
                else r.get("tenggat"),
                Html(
                    f'<span class="status-tl" data-angka="tindak_lanjut" data-nilai="{esc(r["status"])}">{esc(status)}</span>'
                ),
            ]
        )
    parts = [
        Html(
            f"<p>Masalah terbuka: {angka_el('tindak_lanjut_terbuka', fmt.angka(n_open), n_open, wilayah=pack.kode_wilayah)}</p>"
        ),
        tabel(["Masalah", "Lokasi", "Rekomendasi", "Penanggung jawab", "Tenggat", "Status"], rows),
        there,
    ]
    if tanpa_riwayat:
        parts.append(
            p(
                "Daftar disusun dari data hari ini saja: riwayat tindak lanjut belum disimpan.",
                "catatan",
            )
        )
    if df.height > n:
        parts.append(
            p(
                f"… dan {fmt.angka(df.height - n)} butir lainnya (lihat buku kerja analis).",
                "catatan",
            )
        )
    return bagian("rekomendasi", judul, "".join(parts))
