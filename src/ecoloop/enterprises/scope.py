"""Who sees which enterprises and the records of their files (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, ScopeRule, register
from ecoloop.enterprises.models import (
    DataCorrection,
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    ProductionLine,
    SupervisionList,
)
from ecoloop.regions.queries import in_subtree


def _enterprises(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Enterprise.region_id, p)
    if p.role is Role.ENTERPRISE:
        return Enterprise.id == p.enterprise_id
    # Departments see enterprises only through the cases assigned to them (issue 6).
    return false()


def _of_visible_enterprise(column: InstrumentedAttribute[int]) -> ScopeRule:
    """Rows that belong to an enterprise are visible with their enterprise."""

    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(Enterprise.id).where(_enterprises(p)))

    return rule


def _outlets(p: Principal) -> ColumnElement[bool]:
    return Outlet.permit_id.in_(select(Permit.id).where(_of_visible_enterprise(Permit.enterprise_id)(p)))


def _outlet_limits(p: Principal) -> ColumnElement[bool]:
    return OutletLimit.outlet_id.in_(select(Outlet.id).where(_outlets(p)))


def _lists(p: Principal) -> ColumnElement[bool]:
    # List definitions are public knowledge inside the platform; memberships follow their enterprise.
    return true()


register(Enterprise, _enterprises)
register(Permit, _of_visible_enterprise(Permit.enterprise_id))
register(Outlet, _outlets)
register(OutletLimit, _outlet_limits)
register(SupervisionList, _lists)
register(ListMembership, _of_visible_enterprise(ListMembership.enterprise_id))
register(GradeRecord, _of_visible_enterprise(GradeRecord.enterprise_id))
register(ProductionLine, _of_visible_enterprise(ProductionLine.enterprise_id))
register(DataCorrection, _of_visible_enterprise(DataCorrection.enterprise_id))
