"""Fixtures of penalty cases: who acts, a second officer of the branch, and a case opened and registered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from ecoloop.access.roles import Role
from ecoloop.cases.service import Acting
from ecoloop.penalties import service
from ecoloop.penalties.models import PenaltyCase
from ecoloop.penalties.procedure import Entry, Step
from tests.factories import World, add_user

TODAY = date(2026, 3, 2)  # a Monday
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
LEVELS = {"exceed": "lt3", "duration": "lt7d", "sensitive": "none", "repeat": "first", "rectify": "in_time"}

Actor = Callable[[str], Acting]


@pytest.fixture
def actor(db: Session, world: World) -> Actor:
    """Who acts, by user name; `branch_a2` is a second officer of branch A."""
    world.users["branch_a2"] = add_user(db, "branch_a2", Role.BRANCH, world.branch_a)

    def acting(name: str) -> Acting:
        return Acting(world.users[name], world.principal(db, name))

    return acting


def propose(db: Session, world: World, actor: Actor, *, today: date = TODAY, **changes: object) -> PenaltyCase:
    """A case proposed by the bureau's inspector with the analyst as second officer: emissions over the limit at
    enterprise A (the benchmark recommends 388,000 yuan)."""
    values: dict[str, object] = {
        "enterprise_id": world.enterprise_a.id,
        "discovered_on": today,
        "facts": "2026年3月1日现场检查发现二氧化硫排放浓度超标1.5倍",
        "violation_code": "AIR-EXCEED",
        "officer_ids": [world.users["inspector"].id, world.users["analyst"].id],
        "levels": LEVELS,
        "rectification": "立即停止超标排放，完成脱硫设施检修",
        "rectification_deadline": date(2026, 4, 30),
    }
    values.update(changes)
    new = service.NewCase(**values)  # type: ignore[arg-type]  # the test's keyword values
    return service.open_case(db, actor("inspector"), new, now=NOW, today=today)


def registered(db: Session, world: World, actor: Actor, *, today: date = TODAY, **changes: object) -> PenaltyCase:
    """A case proposed and approved for 立案 by the leader."""
    case = propose(db, world, actor, today=today, **changes)
    return service.take_step(db, case, actor("leader"), Step.APPROVE_REGISTRATION, Entry(), now=NOW, today=today)
