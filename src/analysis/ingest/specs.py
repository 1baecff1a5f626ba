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

from analysis.schemas import (
    INCIDENTS,
    OFFICIAL_REGION,
    OFFICIAL_TPS,
    OFFICIAL_VOTES,
    PASLON,
    READINESS,
    TALLY,
    TALLY_VOTES,
    TPS,
)


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
    #: flags of what a row holds; a row holding none of them is empty and never supersedes a
    #: version that holds something (it is kept as a flagged version; Sirekap publishes empty
    #: records, e.g. ``tungsura: null``, where a result stood)
    content: tuple[str, ...] = ()

    @property
    def dataset(self) -> str:
        """The dataset name in the quarantine and the check summary (the validator's, if any)."""
        return self.validate_as or self.name


# fmt: off
SPECS: dict[str, Spec] = {
    s.kind: s
    for s in (
        #    kind               dataset               entity                                             version          history validate_as
        Spec("ref_paslon",      PASLON.name,          ("kode_kontestasi", "nomor_urut"),                 None,            False,  None),
        Spec("ref_tps",         TPS.name,             ("kode_tps",),                                     None,            False,  TPS.name),
        Spec("tally",           TALLY.name,           ("kode_tps", "kode_kontestasi"),                   "waktu_laporan", True,   TALLY.name),
        Spec("official",        OFFICIAL_TPS.name,    ("kode_tps", "kode_kontestasi"),                   "waktu_tarik",   True,   OFFICIAL_TPS.name,    snapshot=True, content=("ada_chart", "ada_administrasi")),
        Spec("official_region", OFFICIAL_REGION.name, ("kode_wilayah", "kode_kontestasi", "nomor_urut"), "waktu_terima",  True,   OFFICIAL_REGION.name),
        Spec("incidents",       INCIDENTS.name,       ("id_insiden",),                                   "waktu_laporan", False,  INCIDENTS.name),
        Spec("readiness",       READINESS.name,       ("kode_wilayah", "tanggal", "indikator"),          None,            False,  READINESS.name),
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
    TPS.name,
    PASLON.name,
    TALLY.name,
    TALLY_VOTES.name,
    OFFICIAL_TPS.name,
    OFFICIAL_VOTES.name,
    OFFICIAL_REGION.name,
    INCIDENTS.name,
    READINESS.name,
)

#: Non-canonical columns worth keeping in a processed dataset (for the packs and analysts).
EXTRAS: dict[str, tuple[str, ...]] = {
    TALLY.name: ("jumlah_suara_paslon", "paslon_asing"),
    OFFICIAL_TPS.name: ("jumlah_suara_paslon", "paslon_asing"),
    OFFICIAL_VOTES.name: ("asing",),
    INCIDENTS.name: (
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
