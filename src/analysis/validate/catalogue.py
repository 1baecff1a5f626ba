"""``docs/checks.md``: the catalogue of every validation check, written from the check tables.

A desk analyst reads there, in Bahasa Indonesia, what each check looks at, whether it rejects or
warns, why, and where its threshold comes from, without reading Python. The page is generated:
``python -m analysis checks-doc`` (``make checks-doc``) rewrites it, ``--check`` fails when the
committed page is stale, and a test does the same.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import console
from analysis.schemas import (
    CHECK_SUMMARY,
    INCIDENTS,
    OFFICIAL_REGION,
    OFFICIAL_TPS,
    QUARANTINE,
    READINESS,
    TALLY,
    TPS,
)
from analysis.settings import REPO_ROOT, Settings, default_settings
from analysis.validate.checks import DATASETS, checks_for
from analysis.validate.model import Check

DOC = REPO_ROOT / "docs" / "checks.md"

#: What each dataset holds, for the reader (heading of its section).
TITLES: dict[str, str] = {
    TALLY.name: "Hitung internal desk per TPS (C.Hasil yang dikirim petugas lapangan)",
    OFFICIAL_TPS.name: "Catatan resmi KPU per TPS (Sirekap)",
    OFFICIAL_REGION.name: "Rekapitulasi resmi KPU per wilayah (D.Hasil / agregat Sirekap)",
    INCIDENTS.name: "Laporan insiden (setelah label dinormalisasi)",
    READINESS.name: "Kesiapan per wilayah (logistik, perekaman KTP-el, NPHD)",
    TPS.name: "Daftar TPS (referensi)",
}

_INTRO = f"""\
# Katalog pemeriksaan data

> Halaman ini dibuat otomatis dari tabel pemeriksaan (`src/analysis/validate/checks/`) dan
> `config/settings.yaml` dengan `python -m analysis checks-doc` (`make checks-doc`). Jangan
> disunting langsung: ubah tabelnya atau settings, lalu jalankan perintah itu lagi.

Setiap baris yang masuk diperiksa oleh Great Expectations sebelum dipakai. Ada dua tingkat:

- **tolak**: baris tidak dipakai; ia disimpan di karantina (`{QUARANTINE.name}`) bersama
  alasannya, agar pengirim membetulkan dan mengirim ulang.
- **peringatan**: baris tetap dipakai, dengan catatan di kolom `peringatan` untuk ditindaklanjuti.

Nama pemeriksaan (kolom pertama) adalah awalan setiap pesan di karantina dan di kolom
`peringatan`, dan kolom `pemeriksaan` di ringkasan `{CHECK_SUMMARY.name}`. "docs/domain.md §N"
merujuk ke bagian N catatan domain proyek (`docs/domain.md`); "settings" ke `config/settings.yaml`.
"""


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _row(c: Check) -> str:
    what = f"**{_cell(str(c.alasan))}.** {_cell(str(c.aturan))}"
    cells = [f"`{c.id}`", what, c.tingkat, _cell(str(c.mengapa)), _cell(str(c.sumber))]
    return "| " + " | ".join(cells) + " |"


def _overview(tables: dict[str, list[Check]]) -> list[str]:
    lines = [
        "## Ringkasan",
        "",
        "| Dataset | Isi | Pemeriksaan | tolak | peringatan |",
        "|---|---|---:|---:|---:|",
    ]
    for d, checks in tables.items():
        n_reject = sum(c.severity == "reject" for c in checks)
        lines.append(
            f"| [`{d}`](#{d}) | {TITLES.get(d, d)} | {len(checks)} | "
            f"{n_reject} | {len(checks) - n_reject} |"
        )
    return [*lines, ""]


def _section(dataset: str, checks: list[Check]) -> list[str]:
    return [
        f"## {dataset}",
        "",
        f"{TITLES.get(dataset, dataset)}.",
        "",
        "| Pemeriksaan | Yang diperiksa | Tingkat | Mengapa | Ambang dan sumber |",
        "|---|---|---|---|---|",
        *(_row(c) for c in checks),
        "",
    ]


def render(settings: Settings | None = None) -> str:
    """The whole page, from the check tables and the settings."""
    s = settings or default_settings()
    tables = {d: checks_for(d, s) for d in DATASETS}
    lines = [_INTRO, *_overview(tables)]
    for d, checks in tables.items():
        lines += _section(d, checks)
    return "\n".join(lines).rstrip("\n") + "\n"


def write(path: Path = DOC, settings: Settings | None = None) -> Path:
    """Write the page to ``path``; the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(settings), encoding="utf-8")
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", type=Path, default=DOC, help="where to write the page")
    parser.add_argument(
        "--check", action="store_true", help="only compare: fail if the page is stale"
    )


def run(args: argparse.Namespace) -> int:
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != render():
            console.say(f"{args.output}: usang; jalankan `python -m analysis checks-doc`")
            return 1
        console.say(f"{args.output}: mutakhir")
        return 0
    console.say(f"katalog pemeriksaan ditulis: {write(args.output)}")
    from analysis.validate.engine import sync_suites  # Great Expectations: slow to import

    console.say(f"suite Great Expectations ditulis ulang: {sync_suites()}")
    return 0
