"""The reads of the overview screen and the public page: stored results (planted here as the results job writes
them) come back per station and area, as they are stored, scoped by the principal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import ibis
import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import fixed
from ecoloop.i18n import gettext, use_locale
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.results.air import AIR_DAY_AREA, AIR_HOUR, AIR_HOUR_AREA
from ecoloop.results.queries import (
    Aqi,
    ResultReads,
    air_overview,
    concentrations,
    latest_area_hour,
    public_air,
    public_region,
)
from tests.factories import World, plant_results

TODAY = date(2026, 12, 1)  # the trend reaches back into November: two monthly partitions
YESTERDAY = date(2026, 11, 30)
PM2_5_HOURLY = 1 << 5  # bit of PM2_5_1h among the hourly keys (analytics.aqi.keys_of)
PM10_HOURLY = 1 << 4
PM2_5_DAILY = 1 << 4  # bit of PM2_5_24h among the 2026 daily keys
O3_8H_DAILY = 1 << 5


@pytest.fixture
def con() -> Iterator[Any]:
    backend = ibis.duckdb.connect()
    yield backend
    backend.disconnect()


def reads_of(root: Path, con: Any) -> ResultReads:
    return ResultReads(root, lambda: fixed(con))


@pytest.fixture
def stations(db: Session, world: World) -> tuple[Site, Site, Site]:
    """A city station in county A, a county station in county B, and a village station without coordinates."""
    a = add_site(
        db,
        code="AQ-A",
        name="湖滨站",
        kind=SiteKind.AIR_STATION,
        region=world.county_a,
        station_level=StationLevel.CITY,
        longitude=114.05,
        latitude=35.05,
    )
    b = add_site(
        db,
        code="AQ-B",
        name="柳林站",
        kind=SiteKind.AIR_STATION,
        region=world.county_b,
        station_level=StationLevel.COUNTY,
        longitude=114.3,
        latitude=35.1,
    )
    c = add_site(db, code="AQ-C", name="花园站", kind=SiteKind.AIR_STATION, region=world.village_a)
    return a, b, c


def at(day: date, hour: int) -> datetime:
    """A local hour's start as the results keep it (naive local time)."""
    return datetime.combine(day, time(hour))


def hour(site: Site, at: datetime, aqi: int | None, level: int | None, primary: int | None) -> dict[str, Any]:
    return {"site_id": site.id, "hour_start": at, "day": at.date(), "aqi": aqi, "level": level, "primary": primary}


def area_day(
    region_id: int, day: date, aqi: int | None, level: int | None, primary: int | None, **values: float
) -> dict[str, Any]:
    return {"region_id": region_id, "day": day, "aqi": aqi, "level": level, "primary": primary, **values}


def test_each_station_shows_its_newest_hour_with_an_aqi(
    db: Session, world: World, stations: tuple[Site, Site, Site], tmp_path: Path, con: Any
) -> None:
    a, b, c = stations
    plant_results(
        tmp_path,
        AIR_HOUR,
        [
            hour(a, at(date(2026, 11, 30), 23), 50, 1, None),
            hour(a, at(date(2026, 12, 1), 10), 80, 2, PM2_5_HOURLY),
            hour(a, at(date(2026, 12, 1), 11), None, None, None),  # too few values this hour
            hour(b, at(date(2026, 11, 30), 22), 160, 4, PM2_5_HOURLY | PM10_HOURLY),
            hour(b, at(date(2026, 11, 28), 12), 300, 5, PM10_HOURLY),  # older than yesterday: not read
        ],
    )
    admin = world.principal(db, "admin")

    with use_locale("zh_CN"):
        air = air_overview(db, admin, reads_of(tmp_path, con), world.city, TODAY)
        by_site = {s.site_id: s for s in air.stations}
        names_b = by_site[b.id].aqi.primary_text

    assert by_site[a.id].hour == at(date(2026, 12, 1), 10)
    assert by_site[a.id].aqi == Aqi(80, 2, ("PM2_5_1h",))
    assert (by_site[a.id].longitude, by_site[a.id].latitude) == (114.05, 35.05)
    assert by_site[b.id].aqi == Aqi(160, 4, ("PM10_1h", "PM2_5_1h"))
    assert names_b == "PM10\u3001PM2.5"
    assert by_site[c.id].hour is None and by_site[c.id].aqi.aqi is None  # no hour: grey, not dropped
    assert [s.site_id for s in air.highest] == [b.id, a.id]
    assert by_site[b.id].aqi.colour == "#FF0000" and by_site[c.id].aqi.colour == "#9e9e9e"


def test_areas_show_today_yesterday_and_the_trend_as_stored(
    db: Session, world: World, stations: tuple[Site, Site, Site], tmp_path: Path, con: Any
) -> None:
    city, a, b = world.city.id, world.county_a.id, world.county_b.id
    plant_results(
        tmp_path,
        AIR_DAY_AREA,
        [
            area_day(city, date(2026, 11, 1), 200, 4, PM2_5_DAILY),  # 31 days ago: outside the 30 days
            area_day(city, date(2026, 11, 2), 40, 1, None),
            area_day(city, YESTERDAY, 120, 3, PM2_5_DAILY | O3_8H_DAILY, PM2_5_24h=80.5, CO_24h=1.25, O3_8h=161.0),
            area_day(city, TODAY, 90, 2, PM2_5_DAILY),
            area_day(a, YESTERDAY, 130, 3, PM2_5_DAILY),
            area_day(a, TODAY, 95, 2, PM2_5_DAILY),
            area_day(b, YESTERDAY, None, None, None),
            area_day(world.town_a.id, YESTERDAY, 10, 1, None),  # a town is no part of the city's screen
        ],
    )
    admin = world.principal(db, "admin")

    air = air_overview(db, admin, reads_of(tmp_path, con), world.city, TODAY)

    assert [d.day for d in air.trend] == [date(2026, 11, 2), YESTERDAY, TODAY]
    assert air.current == Aqi(90, 2, ("PM2_5_24h",))
    assert air.yesterday is not None and air.yesterday.aqi == Aqi(120, 3, ("PM2_5_24h", "O3_8h"))
    parts = {p.region_id: p for p in air.parts}
    assert list(parts) == [a, b]
    assert (parts[a].today, parts[a].yesterday) == (Aqi(95, 2, ("PM2_5_24h",)), Aqi(130, 3, ("PM2_5_24h",)))
    assert parts[b].today == Aqi() and parts[b].yesterday == Aqi()
    values = {v.key: (v.text, v.unit) for v in concentrations(air.yesterday)}
    # As a bulletin states them: µg/m³ to an integer, CO to 0.1 mg/m³, half to even (HJ 633-2026 §4.2.2).
    assert values["PM2_5_24h"] == ("80", "µg/m³")
    assert values["CO_24h"] == ("1.2", "mg/m³")
    assert values["O3_8h"] == ("161", "µg/m³")
    assert values["SO2_24h"][0] == "—"


def test_a_branch_sees_only_its_county(
    db: Session, world: World, stations: tuple[Site, Site, Site], tmp_path: Path, con: Any
) -> None:
    a, b, c = stations
    plant_results(tmp_path, AIR_HOUR, [hour(s, at(date(2026, 12, 1), 9), 60, 2, None) for s in (a, b, c)])
    plant_results(
        tmp_path,
        AIR_DAY_AREA,
        [area_day(r.id, TODAY, 70, 2, None) for r in (world.city, world.county_a, world.county_b, world.town_a)],
    )
    branch = world.principal(db, "branch_a")

    # Even asked about the whole city, the branch's reads hold its county's stations and areas only.
    air = air_overview(db, branch, reads_of(tmp_path, con), world.city, TODAY)

    assert {s.site_id for s in air.stations} == {a.id, c.id}
    assert [p.region_id for p in air.parts] == [world.county_a.id]
    county = air_overview(db, branch, reads_of(tmp_path, con), world.county_a, TODAY)
    assert [p.region_id for p in county.parts] == [world.town_a.id]
    assert county.parts[0].today == Aqi(70, 2, ())


def test_the_public_page_reads_the_whole_city(
    db: Session, world: World, stations: tuple[Site, Site, Site], tmp_path: Path, con: Any
) -> None:
    a, b, _c = stations
    b.active = False
    db.flush()
    plant_results(tmp_path, AIR_HOUR, [hour(s, at(date(2026, 12, 1), 9), 60, 2, None) for s in (a, b)])

    region = public_region(db)
    assert region is not None and region.id == world.city.id
    air = public_air(db, reads_of(tmp_path, con), region, TODAY, 7)

    assert a.id in {s.site_id for s in air.stations}
    assert b.id not in {s.site_id for s in air.stations}  # a retired station is not published
    assert [p.region_id for p in air.parts] == [world.county_a.id, world.county_b.id]


def test_nothing_computed_yet_reads_as_no_results(db: Session, world: World, tmp_path: Path, con: Any) -> None:
    air = air_overview(db, world.principal(db, "admin"), reads_of(tmp_path, con), world.city, TODAY)

    assert air.trend == [] and air.current == Aqi() and air.yesterday is None
    assert all(p.today == Aqi() for p in air.parts)


def test_level_names_and_colours_follow_hj_633() -> None:
    with use_locale("zh_CN"):
        names = [gettext(Aqi(1, level).label) for level in range(1, 7)]
    assert names == ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"]
    assert [Aqi(1, level).colour for level in (1, 6)] == ["#00E400", "#7E0023"]


def test_an_areas_aqi_now_is_its_newest_hour_with_an_aqi(db: Session, world: World, tmp_path: Path, con: Any) -> None:
    city = world.city.id
    rows = [
        {"region_id": city, "hour_start": at(YESTERDAY, 23), "day": YESTERDAY, "aqi": 70, "level": 2, "primary": 0},
        {"region_id": city, "hour_start": at(TODAY, 7), "day": TODAY, "aqi": 105, "level": 3, "primary": PM2_5_HOURLY},
        {"region_id": city, "hour_start": at(TODAY, 8), "day": TODAY, "aqi": None, "level": None, "primary": None},
        {"region_id": world.county_a.id, "hour_start": at(TODAY, 9), "day": TODAY, "aqi": 50, "level": 1},
    ]
    plant_results(tmp_path, AIR_HOUR_AREA, rows)

    assert latest_area_hour(reads_of(tmp_path, con), city, TODAY) == (at(TODAY, 7), Aqi(105, 3, ("PM2_5_1h",)))
    assert latest_area_hour(reads_of(tmp_path, con), world.town_a.id, TODAY) is None
    air = air_overview(db, world.principal(db, "admin"), reads_of(tmp_path, con), world.city, TODAY)
    assert (air.hour, air.hourly) == (at(TODAY, 7), Aqi(105, 3, ("PM2_5_1h",)))


def test_unchanged_results_are_read_without_opening_a_backend_and_changed_ones_again(tmp_path: Path, con: Any) -> None:
    rows = [
        {"region_id": 1, "hour_start": at(TODAY, 7), "day": TODAY, "aqi": 60, "level": 2, "primary": 0},
        {"region_id": 2, "hour_start": at(TODAY, 7), "day": TODAY, "aqi": 30, "level": 1, "primary": 0},
    ]
    plant_results(tmp_path, AIR_HOUR_AREA, rows)

    with reads_of(tmp_path, con) as first:
        assert latest_area_hour(first, 1, TODAY) == (at(TODAY, 7), Aqi(60, 2, ()))
    with reads_of(tmp_path, con) as again:
        assert latest_area_hour(again, 2, TODAY) == (at(TODAY, 7), Aqi(30, 1, ()))
    plant_results(tmp_path, AIR_HOUR_AREA, [{**rows[0], "hour_start": at(TODAY, 8), "aqi": 75}])  # the job's rewrite
    with reads_of(tmp_path, con) as changed:
        assert latest_area_hour(changed, 1, TODAY) == (at(TODAY, 8), Aqi(75, 2, ()))

    assert (first.opened, again.opened, changed.opened) == (1, 0, 1)
