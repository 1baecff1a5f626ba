"""Results kept per kab/kota between runs: on count night the parts whose inputs did not change are
taken as they were (issue 15, "work proportional to what changed").

A stage that works part by part (ingest deciding the big kinds, :mod:`analysis.ingest.partitions`;
reconciliation per TPS, :mod:`analysis.reconcile.parts`) keys each part by what decides its
result, asks the store which parts it holds under the same key (:meth:`PartStore.held`), takes
those (:meth:`PartStore.load`), computes the others and records them (:meth:`PartStore.save`).

**Written atomically and verified on read**, like the other caches: each run's newly computed
parts go to one Parquet file per frame under a token of their own, and the manifest ``<kind>.json``
(written last) names per part its key and token, with each token's file sizes; a token whose files
are missing or not of their recorded size holds nothing, and files no part names any more are
removed. A store that cannot be read costs time only: its parts are computed again.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import polars as pl

from analysis.publish import _fsync, disk_full, write_durably

#: The column naming each stored row's part.
PART = "_bagian"
FORMAT = 1


def row_sums(df: pl.DataFrame, by: pl.Series, seed: int) -> dict[str | None, list[int]]:
    """Per value of ``by`` (one per row of ``df``), its rows of ``df`` by value in any order: the
    exact sums of the two halves of their row hashes, and their count (what a part's key holds)."""
    half = 1 << 32  # each row's hash in two halves, summed exactly: any order, no overflow
    sums = (
        pl.DataFrame({PART: by, "_h": df.hash_rows(seed=seed)})
        .group_by(PART)
        .agg(
            (pl.col("_h") // half).cast(pl.Int64).sum().alias("_hi"),
            (pl.col("_h") % half).cast(pl.Int64).sum().alias("_lo"),
            pl.len().alias("_n"),
        )
    )
    return {p: [int(a), int(b), int(n)] for p, a, b, n in sums.iter_rows()}


def as_computed(stored: pl.DataFrame, computed: pl.DataFrame) -> pl.DataFrame:
    """Stored rows in the columns and types of the rows computed this run (without :data:`PART`),
    to be put together with them."""
    return stored.drop(PART).select(computed.columns).cast(computed.schema)


class Recorded:
    """What a step that worked part by part records for the next run (its frames are the
    subclass's): ``keys`` every part's key, ``held`` the parts taken as they were, ``new`` the
    frames newly computed (each row with its :data:`PART`) and ``done`` the parts they hold."""

    keys: dict[str, str]
    held: dict[str, str]
    new: tuple[pl.DataFrame, ...] | None
    done: list[str]

    def try_save(self, store: PartStore) -> str | None:
        """Record this run's parts in ``store`` (nothing when no part was keyed: the step worked
        whole); a failure as text (:meth:`PartStore.try_save`)."""
        return store.try_save(self.keys, self.held, self.new, self.done) if self.keys else None


class PartStore:
    """One kind's parts under ``folder``: frames named ``frames`` (``<kind>--<token>.<frame>.parquet``),
    each row carrying its part in :data:`PART`."""

    def __init__(self, folder: Path, kind: str, frames: tuple[str, ...], take: bool = True) -> None:
        """``take=False``: no part is taken (all computed again); the parts are still stored."""
        self.dir = folder
        self.kind = kind
        self.frames = frames
        self.take = take

    def _manifest(self) -> dict:
        try:
            m = json.loads((self.dir / f"{self.kind}.json").read_text())
            if m.get("format") == FORMAT and isinstance(m.get("bagian"), dict):
                return m
        except (OSError, ValueError):
            pass
        return {"format": FORMAT, "bagian": {}, "berkas": {}}

    def held(self, keys: dict[str, str]) -> dict[str, str]:
        """The parts of ``keys`` stored under the same key, with the file token holding them
        (only tokens whose files are there at their recorded sizes; none from a damaged
        manifest)."""
        if not self.take:
            return {}
        m = self._manifest()
        try:
            good = {t for t, sizes in m["berkas"].items() if self._intact(t, sizes)}
            return {
                p: entry["berkas"]
                for p, entry in m["bagian"].items()
                if keys.get(p) == entry.get("kunci") and entry.get("berkas") in good
            }
        except (AttributeError, KeyError, TypeError):
            return {}

    def _paths(self, token: str) -> list[Path]:
        return [self.dir / f"{self.kind}--{token}.{name}.parquet" for name in self.frames]

    def _intact(self, token: str, sizes: list[int]) -> bool:
        try:
            return [p.stat().st_size for p in self._paths(token)] == list(sizes)
        except (OSError, TypeError):
            return False

    def load(self, held: dict[str, str]) -> tuple[pl.DataFrame, ...] | None:
        """The stored frames of the ``held`` parts, with their :data:`PART` column (None when a
        file cannot be read: those parts are then computed again)."""
        out: list[list[pl.DataFrame]] = [[] for _ in self.frames]
        try:
            for token in sorted(set(held.values())):
                parts = pl.Series([p for p, t in held.items() if t == token], dtype=pl.String)
                for frames, path in zip(out, self._paths(token), strict=True):
                    df = pl.read_parquet(path)
                    frames.append(df.filter(pl.col(PART).is_in(parts.implode())))
        except Exception:  # noqa: BLE001 - an unreadable store is just parts computed again
            return None
        return tuple(pl.concat(frames, how="diagonal_relaxed") for frames in out)

    def taken(self, keys: dict[str, str]) -> tuple[dict[str, str], tuple[pl.DataFrame, ...] | None]:
        """(the parts of ``keys`` held under the same key, their stored frames): :meth:`held` and
        :meth:`load` together; none held when a file cannot be read (those computed again)."""
        held = self.held(keys)
        stored = self.load(held) if held else None
        return (held, stored) if stored is not None else ({}, None)

    def save(
        self,
        keys: dict[str, str],
        held: dict[str, str],
        frames: tuple[pl.DataFrame, ...] | None,
        parts_done: list[str] | None = None,
    ) -> None:
        """Record this run's parts: ``held`` as they are, the newly computed ``frames`` (each row
        with its part) in files of their own, as the parts ``parts_done`` (by default those the
        first frame's rows name); the files no part names any more are removed."""
        self.dir.mkdir(parents=True, exist_ok=True)
        files: dict[str, list[int]] = {}
        parts = {p: {"kunci": keys[p], "berkas": t} for p, t in held.items()}
        m = self._manifest()
        for t in set(held.values()):
            files[t] = m["berkas"][t]
        done = parts_done if parts_done is not None else []
        if frames is not None and parts_done is None:
            done = frames[0][PART].unique().to_list()
        if frames is not None and done:
            token = uuid.uuid4().hex[:12]
            for df, path in zip(frames, self._paths(token), strict=True):
                write_durably(
                    path, lambda t, df=df: df.write_parquet(t, compression="lz4", statistics=False)
                )
            files[token] = [p.stat().st_size for p in self._paths(token)]
            for p in done:
                parts[p] = {"kunci": keys[p], "berkas": token}
        manifest = {"format": FORMAT, "bagian": parts, "berkas": files}
        write_durably(self.dir / f"{self.kind}.json", lambda p: p.write_text(json.dumps(manifest)))
        _fsync(self.dir)  # the manifest's rename too
        for p in self.dir.glob(f"{self.kind}--*.parquet"):
            if p.name.split("--", 1)[1].split(".", 1)[0] not in files:
                p.unlink(missing_ok=True)

    def try_save(
        self,
        keys: dict[str, str],
        held: dict[str, str],
        frames: tuple[pl.DataFrame, ...] | None,
        parts_done: list[str] | None = None,
    ) -> str | None:
        """:meth:`save`; a store that cannot be written costs the next run time only, so its
        failure is returned as text for the run to say (a full disk is raised: that stops the
        run, as any write does)."""
        try:
            self.save(keys, held, frames, parts_done)
        except Exception as exc:
            if disk_full(exc):
                raise
            return f"{type(exc).__name__}: {exc}"
        return None
