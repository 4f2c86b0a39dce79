"""The demo city's air-quality targets (目标考核, issue 16): the city and each county get a good-day ratio and a
PM2.5 target for this year and last year, varied per county so that the rankings and the overview show some
counties meeting their targets and some missing them. Only missing targets are added: a target an
administrator changed stays as it is."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.identity.enums import Role
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.results.models import AirTarget
from ecoloop.results.targets import set_target

# The demo replays Beijing's 2013-2017 air (docs/demo.md), so its targets are those of a heavily polluted city on
# its way down (Beijing reached a PM2.5 mean of about 80 µg/m³ and half of its days good in 2015), not the national
# class 2 limit of 35 µg/m³: with these, the demo's counties meet or miss them depending on their air.
CITY_GOOD_RATIO = Decimal("50.0")  # percent of days with AQI ≤ 100
CITY_PM25 = 75  # µg/m³
# Per county, in code order (repeating): the good-day ratio's and the PM2.5 target's offsets from the city's.
COUNTY_OFFSETS = (
    (Decimal("-10.0"), 20),
    (Decimal("5.0"), -10),
    (Decimal("-5.0"), 10),
    (Decimal("2.0"), -5),
    (Decimal("-8.0"), 15),
)


def add_demo_targets(session: Session, today: date) -> int:
    """Add the missing targets of the city and its counties for `today`'s year and the year before; how many."""
    loader = Principal(user_id=0, username="demo-loader", role=Role.ADMIN, region_path="")
    regions = session.scalars(
        select(Region).where(Region.level.in_([RegionLevel.CITY, RegionLevel.COUNTY])).order_by(Region.code)
    ).all()
    have = {(r, y) for r, y in session.execute(select(AirTarget.region_id, AirTarget.year))}
    added = 0
    counties = 0
    for region in regions:
        if region.level is RegionLevel.CITY:
            good, pm25 = CITY_GOOD_RATIO, CITY_PM25
        else:
            ratio_offset, pm_offset = COUNTY_OFFSETS[counties % len(COUNTY_OFFSETS)]
            good, pm25 = CITY_GOOD_RATIO + ratio_offset, CITY_PM25 + pm_offset
            counties += 1
        for year in (today.year - 1, today.year):
            if (region.id, year) in have:
                continue
            set_target(session, loader, region, year, good, Decimal(pm25))
            added += 1
    return added
