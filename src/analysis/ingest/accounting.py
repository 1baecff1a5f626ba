"""The accounting of a run: per raw file, rows read = accepted + rejected + superseded.

One row per file of the drop (:data:`analysis.schemas.ACCOUNTING`): a file read whole
(``diterima``, with its rows' fates counted), a file that could not be read, lies where no kind
is expected or is refused at the drop's boundary (``ditolak``, with the reason), a copy of content
already read (``duplikat``: the same sha256 is read once), or a file that is not data
(``dilewati``: see :mod:`analysis.ingest.survey`). The ledger (:data:`analysis.schemas.LEDGER`) adds each file's size and
when its content was first ingested. :class:`Accounting` holds the outcome and prints it.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from analysis import catalog, fmt
from analysis.ingest.checks import SUMMARY_SCHEMA
from analysis.ingest.fates import DIGANTIKAN, DITERIMA, DITOLAK
from analysis.ingest.specs import Spec, is_sirekap_record
from analysis.schemas import ACCOUNTING, LEDGER

if TYPE_CHECKING:
    from analysis.ingest.partitions import PartReuse
    from analysis.ingest.verdicts import Reuse

FILE_DUPLICATE = "duplikat"
FILE_SKIPPED = "dilewati"  # not data (hidden, manifest, a pull's bookkeeping, a staged pull)
ACCOUNTING_SCHEMA = ACCOUNTING.polars_schema
COUNTS = ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")
UNKNOWN_PLACE = (
    "letak berkas tidak dikenal; taruh di referensi/, hitung_internal/, kpu/, "
    "insiden/ atau kesiapan/ (lihat analysis.catalog)"
)
_HEADER = ("Berkas", "Dataset", "Status", "Dibaca", "Diterima", "Ditolak", "Digantikan")
_PATH_WIDTH = 70


@dataclass
class Accounting:
    """The outcome of one ingest run.

    ``files``: one row per raw file (path): rows read / accepted / rejected / superseded, status,
    message. ``messages``: one clear line per file-level problem. ``check_summary``: one row per
    dataset × check × kab/kota.
    """

    files: pl.DataFrame
    messages: list[str] = field(default_factory=list)
    check_summary: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SUMMARY_SCHEMA))
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (bench)
    #: per validated dataset served by the verdict cache: what was validated, what was kept
    reuse: list[Reuse] = field(default_factory=list)
    hashes_reused: int = 0  # files whose sha256 the daily run's stat cache gave (not read again)
    hashes_read: int = 0  # files read to hash them
    taken: list[str] = field(default_factory=list)  # kinds taken as they were (ingest.memo)
    #: per kind decided by kab/kota: parts decided again and kept (ingest.partitions)
    parts: list[PartReuse] = field(default_factory=list)

    def redone(self) -> list[str]:
        """What the run hashed and validated again and what it took from its caches, one line
        each (Bahasa Indonesia)."""
        hashed = (
            [
                f"sidik berkas: {fmt.angka(self.hashes_read)} berkas dibaca untuk sha256, "
                f"{fmt.angka(self.hashes_reused)} dari catatan run sebelumnya (ukuran, waktu "
                "ubah dan inode sama)"
            ]
            if self.hashes_reused
            else []
        )
        taken = (
            [
                "jenis yang berkas, referensi, kode dan pengaturannya sama dengan run sebelumnya "
                f"(diambil apa adanya, tidak dibaca/divalidasi lagi): {', '.join(self.taken)}"
            ]
            if self.taken
            else []
        )
        return hashed + taken + [r.line() for r in (*self.parts, *self.reuse)]

    @property
    def balanced(self) -> bool:
        """Rows read = accepted + rejected + superseded for every file."""
        f = self.files
        return bool(
            (
                f["baris_dibaca"]
                == f["baris_diterima"] + f["baris_ditolak"] + f["baris_digantikan"]
            ).all()
        )

    def totals(self) -> dict[str, int]:
        return {c: int(self.files[c].sum()) for c in COUNTS}

    def table(self, max_files: int = 40) -> str:
        """The accounting as a text table (per file, or per folder when there are many files)."""
        f = self.files
        f = _by_folder(f) if f.height > max_files else f.with_columns(pl.lit(1).alias("berkas"))
        rows = [
            (
                r["path"] + (f" ({r['berkas']} berkas)" if r["berkas"] > 1 else ""),
                r["dataset"] or "-",
                r["status"],
                *(str(r[c]) for c in COUNTS),
            )
            for r in f.iter_rows(named=True)
        ]
        t = self.totals()
        status = "seimbang" if self.balanced else "TIDAK SEIMBANG"
        return _render(rows, ("JUMLAH", "", status, *(str(t[c]) for c in COUNTS)))


def _by_folder(f: pl.DataFrame) -> pl.DataFrame:
    """Files summed per folder, dataset and status (``berkas``: how many files)."""
    return (
        f.with_columns(pl.col("path").str.replace(r"/[^/]+$", "/*").alias("path"))
        .group_by("path", "dataset", "status")
        .agg(pl.len().alias("berkas"), *(pl.col(c).sum() for c in COUNTS))
        .sort("path", "status")
    )


def _render(rows: list[tuple[str, ...]], total: tuple[str, ...]) -> str:
    """Text columns: names left, counts right; a long path keeps its end."""
    widths = [max(len(x[i]) for x in [_HEADER, *rows, total]) for i in range(len(_HEADER))]
    widths[0] = min(widths[0], _PATH_WIDTH)

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            c = c if len(c) <= widths[i] else "…" + c[-(widths[i] - 1) :]
            out.append(c.ljust(widths[i]) if i < 3 else c.rjust(widths[i]))
        return "  ".join(out)

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(_HEADER), sep, *(line(r) for r in rows), sep, line(total)])


# --- One row per file -----------------------------------------------------------------------------


def file_row(
    path: str,
    sha: str | None,
    dataset: str | None,
    status: str,
    pesan: str | None,
    counts: Sequence[int] = (0, 0, 0, 0),
) -> dict:
    """One accounting row; ``counts``: rows read, accepted, rejected, superseded."""
    return {"path": path, "sha256": sha, "dataset": dataset, "status": status, "pesan": pesan,
            **dict(zip(COUNTS, counts, strict=True))}  # fmt: skip


def row_counts(decided: pl.DataFrame) -> dict[str, dict]:
    """Per source file, its rows read and their fates."""
    counts = decided.group_by("sumber_file").agg(
        pl.len().alias("baris_dibaca"),
        (pl.col("_status") == DITERIMA).sum().alias("baris_diterima"),
        (pl.col("_status") == DITOLAK).sum().alias("baris_ditolak"),
        (pl.col("_status") == DIGANTIKAN).sum().alias("baris_digantikan"),
    )
    return {r["sumber_file"]: r for r in counts.iter_rows(named=True)}


ROWS_WITH_FILE = "baris data ikut ditolak bersama berkas"
ROWS_UNCOUNTED = "jumlah barisnya tidak dapat dihitung (bukan teks)"
_CONTROL = bytes(c for c in range(32) if c not in b"\t\n\r\x0c")


def rows_in_rejected(path: Path) -> int | None:
    """How many data rows a file rejected whole holds, so they are not lost from the accounting: a
    per-TPS record is one; a bundle, its non-blank lines; a table, its non-blank lines but the
    first (the header). None when it cannot be told (not text: binary, a workbook)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not data.strip():
        return 0
    if path.suffix.lower() == ".json":
        return 1
    head = data[:4096]
    if data.startswith(b"PK\x03\x04") or len(head) - len(
        head.translate(None, _CONTROL)
    ) > 0.01 * len(head):
        return None
    lines = sum(1 for ln in data.splitlines() if ln.strip())
    return lines if path.suffix.lower() == ".jsonl" else max(lines - 1, 0)


def kind_rows(
    spec: Spec,
    files: pl.DataFrame,
    counts: dict[str, dict],
    shas: dict[str, str],
    messages: list[str],
    raw: Path | None = None,
) -> list[dict]:
    """The accounting rows of one kind's files (``files``: path, error, notes per file): a file
    that could not be read is rejected whole (and said in ``messages``) with its rows counted as
    rejected (:func:`rows_in_rejected`); one read has its rows' fates counted."""
    out = []
    for f in files.iter_rows(named=True):
        rel = f["path"]
        if f["error"]:
            messages.append(f"{rel}: DITOLAK — {f['error']}")
            n = rows_in_rejected(raw / rel) if raw is not None else None
            pesan = f["error"] + (f"; {ROWS_UNCOUNTED}" if n is None else f"; {n} {ROWS_WITH_FILE}")
            counts_ = (n or 0, 0, n or 0, 0)
            out.append(file_row(rel, shas.get(rel), spec.name, DITOLAK, pesan, counts_))
            continue
        c = counts.get(rel, {})
        note = f["notes"] or (None if c else "tidak ada baris data")
        n = [int(c.get(k, 0)) for k in COUNTS]
        out.append(file_row(rel, shas.get(rel), spec.name, DITERIMA, note, n))
    return out


# --- Files: identity, hash, ledger ----------------------------------------------------------------

_HASH_CHUNK = 32 << 20  # large reads: each one gives the GIL back and must take it again, and
# while Great Expectations is imported in another thread every re-take can wait ~5 ms


def sha256(path: Path) -> tuple[str, int]:
    """The file's sha256 (hex) and size in bytes. Opened without following a symbolic link and
    without waiting on a FIFO, and only hashed if it is a regular file (an ``OSError`` otherwise:
    a file swapped for a link or a FIFO after the drop was surveyed is refused, never read)."""
    h = hashlib.sha256()
    size = 0
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "bukan berkas biasa")
    with os.fdopen(fd, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def identity(kind: str, path: Path, sha: str) -> str:
    """What makes two files the same input: their content. Not for a Sirekap per-TPS JSON, whose
    name (the TPS code) and pull folder are part of the record: two TPS can publish byte-identical
    empty records, and an unchanged record in a later pull is a snapshot; both are handled row by
    row (the snapshot rule of :class:`~analysis.ingest.specs.Spec`)."""
    if is_sirekap_record(kind, path):
        return f"{sha}:{path.as_posix()}"
    return sha


def ledger(processed: Path, sizes: dict[str, int], accounting: pl.DataFrame) -> pl.DataFrame:
    """One row per raw file path; ``waktu_ingest`` is when its content was first ingested (kept
    from the previous ledger under ``processed``; for a file not read, when it was first listed)."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    before: dict[str, dt.datetime] = {}
    seen: dict[str, dt.datetime] = {}  # files not hashed (not read): first listed, by path
    prev = catalog.located(LEDGER.name, root=processed)
    if prev.exists():
        try:
            p = pl.read_parquet(prev, columns=["path", "sha256", "waktu_ingest"])
            hashed = p.drop_nulls(["sha256", "waktu_ingest"])
            before = dict(zip(hashed["sha256"], hashed["waktu_ingest"], strict=True))
            listed = p.filter(pl.col("sha256").is_null()).drop_nulls("waktu_ingest")
            seen = dict(zip(listed["path"], listed["waktu_ingest"], strict=True))
        except Exception:  # noqa: BLE001 - a broken ledger is rebuilt
            before, seen = {}, {}
    when = pl.Datetime("us", "UTC")
    led = accounting.with_columns(
        pl.col("path")
        .replace_strict(sizes, default=None, return_dtype=pl.Int64)
        .alias("ukuran_byte"),
        pl.when(pl.col("sha256").is_null())
        .then(pl.col("path").replace_strict(seen, default=now, return_dtype=when))
        .otherwise(pl.col("sha256").replace_strict(before, default=now, return_dtype=when))
        .alias("waktu_ingest"),
    )
    return LEDGER.conform(led).select(list(LEDGER.columns))
