"""The index page of a report date: every pack with its status, tier, unit, link and size."""

from __future__ import annotations

import html
import json
from dataclasses import asdict
from pathlib import Path

from analysis import reference
from analysis.fmt import angka, tanggal
from analysis.packs.labels import TINGKAT_SINGKAT
from analysis.packs.render import TEMPLATE_DIR
from analysis.packs.results import BriefResult, PackResult


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


def render_index(result: BriefResult) -> str:
    """The index page: every pack with status, tier, unit, link and size (Bahasa Indonesia)."""
    css = (TEMPLATE_DIR / "pack.css").read_text(encoding="utf-8")
    rows = []
    for p in result.packs:
        target = p.html if p.status == "ok" and p.html else p.ipynb
        link = target.relative_to(result.out_dir).as_posix()
        label = (
            "buka laporan"
            if p.status == "ok"
            else "catatan eksekusi (.ipynb) — laporan gagal dibuat"
        )
        status = (
            '<span class="ok">ok</span>'
            if p.status == "ok"
            else f'<span class="gagal">gagal</span><br><small>{html.escape(p.error)}</small>'
        )
        rows.append(
            f'<tr class="{p.status}" data-kode="{html.escape(p.kode_wilayah)}">'
            f'<td><a href="{html.escape(link, quote=True)}" title="{label}">{html.escape(p.nama)}</a>'
            f"<br><small>{html.escape(p.kode_wilayah)} · "
            f"{TINGKAT_SINGKAT.get(p.tingkat, html.escape(p.tingkat))}</small></td>"
            f"<td>{status}</td>"
            f'<td class="angka">{_ukuran(p.size_bytes) if p.status == "ok" else "–"}</td>'
            f"<td>{_share_cell(result, p)}</td></tr>"
        )
    n_fail = len(result.failed)
    ringkas = (
        f"{angka(len(result.packs) - n_fail)} dari {angka(len(result.packs))} laporan berhasil dibuat"
        + (f"; <strong>{angka(n_fail)} gagal</strong>" if n_fail else "")
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
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
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
<p>{ringkas}. Lingkup: {html.escape(reference.unit_name(result.scope))} dan {result.depth} tingkat di bawahnya.</p>
<div class="tabel-gulir"><table class="tabel">
<thead><tr><th>Wilayah · tingkat</th><th>Status</th><th class="angka">Ukuran</th><th>Untuk dikirim</th></tr></thead>
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
    result.index.write_text(render_index(result), encoding="utf-8")
    records = []
    for p in result.packs:
        d = asdict(p)
        d["ipynb"] = p.ipynb.relative_to(result.out_dir).as_posix()
        d["html"] = p.html.relative_to(result.out_dir).as_posix() if p.html else None
        d["seconds"] = round(p.seconds, 3)
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
    (result.out_dir / "index.json").write_text(
        json.dumps(
            {
                "tanggal": result.date.isoformat(),
                "scope": result.scope,
                "depth": result.depth,
                "seconds": round(result.seconds, 2),
                "ok": result.ok,
                "tahap_gagal": result.stage_failures,
                "share_notes": result.share_notes,
                "packs": records,
                "bundles": bundles,
            },
            indent=1,
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    return result.index
