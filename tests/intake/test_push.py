"""推送 → 处置 → 反馈: departments chosen by duty and area, the push with each department's task and deadline, the
department's handling, the feedback queued once every task is done (or the warning dismissed), and its delivery to
a real local HTTP server: signed as the alert webhooks are, retried, without personal data. The report's figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts import service as alerts
from ecoloop.alerts.enums import DeliveryStatus
from ecoloop.alerts.models import Alert
from ecoloop.alerts.webhooks import verify
from ecoloop.identity.enums import Category
from ecoloop.identity.models import OrganisationDuty
from ecoloop.intake import events, partner_report, push
from ecoloop.intake.models import PartnerFeedback, PushTask
from ecoloop.intake.partner_report import EventFacts, TaskFacts
from ecoloop.intake.push import Order, PushError
from tests.alerts.test_webhooks import LOCAL, Receiver
from tests.factories import World, give_boundaries
from tests.intake.conftest import Registered
from tests.intake.test_events import PHONE, warning

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=5)


def confirmed_alert(db: Session, world: World, registered: Registered, **changes: Any) -> Alert:
    """A warning taken and confirmed at 核查 (handed over as a case to the branch of county A)."""
    give_boundaries(db, world)
    alert = events.accept(db, registered.partner, warning(**changes), NOW).alert
    alerts.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), NOW, UTC)
    return alert


def give_duty(db: Session, world: World, category: Category = Category.SOLID_WASTE) -> None:
    db.add(OrganisationDuty(organisation_id=world.department.id, category=category))
    db.flush()


def pushed(db: Session, world: World, alert: Alert, *orgs: int) -> list[PushTask]:
    orders = [Order(org, f"核查现场，电话 {PHONE}", NOW + timedelta(days=2)) for org in orgs]
    return push.push(db, alert, world.users["analyst"], world.principal(db, "analyst"), orders, NOW)


def test_the_departments_responsible_for_the_category_in_the_area_are_chosen_first(
    db: Session, world: World, registered: Registered
) -> None:
    give_duty(db, world)
    alert = confirmed_alert(db, world, registered)

    found = push.candidates(db, alert)

    assert [c.organisation.id for c in found if c.matches] == [world.department.id]
    assert {c.organisation.id for c in found} == {world.department.id, world.branch_a.id, world.branch_b.id}
    assert found[0].organisation.id == world.department.id


def test_a_duty_of_another_category_or_another_area_does_not_match(
    db: Session, world: World, registered: Registered
) -> None:
    give_duty(db, world, Category.WATER)
    db.add(OrganisationDuty(organisation_id=world.branch_b.id, category=Category.SOLID_WASTE))  # county B only
    alert = confirmed_alert(db, world, registered)  # in town A

    assert not any(c.matches for c in push.candidates(db, alert))


def test_a_push_gives_each_department_its_task_and_deadline(db: Session, world: World, registered: Registered) -> None:
    alert = confirmed_alert(db, world, registered)

    tasks = pushed(db, world, alert, world.department.id, world.branch_a.id)

    assert [t.organisation_id for t in tasks] == [world.department.id, world.branch_a.id]
    assert all(t.deadline == NOW + timedelta(days=2) and t.done_at is None for t in tasks)
    assert PHONE not in tasks[0].task and "138****5678" in tasks[0].task


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("unchecked", "not_confirmed"),
        ("twice", "already_pushed"),
        ("past", "deadline_past"),
        ("nobody", "no_departments"),
        ("empty", "task_missing"),
    ],
)
def test_push_refusals(db: Session, world: World, registered: Registered, setup: str, reason: str) -> None:
    give_boundaries(db, world)
    alert = events.accept(db, registered.partner, warning(), NOW).alert
    analyst = world.principal(db, "analyst")
    if setup != "unchecked":
        alerts.confirm(db, alert, world.users["analyst"], analyst, NOW, UTC)
    orders = [Order(world.department.id, "核查", NOW + timedelta(days=1))]
    if setup == "twice":
        push.push(db, alert, world.users["analyst"], analyst, orders, NOW)
    elif setup == "past":
        orders = [Order(world.department.id, "核查", NOW - timedelta(minutes=1))]
    elif setup == "nobody":
        orders = []
    elif setup == "empty":
        orders = [Order(world.department.id, "  ", NOW + timedelta(days=1))]

    with pytest.raises(PushError) as refused:
        push.push(db, alert, world.users["analyst"], analyst, orders, NOW)

    assert refused.value.code == reason


def test_only_the_department_pushed_to_records_its_handling(db: Session, world: World, registered: Registered) -> None:
    alert = confirmed_alert(db, world, registered)
    (task,) = pushed(db, world, alert, world.department.id)

    with pytest.raises(PushError) as refused:
        push.record_outcome(db, task, world.principal(db, "branch_a"), "已处理", True, LATER)
    assert refused.value.code == "not_allowed"

    push.record_outcome(db, task, world.principal(db, "department"), f"已清运，联系人 {PHONE}", True, LATER)
    assert task.done_at == LATER and task.effective is True
    assert PHONE not in task.outcome
    with pytest.raises(PushError) as again:
        push.record_outcome(db, task, world.principal(db, "department"), "再次", False, LATER)
    assert again.value.code == "task_done"


def test_the_feedback_is_queued_when_the_last_task_is_done_and_carries_no_personal_data(
    db: Session, world: World, registered: Registered
) -> None:
    alert = confirmed_alert(db, world, registered)
    first, second = pushed(db, world, alert, world.department.id, world.branch_a.id)
    department, branch = world.principal(db, "department"), world.principal(db, "branch_a")

    assert push.record_outcome(db, first, department, f"已清运 {PHONE}", True, LATER) is None  # one still open
    feedback = push.record_outcome(db, second, branch, "已立案查处", False, LATER)

    assert feedback is not None and feedback.status is DeliveryStatus.PENDING
    assert PHONE not in feedback.payload
    body = json.loads(feedback.payload)
    assert body["event"]["id"] == "PV-2026-0001" and body["alert"]["number"] == alert.number
    assert body["outcome"] == "handled" and body["effective"] is True
    assert [t["department"] for t in body["tasks"]] == ["清源市住房和城乡建设局", "清源区分局"]
    assert body["tasks"][0]["outcome"] == "已清运 138****5678"
    assert push.queue_due_feedback(db, LATER) == 0  # queued once


def test_a_dismissed_warning_is_fed_back_as_dismissed(db: Session, world: World, registered: Registered) -> None:
    alert = events.accept(db, registered.partner, warning(), NOW).alert
    alerts.dismiss(db, alert, world.users["analyst"], world.principal(db, "analyst"), f"误报，已电话 {PHONE} 核实", NOW)

    assert push.queue_due_feedback(db, LATER) == 1

    feedback = db.scalars(select(PartnerFeedback)).one()
    body = json.loads(feedback.payload)
    assert body["outcome"] == "dismissed" and body["effective"] is False and body["tasks"] == []
    assert PHONE not in feedback.payload and "138****5678" in body["note"]


def test_the_feedback_is_posted_signed_to_the_platform_and_retried(
    db: Session, world: World, registered: Registered, receiver: Receiver
) -> None:
    partner = registered.partner
    receiver.secret = partner.webhook_secret
    partner.webhook_url = receiver.url
    alert = confirmed_alert(db, world, registered)
    (task,) = pushed(db, world, alert, world.department.id)
    feedback = push.record_outcome(db, task, world.principal(db, "department"), "已清运", True, LATER)
    assert feedback is not None
    receiver.answers.append((503, "busy", {}))

    first = push.deliver_due(db, LATER, send=LOCAL)
    assert (first.delivered, first.retrying) == (0, 1)
    assert feedback.attempts == 1 and feedback.response_status == 503
    assert feedback.next_attempt_at == LATER + timedelta(seconds=30)
    assert push.deliver_due(db, LATER + timedelta(seconds=10), send=LOCAL).delivered == 0  # not due yet

    again = push.deliver_due(db, LATER + timedelta(seconds=30), send=LOCAL)

    assert again.delivered == 1 and feedback.status is DeliveryStatus.DELIVERED
    assert task.fed_back_at == LATER + timedelta(seconds=30)
    sent = receiver.requests[-1]
    assert sent.signed and sent.body == feedback.payload.encode()
    assert verify(partner.webhook_secret, sent.headers["x-ecoloop-signature"], sent.body, sent.timestamp or 0)
    assert sent.headers["x-ecoloop-event"] == "feedback"
    assert json.loads(sent.body)["outcome"] == "handled"
    assert PHONE not in sent.body.decode()


def test_feedback_waits_for_an_address_and_never_goes_to_a_private_one(
    db: Session, world: World, registered: Registered, receiver: Receiver
) -> None:
    alert = confirmed_alert(db, world, registered)
    (task,) = pushed(db, world, alert, world.department.id)
    feedback = push.record_outcome(db, task, world.principal(db, "department"), "已清运", True, LATER)
    assert feedback is not None

    assert push.deliver_due(db, LATER).delivered == 0 and feedback.attempts == 0  # no address yet: it waits
    registered.partner.webhook_url = receiver.url
    refused = push.deliver_due(db, LATER)  # the default sender: public addresses only

    assert refused.retrying == 1 and "not public" in feedback.error and receiver.requests == []


# --- the report ------------------------------------------------------------------------------------------------------


def facts(done: datetime | None, effective: bool | None, deadline_hours: int = 24) -> TaskFacts:
    return TaskFacts(NOW, NOW + timedelta(hours=deadline_hours), done, effective)


def test_the_reports_figures_by_hand() -> None:
    at = NOW + timedelta(hours=48)
    warnings = [
        EventFacts(False, (facts(NOW + timedelta(hours=2), True), facts(NOW + timedelta(hours=30), False))),
        EventFacts(False, (facts(NOW + timedelta(hours=4), False),)),
        EventFacts(False, (facts(None, None),)),  # open past its deadline at `at`
        EventFacts(True, ()),
        EventFacts(False, ()),
    ]

    f = partner_report.figures(warnings, at)

    assert (f.received, f.pushed, f.handled, f.effective, f.dismissed) == (5, 3, 2, 1, 1)
    assert f.push_rate == Decimal("60.0") and f.effective_rate == Decimal("33.3")
    assert (f.tasks, f.overdue) == (4, 2)  # one done after 30 h of a 24 h deadline, one still open
    assert f.average_hours == Decimal("12.0")  # (2 + 30 + 4) / 3


def test_no_warnings_no_rates() -> None:
    f = partner_report.figures([], NOW)

    assert f.push_rate is None and f.effective_rate is None and f.average_hours is None


def test_the_report_counts_each_platforms_warnings_of_the_period(
    db: Session, world: World, registered: Registered
) -> None:
    alert = confirmed_alert(db, world, registered)
    (task,) = pushed(db, world, alert, world.department.id)
    push.record_outcome(db, task, world.principal(db, "department"), "已清运", True, NOW + timedelta(hours=6))
    events.accept(db, registered.partner, warning(id="PV-2"), NOW)
    events.accept(db, registered.partner, warning(id="PV-old"), NOW - timedelta(days=40))
    admin = world.principal(db, "admin")

    (row,) = partner_report.report(db, admin, NOW - timedelta(days=1), NOW + timedelta(days=1), LATER)

    f = row.figures
    assert row.partner.id == registered.partner.id
    assert (f.received, f.pushed, f.handled, f.effective, f.overdue) == (2, 1, 1, 1, 0)
    assert f.push_rate == Decimal("50.0") and f.effective_rate == Decimal("100.0")
    assert f.average_hours == Decimal("6.0")
    assert partner_report.report(db, world.principal(db, "branch_a"), NOW, LATER, LATER) == []  # the bureau's
