"""The boundary asset shipped with the package: ``packs/assets/batas_wilayah.bin``.

Layout (format 1), every integer an unsigned LEB128 varint unless said otherwise::

    b"DPBW"                      magic
    u32 little-endian            length of the header
    header                       UTF-8 JSON: format, build parameters, source, and
                                 "kelompok": {parent code: [offset, length]} into the groups
    groups                       one blob per parent unit ("00", a province, a kab/kota)

    group  = lebar tinggi n_shape shape*
    shape  = len(code) code(ASCII) n_polygon polygon*
    polygon = n_ring ring*        (outer ring first, clockwise on screen; holes the other way)
    ring   = n_point x y (zigzag(dx) zigzag(dy))*(n_point - 1)

Coordinates are integers on the group's own grid (the longer side ``grid`` units, y down), so a
pack decodes only the group of its children. Written by :mod:`.build`; read here.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

FORMAT_VERSION = 1
MAGIC = b"DPBW"
ASSET_DIR = Path(__file__).resolve().parents[1] / "assets"
ASSET = ASSET_DIR / "batas_wilayah.bin"

Ring = tuple[tuple[int, int], ...]
Polygon = tuple[Ring, ...]


class AssetError(ValueError):
    """The boundary asset is missing, damaged or of another format version."""


@dataclass(frozen=True)
class Shape:
    """One unit's outline: polygons (islands), each an outer ring and its holes."""

    kode: str
    polygons: tuple[Polygon, ...]


@dataclass(frozen=True)
class Group:
    """The children of one parent unit on a shared ``lebar × tinggi`` grid."""

    kode: str
    lebar: int
    tinggi: int
    shapes: tuple[Shape, ...]


# --- Varints ---------------------------------------------------------------------------------------


def _uvarint(n: int, out: bytearray) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _zigzag(n: int) -> int:
    return n * 2 if n >= 0 else -n * 2 - 1


def _unzigzag(z: int) -> int:
    return z >> 1 if not z & 1 else -((z + 1) >> 1)


class _Reader:
    """Reads varints off a blob, front to back."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def uint(self) -> int:
        shift = value = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7

    def text(self) -> str:
        n = self.uint()
        s = self.data[self.pos : self.pos + n].decode("ascii")
        self.pos += n
        return s


# --- Encoding (the build) ------------------------------------------------------------------------


def encode_group(group: Group) -> bytes:
    """One group's blob (see the module docstring)."""
    out = bytearray()
    for n in (group.lebar, group.tinggi, len(group.shapes)):
        _uvarint(n, out)
    for shape in group.shapes:
        code = shape.kode.encode("ascii")
        _uvarint(len(code), out)
        out += code
        _uvarint(len(shape.polygons), out)
        for poly in shape.polygons:
            _uvarint(len(poly), out)
            for ring in poly:
                _encode_ring(ring, out)
    return bytes(out)


def _encode_ring(ring: Ring, out: bytearray) -> None:
    _uvarint(len(ring), out)
    _uvarint(ring[0][0], out)
    _uvarint(ring[0][1], out)
    for (x0, y0), (x1, y1) in pairwise(ring):
        _uvarint(_zigzag(x1 - x0), out)
        _uvarint(_zigzag(y1 - y0), out)


def encode_asset(groups: list[Group], meta: dict[str, object]) -> bytes:
    """The whole file: header (``meta`` plus the group index) then the groups in code order."""
    blobs, index, offset = [], {}, 0
    for g in sorted(groups, key=lambda g: g.kode):
        blob = encode_group(g)
        index[g.kode] = [offset, len(blob)]
        blobs.append(blob)
        offset += len(blob)
    header = {**meta, "format": FORMAT_VERSION, "kelompok": index}
    head = json.dumps(header, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    head_bytes = head.encode("utf-8")
    return MAGIC + struct.pack("<I", len(head_bytes)) + head_bytes + b"".join(blobs)


# --- Decoding (packs and tests) ------------------------------------------------------------------


def decode_group(kode: str, blob: bytes) -> Group:
    """A group from its blob."""
    r = _Reader(blob)
    lebar, tinggi, n = r.uint(), r.uint(), r.uint()
    shapes = []
    for _ in range(n):
        code = r.text()
        polys = tuple(tuple(_decode_ring(r) for _ in range(r.uint())) for _ in range(r.uint()))
        shapes.append(Shape(code, polys))
    return Group(kode, lebar, tinggi, tuple(shapes))


def _decode_ring(r: _Reader) -> Ring:
    n = r.uint()
    x, y = r.uint(), r.uint()
    pts = [(x, y)]
    for _ in range(n - 1):
        x += _unzigzag(r.uint())
        y += _unzigzag(r.uint())
        pts.append((x, y))
    return tuple(pts)


def read_header(path: Path = ASSET) -> tuple[dict, int]:
    """(header, offset of the first group) of an asset file; checks magic and format."""
    try:
        with path.open("rb") as f:
            head = f.read(8)
            if head[:4] != MAGIC:
                raise AssetError(f"{path}: not a boundary asset (magic {head[:4]!r})")
            (n,) = struct.unpack("<I", head[4:8])
            header = json.loads(f.read(n).decode("utf-8"))
    except FileNotFoundError:
        raise AssetError(f"{path}: missing; run `make map-asset`") from None
    if header.get("format") != FORMAT_VERSION:
        raise AssetError(
            f"{path}: format {header.get('format')}, this code reads {FORMAT_VERSION}; "
            "run `make map-asset`"
        )
    return header, 8 + n


def read_group(kode: str, path: Path = ASSET) -> Group | None:
    """The children of ``kode`` from an asset file; None when the asset has no such group."""
    meta, start = read_header(path)
    where = meta["kelompok"].get(kode)
    if where is None:
        return None
    with path.open("rb") as f:
        f.seek(start + where[0])
        return decode_group(kode, f.read(where[1]))


@lru_cache(maxsize=64)
def group(kode: str) -> Group | None:
    """The shipped shapes of the children of ``kode`` (cached: a kernel decodes each group once)."""
    return read_group(kode)


def group_codes(path: Path = ASSET) -> list[str]:
    """Codes of the parents an asset holds a group for."""
    return sorted(read_header(path)[0]["kelompok"])


def all_shapes(path: Path = ASSET) -> Iterator[tuple[str, Shape]]:
    """Every (parent code, shape) of an asset, group by group."""
    for kode in group_codes(path):
        g = read_group(kode, path)
        if g is not None:
            yield from ((kode, s) for s in g.shapes)
