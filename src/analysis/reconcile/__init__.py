"""Reconcile the desk's internal count against KPU's official results, at every level of the tree.

Everything is computed "as of" a time T (``docs/domain.md`` §6–§7). The flow, one module each:

- :mod:`.inputs`: the processed datasets read (every accepted version of each source);
- :mod:`.versions`: the report and the KPU record in force at T, and KPU's revisions since the
  previous report;
- :mod:`.tps`: per TPS × contest × paslon, the two counts side by side, and each TPS × contest's
  status (``cocok``, ``selisih``, ``hanya_internal``, ``hanya_kpu``, ``kpu_direvisi``,
  ``belum_masuk``);
- :mod:`.wilayah`: sums up the region tree from desa to ``"00"``, coverage, D.Hasil alongside;
- :mod:`.kontestasi`: leaders and margins per contest;
- :mod:`.projection` (with :mod:`.estimator` and the PVT sample of :mod:`.sample`): the
  projection of each contest's final shares with its margin of error;
- :mod:`.decided`: could the order still change — by the open discrepancies, by the TPS still
  uncounted — answered apart;
- :mod:`.perkiraan`: the old naive estimate, kept as the simulation's baseline
  (:mod:`.simulation`);
- :mod:`.perubahan`: what changed since the previous report;
- :mod:`.result`: the steps in order (:func:`reconcile`, pure) and :class:`ReconResult`;
- :mod:`.history`: runs kept under ``processed/history/<as-of>/``;
- :mod:`.stage`: :func:`run_reconcile` on a processed folder, the command line, the benchmark;
- :mod:`.sample_cli` (``python -m analysis sampel``) and :mod:`.simulation`
  (``python -m analysis simulasi``: coverage of the intervals over simulated nights);
- :mod:`.keys` (integer keys that keep a national run fast), :mod:`.exprs`, :mod:`.synthetic`.
"""

from __future__ import annotations

from analysis.reconcile.decided import decidedness
from analysis.reconcile.history import (
    has_history,
    history_dir,
    history_runs,
    kept_key,
    load_history,
    previous_run,
    write_result,
)
from analysis.reconcile.inputs import ReconcileError, ReconInputs, load_inputs, make_inputs
from analysis.reconcile.kontestasi import outcome
from analysis.reconcile.perkiraan import estimate
from analysis.reconcile.perubahan import changes_since
from analysis.reconcile.projection import project
from analysis.reconcile.result import OUTPUTS, ReconResult, reconcile
from analysis.reconcile.stage import (
    add_arguments,
    bench_reconcile,
    replay_key,
    run,
    run_reconcile,
    summary,
)
from analysis.reconcile.tps import reconcile_tps
from analysis.reconcile.wilayah import roll_up_paslon, roll_up_status

__all__ = [
    "OUTPUTS",
    "ReconInputs",
    "ReconResult",
    "ReconcileError",
    "add_arguments",
    "bench_reconcile",
    "changes_since",
    "decidedness",
    "estimate",
    "has_history",
    "history_dir",
    "kept_key",
    "history_runs",
    "load_history",
    "load_inputs",
    "make_inputs",
    "outcome",
    "previous_run",
    "project",
    "reconcile",
    "reconcile_tps",
    "replay_key",
    "roll_up_paslon",
    "roll_up_status",
    "run",
    "run_reconcile",
    "summary",
    "write_result",
]
