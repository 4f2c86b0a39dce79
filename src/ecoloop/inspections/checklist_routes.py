"""The checklists the bureau keeps (`/inspections/checklists`): their industries and items; every edit makes a new
version, and an inspection keeps the version it was done with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import gettext
from ecoloop.inspections import queries, rules, service
from ecoloop.inspections.models import Checklist
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, requires
from ecoloop.web.forms import PostedFields
from ecoloop.web.templating import render

router = APIRouter()
Keeper = Annotated[CurrentUser, Depends(requires(Action.MANAGE_CHECKLISTS))]
BLANK_ROWS = 5  # empty item rows offered below the items


def _form(
    request: Request,
    user: CurrentUser,
    checklist: Checklist | None,
    values: dict[str, Any],
    message: str = "",
    status: int = 200,
) -> Response:
    rows = [*values["items"], *([("", "", True)] * BLANK_ROWS)]
    context = {"checklist": checklist, "values": values, "rows": rows, "message": message}
    return render(request, "inspections/checklist_form.html", context, user=user, status_code=status)


def _posted(fields: list[tuple[str, str]]) -> dict[str, Any]:
    """The name, prefixes, active flag and the items (text, basis, required) as the form posted them."""
    given = dict(fields)
    rows = sorted({int(k[5:]) for k in given if k.startswith("text-") and k[5:].isdigit() and int(k[5:]) < 1000})
    items = [(given[f"text-{n}"][:500], given.get(f"basis-{n}", "")[:300], f"required-{n}" in given) for n in rows]
    return {
        "name": given.get("name", "")[:200],
        "prefixes": given.get("prefixes", "")[:200],
        "active": "active" in given,
        "items": items,
    }


@router.get("/inspections/checklists", include_in_schema=False)
def checklist_list(request: Request, db: DbSession, user: Keeper) -> Response:
    """Every checklist with its industries, its version in force and its number of items."""
    return render(request, "inspections/checklists.html", {"rows": queries.checklists(db)}, user=user)


@router.post("/inspections/checklists/defaults", include_in_schema=False)
def install_defaults(db: UnitOfWork, user: Keeper) -> Response:
    """Add the default checklists the bureau does not have yet."""
    service.install_default_checklists(db, utcnow())
    return RedirectResponse("/inspections/checklists", status_code=303)


@router.get("/inspections/checklists/new", include_in_schema=False)
def new_checklist(request: Request, user: Keeper) -> Response:
    """The form of a new checklist."""
    return _form(request, user, None, {"name": "", "prefixes": "", "active": True, "items": []})


@router.post("/inspections/checklists/new", include_in_schema=False)
def create_checklist(request: Request, db: UnitOfWork, user: Keeper, fields: PostedFields) -> Response:
    """Create a checklist."""
    return _save(request, db, user, None, _posted(fields))


def _checklist(db: Session, checklist_id: int) -> Checklist:
    checklist = queries.checklist(db, checklist_id)
    if checklist is None:
        raise HTTPException(404)
    return checklist


@router.get("/inspections/checklists/{checklist_id:id}", include_in_schema=False)
def edit_checklist(request: Request, checklist_id: RowId, db: DbSession, user: Keeper) -> Response:
    """A checklist's form with its items in force, and its versions."""
    checklist = _checklist(db, checklist_id)
    items = [(i.text, i.basis, i.required) for i in rules.items_from(service.current_version(checklist).items)]
    values = {"name": checklist.name, "prefixes": checklist.prefixes, "active": checklist.active, "items": items}
    return _form(request, user, checklist, values)


@router.post("/inspections/checklists/{checklist_id:id}", include_in_schema=False)
def update_checklist(
    request: Request, checklist_id: RowId, db: UnitOfWork, user: Keeper, fields: PostedFields
) -> Response:
    """Save a checklist: a new version when its items changed."""
    return _save(request, db, user, _checklist(db, checklist_id), _posted(fields))


def _save(
    request: Request, db: Session, user: CurrentUser, checklist: Checklist | None, values: dict[str, Any]
) -> Response:
    try:
        saved = service.save_checklist(
            db, user.user, name=values["name"], prefixes=values["prefixes"], items=values["items"], now=utcnow(),
            checklist=checklist, active=values["active"],
        )  # fmt: skip
    except service.InspectionError as exc:
        db.rollback()
        return _form(request, user, checklist, values, gettext(rules.MESSAGES.get(exc.code, rules.FALLBACK)), 422)
    return RedirectResponse(f"/inspections/checklists/{saved.id}", status_code=303)
