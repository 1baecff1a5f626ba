"""Input templates for field staff: the Excel and CSV layouts of tally and incident reports.

Each template has a title row and a short instruction row in Bahasa Indonesia ABOVE the header
row (the readers' header detection skips them), then the canonical headers of COMMON.md, and no
data rows. The workbooks add a sheet "Petunjuk" (what each column holds, with an example) and a
sheet "Nilai yang diizinkan" (the codes of the taxonomy in config/taxonomy.yaml).
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path
from typing import Any

from analysis import console
from analysis.demo import INCIDENT_HEADERS, READINESS_HEADERS, TALLY_HEADERS
from analysis.settings import REPO_ROOT, default_settings
from analysis.taxonomy import taxonomy
from analysis.xlsx import write_xlsx

_TALLY_TITLE = "TEMPLAT LAPORAN HITUNG INTERNAL (FORMULIR C.HASIL) — DESK PILKADA"
_TALLY_INSTRUCTION = (
    "Petunjuk: isi SATU baris per TPS per jenis pemilihan, mulai di bawah baris judul kolom; "
    "jangan mengubah judul kolom. kode_tps = 13 digit (kode desa tanpa titik + nomor TPS 3 digit); "
    "jenis_pemilihan = pkwkp (Gubernur) atau pkwkk (Bupati/Walikota); waktu_laporan = "
    "'2024-11-27 16:05' waktu setempat; angka tanpa titik/koma; kosongkan kolom paslon yang tidak ada."
)
_INCIDENT_TITLE = "TEMPLAT LAPORAN INSIDEN — DESK PILKADA"
_INCIDENT_INSTRUCTION = (
    "Petunjuk: isi SATU baris per insiden, mulai di bawah baris judul kolom; jangan mengubah judul "
    "kolom. Gunakan kode pada sheet 'Nilai yang diizinkan' untuk tahapan, kategori (boleh lebih "
    "dari satu, pisahkan dengan ';'), tingkat_keparahan, status dan instansi; waktu "
    "'2024-11-27 09:15' waktu setempat; kode_wilayah = kode Kemendagri (mis. 16.71.01.1001)."
)
_READINESS_TITLE = "TEMPLAT INDIKATOR KESIAPAN — DESK PILKADA"
_READINESS_INSTRUCTION = (
    "Petunjuk: isi SATU baris per kab/kota per tanggal per indikator (logistik_diterima, "
    "perekaman_ktp_el, nphd_dibayar); nilai = pembilang/penyebut sebagai desimal (0,98) atau "
    "persen (98,03%)."
)

_TALLY_HELP: dict[str, tuple[str, str]] = {
    "kode_tps": ("Kode TPS 13 digit", "1671011001001"),
    "jenis_pemilihan": ("pkwkp = Gubernur, pkwkk = Bupati/Walikota", "pkwkk"),
    "waktu_laporan": ("Waktu laporan dikirim, waktu setempat", "2024-11-27 16:05"),
    "pelapor": ("Nama petugas pelapor", "Korcam Ilir Barat Dua"),
    "pemilih_dpt": ("Jumlah pemilih dalam DPT (J)", "412"),
    "pemilih_dpt_l": ("DPT laki-laki", "205"),
    "pemilih_dpt_p": ("DPT perempuan", "207"),
    "pengguna_dpt": ("Pengguna hak pilih dari DPT", "318"),
    "pengguna_dptb": ("Pengguna hak pilih DPTb (pindahan)", "3"),
    "pengguna_dpk": ("Pengguna hak pilih DPK (KTP-el)", "1"),
    "pengguna_total": ("Jumlah pengguna hak pilih = DPT + DPTb + DPK", "322"),
    "pengguna_total_l": ("Pengguna hak pilih laki-laki", "160"),
    "pengguna_total_p": ("Pengguna hak pilih perempuan", "162"),
    "surat_suara_diterima": ("Surat suara diterima (DPT + 2,5% cadangan)", "423"),
    "surat_suara_digunakan": ("Surat suara digunakan", "322"),
    "surat_suara_rusak": ("Surat suara rusak/keliru coblos dikembalikan", "1"),
    "surat_suara_tidak_digunakan": ("Surat suara tidak digunakan", "100"),
    "suara_kolom_kosong": ("Suara kolom kosong (hanya pemilihan calon tunggal)", ""),
    "suara_sah": ("Jumlah suara sah = jumlah suara semua paslon", "312"),
    "suara_tidak_sah": ("Jumlah suara tidak sah", "10"),
    "suara_total": ("Jumlah suara sah + tidak sah", "322"),
}


def _taxonomy_codes() -> dict[str, list[tuple[str, str]]]:
    """(code, label) per incident field, from the one taxonomy (config/taxonomy.yaml)."""
    tax = taxonomy()
    return {name: list(spec.labels.items()) for name, spec in tax.fields.items()}


def _csv_text(title: str, instruction: str, header: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([title])
    w.writerow([instruction])
    w.writerow(header)
    return buf.getvalue()


def _allowed_sheet() -> list[list[Any]]:
    rows: list[list[Any]] = [
        ["NILAI YANG DIIZINKAN"],
        ["Tulis kodenya (kolom 'kode'); label hanya penjelasan."],
        ["kolom", "kode", "label"],
    ]
    for fld, pairs in _taxonomy_codes().items():
        rows += [[fld, code, label] for code, label in pairs]
    rows += [
        ["jenis_pemilihan", "pkwkp", "Pemilihan Gubernur"],
        ["jenis_pemilihan", "pkwkk", "Pemilihan Bupati/Walikota"],
        ["indikator", "logistik_diterima", "Kecamatan yang sudah menerima logistik"],
        ["indikator", "perekaman_ktp_el", "Penduduk wajib KTP-el yang sudah merekam"],
        ["indikator", "nphd_dibayar", "Dana hibah (NPHD) yang sudah dibayarkan"],
    ]
    return rows


def _help_sheet(header: list[str], help_: dict[str, tuple[str, str]]) -> list[list[Any]]:
    rows: list[list[Any]] = [["PETUNJUK PENGISIAN"], [], ["kolom", "keterangan", "contoh"]]
    for h in header:
        if h.startswith("suara_paslon_"):
            n = h.rsplit("_", 1)[1]
            rows.append([h, f"Suara paslon nomor urut {n} (kosongkan bila tidak ada)", ""])
        else:
            desc, example = help_.get(h, ("", ""))
            rows.append([h, desc, example])
    return rows


#: (file stem, title, instruction, header, name of the first sheet, column help).
_SPECS: tuple[tuple[str, str, str, tuple[str, ...], str, dict[str, tuple[str, str]]], ...] = (
    (
        "templat_hitung_internal",
        _TALLY_TITLE,
        _TALLY_INSTRUCTION,
        TALLY_HEADERS,
        "Laporan",
        _TALLY_HELP,
    ),
    ("templat_insiden", _INCIDENT_TITLE, _INCIDENT_INSTRUCTION, INCIDENT_HEADERS, "Insiden", {}),
    (
        "templat_kesiapan",
        _READINESS_TITLE,
        _READINESS_INSTRUCTION,
        READINESS_HEADERS,
        "Kesiapan",
        {},
    ),
)


def write_templates(out_dir: Path) -> list[Path]:
    """Write the tally, incident and readiness templates (xlsx and csv); return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for stem, title, instruction, columns, sheet, help_ in _SPECS:
        header = list(columns)
        xlsx = out_dir / f"{stem}.xlsx"
        write_xlsx(
            xlsx,
            [
                (sheet, [[title], [instruction], header]),
                ("Petunjuk", _help_sheet(header, help_)),
                ("Nilai yang diizinkan", _allowed_sheet()),
            ],
        )
        path = out_dir / f"{stem}.csv"
        path.write_text(_csv_text(title, instruction, header), encoding="utf-8")
        written += [xlsx, path]
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default <paths.reports>/templates)",
    )


def run(args: argparse.Namespace) -> int:
    out = args.out or default_settings().paths.resolved().reports / "templates"
    for p in write_templates(out):
        shown = p.relative_to(REPO_ROOT) if p.is_relative_to(REPO_ROOT) else p
        console.say(f"templates: {shown}")
    return 0
