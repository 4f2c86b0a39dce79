"""Supervision-list pages: the lists (重点排污单位名录 and the others), adding one, a list's members on a day, and
their Excel export."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.enterprises import queries, service
from ecoloop.enterprises.export import list_workbook
from ecoloop.enterprises.routes import LABELS, error_text
from ecoloop.enterprises.service import EnterpriseError
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import filter_day, local_today, unreadable_day
from ecoloop.web.templating import render

router = APIRouter()


@router.get("/enterprises/lists", include_in_schema=False)
def supervision_lists(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
) -> Response:
    """Every supervision list with how many enterprises (of the user's area) are on it today."""
    return _lists_page(request, db, user, settings)


def _lists_page(
    request: Request, db: Session, user: CurrentUser, settings: Settings, *, status: int = 200, **extra: Any
) -> Response:
    day = local_today(settings)
    context = {
        "lists": queries.list_lists(db),
        "counts": queries.member_counts(db, user.principal, day),
        "day": day,
        "may_add": allowed(user.principal, Action.MANAGE_LISTS),
        **extra,
    }
    return render(request, "enterprises/lists.html", context, user=user, status_code=status)


@router.post("/enterprises/lists", include_in_schema=False)
def list_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_LISTS))],
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Define a new supervision list."""
    try:
        created = service.add_list(db, code=code, name=name, description=description.strip())
    except EnterpriseError as exc:
        db.rollback()
        values = {"code": code, "name": name, "description": description}
        return _lists_page(request, db, user, settings, error=error_text(exc.code), values=values, status=422)
    return RedirectResponse(f"/enterprises/lists/{created.code}", status_code=303)


@router.get("/enterprises/lists/{code}", include_in_schema=False)
def list_members(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
    code: str,
    on: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The enterprises (of the user's area) that were on a list on a date (today by default)."""
    supervision_list = queries.list_by_code(db, code)
    if supervision_list is None:
        raise HTTPException(404)
    day = filter_day(on) or local_today(settings)
    context = {
        "supervision_list": supervision_list,
        "members": queries.members_on(db, user.principal, code, day),
        "day": day,
        "day_error": unreadable_day(on),
        "labels": LABELS,
    }
    return render(request, "enterprises/list_members.html", context, user=user)


@router.get("/enterprises/lists/{code}/export.xlsx", include_in_schema=False)
def list_export(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
    code: str,
    on: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The members of a list on a date as an Excel workbook."""
    supervision_list = queries.list_by_code(db, code)
    if supervision_list is None:
        raise HTTPException(404)
    day = filter_day(on) or local_today(settings)
    data = list_workbook(supervision_list, day, queries.members_on(db, user.principal, code, day))
    return download(data, f"list-{code}-{day.isoformat()}.xlsx", XLSX)


# --- one enterprise's file ----------------------------------------------------------------------------------------
