"""Recommendations and follow-up (*Rekomendasi dan tindak lanjut*), carried from day to day.

Open problems come from two places: incidents not yet selesai and not dibantah, and data or
monitoring problems (a KPU record breaking an identity, an internal-vs-KPU discrepancy, a TPS hit
by a screen, readiness below target, ...; built by :mod:`analysis.analyse.problems`).
``config/playbook.yaml`` gives each an action, an owner agency and a due-time rule. The list is
state, the dataset ``tindak_lanjut__masalah`` (one row per problem ever seen): the analyse stage
merges it each run with what is open now (:func:`update_followup`, pure). An item stays open until
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

from analysis.analyse.incidents import prepare, with_names
from analysis.domain.regions import NATIONAL, inside_expr
from analysis.schemas import TINDAK_LANJUT_MASALAH
from analysis.settings import REPO_ROOT
from analysis.taxonomy import taxonomy

PLAYBOOK_FILE = REPO_ROOT / "config" / "playbook.yaml"
AGENCIES = ("KPU", "Bawaslu", "Polres", "Dukcapil", "Pemda")

#: One row per problem open now: the input of ``update_followup`` besides incidents.
PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "jenis_masalah": pl.String(),  # a key of the playbook's `data` section
    "kode_objek": pl.String(),  # what the problem is about, e.g. "<kode_tps>/<kode_kontestasi>"
    "kode_wilayah": pl.String(),  # dotted code of its location
    "uraian": pl.String(),  # one Indonesian sentence
}

#: The follow-up state, one row per problem ever seen (declared in ``analysis.schemas``).
STATE_SCHEMA: dict[str, pl.DataType] = TINDAK_LANJUT_MASALAH.polars_schema


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


#: Where a report's time stands against voting day (the playbook's ``saat``), by local date.
SAAT: dict[int, str] = {-1: "sebelum_pemungutan", 0: "hari_pemungutan", 1: "setelah_pemungutan"}


def phase_of(t: dt.datetime | None, tz: str = "Asia/Jakarta") -> str | None:
    """The playbook's ``saat`` of a time: before, on or after voting day (local date in ``tz``)."""
    if t is None:
        return None
    from zoneinfo import ZoneInfo

    from analysis.settings import default_settings

    day = t.astimezone(ZoneInfo(tz)).date()
    voting = default_settings().election.voting_day
    return SAAT[(day > voting) - (day < voting)]


def recommend(
    incidents: pl.DataFrame, pb: Playbook | None = None, saat: str | None = None
) -> pl.DataFrame:
    """Add the playbook's ``tindakan`` and ``instansi_usulan`` to incidents (first matching rule).

    Grain unchanged (one row per incident). Needs kategori, tingkat_keparahan, tahapan. ``saat``
    (:func:`phase_of` of the report's time) picks the advice that fits today; a rule without
    ``saat`` fits any time, and with ``saat`` None only such rules match.
    """
    pb = pb or playbook()
    action: pl.Expr | None = None
    agency: pl.Expr | None = None
    for rule in reversed(pb.incident_rules):
        when = rule.get("saat", "*")
        fits = when == "*" or (
            saat is not None and saat in (when if isinstance(when, list) else [when])
        )
        cond = (
            _matches("kategori", rule["kategori"])
            & _matches("tingkat_keparahan", rule["tingkat_keparahan"])
            & _matches("tahapan", rule["tahapan"])
            & pl.lit(fits)
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


def due_of(
    first_seen: dt.datetime, severity: str, tz: str, pb: Playbook | None = None
) -> tuple[dt.datetime | None, str | None]:
    """(due time UTC, its words) of one problem first seen at ``first_seen`` (the playbook's rule)."""
    due, words = _due(pl.col("t"), pl.col("s"), tz, pb or playbook())
    one = pl.DataFrame(
        {"t": [first_seen.astimezone(dt.UTC)], "s": [severity]},
        schema={"t": pl.Datetime("us", "UTC"), "s": pl.String},
    ).select(due.alias("due"), words.alias("words"))
    return one["due"][0], one["words"][0]


def incident_problems(incidents: pl.DataFrame, as_of: dt.datetime | None) -> pl.DataFrame:
    """Open incidents (not selesai, not dibantah) reported by ``as_of``, as follow-up items.

    Grain: one row per open incident. Columns of ``STATE_SCHEMA`` that describe the problem.
    """
    df = prepare(incidents, NATIONAL, as_of).filter(pl.col("terbuka"))
    df = recommend(df, saat=phase_of(as_of))
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


def _open_now(
    incidents: pl.DataFrame, problems: pl.DataFrame | None, as_of: dt.datetime, pb: Playbook
) -> pl.DataFrame:
    """Items open now; ``_sejak``: an incident is open since it was reported, a data problem since
    the run that first saw it (null here)."""
    return pl.concat(
        [
            incident_problems(incidents, as_of).select(*_ITEM_COLS, "_sejak"),
            data_problems(problems, pb)
            .select(_ITEM_COLS)
            .with_columns(pl.lit(None, pl.Datetime("us", "UTC")).alias("_sejak")),
        ],
        how="vertical_relaxed",
    ).unique("id_masalah", keep="first", maintain_order=True)


def _still_open(
    current: pl.DataFrame, prev: pl.DataFrame, now: pl.Expr, tz: str, pb: Playbook
) -> pl.DataFrame:
    """Items open now: new (or reopened) ones get a first-seen and due time, others keep theirs."""
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
    return seen.with_columns(
        first.alias("pertama_terlihat"),
        now.alias("terakhir_terlihat"),
        pl.when(fresh).then(due).otherwise(pl.col("jatuh_tempo")).alias("jatuh_tempo"),
        pl.when(fresh).then(words).otherwise(pl.col("tenggat")).alias("tenggat"),
        pl.lit("terbuka").alias("status"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("ditutup_pada"),
        pl.lit(None, pl.String).alias("alasan_tutup"),
    )


def _no_longer_open(
    current: pl.DataFrame, prev: pl.DataFrame, incidents: pl.DataFrame, as_of: dt.datetime
) -> pl.DataFrame:
    """Items of the previous state not open now: open ones close now, with the reason."""
    now = pl.lit(as_of.astimezone(dt.UTC), dtype=pl.Datetime("us", "UTC"))
    # incidents' latest status, to say why an item closed
    status = prepare(incidents, NATIONAL, as_of).select(
        pl.concat_str(pl.lit("insiden:"), pl.col("id_insiden")).alias("id_masalah"),
        pl.col("status_penanganan").alias("_sp"),
        pl.col("status_verifikasi").alias("_sv"),
    )
    gone = prev.join(current.select("id_masalah"), on="id_masalah", how="anti").join(
        status, on="id_masalah", how="left"
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
    return gone.with_columns(
        pl.when(was_open).then(pl.lit("selesai")).otherwise(pl.col("status")).alias("status"),
        pl.when(was_open).then(now).otherwise(pl.col("ditutup_pada")).alias("ditutup_pada"),
        pl.when(was_open).then(reason).otherwise(pl.col("alasan_tutup")).alias("alasan_tutup"),
        pl.when(was_open & pl.col("_sp").is_not_null())
        .then(pl.col("_sp"))
        .otherwise(pl.col("status_penanganan"))
        .alias("status_penanganan"),
    )


def update_followup(
    previous: pl.DataFrame | None,
    incidents: pl.DataFrame,
    problems: pl.DataFrame | None,
    as_of: dt.datetime,
    tz: str = "Asia/Jakarta",
) -> pl.DataFrame:
    """Merge what is open now into the previous state (pure; no I/O).

    Grain: one row per problem ever seen. New problems open with ``pertama_terlihat`` = the
    incident's report time (a data problem: as_of) and a due time from their severity; problems
    still open keep their first-seen time and due time (``terakhir_terlihat`` moves on); open
    items no longer open now close (``ditutup_pada`` = as_of) with the reason — the incident
    selesai or dibantah, or the problem no longer appearing; a closed item that appears again
    reopens. ``tz`` is the desk's zone for "end of the day".
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a UTC offset, e.g. 2024-11-28T14:00:00+07:00")
    now = pl.lit(as_of.astimezone(dt.UTC), dtype=pl.Datetime("us", "UTC"))
    pb = playbook()
    current = _open_now(incidents, problems, as_of, pb)
    prev = previous if previous is not None and not previous.is_empty() else empty_state()
    prev = prev.select(list(STATE_SCHEMA)).cast(STATE_SCHEMA)
    out = pl.concat(
        [
            part.select(list(STATE_SCHEMA)).cast(STATE_SCHEMA)
            for part in (
                _still_open(current, prev, now, tz, pb),
                _no_longer_open(current, prev, incidents, as_of),
            )
        ]
    )
    return out.sort(
        "status", "jatuh_tempo", "id_masalah", descending=[True, False, False], nulls_last=True
    )


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
    df = state.filter(inside_expr("kode_wilayah", unit))
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
    return df.sort(
        ["status", "_s", "jatuh_tempo", "id_masalah"], descending=[True, False, False, False]
    ).select(
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
