"""Raw text frames: the data rows of many sheets/files (:class:`.sheets.TablePart`) as one frame
with canonical columns, the row's original cells (``nilai_asli``) and its lineage."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from analysis.read.columns import COLUMNS
from analysis.read.sheets import TablePart

_LINEAGE = ("nilai_asli", "sumber_baris", "sumber_file", "sumber_sheet", "_i", "_fi", "_pi", "_sha")


def parts_frame(kind: str, parts: Sequence[TablePart]) -> pl.DataFrame:
    """Raw string frame of many sheets/files at once: canonical columns, ``nilai_asli`` (the row's
    original cells as JSON under its own headers), lineage, ``_i`` (row index inside its file) and
    ``_sha`` when the parts carry one. Sheets with the same header layout share one frame: building
    a frame per file dominates at thousands of files."""
    layouts: dict[tuple, list[int]] = {}
    for k, p in enumerate(parts):
        layouts.setdefault((tuple(p.mapping.items()), tuple(p.names)), []).append(k)
    native = _native_rows(parts)
    frames = [
        _layout_frame(dict(items), list(names), [parts[k] for k in members], members, native)
        for (items, names), members in layouts.items()
    ]
    raw = (
        pl.concat(frames, how="diagonal_relaxed")
        .join(_parts_meta(parts), on="_pi", how="left")
        .sort("_fi", "_pi", "sumber_baris")
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over("_fi").alias("_i"))
    )
    raw = raw.with_columns(
        pl.lit(None, dtype=pl.String).alias(c) for c in COLUMNS[kind][0] if c not in raw.columns
    )
    has_sha = any(p.sha is not None for p in parts)
    return raw.select(
        "_i",
        *(c for c in raw.columns if c not in _LINEAGE),
        "nilai_asli",
        "sumber_baris",
        "sumber_file",
        "sumber_sheet",
        *(["_sha"] if has_sha else []),
    )


def _parts_meta(parts: Sequence[TablePart]) -> pl.DataFrame:
    """Per part (``_pi``): its file, sheet, file number (``_fi``, in order of first part) and sha."""
    file_no: dict[str, int] = {}
    for p in parts:
        file_no.setdefault(p.rel, len(file_no))
    return pl.DataFrame(
        {
            "_pi": list(range(len(parts))),
            "sumber_file": [p.rel for p in parts],
            "sumber_sheet": [p.sheet for p in parts],
            "_fi": [file_no[p.rel] for p in parts],
            "_sha": [p.sha for p in parts],
        },
        schema={
            "_pi": pl.Int64,
            "sumber_file": pl.String,
            "sumber_sheet": pl.String,
            "_fi": pl.Int64,
            "_sha": pl.String,
        },
    )


def _layout_frame(
    mapping: dict[int, str],
    names: list[str],
    parts: list[TablePart],
    index: list[int],
    native: pl.DataFrame | None,
) -> pl.DataFrame:
    """The rows of the parts sharing one header layout: canonical columns, ``nilai_asli``,
    ``sumber_baris`` and ``_pi``; blank rows dropped."""
    width = len(names)
    df = _listed_rows(parts, index, width)
    if native is not None and any(p.frame is not None for p in parts):
        mine = native.filter(pl.col("_pi").is_in(index)).select(
            *(f"_c{i}" for i in range(width)), "sumber_baris", "_pi"
        )
        df = pl.concat([df, mine], how="vertical")
    df = df.with_columns(pl.col(r"^_c\d+$").str.strip_chars().replace("", None))
    # a blank row (often trailing) is not a data row
    df = df.filter(pl.any_horizontal(pl.exclude("sumber_baris", "_pi").is_not_null()))
    return df.select(
        *(pl.col(f"_c{i}").alias(c) for i, c in mapping.items()),
        pl.struct(pl.exclude("sumber_baris", "_pi"))
        .struct.rename_fields(names)
        .struct.json_encode()
        .alias("nilai_asli"),
        "sumber_baris",
        "_pi",
    )


def _listed_rows(parts: list[TablePart], index: list[int], width: int) -> pl.DataFrame:
    """The rows held as Python lists (``part.body``) as ``_c0`` .. + ``sumber_baris`` + ``_pi``."""
    body: list[list[object]] = []
    pi: list[int] = []
    baris: list[int] = []
    for k, p in zip(index, parts, strict=True):
        if p.frame is None:
            body.extend(p.body)
            pi.extend([k] * len(p.body))
            baris.extend(range(p.first_row, p.first_row + len(p.body)))
    columns = list(zip(*body, strict=True)) if body else [()] * width
    return pl.DataFrame(
        {f"_c{i}": list(col) for i, col in enumerate(columns)},
        schema={f"_c{i}": pl.String for i in range(width)},
    ).with_columns(
        pl.Series("sumber_baris", baris, dtype=pl.Int64), pl.Series("_pi", pi, dtype=pl.Int64)
    )


def _native_rows(parts: Sequence[TablePart]) -> pl.DataFrame | None:
    """The natively read bodies of ``parts`` as one frame: ``_c0`` .. (the widest), ``_pi`` (the
    part's index) and ``sumber_baris``. One join per shared native frame, not one per part."""
    sources: dict[int, tuple[pl.DataFrame, list[tuple[int, int, int]]]] = {}
    for k, p in enumerate(parts):
        if p.frame is not None and p.entry is not None:
            sources.setdefault(id(p.frame), (p.frame, []))[1].append((k, p.entry, p.first_row))
    if not sources:
        return None
    out = []
    for frame, members in sources.values():
        index = pl.DataFrame(
            {
                "_e": [m[1] for m in members],
                "_pi": [m[0] for m in members],
                "_first": [m[2] for m in members],
            },
            schema={"_e": pl.Int64, "_pi": pl.Int64, "_first": pl.Int64},
        )
        out.append(
            frame.join(index, on="_e", how="inner")
            .with_columns((pl.col("_first") + pl.col("_r")).alias("sumber_baris"))
            .drop("_e", "_r", "_first")
        )
    return pl.concat(out, how="diagonal")
