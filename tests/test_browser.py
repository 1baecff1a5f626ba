"""A pack opened in headless Chromium with the network blocked: nothing is requested, the SVG charts
are there, and an incident description carrying script payloads runs nothing.

Chromium (Debian's ``chromium``) is installed by the test setup when missing. The page is driven
over the DevTools protocol on ``--remote-debugging-pipe`` (no extra Python package): every request
the page starts is recorded from ``Network.requestWillBeSent``, whatever its fate.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from analysis.packs.execute import make_packs

pytestmark = pytest.mark.slow

PAYLOADS = (
    "<script>document.title='PWNED';window.__pwned=1</script>"
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
    '<svg onload="window.__pwned=2"></svg>'
)

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--proxy-server=127.0.0.1:9",  # anything that tried to leave would hit a closed port
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
]


def _chromium() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        # a fresh CI machine: install once (takes a while)
        subprocess.run(["apt-get", "update", "-q"], check=False, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"], check=False, capture_output=True
        )
        found = shutil.which("chromium")
    if not found:
        pytest.fail("chromium is not installed and could not be installed with apt-get")
    return found


class Browser:
    """Headless Chromium spoken to over the DevTools pipe (fd 3 in, fd 4 out, NUL-separated JSON)."""

    def __init__(self, binary: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def _fds() -> None:  # in the child: the pipe ends become fds 3 and 4
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_fds,
            close_fds=False,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    def _read_message(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._r], [], [], left)[0]:
                return None
            chunk = os.read(self._r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, session: str | None = None, timeout: float = 30, **params: Any):
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._read_message(deadline - time.monotonic())
            if reply is None:
                break
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(f"no reply to {method}")

    def wait_for(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            msg = self._read_message(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise TimeoutError(f"no {method} event")
            self.events.append(msg)

    def drain(self, seconds: float) -> None:
        """Keep collecting events for a while (late requests, timers, handlers)."""
        deadline = time.monotonic() + seconds
        while (msg := self._read_message(max(0.0, deadline - time.monotonic()))) is not None:
            self.events.append(msg)

    def open(self, page: Path, phone: bool = False) -> dict[str, Any]:
        """Load ``page`` in a fresh tab; return what was requested and what the DOM became."""
        self.events = []
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session)
        if phone:  # a 390-px-wide phone screen
            self.send(
                "Emulation.setDeviceMetricsOverride",
                session,
                width=390,
                height=844,
                deviceScaleFactor=3,
                mobile=True,
            )
        self.send("Page.navigate", session, url=page.as_uri())
        self.wait_for("Page.loadEventFired")
        self.drain(1.0)
        state = self.send(
            "Runtime.evaluate",
            session,
            returnByValue=True,
            expression="""JSON.stringify({
                title: document.title,
                pwned: window.__pwned || null,
                bodyPwned: document.body.getAttribute('data-pwned'),
                scripts: document.scripts.length,
                svgs: document.querySelectorAll('figure.grafik svg, section svg').length,
                text: document.body.innerText,
                html: document.documentElement.outerHTML,
                width: document.documentElement.scrollWidth
            })""",
        )
        pdf = base64.b64decode(self.send("Page.printToPDF", session, timeout=60)["data"])
        self.send("Target.closeTarget", targetId=target)
        requests = [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        return {"requests": requests, "pdf_pages": pages, **json.loads(state["result"]["value"])}

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the browser may already be gone
            self.send("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._w)
        os.close(self._r)
        shutil.rmtree(self.profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    b = Browser(_chromium())
    yield b
    b.close()


@pytest.fixture(scope="module")
def pack(tmp_path_factory) -> Path:
    """A pack made by the real executor and renderer; one incident description carries payloads."""
    from test_brief import stand_in_data, stand_in_notebook

    tmp = tmp_path_factory.mktemp("browser")
    nb = stand_in_notebook(tmp / "pack.ipynb")
    processed = stand_in_data(tmp / "processed")
    data = json.loads((processed / "units.json").read_text())
    data["16"]["deskripsi"] = PAYLOADS
    (processed / "units.json").write_text(json.dumps(data))
    result = make_packs("2024-11-28", "16", 0, processed, tmp / "reports", 0, nb, progress=False)
    assert result.ok, result.summary()
    return result.packs[0].html


def test_blocked_network_control_is_observed(browser, tmp_path):
    """The harness does see a request when a page makes one (so an empty list means something)."""
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><img src="http://example.invalid/x.png"><p>x</p>')
    seen = browser.open(page)
    assert any(u.startswith("http://example.invalid/") for u in seen["requests"])


def test_pack_requests_nothing_and_shows_svg(browser, pack):
    seen = browser.open(pack)
    assert seen["requests"] == [pack.as_uri()]  # the page itself, from disk, and nothing else
    assert seen["svgs"] >= 1
    assert "Laporan Sumatera Selatan" in seen["text"] and "TERBATAS" in seen["text"]


def test_incident_payload_runs_nothing_and_is_shown_as_text(browser, pack):
    seen = browser.open(pack)
    assert seen["title"] == "Laporan Harian Desk Pilkada · Sumatera Selatan · 2024-11-28"
    assert seen["pwned"] is None and seen["bodyPwned"] is None
    assert seen["scripts"] == 0
    assert "<script>document.title='PWNED'" in seen["text"]  # shown escaped, as text
    assert 'onerror="document.body' in seen["text"]


def test_unescaped_payload_is_defused_by_the_template(browser, tmp_path):
    """Even output that slipped through unescaped can neither run nor fetch (template + CSP)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from analysis.packs.render import write_html

    nb = new_notebook()
    cell = new_code_cell("")
    cell.outputs = [
        new_output(
            "display_data",
            data={
                "text/html": '<section class="bagian"><p>ok</p>' + PAYLOADS
                + '<img src="http://example.invalid/t.png"></section>',
                "text/plain": "x",
            },
        )
    ]  # fmt: skip
    nb.cells = [cell]
    page = tmp_path / "raw.html"
    write_html(nbformat.from_dict(nb), page, "uji")
    seen = browser.open(page)
    assert seen["requests"] == [page.as_uri()]
    assert seen["pwned"] is None and seen["bodyPwned"] is None and seen["title"] == "uji"


def test_sections_flow_on_in_print(browser, pack):
    """No forced page break between sections: the stand-in's two short sections share a page."""
    seen = browser.open(pack)
    assert seen["pdf_pages"] == 1


def test_pack_fits_a_phone_width(browser, pack):
    """On a 390-px phone nothing forces the whole page to scroll sideways (wide tables scroll alone)."""
    seen = browser.open(pack, phone=True)
    assert seen["width"] <= 390
