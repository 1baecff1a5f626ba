"""Pack content: a tiny processed folder (inline frames) → reconcile → pack inputs → sections.

Scenario (Sumatera Selatan, as of 2024-11-28 14.00 WIB; previous report 2024-11-27 20.00 WIB):
four TPS, two in Kota Palembang (16.71) and two in Kota Pagar Alam (16.72); contests pkwkp-16,
pkwkk-1671, pkwkk-1672 (single candidate: kolom kosong). KPU misread one count (130 → 830).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from analysis import catalog, schemas
from analysis.packs import sections
from analysis.packs.html import figures
from analysis.packs.inputs import prepare_pack_inputs
from analysis.packs.load import PackError, load_pack
from analysis.reconcile import run_reconcile

WIB = ZoneInfo("Asia/Jakarta")
AS_OF = dt.datetime(2024, 11, 28, 14, 0, tzinfo=WIB)
PREV = dt.datetime(2024, 11, 27, 20, 0, tzinfo=WIB)
PAYLOAD = "<script>alert('x')</script><img src=x onerror=alert(1)>"

A, B = "1671011001001", "1671011001002"  # Kota Palembang, desa 16.71.01.1001
C, D = "1672011001001", "1672011001002"  # Kota Pagar Alam, desa 16.72.01.1001
DPT = {A: 200, B: 300, C: 250, D: 100}


def t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2024, 11, day, hour, minute, tzinfo=WIB)


# (tps, contest, time, {nomor_urut: votes}, tidak_sah)
TALLY = [
    (A, "pkwkp-16", t(27, 15), {1: 99, 2: 50}, 5),  # superseded by the next report
    (A, "pkwkp-16", t(27, 16), {1: 100, 2: 50}, 5),
    (A, "pkwkk-1671", t(27, 16), {1: 80, 2: 70}, 5),
    (B, "pkwkp-16", t(27, 17), {1: 120, 2: 130}, 10),
    (B, "pkwkk-1671", t(27, 17), {1: 200, 2: 50}, 10),
    (C, "pkwkp-16", t(28, 9), {1: 90, 2: 110}, 0),
    (C, "pkwkk-1672", t(28, 9), {0: 20, 1: 180}, 0),
    (D, "pkwkp-16", t(28, 15), {1: 50, 2: 40}, 0),  # after as_of: not in force
]
# (tps, contest, pull, {nomor_urut: votes})
KPU = [
    (A, "pkwkp-16", t(28, 8), {1: 100, 2: 50}),
    (B, "pkwkp-16", t(28, 8), {1: 120, 2: 830}),  # OCR: 130 read as 830
    (C, "pkwkp-16", t(28, 13, 30), {1: 90, 2: 110}),
    (A, "pkwkk-1671", t(27, 20), {1: 80, 2: 70}),
]
PASLON = [
    ("pkwkp-16", 1, "Herman Deru – Cik Ujang"),
    ("pkwkp-16", 2, "Eddy <b>Santana</b> – Riezky"),
    ("pkwkk-1671", 1, "Ratu Dewa – Prima"),
    ("pkwkk-1671", 2, "Fitrianti – Nandriani"),
    ("pkwkk-1672", 0, None),
    ("pkwkk-1672", 1, "Ludi – Bertha"),
]


def _counts(votes: dict[int, int], tidak_sah: int, dpt: int) -> dict:
    sah = sum(votes.values())
    total = sah + tidak_sah
    return {
        "pemilih_dpt": dpt,
        "pengguna_dpt": total,
        "pengguna_dptb": 0,
        "pengguna_dpk": 0,
        "pengguna_total": total,
        "suara_sah": sah,
        "suara_tidak_sah": tidak_sah,
        "suara_total": total,
    }


def build_processed(root: Path, demo: bool = True) -> Path:
    """Write the canonical processed datasets of the scenario and run the real reconcile."""
    root.mkdir(parents=True, exist_ok=True)
    lineage = {"sumber_file": "x.csv", "sumber_sheet": None, "sumber_baris": 1}
    catalog.write(
        pl.DataFrame(
            [
                {
                    "kode_tps": k,
                    "kode_desa": f"{k[:2]}.{k[2:4]}.{k[4:6]}.{k[6:10]}",
                    "nomor_tps": int(k[-3:]),
                    "pemilih_dpt": v,
                }
                for k, v in DPT.items()
            ]
        ),
        schemas.TPS.name,
        root,
    )
    catalog.write(
        pl.DataFrame(
            [
                {
                    "kode_kontestasi": c,
                    "nomor_urut": n,
                    "paslon_id": f"{i:07d}",
                    "nama_paslon": nm,
                    "kolom_kosong": n == 0,
                }
                for i, (c, n, nm) in enumerate(PASLON)
            ]
        ),
        schemas.PASLON.name,
        root,
    )
    tally, tvotes = [], []
    for i, (tps, c, when, votes, ts) in enumerate(TALLY):
        tally.append(
            {
                "kode_tps": tps,
                "kode_kontestasi": c,
                "waktu_laporan": when,
                "pelapor": "saksi",
                "peringatan": [],
                **_counts(votes, ts, DPT[tps]),
                **lineage,
                "sumber_baris": i + 2,
            }
        )
        tvotes += [
            {
                "kode_tps": tps,
                "kode_kontestasi": c,
                "nomor_urut": n,
                "suara": v,
                "waktu_laporan": when,
            }
            for n, v in votes.items()
        ]
    catalog.write(pl.DataFrame(tally), schemas.TALLY.name, root)
    catalog.write(pl.DataFrame(tvotes), schemas.TALLY_VOTES.name, root)
    off, ovotes = [], []
    for tps, c, when, votes in KPU:
        off.append(
            {
                "kode_tps": tps,
                "kode_kontestasi": c,
                "waktu_tarik": when,
                "ts": when,
                "status_suara": True,
                "status_adm": True,
                "ada_chart": True,
                "ada_administrasi": True,
                "peringatan": [],
                **_counts(votes, 0, DPT[tps]),
                **lineage,
            }
        )
        ovotes += [
            {
                "kode_tps": tps,
                "kode_kontestasi": c,
                "waktu_tarik": when,
                "nomor_urut": n,
                "paslon_id": "0",
                "suara": v,
            }
            for n, v in votes.items()
        ]
    catalog.write(pl.DataFrame(off), schemas.OFFICIAL_TPS.name, root)
    catalog.write(pl.DataFrame(ovotes), schemas.OFFICIAL_VOTES.name, root)
    inc = [
        # id, waktu_laporan, kode_wilayah, kode_tps, tahapan, kategori, keparahan, verifikasi, penanganan, deskripsi
        (
            "I1",
            t(28, 9),
            "16.71.01",
            None,
            "pemungutan_penghitungan",
            "kamtibmas",
            "kritis",
            "terkonfirmasi",
            "baru",
            PAYLOAD,
        ),
        (
            "I2",
            t(25, 10),
            "16.72",
            None,
            "masa_tenang",
            "politik_uang",
            "tinggi",
            "belum_diverifikasi",
            "selesai",
            "Bagi-bagi amplop",
        ),
        (
            "I3",
            t(27, 10),
            None,
            C,
            "pemungutan_penghitungan",
            "logistik",
            "sedang",
            "terverifikasi_resmi",
            "ditangani",
            "Surat suara kurang 20 lembar",
        ),
        (
            "I4",
            t(28, 10),
            "16.72.01",
            None,
            "rekapitulasi",
            "prosedur_pungut_hitung",
            "tinggi",
            "belum_diverifikasi",
            "baru",
            "Pleno PPK tertunda",
        ),
    ]
    catalog.write(
        pl.DataFrame(
            [
                {
                    "id_insiden": i,
                    "waktu_kejadian": w,
                    "waktu_laporan": w,
                    "kode_wilayah": kw,
                    "kode_tps": kt,
                    "tahapan": th,
                    "kategori": kt2,
                    "kategori_lain": [],
                    "tingkat_keparahan": sev,
                    "status_verifikasi": ver,
                    "status_penanganan": st,
                    "instansi": "Polres",
                    "deskripsi": desc,
                    "tahapan_asli": th,
                    "kategori_asli": kt2,
                    "tingkat_keparahan_asli": sev,
                    **lineage,
                }
                for i, w, kw, kt, th, kt2, sev, ver, st, desc in inc
            ]
        ),
        schemas.INCIDENTS.name,
        root,
    )
    ready = []
    for kab, (log, ktp, nphd) in {"16.71": (1.0, 0.99, 1.0), "16.72": ((9, 10), 0.97, 1.0)}.items():
        for ind, v in (
            ("logistik_diterima", log),
            ("perekaman_ktp_el", ktp),
            ("nphd_dibayar", nphd),
        ):
            num, den = v if isinstance(v, tuple) else (None, None)
            ready.append(
                {
                    "kode_wilayah": kab,
                    "tanggal": dt.date(2024, 11, 26),
                    "indikator": ind,
                    "nilai": num / den if den else v,
                    "pembilang": num,
                    "penyebut": den,
                    **lineage,
                }
            )
    catalog.write(pl.DataFrame(ready), schemas.READINESS.name, root)
    catalog.write(
        pl.DataFrame(
            [
                {
                    "dataset": schemas.TALLY.name,
                    "sumber_file": "hitung_<x>.csv",
                    "sumber_sheet": "",
                    "sumber_baris": 9,
                    "alasan": ["identitas_1_jumlah_suara: Σ suara paslon (812) ≠ suara_sah (312)"],
                    "nilai_asli": "{}",
                }
            ]
        ),
        schemas.QUARANTINE.name,
        root,
    )
    catalog.write(
        pl.DataFrame(
            [
                {
                    "path": "data/raw/demo-16/hitung_internal/<img>.csv",
                    "sha256": "a" * 64,
                    "ukuran_byte": 10,
                    "dataset": schemas.TALLY.name,
                    "status": "diterima",
                    "baris_dibaca": 9,
                    "baris_diterima": 8,
                    "baris_ditolak": 1,
                    "baris_digantikan": 1,
                    "waktu_ingest": t(28, 13),
                },
            ]
        ),
        schemas.LEDGER.name,
        root,
    )
    catalog.write(
        pl.DataFrame(
            {
                "dataset": [schemas.TALLY.name] * 2,
                "pemeriksaan": ["identitas_1_jumlah_suara", "identitas_1_jumlah_suara"],
                "tingkat": ["tolak", "tolak"],
                "alasan": ["Σ suara paslon = suara_sah", "Σ suara paslon = suara_sah"],
                "n_gagal": [1, 0],
                "n_diperiksa": [5, 4],
                "kode_kabkota": ["16.71", "16.72"],
            }
        ),
        schemas.CHECK_SUMMARY.name,
        root,
    )
    run = {
        "demo": demo,
        "raw": "data/raw/demo-16",
        "as_of": AS_OF.isoformat(),
        "previous_as_of": PREV.isoformat(),
        "code_version": "v-test",
    }
    (root / "run.json").write_text(json.dumps(run), encoding="utf-8")
    run_reconcile(root, PREV)
    run_reconcile(root, AS_OF, previous_as_of=PREV)
    prepare_pack_inputs(root)
    return root


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_processed(tmp_path_factory.mktemp("processed") / "demo-16")


def test_province_pack_figures(processed: Path) -> None:
    pack = load_pack(processed, "2024-11-28", "provinsi", "16")
    html = sections.render_all(pack)
    # coverage: A, B, C of 4 expected TPS in the gubernur contest (D arrives after as_of)
    assert figures(html, "cakupan_internal", wilayah="16", kontestasi="pkwkp-16") == ["0.75"]
    # votes per paslon, in-force versions only: 100 + 120 + 90, 50 + 130 + 110
    assert figures(html, "suara_internal", kontestasi="pkwkp-16", paslon="1") == ["310"]
    assert figures(html, "suara_internal", kontestasi="pkwkp-16", paslon="2") == ["290"]
    # turnout over reporting TPS: (155 + 260 + 200) / (200 + 300 + 250)
    assert float(
        figures(html, "partisipasi", wilayah="16", kontestasi="pkwkp-16")[0]
    ) == pytest.approx(615 / 750)
    # like for like: 3 TPS both; B differs by 700 on paslon 2
    assert figures(html, "tps_keduanya", kontestasi="pkwkp-16") == ["3"]
    assert figures(html, "selisih_banding", kontestasi="pkwkp-16", paslon="2") == ["-700"]
    assert figures(html, "selisih_tps", tps=B) == ["700"]
    # incidents: all four lie in 16; I1 and I4 are new since the previous report
    assert figures(html, "insiden_total", wilayah="16") == ["4"]
    assert figures(html, "insiden_baru", wilayah="16") == ["2"]
    assert figures(html, "insiden_serius_terbuka", wilayah="16") == ["2"]
    # stage × category × severity
    assert figures(
        html,
        "insiden_sel",
        tahapan="pemungutan_penghitungan",
        kategori="kamtibmas",
        keparahan="kritis",
    ) == ["1"]
    assert figures(
        html,
        "insiden_sel",
        tahapan="pemungutan_penghitungan",
        kategori="logistik",
        keparahan="sedang",
    ) == ["1"]
    assert figures(html, "insiden_wilayah", wilayah="16.72") == ["3"]
    # status: Palembang has an open kritis incident and a discrepancy
    assert figures(html, "status", wilayah="16.71") == ["kritis"]
    assert "DATA SIMULASI" in html and "TERBATAS" in html
    assert "hitung internal — bukan hasil resmi; hasil resmi ditetapkan KPU" in html
    assert "Kamis, 28 November 2024 14.00 WIB" in html
    assert "data-galat" not in html


def test_untrusted_text_is_escaped(processed: Path) -> None:
    html = sections.render_all(load_pack(processed, "2024-11-28", "provinsi", "16"))
    assert "<script>" not in html and "onerror=alert" not in html.replace(
        "onerror=alert(1)&gt;", ""
    )
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<b>Santana</b>" not in html and "&lt;b&gt;Santana&lt;/b&gt;" in html
    assert "<img>" not in html


def test_kabkota_pack_holds_only_its_descendants(processed: Path) -> None:
    pack = load_pack(processed, "2024-11-28", "kabkota", "16.71")
    html = sections.render_all(pack)
    assert "16.72" not in re.sub(r"<svg.*?</svg>", "", html, flags=re.S).replace("16.72.", "")
    assert C not in html and "Pagar Alam" not in html
    assert "Pleno PPK tertunda" not in html and "Bagi-bagi amplop" not in html
    assert figures(html, "cakupan_internal", wilayah="16.71", kontestasi="pkwkp-16") == ["1.0"]
    assert figures(html, "suara_internal", kontestasi="pkwkk-1671", paslon="1") == ["280"]
    assert figures(html, "insiden_total", wilayah="16.71") == ["1"]


def test_missing_data_says_so(tmp_path: Path) -> None:
    root = tmp_path / "kosong"
    root.mkdir()
    prepare_pack_inputs(root)
    pack = load_pack(root, "2024-11-28", "provinsi", "16")
    html = sections.render_all(pack)
    assert "data belum tersedia" in html
    assert "Sumber data tidak diketahui" in html
    assert "DATA SIMULASI" not in html


def test_parameters_are_checked(processed: Path) -> None:
    with pytest.raises(PackError, match="provinsi"):
        load_pack(processed, "2024-11-28", "kabkota", "16")
    with pytest.raises(PackError, match="YYYY-MM-DD"):
        load_pack(processed, "28/11/2024", "provinsi", "16")


def test_sections_are_wrapped(processed: Path) -> None:
    pack = load_pack(processed, "2024-11-28", "provinsi", "16")
    for f in sections.SECTIONS:
        out = f(pack)
        if f in sections.OCCASIONAL and out == "":
            continue  # no penetapan on voting day
        assert out.startswith('<section class="bagian" id="'), f.__name__
        # the header has the title; the first screen one heading per contest
        if f not in (sections.section_kepala, sections.section_jawaban):
            assert out.count("<h2>") == 1, f.__name__


def test_every_tier_renders(processed: Path) -> None:
    for tier, code in (("nasional", "00"), ("kecamatan", "16.71.01")):
        html = sections.render_all(load_pack(processed, "2024-11-28", tier, code))
        assert html.count('<section class="bagian"') == len(
            sections.SECTIONS + sections.ANNEX_SECTIONS
        ) - len(sections.OCCASIONAL)
    html = sections.render_all(load_pack(processed, "2024-11-28", "nasional", "00"))
    assert figures(html, "status", wilayah="16") != []


def test_child_status_rules(processed: Path) -> None:
    st = sections.child_status(load_pack(processed, "2024-11-28", "provinsi", "16"))
    by = {r["kode_wilayah"]: r for r in st.iter_rows(named=True)}
    assert by["16.71"]["status"] == "kritis"  # open kritis incident, 1 of 3 compared TPS differ
    # Pagar Alam: open tinggi incident, internal count 1 of 2 TPS (50% = not below the critical 50%)
    assert by["16.72"]["status"] == "perhatian"
    assert "hitung internal baru 50,00% TPS" in by["16.72"]["alasan"]


def test_stage_position() -> None:
    from analysis.settings import default_settings

    s = default_settings()
    st = {k: state for k, _, state in sections.stage_position(dt.date(2024, 11, 25), s)}
    assert st["masa_tenang"] == "berlangsung" and st["kampanye"] == "selesai"
    assert st["rekapitulasi"] == "akan datang"


@pytest.mark.slow
def test_notebook_runs_with_papermill(processed: Path, tmp_path: Path) -> None:
    import nbformat
    import papermill as pm

    nb_path = Path(__file__).resolve().parents[1] / "notebooks" / "pack.ipynb"
    out = tmp_path / "out.ipynb"
    pm.execute_notebook(
        str(nb_path),
        str(out),
        parameters={
            "tanggal": "2024-11-28",
            "tingkat": "kabkota",
            "kode_wilayah": "16.71",
            "processed_dir": str(processed),
        },
        progress_bar=False,
        kernel_name="python3",
    )
    nb = nbformat.read(out, as_version=4)
    html = "".join(
        o["data"]["text/html"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    )
    assert html.count('<section class="bagian"') == len(
        sections.SECTIONS + sections.ANNEX_SECTIONS
    ) - len(sections.OCCASIONAL)
    assert figures(html, "suara_internal", kontestasi="pkwkk-1671", paslon="1") == ["280"]


def test_a_failing_section_does_not_take_the_pack_down(processed: Path) -> None:
    pack = load_pack(processed, "2024-11-28", "provinsi", "16")
    pack.insiden = pl.DataFrame({"id_insiden": ["<b>x</b>"]})  # columns missing: the section fails
    out = sections.section_insiden(pack)
    assert 'data-galat="' in out and out.startswith('<section class="bagian" id="insiden"')
    assert "<b>x</b>" not in out
    assert "data-galat" not in sections.section_hitung(pack)


def test_every_pack_input_is_a_declared_dataset(processed: Path) -> None:
    folder = catalog.source_dir("paket", processed)
    written = {f.parent.name if f.parent != folder else f.stem for f in folder.rglob("*.parquet")}
    declared = {d.name for d in schemas.PACK_INPUTS}
    assert written and written <= declared, written - declared
    for name in written:
        ds = schemas.BY_NAME[name]
        df = catalog.read(name, processed)
        assert ds.grain.startswith("one row") and list(df.columns[: len(ds.columns)]) == list(
            ds.columns
        )
        ds.check_key(df)
    # the differing TPS are split per province: a pack reads only its province's part
    assert catalog.parts(schemas.PAKET_SELISIH.name, processed) == ["16"]


def test_a_partitioned_dataset_is_replaced_whole(tmp_path: Path) -> None:
    name = schemas.PAKET_SELISIH.name
    rows = [
        {"kode_tps": A, "kode_kontestasi": "pkwkp-16", "kode_provinsi": "16", "kode_desa": "x"},
        {"kode_tps": "3171011001001", "kode_kontestasi": "pkwkp-31", "kode_provinsi": "31"},
    ]
    catalog.write(pl.DataFrame(rows), name, tmp_path)
    assert catalog.parts(name, tmp_path) == ["16", "31"]
    assert catalog.read(name, tmp_path, part="31")["kode_tps"].to_list() == ["3171011001001"]
    assert catalog.read(name, tmp_path).height == 2
    catalog.write(pl.DataFrame(rows[:1]), name, tmp_path)
    assert catalog.parts(name, tmp_path) == ["16"]
    assert catalog.read(name, tmp_path, part="31").is_empty()  # absent part: empty, declared
    assert catalog.read_optional(schemas.PAKET_KERAWANAN.name, tmp_path) is None


def test_a_report_on_the_hour_is_in_that_hour() -> None:
    from analysis.packs.inputs import _progress

    utc = dt.UTC
    tally = pl.DataFrame(
        {
            "kode_tps": [A, B, C],
            "kode_kontestasi": ["pkwkp-16"] * 3,
            "waktu_laporan": [t(28, 13, 0), t(28, 13, 5), t(28, 14, 0)],
        }
    ).with_columns(pl.col("waktu_laporan").dt.convert_time_zone("UTC"))
    p = _progress(tally, None, AS_OF.astimezone(utc), None)
    nat = p.filter(pl.col("kode_wilayah") == "00").sort("waktu")
    hours = [w.astimezone(WIB).hour for w in nat["waktu"]]
    assert hours == [13, 14]  # 13.00 sharp by 13.00; 13.05 and 14.00 by 14.00
    assert nat["tps_masuk"].to_list() == [1, 3]  # as many as the summary counts at 14.00


def test_berbeda_is_one_count_everywhere(processed: Path) -> None:
    html = sections.render_all(load_pack(processed, "2024-11-28", "provinsi", "16"))
    total = int(figures(html, "n_berbeda", wilayah="16")[0])
    assert total == sum(int(v) for v in figures(html, "n_tidak_cocok"))
    assert total == len(figures(html, "selisih_tps"))  # nothing cut: no "… dan N lainnya"
    n = {s: int(figures(html, f"n_{s}", kontestasi="pkwkp-16")[0]) for s in ("cocok", "selisih")}
    assert n["cocok"] + n["selisih"] == int(figures(html, "tps_keduanya", kontestasi="pkwkp-16")[0])
    assert "Cara membaca angka" in html and "kini sama" in html
