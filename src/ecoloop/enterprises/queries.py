"""Read-side queries on enterprise files (scoped, except where a docstring says why not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.enterprises.enums import CorrectionStatus, EnterpriseStatus, PerformanceGrade
from ecoloop.enterprises.models import (
    DataCorrection,
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.enterprises.rules import INDUSTRY_SECTIONS
from ecoloop.monitoring.models import Site
from ecoloop.regions.models import Region
from ecoloop.standards.emission import LimitSpec


def list_enterprises(session: Session, principal: Principal, *, limit: int = 200, offset: int = 0) -> list[Enterprise]:
    """Enterprises the principal may see, by name."""
    stmt = scoped(select(Enterprise), principal, Enterprise).order_by(Enterprise.name, Enterprise.id)
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def count_enterprises(session: Session, principal: Principal) -> int:
    """How many enterprises the principal may see."""
    return session.scalar(scoped(select(func.count(Enterprise.id)), principal, Enterprise)) or 0


@dataclass(frozen=True)
class EnterpriseFilter:
    """What the enterprise list is narrowed to; list membership and grade are judged on `day`."""

    day: date
    text: str = ""
    county: Region | None = None
    section: str | None = None
    status: EnterpriseStatus | None = None
    list_code: str | None = None
    grade: PerformanceGrade | None = None


def search_enterprises(
    session: Session, principal: Principal, f: EnterpriseFilter, *, limit: int, offset: int
) -> list[Enterprise]:
    """The enterprises the principal may see that match the filter, by name."""
    stmt = _matching(scoped(select(Enterprise), principal, Enterprise), f)
    return list(session.scalars(stmt.order_by(Enterprise.name, Enterprise.id).limit(limit).offset(offset)))


def count_matching(session: Session, principal: Principal, f: EnterpriseFilter) -> int:
    """How many enterprises `search_enterprises` finds without its limit."""
    stmt = _matching(scoped(select(func.count(Enterprise.id)), principal, Enterprise), f)
    return session.scalar(stmt) or 0


def _matching(stmt: Select[Any], f: EnterpriseFilter) -> Select[Any]:
    """`stmt` on enterprises narrowed by the filter."""
    if f.text:
        stmt = stmt.where(
            or_(
                Enterprise.name.contains(f.text, autoescape=True),
                Enterprise.credit_code.startswith(f.text.upper(), autoescape=True),
            )
        )
    if f.county is not None:
        subtree = select(Region.id).where(Region.path.startswith(f.county.path, autoescape=True))
        stmt = stmt.where(Enterprise.region_id.in_(subtree))
    if f.section is not None:
        divisions = INDUSTRY_SECTIONS[f.section][1]
        # Codes are written with their section letter (D4411) or, in older records, without (4411).
        division = func.substr(Enterprise.industry_code, 1, 2)
        lo, hi = f"{divisions.start:02d}", f"{divisions.stop - 1:02d}"
        stmt = stmt.where(or_(Enterprise.industry_code.startswith(f.section), division.between(lo, hi)))
    if f.status is not None:
        stmt = stmt.where(Enterprise.status == f.status)
    if f.list_code is not None:
        on_list = (
            select(ListMembership.enterprise_id)
            .join(SupervisionList, SupervisionList.id == ListMembership.list_id)
            .where(SupervisionList.code == f.list_code, *_covering(ListMembership, f.day))
        )
        stmt = stmt.where(Enterprise.id.in_(on_list))
    if f.grade is not None:
        graded = select(GradeRecord.enterprise_id).where(GradeRecord.grade == f.grade, *_covering(GradeRecord, f.day))
        stmt = stmt.where(Enterprise.id.in_(graded))
    return stmt


def _covering(model: type[ListMembership] | type[GradeRecord], day: date) -> list[Any]:
    """The conditions under which a membership or grade period includes `day`."""
    return [model.start <= day, or_(model.end.is_(None), model.end >= day)]


def get_enterprise(session: Session, principal: Principal, enterprise_id: int) -> Enterprise | None:
    """One enterprise if the principal may see it."""
    return get_visible(session, principal, Enterprise, enterprise_id)


def list_lists(session: Session) -> list[SupervisionList]:
    """Every supervision list, built-in ones first."""
    return list(session.scalars(select(SupervisionList).order_by(SupervisionList.builtin.desc(), SupervisionList.id)))


def list_by_code(session: Session, code: str) -> SupervisionList | None:
    """One supervision list by its code (unscoped, like `list_lists`: list definitions are no secret)."""
    return session.scalars(select(SupervisionList).where(SupervisionList.code == code)).first()


def member_counts(session: Session, principal: Principal, day: date) -> dict[int, int]:
    """List id → how many enterprises the principal may see are on it on `day` (one grouped query)."""
    stmt = (
        scoped(
            select(ListMembership.list_id, func.count(ListMembership.enterprise_id.distinct())),
            principal,
            ListMembership,
        )
        .where(*_covering(ListMembership, day))
        .group_by(ListMembership.list_id)
    )
    return {list_id: count for list_id, count in session.execute(stmt)}


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


def sites_of(session: Session, principal: Principal, enterprise_id: int) -> list[Site]:
    """The monitoring sites of an enterprise that the principal may see, by code."""
    stmt = scoped(select(Site), principal, Site).where(Site.enterprise_id == enterprise_id)
    return list(session.scalars(stmt.order_by(Site.code)))


@dataclass(frozen=True)
class CorrectionRow:
    """A correction request with the names of its enterprise and site."""

    correction: DataCorrection
    enterprise_name: str
    site_name: str
    site_code: str


def correction_rows(
    session: Session, principal: Principal, *, enterprise_id: int | None = None, limit: int | None = None
) -> list[CorrectionRow]:
    """Correction requests the principal may see (of one enterprise when given): pending first, then newest."""
    stmt = (
        select(DataCorrection, Enterprise.name, Site.name, Site.code)
        .join(Enterprise, Enterprise.id == DataCorrection.enterprise_id)
        .join(Site, Site.id == DataCorrection.site_id)
    )
    stmt = scoped(stmt, principal, DataCorrection)
    if enterprise_id is not None:
        stmt = stmt.where(DataCorrection.enterprise_id == enterprise_id)
    pending_first = case((DataCorrection.status == CorrectionStatus.PENDING, 0), else_=1)
    stmt = stmt.order_by(pending_first, DataCorrection.created_at.desc(), DataCorrection.id.desc()).limit(limit)
    return [CorrectionRow(c, e, s, code) for c, e, s, code in session.execute(stmt)]


def limit_specs_by_site(session: Session, day: date) -> dict[int, list[LimitSpec]]:
    """`limit_specs_for_site` of every outlet site at once (the alert engine's load)."""
    stmt = (
        select(Outlet.site_id, OutletLimit)
        .join(Outlet, Outlet.id == OutletLimit.outlet_id)
        .join(Permit, Permit.id == Outlet.permit_id)
        .where(Outlet.site_id.is_not(None), Permit.valid_from <= day, Permit.valid_to >= day)
        .order_by(Outlet.site_id, OutletLimit.pollutant, OutletLimit.averaging)
    )
    found: dict[int, list[LimitSpec]] = {}
    for site_id, limit in session.execute(stmt):
        if site_id is not None:
            found.setdefault(site_id, []).append(_spec(limit))
    return found


def _spec(limit: OutletLimit) -> LimitSpec:
    return LimitSpec(
        pollutant=limit.pollutant,
        limit=limit.limit_value,
        unit=limit.unit,
        averaging=limit.averaging.value,
        source=limit.source,
        reference_o2=limit.reference_o2,
    )


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
    return [_spec(limit) for limit in session.scalars(stmt)]
