"""The pack executor: parameter validation, failure isolation, the index, the offline HTML.

Real papermill, nbclient and nbconvert on a tiny stand-in notebook that declares the same
parameters as notebooks/pack.ipynb; its input is a JSON file per run (no pipeline needed).
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis.packs import execute, plan
from analysis.packs.execute import make_packs
from analysis.packs.plan import PackParameterError, validate_parameters
from analysis.packs.render import defuse

PAYLOAD = "<script>document.title='PWNED'</script><img src=x onerror=\"document.title='PWNED'\">"

_BODY = """
import html, json
from pathlib import Path
from IPython.display import HTML, SVG, display
assert "sisa_paket_sebelumnya" not in globals(), "namespace of the previous pack leaked"
sisa_paket_sebelumnya = kode_wilayah
unit = json.loads((Path(processed_dir) / "units.json").read_text())[kode_wilayah]
if unit.get("mati"):
    import os; os._exit(1)  # the kernel dies mid-pack
if unit.get("rusak"):
    raise ValueError(f"data rusak untuk {kode_wilayah}")
display(HTML(f'<section class="bagian" id="kepala"><h1>Laporan {html.escape(unit["nama"])}</h1>'
             f'<p class="klasifikasi">TERBATAS</p><p>Suara: <span data-angka="suara">{unit["suara"]}</span></p></section>'))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#369"/></svg>'))
display(HTML(f'<section class="bagian" id="insiden"><h2>Insiden</h2>'
             f'<p class="deskripsi">{html.escape(unit.get("deskripsi", ""))}</p></section>'))
"""


def stand_in_notebook(path: Path) -> Path:
    """A notebook with pack.ipynb's parameters cell and a body that shows HTML and an SVG."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = new_code_cell(
        'tanggal = "2024-11-28"\ntingkat = "provinsi"\nkode_wilayah = "16"\n'
        'processed_dir = "data/processed"'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell(_BODY)]
    nbformat.write(nb, path)
    return path


def stand_in_data(folder: Path, broken: str | None = None) -> Path:
    """units.json for province 16 and its 17 kab/kota; ``broken`` makes that unit's pack raise."""
    from analysis import reference

    units = {"16": {"nama": "Sumatera Selatan", "suara": 1234567, "deskripsi": PAYLOAD}}
    for kode, nama in (
        reference.descendants("16", "kabkota").select("kode_wilayah", "nama").iter_rows()
    ):
        units[kode] = {"nama": nama, "suara": 7, "rusak": kode == broken}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.json").write_text(json.dumps(units), encoding="utf-8")
    return folder


@pytest.fixture
def notebook(tmp_path: Path) -> Path:
    return stand_in_notebook(tmp_path / "pack.ipynb")


def _params(processed: Path, **kw: object) -> dict[str, object]:
    return {
        "tanggal": "2024-11-28",
        "tingkat": "provinsi",
        "kode_wilayah": "16",
        "processed_dir": str(processed),
    } | kw


# --- parameter validation: a clear error, nothing executed ------------------------------------


def test_valid_parameters_are_normalised(notebook: Path, tmp_path: Path):
    out = validate_parameters(_params(tmp_path, kode_wilayah="16.71", tingkat="kabkota"), notebook)
    assert out["kode_wilayah"] == "16.71"
    assert Path(out["processed_dir"]).is_absolute()
    assert validate_parameters(_params(tmp_path, kode_wilayah="00", tingkat="nasional"), notebook)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"wilayah": "16"}, "unknown parameter(s) wilayah"),
        ({"kode_wilayah": "16.99"}, "'16.99' is not a Kemendagri region code"),
        ({"kode_wilayah": "1671"}, "'1671' is not a Kemendagri region code"),
        ({"kode_wilayah": "16.71"}, "tingkat='provinsi' does not match kode_wilayah='16.71'"),
        ({"tingkat": "desa", "kode_wilayah": "16.71.01.1001"}, "is not one of nasional"),
        ({"tanggal": "28-11-2024"}, "tanggal='28-11-2024' is not a date"),
        ({"processed_dir": "/nonexistent/processed"}, "is not a folder"),
    ],
)
def test_invalid_parameters_are_rejected_clearly(notebook, tmp_path, change, message):
    with pytest.raises(PackParameterError) as err:
        validate_parameters(_params(tmp_path) | change, notebook)
    assert message in str(err.value)
    assert "nothing was executed" in str(err.value)


def test_invalid_scope_executes_nothing(notebook, tmp_path):
    reports = tmp_path / "reports"
    with pytest.raises(PackParameterError, match="not a Kemendagri region code"):
        make_packs("2024-11-28", "16.99", 1, stand_in_data(tmp_path / "p"), reports, 0, notebook)
    with pytest.raises(PackParameterError, match="unknown parameter"):
        plan.plan_packs("2024-11-28", "16", 1, tmp_path, reports, notebook, {"warna": "merah"})
    assert not reports.exists()


def test_cli_reports_bad_parameters_without_traceback(notebook, tmp_path, capsys):
    args = argparse.Namespace(
        date="2024-11-28", scope="16.71", depth=0, processed=tmp_path / "missing",
        reports=tmp_path / "reports", workers=0, notebook=notebook,
    )  # fmt: skip
    assert execute.run(args) == 2
    err = capsys.readouterr().err
    assert "folder data olahan (--processed)" in err and "tidak ada" in err
    assert "Traceback" not in err
    assert not (tmp_path / "reports").exists()


def test_plan_covers_the_scope_and_its_descendants():
    units = plan.plan_units("16", 1)
    assert units[0] == ("16", "provinsi", "Sumatera Selatan")
    assert len(units) == 18 and {t for _, t, _ in units[1:]} == {"kabkota"}
    assert len(plan.plan_units("00", 2)) == 1 + 38 + 514
    palembang = [u for u in units if u[0] == "16.71"]
    assert plan.plan_units("16.71", 0) == palembang
    with pytest.raises(PackParameterError, match="desa code"):
        plan.plan_units("16.71.01.1001", 1)


# --- failure isolation, the index, the kept notebooks --------------------------------------------


@pytest.fixture(scope="module")
def run_with_one_broken(tmp_path_factory) -> tuple[int, Path, Path]:
    """Province 16 at depth 1 through the CLI path, with Kota Palembang's data broken."""
    tmp = tmp_path_factory.mktemp("brief")
    nb = stand_in_notebook(tmp / "pack.ipynb")
    processed = stand_in_data(tmp / "processed", broken="16.71")
    reports = tmp / "reports"
    args = argparse.Namespace(
        date="2024-11-28", scope="16", depth=1, processed=processed, reports=reports,
        workers=0, notebook=nb,
    )  # fmt: skip
    code = execute.run(args)
    return code, reports / "2024-11-28", processed


def test_one_broken_pack_does_not_stop_the_others(run_with_one_broken):
    code, out, _ = run_with_one_broken
    assert code == 1
    htmls = sorted(p.stem for p in out.rglob("*.html") if p.name != "index.html")
    assert len(htmls) == 17 and "16.71" not in htmls
    assert (out / "provinsi" / "16.html").exists() and (out / "kabkota" / "16.72.html").exists()
    # every pack's executed notebook is kept, the broken one with its error
    assert len(list(out.rglob("*.ipynb"))) == 18
    broken = nbformat.read(out / "kabkota" / "16.71.ipynb", as_version=4)
    errors = [o for c in broken.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].evalue == "data rusak untuk 16.71"
    assert broken.metadata.papermill.exception is True


def test_index_marks_the_failed_pack(run_with_one_broken):
    _, out, _ = run_with_one_broken
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "17 dari 18 laporan berhasil dibuat" in page and "1 gagal" in page
    row = re.search(r'<tr class="gagal" data-kode="16.71">.*?</tr>', page, re.S)
    assert row and "data rusak untuk 16.71" in row.group(0)
    assert 'href="kabkota/16.71.ipynb"' in row.group(0)
    assert 'href="provinsi/16.html"' in page
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert index["ok"] is False
    status = {p["kode_wilayah"]: p["status"] for p in index["packs"]}
    assert status["16.71"] == "gagal" and list(status.values()).count("ok") == 17
    assert all(p["size_bytes"] > 0 for p in index["packs"] if p["status"] == "ok")


def test_executed_notebook_is_papermills_record(run_with_one_broken):
    _, out, processed = run_with_one_broken
    nb = nbformat.read(out / "kabkota" / "16.72.ipynb", as_version=4)
    meta = nb.metadata.papermill
    assert meta.parameters == {
        "tanggal": "2024-11-28",
        "tingkat": "kabkota",
        "kode_wilayah": "16.72",
        "processed_dir": str(processed.resolve()),
    }
    assert not meta.exception and meta.duration is not None
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    # the warm kernel was reset between packs: every pack counts its cells from 1
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]


def test_a_dead_kernel_fails_its_pack_only(notebook, tmp_path):
    """A kernel that dies mid-pack: that pack is recorded as failed, the next one gets a new kernel."""
    from analysis.packs.kernel import PackRunner

    processed = stand_in_data(tmp_path / "p")
    data = json.loads((processed / "units.json").read_text())
    data["16.74"]["mati"] = True
    (processed / "units.json").write_text(json.dumps(data))
    runner = PackRunner()
    try:
        dead = runner.run(
            notebook,
            tmp_path / "a.ipynb",
            _params(processed, kode_wilayah="16.74", tingkat="kabkota"),
        )
        alive = runner.run(
            notebook,
            tmp_path / "b.ipynb",
            _params(processed, kode_wilayah="16.73", tingkat="kabkota"),
        )
    finally:
        runner.close()
    assert not dead.ok and "DeadKernelError" in dead.error
    record = nbformat.read(tmp_path / "a.ipynb", as_version=4)
    assert (
        record.metadata.papermill.exception is True and "Eksekusi gagal" in record.cells[0].source
    )
    assert alive.ok


# --- the HTML itself -------------------------------------------------------------------------------


def test_pack_html_is_offline_safe_and_hides_code(run_with_one_broken):
    _, out, _ = run_with_one_broken
    page = (out / "provinsi" / "16.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="id">' in page
    assert "default-src 'none'" in page and "Content-Security-Policy" in page
    assert 'name="viewport"' in page and "@media print" in page and "halaman " in page
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # nothing to fetch
    assert "import html" not in page and "In&nbsp;[" not in page  # code and prompts hidden
    assert "<svg" in page and 'data-angka="suara">1234567<' in page
    assert "&lt;script&gt;document.title=" in page  # the payload is shown as text
    assert "<title>Laporan Harian Desk Pilkada · Sumatera Selatan · 2024-11-28</title>" in page


def test_defuse_removes_active_and_fetching_markup():
    dirty = (
        '<p onclick="x()">a</p><script>x()</script><iframe src="https://e.com"></iframe>'
        '<img src="https://e.com/p.png"><img src="data:image/png;base64,AA">'
        '<a href="javascript:alert(1)">j</a><a href="https://kpu.go.id">kpu</a>'
        '<svg><image href="http://e.com/i.png"/><use href="#g"/></svg>'
        '<div style="background:url(http://e.com/b.png)">b</div><link rel="stylesheet" href="//e.com/c.css">'
    )
    clean = defuse(dirty)
    assert "<script" not in clean and "<iframe" not in clean and "<link" not in clean
    assert "onclick" not in clean and "javascript:" not in clean and "e.com" not in clean
    assert 'href="https://kpu.go.id"' in clean and 'src="data:image/png;base64,AA"' in clean
    assert 'href="#g"' in clean
    plain = (
        '<section class="bagian"><table class="tabel"><td data-angka="x">1</td></table></section>'
    )
    assert defuse(plain) == plain  # clean output is left byte for byte


def test_warm_up_runs_only_the_notebooks_imports(notebook):
    from analysis.packs.kernel import notebook_imports

    code = notebook_imports(nbformat.read(notebook, as_version=4))
    assert code.splitlines() == [
        "import html, json",
        "from pathlib import Path",
        "from IPython.display import HTML, SVG, display",
    ]


@pytest.mark.slow
def test_spawned_workers_isolate_a_failure_too(tmp_path):
    """The production path: a spawn pool of two warm workers, one pack broken."""
    nb = stand_in_notebook(tmp_path / "pack.ipynb")
    processed = stand_in_data(tmp_path / "processed", broken="16.05")
    result = make_packs("2024-11-28", "16", 1, processed, tmp_path / "r", 2, nb, progress=False)
    assert not result.ok and [p.kode_wilayah for p in result.failed] == ["16.05"]
    assert len([p for p in result.packs if p.status == "ok" and p.html.exists()]) == 17
    assert [p.kode_wilayah for p in result.packs][:2] == ["16", "16.01"]  # plan order kept
