"""Monitoring pages (sites with their data quality, data loggers) and the site-quality API; the upload page, a way
in, is `ecoloop.ingest.upload_routes`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response

from ecoloop.access.actions import Action, allowed
from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.audit.service import record_event
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.monitoring import assess, queries
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.location import site_locations
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.quality import ISSUE_LABELS, Issue, IssueKind
from ecoloop.monitoring.register_routes import SiteForm, form_choices, history, may_see_history
from ecoloop.monitoring.rules import WATER_TARGETS
from ecoloop.monitoring.schemas import (
    CompletenessOut,
    DeviceStatusOut,
    IssueOut,
    ParameterQualityOut,
    ReadingOut,
    SiteQualityOut,
)
from ecoloop.readings import parameters
from ecoloop.readings.reasons import Reason
from ecoloop.readings.rules import Refusal
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import INTERVAL_LABELS, Interval
from ecoloop.readings.vocabulary import READINGS_AUDIT_ENTITY as UPLOAD_AUDIT_ENTITY
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import get_region_by_code, list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import filter_choice
from ecoloop.web.templating import render

router = APIRouter()

MAX_ISSUES_SHOWN = 200

# Data-quality issues in words, with their figures (`quality.Issue.figures`).
ISSUE_DETAILS = {
    IssueKind.NEGATIVE: N_("Value %(value)s"),
    IssueKind.OUT_OF_RANGE: N_("%(value)s, above the plausible %(top)s"),
    IssueKind.FLAGGED: N_("Flagged %(flag)s"),
    IssueKind.FLAT_LINE: N_("%(count)s values of %(value)s in a row"),
    IssueKind.SPIKE: N_("%(value)s against a median of %(median)s"),
    IssueKind.JUMP: N_("From %(before)s to %(after)s"),
    IssueKind.PM25_ABOVE_PM10: N_("PM2.5 %(pm25)s above PM10 %(pm10)s"),
}


def issue_detail(issue: Issue) -> str:
    """An issue's detail in the current language (its brief detail for a kind without words here)."""
    message = ISSUE_DETAILS.get(issue.kind)
    if message is None or not issue.figures:
        return issue.detail
    words = dict(issue.figures)
    flag = words.get("flag", "").upper()
    if flag in parameters.FLAG_LABELS:
        words["flag"] = f"{flag} {gettext(parameters.FLAG_LABELS[flag])}"
    try:
        return gettext(message) % words
    except KeyError:
        return issue.detail


LABELS = {
    "issues": ISSUE_LABELS,
    # Rejected packets and readings are counted by their stored reason: the receiver's and the plausibility rule's.
    "reasons": {reason.value: reason.label for reason in [*Reason, *Refusal]},
    "flags": parameters.FLAG_LABELS,
    "intervals": INTERVAL_LABELS,
    "parameters": parameters.Labels(ambient=None),
    "water_targets": {grade.value: grade.label for grade in WATER_TARGETS},
}


def _stores(request: Request, settings: Settings) -> StoredReadings:
    store: HotStore = request.app.state.hot_store
    return StoredReadings.of(store, settings)


# --- sites --------------------------------------------------------------------------------------------------------


@router.get("/monitoring/sites", include_in_schema=False)
def site_list(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_MONITORING))],
    settings: SettingsDep,
    kind: str = "",
    region: str = "",
) -> Response:
    """Sites in the user's area with their last contact, status and 24-hour completeness."""
    p = user.principal
    chosen_kind = filter_choice(SiteKind, kind)
    chosen_region = get_region_by_code(db, p, region) if region else None
    hidden = bool(region) and chosen_region is None  # a region outside the user's area has no sites for them
    rows = [] if hidden else queries.site_rows(db, p, kind=chosen_kind, region=chosen_region)
    devices = queries.devices_by_site(db, p, [r.site.id for r in rows])
    context = {
        "rows": rows,
        "total": 0 if hidden else queries.count_sites(db, p, kind=chosen_kind, region=chosen_region),
        "statuses": assess.site_statuses(_stores(request, settings), devices, utcnow()),
        "kinds": list(SiteKind),
        "kind": chosen_kind,
        "regions": [r for r in list_regions(db, p) if r.level in (RegionLevel.COUNTY, RegionLevel.TOWN)],
        "region": region,
        "may_upload": allowed(p, Action.SUBMIT_OBSERVATIONS),
        "may_manage": allowed(p, Action.MANAGE_MONITORING),
        "locations": site_locations(db, p, [r.site.id for r in rows]),
        "labels": LABELS,
    }
    if context["may_manage"]:
        context |= {"form": SiteForm("", "", "", ""), "error": None, **form_choices(db, p)}
    return render(request, "monitoring/sites.html", context, user=user)


@router.get("/monitoring/sites/{site_id:id}", include_in_schema=False)
def site_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_MONITORING))],
    settings: SettingsDep,
    site_id: RowId,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
    interval: str = "",
    saved: str = "",
) -> Response:
    """One site: details, data loggers, latest values, the data quality of a chosen period (the quality section
    alone for htmx), and for those who keep the register its change history."""
    row = queries.get_site_row(db, user.principal, site_id)
    if row is None:
        raise HTTPException(404)
    devices = queries.devices_by_site(db, user.principal, [site_id])[site_id]
    now = utcnow()
    error = None
    try:
        period = _period(now, devices, settings, start, end, interval)
    except ValueError:
        error = gettext("The period cannot be read, or is longer than 31 days; showing the last 24 hours.")
        period = assess.period_for(now, devices)
    with _stores(request, settings).shared() as stored:
        quality = assess.assess_site(stored, site_id, devices, period, now)
        latest = assess.latest_values(stored, site_id, period.interval, now)
    context = {
        "row": row,
        "site": row.site,
        "quality": quality,
        "latest": latest,
        "site_devices": devices,
        "period_error": error,
        "intervals": list(Interval),
        "max_issues": MAX_ISSUES_SHOWN,
        "labels": {**LABELS, "parameters": parameters.Labels(ambient=row.site.kind is SiteKind.AIR_STATION)},
        "may_review": allowed(user.principal, Action.REVIEW_CORRECTIONS),
        "may_manage": allowed(user.principal, Action.MANAGE_MONITORING),
        "may_view_quality": allowed(user.principal, Action.VIEW_QUALITY),
        "history": history(db, "sites", site_id, settings) if may_see_history(user.principal) else None,
        "where": site_locations(db, user.principal, [site_id]).get(site_id),
        "saved": bool(saved),
        "issue_detail": issue_detail,
    }
    return render(request, "monitoring/site.html", context, user=user, fragment="monitoring/_quality.html")


@router.post("/monitoring/sites/{site_id:id}/conflicts/{conflict_id:id}", include_in_schema=False)
def accept_conflict(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.REVIEW_CORRECTIONS))],
    site_id: RowId,
    conflict_id: RowId,
) -> Response:
    """Accept a conflicting value after review: it replaces the kept one as an approved correction by the
    reviewer (issue 13), and the decision goes into the audit log."""
    if queries.get_site_row(db, user.principal, site_id) is None:
        raise HTTPException(404)
    store: HotStore = request.app.state.hot_store
    accepted = store.accept_conflict(conflict_id, site_id, user.user.username, utcnow())
    if accepted is None:
        raise HTTPException(404)
    detail = {
        "site_id": site_id,
        "parameter": accepted.parameter,
        "interval": accepted.interval.value,
        "time": accepted.time.isoformat(),
        "value": accepted.value,
        "flag": accepted.flag,
        "source": accepted.source,
        "replaced_value": accepted.kept_value,
        "replaced_flag": accepted.kept_flag,
        "replaced_source": accepted.kept_source,
    }
    record_event(db, "accept_conflict", UPLOAD_AUDIT_ENTITY, str(conflict_id), detail)
    return RedirectResponse(f"/monitoring/sites/{site_id}", status_code=303)


def _period(
    now: datetime, devices: list[Device], settings: Settings, start: str, end: str, interval: str
) -> assess.Period:
    """The period asked for in the query string; ValueError when it cannot be read."""
    chosen = Interval(interval) if interval else None
    return assess.period_for(
        now,
        devices,
        start=assess.parse_moment(start, settings.tz),
        end=assess.parse_moment(end, settings.tz),
        interval=chosen,
    )


@router.get("/monitoring/devices", include_in_schema=False)
def device_list(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_MONITORING))],
    settings: SettingsDep,
) -> Response:
    """The data loggers of the sites in the user's area, with their last packet and status (never the password)."""
    devices = queries.list_devices(db, user.principal)
    statuses = assess.device_statuses(_stores(request, settings).store, devices, utcnow())
    context = {
        "rows": list(zip(devices, statuses, strict=True)),
        "may_manage": allowed(user.principal, Action.MANAGE_MONITORING),
    }
    return render(request, "monitoring/devices.html", context, user=user)


# --- the quality API ----------------------------------------------------------------------------------------------


@router.get("/api/v1/sites/{site_id:id}/quality", response_model=SiteQualityOut, tags=["monitoring"])
def api_site_quality(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_MONITORING))],
    settings: SettingsDep,
    site_id: RowId,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
    interval: str = "",
) -> SiteQualityOut:
    """Data quality of a site over [from, to) (ISO 8601; local time without an offset; default the last 24 h)."""
    row = queries.get_site_row(db, user.principal, site_id)
    if row is None:
        raise HTTPException(404)
    devices = queries.devices_by_site(db, user.principal, [site_id])[site_id]
    now = utcnow()
    try:
        period = _period(now, devices, settings, start, end, interval)
    except ValueError as exc:
        raise HTTPException(422, f"bad period: {exc}") from None
    return _quality_out(assess.assess_site(_stores(request, settings), site_id, devices, period, now))


@router.get("/api/v1/sites/{site_id:id}/readings", response_model=list[ReadingOut], tags=["monitoring"])
def api_site_readings(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_MONITORING))],
    settings: SettingsDep,
    site_id: RowId,
    start: Annotated[str, Query(alias="from", max_length=40)] = "",
    end: Annotated[str, Query(alias="to", max_length=40)] = "",
    interval: str = "",
    parameter: Annotated[list[str], Query(max_length=50)] = [],  # noqa: B006  # FastAPI reads the default
) -> list[ReadingOut]:
    """A site's stored readings over [from, to) (ISO 8601; local time without an offset; default the last 24 hours;
    at most 31 days), of one interval (`hour` by default for the site's cadence) and the parameters asked for (all
    when none): one row per parameter and time, the value that stands, by parameter and time."""
    row = queries.get_site_row(db, user.principal, site_id)
    if row is None:
        raise HTTPException(404)
    devices = queries.devices_by_site(db, user.principal, [site_id])[site_id]
    try:
        period = _period(utcnow(), devices, settings, start, end, interval)
    except ValueError as exc:
        raise HTTPException(422, f"bad period: {exc}") from None
    ambient = row.site.kind in (SiteKind.AIR_STATION, SiteKind.NOISE, SiteKind.WATER_STATION)
    stored = _stores(request, settings)
    with stored.backend() as con:
        found = sites.period_readings(con, stored, [site_id], [period.interval], period.start, period.end)
        if parameter:
            found = found.filter(found.parameter.isin(list(parameter)))
        shown = found.select("parameter", "time", "value", "flag", "source").order_by(["parameter", "time"])
        rows = sites.rows(con, shown)
    return [
        ReadingOut(
            parameter=r["parameter"], unit=parameters.unit(r["parameter"], ambient=ambient), time=r["time"],
            value=r["value"], flag=r["flag"], source=r["source"],
        )
        for r in rows
    ]  # fmt: skip


def _quality_out(q: assess.SiteQuality) -> SiteQualityOut:
    return SiteQualityOut(
        site_id=q.site_id,
        start=q.period.start,
        end=q.period.end,
        interval=q.period.interval.value,
        step_minutes=int(q.period.step.total_seconds() // 60),
        last_seen=q.last_seen,
        online=q.online,
        completeness=CompletenessOut.of(q.completeness),
        parameters=[
            ParameterQualityOut(parameter=p.parameter, completeness=CompletenessOut.of(p.completeness), flags=p.flags)
            for p in q.parameters
        ],
        flags=q.flags,
        issues=[
            IssueOut(kind=i.kind.value, parameter=i.parameter, start=i.start, end=i.end, detail=i.detail)
            for i in q.issues
        ],
        rejected=q.rejected,
        devices=[
            DeviceStatusOut(mn=d.mn, interval_minutes=d.interval_minutes, last_seen=d.last_seen, online=d.online)
            for d in q.devices
        ],
    )
