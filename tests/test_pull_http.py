"""The KPU pull over real HTTP against the local stand-in of KPU's site (no mocked client).

The stand-in serves a generated demo drop of Kota Prabumulih (16.74: 524 TPS, two contests, three
pulls over election night) at KPU's Pilkada paths, and the real Pemilu 2024 sample at the Pemilu
paths, with faults injected. What a user relies on is asserted: every TPS in scope ends fetched,
carried over, not yet published or listed as failed with its reason; a delta pull asks only for
what changed; a killed pull resumes to the same files; nothing is written outside the drop.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from analysis import demo
from analysis.pull import agregat, fetch, run
from analysis.pull.standin import DemoSource, FolderSource, StandIn, base_url, serve
from analysis.pull.walk import STATUS_FILE
from analysis.schemas import OFFICIAL_TPS, OFFICIAL_VOTES
from analysis.settings import default_settings

S = default_settings()
SCOPE = "16.74"
PEMILU_SAMPLE = Path(__file__).resolve().parent / "data" / "sirekap_ppwp2024_kepulauan_seribu"
# short timeouts and waits: a test server answers in milliseconds
POLICY = S.kpu_pull.model_copy(
    update={
        "rate_per_second": 0,
        "read_timeout_seconds": 0.5,
        "connect_timeout_seconds": 0.5,
        "total_timeout_seconds": 2,
        "backoff_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "retries": 3,
        "retry_after_max_seconds": 5,
        "stop_after_failures": 8,
        "max_body_bytes": 200_000,
    }
)


@pytest.fixture(scope="module")
def drop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("standin") / "demo-1674"
    demo.generate(SCOPE, S.demo.seed, S.demo.as_of, out)
    return out


@pytest.fixture(scope="module")
def server(drop: Path):
    sites = S.kpu_pull.sites
    standin = StandIn(
        [(DemoSource(drop), sites["pilkada"]), (FolderSource(PEMILU_SAMPLE), sites["pemilu"])]
    )
    srv = serve(standin)
    yield srv
    srv.shutdown()


@pytest.fixture
def standin(server, drop: Path) -> StandIn:
    """The server's state, reset for each test: first pull served, no faults, no requests."""
    s: StandIn = server.standin
    s.set_faults([])
    s.show(DemoSource(drop).pulls()[0])
    s.requests(reset=True)
    return s


def pull(server, target: Path, name: str, scope: str = SCOPE, **kw) -> run.PullResult:
    return run.run_pull(target, scope, S, base_url=base_url(server), name=name, policy=POLICY, **kw)


def status(result: run.PullResult) -> pl.DataFrame:
    return pl.read_csv(result.path / STATUS_FILE, infer_schema=False)


def log(result: run.PullResult) -> list[dict]:
    lines = (result.path / run.LOG_FILE).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def tree(folder: Path, parts: tuple[str, ...] = ("tps", "agregat", "wilayah", "paslon")) -> dict:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for part in parts
        for p in sorted((folder / part).rglob("*.json"))
    }


def record_paths(requests: list[str]) -> set[tuple[str, str]]:
    """(jenis, kode_tps) of the per-TPS records among requested paths."""
    out = set()
    for p in requests:
        parts = p[: -len(".json")].split("/")
        if p.startswith("pilkada/hhcw/") and len(parts[-1]) == 13:
            out.add((parts[2], parts[-1]))
    return out


def expected_tps(drop: Path) -> set[tuple[str, str]]:
    tps = pl.read_csv(drop / "referensi/tps.csv", infer_schema=False)["kode_tps"].to_list()
    return {(j, k) for k in tps for j in ("pkwkp", "pkwkk")}


# --- a night of pulls -------------------------------------------------------------------------


def test_a_night_of_pulls_mirrors_kpu_and_a_delta_asks_only_for_what_changed(
    server, standin, drop, tmp_path
):
    target = tmp_path / "desk"
    labels = DemoSource(drop).pulls()
    previous: set[str] = set()
    for label in labels:
        standin.show(label)
        standin.requests(reset=True)
        result = pull(server, target, label)
        served = drop / "kpu" / label / "tps"
        # the pull folder holds exactly what KPU published, byte for byte
        assert tree(result.path, ("tps",)) == {
            f"tps/{p.relative_to(served).as_posix()}": p.read_bytes()
            for p in sorted(served.rglob("*.json"))
        }
        # every TPS in scope has one fate, with a reason when nothing was written
        st = status(result)
        assert set(zip(st["jenis_pemilihan"], st["kode_tps"], strict=True)) == expected_tps(drop)
        assert st["nasib"].is_in(["diambil", "dibawa", "belum_ada"]).all()
        # the delta asked only for the records that are new or changed since the last pull
        now = {f"{p.parent.name}/{p.name}": p.read_bytes() for p in served.rglob("*.json")}
        before = drop / "kpu" / previous.pop() / "tps" if previous else None
        changed = {
            (k.split("/")[0], k.split("/")[1][:-5])
            for k, v in now.items()
            if before is None or not (before / k).exists() or (before / k).read_bytes() != v
        }
        assert record_paths(standin.requests()) == changed
        fetched = st.filter(pl.col("nasib") == "diambil").select("jenis_pemilihan", "kode_tps")
        assert set(fetched.rows()) == changed
        assert result.summary["tps"]["dibawa"] == len(now) - len(changed)
        previous = {label}
    assert (target / "referensi/paslon.csv").read_bytes() == (
        drop / "referensi/paslon.csv"
    ).read_bytes()


def test_an_unchanged_region_is_carried_over_whole_without_a_request(server, standin, tmp_path):
    target = tmp_path / "desk"
    first = pull(server, target, "20241127T2000")
    standin.requests(reset=True)
    again = pull(server, target, "20241127T2100")
    # candidates, the two trees' roots, the province's list and aggregate: 16.74's row in the
    # province's table is unchanged, so the whole kab/kota is carried over
    assert sorted(standin.requests()) == sorted(
        [
            *(f"pilkada/paslon/{j}.json" for j in ("pkwkp", "pkwkk")),
            *(f"wilayah/pilkada/{j}/{k}.json" for j in ("pkwkp", "pkwkk") for k in ("0", "16")),
            *(f"pilkada/hhcw/{j}/16.json" for j in ("pkwkp", "pkwkk")),
        ]
    )
    assert tree(again.path) == tree(first.path)
    assert all((first.path / rel).samefile(again.path / rel) for rel in tree(first.path, ("tps",)))
    before, after = status(first), status(again)
    assert after["nasib"].to_list() == before["nasib"].replace("diambil", "dibawa").to_list()
    # without carrying regions every desa table is compared: the whole tree, still no record
    standin.requests(reset=True)
    policy = POLICY.model_copy(update={"carry_unchanged_regions": False})
    url = base_url(server)
    run.run_pull(target, SCOPE, S, base_url=url, name="20241127T2200", policy=policy)
    asked = standin.requests()
    assert record_paths(asked) == set()
    assert len(asked) == first.summary["permintaan"]["total"] - first.summary["tps"]["diambil"]


def test_every_request_is_in_the_pulls_manifest(server, standin, tmp_path):
    result = pull(server, tmp_path / "desk", "20241127T2000")
    entries = log(result)
    assert len(entries) == len(standin.requests()) == result.summary["permintaan"]["total"]
    first = entries[0]
    assert set(first) == {
        "url",
        "percobaan",
        "status",
        "byte",
        "sha256",
        "waktu",
        "durasi_detik",
        "hasil",
        "alasan",
    }
    for e in entries:
        assert e["hasil"] == "ok" and e["status"] == 200
        path = e["url"].split("/", 3)[3]
        assert e["byte"] == len(standin.lookup(path))


# --- faults -----------------------------------------------------------------------------------


def test_429_with_retry_after_pauses_then_succeeds(server, standin, tmp_path):
    standin.set_faults(
        [{"gangguan": "status", "status": 429, "detik": 1, "path": "*/16/1674.json", "kali": 1}]
    )
    result = pull(server, tmp_path / "desk", "20241127T2000", scope="16.74.01")
    hits = [e for e in log(result) if e["url"].endswith("/16/1674.json")]
    first = next(e for e in hits if e["status"] == 429)
    assert first["hasil"] == "ulang"
    retry = [e for e in hits if e["url"] == first["url"]][1]
    assert retry["hasil"] == "ok"
    waited = _seconds(retry["waktu"]) - _seconds(first["waktu"])
    assert waited >= 1.0  # Retry-After honoured
    assert result.summary["berkas_gagal"] == [] and result.summary["tps"]["gagal"] == 0


def _seconds(iso: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso).timestamp()


def test_500s_and_a_hang_past_the_timeout_are_retried(server, standin, tmp_path):
    standin.set_faults(
        [
            {"gangguan": "status", "status": 500, "path": "pilkada/hhcw/pkwkp/*", "kali": 3},
            {
                "gangguan": "lambat",
                "detik": 1.5,
                "path": "wilayah/pilkada/pkwkk/16/1674.json",
                "kali": 1,
            },
        ]
    )
    result = pull(server, tmp_path / "desk", "20241127T2000", scope="16.74.01")
    outcomes = [(e["status"], e["hasil"], e["alasan"]) for e in log(result) if e["hasil"] != "ok"]
    assert outcomes.count((500, "ulang", "status 500")) == 3
    assert (None, "ulang", "batas waktu habis") in outcomes
    assert result.summary["tps"]["gagal"] == 0 and result.summary["berkas_gagal"] == []


def test_bad_bodies_are_never_written_and_are_listed_with_their_reason(
    server, standin, drop, tmp_path
):
    st0 = pull(server, tmp_path / "probe", "20241127T2000", scope="16.74.01")
    published = sorted(
        status(st0)
        .filter(pl.col("nasib") == "diambil")
        .select("jenis_pemilihan", "kode_tps")
        .rows()
    )
    (j1, html), (j2, cut), (j3, big), (j4, flaky) = published[:4]
    path = "pilkada/hhcw/{}/16/1674/167401/{}/{}.json".format
    standin.set_faults(
        [
            {"gangguan": "html", "path": path(j1, html[:10], html)},
            {"gangguan": "terpotong", "path": path(j2, cut[:10], cut)},
            {"gangguan": "besar", "byte": 300_000, "path": path(j3, big[:10], big)},
            {"gangguan": "html", "path": path(j4, flaky[:10], flaky), "kali": 1},
        ]
    )
    target = tmp_path / "desk"
    result = pull(server, target, "20241127T2000", scope="16.74.01")
    st = status(result)
    key = zip(st["jenis_pemilihan"], st["kode_tps"], strict=True)
    fate = {k: (n, a) for k, n, a in zip(key, st["nasib"], st["alasan"], strict=True)}
    assert fate[(j1, html)][0] == "gagal" and "HTML" in fate[(j1, html)][1]
    assert fate[(j2, cut)][0] == "gagal" and "bukan JSON yang utuh" in fate[(j2, cut)][1]
    assert fate[(j3, big)][0] == "gagal" and "terlalu besar" in fate[(j3, big)][1]
    assert fate[(j4, flaky)] == ("diambil", None)  # a single error page is asked again at once
    for jenis, kode in ((j1, html), (j2, cut), (j3, big)):
        assert not (result.path / f"tps/{jenis}/{kode}.json").exists()

    def tries(jenis: str, kode: str) -> int:
        return len([e for e in log(result) if e["url"].endswith(path(jenis, kode[:10], kode))])

    assert tries(j3, big) == 1  # an oversize file is not asked for again in this pull
    assert tries(j1, html) == POLICY.retries + 1
    failed = {(f["jenis_pemilihan"], f["kode_tps"]) for f in result.summary["tps_gagal"]}
    assert failed == {(j1, html), (j2, cut), (j3, big)}
    # the next pull asks for them again (they count as never fetched) and gets them
    standin.set_faults([])
    standin.requests(reset=True)
    again = pull(server, target, "20241127T2100", scope="16.74.01")
    assert failed <= record_paths(standin.requests())
    st2 = status(again)
    for jenis, kode in failed:
        row = st2.filter((pl.col("jenis_pemilihan") == jenis) & (pl.col("kode_tps") == kode))
        assert row["nasib"].to_list() == ["diambil"]


def test_a_changed_record_and_a_vanished_tps(server, standin, tmp_path):
    target = tmp_path / "desk"
    first = pull(server, target, "20241127T2000", scope="16.74.01")
    st = status(first).filter(pl.col("nasib") == "diambil").sort("kode_tps")
    changed, gone = st["kode_tps"][0], st["kode_tps"][1]
    jenis_c, jenis_g = st["jenis_pemilihan"][0], st["jenis_pemilihan"][1]
    standin.set_faults(
        [
            {"gangguan": "ubah", "jenis_pemilihan": jenis_c, "kode": changed, "tambah": 7},
            {"gangguan": "hilang", "jenis_pemilihan": jenis_g, "kode": gone},
        ]
    )
    standin.requests(reset=True)
    second = pull(server, target, "20241127T2100", scope="16.74.01")
    assert record_paths(standin.requests()) == {(jenis_c, changed)}  # the only record asked for
    old = json.loads((first.path / f"tps/{jenis_c}/{changed}.json").read_bytes())
    new = json.loads((second.path / f"tps/{jenis_c}/{changed}.json").read_bytes())
    pid = min((k for k in old["tungsura"]["chart"] if k.isdigit()), key=int)
    assert new["tungsura"]["chart"][pid] == old["tungsura"]["chart"][pid] + 7
    st2 = status(second)
    row = st2.filter((pl.col("kode_tps") == gone) & (pl.col("jenis_pemilihan") == jenis_g))
    assert row["nasib"].to_list() == ["hilang"]
    assert not (second.path / f"tps/{jenis_g}/{gone}.json").exists()
    assert second.summary["tps"]["hilang"] == 1


def test_a_run_of_failures_stops_the_pull_and_the_next_run_resumes_it(server, standin, tmp_path):
    target = tmp_path / "desk"
    standin.set_faults([{"gangguan": "status", "status": 503, "path": "pilkada/hhcw/*"}])
    with pytest.raises(fetch.Stopped, match="berturut-turut gagal"):
        pull(server, target, "20241127T2000", scope="16.74.01")
    assert not (target / "kpu/20241127T2000").exists()  # nothing half-visible
    assert (target / "kpu/.tarik-20241127T2000/wilayah").is_dir()
    standin.set_faults([])
    standin.requests(reset=True)
    result = pull(server, target, None, scope="16.74.01")
    assert result.summary["dilanjutkan"] and result.path.name == "20241127T2000"
    # the region lists staged before the stop are not asked for again
    assert not any(p.startswith("wilayah/pilkada/pkwkp/0") for p in standin.requests())


def test_a_server_asking_to_wait_too_long_stops_the_pull(server, standin, tmp_path):
    standin.set_faults([{"gangguan": "status", "status": 429, "detik": 3600}])
    with pytest.raises(fetch.Stopped, match="minta menunggu 3600 detik"):
        pull(server, tmp_path / "desk", "20241127T2000", scope="16.74.01")


# --- killed and resumed -----------------------------------------------------------------------


def _pull_process(target: Path, server, name: str) -> subprocess.Popen:
    """``python -m analysis pull-kpu`` in its own process, slowed by a rate cap to be caught."""
    cmd = [sys.executable, "-m", "analysis", "pull-kpu", "--raw", str(target), "--scope", SCOPE]
    cmd += ["--base-url", base_url(server), "--pull-time", name, "--rate", "150"]
    return subprocess.Popen(
        cmd, cwd=target.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _wait_staged(target: Path, name: str, n: int) -> int:
    staged = target / f"kpu/.tarik-{name}/tps"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(staged.rglob("*.json"))) < n:
        time.sleep(0.05)
    return len(list(staged.rglob("*.json")))


def test_a_killed_pull_resumes_and_ends_with_the_same_files(server, standin, drop, tmp_path):
    name = DemoSource(drop).pulls()[-1]
    standin.show(name)
    reference = pull(server, tmp_path / "whole", name)
    target = tmp_path / "killed"
    target.mkdir()
    proc = _pull_process(target, server, name)
    _wait_staged(target, name, 50)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (target / "kpu" / name).exists()  # never half-visible
    held = _wait_staged(target, name, 0)
    assert 0 < held < reference.summary["tps"]["diambil"]
    standin.requests(reset=True)
    resumed = pull(server, target, None)
    assert resumed.summary["dilanjutkan"]
    assert tree(resumed.path) == tree(reference.path)
    assert (target / "referensi/paslon.csv").read_bytes() == (
        tmp_path / "whole/referensi/paslon.csv"
    ).read_bytes()
    # the records already held were not asked for again
    assert len(record_paths(standin.requests())) <= reference.summary["tps"]["diambil"] - held + 4


def test_ctrl_c_stops_a_pull_with_a_message_and_the_next_run_resumes(
    server, standin, drop, tmp_path
):
    name = DemoSource(drop).pulls()[-1]
    standin.show(name)
    target = tmp_path / "desk"
    target.mkdir()
    proc = _pull_process(target, server, name)
    _wait_staged(target, name, 20)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 3, out
    assert "Jalankan lagi untuk melanjutkan" in out
    assert not (target / "kpu" / name).exists()
    resumed = pull(server, target, None)
    assert resumed.summary["dilanjutkan"] and resumed.summary["tps"]["gagal"] == 0


def test_nothing_is_written_outside_the_drop(server, standin, tmp_path):
    def listing(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for p in root.rglob("*")}

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    before = listing(tmp_path)
    cwd = os.getcwd()
    os.chdir(outside)
    try:
        pull(server, tmp_path / "desk", "20241127T2000", scope="16.74.01")
    finally:
        os.chdir(cwd)
    new = listing(tmp_path) - before
    assert new and all(p.startswith("desk/") or p == "desk" for p in new)
    assert listing(outside) == set()  # the working folder either


# --- the Pemilu site and KPU against itself ---------------------------------------------------


def test_the_real_pemilu_sample_at_the_pemilu_paths(server, standin, tmp_path):
    result = pull(server, tmp_path / "desk", "20240218T1200", scope="31.01", site_name="pemilu")
    got = tree(result.path, ("tps",))
    assert got == {f"tps/ppwp/{p.name}": p.read_bytes() for p in PEMILU_SAMPLE.glob("31*.json")}
    assert len(got) == 88
    paslon = pl.read_csv(tmp_path / "desk/referensi/paslon.csv", infer_schema=False)
    assert paslon["kode_kontestasi"].unique().to_list() == ["ppwp"]
    assert paslon["paslon_id"].to_list() == ["100025", "100026", "100027"]


def test_kpus_aggregate_that_disagrees_with_its_records_is_measured(
    server, standin, drop, tmp_path
):
    standin.set_faults(
        [{"gangguan": "selisih", "jenis_pemilihan": "pkwkk", "kode": "167402", "tambah": 40}]
    )
    result = pull(server, tmp_path / "desk", "20241127T2000")
    df = agregat.agregat_vs_tps(result.path, S.kpu_pull.sites["pilkada"], agregat.desk_tps_of(drop))
    off = df.filter(pl.col("selisih") != 0)
    assert off.select("kode_wilayah", "kode_kontestasi", "selisih").rows() == [
        ("16.74.02", "pkwkk-1674", 40)
    ]
    kab = df.filter(
        (pl.col("kode_wilayah") == "16.74") & (pl.col("kode_kontestasi") == "pkwkk-1674")
    )
    tps_desk = pl.read_csv(drop / "referensi/tps.csv", infer_schema=False).height
    assert kab["tps_desk"].unique().to_list() == [tps_desk]
    assert kab["tps_total_kpu"].unique().to_list() == [tps_desk]
    pkwkk = status(result).filter(pl.col("jenis_pemilihan") == "pkwkk")
    assert kab["tps_masuk_kpu"].unique().to_list() == [(pkwkk["nasib"] == "diambil").sum()]


# --- the whole day over HTTP ------------------------------------------------------------------


@pytest.mark.slow
def test_the_whole_day_pull_ingest_reconcile_gives_kpus_served_data(
    server, standin, drop, tmp_path
):
    from analysis import catalog, read
    from analysis.ingest import run_ingest
    from analysis.pull.standin import copy_desk_side
    from analysis.reconcile import run_reconcile

    desk = tmp_path / "desk"
    copy_desk_side(drop, desk)
    (desk / "manifest.json").write_bytes((drop / "manifest.json").read_bytes())  # the demo's clock
    for label in DemoSource(drop).pulls():
        standin.show(label)
        pull(server, desk, label)
    processed = tmp_path / "processed"
    assert run_ingest(desk, processed, S).balanced
    recon = run_reconcile(processed, S.demo.as_of, S)
    # KPU's side in force = the records the stand-in served last, read independently
    last = drop / "kpu" / DemoSource(drop).pulls()[-1] / "tps"
    served = {}
    for f in last.rglob("*.json"):
        fr = read.read_sirekap_json(f.read_bytes(), f.relative_to(drop).as_posix())
        for pid, votes in fr.votes.select("paslon_id", "suara").rows():
            served[(f.stem, f.parent.name, pid)] = votes
    votes = catalog.read(OFFICIAL_VOTES.name, root=processed)
    tps = catalog.read(OFFICIAL_TPS.name, root=processed).filter(
        pl.col("digantikan_oleh").is_null()
    )
    current = votes.join(
        tps.select("kode_tps", "kode_kontestasi", "waktu_tarik"),
        on=["kode_tps", "kode_kontestasi", "waktu_tarik"],
    )
    got = {
        (k, c.split("-")[0], pid): v
        for k, c, pid, v in current.select(
            "kode_tps", "kode_kontestasi", "paslon_id", "suara"
        ).rows()
    }
    assert got == served
    kpu_side = recon.tps.filter(pl.col("ada_kpu"))
    assert kpu_side.height == len({(k, j) for k, j, _ in served})
