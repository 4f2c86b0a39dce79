"""The partner pages and API through the app: the administrator registers a platform (key and secret shown once),
sets its feedback address (public addresses only) and rotates its key; `POST /api/v1/events` with a key and a
signature (unknown key, bad or old signature, invalid fields, a resend, the body limit); the phone number in a
warning on no page or API answer; 核查 → 推送 → 处置 through the pages; the report page's figures."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.models import Alert
from ecoloop.alerts.webhooks import sign
from ecoloop.db.base import utcnow
from ecoloop.identity.enums import Category
from ecoloop.identity.models import OrganisationDuty
from ecoloop.intake.models import Partner, PartnerFeedback, PushTask
from tests.factories import World, give_boundaries
from tests.intake.conftest import Registered, register
from tests.web.helpers import csrf_for, menu_links, open_session, parse, reread

PHONE = "13812345678"
EVENTS = "/api/v1/events"


def event(**changes: Any) -> dict[str, Any]:
    return {
        "id": "PV-0001",
        "type": "dumping",
        "title": "疑似倾倒建筑垃圾",
        "description": f"货车倾倒，目击者电话 {PHONE}",
        "occurred_at": "2026-12-01T09:30:00+08:00",
        "longitude": 114.05,
        "latitude": 35.05,
        "category": "solid_waste",
        "severity": "high",
        **changes,
    }


async def send(
    client: httpx.AsyncClient,
    registered: Registered,
    body: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    at: int | None = None,
    header: str = "bearer",
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Ecoloop-Signature": sign(secret or registered.partner.webhook_secret, raw, at or int(time.time())),
    }
    if header == "bearer":
        headers["Authorization"] = f"Bearer {registered.key}"
    else:
        headers["X-Api-Key"] = registered.key
    return await client.post(EVENTS, content=raw, headers=headers)


def task_ids(html: str) -> list[str]:
    """The push tasks listed on the task list page."""
    table = parse(html).find("table", id="push-task-list")
    assert table is not None
    return [row.attrs["data-task"] for row in table.find_all("tr") if "data-task" in row.attrs]


def platform(app_db: Session, app_world: World) -> Registered:
    give_boundaries(app_db, app_world)
    registered = register(app_db, app_world)
    app_db.commit()
    return registered


# --- the administrator's pages ---------------------------------------------------------------------------------------


async def test_the_administrator_registers_a_platform_and_sees_its_key_once(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)

    response = await client.post(
        "/admin/partners", data={"csrf_token": csrf, "code": "waste-system", "name": "固废管理信息系统"}
    )

    assert response.status_code == 200
    doc = parse(response.text)
    key = doc.find("code", data_field="key")
    assert key is not None and key.text.startswith("ecp_")
    partner = app_db.scalars(select(Partner).where(Partner.code == "waste-system")).one()
    assert partner.key_prefix == key.text[:12]
    later = await client.get("/admin/partners")
    assert later.status_code == 200 and key.text not in later.text and partner.webhook_secret not in later.text
    assert "固废管理信息系统" in later.text
    assert "/admin/partners" in menu_links(later.text)


async def test_the_feedback_address_must_be_public_and_a_key_can_be_rotated(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    registered = platform(app_db, app_world)
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)
    page = f"/admin/partners/{registered.partner.id}"

    private = await client.post(f"{page}/webhook", data={"csrf_token": csrf, "webhook_url": "http://10.0.0.8/hook"})
    public = await client.post(f"{page}/webhook", data={"csrf_token": csrf, "webhook_url": "https://8.8.8.8/hook"})
    rotated = await client.post(f"{page}/key", data={"csrf_token": csrf})

    assert private.status_code == 422 and parse(private.text).find("p", data_field="webhook_url") is not None
    assert public.status_code == 303
    reread(app_db)
    assert app_db.get_one(Partner, registered.partner.id).webhook_url == "https://8.8.8.8/hook"
    new_key = parse(rotated.text).find("code", data_field="key")
    assert new_key is not None and new_key.text != registered.key
    assert (await send(client, registered, event())).status_code == 401  # the old key is refused at once


async def test_other_roles_may_not_open_the_partner_pages(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")

    for page in ("/admin/partners", "/admin/partners/report"):
        assert (await client.get(page)).status_code == 403


# --- the API ---------------------------------------------------------------------------------------------------------


async def test_a_signed_warning_becomes_an_alert_and_a_resend_answers_with_it(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    registered = platform(app_db, app_world)

    first = await send(client, registered, event())
    again = await send(client, registered, event(title="重发"), header="x-api-key")

    assert first.status_code == 201, first.text
    assert first.json()["status"] == "created" and first.json()["alert"].startswith("YJ")
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["alert_id"] == first.json()["alert_id"]
    reread(app_db)
    assert len(app_db.scalars(select(Alert)).all()) == 1


async def test_an_unknown_or_missing_key_is_refused(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    registered = platform(app_db, app_world)
    stranger = Registered(registered.partner, "ecp_not-a-key")

    wrong = await send(client, stranger, event())
    missing = await client.post(EVENTS, json=event())

    for response in (wrong, missing):
        assert response.status_code == 401
        assert response.json() == {"error": "unknown_key", "field": "", "reason": ""}


async def test_a_bad_or_old_signature_is_refused(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    registered = platform(app_db, app_world)
    raw = json.dumps(event()).encode()

    wrong_secret = await send(client, registered, event(), secret="not-the-secret")
    old = await send(client, registered, event(), at=int(time.time()) - 600)  # a replay of a request 10 min old
    unsigned = await client.post(EVENTS, content=raw, headers={"Authorization": f"Bearer {registered.key}"})
    signature = sign(registered.partner.webhook_secret, raw, int(time.time()))
    changed = await client.post(
        EVENTS,
        content=raw.replace(b"PV-0001", b"PV-0002"),
        headers={"Authorization": f"Bearer {registered.key}", "X-Ecoloop-Signature": signature},
    )

    for response in (wrong_secret, old, unsigned, changed):
        assert response.status_code == 401
        assert response.json()["error"] == "bad_signature"
    reread(app_db)
    assert app_db.scalars(select(Alert)).all() == []


async def test_invalid_fields_are_refused_with_a_reason(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    registered = platform(app_db, app_world)
    cases = {
        "naive time": (event(occurred_at="2026-12-01T09:30:00"), "occurred_at", "timezone_aware"),
        "no place": (event(longitude=None, latitude=None), "address", "place_missing"),
        "no title": (event(title="", type=""), "title", "title_missing"),
        "category": (event(category="weather"), "category", "enum"),
        "id": (event(id="a b"), "id", "string_pattern_mismatch"),
    }

    for name, (body, field, reason) in cases.items():
        response = await send(client, registered, body)
        assert response.status_code == 422, name
        assert response.json() == {"error": "invalid_field", "field": field, "reason": reason}, name
    not_json = await send(client, registered, b"{not json")
    assert not_json.status_code == 400 and not_json.json()["error"] == "invalid_json"


async def test_a_large_body_is_refused(client: httpx.AsyncClient, app_db: Session, app_world: World) -> None:
    registered = platform(app_db, app_world)

    response = await send(client, registered, event(description="x" * 70_000))

    assert response.status_code == 413


async def test_the_phone_number_in_a_warning_is_on_no_page_or_api_answer(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    registered = platform(app_db, app_world)
    answer = await send(client, registered, event())
    alert_id = answer.json()["alert_id"]
    open_session(app_db, client, "analyst")

    pages = [
        await client.get(f"/alerts/{alert_id}"),
        await client.get("/alerts"),
        await client.get("/api/v1/alerts"),
        await client.get(f"/alerts/{alert_id}/push"),
    ]

    assert PHONE not in answer.text
    for page in pages:
        assert page.status_code == 200 and PHONE not in page.text
    detail = pages[0].text
    assert "138****5678" in detail and "公安视频监控平台" in detail and "外部平台预警" in detail


# --- 核查 → 推送 → 处置, and the report -------------------------------------------------------------------------


async def test_check_push_handle_through_the_pages_then_the_report(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    registered = platform(app_db, app_world)
    app_db.add(OrganisationDuty(organisation_id=app_world.department.id, category=Category.SOLID_WASTE))
    app_db.commit()
    alert_id = (await send(client, registered, event())).json()["alert_id"]
    await send(client, registered, event(id="PV-0002"))  # received, never pushed
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)

    unchecked = await client.get(f"/alerts/{alert_id}/push")
    assert parse(unchecked.text).find("form", action=f"/alerts/{alert_id}/push") is None
    assert (await client.post(f"/alerts/{alert_id}/confirm", data={"csrf_token": csrf})).status_code == 303
    page = await client.get(f"/alerts/{alert_id}/push")
    assert parse((await client.get(f"/alerts/{alert_id}")).text).find("p", id="push-link") is not None
    chosen = parse(page.text).find("tr", data_matches="1")
    assert chosen is not None and chosen.attrs["data-organisation"] == str(app_world.department.id)
    box = chosen.find("input", type="checkbox")
    assert box is not None and "checked" in box.attrs
    dept = app_world.department.id
    deadline = (utcnow() + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    pushed = await client.post(
        f"/alerts/{alert_id}/push",
        data={
            "csrf_token": csrf,
            "organisation": str(dept),
            f"task-{dept}": "清运并查处",
            f"deadline-{dept}": deadline,
        },
    )
    assert pushed.status_code == 303

    open_session(app_db, client, "department")
    listing = await client.get("/push-tasks")
    assert "/push-tasks" in menu_links(listing.text)
    (task_id,) = task_ids(listing.text)
    csrf = await csrf_for(client)
    handled = await client.post(
        f"/push-tasks/{task_id}", data={"csrf_token": csrf, "outcome": f"已清运 {PHONE}", "effective": "1"}
    )
    assert handled.status_code == 303
    reread(app_db)
    task = app_db.get_one(PushTask, int(task_id))
    assert task.done_at is not None and task.effective is True and PHONE not in task.outcome
    assert len(app_db.scalars(select(PartnerFeedback)).all()) == 1  # the feedback is queued

    open_session(app_db, client, "admin")
    report = parse((await client.get("/admin/partners/report")).text).find("tr", data_partner="police-video")
    assert report is not None
    figures = {
        cell.attrs["data-figure"]: cell.text.strip() for cell in report.find_all("td") if "data-figure" in cell.attrs
    }
    assert figures == {
        "received": "2",
        "pushed": "1",
        "push_rate": "50.0 %",
        "handled": "1",
        "effective": "1",
        "effective_rate": "100.0 %",
        "dismissed": "0",
        "overdue": "0",
        "average_hours": "0.0",
    }


async def test_another_department_neither_sees_nor_handles_the_task(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    registered = platform(app_db, app_world)
    alert_id = (await send(client, registered, event())).json()["alert_id"]
    open_session(app_db, client, "analyst")
    csrf = await csrf_for(client)
    await client.post(f"/alerts/{alert_id}/confirm", data={"csrf_token": csrf})
    branch = app_world.branch_b.id
    deadline = (utcnow() + timedelta(days=2)).astimezone().strftime("%Y-%m-%dT%H:%M")
    await client.post(
        f"/alerts/{alert_id}/push",
        data={
            "csrf_token": csrf,
            "organisation": str(branch),
            f"task-{branch}": "协查",
            f"deadline-{branch}": deadline,
        },
    )
    task = app_db.scalars(select(PushTask)).one()

    open_session(app_db, client, "department")
    assert task_ids((await client.get("/push-tasks")).text) == []
    assert (await client.get(f"/push-tasks/{task.id}")).status_code == 404
    open_session(app_db, client, "branch_a")  # a branch sees its county's tasks but handles only its own
    page = await client.get(f"/push-tasks/{task.id}")
    assert page.status_code == 200 and parse(page.text).find("form", action=f"/push-tasks/{task.id}") is None


async def test_the_platforms_rule_opens_in_the_rule_editor_and_no_such_rule_is_made_by_hand(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    from ecoloop.intake.partners import partner_rule

    registered = platform(app_db, app_world)
    rule = partner_rule(app_db, registered.partner)
    assert rule is not None
    open_session(app_db, client, "analyst")

    page = await client.get(f"/alerts/rules/{rule.id}")
    new = await client.get("/alerts/rules/new", params={"kind": "partner"})
    listing = await client.get("/alerts/rules")

    assert page.status_code == 200 and "公安视频监控平台" in page.text
    assert new.status_code == 404
    kinds = parse(listing.text).find("select", name="kind")
    assert kinds is not None and "partner" not in {o.attrs.get("value") for o in kinds.find_all("option")}
