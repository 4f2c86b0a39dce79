"""Who sees which hotspot orders and registered sources (registered with `ecoloop.access.scope`).

The bureau's staff see the orders and sources of their area (a branch its county's, by the station's region); a
department the orders it leads or helps with and the sources it is responsible for; enterprises and the hotline
none. The timeline and the helping units go with their order."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, ScopeRule, register
from ecoloop.hotspots.models import HotspotEvent, HotspotOrder, HotspotOrderUnit, PollutionSource
from ecoloop.regions.queries import in_subtree

_AIR_CONTROL_ROLES = REGION_ROLES - {Role.HOTLINE}


def _orders(p: Principal) -> ColumnElement[bool]:
    if p.role in _AIR_CONTROL_ROLES:
        return in_subtree(HotspotOrder.region_id, p)
    if p.role is Role.DEPARTMENT and p.organisation_id is not None:
        helping = select(HotspotOrderUnit.order_id).where(HotspotOrderUnit.organisation_id == p.organisation_id)
        return or_(HotspotOrder.lead_unit_id == p.organisation_id, HotspotOrder.id.in_(helping))
    return false()


def _of_visible_order(column: InstrumentedAttribute[int]) -> ScopeRule:
    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(HotspotOrder.id).where(_orders(p)))

    return rule


def _sources(p: Principal) -> ColumnElement[bool]:
    if p.role in _AIR_CONTROL_ROLES:
        return in_subtree(PollutionSource.region_id, p)
    if p.role is Role.DEPARTMENT and p.organisation_id is not None:
        return PollutionSource.organisation_id == p.organisation_id
    return false()


register(HotspotOrder, _orders)
register(HotspotOrderUnit, _of_visible_order(HotspotOrderUnit.order_id))
register(HotspotEvent, _of_visible_order(HotspotEvent.order_id))
register(PollutionSource, _sources)
