"""The briefing pack's content: per-unit inputs, the ``Pack`` a notebook loads, and its sections.

A pack is made for one unit at one tier (DOMAIN §1, §9) and shows that unit and its children only.
The flow, for a national set of ~550 packs:

1. :func:`prepare_pack_inputs` runs once per run. It reads the processed datasets (reconcile's
   ``recon_*``, the count versions, incidents, readiness, data-quality accounting) and writes small
   per-unit tables under ``<processed>/pack_inputs/``, sorted by parent unit so a pack reads only its
   slice (row-group pruning) — a pack does no heavy work and never imports Great Expectations.
2. :func:`load_pack` reads one unit's slice into a :class:`Pack` (~0.1 s).
3. ``section_*`` functions each return one ``<section class="bagian">`` of safe HTML: every string
   from the data goes through :func:`html.escape`; key figures carry ``data-angka`` (name),
   ``data-nilai`` (machine value) and, where relevant, ``data-wilayah`` / ``data-kontestasi`` /
   ``data-paslon`` so tests can find what a reader sees.

Everything a reader sees is in Bahasa Indonesia; a dataset a section needs that is absent makes the
section say "data belum tersedia" instead of failing.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from analysis import catalog, charts, fmt
from analysis.domain import regions
from analysis.settings import REPO_ROOT, Settings, code_version, default_settings

NATIONAL = "00"
INPUTS = "pack_inputs"
TIERS = ("nasional", "provinsi", "kabkota", "kecamatan")
TINGKAT_LABEL = {
    "nasional": "Nasional",
    "provinsi": "Provinsi",
    "kabkota": "Kabupaten/Kota",
    "kecamatan": "Kecamatan",
    "desa": "Desa/Kelurahan",
}
ANAK_LABEL = {
    "nasional": "provinsi",
    "provinsi": "kabupaten/kota",
    "kabkota": "kecamatan",
    "kecamatan": "desa/kelurahan",
}
CAVEAT = "hitung internal — bukan hasil resmi; hasil resmi ditetapkan KPU"
BELUM = "data belum tersedia"
STATUS_LABEL = {"aman": "Aman", "perhatian": "Perlu perhatian", "kritis": "Kritis"}
SUMBER_INTERNAL = "Hitung internal"
SUMBER_KPU = "KPU (Sirekap)"
TPS_STATUS_LABEL = {
    "cocok": "cocok",
    "selisih": "selisih",
    "hanya_internal": "hanya internal",
    "hanya_kpu": "hanya KPU",
    "kpu_direvisi": "KPU merevisi",
    "belum_masuk": "belum masuk",
}
INDIKATOR_LABEL = {
    "logistik_diterima": "Logistik diterima",
    "perekaman_ktp_el": "Perekaman KTP-el",
    "nphd_dibayar": "NPHD dibayar",
}


#: Short stage names for chart axes (the schedule's order).
TAHAPAN_SINGKAT = {
    "pemutakhiran_data_pemilih": "Pemutakhiran",
    "pendaftaran_paslon": "Pendaftaran",
    "penetapan_paslon": "Penetapan paslon",
    "kampanye": "Kampanye",
    "masa_tenang": "Masa tenang",
    "pemungutan_penghitungan": "Pungut-hitung",
    "rekapitulasi": "Rekapitulasi",
    "penetapan_calon_terpilih": "Penetapan terpilih",
    "sengketa": "Sengketa",
    "lainnya": "Lainnya",
}


class PackError(ValueError):
    """A pack cannot be made for these parameters (unknown unit, tier mismatch, bad date)."""


# --- Safe HTML --------------------------------------------------------------------------------


class Html(str):
    """Markup built here from escaped parts: safe to embed as is."""


def esc(x: object) -> str:
    """Escape any value for HTML text or a quoted attribute; None shows as an en dash."""
    if isinstance(x, Html):
        return x
    if x is None:
        return fmt.KOSONG
    return html.escape(str(x), quote=True)


def angka_el(
    nama: str, teks: str, nilai: object = None, tag: str = "span", **attrs: object
) -> Html:
    """A key figure a reader sees, findable by tests: ``<span data-angka="cakupan_internal" ...>``."""
    extra = "".join(
        f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None
    )
    nil = f' data-nilai="{esc(nilai)}"' if nilai is not None else ""
    return Html(f'<{tag} class="angka" data-angka="{esc(nama)}"{nil}{extra}>{esc(teks)}</{tag}>')


def tabel(
    kolom: list[str], baris: list[list[object]], kanan: tuple[int, ...] = (), kelas: str = "tabel"
) -> Html:
    """A small table; every cell is escaped unless it is :class:`Html`; ``kanan``: numeric columns."""

    def cls(i: int) -> str:
        return ' class="kanan"' if i in kanan else ""

    th = "".join(f'<th{cls(i)} scope="col">{esc(k)}</th>' for i, k in enumerate(kolom))
    rows = []
    for r in baris:
        tds = "".join(f"<td{cls(i)}>{esc(v)}</td>" for i, v in enumerate(r))
        rows.append(f"<tr>{tds}</tr>")
    return Html(
        f'<div class="tabel-gulir"><table class="{esc(kelas)}"><thead><tr>{th}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


_FIGURE = re.compile(r"<[a-z0-9]+\s[^>]*\bdata-angka=\"([^\"]*)\"[^>]*>")


def figures(html_text: str, nama: str, **attrs: str) -> list[str]:
    """``data-nilai`` of every figure named ``nama`` in a pack's HTML, filtered by data-* attributes.

    E.g. ``figures(html, "suara_internal", kontestasi="pkwkp-16", paslon="1")`` → ``["310"]``; the
    end-to-end tests compare these with figures computed from the processed data.
    """
    out = []
    for m in _FIGURE.finditer(html_text):
        if m.group(1) != nama:
            continue
        tag = m.group(0)
        if all(
            f'data-{k.replace("_", "-")}="{html.escape(str(v))}"' in tag for k, v in attrs.items()
        ):
            nil = re.search(r'data-nilai="([^"]*)"', tag)
            out.append(html.unescape(nil.group(1)) if nil else "")
    return out


def bagian(id_: str, judul: str, isi: str) -> Html:
    """One section of the pack: the executor's template page-breaks before each."""
    return Html(f'<section class="bagian" id="{esc(id_)}"><h2>{esc(judul)}</h2>{isi}</section>')


def p(teks: str, kelas: str | None = None) -> Html:
    k = f' class="{esc(kelas)}"' if kelas else ""
    return Html(f"<p{k}>{esc(teks)}</p>")


def kosong(apa: str) -> Html:
    """The line a section shows when its data is absent."""
    return Html(f'<p class="kosong">{esc(apa)}: {BELUM}.</p>')


def grafik(svg: str, judul: str) -> Html:
    """An inline SVG chart (vl-convert output: its text is XML-escaped) with a caption."""
    return Html(f'<figure class="grafik">{svg}<figcaption>{esc(judul)}</figcaption></figure>')


def caveat() -> Html:
    return Html(f'<p class="caveat"><strong>Catatan:</strong> {esc(CAVEAT)}.</p>')


# --- Run metadata -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    """``<processed>/run.json`` written by the daily job; ``known`` is False when it is absent."""

    known: bool
    demo: bool = False
    raw: str | None = None
    as_of: dt.datetime | None = None
    previous_as_of: dt.datetime | None = None
    code_version: str | None = None
    generated_at: dt.datetime | None = None


def _parse_time(v: object) -> dt.datetime | None:
    if not v:
        return None
    t = dt.datetime.fromisoformat(str(v))
    if t.tzinfo is None:  # a time without offset in this project is the desk's WIB
        t = t.replace(tzinfo=ZoneInfo("Asia/Jakarta"))
    return t.astimezone(dt.UTC)


def read_run_info(processed_dir: Path | str) -> RunInfo:
    """The run's metadata; a missing or unreadable run.json means "sumber data tidak diketahui"."""
    path = Path(processed_dir) / "run.json"
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RunInfo(known=False)
    return RunInfo(
        known=True,
        demo=bool(d.get("demo", False)),
        raw=d.get("drop") or d.get("raw"),  # the drop name: no machine paths in a forwarded file
        as_of=_parse_time(d.get("as_of")),
        previous_as_of=_parse_time(d.get("previous_as_of")),
        code_version=d.get("code_version"),
        generated_at=_parse_time(d.get("generated_at")),
    )


# --- Region codes -----------------------------------------------------------------------------


def tier_of(code: str) -> str:
    """``00`` nasional, ``16`` provinsi, ``16.71`` kabkota, ``16.71.01`` kecamatan."""
    if code == NATIONAL:
        return "nasional"
    return ("provinsi", "kabkota", "kecamatan", "desa")[len(code.split(".")) - 1]


def in_unit(col: str, unit: str) -> pl.Expr:
    """Rows whose dotted code lies in ``unit`` (the unit itself included)."""
    if unit == NATIONAL:
        return pl.lit(True)
    return (pl.col(col) == unit) | pl.col(col).str.starts_with(unit + ".")


def contest_region(kode_kontestasi: str) -> str:
    """The dotted region a contest elects a head for: ``pkwkk-1671`` → ``16.71``; ``ppwp`` → ``00``."""
    if "-" not in kode_kontestasi:
        return NATIONAL
    digits = kode_kontestasi.split("-", 1)[1]
    return ".".join(digits[i : i + 2] for i in range(0, min(len(digits), 6), 2))


def _is_ancestor_or_self(region: str, unit: str) -> bool:
    return region == NATIONAL or unit == region or unit.startswith(region + ".")


def _is_descendant(region: str, unit: str) -> bool:
    return region != unit and (unit == NATIONAL or region.startswith(unit + "."))


def _tps_area(col: str = "kode_tps") -> list[pl.Expr]:
    """Dotted kecamatan/kabkota/provinsi codes from a 13-digit TPS code."""
    c = pl.col(col)
    return [
        c.str.slice(0, 2).alias("kode_provinsi"),
        pl.concat_str(c.str.slice(0, 2), pl.lit("."), c.str.slice(2, 2)).alias("kode_kabkota"),
        pl.concat_str(
            c.str.slice(0, 2), pl.lit("."), c.str.slice(2, 2), pl.lit("."), c.str.slice(4, 2)
        ).alias("kode_kecamatan"),
    ]


# --- Preparing per-unit inputs (once per run) ---------------------------------------------------


def _inputs(processed_dir: Path) -> Path:
    return processed_dir / INPUTS


def _read_opt(name: str, root: Path, columns: list[str] | None = None) -> pl.DataFrame | None:
    """A processed dataset (only ``columns`` when given, present ones), or None when absent."""
    path = catalog.processed_path(name, root=root)
    if not path.exists():
        return None
    if columns is None:
        return pl.read_parquet(path)
    have = pl.read_parquet_schema(path)
    return pl.read_parquet(path, columns=[c for c in columns if c in have])


_KEY = ["kode_tps", "kode_kontestasi"]
_TALLY_COLS = [
    *_KEY,
    "waktu_laporan",
    "pemilih_dpt",
    "pengguna_total",
    "pengguna_dpt",
    "pengguna_dptb",
    "pengguna_dpk",
]
_OFFICIAL_COLS = [
    *_KEY,
    "waktu_tarik",
    "pemilih_dpt",
    "pengguna_total",
    "ada_chart",
    "ada_administrasi",
]


def _write(df: pl.DataFrame, path: Path, sort: list[str] | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if sort:
        df = df.sort(sort, nulls_last=True)
    tmp = path.with_suffix(".tmp")
    df.write_parquet(tmp, row_group_size=20_000, statistics=True)
    tmp.replace(path)


def _in_force(df: pl.DataFrame, time_col: str, as_of: dt.datetime | None) -> pl.DataFrame:
    """The version of each TPS × contest in force as of ``as_of`` (latest time <= as_of)."""
    if as_of is not None:
        df = df.filter(pl.col(time_col) <= as_of)
    return df.sort(time_col).unique(subset=["kode_tps", "kode_kontestasi"], keep="last")


def _units_table(codes: list[str]) -> pl.DataFrame:
    """Names, tier, parent and time zone of the given units (plus "00"), from the region tree."""
    from analysis import reference

    r = reference.regions().filter(pl.col("kode_wilayah").is_in(codes))
    nat = pl.DataFrame(
        {
            "kode_wilayah": [NATIONAL],
            "nama": ["Indonesia"],
            "tingkat": ["nasional"],
            "kode_induk": [None],
            "zona_waktu": ["WIB"],
            "tz": ["Asia/Jakarta"],
        },
        schema_overrides={"kode_induk": pl.String},
    )
    r = r.select(
        "kode_wilayah",
        "nama",
        "tingkat",
        pl.when(pl.col("tingkat") == "provinsi")
        .then(pl.lit(NATIONAL))
        .otherwise(pl.col("kode_induk"))
        .alias("kode_induk"),
        "zona_waktu",
        "tz",
    )
    return pl.concat([nat, r])


def _turnout(
    tally: pl.DataFrame | None,
    official: pl.DataFrame | None,
    ref: pl.DataFrame | None,
    as_of: dt.datetime | None,
) -> pl.DataFrame | None:
    """Turnout per region unit × contest from the count versions in force.

    Grain: one row per unit (nasional..desa) × contest. ``pemilih_dpt_*`` is the DPT of the TPS the
    source has (form's DPT, else the TPS list's), ``pengguna_*`` the voters who voted there.
    """
    parts = []
    for name, df, tcol in (("internal", tally, "waktu_laporan"), ("kpu", official, "waktu_tarik")):
        if df is None or df.is_empty():
            continue
        if name == "kpu":
            df = df.filter(pl.col("ada_administrasi"))
        extra = ["pengguna_dpt", "pengguna_dptb", "pengguna_dpk"] if name == "internal" else []
        cur = _in_force(df, tcol, as_of).select(
            "kode_tps", "kode_kontestasi", "pemilih_dpt", "pengguna_total", *extra
        )
        if ref is not None and not ref.is_empty():
            cur = cur.join(
                ref.select("kode_tps", pl.col("pemilih_dpt").alias("_dpt_ref")),
                on="kode_tps",
                how="left",
            ).with_columns(pl.coalesce("pemilih_dpt", "_dpt_ref").alias("pemilih_dpt"))
        parts.append(
            cur.select(
                "kode_tps",
                "kode_kontestasi",
                pl.col("pemilih_dpt").alias(f"pemilih_dpt_{name}"),
                pl.col("pengguna_total").alias(f"pengguna_{name}"),
                *[pl.col(c).alias(f"{c}_internal") for c in extra],
            )
        )
    if not parts:
        return None
    tps = parts[0]
    for other in parts[1:]:
        tps = tps.join(other, on=["kode_tps", "kode_kontestasi"], how="full", coalesce=True)
    for name in ("internal", "kpu"):
        if f"pengguna_{name}" not in tps.columns:
            tps = tps.with_columns(
                pl.lit(None, pl.Int64).alias(f"pemilih_dpt_{name}"),
                pl.lit(None, pl.Int64).alias(f"pengguna_{name}"),
            )
    desa = pl.concat_str(
        *[
            pl.col("kode_tps").str.slice(a, n)
            if i == 0
            else pl.concat_str(pl.lit("."), pl.col("kode_tps").str.slice(a, n))
            for i, (a, n) in enumerate(((0, 2), (2, 2), (4, 2), (6, 4)))
        ]
    )
    tps = tps.with_columns(
        *_tps_area(), desa.alias("kode_desa"), pl.lit(NATIONAL).alias("kode_nasional")
    )
    aggs = [
        pl.col("pemilih_dpt_internal")
        .filter(pl.col("pengguna_internal").is_not_null())
        .sum()
        .alias("dpt_internal"),
        pl.col("pengguna_internal").sum().alias("pengguna_internal"),
        pl.col("pemilih_dpt_kpu")
        .filter(pl.col("pengguna_kpu").is_not_null())
        .sum()
        .alias("dpt_kpu"),
        pl.col("pengguna_kpu").sum().alias("pengguna_kpu"),
        *[
            pl.col(f"pengguna_{c}_internal").sum()
            for c in ("dpt", "dptb", "dpk")
            if f"pengguna_{c}_internal" in tps.columns
        ],
    ]
    out = [
        tps.group_by(pl.col(col).alias("kode_wilayah"), "kode_kontestasi").agg(aggs)
        for col in ("kode_nasional", "kode_provinsi", "kode_kabkota", "kode_kecamatan", "kode_desa")
    ]
    return pl.concat(out).with_columns(
        (pl.col("pengguna_internal") / pl.col("dpt_internal")).alias("partisipasi_internal"),
        (pl.col("pengguna_kpu") / pl.col("dpt_kpu")).alias("partisipasi_kpu"),
    )


def _progress(
    tally: pl.DataFrame | None,
    official: pl.DataFrame | None,
    as_of: dt.datetime | None,
    expected: pl.DataFrame | None,
) -> pl.DataFrame | None:
    """Count progress over time: TPS in per unit × contest × source, cumulative.

    Grain: one row per unit (nasional..kecamatan) × contest × sumber × waktu (internal reports by
    the hour, KPU by pull). Only TPS expected (in the TPS list) count, like reconcile's coverage.
    """
    firsts = []
    if tally is not None and not tally.is_empty():
        t = tally if as_of is None else tally.filter(pl.col("waktu_laporan") <= as_of)
        firsts.append(
            t.group_by("kode_tps", "kode_kontestasi")
            .agg(pl.col("waktu_laporan").min().dt.truncate("1h").dt.offset_by("1h").alias("waktu"))
            .with_columns(pl.lit("internal").alias("sumber"))
        )
    if official is not None and not official.is_empty():
        o = official.filter(pl.col("ada_chart"))
        if as_of is not None:
            o = o.filter(pl.col("waktu_tarik") <= as_of)
        firsts.append(
            o.group_by("kode_tps", "kode_kontestasi")
            .agg(pl.col("waktu_tarik").min().alias("waktu"))
            .with_columns(pl.lit("kpu").alias("sumber"))
        )
    if not firsts:
        return None
    f = pl.concat(firsts)
    if as_of is not None:  # an hour bucket never ends after the report's own time
        f = f.with_columns(
            pl.min_horizontal("waktu", pl.lit(as_of, pl.Datetime("us", "UTC"))).alias("waktu")
        )
    if expected is not None:
        f = f.join(expected, on=["kode_tps", "kode_kontestasi"], how="semi")
    f = f.with_columns(*_tps_area(), pl.lit(NATIONAL).alias("kode_nasional"))
    out = []
    for col in ("kode_nasional", "kode_provinsi", "kode_kabkota", "kode_kecamatan"):
        out.append(
            f.group_by(pl.col(col).alias("kode_wilayah"), "kode_kontestasi", "sumber", "waktu").agg(
                pl.len().alias("tps_baru")
            )
        )
    return (
        pl.concat(out)
        .sort("kode_wilayah", "kode_kontestasi", "sumber", "waktu")
        .with_columns(
            pl.col("tps_baru")
            .cum_sum()
            .over("kode_wilayah", "kode_kontestasi", "sumber")
            .cast(pl.Int64)
            .alias("tps_masuk")
        )
    )


def prepare_pack_inputs(processed_dir: Path | str, settings: Settings | None = None) -> None:
    """Pre-aggregate, once per run, what every pack needs, per unit, under ``<processed>/pack_inputs``.

    Writes (each sorted by parent unit or code so a pack's filtered read touches few row groups):
    ``wilayah`` (units with names, tier, parent, time zone), ``hitung`` (reconcile's per-unit
    coverage and statuses + turnout; one row per unit × contest), ``suara`` (one row per unit ×
    contest × paslon, with names), ``progres``, ``kontestasi``, ``perubahan``, ``selisih/<prov>``
    (TPS × contest that differ, per province), ``insiden``, ``kesiapan``, ``kualitas_*``,
    ``sumber`` and ``meta.json``. Absent processed datasets are skipped; sections then say
    "data belum tersedia".
    """
    processed = Path(processed_dir)
    out = _inputs(processed)
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.rglob("*.parquet"), out / "analitik_galat.json"]:
        old.unlink(missing_ok=True)
    run = read_run_info(processed)
    as_of = run.as_of

    status = _read_opt("recon_wilayah_status", processed)
    suara = _read_opt("recon_wilayah", processed)
    recon_tps = _read_opt("recon_tps", processed)
    codes: set[str] = set()
    if status is not None:
        codes |= set(status["kode_wilayah"].unique().to_list())

    tally = _read_opt("tally_tps", processed, _TALLY_COLS)
    official = _read_opt("official_tps", processed, _OFFICIAL_COLS)
    turnout = _turnout(tally, official, _read_opt("ref_tps", processed), as_of)
    if status is not None:
        hitung = status
        if turnout is not None:
            hitung = hitung.join(turnout, on=["kode_wilayah", "kode_kontestasi"], how="left")
        _write(hitung, out / "hitung.parquet", ["kode_induk", "kode_wilayah"])
    elif turnout is not None:
        codes |= set(turnout["kode_wilayah"].unique().to_list())
        _write(
            turnout.with_columns(pl.lit(None, pl.String).alias("kode_induk")),
            out / "hitung.parquet",
        )

    units = _units_table(sorted(codes | {NATIONAL}))
    _write(units, out / "wilayah.parquet", ["kode_induk", "kode_wilayah"])
    _write(_contest_names(), out / "nama_kontestasi.parquet")

    paslon = _read_opt("ref_paslon", processed)
    if suara is not None:
        suara = suara.join(
            units.select("kode_wilayah", "kode_induk"), on="kode_wilayah", how="left"
        )
        if paslon is not None:
            suara = suara.join(
                paslon.select("kode_kontestasi", "nomor_urut", "nama_paslon", "kolom_kosong"),
                on=["kode_kontestasi", "nomor_urut"],
                how="left",
            )
        _write(suara, out / "suara.parquet", ["kode_induk", "kode_wilayah"])

    expected = None
    if recon_tps is not None:
        expected = recon_tps.filter(pl.col("diharapkan")).select("kode_tps", "kode_kontestasi")
        beda = recon_tps.filter(
            pl.col("status").is_in(["selisih", "kpu_direvisi"]) | (pl.col("selisih_abs") > 0)
        )
        for (prov,), part in beda.partition_by("kode_provinsi", as_dict=True).items():
            _write(part, out / "selisih" / f"{prov}.parquet", ["kode_desa"])
    progres = _progress(tally, official, as_of, expected)
    del tally, official
    if progres is not None:
        _write(progres, out / "progres.parquet", ["kode_wilayah"])

    for name, target in (
        ("recon_kontestasi", "kontestasi"),
        ("recon_perubahan_wilayah", "perubahan"),
        ("recon_perkiraan", "perkiraan"),
        ("readiness", "kesiapan"),
        ("check_summary", "kualitas_pemeriksaan"),
        ("accounting", "kualitas_berkas"),
        ("ledger", "sumber"),
        ("recon_run", "recon_run"),
    ):
        df = _read_opt(name, processed)
        if df is not None:
            _write(df, out / f"{target}.parquet")
    incidents_df = _read_opt("incidents", processed)
    if incidents_df is not None:
        # Where each report lies (its region, else its TPS's desa, else the nation), so a pack
        # reads only its own; the same rule as incidents.prepare.
        desa = pl.concat_str(
            pl.col("kode_tps").str.slice(0, 2),
            pl.lit("."),
            pl.col("kode_tps").str.slice(2, 2),
            pl.lit("."),
            pl.col("kode_tps").str.slice(4, 2),
            pl.lit("."),
            pl.col("kode_tps").str.slice(6, 4),
        )
        lokasi = pl.coalesce(
            pl.col("kode_wilayah").replace("", None),
            pl.when(pl.col("kode_tps").str.len_chars() >= 10).then(desa),
            pl.lit(NATIONAL),
        )
        _write(
            incidents_df.with_columns(lokasi.alias("_lokasi")), out / "insiden.parquet", ["_lokasi"]
        )
    quarantine = _read_opt("quarantine", processed)
    if quarantine is not None:
        q = (
            quarantine.with_columns(
                pl.col("alasan").list.first().str.split(":").list.first().alias("pemeriksaan"),
                pl.col("alasan").list.first().alias("contoh_alasan"),
            )
            .group_by("dataset", "pemeriksaan")
            .agg(pl.len().alias("n_baris"), pl.col("contoh_alasan").first())
            .sort("n_baris", descending=True)
        )
        _write(q, out / "kualitas_karantina.parquet")
    _write_analytics_inputs(processed, out, as_of)
    meta = {
        "as_of": as_of.isoformat() if as_of else None,
        "previous_as_of": run.previous_as_of.isoformat() if run.previous_as_of else None,
        "disiapkan": dt.datetime.now(dt.UTC).isoformat(),
    }
    (out / "meta.json").write_text(json.dumps(meta), encoding="utf-8")


def _write_analytics_inputs(processed: Path, out: Path, as_of: dt.datetime | None) -> None:
    """The analyse stage's datasets as pack inputs, read only (``python -m analysis analyse``).

    Writes ``penapisan_tps``, ``penapisan_wilayah``, ``kerawanan`` and ``tindak_lanjut``. A dataset
    is copied only when its step in ``analitik__langkah`` succeeded for this run's as_of; otherwise
    its section says "data belum tersedia" (the stage has already reported the failure, and a
    dataset made for another as_of is named here on stderr).
    """
    files = {  # dataset -> (pack input, sort)
        "analitik__penapisan_tps_kontestasi_kolom": ("penapisan_tps", ["kode_desa"]),
        "analitik__penapisan_wilayah_kontestasi_uji": ("penapisan_wilayah", ["kode_wilayah"]),
        "analitik__kerawanan_wilayah": ("kerawanan", None),
        "tindak_lanjut__masalah": ("tindak_lanjut", None),
    }
    status = _read_opt("analitik__langkah", processed)
    for step in status.iter_rows(named=True) if status is not None else ():
        if step["status"] != "ok" or step["dataset"] not in files:
            continue
        if step["waktu_acuan"] != as_of:
            print(
                f"{step['judul']}: dihitung untuk {step['waktu_acuan']}, bukan {as_of}; "
                "jalankan `python -m analysis analyse` lagi",
                file=sys.stderr,
            )
            continue
        name, sort = files[step["dataset"]]
        _write(catalog.read(step["dataset"], root=processed), out / f"{name}.parquet", sort)


# --- The pack ----------------------------------------------------------------------------------


@dataclass
class Pack:
    """Everything one pack shows: one unit and its children, as of the run's time.

    Frames are ``None`` when the dataset behind them is absent.
    """

    kode_wilayah: str
    tingkat: str
    nama: str
    tanggal: dt.date
    zona: str
    tz: str
    as_of: dt.datetime | None
    previous_as_of: dt.datetime | None
    run: RunInfo
    settings: Settings
    processed_dir: Path
    anak: pl.DataFrame  # one row per child unit: kode_wilayah, nama, tingkat
    hitung: pl.DataFrame | None = None  # unit + children × contest
    suara: pl.DataFrame | None = None  # unit + children × contest × paslon
    progres: pl.DataFrame | None = None  # the unit × contest × sumber × waktu
    kontestasi: pl.DataFrame | None = None  # contests held in the unit or its descendants
    perkiraan: pl.DataFrame | None = None  # reconcile's estimate, contests of this very unit only
    perubahan: pl.DataFrame | None = None  # unit + children × contest
    selisih: pl.DataFrame | None = None  # TPS × contest that differ, inside the unit
    insiden: pl.DataFrame | None = None  # incident reports (all; filtered by incidents.prepare)
    kesiapan: pl.DataFrame | None = None  # readiness rows inside the unit
    kualitas: dict[str, pl.DataFrame] = field(default_factory=dict)
    sumber: pl.DataFrame | None = None  # ledger
    kerawanan: pl.DataFrame | None = None
    tindak_lanjut: pl.DataFrame | None = None
    penapisan: pl.DataFrame | None = None  # TPS screen hits inside the unit
    penapisan_wilayah: pl.DataFrame | None = None  # digit screens of the children
    nama_kontestasi: dict[str, str] = field(default_factory=dict)
    nama_wilayah: dict[str, str] = field(default_factory=dict)

    @property
    def kode_anak(self) -> list[str]:
        return self.anak["kode_wilayah"].to_list()

    def waktu(self, t: dt.datetime | None) -> str:
        """A time in the unit's zone: ``Kamis, 28 November 2024 14.05 WIB``."""
        return fmt.tanggal_waktu(t, self.tz, self.zona) if t else fmt.KOSONG


# Prepared tables kept in memory by a warm kernel, read once and shared by every pack it makes:
# path -> ((mtime_ns, size), frame). A table rewritten by prepare_pack_inputs (new mtime or size)
# is read again, so a kernel kept across runs never shows stale inputs.
_TABLES: dict[str, tuple[tuple[int, int], pl.DataFrame]] = {}


def _table(path: Path) -> pl.DataFrame | None:
    """The whole prepared table at ``path`` (cached per file version), or None when absent."""
    try:
        st = path.stat()
    except FileNotFoundError:
        _TABLES.pop(str(path), None)
        return None
    key = (st.st_mtime_ns, st.st_size)
    hit = _TABLES.get(str(path))
    if hit is not None and hit[0] == key:
        return hit[1]
    df = pl.read_parquet(path)
    _TABLES[str(path)] = (key, df)
    return df


def _scan(path: Path, pred: pl.Expr | None = None) -> pl.DataFrame | None:
    """The rows of a prepared table matching ``pred`` (all rows without one), in file order."""
    df = _table(path)
    if df is None:
        return None
    return df.filter(pred) if pred is not None else df


_DERIVED: dict[tuple[int, str], tuple[pl.DataFrame, object]] = {}


def _derived(df: pl.DataFrame, name: str, fn: Callable[[pl.DataFrame], object]) -> object:
    """``fn(df)``, computed once per frame object: the run-wide tables (ledger, per-file accounting)
    are the same cached frame in every pack a kernel makes, so their summaries are too."""
    key = (id(df), name)
    hit = _DERIVED.get(key)
    if hit is not None and hit[0] is df:
        return hit[1]
    if len(_DERIVED) > 64:
        _DERIVED.clear()
    value = fn(df)
    _DERIVED[key] = (df, value)  # keeps df alive, so its id is not reused while cached
    return value


def _unit_rows(unit: str) -> pl.Expr:
    """The unit's own row and its children's rows (tables carrying ``kode_induk``)."""
    return (pl.col("kode_wilayah") == unit) | (pl.col("kode_induk") == unit)


def load_pack(
    processed_dir: Path | str,
    tanggal: str | dt.date,
    tingkat: str,
    kode_wilayah: str,
    settings: Settings | None = None,
) -> Pack:
    """Read one unit's slice of the prepared inputs (run :func:`prepare_pack_inputs` first).

    Raises :class:`PackError` for a bad date, an unknown tier or a tier that does not match the
    code. A relative ``processed_dir`` is taken against the repository root.
    """
    s = settings or default_settings()
    root = Path(processed_dir)
    if not root.is_absolute():
        root = REPO_ROOT / root
    try:
        day = tanggal if isinstance(tanggal, dt.date) else dt.date.fromisoformat(str(tanggal))
    except ValueError:
        raise PackError(f"tanggal {tanggal!r}: expected YYYY-MM-DD") from None
    if tingkat not in TIERS:
        raise PackError(f"tingkat {tingkat!r}: expected one of {', '.join(TIERS)}")
    if tier_of(kode_wilayah) != tingkat:
        raise PackError(
            f"kode_wilayah {kode_wilayah!r} is a {tier_of(kode_wilayah)} code, not {tingkat}"
        )
    inp = _inputs(root)
    if not (inp / "wilayah.parquet").exists():
        prepare_pack_inputs(root, s)
    run = read_run_info(root)
    meta = json.loads((inp / "meta.json").read_text(encoding="utf-8"))
    as_of = _parse_time(meta.get("as_of"))
    if run.known and run.as_of != as_of:
        raise PackError(
            f"{inp}: prepared for as_of {meta.get('as_of')} but run.json says {run.as_of}; "
            "run analysis.packs.prepare_pack_inputs(processed_dir) again"
        )
    prev = _parse_time(meta.get("previous_as_of"))

    wil = _scan(inp / "wilayah.parquet", _unit_rows(kode_wilayah))
    me = wil.filter(pl.col("kode_wilayah") == kode_wilayah)
    if me.is_empty():
        from analysis.reference import unit_name

        try:
            nama = unit_name(kode_wilayah)
        except KeyError:
            raise PackError(
                f"kode_wilayah {kode_wilayah!r} is not a Kemendagri region code"
            ) from None
        zona, tz = (
            regions.time_zone(kode_wilayah[:2])
            if kode_wilayah != NATIONAL
            else ("WIB", "Asia/Jakarta")
        )
    else:
        nama, zona, tz = me["nama"][0], me["zona_waktu"][0], me["tz"][0]
    anak = (
        wil.filter(pl.col("kode_induk") == kode_wilayah)
        .select("kode_wilayah", "nama", "tingkat")
        .sort("kode_wilayah")
    )

    pack = Pack(
        kode_wilayah=kode_wilayah,
        tingkat=tingkat,
        nama=nama,
        tanggal=day,
        zona=zona,
        tz=tz,
        as_of=as_of,
        previous_as_of=prev,
        run=run,
        settings=s,
        processed_dir=root,
        anak=anak,
    )
    pack.nama_wilayah = dict(zip(wil["kode_wilayah"], wil["nama"], strict=True))
    pack.hitung = _scan(inp / "hitung.parquet", _unit_rows(kode_wilayah))
    pack.suara = _scan(inp / "suara.parquet", _unit_rows(kode_wilayah))
    pack.progres = _scan(inp / "progres.parquet", pl.col("kode_wilayah") == kode_wilayah)
    pack.perubahan = _scan(
        inp / "perubahan.parquet",
        pl.col("kode_wilayah").is_in([kode_wilayah, *pack.kode_anak]),
    )
    kont = _scan(inp / "kontestasi.parquet")
    if kont is not None:
        held_in = [contest_region(k) for k in kont["kode_kontestasi"]]
        kont = kont.with_columns(pl.Series("wilayah_kontestasi", held_in))
        pack.kontestasi = kont.filter(in_unit("wilayah_kontestasi", kode_wilayah))
    pack.perkiraan = _scan(inp / "perkiraan.parquet")
    if pack.perkiraan is not None:
        own = [
            k
            for k in pack.perkiraan["kode_kontestasi"].unique()
            if contest_region(k) == kode_wilayah
        ]
        pack.perkiraan = pack.perkiraan.filter(pl.col("kode_kontestasi").is_in(own))
    pack.selisih = _load_selisih(inp, kode_wilayah)
    pack.insiden = _scan(inp / "insiden.parquet", in_unit("_lokasi", kode_wilayah))
    pack.kesiapan = _scan(inp / "kesiapan.parquet", in_unit("kode_wilayah", kode_wilayah))
    for name in ("pemeriksaan", "berkas", "karantina"):
        df = _scan(inp / f"kualitas_{name}.parquet")
        if df is not None:
            pack.kualitas[name] = df
    if "pemeriksaan" in pack.kualitas and "kode_kabkota" in pack.kualitas["pemeriksaan"].columns:
        cs = pack.kualitas["pemeriksaan"]
        kab = kode_wilayah[:5] if tingkat == "kecamatan" else kode_wilayah
        pack.kualitas["pemeriksaan"] = cs.filter(
            in_unit("kode_kabkota", kab) | pl.col("kode_kabkota").is_null()
        )
    pack.sumber = _scan(inp / "sumber.parquet")
    scored = [kode_wilayah] if tingkat == "kecamatan" else pack.kode_anak
    pack.kerawanan = _scan(inp / "kerawanan.parquet", pl.col("kode_wilayah").is_in(scored))
    pack.tindak_lanjut = _scan(inp / "tindak_lanjut.parquet")
    pack.penapisan = _scan(inp / "penapisan_tps.parquet", in_unit("kode_desa", kode_wilayah))
    kab = kode_wilayah[:5] if tingkat == "kecamatan" else kode_wilayah
    pack.penapisan_wilayah = _scan(inp / "penapisan_wilayah.parquet", in_unit("kode_wilayah", kab))
    desa: set[str] = set()
    for df in (pack.selisih, pack.penapisan):
        if df is not None and "kode_desa" in df.columns:
            desa |= set(df["kode_desa"].drop_nulls().unique().to_list())
    if desa:
        names = _scan(inp / "wilayah.parquet", pl.col("kode_wilayah").is_in(sorted(desa)))
        pack.nama_wilayah.update(zip(names["kode_wilayah"], names["nama"], strict=True))
    kn = _scan(inp / "nama_kontestasi.parquet")
    if kn is not None:
        pack.nama_kontestasi = dict(zip(kn["kode_kontestasi"], kn["nama"], strict=True))
    return pack


def _load_selisih(inp: Path, unit: str) -> pl.DataFrame | None:
    folder = inp / "selisih"
    if not folder.exists():
        return None
    files = (
        sorted(folder.glob("*.parquet")) if unit == NATIONAL else [folder / f"{unit[:2]}.parquet"]
    )
    files = [f for f in files if f.exists()]
    if not files:
        return pl.DataFrame()
    frames = [_table(f) for f in files]
    df = pl.concat([f for f in frames if f is not None], how="diagonal_relaxed")
    return df.filter(in_unit("kode_desa", unit)) if unit != NATIONAL else df


def _contest_names() -> pl.DataFrame:
    from analysis import reference

    c = reference.contests().select("kode_kontestasi", "nama")
    return pl.concat(
        [c, pl.DataFrame({"kode_kontestasi": ["ppwp"], "nama": ["Pemilihan Presiden"]})]
    )


# --- Small helpers for sections -----------------------------------------------------------------


def _kontestasi(pack: Pack, kode: str) -> str:
    return pack.nama_kontestasi.get(kode, kode)


def _paslon(nomor: int | None, nama: str | None, kolom_kosong: bool | None = None) -> str:
    if kolom_kosong or nomor == 0:
        return "Kolom kosong"
    return f"{nomor}. {nama}" if nama else f"Paslon {nomor}"


def _own(df: pl.DataFrame | None, pack: Pack) -> pl.DataFrame | None:
    return None if df is None else df.filter(pl.col("kode_wilayah") == pack.kode_wilayah)


def _children(df: pl.DataFrame | None, pack: Pack) -> pl.DataFrame | None:
    return None if df is None else df.filter(pl.col("kode_wilayah").is_in(pack.kode_anak))


def _contests(pack: Pack) -> tuple[list[str], list[str]]:
    """(contests shown in full: the unit's own or a wider one; contests of descendants, compact)."""
    own = _own(pack.hitung, pack)
    if own is None or own.is_empty():
        return [], []
    codes = sorted(
        own["kode_kontestasi"].unique().to_list(), key=lambda k: (len(contest_region(k)), k)
    )
    full = [k for k in codes if _is_ancestor_or_self(contest_region(k), pack.kode_wilayah)]
    # Contests of the children only: a national pack lists the gubernur races, not all 545.
    sub = [k for k in codes if _parent(contest_region(k)) == pack.kode_wilayah]
    return full, sub


def _parent(code: str) -> str | None:
    if code == NATIONAL:
        return None
    return NATIONAL if "." not in code else code.rsplit(".", 1)[0]


def _jenis_anak(pack: Pack) -> str:
    return "gubernur" if pack.tingkat == "nasional" else "bupati/walikota"


def _main_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Per unit, the row of its widest contest (gubernur before bupati/walikota)."""
    return (
        df.with_columns(
            pl.col("kode_kontestasi")
            .map_elements(lambda k: len(contest_region(k)), return_dtype=pl.Int64)
            .alias("_d")
        )
        .sort("kode_wilayah", "_d", "kode_kontestasi")
        .unique(subset=["kode_wilayah"], keep="first", maintain_order=True)
        .drop("_d")
    )


def _val(row: dict, key: str) -> object:
    return row.get(key) if row else None


def _int(x: object) -> int:
    return int(x) if x is not None else 0


def _local_date(pack: Pack, t: dt.datetime | None) -> dt.date | None:
    return t.astimezone(ZoneInfo(pack.tz)).date() if t else None


# --- Child status (traffic light) -------------------------------------------------------------


def child_status(pack: Pack) -> pl.DataFrame:
    """Status per child unit: aman / perhatian / kritis, with the reasons in words.

    Grain: one row per child unit. Rules (thresholds in ``settings.briefing.status``): an open
    *kritis* incident or a discrepancy share at or above ``discrepancy_share_critical`` or internal
    coverage below ``coverage_critical`` → kritis; an open *tinggi* incident, a discrepancy share above
    ``discrepancy_share_watch`` or coverage below ``coverage_watch`` → perhatian. Coverage is judged
    only from the day after voting (on voting night reports are still arriving).
    """
    cfg = pack.settings.briefing.status
    kids = pack.anak.select("kode_wilayah", "nama")
    h = _children(pack.hitung, pack)
    if h is not None and not h.is_empty() and "tps_diharapkan" in h.columns:
        agg = h.group_by("kode_wilayah").agg(
            pl.col("tps_diharapkan").sum(),
            pl.col("tps_internal").sum(),
            pl.col("tps_keduanya").sum(),
            pl.col("n_tidak_cocok").sum(),
        )
        kids = kids.join(agg, on="kode_wilayah", how="left")
    else:
        kids = kids.with_columns(
            pl.lit(None, pl.Int64).alias(c)
            for c in ("tps_diharapkan", "tps_internal", "tps_keduanya", "n_tidak_cocok")
        )
    inc = _open_serious_by_child(pack)
    kids = kids.join(inc, on="kode_wilayah", how="left").with_columns(
        pl.col("n_kritis_terbuka").fill_null(0), pl.col("n_tinggi_terbuka").fill_null(0)
    )
    judge_coverage = (
        pack.as_of is not None and _local_date(pack, pack.as_of) > pack.settings.election.voting_day
    )
    rows = []
    for r in kids.iter_rows(named=True):
        level, why = 0, []
        cov = r["tps_internal"] / r["tps_diharapkan"] if r["tps_diharapkan"] else None
        share = r["n_tidak_cocok"] / r["tps_keduanya"] if r["tps_keduanya"] else None
        if r["n_kritis_terbuka"]:
            level = 2
            why.append(f"{r['n_kritis_terbuka']} insiden kritis belum selesai")
        if r["n_tinggi_terbuka"]:
            level = max(level, 1)
            why.append(f"{r['n_tinggi_terbuka']} insiden tinggi belum selesai")
        if share is not None and share > cfg.discrepancy_share_watch:
            level = max(level, 2 if share >= cfg.discrepancy_share_critical else 1)
            why.append(
                f"{fmt.angka(r['n_tidak_cocok'])} TPS berbeda dengan KPU ({fmt.persen(share)})"
            )
        if judge_coverage and cov is not None and cov < cfg.coverage_watch:
            level = max(level, 2 if cov < cfg.coverage_critical else 1)
            why.append(f"hitung internal baru {fmt.persen(cov)} TPS")
        status = ("aman", "perhatian", "kritis")[level]
        rows.append(
            {
                "kode_wilayah": r["kode_wilayah"],
                "nama": r["nama"],
                "status": status,
                "alasan": "; ".join(why) if why else "tidak ada catatan",
                "cakupan_internal": cov,
                "porsi_selisih": share,
            }
        )
    schema = {
        "kode_wilayah": pl.String,
        "nama": pl.String,
        "status": pl.String,
        "alasan": pl.String,
        "cakupan_internal": pl.Float64,
        "porsi_selisih": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def _open_serious_by_child(pack: Pack) -> pl.DataFrame:
    schema = {"kode_wilayah": pl.String, "n_kritis_terbuka": pl.Int64, "n_tinggi_terbuka": pl.Int64}
    if pack.insiden is None or pack.insiden.is_empty():
        return pl.DataFrame(schema=schema)
    from analysis.analyse import incidents

    df = incidents.prepare(pack.insiden, pack.kode_wilayah, pack.as_of).filter(pl.col("terbuka"))
    return df.group_by(pl.col("kode_anak").alias("kode_wilayah")).agg(
        (pl.col("tingkat_keparahan") == "kritis").sum().cast(pl.Int64).alias("n_kritis_terbuka"),
        (pl.col("tingkat_keparahan") == "tinggi").sum().cast(pl.Int64).alias("n_tinggi_terbuka"),
    )


def _status_el(status: str, kode: str) -> Html:
    return Html(
        f'<span class="status status-{esc(status)}" data-angka="status" data-nilai="{esc(status)}"'
        f' data-wilayah="{esc(kode)}">{esc(STATUS_LABEL[status])}</span>'
    )


# --- Sections ---------------------------------------------------------------------------------


def section_kepala(pack: Pack) -> Html:
    """Header: unit, tier, local date and zone, period, classification, DATA SIMULASI banner."""
    parts = ['<p class="klasifikasi" data-angka="klasifikasi">TERBATAS</p>']
    if pack.run.demo:
        parts.append(
            '<div class="banner-simulasi" role="alert" data-angka="simulasi" data-nilai="true">'
            "<strong>DATA SIMULASI</strong> — seluruh angka dalam laporan ini dibuat oleh generator "
            "demo, bukan data pemilihan sebenarnya.</div>"
        )
    if not pack.run.known:
        parts.append(
            p(
                "Sumber data tidak diketahui: keterangan proses (run.json) tidak ditemukan.",
                "peringatan",
            )
        )
    parts.append(f"<h1>Laporan Harian Desk Pilkada — {esc(pack.nama)}</h1>")
    parts.append("<h2>Identitas laporan</h2>")
    periode = (
        f"{pack.waktu(pack.previous_as_of)} s.d. {pack.waktu(pack.as_of)}"
        if pack.previous_as_of
        else f"s.d. {pack.waktu(pack.as_of)}"
    )
    info = [
        ["Wilayah", Html(f"{esc(pack.nama)} ({esc(pack.kode_wilayah)})")],
        ["Tingkat", TINGKAT_LABEL[pack.tingkat]],
        ["Tanggal laporan", fmt.tanggal(pack.tanggal)],
        [
            "Data per",
            angka_el(
                "waktu_data", pack.waktu(pack.as_of), pack.as_of.isoformat() if pack.as_of else None
            ),
        ],
        ["Periode laporan", periode],
        ["Zona waktu", f"{pack.zona} ({pack.tz})"],
        ["Sumber data", pack.run.raw or "tidak diketahui"],
        ["Klasifikasi", Html("<strong>TERBATAS</strong>")],
    ]
    parts.append(tabel(["Keterangan", "Isi"], info, kelas="tabel kepala"))
    if pack.as_of and _local_date(pack, pack.as_of) != pack.tanggal:
        parts.append(
            p(
                f"Perhatian: data terakhir per {pack.waktu(pack.as_of)}, bukan tanggal laporan "
                f"{fmt.tanggal(pack.tanggal)}.",
                "peringatan",
            )
        )
    # The classification and the banner come first on the page, above the title.
    return Html(f'<section class="bagian" id="kepala">{"".join(parts)}</section>')


def section_ringkasan(pack: Pack) -> Html:
    """Executive summary: what changed since the previous report, and a status per child unit."""
    parts = []
    items = []
    ch = _own(pack.perubahan, pack)
    own = _own(pack.hitung, pack)
    full, sub = _contests(pack)
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True) if own is not None else {}
        c = ch.filter(pl.col("kode_kontestasi") == k) if ch is not None else None
        c = c.row(0, named=True) if c is not None and not c.is_empty() else {}
        txt = (
            f"{_kontestasi(pack, k)}: hitung internal "
            f"{fmt.dari(_val(r, 'tps_internal'), _val(r, 'tps_diharapkan'))}"
        )
        if c:
            txt += f" (laporan sebelumnya {fmt.persen(c.get('cakupan_internal_sebelumnya'))})"
        txt += f"; KPU {fmt.persen(_val(r, 'cakupan_kpu'))}"
        if c:
            txt += (
                f" (sebelumnya {fmt.persen(c.get('cakupan_kpu_sebelumnya'))}); "
                f"selisih baru {fmt.angka(c.get('n_selisih_baru'))} TPS, selesai "
                f"{fmt.angka(c.get('n_selisih_selesai'))}, revisi KPU baru {fmt.angka(c.get('n_kpu_direvisi_baru'))}"
            )
        items.append(txt)
    if sub and own is not None:
        s = own.filter(pl.col("kode_kontestasi").is_in(sub))
        items.append(
            f"{len(sub)} pemilihan {_jenis_anak(pack)} di wilayah ini: hitung internal "
            f"{fmt.dari(int(s['tps_internal'].sum()), int(s['tps_diharapkan'].sum()), 'laporan TPS')}"
        )
    if pack.insiden is not None and not pack.insiden.is_empty():
        from analysis.analyse import incidents

        sm = incidents.incident_summary(
            pack.insiden, pack.kode_wilayah, pack.previous_as_of, pack.as_of
        )
        items.append(
            f"Insiden: {fmt.angka(sm['baru'])} laporan baru sejak laporan sebelumnya; "
            f"{fmt.angka(sm['serius_terbuka'])} insiden kritis/tinggi belum selesai"
        )
    if items:
        parts.append("<ul>" + "".join(f"<li>{esc(t)}</li>" for t in items) + "</ul>")
    else:
        parts.append(kosong("Perubahan sejak laporan sebelumnya"))
    if pack.anak.is_empty():
        parts.append(kosong(f"Status per {ANAK_LABEL[pack.tingkat]}"))
    else:
        st = child_status(pack)
        order = {"kritis": 0, "perhatian": 1, "aman": 2}
        st = st.with_columns(pl.col("status").replace_strict(order).alias("_o")).sort(
            "_o", "kode_wilayah"
        )
        rows = [
            [r["nama"], _status_el(r["status"], r["kode_wilayah"]), r["alasan"]]
            for r in st.iter_rows(named=True)
        ]
        parts.append(f"<h3>Status per {esc(ANAK_LABEL[pack.tingkat])}</h3>")
        parts.append(tabel(["Wilayah", "Status", "Alasan"], rows))
        cfg = pack.settings.briefing.status
        parts.append(
            p(
                f"Kritis: ada insiden kritis belum selesai, ≥ {fmt.persen(cfg.discrepancy_share_critical, 0)} TPS "
                f"berbeda dengan KPU, atau hitung internal < {fmt.persen(cfg.coverage_critical, 0)} TPS. "
                f"Perlu perhatian: insiden tinggi belum selesai, ada TPS berbeda dengan KPU, atau hitung "
                f"internal < {fmt.persen(cfg.coverage_watch, 0)} TPS (cakupan dinilai sejak H+1).",
                "catatan",
            )
        )
    return bagian("ringkasan", "Ringkasan eksekutif", "".join(parts))


def stage_position(day: dt.date, settings: Settings) -> list[tuple[str, str, str]]:
    """(kode, jadwal, keadaan) per stage for ``day``: keadaan is selesai | berlangsung | akan datang."""
    out = []
    last_end: dt.date | None = None
    for st in settings.briefing.stages:
        if st.mulai is None:
            keadaan = "akan datang" if last_end is None or day <= last_end else "dapat berlangsung"
            jadwal = "setelah rekapitulasi"
        else:
            end = st.selesai or st.mulai
            keadaan = (
                "selesai" if day > end else "berlangsung" if day >= st.mulai else "akan datang"
            )
            jadwal = (
                fmt.tanggal_pendek(st.mulai)
                if end == st.mulai
                else f"{fmt.tanggal_pendek(st.mulai)} – {fmt.tanggal_pendek(end)}"
            )
            last_end = max(last_end or end, end)
        out.append((st.kode, jadwal, keadaan))
    return out


def section_tahapan(pack: Pack) -> Html:
    """Stage position: which tahapan the report date falls in."""
    stages = stage_position(pack.tanggal, pack.settings)
    if not stages:
        return bagian("tahapan", "Posisi tahapan", kosong("Jadwal tahapan"))
    from analysis.taxonomy import taxonomy

    labels = taxonomy().fields["tahapan"].labels
    now = [labels.get(k, k) for k, _, s in stages if s == "berlangsung"]
    h = (pack.tanggal - pack.settings.election.voting_day).days
    hari = (
        "hari pemungutan suara" if h == 0 else f"H{'+' if h > 0 else '-'}{abs(h)} pemungutan suara"
    )
    parts = [
        Html(
            f'<p class="sorot">Tahapan berlangsung: '
            f"{angka_el('tahapan_berlangsung', ', '.join(now) or 'tidak ada tahapan terjadwal', '|'.join(now))}"
            f" ({esc(hari)}, {esc(fmt.tanggal(pack.tanggal))}).</p>"
        )
    ]
    rows = [
        [
            labels.get(k, k),
            j,
            Html(f'<span class="keadaan keadaan-{esc(s.replace(" ", "-"))}">{esc(s)}</span>'),
        ]
        for k, j, s in stages
    ]
    parts.append(tabel(["Tahapan", "Jadwal", "Keadaan"], rows))
    return bagian("tahapan", "Posisi tahapan", "".join(parts))


def section_indikator(pack: Pack) -> Html:
    """Key indicators against targets: turnout per contest and per child, readiness (logistik, KTP-el, NPHD)."""
    e = pack.settings.election
    parts = [Html("<h3>Partisipasi pemilih</h3>")]
    own = _own(pack.hitung, pack)
    if own is None or own.is_empty() or "partisipasi_internal" not in own.columns:
        parts.append(kosong("Partisipasi pemilih"))
    else:
        target = (
            e.turnout_target(pack.kode_wilayah)
            if pack.kode_wilayah != NATIONAL
            else e.turnout_target_default
        )
        full, sub = _contests(pack)
        rows, jenis = [], []
        for k in full:
            r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
            t = e.turnout_target(contest_region(k)) if contest_region(k) != NATIONAL else target
            v = r["partisipasi_internal"]
            rows.append(
                [
                    _kontestasi(pack, k),
                    angka_el(
                        "partisipasi", fmt.persen(v), v, wilayah=pack.kode_wilayah, kontestasi=k
                    ),
                    angka_el("target_partisipasi", fmt.persen(t), t, kontestasi=k),
                    fmt.selisih_poin(v - t) if v is not None else fmt.KOSONG,
                    fmt.dari(_val(r, "tps_internal"), _val(r, "tps_diharapkan")),
                ]
            )
            if r.get("pengguna_dptb_internal") is not None:
                jenis.append(
                    f"{_kontestasi(pack, k)}: pengguna hak pilih DPT "
                    f"{fmt.angka(r.get('pengguna_dpt_internal'))} · DPTb "
                    f"{fmt.angka(r.get('pengguna_dptb_internal'))} · DPK "
                    f"{fmt.angka(r.get('pengguna_dpk_internal'))} (dari DPT "
                    f"{fmt.angka(r.get('dpt_internal'))} pada TPS yang sudah masuk)"
                )
        if rows:
            parts.append(
                tabel(
                    ["Pemilihan", "Partisipasi", "Target", "Selisih", "Dasar (TPS masuk)"],
                    rows,
                    kanan=(1, 2, 3),
                )
            )
        if jenis:
            parts.append("<ul>" + "".join(f"<li>{esc(j)}</li>" for j in jenis) + "</ul>")
        parts.append(
            p(
                "Partisipasi = pengguna hak pilih ÷ DPT pada TPS yang sudah masuk hitung internal "
                f"({CAVEAT}).",
                "catatan",
            )
        )
        kids = _children(pack.hitung, pack)
        if kids is not None and not kids.is_empty():
            m = _main_rows(kids).join(
                pack.anak.select("kode_wilayah", "nama"), on="kode_wilayah", how="left"
            )
            m = m.with_columns(
                pl.col("kode_wilayah")
                .map_elements(e.turnout_target, return_dtype=pl.Float64)
                .alias("target")
            ).sort("kode_wilayah")
            rows = [
                [
                    r["nama"],
                    _kontestasi(pack, r["kode_kontestasi"]),
                    angka_el(
                        "partisipasi",
                        fmt.persen(r["partisipasi_internal"]),
                        r["partisipasi_internal"],
                        wilayah=r["kode_wilayah"],
                        kontestasi=r["kode_kontestasi"],
                    ),
                    fmt.persen(r["target"]),
                    fmt.selisih_poin(r["partisipasi_internal"] - r["target"])
                    if r["partisipasi_internal"] is not None
                    else fmt.KOSONG,
                ]
                for r in m.iter_rows(named=True)
            ]
            parts.append(f"<h4>Per {esc(ANAK_LABEL[pack.tingkat])}</h4>")
            parts.append(
                tabel(
                    ["Wilayah", "Pemilihan", "Partisipasi", "Target", "Selisih"],
                    rows,
                    kanan=(2, 3, 4),
                )
            )
            chart_df = m.select(
                pl.col("nama").str.replace(r"^Kabupaten ", "Kab. "),
                pl.col("partisipasi_internal").alias("partisipasi"),
                "target",
            )
            if chart_df["partisipasi"].drop_nulls().len():
                parts.append(
                    grafik(
                        charts.turnout_vs_target(chart_df.head(charts.MAX_ROWS)),
                        f"Partisipasi per {ANAK_LABEL[pack.tingkat]} (batang) dan target (garis merah)",
                    )
                )
    parts.append(Html("<h3>Kesiapan (logistik, KTP-el, NPHD)</h3>"))
    parts.append(_readiness(pack))
    return bagian("indikator", "Indikator utama terhadap target", "".join(parts))


def readiness_summary(pack: Pack) -> pl.DataFrame | None:
    """Latest readiness per indicator for the unit (and per child), as of the report date.

    Grain: one row per unit (the pack's unit and each child with data) × indicator: ``capaian``
    (Σ pembilang ÷ Σ penyebut when both are known, else the mean of ``nilai``), ``target``, ``tanggal``.
    """
    k = pack.kesiapan
    if k is None or k.is_empty():
        return None
    k = k.filter(pl.col("tanggal") <= pack.tanggal)
    if k.is_empty():
        return None
    latest = k.sort("tanggal").unique(subset=["kode_wilayah", "indikator"], keep="last")
    depth = 0 if pack.kode_wilayah == NATIONAL else len(pack.kode_wilayah.split("."))
    n = (2, 5, 8, 13)[depth] if depth < 4 else 13
    latest = latest.with_columns(
        pl.when(pl.col("kode_wilayah").str.len_chars() >= n)
        .then(pl.col("kode_wilayah").str.slice(0, n))
        .otherwise(pl.lit(pack.kode_wilayah))
        .alias("kode_anak")
    )

    def agg(df: pl.DataFrame, by: list[str]) -> pl.DataFrame:
        return df.group_by(by).agg(
            pl.when(
                pl.col("pembilang").is_not_null().all()
                & pl.col("penyebut").is_not_null().all()
                & (pl.col("penyebut").sum() > 0)
            )
            .then(pl.col("pembilang").sum() / pl.col("penyebut").sum())
            .otherwise(pl.col("nilai").mean())
            .alias("capaian"),
            pl.col("tanggal").max(),
            pl.len().alias("n_laporan"),
        )

    targets = pack.settings.election.readiness_targets.model_dump()
    unit = agg(latest, ["indikator"]).with_columns(pl.lit(pack.kode_wilayah).alias("kode_wilayah"))
    kids = agg(
        latest.filter(pl.col("kode_anak") != pack.kode_wilayah), ["kode_anak", "indikator"]
    ).rename({"kode_anak": "kode_wilayah"})
    out = pl.concat([unit, kids], how="diagonal_relaxed")
    return out.with_columns(
        pl.col("indikator")
        .replace_strict(targets, default=None, return_dtype=pl.Float64)
        .alias("target")
    ).sort("kode_wilayah", "indikator")


def _readiness(pack: Pack) -> Html:
    rs = readiness_summary(pack)
    if rs is None:
        return kosong("Kesiapan")
    own = rs.filter(pl.col("kode_wilayah") == pack.kode_wilayah)
    rows = []
    for r in own.iter_rows(named=True):
        ok = (
            r["target"] is not None
            and r["capaian"] is not None
            and r["capaian"] >= r["target"] - 1e-9
        )
        rows.append(
            [
                INDIKATOR_LABEL.get(r["indikator"], r["indikator"]),
                angka_el(
                    "kesiapan",
                    fmt.persen(r["capaian"]),
                    r["capaian"],
                    indikator=r["indikator"],
                    wilayah=pack.kode_wilayah,
                ),
                fmt.persen(r["target"]),
                "tercapai" if ok else "belum tercapai",
                fmt.tanggal_pendek(r["tanggal"]),
            ]
        )
    out = [tabel(["Indikator", "Capaian", "Target", "Keadaan", "Data per"], rows, kanan=(1, 2))]
    kids = rs.filter(pl.col("kode_wilayah") != pack.kode_wilayah)
    if not kids.is_empty():
        wide = kids.pivot(on="indikator", index="kode_wilayah", values="capaian").sort(
            "kode_wilayah"
        )
        inds = [c for c in INDIKATOR_LABEL if c in wide.columns]
        rows = [
            [pack.nama_wilayah.get(r["kode_wilayah"], r["kode_wilayah"])]
            + [fmt.persen(r[c]) for c in inds]
            for r in wide.iter_rows(named=True)
        ]
        out.append(f"<h4>Per {esc(ANAK_LABEL[pack.tingkat])}</h4>")
        out.append(
            tabel(
                ["Wilayah"] + [INDIKATOR_LABEL[c] for c in inds],
                rows,
                kanan=tuple(range(1, len(inds) + 1)),
            )
        )
    return Html("".join(out))


def _paslon_rows(pack: Pack, k: str) -> pl.DataFrame:
    s = _own(pack.suara, pack).filter(pl.col("kode_kontestasi") == k)
    for c in ("nama_paslon", "kolom_kosong"):
        if c not in s.columns:
            s = s.with_columns(pl.lit(None).alias(c))
    return s.sort("nomor_urut")


def _progress_chart(pack: Pack, k: str, tps_total: int | None) -> Html | None:
    if pack.progres is None or not tps_total:
        return None
    g = pack.progres.filter(pl.col("kode_kontestasi") == k)
    if g.is_empty():
        return None
    tz = ZoneInfo(pack.tz)
    g = g.with_columns(
        pl.col("waktu").dt.convert_time_zone(pack.tz).dt.replace_time_zone(None).alias("waktu"),
        (pl.col("tps_masuk") / tps_total).alias("cakupan"),
        pl.col("sumber")
        .replace_strict({"internal": SUMBER_INTERNAL, "kpu": SUMBER_KPU})
        .alias("sumber"),
    )
    if pack.as_of is not None:  # carry each line to the report time
        end = pack.as_of.astimezone(tz).replace(tzinfo=None)
        last = (
            g.sort("waktu", maintain_order=True)
            .group_by("sumber", maintain_order=True)  # same order every run
            .agg(pl.col("cakupan").last())
            .with_columns(pl.lit(end).cast(g["waktu"].dtype).alias("waktu"))
        )
        g = pl.concat(
            [g.select("waktu", "sumber", "cakupan"), last.select("waktu", "sumber", "cakupan")]
        )
    g = (
        g.select("waktu", "sumber", "cakupan")
        .sort("waktu", maintain_order=True)
        .tail(charts.MAX_ROWS)
    )
    return grafik(
        charts.count_progress(g), f"Progres TPS masuk — {_kontestasi(pack, k)} (waktu {pack.zona})"
    )


def _estimate(pack: Pack, k: str, paslon: pl.DataFrame) -> str:
    """Reconcile's estimate of the final internal result for the unit's own contest, labelled so."""
    if pack.perkiraan is None:
        return ""
    e = pack.perkiraan.filter(pl.col("kode_kontestasi") == k).sort("nomor_urut")
    if e.is_empty():
        return ""
    names = {r["nomor_urut"]: r for r in paslon.iter_rows(named=True)}
    rows = []
    for r in e.iter_rows(named=True):
        x = names.get(r["nomor_urut"], {})
        rows.append(
            [
                _paslon(r["nomor_urut"], x.get("nama_paslon"), x.get("kolom_kosong")),
                angka_el(
                    "perkiraan_persen",
                    fmt.persen(r["perkiraan_persen"]),
                    r["perkiraan_persen"],
                    kontestasi=k,
                    paslon=r["nomor_urut"],
                ),
                f"{fmt.persen(r['persen_bawah'])} – {fmt.persen(r['persen_atas'])}",
            ]
        )
    return Html(
        "<h4>Perkiraan akhir hitung internal (bukan hasil)</h4>"
        + tabel(["Pasangan calon", "Perkiraan", "Selang 95%"], rows, kanan=(1, 2))
        + p(e["keterangan"][0] or "perkiraan — bukan hasil resmi", "caveat-kecil")
    )


def section_hitung(pack: Pack) -> Html:
    """The internal count, always with its coverage and the caveat."""
    parts = [caveat()]
    own = _own(pack.hitung, pack)
    full, sub = _contests(pack)
    if own is None or own.is_empty() or pack.suara is None:
        parts.append(kosong("Hitung internal"))
        return bagian("hitung", "Hitung internal", "".join(parts))
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
        parts.append(f"<h3>{esc(_kontestasi(pack, k))}</h3>")
        parts.append(
            Html(
                "<p>Cakupan hitung internal: "
                + angka_el(
                    "cakupan_internal",
                    fmt.dari(r["tps_internal"], r["tps_diharapkan"]),
                    r["cakupan_internal"],
                    wilayah=pack.kode_wilayah,
                    kontestasi=k,
                    tps=r["tps_internal"],
                    tps_total=r["tps_diharapkan"],
                )
                + f"; DPT pada TPS yang belum masuk: {esc(fmt.angka(r.get('dpt_belum_internal')))} pemilih.</p>"
            )
        )
        s = _paslon_rows(pack, k)
        total = int(s["suara_internal"].fill_null(0).sum()) if not s.is_empty() else 0
        rows = []
        for x in s.iter_rows(named=True):
            v = x["suara_internal"]
            rows.append(
                [
                    _paslon(x["nomor_urut"], x["nama_paslon"], x["kolom_kosong"]),
                    angka_el(
                        "suara_internal",
                        fmt.angka(v),
                        v,
                        wilayah=pack.kode_wilayah,
                        kontestasi=k,
                        paslon=x["nomor_urut"],
                    ),
                    fmt.persen(v / total) if total and v is not None else fmt.KOSONG,
                ]
            )
        rows.append(
            [
                Html("<strong>Jumlah suara sah</strong>"),
                angka_el("suara_sah_internal", fmt.angka(total), total, kontestasi=k),
                "",
            ]
        )
        parts.append(
            tabel(["Pasangan calon", "Suara (internal)", "Persentase"], rows, kanan=(1, 2))
        )
        parts.append(
            p(f"{CAVEAT}; cakupan {fmt.persen(r['cakupan_internal'])} TPS.", "caveat-kecil")
        )
        parts.append(_estimate(pack, k, s))
        # One chart per kind and pack (the contest closest to the unit) keeps a pack fast to make.
        ch = _progress_chart(pack, k, r["tps_diharapkan"]) if k == full[-1] else None
        if ch:
            parts.append(ch)
    if sub:
        parts.append(Html(f"<h3>Pemilihan {esc(_jenis_anak(pack))} di {esc(pack.nama)}</h3>"))
        suara = _own(pack.suara, pack)
        rows = []
        for k in sub:
            r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
            s = suara.filter(pl.col("kode_kontestasi") == k).sort(
                "suara_internal", descending=True, nulls_last=True
            )
            total = int(s["suara_internal"].fill_null(0).sum())
            lead = s.row(0, named=True) if not s.is_empty() else None
            second = s.row(1, named=True) if s.height > 1 else None
            rows.append(
                [
                    _kontestasi(pack, k),
                    angka_el(
                        "cakupan_internal",
                        fmt.persen(r["cakupan_internal"]),
                        r["cakupan_internal"],
                        wilayah=pack.kode_wilayah,
                        kontestasi=k,
                        tps=r["tps_internal"],
                        tps_total=r["tps_diharapkan"],
                    ),
                    _paslon(lead["nomor_urut"], lead.get("nama_paslon"), lead.get("kolom_kosong"))
                    if lead and total
                    else fmt.KOSONG,
                    fmt.persen(lead["suara_internal"] / total) if lead and total else fmt.KOSONG,
                    fmt.angka((lead["suara_internal"] or 0) - (second["suara_internal"] or 0))
                    if lead and second and total
                    else fmt.KOSONG,
                ]
            )
        parts.append(
            tabel(
                [
                    "Pemilihan",
                    "Cakupan internal",
                    "Unggul sementara",
                    "Persentase",
                    "Selisih dgn. kedua",
                ],
                rows,
                kanan=(1, 3, 4),
            )
        )
        parts.append(p(f"Unggul sementara menurut {CAVEAT}.", "caveat-kecil"))
    kids = _children(pack.hitung, pack)
    if kids is not None and not kids.is_empty():
        m = (
            _main_rows(kids)
            .join(pack.anak.select("kode_wilayah", "nama"), on="kode_wilayah", how="left")
            .sort("kode_wilayah")
        )
        rows = [
            [
                r["nama"],
                _kontestasi(pack, r["kode_kontestasi"]),
                angka_el(
                    "cakupan_internal",
                    fmt.dari(r["tps_internal"], r["tps_diharapkan"]),
                    r["cakupan_internal"],
                    wilayah=r["kode_wilayah"],
                    kontestasi=r["kode_kontestasi"],
                ),
                angka_el(
                    "cakupan_kpu",
                    fmt.persen(r["cakupan_kpu"]),
                    r["cakupan_kpu"],
                    wilayah=r["kode_wilayah"],
                    kontestasi=r["kode_kontestasi"],
                ),
            ]
            for r in m.iter_rows(named=True)
        ]
        parts.append(f"<h3>Cakupan per {esc(ANAK_LABEL[pack.tingkat])}</h3>")
        parts.append(tabel(["Wilayah", "Pemilihan", "Hitung internal", "KPU"], rows, kanan=(2, 3)))
    return bagian("hitung", "Hitung internal", "".join(parts))


def section_banding(pack: Pack) -> Html:
    """Comparison with KPU: like-for-like votes, TPS statuses, largest discrepancies, outcome risk."""
    parts = []
    own = _own(pack.hitung, pack)
    full, sub = _contests(pack)
    if own is None or own.is_empty() or pack.suara is None or "n_cocok" not in own.columns:
        return bagian("banding", "Perbandingan dengan KPU", kosong("Perbandingan dengan KPU"))
    parts.append(
        p(
            "Perbandingan setara: hanya TPS yang sudah ada di hitung internal dan di Sirekap KPU. "
            "Angka KPU adalah data Sirekap yang dibaca Desk, bukan hasil rekapitulasi resmi.",
            "catatan",
        )
    )
    for k in full:
        r = own.filter(pl.col("kode_kontestasi") == k).row(0, named=True)
        parts.append(f"<h3>{esc(_kontestasi(pack, k))}</h3>")
        counts = [
            ("tps_keduanya", "TPS dibandingkan"),
            ("n_cocok", "cocok"),
            ("n_selisih", "selisih"),
            ("n_kpu_direvisi", "KPU merevisi"),
            ("n_hanya_internal", "hanya internal"),
            ("n_hanya_kpu", "hanya KPU"),
            ("n_belum_masuk", "belum masuk"),
        ]
        parts.append(
            "<p>"
            + " · ".join(
                f"{esc(label)}: {angka_el(c, fmt.angka(r.get(c)), r.get(c), wilayah=pack.kode_wilayah, kontestasi=k)}"
                for c, label in counts
            )
            + "</p>"
        )
        s = _paslon_rows(pack, k)
        rows, chart_rows = [], []
        for x in s.iter_rows(named=True):
            label = _paslon(x["nomor_urut"], x["nama_paslon"], x["kolom_kosong"])
            rows.append(
                [
                    label,
                    angka_el(
                        "suara_internal_banding",
                        fmt.angka(x["suara_internal_banding"]),
                        x["suara_internal_banding"],
                        kontestasi=k,
                        paslon=x["nomor_urut"],
                    ),
                    angka_el(
                        "suara_kpu_banding",
                        fmt.angka(x["suara_kpu_banding"]),
                        x["suara_kpu_banding"],
                        kontestasi=k,
                        paslon=x["nomor_urut"],
                    ),
                    angka_el(
                        "selisih_banding",
                        fmt.selisih(x["selisih_banding"]),
                        x["selisih_banding"],
                        kontestasi=k,
                        paslon=x["nomor_urut"],
                    ),
                    fmt.angka(x["selisih_abs"]),
                ]
            )
            chart_rows += [
                {
                    "paslon": label,
                    "sumber": SUMBER_INTERNAL,
                    "suara": x["suara_internal_banding"] or 0,
                },
                {"paslon": label, "sumber": SUMBER_KPU, "suara": x["suara_kpu_banding"] or 0},
            ]
        parts.append(
            tabel(
                ["Pasangan calon", "Internal", "KPU", "Selisih", "Σ |selisih| per TPS"],
                rows,
                kanan=(1, 2, 3, 4),
            )
        )
        if chart_rows and r.get("tps_keduanya") and k == full[-1]:
            parts.append(
                grafik(
                    charts.internal_vs_kpu(pl.DataFrame(chart_rows)),
                    f"Hitung internal vs KPU pada {fmt.angka(r['tps_keduanya'])} TPS yang sama",
                )
            )
    parts.append("<h3>Selisih terbesar (per TPS)</h3>")
    parts.append(_largest_discrepancies(pack))
    parts.append("<h3>Apakah selisih dapat mengubah hasil?</h3>")
    parts.append(_outcome(pack))
    kids = _children(pack.hitung, pack)
    if kids is not None and not kids.is_empty():
        agg = (
            kids.group_by("kode_wilayah")
            .agg(
                pl.col("tps_keduanya").sum(),
                pl.col("n_tidak_cocok").sum(),
                pl.col("selisih_abs").sum(),
            )
            .join(pack.anak.select("kode_wilayah", "nama"), on="kode_wilayah", how="left")
            .sort(["n_tidak_cocok", "kode_wilayah"], descending=[True, False])
        )
        rows = [
            [
                r["nama"],
                fmt.angka(r["tps_keduanya"]),
                angka_el(
                    "n_tidak_cocok",
                    fmt.angka(r["n_tidak_cocok"]),
                    r["n_tidak_cocok"],
                    wilayah=r["kode_wilayah"],
                ),
                fmt.angka(r["selisih_abs"]),
            ]
            for r in agg.iter_rows(named=True)
        ]
        parts.append(f"<h3>Per {esc(ANAK_LABEL[pack.tingkat])} (semua pemilihan)</h3>")
        parts.append(
            tabel(
                ["Wilayah", "TPS dibandingkan", "TPS tidak cocok", "Σ |selisih|"],
                rows,
                kanan=(1, 2, 3),
            )
        )
    return bagian("banding", "Perbandingan dengan KPU", "".join(parts))


def _largest_discrepancies(pack: Pack) -> Html:
    d = pack.selisih
    if d is None:
        return kosong("Selisih per TPS")
    if d.is_empty():
        return p("Tidak ada TPS dengan selisih antara hitung internal dan KPU.")
    n = pack.settings.briefing.list_rows
    top = d.sort(["selisih_abs", "kode_tps"], descending=[True, False], nulls_last=True).head(n)
    rows = []
    for r in top.iter_rows(named=True):
        desa = pack.nama_wilayah.get(r.get("kode_desa") or "", None)
        lokasi = f"{desa} ({r['kode_desa']})" if desa else r.get("kode_desa")
        rows.append(
            [
                r["kode_tps"],
                lokasi,
                _kontestasi(pack, r["kode_kontestasi"]),
                angka_el(
                    "selisih_tps",
                    fmt.angka(r.get("selisih_abs")),
                    r.get("selisih_abs"),
                    tps=r["kode_tps"],
                    kontestasi=r["kode_kontestasi"],
                ),
                fmt.angka(r.get("paslon_selisih")),
                TPS_STATUS_LABEL.get(r.get("status"), r.get("status")),
                "ya" if r.get("dijelaskan_validasi") else "tidak",
            ]
        )
    out = [
        tabel(
            [
                "TPS",
                "Desa/kelurahan",
                "Pemilihan",
                "Σ |selisih|",
                "Paslon berbeda",
                "Status",
                "Ada catatan validasi",
            ],
            rows,
            kanan=(3, 4),
        )
    ]
    out.append(
        p(
            f"{fmt.angka(d.height)} TPS × pemilihan berbeda; ditampilkan {min(n, d.height)} terbesar. "
            "“Ada catatan validasi”: salah satu sumber gagal pemeriksaan aritmetika formulir (kemungkinan salah baca/ketik).",
            "catatan",
        )
    )
    return Html("".join(out))


def _outcome(pack: Pack) -> Html:
    k = pack.kontestasi
    if k is None:
        return kosong("Penilaian dampak selisih")
    if k.is_empty():
        return p(
            "Tidak ada pemilihan yang seluruh wilayahnya berada di unit ini; penilaian ada di laporan tingkat atas."
        )
    k = k.sort(["bisa_mengubah_hasil", "kode_kontestasi"], descending=[True, False])
    n_bisa = int(k["bisa_mengubah_hasil"].fill_null(False).sum())
    n_all = k.height
    cap = pack.settings.briefing.list_rows * 2
    k = k.head(cap)
    rows = [
        [
            _kontestasi(pack, r["kode_kontestasi"]),
            fmt.angka(r.get("margin_internal")),
            fmt.angka(r.get("ayunan_selisih")),
            angka_el(
                "bisa_mengubah_hasil",
                "YA" if r.get("bisa_mengubah_hasil") else "tidak",
                bool(r.get("bisa_mengubah_hasil")),
                kontestasi=r["kode_kontestasi"],
            ),
            r.get("alasan"),
        ]
        for r in k.iter_rows(named=True)
    ]
    head = Html(
        f"<p>{angka_el('n_bisa_mengubah_hasil', fmt.angka(n_bisa), n_bisa, wilayah=pack.kode_wilayah)}"
        f" dari {esc(fmt.angka(n_all))} pemilihan: selisih atau TPS yang belum masuk dapat mengubah "
        "urutan teratas.</p>"
    )
    return (
        head
        + tabel(
            [
                "Pemilihan",
                "Selisih unggul–kedua (internal)",
                "Ayunan maks. dari selisih",
                "Bisa mengubah hasil",
                "Alasan",
            ],
            rows,
            kanan=(1, 2),
        )
        + (p(f"… dan {fmt.angka(n_all - cap)} pemilihan lain.", "catatan") if n_all > cap else "")
    )


def section_insiden(pack: Pack) -> Html:
    """Incidents by stage × category × severity, new kritis/tinggi listed, open serious ones."""
    if pack.insiden is None:
        return bagian("insiden", "Insiden", kosong("Insiden"))
    from analysis.analyse import incidents

    unit, since, as_of = pack.kode_wilayah, pack.previous_as_of, pack.as_of
    sm = incidents.incident_summary(pack.insiden, unit, since, as_of)
    heads = [
        ("insiden_total", "Total insiden", sm["total"]),
        ("insiden_baru", "Baru sejak laporan sebelumnya", sm["baru"]),
        ("insiden_kritis", "Kritis", sm["kritis"]),
        ("insiden_tinggi", "Tinggi", sm["tinggi"]),
        ("insiden_serius_terbuka", "Kritis/tinggi belum selesai", sm["serius_terbuka"]),
        ("insiden_terverifikasi", "Terverifikasi", sm["terverifikasi"]),
        ("insiden_belum_diverifikasi", "Belum diverifikasi", sm["belum_diverifikasi"]),
    ]
    parts = [
        "<p>"
        + " · ".join(
            f"{esc(label)}: {angka_el(n, fmt.angka(v), v, wilayah=unit)}" for n, label, v in heads
        )
        + "</p>"
    ]
    if not sm["total"]:
        parts.append(p("Tidak ada laporan insiden di wilayah ini."))
        return bagian("insiden", "Insiden", "".join(parts))
    counts = incidents.incident_counts(pack.insiden, unit, as_of)
    order = {k: i for i, k in enumerate(TAHAPAN_SINGKAT)}
    chart_df = counts.sort(
        pl.col("tahapan").replace_strict(order, default=len(order), return_dtype=pl.Int64)
    ).select(
        pl.col("tahapan").replace_strict(TAHAPAN_SINGKAT, default=pl.col("tahapan_label")),
        pl.col("kategori_label").alias("kategori"),
        pl.col("tingkat_keparahan"),
        pl.col("n_insiden").alias("jumlah"),
    )
    if chart_df.height <= charts.MAX_ROWS:
        parts.append(
            grafik(
                charts.incidents_by_stage(chart_df),
                "Jumlah insiden per tahapan dan kategori (kotak bergaris tebal: ada insiden "
                "kritis/tinggi)",
            )
        )
    parts.append(_incident_grid(pack, counts))
    parts.append("<h3>Insiden kritis/tinggi baru sejak laporan sebelumnya</h3>")
    if since is None:
        parts.append(
            p(
                "Laporan sebelumnya tidak diketahui: semua insiden kritis/tinggi yang belum selesai tercantum di bawah."
            )
        )
    else:
        new = incidents.new_incidents(
            pack.insiden, unit, since, as_of, severities=("kritis", "tinggi")
        )
        parts.append(
            _incident_table(pack, new, "insiden_baru_serius")
            if not new.is_empty()
            else p("Tidak ada.")
        )
    parts.append("<h3>Insiden kritis/tinggi yang belum selesai</h3>")
    op = incidents.open_serious(pack.insiden, unit, as_of)
    parts.append(
        _incident_table(pack, op, "insiden_terbuka_serius", umur=True)
        if not op.is_empty()
        else p("Tidak ada.")
    )
    kids = incidents.counts_by_child(pack.insiden, unit, as_of, since)
    if not kids.is_empty() and not pack.anak.is_empty():
        rows = [
            [
                r["nama"],
                angka_el(
                    "insiden_wilayah",
                    fmt.angka(r["n_insiden"]),
                    r["n_insiden"],
                    wilayah=r["kode_wilayah"],
                ),
                fmt.angka(r["n_kritis"]),
                fmt.angka(r["n_tinggi"]),
                fmt.angka(r["n_terbuka"]),
                fmt.angka(r["n_baru"]),
            ]
            for r in kids.iter_rows(named=True)
        ]
        parts.append(f"<h3>Per {esc(ANAK_LABEL[pack.tingkat])}</h3>")
        parts.append(
            tabel(
                ["Wilayah", "Insiden", "Kritis", "Tinggi", "Belum selesai", "Baru"],
                rows,
                kanan=(1, 2, 3, 4, 5),
            )
        )
    return bagian("insiden", "Insiden", "".join(parts))


def _incident_grid(pack: Pack, counts: pl.DataFrame) -> Html:
    """Stage × category rows with one column per severity (compact on a phone).

    Each count carries ``data-angka="insiden_sel"`` with its tahapan, kategori and keparahan.
    """
    sev = ("kritis", "tinggi", "sedang", "rendah")
    cells: dict[tuple[str, str], dict] = {}
    for r in counts.iter_rows(named=True):
        key = (r["tahapan"], r["kategori"])
        c = cells.setdefault(
            key,
            {
                "label": f"{r['tahapan_label']} · {r['kategori_label']}",
                "n": {},
                "total": 0,
                "terbuka": 0,
            },
        )
        c["n"][r["tingkat_keparahan"]] = c["n"].get(r["tingkat_keparahan"], 0) + r["n_insiden"]
        c["total"] += r["n_insiden"]
        c["terbuka"] += r["n_terbuka"]
    order = sorted(
        cells.items(),
        key=lambda kv: tuple(-kv[1]["n"].get(x, 0) for x in sev[:2]) + (-kv[1]["total"],),
    )
    n = pack.settings.briefing.list_rows * 2
    rows = []
    for (tahapan, kategori), c in order[:n]:
        row: list[object] = [c["label"]]
        for x in sev:
            v = c["n"].get(x, 0)
            row.append(
                angka_el(
                    "insiden_sel", fmt.angka(v), v, tahapan=tahapan, kategori=kategori, keparahan=x
                )
                if v
                else "·"
            )
        row += [Html(f"<strong>{esc(fmt.angka(c['total']))}</strong>"), fmt.angka(c["terbuka"])]
        rows.append(row)
    out = [
        tabel(
            [
                "Tahapan · kategori",
                "Kritis",
                "Tinggi",
                "Sedang",
                "Rendah",
                "Jumlah",
                "Belum selesai",
            ],
            rows,
            kanan=(1, 2, 3, 4, 5, 6),
        )
    ]
    if len(order) > n:
        out.append(
            p(
                f"Ditampilkan {n} dari {fmt.angka(len(order))} kombinasi (yang paling parah dan terbanyak); semuanya ada di grafik.",
                "catatan",
            )
        )
    return Html("".join(out))


def _incident_table(pack: Pack, df: pl.DataFrame, nama: str, umur: bool = False) -> Html:
    n = pack.settings.briefing.list_rows * 2
    rows = []
    for r in df.head(n).iter_rows(named=True):
        row = [
            Html(
                f'<span data-angka="{esc(nama)}" data-nilai="{esc(r["id_insiden"])}">{esc(pack.waktu(r["waktu_laporan"]))}</span>'
            ),
            r.get("nama_lokasi") or r.get("kode_lokasi"),
            r["kategori_label"],
            r["keparahan_label"],
            r["verifikasi_label"],
            f"{r['penanganan_label']}" + (f" ({r['instansi']})" if r.get("instansi") else ""),
        ]
        if umur:
            row.append(
                fmt.durasi(dt.timedelta(hours=r["umur_jam"]))
                if r.get("umur_jam") is not None
                else fmt.KOSONG
            )
        row.append(Html(f'<span class="deskripsi">{esc(r.get("deskripsi"))}</span>'))
        rows.append(row)
    kolom = ["Dilaporkan", "Lokasi", "Kategori", "Keparahan", "Verifikasi", "Penanganan (instansi)"]
    if umur:
        kolom.append("Umur")
    kolom.append("Uraian")
    out = [tabel(kolom, rows)]
    if df.height > n:
        out.append(
            p(f"… dan {fmt.angka(df.height - n)} lainnya (lihat buku kerja analis).", "catatan")
        )
    return Html("".join(out))


def section_kerawanan(pack: Pack) -> Html:
    """Hotspots: kerawanan per child unit, ranked, with the factors behind each score."""
    judul = "Titik rawan (kerawanan)"
    k = pack.kerawanan
    if k is None:
        return bagian("kerawanan", judul, kosong("Kerawanan"))
    if k.is_empty():
        return bagian("kerawanan", judul, p("Tidak ada wilayah yang dinilai."))
    k = k.sort(["skor", "kode_wilayah"], descending=[True, False])
    n = pack.settings.briefing.list_rows
    rows = [
        [
            str(i),
            pack.nama_wilayah.get(r["kode_wilayah"], r.get("nama") or r["kode_wilayah"]),
            angka_el(
                "skor_kerawanan", fmt.angka(r["skor"], 1), r["skor"], wilayah=r["kode_wilayah"]
            ),
            Html(f'<span class="kelas-rawan">{esc(r.get("kelas"))}</span>'),
            r.get("faktor_utama") or "—",
        ]
        for i, r in enumerate(k.head(n).iter_rows(named=True), 1)
    ]
    parts = [
        p(
            "Skor 0–100 gabungan insiden (bobot keparahan, verifikasi dan waktu), penapisan anomali "
            "dan kesenjangan kesiapan; kelas mengikuti gradasi IKP Bawaslu. Bobot ada di pengaturan.",
            "catatan",
        ),
        tabel(["#", "Wilayah", "Skor", "Kelas", "Faktor utama"], rows, kanan=(0, 2)),
    ]
    if k.height > n:
        parts.append(
            p(f"… dan {fmt.angka(k.height - n)} wilayah lain dengan skor lebih rendah.", "catatan")
        )
    return bagian("kerawanan", judul, "".join(parts))


def section_rekomendasi(pack: Pack) -> Html:
    """Rekomendasi dan tindak lanjut: open problems with action, owner and due time."""
    judul = "Rekomendasi dan tindak lanjut"
    if pack.tindak_lanjut is None:
        return bagian("rekomendasi", judul, kosong("Daftar tindak lanjut"))
    from analysis.analyse import followup

    df = followup.followup_list(
        pack.tindak_lanjut, pack.kode_wilayah, pack.as_of, pack.previous_as_of
    )
    if df.is_empty():
        return bagian("rekomendasi", judul, p("Tidak ada masalah terbuka di wilayah ini."))
    n_open = int((df["status"] == "terbuka").sum())
    tanpa_riwayat = "_tanpa_riwayat" in pack.tindak_lanjut.columns
    n = pack.settings.briefing.list_rows * 2
    rows = []
    for r in df.head(n).iter_rows(named=True):
        status = (
            r["status"]
            if r["status"] != "terbuka" or not r.get("terlambat")
            else "terbuka — terlambat"
        )
        rows.append(
            [
                Html(f"<strong>{esc(r.get('jenis_label'))}</strong>: {esc(r.get('uraian'))}"),
                r.get("nama_wilayah") or r.get("kode_wilayah"),
                r.get("tindakan"),
                r.get("instansi"),
                f"{fmt.waktu_singkat(r['jatuh_tempo'], pack.tz, pack.zona)} ({r.get('tenggat') or '-'})"
                if r.get("jatuh_tempo")
                else r.get("tenggat"),
                Html(
                    f'<span class="status-tl" data-angka="tindak_lanjut" data-nilai="{esc(r["status"])}">{esc(status)}</span>'
                ),
            ]
        )
    parts = [
        Html(
            f"<p>Masalah terbuka: {angka_el('tindak_lanjut_terbuka', fmt.angka(n_open), n_open, wilayah=pack.kode_wilayah)}</p>"
        ),
        tabel(["Masalah", "Lokasi", "Rekomendasi", "Penanggung jawab", "Tenggat", "Status"], rows),
    ]
    if tanpa_riwayat:
        parts.append(
            p(
                "Daftar disusun dari data hari ini saja: riwayat tindak lanjut belum disimpan.",
                "catatan",
            )
        )
    if df.height > n:
        parts.append(
            p(
                f"… dan {fmt.angka(df.height - n)} butir lainnya (lihat buku kerja analis).",
                "catatan",
            )
        )
    return bagian("rekomendasi", judul, "".join(parts))


def section_penapisan(pack: Pack) -> Html:
    """Anomaly screens, short list, with the caveat that they are screens, not findings."""
    judul = "Penapisan anomali"
    if pack.penapisan is None:
        return bagian("penapisan", judul, kosong("Penapisan anomali"))
    from analysis.analyse import screens

    parts = [p(screens.CAVEAT, "caveat")]
    hits = pack.penapisan
    n = pack.settings.briefing.list_rows
    if hits.is_empty():
        parts.append(p("Tidak ada TPS yang tertandai penapisan."))
    else:
        n_tps = hits["kode_tps"].n_unique()
        parts.append(
            Html(
                f"<p>TPS tertandai: {angka_el('penapisan_tps', fmt.angka(n_tps), n_tps, wilayah=pack.kode_wilayah)}</p>"
            )
        )
        order = {c: i for i, c in enumerate(screens.SCREEN_LABELS)}
        top = (
            hits.with_columns(pl.col("penapisan").replace_strict(order, default=99).alias("_o"))
            .sort("_o", "kode_tps")
            .head(n)
        )
        rows = [
            [
                r["kode_tps"],
                pack.nama_wilayah.get(r.get("kode_desa") or "", r.get("kode_desa")),
                _kontestasi(pack, r["kode_kontestasi"]),
                r["penapisan_label"],
                r.get("keterangan"),
            ]
            for r in top.iter_rows(named=True)
        ]
        parts.append(tabel(["TPS", "Desa/kelurahan", "Pemilihan", "Penapisan", "Keterangan"], rows))
        if hits.height > n:
            parts.append(
                p(
                    f"… dan {fmt.angka(hits.height - n)} tanda lain (lihat buku kerja analis).",
                    "catatan",
                )
            )
    w = pack.penapisan_wilayah
    if w is not None and not w.is_empty():
        flagged = w.filter(pl.col("ditandai").fill_null(False))
        parts.append("<h3>Uji digit per kabupaten/kota</h3>")
        if flagged.is_empty():
            parts.append(p(f"Tidak ada yang tertandai dari {fmt.angka(w.height)} uji."))
        else:
            rows = [
                [
                    pack.nama_wilayah.get(r["kode_wilayah"], r["kode_wilayah"]),
                    _kontestasi(pack, r["kode_kontestasi"]),
                    r["uji_label"],
                    fmt.angka(r["nilai"], 3),
                    fmt.angka(r["harapan"], 3) if r.get("harapan") is not None else fmt.KOSONG,
                    f"{fmt.angka(r['batas_bawah'], 3)} – {fmt.angka(r['batas_atas'], 3)}"
                    if r.get("batas_bawah") is not None
                    else fmt.KOSONG,
                ]
                for r in flagged.head(n).iter_rows(named=True)
            ]
            parts.append(
                tabel(
                    ["Wilayah", "Pemilihan", "Uji", "Nilai", "Harapan", "Interval 95%"],
                    rows,
                    kanan=(3, 4),
                )
            )
            parts.append(
                p(
                    f"{fmt.angka(flagged.height)} dari {fmt.angka(w.height)} uji tertandai; pada taraf 95% sekitar 5% tertandai walau data bersih.",
                    "catatan",
                )
            )
    return bagian("penapisan", judul, "".join(parts))


def section_kualitas(pack: Pack) -> Html:
    """Data quality: what was rejected and why (validation summary, quarantine, per-file accounting)."""
    parts = []
    cs = pack.kualitas.get("pemeriksaan")
    if cs is None:
        parts.append(kosong("Ringkasan validasi"))
    else:
        bad = cs.filter(pl.col("n_gagal") > 0) if "n_gagal" in cs.columns else cs
        if bad.is_empty():
            parts.append(p("Semua pemeriksaan lolos untuk wilayah ini."))
        else:
            agg = (
                bad.group_by("dataset", "pemeriksaan", "tingkat", maintain_order=True)
                .agg(pl.col("alasan").first(), pl.col("n_gagal").sum(), pl.col("n_diperiksa").sum())
                .sort(["tingkat", "n_gagal"], descending=[True, True], maintain_order=True)
            )
            rows = [
                [
                    r["dataset"],
                    r["alasan"] or r["pemeriksaan"],
                    "ditolak" if r["tingkat"] == "tolak" else "peringatan",
                    angka_el(
                        "n_gagal",
                        fmt.dari(r["n_gagal"], r["n_diperiksa"], "baris"),
                        r["n_gagal"],
                        pemeriksaan=r["pemeriksaan"],
                    ),
                ]
                for r in agg.iter_rows(named=True)
            ]
            parts.append(tabel(["Data", "Pemeriksaan", "Akibat", "Gagal"], rows, kanan=(3,)))
    q = pack.kualitas.get("karantina")
    parts.append("<h3>Baris yang ditolak (karantina, seluruh kiriman)</h3>")
    if q is None:
        parts.append(kosong("Karantina"))
    elif q.is_empty():
        parts.append(p("Tidak ada baris yang ditolak."))
    else:
        total = int(q["n_baris"].sum())
        parts.append(
            Html(
                f"<p>Jumlah baris ditolak: {angka_el('baris_ditolak', fmt.angka(total), total)}</p>"
            )
        )
        rows = [
            [r["dataset"], r["pemeriksaan"], fmt.angka(r["n_baris"]), r["contoh_alasan"]]
            for r in q.head(pack.settings.briefing.list_rows * 2).iter_rows(named=True)
        ]
        parts.append(tabel(["Data", "Pemeriksaan", "Baris", "Contoh alasan"], rows, kanan=(2,)))
    led = pack.kualitas.get("berkas", pack.sumber)  # ingest's per-file accounting, else the ledger
    if led is not None and not led.is_empty() and "baris_ditolak" in led.columns:
        t = _derived(
            led,
            "neraca",
            lambda d: d.select(
                pl.col(c).sum()
                for c in ("baris_dibaca", "baris_diterima", "baris_ditolak", "baris_digantikan")
            ).row(0, named=True),
        )
        parts.append(
            Html(
                "<h3>Neraca baris (seluruh kiriman)</h3><p>"
                f"Dibaca {angka_el('baris_dibaca', fmt.angka(t['baris_dibaca']), t['baris_dibaca'])} = "
                f"diterima {angka_el('baris_diterima', fmt.angka(t['baris_diterima']), t['baris_diterima'])} + "
                f"ditolak {esc(fmt.angka(t['baris_ditolak']))} + "
                f"digantikan laporan yang lebih baru {esc(fmt.angka(t['baris_digantikan']))}; "
                f"{esc(fmt.angka(led.height))} berkas.</p>"
            )
        )
        ditolak = _derived(
            led,
            "ditolak",
            lambda d: d.filter(
                (pl.col("status") != "diterima") | (pl.col("baris_ditolak") > 0)
            ).sort(["baris_ditolak", "path"], descending=[True, False]),
        )
        if not ditolak.is_empty():
            parts.append("<h3>Berkas dengan penolakan atau salinan</h3>")
            rows = [
                [
                    Path(r["path"]).name,
                    r.get("dataset"),
                    r["status"],
                    fmt.angka(r["baris_dibaca"]),
                    fmt.angka(r["baris_ditolak"]),
                    r.get("pesan"),
                ]
                for r in ditolak.head(pack.settings.briefing.list_rows * 2).iter_rows(named=True)
            ]
            parts.append(
                tabel(
                    ["Berkas", "Data", "Status", "Dibaca", "Ditolak", "Pesan"], rows, kanan=(3, 4)
                )
            )
    return bagian("kualitas", "Lampiran: kualitas data", "".join(parts))


def section_sumber(pack: Pack) -> Html:
    """Sources and run details: input files with their SHA-256, code version, times."""
    parts = []
    ver = pack.run.code_version or code_version()
    info = [
        ["Data per", pack.waktu(pack.as_of)],
        ["Laporan sebelumnya", pack.waktu(pack.previous_as_of)],
        ["Proses data dijalankan", pack.waktu(pack.run.generated_at)],
        ["Laporan ini dibuat", pack.waktu(dt.datetime.now(dt.UTC))],
        ["Versi kode", angka_el("versi_kode", ver, ver)],
        ["Folder data olahan", pack.processed_dir.name],
    ]
    parts.append(tabel(["Keterangan", "Isi"], info, kelas="tabel kepala"))
    led = pack.sumber
    if led is None or led.is_empty():
        parts.append(kosong("Daftar berkas sumber"))
    else:
        led = _derived(led, "urut", lambda d: d.sort("dataset", "path", nulls_last=True))
        n = 200
        rows = [
            [
                Path(r["path"]).name,
                r.get("dataset"),
                fmt.angka(r.get("baris_diterima")),
                Html(f'<code class="hash" data-angka="sha256">{esc(r["sha256"])}</code>'),
            ]
            for r in led.head(n).iter_rows(named=True)
        ]
        parts.append(Html(f"<h3>Berkas masukan ({esc(fmt.angka(led.height))})</h3>"))
        parts.append(tabel(["Berkas", "Data", "Baris diterima", "SHA-256"], rows, kanan=(2,)))
        if led.height > n:
            parts.append(
                p(f"… dan {fmt.angka(led.height - n)} berkas lainnya (lihat ledger).", "catatan")
            )
    return bagian("sumber", "Lampiran: sumber dan proses", "".join(parts))


def _guarded(fn: Callable[[Pack], str]) -> Callable[[Pack], Html]:
    """A section that fails shows an error box instead of taking the whole pack down.

    The traceback goes to stderr (kept in the executed notebook, hidden from the HTML) and the box
    carries ``data-galat`` so the executor and tests can find it.
    """

    @functools.wraps(fn)
    def wrapper(pack: Pack) -> Html:
        try:
            return Html(fn(pack))
        except Exception as exc:  # noqa: BLE001 — one section must not cost leadership the pack
            traceback.print_exc(file=sys.stderr)
            id_ = fn.__name__.removeprefix("section_")
            return bagian(
                id_,
                id_.capitalize(),
                Html(
                    f'<p class="galat" data-galat="{esc(type(exc).__name__)}">Bagian ini gagal '
                    f"dibuat ({esc(type(exc).__name__)}: {esc(str(exc)[:200])}); bagian lain tidak "
                    "terpengaruh. Analis: lihat notebook hasil eksekusi.</p>"
                ),
            )

    return wrapper


# Every section builder the notebook calls is the guarded one.
for _name in [n for n in list(globals()) if n.startswith("section_")]:
    globals()[_name] = _guarded(globals()[_name])

#: Section builders in the order a pack shows them (the notebook calls them one by one).
SECTIONS = (
    section_kepala,
    section_ringkasan,
    section_tahapan,
    section_indikator,
    section_hitung,
    section_banding,
    section_insiden,
    section_kerawanan,
    section_rekomendasi,
    section_penapisan,
    section_kualitas,
    section_sumber,
)


def render_all(pack: Pack) -> str:
    """Every section concatenated (for tests and quick previews; the notebook shows them one by one)."""
    return "".join(f(pack) for f in SECTIONS)


def warm_up() -> None:
    """Pay a kernel's one-off costs before its first pack: vl-convert's start-up (one small chart
    of each kind) and the region names the incident tables look up (the whole Kemendagri tree,
    ~2 s to build). The executor runs this while the inputs are being prepared; nothing here reads
    the processed folder."""
    from analysis.analyse import incidents

    charts.warm_up()
    incidents.with_names(pl.DataFrame({"kode_wilayah": [NATIONAL]}))
