"""The command-centre edition of a pack: at most eight 16:9 slides for a 1920×1080 wall screen.

Built in the same kernel, from the same :class:`~analysis.packs.load.Pack`, as the pack itself
(one cell of the pack notebook, tagged ``layar``); the renderer writes it beside the pack as
``<kode>.layar.html`` (:mod:`analysis.packs.paged`). Key figures are tiles, the shares are bars
drawn in HTML (no chart renderer: cheap, sharp at any size), nothing runs or is fetched.
Every size is in ``vw``, so a 16:9 screen of any resolution shows the same slide; at 1920 px the
smallest text is :data:`MIN_FONT_PX`.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

import polars as pl

from analysis import fmt
from analysis.packs.html import Html, angka_el, esc
from analysis.packs.labels import ANAK_LABEL, CAVEAT, STATUS_LABEL
from analysis.packs.load import Pack, derived
from analysis.packs.sections.common import (
    contests_shown,
    kontestasi_label,
    own_rows,
    paslon_label,
    paslon_rows,
    val,
)

MAX_SLIDES = 8
MIN_FONT_PX = 28  # the smallest text on a 1920×1080 screen (1,46vw); the stylesheet keeps to it
MAX_CONTEST_SLIDES = 3
MAX_LIST = 6  # lines of a list on one slide
MAX_ACTIONS = 4  # follow-up lines run to three lines each: four fill a slide
# "Yang perlu diputuskan hari ini" on the first slide, under its tiles: three under one contest's
# tiles; two when more contests make the tiles taller (their labels wrap)
OVERVIEW_DECISIONS = (3, 2)


def _tile(label: str, value: Html | str, note: str = "", kelas: str = "") -> str:
    sub = f'<p class="ket">{esc(note)}</p>' if note else ""
    return (
        f'<div class="ubin {esc(kelas)}"><p class="label">{esc(label)}</p>'
        f'<p class="nilai">{esc(value)}</p>{sub}</div>'
    )


def _slide(pack: Pack, judul: str, isi: str) -> str:
    tanda = "TERBATAS · DATA SIMULASI" if pack.run.demo else "TERBATAS"
    return (
        f'<section class="slide"><header><span class="tanda">{esc(tanda)}</span>'
        f'<span class="unit">{esc(pack.nama)} · data per {esc(pack.waktu(pack.as_of))}</span>'
        f"</header><h2>{esc(judul)}</h2>{isi}</section>"
    )


def _leader(pack: Pack, k: str) -> tuple[str, float | None]:
    s = paslon_rows(pack, k)
    total = s["suara_internal"].fill_null(0).sum() if not s.is_empty() else 0
    if not total:
        return fmt.KOSONG, None
    top = s.sort("suara_internal", descending=True, nulls_last=True).row(0, named=True)
    return paslon_label(top["nomor_urut"], top["nama_paslon"], top["kolom_kosong"]), (
        top["suara_internal"] / total
    )


def _contest_row(pack: Pack, k: str) -> dict:
    own = own_rows(pack.hitung, pack)
    r = own.filter(pl.col("kode_kontestasi") == k) if own is not None else None
    return r.row(0, named=True) if r is not None and not r.is_empty() else {}


def _incidents(pack: Pack) -> dict[str, int]:
    """The incident headline numbers (computed once per pack: two slides show them)."""
    if pack.insiden is None or pack.insiden.is_empty():
        return {}
    from analysis.analyse import incidents

    return derived(
        pack.insiden,
        f"ringkasan-{pack.kode_wilayah}",
        lambda d: incidents.incident_summary(d, pack.kode_wilayah, pack.previous_as_of, pack.as_of),
    )


def _overview(pack: Pack, full: list[str]) -> str:
    tiles = []
    for k in full:
        nama, share = _leader(pack, k)
        r = _contest_row(pack, k)
        tiles.append(
            _tile(
                kontestasi_label(pack, k),
                angka_el("layar_unggul_persen", fmt.persen(share, 1), share, kontestasi=k),
                f"{nama} unggul sementara · {fmt.persen(val(r, 'cakupan_internal'), 1)} TPS masuk",
                "lebar",
            )
        )
    sm = _incidents(pack)
    if sm:
        serius = sm["serius_terbuka"]
        tiles.append(
            _tile("Insiden kritis/tinggi terbuka", fmt.angka(serius), "", "merah" if serius else "")
        )
    n = OVERVIEW_DECISIONS[0] if len(full) <= 1 else OVERVIEW_DECISIONS[1]
    return (
        f'<div class="ubin-ubin">{"".join(tiles)}</div><p class="caveat">{esc(CAVEAT)}.</p>'
        f"{_decisions(pack, n)}"
    )


def _decisions(pack: Pack, n: int) -> str:
    """The first screen's "Yang perlu diputuskan hari ini" (its first ``n``), the pack's words."""
    from analysis.packs.sections.answer import first_screen

    said = first_screen(pack).keputusan
    lines = "".join(f"<li>{esc(x)}</li>" for x in said[:n])
    part = (
        f" ({fmt.angka(n)} dari {fmt.angka(len(said))}; semua di laporan)" if len(said) > n else ""
    )
    body = (
        f'<ul class="daftar-besar ringkas">{lines}</ul>'
        if said
        else '<p class="ket">Tidak ada keputusan mendesak; pantau daftar tindak lanjut.</p>'
    )
    return f'<h3 class="sub">Yang perlu diputuskan hari ini{esc(part)}</h3>{body}'


def _bars(pack: Pack, k: str) -> str:
    s = paslon_rows(pack, k)
    total = s["suara_internal"].fill_null(0).sum() if not s.is_empty() else 0
    rows = []
    for x in s.iter_rows(named=True):
        share = (x["suara_internal"] or 0) / total if total else 0.0
        nama = paslon_label(x["nomor_urut"], x["nama_paslon"], x["kolom_kosong"])
        rows.append(
            f'<div class="batang"><span class="nama">{esc(nama)}</span>'
            f'<span class="jalur"><span class="isi" style="width:{share * 100:.1f}%"></span></span>'
            f'<span class="persen">{esc(fmt.persen(share, 1))}</span></div>'
        )
    return f'<div class="batang-batang">{"".join(rows)}</div>'


def _contest(pack: Pack, k: str) -> str:
    r = _contest_row(pack, k)
    tiles = [
        _tile("Hitung internal", fmt.persen(val(r, "cakupan_internal"), 1), "TPS masuk"),
        _tile("KPU (Sirekap)", fmt.persen(val(r, "cakupan_kpu"), 1), "TPS masuk"),
        _tile("TPS berbeda dengan KPU", fmt.angka(val(r, "n_selisih")), ""),
    ]
    return (
        f'<div class="dua"><div>{_bars(pack, k)}<p class="caveat">Hitung internal, bukan hasil '
        f'resmi.</p></div><div class="ubin-kolom">{"".join(tiles)}</div></div>'
    )


_STATUS_ORDER = ("kritis", "perhatian", "aman")


def _children(pack: Pack) -> str:
    from analysis.packs.sections.summary import child_status

    rows = list(pack.once("status_anak", lambda: child_status(pack)).iter_rows(named=True))
    counts = {s: sum(r["status"] == s for r in rows) for s in _STATUS_ORDER}
    tiles = "".join(
        _tile(STATUS_LABEL.get(s, s), fmt.angka(n), "", f"status-{s}" if n else "")
        for s, n in counts.items()
    )
    bad = sorted(
        (r for r in rows if r["status"] in _STATUS_ORDER[:2]),
        key=lambda r: (_STATUS_ORDER.index(r["status"]), r["kode_wilayah"]),
    )
    lines = "".join(
        f'<li><span class="status status-{esc(r["status"])}">'
        f"{esc(STATUS_LABEL.get(r['status'], r['status']))}</span> {esc(r['nama'])}: "
        f"{esc(r['alasan'])}</li>"
        for r in bad[:MAX_LIST]
    )
    more = f"<p class='ket'>… dan {len(bad) - MAX_LIST} lainnya</p>" if len(bad) > MAX_LIST else ""
    return f'<div class="ubin-ubin">{tiles}</div><ul class="daftar-besar">{lines}</ul>{more}'


def _serious_open(pack: Pack) -> str:
    """The open kritis/tinggi incidents, most severe and oldest first, one line each."""
    from analysis.analyse import incidents

    df = incidents.prepare(pack.insiden, pack.kode_wilayah, pack.as_of).filter(
        pl.col("terbuka") & pl.col("tingkat_keparahan").is_in(["kritis", "tinggi"])
    )
    df = df.sort(pl.col("tingkat_keparahan") != "kritis", "waktu_laporan")
    return "".join(
        f"<li><strong>{esc(r.get('keparahan_label'))}</strong> · {esc(r.get('kategori_label'))} — "
        f"{esc(r.get('lokasi') or r.get('kode_lokasi'))}</li>"
        for r in df.head(MAX_LIST).iter_rows(named=True)
    )


def _incident_slide(pack: Pack, sm: dict[str, int]) -> str:
    tiles = [
        _tile(
            "Kritis/tinggi terbuka",
            fmt.angka(sm["serius_terbuka"]),
            "",
            "merah" if sm["serius_terbuka"] else "",
        ),
        _tile("Terbuka", fmt.angka(sm["terbuka"])),
        _tile("Baru sejak laporan lalu", fmt.angka(sm["baru"])),
        _tile("Belum diverifikasi", fmt.angka(sm["belum_diverifikasi"])),
    ]
    lines = _serious_open(pack)
    listed = f'<ul class="daftar-besar">{lines}</ul>' if lines else ""
    return f'<div class="ubin-ubin">{"".join(tiles)}</div>{listed}'


def _actions(pack: Pack) -> str | None:
    if pack.tindak_lanjut is None:
        return None
    from analysis.packs.sections.followup import followup_rows

    rows = [r for r in followup_rows(pack).iter_rows(named=True) if r["status"] == "terbuka"]
    if not rows:
        return None
    lines = "".join(_action_line(pack, r) for r in rows[:MAX_ACTIONS])
    return (
        f'<p class="ket">{fmt.angka(len(rows))} masalah terbuka; yang paling mendesak:</p>'
        f'<ol class="daftar-besar tiga-baris">{lines}</ol>'
    )


def _action_line(pack: Pack, r: dict) -> str:
    due = r.get("jatuh_tempo")
    late = " (lewat tenggat)" if r.get("terlambat") else ""  # the follow-up's own rule
    tenggat = f"; tenggat {esc(fmt.waktu_singkat(due, pack.tz, pack.zona))}{late}" if due else ""
    # who, where and by when first: a long action is cut at three lines, never its owner
    return (
        f"<li><strong>{esc(r.get('instansi'))}, "
        f"{esc(r.get('nama_wilayah') or r.get('kode_wilayah'))}{tenggat}</strong> — "
        f"{esc(r.get('tindakan'))}</li>"
    )


def _guarded(pack: Pack, judul: str, build: Callable[[], str | None]) -> str | None:
    """One slide; a slide that fails shows a box saying so instead of taking the pack down."""
    try:
        isi = build()
    except Exception as exc:  # noqa: BLE001 — the pack and the other slides must still be made
        traceback.print_exc(file=sys.stderr)
        isi = (
            f'<p class="galat" data-galat="{esc(type(exc).__name__)}">Bagian ini gagal dibuat '
            f"({esc(type(exc).__name__)}); lihat laporan lengkap.</p>"
        )
    return _slide(pack, judul, isi) if isi else None


def slides(pack: Pack) -> Html:
    """The command-centre edition's slides (at most :data:`MAX_SLIDES`), safe HTML."""
    full, _ = contests_shown(pack)
    plan: list[tuple[str, Callable[[], str | None]]] = [
        # the date and data time are in every slide's top line: the title keeps to one line
        (f"Desk Pilkada {pack.nama}", lambda: _overview(pack, full))
    ]
    for k in full[:MAX_CONTEST_SLIDES]:
        plan.append((kontestasi_label(pack, k), lambda k=k: _contest(pack, k)))
    if not pack.anak.is_empty():
        plan.append((f"Status per {ANAK_LABEL[pack.tingkat]}", lambda: _children(pack)))
    plan.append(
        ("Insiden", lambda: _incident_slide(pack, sm) if (sm := _incidents(pack)) else None)
    )
    plan.append(("Yang perlu ditindaklanjuti", lambda: _actions(pack)))
    out = [s for judul, build in plan if (s := _guarded(pack, judul, build))]
    return Html(f'<div class="layar">{"".join(out[:MAX_SLIDES])}</div>')
