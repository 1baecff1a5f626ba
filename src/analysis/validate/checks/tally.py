"""Checks of the desk's internal count (``internal__tps_kontestasi_laporan``): the shared C.Hasil
table, severities for an internal report, and the report time window."""

from __future__ import annotations

from analysis.settings import Settings
from analysis.validate.checks import chasil
from analysis.validate.checks.common import tps_kabkota, window
from analysis.validate.model import Check, Table


def checks(s: Settings) -> list[Check]:
    """The C.Hasil rows, then the report time."""
    return [
        *chasil.checks(s),
        window(
            "waktu_laporan",
            s,
            "reject",
            why="Report versions are ordered by waktu_laporan (latest wins): a mistyped date "
            "outside the election window would wrongly supersede or be superseded, so reject "
            "until the sender confirms the time.",
            mengapa="Versi laporan diurutkan menurut waktu_laporan (yang terakhir berlaku): "
            "tanggal salah ketik di luar jendela akan salah menggantikan atau tergantikan, jadi "
            "ditolak sampai pengirim memastikan waktunya.",
        ),
    ]


TABLE = Table(
    dataset=chasil.INTERNAL,
    checks=checks,
    kabkota=tps_kabkota,
    prepare=chasil.prepare,
    added=(chasil.CHASIL_EXTRA, chasil.CHASIL_EXTRA_WHAT),
    row_verdicts=True,
)
