"""Administration pages for users and organisations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ecoloop.access.actions import Action
from ecoloop.access.scope import get_visible
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.enterprises.queries import list_enterprises
from ecoloop.i18n import gettext
from ecoloop.identity import queries
from ecoloop.identity.enums import DepartmentType, OrgKind, Role
from ecoloop.identity.service import (
    ERROR_TEXT,
    IdentityError,
    create_organisation,
    create_user,
    set_password,
    update_user,
)
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import list_regions
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, UserDep, requires
from ecoloop.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)


def _user_form(request: Request, db: DbSession, user: UserDep, *, status: int = 200, **extra: Any) -> Response:
    context = {
        "roles": list(Role),
        "organisations": queries.list_organisations(db, user.principal),
        "enterprises": list_enterprises(db, user.principal, limit=5000),
        **extra,
    }
    return render(request, "identity/user_form.html", context, user=user, status_code=status)


def _optional_int(value: str) -> int | None:
    return parse_row_id(value)


@router.get("/users")
def users(
    request: Request, db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_USERS))]
) -> Response:
    """All users with their roles and organisations."""
    return render(request, "identity/users.html", {"users": queries.list_users(db, user.principal)}, user=user)


@router.get("/users/new")
def user_new(
    request: Request, db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_USERS))]
) -> Response:
    """The form for a new user."""
    return _user_form(request, db, user, edited=None, values={})


@router.post("/users")
def user_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_USERS))],
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=256)],
    role: Annotated[Role, Form()],
    organisation_id: Annotated[str, Form()] = "",
    enterprise_id: Annotated[str, Form()] = "",
) -> Response:
    """Create a user."""
    values = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "organisation_id": _optional_int(organisation_id),
        "enterprise_id": _optional_int(enterprise_id),
    }
    try:
        created = create_user(db, password=password, **values)  # type: ignore[arg-type]  # keys match the signature
    except IdentityError as exc:
        db.rollback()
        return _user_form(
            request, db, user, edited=None, values=values, error=gettext(ERROR_TEXT[exc.code]), status=422
        )
    return RedirectResponse(f"/admin/users/{created.id}", status_code=303)


@router.get("/users/{user_id:id}")
def user_edit(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_USERS))],
    user_id: RowId,
) -> Response:
    """The form to change a user."""
    edited = queries.get_user(db, user.principal, user_id)
    if edited is None:
        raise HTTPException(404)
    return _user_form(request, db, user, edited=edited, values={}, saved=request.query_params.get("saved"))


@router.post("/users/{user_id:id}")
def user_update(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_USERS))],
    user_id: RowId,
    display_name: Annotated[str, Form(max_length=100)],
    role: Annotated[Role, Form()],
    organisation_id: Annotated[str, Form()] = "",
    enterprise_id: Annotated[str, Form()] = "",
    active: Annotated[str, Form()] = "",
) -> Response:
    """Change a user's name, role, organisation or enterprise, or deactivate them."""
    edited = queries.get_user(db, user.principal, user_id)
    if edited is None:
        raise HTTPException(404)
    try:
        update_user(
            db,
            edited,
            display_name=display_name,
            role=role,
            organisation_id=_optional_int(organisation_id),
            enterprise_id=_optional_int(enterprise_id),
            active=bool(active),
            now=utcnow(),
        )
    except IdentityError as exc:
        db.rollback()
        return _user_form(request, db, user, edited=edited, values={}, error=gettext(ERROR_TEXT[exc.code]), status=422)
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", status_code=303)


@router.post("/users/{user_id:id}/password")
def user_reset_password(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_USERS))],
    user_id: RowId,
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Set a new password for a user (who is signed out everywhere)."""
    edited = queries.get_user(db, user.principal, user_id)
    if edited is None:
        raise HTTPException(404)
    try:
        set_password(db, edited, password, utcnow())
    except IdentityError as exc:
        db.rollback()
        return _user_form(request, db, user, edited=edited, values={}, error=gettext(ERROR_TEXT[exc.code]), status=422)
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", status_code=303)


def _organisations_page(request: Request, db: DbSession, user: UserDep, *, status: int = 200, **extra: Any) -> Response:
    context = {
        "organisations": queries.list_organisations(db, user.principal),
        "kinds": list(OrgKind),
        "department_types": list(DepartmentType),
        "regions": [r for r in list_regions(db, user.principal) if r.level in (RegionLevel.CITY, RegionLevel.COUNTY)],
        **extra,
    }
    return render(request, "identity/organisations.html", context, user=user, status_code=status)


@router.get("/organisations")
def organisations(
    request: Request, db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ORGANISATIONS))]
) -> Response:
    """The bureau, its branches and the responsible departments."""
    return _organisations_page(request, db, user)


@router.post("/organisations")
def organisation_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ORGANISATIONS))],
    code: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[OrgKind, Form()],
    region_id: Annotated[RowId, Form()],
    department_type: Annotated[str, Form()] = "",
) -> Response:
    """Add an organisation."""
    if get_visible(db, user.principal, Region, region_id) is None:
        raise HTTPException(404)
    try:
        create_organisation(
            db,
            code=code,
            name=name,
            kind=kind,
            region_id=region_id,
            department_type=DepartmentType(department_type) if department_type else None,
        )
    except IdentityError as exc:
        db.rollback()
        return _organisations_page(request, db, user, error=gettext(ERROR_TEXT[exc.code]), status=422)
    return RedirectResponse("/admin/organisations", status_code=303)
