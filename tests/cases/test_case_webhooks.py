"""Case events to organisations' webhooks (issue 18 part 7), delivered to a real local HTTP receiver on both
databases: who hears which case (the lead and helping units, the bureau and a branch for their area), only
webhooks that take case events, no history, events left to settle, signed like alert events, and no complainant
in any body."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts import queries, webhooks
from ecoloop.alerts.case_webhooks import SETTLE, queue_case_events
from ecoloop.alerts.models import Webhook, WebhookDelivery
from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Case
from ecoloop.cases.service import Acting, act, comment, register_case
from ecoloop.cases.workflow import Action
from ecoloop.identity.models import Organisation, OrganisationDuty
from ecoloop.intake import service as intake
from ecoloop.intake.enums import Channel, Topic
from ecoloop.intake.keyring import new_keyring
from tests.alerts.test_webhooks import LOCAL, SECRET, Receiver, _Server
from tests.alerts.test_webhooks import _Handler as Handler
from tests.factories import World, give_boundaries
from tests.web.helpers import csrf_for, open_session, parse, reread

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)
PHONE = "13912345678"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), Handler)
    server.receiver = Receiver(SECRET, url=f"http://127.0.0.1:{server.server_address[1]}/hooks/cases")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def hook(db: Session, organisation: Organisation, url: str, *, case_events: bool = True) -> Webhook:
    set_actor(db, Actor(label="test"))
    webhook = Webhook(organisation_id=organisation.id, url=url, secret=SECRET, case_events=case_events)
    webhook.created_at = T0
    db.add(webhook)
    db.flush()
    return webhook


def acting(db: Session, world: World, who: str) -> Acting:
    return Acting(world.users[who], world.principal(db, who))


def new_case(db: Session, world: World, at: datetime, **overrides: Any) -> Case:
    fields: dict[str, Any] = {
        "source": CaseSource.INSPECTION,
        "category": Category.WATER,
        "title": "东王庄村生活污水直排入河",
        "region": world.village_b,
        "now": at,
    }
    return register_case(db, acting(db, world, "analyst"), **(fields | overrides))


def assign(db: Session, world: World, case: Case, at: datetime, unit: Organisation) -> None:
    act(
        db,
        case,
        acting(db, world, "analyst"),
        Action.ASSIGN,
        seen_version=case.version,
        now=at,
        unit=unit,
        deadline=at.date() + timedelta(days=30),
    )


def heard(receiver: Receiver) -> list[tuple[str, str, str]]:
    """(event header, case number, event kind) of each request the receiver got."""
    return [
        (
            r.headers.get("x-ecoloop-event", ""),
            json.loads(r.body)["case"]["number"],
            json.loads(r.body)["event"]["kind"],
        )
        for r in receiver.requests
    ]


def deliveries_of(db: Session, webhook: Webhook) -> list[WebhookDelivery]:
    return list(db.scalars(select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)))


def test_units_hear_the_events_of_their_cases_and_the_area_s_staff_of_their_area(
    db: Session, world: World, receiver: Receiver
) -> None:
    department = hook(db, world.department, receiver.url + "/department")
    bureau = hook(db, world.bureau, receiver.url + "/bureau")
    branch_a = hook(db, world.branch_a, receiver.url + "/branch-a")  # county A; the case is in county B
    alerts_only = hook(db, world.branch_b, receiver.url + "/alerts-only", case_events=False)
    assert queue_case_events(db, T0) == 0  # the first round only marks where the timeline stands
    case = new_case(db, world, T0 + timedelta(minutes=1))
    assign(db, world, case, T0 + timedelta(minutes=2), world.department)
    comment(db, case, acting(db, world, "analyst"), "请尽快核实", T0 + timedelta(minutes=3))

    done = webhooks.deliver_due(db, LATER, send=LOCAL)

    assert done == webhooks.DeliveryRound(delivered=4)
    assert [(d.case_event_id is not None, d.event_id) for d in deliveries_of(db, bureau)] == [(True, None)] * 2
    # The case as it stands when the sender reads its events: the department leads it by then
    assert len(deliveries_of(db, department)) == 2
    assert deliveries_of(db, branch_a) == [] and deliveries_of(db, alerts_only) == []
    assert sorted(heard(receiver)) == sorted(
        [
            ("case.registered", case.number, "registered"),
            ("case.registered", case.number, "registered"),
            ("case.assigned", case.number, "assigned"),
            ("case.assigned", case.number, "assigned"),
        ]
    )
    assert all(r.signed for r in receiver.requests)
    body = json.loads(deliveries_of(db, department)[1].payload)
    assert body["case"]["lead_unit_id"] == world.department.id
    assert body["case"]["lead_unit"] == world.department.name
    assert (body["event"]["from_state"], body["event"]["to_state"]) == ("registered", "assigned")
    assert "data" not in body["event"]


def test_a_helping_unit_hears_its_cases_and_a_branch_its_county(db: Session, world: World, receiver: Receiver) -> None:
    helper = hook(db, world.department, receiver.url + "/department")
    branch_b = hook(db, world.branch_b, receiver.url + "/branch-b")
    queue_case_events(db, T0)
    case = new_case(db, world, T0 + timedelta(minutes=1))
    act(
        db,
        case,
        acting(db, world, "analyst"),
        Action.ASSIGN,
        seen_version=case.version,
        now=T0 + timedelta(minutes=2),
        unit=world.branch_b,
        co_units=[world.department],
        deadline=T0.date() + timedelta(days=30),
    )

    queue_case_events(db, LATER)

    assert [json.loads(d.payload)["event"]["kind"] for d in deliveries_of(db, helper)] == ["registered", "assigned"]
    assert [json.loads(d.payload)["event"]["kind"] for d in deliveries_of(db, branch_b)] == ["registered", "assigned"]


def test_history_is_not_sent_and_fresh_events_wait_to_settle(db: Session, world: World, receiver: Receiver) -> None:
    bureau = hook(db, world.bureau, receiver.url)
    old = new_case(db, world, T0 - timedelta(hours=1))
    queue_case_events(db, T0)
    fresh = new_case(db, world, LATER - SETTLE / 2)

    assert queue_case_events(db, LATER) == 0  # the new event may still have a transaction committing before it
    assert queue_case_events(db, LATER + SETTLE) == 1
    assert queue_case_events(db, LATER + 2 * SETTLE) == 0  # each event once
    numbers = [json.loads(d.payload)["case"]["number"] for d in deliveries_of(db, bureau)]
    assert numbers == [fresh.number] and old.number not in numbers


def test_the_delivery_log_shows_case_deliveries(db: Session, world: World, receiver: Receiver) -> None:
    bureau = hook(db, world.bureau, receiver.url)
    queue_case_events(db, T0)
    case = new_case(db, world, T0 + timedelta(minutes=1))
    webhooks.deliver_due(db, LATER, send=LOCAL)

    (row,) = queries.deliveries(db, world.principal(db, "admin"), webhook_id=bureau.id)

    assert (row.case_id, row.number, row.alert_id) == (case.id, case.number, None)
    assert row.event_kind is EventKind.REGISTERED


def test_no_complainant_in_any_case_event_body(db: Session, world: World, tmp_path: Path, receiver: Receiver) -> None:
    give_boundaries(db, world)
    db.add(OrganisationDuty(organisation_id=world.department.id, category=Category.AIR))
    department = hook(db, world.department, receiver.url + "/department")
    bureau = hook(db, world.bureau, receiver.url + "/bureau")
    queue_case_events(db, T0)
    submission = intake.Submission(
        channel=Channel.WEB,
        topic=Topic.DUST,  # the housing department helps with a building site's dust
        description=f"东湖水泥厂堆场扬尘，电话 {PHONE}",
        address=f"湖滨路 12 号（{PHONE}）",
        longitude=Decimal("114.05"),
        latitude=Decimal("35.05"),
        name="王五",
        phone=PHONE,
        consent=True,
    )
    at = T0 + timedelta(minutes=1)
    complaint = intake.submit(db, new_keyring(), tmp_path, submission, at, zone=ZoneInfo("Asia/Shanghai"))
    intake.accept(
        db, complaint, world.users["hotline"], world.principal(db, "hotline"), at, zone=ZoneInfo("Asia/Shanghai")
    )

    done = webhooks.deliver_due(db, LATER, send=LOCAL)

    assert done.delivered >= 2 and deliveries_of(db, department) and deliveries_of(db, bureau)
    for request in receiver.requests:
        text = request.body.decode()
        assert PHONE not in text and "王五" not in text
        assert json.loads(text)["case"]["source"] == "complaint"


async def test_the_administrator_chooses_case_events_on_the_webhook_forms(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)
    data = {"csrf_token": csrf, "organisation_id": str(app_world.department.id), "url": "https://example.org/cases"}

    added = await client.post("/alerts/webhooks", data=data | {"case_events": "1"})
    reread(app_db)
    hook = app_db.scalars(select(Webhook)).one()
    chosen = hook.case_events
    page = await client.get(f"/alerts/webhooks/{hook.id}")
    box = parse(page.text).find("input", name="case_events")
    switched = await client.post(f"/alerts/webhooks/{hook.id}/enabled", data={"csrf_token": csrf, "enabled": ""})
    reread(app_db)
    still = app_db.scalars(select(Webhook)).one().case_events
    edited = await client.post(
        f"/alerts/webhooks/{hook.id}", data={"csrf_token": csrf, "url": "https://example.org/cases", "enabled": "1"}
    )
    reread(app_db)

    assert added.status_code == 200 and chosen
    assert box is not None and "checked" in box.attrs
    assert switched.status_code == 303 and still, "switching a webhook off keeps its choice of events"
    assert edited.status_code == 303
    assert app_db.scalars(select(Webhook)).one().case_events is False  # the box left unticked


async def test_the_webhook_page_lists_case_deliveries_with_a_link_to_the_case(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    bureau = hook(app_db, app_world.bureau, "https://example.org/cases")
    queue_case_events(app_db, T0)
    case = new_case(app_db, app_world, T0 + timedelta(minutes=1))
    queue_case_events(app_db, LATER)
    app_db.commit()
    open_session(app_db, client, "admin")

    page = await client.get(f"/alerts/webhooks/{bureau.id}")

    assert page.status_code == 200
    log = parse(page.text).find("table", id="deliveries")
    assert log is not None
    links = [a for a in log.find_all("a") if a.attrs.get("href") == f"/cases/{case.id}"]
    assert [a.text for a in links] == [case.number]
    assert "已登记" in log.text
