"""KPU's public URL layout, written once, and the checks on codes before they go into a path.

A site (``settings.kpu_pull.sites``) names three folders per contest type (``{jenis}``): the region
tree, the candidates file and ``hhcw`` (aggregates and per-TPS records). Below a folder, a region
is reached by the chain of its KPU codes, each the code of the one before plus its own digits::

    <wilayah>/0.json                               the provinces
    <wilayah>/16/1674/167401.json                  the desa of kecamatan 16.74.01
    <hhcw>/16/1674.json                            KPU's aggregate of kab/kota 16.74 (a table per kecamatan)
    <hhcw>/16/1674/167401/1674011001/1674011001001.json   the record of one TPS

Codes come from KPU's own responses, i.e. from the internet: :func:`check_child` accepts only
digits of the length of their tier that extend their parent's code.
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.domain import regions
from analysis.settings import KpuSite

#: Name of the region tree's root file (``<wilayah>/0.json``).
ROOT = "0"
#: Depth of a TPS below the national root (1 provinsi … 4 desa, 5 TPS).
TPS_DEPTH = 5
#: Digits of a KPU code by depth (the regions', then a TPS's 13).
CODE_DIGITS: dict[int, int] = {**regions.KPU_LENGTH, TPS_DEPTH: regions.TPS_CODE_DIGITS}


@dataclass(frozen=True)
class Node:
    """One region of one contest type's tree: ``kode`` undotted (``"0"`` for the root)."""

    jenis: str
    kode: str

    @property
    def depth(self) -> int:
        return (
            0
            if self.kode == ROOT
            else next(d for d, n in CODE_DIGITS.items() if n == len(self.kode))
        )

    @property
    def dotted(self) -> str:
        """The Kemendagri form (``"00"`` for the root); a TPS keeps its 13 digits."""
        if self.kode == ROOT:
            return regions.NATIONAL
        return self.kode if self.depth == TPS_DEPTH else regions.dotted(self.kode)


def chain(kode: str) -> str:
    """``1674011001001`` → ``16/1674/167401/1674011001/1674011001001`` (the root is ``0``)."""
    if kode == ROOT:
        return ROOT
    cuts = [n for n in CODE_DIGITS.values() if n <= len(kode)]
    return "/".join(kode[:n] for n in cuts)


def wilayah_path(site: KpuSite, node: Node) -> str:
    """The region-tree file listing ``node``'s children (a desa's lists its TPS)."""
    return f"{site.wilayah.format(jenis=node.jenis)}/{chain(node.kode)}.json"


def hhcw_path(site: KpuSite, node: Node) -> str:
    """KPU's aggregate of a region (a table of its children), or the record of a TPS."""
    return f"{site.hhcw.format(jenis=node.jenis)}/{chain(node.kode)}.json"


def paslon_path(site: KpuSite, jenis: str) -> str:
    return site.paslon.format(jenis=jenis)


def url(site: KpuSite, path: str, base_url: str | None = None) -> str:
    return f"{(base_url or site.base_url).rstrip('/')}/{path}"


def check_child(parent: Node, kode: object) -> str | None:
    """Why ``kode`` cannot be a child of ``parent`` (None when it can): digits of the next tier's
    length that start with the parent's code."""
    depth = parent.depth + 1
    if depth > TPS_DEPTH:
        return f"{parent.kode} adalah TPS: tidak punya anak"
    want = CODE_DIGITS[depth]
    if not isinstance(kode, str) or not kode.isascii() or not kode.isdigit():
        return f"kode {kode!r} bukan deret angka"
    if len(kode) != want:
        return f"kode {kode!r} harus {want} angka untuk tingkat ini"
    if parent.kode != ROOT and not kode.startswith(parent.kode):
        return f"kode {kode!r} tidak berada di bawah {parent.kode}"
    return None


def in_scope(node: Node, scope: str) -> bool:
    """The node lies inside the dotted ``scope`` or contains it (an ancestor is walked through)."""
    if node.depth == TPS_DEPTH:
        return regions.is_inside(regions.tps_desa(node.kode), scope)
    code = node.dotted
    return regions.is_inside(code, scope) or regions.is_inside(scope, code)
