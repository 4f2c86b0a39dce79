"""Read-side queries on enterprise files (scoped, except where a docstring says why not)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.enterprises.models import (
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.standards.emission import LimitSpec


def list_enterprises(session: Session, principal: Principal, *, limit: int = 200, offset: int = 0) -> list[Enterprise]:
    """Enterprises the principal may see, by name."""
    stmt = scoped(select(Enterprise), principal, Enterprise).order_by(Enterprise.name, Enterprise.id)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_enterprises(session: Session, principal: Principal) -> int:
    """How many enterprises the principal may see."""
    return session.scalar(scoped(select(func.count(Enterprise.id)), principal, Enterprise)) or 0


def get_enterprise(session: Session, principal: Principal, enterprise_id: int) -> Enterprise | None:
    """One enterprise if the principal may see it."""
    return get_visible(session, principal, Enterprise, enterprise_id)


def list_lists(session: Session) -> list[SupervisionList]:
    """Every supervision list, built-in ones first."""
    return list(session.scalars(select(SupervisionList).order_by(SupervisionList.builtin.desc(), SupervisionList.id)))


def members_on(session: Session, principal: Principal, list_code: str, day: date) -> list[Enterprise]:
    """The enterprises (that the principal may see) on list `list_code` on `day`: one query."""
    on_list = (
        select(ListMembership.enterprise_id)
        .join(SupervisionList, SupervisionList.id == ListMembership.list_id)
        .where(
            SupervisionList.code == list_code,
            ListMembership.start <= day,
            or_(ListMembership.end.is_(None), ListMembership.end >= day),
        )
    )
    stmt = scoped(select(Enterprise), principal, Enterprise).where(Enterprise.id.in_(on_list))
    return list(session.scalars(stmt.order_by(Enterprise.name, Enterprise.id)))


def memberships_of(session: Session, principal: Principal, enterprise_id: int) -> list[ListMembership]:
    """An enterprise's list memberships, past and present, newest first."""
    stmt = scoped(select(ListMembership), principal, ListMembership).where(
        ListMembership.enterprise_id == enterprise_id
    )
    return list(session.scalars(stmt.order_by(ListMembership.start.desc(), ListMembership.id.desc())))


def grades_of(session: Session, principal: Principal, enterprise_id: int) -> list[GradeRecord]:
    """An enterprise's performance grades over time, newest first."""
    stmt = scoped(select(GradeRecord), principal, GradeRecord).where(GradeRecord.enterprise_id == enterprise_id)
    return list(session.scalars(stmt.order_by(GradeRecord.start.desc())))


def grade_on(session: Session, enterprise_id: int, day: date) -> GradeRecord | None:
    """The grade in force for an enterprise on `day` (unscoped: for rules such as heavy-pollution response)."""
    stmt = select(GradeRecord).where(
        GradeRecord.enterprise_id == enterprise_id,
        GradeRecord.start <= day,
        or_(GradeRecord.end.is_(None), GradeRecord.end >= day),
    )
    return session.scalars(stmt).first()


def permits_of(session: Session, principal: Principal, enterprise_id: int) -> list[Permit]:
    """An enterprise's permits with their outlets and limits, newest first."""
    stmt = scoped(select(Permit), principal, Permit).where(Permit.enterprise_id == enterprise_id)
    stmt = stmt.options(selectinload(Permit.outlets).selectinload(Outlet.limits))
    return list(session.scalars(stmt.order_by(Permit.valid_from.desc())))


def limit_specs_for_site(session: Session, site_id: int, day: date) -> list[LimitSpec]:
    """The permitted limits that apply on `day` to the outlet a monitoring site measures (from permits valid that
    day), as `standards.emission` judges them. Unscoped: alert rules run for the whole city."""
    stmt = (
        select(OutletLimit)
        .join(Outlet, Outlet.id == OutletLimit.outlet_id)
        .join(Permit, Permit.id == Outlet.permit_id)
        .where(Outlet.site_id == site_id, Permit.valid_from <= day, Permit.valid_to >= day)
        .order_by(OutletLimit.pollutant, OutletLimit.averaging)
    )
    return [
        LimitSpec(
            pollutant=limit.pollutant,
            limit=limit.limit_value,
            unit=limit.unit,
            averaging=limit.averaging.value,
            source=limit.source,
            reference_o2=limit.reference_o2,
        )
        for limit in session.scalars(stmt)
    ]
