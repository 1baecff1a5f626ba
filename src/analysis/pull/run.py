"""The pull stage: ``python -m analysis pull-kpu --raw DROP [--scope CODE]`` (``make pull-kpu``).

One run = one pull folder ``<drop>/kpu/<YYYYMMDDTHHMM>/`` (see :mod:`analysis.pull.folder`):
KPU's candidates, the region tree and aggregates of the scope, and every TPS record of the
contests held there, fetched or carried over unchanged from the previous pull. Nothing is written
outside the drop. Exit code 0 when the pull was published (failed TPS are listed and printed),
3 when it stopped before (the next run resumes it), 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import threading
import time
from pathlib import Path
from typing import Any

import polars as pl

from analysis import console, fmt
from analysis.domain import regions
from analysis.pull import folder, paslon
from analysis.pull.fetch import WIB, Fetcher, RequestLog, Stopped
from analysis.pull.walk import STATUS_FILE, Outcome, Walker
from analysis.settings import KpuPull, Settings, default_settings

LOG_FILE = "permintaan.jsonl"
SUMMARY_FILE = "ringkasan.json"
#: How many failures the printed summary names (all are in ringkasan.json and status_tps.csv).
PRINTED_FAILURES = 10


@dataclasses.dataclass(frozen=True)
class PullResult:
    """A finished (published) pull: its folder and its summary (``ringkasan.json``)."""

    path: Path
    summary: dict[str, Any]


def run_pull(
    drop: Path,
    scope: str,
    settings: Settings | None = None,
    *,
    site_name: str | None = None,
    base_url: str | None = None,
    name: str | None = None,
    full: bool = False,
    replace_paslon: bool = False,
    policy: KpuPull | None = None,
) -> PullResult:
    """Pull KPU's results for ``scope`` into ``drop``; raises :class:`Stopped` (staged folder kept
    for the next run) or :class:`folder.FolderError`."""
    s = settings or default_settings()
    policy = policy or s.kpu_pull
    kpu = policy.sites[site_name or policy.site]
    base = (base_url or kpu.base_url).rstrip("/")
    regions.check_unit(scope)
    drop = Path(drop)
    with folder.locked(drop):
        pull = folder.open_pull(drop, name, policy.resume_within_hours)
        started = time.monotonic()
        stop = threading.Event()
        log = RequestLog(pull.path(LOG_FILE))
        fetcher = Fetcher(policy, log, stop)
        walker = Walker(kpu, scope, fetcher, pull, base, full=full)
        try:
            walker.paslon()
            desa = walker.tree()
            walker.records(desa)
            walker.vanished()
        finally:
            fetcher.close()
            log.close()
        placed = _paslon(kpu, walker.out, scope, pull, replace_paslon)
        summary = _summary(pull, walker.out, scope, base, full, placed, started)
        _write_status(pull, walker.out)
        folder.write_atomic(
            pull.path(SUMMARY_FILE),
            json.dumps(summary, ensure_ascii=False, indent=1).encode(),
        )
        return PullResult(folder.publish(pull), summary)


def _paslon(
    kpu: Any, out: Outcome, scope: str, pull: folder.PullFolder, replace: bool
) -> dict[str, Any]:
    missing = [j for j, v in out.paslon.items() if v is None]
    if missing:
        return {"status": "gagal", "pesan": f"daftar paslon KPU {', '.join(missing)} gagal diambil"}
    return paslon.place(pull, paslon.frame(kpu, out.paslon, scope), replace)


def _write_status(pull: folder.PullFolder, out: Outcome) -> None:
    df = pl.DataFrame(
        out.tps,
        schema=["jenis_pemilihan", "kode_tps", "nasib", "alasan"],
        orient="row",
    ).sort("jenis_pemilihan", "kode_tps")
    folder.write_atomic(pull.path(STATUS_FILE), df.write_csv(line_terminator="\n").encode())


def _summary(
    pull: folder.PullFolder,
    out: Outcome,
    scope: str,
    base: str,
    full: bool,
    placed: dict[str, Any],
    started: float,
) -> dict[str, Any]:
    log = _log_counts(pull.path(LOG_FILE))
    failed = [
        {"jenis_pemilihan": j, "kode_tps": k, "alasan": a}
        for j, k, n, a in sorted(out.tps)
        if n == "gagal"
    ]
    return {
        "tarikan": pull.name,
        "sebelumnya": pull.previous.name if pull.previous else None,
        "dilanjutkan": pull.resumed,
        "penuh": full,
        "cakupan": scope,
        "situs": base,
        "selesai": dt.datetime.now(WIB).isoformat(timespec="seconds"),
        "detik": round(time.monotonic() - started, 2),
        "permintaan": log,
        "tps": out.counts(),
        "tps_gagal": failed,
        "berkas_gagal": out.failed_files,
        "paslon_csv": placed,
    }


def _log_counts(path: Path) -> dict[str, int]:
    """Requests of this pull by outcome (all runs of a resumed pull)."""
    counts: dict[str, int] = {"total": 0}
    with open(path, "rb") as fh:
        for line in fh:
            try:
                outcome = json.loads(line)["hasil"]
            except (ValueError, KeyError):
                continue  # a line cut by a killed run
            counts["total"] += 1
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def describe(result: PullResult) -> list[str]:
    """The printed summary (Indonesian)."""
    s = result.summary
    t, req = s["tps"], s["permintaan"]
    lines = [
        f"tarik-kpu: {s['tarikan']} → {result.path} ({'dilanjutkan, ' if s['dilanjutkan'] else ''}"
        f"{fmt.angka(req['total'])} permintaan, {fmt.angka(s['detik'], 1)} detik)",
        "  TPS × jenis: "
        + ", ".join(f"{fmt.angka(v)} {k.replace('_', ' ')}" for k, v in t.items()),
        f"  paslon: {s['paslon_csv']['pesan']}",
    ]
    for f in s["tps_gagal"][:PRINTED_FAILURES]:
        lines.append(f"  gagal {f['jenis_pemilihan']} {f['kode_tps']}: {f['alasan']}")
    for f in s["berkas_gagal"][:PRINTED_FAILURES]:
        lines.append(
            f"  gagal berkas {f['berkas']} {f['jenis_pemilihan']} {f['kode']}: {f['alasan']}"
        )
    lists = (s["tps_gagal"], s["berkas_gagal"])
    if any(len(x) > PRINTED_FAILURES for x in lists):
        lines.append(f"  … daftar lengkap di {SUMMARY_FILE} dan {STATUS_FILE}")
    return lines


# --- command line ---------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    s = default_settings()
    parser.add_argument("--raw", type=Path, required=True, help="the desk's drop folder")
    parser.add_argument(
        "--scope", default=s.desk.unit_code, help=f"region code (default {s.desk.unit_code})"
    )
    parser.add_argument("--site", choices=sorted(s.kpu_pull.sites), default=s.kpu_pull.site)
    parser.add_argument("--base-url", help="another host serving KPU's paths (a local stand-in)")
    parser.add_argument("--pull-time", help="name of the pull, YYYYMMDDTHHMM WIB (default: now)")
    parser.add_argument("--full", action="store_true", help="fetch every record, carry nothing")
    parser.add_argument(
        "--rate", type=float, help="requests per second (0 = no cap: only for a local server)"
    )
    parser.add_argument(
        "--timpa-paslon",
        action="store_true",
        help="replace the desk's referensi/paslon.csv with KPU's list (old one kept hidden)",
    )


def run(args: argparse.Namespace) -> int:
    s = default_settings()
    policy = s.kpu_pull
    if args.rate is not None:
        policy = policy.model_copy(update={"rate_per_second": args.rate})
    try:
        result = run_pull(
            args.raw,
            args.scope,
            s,
            site_name=args.site,
            base_url=args.base_url,
            name=args.pull_time,
            full=args.full,
            replace_paslon=args.timpa_paslon,
            policy=policy,
        )
    except (ValueError, folder.FolderError) as exc:
        console.say(f"tarik-kpu: {exc}")
        return 2
    except (Stopped, KeyboardInterrupt) as exc:
        reason = str(exc) or "dihentikan pengguna"
        console.say(f"tarik-kpu: berhenti: {reason}. Jalankan lagi untuk melanjutkan tarikan ini.")
        return 3
    for line in describe(result):
        console.say(line)
    return 0
