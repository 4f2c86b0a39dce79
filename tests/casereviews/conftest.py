"""Penalty case files to review: rows inserted directly (the penalty procedure is tested in tests/penalties), and the
extra people a review needs (an officer of branch A, a reviewer at branch B)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy.orm import Session

from ecoloop.casereviews import rules
from ecoloop.identity.enums import Role
from ecoloop.identity.models import Organisation, User
from ecoloop.penalties.enums import Stage
from ecoloop.penalties.models import PenaltyCase, PenaltyCaseOfficer
from tests.factories import World, add_user

NOW = datetime(2027, 1, 15, 2, tzinfo=UTC)
_numbers = count(1)


def penalty_case(
    session: Session,
    world: World,
    unit: Organisation,
    officers: list[User],
    closed_on: date | None = date(2026, 6, 1),
    decided_on: date = date(2026, 5, 1),
    stage: Stage = Stage.CLOSED,
) -> PenaltyCase:
    """A decided (and by default closed) penalty case of `unit`'s county, handled by `officers`."""
    n = next(_numbers)
    enterprise = world.enterprise_a if unit.id != world.branch_b.id else world.enterprise_b
    case = PenaltyCase(
        number=f"QH-2026-{n:04d}",
        number_year=2026,
        number_seq=n,
        enterprise_id=enterprise.id,
        region_id=enterprise.region_id,
        organisation_id=unit.id,
        stage=stage,
        violation_code="air-101",
        violation_name="超标排放大气污染物",
        facts="二氧化硫排放浓度超过许可限值",
        discovered_on=date(2026, 3, 1),
        proposed_on=date(2026, 3, 2),
        registered_on=date(2026, 3, 3),
        decided_on=decided_on,
        closed_on=closed_on,
        fine_amount=Decimal("100000.00"),
    )
    session.add(case)
    session.flush()
    for position, officer in enumerate(officers):
        session.add(PenaltyCaseOfficer(penalty_case_id=case.id, user_id=officer.id, position=position))
    session.flush()
    return case


@dataclass
class Review:
    """The city with review's people: two officers of branch A, an officer of branch B, and a reviewer at B."""

    world: World
    officer_a: User
    officer_a2: User
    officer_b: User
    analyst_b: User
    users: dict[str, User] = field(default_factory=dict)


def review_people(session: Session, world: World) -> Review:
    """Officers of the branches and an analyst posted at branch B (a reviewer who may not review B's files)."""
    officer_a = add_user(session, "officer_a", Role.INSPECTOR, world.branch_a)
    officer_a2 = add_user(session, "officer_a2", Role.INSPECTOR, world.branch_a)
    officer_b = add_user(session, "officer_b", Role.INSPECTOR, world.branch_b)
    analyst_b = add_user(session, "analyst_b", Role.ANALYST, world.branch_b)
    return Review(world, officer_a, officer_a2, officer_b, analyst_b)


@pytest.fixture
def review(db: Session, world: World) -> Review:
    return review_people(db, world)


def sheet_of(*deductions: tuple[str, str, str]) -> list[rules.Deduction]:
    """Deductions as (sub-point, points, reason)."""
    return [rules.Deduction(p, Decimal(points), reason) for p, points, reason in deductions]
