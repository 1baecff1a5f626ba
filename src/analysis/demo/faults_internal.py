"""How each fault of the internal count is injected into the field staff's reports.

Each function is the ``apply`` of one row of :data:`analysis.demo.faults.FAULTS`: it takes the
reports drawn for that fault and records in :class:`TallyChanges` what changes (a report's numbers,
an added report, a cell's text) and what the manifest will say (a :class:`Finding`). The files are
written afterwards by :mod:`analysis.demo.internal`, which then knows where every report stands.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from analysis.demo.timeline import local_text
from analysis.demo.world import VOTE_COLS
from analysis.domain import regions

if TYPE_CHECKING:
    from analysis.demo.faults import Fault

DIY_NOTE = "DIY holds no gubernur election (docs/domain.md §2)"
"""Note of the one gubernur report from a province without a gubernur contest (not drawn: it is
added whenever the scope holds a reported TPS there)."""


@dataclass
class Finding:
    """A fault in one report (``idx``), before its place in the files is known."""

    kind: str
    effect: str
    idx: int
    field: str | None
    true_value: Any
    injected_value: Any
    extra: dict[str, Any]
    refers_to: tuple[str, int] | None = None  # (key, idx): the other report's place goes under key


@dataclass
class TallyChanges:
    """What the internal faults do to the true reports (one row per TPS × contest, ``_idx``)."""

    reports: pl.DataFrame
    rng: np.random.Generator
    as_of: int
    next_idx: int
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    edits: dict[int, dict[str, Any]] = field(default_factory=dict)
    extra: list[dict[str, Any]] = field(default_factory=list)
    overrides: dict[tuple[int, str], str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def row(self, i: Any) -> dict[str, Any]:
        """The true report ``i`` (one of the drawn ones)."""
        return self.rows[int(i)]

    def add_report(self, row: dict[str, Any]) -> int:
        """Add a report that is not in the truth (a copy, a correction, a bad code); its ``_idx``."""
        idx = self.next_idx
        self.extra.append({**row, "_idx": idx})
        self.next_idx += 1
        return idx

    def found(
        self,
        fault: Fault,
        idx: Any,
        fld: str | None,
        true: Any,
        injected: Any,
        note: str | None = None,
        refers_to: tuple[str, int] | None = None,
    ) -> None:
        """Record a fault for the manifest; ``note`` replaces the table's note when given."""
        note = note or fault.note
        extra = {} if note is None else {"note": note}
        self.findings.append(
            Finding(fault.kind, fault.effect, int(idx), fld, true, injected, extra, refers_to)
        )


def _slots(row: dict[str, Any]) -> list[str]:
    """The vote columns of the paslon the report's contest has."""
    return [c for c in VOTE_COLS if row[c] is not None]


def _top_two(row: dict[str, Any]) -> tuple[str, str]:
    """The two paslon with the most votes (ties in slot order)."""
    a, b = sorted(_slots(row), key=lambda c: -row[c])[:2]
    return a, b


# --- a report's numbers change -----------------------------------------------------------------


def swap_top_two(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """The votes of the two leading paslon typed into each other's boxes."""
    for i in rows:
        row = ch.row(i)
        a, b = _top_two(row)
        ch.edits[int(i)] = {a: row[b], b: row[a]}
        ch.found(fault, i, a, row[a], row[b])
        ch.found(fault, i, b, row[b], row[a])


def add_to_first_paslon(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """5–39 votes too many for the first paslon: Σ paslon no longer equals suara_sah."""
    for i in rows:
        row = ch.row(i)
        c = _slots(row)[0]
        d = int(ch.rng.integers(5, 40))
        ch.edits[int(i)] = {c: row[c] + d}
        ch.found(fault, i, c, row[c], row[c] + d)


_OVER_CAPACITY_COLS = (
    "pengguna_dptb",
    "pengguna_total",
    "surat_suara_diterima",
    "surat_suara_digunakan",
    "suara_sah",
    "suara_total",
)


def over_capacity(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """1,000–1,249 voters in all, every sum still consistent (DPTb and the first paslon grow)."""
    for i in rows:
        row = ch.row(i)
        x = 1000 - row["suara_total"] + int(ch.rng.integers(0, 250))
        c = _slots(row)[0]
        e = {k: row[k] + x for k in (*_OVER_CAPACITY_COLS, c)}
        e["pengguna_total_l"] = row["pengguna_total_l"] + x // 2
        e["pengguna_total_p"] = row["pengguna_total_p"] + x - x // 2
        ch.edits[int(i)] = e
        for k in ("suara_total", "pengguna_total"):
            ch.found(fault, i, k, row[k], e[k])


def resubmit(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """A consistent but wrong first report, then the true one 1–4 hours later.

    Votes of the leading paslon typed as invalid votes: the first report passes the arithmetic
    checks and is accepted, then superseded by the correction.
    """
    for i in rows:
        row = ch.row(i)
        c = max(_slots(row), key=lambda k: row[k])
        d = int(ch.rng.integers(5, 30))
        e = {
            c: row[c] - d,
            "suara_sah": row["suara_sah"] - d,
            "suara_tidak_sah": row["suara_tidak_sah"] + d,
        }
        ch.edits[int(i)] = e
        t_new = min(ch.as_of, row["_t"] + int(ch.rng.integers(60, 240)) * 60)
        new = ch.add_report({**row, "_t": t_new})
        for k, v in e.items():
            ch.found(fault, i, k, row[k], v, refers_to=("corrected_by", new))


# --- a report that should not be there ---------------------------------------------------------


def copy_in_same_file(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """The same report sent twice in one batch."""
    _copy(fault, rows, ch, batches_later=0)


def copy_in_next_file(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """The same report sent again with the next batch."""
    _copy(fault, rows, ch, batches_later=1)


def _copy(fault: Fault, rows: np.ndarray, ch: TallyChanges, batches_later: int) -> None:
    # the finding is made by copies_found once the copy's place in the files is known
    for i in rows:
        copy = {"_dup_of": int(i), "_dup": fault.kind, "_later": batches_later}
        ch.add_report({**ch.row(i), **copy})


def copies_found(frame: pl.DataFrame, ch: TallyChanges, faults: dict[str, Fault]) -> None:
    """Findings of the copied reports, in the order they stand in the files."""
    copies = frame.filter(pl.col("_dup").is_not_null()).select("_idx", "_dup_of", "_dup")
    for idx, original, kind in copies.rows():
        ch.found(faults[kind], idx, None, None, None, refers_to=("duplicate_of", original))


def unknown_tps(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """A copy under a TPS code the reference lacks: TPS number 9xx, or a desa digit dropped."""
    for j, i in enumerate(rows):
        row = ch.row(i)
        kode = row["kode_tps"]
        desa = regions.undotted(regions.tps_desa(kode))
        if j % 2 == 0:
            new = desa + f"9{int(ch.rng.integers(10, 99))}"
        else:
            new = desa[:-1] + kode[len(desa) :]
        idx = ch.add_report({**row, "kode_tps": new})
        ch.found(fault, idx, "kode_tps", None, new, note=(fault.note or "").format(kode_tps=kode))


def contest_not_held(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """A copy filed under the presidential race; plus one gubernur report from DIY if in scope."""
    ppwp = regions.JENIS_PRESIDEN
    for i in rows:
        row = ch.row(i)
        idx = ch.add_report({**row, "jenis": ppwp, "_jenis_code": ppwp, "kode_kontestasi": ppwp})
        ch.found(fault, idx, "jenis_pemilihan", row["_jenis_code"], ppwp)
    row = _first_report_without_gubernur(ch.reports)
    if row is not None:
        gub = regions.JENIS_GUBERNUR
        contest = regions.contest_code(gub, regions.ancestor_at(row["kode_kab"], 1) or "")
        idx = ch.add_report({**row, "jenis": gub, "_jenis_code": gub, "kode_kontestasi": contest})
        ch.found(fault, idx, "jenis_pemilihan", None, gub, note=DIY_NOTE)


def _first_report_without_gubernur(reports: pl.DataFrame) -> dict[str, Any] | None:
    """The first report from a province that holds no gubernur contest, if any."""
    prov = regions.ancestor_expr("kode_kab", 1)
    provs = reports.select(prov.unique()).to_series().to_list()
    none = [p for p in provs if not regions.holds_contest(regions.JENIS_GUBERNUR, p)]
    hits = reports.filter(prov.is_in(none))
    return hits.row(0, named=True) if hits.height else None


# --- a cell's text -----------------------------------------------------------------------------


def negative_vote(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """The first paslon's votes written with a minus sign."""
    for i in rows:
        row = ch.row(i)
        c = _slots(row)[0]
        v = row[c] if row[c] else 7
        ch.overrides[(int(i), c)] = f"-{v}"
        ch.found(fault, i, c, row[c], f"-{v}")


def letter_for_digit(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """suara_tidak_sah typed with a letter: l for 1, O for 0, or a trailing a."""
    c = "suara_tidak_sah"
    for i in rows:
        row = ch.row(i)
        s = str(row[c])
        if "1" in s:
            bad = s.replace("1", "l", 1)
        else:
            bad = s.replace("0", "O", 1) if "0" in s else s + "a"
        ch.overrides[(int(i), c)] = bad
        ch.found(fault, i, c, row[c], bad)


def time_out_of_window(fault: Fault, rows: np.ndarray, ch: TallyChanges) -> None:
    """waktu_laporan a month early (October) or a year early (2023)."""
    for j, i in enumerate(rows):
        row = ch.row(i)
        true = local_text(row["_t"], row["tz_off"])
        bad = true.replace("2024-11-", "2024-10-") if j % 2 == 0 else true.replace("2024-", "2023-")
        ch.overrides[(int(i), "waktu_laporan")] = bad
        ch.found(fault, i, "waktu_laporan", true, bad)
