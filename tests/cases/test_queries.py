"""The case funnel of the overview screen: how many cases reached each stage, and the units with overdue open
cases; scoped like every case query."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.models import Case
from ecoloop.cases.queries import case_funnel
from ecoloop.cases.workflow import State
from ecoloop.identity.models import Organisation
from ecoloop.regions.models import Region
from tests.factories import World


def add_case(
    db: Session, n: int, region: Region, state: State, unit: Organisation | None, overdue: bool = False
) -> None:
    db.add(
        Case(
            number=f"AJ2026-{n:06d}",
            source=CaseSource.INSPECTION,
            category=Category.AIR,
            title=f"case {n}",
            region_id=region.id,
            state=state,
            lead_unit_id=unit.id if unit else None,
            overdue=overdue,
        )
    )
    db.flush()


def test_the_funnel_counts_the_cases_that_reached_each_stage(db: Session, world: World) -> None:
    a, b = world.branch_a, world.branch_b
    plan = [
        (world.town_a, State.REGISTERED, None, False),
        (world.town_a, State.ASSIGNED, a, True),
        (world.town_a, State.RETURNED, a, False),
        (world.town_a, State.RECTIFYING, a, True),
        (world.town_a, State.REPORTED, a, False),
        (world.town_b, State.VERIFYING, b, True),
        (world.town_b, State.CLOSED, b, True),  # closed late: no longer an open overdue case
        (world.town_b, State.MERGED, b, False),  # a duplicate: not in the funnel
    ]
    for n, (region, state, unit, overdue) in enumerate(plan, start=1):
        add_case(db, n, region, state, unit, overdue)

    city = case_funnel(db, world.principal(db, "admin"))
    county_b = case_funnel(db, world.principal(db, "admin"), world.county_b)
    branch = case_funnel(db, world.principal(db, "branch_a"))

    assert city.reached == (7, 6, 4, 2, 1)
    assert [s.count for s in city.stages] == [7, 6, 4, 2, 1]
    assert city.overdue_by_unit == [("清源区分局", 2), ("临河县分局", 1)]
    assert county_b.reached == (2, 2, 2, 2, 1)
    assert county_b.overdue_by_unit == [("临河县分局", 1)]
    assert branch.reached == (5, 4, 2, 0, 0)
    assert branch.overdue_by_unit == [("清源区分局", 2)]
