"""CSV text: decoding (UTF-8 with or without BOM, UTF-16 with BOM, cp1252, latin-1 as a last
resort), the separator (``,`` ``;`` tab or ``|``, sniffed), and the rows as Python's ``csv`` module
reads them — the specification of a CSV table. :mod:`.native` reads the same rows faster."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from functools import lru_cache

import polars as pl

from analysis.read.result import ReadError

_SEPARATORS = (",", ";", "\t", "|")
_SNIFF_LINES = 40
# A field may be as long as the fast reader allows (any length); the csv module's default limit
# (128 KiB) would otherwise reject a file the fast reader takes.
_FIELD_LIMIT = 2**31 - 1


def decode_text(data: bytes) -> tuple[str, bool]:
    """The text, and whether ``data`` is exactly its UTF-8 encoding (no BOM, nothing replaced)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), False
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), False
    if b"\x00" in data[:4096]:
        raise ReadError("berkas biner (berisi byte NUL), bukan tabel CSV")
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252"), False
        except UnicodeDecodeError:
            return data.decode("latin-1"), False


def sniff_separator(text: str) -> str:
    """The separator that splits most of the first non-blank lines into the same number (>1) of
    fields; ties go to the wider split, then to the order ``,`` ``;`` tab ``|``."""
    head = text[:65536]  # the first 40 lines are all the sniffer looks at
    if len(head) < len(text) and len(head.splitlines()) <= _SNIFF_LINES + 1:
        head = text
    lines = [ln for ln in head.splitlines()[:_SNIFF_LINES] if ln.strip()]
    best, best_score = ",", (-1, -1)
    for sep in _SEPARATORS:
        counts = [len(r) for r in csv.reader(lines, delimiter=sep)]
        wide = [c for c in counts if c > 1]
        if not wide:
            continue
        mode = max(set(wide), key=wide.count)
        score = (wide.count(mode), mode)
        if score > best_score:
            best, best_score = sep, score
    return best


_SEP_IN_REGEX = {",": ",", ";": ";", "\t": r"\t", "|": r"\|"}


@lru_cache(maxsize=len(_SEPARATORS))
def _well_quoted_re(sep: str) -> str:
    s = _SEP_IN_REGEX[sep]
    field = rf'(?:"(?:[^"]|"")*"|[^"{s}\r\n]*)'  # quoted (quotes doubled inside), or no quote
    record = rf"{field}(?:{s}{field})*"
    return rf"^(?:{record}\r?\n)*(?:{record})?$"


def well_quoted(text: str, sep: str) -> bool:
    """Every quote in ``text`` belongs to a field quoted whole (``"a, ""b"" c"``), the way both the
    ``csv`` module and the native reader read alike; a stray quote (``ab"c``, ``"x "y"``) is
    read by the ``csv`` module's own rules only."""
    if '"' not in text:
        return True
    return bool(pl.Series([text]).str.contains(_well_quoted_re(sep)).item())


class CsvText:
    """A decoded CSV: its text, separator and rows. :meth:`head` reads only the first rows (the
    header search); :meth:`rows` reads them all with the ``csv`` module; :meth:`body_bytes` hands
    the body to the native reader when lines are rows up to it."""

    def __init__(self, data: bytes) -> None:
        self.text, plain = decode_text(data)
        if not self.text.strip():
            raise ReadError("berkas kosong (tidak ada teks)")
        self.sep = sniff_separator(self.text)
        self._utf8 = data if plain else None
        self._rows: list[list[object]] | None = None

    def _reader(self) -> Iterator[list[str]]:
        if csv.field_size_limit() < _FIELD_LIMIT:
            csv.field_size_limit(_FIELD_LIMIT)
        return csv.reader(io.StringIO(self.text, newline=""), delimiter=self.sep)

    def head(self, n: int) -> list[list[object]]:
        """The first ``n`` rows."""
        if self._rows is not None:
            return self._rows[:n]
        try:
            return list(itertools.islice(self._reader(), n))
        except csv.Error as exc:
            raise ReadError(f"CSV tidak terbaca ({exc})") from None

    def rows(self) -> list[list[object]]:
        """Every row (a blank line is an empty row)."""
        if self._rows is None:
            try:
                self._rows = list(self._reader())
            except csv.Error as exc:
                raise ReadError(f"CSV tidak terbaca ({exc})") from None
        return self._rows

    def body_bytes(self, skip: int) -> bytes | None:
        """The UTF-8 text after the first ``skip`` lines, when those lines are plain (no quote, so
        lines = rows), the line ends are ``\\n`` or ``\\r\\n`` and the body is
        :func:`well_quoted`; else None (the ``csv`` module reads it)."""
        text = self.text
        if text.count("\r") != text.count("\r\n"):
            return None  # a lone \r (old Mac line end): a row end to the csv module, not natively
        at = 0
        for _ in range(skip):
            at = text.find("\n", at) + 1
            if at == 0:
                return None
        if '"' in text[:at] or not well_quoted(text[at:], self.sep):
            return None
        if self._utf8 is not None:
            return self._utf8[len(text[:at].encode("utf-8")) :]
        return text[at:].encode("utf-8")
