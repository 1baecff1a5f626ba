"""The kinds of input ingest knows, as data: what each kind becomes and how its versions replace
one another.

A raw file's kind comes from where it lies in the drop (:func:`analysis.read.kind_of`); this
table says, per kind, which processed dataset it feeds, what one entity of it is, which column
orders its versions, whether superseded versions stay in the dataset, and under which name the
validator checks it. The rules that act on this table are in :mod:`analysis.ingest.fates`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Spec:
    """How one kind of raw file becomes a processed dataset.

    ``entity``: what a newer version replaces; ``version``: the column that orders versions (None:
    file order); ``history``: superseded versions stay in the dataset; ``validate_as``: the
    validator's dataset name (None: not validated beyond reading); ``snapshot``: a record equal to
    the entity's previous version (a later KPU pull where nothing changed) is an exact duplicate of
    it, not a version of its own.
    """

    kind: str
    name: str
    entity: tuple[str, ...]
    version: str | None
    history: bool
    validate_as: str | None
    snapshot: bool = False  # each file is a full snapshot: an unchanged record is not a new version

    @property
    def dataset(self) -> str:
        """The dataset name in the quarantine and the check summary (the validator's, if any)."""
        return self.validate_as or self.name


# fmt: off
SPECS: dict[str, Spec] = {
    s.kind: s
    for s in (
        #    kind               dataset            entity                                             version          history validate_as
        Spec("ref_paslon",      "ref_paslon",      ("kode_kontestasi", "nomor_urut"),                 None,            False,  None),
        Spec("ref_tps",         "ref_tps",         ("kode_tps",),                                     None,            False,  "ref_tps"),
        Spec("tally",           "tally_tps",       ("kode_tps", "kode_kontestasi"),                   "waktu_laporan", True,   "tally_tps"),
        Spec("official",        "official_tps",    ("kode_tps", "kode_kontestasi"),                   "waktu_tarik",   True,   "official_tps",   snapshot=True),
        Spec("official_region", "official_region", ("kode_wilayah", "kode_kontestasi", "nomor_urut"), None,            False,  "official_region"),
        Spec("incidents",       "incidents",       ("id_insiden",),                                   "waktu_laporan", False,  "incidents"),
        Spec("readiness",       "readiness",       ("kode_wilayah", "tanggal", "indikator"),          None,            False,  "readiness"),
    )
}
# fmt: on

#: The canonical kind order: references first (tally and KPU records need them). Outputs
#: (quarantine, check summary, accounting) follow it.
ORDER = ("ref_paslon", "ref_tps", "tally", "official", "official_region", "incidents", "readiness")

#: The order kinds are processed in: the references first (the others are checked against them),
#: then the small kinds while the worker processes still parse the tally files and the Sirekap
#: pulls. Outputs keep :data:`ORDER`.
PROCESS_ORDER = (
    "ref_paslon",
    "ref_tps",
    "official_region",
    "incidents",
    "readiness",
    "tally",
    "official",
)

#: Every processed dataset ingest writes (an empty one when the drop holds none of its rows).
DATASETS = (
    "ref_tps",
    "ref_paslon",
    "tally_tps",
    "tally_votes",
    "official_tps",
    "official_votes",
    "official_region",
    "incidents",
    "readiness",
)

#: Non-canonical columns worth keeping in a processed dataset (for the packs and analysts).
EXTRAS: dict[str, tuple[str, ...]] = {
    "tally_tps": ("jumlah_suara_paslon", "paslon_asing"),
    "official_tps": ("jumlah_suara_paslon", "paslon_asing"),
    "official_votes": ("asing",),
    "incidents": (
        "lokasi",
        "label_tidak_dikenal",
        "status_verifikasi_asli",
        "status_penanganan_asli",
        "instansi_asli",
    ),
}

#: The kinds whose raw rows carry vote entries (one row per paslon in ``votes``).
WITH_VOTES = ("tally", "official")

#: The reference kinds: later kinds are prepared and checked against them.
REFERENCES = ("ref_paslon", "ref_tps")


def is_sirekap_record(kind: str, path: Path) -> bool:
    """A Sirekap per-TPS JSON file: one record, whose name (the TPS code) and pull folder are part
    of the record (two TPS can publish byte-identical files)."""
    return kind == "official" and path.suffix.lower() == ".json"
