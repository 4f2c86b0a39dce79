"""Enterprise list and record pages, and the enterprises of the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ecoloop.access.actions import Action, require
from ecoloop.enterprises import queries
from ecoloop.enterprises.schemas import EnterpriseOut
from ecoloop.web.deps import DbSession, UserDep
from ecoloop.web.templating import render

router = APIRouter()


@router.get("/enterprises", include_in_schema=False)
def enterprise_list(request: Request, db: DbSession, user: UserDep) -> Response:
    """The enterprises in the user's area (an enterprise user sees only its own)."""
    require(user.principal, Action.VIEW_ENTERPRISES)
    context = {
        "enterprises": queries.list_enterprises(db, user.principal),
        "total": queries.count_enterprises(db, user.principal),
    }
    return render(request, "enterprises/list.html", context, user=user)


@router.get("/enterprises/{enterprise_id}", include_in_schema=False)
def enterprise_page(request: Request, db: DbSession, user: UserDep, enterprise_id: int) -> Response:
    """One enterprise's file."""
    require(user.principal, Action.VIEW_ENTERPRISES)
    enterprise = queries.get_enterprise(db, user.principal, enterprise_id)
    if enterprise is None:
        raise HTTPException(404)
    return render(request, "enterprises/detail.html", {"enterprise": enterprise}, user=user)


@router.get("/api/v1/enterprises", response_model=list[EnterpriseOut], tags=["enterprises"])
def api_enterprises(db: DbSession, user: UserDep, limit: int = 200, offset: int = 0) -> list[EnterpriseOut]:
    """Enterprises the caller may see."""
    require(user.principal, Action.VIEW_ENTERPRISES)
    rows = queries.list_enterprises(db, user.principal, limit=min(max(limit, 1), 1000), offset=max(offset, 0))
    return [EnterpriseOut.model_validate(e) for e in rows]


@router.get("/api/v1/enterprises/{enterprise_id}", response_model=EnterpriseOut, tags=["enterprises"])
def api_enterprise(db: DbSession, user: UserDep, enterprise_id: int) -> EnterpriseOut:
    """One enterprise, if the caller may see it."""
    require(user.principal, Action.VIEW_ENTERPRISES)
    enterprise = queries.get_enterprise(db, user.principal, enterprise_id)
    if enterprise is None:
        raise HTTPException(404)
    return EnterpriseOut.model_validate(enterprise)
