"""What a printed page of a pack carries, and where a pack's companion pages live.

Every printed page (Chromium's A4 print, CSS paged media) carries in its margins the
classification TERBATAS, DATA SIMULASI when the data is the demo's, the unit, the report date and
"halaman X dari Y": :func:`page_marks_css` writes them as the page's own ``@page`` margin boxes,
set in the head of each page the renderer writes (the pack, its technical annex, its command-centre
edition). A pack ``<kode>.html`` has its technical annex in ``<kode>.lampiran.html`` and its
command-centre edition in ``<kode>.layar.html`` beside it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from analysis import fmt

ANNEX_SUFFIX = ".lampiran.html"
WALL_SUFFIX = ".layar.html"


def annex_path(pack_html: Path) -> Path:
    """The technical annex beside a pack: ``16.71.html`` → ``16.71.lampiran.html``."""
    return pack_html.with_name(pack_html.name.removesuffix(".html") + ANNEX_SUFFIX)


def wall_path(pack_html: Path) -> Path:
    """The command-centre edition beside a pack: ``16.71.html`` → ``16.71.layar.html``."""
    return pack_html.with_name(pack_html.name.removesuffix(".html") + WALL_SUFFIX)


@dataclass(frozen=True)
class PageMarks:
    """The marks every printed page of one pack carries."""

    nama: str  # the unit, e.g. "Kota Palembang"
    tanggal: dt.date  # the report date
    simulasi: bool  # the data is the demo's
    halaman: str = "Laporan Harian Desk Pilkada"  # which page: the pack, its annex, its slides

    @property
    def klasifikasi(self) -> str:
        return "TERBATAS · DATA SIMULASI" if self.simulasi else "TERBATAS"


def _css_string(text: str) -> str:
    """``text`` as a CSS string literal that cannot end the string or the ``<style>`` element."""
    out = []
    for ch in text:
        if ch in '"\\<>&' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def page_marks_css(marks: PageMarks) -> str:
    """An ``@page`` rule whose margin boxes print the marks on every page."""
    box = "font: 7.5pt/1.2 system-ui, Arial, sans-serif; color: #3c4450;"
    left = _css_string(f"{marks.halaman} · {fmt.tanggal(marks.tanggal)}")
    return (
        "@media print { @page {"
        f" @top-left {{ content: {_css_string(marks.klasifikasi)}; {box}"
        " font-weight: 700; color: #a4161a; letter-spacing: 0.06em; }"
        f" @top-right {{ content: {_css_string(marks.nama)}; {box} }}"
        f" @bottom-left {{ content: {left}; {box} }}"
        f' @bottom-right {{ content: "halaman " counter(page) " dari " counter(pages); {box} }}'
        " } }"
    )
