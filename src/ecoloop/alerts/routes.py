"""Alert pages: the board with its counts and filters (kept live by `static/alerts.js` over `/alerts/stream`), one
alert with its triggering data, chart, rule version and timeline and the check (核查: confirm into a case or
dismiss), the user's notifications with the unread badge, and the alert list of the JSON API. Rules are in
`rule_routes`, webhooks in `webhook_routes`, the live feed in `stream`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.alerts import queries, service
from ecoloop.alerts.enums import AlertStatus, DeliveryStatus, Escalation, Review
from ecoloop.alerts.evaluate import WATER_CODES
from ecoloop.alerts.models import Alert
from ecoloop.alerts.queries import AlertFilter, Chart
from ecoloop.alerts.rules import KIND_LABELS, SEVERITY_LABELS, RuleKind, Severity
from ecoloop.alerts.schemas import AlertOut, AlertQuery
from ecoloop.alerts.service import AlertError
from ecoloop.analytics.sites import StoredReadings
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters
from ecoloop.readings.store import HotStore
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import get_region_by_code, list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import filter_choice
from ecoloop.web.paging import DEFAULT_LIMIT, Limit, Offset, page_of
from ecoloop.web.templating import is_htmx_partial, render

router = APIRouter()

MAX_CHART_SPAN = timedelta(days=31)

LABELS = {
    "kinds": KIND_LABELS,
    "severities": SEVERITY_LABELS,
    "parameters": parameters.Labels(ambient=None, aliases={name: code for code, name in WATER_CODES.items()}),
}
ENUMS = {
    "statuses": list(AlertStatus),
    "reviews": list(Review),
    "kinds": list(RuleKind),
    "severities": list(Severity),
    "escalations": list(Escalation),
    "delivery_statuses": list(DeliveryStatus),
}
ERROR_TEXT = {
    "alert_closed": N_("The alert is closed."),
    "case_open": N_("The alert already has an open case."),
    "reason_required": N_("Give the reason for dismissing the alert."),
    "no_responsible_unit": N_("No branch or bureau covers the alert's region, so no case can be opened."),
    "not_allowed": N_("You may not do this on this alert."),
}


def error_text(code: str) -> str:
    """The message of a refusal in the current language."""
    return gettext(ERROR_TEXT[code]) if code in ERROR_TEXT else code


# --- the board -------------------------------------------------------------------------------------------------------


def alert_filter(db: Session, p: Principal, params: AlertQuery) -> tuple[AlertFilter, bool]:
    """The board's filter from its query; True when the region named is out of sight (then nothing matches)."""
    region = get_region_by_code(db, p, params.region) if params.region else None
    f = AlertFilter(
        status=filter_choice(AlertStatus, params.status),
        kind=filter_choice(RuleKind, params.kind),
        severity=filter_choice(Severity, params.severity),
        review=filter_choice(Review, params.review),
        region=region,
        text=params.q.strip(),
    )
    return f, bool(params.region) and region is None


@router.get("/alerts", include_in_schema=False)
def board(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))],
    params: Annotated[AlertQuery, Query()],
) -> Response:
    """The alerts the user sees, filtered, with counts per status and kind (the results alone for htmx)."""
    p = user.principal
    f, hidden = alert_filter(db, p, params)
    counts = dict.fromkeys(AlertStatus, 0) if hidden else queries.status_counts(db, p, f)
    kinds = dict.fromkeys(RuleKind, 0) if hidden else queries.kind_counts(db, p, f)
    total = counts[f.status] if f.status else sum(counts.values())
    page = page_of(total, params.page)
    rows = [] if hidden else queries.search_alerts(db, p, f, limit=page.limit, offset=page.offset)
    chosen = params.model_dump(exclude={"page"})
    context = {
        "rows": rows,
        "counts": counts,
        "kind_counts": kinds,
        "total": total,
        "all_count": sum(counts.values()),
        "page": page.number,
        "pages": page.pages,
        "chosen": chosen,
        "query": urlencode({k: v for k, v in chosen.items() if v}),
        "tab_query": urlencode({k: v for k, v in chosen.items() if v and k != "status"}),
        "kind_query": urlencode({k: v for k, v in chosen.items() if v and k != "kind"}),
        "regions": [r for r in list_regions(db, p) if r.level in (RegionLevel.COUNTY, RegionLevel.TOWN)],
        "sees_rules": queries.count_rules(db, p) > 0,
        "may_manage_webhooks": allowed(p, Action.MANAGE_WEBHOOKS),
        "labels": LABELS,
        **ENUMS,
    }
    return render(request, "alerts/board.html", context, user=user, fragment="alerts/_results.html")


@router.get("/api/v1/alerts", response_model=list[AlertOut], tags=["alerts"])
def api_alerts(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))],
    params: Annotated[AlertQuery, Query()],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[AlertOut]:
    """The alerts the caller sees, newest first, filtered like the board (`page` is ignored; use limit and
    offset)."""
    f, hidden = alert_filter(db, user.principal, params)
    rows = [] if hidden else queries.search_alerts(db, user.principal, f, limit=limit, offset=offset)
    return [AlertOut.model_validate(row.alert) for row in rows]


# --- notifications ---------------------------------------------------------------------------------------------------


@router.get("/alerts/notifications", include_in_schema=False)
def notification_list(
    request: Request, db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))]
) -> Response:
    """The user's notifications, unread first, then newest first."""
    context = {
        "rows": queries.notifications(db, user.principal),
        "unread": service.unread_count(db, user.principal.user_id),
        "labels": LABELS,
    }
    return render(request, "alerts/notifications.html", context, user=user)


@router.post("/alerts/notifications/read", include_in_schema=False)
def notifications_read(
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))],
    ids: Annotated[list[RowId] | None, Form()] = None,
) -> Response:
    """Mark the given notifications of the user read, or all of them when none is given."""
    service.mark_read(db, user.user, ids or None, utcnow())
    return RedirectResponse("/alerts/notifications", status_code=303)


@router.get("/alerts/notifications/unread", include_in_schema=False)
def unread_badge(
    request: Request, db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))]
) -> Response:
    """The navigation's badge: how many of the user's notifications are unread (an htmx fragment)."""
    context = {"unread": service.unread_count(db, user.principal.user_id)}
    return render(request, "alerts/_unread.html", context, user=user)


# --- one alert -------------------------------------------------------------------------------------------------------


@router.get("/alerts/{alert_id:id}", include_in_schema=False)
def alert_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))],
    settings: SettingsDep,
    alert_id: RowId,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """One alert: the triggering data with its chart, the rule version, the case and the timeline (the live part
    alone for htmx), and the check for those who make it."""
    return _alert_page(request, db, user, settings, _visible(db, user.principal, alert_id), done=done)


def _alert_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    alert: Alert,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    p = user.principal
    open_ = alert.status is not AlertStatus.CLOSED
    may_review = allowed(p, Action.REVIEW_ALERTS) and open_ and alert.case_id is None
    store: HotStore = request.app.state.hot_store
    # the live part (htmx) has no chart: the triggering data does not change
    found = None if is_htmx_partial(request) else queries.chart(StoredReadings.of(store, settings), alert)
    context = {
        "file": queries.alert_file(db, p, alert, settings.tz),
        "alert": alert,
        "chart": chart_data(found, settings.tz, utcnow()) if found else None,
        "may_review": may_review,
        # a partner platform's warning is pushed to departments after checking (issue 18, `intake.push_routes`)
        "may_push": alert.kind is RuleKind.PARTNER and allowed(p, Action.REVIEW_ALERTS),
        # an air hotspot or sudden rise becomes a hotspot order in one step (issue 20, `hotspots.routes`)
        "may_dispatch_order": alert.kind in (RuleKind.AIR_HOTSPOT, RuleKind.AIR_SUDDEN_RISE)
        and alert.site_id is not None
        and allowed(p, Action.DISPATCH_HOTSPOT_ORDERS),
        "may_view_site": allowed(p, Action.VIEW_MONITORING),
        "sees_rule": queries.get_rule(db, p, alert.rule_id) is not None,
        "labels": LABELS,
        "errors": {},
        "values": {},
        **extra,
    }
    return render(request, "alerts/detail.html", context, user=user, fragment="alerts/_live.html", status_code=status)


def chart_data(chart: Chart, tz: tzinfo, now: datetime) -> dict[str, Any]:
    """The chart's series for ECharts: one value per hour (null where none was stored), local hour labels, the
    reference line and the alert's span."""
    hour = timedelta(hours=1)
    end = min(chart.last_at + queries.CHART_AFTER, now)
    start = max(chart.first_at - queries.CHART_BEFORE, end - MAX_CHART_SPAN)
    start = datetime.fromtimestamp(start.timestamp() // 3600 * 3600, UTC)
    values = {t: v for t, v, _flag in chart.points}
    flags = {t: f for t, _v, f in chart.points}
    times = [start + n * hour for n in range(int((end - start) / hour) + 1)]

    def label(t: datetime) -> str:
        return t.astimezone(tz).strftime("%m-%d %H:%M")

    first = datetime.fromtimestamp(chart.first_at.timestamp() // 3600 * 3600, UTC)
    last = datetime.fromtimestamp(chart.last_at.timestamp() // 3600 * 3600, UTC)
    return {
        "name": parameters.name(chart.parameter),
        "labels": [label(t) for t in times],
        "values": [values.get(t) for t in times],
        "flags": [flags.get(t) or "" for t in times],
        "reference": chart.reference,
        # at least the hour after the first finding, so that a single hour shows as a band
        "span": [label(max(first, start)), label(min(max(last, first + hour), times[-1]))] if times else [],
        "texts": {
            "value": gettext("Measured value"),
            "reference": gettext("Reference"),
            "span": gettext("Alert period"),
        },
    }


@router.post("/alerts/{alert_id:id}/confirm", include_in_schema=False)
def alert_confirm(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.REVIEW_ALERTS))],
    settings: SettingsDep,
    alert_id: RowId,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """核查属实: confirm the alert; it is handed over as a case to the responsible unit."""
    alert = _visible(db, user.principal, alert_id)
    try:
        service.confirm(db, alert, user.user, user.principal, utcnow(), settings.tz, note.strip())
    except AlertError as exc:
        db.rollback()
        errors = {"confirm": error_text(exc.code)}
        return _alert_page(request, db, user, settings, alert, errors=errors, values={"note": note}, status=422)
    return RedirectResponse(f"/alerts/{alert_id}?done=confirmed", status_code=303)


@router.post("/alerts/{alert_id:id}/dismiss", include_in_schema=False)
def alert_dismiss(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.REVIEW_ALERTS))],
    settings: SettingsDep,
    alert_id: RowId,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """核查不属实: dismiss the alert with the reason; it is closed."""
    alert = _visible(db, user.principal, alert_id)
    try:
        service.dismiss(db, alert, user.user, user.principal, reason, utcnow())
    except AlertError as exc:
        db.rollback()
        errors = {"dismiss": error_text(exc.code)}
        return _alert_page(request, db, user, settings, alert, errors=errors, values={"reason": reason}, status=422)
    return RedirectResponse(f"/alerts/{alert_id}?done=dismissed", status_code=303)


def _visible(db: Session, p: Principal, alert_id: int) -> Alert:
    alert = queries.get_alert(db, p, alert_id)
    if alert is None:
        raise HTTPException(404)
    return alert
