"""Plane geometry for the map asset: projection onto a group's integer grid, Douglas–Peucker
simplification, ring area and orientation. Pure functions on tuples; nothing here reads files.

Points are ``(x, y)`` with y pointing down (SVG's axes), so a ring with positive :func:`area2`
runs clockwise on screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Point = tuple[float, float]
IntPoint = tuple[int, int]


@dataclass(frozen=True)
class Grid:
    """An equirectangular projection of one group's extent onto ``[0, lebar] × [0, tinggi]``.

    Longitude is shrunk by the cosine of the extent's middle latitude (Indonesia spans 6° N to
    11° S, so the distortion left is under 2%); the longer side gets ``size`` units.
    """

    lng0: float
    lat1: float
    kx: float  # grid units per degree of longitude
    ky: float  # grid units per degree of latitude
    lebar: int
    tinggi: int

    def project(self, lat: float, lng: float) -> Point:
        return ((lng - self.lng0) * self.kx, (self.lat1 - lat) * self.ky)


def fit_grid(lat0: float, lat1: float, lng0: float, lng1: float, size: int) -> Grid:
    """The grid of an extent given as its latitude and longitude bounds."""
    shrink = math.cos(math.radians((lat0 + lat1) / 2))
    w, h = (lng1 - lng0) * shrink, lat1 - lat0
    scale = size / max(w, h, 1e-9)
    return Grid(lng0, lat1, scale * shrink, scale, math.ceil(w * scale), math.ceil(h * scale))


def _seg_dist2(p: Point, a: Point, b: Point) -> float:
    """Squared distance from ``p`` to the line through ``a`` and ``b`` (to ``a`` when they meet)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    ex, ey = p[0] - a[0], p[1] - a[1]
    norm = dx * dx + dy * dy
    if norm == 0:
        return ex * ex + ey * ey
    cross = ex * dy - ey * dx
    return cross * cross / norm


def douglas_peucker(line: Sequence[Point], tolerance: float) -> list[Point]:
    """The points of ``line`` kept by Douglas–Peucker: none of the dropped ones lies farther than
    ``tolerance`` from the simplified line. Both ends are kept; iterative (no recursion limit)."""
    n = len(line)
    if n < 3:
        return list(line)
    keep = [False] * n
    keep[0] = keep[-1] = True
    tol2 = tolerance * tolerance
    spans = [(0, n - 1)]
    while spans:
        first, last = spans.pop()
        far, far_d2 = -1, tol2
        for i in range(first + 1, last):
            d2 = _seg_dist2(line[i], line[first], line[last])
            if d2 > far_d2:
                far, far_d2 = i, d2
        if far >= 0:
            keep[far] = True
            spans += [(first, far), (far, last)]
    return [pt for pt, k in zip(line, keep, strict=True) if k]


def simplify_ring(ring: Sequence[Point], tolerance: float) -> list[IntPoint]:
    """A closed ring (without its repeated last point) simplified and rounded to the grid.

    Consecutive duplicates left by rounding are merged; the result may have fewer than 3 points,
    in which case the ring has vanished at this scale.
    """
    closed = [*ring, ring[0]]
    kept = douglas_peucker(closed, tolerance)[:-1]
    out: list[IntPoint] = []
    for x, y in kept:
        q = (math.floor(x + 0.5), math.floor(y + 0.5))
        if not out or q != out[-1]:
            out.append(q)
    while len(out) > 1 and out[-1] == out[0]:
        out.pop()
    return out


def area2(ring: Sequence[IntPoint]) -> int:
    """Twice the signed area of a closed ring (shoelace); positive runs clockwise on screen."""
    n = len(ring)
    return sum(
        ring[i][0] * ring[(i + 1) % n][1] - ring[(i + 1) % n][0] * ring[i][1] for i in range(n)
    )


def oriented(ring: list[IntPoint], clockwise: bool) -> list[IntPoint]:
    """``ring`` running the given way (outer rings clockwise, holes the other way, so SVG's default
    nonzero fill rule cuts the holes out)."""
    return ring if (area2(ring) > 0) == clockwise else ring[::-1]


def contains(ring: Sequence[Point], pt: Point) -> bool:
    """Whether ``pt`` lies inside the closed ``ring`` (even–odd ray casting)."""
    x, y = pt
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def bbox(points: Sequence[IntPoint]) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of some points."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)
