"""Where the sites are (issue 15): the region a site's coordinates fall in (`Site.located_region_id`, from the
regions' boundaries), and the sites whose coordinates lie outside the region they are registered in.

Locating is kept here, not in `regions`, because monitoring sits on regions: the regions capability does not know
sites. `ecoloop.app` and the boundary import command register `locate_sites` with `regions.service`, so that a
boundary import places every site again.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, lazyload

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.i18n import N_
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.locate import bounded_codes, load_boundaries
from ecoloop.regions.models import Region
from ecoloop.regions.rules import location_disagrees


def locate_sites(session: Session, site_ids: Collection[int] | None = None) -> int:
    """Set the located region of the given sites (all when None) from their coordinates and the known boundaries:
    the deepest active region whose boundary holds them, None without coordinates or outside every boundary.
    Returns how many sites' located region changed."""
    boundaries = load_boundaries(session)
    stmt = select(Site).options(lazyload(Site.region)).order_by(Site.id)
    if site_ids is not None:
        stmt = stmt.where(Site.id.in_(list(site_ids)))
    changed = 0
    for site in session.scalars(stmt):
        region = None
        if site.longitude is not None and site.latitude is not None:
            region = boundaries.locate(float(site.longitude), float(site.latitude))
        located_id = region.id if region is not None else None
        if site.located_region_id != located_id:
            site.located_region_id = located_id
            changed += 1
    session.flush()
    return changed


@dataclass(frozen=True)
class SiteLocation:
    """Where a site's coordinates put it: the located region with the regions above it below the city (county,
    town… down to it), and whether that is outside the region the site is registered in."""

    located: Region
    places: tuple[Region, ...]
    outside: bool


def site_locations(
    session: Session, principal: Principal, site_ids: Sequence[int] | None = None
) -> dict[int, SiteLocation]:
    """The location of each located site the principal may see (of `site_ids` when given), by site id; sites
    without a located region are left out."""
    stmt = scoped(select(Site).options(lazyload(Site.region)), principal, Site).where(
        Site.located_region_id.is_not(None)
    )
    if site_ids is not None:
        stmt = stmt.where(Site.id.in_(list(site_ids)))
    sites = list(session.scalars(stmt))
    if not sites:
        return {}
    region_ids = {s.region_id for s in sites} | {s.located_region_id for s in sites if s.located_region_id}
    regions = {r.id: r for r in session.scalars(select(Region).where(Region.id.in_(region_ids)))}
    codes = {code for r in regions.values() for code in r.path.split(".")[:-1]}
    by_code = {r.code: r for r in session.scalars(select(Region).where(Region.code.in_(codes)))}
    bounded = bounded_codes(session)
    out = {}
    for site in sites:
        stated, located = regions[site.region_id], regions[site.located_region_id or 0]
        chain = [by_code[c] for c in located.path.split(".")[:-1] if c in by_code]
        places = tuple(r for r in chain if r.level is not RegionLevel.CITY)
        out[site.id] = SiteLocation(located, places, location_disagrees(stated.path, located.path, bounded))
    return out


def location_mismatches(session: Session, principal: Principal) -> list[Site]:
    """The sites the principal may see whose coordinates lie outside the region they are registered in, by code."""
    flagged = {site_id for site_id, where in site_locations(session, principal).items() if where.outside}
    if not flagged:
        return []
    return list(session.scalars(select(Site).where(Site.id.in_(flagged)).order_by(Site.code)))


SITES_IN_REGION = N_("%(count)s active monitoring sites are registered in this region: move or retire them first.")


def active_sites_in(session: Session, region: Region) -> int:
    """How many active sites are registered in `region` itself (what keeps it from being retired)."""
    stmt = select(func.count(Site.id)).where(Site.region_id == region.id, Site.active.is_(True))
    return session.scalar(stmt) or 0
