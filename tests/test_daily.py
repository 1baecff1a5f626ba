"""End to end through `make daily-brief`'s code path on a small demo scope (Kota Prabumulih).

What a reader sees in the HTML — coverage, votes per paslon, turnout, discrepancy counts, incident
counts — must equal what this test computes itself from the processed data.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import polars as pl
import pytest

from analysis import catalog, daily, demo, reference
from analysis.schemas import INCIDENTS, RECON_TPS, TALLY, TALLY_VOTES, TPS
from analysis.settings import load_settings

pytestmark = pytest.mark.slow

SCOPE = "16.74"
CONTEST = "pkwkk-1674"


def figures(html: str, name: str, **attrs: str) -> list[str]:
    """``data-nilai`` of every element with ``data-angka=name`` and the given data-* attributes."""
    out = []
    for m in re.finditer(r"<[a-z0-9]+ [^>]*data-angka=\"" + re.escape(name) + r"\"[^>]*>", html):
        tag = m.group(0)
        if all(f'data-{k.replace("_", "-")}="{v}"' in tag for k, v in attrs.items()):
            nil = re.search(r'data-nilai="([^"]*)"', tag)
            out.append(nil.group(1) if nil else "")
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("daily")
    settings = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"}
    )
    raw = root / "raw" / "demo-1674"
    demo.generate(SCOPE, settings.demo.seed, settings.demo.as_of, raw)
    args = argparse.Namespace(date=None, scope=SCOPE, depth=1, raw=raw, workers=2)
    code = daily.run(args, settings)
    processed = root / "processed" / "demo-1674"
    reports = root / "reports" / "2024-11-28"
    return {"code": code, "processed": processed, "reports": reports, "settings": settings}


def _current(df: pl.DataFrame, as_of, time_col: str) -> pl.DataFrame:
    """The version in force as of ``as_of`` per TPS × contest, computed independently here."""
    return (
        df.filter(pl.col(time_col) <= as_of)
        .sort(time_col)
        .group_by("kode_tps", "kode_kontestasi")
        .agg(pl.all().last())
    )


def test_daily_brief_makes_every_pack_and_an_index(run: dict) -> None:
    assert run["code"] == 0
    index = (run["reports"] / "index.html").read_text(encoding="utf-8")
    kab = (run["reports"] / "kabkota" / f"{SCOPE}.html").read_text(encoding="utf-8")
    assert "Kota Prabumulih" in index and "DATA SIMULASI" in index
    assert "DATA SIMULASI" in kab and "TERBATAS" in kab
    listed = json.loads((run["reports"] / "index.json").read_text(encoding="utf-8"))["packs"]
    expected = {SCOPE, *reference.descendants(SCOPE, "kecamatan")["kode_wilayah"].to_list()}
    assert {p["kode_wilayah"] for p in listed} == expected
    assert all(p["status"] == "ok" for p in listed)
    for p in listed:  # the executed notebook of every pack is kept beside its HTML
        assert (run["reports"] / p["ipynb"]).exists() and (run["reports"] / p["html"]).exists()


def test_figures_in_the_html_equal_the_processed_data(run: dict) -> None:
    processed: Path = run["processed"]
    as_of = run["settings"].demo.as_of
    html = (run["reports"] / "kabkota" / f"{SCOPE}.html").read_text(encoding="utf-8")

    ref_tps = catalog.read(TPS.name, root=processed)
    tally = _current(catalog.read(TALLY.name, root=processed), as_of, "waktu_laporan")
    tally = tally.filter(pl.col("kode_kontestasi") == CONTEST)
    expected_tps = ref_tps.filter(pl.col("kode_desa").str.starts_with(SCOPE + ".")).height
    coverage = float(figures(html, "cakupan_internal", wilayah=SCOPE, kontestasi=CONTEST)[0])
    assert coverage == pytest.approx(tally.height / expected_tps, abs=1e-4)

    votes = catalog.read(TALLY_VOTES.name, root=processed).join(
        tally.select("kode_tps", "kode_kontestasi", "waktu_laporan"),
        on=["kode_tps", "kode_kontestasi", "waktu_laporan"],
    )
    per_paslon = dict(votes.group_by("nomor_urut").agg(pl.col("suara").sum()).iter_rows())
    for nomor, total in per_paslon.items():
        shown = figures(html, "suara_internal", kontestasi=CONTEST, paslon=str(nomor))
        assert shown and int(shown[0]) == total, (nomor, shown, total)

    dpt = tally.join(ref_tps.select("kode_tps", pl.col("pemilih_dpt").alias("dpt")), on="kode_tps")
    turnout = dpt["pengguna_total"].sum() / dpt["dpt"].sum()
    shown_turnout = float(figures(html, "partisipasi", wilayah=SCOPE, kontestasi=CONTEST)[0])
    assert shown_turnout == pytest.approx(turnout, abs=5e-4)

    recon = catalog.read(RECON_TPS.name, root=processed).filter(
        pl.col("kode_kontestasi") == CONTEST
    )
    for status in ("cocok", "selisih", "hanya_internal", "hanya_kpu"):  # the comparison alone
        n = recon.filter(pl.col("status_banding") == status).height
        assert figures(html, f"n_{status}", kontestasi=CONTEST) == [str(n)], status
    n = recon.filter(pl.col("kpu_direvisi")).height  # counted apart
    assert figures(html, "n_kpu_direvisi", kontestasi=CONTEST) == [str(n)]
    assert recon.filter(pl.col("status") == "selisih").height > 0  # the demo injects some

    incidents = catalog.read(INCIDENTS.name, root=processed).filter(
        pl.col("kode_wilayah").str.starts_with(SCOPE + ".") | (pl.col("kode_wilayah") == SCOPE)
    )
    assert figures(html, "insiden_total", wilayah=SCOPE) == [str(incidents.height)]
    kritis = incidents.filter(pl.col("tingkat_keparahan") == "kritis").height
    assert figures(html, "insiden_kritis", wilayah=SCOPE) == [str(kritis)]


def test_a_pack_holds_only_its_own_unit(run: dict) -> None:
    html = (run["reports"] / "kabkota" / f"{SCOPE}.html").read_text(encoding="utf-8")
    codes = set(re.findall(r'data-wilayah="([0-9.]+)"', html))
    assert codes and all(c == SCOPE or c.startswith(SCOPE + ".") for c in codes), codes
