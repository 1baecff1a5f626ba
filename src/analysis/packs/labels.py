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

#: Counts of TPS by comparison status, in the order the comparison section lists them.
BANDING_HITUNGAN: tuple[tuple[str, str], ...] = (
    ("tps_keduanya", "TPS dibandingkan"),
    ("n_cocok", "cocok"),
    ("n_selisih", "selisih"),
    ("n_kpu_direvisi", "KPU merevisi"),
    ("n_hanya_internal", "hanya internal"),
    ("n_hanya_kpu", "hanya KPU"),
    ("n_belum_masuk", "belum masuk"),
)

#: Severities of an incident, most serious first.
KEPARAHAN: tuple[str, ...] = ("kritis", "tinggi", "sedang", "rendah")
