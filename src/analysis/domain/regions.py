"""Region codes, tiers and contests: the arithmetic of Kemendagri codes, written once.

A region code is dotted ``PP.KK.CC.DDDD`` (provinsi 2 digits, kab/kota 2, kecamatan 2, desa 4); the
national root is ``"00"``. KPU (Sirekap) writes the same codes without dots, and a TPS code is the
10-digit desa code plus a 3-digit TPS number (13 digits). ``docs/domain.md`` §1 says it in words.

Every function comes in the form its callers need: a scalar one for one code, an ``*_expr`` one
for a polars column. Nothing here reads the region tree; :mod:`analysis.reference` does.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

NATIONAL = "00"
"""Code of the national root (the tier ``nasional``)."""

TIERS: tuple[str, ...] = ("nasional", "provinsi", "kabkota", "kecamatan", "desa")
"""Tiers of the region tree by depth: ``TIERS[depth(code)]``."""

CODE_LENGTH: dict[int, int] = {0: 2, 1: 2, 2: 5, 3: 8, 4: 13}
"""Characters of a dotted code by depth (``"00"`` and a province are both 2)."""

KPU_LENGTH: dict[int, int] = {1: 2, 2: 4, 3: 6, 4: 10}
"""Digits of an undotted (KPU) code by depth."""

TPS_CODE_DIGITS = 13
"""Digits of a KPU TPS code: the undotted desa code (10) + the TPS number (3)."""
TPS_CODE_PATTERN = rf"^\d{{{TPS_CODE_DIGITS}}}$"
"""A whole TPS code (for checks that take a regular expression, e.g. Great Expectations)."""

JENIS_GUBERNUR = "pkwkp"
JENIS_BUPATI = "pkwkk"
JENIS_PRESIDEN = "ppwp"

PILKADA_DEPTH: dict[str, int] = {JENIS_GUBERNUR: 1, JENIS_BUPATI: 2}
"""Depth of the region whose head a Pilkada contest elects: gubernur a provinsi, bupati/walikota a
kab/kota."""

# docs/domain.md §2: no gubernur contest in DIY; no bupati/walikota contest in DKI's six administrative units.
NO_GUBERNUR: frozenset[str] = frozenset({"34"})
NO_BUPATI: frozenset[str] = frozenset({"31.01", "31.71", "31.72", "31.73", "31.74", "31.75"})

KOTA_FROM = 70
"""A kab/kota segment of 70 or more is a *kota* (``16.71``), below a *kabupaten* (``16.01``)."""

KELURAHAN_DIGIT = "1"
"""First digit of a kelurahan's desa segment (``16.71.01.1001``); a desa's is 2, a desa adat's 3."""

_DOTTED = re.compile(r"\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?")
_UNIT = re.compile(r"00|\d{2}(\.\d{2}){0,2}")

# docs/domain.md §3: time zone by province code.
_WIB = {*range(11, 20), 21, *range(31, 37)}
_WIB_PONTIANAK = {61, 62}
_WITA = {51, 52, 53, 63, 64, 65, *range(71, 77)}
_WIT = {81, 82, *range(91, 97)}
_ZONE_OF_PROVINCE: dict[int, str] = {
    **dict.fromkeys(_WIB, "Asia/Jakarta"),
    **dict.fromkeys(_WIB_PONTIANAK, "Asia/Pontianak"),
    **dict.fromkeys(_WITA, "Asia/Makassar"),
    **dict.fromkeys(_WIT, "Asia/Jayapura"),
}
TIME_ZONES: tuple[str, ...] = tuple(dict.fromkeys(_ZONE_OF_PROVINCE.values()))
"""Every IANA zone a province keeps (docs/domain.md §3), WIB first."""


def _col(col: str | pl.Expr) -> pl.Expr:
    return pl.col(col) if isinstance(col, str) else col


# --- One code ----------------------------------------------------------------------------------


def is_code(code: object) -> bool:
    """A dotted Kemendagri code at any tier, or ``"00"``."""
    return isinstance(code, str) and (code == NATIONAL or _DOTTED.fullmatch(code) is not None)


def check_unit(unit: object) -> str:
    """A pack unit's code (``"00"``, provinsi, kab/kota or kecamatan) as text, else a clear error."""
    if not isinstance(unit, str) or not _UNIT.fullmatch(unit):
        raise ValueError(
            f"kode_wilayah {unit!r} tidak dikenal: berikan teks kode Kemendagri bertitik, "
            'mis. "16", "16.71" atau "16.71.01" ("00" = nasional)'
        )
    return unit


def depth(code: str) -> int:
    """0 for ``"00"``, 1 provinsi, 2 kab/kota, 3 kecamatan, 4 desa."""
    return 0 if code == NATIONAL else len(code.split("."))


def tier_of(code: str) -> str:
    """``00`` nasional, ``16`` provinsi, ``16.71`` kabkota, ``16.71.01`` kecamatan, … desa."""
    return TIERS[depth(code)]


def parent(code: str) -> str | None:
    """The unit one tier up (``"00"`` for a province); ``None`` for the national root."""
    if code == NATIONAL:
        return None
    return NATIONAL if "." not in code else code.rsplit(".", 1)[0]


def ancestors(code: str) -> list[str]:
    """Every unit above ``code``, from the national root down (``16.71`` → ``["00", "16"]``)."""
    out: list[str] = []
    p = parent(code)
    while p is not None:
        out.append(p)
        p = parent(p)
    return out[::-1]


def ancestor_at(code: str, to_depth: int) -> str | None:
    """The unit containing ``code`` at ``to_depth``; ``None`` when ``code`` is less precise."""
    if to_depth == 0:
        return NATIONAL
    if depth(code) < to_depth:
        return None
    return code[: CODE_LENGTH[to_depth]]


def is_inside(code: str, unit: str) -> bool:
    """``code`` lies in ``unit`` (the unit itself included); everything lies in ``"00"``."""
    return unit == NATIONAL or code == unit or code.startswith(unit + ".")


def is_below(code: str, unit: str) -> bool:
    """``code`` lies strictly inside ``unit``."""
    return code != unit and is_inside(code, unit)


def undotted(code: str) -> str:
    """KPU's form of a dotted code (``16.71.01.1001`` → ``1671011001``)."""
    return code.replace(".", "")


def dotted(code: str) -> str:
    """Dotted form of a KPU code of 2/4/6/10 digits (a dotted code comes back unchanged)."""
    raw = code.strip().replace(".", "")
    if raw == NATIONAL:
        return NATIONAL
    cuts = (0, 2, 4, 6, 10)
    return ".".join(raw[a:b] for a, b in zip(cuts, cuts[1:], strict=False) if raw[a:b])


def common_unit(codes: list[str]) -> str:
    """The deepest unit containing every dotted code (``"00"`` when none is given or they share
    no province): ``["16.01.02", "16.01"]`` → ``16.01``; ``["16.01", "16.02"]`` → ``16``."""
    if not codes:
        return NATIONAL
    for d in range(min(depth(c) for c in codes), 0, -1):
        if len({ancestor_at(c, d) for c in codes}) == 1:
            return ancestor_at(codes[0], d)
    return NATIONAL


def tps_desa(kode_tps: str) -> str:
    """The dotted desa code of a 13-digit TPS code (``1671011001001`` → ``16.71.01.1001``)."""
    return dotted(kode_tps[:10])


def is_kelurahan(code: str) -> bool:
    """A desa-tier code (dotted or KPU form) of a *kelurahan*, the urban unit: its desa segment
    starts with 1 (``docs/domain.md`` §1; 2 is a desa, 3 a desa adat)."""
    return dotted(code)[9:10] == KELURAHAN_DIGIT


def is_kota(code: str) -> bool:
    """A code at or below a kab/kota that lies in a *kota* (``docs/domain.md`` §1)."""
    return depth(code) >= 2 and int(code[3:5]) >= KOTA_FROM


def time_zone(code: str) -> tuple[str, str]:
    """(abbreviation, IANA zone) of the province a code lies in (``docs/domain.md`` §3)."""
    p = int(code[:2])
    if p in _WIB:
        return "WIB", "Asia/Jakarta"
    if p in _WIB_PONTIANAK:
        return "WIB", "Asia/Pontianak"
    if p in _WITA:
        return "WITA", "Asia/Makassar"
    if p in _WIT:
        return "WIT", "Asia/Jayapura"
    raise ValueError(f"province code {code!r} has no known time zone (docs/domain.md §3)")


def desk_zone(unit: str) -> tuple[str, str]:
    """(abbreviation, IANA zone) of a desk's own day: the province's, WIB for the national desk."""
    return ("WIB", "Asia/Jakarta") if unit == NATIONAL else time_zone(unit)


def desk_time_zone(unit: str) -> str:
    """IANA zone of a desk's own day: the province's, WIB (Asia/Jakarta) for the national desk."""
    return desk_zone(unit)[1]


# --- Contests ----------------------------------------------------------------------------------


def contest_code(jenis: str, kode_wilayah: str) -> str:
    """``pkwkp-16``, ``pkwkk-1671``; ``ppwp`` for the presidential race."""
    return jenis if jenis == JENIS_PRESIDEN else f"{jenis}-{undotted(kode_wilayah)}"


def kpu_contest(jenis: str, code: str) -> str:
    """The ``jenis`` contest a KPU code (undotted, any tier, or a TPS code) votes in, held there or
    not: ``pkwkk`` + ``1671011001001`` → ``pkwkk-1671`` (the first 2 digits for pkwkp, 4 for
    pkwkk); ``ppwp`` everywhere. :func:`contest_code` of the code's ancestor, on KPU text."""
    if jenis == JENIS_PRESIDEN:
        return jenis
    return f"{jenis}-{code[: KPU_LENGTH[PILKADA_DEPTH[jenis]]]}"


@lru_cache(maxsize=8192)  # a few thousand contests, asked of once per pack that reads them
def contest_region(kode_kontestasi: str) -> str:
    """The dotted region a contest elects a head for: ``pkwkk-1671`` → ``16.71``; ``ppwp`` → ``00``."""
    if "-" not in kode_kontestasi:
        return NATIONAL
    return dotted(kode_kontestasi.split("-", 1)[1][:6])


def holds_contest(jenis: str, kode_wilayah: str) -> bool:
    """Whether a province (``pkwkp``) or kab/kota (``pkwkk``) holds its Pilkada 2024 contest."""
    if jenis not in PILKADA_DEPTH or depth(kode_wilayah) != PILKADA_DEPTH[jenis]:
        return False
    return kode_wilayah not in (NO_GUBERNUR if jenis == JENIS_GUBERNUR else NO_BUPATI)


def contests_for_desa(kode_desa: str) -> list[str]:
    """The contests a voter in this desa (dotted or KPU form) votes in, where held."""
    code = dotted(kode_desa)
    out = []
    for jenis, to_depth in PILKADA_DEPTH.items():
        region = ancestor_at(code, to_depth)
        if region is not None and holds_contest(jenis, region):
            out.append(contest_code(jenis, region))
    return out


def contest_expr(jenis: str, col: str | pl.Expr) -> pl.Expr:
    """The ``jenis`` contest each dotted code of a column votes in, held there or not
    (``pkwkk`` and ``16.71.01.1001`` → ``pkwkk-1671``); null when the code is less precise than
    the contest's region. :func:`contest_code` over a column."""
    if jenis == JENIS_PRESIDEN:
        return pl.lit(JENIS_PRESIDEN)
    return pl.lit(f"{jenis}-") + undotted_expr(ancestor_expr(col, PILKADA_DEPTH[jenis]))


# --- Columns of codes (polars) -----------------------------------------------------------------


def is_code_expr(col: str | pl.Expr) -> pl.Expr:
    """:func:`is_code` over a column: a dotted Kemendagri code at any tier, or ``"00"``."""
    return _col(col).str.contains(rf"^(?:{NATIONAL}|{_DOTTED.pattern})$")


def depth_expr(col: str | pl.Expr) -> pl.Expr:
    """Depth of a dotted code column (0 for ``"00"``)."""
    c = _col(col)
    n = c.str.len_chars()
    return (
        pl.when(c == NATIONAL)
        .then(0)
        .when(n == 2)
        .then(1)
        .when(n == 5)
        .then(2)
        .when(n == 8)
        .then(3)
        .otherwise(4)
    )


def tier_expr(col: str | pl.Expr) -> pl.Expr:
    """Tier of a dotted code column (``nasional`` … ``desa``)."""
    return depth_expr(col).replace_strict(dict(enumerate(TIERS)), return_dtype=pl.String)


def parent_expr(col: str | pl.Expr) -> pl.Expr:
    """The parent of a dotted code column (``"00"`` for provinces, null for ``"00"``)."""
    c = _col(col)
    return (
        pl.when(c == NATIONAL)
        .then(pl.lit(None, dtype=pl.String))
        .when(c.str.len_chars() == 2)
        .then(pl.lit(NATIONAL))
        .otherwise(c.str.replace(r"\.[^.]+$", ""))
    )


def ancestor_expr(col: str | pl.Expr, to_depth: int) -> pl.Expr:
    """The unit at ``to_depth`` containing each dotted code; null when the code is less precise."""
    c = _col(col)
    if to_depth == 0:
        return pl.lit(NATIONAL)
    n = CODE_LENGTH[to_depth]
    return pl.when(c.str.len_chars() >= n).then(c.str.slice(0, n)).otherwise(None)


def well_formed_ancestor_expr(col: str | pl.Expr, to_depth: int) -> pl.Expr:
    """The unit at ``to_depth`` a text column begins with, when its first ``to_depth`` levels are
    digits in dotted form (``16.71.01`` → ``16.71`` at 2); null otherwise (``16.7``, ``16.AB.01``):
    a text that is no code has no unit."""
    if to_depth == 0:
        return pl.lit(NATIONAL)
    levels = (r"\d{2}", r"\.\d{2}", r"\.\d{2}", r"\.\d{4}")[:to_depth]
    c = _col(col)
    return pl.when(c.str.contains("^" + "".join(levels))).then(
        c.str.slice(0, CODE_LENGTH[to_depth])
    )


def inside_expr(col: str | pl.Expr, unit: str | pl.Expr) -> pl.Expr:
    """Rows whose dotted code lies in ``unit`` (the unit itself included); ``unit`` is one code
    or a column of codes (e.g. each row's contest region)."""
    c = _col(col)
    if isinstance(unit, str):
        if unit == NATIONAL:
            return pl.lit(True)
        return (c == unit) | c.str.starts_with(unit + ".")
    return (unit == NATIONAL) | (c == unit) | c.str.starts_with(unit + ".")


def child_expr(col: str | pl.Expr, unit: str) -> pl.Expr:
    """The child of ``unit`` each code lies in; the unit itself when the code is no more precise."""
    d = depth(unit)
    if d >= 4:
        return pl.lit(unit)
    return pl.coalesce(ancestor_expr(col, d + 1), pl.lit(unit))


def dotted_expr(col: str | pl.Expr) -> pl.Expr:
    """A code column with or without dots → dotted (2/4/6/10 digits → ``PP[.KK[.CC[.DDDD]]]``)."""
    raw = _col(col).cast(pl.String).str.strip_chars().str.replace_all(".", "", literal=True)
    parts = [raw.str.slice(0, 2)]
    for start, length in ((2, 2), (4, 2), (6, 4)):
        parts.append(
            pl.when(raw.str.len_chars() > start)
            .then(pl.lit(".") + raw.str.slice(start, length))
            .otherwise(pl.lit(""))
        )
    return pl.when(raw == NATIONAL).then(pl.lit(NATIONAL)).otherwise(pl.concat_str(parts))


def undotted_expr(col: str | pl.Expr) -> pl.Expr:
    """KPU's form of a dotted code column."""
    return _col(col).str.replace_all(".", "", literal=True)


#: The pieces (start, length) of a 13-digit TPS code that give its provinsi, kab/kota, kecamatan
#: and desa codes.
TPS_CUTS = ((0, 2), (2, 2), (4, 2), (6, 4))


def tps_prefix_length(to_depth: int) -> int:
    """How many leading characters of a TPS code :func:`tps_ancestor_expr` reads at
    ``to_depth``: codes that share them share their units down to that depth."""
    return sum(length for _, length in TPS_CUTS[:to_depth])


def tps_ancestor_expr(col: str | pl.Expr, to_depth: int) -> pl.Expr:
    """The dotted unit at ``to_depth`` (1 provinsi … 4 desa) of a 13-digit TPS code column."""
    c = _col(col)
    if to_depth == 0:
        return pl.lit(NATIONAL)
    cuts = TPS_CUTS[:to_depth]
    pieces: list[pl.Expr] = []
    for i, (start, length) in enumerate(cuts):
        if i:
            pieces.append(pl.lit("."))
        pieces.append(c.str.slice(start, length))
    return pl.concat_str(pieces)


def tps_desa_expr(col: str | pl.Expr) -> pl.Expr:
    """The dotted desa code of a 13-digit TPS code column (``1671011001001`` → ``16.71.01.1001``)."""
    return tps_ancestor_expr(col, 4)


def kpu_code_unit_expr(col: str | pl.Expr) -> pl.Expr:
    """The dotted unit a run of digits names in KPU form: 2/4/6/10 digits that unit, 13 the TPS's
    desa; null for any other length or ``"00"`` (whether the unit exists is the region tree's
    business)."""
    c = _col(col)
    n = c.str.len_chars()
    digits = c.str.contains(r"^\d+$") & (c != NATIONAL)
    return (
        pl.when(digits & (n == TPS_CODE_DIGITS))
        .then(tps_desa_expr(c))
        .when(digits & n.is_in(list(KPU_LENGTH.values())))
        .then(dotted_expr(c))
    )


def kelurahan_expr(col: str | pl.Expr) -> pl.Expr:
    """:func:`is_kelurahan` over a column of dotted desa codes (null stays null)."""
    return _col(col).str.slice(CODE_LENGTH[3] + 1, 1) == KELURAHAN_DIGIT


def kota_expr(col: str | pl.Expr) -> pl.Expr:
    """:func:`is_kota` over a column of dotted codes at or below a kab/kota."""
    return _col(col).str.slice(3, 2).cast(pl.Int64, strict=False) >= KOTA_FROM


def tps_desa_kpu_expr(col: str | pl.Expr) -> pl.Expr:
    """The desa of a 13-digit TPS code column in KPU form (its first 10 digits): the cheap form
    to look up among the region tree's undotted codes on millions of rows."""
    return _col(col).str.slice(0, KPU_LENGTH[4])


def tps_inside_expr(col: str | pl.Expr, unit_kpu: pl.Expr) -> pl.Expr:
    """Rows whose 13-digit TPS code lies inside the unit given per row in KPU (undotted) form;
    ``"00"`` holds every TPS."""
    return (unit_kpu == NATIONAL) | _col(col).str.starts_with(unit_kpu)


def tps_unit_expr(col: str | pl.Expr, to_depth: int) -> pl.Expr:
    """The dotted unit at ``to_depth`` of a TPS code column; null when the text is no TPS code."""
    return pl.when(valid_tps_expr(col)).then(tps_ancestor_expr(col, to_depth))


def valid_tps_expr(col: str | pl.Expr) -> pl.Expr:
    """A TPS code column holds 13 digits."""
    return _col(col).str.contains(TPS_CODE_PATTERN)


def tps_number_expr(col: str | pl.Expr) -> pl.Expr:
    """The TPS number of a 13-digit TPS code column (its last 3 digits) as an integer."""
    desa = KPU_LENGTH[4]
    return _col(col).str.slice(desa, TPS_CODE_DIGITS - desa).cast(pl.Int64, strict=False)


def time_zone_expr(col: str | pl.Expr) -> pl.Expr:
    """:func:`time_zone`'s IANA zone over a column of codes in any form (dotted, KPU, TPS): from
    the first two characters; null when they are no province with a known zone."""
    p = _col(col).cast(pl.String).str.slice(0, 2).cast(pl.Int64, strict=False)
    return p.replace_strict(_ZONE_OF_PROVINCE, default=None, return_dtype=pl.String)


def kpu_contest_expr(jenis_col: str | pl.Expr, col: str | pl.Expr) -> pl.Expr:
    """:func:`kpu_contest` over columns: each row's jenis and KPU code; null for another jenis."""
    j, c = _col(jenis_col), _col(col)
    out = pl.when(j == JENIS_PRESIDEN).then(pl.lit(JENIS_PRESIDEN))
    for jenis, to_depth in PILKADA_DEPTH.items():
        prefix = c.str.slice(0, KPU_LENGTH[to_depth])
        out = out.when(j == jenis).then(pl.concat_str(pl.lit(f"{jenis}-"), prefix))
    return out.otherwise(None)
