"""The stand-in's HTTP server: KPU's paths on a local port, faults on demand, a pull at a time.

Control endpoints (for tests and for someone simulating the night by hand)::

    GET  /_standin/status                  the pull served, the pulls available, requests seen
    GET  /_standin/permintaan[?reset=1]    the paths asked for since the last reset
    POST /_standin/tarikan   {"tarikan": "20241128T0800"}    serve another pull of the drop
    POST /_standin/gangguan  [{"gangguan": "status", ...}]   replace the faults (see .faults)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from analysis.pull.standin import faults as flt
from analysis.pull.standin.content import Content, build
from analysis.pull.standin.sources import Source, read_locator
from analysis.settings import KpuSite

CONTROL = "_standin/"
NOT_FOUND = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
    b"<Message>The specified key does not exist.</Message></Error>"
)
ERROR_PAGE = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center></body></html>"
)


class StandIn:
    """What the server serves: sources (each with its site layout), the pull, the faults."""

    def __init__(self, sources: list[tuple[Source, KpuSite]], pull: str | None = None) -> None:
        self.sources = sources
        self.faults: list[flt.Fault] = []
        self.transport = flt.Transport([])
        self._seen: list[str] = []
        self._lock = threading.Lock()
        self.pull = pull or self.pulls()[-1]
        self.content = self._build()

    def pulls(self) -> list[str]:
        return sorted({p for src, _ in self.sources for p in src.pulls()})

    def _build(self) -> Content:
        out = Content({}, {})
        for src, kpu in self.sources:
            own = src.pulls()
            label = self.pull if self.pull in own else own[-1]
            out = out.merge(build(src, kpu, label, self.faults))
        return out

    def show(self, pull: str) -> None:
        """Serve another pull (the content is rebuilt before it replaces the old one)."""
        if pull not in self.pulls():
            raise ValueError(f"tarikan {pull!r} tidak ada; tersedia: {self.pulls()}")
        if pull != self.pull:
            self.pull = pull
            self.content = self._build()

    def set_faults(self, items: list[dict[str, Any]]) -> None:
        """Replace the faults; the content is rebuilt when content faults come or go."""
        parsed = flt.parse(items)
        rebuild = any(not f.transport for f in [*self.faults, *parsed])
        self.faults = parsed
        if rebuild:
            self.content = self._build()
        self.transport = flt.Transport(parsed)

    def note(self, path: str) -> None:
        with self._lock:
            self._seen.append(path)

    def requests(self, reset: bool = False) -> list[str]:
        with self._lock:
            seen = list(self._seen)
            if reset:
                self._seen.clear()
        return seen

    def lookup(self, path: str) -> bytes | None:
        c = self.content
        if path in c.files:
            return c.files[path]
        where = c.records.get(path)
        return read_locator(where) if where is not None else None

    def status(self) -> dict[str, Any]:
        return {"tarikan": self.pull, "tersedia": self.pulls(), "permintaan": len(self._seen)}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # one buffered write per response, sent at once: headers and body in separate small writes
    # meet the client's delayed ACK and cost ~40 ms per request
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base signature
        return

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.lstrip("/")
        standin = self.server.standin
        if path.startswith(CONTROL):
            self._control_get(path[len(CONTROL) :], parse_qs(url.query))
            return
        standin.note(path)
        fault = standin.transport.match(path)
        body = standin.lookup(path)
        try:
            if fault is not None:
                self._fault(fault, body)
            elif body is None:
                self._send(404, NOT_FOUND, "application/xml")
            else:
                self._send(200, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self) -> None:
        path = urlsplit(self.path).path.lstrip("/")[len(CONTROL) :]
        length = int(self.headers.get("content-length") or 0)
        try:
            payload = json.loads(self.rfile.read(length) or b"null")
            if path == "tarikan":
                self.server.standin.show(payload["tarikan"])
            elif path == "gangguan":
                self.server.standin.set_faults(payload or [])
            else:
                self._send(404, b'{"pesan":"tidak dikenal"}')
                return
        except (ValueError, KeyError, TypeError) as exc:
            self._send(400, json.dumps({"pesan": str(exc)}).encode())
            return
        self._send(200, json.dumps(self.server.standin.status()).encode())

    def _control_get(self, what: str, query: dict[str, list[str]]) -> None:
        standin = self.server.standin
        if what == "status":
            self._send(200, json.dumps(standin.status()).encode())
        elif what == "permintaan":
            seen = standin.requests(reset=query.get("reset") == ["1"])
            self._send(200, json.dumps(seen).encode())
        else:
            self._send(404, b'{"pesan":"tidak dikenal"}')

    def _send(
        self, status: int, body: bytes, kind: str = "application/json", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        self.wfile.write(body)

    def _fault(self, f: flt.Fault, body: bytes | None) -> None:
        if f.gangguan == "status":
            extra = {"Retry_After": str(int(f.detik))} if f.detik is not None else {}
            self._send(f.status, ERROR_PAGE, "text/html", **extra)
        elif f.gangguan == "lambat":
            time.sleep(f.detik or 0)
            self._send(200, body) if body is not None else self._send(404, NOT_FOUND)
        elif f.gangguan == "html":
            self._send(200, ERROR_PAGE, "text/html")
        elif f.gangguan == "terpotong":
            self._send(200, (body or b"{}")[: len(body or b"{}") // 2])
        elif f.gangguan == "besar":
            self._oversize(f.byte)

    def _oversize(self, size: int) -> None:
        """A body of ``size`` bytes delimited by closing the connection (no Content-Length)."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        chunk = b" " * 65536
        sent = 0
        self.wfile.write(b"[")
        while sent < size:
            self.wfile.write(chunk[: min(len(chunk), size - sent)])
            sent += len(chunk)
        self.wfile.write(b"]")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    standin: StandIn


def serve(standin: StandIn, host: str = "127.0.0.1", port: int = 0) -> _Server:
    """Start serving in a background thread; ``server.server_port`` is the port, ``shutdown()``
    stops it."""
    server = _Server((host, port), _Handler)
    server.standin = standin
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def base_url(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"
