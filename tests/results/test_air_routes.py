"""The air quality pages, exports and API (`results/air_routes.py`) on planted results: the numbers kept are the
numbers shown, each user sees the stations and areas of their area only."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import httpx
import pyarrow as pa
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_site
from ecoloop.results import air, store
from ecoloop.settings import Settings
from ecoloop.web.forms import local_today
from tests.factories import World
from tests.web.helpers import open_session, parse

# AQI 110 (PM2.5 70 µg/m³, primary PM2.5: bit 4 of the daily keys SO2, NO2, CO, PM10, PM2.5 …).
PM25_BIT_DAILY = 1 << 4
PM25_BIT_HOURLY = 1 << 5  # hourly keys: SO2, NO2, CO, O3, PM10, PM2.5


def day_row(table: air.ResultTable, column: str, subject: int, day: date, aqi: int, level: int, pm25: float) -> dict:
    row: dict = {f.name: None for f in table.schema}
    row |= {column: subject, "day": day, "aqi": aqi, "level": level, "PM2_5_24h": pm25, "CO_24h": 0.84}
    row |= {"primary": PM25_BIT_DAILY, "complete": True}
    if "stations" in row:
        row["stations"] = 1
    return row


def hour_row(table: air.ResultTable, column: str, subject: int, hour: datetime, aqi: int, level: int) -> dict:
    row: dict = {f.name: None for f in table.schema}
    row |= {column: subject, "hour_start": hour, "day": hour.date(), "aqi": aqi, "level": level, "PM2_5": 70.0}
    return row | {"primary": PM25_BIT_HOURLY, "complete": True}


@pytest.fixture
def station(app_db: Session, app_world: World, app_settings: Settings) -> Site:
    """A city station in 清源区 with two days and an hour of results, and 清源区's results."""
    site = add_site(
        app_db, code="AQ-1", name="<b>湖滨站</b>", kind=SiteKind.AIR_STATION, region=app_world.county_a,
        station_level=StationLevel.CITY,
    )  # fmt: skip
    app_db.commit()
    today = local_today(app_settings)
    yesterday = today - timedelta(days=1)
    root = app_settings.results_root
    days = [
        day_row(air.AIR_DAY, "site_id", site.id, d, a, lv, p)
        for d, a, lv, p in ((yesterday, 110, 3, 70.0), (today, 45, 1, 20.0))
    ]
    store.replace_days(root, air.AIR_DAY, pa.Table.from_pylist(days, air.AIR_DAY.schema), [yesterday, today])
    area = [day_row(air.AIR_DAY_AREA, "region_id", app_world.county_a.id, yesterday, 152, 4, 116.0)]
    store.replace_days(root, air.AIR_DAY_AREA, pa.Table.from_pylist(area, air.AIR_DAY_AREA.schema), [yesterday])
    hour = datetime.combine(today, datetime.min.time()).replace(hour=1)
    hours = [hour_row(air.AIR_HOUR, "site_id", site.id, hour, 61, 2)]
    store.replace_days(root, air.AIR_HOUR, pa.Table.from_pylist(hours, air.AIR_HOUR.schema), [today])
    return site


async def test_the_overview_shows_the_kept_aqi_of_stations_and_areas(
    client: httpx.AsyncClient, app_db: Session, app_world: World, station: Site
) -> None:
    open_session(app_db, client, "analyst")
    response = await client.get("/air")
    assert response.status_code == 200, response.text
    page = parse(response.text)

    row = page.find("tr", data_site=str(station.id))
    assert row is not None
    assert [b.attrs["data-aqi"] for b in row.find_all("span", class_="aqi")] == ["61", "110"]  # latest hour, yesterday
    assert "<b>湖滨站</b>" in row.text  # a stored name is text, never markup
    assert "PM2.5" in row.text and "良" in row.text
    county = page.find("tr", data_region=str(app_world.county_a.id))
    assert county is not None and "152" in county.text and "中度污染" not in county.text


async def test_the_station_page_tables_each_kept_day(
    client: httpx.AsyncClient, app_db: Session, station: Site, app_settings: Settings
) -> None:
    open_session(app_db, client, "leader")
    response = await client.get(f"/air/stations/{station.id}")
    assert response.status_code == 200
    page = parse(response.text)
    yesterday = (local_today(app_settings) - timedelta(days=1)).isoformat()
    row = page.find("tr", data_day=yesterday)
    assert row is not None
    cells = [c.text for c in row.find_all("td")]
    assert cells[1:4] == ["110", "轻度污染", "PM2.5"]
    assert "70" in cells and "0.8" in cells  # PM2.5 to whole µg/m³, CO to 0.1 mg/m³
    assert page.find(data_chart="daily-chart-data") is not None


async def test_a_branch_sees_only_its_county(
    client: httpx.AsyncClient, app_db: Session, app_world: World, station: Site
) -> None:
    open_session(app_db, client, "branch_b")
    assert (await client.get(f"/air/stations/{station.id}")).status_code == 404
    assert (await client.get(f"/air/areas/{app_world.county_a.id}")).status_code == 404
    assert (await client.get(f"/api/v1/air/stations/{station.id}/days")).status_code == 404
    assert (await client.get(f"/air/stations/{station.id}/export.xlsx")).status_code == 404
    page = (await client.get("/air")).text
    assert "湖滨站" not in page
    open_session(app_db, client, "enterprise_a")  # no view_quality
    assert (await client.get("/air")).status_code == 403


async def test_exports_and_api_carry_the_kept_values(
    client: httpx.AsyncClient, app_db: Session, app_world: World, station: Site, app_settings: Settings
) -> None:
    open_session(app_db, client, "branch_a")
    today = local_today(app_settings)
    first = (today - timedelta(days=1)).isoformat()

    book = load_workbook(io.BytesIO((await client.get(f"/air/stations/{station.id}/export.xlsx?from={first}")).content))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("日期", "AQI", "级别", "类别", "首要污染物")
    assert rows[1][:5] == (first, 110, 3, "轻度污染", "PM2.5")

    text = (await client.get(f"/air/areas/{app_world.county_a.id}/export.csv?from={first}")).content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text)))[1][:2] == [first, "152"]

    days = (await client.get(f"/api/v1/air/stations/{station.id}/days?from={first}")).json()
    assert [(d["day"], d["aqi"], d["primary"]) for d in days] == [
        (first, 110, ["PM2_5_24h"]),
        (today.isoformat(), 45, ["PM2_5_24h"]),
    ]
    hours = (await client.get(f"/api/v1/air/stations/{station.id}/hours")).json()
    assert [(h["aqi"], h["concentrations"]["PM2_5"]) for h in hours] == [(61, 70.0)]
    assert (await client.get(f"/api/v1/air/stations/{station.id}/days?from=yesterday")).status_code == 422


async def test_compare_reads_only_stations_the_user_may_see(
    client: httpx.AsyncClient, app_db: Session, station: Site, app_settings: Settings
) -> None:
    open_session(app_db, client, "analyst")
    first = (local_today(app_settings) - timedelta(days=1)).isoformat()
    page = parse((await client.get(f"/air/compare?site={station.id}&interval=day&from={first}")).text)
    row = page.find("tr", data_site=str(station.id))
    assert row is not None and row.find_all("td")[1].text == "45"  # mean of 70 and 20 µg/m³
    open_session(app_db, client, "branch_b")
    page = parse((await client.get(f"/air/compare?site={station.id}&interval=day")).text)
    assert page.find("tr", data_site=str(station.id)) is None
