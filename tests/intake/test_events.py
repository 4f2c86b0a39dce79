"""A partner's warning taken in: an alert of the partner's rule placed by its point, personal numbers masked before
anything is kept, a resend answered with the same alert, and two requests with one id at the same moment making one
alert (on both databases)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import AlertEventKind, AlertStatus, Review
from ecoloop.alerts.models import Alert, AlertEvent, Notification
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.audit.service import Actor, set_actor
from ecoloop.intake import events
from ecoloop.intake.models import Partner, PartnerEvent
from ecoloop.intake.partner_schemas import EventIn
from tests.factories import World, build_world, give_boundaries
from tests.intake.conftest import T0, Registered, register

PHONE = "13812345678"
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def warning(**changes: Any) -> EventIn:
    values: dict[str, Any] = {
        "id": "PV-2026-0001",
        "type": "dumping",
        "title": "疑似倾倒建筑垃圾",
        "description": f"视频发现货车倾倒，举报人电话 {PHONE}，请核实",
        "occurred_at": "2026-12-01T09:30:00+08:00",
        "longitude": 114.05,
        "latitude": 35.05,
        "category": "solid_waste",
        "severity": "high",
        **changes,
    }
    return EventIn.model_validate(values)


def test_a_warning_becomes_an_alert_of_the_partners_rule_where_its_point_is(
    db: Session, world: World, registered: Registered
) -> None:
    give_boundaries(db, world)

    taken = events.accept(db, registered.partner, warning(), NOW)

    alert = taken.alert
    assert taken.created and taken.event.alert_id == alert.id
    assert alert.kind is RuleKind.PARTNER and alert.rule.name == "公安视频监控平台"
    assert alert.region_id == world.town_a.id  # 114.05, 35.05 lies in town A's box
    assert alert.severity is Severity.HIGH and alert.status is AlertStatus.OPEN and alert.review is Review.PENDING
    assert alert.first_at == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    assert alert.detail["category"] == "solid_waste" and alert.detail["title"] == "疑似倾倒建筑垃圾"
    kinds = db.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == alert.id)).all()
    assert kinds == [AlertEventKind.RAISED]
    # the analysts and the branch of county A are told (notification list)
    told = db.scalars(select(Notification.user_id).where(Notification.alert_id == alert.id)).all()
    assert {world.users["analyst"].id, world.users["branch_a"].id} <= set(told)
    assert world.users["branch_b"].id not in told


def test_a_phone_number_in_the_warning_is_masked_before_anything_is_kept(
    db: Session, world: World, registered: Registered
) -> None:
    taken = events.accept(db, registered.partner, warning(title=f"来电 {PHONE}", address=f"湖滨路 {PHONE} 号"), NOW)
    db.flush()

    kept = f"{taken.event.payload} {taken.alert.detail}"
    assert PHONE not in kept
    assert "138****5678" in taken.event.payload["description"]


def test_without_a_point_the_warning_is_placed_in_the_partners_region_or_the_whole_area(
    db: Session, world: World, registered: Registered
) -> None:
    taken = events.accept(db, registered.partner, warning(longitude=None, latitude=None, address="柳林镇东"), NOW)

    assert taken.alert.region_id == world.city.id


def test_a_resend_answers_with_the_same_alert(db: Session, world: World, registered: Registered) -> None:
    first = events.accept(db, registered.partner, warning(), NOW)
    again = events.accept(db, registered.partner, warning(title="换了标题"), NOW)

    assert not again.created and again.alert.id == first.alert.id
    assert db.scalar(select(func.count(Alert.id))) == 1


def test_the_same_id_from_another_platform_is_another_warning(
    db: Session, world: World, registered: Registered
) -> None:
    other = register(db, world, code="smoke-cameras", name="黑烟抓拍系统")

    first = events.accept(db, registered.partner, warning(), NOW)
    second = events.accept(db, other.partner, warning(), NOW)

    assert second.created and second.alert.id != first.alert.id
    assert second.alert.rule.name == "黑烟抓拍系统"


def test_two_requests_with_one_id_at_once_make_one_alert(own_engine: Engine) -> None:
    with Session(own_engine, expire_on_commit=False) as setup:
        world = build_world(setup)
        registered = register(setup, world)
        setup.commit()
    partner_id = registered.partner.id
    outcome: list[events.Accepted | BaseException] = []
    with Session(own_engine, expire_on_commit=False) as first, Session(own_engine, expire_on_commit=False) as second:
        for session in (first, second):
            set_actor(session, Actor(label="partner:police-video"))
        won = events.accept(first, first.get_one(Partner, partner_id), warning(), NOW)  # not committed yet

        def concurrent() -> None:
            try:
                outcome.append(events.accept(second, second.get_one(Partner, partner_id), warning(), NOW))
                second.commit()
            except BaseException as exc:
                second.rollback()
                outcome.append(exc)

        thread = threading.Thread(target=concurrent)
        thread.start()
        time.sleep(0.5)  # the second request reaches the insert and waits for the first's transaction
        first.commit()
        thread.join(timeout=30)

    assert len(outcome) == 1 and isinstance(outcome[0], events.Accepted), outcome
    assert not outcome[0].created and outcome[0].alert.id == won.alert.id
    with Session(own_engine) as check:
        assert check.scalar(select(func.count(Alert.id))) == 1
        assert check.scalar(select(func.count(PartnerEvent.id))) == 1


def test_the_alerts_case_after_checking_is_of_the_warnings_category_and_titled_by_it(
    db: Session, world: World, registered: Registered
) -> None:
    from ecoloop.alerts import service
    from ecoloop.cases.models import Case
    from ecoloop.identity.enums import Category

    give_boundaries(db, world)
    alert = events.accept(db, registered.partner, warning(), NOW).alert

    service.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), T0, UTC, "现场属实")

    case = db.get_one(Case, alert.case_id)
    assert case.category is Category.SOLID_WASTE
    assert "公安视频监控平台" in case.title and "疑似倾倒建筑垃圾" in case.title
    assert PHONE not in case.description and "138****5678" in case.description


def test_a_warning_is_not_counted_among_the_daily_briefs_exceedances(
    db: Session, world: World, registered: Registered
) -> None:
    from datetime import timedelta

    from ecoloop.reports.daily_reads import alerts_raised

    events.accept(db, registered.partner, warning(), NOW)

    assert alerts_raised(db, NOW - timedelta(hours=1), NOW + timedelta(hours=1), device=False) == []
