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


async def test_the_start_page_counts_an_officers_inspections_and_the_penalty_worklists(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    from ecoloop.cases.service import Acting
    from ecoloop.db.base import utcnow
    from ecoloop.inspections import service as inspections

    analyst = Acting(app_world.users["analyst"], app_world.principal(app_db, "analyst"))
    officers = [app_world.users["inspector"].id, app_world.users["branch_a"].id]
    for enterprise in (app_world.enterprise_a, app_world.enterprise_b):
        inspections.create_inspection(
            app_db, analyst, enterprise_id=enterprise.id, officer_ids=officers, planned_on=utcnow().date(), now=utcnow()
        )
    app_db.commit()

    open_session(app_db, client, "inspector")
    page = parse((await client.get("/")).text)
    tasks = page.find("section", class_="inspection-tasks")
    assert tasks is not None
    today = tasks.find("a", **{"data-tasks": "today"})
    assert today is not None and today.attrs["href"] == "/inspections/mine"
    assert "今日待检查 2" in tasks.text and page.find("section", class_="penalty-queues") is not None

    open_session(app_db, client, "leader")  # a leader inspects nothing but follows the penalty cases
    page = parse((await client.get("/")).text)
    assert page.find("section", class_="inspection-tasks") is None
    assert page.find("section", class_="penalty-queues") is not None
