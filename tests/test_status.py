"""The status rule (issue 12 item 2): kritis only for what leadership must act on, as a table."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analysis.analyse import incidents
from analysis.packs import status
from analysis.settings import default_settings

WIB = dt.timezone(dt.timedelta(hours=7))
AS_OF = dt.datetime(2024, 11, 28, 14, 0, tzinfo=WIB)
S = default_settings()
CFG = S.briefing.status

CALM = {
    "n_kritis_terverifikasi": 0,
    "n_kontestasi_berubah": 0,
    "n_tinggi_terverifikasi": 0,
    "n_kritis_lain": 0,
    "porsi_selisih": 0.0,
    "n_tidak_cocok": 0,
    "cakupan_internal": 0.9,
    "cakupan_harapan": 0.85,
}


@pytest.mark.parametrize(
    ("change", "level"),
    [
        ({}, "aman"),
        ({"n_kritis_terverifikasi": 1}, "kritis"),
        ({"n_kontestasi_berubah": 1}, "kritis"),
        ({"cakupan_internal": 0.40}, "kritis"),  # below half of the 85% expected
        ({"cakupan_internal": 0.60}, "perhatian"),  # below 75% of it
        ({"cakupan_internal": 0.70}, "aman"),  # a little behind the curve is not an alarm
        ({"n_kritis_lain": 3}, "perhatian"),  # unverified reports never turn a unit red alone
        ({"n_tinggi_terverifikasi": 1}, "perhatian"),
        ({"n_tidak_cocok": 1, "porsi_selisih": 0.001}, "aman"),  # one TPS in a thousand
        ({"n_tidak_cocok": 3, "porsi_selisih": 0.03}, "perhatian"),
        ({"cakupan_harapan": None, "cakupan_internal": 0.0}, "aman"),  # polls still open
    ],
)
def test_rules(change: dict, level: str) -> None:
    got, why = status.judge({**CALM, **change}, CFG)
    assert got == level
    assert (why == status.NONE_SAID) == (level == "aman")


def test_expected_curve_by_hours_since_close() -> None:
    assert status.expected_share(CFG, None) is None
    assert status.expected_share(CFG, -1) is None
    assert status.expected_share(CFG, 0) == 0
    assert status.expected_share(CFG, 24) == pytest.approx(0.85)
    assert status.expected_share(CFG, 18) == pytest.approx((0.65 + 0.85) / 2)
    assert status.expected_share(CFG, 500) == pytest.approx(0.95)
    # 14.00 WIB the day after: 25 hours after the 13.00 close
    assert status.hours_since_close(S, "Asia/Jakarta", AS_OF) == pytest.approx(25)
    # the same instant is 26 hours after a WITA close (12.00 WIB)
    assert status.hours_since_close(S, "Asia/Makassar", AS_OF) == pytest.approx(26)


def _incidents() -> pl.DataFrame:
    t = lambda d, h, m=0: dt.datetime(2024, 11, d, h, m, tzinfo=WIB).astimezone(dt.UTC)  # noqa: E731
    rows = [
        # verified kritis, recent, open: kritis for 16.71.01 and up
        ("A", "16.71.01", "kritis", "terkonfirmasi", "baru", t(27, 10), t(27, 11)),
        # unverified kritis, recent: perhatian only
        ("B", "16.71.02", "kritis", "belum_diverifikasi", "baru", t(28, 9), t(28, 9, 30)),
        # verified kritis but the event is October's: no effect on the status
        ("C", "16.72", "kritis", "terverifikasi_resmi", "ditangani", t(10, 9), t(27, 9)),
        # verified kritis, dibantah later... and one selesai: neither counts
        ("D", "16.72", "kritis", "dibantah", "baru", t(28, 8), t(28, 9)),
        ("E", "16.72", "kritis", "terkonfirmasi", "selesai", t(28, 8), t(28, 9)),
    ]
    cols = [
        "id_insiden",
        "kode_wilayah",
        "tingkat_keparahan",
        "status_verifikasi",
        "status_penanganan",
        "waktu_kejadian",
        "waktu_laporan",
    ]
    df = pl.DataFrame(rows, schema=cols, orient="row")
    return df.with_columns(
        pl.lit(None, pl.String).alias("kode_tps"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("waktu_penanganan"),
        pl.lit("pemungutan_penghitungan").alias("tahapan"),
        pl.lit("kamtibmas").alias("kategori"),
    ).with_columns(
        pl.when(pl.col("id_insiden") == "C")
        .then(pl.datetime(2024, 10, 10, 2, time_zone="UTC"))
        .otherwise(pl.col("waktu_kejadian"))
        .alias("waktu_kejadian")
    )


def test_every_unit_at_once() -> None:
    units = pl.DataFrame(
        {
            "kode_wilayah": ["16", "16.71", "16.71.01", "16.71.02", "16.72"],
            "kode_induk": ["00", "16", "16.71", "16.71", "16"],
            "tingkat": ["provinsi", "kabkota", "kecamatan", "kecamatan", "kabkota"],
            "tz": ["Asia/Jakarta"] * 5,
        }
    )
    st = status.unit_status(None, units, _incidents(), None, AS_OF, S)
    got = dict(zip(st["kode_wilayah"], st["status"], strict=True))
    assert got == {
        "16": "kritis",
        "16.71": "kritis",
        "16.71.01": "kritis",
        "16.71.02": "perhatian",
        "16.72": "aman",  # old, dibantah and selesai reports only
    }
    row = st.filter(pl.col("kode_wilayah") == "16").row(0, named=True)
    assert (row["n_kritis_terbuka"], row["n_kritis_terverifikasi"], row["n_kritis_lain"]) == (
        3,
        1,
        1,
    )


def test_incident_age_from_the_event_in_whole_minutes() -> None:
    """Issue 11: 6 h 34 min 59 s is "6 jam 34 menit", counted from when it happened."""
    event = dt.datetime(2024, 11, 28, 7, 25, 1, tzinfo=WIB)
    df = (
        _incidents()
        .head(1)
        .with_columns(
            pl.lit(event.astimezone(dt.UTC)).alias("waktu_kejadian"),
            pl.lit(dt.datetime(2024, 11, 28, 13, 0, tzinfo=WIB).astimezone(dt.UTC)).alias(
                "waktu_laporan"
            ),
        )
    )
    age = incidents.prepare(df, "00", AS_OF)["umur_menit"][0]
    assert age == 6 * 60 + 34
    from analysis import fmt

    assert fmt.durasi(dt.timedelta(minutes=age)) == "6 jam 34 menit"


def test_pack_links_survive_the_defuser() -> None:
    """Links between packs of a report date stay (navigation); anything else relative goes."""
    from analysis.packs.render import defuse

    out = defuse(
        '<a href="../kecamatan/16.74.01.html">a</a><a href="../../x/16.html">b</a>'
        '<a href="javascript:alert(1)">c</a><a href="../kabkota/16.74.html?x=1">d</a>'
    )
    assert 'href="../kecamatan/16.74.01.html"' in out
    assert out.count("href=") == 1
