"""Sources appendix: the unit's input files with their SHA-256, the code version, the run's times
and how to read the pack's counts (:data:`~analysis.packs.labels.BACAAN`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from analysis import fmt
from analysis.packs.html import Html, angka_el, bagian, esc, kosong, tabel
from analysis.packs.labels import BACAAN, dataset_label
from analysis.packs.load import Pack, derived
from analysis.packs.sections.common import guarded, lainnya
from analysis.settings import code_version


@guarded
def section_sumber(pack: Pack) -> Html:
    """Sources and run details: input files with their SHA-256, code version, times."""
    parts = []
    ver = pack.run.code_version or code_version()
    info = [
        ["Data per", pack.waktu(pack.as_of)],
        ["Laporan sebelumnya", pack.waktu(pack.previous_as_of)],
        ["Proses data dijalankan", pack.waktu(pack.run.generated_at)],
        ["Laporan ini dibuat", pack.waktu(dt.datetime.now(dt.UTC))],
        ["Versi kode", angka_el("versi_kode", ver, ver)],
        ["Folder data olahan", pack.processed_dir.name],
    ]
    parts.append(tabel(["Keterangan", "Isi"], info, kelas="tabel kepala"))
    led = pack.sumber
    if led is None or led.is_empty():
        parts.append(kosong("Daftar berkas sumber"))
    else:
        led = derived(led, "urut", lambda d: d.sort("dataset", "path", nulls_last=True))
        n = 200
        rows = [
            [
                Path(r["path"]).name,
                dataset_label(r.get("dataset")),
                fmt.angka(r.get("baris_diterima")),
                Html(f'<code class="hash" data-angka="sha256">{esc(r["sha256"])}</code>'),
            ]
            for r in led.head(n).iter_rows(named=True)
        ]
        parts.append(
            Html(
                "<h3>Berkas masukan wilayah ini "
                f"({angka_el('n_berkas_sumber', fmt.angka(led.height), led.height)})</h3>"
            )
        )
        parts.append(tabel(["Berkas", "Data", "Baris diterima", "SHA-256"], rows, kanan=(2,)))
        parts.append(lainnya(min(n, led.height), led.height, "berkas"))
    parts.append("<h3>Cara membaca angka</h3>")
    parts.append(tabel(["Istilah", "Artinya"], [list(r) for r in BACAAN], kelas="tabel bacaan"))
    return bagian("sumber", "Lampiran: sumber dan proses", "".join(parts))
