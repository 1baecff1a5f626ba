"""Incidents: by stage × category × severity, the new and the open serious ones, per child."""

from __future__ import annotations

import datetime as dt

import polars as pl

from analysis import fmt
from analysis.analyse import incidents
from analysis.packs import charts
from analysis.packs.html import Html, angka_el, bagian, esc, grafik, kosong, p, tabel
from analysis.packs.labels import ANAK_LABEL, KEPARAHAN, TAHAPAN_SINGKAT, TINGKAT_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import PRINTED_CHILDREN, guarded


def _stage_chart(counts: pl.DataFrame) -> list[str]:
    """Incidents per stage × category × severity as a chart (when it fits one)."""
    parts: list[str] = []
    order = {k: i for i, k in enumerate(TAHAPAN_SINGKAT)}
    chart_df = counts.sort(
        pl.col("tahapan").replace_strict(order, default=len(order), return_dtype=pl.Int64)
    ).select(
        pl.col("tahapan").replace_strict(TAHAPAN_SINGKAT, default=pl.col("tahapan_label")),
        pl.col("kategori_label").alias("kategori"),
        pl.col("tingkat_keparahan"),
        pl.col("n_insiden").alias("jumlah"),
    )
    if chart_df.height <= charts.MAX_ROWS:
        parts.append(
            grafik(
                charts.incidents_by_stage(chart_df),
                "Jumlah insiden per tahapan dan kategori (kotak bergaris tebal: ada insiden "
                "kritis/tinggi)",
            )
        )
    return parts


def _with_followup(pack: Pack, df: pl.DataFrame) -> pl.DataFrame:
    """Add the follow-up's action, owner and due time (the playbook's rules, as of this report)."""
    cols = {
        "tindakan": pl.String,
        "instansi_tl": pl.String,
        "jatuh_tempo": pl.Datetime("us", "UTC"),
    }
    tl = pack.tindak_lanjut
    if tl is None or tl.is_empty():
        return df.with_columns(pl.lit(None, t).alias(c) for c, t in cols.items())
    tl = tl.filter(pl.col("sumber") == "insiden").select(
        pl.col("id_masalah").str.strip_prefix("insiden:").alias("id_insiden"),
        "tindakan",
        pl.col("instansi").alias("instansi_tl"),
        "jatuh_tempo",
    )
    return df.join(tl, on="id_insiden", how="left")


def _serious_list(pack: Pack) -> list[str]:
    """The open kritis/tinggi incidents, each once: the new ones since the previous report marked."""
    unit, since, as_of = pack.kode_wilayah, pack.previous_as_of, pack.as_of
    op = incidents.open_serious(pack.insiden, unit, as_of)
    parts = ["<h3>Insiden kritis/tinggi yang belum selesai</h3>"]
    if op.is_empty():
        parts.append(p("Tidak ada."))
        return parts
    op = _with_followup(pack, incidents.location_path(op))
    n_new = int((op["waktu_laporan"] > since).sum()) if since is not None else 0
    parts.append(_incident_table(pack, op, since))
    parts.append(
        p(
            f"{fmt.angka(op.height)} insiden, {fmt.angka(n_new)} di antaranya baru sejak laporan "
            "sebelumnya (bertanda BARU). Umur dihitung dari waktu kejadian (bila tidak diisi: waktu "
            "laporan) sampai data per laporan ini, dalam menit penuh. Tindakan dan tenggat mengikuti "
            "playbook Desk untuk tahap saat laporan ini dibuat; insiden dengan tingkat lebih rendah "
            "ada di daftar Rekomendasi dan tindak lanjut.",
            "catatan",
        )
    )
    return parts


def _unlocated_note(pack: Pack) -> list[str]:
    """Incidents reported without a location are counted at the highest level known: say so."""
    df = pack.insiden
    if "lokasi_tingkat_atas" not in df.columns:
        return []
    here = df.filter(pl.col("lokasi_tingkat_atas") & (pl.col("kode_wilayah") == pack.kode_wilayah))
    if pack.as_of is not None:
        here = here.filter(pl.col("waktu_laporan") <= pack.as_of)
    if here.is_empty():
        return []
    return [
        p(
            f"{fmt.angka(here.height)} laporan insiden tanpa lokasi (tanpa kode wilayah maupun TPS) "
            f"dihitung pada tingkat {TINGKAT_LABEL[pack.tingkat].lower()} ini, tingkat tertinggi "
            "yang diketahui dari data; laporan itu tidak masuk hitungan wilayah di bawahnya.",
            "catatan",
        )
    ]


def _incidents_per_child(pack: Pack) -> list[str]:
    """Incident counts per child unit."""
    unit, since, as_of = pack.kode_wilayah, pack.previous_as_of, pack.as_of
    parts: list[str] = []
    kids = incidents.counts_by_child(pack.insiden, unit, as_of, since)
    if not kids.is_empty() and not pack.anak.is_empty():
        rows = [
            [
                r["nama"],
                angka_el(
                    "insiden_wilayah",
                    fmt.angka(r["n_insiden"]),
                    r["n_insiden"],
                    wilayah=r["kode_wilayah"],
                ),
                fmt.angka(r["n_kritis"]),
                fmt.angka(r["n_tinggi"]),
                fmt.angka(r["n_terbuka"]),
                fmt.angka(r["n_baru"]),
            ]
            for r in kids.iter_rows(named=True)
        ]
        parts.append(f"<h3>Per {esc(ANAK_LABEL[pack.tingkat])}</h3>")
        parts.append(
            tabel(
                ["Wilayah", "Insiden", "Kritis", "Tinggi", "Belum selesai", "Baru"],
                rows,
                kanan=(1, 2, 3, 4, 5),
                cetak=PRINTED_CHILDREN,
            )
        )
    return parts


@guarded
def section_insiden(pack: Pack) -> Html:
    """Incidents by stage × category × severity, new kritis/tinggi listed, open serious ones."""
    if pack.insiden is None:
        return bagian("insiden", "Insiden", kosong("Insiden"))
    unit, since, as_of = pack.kode_wilayah, pack.previous_as_of, pack.as_of
    sm = incidents.incident_summary(pack.insiden, unit, since, as_of)
    heads = [
        ("insiden_total", "Total insiden", sm["total"]),
        ("insiden_baru", "Baru sejak laporan sebelumnya", sm["baru"]),
        ("insiden_kritis", "Kritis", sm["kritis"]),
        ("insiden_tinggi", "Tinggi", sm["tinggi"]),
        ("insiden_serius_terbuka", "Kritis/tinggi belum selesai", sm["serius_terbuka"]),
        ("insiden_terverifikasi", "Terverifikasi", sm["terverifikasi"]),
        ("insiden_belum_diverifikasi", "Belum diverifikasi", sm["belum_diverifikasi"]),
    ]
    parts = [
        "<p>"
        + " · ".join(
            f"{esc(label)}: {angka_el(n, fmt.angka(v), v, wilayah=unit)}" for n, label, v in heads
        )
        + "</p>"
    ]
    if not sm["total"]:
        parts.append(p("Tidak ada laporan insiden di wilayah ini."))
        return bagian("insiden", "Insiden", "".join(parts))
    parts += _unlocated_note(pack)
    counts = incidents.incident_counts(pack.insiden, unit, as_of)
    chart = _stage_chart(counts)
    parts += chart
    parts.append(_incident_grid(pack, counts, printed=3 if chart else None))
    parts += _serious_list(pack)
    parts += _incidents_per_child(pack)
    return bagian("insiden", "Insiden", "".join(parts))


def _incident_grid(pack: Pack, counts: pl.DataFrame, printed: int | None = None) -> Html:
    """Stage × category rows with one column per severity (compact on a phone); a print keeps
    the ``printed`` most serious rows when the chart above shows them all.

    Each count carries ``data-angka="insiden_sel"`` with its tahapan, kategori and keparahan.
    """
    sev = KEPARAHAN
    cells: dict[tuple[str, str], dict] = {}
    for r in counts.iter_rows(named=True):
        key = (r["tahapan"], r["kategori"])
        c = cells.setdefault(
            key,
            {
                "label": f"{r['tahapan_label']} · {r['kategori_label']}",
                "n": {},
                "total": 0,
                "terbuka": 0,
            },
        )
        c["n"][r["tingkat_keparahan"]] = c["n"].get(r["tingkat_keparahan"], 0) + r["n_insiden"]
        c["total"] += r["n_insiden"]
        c["terbuka"] += r["n_terbuka"]
    order = sorted(
        cells.items(),
        key=lambda kv: tuple(-kv[1]["n"].get(x, 0) for x in sev[:2]) + (-kv[1]["total"],),
    )
    n = pack.settings.briefing.list_rows * 2
    rows = []
    for (tahapan, kategori), c in order[:n]:
        row: list[object] = [c["label"]]
        for x in sev:
            v = c["n"].get(x, 0)
            row.append(
                angka_el(
                    "insiden_sel", fmt.angka(v), v, tahapan=tahapan, kategori=kategori, keparahan=x
                )
                if v
                else "·"
            )
        row += [Html(f"<strong>{esc(fmt.angka(c['total']))}</strong>"), fmt.angka(c["terbuka"])]
        rows.append(row)
    out = [
        tabel(
            [
                "Tahapan · kategori",
                "Kritis",
                "Tinggi",
                "Sedang",
                "Rendah",
                "Jumlah",
                "Belum selesai",
            ],
            rows,
            kanan=(1, 2, 3, 4, 5, 6),
            cetak=printed,
        )
    ]
    if len(order) > n:
        out.append(
            p(
                f"Ditampilkan {n} dari {fmt.angka(len(order))} kombinasi (yang paling parah dan terbanyak); semuanya ada di grafik.",
                "catatan",
            )
        )
    return Html("".join(out))


def _incident_table(pack: Pack, df: pl.DataFrame, since: dt.datetime | None) -> Html:
    n = pack.settings.briefing.list_rows * 2
    rows = []
    for r in df.head(n).iter_rows(named=True):
        new = since is not None and r["waktu_laporan"] > since
        waktu = Html(
            f'<span data-angka="insiden_terbuka_serius" data-nilai="{esc(r["id_insiden"])}">'
            f"{'<strong>BARU</strong> ' if new else ''}terjadi "
            f"{esc(fmt.waktu_singkat(r['waktu_kejadian'], pack.tz, pack.zona) if r['waktu_kejadian'] else '–')}"
            f"; dilaporkan {esc(fmt.waktu_singkat(r['waktu_laporan'], pack.tz, pack.zona))}</span>"
        )
        umur = r.get("umur_menit")
        tenggat = (
            fmt.waktu_singkat(r["jatuh_tempo"], pack.tz, pack.zona) if r.get("jatuh_tempo") else "–"
        )
        if r.get("jatuh_tempo") and pack.as_of and r["jatuh_tempo"] < pack.as_of:
            tenggat += " (lewat)"
        rows.append(
            [
                r.get("lokasi_lengkap") or r.get("kode_lokasi"),
                waktu,
                fmt.durasi(dt.timedelta(minutes=umur)) if umur is not None else fmt.KOSONG,
                f"{r['keparahan_label']} · {r['kategori_label']} ({r['verifikasi_label'].lower()})",
                f"{r['penanganan_label']}" + (f" ({r['instansi']})" if r.get("instansi") else ""),
                Html(f'<span class="deskripsi">{esc(r.get("deskripsi"))}</span>'),
                Html(
                    f"{esc(r.get('tindakan'))} <small>({esc(r.get('instansi_tl'))})</small>"
                    if r.get("tindakan")
                    else "–"
                ),
                tenggat,
            ]
        )
    kolom = [
        "Lokasi",
        "Waktu",
        "Umur",
        "Keparahan · kategori",
        "Penanganan",
        "Uraian",
        "Tindakan (penanggung jawab)",
        "Tenggat",
    ]
    out = [tabel(kolom, rows)]
    if df.height > n:
        out.append(
            p(f"… dan {fmt.angka(df.height - n)} lainnya (lihat buku kerja analis).", "catatan")
        )
    return Html("".join(out))
