"""Administration pages for users and organisations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.access.scope import get_visible
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.enterprises.queries import list_enterprises
from ecoloop.i18n import gettext
from ecoloop.identity import queries
from ecoloop.identity.enums import Category, DepartmentType, OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.routes import base_url_of, password_link_address
from ecoloop.identity.service import (
    ERROR_TEXT,
    IdentityError,
    create_organisation,
    create_user,
    issue_password_link,
    reactivate_organisation,
    reactivate_user,
    retire_organisation,
    retire_user,
    set_coverage,
    set_duties,
    set_password,
    update_organisation,
    update_user,
)
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, UserDep, requires
from ecoloop.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
UserAdmin = Annotated[CurrentUser, Depends(requires(Action.MANAGE_USERS))]
OrganisationAdmin = Annotated[CurrentUser, Depends(requires(Action.MANAGE_ORGANISATIONS))]


def link_url(request: Request, settings: Settings, raw: str) -> str:
    """The absolute address of a set-password link: under PUBLIC_URL when set, else under the request's own."""
    return password_link_address(base_url_of(request, settings), raw)


def _user_form(
    request: Request, db: DbSession, user: UserDep, settings: Settings, *, status: int = 200, **extra: Any
) -> Response:
    edited: User | None = extra.get("edited")
    organisations = queries.list_organisations(db, user.principal)
    context = {
        "roles": list(Role),
        "organisations": [o for o in organisations if o.active or (edited and o.id == edited.organisation_id)],
        "enterprises": list_enterprises(db, user.principal, limit=5000),
        "history": queries.history_in_words(
            db, user.principal, queries.user_history(db, user.principal, edited.id), settings.tz
        )
        if edited
        else [],
        **extra,
    }
    return render(request, "identity/user_form.html", context, user=user, status_code=status)


def _optional_int(value: str) -> int | None:
    return parse_row_id(value)


def _edited_user(db: DbSession, user: CurrentUser, user_id: int) -> User:
    edited = queries.get_user(db, user.principal, user_id)
    if edited is None:
        raise HTTPException(404)
    return edited


@router.get("/users")
def users(request: Request, db: DbSession, user: UserAdmin) -> Response:
    """All users with their roles and organisations."""
    return render(request, "identity/users.html", {"users": queries.list_users(db, user.principal)}, user=user)


@router.get("/users/new")
def user_new(request: Request, db: DbSession, settings: SettingsDep, user: UserAdmin) -> Response:
    """The form for a new user."""
    return _user_form(request, db, user, settings, edited=None, values={})


@router.post("/users")
def user_create(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    user: UserAdmin,
    username: Annotated[str, Form(max_length=64)],
    display_name: Annotated[str, Form(max_length=100)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=256)] = "",
    organisation_id: Annotated[str, Form()] = "",
    enterprise_id: Annotated[str, Form()] = "",
) -> Response:
    """Create a user: with the password typed, or without one, and then the one-time link to set it is shown once."""
    values = {
        "username": username,
        "display_name": display_name,
        "role": role,
        "organisation_id": _optional_int(organisation_id),
        "enterprise_id": _optional_int(enterprise_id),
    }
    try:
        created = create_user(db, password=password or None, **values)  # type: ignore[arg-type]  # keys match
        raw = None if password else issue_password_link(db, created, lifetime=settings.password_link_lifetime)
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _user_form(request, db, user, settings, edited=None, values=values, error=error, status=422)
    if raw is None:
        return RedirectResponse(f"/admin/users/{created.id}", status_code=303)
    new_link = link_url(request, settings, raw)
    return _user_form(request, db, user, settings, edited=created, values={}, new_link=new_link, status=201)


@router.get("/users/{user_id:id}")
def user_edit(request: Request, db: DbSession, settings: SettingsDep, user: UserAdmin, user_id: RowId) -> Response:
    """The form to change a user, their password link, retirement and history."""
    edited = _edited_user(db, user, user_id)
    saved = request.query_params.get("saved")
    return _user_form(request, db, user, settings, edited=edited, values={}, saved=saved)


@router.post("/users/{user_id:id}")
def user_update(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    user: UserAdmin,
    user_id: RowId,
    display_name: Annotated[str, Form(max_length=100)],
    role: Annotated[Role, Form()],
    organisation_id: Annotated[str, Form()] = "",
    enterprise_id: Annotated[str, Form()] = "",
) -> Response:
    """Change a user's name, role, organisation or enterprise."""
    edited = _edited_user(db, user, user_id)
    try:
        update_user(
            db,
            edited,
            display_name=display_name,
            role=role,
            organisation_id=_optional_int(organisation_id),
            enterprise_id=_optional_int(enterprise_id),
            active=edited.active,
            now=utcnow(),
        )
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _user_form(request, db, user, settings, edited=edited, values={}, error=error, status=422)
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", status_code=303)


@router.post("/users/{user_id:id}/password")
def user_reset_password(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    user: UserAdmin,
    user_id: RowId,
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    """Set a new password for a user (who is signed out everywhere)."""
    edited = _edited_user(db, user, user_id)
    try:
        set_password(db, edited, password, utcnow())
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _user_form(request, db, user, settings, edited=edited, values={}, error=error, status=422)
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", status_code=303)


@router.post("/users/{user_id:id}/link")
def user_issue_link(
    request: Request, db: UnitOfWork, settings: SettingsDep, user: UserAdmin, user_id: RowId
) -> Response:
    """Issue a new one-time set-password link (earlier unused ones stop working); it is shown once."""
    edited = _edited_user(db, user, user_id)
    try:
        raw = issue_password_link(db, edited, lifetime=settings.password_link_lifetime)
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _user_form(request, db, user, settings, edited=edited, values={}, error=error, status=422)
    new_link = link_url(request, settings, raw)
    return _user_form(request, db, user, settings, edited=edited, values={}, new_link=new_link)


@router.post("/users/{user_id:id}/retire")
def user_retire(request: Request, db: UnitOfWork, settings: SettingsDep, user: UserAdmin, user_id: RowId) -> Response:
    """Retire a user: no more sign-in; their sessions, API tokens and unused links end."""
    edited = _edited_user(db, user, user_id)
    try:
        retire_user(db, edited, now=utcnow(), by=user.user)
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _user_form(request, db, user, settings, edited=edited, values={}, error=error, status=422)
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", status_code=303)


@router.post("/users/{user_id:id}/reactivate")
def user_reactivate(
    request: Request, db: UnitOfWork, settings: SettingsDep, user: UserAdmin, user_id: RowId
) -> Response:
    """Let a retired user sign in again."""
    edited = _edited_user(db, user, user_id)
    try:
        reactivate_user(db, edited)
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _user_form(request, db, user, settings, edited=edited, values={}, error=error, status=422)
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
def organisations(request: Request, db: DbSession, user: OrganisationAdmin) -> Response:
    """The bureau, its branches and the responsible departments."""
    return _organisations_page(request, db, user)


@router.post("/organisations")
def organisation_create(
    request: Request,
    db: UnitOfWork,
    user: OrganisationAdmin,
    code: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[OrgKind, Form()],
    region_id: Annotated[RowId, Form()],
    department_type: Annotated[str, Form()] = "",
    parent_id: Annotated[str, Form()] = "",
) -> Response:
    """Add an organisation."""
    if get_visible(db, user.principal, Region, region_id) is None:
        raise HTTPException(404)
    parent = _optional_int(parent_id)
    if parent is not None and queries.get_organisation(db, user.principal, parent) is None:
        raise HTTPException(404)
    try:
        created = create_organisation(
            db,
            code=code,
            name=name,
            kind=kind,
            region_id=region_id,
            department_type=DepartmentType(department_type) if department_type else None,
            parent_id=parent,
        )
    except IdentityError as exc:
        db.rollback()
        return _organisations_page(request, db, user, error=gettext(ERROR_TEXT[exc.code]), status=422)
    return RedirectResponse(f"/admin/organisations/{created.id}", status_code=303)


def _organisation_page(
    request: Request,
    db: DbSession,
    user: UserDep,
    settings: Settings,
    organisation_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    org = queries.get_organisation(db, user.principal, organisation_id)
    if org is None:
        raise HTTPException(404)
    history = queries.organisation_history(db, user.principal, org.id)
    context = {
        "org": org,
        "parents": [o for o in queries.list_organisations(db, user.principal) if o.active and o.id != org.id],
        "categories": list(Category),
        "covered": queries.covered_regions(db, user.principal, org),
        "duties": {d.category for d in org.duties},
        "history": queries.history_in_words(db, user.principal, history, settings.tz),
        **extra,
    }
    return render(request, "identity/organisation.html", context, user=user, status_code=status)


@router.get("/organisations/{organisation_id:id}")
def organisation_detail(
    request: Request, db: DbSession, settings: SettingsDep, user: OrganisationAdmin, organisation_id: RowId
) -> Response:
    """One organisation: its name, parent, covered regions, duties, retirement and history."""
    saved = request.query_params.get("saved")
    return _organisation_page(request, db, user, settings, organisation_id, saved=saved)


@router.post("/organisations/{organisation_id:id}")
def organisation_update(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    user: OrganisationAdmin,
    organisation_id: RowId,
    name: Annotated[str, Form(max_length=200)],
    parent_id: Annotated[str, Form()] = "",
    covered: Annotated[str, Form(max_length=20_000)] = "",
    duties: Annotated[list[Category] | None, Form()] = None,
) -> Response:
    """Save an organisation's name, parent, covered regions (codes) and duties in one change."""
    org = queries.get_organisation(db, user.principal, organisation_id)
    if org is None:
        raise HTTPException(404)
    parent = _optional_int(parent_id)
    regions, unknown = queries.regions_by_code(db, user.principal, covered.replace(",", " ").split())
    try:
        if unknown:
            raise IdentityError("unknown_region")
        if parent is not None and queries.get_organisation(db, user.principal, parent) is None:
            raise IdentityError("bad_parent")
        update_organisation(db, org, name=name, parent_id=parent)
        set_coverage(db, org, [r.id for r in regions])
        set_duties(db, org, duties or [])
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        if unknown:
            error += " " + ", ".join(unknown)
        return _organisation_page(request, db, user, settings, organisation_id, error=error, status=422)
    return RedirectResponse(f"/admin/organisations/{organisation_id}?saved=1", status_code=303)


@router.post("/organisations/{organisation_id:id}/retire")
def organisation_retire(
    request: Request, db: UnitOfWork, settings: SettingsDep, user: OrganisationAdmin, organisation_id: RowId
) -> Response:
    """Retire an organisation (refused while it has active users or active organisations below it)."""
    return _organisation_state(request, db, settings, user, organisation_id, retire_organisation)


@router.post("/organisations/{organisation_id:id}/reactivate")
def organisation_reactivate(
    request: Request, db: UnitOfWork, settings: SettingsDep, user: OrganisationAdmin, organisation_id: RowId
) -> Response:
    """Bring a retired organisation back."""
    return _organisation_state(request, db, settings, user, organisation_id, reactivate_organisation)


def _organisation_state(
    request: Request,
    db: DbSession,
    settings: Settings,
    user: CurrentUser,
    organisation_id: int,
    change: Callable[[Session, Organisation], Organisation],
) -> Response:
    org = queries.get_organisation(db, user.principal, organisation_id)
    if org is None:
        raise HTTPException(404)
    try:
        change(db, org)
    except IdentityError as exc:
        db.rollback()
        error = gettext(ERROR_TEXT[exc.code])
        return _organisation_page(request, db, user, settings, organisation_id, error=error, status=422)
    return RedirectResponse(f"/admin/organisations/{organisation_id}?saved=1", status_code=303)
