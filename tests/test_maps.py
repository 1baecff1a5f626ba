"""Offline maps: the shipped boundary asset, its build, the geometry rules and the map section.

The asset is checked as committed (format, checksum, one shape per unit of the region tree); the
build is re-run on a real slice of the upstream dump (``tests/data/wilayah_boundaries_31``, DKI
Jakarta) and must reproduce the shipped groups byte for byte. Nothing here reads outside the repository.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.domain import regions
from analysis.packs.html import figures
from analysis.packs.load import load_pack
from analysis.packs.maps import asset, build, geometry
from analysis.packs.maps.svg import BATAS_INDIKATIF, KREDIT
from analysis.packs.sections.maps import (
    CAKUPAN_WARNA,
    KERAWANAN_WARNA,
    TANPA_PETA_KECAMATAN,
    cakupan_kelas,
    section_peta,
)
from analysis.packs.sections.summary import child_status
from analysis.settings import default_settings

FIXTURE = Path(__file__).parent / "data" / "wilayah_boundaries_31"
MAP_TIERS = ("provinsi", "kabkota", "kecamatan")
#: The shipped asset, pinned: a rebuild (new upstream commit, new parameters) changes it on purpose.
ASSET_SHA256 = "07f181b903ba43aba68443a986468032df2a73e1f0225b78d88d5c972abe9b02"


# --- The committed asset --------------------------------------------------------------------------


def test_asset_format_checksum_and_licence() -> None:
    data = asset.ASSET.read_bytes()
    head, _ = asset.read_header()
    assert head["format"] == asset.FORMAT_VERSION
    assert head["sumber"] == {
        "repo": "cahyadsn/wilayah_boundaries",
        "commit": "3c5a7960f4d227a38489094d84252bdbb3f978a5",
        "lisensi": "MIT",
        "kredit": "© Cahya DSN, MIT",
    }
    assert hashlib.sha256(data).hexdigest() == ASSET_SHA256
    assert len(data) < 1_000_000  # provinsi + kab/kota + kecamatan, well under the 2 MB aim
    note = (asset.ASSET_DIR / "SOURCE.md").read_text(encoding="utf-8")
    # the note the build wrote names this very file: nobody edited the asset by hand since
    assert f"sha256 `{hashlib.sha256(data).hexdigest()}`" in note
    assert "3c5a7960f4d227a38489094d84252bdbb3f978a5" in note and "bukan batas resmi" in note
    assert "Copyright (c) 2024 Cahya DSN" in (asset.ASSET_DIR / "LICENSE").read_text()


def test_every_unit_joins_exactly_one_shape_and_vice_versa() -> None:
    from analysis.reference import regions as region_tree

    tree = region_tree().filter(pl.col("tingkat").is_in(MAP_TIERS))
    shapes = list(asset.all_shapes())
    count = Counter(s.kode for _, s in shapes)
    assert [k for k, n in count.items() if n > 1] == []  # no unit drawn twice
    assert set(count) == set(tree["kode_wilayah"])  # no unit without a shape, no shape without one
    for parent, s in shapes:  # each shape sits in its parent's group (what a pack loads)
        assert (regions.parent(s.kode) or regions.NATIONAL) == parent
        assert s.polygons and all(len(r) >= 3 for poly in s.polygons for r in poly)
    assert len(asset.group_codes()) == 1 + 38 + 514


def test_rebuilding_a_slice_of_the_dump_reproduces_the_shipped_groups(tmp_path: Path) -> None:
    a = build.build_asset(FIXTURE, tmp_path / "a", join=False)
    build.build_asset(FIXTURE, tmp_path / "b", join=False)
    built = tmp_path / "a" / asset.ASSET.name
    assert built.read_bytes() == (tmp_path / "b" / asset.ASSET.name).read_bytes()  # deterministic
    assert a.units == {"kabkota": 6, "kecamatan": 44}
    codes = asset.group_codes(built)
    assert codes[0] == "31" and len(codes) == 7
    for kode in codes:
        assert asset.read_group(kode, built) == asset.group(kode), kode
    assert (tmp_path / "a" / "LICENSE").read_bytes() == (FIXTURE / "LICENSE").read_bytes()


def test_a_bad_dump_row_is_named_by_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "kab").mkdir()
    sql = tmp_path / "kab" / "x.sql"
    sql.write_text(
        "INSERT INTO wilayah_boundaries(kode,nama,lat,lng,path) VALUES\n"
        "\t('31.71','Kota Ma''U',-6.2,106.8,'[[[-6.1,106.8],[-6.2,106.9],[-6.3,106.8],[-6.1,106.8]]]'),\n"
        "\t('31.72','Kota X',-6.2,106.8,'[[[-6.1,106.8],[-6.2'),\n",
        encoding="utf-8",
    )
    with pytest.raises(build.SourceError, match=r"x\.sql:3: kode 31\.72"):
        list(build.read_sql(sql))
    first = next(build.read_sql(sql))
    assert first.nama == "Kota Ma'U" and first.polygons[0][0][0] == (-6.1, 106.8)


def test_a_ring_outside_its_outer_ring_is_an_island_not_a_hole() -> None:
    outer = ((0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0))
    hole = ((4.0, 4.0), (4.0, 6.0), (6.0, 6.0), (6.0, 4.0))
    island = ((20.0, 20.0), (20.0, 21.0), (21.0, 21.0))
    polys, moved = build.split_islands(((outer, hole, island),))
    assert polys == ((outer, hole), (island,)) and moved == 1


# --- Geometry and encoding ---------------------------------------------------------------------------


def test_douglas_peucker_keeps_the_ends_and_the_corners() -> None:
    line = [(0.0, 0.0), (1.0, 0.1), (2.0, -0.1), (3.0, 5.0), (4.0, 0.0)]
    assert geometry.douglas_peucker(line, 0.5) == [(0.0, 0.0), (2.0, -0.1), (3.0, 5.0), (4.0, 0.0)]
    assert geometry.douglas_peucker(line, 10.0) == [(0.0, 0.0), (4.0, 0.0)]


points = st.lists(
    st.tuples(st.integers(-50, 50), st.integers(-50, 50)).map(lambda p: (float(p[0]), float(p[1]))),
    min_size=2,
    max_size=40,
)


@given(points, st.floats(0.5, 5))
def test_douglas_peucker_drops_only_points_within_tolerance(line, tol) -> None:
    kept = geometry.douglas_peucker(line, tol)
    assert kept[0] == line[0] and kept[-1] == line[-1]
    idx, j = [], 0
    for i, pt in enumerate(line):  # kept points are a subsequence of the line
        if j < len(kept) and pt == kept[j]:
            idx.append(i)
            j += 1
    assert j == len(kept)
    for a, b in zip(idx, idx[1:], strict=False):
        for i in range(a + 1, b):
            assert geometry._seg_dist2(line[i], line[a], line[b]) <= tol * tol + 1e-9


def test_rings_are_oriented_so_holes_cut_out() -> None:
    square = [(0, 0), (0, 4), (4, 4), (4, 0)]  # counter-clockwise on screen (y down)
    assert geometry.area2(square) == -32
    assert geometry.area2(geometry.oriented(square, clockwise=True)) == 32
    assert geometry.contains([(0, 0), (0, 4), (4, 4), (4, 0)], (1, 1))
    assert not geometry.contains([(0, 0), (0, 4), (4, 4), (4, 0)], (5, 1))


rings = st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 5000)), min_size=3, max_size=30)


@given(
    st.lists(st.lists(st.lists(rings, min_size=1, max_size=3), min_size=1, max_size=3), max_size=4)
)
def test_groups_survive_encoding(shapes) -> None:
    g = asset.Group(
        "16",
        1000,
        800,
        tuple(
            asset.Shape(f"16.{i + 1:02d}", tuple(tuple(tuple(r) for r in p) for p in s))
            for i, s in enumerate(shapes)
        ),
    )
    assert asset.decode_group("16", asset.encode_group(g)) == g


# --- The map section -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_packs import build_processed

    return build_processed(tmp_path_factory.mktemp("processed") / "demo-16")


def _units(html: str, peta: str) -> list[str]:
    svg = re.search(rf'<svg [^>]*data-peta="{peta}".*?</svg>', html, re.S).group(0)
    return re.findall(r'<g data-wilayah="([^"]+)"', svg)


@pytest.mark.parametrize(
    ("tier", "code", "n"),
    [("nasional", "00", 38), ("provinsi", "16", 17), ("kabkota", "16.71", 18)],
)
def test_each_map_draws_every_child_unit_once(processed: Path, tier, code, n) -> None:
    html = section_peta(load_pack(processed, "2024-11-28", tier, code))
    assert "data-galat" not in html
    from analysis.reference import descendants

    kids = sorted(descendants(code, regions.TIERS[regions.depth(code) + 1])["kode_wilayah"])
    for peta in ("kerawanan", "cakupan"):
        assert sorted(_units(html, peta)) == kids and len(kids) == n
    for on_the_map in (BATAS_INDIKATIF, KREDIT):  # drawn on each map (and in its description)
        assert html.count(f">{on_the_map}</text>") == 2
    assert (
        "<script" not in html
        and "href=" not in html
        and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    assert len(html.encode()) < 64_000  # the budget a pack can afford (both maps)


def test_map_values_are_the_packs_own(processed: Path) -> None:
    pack = load_pack(processed, "2024-11-28", "provinsi", "16")
    html = section_peta(pack)
    st_ = {r["kode_wilayah"]: r for r in child_status(pack).iter_rows(named=True)}
    # Pagar Alam: internal count 1 of 2 TPS expected (both contests) → 50%, the status rule's cut
    assert figures(html, "peta_cakupan", wilayah="16.72") == [str(st_["16.72"]["cakupan_internal"])]
    assert "Kota Pagar Alam: hitung internal 50,00% TPS; status Perlu perhatian" in html
    assert "Kabupaten Ogan Komering Ulu: tidak ada TPS yang diharapkan dalam data" in html
    # the analyse stage's kerawanan rows of the children (inline: this scenario has none)
    pack.kerawanan = pl.DataFrame(
        {
            "kode_wilayah": ["16.71", "16.72"],
            "skor": [62.34, 20.0],
            "kelas": ["rawan tinggi", "rawan sedang"],
        }
    )
    html = section_peta(pack)
    assert figures(html, "peta_kerawanan", wilayah="16.71") == ["rawan tinggi"]
    assert re.search(rf'data-wilayah="16.71"[^>]*fill="{KERAWANAN_WARNA["rawan tinggi"]}"', html)
    assert "Kota Palembang: rawan tinggi, skor 62,3 dari 100" in html
    # a kab/kota without a score is hatched and says so; the legend names the units in words
    assert re.search(r'data-wilayah="16.01"[^>]*fill="url\(#peta-kerawanan-arsir\)"', html)
    assert "Kabupaten Ogan Komering Ulu: tidak dinilai" in html
    assert "<strong>Rawan sedang</strong> — 1 kabupaten/kota: Kota Pagar Alam</li>" in html
    assert (
        "<strong>Tidak dinilai (tidak ada TPS dalam data)</strong> — 15 kabupaten/kota</li>" in html
    )


def test_legend_names_the_units_of_each_class(processed: Path) -> None:
    from analysis.reference import descendants

    for tier, code, n, listed in (("provinsi", "16", 17, 17), ("nasional", "00", 38, 15)):
        pack = load_pack(processed, "2024-11-28", tier, code)
        kids = descendants(code, regions.TIERS[regions.depth(code) + 1])["kode_wilayah"]
        pack.kerawanan = pl.DataFrame({"kode_wilayah": kids, "skor": 5.0, "kelas": "rawan rendah"})
        html = section_peta(pack)
        line = re.search(rf"Rawan rendah</strong> — {n} [a-z/]+: ([^<]*)</li>", html).group(1)
        names = line.split(" dan ")[0].split(", ")
        assert len(names) == listed
        if n > listed:
            assert line.endswith(f" dan {n - listed} lainnya")
    assert line.startswith("Aceh, Bali, Banten, ")
    pack = load_pack(processed, "2024-11-28", "provinsi", "16")
    pack.kerawanan = pl.DataFrame(
        {"kode_wilayah": ["16.01", "16.71"], "skor": 5.0, "kelas": "rawan rendah"}
    )
    assert "— 2 kabupaten/kota: Kab. Ogan Komering Ulu, Kota Palembang</li>" in section_peta(pack)


def test_kecamatan_pack_explains_why_there_is_no_map(processed: Path) -> None:
    html = section_peta(load_pack(processed, "2024-11-28", "kecamatan", "16.71.01"))
    assert TANPA_PETA_KECAMATAN in html and "<svg" not in html


def test_coverage_classes_follow_the_status_thresholds() -> None:
    cfg = default_settings().briefing.status
    bins = cakupan_kelas(cfg)
    assert [lo for lo, _ in bins] == [1.0, cfg.coverage_watch, cfg.coverage_critical, 0.0]
    assert [k.label for _, k in bins] == [
        "Lengkap (100%)",
        "90% sampai < 100%",
        "50% sampai < 90%",
        "< 50%",
    ]


# Machado, Oliveira & Fernandes (2009) matrices, severity 1, on linear RGB.
CVD = {
    "trikromat": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216), (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413), (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602), (0.004733, 0.691367, 0.303900)),
}  # fmt: skip


def _luminance(colour: str, m: tuple) -> float:
    def lin(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    rgb = [lin(int(colour[i : i + 2], 16)) for i in (1, 3, 5)]
    r, g, b = (min(1.0, max(0.0, sum(k * c for k, c in zip(row, rgb, strict=True)))) for row in m)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@pytest.mark.parametrize("vision", CVD)
@pytest.mark.parametrize("palette", [list(KERAWANAN_WARNA.values()), list(CAKUPAN_WARNA)])
def test_classes_stay_apart_for_colour_blind_readers(palette, vision) -> None:
    """Consecutive classes keep a luminance contrast of at least 1.5:1 under each simulated
    colour vision, so the order reads by lightness alone (no data is hatched, not coloured)."""
    ys = [_luminance(c, CVD[vision]) for c in palette]
    assert ys == sorted(ys)  # darkest first, as the legend lists them
    for dark, light in zip(ys, ys[1:], strict=False):
        assert (light + 0.05) / (dark + 0.05) >= 1.5


# --- In a real browser ---------------------------------------------------------------------------------

_MAP_DOM = """JSON.stringify({
    maps: Array.from(document.querySelectorAll('svg[data-peta]')).map(svg => ({
        peta: svg.dataset.peta,
        units: Array.from(svg.querySelectorAll('g[data-wilayah]')).map(g => g.dataset.wilayah),
        drawn: Array.from(svg.querySelectorAll('g[data-wilayah] path'))
            .filter(p => p.getBBox().width > 0 && p.getBBox().height > 0).length,
        titled: svg.querySelectorAll('g[data-wilayah] > title').length,
        width: svg.getBoundingClientRect().width,
        fills: Array.from(new Set(Array.from(svg.querySelectorAll('g[data-wilayah]'))
            .map(g => getComputedStyle(g).fill))),
    })),
    scripts: document.scripts.length,
})"""


def _open(browser, page: Path, width: int) -> dict:
    """Load ``page`` at ``width`` px in a fresh tab; the map's DOM and every request started."""
    import json

    b = browser
    b.events = []
    target = b.send("Target.createTarget", url="about:blank")["targetId"]
    session = b.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Network", "Page", "Runtime"):
        b.send(f"{domain}.enable", session)
    b.send(
        "Emulation.setDeviceMetricsOverride",
        session,
        width=width,
        height=844,
        deviceScaleFactor=1,
        mobile=width < 500,
    )
    b.send("Page.navigate", session, url=page.as_uri())
    b.wait_for("Page.loadEventFired")
    b.drain(1.0)
    state = b.send("Runtime.evaluate", session, returnByValue=True, expression=_MAP_DOM)
    b.send("Target.closeTarget", targetId=target)
    requests = [
        e["params"]["request"]["url"]
        for e in b.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    return {"requests": requests, **json.loads(state["result"]["value"])}


@pytest.mark.slow
def test_province_pack_shows_one_shape_per_kabkota_in_chromium(processed, tmp_path) -> None:
    """The real pack notebook, executor and renderer; the page opened in headless Chromium with
    the network blocked: each map has one titled, visible shape per kab/kota, nothing is fetched."""
    from test_browser import Browser, _chromium

    from analysis.packs.execute import make_packs
    from analysis.reference import descendants

    result = make_packs("2024-11-28", "16", 0, processed, tmp_path / "reports", 0, progress=False)
    assert result.ok, result.summary()
    page = result.packs[0].html
    kids = sorted(descendants("16", "kabkota")["kode_wilayah"])
    browser = Browser(_chromium())
    try:
        for width in (390, 1280):
            seen = _open(browser, page, width)
            assert seen["requests"] == [page.as_uri()] and seen["scripts"] == 0
            assert [m["peta"] for m in seen["maps"]] == ["kerawanan", "cakupan"]
            for m in seen["maps"]:
                assert sorted(m["units"]) == kids
                assert m["drawn"] == m["titled"] == len(kids)
                assert m["width"] <= width
            fills = {f for m in seen["maps"] for f in m["fills"]}
            assert 'url("#peta-cakupan-arsir")' in fills and len(fills) >= 3  # painted, hatched too
    finally:
        browser.close()
