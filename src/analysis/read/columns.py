"""The readers' tables: which raw headers mean which canonical column, and what each kind keeps.

:data:`ALIASES` is the one alias table (normalised header → canonical column); :data:`COLUMNS`
says, per kind of file, the columns its reader keeps and the ones a file must have.
"""

from __future__ import annotations

from analysis.schemas import ADMIN_COUNTS, SPLIT_FIELDS

PASLON_MAX = 6
PASLON_COLS = tuple(f"suara_paslon_{n}" for n in range(1, PASLON_MAX + 1))
KOLOM_KOSONG_COL = "suara_kolom_kosong"
SPLIT_COLS = tuple(f"{f}_{s}" for f in SPLIT_FIELDS for s in ("l", "p"))


def _split_aliases(canon: str, *stems: str) -> dict[str, str]:
    """Aliases of a count and of its men/women split: ``<stem>``, ``<stem>_j``/``_total``/
    ``_jumlah`` → ``canon``; ``<stem>_l``/``_lk``/``_laki_laki`` → ``canon_l``; ``_p``/``_pr``/
    ``_perempuan`` → ``canon_p``."""
    out = {}
    for stem in stems:
        out[stem] = canon
        out[f"{stem}_j"] = canon
        out[f"{stem}_total"] = canon
        out[f"{stem}_jumlah"] = canon
        for suf, sub in (("l", "l"), ("lk", "l"), ("laki_laki", "l"), ("p", "p"), ("pr", "p")):
            out[f"{stem}_{suf}"] = f"{canon}_{sub}"
        out[f"{stem}_perempuan"] = f"{canon}_p"
    return out


#: The one alias table: normalised header -> canonical column. Canonical names match themselves.
ALIASES: dict[str, str] = {
    # codes, times, people
    "kode_tps": "kode_tps",
    "kd_tps": "kode_tps",
    "id_tps": "kode_tps",
    "tps_kode": "kode_tps",
    "no_tps_kpu": "kode_tps",
    "kode_desa": "kode_desa",
    "kode_kelurahan": "kode_desa",
    "nomor_tps": "nomor_tps",
    "no_tps": "nomor_tps",
    "tps": "nomor_tps",
    "kode_wilayah": "kode_wilayah",
    "kode_daerah": "kode_wilayah",
    "kode_kemendagri": "kode_wilayah",
    "wilayah_kode": "kode_wilayah",
    "kode": "kode_wilayah",
    "jenis_pemilihan": "jenis_pemilihan",
    "jenis": "jenis_pemilihan",
    "pemilihan": "jenis_pemilihan",
    "jenis_pilkada": "jenis_pemilihan",
    "jenis_kontestasi": "jenis_pemilihan",
    "kode_kontestasi": "kode_kontestasi",
    "kontestasi": "kode_kontestasi",
    "waktu_laporan": "waktu_laporan",
    "waktu_lapor": "waktu_laporan",
    "jam_laporan": "waktu_laporan",
    "waktu_pelaporan": "waktu_laporan",
    "tanggal_laporan": "waktu_laporan",
    "waktu_kirim": "waktu_laporan",
    "dilaporkan": "waktu_laporan",
    "pelapor": "pelapor",
    "nama_pelapor": "pelapor",
    "petugas": "pelapor",
    "pengirim": "pelapor",
    # C.Hasil counts
    **_split_aliases(
        "pemilih_dpt", "pemilih_dpt", "jumlah_dpt", "dpt", "jml_dpt", "jumlah_pemilih_dpt"
    ),
    **_split_aliases("pengguna_dpt", "pengguna_dpt", "pengguna_hak_pilih_dpt", "jml_pengguna_dpt"),
    **_split_aliases("pengguna_dptb", "pengguna_dptb", "pengguna_hak_pilih_dptb", "dptb"),
    **_split_aliases(
        "pengguna_dpk", "pengguna_dpk", "pengguna_non_dpt", "pengguna_hak_pilih_dpk", "dpk"
    ),
    **_split_aliases(
        "pengguna_total",
        "pengguna_total",
        "jumlah_pengguna_hak_pilih",
        "pengguna_hak_pilih",
        "total_pengguna_hak_pilih",
        "jumlah_pemilih_hadir",
    ),
    "surat_suara_diterima": "surat_suara_diterima",
    "surat_suara_terima": "surat_suara_diterima",
    "jumlah_surat_suara_diterima": "surat_suara_diterima",
    "ss_diterima": "surat_suara_diterima",
    "surat_suara_digunakan": "surat_suara_digunakan",
    "surat_suara_terpakai": "surat_suara_digunakan",
    "ss_digunakan": "surat_suara_digunakan",
    "surat_suara_rusak": "surat_suara_rusak",
    "surat_suara_rusak_keliru": "surat_suara_rusak",
    "ss_rusak": "surat_suara_rusak",
    "surat_suara_tidak_digunakan": "surat_suara_tidak_digunakan",
    "surat_suara_sisa": "surat_suara_tidak_digunakan",
    "ss_tidak_digunakan": "surat_suara_tidak_digunakan",
    "suara_sah": "suara_sah",
    "jumlah_suara_sah": "suara_sah",
    "total_suara_sah": "suara_sah",
    "sah": "suara_sah",
    "suara_tidak_sah": "suara_tidak_sah",
    "jumlah_suara_tidak_sah": "suara_tidak_sah",
    "tidak_sah": "suara_tidak_sah",
    "suara_total": "suara_total",
    "jumlah_suara": "suara_total",
    "total_suara": "suara_total",
    "jumlah_suara_sah_dan_tidak_sah": "suara_total",
    "suara_kolom_kosong": KOLOM_KOSONG_COL,
    "kolom_kosong": KOLOM_KOSONG_COL,
    "kotak_kosong": KOLOM_KOSONG_COL,
    "suara_kotak_kosong": KOLOM_KOSONG_COL,
    # D.Hasil
    "nomor_urut": "nomor_urut",
    "no_urut": "nomor_urut",
    "suara": "suara",
    "jumlah_suara_paslon": "suara",
    "perolehan_suara": "suara",
    "tps_total": "tps_total",
    "jumlah_tps": "tps_total",
    "total_tps": "tps_total",
    "tps_masuk": "tps_masuk",
    "tps_masuk_data": "tps_masuk",
    "progres": "tps_masuk",
    # paslon reference
    "paslon_id": "paslon_id",
    "id_paslon": "paslon_id",
    "nama_paslon": "nama_paslon",
    "nama_pasangan": "nama_paslon",
    "nama": "nama_paslon",
    # incidents
    "id_insiden": "id_insiden",
    "id": "id_insiden",
    "no_insiden": "id_insiden",
    "nomor_insiden": "id_insiden",
    "waktu_kejadian": "waktu_kejadian",
    "tanggal_kejadian": "waktu_kejadian",
    "waktu_insiden": "waktu_kejadian",
    "lokasi": "lokasi",
    "lokasi_kejadian": "lokasi",
    "tempat": "lokasi",
    "tahapan": "tahapan",
    "tahap": "tahapan",
    "kategori": "kategori",
    "jenis_insiden": "kategori",
    "kategori_insiden": "kategori",
    "tingkat_keparahan": "tingkat_keparahan",
    "keparahan": "tingkat_keparahan",
    "tingkat": "tingkat_keparahan",
    "status_verifikasi": "status_verifikasi",
    "verifikasi": "status_verifikasi",
    "status_penanganan": "status_penanganan",
    "penanganan": "status_penanganan",
    "status": "status_penanganan",
    "instansi": "instansi",
    "instansi_penanganan": "instansi",
    "penanggung_jawab": "instansi",
    "waktu_penanganan": "waktu_penanganan",
    "deskripsi": "deskripsi",
    "uraian": "deskripsi",
    "keterangan": "deskripsi",
    "kronologi": "deskripsi",
    # readiness
    "tanggal": "tanggal",
    "tgl": "tanggal",
    "indikator": "indikator",
    "pembilang": "pembilang",
    "penyebut": "penyebut",
    "nilai": "nilai",
    "persentase": "nilai",
    "capaian": "nilai",
}

#: Columns of the desk's own count (C.Hasil), in the order the tally reader keeps them.
TALLY_COLS = (
    "kode_tps",
    "jenis_pemilihan",
    "kode_kontestasi",
    "waktu_laporan",
    "pelapor",
    *ADMIN_COUNTS,
    *SPLIT_COLS,
    *PASLON_COLS,
    KOLOM_KOSONG_COL,
)

#: kind -> (columns the reader keeps, required columns; a tuple inside = "one of these").
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str | tuple[str, ...], ...]]] = {
    "tally": (
        TALLY_COLS,
        (
            "kode_tps",
            ("jenis_pemilihan", "kode_kontestasi"),
            "waktu_laporan",
            "pengguna_total",
            "suara_sah",
            "suara_tidak_sah",
            "suara_total",
        ),
    ),
    "official_region": (
        (
            "kode_wilayah",
            "jenis_pemilihan",
            "kode_kontestasi",
            "nomor_urut",
            "suara",
            *PASLON_COLS,
            KOLOM_KOSONG_COL,
            "suara_sah",
            "suara_tidak_sah",
            "tps_total",
            "tps_masuk",
        ),
        ("kode_wilayah", ("jenis_pemilihan", "kode_kontestasi"), ("nomor_urut", "suara_paslon_1")),
    ),
    "incidents": (
        (
            "id_insiden",
            "waktu_kejadian",
            "waktu_laporan",
            "kode_wilayah",
            "kode_tps",
            "lokasi",
            "tahapan",
            "kategori",
            "tingkat_keparahan",
            "status_verifikasi",
            "status_penanganan",
            "instansi",
            "waktu_penanganan",
            "deskripsi",
        ),
        ("waktu_laporan", "tahapan", "kategori", "tingkat_keparahan"),
    ),
    "readiness": (
        ("kode_wilayah", "tanggal", "indikator", "pembilang", "penyebut", "nilai"),
        ("kode_wilayah", "tanggal", "indikator", ("nilai", "pembilang")),
    ),
    "ref_tps": (
        ("kode_tps", "kode_desa", "nomor_tps", "pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p"),
        ("kode_tps", "pemilih_dpt"),
    ),
    "ref_paslon": (
        ("kode_kontestasi", "nomor_urut", "paslon_id", "nama_paslon", "kolom_kosong"),
        ("kode_kontestasi", "nomor_urut"),
    ),
}
#: Per kind, canonical names that mean another column there: in the paslon list
#: ``kolom_kosong`` is a yes/no flag, not a vote count.
KIND_ALIASES: dict[str, dict[str, str]] = {"ref_paslon": {KOLOM_KOSONG_COL: "kolom_kosong"}}
