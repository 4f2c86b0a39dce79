"""The enterprise file over HTTP: list filters and pages, the file with its forms, lists on a date, data corrections
from request to stored reading, the API, scope (404), roles (403) and CSRF."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.db.base import utcnow
from ecoloop.enterprises import service
from ecoloop.enterprises.enums import (
    Averaging,
    CorrectionStatus,
    EnterpriseStatus,
    OutletKind,
    PerformanceGrade,
    PermitClass,
)
from ecoloop.enterprises.models import DataCorrection, Enterprise, GradeRecord, ListMembership, Permit
from ecoloop.enterprises.queries import list_lists
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.settings import Settings
from tests.factories import World, credit_code
from tests.web.helpers import Element, csrf_for, open_session, page_title, parse, reread

TZ = ZoneInfo("Asia/Shanghai")
FORBIDDEN_TEXT = "您的角色无权执行此操作。"
KEY_LIST = "key_discharge_units"


@dataclass
class File:
    """Enterprise A's file: a permit with an outlet measured by site SRC-A and an SO2 limit, a reading."""

    site: Site
    permit: Permit
    hour: datetime


@pytest.fixture
def store(app_settings: Settings) -> HotStore:
    """The app's hot store, opened as a second writer (like the receiver process)."""
    return HotStore(app_settings.hot_store_path)


@pytest.fixture
def file(app_db: Session, app_world: World, store: HotStore) -> File:
    site = add_site(
        app_db,
        code="SRC-A",
        name="华能1号排口",
        kind=SiteKind.AIR_SOURCE,
        region=app_world.village_a,
        enterprise_id=app_world.enterprise_a.id,
    )
    add_device(app_db, mn="MN-SRC-A", password="secret-SRC-A", site=site)
    permit = service.add_permit(
        app_db,
        enterprise=app_world.enterprise_a,
        number="91371802MA3C000001001P",
        permit_class=PermitClass.KEY,
        valid_from=date(2024, 1, 1),
        valid_to=date(2028, 12, 31),
    )
    outlet = service.add_outlet(app_db, permit=permit, code="DA001", name="1号锅炉烟囱", kind=OutletKind.GAS, site=site)
    service.add_limit(
        app_db,
        outlet=outlet,
        pollutant="a21026",
        limit_value=Decimal(35),
        unit="mg/m3",
        source="GB 13223-2011 表2",
        reference_o2=Decimal(6),
    )
    app_db.commit()
    hour = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    store.write([Reading(site.id, "a21026", Interval.HOUR, hour, 80.0, "N")])
    return File(site, permit, hour)


async def signed_in(client: httpx.AsyncClient, app_db: Session, username: str) -> str:
    """Sign `username` in and return the session's CSRF token."""
    open_session(app_db, client, username)
    return await csrf_for(client)


def rows(html: str, attribute: str) -> dict[str, Element]:
    key = attribute.replace("_", "-")
    return {r.attrs[key]: r for r in parse(html).find_all("tr") if key in r.attrs}


def alert_text(html: str) -> str:
    alert = parse(html).find(role="alert")
    assert alert is not None, "no alert on the page"
    return alert.text


# --- pages --------------------------------------------------------------------------------------------------------


async def test_analyst_opens_every_page(
    client: httpx.AsyncClient, app_db: Session, app_world: World, file: File
) -> None:
    await signed_in(client, app_db, "analyst")
    a = app_world.enterprise_a.id
    pages = {
        "/enterprises": "企业",
        "/enterprises?q=华能&county=371802&section=D&status=operating&list=key_discharge_units&grade=A": "企业",
        "/enterprises/lists": "监管名录",
        f"/enterprises/lists/{KEY_LIST}?on=2026-01-01": "重点排污单位名录",
        "/enterprises/corrections": "数据修正",
        f"/enterprises/{a}": "清源华能热电有限公司",
    }

    for path, title in pages.items():
        response = await client.get(path)
        assert response.status_code == 200, path
        assert title in page_title(response.text), path


async def test_file_shows_permit_outlet_limit_and_the_site_with_its_latest_values(
    client: httpx.AsyncClient, app_db: Session, app_world: World, file: File
) -> None:
    await signed_in(client, app_db, "analyst")

    page = await client.get(f"/enterprises/{app_world.enterprise_a.id}")

    doc = parse(page.text)
    permit = doc.find("article", data_permit="91371802MA3C000001001P")
    assert permit is not None and "重点管理" in permit.text
    outlet = permit.find("tr", data_outlet="DA001")
    assert outlet is not None and "华能1号排口" in outlet.text
    limit = outlet.find("li", data_pollutant="a21026")
    assert limit is not None and "≤ 35 mg/m3" in limit.text and "基准含氧量 6%" in limit.text
    block = doc.find("article", data_site="SRC-A")
    assert block is not None and "DA001" in block.text
    latest = block.find("tr", data_parameter="a21026")
    assert latest is not None and "80.0" in latest.text
    figure = block.find("span", data_figure="effective")
    assert figure is not None and figure.text.endswith("%")
    assert "secret-SRC-A" not in page.text


async def test_later_sections_say_nothing_is_recorded_yet(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    await signed_in(client, app_db, "inspector")

    page = await client.get(f"/enterprises/{app_world.enterprise_a.id}")

    doc = parse(page.text)
    for key in ("alerts", "cases", "inspections", "complaints"):
        section = doc.find("section", id=key)
        assert section is not None and "暂无记录。" in section.text, key
    assert doc.find("form", action=f"/enterprises/{app_world.enterprise_a.id}/grades") is None, "inspectors only read"


async def test_enterprise_list_filters_and_pages(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    for seed in range(60):
        service.create_enterprise(
            app_db,
            credit_code=credit_code(1000 + seed, "371821"),
            name=f"临河县第{seed:02d}砖厂",
            region=app_world.town_b,
            industry_code="C3031",
            status=EnterpriseStatus.STOPPED if seed % 2 else EnterpriseStatus.OPERATING,
        )
    app_world.enterprise_a.industry_code = "4411"  # an older record without its section letter
    key = next(x for x in list_lists(app_db) if x.code == KEY_LIST)
    service.add_membership(app_db, supervision_list=key, enterprise=app_world.enterprise_a, start=date(2025, 1, 1))
    service.set_grade(app_db, enterprise=app_world.enterprise_a2, grade=PerformanceGrade.B, start=date(2025, 1, 1))
    app_db.commit()
    await signed_in(client, app_db, "analyst")

    async def names(**query: str) -> set[str]:
        page = await client.get("/enterprises", params=query)
        assert page.status_code == 200
        return {r.find("a").text for r in rows(page.text, "data_enterprise").values()}  # type: ignore[union-attr]

    first, second = await client.get("/enterprises"), await client.get("/enterprises", params={"page": "2"})
    assert len(rows(first.text, "data_enterprise")) == 50 and len(rows(second.text, "data_enterprise")) == 13
    assert "第 2 页，共 2 页" in parse(second.text).text
    assert await names(q="华能") == {"清源华能热电有限公司"}
    assert await names(q=app_world.enterprise_b.credit_code[:17].lower()) == {"临河县鑫源化工有限公司"}
    assert await names(county="371802") == {"清源华能热电有限公司", "清源市东湖水泥有限公司"}
    assert await names(section="D") == {"清源华能热电有限公司"}
    assert len(await names(section="C", status="stopped")) == 30
    assert await names(list=KEY_LIST, on="2025-01-01") == {"清源华能热电有限公司"}
    assert await names(list=KEY_LIST, on="2024-12-31") == set()
    assert await names(grade="B") == {"清源市东湖水泥有限公司"}
    fragment = await client.get("/enterprises", params={"q": "华能"}, headers={"HX-Request": "true"})
    assert parse(fragment.text).find("html") is None and parse(fragment.text).find("div", id="results") is not None


# --- scope and roles ----------------------------------------------------------------------------------------------


async def test_branch_of_county_a_does_not_find_a_county_b_enterprise(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    csrf = await signed_in(client, app_db, "branch_a")
    b, missing = app_world.enterprise_b.id, app_world.enterprise_b.id + 1000

    for path in ("/enterprises/{}", "/enterprises/{}/export.xlsx", "/api/v1/enterprises/{}/file"):
        hidden, absent = await client.get(path.format(b)), await client.get(path.format(missing))
        assert (hidden.status_code, absent.status_code) == (404, 404), path
        assert hidden.content == absent.content, path
    posted = await client.post(
        f"/enterprises/{b}/grades", data={"csrf_token": csrf, "grade": "A", "start": "2026-01-01"}
    )
    assert posted.status_code == 404
    assert (await client.get(f"/enterprises/{app_world.enterprise_a.id}")).status_code == 200


async def test_enterprise_user_sees_only_its_own_file(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    await signed_in(client, app_db, "enterprise_a")

    listed = await client.get("/enterprises")
    own = await client.get(f"/enterprises/{app_world.enterprise_a.id}")
    others = [await client.get(f"/enterprises/{e.id}") for e in (app_world.enterprise_a2, app_world.enterprise_b)]

    assert set(rows(listed.text, "data_enterprise")) == {str(app_world.enterprise_a.id)}
    assert own.status_code == 200
    assert [r.status_code for r in others] == [404, 404]
    assert parse(own.text).find("form", action=f"/enterprises/{app_world.enterprise_a.id}/grades") is None


@pytest.mark.parametrize("username", ["department", "hotline"])
async def test_department_and_hotline_may_not_open_enterprise_pages(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    await signed_in(client, app_db, username)
    a = app_world.enterprise_a.id

    for path in (
        "/enterprises",
        f"/enterprises/{a}",
        f"/enterprises/{a}/export.xlsx",
        "/enterprises/lists",
        f"/enterprises/lists/{KEY_LIST}",
        "/enterprises/corrections",
    ):
        response = await client.get(path)
        assert response.status_code == 403, path
        assert FORBIDDEN_TEXT in parse(response.text).text, path
    for path in (f"/api/v1/enterprises/{a}/file", f"/api/v1/lists/{KEY_LIST}/members"):
        assert (await client.get(path)).status_code == 403, path


async def test_forms_need_the_csrf_token(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    await signed_in(client, app_db, "analyst")
    url = f"/enterprises/{app_world.enterprise_a.id}/grades"

    response = await client.post(url, data={"grade": "A", "start": "2026-01-01"})
    wrong = await client.post(url, data={"grade": "A", "start": "2026-01-01", "csrf_token": "forged"})

    assert (response.status_code, wrong.status_code) == (403, 403)
    reread(app_db)
    assert app_db.scalar(select(func.count(GradeRecord.id))) == 0


@pytest.mark.parametrize(
    ("username", "path", "data"),
    [
        ("inspector", "/enterprises/{a}/grades", {"grade": "A", "start": "2026-01-01"}),
        ("enterprise_a", "/enterprises/{a}/grades", {"grade": "A", "start": "2026-01-01"}),
        ("analyst", "/enterprises/lists", {"code": "noise", "name": "噪声重点排污单位"}),
    ],
)
async def test_roles_that_may_not_change_the_file_get_403(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str, path: str, data: dict[str, str]
) -> None:
    csrf = await signed_in(client, app_db, username)

    response = await client.post(path.format(a=app_world.enterprise_a.id), data={**data, "csrf_token": csrf})

    assert response.status_code == 403


# --- forms --------------------------------------------------------------------------------------------------------


async def test_the_record_offers_the_active_regions_and_its_own_retired_one(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    app_world.village_a.active = False  # enterprise A's region
    app_world.village_b.active = False
    app_db.commit()
    await signed_in(client, app_db, "analyst")

    page = parse((await client.get(f"/enterprises/{app_world.enterprise_a.id}")).text)
    options = page.find("select", name="region_id").find_all("option")  # type: ignore[union-attr]

    offered = {o.attrs["value"]: "selected" in o.attrs for o in options}
    assert offered[str(app_world.village_a.id)] is True
    assert str(app_world.village_b.id) not in offered and str(app_world.town_b.id) in offered


async def test_analyst_edits_the_record_and_adds_permit_outlet_and_limit(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    csrf = await signed_in(client, app_db, "analyst")
    a = app_world.enterprise_a
    site = add_site(app_db, code="SRC-A9", name="华能2号排口", kind=SiteKind.AIR_SOURCE, region=app_world.village_a)
    site.enterprise_id = a.id
    app_db.commit()

    edited = await client.post(
        f"/enterprises/{a.id}",
        data={
            "csrf_token": csrf,
            "name": "清源华能热电有限责任公司",
            "region_id": str(app_world.town_a.id),
            "status": "stopped",
            "industry_code": "d4411",
            "longitude": "117.1",
            "latitude": "36.6",
        },
    )
    permit = await client.post(
        f"/enterprises/{a.id}/permits",
        data={
            "csrf_token": csrf,
            "number": "P-2026-001",
            "permit_class": "simplified",
            "valid_from": "2026-01-01",
            "valid_to": "2030-12-31",
        },
    )
    reread(app_db)
    permit_id = app_db.scalar(select(Permit.id).where(Permit.number == "P-2026-001"))
    outlet = await client.post(
        f"/enterprises/{a.id}/permits/{permit_id}/outlets",
        data={"csrf_token": csrf, "code": "da002", "kind": "gas", "site_id": str(site.id)},
    )
    reread(app_db)
    outlet_id = app_db.scalars(select(Permit).where(Permit.id == permit_id)).one().outlets[0].id
    limit = await client.post(
        f"/enterprises/{a.id}/outlets/{outlet_id}/limits",
        data={
            "csrf_token": csrf,
            "pollutant": "a21002",
            "limit_value": "50",
            "unit": "mg/m3",
            "averaging": "hour",
            "reference_o2": "6",
            "source": "GB 13223-2011 表2",
        },
    )
    bad_limit = await client.post(
        f"/enterprises/{a.id}/outlets/{outlet_id}/limits",
        data={"csrf_token": csrf, "pollutant": "a34013", "limit_value": "-1", "unit": "mg/m3", "averaging": "hour"}
        | {"source": "GB 13223-2011"},
    )

    assert [r.status_code for r in (edited, permit, outlet, limit)] == [303] * 4
    assert edited.headers["location"] == f"/enterprises/{a.id}?saved=record#record"
    assert bad_limit.status_code == 422 and "限值须为正数" in alert_text(bad_limit.text)
    reread(app_db)
    record = app_db.get(Enterprise, a.id)
    assert record is not None
    assert (record.name, record.status, record.industry_code, record.region_id) == (
        "清源华能热电有限责任公司",
        EnterpriseStatus.STOPPED,
        "D4411",
        app_world.town_a.id,
    )
    page = await client.get(f"/enterprises/{a.id}")
    added = parse(page.text).find("tr", data_outlet="DA002")
    assert added is not None and "华能2号排口" in added.text and "≤ 50 mg/m3" in added.text


async def test_overlapping_membership_is_refused_with_the_reason(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    csrf = await signed_in(client, app_db, "branch_a")
    url = f"/enterprises/{app_world.enterprise_a.id}/memberships"
    first = {"csrf_token": csrf, "list_code": KEY_LIST, "start": "2025-01-01", "end": "2025-12-31", "reason": "名录"}

    added = await client.post(url, data=first)
    overlapping = await client.post(url, data={**first, "start": "2025-06-01", "end": ""})

    assert added.status_code == 303
    assert overlapping.status_code == 422
    assert "该企业在此期间内已部分在该名录中。" in alert_text(overlapping.text)
    form = parse(overlapping.text).find("form", action=url)
    assert form is not None and form.fields()["start"] == "2025-06-01", "the values entered are kept"
    reread(app_db)
    assert app_db.scalar(select(func.count(ListMembership.id))) == 1


async def test_ending_a_membership_takes_the_enterprise_off_the_list(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    key = next(x for x in list_lists(app_db) if x.code == KEY_LIST)
    membership = service.add_membership(
        app_db, supervision_list=key, enterprise=app_world.enterprise_a, start=date(2025, 1, 1)
    )
    app_db.commit()
    csrf = await signed_in(client, app_db, "analyst")

    ended = await client.post(
        f"/enterprises/{app_world.enterprise_a.id}/memberships/{membership.id}/end",
        data={"csrf_token": csrf, "end": "2025-03-31", "reason": "移出"},
    )

    assert ended.status_code == 303
    reread(app_db)
    assert app_db.get(ListMembership, membership.id).end == date(2025, 3, 31)  # type: ignore[union-attr]


async def test_setting_a_grade_closes_the_previous_one(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    csrf = await signed_in(client, app_db, "analyst")
    url = f"/enterprises/{app_world.enterprise_a.id}/grades"

    first = await client.post(url, data={"csrf_token": csrf, "grade": "B", "start": "2025-01-01", "document": "文1"})
    second = await client.post(url, data={"csrf_token": csrf, "grade": "A", "start": "2026-01-01", "document": "文2"})
    earlier = await client.post(url, data={"csrf_token": csrf, "grade": "C", "start": "2025-06-01"})

    assert (first.status_code, second.status_code) == (303, 303)
    assert earlier.status_code == 422 and "新的绩效分级" in alert_text(earlier.text)
    page = await client.get(f"/enterprises/{app_world.enterprise_a.id}")
    grades = [
        (r.attrs["data-grade"], r.attrs["data-start"], r.attrs["data-end"])
        for r in rows(page.text, "data_grade").values()
    ]
    assert sorted(grades) == [("A", "2026-01-01", ""), ("B", "2025-01-01", "2025-12-31")]


# --- lists --------------------------------------------------------------------------------------------------------


async def test_list_on_a_date_includes_both_end_days(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    key = next(x for x in list_lists(app_db) if x.code == KEY_LIST)
    service.add_membership(
        app_db,
        supervision_list=key,
        enterprise=app_world.enterprise_a,
        start=date(2025, 1, 1),
        end=date(2025, 6, 30),
    )
    service.add_membership(app_db, supervision_list=key, enterprise=app_world.enterprise_b, start=date(2025, 7, 1))
    app_db.commit()
    await signed_in(client, app_db, "analyst")
    a, b = str(app_world.enterprise_a.id), str(app_world.enterprise_b.id)

    async def members(day: str) -> set[str]:
        page = await client.get(f"/enterprises/lists/{KEY_LIST}", params={"on": day})
        assert page.status_code == 200
        return set(rows(page.text, "data_enterprise"))

    assert await members("2024-12-31") == set()
    assert await members("2025-01-01") == {a}
    assert await members("2025-06-30") == {a}
    assert await members("2025-07-01") == {b}
    api = (await client.get(f"/api/v1/lists/{KEY_LIST}/members", params={"on": "2025-06-30"})).json()
    assert api["on"] == "2025-06-30" and [e["id"] for e in api["enterprises"]] == [int(a)]
    export = await client.get(f"/enterprises/lists/{KEY_LIST}/export.xlsx", params={"on": "2025-07-01"})
    sheet = load_workbook(io.BytesIO(export.content)).worksheets[0]
    assert sheet["B1"].value == "重点排污单位名录" and sheet["A4"].value == "名称"
    assert sheet["A5"].value == "临河县鑫源化工有限公司" and sheet["A6"].value is None


async def test_lists_page_counts_members_of_the_users_area(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    key = next(x for x in list_lists(app_db) if x.code == KEY_LIST)
    for enterprise in (app_world.enterprise_a, app_world.enterprise_b):
        service.add_membership(app_db, supervision_list=key, enterprise=enterprise, start=date(2020, 1, 1))
    app_db.commit()

    await signed_in(client, app_db, "analyst")
    city = rows((await client.get("/enterprises/lists")).text, "data_list")[KEY_LIST]
    await signed_in(client, app_db, "branch_a")
    county = rows((await client.get("/enterprises/lists")).text, "data_list")[KEY_LIST]

    assert city.find(data_figure="members").text == "2"  # type: ignore[union-attr]
    assert county.find(data_figure="members").text == "1"  # type: ignore[union-attr]


async def test_admin_adds_a_list(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    csrf = await signed_in(client, app_db, "admin")

    added = await client.post("/enterprises/lists", data={"csrf_token": csrf, "code": "noise", "name": "噪声重点单位"})
    again = await client.post("/enterprises/lists", data={"csrf_token": csrf, "code": "noise", "name": "重复"})

    assert (added.status_code, added.headers["location"]) == (303, "/enterprises/lists/noise")
    assert again.status_code == 422 and "已有使用该代码的名录。" in alert_text(again.text)
    assert "噪声重点单位" in page_title((await client.get("/enterprises/lists/noise")).text)


# --- data corrections ---------------------------------------------------------------------------------------------


async def test_correction_requested_by_the_enterprise_and_approved_is_stored_as_a_reading(
    client: httpx.AsyncClient, app_db: Session, app_world: World, file: File, store: HotStore
) -> None:
    a = app_world.enterprise_a.id
    csrf = await signed_in(client, app_db, "enterprise_a")
    page = await client.get(f"/enterprises/{a}")
    link = parse(page.text).find("tr", data_parameter="a21026").find("a")  # type: ignore[union-attr]
    prefilled = await client.get(link.attrs["href"])  # type: ignore[union-attr]
    form = parse(prefilled.text).find("form", action=f"/enterprises/{a}/corrections")
    assert form is not None
    values = form.fields()
    assert (values["parameter"], values["interval"], values["current_value"]) == ("a21026", "hour", "80.0")
    assert values["time"] == file.hour.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")

    submitted = await client.post(
        f"/enterprises/{a}/corrections",
        data={**values, "csrf_token": csrf, "proposed_value": "8.0", "reason": "量程设置错误，实测值 8.0"},
    )
    assert submitted.status_code == 303
    own = rows((await client.get("/enterprises/corrections")).text, "data_correction")
    assert [r.attrs["data-status"] for r in own.values()] == ["pending"]

    csrf = await signed_in(client, app_db, "analyst")
    queue = await client.get("/enterprises/corrections")
    correction_id = next(iter(rows(queue.text, "data_correction")))
    approved = await client.post(
        f"/enterprises/corrections/{correction_id}", data={"csrf_token": csrf, "decision": "approve", "note": "同意"}
    )
    twice = await client.post(
        f"/enterprises/corrections/{correction_id}", data={"csrf_token": csrf, "decision": "approve"}
    )

    assert approved.status_code == 303
    assert twice.status_code == 422 and "该申请已审核。" in alert_text(twice.text)
    stored = store.hot_table(site_id=file.site.id).to_pylist()
    assert [(r["parameter"], r["value"], r["source"]) for r in stored] == [("a21026", 8.0, "correction:analyst")]
    reread(app_db)
    correction = app_db.get(DataCorrection, int(correction_id))
    assert correction is not None and correction.status is CorrectionStatus.APPROVED
    assert (correction.review_note, correction.reviewed_by_id) == ("同意", app_world.users["analyst"].id)
    await signed_in(client, app_db, "enterprise_a")
    outcome = rows((await client.get(f"/enterprises/{a}")).text, "data_correction")[correction_id]
    assert outcome.attrs["data-status"] == "approved" and "同意" in outcome.text


@pytest.mark.parametrize("time", ["2099-01-01T08:00", "0001-01-01T00:00:00+14:00", "9999-12-31T00:00:00-14:00"])
async def test_a_correction_of_an_implausible_time_is_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, file: File, time: str
) -> None:
    a = app_world.enterprise_a.id
    csrf = await signed_in(client, app_db, "enterprise_a")
    data = {"csrf_token": csrf, "site_id": str(file.site.id), "parameter": "a21026", "interval": "hour"}
    data |= {"time": time, "proposed_value": "8.0", "reason": "量程设置错误"}
    submitted = await client.post(f"/enterprises/{a}/corrections", data=data)
    assert submitted.status_code == 422
    assert "该时间不是合理的数据时间" in alert_text(submitted.text)
    assert (await client.get(f"/enterprises/{a}")).status_code == 200


async def test_rejection_needs_a_note_and_stores_nothing(
    client: httpx.AsyncClient, app_db: Session, app_world: World, file: File, store: HotStore
) -> None:
    correction = service.request_correction(
        app_db,
        user=app_world.users["enterprise_a"],
        site=file.site,
        parameter="a21026",
        interval="hour",
        time=file.hour,
        current_value=Decimal(80),
        proposed_value=None,
        proposed_flag="D",
        reason="仪器故障",
    )
    app_db.commit()
    csrf = await signed_in(client, app_db, "branch_a")
    url = f"/enterprises/corrections/{correction.id}"

    silent = await client.post(url, data={"csrf_token": csrf, "decision": "reject"})
    rejected = await client.post(url, data={"csrf_token": csrf, "decision": "reject", "note": "无维护记录"})

    assert silent.status_code == 422 and "驳回须填写理由。" in alert_text(silent.text)
    assert rejected.status_code == 303
    assert [r["source"] for r in store.hot_table(site_id=file.site.id).to_pylist()] == ["hj212"]


async def test_corrections_are_scoped_and_only_reviewers_review(
    client: httpx.AsyncClient, app_db: Session, app_world: World, file: File
) -> None:
    correction = service.request_correction(
        app_db,
        user=app_world.users["enterprise_a"],
        site=file.site,
        parameter="a21026",
        interval="hour",
        time=file.hour,
        current_value=None,
        proposed_value=Decimal(8),
        proposed_flag=None,
        reason="量程错误",
    )
    app_db.commit()
    url = f"/enterprises/corrections/{correction.id}"

    csrf = await signed_in(client, app_db, "branch_b")
    other_county = await client.get("/enterprises/corrections")
    hidden = await client.post(url, data={"csrf_token": csrf, "decision": "approve"})
    csrf = await signed_in(client, app_db, "enterprise_a")
    self_review = await client.post(url, data={"csrf_token": csrf, "decision": "approve"})
    csrf = await signed_in(client, app_db, "analyst")
    not_theirs = await client.post(
        f"/enterprises/{app_world.enterprise_a.id}/corrections",
        data={"csrf_token": csrf, "site_id": str(file.site.id), "parameter": "a21026", "interval": "hour"}
        | {"time": "2026-01-01T00:00", "proposed_value": "1", "reason": "x"},
    )

    assert rows(other_county.text, "data_correction") == {}
    assert hidden.status_code == 404
    assert self_review.status_code == 403
    assert not_theirs.status_code == 403


async def test_enterprise_cannot_request_a_correction_of_another_enterprises_site(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    other = add_site(
        app_db,
        code="SRC-A2",
        name="水泥排口",
        kind=SiteKind.AIR_SOURCE,
        region=app_world.town_a,
        enterprise_id=app_world.enterprise_a2.id,
    )
    app_db.commit()
    csrf = await signed_in(client, app_db, "enterprise_a")

    response = await client.post(
        f"/enterprises/{app_world.enterprise_a.id}/corrections",
        data={"csrf_token": csrf, "site_id": str(other.id), "parameter": "a21026", "interval": "hour"}
        | {"time": "2026-01-01T00:00", "proposed_value": "1", "reason": "x"},
    )

    assert response.status_code == 404
    reread(app_db)
    assert app_db.scalar(select(func.count(DataCorrection.id))) == 0


# --- the API and the export ---------------------------------------------------------------------------------------


async def test_file_api(client: httpx.AsyncClient, app_db: Session, app_world: World, file: File) -> None:
    key = next(x for x in list_lists(app_db) if x.code == KEY_LIST)
    service.add_membership(app_db, supervision_list=key, enterprise=app_world.enterprise_a, start=date(2025, 1, 1))
    service.set_grade(app_db, enterprise=app_world.enterprise_a, grade=PerformanceGrade.A, start=date(2025, 1, 1))
    app_db.commit()
    await signed_in(client, app_db, "enterprise_a")

    result = (await client.get(f"/api/v1/enterprises/{app_world.enterprise_a.id}/file")).json()

    assert result["credit_code"] == app_world.enterprise_a.credit_code
    [permit] = result["permits"]
    [outlet] = permit["outlets"]
    assert (permit["number"], outlet["code"], outlet["site_id"]) == ("91371802MA3C000001001P", "DA001", file.site.id)
    assert outlet["limits"][0]["pollutant"] == "a21026" and Decimal(outlet["limits"][0]["limit_value"]) == 35
    assert outlet["limits"][0]["averaging"] == Averaging.HOUR.value
    assert [(m["list_code"], m["start"], m["end"]) for m in result["memberships"]] == [(KEY_LIST, "2025-01-01", None)]
    assert [(g["grade"], g["end"]) for g in result["grades"]] == [("A", None)]


async def test_file_export_downloads_a_workbook(
    client: httpx.AsyncClient, app_db: Session, app_world: World, file: File
) -> None:
    await signed_in(client, app_db, "branch_a")

    response = await client.get(f"/enterprises/{app_world.enterprise_a.id}/export.xlsx")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert "排放限值" in book.sheetnames
    assert book["排放口"]["B2"].value == "DA001" and book["排放口"]["E2"].value == "华能1号排口 (SRC-A)"


async def test_file_lists_the_enterprises_cases_by_section(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    from ecoloop.audit.service import Actor, set_actor
    from ecoloop.cases.enums import CaseSource, Category
    from ecoloop.cases.service import Acting, register_case

    set_actor(app_db, Actor(label="test"))
    hotline = Acting(app_world.users["hotline"], app_world.principal(app_db, "hotline"))
    now = datetime(2026, 11, 22, 8, tzinfo=ZoneInfo("UTC"))
    complaint = register_case(
        app_db, hotline, source=CaseSource.COMPLAINT, category=Category.AIR, title="夜间异味扰民",
        region=app_world.village_a, enterprise_id=app_world.enterprise_a.id, now=now,
    )  # fmt: skip
    other = register_case(
        app_db, hotline, source=CaseSource.INSPECTION, category=Category.WATER, title="雨污混排",
        region=app_world.village_b, enterprise_id=app_world.enterprise_b.id, now=now,
    )  # fmt: skip
    app_db.commit()
    await signed_in(client, app_db, "analyst")
    page = parse((await client.get(f"/enterprises/{app_world.enterprise_a.id}")).text)
    cases = page.find("section", id="cases")
    complaints = page.find("section", id="complaints")
    inspections = page.find("section", id="inspections")
    assert cases is not None and complaints is not None and inspections is not None
    assert complaint.number in cases.text and complaint.number in complaints.text
    assert complaint.number not in inspections.text and other.number not in cases.text
    assert cases.find("a", href=f"/cases/{complaint.id}") is not None


async def test_file_lists_the_alerts_about_the_enterprises_sites(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    from ecoloop.alerts.models import Alert, AlertRuleVersion
    from ecoloop.alerts.rule_service import ensure_builtin_rules
    from ecoloop.alerts.rules import RuleKind, Severity

    now = datetime(2026, 11, 22, 8, tzinfo=ZoneInfo("UTC"))
    ensure_builtin_rules(app_db, now)
    version = app_db.scalars(select(AlertRuleVersion)).first()
    assert version is not None
    for number, enterprise in (("YJ2026-000001", app_world.enterprise_a), ("YJ2026-000002", app_world.enterprise_b)):
        app_db.add(
            Alert(
                number=number, rule_id=version.rule_id, rule_version_id=version.id, kind=RuleKind.SOURCE_EXCEEDANCE,
                region_id=enterprise.region_id, enterprise_id=enterprise.id, severity=Severity.MEDIUM,
                first_at=now, last_at=now,
            )
        )  # fmt: skip
    app_db.commit()
    await signed_in(client, app_db, "analyst")
    page = parse((await client.get(f"/enterprises/{app_world.enterprise_a.id}")).text)
    alerts = page.find("section", id="alerts")
    assert alerts is not None
    assert "YJ2026-000001" in alerts.text and "YJ2026-000002" not in alerts.text
