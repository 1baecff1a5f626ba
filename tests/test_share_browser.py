"""The locked edition in headless Chromium, driven over the DevTools protocol as a reader would use
it: type the passphrase, tap the button.

The pack is made by the real executor on test_packs' scenario with a passphrase in the
environment. Asserted: the right passphrase shows the same figures (``data-angka``) as the open
pack and offers the annex, whose download is the annex's bytes; a wrong one shows the message;
nothing leaves the page; the locked file shows no figure or name; the decrypted page keeps its own
CSP (a script identical to the opener is refused by it); without WebCrypto (a page served over
plain HTTP, as some messaging apps' viewers do) the message says what to do; the unlock screen fits
a 390-px phone.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from test_browser import Browser, _chromium
from test_packs import build_processed

from analysis.packs import lock
from analysis.packs.execute import make_packs
from analysis.settings import Share

pytestmark = pytest.mark.slow

PASS = "kuda lumping senja merah"
ENV = "UJI_SANDI_BROWSER"
LOCAL = ("file:", "data:", "blob:")


@pytest.fixture(scope="module")
def browser():
    b = Browser(_chromium())
    yield b
    b.close()


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """The province pack of the scenario, open and locked (annex inside), by the real executor."""
    tmp = tmp_path_factory.mktemp("terkunci")
    processed = build_processed(tmp / "demo-16")
    share = Share.model_validate(
        {
            "locked_tiers": ["provinsi"],
            "required_tiers": ["provinsi"],
            "passphrase": {"env": ENV},
            "annex_tiers": ["provinsi"],
        }
    )
    os.environ[ENV] = PASS
    try:
        result = make_packs(
            "2024-11-28", "16", 0, processed, tmp / "reports", 0, progress=False, share=share
        )
    finally:
        del os.environ[ENV]
    assert result.ok, result.summary()
    (pack,) = result.packs
    return {"open": pack.html, "locked": pack.locked, "annex": pack.annex}


# --- Driving the browser --------------------------------------------------------------------------


def _tab(b: Browser, phone: bool = True) -> str:
    b.events = []
    target = b.send("Target.createTarget", url="about:blank")["targetId"]
    s = b.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Network", "Page", "Runtime", "Log"):
        b.send(f"{domain}.enable", s)
    if phone:
        b.send(
            "Emulation.setDeviceMetricsOverride", s,
            width=390, height=844, deviceScaleFactor=2, mobile=True,
        )  # fmt: skip
    return s


def _open(b: Browser, page: Path, phone: bool = True) -> str:
    s = _tab(b, phone)
    b.send("Page.navigate", s, url=page.as_uri())
    b.wait_for("Page.loadEventFired")
    b.drain(0.3)
    return s


def _eval(b: Browser, s: str, expr: str) -> Any:
    return b.send("Runtime.evaluate", s, expression=expr, returnByValue=True)["result"].get("value")


def _tap(b: Browser, s: str, selector: str) -> None:
    box = json.loads(
        _eval(b, s, f"JSON.stringify(document.querySelector({selector!r}).getBoundingClientRect())")
    )
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for kind in ("mousePressed", "mouseReleased"):
        b.send("Input.dispatchMouseEvent", s, type=kind, x=x, y=y, button="left", clickCount=1)


def _unlock(b: Browser, s: str, passphrase: str) -> dict[str, Any]:
    """Type ``passphrase`` and tap "Buka laporan"; wait for the pack or the message."""
    _eval(b, s, "document.getElementById('sandi').focus()")
    b.send("Input.insertText", s, text=passphrase)
    _tap(b, s, "#tombol")
    deadline = time.monotonic() + 60
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        b.drain(0.2)
        state = json.loads(
            _eval(
                b, s,
                """JSON.stringify({
                    figures: document.querySelectorAll('[data-angka]').length,
                    message: (document.getElementById('pesan') || {}).textContent || '',
                    html: document.documentElement.outerHTML,
                    title: document.title,
                    pwned: window.__pwned || null,
                })""",
            )
        )  # fmt: skip
        if state["figures"] or "salah" in state["message"] or state["title"] == "uji":
            break
    return state


def _requests(b: Browser) -> list[str]:
    return [
        e["params"]["request"]["url"]
        for e in b.events
        if e.get("method") == "Network.requestWillBeSent"
    ]


_TAG = re.compile(r"<[a-z0-9]+\s[^>]*\bdata-angka=[^>]*>")
_ATTR = re.compile(r'\b(data-[a-z-]+)="([^"]*)"')


def _figures(page: str) -> list[tuple[tuple[str, str], ...]]:
    """Every key figure of a page with all its data-* attributes, as a comparable list."""
    return sorted(
        tuple(sorted((k, html.unescape(v)) for k, v in _ATTR.findall(tag)))
        for tag in _TAG.findall(page)
    )


# --- The tests ------------------------------------------------------------------------------------


def test_right_passphrase_shows_the_same_figures_and_nothing_leaves(browser, made):
    s = _open(browser, made["locked"])
    state = _unlock(browser, s, PASS)
    opened = _figures(made["open"].read_text(encoding="utf-8"))
    assert len(opened) > 20 and _figures(state["html"]) == opened
    assert state["title"].startswith("Laporan Harian Desk Pilkada · Sumatera Selatan")
    assert state["pwned"] is None  # the scenario's incident text carries a script payload
    assert [u for u in _requests(browser) if not u.startswith(LOCAL)] == []
    assert _requests(browser)[0] == made["locked"].as_uri()
    # it prints as the open pack does (the annex button is not printed)
    pdf = base64.b64decode(browser.send("Page.printToPDF", s, timeout=60)["data"])
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pages == browser.open(made["open"])["pdf_pages"]


def test_the_annex_downloads_from_the_opened_pack(browser, made, tmp_path):
    s = _open(browser, made["locked"])
    _unlock(browser, s, PASS)
    link = json.loads(
        _eval(browser, s, "JSON.stringify([...document.querySelectorAll('a.unduh-lampiran')]"
              ".map(a => [a.download, a.href.slice(0, 5), a.textContent]))")
    )  # fmt: skip
    assert link == [["16.xlsx", "blob:", "Unduh lampiran Excel (16.xlsx)"]]
    browser.send(
        "Browser.setDownloadBehavior", behavior="allow", downloadPath=str(tmp_path),
        eventsEnabled=True,
    )  # fmt: skip
    _tap(browser, s, "a.unduh-lampiran")
    deadline = time.monotonic() + 30
    while not (tmp_path / "16.xlsx").exists() and time.monotonic() < deadline:
        browser.drain(0.2)
    assert (tmp_path / "16.xlsx").read_bytes() == made["annex"].read_bytes()
    assert [u for u in _requests(browser) if not u.startswith(LOCAL)] == []


def test_wrong_passphrase_shows_the_message(browser, made):
    s = _open(browser, made["locked"])
    state = _unlock(browser, s, "kuda lumping senja biru")
    assert state["figures"] == 0
    assert state["message"].startswith("Kata sandi salah")
    assert _eval(browser, s, "document.getElementById('tombol').disabled") is False
    assert [u for u in _requests(browser) if not u.startswith(LOCAL)] == []


def test_the_locked_file_shows_no_figure_or_name(made):
    locked = made["locked"].read_text(encoding="utf-8")
    opened = made["open"].read_text(encoding="utf-8")
    clear = re.sub(r"(<div id=\"(?:muatan|lampiran)\"[^>]*>)[^<]*</div>", r"\1</div>", locked)
    template, script, _ = lock.opener()
    envelope = template.template + script  # text any locked file holds, whatever its pack
    values = {v for f in _figures(opened) for k, v in f if k == "data-nilai" and v not in envelope}
    assert len(values) > 10
    names = {"Sumatera Selatan", "Palembang", "Pagar Alam", "Herman Deru", "Pleno PPK tertunda"}
    assert names <= set(re.findall("|".join(names), opened))  # they are in the open pack …
    assert [x for x in values | names if x in clear] == []  # … and not in the locked one
    assert "data-angka" not in locked and len(locked) > len(opened)


class _Text(HTMLParser):
    """Every text run of a page outside <style> and <script>, whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.runs: set[str] = set()
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self._skip += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if not self._skip and len(text) >= 4 and any(ch.isalnum() for ch in text):
            self.runs.add(text)


def test_no_text_of_the_pack_is_in_clear(made):
    """No text run of the open pack (sentences, names, figures as shown, table cells) is in the
    locked file outside its ciphertexts, but for the envelope's label: TERBATAS, the DATA
    SIMULASI sentence, the report date and the wording every locked file has."""
    locked = made["locked"].read_text(encoding="utf-8")
    clear = html.unescape(
        re.sub(r"(<div id=\"(?:muatan|lampiran)\"[^>]*>)[^<]*</div>", r"\1</div>", locked)
    )
    template, script, _ = lock.opener()
    label = {"TERBATAS", lock.SIMULASI, "Kamis, 28 November 2024"}
    pack = _Text()
    pack.feed(made["open"].read_text(encoding="utf-8"))
    assert len(pack.runs) > 200
    leaked = [
        t for t in pack.runs
        if t in clear and t not in template.template + script and not any(t in x for x in label)
    ]  # fmt: skip
    assert leaked == []


def test_the_decrypted_page_keeps_its_own_csp(browser, tmp_path):
    """Scripts, handlers and remote loads in decrypted content are refused; a script identical
    to the opener (allowed by the opener's hash) is refused by the pack's own policy."""
    _, script, digest = lock.opener()
    head = (
        '<!DOCTYPE html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">\n"
        "<title>uji</title></head><body>"
    )
    body = (
        '<p data-angka="x" data-nilai="1">isi</p><script>window.__pwned=1</script>'
        '<img src="http://example.invalid/a.png"><img src=x onerror="window.__pwned=2">'
        '<link rel="stylesheet" href="http://example.invalid/s.css">'
        '<iframe src="http://example.invalid/f"></iframe>'
        '<div style="background:url(http://example.invalid/bg.png)">bg</div>'
        f"<script>{script}</script></body></html>"
    )
    page = tmp_path / "uji.terkunci.html"
    page.write_text(
        lock.lock_page(head + body, lock.derive_key(PASS, 100_000), "16", "2024-11-28", False)
    )
    s = _open(browser, page)
    state = _unlock(browser, s, PASS)
    browser.drain(1.0)
    assert state["title"] == "uji" and _eval(browser, s, "window.__pwned || null") is None
    blocked = {
        e["params"]["requestId"]
        for e in browser.events
        if e.get("method") == "Network.loadingFailed" and e["params"].get("blockedReason") == "csp"
    }
    remote = [
        e["params"]["requestId"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
        and not e["params"]["request"]["url"].startswith(LOCAL)
    ]
    assert remote and set(remote) <= blocked  # every remote load was stopped by CSP
    logs = [e["params"]["entry"]["text"] for e in browser.events if e.get("method") == "Log.entryAdded"]  # fmt: skip
    assert any(
        "inline script" in t and "'default-src 'none''" in t and digest in t for t in logs
    )  # the opener-identical script: refused by the pack's policy


def _serve_over_http(b: Browser, s: str, url: str, body: bytes) -> None:
    """Navigate to ``url`` and answer its request with ``body`` from here (Fetch interception):
    an http page of another host is not a secure context, so WebCrypto is absent."""
    b.send("Fetch.enable", s, patterns=[{"urlPattern": url}])
    b._id += 1
    msg = {"id": b._id, "method": "Page.navigate", "params": {"url": url}, "sessionId": s}
    os.write(b._w, json.dumps(msg).encode() + b"\0")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        m = b._read_message(deadline - time.monotonic())
        if m is None:
            break
        b.events.append(m)
        if m.get("method") == "Fetch.requestPaused":
            b.send(
                "Fetch.fulfillRequest", s, requestId=m["params"]["requestId"], responseCode=200,
                responseHeaders=[{"name": "Content-Type", "value": "text/html; charset=utf-8"}],
                body=base64.b64encode(body).decode(),
            )  # fmt: skip
        if m.get("method") == "Page.loadEventFired":
            return
    raise TimeoutError("page did not load")


def test_without_webcrypto_the_message_says_what_to_do(browser, made):
    s = _tab(browser)
    _serve_over_http(browser, s, "http://desk.test/16.terkunci.html", made["locked"].read_bytes())
    state = json.loads(
        _eval(
            browser, s,
            """JSON.stringify({secure: window.isSecureContext, subtle: !!(window.crypto && crypto.subtle),
                form: document.getElementById('buka').hidden,
                text: document.getElementById('tanpa-webcrypto').innerText})""",
        )
    )  # fmt: skip
    assert state["secure"] is False and state["subtle"] is False and state["form"] is True
    assert "WebCrypto" in state["text"] and "Chrome" in state["text"]
    assert "aplikasi Berkas" in state["text"]


def test_unlock_screen_fits_a_phone(browser, made, tmp_path):
    s = _open(browser, made["locked"], phone=True)
    layout = json.loads(
        _eval(
            browser, s,
            """JSON.stringify({width: document.documentElement.scrollWidth,
                input: document.getElementById('sandi').getBoundingClientRect().width,
                button: document.getElementById('tombol').getBoundingClientRect().bottom,
                font: getComputedStyle(document.getElementById('sandi')).fontSize,
                text: document.body.innerText})""",
        )
    )  # fmt: skip
    assert layout["width"] <= 390 and 300 <= layout["input"] <= 390
    assert layout["button"] <= 844  # the form is on the first screen
    assert float(layout["font"].removesuffix("px")) >= 16  # iOS does not zoom into the field
    assert "TERBATAS" in layout["text"] and "DATA SIMULASI" in layout["text"]
    shot = browser.send("Page.captureScreenshot", s)["data"]
    (tmp_path / "terkunci-390.png").write_bytes(base64.b64decode(shot))
