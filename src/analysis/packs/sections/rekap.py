"""The official recapitulation: KPU's determined result when it is in, else the recap's progress
tier by tier, the three sources side by side where they differ, and the recap's revisions (a print
keeps the progress and the counts; the lists are the screen's)."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, p, tabel
from analysis.packs.labels import ANAK_LABEL, SUMBER_INTERNAL
from analysis.packs.load import Pack
from analysis.packs.sections.common import guarded, kontestasi_label, paslon_label

#: What each pair label of rekon__rekap_wilayah_kontestasi says to a reader.
PASANGAN_LABEL: dict[str, str] = {
    "beda_keduanya": "Rekap resmi berbeda dari hitung internal DAN dari jumlah TPS Sirekap KPU "
    "sendiri — sinyal terkuat: periksa formulir D.Hasil",
    "beda_internal": "Rekap resmi berbeda dari hitung internal (sama dengan Sirekap atau Sirekap "
    "belum lengkap)",
    "beda_sirekap": "Rekap resmi berbeda dari jumlah TPS Sirekap KPU (sama dengan hitung internal "
    "atau internal belum lengkap)",
    "sepakat": "Ketiga sumber sama",
    "sepakat_sebagian": "Sama dengan satu sumber; sumber lain belum lengkap",
    "belum_bisa_dibandingkan": "Hitung internal dan Sirekap belum lengkap di wilayah ini",
}
STEP_LABEL: dict[str, str] = {
    "kecamatan": "D.Hasil Kecamatan (PPK)",
    "kabkota": "D.Hasil Kabupaten/Kota",
    "provinsi": "D.Hasil Provinsi",
    "penetapan": "Penetapan KPU",
}
STATUS_LABEL: dict[str, str] = {
    "masuk": "masuk",
    "masuk_terlambat": "masuk, terlambat",
    "belum_masuk": "belum masuk",
    "terlambat_belum_masuk": "belum masuk, lewat batas",
}
_ORDER = {k: i for i, k in enumerate(PASANGAN_LABEL)}


def _screen_only(parts: list[str], printed: str) -> list[str]:
    """Detail the printed pack leaves to the screen (the morning meeting's pages keep the recap's
    summary), with the sentence the print shows in its place."""
    return [f'<div class="layar-saja">{"".join(parts)}</div>', p(printed, "catatan hanya-cetak")]


def _nama(pack: Pack, kode: str) -> str:
    return pack.nama_wilayah.get(kode, kode)


def _penetapan(pack: Pack) -> list[str]:
    """KPU's determined result: of the unit's own contests in full (every paslon, the internal
    count beside it as the check), of its children's contests one line each."""
    s = pack.rekap_suara
    if s is None:
        return []
    pen = s.filter(pl.col("penetapan"))
    own = pen.filter(pl.col("kode_wilayah") == pack.kode_wilayah)
    parts: list[str] = []
    for k in sorted(own["kode_kontestasi"].unique().to_list()):
        parts += _penetapan_full(pack, k, own.filter(pl.col("kode_kontestasi") == k))
    kids = pen.filter(pl.col("kode_wilayah").is_in(pack.kode_anak))
    if not kids.is_empty():
        parts += _penetapan_children(pack, kids)
    return parts


def _penetapan_full(pack: Pack, k: str, rows: pl.DataFrame) -> list[str]:
    names = _paslon_names(pack, k)
    rows = _of_the_contest(rows, names).sort("nomor_urut")
    r0 = rows.row(0, named=True)
    body = [
        [
            paslon_label(r["nomor_urut"], names.get(r["nomor_urut"])),
            angka_el(
                "suara_penetapan",
                fmt.angka(r["suara_dhasil"]),
                r["suara_dhasil"],
                kontestasi=k,
                paslon=r["nomor_urut"],
            ),
            fmt.angka(r["suara_internal"]),
            fmt.selisih(r["selisih_internal"]),
        ]
        for r in rows.iter_rows(named=True)
    ]
    kolom = ["Pasangan calon", "Hasil resmi KPU", "Hitung internal", "Selisih"]
    return [
        f"<h3>Hasil resmi penetapan KPU — {esc(kontestasi_label(pack, k))}</h3>"
        f"<p>Ditetapkan dalam berkas yang diterima {esc(pack.waktu(r0['waktu_terima']))}. "
        f"{esc(SUMBER_INTERNAL)} (cakupan {esc(fmt.persen(r0['cakupan_internal']))} TPS) "
        "ditampilkan di sampingnya sebagai pemeriksa.</p>",
        tabel(kolom, body, kanan=(1, 2, 3)),
        *_partial_count_note(r0["cakupan_internal"]),
    ]


def _partial_count_note(cakupan: float | None) -> list[str]:
    """Why the difference is large while the internal count is incomplete (it is not a finding)."""
    if cakupan is None or cakupan >= 1:
        return []
    return [
        p(
            f"Hitung internal baru mencakup {fmt.persen(cakupan)} TPS: selisih di atas sebagian "
            "besar adalah suara TPS yang belum masuk ke hitung internal, bukan temuan. "
            "Perbandingan yang setara ada di bagian Rekapitulasi resmi KPU (per wilayah, "
            "dengan jumlah TPS Sirekap).",
            "catatan",
        )
    ]


def _penetapan_children(pack: Pack, kids: pl.DataFrame) -> list[str]:
    """One line per child unit's contest: the paslon with the most votes as determined, the
    internal count for it, and the internal count's difference over every paslon."""
    per = (
        kids.sort("suara_dhasil", descending=True)
        .group_by("kode_kontestasi", maintain_order=True)
        .agg(
            pl.col("nomor_urut").first(),
            pl.col("suara_dhasil").first(),
            pl.col("suara_internal").first(),
            pl.col("selisih_internal").abs().sum().alias("selisih_abs"),
            pl.col("cakupan_internal").first(),
            pl.col("waktu_terima").max(),
        )
        .sort("kode_kontestasi")
    )
    body = [
        [
            kontestasi_label(pack, r["kode_kontestasi"]),
            paslon_label(
                r["nomor_urut"], _paslon_names(pack, r["kode_kontestasi"]).get(r["nomor_urut"])
            ),
            angka_el(
                "suara_penetapan",
                fmt.angka(r["suara_dhasil"]),
                r["suara_dhasil"],
                kontestasi=r["kode_kontestasi"],
                paslon=r["nomor_urut"],
            ),
            fmt.angka(r["suara_internal"]),
            fmt.angka(r["selisih_abs"]),
            fmt.persen(r["cakupan_internal"]),
        ]
        for r in per.iter_rows(named=True)
    ]
    kolom = [
        "Pemilihan",
        "Suara terbanyak (penetapan)",
        "Hasil resmi KPU",
        "Hitung internal",
        "Σ |selisih| semua paslon",
        "Cakupan internal",
    ]
    return [
        f"<h3>Hasil resmi penetapan KPU — pemilihan di {esc(ANAK_LABEL.get(pack.tingkat, 'wilayah'))}</h3>"
        f"<p>{esc(fmt.angka(per.height))} pemilihan sudah ditetapkan; {esc(SUMBER_INTERNAL)} "
        "ditampilkan di sampingnya sebagai pemeriksa.</p>",
        tabel(kolom, body, kanan=(2, 3, 4, 5)),
    ]


def _of_the_contest(rows: pl.DataFrame, names: dict[int, str]) -> pl.DataFrame:
    """The rows of the contest's own paslon (a form's unused columns give zeros for paslon the
    contest does not have), when the contest's list is known; else every row."""
    if not names:
        return rows
    return rows.filter(pl.col("nomor_urut").is_in(list(names)))


def _paslon_names(pack: Pack, k: str) -> dict[int, str]:
    """The contest's paslon in the reference (named, or the kolom kosong of a single-candidate
    contest): nomor urut -> name."""
    s = pack.suara
    if s is None or "nama_paslon" not in s.columns:
        return {}
    listed = pl.col("nama_paslon").is_not_null()
    if "kolom_kosong" in s.columns:
        listed = listed | pl.col("kolom_kosong").fill_null(False)
    rows = s.filter((pl.col("kode_kontestasi") == k) & listed).select("nomor_urut", "nama_paslon")
    return dict(rows.unique().iter_rows())


def _progress(pack: Pack) -> list[str]:
    """Per contest: recaps in per tier, late ones, share of DPT whose kecamatan recap is in."""
    pr = pack.rekap_progres
    if pr is None or pr.is_empty():
        return []
    inn = pl.col("status_rekap").str.starts_with("masuk")
    late = pl.col("status_rekap").is_in(["masuk_terlambat", "terlambat_belum_masuk"])
    rows = []
    for k in sorted(pr["kode_kontestasi"].unique().to_list()):
        c = pr.filter(pl.col("kode_kontestasi") == k)
        cells = [kontestasi_label(pack, k)]
        for step in ("kecamatan", "kabkota", "provinsi", "penetapan"):
            t = c.filter(pl.col("tingkat_rekap") == step)
            cells.append(fmt.dari(t.filter(inn).height, t.height, "") if t.height else "—")
        kec = c.filter(pl.col("tingkat_rekap") == "kecamatan")
        dpt_in, dpt = kec.filter(inn)["dpt"].sum(), kec["dpt"].sum()
        share = dpt_in / dpt if dpt else None
        cells.append(angka_el("porsi_dpt_terekap", fmt.persen(share), share, kontestasi=k))
        n_late = c.filter(late).height
        cells.append(angka_el("rekap_terlambat", fmt.angka(n_late), n_late, kontestasi=k))
        rows.append(cells)
    kolom = [
        "Pemilihan",
        "Kecamatan",
        "Kab/kota",
        "Provinsi",
        "Penetapan",
        "DPT terekap",
        "Terlambat",
    ]
    out = ["<h3>Kemajuan rekapitulasi</h3>", tabel(kolom, rows, kanan=(1, 2, 3, 4, 5, 6))]
    out += _late_list(pack, pr.filter(late))
    return out


def _late_list(pack: Pack, late: pl.DataFrame) -> list[str]:
    if late.is_empty():
        return [p("Tidak ada rekap yang terlambat terhadap jadwal KPU.", "catatan")]
    n = pack.settings.briefing.list_rows
    rows = [
        [
            f"{_nama(pack, r['kode_wilayah'])} ({r['kode_wilayah']})",
            STEP_LABEL.get(r["tingkat_rekap"], r["tingkat_rekap"]),
            kontestasi_label(pack, r["kode_kontestasi"]),
            fmt.tanggal(r["batas"]) if r["batas"] else "—",
            pack.waktu(r["waktu_terima"]) if r["waktu_terima"] else "belum masuk",
        ]
        for r in late.sort("batas", "kode_wilayah").head(n).iter_rows(named=True)
    ]
    src = pack.settings.rekapitulasi.sumber
    table = tabel(["Wilayah", "Rekap", "Pemilihan", "Batas jadwal", "Diterima"], rows)
    return [
        *_screen_only(["<h4>Rekap terlambat</h4>", table], "Daftar rekap terlambat: versi layar."),
        p(f"{fmt.angka(late.height)} rekap terlambat. Sumber batas jadwal: {src}.", "catatan"),
    ]


def _three_sources(pack: Pack) -> list[str]:
    """Recap figures that differ from a source, the strongest signals first."""
    r = pack.rekap
    if r is None or r.is_empty():
        return []
    odd = r.filter(pl.col("pasangan_beda").str.starts_with("beda"))
    n_both = odd.filter(pl.col("pasangan_beda") == "beda_keduanya").height
    head = (
        f"<h3>Rekap resmi dibanding hitung internal dan Sirekap</h3><p>"
        f"{angka_el('rekap_dibandingkan', fmt.angka(r.height), r.height, wilayah=pack.kode_wilayah)}"
        f" angka rekap wilayah × pemilihan diterima; "
        f"{angka_el('rekap_berbeda', fmt.angka(odd.height), odd.height, wilayah=pack.kode_wilayah)}"
        " berbeda dari hitung internal atau dari jumlah TPS Sirekap; "
        f"{angka_el('rekap_beda_keduanya', fmt.angka(n_both), n_both, wilayah=pack.kode_wilayah)}"
        " berbeda dari keduanya.</p>"
    )
    if odd.is_empty():
        return [head]
    odd = odd.with_columns(
        pl.col("pasangan_beda").replace_strict(_ORDER, return_dtype=pl.Int64).alias("_o")
    ).sort(["_o", "selisih_internal_abs", "kode_wilayah"], descending=[False, True, False])
    n = pack.settings.briefing.list_rows
    rows = [
        [
            f"{_nama(pack, x['kode_wilayah'])} ({x['kode_wilayah']})",
            kontestasi_label(pack, x["kode_kontestasi"]),
            STEP_LABEL.get(x["tingkat_rekap"], x["tingkat_rekap"]),
            fmt.angka(x["suara_dhasil"]),
            angka_el(
                "rekap_selisih_internal",
                fmt.angka(x["selisih_internal_abs"]),
                x["selisih_internal_abs"],
                wilayah=x["kode_wilayah"],
                kontestasi=x["kode_kontestasi"],
            ),
            angka_el(
                "rekap_selisih_sirekap",
                fmt.angka(x["selisih_sirekap_abs"]),
                x["selisih_sirekap_abs"],
                wilayah=x["kode_wilayah"],
                kontestasi=x["kode_kontestasi"],
            ),
            PASANGAN_LABEL.get(x["pasangan_beda"], x["pasangan_beda"]),
        ]
        for x in odd.head(n).iter_rows(named=True)
    ]
    kolom = [
        "Wilayah",
        "Pemilihan",
        "Rekap",
        "Suara sah D.Hasil",
        "Σ |D.Hasil − internal|",
        "Σ |D.Hasil − Sirekap|",
        "Keterangan",
    ]
    note = p(
        "Dibandingkan hanya di wilayah yang seluruh TPS-nya sudah ada di sumber pembanding; "
        "selisih dijumlah per pasangan calon.",
        "catatan",
    )
    table = tabel(kolom, rows, kanan=(3, 4, 5))
    return [head, *_screen_only([table, note], "Daftar angka rekap yang berbeda: versi layar.")]


def _between_tiers(pack: Pack) -> list[str]:
    """Figures a tier above carried up differently from the region's own recap: the official
    recap disagrees with itself (a correction at the upper plenary, or a copying slip)."""
    r = pack.rekap
    if r is None or r.is_empty() or "status_antartingkat" not in r.columns:
        return []
    odd = r.filter(pl.col("status_antartingkat") == "beda")
    n = odd.height
    count = angka_el("rekap_antartingkat_beda", fmt.angka(n), n, wilayah=pack.kode_wilayah)
    if odd.is_empty():
        return [f"<p>Rekap antartingkat: {count} angka berbeda dari rekap tingkat bawahnya.</p>"]
    items = [
        f"<li>{esc(STEP_LABEL.get(x['tingkat_rekap'], x['tingkat_rekap']))} "
        f"{esc(_nama(pack, x['kode_rekap']))} mencatat {esc(_nama(pack, x['kode_wilayah']))} "
        f"({esc(kontestasi_label(pack, x['kode_kontestasi']))}) dengan "
        f"{esc(fmt.angka(x['suara_dhasil']))} suara sah, berbeda "
        + angka_el(
            "rekap_antartingkat_selisih",
            fmt.angka(x["selisih_rekap_bawah_abs"]),
            x["selisih_rekap_bawah_abs"],
            wilayah=x["kode_wilayah"],
            kontestasi=x["kode_kontestasi"],
        )
        + f" suara (Σ per pasangan calon) dari D.Hasil {esc(_nama(pack, x['kode_wilayah']))} "
        "sendiri: dikoreksi di tingkat atas atau salah salin — minta berita acaranya.</li>"
        for x in odd.sort("selisih_rekap_bawah_abs", descending=True)
        .head(pack.settings.briefing.list_rows)
        .iter_rows(named=True)
    ]
    return [
        "<h3>Rekap tidak konsisten antartingkat</h3>",
        f"<p>{count} angka rekap berbeda dari rekap tingkat bawahnya (jumlah wilayah anaknya).</p>",
        *_screen_only(["<ul>" + "".join(items) + "</ul>"], "Rinciannya: versi layar."),
    ]


def _revisions(pack: Pack) -> list[str]:
    """Recap figures replaced by a later file: both values and what changed, in words."""
    rv = pack.rekap_revisi
    if rv is None or rv.is_empty():
        return []
    items = []
    for r in rv.sort("waktu_terima", "kode_wilayah").iter_rows(named=True):
        items.append(
            f"<li>{esc(STEP_LABEL.get(r['tingkat_rekap'], r['tingkat_rekap']))} "
            f"{esc(_nama(pack, r['kode_rekap']))}: suara paslon {r['nomor_urut']} "
            f"({esc(kontestasi_label(pack, r['kode_kontestasi']))}) di "
            f"{esc(_nama(pack, r['kode_wilayah']))} berubah dari {esc(fmt.angka(r['suara_lama']))} "
            f"menjadi {angka_el('rekap_revisi', fmt.angka(r['suara']), r['suara'], wilayah=r['kode_wilayah'], kontestasi=r['kode_kontestasi'], paslon=r['nomor_urut'])}"
            f" ({esc(fmt.selisih(r['perubahan']))}); berkas baru diterima "
            f"{esc(pack.waktu(r['waktu_terima']))}, menggantikan berkas "
            f"{esc(pack.waktu(r['waktu_terima_lama']))}.</li>"
        )
    printed = f"{fmt.angka(len(items))} angka rekap diganti berkas yang lebih baru; rinciannya: versi layar."
    return ["<h3>Revisi rekap</h3>", *_screen_only(["<ul>" + "".join(items) + "</ul>"], printed)]


def _nothing_yet(pack: Pack) -> str | None:
    """The one line a pack shows while no recap of the unit is in and none is late yet."""
    pr = pack.rekap_progres
    if pack.rekap is not None and not pack.rekap.is_empty():
        return None
    if pr is not None and not (pr["status_rekap"] == "belum_masuk").all():
        return None
    text = "Belum ada rekapitulasi resmi KPU (D.Hasil) yang diterima untuk wilayah ini."
    first = pack.settings.rekapitulasi.deadline("kecamatan")
    if first is not None and pr is not None and not pr.is_empty():
        text += f" Batas jadwal D.Hasil Kecamatan: {fmt.tanggal_pendek(first)}."
    return text


@guarded
def section_penetapan(pack: Pack) -> Html:
    """KPU's determined result, leading the pack once it is in (nothing before it is): the official
    result first, the desk's internal count beside it as the check (issue 17 item 4)."""
    official = _penetapan(pack)
    if not official:
        return Html("")
    return bagian("penetapan", "Hasil resmi penetapan KPU", "".join(official))


@guarded
def section_rekap(pack: Pack) -> Html:
    """The official recapitulation on its way: progress, three sources, revisions (the penetapan,
    once in, leads the pack in :func:`section_penetapan`)."""
    quiet = _nothing_yet(pack)
    if quiet is not None:
        return bagian("rekap", "Rekapitulasi resmi KPU", p(quiet, "catatan"))
    parts = _progress(pack) + _three_sources(pack) + _between_tiers(pack) + _revisions(pack)
    if not parts:
        text = "Belum ada rekapitulasi resmi KPU (D.Hasil) yang diterima untuk wilayah ini."
        return bagian("rekap", "Rekapitulasi resmi KPU", p(text, "catatan"))
    if not _penetapan(pack):
        parts.insert(
            0,
            p(
                "Rekapitulasi berjenjang KPU (D.Hasil) adalah hasil resmi yang sedang berjalan; "
                "penetapan KPU belum diterima.",
                "catatan",
            ),
        )
    return bagian("rekap", "Rekapitulasi resmi KPU", "".join(parts))
