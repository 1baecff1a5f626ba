"""The incident taxonomy: free-text labels field staff write → the canonical codes of
``config/taxonomy.yaml``.

Ingest calls :func:`normalise_incidents` while reading incident reports (one row in, one row out,
the original text kept in ``<field>_asli``); the analytics and the pack read the labels back with
:func:`taxonomy`. It lives outside :mod:`analysis.analyse` because ingest needs it at read time.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

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
