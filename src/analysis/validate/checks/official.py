"""Checks of KPU's per-TPS records (``sirekap__tps_kontestasi_tarikan``, Sirekap): the shared
C.Hasil table with the severities of an official record, completeness, PSU notes and Sirekap's own
timestamp."""

from __future__ import annotations

import polars as pl

from analysis.settings import Settings
from analysis.validate.checks import chasil
from analysis.validate.checks.common import tps_kabkota, window
from analysis.validate.checks.exprs import listed, msg
from analysis.validate.model import Check, Table


def _own() -> list[Check]:
    """What only a Sirekap record can lack: a section, or a PSU note."""
    return [
        Check(
            id="rekaman_lengkap",
            severity="warn",
            alasan="Rekaman Sirekap harus memuat suara paslon dan data administrasi",
            aturan="ada_chart dan ada_administrasi keduanya benar (bagian suara paslon dan "
            "administrasi terisi)",
            why="A Sirekap record whose chart or administrasi section is null is not yet "
            "digitised: the record is kept (what is there is official) and the identities that "
            "need the missing section are simply not checked; warn so it is not mistaken for a "
            "complete record.",
            mengapa="Rekaman Sirekap yang bagian chart atau administrasinya kosong belum selesai "
            "didigitalkan: rekamannya tetap disimpan (isinya resmi) dan identitas yang memerlukan "
            "bagian itu tidak diperiksa; peringatan agar tidak dikira rekaman lengkap.",
            sumber="docs/domain.md §6 (data KPU sebagaimana dipublikasikan)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.col("ada_chart") & pl.col("ada_administrasi"),
            message=pl.format(
                "rekaman_lengkap: rekaman Sirekap belum lengkap: {}",
                listed(
                    [
                        ("chart (suara paslon) kosong", ~pl.col("ada_chart")),
                        ("administrasi kosong", ~pl.col("ada_administrasi")),
                    ]
                ),
            ),
            kolom=("ada_chart", "ada_administrasi"),
        ),
        Check(
            id="tanpa_psu",
            severity="warn",
            alasan="TPS dengan catatan PSU (pemungutan suara ulang)",
            aturan="kolom psu kosong (tidak ada catatan pemungutan suara ulang)",
            why="A PSU (pemungutan suara ulang) note means this TPS's result will be replaced by "
            "a re-vote; the record stands until then: warn.",
            mengapa="Catatan PSU berarti hasil TPS ini akan diganti pemungutan suara ulang; "
            "rekamannya berlaku sampai saat itu: peringatan.",
            sumber="docs/domain.md §6 (PSU mengganti hasil TPS)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.col("psu").is_null() | (pl.col("psu").str.strip_chars() == ""),
            message=msg("tanpa_psu", "TPS dicatat PSU oleh KPU: {}", "psu"),
            kolom=("psu",),
        ),
    ]


def checks(s: Settings) -> list[Check]:
    """The C.Hasil rows, then the Sirekap-only ones, then Sirekap's timestamp."""
    return [
        *chasil.checks(s),
        *_own(),
        window(
            "ts",
            s,
            "warn",
            why="Sirekap's own timestamp should fall inside the election window; KPU's record "
            "is official whatever its stamp, and versions are ordered by waktu_tarik (the "
            "desk's pull time), so warn only.",
            mengapa="Cap waktu Sirekap seharusnya di dalam jendela pemilihan; catatan KPU tetap "
            "resmi apa pun capnya, dan versinya diurutkan menurut waktu_tarik (waktu desk "
            "menarik data), jadi hanya peringatan.",
        ),
    ]


TABLE = Table(
    dataset=chasil.KPU,
    checks=checks,
    kabkota=tps_kabkota,
    prepare=chasil.prepare,
    added=(chasil.CHASIL_EXTRA, chasil.CHASIL_EXTRA_WHAT),
    row_verdicts=True,
)
