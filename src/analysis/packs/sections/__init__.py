"""The pack's sections, one module each; every builder takes a :class:`~analysis.packs.load.Pack`
and returns one ``<section class="bagian">`` of safe HTML (a failing one shows an error box).

The notebook calls them one by one in the order of :data:`SECTIONS`.
"""

from __future__ import annotations

import polars as pl

from analysis.packs.load import Pack
from analysis.packs.sections.answer import first_screen, section_jawaban
from analysis.packs.sections.closing import section_penutup
from analysis.packs.sections.comparison import section_banding
from analysis.packs.sections.count import section_hitung
from analysis.packs.sections.followup import section_rekomendasi
from analysis.packs.sections.hotspots import section_kerawanan
from analysis.packs.sections.identity import section_kepala
from analysis.packs.sections.incidents import section_insiden
from analysis.packs.sections.indicators import readiness_summary, section_indikator
from analysis.packs.sections.maps import section_peta
from analysis.packs.sections.navigation import section_wilayah
from analysis.packs.sections.projection import section_proyeksi
from analysis.packs.sections.quality import section_kualitas
from analysis.packs.sections.rekap import section_penetapan, section_rekap
from analysis.packs.sections.screens import section_penapisan
from analysis.packs.sections.sources import section_sumber
from analysis.packs.sections.stages import section_tahapan, stage_position
from analysis.packs.sections.summary import child_status, section_ringkasan
from analysis.packs.sections.technical import section_lampiran, section_lampiran_kepala

#: Section builders in the order a pack shows them.
SECTIONS = (
    section_kepala,
    section_penetapan,
    section_jawaban,
    section_ringkasan,
    section_rekap,
    section_wilayah,
    section_proyeksi,
    section_tahapan,
    section_indikator,
    section_hitung,
    section_banding,
    section_insiden,
    section_kerawanan,
    section_peta,
    section_rekomendasi,
    section_lampiran,
    section_penutup,
)
#: The technical annex's sections: a page of their own beside the pack (cells tagged ``lampiran``);
#: the anomaly screens are an analyst's pointers, the pack keeps their count (``section_lampiran``).
ANNEX_SECTIONS = (section_lampiran_kepala, section_penapisan, section_kualitas, section_sumber)

#: Sections shown only once their matter exists (empty before): the penetapan leads the pack from
#: the day KPU's determination is in.
OCCASIONAL = (section_penetapan,)

__all__ = [
    "ANNEX_SECTIONS",
    "OCCASIONAL",
    "SECTIONS",
    "child_status",
    "first_screen",
    "readiness_summary",
    "render_all",
    "stage_position",
    "warm_up",
    *(f.__name__ for f in SECTIONS + ANNEX_SECTIONS),
]


def render_all(pack: Pack) -> str:
    """Every section of the pack and its annex concatenated (for tests and quick previews; the
    notebook shows them one by one)."""
    return "".join(f(pack) for f in SECTIONS + ANNEX_SECTIONS)


def warm_up() -> None:
    """Pay a kernel's one-off costs before its first pack: vl-convert's start-up (one small chart
    of each kind) and the region names the incident tables look up (the whole Kemendagri tree,
    ~2 s to build). The executor runs this while the inputs are being prepared; nothing here reads
    the processed folder."""
    from analysis.analyse import incidents
    from analysis.domain import regions
    from analysis.packs import charts

    charts.warm_up()
    incidents.with_names(pl.DataFrame({"kode_wilayah": [regions.NATIONAL]}))
