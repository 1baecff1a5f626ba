"""Readers: turn one raw file of a drop into canonical rows with their lineage.

Every reader returns a :class:`FileRead`: the file's rows in the canonical columns of
``schemas.py`` (typed), lineage on every row (``sumber_file`` relative to the drop,
``sumber_sheet``, ``sumber_baris`` = the row number an analyst sees when opening the file),
``masalah`` (list of cell-level problems; a row with one is rejected by ingest), ``_i`` (row index
inside the file) and, for vote-bearing datasets, a long ``votes`` frame keyed by ``_i``.
A file that cannot be read at all gives ``error`` (one message naming the file and the reason) and
no rows; nothing is raised for bad data.

Readers know nothing of other files or the reference tables, so their output can be cached by the
file's sha256 (see ``analysis.ingest``); mapping Sirekap paslon ids to nomor urut is
:func:`map_paslon`, applied by ingest on the whole batch.

The rooms, in the order data goes through them:

- :mod:`.files` — which reader a file's place in the drop calls for (:func:`kind_of`,
  :func:`read_file`).
- Tables (CSV, ``.xlsx``): :mod:`.sheets` (a file's sheets and data rows), :mod:`.csvtext`
  (decoding, separator, the ``csv`` module's rows: the specification), :mod:`.native` (the same
  rows by polars' native reader, many files at once), :mod:`.frames` (rows → one raw text frame),
  :mod:`.tables` (files of a kind → that frame); :mod:`.headers` and :mod:`.columns` (the one
  alias table) find the canonical columns; :mod:`.cells` and :mod:`.evaluate` type the cells;
  :mod:`.coerce` types each kind's rows.
- Sirekap: :mod:`.sirekap` (a record, either shape, record by record: the specification),
  :mod:`.bundles` (JSONL bundles, unchanged lines as copies), :mod:`.bundle_fast` (the same rows,
  vectorised).

One parser per format: where a faster path exists, the general one is its specification and
``tests/test_read_properties.py`` proves them equal on generated inputs (Hypothesis).

Formats handled:

- CSV: UTF-8 with or without BOM, UTF-16 with BOM, cp1252 (latin-1 as a last resort); ``,`` ``;``
  tab or ``|`` separators (sniffed); quoted fields; title rows above the header; blank rows;
  Indonesian thousands (``1.234`` -> 1234) and decimal commas (``98,03%`` -> 0.9803) converted per
  column type, so dates and codes are never touched by the number parser.
- Excel ``.xlsx`` (openpyxl, read-only, cached values not formulas): the header row is found below
  title/instruction rows, every sheet with a recognisable header is read.
- Sirekap per-TPS JSON, Pemilu 2024 shape (top-level ``chart``/``administrasi``) and Pilkada 2024
  shape (under ``tungsura``), and the bundled JSONL form (one ``{"kode_tps", "record"}`` per line).
"""

from __future__ import annotations

from analysis.read.bundle_fast import fast_read
from analysis.read.bundles import jsonl_line_table, original_json_rows, read_sirekap_jsonl
from analysis.read.cells import (
    WIB,
    bool_expr,
    cell_text,
    contest_expr,
    date_expr,
    datetime_expr,
    digits_expr,
    dotted_code_expr,
    float_expr,
    int_expr,
    jenis_expr,
    problems_expr,
    zone_expr,
)
from analysis.read.coerce import (
    COERCE,
    coerce,
    coerce_incidents,
    coerce_official_region,
    coerce_readiness,
    coerce_ref_paslon,
    coerce_ref_tps,
    coerce_tally,
    wide_votes,
)
from analysis.read.columns import (
    ALIASES,
    COLUMNS,
    KOLOM_KOSONG_COL,
    PASLON_COLS,
    PASLON_MAX,
    SPLIT_COLS,
    TALLY_COLS,
)
from analysis.read.csvtext import CsvText
from analysis.read.evaluate import by_unique, parse_datetime, parse_ints, problems_sparse
from analysis.read.files import KINDS, kind_of, read_elsewhere, read_file, read_table, skip_reason
from analysis.read.headers import canonical_header, norm_header
from analysis.read.result import FileRead, ReadError
from analysis.read.sirekap import (
    JENIS,
    OFFICIAL_COUNT_COLS,
    OFFICIAL_ROW_COLS,
    PULL_RE,
    OfficialBuilder,
    map_paslon,
    parse_json,
    path_jenis,
    path_pull,
    pull_folder_problem,
    pull_time,
    read_sirekap_json,
    sirekap_record,
    tps_code_of,
)
from analysis.read.tables import read_table_raw, read_tables_raw

#: Bump when a reader's output changes: ingest's parse cache is keyed by it. 3: the bundle fast
#: path reads only lines of its grammar (it misread some others), bundle lines split exactly.
#: 4: files rejected whole count their rows, hidden sheets skipped, decoding fallback flagged.
READER_VERSION = "4"

__all__ = [
    "ALIASES",
    "COERCE",
    "COLUMNS",
    "JENIS",
    "KINDS",
    "KOLOM_KOSONG_COL",
    "OFFICIAL_COUNT_COLS",
    "OFFICIAL_ROW_COLS",
    "PASLON_COLS",
    "PASLON_MAX",
    "PULL_RE",
    "READER_VERSION",
    "SPLIT_COLS",
    "TALLY_COLS",
    "WIB",
    "CsvText",
    "FileRead",
    "OfficialBuilder",
    "ReadError",
    "bool_expr",
    "by_unique",
    "canonical_header",
    "cell_text",
    "coerce",
    "coerce_incidents",
    "coerce_official_region",
    "coerce_readiness",
    "coerce_ref_paslon",
    "coerce_ref_tps",
    "coerce_tally",
    "contest_expr",
    "date_expr",
    "datetime_expr",
    "digits_expr",
    "dotted_code_expr",
    "fast_read",
    "float_expr",
    "int_expr",
    "jenis_expr",
    "jsonl_line_table",
    "kind_of",
    "map_paslon",
    "norm_header",
    "original_json_rows",
    "parse_datetime",
    "parse_ints",
    "path_jenis",
    "parse_json",
    "path_pull",
    "pull_folder_problem",
    "pull_time",
    "problems_expr",
    "problems_sparse",
    "read_file",
    "read_sirekap_json",
    "read_sirekap_jsonl",
    "read_table",
    "read_table_raw",
    "read_tables_raw",
    "sirekap_record",
    "skip_reason",
    "read_elsewhere",
    "tps_code_of",
    "wide_votes",
    "zone_expr",
]
