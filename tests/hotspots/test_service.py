"""Hotspot orders on both databases: dispatch from an alert or by hand with the suspects frozen, the lead unit's
response and reply, the on-site check, the closed-loop case behind each step, escalation and the effect."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import AlertEventKind
from ecoloop.alerts.models import Alert, AlertEvent, Notification
from ecoloop.alerts.rules import RuleKind
from ecoloop.analytics.sites import StoredReadings
from ecoloop.cases.enums import EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.workflow import State
from ecoloop.hotspots import effects, service
from ecoloop.hotspots.enums import CheckResult, OrderEventKind, OrderStatus
from ecoloop.hotspots.models import HotspotEvent, HotspotOrder
from ecoloop.hotspots.rules import Step
from ecoloop.hotspots.service import Dispatch, HotspotError, Reply
from ecoloop.monitoring.models import Site
from ecoloop.readings.vocabulary import Interval, Reading
from tests.factories import World
from tests.hotspots.conftest import NOW, Place, acting, hotspot_alert

MINUTE = timedelta(minutes=1)


def from_alert(db: Session, world: World, place: Place) -> HotspotOrder:
    alert = hotspot_alert(db, place)
    return service.dispatch(db, acting(db, world, "analyst"), Dispatch(alert_id=alert.id), now=NOW)


def case_of(db: Session, order: HotspotOrder) -> Case:
    return db.get_one(Case, order.case_id)


def case_events(db: Session, order: HotspotOrder) -> list[EventKind]:
    return list(db.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == order.case_id).order_by(CaseEvent.id)))


def test_an_order_from_an_alert_freezes_the_suspects_and_starts_the_clock(
    db: Session, world: World, place: Place
) -> None:
    order = from_alert(db, world, place)
    assert order.number == "RD2026-0001"
    assert (order.site_id, order.parameter, order.observed) == (place.station.id, "a34004", Decimal(180))
    # The enterprise 0.90 km east, the yard 1.11 km north; the restaurant 3.34 km away and enterprise B are out.
    assert [(s["key"], s["distance_km"], s["direction"]) for s in order.suspects] == [
        (f"enterprise:{world.enterprise_a.id}", 0.9, "e"),
        (f"source:{place.yard.id}", 1.11, "n"),
    ]
    assert [o["name"] for o in order.suspects[0]["outlets"]] == ["1号排口"]
    assert order.suspects[1]["organisation"] == world.department.name
    # The branch of the station's county leads; the yard's department helps.
    assert order.lead_unit_id == world.branch_a.id
    assert [h.organisation_id for h in order.helpers] == [world.department.id]
    assert (order.respond_due, order.on_site_due, order.reply_due) == (
        NOW + 30 * MINUTE,
        NOW + timedelta(hours=2),
        NOW + timedelta(hours=24),
    )
    case = case_of(db, order)
    assert (case.state, case.lead_unit_id, case.external_ref) == (State.ASSIGNED, world.branch_a.id, order.number)
    assert [u.organisation_id for u in case.co_units] == [world.department.id]
    assert order.alert_id is not None  # the alert is the case's: it closes with it
    assert db.get_one(Alert, order.alert_id).case_id == case.id
    assert db.scalar(select(AlertEvent.kind).where(AlertEvent.data["order"].as_string() == order.number)) is (
        AlertEventKind.ESCALATED
    )
    told = set(db.scalars(select(Notification.user_id)))
    assert told == {world.users["branch_a"].id, world.users["department"].id}


def test_the_lead_unit_answers_and_the_dispatcher_checks(db: Session, world: World, place: Place) -> None:
    order = from_alert(db, world, place)
    with pytest.raises(HotspotError, match="not_allowed"):
        service.respond(db, acting(db, world, "branch_b"), order, NOW + MINUTE)
    with pytest.raises(HotspotError, match="not_allowed"):
        service.respond(db, acting(db, world, "department"), order, NOW + MINUTE)  # a helper, not the lead
    branch = acting(db, world, "branch_a")
    service.respond(db, branch, order, NOW + 10 * MINUTE)
    assert (order.status, case_of(db, order).state) == (OrderStatus.RESPONDED, State.RECTIFYING)
    service.arrive(db, branch, order, NOW + 50 * MINUTE)
    with pytest.raises(HotspotError, match="source_unknown"):
        service.reply(db, branch, order, Reply("扬尘", "覆盖", source_key="source:999999"), NOW + 3 * 60 * MINUTE)
    yard = f"source:{place.yard.id}"
    service.reply(db, branch, order, Reply("料堆未覆盖", "已覆盖并洒水", source_key=yard), NOW + 3 * 60 * MINUTE)
    assert (order.status, order.source_name, case_of(db, order).state) == (
        OrderStatus.REPLIED,
        "北郊料场",
        State.REPORTED,
    )
    with pytest.raises(HotspotError, match="not_allowed"):
        service.check(db, branch, order, CheckResult.EFFECTIVE, NOW + 4 * 60 * MINUTE)
    service.check(db, acting(db, world, "analyst"), order, CheckResult.EFFECTIVE, NOW + 5 * 60 * MINUTE, "已核实")
    assert (order.status, case_of(db, order).state) == (OrderStatus.CLOSED, State.CLOSED)
    kinds = list(
        db.scalars(select(HotspotEvent.kind).where(HotspotEvent.order_id == order.id).order_by(HotspotEvent.id))
    )
    assert kinds == [
        OrderEventKind.DISPATCHED,
        OrderEventKind.RESPONDED,
        OrderEventKind.ARRIVED,
        OrderEventKind.REPLIED,
        OrderEventKind.CHECKED,
    ]
    assert case_events(db, order) == [
        EventKind.REGISTERED,
        EventKind.ASSIGNED,
        EventKind.ACCEPTED,
        EventKind.REPORTED,
        EventKind.VERIFICATION_STARTED,
        EventKind.PASSED,
    ]


def test_a_reply_not_effective_goes_back_with_a_new_reply_time(db: Session, world: World, place: Place) -> None:
    order = from_alert(db, world, place)
    branch, analyst = acting(db, world, "branch_a"), acting(db, world, "analyst")
    service.reply(db, branch, order, Reply("未发现", "巡查"), NOW + 60 * MINUTE)  # respond and arrive with it
    assert order.responded_at == order.on_site_at == NOW + 60 * MINUTE
    with pytest.raises(HotspotError, match="note_required"):
        service.check(db, analyst, order, CheckResult.NOT_EFFECTIVE, NOW + 2 * 60 * MINUTE)
    service.check(db, analyst, order, CheckResult.NOT_EFFECTIVE, NOW + 2 * 60 * MINUTE, "料场仍未覆盖")
    assert (order.status, order.replied_at, case_of(db, order).state) == (OrderStatus.ON_SITE, None, State.RECTIFYING)
    assert order.reply_due == NOW + 2 * 60 * MINUTE + timedelta(hours=24)
    service.reply(db, branch, order, Reply("料场", "覆盖"), NOW + 3 * 60 * MINUTE)
    assert case_of(db, order).state is State.REPORTED


def test_an_overdue_order_is_supervised_then_an_interview_proposed(db: Session, world: World, place: Place) -> None:
    order = from_alert(db, world, place)
    assert service.escalate(db, NOW + 30 * MINUTE)[Step.SUPERVISE] == 0  # on the minute: not late yet
    taken = service.escalate(db, NOW + 31 * MINUTE)
    assert (taken[Step.MARK_OVERDUE], taken[Step.SUPERVISE], taken[Step.PROPOSE_INTERVIEW]) == (1, 1, 0)
    assert (order.overdue, order.missed, case_of(db, order).overdue) == (True, 1, True)
    notice = db.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.SUPERVISED)).one()
    assert notice.data["notice"] == "DB2026-0001" and notice.data["order"] == order.number
    assert service.escalate(db, NOW + 60 * MINUTE) == dict.fromkeys(Step, 0)  # once per order
    # The unit responds late; it is not on site at 2 h: a second missed limit proposes 约谈.
    service.respond(db, acting(db, world, "branch_a"), order, NOW + 70 * MINUTE)
    assert service.escalate(db, NOW + 121 * MINUTE)[Step.PROPOSE_INTERVIEW] == 1
    assert case_events(db, order)[2:] == [
        EventKind.OVERDUE,
        EventKind.SUPERVISED,
        EventKind.ACCEPTED,
        EventKind.INTERVIEW_PROPOSED,
    ]
    assert service.escalate(db, NOW + 200 * MINUTE) == dict.fromkeys(Step, 0)


def test_a_replied_order_does_not_escalate(db: Session, world: World, place: Place) -> None:
    order = from_alert(db, world, place)
    service.reply(db, acting(db, world, "branch_a"), order, Reply("料场", "覆盖"), NOW + 10 * MINUTE)
    assert service.escalate(db, NOW + timedelta(days=2)) == dict.fromkeys(Step, 0)
    assert not order.overdue


def test_the_third_order_at_a_station_proposes_an_interview(db: Session, world: World, place: Place) -> None:
    analyst = acting(db, world, "analyst")
    by_hand = Dispatch(site_id=place.station.id, parameter="a34002", lead_unit_id=world.branch_a.id, helper_ids=())
    orders = [service.dispatch(db, analyst, by_hand, now=NOW + timedelta(days=d)) for d in (0, 10, 20)]
    assert [o.repeats for o in orders] == [1, 2, 3]
    assert [o.number for o in orders] == ["RD2026-0001", "RD2026-0002", "RD2026-0003"]
    assert orders[0].helpers == [] and orders[0].alert_id is None
    for o in orders:
        service.reply(db, acting(db, world, "branch_a"), o, Reply("工地", "停工"), o.dispatched_at + MINUTE)
    taken = service.escalate(db, NOW + timedelta(days=20, minutes=5))
    assert taken[Step.PROPOSE_INTERVIEW] == 1
    assert [o.interview_proposed_at is not None for o in orders] == [False, False, True]


def test_what_a_dispatch_refuses(db: Session, world: World, place: Place) -> None:
    analyst = acting(db, world, "analyst")
    with pytest.raises(HotspotError, match="not_allowed"):
        service.dispatch(
            db, acting(db, world, "branch_a"), Dispatch(site_id=place.station.id, parameter="a34004"), now=NOW
        )
    with pytest.raises(HotspotError, match="parameter_unknown"):
        service.dispatch(db, analyst, Dispatch(site_id=place.station.id, parameter="w01018"), now=NOW)
    assert db.scalars(select(HotspotOrder)).first() is None
    with pytest.raises(HotspotError, match="alert_kind"):
        service.dispatch(db, analyst, Dispatch(alert_id=hotspot_alert(db, place, RuleKind.DEVICE_SILENT).id), now=NOW)
    rise = hotspot_alert(db, place, RuleKind.AIR_SUDDEN_RISE)
    service.dispatch(db, analyst, Dispatch(alert_id=rise.id), now=NOW)
    with pytest.raises(HotspotError, match="alert_has_order"):
        service.dispatch(db, analyst, Dispatch(alert_id=rise.id), now=NOW)
    with pytest.raises(HotspotError, match="radius"):
        service.dispatch(db, analyst, Dispatch(site_id=place.station.id, parameter="a34004", radius_km=50), now=NOW)


def test_the_effect_compares_the_hours_before_and_after_with_the_neighbours(
    db: Session, world: World, place: Place, readings: StoredReadings
) -> None:
    order = from_alert(db, world, place)  # the hotspot began at NOW
    replied = NOW + timedelta(hours=3)
    service.reply(db, acting(db, world, "branch_a"), order, Reply("料场", "覆盖"), replied)
    hour = timedelta(hours=1)

    def series(site: int, start: object, values: list[float]) -> list[Reading]:
        assert isinstance(start, type(NOW))
        return [Reading(site, "a34004", Interval.HOUR, start + i * hour, v, "N") for i, v in enumerate(values)]

    station, neighbour = place.station.id, place.neighbour.id
    readings.store.write(
        series(station, NOW - 6 * hour, [90, 100, 110, 100, 90, 110])  # 100
        + series(station, replied, [70, 60, 80, 70, 60, 80])  # 70
        + series(neighbour, NOW - 6 * hour, [50] * 6)
        + series(neighbour, replied, [45] * 6),
        now=replied + 7 * hour,
    )
    assert effects.compute_effects(db, readings, replied + 5 * hour) == 0  # the hours after are not over
    assert effects.compute_effects(db, readings, replied + 6 * hour) == 1
    assert order.effect is not None
    assert {k: order.effect[k] for k in ("before", "after", "delta", "delta_pct", "net_delta", "net_delta_pct")} == {
        "before": "100.0",
        "after": "70.0",
        "delta": "-30.0",
        "delta_pct": "-30.0",
        "net_delta": "-25.0",
        "net_delta_pct": "-20.0",
    }
    assert order.effect["neighbours"] == 1
    assert effects.compute_effects(db, readings, replied + 7 * hour) == 0  # once


def test_the_stations_wind_puts_upwind_suspects_first_and_outlets_show_their_latest_values(
    db: Session, world: World, place: Place, readings: StoredReadings
) -> None:
    outlet = db.scalars(select(Site).where(Site.code == "SRC-HN")).one()
    hour = NOW.replace(minute=0) - timedelta(hours=1)
    readings.store.write(
        [
            Reading(place.station.id, "a01008", Interval.HOUR, hour, 10.0, "N"),  # wind from the north
            Reading(outlet.id, "a21026", Interval.HOUR, hour, 35.5, "N"),
            Reading(outlet.id, "a21002", Interval.HOUR, hour, 80.0, "D"),  # flagged invalid: left out
        ],
        now=NOW,
    )
    by_hand = Dispatch(site_id=place.station.id, parameter="a34004")
    order = service.dispatch(db, acting(db, world, "analyst"), by_hand, now=NOW, readings=readings)
    assert order.wind_from == Decimal("10.0")
    assert [(s["key"], s["upwind"]) for s in order.suspects] == [
        (f"source:{place.yard.id}", True),
        (f"enterprise:{world.enterprise_a.id}", False),
    ]
    values = order.suspects[1]["outlets"][0]["values"]
    assert [(v["parameter"], v["value"]) for v in values] == [("a21026", "35.5")]
