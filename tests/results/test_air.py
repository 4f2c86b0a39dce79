"""Air results of stations and areas (`results/air.py`, `results/service.py`) on every analytics engine, against
values worked out by hand from HJ 633-2026 Table 1.

Station 1 (national control) and station 2 (county control), both in 清源区, report constant hours
on 2026-11-22 (local): SO2 10, NO2 40, CO 1.0 mg/m³, O3 50, PM10 100 µg/m³ at both, PM2.5 70 at station 1 and 50 at
station 2.

Station 1, each hour: IAQI PM2.5 (1-hour value on the 24-hour table) = 100 + (70 − 60)·50/(115 − 60) = 109.09 → 110;
PM10 = 50 + (100 − 50)·50/(120 − 50) = 85.7 → 86; NO2 1-hour = 40·50/100 = 20; SO2 1-hour = 10·50/150 = 3.3 → 4;
CO 1-hour = 1·50/5 = 10; O3 1-hour = 50·50/160 = 15.6 → 16. AQI 110, level 3 (轻度污染), primary PM2.5.
Its day: the same means; SO2 24-hour = 10·50/50 = 10, NO2 24-hour = 40·50/40 = 50, CO 24-hour = 1·50/2 = 25,
O3 MDA8 50 → 50·50/100 = 25; PM2.5 110, PM10 86: AQI 110, primary PM2.5.
清源区 (both stations): PM2.5 mean 60 → IAQI 100 exactly, AQI 100, level 2 (良), primary PM2.5; the city has
station 1 alone (AQI 110); 临河县 has no station and no row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics.aqi import keys_of
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.service import add_site
from ecoloop.readings.parquet import compact
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.results import air, service, store
from tests.analytics.engines import PY4J_WARNINGS
from tests.factories import World

pytestmark = PY4J_WARNINGS
DAY = date(2026, 11, 22)
LOCAL_MIDNIGHT_UTC = datetime(2026, 11, 21, 16, tzinfo=UTC)  # Asia/Shanghai, UTC+8
COMMON = {"a21026": 10.0, "a21004": 40.0, "a21005": 1.0, "a05024": 50.0, "a34002": 100.0}


def plant(stored: StoredReadings, site_id: int, pm25: float, hours: range = range(24), flag: str = "N") -> None:
    readings = [
        Reading(site_id, code, Interval.HOUR, LOCAL_MIDNIGHT_UTC + timedelta(hours=h), value, flag)
        for h in hours
        for code, value in {**COMMON, "a34004": pm25}.items()
    ]
    stored.store.write(readings, now=datetime(2026, 11, 23, tzinfo=UTC))


@pytest.fixture
def stations(db: Session, world: World) -> list[air.Station]:
    for code, level in (("A1", StationLevel.NATIONAL), ("A2", StationLevel.COUNTY)):
        add_site(db, code=code, name=code, kind=SiteKind.AIR_STATION, region=world.county_a, station_level=level)
    add_site(db, code="W1", name="水站", kind=SiteKind.WATER_STATION, region=world.county_b)
    add_site(
        db, code="T1", name="镇站", kind=SiteKind.AIR_STATION, region=world.town_b, station_level=StationLevel.TOWN
    )
    return [s for s in service.air_network(db) if world.town_b.id not in s.areas]


def test_the_network_names_the_areas_each_station_counts_for(db: Session, world: World) -> None:
    for code, level, region in (
        ("A1", StationLevel.NATIONAL, world.county_a),
        ("A2", StationLevel.COUNTY, world.county_a),
        ("T1", StationLevel.TOWN, world.town_b),
    ):
        add_site(db, code=code, name=code, kind=SiteKind.AIR_STATION, region=region, station_level=level)
    add_site(db, code="X1", name="无级别", kind=SiteKind.AIR_STATION, region=world.village_a)
    retired = add_site(db, code="X2", name="停用", kind=SiteKind.AIR_STATION, region=world.county_b)
    retired.active = False
    db.flush()

    areas = sorted((set(s.areas) for s in service.air_network(db)), key=lambda a: (len(a), min(a)))

    assert areas == sorted(
        [
            {world.city.id, world.county_a.id},  # a national station: the city and its county
            {world.county_a.id},  # a county station: its county
            {world.town_b.id},  # a town station: its town
            {world.village_a.id},  # a station without a level: its own region
        ],
        key=lambda a: (len(a), min(a)),
    )


def test_station_and_area_results_of_a_day(
    stations: list[air.Station], stored: StoredReadings, backend: Any, world: World
) -> None:
    national, county = sorted(stations, key=len_of_areas, reverse=True)
    plant(stored, national.site_id, 70.0)
    plant(stored, county.site_id, 50.0)
    compact(stored.store, stored.root)  # part of the day in Parquet …
    plant(stored, national.site_id, 70.0, range(23, 24))  # … and a re-sent hour in the hot store: a duplicate

    results = air.compute(backend, stored, stations, DAY, DAY, ZoneInfo("Asia/Shanghai"))

    hours = [r for r in results.hour.to_pylist() if r["site_id"] == national.site_id]
    assert len(hours) == 24
    first = min(hours, key=lambda r: r["hour_start"])
    assert first["hour_start"] == datetime(2026, 11, 22, 0, 0)  # noqa: DTZ001  # local time, as kept
    assert {k: first[f"iaqi_{k}"] for k in ("PM2_5_1h", "PM10_1h", "NO2_1h", "SO2_1h", "CO_1h", "O3_1h")} == {
        "PM2_5_1h": 110,
        "PM10_1h": 86,
        "NO2_1h": 20,
        "SO2_1h": 4,
        "CO_1h": 10,
        "O3_1h": 16,
    }
    assert (first["aqi"], first["level"], keys_of(first["primary"])) == (110, 3, ("PM2_5_1h",))

    (day,) = [r for r in results.day.to_pylist() if r["site_id"] == national.site_id]
    assert (day["PM2_5_24h"], day["SO2_24h"], day["NO2_24h"], day["CO_24h"], day["O3_8h"]) == (70, 10, 40, 1.0, 50)
    assert (day["iaqi_SO2_24h"], day["iaqi_NO2_24h"], day["iaqi_CO_24h"], day["iaqi_O3_8h"]) == (10, 50, 25, 25)
    assert (day["aqi"], day["level"], keys_of(day["primary"], "daily")) == (110, 3, ("PM2_5_24h",))

    areas = {r["region_id"]: r for r in results.day_area.to_pylist()}
    assert set(areas) == {world.city.id, world.county_a.id}
    county_day = areas[world.county_a.id]
    assert (county_day["stations"], county_day["PM2_5_24h"], county_day["aqi"], county_day["level"]) == (2, 60, 100, 2)
    assert keys_of(county_day["primary"], "daily") == ("PM2_5_24h",)
    assert areas[world.city.id]["aqi"] == 110
    county_hours = [r for r in results.hour_area.to_pylist() if r["region_id"] == world.county_a.id]
    assert len(county_hours) == 24 and {r["aqi"] for r in county_hours} == {100}


def test_flagged_values_are_left_out_and_a_short_day_has_no_daily_mean(
    stations: list[air.Station], duck_stored: StoredReadings, duck: Any
) -> None:
    """GB 3095 Table 4: a daily mean needs 20 valid hours. 19 hours of data plus 5 flagged as maintenance (M) give
    19 valid hours: no PM2.5 24-hour mean, and the hours flagged M have no PM2.5 value."""
    national = max(stations, key=len_of_areas)
    plant(duck_stored, national.site_id, 70.0, range(19))
    plant(duck_stored, national.site_id, 500.0, range(19, 24), flag="M")

    results = air.compute(duck, duck_stored, stations, DAY, DAY, ZoneInfo("Asia/Shanghai"))

    (day,) = [r for r in results.day.to_pylist() if r["site_id"] == national.site_id]
    assert day["PM2_5_24h"] is None and day["SO2_24h"] is None
    flagged = [r for r in results.hour.to_pylist() if r["hour_start"].hour >= 19]
    assert flagged == []  # every pollutant of those hours was flagged: no hour row


def test_compute_days_keeps_the_results_and_a_second_run_replaces_them(
    db: Session, stations: list[air.Station], duck_stored: StoredReadings, tmp_path: Path
) -> None:
    stored = duck_stored
    national = max(stations, key=len_of_areas)
    plant(stored, national.site_id, 70.0)
    root = tmp_path / "results"
    tz = ZoneInfo("Asia/Shanghai")

    done = service.compute_days(db, stored, root, [DAY, DAY - timedelta(days=1)], tz)

    assert done.days == 2 and done.partitions["air_hour"] == 2 and done.partitions["air_day"] == 1
    kept = store.read_partition(root, air.AIR_DAY, "2026-11")
    assert kept is not None and [r["aqi"] for r in kept.to_pylist()] == [110]
    stored.store.write(
        [Reading(national.site_id, "a34004", Interval.HOUR, LOCAL_MIDNIGHT_UTC, 900.0, "N", "correction:li")],
        now=datetime(2026, 11, 24, tzinfo=UTC),
        replace=True,
    )
    service.compute_days(db, stored, root, [DAY], tz)
    kept = store.read_partition(root, air.AIR_DAY, "2026-11")
    assert kept is not None and [r["PM2_5_24h"] for r in kept.to_pylist()] == [round((900 + 23 * 70) / 24)]


def test_changed_days_follow_the_readings_partitions_written_since_the_mark(tmp_path: Path) -> None:
    folder = tmp_path / "interval=hour" / "date=2026-11-21"
    folder.mkdir(parents=True)
    (folder / "part.parquet").write_bytes(b"x")
    tz = ZoneInfo("Asia/Shanghai")
    assert service.changed_days(tmp_path, 0, tz) == {date(2026, 11, 21), date(2026, 11, 22)}
    assert service.changed_days(tmp_path, (folder / "part.parquet").stat().st_mtime + 1, tz) == set()


def len_of_areas(station: air.Station) -> int:
    return len(station.areas)
