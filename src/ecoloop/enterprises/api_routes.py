"""The enterprise-file API under /api/v1: enterprises, their files, supervision lists and their members on a date."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query

from ecoloop.access.actions import Action
from ecoloop.db.base import DbInt, RowId
from ecoloop.enterprises import queries
from ecoloop.enterprises.models import ListMembership
from ecoloop.enterprises.routes import visible_enterprise
from ecoloop.enterprises.schemas import (
    EnterpriseFileOut,
    EnterpriseOut,
    GradeOut,
    ListMembersOut,
    MembershipOut,
    PermitOut,
    SupervisionListOut,
)
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.forms import filter_day, local_today
from ecoloop.web.paging import DEFAULT_LIMIT, clamp_window

router = APIRouter()


@router.get("/api/v1/enterprises", response_model=list[EnterpriseOut], tags=["enterprises"])
def api_enterprises(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    limit: DbInt = DEFAULT_LIMIT,
    offset: DbInt = 0,
) -> list[EnterpriseOut]:
    """Enterprises the caller may see (a limit or offset out of bounds is brought within them)."""
    limit, offset = clamp_window(limit, offset)
    rows = queries.list_enterprises(db, user.principal, limit=limit, offset=offset)
    return [EnterpriseOut.model_validate(e) for e in rows]


@router.get("/api/v1/enterprises/{enterprise_id:id}", response_model=EnterpriseOut, tags=["enterprises"])
def api_enterprise(
    db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))], enterprise_id: RowId
) -> EnterpriseOut:
    """One enterprise, if the caller may see it."""
    return EnterpriseOut.model_validate(visible_enterprise(db, user.principal, enterprise_id))


@router.get("/api/v1/enterprises/{enterprise_id:id}/file", response_model=EnterpriseFileOut, tags=["enterprises"])
def api_enterprise_file(
    db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))], enterprise_id: RowId
) -> EnterpriseFileOut:
    """The enterprise file: the record with its permits (outlets, limits), list memberships and grades."""
    p = user.principal
    enterprise = visible_enterprise(db, p, enterprise_id)
    record = EnterpriseOut.model_validate(enterprise).model_dump()
    return EnterpriseFileOut(
        **record,
        longitude=enterprise.longitude,
        latitude=enterprise.latitude,
        contact_name=enterprise.contact_name,
        contact_phone=enterprise.contact_phone,
        permits=[PermitOut.model_validate(permit) for permit in queries.permits_of(db, p, enterprise.id)],
        memberships=[_membership_out(m) for m in queries.memberships_of(db, p, enterprise.id)],
        grades=[GradeOut.model_validate(g) for g in queries.grades_of(db, p, enterprise.id)],
    )


def _membership_out(m: ListMembership) -> MembershipOut:
    return MembershipOut(
        id=m.id,
        list_code=m.supervision_list.code,
        list_name=m.supervision_list.name,
        start=m.start,
        end=m.end,
        reason=m.reason,
        document=m.document,
    )


@router.get("/api/v1/lists", response_model=list[SupervisionListOut], tags=["enterprises"])
def api_lists(
    db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))]
) -> list[SupervisionListOut]:
    """Every supervision list, built-in ones first."""
    return [SupervisionListOut.model_validate(x) for x in queries.list_lists(db)]


@router.get("/api/v1/lists/{code}/members", response_model=ListMembersOut, tags=["enterprises"])
def api_list_members(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
    code: str,
    on: Annotated[str, Query(max_length=10)] = "",
) -> ListMembersOut:
    """The enterprises (that the caller may see) on a list on a date (YYYY-MM-DD; default today)."""
    supervision_list = queries.list_by_code(db, code)
    if supervision_list is None:
        raise HTTPException(404)
    day = filter_day(on) if on else local_today(settings)
    if day is None:
        raise HTTPException(422, "on: a date YYYY-MM-DD")
    return ListMembersOut(
        supervision_list=SupervisionListOut.model_validate(supervision_list),
        on=day,
        enterprises=[EnterpriseOut.model_validate(e) for e in queries.members_on(db, user.principal, code, day)],
    )
