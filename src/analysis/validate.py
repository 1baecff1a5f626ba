"""The one validator: a Great Expectations 1.x suite per dataset, run once per batch.

Each dataset (``tally_tps``, ``official_tps``, ``official_region``, ``incidents``, ``readiness``,
``ref_tps``) has one suite in the GX file context under ``expectations/``. The checks that need
arithmetic or the region tree (the identities of DOMAIN §4 with their tolerances, code validity,
the OCR signature, duplicate keys) are first computed as *check columns* with polars — one column
``_c_<check id>`` per check, null where the check does not apply — and the suite's expectations
run on those columns (and on a few canonical columns directly). GX decides which rows fail; the
rows' ``_row_id`` come back through ``unexpected_index_column_names`` and each failure is turned
into a reason a person can act on: the check id, the columns, what was expected, the actual values.

Every expectation carries ``meta``: ``check`` (id), ``severity`` (``reject`` | ``warn``), ``why``
(English: why it is set as it is and why it rejects or warns) and ``alasan`` (Indonesian one-liner
for the packs). A row is rejected when it fails at least one reject-level check; warned rows stay
accepted with their ``peringatan``.

Great Expectations is imported lazily (inside :func:`validate`): importing it costs seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import polars as pl
import yaml

from analysis import reference
from analysis.schemas import ADMIN_COUNTS, BY_NAME, SPLIT_FIELDS
from analysis.settings import REPO_ROOT, Settings, default_settings

Severity = Literal["reject", "warn"]
TINGKAT: dict[str, str] = {"reject": "tolak", "warn": "peringatan"}
GX_SEVERITY: dict[str, str] = {"reject": "critical", "warn": "warning"}

DATASETS: tuple[str, ...] = (
    "tally_tps",
    "official_tps",
    "official_region",
    "incidents",
    "readiness",
    "ref_tps",
)

#: Contests valid in KPU's official data besides the Pilkada ones of reference.contests(): the
#: presidential race, whose real Sirekap records (Pemilu 2024) are accepted as official records of
#: that contest (it covers every desa). The desk's internal Pilkada count never holds ppwp.
EXTRA_CONTESTS: tuple[str, ...] = ("ppwp",)

#: Columns the ingest adds to the C.Hasil datasets before validation.
CHASIL_EXTRA: tuple[str, ...] = ("jumlah_suara_paslon", "paslon_asing")
#: Optional: the smallest and largest single paslon vote of the row, so identity 9 (range) also
#: covers the per-paslon counts (e.g. a "-125" typed into one paslon's box).
CHASIL_OPTIONAL: tuple[str, ...] = ("suara_paslon_min", "suara_paslon_max")

READINESS_INDICATORS: tuple[str, ...] = ("logistik_diterima", "perekaman_ktp_el", "nphd_dibayar")

# The canonical incident codes of the common brief; config/taxonomy.yaml (the incidents helper's)
# is read first so the two never drift apart, these are the fallback.
_TAXONOMY_DEFAULT: dict[str, tuple[str, ...]] = {
    "tahapan": (
        "pemutakhiran_data_pemilih",
        "pendaftaran_paslon",
        "penetapan_paslon",
        "kampanye",
        "masa_tenang",
        "pemungutan_penghitungan",
        "rekapitulasi",
        "penetapan_calon_terpilih",
        "sengketa",
        "lainnya",
    ),
    "kategori": (
        "kamtibmas",
        "logistik",
        "data_pemilih",
        "pelanggaran_kampanye",
        "politik_uang",
        "netralitas",
        "protokol_kesehatan",
        "prosedur_pungut_hitung",
        "infrastruktur",
        "lainnya",
    ),
    "tingkat_keparahan": ("kritis", "tinggi", "sedang", "rendah", "lainnya"),
    "status_verifikasi": ("belum_diverifikasi", "terkonfirmasi", "terverifikasi_resmi", "dibantah"),
    "status_penanganan": ("baru", "ditangani", "selesai"),
    "instansi": ("KPU", "Bawaslu", "Polres", "Dukcapil", "Pemda"),
}


class ValidationInputError(ValueError):
    """The frame handed to :func:`validate` breaks the contract (not the data's fault)."""


@dataclass
class ValidationOutcome:
    """What one validation run says about a batch.

    ``flags``: one row per input row — ``_row_id``, ``ditolak``, ``alasan_tolak``, ``peringatan``.
    ``summary``: one row per dataset × check × kode_kabkota — ``dataset``, ``pemeriksaan``,
    ``tingkat``, ``kode_kabkota``, ``alasan``, ``n_gagal``, ``n_diperiksa``.
    """

    dataset: str
    flags: pl.DataFrame
    summary: pl.DataFrame
    seconds: float = 0.0

    @property
    def n_rejected(self) -> int:
        return int(self.flags["ditolak"].sum())

    @property
    def n_warned(self) -> int:
        return int((self.flags["peringatan"].list.len() > 0).sum())


@dataclass(frozen=True)
class Check:
    """One check = one expectation in its dataset's suite.

    ``derive`` computes the check column ``_c_<id>`` (None: the expectation runs on ``column``
    directly); ``message`` renders the reason for a failing row (it may use every column).
    """

    id: str
    severity: Severity
    expectation: Literal["between", "in_set", "regex"]
    kwargs: dict[str, Any]
    why: str
    alasan: str
    message: pl.Expr
    derive: pl.Expr | None = None
    column: str | None = None
    kolom: tuple[str, ...] = field(default_factory=tuple)

    @property
    def gx_column(self) -> str:
        return self.column if self.derive is None and self.column else f"_c_{self.id}"


# --- small expression helpers ----------------------------------------------------------------------


def _v(col: str | pl.Expr) -> pl.Expr:
    """A value rendered for a message ("kosong" when null)."""
    e = pl.col(col) if isinstance(col, str) else col
    return e.cast(pl.String).fill_null("kosong")


def _msg(check_id: str, template: str, *values: str | pl.Expr) -> pl.Expr:
    return pl.format(f"{check_id}: {template}", *(_v(v) for v in values))


def _absdiff(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    return (a - b).abs()


def _wib(col: str) -> pl.Expr:
    return pl.col(col).dt.convert_time_zone("Asia/Jakarta").dt.strftime("%Y-%m-%d %H:%M WIB")


def _utc(ts: dt.datetime) -> pl.Expr:
    """An aware datetime as a UTC literal comparable with the canonical datetime columns."""
    naive = ts.astimezone(dt.UTC).replace(tzinfo=None)
    return pl.lit(naive, dtype=pl.Datetime("us")).dt.replace_time_zone("UTC")


def _listed(names_and_conds: list[tuple[str, pl.Expr]]) -> pl.Expr:
    """Comma-joined text of the labels whose condition holds (labels may be expressions)."""
    parts = [
        pl.when(cond).then(pl.lit(label) if isinstance(label, str) else label)
        for label, cond in names_and_conds
    ]
    return pl.concat_list(parts).list.drop_nulls().list.join(", ")


# 1e-9 absorbs binary rounding: 240 × 1.025 is 245.99999999999997 in floating point, but 246.
def _with_reserve(voters: pl.Expr, share: float) -> pl.Expr:
    """The largest count still within ``voters`` plus the reserve share (floor)."""
    return (voters * (1 + share) + 1e-9).floor().cast(pl.Int64)


def _with_reserve_int(voters: int, share: float) -> int:
    return math.floor(voters * (1 + share) + 1e-9)


def _count_true(conds: list[pl.Expr]) -> pl.Expr:
    return pl.sum_horizontal([c.fill_null(False).cast(pl.Int64) for c in conds])


def _tps_kabkota(col: str = "kode_tps") -> pl.Expr:
    c = pl.col(col)
    return (
        pl.when(c.str.contains(r"^\d{13}$"))
        .then(pl.format("{}.{}", c.str.slice(0, 2), c.str.slice(2, 2)))
        .otherwise(None)
    )


def _region_kabkota(col: str = "kode_wilayah") -> pl.Expr:
    c = pl.col(col)
    return pl.when(c.str.contains(r"^\d{2}\.\d{2}")).then(c.str.slice(0, 5)).otherwise(None)


@lru_cache(maxsize=1)
def _desa_codes() -> pl.Series:
    """KPU-style (undotted) codes of every desa/kelurahan in the region tree."""
    r = reference.regions()
    return r.filter(pl.col("tingkat") == "desa")["kode_kpu"]


@lru_cache(maxsize=1)
def _region_codes() -> pl.Series:
    return reference.regions()["kode_wilayah"]


@lru_cache(maxsize=2)
def _contest_codes(official: bool = True) -> pl.Series:
    """Valid contest codes: Pilkada 2024, plus :data:`EXTRA_CONTESTS` for KPU's official data."""
    extra = list(EXTRA_CONTESTS) if official else []
    return pl.concat([reference.contests()["kode_kontestasi"], pl.Series(extra, dtype=pl.String)])


@lru_cache(maxsize=4)
def taxonomy_codes(path: str | None = None) -> dict[str, tuple[str, ...]]:
    """Canonical codes per incident field (codes + a non-null fallback) from config/taxonomy.yaml."""
    p = Path(path) if path else REPO_ROOT / "config" / "taxonomy.yaml"
    try:
        fields = (yaml.safe_load(p.read_text(encoding="utf-8")) or {}).get("fields", {})
    except (OSError, yaml.YAMLError, AttributeError):
        return dict(_TAXONOMY_DEFAULT)
    out = dict(_TAXONOMY_DEFAULT)
    for name, spec in fields.items():
        if isinstance(spec, dict) and isinstance(spec.get("codes"), dict):
            codes = list(spec["codes"])
            if spec.get("fallback") and spec["fallback"] not in codes:
                codes.append(spec["fallback"])
            out[name] = tuple(str(c) for c in codes)
    return out


def _contest_region_digits() -> pl.Expr:
    """``16`` for ``pkwkp-16``, ``1671`` for ``pkwkk-1671``; null for ppwp and malformed codes."""
    return pl.col("kode_kontestasi").str.extract(r"^pkwk[pk]-(\d+)$", 1)


# --- checks shared by several datasets ----------------------------------------------------------


def _required(check_id: str, cols: tuple[str, ...]) -> Check:
    empty = [(c, pl.col(c).is_null()) for c in cols]
    return Check(
        id=check_id,
        severity="reject",
        expectation="between",
        kwargs={"min_value": 0, "max_value": 0},
        derive=_count_true([pl.col(c).is_null() for c in cols]),
        message=pl.format("{}: kolom wajib kosong: {}", pl.lit(check_id), _listed(empty)),
        why=(
            "A row without its key, time or core counts cannot be placed, ordered or counted; "
            "reject so the sender fills it in (the row is kept in quarantine with its values)."
        ),
        alasan="Kolom wajib (kunci, waktu, angka pokok) tidak boleh kosong",
        kolom=cols,
    )


def _unique(check_id: str, key: tuple[str, ...], severity: Severity = "reject") -> Check:
    any_null = pl.any_horizontal([pl.col(k).is_null() for k in key])
    keytext = pl.concat_str([_v(k) for k in key], separator=", ")
    return Check(
        id=check_id,
        severity=severity,
        expectation="between",
        kwargs={"min_value": 1, "max_value": 1},
        # 1 for the first row of a key in batch order, 2 for every repeat; null when a key part is
        # missing (wajib_terisi reports that).
        derive=pl.when(any_null)
        .then(None)
        .when(pl.struct(key).is_first_distinct())
        .then(pl.lit(1, dtype=pl.Int64))
        .otherwise(pl.lit(2, dtype=pl.Int64)),
        message=pl.format(
            "{}: kunci ({}) = ({}) sudah muncul di baris sebelumnya dalam batch ini; "
            "baris pertama yang dipakai",
            pl.lit(check_id),
            pl.lit(", ".join(key)),
            keytext,
        ),
        why=(
            f"The key {key} identifies one record; a second row with the same key in a batch "
            "cannot be ordered against the first (same time), so the first row is kept and later "
            "ones are rejected to quarantine, where a person compares them."
        ),
        alasan=f"Kunci ({', '.join(key)}) harus unik dalam satu batch",
        kolom=key,
    )


def _window(check_id: str, col: str, s: Settings, severity: Severity, why: str) -> Check:
    start, end = s.election.window_start, s.election.window_end
    inside = (pl.col(col) >= _utc(start)) & (pl.col(col) <= _utc(end))
    # The window is the Pilkada's; ppwp records (Pemilu 2024, February) belong to another election.
    other_election = pl.col("kode_kontestasi").is_in(list(EXTRA_CONTESTS))
    return Check(
        id=check_id,
        severity=severity,
        expectation="in_set",
        kwargs={"value_set": [True]},
        derive=pl.when(other_election).then(None).otherwise(inside),
        message=pl.format(
            "{}: {} ({}) di luar jendela pemilihan {} s.d. {}",
            pl.lit(check_id),
            pl.lit(col),
            _wib(col),
            pl.lit(start.strftime("%Y-%m-%d %H:%M %z")),
            pl.lit(end.strftime("%Y-%m-%d %H:%M %z")),
        ),
        why=why + " Not applied to ppwp records: the window is the Pilkada's.",
        alasan=f"{col} harus di dalam jendela pemilihan (settings: election.window_start/end)",
        kolom=(col,),
    )


# --- C.Hasil (tally_tps, official_tps) ------------------------------------------------------------


def _chasil_checks(dataset: str, s: Settings) -> list[Check]:
    """Checks of a C.Hasil record (one row per TPS × contest × report/pull)."""
    e, tol = s.election, s.election.tolerances
    official = dataset == "official_tps"
    sev_arith: Severity = "warn" if official else "reject"
    who = (
        "KPU's published record is the official one: it is flagged for follow-up, never dropped"
        if official
        else "an internal report that breaks it cannot be trusted for the count: reject so field "
        "staff resend the corrected C.Hasil"
    )
    time_col = "waktu_tarik" if official else "waktu_laporan"
    key = ("kode_tps", "kode_kontestasi", time_col)
    ds = BY_NAME[dataset]
    skip = {
        "peringatan",
        "digantikan_oleh",
        "sumber_file",
        "sumber_sheet",
        "sumber_baris",
        "pelapor",
    }
    required = tuple(c for c in ds.columns if c not in ds.nullable and c not in skip)
    dpt_limit = _with_reserve(pl.col("pemilih_dpt"), e.reserve_share)
    tps_limit = _with_reserve_int(e.max_voters_per_tps, e.reserve_share)
    count_cols = [*ADMIN_COUNTS, *(f"{f}_{x}" for f in SPLIT_FIELDS for x in ("l", "p"))]
    count_cols = [*count_cols, "jumlah_suara_paslon", *CHASIL_OPTIONAL]
    out_of_range = [(c, (pl.col(c) < 0) | (pl.col(c) > e.max_count)) for c in count_cols]
    ocr_cols = (
        "suara_sah",
        "suara_tidak_sah",
        "suara_total",
        "pengguna_dpt",
        "pengguna_total",
        "jumlah_suara_paslon",
    )
    digits = list(s.penapisan.ocr_hundreds_digits)
    contests = _contest_codes(official)

    def ocr_hit(c: str) -> pl.Expr:
        v, h = pl.col(c), (pl.col(c) // 100) % 10
        return (v > dpt_limit) & h.is_in(digits) & ((v - 100 * h) <= dpt_limit)

    def ocr_label(c: str) -> pl.Expr:
        v = pl.col(c)
        return pl.format(
            "{} {}→{} (DPT {} + cadangan = {})",
            pl.lit(c),
            _v(v),
            _v(v - 100 * ((v // 100) % 10)),
            _v("pemilih_dpt"),
            _v(dpt_limit),
        )

    # The same misread in one paslon's box shows in the record as Σ paslon exceeding suara_sah
    # by exactly d × 100 (the per-paslon values are in *_votes, not in this frame).
    excess = pl.col("jumlah_suara_paslon") - pl.col("suara_sah")
    sum_hit = excess.is_in([100 * d for d in digits]) & (
        pl.col("jumlah_suara_paslon") > dpt_limit
    ).fill_null(True)
    sum_label = pl.format(
        "Σ suara paslon ({}) − suara_sah ({}) = {}: satu paslon kelebihan tepat {} ratus",
        _v("jumlah_suara_paslon"),
        _v("suara_sah"),
        _v(excess),
        _v(excess // 100),
    )
    ocr_all = [(ocr_label(c), ocr_hit(c)) for c in ocr_cols] + [(sum_label, sum_hit)]

    checks = [
        _required("wajib_terisi", required),
        Check(
            id="kode_tps_format",
            severity="reject",
            expectation="regex",
            kwargs={"regex": r"^\d{13}$"},
            column="kode_tps",
            message=_msg("kode_tps_format", "kode_tps ({}) bukan 13 digit angka", "kode_tps"),
            why="KPU's TPS code is 13 digits (desa code without dots + TPS number); any other "
            "value cannot be placed in the region tree: reject.",
            alasan="kode_tps harus 13 digit (kode desa tanpa titik + nomor TPS)",
            kolom=("kode_tps",),
        ),
        Check(
            id="kode_tps_desa_dikenal",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_tps").str.contains(r"^\d{13}$"))
            .then(pl.col("kode_tps").str.slice(0, 10).is_in(_desa_codes().implode()))
            .otherwise(None),
            message=_msg(
                "kode_tps_desa_dikenal",
                "desa {} dari kode_tps {} tidak ada di pohon wilayah Kemendagri",
                pl.col("kode_tps").str.slice(0, 10),
                "kode_tps",
            ),
            why="The TPS's desa must exist in the Kemendagri region tree, otherwise its votes "
            "cannot be aggregated to any kecamatan or kab/kota: reject (unknown TPS code).",
            alasan="Desa dari kode_tps harus ada di pohon wilayah Kemendagri",
            kolom=("kode_tps",),
        ),
        Check(
            id="kode_tps_terdaftar",
            severity="warn" if official else "reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.col("_tps_terdaftar"),
            message=_msg(
                "kode_tps_terdaftar",
                "kode_tps ({}) tidak ada di daftar TPS (referensi/tps.csv)",
                "kode_tps",
            ),
            why="The TPS must be in the TPS list (ref_tps; checked when the caller passes it): "
            + (
                "KPU's own record of a TPS missing from the desk's list points at an outdated "
                "list, so warn."
                if official
                else "a code of a real desa with a TPS number that does not exist (e.g. 9xx) is a "
                "typo that would add a phantom TPS: reject."
            ),
            alasan="kode_tps harus terdaftar di daftar TPS",
            kolom=("kode_tps",),
        ),
        Check(
            id="kontestasi_dikenal",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_kontestasi").is_null())
            .then(None)
            .otherwise(pl.col("kode_kontestasi").is_in(contests.implode())),
            message=_msg(
                "kontestasi_dikenal",
                "kode_kontestasi ({}) bukan kontestasi Pilkada 2024"
                + (" (atau ppwp)" if official else " yang diselenggarakan"),
                "kode_kontestasi",
            ),
            why="The contest must be a Pilkada 2024 contest (reference.contests)"
            + (
                " or ppwp (KPU's presidential records are official records of that contest)"
                if official
                else "; the internal count covers only Pilkada contests, so a ppwp or DIY-gubernur row is a contest not held"
            )
            + "; votes of an unknown contest cannot be counted anywhere: reject.",
            alasan="kode_kontestasi harus kontestasi yang diselenggarakan"
            + (" (Pilkada 2024 atau ppwp)" if official else " (Pilkada 2024)"),
            kolom=("kode_kontestasi",),
        ),
        Check(
            id="kontestasi_sesuai_wilayah",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(
                pl.col("kode_tps").str.slice(0, 10).is_in(_desa_codes().implode())
                & pl.col("kode_kontestasi").is_in(contests.implode())
            )
            .then(
                pl.when(pl.col("kode_kontestasi").is_in(list(EXTRA_CONTESTS)))
                .then(True)
                .otherwise(pl.col("kode_tps").str.starts_with(_contest_region_digits()))
            )
            .otherwise(None),
            message=_msg(
                "kontestasi_sesuai_wilayah",
                "kontestasi {} tidak diselenggarakan di wilayah TPS {}",
                "kode_kontestasi",
                "kode_tps",
            ),
            why="A TPS votes only in the contests of its own province and kab/kota "
            "(reference.contests_for_desa); a record filed under another region's contest would be "
            "counted in the wrong race: reject.",
            alasan="Kontestasi harus diselenggarakan di wilayah TPS tersebut",
            kolom=("kode_tps", "kode_kontestasi"),
        ),
        Check(
            id="paslon_dikenal",
            severity="warn" if official else "reject",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            column="paslon_asing",
            message=_msg(
                "paslon_dikenal",
                "{} entri suara untuk paslon yang tidak ada di kontestasi {}",
                "paslon_asing",
                "kode_kontestasi",
            ),
            why="Every vote entry must name a paslon of the contest (ref_paslon). "
            + (
                "In KPU's record the other paslon's votes still stand: warn."
                if official
                else "An internal report with votes for a non-existent paslon has its columns "
                "shifted or the wrong contest: reject."
            ),
            alasan="Suara hanya untuk paslon yang terdaftar di kontestasi itu",
            kolom=("paslon_asing",),
        ),
        Check(
            id="identitas_1_jumlah_suara",
            severity=sev_arith,
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.votes_sum},
            derive=_absdiff(pl.col("jumlah_suara_paslon"), pl.col("suara_sah")),
            message=_msg(
                "identitas_1_jumlah_suara",
                "Σ suara paslon ({}) ≠ suara_sah ({})"
                + (f" (toleransi {tol.votes_sum})" if tol.votes_sum else ""),
                "jumlah_suara_paslon",
                "suara_sah",
            ),
            why=f"DOMAIN §4 identity 1, tolerance election.tolerances.votes_sum={tol.votes_sum}: "
            f"the paslon votes must add up to the valid votes; {who}.",
            alasan="Jumlah suara seluruh paslon harus sama dengan suara sah",
            kolom=("jumlah_suara_paslon", "suara_sah"),
        ),
        Check(
            id="identitas_2_sah_tidak_sah",
            severity=sev_arith,
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.valid_invalid},
            derive=_absdiff(pl.col("suara_sah") + pl.col("suara_tidak_sah"), pl.col("suara_total")),
            message=_msg(
                "identitas_2_sah_tidak_sah",
                "suara_sah ({}) + suara_tidak_sah ({}) = {} ≠ suara_total ({})",
                "suara_sah",
                "suara_tidak_sah",
                pl.col("suara_sah") + pl.col("suara_tidak_sah"),
                "suara_total",
            ),
            why=f"DOMAIN §4 identity 2, tolerance valid_invalid={tol.valid_invalid}: valid plus "
            f"invalid votes make the total; {who}.",
            alasan="Suara sah + suara tidak sah harus sama dengan jumlah suara",
            kolom=("suara_sah", "suara_tidak_sah", "suara_total"),
        ),
        Check(
            id="identitas_3_pengguna",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.voters_sum},
            derive=_absdiff(
                pl.col("pengguna_total"),
                pl.col("pengguna_dpt") + pl.col("pengguna_dptb") + pl.col("pengguna_dpk"),
            ),
            message=_msg(
                "identitas_3_pengguna",
                "pengguna_dpt ({}) + pengguna_dptb ({}) + pengguna_dpk ({}) = {} ≠ pengguna_total ({})",
                "pengguna_dpt",
                "pengguna_dptb",
                "pengguna_dpk",
                pl.col("pengguna_dpt") + pl.col("pengguna_dptb") + pl.col("pengguna_dpk"),
                "pengguna_total",
            ),
            why=f"DOMAIN §4 identity 3, tolerance voters_sum={tol.voters_sum}: the voter section "
            "is administrative, the vote figures still stand, so warn (also for internal reports) "
            "and follow up.",
            alasan="Pengguna hak pilih DPT + DPTb + DPK harus sama dengan total pengguna",
            kolom=("pengguna_dpt", "pengguna_dptb", "pengguna_dpk", "pengguna_total"),
        ),
        Check(
            id="identitas_4_suara_pengguna",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.ballots_voters},
            derive=_absdiff(pl.col("suara_total"), pl.col("pengguna_total")),
            message=_msg(
                "identitas_4_suara_pengguna",
                f"suara_total ({{}}) ≠ pengguna_total ({{}}), selisih {{}} > toleransi {tol.ballots_voters}",
                "suara_total",
                "pengguna_total",
                _absdiff(pl.col("suara_total"), pl.col("pengguna_total")),
            ),
            why=f"DOMAIN §4 identity 4 (ballots used = voters), tolerance ballots_voters="
            f"{tol.ballots_voters}: KPPS often miscount a voter or two, and the votes themselves "
            "are unaffected: warn beyond the tolerance.",
            alasan="Jumlah suara harus sama dengan jumlah pengguna hak pilih (toleransi di settings)",
            kolom=("suara_total", "pengguna_total"),
        ),
    ]
    for f in SPLIT_FIELDS:
        cid = f"identitas_5_lp_{f}"
        checks.append(
            Check(
                id=cid,
                severity="warn",
                expectation="between",
                kwargs={"min_value": 0, "max_value": tol.split_sum},
                derive=_absdiff(pl.col(f), pl.col(f"{f}_l") + pl.col(f"{f}_p")),
                message=_msg(
                    cid,
                    f"{f}_l ({{}}) + {f}_p ({{}}) = {{}} ≠ {f} ({{}})",
                    f"{f}_l",
                    f"{f}_p",
                    pl.col(f"{f}_l") + pl.col(f"{f}_p"),
                    f,
                ),
                why=f"DOMAIN §4 identity 5 (J = L + P), tolerance split_sum={tol.split_sum}: the "
                "L/P split only feeds turnout by sex; the total still stands: warn.",
                alasan=f"{f}: laki-laki + perempuan harus sama dengan jumlah",
                kolom=(f, f"{f}_l", f"{f}_p"),
            )
        )
    checks += [
        Check(
            id="identitas_6_pengguna_dpt",
            severity="warn",
            expectation="between",
            kwargs={"max_value": 0},
            derive=pl.col("pengguna_dpt") - pl.col("pemilih_dpt"),
            message=_msg(
                "identitas_6_pengguna_dpt",
                "pengguna_dpt ({}) > pemilih_dpt ({})",
                "pengguna_dpt",
                "pemilih_dpt",
            ),
            why="DOMAIN §4 identity 6: more DPT voters than registered is impossible; either "
            "figure may be the wrong one and the votes are not affected: warn and follow up.",
            alasan="Pengguna hak pilih dari DPT tidak boleh melebihi DPT",
            kolom=("pengguna_dpt", "pemilih_dpt"),
        ),
        Check(
            id="identitas_7_batas_cadangan",
            severity="warn",
            expectation="between",
            kwargs={"max_value": 0},
            derive=pl.col("suara_total") - dpt_limit,
            message=_msg(
                "identitas_7_batas_cadangan",
                f"suara_total ({{}}) > pemilih_dpt ({{}}) × (1 + {e.reserve_share:g}) = {{}}",
                "suara_total",
                "pemilih_dpt",
                dpt_limit,
            ),
            why=f"DOMAIN §4 identity 7, reserve_share={e.reserve_share}: a soft flag only — DPTb "
            "and DPK voters make more votes than DPT legitimately possible: warn.",
            alasan="Jumlah suara tidak wajar bila melebihi DPT + surat suara cadangan",
            kolom=("suara_total", "pemilih_dpt"),
        ),
        Check(
            id="identitas_8_surat_suara",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.ballots_stock},
            derive=_absdiff(
                pl.col("surat_suara_diterima"),
                pl.col("surat_suara_digunakan")
                + pl.col("surat_suara_rusak")
                + pl.col("surat_suara_tidak_digunakan"),
            ),
            message=_msg(
                "identitas_8_surat_suara",
                "surat_suara_diterima ({}) ≠ digunakan ({}) + rusak ({}) + tidak_digunakan ({}) = {}",
                "surat_suara_diterima",
                "surat_suara_digunakan",
                "surat_suara_rusak",
                "surat_suara_tidak_digunakan",
                pl.col("surat_suara_digunakan")
                + pl.col("surat_suara_rusak")
                + pl.col("surat_suara_tidak_digunakan"),
            ),
            why=f"DOMAIN §4 identity 8, tolerance ballots_stock={tol.ballots_stock}: ballot stock "
            "accounting is logistics, not votes: warn.",
            alasan="Surat suara diterima = digunakan + rusak + tidak digunakan",
            kolom=(
                "surat_suara_diterima",
                "surat_suara_digunakan",
                "surat_suara_rusak",
                "surat_suara_tidak_digunakan",
            ),
        ),
        Check(
            id="identitas_9_rentang",
            severity=sev_arith,
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=_count_true([c for _, c in out_of_range]),
            message=pl.format(
                "{}: di luar 0…{}: {}",
                pl.lit("identitas_9_rentang"),
                pl.lit(str(e.max_count)),
                _listed([(pl.format("{}={}", pl.lit(c), _v(c)), cond) for c, cond in out_of_range]),
            ),
            why=f"DOMAIN §4 identity 9: every count is an integer in 0…{e.max_count} (four boxes "
            f"on the form); anything else is a misread or typo; {who}.",
            alasan=f"Setiap angka harus bilangan bulat 0…{e.max_count}",
            kolom=tuple(count_cols),
        ),
        Check(
            id="tps_tidak_wajar",
            severity=sev_arith,
            expectation="between",
            kwargs={"max_value": tps_limit},
            derive=pl.max_horizontal("pemilih_dpt", "pengguna_total", "suara_total"),
            message=_msg(
                "tps_tidak_wajar",
                f"pemilih_dpt ({{}}) / pengguna_total ({{}}) / suara_total ({{}}) melebihi "
                f"{e.max_voters_per_tps} pemilih + cadangan = {tps_limit}",
                "pemilih_dpt",
                "pengguna_total",
                "suara_total",
            ),
            why=f"DOMAIN §4 identity 9: a TPS serves at most max_voters_per_tps="
            f"{e.max_voters_per_tps} voters plus the {e.reserve_share:g} reserve ({tps_limit}); "
            f"a larger figure is a misread or typo; {who}.",
            alasan=f"Satu TPS tidak wajar melayani lebih dari {tps_limit} pemilih",
            kolom=("pemilih_dpt", "pengguna_total", "suara_total"),
        ),
        Check(
            id="ocr_digit_ratusan",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=pl.when(pl.col("pemilih_dpt").is_null() & excess.is_null())
            .then(None)
            .otherwise(_count_true([hit for _, hit in ocr_all])),
            message=pl.format(
                "{}: kotak ratusan yang dicoret kemungkinan terbaca {} (OCR): {}",
                pl.lit("ocr_digit_ratusan"),
                pl.lit("/".join(str(d) for d in digits)),
                _listed(ocr_all),
            ),
            why="DOMAIN §4 OCR signature (penapisan.ocr_hundreds_digits): a value far above the "
            "TPS's DPT whose hundreds digit alone explains the excess (62 read as 962), or a "
            "paslon total exceeding suara_sah by exactly that many hundreds. Warn with its own id "
            "so an analyst checks the C.Hasil photo; the arithmetic checks decide rejection.",
            alasan="Angka jauh di atas DPT yang dijelaskan oleh digit ratusan saja (salah baca OCR)",
            kolom=ocr_cols,
        ),
        _unique("kunci_unik", key),
    ]
    if official:
        checks += [
            Check(
                id="rekaman_lengkap",
                severity="warn",
                expectation="in_set",
                kwargs={"value_set": [True]},
                derive=pl.col("ada_chart") & pl.col("ada_administrasi"),
                message=pl.format(
                    "{}: rekaman Sirekap belum lengkap: {}",
                    pl.lit("rekaman_lengkap"),
                    _listed(
                        [
                            ("chart (suara paslon) kosong", ~pl.col("ada_chart")),
                            ("administrasi kosong", ~pl.col("ada_administrasi")),
                        ]
                    ),
                ),
                why="A Sirekap record whose chart or administrasi section is null is not yet "
                "digitised: the record is kept (what is there is official) and the identities "
                "that need the missing section are simply not checked; warn so it is not "
                "mistaken for a complete record.",
                alasan="Rekaman Sirekap harus memuat suara paslon dan data administrasi",
                kolom=("ada_chart", "ada_administrasi"),
            ),
            Check(
                id="tanpa_psu",
                severity="warn",
                expectation="in_set",
                kwargs={"value_set": [True]},
                derive=pl.col("psu").is_null() | (pl.col("psu").str.strip_chars() == ""),
                message=_msg("tanpa_psu", "TPS dicatat PSU oleh KPU: {}", "psu"),
                why="A PSU (pemungutan suara ulang) note means this TPS's result will be replaced "
                "by a re-vote; the record stands until then: warn.",
                alasan="TPS dengan catatan PSU (pemungutan suara ulang)",
                kolom=("psu",),
            ),
        ]
        checks.append(
            _window(
                "waktu_dalam_jendela",
                "ts",
                s,
                "warn",
                "Sirekap's own timestamp should fall inside the election window; KPU's record "
                "is official whatever its stamp, and versions are ordered by waktu_tarik (the "
                "desk's pull time), so warn only.",
            )
        )
    else:
        checks.append(
            _window(
                "waktu_dalam_jendela",
                "waktu_laporan",
                s,
                "reject",
                "Report versions are ordered by waktu_laporan (latest wins): a mistyped date "
                "outside the election window would wrongly supersede or be superseded, so reject "
                "until the sender confirms the time.",
            )
        )
    return checks


# --- official_region (D.Hasil / Sirekap aggregates) ------------------------------------------------


def _region_checks(s: Settings) -> list[Check]:
    """Checks of one row per region unit × contest × paslon."""
    tol = s.election.tolerances
    # Σ suara per region × contest, computed over the whole batch in _prepare (a window in a
    # message would only see the failing rows).
    total = pl.col("_jumlah_suara_wilayah")
    known_region = pl.col("kode_wilayah").is_in(_region_codes().implode())
    known_contest = pl.col("kode_kontestasi").is_in(_contest_codes(True).implode())
    neg = [
        (c, pl.col(c) < 0)
        for c in ("nomor_urut", "suara", "suara_sah", "suara_tidak_sah", "tps_total", "tps_masuk")
    ]
    return [
        _required("wajib_terisi", ("kode_wilayah", "kode_kontestasi", "nomor_urut", "suara")),
        Check(
            id="wilayah_dikenal",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_wilayah").is_null()).then(None).otherwise(known_region),
            message=_msg(
                "wilayah_dikenal",
                "kode_wilayah ({}) tidak ada di pohon wilayah Kemendagri",
                "kode_wilayah",
            ),
            why="A recap row of an unknown region cannot be placed in the tree: reject.",
            alasan="kode_wilayah harus ada di pohon wilayah Kemendagri",
            kolom=("kode_wilayah",),
        ),
        Check(
            id="kontestasi_dikenal",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_kontestasi").is_null()).then(None).otherwise(known_contest),
            message=_msg(
                "kontestasi_dikenal",
                "kode_kontestasi ({}) bukan kontestasi Pilkada 2024 (atau ppwp)",
                "kode_kontestasi",
            ),
            why="Votes of an unknown contest cannot be counted anywhere: reject.",
            alasan="kode_kontestasi harus kontestasi yang ada (Pilkada 2024 atau ppwp)",
            kolom=("kode_kontestasi",),
        ),
        Check(
            id="kontestasi_sesuai_wilayah",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(known_region & known_contest)
            .then(
                pl.when(pl.col("kode_kontestasi").is_in(list(EXTRA_CONTESTS)))
                .then(True)
                .otherwise(
                    pl.col("kode_wilayah")
                    .str.replace_all(".", "", literal=True)
                    .str.starts_with(_contest_region_digits())
                )
            )
            .otherwise(None),
            message=_msg(
                "kontestasi_sesuai_wilayah",
                "wilayah {} tidak termasuk kontestasi {}",
                "kode_wilayah",
                "kode_kontestasi",
            ),
            why="A region's recap belongs only to the contests held over it: reject misfiled rows.",
            alasan="Wilayah harus termasuk wilayah kontestasi",
            kolom=("kode_wilayah", "kode_kontestasi"),
        ),
        Check(
            id="rentang_nilai",
            severity="reject",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=_count_true([c for _, c in neg]),
            message=pl.format(
                "{}: nilai negatif: {}",
                pl.lit("rentang_nilai"),
                _listed([(pl.format("{}={}", pl.lit(c), _v(c)), cond) for c, cond in neg]),
            ),
            why="Counts and nomor urut are never negative: such a row is corrupt: reject.",
            alasan="Nomor urut, suara dan jumlah TPS tidak boleh negatif",
            kolom=tuple(c for c, _ in neg),
        ),
        Check(
            id="identitas_1_jumlah_suara",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.votes_sum},
            derive=_absdiff(total, pl.col("suara_sah")),
            message=_msg(
                "identitas_1_jumlah_suara",
                "Σ suara paslon wilayah {} ({}) ≠ suara_sah ({})",
                "kode_wilayah",
                total,
                "suara_sah",
            ),
            why=f"DOMAIN §4 identity 1 at region level, tolerance votes_sum={tol.votes_sum}: the "
            "recapitulation is KPU's official record: warn and flag, never drop.",
            alasan="Jumlah suara seluruh paslon di wilayah harus sama dengan suara sah",
            kolom=("suara", "suara_sah"),
        ),
        Check(
            id="progres_tps",
            severity="warn",
            expectation="between",
            kwargs={"max_value": 0},
            derive=pl.col("tps_masuk") - pl.col("tps_total"),
            message=_msg(
                "progres_tps", "tps_masuk ({}) > tps_total ({})", "tps_masuk", "tps_total"
            ),
            why="More TPS reported than exist means the progress figure is stale or wrong; the "
            "votes still stand: warn.",
            alasan="TPS masuk tidak boleh melebihi jumlah TPS",
            kolom=("tps_masuk", "tps_total"),
        ),
        _unique("kunci_unik", ("kode_wilayah", "kode_kontestasi", "nomor_urut")),
    ]


# --- incidents ---------------------------------------------------------------------------------------


def _incident_checks(s: Settings) -> list[Check]:
    """Checks of one row per incident report, after label normalisation."""
    tax = taxonomy_codes()

    def in_set(col: str, severity: Severity, why: str, nullable: bool = False) -> Check:
        allowed = list(tax[col])
        cond = pl.col(col).is_in(allowed)
        derive = pl.when(pl.col(col).is_null()).then(None if nullable else False).otherwise(cond)
        return Check(
            id=f"{col}_kanonik",
            severity=severity,
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=derive,
            message=_msg(
                f"{col}_kanonik", f"{col} ({{}}) bukan kode baku ({', '.join(allowed)})", col
            ),
            why=why,
            alasan=f"{col} harus salah satu kode baku taksonomi",
            kolom=(col,),
        )

    alle = list(tax["kategori"])
    region_ok = pl.col("kode_wilayah").is_in(_region_codes().implode())
    tps_ok = pl.col("kode_tps").str.contains(r"^\d{13}$") & pl.col("kode_tps").str.slice(
        0, 10
    ).is_in(_desa_codes().implode())
    checks = [
        _required("wajib_terisi", ("id_insiden", "waktu_laporan")),
        in_set(
            "kategori",
            "reject",
            "Normalisation maps every category (unmapped text becomes 'lainnya'), so a value "
            "outside the codes means the row was never normalised; the packs count incidents by "
            "category: reject so the pipeline error is seen.",
        ),
        in_set(
            "tingkat_keparahan",
            "reject",
            "Severity routes escalation (kritis = now); normalisation always yields a code "
            "('lainnya' when unknown), so anything else is an unnormalised row: reject.",
        ),
        in_set("tahapan", "warn", "The stage only places the incident in the calendar: warn."),
        in_set(
            "status_verifikasi",
            "warn",
            "Verification weighs the incident; unknown is treated as unverified: warn.",
        ),
        in_set("status_penanganan", "warn", "Handling status feeds the follow-up list: warn."),
        in_set(
            "instansi",
            "warn",
            "The agency may be empty (the playbook proposes one): warn on unknown values only.",
            nullable=True,
        ),
        Check(
            id="kategori_lain_kanonik",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=pl.col("kategori_lain")
            .list.eval(~pl.element().is_in(alle))
            .list.sum()
            .cast(pl.Int64),
            message=_msg(
                "kategori_lain_kanonik",
                "kategori_lain ({}) memuat label bukan kode baku",
                pl.col("kategori_lain").list.join(", "),
            ),
            why="Secondary categories are informative only: warn.",
            alasan="Kategori tambahan harus kode baku taksonomi",
            kolom=("kategori_lain",),
        ),
        Check(
            id="label_dikenal",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=pl.col("label_tidak_dikenal").list.len().cast(pl.Int64),
            message=_msg(
                "label_dikenal",
                "label tidak dikenal pada {} (teks asli: tahapan '{}', kategori '{}', keparahan '{}') → memakai kode cadangan",
                pl.col("label_tidak_dikenal").list.join(", "),
                "tahapan_asli",
                "kategori_asli",
                "tingkat_keparahan_asli",
            ),
            why="A label that maps to nothing becomes the fallback code and is counted, never "
            "dropped (issue 3 item 4): warn so the desk can correct the label.",
            alasan="Label insiden yang tidak dikenal dipetakan ke kode cadangan (mis. lainnya)",
            kolom=("label_tidak_dikenal",),
        ),
        Check(
            id="lokasi_ada",
            severity="warn",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.col("kode_wilayah").is_not_null() | pl.col("kode_tps").is_not_null(),
            message=_msg(
                "lokasi_ada", "kode_wilayah dan kode_tps kosong (lokasi teks: {})", "lokasi"
            ),
            why="Real reports often lack a location (DOMAIN §6); the incident still counts at the "
            "desk's level: warn only.",
            alasan="Lokasi (kode wilayah atau kode TPS) sebaiknya diisi",
            kolom=("kode_wilayah", "kode_tps"),
        ),
        Check(
            id="wilayah_dikenal",
            severity="warn",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_wilayah").is_null()).then(None).otherwise(region_ok),
            message=_msg(
                "wilayah_dikenal",
                "kode_wilayah ({}) tidak ada di pohon wilayah Kemendagri",
                "kode_wilayah",
            ),
            why="An unknown region code loses the location, not the incident: warn.",
            alasan="kode_wilayah insiden harus ada di pohon wilayah",
            kolom=("kode_wilayah",),
        ),
        Check(
            id="kode_tps_dikenal",
            severity="warn",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_tps").is_null()).then(None).otherwise(tps_ok),
            message=_msg(
                "kode_tps_dikenal",
                "kode_tps ({}) bukan kode TPS dengan desa yang dikenal",
                "kode_tps",
            ),
            why="An unknown TPS code loses the location, not the incident: warn.",
            alasan="kode_tps insiden harus 13 digit dengan desa yang dikenal",
            kolom=("kode_tps",),
        ),
        Check(
            id="urutan_waktu",
            severity="warn",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("waktu_kejadian").is_null() | pl.col("waktu_laporan").is_null())
            .then(None)
            .otherwise(
                (pl.col("waktu_kejadian") <= pl.col("waktu_laporan"))
                & (
                    pl.col("waktu_penanganan").is_null()
                    | (pl.col("waktu_penanganan") >= pl.col("waktu_kejadian"))
                )
            ),
            message=_msg(
                "urutan_waktu",
                "urutan waktu janggal: kejadian {}, laporan {}, penanganan {}",
                _wib("waktu_kejadian"),
                _wib("waktu_laporan"),
                _wib("waktu_penanganan"),
            ),
            why="An incident is reported and handled after it happens; a reversed order is a "
            "typo in a date, the report still counts: warn.",
            alasan="Waktu kejadian ≤ waktu laporan, dan penanganan tidak sebelum kejadian",
            kolom=("waktu_kejadian", "waktu_laporan", "waktu_penanganan"),
        ),
        _unique("kunci_unik", ("id_insiden",)),
    ]
    return checks


# --- readiness ------------------------------------------------------------------------------------


def _readiness_checks(s: Settings) -> list[Check]:
    """Checks of one row per kab/kota × day × indicator."""
    tol = s.election.tolerances.readiness_share
    share = pl.col("pembilang") / pl.col("penyebut")
    return [
        _required("wajib_terisi", ("kode_wilayah", "tanggal", "indikator", "nilai")),
        Check(
            id="wilayah_dikenal",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_wilayah").is_null())
            .then(None)
            .otherwise(pl.col("kode_wilayah").is_in(_region_codes().implode())),
            message=_msg(
                "wilayah_dikenal",
                "kode_wilayah ({}) tidak ada di pohon wilayah Kemendagri",
                "kode_wilayah",
            ),
            why="A readiness figure for an unknown unit cannot be shown anywhere: reject.",
            alasan="kode_wilayah harus ada di pohon wilayah Kemendagri",
            kolom=("kode_wilayah",),
        ),
        Check(
            id="indikator_dikenal",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": list(READINESS_INDICATORS)},
            column="indikator",
            message=_msg(
                "indikator_dikenal",
                f"indikator ({{}}) bukan salah satu dari {', '.join(READINESS_INDICATORS)}",
                "indikator",
            ),
            why="Only the three indicators with targets in settings (readiness_targets) can be compared: reject others.",
            alasan="Indikator harus salah satu indikator kesiapan yang dikenal",
            kolom=("indikator",),
        ),
        Check(
            id="nilai_rentang",
            severity="reject",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 1},
            column="nilai",
            message=_msg("nilai_rentang", "nilai ({}) di luar 0…1 (pangsa, bukan persen)", "nilai"),
            why="The value is a share 0..1; anything else is a unit error (e.g. 98 instead of 0.98) "
            "that would distort the readiness gap: reject.",
            alasan="Nilai kesiapan harus pangsa 0…1",
            kolom=("nilai",),
        ),
        Check(
            id="pecahan_konsisten",
            severity="warn",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("pembilang").is_null() | pl.col("penyebut").is_null())
            .then(None)
            .otherwise(
                (pl.col("penyebut") > 0)
                & (pl.col("pembilang") >= 0)
                & (pl.col("pembilang") <= pl.col("penyebut"))
                & ((share - pl.col("nilai")).abs() <= tol).fill_null(True)
            ),
            message=_msg(
                "pecahan_konsisten",
                f"pembilang ({{}}) / penyebut ({{}}) tidak cocok dengan nilai ({{}}) (toleransi {tol:g})",
                "pembilang",
                "penyebut",
                "nilai",
            ),
            why=f"nilai should equal pembilang/penyebut within tolerances.readiness_share={tol:g} "
            "(rounding of a published percentage); the share itself is used, so warn.",
            alasan="Pembilang/penyebut harus konsisten dengan nilai",
            kolom=("pembilang", "penyebut", "nilai"),
        ),
        _unique("kunci_unik", ("kode_wilayah", "tanggal", "indikator")),
    ]


# --- ref_tps --------------------------------------------------------------------------------------


def _ref_tps_checks(s: Settings) -> list[Check]:
    """Checks of the TPS list (one row per TPS)."""
    e = s.election
    tps_limit = _with_reserve_int(e.max_voters_per_tps, e.reserve_share)
    return [
        _required("wajib_terisi", ("kode_tps", "kode_desa", "pemilih_dpt")),
        Check(
            id="kode_tps_format",
            severity="reject",
            expectation="regex",
            kwargs={"regex": r"^\d{13}$"},
            column="kode_tps",
            message=_msg("kode_tps_format", "kode_tps ({}) bukan 13 digit angka", "kode_tps"),
            why="KPU's TPS code is 13 digits; other values cannot be joined to reports: reject.",
            alasan="kode_tps harus 13 digit",
            kolom=("kode_tps",),
        ),
        Check(
            id="desa_dikenal",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_desa").is_null())
            .then(None)
            .otherwise(
                pl.col("kode_desa")
                .str.replace_all(".", "", literal=True)
                .is_in(_desa_codes().implode())
                & pl.col("kode_desa").str.contains(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
            ),
            message=_msg(
                "desa_dikenal", "kode_desa ({}) bukan desa di pohon wilayah Kemendagri", "kode_desa"
            ),
            why="A TPS must sit in a known desa, or it cannot be aggregated: reject.",
            alasan="kode_desa harus desa di pohon wilayah Kemendagri",
            kolom=("kode_desa",),
        ),
        Check(
            id="kode_tps_sesuai_desa",
            severity="reject",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(pl.col("kode_tps").is_null() | pl.col("kode_desa").is_null())
            .then(None)
            .otherwise(
                pl.col("kode_tps").str.slice(0, 10)
                == pl.col("kode_desa").str.replace_all(".", "", literal=True)
            ),
            message=_msg(
                "kode_tps_sesuai_desa",
                "kode_tps ({}) tidak diawali kode desa ({})",
                "kode_tps",
                "kode_desa",
            ),
            why="The TPS code embeds its desa code; a mismatch means one of them is wrong: reject.",
            alasan="kode_tps harus diawali kode desanya",
            kolom=("kode_tps", "kode_desa"),
        ),
        Check(
            id="dpt_wajar",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tps_limit},
            column="pemilih_dpt",
            message=_msg("dpt_wajar", f"pemilih_dpt ({{}}) di luar 0…{tps_limit}", "pemilih_dpt"),
            why=f"DOMAIN §4 identity 9: a TPS over {e.max_voters_per_tps} + reserve voters is "
            "implausible; the list is KPU's, so warn.",
            alasan=f"DPT satu TPS wajar 0…{tps_limit}",
            kolom=("pemilih_dpt",),
        ),
        Check(
            id="identitas_5_lp_pemilih_dpt",
            severity="warn",
            expectation="between",
            kwargs={"min_value": 0, "max_value": e.tolerances.split_sum},
            derive=_absdiff(
                pl.col("pemilih_dpt"), pl.col("pemilih_dpt_l") + pl.col("pemilih_dpt_p")
            ),
            message=_msg(
                "identitas_5_lp_pemilih_dpt",
                "pemilih_dpt_l ({}) + pemilih_dpt_p ({}) ≠ pemilih_dpt ({})",
                "pemilih_dpt_l",
                "pemilih_dpt_p",
                "pemilih_dpt",
            ),
            why="DOMAIN §4 identity 5 on the DPT split; the total still stands: warn.",
            alasan="DPT laki-laki + perempuan harus sama dengan jumlah DPT",
            kolom=("pemilih_dpt", "pemilih_dpt_l", "pemilih_dpt_p"),
        ),
        _unique("kunci_unik", ("kode_tps",)),
    ]


_BUILDERS: dict[str, Callable[[Settings], list[Check]]] = {
    "tally_tps": lambda s: _chasil_checks("tally_tps", s),
    "official_tps": lambda s: _chasil_checks("official_tps", s),
    "official_region": _region_checks,
    "incidents": _incident_checks,
    "readiness": _readiness_checks,
    "ref_tps": _ref_tps_checks,
}


def checks_for(dataset: str, settings: Settings | None = None) -> list[Check]:
    """The checks of one dataset, in suite order."""
    if dataset not in _BUILDERS:
        raise ValidationInputError(
            f"no suite for dataset {dataset!r}; known: {', '.join(DATASETS)}"
        )
    return _BUILDERS[dataset](settings or default_settings())


_GX_TYPES = {
    "between": "expect_column_values_to_be_between",
    "in_set": "expect_column_values_to_be_in_set",
    "regex": "expect_column_values_to_match_regex",
}


def _expectation_dict(c: Check) -> dict[str, Any]:
    return {
        "type": _GX_TYPES[c.expectation],
        "kwargs": {"column": c.gx_column, **c.kwargs},
        "severity": GX_SEVERITY[c.severity],
        "meta": {
            "check": c.id,
            "severity": c.severity,
            "why": c.why,
            "alasan": c.alasan,
            "kolom": list(c.kolom),
        },
    }


def suite_definitions(settings: Settings | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every suite as plain expectation configurations: dataset -> [{type, kwargs, severity, meta}]."""
    s = settings or default_settings()
    return {d: [_expectation_dict(c) for c in checks_for(d, s)] for d in DATASETS}


def describe_checks(settings: Settings | None = None) -> pl.DataFrame:
    """One row per dataset × check: what each check means (for the packs' "about the data" page)."""
    s = settings or default_settings()
    rows = [
        {
            "dataset": d,
            "pemeriksaan": c.id,
            "tingkat": TINGKAT[c.severity],
            "alasan": c.alasan,
            "why": c.why,
            "kolom": ", ".join(c.kolom),
            "ekspektasi": _GX_TYPES[c.expectation],
        }
        for d in DATASETS
        for c in checks_for(d, s)
    ]
    return pl.DataFrame(rows)


# --- Great Expectations context -------------------------------------------------------------------


def _fingerprint(defs: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps(defs, sort_keys=True, default=str).encode()).hexdigest()[:16]


_CONTEXTS: dict[str, Any] = {}
_SYNCED: dict[tuple[str, str], tuple[str, Any]] = {}


def _gx_context(root: Path) -> Any:
    """The file context under ``root``, created on first use (idempotent)."""
    key = str(root)
    if key in _CONTEXTS:
        return _CONTEXTS[key]
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", context_root_dir=str(root))
    if not _context_configured(ctx):
        # No progress bars in a batch job, no analytics calls home, no Data Docs site (they load
        # assets from a CDN and do not escape values: never built for leadership), and validation
        # results kept in memory only: the outcome is returned to the caller, nothing piles up
        # under uncommitted/ and concurrent runs cannot trip over each other's result files.
        from great_expectations.data_context.types.base import ProgressBarsConfig

        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        ctx.variables.analytics_enabled = False
        ctx.variables.data_docs_sites = {}
        stores = dict(ctx.variables.stores or {})
        stores["validation_results_store"] = {
            "class_name": "ValidationResultsStore",
            "store_backend": {"class_name": "InMemoryStoreBackend"},
        }
        ctx.variables.stores = stores
        ctx.variables.save()
        ctx = gx.get_context(mode="file", context_root_dir=str(root))
    prune(root)
    _CONTEXTS[key] = ctx
    return ctx


def _context_configured(ctx: Any) -> bool:
    """Whether the context already has the settings :func:`_gx_context` gives it."""
    v = ctx.variables
    pb = v.progress_bars  # a ProgressBarsConfig, or a dict once read back from the yml
    globally = pb.get("globally") if isinstance(pb, dict) else getattr(pb, "globally", None)
    backend = ((v.stores or {}).get("validation_results_store") or {}).get("store_backend") or {}
    return (
        v.analytics_enabled is False
        and globally is False
        and not v.data_docs_sites
        and backend.get("class_name") == "InMemoryStoreBackend"
    )


def _checkpoint(root: Path, dataset: str, defs: list[dict[str, Any]]) -> Any:
    """The dataset's checkpoint, its suite in sync with ``defs`` (rewritten only on change)."""
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    fp = _fingerprint(defs)
    cached = _SYNCED.get((str(root), dataset))
    if cached and cached[0] == fp:
        return cached[1]
    ctx = _gx_context(root)
    try:
        ds = ctx.data_sources.get("analysis")
    except (KeyError, ValueError, LookupError):
        ds = ctx.data_sources.add_pandas("analysis")
    try:
        asset = ds.get_asset(dataset)
    except LookupError:
        asset = ds.add_dataframe_asset(dataset)
    try:
        bd = asset.get_batch_definition("batch")
    except (KeyError, LookupError):
        bd = asset.add_batch_definition_whole_dataframe("batch")

    suite = None
    try:
        suite = ctx.suites.get(dataset)
    except Exception:  # GX raises DataContextError or others when absent
        suite = None
    changed = suite is None or suite.meta.get("fingerprint") != fp
    if changed:
        if suite is not None:
            ctx.suites.delete(dataset)
        suite = gx.ExpectationSuite(
            name=dataset,
            meta={
                "fingerprint": fp,
                "about": f"Suite of {dataset}, generated by analysis.validate from settings; "
                "do not edit by hand (edit the checks or settings.yaml instead).",
            },
        )
        for d in defs:
            suite.add_expectation_configuration(ExpectationConfiguration(**d))
        suite = ctx.suites.add(suite)
    vd = None
    if not changed:
        try:
            vd = ctx.validation_definitions.get(dataset)
        except Exception:
            vd = None
    if vd is None:
        vd = ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=dataset, data=bd, suite=suite)
        )
    cp = None
    if not changed:
        try:
            cp = ctx.checkpoints.get(dataset)
        except Exception:
            cp = None
    if cp is None:
        cp = ctx.checkpoints.add_or_update(
            gx.Checkpoint(
                name=dataset,
                validation_definitions=[vd],
                actions=[],
                result_format={
                    "result_format": "COMPLETE",
                    "unexpected_index_column_names": ["_row_id"],
                },
            )
        )
    _SYNCED[(str(root), dataset)] = (fp, cp)
    return cp


def sync_suites(settings: Settings | None = None) -> Path:
    """Write every suite, validation definition and checkpoint to the file context; its root."""
    s = settings or default_settings()
    root = s.paths.resolved().expectations
    for d, defs in suite_definitions(s).items():
        _checkpoint(root, d, defs)
    prune(root)
    return root


def prune(root: Path) -> None:
    """Remove validation results or Data Docs left under uncommitted/ (e.g. by a manual GX run)."""
    shutil.rmtree(root / "uncommitted" / "validations", ignore_errors=True)
    shutil.rmtree(root / "uncommitted" / "data_docs", ignore_errors=True)


# --- validation -----------------------------------------------------------------------------------


def _prepare(dataset: str, df: pl.DataFrame, ref_tps: pl.DataFrame | None = None) -> pl.DataFrame:
    if "_row_id" not in df.columns:
        raise ValidationInputError(f"{dataset}: the frame has no _row_id column (ingest adds one)")
    if df["_row_id"].null_count() or df["_row_id"].n_unique() != df.height:
        raise ValidationInputError(f"{dataset}: _row_id must be unique and non-null in a batch")
    if dataset in ("tally_tps", "official_tps"):
        missing = [c for c in CHASIL_EXTRA if c not in df.columns]
        if missing:
            raise ValidationInputError(
                f"{dataset}: missing column(s) {missing} that ingest computes from the votes "
                "(Σ paslon votes, count of votes for paslon not in the contest)"
            )
    ds = BY_NAME[dataset]
    try:
        out = ds.conform(df).with_columns(pl.col("_row_id").cast(pl.Int64))
    except pl.exceptions.PolarsError as exc:
        raise ValidationInputError(
            f"{dataset}: cannot conform the frame to the schema: {exc}"
        ) from None
    if dataset in ("tally_tps", "official_tps"):
        registered = pl.lit(None, dtype=pl.Boolean)
        if ref_tps is not None:
            if "kode_tps" not in ref_tps.columns:
                raise ValidationInputError("ref_tps: the TPS list has no kode_tps column")
            registered = pl.col("kode_tps").is_in(ref_tps["kode_tps"].cast(pl.String).implode())
        out = out.with_columns(
            *(
                pl.col(c).cast(pl.Int64, strict=False)
                if c in out.columns
                else pl.lit(None, dtype=pl.Int64).alias(c)
                for c in CHASIL_OPTIONAL
            ),
            pl.col("jumlah_suara_paslon").cast(pl.Int64, strict=False),
            pl.col("paslon_asing").cast(pl.Int64, strict=False),
            pl.when(pl.col("kode_tps").str.contains(r"^\d{13}$"))
            .then(registered)
            .otherwise(None)
            .alias("_tps_terdaftar"),
        )
    if dataset == "official_region":
        out = out.with_columns(
            pl.col("suara")
            .sum()
            .over("kode_wilayah", "kode_kontestasi")
            .alias("_jumlah_suara_wilayah")
        )
    if dataset == "incidents" and "label_tidak_dikenal" not in out.columns:
        out = out.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("label_tidak_dikenal"))
    if dataset == "incidents" and "lokasi" not in out.columns:
        out = out.with_columns(pl.lit(None, dtype=pl.String).alias("lokasi"))
    return out


def _kabkota(dataset: str) -> pl.Expr:
    if dataset in ("tally_tps", "official_tps", "ref_tps"):
        return _tps_kabkota()
    if dataset == "incidents":
        return pl.coalesce(_region_kabkota(), _tps_kabkota())
    return _region_kabkota()


_FLAGS_SCHEMA = {
    "_row_id": pl.Int64,
    "ditolak": pl.Boolean,
    "alasan_tolak": pl.List(pl.String),
    "peringatan": pl.List(pl.String),
}
_SUMMARY_SCHEMA = {
    "dataset": pl.String,
    "pemeriksaan": pl.String,
    "tingkat": pl.String,
    "kode_kabkota": pl.String,
    "alasan": pl.String,
    "n_gagal": pl.Int64,
    "n_diperiksa": pl.Int64,
}


def _run_gx(
    root: Path, dataset: str, checks: list[Check], work: pl.DataFrame
) -> dict[str, list[int]]:
    """Run the dataset's checkpoint on ``work``; failing _row_id per check id."""
    cp = _checkpoint(root, dataset, [_expectation_dict(c) for c in checks])
    gx_cols = list(dict.fromkeys(c.gx_column for c in checks))
    # Rows holding the same values in every column the suite reads get the same verdict from
    # every expectation, so the batch handed to GX holds each distinct combination once (its
    # first _row_id stands for all); the verdicts are spread back to every row below. A C.Hasil
    # batch carries several versions per TPS, so this halves what GX (which copies the whole
    # frame a few times per expectation) has to go through.
    data = work.select("_row_id", *gx_cols)
    distinct = data.group_by(gx_cols).agg(pl.col("_row_id").min())
    shrunk = distinct.height < 0.8 * data.height
    batch = distinct.select("_row_id", *gx_cols) if shrunk else data
    pdf = batch.to_pandas()
    try:
        result = cp.run(batch_parameters={"dataframe": pdf})
    except Exception as exc:  # GX wraps data problems in many exception types
        raise ValidationInputError(
            f"{dataset}: Great Expectations could not run the suite: {type(exc).__name__}: {exc}"
        ) from exc
    finally:
        store = _gx_context(root).validation_results_store
        for k in store.list_keys():  # results live in memory: drop them once read
            store.remove_key(k)
    failed: dict[str, list[int]] = {}
    for vr in result.run_results.values():
        for er in vr.results:
            meta = er.expectation_config.meta or {}
            cid = meta.get("check", "?")
            info = er.exception_info or {}
            if info.get("raised_exception"):
                raise ValidationInputError(
                    f"{dataset}: expectation {er.expectation_config.type} on column "
                    f"{er.expectation_config.kwargs.get('column')!r} (check {cid}) could not run: "
                    f"{info.get('exception_message')}"
                )
            idx = (er.result or {}).get("unexpected_index_list") or []
            failed[cid] = [int(r["_row_id"]) for r in idx]
    if shrunk and any(failed.values()):
        rep = data.join(
            distinct.rename({"_row_id": "_rep"}), on=gx_cols, how="left", nulls_equal=True
        ).select("_row_id", "_rep")
        for cid, ids in failed.items():
            if ids:
                failed[cid] = rep.filter(pl.col("_rep").is_in(ids))["_row_id"].to_list()
    return failed


def validate(
    dataset: str,
    df: pl.DataFrame,
    settings: Settings | None = None,
    *,
    ref_tps: pl.DataFrame | None = None,
) -> ValidationOutcome:
    """Validate one batch of a dataset with its GX suite.

    Args:
        dataset: one of :data:`DATASETS`.
        df: the canonical frame (schemas.py) with a unique int ``_row_id``; tally_tps and
            official_tps also carry ``jumlah_suara_paslon`` and ``paslon_asing``.
        settings: thresholds and the path of the GX context (default: the repository's).
        ref_tps: the TPS list (needs ``kode_tps``); when given, tally_tps / official_tps rows are
            checked against it (``kode_tps_terdaftar``), otherwise that check is skipped.

    Returns:
        flags (one row per input row) and summary (one row per check × kab/kota).
    """
    t0 = time.perf_counter()
    s = settings or default_settings()
    checks = checks_for(dataset, s)
    base = _prepare(dataset, df, ref_tps)
    derived = [c.derive.alias(c.gx_column) for c in checks if c.derive is not None]
    work = base.with_columns(*derived, _kabkota(dataset).alias("_kabkota"))
    if work.height:
        failed = _run_gx(s.paths.resolved().expectations, dataset, checks, work)
    else:
        failed = {c.id: [] for c in checks}

    fail_frames = []
    for c in checks:
        ids = failed.get(c.id, [])
        if not ids:
            continue
        fail_frames.append(
            work.filter(pl.col("_row_id").is_in(ids)).select(
                "_row_id",
                "_kabkota",
                pl.lit(c.id).alias("pemeriksaan"),
                pl.lit(c.severity).alias("severity"),
                c.message.alias("pesan"),
            )
        )
    fails = (
        pl.concat(fail_frames)
        if fail_frames
        else pl.DataFrame(
            schema={
                "_row_id": pl.Int64,
                "_kabkota": pl.String,
                "pemeriksaan": pl.String,
                "severity": pl.String,
                "pesan": pl.String,
            }
        )
    )
    per_row = fails.group_by("_row_id").agg(
        pl.col("pesan").filter(pl.col("severity") == "reject").alias("alasan_tolak"),
        pl.col("pesan").filter(pl.col("severity") == "warn").alias("peringatan"),
    )
    empty = pl.lit([], dtype=pl.List(pl.String))
    flags = (
        work.select("_row_id")
        .join(per_row, on="_row_id", how="left", maintain_order="left")
        .with_columns(
            pl.col("alasan_tolak").fill_null(empty),
            pl.col("peringatan").fill_null(empty),
        )
        .with_columns((pl.col("alasan_tolak").list.len() > 0).alias("ditolak"))
        .select(list(_FLAGS_SCHEMA))
        .cast(_FLAGS_SCHEMA)
    )
    summary = _summary(dataset, checks, work, fails)
    return ValidationOutcome(dataset, flags, summary, time.perf_counter() - t0)


def _summary(
    dataset: str, checks: list[Check], work: pl.DataFrame, fails: pl.DataFrame
) -> pl.DataFrame:
    """One row per check × kab/kota: rows checked (check column not null) and rows failed."""
    if work.height == 0:
        return pl.DataFrame(schema=_SUMMARY_SCHEMA)
    checked = (
        work.group_by("_kabkota")
        .agg(pl.col(c.gx_column).is_not_null().sum().alias(c.id) for c in checks)
        .unpivot(index="_kabkota", variable_name="pemeriksaan", value_name="n_diperiksa")
    )
    n_fail = fails.group_by("_kabkota", "pemeriksaan").agg(pl.len().alias("n_gagal"))
    meta = pl.DataFrame(
        {
            "pemeriksaan": [c.id for c in checks],
            "tingkat": [TINGKAT[c.severity] for c in checks],
            "alasan": [c.alasan for c in checks],
            "_urut": list(range(len(checks))),
        }
    )
    return (
        checked.join(n_fail, on=["_kabkota", "pemeriksaan"], how="left", nulls_equal=True)
        .join(meta, on="pemeriksaan")
        .with_columns(pl.lit(dataset).alias("dataset"), pl.col("n_gagal").fill_null(0))
        .rename({"_kabkota": "kode_kabkota"})
        .sort("_urut", "kode_kabkota", nulls_last=True)
        .select(list(_SUMMARY_SCHEMA))
        .cast(_SUMMARY_SCHEMA)
    )
