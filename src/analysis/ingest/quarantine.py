"""The quarantine: every rejected row with its reasons and its original values, so that nothing
rejected is lost and a person can see what was sent.

Table rows take their original cells back from the parse cache (the batch drops them to save
memory); a Sirekap record takes its original JSON text back from the raw file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from analysis import read
from analysis.schemas import QUARANTINE

if TYPE_CHECKING:
    from analysis.ingest.cache import ParseCache

_LINEAGE = ["sumber_file", "sumber_sheet", "sumber_baris"]


def quarantine(
    dataset: str,
    rejected: pl.DataFrame,
    raw: Path,
    cache: ParseCache | None = None,
    kind: str | None = None,
) -> pl.DataFrame:
    """One row per rejected input row of ``dataset`` (:data:`analysis.schemas.QUARANTINE`)."""
    if rejected.is_empty():
        return QUARANTINE.empty()
    if "nilai_asli" not in rejected.columns and cache is not None and kind in read.COERCE:
        rejected = rejected.join(
            cache.originals(kind, rejected.select(_LINEAGE)),
            on=_LINEAGE,
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    q = rejected.select(
        pl.lit(dataset).alias("dataset"),
        "sumber_file",
        pl.col("sumber_sheet").fill_null(""),
        "sumber_baris",
        "alasan",
        pl.col("nilai_asli")
        if "nilai_asli" in rejected.columns
        else pl.lit(None, dtype=pl.String).alias("nilai_asli"),
    )
    missing = q.filter(pl.col("nilai_asli").is_null())
    if missing.height:
        q = (
            q.join(_json_originals(missing, raw), on=["sumber_file", "sumber_baris"], how="left")
            .with_columns(pl.coalesce("nilai_asli", "_t").alias("nilai_asli"))
            .drop("_t")
        )
    return q.unique(
        ["dataset", "sumber_file", "sumber_sheet", "sumber_baris"],
        keep="first",
        maintain_order=True,
    )


def _json_originals(missing: pl.DataFrame, raw: Path) -> pl.DataFrame:
    """The original text of KPU records (sumber_file, sumber_baris, ``_t``), read from the drop;
    a file that cannot be read gives none."""
    texts: dict[tuple[str, int], str] = {}
    for (rel,), part in missing.group_by(["sumber_file"]):
        try:
            data = (raw / rel).read_bytes()
        except OSError:
            continue
        for n, t in read.original_json_rows(data, rel, part["sumber_baris"].to_list()).items():
            texts[(rel, n)] = t
    return pl.DataFrame(
        [(k[0], k[1], v) for k, v in texts.items()],
        schema={"sumber_file": pl.String, "sumber_baris": pl.Int64, "_t": pl.String},
        orient="row",
    )
