"""``python -m analysis bench-pull [--scope 16]``: requests, time and memory of KPU pulls.

Against the local stand-in (started in its own process, serving the demo drop of the scope), with
no rate cap: a full pull of the night's first snapshot, a delta pull of each later snapshot, and a
delta pull when nothing changed. Each pull runs in a fresh process (:func:`analysis.bench.run_stage`:
wall time, peak memory). The table also says how long each pull would take on KPU's real site at
the configured rate cap (requests ÷ rate), which is what the cap means for the site's load.
Writes ``reports/bench/bench-pull.json``. Runs at any scope, ``--scope 00`` included.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from analysis import console
from analysis.bench import run_stage
from analysis.settings import default_settings


def _pull(drop: Path, scope: str, url: str, pull_name: str) -> dict[str, Any]:
    from analysis.pull.run import run_pull

    s = default_settings()
    policy = s.kpu_pull.model_copy(update={"rate_per_second": 0})
    result = run_pull(drop, scope, s, base_url=url, name=pull_name, policy=policy)
    return {"permintaan": result.summary["permintaan"]["total"], "tps": result.summary["tps"]}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_server(drop: Path, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "analysis", "demo-kpu-server", "--drop", str(drop)]
    proc = subprocess.Popen([*cmd, "--port", str(port)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 1800  # a national drop takes minutes to load
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/_standin/status", timeout=2)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError("stand-in berhenti sebelum siap") from None
            time.sleep(1)
    proc.kill()
    raise RuntimeError("stand-in tidak siap dalam 30 menit")


def _server_peak_mb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scope", default="16", help="demo scope (default 16; 00 = national)")


def run(args: argparse.Namespace) -> int:
    s = default_settings()
    paths = s.paths.resolved()
    tag = args.scope.replace(".", "")
    demo_drop = paths.raw / f"demo-{tag}"
    if not (demo_drop / "manifest.json").exists():
        from analysis import demo

        demo.generate(args.scope, s.demo.seed, s.demo.as_of, demo_drop)
    desk = paths.processed / f"bench-pull-{tag}" / "desk"
    shutil.rmtree(desk.parent, ignore_errors=True)
    port = _free_port()
    t0 = time.monotonic()
    server = _start_server(demo_drop, port)
    console.say(f"bench-pull {args.scope}: stand-in siap dalam {time.monotonic() - t0:.0f} s")
    url = f"http://127.0.0.1:{port}"
    results = []
    try:
        labels = httpx.get(f"{url}/_standin/status").json()["tersedia"]
        steps = [(lbl, lbl, "penuh" if i == 0 else "delta") for i, lbl in enumerate(labels)]
        steps.append((labels[-1], labels[-1][:-2] + "59", "delta tanpa perubahan"))
        for served, name, kind in steps:
            httpx.post(f"{url}/_standin/tarikan", json={"tarikan": served}, timeout=1800)
            r = run_stage(
                f"tarik {kind} {name}", _pull, drop=desk, scope=args.scope, url=url, pull_name=name
            )
            results.append(r)
        server_mb = _server_peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    return _report(results, server_mb, s.kpu_pull.rate_per_second, paths.reports / "bench")


def _report(results: list[dict[str, Any]], server_mb: int, rate: float, out: Path) -> int:
    console.say(f"  stand-in: puncak memori {server_mb} MB")
    for r in results:
        d = r.get("detail") or {}
        n = d.get("permintaan", 0)
        real = n / rate / 60 if rate else float("nan")
        console.say(
            f"  {r['stage']}: {n:,} permintaan, {d.get('tps')}; di situs KPU ≥ {real:.0f} menit"
        )
    out.mkdir(parents=True, exist_ok=True)
    path = out / "bench-pull.json"
    doc = {"rate_per_second": rate, "server_peak_mb": server_mb, "pulls": results}
    path.write_text(json.dumps(doc, indent=2, default=str), encoding="utf-8")
    console.say(f"written {path}")
    return 1 if any(r["error"] for r in results) else 0
