"""Keeping the register of sites and data loggers on pages: add, edit, retire, reactivate, history; in Chinese;
a branch only within its county (404 beyond it), roles without `manage_monitoring` refused (403)."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.models import Device, Site
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.regions import datum
from tests.factories import World
from tests.web.helpers import Element, csrf_for, open_session, parse

FORBIDDEN_TEXT = "您的角色无权执行此操作。"


@pytest.fixture
def sites(app_db: Session, app_world: World) -> dict[str, Site]:
    """An air station in each county and an outlet of enterprise A, each with its logger."""
    made = {
        "AQ-A": add_site(app_db, code="AQ-A", name="湖滨站", kind=SiteKind.AIR_STATION, region=app_world.town_a),
        "AQ-B": add_site(app_db, code="AQ-B", name="柳林站", kind=SiteKind.AIR_STATION, region=app_world.town_b),
        "SRC-A": add_site(
            app_db,
            code="SRC-A",
            name="华能排口",
            kind=SiteKind.AIR_SOURCE,
            region=app_world.village_a,
            enterprise_id=app_world.enterprise_a.id,
        ),
    }
    for code, site in made.items():
        add_device(app_db, mn=f"MN-{code}", password=f"secret-{code}", site=site)
    app_db.commit()
    return made


async def sign_in(client: httpx.AsyncClient, app_db: Session, username: str) -> str:
    open_session(app_db, client, username)
    return await csrf_for(client)


def alert_text(html: str) -> str:
    found = parse(html).find(class_="alert")
    assert found is not None, "no refusal shown"
    return found.text


def history_rows(html: str) -> list[Element]:
    table = parse(html).find("table", class_="history")
    assert table is not None, "no history shown"
    return [row for row in table.find_all("tr") if "data-record" in row.attrs]


def site_form(region_id: int, **fields: str) -> dict[str, str]:
    return {"code": "AQ-NEW", "name": "新站", "kind": "air_station", "region_id": str(region_id), **fields}


async def test_an_administrator_adds_a_site_with_gcj02_coordinates_and_sees_it_with_its_history(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: dict[str, Site]
) -> None:
    csrf = await sign_in(client, app_db, "admin")
    listing = await client.get("/monitoring/sites")
    adder = parse(listing.text).find("details", class_="add-site")
    assert adder is not None and "新增点位" in adder.text
    gcj_lon, gcj_lat = datum.wgs84_to_gcj02(113.9268, 35.303)

    added = await client.post(
        "/monitoring/sites",
        data={
            **site_form(
                app_world.town_a.id, station_level="town", longitude=f"{gcj_lon:.9f}", latitude=f"{gcj_lat:.9f}"
            ),
            "datum": "gcj02",
            "csrf_token": csrf,
        },
    )

    assert added.status_code == 303
    site = app_db.scalars(select(Site).where(Site.code == "AQ-NEW")).one()
    assert (site.longitude, site.latitude) == (Decimal("113.926800"), Decimal("35.303000"))
    assert site.station_level is StationLevel.TOWN
    page = await client.get(added.headers["location"])
    facts = parse(page.text).find("dl", class_="facts")
    assert facts is not None
    assert "乡镇站" in facts.text and "113.926800, 35.303000" in facts.text
    (created,) = history_rows(page.text)
    assert "新站" in created.text and "控制级别" in created.text
    listed = parse((await client.get("/monitoring/sites")).text)
    row = next(r for r in listed.find_all("tr") if r.attrs.get("data-site") == "AQ-NEW")
    assert "乡镇站" in row.text and "113.926800, 35.303000" in row.text
    # The edit form shows the stored WGS-84 coordinates as WGS-84, so saving it again moves nothing.
    form = parse((await client.get(f"/monitoring/sites/{site.id}/edit")).text)
    longitude, chosen = form.find("input", name="longitude"), form.find("option", value="wgs84")
    assert longitude is not None and longitude.attrs["value"] == "113.926800"
    assert chosen is not None and "selected" in chosen.attrs


@pytest.mark.parametrize(
    ("fields", "region", "message"),
    [
        ({"station_level": "town"}, "county_a", "控制级别与所属区域不符"),
        ({"water_target": "III"}, "town_a", "只有水质站有水质目标"),
        ({"noise_zone": "1"}, "town_a", "只有噪声监测点有声环境功能区"),
        ({"longitude": "113.9"}, "town_a", "经度和纬度"),
        ({"longitude": "east", "latitude": "35"}, "town_a", "数值无法识别"),
        ({"code": "AQ-A"}, "town_a", "该编码的点位已登记"),
        ({"kind": "air_source", "enterprise": "91371821XXXXXXXXXX"}, "town_a", "辖区内没有该统一社会信用代码的企业"),
    ],
)
async def test_a_refused_site_is_shown_again_with_the_reason_in_chinese(
    client: httpx.AsyncClient,
    app_db: Session,
    app_world: World,
    sites: dict[str, Site],
    fields: dict[str, str],
    region: str,
    message: str,
) -> None:
    csrf = await sign_in(client, app_db, "admin")
    region_id = getattr(app_world, region).id

    refused = await client.post("/monitoring/sites", data={**site_form(region_id, **fields), "csrf_token": csrf})

    assert refused.status_code == 422
    assert message in alert_text(refused.text)
    name = parse(refused.text).find("input", name="name")
    assert name is not None and name.attrs["value"] == "新站"
    assert app_db.scalars(select(Site).where(Site.name == "新站")).first() is None


async def test_editing_a_site_changes_it_and_the_history_says_what_changed(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: dict[str, Site]
) -> None:
    csrf = await sign_in(client, app_db, "branch_a")
    site = sites["AQ-A"]
    form = await client.get(f"/monitoring/sites/{site.id}/edit")
    assert form.status_code == 200
    code = parse(form.text).find("input", name="code")
    assert code is not None and code.attrs["value"] == "AQ-A"

    saved = await client.post(
        f"/monitoring/sites/{site.id}",
        data={
            **site_form(app_world.county_a.id, code="AQ-A", name="湖滨水站", kind="water_station"),
            "station_level": "county",
            "water_target": "II",
            "csrf_token": csrf,
        },
    )

    assert saved.status_code == 303
    app_db.rollback()  # a new transaction sees what the app committed
    app_db.expire_all()
    assert (site.name, site.kind, site.water_target, site.region_id) == (
        "湖滨水站",
        SiteKind.WATER_STATION,
        "II",
        app_world.county_a.id,
    )
    page = await client.get(f"/monitoring/sites/{site.id}")
    facts = parse(page.text).find("dl", class_="facts")
    assert facts is not None and "Ⅱ类" in facts.text and "县控站" in facts.text
    listed = parse((await client.get("/monitoring/sites")).text)
    row = next(r for r in listed.find_all("tr") if r.attrs.get("data-site") == "AQ-A")
    assert "水质自动监测站" in row.text
    assert "水质目标 Ⅱ类" in row.text and "县控站" in row.text
    changed = history_rows(page.text)[0]
    assert "湖滨站" in changed.text and "湖滨水站" in changed.text


async def test_retiring_a_site_retires_its_loggers_and_it_can_come_back(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site]
) -> None:
    csrf = await sign_in(client, app_db, "admin")
    site = sites["AQ-A"]

    retired = await client.post(f"/monitoring/sites/{site.id}/retire", data={"csrf_token": csrf})
    page = await client.get(f"/monitoring/sites/{site.id}")

    assert retired.status_code == 303
    heading = parse(page.text).find("h1")
    assert heading is not None and "已停用" in heading.text
    app_db.rollback()  # a new transaction sees what the app committed
    app_db.expire_all()
    device = app_db.scalars(select(Device).where(Device.mn == "MN-AQ-A")).one()
    assert not site.active and not device.active
    back = await client.post(f"/monitoring/sites/{site.id}/reactivate", data={"csrf_token": csrf})
    assert back.status_code == 303
    app_db.rollback()  # a new transaction sees what the app committed
    app_db.expire_all()
    assert site.active and not device.active


async def test_a_branch_cannot_reach_or_choose_anything_in_another_county(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: dict[str, Site]
) -> None:
    csrf = await sign_in(client, app_db, "branch_a")
    own, other = sites["AQ-A"], sites["AQ-B"]
    device = app_db.scalars(select(Device).where(Device.mn == "MN-AQ-A")).one()
    other_device = app_db.scalars(select(Device).where(Device.mn == "MN-AQ-B")).one()

    answers = {
        "add in county B": await client.post(
            "/monitoring/sites", data={**site_form(app_world.town_b.id), "csrf_token": csrf}
        ),
        "edit a county B site": await client.get(f"/monitoring/sites/{other.id}/edit"),
        "change a county B site": await client.post(
            f"/monitoring/sites/{other.id}",
            data={**site_form(app_world.town_b.id, code="AQ-B", name="x"), "csrf_token": csrf},
        ),
        "move a site to county B": await client.post(
            f"/monitoring/sites/{own.id}",
            data={**site_form(app_world.town_b.id, code="AQ-A", name="湖滨站"), "csrf_token": csrf},
        ),
        "retire a county B site": await client.post(f"/monitoring/sites/{other.id}/retire", data={"csrf_token": csrf}),
        "a county B logger": await client.get(f"/monitoring/devices/{other_device.id}"),
        "move a logger to county B": await client.post(
            f"/monitoring/devices/{device.id}",
            data={"site_id": str(other.id), "crc_mode": "hj212", "interval_minutes": "60", "csrf_token": csrf},
        ),
        "add a logger in county B": await client.post(
            "/monitoring/devices",
            data={"site_id": str(other.id), "mn": "MN-X", "password": "123456", "csrf_token": csrf},
        ),
    }

    assert {what: r.status_code for what, r in answers.items()} == dict.fromkeys(answers, 404)
    app_db.rollback()  # a new transaction sees what the app committed
    app_db.expire_all()
    assert (own.region_id, other.name, other.active) == (app_world.town_a.id, "柳林站", True)
    assert device.site_id == own.id
    assert app_db.scalars(select(Site).where(Site.code == "AQ-NEW")).first() is None
    assert app_db.scalars(select(Device).where(Device.mn == "MN-X")).first() is None
    # Its own form offers no region of county B.
    regions = parse((await client.get("/monitoring/sites")).text).find("select", name="region_id")
    assert regions is not None
    offered = {o.attrs["value"] for o in regions.find_all("option")}
    assert str(app_world.town_a.id) in offered and str(app_world.town_b.id) not in offered


@pytest.mark.parametrize("username", ["analyst", "leader", "inspector", "enterprise_a"])
async def test_roles_without_manage_monitoring_are_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World, sites: dict[str, Site], username: str
) -> None:
    csrf = await sign_in(client, app_db, username)
    site = sites["SRC-A"]
    device = app_db.scalars(select(Device).where(Device.mn == "MN-SRC-A")).one()

    answers = [
        await client.post("/monitoring/sites", data={**site_form(app_world.town_a.id), "csrf_token": csrf}),
        await client.get(f"/monitoring/sites/{site.id}/edit"),
        await client.post(f"/monitoring/sites/{site.id}/retire", data={"csrf_token": csrf}),
        await client.get("/monitoring/devices/new"),
        await client.get(f"/monitoring/devices/{device.id}"),
        await client.post(f"/monitoring/devices/{device.id}/password", data={"password": "x", "csrf_token": csrf}),
    ]

    assert [r.status_code for r in answers] == [403] * len(answers)
    assert FORBIDDEN_TEXT in parse(answers[1].text).text
    listing = await client.get("/monitoring/sites")
    assert parse(listing.text).find("details", class_="add-site") is None
    assert "/edit" not in (await client.get(f"/monitoring/sites/{site.id}")).text


async def test_a_logger_is_added_moved_given_a_new_password_and_retired_never_showing_it(
    client: httpx.AsyncClient, app_db: Session, sites: dict[str, Site]
) -> None:
    csrf = await sign_in(client, app_db, "branch_a")
    form = await client.get(f"/monitoring/devices/new?site={sites['AQ-A'].id}")
    chosen = parse(form.text).find("option", selected="")
    assert chosen is not None and chosen.attrs["value"] == str(sites["AQ-A"].id)

    taken = await client.post(
        "/monitoring/devices",
        data={"site_id": str(sites["AQ-A"].id), "mn": "MN-AQ-A", "password": "pw-first", "csrf_token": csrf},
    )
    added = await client.post(
        "/monitoring/devices",
        data={"site_id": str(sites["AQ-A"].id), "mn": "MN-NEW", "password": "pw-first", "csrf_token": csrf},
    )
    device_url = added.headers["location"].split("?")[0]
    moved = await client.post(
        device_url,
        data={"site_id": str(sites["SRC-A"].id), "crc_mode": "any", "interval_minutes": "5", "csrf_token": csrf},
    )
    bad_interval = await client.post(
        device_url,
        data={"site_id": str(sites["SRC-A"].id), "crc_mode": "any", "interval_minutes": "0", "csrf_token": csrf},
    )
    new_password = await client.post(f"{device_url}/password", data={"password": "pw-second", "csrf_token": csrf})
    retired = await client.post(f"{device_url}/retire", data={"csrf_token": csrf})
    page = await client.get(device_url)

    assert taken.status_code == 422 and "该 MN 的数采仪已登记" in alert_text(taken.text)
    assert "pw-first" not in taken.text
    assert (added.status_code, moved.status_code, new_password.status_code, retired.status_code) == (303,) * 4
    assert bad_interval.status_code == 422 and "上报间隔" in alert_text(bad_interval.text)
    device = app_db.scalars(select(Device).where(Device.mn == "MN-NEW")).one()
    app_db.refresh(device)
    assert (device.site_id, device.interval_minutes, device.password, device.active) == (
        sites["SRC-A"].id,
        5,
        "pw-second",
        False,
    )
    assert "pw-first" not in page.text and "pw-second" not in page.text
    password = parse(page.text).find("dd", class_="password")
    assert password is not None and "pw" not in password.text
    rows = history_rows(page.text)
    assert len(rows) == 4  # created, moved, new password, retired
    assert any("密码" in r.text and "已隐藏" in r.text for r in rows)
    listing = await client.get("/monitoring/devices")
    row = next(r for r in parse(listing.text).find_all("tr") if r.attrs.get("data-mn") == "MN-NEW")
    assert "已停用" in row.text
