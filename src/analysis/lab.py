"""JupyterLab for the desk's analysts (``make lab``): its own environment, the project kernel, and
nothing that reaches for the internet.

``python -m analysis.lab <lab-prefix>`` (run by ``make lab`` with ``.venv``'s Python, after the lab
environment is synced) writes into the lab environment:

- the project kernel (:func:`analysis.kernelspec.install`), pointing at this interpreter;
- ``share/jupyter/lab/settings/overrides.json`` (:data:`LAB_SETTINGS`): Lab's defaults for every
  user of this environment: never fetch Jupyter news, never check for updates, so no pop-up asks;
- ``etc/jupyter/jupyter_server_config.json`` (:data:`SERVER_CONFIG`): the server
  side of the same (no news feed, no update check), and the project kernel as the only and default
  kernel: the lab environment's own Python has no ``analysis`` and would fail at the first import.

Every file is rewritten on each run, so ``make lab`` on a fresh clone or after a move is enough.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from analysis import console, kernelspec

#: Lab's settings overrides (``@jupyterlab/apputils-extension:notification`` holds the news and
#: update-check switches in JupyterLab 4).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",  # "Never": no toast asking whether to fetch news
        "checkForUpdates": False,
    },
}

#: Jupyter server configuration for the lab environment.
SERVER_CONFIG: dict[str, dict[str, Any]] = {
    "LabApp": {
        "news_url": None,  # the server never fetches the news feed either
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
    },
    "KernelSpecManager": {
        "allowed_kernelspecs": [kernelspec.KERNEL_NAME],
        "ensure_native_kernel": False,
    },
    "MultiKernelManager": {"default_kernel_name": kernelspec.KERNEL_NAME},
}

SETTINGS_FILE = Path("share/jupyter/lab/settings/overrides.json")
# The server reads its traits from ``jupyter_server_config.json`` in each config folder
# (``<prefix>/etc/jupyter`` among them); the ``.d`` folders beside it only enable extensions.
SERVER_FILE = Path("etc/jupyter/jupyter_server_config.json")


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def configure(lab_prefix: Path | str) -> list[Path]:
    """Register the project kernel and write Lab's settings into the environment at
    ``lab_prefix``; returns what was written."""
    prefix = Path(lab_prefix).resolve()
    if not (prefix / "bin" / "jupyter-lab").exists() and not (prefix / "pyvenv.cfg").exists():
        raise FileNotFoundError(f"{prefix}: not a Python environment (run `make lab`)")
    return [
        kernelspec.install(prefix),
        _write_json(prefix / SETTINGS_FILE, LAB_SETTINGS),
        _write_json(prefix / SERVER_FILE, SERVER_CONFIG),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.lab", description=__doc__.split("\n")[0]
    )
    parser.add_argument("lab_prefix", type=Path, help="the lab environment, e.g. .venv-lab")
    args = parser.parse_args(argv)
    try:
        written = configure(args.lab_prefix)
    except FileNotFoundError as exc:
        console.say(f"error: {exc}", stream=sys.stderr)
        return 2
    for path in written:
        console.say(f"lab: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
