"""What a reader sees instead of a code: the packs' label tables, in Bahasa Indonesia."""

from __future__ import annotations

TINGKAT_LABEL: dict[str, str] = {
    "nasional": "Nasional",
    "provinsi": "Provinsi",
    "kabkota": "Kabupaten/Kota",
    "kecamatan": "Kecamatan",
    "desa": "Desa/Kelurahan",
}

#: The same, short, for the index page's narrow column.
TINGKAT_SINGKAT: dict[str, str] = {
    "nasional": "Nasional",
    "provinsi": "Provinsi",
    "kabkota": "Kab/Kota",
    "kecamatan": "Kecamatan",
}

#: What a unit's children are called ("Status per kabupaten/kota").
ANAK_LABEL: dict[str, str] = {
    "nasional": "provinsi",
    "provinsi": "kabupaten/kota",
    "kabkota": "kecamatan",
    "kecamatan": "desa/kelurahan",
}

CAVEAT = "hitung internal — bukan hasil resmi; hasil resmi ditetapkan KPU"
CAVEAT_PROYEKSI = "proyeksi internal — bukan hasil resmi; hasil resmi ditetapkan KPU"

#: The count-night projections (docs/domain.md §11), as a reader calls them.
METODE_LABEL: dict[str, str] = {
    "strata_internal": "Proyeksi strata (hitung internal)",
    "strata_kpu": "Proyeksi strata (KPU)",
    "sampel": "Proyeksi sampel PVT",
}
BELUM = "data belum tersedia"

STATUS_LABEL: dict[str, str] = {
    "aman": "Aman",
    "perhatian": "Perlu perhatian",
    "kritis": "Kritis",
}

SUMBER_INTERNAL = "Hitung internal"
SUMBER_KPU = "KPU (Sirekap)"
SUMBER_LABEL: dict[str, str] = {"internal": SUMBER_INTERNAL, "kpu": SUMBER_KPU}

TPS_STATUS_LABEL: dict[str, str] = {
    "cocok": "cocok",
    "selisih": "selisih",
    "hanya_internal": "hanya internal",
    "hanya_kpu": "hanya KPU",
    "kpu_direvisi": "KPU merevisi",
    "belum_masuk": "belum masuk",
}

INDIKATOR_LABEL: dict[str, str] = {
    "logistik_diterima": "Logistik diterima",
    "perekaman_ktp_el": "Perekaman KTP-el",
    "nphd_dibayar": "NPHD dibayar",
}

#: Short stage names for chart axes (the schedule's order).
TAHAPAN_SINGKAT: dict[str, str] = {
    "pemutakhiran_data_pemilih": "Pemutakhiran",
    "pendaftaran_paslon": "Pendaftaran",
    "penetapan_paslon": "Penetapan paslon",
    "kampanye": "Kampanye",
    "masa_tenang": "Masa tenang",
    "pemungutan_penghitungan": "Pungut-hitung",
    "rekapitulasi": "Rekapitulasi",
    "penetapan_calon_terpilih": "Penetapan terpilih",
    "sengketa": "Sengketa",
    "lainnya": "Lainnya",
}

#: Counts of TPS × contest by comparison (status_banding), in the order the comparison section lists
#: them: (column of paket__wilayah_kontestasi, figure name, label). Mutually exclusive; a KPU revision
#: does not move a TPS out of "cocok" or "berbeda" (it is counted apart, :data:`BANDING_REVISI`).
BANDING_HITUNGAN: tuple[tuple[str, str, str], ...] = (
    ("tps_keduanya", "tps_keduanya", "TPS dibandingkan"),
    ("n_banding_cocok", "n_cocok", "cocok"),
    ("n_banding_selisih", "n_selisih", "berbeda"),
    ("n_banding_hanya_internal", "n_hanya_internal", "hanya internal"),
    ("n_banding_hanya_kpu", "n_hanya_kpu", "hanya KPU"),
    ("n_banding_belum_masuk", "n_belum_masuk", "belum masuk"),
)
BANDING_REVISI = ("n_kpu_direvisi", "n_kpu_direvisi", "KPU merevisi sejak laporan sebelumnya")

#: How a reader reads the pack's counts: (word, what it includes). Shown in the sources annex.
BACAAN: tuple[tuple[str, str], ...] = (
    (
        "TPS × pemilihan",
        "satu TPS pada satu pemilihan (gubernur, bupati/walikota); satu TPS dihitung sekali per "
        "pemilihan yang diikutinya. Semua hitungan TPS di laporan ini memakai satuan ini.",
    ),
    (
        "TPS dibandingkan",
        "TPS × pemilihan dalam daftar TPS yang sudah ada di hitung internal dan di Sirekap KPU "
        "(versi yang berlaku pada waktu data).",
    ),
    (
        "cocok",
        "TPS dibandingkan yang suara setiap paslonnya sama di kedua sumber (dalam toleransi "
        "pengaturan); termasuk catatan KPU yang direvisi dan kini sama.",
    ),
    (
        "berbeda (tidak cocok)",
        "TPS dibandingkan dengan sedikitnya satu paslon yang suaranya berbeda; cocok + berbeda = "
        "TPS dibandingkan. Judul, kolom per wilayah dan daftar selisih memakai hitungan yang sama.",
    ),
    (
        "KPU merevisi",
        "catatan KPU yang suaranya berubah sejak laporan sebelumnya; sudah termasuk dalam cocok, "
        "berbeda atau hanya KPU, tidak ditambahkan lagi.",
    ),
    (
        "cakupan",
        "TPS × pemilihan yang sudah masuk dibagi TPS × pemilihan dalam daftar TPS (referensi).",
    ),
    (
        "terbuka / belum selesai",
        "insiden yang penanganannya belum selesai dan tidak dibantah pada waktu data (insiden "
        "yang dibantah atau selesai tidak terbuka).",
    ),
    (
        "Σ |selisih|",
        "jumlah selisih mutlak suara per paslon per TPS, hanya pada TPS dibandingkan.",
    ),
    (
        "baris (lampiran kualitas data)",
        "baris berkas masukan wilayah ini: dibaca = diterima + ditolak + digantikan laporan yang "
        "lebih baru; penyebut pemeriksaan = semua baris wilayah ini yang diperiksa.",
    ),
)

#: Severities of an incident, most serious first.
KEPARAHAN: tuple[str, ...] = ("kritis", "tinggi", "sedang", "rendah")


def _dataset_labels() -> dict[str, str]:
    from analysis import schemas as s

    return {
        s.REGIONS.name: "daftar wilayah (Kemendagri)",
        s.CONTESTS.name: "daftar pemilihan",
        s.PASLON.name: "daftar pasangan calon",
        s.TPS.name: "daftar TPS dan DPT",
        s.TALLY.name: "laporan hitung internal per TPS (dari petugas lapangan)",
        s.TALLY_VOTES.name: "suara per paslon dalam hitung internal",
        s.OFFICIAL_TPS.name: "data KPU per TPS (Sirekap)",
        s.OFFICIAL_VOTES.name: "suara per paslon dalam data KPU (Sirekap)",
        s.OFFICIAL_REGION.name: "rekap KPU per wilayah (D.Hasil)",
        s.SIREKAP_AGREGAT.name: "angka agregat KPU per wilayah (Sirekap)",
        s.INCIDENTS.name: "laporan insiden",
        s.READINESS.name: "laporan kesiapan",
        s.QUARANTINE.name: "baris yang ditolak",
        s.LEDGER.name: "daftar berkas masukan",
        s.ACCOUNTING.name: "neraca baris per berkas",
    }


def dataset_label(name: str | None) -> str:
    """What a reader calls a dataset: words, never its internal name (issue 12)."""
    if not name:
        return "–"
    return _dataset_labels().get(name, "data lain")


#: The few technical terms the packs use, explained in words (shown where they appear).
ISTILAH: dict[str, str] = {
    "2BL": "uji digit kedua (Benford): pada angka suara yang wajar, digit kedua rata-rata sekitar "
    "4,19; rerata yang jauh dari itu dapat menandakan angka yang dikarang atau salah baca",
    "skor z robust": "ukuran seberapa jauh partisipasi sebuah TPS dari TPS lain di kecamatannya, "
    "dihitung dari median dan simpangan median (tidak terpengaruh beberapa angka ekstrem); di atas "
    "3,5 berarti sangat menyimpang",
    "selang bootstrap 95%": "rentang yang didapat dengan mengambil ulang sampel TPS 1.000 kali; "
    "bila nilai yang diharapkan di luar rentang ini, penyimpangan tidak mungkin kebetulan saja",
    "penapisan": "penyaringan otomatis yang menunjuk TPS untuk diperiksa analis — bukan temuan "
    "kecurangan",
}
