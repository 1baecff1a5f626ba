"""Polite HTTP: bounded concurrency, a request-rate cap, retries with backoff, a size cap.

One :class:`Fetcher` serves a whole pull. Every attempt is one line of the pull's request log
(:class:`RequestLog`): URL, status, bytes, sha256, time, duration, outcome and reason. An attempt
fails on a timeout, a lost connection, 429, 5xx, or a body that is not the expected JSON; it is
retried after an exponential backoff with jitter, or after the server's ``Retry-After`` when that is
longer (a 429/503 pauses every worker, not only the one that got it). A 404, another 4xx, an
oversize body or a JSON of the wrong shape is not retried in this pull. After
``stop_after_failures`` failed attempts in a row the pull stops (:class:`Stopped`) with a message.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from analysis.pull import shapes
from analysis.settings import KpuPull

WIB = dt.timezone(dt.timedelta(hours=7))
T = TypeVar("T")


class Stopped(Exception):
    """The pull must stop now (the site is down or asks to wait too long); the message says why."""


@dataclass(frozen=True)
class Got:
    """The outcome of one file after its attempts: the body and its JSON, or why it failed."""

    url: str
    body: bytes | None = None
    value: Any = None
    status: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class _Attempt:
    status: int | None
    body: bytes | None
    reason: str | None = None
    transient: bool = True
    retry_after: float | None = None


class RequestLog:
    """The pull's manifest of requests: one JSON line per attempt, appended (safe across threads
    and across a resumed run; a line cut by a killed process is closed by the next run)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        size = os.fstat(self._fd).st_size
        if size and os.pread(self._fd, 1, size - 1) != b"\n":
            os.write(self._fd, b"\n")
        self.count = 0

    def add(self, **entry: Any) -> None:
        line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            os.write(self._fd, line)
            self.count += 1

    def close(self) -> None:
        os.close(self._fd)


class _Limiter:
    """Evenly spaced request slots (``rate`` per second; 0 = no cap) and a shared pause."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._pause_until = 0.0
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next, self._pause_until)
            self._next = slot + self.interval
        if slot > now:
            stop.wait(slot - now)

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._pause_until = max(self._pause_until, time.monotonic() + seconds)


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date; None when absent/garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def backoff(policy: KpuPull, attempt: int, rng: random.Random) -> float:
    """Wait before attempt ``attempt + 1``: base × 2^attempt capped, half of it jittered."""
    full = min(policy.backoff_max_seconds, policy.backoff_seconds * 2**attempt)
    return full / 2 + rng.uniform(0, full / 2)


class Fetcher:
    """Fetches files of one site politely; thread-safe (one instance shared by the workers)."""

    def __init__(self, policy: KpuPull, log: RequestLog, stop: threading.Event) -> None:
        self.policy = policy
        self.log = log
        self.stop = stop
        self._limiter = _Limiter(policy.rate_per_second)
        self._failures = 0
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.client = httpx.Client(
            timeout=httpx.Timeout(
                policy.read_timeout_seconds,
                connect=policy.connect_timeout_seconds,
                pool=policy.total_timeout_seconds,
            ),
            limits=httpx.Limits(
                max_connections=policy.concurrency, max_keepalive_connections=policy.concurrency
            ),
            headers={"User-Agent": policy.user_agent, "Accept": "application/json"},
            follow_redirects=False,
        )

    def close(self) -> None:
        self.client.close()

    def get(self, url: str, check: shapes.Check) -> Got:
        """The file at ``url`` once it passes ``check``, after up to ``retries`` more attempts."""
        last = _Attempt(None, None, "tidak dicoba")
        for attempt in range(self.policy.retries + 1):
            if self.stop.is_set():
                raise Stopped("tarikan dihentikan")
            self._limiter.wait(self.stop)
            started = time.monotonic()
            last = self._once(url)
            parsed = shapes.parse(last.body, check) if last.reason is None else None
            if parsed is not None and parsed.reason is not None:
                last = _Attempt(last.status, last.body, parsed.reason, parsed.transient)
            final = not last.transient or attempt == self.policy.retries
            self._record(url, attempt, last, started, final)
            if last.reason is None and parsed is not None:
                self._streak(ok=True)
                return Got(url, last.body, parsed.value, last.status)
            self._streak(ok=False, last=f"{url}: {last.reason}")
            if final:
                break
            self._wait_retry(attempt, last.retry_after)
        return Got(url, status=last.status, reason=last.reason)

    def _wait_retry(self, attempt: int, retry_after: float | None) -> None:
        delay = backoff(self.policy, attempt, self._rng)
        if retry_after is not None:
            if retry_after > self.policy.retry_after_max_seconds:
                raise Stopped(
                    f"server KPU minta menunggu {retry_after:.0f} detik (lebih dari batas "
                    f"{self.policy.retry_after_max_seconds:.0f} detik)"
                )
            delay = max(delay, retry_after)
            self._limiter.pause(delay)
        self.stop.wait(delay)

    def _streak(self, ok: bool, last: str = "") -> None:
        with self._lock:
            self._failures = 0 if ok else self._failures + 1
            if self._failures >= self.policy.stop_after_failures:
                raise Stopped(
                    f"{self._failures} permintaan berturut-turut gagal (terakhir {last}): "
                    "situs KPU atau jaringan bermasalah"
                )

    def _record(self, url: str, attempt: int, a: _Attempt, started: float, final: bool) -> None:
        outcome = "ok" if a.reason is None else ("gagal" if final else "ulang")
        self.log.add(
            url=url,
            percobaan=attempt + 1,
            status=a.status,
            byte=len(a.body) if a.body is not None else None,
            sha256=hashlib.sha256(a.body).hexdigest() if a.body is not None else None,
            waktu=dt.datetime.now(WIB).isoformat(timespec="milliseconds"),
            durasi_detik=round(time.monotonic() - started, 3),
            hasil=outcome,
            alasan=a.reason,
        )

    def _once(self, url: str) -> _Attempt:
        try:
            with self.client.stream("GET", url) as r:
                return self._read(r)
        except httpx.TimeoutException:
            return _Attempt(None, None, "batas waktu habis")
        except httpx.TransportError as exc:
            return _Attempt(None, None, f"koneksi gagal ({type(exc).__name__})")

    def _read(self, r: httpx.Response) -> _Attempt:
        status = r.status_code
        if status == 429 or status >= 500:
            wait = retry_after_seconds(r.headers.get("retry-after"))
            return _Attempt(status, None, f"status {status}", retry_after=wait)
        if status != 200:
            label = "tidak ditemukan" if status == 404 else "ditolak server"
            return _Attempt(status, None, f"{label} (status {status})", transient=False)
        cap = self.policy.max_body_bytes
        declared = r.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            return _Attempt(status, None, f"terlalu besar ({declared} byte > {cap})", False)
        deadline = time.monotonic() + self.policy.total_timeout_seconds
        buf = bytearray()
        for chunk in r.iter_bytes():
            buf += chunk
            if len(buf) > cap:
                return _Attempt(status, None, f"terlalu besar (> {cap} byte)", transient=False)
            if time.monotonic() > deadline:
                return _Attempt(status, None, "batas waktu habis (pengiriman tersendat)")
        return _Attempt(status, bytes(buf))


def run_bounded(
    items: Iterable[T], work: Callable[[T], None], workers: int, stop: threading.Event
) -> None:
    """``work(item)`` for every item on ``workers`` threads, pulling items as they go (memory stays
    flat on a national list). The first error stops the others and is raised here; Ctrl-C sets
    ``stop`` and waits for the requests in flight."""
    source = iter(items)
    lock = threading.Lock()
    errors: list[BaseException] = []

    def loop() -> None:
        while not stop.is_set():
            with lock:
                item = next(source, _END)
            if item is _END:
                return
            try:
                work(item)  # type: ignore[arg-type]
            except BaseException as exc:  # noqa: BLE001 - handed to the main thread
                errors.append(exc)
                stop.set()
                return

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():
                t.join(0.2)
    except KeyboardInterrupt:
        stop.set()
        for t in threads:
            t.join()
        raise
    if errors:
        raise errors[0]


_END = object()
