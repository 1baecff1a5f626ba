"""The big kinds decided per kab/kota: on count night one kab/kota's new files leave the others'
decisions as they were (issue 15, "work proportional to what changed").

Every rule that gives a row of the internal count or of the Sirekap pulls its fate looks only at
rows of the same TPS × contest (duplicates, colliding versions, supersession, unchanged snapshots,
empty records) or at the row alone (the validator's checks, :attr:`Table.row_verdicts
<analysis.validate.model.Table.row_verdicts>`). So the rows split by the kab/kota of their TPS code
(a *part*; rows whose code names none form one part of their own) are decided part by part with
the same outcome as all at once, and a part whose rows are those of the last run is not decided
again: its decided rows and its check summary rows are taken from here.

A part's key is the hash of what decides its rows: the kind, :func:`~analysis.ingest.memo.base_parts`
(code, configuration, settings, library and reader versions), the reference kinds' keys, and the
part's rows in batch order, each named by its file (path and content hash, one 64-bit key) and its
place in it (position, sheet, row). A row's values follow from these; its batch order decides ties
between versions, and a row that became an unchanged copy of another pull leaves the list. A new,
changed or removed file, a new TPS list, code or settings: the parts it touches are decided again.

Rows are stored without their run's ``_rid`` but with their file key and position, and numbered
again from the batch they join (:func:`~analysis.ingest.verdicts.file_starts`). The summary rows of
a part are those whose kode_kabkota is the part's (checked before a part is stored: a part whose
summary rows do not split so is not stored, nor is any part of a batch whose deciding said a
message). Put together, rows go back into batch order and summary rows into the order a batch
decided at once gives (:func:`~analysis.ingest.checks.summary_order`) — tested in
``tests/test_partitions.py`` against a run that decides everything.

Kept in a :class:`~analysis.partstore.PartStore` (written atomically, verified on read): each run's
newly decided parts go to one Parquet file of rows and one of summary rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import fmt, incremental
from analysis.ingest.cache import CACHE_DIR
from analysis.ingest.checks import summary_order
from analysis.ingest.kinds import prepared_votes, process_kind, split_copies, with_copies
from analysis.ingest.specs import Spec
from analysis.ingest.verdicts import Bound, row_keys
from analysis.partstore import PART, PartStore
from analysis.settings import Settings
from analysis.validate.checks.common import tps_kabkota

#: The kinds decided part by part.
PARTITIONED = frozenset({"tally", "official"})
PART_DIR = "bagian"  # under the kind records' folder (analysis.ingest.memo.MEMO_DIR)
FRAMES = ("baris", "ringkasan")  # a part's decided rows, its check summary rows
#: The part of rows whose TPS code names no kab/kota.
NO_KABKOTA = ""
_PART = PART
_HASH_SEED = 20241203


def part_of() -> pl.Expr:
    """A row's part: the kab/kota of its TPS code (every version of a TPS × contest is in the
    same part, as the code is part of the entity)."""
    return tps_kabkota("kode_tps").fill_null(NO_KABKOTA).alias(_PART)


def _summary_part() -> pl.Expr:
    return pl.col("kode_kabkota").fill_null(NO_KABKOTA).alias(_PART)


def part_keys(
    rows: pl.DataFrame, part: pl.Series, starts: pl.DataFrame, base: str
) -> dict[str, str]:
    """Each part's key (``part``: each row's part, :func:`part_of`; ``base``: the digest of the
    kind, deciding parts and references)."""
    keys = row_keys(rows, starts)
    lineage = (
        rows.select("_rid", "sumber_sheet", "sumber_baris")
        .with_columns(part.alias(_PART), keys["_fkey"], keys["_pos"])
        .sort("_rid")
        .select(
            _PART,
            pl.struct("_fkey", "_pos", "sumber_sheet", "sumber_baris")
            .hash(seed=_HASH_SEED)
            .alias("_h"),
        )
    )
    per_part = lineage.group_by(_PART, maintain_order=True).agg(pl.col("_h"), pl.len().alias("_n"))
    per_part = per_part.with_columns(pl.col("_h").hash(seed=_HASH_SEED))
    return {
        p: incremental.digest([base, p, int(h), int(n)])
        for p, h, n in per_part.select(_PART, "_h", "_n").iter_rows()
    }


@dataclass(frozen=True)
class PartReuse:
    """What deciding one kind redid: kab/kota (and rows) decided, and taken from the store; the
    part of rows whose TPS code names no kab/kota is not counted as one, but said apart
    (``unplaced``: None when there is none, else whether it was decided again)."""

    dataset: str
    parts_decided: int
    rows_decided: int
    parts_kept: int
    rows_kept: int
    unplaced: bool | None = None

    def line(self) -> str:
        """The decision in words (Bahasa Indonesia)."""
        apart = (
            ""
            if self.unplaced is None
            else "; baris tanpa kode kab/kota yang sah: "
            + ("diputuskan ulang" if self.unplaced else "tetap")
        )
        return (
            f"keputusan {self.dataset}: {fmt.angka(self.parts_decided)} kab/kota diputuskan "
            f"ulang ({fmt.angka(self.rows_decided)} baris), {fmt.angka(self.parts_kept)} "
            f"tetap ({fmt.angka(self.rows_kept)} baris){apart}"
        )


def part_store(processed: Path, kind: str, take: bool = True) -> PartStore:
    """One big kind's decided parts under ``processed/_cache/jenis/bagian``: its rows
    (``baris``) and its check summary rows (``ringkasan``); ``take=False``: none taken."""
    from analysis.ingest.memo import MEMO_DIR

    return PartStore(processed / CACHE_DIR / MEMO_DIR / PART_DIR, kind, FRAMES, take)


@dataclass
class Decided:
    """One kind's batch decided: rows with their fates, check summary, vote entries, what was
    redone, and what to store for the next run (:meth:`PartStore.save`: the parts' keys, those
    kept, the newly decided rows and summary rows)."""

    rows: pl.DataFrame
    summary: pl.DataFrame
    votes: pl.DataFrame | None
    reuse: PartReuse
    keys: dict[str, str]
    held: dict[str, str]
    new_rows: pl.DataFrame | None
    new_summary: pl.DataFrame | None


def decide_by_part(
    spec: Spec,
    rows: pl.DataFrame,
    votes: pl.DataFrame | None,
    refs: dict[str, pl.DataFrame],
    settings: Settings,
    messages: list[str],
    memo: Bound,
    store: PartStore,
    base: str,
) -> Decided:
    """The batch's rows decided: the parts held by ``store`` under the same key taken from it, the
    others decided together (:func:`~analysis.ingest.kinds.process_kind`), all put back in batch
    order; unchanged Sirekap copies take their fates last, as in a batch decided at once
    (``memo``: the verdict cache bound to the whole batch, whose file starts number the rows)."""
    rows, copies = split_copies(rows)
    starts = memo.starts
    part = rows.select(part_of()).to_series()  # once: the keys and the split both need it
    keys = part_keys(rows, part, starts, base)
    held, stored = store.taken(keys)
    todo = rows.filter(~part.is_in(pl.Series(list(held), dtype=pl.String).implode()))
    said: list[str] = []
    parts: list[pl.DataFrame] = []
    summaries: list[pl.DataFrame] = []
    vote_parts: list[pl.DataFrame] = []
    new_rows = new_summary = None
    if todo.height or not held:
        todo_votes = _votes_of(votes, todo)
        decided, summary, todo_votes = process_kind(
            spec, todo, todo_votes, refs, settings, said, memo
        )
        parts.append(decided)
        summaries.append(summary)
        if todo_votes is not None:
            vote_parts.append(todo_votes)
        new_rows, new_summary = _to_store(decided, summary, starts, said)
    if stored is not None:
        kept_rows, kept_summary = stored
        kept_rows = _numbered(kept_rows, starts)
        parts.append(kept_rows)
        summaries.append(kept_summary.drop(_PART))
        kept_votes = _votes_of(votes, kept_rows)
        if kept_votes is not None:
            batch_rows = rows.join(kept_rows.select("_rid"), on="_rid", how="semi")
            vote_parts.append(prepared_votes(spec.kind, batch_rows, kept_votes, refs))
    messages.extend(said)
    out = pl.concat(parts, how="diagonal_relaxed").select(parts[0].columns).sort("_rid")
    out = with_copies(out, copies)
    order = {c: i for i, c in enumerate(summary_order(spec, settings))}
    summary = (
        pl.concat(summaries, how="vertical_relaxed")
        .with_columns(pl.col("pemeriksaan").replace_strict(order, default=len(order)).alias("_o"))
        .sort("_o", "kode_kabkota", nulls_last=True, maintain_order=True)
        .drop("_o")
    )
    placed = [p for p in keys if p != NO_KABKOTA]
    n_kept = sum(1 for p in placed if p in held)
    reuse = PartReuse(
        spec.dataset, len(placed) - n_kept, todo.height, n_kept, rows.height - todo.height,
        None if NO_KABKOTA not in keys else NO_KABKOTA not in held,
    )  # fmt: skip
    all_votes = pl.concat(vote_parts, how="vertical_relaxed") if vote_parts else votes
    return Decided(out, summary, all_votes, reuse, keys, held, new_rows, new_summary)


def _votes_of(votes: pl.DataFrame | None, rows: pl.DataFrame) -> pl.DataFrame | None:
    if votes is None:
        return None
    return votes.join(rows.select("_rid"), on="_rid", how="semi")


def _numbered(stored: pl.DataFrame, starts: pl.DataFrame) -> pl.DataFrame:
    """Stored rows numbered in this batch: their file's first ``_rid`` plus their position."""
    first = stored.select("_fkey").join(
        starts.select("_fkey", "_first"), on="_fkey", how="left", maintain_order="left"
    )
    return stored.with_columns((first["_first"] + stored["_pos"]).alias("_rid")).drop(
        _PART, "_fkey", "_pos"
    )


def _to_store(
    decided: pl.DataFrame, summary: pl.DataFrame, starts: pl.DataFrame, said: list[str]
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """The newly decided rows and summary rows as stored (part, file key, position), or
    (None, None) when they cannot be stored: the deciding said something (a validator that did
    not run), or a summary row is not of a decided part."""
    if said or not decided.height:
        return None, None
    rows = decided.with_columns(part_of()).with_columns(row_keys(decided, starts).drop("_rid"))
    summary = summary.with_columns(_summary_part())
    if not set(summary[_PART].unique().to_list()) <= set(rows[_PART].unique().to_list()):
        return None, None
    return rows, summary
