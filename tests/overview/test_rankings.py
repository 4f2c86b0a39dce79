"""The rankings page, its workbook and API, on planted daily results of three counties (tests/results/planted.py):
the hand-worked ranks with the tie rule, the published county ranking seen by a branch, targets met and missed, the
user's own area over the standard periods, and the scoping of towns and stations."""

from __future__ import annotations

import io
from decimal import Decimal

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.service import add_region
from ecoloop.results import periods
from ecoloop.results.targets import set_target
from ecoloop.results.water_queries import months_back
from ecoloop.settings import Settings
from ecoloop.web.forms import local_today
from tests.factories import World, plant_water_sections
from tests.results.planted import plant
from tests.web.helpers import open_session, parse

QUERY = "period=range&from=2026-01-01&to=2026-01-04"


@pytest.fixture
def counties(app_settings: Settings, app_db: Session, app_world: World) -> dict[int, int]:
    """Three counties with planted results: county A (1), county B (2) and a third one (3)."""
    set_actor(app_db, Actor(label="test"))
    third = add_region(app_db, code="371822", name="北山县", level=RegionLevel.COUNTY, parent=app_world.city)
    app_db.commit()
    ids = {1: app_world.county_a.id, 2: app_world.county_b.id, 3: third.id}
    plant(app_settings.results_root, ids)
    periods.clear_cache()
    return ids


def rows(html: str) -> list[dict[str, str]]:
    table = parse(html).find("table", class_="ranking")
    assert table is not None
    found = []
    for tr in table.find_all("tr"):
        if "data-id" in tr.attrs:
            cells = {c: (tr.find("td", class_=c).text.strip()) for c in ("rank", "name", "composite", "pm25")}
            found.append({"id": tr.attrs["data-id"], **cells})
    return found


async def test_counties_ranked_with_the_tie_rule(
    client: httpx.AsyncClient, app_db: Session, app_world: World, counties: dict[int, int]
) -> None:
    open_session(app_db, client, "analyst")
    response = await client.get(f"/rankings?{QUERY}")
    assert response.status_code == 200, response.text
    assert targets_links(response.text) == ["/quality/targets?year=2026"]
    found = rows(response.text)
    # 3.85 and 3.85 tie at 1 (清源区 371802 before 临河县 371821 by code), the next is 3rd.
    assert [(r["rank"], r["name"], r["composite"], r["pm25"]) for r in found] == [
        ("1", "清源区", "3.85", "35"),
        ("1", "临河县", "3.85", "35"),
        ("3", "北山县", "5.85", "70"),
    ]
    by_pm25 = rows((await client.get(f"/rankings?{QUERY}&by=pm25")).text)
    assert [r["rank"] for r in by_pm25] == ["1", "1", "3"]
    change = rows((await client.get(f"/rankings?{QUERY}&by=composite_change")).text)
    # -3.51 % (both tied counties) before +17.23 %.
    assert [(r["rank"], r["name"]) for r in change] == [("1", "清源区"), ("1", "临河县"), ("3", "北山县")]


async def test_targets_met_and_missed_on_the_ranking(
    client: httpx.AsyncClient, app_db: Session, app_world: World, counties: dict[int, int]
) -> None:
    set_actor(app_db, Actor(label="test"))
    set_target(app_db, app_world.principal(app_db, "admin"), app_world.county_a, 2026, Decimal(60), Decimal(35))
    app_db.commit()
    open_session(app_db, client, "branch_b")  # a branch sees the published county ranking with its targets
    html = (await client.get(f"/rankings?{QUERY}")).text
    row = parse(html).find("tr", data_id=str(app_world.county_a.id))
    assert row is not None
    assert "还差 10.0" in row.find("td", class_="good-target").text  # 50.0 % against 60 %
    assert "达标" in row.find("td", class_="pm25-target").text  # 35 against 35
    assert len(rows(html)) == 3
    open_session(app_db, client, "branch_a")  # its own county over the month, quarter and year to date
    own = parse((await client.get(f"/rankings?{QUERY}")).text).find("table", class_="standings")
    assert own is not None
    periods_shown = [tr for tr in own.find_all("tr") if "data-period" in tr.attrs]
    assert [tr.attrs["data-period"] for tr in periods_shown] == ["month", "quarter", "ytd"]
    for tr in periods_shown:  # 1-4 January 2026 in each
        assert tr.find("td", class_="good-ratio").text == "50.0" and tr.find("td", class_="pm25").text == "35"
        assert (
            "还差 10.0" in tr.find("td", class_="good-target").text
            and "达标" in tr.find("td", class_="pm25-target").text
        )


async def test_api_and_workbook_give_the_engine_numbers(
    client: httpx.AsyncClient, app_db: Session, app_world: World, counties: dict[int, int]
) -> None:
    open_session(app_db, client, "analyst")
    api = await client.get("/api/v1/rankings?level=county&by=composite&from=2026-01-01&to=2026-01-04")
    assert api.status_code == 200, api.text
    data = api.json()
    assert [(r["rank"], r["composite_index"], r["composite_change_rate"]) for r in data["rows"]] == [
        (1, "3.85", "-3.51"),
        (1, "3.85", "-3.51"),
        (3, "5.85", "17.23"),
    ]
    assert data["rows"][0]["level_days"] == [1, 1, 1, 0, 1, 0] and data["last_year_first"] == "2025-01-01"
    assert (await client.get("/api/v1/rankings?from=2026-01-04&to=2026-01-01")).status_code == 422
    book = await client.get(f"/rankings.xlsx?{QUERY}")
    assert book.status_code == 200
    sheet = load_workbook(io.BytesIO(book.content)).worksheets[0]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[3][3] == "清源区" and values[3][4] == pytest.approx(3.85) and values[5][0] == 3


async def test_the_forms_all_counties_choice_is_no_county(
    client: httpx.AsyncClient, app_db: Session, app_world: World, counties: dict[int, int]
) -> None:
    open_session(app_db, client, "analyst")
    response = await client.get(f"/rankings?level=county&county=&by=composite&day=2026-01-04&{QUERY}")
    assert response.status_code == 200 and len(rows(response.text)) == 3
    for county in ("abc", "0", "9999999999"):
        assert (await client.get(f"/rankings?level=town&county={county}&{QUERY}")).status_code == 404


async def test_towns_and_stations_stay_in_the_area(
    client: httpx.AsyncClient, app_db: Session, app_world: World, counties: dict[int, int]
) -> None:
    open_session(app_db, client, "branch_a")
    own = await client.get(f"/rankings?level=town&county={app_world.county_a.id}&{QUERY}")
    assert own.status_code == 200
    foreign = await client.get(f"/rankings?level=town&county={app_world.county_b.id}&{QUERY}")
    assert foreign.status_code == 404
    assert (await client.get(f"/rankings?level=station&{QUERY}")).status_code == 200


@pytest.mark.parametrize(("user", "status"), [("department", 200), ("hotline", 200), ("enterprise_a", 403)])
async def test_who_sees_the_rankings(
    client: httpx.AsyncClient, app_db: Session, app_world: World, user: str, status: int
) -> None:
    open_session(app_db, client, user)
    response = await client.get("/rankings")
    assert response.status_code == status
    if status == 200:
        assert not targets_links(response.text)


def targets_links(html: str) -> list[str]:
    links = [a.attrs.get("href", "") for a in parse(html).find_all("a")]
    return [href for href in links if href.startswith("/quality/targets")]


def water_rows(html: str, ranked: str) -> list[tuple[str, str, str]]:
    """The water ranking's rows (rank, name, CWQI) of the counties or sections, in the page's order."""
    table = parse(html).find("table", data_ranked=ranked)
    assert table is not None
    found = []
    for tr in table.find_all("tr"):
        if "data-id" in tr.attrs:
            tds = tr.find_all("td")
            found.append((tds[0].text, tds[1].text, tds[3].text))
    return found


@pytest.fixture
def water(app_settings: Settings, app_db: Session, app_world: World) -> dict[str, int]:
    return plant_water_sections(app_db, app_world, app_settings.results_root, local_today(app_settings))


async def test_water_ranked_by_cwqi_on_the_page_and_in_the_workbook(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, water: dict[str, int]
) -> None:
    open_session(app_db, client, "analyst")
    day = local_today(app_settings).isoformat()

    response = await client.get(f"/rankings?period=month&day={day}")

    # The latest month with results: NH3-N 0.4 / 1.0 (class III) = 0.4; DO 5 / 8.0 = 0.625; NH3-N 1.2 / 1.0 = 1.2;
    # county A's index sums its sections' mean indicators: 1.2 + 0.625.
    assert water_rows(response.text, "section") == [
        ("1", "下游断面", "0.4000"),
        ("2", "水库断面", "0.6250"),
        ("3", "上游断面", "1.2000"),
    ]
    assert water_rows(response.text, "county") == [("1", "临河县", "0.4000"), ("2", "清源区", "1.8250")]
    later = months_back(local_today(app_settings), 2)[0]
    assert parse(response.text).find("small", data_month=later.strftime("%Y-%m")) is not None
    book = await client.get(f"/rankings.xlsx?period=month&day={day}")
    sheet = load_workbook(io.BytesIO(book.content))["水质指数排名"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["月份", later.strftime("%Y-%m")]
    assert ["县（市、区）", 2, "371802", "清源区", 2, pytest.approx(1.825), None, None] in values
    assert ["断面", 1, "wq-b1", "下游断面", 1, pytest.approx(0.4), None, None] in values


async def test_a_branch_sees_the_water_of_its_county(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, water: dict[str, int]
) -> None:
    open_session(app_db, client, "branch_a")

    response = await client.get(f"/rankings?period=month&day={local_today(app_settings).isoformat()}")

    assert water_rows(response.text, "section") == [("1", "水库断面", "0.6250"), ("2", "上游断面", "1.2000")]
    assert water_rows(response.text, "county") == [("1", "清源区", "1.8250")]


async def test_the_api_gives_the_water_ranking(
    client: httpx.AsyncClient, app_db: Session, app_settings: Settings, water: dict[str, int]
) -> None:
    open_session(app_db, client, "analyst")

    api = await client.get(f"/api/v1/rankings?period=month&day={local_today(app_settings).isoformat()}")

    assert api.status_code == 200, api.text
    data = api.json()["water"]
    assert data["month"] == months_back(local_today(app_settings), 2)[0].isoformat()
    assert [(e["rank"], e["code"], e["cwqi"], e["change_rate"]) for e in data["sections"]] == [
        (1, "wq-b1", "0.4000", None),
        (2, "wq-a2", "0.6250", None),
        (3, "wq-a1", "1.2000", None),
    ]
    assert [(e["code"], e["sections"]) for e in data["counties"]] == [("371821", 1), ("371802", 2)]
