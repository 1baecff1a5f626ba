"""Reconciliation: statuses on tiny inline data, roll-ups, leaders, history and changes."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from analysis import catalog, schemas
from analysis.reconcile import (
    changes_since,
    has_history,
    history_dir,
    load_history,
    make_inputs,
    outcome,
    previous_run,
    reconcile,
    run_reconcile,
)
from analysis.reconcile.inputs import INPUTS, load_inputs
from analysis.schemas import RECON_COMPARISONS, RECON_STATUSES
from analysis.settings import default_settings

WIB = dt.timezone(dt.timedelta(hours=7))
PREV = dt.datetime(2024, 11, 27, 20, 0, tzinfo=WIB)
AS_OF = dt.datetime(2024, 11, 28, 14, 0, tzinfo=WIB)
EVENING = dt.datetime(2024, 11, 27, 18, 0, tzinfo=WIB)
REKAP_END = dt.datetime(2024, 12, 12, 23, 59, tzinfo=WIB)
MORNING = dt.datetime(2024, 11, 28, 8, 0, tzinfo=WIB)
LATER = dt.datetime(2024, 11, 28, 16, 0, tzinfo=WIB)  # after AS_OF: must be ignored
C = "pkwkk-1671"

DESA_A = "16.71.01.1001"
DESA_B = "16.71.02.1001"


def tps(desa: str, n: int) -> str:
    return desa.replace(".", "") + f"{n:03d}"


T1, T2, T3, T4, T5, T6 = (
    tps(DESA_A, 1),
    tps(DESA_A, 2),
    tps(DESA_A, 3),
    tps(DESA_B, 1),
    tps(DESA_B, 2),
    tps(DESA_B, 3),
)
T7 = tps("16.71.02.1002", 9)  # not in the reference list


def _tally(rows: list[tuple[str, dt.datetime, list[int], list[str]]], contest: str = C):
    tt = pl.DataFrame(
        {
            "kode_tps": [r[0] for r in rows],
            "kode_kontestasi": [contest] * len(rows),
            "waktu_laporan": [r[1] for r in rows],
            "suara_sah": [sum(r[2]) for r in rows],
            "peringatan": [r[3] for r in rows],
        }
    )
    tv = pl.DataFrame(
        [
            {
                "kode_tps": r[0],
                "kode_kontestasi": contest,
                "waktu_laporan": r[1],
                "nomor_urut": i + 1,
                "suara": v,
            }
            for r in rows
            for i, v in enumerate(r[2])
        ]
    )
    return tt, tv


def _official(rows: list[tuple[str, dt.datetime, list[int] | None, list[str]]], contest: str = C):
    ot = pl.DataFrame(
        {
            "kode_tps": [r[0] for r in rows],
            "kode_kontestasi": [contest] * len(rows),
            "waktu_tarik": [r[1] for r in rows],
            "ada_chart": [r[2] is not None for r in rows],
            "suara_sah": [sum(r[2]) if r[2] else None for r in rows],
            "peringatan": [r[3] for r in rows],
        }
    )
    ov = pl.DataFrame(
        [
            {
                "kode_tps": r[0],
                "kode_kontestasi": contest,
                "waktu_tarik": r[1],
                "nomor_urut": i + 1,
                "suara": v,
            }
            for r in rows
            if r[2]
            for i, v in enumerate(r[2])
        ]
    )
    return ot, ov


def _ref(codes: list[str], dpt: int = 300) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kode_tps": codes,
            "kode_desa": [f"{c[:2]}.{c[2:4]}.{c[4:6]}.{c[6:10]}" for c in codes],
            "nomor_tps": [int(c[10:]) for c in codes],
            "pemilih_dpt": [dpt] * len(codes),
        }
    )


PASLON = pl.DataFrame({"kode_kontestasi": [C, C], "nomor_urut": [1, 2]})


@pytest.fixture
def inputs():
    tt, tv = _tally(
        [
            (T1, EVENING, [10, 20], []),
            (T2, EVENING, [10, 20], []),
            (T3, MORNING, [5, 5], ["ss_rusak"]),
            (T6, EVENING, [30, 30], []),
            (T7, MORNING, [1, 2], []),
            (T1, LATER, [99, 99], []),  # a report after the as-of time: not in force yet
        ]
    )
    ot, ov = _official(
        [
            (T1, MORNING, [10, 20], []),
            (T2, MORNING, [15, 20], ["ocr_ratusan"]),
            (T4, MORNING, [7, 8], []),
            (T6, EVENING, [30, 30], []),
            (T6, MORNING, [30, 33], []),  # revised after the previous report
            (T3, MORNING, None, []),  # KPU record without votes yet: not published
        ]
    )
    return make_inputs(
        tally_tps=tt,
        tally_votes=tv,
        official_tps=ot,
        official_votes=ov,
        ref_tps=_ref([T1, T2, T3, T4, T5, T6]),
        ref_paslon=PASLON,
    )


def _status(result) -> dict[str, str]:
    return dict(result.tps.select("kode_tps", "status").iter_rows())


def test_each_status_on_tiny_data(inputs):
    r = reconcile(inputs, AS_OF, tolerance=0, previous_as_of=PREV)
    assert _status(r) == {
        T1: "cocok",
        T2: "selisih",
        T3: "hanya_internal",
        T4: "hanya_kpu",
        T5: "belum_masuk",
        T6: "kpu_direvisi",
        T7: "hanya_internal",
    }
    t = r.tps.filter(pl.col("kode_tps") == T2).row(0, named=True)
    assert (t["selisih_total"], t["selisih_abs"], t["paslon_selisih"]) == (-5, 5, 1)
    assert t["peringatan_kpu"] == ["ocr_ratusan"] and t["dijelaskan_validasi"]
    p = r.tps_paslon.filter((pl.col("kode_tps") == T2) & (pl.col("nomor_urut") == 1)).row(
        0, named=True
    )
    assert (p["suara_internal"], p["suara_kpu"], p["selisih"]) == (10, 15, -5)
    # revised: both KPU values kept, and the comparison with the desk is still visible
    rev = r.tps_paslon.filter((pl.col("kode_tps") == T6) & (pl.col("nomor_urut") == 2)).row(
        0, named=True
    )
    assert (rev["suara_kpu"], rev["suara_kpu_sebelumnya"], rev["selisih"]) == (33, 30, -3)
    t6 = r.tps.filter(pl.col("kode_tps") == T6).row(0, named=True)
    assert t6["status_banding"] == "selisih" and t6["revisi_abs"] == 3
    # flags of each side travel with the row; a report after as_of is ignored
    t3 = r.tps.filter(pl.col("kode_tps") == T3).row(0, named=True)
    assert t3["peringatan_internal"] == ["ss_rusak"] and not t3["ada_kpu"]
    t1 = r.tps_paslon.filter(pl.col("kode_tps") == T1)["suara_internal"].to_list()
    assert t1 == [10, 20]
    assert not r.tps.filter(pl.col("kode_tps") == T7)["diharapkan"][0]


def test_tolerance_turns_small_difference_into_cocok(inputs):
    r = reconcile(inputs, AS_OF, tolerance=5, previous_as_of=PREV)
    assert _status(r)[T2] == "cocok"


def test_revision_without_previous_run_is_judged_against_first_version(inputs):
    r = reconcile(inputs, AS_OF, tolerance=0, previous_as_of=None)
    assert _status(r)[T6] == "kpu_direvisi"
    # as of the evening only one version existed: nothing revised
    r0 = reconcile(inputs, PREV, tolerance=0, previous_as_of=None)
    assert _status(r0)[T6] == "cocok"
    assert _status(r0)[T1] == "hanya_internal"


def test_roll_ups_equal_the_sum_of_their_parts(inputs):
    r = reconcile(inputs, AS_OF, tolerance=0, previous_as_of=PREV)
    w, s = r.wilayah, r.wilayah_status
    assert set(w["tingkat"]) == {"desa", "kecamatan", "kabkota", "provinsi", "nasional"}
    sums = [
        "suara_internal",
        "suara_kpu",
        "suara_internal_banding",
        "suara_kpu_banding",
        "selisih_abs",
    ]
    counts = [
        c for c in s.columns if c.startswith(("tps_", "n_", "dpt_")) and "dhasil" not in c
    ] + ["selisih_abs"]
    parent = {
        "desa": "kecamatan",
        "kecamatan": "kabkota",
        "kabkota": "provinsi",
        "provinsi": "nasional",
    }
    for child, up in parent.items():
        for frame, cols, keys in (
            (w, sums, ["kode_kontestasi", "nomor_urut"]),
            (s, counts, ["kode_kontestasi"]),
        ):
            kids = frame.filter(pl.col("tingkat") == child)
            par = "00" if up == "nasional" else None
            kids = kids.with_columns(
                (
                    pl.lit("00") if par else pl.col("kode_wilayah").str.replace(r"\.[^.]+$", "")
                ).alias("kode_wilayah")
            )
            summed = (
                kids.group_by("kode_wilayah", *keys)
                .agg(pl.col(cols).sum())
                .sort("kode_wilayah", *keys)
            )
            upper = (
                frame.filter(pl.col("tingkat") == up)
                .select("kode_wilayah", *keys, *cols)
                .sort("kode_wilayah", *keys)
            )
            assert summed.select(upper.columns).equals(upper), (child, up)
    # the national row equals the TPS table directly
    nat = s.filter(pl.col("kode_wilayah") == "00").row(0, named=True)
    assert nat["tps_diharapkan"] == 6 and nat["tps_internal"] == 4 and nat["tps_kpu"] == 4
    assert nat["tps_keduanya"] == 3 and nat["cakupan_internal"] == pytest.approx(4 / 6)
    assert sum(nat[f"n_{st}"] for st in RECON_STATUSES) == r.tps.height
    assert sum(nat[f"n_banding_{st}"] for st in RECON_COMPARISONS) == r.tps.height
    assert nat["n_banding_selisih"] == nat["n_tidak_cocok"]  # "berbeda": one reading, two names
    assert nat["n_tidak_cocok"] == 2 and nat["selisih_abs"] == 5 + 3
    assert nat["dpt_belum_internal"] == 2 * 300
    nw = w.filter(pl.col("kode_wilayah") == "00").sort("nomor_urut")
    assert nw["suara_internal"].to_list() == [10 + 10 + 5 + 30 + 1, 20 + 20 + 5 + 30 + 2]
    assert nw["suara_kpu_banding"].to_list() == [10 + 15 + 30, 20 + 20 + 33]
    assert nw["suara_internal_banding"].to_list() == [10 + 10 + 30, 20 + 20 + 30]
    assert s.filter(pl.col("kode_wilayah") == "16")["kode_induk"][0] == "00"


def test_dhasil_reconciled_at_its_region_level(inputs):
    dh = pl.DataFrame(
        {
            "kode_wilayah": ["1671011001", "1671011001", "16.71.02", "16.71.02"],
            "kode_kontestasi": [C] * 4,
            "nomor_urut": [1, 2, 1, 2],
            "suara": [25, 45, 37, 38],
            "tps_total": [3, 3, 3, 3],
            "tps_masuk": [3, 3, 3, 3],
            "sumber_file": ["kpu/rekap/a.csv"] * 4,
        }
    )
    inp = make_inputs(**{**inputs.__dict__, "official_region": dh})
    r = reconcile(inp, AS_OF, previous_as_of=PREV)
    st = dict(
        r.wilayah_status.filter(pl.col("status_dhasil").is_not_null())
        .select("kode_wilayah", "status_dhasil")
        .iter_rows()
    )
    # desa A: internal 10+10+5=25, 20+20+5=45, complete -> cocok; kecamatan 02: 31 vs 37 while
    # one of its three TPS is not in yet -> belum_lengkap
    assert st == {DESA_A: "cocok", "16.71.02": "belum_lengkap"}
    sel = r.wilayah.filter((pl.col("kode_wilayah") == "16.71.02") & (pl.col("nomor_urut") == 1))
    assert sel["selisih_dhasil"][0] == 30 + 1 - 37  # T6 and the unlisted T7


def _contest_frame(
    internal: list[int], kpu: list[int], selisih_abs: list[int], dpt_missing: int, ib=None, kb=None
):
    n = len(internal)
    w = pl.DataFrame(
        {
            "tingkat": ["nasional"] * n,
            "kode_wilayah": ["00"] * n,
            "kode_kontestasi": [C] * n,
            "nomor_urut": list(range(1, n + 1)),
            "suara_internal": internal,
            "suara_kpu": kpu,
            "suara_internal_banding": ib or internal,
            "suara_kpu_banding": kb or kpu,
            "selisih_banding": [0] * n,
            "selisih_abs": selisih_abs,
        }
    )
    s = pl.DataFrame(
        {
            "kode_wilayah": ["00"],
            "kode_kontestasi": [C],
            "tps_diharapkan": [100],
            "dpt_diharapkan": [30000],
            "tps_internal": [90],
            "tps_kpu": [80],
            "tps_keduanya": [80],
            "cakupan_internal": [0.9],
            "cakupan_kpu": [0.8],
            "n_tidak_cocok": [3],
            "n_kpu_direvisi": [0],
            "selisih_abs": [sum(selisih_abs)],
            "dpt_belum_internal": [dpt_missing],
        }
    )
    return outcome(w, s).row(0, named=True)


def test_outcome_leaders_and_margins():
    safe = _contest_frame([5000, 3000, 100], [4000, 2500, 80], [10, 10, 500], dpt_missing=1000)
    assert (safe["unggul_internal"], safe["kedua_internal"], safe["margin_internal"]) == (
        1,
        2,
        2000,
    )
    assert "bisa_mengubah_hasil" not in safe  # the two questions are answered apart (decided)
    by_order = _contest_frame([5000, 3000], [5000, 3000], [0, 0], 0, ib=[100, 90], kb=[90, 100])
    assert not by_order["urutan_sama"]
    nothing = _contest_frame([0, 0], [0, 0], [0, 0], dpt_missing=30000)
    assert nothing["margin_internal"] is None and nothing["unggul_kpu"] is None


def test_naive_estimate_brackets_the_count(inputs):
    from analysis.reconcile.perkiraan import estimate

    r = reconcile(inputs, AS_OF, previous_as_of=PREV)
    e = estimate(r.tps_paslon, r.tps).sort("nomor_urut")
    assert e.height == 2 and e["keterangan"].str.contains("perkiraan").all()
    assert (e["suara_bawah"] <= e["perkiraan_suara"]).all() and (
        e["perkiraan_suara"] <= e["suara_atas"]
    ).all()
    assert e["perkiraan_persen"].sum() == pytest.approx(1.0)


def test_reconcile_projects_and_answers_both_questions(inputs):
    r = reconcile(inputs, AS_OF, previous_as_of=PREV)
    assert set(r.proyeksi["metode"]) == {"strata_internal", "strata_kpu", "sampel"}
    assert r.proyeksi["alasan"].null_count() == 0
    no_sample = r.proyeksi.filter(pl.col("metode") == "sampel").row(0, named=True)
    assert not no_sample["ada_proyeksi"] and "tidak ada sampel" in no_sample["alasan"]
    assert set(r.kepastian["sumber"]) == {"internal", "kpu"}
    assert r.kepastian["kalimat_sisa"].null_count() == 0


def test_changes_since_previous(inputs):
    before = reconcile(inputs, PREV, previous_as_of=None)
    after = reconcile(inputs, AS_OF, previous_as_of=PREV)
    per_tps, per_unit = changes_since(before, after)
    kinds = dict(per_tps.select("kode_tps", "jenis_perubahan").iter_rows())
    assert kinds[T2] == "selisih_baru"  # KPU arrived and differs
    assert kinds[T6] == "selisih_baru"  # was cocok, KPU revised it away from the desk
    assert kinds[T3] == "masuk_internal" and kinds[T4] == "masuk_kpu"
    assert T5 not in kinds  # nothing happened
    nat = per_unit.filter(pl.col("kode_wilayah") == "00").row(0, named=True)
    assert (nat["tps_internal_sebelumnya"], nat["tps_internal"]) == (3, 4)
    assert nat["n_selisih_baru"] == 2 and nat["n_kpu_direvisi_baru"] == 1
    # and the other way round: a fixed record resolves a discrepancy
    fixed = make_inputs(
        **{
            **inputs.__dict__,
            "official_tps": pl.concat(
                [inputs.official_tps, _official([(T2, LATER, [10, 20], [])])[0]],
                how="diagonal_relaxed",
            ),
            "official_votes": pl.concat(
                [inputs.official_votes, _official([(T2, LATER, [10, 20], [])])[1]],
                how="diagonal_relaxed",
            ),
        }
    )
    later = reconcile(fixed, LATER + dt.timedelta(hours=1), previous_as_of=AS_OF)
    kinds2 = dict(changes_since(after, later)[0].select("kode_tps", "jenis_perubahan").iter_rows())
    assert kinds2[T2] == "selisih_selesai"


def _write_inputs(root: Path, inp) -> None:
    for attr, (ds, _) in INPUTS.items():
        if attr != "official_region":
            catalog.write(getattr(inp, attr), ds.name, root=root)


def test_run_writes_outputs_and_history(tmp_path, inputs):
    _write_inputs(tmp_path, inputs)
    s = default_settings()
    first = run_reconcile(tmp_path, PREV, s)
    assert first.previous_as_of is None and first.perubahan.is_empty()
    second = run_reconcile(tmp_path, AS_OF, s)
    assert second.previous_as_of == PREV.astimezone(dt.UTC)
    assert previous_run(tmp_path, AS_OF) == PREV and has_history(tmp_path, AS_OF)
    assert history_dir(tmp_path, AS_OF, s).name == "20241128T1400"
    for name in (
        "rekon__tps_kontestasi",
        "rekon__tps_kontestasi_paslon",
        "rekon__wilayah_kontestasi_paslon",
        "rekon__wilayah_kontestasi",
        "rekon__kontestasi",
        "rekon__perubahan_tps_kontestasi",
        "rekon__proses",
    ):  # the files a desk opens, by the names it sees
        assert (tmp_path / f"{name}.parquet").exists()
        assert (tmp_path / "history" / "20241128T1400" / f"{name}.parquet").exists()
    meta = json.loads((tmp_path / "history" / "20241128T1400" / "meta.json").read_text())
    assert meta["previous_as_of"].startswith("2024-11-27T13:00")
    kept = load_history(tmp_path, AS_OF)
    assert kept.tps.equals(catalog.read(schemas.RECON_TPS.name, root=tmp_path))
    assert set(second.perubahan["jenis_perubahan"]) >= {"selisih_baru", "masuk_internal"}


def test_cli_reports_bad_time_clearly(tmp_path, capsys):
    from analysis.__main__ import main

    assert main(["reconcile", "--as-of", "besok", "--processed", str(tmp_path)]) == 2
    assert "not an ISO time" in capsys.readouterr().err


def test_record_published_and_corrected_since_previous_report_is_revised():
    """Wrong at the 08:00 pull (after the previous report), corrected at 13:30: kpu_direvisi."""
    tt, tv = _tally([(T1, EVENING, [10, 20], [])])
    ot, ov = _official(
        [
            (T1, MORNING, [20, 10], []),
            (T1, dt.datetime(2024, 11, 28, 13, 30, tzinfo=WIB), [10, 20], []),
        ]
    )
    inp = make_inputs(
        tally_tps=tt, tally_votes=tv, official_tps=ot, official_votes=ov, ref_paslon=PASLON
    )
    r = reconcile(inp, AS_OF, previous_as_of=PREV)
    t = r.tps.row(0, named=True)
    assert (
        t["status"] == "kpu_direvisi" and t["status_banding"] == "cocok" and t["revisi_abs"] == 20
    )
    assert r.tps_paslon.sort("nomor_urut")["suara_kpu_sebelumnya"].to_list() == [20, 10]


def test_unknown_paslon_id_kept_under_negative_nomor_urut():
    """Ingest files votes for a paslon id outside the contest under nomor_urut -1: kept apart."""
    tt, tv = _tally([(T1, EVENING, [10, 20], [])])
    ot, ov = _official([(T1, MORNING, [10, 20], [])])
    ov = pl.concat(
        [
            ov,
            ov.head(1).with_columns(
                pl.lit(-1, dtype=pl.Int64).alias("nomor_urut"),
                pl.lit(7, dtype=pl.Int64).alias("suara"),
            ),
        ]
    )
    inp = make_inputs(
        tally_tps=tt, tally_votes=tv, official_tps=ot, official_votes=ov, ref_paslon=PASLON
    )
    r = reconcile(inp, AS_OF)
    assert r.tps["status"].to_list() == ["selisih"]
    assert dict(r.tps_paslon.select("nomor_urut", "selisih").iter_rows()) == {-1: -7, 1: 0, 2: 0}


# --- the demo election, end to end -----------------------------------------------------------------

_VOTE_FIELDS = ("suara_paslon_", "suara_kolom_kosong", "tungsura.chart.")


def _demo_ready() -> str | None:
    try:
        import analysis.demo  # noqa: F401
        import analysis.ingest  # noqa: F401
    except ImportError as exc:  # the demo generator or ingest not built yet
        return f"demo/ingest not importable: {exc}"
    return None


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    reason = _demo_ready()
    if reason:
        pytest.skip(reason)
    from analysis.demo import generate
    from analysis.ingest import run_ingest

    s = default_settings()
    root = tmp_path_factory.mktemp("demo_recon")
    raw, processed = root / "raw", root / "processed"
    manifest = generate("16.74", s.demo.seed, s.demo.as_of, raw)
    run_ingest(raw, processed, s)
    before = run_reconcile(processed, s.demo.previous_report, s)
    after = run_reconcile(processed, s.demo.as_of, s)
    # every recap received (they arrive from 28 Nov 18.00 to 9 Dec): pure, nothing written
    rekap_end = reconcile(load_inputs(processed), REKAP_END)
    return manifest, before, after, catalog.read(schemas.PASLON.name, root=processed), rekap_end


def _nomor(field: str, paslon: pl.DataFrame, contest: str) -> int:
    if field == "suara_kolom_kosong":
        return 0
    if field.startswith("suara_paslon_"):
        return int(field.rsplit("_", 1)[1])
    pid = field.rsplit(".", 1)[1]
    hit = paslon.filter((pl.col("kode_kontestasi") == contest) & (pl.col("paslon_id") == pid))
    return int(hit["nomor_urut"][0])


def _pull_time(pull: str) -> dt.datetime:
    return dt.datetime.strptime(pull, "%Y%m%dT%H%M").replace(tzinfo=WIB)


@pytest.mark.slow
def test_demo_every_injected_discrepancy_found_and_no_other(demo_run):
    manifest, before, after, paslon, _ = demo_run
    s = default_settings()
    faults = [f for f in manifest["faults"] if f.get("kode_tps") and f.get("kode_kontestasi")]
    vote_faults = [f for f in faults if (f.get("field") or "").startswith(_VOTE_FIELDS)]
    injected = {(f["kode_tps"], f["kode_kontestasi"]) for f in vote_faults}
    checked = 0
    for result in (before, after):
        as_of = result.as_of
        tps = result.tps
        status = {
            (a, b): row
            for a, b, row in zip(
                tps["kode_tps"], tps["kode_kontestasi"], tps.iter_rows(named=True), strict=True
            )
        }
        # none reported where none was injected, beyond what validation explains
        for key, row in status.items():
            if row["status_banding"] == "selisih" and not row["dijelaskan_validasi"]:
                assert key in injected, f"as of {as_of}: unexplained discrepancy at {key}"
        # every injected one found, at the right TPS, contest and paslon
        for f in vote_faults:
            key = (f["kode_tps"], f["kode_kontestasi"])
            row = status.get(key)
            if row is None or not (row["ada_internal"] and row["ada_kpu"]):
                continue  # one side not in yet (or the faulty row rejected): nothing to compare
            nomor = _nomor(f["field"], paslon, f["kode_kontestasi"])
            tp = result.tps_paslon.filter(
                (pl.col("kode_tps") == key[0])
                & (pl.col("kode_kontestasi") == key[1])
                & (pl.col("nomor_urut") == nomor)
            ).row(0, named=True)
            wrong, true = int(f["injected_value"]), int(f["true_value"])
            if f["kind"] == "typing_discrepancy":
                assert row["status_banding"] == "selisih", (as_of, f)
                assert tp["selisih"] == wrong - true
                checked += 1
            elif f["kind"] == "kpu_ocr_hundreds" and any(
                _pull_time(p) <= as_of for p in f["pulls"]
            ):
                assert row["status_banding"] == "selisih" and row["dijelaskan_validasi"], (as_of, f)
                assert tp["selisih"] == true - wrong
                checked += 1
            elif f["kind"] == "kpu_revision":
                shown_wrong = max(
                    (_pull_time(p) for p in f["pulls"] if _pull_time(p) <= as_of), default=None
                )
                fixed = [_pull_time(p) for p in f["revised_in"] if _pull_time(p) <= as_of]
                if fixed:
                    assert row["status"] == "kpu_direvisi", (as_of, f)
                    assert (tp["suara_kpu"], tp["suara_kpu_sebelumnya"]) == (true, wrong)
                    checked += 1
                elif shown_wrong:
                    assert row["status_banding"] == "selisih" and tp["selisih"] == true - wrong
                    checked += 1
    assert checked >= 4, "the demo should exercise typing, OCR and revision faults"
    # a revision is reported as a change since the previous report
    revised = {
        (f["kode_tps"], f["kode_kontestasi"]) for f in vote_faults if f["kind"] == "kpu_revision"
    }
    ch = after.perubahan
    got = {
        (a, b)
        for a, b, k in ch.select("kode_tps", "kode_kontestasi", "jenis_perubahan").iter_rows()
        if k in ("kpu_direvisi_baru", "selisih_selesai")
    }
    assert revised <= got
    assert after.previous_as_of == s.demo.previous_report.astimezone(dt.UTC)


@pytest.mark.slow
def test_demo_roll_up_matches_manifest_truth(demo_run):
    """The national roll-up agrees with the manifest's truth up to the injected internal faults, and
    D.Hasil lands on the right regions (its desa rows sum to the manifest's kecamatan totals)."""
    manifest, _, after, _, rekap_end = demo_run
    nat = after.wilayah_status.filter(pl.col("kode_wilayah") == "00")
    truth = {t["kode_kontestasi"]: t for t in manifest["truth_by_contest"]}
    internal_faults = [
        f for f in manifest["faults"] if f["side"] == "internal" and f.get("kode_kontestasi")
    ]
    for row in nat.iter_rows(named=True):
        t = truth[row["kode_kontestasi"]]
        n_faults = len(
            {
                f["kode_tps"]
                for f in internal_faults
                if f["kode_kontestasi"] == row["kode_kontestasi"]
            }
        )
        assert row["tps_diharapkan"] == t["tps"]
        assert abs(row["tps_internal"] - t["internal_as_of"]["tps"]) <= n_faults
        votes = after.wilayah.filter(
            (pl.col("kode_wilayah") == "00") & (pl.col("kode_kontestasi") == row["kode_kontestasi"])
        )
        for nomor, v in zip(votes["nomor_urut"], votes["suara_internal"], strict=True):
            want = t["internal_as_of"]["suara"].get(str(nomor), 0)
            assert abs(v - want) <= 700 * n_faults, (row["kode_kontestasi"], nomor, v, want)
    replaced = {
        f["memperbaiki"] for e in manifest["rekap"] for f in e["kesalahan"] if "memperbaiki" in f
    }
    for rekap in manifest["rekap"]:
        if "kode_kecamatan" not in rekap or rekap["file"] in replaced:
            continue  # a D.Hasil Kecamatan in force at the end (its desa rows)
        for tot in rekap["totals"]:
            got = rekap_end.wilayah.filter(
                (pl.col("tingkat") == "desa")
                & pl.col("kode_wilayah").str.starts_with(rekap["kode_kecamatan"] + ".")
                & (pl.col("kode_kontestasi") == tot["kode_kontestasi"])
            )
            by_nomor = dict(
                got.group_by("nomor_urut").agg(pl.col("suara_dhasil").sum()).iter_rows()
            )
            for field, value in tot.items():
                if field.startswith(("suara_paslon_", "suara_kolom_kosong")):
                    assert by_nomor.get(_nomor(field, pl.DataFrame(), ""), 0) == value, (
                        rekap["file"],
                        field,
                    )


def test_bad_code_gives_a_clear_error_and_empty_inputs_run(tmp_path):
    from analysis.reconcile import ReconcileError

    tt, tv = _tally([("16710110010A1", EVENING, [1, 2], [])])
    with pytest.raises(ReconcileError, match="16710110010A1"):
        reconcile(make_inputs(tally_tps=tt, tally_votes=tv, ref_paslon=PASLON), AS_OF)
    empty = run_reconcile(tmp_path, AS_OF, default_settings())
    assert empty.tps.is_empty() and empty.kontestasi.is_empty()


def test_bench_runs_on_small_synthetic_data():
    from analysis.reconcile import bench_reconcile

    out = bench_reconcile(None, n_tps=3000)
    assert out["tps_kontestasi"] > 5000 and out["detik_total"] > 0
    assert {"tps", "wilayah", "kontestasi", "perubahan", "tulis"} <= set(out["detik_per_tahap"])


def test_cli_prints_summary(tmp_path, inputs, capsys):
    from analysis.__main__ import main

    _write_inputs(tmp_path, inputs)
    assert main(["reconcile", "--as-of", AS_OF.isoformat(), "--processed", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Rekonsiliasi per 2024-11-28 14.00 WIB" in out and "selisih 1" in out
    assert catalog.processed_path(schemas.RECON_KONTESTASI.name, root=tmp_path).exists()


# --- the rules as tables, and the pieces under them ------------------------------------------------


def test_status_tables_name_every_status_once():
    from analysis.reconcile.tps import COMPARISON, NEITHER, STATUS

    banding = [label for label, _ in COMPARISON] + [NEITHER]
    assert len(set(banding)) == len(banding)
    assert sorted(banding + [label for label, _ in STATUS]) == sorted(RECON_STATUSES)
    assert banding == list(RECON_COMPARISONS)


def test_first_label_takes_the_first_condition_that_holds():
    from analysis.reconcile.exprs import first_label

    df = pl.DataFrame({"a": [True, False, None, False], "b": [True, True, True, False]})
    table = (("pertama", pl.col("a")), ("kedua", pl.col("b")))
    out = df.select(
        first_label(table, "lain").alias("x"), first_label(table).alias("y")
    )  # a null condition does not hold
    assert out["x"].to_list() == ["pertama", "kedua", "kedua", "lain"]
    assert out["y"].to_list() == ["pertama", "kedua", "kedua", None]


def test_change_kinds_in_documented_order():
    from analysis.reconcile.perubahan import JENIS_PERUBAHAN

    assert [label for label, _ in JENIS_PERUBAHAN] == [
        "selisih_baru",
        "selisih_selesai",
        "kpu_direvisi_baru",
        "selisih_berubah",
        "masuk_internal",
        "masuk_kpu",
        "lainnya",
    ]


def test_integer_keys_round_trip_and_group_like_the_codes(inputs):
    from analysis.reconcile.keys import contest_ids, desa_group, pair_columns, with_pid

    cmap = contest_ids(inputs.tally_tps, pl.DataFrame({"kode_kontestasi": ["pkwkp-16"]}))
    assert list(cmap) == ["pkwkk-1671", "pkwkp-16"]  # numbered in code order
    pairs = pl.DataFrame({"kode_tps": [T1, T2, T4], "kode_kontestasi": [C, "pkwkp-16", C]})
    keyed_pairs = with_pid(pairs, cmap, "test").sort("_pid")
    back = keyed_pairs.select(pair_columns(cmap))
    assert back.equals(keyed_pairs.select("kode_tps", "kode_kontestasi"))
    with_desa = keyed_pairs.with_columns(
        pl.Series("kode_desa", [DESA_A, DESA_A, DESA_B]),
    )
    by_int = with_desa.select(desa_group(with_desa, per_paslon=False))["_k"].to_list()
    by_str = with_desa.drop("_pid").select(desa_group(with_desa.drop("_pid"), per_paslon=False))
    assert len(set(by_int)) == by_str["_k"].n_unique() == 3  # two contests in desa A, one in B
    assert by_int[0] == keyed_pairs["_pid"][0] - 1 * 1000  # TPS number 001 zeroed


def test_interrupted_or_foreign_history_folders_are_not_runs(tmp_path, inputs):
    from analysis.reconcile.history import history_runs

    _write_inputs(tmp_path, inputs)
    run_reconcile(tmp_path, PREV, default_settings())
    (tmp_path / "history" / "20241128T1400.tmp").mkdir()
    (tmp_path / "history" / "20241128T1400.tmp" / "meta.json").write_text(
        json.dumps({"as_of": AS_OF.isoformat()})
    )
    (tmp_path / "history" / "lain").mkdir()
    (tmp_path / "history" / "lain" / "meta.json").write_text("{}")
    assert [t for t, _ in history_runs(tmp_path)] == [PREV.astimezone(dt.UTC)]
    assert previous_run(tmp_path, AS_OF) == PREV and not has_history(tmp_path, AS_OF)


def test_synthetic_inputs_are_reproducible():
    from analysis.reconcile.inputs import INPUTS
    from analysis.reconcile.synthetic import synthetic_inputs

    a, b = synthetic_inputs(2000, seed=7), synthetic_inputs(2000, seed=7)
    for name, (ds, _) in INPUTS.items():
        key = list(ds.key)
        assert getattr(a, name).sort(key).equals(getattr(b, name).sort(key)), name
