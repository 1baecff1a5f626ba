"""Build the shipped boundary asset from the upstream boundary dump (the only code that reads it).

``python -m analysis build-map-asset --source <dir>`` (``make map-asset``) reads the MySQL INSERT
files of ``cahyadsn/wilayah_boundaries`` (``prov/``, ``kab/``, ``kec/``: one row per unit, its
outline a JSON (multi)polygon of **[lat, lng]** points), groups the units by parent ("00" for the
provinces), projects each group onto its own integer grid, simplifies every ring with
Douglas–Peucker, drops islands too small to see, and writes ``packs/assets/``: the asset
(:mod:`.asset`), the upstream LICENSE and ``SOURCE.md`` (source, parameters, gaps, checksum).
The output depends only on the input: a rebuild gives identical bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import shutil
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from analysis import console, fmt
from analysis.domain import regions
from analysis.packs.maps import geometry
from analysis.packs.maps.asset import ASSET, ASSET_DIR, Group, Polygon, Shape, encode_asset

GRID = 1000  # grid units on a group's longer side: ~1 unit per screen pixel on a wide screen
TOLERANCE = 1.0  # Douglas–Peucker tolerance in grid units: at most ~1 px off at 1000 px wide
MIN_AREA = 4  # islands and holes under 2 × 2 grid units are invisible; a unit keeps its largest
SOURCE_FOLDERS = ("prov", "kab", "kec")
CREDIT = "© Cahya DSN, MIT"

# One VALUES tuple per line: ('16.01','Kabupaten …',lat,lng,'<json path>') — quotes doubled in names.
_ROW = re.compile(
    r"\(\s*'(?P<kode>[0-9.]+)'\s*,\s*'(?P<nama>(?:[^']|'')*)'\s*,\s*(?P<lat>-?[0-9.]+)\s*,"
    r"\s*(?P<lng>-?[0-9.]+)\s*,\s*'(?P<path>[^']*)'\s*\)\s*[,;]?\s*$"
)

LatLng = tuple[float, float]
RawPolygon = tuple[tuple[LatLng, ...], ...]  # rings of (lat, lng), outer first


class SourceError(ValueError):
    """The upstream dump has a row this build cannot read (names file and line)."""


@dataclass(frozen=True)
class Row:
    """One upstream unit: code, name and its polygons as rings of (lat, lng)."""

    kode: str
    nama: str
    polygons: tuple[RawPolygon, ...]
    islands_split: int = 0  # rings upstream wrote as holes that lie outside their outer ring


@dataclass
class Report:
    """What a build did: counts per tier, shapes reduced to a box, gaps against the region tree."""

    units: dict[str, int] = field(default_factory=dict)
    points: int = 0
    boxed: list[str] = field(default_factory=list)
    islands_split: list[str] = field(default_factory=list)
    tanpa_batas: list[str] = field(default_factory=list)  # units of the tree with no shape
    tanpa_wilayah: list[str] = field(default_factory=list)  # shapes of no unit (left out)
    size: int = 0
    sha256: str = ""


# --- Reading the dump ----------------------------------------------------------------------------


def _nesting(x: object) -> int:
    depth = 0
    while isinstance(x, list) and x:
        x, depth = x[0], depth + 1
    return depth


def _polygons(path: str) -> tuple[RawPolygon, ...]:
    """A JSON Polygon (3 levels) or MultiPolygon (4 levels) of [lat, lng] as polygons of rings."""
    g = json.loads(path)
    polys = {3: [g], 4: g}.get(_nesting(g))
    if polys is None:
        raise ValueError(f"geometry nested {_nesting(g)} levels deep, expected 3 or 4")
    return tuple(
        tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in poly) for poly in polys
    )


def split_islands(polys: tuple[RawPolygon, ...]) -> tuple[tuple[RawPolygon, ...], int]:
    """(polygons whose later rings are holes only, number of rings moved): a ring lying outside its
    polygon's outer ring (upstream writes some island groups as one polygon, e.g. 81.05.16)
    becomes a polygon of its own."""
    out: list[RawPolygon] = []
    moved = 0
    for poly in polys:
        inside = [geometry.contains(poly[0], r[0]) for r in poly[1:]]
        out.append((poly[0], *(r for r, k in zip(poly[1:], inside, strict=True) if k)))
        out += [(r,) for r, k in zip(poly[1:], inside, strict=True) if not k]
        moved += inside.count(False)
    return tuple(out), moved


def read_sql(file: Path) -> Iterator[Row]:
    """The rows of one INSERT file; a VALUES line it cannot read stops the build with its place."""
    with file.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.lstrip().startswith("('"):
                continue
            m = _ROW.search(line)
            if m is None:
                raise SourceError(f"{file}:{lineno}: VALUES row not understood: {line[:80]!r}")
            try:
                polys, moved = split_islands(_polygons(m["path"]))
            except ValueError as exc:
                raise SourceError(f"{file}:{lineno}: kode {m['kode']}: path: {exc}") from None
            yield Row(m["kode"], m["nama"].replace("''", "'"), polys, moved)


def read_source(source: Path) -> dict[str, Row]:
    """Every row of the dump's ``prov/``, ``kab/`` and ``kec/`` files, by code (no duplicates)."""
    rows: dict[str, Row] = {}
    for folder in SOURCE_FOLDERS:
        for file in sorted((source / folder).glob("*.sql")):
            for row in read_sql(file):
                if row.kode in rows:
                    raise SourceError(f"{file}: kode {row.kode} appears twice in the dump")
                rows[row.kode] = row
    if not rows:
        raise SourceError(f"{source}: no INSERT rows under {', '.join(SOURCE_FOLDERS)}/")
    return rows


def source_commit(source: Path) -> tuple[str, str]:
    """(repository, commit) the dump's README names."""
    text = (source / "README.md").read_text(encoding="utf-8")
    repo = re.search(r"GitHub `([\w.-]+/[\w.-]+)`", text)
    commit = re.search(r"\b([0-9a-f]{40})\b", text)
    if repo is None or commit is None:
        raise SourceError(f"{source}/README.md: names no GitHub repository and commit")
    return repo.group(1), commit.group(1)


# --- One group -----------------------------------------------------------------------------------


def _grid_of(rows: list[Row]) -> geometry.Grid:
    lats = [p[0] for r in rows for poly in r.polygons for ring in poly for p in ring]
    lngs = [p[1] for r in rows for poly in r.polygons for ring in poly for p in ring]
    return geometry.fit_grid(min(lats), max(lats), min(lngs), max(lngs), GRID)


def _polygon(poly: RawPolygon, grid: geometry.Grid) -> Polygon | None:
    """One polygon on the grid, simplified; None when its outer ring vanishes at this scale."""
    rings = []
    for i, ring in enumerate(poly):
        pts = geometry.simplify_ring([grid.project(*p) for p in ring], TOLERANCE)
        if len(pts) < 3 or abs(geometry.area2(pts)) < (2 * MIN_AREA if i else 1):
            if i == 0:
                return None
            continue  # a hole too small to see
        rings.append(tuple(geometry.oriented(pts, clockwise=i == 0)))
    return tuple(rings)


def _box(row: Row, grid: geometry.Grid) -> Polygon:
    """A unit too small for any ring at this scale: the box around it, at least 1 × 1 unit."""
    pts = [grid.project(*p) for poly in row.polygons for p in poly[0]]
    x0, y0 = (math.floor(min(p[i] for p in pts)) for i in (0, 1))
    x1, y1 = (max(math.ceil(max(p[i] for p in pts)), v + 1) for i, v in ((0, x0), (1, y0)))
    return (((x0, y0), (x1, y0), (x1, y1), (x0, y1)),)


def _shape(row: Row, grid: geometry.Grid, report: Report) -> Shape:
    """A unit's polygons, largest first, islands under ``MIN_AREA`` dropped (the largest stays)."""
    polys = [p for poly in row.polygons if (p := _polygon(poly, grid)) is not None]
    if not polys:
        report.boxed.append(row.kode)
        return Shape(row.kode, (_box(row, grid),))
    polys.sort(key=lambda p: (-abs(geometry.area2(p[0])), p[0]))
    kept = [p for i, p in enumerate(polys) if i == 0 or abs(geometry.area2(p[0])) >= 2 * MIN_AREA]
    report.points += sum(len(r) for p in kept for r in p)
    return Shape(row.kode, tuple(kept))


def build_group(parent: str, rows: list[Row], report: Report) -> Group:
    """The children of ``parent`` on one grid fitted to their joint extent."""
    grid = _grid_of(rows)
    shapes = tuple(_shape(r, grid, report) for r in sorted(rows, key=lambda r: r.kode))
    return Group(parent, grid.lebar, grid.tinggi, shapes)


# --- The whole asset -------------------------------------------------------------------------------


def build_groups(rows: dict[str, Row], report: Report) -> list[Group]:
    """One group per parent unit; every row is the child of exactly one parent."""
    by_parent: dict[str, list[Row]] = defaultdict(list)
    for row in rows.values():
        by_parent[regions.parent(row.kode) or regions.NATIONAL].append(row)
        if row.islands_split:
            report.islands_split.append(row.kode)
        tier = regions.tier_of(row.kode)
        report.units[tier] = report.units.get(tier, 0) + 1
    return [build_group(p, by_parent[p], report) for p in sorted(by_parent)]


def _join(rows: dict[str, Row], report: Report) -> dict[str, Row]:
    """Rows of units the region tree knows; the gaps both ways go into the report."""
    from analysis.reference import regions as region_tree

    tree = region_tree()
    known = set(
        tree.filter(tree["tingkat"].is_in(["provinsi", "kabkota", "kecamatan"]))["kode_wilayah"]
    )
    report.tanpa_batas = sorted(known - set(rows))
    report.tanpa_wilayah = sorted(set(rows) - known)
    return {k: r for k, r in rows.items() if k in known}


def build_asset(source: Path, out_dir: Path = ASSET_DIR, join: bool = True) -> Report:
    """Read the dump in ``source``, write the asset, LICENSE and SOURCE.md into ``out_dir``.

    ``join=False`` keeps every row (for a partial dump in tests); the shipped build joins the
    rows to the region tree and reports the gaps.
    """
    repo, commit = source_commit(source)
    report = Report()
    rows = read_source(source)
    if join:
        rows = _join(rows, report)
    groups = build_groups(rows, report)
    meta = {
        "grid": GRID,
        "toleransi": TOLERANCE,
        "luas_min": MIN_AREA,
        "sumber": {"repo": repo, "commit": commit, "lisensi": "MIT", "kredit": CREDIT},
    }
    data = encode_asset(groups, meta)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / ASSET.name).write_bytes(data)
    shutil.copyfile(source / "LICENSE", out_dir / "LICENSE")
    report.size, report.sha256 = len(data), hashlib.sha256(data).hexdigest()
    (out_dir / "SOURCE.md").write_text(source_note(repo, commit, report), encoding="utf-8")
    return report


def source_note(repo: str, commit: str, report: Report) -> str:
    """SOURCE.md: where the shapes come from, how they were reduced, and what is missing."""
    units = ", ".join(f"{k} {fmt.angka(v)}" for k, v in sorted(report.units.items()))
    lines = [
        "# Batas wilayah (peta paket)",
        "",
        f"- Sumber: GitHub `{repo}` commit `{commit}` (`db/prov`, `db/kab`, `db/kec`), "
        "kode Kepmendagri 2025.",
        f'- Lisensi: MIT (`LICENSE`). Kredit di setiap peta: "{CREDIT}".',
        "- Batas indikatif, bukan batas resmi: asal geometri hulu tidak didokumentasikan.",
        f"- Dibuat oleh `python -m analysis build-map-asset` (`make map-asset`): grid "
        f"{fmt.angka(GRID)} satuan per sisi terpanjang kelompok, Douglas–Peucker "
        f"{fmt.angka(TOLERANCE, 1)} satuan, pulau/lubang < {fmt.angka(MIN_AREA)} satuan² dibuang "
        "(bagian terbesar tiap wilayah selalu disimpan).",
        f"- Wilayah: {units}; {fmt.angka(report.points)} titik.",
        f"- Berkas `{ASSET.name}`: {fmt.angka(report.size)} byte, sha256 `{report.sha256}`.",
        f"- Wilayah tanpa batas di hulu: {', '.join(report.tanpa_batas) or 'tidak ada'}.",
        f"- Batas tanpa wilayah di pohon wilayah (tidak dipakai): "
        f"{', '.join(report.tanpa_wilayah) or 'tidak ada'}.",
        f"- Cincin yang di hulu tertulis sebagai lubang tetapi terletak di luar cincin luarnya, "
        f"dibaca sebagai pulau: {', '.join(sorted(report.islands_split)) or 'tidak ada'}.",
        f"- Terlalu kecil untuk skala kelompoknya (disimpan sebagai kotak): "
        f"{', '.join(report.boxed) or 'tidak ada'}.",
        "",
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        required=True,
        help="folder of the boundary dump (README.md, LICENSE, prov/, kab/, kec/)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ASSET_DIR,
        help="where to write the asset (default: the package)",
    )


def run(args: argparse.Namespace) -> int:
    report = build_asset(args.source, args.out)
    console.say(f"{args.out / ASSET.name}: {report.size:,} bytes, sha256 {report.sha256}")
    console.say(f"units {report.units}, {report.points:,} points, boxed {len(report.boxed)}")
    for what, codes in (("no shape", report.tanpa_batas), ("no unit", report.tanpa_wilayah)):
        if codes:
            console.say(f"{what}: {len(codes)}: {', '.join(codes[:20])}")
    return 0
