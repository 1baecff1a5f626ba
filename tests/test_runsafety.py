"""Crash-safe, one at a time (issue 11, item 8): each test is one sentence of the issue's
"Crashes and disks" reproduced, then shown fixed. Real files, real processes, real signals and
real file-size limits; no mock of the file system.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest

from analysis import console, daily, preflight, publish, runlock
from analysis.__main__ import main
from analysis.ingest.cache import CACHE_DIR, ParseCache
from analysis.ingest.stage import run_ingest
from analysis.settings import default_settings, load_settings

KPU88 = Path(__file__).parent / "data" / "sirekap_ppwp2024_kepulauan_seribu"
PY = sys.executable


def _settings(root: Path, **run: object):
    return load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"},
        **({"run": run} if run else {}),
    )


def _args(**kw: object) -> argparse.Namespace:
    base = {"date": None, "scope": "16.74", "depth": 0, "raw": None, "workers": 0, "wait": False}
    return argparse.Namespace(**{**base, **kw})


def _one_line_error(err: str) -> str:
    """The one error line on stderr (progress notes may stand beside it), with no traceback."""
    lines = [x for x in err.splitlines() if x.startswith("galat")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# --- Terminal output escapes control characters ------------------------------------------------


def test_console_escapes_control_and_hiding_characters(capsys: pytest.CaptureFixture[str]) -> None:
    name = "hitung_internal/\x1b[2J\x1b]0;judul\x07palsu\r\nbaris\u202egnp.csv"
    assert console.safe(name) == (
        "hitung_internal/\\x1b[2J\\x1b]0;judul\\x07palsu\\x0d\\x0abaris\\u202egnp.csv"
    )
    assert console.safe("a\nb", keep_newlines=True) == "a\nb"
    assert (
        console.safe("Kota Prabumulih · 1.234 suara – ok") == "Kota Prabumulih · 1.234 suara – ok"
    )
    console.say(f"{name}: DITOLAK")
    console.error(name)
    out = capsys.readouterr()
    for text in (out.out, out.err):
        assert not any(ord(c) < 32 and c != "\n" for c in text) and "\u202e" not in text
        assert text.count("\n") == 1


def _drop_with_hostile_name(root: Path) -> tuple[Path, str]:
    drop = root / "drop"
    (drop / "referensi").mkdir(parents=True)
    (drop / "referensi" / "paslon.csv").write_text(
        "kode_kontestasi,nomor_urut,paslon_id,nama_paslon,kolom_kosong\nppwp,1,1,A,false\n"
    )
    (drop / "hitung_internal").mkdir()
    name = "laporan\x1b[31mMERAH\x1b[0m\rpalsu.csv"
    (drop / "hitung_internal" / name).write_bytes(b"\x00\x01 bukan csv \x1b[2J")
    return drop, name


def test_file_names_with_control_characters_reach_the_terminal_escaped(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    drop, name = _drop_with_hostile_name(tmp_path)
    code = main(["ingest", "--raw", str(drop), "--processed", str(tmp_path / "out")])
    out = capfd.readouterr()
    assert code in (0, 1)
    both = out.out + out.err
    assert "\x1b" not in both and "\r" not in both
    assert "laporan\\x1b[31mMERAH\\x1b[0m\\x0dpalsu.csv" in both


# --- Parameters and environment checked before any work ----------------------------------------


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"scope": "16.74.01.1001"}, "kode tingkat desa"),
        ({"scope": "16.99"}, "bukan kode wilayah"),
        ({"depth": -1}, "DEPTH (--depth) harus bilangan bulat 0 atau lebih"),
        ({"depth": "dua"}, "DEPTH (--depth)"),
        ({"date": "2024-02-30"}, "DATE (--date) '2024-02-30' bukan tanggal yang ada"),
        ({"date": "28-11-2024"}, "bukan tanggal yang ada"),
        ({"raw": Path("/nonexistent/drop")}, "RAW (--raw)"),
    ],
)
def test_bad_parameters_are_one_line_and_nothing_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kw: dict, says: str
) -> None:
    s = _settings(tmp_path)
    assert daily.run(_args(**kw), s) == 2
    line = _one_line_error(capsys.readouterr().err)
    assert says in line
    assert not any(tmp_path.iterdir())  # no demo generated, no folder, no lock


def test_processed_folder_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "processed").write_text("bukan folder")
    assert daily.run(_args(), _settings(tmp_path)) == 2
    assert "adalah sebuah berkas, bukan folder" in _one_line_error(capsys.readouterr().err)
    target = tmp_path / "berkas.parquet"
    target.write_bytes(b"x")
    for stage in (["brief", "--scope", "16.74"], ["analyse"], ["reconcile"]):
        assert main([*stage, "--processed", str(target)]) == 2, stage
        assert "sebuah berkas" in _one_line_error(capsys.readouterr().err), stage
    assert main(["ingest", "--raw", str(tmp_path), "--processed", str(target)]) == 2
    assert "sebuah berkas" in _one_line_error(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["berkas.parquet", "processed"]


def test_not_enough_free_space_is_one_line_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = _settings(tmp_path, min_free_mb=10**12)  # a petabyte: no disk has it free
    assert daily.run(_args(), s) == 2
    assert "ruang kosong untuk folder data olahan" in _one_line_error(capsys.readouterr().err)
    assert not any(tmp_path.iterdir())


def _mount_tmpfs(where: Path, options: str) -> bool:
    """Mount a small tmpfs at ``where`` (root only); False when this machine does not allow it."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=False)
    return done.returncode == 0


def _umount(where: Path) -> None:
    subprocess.run(["umount", "-l", str(where)], check=False)


def test_read_only_processed_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ro = tmp_path / "processed"
    mounted = _mount_tmpfs(ro, "size=1m,ro")
    if not mounted:
        if os.geteuid() == 0:
            pytest.skip("root without mount: a read-only folder cannot be made")
        ro.mkdir()
        ro.chmod(0o555)
    try:
        assert daily.run(_args(), _settings(tmp_path)) == 2
        line = _one_line_error(capsys.readouterr().err)
        assert "tidak bisa ditulisi" in line and str(ro) in line
    finally:
        if mounted:
            _umount(ro)
        else:
            ro.chmod(0o755)
    assert not (tmp_path / "raw").exists()


def test_full_processed_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    full = tmp_path / "processed"
    if not _mount_tmpfs(full, "size=64k"):
        pytest.skip("a full folder needs a small tmpfs (root with mount)")
    try:
        (full / "isi").write_bytes(b"x" * 60_000)
        s = _settings(tmp_path, min_free_mb=1)
        assert daily.run(_args(), s) == 2
        assert "ruang kosong" in _one_line_error(capsys.readouterr().err)
    finally:
        _umount(full)


# --- The run lock ---------------------------------------------------------------------------------

_HOLDER = """
import sys, time
from pathlib import Path
from analysis import runlock
with runlock.hold(Path(sys.argv[1])):
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _start_holder(folder: Path, seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [PY, "-c", _HOLDER, str(folder), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "holding"
    return p


def test_a_second_run_stops_with_one_line_naming_the_holder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = _settings(tmp_path)
    (tmp_path / "reports").mkdir()  # the desk's reports folder, where a monitor reads the status
    holder = _start_holder(tmp_path / "processed" / "demo-16", 60)
    try:
        assert daily.run(_args(scope="16"), s) == 3
        line = _one_line_error(capsys.readouterr().err)
        assert f"proses {holder.pid}" in line and "sejak " in line and "--wait" in line
        assert "sedang dipakai" in line and "WIB" in line
        assert not (tmp_path / "raw").exists()  # nothing ran: not even the demo
        # ...and the refused run left its status line and its log (issue 15, item 3)
        status = json.loads((tmp_path / "reports" / "status.json").read_text(encoding="utf-8"))
        assert status["kode_keluar"] == 3 and status["keadaan"].startswith("ditolak: run lain")
        assert status["indeks"] is None and status["laporan"] is None
        assert line in Path(status["log"]).read_text(encoding="utf-8")
        txt = (tmp_path / "reports" / "status.txt").read_text(encoding="utf-8")
        assert txt.count("\n") == 1 and "kode 3" in txt and "indeks tidak berubah" in txt
    finally:
        holder.kill()
        holder.wait()


def test_a_dead_holders_lock_is_taken_over_and_wait_waits(tmp_path: Path) -> None:
    folder = tmp_path / "processed" / "drop"
    holder = _start_holder(folder, 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    note = runlock.read_holder(runlock.lock_path(folder))
    assert note is not None and note.pid == holder.pid  # the dead run's note is still there
    with runlock.hold(folder) as path:  # ...but its lock died with it
        assert runlock.read_holder(path).pid == os.getpid()  # type: ignore[union-attr]

    holder = _start_holder(folder, 1.5)
    told: list[str] = []
    t0 = time.perf_counter()
    with runlock.hold(folder, wait=True, on_wait=told.append):
        waited = time.perf_counter() - t0
    holder.wait()
    assert waited > 0.5 and len(told) == 1 and f"proses {holder.pid}" in told[0]


# --- Generations: a reader never sees two mixed ---------------------------------------------------


def _write_generation(folder: Path, mark: str) -> None:
    for name in ("a.parquet", "sub/b.parquet", "index.html"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        publish.write_text_atomic(folder / name, mark)


def _contents(folder: Path) -> set[str]:
    return {p.read_text() for p in folder.rglob("*") if p.is_file()}


def test_generations_switch_at_once_and_a_pinned_reader_keeps_its_own(tmp_path: Path) -> None:
    live = tmp_path / "processed" / "drop"
    with publish.staged([live]) as (g1,):
        _write_generation(g1, "satu")
    assert live.is_symlink() and _contents(live) == {"satu"}
    pinned = live.resolve()
    with publish.staged([live]) as (g2,):
        assert _contents(g2) == {"satu"}  # starts as the current one (hard links)
        (g2 / "a.parquet").unlink()
        _write_generation(g2, "dua")
        assert _contents(live) == {"satu"}  # nothing of the new one is visible before the switch
    assert _contents(live) == {"dua"}
    assert _contents(pinned) == {"satu"}  # the previous one is kept for a reader that pinned it
    with publish.staged([live]) as (g3,):
        _write_generation(g3, "tiga")
    assert not pinned.exists()  # two switches later it is gone
    assert len(list(publish.generations_dir(live).iterdir())) == 2


def test_a_failed_run_leaves_the_previous_generation_and_a_killed_ones_leftovers_go(
    tmp_path: Path,
) -> None:
    live = tmp_path / "reports" / "2024-11-28"
    live.mkdir(parents=True)
    (live / "index.html").write_text("lama")  # a folder from before generations: adopted
    with pytest.raises(OSError), publish.staged([live]) as (g,):
        _write_generation(g, "baru")
        raise OSError(28, "No space left on device")
    assert live.is_symlink() and (live / "index.html").read_text() == "lama"
    assert len(list(publish.generations_dir(live).iterdir())) == 1
    # a run killed after starting its generation leaves it behind; the next run removes it
    leftover = publish.Generation(live, publish.new_id() + "-mati")
    _write_generation(leftover.start(), "setengah")
    with publish.staged([live]) as (g,):
        assert not leftover.home.exists()
        _write_generation(g, "baru")
    assert (live / "index.html").read_text() == "baru"


# --- The parse cache: atomic entries, verified on read -------------------------------------------

_CACHE_WRITER = """
import sys
import polars as pl
from pathlib import Path
from analysis.ingest.cache import ParseCache

cache = ParseCache(Path(sys.argv[1]), background=False)
v = 0
while True:
    v += 1
    n = 20_000 + v % 7
    rows = pl.DataFrame({
        "_sha": [f"n{n}"] * n, "sumber_file": ["f.csv"] * n, "_i": list(range(n)),
        "teks": ["x" * 40] * n,
    })
    files = pl.DataFrame({"path": ["f.csv"], "sha256": [f"n{n}"], "ukuran_byte": [n],
                          "error": [None], "notes": [None]},
                         schema={"path": pl.String, "sha256": pl.String, "ukuran_byte": pl.Int64,
                                 "error": pl.String, "notes": pl.String})
    cache.save("tally", rows, rows.head(n // 2), files)
    if v == 1:
        print("first", flush=True)
"""


def test_a_kill_inside_a_cache_write_never_leaves_an_entry_that_reads_wrong(
    tmp_path: Path,
) -> None:
    """The issue: a kill inside the parse-cache write left an entry that made a valid file read as
    0 rows. Here a writer rewrites an entry in a loop and is killed (SIGKILL) at ten moments;
    after each, every file the cache still claims to know reads exactly its rows."""
    for attempt in range(10):
        writer = subprocess.Popen(
            [PY, "-c", _CACHE_WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout is not None and writer.stdout.readline().strip() == "first"
        time.sleep(0.05 + 0.037 * attempt)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        cache = ParseCache(tmp_path)
        known = cache.known("tally")
        assert len(known) == 1, attempt
        rows, votes, _ = cache.get("tally", known)
        n = int(next(iter(known))[0][1:])
        assert rows is not None and rows.height == n and votes is not None
        assert votes.height == n // 2


@pytest.fixture(scope="module")
def ingested88(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, pl.DataFrame]:
    drop = tmp_path_factory.mktemp("drop88")
    target = drop / "kpu" / "tps" / "ppwp"
    target.mkdir(parents=True)
    for p in KPU88.glob("*.json"):
        shutil.copy2(p, target / p.name)
    (drop / "referensi").mkdir()
    (drop / "referensi" / "paslon.csv").write_text(
        "kode_kontestasi,nomor_urut,paslon_id,nama_paslon,kolom_kosong\n"
        "ppwp,1,100025,Paslon 1,false\nppwp,2,100026,Paslon 2,false\nppwp,3,100027,Paslon 3,false\n"
    )
    out = tmp_path_factory.mktemp("proc88")
    acc = run_ingest(drop, out, default_settings())
    assert acc.balanced and acc.totals()["baris_dibaca"] > 0
    return drop, out, acc.files


def _manifest(out: Path, kind: str) -> dict:
    return json.loads((out / CACHE_DIR / f"{kind}.json").read_text())


def _drop_rows_of_one_file(out: Path) -> None:
    """What the issue's killed write left: the entry lists a file whose rows are not in it."""
    m = _manifest(out, "official")
    part = out / CACHE_DIR / m["parts"]["rows"]["file"]
    rows = pl.read_parquet(part)
    rows.filter(pl.col("sumber_file") != rows["sumber_file"][0]).write_parquet(part)
    m["parts"]["rows"]["size"] = part.stat().st_size  # even with a manifest that agrees
    (out / CACHE_DIR / "official.json").write_text(json.dumps(m))


def _truncate_a_part(out: Path) -> None:
    """A part cut short (a crash before its data reached the disk)."""
    part = out / CACHE_DIR / _manifest(out, "official")["parts"]["votes"]["file"]
    part.write_bytes(part.read_bytes()[:100])


def _half_manifest(out: Path) -> None:
    p = out / CACHE_DIR / "official.json"
    p.write_text(p.read_text()[:40])


def _lose_a_part(out: Path) -> None:
    (out / CACHE_DIR / _manifest(out, "official")["parts"]["rows"]["file"]).unlink()


@pytest.mark.parametrize(
    "damage", [_drop_rows_of_one_file, _truncate_a_part, _half_manifest, _lose_a_part]
)
def test_a_damaged_cache_entry_is_discarded_and_the_file_parsed_again(
    ingested88: tuple[Path, Path, pl.DataFrame], tmp_path: Path, damage
) -> None:
    drop, clean, files = ingested88
    out = tmp_path / "proc"
    shutil.copytree(clean, out)
    damage(out)
    acc = run_ingest(drop, out, default_settings())
    assert acc.balanced
    assert acc.files.equals(files)  # every file reads its rows as on the clean run
    assert ParseCache(out).known("official")  # and the cache is whole again


# --- Preflight helpers -----------------------------------------------------------------------------


def test_preflight_accepts_what_a_desk_types() -> None:
    assert preflight.scope("16") == "16" and preflight.scope("00") == "00"
    assert preflight.scope("16.71.01") == "16.71.01"
    assert preflight.depth("2") == 2 and preflight.depth(0) == 0
    assert str(preflight.date("2024-11-28")) == "2024-11-28" and preflight.date(None) is None


# --- A killed run and a full disk leave the previous generation whole ------------------------------

_RUN = """
import argparse, sys
from pathlib import Path
from analysis import daily
from analysis.settings import load_settings

if __name__ == "__main__":
    root = Path(sys.argv[1])
    s = load_settings(
        paths={"raw": root / "raw", "processed": root / "processed", "reports": root / "reports"},
        run={"min_free_mb": 0},
    )
    args = argparse.Namespace(date=None, scope="16.74", depth=0, raw=root / "raw" / "demo-1674",
                              workers=0, wait=False, full=True)  # every run writes
    sys.exit(daily.run(args, s))
"""


def _fingerprint(root: Path) -> dict[str, bytes]:
    """Every file a reader reaches through the published links, with its bytes."""
    out = {}
    for live in (root / "processed" / "demo-1674", root / "reports" / "2024-11-28"):
        for p in sorted(live.rglob("*")):
            if p.is_file():
                out[str(p.relative_to(root))] = p.read_bytes()
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One complete run of a small scope (Kota Prabumulih, its own pack only)."""
    from analysis import demo

    root = tmp_path_factory.mktemp("published")
    script = root / "run.py"
    script.write_text(textwrap.dedent(_RUN))
    s = _settings(root)
    demo.generate("16.74", s.demo.seed, s.demo.as_of, root / "raw" / "demo-1674")
    done = subprocess.run([PY, str(script), str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return root


def _copy(published: Path, to: Path) -> Path:
    shutil.copytree(published, to, symlinks=True)
    return to


@pytest.mark.slow
def test_a_run_killed_midway_leaves_the_previous_generation_whole(
    published: Path, tmp_path: Path
) -> None:
    root = _copy(published, tmp_path / "root")
    before = _fingerprint(root)
    run = subprocess.Popen([PY, str(root / "run.py"), str(root)], stdout=subprocess.PIPE, text=True)
    assert run.stdout is not None
    for line in run.stdout:  # kill it once its datasets are being rewritten
        if line.startswith("== reconcile"):
            break
    run.send_signal(signal.SIGKILL)
    run.wait()
    assert _fingerprint(root) == before
    done = subprocess.run([PY, str(root / "run.py"), str(root)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    gens = publish.generations_dir(root / "processed" / "demo-1674")
    assert len(list(gens.iterdir())) == 2  # the killed run's leftovers are gone


def _limited_run(root: Path, max_file_bytes: int) -> subprocess.CompletedProcess[str]:
    """The run in a process whose files cannot grow past ``max_file_bytes`` (RLIMIT_FSIZE: a
    write beyond it fails with EFBIG, as on a full disk)."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run(
        [PY, str(root / "run.py"), str(root)], capture_output=True, text=True, preexec_fn=limit
    )


@pytest.mark.slow
@pytest.mark.parametrize("how", ["rlimit", "tmpfs"])
def test_a_full_disk_stops_the_run_with_one_line_and_keeps_the_previous_generation(
    published: Path, tmp_path: Path, how: str
) -> None:
    if how == "tmpfs":
        disk = tmp_path / "disk"
        if not _mount_tmpfs(disk, "size=256m"):
            pytest.skip("a full disk needs a small tmpfs (root with mount)")
        root = _copy(published, disk / "root")
        # then shrink it to what it holds and half a megabyte: the next run's files do not fit
        used = shutil.disk_usage(disk).used
        remount = ["mount", "-o", f"remount,size={used + (512 << 10)}", str(disk)]
        assert subprocess.run(remount, check=False).returncode == 0
    else:
        root = _copy(published, tmp_path / "root")
    try:
        before = _fingerprint(root)
        done = (
            _limited_run(root, 64 << 10)
            if how == "rlimit"
            else subprocess.run(
                [PY, str(root / "run.py"), str(root)], capture_output=True, text=True
            )
        )
        assert done.returncode == 4, done.stderr[-2000:]
        line = _one_line_error(done.stderr)
        assert "disk penuh saat menulis" in line and "hasil run sebelumnya tetap dipakai" in line
        assert "rincian di" not in line and len(line) < 300
        assert _fingerprint(root) == before
        index = root / "reports" / "2024-11-28" / "index.html"
        assert index.stat().st_size > 1000
    finally:
        if how == "tmpfs":
            _umount(tmp_path / "disk")
