"""The domain's arithmetic: region codes, tiers, contests and the reserve rule, on hand-worked cases."""

import polars as pl
import pytest

from analysis.domain import regions, rules


@pytest.mark.parametrize(
    ("code", "tier", "parent"),
    [
        ("00", "nasional", None),
        ("16", "provinsi", "00"),
        ("16.71", "kabkota", "16"),
        ("16.71.01", "kecamatan", "16.71"),
        ("16.71.01.1001", "desa", "16.71.01"),
    ],
)
def test_tier_and_parent(code: str, tier: str, parent: str | None) -> None:
    assert regions.tier_of(code) == tier
    assert regions.parent(code) == parent
    frame = pl.DataFrame({"k": [code]})
    out = frame.select(regions.tier_expr("k").alias("t"), regions.parent_expr("k").alias("p"))
    assert out.row(0) == (tier, parent)


def test_ancestors_and_inside() -> None:
    assert regions.ancestors("16.71.01") == ["00", "16", "16.71"]
    assert regions.is_inside("16.71.01", "16.71") and regions.is_inside("16.71", "16.71")
    assert not regions.is_inside("16.07", "16.71") and not regions.is_inside("16.710", "16.71")
    assert regions.is_below("16.71.01", "16") and not regions.is_below("16", "16")
    assert regions.ancestor_at("16.71.01.1001", 2) == "16.71"
    assert regions.ancestor_at("16", 2) is None
    frame = pl.DataFrame({"k": ["16", "16.71", "16.71.01", "17.01"]})
    assert frame.filter(regions.inside_expr("k", "16.71"))["k"].to_list() == ["16.71", "16.71.01"]
    per_row = pl.DataFrame(
        {"k": ["16.71.01", "16.71.01", "16.07", "16"], "u": ["16.71", "00", "16.71", "16.71"]}
    )
    assert per_row.select(regions.inside_expr("k", pl.col("u"))).to_series().to_list() == [
        True,
        True,
        False,
        False,
    ]
    kids = frame.select(regions.child_expr("k", "16"))["k"].to_list()
    assert kids == ["16", "16.71", "16.71", "17.01"]


def test_within_a_unit_of_the_same_row() -> None:
    frame = pl.DataFrame(
        {
            "k": ["16.71.01.1001", "16.71.01.1001", "16.710", "16.07", "16", "16"],
            "u": ["16.71", "00", "16.71", "16.71", "16", None],
        }
    )
    inside = frame.select(regions.inside_expr("k", pl.col("u"))).to_series().to_list()
    assert inside == [True, True, False, False, True, None]


def test_is_code_expr_agrees_with_is_code() -> None:
    codes = ["00", "16", "16.71", "16.71.01", "16.71.01.1001", "1671", "16.7", "16.71x", "", "000"]
    got = pl.DataFrame({"k": codes}).select(regions.is_code_expr("k"))["k"].to_list()
    assert got == [regions.is_code(c) for c in codes]
    assert got[:5] == [True] * 5 and not any(got[5:])


def test_kelurahan_from_the_desa_segment() -> None:
    codes = ["16.71.01.1001", "16.01.05.2003", "91.05.02.3001", "1671011004"]
    assert [regions.is_kelurahan(c) for c in codes] == [True, False, False, True]
    got = pl.DataFrame({"k": codes[:3]}).select(regions.kelurahan_expr("k"))["k"].to_list()
    assert got == [True, False, False]


def test_kota_from_the_kabkota_segment() -> None:
    codes = ["16.71", "16.01.05.2003", "16.74.01"]
    assert [regions.is_kota(c) for c in codes] == [True, False, True]
    got = pl.DataFrame({"k": codes}).select(regions.kota_expr("k"))["k"].to_list()
    assert got == [True, False, True]


def test_kpu_codes() -> None:
    assert regions.dotted("1671011001") == "16.71.01.1001"
    assert regions.dotted("16.71") == "16.71"
    assert regions.undotted("16.71.01.1001") == "1671011001"
    assert regions.tps_desa("1671011001001") == "16.71.01.1001"
    frame = pl.DataFrame({"t": ["1671011001001"], "k": ["1671"]})
    out = frame.select(
        regions.tps_desa_expr("t").alias("desa"),
        regions.tps_ancestor_expr("t", 2).alias("kab"),
        regions.dotted_expr("k").alias("dot"),
    )
    assert out.row(0) == ("16.71.01.1001", "16.71", "16.71")


def test_tps_in_kpu_form() -> None:
    frame = pl.DataFrame(
        {"t": ["1671011001001", "1671011001001", "1601072001001"], "u": ["1671", "00", "1671"]}
    )
    out = frame.select(
        regions.tps_desa_kpu_expr("t").alias("desa"),
        regions.tps_inside_expr("t", pl.col("u")).alias("inside"),
    )
    assert out["desa"].to_list() == ["1671011001", "1671011001", "1601072001"]
    assert out["inside"].to_list() == [True, True, False]


def test_contests() -> None:
    assert regions.contest_code("pkwkk", "16.71") == "pkwkk-1671"
    assert regions.contest_region("pkwkk-1671") == "16.71"
    assert regions.contest_region("ppwp") == "00"
    assert regions.contests_for_desa("16.71.01.1001") == ["pkwkp-16", "pkwkk-1671"]
    assert regions.contests_for_desa("31.01.01.1001") == ["pkwkp-31"]  # DKI administrative unit
    assert regions.contests_for_desa("34.71.01.1001") == ["pkwkk-3471"]  # no gubernur in DIY
    frame = pl.DataFrame({"k": ["16.71.01.1001", "34.71", "16"]})
    out = frame.select(
        regions.contest_expr("pkwkp", "k").alias("gub"),
        regions.contest_expr("pkwkk", "k").alias("bup"),
        regions.contest_expr("ppwp", "k").alias("pres"),
    )
    assert out["gub"].to_list() == ["pkwkp-16", "pkwkp-34", "pkwkp-16"]  # held or not
    assert out["bup"].to_list() == ["pkwkk-1671", "pkwkk-3471", None]  # "16" has no kab/kota
    assert out["pres"].to_list() == ["ppwp"] * 3


def test_desk_zones() -> None:
    assert regions.desk_zone("00") == ("WIB", "Asia/Jakarta")
    assert regions.desk_zone("16.71") == ("WIB", "Asia/Jakarta")
    assert regions.desk_zone("61.01") == ("WIB", "Asia/Pontianak")
    assert regions.desk_zone("73") == ("WITA", "Asia/Makassar")
    assert regions.desk_time_zone("91") == "Asia/Jayapura"


def test_check_unit_message() -> None:
    assert regions.check_unit("16.71") == "16.71"
    with pytest.raises(ValueError, match="kode Kemendagri bertitik"):
        regions.check_unit("16.71.01.1001")


@pytest.mark.parametrize(("dpt", "limit"), [(240, 246), (241, 248), (200, 205), (600, 615), (0, 0)])
def test_reserve_rounds_up(dpt: int, limit: int) -> None:
    """2.5% of DPT, a fraction of a ballot printed as one more ballot (DPT 241 → 248, not 247)."""
    assert rules.with_reserve(dpt, 0.025) == limit
    out = pl.select(rules.with_reserve_expr(pl.lit(dpt), 0.025)).item()
    assert out == limit


def test_well_formed_ancestor_is_null_for_text_that_is_no_code() -> None:
    codes = ["16.71.01.1001", "16.71", "16.7", "16.AB.01", "1671", None, "16.711"]
    df = pl.DataFrame({"k": codes}, schema={"k": pl.String})
    out = df.select(regions.well_formed_ancestor_expr("k", 2)).to_series()
    assert out.to_list() == ["16.71", "16.71", None, None, None, None, "16.71"]
    desa = df.head(1).select(regions.well_formed_ancestor_expr("k", 4)).item()
    assert desa == "16.71.01.1001"


def test_kpu_contest_and_tps_number() -> None:
    assert regions.kpu_contest("pkwkk", "1671011001001") == "pkwkk-1671"
    assert regions.kpu_contest("pkwkp", "1671") == "pkwkp-16"
    assert regions.kpu_contest("ppwp", "1671011001001") == "ppwp"
    frame = pl.DataFrame(
        {"j": ["pkwkp", "pkwkk", "ppwp", "lain", "pkwkk"], "k": ["1671011001001"] * 4 + [None]}
    )
    out = frame.select(regions.kpu_contest_expr("j", "k").alias("c"))["c"].to_list()
    assert out == ["pkwkp-16", "pkwkk-1671", "ppwp", None, None]
    assert frame.select(regions.tps_number_expr("k"))["k"].to_list() == [1, 1, 1, 1, None]


def test_time_zone_expr_agrees_with_time_zone() -> None:
    codes = [f"{p:02d}" for p in range(100)]
    out = pl.DataFrame({"k": codes + ["1.", None]}).select(regions.time_zone_expr("k"))["k"]
    for code, zone in zip(codes, out, strict=False):
        try:
            assert zone == regions.time_zone(code)[1]
        except ValueError:
            assert zone is None
    assert out[-2:].to_list() == [None, None]
    assert regions.TIME_ZONES[0] == "Asia/Jakarta" and len(regions.TIME_ZONES) == 4


def test_kpu_code_unit_reads_a_run_of_digits() -> None:
    tokens = ["1601", "160513", "1603032017003", "16", "20241128", "160", "00", "16a1", ""]
    got = pl.select(regions.kpu_code_unit_expr(pl.Series(tokens))).to_series().to_list()
    assert got == ["16.01", "16.05.13", "16.03.03.2017", "16", None, None, None, None, None]


def test_common_unit_is_the_deepest_unit_holding_them_all() -> None:
    assert regions.common_unit(["16.01.02", "16.01"]) == "16.01"
    assert regions.common_unit(["16.01.02.2001", "16.01.02.2002"]) == "16.01.02"
    assert regions.common_unit(["16.01", "16.02"]) == "16"
    assert regions.common_unit(["16.01", "17.02"]) == regions.NATIONAL
    assert regions.common_unit(["16"]) == "16"
    assert regions.common_unit([]) == regions.NATIONAL
