"""The share outputs in a real pack run (executor on test_brief's stand-in notebook): locked
editions, annexes and bundles next to the open packs, listed by the index; without a passphrase one
line and open packs only, with nothing stale left from an earlier run."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from test_brief import stand_in_data, stand_in_notebook

from analysis.packs import lock
from analysis.packs.execute import make_packs
from analysis.settings import Share

PASS = "kuda lumping senja merah"
ENV = "UJI_SANDI_RUN"
SHARE = Share.model_validate(
    {
        "locked_tiers": ["provinsi", "kabkota"],
        "passphrase": {"env": ENV},
        "pbkdf2_iterations": 100_000,
        "annex_tiers": ["provinsi", "kabkota"],
        "recipients": {
            "provinsi": [
                {"id": "sekda-16", "name": "Sekda", "units": ["16"], "descendants": False}
            ],
            "kabkota": [{"id": "desk-{kode}", "name": "Desk Pilkada {nama}", "units": "each"}],
        },
    }
)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path, Path]:
    tmp = tmp_path_factory.mktemp("run")
    return stand_in_notebook(tmp / "pack.ipynb"), stand_in_data(tmp / "processed"), tmp / "reports"


def _run(folders, monkeypatch, passphrase: str | None, depth: int = 1):
    nb, processed, reports = folders
    if passphrase:
        monkeypatch.setenv(ENV, passphrase)
    else:
        monkeypatch.delenv(ENV, raising=False)
    return make_packs("2024-11-28", "16", depth, processed, reports, 0, nb, False, share=SHARE)


def test_a_run_with_a_passphrase_makes_all_three(folders, monkeypatch, capsys):
    result = _run(folders, monkeypatch, PASS)
    assert result.ok, result.summary()
    assert ENV not in capsys.readouterr().err and result.share_notes == []
    for p in result.packs:
        assert p.locked == p.html.with_name(f"{p.kode_wilayah}.terkunci.html")
        assert p.annex == p.html.with_name(f"{p.kode_wilayah}.xlsx") and p.share.annex_inside
        page, annex = lock.open_locked(p.locked.read_text(encoding="utf-8"), PASS)
        assert page == p.html.read_text(encoding="utf-8")
        assert annex == p.annex.read_bytes()
    index = result.index.read_text(encoding="utf-8")
    assert 'href="provinsi/16.terkunci.html"' in index and 'href="kabkota/16.71.xlsx"' in index
    assert 'href="kiriman/desk-16.71.zip"' in index and "Kiriman per penerima" in index
    data = json.loads((result.out_dir / "index.json").read_text(encoding="utf-8"))
    assert data["packs"][0]["share"]["locked"] == "provinsi/16.terkunci.html"
    assert len(data["bundles"]) == 18
    with zipfile.ZipFile(result.out_dir / "kiriman" / "desk-16.71.zip") as z:
        assert z.namelist() == ["16.71.terkunci.html", "BACA-DULU.txt", "manifes.json"]


def test_without_a_passphrase_open_packs_only_and_nothing_stale(folders, monkeypatch, capsys):
    _run(folders, monkeypatch, PASS, depth=0)
    result = _run(folders, monkeypatch, None, depth=0)
    assert result.ok
    err = capsys.readouterr().err
    assert err.count("edisi terkunci tidak dibuat") == 1 and f"{ENV} tidak diatur" in err
    (p,) = result.packs
    assert p.locked is None and not p.html.with_name("16.terkunci.html").exists()
    assert p.annex is not None and p.annex.exists()
    assert "edisi terkunci tidak dibuat" in result.index.read_text(encoding="utf-8")
    with zipfile.ZipFile(result.out_dir / "kiriman" / "sekda-16.zip") as z:
        assert z.namelist() == ["16.html", "16.xlsx", "BACA-DULU.txt", "manifes.json"]
        doc = json.loads(z.read("manifes.json"))
    assert {r["jenis"] for r in doc["berkas"]} == {"laporan (tidak terkunci)", "lampiran Excel"}
    assert sorted(x.name for x in (result.out_dir / "kiriman").iterdir()) == ["sekda-16.zip"]


def test_kernels_never_see_the_passphrase(folders, monkeypatch, tmp_path):
    """The passphrase variable is out of the environment the workers and kernels inherit."""
    import nbformat
    from nbformat.v4 import new_code_cell

    nb = nbformat.read(folders[0], as_version=4)
    nb.cells.append(new_code_cell(f"import os\nprint('sandi:', os.environ.get({ENV!r}))"))
    probe = tmp_path / "probe.ipynb"
    nbformat.write(nb, probe)
    result = _run((probe, folders[1], tmp_path / "reports"), monkeypatch, PASS, depth=0)
    (p,) = result.packs
    page = p.html.read_text(encoding="utf-8")
    assert "sandi: None" in page and PASS not in page
    assert PASS not in p.ipynb.read_text(encoding="utf-8")
    assert os.environ[ENV] == PASS  # restored for the caller


def _env_of_worker(name: str) -> str | None:
    return os.environ.get(name)


def test_workers_a_daily_run_starts_early_never_see_the_passphrase(monkeypatch):
    """The daily run's pack workers start before the packs stage (analysis.packs.execute.EarlyWorkers):
    the share plan holds the keys, the workers' environment has no passphrase, the caller's is
    given back when the run ends."""
    import contextlib

    from analysis.packs.execute import EarlyWorkers

    monkeypatch.setenv(ENV, PASS)
    with contextlib.ExitStack() as stack:
        early = EarlyWorkers(stack, 2, SHARE, "16.74", 1, demo=True)
        early.start()
        assert early.pool is not None and early.plan is not None
        assert set(early.plan.keys) == {"kabkota"} and early.plan.notes == ()
        assert early.pool.pool.apply(_env_of_worker, (ENV,)) is None
        assert ENV not in os.environ  # hidden while the run goes on
    assert os.environ[ENV] == PASS
