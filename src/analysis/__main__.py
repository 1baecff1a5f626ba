"""Command-line entry point: ``python -m analysis <stage> [options]``.

Each stage lives in its own module and exposes ``add_arguments(parser)`` and ``run(args) -> int``;
this file only wires them, importing a stage's module when that stage is asked for (so a quick
command does not pay for Great Expectations' import).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from analysis import tune_allocator

# stage name -> (module, one-line help)
STAGES: dict[str, tuple[str, str]] = {
    "demo": ("analysis.demo", "generate the synthetic demo election into data/raw/"),
    "templates": ("analysis.templates", "write the field-staff input templates"),
    "ingest": ("analysis.ingest", "read, validate and account for a raw drop"),
    "sampel": ("analysis.reconcile.sample_cli", "draw the PVT sample into a drop, or check it"),
    "reconcile": ("analysis.reconcile", "reconcile the internal count against KPU's results"),
    "analyse": ("analysis.analyse.stage", "screens, kerawanan and follow-up as datasets"),
    "brief": ("analysis.packs.execute", "render the briefing packs from processed data"),
    "daily-brief": (
        "analysis.daily",
        "the scheduled job: demo if needed, ingest, reconcile, analyse, packs",
    ),
    "schedule": (
        "analysis.schedule",
        "print (or --install) a systemd timer running daily-brief every half hour; cron otherwise",
    ),
    "pull-kpu": ("analysis.pull.run", "pull KPU's published results for the scope into a drop"),
    "demo-kpu-server": ("analysis.pull.standin", "serve a demo drop at KPU's paths, locally"),
    "bench": ("analysis.bench", "benchmark the stages on the national scenario"),
    "simulasi": (
        "analysis.reconcile.simulation",
        "coverage of the projections' intervals over simulated count nights",
    ),
    "bench-pull": ("analysis.pull.bench", "benchmark a full and a delta KPU pull, locally"),
    "check-notebooks": ("analysis.notebook_hygiene", "fail if a committed notebook has outputs"),
    "build-map-asset": (
        "analysis.packs.maps.build",
        "build the shipped map boundaries from the boundary dump (--source <dir>)",
    ),
    "checks-doc": ("analysis.validate.catalogue", "write docs/checks.md from the check tables"),
}


def main(argv: list[str] | None = None) -> int:
    tune_allocator()  # before any stage module loads polars
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="stage", required=True, metavar="STAGE")
    argv = sys.argv[1:] if argv is None else argv
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (module, help_text) in STAGES.items():
        p = sub.add_parser(name, help=help_text)
        if name == chosen:
            mod = importlib.import_module(module)
            mod.add_arguments(p)
            p.set_defaults(_run=mod.run)
    args = parser.parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
