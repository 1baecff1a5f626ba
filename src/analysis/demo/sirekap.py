"""KPU's Sirekap per-TPS records (``kpu/<pull>/tps/``): one snapshot per pull of what is published.

A record is published at ``_t_kpu`` and stays until the end, unless a revision replaces it; a pull
holds every record published by its time. Records are written one JSON file per TPS and contest
(``kpu/<pull>/tps/<jenis>/<kode_tps>.json``) or bundled as JSONL per pull and jenis.

Each pull also holds KPU's aggregates (``kpu/<pull>/agregat/<jenis>/<kode>.json``, the pull's
layout, built by the stand-in's own builder) for the provinsi, kab/kota and kecamatan: the sums of
the records published, except one kecamatan whose aggregate in the last pull shows
:data:`AGREGAT_SELISIH` more votes than its TPS (``kpu.agregat.kesalahan`` in the manifest).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from analysis.demo import faults as fault_table
from analysis.demo.drop import Drop
from analysis.demo.faults_kpu import PSU_NOTE, RecordChanges, RecordFinding
from analysis.demo.timeline import label_wib, pulls
from analysis.demo.world import N_SLOTS, SLOT_NOMOR, VOTE_COLS, World
from analysis.domain import regions
from analysis.pull.standin import faults as standin_faults
from analysis.pull.standin.content import aggregate_docs
from analysis.settings import default_settings

_FOREVER = 2**62  # a record nobody replaces
#: Votes KPU's aggregate of one kecamatan shows above the sum of its own TPS records (last pull).
AGREGAT_SELISIH = 140
#: The deepest aggregates written: the kecamatan (its table lists its desa); the desa's own files,
#: which only serve the pull's incremental fetch, are left out (83k desa nationally, per pull).
_AGREGAT_DEPTH = 3
Where = dict[tuple[int, str], dict[str, Any]]  # (_tc, pull) -> file and line of a watched record

#: Sirekap's ``tungsura.administrasi`` keys and the columns they hold.
_ADMIN_JSON: tuple[tuple[str, str], ...] = (
    ("suara_sah", "suara_sah"),
    ("suara_tidak_sah", "suara_tidak_sah"),
    ("suara_total", "suara_total"),
    ("pemilih_dpt_j", "pemilih_dpt"),
    ("pemilih_dpt_l", "pemilih_dpt_l"),
    ("pemilih_dpt_p", "pemilih_dpt_p"),
    ("pengguna_dpt_j", "pengguna_dpt"),
    ("pengguna_dpt_l", "pengguna_dpt_l"),
    ("pengguna_dpt_p", "pengguna_dpt_p"),
    ("pengguna_dptb_j", "pengguna_dptb"),
    ("pengguna_dptb_l", "pengguna_dptb_l"),
    ("pengguna_dptb_p", "pengguna_dptb_p"),
    ("pengguna_non_dpt_j", "pengguna_dpk"),
    ("pengguna_non_dpt_l", "pengguna_dpk_l"),
    ("pengguna_non_dpt_p", "pengguna_dpk_p"),
    ("pengguna_total_j", "pengguna_total"),
    ("pengguna_total_l", "pengguna_total_l"),
    ("pengguna_total_p", "pengguna_total_p"),
)


def write_kpu(
    w: World,
    drop: Drop,
    rng: np.random.Generator,
    as_of: int,
    plan: dict[str, np.ndarray],
    bundle: bool,
) -> dict[str, Any]:
    """Write one snapshot per pull taken by ``as_of``; the manifest's summary of the pulls."""
    times = pulls(as_of)
    pid = _paslon_ids(w)
    ch = _inject(w, pid, times, rng, plan)
    records = _records(w, pid, ch)
    kpu_kinds = [f.kind for f in fault_table.of_source("kpu")]
    watched = np.concatenate([plan[k] for k in kpu_kinds]).astype(np.int64).tolist()
    per_pull: dict[str, dict[str, Any]] = {}
    where: Where = {}
    n_files = 0
    for t in times:
        label = label_wib(t)
        snap = records.filter((pl.col("_from") <= t) & (pl.col("_to") > t))
        per_pull[label] = {
            "records": snap.height,
            "coverage": round(snap.height / max(w.tc.height, 1), 4),
        }
        for jenis in sorted(snap["jenis"].unique().to_list()):
            part = snap.filter(pl.col("jenis") == jenis).with_row_index("_line", offset=1)
            write = _write_bundle if bundle else _write_files
            n, found = write(drop, label, jenis, part, watched)
            n_files += n
            where |= found
    labels = [label_wib(t) for t in times]
    drop.faults.extend(_fault_records(w, ch, where, labels, times, bundle))
    agregat = _write_aggregates(w, drop, records, times)
    n_files += agregat["files"]
    return {"pulls": per_pull, "files": n_files, "bundled": bundle, "agregat": agregat}


def _paslon_ids(w: World) -> pl.DataFrame:
    """One row per contest: the paslon_id of each vote slot (``_pid0`` … ``_pid6``, null if none)."""
    slot_of = {n: s for s, n in enumerate(SLOT_NOMOR)}
    pid = w.paslon.with_columns(pl.col("nomor_urut").replace_strict(slot_of).alias("s")).pivot(
        on="s", index="kode_kontestasi", values="paslon_id"
    )
    pid = pid.rename({c: f"_pid{c}" for c in pid.columns if c != "kode_kontestasi"})
    return pid.with_columns(
        pl.lit(None, pl.String).alias(f"_pid{s}")
        for s in range(N_SLOTS)
        if f"_pid{s}" not in pid.columns
    )


def _inject(
    w: World,
    pid: pl.DataFrame,
    times: list[int],
    rng: np.random.Generator,
    plan: dict[str, np.ndarray],
) -> RecordChanges:
    """Apply every KPU fault of the table, in table order, to the drawn rows."""
    kpu = fault_table.of_source("kpu")
    drawn = np.concatenate([plan[f.kind] for f in kpu if f.kind != "kpu_missing"])
    rows = {r["_tc"]: r for r in w.tc.filter(pl.col("_tc").is_in(drawn)).to_dicts()}
    slot_pid = {
        r[0]: r[1:]
        for r in pid.select("kode_kontestasi", *(f"_pid{s}" for s in range(N_SLOTS))).rows()
    }
    ch = RecordChanges(rows, slot_pid, times, w.reserve_share, rng)
    for f in kpu:
        f.apply(f, plan[f.kind], ch)
    return ch


def _records(w: World, pid: pl.DataFrame, ch: RecordChanges) -> pl.DataFrame:
    """Every version of every published record: its JSON and when it is visible (``_from``/``_to``)."""
    k = (
        w.tc.filter(~pl.col("_tc").is_in(ch.withheld))
        .join(pid, on="kode_kontestasi")
        .with_columns(
            pl.col("_t_kpu").alias("_ts"),
            pl.col("_t_kpu").alias("_from"),
            pl.lit(_FOREVER).alias("_to"),
            pl.lit(False).alias("_chart_null"),
            pl.lit(False).alias("_adm_null"),
            pl.lit(False).alias("_psu"),
        )
    )
    k = _with_revisions(_with_edits(k, ch.edits), ch.revisions)
    return (
        k.with_columns(_record_expr().alias("_rec"), _vote_list_expr().alias("_votes"))
        .select(
            "_tc", "kode_tps", "jenis", "kode_kontestasi", "_from", "_to", "_ts", "_rec", "_votes"
        )
        .sort("kode_tps", "jenis", "_from")
    )


def _vote_list_expr() -> pl.Expr:
    """The chart's entries as a list of {paslon_id, suara} (empty when the chart is null)."""
    entries = [
        pl.when(
            pl.col(f"_pid{s}").is_not_null() & pl.col(c).is_not_null() & ~pl.col("_chart_null")
        ).then(
            pl.struct(
                pl.col(f"_pid{s}").alias("paslon_id"), pl.col(c).cast(pl.Int64).alias("suara")
            )
        )
        for s, c in enumerate(VOTE_COLS)
    ]
    return pl.concat_list(entries).list.drop_nulls()


def _with_edits(k: pl.DataFrame, edits: dict[int, dict[str, Any]]) -> pl.DataFrame:
    if not edits:
        return k
    ed = pl.DataFrame(
        [{"_tc": i, **{f"_e_{c}": v for c, v in e.items()}} for i, e in edits.items()],
        infer_schema_length=None,
    )
    changed = [c[3:] for c in ed.columns if c.startswith("_e_")]
    return (
        k.join(ed, on="_tc", how="left")
        .with_columns(pl.coalesce(pl.col(f"_e_{c}"), pl.col(c)).alias(c) for c in changed)
        .drop([f"_e_{c}" for c in changed])
    )


def _with_revisions(k: pl.DataFrame, revisions: list[dict[str, Any]]) -> pl.DataFrame:
    """A revised record as two versions: swapped until ``_rev_t``, true from then on."""
    if not revisions:
        return k
    revised = [x["_tc"] for x in revisions]
    early = k.filter(pl.col("_tc").is_in(revised))
    wrong = []
    for x in revisions:
        e = early.filter(pl.col("_tc") == x["_tc"])
        va, vb = e[x["_a"]][0], e[x["_b"]][0]
        wrong.append(
            e.with_columns(
                pl.lit(vb, pl.Int64).alias(x["_a"]),
                pl.lit(va, pl.Int64).alias(x["_b"]),
                pl.lit(x["_rev_t"], pl.Int64).alias("_to"),
            )
        )
    right = (
        early.join(pl.DataFrame(revisions).select("_tc", "_rev_t"), on="_tc")
        .with_columns(pl.col("_rev_t").alias("_from"), pl.col("_rev_t").alias("_ts"))
        .drop("_rev_t")
    )
    return pl.concat([k.filter(~pl.col("_tc").is_in(revised)), *wrong, right.select(k.columns)])


def _record_expr() -> pl.Expr:
    """The Sirekap Pilkada per-TPS JSON of a row, built column-wise (no Python loop per TPS)."""
    ts = (pl.from_epoch(pl.col("_ts"), time_unit="s") + pl.duration(hours=7)).dt.strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    psu = pl.when(pl.col("_psu")).then(pl.lit(f'"{PSU_NOTE}"')).otherwise(pl.lit("null"))
    return pl.concat_str(
        pl.lit('{"ts":"'),
        ts,
        pl.lit('","psu":'),
        psu,
        pl.lit(',"images":'),
        _image_expr(),
        pl.lit(',"tungsura":{"chart":'),
        _chart_expr(),
        pl.lit(',"administrasi":'),
        _administrasi_expr(),
        pl.lit('},"status_suara":'),
        pl.when(pl.col("_chart_null")).then(pl.lit("false")).otherwise(pl.lit("true")),
        pl.lit(',"status_adm":'),
        pl.when(pl.col("_adm_null")).then(pl.lit("false")).otherwise(pl.lit("true")),
        pl.lit("}"),
    )


def _chart_expr() -> pl.Expr:
    """``{"null":null,"<paslon_id>":votes,…}``, or null when half-digitised."""
    pieces = [
        pl.when(pl.col(f"_pid{s}").is_not_null() & pl.col(c).is_not_null())
        .then(
            pl.concat_str(pl.lit(',"'), pl.col(f"_pid{s}"), pl.lit('":'), pl.col(c).cast(pl.String))
        )
        .otherwise(pl.lit(""))
        for s, c in enumerate(VOTE_COLS)
    ]
    return (
        pl.when(pl.col("_chart_null"))
        .then(pl.lit("null"))
        .otherwise(pl.concat_str(pl.lit('{"null":null'), *pieces, pl.lit("}")))
    )


def _administrasi_expr() -> pl.Expr:
    """The administrative counts, or null when half-digitised."""
    parts: list[pl.Expr] = []
    for k, (key, col) in enumerate(_ADMIN_JSON):
        parts += [pl.lit(("{" if k == 0 else ",") + f'"{key}":'), pl.col(col).cast(pl.String)]
    return (
        pl.when(pl.col("_adm_null"))
        .then(pl.lit("null"))
        .otherwise(pl.concat_str(*parts, pl.lit("}")))
    )


def _image_expr() -> pl.Expr:
    """The C.Hasil photo URL list: a made-up server shard, the desa path, the upload time."""
    uploaded = (
        pl.from_epoch(pl.col("_ts") - 1800, time_unit="s") + pl.duration(hours=7)
    ).dt.strftime("%Y%m%d-%H%M%S")
    return pl.concat_str(
        pl.lit('["https://sirekap-obj-formc.kpu.go.id/'),
        ((pl.col("_tc") * 7919) % 9000 + 1000).cast(pl.String),
        pl.lit("/pilkada/"),
        pl.col("jenis"),
        pl.lit("/"),
        pl.col("kode_desa").str.replace_all(".", "/", literal=True),
        pl.lit("/"),
        pl.col("kode_tps"),
        pl.lit("-"),
        uploaded,
        pl.lit('.jpg"]'),
    )


# --- writing a pull ----------------------------------------------------------------------------


def _write_bundle(
    drop: Drop, label: str, jenis: str, part: pl.DataFrame, watched: list[int]
) -> tuple[int, Where]:
    """One JSONL file for the pull and jenis: ``{"kode_tps":…,"record":…}`` per line."""
    path = drop.out / "kpu" / label / "tps" / f"{jenis}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    part.select(
        pl.concat_str(
            pl.lit('{"kode_tps":"'),
            pl.col("kode_tps"),
            pl.lit('","record":'),
            pl.col("_rec"),
            pl.lit("}"),
        )
    ).write_csv(path, include_header=False, quote_style="never", line_terminator="\n")
    drop.add_file(path, "kpu_tps", part.height, format="jsonl", pull=label)
    rel = drop.rel(path)
    lines = part.filter(pl.col("_tc").is_in(watched)).select("_tc", "_line").rows()
    return 1, {(i, label): {"file": rel, "row": ln} for i, ln in lines}


def _write_files(
    drop: Drop, label: str, jenis: str, part: pl.DataFrame, watched: list[int]
) -> tuple[int, Where]:
    """One JSON file per record: ``kpu/<pull>/tps/<jenis>/<kode_tps>.json``."""
    folder = drop.out / "kpu" / label / "tps" / jenis
    folder.mkdir(parents=True, exist_ok=True)
    _write_many(folder, part.select("kode_tps", "_rec").rows())
    rel = f"kpu/{label}/tps/{jenis}"
    found = part.filter(pl.col("_tc").is_in(watched)).select("_tc", "kode_tps").rows()
    return part.height, {(i, label): {"file": f"{rel}/{k}.json", "row": None} for i, k in found}


def _write_many(folder: Path, records: list[tuple[str, str]]) -> None:
    """Write ``<kode_tps>.json`` files; os.open relative to the folder: ~10x faster than open()."""
    dfd = os.open(folder, os.O_RDONLY)
    try:
        for kode, rec in records:
            fd = os.open(f"{kode}.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dfd)
            os.write(fd, rec.encode("utf-8"))
            os.close(fd)
    finally:
        os.close(dfd)


# --- KPU's aggregates -----------------------------------------------------------------------------


def _write_aggregates(
    w: World, drop: Drop, records: pl.DataFrame, times: list[int]
) -> dict[str, Any]:
    """Every pull's aggregate files (provinsi to kecamatan) with one injected disagreement in the
    last pull; the manifest's summary."""
    kpu = default_settings().kpu_pull.sites["pilkada"]
    tc = w.tc.select("kode_tps", "kode_kontestasi", "jenis")
    paslon = w.paslon.select("kode_kontestasi", "paslon_id")
    fault = _aggregate_fault(w, times)
    n, found = 0, []
    for t in times:
        label = label_wib(t)
        snap = records.filter((pl.col("_from") <= t) & (pl.col("_to") > t))
        faults = fault["faults"] if fault and t == times[-1] else []
        for jenis in sorted(tc["jenis"].unique().to_list()):
            part = snap.filter(pl.col("jenis") == jenis)
            votes = part.select("kode_tps", "_votes").explode("_votes").drop_nulls("_votes")
            votes = votes.select("kode_tps", pl.col("_votes").struct.unnest())
            ts = (pl.from_epoch("_ts", time_unit="s") + pl.duration(hours=7)).dt.strftime(
                "%Y-%m-%d %H:%M:%S"
            )
            meta = part.select("kode_tps", ts.alias("ts"), pl.lit(True).alias("_ada"))
            t_j = tc.filter(pl.col("jenis") == jenis).join(meta, on="kode_tps", how="left")
            t_j = t_j.with_columns(
                pl.col("_ada").fill_null(False), pl.lit(None, pl.String).alias("psu")
            )
            docs = aggregate_docs(kpu, jenis, t_j, votes, paslon, faults, _AGREGAT_DEPTH)
            folder = drop.out / "kpu" / label / "agregat" / jenis
            folder.mkdir(parents=True, exist_ok=True)
            for kode, doc in docs.items():
                (folder / f"{kode}.json").write_bytes(doc)
            n += len(docs)
            if faults and jenis == fault["jenis_pemilihan"]:
                found.append(
                    {
                        **fault["listing"],
                        "file": f"kpu/{label}/agregat/{jenis}/{fault['kode']}.json",
                        "pull": label,
                    }
                )
    tiers = [regions.TIERS[d] for d in range(1, _AGREGAT_DEPTH + 1)]
    return {"files": n, "tingkat": tiers, "kesalahan": found}


def _aggregate_fault(w: World, times: list[int]) -> dict[str, Any] | None:
    """The kecamatan whose aggregate disagrees with its TPS: the middle one (by code) of the
    bupati/walikota contests, on its first paslon by KPU id (the one the builder changes)."""
    if not times:
        return None
    kk = w.tc.filter(pl.col("jenis") == "pkwkk")
    if kk.is_empty():
        return None
    kecs = sorted(kk["kode_kec"].unique().to_list())
    kec = kecs[len(kecs) // 2]
    contest = kk.filter(pl.col("kode_kec") == kec)["kode_kontestasi"][0]
    pid = w.paslon.filter(pl.col("kode_kontestasi") == contest)["paslon_id"].sort()[0]
    kode = regions.undotted(kec)
    item = {
        "gangguan": "selisih",
        "kode": kode,
        "tambah": AGREGAT_SELISIH,
        "jenis_pemilihan": "pkwkk",
    }
    listing = {
        "kind": "agregat_beda_tps",
        "kode_wilayah": kec,
        "kode_kontestasi": contest,
        "paslon_id": pid,
        "selisih": AGREGAT_SELISIH,
    }
    return {
        "faults": standin_faults.parse([item]),
        "kode": kode,
        "jenis_pemilihan": "pkwkk",
        "listing": listing,
    }


# --- the manifest's fault records --------------------------------------------------------------


def _fault_records(
    w: World, ch: RecordChanges, where: Where, labels: list[str], times: list[int], bundle: bool
) -> list[dict[str, Any]]:
    """Each finding with the pulls it is visible in and its file, grouped by effect."""
    ids = {f.tc for f in ch.findings}
    info = {
        r[0]: r
        for r in w.tc.filter(pl.col("_tc").is_in(list(ids)))
        .select("_tc", "kode_tps", "kode_kontestasi")
        .rows()
    }
    out = []
    for f in sorted(ch.findings, key=lambda f: fault_table.listing_order(f.effect)):
        seen = [(p, t) for p, t in zip(labels, times, strict=True) if (f.tc, p) in where]
        visible = [p for p, t in seen if f.revised_at is None or t < f.revised_at]
        extra = f.extra
        if f.revised_at is not None:
            extra = {"revised_in": [p for p, t in seen if t >= f.revised_at], **extra}
        out.append(_fault_record(f, info[f.tc], where, visible, bundle, extra))
    return out


def _fault_record(
    f: RecordFinding,
    info: tuple[Any, ...],
    where: Where,
    visible: list[str],
    bundle: bool,
    extra: dict[str, Any],
) -> dict[str, Any]:
    place = where[(f.tc, visible[0])] if visible else {"file": None, "row": None}
    return {
        "kind": f.kind,
        "side": "kpu",
        "file": place["file"],
        "sheet": None,
        "row": place["row"],
        "data_row": place["row"],
        "kode_tps": info[1],
        "kode_kontestasi": info[2],
        "field": f.field,
        "true_value": f.true_value,
        "injected_value": f.injected_value,
        "pulls": visible,
        "rows_by_pull": {p: where[(f.tc, p)]["row"] for p in visible} if bundle else None,
        **extra,
    }
