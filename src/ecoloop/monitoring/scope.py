"""Who sees which monitoring sites and data loggers (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, register
from ecoloop.monitoring.models import Device, Site
from ecoloop.regions.queries import in_subtree


def _sites(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Site.region_id, p)
    if p.role is Role.ENTERPRISE:
        return Site.enterprise_id == p.enterprise_id
    return false()


def _devices(p: Principal) -> ColumnElement[bool]:
    return Device.site_id.in_(select(Site.id).where(_sites(p)))


register(Site, _sites)
register(Device, _devices)
