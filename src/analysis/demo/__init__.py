"""The demo election: a realistic, deterministic Pilkada 2024 raw drop for any scope.

``generate(scope, seed, as_of, out)`` writes the RAW DROP LAYOUT of :mod:`analysis.catalog` for one
kab/kota (``"16.71"``), one province (``"16"``) or the whole country (``"00"``), on the real
Kemendagri region tree, mid-count at ``as_of``. The package reads in the order it runs:

- :mod:`.world`: the true election — TPS with DPT (≤ 600 per TPS, ≈ 429,000 TPS nationally),
  2–6 invented paslon per contest (a few single-candidate contests with a kolom kosong), the true
  counts, when each report arrives and KPU publishes (:mod:`.timeline`, names from :mod:`.names`);
  towns and near-road TPS report first and vote differently from remote desa (:mod:`.arrival`),
  and the TPS of the PVT sample drawn before voting day (:mod:`.pvt`, written into
  ``referensi/sampel_pvt.*``) are reported first of all;
- :mod:`.faults`: the injected faults as one table, drawn on the world's TPS × contest rows and
  applied by :mod:`.faults_internal` and :mod:`.faults_kpu`;
- one module per source written into the drop: :mod:`.references` (``referensi/``),
  :mod:`.internal` with :mod:`.tally_files` (``hitung_internal/``: field staff's reports per
  kab/kota per batch in the messy forms a desk receives — ``;``, ``1.234``, BOM, cp1252, alias
  headers, Excel title rows, two sheets — with corrections, duplicates, typing errors and three
  unreadable files), :mod:`.sirekap` (``kpu/<pull>/tps/``: Sirekap per-TPS JSON snapshots, per
  file or bundled JSONL), :mod:`.dhasil` (``kpu/rekap/``: D.Hasil recaps of a few kecamatan),
  :mod:`.incidents` with :mod:`.incident_labels` (``insiden/``), :mod:`.readiness` (``kesiapan/``);
- :mod:`.manifest` (``manifest.json``: the ground truth of everything injected), and
  :mod:`.generator` running them in order; :mod:`.cli` is ``python -m analysis demo``.

Same seed, scope and as_of → byte-identical files (xlsx timestamps are pinned). Names of paslon and
field staff are built from invented syllables: they are never real people.
"""

from analysis.demo.cli import add_arguments, run
from analysis.demo.faults import FAULTS, Fault
from analysis.demo.generator import generate
from analysis.demo.incidents import INCIDENT_HEADERS
from analysis.demo.marker import is_demo
from analysis.demo.readiness import READINESS_HEADERS
from analysis.demo.tally_files import TALLY_HEADERS
from analysis.demo.world import VOTE_COLS

__all__ = [
    "FAULTS",
    "INCIDENT_HEADERS",
    "READINESS_HEADERS",
    "TALLY_HEADERS",
    "VOTE_COLS",
    "Fault",
    "add_arguments",
    "generate",
    "is_demo",
    "run",
]
