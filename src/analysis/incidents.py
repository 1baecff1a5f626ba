"""Incident reports: label normalisation to the taxonomy, and incident analytics per unit.

Normalisation (``normalise_incidents``) turns the free-text labels field staff write into the
canonical codes of ``config/taxonomy.yaml`` and keeps the original text; ingest calls it.
The analytics functions take the normalised ``incidents`` dataset (one row per incident report)
and a unit code (dotted, ``"00"`` for the whole country). An incident counts for every unit that
contains the most precise location it carries: one reported only for a kab/kota counts for that
kab/kota, its province and the nation, but for none of its kecamatan ("tanpa lokasi rinci" in a
breakdown by child unit); one without any location counts only nationally.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from analysis.domain.regions import tps_desa_expr as tps_to_desa
from analysis.settings import REPO_ROOT

TAXONOMY_FILE = REPO_ROOT / "config" / "taxonomy.yaml"

#: Fields whose labels are normalised, in the order they are reported.
LABEL_FIELDS: tuple[str, ...] = (
    "tahapan",
    "kategori",
    "tingkat_keparahan",
    "status_verifikasi",
    "status_penanganan",
    "instansi",
)
SEVERITIES: tuple[str, ...] = ("kritis", "tinggi", "sedang", "rendah", "lainnya")
VERIFIED: tuple[str, ...] = ("terkonfirmasi", "terverifikasi_resmi")
#: Length of a dotted code truncated to a depth: 1 provinsi, 2 kab/kota, 3 kecamatan, 4 desa.
CODE_LENGTH: dict[int, int] = {1: 2, 2: 5, 3: 8, 4: 13}
NATIONAL = "00"
NO_DETAIL = "tanpa lokasi rinci"


# --- Taxonomy and label normalisation ---------------------------------------------------------


@dataclass(frozen=True)
class FieldSpec:
    """One labelled field of the taxonomy: codes, labels, lookup of cleaned synonyms."""

    name: str
    multi: bool
    fallback: str | None
    labels: dict[str, str]
    lookup: dict[str, str]  # cleaned text -> code


@dataclass(frozen=True)
class Taxonomy:
    fuzzy_cutoff: float
    separators: re.Pattern[str]
    fields: dict[str, FieldSpec]

    def label(self, field: str, code: str | None) -> str | None:
        """The Indonesian label of a code (the code itself if unknown)."""
        if code is None:
            return None
        return self.fields[field].labels.get(code, code)


def _clean(text: str) -> str:
    t = text.lower().replace("\u00a0", " ")
    t = re.sub(r"[_\-.]+", " ", t)
    t = re.sub(r"[^\w\s]", " ", t)
    return re.sub(r"\s+", " ", t).strip()


def load_taxonomy(path: Path | str | None = None) -> Taxonomy:
    """Read ``config/taxonomy.yaml`` (or ``path``) into lookup tables; a bad file says why."""
    import yaml

    source = Path(path) if path else TAXONOMY_FILE
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{source}: cannot read the incident taxonomy ({exc})") from None
    fields: dict[str, FieldSpec] = {}
    for name in LABEL_FIELDS:
        spec = (raw.get("fields") or {}).get(name)
        if not spec or not spec.get("codes"):
            raise ValueError(f"{source}: field {name!r} has no codes")
        labels: dict[str, str] = {}
        lookup: dict[str, str] = {}
        for code, entry in spec["codes"].items():
            labels[code] = entry.get("label", code)
            for text in [code, labels[code], *(entry.get("synonyms") or [])]:
                key = _clean(str(text))
                if not key and str(text).strip() == "-":
                    key = "-"
                if key in lookup and lookup[key] != code:
                    raise ValueError(
                        f"{source}: {name}: synonym {text!r} given for both {lookup[key]} and {code}"
                    )
                lookup[key] = code
        fallback = spec.get("fallback")
        fields[name] = FieldSpec(name, bool(spec.get("multi")), fallback, labels, lookup)
    return Taxonomy(
        fuzzy_cutoff=float(raw.get("fuzzy_cutoff", 0.8)),
        separators=re.compile(raw.get("separators", r"\s*[,;/]\s*"), re.IGNORECASE),
        fields=fields,
    )


@lru_cache(maxsize=1)
def taxonomy() -> Taxonomy:
    """The repository's taxonomy, loaded once per process."""
    return load_taxonomy()


def _match_part(spec: FieldSpec, part: str, cutoff: float) -> str | None:
    key = _clean(part) or part.strip()
    if not key:
        return None
    if key in spec.lookup:
        return spec.lookup[key]
    # a known synonym inside a longer phrase ("intimidasi pemilih oleh timses"): longest wins
    padded = f" {key} "
    inside = [s for s in spec.lookup if len(s) >= 3 and f" {s} " in padded]
    if inside:
        return spec.lookup[max(inside, key=len)]
    close = difflib.get_close_matches(key, list(spec.lookup), n=1, cutoff=cutoff)
    if close:
        return spec.lookup[close[0]]
    # a misspelt word inside a phrase: compare word windows of the synonym's length
    words = key.split()
    best: tuple[float, str] | None = None
    for syn in spec.lookup:
        n = len(syn.split())
        if len(syn) < 5 or n >= len(words):
            continue
        for i in range(len(words) - n + 1):
            r = difflib.SequenceMatcher(None, " ".join(words[i : i + n]), syn).ratio()
            if r >= cutoff and (best is None or r > best[0]):
                best = (r, syn)
    return spec.lookup[best[1]] if best else None


def map_label(field: str, text: str | None, tax: Taxonomy | None = None) -> tuple[list[str], bool]:
    """Canonical codes for one raw label, and whether any part of it mapped to nothing.

    A blank label maps to the field's fallback and counts as unmapped (except ``instansi``,
    which may be blank). Multi-label fields return every distinct code in the order given.
    """
    tax = tax or taxonomy()
    spec = tax.fields[field]
    fallback = [spec.fallback] if spec.fallback else []
    if text is None or not str(text).strip():
        return fallback, field != "instansi"
    text = str(text)
    exact = spec.lookup.get(_clean(text) or text.strip())
    if exact is not None:
        return [exact], False
    parts = [p for p in tax.separators.split(text) if p and p.strip()]
    if len(parts) <= 1:
        whole = _match_part(spec, text, tax.fuzzy_cutoff)
        return ([whole], False) if whole is not None else (fallback, True)
    codes: list[str] = []
    unmapped = False
    for part in parts:
        code = _match_part(spec, part, tax.fuzzy_cutoff)
        if code is None:
            unmapped = True
            code = spec.fallback
        if code is not None and code not in codes:
            codes.append(code)
    if not spec.multi:
        # a single-valued field given several labels: the first that maps wins
        mapped = [c for c in codes if c != spec.fallback]
        return ([mapped[0]] if mapped else fallback), unmapped and not mapped
    if len(codes) > 1 and spec.fallback in codes:
        # a mapped label is primary; an unmapped part stays visible as "lainnya" among the others
        codes = [c for c in codes if c != spec.fallback] + [spec.fallback]
    return codes or fallback, unmapped


def normalise_incidents(df: pl.DataFrame, tax: Taxonomy | None = None) -> pl.DataFrame:
    """Map raw incident labels to the taxonomy; one row in, one row out, nothing dropped.

    Grain: one row per incident report. Reads ``tahapan``, ``kategori``, ``tingkat_keparahan``,
    ``status_verifikasi``, ``status_penanganan``, ``instansi`` (raw text; a missing column is
    treated as blank). Writes the canonical codes in those columns, ``kategori`` being the primary
    category and ``kategori_lain`` the further ones; the original text in ``<field>_asli`` (for
    every labelled field; ``tahapan_asli``, ``kategori_asli``, ``tingkat_keparahan_asli`` are in the
    INCIDENTS schema, the others are extra columns); and ``label_tidak_dikenal``, the fields whose
    label mapped to nothing (for warnings and ``unmapped_counts``). Idempotent: when ``<field>_asli``
    is present it is the text normalised. Other columns pass through untouched.
    """
    tax = tax or taxonomy()
    out = df
    flags: list[pl.Expr] = []
    for field in LABEL_FIELDS:
        src = f"{field}_asli" if f"{field}_asli" in df.columns else field
        raw = (
            df[src].cast(pl.String)
            if src in df.columns
            else pl.Series(src, [None] * df.height, dtype=pl.String)
        )
        uniques = raw.unique().to_list()
        mapped = {u: map_label(field, u, tax) for u in uniques}
        keys = pl.Series("k", uniques, dtype=pl.String)
        codes = pl.Series("codes", [mapped[u][0] for u in uniques], dtype=pl.List(pl.String))
        bad = pl.Series("bad", [mapped[u][1] for u in uniques], dtype=pl.Boolean)
        lut = pl.DataFrame([keys, codes, bad])
        joined = pl.DataFrame({"k": raw}).join(lut, on="k", how="left", nulls_equal=True)
        first = joined["codes"].list.first()
        out = out.with_columns(
            raw.alias(f"{field}_asli"),
            first.alias(field),
            joined["bad"].alias(f"_bad_{field}"),
        )
        if field == "kategori":
            out = out.with_columns(joined["codes"].list.slice(1).alias("kategori_lain"))
        flags.append(pl.when(pl.col(f"_bad_{field}")).then(pl.lit(field)))
    out = out.with_columns(
        pl.concat_list(flags).list.drop_nulls().alias("label_tidak_dikenal")
    ).drop([f"_bad_{f}" for f in LABEL_FIELDS])
    return out


def unmapped_counts(df: pl.DataFrame) -> pl.DataFrame:
    """Labels that mapped to nothing, per field of a normalised frame.

    Grain: one row per labelled field: ``kolom``, ``n_baris``, ``n_kosong`` (blank text),
    ``n_tidak_dikenal`` (blank or unknown text, mapped to the fallback), ``contoh`` (up to five
    distinct unknown texts).
    """
    rows = []
    flags = df["label_tidak_dikenal"] if "label_tidak_dikenal" in df.columns else None
    for field in LABEL_FIELDS:
        asli = f"{field}_asli"
        if asli not in df.columns or flags is None:
            continue
        hit = flags.list.contains(field)
        blank = df[asli].is_null() | (df[asli].str.strip_chars() == "")
        examples = df.filter(hit & ~blank)[asli].unique(maintain_order=True).head(5).to_list()
        rows.append(
            {
                "kolom": field,
                "n_baris": df.height,
                "n_kosong": int(blank.sum()),
                "n_tidak_dikenal": int(hit.sum()),
                "contoh": examples,
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "kolom": pl.String,
            "n_baris": pl.Int64,
            "n_kosong": pl.Int64,
            "n_tidak_dikenal": pl.Int64,
            "contoh": pl.List(pl.String),
        },
    )


# --- Units ------------------------------------------------------------------------------------


def depth(code: str) -> int:
    """0 for ``"00"``, 1 provinsi, 2 kab/kota, 3 kecamatan, 4 desa."""
    return 0 if code == NATIONAL else len(code.split("."))


def truncate_code(col: str | pl.Expr, to_depth: int) -> pl.Expr:
    """The ancestor of a dotted code at ``to_depth``; null when the code is less precise."""
    c = pl.col(col) if isinstance(col, str) else col
    if to_depth == 0:
        return pl.lit(NATIONAL)
    n = CODE_LENGTH[to_depth]
    return pl.when(c.str.len_chars() >= n).then(c.str.slice(0, n)).otherwise(None)


def in_unit(col: str | pl.Expr, unit: str) -> pl.Expr:
    """Rows whose dotted code lies in ``unit`` (the unit itself included)."""
    c = pl.col(col) if isinstance(col, str) else col
    if unit == NATIONAL:
        return pl.lit(True)
    return (c == unit) | c.str.starts_with(unit + ".")


def child_code(col: str | pl.Expr, unit: str) -> pl.Expr:
    """The child of ``unit`` a code lies in; the unit itself when the code is no more precise."""
    c = pl.col(col) if isinstance(col, str) else col
    d = depth(unit)
    if d >= 4:
        return pl.lit(unit)
    return pl.coalesce(truncate_code(c, d + 1), pl.lit(unit))


@lru_cache(maxsize=1)
def _names() -> pl.DataFrame:
    from analysis import reference

    r = reference.regions().select("kode_wilayah", "nama", "tingkat")
    return pl.concat(
        [
            pl.DataFrame(
                {"kode_wilayah": [NATIONAL], "nama": ["Indonesia"], "tingkat": ["nasional"]}
            ),
            r,
        ]
    )


def with_names(df: pl.DataFrame, col: str = "kode_wilayah", alias: str = "nama") -> pl.DataFrame:
    """Add the region's display name (``alias``) for the dotted code in ``col``."""
    names = _names().select(pl.col("kode_wilayah").alias(col), pl.col("nama").alias(alias))
    return df.join(names, on=col, how="left")


# --- Incident analytics ------------------------------------------------------------------------


def _as_utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    if t.tzinfo is None:
        raise ValueError(f"time {t.isoformat()} needs a UTC offset (e.g. +07:00)")
    return t.astimezone(dt.UTC)


def prepare(
    incidents: pl.DataFrame, unit: str = NATIONAL, as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """Incidents reported by ``as_of`` that lie in ``unit``, with the columns analytics need.

    Grain: one row per incident report. Adds ``kode_lokasi`` (the desa of kode_tps when it lies
    in kode_wilayah or kode_wilayah is blank, else kode_wilayah, else ``"00"``), ``kode_anak``
    (the child of ``unit`` it lies in, or the unit itself when the location is no more precise),
    ``kelompok_verifikasi`` (terverifikasi |
    belum_diverifikasi | dibantah), ``terbuka`` (not selesai and not dibantah), ``umur_jam``
    (hours from report to ``as_of``), ``jam_ke_penanganan`` (report to handling, hours) and the
    Indonesian labels ``tahapan_label``, ``kategori_label``, ``keparahan_label``,
    ``verifikasi_label``, ``penanganan_label``.
    """
    tax = taxonomy()
    as_of_utc = _as_utc(as_of)
    df = incidents
    if "kode_wilayah" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("kode_wilayah"))
    if "kode_tps" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("kode_tps"))
    # the most precise location: the TPS's desa when it lies inside the region given (or none is)
    wil = pl.col("kode_wilayah").replace("", None)
    desa = pl.when(pl.col("kode_tps").str.len_chars() >= 10).then(tps_to_desa("kode_tps"))
    df = df.with_columns(
        pl.coalesce(
            pl.when(desa.is_not_null() & (wil.is_null() | desa.str.starts_with(wil)))
            .then(desa)
            .otherwise(wil),
            pl.lit(NATIONAL),
        ).alias("kode_lokasi")
    )
    if as_of_utc is not None:
        df = df.filter(pl.col("waktu_laporan") <= as_of_utc)
        now = pl.lit(as_of_utc, dtype=pl.Datetime("us", "UTC"))
    else:
        now = pl.col("waktu_laporan").max()
    df = df.filter(in_unit("kode_lokasi", unit))
    label_cols = []
    for field, alias in (
        ("tahapan", "tahapan_label"),
        ("kategori", "kategori_label"),
        ("tingkat_keparahan", "keparahan_label"),
        ("status_verifikasi", "verifikasi_label"),
        ("status_penanganan", "penanganan_label"),
    ):
        labels = tax.fields[field].labels
        label_cols.append(pl.col(field).replace_strict(labels, default=pl.col(field)).alias(alias))
    return df.with_columns(
        child_code("kode_lokasi", unit).alias("kode_anak"),
        pl.when(pl.col("status_verifikasi").is_in(VERIFIED))
        .then(pl.lit("terverifikasi"))
        .when(pl.col("status_verifikasi") == "dibantah")
        .then(pl.lit("dibantah"))
        .otherwise(pl.lit("belum_diverifikasi"))
        .alias("kelompok_verifikasi"),
        (
            (pl.col("status_penanganan") != "selesai") & (pl.col("status_verifikasi") != "dibantah")
        ).alias("terbuka"),
        ((now - pl.col("waktu_laporan")).dt.total_seconds() / 3600).round(1).alias("umur_jam"),
        ((pl.col("waktu_penanganan") - pl.col("waktu_laporan")).dt.total_seconds() / 3600)
        .round(1)
        .alias("jam_ke_penanganan"),
        *label_cols,
    )


def _verification_counts() -> list[pl.Expr]:
    exprs = [
        pl.len().alias("n_insiden"),
        (pl.col("kelompok_verifikasi") == "terverifikasi").sum().alias("n_terverifikasi"),
        (pl.col("kelompok_verifikasi") == "belum_diverifikasi").sum().alias("n_belum_diverifikasi"),
        (pl.col("kelompok_verifikasi") == "dibantah").sum().alias("n_dibantah"),
        pl.col("terbuka").sum().alias("n_terbuka"),
    ]
    return [e.cast(pl.Int64) for e in exprs]


def incident_counts(
    incidents: pl.DataFrame,
    unit: str = NATIONAL,
    as_of: dt.datetime | None = None,
    by: tuple[str, ...] = ("tahapan", "kategori", "tingkat_keparahan"),
) -> pl.DataFrame:
    """Counts of incidents in ``unit`` by stage × category × severity (or ``by``).

    Grain: one row per combination of ``by`` present. Columns: ``by`` codes with their labels,
    ``n_insiden``, ``n_terverifikasi``, ``n_belum_diverifikasi``, ``n_dibantah`` (verified and
    unverified kept apart), ``n_terbuka``. Sorted by severity then count.
    """
    df = prepare(incidents, unit, as_of)
    labels = {
        "tahapan": "tahapan_label",
        "kategori": "kategori_label",
        "tingkat_keparahan": "keparahan_label",
        "status_verifikasi": "verifikasi_label",
        "status_penanganan": "penanganan_label",
    }
    keys = list(by) + [labels[b] for b in by if b in labels]
    out = df.group_by(keys).agg(_verification_counts())
    order = []
    if "tingkat_keparahan" in by:
        out = out.with_columns(
            pl.col("tingkat_keparahan")
            .replace_strict({s: i for i, s in enumerate(SEVERITIES)}, default=len(SEVERITIES))
            .alias("_sev")
        )
        order.append("_sev")
    out = out.sort(
        [*order, "n_insiden", *by], descending=[*([False] * len(order)), True] + [False] * len(by)
    )
    return out.drop("_sev", strict=False)


def counts_by_child(
    incidents: pl.DataFrame,
    unit: str = NATIONAL,
    as_of: dt.datetime | None = None,
    since: dt.datetime | None = None,
) -> pl.DataFrame:
    """Incidents per child unit of ``unit`` (plus a row for the unit itself when some incidents
    are known only at its level, named "tanpa lokasi rinci").

    Grain: one row per child unit with at least one incident. Columns: ``kode_wilayah``, ``nama``,
    ``n_insiden``, ``n_kritis``..``n_rendah``, ``n_terverifikasi``, ``n_belum_diverifikasi``,
    ``n_dibantah``, ``n_terbuka``, ``n_baru`` (reported after ``since``; 0 when since is None).
    """
    df = prepare(incidents, unit, as_of)
    since_utc = _as_utc(since)
    new = (
        (pl.col("waktu_laporan") > since_utc).sum()
        if since_utc is not None
        else pl.lit(0, dtype=pl.UInt32)
    )
    out = df.group_by(pl.col("kode_anak").alias("kode_wilayah")).agg(
        *_verification_counts(),
        *[
            (pl.col("tingkat_keparahan") == s).sum().alias(f"n_{s}")
            for s in ("kritis", "tinggi", "sedang", "rendah")
        ],
        new.alias("n_baru"),
    )
    out = with_names(out).with_columns(
        pl.when(pl.col("kode_wilayah") == unit)
        .then(pl.lit(NO_DETAIL))
        .otherwise(pl.col("nama"))
        .alias("nama")
    )
    cols = ["kode_wilayah", "nama", "n_insiden", "n_kritis", "n_tinggi", "n_sedang", "n_rendah"]
    rest = ["n_terverifikasi", "n_belum_diverifikasi", "n_dibantah", "n_terbuka", "n_baru"]
    return (
        out.select(cols + rest)
        .with_columns(pl.col(c).cast(pl.Int64) for c in cols[2:] + rest)
        .sort(
            ["n_kritis", "n_tinggi", "n_insiden", "kode_wilayah"],
            descending=[True, True, True, False],
        )
    )


_LISTING = [
    "id_insiden",
    "waktu_laporan",
    "kode_lokasi",
    "nama_lokasi",
    "kategori",
    "kategori_label",
    "tingkat_keparahan",
    "keparahan_label",
    "tahapan_label",
    "status_verifikasi",
    "verifikasi_label",
    "status_penanganan",
    "penanganan_label",
    "instansi",
    "umur_jam",
    "deskripsi",
]


def _listing(df: pl.DataFrame) -> pl.DataFrame:
    df = with_names(df, "kode_lokasi", "nama_lokasi")
    if "deskripsi" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("deskripsi"))
    if "instansi" not in df.columns:
        df = df.with_columns(pl.lit(None, pl.String).alias("instansi"))
    sev = {s: i for i, s in enumerate(SEVERITIES)}
    return (
        df.with_columns(pl.col("tingkat_keparahan").replace_strict(sev, default=9).alias("_s"))
        .sort(["_s", "waktu_laporan"], descending=[False, True])
        .select(_LISTING)
    )


def new_incidents(
    incidents: pl.DataFrame,
    unit: str,
    since: dt.datetime,
    as_of: dt.datetime | None = None,
    severities: tuple[str, ...] = SEVERITIES,
) -> pl.DataFrame:
    """Incidents reported after ``since`` (the previous report) and by ``as_of``.

    Grain: one row per incident, most severe first, newest first within a severity.
    """
    df = prepare(incidents, unit, as_of).filter(
        (pl.col("waktu_laporan") > _as_utc(since)) & pl.col("tingkat_keparahan").is_in(severities)
    )
    return _listing(df)


def open_serious(
    incidents: pl.DataFrame, unit: str = NATIONAL, as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """Open *kritis* and *tinggi* incidents (not selesai, not dibantah) with age and handling status.

    Grain: one row per incident; columns as in ``new_incidents`` (``umur_jam`` = hours since the
    report, ``penanganan_label``, ``instansi``).
    """
    df = prepare(incidents, unit, as_of).filter(
        pl.col("terbuka") & pl.col("tingkat_keparahan").is_in(["kritis", "tinggi"])
    )
    return _listing(df)


def handling_times(
    incidents: pl.DataFrame, unit: str = NATIONAL, as_of: dt.datetime | None = None
) -> pl.DataFrame:
    """Time from report to handling, per severity, verified and unverified apart.

    Grain: one row per severity × kelompok_verifikasi. Columns: ``n_insiden``, ``n_ditangani``
    (with a handling time), ``n_belum_ditangani`` (status baru), ``median_jam``, ``p90_jam``.
    """
    df = prepare(incidents, unit, as_of).filter(pl.col("kelompok_verifikasi") != "dibantah")
    sev = {s: i for i, s in enumerate(SEVERITIES)}
    return (
        df.group_by("tingkat_keparahan", "keparahan_label", "kelompok_verifikasi")
        .agg(
            pl.len().cast(pl.Int64).alias("n_insiden"),
            pl.col("jam_ke_penanganan").is_not_null().sum().cast(pl.Int64).alias("n_ditangani"),
            (pl.col("status_penanganan") == "baru").sum().cast(pl.Int64).alias("n_belum_ditangani"),
            pl.col("jam_ke_penanganan").median().round(1).alias("median_jam"),
            pl.col("jam_ke_penanganan").quantile(0.9).round(1).alias("p90_jam"),
        )
        .with_columns(pl.col("tingkat_keparahan").replace_strict(sev, default=9).alias("_s"))
        .sort("_s", "kelompok_verifikasi")
        .drop("_s")
    )


def incident_summary(
    incidents: pl.DataFrame,
    unit: str = NATIONAL,
    since: dt.datetime | None = None,
    as_of: dt.datetime | None = None,
) -> dict[str, int]:
    """Headline numbers for a pack: totals, new since the previous report, open serious ones."""
    df = prepare(incidents, unit, as_of)
    since_utc = _as_utc(since)
    serious = pl.col("tingkat_keparahan").is_in(["kritis", "tinggi"])
    row = df.select(
        pl.len().alias("total"),
        (pl.col("waktu_laporan") > since_utc).sum().alias("baru")
        if since_utc is not None
        else pl.lit(0).alias("baru"),
        (pl.col("tingkat_keparahan") == "kritis").sum().alias("kritis"),
        (pl.col("tingkat_keparahan") == "tinggi").sum().alias("tinggi"),
        (serious & pl.col("terbuka")).sum().alias("serius_terbuka"),
        (pl.col("kelompok_verifikasi") == "terverifikasi").sum().alias("terverifikasi"),
        (pl.col("kelompok_verifikasi") == "belum_diverifikasi").sum().alias("belum_diverifikasi"),
        (pl.col("kelompok_verifikasi") == "dibantah").sum().alias("dibantah"),
        pl.col("terbuka").sum().alias("terbuka"),
    ).row(0, named=True)
    return {k: int(v or 0) for k, v in row.items()}
