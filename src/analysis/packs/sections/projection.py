"""Projection and decidedness: per contest, who leads, the projected shares with their margin of
error, how much is counted, and whether the order can still change — the answer leadership asks
for first (``docs/domain.md`` §11). Always labelled a projection, never a result.

Self-contained: it reads only the pack's ``proyeksi*``, ``kepastian`` and ``sampel`` frames (and
the paslon names), so the page layout may place it anywhere, the first screen included.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from analysis import fmt
from analysis.domain import regions
from analysis.packs import charts
from analysis.packs.html import Html, angka_el, bagian, esc, grafik, kosong, p, tabel
from analysis.packs.labels import CAVEAT_PROYEKSI, METODE_LABEL, SUMBER_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import (
    contests_shown,
    guarded,
    jenis_anak,
    kontestasi_label,
    paslon_label,
    paslon_rows,
)
from analysis.schemas import PASLON, REKON_PROYEKSI_PASLON

#: Methods in the order a pack shows them (the KPU stratified projection stays in the data).
SHOWN = ("strata_internal", "sampel")
#: What the chart over the night draws.
CHARTED = ("strata_internal", "sampel")


def _rows(df: pl.DataFrame | None, k: str, **eq: object) -> pl.DataFrame:
    """Rows of ``df`` for contest ``k`` (and the given column values)."""
    if df is None:
        return pl.DataFrame()
    cond = pl.col("kode_kontestasi") == k
    for col, v in eq.items():
        cond = cond & (pl.col(col) == v)
    return df.filter(cond)


def _one(df: pl.DataFrame | None, k: str, **eq: object) -> dict:
    r = _rows(df, k, **eq)
    return r.row(0, named=True) if not r.is_empty() else {}


def _names(pack: Pack, k: str) -> dict[int, str]:
    """nomor urut → the paslon's label, from the pack's own rows of the contest."""
    s = paslon_rows(pack, k)
    return {
        r["nomor_urut"]: paslon_label(r["nomor_urut"], r["nama_paslon"], r["kolom_kosong"])
        for r in s.iter_rows(named=True)
    }


def _share(r: dict, k: str, metode: str) -> Html | str:
    """``54,21% ± 0,84`` (the margin in percentage points), or ``belum`` when withheld."""
    if r.get("persen_proyeksi") is None:
        return "belum"
    attrs = {"kontestasi": k, "metode": metode, "paslon": r["nomor_urut"]}
    return Html(
        angka_el("proyeksi_persen", fmt.persen(r["persen_proyeksi"]), r["persen_proyeksi"], **attrs)
        + " ± "
        + angka_el("proyeksi_galat", fmt.angka(100 * r["galat"], 2), r["galat"], **attrs)
    )


def _leader_line(pack: Pack, k: str, names: dict[int, str]) -> Html:
    """Who leads the internal count, with its share counted and how much is in."""
    d = _one(pack.kepastian, k, sumber="internal")
    m = _one(pack.proyeksi, k, metode="strata_internal")
    if not d.get("ada_hitungan"):
        return p("Hitung internal belum memuat pemilihan ini.")
    lead = _one(pack.proyeksi_paslon, k, metode="strata_internal", nomor_urut=d["unggul"])
    share = lead.get("persen_terhitung")
    counted = fmt.dari(m.get("tps_masuk"), m.get("tps_populasi"))
    return Html(
        f"<p>Unggul sementara menurut hitung internal: <strong>{esc(names.get(d['unggul']))}"
        "</strong> dengan "
        + angka_el("persen_terhitung", fmt.persen(share), share, kontestasi=k, paslon=d["unggul"])
        + f" suara sah yang sudah terhitung; TPS masuk {esc(counted)}.</p>"
    )


def _sentence(text: str) -> str:
    """A clause as a sentence: its first letter capitalised."""
    return text[:1].upper() + text[1:]


def _decided(pack: Pack, k: str) -> Html:
    """The two questions, for the internal count and for KPU's, in plain sentences."""
    items = []
    for sumber in ("internal", "kpu"):
        d = _one(pack.kepastian, k, sumber=sumber)
        if not d:
            continue
        pasti = angka_el(
            "urutan_pasti",
            "urutan pasti" if d["urutan_pasti"] else "belum pasti",
            bool(d["urutan_pasti"]),
            kontestasi=k,
            sumber=sumber,
        )
        selisih = angka_el(
            "selisih_bisa_mengubah",
            _sentence(d["kalimat_selisih"]),
            d["selisih_bisa_mengubah"],
            kontestasi=k,
            sumber=sumber,
        )
        items.append(
            f"<li><strong>{esc(SUMBER_LABEL[sumber])}</strong> ({pasti}): "
            f"{esc(_sentence(d['kalimat_sisa']))}. {selisih}.</li>"
        )
    return Html("<ul class='kepastian'>" + "".join(items) + "</ul>")


def _table(pack: Pack, k: str, names: dict[int, str]) -> Html:
    """Per paslon: share counted, each projection ± margin, KPU's current share."""
    base = _rows(pack.proyeksi_paslon, k, metode="strata_internal").sort("nomor_urut")
    by = {m: _rows(pack.proyeksi_paslon, k, metode=m) for m in SHOWN}
    sample = by["sampel"]
    rows = []
    for r in base.iter_rows(named=True):
        nu = r["nomor_urut"]
        cells: list[object] = [
            names.get(nu, paslon_label(nu, None)),
            fmt.persen(r["persen_terhitung"]),
        ]
        for m in SHOWN:
            hit = by[m].filter(pl.col("nomor_urut") == nu)
            cells.append(_share(hit.row(0, named=True), k, m) if not hit.is_empty() else "—")
        kpu = sample.filter(pl.col("nomor_urut") == nu)
        cells.append(fmt.persen(kpu["persen_kpu"][0]) if not kpu.is_empty() else fmt.KOSONG)
        rows.append(cells)
    head = [
        "Pasangan calon",
        "Terhitung (internal)",
        *[f"{METODE_LABEL[m]} ± galat" for m in SHOWN],
        "KPU sementara",
    ]
    return Html(
        tabel(head, rows, kanan=(1, 2, 3, 4))
        + p("Galat: setengah lebar selang 95%, dalam poin persen.", "catatan")
    )


def _notes(pack: Pack, k: str) -> list[str]:
    """What each projection was made from, or why it is withheld; the KPU comparison."""
    out = []
    for m in SHOWN:
        r = _one(pack.proyeksi, k, metode=m)
        if r:
            out.append(p(f"{METODE_LABEL[m]}: {r['alasan']}.", "catatan"))
    s = _one(pack.proyeksi, k, metode="sampel")
    if s.get("kpu_dibandingkan"):
        said = "berada dalam" if s["kpu_dalam_selang"] else "berada di luar"
        out.append(
            Html(
                "<p class='catatan'>Perbandingan dengan KPU (cakupan "
                f"{esc(fmt.persen(s['cakupan_kpu'], 0))}): persentase KPU "
                + angka_el("kpu_dalam_selang", said, bool(s["kpu_dalam_selang"]), kontestasi=k)
                + " selang proyeksi sampel"
                + ("" if s["kpu_dalam_selang"] else " — periksa")
                + ".</p>"
            )
        )
    elif s.get("ada_proyeksi"):
        cfg = pack.settings.proyeksi
        out.append(
            p(
                f"Perbandingan dengan KPU dibuat setelah KPU mencakup "
                f"{fmt.persen(cfg.kpu_check_coverage, 0)} TPS; kini "
                f"{fmt.persen(s.get('cakupan_kpu'), 0)}.",
                "catatan",
            )
        )
    return out


def night_rows(series: pl.DataFrame, k: str, names: dict[int, str]) -> pl.DataFrame:
    """Contest ``k``'s projections in the kept runs (``paket__proyeksi_waktu_*`` or
    :func:`analysis.reconcile.history.kept_series`) that spoke, with paslon and method labels."""
    return (
        series.filter(
            (pl.col("kode_kontestasi") == k)
            & pl.col("metode").is_in(CHARTED)
            & pl.col("persen_proyeksi").is_not_null()
        )
        .select(
            "waktu",
            pl.col("metode").replace_strict(METODE_LABEL, return_dtype=pl.String),
            pl.col("nomor_urut")
            .replace_strict(names, default=None, return_dtype=pl.String)
            .fill_null(pl.col("nomor_urut").cast(pl.String))
            .alias("paslon"),
            "persen_proyeksi",
            "galat",
            "persen_bawah",
            "persen_atas",
        )
        .sort("waktu", "metode", "paslon")
    )


def chart_frame(rows: pl.DataFrame, tz: str) -> pl.DataFrame:
    """:func:`night_rows` as :func:`analysis.packs.charts.projection_over_night` draws them."""
    return rows.select(
        pl.col("waktu").dt.convert_time_zone(tz).dt.replace_time_zone(None),
        "paslon",
        "metode",
        pl.col("persen_proyeksi").alias("persen"),
        pl.col("persen_bawah").alias("bawah"),
        pl.col("persen_atas").alias("atas"),
    )


def night_tables(
    processed: Path, unit: str, until: dt.datetime | None = None
) -> dict[str, pl.DataFrame]:
    """For the analyst notebook: per contest of ``unit``, its projections over the night from the
    kept reconcile runs (:func:`night_rows`; :func:`chart_frame` for the chart)."""
    from analysis import catalog
    from analysis.reconcile.history import kept_series

    series = kept_series(processed, REKON_PROYEKSI_PASLON, until)
    paslon = catalog.read(PASLON.name, root=processed)
    out = {}
    for k in sorted(series["kode_kontestasi"].unique().to_list()):
        if regions.contest_region(k) != unit:
            continue
        own = paslon.filter(pl.col("kode_kontestasi") == k)
        names = {
            r["nomor_urut"]: paslon_label(r["nomor_urut"], r["nama_paslon"], r["kolom_kosong"])
            for r in own.iter_rows(named=True)
        }
        out[k] = night_rows(series, k, names)
    return out


def _chart(pack: Pack, k: str, names: dict[int, str]) -> Html | None:
    """Projected share ± margin over the night, from the kept reconcile runs (once at least
    ``proyeksi.chart_min_runs`` of them have a projection)."""
    if pack.proyeksi_waktu is None:
        return None
    g = chart_frame(night_rows(pack.proyeksi_waktu, k, names), pack.tz)
    if g["waktu"].n_unique() < pack.settings.proyeksi.chart_min_runs:
        return None
    return grafik(
        charts.projection_over_night(g.tail(charts.MAX_ROWS)),
        f"Proyeksi ± galat sepanjang malam — {kontestasi_label(pack, k)} (waktu {pack.zona}; "
        "garis tegak: selang 95%)",
    )


def _contest(pack: Pack, k: str, chart: bool) -> list[str]:
    """One contest in full."""
    names = _names(pack, k)
    parts = [f"<h3>{esc(kontestasi_label(pack, k))}</h3>", _leader_line(pack, k, names)]
    parts += [_decided(pack, k), _table(pack, k, names), *_notes(pack, k)]
    ch = _chart(pack, k, names) if chart else None
    if ch:
        parts.append(ch)
    return parts


def _leading(pack: Pack, k: str, metode: str) -> str:
    """The projection's leader of a contest: ``2: 54,2% ± 0,8``, or ``belum``."""
    r = _rows(pack.proyeksi_paslon, k, metode=metode).drop_nulls("persen_proyeksi")
    if r.is_empty():
        return "belum"
    top = r.sort("persen_proyeksi", descending=True).row(0, named=True)
    return (
        f"{paslon_label(top['nomor_urut'], None)}: {fmt.persen(top['persen_proyeksi'], 1)} "
        f"± {fmt.angka(100 * top['galat'], 1)}"
    )


def _sub_table(pack: Pack, sub: list[str]) -> list[str]:
    """The children's contests, one line each."""
    rows = []
    for k in sub:
        d = _one(pack.kepastian, k, sumber="internal")
        rows.append(
            [
                kontestasi_label(pack, k),
                paslon_label(d["unggul"], None) if d.get("ada_hitungan") else fmt.KOSONG,
                *[_leading(pack, k, m) for m in SHOWN],
                angka_el(
                    "urutan_pasti",
                    "pasti" if d.get("urutan_pasti") else "belum pasti",
                    bool(d.get("urutan_pasti")),
                    kontestasi=k,
                    sumber="internal",
                ),
                angka_el(
                    "selisih_bisa_mengubah",
                    "bisa" if d.get("selisih_bisa_mengubah") else "tidak",
                    d.get("selisih_bisa_mengubah"),
                    kontestasi=k,
                    sumber="internal",
                ),
            ]
        )
    head = [
        "Pemilihan",
        "Unggul (internal)",
        *[METODE_LABEL[m] for m in SHOWN],
        "Urutan (internal)",
        "Selisih dgn. KPU bisa mengubah",
    ]
    return [
        Html(f"<h3>Pemilihan {esc(jenis_anak(pack))} di {esc(pack.nama)}</h3>"),
        tabel(head, rows, kanan=(2, 3)),
        p("Proyeksi: paslon teratas (nomor urut), persentase ± galat (poin persen).", "catatan"),
    ]


def _sample_line(pack: Pack) -> Html:
    """The PVT sample's hash, so the sample cannot be changed after the fact unnoticed."""
    if pack.sampel is None or pack.sampel.is_empty():
        return p("Tidak ada sampel PVT pada data ini.", "catatan")
    r = pack.sampel.row(0, named=True)
    state = "sah" if r["sah"] else "TIDAK SAH"
    drawn = fmt.tanggal(r["dibuat"]) if r.get("dibuat") else "tanggal tidak tercatat"
    return Html(
        f"<p class='catatan'>Sampel PVT: {esc(fmt.angka(r['ukuran']))} TPS, diundi {esc(drawn)}; "
        "sha256 <code>"
        + angka_el("sampel_sha256", r["sha256"], r["sha256"])
        + f"</code> — {esc(state)}: {esc(r['pesan'])}.</p>"
    )


@guarded
def section_proyeksi(pack: Pack) -> Html:
    """Projections with their margin and the decidedness of each contest, always as a projection."""
    parts = [Html(f'<p class="caveat"><strong>Catatan:</strong> {esc(CAVEAT_PROYEKSI)}.</p>')]
    full, sub = contests_shown(pack)
    if pack.proyeksi is None or pack.kepastian is None or not (full or sub):
        parts.append(kosong("Proyeksi"))
        return bagian("proyeksi", "Proyeksi dan kepastian urutan", "".join(parts))
    for k in full:  # one chart per pack: the contest closest to the unit
        parts += _contest(pack, k, chart=k == full[-1])
    if sub:
        parts += _sub_table(pack, sub)
    parts.append(_sample_line(pack))
    return bagian("proyeksi", "Proyeksi dan kepastian urutan", "".join(parts))
