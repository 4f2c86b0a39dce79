"""Read-side queries on regions (always scoped)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region


def list_regions(
    session: Session,
    principal: Principal,
    *,
    level: RegionLevel | None = None,
    parent_code: str | None = None,
    active_only: bool = False,
) -> list[Region]:
    """Regions the principal may see, in tree order, optionally one level or the children of one region; only the
    active ones (those offered for new records) with `active_only`."""
    stmt = scoped(select(Region), principal, Region).order_by(Region.path)
    if active_only:
        stmt = stmt.where(Region.active.is_(True))
    if level is not None:
        stmt = stmt.where(Region.level == level)
    if parent_code is not None:
        parent = select(Region.id).where(Region.code == parent_code).scalar_subquery()
        stmt = stmt.where(Region.parent_id == parent)
    return list(session.scalars(stmt))


def get_region_by_code(session: Session, principal: Principal, code: str) -> Region | None:
    """One region by its code, if the principal may see it."""
    return session.scalars(scoped(select(Region).where(Region.code == code), principal, Region)).first()


def area_of(session: Session, principal: Principal) -> Region | None:
    """The top region of the principal's view (the city for the bureau, the county for a branch)."""
    return session.scalars(scoped(select(Region), principal, Region).order_by(Region.path).limit(1)).first()


def count_by_level(session: Session, principal: Principal) -> dict[RegionLevel, int]:
    """How many regions of each level the principal sees."""
    stmt = scoped(select(Region.level, func.count(Region.id)), principal, Region).group_by(Region.level)
    return {RegionLevel(level): count for level, count in session.execute(stmt)}


def in_subtree(region_id: InstrumentedAttribute[int], principal: Principal) -> ColumnElement[bool]:
    """`region_id` lies in the subtree of the principal's region (the scope rule of region-scoped roles)."""
    return region_id.in_(select(Region.id).where(Region.path.startswith(principal.region_path, autoescape=True)))


def get_region(session: Session, principal: Principal, region_id: int) -> Region | None:
    """One region by its id, if the principal may see it."""
    return session.scalars(scoped(select(Region).where(Region.id == region_id), principal, Region)).first()


def published_counties(session: Session, principal: Principal) -> list[Region]:
    """The active counties of the principal's city, by code, whoever in the city asks. Not scoped on purpose: the
    county ranking of air quality is published to every county (docs/access.md, "published rankings"), so a
    branch sees the names and codes of its neighbours there, and nothing else of them."""
    city_code = principal.region_path.split(".", 1)[0]
    city = select(Region.id).where(Region.code == city_code, Region.level == RegionLevel.CITY)
    stmt = select(Region).where(Region.parent_id.in_(city), Region.level == RegionLevel.COUNTY, Region.active.is_(True))
    return list(session.scalars(stmt.order_by(Region.code)))
