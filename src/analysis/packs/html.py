"""The packs' small HTML kit: every value from the data is escaped, key figures are findable.

A key figure carries ``data-angka`` (its name), ``data-nilai`` (the machine value) and, where
relevant, ``data-wilayah`` / ``data-kontestasi`` / ``data-paslon`` so tests can find what a reader
sees (:func:`figures`).
"""

from __future__ import annotations

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


def tabel(
    kolom: list[str], baris: list[list[object]], kanan: tuple[int, ...] = (), kelas: str = "tabel"
) -> Html:
    """A small table; every cell is escaped unless it is :class:`Html`; ``kanan``: numeric columns."""

    def cls(i: int) -> str:
        return ' class="kanan"' if i in kanan else ""

    th = "".join(f'<th{cls(i)} scope="col">{esc(k)}</th>' for i, k in enumerate(kolom))
    rows = []
    for r in baris:
        tds = "".join(f"<td{cls(i)}>{esc(v)}</td>" for i, v in enumerate(r))
        rows.append(f"<tr>{tds}</tr>")
    return Html(
        f'<div class="tabel-gulir"><table class="{esc(kelas)}"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
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
