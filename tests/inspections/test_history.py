"""The inspections done in the field are the random draws' inspection history: the enterprise's last inspection,
its officers and unit, which the pools ("not inspected for N months") and the avoidance rules read."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from ecoloop.db.base import utcnow
from ecoloop.draws.queries import LastInspection, last_inspections
from ecoloop.inspections import service
from tests.factories import World
from tests.inspections.conftest import acting, full_record, key, plan


def test_a_completed_inspection_is_the_enterprises_last(db: Session, world: World) -> None:
    inspection = plan(db, world, officers=("branch_a", "inspector"))
    after = inspection.planned_on + timedelta(days=1)
    for who in ("branch_a", "inspector"):
        service.submit(db, acting(db, world, who), inspection.id, key=key(), seen_version=inspection.version,
                       record=full_record(inspection), now=utcnow())  # fmt: skip

    history = last_inspections(db, [world.enterprise_a.id, world.enterprise_b.id], after)

    officers = (world.users["branch_a"].id, world.users["inspector"].id)
    assert history == {world.enterprise_a.id: LastInspection(inspection.planned_on, officers, world.branch_a.id)}
    assert last_inspections(db, None, after)[world.enterprise_a.id].officer_ids == officers
    # Not before the day it was done.
    assert last_inspections(db, [world.enterprise_a.id], inspection.planned_on) == {}


def test_an_inspection_not_completed_is_not_history(db: Session, world: World) -> None:
    inspection = plan(db, world, officers=("branch_a", "inspector"))
    service.submit(db, acting(db, world, "branch_a"), inspection.id, key=key(), seen_version=inspection.version,
                   record=full_record(inspection), now=utcnow())  # fmt: skip  # the second officer has not confirmed

    assert last_inspections(db, None, inspection.planned_on + timedelta(days=1)) == {}
