"""The reference tables of the drop (``referensi/``): the TPS list with DPT, and the paslon."""

from __future__ import annotations

from analysis.demo.drop import Drop
from analysis.demo.world import World

TPS_COLUMNS = (
    "kode_tps",
    "kode_desa",
    "nomor_tps",
    "pemilih_dpt",
    "pemilih_dpt_l",
    "pemilih_dpt_p",
)


def write_references(w: World, drop: Drop) -> None:
    """``referensi/tps.csv`` (one row per TPS) and ``referensi/paslon.csv`` (contest × nomor urut)."""
    folder = drop.folder("referensi")
    p = folder / "tps.csv"
    w.tps.select(TPS_COLUMNS).write_csv(p, line_terminator="\n")
    drop.add_file(p, "ref_tps", w.tps.height, format="csv", separator=",", header_row=1)
    p = folder / "paslon.csv"
    w.paslon.write_csv(p, line_terminator="\n")
    drop.add_file(p, "ref_paslon", w.paslon.height, format="csv", separator=",", header_row=1)
