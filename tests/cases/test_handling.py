"""Handling of cases by lead unit for the rankings: cases registered in a period, closed on time, overdue and
supervision notices received, scoped like the cases."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from ecoloop.cases.queries import UnitHandling, handling_by_unit
from ecoloop.cases.rules import EscalationPolicy
from ecoloop.cases.service import escalate, supervise
from ecoloop.cases.workflow import Action
from tests.cases.test_ledger import acting, at, close, new_case, step
from tests.factories import World

TZ = ZoneInfo("Asia/Shanghai")
START, END = datetime(2026, 1, 1, tzinfo=TZ), datetime(2026, 2, 1, tzinfo=TZ)


def test_cases_by_lead_unit(db: Session, world: World) -> None:
    # On time: deadline 2026-01-20, closed 2026-01-20.
    on_time = new_case(db, world, world.county_a, at(date(2026, 1, 5)))
    close(db, world, on_time, date(2026, 1, 5), date(2026, 1, 20))
    # Overdue and supervised: deadline 2026-01-10, still open on 2026-01-15.
    late = new_case(db, world, world.county_b, at(date(2026, 1, 6)))
    step(
        db,
        world,
        late,
        "analyst",
        Action.ASSIGN,
        at(date(2026, 1, 6)),
        unit=world.department,
        deadline=date(2026, 1, 10),
    )
    escalate(db, at(date(2026, 1, 15)), date(2026, 1, 15), EscalationPolicy())
    supervise(db, late, acting(db, world, "leader"), "请加快整改", at(date(2026, 1, 16)))
    # Registered before the period: not counted; unassigned: no unit.
    new_case(db, world, world.county_a, at(date(2025, 12, 1)))
    new_case(db, world, world.county_a, at(date(2026, 1, 7)))
    found = handling_by_unit(db, world.principal(db, "analyst"), START, END, TZ)
    # Two notices: the escalation's automatic 督办 of the overdue case and the leader's.
    assert found == [UnitHandling(world.department.id, world.department.name, 2, 1, 1, 2)]
    # A branch sees the cases of its county only.
    found_a = handling_by_unit(db, world.principal(db, "branch_a"), START, END, TZ)
    assert found_a == [UnitHandling(world.department.id, world.department.name, 1, 1, 0, 0)]
    assert handling_by_unit(db, world.principal(db, "analyst"), END, datetime(2026, 3, 1, tzinfo=TZ), TZ) == []


def test_a_notice_in_the_period_counts_whenever_the_case_was_registered(db: Session, world: World) -> None:
    case = new_case(db, world, world.county_a, datetime(2025, 12, 20, tzinfo=UTC))
    step(
        db,
        world,
        case,
        "analyst",
        Action.ASSIGN,
        at(date(2025, 12, 20)),
        unit=world.department,
        deadline=date(2026, 3, 1),
    )
    supervise(db, case, acting(db, world, "leader"), "督办", at(date(2026, 1, 16)))
    found = handling_by_unit(db, world.principal(db, "analyst"), START, END, TZ)
    assert found == [UnitHandling(world.department.id, world.department.name, 0, 0, 0, 1)]
