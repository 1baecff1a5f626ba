"""Work proportional to what changed: each stage of the daily run is decided by the content hashes
of its inputs (issue 15).

A stage's inputs are named parts, each a sha256: the raw files (path and content hash of every
entry of the drop), the settings that the run uses (everything but the machine's paths), the code
and configuration (every file of the ``analysis`` package, the pack notebook and ``config/``; the
reader version is part of that code and is named besides), the run's times (as-of, previous
report, the replayed night runs) and, for every stage after ingest, the fingerprint of the stage
before it (its outputs are a function of its inputs). The generation records them in
:data:`RECORD` (``<processed>/sidik.json``) when the stage succeeded. The next run compares:

- equal to the previous generation's → the stage is skipped: its outputs are already in the new
  generation (a generation starts as a hard-link copy of the previous one, analysis.publish), so
  the generation stays complete and self-contained;
- different → the stage runs, and the console says which parts changed.

Timestamps decide nothing: a file's (size, mtime, inode) only spares re-reading its bytes when
they are the ones hashed last time (the stat cache kept in the record, as git's index does).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.publish import write_text_atomic
from analysis.settings import REPO_ROOT, Settings

if TYPE_CHECKING:
    import polars as pl

#: The record of a processed generation: per stage, the hashes of its inputs; the stat cache.
RECORD = "sidik.json"

#: What each input part is called in the console's "why" (Indonesian: a reader sees it).
PART_LABELS: dict[str, str] = {
    "berkas": "berkas mentah",
    "pengaturan": "pengaturan",
    "kode": "kode/konfigurasi",
    "versi_pembaca": "versi pembaca",
    "hulu": "hasil tahap sebelumnya",
    "waktu_acuan": "waktu acuan",
    "sebelumnya": "laporan sebelumnya",
    "malam": "run malam yang diputar ulang",
    "run": "fakta run",
    "lingkup": "lingkup/kedalaman/tanggal",
    "bagikan": "pengaturan berbagi",
}

_CHUNK = 1 << 20


def digest(value: Any) -> str:
    """sha256 of a JSON-able value (keys sorted): the same value gives the same hash anywhere."""
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _categorical() -> tuple[type, ...]:
    import polars as pl

    return (pl.Categorical, pl.Enum)


def frame_sha(df: pl.DataFrame) -> str:
    """sha256 of a frame's schema and values, row by row (categoricals as text).

    Values, not bytes: two equal frames read from two generations can lay their strings out
    differently in memory, so their Arrow IPC bytes differ although every value is the same (on
    the national demo that re-rendered all 553 packs after one kab/kota's new files). Polars' row
    hash is fixed for a pinned version (``uv.lock``, and the version is hashed too) and seed."""
    import polars as pl  # here: a run that finds nothing new never imports polars

    # columns and dtypes, not ``df.schema``: a Schema object costs more than the hash of a small
    # frame, and the fingerprints of the packs hash some 15,000 small frames a run (same text)
    types = df.dtypes
    if any(isinstance(t, _categorical()) for t in types):
        df = df.with_columns(pl.col(pl.Categorical, pl.Enum).cast(pl.String))
        types = df.dtypes
    h = hashlib.sha256(repr(list(zip(df.columns, types, strict=True))).encode())
    h.update(pl.__version__.encode())
    if df.width:
        h.update(df.hash_rows(seed=0).to_numpy().tobytes())
    return h.hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 over every file of the ``analysis`` package, the pack notebook and ``config/``
    (``git describe --dirty`` would not see an edit in a dirty tree)."""
    roots = [Path(__file__).parent, REPO_ROOT / "notebooks" / "pack.ipynb", REPO_ROOT / "config"]
    h = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for p in files:
            if "__pycache__" in p.parts or p.suffix == ".pyc":
                continue
            h.update(p.relative_to(REPO_ROOT).as_posix().encode() + b"\0")
            h.update(file_sha256(p).encode())
    return h.hexdigest()


def settings_fingerprint(s: Settings) -> str:
    """sha256 of the settings a run uses (the machine's paths excluded: they move no figure)."""
    return digest(s.model_dump(mode="json", exclude={"paths"}))


def reader_version() -> str:
    from analysis import read

    return str(read.READER_VERSION)


# --- The drop's files ------------------------------------------------------------------------------


def _entry_kind(st: os.stat_result) -> str | None:
    """None for a regular file (hashed), else what the entry is (its kind decides its fate)."""
    if stat.S_ISREG(st.st_mode):
        return None
    if stat.S_ISLNK(st.st_mode):
        return "tautan"
    return "khusus"


def stat_key(st: os.stat_result) -> list[int]:
    """What says a file is the one hashed before: size, modification time and inode (as git's
    index does; a drop's files are written once and never edited in place)."""
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def known_sha(path: Path, hit: list | None, st: os.stat_result | None = None) -> str | None:
    """The sha256 ``hit`` (a stat-cache entry ``[size, mtime_ns, inode, sha]``) recorded for the
    regular file at ``path`` if its stat (``st``, taken just before by the caller's own walk, or
    asked now) is still the one hashed; None: hash it."""
    if hit is None:
        return None
    if st is None:
        try:
            st = os.lstat(path)
        except OSError:
            return None
    return hit[3] if stat.S_ISREG(st.st_mode) and hit[:3] == stat_key(st) else None


def drop_files(raw: Path, cache: dict[str, list]) -> dict[str, str]:
    """Every entry under ``raw`` (not following links): relative path → sha256 of a regular file's
    bytes, or what the entry is otherwise. ``cache`` (rel → [size, mtime_ns, inode, sha]) spares
    hashing a file whose stat is the one hashed last time; it is updated in place."""
    out: dict[str, str] = {}
    seen: set[str] = set()
    top = os.fspath(raw)
    for dirpath, dirs, names in os.walk(top):
        dirs.sort()
        # the folder's path relative to the drop, once per folder (os.path.relpath per entry
        # cost seconds on a national drop of 60,000 entries)
        inner = os.path.relpath(dirpath, top).replace(os.sep, "/")
        prefix = "" if inner == "." else f"{inner}/"
        for name in sorted(names) + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            path = os.path.join(dirpath, name)
            rel = prefix + name
            try:
                st = os.lstat(path)
            except OSError as exc:
                out[rel] = f"galat:{exc.errno}"
                continue
            kind = _entry_kind(st)
            if kind is not None:
                out[rel] = kind
                continue
            seen.add(rel)
            key = stat_key(st)
            hit = cache.get(rel)
            if hit is not None and hit[:3] == key:
                out[rel] = hit[3]
                continue
            try:
                sha = file_sha256(Path(path))
            except OSError as exc:
                out[rel] = f"galat:{exc.errno}"
                continue
            cache[rel] = [*key, sha]
            out[rel] = sha
    for rel in set(cache) - seen:
        del cache[rel]
    return out


def files_change(before: dict[str, str], now: dict[str, str]) -> str:
    """``3 baru, 1 berubah, 0 hilang``: how the drop's files differ from the last run's."""
    new = sum(1 for k in now if k not in before)
    changed = sum(1 for k in now if k in before and before[k] != now[k])
    gone = sum(1 for k in before if k not in now)
    return f"{new} baru, {changed} berubah, {gone} hilang"


# --- Decisions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """Whether a stage runs, and why (one Indonesian line for the console)."""

    stage: str
    run: bool
    why: str
    fingerprint: str

    def line(self) -> str:
        verb = "dijalankan" if self.run else "dilewati"
        return f"[{self.stage}] {verb} — {self.why} (sidik {self.fingerprint[:12]})"


@dataclass
class Record:
    """The fingerprints a processed generation holds (``sidik.json``), read at the start of a run
    from the copy of the previous generation and written back as stages succeed."""

    folder: Path
    generation: str  # the generation this run writes (the record says who wrote it)
    stages: dict[str, dict[str, str]] = field(default_factory=dict)
    stat_cache: dict[str, list] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    drop: dict[str, str] = field(default_factory=dict)  # the drop as this run found it (rel → sha)

    @classmethod
    def load(cls, folder: Path, previous: str | None, generation: str) -> Record:
        """The record the previous generation (id ``previous``) left in ``folder``, its copy; its
        stages count only if that generation wrote it (a single-stage command writes a generation
        without updating it: then every stage runs). The stat cache counts anyway."""
        try:
            d = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            d = {}
        stages = d.get("tahap", {}) if previous and d.get("generasi") == previous else {}
        return cls(folder, generation, stages, d.get("cache_stat", {}))

    def drop_parts(self, raw: Path) -> tuple[str, str]:
        """(hash of the drop's entries, how they differ from the last run's) — the stat cache is
        brought up to date on the way."""
        before = {rel: v[3] for rel, v in self.stat_cache.items()}
        now = drop_files(raw, self.stat_cache)
        self.drop = now
        return digest(now), files_change(before, {k: v for k, v in now.items() if len(v) == 64})

    def decide(
        self, stage: str, parts: dict[str, str], detail: dict[str, str] | None = None
    ) -> Decision:
        """Run ``stage`` unless the previous generation recorded exactly these input hashes."""
        fp = digest(parts)
        before = self.stages.get(stage)
        if before is None:
            return Decision(stage, True, "belum ada catatan sidik dari run sebelumnya", fp)
        if digest(before) == fp:
            return Decision(stage, False, "masukan sama dengan run sebelumnya", fp)
        changed = sorted(k for k in parts.keys() | before.keys() if parts.get(k) != before.get(k))
        why = ", ".join(
            PART_LABELS.get(k, k) + (f" ({detail[k]})" if detail and k in detail else "")
            for k in changed
        )
        return Decision(stage, True, f"berubah: {why}", fp)

    def forget(self, stage: str) -> None:
        """The stage is about to run: its old record no longer describes its outputs."""
        self.stages.pop(stage, None)

    def done(self, stage: str, parts: dict[str, str], ran: bool) -> None:
        """The stage's outputs now answer ``parts`` (written by :meth:`save` at the run's end: a
        generation that is not published is never read again)."""
        self.stages[stage] = dict(parts)
        if ran:
            self.ran.append(stage)

    def fingerprint(self, stage: str) -> str:
        """The recorded fingerprint of a stage; one never recorded before when the stage has none
        (it failed), so every stage after it runs."""
        parts = self.stages.get(stage)
        return digest(parts) if parts is not None else f"tidak-tercatat-{uuid.uuid4().hex}"

    def save(self) -> None:
        body = {"generasi": self.generation, "tahap": self.stages, "cache_stat": self.stat_cache}
        write_text_atomic(self.folder / RECORD, json.dumps(body, sort_keys=True))
