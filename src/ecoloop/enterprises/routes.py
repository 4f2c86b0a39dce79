"""Enterprise file pages (一企一档): the enterprise list with filters, one enterprise's file with the forms that
keep it (a correction request among them), supervision lists over time, the Excel exports, and the enterprise file
in the JSON API. The review of correction requests is in `correction_routes`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible
from ecoloop.analytics.sites import StoredReadings
from ecoloop.db.base import RowId, utcnow
from ecoloop.enterprises import queries, sections, service
from ecoloop.enterprises.enums import Averaging, EnterpriseStatus, OutletKind, PerformanceGrade, PermitClass
from ecoloop.enterprises.export import EnterpriseFile, enterprise_workbook
from ecoloop.enterprises.models import Enterprise, ListMembership, Outlet, Permit
from ecoloop.enterprises.queries import EnterpriseFilter
from ecoloop.enterprises.rules import INDUSTRY_SECTIONS, industry_section
from ecoloop.enterprises.service import EnterpriseError
from ecoloop.i18n import N_, gettext
from ecoloop.monitoring import assess
from ecoloop.monitoring import queries as monitoring_queries
from ecoloop.monitoring.models import Site
from ecoloop.readings import parameters
from ecoloop.readings.rules import time_refusal
from ecoloop.readings.store import HotStore, time_window
from ecoloop.readings.vocabulary import INTERVAL_LABELS, Interval
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import get_region_by_code, list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import filter_choice, filter_day, local_today, parse_decimal, required_day, unreadable_day
from ecoloop.web.paging import PageQuery, page_of
from ecoloop.web.templating import render

router = APIRouter()


def _number(text: str) -> Decimal | None:
    return parse_decimal(text, refuse=EnterpriseError)


MAX_SITES_SHOWN = 20

ERROR_TEXT = {
    "credit_code_length": N_("A unified social credit code has 18 characters."),
    "credit_code_characters": N_("The credit code contains characters it may not have (I, O, Z, S, V)."),
    "credit_code_region_code": N_("Characters 3 to 8 of the credit code must be a region code."),
    "credit_code_check_character": N_("The check character of the credit code does not match."),
    "credit_code_taken": N_("An enterprise with this credit code is already registered."),
    "name_missing": N_("The name is missing."),
    "industry_code": N_("The industry code must be a GB/T 4754-2017 code, e.g. D4411."),
    "coordinates_incomplete": N_("Give both longitude and latitude, or neither."),
    "coordinates_out_of_range": N_("The coordinates are out of range."),
    "permit_number_missing": N_("The permit number is missing."),
    "permit_number_taken": N_("A permit with this number is already recorded."),
    "end_before_start": N_("The end date is before the start date."),
    "outlet_code_missing": N_("The outlet code is missing."),
    "outlet_code_taken": N_("This permit already has an outlet with this code."),
    "site_of_another_enterprise": N_("The monitoring site belongs to another enterprise."),
    "limit_source_missing": N_("Name the standard or permit clause the limit comes from."),
    "limit_invalid": N_("The limit must be positive, and the reference oxygen content between 0 and 21 %."),
    "limit_taken": N_("This outlet already has a limit for this pollutant and averaging period."),
    "list_code_or_name_missing": N_("The list needs a code and a name."),
    "list_code_taken": N_("A list with this code already exists."),
    "membership_overlaps": N_("The enterprise is already on this list for part of that period."),
    "already_ended": N_("This membership already ended earlier."),
    "grade_not_after_latest": N_("A new grade must start after the start of the latest grade record."),
    "reason_missing": N_("Give the reason."),
    "naive_time": N_("The time cannot be read."),
    "time_implausible": N_("The time is not a plausible data time (too early, or later than now)."),
    "nothing_proposed": N_("Propose a value or a flag."),
    "already_reviewed": N_("This request has already been reviewed."),
    "reviewer_is_enterprise": N_("An enterprise account may not review corrections."),
    "note_missing": N_("A rejection needs a note saying why."),
    "date_invalid": N_("A date cannot be read."),
    "number_invalid": N_("A number cannot be read."),
    "interval_invalid": N_("Choose the kind of data."),
    "parameter_missing": N_("The parameter is missing."),
}
# HJ 212-2017 Appendix B codes of the pollutants permits usually limit (the permit form offers them).
PERMIT_POLLUTANTS = ("a21026", "a21002", "a34013", "a21005", "a24088", "w01018", "w21003", "w21011", "w21001", "w01001")
# Labels of values that are no enum of this package (the enums carry theirs as `.label`).
LABELS = {
    "intervals": INTERVAL_LABELS,
    "flags": parameters.FLAG_LABELS,
    "pollutants": parameters.Labels(codes=PERMIT_POLLUTANTS),
    "sections": {letter: name for letter, (name, _divisions) in INDUSTRY_SECTIONS.items()},
    "later_sections": sections.TITLES,
}


def _later_sections(db: Session, p: Principal, enterprise_id: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """(key, rows) of each later section, kept by other capabilities (`ecoloop.enterprises.sections`)."""
    return sections.later_sections(db, p, enterprise_id)


# --- the enterprise list ------------------------------------------------------------------------------------------


@router.get("/enterprises", include_in_schema=False)
def enterprise_list(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
    q: Annotated[str, Query(max_length=100)] = "",
    county: Annotated[str, Query(max_length=12)] = "",
    section: Annotated[str, Query(max_length=1)] = "",
    status: Annotated[str, Query(max_length=16)] = "",
    list_code: Annotated[str, Query(alias="list", max_length=64)] = "",
    grade: Annotated[str, Query(max_length=8)] = "",
    on: Annotated[str, Query(max_length=10)] = "",
    page: PageQuery = 1,
) -> Response:
    """The enterprises in the user's area (an enterprise user sees only its own), filtered and paged (the results
    alone for htmx)."""
    p = user.principal
    day = filter_day(on) or local_today(settings)
    chosen_county = get_region_by_code(db, p, county) if county else None
    f = EnterpriseFilter(
        day=day,
        text=q.strip(),
        county=chosen_county,
        section=section if section in INDUSTRY_SECTIONS else None,
        status=filter_choice(EnterpriseStatus, status),
        list_code=list_code or None,
        grade=filter_choice(PerformanceGrade, grade),
    )
    hidden = bool(county) and chosen_county is None  # a county outside the user's area has no enterprises for them
    total = 0 if hidden else queries.count_matching(db, p, f)
    shown = page_of(total, page)
    rows = [] if hidden else queries.search_enterprises(db, p, f, limit=shown.limit, offset=shown.offset)
    chosen = {"q": f.text, "county": county, "section": section, "status": status, "list": list_code, "grade": grade}
    chosen |= {"on": on} if f.list_code or f.grade else {}
    context = {
        "enterprises": rows,
        "total": total,
        "page": shown.number,
        "pages": shown.pages,
        "query": urlencode({k: v for k, v in chosen.items() if v}),
        "chosen": chosen,
        "day": day,
        "day_error": unreadable_day(on),
        "counties": list_regions(db, p, level=RegionLevel.COUNTY),
        "lists": queries.list_lists(db),
        "statuses": list(EnterpriseStatus),
        "grades": list(PerformanceGrade),
        "labels": LABELS,
        "may_review": allowed(p, Action.REVIEW_CORRECTIONS),
        "may_request": allowed(p, Action.REQUEST_CORRECTIONS),
        "may_manage": allowed(p, Action.MANAGE_ENTERPRISES),
    }
    return render(request, "enterprises/list.html", context, user=user, fragment="enterprises/_results.html")


# --- supervision lists --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteBlock:
    """A monitoring site of the enterprise on its file: the outlets it measures, its latest values and the data
    quality of its last 24 hours (30 days for daily data)."""

    site: Site
    outlets: list[str]
    quality: assess.SiteQuality
    latest: list[assess.LatestValue]


@router.get("/enterprises/{enterprise_id:id}", include_in_schema=False)
def enterprise_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    saved: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """One enterprise's file: record, permits, monitoring, lists, grades, corrections and the later sections."""
    enterprise = visible_enterprise(db, user.principal, enterprise_id)
    # A "correct this value" link from the latest values fills in the correction form.
    prefill = {k: request.query_params[k][:40] for k in CORRECTION_FIELDS if k in request.query_params}
    failed = {"corrections": prefill} if prefill else {}
    return _file_page(request, db, user, settings, enterprise, saved=saved, failed=failed)


def _file_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    enterprise: Enterprise,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    p = user.principal
    permits = queries.permits_of(db, p, enterprise.id)
    sites = queries.sites_of(db, p, enterprise.id)
    may_manage = allowed(p, Action.MANAGE_ENTERPRISES)
    panels = sections.panels(request, db, p, enterprise.id)
    context: dict[str, Any] = {
        "panels": panels,
        "panel_scripts": list(dict.fromkeys(script for _key, panel in panels for script in panel.scripts)),
        "enterprise": enterprise,
        "section_letter": industry_section(enterprise.industry_code),
        "permits": permits,
        "sites": sites,
        "site_names": {s.id: s.name for s in sites},
        "blocks": _site_blocks(request, db, p, settings, sites[:MAX_SITES_SHOWN], permits),
        "memberships": queries.memberships_of(db, p, enterprise.id),
        "grades": queries.grades_of(db, p, enterprise.id),
        "corrections": [row.correction for row in queries.correction_rows(db, p, enterprise_id=enterprise.id)],
        "later_sections": _later_sections(db, p, enterprise.id),
        "lists": queries.list_lists(db),
        "regions": _regions_for_form(db, p, enterprise.region_id) if may_manage else [],
        "may_manage": may_manage,
        "may_request": allowed(p, Action.REQUEST_CORRECTIONS),
        "may_review": allowed(p, Action.REVIEW_CORRECTIONS),
        "today": local_today(settings),
        "statuses": list(EnterpriseStatus),
        "permit_classes": list(PermitClass),
        "outlet_kinds": list(OutletKind),
        "averagings": list(Averaging),
        "grade_choices": list(PerformanceGrade),
        "intervals": list(Interval),
        "labels": LABELS,
        "errors": {},
        "failed": {},
        **extra,
    }
    return render(request, "enterprises/detail.html", context, user=user, status_code=status)


def _site_blocks(
    request: Request, db: Session, p: Principal, settings: Settings, sites: Sequence[Site], permits: Sequence[Permit]
) -> list[SiteBlock]:
    if not sites or not allowed(p, Action.VIEW_MONITORING):
        return []
    store: HotStore = request.app.state.hot_store
    devices = monitoring_queries.devices_by_site(db, p, [s.id for s in sites])
    now = utcnow()
    outlets: dict[int, list[str]] = {}
    for permit in permits:
        for outlet in permit.outlets:
            if outlet.site_id is not None:
                outlets.setdefault(outlet.site_id, []).append(outlet.code)
    blocks = []
    with StoredReadings.of(store, settings).shared() as stored:  # one analytics backend for the page's reads
        for site in sites:
            period = assess.period_for(now, devices[site.id])
            blocks.append(
                SiteBlock(
                    site=site,
                    outlets=outlets.get(site.id, []),
                    quality=assess.assess_site(stored, site.id, devices[site.id], period, now),
                    latest=assess.latest_values(stored, site.id, period.interval, now),
                )
            )
    return blocks


@router.get("/enterprises/{enterprise_id:id}/export.xlsx", include_in_schema=False)
def enterprise_export(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
) -> Response:
    """The whole enterprise file as an Excel workbook, one sheet per section."""
    p = user.principal
    enterprise = visible_enterprise(db, p, enterprise_id)
    file = EnterpriseFile(
        enterprise=enterprise,
        permits=queries.permits_of(db, p, enterprise.id),
        memberships=queries.memberships_of(db, p, enterprise.id),
        grades=queries.grades_of(db, p, enterprise.id),
        corrections=[row.correction for row in queries.correction_rows(db, p, enterprise_id=enterprise.id)],
        site_names={s.id: f"{s.name} ({s.code})" for s in queries.sites_of(db, p, enterprise.id)},
    )
    return download(enterprise_workbook(file, settings.tz), f"enterprise-{enterprise.credit_code}.xlsx", XLSX)


# --- the forms of the file ----------------------------------------------------------------------------------------
# Each form posts to its own route. Success goes back to the file at the form's section (303); a refusal shows the
# file again with the reason at the form and the values entered (422).

CORRECTION_FIELDS = ("site_id", "parameter", "interval", "time", "current_value")


def _submit(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    enterprise_id: int,
    section: str,
    apply: Callable[[Enterprise], object],
    values: dict[str, str],
) -> Response:
    """Check the enterprise, apply the form and go back to the file (the unit of work commits)."""
    enterprise = visible_enterprise(db, user.principal, enterprise_id)
    try:
        apply(enterprise)
    except EnterpriseError as exc:
        db.rollback()
        errors = {section: error_text(exc.code)}
        failed = {section: values}
        return _file_page(request, db, user, settings, enterprise, errors=errors, failed=failed, status=422)
    return RedirectResponse(f"/enterprises/{enterprise.id}?saved={section}#{section}", status_code=303)


@router.post("/enterprises/{enterprise_id:id}", include_in_schema=False)
def enterprise_update(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    name: Annotated[str, Form(max_length=200)],
    region_id: Annotated[RowId, Form()],
    status: Annotated[EnterpriseStatus, Form()],
    industry_code: Annotated[str, Form(max_length=8)] = "",
    address: Annotated[str, Form(max_length=300)] = "",
    longitude: Annotated[str, Form(max_length=20)] = "",
    latitude: Annotated[str, Form(max_length=20)] = "",
    contact_name: Annotated[str, Form(max_length=50)] = "",
    contact_phone: Annotated[str, Form(max_length=30)] = "",
) -> Response:
    """Change the enterprise's record (not its credit code, which identifies it)."""

    def apply(enterprise: Enterprise) -> None:
        region = get_visible(db, user.principal, Region, region_id)
        if region is None:
            raise HTTPException(404)
        service.update_enterprise(
            db,
            enterprise,
            name=name,
            industry_code=industry_code.strip().upper() or None,
            address=address.strip() or None,
            region=region,
            status=status,
            longitude=_number(longitude),
            latitude=_number(latitude),
            contact_name=contact_name.strip() or None,
            contact_phone=contact_phone.strip() or None,
        )

    values = {"name": name, "industry_code": industry_code, "address": address}
    return _submit(request, db, user, settings, enterprise_id, "record", apply, values)


@router.post("/enterprises/{enterprise_id:id}/permits", include_in_schema=False)
def permit_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    number: Annotated[str, Form(max_length=40)],
    permit_class: Annotated[PermitClass, Form()],
    valid_from: Annotated[str, Form(max_length=10)],
    valid_to: Annotated[str, Form(max_length=10)],
    issued_by: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record a discharge permit."""

    def apply(enterprise: Enterprise) -> None:
        service.add_permit(
            db,
            enterprise=enterprise,
            number=number,
            permit_class=permit_class,
            valid_from=required_day(valid_from, refuse=EnterpriseError),
            valid_to=required_day(valid_to, refuse=EnterpriseError),
            issued_by=issued_by.strip() or None,
        )

    values = {"number": number, "valid_from": valid_from, "valid_to": valid_to, "issued_by": issued_by}
    return _submit(request, db, user, settings, enterprise_id, "permits", apply, values)


@router.post("/enterprises/{enterprise_id:id}/permits/{permit_id:id}/outlets", include_in_schema=False)
def outlet_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    permit_id: RowId,
    code: Annotated[str, Form(max_length=16)],
    kind: Annotated[OutletKind, Form()],
    name: Annotated[str, Form(max_length=100)] = "",
    site_id: Annotated[RowId | None, Form()] = None,
) -> Response:
    """Add an outlet to a permit, linked to the enterprise's monitoring site that measures it."""

    def apply(enterprise: Enterprise) -> None:
        permit = get_visible(db, user.principal, Permit, permit_id)
        site = get_visible(db, user.principal, Site, site_id) if site_id is not None else None
        if permit is None or permit.enterprise_id != enterprise.id or (site_id is not None and site is None):
            raise HTTPException(404)
        service.add_outlet(db, permit=permit, code=code, name=name, kind=kind, site=site)

    return _submit(request, db, user, settings, enterprise_id, "permits", apply, {"code": code, "name": name})


@router.post("/enterprises/{enterprise_id:id}/outlets/{outlet_id:id}/limits", include_in_schema=False)
def limit_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    outlet_id: RowId,
    pollutant: Annotated[str, Form(min_length=1, max_length=16)],
    limit_value: Annotated[str, Form(max_length=20)],
    unit: Annotated[str, Form(min_length=1, max_length=16)],
    averaging: Annotated[Averaging, Form()],
    source: Annotated[str, Form(max_length=200)],
    reference_o2: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Add a permitted concentration limit at an outlet."""

    def apply(enterprise: Enterprise) -> None:
        outlet = get_visible(db, user.principal, Outlet, outlet_id)
        if outlet is None or outlet.permit.enterprise_id != enterprise.id:
            raise HTTPException(404)
        value = _number(limit_value)
        if value is None:
            raise EnterpriseError("number_invalid")
        service.add_limit(
            db,
            outlet=outlet,
            pollutant=pollutant.strip(),
            limit_value=value,
            unit=unit.strip(),
            source=source,
            averaging=averaging,
            reference_o2=_number(reference_o2),
        )

    values = {"pollutant": pollutant, "limit_value": limit_value, "unit": unit, "source": source}
    return _submit(request, db, user, settings, enterprise_id, "permits", apply, values)


@router.post("/enterprises/{enterprise_id:id}/memberships", include_in_schema=False)
def membership_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    list_code: Annotated[str, Form(max_length=64)],
    start: Annotated[str, Form(max_length=10)],
    end: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=300)] = "",
    document: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Put the enterprise on a list for a period (no end: until further notice)."""

    def apply(enterprise: Enterprise) -> None:
        supervision_list = queries.list_by_code(db, list_code)
        if supervision_list is None:
            raise HTTPException(404)
        service.add_membership(
            db,
            supervision_list=supervision_list,
            enterprise=enterprise,
            start=required_day(start, refuse=EnterpriseError),
            end=required_day(end, refuse=EnterpriseError) if end else None,
            reason=reason.strip(),
            document=document.strip(),
        )

    values = {"list_code": list_code, "start": start, "end": end, "reason": reason, "document": document}
    return _submit(request, db, user, settings, enterprise_id, "memberships", apply, values)


@router.post("/enterprises/{enterprise_id:id}/memberships/{membership_id:id}/end", include_in_schema=False)
def membership_end(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    membership_id: RowId,
    end: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """Take the enterprise off a list: `end` is its last day on it."""

    def apply(enterprise: Enterprise) -> None:
        membership = get_visible(db, user.principal, ListMembership, membership_id)
        if membership is None or membership.enterprise_id != enterprise.id:
            raise HTTPException(404)
        service.end_membership(db, membership, required_day(end, refuse=EnterpriseError), reason=reason.strip())

    return _submit(request, db, user, settings, enterprise_id, "memberships", apply, {})


@router.post("/enterprises/{enterprise_id:id}/grades", include_in_schema=False)
def grade_set(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ENTERPRISES))],
    settings: SettingsDep,
    enterprise_id: RowId,
    grade: Annotated[PerformanceGrade, Form()],
    start: Annotated[str, Form(max_length=10)],
    document: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Give the enterprise a performance grade from a date on (the grade before it ends the day before)."""

    def apply(enterprise: Enterprise) -> None:
        service.set_grade(
            db,
            enterprise=enterprise,
            grade=grade,
            start=required_day(start, refuse=EnterpriseError),
            document=document.strip(),
        )

    values = {"grade": grade.value, "start": start, "document": document}
    return _submit(request, db, user, settings, enterprise_id, "grades", apply, values)


@router.post("/enterprises/{enterprise_id:id}/corrections", include_in_schema=False)
def correction_request(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.REQUEST_CORRECTIONS))],
    settings: SettingsDep,
    enterprise_id: RowId,
    site_id: Annotated[RowId, Form()],
    parameter: Annotated[str, Form(max_length=32)],
    interval: Annotated[str, Form(max_length=16)],
    time: Annotated[str, Form(max_length=40)],
    reason: Annotated[str, Form(max_length=2000)],
    current_value: Annotated[str, Form(max_length=20)] = "",
    proposed_value: Annotated[str, Form(max_length=20)] = "",
    proposed_flag: Annotated[str, Form(pattern="^[NFMSDCTB]?$")] = "",
) -> Response:
    """An enterprise asks to correct a stored reading of one of its own sites; the bureau reviews it."""

    def apply(enterprise: Enterprise) -> None:
        site = get_visible(db, user.principal, Site, site_id)
        if site is None or site.enterprise_id != enterprise.id:
            raise HTTPException(404)
        if interval not in Interval._value2member_map_:
            raise EnterpriseError("interval_invalid")
        if not parameter.strip():
            raise EnterpriseError("parameter_missing")
        service.request_correction(
            db,
            user=user.user,
            site=site,
            parameter=parameter.strip(),
            interval=interval,
            time=_moment(time, settings),
            current_value=_number(current_value),
            proposed_value=_number(proposed_value),
            proposed_flag=proposed_flag or None,
            reason=reason,
        )

    values = {"site_id": str(site_id), "parameter": parameter, "interval": interval, "time": time}
    values |= {"current_value": current_value, "proposed_value": proposed_value, "reason": reason}
    return _submit(request, db, user, settings, enterprise_id, "corrections", apply, values)


# --- helpers ------------------------------------------------------------------------------------------------------


def visible_enterprise(db: Session, p: Principal, enterprise_id: int) -> Enterprise:
    """The enterprise if the user may see it, else 404."""
    enterprise = queries.get_enterprise(db, p, enterprise_id)
    if enterprise is None:
        raise HTTPException(404)
    return enterprise


def _moment(text: str, settings: Settings) -> datetime:
    try:
        moment = assess.parse_moment(text, settings.tz)
    except ValueError:
        moment = None
    if moment is None:
        raise EnterpriseError("naive_time")
    if time_refusal(moment, utcnow(), time_window(settings)) is not None:  # a correction becomes a reading
        raise EnterpriseError("time_implausible")
    return moment


def error_text(code: str) -> str:
    """The message of a service refusal in the current language."""
    return gettext(ERROR_TEXT[code]) if code in ERROR_TEXT else code


def _regions_for_form(db: Session, p: Principal, current: int) -> list[Region]:
    """The regions an enterprise may be moved to: the active ones, and the one it is in (retired or not)."""
    levels = (RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE)
    return [r for r in list_regions(db, p) if r.level in levels and (r.active or r.id == current)]
