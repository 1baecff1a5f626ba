"""``python -m analysis sampel``: draw the PVT sample into a drop, or check the one it holds.

Before voting day: ``python -m analysis sampel --raw <drop> --scope 16 --seed <public number>``
draws the sample from ``<drop>/referensi/tps.csv`` and writes ``referensi/sampel_pvt.csv`` with its
record ``sampel_pvt.json`` (SHA-256, scope, size, seed); print the hash in the day's pack so it is
on paper before the count. ``--periksa`` reads the drop's sample back and checks it.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import polars as pl

from analysis import console, read
from analysis.reconcile.sample import (
    FOLDER,
    SampleError,
    default_size,
    draw_sample,
    read_sample,
    write_sample,
)
from analysis.settings import default_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    s = default_settings()
    parser.add_argument(
        "--raw",
        type=Path,
        help=f"drop folder (default: <paths.raw>/demo-{s.demo.scope.replace('.', '')})",
    )
    parser.add_argument(
        "--scope", default=s.desk.unit_code, help="unit the sample covers (default: the desk's)"
    )
    parser.add_argument(
        "--size",
        type=int,
        # argparse formats help with %: the share's sign is written %%
        help=f"TPS to draw (default: {s.proyeksi.sample_share:.1%}% of the scope's TPS, at least "
        f"{s.proyeksi.sample_min_per_stratum} per stratum)",
    )
    parser.add_argument("--seed", type=int, help="the seed, e.g. a number drawn in public")
    parser.add_argument(
        "--periksa",
        action="store_true",
        help="only check the sample the drop holds (exit 1 when it is not valid)",
    )


def _tps_codes(raw: Path) -> pl.Series:
    """TPS codes of the drop's TPS list, read as ingest reads it."""
    files = sorted((raw / FOLDER).glob("*"))
    lists = [f for f in files if read.kind_of(f.relative_to(raw).as_posix()) == "ref_tps"]
    if not lists:
        raise SampleError(f"{raw / FOLDER}: tidak ada daftar TPS (tps.csv)")
    frames = []
    for f in lists:
        got = read.read_file(f, raw)
        if got.error:
            raise SampleError(f"{f}: {got.error}")
        frames.append(got.rows.select("kode_tps"))
    return pl.concat(frames)["kode_tps"].drop_nulls()


def run(args: argparse.Namespace) -> int:
    s = default_settings()
    raw = args.raw or (s.paths.resolved().raw / f"demo-{s.demo.scope.replace('.', '')}")
    try:
        codes = _tps_codes(raw)
        if args.periksa:
            intake = read_sample(raw, codes)
            console.say(intake.line())
            return 0 if intake.record is None or intake.record["sah"] else 1
        if args.seed is None:
            raise SampleError("berikan --seed (mis. angka yang diundi terbuka di rapat desk)")
        m = s.proyeksi.sample_min_per_stratum
        size = args.size or default_size(codes, args.scope, s.proyeksi.sample_share, m)
        sample = draw_sample(codes, args.scope, size, args.seed, m)
        drawn = dt.datetime.now(dt.UTC).astimezone()
        path, digest = write_sample(raw, sample, args.scope, args.seed, m, drawn)
    except SampleError as exc:
        console.say(f"sampel: {exc}")
        return 2
    console.say(f"sampel: {sample.height} TPS dari lingkup {args.scope} ditulis ke {path}")
    console.say(
        f"sha256 {digest} — cetak di laporan hari ini agar sampel tidak dapat diganti diam-diam"
    )
    return 0
