"""Bundles per recipient: exactly the recipient's units, the locked edition where made, a manifest
whose SHA-256 match, and the same zip for the same files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from analysis.packs.bundle import make_bundles
from analysis.packs.paged import annex_path, wall_path
from analysis.packs.results import BriefResult, PackResult, ShareOutcome
from analysis.settings import Share

MADE = dt.datetime(2024, 11, 28, 7, 30, tzinfo=dt.UTC)
UNITS = {
    "16": ("provinsi", "Sumatera Selatan"),
    "16.71": ("kabkota", "Kota Palembang"),
    "16.72": ("kabkota", "Kota Pagar Alam"),
    "16.71.01": ("kecamatan", "Ilir Barat II"),
    "16.72.01": ("kecamatan", "Dempo Selatan"),
}


def _pack(out: Path, kode: str, locked: bool, status: str = "ok") -> PackResult:
    tingkat, nama = UNITS[kode]
    folder = out / tingkat
    folder.mkdir(parents=True, exist_ok=True)
    html = folder / f"{kode}.html"
    html.write_text(f"<p>{nama}</p>", encoding="utf-8")
    for edition in (annex_path(html), wall_path(html)):  # the pages beside it, linked from it
        edition.write_text(f"<p>{nama}</p>", encoding="utf-8")
    annex = folder / f"{kode}.xlsx"
    annex.write_bytes(f"xlsx {kode}".encode())
    share = ShareOutcome(annex=annex, annex_inside=locked)
    if locked:
        share = ShareOutcome(folder / f"{kode}.terkunci.html", annex, True)
        share.locked.write_text(f"terkunci {kode}", encoding="utf-8")
    return PackResult(kode, tingkat, nama, status, html.with_suffix(".ipynb"), html, 10, 1.0, share=share)  # fmt: skip


def _result(tmp_path: Path, locked: bool = True, failed: str = "") -> BriefResult:
    out = tmp_path / "reports" / "2024-11-28"
    r = BriefResult(dt.date(2024, 11, 28), "16", 2, out, out / "index.html", demo=True)
    r.packs = [_pack(out, k, locked, "gagal" if k == failed else "ok") for k in UNITS]
    return r


SHARE = Share.model_validate(
    {
        "recipients": {
            "provinsi": [
                {"id": "sekda-16", "name": "Sekda", "units": ["16"], "descendants": False},
                {"id": "kesbangpol-16", "name": "Kesbangpol", "units": ["16"]},
            ],
            "kabkota": [{"id": "desk-{kode}", "name": "Desk Pilkada {nama}", "units": "each"}],
        }
    }
)


def _entries(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        return z.namelist()


def test_each_bundle_holds_exactly_its_units(tmp_path):
    result = _result(tmp_path)
    bundles = {b.id: b for b in make_bundles(result, SHARE, MADE)}
    assert sorted(bundles) == ["desk-16.71", "desk-16.72", "kesbangpol-16", "sekda-16"]
    files = ["BACA-DULU.txt", "manifes.json"]
    assert _entries(bundles["sekda-16"].path) == ["16.terkunci.html", *files]
    assert _entries(bundles["desk-16.71"].path) == [
        "16.71.01.terkunci.html", "16.71.terkunci.html", *files,
    ]  # fmt: skip
    assert _entries(bundles["desk-16.72"].path) == [
        "16.72.01.terkunci.html", "16.72.terkunci.html", *files,
    ]  # fmt: skip
    assert len(_entries(bundles["kesbangpol-16"].path)) == len(UNITS) + 2
    assert bundles["desk-16.71"].nama == "Desk Pilkada Kota Palembang"


def test_manifest_says_what_for_whom_when_with_sha256(tmp_path):
    result = _result(tmp_path)
    b = {b.id: b for b in make_bundles(result, SHARE, MADE)}["desk-16.71"]
    with zipfile.ZipFile(b.path) as z:
        doc = json.loads(z.read("manifes.json"))
        for row in doc["berkas"]:
            assert hashlib.sha256(z.read(row["nama"])).hexdigest() == row["sha256"]
        readme = z.read("BACA-DULU.txt").decode()
    assert doc["penerima"] == {
        "id": "desk-16.71", "nama": "Desk Pilkada Kota Palembang", "tingkat": "kabkota",
        "wilayah": ["16.71"],
    }  # fmt: skip
    assert doc["klasifikasi"] == "TERBATAS" and doc["data_simulasi"] is True
    assert doc["dibuat_pada"] == "2024-11-28T07:30:00+00:00"
    assert {r["wilayah"] for r in doc["berkas"]} == {"16.71", "16.71.01"}
    assert readme.startswith("TERBATAS\nDATA SIMULASI") and "kata sandi" in readme


def test_open_packs_travel_with_their_annex(tmp_path):
    result = _result(tmp_path, locked=False)
    b = {b.id: b for b in make_bundles(result, SHARE, MADE)}["desk-16.72"]
    assert _entries(b.path) == [
        "16.72.01.html", "16.72.01.lampiran.html", "16.72.01.layar.html", "16.72.01.xlsx",
        "16.72.html", "16.72.lampiran.html", "16.72.layar.html", "16.72.xlsx", "BACA-DULU.txt",
        "manifes.json",
    ]  # fmt: skip


def test_locked_packs_travel_without_their_open_pages(tmp_path):
    b = {b.id: b for b in make_bundles(_result(tmp_path), SHARE, MADE)}["desk-16.72"]
    assert not [n for n in _entries(b.path) if n.endswith((".lampiran.html", ".layar.html"))]


def test_same_files_same_zip(tmp_path):
    result = _result(tmp_path)
    first = {b.id: b.path.read_bytes() for b in make_bundles(result, SHARE, MADE)}
    again = {b.id: b.path.read_bytes() for b in make_bundles(result, SHARE, MADE)}
    assert first == again
    with zipfile.ZipFile(result.out_dir / "kiriman" / "sekda-16.zip") as z:
        assert {i.date_time for i in z.infolist()} == {(2024, 11, 28, 0, 0, 0)}


def test_a_bundle_of_carried_packs_is_kept_with_the_time_it_was_made(tmp_path):
    """An incremental run (analysis.packs.carry) keeps the zip of a recipient all of whose packs
    were carried over, as it was made; a bundle holding a pack rendered again is made anew."""
    result = _result(tmp_path)
    make_bundles(result, SHARE, MADE)
    before = {p.name: p.read_bytes() for p in (result.out_dir / "kiriman").glob("*.zip")}
    for p in result.packs:  # 16.72.01 rendered again (and its ancestors), the rest carried
        p.berubah = p.kode_wilayah not in ("16.71", "16.71.01")
    p = next(p for p in result.packs if p.kode_wilayah == "16.72.01")
    p.locked.write_text("terkunci 16.72.01, data baru", encoding="utf-8")
    later = MADE + dt.timedelta(hours=1)
    bundles = {b.id: b for b in make_bundles(result, SHARE, later)}
    after = {p.name: p.read_bytes() for p in (result.out_dir / "kiriman").glob("*.zip")}
    assert after["desk-16.71.zip"] == before["desk-16.71.zip"]  # kept, made at 07.30
    assert bundles["desk-16.71"].files == sorted(_entries(bundles["desk-16.71"].path))
    for changed in ("desk-16.72.zip", "kesbangpol-16.zip"):
        assert after[changed] != before[changed]
        with zipfile.ZipFile(result.out_dir / "kiriman" / changed) as z:
            assert json.loads(z.read("manifes.json"))["dibuat_pada"].startswith("2024-11-28T08:30")
    # a carried pack whose file is not the one in the zip (another size): written again
    for p in result.packs:
        p.berubah = False
    p.locked.write_text("terkunci", encoding="utf-8")
    make_bundles(result, SHARE, later)
    with zipfile.ZipFile(result.out_dir / "kiriman" / "desk-16.72.zip") as z:
        assert z.read("16.72.01.terkunci.html") == b"terkunci"


def test_a_failed_pack_withholds_its_recipients_bundle(tmp_path):
    result = _result(tmp_path, failed="16.71.01")
    bundles = {b.id: b for b in make_bundles(result, SHARE, MADE)}
    assert bundles["desk-16.71"].path is None and "16.71.01" in bundles["desk-16.71"].reason
    assert bundles["kesbangpol-16"].path is None
    assert bundles["desk-16.72"].path is not None and bundles["sekda-16"].path is not None
    assert not (result.out_dir / "kiriman" / "desk-16.71.zip").exists()


def test_a_recipient_outside_the_run_gets_no_bundle(tmp_path):
    result = _result(tmp_path)
    share = Share.model_validate(
        {"recipients": {"provinsi": [{"id": "sekda-31", "name": "x", "units": ["31"]}]}}
    )
    (b,) = make_bundles(result, share, MADE)
    assert b.path is None and "tidak ada laporan" in b.reason


@pytest.mark.parametrize("bad", ["../x", "Desk", "a b", "desk-{nama}"])
def test_recipient_ids_are_file_names(bad):
    with pytest.raises(ValueError):
        Share.model_validate({"recipients": {"kabkota": [{"id": bad, "name": "x", "units": []}]}})


@pytest.mark.parametrize(
    ("units", "descendants"),
    [
        (("16",), True),
        (("16.71", "32"), True),
        (("16.7",), True),
        (("00",), True),
        (("16.71", "16"), False),
        (("99",), True),
    ],
)
def test_bundle_members_are_the_units_and_their_descendants(units, descendants):
    """The packs a bundle takes, found by code order, are those its units hold (checked against
    the definition, pack by pack)."""
    from analysis.domain import regions
    from analysis.packs.bundle import Addressee, members

    codes = ["00", "16", "16.7", "16.71", "16.71.01", "16.72", "16.710", "32", "32.01", "3"]
    packs = [PackResult(c, "kabkota", c, "ok", None, None, 0, 0.0) for c in reversed(codes)]
    a = Addressee("x", "X", "kabkota", units, descendants)
    want = sorted(
        c
        for c in codes
        if (any(regions.is_inside(c, u) for u in units) if descendants else c in units)
    )
    assert [p.kode_wilayah for p in members(a, packs)] == want
