"""The PVT sample: drawn before voting day, kept in the drop with its hash, checked when read.

A parallel vote tabulation projects a contest from a random sample of TPS drawn in advance
(``docs/domain.md`` §11). :func:`draw_sample` draws a seeded, stratified random sample of the TPS
of a scope (strata: the kab/kota, or the kecamatan inside a kab/kota scope; each stratum at least
``proyeksi.sample_min_per_stratum`` TPS, the rest in proportion to its TPS). :func:`write_sample`
keeps it in the drop as ``referensi/sampel_pvt.csv`` beside ``referensi/sampel_pvt.json``, which
records the file's SHA-256, the scope, size and seed. :func:`take_in` (run by the daily job after
ingest) reads it back, checks the hash, that every TPS is listed and that the seed draws the same
list again, and writes ``ref__sampel_tps`` and ``ref__sampel``: a sample changed after the fact
is refused, loudly, never used quietly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from analysis import catalog
from analysis.domain import regions
from analysis.schemas import REF_SAMPEL, REF_SAMPEL_TPS, TPS

FOLDER = "referensi"
LIST_FILE = "sampel_pvt.csv"
RECORD_FILE = "sampel_pvt.json"
METHOD = (
    "acak berstrata: TPS diundi tanpa pengembalian per strata; tiap strata sedikitnya "
    "{minimum} TPS, sisanya sebanding jumlah TPS strata"
)


class SampleError(ValueError):
    """A sample that cannot be drawn or written (the message says why, in Bahasa Indonesia)."""


def strata_depth(scope: str) -> int:
    """Depth of the design strata: kab/kota, or kecamatan for a kab/kota or kecamatan scope."""
    return max(regions.TIERS.index("kabkota"), min(regions.depth(scope) + 1, 3))


def frame(codes: pl.Series, scope: str) -> pl.DataFrame:
    """The TPS of ``scope`` (unique, sorted) with their design stratum ``kode_strata``."""
    depth = regions.depth(scope)
    f = pl.DataFrame({"kode_tps": codes.cast(pl.String)}).unique().sort("kode_tps")
    f = f.with_columns(
        regions.tps_ancestor_expr("kode_tps", strata_depth(scope)).alias("kode_strata"),
        regions.tps_ancestor_expr("kode_tps", depth).alias("_lingkup"),
    )
    if scope != regions.NATIONAL:
        f = f.filter(pl.col("_lingkup") == scope)
    return f.drop("_lingkup")


def allocate(sizes: np.ndarray, size: int, minimum: int) -> np.ndarray:
    """TPS to draw per stratum: each at least ``minimum`` (or all it has), then in proportion to
    its TPS by largest remainder, summing to ``size``."""
    base = np.minimum(sizes, minimum)
    if size > sizes.sum():
        raise SampleError(f"ukuran sampel {size} melebihi jumlah TPS ({int(sizes.sum())})")
    if size < base.sum():
        raise SampleError(
            f"ukuran sampel {size} terlalu kecil: {sizes.size} strata × sedikitnya {minimum} "
            f"TPS = {int(base.sum())}"
        )
    ideal = size * sizes / sizes.sum()
    n = np.clip(np.floor(ideal).astype(np.int64), base, sizes)
    while n.sum() != size:
        gap = ideal - n
        if n.sum() < size:
            i = int(np.argmax(np.where(n < sizes, gap, -np.inf)))
            n[i] += 1
        else:
            i = int(np.argmin(np.where(n > base, gap, np.inf)))
            n[i] -= 1
    return n


def minimum_size(codes: pl.Series, scope: str, minimum: int) -> int:
    """The smallest sample that gives every stratum of ``scope`` its minimum."""
    sizes = frame(codes, scope).group_by("kode_strata").len()["len"].to_numpy()
    return int(np.minimum(sizes, minimum).sum())


def default_size(codes: pl.Series, scope: str, share: float, minimum: int) -> int:
    """``share`` of the scope's TPS, at least every stratum's minimum, at most every TPS."""
    n = frame(codes, scope).height
    return min(n, max(round(share * n), minimum_size(codes, scope, minimum)))


def draw_sample(codes: pl.Series, scope: str, size: int, seed: int, minimum: int) -> pl.DataFrame:
    """The sample: one row per drawn TPS (``REF_SAMPEL_TPS``'s columns), sorted by code.

    Depends only on the set of TPS codes, the scope, the size, the minimum and the seed: the same
    inputs draw the same TPS on any machine.
    """
    f = frame(codes, scope)
    if f.is_empty():
        raise SampleError(f"tidak ada TPS di lingkup {scope}")
    strata = f.group_by("kode_strata").len().sort("kode_strata")
    n = allocate(strata["len"].to_numpy(), size, minimum)
    rng = np.random.default_rng(seed)
    picked = []
    for (code, count), k in zip(strata.iter_rows(), n, strict=True):
        rows = f.filter(pl.col("kode_strata") == code)
        idx = np.sort(rng.choice(count, size=int(k), replace=False))
        picked.append(rows[idx].with_columns(pl.lit(count).alias("tps_strata")))
    out = pl.concat(picked).with_columns(
        pl.len().over("kode_strata").alias("sampel_strata"),
    )
    return REF_SAMPEL_TPS.conform(out).select(list(REF_SAMPEL_TPS.columns)).sort("kode_tps")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_sample(
    drop: Path, sample: pl.DataFrame, scope: str, seed: int, minimum: int, drawn: dt.datetime
) -> tuple[Path, str]:
    """``referensi/sampel_pvt.csv`` and its record ``sampel_pvt.json`` in the drop; (csv, hash).

    Refuses to replace a sample already there: the point of the record is that it never changes.
    """
    folder = Path(drop) / FOLDER
    path = folder / LIST_FILE
    if path.exists() or (folder / RECORD_FILE).exists():
        raise SampleError(
            f"{path}: sampel sudah ada; sampel tidak diganti diam-diam — hapus berkasnya dengan "
            "sadar (dan catat alasannya) bila memang harus diundi ulang"
        )
    folder.mkdir(parents=True, exist_ok=True)
    data = sample.write_csv(line_terminator="\n").encode("utf-8")
    path.write_bytes(data)
    digest = sha256(data)
    record = {
        "berkas": f"{FOLDER}/{LIST_FILE}",
        "sha256": digest,
        "lingkup": scope,
        "tingkat_strata": regions.TIERS[strata_depth(scope)],
        "ukuran": sample.height,
        "seed": seed,
        "minimal_per_strata": minimum,
        "dibuat": drawn.isoformat(),
        "metode": METHOD.format(minimum=minimum),
    }
    text = json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    (folder / RECORD_FILE).write_text(text, encoding="utf-8")
    return path, digest


# --- Reading it back ------------------------------------------------------------------------------


@dataclass
class Intake:
    """The sample as read from a drop: its rows and its record (``ref__sampel``'s one row)."""

    rows: pl.DataFrame
    record: dict | None  # None: the drop holds no sample

    def line(self) -> str:
        """One line for the daily job's log (Bahasa Indonesia)."""
        if self.record is None:
            return "sampel PVT: tidak ada di data ini"
        r = self.record
        state = "sah" if r["sah"] else "TIDAK SAH"
        return f"sampel PVT: {r['ukuran']} TPS, sha256 {r['sha256']}, {state} — {r['pesan']}"


def _read_record(folder: Path) -> tuple[dict, list[str]]:
    """The recorded JSON (empty when absent or unreadable) and the problems found."""
    path = folder / RECORD_FILE
    if not path.exists():
        return {}, [f"{FOLDER}/{RECORD_FILE} tidak ada: hash sampel tidak tercatat"]
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {}, [f"{FOLDER}/{RECORD_FILE} tidak terbaca ({exc})"]
    return record if isinstance(record, dict) else {}, []


def _rows(data: bytes, listed: pl.Series) -> tuple[pl.DataFrame, list[str]]:
    """The sample's rows; a row whose TPS is not listed (or a bad file) is a problem named."""
    try:
        rows = pl.read_csv(data, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        return REF_SAMPEL_TPS.empty(), [f"{FOLDER}/{LIST_FILE} tidak terbaca ({exc})"]
    missing = [c for c in REF_SAMPEL_TPS.columns if c not in rows.columns]
    if missing:
        return REF_SAMPEL_TPS.empty(), [f"{FOLDER}/{LIST_FILE}: kolom tidak ada: {missing}"]
    rows = REF_SAMPEL_TPS.conform(rows).with_row_index("_baris", offset=2)
    bad = rows.filter(~pl.col("kode_tps").is_in(listed.implode()))
    problems = [
        f"{FOLDER}/{LIST_FILE} baris {r['_baris']}, kolom kode_tps: {r['kode_tps']!r} tidak ada "
        "di daftar TPS"
        for r in bad.head(5).iter_rows(named=True)
    ]
    if bad.height > 5:
        problems.append(f"… dan {bad.height - 5} baris lain")
    return rows.filter(~pl.col("_baris").is_in(bad["_baris"].implode())).drop("_baris"), problems


def _redraws(rows: pl.DataFrame, record: dict, listed: pl.Series) -> bool | None:
    """Whether the recorded seed draws this very list again (None: the record cannot say)."""
    try:
        again = draw_sample(
            listed,
            record["lingkup"],
            int(record["ukuran"]),
            int(record["seed"]),
            int(record["minimal_per_strata"]),
        )
    except (KeyError, TypeError, ValueError):
        return None
    return again["kode_tps"].to_list() == rows["kode_tps"].sort().to_list()


#: Where :func:`take_in` keeps the redraw checks it made (in the processed folder's cache).
REDRAW_MEMO = "sampel.json"


def _redraws_kept(
    rows: pl.DataFrame, record: dict, listed: pl.Series, memo: Path | None
) -> bool | None:
    """:func:`_redraws`, kept in ``memo`` by what decides it (the recorded way of drawing, the
    sample's codes, the TPS list's codes, the code): drawing the national sample again costs about
    2 s, and every ingest checks it."""
    if memo is None:
        return _redraws(rows, record, listed)
    from analysis import incremental
    from analysis.publish import write_text_atomic

    key = incremental.digest(
        {
            "cara": {k: record.get(k) for k in ("lingkup", "ukuran", "seed", "minimal_per_strata")},
            "sampel": incremental.frame_sha(rows.select(pl.col("kode_tps").sort())),
            "daftar": incremental.frame_sha(listed.sort().to_frame()),
            "kode": incremental.code_fingerprint(),
        }
    )
    try:
        kept = json.loads(memo.read_text(encoding="utf-8"))
        if isinstance(kept, dict) and kept.get("kunci") == key:
            return kept.get("ulang")
    except (OSError, ValueError):
        pass
    again = _redraws(rows, record, listed)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(memo, json.dumps({"kunci": key, "ulang": again}))
    except OSError:
        pass  # the next run draws again
    return again


def read_sample(raw: Path, listed: pl.Series, memo: Path | None = None) -> Intake:
    """The sample of the drop at ``raw`` checked against its record and the TPS list ``listed``
    (``memo``: where the redraw check is kept, :func:`_redraws_kept`)."""
    folder = Path(raw) / FOLDER
    path = folder / LIST_FILE
    if not path.exists():
        return Intake(REF_SAMPEL_TPS.empty(), None)
    data = path.read_bytes()
    record, problems = _read_record(folder)
    digest = sha256(data)
    if record and record.get("sha256") != digest:
        problems.append(
            f"isi {FOLDER}/{LIST_FILE} berubah sejak diundi (sha256 tercatat "
            f"{record.get('sha256')}, sekarang {digest})"
        )
    rows, row_problems = _rows(data, listed)
    problems += row_problems
    again = _redraws_kept(rows, record, listed, memo) if record else None
    dibaca = data.count(b"\n") - 1
    out = {
        "berkas": f"{FOLDER}/{LIST_FILE}",
        "sha256": digest,
        "sha256_tercatat": record.get("sha256"),
        "sah": not problems,
        "dapat_diulang": again,
        "pesan": "; ".join(problems) or _fine(again),
        "lingkup": record.get("lingkup", regions.NATIONAL),
        "tingkat_strata": record.get("tingkat_strata", "kabkota"),
        "ukuran": rows.height,
        "seed": record.get("seed"),
        "dibuat": _utc(record.get("dibuat")),
        "baris_dibaca": dibaca,
        "baris_ditolak": dibaca - rows.height,
    }
    return Intake(rows, out)


#: What a sample whose hash matches says about drawing it again (True / False / None).
REDRAW: dict[bool | None, str] = {
    True: "hash cocok dengan catatan; undian ulang dengan seed tercatat memberi daftar yang sama",
    False: "hash cocok dengan catatan, tetapi undian ulang dengan seed tercatat memberi daftar "
    "lain (daftar TPS berubah sejak diundi?)",
    None: "hash cocok dengan catatan; catatan tidak memuat cara mengundi ulang",
}


def _fine(again: bool | None) -> str:
    return REDRAW[again]


def _utc(text: object) -> dt.datetime | None:
    """The recorded drawing time in UTC (None when absent or not an ISO time with offset)."""
    try:
        t = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return t.astimezone(dt.UTC) if t.tzinfo else None


def take_in(raw: Path, processed: Path) -> Intake:
    """Read the drop's sample (if any) and write ``ref__sampel_tps`` and ``ref__sampel``."""
    listed = catalog.read(TPS.name, processed)["kode_tps"]
    intake = read_sample(raw, listed, processed / catalog.CACHE_DIR / REDRAW_MEMO)
    catalog.write(intake.rows, REF_SAMPEL_TPS.name, processed)
    record = (
        pl.DataFrame([intake.record], schema=REF_SAMPEL.polars_schema)
        if intake.record
        else REF_SAMPEL.empty()
    )
    catalog.write(record, REF_SAMPEL.name, processed)
    return intake


def record_of(df: pl.DataFrame) -> dict | None:
    """The one ``ref__sampel`` row as a dict (None when the drop held no sample)."""
    return df.row(0, named=True) if df.height else None
