"""Maps: the child units coloured by kerawanan class and by coverage of the internal count.

Two choropleths from the shipped boundary asset (:mod:`analysis.packs.maps`): provinces in the
national pack, kab/kota in a province pack, kecamatan in a kab/kota pack. A kecamatan pack has no
map (desa boundaries are not shipped). Each legend line names its units, so the map also reads as
text on a phone, where hovering is not possible; a child unit without a shape is named below.
"""

from __future__ import annotations

from functools import lru_cache

from analysis import fmt
from analysis.analyse.kerawanan import CLASSES
from analysis.domain import regions
from analysis.packs.html import Html, bagian, esc, kosong, p
from analysis.packs.labels import ANAK_LABEL, STATUS_LABEL
from analysis.packs.load import Pack
from analysis.packs.maps import asset
from analysis.packs.maps.svg import Isian, Kelas, legend, map_svg
from analysis.packs.sections.common import guarded
from analysis.packs.sections.summary import child_status
from analysis.settings import ChildStatus

#: Fills of the kerawanan classes: one hue darkening with the class (YlOrRd-like), so the order
#: reads by lightness alone for colour-blind readers; units not scored are hatched.
KERAWANAN_WARNA: dict[str, str] = {
    CLASSES[0]: "#a50f15",
    CLASSES[1]: "#ef7d3c",
    CLASSES[2]: "#fdd77a",
}
TANPA_PETA_KECAMATAN = (
    "Peta tidak dibuat untuk paket kecamatan: batas desa/kelurahan tidak termasuk data batas "
    "yang disertakan."
)
TIDAK_DINILAI = Kelas("tidak dinilai", "Tidak dinilai (tidak ada TPS dalam data)", None)

#: Fills of the coverage classes, darkest = complete (a blue ramp, distinct from the kerawanan map).
CAKUPAN_WARNA: tuple[str, ...] = ("#08306b", "#2171b5", "#6baed6", "#c6dbef")
TANPA_CAKUPAN = Kelas("tanpa data", "Tidak ada TPS yang diharapkan / belum ada data", None)


def kerawanan_kelas() -> list[Kelas]:
    """Legend of the kerawanan map, most serious first."""
    return [Kelas(c, c.capitalize(), KERAWANAN_WARNA[c]) for c in CLASSES] + [TIDAK_DINILAI]


def cakupan_kelas(cfg: ChildStatus) -> list[tuple[float, Kelas]]:
    """(lower bound, class) of the coverage map, highest first; the cut-offs are the status rule's
    (``settings.briefing.status``), so a colour change means a status reason appears or goes."""
    watch, crit = fmt.persen(cfg.coverage_watch, 0), fmt.persen(cfg.coverage_critical, 0)
    bounds = (
        (1.0, "Lengkap (100%)"),
        (cfg.coverage_watch, f"{watch} sampai < 100%"),
        (cfg.coverage_critical, f"{crit} sampai < {watch}"),
        (0.0, f"< {crit}"),
    )
    return [
        (lo, Kelas(f"cakupan-{i}", label, warna))
        for i, ((lo, label), warna) in enumerate(zip(bounds, CAKUPAN_WARNA, strict=True))
    ]


@lru_cache(maxsize=64)
def _child_names(kode: str) -> dict[str, str]:
    """Names of every child unit of ``kode`` in the region tree (a pack's own list has only the
    children with data; the map draws them all)."""
    from analysis.reference import descendants

    tier = regions.TIERS[regions.depth(kode) + 1]
    kids = descendants(kode, tier)
    return dict(zip(kids["kode_wilayah"], kids["nama"], strict=True))


def _names(pack: Pack, group: asset.Group) -> dict[str, str]:
    """Display name of every shape of the group: the pack's own, else the region tree's."""
    tree = _child_names(pack.kode_wilayah)
    return {s.kode: pack.nama_wilayah.get(s.kode) or tree.get(s.kode, s.kode) for s in group.shapes}


def _kerawanan_isian(pack: Pack, names: dict[str, str]) -> dict[str, Isian]:
    scores = {}
    if pack.kerawanan is not None:
        scores = {r["kode_wilayah"]: r for r in pack.kerawanan.iter_rows(named=True)}
    out = {}
    for kode, nama in names.items():
        r = scores.get(kode)
        if r is None:
            out[kode] = Isian(TIDAK_DINILAI.kunci, nama, "tidak dinilai (tidak ada TPS dalam data)")
        else:
            teks = f"{r['kelas']}, skor {fmt.angka(r['skor'], 1)} dari 100"
            out[kode] = Isian(r["kelas"], nama, teks, r["kelas"])
    return out


def _cakupan_isian(
    pack: Pack, names: dict[str, str], bins: list[tuple[float, Kelas]]
) -> dict[str, Isian]:
    status = {r["kode_wilayah"]: r for r in child_status(pack).iter_rows(named=True)}
    out = {}
    for kode, nama in names.items():
        r = status.get(kode)
        cov = r["cakupan_internal"] if r else None
        if cov is None:
            out[kode] = Isian(TANPA_CAKUPAN.kunci, nama, "tidak ada TPS yang diharapkan dalam data")
            continue
        kelas = next(k for lo, k in bins if cov >= lo)
        teks = f"hitung internal {fmt.persen(cov)} TPS; status {STATUS_LABEL[r['status']]}"
        out[kode] = Isian(kelas.kunci, nama, teks, cov)
    return out


def _figure(
    pack: Pack,
    group: asset.Group,
    nama_peta: str,
    judul: str,
    kelas: list[Kelas],
    isian: dict[str, Isian],
) -> Html:
    satuan = ANAK_LABEL[pack.tingkat]
    judul = f"{judul} per {satuan}, {pack.nama}"
    ringkasan = "; ".join(
        f"{k.label}: {fmt.angka(sum(v.kelas == k.kunci for v in isian.values()))}" for k in kelas
    )
    svg = map_svg(group, nama_peta, judul, ringkasan, kelas, isian)
    return Html(
        f'<figure class="peta" data-peta="{esc(nama_peta)}" style="margin:0.5rem 0 1rem">'
        f"<figcaption><strong>{esc(judul)}</strong></figcaption>{svg}"
        f"{legend(kelas, isian, satuan)}</figure>"
    )


def _unmapped(pack: Pack, group: asset.Group) -> Html:
    """Children the asset has no shape for, named (a gap upstream must not pass silently)."""
    have = {s.kode for s in group.shapes}
    missing = [n for k, n in pack.anak.select("kode_wilayah", "nama").iter_rows() if k not in have]
    if not missing:
        return Html("")
    return p(
        f"Tidak tergambar (batasnya tidak ada dalam data batas): {', '.join(missing)}.", "catatan"
    )


CATATAN = (
    "Warna tiap wilayah juga tertulis pada daftar di bawah peta; arahkan kursor ke wilayah untuk "
    "nama dan nilainya. Wilayah yang terlalu kecil untuk terlihat diberi titik bercincin. "
    "Cakupan: bagian TPS yang diharapkan yang sudah masuk hitung internal (semua pemilihan di "
    "wilayah itu)."
)


def child_maps(pack: Pack, group: asset.Group) -> list[Html]:
    """The kerawanan map and the coverage map of the pack's children, each a ``<figure>`` (for a
    layout that places them apart, e.g. a command-centre slide)."""
    bins = cakupan_kelas(pack.settings.briefing.status)
    names = _names(pack, group)
    kerawanan = _kerawanan_isian(pack, names)
    cakupan = _cakupan_isian(pack, names, bins)
    return [
        _figure(pack, group, "kerawanan", "Kelas kerawanan", kerawanan_kelas(), kerawanan),
        _figure(
            pack,
            group,
            "cakupan",
            "Cakupan hitung internal",
            [k for _, k in bins] + [TANPA_CAKUPAN],
            cakupan,
        ),
    ]


@guarded
def section_peta(pack: Pack) -> Html:
    """Maps: the child units coloured by kerawanan class and by coverage of the internal count."""
    judul = "Peta wilayah"
    if pack.tingkat == "kecamatan":
        return bagian("peta", judul, p(TANPA_PETA_KECAMATAN, "catatan"))
    if pack.anak.is_empty():
        return bagian("peta", judul, kosong(judul))
    group = asset.group(pack.kode_wilayah)
    if group is None:
        return bagian("peta", judul, p("Tidak ada batas wilayah untuk unit ini.", "kosong"))
    parts = [*child_maps(pack, group), _unmapped(pack, group), p(CATATAN, "catatan")]
    return bagian("peta", judul, "".join(parts))
