"""Header rows: normalise a raw header, map it to a canonical column (:data:`.columns.ALIASES`),
find the header row below title and instruction rows, and say what is missing when a sheet has
no usable header (naming the closest headers found)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from analysis.read.cells import cell_text
from analysis.read.columns import ALIASES, COLUMNS, KIND_ALIASES, PASLON_MAX

HEADER_SCAN = 25  # title and instruction rows above a header: never more than a handful

_PASLON_RE = re.compile(
    r"^(?:suara_|jumlah_suara_|perolehan_)?(?:paslon|pasangan_calon|pasangan|calon|no_urut|nomor_urut)"
    r"_?(?:no_)?0?(\d)$"
)


def norm_header(text: object) -> str:
    """``" Jumlah DPT (L) "`` -> ``"jumlah_dpt_l"``: case, accents, spaces and punctuation folded."""
    s = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", s.lower()).strip("_")


def canonical_header(text: object) -> str | None:
    """The canonical column a raw header stands for, or None."""
    return _canonical_header(str(text) if text is not None else "")


@lru_cache(maxsize=4096)
def _canonical_header(text: str) -> str | None:
    h = norm_header(text)
    if not h:
        return None
    if h in ALIASES:
        return ALIASES[h]
    m = _PASLON_RE.match(h)
    if m and 1 <= int(m.group(1)) <= PASLON_MAX:
        return f"suara_paslon_{m.group(1)}"
    return None


def map_headers(kind: str, header: Sequence[object]) -> dict[int, str]:
    """Column index -> canonical name for the columns this kind keeps (first occurrence wins)."""
    keep, _ = COLUMNS[kind]
    out: dict[int, str] = {}
    for i, h in enumerate(header):
        c = canonical_header(h)
        c = KIND_ALIASES.get(kind, {}).get(c, c) if c else c
        if c in keep and c not in out.values():
            out[i] = c
    return out


def missing_required(kind: str, found: Iterable[str]) -> list[str]:
    """The required columns of ``kind`` not among ``found`` (``"a atau b"`` for a choice)."""
    found = set(found)
    missing = []
    for req in COLUMNS[kind][1]:
        options = (req,) if isinstance(req, str) else req
        if not any(o in found for o in options):
            missing.append(" atau ".join(options))
    return missing


def closest(missing: list[str], header: Sequence[object]) -> str:
    """The headers found, and for each missing column the most similar one (a hint to the desk)."""
    raw = [str(h) for h in header if h not in (None, "")]
    normed = {norm_header(h): h for h in raw}
    hints = []
    for m in missing:
        for option in m.split(" atau "):
            hit = difflib.get_close_matches(option, list(normed), n=1, cutoff=0.55)
            if hit:
                hints.append(f"{normed[hit[0]]!r} (mirip {option})")
                break
    shown = ", ".join(repr(h) for h in raw[:20]) or "(tidak ada)"
    near = f"; yang paling mirip: {', '.join(hints)}" if hints else ""
    return f"header yang ditemukan: {shown}{near}"


def best_header_row(
    kind: str, rows: list[list[object]], scan: int = HEADER_SCAN
) -> tuple[int, dict[int, str]]:
    """The row (index) among the first ``scan`` that matches most known columns, and its mapping."""
    best, best_map = -1, {}
    for i, row in enumerate(rows[:scan]):
        m = map_headers(kind, row)
        if len(m) > len(best_map):
            best, best_map = i, m
        filled = sum(v is not None and v != "" for v in row)
        if len(m) >= 3 and 2 * len(m) >= filled:
            break  # a header row: mostly known column names (data rows below hold values)
    return best, best_map


def unique_names(header: Sequence[object]) -> list[str]:
    """Header texts as JSON keys: blanks named ``kolom_<n>``, repeats suffixed ``_2``, ``_3``."""
    out: list[str] = []
    for i, h in enumerate(header):
        name = cell_text(h) or f"kolom_{i + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out


@dataclass(frozen=True)
class Header:
    """A sheet's header: its row (index among the sheet's rows), the canonical columns it maps
    (column index → name) and every header text as a unique JSON key."""

    row: int
    mapping: dict[int, str]
    names: list[str]
    doubles: tuple[str, ...] = ()  # one message per canonical column the header holds twice


def doubled_columns(
    kind: str, header: Sequence[object], mapping: dict[int, str]
) -> tuple[str, ...]:
    """Messages naming each canonical column that more than one header cell stands for (only the
    first is read)."""
    by_col: dict[str, list[int]] = {}
    for i, h in enumerate(header):
        c = canonical_header(h)
        c = KIND_ALIASES.get(kind, {}).get(c, c) if c else c
        if c is not None and c in mapping.values():
            by_col.setdefault(c, []).append(i)
    return tuple(
        f"kolom ganda untuk {c}: "
        + ", ".join(f"{cell_text(header[i])!r} (kolom {i + 1})" for i in idx)
        + f"; hanya kolom {idx[0] + 1} yang dibaca"
        for c, idx in by_col.items()
        if len(idx) > 1
    )


def find_header(kind: str, head: list[list[object]]) -> tuple[Header | None, str | None]:
    """The header among the first rows of a sheet, or why there is none usable: the required
    columns missing and the headers seen (the widest of the first rows when nothing matched)."""
    hi, mapping = best_header_row(kind, head, HEADER_SCAN)
    if hi < 0:  # nothing recognised: show the widest of the first rows as "the header"
        hi = max(
            range(min(len(head), HEADER_SCAN)),
            key=lambda i: sum(v is not None for v in head[i]),
            default=-1,
        )
    header = head[hi] if hi >= 0 else []
    missing = missing_required(kind, mapping.values())
    if missing or len(mapping) < 2:
        missing = missing or ["(lebih dari satu kolom yang dikenali)"]
        return None, f"kolom wajib tidak ada: {', '.join(missing)}; {closest(missing, header)}"
    return Header(hi, mapping, unique_names(header), doubled_columns(kind, header, mapping)), None
