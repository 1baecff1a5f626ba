"""How each fault of KPU's Sirekap records is injected.

Each function is the ``apply`` of one row of :data:`analysis.demo.faults.FAULTS`: it takes the
TPS × contest rows drawn for that fault and records in :class:`RecordChanges` what KPU publishes
instead of the truth. :mod:`analysis.demo.sirekap` builds the records from it and writes the pulls,
then knows in which files and pulls every faulty record is visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from analysis.demo.timeline import wib
from analysis.demo.world import SLOT_NOMOR, VOTE_COLS

if TYPE_CHECKING:
    from analysis.demo.faults import Fault

PSU_NOTE = "Pemungutan Suara Ulang"
"""What Sirekap's ``psu`` field says at a TPS where a re-vote was ordered."""


@dataclass
class RecordFinding:
    """A fault in the record of one TPS × contest (``tc``), before its files are known."""

    kind: str
    effect: str
    tc: int
    field: str | None
    true_value: Any
    injected_value: Any
    extra: dict[str, Any]
    revised_at: int | None = None  # a wrong record replaced at this time by the true one


@dataclass
class RecordChanges:
    """What the KPU faults do to the records KPU publishes."""

    rows: dict[int, dict[str, Any]]  # the drawn TPS × contest rows (true values), by _tc
    slot_pid: dict[str, tuple[str | None, ...]]  # contest -> paslon_id per vote slot
    pulls: list[int]
    reserve_share: float
    rng: np.random.Generator
    withheld: list[int] = field(default_factory=list)
    edits: dict[int, dict[str, Any]] = field(default_factory=dict)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    findings: list[RecordFinding] = field(default_factory=list)

    def found(
        self, fault: Fault, tc: Any, fld: str | None, true: Any, injected: Any, **extra: Any
    ) -> None:
        """Record a fault for the manifest; the table's note comes after ``extra``."""
        note = {} if fault.note is None else {"note": fault.note}
        self.findings.append(
            RecordFinding(fault.kind, fault.effect, int(tc), fld, true, injected, extra | note)
        )

    def chart_key(self, row: dict[str, Any], col: str) -> str:
        """The JSON path of a vote column in a record: ``tungsura.chart.<paslon_id>``."""
        return f"tungsura.chart.{self.slot_pid[row['kode_kontestasi']][VOTE_COLS.index(col)]}"


def withhold(fault: Fault, rows: np.ndarray, ch: RecordChanges) -> None:
    """Never published: every contest of the drawn TPS."""
    ch.withheld = [int(i) for i in rows]
    for i in rows:
        ch.found(fault, i, None, None, None)


def misread_hundreds(fault: Fault, rows: np.ndarray, ch: RecordChanges) -> None:
    """A two-digit vote read with a hundreds digit, so it exceeds what the TPS's ballots allow.

    The digit (5, 8 or 9) is drawn among those that put the value above DPT × (1 + reserve share),
    unrounded: the test the generator has always made, kept so the drop's bytes do not change.
    (:func:`analysis.domain.rules.with_reserve` rounds the reserve up, so a value of exactly
    DPT + ⌈reserve⌉ passes this test but not the rule; scope 16.71, seed 67 draws one.)
    """
    for i in rows:
        r = ch.rows[int(i)]
        slots = [s for s, c in enumerate(VOTE_COLS) if r[c] is not None and 10 <= r[c] <= 99]
        s = slots[int(ch.rng.integers(len(slots)))]
        v = r[VOTE_COLS[s]]
        limit = r["pemilih_dpt"] * (1 + ch.reserve_share)
        digits = [d for d in (5, 8, 9) if d * 100 + v > limit] or [9]
        bad = int(digits[int(ch.rng.integers(len(digits)))]) * 100 + v
        ch.edits[int(i)] = {VOTE_COLS[s]: bad}
        ch.found(fault, i, ch.chart_key(r, VOTE_COLS[s]), v, bad, nomor_urut=SLOT_NOMOR[s])


def break_sum(fault: Fault, rows: np.ndarray, ch: RecordChanges) -> None:
    """suara_sah raised by 3–29: it no longer equals Σ chart nor suara_total − tidak_sah."""
    for i in rows:
        r = ch.rows[int(i)]
        d = int(ch.rng.integers(3, 30))
        ch.edits[int(i)] = {"suara_sah": r["suara_sah"] + d}
        ch.found(fault, i, "tungsura.administrasi.suara_sah", r["suara_sah"], r["suara_sah"] + d)


def revise(fault: Fault, rows: np.ndarray, ch: RecordChanges) -> None:
    """An early record with the two leading paslon swapped, replaced by the true one later.

    Needs two pulls at least (the replacement falls between the first and the last).
    """
    if len(ch.pulls) < 2:
        return
    for i in rows:
        r = ch.rows[int(i)]
        a, b = sorted((c for c in VOTE_COLS if r[c] is not None), key=lambda c: -r[c])[:2]
        if r[a] == r[b]:
            continue
        t_rev = int(ch.rng.integers(ch.pulls[0] + 1800, ch.pulls[-1] - 600))
        ch.revisions.append({"_tc": int(i), "_rev_t": t_rev, "_a": a, "_b": b})
        when = wib(t_rev).strftime("%Y-%m-%d %H:%M:%S")
        for x, y in ((a, b), (b, a)):
            ch.found(fault, i, ch.chart_key(r, x), r[x], r[y], revised_ts_wib=when)
            ch.findings[-1].revised_at = t_rev


def mark_psu(fault: Fault, rows: np.ndarray, ch: RecordChanges) -> None:
    """A re-vote (PSU) ordered at the TPS."""
    for i in rows:
        ch.edits[int(i)] = {"_psu": True}
        ch.found(fault, i, "psu", None, PSU_NOTE)


def null_chart(fault: Fault, rows: np.ndarray, ch: RecordChanges) -> None:
    """Half-digitised: the votes (chart) null."""
    for i in rows:
        ch.edits[int(i)] = {"_chart_null": True}
        ch.found(fault, i, "tungsura.chart", "(votes)", None)


def null_administrasi(fault: Fault, rows: np.ndarray, ch: RecordChanges) -> None:
    """Half-digitised: the administrative counts null."""
    for i in rows:
        ch.edits[int(i)] = {"_adm_null": True}
        ch.found(fault, i, "tungsura.administrasi", "(counts)", None)
