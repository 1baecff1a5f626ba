"""Notebooks are stored without outputs: a check for ``make lint`` and pre-commit."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis import console
from analysis.settings import REPO_ROOT


def dirty_notebooks(folder: Path) -> list[Path]:
    """Notebooks under ``folder`` with any output or execution count in a code cell."""
    bad = []
    for nb_path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in nb_path.parts:
            continue
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        if any(
            c.get("outputs") or c.get("execution_count")
            for c in nb.get("cells", [])
            if c.get("cell_type") == "code"
        ):
            bad.append(nb_path)
    return bad


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", type=Path, default=REPO_ROOT / "notebooks")


def run(args: argparse.Namespace) -> int:
    bad = dirty_notebooks(args.folder)
    for p in bad:
        console.say(f"{p}: has outputs; run `jupyter nbconvert --clear-output --inplace {p}`")
    return 1 if bad else 0
