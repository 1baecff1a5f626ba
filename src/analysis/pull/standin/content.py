"""The files a stand-in serves for one pull of a source, at KPU's paths (:mod:`analysis.pull.site`).

- region tree: every region of each contest type's TPS, named from :mod:`analysis.reference`,
  down to the desa's TPS list;
- candidates: the source's paslon, keyed by the contest's region for Pilkada;
- aggregates: per region, KPU's shape computed from the records served (votes per paslon, a
  ``table`` of the children with their votes, ``progres`` {total, progres, persen} and ``psu``);
- records: where each record's bytes are (read when asked for).

Content faults (:mod:`.faults`) are applied here: a changed record, a vanished TPS, an aggregate
that disagrees with its TPS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

from analysis import reference
from analysis.pull import shapes, site
from analysis.pull.site import Node
from analysis.pull.standin import faults as flt
from analysis.pull.standin.sources import Locator, Record, Source
from analysis.settings import KpuSite

_JSON = {"ensure_ascii": False, "separators": (",", ":")}
_DEPTHS = (1, 2, 3, 4, site.TPS_DEPTH)


@dataclass
class Content:
    """What is served: site files by URL path, and where each record's bytes are."""

    files: dict[str, bytes]
    records: dict[str, Locator]

    def merge(self, other: Content) -> Content:
        return Content({**self.files, **other.files}, {**self.records, **other.records})


def build(source: Source, kpu: KpuSite, pull: str, faults: list[flt.Fault]) -> Content:
    """The content of ``source`` as of ``pull``, faults applied."""
    tps = source.tps().with_columns(
        pl.col("kode_kontestasi").str.extract(r"^([a-z]+)").alias("jenis")
    )
    tps = tps.filter(pl.col("jenis").is_in(kpu.jenis))
    for f in flt.content(faults, "hilang"):
        gone = pl.col("kode_tps") == f.kode
        if f.jenis_pemilihan:
            gone = gone & (pl.col("jenis") == f.jenis_pemilihan)
        tps = tps.filter(~gone)
    known = set(zip(tps["jenis"], tps["kode_tps"], strict=True))
    records, votes, meta = {}, [], []
    for rec in source.records(pull):
        if (rec.jenis, rec.kode_tps) not in known:
            continue
        rec = _changed(rec, faults, kpu.record)
        records[site.hhcw_path(kpu, Node(rec.jenis, rec.kode_tps))] = rec.where
        chart = shapes.chart_of(rec.value, kpu.record) or {}
        votes += [(rec.jenis, rec.kode_tps, k, v) for k, v in chart.items() if k.isdigit()]
        meta.append((rec.jenis, rec.kode_tps, rec.value.get("psu"), rec.value.get("ts")))
    v = pl.DataFrame(votes, schema=_VOTES, orient="row")
    m = pl.DataFrame(meta, schema=_META, orient="row")
    m = m.with_columns(pl.lit(True).alias("_ada"))
    tps = tps.join(m, on=["jenis", "kode_tps"], how="left").with_columns(
        pl.col("_ada").fill_null(False)
    )
    files: dict[str, bytes] = {}
    paslon = source.paslon()
    for jenis in kpu.jenis:
        t = tps.filter(pl.col("jenis") == jenis)
        files.update(_tree(kpu, jenis, t))
        files.update(_aggregates(kpu, jenis, t, v.filter(pl.col("jenis") == jenis), paslon, faults))
        files[site.paslon_path(kpu, jenis)] = _candidates(kpu, jenis, paslon)
    return Content(files, records)


_VOTES = {"jenis": pl.String, "kode_tps": pl.String, "paslon_id": pl.String, "suara": pl.Int64}
_META = {"jenis": pl.String, "kode_tps": pl.String, "psu": pl.String, "ts": pl.String}


def _changed(rec: Record, faults: list[flt.Fault], shape: str) -> Record:
    """The record with an ``ubah`` fault applied (new bytes), else unchanged."""
    for f in flt.content(faults, "ubah"):
        if f.kode != rec.kode_tps or f.jenis_pemilihan not in (None, rec.jenis):
            continue
        value = json.loads(json.dumps(rec.value))
        chart = shapes.chart_of(value, shape)
        first = min((k for k in chart or {} if k.isdigit()), key=int, default=None)
        if first is not None:
            chart[first] = (chart[first] or 0) + f.tambah
        return Record(rec.jenis, rec.kode_tps, json.dumps(value, **_JSON).encode(), value)
    return rec


def _code(depth: int) -> pl.Expr:
    return pl.col("kode_tps").str.slice(0, site.CODE_DIGITS[depth])


def _parent(depth: int) -> pl.Expr:
    return pl.lit(site.ROOT) if depth == 1 else _code(depth - 1)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Region names by KPU code (the Kemendagri tree of :mod:`analysis.reference`)."""
    return dict(reference.regions().select("kode_kpu", "nama").iter_rows())


def _tree(kpu: KpuSite, jenis: str, tps: pl.DataFrame) -> dict[str, bytes]:
    """``wilayah`` files: each region's list of children, a desa's list of TPS."""
    names = _names()
    out = {}
    for depth in _DEPTHS:
        pairs = tps.select(_parent(depth).alias("p"), _code(depth).alias("c")).unique().sort("c")
        for parent, children in pairs.group_by("p", maintain_order=True).agg("c").iter_rows():
            items = [
                {
                    "nama": names.get(c) or f"TPS {c[-3:]}",
                    "id": int(c),
                    "kode": c,
                    "tingkat": depth,
                }
                for c in children
            ]
            path = site.wilayah_path(kpu, Node(jenis, parent))
            out[path] = json.dumps(items, **_JSON).encode()
    return out


def _candidates(kpu: KpuSite, jenis: str, paslon: pl.DataFrame) -> bytes:
    p = paslon.filter(pl.col("kode_kontestasi").str.extract(r"^([a-z]+)") == jenis)
    doc: dict[str, Any] = {}
    for contest, nomor, pid, nama in p.sort("kode_kontestasi", "nomor_urut").iter_rows():
        entry = {"ts": "2024-09-22 12:00:00", "nama": nama, "warna": "#888888", "nomor_urut": nomor}
        region = contest.split("-", 1)[1] if "-" in contest else ""
        target = doc.setdefault(region, {}) if kpu.paslon_per_wilayah else doc
        target[pid] = entry
    return json.dumps(doc, **_JSON).encode()


def _rows(
    depth: int,
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    paslon: pl.DataFrame,
    faults: list[flt.Fault],
    jenis: str,
) -> pl.DataFrame:
    """One row per region (or TPS) at ``depth``: its paslon and votes, progres, psu, latest ts."""
    t = tps.with_columns(_code(depth).alias("kode"))
    pids = (
        t.select("kode", "kode_kontestasi")
        .unique()
        .join(paslon.select("kode_kontestasi", "paslon_id"), on="kode_kontestasi")
        .select("kode", "paslon_id")
    )
    sums = (
        votes.join(t.select("kode_tps", "kode"), on="kode_tps")
        .group_by("kode", "paslon_id")
        .agg(pl.col("suara").sum(), pl.len().alias("_n"))
    )
    cells = pids.join(sums, on=["kode", "paslon_id"], how="full", coalesce=True)
    for f in flt.content(faults, "selisih"):
        if f.jenis_pemilihan in (None, jenis) and len(f.kode) == site.CODE_DIGITS[depth]:
            first = cells.filter(pl.col("kode") == f.kode)["paslon_id"].sort().first()
            hit = (pl.col("kode") == f.kode) & (pl.col("paslon_id") == first)
            cells = cells.with_columns(
                pl.when(hit).then(pl.col("suara").fill_null(0) + f.tambah).otherwise("suara")
            )
    cells = cells.sort("kode", pl.col("paslon_id").cast(pl.Int64, strict=False))
    head = t.group_by("kode").agg(
        pl.len().alias("total"),
        pl.col("_ada").sum().alias("progres"),
        pl.col("psu").first() if depth == site.TPS_DEPTH else pl.lit(None, pl.String).alias("psu"),
        pl.col("ts").max(),
    )
    return head.join(cells.group_by("kode").agg("paslon_id", "suara"), on="kode", how="left").sort(
        "kode"
    )


def _row_json(
    pids: list[str] | None, suara: list[int | None] | None, total: int, n: int, psu: Any
) -> str:
    row: dict[str, Any] = dict(zip(pids or [], suara or [], strict=True))
    row["progres"] = {
        "total": total,
        "progres": n,
        "persen": round(100 * n / total, 2) if total else 0,
    }
    row["psu"] = psu
    return json.dumps(row, **_JSON)


def _aggregates(
    kpu: KpuSite,
    jenis: str,
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    paslon: pl.DataFrame,
    faults: list[flt.Fault],
) -> dict[str, bytes]:
    """``hhcw`` aggregate files of every region from the provinces to the desa."""
    docs = aggregate_docs(kpu, jenis, tps, votes, paslon, faults)
    return {site.hhcw_path(kpu, Node(jenis, kode)): doc for kode, doc in docs.items()}


def aggregate_docs(
    kpu: KpuSite,
    jenis: str,
    tps: pl.DataFrame,
    votes: pl.DataFrame,
    paslon: pl.DataFrame,
    faults: list[flt.Fault],
    deepest: int = _DEPTHS[-2],
) -> dict[str, bytes]:
    """KPU's aggregate document of every region from the provinces down to ``deepest`` (4: the
    desa), by KPU region code; ``tps``: one row per TPS × contest (``kode_tps``,
    ``kode_kontestasi``, ``_ada``: a record is published, ``psu``, ``ts``); ``votes``: the
    records' chart entries (``kode_tps``, ``paslon_id``, ``suara``). The demo writes its pulls'
    aggregates with this too (:mod:`analysis.demo.sirekap`)."""
    depths = _DEPTHS[: _DEPTHS.index(deepest) + 2]
    rows = {d: _rows(d, tps, votes, paslon, faults, jenis) for d in depths}
    out = {}
    for depth in depths[:-1]:
        width = site.CODE_DIGITS[depth]
        children = rows[depth + 1].with_columns(pl.col("kode").str.slice(0, width).alias("_p"))
        tables: dict[str, list[str]] = {}
        for kode, pids, suara, total, n, psu, p in children.select(
            "kode", "paslon_id", "suara", "total", "progres", "psu", "_p"
        ).iter_rows():
            tables.setdefault(p, []).append(f'"{kode}":{_row_json(pids, suara, total, n, psu)}')
        for kode, total, n, _, ts, pids, suara in rows[depth].iter_rows():
            chart = json.dumps(dict(zip(pids or [], suara or [], strict=True)), **_JSON)
            progres = json.dumps(
                {"total": total, "progres": n, "persen": round(100 * n / total, 2)}
            )
            body = (
                f'{{"tungsura":{{"chart":{chart}}}'
                if kpu.record == "tungsura"
                else f'{{"chart":{chart}'
            )
            doc = f'{body},"table":{{{",".join(tables.get(kode, []))}}},"progres":{progres},"ts":{json.dumps(ts)}}}'
            out[kode] = doc.encode()
    return out
