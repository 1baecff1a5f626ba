"""Walking the scope's region tree on KPU's site, tier by tier, and deciding each TPS's fate.

For every contest type of the site, from the provinces down to the desa: the region list
(``wilayah``) and KPU's aggregate of the region (``agregat``), only for regions inside the scope or
containing it. Then, desa by desa, each TPS of KPU's list gets one fate:

- ``belum_ada``: the desa's aggregate table says KPU holds no data for it yet (no request);
- ``dibawa``: its row in the desa's table equals the previous pull's and the previous pull holds
  its record: the record is carried over unchanged (no request);
- ``diambil``: fetched (its row changed, it was never fetched, or the table does not say);
- ``gagal``: the request failed or the answer was not a record; the reason is kept and the next
  pull asks again (the record is absent from this pull, so it counts as never fetched);
- ``hilang``: in the previous pull's list but no longer in KPU's list.

A region whose row in its parent's table is unchanged is carried over whole instead of walked
(:mod:`analysis.pull.previous`). A file already in the staged folder (a resumed pull) is not asked
for again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.domain import regions
from analysis.pull import shapes, site
from analysis.pull.fetch import Fetcher, run_bounded
from analysis.pull.folder import PullFolder, carry, write_atomic
from analysis.pull.previous import STATUS_FILE, Previous
from analysis.pull.site import Node
from analysis.settings import KpuSite

__all__ = ["STATUS_FILE", "FATES", "Outcome", "Walker"]

DESA_DEPTH = 4
FATES = ("diambil", "dibawa", "belum_ada", "gagal", "hilang")


@dataclass
class Outcome:
    """What a walk found: one row per TPS (jenis, kode, fate, reason) and the region files that
    failed (their TPS are unknown this pull)."""

    tps: list[tuple[str, str, str, str | None]] = field(default_factory=list)
    failed_files: list[dict[str, str | None]] = field(default_factory=list)
    paslon: dict[str, Any] = field(default_factory=dict)
    failed_regions: set[tuple[str, str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fate(self, jenis: str, kode: str, nasib: str, alasan: str | None = None) -> None:
        with self.lock:
            self.tps.append((jenis, kode, nasib, alasan))

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(FATES, 0)
        for row in self.tps:
            out[row[2]] += 1
        return out


class Walker:
    """One pull's walk over one site for one scope (dotted code, ``"00"`` = national)."""

    def __init__(
        self,
        kpu: KpuSite,
        scope: str,
        fetcher: Fetcher,
        pull: PullFolder,
        base_url: str,
        full: bool = False,
    ) -> None:
        self.kpu, self.scope, self.fetcher, self.pull = kpu, scope, fetcher, pull
        self.base_url, self.full = base_url, full
        self.workers = fetcher.policy.concurrency
        self.previous = Previous(pull.previous)
        self.carry_regions = fetcher.policy.carry_unchanged_regions and not full
        self.out = Outcome()
        self._record_check = shapes.record(kpu.record)
        self._agregat_check = shapes.agregat(kpu.record)

    # --- one file -------------------------------------------------------------------------

    def obtain(self, rel: str, path: str, check: shapes.Check, what: dict[str, str]) -> Any:
        """The JSON of a site file: the staged copy (resumed pull), else fetched and staged."""
        staged = self.pull.path(rel)
        if staged.exists():
            parsed = shapes.parse(staged.read_bytes(), check)
            if parsed.reason is None:
                return parsed.value
            staged.unlink()  # a damaged staged file is asked for again
        got = self.fetcher.get(site.url(self.kpu, path, self.base_url), check)
        if got.reason is not None:
            with self.out.lock:
                self.out.failed_files.append({**what, "url": got.url, "alasan": got.reason})
            return None
        write_atomic(staged, got.body or b"")
        return got.value

    def _wilayah(self, node: Node) -> list[Node] | None:
        rel = f"wilayah/{node.jenis}/{node.kode}.json"
        what = {"berkas": "wilayah", "jenis_pemilihan": node.jenis, "kode": node.kode}
        items = self.obtain(rel, site.wilayah_path(self.kpu, node), shapes.wilayah, what)
        if items is None:
            return None
        children = []
        for item in items:
            reason = site.check_child(node, item["kode"])
            if reason is not None:
                with self.out.lock:
                    self.out.failed_files.append({**what, "url": None, "alasan": reason})
                return None
            child = Node(node.jenis, item["kode"])
            if site.in_scope(child, self.scope):
                children.append(child)
        return children

    def _agregat(self, node: Node) -> dict[str, Any] | None:
        rel = f"agregat/{node.jenis}/{node.kode}.json"
        what = {"berkas": "agregat", "jenis_pemilihan": node.jenis, "kode": node.kode}
        return self.obtain(rel, site.hhcw_path(self.kpu, node), self._agregat_check, what)

    # --- the tree -------------------------------------------------------------------------

    def paslon(self) -> None:
        check = shapes.paslon(self.kpu.paslon_per_wilayah)
        for jenis in self.kpu.jenis:
            what = {"berkas": "paslon", "jenis_pemilihan": jenis, "kode": ""}
            rel = f"paslon/{jenis}.json"
            self.out.paslon[jenis] = self.obtain(
                rel, site.paslon_path(self.kpu, jenis), check, what
            )

    def tree(self) -> list[Node]:
        """Walk down to the desa; returns the desa in scope whose TPS list was read."""
        nodes = [Node(j, site.ROOT) for j in self.kpu.jenis]
        for depth in range(DESA_DEPTH + 1):
            nodes = self._level(nodes, with_children=depth < DESA_DEPTH)
        return nodes

    def _level(self, nodes: list[Node], with_children: bool) -> list[Node]:
        found: list[Node] = []
        lock = threading.Lock()

        def work(node: Node) -> None:
            table = _table(self._agregat(node)) if node.depth > 0 else None
            children = self._wilayah(node)
            if children is None:
                with self.out.lock:
                    self.out.failed_regions.add((node.jenis, node.kode))
                return
            if with_children and self.carry_regions and table is not None:
                rel = f"agregat/{node.jenis}/{node.kode}.json"
                before = _table(self._previous_json(rel))
                children = [c for c in children if not self._carried(c, table, before)]
            with lock:
                found.extend(children if with_children else [node])

        run_bounded(nodes, work, self.workers, self.fetcher.stop)
        return sorted(found, key=lambda n: (n.jenis, n.kode))

    def _carried(self, child: Node, table: dict[str, Any], before: dict[str, Any] | None) -> bool:
        """Carry ``child``'s branch over when its row in its parent's table (``table``, and
        ``before`` in the previous pull) is unchanged."""
        if before is None or child.kode not in table or before.get(child.kode) != table[child.kode]:
            return False
        if not regions.is_inside(child.dotted, self.scope):
            return False
        if not self.previous.walked(child.jenis, child.kode):
            return False
        for kode, nasib in self.previous.carry_branch(self.pull, child.jenis, child.kode):
            alasan = "tabel agregat desa: belum ada data" if nasib == "belum_ada" else None
            self.out.fate(child.jenis, kode, nasib, alasan)
        return True

    # --- the TPS --------------------------------------------------------------------------

    def records(self, desa: list[Node]) -> None:
        """Every TPS of the desa walked: carried, skipped or fetched (see the module docstring)."""
        run_bounded(self._decide(desa), self._fetch, self.workers, self.fetcher.stop)

    def _decide(self, desa: list[Node]) -> Iterator[tuple[str, str]]:
        """Decides carry / not published on the way and yields the TPS to fetch."""
        for node in desa:
            tps = self._staged_json(f"wilayah/{node.jenis}/{node.kode}.json") or []
            table = _table(self._staged_json(f"agregat/{node.jenis}/{node.kode}.json"))
            before = _table(self._previous_json(f"agregat/{node.jenis}/{node.kode}.json"))
            for item in tps:
                kode = item["kode"]
                if self._decide_one(node.jenis, kode, table, before):
                    yield node.jenis, kode

    def _decide_one(
        self,
        jenis: str,
        kode: str,
        table: dict[str, Any] | None,
        before: dict[str, Any] | None,
    ) -> bool:
        """Record the fate of a TPS that needs no request; True when it must be fetched."""
        rel = f"tps/{jenis}/{kode}.json"
        staged = self.pull.path(rel)
        prev = self.pull.previous_path(rel)
        if staged.exists() and self._staged_ok(staged):
            carried = prev is not None and prev.exists() and prev.samefile(staged)
            self.out.fate(jenis, kode, "dibawa" if carried else "diambil")
            return False
        row = table.get(kode) if table is not None else None
        if row is not None and not shapes.row_published(row):
            self.out.fate(jenis, kode, "belum_ada", "tabel agregat desa: belum ada data")
            return False
        same = before is not None and row is not None and before.get(kode) == row
        if same and not self.full and prev is not None and prev.exists():
            carry(prev, staged)
            self.out.fate(jenis, kode, "dibawa")
            return False
        return True

    def _fetch(self, item: tuple[str, str]) -> None:
        jenis, kode = item
        path = site.hhcw_path(self.kpu, Node(jenis, kode))
        got = self.fetcher.get(site.url(self.kpu, path, self.base_url), self._record_check)
        if got.reason is not None:
            self.out.fate(jenis, kode, "gagal", got.reason)
            return
        write_atomic(self.pull.path(f"tps/{jenis}/{kode}.json"), got.body or b"")
        self.out.fate(jenis, kode, "diambil")

    def _staged_ok(self, staged: Path) -> bool:
        """A record staged by an earlier run: trusted as written, re-checked after a crash."""
        if not self.pull.resumed:
            return True
        if shapes.parse(staged.read_bytes(), self._record_check).reason is None:
            return True
        staged.unlink()
        return False

    def _staged_json(self, rel: str) -> Any:
        p = self.pull.path(rel)
        return shapes.parse(p.read_bytes(), lambda v: None).value if p.exists() else None

    def _previous_json(self, rel: str) -> Any:
        p = self.pull.previous_path(rel)
        if p is None or not p.exists():
            return None
        return shapes.parse(p.read_bytes(), lambda v: None).value

    # --- what vanished --------------------------------------------------------------------

    def vanished(self) -> None:
        """TPS of the previous pull's list (inside the scope) absent from this pull's list."""
        before = self.previous.status
        seen = {(j, k) for j, k, _, _ in self.out.tps}
        for jenis, kode in before.select("jenis_pemilihan", "kode_tps").iter_rows():
            if (jenis, kode) in seen or not site.in_scope(Node(jenis, kode), self.scope):
                continue
            lost = self._failed_above(jenis, kode)
            if lost:
                self.out.fate(jenis, kode, "gagal", f"daftar wilayah {lost} gagal diambil")
            else:
                self.out.fate(jenis, kode, "hilang", "tidak lagi ada di daftar TPS KPU")

    def _failed_above(self, jenis: str, kode: str) -> str | None:
        for cut in (0, *site.CODE_DIGITS.values()):
            region = site.ROOT if cut == 0 else kode[:cut]
            if (jenis, region) in self.out.failed_regions:
                return region
        return None


def _table(aggregate: Any) -> dict[str, Any] | None:
    if not isinstance(aggregate, dict) or not isinstance(aggregate.get("table"), dict):
        return None
    return aggregate["table"]
