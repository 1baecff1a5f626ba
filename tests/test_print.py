"""The pack at the length of a morning meeting, on a phone and on a wall screen.

Unit tests: the closing block (laporan harian) from settings, the print marks, which rows a print
keeps and which columns a phone shows, and the split of one executed notebook into the pack, its
technical annex and its command-centre edition. Browser tests (slow): the demo's packs printed by
Debian's headless Chromium to A4 (page counts, the marks on every page, read back with
``pdftotext``), at 390 px, and the command-centre edition at 1920×1080.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from analysis.packs import sections, wall
from analysis.packs.html import PHONE_WIDTH_PX, column_widths, phone_columns, print_rows, tabel
from analysis.packs.load import load_pack
from analysis.packs.paged import PageMarks, annex_path, page_marks_css, wall_path
from analysis.packs.render import write_pages
from analysis.settings import load_settings

PROVINCE_PAGES = 12
KABKOTA_PAGES = 8


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_packs import build_processed

    return build_processed(tmp_path_factory.mktemp("processed") / "demo-16")


# --- closing block ---------------------------------------------------------------------------


def test_closing_block_takes_titles_and_names_from_settings(processed: Path) -> None:
    pack = load_pack(processed, "2024-11-28", "kabkota", "16.71")
    html = sections.section_penutup(pack)
    assert 'data-nilai="LH-DP/16.71/20241128"' in html
    assert "Kota Palembang, 28 November 2024" in html
    assert "Mengetahui," in html and "Ketua Desk Pilkada Kota Palembang" in html
    assert "Sekretaris Desk Pilkada Kota Palembang" in html
    assert html.count("(" + "." * 36 + ")") == 2  # no names configured: lines to sign on

    closing = {
        "nomor": "{bulan_romawi}/{tahun}/{kode}",
        "tempat": {"16.71": "Palembang"},
        "signatories_by_unit": {
            "16.71": [{"peran": "Mengetahui", "jabatan": "Sekda {wilayah}", "nama": "Nama Uji"}]
        },
    }
    pack.settings = load_settings(briefing={"closing": closing})
    html = sections.section_penutup(pack)
    assert 'data-nilai="XI/2024/16.71"' in html and "Palembang, 28 November 2024" in html
    assert "Sekda Kota Palembang" in html and "Nama Uji" in html and "Sekretaris" not in html


# --- print and phone rules of the table kit ----------------------------------------------------


def test_a_print_keeps_the_first_rows_and_says_how_many_it_left_out() -> None:
    short = [[f"Kecamatan {i}", i] for i in range(18)]
    assert print_rows(short, 2) == 12  # the twelve worst child units of a table sorted so
    html = tabel(["Wilayah", "n"], [[f"W{i}", i] for i in range(40)], kanan=(1,))
    assert html.count('<tr class="lewat-cetak">') == 28
    assert "Cetakan memuat 12 dari 40 baris" in html
    assert print_rows(short, 2, cetak=5) == 5
    long_text = [["x " * 300, "y"] for _ in range(10)]  # recommendations: many lines a row
    assert print_rows(long_text, 2) == 3
    assert "lewat-cetak" not in tabel(["a"], [["b"]]) and "Cetakan" not in tabel(["a"], [["b"]])


def test_a_phone_shows_the_columns_that_fit_and_opens_the_rest() -> None:
    kolom = ["Dilaporkan", "Lokasi", "Kategori", "Keparahan", "Uraian"]
    row = ["Kamis, 28 November 2024 08.05 WIB", "Karanganyar", "Infrastruktur", "Tinggi", "x " * 80]
    widths = column_widths(kolom, [row], ())
    shown = phone_columns(widths)
    assert 0 in shown and sum(widths[i] for i in shown) <= PHONE_WIDTH_PX
    html = tabel(kolom, [row])
    hidden = [k for i, k in enumerate(kolom) if i not in shown]
    assert f"Kolom lain ({len(hidden)}): {', '.join(hidden)}" in html
    assert html.count('class="rinci"') == 2 * len(hidden)  # header and cell of each
    assert phone_columns(widths, inti=(1, 3)) == (1, 3)
    assert "kolom-lain" not in tabel(["Wilayah", "Status"], [["A", "aman"]])


# --- print marks and the three pages of one notebook ----------------------------------------------


def test_page_marks_cannot_break_out_of_the_style() -> None:
    css = page_marks_css(PageMarks('Kota "X" </style><b>', dt.date(2024, 11, 28), True))
    assert "</style>" not in css and '"X"' not in css and "<" not in css
    assert "TERBATAS · DATA SIMULASI" in css and "28 November 2024" in css
    assert 'counter(page) " dari " counter(pages)' in css
    assert "SIMULASI" not in page_marks_css(PageMarks("A", dt.date(2024, 11, 28), False))


def _cell(html: str, tags: list[str] | None = None) -> nbformat.NotebookNode:
    c = nbformat.v4.new_code_cell("")
    c.outputs = [nbformat.v4.new_output("display_data", data={"text/html": html})]
    if tags:
        c.metadata["tags"] = tags
    return c


def test_one_notebook_gives_the_pack_its_annex_and_its_slides(processed: Path, tmp_path) -> None:
    pack = load_pack(processed, "2024-11-28", "provinsi", "16")
    nb = nbformat.v4.new_notebook()
    nb.cells = [_cell(f(pack)) for f in sections.SECTIONS]
    nb.cells += [_cell(f(pack), ["lampiran"]) for f in sections.ANNEX_SECTIONS]
    nb.cells.append(_cell(wall.slides(pack), ["layar"]))
    out = tmp_path / "provinsi" / "16.html"
    sizes = write_pages(nb, out, "uji", PageMarks(pack.nama, pack.tanggal, pack.run.demo))
    assert set(sizes) == {"paket", "lampiran", "layar"}
    html, annex = out.read_text(), annex_path(out).read_text()
    slides = wall_path(out).read_text()
    # the technical material left the pack for the annex; the pack links to it and sums it up
    assert 'id="sumber"' not in html and 'id="kualitas"' not in html
    assert 'id="sumber"' in annex and 'id="kualitas"' in annex and 'data-angka="sha256"' in annex
    assert 'href="16.lampiran.html"' in html and 'href="16.html"' in annex
    assert 'id="lampiran"' in html and 'id="penutup"' in html
    # a contents list with an anchor to every titled section, after the first one
    nav = re.search(r"<nav [^>]*daftar-isi.*?</nav>", html, re.S).group(0)
    ids = re.findall(r'<section class="bagian" id="([^"]+)"><h2>', html)
    assert re.findall(r'href="#([^"]+)"', nav) == ids and "penutup" in ids
    assert html.index('id="kepala"') < html.index("<nav ") < html.index('id="ringkasan"')
    # the same head on every page: CSP, and the marks of the printed margins
    for page in (html, annex, slides):
        assert "Content-Security-Policy" in page and "<script" not in page
        assert "@top-left" in page and "counter(pages)" in page
    assert "Lampiran teknis" in annex and "Edisi pusat komando" in slides
    n = slides.count('<section class="slide">')
    assert 1 <= n <= wall.MAX_SLIDES
    # a notebook without annex or slide cells leaves no stale companion page behind
    nb.cells = nb.cells[:2]
    assert set(write_pages(nb, out, "uji")) == {"paket"}
    assert not annex_path(out).exists() and not wall_path(out).exists()


# --- In Chromium: the demo's packs printed, on a phone, on a wall -------------------------------


def _poppler() -> None:
    if shutil.which("pdftotext") and shutil.which("pdfinfo"):
        return
    if shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "poppler-utils"], capture_output=True)
    if not shutil.which("pdftotext"):
        pytest.fail("pdftotext/pdfinfo (poppler-utils) are not installed")


@pytest.fixture(scope="module")
def demo_packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo of one kab/kota (Kota Prabumulih) through the daily brief, and its province's pack."""
    from analysis import daily, demo
    from analysis.packs.execute import make_packs

    root = tmp_path_factory.mktemp("print")
    settings = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"}
    )
    raw = root / "raw" / "demo-1674"
    demo.generate("16.74", settings.demo.seed, settings.demo.as_of, raw)
    args = argparse.Namespace(date=None, scope="16.74", depth=0, raw=raw, workers=1)
    assert daily.run(args, settings) == 0
    processed = root / "processed" / "demo-1674"
    result = make_packs("2024-11-28", "16", 0, processed, root / "reports", 0, progress=False)
    assert result.ok, result.summary()
    day = root / "reports" / "2024-11-28"
    return {"provinsi": day / "provinsi" / "16.html", "kabkota": day / "kabkota" / "16.74.html"}


def _print_to_pdf(page: Path, pdf: Path) -> None:
    from test_browser import CHROMIUM_FLAGS, _chromium

    flags = [f for f in CHROMIUM_FLAGS if f != "--remote-debugging-pipe"]
    cmd = [_chromium(), *flags, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", page.as_uri()]
    subprocess.run(cmd, capture_output=True, timeout=180, check=False)
    assert pdf.exists(), f"chromium printed nothing for {page}"


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    n = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert "A4" in info
    return [
        subprocess.run(
            ["pdftotext", "-f", str(i), "-l", str(i), "-layout", str(pdf), "-"],
            capture_output=True,
            text=True,
        ).stdout
        for i in range(1, n + 1)
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tier", "limit"), [("provinsi", PROVINCE_PAGES), ("kabkota", KABKOTA_PAGES)]
)
def test_print_fits_and_every_page_carries_the_marks(demo_packs, tmp_path, tier, limit) -> None:
    _poppler()
    pack = demo_packs[tier]
    pdf = tmp_path / f"{tier}.pdf"
    _print_to_pdf(pack, pdf)
    pages = _pages(pdf)
    assert 1 <= len(pages) <= limit
    nama = "Sumatera Selatan" if tier == "provinsi" else "Kota Prabumulih"
    for i, text in enumerate(pages, 1):
        flat = " ".join(text.split())
        assert "TERBATAS" in flat and "DATA SIMULASI" in flat, i
        assert nama in flat and "28 November 2024" in flat, i
        assert f"halaman {i} dari {len(pages)}" in flat, i
        assert len(flat) > 400, f"page {i} of {len(pages)} is near-empty"
    last = " ".join(pages[-1].split())
    assert "Mengetahui," in last and "Nomor" in last
    annex = tmp_path / f"{tier}-lampiran.pdf"
    _print_to_pdf(annex_path(pack), annex)
    for i, text in enumerate(_pages(annex), 1):
        assert "TERBATAS" in text and "Lampiran teknis" in text and "halaman" in text, i


def _look(browser, page: Path, width: int, height: int, mobile: bool, expression: str) -> dict:
    """Open ``page`` at a screen size, run ``expression`` (a JSON string), return it and the
    requests the page made."""
    browser.events = []
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Network", "Page", "Runtime"):
        browser.send(f"{domain}.enable", session)
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=mobile,
    )
    browser.send("Page.navigate", session, url=page.as_uri())
    browser.wait_for("Page.loadEventFired")
    browser.drain(0.5)
    value = browser.send("Runtime.evaluate", session, returnByValue=True, expression=expression)
    browser.send("Target.closeTarget", targetId=target)
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    return {"requests": requests, **json.loads(value["result"]["value"])}


_WALL = """JSON.stringify((() => {
  const slides = [...document.querySelectorAll('section.slide')];
  let smallest = 1e9;
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (own && box.width > 0 && box.height > 0)
      smallest = Math.min(smallest, parseFloat(getComputedStyle(el).fontSize));
  }
  return {
    slides: slides.length,
    ratios: slides.map(s => s.getBoundingClientRect().width / s.getBoundingClientRect().height),
    smallest: smallest,
    cut: slides.filter(s => s.scrollHeight > s.clientHeight + 1).length,
    first: slides.length ? slides[0].innerText : '',
    wide: document.documentElement.scrollWidth,
    scripts: document.scripts.length,
  };
})())"""


@pytest.mark.slow
def test_command_centre_edition_is_legible_across_a_room(demo_packs) -> None:
    from test_browser import Browser, _chromium

    b = Browser(_chromium())
    try:
        for pack in demo_packs.values():
            page = wall_path(pack)
            seen = _look(b, page, 1920, 1080, False, _WALL)
            assert seen["requests"] == [page.as_uri()]
            assert 3 <= seen["slides"] <= wall.MAX_SLIDES and seen["scripts"] == 0
            assert all(abs(r - 16 / 9) < 0.02 for r in seen["ratios"])
            assert seen["smallest"] >= wall.MIN_FONT_PX
            assert seen["wide"] <= 1920 and seen["cut"] == 0  # no slide overflows its screen
            assert "Yang perlu diputuskan hari ini" in seen["first"]  # the opening slide decides
    finally:
        b.close()


_PHONE = """JSON.stringify((() => {
  const visible = el => el.getClientRects().length > 0;
  const bad = [];
  for (const w of document.querySelectorAll('.tabel-gulir')) {
    if (!visible(w) || w.scrollWidth <= w.clientWidth + 1) continue;
    const hint = w.previousElementSibling;  // "Kolom lain" or the scroll note, when it shows
    if (!hint || !visible(hint)) bad.push(w.querySelector('th') ? w.querySelector('th').textContent : '?');
  }
  const hidden = document.querySelectorAll('.tabel-gulir td.rinci').length;
  const shownBefore = [...document.querySelectorAll('.tabel-gulir td.rinci')].filter(visible).length;
  document.querySelectorAll('details.kolom-lain').forEach(d => d.open = true);
  const shownAfter = [...document.querySelectorAll('.tabel-gulir td.rinci')].filter(visible).length;
  return {bad, hidden, shownBefore, shownAfter, width: document.documentElement.scrollWidth};
})())"""


@pytest.mark.slow
def test_phone_tables_fit_and_open_the_rest_on_demand(demo_packs) -> None:
    from test_browser import Browser, _chromium

    b = Browser(_chromium())
    hidden = 0
    try:
        for pack in demo_packs.values():
            for page in (pack, annex_path(pack)):
                seen = _look(b, page, 390, 844, True, _PHONE)
                assert seen["requests"] == [page.as_uri()]
                assert seen["bad"] == [], f"{page.name}: tables scroll without saying so"
                assert seen["width"] <= 390, page.name
                assert seen["shownBefore"] == 0
                assert seen["shownAfter"] == seen["hidden"]
                hidden += seen["hidden"]
        assert hidden > 0  # some wide table did leave columns for "Kolom lain"
    finally:
        b.close()
