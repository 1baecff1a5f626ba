"""Recommendations and follow-up (*Rekomendasi dan tindak lanjut*), carried from day to day.

Open problems come from two places: incidents not yet selesai and not dibantah, and data or
monitoring problems (a KPU record breaking an identity, an internal-vs-KPU discrepancy, a TPS hit
by a screen, readiness below target, ...). ``config/playbook.yaml`` gives each an action, an owner
agency and a due-time rule. The list is state: ``tindak_lanjut.parquet`` in the processed folder
(one row per problem ever seen), merged each run with what is open now. An item stays open until
its incident is selesai/dibantah or the problem no longer appears; it then closes with the time
and the reason, and is kept for the record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

from analysis.domain.regions import tps_desa_expr as tps_to_desa
from analysis.incidents import NATIONAL, in_unit, prepare, with_names
from analysis.settings import REPO_ROOT

PLAYBOOK_FILE = REPO_ROOT / "config" / "playbook.yaml"
STATE_NAME = "tindak_lanjut"
AGENCIES = ("KPU", "Bawaslu", "Polres", "Dukcapil", "Pemda")

#: One row per problem open now: the input of ``update_followup`` besides incidents.
PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "jenis_masalah": pl.String(),  # a key of the playbook's `data` section
    "kode_objek": pl.String(),  # what the problem is about, e.g. "<kode_tps>/<kode_kontestasi>"
    "kode_wilayah": pl.String(),  # dotted code of its location
    "uraian": pl.String(),  # one Indonesian sentence
}

#: The follow-up state, one row per problem ever seen (dataset ``tindak_lanjut``).
STATE_SCHEMA: dict[str, pl.DataType] = {
    "id_masalah": pl.String(),  # "insiden:<id_insiden>" or "<jenis_masalah>:<kode_objek>"
    "sumber": pl.String(),  # insiden | data
    "jenis_masalah": pl.String(),  # kategori of an incident, or the data problem's kind
    "jenis_label": pl.String(),
    "kode_wilayah": pl.String(),
    "tingkat_keparahan": pl.String(),
    "uraian": pl.String(),
    "tindakan": pl.String(),
    "instansi": pl.String(),
    "status_penanganan": pl.String(),  # of the incident (null for data problems)
    "pertama_terlihat": pl.Datetime("us", "UTC"),
    "terakhir_terlihat": pl.Datetime("us", "UTC"),
    "jatuh_tempo": pl.Datetime("us", "UTC"),
    "tenggat": pl.String(),  # the due rule in words ("hari ini")
    "status": pl.String(),  # terbuka | selesai
    "ditutup_pada": pl.Datetime("us", "UTC"),
    "alasan_tutup": pl.String(),
}


@dataclass(frozen=True)
class Playbook:
    due: dict[str, dict]
    incident_rules: list[dict]
    data: dict[str, dict]


def load_playbook(path: Path | str | None = None) -> Playbook:
    """Read ``config/playbook.yaml``; a bad file is reported with what is wrong."""
    source = Path(path) if path else PLAYBOOK_FILE
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{source}: cannot read the playbook ({exc})") from None
    for section in ("due", "incidents", "data"):
        if section not in raw:
            raise ValueError(f"{source}: section {section!r} missing")
    for i, rule in enumerate(raw["incidents"], 1):
        missing = {"kategori", "tingkat_keparahan", "tahapan", "instansi", "tindakan"} - set(rule)
        if missing:
            raise ValueError(f"{source}: incident rule {i} lacks {sorted(missing)}")
        if rule["instansi"] not in AGENCIES:
            raise ValueError(
                f"{source}: incident rule {i}: instansi {rule['instansi']!r} not in {AGENCIES}"
            )
    for key, entry in raw["data"].items():
        if entry.get("instansi") not in AGENCIES:
            raise ValueError(f"{source}: data.{key}: instansi must be one of {AGENCIES}")
    return Playbook(raw["due"], raw["incidents"], raw["data"])


@lru_cache(maxsize=1)
def playbook() -> Playbook:
    return load_playbook()


def _matches(col: str, value: object) -> pl.Expr:
    if value == "*" or value is None:
        return pl.lit(True)
    values = value if isinstance(value, list) else [value]
    return pl.col(col).is_in([str(v) for v in values])


def recommend(incidents: pl.DataFrame, pb: Playbook | None = None) -> pl.DataFrame:
    """Add the playbook's ``tindakan`` and ``instansi_usulan`` to incidents (first matching rule).

    Grain unchanged (one row per incident). Needs kategori, tingkat_keparahan, tahapan.
    """
    pb = pb or playbook()
    action: pl.Expr | None = None
    agency: pl.Expr | None = None
    for rule in reversed(pb.incident_rules):
        cond = (
            _matches("kategori", rule["kategori"])
            & _matches("tingkat_keparahan", rule["tingkat_keparahan"])
            & _matches("tahapan", rule["tahapan"])
        )
        t, a = pl.lit(" ".join(str(rule["tindakan"]).split())), pl.lit(rule["instansi"])
        action = t if action is None else pl.when(cond).then(t).otherwise(action)
        agency = a if agency is None else pl.when(cond).then(a).otherwise(agency)
    return incidents.with_columns(action.alias("tindakan"), agency.alias("instansi_usulan"))


def _due(first_seen: pl.Expr, severity: pl.Expr, tz: str, pb: Playbook) -> tuple[pl.Expr, pl.Expr]:
    """Due time (UTC) and its words, from the severity's rule and the first-seen time."""
    due = pl.lit(None, pl.Datetime("us", "UTC"))
    words = pl.lit(None, pl.String)
    local = first_seen.dt.convert_time_zone(tz)
    for sev, rule in pb.due.items():
        if rule.get("end_of_day"):
            end = (
                local.dt.truncate("1d")
                + pl.duration(days=int(rule.get("days", 0)) + 1)
                - pl.duration(seconds=1)
            ).dt.convert_time_zone("UTC")
        else:
            end = first_seen + pl.duration(hours=float(rule.get("hours", 0)))
        due = pl.when(severity == sev).then(end).otherwise(due)
        words = pl.when(severity == sev).then(pl.lit(rule.get("label", sev))).otherwise(words)
    return due, words


def incident_problems(incidents: pl.DataFrame, as_of: dt.datetime | None) -> pl.DataFrame:
    """Open incidents (not selesai, not dibantah) reported by ``as_of``, as follow-up items.

    Grain: one row per open incident. Columns of ``STATE_SCHEMA`` that describe the problem.
    """
    from analysis.incidents import taxonomy

    df = prepare(incidents, NATIONAL, as_of).filter(pl.col("terbuka"))
    df = recommend(df)
    labels = taxonomy().fields["kategori"].labels
    desc = pl.col("deskripsi") if "deskripsi" in df.columns else pl.lit(None, pl.String)
    return df.select(
        pl.concat_str(pl.lit("insiden:"), pl.col("id_insiden")).alias("id_masalah"),
        pl.lit("insiden").alias("sumber"),
        pl.col("kategori").alias("jenis_masalah"),
        pl.col("kategori").replace_strict(labels, default=pl.col("kategori")).alias("jenis_label"),
        pl.col("kode_lokasi").alias("kode_wilayah"),
        "tingkat_keparahan",
        pl.concat_str(
            pl.lit("Insiden "),
            pl.col("keparahan_label").str.to_lowercase(),
            pl.lit(" ("),
            pl.col("verifikasi_label").str.to_lowercase(),
            pl.lit("): "),
            pl.coalesce(desc, pl.col("kategori_label")),
        ).alias("uraian"),
        "tindakan",
        pl.coalesce(pl.col("instansi"), pl.col("instansi_usulan")).alias("instansi")
        if "instansi" in df.columns
        else pl.col("instansi_usulan").alias("instansi"),
        "status_penanganan",
        pl.col("waktu_laporan").alias("_sejak"),
    )


def data_problems(problems: pl.DataFrame | None, pb: Playbook | None = None) -> pl.DataFrame:
    """Data/monitoring problems (``PROBLEM_SCHEMA`` rows) as follow-up items, with the playbook's
    action, owner and severity. An unknown ``jenis_masalah`` is an error naming the known ones."""
    pb = pb or playbook()
    if problems is None or problems.is_empty():
        return pl.DataFrame(schema={c: STATE_SCHEMA[c] for c in _ITEM_COLS})
    unknown = set(problems["jenis_masalah"].unique().to_list()) - set(pb.data)
    if unknown:
        raise ValueError(
            f"follow-up: unknown jenis_masalah {sorted(unknown)}; the playbook knows {sorted(pb.data)}"
        )

    def lut(field: str) -> dict[str, str]:
        return {k: " ".join(str(v[field]).split()) for k, v in pb.data.items()}

    j = pl.col("jenis_masalah")
    return problems.select(
        pl.concat_str(j, pl.lit(":"), pl.col("kode_objek")).alias("id_masalah"),
        pl.lit("data").alias("sumber"),
        j,
        j.replace_strict(lut("label")).alias("jenis_label"),
        "kode_wilayah",
        j.replace_strict(lut("tingkat_keparahan")).alias("tingkat_keparahan"),
        "uraian",
        j.replace_strict(lut("tindakan")).alias("tindakan"),
        j.replace_strict(lut("instansi")).alias("instansi"),
        pl.lit(None, pl.String).alias("status_penanganan"),
    ).unique("id_masalah", keep="first", maintain_order=True)


_ITEM_COLS = (
    "id_masalah",
    "sumber",
    "jenis_masalah",
    "jenis_label",
    "kode_wilayah",
    "tingkat_keparahan",
    "uraian",
    "tindakan",
    "instansi",
    "status_penanganan",
)


def empty_state() -> pl.DataFrame:
    return pl.DataFrame(schema=STATE_SCHEMA)


def update_followup(
    previous: pl.DataFrame | None,
    incidents: pl.DataFrame,
    problems: pl.DataFrame | None,
    as_of: dt.datetime,
    tz: str = "Asia/Jakarta",
) -> pl.DataFrame:
    """Merge what is open now into the previous state (pure; no I/O).

    Grain: one row per problem ever seen. New problems open with ``pertama_terlihat`` = the
    incident's report time (a data problem: as_of) and a due time from their severity; problems still open keep their first-seen time and due time
    (``terakhir_terlihat`` moves on); open items no longer open now close (``ditutup_pada`` =
    as_of) with the reason — the incident selesai or dibantah, or the problem no longer appearing;
    a closed item that appears again reopens. ``tz`` is the desk's zone for "end of the day".
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a UTC offset, e.g. 2024-11-28T14:00:00+07:00")
    now = pl.lit(as_of.astimezone(dt.UTC), dtype=pl.Datetime("us", "UTC"))
    pb = playbook()
    # an incident is open since it was reported; a data problem since the run that first saw it
    current = pl.concat(
        [
            incident_problems(incidents, as_of).select(*_ITEM_COLS, "_sejak"),
            data_problems(problems, pb)
            .select(_ITEM_COLS)
            .with_columns(pl.lit(None, pl.Datetime("us", "UTC")).alias("_sejak")),
        ],
        how="vertical_relaxed",
    ).unique("id_masalah", keep="first", maintain_order=True)
    prev = previous if previous is not None and not previous.is_empty() else empty_state()
    prev = prev.select(list(STATE_SCHEMA)).cast(STATE_SCHEMA)

    # incidents' latest status, to say why an item closed
    status = prepare(incidents, NATIONAL, as_of).select(
        pl.concat_str(pl.lit("insiden:"), pl.col("id_insiden")).alias("id_masalah"),
        "status_penanganan",
        "status_verifikasi",
    )

    keep = prev.select(
        "id_masalah", "pertama_terlihat", "jatuh_tempo", "tenggat", "status", "ditutup_pada"
    ).rename({"status": "_status_lama", "ditutup_pada": "_ditutup_lama"})
    seen = current.join(keep, on="id_masalah", how="left")
    reopened = pl.col("_status_lama") == "selesai"
    fresh = pl.col("pertama_terlihat").is_null() | reopened
    first = (
        pl.when(fresh)
        .then(pl.when(reopened).then(now).otherwise(pl.coalesce(pl.col("_sejak"), now)))
        .otherwise(pl.col("pertama_terlihat"))
    )
    due, words = _due(first, pl.col("tingkat_keparahan"), tz, pb)
    seen = seen.with_columns(
        first.alias("pertama_terlihat"),
        now.alias("terakhir_terlihat"),
        pl.when(fresh).then(due).otherwise(pl.col("jatuh_tempo")).alias("jatuh_tempo"),
        pl.when(fresh).then(words).otherwise(pl.col("tenggat")).alias("tenggat"),
        pl.lit("terbuka").alias("status"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("ditutup_pada"),
        pl.lit(None, pl.String).alias("alasan_tutup"),
    )

    gone = prev.join(current.select("id_masalah"), on="id_masalah", how="anti")
    gone = gone.join(
        status.rename({"status_penanganan": "_sp", "status_verifikasi": "_sv"}),
        on="id_masalah",
        how="left",
    )
    was_open = pl.col("status") == "terbuka"
    reason = (
        pl.when(pl.col("_sv") == "dibantah")
        .then(pl.lit("insiden dibantah"))
        .when(pl.col("_sp") == "selesai")
        .then(pl.lit("insiden selesai ditangani"))
        .when(pl.col("sumber") == "insiden")
        .then(pl.lit("insiden tidak lagi tercatat terbuka"))
        .otherwise(pl.lit("masalah tidak muncul lagi"))
    )
    gone = gone.with_columns(
        pl.when(was_open).then(pl.lit("selesai")).otherwise(pl.col("status")).alias("status"),
        pl.when(was_open).then(now).otherwise(pl.col("ditutup_pada")).alias("ditutup_pada"),
        pl.when(was_open).then(reason).otherwise(pl.col("alasan_tutup")).alias("alasan_tutup"),
        pl.when(was_open & pl.col("_sp").is_not_null())
        .then(pl.col("_sp"))
        .otherwise(pl.col("status_penanganan"))
        .alias("status_penanganan"),
    )
    out = pl.concat(
        [
            seen.select(list(STATE_SCHEMA)).cast(STATE_SCHEMA),
            gone.select(list(STATE_SCHEMA)).cast(STATE_SCHEMA),
        ]
    )
    return out.sort(
        "status", "jatuh_tempo", "id_masalah", descending=[True, False, False], nulls_last=True
    )


def run_followup(
    processed: Path,
    incidents: pl.DataFrame,
    problems: pl.DataFrame | None,
    as_of: dt.datetime,
    tz: str = "Asia/Jakarta",
) -> pl.DataFrame:
    """Read ``processed/tindak_lanjut.parquet``, merge what is open now, write it back, return it."""
    path = Path(processed) / f"{STATE_NAME}.parquet"
    previous = pl.read_parquet(path) if path.exists() else None
    state = update_followup(previous, incidents, problems, as_of, tz)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".parquet.tmp")
    state.write_parquet(tmp)
    tmp.replace(path)
    return state


def followup_list(
    state: pl.DataFrame,
    unit: str = NATIONAL,
    as_of: dt.datetime | None = None,
    closed_since: dt.datetime | None = None,
) -> pl.DataFrame:
    """The pack's "Rekomendasi dan tindak lanjut" rows for a unit.

    Grain: one row per item located in ``unit`` that is open, or closed after ``closed_since``
    (the previous report). Most urgent first: open before closed, then severity, then due time.
    Columns: ``id_masalah``, ``kode_wilayah``, ``nama_wilayah``, ``jenis_label``,
    ``tingkat_keparahan``, ``uraian``, ``tindakan``, ``instansi``, ``pertama_terlihat``,
    ``jatuh_tempo``, ``tenggat``, ``hari_terbuka``, ``terlambat`` (open past its due time),
    ``status``, ``ditutup_pada``, ``alasan_tutup``.
    """
    now = (
        pl.lit(as_of.astimezone(dt.UTC), dtype=pl.Datetime("us", "UTC"))
        if as_of is not None
        else pl.col("terakhir_terlihat").max()
    )
    df = state.filter(in_unit("kode_wilayah", unit))
    keep = pl.col("status") == "terbuka"
    if closed_since is not None:
        keep = keep | (pl.col("ditutup_pada") > closed_since.astimezone(dt.UTC))
    sev = {"kritis": 0, "tinggi": 1, "sedang": 2, "rendah": 3}
    df = df.filter(keep).with_columns(
        ((now - pl.col("pertama_terlihat")).dt.total_seconds() / 86400)
        .floor()
        .cast(pl.Int64)
        .alias("hari_terbuka"),
        ((pl.col("status") == "terbuka") & (pl.col("jatuh_tempo") < now)).alias("terlambat"),
        pl.col("tingkat_keparahan").replace_strict(sev, default=4).alias("_s"),
    )
    df = with_names(df, "kode_wilayah", "nama_wilayah")
    return df.sort(["status", "_s", "jatuh_tempo"], descending=[True, False, False]).select(
        "id_masalah",
        "kode_wilayah",
        "nama_wilayah",
        "jenis_label",
        "tingkat_keparahan",
        "uraian",
        "tindakan",
        "instansi",
        "pertama_terlihat",
        "jatuh_tempo",
        "tenggat",
        "hari_terbuka",
        "terlambat",
        "status",
        "ditutup_pada",
        "alasan_tutup",
    )


# --- Building data problems from other stages' outputs ----------------------------------------


def problems_from_screens(hits: pl.DataFrame) -> pl.DataFrame:
    """One ``penapisan_anomali`` problem per TPS × contest with screen hits (``screens.tps_screens``)."""
    if hits.is_empty():
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    return (
        hits.group_by("kode_tps", "kode_kontestasi", maintain_order=True)
        .agg(pl.col("keterangan").str.join("; "), pl.col("penapisan_label").unique().str.join(", "))
        .select(
            pl.lit("penapisan_anomali").alias("jenis_masalah"),
            pl.concat_str(pl.col("kode_tps"), pl.lit("/"), pl.col("kode_kontestasi")).alias(
                "kode_objek"
            ),
            tps_to_desa("kode_tps").alias("kode_wilayah"),
            pl.concat_str(
                pl.lit("TPS "),
                pl.col("kode_tps"),
                pl.lit(" ("),
                pl.col("kode_kontestasi"),
                pl.lit("): "),
                pl.col("keterangan"),
            ).alias("uraian"),
        )
    )


def problems_from_readiness(ready: pl.DataFrame) -> pl.DataFrame:
    """One ``kesiapan_kurang`` problem per unit × indicator below target
    (``kerawanan.readiness_by_unit`` output)."""
    from analysis.kerawanan import INDICATOR_WORDS, pct_text

    gap = ready.filter(pl.col("kesenjangan") > 0)
    return gap.select(
        pl.lit("kesiapan_kurang").alias("jenis_masalah"),
        pl.concat_str(pl.col("kode_wilayah"), pl.lit("/"), pl.col("indikator")).alias("kode_objek"),
        "kode_wilayah",
        pl.concat_str(
            pl.col("indikator").replace_strict(INDICATOR_WORDS, default=pl.col("indikator")),
            pl.lit(" baru "),
            pct_text(pl.col("nilai"), 1),
            pl.lit(" dari target "),
            pct_text(pl.col("target"), 1),
        ).alias("uraian"),
    )


def problems_from_recon(recon_tps: pl.DataFrame) -> pl.DataFrame:
    """``selisih_hitung`` (internal ≠ KPU) and ``identitas_kpu`` (KPU record with validation flags)
    problems, one per TPS × contest, from the reconcile stage's ``recon_tps``."""
    if recon_tps.is_empty():
        return pl.DataFrame(schema=PROBLEM_SCHEMA)
    obj = pl.concat_str(pl.col("kode_tps"), pl.lit("/"), pl.col("kode_kontestasi"))
    sel = recon_tps.filter(pl.col("status_banding") == "selisih").select(
        pl.lit("selisih_hitung").alias("jenis_masalah"),
        obj.alias("kode_objek"),
        pl.col("kode_desa").alias("kode_wilayah"),
        pl.concat_str(
            pl.lit("TPS "),
            pl.col("kode_tps"),
            pl.lit(" ("),
            pl.col("kode_kontestasi"),
            pl.lit("): selisih "),
            pl.col("selisih_abs").cast(pl.String),
            pl.lit(" suara antara hitung internal dan KPU"),
        ).alias("uraian"),
    )
    ident = recon_tps.filter(pl.col("peringatan_kpu").list.len() > 0).select(
        pl.lit("identitas_kpu").alias("jenis_masalah"),
        obj.alias("kode_objek"),
        pl.col("kode_desa").alias("kode_wilayah"),
        pl.concat_str(
            pl.lit("TPS "),
            pl.col("kode_tps"),
            pl.lit(" ("),
            pl.col("kode_kontestasi"),
            pl.lit("): data KPU "),
            pl.col("peringatan_kpu").list.join("; "),
        ).alias("uraian"),
    )
    return pl.concat([sel, ident]).cast(PROBLEM_SCHEMA)


def desk_time_zone(unit: str) -> str:
    """IANA zone of a desk (its province's; Asia/Jakarta for the national desk)."""
    from analysis.domain.regions import time_zone

    return "Asia/Jakarta" if unit == NATIONAL else time_zone(unit[:2])[1]
