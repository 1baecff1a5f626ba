"""Per contest: who leads in each source, by how much, and whether the order could still change.

``bisa_mengubah_hasil`` (``docs/domain.md`` §7) is true when the unresolved discrepancy on the
internal top two is at least the internal margin, when the DPT of expected TPS the desk has no
report for (an upper bound of the votes still to come) is at least the margin, when like for like
the two sources have different leaders, or when there is no internal count yet. The reasons are a
table (:data:`BISA_BERUBAH`), said in Bahasa Indonesia in ``alasan``.
"""

from __future__ import annotations

import polars as pl

from analysis import fmt
from analysis.domain.regions import NATIONAL, contest_region
from analysis.schemas import RECON_KONTESTASI

_NO_COUNT = ~pl.col("_ada_internal").fill_null(False)
_MARGIN = pl.col("margin_internal")

#: Why a contest's order could still change: every row whose condition holds is said, joined with
#: "; ". Figures in braces are written in Indonesian format (:data:`FIGURES`).
BISA_BERUBAH: tuple[tuple[pl.Expr, str], ...] = (
    (_NO_COUNT, "belum ada hitung internal untuk kontestasi ini"),
    (
        ~_NO_COUNT & (pl.col("ayunan_selisih") >= _MARGIN),
        "selisih yang belum terselesaikan pada dua paslon teratas ({ayunan_selisih} suara) "
        "tidak kurang dari margin ({margin_internal} suara)",
    ),
    (
        ~_NO_COUNT & (pl.col("dpt_belum_internal") >= _MARGIN),
        "TPS yang belum masuk hitung internal ({tps_belum} TPS, DPT {dpt_belum_internal}) "
        "dapat melampaui margin ({margin_internal} suara)",
    ),
    (
        ~pl.col("urutan_sama"),  # null: nothing to compare like for like yet
        "pada TPS yang sama, paslon teratas berbeda antara hitung internal dan KPU",
    ),
)
#: What ``alasan`` says when none of :data:`BISA_BERUBAH` holds.
AMAN = (
    "margin ({margin_internal} suara) lebih besar dari selisih yang belum terselesaikan "
    "({ayunan_selisih} suara) dan dari DPT TPS yang belum masuk ({dpt_belum_internal})"
)
#: Figure in a reason → the column it is read from.
FIGURES: dict[str, str] = {
    "ayunan_selisih": "ayunan_selisih",
    "margin_internal": "margin_internal",
    "dpt_belum_internal": "dpt_belum_internal",
    "tps_belum": "_tps_belum",
}

#: Columns of the national rekon__wilayah_kontestasi row each contest carries.
NATIONAL_STATUS = [
    "kode_kontestasi",
    "tps_diharapkan",
    "dpt_diharapkan",
    "tps_internal",
    "tps_kpu",
    "tps_keduanya",
    "cakupan_internal",
    "cakupan_kpu",
    "n_tidak_cocok",
    "n_kpu_direvisi",
    "selisih_abs",
    "dpt_belum_internal",
]


def top_two(nat: pl.DataFrame, col: str, suffix: str) -> pl.DataFrame:
    """Leader, runner-up and margin per contest on ``col`` (ties broken by nomor urut).

    ``_ada_<suffix>``: the column has any votes at all (no votes: no leader).
    """
    ranked = nat.sort(
        ["kode_kontestasi", col, "nomor_urut"], descending=[False, True, False]
    ).with_columns(pl.col("nomor_urut").cum_count().over("kode_kontestasi").alias("_rank"))
    first, second = pl.col("_rank") == 1, pl.col("_rank") == 2
    return ranked.group_by("kode_kontestasi").agg(
        pl.col("nomor_urut").filter(first).first().alias(f"unggul_{suffix}"),
        pl.col("nomor_urut").filter(second).first().alias(f"kedua_{suffix}"),
        (pl.col(col).filter(first).first() - pl.col(col).filter(second).first().fill_null(0)).alias(
            f"margin_{suffix}"
        ),
        (pl.col(col).sum() > 0).alias(f"_ada_{suffix}"),
    )


def _swing(nat: pl.DataFrame, top_i: pl.DataFrame) -> pl.DataFrame:
    """Σ |discrepancy| on the internal top two: the most it can move the internal margin."""
    top = (pl.col("nomor_urut") == pl.col("unggul_internal")) | (
        pl.col("nomor_urut") == pl.col("kedua_internal")
    )
    return (
        nat.join(
            top_i.select("kode_kontestasi", "unggul_internal", "kedua_internal"),
            on="kode_kontestasi",
        )
        .filter(top)
        .group_by("kode_kontestasi")
        .agg(pl.col("selisih_abs").sum().alias("ayunan_selisih"))
    )


def _leaders(wilayah: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """Per contest: national coverage and counts, leaders and margins of both sources, swing."""
    nat = wilayah.filter(pl.col("kode_wilayah") == NATIONAL)
    top_i = top_two(nat, "suara_internal", "internal")
    tops = [
        top_i,
        top_two(nat, "suara_kpu", "kpu"),
        top_two(nat, "suara_internal_banding", "ib").select(
            "kode_kontestasi", "unggul_ib", "_ada_ib"
        ),
        top_two(nat, "suara_kpu_banding", "kb").select("kode_kontestasi", "unggul_kb"),
        _swing(nat, top_i),
    ]
    k = status.filter(pl.col("kode_wilayah") == NATIONAL).select(NATIONAL_STATUS)
    for t in tops:
        k = k.join(t, on="kode_kontestasi", how="left")
    return k.with_columns(
        # no votes from a source yet: no leader and no margin from it
        *[
            pl.when(pl.col(f"_ada_{side}").fill_null(False)).then(pl.col(f"{c}_{side}"))
            for side in ("internal", "kpu")
            for c in ("unggul", "kedua", "margin")
        ],
        pl.col("kode_kontestasi")
        .map_elements(contest_region, return_dtype=pl.String)
        .alias("kode_wilayah"),
        pl.col("ayunan_selisih").fill_null(0),
        (1 - pl.col("cakupan_internal")).alias("porsi_belum_internal"),
        (1 - pl.col("cakupan_kpu")).alias("porsi_belum_kpu"),
        pl.when(pl.col("_ada_ib").fill_null(False))
        .then(pl.col("unggul_ib") == pl.col("unggul_kb"))
        .alias("urutan_sama"),
        (pl.col("tps_diharapkan") - pl.col("tps_internal")).alias("_tps_belum"),
    )


def _alasan(k: pl.DataFrame) -> list[str]:
    """``alasan`` of each row of ``k`` (which carries ``_alasan_<i>`` per reason of the table)."""
    out = []
    for row in k.iter_rows(named=True):
        figures = {name: fmt.angka(row[col]) for name, col in FIGURES.items()}
        said = [text for i, (_, text) in enumerate(BISA_BERUBAH) if row[f"_alasan_{i}"]]
        out.append("; ".join(said).format(**figures) if said else AMAN.format(**figures))
    return out


def outcome(wilayah: pl.DataFrame, status: pl.DataFrame) -> pl.DataFrame:
    """rekon__kontestasi: one row per contest — margins, discrepancy and whether it could overturn
    the order (:data:`BISA_BERUBAH`)."""
    k = _leaders(wilayah, status).with_columns(
        cond.fill_null(False).alias(f"_alasan_{i}") for i, (cond, _) in enumerate(BISA_BERUBAH)
    )
    k = k.with_columns(
        pl.any_horizontal(f"_alasan_{i}" for i in range(len(BISA_BERUBAH))).alias(
            "bisa_mengubah_hasil"
        ),
        pl.Series("alasan", _alasan(k), dtype=pl.String),
    )
    return RECON_KONTESTASI.check_key(
        RECON_KONTESTASI.conform(k).select(list(RECON_KONTESTASI.columns)).sort("kode_kontestasi")
    )
