"""The one settings object: paths, the election, the desk running the workbench, the demo.

Loaded from ``config/settings.yaml`` and validated before any work starts: unknown keys and
values of the wrong type are rejected with a message naming the key.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SETTINGS_FILE = REPO_ROOT / "config" / "settings.yaml"

Tier = Literal["nasional", "provinsi", "kabkota", "kecamatan"]


class SettingsError(ValueError):
    """The settings file is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Paths(_Strict):
    raw: Path
    processed: Path
    reports: Path
    expectations: Path

    def resolved(self, root: Path = REPO_ROOT) -> Paths:
        """The same paths made absolute against ``root``."""
        return Paths(**{k: (root / v) for k, v in self.model_dump().items()})


class Tolerances(_Strict):
    votes_sum: int = Field(ge=0)
    valid_invalid: int = Field(ge=0)
    voters_sum: int = Field(ge=0)
    ballots_voters: int = Field(ge=0)
    split_sum: int = Field(ge=0)
    ballots_stock: int = Field(ge=0)
    reconcile_votes: int = Field(ge=0)
    readiness_share: float = Field(default=0.005, ge=0, le=1)


class ReadinessTargets(_Strict):
    logistik_diterima: float = Field(ge=0, le=1)
    perekaman_ktp_el: float = Field(ge=0, le=1)
    nphd_dibayar: float = Field(ge=0, le=1)


class Election(_Strict):
    name: str
    voting_day: dt.date
    window_start: dt.datetime
    window_end: dt.datetime
    reserve_share: float = Field(ge=0, le=0.2)
    max_voters_per_tps: int = Field(gt=0)
    max_count: int = Field(gt=0)
    turnout_target_default: float = Field(gt=0, le=1)
    turnout_targets: dict[str, float] = {}
    tolerances: Tolerances
    readiness_targets: ReadinessTargets

    @field_validator("window_start", "window_end")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("needs a UTC offset, e.g. 2024-11-27T07:00:00+07:00")
        return v

    @field_validator("turnout_targets")
    @classmethod
    def _targets(cls, v: dict[str, float]) -> dict[str, float]:
        for code, share in v.items():
            if not all(p.isdigit() for p in code.split(".")):
                raise ValueError(f"{code!r} is not a dotted Kemendagri code")
            if not 0 < share <= 1:
                raise ValueError(f"target for {code} must be a share in (0, 1], got {share}")
        return v

    def turnout_target(self, code: str) -> float:
        """Target for a region: its own, else its nearest ancestor's, else the default."""
        parts = code.split(".")
        for i in range(len(parts), 0, -1):
            key = ".".join(parts[:i])
            if key in self.turnout_targets:
                return self.turnout_targets[key]
        return self.turnout_target_default


class Desk(_Strict):
    unit_code: str
    tier: Tier


class Demo(_Strict):
    seed: int
    scope: str
    as_of: dt.datetime
    previous_report: dt.datetime
    night_runs: list[dt.datetime] = []


class Kerawanan(_Strict):
    """Weights of the kerawanan score (analysis.analyse.kerawanan); reasons in settings.yaml."""

    half_life_days: float = Field(default=7.0, gt=0)
    recent_days: int = Field(default=7, gt=0)
    severity_weights: dict[str, float] = {
        "kritis": 10.0,
        "tinggi": 4.0,
        "sedang": 1.5,
        "rendah": 0.5,
        "lainnya": 1.0,
    }
    verification_weights: dict[str, float] = {
        "terverifikasi_resmi": 1.0,
        "terkonfirmasi": 0.8,
        "belum_diverifikasi": 0.4,
    }
    incident_scale: float = Field(default=15.0, gt=0)
    anomaly_share_full: float = Field(default=0.05, gt=0, le=1)
    readiness_gap_full: float = Field(default=0.2, gt=0)
    component_weights: dict[str, float] = {"insiden": 0.6, "anomali": 0.2, "kesiapan": 0.2}
    cutoffs: dict[str, tuple[float, float]] = {
        "nasional": (68.5, 21.7),
        "provinsi": (68.5, 21.7),
        "kabkota": (49.33, 13.47),
        "kecamatan": (49.33, 13.47),
    }

    @field_validator("component_weights")
    @classmethod
    def _components(cls, v: dict[str, float]) -> dict[str, float]:
        if set(v) != {"insiden", "anomali", "kesiapan"} or abs(sum(v.values()) - 1) > 1e-9:
            raise ValueError("needs insiden, anomali, kesiapan weights summing to 1")
        return v

    @field_validator("cutoffs")
    @classmethod
    def _cutoffs(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for tier, (hi, mid) in v.items():
            if not 0 <= mid <= hi <= 100:
                raise ValueError(
                    f"{tier}: expected [tinggi, sedang] with 0 <= sedang <= tinggi <= 100"
                )
        return v


class Penapisan(_Strict):
    """Thresholds of the anomaly screens (analysis.analyse.screens); reasons in settings.yaml."""

    ocr_hundreds_digits: list[int] = [5, 8, 9]
    dominant_share: float = Field(default=0.95, gt=0, le=1)
    dominant_min_valid: int = Field(default=20, ge=0)
    turnout_robust_z: float = Field(default=3.5, gt=0)
    turnout_min_tps: int = Field(default=5, ge=2)
    digit_min_counts: int = Field(default=30, ge=1)
    last_digit_min_value: int = Field(default=10, ge=0)
    bootstrap_samples: int = Field(default=1000, ge=100)
    digit_min_deviation: dict[str, float] = {
        "rerata_digit_akhir": 0.15,
        "rerata_digit_kedua": 0.20,
        "porsi_akhir_0_5": 0.03,
    }
    bootstrap_seed: int = 20241127
    correlation_abs: float = Field(default=0.4, gt=0, le=1)
    fingerprint_bins: int = Field(default=50, ge=5, le=200)


class Proyeksi(_Strict):
    """The count-night projection and the PVT sample (analysis.reconcile.projection, .sample);
    reasons in settings.yaml."""

    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    min_tps_per_stratum: int = Field(default=5, ge=2)
    max_margin: float = Field(default=0.05, gt=0, le=1)
    sample_share: float = Field(default=0.045, gt=0, le=1)
    sample_min_per_stratum: int = Field(default=20, ge=2)
    sample_min_completeness: float = Field(default=0.9, gt=0, le=1)
    kpu_check_coverage: float = Field(default=0.95, gt=0, le=1)
    chart_min_runs: int = Field(default=3, ge=2)


class Stage(_Strict):
    """One tahapan with its dates (None when the schedule gives no fixed date)."""

    kode: str
    mulai: dt.date | None = None
    selesai: dt.date | None = None


class ChildStatus(_Strict):
    """The traffic-light status of a unit (analysis.packs.status); reasons in settings.yaml."""

    # colour bins of the coverage map (analysis.packs.sections.maps), not the status rule
    coverage_watch: float = Field(default=0.9, ge=0, le=1)
    coverage_critical: float = Field(default=0.5, ge=0, le=1)
    polls_close: dt.time = dt.time(13, 0)  # local time TPS close; the expected curve counts from it
    # [hours since polls closed, share of expected TPS the internal count should hold by then]
    expected_coverage: list[tuple[float, float]] = [
        (0, 0.0),
        (6, 0.45),
        (12, 0.65),
        (24, 0.85),
        (48, 0.95),
    ]
    coverage_watch_ratio: float = Field(default=0.75, gt=0, le=1)
    coverage_critical_ratio: float = Field(default=0.5, gt=0, le=1)
    incident_recent_hours: float = Field(default=72, gt=0)
    discrepancy_share_watch: float = Field(default=0.01, ge=0, le=1)

    @field_validator("expected_coverage")
    @classmethod
    def _curve(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        hours = [h for h, _ in v]
        shares = [s for _, s in v]
        if not v or hours != sorted(hours) or shares != sorted(shares):
            raise ValueError("needs [hours, share] points with hours and shares rising")
        if not all(0 <= s <= 1 for s in shares) or hours[0] < 0:
            raise ValueError("shares must lie in 0..1 and hours be >= 0")
        return v

    @model_validator(mode="after")
    def _ratios(self) -> ChildStatus:
        if self.coverage_critical_ratio > self.coverage_watch_ratio:
            raise ValueError("coverage_critical_ratio must not exceed coverage_watch_ratio")
        return self


class Signatory(_Strict):
    """One signature place of the laporan harian's closing block; ``{wilayah}`` in a title is the
    pack's unit. A missing name leaves a blank line to sign on: names are never made up."""

    peran: str  # the line above the title: "Mengetahui", "Yang melaporkan"
    jabatan: str
    nama: str | None = None
    nip: str | None = None


class Closing(_Strict):
    """The closing block of a printed pack in the form of a laporan harian (analysis.packs)."""

    # ``{kode}`` the unit's dotted code, ``{tanggal}`` the report date as YYYYMMDD,
    # ``{bulan_romawi}`` and ``{tahun}`` its month in Roman numerals and its year
    nomor: str = "LH-DP/{kode}/{tanggal}"
    tempat: dict[str, str] = {}  # place of signing per dotted unit code; default: the unit's name
    signatories: list[Signatory] = []
    signatories_by_unit: dict[
        str, list[Signatory]
    ] = {}  # per dotted unit code, replaces the default


class Briefing(_Strict):
    """What the briefing packs show (analysis.packs); reasons in settings.yaml."""

    stages: list[Stage] = []
    status: ChildStatus = ChildStatus()
    list_rows: int = Field(default=10, ge=1, le=100)
    print_lines: int = Field(default=12, ge=3, le=1000)
    closing: Closing = Closing()


class RecapStep(_Strict):
    """One tier of the official recapitulation with KPU's dates for it."""

    tingkat: Literal["kecamatan", "kabkota", "provinsi"]
    mulai: dt.date
    selesai: dt.date


class Rekapitulasi(_Strict):
    """The official recapitulation's schedule per tier (analysis.reconcile.rekap); source in
    settings.yaml."""

    sumber: str = ""
    jadwal: list[RecapStep] = []

    def deadline(self, tingkat: str) -> dt.date | None:
        """The last day KPU's schedule gives the tier's recap (None: no date)."""
        return next((j.selesai for j in self.jadwal if j.tingkat == tingkat), None)


class KpuSite(_Strict):
    """One KPU results site: where it lives and how its files are laid out (analysis.pull.site)."""

    base_url: str
    jenis: list[Literal["pkwkp", "pkwkk", "ppwp"]] = Field(min_length=1)
    wilayah: str  # region tree folder, ``{jenis}`` filled in
    paslon: str  # candidates file, ``{jenis}`` filled in
    hhcw: str  # aggregates and per-TPS records folder, ``{jenis}`` filled in
    record: Literal["tungsura", "top"]  # where a record's chart/administrasi sit
    paslon_per_wilayah: bool  # candidates keyed by region code first (Pilkada) or not (Pemilu)

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("needs http:// or https://")
        return v.rstrip("/")


class KpuPull(_Strict):
    """Pulling KPU's published results (analysis.pull); reasons in settings.yaml."""

    site: str = "pilkada"
    sites: dict[str, KpuSite]
    concurrency: int = Field(ge=1, le=32)
    rate_per_second: float = Field(ge=0)
    connect_timeout_seconds: float = Field(gt=0)
    read_timeout_seconds: float = Field(gt=0)
    total_timeout_seconds: float = Field(gt=0)
    retries: int = Field(ge=0, le=10)
    backoff_seconds: float = Field(ge=0)
    backoff_max_seconds: float = Field(ge=0)
    retry_after_max_seconds: float = Field(ge=0)
    stop_after_failures: int = Field(ge=1)
    max_body_bytes: int = Field(gt=0)
    resume_within_hours: float = Field(gt=0)
    carry_unchanged_regions: bool
    user_agent: str

    @model_validator(mode="after")
    def _site_known(self) -> KpuPull:
        if self.site not in self.sites:
            raise ValueError(f"site {self.site!r} is not one of {sorted(self.sites)}")
        return self


class RunSafety(_Strict):
    """What a run checks before any work (analysis.preflight); reasons in settings.yaml."""

    min_free_mb: int = Field(default=500, ge=0)
    log_keep: int = Field(default=336, ge=1)
    schedule_every_minutes: int = Field(default=30, ge=1, le=1440)


class PassphraseSource(_Strict):
    """Where a locked edition's passphrase comes from: an environment variable, else a file.

    Never the command line (other users see it in the process list) and never the repository.
    """

    env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    file: Path | None = None  # absolute or ~/..., outside the repository; first line, mode 600

    @field_validator("file")
    @classmethod
    def _outside_repo(cls, v: Path | None) -> Path | None:
        if v is None:
            return v
        if not (v.is_absolute() or str(v).startswith("~")):
            raise ValueError("needs an absolute path or ~/... (a file outside the repository)")
        if v.expanduser().resolve().is_relative_to(REPO_ROOT):
            raise ValueError("must lie outside the repository (a passphrase is never committed)")
        return v


class Recipient(_Strict):
    """Who receives one bundle: the packs of ``units`` (and their descendants' packs)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._{}-]*$")  # bundle file name; {kode} = the unit
    name: str = Field(min_length=1)  # written in the manifest; {nama} = the unit's name
    units: list[str] | Literal["each"]  # unit codes of the tier, or one bundle per pack of the tier
    descendants: bool = True  # also the packs of units inside them made in the same run

    @model_validator(mode="after")
    def _each_needs_placeholder(self) -> Recipient:
        if "{" in self.id.replace("{kode}", "") or "}" in self.id.replace("{kode}", ""):
            raise ValueError("id: the only placeholder a file name may carry is {kode}")
        if self.units == "each" and "{kode}" not in self.id:
            raise ValueError("units: each needs {kode} in id (one bundle per unit)")
        return self


class Share(_Strict):
    """Packs that travel (analysis.packs.share): locked edition, Excel annex, bundles; reasons in
    settings.yaml."""

    locked_tiers: list[Tier] = []
    required_tiers: list[Tier] = []
    passphrase: PassphraseSource = PassphraseSource()
    tier_passphrases: dict[Tier, PassphraseSource] = {}
    min_passphrase_chars: int = Field(default=12, ge=8)
    pbkdf2_iterations: int = Field(default=600_000, ge=100_000)
    annex_tiers: list[Tier] = []
    annex_inside_locked: bool = True
    recipients: dict[Tier, list[Recipient]] = {}

    @model_validator(mode="after")
    def _required_are_locked(self) -> Share:
        extra = set(self.required_tiers) - set(self.locked_tiers)
        if extra:
            raise ValueError(f"required_tiers {sorted(extra)} are not in locked_tiers")
        return self


class Settings(_Strict):
    paths: Paths
    election: Election
    desk: Desk
    demo: Demo
    kerawanan: Kerawanan = Kerawanan()
    penapisan: Penapisan = Penapisan()
    proyeksi: Proyeksi = Proyeksi()
    briefing: Briefing = Briefing()
    rekapitulasi: Rekapitulasi = Rekapitulasi()
    kpu_pull: KpuPull
    run: RunSafety = RunSafety()
    share: Share = Share()


def _format_errors(source: Path, err: ValidationError) -> str:
    lines = [f"{source}: invalid settings"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden":
            lines.append(f"  - {where}: unknown key (not a setting the workbench knows)")
        else:
            lines.append(f"  - {where}: {e['msg']} (got {e.get('input')!r})")
    return "\n".join(lines)


def load_settings(path: Path | str | None = None, **overrides: object) -> Settings:
    """Read, validate and return the settings.

    ``overrides`` replace top-level sections key by key, e.g. ``desk={"unit_code": "16.71",
    "tier": "kabkota"}`` (a dict is merged into the section read from the file).
    """
    source = Path(path) if path else DEFAULT_SETTINGS_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise SettingsError(f"{source}: cannot read settings ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SettingsError(f"{source}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{source}: expected a mapping of sections, got {type(data).__name__}")
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise SettingsError(_format_errors(source, exc)) from None


def code_version() -> str:
    """``git describe`` of the repository, else the installed package version (run details)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--tags"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("desk-pilkada")
    except PackageNotFoundError:
        return "tidak diketahui"


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    """The repository's settings file, loaded once per process."""
    return load_settings()
