"""Air-quality targets of regions per year (目标考核, issue 16 part 1): setting and clearing them (one transaction
each; `Action.MANAGE_TARGETS`) and reading them for the period statistics and the rankings.

The reads live here with the writes: one small table, and its only readers are the rankings and the targets page.
`published_targets` is the one unscoped read: the targets of the counties whose ranking is published to every
county (docs/access.md, "published rankings").
"""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.results.models import AirTarget

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_PM25 = 500  # µg/m³; no annual target is above the AQI scale's top breakpoint of the 24-h mean
TARGET_LEVELS = frozenset({RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWN})


class TargetError(ValueError):
    """A target that cannot be set; `code` is stable (the page's message names it): `year`, `good_ratio`,
    `pm25`, `heavy_days`, `level`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check_target(year: int, good_ratio: Decimal, pm25: Decimal, heavy_days: int | None) -> tuple[Decimal, int]:
    """The good-day ratio (0-100 %, at most one decimal) and the PM2.5 target (a whole µg/m³, 1-500) as stored,
    or TargetError; heavy days 0-366 when given."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise TargetError("year")
    if not Decimal(0) <= good_ratio <= Decimal(100) or good_ratio != good_ratio.quantize(Decimal("0.1")):
        raise TargetError("good_ratio")
    if pm25 != pm25.to_integral_value() or not 1 <= pm25 <= MAX_PM25:
        raise TargetError("pm25")
    if heavy_days is not None and not 0 <= heavy_days <= 366:
        raise TargetError("heavy_days")
    return good_ratio.quantize(Decimal("0.1")), int(pm25)


def set_target(
    session: Session,
    principal: Principal,
    region: Region,
    year: int,
    good_ratio: Decimal,
    pm25: Decimal,
    heavy_days: int | None = None,
) -> AirTarget:
    """Set (or replace) the targets of a visible city, county or town for `year`."""
    require(principal, Action.MANAGE_TARGETS)
    if region.level not in TARGET_LEVELS:
        raise TargetError("level")
    ratio, pm = check_target(year, good_ratio, pm25, heavy_days)
    target = session.scalars(select(AirTarget).where(AirTarget.region_id == region.id, AirTarget.year == year)).first()
    if target is None:
        target = AirTarget(region_id=region.id, year=year, good_ratio_target=ratio, pm25_target=pm)
        session.add(target)
    target.good_ratio_target = ratio
    target.pm25_target = pm
    target.heavy_days_target = heavy_days
    session.flush()
    return target


def clear_target(session: Session, principal: Principal, region: Region, year: int) -> bool:
    """Remove a region's targets for `year`; whether there were any."""
    require(principal, Action.MANAGE_TARGETS)
    stmt = scoped(select(AirTarget), principal, AirTarget).where(
        AirTarget.region_id == region.id, AirTarget.year == year
    )
    target = session.scalars(stmt).first()
    if target is None:
        return False
    session.delete(target)
    session.flush()
    return True


def targets_of(session: Session, principal: Principal, year: int) -> dict[int, AirTarget]:
    """The targets of `year` the principal sees, by region id."""
    stmt = scoped(select(AirTarget), principal, AirTarget).where(AirTarget.year == year)
    return {t.region_id: t for t in session.scalars(stmt)}


def published_targets(session: Session, region_ids: Collection[int], year: int) -> dict[int, AirTarget]:
    """The targets of `year` of the given regions, unscoped: only for the counties of a published ranking, which
    every county sees (docs/access.md)."""
    if not region_ids:
        return {}
    stmt = select(AirTarget).where(AirTarget.year == year, AirTarget.region_id.in_(sorted(region_ids)))
    return {t.region_id: t for t in session.scalars(stmt)}
