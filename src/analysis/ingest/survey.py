"""The drop's boundary: every entry under the drop folder, and which of them are read.

Only regular files inside the drop are read. Nothing is followed or opened to decide: the walk
looks at each entry itself (``lstat``), so a symbolic link (to a file, a folder, a device, outside
the drop or inside it) and a special file (FIFO, device, socket) are refused unopened. Every entry
that is not read is still listed, with its fate, so the ledger names every file of the drop:

- **ditolak** (refused): a symbolic link, a special file, a folder that cannot be opened, a name
  that is not UTF-8 text, a file of a pull folder whose name is no pull time (the whole pull);
- **dilewati** (skipped, harmless): a hidden file or folder, ``manifest.json`` and README files,
  the demo's mark, a pull's own bookkeeping (all of ``kpu/<pull>/`` but ``tps/``) and a pull still
  being staged by the pull tool (``kpu/.tarik-<pull>/``: read once it is published).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from analysis import read

REFUSED, SKIPPED = "ditolak", "dilewati"

SYMLINK = "tautan simbolik (symlink): tidak diikuti; hanya berkas biasa di dalam drop yang dibaca"
SPECIAL = "berkas khusus (FIFO, perangkat atau soket): tidak dibuka; hanya berkas biasa yang dibaca"
BAD_NAME = "nama berkas bukan teks UTF-8 yang sah; ganti namanya agar bisa dibaca"
STAGING = "tarikan belum selesai (folder {name} masih ditulis alat tarik); dibaca setelah terbit"
HIDDEN_FOLDER = "di dalam folder tersembunyi (nama diawali titik); tidak dibaca"
PULL_BOOKKEEPING = "catatan tarikan (bukan catatan Sirekap per TPS); tidak dibaca"
STAGING_PREFIX = ".tarik-"  # the pull tool's staging folders (analysis.pull.folder)


@dataclass(frozen=True)
class NotRead:
    """An entry of the drop that is not read: where, its fate, why, and its size (None: unknown)."""

    rel: str
    status: str
    reason: str
    size: int | None


@dataclass
class Survey:
    """The drop's entries: the files to read with their reader kind, and every other one."""

    raw: Path
    read: list[tuple[Path, str]] = field(default_factory=list)
    #: per file to read (by its path relative to the drop), the stat the walk took of it: ingest
    #: compares it with the stat record instead of asking the file system again
    stats: dict[str, os.stat_result] = field(default_factory=dict)
    rel_by_path: dict[str, str] = field(default_factory=dict)  # str(path) → relative path
    not_read: list[NotRead] = field(default_factory=list)


def survey(raw: Path) -> Survey:
    """Every entry under ``raw`` (path order): files to read, and the others with their fate."""
    out = Survey(raw)
    _walk(out, raw, (), None)
    out.read.sort(key=lambda x: out.rel_by_path[str(x[0])])
    out.not_read.sort(key=lambda n: n.rel)
    return out


def _rel(parts: tuple[str, ...]) -> str | None:
    """The path as text, None when a name is not UTF-8 (it could not be stored or shown)."""
    text = "/".join(parts)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text


def _shown(parts: tuple[str, ...]) -> str:
    """A path whose name is not UTF-8, as text (its bad bytes escaped)."""
    return "/".join(os.fsencode(p).decode("utf-8", errors="backslashreplace") for p in parts)


def _folder_fate(parts: tuple[str, ...]) -> tuple[str, str] | None:
    """(status, reason) for everything below a folder that is not read, else None."""
    name = parts[-1]
    if len(parts) == 2 and parts[0].lower() == "kpu" and name.startswith(STAGING_PREFIX):
        return SKIPPED, STAGING.format(name=name)
    if name.startswith("."):
        return SKIPPED, HIDDEN_FOLDER
    if len(parts) == 2 and parts[0].lower() == "kpu":
        problem = read.pull_folder_problem("/".join((*parts, "x")))
        if problem is not None:
            return REFUSED, problem
    if len(parts) == 3 and parts[0].lower() == "kpu" and read.PULL_RE.match(parts[1]):
        return None if name == "tps" else (SKIPPED, PULL_BOOKKEEPING)
    return None


def _file_fate(parts: tuple[str, ...]) -> tuple[str, str] | None:
    """(status, reason) for a file not read by its own name or place, else None."""
    reason = read.skip_reason(parts[-1])
    if reason is not None:
        return SKIPPED, reason
    if len(parts) == 3 and parts[0].lower() == "kpu" and read.PULL_RE.match(parts[1]):
        return SKIPPED, PULL_BOOKKEEPING  # beside tps/ in a pull folder: ringkasan.json, ...
    elsewhere = read.read_elsewhere("/".join(parts))
    if elsewhere is not None:
        return SKIPPED, elsewhere
    return None


def _walk(out: Survey, folder: Path, parts: tuple[str, ...], fate: tuple[str, str] | None) -> None:
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        rel = _rel(parts) or _shown(parts)
        out.not_read.append(
            NotRead(rel + "/", REFUSED, f"folder tidak bisa dibuka ({exc.strerror})", None)
        )
        return
    for entry in entries:
        _entry(out, entry, (*parts, entry.name), fate)


def _entry(
    out: Survey, entry: os.DirEntry, parts: tuple[str, ...], fate: tuple[str, str] | None
) -> None:
    """One entry: refused, skipped, walked into (a folder) or queued to be read."""
    rel = _rel(parts)
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError as exc:
        out.not_read.append(
            NotRead(rel or _shown(parts), REFUSED, f"tidak bisa dibaca ({exc.strerror})", None)
        )
        return
    if stat.S_ISLNK(st.st_mode):
        out.not_read.append(NotRead(rel or _shown(parts), REFUSED, SYMLINK, None))
        return
    if stat.S_ISDIR(st.st_mode):
        _walk(out, Path(entry.path), parts, fate or _folder_fate(parts))
        return
    if not stat.S_ISREG(st.st_mode):
        out.not_read.append(NotRead(rel or _shown(parts), REFUSED, SPECIAL, None))
        return
    if rel is None:
        out.not_read.append(NotRead(_shown(parts), REFUSED, BAD_NAME, st.st_size))
        return
    fate = fate or _file_fate(parts)
    if fate is not None:
        out.not_read.append(NotRead(rel, *fate, st.st_size))
        return
    path = Path(entry.path)
    out.read.append((path, read.kind_of(rel) or "unknown"))
    out.rel_by_path[str(path)] = rel
    out.stats[rel] = st
