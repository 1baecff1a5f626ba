"""Executive summary: what changed since the previous report, and a status per child unit."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.analyse import incidents
from analysis.packs.html import Html, bagian, daftar, esc, kosong, p, tabel
from analysis.packs.labels import ANAK_LABEL, STATUS_LABEL
from analysis.packs.load import Pack
from analysis.packs.sections.common import (
    child_rows,
    contests_shown,
    guarded,
    jenis_anak,
    kontestasi_label,
    local_date,
    own_rows,
    val,
)
from analysis.settings import ChildStatus


def _changes(pack: Pack) -> list[str]:
    """One sentence per contest shown in full, one for the children's contests, one on incidents."""
    items: list[str] = []
    ch = own_rows(pack.perubahan, pack)
    own = own_rows(pack.hitung, pack)
    full, sub = contests_shown(pack)
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True) if own is not None else {}
        c = ch.filter(pl.col("kode_kontestasi") == k) if ch is not None else None
        c = c.row(0, named=True) if c is not None and not c.is_empty() else {}
        txt = (
            f"{kontestasi_label(pack, k)}: hitung internal "
            f"{fmt.dari(val(r, 'tps_internal'), val(r, 'tps_diharapkan'))}"
        )
        if c:
            txt += f" (laporan sebelumnya {fmt.persen(c.get('cakupan_internal_sebelumnya'))})"
        txt += f"; KPU {fmt.persen(val(r, 'cakupan_kpu'))}"
        if c:
            txt += (
                f" (sebelumnya {fmt.persen(c.get('cakupan_kpu_sebelumnya'))}); "
                f"selisih baru {fmt.angka(c.get('n_selisih_baru'))} TPS, selesai "
                f"{fmt.angka(c.get('n_selisih_selesai'))}, revisi KPU baru {fmt.angka(c.get('n_kpu_direvisi_baru'))}"
            )
        items.append(txt)
    if sub and own is not None:
        s = own.filter(pl.col("kode_kontestasi").is_in(sub))
        items.append(
            f"{len(sub)} pemilihan {jenis_anak(pack)} di wilayah ini: hitung internal "
            f"{fmt.dari(int(s['tps_internal'].sum()), int(s['tps_diharapkan'].sum()), 'laporan TPS')}"
        )
    if pack.insiden is not None and not pack.insiden.is_empty():
        sm = incidents.incident_summary(
            pack.insiden, pack.kode_wilayah, pack.previous_as_of, pack.as_of
        )
        items.append(
            f"Insiden: {fmt.angka(sm['baru'])} laporan baru sejak laporan sebelumnya; "
            f"{fmt.angka(sm['serius_terbuka'])} insiden kritis/tinggi belum selesai"
        )
    return items


def _status_table(pack: Pack) -> list[str]:
    """The traffic light per child unit, the most serious first, with the rules in words."""
    parts: list[str] = []
    st = child_status(pack)
    order = {"kritis": 0, "perhatian": 1, "aman": 2}
    st = st.with_columns(pl.col("status").replace_strict(order).alias("_o")).sort(
        "_o", "kode_wilayah"
    )
    rows = [
        [r["nama"], _status_el(r["status"], r["kode_wilayah"]), r["alasan"]]
        for r in st.iter_rows(named=True)
    ]
    parts.append(f"<h3>Status per {esc(ANAK_LABEL[pack.tingkat])}</h3>")
    parts.append(tabel(["Wilayah", "Status", "Alasan"], rows))
    cfg = pack.settings.briefing.status
    parts.append(
        p(
            f"Kritis: ada insiden kritis belum selesai, ≥ {fmt.persen(cfg.discrepancy_share_critical, 0)} TPS "
            f"berbeda dengan KPU, atau hitung internal < {fmt.persen(cfg.coverage_critical, 0)} TPS. "
            f"Perlu perhatian: insiden tinggi belum selesai, ada TPS berbeda dengan KPU, atau hitung "
            f"internal < {fmt.persen(cfg.coverage_watch, 0)} TPS (cakupan dinilai sejak H+1).",
            "catatan",
        )
    )
    return parts


@guarded
def section_ringkasan(pack: Pack) -> Html:
    """Executive summary: what changed since the previous report, and a status per child unit."""
    parts = []
    items = _changes(pack)
    if items:
        parts.append(daftar(items))
    else:
        parts.append(kosong("Perubahan sejak laporan sebelumnya"))
    if pack.anak.is_empty():
        parts.append(kosong(f"Status per {ANAK_LABEL[pack.tingkat]}"))
    else:
        parts += _status_table(pack)
    return bagian("ringkasan", "Ringkasan eksekutif", "".join(parts))


_STATUS_SCHEMA = {
    "kode_wilayah": pl.String,
    "nama": pl.String,
    "status": pl.String,
    "alasan": pl.String,
    "cakupan_internal": pl.Float64,
    "porsi_selisih": pl.Float64,
}


def _child_counts(pack: Pack) -> pl.DataFrame:
    """Per child unit: TPS expected, counted and compared, those not matching, open serious incidents."""
    kids = pack.anak.select("kode_wilayah", "nama")
    h = child_rows(pack.hitung, pack)
    if h is not None and not h.is_empty() and "tps_diharapkan" in h.columns:
        agg = h.group_by("kode_wilayah").agg(
            pl.col("tps_diharapkan").sum(),
            pl.col("tps_internal").sum(),
            pl.col("tps_keduanya").sum(),
            pl.col("n_tidak_cocok").sum(),
        )
        kids = kids.join(agg, on="kode_wilayah", how="left")
    else:
        kids = kids.with_columns(
            pl.lit(None, pl.Int64).alias(c)
            for c in ("tps_diharapkan", "tps_internal", "tps_keduanya", "n_tidak_cocok")
        )
    inc = _open_serious_by_child(pack)
    kids = kids.join(inc, on="kode_wilayah", how="left").with_columns(
        pl.col("n_kritis_terbuka").fill_null(0), pl.col("n_tinggi_terbuka").fill_null(0)
    )
    return kids


def _judge(r: dict, cfg: ChildStatus, judge_coverage: bool) -> dict:
    """One child's status and the reasons in words (the rules of :func:`child_status`)."""
    level, why = 0, []
    cov = r["tps_internal"] / r["tps_diharapkan"] if r["tps_diharapkan"] else None
    share = r["n_tidak_cocok"] / r["tps_keduanya"] if r["tps_keduanya"] else None
    if r["n_kritis_terbuka"]:
        level = 2
        why.append(f"{r['n_kritis_terbuka']} insiden kritis belum selesai")
    if r["n_tinggi_terbuka"]:
        level = max(level, 1)
        why.append(f"{r['n_tinggi_terbuka']} insiden tinggi belum selesai")
    if share is not None and share > cfg.discrepancy_share_watch:
        level = max(level, 2 if share >= cfg.discrepancy_share_critical else 1)
        why.append(f"{fmt.angka(r['n_tidak_cocok'])} TPS berbeda dengan KPU ({fmt.persen(share)})")
    if judge_coverage and cov is not None and cov < cfg.coverage_watch:
        level = max(level, 2 if cov < cfg.coverage_critical else 1)
        why.append(f"hitung internal baru {fmt.persen(cov)} TPS")
    return {
        "kode_wilayah": r["kode_wilayah"],
        "nama": r["nama"],
        "status": ("aman", "perhatian", "kritis")[level],
        "alasan": "; ".join(why) if why else "tidak ada catatan",
        "cakupan_internal": cov,
        "porsi_selisih": share,
    }


def child_status(pack: Pack) -> pl.DataFrame:
    """Status per child unit: aman / perhatian / kritis, with the reasons in words.

    Grain: one row per child unit. Rules (thresholds in ``settings.briefing.status``): an open
    *kritis* incident or a discrepancy share at or above ``discrepancy_share_critical`` or internal
    coverage below ``coverage_critical`` → kritis; an open *tinggi* incident, a discrepancy share above
    ``discrepancy_share_watch`` or coverage below ``coverage_watch`` → perhatian. Coverage is judged
    only from the day after voting (on voting night reports are still arriving).
    """
    judge_coverage = (
        pack.as_of is not None and local_date(pack, pack.as_of) > pack.settings.election.voting_day
    )
    cfg = pack.settings.briefing.status
    rows = [_judge(r, cfg, judge_coverage) for r in _child_counts(pack).iter_rows(named=True)]
    return pl.DataFrame(rows, schema=_STATUS_SCHEMA)


def _open_serious_by_child(pack: Pack) -> pl.DataFrame:
    schema = {"kode_wilayah": pl.String, "n_kritis_terbuka": pl.Int64, "n_tinggi_terbuka": pl.Int64}
    if pack.insiden is None or pack.insiden.is_empty():
        return pl.DataFrame(schema=schema)
    df = incidents.prepare(pack.insiden, pack.kode_wilayah, pack.as_of).filter(pl.col("terbuka"))
    return df.group_by(pl.col("kode_anak").alias("kode_wilayah")).agg(
        (pl.col("tingkat_keparahan") == "kritis").sum().cast(pl.Int64).alias("n_kritis_terbuka"),
        (pl.col("tingkat_keparahan") == "tinggi").sum().cast(pl.Int64).alias("n_tinggi_terbuka"),
    )


def _status_el(status: str, kode: str) -> Html:
    return Html(
        f'<span class="status status-{esc(status)}" data-angka="status" data-nilai="{esc(status)}"'
        f' data-wilayah="{esc(kode)}">{esc(STATUS_LABEL[status])}</span>'
    )
