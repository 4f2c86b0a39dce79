"""The region tree page and the regions of the JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ecoloop.access.actions import Action
from ecoloop.i18n import N_, gettext
from ecoloop.regions import queries
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.rules import RegionCodeError, child_level
from ecoloop.regions.schemas import RegionOut
from ecoloop.regions.service import add_region
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, UserDep, requires
from ecoloop.web.templating import render

# Why a region code was refused (`RegionCodeError.reason`), with the needed length or the parent's name.
CODE_ERRORS = {
    "digits": N_("The code does not fit here: it needs %(digits)s digits."),
    "parent": N_("The code does not fit here: it does not belong under %(parent)s."),
    "exists": N_("The code does not fit here: a region has this code already."),
    "leaf": N_("The code does not fit here: nothing sits below a village."),
}

router = APIRouter()


def _tree_page(
    request: Request, db: DbSession, user: UserDep, parent: str | None, *, status: int = 200, **extra: object
) -> Response:
    current = queries.get_region_by_code(db, user.principal, parent) if parent else None
    if parent and current is None:
        raise HTTPException(404)
    if current is None:
        children = [r for r in queries.list_regions(db, user.principal) if r.path == user.principal.region_path]
    else:
        children = queries.list_regions(db, user.principal, parent_code=current.code)
    ancestors = (
        [queries.get_region_by_code(db, user.principal, c) for c in current.path.split(".")[:-2]] if current else []
    )
    context = {
        "current": current,
        "children": children,
        "ancestors": [a for a in ancestors if a is not None],
        "child_level": child_level(current.level) if current else None,
        **extra,
    }
    return render(request, "regions/tree.html", context, user=user, status_code=status)


@router.get("/admin/regions", include_in_schema=False)
def region_tree(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_REGIONS))],
    parent: str | None = None,
) -> Response:
    """Browse the region tree one level at a time."""
    return _tree_page(request, db, user, parent)


@router.post("/admin/regions", include_in_schema=False)
def region_add(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_REGIONS))],
    parent: Annotated[str, Form(max_length=12)],
    code: Annotated[str, Form(max_length=12)],
    name: Annotated[str, Form(max_length=100)],
) -> Response:
    """Add a child region under `parent`, checking its official code."""
    parent_region = queries.get_region_by_code(db, user.principal, parent)
    if parent_region is None:
        raise HTTPException(404)
    level = child_level(parent_region.level)
    try:
        if level is None:
            raise RegionCodeError("a village has no children", "leaf")
        add_region(db, code=code.strip(), name=name, level=level, parent=parent_region)
    except RegionCodeError as exc:
        db.rollback()
        words = {"digits": exc.digits, "parent": parent_region.name}
        message = gettext(CODE_ERRORS.get(exc.reason, CODE_ERRORS["parent"])) % words
        return _tree_page(request, db, user, parent, error=message, status=422)
    return RedirectResponse(f"/admin/regions?parent={parent}", status_code=303)


@router.get("/api/v1/regions", response_model=list[RegionOut], tags=["regions"])
def api_regions(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_REGIONS))],
    level: RegionLevel | None = None,
    parent: str | None = None,
) -> list[RegionOut]:
    """Regions the caller may see, optionally one level or the children of one region."""
    regions = queries.list_regions(db, user.principal, level=level, parent_code=parent)
    return [RegionOut.model_validate(r) for r in regions]


@router.get("/api/v1/regions/{code}", response_model=RegionOut, tags=["regions"])
def api_region(
    db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_REGIONS))], code: str
) -> RegionOut:
    """One region by its official code, if the caller may see it."""
    region = queries.get_region_by_code(db, user.principal, code)
    if region is None:
        raise HTTPException(404)
    return RegionOut.model_validate(region)
