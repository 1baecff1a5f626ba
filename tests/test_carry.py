"""A pack's fingerprint (analysis.packs.carry): what decides whether a pack is carried (issue 15)."""

from __future__ import annotations

import polars as pl

from analysis.incremental import frame_sha


def test_a_frames_fingerprint_is_its_values_not_its_memory_layout():
    """Two equal frames whose strings sit differently in memory (as when read from two
    generations) have one fingerprint; another value or name, another fingerprint."""
    a = pl.DataFrame({"path": ["x" * 20, "y" * 20], "n": [1, 2]})
    b = pl.DataFrame({"path": ["z" * 30, "x" * 20, "y" * 20], "n": [0, 1, 2]}).tail(2)
    assert a.equals(b) and frame_sha(a) == frame_sha(b)
    assert frame_sha(a) != frame_sha(a.with_columns(pl.col("n") + 1))
    assert frame_sha(a) != frame_sha(a.rename({"n": "m"}))
    assert frame_sha(a) != frame_sha(a.head(1))
