"""Flash reports (issue 15, item 4): what is new, who gets it, the page, the delivery list — and
on the demo's next step, the flash report of the injected new kritis incident, made once."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import polars as pl
import pytest

from analysis import catalog, daily, demo, reference
from analysis.packs import kilat, kilat_page
from analysis.schemas import REKON_KEPASTIAN, TINDAK_LANJUT_KILAT
from analysis.settings import load_settings
from analysis.taxonomy import taxonomy

WIB = dt.timezone(dt.timedelta(hours=7))


# --- Routing: rules as data ------------------------------------------------------------------------


def _names(recipients: list[kilat.Recipient]) -> list[str]:
    return [r.nama for r in recipients]


def test_routing_sends_each_kind_to_its_agencies_at_their_tier() -> None:
    to, why = kilat.route("insiden", "kamtibmas", "16.74.05.1006")
    assert _names(to) == [
        "Kesbangpol Kota Prabumulih",
        "Polres Kota Prabumulih",
        "Polda Sumatera Selatan",
    ]
    assert "Polres" in why
    to, _ = kilat.route("selisih", "*", "16", "16")  # the gubernur race: its own tier, the province
    assert _names(to) == [
        "Bawaslu Provinsi Sumatera Selatan",
        "KPU Provinsi Sumatera Selatan",
        "Kesbangpol Provinsi Sumatera Selatan",
    ]
    to, _ = kilat.route("selisih", "*", "16.74", "16.74")
    assert [(r.tingkat, r.instansi) for r in to][:2] == [("kabkota", "Bawaslu"), ("kabkota", "KPU")]
    for kategori in taxonomy().fields["kategori"].labels:  # every category goes somewhere
        assert kilat.route("insiden", kategori, "16.74")[0], kategori


def test_a_bad_routing_table_is_an_error_naming_the_rule(tmp_path: Path) -> None:
    bad = tmp_path / "routing.yaml"
    bad.write_text(
        "aturan:\n  - {jenis: insiden, kategori: '*', tujuan: [{tingkat: kabkota, instansi: KPU}]}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"aturan 1 tanpa \['alasan'\]"):
        kilat.load_routing(bad)
    bad.write_text(
        "aturan:\n  - {jenis: kilat, kategori: '*', alasan: x, tujuan: []}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="jenis 'kilat'"):
        kilat.load_routing(bad)
    bad.write_text(
        "aturan:\n  - {jenis: insiden, kategori: [hoaks], alasan: x, tujuan: []}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="kategori tak dikenal"):
        kilat.load_routing(bad)


# --- What is new, and the memory -----------------------------------------------------------------


def _found(incidents: dict[str, str], contests: dict[str, str] | None = None) -> kilat.Found:
    def frame(d: dict[str, str]) -> pl.DataFrame:
        return pl.DataFrame(
            {"id_masalah": list(d), "kode_wilayah": list(d.values())},
            schema={"id_masalah": pl.String, "kode_wilayah": pl.String},
        )

    return kilat.Found(frame(incidents), frame(contests or {}))


def test_the_memory_keeps_every_problem_and_what_is_active_in_the_scope() -> None:
    t1 = dt.datetime(2024, 11, 28, 2, tzinfo=WIB)
    now = _found({"insiden:A": "16.74.01", "insiden:B": "16.08.10"}, {"kontestasi:pkwkp-16": "16"})
    mem = kilat.remember(None, now, {"insiden:A": "k-A"}, "16", t1)
    assert mem["id_masalah"].to_list() == ["insiden:A", "insiden:B", "kontestasi:pkwkp-16"]
    assert mem["aktif"].to_list() == [True, True, True]
    assert mem["id_kilat"].to_list() == ["k-A", None, None]
    # a later run of 16.74 only: A is gone, B lies outside the scope and keeps what was said of it
    t2 = dt.datetime(2024, 11, 28, 14, tzinfo=WIB)
    mem2 = kilat.remember(mem, _found({"insiden:C": "16.74.05"}), {"insiden:C": "k-C"}, "16.74", t2)
    rows = {r["id_masalah"]: r for r in mem2.iter_rows(named=True)}
    assert rows["insiden:A"]["aktif"] is False and rows["insiden:A"]["id_kilat"] == "k-A"
    assert rows["insiden:B"]["aktif"] is True  # not this run's business
    assert rows["kontestasi:pkwkp-16"]["aktif"] is False  # 16.74 votes in it: it is the scope's
    assert rows["insiden:C"]["aktif"] is True and rows["insiden:C"]["id_kilat"] == "k-C"
    assert rows["insiden:C"]["pertama_terlihat"] == t2.astimezone(dt.UTC)
    TINDAK_LANJUT_KILAT.conform(mem2)  # the declared dataset


# --- The delivery list and the page ------------------------------------------------------------


def test_the_delivery_list_appends_and_never_carries_a_formula(tmp_path: Path) -> None:
    row = {c: "" for c in kilat.DAFTAR_COLUMNS} | {"id": "x", "judul": '=HYPERLINK("http://a")'}
    kilat.append_daftar(tmp_path, [row])
    kilat.append_daftar(tmp_path, [row | {"id": "y", "generasi": "g2"}])
    text = (tmp_path / "kilat" / "daftar.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["id"] for r in rows] == ["x", "y"]
    assert all(r["judul"].startswith("'=") for r in rows)
    assert kilat.made_by(tmp_path, "g2") == 1 and kilat.made_by(tmp_path, "g3") == 0


def _incident_row(**kw: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id_masalah": "insiden:X-1",
        "id_insiden": "X-1",
        "kode_wilayah": "16.74.05.1006",
        "kode_tps": None,
        "kategori": "kamtibmas",
        "kategori_lain": [],
        "kategori_label": "Kamtibmas",
        "keparahan_label": "Kritis",
        "verifikasi_label": "Terverifikasi resmi",
        "penanganan_label": "Baru",
        "instansi": None,
        "deskripsi": "<script>alert(1)</script> & <img src=x onerror=alert(2)>",
        "lokasi_lengkap": "Sumatera Selatan › Kota Prabumulih › Kec. Prabumulih Utara › Sidomulyo",
        "waktu_kejadian": dt.datetime(2024, 11, 28, 4, 22, tzinfo=dt.UTC),
        "waktu_laporan": dt.datetime(2024, 11, 28, 7, 0, tzinfo=dt.UTC),
        "sumber_file": "insiden/insiden_rekapitulasi.csv",
        "sumber_sheet": None,
        "sumber_baris": 1026,
    }
    return base | kw


def test_the_page_escapes_what_a_report_says_and_loads_nothing() -> None:
    facts = kilat.RunFacts(
        as_of=dt.datetime(2024, 11, 28, 14, tzinfo=WIB), previous=None,
        made_at=dt.datetime(2024, 11, 28, 8, 5, tzinfo=dt.UTC), demo=True, generasi="g",
        baseline="run sebelumnya",
    )  # fmt: skip
    fu = {"tindakan": "Minta Polres <b>segera</b>", "instansi": "Polres",
          "jatuh_tempo": dt.datetime(2024, 11, 28, 9, 0, tzinfo=dt.UTC), "tenggat": "dalam 2 jam"}  # fmt: skip
    page = kilat_page._incident(_incident_row(), fu, facts, load_settings())
    h = page.html
    assert "<script" not in h and "<img" not in h and "&lt;script&gt;" in h
    assert "&lt;b&gt;segera&lt;/b&gt;" in h
    assert "Content-Security-Policy" in h and "default-src 'none'" in h and 'lang="id"' in h
    assert re.search(r"(src|href)=\"https?:", h) is None
    assert "TERBATAS" in h and "DATA SIMULASI" in h
    assert "Kamis, 28 November 2024 11.22 WIB" in h  # the event, in the unit's zone
    assert "Kamis, 28 November 2024 16.00 WIB (dalam 2 jam)" in h  # the deadline
    assert "baris 1.026" in h  # Indonesian number format
    assert "Polda Sumatera Selatan" in h and page.judul.endswith("Sidomulyo, Kota Prabumulih")
    assert "laporan insiden X-1 · insiden/insiden_rekapitulasi.csv" in h


def test_a_deadline_past_at_the_data_time_says_so_and_a_file_row_id_is_not_repeated() -> None:
    facts = kilat.RunFacts(
        as_of=dt.datetime(2024, 11, 28, 14, tzinfo=WIB), previous=None,
        made_at=dt.datetime(2024, 11, 28, 8, 5, tzinfo=dt.UTC), demo=True, generasi="g",
        baseline="run sebelumnya",
    )  # fmt: skip
    fu = {"tindakan": "Minta Polres", "instansi": "Polres", "tenggat": "dalam 2 jam sejak dilaporkan",
          "jatuh_tempo": dt.datetime(2024, 11, 27, 22, 52, tzinfo=dt.UTC)}  # fmt: skip
    row = {**_incident_row(), "id_insiden": "insiden/insiden_rekapitulasi.csv:1026"}
    h = kilat_page._incident(row, fu, facts, load_settings()).html
    assert "Kamis, 28 November 2024 05.52 WIB (lewat tenggat)" in h  # not "dalam 2 jam"
    assert "dalam 2 jam" not in h
    assert "laporan insiden · insiden/insiden_rekapitulasi.csv, baris 1.026" in h
    assert "rekapitulasi.csv:1026" not in h


# --- The demo's next step --------------------------------------------------------------------------

#: The demo drop of Kota Prabumulih alone (as tests/test_determinism.py; `make daily-brief
#: SCOPE=16.74` uses the province's drop, where the new one is INS-1674-00255, README). Its manifest
#: injects a hotspot of kritis reports in Kec. Prabumulih Barat; INS-1674-00024 (kamtibmas,
#: terverifikasi resmi) is reported on 28 November 08.56 WIB: after the evening before, before
#: the next step's 14.00 WIB.
SCOPE, DROP, INJECTED = "16.74", "demo-1674", "INS-1674-00024"


def _run(root: Path, raw: Path, date: str | None) -> dict[str, object]:
    settings = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"}
    )
    args = argparse.Namespace(date=date, scope=SCOPE, depth=0, raw=raw, workers=0, wait=False)
    assert daily.run(args, settings) == 0
    return json.loads((root / "reports" / "status.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """The demo of Kota Prabumulih: the evening before (27 November), the next step (28 November
    14.00 WIB, when the injected kritis incident has been reported), and that step again."""
    root = tmp_path_factory.mktemp("kilat")
    raw = root / "drop" / DROP
    s = load_settings()
    demo.generate(SCOPE, s.demo.seed, s.demo.as_of, raw)
    statuses = [_run(root, raw, "2024-11-27"), _run(root, raw, None)]
    day = root / "reports" / "2024-11-28"
    before = {p.name: p.read_bytes() for p in (day / "kilat").iterdir()}
    statuses.append(_run(root, raw, None))
    after = {p.name: p.read_bytes() for p in (day / "kilat").iterdir()}
    assert after == before  # the re-run over the same data: no new page, the same delivery list
    return root, statuses


@pytest.mark.slow
def test_the_injected_kritis_incident_gets_a_flash_report_in_the_next_step(
    night: tuple[Path, list[dict[str, object]]],
) -> None:
    root, statuses = night
    manifest = json.loads((root / "drop" / DROP / "manifest.json").read_text(encoding="utf-8"))
    (injected,) = [e for e in manifest["incidents"] if e["id_insiden"] == INJECTED]
    assert injected["tingkat_keparahan"] == "kritis" and injected["hotspot"]
    assert injected["status_verifikasi"] == "terverifikasi_resmi"
    first = root / "reports" / "2024-11-27"
    assert INJECTED not in "".join(r["id"] for r in kilat.read_daftar(first))  # not yet reported
    day = root / "reports" / "2024-11-28"
    pages = sorted((day / "kilat").glob(f"*-insiden-{INJECTED}.html"))
    assert [p.name for p in pages] == [f"20241128-1400-insiden-{INJECTED}.html"]
    h = pages[0].read_text(encoding="utf-8")
    for said in (
        "TERBATAS", "DATA SIMULASI", "default-src 'none'",
        "Insiden kritis: Intimidasi, kekerasan, kamtibmas — Prabumulih Barat, Kota Prabumulih",
        "Sumatera Selatan › Kota Prabumulih › Kec. Prabumulih Barat",
        "Rabu, 27 November 2024 12.21 WIB",  # event
        "Kamis, 28 November 2024 08.56 WIB",  # report
        f"laporan insiden {INJECTED} · insiden/insiden_hari_pemungutan.csv, baris 11",
        "Minta Polres mengamankan lokasi",  # the playbook's action for a kritis kamtibmas incident
        "<strong>Polres</strong>",
        "Kamis, 28 November 2024 10.56 WIB (lewat tenggat)",  # due 2 h after the report: past at 14.00
        "Kesbangpol Kota Prabumulih", "Polres Kota Prabumulih", "Polda Sumatera Selatan",
    ):  # fmt: skip
        assert said in h, said
    index = (day / "index.html").read_text(encoding="utf-8")
    assert f'data-kilat="20241128-1400-insiden-{INJECTED}"' in index
    assert index.index('id="kilat"') < index.index("<table")  # at the top, before the packs
    rows = [r for r in kilat.read_daftar(day) if r["id"].endswith(INJECTED)]
    assert {(r["tingkat_tujuan"], r["kode_tujuan"], r["instansi"]) for r in rows} == {
        ("kabkota", "16.74", "Kesbangpol"), ("kabkota", "16.74", "Polres"),
        ("provinsi", "16", "Polda"),
    }  # fmt: skip
    assert {r["sumber"] for r in rows} == {"insiden/insiden_hari_pemungutan.csv, baris 11"}
    assert {r["waktu_data"] for r in rows} == {"2024-11-28T07:00:00+00:00"}
    assert {r["kode_wilayah"] for r in rows} == {"16.74.01"}
    memory = catalog.read(TINDAK_LANJUT_KILAT.name, root / "processed" / DROP)
    mine = memory.filter(pl.col("id_masalah") == f"insiden:{INJECTED}").row(0, named=True)
    assert mine["aktif"] and mine["id_kilat"] == f"20241128-1400-insiden-{INJECTED}"


@pytest.mark.slow
def test_a_rerun_makes_no_flash_report_and_every_run_leaves_its_status_and_log(
    night: tuple[Path, list[dict[str, object]]],
) -> None:
    root, statuses = night
    step, again = statuses[1], statuses[2]
    # the three hotspot reports of the night (INS-1674-00024, -00027, -00029), each once
    assert step["kode_keluar"] == 0 and step["kilat_baru"] == 3 and step["laporan"] == 1
    assert again["kode_keluar"] == 0 and again["kilat_baru"] == 0
    assert again["indeks"] == str(root / "reports" / "2024-11-28" / "index.html")
    log = Path(str(step["log"])).read_text(encoding="utf-8")
    assert f"kilat 20241128-1400-insiden-{INJECTED}" in log and "daily brief done" in log
    assert "laporan kilat: 0 baru" in Path(str(again["log"])).read_text(encoding="utf-8")
    assert len(list((root / "reports" / "log").glob("*.log"))) == 3


def _kepastian(bisa: bool) -> pl.DataFrame:
    row = {c: None for c in REKON_KEPASTIAN.columns} | {
        "kode_kontestasi": "pkwkk-1674", "sumber": "internal", "ada_hitungan": True,
        "unggul": 1, "kedua": 2, "margin": 1_250, "penantang": 2, "margin_penantang": 1_250,
        "efek_selisih_maks": 1_900, "tps_selisih": 12, "selisih_bisa_mengubah": bisa,
        "tps_belum": 0, "suara_maks_belum": 0, "sisa_bisa_mengubah": False, "urutan_pasti": not bisa,
        "kalimat_selisih": "Selisih terbuka <b>1.900</b> suara melebihi margin.", "kalimat_sisa": "",
    }  # fmt: skip
    return REKON_KEPASTIAN.conform(pl.DataFrame([row], schema=REKON_KEPASTIAN.polars_schema))


def test_a_discrepancy_that_newly_could_change_the_order_gets_its_page(tmp_path: Path) -> None:
    s = load_settings()
    before, now = tmp_path / "sebelum", tmp_path / "sekarang"
    for folder, bisa in ((before, False), (now, True)):
        catalog.write(_kepastian(bisa), REKON_KEPASTIAN.name, folder)
    as_of = dt.datetime(2024, 11, 28, 14, tzinfo=WIB)
    found = kilat.found_in(now, now, as_of, "16.74", s)
    assert found.contests["id_masalah"].to_list() == ["kontestasi:pkwkk-1674"]
    assert kilat.found_in(before, before, as_of, "16.74", s).ids() == set()
    assert kilat.found_in(now, now, as_of, "16.08", s).ids() == set()  # another kab/kota's race
    facts = kilat.RunFacts(as_of, as_of - dt.timedelta(hours=6), as_of, False, "g", "run sebelumnya")  # fmt: skip
    (page,) = kilat_page.pages(now, found, set(), facts, s)
    h = page.html
    assert (
        page.judul
        == "Selisih dengan KPU dapat mengubah urutan: "
        + dict(reference.contests().select("kode_kontestasi", "nama").iter_rows())["pkwkk-1674"]
    )
    assert "&lt;b&gt;1.900&lt;/b&gt;" in h and 'data-angka="margin">1.250<' in h
    assert "Kamis, 28 November 2024 16.00 WIB (dalam 2 jam sejak dilaporkan)" in h
    assert "Cocokkan segera salinan C.Hasil" in h  # the playbook's action
    assert "belum demikian pada Kamis, 28 November 2024 08.00 WIB" in h
    assert [r.nama for r in page.recipients] == [
        "Bawaslu Kota Prabumulih", "KPU Kota Prabumulih", "Kesbangpol Kota Prabumulih",
    ]  # fmt: skip
    assert "DATA SIMULASI" not in h and "TERBATAS" in h
    assert kilat_page.pages(now, found, {"kontestasi:pkwkk-1674"}, facts, s) == []


@pytest.mark.slow
def test_a_flash_report_prints_on_one_a4_page(tmp_path: Path) -> None:
    """Even with a long report and a long action (the worst the page meets), and for a contest.
    Chromium and pdfinfo are installed when missing, as for the other print tests (a skip here
    went unseen on a fresh machine, where this file runs before the browser tests install them)."""
    from test_browser import _chromium
    from test_print import _poppler

    chromium = _chromium()
    _poppler()
    s = load_settings()
    as_of = dt.datetime(2024, 11, 28, 14, tzinfo=WIB)
    facts = kilat.RunFacts(as_of, as_of - dt.timedelta(hours=6), as_of, True, "g", "run sebelumnya")  # fmt: skip
    fu = {"tindakan": "Minta Polres mengamankan lokasi dan TPS terdampak segera. " * 5,
          "instansi": "Polres", "jatuh_tempo": as_of, "tenggat": "dalam 2 jam"}  # fmt: skip
    long = "Keributan antarpendukung di sekitar lokasi; aparat berjaga. " * 8
    incident = kilat_page._incident(_incident_row(deskripsi=long), fu, facts, s)
    catalog.write(_kepastian(True), REKON_KEPASTIAN.name, tmp_path / "p")
    found = kilat.found_in(tmp_path / "p", tmp_path / "p", as_of, "16.74", s)
    (contest,) = kilat_page.pages(tmp_path / "p", found, set(), facts, s)
    for name, page in (("insiden", incident), ("selisih", contest)):
        src, pdf = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
        src.write_text(page.html, encoding="utf-8")
        subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             f"--print-to-pdf={pdf}", src.as_uri()],
            capture_output=True, check=True, timeout=120,
        )  # fmt: skip
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        assert re.search(r"^Pages:\s+1$", info.stdout, re.M), (name, info.stdout)


@pytest.mark.slow
def test_making_the_evening_before_and_the_day_again_lists_no_flash_report_twice(
    night: tuple[Path, list[dict[str, object]]],
) -> None:
    """The day made again after the evening before compares with that evening, so its three
    problems are new again: they are already on the date's delivery list, so nothing is sent twice
    (this test runs last: it adds two runs to the module's folder)."""
    root, _ = night
    raw = root / "drop" / DROP
    day = root / "reports" / "2024-11-28"
    before = kilat.read_daftar(day)
    _run(root, raw, "2024-11-27")
    status = _run(root, raw, None)
    assert kilat.read_daftar(day) == before
    assert status["kilat_baru"] == 0
    log = Path(str(status["log"])).read_text(encoding="utf-8")
    assert "laporan kilat: 0 baru" in log and "3 sudah ada di daftar kirim tanggal ini" in log


@pytest.mark.slow
def test_another_drop_for_the_same_date_makes_it_afresh_and_the_first_comes_back_whole(
    night: tuple[Path, list[dict[str, object]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """A second drop made for a date another drop made: the first drop's reports are kept beside
    the date, nothing of them (packs, flash reports, delivery list) is carried into the date's
    new reports, and the run says so on stderr; the first drop run again for the date makes its
    flash reports again (this test runs after the others on the module's folder)."""
    import shutil

    root, _ = night
    other = root / "drop" / "salinan-1674"
    shutil.copytree(root / "drop" / DROP, other)
    day = root / "reports" / "2024-11-28"
    mine = {r["id"] for r in kilat.read_daftar(day)}
    assert json.loads((day / "index.json").read_text(encoding="utf-8"))["drop"] == DROP
    assert f"20241128-1400-insiden-{INJECTED}" in mine
    capsys.readouterr()
    status = _run(root, other, None)
    err = capsys.readouterr().err
    assert f"laporan tanggal 2024-11-28 dibuat dari drop {DROP}" in err
    aside = root / "reports" / f"2024-11-28.{DROP}"
    assert {r["id"] for r in kilat.read_daftar(aside)} == mine  # the first drop's, kept
    assert json.loads((day / "index.json").read_text(encoding="utf-8"))["drop"] == "salinan-1674"
    listed = kilat.read_daftar(day)
    assert all(r["generasi"] == status["generasi"] for r in listed)  # none carried
    made = {p.name for p in (day / "kilat").glob("*.html")} if (day / "kilat").is_dir() else set()
    assert made == {r["berkas"] for r in listed}  # no page of the first drop left behind
    again = _run(root, root / "drop" / DROP, None)  # the first drop again: its flashes return
    back = kilat.read_daftar(day)
    assert {r["id"] for r in back} == mine and {r["generasi"] for r in back} == {again["generasi"]}
