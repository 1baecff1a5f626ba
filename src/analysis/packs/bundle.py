"""One zip per recipient (``reports/<date>/kiriman/<id>.zip``): exactly their packs, so the
operator forwards one thing and cannot attach another unit's pack by mistake.

Recipients are configured per tier (``share.recipients``): a list of units of that tier, or
``each`` (one bundle per pack of the tier). A bundle holds the packs of its units and, unless
``descendants: false``, of every unit inside them made in the same run — the locked edition where
one was made, else the open page — with their annexes (inside the locked file when
``annex_inside_locked``), ``manifes.json`` (what, for whom, made when, SHA-256 of every file) and
``BACA-DULU.txt`` (the same in words, with how to open a locked pack). A bundle whose units include
a failed pack is not made (the index says why). Entries are sorted and carry the report date as
their time, so the same files give the same zip.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import io
import itertools
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from analysis import fmt
from analysis.domain import regions
from analysis.packs import paged
from analysis.packs.lock import SIMULASI
from analysis.packs.results import BriefResult, PackResult
from analysis.settings import Recipient, Share

FORMAT = "desk-pilkada/kiriman/1"
FOLDER = "kiriman"


@dataclass(frozen=True)
class Addressee:
    """One bundle to make: for whom, and which units' packs."""

    id: str
    nama: str
    tingkat: str
    units: tuple[str, ...]
    descendants: bool


@dataclass
class BundleResult:
    """What became of one bundle: the zip, or why it was not made."""

    id: str
    nama: str
    tingkat: str
    units: list[str]
    path: Path | None = None
    files: list[str] = field(default_factory=list)
    size_bytes: int = 0
    reason: str = ""  # why it was not made


def addressees(share: Share, packs: list[PackResult]) -> list[Addressee]:
    """The run's bundles: explicit recipients, and one per pack of a tier configured ``each``."""
    out: list[Addressee] = []
    for tier, people in share.recipients.items():
        for r in people:
            out += _expand(r, tier, [p for p in packs if p.tingkat == tier])
    return sorted(out, key=lambda a: a.id)


def _expand(r: Recipient, tier: str, packs: list[PackResult]) -> list[Addressee]:
    if r.units != "each":
        return [Addressee(r.id, r.name, tier, tuple(r.units), r.descendants)]
    return [
        Addressee(
            r.id.replace("{kode}", p.kode_wilayah),
            r.name.replace("{nama}", p.nama).replace("{kode}", p.kode_wilayah),
            tier,
            (p.kode_wilayah,),
            r.descendants,
        )
        for p in packs
    ]


def members(a: Addressee, packs: list[PackResult]) -> list[PackResult]:
    """The packs of the run that belong in ``a``'s bundle: its units' (and their descendants')."""
    if not a.descendants:
        units = set(a.units)
        return sorted((p for p in packs if p.kode_wilayah in units), key=lambda p: p.kode_wilayah)
    if regions.NATIONAL in a.units:
        return sorted(packs, key=lambda p: p.kode_wilayah)
    # a unit's descendants' codes start with its code and a dot: in code order, one run from the
    # unit's own code on
    ordered = sorted(packs, key=lambda p: p.kode_wilayah)
    codes = [p.kode_wilayah for p in ordered]
    picked: dict[str, PackResult] = {}
    for u in a.units:
        for p in itertools.takewhile(
            lambda p, u=u: regions.is_inside(p.kode_wilayah, u),
            ordered[bisect.bisect_left(codes, u) :],
        ):
            picked[p.kode_wilayah] = p
    return [picked[c] for c in sorted(picked)]


def _entries(p: PackResult) -> list[tuple[str, Path, str]]:
    """(name in the zip, file, kind) of one pack: the locked edition where made, else the open one
    with the pages it links to beside it (its technical annex and its wall edition: open pages,
    so they never travel with a locked pack); the annex unless it travels inside the locked file."""
    out = []
    if p.locked is not None:
        out.append((p.locked.name, p.locked, "laporan terkunci"))
    elif p.html is not None:
        out.append((p.html.name, p.html, "laporan (tidak terkunci)"))
        for f, kind in _EDITIONS:
            page = f(p.html)
            if page.is_file():
                out.append((page.name, page, kind))
    if p.annex is not None and not (p.locked is not None and p.share.annex_inside):
        out.append((p.annex.name, p.annex, "lampiran Excel"))
    return out


#: The pages beside an open pack that travel with it: (path from the pack's page, kind).
_EDITIONS = (
    (paged.annex_path, "lampiran teknis (halaman)"),
    (paged.wall_path, "edisi layar pusat komando"),
)


def _zip_time(result: BriefResult) -> tuple[int, int, int, int, int, int]:
    return dt.datetime.combine(result.date, dt.time(0, 0)).timetuple()[:6]


def _zip(files: dict[str, bytes], when: tuple[int, int, int, int, int, int]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, files[name])
    return buf.getvalue()


def _recipient(a: Addressee) -> dict[str, object]:
    """Who a bundle is for, as its manifest says."""
    return {"id": a.id, "nama": a.nama, "tingkat": a.tingkat, "wilayah": list(a.units)}


def manifest(
    a: Addressee, result: BriefResult, rows: list[dict], made_at: dt.datetime
) -> dict[str, object]:
    """The machine-readable manifest: what, for whom, made when, SHA-256 of every file."""
    return {
        "format": FORMAT,
        "klasifikasi": "TERBATAS",
        "data_simulasi": result.demo,
        "penerima": _recipient(a),
        "tanggal_laporan": result.date.isoformat(),
        "dibuat_pada": made_at.isoformat(timespec="seconds"),
        "berkas": rows,
    }


def readme(a: Addressee, result: BriefResult, rows: list[dict], made_at: dt.datetime) -> str:
    """The manifest in words, for the person who opens the zip (Bahasa Indonesia)."""
    lines = ["TERBATAS"]
    if result.demo:
        lines.append(SIMULASI)
    lines += [
        "",
        f"Kiriman laporan harian Desk Pilkada untuk: {a.nama}",
        f"Tanggal laporan: {fmt.tanggal(result.date)}",
        f"Dibuat: {fmt.tanggal_waktu(made_at)}",
        "",
        "Isi kiriman:",
    ]
    lines += [f"- {r['nama']}: {r['jenis']}, {r['nama_wilayah']} ({r['wilayah']})" for r in rows]
    if any(r["jenis"] == "laporan terkunci" for r in rows):
        lines += [
            "",
            "Membuka laporan terkunci: simpan berkas .terkunci.html ke ponsel atau komputer, buka",
            "dengan browser (Chrome, Safari, Firefox, Edge), lalu masukkan kata sandi yang Anda",
            "terima dari Desk Pilkada melalui jalur terpisah. Lampiran Excel dapat diunduh dari",
            "laporan yang sudah terbuka. Tidak diperlukan internet.",
        ]
    lines += ["", "SHA-256 setiap berkas (untuk memeriksa keutuhan):"]
    lines += [f"{r['sha256']}  {r['nama']}" for r in rows]
    return "\n".join(lines) + "\n"


def write_bundle(
    a: Addressee, packs: list[PackResult], result: BriefResult, made_at: dt.datetime
) -> BundleResult:
    """The zip of ``a``'s packs (``packs`` already chosen by :func:`members`)."""
    files: dict[str, bytes] = {}
    rows = []
    for p in packs:
        for name, path, kind in _entries(p):
            data = path.read_bytes()
            files[name] = data
            rows.append({
                "nama": name, "jenis": kind, "wilayah": p.kode_wilayah, "nama_wilayah": p.nama,
                "tingkat": p.tingkat, "byte": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            })  # fmt: skip
    rows.sort(key=lambda r: r["nama"])
    doc = manifest(a, result, rows, made_at)
    files["manifes.json"] = (json.dumps(doc, ensure_ascii=False, indent=1) + "\n").encode()
    files["BACA-DULU.txt"] = readme(a, result, rows, made_at).encode("utf-8")
    out = result.out_dir / FOLDER / f"{a.id}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(_zip(files, _zip_time(result)))
    tmp.replace(out)
    names = sorted(files)
    return BundleResult(a.id, a.nama, a.tingkat, list(a.units), out, names, out.stat().st_size)


def kept_bundle(a: Addressee, packs: list[PackResult], result: BriefResult) -> BundleResult | None:
    """The zip an earlier run of the same report date made for ``a``, when every pack in it was
    carried over by this run (the same files: :mod:`.carry`) and it holds exactly the files this
    run would put in it, of the same sizes, for the same recipient, date and demo flag; its
    manifest keeps the time it was made. None otherwise (the bundle is written again)."""
    path = result.out_dir / FOLDER / f"{a.id}.zip"
    if any(p.berubah is not False for p in packs) or not path.is_file():
        return None
    try:
        with zipfile.ZipFile(path) as z:
            doc = json.loads(z.read("manifes.json"))
            names = sorted(z.namelist())
        sizes = {r["nama"]: r["byte"] for r in doc["berkas"]}
        want = {name: f.stat().st_size for p in packs for name, f, _ in _entries(p)}
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile):
        return None
    same = (
        doc.get("format") == FORMAT
        and doc.get("penerima") == _recipient(a)
        and doc.get("tanggal_laporan") == result.date.isoformat()
        and doc.get("data_simulasi") == result.demo
        and sizes == want
    )  # fmt: skip
    if not same:
        return None
    return BundleResult(a.id, a.nama, a.tingkat, list(a.units), path, names, path.stat().st_size)


def make_bundles(
    result: BriefResult, share: Share, made_at: dt.datetime | None = None
) -> list[BundleResult]:
    """Every recipient's bundle of the run: kept when every pack in it was carried over
    (:func:`kept_bundle`), else written; any other zip of the date is removed."""
    folder = result.out_dir / FOLDER
    made_at = made_at or dt.datetime.now(dt.UTC)
    out = []
    for a in addressees(share, result.packs):
        mine = members(a, result.packs)
        base = BundleResult(a.id, a.nama, a.tingkat, list(a.units))
        failed = [p.kode_wilayah for p in mine if p.status != "ok"]
        if not mine:
            base.reason = "tidak ada laporan untuk wilayahnya dalam proses ini"
        elif failed:
            base.reason = f"laporan gagal dibuat: {', '.join(failed)}"
        else:
            base = kept_bundle(a, mine, result) or write_bundle(a, mine, result, made_at)
        out.append(base)
    made = {b.path.name for b in out if b.path is not None}
    for old in folder.glob("*.zip") if folder.is_dir() else []:
        if old.name not in made:
            old.unlink()
    return out
