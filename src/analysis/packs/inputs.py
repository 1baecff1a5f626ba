"""Pack inputs: what every pack needs, pre-aggregated per unit once per run (``paket__*`` datasets).

:func:`prepare_pack_inputs` reads the processed datasets (reconcile's results, the count versions,
incidents, readiness, data-quality accounting) and writes small per-unit tables, each declared in
:mod:`analysis.schemas` and written through :mod:`analysis.catalog` (under
``<processed>/pack_inputs/``), sorted by parent unit or code. A pack then does no heavy work and
never imports Great Expectations. An absent processed dataset is skipped; the sections that need
it say "data belum tersedia".
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import polars as pl

from analysis import catalog, console
from analysis.analyse import incidents
from analysis.domain import regions
from analysis.packs.load import read_run_info
from analysis.schemas import (
    ACCOUNTING,
    ANALITIK_KERAWANAN,
    ANALITIK_LANGKAH,
    ANALITIK_PENAPISAN_TPS,
    ANALITIK_PENAPISAN_WILAYAH,
    CHECK_SUMMARY,
    INCIDENTS,
    LEDGER,
    OFFICIAL_TPS,
    PAKET_INSIDEN,
    PAKET_KARANTINA,
    PAKET_KEPASTIAN,
    PAKET_KERAWANAN,
    PAKET_KESIAPAN,
    PAKET_KONTESTASI,
    PAKET_NAMA_KONTESTASI,
    PAKET_NERACA_BERKAS,
    PAKET_PENAPISAN_TPS,
    PAKET_PENAPISAN_WILAYAH,
    PAKET_PERUBAHAN,
    PAKET_PROGRES,
    PAKET_PROSES,
    PAKET_PROYEKSI,
    PAKET_PROYEKSI_PASLON,
    PAKET_PROYEKSI_WAKTU,
    PAKET_SAMPEL,
    PAKET_SELISIH,
    PAKET_STATUS_WILAYAH,
    PAKET_SUMBER_BERKAS,
    PAKET_TINDAK_LANJUT,
    PAKET_VALIDASI,
    PAKET_WILAYAH,
    PAKET_WILAYAH_KONTESTASI,
    PAKET_WILAYAH_KONTESTASI_PASLON,
    PASLON,
    QUARANTINE,
    READINESS,
    RECON_KONTESTASI,
    RECON_PERUBAHAN_WILAYAH,
    RECON_TPS,
    RECON_WILAYAH,
    RECON_WILAYAH_STATUS,
    REF_SAMPEL,
    REKON_KEPASTIAN,
    REKON_PROYEKSI,
    REKON_PROYEKSI_PASLON,
    TALLY,
    TINDAK_LANJUT_MASALAH,
    TPS,
    Dataset,
)
from analysis.settings import Settings, default_settings

NATIONAL = regions.NATIONAL
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

#: Processed datasets a pack reads as they stand.
_COPIES: tuple[tuple[Dataset, Dataset], ...] = (
    (RECON_KONTESTASI, PAKET_KONTESTASI),
    (RECON_PERUBAHAN_WILAYAH, PAKET_PERUBAHAN),
    (REKON_PROYEKSI, PAKET_PROYEKSI),
    (REKON_PROYEKSI_PASLON, PAKET_PROYEKSI_PASLON),
    (REKON_KEPASTIAN, PAKET_KEPASTIAN),
    (REF_SAMPEL, PAKET_SAMPEL),
    (READINESS, PAKET_KESIAPAN),
    (CHECK_SUMMARY, PAKET_VALIDASI),
)

#: Processed datasets whose rows name their file, and the column that places each row; True when
#: it is a TPS code (else a dotted region code).
_ROW_PLACES: tuple[tuple[Dataset, str, bool], ...] = (
    (TALLY, "kode_tps", True),
    (OFFICIAL_TPS, "kode_tps", True),
    (INCIDENTS, "kode_wilayah", False),
    (READINESS, "kode_wilayah", False),
)


def prepare_pack_inputs(processed_dir: Path | str, settings: Settings | None = None) -> None:
    """Write, once per run, every ``paket__*`` dataset of ``processed_dir`` (old ones removed)."""
    processed = Path(processed_dir)
    out = catalog.source_dir("paket", processed)
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.rglob("*.parquet"), out / "analitik_galat.json", out / "meta.json"]:
        old.unlink(missing_ok=True)
    run = read_run_info(processed)
    as_of = run.as_of
    _write_count_tables(processed, as_of)
    for source, target in _COPIES:
        df = catalog.read_optional(source.name, processed)
        if df is not None:
            catalog.write(df, target.name, processed)
    _write_projection_series(processed, as_of)
    _write_incidents(processed)
    _write_files(processed, run.scope)
    _write_analytics_inputs(processed, as_of)
    _write_status(processed, as_of, settings or default_settings())
    proses = {
        "waktu_acuan": [as_of],
        "waktu_acuan_sebelumnya": [run.previous_as_of],
        "waktu_persiapan": [dt.datetime.now(dt.UTC)],
    }
    catalog.write(
        pl.DataFrame(proses, schema=PAKET_PROSES.polars_schema), PAKET_PROSES.name, processed
    )


# --- The count, per unit --------------------------------------------------------------------------


def _write_projection_series(processed: Path, as_of: dt.datetime | None) -> None:
    """The projections of every kept reconcile run up to this one: the projection over the night."""
    from analysis.reconcile.history import kept_series

    series = kept_series(processed, REKON_PROYEKSI_PASLON, as_of)
    if not series.is_empty():
        catalog.write(series, PAKET_PROYEKSI_WAKTU.name, processed, sort=["kode_kontestasi"])


def _write_count_tables(processed: Path, as_of: dt.datetime | None) -> None:
    """Units, coverage and statuses, votes, differing TPS and count progress."""
    status = catalog.read_optional(RECON_WILAYAH_STATUS.name, processed)
    tally = catalog.read_optional(TALLY.name, processed, _TALLY_COLS)
    official = catalog.read_optional(OFFICIAL_TPS.name, processed, _OFFICIAL_COLS)
    turnout = _turnout(tally, official, catalog.read_optional(TPS.name, processed), as_of)
    codes = _write_hitung(processed, status, turnout)
    units = _units_table(sorted(codes | {NATIONAL}))
    catalog.write(units, PAKET_WILAYAH.name, processed, sort=["kode_induk", "kode_wilayah"])
    catalog.write(_contest_names(), PAKET_NAMA_KONTESTASI.name, processed)
    _write_suara(processed, units)
    expected = _write_selisih(processed)
    progres = _progress(tally, official, as_of, expected)
    if progres is not None:
        catalog.write(progres, PAKET_PROGRES.name, processed, sort=["kode_wilayah"])


def _write_hitung(
    processed: Path, status: pl.DataFrame | None, turnout: pl.DataFrame | None
) -> set[str]:
    """Reconcile's per-unit coverage and statuses with the turnout; returns the units seen."""
    name = PAKET_WILAYAH_KONTESTASI.name
    if status is not None:
        hitung = status
        if turnout is not None:
            hitung = hitung.join(turnout, on=["kode_wilayah", "kode_kontestasi"], how="left")
        catalog.write(hitung, name, processed, sort=["kode_induk", "kode_wilayah"])
        return set(status["kode_wilayah"].unique().to_list())
    if turnout is not None:
        catalog.write(
            turnout.with_columns(pl.lit(None, pl.String).alias("kode_induk")), name, processed
        )
        return set(turnout["kode_wilayah"].unique().to_list())
    return set()


def _write_suara(processed: Path, units: pl.DataFrame) -> None:
    """Reconcile's votes per unit × contest × paslon, with the parent unit and the paslon's name."""
    suara = catalog.read_optional(RECON_WILAYAH.name, processed)
    if suara is None:
        return
    suara = suara.join(units.select("kode_wilayah", "kode_induk"), on="kode_wilayah", how="left")
    paslon = catalog.read_optional(PASLON.name, processed)
    if paslon is not None:
        suara = suara.join(
            paslon.select("kode_kontestasi", "nomor_urut", "nama_paslon", "kolom_kosong"),
            on=["kode_kontestasi", "nomor_urut"],
            how="left",
        )
    catalog.write(
        suara, PAKET_WILAYAH_KONTESTASI_PASLON.name, processed, sort=["kode_induk", "kode_wilayah"]
    )


def _write_selisih(processed: Path) -> pl.DataFrame | None:
    """TPS × contest that differ ("berbeda": ``status_banding`` selisih, the rows reconcile's
    ``n_tidak_cocok`` counts; one file per province); returns the expected TPS × contest."""
    recon_tps = catalog.read_optional(RECON_TPS.name, processed)
    if recon_tps is None:
        return None
    beda = recon_tps.filter(pl.col("status_banding") == "selisih")
    catalog.write(beda, PAKET_SELISIH.name, processed, sort=["kode_desa"])
    return recon_tps.filter(pl.col("diharapkan")).select("kode_tps", "kode_kontestasi")


def _tps_levels(col: str, deepest: int) -> list[pl.Expr]:
    """``_tingkat_0`` ("00") .. ``_tingkat_<deepest>``: the units a TPS lies in, by depth."""
    return [pl.lit(NATIONAL).alias("_tingkat_0")] + [
        regions.tps_ancestor_expr(col, d).alias(f"_tingkat_{d}") for d in range(1, deepest + 1)
    ]


def _prefix(col: str, deepest: int) -> pl.Expr:
    """``_awal``: the part of a TPS code that decides its units down to ``deepest``
    (:func:`_tps_levels` reads no further), so grouping by it first loses nothing."""
    return pl.col(col).str.slice(0, regions.tps_prefix_length(deepest)).alias("_awal")


def _in_force(df: pl.DataFrame, time_col: str, as_of: dt.datetime | None) -> pl.DataFrame:
    """The version of each TPS × contest in force as of ``as_of`` (latest time <= as_of)."""
    if as_of is not None:
        df = df.filter(pl.col(time_col) <= as_of)
    return df.sort(time_col).unique(
        subset=["kode_tps", "kode_kontestasi"], keep="last", maintain_order=True
    )


def _units_table(codes: list[str]) -> pl.DataFrame:
    """Names, tier, parent and time zone of the given units (plus "00"), from the region tree."""
    from analysis import reference

    zona, tz = regions.desk_zone(NATIONAL)
    nat = pl.DataFrame(
        {
            "kode_wilayah": [NATIONAL],
            "nama": ["Indonesia"],
            "tingkat": [regions.tier_of(NATIONAL)],
            "kode_induk": [None],
            "zona_waktu": [zona],
            "tz": [tz],
        },
        schema_overrides={"kode_induk": pl.String},
    )
    r = reference.regions().filter(pl.col("kode_wilayah").is_in(codes))
    r = r.select(
        "kode_wilayah",
        "nama",
        "tingkat",
        regions.parent_expr("kode_wilayah").alias("kode_induk"),
        "zona_waktu",
        "tz",
    )
    return pl.concat([nat, r])


def _contest_names() -> pl.DataFrame:
    from analysis import reference

    c = reference.contests().select("kode_kontestasi", "nama")
    ppwp = pl.DataFrame(
        {"kode_kontestasi": [regions.JENIS_PRESIDEN], "nama": ["Pemilihan Presiden"]}
    )
    return pl.concat([c, ppwp])


def _turnout_per_tps(
    name: str, df: pl.DataFrame, ref: pl.DataFrame | None, as_of: dt.datetime | None
) -> pl.DataFrame:
    """One source's version in force per TPS × contest: its DPT (form's, else the TPS list's) and
    voters; the internal count also its DPT / DPTb / DPK voters."""
    tcol = "waktu_laporan" if name == "internal" else "waktu_tarik"
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
    return cur.select(
        "kode_tps",
        "kode_kontestasi",
        pl.col("pemilih_dpt").alias(f"pemilih_dpt_{name}"),
        pl.col("pengguna_total").alias(f"pengguna_{name}"),
        *[pl.col(c).alias(f"{c}_internal") for c in extra],
    )


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
    parts = [
        _turnout_per_tps(name, df, ref, as_of)
        for name, df in (("internal", tally), ("kpu", official))
        if df is not None and not df.is_empty()
    ]
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
    # summed per desa first (every unit above is a sum of its desa), then per unit of each tier
    desa = tps.group_by(_prefix("kode_tps", 4), "kode_kontestasi").agg(aggs)
    sums = [pl.col(c).sum() for c in desa.columns if c not in ("_awal", "kode_kontestasi")]
    desa = desa.with_columns(_tps_levels("_awal", 4))
    out = [
        desa.group_by(pl.col(f"_tingkat_{d}").alias("kode_wilayah"), "kode_kontestasi").agg(sums)
        for d in range(5)
    ]
    return pl.concat(out).with_columns(
        (pl.col("pengguna_internal") / pl.col("dpt_internal")).alias("partisipasi_internal"),
        (pl.col("pengguna_kpu") / pl.col("dpt_kpu")).alias("partisipasi_kpu"),
    )


def _hour_end(t: pl.Expr) -> pl.Expr:
    """The end of the hour a time falls in: 13:05 → 14:00, and 14:00 → 14:00 (a report stamped on
    the hour is in by then, as the summary counts it: reports with time <= as_of)."""
    start = t.dt.truncate("1h")
    return pl.when(t == start).then(t).otherwise(start.dt.offset_by("1h"))


def _first_seen(
    tally: pl.DataFrame | None, official: pl.DataFrame | None, as_of: dt.datetime | None
) -> list[pl.DataFrame]:
    """When each TPS × contest was first seen per source: internal by the hour, KPU by pull."""
    firsts = []
    if tally is not None and not tally.is_empty():
        t = tally if as_of is None else tally.filter(pl.col("waktu_laporan") <= as_of)
        firsts.append(
            t.group_by("kode_tps", "kode_kontestasi")
            .agg(_hour_end(pl.col("waktu_laporan").min()).alias("waktu"))
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
    return firsts


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
    firsts = _first_seen(tally, official, as_of)
    if not firsts:
        return None
    f = pl.concat(firsts)
    if as_of is not None:  # an hour bucket never ends after the report's own time
        f = f.with_columns(
            pl.min_horizontal("waktu", pl.lit(as_of, pl.Datetime("us", "UTC"))).alias("waktu")
        )
    if expected is not None:
        f = f.join(expected, on=["kode_tps", "kode_kontestasi"], how="semi")
    # counted per kecamatan first (every unit above is a sum of its kecamatan), then per tier
    kec = f.group_by(_prefix("kode_tps", 3), "kode_kontestasi", "sumber", "waktu").agg(
        pl.len().alias("tps_baru")
    )
    kec = kec.with_columns(_tps_levels("_awal", 3))
    out = [
        kec.group_by(
            pl.col(f"_tingkat_{d}").alias("kode_wilayah"), "kode_kontestasi", "sumber", "waktu"
        ).agg(pl.col("tps_baru").sum().cast(pl.UInt32))
        for d in range(4)
    ]
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


# --- Incidents and data quality -----------------------------------------------------------------


def _highest_known(processed: Path) -> str:
    """The highest level known for a record without a location: the smallest unit holding every
    TPS of the drop's TPS list (its province for a province's drop; "00" without a list)."""
    tps = catalog.read_optional(TPS.name, processed, ["kode_tps"])
    if tps is None or tps.is_empty():
        return NATIONAL
    kab = tps.select(regions.tps_ancestor_expr("kode_tps", 2).unique().drop_nulls())
    return regions.common_unit(kab.to_series().to_list())


def _write_incidents(processed: Path) -> None:
    """Incidents, each filed under its region, else its TPS's desa, else the highest level known
    (which also becomes its ``kode_wilayah``, so the province counts it and says so), so a pack
    reads only its own (incidents.prepare then places each exactly)."""
    df = catalog.read_optional(INCIDENTS.name, processed)
    if df is None:
        return
    top = _highest_known(processed)
    no_place = incidents.location_expr() == NATIONAL
    df = df.with_columns(no_place.alias("lokasi_tingkat_atas")).with_columns(
        pl.when(pl.col("lokasi_tingkat_atas") & (pl.lit(top) != NATIONAL))
        .then(pl.lit(top))
        .otherwise(pl.col("kode_wilayah"))
        .alias("kode_wilayah")
    )
    lokasi = pl.coalesce(
        pl.col("kode_wilayah").replace("", None),
        pl.when(pl.col("kode_tps").str.len_chars() >= 10).then(regions.tps_desa_expr("kode_tps")),
        pl.lit(NATIONAL),
    )
    df = df.with_columns(lokasi.alias("kode_lokasi_paket"))
    catalog.write(df, PAKET_INSIDEN.name, processed, sort=["kode_lokasi_paket"])


def _write_status(processed: Path, as_of: dt.datetime | None, settings: Settings) -> None:
    """The traffic light of every unit (analysis.packs.status), once per run."""
    from analysis.packs.status import internal_decidedness, unit_status

    units = catalog.read_optional(PAKET_WILAYAH.name, processed)
    if units is None:
        return
    df = unit_status(
        catalog.read_optional(PAKET_WILAYAH_KONTESTASI.name, processed),
        units,
        catalog.read_optional(PAKET_INSIDEN.name, processed),
        internal_decidedness(
            catalog.read_optional(PAKET_KEPASTIAN.name, processed),
            catalog.read_optional(PAKET_KONTESTASI.name, processed),
        ),
        as_of,
        settings,
    )
    catalog.write(df, PAKET_STATUS_WILAYAH.name, processed, sort=["kode_induk", "kode_wilayah"])


def _path_units(paths: pl.Series, known: pl.Series, scope: str | None) -> pl.DataFrame:
    """The region units a file's path names in KPU form (``hitung_1601_…`` → 16.01, a Sirekap
    ``…/1603032017003.json`` → its desa), kept when the region tree knows them inside ``scope``."""
    unit = regions.kpu_code_unit_expr("_token")
    return (
        pl.DataFrame({"path": paths})
        .with_columns(pl.col("path").str.extract_all(r"\d+").alias("_token"))
        .explode("_token")
        .select("path", unit.alias("_unit"))
        .filter(
            pl.col("_unit").is_in(known.implode()) & regions.inside_expr("_unit", scope or NATIONAL)
        )
    )


def _row_units(processed: Path) -> list[pl.DataFrame]:
    """Per file, the distinct units its accepted rows are placed in (TPS's desa, or region)."""
    out = []
    for ds, col, is_tps in _ROW_PLACES:
        df = catalog.read_optional(ds.name, processed, ["sumber_file", col])
        if df is None:
            continue
        unit = regions.tps_desa_expr(col) if is_tps else pl.col(col)
        ok = regions.valid_tps_expr(col) if is_tps else regions.is_code_expr(col)
        out.append(
            df.filter(ok.fill_null(False))
            .select(pl.col("sumber_file").alias("path"), unit.alias("_unit"))
            .unique()
        )
    return out


def file_units(processed: Path, paths: pl.Series, scope: str | None) -> pl.DataFrame:
    """``path`` → ``kode_wilayah_berkas``: the deepest unit holding every row the file placed and
    every region its path names; null when nothing places it. A file rejected whole from a kab/kota's
    name (``hitung_1601_kosong.csv``) belongs to that kab/kota."""
    from analysis import reference

    known = reference.regions()["kode_wilayah"]
    placed = pl.concat([*_row_units(processed), _path_units(paths, known, scope)]).unique()
    grouped = placed.group_by("path").agg(pl.col("_unit").sort())
    single = grouped.filter(pl.col("_unit").list.len() == 1)
    several = grouped.filter(pl.col("_unit").list.len() > 1)
    units = pl.concat(
        [
            single.select("path", pl.col("_unit").list.first().alias("kode_wilayah_berkas")),
            several.select(
                "path",
                pl.col("_unit")
                .map_elements(lambda u: regions.common_unit(u.to_list()), return_dtype=pl.String)
                .alias("kode_wilayah_berkas"),
            ),
        ]
    )
    return pl.DataFrame({"path": paths}).join(units, on="path", how="left", maintain_order="left")


def _write_files(processed: Path, scope: str | None) -> None:
    """The ledger, the per-file accounting and the rejected rows, each with its file's unit."""
    ledger = catalog.read_optional(LEDGER.name, processed)
    accounting = catalog.read_optional(ACCOUNTING.name, processed)
    quarantine = catalog.read_optional(QUARANTINE.name, processed)
    paths = [df["path"] for df in (ledger, accounting) if df is not None]
    if quarantine is not None:
        paths.append(quarantine["sumber_file"].rename("path"))
    if not paths:
        return
    units = file_units(processed, pl.concat(paths).unique().sort(), scope)
    for df, target in ((ledger, PAKET_SUMBER_BERKAS), (accounting, PAKET_NERACA_BERKAS)):
        if df is not None:
            # one order whatever order ingest left: a pack's fingerprint hashes its rows
            catalog.write(
                df.join(units, on="path", how="left"), target.name, processed,
                sort=["path", "dataset"],
            )  # fmt: skip
    if quarantine is not None:
        _write_quarantine(processed, quarantine, units)


def _write_quarantine(processed: Path, quarantine: pl.DataFrame, units: pl.DataFrame) -> None:
    """Rejected rows per dataset × check × unit of their file (the first reason of each row), with
    an example from that unit."""
    q = (
        quarantine.join(units, left_on="sumber_file", right_on="path", how="left")
        .sort("sumber_file", "sumber_sheet", "sumber_baris", nulls_last=True)
        .with_columns(
            pl.col("alasan").list.first().str.split(":").list.first().alias("pemeriksaan"),
            pl.col("alasan").list.first().alias("contoh_alasan"),
        )
        .group_by("dataset", "pemeriksaan", "kode_wilayah_berkas", maintain_order=True)
        .agg(pl.len().alias("n_baris"), pl.col("contoh_alasan").first())
        .sort(
            ["n_baris", "dataset", "pemeriksaan", "kode_wilayah_berkas"],
            descending=[True, False, False, False],
            nulls_last=True,
        )
    )
    catalog.write(q, PAKET_KARANTINA.name, processed)


# --- Analytics (screens, kerawanan, follow-up) ------------------------------------------------------


def _write_analytics_inputs(processed: Path, as_of: dt.datetime | None) -> None:
    """The analyse stage's datasets as pack inputs, read only (``python -m analysis analyse``).

    A dataset is copied only when its step in ``analitik__langkah`` succeeded for this run's
    as_of; otherwise its section says "data belum tersedia" (the stage has already reported the
    failure, and a dataset made for another as_of is named here on stderr).
    """
    copies = {  # analyse dataset -> (pack input, sort)
        ANALITIK_PENAPISAN_TPS.name: (PAKET_PENAPISAN_TPS.name, ["kode_desa"]),
        ANALITIK_PENAPISAN_WILAYAH.name: (PAKET_PENAPISAN_WILAYAH.name, ["kode_wilayah"]),
        ANALITIK_KERAWANAN.name: (PAKET_KERAWANAN.name, None),
        TINDAK_LANJUT_MASALAH.name: (PAKET_TINDAK_LANJUT.name, None),
    }
    status = catalog.read_optional(ANALITIK_LANGKAH.name, processed)
    for step in status.iter_rows(named=True) if status is not None else ():
        if step["status"] != "ok" or step["dataset"] not in copies:
            continue
        if step["waktu_acuan"] != as_of:
            console.say(
                f"{step['judul']}: dihitung untuk {step['waktu_acuan']}, bukan {as_of}; "
                "jalankan `python -m analysis analyse` lagi",
                stream=sys.stderr,
            )
            continue
        name, sort = copies[step["dataset"]]
        catalog.write(catalog.read(step["dataset"], root=processed), name, processed, sort=sort)
