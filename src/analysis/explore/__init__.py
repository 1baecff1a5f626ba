"""What the analysts' notebooks call to see the data in JupyterLab: frames to dig into, tables an
analyst reads, charts drawn offline.

- :mod:`.frames`: the unit's count, comparison with KPU, discrepancies and the night's
  reconciliation history, read with the library calls the packs make;
- :mod:`.photos`: :func:`photos`, the C.Hasil photo links of KPU's records in force, read from
  the raw records (never shown in packs);
- :mod:`.tables`: :func:`table` (Indonesian labels and numbers, times in the desk's zone) and
  :func:`local_times` (the same times, still times, for digging);
- :mod:`.charts`: :func:`enable_charts` (every Altair chart drawn as SVG in the kernel, no CDN) and
  charts over the frames.

The notebooks import these and call them; they define nothing themselves.
"""

from __future__ import annotations

from analysis.explore.charts import (
    coverage_chart,
    discrepancy_chart,
    enable_charts,
    night_chart,
    votes_chart,
)
from analysis.explore.frames import (
    count_per_unit,
    default_contest,
    discrepancies,
    kept_runs,
    over_the_night,
    votes,
)
from analysis.explore.photos import photos
from analysis.explore.tables import label, local_times, readable, table

__all__ = [
    "count_per_unit",
    "coverage_chart",
    "default_contest",
    "discrepancies",
    "discrepancy_chart",
    "enable_charts",
    "kept_runs",
    "label",
    "local_times",
    "night_chart",
    "over_the_night",
    "photos",
    "readable",
    "table",
    "votes",
    "votes_chart",
]
