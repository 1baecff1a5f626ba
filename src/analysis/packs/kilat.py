"""Flash reports (*laporan kilat*): what cannot wait for the next pack, made in the same run.

A run makes one for each problem of its scope that is *new*: a verified kritis incident still open
and recent (the status rule, :func:`analysis.packs.status.critical_expr`), or a contest whose open
discrepancy with KPU could change the order (:func:`analysis.packs.status.discrepancy_could_change`),
that was not so in the previous run. "The previous run" is the memory kept in the processed
folder's previous generation (``tindak_lanjut__kilat_masalah``: every such problem seen, and
whether it was active in the latest run). A folder without that memory (its first run) compares
with the previous report's time (the run's ``previous`` as-of: incidents reported by then, the
reconciliation kept for it); with neither, what is there now is the baseline and no flash report
is made. A re-run over the same data therefore makes none.

Output, with the report date's packs (one generation, :mod:`analysis.publish`)::

    reports/<date>/kilat/<id>.html   one A4 page per problem (:mod:`.kilat_page`)
    reports/<date>/kilat/daftar.csv  the delivery list: one row per flash report and recipient

Who gets each kind is the routing table ``config/routing.yaml`` (rules as data, each with its
reason); the action, owner and deadline come from the playbook (``config/playbook.yaml``). The
index lists the date's flash reports at the top (:func:`index_section`).
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from analysis import catalog, console, reference
from analysis.analyse import incidents as inc
from analysis.domain import regions
from analysis.fmt import angka, tanggal_waktu, waktu_singkat
from analysis.publish import write_text_atomic
from analysis.schemas import INCIDENTS, RECON_KONTESTASI, REKON_KEPASTIAN, TINDAK_LANJUT_KILAT
from analysis.settings import REPO_ROOT, Settings
from analysis.taxonomy import taxonomy

ROUTING_FILE = REPO_ROOT / "config" / "routing.yaml"
KILAT_DIR = "kilat"
DAFTAR = "daftar.csv"
KINDS = ("insiden", "selisih")
#: Tiers a recipient can sit at: a tier of the region tree, or the contest's own tier.
ROUTE_TIERS = ("provinsi", "kabkota", "kecamatan", "kontestasi")
DAFTAR_COLUMNS = (
    "id",
    "jenis",
    "kode_wilayah",
    "nama_wilayah",
    "judul",
    "tingkat_tujuan",
    "kode_tujuan",
    "instansi",
    "tujuan",
    "alasan",
    "waktu_data",
    "dibuat",
    "sumber",
    "berkas",
    "generasi",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- Routing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """One agency at one unit: ``Polres`` at ``16.74`` (*Polres Kota Prabumulih*)."""

    tingkat: str
    kode_wilayah: str
    instansi: str

    @property
    def nama(self) -> str:
        if self.kode_wilayah == regions.NATIONAL:
            return f"{self.instansi} RI"
        provincial = regions.tier_of(self.kode_wilayah) == "provinsi" and self.instansi != "Polda"
        prov = "Provinsi " if provincial else ""
        return f"{self.instansi} {prov}{reference.unit_name(self.kode_wilayah)}"


def load_routing(path: Path | None = None) -> list[dict[str, Any]]:
    """The routing rules of ``config/routing.yaml``; a bad file is an error saying what is wrong."""
    source = path or ROUTING_FILE
    try:
        rules = yaml.safe_load(source.read_text(encoding="utf-8"))["aturan"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ValueError(f"{source}: tabel rute laporan kilat tidak terbaca ({exc})") from None
    for i, r in enumerate(rules, 1):
        missing = {"jenis", "kategori", "tujuan", "alasan"} - set(r)
        if missing:
            raise ValueError(f"{source}: aturan {i} tanpa {sorted(missing)}")
        if r["jenis"] not in KINDS:
            raise ValueError(f"{source}: aturan {i}: jenis {r['jenis']!r} bukan salah satu {KINDS}")
        wanted = r["kategori"] if isinstance(r["kategori"], list) else [r["kategori"]]
        unknown = set(wanted) - {"*", *taxonomy().fields["kategori"].labels}
        if unknown:
            raise ValueError(f"{source}: aturan {i}: kategori tak dikenal {sorted(unknown)}")
        for t in r["tujuan"]:
            if t.get("tingkat") not in ROUTE_TIERS or not t.get("instansi"):
                raise ValueError(f"{source}: aturan {i}: tujuan {t} (tingkat: {ROUTE_TIERS})")
    return rules


@lru_cache(maxsize=1)
def routing() -> tuple[dict[str, Any], ...]:
    return tuple(load_routing())


def _fits(value: str, wanted: object) -> bool:
    return wanted == "*" or value in (wanted if isinstance(wanted, list) else [wanted])


def route(
    jenis: str, kategori: str, unit: str, contest_unit: str | None = None
) -> tuple[list[Recipient], str]:
    """(recipients, reason) of a flash report: the first rule that fits."""
    for r in routing():
        if r["jenis"] == jenis and _fits(kategori, r["kategori"]):
            return [_recipient(t, unit, contest_unit) for t in r["tujuan"]], " ".join(
                str(r["alasan"]).split()
            )
    return [], "tidak ada aturan rute untuk jenis ini"


def _recipient(t: dict[str, str], unit: str, contest_unit: str | None) -> Recipient:
    if t["tingkat"] == "kontestasi":
        where = contest_unit or unit
    else:
        k = regions.TIERS.index(t["tingkat"])
        where = regions.ancestor_at(unit, k) if regions.depth(unit) >= k else unit
    return Recipient(regions.tier_of(where), where, t["instansi"])


# --- What calls for a flash report ---------------------------------------------------------------


def critical_incidents(
    insiden: pl.DataFrame | None, as_of: dt.datetime, s: Settings
) -> pl.DataFrame:
    """Open incidents reported by ``as_of`` that make their units kritis (one row per incident)."""
    from analysis.packs.status import critical_expr

    if insiden is None or insiden.is_empty():
        return pl.DataFrame(schema={"id_masalah": pl.String, "kode_wilayah": pl.String})
    df = inc.prepare(insiden, regions.NATIONAL, as_of).filter(pl.col("terbuka"))
    df = df.filter(critical_expr(s.briefing.status))
    return df.with_columns(
        pl.concat_str(pl.lit("insiden:"), pl.col("id_insiden")).alias("id_masalah"),
        pl.col("kode_lokasi").alias("kode_wilayah"),
    )


def changing_contests(folder: Path) -> pl.DataFrame:
    """Contests whose open discrepancy could change the order, in a processed or kept-run folder
    (one row per contest, with its internal ``rekon__kepastian_kontestasi_sumber`` row)."""
    from analysis.packs.status import discrepancy_could_change, internal_decidedness

    kepastian = catalog.read_optional(REKON_KEPASTIAN.name, folder)
    kontestasi = catalog.read_optional(RECON_KONTESTASI.name, folder)
    d = discrepancy_could_change(internal_decidedness(kepastian, kontestasi))
    d = d.filter(pl.col("selisih_bisa_mengubah").fill_null(False)).select("kode_kontestasi")
    if kepastian is not None and "sumber" in kepastian.columns:
        d = d.join(
            kepastian.filter(pl.col("sumber") == "internal"), on="kode_kontestasi", how="left"
        )
    if kontestasi is not None:
        keep = [
            c
            for c in ("kode_kontestasi", "n_tidak_cocok", "tps_keduanya")
            if c in kontestasi.columns
        ]
        d = d.join(kontestasi.select(keep), on="kode_kontestasi", how="left")
    return d.with_columns(
        pl.concat_str(pl.lit("kontestasi:"), pl.col("kode_kontestasi")).alias("id_masalah"),
        pl.col("kode_kontestasi")
        .map_elements(regions.contest_region, return_dtype=pl.String)
        .alias("kode_wilayah"),
    )


def _in_scope(df: pl.DataFrame, scope: str, contests: bool) -> pl.DataFrame:
    """Rows of ``scope``: inside it; a contest also when the scope votes in it (its region holds
    the scope)."""
    inside = regions.inside_expr("kode_wilayah", scope)
    if contests:
        inside = inside | pl.col("kode_wilayah").map_elements(
            lambda c: regions.is_inside(scope, c), return_dtype=pl.Boolean
        )
    return df.filter(inside)


@dataclass
class Found:
    """What calls for a flash report now, in the run's scope."""

    incidents: pl.DataFrame
    contests: pl.DataFrame

    def ids(self) -> set[str]:
        return set(self.incidents["id_masalah"].to_list()) | set(
            self.contests["id_masalah"].to_list()
        )


def found_in(
    processed: Path, recon: Path | None, as_of: dt.datetime, scope: str, s: Settings
) -> Found:
    """Incidents (as of ``as_of``) and contests (the reconciliation in ``recon``; none when None)."""
    insiden = catalog.read_optional(INCIDENTS.name, processed)
    contests = (
        changing_contests(recon)
        if recon is not None
        else pl.DataFrame(schema={"id_masalah": pl.String, "kode_wilayah": pl.String})
    )
    return Found(
        _in_scope(critical_incidents(insiden, as_of, s), scope, False),
        _in_scope(contests, scope, True),
    )


# --- Baseline and memory -------------------------------------------------------------------------


def _kept_run(processed: Path, t: dt.datetime) -> Path | None:
    from analysis.reconcile.history import history_runs

    return next((f for when, f in history_runs(processed) if when == t.astimezone(dt.UTC)), None)


def baseline(
    processed: Path,
    memory: pl.DataFrame | None,
    previous: dt.datetime | None,
    scope: str,
    now: Found,
    s: Settings,
) -> tuple[set[str], str]:
    """(problems not new, how that was decided, in words)."""
    if memory is not None:
        return set(memory.filter(pl.col("aktif"))["id_masalah"].to_list()), "run sebelumnya"
    if previous is None:
        return now.ids(), "run pertama tanpa laporan sebelumnya: keadaan sekarang menjadi acuan"
    kept = _kept_run(processed, previous)
    then = found_in(processed, kept, previous, scope, s)
    ids = then.ids() | (set() if kept is not None else set(now.contests["id_masalah"].to_list()))
    zone = regions.desk_zone(s.desk.unit_code)
    return ids, f"laporan sebelumnya, {waktu_singkat(previous, zone[1], zone[0])}"


def lost_pages(memory: pl.DataFrame | None, day: Path, as_of: dt.datetime) -> set[str]:
    """Problems the memory says were flashed on this report date whose page is no longer in the
    date's folder (the date was made afresh from another drop in between): flashed again."""
    if memory is None or memory.is_empty():
        return set()
    prefix = flash_id(as_of, "", "")[:9]  # "20241128-": the date part of this date's flash ids
    mine = memory.filter(pl.col("aktif") & pl.col("id_kilat").str.starts_with(prefix))
    return {
        m
        for m, k in zip(mine["id_masalah"], mine["id_kilat"], strict=True)
        if not (day / KILAT_DIR / f"{k}.html").is_file()
    }


def remember(
    memory: pl.DataFrame | None, now: Found, made: dict[str, str], scope: str, as_of: dt.datetime
) -> pl.DataFrame:
    """The memory after this run: every problem seen; active = called for a report now (problems
    outside ``scope`` keep what an earlier run said)."""
    rows = pl.concat(
        [
            f.select("id_masalah", "kode_wilayah").with_columns(pl.lit(j).alias("jenis"))
            for f, j in ((now.incidents, "insiden"), (now.contests, "selisih"))
        ]
    )
    old = memory if memory is not None else TINDAK_LANJUT_KILAT.empty()
    mine = (
        pl.Series(old["kode_wilayah"]).map_elements(
            lambda c: regions.is_inside(c, scope) or regions.is_inside(scope, c),
            return_dtype=pl.Boolean,
        )
        if not old.is_empty()
        else pl.Series([], dtype=pl.Boolean)
    )
    kept = old.with_columns(
        pl.when(pl.col("id_masalah").is_in(rows["id_masalah"].implode()))
        .then(True)
        .when(mine)
        .then(False)
        .otherwise(pl.col("aktif"))
        .alias("aktif")
    )
    t = pl.lit(as_of.astimezone(dt.UTC), dtype=pl.Datetime("us", "UTC"))
    fresh = rows.join(old.select("id_masalah"), on="id_masalah", how="anti").with_columns(
        t.alias("pertama_terlihat"),
        pl.lit(True).alias("aktif"),
        pl.col("id_masalah")
        .replace_strict(made, default=None, return_dtype=pl.String)
        .alias("id_kilat"),
    )
    kept = kept.with_columns(
        pl.coalesce(
            pl.col("id_masalah").replace_strict(made, default=None, return_dtype=pl.String),
            "id_kilat",
        ).alias("id_kilat")
    )
    out = pl.concat([TINDAK_LANJUT_KILAT.conform(kept), TINDAK_LANJUT_KILAT.conform(fresh)])
    return out.select(list(TINDAK_LANJUT_KILAT.columns)).sort("id_masalah")


# --- The delivery list ------------------------------------------------------------------------------


def _cell(v: object) -> str:
    text = "" if v is None else str(v)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def read_daftar(day: Path) -> list[dict[str, str]]:
    """The delivery list of a report date (empty when none)."""
    path = day / KILAT_DIR / DAFTAR
    try:
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except OSError:
        return []


def append_daftar(day: Path, rows: list[dict[str, object]]) -> None:
    """Add rows to the date's delivery list (rewritten atomically; UTF-8 with BOM for Excel; a
    cell that would read as a formula is quoted with ``'``)."""
    out = io.StringIO()
    w = csv.DictWriter(out, DAFTAR_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in [*read_daftar(day), *rows]:
        w.writerow({c: _cell(r.get(c)) for c in DAFTAR_COLUMNS})
    (day / KILAT_DIR).mkdir(parents=True, exist_ok=True)
    write_text_atomic(day / KILAT_DIR / DAFTAR, "\ufeff" + out.getvalue())


def made_by(day: Path, generasi: str) -> int:
    """Flash reports the run ``generasi`` made in a report date's folder."""
    return len({r["id"] for r in read_daftar(day) if r.get("generasi") == generasi})


# --- The stage ------------------------------------------------------------------------------------


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80]


def flash_id(as_of: dt.datetime, jenis: str, key: str) -> str:
    """``20241128-1400-insiden-INS-1674-00255``: the data time (WIB), the kind, the problem."""
    local = as_of.astimezone(dt.timezone(dt.timedelta(hours=7)))
    return f"{local:%Y%m%d-%H%M}-{jenis}-{_safe(key)}"


@dataclass(frozen=True)
class RunFacts:
    """What a flash page says about the run that made it."""

    as_of: dt.datetime
    previous: dt.datetime | None
    made_at: dt.datetime
    demo: bool
    generasi: str
    baseline: str


def make_flash_reports(
    processed: Path,
    day: Path,
    scope: str,
    as_of: dt.datetime,
    previous: dt.datetime | None,
    demo: bool,
    generasi: str,
    s: Settings,
) -> int:
    """The stage: flash reports for what is new in ``scope``, the delivery list, the memory.
    Returns the number of flash reports made."""
    from analysis.packs import kilat_page

    memory = catalog.read_optional(TINDAK_LANJUT_KILAT.name, processed)
    now = found_in(processed, processed, as_of, scope, s)
    seen, how = baseline(processed, memory, previous, scope, now, s)
    seen -= lost_pages(memory, day, as_of)
    facts = RunFacts(as_of, previous, dt.datetime.now(dt.UTC), demo, generasi, how)
    made: dict[str, str] = {}
    rows: list[dict[str, object]] = []
    # a flash report this date's list already holds (the same data time, kind and problem: a
    # date made again after an earlier one) is remembered as made, not written or listed again
    listed = {r["id"] for r in read_daftar(day)}
    pages, again = [], 0
    for page in kilat_page.pages(processed, now, seen, facts, s):
        fid = flash_id(as_of, page.jenis, page.key)
        if fid in listed:
            made[page.id_masalah] = fid
            again += 1
        else:
            pages.append(page)
    for page in pages:
        fid = flash_id(as_of, page.jenis, page.key)
        (day / KILAT_DIR).mkdir(parents=True, exist_ok=True)
        write_text_atomic(day / KILAT_DIR / f"{fid}.html", page.html)
        made[page.id_masalah] = fid
        rows += [page.daftar_row(fid, r, facts) for r in page.recipients] or [
            page.daftar_row(fid, None, facts)
        ]
    if rows:
        append_daftar(day, rows)
    after = remember(memory, now, made, scope, as_of)
    if memory is None or not after.equals(memory):
        catalog.write(after, TINDAK_LANJUT_KILAT.name, processed, sort=["id_masalah"])
    console.say(
        f"laporan kilat: {angka(len(pages))} baru (pembanding: {how}); "
        + (
            f"{angka(again)} sudah ada di daftar kirim tanggal ini, tidak dikirim lagi; "
            if again
            else ""
        )
        + f"{angka(len(now.ids()))} masalah kritis aktif di {scope}"
    )
    for page in pages:
        console.say(f"  kilat {made[page.id_masalah]}: {page.judul}")
    return len(pages)


def run_stage(
    processed: Path,
    day: Path,
    scope: str,
    as_of: dt.datetime,
    previous: dt.datetime | None,
    demo: bool,
    generasi: str,
    s: Settings,
) -> bool:
    """:func:`make_flash_reports` as a stage of the daily brief: timed; a failure is one line on
    stderr and makes the run's exit code 1 (the packs are still made); a full disk stops the run."""
    import sys
    import time

    from analysis.publish import disk_full

    console.say("\n== laporan kilat: masalah kritis baru ==", block=True)
    t0 = time.perf_counter()
    try:
        make_flash_reports(processed, day, scope, as_of, previous, demo, generasi, s)
    except Exception as exc:
        if disk_full(exc):
            raise
        console.say(f"laporan kilat gagal: {type(exc).__name__}: {exc}", stream=sys.stderr)
        return False
    console.say(f"   ({time.perf_counter() - t0:.1f} s)")
    return True


# --- The index ----------------------------------------------------------------------------------


def index_section(day: Path) -> str:
    """The index's first section: the date's flash reports, newest first (empty when none)."""
    rows = read_daftar(day)
    if not rows:
        return ""
    by_id: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_id.setdefault(r["id"], []).append(r)
    items = []
    for fid in sorted(by_id, key=lambda k: (by_id[k][0]["dibuat"], k), reverse=True):
        r = by_id[fid][0]
        to = ", ".join(dict.fromkeys(x["tujuan"] for x in by_id[fid] if x["tujuan"]))
        href = html.escape(f"{KILAT_DIR}/{r['berkas']}", quote=True)
        items.append(
            f'<li data-kilat="{html.escape(fid, quote=True)}"><a href="{href}">'
            f"{html.escape(r['judul'])}</a><br><small>dibuat {html.escape(_when(r['dibuat']))}"
            f" · untuk {html.escape(to or '–')}</small></li>"
        )
    return (
        '<section class="kilat" id="kilat"><h2>Laporan kilat</h2>\n<p>Masalah kritis baru yang '
        "tidak menunggu laporan berikutnya: satu halaman per masalah, dengan tindakan, penanggung "
        f'jawab dan tenggatnya. Daftar kirim: <a href="{KILAT_DIR}/{DAFTAR}">{DAFTAR}</a>.</p>\n'
        f"<ul>{''.join(items)}</ul></section>\n"
    )


def _when(iso: str) -> str:
    try:
        return tanggal_waktu(dt.datetime.fromisoformat(iso))
    except ValueError:
        return iso
