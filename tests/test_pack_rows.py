"""A unit's rows found through an index are the rows a filter by the same conditions finds, in the
table's order and with its schema (analysis.packs.rows; the pack fingerprints depend on it)."""

from __future__ import annotations

import polars as pl
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from analysis.incremental import frame_sha
from analysis.packs.rows import Eq, Inside, Missing, select, where_expr

# Codes a prepared table can hold: units of every tier, near-misses of their prefixes, malformed
# text, a non-ASCII one and nothing at all.
CODES = [
    "00", "16", "17", "16.71", "16.72", "16.7", "16.710", "16.71.01", "16.71.01.1001",
    "16.71x", "16.71.02", "17.01", "1671", "16.é1", "", None,
]  # fmt: skip
UNITS = ["00", "16", "17", "16.71", "16.71.01", "16.71.01.1001", "16.7", "99"]

code = st.sampled_from(CODES)
condition = st.one_of(
    st.builds(Eq, st.sampled_from(["a", "b"]), st.lists(st.sampled_from(UNITS + ["", "16.71x"]))),
    st.builds(Inside, st.sampled_from(["a", "b"]), st.sampled_from(UNITS)),
    st.builds(Missing, st.sampled_from(["a", "b"])),
)


def frame(a: list, b: list, categorical: bool) -> pl.DataFrame:
    df = pl.DataFrame(
        {"a": a, "b": b, "n": list(range(len(a)))},
        schema_overrides={"a": pl.String, "b": pl.String},
    )
    return df.with_columns(pl.col("b").cast(pl.Categorical)) if categorical else df


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(code, code), max_size=40),
    st.lists(condition, max_size=4),
    st.booleans(),
)
def test_select_gives_the_rows_the_filter_gives(rows, conditions, categorical):
    # a unit's code column is text; a categorical one is only compared (as the filter can)
    assume(not (categorical and any(isinstance(c, Inside) and c.col == "b" for c in conditions)))
    df = frame([r[0] for r in rows], [r[1] for r in rows], categorical)
    expected = df.filter(where_expr(*conditions))
    got = select(df, *conditions)
    assert got.equals(expected)
    assert got.schema == expected.schema
    assert frame_sha(got) == frame_sha(expected)
    assert select(df, *conditions).equals(got)  # the second time, from the kept indexes


def test_conditions_read_on_a_key_frame_select_the_table_rows():
    df = pl.DataFrame({"kode_kontestasi": ["pkwkk-1671", "pkwkp-16", "pkwkk-1701", "pkwkk-1671"]})
    keys = pl.DataFrame({"wilayah": ["16.71", "16", "17.01", "16.71"]})
    got = select(df, Eq("wilayah", ["00", "16"]), Inside("wilayah", "16.71"), on=keys)
    assert got["kode_kontestasi"].to_list() == ["pkwkk-1671", "pkwkp-16", "pkwkk-1671"]


def test_the_national_unit_holds_every_row_and_no_condition_none():
    df = frame(["16.71", None, "xx"], ["a", "b", None], False)
    assert select(df, Inside("a", "00")).equals(df)
    assert select(df).height == 0
    assert select(df, Eq("a", [])).schema == df.schema
