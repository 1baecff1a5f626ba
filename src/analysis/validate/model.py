"""What a check is: one row of a dataset's check table, and the words the engine needs around it.

A check table (``checks/<dataset>.py``) is a list of :class:`Check` rows. A row says what is
checked and why, in words for people (``alasan``, ``aturan``, ``mengapa``, ``sumber`` in Bahasa
Indonesia, ``why`` in English for developers), and how it is computed: a *check column*
(``derive``, a polars expression, or an existing ``column``) and the Great Expectations
expectation run on it (``expectation`` + ``kwargs``).

A row shared by several datasets (the C.Hasil identities hold for the desk's internal count and
for KPU's records alike) gives the values that differ by dataset as :class:`Per`; the row is
resolved for one dataset with :meth:`Check.at`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

import polars as pl

from analysis.settings import Settings

Severity = Literal["reject", "warn"]
Expectation = Literal["between", "in_set", "regex"]

#: How a reader names a severity (summary, packs, docs/checks.md).
TINGKAT: dict[str, str] = {"reject": "tolak", "warn": "peringatan"}
#: Great Expectations' own severity of an expectation.
GX_SEVERITY: dict[str, str] = {"reject": "critical", "warn": "warning"}

T = TypeVar("T")
U = TypeVar("U")


class ValidationInputError(ValueError):
    """The frame handed to the validator breaks the contract (not the data's fault)."""


@dataclass(frozen=True)
class Per(Generic[T]):
    """A value of a shared check that differs by dataset: ``Per(**{dataset_a: a, dataset_b: b})``
    (:func:`analysis.validate.checks.chasil.per` for the internal count and KPU's records)."""

    values: Mapping[str, T]

    def __init__(self, **values: T) -> None:
        object.__setattr__(self, "values", dict(values))

    def of(self, dataset: str) -> T:
        """The value for ``dataset`` (a shared row must name every dataset it is used for)."""
        if dataset not in self.values:
            raise KeyError(f"check value not given for dataset {dataset!r}")
        return self.values[dataset]

    def map(self, fn: Callable[[T], U]) -> Per[U]:
        """The same datasets, each value passed through ``fn``."""
        return Per(**{d: fn(v) for d, v in self.values.items()})


def over(value: T | Per[T], fn: Callable[[T], U]) -> U | Per[U]:
    """``fn`` applied to a value, or to each dataset's value of a :class:`Per`."""
    return value.map(fn) if isinstance(value, Per) else fn(value)


@dataclass(frozen=True)
class Check:
    """One check = one row of a check table = one expectation in its dataset's suite.

    Attributes:
        id: the check's name, the prefix of every message it writes (``identitas_1_jumlah_suara``).
        severity: ``reject`` (the row goes to quarantine) or ``warn`` (kept, with a ``peringatan``).
        alasan: one line a reader sees in the check summary and the packs.
        aturan: the rule in words, thresholds included ("Σ suara paslon = suara_sah, toleransi 0").
        why: for developers: why the threshold and severity are what they are.
        mengapa: the same for desk analysts (``docs/checks.md``).
        sumber: where the rule and its threshold come from (section of docs/domain.md, settings key).
        expectation: the GX expectation run on the check column, with ``kwargs``.
        message: the reason written for a failing row (it may use every column of the row).
        derive: computes the check column ``_c_<id>`` (null where the check does not apply);
            None: the expectation runs on ``column`` directly.
        kolom: the data columns the check reads (named in the suite's meta).
    """

    id: str
    severity: Severity | Per[Severity]
    alasan: str | Per[str]
    aturan: str | Per[str]
    why: str | Per[str]
    mengapa: str | Per[str]
    sumber: str | Per[str]
    expectation: Expectation
    kwargs: dict[str, Any] | Per[dict[str, Any]]
    message: pl.Expr | Per[pl.Expr]
    derive: pl.Expr | Per[pl.Expr] | None = None
    column: str | None = None
    kolom: tuple[str, ...] | Per[tuple[str, ...]] = ()

    def at(self, dataset: str) -> Check:
        """This row for one dataset: every :class:`Per` value replaced by that dataset's."""
        per = {
            f.name: v.of(dataset)
            for f in dataclasses.fields(self)
            if isinstance(v := getattr(self, f.name), Per)
        }
        return dataclasses.replace(self, **per) if per else self

    @property
    def gx_column(self) -> str:
        """The column the expectation reads: the check column, or ``column`` itself."""
        return self.column if self.derive is None and self.column else f"_c_{self.id}"

    @property
    def tingkat(self) -> str:
        return TINGKAT[str(self.severity)]


@dataclass(frozen=True)
class Table:
    """One dataset's check table and what the engine needs around it.

    Attributes:
        dataset: the dataset's name (``schemas.py``).
        checks: the rows in suite order (shared rows are resolved for ``dataset`` by the registry).
        kabkota: the kab/kota a row is counted under in the summary (null when unknown).
        prepare: columns the checks read besides the canonical ones, added after conforming;
            it receives the batch and the TPS list (or None).
        added: columns the caller must add to the canonical frame, and what they are.
        row_verdicts: every check judges a row by that row's own values, the settings and the
            code alone (no window over other rows), except ``kunci_unik``, which ingest resolves
            by supersession over the whole entity: a row's verdict can then be kept with its file
            and reused while the file, the settings and the code are unchanged
            (:mod:`analysis.ingest.verdicts`).
    """

    dataset: str
    checks: Callable[[Settings], list[Check]]
    kabkota: Callable[[], pl.Expr]
    prepare: Callable[[pl.DataFrame, pl.DataFrame | None], pl.DataFrame] | None = None
    added: tuple[tuple[str, ...], str] = ((), "")
    row_verdicts: bool = False
