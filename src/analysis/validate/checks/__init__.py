"""The check tables, one module per dataset, and the registry the engine reads them from.

Where a new check goes: a check of one dataset is a row in that dataset's module; a C.Hasil check
that holds for the internal count and KPU's records alike is a row in :mod:`.chasil` (with a
:class:`~analysis.validate.model.Per` severity when the two differ); a check every dataset has is
a builder in :mod:`.common`. ``docs/checks.md`` and the suites under ``expectations/`` are
regenerated from these tables.
"""

from __future__ import annotations

from analysis.settings import Settings, default_settings
from analysis.validate.checks import (
    incidents,
    official,
    official_region,
    readiness,
    ref_tps,
    tally,
)
from analysis.validate.model import Check, Table, ValidationInputError

TABLES: dict[str, Table] = {
    t.dataset: t
    for t in (
        tally.TABLE,
        official.TABLE,
        official_region.TABLE,
        incidents.TABLE,
        readiness.TABLE,
        ref_tps.TABLE,
    )
}
DATASETS: tuple[str, ...] = tuple(TABLES)


def table(dataset: str) -> Table:
    """The dataset's table, or a clear error naming the known ones."""
    if dataset not in TABLES:
        raise ValidationInputError(
            f"no suite for dataset {dataset!r}; known: {', '.join(DATASETS)}"
        )
    return TABLES[dataset]


def checks_for(dataset: str, settings: Settings | None = None) -> list[Check]:
    """The checks of one dataset, in suite order, each resolved for that dataset."""
    rows = table(dataset).checks(settings or default_settings())
    return [c.at(dataset) for c in rows]
