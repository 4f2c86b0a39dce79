"""The overview screen: the stored results as a page (each county's AQI today and yesterday, the stations on the
map in their level's colour), open alerts and the case funnel, scoped to the user's area; the wall-screen layout."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import ibis
import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import fixed
from ecoloop.audit.service import Actor, set_actor
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.overview.screen import year_to_date
from ecoloop.results import periods
from ecoloop.results.air import AIR_DAY_AREA, AIR_HOUR, AIR_HOUR_AREA
from ecoloop.results.queries import ResultReads
from ecoloop.results.targets import set_target
from ecoloop.results.water_queries import months_back
from ecoloop.settings import Settings
from ecoloop.web.forms import local_today
from tests.factories import World, give_boundaries, plant_results, plant_water_sections
from tests.web.helpers import Element, open_session, parse

PM2_5_HOURLY = 1 << 5
PM2_5_DAILY = 1 << 4


@pytest.fixture
def planted(app_settings: Settings, app_db: Session, app_world: World) -> dict[str, Site]:
    """Two stations (county A and county B) with their latest hours, and the city's and counties' days."""
    give_boundaries(app_db, app_world)
    a = add_site(
        app_db,
        code="AQ-A",
        name="湖滨站",
        kind=SiteKind.AIR_STATION,
        region=app_world.county_a,
        station_level=StationLevel.CITY,
        longitude=114.05,
        latitude=35.05,
    )
    b = add_site(
        app_db,
        code="AQ-B",
        name="柳林站",
        kind=SiteKind.AIR_STATION,
        region=app_world.county_b,
        station_level=StationLevel.COUNTY,
        longitude=114.3,
        latitude=35.1,
    )
    app_db.commit()
    today = local_today(app_settings)
    yesterday = today - timedelta(days=1)
    nine = datetime.combine(today, time(9))
    root = app_settings.results_root
    plant_results(
        root,
        AIR_HOUR,
        [
            {"site_id": a.id, "hour_start": nine, "day": today, "aqi": 163, "level": 4, "primary": PM2_5_HOURLY},
            {"site_id": b.id, "hour_start": nine, "day": today, "aqi": 42, "level": 1, "primary": 0},
        ],
    )
    days = []
    for region, aqi_today, aqi_yesterday in (
        (app_world.city, 88, 121),
        (app_world.county_a, 97, 133),
        (app_world.county_b, 45, 77),
    ):
        days.append(
            {
                "region_id": region.id,
                "day": today,
                "aqi": aqi_today,
                "level": 2 if aqi_today > 50 else 1,
                "primary": PM2_5_DAILY,
            }
        )
        days.append(
            {
                "region_id": region.id,
                "day": yesterday,
                "aqi": aqi_yesterday,
                "level": 3 if aqi_yesterday > 100 else 2,
                "primary": PM2_5_DAILY,
            }
        )
    plant_results(root, AIR_DAY_AREA, days)
    city_hour = {"region_id": app_world.city.id, "hour_start": nine, "day": today}
    plant_results(root, AIR_HOUR_AREA, [{**city_hour, "aqi": 104, "level": 3, "primary": PM2_5_HOURLY}])
    return {"a": a, "b": b}


def parts(page: Element) -> dict[str, tuple[str, str]]:
    """The parts table: area name → (today's AQI, yesterday's AQI) as shown."""
    table = page.find("table", class_="parts")
    assert table is not None
    found = {}
    for row in table.find_all("tr"):
        cells = row.find_all("td")
        if len(cells) == 4:
            found[cells[0].text] = (cells[1].text, cells[2].text)
    return found


def chart_option(page: Element, chart_id: str) -> dict[str, object]:
    source = page.find("script", id=chart_id)
    assert source is not None and source.attrs.get("type") == "application/json"
    option: dict[str, object] = json.loads(source.text)
    return option


async def test_the_city_screen_shows_the_stored_results(
    client: httpx.AsyncClient, app_db: Session, app_world: World, planted: dict[str, Site]
) -> None:
    open_session(app_db, client, "analyst")

    response = await client.get("/screen")

    assert response.status_code == 200
    page = parse(response.text)
    assert parts(page) == {"清源区": ("97", "133"), "临河县": ("45", "77")}
    now = page.find("div", class_="now")
    assert now is not None
    big = now.find("span", class_="aqi-big")
    assert big is not None and big.text == "104" and "aqi-3" in big.attrs["class"]  # the city's 09:00
    assert "09:00" in now.text and "轻度污染" in now.text
    today_so_far = now.find(class_="today-so-far")
    assert today_so_far is not None and "88" in today_so_far.text and "良" in today_so_far.text
    assert "121" in now.text  # yesterday
    option = chart_option(page, "screen-map")
    assert option["mapUrl"] == f"/maps/regions/{app_world.city.id}.geojson"
    series = option["series"]
    assert isinstance(series, list)
    dots = {d["name"]: d for d in series[0]["data"]}
    assert dots["湖滨站"]["value"] == [114.05, 35.05, 163]
    assert dots["湖滨站"]["itemStyle"]["color"] == "#FF0000"  # level 4, HJ 633 Table 2
    assert "PM2.5" in dots["湖滨站"]["tooltip"]["formatter"]
    trend = chart_option(page, "screen-trend")
    assert [d["value"] for d in trend["series"][0]["data"]] == [121, 88]  # type: ignore[index]
    assert page.find("ol", class_="funnel") is not None


async def test_a_branch_sees_its_county_and_no_other(
    client: httpx.AsyncClient, app_db: Session, app_world: World, planted: dict[str, Site]
) -> None:
    open_session(app_db, client, "branch_a")

    own = await client.get("/screen")
    other = await client.get(f"/screen/regions/{app_world.county_b.id}")
    city = await client.get(f"/screen/regions/{app_world.city.id}")

    assert own.status_code == 200
    page = parse(own.text)
    dots = chart_option(page, "screen-map")["series"][0]["data"]  # type: ignore[index]
    assert [d["name"] for d in dots] == ["湖滨站"]
    assert "柳林站" not in own.text
    assert other.status_code == 404 and city.status_code == 404


async def test_a_county_screen_from_the_city(
    client: httpx.AsyncClient, app_db: Session, app_world: World, planted: dict[str, Site]
) -> None:
    open_session(app_db, client, "leader")

    response = await client.get(f"/screen/regions/{app_world.county_b.id}")

    page = parse(response.text)
    assert response.status_code == 200
    now = page.find("div", class_="now")
    assert now is not None and "45" in now.text
    big = now.find("span", class_="aqi-big")
    assert big is not None and big.text == "—"  # no hourly result of the county planted
    dots = chart_option(page, "screen-map")["series"][0]["data"]  # type: ignore[index]
    assert [d["name"] for d in dots] == ["柳林站"]
    assert page.find("a", href="/screen") is not None  # back to the city


async def test_the_wall_screen_is_dark_bare_and_reloads_itself(
    client: httpx.AsyncClient, app_db: Session, app_world: World, planted: dict[str, Site]
) -> None:
    open_session(app_db, client, "leader")

    response = await client.get("/screen?wall=1")

    page = parse(response.text)
    assert response.status_code == 200
    body = page.find("body")
    assert body is not None and body.attrs["class"] == "wall"
    assert page.find("nav") is None  # no menu
    main = page.find("main")
    assert main is not None and int(main.attrs["data-refresh"]) > 0
    assert parts(page) == {"清源区": ("97", "133"), "临河县": ("45", "77")}


async def test_an_enterprise_may_not_open_the_screen(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "enterprise_a")

    assert (await client.get("/screen")).status_code == 403


@pytest.fixture
def ytd_planted(app_settings: Settings, app_db: Session, app_world: World) -> None:
    """Yesterday's daily results of the city (AQI 80, PM2.5 41.6 µg/m³) and of county A (AQI 160, PM2.5 75.4), the
    same day a year earlier (the city: AQI 150, PM2.5 60.0) and the targets of yesterday's year (the city 80.0 %
    and 35 µg/m³, county A 85.0 % and 80 µg/m³)."""
    set_actor(app_db, Actor(label="test"))
    yesterday = local_today(app_settings) - timedelta(days=1)
    before = periods.standard_period("ytd", yesterday).last_year().last
    rows = [
        {"region_id": app_world.city.id, "day": yesterday, "aqi": 80, "level": 2, "PM2_5_24h": 41.6},
        {"region_id": app_world.county_a.id, "day": yesterday, "aqi": 160, "level": 4, "PM2_5_24h": 75.4},
        {"region_id": app_world.city.id, "day": before, "aqi": 150, "level": 3, "PM2_5_24h": 60.0},
    ]
    plant_results(app_settings.results_root, AIR_DAY_AREA, rows)
    admin = app_world.principal(app_db, "admin")
    set_target(app_db, admin, app_world.city, yesterday.year, Decimal("80.0"), Decimal(35))
    set_target(app_db, admin, app_world.county_a, yesterday.year, Decimal("85.0"), Decimal(80))
    app_db.commit()
    periods.clear_cache()


def ytd_cells(page: Element, key: str) -> list[str]:
    """The texts of a row of the year-to-date panel: the value, the target, last year's value and the change."""
    row = page.find("tr", data_ytd=key)
    assert row is not None
    return [" ".join(td.text.split()) for td in row.find_all("td")]


async def test_the_year_to_date_against_the_target_and_last_year(
    client: httpx.AsyncClient, app_db: Session, ytd_planted: None
) -> None:
    open_session(app_db, client, "analyst")

    page = parse((await client.get("/screen")).text)
    wall = parse((await client.get("/screen?wall=1")).text)

    # One good day of one (100.0 %) against none of one a year earlier; PM2.5 42 against 60: (42 - 60) / 60.
    assert ytd_cells(page, "good-ratio") == ["100.0%", "80.0% 达标", "0.0%", "+100.0 个百分点"]
    assert ytd_cells(page, "pm25") == ["42", "35 还差 7", "60", "-30.00%"]
    assert ytd_cells(wall, "pm25") == ytd_cells(page, "pm25")


async def test_a_branch_sees_the_year_to_date_of_its_county(
    client: httpx.AsyncClient, app_db: Session, ytd_planted: None
) -> None:
    open_session(app_db, client, "branch_a")

    page = parse((await client.get("/screen")).text)

    assert ytd_cells(page, "good-ratio") == ["0.0%", "85.0% 还差 85.0", "–", "–"]
    assert ytd_cells(page, "pm25") == ["75", "80 达标", "–", "–"]


@pytest.fixture
def water(app_settings: Settings, app_db: Session, app_world: World) -> dict[str, int]:
    return plant_water_sections(app_db, app_world, app_settings.results_root, local_today(app_settings))


def water_panel(page: Element) -> tuple[dict[str, str], str, str]:
    """The water panel: the count of sections per class (by class value), the share of class I-III, the meeting."""
    panel = page.find("section", class_="water")
    assert panel is not None
    classes = {li.attrs["data-grade"]: li.find("span", class_="count").text for li in panel.find_all("li")
               if "data-grade" in li.attrs}  # fmt: skip
    share = panel.find(data_figure="good-share")
    meeting = panel.find(data_figure="meeting")
    assert share is not None and meeting is not None
    return classes, share.text, meeting.text


async def test_water_sections_by_class_in_the_latest_month(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, water: dict[str, int]
) -> None:
    open_session(app_db, client, "leader")

    page = parse((await client.get("/screen")).text)
    wall = parse((await client.get("/screen?wall=1")).text)

    # The later month: class I (水库), class II (下游), class IV (上游, missing its target III).
    classes, share, meeting = water_panel(page)
    assert classes == {"I": "1", "II": "1", "III": "0", "IV": "1", "V": "0", "劣V": "0"}
    assert (share, meeting) == ("66.7%", "1 / 2")
    later = months_back(local_today(app_settings), 2)[0]
    month = page.find(class_="water-month")
    assert month is not None and later.strftime("%Y-%m") in month.text
    assert water_panel(wall) == water_panel(page)


async def test_a_branch_counts_the_sections_of_its_county_only(
    client: httpx.AsyncClient, app_db: Session, water: dict[str, int]
) -> None:
    open_session(app_db, client, "branch_a")

    classes, share, meeting = water_panel(parse((await client.get("/screen")).text))

    assert classes == {"I": "1", "II": "0", "III": "0", "IV": "1", "V": "0", "劣V": "0"}
    assert (share, meeting) == ("50.0%", "1 / 2")


def test_the_year_to_date_is_kept_without_opening_a_backend(db: Session, world: World, tmp_path: Path) -> None:
    yesterday = date(2026, 12, 6)
    rows = [{"region_id": world.city.id, "day": yesterday, "aqi": 80, "level": 2, "PM2_5_24h": 41.6}]
    plant_results(tmp_path, AIR_DAY_AREA, rows)
    periods.clear_cache()
    backend = ibis.duckdb.connect()
    try:
        with ResultReads(tmp_path, lambda: fixed(backend)) as first:
            ytd = year_to_date(db, world.principal(db, "analyst"), first, world.city, yesterday + timedelta(days=1))
        with ResultReads(tmp_path, lambda: fixed(backend)) as again:
            year_to_date(db, world.principal(db, "analyst"), again, world.city, yesterday + timedelta(days=1))
    finally:
        backend.disconnect()

    assert (ytd.period.first, ytd.period.last) == (date(2026, 1, 1), yesterday)
    assert ytd.change.now is not None and ytd.change.now.pm25 == 42
    assert (first.opened, again.opened) == (1, 0)
