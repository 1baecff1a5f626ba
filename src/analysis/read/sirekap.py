"""Sirekap (KPU) per-TPS records: the Pemilu 2024 shape (top-level ``chart``/``administrasi``)
and the Pilkada 2024 shape (under ``tungsura``), read record by record with ``json`` — the
specification of a record's rows. Also: the contest type and pull time a file's folders give,
the original text of rejected records, and paslon ids → nomor urut.

A record gives one row (``kode_tps``, ``kode_kontestasi``, times, flags, the administrasi counts,
``masalah``) and one vote per ``chart`` entry (keyed by the Sirekap paslon id).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import reprlib
from pathlib import Path

import polars as pl

from analysis.domain import regions
from analysis.read.columns import SPLIT_COLS
from analysis.read.result import FileRead
from analysis.schemas import ADMIN_COUNTS

JENIS = (regions.JENIS_GUBERNUR, regions.JENIS_BUPATI, regions.JENIS_PRESIDEN)
PULL_RE = re.compile(r"^\d{8}T\d{4}$")
#: A first-level folder of ``kpu/`` that starts with a digit is meant as a pull: only a
#: ``YYYYMMDDTHHMM`` name that is a real time makes one (``rekap``, ``tps``, a jenis never start so).
_PULL_LIKE = re.compile(r"^\d")
#: Sirekap's clock and the pull folders are WIB (UTC+7, no daylight saving).
KPU_UTC_OFFSET = dt.timedelta(hours=7)

#: administrasi key -> canonical count column (unknown keys pass through harmlessly).
ADMIN_MAP: dict[str, str] = {
    "suara_sah": "suara_sah",
    "suara_tidak_sah": "suara_tidak_sah",
    "suara_total": "suara_total",
    "surat_suara_diterima": "surat_suara_diterima",
    "surat_suara_digunakan": "surat_suara_digunakan",
    "surat_suara_rusak": "surat_suara_rusak",
    "surat_suara_tidak_digunakan": "surat_suara_tidak_digunakan",
    **{
        f"{src}_{s}": f"{canon}{suffix}"
        for canon, src in (
            ("pemilih_dpt", "pemilih_dpt"),
            ("pengguna_dpt", "pengguna_dpt"),
            ("pengguna_dptb", "pengguna_dptb"),
            ("pengguna_dpk", "pengguna_non_dpt"),
            ("pengguna_dpk", "pengguna_dpk"),
            ("pengguna_total", "pengguna_total"),
        )
        for s, suffix in (("j", ""), ("l", "_l"), ("p", "_p"))
    },
}
OFFICIAL_COUNT_COLS: tuple[str, ...] = (*ADMIN_COUNTS, *SPLIT_COLS)

OFFICIAL_BUILT: dict[str, pl.DataType] = {
    "kode_tps": pl.String(),
    "kode_kontestasi": pl.String(),
    "waktu_tarik": pl.Datetime("us", "UTC"),
    "ts": pl.Datetime("us", "UTC"),
    "status_suara": pl.Boolean(),
    "status_adm": pl.Boolean(),
    "psu": pl.String(),
    "ada_chart": pl.Boolean(),
    "ada_administrasi": pl.Boolean(),
    **{c: pl.Int64() for c in OFFICIAL_COUNT_COLS},
    "masalah": pl.List(pl.String),
    "sumber_file": pl.String(),
    "sumber_baris": pl.Int64(),
    "_i": pl.Int64(),
}
#: Column order of every official rows frame (builder, fast path, unchanged copies).
OFFICIAL_ROW_COLS: tuple[str, ...] = (
    *OFFICIAL_BUILT,
    "sumber_sheet",
    "nilai_asli",
    "_src_file",
    "_src_baris",
)
VOTE_SCHEMA = {"_i": pl.Int64, "nomor_urut": pl.Int64, "paslon_id": pl.String, "suara": pl.Int64}


def path_jenis(rel: str) -> str | None:
    """The contest type a KPU file belongs to, from its folders: ``.../tps/pkwkk/...`` -> pkwkk.

    An exact folder name wins; else a token inside a folder or file name (``sirekap_ppwp2024_...``).
    """
    parts = Path(rel).parts
    for p in reversed(parts):
        stem = p.split(".")[0].lower()
        if stem in JENIS:
            return stem
    for p in reversed(parts):
        m = re.search("(" + "|".join(JENIS) + ")", p.lower())
        if m:
            return m.group(1)
    return None


def pull_time(name: str) -> dt.datetime | None:
    """A pull folder's name as UTC time; None unless it is ``YYYYMMDDTHHMM`` (WIB) and a time that
    exists (month 13, minute 61 or the first hours of year 1 are none)."""
    if not PULL_RE.match(name):
        return None
    try:
        return _wib_to_utc(dt.datetime.strptime(name, "%Y%m%dT%H%M"))
    except (ValueError, OverflowError):
        return None


def path_pull(rel: str) -> dt.datetime | None:
    """The pull time from a ``YYYYMMDDTHHMM`` (WIB) folder, as UTC; None outside a pull folder
    (and for a folder whose name is no real time: :func:`pull_folder_problem` rejects those)."""
    for p in Path(rel).parts:
        if PULL_RE.match(p):
            return pull_time(p)
    return None


def pull_folder_problem(rel: str) -> str | None:
    """Why a file under ``kpu/`` sits in a folder meant as a pull that is none (the whole pull is
    rejected, with this message); None when its place is fine."""
    parts = Path(rel).parts
    if len(parts) < 3 or parts[0].lower() != "kpu" or not _PULL_LIKE.match(parts[1]):
        return None
    if pull_time(parts[1]) is not None:
        return None
    return (
        f"folder tarikan {parts[1]!r} tidak sah: namanya harus waktu tarik YYYYMMDDTHHMM (WIB) "
        "yang mungkin, mis. 20241128T0800; seluruh isi tarikan ini tidak dibaca"
    )


def parse_json(data: bytes | str) -> tuple[object, str | None]:
    """JSON text -> (value, None), or (None, why it is no JSON a reader can take): not JSON, not
    UTF-8, a number too long for Python, nesting too deep. The one place JSON input is decoded."""
    try:
        return json.loads(data), None
    except json.JSONDecodeError as exc:
        return None, f"bukan JSON yang sah (baris {exc.lineno}, kolom {exc.colno}): {exc.msg}"
    except UnicodeDecodeError:
        return None, "bukan JSON yang sah: bukan teks UTF-8"
    except RecursionError:
        return None, "JSON bersarang terlalu dalam (lebih dari ±1.000 tingkat)"
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        return None, f"bukan JSON yang dapat dibaca: {exc}"


def _wib_to_utc(local: dt.datetime) -> dt.datetime:
    return (local - KPU_UTC_OFFSET).replace(tzinfo=dt.UTC)


def parse_ts(v: object) -> dt.datetime | None:
    """A record's ``ts`` (WIB text, seconds optional, ``T`` or space) as UTC; None otherwise."""
    if not isinstance(v, str):
        return None
    s = v.strip().replace("T", " ")
    for f in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return _wib_to_utc(dt.datetime.strptime(s[:19], f))
        except ValueError:
            continue
        except OverflowError:  # the first hours of year 1: no UTC time to give
            return None
    return None


_INT64 = range(-(2**63), 2**63)


def as_int(v: object) -> tuple[int | None, bool]:
    """(value, ok): JSON numbers and digit strings become ints; null is (None, True); a number
    beyond a 64-bit count is not one."""
    if v is None:
        return None, True
    if isinstance(v, bool):
        return None, False
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, str):
        s = v.strip().replace(".", "")
        if not s:
            return None, True
        if re.fullmatch(r"-?\d+", s):
            v = int(s)
    if isinstance(v, int) and v in _INT64:
        return v, True
    return None, False


def _psu_text(psu: object, problems: list[str]) -> str | None:
    """``psu`` as text (an object as its JSON); one too deep to write back is a problem."""
    if psu is None or isinstance(psu, str):
        return psu
    try:
        return json.dumps(psu)
    except (RecursionError, ValueError):
        problems.append("format: psu bersarang terlalu dalam")
        return None


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlong = 3, 60, 60, 40


def shown(value: object) -> str:
    """A cell's value as a message quotes it: short, however long or deep it is."""
    return _SHOWN.repr(value)


def sections(rec: dict) -> tuple[object, object]:
    """(chart, administrasi) of a record in either shape."""
    if "tungsura" in rec:
        t = rec.get("tungsura") or {}
        t = t if isinstance(t, dict) else {}
        return t.get("chart"), t.get("administrasi")
    return rec.get("chart"), rec.get("administrasi")


class OfficialBuilder:
    """Accumulates Sirekap records column-wise (fast at ~600k records): :meth:`add` each, then
    :meth:`result`. The record-by-record reader: the specification of a record's rows."""

    def __init__(self, rel: str, jenis: str | None, pull: dt.datetime | None) -> None:
        self.rel, self.jenis, self.pull = rel, jenis, pull
        self.cols: dict[str, list] = {c: [] for c in OFFICIAL_BUILT}
        self.votes: dict[str, list] = {"_i": [], "paslon_id": [], "suara": []}

    def add(
        self,
        kode_tps: str | None,
        rec: object,
        baris: int,
        problems: list[str],
        rel: str | None = None,
    ) -> None:
        """One record; ``rel`` overrides the builder's file (many per-TPS files in one frame)."""
        if rel is not None and rel != self.rel:
            self.rel, self.jenis, self.pull = rel, path_jenis(rel), path_pull(rel)
        problems = list(problems)
        if not isinstance(rec, dict):
            if rec is not None or not problems:
                problems.append("format: catatan Sirekap bukan objek JSON")
            rec = {}
        chart, adm = sections(rec)
        self._code(kode_tps, rec, problems)
        self._times(rec, problems)
        c = self.cols
        for k in ("status_suara", "status_adm"):
            v = rec.get(k)
            c[k].append(v if isinstance(v, bool) else None)
        c["psu"].append(_psu_text(rec.get("psu"), problems))
        self._admin(adm, problems)
        self._chart(len(c["_i"]), chart, problems)
        c["masalah"].append(problems)
        c["sumber_file"].append(self.rel)
        c["sumber_baris"].append(baris)
        c["_i"].append(len(c["_i"]))

    def _code(self, kode_tps: str | None, rec: dict, problems: list[str]) -> None:
        """``kode_tps`` (digits) and ``kode_kontestasi`` of the record."""
        kode = re.sub(r"\D", "", str(kode_tps or rec.get("kode_tps") or ""))
        if len(kode) != regions.TPS_CODE_DIGITS:
            problems.append(f"format: kode_tps '{kode_tps}' bukan 13 digit")
        self.cols["kode_tps"].append(kode or None)
        if self.jenis is None:
            problems.append("format: jenis pemilihan tidak diketahui dari nama folder")
        ok = self.jenis is not None and (kode or self.jenis == regions.JENIS_PRESIDEN)
        self.cols["kode_kontestasi"].append(regions.kpu_contest(self.jenis, kode) if ok else None)

    def _times(self, rec: dict, problems: list[str]) -> None:
        """``ts`` and ``waktu_tarik`` (the pull folder's time, else ``ts``)."""
        ts = parse_ts(rec.get("ts"))
        self.cols["ts"].append(ts)
        self.cols["waktu_tarik"].append(self.pull or ts)
        if (self.pull or ts) is None:
            problems.append("format: tanpa waktu tarik (folder) maupun ts")

    def _admin(self, adm: object, problems: list[str]) -> None:
        """The administrasi counts (``ada_administrasi`` whether it is an object)."""
        values: dict[str, int | None] = {}
        if isinstance(adm, dict):
            for key, val in adm.items():
                canon = ADMIN_MAP.get(key)
                if canon is None:
                    continue  # unknown keys pass through harmlessly
                iv, ok = as_int(val)
                if not ok:
                    problems.append(f"format: administrasi.{key} berisi {shown(val)}")
                values[canon] = iv
        elif adm is not None:
            problems.append("format: administrasi bukan objek")
        self.cols["ada_administrasi"].append(isinstance(adm, dict))
        for col in OFFICIAL_COUNT_COLS:
            self.cols[col].append(values.get(col))

    def _chart(self, i: int, chart: object, problems: list[str]) -> None:
        """One vote per chart entry (``ada_chart`` whether it is an object)."""
        if isinstance(chart, dict):
            for pid, val in chart.items():
                if pid == "null" and val is None:
                    continue  # Sirekap's spurious "null" key
                iv, ok = as_int(val)
                if not ok:
                    problems.append(f"format: chart.{shown(pid)} berisi {shown(val)}")
                self.votes["_i"].append(i)
                self.votes["paslon_id"].append(str(pid))
                self.votes["suara"].append(iv)
        elif chart is not None:
            problems.append("format: chart bukan objek")
        self.cols["ada_chart"].append(isinstance(chart, dict))

    def result(self) -> FileRead:
        """The records added so far as rows and votes (``nomor_urut`` null: see :func:`map_paslon`)."""
        rows = pl.DataFrame(self.cols, schema=OFFICIAL_BUILT).with_columns(
            pl.lit(None, dtype=pl.String).alias("sumber_sheet"),
            pl.lit(None, dtype=pl.String).alias("nilai_asli"),  # re-read from the file if rejected
            pl.lit(None, dtype=pl.String).alias("_src_file"),
            pl.lit(None, dtype=pl.Int64).alias("_src_baris"),
        )
        votes = pl.DataFrame(
            self.votes, schema={k: VOTE_SCHEMA[k] for k in self.votes}
        ).with_columns(pl.lit(None, dtype=pl.Int64).alias("nomor_urut"))
        return FileRead("official", rows=rows, votes=votes.select(*VOTE_SCHEMA))


def sirekap_record(data: bytes) -> tuple[dict | None, str | None]:
    """One per-TPS JSON file's record, or why the file is not one (the message a desk sees)."""
    if not data.strip():
        return None, "berkas kosong (0 byte)" if not data else "berkas kosong (hanya spasi)"
    rec, error = parse_json(data)
    if error is not None:
        return None, error
    if not isinstance(rec, dict) or not ({"tungsura", "chart", "administrasi"} & rec.keys()):
        return (
            None,
            "JSON ini bukan catatan Sirekap per TPS (tidak ada tungsura/chart/administrasi)",
        )
    return rec, None


def tps_code_of(rel: str, rec: dict) -> object:
    """The TPS code of a per-TPS file: its name when that is a TPS code, else the record's."""
    stem = Path(rel).stem
    if re.fullmatch(rf"\d{{{regions.TPS_CODE_DIGITS}}}", stem):
        return stem
    return rec.get("kode_tps", stem)


def read_sirekap_json(data: bytes, rel: str, jenis: str | None = None) -> FileRead:
    """One Sirekap per-TPS JSON file (either shape); the TPS code is the file name."""
    rec, error = sirekap_record(data)
    if rec is None:
        return FileRead("official", error=error)
    b = OfficialBuilder(rel, jenis or path_jenis(rel), path_pull(rel))
    b.add(tps_code_of(rel, rec), rec, 1, [])  # type: ignore[arg-type]
    return b.result()


def map_paslon(
    votes: pl.DataFrame, contest: pl.DataFrame, ref_paslon: pl.DataFrame
) -> pl.DataFrame:
    """Sirekap paslon ids -> nomor urut through the paslon reference.

    ``votes``: ``_rid``, ``paslon_id``, ``suara``; ``contest``: ``_rid`` -> ``kode_kontestasi``.
    An id not in the contest's reference is kept, with ``nomor_urut`` null and ``asing`` true.
    """
    ref = ref_paslon.select("kode_kontestasi", "paslon_id", pl.col("nomor_urut").alias("_nu"))
    ref = ref.drop_nulls("paslon_id").unique(["kode_kontestasi", "paslon_id"])
    v = votes.join(contest, on="_rid", how="left").join(
        ref, on=["kode_kontestasi", "paslon_id"], how="left"
    )
    return v.with_columns(
        pl.coalesce(pl.col("nomor_urut"), pl.col("_nu")).alias("nomor_urut"),
        pl.col("_nu").is_null().alias("asing"),
    ).drop("_nu")
