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
    # a plain link is not a request until a reader follows it; it may not run script; a link to
    # another pack of the same report date (navigation: ../<tingkat>/<kode>.html) is one too
    if tag == "a" and attr == "href" and _PACK_LINK.fullmatch(v):
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


def to_html(nb: NotebookNode, title: str) -> str:
    """Render an executed notebook as one self-contained HTML page (see module docstring)."""
    nb = defuse_notebook(copy.deepcopy(nb))
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def write_html(nb: NotebookNode | Path, out: Path, title: str) -> int:
    """Render ``nb`` (a node or an .ipynb path) to ``out``; returns the size in bytes."""
    if isinstance(nb, Path):
        nb = nbformat.read(nb, as_version=4)
    html = to_html(nb, title)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out.stat().st_size
