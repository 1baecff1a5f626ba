"""Packs carried over from the previous run when their inputs are the same (issue 15).

A pack's fingerprint is the sha256 of everything it shows that can change from run to run: its
unit's slices of the pack inputs, exactly as :func:`~analysis.packs.load.load_pack` gives them to
the notebook (so the slicing rules have one home), the run facts the pack prints (drop, demo,
as-of, previous report, scope, code version; not the time the processing ran: a carried pack keeps
the time of the run that made it), its parameters (the run's scope and depth: its links), the
settings, the code and configuration, what the run's share plan gives its tier (annex, locked
edition), and the two whole tables a pack reads outside its slice (the paslon list, the units).

A pack whose fingerprint equals the one recorded for it by the previous generation of the same
report date, and whose files are still there, is carried: its files are already in the new
generation (a hard-link copy of the previous one); the others are rendered, and so are the
ancestors of a rendered pack (a parent shows its children's figures). The record is
:data:`RECORD` in the report date's folder: per pack its fingerprint, data time and the
generation that made it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from analysis import catalog, incremental
from analysis.domain import regions
from analysis.packs.load import Pack, RunInfo, load_pack
from analysis.packs.plan import PackJob
from analysis.packs.results import PackResult, ShareOutcome
from analysis.packs.share import SharePlan, annex_path, locked_path
from analysis.publish import write_text_atomic
from analysis.schemas import PAKET_WILAYAH, PASLON
from analysis.settings import Settings

#: The record of a report date's folder: the packs stage's inputs and every pack's fingerprint.
RECORD = "sidik.json"

#: RunInfo fields a pack does not hold against its inputs (when the processing ran).
_RUN_TIMES = frozenset({"generated_at"})


#: Values a dict may hold that need no stand-in (the names by code: hundreds per pack).
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _value(v: Any) -> Any:
    """A JSON-able stand-in for a Pack field: frames by their hash, settings by theirs."""
    if isinstance(v, pl.DataFrame):
        return incremental.frame_sha(v)
    if isinstance(v, dict):
        if all(type(x) in _PLAIN for x in v.values()):  # names by code: JSON as they are
            return {str(k): x for k, x in v.items()}  # (digest sorts the keys)
        return {str(k): _value(x) for k, x in sorted(v.items(), key=lambda kv: str(kv[0]))}
    if isinstance(v, Settings):
        return incremental.settings_fingerprint(v)
    if isinstance(v, RunInfo):
        return {k: str(x) for k, x in dataclasses.asdict(v).items() if k not in _RUN_TIMES}
    if isinstance(v, Path):
        return v.name  # the processed folder's name; its generation's path moves every run
    if isinstance(v, dt.date | dt.datetime):
        return v.isoformat()
    return v


def _file_sha(root: Path, name: str) -> str:
    path = catalog.located(name, root=root)
    return incremental.file_sha256(path) if path.is_file() else ""


def run_parts(processed: Path, plan: SharePlan | None) -> dict[str, Any]:
    """The inputs every pack of the run shares: code, whole tables read outside a slice, share."""
    return {
        "kode": incremental.code_fingerprint(),
        "paslon": _file_sha(processed, PASLON.name),
        "wilayah": _file_sha(processed, PAKET_WILAYAH.name),
        "bagikan": _share_parts(plan),
    }


def _share_parts(plan: SharePlan | None) -> Any:
    if plan is None:
        return None
    return {
        "kunci": sorted(plan.keys),
        "lampiran": sorted(plan.annex_tiers),
        "lampiran_di_dalam": plan.annex_inside_locked,
        "demo": plan.demo,
    }


def pack_fingerprint(job: PackJob, shared: dict[str, Any]) -> str:
    """The fingerprint of one pack: its loaded inputs, parameters and the run's shared parts."""
    p = job.parameters
    pack: Pack = load_pack(
        p["processed_dir"], p["tanggal"], p["tingkat"], p["kode_wilayah"],
        lingkup=p.get("lingkup"), kedalaman=p.get("kedalaman"),
    )  # fmt: skip
    fields = {f.name: _value(getattr(pack, f.name)) for f in dataclasses.fields(pack)}
    params = {k: v for k, v in p.items() if k != "processed_dir"}
    return incremental.digest({"paket": fields, "parameter": params, "run": shared})


@dataclass
class Carry:
    """Which packs of a run are rendered and which are carried, with their fingerprints."""

    render: list[PackJob] = field(default_factory=list)
    carried: list[PackJob] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)


def _files_there(job: PackJob, record: dict[str, Any]) -> bool:
    """The carried pack's files are in the new generation (and its share outputs, if it had)."""
    if not (job.html.is_file() and job.ipynb.is_file()):
        return False
    share = record.get("bagikan", {})
    return all(
        path.is_file()
        for key, path in (("annex", annex_path(job.html)), ("locked", locked_path(job.html)))
        if share.get(key)
    )


#: From this many packs on, the fingerprints are computed on worker processes (below, starting
#: them costs more than it saves: a province scope has a few dozen packs).
PARALLEL_FROM = 120


def _fingerprint_chunk(jobs: list[PackJob], shared: dict[str, Any]) -> dict[str, str]:
    return {job.kode_wilayah: pack_fingerprint(job, shared) for job in jobs}


def fingerprints(
    jobs: list[PackJob],
    shared: dict[str, Any],
    workers: int = 1,
    parallel_from: int = PARALLEL_FROM,
    pool: Any = None,
) -> dict[str, str]:
    """Every pack's fingerprint; on ``workers`` spawned processes from ``parallel_from`` packs on
    (spawn, as for the packs: a forked copy of a process that used vl-convert hangs): those of
    ``pool`` (a ``multiprocessing`` pool, e.g. the pack workers) when given."""
    if workers < 2 or len(jobs) < parallel_from:
        return _fingerprint_chunk(jobs, shared)
    import multiprocessing as mp

    n = 2 * workers  # interleaved: tiers spread evenly; two each, so neither worker idles
    chunks = [(jobs[i::n], shared) for i in range(n)]
    if pool is not None:
        parts = pool.starmap(_fingerprint_chunk, chunks)
    else:
        with mp.get_context("spawn").Pool(workers) as own:
            parts = own.starmap(_fingerprint_chunk, chunks)
    out = {k: v for part in parts for k, v in part.items()}
    return {job.kode_wilayah: out[job.kode_wilayah] for job in jobs}


def decide(
    jobs: list[PackJob], previous: dict[str, dict[str, Any]], shared: dict[str, Any],
    workers: int = 1, pool: Any = None,
) -> Carry:  # fmt: skip
    """Fingerprint every pack (on ``pool`` when given); carry those equal to the previous record,
    render the others and every ancestor of one rendered."""
    out = Carry(fingerprints=fingerprints(jobs, shared, workers, pool=pool))
    changed: set[str] = set()
    for job in jobs:
        fp = out.fingerprints[job.kode_wilayah]
        before = previous.get(job.kode_wilayah)
        if before is None or before.get("sidik") != fp or not _files_there(job, before):
            changed.add(job.kode_wilayah)
    for kode in list(changed):
        changed |= {a for a in regions.ancestors(kode)} if kode != regions.NATIONAL else set()
    for job in jobs:
        (out.render if job.kode_wilayah in changed else out.carried).append(job)
    return out


def carried_result(job: PackJob, record: dict[str, Any]) -> PackResult:
    """The result of a carried pack, as the run that made it left it."""
    share = record.get("bagikan", {})
    outcome = ShareOutcome(
        locked=locked_path(job.html) if share.get("locked") else None,
        annex=annex_path(job.html) if share.get("annex") else None,
        annex_inside=bool(share.get("annex_inside")),
    )
    result = PackResult(
        job.kode_wilayah, job.tingkat, job.nama, "ok", job.ipynb, job.html,
        job.html.stat().st_size, 0.0, share=outcome,
    )  # fmt: skip
    result.waktu_data = record.get("waktu_data")
    result.berubah = False
    return result


#: A pack's file name: its unit's code, then what the file is (``16.71.html``, ``16.71.lampiran.html``).
_PACK_FILE = re.compile(r"^([0-9]+(?:\.[0-9]+)*)\.")


def sweep(out_dir: Path, carried: list[PackJob]) -> None:
    """Remove from the tier folders of a new generation every pack file but the carried packs'.

    A generation starts as a hard-link copy of the previous one, so a file the previous run made
    and this run does not (a unit out of scope, a page the current code no longer makes) would
    otherwise stay, unlisted, beside the packs. What is rendered now is written afresh. Only
    this generation's links go: the previous generation keeps its own.
    """
    keep = {j.kode_wilayah for j in carried}
    for tier in regions.TIERS:
        folder = out_dir / tier
        if not folder.is_dir():
            continue
        for f in sorted(folder.iterdir()):
            m = _PACK_FILE.match(f.name)
            if f.is_file() and not (m and m.group(1) in keep):
                f.unlink()


def pack_record(r: PackResult, fp: str, data_time: str | None, gen: str) -> dict[str, Any]:
    """What the record keeps of a pack made (or carried) in this run."""
    return {
        "sidik": fp,
        "waktu_data": data_time,
        "generasi": gen,
        "bagikan": {
            "locked": r.share.locked is not None,
            "annex": r.share.annex is not None,
            "annex_inside": r.share.annex_inside,
        },
    }


def read_record(day_dir: Path, previous: str | None) -> dict[str, Any]:
    """The record the previous generation (id ``previous``) of the day left; empty when another
    command wrote that generation (``python -m analysis brief``: then every pack is rendered)."""
    try:
        d = json.loads((day_dir / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return d if previous and d.get("generasi") == previous else {}


def write_record(day_dir: Path, generation: str, body: dict[str, Any]) -> None:
    body = {**body, "generasi": generation}
    write_text_atomic(day_dir / RECORD, json.dumps(body, sort_keys=True, indent=1))
