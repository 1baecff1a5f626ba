"""The packs' small HTML kit: every value from the data is escaped, key figures are findable.

A key figure carries ``data-angka`` (its name), ``data-nilai`` (the machine value) and, where
relevant, ``data-wilayah`` / ``data-kontestasi`` / ``data-paslon`` so tests can find what a reader
sees (:func:`figures`).
"""

from __future__ import annotations

import functools
import html
import re

from analysis import fmt
from analysis.packs.labels import BELUM, CAVEAT


class Html(str):
    """Markup built here from escaped parts: safe to embed as is."""


def esc(x: object) -> str:
    """Escape any value for HTML text or a quoted attribute; None shows as an en dash."""
    if isinstance(x, Html):
        return x
    if x is None:
        return fmt.KOSONG
    return html.escape(str(x), quote=True)


def _data_attrs(attrs: dict[str, object]) -> str:
    return "".join(
        f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None
    )


def angka_el(
    nama: str, teks: str, nilai: object = None, tag: str = "span", **attrs: object
) -> Html:
    """A key figure a reader sees, findable by tests: ``<span data-angka="cakupan_internal" ...>``."""
    nil = f' data-nilai="{esc(nilai)}"' if nilai is not None else ""
    return Html(
        f'<{tag} class="angka" data-angka="{esc(nama)}"{nil}{_data_attrs(attrs)}>{esc(teks)}</{tag}>'
    )


# A phone column of the page: 390 px less the page's padding; text at 0.9 of 15 px is about 7 px a
# character, and a cell's padding and border about 10 px. Used to choose the columns a phone shows.
PHONE_WIDTH_PX = 374
_CHAR_PX = 7.2
_CELL_PX = 10
_WRAP_LINES = 3  # a text cell may wrap to this many lines before its column is too narrow
_TAG = re.compile(r"<[^>]*>")


def _text_width(cell: object, nowrap: bool) -> float:
    """Estimated px a cell needs at phone size: all of it when it may not wrap, else a third of
    it or its longest word, whichever is wider."""
    text = html.unescape(_TAG.sub("", esc(cell)))
    if nowrap:
        return len(text) * _CHAR_PX
    words = max((len(w) for w in text.split()), default=0)
    return max(words, -(-len(text) // _WRAP_LINES)) * _CHAR_PX


def column_widths(
    kolom: list[str], baris: list[list[object]], kanan: tuple[int, ...]
) -> list[float]:
    """Estimated px each column needs on a phone (header words wrap; numbers do not)."""
    out = []
    for i, k in enumerate(kolom):
        cells = [_text_width(r[i], i in kanan) for r in baris if i < len(r)]
        head = max((len(w) for w in str(k).split()), default=0) * _CHAR_PX
        out.append(max([head, *cells]) + _CELL_PX)
    return out


def phone_columns(widths: list[float], inti: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """The columns a phone shows at first: ``inti`` when given, else from the left, every column
    that still fits the phone's width (the first always)."""
    if inti is not None:
        return tuple(sorted(inti))
    keep, used = [], 0.0
    for i, w in enumerate(widths):
        if i == 0 or used + w <= PHONE_WIDTH_PX:
            keep.append(i)
            used += w
    return tuple(keep)


# A4 less its margins holds about this many characters of table text (8.5 pt) across a line.
_PRINT_LINE_CHARS = 115


@functools.lru_cache(maxsize=1)
def _print_lines() -> int:
    from analysis.settings import default_settings

    return default_settings().briefing.print_lines


def _row_lines(row: list[object], n_cols: int) -> int:
    """Estimated printed lines of a row: its longest cell wrapped in an equal share of the width."""
    per_col = max(10, _PRINT_LINE_CHARS // max(1, n_cols))
    longest = max((len(_TAG.sub("", esc(c))) for c in row), default=0)
    return max(1, -(-longest // per_col))


def print_rows(baris: list[list[object]], n_cols: int, cetak: int | None = None) -> int:
    """How many of ``baris`` a printed pack keeps: about ``briefing.print_lines`` printed lines
    (never fewer than three rows), and at most ``cetak`` rows when given."""
    max_lines = _print_lines()
    lines = 0
    for n, r in enumerate(baris):
        lines += _row_lines(r, n_cols)
        if (cetak is not None and n >= cetak) or (n >= 3 and lines > max_lines):
            return n
    return len(baris)


def _more_columns(kolom: list[str], hidden: list[int], scrolls: bool) -> str:
    """The phone's switch for the columns it leaves out (no script: a ``<details>`` whose open
    state shows them, by CSS), and the note that the table then scrolls sideways."""
    names = ", ".join(esc(kolom[i]) for i in hidden)
    hint = '<p class="geser">Tabel lebih lebar dari layar: geser ke samping ↔</p>'
    return (
        f'<details class="kolom-lain"><summary>Kolom lain ({len(hidden)}): {names}</summary>'
        f"{hint}</details>"
        if hidden
        else (hint if scrolls else "")
    )


def tabel(
    kolom: list[str],
    baris: list[list[object]],
    kanan: tuple[int, ...] = (),
    kelas: str = "tabel",
    inti: tuple[int, ...] | None = None,
    cetak: int | None = None,
) -> Html:
    """A table; every cell is escaped unless it is :class:`Html`; ``kanan``: numeric columns.

    On a phone it shows the columns that fit (or ``inti``), the others open on demand; a print
    keeps the first rows (:func:`print_rows`) and says how many it left out.
    """
    widths = column_widths(kolom, baris, kanan)
    shown = phone_columns(widths, inti)
    hidden = [i for i in range(len(kolom)) if i not in shown]
    scrolls = sum(widths[i] for i in shown) > PHONE_WIDTH_PX

    def cls(i: int) -> str:
        names = (["kanan"] if i in kanan else []) + (["rinci"] if i in hidden else [])
        return f' class="{" ".join(names)}"' if names else ""

    th = "".join(f'<th{cls(i)} scope="col">{esc(k)}</th>' for i, k in enumerate(kolom))
    limit = print_rows(baris, len(kolom), cetak)
    rows = []
    for n, r in enumerate(baris):
        tds = "".join(f"<td{cls(i)}>{esc(v)}</td>" for i, v in enumerate(r))
        rows.append(f'<tr class="lewat-cetak">{tds}</tr>' if n >= limit else f"<tr>{tds}</tr>")
    note = (
        f'<p class="catatan hanya-cetak">Cetakan memuat {limit} dari {len(baris)} baris; '
        "daftar lengkap pada versi layar.</p>"
        if len(baris) > limit
        else ""
    )
    return Html(
        f"{_more_columns(kolom, hidden, scrolls)}"
        f'<div class="tabel-gulir"><table class="{esc(kelas)}"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{note}"
    )


def daftar(items: list[str]) -> Html:
    """A bulleted list of plain sentences."""
    return Html("<ul>" + "".join(f"<li>{esc(t)}</li>" for t in items) + "</ul>")


_FIGURE = re.compile(r"<[a-z0-9]+\s[^>]*\bdata-angka=\"([^\"]*)\"[^>]*>")


def figures(html_text: str, nama: str, **attrs: str) -> list[str]:
    """``data-nilai`` of every figure named ``nama`` in a pack's HTML, filtered by data-* attributes.

    E.g. ``figures(html, "suara_internal", kontestasi="pkwkp-16", paslon="1")`` → ``["310"]``; the
    end-to-end tests compare these with figures computed from the processed data.
    """
    out = []
    for m in _FIGURE.finditer(html_text):
        if m.group(1) != nama:
            continue
        tag = m.group(0)
        if all(
            f'data-{k.replace("_", "-")}="{html.escape(str(v))}"' in tag for k, v in attrs.items()
        ):
            nil = re.search(r'data-nilai="([^"]*)"', tag)
            out.append(html.unescape(nil.group(1)) if nil else "")
    return out


def bagian(id_: str, judul: str, isi: str) -> Html:
    """One section of the pack: the executor's template page-breaks before each."""
    return Html(f'<section class="bagian" id="{esc(id_)}"><h2>{esc(judul)}</h2>{isi}</section>')


def p(teks: str, kelas: str | None = None) -> Html:
    k = f' class="{esc(kelas)}"' if kelas else ""
    return Html(f"<p{k}>{esc(teks)}</p>")


def kosong(apa: str) -> Html:
    """The line a section shows when its data is absent."""
    return Html(f'<p class="kosong">{esc(apa)}: {BELUM}.</p>')


def grafik(svg: str, judul: str) -> Html:
    """An inline SVG chart (vl-convert output: its text is XML-escaped) with a caption."""
    return Html(f'<figure class="grafik">{svg}<figcaption>{esc(judul)}</figcaption></figure>')


def caveat() -> Html:
    return Html(f'<p class="caveat"><strong>Catatan:</strong> {esc(CAVEAT)}.</p>')
