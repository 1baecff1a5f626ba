"""One unit's pack: its slice of the prepared pack inputs, read into a :class:`Pack` (~0.1 s).

A warm kernel makes many packs one after another; it keeps each prepared table in memory once
(:func:`table`, re-read when the file changes) and filters the unit's rows from it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from analysis import catalog, fmt
from analysis.domain import regions
from analysis.packs import PACK_TIERS
from analysis.packs.rows import Condition, Eq, Inside, Missing, select, where_expr
from analysis.schemas import (
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
    RECON_AGREGAT,
    REKAP_PASLON,
    REKAP_PROGRES,
    REKAP_REVISI,
    REKAP_WILAYAH,
    Dataset,
)
from analysis.settings import REPO_ROOT, Settings, default_settings


class PackError(ValueError):
    """A pack cannot be made for these parameters (unknown unit, tier mismatch, bad date)."""


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
    scope: str | None = None  # the unit the run covers ("16" for the default demo)


def _parse_time(v: object) -> dt.datetime | None:
    if not v:
        return None
    t = v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v))
    if t.tzinfo is None:  # a time without offset in this project is the desk's WIB
        t = t.replace(tzinfo=ZoneInfo(regions.desk_time_zone(regions.NATIONAL)))
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
        scope=d.get("scope"),
    )


#: run.json fields that say when a run ran, not what it ran on.
RUN_STAMPS = ("generated_at", "generasi")


def run_facts(processed_dir: Path | str) -> dict | None:
    """run.json without its stamps (when the run ran, its generation); None when unreadable."""
    try:
        d = json.loads((Path(processed_dir) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {k: v for k, v in d.items() if k not in RUN_STAMPS}


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
    # the projections and the two questions (docs/domain.md §11), contests of the unit, of its
    # descendants and those holding it
    proyeksi: pl.DataFrame | None = None  # contest × method
    proyeksi_paslon: pl.DataFrame | None = None  # contest × method × paslon
    proyeksi_waktu: pl.DataFrame | None = None  # kept run × contest × method × paslon
    kepastian: pl.DataFrame | None = None  # contest × source
    sampel: pl.DataFrame | None = None  # the PVT sample's record (one row, or none)
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
    rekap: pl.DataFrame | None = None  # official recap per region × contest inside the unit
    rekap_suara: pl.DataFrame | None = None  # ... × paslon, the unit's and its children's rows
    rekap_progres: pl.DataFrame | None = None  # recap steps of units inside the unit
    rekap_revisi: pl.DataFrame | None = None  # recap figures replaced, inside the unit
    agregat: pl.DataFrame | None = None  # KPU's aggregates vs its own TPS records, inside the unit
    status: pl.DataFrame | None = None  # the unit's and its children's traffic light
    lingkup: str | None = None  # the run's scope and depth: which packs exist to link to
    kedalaman: int | None = None
    nama_kontestasi: dict[str, str] = field(default_factory=dict)
    nama_wilayah: dict[str, str] = field(default_factory=dict)
    _once: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def kode_anak(self) -> list[str]:
        return self.anak["kode_wilayah"].to_list()

    def once(self, name: str, fn: Callable[[], object]) -> object:
        """``fn()``, computed once per pack: a result two sections (or the pack and its
        command-centre slides) both show, e.g. the follow-up list or the children's status."""
        if name not in self._once:
            self._once[name] = fn()
        return self._once[name]

    def waktu(self, t: dt.datetime | None) -> str:
        """A time in the unit's zone: ``Kamis, 28 November 2024 14.05 WIB``."""
        return fmt.tanggal_waktu(t, self.tz, self.zona) if t else fmt.KOSONG


# --- The per-kernel table cache ------------------------------------------------------------------

# Prepared tables kept in memory by a warm kernel, read once and shared by every pack it makes:
# path -> ((mtime_ns, size), frame). A table rewritten by prepare_pack_inputs (new mtime or size)
# is read again, so a kernel kept across runs never shows stale inputs.
_TABLES: dict[str, tuple[tuple[int, int], pl.DataFrame]] = {}


def table(ds: Dataset, root: Path, part: str | None = None) -> pl.DataFrame | None:
    """The whole prepared table (one part of a partitioned one), cached per file version."""
    path = catalog.processed_path(ds.name, root=root, part=part)
    try:
        st = path.stat()
    except FileNotFoundError:
        _TABLES.pop(str(path), None)
        return None
    key = (st.st_mtime_ns, st.st_size)
    hit = _TABLES.get(str(path))
    if hit is not None and hit[0] == key:
        return hit[1]
    df = catalog.read(ds.name, root, part)
    _TABLES[str(path)] = (key, df)
    return df


def _scan(ds: Dataset, root: Path, pred: pl.Expr | None = None) -> pl.DataFrame | None:
    """The rows of a prepared table matching ``pred`` (all rows without one), in file order."""
    df = table(ds, root)
    if df is None:
        return None
    return df.filter(pred) if pred is not None else df


def _rows(ds: Dataset, root: Path, *conditions: Condition) -> pl.DataFrame | None:
    """The rows of a prepared table matching any of ``conditions``, in file order, found through
    the table's indexes (:mod:`analysis.packs.rows`): what ``_scan`` with their expression gives."""
    df = table(ds, root)
    return None if df is None else select(df, *conditions)


_DERIVED: dict[tuple[int, str], tuple[pl.DataFrame, object]] = {}


def derived(df: pl.DataFrame, name: str, fn: Callable[[pl.DataFrame], object]) -> object:
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


# --- Loading one unit ------------------------------------------------------------------------------


def _unit_rows(unit: str) -> tuple[Condition, ...]:
    """The unit's own row and its children's rows (tables carrying ``kode_induk``)."""
    return Eq("kode_wilayah", [unit]), Eq("kode_induk", [unit])


def _check_parameters(tanggal: str | dt.date, tingkat: str, kode_wilayah: str) -> dt.date:
    try:
        day = tanggal if isinstance(tanggal, dt.date) else dt.date.fromisoformat(str(tanggal))
    except ValueError:
        raise PackError(f"tanggal {tanggal!r}: expected YYYY-MM-DD") from None
    if tingkat not in PACK_TIERS:
        raise PackError(f"tingkat {tingkat!r}: expected one of {', '.join(PACK_TIERS)}")
    if regions.tier_of(kode_wilayah) != tingkat:
        raise PackError(
            f"kode_wilayah {kode_wilayah!r} is a {regions.tier_of(kode_wilayah)} code, not {tingkat}"
        )
    return day


def _prepared_times(root: Path, run: RunInfo) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(as_of, previous as_of) the inputs were prepared for; refuses inputs of another run."""
    proses = table(PAKET_PROSES, root)
    row = proses.row(0, named=True) if proses is not None and proses.height else {}
    as_of = _parse_time(row.get("waktu_acuan"))
    if run.known and run.as_of != as_of:
        raise PackError(
            f"{catalog.source_dir('paket', root)}: prepared for as_of {as_of} but run.json says "
            f"{run.as_of}; run analysis.packs.inputs.prepare_pack_inputs(processed_dir) again"
        )
    return as_of, _parse_time(row.get("waktu_acuan_sebelumnya"))


def _identity(wil: pl.DataFrame, unit: str) -> tuple[str, str, str]:
    """(nama, zona, tz) of the unit: from the prepared units, else the region tree."""
    me = wil.filter(pl.col("kode_wilayah") == unit)
    if not me.is_empty():
        return me["nama"][0], me["zona_waktu"][0], me["tz"][0]
    from analysis.reference import unit_name

    try:
        nama = unit_name(unit)
    except KeyError:
        raise PackError(f"kode_wilayah {unit!r} is not a Kemendagri region code") from None
    return (nama, *regions.desk_zone(unit))


def load_pack(
    processed_dir: Path | str,
    tanggal: str | dt.date,
    tingkat: str,
    kode_wilayah: str,
    settings: Settings | None = None,
    lingkup: str | None = None,
    kedalaman: int | None = None,
) -> Pack:
    """Read one unit's slice of the prepared inputs (prepared first when there are none).

    ``lingkup`` and ``kedalaman``: the run's scope and depth, so the pack links only to packs the
    run makes (None: unknown; every pack tier is linked).

    Raises :class:`PackError` for a bad date, an unknown tier or a tier that does not match the
    code. A relative ``processed_dir`` is taken against the repository root.
    """
    s = settings or default_settings()
    root = Path(processed_dir)
    if not root.is_absolute():
        root = REPO_ROOT / root
    day = _check_parameters(tanggal, tingkat, kode_wilayah)
    if not catalog.exists(PAKET_WILAYAH.name, root):
        from analysis.packs.inputs import prepare_pack_inputs

        prepare_pack_inputs(root, s)
    run = read_run_info(root)
    as_of, prev = _prepared_times(root, run)
    wil = _rows(PAKET_WILAYAH, root, *_unit_rows(kode_wilayah))
    nama, zona, tz = _identity(wil, kode_wilayah)
    anak = (
        wil.filter(pl.col("kode_induk") == kode_wilayah)
        .select("kode_wilayah", "nama", "tingkat")
        .sort("kode_wilayah")
    )
    pack = Pack(kode_wilayah, tingkat, nama, day, zona, tz, as_of, prev, run, s, root, anak)
    pack.lingkup = lingkup or None
    pack.kedalaman = kedalaman if kedalaman is not None and kedalaman >= 0 else None
    pack.nama_wilayah = dict(zip(wil["kode_wilayah"], wil["nama"], strict=True))
    _load_count(pack, root)
    _load_context(pack, root)
    _load_recap(pack, root)
    _load_names(pack, root)
    return pack


def _load_recap(pack: Pack, root: Path) -> None:
    """The official recapitulation inside the unit (reconcile's rekon__rekap_* tables, small:
    a row per recapitulated region, read once per kernel)."""
    unit = pack.kode_wilayah
    inside = Inside("kode_wilayah", unit)
    pack.rekap = _rows(REKAP_WILAYAH, root, inside)
    own = where_expr(*_unit_rows(unit))
    pack.rekap_suara = _scan(REKAP_PASLON, root, own | (pl.col("penetapan") & where_expr(inside)))
    pack.rekap_progres = _rows(REKAP_PROGRES, root, inside)
    pack.rekap_revisi = _rows(REKAP_REVISI, root, inside)
    pack.agregat = _rows(RECON_AGREGAT, root, inside)


def _recap_codes(pack: Pack) -> set[str]:
    """The regions the recap items name: rows that differ, their recapitulating units, late
    recaps, revised figures."""
    codes: set[str] = set()
    if pack.rekap is not None:
        odd = pack.rekap.filter(
            pl.col("pasangan_beda").str.starts_with("beda")
            | (pl.col("status_antartingkat") == "beda")
        )
        codes |= set(odd["kode_wilayah"].to_list()) | set(odd["kode_rekap"].to_list())
    if pack.rekap_progres is not None:
        late = pack.rekap_progres.filter(pl.col("status_rekap").str.contains("terlambat"))
        codes |= set(late["kode_wilayah"].to_list())
    if pack.rekap_revisi is not None:
        rv = pack.rekap_revisi
        codes |= set(rv["kode_wilayah"].to_list()) | set(rv["kode_rekap"].to_list())
    return codes


def _load_count(pack: Pack, root: Path) -> None:
    """The count and its comparison with KPU: the unit's and its children's rows."""
    unit = pack.kode_wilayah
    pack.hitung = _rows(PAKET_WILAYAH_KONTESTASI, root, *_unit_rows(unit))
    pack.suara = _rows(PAKET_WILAYAH_KONTESTASI_PASLON, root, *_unit_rows(unit))
    pack.progres = _rows(PAKET_PROGRES, root, Eq("kode_wilayah", [unit]))
    pack.perubahan = _rows(PAKET_PERUBAHAN, root, Eq("kode_wilayah", [unit, *pack.kode_anak]))
    kont = _scan(PAKET_KONTESTASI, root)
    if kont is not None:
        kont = derived(kont, "wilayah_kontestasi", _with_contest_region)
        pack.kontestasi = kont.filter(regions.inside_expr("wilayah_kontestasi", unit))
    _load_outlook(pack, root)
    pack.selisih = _load_selisih(root, unit)
    pack.status = _rows(PAKET_STATUS_WILAYAH, root, *_unit_rows(unit))


def _with_contest_region(df: pl.DataFrame) -> pl.DataFrame:
    """``df`` with ``wilayah_kontestasi``: the region each row's contest elects a head for."""
    codes = df["kode_kontestasi"].drop_nulls().unique().to_list()
    held_in = {k: regions.contest_region(k) for k in codes}
    region = df["kode_kontestasi"].replace_strict(held_in, default=None, return_dtype=pl.String)
    return df.with_columns(region.alias("wilayah_kontestasi"))


def _load_outlook(pack: Pack, root: Path) -> None:
    """The projections and the two questions of the contests around the unit."""
    unit = pack.kode_wilayah
    # a contest is around the unit when its region holds the unit or lies in it
    region = "wilayah_kontestasi"
    around = (Eq(region, [*regions.ancestors(unit), unit]), Inside(region, unit))
    for attr, ds in (
        ("proyeksi", PAKET_PROYEKSI),
        ("proyeksi_paslon", PAKET_PROYEKSI_PASLON),
        ("proyeksi_waktu", PAKET_PROYEKSI_WAKTU),
        ("kepastian", PAKET_KEPASTIAN),
    ):
        df = table(ds, root)
        if df is not None:
            on = derived(df, region, _with_contest_region)
            setattr(pack, attr, select(df, *around, on=on))
    pack.sampel = table(PAKET_SAMPEL, root)


def _load_selisih(root: Path, unit: str) -> pl.DataFrame | None:
    """TPS × contest that differ inside the unit: only its province's part is read."""
    if not catalog.exists(PAKET_SELISIH.name, root):
        return None
    if unit == regions.NATIONAL:
        provinces = catalog.parts(PAKET_SELISIH.name, root)
    else:
        provinces = [regions.ancestor_at(unit, 1)]
    frames = [df for p in provinces if (df := table(PAKET_SELISIH, root, p)) is not None]
    if not frames:
        return pl.DataFrame()
    df = pl.concat(frames, how="diagonal_relaxed")
    return df.filter(regions.inside_expr("kode_desa", unit)) if unit != regions.NATIONAL else df


def _kabkota_of(pack: Pack) -> str:
    """The unit whose kab/kota-level rows a pack shows: its kab/kota for a kecamatan pack."""
    return (
        regions.ancestor_at(pack.kode_wilayah, 2)
        if pack.tingkat == "kecamatan"
        else pack.kode_wilayah
    )


def holds_unplaced(pack: Pack) -> bool:
    """Whether the pack shows what no unit can be placed in (a file or a row of unknown unit): only
    a pack whose unit holds the run's whole scope (the province pack of the default demo) does."""
    scope = pack.run.scope
    if scope is None:
        return pack.tingkat in ("nasional", "provinsi")
    return regions.is_inside(scope, pack.kode_wilayah)


def own_files(pack: Pack) -> tuple[Condition, ...]:
    """The input files a pack's annexes list: those whose unit (``kode_wilayah_berkas``) lies in
    the pack's unit, and the unplaced ones where :func:`holds_unplaced`. A file shared by several
    kab/kota (incidents, readiness) belongs to their province and is listed there."""
    mine = Inside("kode_wilayah_berkas", pack.kode_wilayah)
    return (mine, Missing("kode_wilayah_berkas")) if holds_unplaced(pack) else (mine,)


def _load_context(pack: Pack, root: Path) -> None:
    """Incidents, readiness, data quality, sources and the analytics of the unit."""
    unit, kab = pack.kode_wilayah, _kabkota_of(pack)
    pack.insiden = _rows(PAKET_INSIDEN, root, Inside("kode_lokasi_paket", unit))
    pack.kesiapan = _rows(PAKET_KESIAPAN, root, Inside("kode_wilayah", unit))
    files = own_files(pack)
    checks: tuple[Condition, ...] = (Inside("kode_kabkota", unit),)
    if holds_unplaced(pack):
        checks = (*checks, Missing("kode_kabkota"))
    for key, ds, pred in (
        ("pemeriksaan", PAKET_VALIDASI, checks),
        ("berkas", PAKET_NERACA_BERKAS, files),
        ("karantina", PAKET_KARANTINA, files),
    ):
        df = _rows(ds, root, *pred)
        if df is not None:
            pack.kualitas[key] = df
    pack.sumber = _rows(PAKET_SUMBER_BERKAS, root, *files)
    scored = [unit] if pack.tingkat == "kecamatan" else pack.kode_anak
    pack.kerawanan = _rows(PAKET_KERAWANAN, root, Eq("kode_wilayah", scored))
    pack.tindak_lanjut = _rows(PAKET_TINDAK_LANJUT, root, *_followup_rows(pack))
    pack.penapisan = _rows(PAKET_PENAPISAN_TPS, root, Inside("kode_desa", unit))
    pack.penapisan_wilayah = _rows(PAKET_PENAPISAN_WILAYAH, root, Inside("kode_wilayah", kab))


def _followup_rows(pack: Pack) -> tuple[Condition, ...]:
    """The follow-up items a pack uses: those placed inside its unit (its list) and those of the
    incidents it shows (their action and owner), so its fingerprint does not move with another
    unit's items (analysis.packs.carry)."""
    mine = Inside("kode_wilayah", pack.kode_wilayah)
    if pack.insiden is None or pack.insiden.is_empty():
        return (mine,)
    ids = ("insiden:" + pack.insiden["id_insiden"]).drop_nulls()
    return mine, Eq("id_masalah", ids.to_list())


def _load_names(pack: Pack, root: Path) -> None:
    """Names of the desa the lists show, and of every contest."""
    desa: set[str] = set()
    for df in (pack.selisih, pack.penapisan):
        if df is not None and "kode_desa" in df.columns:
            desa |= set(df["kode_desa"].drop_nulls().unique().to_list())
    desa |= _recap_codes(pack)
    if pack.agregat is not None:
        odd = pack.agregat.filter((pl.col("selisih") != 0) | (pl.col("selisih_tps") != 0))
        desa |= set(odd["kode_wilayah"].to_list())
    if desa:
        names = _rows(PAKET_WILAYAH, root, Eq("kode_wilayah", sorted(desa)))
        pack.nama_wilayah.update(zip(names["kode_wilayah"], names["nama"], strict=True))
    kn = table(PAKET_NAMA_KONTESTASI, root)
    if kn is not None:
        pack.nama_kontestasi = dict(zip(kn["kode_kontestasi"], kn["nama"], strict=True))
