"""The organisation pages: name, parent, covered regions, duties, retirement and history (issue 15), over HTTP."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.identity.enums import Category
from ecoloop.identity.models import Organisation
from ecoloop.identity.service import set_coverage, set_duties
from tests.factories import World
from tests.web.helpers import form_for, open_session, page_title, parse, reread


@pytest.fixture
async def admin(client: httpx.AsyncClient, app_db: Session, app_world: World) -> httpx.AsyncClient:
    open_session(app_db, client, "admin")
    return client


def _checkboxes(html: str, name: str) -> dict[str, tuple[str, bool]]:
    """value → (label, checked) of the checkboxes called `name`."""
    found = {}
    for label in parse(html).find_all("label", class_="check"):
        box = label.find("input", type="checkbox", name=name)
        if box is not None:
            found[box.attrs["value"]] = (label.text, "checked" in box.attrs)
    return found


async def test_the_administrator_edits_coverage_and_duties_and_sees_them_in_the_history(
    admin: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    org = app_world.department
    listing = parse((await admin.get("/admin/organisations")).text)
    assert listing.find("a", href=f"/admin/organisations/{org.id}") is not None, "reachable from the list"
    url = f"/admin/organisations/{org.id}"
    page = await admin.get(url)
    assert page.status_code == 200 and org.name in page_title(page.text)
    boxes = _checkboxes(page.text, "duties")
    assert set(boxes) == {c.value for c in Category}
    assert boxes["air"] == ("大气", False) and boxes["noise"] == ("噪声", False), "Chinese labels"

    form = form_for(page.text, url).fields()
    form.update(name="清源市住房和城乡建设局（改）", covered="371802, 371821101000", parent_id=str(app_world.bureau.id))
    saved = await admin.post(url, data={**form, "duties": ["air", "solid_waste"]})

    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?saved=1"
    reread(app_db)
    stored = app_db.get(Organisation, org.id)
    assert (
        stored is not None and stored.name == "清源市住房和城乡建设局（改）" and stored.parent_id == app_world.bureau.id
    )
    assert sorted(r.region_id for r in stored.covered) == sorted([app_world.county_a.id, app_world.town_b.id])
    assert sorted(d.category for d in stored.duties) == [Category.AIR, Category.SOLID_WASTE]
    shown = await admin.get(f"{url}?saved=1")
    assert _checkboxes(shown.text, "duties")["air"] == ("大气", True)
    textarea = parse(shown.text).find("textarea", name="covered")
    assert textarea is not None and textarea.text.split() == ["371802", "371821101000"]
    history = parse(shown.text).find("section", id="history")
    assert history is not None
    assert "清源区" in history.text and "柳林镇" in history.text, "covered regions by their names"
    assert "清源市生态环境局" in history.text, "the parent by its name"
    assert {"负责区域", "职责", "单位或部门"} <= {
        row.find_all("td")[3].text.split(" #")[0] for row in history.find_all("tr")[1:]
    }


async def test_an_unknown_region_code_is_named_and_nothing_is_saved(
    admin: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    org = app_world.department
    url = f"/admin/organisations/{org.id}"
    form = form_for((await admin.get(url)).text, url).fields()
    form.update(name="改名", covered="371802 999999")
    refused = await admin.post(url, data={**form, "duties": ["air"]})
    assert refused.status_code == 422
    alert = parse(refused.text).find(role="alert")
    assert alert is not None and "没有此行政区划" in alert.text and "999999" in alert.text
    reread(app_db)
    stored = app_db.get(Organisation, org.id)
    assert stored is not None and stored.name == org.name and stored.covered == [] and stored.duties == []


async def test_retiring_an_organisation_with_active_users_is_refused_with_the_reason(
    admin: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    url = f"/admin/organisations/{app_world.branch_a.id}"
    form = form_for((await admin.get(url)).text, f"{url}/retire").fields()
    refused = await admin.post(f"{url}/retire", data=form)
    assert refused.status_code == 422
    alert = parse(refused.text).find(role="alert")
    assert alert is not None and alert.text == "该单位仍有在用用户：请先停用这些用户或将其调至其他单位。"

    user_url = f"/admin/users/{app_world.users['branch_a'].id}"
    user_form = form_for((await admin.get(user_url)).text, f"{user_url}/retire").fields()
    assert (await admin.post(f"{user_url}/retire", data=user_form)).status_code == 303
    assert (await admin.post(f"{url}/retire", data=form)).status_code == 303
    page = await admin.get(url)
    assert "已停用" in parse(page.text).find("h1").text  # type: ignore[union-attr]
    assert parse(page.text).find("form", action=f"{url}/reactivate") is not None
    new_user = form_for((await admin.get("/admin/users/new")).text, "/admin/users")
    select = new_user.find("select", name="organisation_id")
    assert select is not None
    offered = {o.attrs["value"] for o in select.find_all("option")}
    assert str(app_world.branch_a.id) not in offered, "no new user joins a retired organisation"


async def test_an_administrator_cannot_retire_themselves(admin: httpx.AsyncClient, app_world: World) -> None:
    url = f"/admin/users/{app_world.users['admin'].id}"
    form = form_for((await admin.get(url)).text, f"{url}/retire").fields()
    refused = await admin.post(f"{url}/retire", data=form)
    assert refused.status_code == 422
    assert parse(refused.text).find(role="alert").text == "不能停用自己的账户。"  # type: ignore[union-attr]


@pytest.mark.parametrize("username", ["leader", "branch_a", "analyst"])
async def test_only_the_administrator_manages_organisations(
    client: httpx.AsyncClient, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)
    assert (await client.get(f"/admin/organisations/{app_world.branch_a.id}")).status_code == 403


async def test_the_api_returns_an_organisations_parent_coverage_and_duties(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    org = app_db.get(Organisation, app_world.department.id)
    assert org is not None
    set_actor(app_db, Actor(label="test"))
    set_coverage(app_db, org, [app_world.county_b.id])
    set_duties(app_db, org, [Category.NOISE])
    app_db.commit()
    open_session(app_db, client, "analyst")
    one = (await client.get(f"/api/v1/organisations/{org.id}")).json()
    listed = {o["id"]: o for o in (await client.get("/api/v1/organisations")).json()}
    assert one["covered_region_ids"] == [app_world.county_b.id] and one["duties"] == ["noise"]
    assert one["parent_id"] is None and listed[org.id] == one
