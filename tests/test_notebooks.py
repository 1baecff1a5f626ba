"""The analysts' notebooks as ``make lab`` opens them: each runs on the kernel it declares, found
where Jupyter looks for registered kernels, and shows readable tables, times in the desk's zone and
charts that need no internet.

The slow tests run every notebook in ``notebooks/`` with papermill on a small demo (Kota
Prabumulih, taken through the daily brief's stages up to the pack inputs), with the project kernel
registered into a temporary folder on ``JUPYTER_PATH`` exactly as ``make lab`` registers it, and open
the exploration notebook's output in headless Chromium with the network closed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import nbformat
import polars as pl
import pytest

from analysis import explore, kernelspec, lab
from analysis.notebook_hygiene import dirty_notebooks

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SCOPE = "16.74"
UTC = dt.UTC


def _stored(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


ALL = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))


# --- The kernel and Lab's settings ------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_every_notebook_declares_the_project_kernel(name: str) -> None:
    spec = _stored(name).metadata["kernelspec"]
    assert spec["name"] == kernelspec.KERNEL_NAME == "desk-pilkada"
    assert spec["display_name"] == "Desk Pilkada (analysis)" and spec["language"] == "python"


@pytest.mark.parametrize("name", ALL)
def test_notebooks_are_stored_clean_and_only_call_the_library(name: str) -> None:
    assert not dirty_notebooks(NOTEBOOKS)
    code = [c.source for c in _stored(name).cells if c.cell_type == "code"]
    assert not any(re.search(r"^\s*(def|class|lambda)\b|\blambda\b", s, re.M) for s in code)


def test_the_registered_kernel_is_found_on_the_jupyter_path(tmp_path, monkeypatch) -> None:
    """What `make lab` registers is what Jupyter finds under that name: this interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager

    folder = kernelspec.install(tmp_path)
    assert folder == tmp_path / "share" / "jupyter" / "kernels" / "desk-pilkada"
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    spec = KernelSpecManager().get_kernel_spec(kernelspec.KERNEL_NAME)
    assert spec.argv[0] == sys.executable and spec.display_name == kernelspec.DISPLAY_NAME


def test_the_pack_runner_needs_no_registration(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    spec = kernelspec.ProjectKernelSpecs().get_kernel_spec(kernelspec.KERNEL_NAME)
    assert spec.argv[0] == sys.executable and spec.language == "python"


def test_lab_environment_is_configured_against_news_and_foreign_kernels(tmp_path) -> None:
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    written = lab.configure(tmp_path)
    assert len(written) == 3 and all(p.exists() for p in written)
    settings = json.loads((tmp_path / lab.SETTINGS_FILE).read_text())
    notification = settings["@jupyterlab/apputils-extension:notification"]
    assert notification == {"fetchNews": "false", "checkForUpdates": False}
    server = json.loads((tmp_path / lab.SERVER_FILE).read_text())
    assert server["LabApp"]["news_url"] is None
    assert server["KernelSpecManager"]["allowed_kernelspecs"] == ["desk-pilkada"]
    assert server["MultiKernelManager"]["default_kernel_name"] == "desk-pilkada"
    kernel = json.loads((written[0] / "kernel.json").read_text())
    assert kernel["argv"][0] == sys.executable


def test_lab_refuses_a_folder_that_is_no_environment(tmp_path) -> None:
    assert lab.main([str(tmp_path / "nowhere")]) == 2


# --- Tables an analyst reads -----------------------------------------------------------------


def _frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kode_wilayah": ["16.74.01"],
            "tps_internal": [1234567],
            "cakupan_internal": [0.8382],
            "status": ["hanya_internal"],
            "tingkat_keparahan": ["kritis"],
            "keparahan_label": ["Kritis"],
            "nomor_urut": [1],
            "dijelaskan_validasi": [True],
            "median_jam": [2.25],
            "nilai": [4.187],
            "waktu_laporan": [dt.datetime(2024, 11, 28, 7, 5, tzinfo=UTC)],
        }
    )


def test_readable_table_has_indonesian_labels_numbers_and_desk_time() -> None:
    shown = explore.readable(_frame(), "16.74")
    assert shown.columns == [
        "Kode wilayah",
        "TPS internal",
        "Cakupan internal",
        "Status",
        "Keparahan",  # the code column beside its words is left out
        "No. urut",
        "Dijelaskan validasi",
        "Median (jam)",
        "Nilai",
        "Waktu laporan",
    ]
    assert shown.row(0) == (
        "16.74.01",
        "1.234.567",
        "83,82%",
        "hanya internal",
        "Kritis",
        "1",
        "ya",
        "2,2",
        "4,187",
        "28 November 2024 14.05 WIB",
    )


@pytest.mark.parametrize(("unit", "shown"), [("51", "15.05 WITA"), ("91", "16.05 WIT")])
def test_times_are_in_the_desks_zone(unit: str, shown: str) -> None:
    assert explore.readable(_frame(), unit)["Waktu laporan"][0].endswith(shown)
    local = explore.local_times(_frame(), unit)["waktu_laporan"]
    assert local.dtype == pl.Datetime("us", {"51": "Asia/Makassar", "91": "Asia/Jayapura"}[unit])


def test_table_view_hides_the_index_and_says_what_is_cut() -> None:
    df = pl.concat([_frame()] * 5).with_columns(pl.lit("kata " * 40).alias("deskripsi"))
    html = explore.table(df, "16", max_rows=2).to_html()
    assert "2 dari 5 baris" in html and "Cakupan internal" in html
    assert "cakupan_internal" not in html and "83,82%" in html
    assert "white-space: nowrap" in html  # a time stays on one line
    cell = explore.readable(df.head(1))["Deskripsi"][0]
    assert len(cell) == explore.tables.MAX_CHARS and cell.endswith("…")


def test_night_times_cover_the_night_with_a_bounded_number_of_steps() -> None:
    first = dt.datetime(2024, 11, 27, 6, 20, tzinfo=UTC)
    last = dt.datetime(2024, 11, 28, 7, tzinfo=UTC)
    times = explore.frames.night_times(first, last)
    assert times[0] == dt.datetime(2024, 11, 27, 6, tzinfo=UTC) and times[-1] == last
    assert len(times) == 26
    long = explore.frames.night_times(first, last + dt.timedelta(days=10))
    assert len(long) <= explore.frames.MAX_STEPS + 1


@pytest.mark.parametrize(
    ("unit", "contest"),
    [("16.74", "pkwkk-1674"), ("16.74.01", "pkwkk-1674"), ("16", "pkwkp-16"), ("00", "ppwp")],
)
def test_default_contest_is_the_units_own_race(unit: str, contest: str) -> None:
    contests = ["pkwkk-1671", "pkwkk-1674", "pkwkp-16"] + (["ppwp"] if unit == "00" else [])
    assert explore.default_contest(unit, contests) == contest


def _bundle(chart) -> dict:
    """What IPython gets from a chart (Altair returns the data, or (data, metadata))."""
    out = chart._repr_mimebundle_()
    return out[0] if isinstance(out, tuple) else out


def _chart():
    import altair as alt

    return (
        alt.Chart(pl.DataFrame({"a": ["x"], "b": [1234]}).to_pandas())
        .mark_bar()
        .encode(x="b:Q", y="a:N")
    )


def test_charts_are_drawn_as_svg_in_the_kernel() -> None:
    import altair as alt

    chart = _chart()
    previous = alt.renderers.active
    try:
        assert "cdn.jsdelivr.net" in _bundle(chart)["text/html"]  # Altair's default
        explore.enable_charts()
        bundle = _bundle(chart)
        assert list(bundle) == ["image/svg+xml"] and "<svg" in bundle["image/svg+xml"]
        assert "http://" not in bundle["image/svg+xml"].replace("http://www.w3.org", "")
    finally:
        alt.renderers.enable(previous)


# --- Every notebook, executed as Lab would run it ---------------------------------------------


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo of one kab/kota through the daily brief's stages up to the pack inputs (no packs)."""
    from analysis import demo, ingest, reconcile
    from analysis.analyse.stage import run_analyse
    from analysis.packs.inputs import prepare_pack_inputs
    from analysis.settings import default_settings

    s = default_settings()
    root = tmp_path_factory.mktemp("lab")
    raw = root / "raw" / "demo-1674"
    demo.generate(SCOPE, s.demo.seed, s.demo.as_of, raw)
    out = root / "processed" / raw.name
    ingest.run_ingest(raw, out, s)
    reconcile.run_reconcile(out, s.demo.previous_report, s)
    reconcile.run_reconcile(out, s.demo.as_of, s)
    run = {
        "demo": True,
        "drop": raw.name,
        "raw": str(raw),
        "as_of": s.demo.as_of.isoformat(),
        "previous_as_of": s.demo.previous_report.isoformat(),
        "tanggal": s.demo.as_of.date().isoformat(),
        "scope": SCOPE,
    }
    (out / "run.json").write_text(json.dumps(run), encoding="utf-8")
    run_analyse(out, s)
    prepare_pack_inputs(out, s)
    return out


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory: pytest.TempPathFactory):
    """The project kernel registered as `make lab` registers it, in a folder Jupyter searches."""
    prefix = tmp_path_factory.mktemp("lab-env")
    kernelspec.install(prefix)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        yield prefix


PARAMETERS = {
    "eksplorasi": {"kode_wilayah": SCOPE},
    "analisis_insiden_anomali": {"kode_wilayah": SCOPE},
    "pack": {"kode_wilayah": SCOPE, "tingkat": "kabkota", "tanggal": "2024-11-28"},
}


@pytest.fixture(scope="module")
def executed(processed: Path, jupyter_path: Path, tmp_path_factory) -> dict:
    """Every notebook run by papermill's command line on the kernel its metadata names, in the
    notebook's folder as Lab starts a kernel; the notebooks run side by side (one kernel each)."""
    import subprocess

    out_dir = tmp_path_factory.mktemp("executed")
    runs = {}
    for name in ALL:
        params = {**PARAMETERS[name], "processed_dir": str(processed)}
        cmd = [
            *(sys.executable, "-m", "papermill", "--no-progress-bar"),
            *(str(NOTEBOOKS / f"{name}.ipynb"), str(out_dir / f"{name}.ipynb")),
            *("-k", _stored(name).metadata["kernelspec"]["name"]),  # as Lab picks the kernel
            *("--cwd", str(NOTEBOOKS), "-y", json.dumps(params)),
        ]
        runs[name] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for name, proc in runs.items():
        log = proc.communicate(timeout=600)[0].decode(errors="replace")
        assert proc.returncode == 0, f"{name}:\n{log[-3000:]}"
    return {name: nbformat.read(out_dir / f"{name}.ipynb", as_version=4) for name in ALL}


def _outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def _shown(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    return [o["data"][mime] for o in _outputs(nb) if mime in o.get("data", {})]


@pytest.mark.slow
def test_every_notebook_has_a_parameters_entry_here() -> None:
    assert set(PARAMETERS) == set(ALL)


@pytest.mark.slow
@pytest.mark.parametrize("name", ALL)
def test_notebook_runs_on_its_kernel_without_a_traceback(executed: dict, name: str) -> None:
    nb = executed[name]
    assert nb.metadata["kernelspec"]["name"] == "desk-pilkada"
    outs = _outputs(nb)
    assert outs and not [o for o in outs if o["output_type"] == "error"]
    text = "".join(str(o.get("text", "")) for o in outs)
    assert "Traceback" not in text and "Error" not in text, text[:2000]


@pytest.mark.slow
def test_exploration_shows_charts_readable_tables_and_wib(executed: dict) -> None:
    nb = executed["eksplorasi"]
    svgs = _shown(nb, "image/svg+xml")
    assert len(svgs) >= 4 and all(s.lstrip().startswith("<svg") for s in svgs)
    assert any("Sepanjang malam" in s and "WIB" in s for s in svgs)
    html = "\n".join(_shown(nb, "text/html"))
    headings = re.findall(r'<th [^>]*class="col_heading[^"]*"[^>]*>([^<]*)</th>', html)
    assert "Cakupan internal" in headings and "Selisih mutlak" in headings
    assert "Tautan foto" in headings and "sirekap-obj-formc" in html  # C.Hasil photos (issue 14)
    assert not [h for h in headings if "_" in h]  # no code-style column names
    assert re.search(r">\d{1,2} November 2024 \d{2}\.\d{2} WIB<", html)  # times in the desk's zone
    assert re.search(r">\d{1,3},\d{2}%<", html)  # Indonesian percentages
    markdown = "\n".join(_shown(nb, "text/markdown"))
    assert "Kota Prabumulih" in markdown and "Kamis, 28 November 2024 14.00 WIB" in markdown


@pytest.mark.slow
def test_incident_notebook_shows_its_chart_and_local_times(executed: dict) -> None:
    nb = executed["analisis_insiden_anomali"]
    assert any("Sidik jari" in s for s in _shown(nb, "image/svg+xml"))
    html = "\n".join(_shown(nb, "text/html"))
    assert " WIB<" in html and "Waktu laporan" in html and "waktu_laporan" not in html


@pytest.mark.slow
def test_pack_notebook_runs_on_the_project_kernel(executed: dict) -> None:
    from analysis.packs import sections

    html = "\n".join(_shown(executed["pack"], "text/html"))
    assert html.count('<section class="bagian"') == len(
        sections.SECTIONS + sections.ANNEX_SECTIONS
    ) - len(sections.OCCASIONAL)
    assert "Kota Prabumulih" in html


# --- In a browser with the network closed ----------------------------------------------------


def _page(nb: nbformat.NotebookNode, path: Path) -> Path:
    """The notebook's outputs as nbconvert renders them (its basic template: no scripts of its
    own), in a bare page."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
    path.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{body}</body></html>'
    )
    return path


_IMAGES = """JSON.stringify({
    svgImages: [...document.images].filter(i => i.src.startsWith('data:image/svg+xml'))
        .map(i => [i.naturalWidth, i.naturalHeight]),
    text: document.body.innerText})"""


def _look(browser, page: Path) -> dict:
    """Open ``page``; what it requested (data: URIs are not requests) and what it shows."""
    browser.events = []
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    for domain in ("Network", "Page", "Runtime"):
        browser.send(f"{domain}.enable", session)
    browser.send("Page.navigate", session, url=page.as_uri())
    browser.wait_for("Page.loadEventFired")
    browser.drain(1.0)
    state = browser.send("Runtime.evaluate", session, returnByValue=True, expression=_IMAGES)
    browser.send("Target.closeTarget", targetId=target)
    requests = [
        e["params"]["request"]["url"]
        for e in browser.events
        if e.get("method") == "Network.requestWillBeSent"
    ]
    seen = json.loads(state["result"]["value"])
    return {"requests": [u for u in requests if not u.startswith("data:")], **seen}


@pytest.fixture(scope="module")
def browser():
    from test_browser import Browser, _chromium

    b = Browser(_chromium())
    yield b
    b.close()


@pytest.mark.slow
def test_exploration_charts_show_offline_in_chromium(executed: dict, browser, tmp_path) -> None:
    page = _page(executed["eksplorasi"], tmp_path / "eksplorasi.html")
    seen = _look(browser, page)
    assert seen["requests"] == [page.as_uri()]  # the page itself, from disk, and nothing else
    assert len(seen["svgImages"]) >= 4
    assert all(w > 100 and h > 50 for w, h in seen["svgImages"])  # decoded and drawn
    assert "WIB" in seen["text"] and "Cakupan internal" in seen["text"]


@pytest.mark.slow
def test_altairs_default_output_would_reach_for_a_cdn(browser, tmp_path) -> None:
    """The control: the chart output the analyst got before (Altair's default renderer) tries to
    load Vega from the internet, which this harness sees."""
    import altair as alt
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    with alt.renderers.enable("default"):
        bundle = _bundle(_chart())
    cell = new_code_cell("chart")
    cell.outputs = [new_output("execute_result", data=bundle, execution_count=1)]
    page = _page(new_notebook(cells=[cell]), tmp_path / "default.html")
    seen = _look(browser, page)
    assert any("cdn.jsdelivr.net" in u for u in seen["requests"])
    assert not seen["svgImages"]
