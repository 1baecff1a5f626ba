"""CSV text: decoding (UTF-8 with or without BOM, UTF-16 with BOM, cp1252, latin-1 as a last
resort), the separator (``,`` ``;`` tab or ``|``, sniffed), and the rows as Python's ``csv`` module
reads them — the specification of a CSV table. :mod:`.native` reads the same rows faster."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterator
from functools import lru_cache

import polars as pl

from analysis.read.result import ReadError

_SEPARATORS = (",", ";", "\t", "|")
_SNIFF_LINES = 40
# A field may be as long as the fast reader allows (any length); the csv module's default limit
# (128 KiB) would otherwise reject a file the fast reader takes.
_FIELD_LIMIT = 2**31 - 1
csv.field_size_limit(_FIELD_LIMIT)  # also for the sniffer, whatever file comes first


#: Share of control bytes above which a file is binary, not text with a stray NUL (a cell to reject).
_BINARY_SHARE = 0.01
_CONTROL = bytes(c for c in range(32) if c not in b"\t\n\r\x0c")
_REPLACED = "\ufffd"


def decode_text(data: bytes) -> tuple[str, bool, list[str]]:
    """The text, whether ``data`` is exactly its UTF-8 encoding (no BOM, nothing replaced), and
    notes on what decoding had to do (bytes replaced). UTF-8 with or without BOM, UTF-16 with BOM;
    a UTF-8 file with a few bad bytes stays UTF-8, the bad bytes replaced by "�" (flagged, with
    the lines); a file with no UTF-8 at all is cp1252 (latin-1 as a last resort, flagged). A stray
    NUL byte becomes "�" too (its cell is then unreadable); a file of many NUL bytes is binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _utf8_replacing(data[3:])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), False, []
        except UnicodeDecodeError:
            text = data.decode("utf-16", errors="replace")
            return text, False, [_replaced_note(text, "UTF-16")]
    if b"\x00" in data[:4096] and _binary(data[:4096]):
        raise ReadError("berkas biner (berisi byte NUL), bukan tabel CSV")
    if b"\x00" in data:
        text, _, notes = decode_text(data.replace(b"\x00", _REPLACED.encode()))
        return text, False, [*notes, _nul_note(text)]
    try:
        return data.decode("utf-8"), True, []
    except UnicodeDecodeError:
        pass
    if _MULTIBYTE.search(data) is not None:  # real UTF-8 text with a stray bad byte
        return _utf8_replacing(data)
    try:
        return data.decode("cp1252"), False, []
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        return (
            text,
            False,
            ["dibaca sebagai latin-1 (bukan UTF-8 maupun cp1252); periksa huruf non-ASCII"],
        )


def _binary(head: bytes) -> bool:
    """Control bytes (but tab, line ends, form feed) make more than a trace of ``head``."""
    return len(head) - len(head.translate(None, _CONTROL)) > _BINARY_SHARE * len(head)


_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")


def _utf8_replacing(data: bytes) -> tuple[str, bool, list[str]]:
    try:
        return data.decode("utf-8"), False, []
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        return text, False, [_replaced_note(text, "UTF-8")]


def _lines_with(text: str, char: str, shown: int = 5) -> str:
    lines = [i for i, ln in enumerate(text.split("\n"), 1) if char in ln]
    more = f", … {len(lines) - shown} lainnya" if len(lines) > shown else ""
    return ", ".join(map(str, lines[:shown])) + more


def _replaced_note(text: str, encoding: str) -> str:
    return (
        f"byte yang tidak sah sebagai {encoding} diganti '{_REPLACED}' (baris {_lines_with(text, _REPLACED)}); "
        "periksa teks di baris itu"
    )


def _nul_note(text: str) -> str:
    return f"byte NUL diganti '{_REPLACED}' (baris {_lines_with(text, _REPLACED)}); sel itu tidak terbaca"


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
        self.text, plain, self.notes = decode_text(data)
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
