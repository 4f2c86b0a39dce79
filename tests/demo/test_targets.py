"""The demo city's air targets: the city and every county for this year and last, some stricter than others, added
once (a second load, or a target an administrator changed, is left alone)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.demo.service import load_demo
from ecoloop.demo.targets import add_demo_targets
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.results.models import AirTarget

TODAY = date(2026, 12, 7)


def test_the_city_and_each_county_get_targets_for_two_years_once(db: Session) -> None:
    load_demo(db)
    regions = db.scalars(select(Region).where(Region.level.in_([RegionLevel.CITY, RegionLevel.COUNTY]))).all()
    db.execute(AirTarget.__table__.delete())
    db.flush()

    added = add_demo_targets(db, TODAY)

    targets = {(t.region_id, t.year): t for t in db.scalars(select(AirTarget))}
    assert added == len(targets) == 2 * len(regions)
    city = next(r for r in regions if r.level is RegionLevel.CITY)
    assert (targets[(city.id, 2026)].good_ratio_target, targets[(city.id, 2026)].pm25_target) == (Decimal("50.0"), 75)
    assert (city.id, 2025) in targets
    counties = [targets[(r.id, 2026)] for r in regions if r.level is RegionLevel.COUNTY]
    assert len({t.pm25_target for t in counties}) > 1  # varied: some counties meet, some miss
    changed = targets[(city.id, 2026)]
    changed.pm25_target = 30
    db.flush()
    assert add_demo_targets(db, TODAY) == 0
    assert db.scalars(select(AirTarget).where(AirTarget.id == changed.id)).one().pm25_target == 30
