"""The official recapitulation (analysis.reconcile.rekap): versions in force, the three sources,
progress against KPU's schedule, revisions; and the demo's injected recap faults found end to end."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest

from analysis import catalog, daily, demo, fmt, read
from analysis.demo.dhasil import FAULT_KINDS
from analysis.domain import regions
from analysis.packs import execute
from analysis.packs.html import figures
from analysis.reconcile import rekap
from analysis.schemas import (
    OFFICIAL_REGION,
    RECON_AGREGAT,
    REKAP_PASLON,
    REKAP_PROGRES,
    REKAP_REVISI,
    REKAP_WILAYAH,
)
from analysis.settings import RecapStep, Rekapitulasi, load_settings

WIB = dt.timezone(dt.timedelta(hours=7))
C = "pkwkk-1674"
DESA = "16.74.01.1001"


def _t(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2024, 11, day, hour, tzinfo=WIB).astimezone(dt.UTC)


def _dhasil(rows: list[tuple[str, int, int, dt.datetime | None, str]]) -> pl.DataFrame:
    """(kode_wilayah, nomor_urut, suara, waktu_terima, sumber_file) rows of one contest."""
    return OFFICIAL_REGION.conform(
        pl.DataFrame(
            {
                "kode_wilayah": [r[0] for r in rows],
                "kode_kontestasi": [C] * len(rows),
                "nomor_urut": [r[1] for r in rows],
                "suara": [r[2] for r in rows],
                "waktu_terima": [r[3] for r in rows],
                "penetapan": [r[4].startswith("penetapan") for r in rows],
                "sumber_file": [r[4] for r in rows],
            },
            schema_overrides={"waktu_terima": pl.Datetime("us", "UTC")},
        )
    )


def test_receipt_time_and_penetapan_come_from_the_path():
    text = "kode_wilayah,jenis_pemilihan,suara_paslon_1,suara_paslon_2\n16.74,pkwkk,10,20\n"
    fr = read.read_table(
        "official_region", text.encode(), "kpu/rekap/20241203T1530/penetapan_1674.csv"
    )
    row = fr.rows.row(0, named=True)
    assert row["waktu_terima"] == dt.datetime(2024, 12, 3, 8, 30, tzinfo=dt.UTC)
    assert row["penetapan"] is True
    fr = read.read_table("official_region", text.encode(), "kpu/rekap/dhasil.csv")
    assert fr.rows["waktu_terima"][0] is None and fr.rows["penetapan"][0] is False


def test_in_force_is_the_latest_received_and_revisions_keep_both_values():
    dh = _dhasil(
        [
            (DESA, 1, 100, _t(29), "kpu/rekap/20241129T1000/a.csv"),
            (DESA, 1, 90, _t(30), "kpu/rekap/20241130T1000/a.csv"),
            (DESA, 1, 95, _t(30, 20), "kpu/rekap/20241130T2000/a.csv"),
        ]
    )
    now = rekap.in_force(dh, _t(30, 12))
    assert now["suara"].to_list() == [90]
    rev = rekap.revisions(dh, _t(30, 12))
    assert rev.select("suara_lama", "suara", "perubahan").row(0) == (100, 90, -10)
    assert rev["kode_rekap"][0] == "16.74.01" and rev["tingkat_rekap"][0] == "kecamatan"
    assert rekap.revisions(dh, _t(30, 23)).height == 2


def _wilayah(internal: int, sirekap: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kode_wilayah": [DESA],
            "kode_kontestasi": [C],
            "nomor_urut": [1],
            "suara_internal": [internal],
            "suara_kpu": [sirekap],
        }
    )


def _status(cak_int: float, cak_kpu: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "tingkat": ["desa", "kecamatan", "kabkota"],
            "kode_wilayah": [DESA, "16.74.01", "16.74"],
            "kode_kontestasi": [C] * 3,
            "cakupan_internal": [cak_int] * 3,
            "cakupan_kpu": [cak_kpu] * 3,
            "dpt_diharapkan": [500, 500, 500],
        }
    )


@pytest.mark.parametrize(
    ("internal", "sirekap", "cak_int", "cak_kpu", "label"),
    [
        (100, 100, 1.0, 1.0, "sepakat"),
        (90, 90, 1.0, 1.0, "beda_keduanya"),
        (90, 100, 1.0, 1.0, "beda_internal"),
        (100, 90, 1.0, 1.0, "beda_sirekap"),
        (90, 100, 0.8, 1.0, "sepakat_sebagian"),
        (90, 90, 0.8, 0.5, "belum_bisa_dibandingkan"),
    ],
)
def test_which_pair_disagrees(internal, sirekap, cak_int, cak_kpu, label):
    dh = _dhasil([(DESA, 1, 100, _t(29), "kpu/rekap/20241129T1000/a.csv")])
    side = rekap.side_by_side(dh, _wilayah(internal, sirekap), _status(cak_int, cak_kpu), _t(30))
    assert side.select("selisih_internal", "selisih_sirekap").row(0) == (
        100 - internal,
        100 - sirekap,
    )
    assert rekap.pairs(side)["pasangan_beda"].to_list() == [label]


def test_a_figure_changed_by_the_tier_above_is_an_inconsistency_between_tiers():
    kec = "16.74.01"
    dh = _dhasil(
        [
            (DESA, 1, 100, _t(29), "kpu/rekap/20241129T1000/dhasil_kec_167401.csv"),
            ("16.74.01.1002", 1, 50, _t(29), "kpu/rekap/20241129T1000/dhasil_kec_167401.csv"),
            # the kab/kota carries the kecamatan up with 175, not 150; the penetapan follows it
            (kec, 1, 175, _t(30), "kpu/rekap/20241130T1000/dhasil_kab_1674.csv"),
            ("16.74", 1, 175, _t(30, 20), "kpu/rekap/20241130T2000/penetapan_pkwkk-1674.csv"),
        ]
    )
    st = _status(1.0, 1.0)
    side = rekap.side_by_side(dh, _wilayah(100, 100), st, _t(30, 23))
    got = {r["kode_wilayah"]: r for r in side.iter_rows(named=True)}
    assert got[kec]["suara_rekap_bawah"] == 150 and got[kec]["selisih_rekap_bawah"] == 25
    assert got["16.74"]["selisih_rekap_bawah"] == 0  # the penetapan equals the kab/kota recap
    assert got[DESA]["suara_rekap_bawah"] is None  # a desa has no recap of its own
    pr = {r["kode_wilayah"]: r for r in rekap.pairs(side).iter_rows(named=True)}
    assert pr[kec]["status_antartingkat"] == "beda" and pr[kec]["selisih_rekap_bawah_abs"] == 25
    assert pr["16.74"]["status_antartingkat"] == "sama"
    assert pr[DESA]["status_antartingkat"] == "belum_ada"
    assert pr[DESA]["selisih_rekap_bawah_abs"] is None


def test_progress_against_the_schedule():
    schedule = Rekapitulasi(
        sumber="uji",
        jadwal=[
            RecapStep(
                tingkat="kecamatan", mulai=dt.date(2024, 11, 28), selesai=dt.date(2024, 11, 29)
            ),
            RecapStep(tingkat="kabkota", mulai=dt.date(2024, 11, 28), selesai=dt.date(2024, 12, 1)),
        ],
    )
    dh = _dhasil([(DESA, 1, 100, _t(30), "kpu/rekap/20241130T1000/a.csv")])
    st = _status(1.0, 1.0)
    side = rekap.side_by_side(dh, _wilayah(100, 100), st, _t(30, 12))
    pr = rekap.progress(
        side, rekap.pairs(side), rekap.revisions(dh, _t(30, 12)), st, _t(30, 12), schedule
    )
    got = {r["tingkat_rekap"]: r["status_rekap"] for r in pr.iter_rows(named=True)}
    assert got == {
        "kecamatan": "masuk_terlambat",
        "kabkota": "belum_masuk",
        "penetapan": "belum_masuk",
    }
    later = rekap.progress(
        side,
        rekap.pairs(side),
        rekap.revisions(dh, _t(30)),
        st,
        dt.datetime(2024, 12, 2, 12, tzinfo=dt.UTC),
        schedule,
    )
    assert (
        later.filter(pl.col("tingkat_rekap") == "kabkota")["status_rekap"][0]
        == "terlambat_belum_masuk"
    )
    assert pr["dpt"].to_list() == [500, 500, 500]


# --- the demo's recap faults, through the daily brief, in the data and in the packs' HTML ---------

SCOPE = "16"  # the province: kecamatan, kab/kota and provinsi recaps, every fault kind
DAY = dt.date(2024, 12, 12)  # after every penetapan


def _faults(m: dict) -> list[dict]:
    return [f | {"file": e["file"]} for e in m["rekap"] for f in e["kesalahan"]]


def _one(m: dict, kind: str) -> dict:
    return next(f for f in _faults(m) if f["kind"] == kind)


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The province demo's daily brief for 12 Dec (every recap and penetapan in): the province
    pack, and the pack of the kab/kota whose recap changed a kecamatan's figure."""
    root = tmp_path_factory.mktemp("rekap")
    s = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"}
    )
    raw = root / "raw" / "demo-16"
    m = demo.generate(SCOPE, s.demo.seed, s.demo.as_of, raw)
    args = argparse.Namespace(date=DAY, scope=SCOPE, depth=0, raw=raw, workers=1)
    code = daily.run(args, s)
    processed = root / "processed" / "demo-16"
    kab = regions.parent(_one(m, "rekap_koreksi_atas")["kode_wilayah"])
    execute.make_packs(DAY, kab, 0, processed, root / "reports", workers=1, progress=False)
    out = root / "reports" / DAY.isoformat()
    return {
        "code": code,
        "manifest": m,
        "raw": raw,
        "processed": processed,
        "kab": kab,
        "prov_html": (out / "provinsi" / f"{SCOPE}.html").read_text(encoding="utf-8"),
        "kab_html": (out / "kabkota" / f"{kab}.html").read_text(encoding="utf-8"),
    }


@pytest.fixture(scope="module")
def rekap_day(brief: dict) -> tuple[dict, dict[str, pl.DataFrame]]:
    """The reconciliation the brief wrote (as of 12 Dec 23.59)."""
    p = brief["processed"]
    tables = {
        "paslon": REKAP_PASLON,
        "wilayah": REKAP_WILAYAH,
        "progres": REKAP_PROGRES,
        "revisi": REKAP_REVISI,
        "agregat": RECON_AGREGAT,
    }
    return brief["manifest"], {k: catalog.read(ds.name, root=p) for k, ds in tables.items()}


@pytest.mark.slow
def test_every_injected_recap_fault_is_found(rekap_day):
    m, r = rekap_day
    faults = _faults(m)
    kinds = {f["kind"] for f in faults}
    assert set(FAULT_KINDS) <= kinds
    for f in faults:
        if f["kind"] == "rekap_beda_tps":
            row = r["wilayah"].filter(
                (pl.col("kode_wilayah") == f["kode_wilayah"])
                & (pl.col("kode_kontestasi") == f["kode_kontestasi"])
            )
            assert row["pasangan_beda"].to_list() == ["beda_keduanya"], f
            assert row["selisih_internal_abs"][0] == abs(f["selisih"])
        elif f["kind"] == "rekap_dikoreksi":
            rv = r["revisi"].filter(pl.col("kode_wilayah") == f["kode_wilayah"])
            assert rv["perubahan"].to_list() == [-f["selisih"]], f
        elif f["kind"] == "rekap_terlambat":
            pr = r["progres"].filter(pl.col("kode_wilayah") == f["kode_rekap"])
            assert (pr["status_rekap"] == "masuk_terlambat").any(), f
    # the recap differing from both sources is the injected one (the recap is the true count:
    # elsewhere it differs only from a source carrying an injected tally or Sirekap fault)
    both = r["wilayah"].filter(
        (pl.col("pasangan_beda") == "beda_keduanya") & (pl.col("tingkat") == "desa")
    )
    beda = {f["kode_wilayah"] for f in faults if f["kind"] == "rekap_beda_tps"}
    assert beda <= set(both["kode_wilayah"])
    # the figure a kab/kota recap changed is the one inconsistency between tiers
    upper = _one(m, "rekap_koreksi_atas")
    odd = r["wilayah"].filter(pl.col("status_antartingkat") == "beda")
    assert odd.select("kode_wilayah", "kode_kontestasi", "selisih_rekap_bawah_abs").rows() == [
        (upper["kode_wilayah"], upper["kode_kontestasi"], upper["selisih"])
    ]
    # every step of every contest is in by 12 Dec, penetapan included
    assert r["progres"]["status_rekap"].str.starts_with("masuk").all()
    late = set(r["progres"].filter(pl.col("status_rekap") == "masuk_terlambat")["kode_wilayah"])
    assert late == {e["kode_rekap"] for e in m["rekap"] if e["terlambat"]}
    assert r["paslon"].filter(pl.col("penetapan")).height > 0


@pytest.mark.slow
def test_manifest_lists_every_recap_file(rekap_day):
    m, _ = rekap_day
    assert sum(e["rows"] for e in m["rekap"]) == m["totals"]["rows"]["official_region"]
    assert json.dumps(m["rekap"])  # serialisable as written
    assert all(Path(e["file"]).parts[:2] == ("kpu", "rekap") for e in m["rekap"])


def _penetapan_file(raw: Path, contest: str) -> dict[int, int]:
    """nomor urut -> votes of a contest's penetapan, read from the raw CSV here, for the
    contest's paslon in the drop's reference (the form's other columns are zeros)."""
    (path,) = raw.glob(f"kpu/rekap/*/penetapan_{contest}.csv")
    row = pl.read_csv(path).row(0, named=True)
    ref = pl.read_csv(raw / "referensi" / "paslon.csv", infer_schema=False)
    nomor = ref.filter(pl.col("kode_kontestasi") == contest)["nomor_urut"].cast(int).to_list()
    column = {n: "suara_kolom_kosong" if n == 0 else f"suara_paslon_{n}" for n in nomor}
    return {n: row[c] for n, c in column.items()}


@pytest.mark.slow
def test_after_penetapan_the_packs_lead_with_the_official_result(brief):
    assert brief["code"] == 0
    kab_contest = regions.contest_code("pkwkk", brief["kab"])
    for html, contest in (
        (brief["prov_html"], "pkwkp-16"),
        (brief["kab_html"], kab_contest),
    ):
        sections = re.findall(r'<section class="bagian" id="([a-z_]+)"', html)
        assert sections[:3] == ["kepala", "penetapan", "jawaban"], sections[:4]
        rekap_html = html[html.index('id="penetapan"') :]
        assert rekap_html.index("Hasil resmi penetapan KPU") < rekap_html.index("Hitung internal")
        want = _penetapan_file(brief["raw"], contest)
        assert len(want) >= 2 and sum(want.values()) > 0
        shown = {
            int(n)
            for n in re.findall(
                rf'data-angka="suara_penetapan"[^>]*data-kontestasi="{contest}"[^>]*data-paslon="(\d+)"',
                html,
            )
        }
        assert shown == set(want), (contest, shown)  # only the contest's own paslon
        for nomor, votes in want.items():
            assert figures(html, "suara_penetapan", kontestasi=contest, paslon=nomor) == [
                str(votes)
            ], (contest, nomor)


@pytest.mark.slow
def test_the_injected_recap_faults_are_in_the_province_pack(brief):
    m, html = brief["manifest"], brief["prov_html"]
    beda = _one(m, "rekap_beda_tps")
    assert figures(
        html,
        "rekap_selisih_internal",
        wilayah=beda["kode_wilayah"],
        kontestasi=beda["kode_kontestasi"],
    ) == [str(abs(beda["selisih"]))]
    fixed = _one(m, "rekap_dikoreksi")
    kept = figures(
        html, "rekap_revisi", wilayah=fixed["kode_wilayah"], kontestasi=fixed["kode_kontestasi"]
    )
    assert len(kept) == 1  # the corrected value, with both values in the sentence
    assert "berubah dari" in html and fmt.selisih(-fixed["selisih"]) in html
    late = {e["kode_rekap"] for e in m["rekap"] if e["terlambat"]}
    listed = html[html.index("<h4>Rekap terlambat</h4>") :]
    listed = listed[: listed.index("</table>")]
    assert all(f"({k})" in listed for k in late), late
    progres = catalog.read(REKAP_PROGRES.name, root=brief["processed"])
    late_rows = progres.filter(pl.col("status_rekap") == "masuk_terlambat")
    for k, n in late_rows.group_by("kode_kontestasi").len().iter_rows():
        assert figures(html, "rekap_terlambat", kontestasi=k) == [str(n)], k
    upper = _one(m, "rekap_koreksi_atas")
    assert figures(
        html,
        "rekap_antartingkat_selisih",
        wilayah=upper["kode_wilayah"],
        kontestasi=upper["kode_kontestasi"],
    ) == [str(upper["selisih"])]
    assert figures(html, "rekap_antartingkat_beda", wilayah=SCOPE) == ["1"]


@pytest.mark.slow
def test_kpu_against_itself_in_the_pack(brief):
    """The aggregate the demo made disagree with its TPS is the one the pack names, by its size."""
    (fault,) = brief["manifest"]["kpu"]["agregat"]["kesalahan"]
    html = brief["prov_html"]
    assert figures(html, "agregat_berbeda", wilayah=SCOPE) == ["1"]
    assert figures(
        html, "agregat_selisih", wilayah=fault["kode_wilayah"], kontestasi=fault["kode_kontestasi"]
    ) == [str(fault["selisih"])]
    assert "Agregat KPU berbeda dari jumlah TPS-nya" in html
    assert figures(html, "agregat_tps_berbeda", wilayah=SCOPE) == ["0"]
