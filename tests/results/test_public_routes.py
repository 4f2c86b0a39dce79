"""The public page: without signing in, the stations' current AQI, the city's daily AQI and the daily report, as
stored; public information only (no site codes, devices, alerts or cases)."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.models import Case
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.results.air import AIR_DAY_AREA, AIR_HOUR
from ecoloop.results.water_queries import months_back
from ecoloop.settings import Settings
from ecoloop.web.forms import local_today
from tests.factories import World, plant_results, plant_water_sections
from tests.web.helpers import parse

PM2_5_HOURLY = 1 << 5
PM2_5_DAILY = 1 << 4


async def test_the_public_page_shows_the_stored_air_quality_without_signing_in(
    client: httpx.AsyncClient, app_settings: Settings, app_db: Session, app_world: World
) -> None:
    station = add_site(
        app_db,
        code="AQ-SECRET-CODE",
        name="湖滨站",
        kind=SiteKind.AIR_STATION,
        region=app_world.county_a,
        station_level=StationLevel.CITY,
        longitude=114.05,
        latitude=35.05,
    )
    micro = add_site(
        app_db,
        code="AQ-MICRO",
        name="花园村微型站",
        kind=SiteKind.AIR_STATION,
        region=app_world.village_a,
        station_level=StationLevel.VILLAGE,
        longitude=114.06,
        latitude=35.06,
    )
    app_db.add(
        Case(
            number="AJ2026-000001",
            source=CaseSource.INSPECTION,
            category=Category.AIR,
            title="案件标题不公开",
            region_id=app_world.town_a.id,
        )
    )
    app_db.commit()
    today = local_today(app_settings)
    yesterday = today - timedelta(days=1)
    root = app_settings.results_root
    hour = {"site_id": station.id, "hour_start": datetime.combine(today, time(8)), "day": today}
    plant_results(
        root,
        AIR_HOUR,
        [
            {**hour, "aqi": 131, "level": 3, "primary": PM2_5_HOURLY},
            {**hour, "site_id": micro.id, "aqi": 45, "level": 1, "primary": 0},
        ],
    )
    city, county_a = app_world.city.id, app_world.county_a.id
    plant_results(
        root,
        AIR_DAY_AREA,
        [
            {"region_id": city, "day": today - timedelta(days=10), "aqi": 40, "level": 1, "primary": 0},
            {"region_id": city, "day": yesterday, "aqi": 112, "level": 3, "primary": PM2_5_DAILY, "PM2_5_24h": 84.4},
            {"region_id": county_a, "day": yesterday, "aqi": 126, "level": 3, "primary": PM2_5_DAILY},
        ],
    )

    response = await client.get("/public")
    month = await client.get("/public?days=30")

    assert response.status_code == 200
    page = parse(response.text)
    row = page.find("tr", **{"data-station": "湖滨站"})
    assert row is not None
    assert [c.text for c in row.find_all("td")] == ["湖滨站", "131 轻度污染", "PM2.5", "08:00"]
    # A village's micro station is on the map, not in the list of control stations.
    assert page.find("tr", **{"data-station": "花园村微型站"}) is None
    option = json.loads(page.find("script", id="public-map").text)  # type: ignore[union-attr]
    assert "mapUrl" not in option and "xAxis" in option  # no boundaries imported: the stations on plain axes
    dots = option["series"][0]["data"]
    assert sorted(d["name"] for d in dots) == ["湖滨站", "花园村微型站"]
    report = page.find("p", class_="city-report")
    assert report is not None and "112" in report.text and "轻度污染" in report.text and "PM2.5" in report.text
    county = page.find("tr", **{"data-part": "清源区"})
    assert county is not None and county.find_all("td")[1].text == "126"
    pm25 = page.find("tr", **{"data-key": "PM2_5_24h"})
    assert pm25 is not None and "84 µg/m³" in pm25.text
    week = json.loads(page.find("script", id="public-trend").text)  # type: ignore[union-attr]
    assert [d["value"] for d in week["series"][0]["data"]] == [112]
    thirty = json.loads(parse(month.text).find("script", id="public-trend").text)  # type: ignore[union-attr]
    assert [d["value"] for d in thirty["series"][0]["data"]] == [40, 112]
    # Public information only.
    for private in ("AQ-SECRET-CODE", "AJ2026-000001", "案件标题不公开", "/alerts", "/cases"):
        assert private not in response.text
    assert page.find("nav", class_="menu") is None


async def test_the_sign_in_page_links_to_the_public_page(client: httpx.AsyncClient) -> None:
    page = parse((await client.get("/login")).text)

    link = page.find("a", href="/public")
    assert link is not None and link.text == "空气质量信息公开"


async def test_the_public_page_shows_the_sections_classes_by_month(
    client: httpx.AsyncClient, app_settings: Settings, app_db: Session, app_world: World
) -> None:
    today = local_today(app_settings)
    plant_water_sections(app_db, app_world, app_settings.results_root, today)
    add_site(app_db, code="wq-closed", name="停用断面", kind=SiteKind.WATER_STATION, region=app_world.town_b)
    app_db.execute(update(Site).where(Site.code == "wq-closed").values(active=False))
    app_db.commit()
    earlier, later, _this = months_back(today, 3)

    response = await client.get("/public")

    assert response.status_code == 200
    page = parse(response.text)
    table = page.find("table", class_="water-months")
    assert table is not None
    assert [th.attrs["data-month"] for th in table.find_all("th") if "data-month" in th.attrs] == [
        earlier.strftime("%Y-%m"),
        later.strftime("%Y-%m"),
    ]  # the months with results only (not this month)
    cells = {
        tr.attrs["data-section"]: [" ".join(td.text.split()) for td in tr.find_all("td")[1:]]
        for tr in table.find_all("tr")
        if "data-section" in tr.attrs
    }
    assert cells == {
        "上游断面": ["Ⅲ类 达标", "Ⅳ类 未达标"],
        "水库断面": ["–", "Ⅰ类 达标"],
        "下游断面": ["–", "Ⅱ类"],  # no target
    }  # the inactive section without results is left out
    assert "wq-a1" not in response.text and "wq-b1" not in response.text  # no codes
