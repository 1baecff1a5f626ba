"""End to end through `make daily-brief`'s code path on a small demo scope (Kota Prabumulih).

What a reader sees in the HTML — coverage, votes per paslon, turnout, discrepancy counts, incident
counts — must equal what this test computes itself from the processed data.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import polars as pl
import pytest

from analysis import catalog, daily, demo, reference
from analysis.domain import regions
from analysis.schemas import INCIDENTS, RECON_TPS, TALLY, TALLY_VOTES, TPS
from analysis.settings import load_settings

pytestmark = pytest.mark.slow

SCOPE = "16.74"
CONTEST = "pkwkk-1674"


def figures(html: str, name: str, **attrs: str) -> list[str]:
    """``data-nilai`` of every element with ``data-angka=name`` and the given data-* attributes."""
    out = []
    for m in re.finditer(r"<[a-z0-9]+ [^>]*data-angka=\"" + re.escape(name) + r"\"[^>]*>", html):
        tag = m.group(0)
        if all(f'data-{k.replace("_", "-")}="{v}"' in tag for k, v in attrs.items()):
            nil = re.search(r'data-nilai="([^"]*)"', tag)
            out.append(nil.group(1) if nil else "")
    return out


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("daily")
    settings = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"}
    )
    raw = root / "raw" / "demo-1674"
    demo.generate(SCOPE, settings.demo.seed, settings.demo.as_of, raw)
    args = argparse.Namespace(date=None, scope=SCOPE, depth=1, raw=raw, workers=2)
    code = daily.run(args, settings)
    processed = root / "processed" / "demo-1674"
    reports = root / "reports" / "2024-11-28"
    return {"code": code, "processed": processed, "reports": reports, "settings": settings}


def _current(df: pl.DataFrame, as_of, time_col: str) -> pl.DataFrame:
    """The version in force as of ``as_of`` per TPS × contest, computed independently here."""
    return (
        df.filter(pl.col(time_col) <= as_of)
        .sort(time_col)
        .group_by("kode_tps", "kode_kontestasi")
        .agg(pl.all().last())
    )


def test_daily_brief_makes_every_pack_and_an_index(run: dict) -> None:
    assert run["code"] == 0
    index = (run["reports"] / "index.html").read_text(encoding="utf-8")
    kab = (run["reports"] / "kabkota" / f"{SCOPE}.html").read_text(encoding="utf-8")
    assert "Kota Prabumulih" in index and "DATA SIMULASI" in index
    assert "DATA SIMULASI" in kab and "TERBATAS" in kab
    listed = json.loads((run["reports"] / "index.json").read_text(encoding="utf-8"))["packs"]
    expected = {SCOPE, *reference.descendants(SCOPE, "kecamatan")["kode_wilayah"].to_list()}
    assert {p["kode_wilayah"] for p in listed} == expected
    assert all(p["status"] == "ok" for p in listed)
    for p in listed:  # the executed notebook of every pack is kept beside its HTML
        assert (run["reports"] / p["ipynb"]).exists() and (run["reports"] / p["html"]).exists()


def test_figures_in_the_html_equal_the_processed_data(run: dict) -> None:
    processed: Path = run["processed"]
    as_of = run["settings"].demo.as_of
    html = (run["reports"] / "kabkota" / f"{SCOPE}.html").read_text(encoding="utf-8")

    ref_tps = catalog.read(TPS.name, root=processed)
    tally = _current(catalog.read(TALLY.name, root=processed), as_of, "waktu_laporan")
    tally = tally.filter(pl.col("kode_kontestasi") == CONTEST)
    expected_tps = ref_tps.filter(pl.col("kode_desa").str.starts_with(SCOPE + ".")).height
    coverage = float(figures(html, "cakupan_internal", wilayah=SCOPE, kontestasi=CONTEST)[0])
    assert coverage == pytest.approx(tally.height / expected_tps, abs=1e-4)

    votes = catalog.read(TALLY_VOTES.name, root=processed).join(
        tally.select("kode_tps", "kode_kontestasi", "waktu_laporan"),
        on=["kode_tps", "kode_kontestasi", "waktu_laporan"],
    )
    per_paslon = dict(votes.group_by("nomor_urut").agg(pl.col("suara").sum()).iter_rows())
    for nomor, total in per_paslon.items():
        shown = figures(html, "suara_internal", kontestasi=CONTEST, paslon=str(nomor))
        assert shown and int(shown[0]) == total, (nomor, shown, total)

    dpt = tally.join(ref_tps.select("kode_tps", pl.col("pemilih_dpt").alias("dpt")), on="kode_tps")
    turnout = dpt["pengguna_total"].sum() / dpt["dpt"].sum()
    shown_turnout = float(figures(html, "partisipasi", wilayah=SCOPE, kontestasi=CONTEST)[0])
    assert shown_turnout == pytest.approx(turnout, abs=5e-4)

    recon = catalog.read(RECON_TPS.name, root=processed).filter(
        pl.col("kode_kontestasi") == CONTEST
    )
    for status in ("cocok", "selisih", "hanya_internal", "hanya_kpu"):  # the comparison alone
        n = recon.filter(pl.col("status_banding") == status).height
        assert figures(html, f"n_{status}", kontestasi=CONTEST) == [str(n)], status
    n = recon.filter(pl.col("kpu_direvisi")).height  # counted apart
    assert figures(html, "n_kpu_direvisi", kontestasi=CONTEST) == [str(n)]
    assert recon.filter(pl.col("status") == "selisih").height > 0  # the demo injects some

    # a report without any location counts at the highest level known: this drop's TPS all lie
    # in SCOPE, so its pack counts them (issue 11)
    unlocated = pl.col("kode_wilayah").is_null() & pl.col("kode_tps").is_null()
    incidents = catalog.read(INCIDENTS.name, root=processed).filter(
        pl.col("kode_wilayah").str.starts_with(SCOPE + ".")
        | (pl.col("kode_wilayah") == SCOPE)
        | unlocated
    )
    assert figures(html, "insiden_total", wilayah=SCOPE) == [str(incidents.height)]
    kritis = incidents.filter(pl.col("tingkat_keparahan") == "kritis").height
    assert figures(html, "insiden_kritis", wilayah=SCOPE) == [str(kritis)]


def test_a_pack_holds_only_its_own_unit(run: dict) -> None:
    html = (run["reports"] / "kabkota" / f"{SCOPE}.html").read_text(encoding="utf-8")
    codes = set(re.findall(r'data-wilayah="([0-9.]+)"', html))
    assert codes and all(c == SCOPE or c.startswith(SCOPE + ".") for c in codes), codes


# --- The first screen, the status against the manifest, the index (issue 12) ------------------------


def _leader_and_counted(processed: Path, as_of, contest: str) -> tuple[int, float, float]:
    """(leading paslon, its share of valid votes, share of expected TPS counted) in SCOPE for a
    contest, from the count versions in force, computed here."""
    ref_tps = catalog.read(TPS.name, root=processed).filter(
        pl.col("kode_desa").str.starts_with(SCOPE + ".")
    )
    tally = _current(catalog.read(TALLY.name, root=processed), as_of, "waktu_laporan").filter(
        (pl.col("kode_kontestasi") == contest)
        & pl.col("kode_tps").is_in(ref_tps["kode_tps"].implode())
    )
    votes = catalog.read(TALLY_VOTES.name, root=processed).join(
        tally.select("kode_tps", "kode_kontestasi", "waktu_laporan"),
        on=["kode_tps", "kode_kontestasi", "waktu_laporan"],
    )
    per = (
        votes.group_by("nomor_urut")
        .agg(pl.col("suara").sum())
        .sort(["suara", "nomor_urut"], descending=[True, False])
    )
    return per["nomor_urut"][0], per["suara"][0] / per["suara"].sum(), tally.height / ref_tps.height


def _on_first_screen(page: Path) -> dict:
    """Open ``page`` at 390×844 in headless Chromium; the first screen's figures with their box."""
    from test_browser import Browser, _chromium

    b = Browser(_chromium())
    try:
        target = b.send("Target.createTarget", url="about:blank")["targetId"]
        s = b.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            b.send(f"{domain}.enable", s)
        b.send(
            "Emulation.setDeviceMetricsOverride",
            s,
            width=390,
            height=844,
            deviceScaleFactor=3,
            mobile=True,
        )
        b.send("Page.navigate", s, url=page.as_uri())
        b.wait_for("Page.loadEventFired")
        b.drain(1.0)
        seen = b.send(
            "Runtime.evaluate",
            s,
            returnByValue=True,
            expression="""JSON.stringify([...document.querySelectorAll('#jawaban [data-angka]')]
                .map(e => ({angka: e.dataset.angka, nilai: e.dataset.nilai || null,
                            kontestasi: e.dataset.kontestasi || null, teks: e.innerText,
                            bottom: e.getBoundingClientRect().bottom,
                            right: e.getBoundingClientRect().right})))""",
        )
        shot = b.send("Page.captureScreenshot", s, format="png")["data"]
        requests = [
            e["params"]["request"]["url"]
            for e in b.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
        return {"figures": json.loads(seen["result"]["value"]), "png": shot, "requests": requests}
    finally:
        b.close()


def test_first_phone_screen_holds_the_answer_per_contest(run: dict, tmp_path: Path) -> None:
    """At 390×844 the first screen holds, for each contest of the kab/kota pack, the leader, its
    share and the counted share, and the critical incident count — equal to the processed data;
    no request leaves the page."""
    import base64

    page = run["reports"] / "kabkota" / f"{SCOPE}.html"
    seen = _on_first_screen(page)
    (tmp_path / "layar_pertama.png").write_bytes(base64.b64decode(seen["png"]))
    assert [u for u in seen["requests"] if not u.startswith("file:")] == []
    figs = seen["figures"]
    visible = [f for f in figs if f["bottom"] <= 844 and f["right"] <= 390]
    as_of = run["settings"].demo.as_of
    for contest in ("pkwkp-16", CONTEST):
        lead, share, counted = _leader_and_counted(run["processed"], as_of, contest)
        mine = {f["angka"]: f for f in visible if f["kontestasi"] == contest}
        assert {"unggul", "porsi_unggul", "cakupan_jawaban"} <= set(mine), (contest, figs)
        assert int(mine["unggul"]["nilai"]) == lead
        assert float(mine["porsi_unggul"]["nilai"]) == pytest.approx(share, abs=1e-9)
        assert float(mine["cakupan_jawaban"]["nilai"]) == pytest.approx(counted, abs=1e-9)
    kritis = [f for f in visible if f["angka"] == "insiden_kritis_terbuka"]
    assert len(kritis) == 1
    prepared = catalog.read("paket__insiden", root=run["processed"])
    from analysis.analyse import incidents

    open_kritis = (
        incidents.prepare(prepared, SCOPE, as_of)
        .filter(pl.col("terbuka") & (pl.col("tingkat_keparahan") == "kritis"))
        .height
    )
    assert int(kritis[0]["nilai"]) == open_kritis


#: Injected faults that bear on a unit's status: they make the internal count and KPU differ.
STATUS_FAULTS = frozenset(
    {
        "typing_discrepancy",
        "kpu_ocr_hundreds",
        "kpu_sum_mismatch",
        "kpu_revision",
        "kpu_psu",
        "sum_mismatch",
    }
)


def _troubled(manifest: dict) -> set[str]:
    """Kecamatan of the drop with injected trouble: a fault that makes the sources differ at one
    of its TPS, a kritis or tinggi incident placed in it, or a hotspot."""
    out: set[str] = set()
    for f in manifest["faults"]:
        if f.get("kode_tps") and f["kind"] in STATUS_FAULTS:
            out.add(regions.ancestor_at(regions.tps_desa(f["kode_tps"]), 3))
    for e in manifest["incidents"]:
        code = e.get("kode_wilayah") or (
            regions.tps_desa(e["kode_tps"]) if e.get("kode_tps") else None
        )
        if code and regions.depth(code) >= 3 and e["tingkat_keparahan"] in ("kritis", "tinggi"):
            out.add(regions.ancestor_at(code, 3))
    out |= {h["kode_kecamatan"] for h in manifest["hotspots"]}
    return out


def test_status_of_kecamatan_against_the_manifest(run: dict) -> None:
    """Kecamatan with no injected trouble are aman (every unit that is not has some); none is
    kritis without a verified critical incident, an order-changing discrepancy or coverage far
    below the expected curve."""
    raw = run["processed"].parent.parent / "raw" / "demo-1674"
    manifest = json.loads((raw / "manifest.json").read_text(encoding="utf-8"))
    st = catalog.read("paket__status_wilayah", root=run["processed"]).filter(
        pl.col("kode_induk") == SCOPE
    )
    assert st.height == reference.descendants(SCOPE, "kecamatan").height
    troubled = _troubled(manifest)
    calm = st.filter(~pl.col("kode_wilayah").is_in(sorted(troubled)))
    assert calm["status"].to_list() == ["aman"] * calm.height, calm
    flagged = st.filter(pl.col("status") != "aman")["kode_wilayah"].to_list()
    assert set(flagged) <= troubled
    kritis = st.filter(pl.col("status") == "kritis")
    reasons = (
        (pl.col("n_kritis_terverifikasi") > 0)
        | (pl.col("n_kontestasi_berubah") > 0)
        | (pl.col("cakupan_internal") < 0.5 * pl.col("cakupan_harapan"))
    )
    assert kritis.filter(~reasons).is_empty()


def test_index_shows_data_time_status_and_links(run: dict) -> None:
    index = (run["reports"] / "index.html").read_text(encoding="utf-8")
    assert "data per Kamis, 28 November 2024 14.00 WIB" in index
    assert "notebook</a>" in index and 'href="../arsip.html"' in index
    listed = json.loads((run["reports"] / "index.json").read_text(encoding="utf-8"))["packs"]
    assert {p["status_wilayah"] for p in listed} <= {"aman", "perhatian", "kritis"}
    archive = (run["reports"].parent / "arsip.html").read_text(encoding="utf-8")
    assert 'href="2024-11-28/index.html"' in archive
    assert ">Kamis, 28 November 2024</a>" in archive  # the date as a reader writes it
    assert 'class="tanda-simulasi">DATA SIMULASI' in archive  # the demo date's own mark
    assert "sandi tidak diatur" not in index and "/.config/" not in index  # no machine paths
    kab = (run["reports"] / "kabkota" / f"{SCOPE}.html").read_text(encoding="utf-8")
    for kec in reference.descendants(SCOPE, "kecamatan")["kode_wilayah"]:
        assert f'href="../kecamatan/{kec}.html"' in kab  # down to each child's pack
    kec = reference.descendants(SCOPE, "kecamatan")["kode_wilayah"][0]
    kec_page = (run["reports"] / "kecamatan" / f"{kec}.html").read_text(encoding="utf-8")
    assert f'href="../kabkota/{SCOPE}.html"' in kec_page  # and up to the parent's
    assert "../provinsi/16.html" not in kab  # no link to a pack this run did not make


def test_reader_text_names_no_dataset(run: dict) -> None:
    """No internal dataset name in what a reader sees (issue 12)."""
    for page in run["reports"].rglob("*.html"):
        text = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
        hits = re.findall(
            r"\b(?:internal|sirekap|rekon|mutu|paket|analitik|ref)__\w+|tally_tps", text
        )
        assert hits == [], (page.name, hits[:5])


def test_packs_carry_no_link_to_kpu_photos(run: dict) -> None:
    """Issue 14 item 6: the C.Hasil photo links of KPU's records (the demo's records carry them)
    stay in the data and the analyst's view; no page a reader forwards links to KPU's servers."""
    raw = run["processed"].parents[1] / "raw" / "demo-1674"
    record = next((raw / "kpu").glob("*/tps/*/*.json")).read_text(encoding="utf-8")
    assert "sirekap-obj" in record  # the demo's records do carry photo links
    for page in run["reports"].rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "sirekap-obj" not in html and "kpu.go.id" not in html, page.name
