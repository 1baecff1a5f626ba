"""A local stand-in of KPU's results site: ``python -m analysis demo-kpu-server``.

It serves a demo drop (generated if absent) in exactly KPU's public paths, one of the drop's pulls
at a time, so a real pull can run offline and tests can run the whole day over real HTTP. With
``--pemilu DIR`` it also serves a folder of Pemilu 2024 records at the Pemilu paths. With
``--desk-drop DIR`` it first copies the desk's side of the demo drop (TPS list, internal count,
incidents, readiness, D.Hasil recaps: not KPU's pulls, candidates or the demo manifest) into a new
drop that ``make pull-kpu`` then fills.

    sources.py   what is served (a demo drop; a folder of per-TPS records)
    content.py   the site's files computed from a source: tree, candidates, aggregates
    faults.py    the faults it can inject (429, 500, hangs, HTML, truncated, oversize, changes)
    server.py    the HTTP server and its control endpoints
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from analysis import console
from analysis.pull.standin.server import StandIn, base_url, serve
from analysis.pull.standin.sources import DemoSource, FolderSource
from analysis.read import PULL_RE
from analysis.settings import REPO_ROOT, default_settings

__all__ = ["DemoSource", "FolderSource", "StandIn", "base_url", "serve"]

#: What of a demo drop is the desk's own side (copied by --desk-drop); KPU's side stays out.
NOT_DESK = ("manifest.json", "referensi/paslon.csv")


def copy_desk_side(drop: Path, out: Path) -> None:
    """The demo drop without KPU's pulls, candidates and the demo manifest, into ``out``."""
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out}: folder sudah berisi; pilih folder baru untuk drop desk")

    def ignore(folder: str, names: list[str]) -> set[str]:
        rel = Path(folder).relative_to(drop)
        skip = {n for n in names if (rel / n).as_posix() in NOT_DESK}
        if rel.as_posix() == "kpu":
            skip |= {n for n in names if PULL_RE.match(n)}
        return skip

    shutil.copytree(drop, out, ignore=ignore, dirs_exist_ok=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    s = default_settings()
    parser.add_argument("--drop", type=Path, help="demo drop to serve (default: the desk's demo)")
    parser.add_argument("--pemilu", type=Path, help="also serve a folder of Pemilu records")
    parser.add_argument("--pull", help="the drop's pull to serve first (default: the last)")
    parser.add_argument("--faults", type=Path, help="JSON file with a list of faults to inject")
    parser.add_argument("--desk-drop", type=Path, help="copy the desk's side of the drop here")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8800)
    parser.add_argument("--scope", default=s.demo.scope, help="demo scope when generating")


def _demo_drop(args: argparse.Namespace) -> Path:
    if args.drop:
        return args.drop
    s = default_settings()
    drop = s.paths.resolved().raw / f"demo-{args.scope.replace('.', '')}"
    if not (drop / "manifest.json").exists():
        from analysis import demo

        console.say(f"stand-in: membuat drop demo {args.scope} di {drop}")
        demo.generate(args.scope, s.demo.seed, s.demo.as_of, drop)
    return drop


def run(args: argparse.Namespace) -> int:
    sites = default_settings().kpu_pull.sites
    try:
        drop = _demo_drop(args)
        sources = [(DemoSource(drop), sites["pilkada"])]
        if args.pemilu:
            sources.append((FolderSource(args.pemilu), sites["pemilu"]))
        standin = StandIn(sources, args.pull)
        if args.faults:
            standin.set_faults(json.loads(args.faults.read_text(encoding="utf-8")))
        if args.desk_drop:
            copy_desk_side(drop, args.desk_drop)
            console.say(f"stand-in: sisi desk dari {drop.name} disalin ke {args.desk_drop}")
    except (ValueError, OSError) as exc:
        console.say(f"stand-in: {exc}")
        return 2
    server = serve(standin, args.host, args.port)
    url = base_url(server)
    rel = drop.relative_to(REPO_ROOT) if drop.is_relative_to(REPO_ROOT) else drop
    console.say(
        f"stand-in KPU di {url}: {rel}, tarikan {standin.pull} (tersedia {standin.pulls()})"
    )
    console.say(f"  tarik: make pull-kpu RAW=<drop desk> KPU_URL={url}")
    console.say(f'  ganti tarikan: curl -X POST {url}/_standin/tarikan -d \'{{"tarikan": "..."}}\'')
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
    return 0
