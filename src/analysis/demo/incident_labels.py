"""The label tables of the demo's incident reports: stages, categories, and how people write them.

Canonical codes are those of ``config/taxonomy.yaml``; the written forms add the mess a desk
receives (case, misspellings, synonyms), each tagged with how it is messy so the manifest can say.
"""

from __future__ import annotations

import datetime as dt

#: (code, first day, last day, weight) — docs/domain.md §9 stage windows.
STAGES: tuple[tuple[str, dt.date, dt.date, float], ...] = (
    ("pemutakhiran_data_pemilih", dt.date(2024, 5, 31), dt.date(2024, 9, 23), 0.08),
    ("pendaftaran_paslon", dt.date(2024, 8, 27), dt.date(2024, 8, 29), 0.03),
    ("penetapan_paslon", dt.date(2024, 9, 22), dt.date(2024, 9, 22), 0.02),
    ("kampanye", dt.date(2024, 9, 25), dt.date(2024, 11, 23), 0.40),
    ("masa_tenang", dt.date(2024, 11, 24), dt.date(2024, 11, 26), 0.17),
    ("pemungutan_penghitungan", dt.date(2024, 11, 27), dt.date(2024, 11, 27), 0.22),
    ("rekapitulasi", dt.date(2024, 11, 28), dt.date(2024, 12, 16), 0.08),
)
CAT_BY_STAGE: dict[str, dict[str, float]] = {
    "pemutakhiran_data_pemilih": {
        "data_pemilih": 0.7,
        "netralitas": 0.1,
        "infrastruktur": 0.1,
        "lainnya": 0.1,
    },
    "pendaftaran_paslon": {
        "kamtibmas": 0.3,
        "pelanggaran_kampanye": 0.2,
        "netralitas": 0.2,
        "lainnya": 0.3,
    },
    "penetapan_paslon": {"kamtibmas": 0.4, "netralitas": 0.2, "lainnya": 0.4},
    "kampanye": {
        "pelanggaran_kampanye": 0.35,
        "politik_uang": 0.2,
        "netralitas": 0.2,
        "kamtibmas": 0.15,
        "infrastruktur": 0.05,
        "lainnya": 0.05,
    },
    "masa_tenang": {
        "politik_uang": 0.35,
        "pelanggaran_kampanye": 0.25,
        "logistik": 0.2,
        "kamtibmas": 0.1,
        "netralitas": 0.1,
    },
    "pemungutan_penghitungan": {
        "prosedur_pungut_hitung": 0.3,
        "logistik": 0.2,
        "kamtibmas": 0.13,
        "politik_uang": 0.1,
        "data_pemilih": 0.15,
        "infrastruktur": 0.1,
        "protokol_kesehatan": 0.02,
    },
    "rekapitulasi": {
        "prosedur_pungut_hitung": 0.4,
        "kamtibmas": 0.3,
        "infrastruktur": 0.2,
        "lainnya": 0.1,
    },
}
#: Written forms of each canonical code: (text, how it is messy).
CAT_LABELS: dict[str, tuple[tuple[str, str], ...]] = {
    "kamtibmas": (
        ("Kamtibmas", "canon"),
        ("KAMTIBMAS", "case"),
        ("intimidasi", "synonym"),
        ("Kekerasan", "synonym"),
        ("kamtibmass", "misspelling"),
    ),
    "logistik": (
        ("Logistik", "canon"),
        ("Logistk", "misspelling"),
        ("distribusi logistik", "synonym"),
        ("LOGISTIK", "case"),
    ),
    "data_pemilih": (
        ("Data Pemilih", "canon"),
        ("data pemilih", "case"),
        ("DPT bermasalah", "synonym"),
        ("data pemilh", "misspelling"),
    ),
    "pelanggaran_kampanye": (
        ("Pelanggaran Kampanye", "canon"),
        ("APK", "synonym"),
        ("Hoaks", "synonym"),
        ("pelangaran kampanye", "misspelling"),
    ),
    "politik_uang": (
        ("Politik Uang", "canon"),
        ("politk uang", "misspelling"),
        ("money politics", "synonym"),
        ("serangan fajar", "synonym"),
        ("POLITIK UANG", "case"),
    ),
    "netralitas": (
        ("Netralitas", "canon"),
        ("Netralitas ASN", "synonym"),
        ("netralitas kades", "synonym"),
        ("netralitass", "misspelling"),
    ),
    "protokol_kesehatan": (("Protokol Kesehatan", "canon"), ("prokes", "synonym")),
    "prosedur_pungut_hitung": (
        ("Prosedur Pungut Hitung", "canon"),
        ("pungut hitung", "synonym"),
        ("Salah prosedur KPPS", "synonym"),
        ("prosedur pungut-hitung", "case"),
    ),
    "infrastruktur": (
        ("Infrastruktur", "canon"),
        ("listrik padam", "synonym"),
        ("Banjir", "synonym"),
        ("infrastuktur", "misspelling"),
    ),
    "lainnya": (("Lainnya", "canon"), ("lain-lain", "synonym")),
}
UNMAPPABLE = ("???", "Kejadian khusus", "lihat keterangan", "xx")
STAGE_LABELS: dict[str, tuple[str, ...]] = {
    "pemutakhiran_data_pemilih": ("Pemutakhiran Data Pemilih", "pemutakhiran data pemilih"),
    "pendaftaran_paslon": ("Pendaftaran Paslon", "pendaftaran paslon"),
    "penetapan_paslon": ("Penetapan Paslon", "penetapan paslon"),
    "kampanye": ("Kampanye", "kampanye", "KAMPANYE"),
    "masa_tenang": ("Masa Tenang", "masa tenang"),
    "pemungutan_penghitungan": (
        "Pemungutan dan Penghitungan Suara",
        "pemungutan_penghitungan",
        "Pungut Hitung",
    ),
    "rekapitulasi": ("Rekapitulasi", "rekapitulasi"),
}
SEV_LABELS = {
    "kritis": ("Kritis", "KRITIS", "kritis"),
    "tinggi": ("Tinggi", "tinggi", "TINGGI"),
    "sedang": ("Sedang", "sedang", "sedang "),
    "rendah": ("Rendah", "rendah"),
}
VER_LABELS = {
    "belum_diverifikasi": ("Belum diverifikasi", "belum_diverifikasi"),
    "terkonfirmasi": ("Terkonfirmasi", "terkonfirmasi"),
    "terverifikasi_resmi": ("Terverifikasi resmi", "terverifikasi_resmi"),
    "dibantah": ("Dibantah", "dibantah"),
}
HAN_LABELS = {
    "baru": ("Baru", "baru"),
    "ditangani": ("Ditangani", "ditangani"),
    "selesai": ("Selesai", "selesai"),
}
INSTANSI_BY_CAT = {
    "kamtibmas": "Polres",
    "logistik": "KPU",
    "data_pemilih": "Dukcapil",
    "pelanggaran_kampanye": "Bawaslu",
    "politik_uang": "Bawaslu",
    "netralitas": "Bawaslu",
    "protokol_kesehatan": "Pemda",
    "prosedur_pungut_hitung": "KPU",
    "infrastruktur": "Pemda",
    "lainnya": "Pemda",
}
DESC = {
    "kamtibmas": "Keributan antarpendukung di sekitar lokasi; aparat berjaga.",
    "logistik": "Kotak/surat suara terlambat tiba atau kurang dari kebutuhan.",
    "data_pemilih": "Warga tidak terdaftar di DPT meski memiliki KTP-el setempat.",
    "pelanggaran_kampanye": "APK dipasang di luar zona yang ditetapkan.",
    "politik_uang": "Laporan pembagian uang/sembako kepada pemilih.",
    "netralitas": "Dugaan keterlibatan ASN/kepala desa dalam kegiatan paslon.",
    "protokol_kesehatan": "Antrean padat tanpa pengaturan di TPS.",
    "prosedur_pungut_hitung": "KPPS tidak menunjukkan kotak kosong saat pembukaan TPS.",
    "infrastruktur": "Listrik padam/akses jalan terputus menghambat kegiatan.",
    "lainnya": "Kejadian lain yang dilaporkan masyarakat.",
}


#: Hotspot kecamatan: incidents in masa tenang, on voting day (twice as likely) or in the
#: recapitulation (indices of STAGES), of these categories and severities.
HOTSPOT_STAGES = (4, 5, 5, 6)
HOTSPOT_CATS = ("kamtibmas", "kamtibmas", "politik_uang", "prosedur_pungut_hitung")
HOTSPOT_SEVS = ("kritis", "tinggi", "tinggi")

#: Canonical code -> weight, for incidents outside hotspots.
SEV_WEIGHTS = {"kritis": 0.05, "tinggi": 0.2, "sedang": 0.4, "rendah": 0.35}
VER_WEIGHTS = (0.35, 0.3, 0.25, 0.1)  # in VER_LABELS order
HAN_WEIGHTS = (0.3, 0.4, 0.3)  # in HAN_LABELS order
MULTI_LABEL_SEPARATORS = ("; ", ", ", " / ", " dan ")
VAGUE_PLACES = ("", "dekat pasar", "-")  # lokasi of a report without a region code
