"""The start page links to the overview screen and shows the area's AQI of its newest hour, as stored."""

from __future__ import annotations

from datetime import datetime, time

import httpx
from sqlalchemy.orm import Session

from ecoloop.results.air import AIR_HOUR_AREA
from ecoloop.settings import Settings
from ecoloop.web.forms import local_today
from tests.factories import World, plant_results
from tests.web.helpers import open_session, parse


async def test_the_start_page_shows_the_citys_aqi_now_and_links_to_the_screen(
    client: httpx.AsyncClient, app_settings: Settings, app_db: Session, app_world: World
) -> None:
    today = local_today(app_settings)
    rows = [
        {"region_id": app_world.city.id, "hour_start": datetime.combine(today, time(h)), "day": today, "aqi": aqi}
        for h, aqi in ((7, 61), (8, 74))
    ]
    plant_results(app_settings.results_root, AIR_HOUR_AREA, [{**r, "level": 2, "primary": 0} for r in rows])
    open_session(app_db, client, "leader")

    page = parse((await client.get("/")).text)

    now = page.find("p", class_="air-now")
    assert now is not None
    shown = now.find("span", class_="aqi")
    assert shown is not None and shown.text == "74" and "aqi-2" in shown.attrs["class"]
    assert "08:00" in now.text and "良" in now.text
    assert now.find("a", href="/screen") is not None


async def test_an_enterprise_sees_no_air_quality_on_its_start_page(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "enterprise_a")

    page = parse((await client.get("/")).text)

    assert page.find("p", class_="air-now") is None
