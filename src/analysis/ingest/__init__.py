"""Ingest: read a raw drop, validate each dataset once per batch, decide every row's fate.

``run_ingest(raw, processed, settings)`` reads every file of the drop (``analysis.read``), records
it in the ledger (by sha256: the same content under two names, or on a re-run, is read once),
validates each dataset as one batch (``analysis.validate``), and writes the processed datasets,
``mutu__baris_ditolak`` (the quarantine), ``mutu__berkas`` (the ledger), ``mutu__neraca_berkas``
(the accounting) and ``mutu__dataset_pemeriksaan_kabkota`` (the check summary). Nothing is ever
written under the raw folder. CLI: ``python -m analysis ingest [--raw DIR] [--processed DIR]``.

Every row read ends in exactly one state, so that per file **rows read = accepted + rejected +
superseded**:

- **ditolak** (rejected): a cell could not be read (``format_baca``), it collides with another row
  of the same TPS × contest × time but different numbers (``versi_bentrok``: which one is right
  cannot be decided, both go to quarantine), or it fails a reject-level check of the validator.
  Rejected rows go to the quarantine (``mutu__baris_ditolak``) with every reason and the original
  values.
- **digantikan** (superseded): a later version of the same entity exists among the non-rejected
  rows. The entity and the order of versions per dataset are in :data:`SPECS`: tally reports per
  TPS × contest by ``waktu_laporan``; Sirekap records per TPS × contest by ``waktu_tarik`` (each
  pull is a snapshot: a later pull's record supersedes the earlier pull's, changed or not);
  incidents per ``id_insiden`` by ``waktu_laporan``; D.Hasil rows, readiness rows and reference
  rows by file order (path, then row: name recap files so they sort by time). An exact duplicate
  (same entity, same time, same numbers) is superseded by its first copy.
  ``internal__tps_kontestasi_laporan`` and ``sirekap__tps_kontestasi_tarikan`` keep superseded
  versions with ``digantikan_oleh`` = ``"<file>:<row>"`` of the next version; the other datasets
  keep only the version in force.
- **diterima** (accepted): the version in force; warn-level failures stay on it in ``peringatan``.

A later version supersedes an earlier one only if it is not rejected itself: a broken resubmission
never hides a good report. The validator's own ``kunci_unik`` (duplicate key) check is therefore
resolved here, by the rules above, and its failures are not counted as rejections.

The rooms, in the order a row meets them:

- :mod:`~analysis.ingest.specs` — the table of input kinds (dataset, entity, version order).
- :mod:`~analysis.ingest.batch` — every file of one kind read into one batch (Sirekap pull by pull),
  through :mod:`~analysis.ingest.cache`, the parse cache (sha256 + reader version).
- :mod:`~analysis.ingest.kinds` — what each kind needs before its fates and keeps after them.
- :mod:`~analysis.ingest.fates` — each row's fate; :mod:`~analysis.ingest.checks` — the
  validator's verdicts and ingest's own checks; :mod:`~analysis.ingest.verdicts` — each row's
  verdict kept with its file, so a re-run validates only new or changed files' rows; :mod:`~analysis.ingest.quarantine` — the
  rejected rows with their original values.
- :mod:`~analysis.ingest.accounting` — the per-file balance, the ledger, the printed table.
- :mod:`~analysis.ingest.schedule` — worker processes, prefetch, background writes, warm-up: only
  speed. Rule code never imports it; :mod:`~analysis.ingest.stage` (the run, CLI, benchmark)
  wires the two.
"""

from __future__ import annotations

from analysis.ingest.accounting import ACCOUNTING_SCHEMA, FILE_DUPLICATE, Accounting
from analysis.ingest.cache import CACHE_DIR
from analysis.ingest.checks import SUMMARY_SCHEMA
from analysis.ingest.fates import DIGANTIKAN, DITERIMA, DITOLAK
from analysis.ingest.specs import EXTRAS, ORDER, PROCESS_ORDER, SPECS, Spec
from analysis.ingest.stage import (
    add_arguments,
    bench_ingest,
    default_raw,
    discover,
    run,
    run_ingest,
)

__all__ = [
    "ACCOUNTING_SCHEMA",
    "CACHE_DIR",
    "DIGANTIKAN",
    "DITERIMA",
    "DITOLAK",
    "EXTRAS",
    "FILE_DUPLICATE",
    "ORDER",
    "PROCESS_ORDER",
    "SPECS",
    "SUMMARY_SCHEMA",
    "Accounting",
    "Spec",
    "add_arguments",
    "bench_ingest",
    "default_raw",
    "discover",
    "run",
    "run_ingest",
]
