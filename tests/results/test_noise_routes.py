"""The noise pages and API (`results/noise_routes.py`): compliance per station, per zone class and overall computed
on read from kept days, hand-worked; each principal sees the stations of its area only; the station page's table
and chart; the JSON days."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx
import pyarrow as pa
from sqlalchemy.orm import Session

from ecoloop.monitoring.enums import NoiseZone, SiteKind
from ecoloop.monitoring.service import add_site
from ecoloop.results import store
from ecoloop.results.noise import NOISE_DAY, judged_row
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import Element, open_session, parse


def noise_days(site_id: int, zone: str, days: list[tuple[int, float, float, int]]) -> list[dict[str, Any]]:
    """NOISE_DAY rows of November 2026: (day of month, Ld, Ln, day hours), 8 night hours each."""
    rows = []
    for day, ld, ln, hours in days:
        row = {
            "station": site_id,
            "day": date(2026, 11, day),
            "ld": ld,
            "ln": ln,
            "hours_day": hours,
            "hours_night": 8,
            "day_valid": hours >= 12,
            "night_valid": True,
            "lmax_night": None,
            "device_leq": None,
            "device_ldn": None,
            "device_ld": None,
            "device_ln": None,
            "device_lmax_night": None,
        }
        rows.append(judged_row(row, zone))
    return rows


def plant(db: Session, world: World, settings: Settings) -> tuple[int, int]:
    """Station A (county A, zone 1: 55/45): 1st 54.0/44.0 meets both; 2nd 56.2/46.0 exceeds both by 1.2 and 1.0; 3rd
    55.0/45.0 equal to the limits, meets; 4th Ld 60.0 from 10 hours, not judged, Ln 40.0 meets → by day 2 of 3
    (66.7 %), at night 3 of 4 (75.0 %). Station B (county B, zone 2: 60/50): 1st 58.0/52.0 → day 1 of 1 (100.0 %),
    night 0 of 1 (0.0 %). All: by day 3 of 4 (75.0 %), at night 3 of 5 (60.0 %)."""
    a = add_site(db, code="N-A", name="湖滨噪声点", kind=SiteKind.NOISE, region=world.town_a)
    b = add_site(db, code="N-B", name="柳林噪声点", kind=SiteKind.NOISE, region=world.town_b)
    a.noise_zone, b.noise_zone = NoiseZone.CLASS_1, NoiseZone.CLASS_2
    db.commit()
    rows = noise_days(a.id, "1", [(1, 54.0, 44.0, 16), (2, 56.2, 46.0, 16), (3, 55.0, 45.0, 16), (4, 60.0, 40.0, 10)])
    rows += noise_days(b.id, "2", [(1, 58.0, 52.0, 16)])
    table = pa.Table.from_pylist(rows, schema=NOISE_DAY.schema)
    store.replace_days(settings.results_root, NOISE_DAY, table, [r["day"] for r in rows])
    return a.id, b.id


def rates(row: Element) -> tuple[str, str]:
    day, night = row.find(data_rate="day"), row.find(data_rate="night")
    assert day is not None and night is not None
    return day.text, night.text


async def test_the_month_with_compliance_per_station_zone_and_overall(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    plant(app_db, app_world, app_settings)
    open_session(app_db, client, "analyst")

    page = await client.get("/noise?month=2026-11")

    assert page.status_code == 200
    html = parse(page.text)
    station_a, station_b = html.find("tr", data_site="N-A"), html.find("tr", data_site="N-B")
    assert station_a is not None and station_b is not None
    assert rates(station_a) == ("66.7% 2/3", "75.0% 3/4")
    assert rates(station_b) == ("100.0% 1/1", "0.0% 0/1")
    latest_ld, latest_ln = station_a.find(data_level="ld"), station_a.find(data_level="ln")
    assert latest_ld is not None and latest_ln is not None
    assert (latest_ld.text, latest_ln.text) == ("60.0 （无效）", "40.0")  # the 4th: its night is valid, its day not
    zones = {row.attrs["data-zone"]: rates(row) for row in html.find_all("tr") if "data-zone" in row.attrs}
    assert zones == {
        "1": ("66.7% 2/3", "75.0% 3/4"),
        "2": ("100.0% 1/1", "0.0% 0/1"),
        "all": ("75.0% 3/4", "60.0% 3/5"),
    }
    assert "1类声环境功能区" in station_a.text


async def test_a_branch_sees_its_county_and_a_foreign_station_answers_404(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    a, b = plant(app_db, app_world, app_settings)
    open_session(app_db, client, "branch_a")

    html = parse((await client.get("/noise?month=2026-11")).text)

    assert [row.attrs["data-site"] for row in html.find_all("tr") if "data-site" in row.attrs] == ["N-A"]
    assert {row.attrs["data-zone"] for row in html.find_all("tr") if "data-zone" in row.attrs} == {"1", "all"}
    assert (await client.get(f"/noise/stations/{b}?month=2026-11")).status_code == 404
    assert (await client.get(f"/api/v1/noise/stations/{b}/days?from=2026-11-01&to=2026-11-30")).status_code == 404
    assert (await client.get(f"/noise/stations/{a}?month=2026-11")).status_code == 200


async def test_who_may_see_the_noise_pages(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    """The hotline and a department hold VIEW_QUALITY (the department sees its city's stations, though no
    monitoring equipment); an enterprise does not."""
    plant(app_db, app_world, app_settings)
    open_session(app_db, client, "department")
    html = parse((await client.get("/noise?month=2026-11")).text)
    assert len([r for r in html.find_all("tr") if "data-site" in r.attrs]) == 2
    open_session(app_db, client, "enterprise_a")
    assert (await client.get("/noise")).status_code == 403


async def test_the_station_page_tables_and_charts_its_days(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    a, _b = plant(app_db, app_world, app_settings)
    open_session(app_db, client, "admin")

    page = await client.get(f"/noise/stations/{a}?month=2026-11")

    html = parse(page.text)
    second = html.find("tr", data_day="2026-11-02")
    assert second is not None
    assert "56.2" in second.text and "超标 +1.2" in second.text and "超标 +1.0" in second.text
    fourth = html.find("tr", data_day="2026-11-04")
    assert fourth is not None and "（无效）" in fourth.text and "未评价" in fourth.text
    source = html.find("script", id="noise-days")
    assert source is not None
    option: dict[str, Any] = json.loads(source.text)
    ld, ln, day_limit, night_limit = (s["data"] for s in option["series"])
    assert option["xAxis"]["data"] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    assert (ld, ln) == ([54.0, 56.2, 55.0, None], [44.0, 46.0, 45.0, 40.0])  # an invalid day is not charted
    assert (day_limit, night_limit) == ([55.0] * 4, [45.0] * 4)


async def test_the_days_as_json(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_settings: Settings
) -> None:
    a, _b = plant(app_db, app_world, app_settings)
    open_session(app_db, client, "leader")

    answer = await client.get(f"/api/v1/noise/stations/{a}/days?from=2026-11-02&to=2026-11-30")

    assert answer.status_code == 200
    body = answer.json()
    assert (body["code"], body["zone"], body["first"], body["last"]) == ("N-A", "1", "2026-11-02", "2026-11-30")
    assert [(d["day"], d["ld"], d["ld_exceeds"], d["ld_excess"]) for d in body["days"]] == [
        ("2026-11-02", 56.2, True, 1.2),
        ("2026-11-03", 55.0, False, 0.0),
        ("2026-11-04", 60.0, None, None),
    ]
    assert body["compliance"] == {
        "day_judged": 2,
        "day_met": 1,
        "day_rate": 50.0,
        "night_judged": 3,
        "night_met": 2,
        "night_rate": 66.7,
    }
    too_long = await client.get(f"/api/v1/noise/stations/{a}/days?from=2025-01-01&to=2026-11-30")
    assert too_long.status_code == 422
