"""The default demo end to end (province 16 and its kab/kota): every headline figure recounted
from the raw files, and every pack holding its own unit and nothing else, annexes included.

The recount (:mod:`recount`) reads the raw drop with csv/json/openpyxl and writes the rules again;
it imports nothing from the workbench. The figures it is compared with are read from the packs'
HTML (``data-angka``), so the whole chain ingest → validate → reconcile → pack inputs → sections is
what is checked.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from html import escape
from pathlib import Path

import polars as pl
import pytest
import recount

from analysis import daily, demo, reference
from analysis.packs.html import figures
from analysis.packs.paged import ANNEX_SUFFIX, WALL_SUFFIX
from analysis.settings import load_settings

pytestmark = pytest.mark.slow

PROVINCE = "16"
KABKOTA = "16.07"  # Banyuasin: a bupati race, TPS that differ from KPU, files with rejected rows


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("figures")
    settings = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"}
    )
    raw = root / "raw" / "demo-16"
    demo.generate(PROVINCE, settings.demo.seed, settings.demo.as_of, raw)
    args = argparse.Namespace(date=None, scope=PROVINCE, depth=1, raw=raw, workers=2)
    assert daily.run(args, settings) == 0
    reports = root / "reports" / "2024-11-28"
    pages = [reports / "provinsi" / f"{PROVINCE}.html"]
    pages += [
        reports / "kabkota" / f"{c}.html"
        for c in reference.descendants(PROVINCE, "kabkota")["kode_wilayah"]
    ]
    packs = {p.name.removesuffix(".html"): _whole(p) for p in pages}
    processed = root / "processed" / "demo-16"
    rejected = pl.read_parquet(processed / "mutu__baris_ditolak.parquet")
    return {
        "raw": raw,
        "processed": processed,
        "packs": packs,
        "rejected": rejected,
        "drop": recount.read_drop(raw, rejected),
    }


def _whole(page: Path) -> str:
    """A pack as its reader has it: the page, its technical annex and its wall edition."""
    return "\n".join(
        (page.with_name(page.name.removesuffix(".html") + s)).read_text(encoding="utf-8")
        for s in (".html", ANNEX_SUFFIX, WALL_SUFFIX)
    )


def _one(html: str, name: str, **attrs: str) -> str:
    got = figures(html, name, **attrs)
    assert len(got) == 1, (name, attrs, got)
    return got[0]


def _tag(html: str, name: str, **attrs: str) -> str:
    """The opening tag of the one figure ``name`` with these attributes."""
    tags = [
        m.group(0)
        for m in re.finditer(r"<[a-z0-9]+ [^>]*data-angka=\"" + name + r"\"[^>]*>", html)
        if all(f'data-{k.replace("_", "-")}="{v}"' in m.group(0) for k, v in attrs.items())
    ]
    assert len(tags) == 1, (name, attrs, tags)
    return tags[0]


def _contests(raw: Path, unit: str) -> tuple[list[str], list[str]]:
    """(the races a unit's pack shows in full: the gubernur race and, for a kab/kota, its own;
    every race held in or over the unit), from the drop's paslon list."""
    with (raw / "referensi" / "paslon.csv").open(encoding="utf-8") as f:
        held = sorted({r["kode_kontestasi"] for r in csv.DictReader(f)})
    full = [f"pkwkp-{PROVINCE}"] + ([f"pkwkk-{unit.replace('.', '')}"] if "." in unit else [])
    digits = unit.replace(".", "")
    return [k for k in full if k in held], [
        k for k in held if k.startswith("pkwkp-") or k.split("-")[1].startswith(digits)
    ]


def test_rejected_rows_are_faults_the_demo_injected(run: dict) -> None:
    manifest = json.loads((run["raw"] / "manifest.json").read_text(encoding="utf-8"))
    faults = {(f["file"], f.get("sheet") or "", f.get("row")) for f in manifest["faults"]}
    for r in run["rejected"].iter_rows(named=True):
        assert (r["sumber_file"], r["sumber_sheet"] or "", r["sumber_baris"]) in faults, r


@pytest.mark.parametrize("unit", [PROVINCE, KABKOTA])
def test_headline_figures_equal_a_recount_from_the_raw_files(run: dict, unit: str) -> None:
    html = run["packs"][unit]
    full, held = _contests(run["raw"], unit)
    for k in full:
        want = recount.headline(run["drop"], unit, k)
        cov = _tag(html, "cakupan_internal", wilayah=unit, kontestasi=k)
        assert f'data-tps="{want["tps_internal"]}"' in cov, (k, cov, want)
        assert f'data-tps-total="{want["tps_diharapkan"]}"' in cov, (k, cov, want)
        for nomor, suara in want["suara"].items():
            shown = _one(html, "suara_internal", wilayah=unit, kontestasi=k, paslon=str(nomor))
            assert int(shown) == suara, (k, nomor)
        for name in ("tps_keduanya", "n_cocok"):
            assert int(_one(html, name, wilayah=unit, kontestasi=k)) == want[name], (k, name)
        assert int(_one(html, "n_selisih", wilayah=unit, kontestasi=k)) == want["n_berbeda"]
        assert want["n_cocok"] + want["n_berbeda"] == want["tps_keduanya"]
    n_berbeda = sum(recount.headline(run["drop"], unit, k)["n_berbeda"] for k in held)
    assert int(_one(html, "n_berbeda", wilayah=unit)) == n_berbeda


def test_the_discrepancy_count_adds_up_across_the_province(run: dict) -> None:
    html = run["packs"][PROVINCE]
    total = int(_one(html, "n_berbeda", wilayah=PROVINCE))
    per_child = [int(v) for v in figures(html, "n_tidak_cocok")]
    assert len(per_child) == 17 and sum(per_child) == total
    kids = [int(_one(t, "n_berbeda", wilayah=c)) for c, t in run["packs"].items() if c != PROVINCE]
    assert sum(kids) == total
    listed = len(figures(html, "selisih_tps"))
    more = figures(html, "lainnya")
    assert total == listed or str(total - listed) in more, (total, listed, more)


def test_check_denominators_cover_the_whole_unit(run: dict) -> None:
    manifest = json.loads((run["raw"] / "manifest.json").read_text(encoding="utf-8"))
    incidents = manifest["totals"]["rows"]["incidents"]
    html = run["packs"][PROVINCE]
    tags = re.findall(r"<span [^>]*data-angka=\"n_gagal\"[^>]*>", html)
    assert tags
    for tag in tags:
        gagal = int(re.search(r'data-nilai="(\d+)"', tag).group(1))
        diperiksa = int(re.search(r'data-diperiksa="(\d+)"', tag).group(1))
        assert diperiksa > gagal, tag
    lokasi = _tag(html, "n_gagal", pemeriksaan="lokasi_ada")
    assert f'data-diperiksa="{incidents}"' in lokasi


def test_files_rejected_whole_are_named_in_the_packs_of_their_unit(run: dict) -> None:
    manifest = json.loads((run["raw"] / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["internal"]["unreadable_files"]:
        name = Path(f["file"]).name
        unit = recount.kabkota_of_name(name)
        holding = {u for u, html in run["packs"].items() if name in html}
        assert holding == {PROVINCE, unit}, (name, holding)


def test_truncated_tables_say_how_many_more(run: dict) -> None:
    accounting = pl.read_parquet(run["processed"] / "mutu__neraca_berkas.parquet")
    problems = accounting.filter((pl.col("status") != "diterima") | (pl.col("baris_ditolak") > 0))
    html = run["packs"][PROVINCE]
    part = html[html.index("Berkas dengan penolakan") :]
    shown = part[: part.index("</table>")].count("<tr") - 1  # rows the print leaves out count too
    assert shown < problems.height
    assert str(problems.height - shown) in figures(html, "lainnya")


def test_the_comparison_marks_internal_figures_unofficial(run: dict) -> None:
    for html in run["packs"].values():
        part = html[html.index('id="banding"') : html.index('id="insiden"')]
        assert part.count("bukan hasil resmi") >= 3


# --- A pack holds its unit and nothing else ------------------------------------------------------


def _outside(code: str, unit: str) -> bool:
    return not (code == unit or code.startswith(unit + ".") or unit.startswith(code + "."))


def _leaks(
    html: str, unit: str, names: list[tuple[str, str]], reasons: dict[str, set[str]]
) -> list[str]:
    """Codes, names and quoted figures of units outside ``unit``'s subtree found in a pack."""
    html = re.sub(r"<svg.*?</svg>", "", html, flags=re.S)
    attrs = re.findall(r'data-(?:wilayah|tps)="([0-9.]+)"', html)
    found = [c for c in attrs if "." in c and _outside(c, unit)]
    text = re.sub(r"<[^>]+>", " ", html)  # what a reader sees
    deep = re.findall(r"\b\d{2}\.\d{2}\.\d{2}(?:\.\d{4})?\b", text)
    kab = re.findall(r"\b(\d{2}\.\d{2})\b(?! ?WI)", text)  # not a time ("14.00 WIB")
    known = {c for c, _ in names}
    found += [c for c in deep + [k for k in kab if k in known] if _outside(c, unit)]
    for tps in re.findall(r"\b\d{13}\b", text) + [a for a in attrs if len(a) == 13]:
        if _outside(f"{tps[:2]}.{tps[2:4]}.{tps[4:6]}.{tps[6:10]}", unit):
            found.append(tps)
    for m in re.findall(r"hitung_(\d{4})_", text):
        if _outside(f"{m[:2]}.{m[2:]}", unit):
            found.append(f"hitung_{m}")
    for code, name in names:  # a name not followed by a longer one's words ("… Ulu Timur")
        if _outside(code, unit) and re.search(re.escape(name) + r"(?![ \w]*\w)", text):
            found.append(name)
    for reason, codes in reasons.items():
        if all(_outside(c, unit) for c in codes) and reason in html:
            found.append(reason)
    return found


def test_every_pack_holds_only_its_own_subtree(run: dict) -> None:
    kabkota = reference.descendants(PROVINCE, "kabkota")
    names: list[tuple[str, str]] = []
    for code, nama in zip(kabkota["kode_wilayah"], kabkota["nama"], strict=True):
        head = "Walikota" if nama.startswith("Kota") else "Bupati"
        names += [(code, nama), (code, f"{head} {re.sub(r'^(Kabupaten|Kota) ', '', nama)}")]
    reasons: dict[
        str, set[str]
    ] = {}  # each rejected row's reason as a pack shows it: its files' kab/kota
    for r in run["rejected"].iter_rows(named=True):
        text = escape(r["alasan"][0], quote=True)
        reasons.setdefault(text, set()).add(recount.kabkota_of_name(r["sumber_file"]))
    leaks = {
        unit: sorted(set(found))[:10]
        for unit, text in run["packs"].items()
        if (found := _leaks(text, unit, names, reasons))
    }
    assert not leaks, leaks
