"""The count-night figures of ``make bench`` (issue 15, "Measured, not asserted").

On a copy of the demo drop (hard links: no raw file is modified) from which one kab/kota's last
tally files are held back, in a folder of its own (``data/processed/bench-malam-<scope>/``: raw,
processed and reports, so the desk's folders are never touched), the whole daily brief runs, each
time in a fresh process (end to end, imports included):

1. a first run (everything computed; it sets the records up, and is not one of the figures);
2. **a re-run with no new files**;
3. **one kab/kota's new tally files and a new KPU pull for it** (the held-back files come back,
   and a pull 15 minutes after the last one holds that kab/kota's TPS records);
4. **a full run** of the same files (``--full``: every stage and every pack, as every run did
   before issue 15), so the ratio is measured on the same machine.

Each figure comes with the number of packs rendered and carried. Works for any demo scope; the
national one (``00``) makes its packs two tiers deep (1 + 38 + 514), a smaller one one tier.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from analysis import console
from analysis.domain import regions
from analysis.settings import default_settings, load_settings

_TALLY = re.compile(r"^hitung_(\d{4})_(\d{8}T\d{4})\.(csv|xlsx)$")
_PULL = re.compile(r"^\d{8}T\d{4}$")


def _link_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=os.link)


def pick_kabkota(raw: Path) -> str:
    """The kab/kota (undotted) whose tally files come last in name order."""
    codes = sorted(m[1] for f in (raw / "hitung_internal").iterdir() if (m := _TALLY.match(f.name)))
    if not codes:
        raise FileNotFoundError(f"{raw}: tidak ada berkas hitung per kab/kota")
    return codes[-1]


def held_back(raw: Path, kab: str) -> list[Path]:
    """The kab/kota's tally files of its last report time (relative to the drop)."""
    mine = [(m[2], f.name) for f in (raw / "hitung_internal").iterdir()
            if (m := _TALLY.match(f.name)) and m[1] == kab]  # fmt: skip
    last = max(t for t, _ in mine)
    return sorted(Path("hitung_internal") / n for t, n in mine if t == last)


def new_pull(raw: Path, kab: str) -> Path:
    """A KPU pull of the kab/kota 15 minutes after the drop's last one: its TPS records (per-TPS
    files or bundled lines alike) and its regions' aggregates, taken from that last pull, and its
    scope in ``ringkasan.json`` (every other region keeps its aggregate from the pull before);
    returns its folder."""
    pulls = sorted(p for p in (raw / "kpu").iterdir() if _PULL.match(p.name))
    last = pulls[-1]
    when = dt.datetime.strptime(last.name, "%Y%m%dT%H%M") + dt.timedelta(minutes=15)
    out = raw / "kpu" / when.strftime("%Y%m%dT%H%M")
    for src in sorted((last / "tps").iterdir()):
        dst = out / "tps" / src.name
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
            for f in src.iterdir():
                if f.name.startswith(kab):
                    shutil.copyfile(f, dst / f.name)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            needle = f'"kode_tps":"{kab}'
            with src.open(encoding="utf-8") as fin, dst.open("w", encoding="utf-8") as fout:
                fout.writelines(line for line in fin if needle in line.replace(" ", "")[:40])
    for src in sorted((last / "agregat").glob(f"*/{kab}*.json")):
        dst = out / "agregat" / src.parent.name / src.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
    summary = {"cakupan": regions.dotted(kab)}
    (out / "ringkasan.json").write_text(json.dumps(summary), encoding="utf-8")
    return out


def _daily(root: str, raw: str, scope: str, depth: int, full: bool, log: str) -> dict[str, Any]:
    """One daily brief (in the stage's process), its output to ``log``; what it rendered."""
    from analysis import daily, publish

    r = Path(root)
    s = load_settings(
        paths={"raw": r / "raw", "processed": r / "processed", "reports": r / "reports"}
    )
    args = argparse.Namespace(
        date=None, scope=scope, depth=depth, raw=Path(raw), workers=2, wait=False, full=full
    )
    day = r / "reports" / s.demo.as_of.date().isoformat()
    before = publish.current(day)
    with (
        open(log, "w", encoding="utf-8") as fh,
        contextlib.redirect_stdout(fh),
        contextlib.redirect_stderr(fh),
    ):
        code = daily.run(args, s)
    if publish.current(day) == before:
        return {"exit": code, "published": False, "rendered": 0, "carried": None}
    packs = json.loads((day / "index.json").read_text(encoding="utf-8"))["packs"]
    rendered = sum(1 for p in packs if p.get("berubah") is not False)
    return {
        "exit": code,
        "published": True,
        "rendered": rendered,
        "carried": len(packs) - rendered,
    }


def run_night(scope: str, run_stage: Any) -> list[dict[str, Any]]:
    """The four runs; returns the three figures (and the first run) as ``run_stage`` results."""
    paths = default_settings().paths.resolved()
    tag = regions.undotted(scope)
    demo_raw = paths.raw / f"demo-{tag}"
    root = paths.processed / f"bench-malam-{tag}"
    shutil.rmtree(root, ignore_errors=True)
    drop = root / "drop" / f"demo-{tag}"
    _link_tree(demo_raw, drop)
    kab = pick_kabkota(drop)
    back = held_back(drop, kab)
    for rel in back:
        (drop / rel).unlink()
    depth = 2 if scope == regions.NATIONAL else 1
    common = {"root": str(root), "raw": str(drop), "scope": scope, "depth": depth}
    console.say(
        f"count night on {scope} (packs {depth} tier(s) deep); kab/kota {kab}: "
        f"{len(back)} tally file(s) held back, then a new KPU pull; logs in {root}"
    )
    out = []
    steps = [("malam: run awal (bukan angka)", False, None), ("malam: tanpa berkas baru", False, None),
             ("malam: 1 kab/kota baru", False, "add"), ("malam: run penuh (--full)", True, None)]  # fmt: skip
    for i, (name, full, action) in enumerate(steps):
        if action == "add":
            for rel in back:
                os.link(demo_raw / rel, drop / rel)
            new_pull(drop, kab)
        out.append(run_stage(name, _daily, **common, full=full, log=str(root / f"log-{i}.txt")))
    for r in out:
        d = r.get("detail") or {}
        console.say(
            f"  {r['stage']:<32} {r['seconds']:>7.1f} s   paket dirender ulang "
            f"{d.get('rendered', '?')}, dibawa {d.get('carried') if d.get('carried') is not None else 'semua'}"
            + ("" if d.get("published", True) else " (tidak ada yang ditulis)")
        )
    return out
