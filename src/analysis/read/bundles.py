"""Sirekap bundles (JSONL): one ``{"kode_tps": ..., "record": {...}}`` per line, a bad line is one
bad row. Every line is a record read as :mod:`.sirekap` reads it (the specification); lines in the
compact layout the pull tool writes are read vectorised instead (:mod:`.bundle_fast`, same rows),
and a line unchanged since the previous pull's bundle is not read again but points to the record
it copies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from analysis.read.bundle_fast import fast_read
from analysis.read.result import FileRead
from analysis.read.sirekap import (
    OFFICIAL_ROW_COLS,
    VOTE_SCHEMA,
    OfficialBuilder,
    parse_json,
    path_jenis,
    path_pull,
)

_FAST_SLICE = 50_000  # lines per vectorised read


_BOM = b"\xef\xbb\xbf"
_UNIT_SEPARATOR = b"\x1f"


def _lines_native(data: bytes) -> pl.DataFrame:
    r"""Every line (``line``, null when empty; one final ``\r`` dropped) by polars' CSV reader:
    \x1f as the separator and no quoting make each line one field. Exact only for data without
    \x1f (the reader would split a line there): :func:`_lines_exact` is the specification."""
    return pl.read_csv(
        data,
        has_header=False,
        separator=_UNIT_SEPARATOR.decode(),
        quote_char=None,
        schema={"line": pl.String},
        encoding="utf8-lossy",
        truncate_ragged_lines=True,
        extra_columns="ignore",
        raise_if_empty=False,
    )


def _lines_exact(data: bytes) -> pl.DataFrame:
    r"""Every line (``line``): the text between ``\n`` with one final ``\r`` dropped (CRLF), a
    leading UTF-8 BOM dropped, invalid UTF-8 replaced; no line after a final ``\n``."""
    parts = data.removeprefix(_BOM).split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    text = [p.removesuffix(b"\r").decode("utf-8", errors="replace") for p in parts]
    return pl.DataFrame({"line": text}, schema={"line": pl.String})


def _jsonl_lines(data: bytes, exact: bool | None = None) -> pl.DataFrame:
    r"""Non-blank lines of a JSONL file: ``sumber_baris`` (line number), ``_i`` (index among the
    non-blank lines), ``line`` and ``_h`` (its 64-bit hash, to find
    unchanged lines). Split natively unless the data holds \x1f (never in valid JSON: raw
    control characters are not allowed) or ``exact`` says otherwise."""
    if exact is None:
        exact = _UNIT_SEPARATOR in data
    df = _lines_exact(data) if exact else _lines_native(data)
    df = df.with_row_index("sumber_baris", offset=1).with_columns(
        pl.col("sumber_baris").cast(pl.Int64)
    )
    df = df.filter(pl.col("line").str.strip_chars() != "")
    return df.with_row_index("_i").with_columns(
        pl.col("_i").cast(pl.Int64), pl.col("line").hash(seed=11).alias("_h")
    )


def original_json_rows(data: bytes, rel: str, rows: Sequence[int]) -> dict[int, str]:
    """Original text of some rows of a KPU file (for quarantine): JSON file = its text, JSONL =
    the line, as the reader split it."""
    wanted = set(rows)
    if rel.endswith(".jsonl"):
        lines = _jsonl_lines(data).filter(pl.col("sumber_baris").is_in(list(wanted)))
        return dict(zip(lines["sumber_baris"].to_list(), lines["line"].to_list(), strict=True))
    return {1: data.decode("utf-8", errors="replace")} if 1 in wanted else {}


def _root_table(lines: pl.DataFrame, rel: str) -> pl.DataFrame:
    """Each distinct line hash ``_h`` with the record it stands for: ``_src_file``/``_src_baris``
    when the line copies an earlier record, else this file's line."""
    return lines.select(
        "_h",
        pl.coalesce(pl.col("_src_file"), pl.lit(rel)).alias("_root_file"),
        pl.coalesce(pl.col("_src_baris"), pl.col("sumber_baris")).alias("_root_baris"),
    ).unique("_h", keep="first", maintain_order=True)


def jsonl_line_table(data: bytes, rel: str, rows: pl.DataFrame | None) -> pl.DataFrame:
    """Each distinct line of a bundle (by 64-bit hash ``_h``) with the record it stands for
    (``_root_file``, ``_root_baris``): itself, or for an unchanged copy the file first read."""
    lines = _jsonl_lines(data).select("sumber_baris", "_h")
    if rows is not None and "_src_file" in rows.columns:
        src = rows.filter(pl.col("sumber_file") == rel).select(
            "sumber_baris", "_src_file", "_src_baris"
        )
        lines = lines.join(src, on="sumber_baris", how="left")
    else:
        lines = lines.with_columns(
            pl.lit(None, dtype=pl.String).alias("_src_file"),
            pl.lit(None, dtype=pl.Int64).alias("_src_baris"),
        )
    return _root_table(lines, rel)


def read_sirekap_jsonl(
    data: bytes,
    rel: str,
    jenis: str | None = None,
    previous: pl.DataFrame | None = None,
    *,
    fast: bool = True,
) -> FileRead:
    """A bundle: one ``{"kode_tps": ..., "record": {...}}`` per line; a bad line is one bad row.

    ``previous``: :func:`jsonl_line_table` of the same bundle in the previous pull. A line
    byte-identical to one there is an unchanged record: it is not parsed again but kept as a row
    pointing to the record it copies (``_src_file``, ``_src_baris``); ingest gives it that record's
    fate. Clean lines are read vectorised; any other line record by record, with the same result
    (``fast=False``: every line record by record, the specification).
    """
    if not data.strip():
        return FileRead("official", error="berkas kosong (0 byte)")
    if b"\x00" in data[:4096]:
        return FileRead("official", error="berkas biner (berisi byte NUL), bukan JSONL")
    jenis = jenis or path_jenis(rel)
    pull = path_pull(rel)
    lines = _with_previous(_jsonl_lines(data), previous)
    table = _root_table(lines.rename({"_root_file": "_src_file", "_root_baris": "_src_baris"}), rel)
    # an unchanged line needs no text; only the changed ones are read (fewer copies held)
    copies = lines.filter(pl.col("_root_file").is_not_null())
    todo = lines.filter(pl.col("_root_file").is_null())
    n_lines = lines.height
    del lines
    row_parts, vote_parts, n_bad = _read_changed(todo, rel, jenis, pull, fast)
    if n_bad and n_bad == n_lines:
        return FileRead("official", error="tidak ada satu baris pun yang JSON sah")
    # the empty builder's rows give every column its type, also when all lines are copies
    row_parts.insert(0, OfficialBuilder(rel, jenis, pull).result().rows)
    if copies.height:
        row_parts.append(_copy_rows(copies, rel, pull))
    rows = pl.concat(row_parts, how="diagonal_relaxed").select(OFFICIAL_ROW_COLS).sort("_i")
    votes = (
        pl.concat(vote_parts, how="diagonal_relaxed")
        .select(*VOTE_SCHEMA)
        .sort("_i", maintain_order=True)
        if vote_parts
        else pl.DataFrame(schema=VOTE_SCHEMA)
    )
    return FileRead("official", rows=rows, votes=votes, line_table=table)


def _read_changed(
    todo: pl.DataFrame, rel: str, jenis: str | None, pull: dt.datetime | None, fast: bool
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], int]:
    """The lines not copied from the previous pull: rows and votes (in parts), and how many lines
    are not JSON at all. The layout's lines vectorised (in slices: the string work holds several
    copies of each line), the others record by record."""
    row_parts, vote_parts, rest = [], [], [todo]
    if fast and jenis is not None and todo.height:
        rest = []
        for start in range(0, todo.height, _FAST_SLICE):
            rows, votes, left = fast_read(todo.slice(start, _FAST_SLICE), rel, jenis, pull)
            row_parts.append(rows)
            vote_parts.append(votes)
            rest.append(left)
    slow = pl.concat(rest)
    n_bad = 0
    if slow.height:
        rows, votes, n_bad = _read_lines(slow, rel, jenis, pull)
        row_parts.append(rows)
        vote_parts.append(votes)
    return row_parts, vote_parts, n_bad


def _with_previous(lines: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """``lines`` with ``_root_file``/``_root_baris`` of the record an unchanged line copies."""
    if previous is not None and previous.height:
        return lines.join(previous, on="_h", how="left", maintain_order="left")
    return lines.with_columns(
        pl.lit(None, dtype=pl.String).alias("_root_file"),
        pl.lit(None, dtype=pl.Int64).alias("_root_baris"),
    )


def _read_lines(
    lines: pl.DataFrame, rel: str, jenis: str | None, pull: dt.datetime | None
) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Lines read record by record (:class:`.sirekap.OfficialBuilder`): rows, votes (keyed by the
    lines' ``_i``) and how many lines are not JSON at all."""
    b = OfficialBuilder(rel, jenis, pull)
    n_bad = 0
    for n, text in zip(lines["sumber_baris"].to_list(), lines["line"].to_list(), strict=True):
        obj, error = parse_json(text)
        if error is not None:
            n_bad += 1
            b.add(None, None, n, [f"format: baris {error}"])
            continue
        if isinstance(obj, dict) and "record" in obj:
            b.add(obj.get("kode_tps"), obj.get("record"), n, [])
        else:
            b.add(None, obj, n, [])
    out = b.result()
    remap = pl.DataFrame(
        {"_i": range(lines.height), "_gi": lines["_i"]}, schema={"_i": pl.Int64, "_gi": pl.Int64}
    )
    fix = [pl.col("_gi").alias("_i")]
    rows = out.rows.join(remap, on="_i").drop("_i").with_columns(fix).select(OFFICIAL_ROW_COLS)
    assert out.votes is not None
    votes = out.votes.join(remap, on="_i").drop("_i").with_columns(fix)
    return rows, votes, n_bad


def _copy_rows(copies: pl.DataFrame, rel: str, pull: dt.datetime | None) -> pl.DataFrame:
    """Rows of unchanged lines: lineage and the pull time only, pointing to the record copied."""
    return copies.select(
        pl.col("_i"),
        pl.col("sumber_baris"),
        pl.col("_root_file").alias("_src_file"),
        pl.col("_root_baris").alias("_src_baris"),
    ).with_columns(
        pl.lit(rel).alias("sumber_file"),
        pl.lit([], dtype=pl.List(pl.String)).alias("masalah"),
        pl.lit(pull, dtype=pl.Datetime("us", "UTC")).alias("waktu_tarik"),
    )
