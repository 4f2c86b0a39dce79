"""Keeping alerts on both databases: checking (confirm into a case, dismiss),
routing to the responsible unit, feedback from the case, notifications read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts import service
from ecoloop.alerts.enums import AlertEventKind, AlertStatus, Review
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, AlertRuleVersion, Notification
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.models import Case
from ecoloop.cases.service import Acting, act
from ecoloop.cases.workflow import Action, State
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from tests.factories import World

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def new_alert(db: Session, world: World, rules: dict[str, AlertRule], site: Site | None = None) -> Alert:
    rule = rules["air-hotspot"]
    version = db.scalar(select(AlertRuleVersion.id).where(AlertRuleVersion.rule_id == rule.id))
    assert version is not None
    alert = Alert(
        number=f"YJ2026-{db.scalar(select(Alert.id).order_by(Alert.id.desc()).limit(1)) or 0:06d}9",
        rule_id=rule.id,
        rule_version_id=version,
        kind=RuleKind.AIR_HOTSPOT,
        site_id=site.id if site else None,
        region_id=site.region_id if site else world.town_b.id,
        parameter="a34004",
        severity=Severity.MEDIUM,
        first_at=NOW,
        last_at=NOW,
        observed=Decimal(210),
        reference=Decimal(55),
        raised_at=NOW,
    )
    db.add(alert)
    db.flush()
    return alert


def station(db: Session, world: World) -> Site:
    site = Site(code="AQ-LL", name="柳林镇站", kind=SiteKind.AIR_STATION, region_id=world.town_b.id)
    db.add(site)
    db.flush()
    return site


def test_units_responsible_for_a_region(db: Session, world: World) -> None:
    assert service.responsible_unit(db, world.village_b.id).id == world.branch_b.id
    assert service.responsible_unit(db, world.county_a.id).id == world.branch_a.id
    assert service.responsible_unit(db, world.city.id).id == world.bureau.id


def test_confirming_hands_the_alert_to_the_county_branch_as_a_case(
    db: Session, world: World, rules: dict[str, AlertRule]
) -> None:
    site = station(db, world)
    alert = new_alert(db, world, rules, site)
    service.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), NOW, TZ, note="现场核实属实")
    case = db.get(Case, alert.case_id)
    assert case is not None
    assert (case.source, case.category, case.state, case.lead_unit_id) == (
        CaseSource.ALERT,
        Category.AIR,
        State.ASSIGNED,
        world.branch_b.id,
    )
    assert case.deadline == NOW.astimezone(TZ).date() + timedelta(days=7)
    assert "柳林镇站" in case.title and "210" in case.title
    assert alert.review is Review.CONFIRMED
    kinds = db.scalars(select(AlertEvent.kind).where(AlertEvent.alert_id == alert.id).order_by(AlertEvent.id)).all()
    assert kinds == [AlertEventKind.CONFIRMED, AlertEventKind.ESCALATED]
    with pytest.raises(service.AlertError) as refused:
        service.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), NOW, TZ)
    assert refused.value.code == "case_open"
    with pytest.raises(service.AlertError) as refused:
        service.dismiss(db, alert, world.users["analyst"], world.principal(db, "analyst"), "误报", NOW)
    assert refused.value.code == "case_open"


def test_closing_the_case_feeds_back_to_the_alert(db: Session, world: World, rules: dict[str, AlertRule]) -> None:
    alert = new_alert(db, world, rules, station(db, world))
    service.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), NOW, TZ)
    case = db.get(Case, alert.case_id)
    assert case is not None
    for who, action in (
        ("branch_b", Action.ACCEPT),
        ("branch_b", Action.REPORT),
        ("analyst", Action.START_VERIFICATION),
    ):
        act(db, case, Acting(world.users[who], world.principal(db, who)), action, seen_version=case.version, now=NOW)
    assert service.feed_back(db, NOW) == 0  # still open
    act(
        db,
        case,
        Acting(world.users["analyst"], world.principal(db, "analyst")),
        Action.PASS,
        seen_version=case.version,
        now=NOW,
        reason="复核通过，已销号",
    )
    assert service.feed_back(db, NOW + timedelta(minutes=1)) == 1
    assert alert.status is AlertStatus.CLOSED and alert.feedback
    assert service.feed_back(db, NOW + timedelta(minutes=2)) == 0


def test_dismissing_needs_a_reason_and_a_checker(db: Session, world: World, rules: dict[str, AlertRule]) -> None:
    alert = new_alert(db, world, rules, station(db, world))
    with pytest.raises(service.AlertError, match="reason_required"):
        service.dismiss(db, alert, world.users["analyst"], world.principal(db, "analyst"), "  ", NOW)
    with pytest.raises(service.AlertError, match="not_allowed"):
        service.dismiss(db, alert, world.users["leader"], world.principal(db, "leader"), "误报", NOW)
    service.dismiss(db, alert, world.users["branch_b"], world.principal(db, "branch_b"), "仪器校准期间数据", NOW)
    assert (alert.status, alert.review, alert.feedback) == (AlertStatus.CLOSED, Review.DISMISSED, "仪器校准期间数据")
    with pytest.raises(service.AlertError, match="alert_closed"):
        service.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), NOW, TZ)


def test_notifications_are_marked_read(db: Session, world: World, rules: dict[str, AlertRule]) -> None:
    alert = new_alert(db, world, rules, station(db, world))
    event = AlertEvent(alert_id=alert.id, at=NOW, kind=AlertEventKind.RAISED, actor_label="alerts")
    db.add(event)
    db.flush()
    user = world.users["analyst"]
    for _ in range(2):
        db.add(Notification(user_id=user.id, alert_id=alert.id, event_id=event.id, created_at=NOW))
    db.flush()
    assert service.unread_count(db, user.id) == 2
    first = db.scalars(select(Notification.id).where(Notification.user_id == user.id)).first()
    assert first is not None
    assert service.mark_read(db, user, [first], NOW) == 1
    assert service.mark_read(db, user, None, NOW) == 1
    assert service.unread_count(db, user.id) == 0


def test_a_case_from_an_alert_tells_its_findings_in_chinese_and_keeps_the_note(
    db: Session, world: World, rules: dict[str, AlertRule]
) -> None:
    """Issue 13 §11: the case's description was the alert's raw JSON and the analyst's note was dropped."""
    site = station(db, world)
    alert = new_alert(db, world, rules, site)
    alert.kind = RuleKind.AQI_LEVEL
    alert.detail = {
        "findings": [
            {
                "parameter": "AQI",
                "time": NOW.isoformat(),
                "observed": "320",
                "reference": "200",
                "severity": "high",
                "level": 6,
                "category": "severely_polluted",
                "period": "hour",
                "scope": "site",
            }
        ]
    }
    service.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), NOW, TZ, note="现场核实属实")
    case = db.get(Case, alert.case_id)
    assert case is not None
    assert "{" not in case.description and "severely_polluted" not in case.description
    assert "2026-11-22 10:00 柳林镇站 小时 AQI 320，6 级（严重污染），达到预警阈值 200" in case.description
    assert case.description.endswith("核查意见：现场核实属实")
    assert alert.number in case.description


def test_a_case_title_names_the_parameter() -> None:
    alert = Alert(number="YJ2026-000001", kind=RuleKind.SOURCE_EXCEEDANCE, parameter="w21003", observed=Decimal("9.50"))
    alert.reference = Decimal(8)
    assert service.case_title(alert, Site(name="某排口")) == "某排口\uff1a氨氮 9.5 / 8"


def test_feedback_without_a_note_names_the_closed_case(db: Session, world: World, rules: dict[str, AlertRule]) -> None:
    """Issue 13 §11: the alert's feedback showed the raw state "closed"."""
    alert = new_alert(db, world, rules, station(db, world))
    service.confirm(db, alert, world.users["analyst"], world.principal(db, "analyst"), NOW, TZ)
    case = db.get(Case, alert.case_id)
    assert case is not None
    case.state = State.CLOSED  # closed without a note on its last step
    db.flush()
    assert service.feed_back(db, NOW) == 1
    assert alert.feedback == f"案件 {case.number} 已销号。"
