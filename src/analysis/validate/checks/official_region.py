"""Checks of KPU's recapitulation (``dhasil__wilayah_kontestasi_paslon``, D.Hasil / Sirekap
aggregates): one row per region unit × contest × paslon."""

from __future__ import annotations

import polars as pl

from analysis.domain.regions import inside_expr
from analysis.schemas import OFFICIAL_REGION
from analysis.settings import Settings
from analysis.validate.checks.common import (
    known_contest,
    known_region,
    region_kabkota,
    required,
    unique,
)
from analysis.validate.checks.exprs import absdiff, count_true, msg, values_listed
from analysis.validate.checks.lookups import contest_codes, contest_region_expr, region_codes
from analysis.validate.model import Check, Table

#: Σ suara of the region × contest over the whole batch (a window in a message would only see
#: the failing rows), added by :func:`prepare`.
REGION_TOTAL = "_jumlah_suara_wilayah"
NOT_NEGATIVE: tuple[str, ...] = (
    "nomor_urut",
    "suara",
    "suara_sah",
    "suara_tidak_sah",
    "tps_total",
    "tps_masuk",
)


def _contests() -> list[Check]:
    """The contest is known and held over the region."""
    contest_ok = pl.col("kode_kontestasi").is_in(contest_codes(True).implode())
    known_unit = pl.col("kode_wilayah").is_in(region_codes().implode())
    return [
        known_contest(
            contest_codes(True),
            label="kontestasi Pilkada 2024 (atau ppwp)",
            alasan="kode_kontestasi harus kontestasi yang ada (Pilkada 2024 atau ppwp)",
            why="Votes of an unknown contest cannot be counted anywhere: reject.",
            mengapa="Suara kontestasi yang tidak dikenal tidak bisa dihitung di mana pun: ditolak.",
        ),
        Check(
            id="kontestasi_sesuai_wilayah",
            severity="reject",
            alasan="Wilayah harus termasuk wilayah kontestasi",
            aturan="kode_wilayah terletak di wilayah kontestasinya (provinsi untuk pkwkp, "
            "kab/kota untuk pkwkk; ppwp di seluruh wilayah)",
            why="A region's recap belongs only to the contests held over it (domain.regions: "
            "contest_region, inside_expr): reject misfiled rows.",
            mengapa="Rekap suatu wilayah hanya milik kontestasi yang diselenggarakan di wilayah "
            "itu: baris yang salah tempat ditolak.",
            sumber="docs/domain.md §2 (kontestasi per wilayah); analysis.domain.regions",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(known_unit & contest_ok)
            .then(inside_expr("kode_wilayah", contest_region_expr()))
            .otherwise(None),
            message=msg(
                "kontestasi_sesuai_wilayah",
                "wilayah {} tidak termasuk kontestasi {}",
                "kode_wilayah",
                "kode_kontestasi",
            ),
            kolom=("kode_wilayah", "kode_kontestasi"),
        ),
    ]


def _figures(s: Settings) -> list[Check]:
    """The figures: never negative, votes add up, progress within the TPS count."""
    tol = s.election.tolerances
    negative = [(c, pl.col(c) < 0) for c in NOT_NEGATIVE]
    total = pl.col(REGION_TOTAL)
    return [
        Check(
            id="rentang_nilai",
            severity="reject",
            alasan="Nomor urut, suara dan jumlah TPS tidak boleh negatif",
            aturan=f"{', '.join(NOT_NEGATIVE)} tidak negatif",
            why="Counts and nomor urut are never negative: such a row is corrupt: reject.",
            mengapa="Angka dan nomor urut tidak pernah negatif: baris seperti itu rusak: ditolak.",
            sumber="docs/domain.md §4 identitas 9 (setiap angka bilangan bulat ≥ 0)",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=count_true([c for _, c in negative]),
            message=pl.format("rentang_nilai: nilai negatif: {}", values_listed(negative)),
            kolom=NOT_NEGATIVE,
        ),
        Check(
            id="identitas_1_jumlah_suara",
            severity="warn",
            alasan="Jumlah suara seluruh paslon di wilayah harus sama dengan suara sah",
            aturan=f"Σ suara paslon wilayah × kontestasi = suara_sah, toleransi {tol.votes_sum}",
            why=f"docs/domain.md §4 identity 1 at region level, tolerance election.tolerances.votes_sum="
            f"{tol.votes_sum}: the recapitulation is KPU's official record: warn and flag, never "
            "drop.",
            mengapa="Rekapitulasi adalah catatan resmi KPU: ditandai, tidak pernah dibuang.",
            sumber=f"docs/domain.md §4 identitas 1; settings election.tolerances.votes_sum = "
            f"{tol.votes_sum}",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.votes_sum},
            derive=absdiff(total, pl.col("suara_sah")),
            message=msg(
                "identitas_1_jumlah_suara",
                "Σ suara paslon wilayah {} ({}) ≠ suara_sah ({})",
                "kode_wilayah",
                total,
                "suara_sah",
            ),
            kolom=("suara", "suara_sah"),
        ),
        Check(
            id="progres_tps",
            severity="warn",
            alasan="TPS masuk tidak boleh melebihi jumlah TPS",
            aturan="tps_masuk ≤ tps_total",
            why="More TPS reported than exist means the progress figure is stale or wrong; the "
            "votes still stand: warn.",
            mengapa="TPS masuk lebih banyak dari jumlah TPS berarti angka progres usang atau "
            "salah; suaranya tetap berlaku: peringatan.",
            sumber="docs/domain.md §6 (progres rekapitulasi KPU)",
            expectation="between",
            kwargs={"max_value": 0},
            derive=pl.col("tps_masuk") - pl.col("tps_total"),
            message=msg("progres_tps", "tps_masuk ({}) > tps_total ({})", "tps_masuk", "tps_total"),
            kolom=("tps_masuk", "tps_total"),
        ),
    ]


def checks(s: Settings) -> list[Check]:
    """In suite order."""
    return [
        required(("kode_wilayah", "kode_kontestasi", "nomor_urut", "suara")),
        known_region(
            "reject",
            alasan="kode_wilayah harus ada di pohon wilayah Kemendagri",
            why="A recap row of an unknown region cannot be placed in the tree: reject.",
            mengapa="Baris rekap untuk wilayah yang tidak dikenal tidak bisa ditempatkan: ditolak.",
        ),
        *_contests(),
        *_figures(s),
        unique(("kode_wilayah", "kode_kontestasi", "nomor_urut", "waktu_terima")),
    ]


def prepare(df: pl.DataFrame, ref_tps: pl.DataFrame | None) -> pl.DataFrame:
    """Σ suara per region × contest × received version over the whole batch."""
    return df.with_columns(
        pl.col("suara")
        .sum()
        .over("kode_wilayah", "kode_kontestasi", "waktu_terima")
        .alias(REGION_TOTAL)
    )


TABLE = Table(dataset=OFFICIAL_REGION.name, checks=checks, kabkota=region_kabkota, prepare=prepare)
