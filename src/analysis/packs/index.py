"""The index page of a report date: every pack with its data time, status headline, links (page,
notebook, annexes) and size; and the archive page listing every report date (``reports/arsip.html``)."""

from __future__ import annotations

import bisect
import datetime as dt
import html
import itertools
import json
import os
from dataclasses import asdict
from pathlib import Path

import polars as pl

from analysis import catalog, reference
from analysis.fmt import angka, tanggal, tanggal_waktu
from analysis.packs.kilat import index_section as kilat_section
from analysis.packs.labels import ANAK_LABEL, STATUS_LABEL, TINGKAT_SINGKAT
from analysis.packs.render import SAFE_HEAD, TEMPLATE_DIR
from analysis.packs.results import BriefResult, PackResult
from analysis.publish import GENERATIONS, write_text_atomic
from analysis.schemas import PAKET_STATUS_WILAYAH

ARCHIVE = "arsip.html"


def add_status(result: BriefResult, processed: Path) -> None:
    """Fill each pack's status and headline from ``paket__status_wilayah`` (read once)."""
    from analysis.packs.status import headline

    st = catalog.read_optional(PAKET_STATUS_WILAYAH.name, processed)
    if st is None:
        return
    by_parent = st.partition_by("kode_induk", as_dict=True, include_key=True)
    own = {r["kode_wilayah"]: r for r in st.iter_rows(named=True)}
    for p in result.packs:
        me = own.get(p.kode_wilayah)
        kids = by_parent.get((p.kode_wilayah,), pl.DataFrame())
        p.status_wilayah = me["status"] if me else ""
        p.judul_status = headline(None, kids, ANAK_LABEL.get(p.tingkat, "wilayah"))


#: The names in each tier folder, listed once per index (a glob per pack is quadratic: 553 packs
#: in folders of thousands of files took over a second).
Listing = dict[Path, list[str]]


def _annexes(p: PackResult, listing: Listing) -> list[Path]:
    """Other pages made for this pack (``<kode>.<something>.html`` beside its page)."""
    if p.html is None or not p.html.parent.is_dir():
        return []
    folder = p.html.parent
    if folder not in listing:
        listing[folder] = sorted(os.listdir(folder))
    names = listing[folder]
    start = f"{p.kode_wilayah}."
    mine = []
    # the sorted names that start with the pack's code are one run: found by bisection
    for n in itertools.takewhile(
        lambda n: n.startswith(start), names[bisect.bisect_left(names, start) :]
    ):
        if n.endswith(".html") and n != p.html.name and not n.endswith(".terkunci.html"):
            mine.append(folder / n)
    return mine


#: How the index names a page made beside a pack, by the end of its file name.
_PAGE_LABELS = ((".layar.html", "layar"), (".lampiran.html", "lampiran"))


def _page_label(f: Path) -> str:
    return next((label for end, label in _PAGE_LABELS if f.name.endswith(end)), "halaman lain")


def _links(p: PackResult, out_dir: Path, listing: Listing) -> str:
    rel = [(p.ipynb, "notebook")] + [(f, _page_label(f)) for f in _annexes(p, listing)]
    return " · ".join(
        f'<a href="{html.escape(f.relative_to(out_dir).as_posix(), quote=True)}">{label}</a>'
        for f, label in rel
        if f.exists()
    )


def _ukuran(n: int) -> str:
    """File size for readers: ``12,3 KB``."""
    if n >= 1024 * 1024:
        return f"{angka(n / 1024 / 1024, 1)} MB"
    return f"{angka(n / 1024, 1)} KB"


def _rel(result: BriefResult, path: Path | None) -> str | None:
    return path.relative_to(result.out_dir).as_posix() if path is not None else None


def _link(result: BriefResult, path: Path | None, label: str) -> str:
    href = _rel(result, path)
    return f'<a href="{html.escape(href, quote=True)}">{label}</a>' if href else ""


def _share_cell(result: BriefResult, p: PackResult) -> str:
    """The pack's locked edition and annex (links), or what failed."""
    links = [
        _link(result, p.locked, "terkunci"),
        _link(result, p.annex, "lampiran Excel"),
    ]
    out = " · ".join(x for x in links if x) or "–"
    if p.share.error:
        out += f'<br><small class="gagal">{html.escape(p.share.error)}</small>'
    return out


def _bundles(result: BriefResult) -> str:
    """The section listing each recipient's bundle (or why it was not made)."""
    if not result.bundles:
        return ""
    rows = []
    for b in result.bundles:
        made = b.path is not None
        what = _link(result, b.path, html.escape(b.path.name)) if made else html.escape(b.reason)
        rows.append(
            f'<tr data-kiriman="{html.escape(b.id)}"><td>{html.escape(b.nama)}<br><small>'
            f"{html.escape(', '.join(b.units))} · {TINGKAT_SINGKAT.get(b.tingkat, b.tingkat)}"
            f"</small></td><td>{what}</td>"
            f'<td class="angka">{_ukuran(b.size_bytes) if made else "–"}</td></tr>'
        )
    return (
        "<h2>Kiriman per penerima</h2>\n<p>Satu berkas zip per penerima, berisi tepat laporan "
        "wilayahnya, lampirannya dan daftar isi dengan SHA-256.</p>\n"
        '<div class="tabel-gulir"><table class="tabel"><thead><tr><th>Penerima</th>'
        '<th>Berkas</th><th class="angka">Ukuran</th></tr></thead><tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></div>\n"
    )


#: Whether a pack was rendered in this run (analysis.packs.carry); nothing when not known.
_CHANGED: dict[bool | None, str] = {
    True: " · <strong>diperbarui di run ini</strong>",
    False: " · tetap (masukannya tidak berubah)",
}


def _data_time(p: PackResult, result: BriefResult) -> str:
    """The data time the pack shows: its own (a carried pack keeps its run's), else the run's."""
    t = dt.datetime.fromisoformat(p.waktu_data) if p.waktu_data else result.as_of
    return tanggal_waktu(t, result.tz, result.zona) if t else "–"


def _carried_note(result: BriefResult) -> str:
    """``; 3 diperbarui di run ini, 15 tetap`` when the run carried packs over."""
    if all(p.berubah is None for p in result.packs):
        return ""
    n = len(result.rendered)
    return f"; {angka(n)} diperbarui di run ini, {angka(len(result.packs) - n)} tetap"


def _row(p: PackResult, result: BriefResult, listing: Listing) -> str:
    target = p.html if p.status == "ok" and p.html else p.ipynb
    link = target.relative_to(result.out_dir).as_posix()
    label = (
        "buka laporan" if p.status == "ok" else "catatan eksekusi (.ipynb) — laporan gagal dibuat"
    )
    if p.status != "ok":
        state = f'<span class="gagal">gagal</span><br><small>{html.escape(p.error)}</small>'
    elif p.status_wilayah:
        state = (
            f'<span class="status status-{html.escape(p.status_wilayah)}">'
            f"{html.escape(STATUS_LABEL.get(p.status_wilayah, p.status_wilayah))}</span>"
            f"<br><small>{html.escape(p.judul_status)}</small>"
        )
    else:
        state = '<span class="ok">ok</span>'
    waktu = _data_time(p, result)
    return (
        f'<tr class="{p.status}" data-kode="{html.escape(p.kode_wilayah)}">'
        f'<td><a href="{html.escape(link, quote=True)}" title="{label}">{html.escape(p.nama)}</a>'
        f"<br><small>{html.escape(p.kode_wilayah)} · "
        f"{TINGKAT_SINGKAT.get(p.tingkat, html.escape(p.tingkat))} · data per {html.escape(waktu)}"
        f"{_CHANGED.get(p.berubah, '')}</small></td><td>{state}</td>"
        f"<td><small>{_links(p, result.out_dir, listing)}</small></td>"
        f'<td class="angka">{_ukuran(p.size_bytes) if p.status == "ok" else "–"}</td>'
        f"<td>{_share_cell(result, p)}</td></tr>"
    )


def render_index(result: BriefResult, listing: Listing | None = None) -> str:
    """The index page: every pack with data time, status headline, links and size."""
    css = (TEMPLATE_DIR / "pack.css").read_text(encoding="utf-8")
    listing = {} if listing is None else listing
    rows = [_row(p, result, listing) for p in result.packs]
    n_fail = len(result.failed)
    ringkas = (
        f"{angka(len(result.packs) - n_fail)} dari {angka(len(result.packs))} laporan berhasil dibuat"
        + (f"; <strong>{angka(n_fail)} gagal</strong>" if n_fail else "")
        + _carried_note(result)
    )
    title = f"Daftar Laporan Harian Desk Pilkada · {tanggal(result.date)}"
    banner = (
        '<div class="banner-simulasi" role="alert"><strong>DATA SIMULASI</strong> — seluruh laporan '
        "di bawah ini dibuat dari skenario demo buatan, bukan data pemilihan sebenarnya.</div>\n"
        if result.demo
        else ""
    )
    for note in result.share_notes:
        banner += f'<div class="banner-gagal" role="status">{html.escape(note)}</div>\n'
    if result.stage_failures:
        items = "".join(f"<li>{html.escape(m)}</li>" for m in result.stage_failures)
        banner += (
            '<div class="banner-gagal" role="alert"><strong>Sebagian analitik gagal</strong> — '
            "bagian terkait di setiap laporan bertuliskan “data belum tersedia”:"
            f"<ul>{items}</ul></div>\n"
        )
    return f"""<!DOCTYPE html>
<html lang="id">
<head>
{SAFE_HEAD}
<title>{html.escape(title)}</title>
<style>
{css}
span.gagal {{ color: var(--merah); font-weight: 700; }}
span.ok {{ color: #1f6f3a; font-weight: 700; }}
.banner-gagal {{ border: 2px solid var(--merah); padding: .5rem .75rem; margin: .5rem 0; }}
</style>
</head>
<body>
<main class="laporan">
<p class="klasifikasi">TERBATAS</p>
{banner}<h1>{html.escape(title)}</h1>
{kilat_section(result.out_dir)}<p>{ringkas}. Lingkup: {html.escape(reference.unit_name(result.scope))} dan {result.depth} tingkat di bawahnya. <a href="../{ARCHIVE}">Laporan hari-hari sebelumnya</a>.</p>
<div class="tabel-gulir"><table class="tabel">
<thead><tr><th>Wilayah · tingkat · data per</th><th>Status</th><th>Tautan</th><th class="angka">Ukuran</th><th>Untuk dikirim</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table></div>
{_bundles(result)}</main>
</body>
</html>
"""


def write_index(result: BriefResult) -> Path:
    """Write ``index.html`` and ``index.json`` into the report date's folder."""
    result.out_dir.mkdir(parents=True, exist_ok=True)
    listing: Listing = {}
    write_text_atomic(result.index, render_index(result, listing))
    records = []
    for p in result.packs:
        d = asdict(p)
        d["ipynb"] = p.ipynb.relative_to(result.out_dir).as_posix()
        d["html"] = p.html.relative_to(result.out_dir).as_posix() if p.html else None
        d["seconds"] = round(p.seconds, 3)
        d["lampiran"] = [f.relative_to(result.out_dir).as_posix() for f in _annexes(p, listing)]
        d["share"] = {
            "locked": _rel(result, p.locked),
            "annex": _rel(result, p.annex),
            "annex_inside": p.share.annex_inside,
            "error": p.share.error,
            "annex_seconds": round(p.share.annex_seconds, 3),
            "locked_seconds": round(p.share.locked_seconds, 3),
        }
        records.append(d)
    bundles = [{**asdict(b), "path": _rel(result, b.path)} for b in result.bundles]
    write_text_atomic(
        result.out_dir / "index.json",
        json.dumps(
            {
                "tanggal": result.date.isoformat(),
                "demo": result.demo,
                "drop": result.drop,
                "scope": result.scope,
                "depth": result.depth,
                "seconds": round(result.seconds, 2),
                "waktu_data": result.as_of.isoformat() if result.as_of else None,
                "waktu_data_teks": tanggal_waktu(result.as_of, result.tz, result.zona)
                if result.as_of
                else None,
                "ok": result.ok,
                "tahap_gagal": result.stage_failures,
                "share_notes": result.share_notes,
                "packs": records,
                "bundles": bundles,
            },
            indent=1,
            ensure_ascii=False,
        ),
    )
    write_archive(result.out_dir)
    return result.index


#: The archive's mark on a report date made from the demo (every demo page carries it).
_SIMULASI = ' <strong class="tanda-simulasi">DATA SIMULASI</strong>'


def _day_row(day_dir: Path) -> tuple[str, bool] | None:
    """The archive row of one report date, and whether its reports were made from the demo."""
    try:
        d = json.loads((day_dir / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    packs = d.get("packs", [])
    fails = sum(1 for p in packs if p.get("status") != "ok")
    head = packs[0] if packs else {}
    demo = bool(d.get("demo"))  # an index made before the flag: not marked
    lead = (
        f"{html.escape(head.get('nama', ''))}: "
        f"{html.escape(STATUS_LABEL.get(head.get('status_wilayah', ''), '–'))}"
        if head
        else "–"
    )
    waktu = d.get("waktu_data_teks") or "–"
    try:
        label = tanggal(dt.date.fromisoformat(day_dir.name))
    except ValueError:
        label = day_dir.name
    row = (
        f'<tr><td><a href="{html.escape(day_dir.name, quote=True)}/index.html">'
        f"{html.escape(label)}</a></td><td>{html.escape(waktu)}</td>"
        f"<td>{lead}{_SIMULASI if demo else ''}</td>"
        f'<td class="angka">{angka(len(packs))}'
        + (f" ({angka(fails)} gagal)" if fails else "")
        + "</td></tr>"
    )
    return row, demo


def made_from(day_dir: Path) -> str | None:
    """The drop a report date's published reports were made from (its index); None: unknown."""
    try:
        d = json.loads((day_dir / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return d.get("drop") if isinstance(d, dict) else None


def reports_root(day_dir: Path) -> Path:
    """The reports folder a day's folder belongs to, also when the day is being written as a new
    generation (``reports/.<date>.generasi/<id>/<date>``, analysis.publish)."""
    parent = day_dir.parent
    if parent.parent.name.endswith(GENERATIONS):
        return parent.parent.parent
    return parent


def write_archive(day_dir: Path) -> Path:
    """``reports/arsip.html``: every report date with an index, newest first; ``day_dir`` (the day
    just written, maybe not yet published) stands for its date."""
    reports = reports_root(day_dir)
    days = {x.name: x for x in reports.iterdir() if x.is_dir() and not x.name.startswith(".")}
    days[day_dir.name] = day_dir
    made = [r for name in sorted(days, reverse=True) if (r := _day_row(days[name])) is not None]
    rows = [row for row, _ in made]
    banner = (
        '<div class="banner-simulasi" role="alert"><strong>DATA SIMULASI</strong> — tanggal '
        "bertanda DATA SIMULASI dibuat dari skenario demo buatan, bukan data pemilihan "
        "sebenarnya.</div>\n"
        if any(demo for _, demo in made)
        else ""
    )
    css = (TEMPLATE_DIR / "pack.css").read_text(encoding="utf-8")
    page = f"""<!DOCTYPE html>
<html lang="id">
<head>
{SAFE_HEAD}
<title>Arsip Laporan Harian Desk Pilkada</title>
<style>
{css}
</style>
</head>
<body>
<main class="laporan">
<p class="klasifikasi">TERBATAS</p>
{banner}<h1>Arsip Laporan Harian Desk Pilkada</h1>
<p>Setiap tanggal laporan, terbaru di atas; status adalah status wilayah teratas laporan itu.</p>
<div class="tabel-gulir"><table class="tabel">
<thead><tr><th>Tanggal laporan</th><th>Data per</th><th>Status</th><th class="angka">Laporan</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table></div>
</main>
</body>
</html>
"""
    path = reports / ARCHIVE
    write_text_atomic(path, page)
    return path
