"""The hotspot-order pages: dispatch from the alert's page in one step, the lead unit's answer with a photo, the
check, who sees which order, the sources page, the statistics and their workbook."""

from __future__ import annotations

import io
import json

import httpx
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.cases.models import Attachment
from ecoloop.hotspots.enums import OrderStatus
from ecoloop.hotspots.models import HotspotOrder, PollutionSource
from tests.factories import World
from tests.hotspots.conftest import Place, hotspot_alert
from tests.web.helpers import csrf_for, menu_links, open_session, parse, reread

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def dispatch_from_alert(client: httpx.AsyncClient, db: Session, place: Place) -> HotspotOrder:
    alert = hotspot_alert(db, place)
    db.commit()
    open_session(db, client, "analyst")
    page = await client.get(f"/alerts/{alert.id}")
    link = parse(page.text).find("p", id="order-link")
    assert link is not None
    anchor = link.find("a")
    assert anchor is not None and anchor.attrs["href"] == f"/hotspots/new?alert={alert.id}"
    form = await client.get(anchor.attrs["href"])
    assert form.status_code == 200
    fields = parse(form.text).find("form", id="dispatch")
    assert fields is not None
    sent = await client.post("/hotspots/new", data=fields.fields())
    assert sent.status_code == 303, sent.text
    reread(db)
    order = db.scalars(select(HotspotOrder)).one()
    assert sent.headers["location"] == f"/hotspots/{order.id}"
    return order


async def test_an_alert_becomes_an_order_answered_and_checked(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_place: Place
) -> None:
    order = await dispatch_from_alert(client, app_db, app_place)
    page = parse((await client.get(f"/hotspots/{order.id}")).text)
    rows = page.find_all("tr", data_suspect=f"source:{app_place.yard.id}")
    assert [r.find("td", data_distance="") for r in rows] != [None]
    distance = rows[0].find("td", data_distance="")
    assert distance is not None and distance.text == "北 1.11 km"
    chart = page.find("script", id="hotspot-chart")
    assert chart is not None and json.loads(chart.text)["series"][0]["type"] == "line"

    open_session(app_db, client, "branch_a")
    csrf = await csrf_for(client)
    assert (await client.post(f"/hotspots/{order.id}/respond", data={"csrf_token": csrf})).status_code == 303
    answer = {
        "csrf_token": csrf,
        "finding": "料堆未覆盖",
        "measures": "已覆盖",
        "source": f"source:{app_place.yard.id}",
    }
    sent = await client.post(f"/hotspots/{order.id}/reply", data=answer, files={"photo": ("site.png", PNG)})
    assert sent.status_code == 303, sent.text
    reread(app_db)
    assert app_db.get_one(HotspotOrder, order.id).status is OrderStatus.REPLIED
    assert app_db.scalars(select(Attachment.filename).where(Attachment.case_id == order.case_id)).all() == ["site.png"]

    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    refused = await client.post(f"/hotspots/{order.id}/check", data={"csrf_token": csrf, "result": "not_effective"})
    assert refused.status_code == 422
    assert "请说明措施无效的原因" in refused.text
    checked = await client.post(f"/hotspots/{order.id}/check", data={"csrf_token": csrf, "result": "effective"})
    assert checked.status_code == 303
    reread(app_db)
    assert app_db.get_one(HotspotOrder, order.id).status is OrderStatus.CLOSED


async def test_who_sees_which_order(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_place: Place
) -> None:
    order = await dispatch_from_alert(client, app_db, app_place)
    for name, status in (("branch_b", 404), ("department", 200), ("branch_a", 200), ("leader", 200)):
        open_session(app_db, client, name)
        assert (await client.get(f"/hotspots/{order.id}")).status_code == status, name
        listed = parse((await client.get("/hotspots")).text).find_all("tr", data_order=str(order.id))
        assert len(listed) == (status == 200), name
    open_session(app_db, client, "department")  # a helper sees it but does not answer it
    assert parse((await client.get(f"/hotspots/{order.id}")).text).find("section", id="answer") is None
    assert "/hotspots" in menu_links((await client.get("/hotspots")).text)
    open_session(app_db, client, "enterprise_a")
    assert (await client.get("/hotspots")).status_code == 403


async def test_the_sources_page_registers_a_source(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_place: Place
) -> None:
    open_session(app_db, client, "analyst")
    page = await client.get("/hotspots/sources")
    listed = {r.attrs["data-source"] for r in parse(page.text).find_all("tr") if "data-source" in r.attrs}
    assert listed == {str(app_place.yard.id), str(app_place.restaurant.id)}
    importing = await client.get("/hotspots/sources/import")
    assert importing.status_code == 200 and "导入登记污染源" in importing.text
    csrf = await csrf_for(client)
    form = {"csrf_token": csrf, "name": "东湖工地", "kind": "construction", "region": str(app_world.town_a.id)}
    bad = await client.post("/hotspots/sources", data=form | {"longitude": "东经", "latitude": "36"})
    assert bad.status_code == 422 and "请填写污染源的经纬度" in bad.text
    good = await client.post("/hotspots/sources", data=form | {"longitude": "117.002", "latitude": "35.999"})
    assert good.status_code == 303
    reread(app_db)
    assert app_db.scalars(select(PollutionSource.name).where(PollutionSource.name == "东湖工地")).one() == "东湖工地"
    open_session(app_db, client, "branch_a")
    assert (
        await client.post("/hotspots/sources", data=form | {"csrf_token": await csrf_for(client)})
    ).status_code == 403


async def test_the_statistics_and_their_workbook(
    client: httpx.AsyncClient, app_db: Session, app_world: World, app_place: Place
) -> None:
    await dispatch_from_alert(client, app_db, app_place)
    page = parse((await client.get("/hotspots/stats")).text)
    row = page.find("tr", data_unit=app_world.branch_a.name)
    assert row is not None
    rate = row.find("td", data_reply_rate="")
    assert rate is not None and rate.text == "0.0"
    book = load_workbook(io.BytesIO((await client.get("/hotspots/stats.xlsx")).content))
    units = book.worksheets[0]
    assert [c.value for c in units[2]][:3] == [app_world.branch_a.name, 1, 0]
