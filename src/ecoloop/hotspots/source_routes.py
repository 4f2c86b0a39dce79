"""Registered pollution sources (`/hotspots/sources`): the list of the user's area, and a source added or changed
by the dispatching side (construction sites, yards, roads, restaurants with their place, responsible department and
active period), which the suspect search of every later order lists."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.db.base import RowId, parse_row_id
from ecoloop.hotspots import queries, service
from ecoloop.hotspots.enums import SourceKind
from ecoloop.hotspots.imports import import_sources, template
from ecoloop.hotspots.models import PollutionSource
from ecoloop.hotspots.service import HotspotError, SourceFields
from ecoloop.i18n import N_, gettext
from ecoloop.regions.queries import list_regions
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, requires
from ecoloop.web.forms import FieldError, PostedFields, filter_choice, parse_day
from ecoloop.web.imports import add_import_page
from ecoloop.web.templating import render

router = APIRouter()
add_import_page(
    router,
    "/hotspots/sources/import",
    action=Action.DISPATCH_HOTSPOT_ORDERS,
    title=N_("Import registered sources"),
    back=("/hotspots/sources", N_("Registered sources")),
    importer=import_sources,
    template=template,
    filename="污染源导入模板.xlsx",
)
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_HOTSPOT_ORDERS))]
Keeper = Annotated[CurrentUser, Depends(requires(Action.DISPATCH_HOTSPOT_ORDERS))]
FIELDS = ("name", "kind", "region", "longitude", "latitude", "address", "organisation", "operator", "start", "end")


def _values(source: PollutionSource | None) -> dict[str, str]:
    if source is None:
        return dict.fromkeys(FIELDS, "") | {"kind": SourceKind.CONSTRUCTION.value, "note": ""}
    return {
        "name": source.name,
        "kind": source.kind.value,
        "region": str(source.region_id),
        "longitude": f"{source.longitude:f}",
        "latitude": f"{source.latitude:f}",
        "address": source.address,
        "organisation": str(source.organisation_id or ""),
        "operator": source.operator,
        "start": source.active_from.isoformat() if source.active_from else "",
        "end": source.active_to.isoformat() if source.active_to else "",
        "note": source.note,
    }


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    *,
    kind: str = "",
    q: str = "",
    editing: PollutionSource | None = None,
    values: dict[str, str] | None = None,
    message: str = "",
) -> Response:
    p = user.principal
    context = {
        "rows": queries.sources(db, p, filter_choice(SourceKind, kind), q),
        "kinds": list(SourceKind),
        "kind": kind,
        "q": q,
        "may_keep": allowed(p, Action.DISPATCH_HOTSPOT_ORDERS),
        "editing": editing,
        "values": values or _values(editing),
        "regions": [r for r in list_regions(db, p, active_only=True)],
        "departments": queries.departments(db),
        "message": message,
    }
    return render(request, "hotspots/sources.html", context, user=user, status_code=422 if message else 200)


@router.get("/hotspots/sources", include_in_schema=False)
def source_list(
    request: Request,
    db: DbSession,
    user: Viewer,
    kind: Annotated[str, Query(max_length=20)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    edit: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """The registered sources of the user's area, and the form to add (or, `edit`, change) one."""
    editing = queries.source(db, user.principal, parse_row_id(edit) or 0) if edit else None
    return _page(request, db, user, kind=kind, q=q, editing=editing)


def _fields(values: dict[str, str]) -> SourceFields:
    try:
        lon, lat = Decimal(values["longitude"]), Decimal(values["latitude"])
    except InvalidOperation:
        raise HotspotError("place_required") from None
    if not (lon.is_finite() and lat.is_finite()):
        raise HotspotError("place_required")
    return SourceFields(
        name=values["name"],
        kind=filter_choice(SourceKind, values["kind"]) or SourceKind.OTHER,
        region_id=parse_row_id(values["region"]) or 0,
        longitude=lon.quantize(Decimal("0.000001")),
        latitude=lat.quantize(Decimal("0.000001")),
        address=values["address"],
        organisation_id=parse_row_id(values["organisation"]),
        operator=values["operator"],
        active_from=parse_day(values["start"], refuse=lambda code: HotspotError("period")),
        active_to=parse_day(values["end"], refuse=lambda code: HotspotError("period")),
        note=values.get("note", ""),
    )


def _posted(form: list[tuple[str, str]]) -> dict[str, Any]:
    return {key: next((v for k, v in form if k == key), "")[:300].strip() for key in (*FIELDS, "note")}


@router.post("/hotspots/sources", include_in_schema=False)
def add_source(request: Request, db: UnitOfWork, user: Keeper, form: PostedFields) -> Response:
    """Register a source."""
    values = _posted(form)
    try:
        service.save_source(db, user.principal, _fields(values))
    except (HotspotError, FieldError) as exc:
        db.rollback()
        code = exc.code if isinstance(exc, HotspotError) else "period"
        return _page(request, db, user, values=values, message=gettext(service.ERRORS[code]))
    return RedirectResponse("/hotspots/sources", status_code=303)


@router.post("/hotspots/sources/{source_id:id}", include_in_schema=False)
def change_source(request: Request, db: UnitOfWork, user: Keeper, source_id: RowId, form: PostedFields) -> Response:
    """Change a registered source (its place, department, period …)."""
    source = queries.source(db, user.principal, source_id)
    if source is None:
        raise HTTPException(404)
    values = _posted(form)
    try:
        service.save_source(db, user.principal, _fields(values), source)
    except (HotspotError, FieldError) as exc:
        db.rollback()
        code = exc.code if isinstance(exc, HotspotError) else "period"
        editing = queries.source(db, user.principal, source_id)
        return _page(request, db, user, editing=editing, values=values, message=gettext(service.ERRORS[code]))
    return RedirectResponse("/hotspots/sources", status_code=303)
