"""The control list's pages: the list with its shares, an entry's edits, the templates, the baselines, the
workbook, and what an enterprise account and a branch see."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import httpx
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.controls import service
from ecoloop.controls.enums import GuideIndustry, Pollutant
from ecoloop.controls.models import ControlOverride, ControlSchedule, NormalEmission
from ecoloop.db.base import utcnow
from ecoloop.enterprises import service as enterprises
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.episodes.enums import ChangeKind, PrimaryPollutant, WarningLevel, WarningStatus
from ecoloop.episodes.models import PollutionWarning, WarningArea, WarningChange
from ecoloop.regions.models import Region
from tests.factories import World
from tests.web.helpers import csrf_for, open_session, parse, reread

DAY = date(2026, 1, 1)


def listed(db: Session, world: World) -> None:
    admin = world.principal(db, "admin")
    service.add_to_list(db, admin, world.enterprise_a2.id, industry=GuideIndustry.CEMENT_CLINKER, since=DAY)
    service.add_to_list(db, admin, world.enterprise_a.id, industry=GuideIndustry.POWER, since=DAY)
    service.add_to_list(db, admin, world.enterprise_b.id, industry=GuideIndustry.CHEMICAL, since=DAY)
    enterprises.set_grade(db, enterprise=world.enterprise_a2, grade=PerformanceGrade.D, start=DAY)
    service.set_emissions(db, admin, world.enterprise_a2.id, {(None, Pollutant.SO2): Decimal(50)})
    service.set_baselines(db, admin, world.county_a.id, {Pollutant.SO2: Decimal(1000)})
    db.commit()


async def test_the_list_shows_measures_and_marks_a_short_county_red(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    listed(app_db, app_world)
    open_session(app_db, client, "analyst")

    page = await client.get("/controls?on=2026-06-01")

    assert page.status_code == 200
    doc = parse(page.text)
    row = doc.find("tr", data_enterprise=str(app_world.enterprise_a2.id))
    assert row is not None
    yellow = row.find("td", data_level="yellow")
    assert yellow is not None and "停产" in yellow.text
    # D cement stops from yellow: SO2 50 of 1,000 = 5 %, short of 10 %.
    cell = doc.find("tr", data_county=str(app_world.county_a.id), data_pollutant="so2")
    assert cell is not None
    shares = cell.find("td", data_level="yellow")
    assert shares is not None and "short" in shares.attrs["class"] and "5.0%" in shares.text
    assert any(a.attrs.get("href") == "/controls" for a in parse((await client.get("/")).text).find_all("a"))


async def test_a_branch_sees_its_county_and_an_enterprise_its_own_entry(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    listed(app_db, app_world)
    open_session(app_db, client, "branch_b")
    rows = parse((await client.get("/controls")).text).find_all("tr", data_enterprise=str(app_world.enterprise_a.id))
    assert rows == []
    assert (await client.get(f"/controls/{app_world.enterprise_a.id}")).status_code == 404

    open_session(app_db, client, "enterprise_a")
    page = parse((await client.get("/controls")).text)
    assert [r.attrs["data-enterprise"] for r in page.find_all("tr") if "data-enterprise" in r.attrs] == [
        str(app_world.enterprise_a.id)
    ]
    assert page.find("table", class_="shares") is None
    mine = await client.get("/controls/mine")
    assert mine.headers["location"] == f"/controls/{app_world.enterprise_a.id}"
    assert (await client.get(mine.headers["location"])).status_code == 200
    csrf = await csrf_for(client)
    refused = await client.post(f"/controls/{app_world.enterprise_a.id}/entry", data={"csrf_token": csrf})
    assert refused.status_code == 403


async def test_an_entry_is_edited_from_its_page(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    listed(app_db, app_world)
    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    e = app_world.enterprise_a.id

    override = {"csrf_token": csrf, "level": "orange", "kind": "cap", "percent": "60", "reason": "以热定产"}
    assert (await client.post(f"/controls/{e}/override", data=override)).status_code == 303
    windows = {"csrf_token": csrf, "level": "red", "hours": "08:00-12:00, 14:00-18:00"}
    weekdays = {"weekday": [str(i) for i in range(5)]}
    assert (await client.post(f"/controls/{e}/windows", data=windows | weekdays)).status_code == 303
    emissions = {"csrf_token": csrf, "em-0-so2": "120.5", "em-0-nox": ""}
    assert (await client.post(f"/controls/{e}/emissions", data=emissions)).status_code == 303
    bad = await client.post(f"/controls/{e}/override", data={**override, "percent": "0"})
    assert bad.status_code == 422 and "1 到 100" in parse(bad.text).find("p", class_="alert").text  # type: ignore[union-attr]

    reread(app_db)
    assert [(o.percent, o.reason) for o in app_db.scalars(select(ControlOverride))] == [(60, "以热定产")]
    assert [(s.weekdays, s.start_minute, s.end_minute) for s in app_db.scalars(select(ControlSchedule))] == [
        ("1111100", 480, 720),
        ("1111100", 840, 1080),
    ]
    assert app_db.scalars(select(NormalEmission.kg_per_day).where(NormalEmission.enterprise_id == e)).all() == [
        Decimal("120.5")
    ]
    page = parse((await client.get(f"/controls/{e}")).text)
    orange = page.find("tr", data_level="orange")
    assert orange is not None and "以热定产" in orange.text


async def test_templates_and_baselines_pages(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    form = {"csrf_token": csrf, "industry": "glass", "grade": "B", "level": "red", "kind": "limit", "percent": "40"}
    assert (await client.post("/controls/measures", data=form)).status_code == 303
    page = parse((await client.get("/controls/measures")).text)
    table = page.find("table", data_industry="glass")
    assert table is not None
    assert "限产40%" in (table.find_all("td", data_level="red")[2].text)
    form = {"csrf_token": csrf, "region_id": str(app_world.county_b.id), "so2": "800", "year": "2025", "source": "清单"}
    assert (await client.post("/controls/baselines", data=form)).status_code == 303
    row = parse((await client.get("/controls/baselines")).text).find("tr", data_county=str(app_world.county_b.id))
    assert row is not None and "800" in row.text

    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    stop = {"csrf_token": csrf, "industry": "glass", "grade": "", "level": "red", "kind": "stop"}
    refused = await client.post("/controls/measures", data=stop)
    assert refused.status_code == 422


async def test_the_workbook_has_the_level_groups_and_a_summary(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    listed(app_db, app_world)
    open_session(app_db, client, "admin")

    response = await client.get("/controls/export.xlsx?on=2026-06-01")

    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    top = [c.value for c in sheet[1]]
    assert top[:4] == ["序号", "市", "县（市、区）", "企业"] and "黄色预警" in top and "红色预警" in top
    assert "减排措施" in [c.value for c in sheet[2]]
    names = [sheet.cell(row=r, column=4).value for r in range(3, sheet.max_row + 1)]
    assert names == ["清源华能热电有限公司", "清源市东湖水泥有限公司", "临河县鑫源化工有限公司"]
    summary = book.worksheets[1]
    assert summary.cell(row=2, column=1).value == "清源区"
    assert summary.cell(row=2, column=4).value == 1000


def issue_warning(db: Session, world: World, level: WarningLevel, county: Region) -> None:
    """An orange (or other) warning over one county, issued an hour ago until further notice."""
    since = utcnow() - timedelta(hours=1)
    warning = PollutionWarning(
        number="2026-001",
        city_id=world.city.id,
        city_wide=False,
        level=level,
        pollutant=PrimaryPollutant.PM25,
        planned_start=since,
        planned_end=None,
        status=WarningStatus.ISSUED,
        prepared_by_id=world.users["analyst"].id,
    )
    db.add(warning)
    db.flush()
    db.add(WarningArea(warning_id=warning.id, region_id=county.id))
    db.add(
        WarningChange(
            warning_id=warning.id,
            seq=1,
            kind=ChangeKind.ISSUE,
            level=level,
            effective_at=since,
            planned_end=None,
            approver_id=world.users["leader"].id,
            recorded_by_id=world.users["analyst"].id,
        )
    )
    db.commit()


async def test_the_level_in_force_is_marked_where_it_holds(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    listed(app_db, app_world)
    issue_warning(app_db, app_world, WarningLevel.ORANGE, app_world.county_a)
    open_session(app_db, client, "analyst")

    doc = parse((await client.get("/controls")).text)

    def current(enterprise_id: int) -> list[str]:
        row = doc.find("tr", data_enterprise=str(enterprise_id))
        assert row is not None
        return [td.attrs["data-level"] for td in row.find_all("td", data_current="true")]

    assert current(app_world.enterprise_a2.id) == ["orange"]
    assert current(app_world.enterprise_b.id) == []  # county B: no warning
    open_session(app_db, client, "enterprise_a")
    page = parse((await client.get(f"/controls/{app_world.enterprise_a.id}")).text)
    assert page.find("p", data_current="orange") is not None


async def test_the_list_is_generated_from_the_registry_from_its_page(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    enterprises.set_grade(app_db, enterprise=app_world.enterprise_a2, grade=PerformanceGrade.C, start=DAY)
    app_db.commit()
    open_session(app_db, client, "branch_a")
    assert "/controls/generate" in (await client.get("/controls")).text
    csrf = await csrf_for(client)

    page = await client.post("/controls/generate", data={"csrf_token": csrf})

    assert page.status_code == 200
    assert "已从企业档案将1家企业纳入清单。" in page.text
    doc = parse(page.text)
    rows = [row.attrs["data-enterprise"] for row in doc.find_all("tr") if "data-enterprise" in row.attrs]
    assert rows == [str(app_world.enterprise_a2.id)]
    open_session(app_db, client, "inspector")
    assert "/controls/generate" not in (await client.get("/controls")).text
    assert (await client.post("/controls/generate", data={"csrf_token": await csrf_for(client)})).status_code == 403
