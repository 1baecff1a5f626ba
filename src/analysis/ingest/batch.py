"""Reading a whole kind: every file of one kind parsed (or taken from the parse cache) into one
batch of rows with a stable global row id ``_rid`` (path order, then row order in the file).

Sirekap pulls are read pull by pull: a per-TPS file byte-identical to the same file in the
previous pull, and a bundle line byte-identical to a line of the previous pull's bundle, is an
unchanged record. It is not parsed again but becomes a row pointing to the record it copies
(``_src_file``/``_src_baris``); :func:`analysis.ingest.fates.copy_fates` gives it that record's
fate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis import read
from analysis.ingest.cache import ParseCache
from analysis.ingest.specs import is_sirekap_record

Item = tuple[Path, str, int, str]  # (path, cache key (sha256), size in bytes, path in the drop)
#: Where prefetched table parses come from: (kind, [(path, rel, sha)]) -> (frame, outcome) or None.
TakeTables = Callable[[str, list[tuple[Path, str, str]]], tuple[pl.DataFrame | None, list] | None]

_FILES_SCHEMA = {
    "path": pl.String,
    "sha256": pl.String,
    "ukuran_byte": pl.Int64,
    "error": pl.String,
    "notes": pl.String,
}


@dataclass
class KindBatch:
    """All rows of one kind, each with a global ``_rid``; file-level outcomes per path."""

    rows: pl.DataFrame | None
    votes: pl.DataFrame | None
    files: pl.DataFrame  # path, sha256, ukuran_byte, error, notes


def files_frame(rows: list[tuple]) -> pl.DataFrame:
    """Per-file outcomes (path, sha256, ukuran_byte, error, notes) as a frame."""
    return pl.DataFrame(rows, schema=_FILES_SCHEMA, orient="row")


# --- One kind ------------------------------------------------------------------------------------


def read_kind(
    kind: str,
    items: list[Item],
    raw: Path,
    cache: ParseCache,
    previous: dict[str, tuple[Path, str]] | None = None,
    extra: tuple[pl.DataFrame | None, pl.DataFrame] | None = None,
    take_tables: TakeTables | None = None,
) -> KindBatch:
    """Parse (or take from cache) every file of one kind. ``previous``: bundle -> its previous
    pull's bundle; ``extra``: rows and files added after caching (unchanged Sirekap copies);
    ``take_tables``: where table files parsed ahead of time are taken from."""
    rows, votes, files, new = _parse_or_recall(kind, items, raw, cache, previous, take_tables)
    if new:
        cache.save(kind, rows, votes, files)
    if rows is not None and kind in read.COERCE and "nilai_asli" in rows.columns:
        # the original cells are only needed for rejected rows: quarantine takes them back from
        # the parse cache (ParseCache.originals), which keeps every row's
        rows = rows.drop("nilai_asli")
    if extra is not None:
        if extra[0] is not None:
            rows = pl.concat([r for r in (rows, extra[0]) if r is not None], how="diagonal_relaxed")
        files = pl.concat([files, extra[1]], how="diagonal_relaxed")
    if rows is not None and rows.height:
        rows, votes = _number_rows(kind, rows, votes)
    return KindBatch(rows, votes, files.sort("path"))


def _parse_or_recall(
    kind: str,
    items: list[Item],
    raw: Path,
    cache: ParseCache,
    previous: dict[str, tuple[Path, str]] | None,
    take_tables: TakeTables | None,
) -> tuple[pl.DataFrame | None, pl.DataFrame | None, pl.DataFrame, bool]:
    """Rows, votes and file outcomes of ``items``: the cached parse of the files the cache knows,
    a fresh parse of the others; the last value says whether anything was parsed."""
    known = cache.known(kind)
    hit = {(sha, rel) for _, sha, _, rel in items} & known
    new = [it for it in items if (it[1], it[3]) not in known]
    rows_parts, votes_parts, file_rows = [], [], []
    if hit:
        r, v, f = cache.get(kind, hit)
        rows_parts += [r] if r is not None else []
        votes_parts += [v] if v is not None else []
        file_rows.append(f)
    if new:
        cached = pl.concat(rows_parts, how="diagonal_relaxed") if rows_parts else None
        nr, nv, nf = _parse_new(kind, new, raw, previous or {}, cached, take_tables)
        rows_parts += nr
        votes_parts += nv
        file_rows.append(nf)
    files = pl.concat(file_rows, how="diagonal_relaxed") if file_rows else files_frame([])
    rows = pl.concat(rows_parts, how="diagonal_relaxed") if rows_parts else None
    votes = pl.concat(votes_parts, how="diagonal_relaxed") if votes_parts else None
    return rows, votes, files, bool(new)


def _number_rows(
    kind: str, rows: pl.DataFrame, votes: pl.DataFrame | None
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """A stable global row order (path, then row within the file) as ``_rid``, carried to the
    votes (table kinds come typed from :func:`typed_parse`)."""
    # files by number in path order: sorting and joining on integers, not on path and hash text,
    # costs a fraction of the memory (a path holds one content in a batch)
    names = sorted(rows["sumber_file"].unique().drop_nulls().to_list())
    file_no = pl.col("sumber_file").replace_strict(
        {n: k for k, n in enumerate(names)}, default=None, return_dtype=pl.Int64
    )
    rows = (
        rows.with_columns(file_no.alias("_f"))
        .sort("_f", "_i", nulls_last=True)
        .with_row_index("_rid")
        .with_columns(pl.col("_rid").cast(pl.Int64))
    )
    if votes is not None:
        votes = (
            votes.with_columns(file_no.alias("_f"))
            .drop("_sha", "sumber_file")
            .join(rows.select("_f", "_i", "_rid"), on=["_f", "_i"], how="inner")
            .drop("_f", "_i")
        )
    rows = rows.drop("_f", "_sha", strict=False)  # only the cache and the join above need _sha
    if kind in read.COERCE:  # ``_rid`` stands where the typing put ``_i``
        rows = rows.select(["_rid" if c == "_i" else c for c in rows.columns if c != "_rid"])
        if votes is not None:
            votes = votes.select("_rid", "nomor_urut", "paslon_id", "suara").sort(
                "_rid", "nomor_urut", maintain_order=True
            )
    return rows, votes


# --- Parsing the files the cache does not hold ----------------------------------------------------


def _parse_new(
    kind: str,
    items: list[Item],
    raw: Path,
    previous: dict[str, tuple[Path, str]],
    cached: pl.DataFrame | None,
    take_tables: TakeTables | None = None,
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], pl.DataFrame]:
    records = [it for it in items if is_sirekap_record(kind, it[0])]
    others = [it for it in items if not is_sirekap_record(kind, it[0])]
    rows, votes, files = _parse_sirekap_records(records) if records else ([], [], [])
    if kind in read.COERCE:
        r, v, f = _parse_tables(kind, others, take_tables)
        return rows + r, votes + v, files_frame(files + f)
    r, v, f = _parse_one_by_one(kind, others, raw, previous, cached)
    return rows + r, votes + v, files_frame(files + f)


def _parse_tables(
    kind: str, items: list[Item], take_tables: TakeTables | None
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], list[tuple]]:
    """Table files (CSV/xlsx): every file's rows in one frame (parsed ahead if it was), typed."""
    table_files = [(p, rel, sha) for p, sha, _, rel in items]
    done = take_tables(kind, table_files) if take_tables is not None else None
    frame, outcome = done or read.read_tables_raw(kind, table_files)
    sizes = {rel: (sha, size) for _, sha, size, rel in items}
    files = [(rel, *sizes[rel], err, notes) for rel, err, notes in outcome]
    if frame is None or not frame.height:
        return [], [], files
    rows, votes = typed_parse(kind, frame)
    return [rows], ([votes] if votes is not None else []), files


def typed_parse(kind: str, text: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Table rows just parsed as text (``_sha``, ``sumber_file``, ``_i`` within the file) typed
    row by row (:func:`analysis.read.coerce`), each with its file and place, and their votes so
    tagged: the parse cache keeps them typed, so a re-run types only the files it has not seen
    (typing one file or a whole batch gives the same rows)."""
    numbered = text.with_row_index("_k").with_columns(pl.col("_k").cast(pl.Int64))
    place = numbered.select("_k", pl.col("_i").alias("_i_file"), "_sha", "sumber_file")
    typed = read.coerce(read.FileRead(kind, rows=numbered.drop("_i").rename({"_k": "_i"})))
    at = place.drop("sumber_file").rename({"_k": "_i"})
    rows = (
        typed.rows.join(at, on="_i", how="left", maintain_order="left")
        .with_columns(pl.col("_i_file").alias("_i"))
        .drop("_i_file")
    )
    if typed.votes is None:
        return rows, None
    votes = (
        typed.votes.join(place.rename({"_k": "_i"}), on="_i", how="left", maintain_order="left")
        .with_columns(pl.col("_i_file").alias("_i"))
        .drop("_i_file")
    )
    return rows, votes


def _parse_one_by_one(
    kind: str,
    items: list[Item],
    raw: Path,
    previous: dict[str, tuple[Path, str]],
    cached: pl.DataFrame | None,
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], list[tuple]]:
    """Files read one at a time (Sirekap bundles, in pull order: each is read against the
    previous pull's bundle, whose lines it may copy)."""
    rows, votes, files = [], [], []
    parsed: dict[str, pl.DataFrame] = {}
    tables: dict[str, pl.DataFrame] = {}
    for path, sha, size, rel in items:
        if rel in previous:
            fr = _read_bundle_after(path, rel, previous[rel], parsed, tables, cached)
        else:
            fr = read.read_file(path, raw, kind=kind, typed=False)
        if fr.error is None and kind == "official":
            parsed[rel] = fr.rows
            if fr.line_table is not None:
                tables[rel] = fr.line_table
        files.append((rel, sha, size, fr.error, "; ".join(fr.notes) or None))
        if fr.error is None and fr.rows.height:
            rows.append(fr.rows.with_columns(pl.lit(sha).alias("_sha")))
            if fr.votes is not None:
                votes.append(
                    fr.votes.with_columns(
                        pl.lit(sha).alias("_sha"), pl.lit(rel).alias("sumber_file")
                    )
                )
    return rows, votes, files


def _read_bundle_after(
    path: Path,
    rel: str,
    prev: tuple[Path, str],
    parsed: dict[str, pl.DataFrame],
    tables: dict[str, pl.DataFrame],
    cached: pl.DataFrame | None,
) -> read.FileRead:
    """A bundle after the first pull: lines unchanged since the previous pull's bundle are copies."""
    prev_path, prev_rel = prev
    prev_rows = parsed.get(prev_rel)
    if prev_rows is None and cached is not None:
        prev_rows = cached.filter(pl.col("sumber_file") == prev_rel)
    table = tables.pop(prev_rel, None)  # each table serves only the next pull
    if table is None and prev_rows is not None and prev_rows.height:
        table = read.jsonl_line_table(prev_path.read_bytes(), prev_rel, prev_rows)
    try:
        return read.read_sirekap_jsonl(path.read_bytes(), rel, previous=table)
    except OSError as exc:
        return read.FileRead("official", error=f"tidak bisa dibaca ({exc.strerror})")


def _parse_sirekap_records(items: list[Item]) -> tuple[list, list, list]:
    """Many per-TPS JSON files at once: one frame per folder (creating a frame per file is slow)."""
    builders: dict[str, read.OfficialBuilder] = {}
    shas: dict[str, list[str]] = {}
    files = []
    for path, sha, size, rel in items:
        try:
            data = path.read_bytes()
        except OSError as exc:
            files.append((rel, sha, size, f"tidak bisa dibaca ({exc.strerror})", None))
            continue
        rec, error = read.sirekap_record(data)
        files.append((rel, sha, size, error, None))
        if rec is None:
            continue
        parent = str(Path(rel).parent)
        if parent not in builders:
            builders[parent] = read.OfficialBuilder(rel, read.path_jenis(rel), read.path_pull(rel))
            shas[parent] = []
        builders[parent].add(read.tps_code_of(rel, rec), rec, 1, [], rel=rel)
        shas[parent].append(sha)
    rows, votes = [], []
    for parent, b in builders.items():
        fr = b.result()
        r = fr.rows.with_columns(pl.Series("_sha", shas[parent], dtype=pl.String))
        # each record is its own file: _i = 0 inside it
        v = fr.votes.join(r.select("_i", "sumber_file", "_sha"), on="_i").with_columns(
            pl.lit(0, dtype=pl.Int64).alias("_i")
        )
        rows.append(r.with_columns(pl.lit(0, dtype=pl.Int64).alias("_i")))
        votes.append(v)
    return rows, votes, files


# --- Sirekap pulls -------------------------------------------------------------------------------


def pull_key(rel: str) -> str:
    """The same Sirekap file across pulls: its path with the pull folder replaced by ``*``."""
    return "/".join("*" if read.PULL_RE.match(p) else p for p in rel.split("/"))


def _by_file_across_pulls(items: list[Item]) -> list[list[Item]]:
    """The files grouped by :func:`pull_key`, each group in pull order."""
    groups: dict[str, list[Item]] = {}
    for it in items:
        groups.setdefault(pull_key(it[3]), []).append(it)
    earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
    for group in groups.values():
        group.sort(key=lambda it: (read.path_pull(it[3]) or earliest, it[3]))
    return list(groups.values())


def _copies_frame(copies: list[tuple[str, str]]) -> pl.DataFrame | None:
    """Rows standing for unchanged per-TPS files: (copy's path, the file it copies)."""
    if not copies:
        return None
    return pl.DataFrame(
        {
            "sumber_file": [c[0] for c in copies],
            "_src_file": [c[1] for c in copies],
            "waktu_tarik": [read.path_pull(rel) for rel, _ in copies],
        },
        schema={
            "sumber_file": pl.String,
            "_src_file": pl.String,
            "waktu_tarik": pl.Datetime("us", "UTC"),
        },
    ).with_columns(
        pl.lit(1, dtype=pl.Int64).alias("sumber_baris"),
        pl.lit(1, dtype=pl.Int64).alias("_src_baris"),
        pl.lit(0, dtype=pl.Int64).alias("_i"),
        pl.lit([], dtype=pl.List(pl.String)).alias("masalah"),
        pl.lit("").alias("_sha"),
    )


def read_official(items: list[Item], raw: Path, cache: ParseCache) -> KindBatch:
    """Sirekap files, pull by pull (module docstring). A bundle's parse depends on its previous
    pull, so its cache key is both hashes."""
    plain, bundles, copies, copy_files = [], [], [], []
    previous: dict[str, tuple[Path, str]] = {}
    for group in _by_file_across_pulls(items):
        prev: Item | None = None
        root = None
        for it in group:
            path, sha, size, rel = it
            if path.suffix.lower() == ".jsonl":
                bundles.append((path, f"{sha}|{prev[1] if prev else ''}", size, rel))
                if prev is not None:
                    previous[rel] = (prev[0], prev[3])
            elif prev is not None and prev[1] == sha and root is not None:
                copies.append((rel, root))
                copy_files.append((rel, sha, size, None, None))
            else:
                plain.append(it)
                root = rel
            prev = it
    extra = (_copies_frame(copies), files_frame(copy_files))
    return read_kind("official", plain + bundles, raw, cache, previous=previous, extra=extra)


def read_official_alone(
    items: list[Item], raw: Path, processed: Path
) -> dict[str, pl.DataFrame | None]:
    """:func:`read_official` in a process of its own (a worker): its own view of the parse cache,
    written before it returns; the batch as frames by part (rows, votes, files)."""
    cache = ParseCache(processed, clean=False, background=False)
    try:
        batch = read_official(items, raw, cache)
    finally:
        cache.wait()
    return {"rows": batch.rows, "votes": batch.votes, "files": batch.files}


def batch_of(frames: dict[str, pl.DataFrame | None]) -> KindBatch:
    """A :class:`KindBatch` from the frames of :func:`read_official_alone`."""
    return KindBatch(frames["rows"], frames["votes"], frames["files"])  # type: ignore[arg-type]
