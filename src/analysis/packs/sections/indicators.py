"""Key indicators against targets: turnout and readiness (logistik, KTP-el, NPHD)."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.domain import regions
from analysis.packs import charts
from analysis.packs.html import Html, angka_el, bagian, daftar, esc, grafik, kosong, p, tabel
from analysis.packs.labels import ANAK_LABEL, CAVEAT, INDIKATOR_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import (
    child_rows,
    contests_shown,
    guarded,
    has_values,
    kontestasi_label,
    main_rows,
    own_rows,
    val,
)


def _turnout_own(pack: Pack, own: pl.DataFrame) -> list[str]:
    """Turnout of each contest shown in full, against its target, with DPT / DPTb / DPK voters."""
    e = pack.settings.election
    parts: list[str] = []
    target = (
        e.turnout_target(pack.kode_wilayah)
        if pack.kode_wilayah != regions.NATIONAL
        else e.turnout_target_default
    )
    full, sub = contests_shown(pack)
    rows, jenis = [], []
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
        t = (
            e.turnout_target(regions.contest_region(k))
            if regions.contest_region(k) != regions.NATIONAL
            else target
        )
        v = r["partisipasi_internal"]
        rows.append(
            [
                kontestasi_label(pack, k),
                angka_el("partisipasi", fmt.persen(v), v, wilayah=pack.kode_wilayah, kontestasi=k),
                angka_el("target_partisipasi", fmt.persen(t), t, kontestasi=k),
                fmt.selisih_poin(v - t) if v is not None else fmt.KOSONG,
                fmt.dari(val(r, "tps_internal"), val(r, "tps_diharapkan")),
            ]
        )
        if r.get("pengguna_dptb_internal") is not None:
            jenis.append(
                f"{kontestasi_label(pack, k)}: pengguna hak pilih DPT "
                f"{fmt.angka(r.get('pengguna_dpt_internal'))} · DPTb "
                f"{fmt.angka(r.get('pengguna_dptb_internal'))} · DPK "
                f"{fmt.angka(r.get('pengguna_dpk_internal'))} (dari DPT "
                f"{fmt.angka(r.get('dpt_internal'))} pada TPS yang sudah masuk)"
            )
    if rows:
        parts.append(
            tabel(
                ["Pemilihan", "Partisipasi", "Target", "Selisih", "Dasar (TPS masuk)"],
                rows,
                kanan=(1, 2, 3),
            )
        )
    if jenis:
        parts.append(daftar(jenis))
    parts.append(
        p(
            "Partisipasi = pengguna hak pilih ÷ DPT pada TPS yang sudah masuk hitung internal "
            f"({CAVEAT}).",
            "catatan",
        )
    )
    return parts


def _turnout_per_child(pack: Pack) -> list[str]:
    """Turnout per child unit (its widest contest) against its target, as a table and a chart."""
    e = pack.settings.election
    parts: list[str] = []
    kids = child_rows(pack.hitung, pack)
    if kids is not None and not kids.is_empty():
        m = main_rows(kids).join(
            pack.anak.select("kode_wilayah", "nama"), on="kode_wilayah", how="left"
        )
        m = m.with_columns(
            pl.col("kode_wilayah")
            .map_elements(e.turnout_target, return_dtype=pl.Float64)
            .alias("target")
        ).sort("kode_wilayah")
        rows = [
            [
                r["nama"],
                kontestasi_label(pack, r["kode_kontestasi"]),
                angka_el(
                    "partisipasi",
                    fmt.persen(r["partisipasi_internal"]),
                    r["partisipasi_internal"],
                    wilayah=r["kode_wilayah"],
                    kontestasi=r["kode_kontestasi"],
                ),
                fmt.persen(r["target"]),
                fmt.selisih_poin(r["partisipasi_internal"] - r["target"])
                if r["partisipasi_internal"] is not None
                else fmt.KOSONG,
            ]
            for r in m.iter_rows(named=True)
        ]
        parts.append(f"<h4>Per {esc(ANAK_LABEL[pack.tingkat])}</h4>")
        table = tabel(
            ["Wilayah", "Pemilihan", "Partisipasi", "Target", "Selisih"], rows, kanan=(2, 3, 4)
        )
        chart_df = m.select(
            pl.col("nama").str.replace(r"^Kabupaten ", "Kab. "),
            pl.col("partisipasi_internal").alias("partisipasi"),
            "target",
        )
        if not chart_df["partisipasi"].drop_nulls().len():
            parts.append(table)
        else:
            # a print keeps the chart (every unit on a few centimetres), the screen both
            parts.append(f'<div class="layar-saja">{table}</div>')
            parts.append(
                p("Angka per wilayah: versi layar; grafik memuat semuanya.", "catatan hanya-cetak")
            )
            parts.append(
                grafik(
                    charts.turnout_vs_target(chart_df.head(charts.MAX_ROWS)),
                    f"Partisipasi per {ANAK_LABEL[pack.tingkat]} (batang) dan target (garis merah)",
                )
            )
    return parts


@guarded
def section_indikator(pack: Pack) -> Html:
    """Key indicators against targets: turnout per contest and per child, readiness (logistik, KTP-el, NPHD)."""
    parts = [Html("<h3>Partisipasi pemilih</h3>")]
    own = own_rows(pack.hitung, pack)
    if own is None or own.is_empty() or not has_values(own, "partisipasi_internal"):
        parts.append(kosong("Partisipasi pemilih"))
    else:
        parts += _turnout_own(pack, own)
        parts += _turnout_per_child(pack)
    parts.append(Html("<h3>Kesiapan (logistik, KTP-el, NPHD)</h3>"))
    parts.append(_readiness(pack))
    return bagian("indikator", "Indikator utama terhadap target", "".join(parts))


def readiness_summary(pack: Pack) -> pl.DataFrame | None:
    """Latest readiness per indicator for the unit (and per child), as of the report date.

    Grain: one row per unit (the pack's unit and each child with data) × indicator: ``capaian``
    (Σ pembilang ÷ Σ penyebut when both are known, else the mean of ``nilai``), ``target``, ``tanggal``.
    """
    k = pack.kesiapan
    if k is None or k.is_empty():
        return None
    k = k.filter(pl.col("tanggal") <= pack.tanggal)
    if k.is_empty():
        return None
    latest = k.sort("tanggal").unique(subset=["kode_wilayah", "indikator"], keep="last")
    latest = latest.with_columns(
        regions.child_expr("kode_wilayah", pack.kode_wilayah).alias("kode_anak")
    )

    def agg(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
        return df.group_by(by).agg(
            pl.when(
                pl.col("pembilang").is_not_null().all()
                & pl.col("penyebut").is_not_null().all()
                & (pl.col("penyebut").sum() > 0)
            )
            .then(pl.col("pembilang").sum() / pl.col("penyebut").sum())
            .otherwise(pl.col("nilai").mean())
            .alias("capaian"),
            pl.col("tanggal").max(),
            pl.len().alias("n_laporan"),
        )

    targets = pack.settings.election.readiness_targets.model_dump()
    unit = agg(latest, ["indikator"]).with_columns(pl.lit(pack.kode_wilayah).alias("kode_wilayah"))
    kids = agg(
        latest.filter(pl.col("kode_anak") != pack.kode_wilayah), ["kode_anak", "indikator"]
    ).rename({"kode_anak": "kode_wilayah"})
    out = pl.concat([unit, kids], how="diagonal_relaxed")
    return out.with_columns(
        pl.col("indikator")
        .replace_strict(targets, default=None, return_dtype=pl.Float64)
        .alias("target")
    ).sort("kode_wilayah", "indikator")


def _readiness(pack: Pack) -> Html:
    rs = readiness_summary(pack)
    if rs is None:
        return kosong("Kesiapan")
    own = rs.filter(pl.col("kode_wilayah") == pack.kode_wilayah)
    rows = []
    for r in own.iter_rows(named=True):
        ok = (
            r["target"] is not None
            and r["capaian"] is not None
            and r["capaian"] >= r["target"] - 1e-9
        )
        rows.append(
            [
                INDIKATOR_LABEL.get(r["indikator"], r["indikator"]),
                angka_el(
                    "kesiapan",
                    fmt.persen(r["capaian"]),
                    r["capaian"],
                    indikator=r["indikator"],
                    wilayah=pack.kode_wilayah,
                ),
                fmt.persen(r["target"]),
                "tercapai" if ok else "belum tercapai",
                fmt.tanggal_pendek(r["tanggal"]),
            ]
        )
    out = [tabel(["Indikator", "Capaian", "Target", "Keadaan", "Data per"], rows, kanan=(1, 2))]
    kids = rs.filter(pl.col("kode_wilayah") != pack.kode_wilayah)
    if not kids.is_empty():
        wide = kids.pivot(on="indikator", index="kode_wilayah", values="capaian").sort(
            "kode_wilayah"
        )
        inds = [c for c in INDIKATOR_LABEL if c in wide.columns]
        rows = [
            [pack.nama_wilayah.get(r["kode_wilayah"], r["kode_wilayah"])]
            + [fmt.persen(r[c]) for c in inds]
            for r in wide.iter_rows(named=True)
        ]
        out.append(f"<h4>Per {esc(ANAK_LABEL[pack.tingkat])}</h4>")
        out.append(
            tabel(
                ["Wilayah"] + [INDIKATOR_LABEL[c] for c in inds],
                rows,
                kanan=tuple(range(1, len(inds) + 1)),
            )
        )
    return Html("".join(out))
