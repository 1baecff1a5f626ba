"""``python -m analysis demo``: the command line of the generator."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from analysis import console
from analysis.demo.generator import generate, scope_slug
from analysis.settings import REPO_ROOT, default_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    s = default_settings().demo
    parser.add_argument(
        "--scope",
        default=s.scope,
        help=f"region code: '00' national, '16' province, '16.71' kab/kota (default {s.scope})",
    )
    parser.add_argument("--seed", type=int, default=s.seed, help=f"random seed (default {s.seed})")
    parser.add_argument(
        "--as-of",
        default=s.as_of.isoformat(),
        help=f"moment of the drop, ISO with offset (default {s.as_of.isoformat()})",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default data/raw/demo-<scope without dots>)",
    )
    parser.add_argument(
        "--bundle",
        choices=("auto", "yes", "no"),
        default="auto",
        help="KPU records as bundled JSONL (auto: only for the national scope)",
    )


def run(args: argparse.Namespace) -> int:
    settings = default_settings()
    try:
        as_of = dt.datetime.fromisoformat(args.as_of)
        out = args.out or (settings.paths.resolved().raw / f"demo-{scope_slug(args.scope)}")
        bundle = {"auto": None, "yes": True, "no": False}[args.bundle]
        m = generate(args.scope, args.seed, as_of, out, bundle)
    except ValueError as exc:
        console.say(f"demo: {exc}")
        return 2
    t = m["totals"]
    rel = out.relative_to(REPO_ROOT) if out.is_relative_to(REPO_ROOT) else out
    console.say(
        f"demo: {rel} — scope {m['scope']}, {t['tps']:,} TPS, {t['contests']} contests, "
        f"{t['files_total']:,} files, {t['rows']['tally']:,} tally rows, "
        f"{len(m['faults'])} injected faults, {m['_seconds']} s"
    )
    return 0
