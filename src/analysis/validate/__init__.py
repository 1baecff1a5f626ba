"""The one validator: a Great Expectations 1.x suite per dataset, built from its check table.

Each validated dataset (``internal__tps_kontestasi_laporan``, ``sirekap__tps_kontestasi_tarikan``,
``dhasil__wilayah_kontestasi_paslon``, ``insiden__laporan``,
``kesiapan__wilayah_tanggal_indikator``, ``ref__tps``) has one check table, a module of
:mod:`.checks` named after its input kind (``tally``, ``official``, ``official_region``,
``incidents``, ``readiness``, ``ref_tps``; the suite is named after the dataset): a row per check
with its id, severity (tolak | peringatan), the reason in Bahasa Indonesia, why it is set as it is
and how it is computed. From the same tables come the suites of the GX file context under
``expectations/`` (:func:`sync_suites`) and the readable catalogue ``docs/checks.md``
(:mod:`.catalogue`). :mod:`.engine` builds and runs the suites and turns the results into a verdict
per row.

Importing this package does not import Great Expectations (that costs seconds); the first
validation does, through :mod:`.gx_import` (which defers the two modules GX loads only for an
expectation the suites never use).
"""

from __future__ import annotations

from analysis.validate.checks import DATASETS, checks_for
from analysis.validate.checks.lookups import desa_kpu_codes as _desa_codes
from analysis.validate.engine import (
    ValidationOutcome,
    _gx_context,
    describe_checks,
    prune,
    suite_definitions,
    sync_suites,
    validate,
)
from analysis.validate.model import TINGKAT, Check, ValidationInputError

__all__ = [
    "DATASETS",
    "TINGKAT",
    "Check",
    "ValidationInputError",
    "ValidationOutcome",
    "_desa_codes",
    "_gx_context",
    "checks_for",
    "describe_checks",
    "prune",
    "suite_definitions",
    "sync_suites",
    "validate",
]
