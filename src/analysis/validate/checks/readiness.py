"""Checks of readiness figures (``kesiapan__wilayah_tanggal_indikator``): one row per kab/kota × day
× indicator."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.schemas import READINESS
from analysis.settings import ReadinessTargets, Settings
from analysis.validate.checks.common import known_region, region_kabkota, required, unique
from analysis.validate.checks.exprs import msg
from analysis.validate.model import Check, Table

#: The indicators with a target in settings (election.readiness_targets).
READINESS_INDICATORS: tuple[str, ...] = tuple(ReadinessTargets.model_fields)


def _figures(s: Settings) -> list[Check]:
    """The indicator is known, the value a share, the fraction consistent with it."""
    tol = s.election.tolerances.readiness_share
    share = pl.col("pembilang") / pl.col("penyebut")
    consistent = (
        (pl.col("penyebut") > 0)
        & (pl.col("pembilang") >= 0)
        & (pl.col("pembilang") <= pl.col("penyebut"))
        & ((share - pl.col("nilai")).abs() <= tol).fill_null(True)
    )
    return [
        Check(
            id="indikator_dikenal",
            severity="reject",
            alasan="Indikator harus salah satu indikator kesiapan yang dikenal",
            aturan=f"indikator salah satu dari: {', '.join(READINESS_INDICATORS)}",
            why="Only the three indicators with targets in settings (readiness_targets) can be "
            "compared: reject others.",
            mengapa="Hanya indikator yang punya target di settings yang bisa dibandingkan: "
            "indikator lain ditolak.",
            sumber="settings election.readiness_targets (docs/domain.md §8)",
            expectation="in_set",
            kwargs={"value_set": list(READINESS_INDICATORS)},
            column="indikator",
            message=msg(
                "indikator_dikenal",
                f"indikator ({{}}) bukan salah satu dari {', '.join(READINESS_INDICATORS)}",
                "indikator",
            ),
            kolom=("indikator",),
        ),
        Check(
            id="nilai_rentang",
            severity="reject",
            alasan="Nilai kesiapan harus pangsa 0…1",
            aturan="nilai antara 0 dan 1 (pangsa, bukan persen)",
            why="The value is a share 0..1; anything else is a unit error (e.g. 98 instead of "
            "0.98) that would distort the readiness gap: reject.",
            mengapa="Nilai adalah pangsa 0…1; nilai lain adalah salah satuan (mis. 98 alih-alih "
            "0,98) yang akan merusak selisih kesiapan: ditolak.",
            sumber="definisi indikator kesiapan (docs/domain.md §8)",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 1},
            column="nilai",
            message=msg("nilai_rentang", "nilai ({}) di luar 0…1 (pangsa, bukan persen)", "nilai"),
            kolom=("nilai",),
        ),
        Check(
            id="pecahan_konsisten",
            severity="warn",
            alasan="Pembilang/penyebut harus konsisten dengan nilai",
            aturan=f"0 ≤ pembilang ≤ penyebut, penyebut > 0, dan |pembilang/penyebut − nilai| ≤ "
            f"{fmt.angka(tol, 3)} (bila pembilang dan penyebut terisi)",
            why=f"nilai should equal pembilang/penyebut within tolerances.readiness_share={tol:g} "
            "(rounding of a published percentage); the share itself is used, so warn.",
            mengapa="Nilai seharusnya sama dengan pembilang/penyebut dalam batas pembulatan "
            "persentase yang dipublikasikan; pangsanya sendiri yang dipakai: peringatan.",
            sumber=f"settings election.tolerances.readiness_share = {tol:g}",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("pembilang").is_null() | pl.col("penyebut").is_null())
            .then(None)
            .otherwise(consistent),
            message=msg(
                "pecahan_konsisten",
                f"pembilang ({{}}) / penyebut ({{}}) tidak cocok dengan nilai ({{}}) (toleransi "
                f"{tol:g})",
                "pembilang",
                "penyebut",
                "nilai",
            ),
            kolom=("pembilang", "penyebut", "nilai"),
        ),
    ]


def checks(s: Settings) -> list[Check]:
    """In suite order."""
    return [
        required(("kode_wilayah", "tanggal", "indikator", "nilai")),
        known_region(
            "reject",
            alasan="kode_wilayah harus ada di pohon wilayah Kemendagri",
            why="A readiness figure for an unknown unit cannot be shown anywhere: reject.",
            mengapa="Angka kesiapan untuk unit yang tidak dikenal tidak bisa ditampilkan di mana "
            "pun: ditolak.",
        ),
        *_figures(s),
        unique(("kode_wilayah", "tanggal", "indikator")),
    ]


TABLE = Table(dataset=READINESS.name, checks=checks, kabkota=region_kabkota)
