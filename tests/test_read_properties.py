"""One parser per format: where a reader has a fast path, the general one is its specification,
and these property tests (Hypothesis, over generated inputs) prove the two give equal frames.

- CSV: the ``csv`` module (``read_table_raw(..., native=False)``) against polars' native reader,
  one file alone and many files in one batch (``read_tables_raw``): generated tables with random
  quoting, separators, encodings, BOM, line ends, blank lines, title rows, ragged rows, numbers in
  Indonesian and other formats.
- Sirekap bundles: every line record by record (``read_sirekap_jsonl(..., fast=False)``) against
  the vectorised reader: generated records in both shapes with nulls, missing keys, the spurious
  ``"null"`` key, unknown keys (nested ones named like known ones), odd values and layouts.
- Cells: the batch evaluations of :mod:`analysis.read.evaluate` against the expressions they stand
  for.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import read
from analysis.read.cells import datetime_expr, int_expr, problems_expr, zone_expr
from analysis.read.evaluate import parse_datetime, parse_ints, problems_sparse

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,  # nothing written into the worktree; a failure prints its example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- Generated CSV tables ------------------------------------------------------------------------

_HEADERS = {
    "tally": [
        "Kode TPS",
        "kode_tps",
        "Jenis Pemilihan",
        "kode_kontestasi",
        "Waktu Laporan",
        "Pelapor",
        "Jumlah DPT",
        "pengguna_total",
        "Suara Sah",
        "suara_tidak_sah",
        "Suara Total",
        "Paslon 1",
        "paslon_02",
        "Kolom Kosong",
        "catatan",
        "",
    ],
    "official_region": [
        "kode_wilayah",
        "Jenis",
        "No Urut",
        "Suara",
        "suara_paslon_1",
        "Suara Sah",
        "tps_total",
        "lain",
        "",
    ],
}
_REQUIRED = {
    "tally": [
        "Kode TPS",
        "Jenis Pemilihan",
        "Waktu Laporan",
        "pengguna_total",
        "Suara Sah",
        "suara_tidak_sah",
        "Suara Total",
    ],
    "official_region": ["kode_wilayah", "Jenis", "suara_paslon_1"],
}

_word = st.text(
    alphabet=st.sampled_from("abcXYZ éÇ—,;|\t\"' .:-/%0123456789"), min_size=0, max_size=8
)
_plain = st.text(alphabet=st.sampled_from("abcXYZ éÇ—.:-/%0123456789"), min_size=1, max_size=8)
_number = st.one_of(
    st.integers(-5, 10**7).map(str),
    st.integers(1000, 10**7).map(lambda n: f"{n:,}".replace(",", ".")),
    st.integers(1000, 10**7).map(lambda n: f"{n:,}"),
    st.integers(0, 999).map(lambda n: f"{n}.0"),
    st.integers(0, 999).map(lambda n: f" {n} "),
    st.sampled_from(["98,03%", "0,5", "1.234,5", "-", "n/a"]),
)
_time = st.sampled_from(
    ["2024-11-27 16:05", "27/11/2024 16.30", "2024-11-27T09:00:00+07:00", "2024-11-27 9:05 WITA"]
)
_cell = st.one_of(
    _number,
    _time,
    _word,
    st.just(""),
    st.sampled_from(["a\nb", "a\r\nb", 'x "y"', '"', " "]),  # line breaks and quotes inside
    st.sampled_from(["1671011001001", "16.71.01.1001", "Gubernur", "pkwkk", "Wali Kota"]),
)


@st.composite
def _csv_file(draw: st.DrawFn, kind: str) -> bytes:
    """A table file as a desk might send it, or one subtly broken."""
    header = draw(st.lists(st.sampled_from(_HEADERS[kind]), min_size=1, max_size=10))
    if draw(st.integers(0, 9)):
        header = _REQUIRED[kind] + header  # most files carry what the kind needs
    header = draw(st.permutations(header))
    width = len(header)
    title = st.one_of(_plain, _plain, _word)  # a quote in a title row leaves it to the csv module
    titles = draw(st.lists(st.lists(title, min_size=1, max_size=3), max_size=3))
    body = draw(
        st.lists(
            st.lists(_cell, min_size=max(0, width - 2), max_size=width + 2),  # ragged rows
            max_size=8,
        )
    )
    blanks = draw(st.lists(st.sampled_from([[], [""], [" "], [""] * width]), max_size=3))
    rows = titles + [header] + body
    for blank in blanks:
        rows.insert(draw(st.integers(0, len(rows))), blank)
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    end = draw(st.sampled_from(["\n"] * 4 + ["\r\n"] * 4 + ["\r"]))
    text = _write(rows, sep, end, draw(st.sampled_from(["minimal"] * 3 + ["all", "none"])))
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return text.encode(encoding, errors="replace")


def _write(rows: list[list[str]], sep: str, end: str, quoting: str) -> str:
    if quoting == "none":  # cells joined as they are: quotes and separators left unescaped
        return "".join(sep.join(r) + end for r in rows)
    buf = io.StringIO()
    mode = csv.QUOTE_ALL if quoting == "all" else csv.QUOTE_MINIMAL
    csv.writer(buf, delimiter=sep, lineterminator=end, quoting=mode).writerows(rows)
    return buf.getvalue()


def _spec(kind: str, data: bytes, rel: str) -> read.FileRead:
    return read.read_table_raw(kind, data, rel, native=False)


def _same_read(got: read.FileRead, spec: read.FileRead) -> None:
    assert got.error == spec.error
    assert got.notes == spec.notes
    if spec.error is None:
        assert got.rows.equals(spec.rows), (got.rows, spec.rows)


@PROPERTY
@given(st.sampled_from(["tally", "official_region"]), st.data())
def test_csv_native_reader_equals_the_csv_module(kind: str, data: st.DataObject) -> None:
    raw = data.draw(_csv_file(kind))
    rel = "hitung_internal/a.csv"
    _same_read(read.read_table_raw(kind, raw, rel), _spec(kind, raw, rel))


@PROPERTY
@given(st.sampled_from(["tally", "official_region"]), st.data())
def test_csv_batch_of_many_files_equals_each_file_by_the_csv_module(
    kind: str, data: st.DataObject
) -> None:
    files = data.draw(st.lists(_csv_file(kind), min_size=1, max_size=4))
    with tempfile.TemporaryDirectory() as tmp:
        entries = []
        for n, raw in enumerate(files):
            path = Path(tmp) / f"f{n}.csv"
            path.write_bytes(raw)
            entries.append((path, f"hitung_internal/f{n}.csv", f"sha{n}"))
        frame, outcome = read.read_tables_raw(kind, entries)
    for (_, rel, sha), raw, (out_rel, error, notes) in zip(entries, files, outcome, strict=True):
        spec = _spec(kind, raw, rel)
        assert (out_rel, error, notes) == (rel, spec.error, "; ".join(spec.notes) or None)
        if spec.error is None:
            assert frame is not None
            mine = frame.filter(pl.col("sumber_file") == rel)
            assert mine["_sha"].unique().to_list() in ([sha], [])
            # a batch frame has the columns of all its files (in order of first appearance)
            assert set(mine.columns) == {*spec.rows.columns, "_sha"}
            assert mine.select(spec.rows.columns).equals(spec.rows), (mine, spec.rows)


def test_a_clean_csv_body_is_read_natively() -> None:
    """The property above would hold trivially if every body fell back to the csv module."""
    batch = read.native.NativeBatch()
    data = b"kode_wilayah;jenis_pemilihan;suara_paslon_1\n16.71;pkwkk;3\n16.72;pkwkk;6\n"
    parts, _, error = read.sheets.table_parts("official_region", data, "a.csv", batch=batch)
    assert error is None and not parts[0].body
    batch.resolve()
    assert parts[0].frame is not None and parts[0].entry == 0


# --- Generated Sirekap records -------------------------------------------------------------------

_ADMIN_KEYS = list(read.sirekap.ADMIN_MAP)
_KNOWN_KEYS = ["ts", "psu", "chart", "administrasi", "status_suara", "status_adm", "tungsura"]
_odd_count = st.sampled_from(
    ["12", "1.234", "12a", "", 1.5, 2.0, True, None, [1], {"a": 1}, -3, 2**63, -(2**63), 1e30]
)
_odd_psu = st.one_of(
    st.sampled_from(['PSU "ulang"', "a\\b", "ulang — é", "x" * 230, "", 3, ["a"]]),
    st.text(max_size=6),
)
_odd_ts = st.one_of(
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S")),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d %H:%M:%S")),
    st.sampled_from(["2024-11-27 19:44", "2024-13-01 10:00:00", "2024-02-30 10:00:00", "", 5]),
    st.sampled_from(["2024-11-27 19:44:47.5", "2024-11-27 19:44:47+07:00", " 2024-11-27 19:44:47"]),
    st.sampled_from(["0000-01-01 00:00:00", "0001-01-01 03:00:00", "2024-11-27 19:44:60"]),
)
_paslon_id = st.integers(1000100, 1000199).map(str)


@st.composite
def _clean_record(draw: st.DrawFn) -> dict:
    """A record as the pull tool writes it (Pilkada shape, canonical key order)."""
    chart = {"null": None} if draw(st.booleans()) else {}
    chart.update(draw(st.dictionaries(_paslon_id, st.integers(0, 600), max_size=4)))
    keys = draw(st.lists(st.sampled_from(_ADMIN_KEYS), unique=True, max_size=8))
    return {
        "ts": draw(
            st.datetimes(min_value=dt.datetime(1900, 1, 1)).map(
                lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
            )
        ),
        "psu": draw(st.one_of(st.none(), st.sampled_from(["Pemungutan Suara Ulang", "PSU"]))),
        "images": draw(st.lists(st.just("https://x/1671011001001.jpg"), max_size=2)),
        "tungsura": {
            "chart": chart,
            "administrasi": {k: draw(st.integers(-2, 900)) for k in keys},
        },
        "status_suara": draw(st.booleans()),
        "status_adm": draw(st.booleans()),
    }


def _sections_of(rec: dict) -> dict:
    return rec["tungsura"] if isinstance(rec.get("tungsura"), dict) else rec


@st.composite
def _perturbed(draw: st.DrawFn, rec: dict) -> dict:
    """One departure from the clean layout: a missing key, an odd value, an unknown key, the
    other shape, a null or non-object section."""
    how = draw(
        st.sampled_from(
            [
                "drop",
                "ts",
                "psu",
                "flag",
                "count",
                "vote",
                "chart key",
                "unknown",
                "unknown inside",
                "pemilu shape",
                "null section",
                "list section",
                "shuffle",
                "no tungsura",
            ]
        )
    )
    sec = _sections_of(rec)
    if how == "drop":
        rec.pop(draw(st.sampled_from(sorted(rec))))
    elif how == "ts":
        rec["ts"] = draw(st.one_of(st.none(), _odd_ts))
    elif how == "psu":
        rec["psu"] = draw(_odd_psu)
    elif how == "flag":
        rec[draw(st.sampled_from(["status_suara", "status_adm"]))] = draw(
            st.sampled_from([None, "true", 1])
        )
    elif how == "count" and isinstance(sec.get("administrasi"), dict):
        sec["administrasi"][draw(st.sampled_from([*_ADMIN_KEYS, "lain"]))] = draw(_odd_count)
    elif how == "vote" and isinstance(sec.get("chart"), dict):
        sec["chart"][draw(_paslon_id)] = draw(_odd_count)
    elif how == "chart key" and isinstance(sec.get("chart"), dict):
        sec["chart"][draw(st.sampled_from(["null", "a,b", 'q"', "x:y", " 1", "é"]))] = draw(
            st.one_of(st.integers(0, 9), st.none())
        )
    elif how in ("unknown", "unknown inside"):
        target = sec if how == "unknown inside" else rec
        value = draw(
            st.dictionaries(st.sampled_from(_KNOWN_KEYS), st.one_of(st.none(), _odd_ts), max_size=2)
        )
        items = list(target.items())
        items.insert(
            draw(st.integers(0, len(items))), (draw(st.sampled_from(["meta", "x"])), value)
        )
        target.clear()
        target.update(items)
    elif how == "pemilu shape" and isinstance(rec.get("tungsura"), dict):
        t = rec.pop("tungsura")
        rec.update(t)
    elif how in ("null section", "list section"):
        sec[draw(st.sampled_from(["chart", "administrasi"]))] = (
            None if how == "null section" else [1]
        )
    elif how == "shuffle":
        items = draw(st.permutations(list(rec.items())))
        rec.clear()
        rec.update(items)
    elif how == "no tungsura":
        rec["tungsura"] = draw(st.sampled_from([None, {}, [1]]))
    return rec


@st.composite
def _record(draw: st.DrawFn) -> dict:
    """A record: mostly clean, else with one to three departures."""
    rec = draw(_clean_record())
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))):
        rec = draw(_perturbed(rec))
    return rec


_kode = st.one_of(
    st.integers(10**12, 10**13 - 1).map(str),
    st.integers(10**12, 10**13 - 1).map(str),
    st.sampled_from(["167101100100", "16710110010a1", None, 1671011001001, "١٦٧١٠١١٠٠١٠٠١"]),
)


@st.composite
def _line(draw: st.DrawFn) -> str:
    """One bundle line: mostly the pull tool's compact layout, sometimes anything else."""
    record = draw(_record())
    kode = draw(_kode)
    how = draw(
        st.sampled_from(
            ["compact"] * 8
            + ["unicode", "spaced", "record first", "bare", "bad", "duplicate", "leading zero"]
        )
    )
    if how == "bad":
        return draw(st.sampled_from(["not json", "{", "[1, 2]", "null", '{"kode_tps": "1"}']))
    if how == "bare":
        return json.dumps(record)
    line = {"record": record, "kode_tps": kode} if how == "record first" else {"kode_tps": kode}
    line["record"] = record
    if how == "spaced":
        return json.dumps(line)
    text = json.dumps(line, separators=(",", ":"), ensure_ascii=how != "unicode")
    if how == "leading zero":  # not JSON: the record-by-record reader says so
        return text.replace('"suara_sah":', '"suara_sah":0', 1).replace(":1", ":01", 1)
    if how == "duplicate":  # a key written twice (valid JSON: the last one counts)
        for key in ('"chart":{', '"administrasi":{'):
            at = text.find(key)
            end = text.find(",", at) if at >= 0 else -1
            close = text.find("}", at)
            if at >= 0 and 0 <= end < close:
                entry = text[at + len(key) : end]
                text = text[: at + len(key)] + entry + "," + text[at + len(key) :]
    return text


_bundle_rel = st.sampled_from(
    [
        "kpu/20241127T2000/tps/pkwkk.jsonl",
        "kpu/20241127T2000/tps/pkwkp.jsonl",
        "kpu/20241127T2000/tps/ppwp.jsonl",
        "kpu/tps/pkwkk.jsonl",
    ]
)


def _bundle(lines: list[str], ends: list[str]) -> bytes:
    return "".join(line + end for line, end in zip(lines, ends, strict=False)).encode()


def _same_bundle(fast: read.FileRead, slow: read.FileRead) -> None:
    assert fast.error == slow.error
    if slow.error is not None:
        return
    assert fast.rows.equals(slow.rows), (fast.rows, slow.rows)
    order = ["_i", "paslon_id", "suara"]
    assert fast.votes.sort(order, nulls_last=True).equals(slow.votes.sort(order, nulls_last=True))
    assert fast.line_table.equals(slow.line_table)


@PROPERTY
@given(
    st.lists(st.one_of(_line(), st.just("")), min_size=1, max_size=8),
    st.lists(st.sampled_from(["\n", "\r\n"]), min_size=8, max_size=8),
    _bundle_rel,
)
def test_bundle_fast_reader_equals_the_record_by_record_reader(
    lines: list[str], ends: list[str], rel: str
) -> None:
    data = _bundle(lines, ends)
    _same_bundle(read.read_sirekap_jsonl(data, rel), read.read_sirekap_jsonl(data, rel, fast=False))


@PROPERTY
@given(st.lists(_line(), min_size=1, max_size=6), st.data())
def test_bundle_fast_reader_equals_the_slow_one_on_a_later_pull(
    first: list[str], data: st.DataObject
) -> None:
    """A later pull: some lines unchanged (copies of the first pull's records), some new."""
    rel1, rel2 = "kpu/20241127T2000/tps/pkwkk.jsonl", "kpu/20241128T0800/tps/pkwkk.jsonl"
    data1 = _bundle(first, ["\n"] * len(first))
    previous = read.jsonl_line_table(data1, rel1, read.read_sirekap_jsonl(data1, rel1).rows)
    second = data.draw(st.lists(st.one_of(st.sampled_from(first), _line()), min_size=1, max_size=6))
    data2 = _bundle(second, ["\n"] * len(second))
    fast = read.read_sirekap_jsonl(data2, rel2, previous=previous)
    slow = read.read_sirekap_jsonl(data2, rel2, previous=previous, fast=False)
    _same_bundle(fast, slow)


# --- Cells: batch evaluation vs the expressions -------------------------------------------------

_text_cell = st.one_of(_number, _time, _word, st.none(), st.just(""))


@settings(PROPERTY, max_examples=30)  # each example runs the full expressions: slow per row
@given(st.lists(_text_cell, min_size=1, max_size=30), st.lists(_text_cell, max_size=30))
def test_batch_cell_parsing_equals_the_expressions(ints: list, times: list) -> None:
    codes = ["1671011001001", "6171", "9471", "99", None, "x"]
    n = len(ints)
    df = pl.DataFrame(
        {
            "a": ints,
            "w": (times * n)[:n] if times else [None] * n,
            "k": (codes * n)[:n],
        },
        schema={"a": pl.String, "w": pl.String, "k": pl.String},
    ).with_columns(zone_expr("k").alias("_tz"))
    parsed = parse_ints(df, ["a"], "_p_")
    assert parsed["_p_a"].equals(df.select(int_expr("a"))["a"])
    assert parse_datetime(df, "w", "_tz").equals(df.select(datetime_expr("w", "_tz"))["w"])
    checks = [("a", pl.col("a"), int_expr("a")), ("w", pl.col("w"), datetime_expr("w", "_tz"))]
    sparse = problems_sparse(df, checks)
    assert sparse.equals(df.select(problems_expr(checks).alias("masalah"))["masalah"])


@PROPERTY
@given(
    st.lists(
        st.sampled_from(
            [b"a", b"{}", b" ", b"\r", b"\n", b"\r\n", b"\xff", b"\xc3", b"\xa9", b"\t"]
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_bundle_lines_split_natively_equal_the_exact_split(pieces: list[bytes], bom: bool) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"".join(pieces)
    native = read.bundles._jsonl_lines(data, exact=False)
    assert native.equals(read.bundles._jsonl_lines(data, exact=True))
