"""Render an executed pack notebook to one self-contained HTML page (the one HTML renderer).

:func:`to_html` converts it with the template in ``html_template/``: code hidden, no prompts, no
script of any kind, no request to any other host, a Content-Security-Policy meta tag, a
phone-first stylesheet and a print stylesheet with a page break per section.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

TEMPLATE_DIR = Path(__file__).parent / "html_template"

#: The head of every page we write ourselves (index, archive, flash reports): no script, no request
#: to any host, no referrer. One home for it; the pack template and the locked edition carry theirs.
SAFE_HEAD = (
    '<meta charset="utf-8">\n'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
    "style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="referrer" content="no-referrer">'
)


# Active or fetching markup. Outputs are already escaped by the pack content; this is the template's
# own guarantee that nothing it emits can run or fetch, whatever an output holds (CSP is the third).
_SUSPECT = re.compile(
    r"<\s*/?\s*(script|iframe|frame|object|embed|applet|link|base|meta|form|portal|foreignobject)\b"
    r"|\son[a-z]+\s*=|javascript:|vbscript:"
    r"|\b(src|href|srcset|action|formaction|poster|background|data|ping)\s*=",
    re.IGNORECASE,
)
_DROP_TAGS = (
    "script", "iframe", "frame", "object", "embed", "applet", "link", "base", "meta", "form",
    "portal", "foreignObject", "foreignobject", "noscript",
)  # fmt: skip
# a page beside the pack in the same folder: the pack itself, its technical annex, its slides
_SIBLING = re.compile(r"[0-9][0-9.]*?(\.lampiran|\.layar)?\.html(#[\w\-]*)?")
_URL_ATTRS = {
    "src",
    "href",
    "xlink:href",
    "srcset",
    "action",
    "formaction",
    "poster",
    "background",
    "data",
    "ping",
}


_PACK_LINK = re.compile(r"\.\./(nasional|provinsi|kabkota|kecamatan)/[0-9][0-9.]*\.html")


def _safe_url(tag: str, attr: str, value: str) -> bool:
    """Only in-page anchors and inline data images may stay; links may point anywhere but scripts."""
    v = "".join(value.split()).lower()
    if v.startswith("#"):
        return True
    if (
        attr in ("src", "xlink:href", "href")
        and v.startswith("data:image/")
        and not v.startswith("data:image/svg")
    ):
        return True
    # a plain link is not a request until a reader follows it; it may not run script. The relative
    # links allowed: another pack of the same report date (navigation: ../<tingkat>/<kode>.html),
    # a pack's technical annex or command-centre edition beside it (and the way back).
    if tag == "a" and attr == "href" and (_PACK_LINK.fullmatch(v) or _SIBLING.fullmatch(v)):
        return True
    return tag == "a" and attr == "href" and v.startswith(("http://", "https://", "mailto:"))


def _unsafe_attr(tag: str, name: str, value: str) -> bool:
    if name.startswith("on"):
        return True
    if name in _URL_ATTRS or name.endswith(":href"):
        return not _safe_url(tag, name, value)
    return name == "style" and bool(re.search(r"url\s*\(|expression\s*\(|@import", value, re.I))


def defuse(fragment: str) -> str:
    """Remove anything from an HTML/SVG output that could run or fetch when the page opens.

    Drops script-like elements, ``on*`` handlers and URL attributes that would load something
    (a link's ``href`` to a web page stays: following it is the reader's choice). Cheap for clean
    output: the parser only runs when a quick scan finds something suspect.
    """
    if not _SUSPECT.search(fragment):
        return fragment
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(fragment, "html.parser")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        for attr in list(tag.attrs):
            value = tag.attrs[attr]
            text = " ".join(value) if isinstance(value, list) else str(value)
            if _unsafe_attr(tag.name.lower(), attr.lower(), text):
                del tag.attrs[attr]
    for style in soup.find_all("style"):
        if re.search(r"url\s*\(|@import", style.get_text(), re.I):
            style.decompose()
    return str(soup)


def defuse_notebook(nb: NotebookNode) -> NotebookNode:
    """:func:`defuse` every HTML, SVG and Markdown output of ``nb`` (in place; returns it)."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            for mime in ("text/html", "image/svg+xml", "text/markdown"):
                if mime in data:
                    text = data[mime]
                    text = "".join(text) if isinstance(text, list) else text
                    data[mime] = defuse(text)
    return nb


@lru_cache(maxsize=1)
def _exporter() -> Any:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PackExporter(HTMLExporter):
        """nbconvert's HTML exporter without its final whole-page BeautifulSoup pass.

        That pass only adds alt text to images (the template writes its own) and tab stops to
        lab-template cells (absent here), yet re-parses 150 KB of SVG per pack.
        """

        def from_notebook_node(self, nb: NotebookNode, resources: Any = None, **kw: Any) -> Any:
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PackExporter(
        extra_template_basedirs=[str(TEMPLATE_DIR.parent)],
        template_name=TEMPLATE_DIR.name,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


# The pages one executed pack notebook gives: cells tagged ``lampiran`` make the technical annex,
# cells tagged ``layar`` the command-centre edition, the others the pack. page -> (stylesheet,
# main element's class, what the printed margin calls it).
PAGES = {
    "paket": ("pack.css", "laporan", "Laporan Harian Desk Pilkada"),
    "lampiran": ("pack.css", "laporan", "Lampiran teknis"),
    "layar": ("layar.css", "layar", "Edisi pusat komando"),
}
_SECTION = re.compile(r'<section class="bagian" id="([^"]+)"><h2>(.*?)</h2>', re.S)


def page_cells(nb: NotebookNode, page: str) -> NotebookNode:
    """A shallow copy of ``nb`` holding the cells of one page (see :data:`PAGES`)."""
    tagged = {t for t in PAGES if t != "paket"}

    def on_page(cell: NotebookNode) -> bool:
        tags = set(cell.get("metadata", {}).get("tags", []))
        return page in tags if page != "paket" else not tags & tagged

    out = copy.copy(nb)
    out.cells = [c for c in nb.cells if on_page(c)]
    return out


def _html_outputs(cell: NotebookNode) -> list[str]:
    texts = []
    for out in cell.get("outputs", []):
        html = (out.get("data") or {}).get("text/html")
        if html:
            texts.append("".join(html) if isinstance(html, list) else html)
    return texts


def with_contents(nb: NotebookNode) -> NotebookNode:
    """``nb`` with a contents list (anchors to every titled section) after the first screen's
    answer (``#jawaban``), else after its first section."""
    found = [m.groups() for c in nb.cells for t in _html_outputs(c) for m in _SECTION.finditer(t)]
    first = next((i for i, c in enumerate(nb.cells) if _html_outputs(c)), None)
    # the first phone screen is the answer: the contents list follows it when there is one
    answer = next(
        (i for i, c in enumerate(nb.cells) if any('id="jawaban"' in t for t in _html_outputs(c))),
        first,
    )
    if len(found) < 2 or first is None:
        return nb
    items = "".join(f'<li><a href="#{id_}">{title}</a></li>' for id_, title in found)
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": f'<nav class="daftar-isi" aria-label="Daftar isi"><h2>Daftar isi</h2>'
                f"<ol>{items}</ol></nav>",
            },
        )
    ]
    out = copy.copy(nb)
    out.cells = [*nb.cells[: answer + 1], cell, *nb.cells[answer + 1 :]]
    return out


def to_html(nb: NotebookNode, title: str, marks: str = "", page: str = "paket") -> str:
    """Render an executed notebook as one self-contained HTML page (see module docstring);
    ``marks``: the ``@page`` rule of the printed margins (:func:`analysis.packs.paged.page_marks_css`)."""
    stylesheet, main, _ = PAGES[page]
    nb = defuse_notebook(copy.deepcopy(nb))
    resources = {
        "metadata": {"name": title},
        "desk": {"stylesheet": stylesheet, "main": main, "marks": marks},
    }
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


_TITLE, _MARKS, _BODY = "@@judul@@", "@@tanda@@", "@@isi@@"


@lru_cache(maxsize=len(PAGES))
def _shell(page: str) -> tuple[str, str]:
    """The template's page around one cell's output, rendered once per kind of page: (before,
    after), with the title and the marks left as tokens."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": _BODY})]
    nb.cells = [cell]
    html = to_html(nb, _TITLE, _MARKS, page)
    before, after = html.split(_BODY)
    return before, after


def to_html_light(nb: NotebookNode, title: str, marks: str = "", page: str = "paket") -> str:
    """:func:`to_html` for a page whose cells only show HTML (the annex, the slides): the same
    template's page, rendered once, around each cell's defused output; no exporter run per pack."""
    import html as html_lib

    before, after = _shell(page)
    sep = (
        after[: after.index("</div>") + len("</div>")] + before[before.rindex('<div class="sel') :]
    )
    bodies = [defuse(t) for c in nb.cells for t in _html_outputs(c)]
    before = before.replace(_TITLE, html_lib.escape(title)).replace(_MARKS, marks)
    return before + sep.join(bodies) + after


def _write(out: Path, html: str) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out.stat().st_size


def write_html(nb: NotebookNode | Path, out: Path, title: str, marks: str = "") -> int:
    """Render ``nb`` (a node or an .ipynb path) to ``out``; returns the size in bytes."""
    if isinstance(nb, Path):
        nb = nbformat.read(nb, as_version=4)
    return _write(out, to_html(nb, title, marks))


def write_pages(nb: NotebookNode, out: Path, title: str, marks: Any = None) -> dict[str, int]:
    """Write the pack ``out`` and, when the notebook has their cells, its technical annex and its
    command-centre edition beside it (:mod:`analysis.packs.paged`); returns bytes per page.

    ``marks``: a :class:`~analysis.packs.paged.PageMarks` for the printed margins, or None.
    """
    from dataclasses import replace

    from analysis.packs.paged import annex_path, page_marks_css, wall_path

    paths = {"paket": out, "lampiran": annex_path(out), "layar": wall_path(out)}
    sizes = {}
    for page, path in paths.items():
        cells = page_cells(nb, page)
        if page != "paket" and not any(_html_outputs(c) for c in cells.cells):
            path.unlink(missing_ok=True)  # no such page in this notebook: leave no stale one
            continue
        if page == "paket":
            cells = with_contents(cells)
        css = page_marks_css(replace(marks, halaman=PAGES[page][2])) if marks else ""
        render = to_html if page == "paket" else to_html_light
        sizes[page] = _write(
            path,
            render(cells, f"{PAGES[page][2]} · {title}" if page != "paket" else title, css, page),
        )
    return sizes
