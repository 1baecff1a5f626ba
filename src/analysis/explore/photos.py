"""The C.Hasil photo links of KPU's per-TPS records, for the analyst (issue 14 item 6).

A Sirekap record lists the photos of its C.Hasil form (``images``). The links stay in the records
the desk pulled (``data/raw`` is never changed), and the processed record in force points at its
file and line (``sumber_file``, ``sumber_baris``), so this view reads them from there on demand:
no ingest cost, and the national datasets do not carry a few hundred bytes of links per row.
Packs never show them: a forwarded pack holds no live link to KPU's servers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from analysis import catalog, read
from analysis.schemas import OFFICIAL_TPS

#: The columns of :func:`photos`.
COLUMNS = {
    "kode_tps": pl.String,
    "kode_kontestasi": pl.String,
    "waktu_tarik": pl.Datetime("us", "UTC"),
    "foto_ke": pl.Int64,
    "tautan_foto": pl.String,
    "sumber_file": pl.String,
}


def _raw_of(processed: Path) -> Path | None:
    """The drop a processed folder was made from (``run.json`` of the daily brief)."""
    try:
        return Path(json.loads((processed / "run.json").read_text(encoding="utf-8"))["raw"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _links(text: str) -> list[tuple[int, str]]:
    """(position, link) of the ``images`` of one record's text (a bundle line wraps the record in
    ``record``); an empty slot (``null``: the photo was not uploaded) has no row."""
    value, _ = read.parse_json(text)
    if isinstance(value, dict) and isinstance(value.get("record"), dict):
        value = value["record"]
    images = value.get("images") if isinstance(value, dict) else None
    if not isinstance(images, list):
        return []
    return [(i, link) for i, link in enumerate(images, start=1) if isinstance(link, str)]


def photos(processed: Path, kode_tps: Iterable[str], raw: Path | None = None) -> pl.DataFrame:
    """Photo links of the records in force of some TPS (one row per link, in the record's order),
    read from the raw file each record came from. ``raw``: the drop (default: the one the daily
    brief recorded in ``run.json``)."""
    raw = raw or _raw_of(processed)
    wanted = sorted(set(kode_tps))
    if raw is None or not wanted:
        return pl.DataFrame(schema=COLUMNS)
    force = (
        catalog.read(OFFICIAL_TPS.name, root=processed)
        .filter(pl.col("kode_tps").is_in(wanted) & pl.col("digantikan_oleh").is_null())
        .select("kode_tps", "kode_kontestasi", "waktu_tarik", "sumber_file", "sumber_baris")
    )
    rows: list[dict] = []
    for (rel,), group in force.group_by("sumber_file", maintain_order=True):
        try:
            data = (raw / str(rel)).read_bytes()
        except OSError:
            continue  # the drop moved: nothing to show for these records
        texts = read.original_json_rows(data, str(rel), group["sumber_baris"].to_list())
        for r in group.iter_rows(named=True):
            for i, link in _links(texts.get(r["sumber_baris"], "")):
                rows.append({**r, "foto_ke": i, "tautan_foto": link})
    if not rows:
        return pl.DataFrame(schema=COLUMNS)
    return (
        pl.DataFrame(rows)
        .select(list(COLUMNS))
        .cast(COLUMNS)  # type: ignore[arg-type]
        .sort("kode_tps", "kode_kontestasi", "foto_ke")
    )
