"""A choropleth of one group of units as inline SVG, with its legend in HTML.

No script, no external reference, no id shared between maps but the hatch pattern's own (named
after the map): the page's CSP (``default-src 'none'``) has nothing to refuse. Each unit is one
``<g data-wilayah="…">`` carrying its fill, a ``<title>`` (name and value, read out by screen
readers and shown on hover) and its path; a unit too small to see at the map's scale also gets a
ringed dot. Text comes in already written (Bahasa Indonesia, :mod:`analysis.fmt` numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from analysis import fmt
from analysis.packs.html import Html, esc
from analysis.packs.maps import geometry
from analysis.packs.maps.asset import Group, Ring

PAD = 20  # grid units around the shapes
MIN_WIDTH = 620  # the credit's two lines fit a map this wide at FONT
FONT = 24  # credit text, grid units (≈ 8–9 px on a phone, where the map is ~340 px wide)
STROKE = 1.5  # white borders between units, grid units
DOT_BELOW = 16  # a unit narrower and shorter than this many grid units also gets a dot
DOT_RADIUS = 9
HATCH = "#8f8f8f"  # the no-data hatch: grey lines on light grey, readable without colour
HATCH_GROUND = "#e6e6e6"
MAX_WIDTH = "720px"  # on a wide screen the map stays a figure, its credit text ~17 px
NAMES_LISTED = 20  # a legend line names up to this many units, else the first NAMES_SHOWN …
NAMES_SHOWN = 15  # … and "dan N lainnya"
BATAS_INDIKATIF = "Batas indikatif, bukan batas resmi."
KREDIT = "Batas wilayah © Cahya DSN, MIT."


@dataclass(frozen=True)
class Kelas:
    """One legend class: its key, its label and its fill (``None``: hatched, no data)."""

    kunci: str
    label: str
    warna: str | None


@dataclass(frozen=True)
class Isian:
    """How one unit is drawn: its class, its title ("<nama>: <nilai>") and the machine value."""

    kelas: str
    nama: str
    teks: str
    nilai: object = None


# --- Paths (cached per group: every pack of a kernel that shows it reuses them) ----------------------

_PATHS: dict[str, tuple[Group, dict[str, tuple[str, tuple[int, int, int, int]]]]] = {}


def _ring_d(ring: Ring) -> str:
    steps = " ".join(f"{x1 - x0} {y1 - y0}" for (x0, y0), (x1, y1) in pairwise(ring))
    return f"M{ring[0][0]} {ring[0][1]}l{steps}z".replace(" -", "-")


def paths(group: Group) -> dict[str, tuple[str, tuple[int, int, int, int]]]:
    """Per unit code: (SVG path data, bounding box) on the group's grid."""
    hit = _PATHS.get(group.kode)
    if hit is not None and hit[0] is group:
        return hit[1]
    out = {}
    for s in group.shapes:
        d = "".join(_ring_d(r) for poly in s.polygons for r in poly)
        out[s.kode] = (d, geometry.bbox([p for poly in s.polygons for p in poly[0]]))
    _PATHS[group.kode] = (group, out)
    return out


# --- The map ---------------------------------------------------------------------------------------


def _fill(kelas: Kelas | None, pattern: str) -> str:
    return kelas.warna if kelas is not None and kelas.warna else f"url(#{pattern})"


def _unit(kode: str, d: str, fill: str, isi: Isian, nama_peta: str) -> str:
    return (
        f'<g data-wilayah="{esc(kode)}" data-angka="peta_{esc(nama_peta)}" data-nilai="{esc(isi.nilai)}"'
        f' fill="{fill}"><title>{esc(isi.nama)}: {esc(isi.teks)}</title><path d="{d}"/></g>'
    )


def _dot(box: tuple[int, int, int, int], fill: str, isi: Isian) -> str:
    """A ringed dot over a unit too small to see (drawn above every shape, so none hides it)."""
    x0, y0, x1, y1 = box
    if max(x1 - x0, y1 - y0) >= DOT_BELOW:
        return ""
    return (
        f'<circle cx="{(x0 + x1) // 2}" cy="{(y0 + y1) // 2}" r="{DOT_RADIUS}" fill="{fill}">'
        f"<title>{esc(isi.nama)}: {esc(isi.teks)}</title></circle>"
    )


def _frame(group: Group) -> tuple[int, int, int, int]:
    """The viewBox (x, y, width, height): shapes centred, padded, with room for the credit."""
    width = max(group.lebar + 2 * PAD, MIN_WIDTH)
    x = -(width - group.lebar) // 2
    return x, -PAD, width, group.tinggi + 2 * PAD + 2 * FONT + FONT // 2


def _hatch(pattern: str) -> str:
    return (
        f'<defs><pattern id="{pattern}" patternUnits="userSpaceOnUse" width="10" height="10">'
        f'<rect width="10" height="10" fill="{HATCH_GROUND}"/>'
        f'<path d="M0 10L10 0M-2 2L2-2M8 12L12 8" stroke="{HATCH}" stroke-width="1.5"/>'
        "</pattern></defs>"
    )


def map_svg(
    group: Group,
    nama_peta: str,
    judul: str,
    ringkasan: str,
    kelas: Sequence[Kelas],
    isian: Mapping[str, Isian],
) -> Html:
    """The SVG of ``group``'s units coloured by ``isian`` (units absent from it are not drawn)."""
    pattern = f"peta-{nama_peta}-arsir"
    by_key = {k.kunci: k for k in kelas}
    x, y, w, h = _frame(group)
    units, dots = [], []
    for kode, (d, box) in paths(group).items():
        if kode in isian:
            fill = _fill(by_key.get(isian[kode].kelas), pattern)
            units.append(_unit(kode, d, fill, isian[kode], nama_peta))
            dots.append(_dot(box, fill, isian[kode]))
    ty = group.tinggi + PAD + FONT
    return Html(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{x} {y} {w} {h}" width="100%" '
        f'style="max-width:{MAX_WIDTH};max-height:80vh;display:block" font-family="sans-serif" '
        f'data-peta="{esc(nama_peta)}">'
        f"<title>{esc(judul)}</title><desc>{esc(ringkasan)} {BATAS_INDIKATIF} {KREDIT}</desc>"
        f"{_hatch(pattern)}"
        f'<g stroke="#fff" stroke-width="{STROKE}" stroke-linejoin="round">{"".join(units)}</g>'
        f'<g stroke="#333" stroke-width="{STROKE}">{"".join(dots)}</g>'
        f'<text x="{x + PAD}" y="{ty}" font-size="{FONT}" fill="#444">{BATAS_INDIKATIF}</text>'
        f'<text x="{x + PAD}" y="{ty + FONT + FONT // 4}" font-size="{FONT}" fill="#444">'
        f"{esc(KREDIT)}</text></svg>"
    )


# --- The legend --------------------------------------------------------------------------------------


def _swatch(k: Kelas) -> str:
    inner = (
        f'<rect width="14" height="14" fill="{k.warna}"/>'
        if k.warna
        else f'<rect width="14" height="14" fill="{HATCH_GROUND}"/>'
        f'<path d="M0 14L14 0M0 7L7 0M7 14L14 7" stroke="{HATCH}" stroke-width="1.5"/>'
    )
    return (
        '<svg width="14" height="14" viewBox="0 0 14 14" aria-hidden="true" '
        f'style="vertical-align:-2px;border:1px solid #999">{inner}</svg>'
    )


def _short(nama: str) -> str:
    """A name as the legend lists it: "Kabupaten" abbreviated as usual ("Kab. Muara Enim")."""
    return "Kab. " + nama.removeprefix("Kabupaten ") if nama.startswith("Kabupaten ") else nama


def _names(names: list[str]) -> str:
    if len(names) <= NAMES_LISTED:
        return ", ".join(names)
    return f"{', '.join(names[:NAMES_SHOWN])} dan {fmt.angka(len(names) - NAMES_SHOWN)} lainnya"


def legend(kelas: Sequence[Kelas], isian: Mapping[str, Isian], satuan: str) -> Html:
    """One line per class: swatch, label, how many units and which (the map in words; the units
    without data are only counted)."""
    items = []
    for k in kelas:
        names = sorted(_short(v.nama) for v in isian.values() if v.kelas == k.kunci)
        tail = f": {esc(_names(names))}" if names and k.warna else ""
        items.append(
            f'<li data-kelas="{esc(k.kunci)}">{_swatch(k)} <strong>{esc(k.label)}</strong> — '
            f"{fmt.angka(len(names))} {esc(satuan)}{tail}</li>"
        )
    return Html(
        '<ul class="legenda-peta" style="list-style:none;padding:0;margin:0.3rem 0">'
        + "".join(items)
        + "</ul>"
    )
