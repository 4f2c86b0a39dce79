"""The water quality pages, export and API over kept results: what each role sees of which sections, the numbers
as kept, and a foreign section not found."""

from __future__ import annotations

import io
from datetime import date

import httpx
import pyarrow as pa
import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.service import add_site
from ecoloop.results import store
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.settings import Settings
from ecoloop.standards.water import WaterGrade
from tests.factories import World
from tests.web.helpers import open_session, parse

NOV, OCT = date(2026, 11, 1), date(2026, 10, 1)


@pytest.fixture
def sections(app_db: Session, app_world: World, app_settings: Settings) -> dict[str, int]:
    """Section A in county A (target III): class IV in November (NH3-N 1.2), class III in October. Section B in
    county B (no target): class I in November (DO 8). Section C in county B: no results."""
    a = add_site(
        app_db,
        code="wq-a",
        name="<b>A</b> 断面",
        kind=SiteKind.WATER_STATION,
        region=app_world.town_a,
        water_target=WaterGrade.CLASS_III,
    )
    b = add_site(app_db, code="wq-b", name="B 断面", kind=SiteKind.WATER_STATION, region=app_world.town_b)
    c = add_site(app_db, code="wq-c", name="C 断面", kind=SiteKind.WATER_STATION, region=app_world.town_b)
    app_db.commit()
    rows = [
        section_row(a.id, NOV, {"NH3_N": (1.2, 720), "DO": (6.5, 700)}, WaterGrade.CLASS_III),
        section_row(b.id, NOV, {"DO": (8.0, 30)}, None),
        section_row(a.id, OCT, {"NH3_N": (0.8, 744)}, WaterGrade.CLASS_III),
    ]
    table = pa.Table.from_pylist(rows, schema=WATER_MONTH.schema)
    store.replace_days(app_settings.results_root, WATER_MONTH, table, [OCT, NOV])
    return {"a": a.id, "b": b.id, "c": c.id}


def section_rows(html: str) -> dict[str, dict[str, str]]:
    """Per site id: the texts of the month table's cells marked with data-cell or data-indicator."""
    found = {}
    for tr in parse(html).find_all("tr"):
        if "data-site" in tr.attrs:
            cells = {e.attrs.get("data-cell") or e.attrs["data-indicator"]: e.text for e in tr.find_all("td")
                     if "data-cell" in e.attrs or "data-indicator" in e.attrs}  # fmt: skip
            found[tr.attrs["data-site"]] = cells
    return found


async def test_the_bureau_sees_every_sections_class_and_the_summary(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int]
) -> None:
    open_session(app_db, client, "analyst")
    response = await client.get("/water?month=2026-11")
    assert response.status_code == 200
    rows = section_rows(response.text)
    a, b, c = (str(sections[k]) for k in "abc")
    # CWQI of A: NH3-N 1.2/1.0 + DO 5/6.5 = 1.2 + 0.769230… = 1.9692; of B: DO 5/8 = 0.625.
    assert rows[a] == {"grade": "Ⅳ类", "main": "氨氮 超标0.2倍", "cwqi": "1.9692", "NH3_N": "1.200", "DO": "6.50"}
    assert rows[b] == {"grade": "Ⅰ类", "main": "", "cwqi": "0.6250", "NH3_N": "", "DO": "8.00"}
    assert rows[c] == {"grade": "无数据"}
    figures = {e.attrs["data-figure"]: e.text for e in parse(response.text).find_all(class_="figure")}
    # 1 of 2 classed sections is I-III; A fails its target III; (1.9692 + 0.625)/2 = 1.2971
    assert figures == {
        "good-share": "50.0%",
        "worse-than-v": "0",
        "meeting": "0 / 1",
        "mean-cwqi": "1.2971",
        "classed": "2 / 3",
    }
    assert "<b>A</b>" not in response.text  # the section's name is text


async def test_the_latest_month_with_results_is_shown_by_default(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int]
) -> None:
    open_session(app_db, client, "leader")
    response = await client.get("/water")
    assert parse(response.text).find("small", data_month="2026-11") is not None


async def test_a_branch_sees_its_countys_sections_only(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int]
) -> None:
    open_session(app_db, client, "branch_a")
    response = await client.get("/water?month=2026-11")
    assert set(section_rows(response.text)) == {str(sections["a"])}
    assert (await client.get(f"/water/sections/{sections['a']}")).status_code == 200
    assert (await client.get(f"/water/sections/{sections['b']}")).status_code == 404
    assert (await client.get(f"/api/v1/water/sections/{sections['b']}/months")).status_code == 404


async def test_a_sections_months_as_json(client: httpx.AsyncClient, app_db: Session, sections: dict[str, int]) -> None:
    open_session(app_db, client, "department")
    response = await client.get(f"/api/v1/water/sections/{sections['a']}/months?until=2026-12")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["target"]) == ("wq-a", "III")
    assert [(m["month"], m["grade"], m["meets"], m["main_pollutants"]) for m in body["months"]] == [
        ("2026-10-01", "III", True, []),
        ("2026-11-01", "IV", False, [{"indicator": "NH3_N", "multiple": "0.2"}]),
    ]
    assert body["months"][1]["means"] == {"NH3_N": 1.2, "DO": 6.5}
    assert body["months"][1]["counts"] == {"NH3_N": 720, "DO": 700}


async def test_a_sections_page_charts_and_tables_its_months(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int]
) -> None:
    open_session(app_db, client, "inspector")
    response = await client.get(f"/water/sections/{sections['a']}?until=2026-11")
    page = parse(response.text)
    months = {
        tr.attrs["data-month"]: tr.find(data_cell="grade") for tr in page.find_all("tr") if "data-month" in tr.attrs
    }
    assert {k: v.text if v else None for k, v in months.items()} == {"2026-11": "Ⅳ类", "2026-10": "Ⅲ类"}
    charts = {e.attrs["data-chart"] for e in page.find_all(class_="chart")}
    assert charts == {"chart-grades", "chart-NH3_N", "chart-DO"}


async def test_the_month_exported_to_excel(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int]
) -> None:
    open_session(app_db, client, "analyst")
    response = await client.get("/water.xlsx?month=2026-11")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:8] == [
        "断面编码",
        "断面",
        "行政区域",
        "水质类别",
        "主要污染指标（超标倍数）",
        "水质指数（CWQI）",
        "水质目标",
        "是否达标",
    ]
    assert rows[1] == ["wq-a", "<b>A</b> 断面", "湖滨街道", "Ⅳ类", "氨氮（超标0.2倍）", 1.9692, "Ⅲ类", "否", 6.5, 1.2]


@pytest.mark.parametrize("url", ["/water", "/water.xlsx", "/water/sections/{a}", "/api/v1/water/sections/{a}/months"])
async def test_an_enterprise_may_not_see_water_quality(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int], url: str
) -> None:
    open_session(app_db, client, "enterprise_a")
    assert (await client.get(url.format(a=sections["a"]))).status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "x", "2026-1", "0001-01", "9999-12", "1899-12"])
async def test_a_month_that_is_no_month_is_not_found(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int], month: str
) -> None:
    """Months whose neighbours no date holds (0001-01: its previous month and a year before) are refused too."""
    open_session(app_db, client, "analyst")
    assert (await client.get(f"/water?month={month}")).status_code == 404
    assert (await client.get(f"/water.xlsx?month={month}")).status_code == 404
    assert (await client.get(f"/water/sections/{sections['a']}?until={month}")).status_code == 404
    assert (await client.get(f"/api/v1/water/sections/{sections['a']}/months?until={month}")).status_code == 404


async def test_a_water_stations_site_page_links_to_its_classes(
    client: httpx.AsyncClient, app_db: Session, sections: dict[str, int]
) -> None:
    open_session(app_db, client, "analyst")
    response = await client.get(f"/monitoring/sites/{sections['a']}")
    assert parse(response.text).find("a", href=f"/water/sections/{sections['a']}") is not None


async def test_the_month_ranks_the_counties_by_cwqi(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sections: dict[str, int]
) -> None:
    """County B: DO 8 → 0.6250, first; county A: NH3-N 1.2 and DO 6.5 → 1.9692; no month a year before."""
    open_session(app_db, client, "analyst")
    page = parse((await client.get("/water?month=2026-11")).text)
    rows = [tr for tr in page.find_all("tr") if "data-region" in tr.attrs]
    found = [(tr.attrs["data-region"], tr.find(data_cell="rank"), tr.find(data_cell="cwqi")) for tr in rows]
    assert [(r, rank.text if rank else "", cwqi.text if cwqi else "") for r, rank, cwqi in found] == [
        (str(app_world.county_b.id), "1", "0.6250"),
        (str(app_world.county_a.id), "2", "1.9692"),
    ]
