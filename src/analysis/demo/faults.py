"""The injected faults, as one table: what each does, to which source, how often, and how.

Each row of :data:`FAULTS` is one fault kind. Rows are drawn in table order from the world's
generator (:func:`plan_faults`), each on TPS × contest rows no earlier row took, so the sets are
disjoint; each source then applies its rows in table order with its own generator. A new fault is a
new row at the end of the table (earlier draws stay as they were) and a small ``apply`` function in
:mod:`.faults_internal` or :mod:`.faults_kpu`.

Not in the table: the three unreadable tally files (:mod:`.internal`) and the messy labels of
incident reports (:mod:`.incidents`), which are not drawn per TPS × contest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from analysis.demo import faults_internal as fi
from analysis.demo import faults_kpu as fk
from analysis.demo.world import VOTE_COLS, World

EFFECTS: tuple[str, ...] = (
    "values",  # a report's numbers are wrong
    "row",  # a report that should not exist
    "cell",  # a cell's text cannot be read as its type
    "resubmitted",  # a wrong report, corrected by a later one
    "copy",  # a report sent twice
    "record",  # a published record is wrong or incomplete
    "revision",  # a wrong record, replaced in a later pull
    "withheld",  # never published
)
"""What a fault does to its source; ``manifest.json`` lists a source's faults grouped in this order."""

ROW_SETS: dict[str, str] = {
    "reported": "in the internal count by as_of",
    "published": "published by KPU by the last pull",
    "published_by_first_pull": "published by KPU by the first pull",
    "correctable": "in the internal count 5 hours before as_of (time for a correction)",
    "two_paslon": "the contest has two paslon or more",
    "distinct_top_two": "the two leading paslon have different votes",
    "two_digit_vote": "a paslon has 10–99 votes",
}
"""The sets of TPS × contest rows a fault can be drawn from (a fault takes their intersection)."""


@dataclass(frozen=True)
class Fault:
    """One kind of injected fault."""

    kind: str  # as manifest.json names it
    source: str  # "internal" (the desk's count) or "kpu" (Sirekap records); manifest "side"
    rate: float  # share of all TPS × contest rows that get it
    at_least: int  # drawn at least this often in any scope (when enough rows are eligible)
    eligible: tuple[str, ...]  # ROW_SETS a drawn row belongs to
    effect: str  # one of EFFECTS
    note: str | None  # written as the fault's note in manifest.json (None: no note)
    apply: Callable[..., None]  # apply(fault, rows, changes): inject it into the drawn rows
    unit: str = "row"  # "row": TPS × contest rows; "tps": whole TPS (every contest)

    def count(self, n_rows: int) -> int:
        return max(self.at_least, round(self.rate * n_rows))


_ON_BOTH = ("reported", "published")  # KPU faults sit where the internal count is right

FAULTS: tuple[Fault, ...] = (
    # --- KPU (Sirekap) ------------------------------------------------------------------------
    Fault(
        kind="kpu_missing",
        source="kpu",
        rate=1 / 4000,
        at_least=1,
        eligible=("published_by_first_pull",),
        effect="withheld",
        note="never published by KPU",
        apply=fk.withhold,
        unit="tps",
    ),
    Fault(
        kind="kpu_ocr_hundreds",
        source="kpu",
        rate=1 / 2500,
        at_least=2,
        eligible=(*_ON_BOTH, "two_digit_vote"),
        effect="record",
        note="crossed-out hundreds box read as a digit: value far above the TPS's DPT",
        apply=fk.misread_hundreds,
    ),
    Fault(
        kind="kpu_sum_mismatch",
        source="kpu",
        rate=1 / 3000,
        at_least=1,
        eligible=_ON_BOTH,
        effect="record",
        note="suara_sah ≠ Σ chart and suara_sah + tidak_sah ≠ suara_total",
        apply=fk.break_sum,
    ),
    Fault(
        kind="kpu_revision",
        source="kpu",
        rate=1 / 4000,
        at_least=1,
        eligible=(*_ON_BOTH, "published_by_first_pull", "two_paslon"),
        effect="revision",
        note="early record had two paslon swapped; a later pull carries the corrected record",
        apply=fk.revise,
    ),
    Fault(
        kind="kpu_psu",
        source="kpu",
        rate=1 / 20000,
        at_least=1,
        eligible=_ON_BOTH,
        effect="record",
        note="PSU ordered at this TPS",
        apply=fk.mark_psu,
    ),
    Fault(
        kind="kpu_chart_null",
        source="kpu",
        rate=1 / 3000,
        at_least=1,
        eligible=_ON_BOTH,
        effect="record",
        note="half-digitised: chart null, status_suara false",
        apply=fk.null_chart,
    ),
    Fault(
        kind="kpu_administrasi_null",
        source="kpu",
        rate=1 / 3000,
        at_least=1,
        eligible=_ON_BOTH,
        effect="record",
        note="half-digitised: administrasi null, status_adm false",
        apply=fk.null_administrasi,
    ),
    # --- internal count (hitung_internal) -----------------------------------------------------
    Fault(
        kind="typing_discrepancy",
        source="internal",
        rate=1 / 3000,
        at_least=2,
        eligible=(*_ON_BOTH, "two_paslon", "distinct_top_two"),  # KPU has the clean record
        effect="values",
        note="votes of two paslon swapped",
        apply=fi.swap_top_two,
    ),
    Fault(
        kind="sum_mismatch",
        source="internal",
        rate=1 / 3000,
        at_least=1,
        eligible=("reported",),
        effect="values",
        note="sum of paslon votes no longer equals suara_sah",
        apply=fi.add_to_first_paslon,
    ),
    Fault(
        kind="negative_value",
        source="internal",
        rate=1 / 8000,
        at_least=1,
        eligible=("reported",),
        effect="cell",
        note=None,
        apply=fi.negative_vote,
    ),
    Fault(
        kind="non_numeric_value",
        source="internal",
        rate=1 / 8000,
        at_least=1,
        eligible=("reported",),
        effect="cell",
        note=None,
        apply=fi.letter_for_digit,
    ),
    Fault(
        kind="out_of_window_time",
        source="internal",
        rate=1 / 8000,
        at_least=1,
        eligible=("reported",),
        effect="cell",
        note=None,
        apply=fi.time_out_of_window,
    ),
    Fault(
        kind="over_capacity",
        source="internal",
        rate=1 / 10000,
        at_least=1,
        eligible=("reported",),
        effect="values",
        note="consistent sums but far more voters than a TPS can hold (max 600 + reserve)",
        apply=fi.over_capacity,
    ),
    Fault(
        kind="resubmission",
        source="internal",
        rate=1 / 1500,
        at_least=2,
        eligible=("correctable",),
        effect="resubmitted",
        note="first report consistent but wrong; corrected in a later report",
        apply=fi.resubmit,
    ),
    Fault(
        kind="duplicate_same_file",
        source="internal",
        rate=1 / 5000,
        at_least=1,
        eligible=("reported",),
        effect="copy",
        note="exact copy of an earlier report",
        apply=fi.copy_in_same_file,
    ),
    Fault(
        kind="duplicate_next_file",
        source="internal",
        rate=1 / 5000,
        at_least=1,
        eligible=("reported",),
        effect="copy",
        note="exact copy of an earlier report",
        apply=fi.copy_in_next_file,
    ),
    Fault(
        kind="unknown_tps",
        source="internal",
        rate=1 / 8000,
        at_least=2,
        eligible=("reported",),
        effect="row",
        note="kode_tps not in referensi/tps.csv (copied from {kode_tps})",
        apply=fi.unknown_tps,
    ),
    Fault(
        kind="contest_not_held",
        source="internal",
        rate=1 / 10000,
        at_least=1,
        eligible=("reported",),
        effect="row",
        note="no presidential contest in Pilkada 2024",
        apply=fi.contest_not_held,
    ),
)

BY_KIND: dict[str, Fault] = {f.kind: f for f in FAULTS}


def of_source(source: str) -> list[Fault]:
    """The rows of one source, in table order."""
    return [f for f in FAULTS if f.source == source]


def listing_order(effect: str) -> int:
    """Sort key of a finding in manifest.json (stable within an effect)."""
    return EFFECTS.index(effect)


# --- drawing the rows ----------------------------------------------------------------------------


def plan_faults(
    w: World, rng: np.random.Generator, as_of: int, pulls: list[int]
) -> dict[str, np.ndarray]:
    """The TPS × contest rows (``_tc``) each fault is injected into; the sets are disjoint.

    Rows of the anomalous TPS are never drawn: the anomalies stay clean for the screens.
    """
    sets = row_sets(w, as_of, pulls)
    used = w.tc["kode_tps"].is_in([a["kode_tps"] for a in w.anomaly]).to_numpy()
    tps = w.tc["_tps"].to_numpy()
    plan: dict[str, np.ndarray] = {}
    for f in FAULTS:
        free = np.logical_and.reduce([sets[s] for s in f.eligible]) & ~used
        k = f.count(w.tc.height)
        chosen = _draw_tps(free, tps, k, rng) if f.unit == "tps" else _draw_rows(free, k, rng)
        used[chosen] = True
        plan[f.kind] = chosen
    return plan


def _draw_rows(free: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    cand = np.flatnonzero(free)
    k = min(k, cand.size)
    return np.sort(rng.choice(cand, size=k, replace=False)) if k else np.array([], int)


def _draw_tps(free: np.ndarray, tps: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Every row of ``k`` TPS whose rows are all free."""
    cand = np.setdiff1d(np.unique(tps), np.unique(tps[~free]))
    k = min(k, cand.size)
    chosen = np.sort(rng.choice(cand, size=k, replace=False)) if k else np.array([], int)
    return np.flatnonzero(np.isin(tps, chosen))


def row_sets(w: World, as_of: int, pulls: list[int]) -> dict[str, np.ndarray]:
    """Each of :data:`ROW_SETS` as a boolean mask over ``w.tc``."""
    tc = w.tc
    t_int = tc["_t_int"].to_numpy()
    t_kpu = tc["_t_kpu"].to_numpy()
    votes = tc.select(VOTE_COLS).to_numpy()  # float, NaN where the contest lacks the slot
    n_slots = tc.select(pl.sum_horizontal(pl.col(c).is_not_null() for c in VOTE_COLS))
    ranked = np.sort(np.nan_to_num(votes.astype(float), nan=-1), axis=1)
    sets: dict[str, Any] = {
        "reported": t_int <= as_of,
        "published": t_kpu <= (max(pulls) if pulls else as_of),
        "published_by_first_pull": t_kpu <= (pulls[0] if pulls else as_of),
        "correctable": t_int <= as_of - 5 * 3600,
        "two_paslon": (n_slots.to_series() >= 2).to_numpy(),
        "distinct_top_two": (ranked[:, -1] != ranked[:, -2]) & (ranked[:, -2] >= 0),
        "two_digit_vote": ((votes >= 10) & (votes <= 99)).any(axis=1),
    }
    assert set(sets) == set(ROW_SETS)
    return sets
