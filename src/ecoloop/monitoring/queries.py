"""Read-side queries on sites and devices (always scoped)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Integer, Select, String, column, false, func, select, table
from sqlalchemy.orm import Session, lazyload

from ecoloop.access.principal import Principal
from ecoloop.access.scope import REGION_ROLES, scoped
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.regions.models import Region

# The enterprise file sits above monitoring (it shows an enterprise's sites and their data), so the site list names
# a site's enterprise through the table that the foreign key `sites.enterprise_id` names (issue 14).
ENTERPRISES = table(
    "enterprises",
    column("id", Integer),
    column("name", String),
    column("credit_code", String),
    column("region_id", Integer),
)


@dataclass(frozen=True)
class SiteRow:
    """A site with the name of its enterprise (if any) and how many data loggers feed it."""

    site: Site
    enterprise_name: str | None
    device_count: int


def list_sites(session: Session, principal: Principal) -> list[Site]:
    """Sites the principal may see, by code."""
    return list(session.scalars(scoped(select(Site), principal, Site).order_by(Site.code)))


def list_devices(session: Session, principal: Principal) -> list[Device]:
    """Devices of the sites the principal may see, by MN."""
    return list(session.scalars(scoped(select(Device), principal, Device).order_by(Device.mn)))


def _site_rows(principal: Principal) -> Select[Site, str | None, int]:
    devices = select(func.count(Device.id)).where(Device.site_id == Site.id).correlate(Site).scalar_subquery()
    stmt = select(Site, ENTERPRISES.c.name, devices).outerjoin(ENTERPRISES, ENTERPRISES.c.id == Site.enterprise_id)
    return scoped(stmt, principal, Site)


def site_rows(
    session: Session,
    principal: Principal,
    *,
    kind: SiteKind | None = None,
    region: Region | None = None,
    limit: int = 500,
) -> list[SiteRow]:
    """Sites the principal may see, of one kind and in one region's subtree when given, by code."""
    stmt = _site_rows(principal)
    if kind is not None:
        stmt = stmt.where(Site.kind == kind)
    if region is not None:
        subtree = select(Region.id).where(Region.path.startswith(region.path, autoescape=True))
        stmt = stmt.where(Site.region_id.in_(subtree))
    stmt = stmt.order_by(Site.code).limit(limit)
    return [SiteRow(site, name, count) for site, name, count in session.execute(stmt)]


def count_sites(
    session: Session, principal: Principal, *, kind: SiteKind | None = None, region: Region | None = None
) -> int:
    """How many sites `site_rows` would list without its limit."""
    stmt = scoped(select(func.count(Site.id)), principal, Site)
    if kind is not None:
        stmt = stmt.where(Site.kind == kind)
    if region is not None:
        subtree = select(Region.id).where(Region.path.startswith(region.path, autoescape=True))
        stmt = stmt.where(Site.region_id.in_(subtree))
    return session.scalar(stmt) or 0


def get_site_row(session: Session, principal: Principal, site_id: int) -> SiteRow | None:
    """One site with its enterprise's name and device count, if the principal may see it."""
    found = session.execute(_site_rows(principal).where(Site.id == site_id)).first()
    return SiteRow(found[0], found[1], found[2]) if found else None


def devices_by_site(session: Session, principal: Principal, site_ids: Sequence[int]) -> dict[int, list[Device]]:
    """The devices of the given sites (those the principal may see), by MN, keyed by site."""
    stmt = scoped(select(Device).options(lazyload(Device.site)), principal, Device)
    out: dict[int, list[Device]] = defaultdict(list)
    for device in session.scalars(stmt.where(Device.site_id.in_(site_ids)).order_by(Device.mn)):
        out[device.site_id].append(device)
    return {site_id: out.get(site_id, []) for site_id in site_ids}


def site_ids_by_code(session: Session, principal: Principal) -> dict[str, int]:
    """Code → id of every site the principal may see (what an upload may write to)."""
    return {code: site_id for code, site_id in session.execute(scoped(select(Site.code, Site.id), principal, Site))}


@dataclass(frozen=True)
class EnterpriseChoice:
    """An enterprise a site's outlet may be attached to, as the site form offers it."""

    id: int
    credit_code: str
    name: str


def _enterprises_in_area(principal: Principal) -> ColumnElement[bool]:
    """The enterprises of the principal's region subtree (the bureau's and a branch's roles; nobody else keeps
    the site register)."""
    if principal.role not in REGION_ROLES:
        return false()
    area = select(Region.id).where(Region.path.startswith(principal.region_path, autoescape=True))
    return ENTERPRISES.c.region_id.in_(area)


def enterprise_choices(session: Session, principal: Principal) -> list[EnterpriseChoice]:
    """The enterprises of the principal's area, by name, for the site form."""
    stmt = select(ENTERPRISES.c.id, ENTERPRISES.c.credit_code, ENTERPRISES.c.name).where(
        _enterprises_in_area(principal)
    )
    return [EnterpriseChoice(i, code, name) for i, code, name in session.execute(stmt.order_by(ENTERPRISES.c.name))]


def enterprise_in_area(session: Session, principal: Principal, credit_code: str) -> int | None:
    """The id of the enterprise with `credit_code` if it is in the principal's area."""
    stmt = select(ENTERPRISES.c.id).where(ENTERPRISES.c.credit_code == credit_code, _enterprises_in_area(principal))
    return session.scalar(stmt)


def credit_code_of(session: Session, enterprise_id: int | None) -> str | None:
    """The credit code of an enterprise (what the site form shows for a site's enterprise)."""
    if enterprise_id is None:
        return None
    return session.scalar(select(ENTERPRISES.c.credit_code).where(ENTERPRISES.c.id == enterprise_id))
