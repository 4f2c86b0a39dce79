"""The region tree page (add, rename, retire regions; import their boundaries; each region's history) and the
regions of the JSON API."""

from __future__ import annotations

from datetime import tzinfo
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.audit import labels
from ecoloop.audit.queries import list_audit
from ecoloop.db.base import RowId
from ecoloop.i18n import N_, gettext
from ecoloop.regions import queries
from ecoloop.regions.boundaries import CODE_PROPERTIES, MAX_BOUNDARIES_BYTES, OUTSIDE_TOLERANCE, import_boundaries
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.rules import RegionCodeError, child_level
from ecoloop.regions.schemas import RegionOut
from ecoloop.regions.service import (
    HOLDERS,
    RegionRetireError,
    add_region,
    rename_region,
    restore_region,
    retire_region,
)
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, UserDep, requires
from ecoloop.web.templating import render

# Why a region code was refused (`RegionCodeError.reason`), with the needed length or the parent's name.
CODE_ERRORS = {
    "digits": N_("The code does not fit here: it needs %(digits)s digits."),
    "parent": N_("The code does not fit here: it does not belong under %(parent)s."),
    "exists": N_("The code does not fit here: a region has this code already."),
    "leaf": N_("The code does not fit here: nothing sits below a village."),
    "retired": N_("No region can be added under a retired region."),
}
# Why a region could not be retired or brought back (`RegionRetireError.reason`; holders bring their own).
RETIRE_ERRORS = {
    "children": N_("The region has %(count)s active regions below it: retire them first."),
    "parent": N_("The region above it is retired: bring that one back first."),
}
MAX_HISTORY = 50
MAX_PROBLEMS_SHOWN = 1000

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
        "history": _history(db, user, current, request.app.state.settings.tz) if current else [],
        "max_mb": MAX_BOUNDARIES_BYTES // (1024 * 1024),
        "max_problems": MAX_PROBLEMS_SHOWN,
        "code_properties": CODE_PROPERTIES,
        "tolerance": f"{OUTSIDE_TOLERANCE:.0%}",
        **extra,
    }
    return render(request, "regions/tree.html", context, user=user, status_code=status)


def _history(db: Session, user: CurrentUser, region: Region, zone: tzinfo) -> list[labels.AuditEntry]:
    """The region's changes, newest first, from the audit trail."""
    records = list_audit(db, user.principal, entity_type="regions", entity_id=str(region.id), limit=MAX_HISTORY)
    return [labels.entry(r, zone) for r in records]


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


@router.post("/admin/regions/boundaries", include_in_schema=False)
def boundaries_upload(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_REGIONS))],
    file: Annotated[UploadFile, File()],
) -> Response:
    """Import region boundaries from a GeoJSON file: all of them, or none with every problem listed."""
    data = file.file.read(MAX_BOUNDARIES_BYTES + 1)
    report = import_boundaries(db, user.principal, data)
    if not report.ok:
        db.rollback()
    status = 413 if any(p.reason == "too_large" for p in report.problems) else 200 if report.ok else 422
    return _tree_page(request, db, user, None, status=status, report=report, filename=file.filename or "")


def _region_or_404(db: Session, user: CurrentUser, region_id: int) -> Region:
    """A region below the user's own to change: 404 outside their area; 403 for the county a branch works in, which
    is kept (renamed, retired) by the city's administrator, as the city itself is set by `ecoloop init`."""
    region = queries.get_region(db, user.principal, region_id)
    if region is None:
        raise HTTPException(404)
    if region.path == user.principal.region_path and region.parent_id is not None:
        raise HTTPException(403)
    return region


@router.post("/admin/regions/{region_id:id}/name", include_in_schema=False)
def region_rename(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_REGIONS))],
    region_id: RowId,
    name: Annotated[str, Form(min_length=1, max_length=100)],
) -> Response:
    """Give a region a new name."""
    region = _region_or_404(db, user, region_id)
    if not name.strip():
        return _tree_page(request, db, user, region.code, error=gettext("A region needs a name."), status=422)
    rename_region(db, region, name)
    return RedirectResponse(f"/admin/regions?parent={region.code}", status_code=303)


@router.post("/admin/regions/{region_id:id}/retire", include_in_schema=False)
def region_retire(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_REGIONS))],
    region_id: RowId,
    restore: Annotated[bool, Form()] = False,
) -> Response:
    """Retire a region (or, with `restore`, bring a retired one back)."""
    region = _region_or_404(db, user, region_id)
    try:
        if restore:
            restore_region(db, region)
        else:
            retire_region(db, region)
    except RegionRetireError as exc:
        db.rollback()
        message = gettext(HOLDERS[exc.reason][0]) if exc.reason in HOLDERS else gettext(RETIRE_ERRORS[exc.reason])
        error = message % {"count": exc.count}
        return _tree_page(request, db, user, region.code, error=error, status=409)
    return RedirectResponse(f"/admin/regions?parent={region.code}", status_code=303)


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
