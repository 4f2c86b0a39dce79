"""Hotspot-order pages (`/hotspots`): the orders of the user's area by tab and filter, a new order (from an alert in
one step, or by hand), one order with its station's values before and after, its suspects, clock, reply and check
forms and timeline, and the statistics per unit and station with their workbook. Registered sources are in
`source_routes`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.analytics.sites import StoredReadings
from ecoloop.cases import queries as case_queries
from ecoloop.cases.service import MAX_ATTACHMENT_BYTES, Acting
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.hotspots import queries, rules, service
from ecoloop.hotspots.charts import station_chart
from ecoloop.hotspots.enums import CheckResult, OrderStatus, OrderTab, SourceKind, SuspectKind
from ecoloop.hotspots.models import HotspotOrder
from ecoloop.hotspots.service import Dispatch, HotspotError, Reply
from ecoloop.hotspots.workbook import stats_workbook
from ecoloop.i18n import N_, gettext
from ecoloop.monitoring.models import Site
from ecoloop.readings import parameters
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import PostedFields, filter_choice, filter_day
from ecoloop.web.paging import PAGE_SIZE, PageQuery, page_of
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_HOTSPOT_ORDERS))]
Dispatcher = Annotated[CurrentUser, Depends(requires(Action.DISPATCH_HOTSPOT_ORDERS))]
Answerer = Annotated[CurrentUser, Depends(requires(Action.ANSWER_HOTSPOT_ORDERS))]
# A lead unit's step that carries only a note (`service.respond`, `service.arrive`).
NoteStep = Callable[[Session, Acting, HotspotOrder, datetime, str], object]
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]
TOO_LARGE = N_("The photo is larger than 20 MiB.")


def _error(exc: HotspotError) -> str:
    return gettext(service.ERRORS.get(exc.code, service.ERRORS["not_allowed"]))


def _acting(user: CurrentUser) -> Acting:
    return Acting(user.user, user.principal)


def _filter(site: str, unit: str, start: str, end: str, q: str, tab: str) -> queries.Filter:
    return queries.Filter(
        tab=filter_choice(OrderTab, tab),
        site_id=parse_row_id(site),
        unit_id=parse_row_id(unit),
        start=filter_day(start),
        end=filter_day(end),
        text=q,
    )


Param = Annotated[str, Query(max_length=20)]
LABELS = {
    "directions": {d.value: d.label for d in rules.Direction},
    "source_kinds": {k.value: k.label for k in SourceKind},
    "suspect_kinds": {k.value: k.label for k in SuspectKind},
    "outlet_parameters": parameters.Labels(ambient=False),
}


# --- the list ---------------------------------------------------------------------------------------------------------


@router.get("/hotspots", include_in_schema=False)
def order_list(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    tab: Param = "",
    site: Param = "",
    unit: Param = "",
    start: Param = "",
    end: Param = "",
    q: Annotated[str, Query(max_length=40)] = "",
    page: PageQuery = 1,
) -> Response:
    """The orders of the user's area (a department: those it leads or helps with) by tab, newest first."""
    f = _filter(site, unit, start, end, q, tab)
    rows, total = queries.search(db, user.principal, f, settings.tz, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    shown = page_of(total, page)
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "tab") and v]
    context = {
        "rows": rows,
        "filter": f,
        "total": total,
        "page": shown,
        "counts": queries.tab_counts(db, user.principal, f, settings.tz),
        "tabs": list(OrderTab),
        "query": urlencode([*params, ("tab", f.tab.value)] if f.tab else params),
        "tab_query": urlencode(params),
        "stations": queries.stations(db, user.principal),
        "units": queries.units(db),
        "may_dispatch": allowed(user.principal, Action.DISPATCH_HOTSPOT_ORDERS),
        "now": utcnow(),
    }
    return render(request, "hotspots/list.html", context, user=user)


# --- a new order ----------------------------------------------------------------------------------------------------


def _new_page(
    request: Request, db: Session, user: CurrentUser, settings: Settings, values: dict[str, Any], message: str = ""
) -> Response:
    alert = queries.alert_of(db, user.principal, parse_row_id(values.get("alert", "")) or 0)
    context = {
        "values": values,
        "alert": alert,
        "stations": queries.stations(db, user.principal),
        "parameters": [(code, parameters.label(code, ambient=True)) for code in service.PARAMETERS],
        "units": queries.units(db),
        "message": message,
    }
    return render(request, "hotspots/new.html", context, user=user, status_code=422 if message else 200)


@router.get("/hotspots/new", include_in_schema=False)
def new_form(
    request: Request, db: DbSession, user: Dispatcher, settings: SettingsDep, alert: Param = "", site: Param = ""
) -> Response:
    """The dispatch form: from an alert (its station and pollutant), or by hand; the settings' limits and radius."""
    values = {
        "alert": alert,
        "site": site,
        "parameter": "a34004",
        "radius": str(settings.hotspot_radius_km),
        "respond": str(settings.hotspot_respond_minutes),
        "on_site": str(settings.hotspot_on_site_minutes),
        "reply": str(settings.hotspot_reply_hours),
        "helpers": None,
    }
    return _new_page(request, db, user, settings, values)


def _one(form: list[tuple[str, str]], key: str, limit: int = 4000) -> str:
    return next((v for k, v in form if k == key), "")[:limit].strip()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


@router.post("/hotspots/new", include_in_schema=False)
def dispatch(request: Request, db: UnitOfWork, user: Dispatcher, settings: SettingsDep, form: PostedFields) -> Response:
    """Dispatch the order and open its page."""
    values: dict[str, Any] = {k: _one(form, k) for k in ("alert", "site", "parameter", "unit", "instructions")}
    values |= {k: _one(form, k, 20) for k in ("radius", "respond", "on_site", "reply")}
    helper_marks = [v for k, v in form if k == "helper"][:50]
    values["helpers"] = helper_marks if _one(form, "helpers_chosen") else None
    try:
        numbers = {k: _number(values[k]) for k in ("radius", "respond", "on_site", "reply")}
        if any(v is None or v <= 0 for v in numbers.values()):
            raise HotspotError("limits")
        try:
            limits = rules.TimeLimits(
                respond=timedelta(minutes=numbers["respond"] or 0),
                on_site=timedelta(minutes=numbers["on_site"] or 0),
                reply=timedelta(hours=numbers["reply"] or 0),
            )
        except (ValueError, OverflowError):
            raise HotspotError("limits") from None
        order = Dispatch(
            alert_id=parse_row_id(values["alert"]),
            site_id=parse_row_id(values["site"]),
            parameter=values["parameter"],
            lead_unit_id=parse_row_id(values["unit"]),
            helper_ids=None
            if values["helpers"] is None
            else [i for i in (parse_row_id(v) for v in helper_marks) if i is not None],
            radius_km=numbers["radius"],
            limits=limits,
            instructions=values["instructions"],
        )
        with _readings(request).shared() as readings:  # one analytics connection for every outlet's values
            row = service.dispatch(
                db, _acting(user), order, now=utcnow(), policy=service.policy_of(settings), readings=readings
            )
    except HotspotError as exc:
        db.rollback()
        return _new_page(request, db, user, settings, values, _error(exc))
    return RedirectResponse(f"/hotspots/{row.id}", status_code=303)


def _readings(request: Request) -> StoredReadings:
    return StoredReadings.of(request.app.state.hot_store, request.app.state.settings)


# --- one order ------------------------------------------------------------------------------------------------------


def _visible(db: Session, user: CurrentUser, order_id: int) -> HotspotOrder:
    order = queries.get(db, user.principal, order_id)
    if order is None:
        raise HTTPException(404)
    return order


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    order: HotspotOrder,
    *,
    message: str = "",
    values: dict[str, Any] | None = None,
) -> Response:
    p = user.principal
    now = utcnow()
    clock = queries.clock_of(order)
    events = queries.timeline(db, order)
    context = {
        "o": order,
        "site": db.get_one(Site, order.site_id),
        "parameter": parameters.label(order.parameter, ambient=True),
        "unit": parameters.unit(order.parameter, ambient=True),
        "clock": clock,
        "stages": [(s, clock.due(s), clock.done(s)) for s in rules.Stage],
        "missed": rules.missed(clock, now),
        "next_due": rules.next_due(clock),
        "response_minutes": rules.minutes_between(clock.dispatched_at, clock.responded_at),
        "events": events,
        "names": queries.names(db, [e.actor_user_id for e in events]),
        "chart": station_chart(_readings(request), order, settings, now),
        "case": case_queries.get_case(db, p, order.case_id),
        "may_answer": service.may_answer(p, order) and order.status in service.WAITING,
        "may_check": service.may_check(p) and order.status is OrderStatus.REPLIED,
        "results": list(CheckResult),
        "labels": LABELS,
        "message": message,
        "values": values or {},
        "now": now,
    }
    return render(request, "hotspots/detail.html", context, user=user, status_code=422 if message else 200)


@router.get("/hotspots/{order_id:id}", include_in_schema=False)
def order_page(request: Request, db: DbSession, user: Viewer, settings: SettingsDep, order_id: RowId) -> Response:
    """One order: the station's values, the suspects, the clock, the reply and the check, the timeline."""
    return _page(request, db, user, settings, _visible(db, user, order_id))


def _note_step(
    request: Request, db: Session, user: CurrentUser, settings: Settings, order_id: int, step: NoteStep, note: str
) -> Response:
    """A lead unit's step that carries only a note (签收, 到场): done, or the page again with the reason."""
    order = _visible(db, user, order_id)
    try:
        step(db, _acting(user), order, utcnow(), note)
    except HotspotError as exc:
        db.rollback()
        return _page(request, db, user, settings, _visible(db, user, order_id), message=_error(exc))
    return RedirectResponse(f"/hotspots/{order_id}", status_code=303)


@router.post("/hotspots/{order_id:id}/respond", include_in_schema=False)
def respond(
    request: Request, db: UnitOfWork, user: Answerer, settings: SettingsDep, order_id: RowId, note: Text = ""
) -> Response:
    """The lead unit responds (签收)."""
    return _note_step(request, db, user, settings, order_id, service.respond, note)


@router.post("/hotspots/{order_id:id}/arrive", include_in_schema=False)
def arrive(
    request: Request, db: UnitOfWork, user: Answerer, settings: SettingsDep, order_id: RowId, note: Text = ""
) -> Response:
    """The lead unit is on site (到场)."""
    return _note_step(request, db, user, settings, order_id, service.arrive, note)


@router.post("/hotspots/{order_id:id}/reply", include_in_schema=False)
def reply(
    request: Request,
    db: UnitOfWork,
    user: Answerer,
    settings: SettingsDep,
    order_id: RowId,
    finding: Text = "",
    measures: Text = "",
    source: Annotated[str, Form(max_length=40)] = "",
    other: Short = "",
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The lead unit's reply (反馈) with an optional photo, kept with the case's evidence."""
    order = _visible(db, user, order_id)
    values = {"finding": finding, "measures": measures, "source": source, "other": other}
    photos = []
    if photo is not None and photo.filename:
        content = photo.file.read(MAX_ATTACHMENT_BYTES + 1)
        if len(content) > MAX_ATTACHMENT_BYTES:
            return _page(request, db, user, settings, order, message=gettext(TOO_LARGE), values=values)
        photos.append((photo.filename, content))
    answer = Reply(finding, measures, source_key=source, other=other, photos=photos)
    try:
        service.reply(db, _acting(user), order, answer, utcnow(), storage=settings.case_attachments_root)
    except HotspotError as exc:
        db.rollback()
        order = _visible(db, user, order_id)
        return _page(request, db, user, settings, order, message=_error(exc), values=values)
    return RedirectResponse(f"/hotspots/{order_id}", status_code=303)


@router.post("/hotspots/{order_id:id}/check", include_in_schema=False)
def check(
    request: Request,
    db: UnitOfWork,
    user: Dispatcher,
    settings: SettingsDep,
    order_id: RowId,
    result: Annotated[str, Form(max_length=20)] = "",
    note: Text = "",
) -> Response:
    """The dispatching side's on-site check (核查)."""
    order = _visible(db, user, order_id)
    try:
        chosen = CheckResult(result) if result in CheckResult._value2member_map_ else None
        if chosen is None:
            raise HotspotError("wrong_status")
        service.check(db, _acting(user), order, chosen, utcnow(), note)
    except HotspotError as exc:
        db.rollback()
        order = _visible(db, user, order_id)
        return _page(request, db, user, settings, order, message=_error(exc), values={"note": note})
    return RedirectResponse(f"/hotspots/{order_id}", status_code=303)


# --- statistics -----------------------------------------------------------------------------------------------------


@router.get("/hotspots/stats", include_in_schema=False)
def stats_page(
    request: Request, db: DbSession, user: Viewer, settings: SettingsDep, start: Param = "", end: Param = ""
) -> Response:
    """Per lead unit: orders, reply rate, mean response time, overdue share, mean effect; per station: repeats."""
    f = _filter("", "", start, end, "", "")
    context = {"stats": queries.stats(db, user.principal, f, settings.tz), "filter": f, "query": urlencode(
        {k: v for k, v in (("start", start), ("end", end)) if v}
    )}  # fmt: skip
    return render(request, "hotspots/stats.html", context, user=user)


@router.get("/hotspots/stats.xlsx", include_in_schema=False)
def stats_export(db: DbSession, user: Viewer, settings: SettingsDep, start: Param = "", end: Param = "") -> Response:
    """The statistics as a workbook (one sheet per unit, one per station)."""
    f = _filter("", "", start, end, "", "")
    data = stats_workbook(queries.stats(db, user.principal, f, settings.tz), settings.tz)
    stamp = datetime.now(UTC).astimezone(settings.tz).strftime("%Y%m%d")
    name = gettext("Hotspot orders")
    return download(data, f"{name}-{stamp}.xlsx", XLSX)
