"""What a stand-in serves, read from files the project already has.

- :class:`DemoSource`: a generated demo drop (``python -m analysis demo``): its TPS list, its paslon
  and its KPU pulls (per-TPS JSON files or JSONL bundles), one pull served at a time.
- :class:`FolderSource`: a folder of per-TPS records named ``<kode_tps>.json`` of one contest type
  (the real Pemilu 2024 sample in ``tests/data/``): TPS list and candidates follow from the records.

A source hands out records as :data:`Locator` (where the bytes are) and their parsed JSON, so the
server reads a record from disk only when asked for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from analysis.domain import regions
from analysis.read import PULL_RE

#: (file, start, end) of a record's bytes (end -1 = to the end of the file), or the bytes themselves.
Locator = tuple[str, int, int] | bytes
SAMPLE_PULL = "sampel"
_BUNDLE_HEAD = b'{"kode_tps":"'
_BUNDLE_MID = b'","record":'


@dataclass(frozen=True)
class Record:
    jenis: str
    kode_tps: str
    where: Locator
    value: dict[str, Any]


class Source(Protocol):
    """What a stand-in needs of a source: its pulls, TPS × contest, paslon and records."""

    site: str

    def pulls(self) -> list[str]: ...

    def tps(self) -> pl.DataFrame: ...

    def paslon(self) -> pl.DataFrame: ...

    def records(self, pull: str) -> Iterator[Record]: ...


def read_locator(where: Locator) -> bytes:
    if isinstance(where, bytes):
        return where
    path, start, end = where
    with open(path, "rb") as fh:
        fh.seek(start)
        return fh.read() if end < 0 else fh.read(end - start)


class DemoSource:
    """A demo drop: ``referensi/tps.csv``, ``referensi/paslon.csv``, ``kpu/<pull>/tps/``."""

    site = "pilkada"

    def __init__(self, drop: Path) -> None:
        self.drop = Path(drop)
        if not (self.drop / "referensi" / "tps.csv").exists():
            raise ValueError(f"{self.drop}: bukan drop demo (tidak ada referensi/tps.csv)")

    def pulls(self) -> list[str]:
        kpu = self.drop / "kpu"
        return sorted(p.name for p in kpu.iterdir() if p.is_dir() and PULL_RE.match(p.name))

    def tps(self) -> pl.DataFrame:
        """``kode_tps``, ``kode_desa`` (dotted) and ``kode_kontestasi``: one row per TPS × contest."""
        t = pl.read_csv(self.drop / "referensi" / "tps.csv", infer_schema=False)
        return _with_contests(t.select("kode_tps", "kode_desa"))

    def paslon(self) -> pl.DataFrame:
        p = pl.read_csv(self.drop / "referensi" / "paslon.csv", infer_schema=False)
        return p.select(
            "kode_kontestasi", pl.col("nomor_urut").cast(pl.Int64), "paslon_id", "nama_paslon"
        )

    def records(self, pull: str) -> Iterator[Record]:
        folder = self.drop / "kpu" / pull / "tps"
        for entry in sorted(folder.iterdir()):
            if entry.is_dir():
                for f in sorted(entry.glob("*.json")):
                    data = f.read_bytes()
                    yield Record(entry.name, f.stem, (str(f), 0, -1), json.loads(data))
            elif entry.suffix == ".jsonl":
                yield from _bundle(entry)


def _bundle(path: Path) -> Iterator[Record]:
    """Records of a JSONL bundle with the byte range of each ``record`` inside its line."""
    jenis, offset = path.stem, 0
    with open(path, "rb") as fh:
        for line in fh:
            start, body = offset, line.rstrip(b"\r\n")
            offset += len(line)
            if not body.strip():
                continue
            obj = json.loads(body)
            head = len(_BUNDLE_HEAD) + len(obj["kode_tps"]) + len(_BUNDLE_MID)
            where: Locator = json.dumps(obj["record"]).encode()
            if (
                body.startswith(_BUNDLE_HEAD)
                and body[head - len(_BUNDLE_MID) : head] == _BUNDLE_MID
            ):
                where = (str(path), start + head, start + len(body) - 1)
            yield Record(jenis, obj["kode_tps"], where, obj["record"])


class FolderSource:
    """Per-TPS records ``<kode_tps>.json`` of one contest type (e.g. the Pemilu 2024 sample)."""

    site = "pemilu"

    def __init__(self, folder: Path, jenis: str = regions.JENIS_PRESIDEN) -> None:
        self.folder = Path(folder)
        self.jenis = jenis
        self.files = sorted(p for p in self.folder.glob("*.json") if p.stem.isdigit())
        if not self.files:
            raise ValueError(f"{self.folder}: tidak ada berkas <kode_tps>.json")

    def pulls(self) -> list[str]:
        return [SAMPLE_PULL]

    def tps(self) -> pl.DataFrame:
        codes = [p.stem for p in self.files]
        t = pl.DataFrame({"kode_tps": codes}).with_columns(
            regions.tps_desa_expr("kode_tps").alias("kode_desa"),
            pl.lit(regions.contest_code(self.jenis, regions.NATIONAL)).alias("kode_kontestasi"),
        )
        return t

    def paslon(self) -> pl.DataFrame:
        """Candidate ids seen in the charts, numbered in id order (the sample's own convention)."""
        ids: set[str] = set()
        for rec in self.records(SAMPLE_PULL):
            ids |= {k for k in (rec.value.get("chart") or {}) if k.isdigit()}
        ordered = sorted(ids, key=int)
        return pl.DataFrame(
            {
                "kode_kontestasi": [self.jenis] * len(ordered),
                "nomor_urut": list(range(1, len(ordered) + 1)),
                "paslon_id": ordered,
                "nama_paslon": [f"Pasangan Calon {i:02d}" for i in range(1, len(ordered) + 1)],
            },
            schema_overrides={"nomor_urut": pl.Int64},
        )

    def records(self, pull: str) -> Iterator[Record]:
        for f in self.files:
            yield Record(self.jenis, f.stem, (str(f), 0, -1), json.loads(f.read_bytes()))


def _with_contests(tps: pl.DataFrame) -> pl.DataFrame:
    """One row per TPS × contest its voters vote in (Pilkada rules of :mod:`analysis.domain`)."""
    desa = tps.select("kode_desa").unique()
    held = {d: regions.contests_for_desa(d) for d in desa["kode_desa"].to_list()}
    m = pl.DataFrame(
        {"kode_desa": list(held), "kode_kontestasi": list(held.values())},
        schema={"kode_desa": pl.String, "kode_kontestasi": pl.List(pl.String)},
    ).explode("kode_kontestasi")
    return tps.join(m.drop_nulls(), on="kode_desa").sort("kode_tps", "kode_kontestasi")
