"""The inspection pages of the bureau and the branches (`/inspections`): the list with its filters, one inspection
with its record and photos, planning inspections by hand and from a draw in one step, and putting a finding into
the closed loop as a case. The officer's phone is `field_routes`, campaigns `campaign_routes`, checklists
`checklist_routes`, the published outcomes `public_routes`; this module's router carries them all."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.cases.enums import Category
from ecoloop.cases.service import Acting, CaseError
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.i18n import gettext
from ecoloop.inspections import photos, queries, rules, service
from ecoloop.inspections.campaign_routes import router as campaign_router
from ecoloop.inspections.checklist_routes import router as checklist_router
from ecoloop.inspections.enums import Kind, Status
from ecoloop.inspections.field_routes import router as field_router
from ecoloop.inspections.public_routes import router as public_router
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import list_regions
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import filter_choice, filter_day, local_today, required_day
from ecoloop.web.paging import PageQuery, page_of
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_INSPECTIONS))]
# Planning inspections: the officers' units (inspect) and those who make the draws (manage_draws).
Planner = Annotated[CurrentUser, Depends(requires(Action.INSPECT, Action.MANAGE_DRAWS, any_of=True))]
Registrar = Annotated[CurrentUser, Depends(requires(Action.VIEW_INSPECTIONS, Action.REGISTER_CASES))]


def said(code: str) -> str:
    """A refusal's reason in the user's language."""
    return gettext(rules.MESSAGES.get(code, rules.FALLBACK))


def regions_for(db: Session, user: CurrentUser) -> list[Any]:
    """The counties and towns the user may filter by."""
    levels = (RegionLevel.COUNTY, RegionLevel.TOWN)
    return [r for r in list_regions(db, user.principal, active_only=True) if r.level in levels]


@router.get("/inspections", include_in_schema=False)
def inspection_list(
    request: Request,
    db: DbSession,
    user: Viewer,
    status: Annotated[str, Query(max_length=20)] = "",
    kind: Annotated[str, Query(max_length=20)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    campaign: Annotated[str, Query(max_length=12)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    page: PageQuery = 1,
) -> Response:
    """The inspections the user sees (a branch its county's; an officer theirs and their unit's), by filters."""
    f = queries.Filter(
        status=filter_choice(Status, status),
        kind=filter_choice(Kind, kind),
        campaign_id=parse_row_id(campaign),
        region_id=parse_row_id(region),
        start=filter_day(start),
        end=filter_day(end),
        text=q,
    )
    total = queries.count(db, user.principal, f)
    shown = page_of(total, page)
    context = {
        "rows": queries.search(db, user.principal, f, limit=shown.limit, offset=shown.offset),
        "filter": f,
        "total": total,
        "page": shown,
        "query": urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"]),
        "statuses": list(Status),
        "kinds": list(Kind),
        "regions": regions_for(db, user),
        "values": {"start": start, "end": end, "q": q},
        "may_plan": allowed(user.principal, Action.INSPECT) or allowed(user.principal, Action.MANAGE_DRAWS),
        "may_keep_checklists": allowed(user.principal, Action.MANAGE_CHECKLISTS),
    }
    return render(request, "inspections/list.html", context, user=user)


def _new_page(
    request: Request, db: Session, user: CurrentUser, values: dict[str, Any], message: str = "", status: int = 200
) -> Response:
    context = {
        "values": values,
        "message": message,
        "officers": service.eligible_officers(db),
        "kinds": [Kind.ROUTINE, Kind.COMPLAINT],
        "draws": queries.draws_to_plan(db, user.principal),
    }
    return render(request, "inspections/new.html", context, user=user, status_code=status)


@router.get("/inspections/new", include_in_schema=False)
def new_form(request: Request, db: DbSession, user: Planner, settings: SettingsDep) -> Response:
    """Plan an inspection by hand, or the inspections of a draw in one step."""
    return _new_page(request, db, user, {"planned_on": local_today(settings).isoformat(), "on_site": True})


@router.post("/inspections/new", include_in_schema=False)
def create(
    request: Request,
    db: UnitOfWork,
    user: Planner,
    credit_code: Annotated[str, Form(max_length=18)] = "",
    officers: Annotated[list[RowId] | None, Form()] = None,
    planned_on: Annotated[str, Form(max_length=10)] = "",
    kind: Annotated[str, Form(max_length=20)] = "routine",
    on_site: Annotated[str, Form(max_length=3)] = "",
    ticket: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    """Plan one inspection of an enterprise (by its credit code) by two or more officers; with a complaint's
    ticket code, the inspection that checks that complaint."""
    values = {"credit_code": credit_code, "officers": officers or [], "planned_on": planned_on,
              "kind": kind, "on_site": bool(on_site), "ticket": ticket}  # fmt: skip
    try:
        day = required_day(planned_on, refuse=service.InspectionError)
        enterprise = queries.enterprise_by_code(db, user.principal, credit_code)
        if enterprise is None:
            raise service.InspectionError("enterprise_invalid")
        complaint = queries.complaint_by_ticket(db, user.principal, ticket) if ticket.strip() else None
        if ticket.strip() and complaint is None:
            raise service.InspectionError("complaint_invalid")
        inspection = service.create_inspection(
            db, Acting(user.user, user.principal), enterprise_id=enterprise.id, officer_ids=officers or [],
            planned_on=day, now=utcnow(), on_site=bool(on_site),
            kind=Kind.COMPLAINT if complaint or kind == Kind.COMPLAINT else Kind.ROUTINE,
            complaint_id=complaint.id if complaint else None,
        )  # fmt: skip
    except service.InspectionError as exc:
        db.rollback()
        return _new_page(request, db, user, values, said(exc.code), 422)
    return RedirectResponse(f"/inspections/{inspection.id}", status_code=303)


@router.post("/inspections/from-draw", include_in_schema=False)
def create_from_draw(
    request: Request,
    db: UnitOfWork,
    user: Planner,
    draw: Annotated[RowId, Form()],
    planned_on: Annotated[str, Form(max_length=10)] = "",
    officers: Annotated[list[RowId] | None, Form()] = None,
) -> Response:
    """Plan the inspections of a drawn draw in one step: its enterprises with their drawn officers, and the
    非现场 checks by the officers chosen here."""
    try:
        day = required_day(planned_on, refuse=service.InspectionError)
        made = service.plan_draw(
            db, Acting(user.user, user.principal), draw, planned_on=day, now=utcnow(),
            remote_officer_ids=officers or [],
        )  # fmt: skip
    except service.InspectionError as exc:
        db.rollback()
        values = {"planned_on": planned_on, "draw": draw, "remote_officers": officers or [], "on_site": True}
        return _new_page(request, db, user, values, said(exc.code), 422)
    return RedirectResponse(f"/inspections?kind={Kind.RANDOM.value}&planned={len(made)}", status_code=303)


@router.get("/inspections/{inspection_id:id}", include_in_schema=False)
def detail(request: Request, inspection_id: RowId, db: DbSession, user: Viewer) -> Response:
    """One inspection: its enterprise, officers and their confirmations, the record, photos, and its case."""
    inspection = queries.get(db, user.principal, inspection_id)
    if inspection is None:
        raise HTTPException(404)
    context = {
        "inspection": inspection,
        "items": rules.items_from(inspection.checklist_version.items),
        "answers": {a.item_key: a for a in inspection.answers},
        "photos": queries.photos_of(db, inspection.id),
        "findings": queries.findings(db, user.principal, inspection.id),
        "is_officer": any(o.user_id == user.user.id for o in inspection.officers),
        "may_register": allowed(user.principal, Action.REGISTER_CASES),
        "may_penalise": allowed(user.principal, Action.HANDLE_PENALTIES),
        "may_see_complaints": allowed(user.principal, Action.VIEW_COMPLAINTS),
        "categories": list(Category),
        "message": said(request.query_params["refused"]) if request.query_params.get("refused") else "",
    }
    return render(request, "inspections/detail.html", context, user=user)


@router.post("/inspections/{inspection_id:id}/case", include_in_schema=False)
def register_case(
    inspection_id: RowId,
    db: UnitOfWork,
    user: Registrar,
    category: Annotated[str, Form(max_length=20)] = "other",
) -> Response:
    """Put the inspection's findings into the closed loop as a case (source: inspection)."""
    try:
        case_id = service.register_case(
            db, Acting(user.user, user.principal), inspection_id, now=utcnow(),
            category=filter_choice(Category, category) or Category.OTHER,
        )  # fmt: skip
    except service.NotFoundError:
        raise HTTPException(404) from None
    except (service.InspectionError, CaseError) as exc:
        db.rollback()
        return RedirectResponse(f"/inspections/{inspection_id}?refused={exc.code}", status_code=303)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/inspections/photos/{photo_id:id}", include_in_schema=False)
def photo(photo_id: RowId, db: DbSession, user: Viewer, settings: SettingsDep) -> Response:
    """A photo of an inspection the user sees (stored re-encoded, without metadata)."""
    row = queries.photo(db, user.principal, photo_id)
    if row is None:
        raise HTTPException(404)
    path = photos.path_of(settings.data_dir, row.sha256)
    if not path.exists():
        raise HTTPException(404)
    return FileResponse(path, media_type=row.content_type, headers={"Content-Disposition": "inline"})


router.include_router(field_router)
router.include_router(campaign_router)
router.include_router(checklist_router)
router.include_router(public_router)
