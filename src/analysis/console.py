"""What the workbench prints on the terminal, with control characters made visible.

File names and data reach the console (a rejected file's name, a cell quoted in a reason). A name
holding an escape sequence (``\\x1b[2J``) or a carriage return could clear the screen, hide a line
or forge one; a bidi override could reorder what the reader sees. Every console message goes through
:func:`say` (or :func:`error`), which shows such characters as ``\\x1b``, ``\\u202e``: the text stays
readable and the terminal only ever receives printable characters and line breaks.
"""

from __future__ import annotations

import sys
import unicodedata
from typing import TextIO

#: Format characters that reorder or hide text (bidi embeddings, overrides, isolates; zero-width
#: joiners and the BOM): shown escaped like the control characters (category Cc).
_HIDING = frozenset(
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)


def _escape(ch: str) -> str:
    n = ord(ch)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def _unsafe(ch: str) -> bool:
    return ch in _HIDING or unicodedata.category(ch) == "Cc"


def safe(text: object, keep_newlines: bool = False) -> str:
    """``text`` with every control or hiding character escaped (``\\x1b``, ``\\u202e``).

    A line break is escaped too unless ``keep_newlines`` (a multi-line table the workbench built):
    a value must never start a line of its own.
    """
    s = str(text)
    if s.isprintable() and not any(ch in _HIDING for ch in s):
        return s
    keep = "\n" if keep_newlines else ""
    return "".join(_escape(ch) if ch not in keep and _unsafe(ch) else ch for ch in s)


def say(text: object, *, block: bool = False, stream: TextIO | None = None) -> None:
    """Print one message (``block``: a multi-line text, whose own line breaks are kept)."""
    print(safe(text, keep_newlines=block), file=stream or sys.stdout, flush=True)


def error(text: object) -> None:
    """Print one error line on stderr, prefixed ``galat:``."""
    say(f"galat: {text}", stream=sys.stderr)
