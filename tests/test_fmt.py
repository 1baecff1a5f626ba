"""Indonesian formats: the exact strings a reader of a pack sees."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import fmt


def test_numbers_and_percentages() -> None:
    assert fmt.angka(1234567) == "1.234.567"
    assert fmt.angka(0) == "0"
    assert fmt.angka(-1234) == "-1.234"
    assert fmt.angka(1234.5, 1) == "1.234,5"
    assert fmt.persen(0.8382) == "83,82%"
    assert fmt.persen(1) == "100,00%"
    assert fmt.persen(0.98, 0) == "98%"
    assert fmt.angka(None) == fmt.persen(float("nan")) == "–"


def test_signed_differences() -> None:
    assert fmt.selisih(1234) == "+1.234"
    assert fmt.selisih(-56) == "-56"
    assert fmt.selisih(0) == "0"
    assert fmt.selisih_poin(0.012) == "+1,20 poin"
    assert fmt.selisih_poin(-0.02) == "-2,00 poin"


def test_part_of_total() -> None:
    assert fmt.dari(1234, 2000) == "1.234 dari 2.000 TPS (61,70%)"
    assert fmt.dari(3, 0) == "3 dari 0 TPS (–)"
    assert fmt.dari(5, 9, "baris") == "5 dari 9 baris (55,56%)"


@pytest.mark.parametrize(
    ("utc", "tz", "zona", "expected"),
    [
        (
            dt.datetime(2024, 11, 28, 7, 5),
            "Asia/Jakarta",
            "WIB",
            "Kamis, 28 November 2024 14.05 WIB",
        ),
        (
            dt.datetime(2024, 11, 28, 7, 5),
            "Asia/Makassar",
            "WITA",
            "Kamis, 28 November 2024 15.05 WITA",
        ),
        (
            dt.datetime(2024, 11, 27, 16, 30),
            "Asia/Jayapura",
            "WIT",
            "Kamis, 28 November 2024 01.30 WIT",
        ),
        (dt.datetime(2024, 8, 17, 3, 0), "Asia/Jakarta", "WIB", "Sabtu, 17 Agustus 2024 10.00 WIB"),
    ],
)
def test_local_date_time(utc: dt.datetime, tz: str, zona: str, expected: str) -> None:
    assert fmt.tanggal_waktu(utc.replace(tzinfo=dt.UTC), tz, zona) == expected


def test_dates_and_durations() -> None:
    assert fmt.tanggal(dt.date(2024, 12, 1)) == "Minggu, 1 Desember 2024"
    assert fmt.tanggal_pendek(dt.date(2024, 5, 31)) == "31 Mei 2024"
    assert fmt.durasi(dt.timedelta(hours=5)) == "5 jam 0 menit"
    assert fmt.durasi(dt.timedelta(days=2, hours=3, minutes=9)) == "2 hari 3 jam"
    assert fmt.durasi(dt.timedelta(minutes=12)) == "12 menit"
