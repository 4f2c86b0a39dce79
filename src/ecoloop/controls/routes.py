"""Pages of the control list (应急减排清单): the list of the user's area with its measures and the counties'
reductions against the required shares, an enterprise's entry, the measure templates, the counties' baseline
inventories and the Excel workbook. An enterprise account sees its own entry only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.roles import Role
from ecoloop.controls import forms, service, views
from ecoloop.controls.enums import GuideIndustry, Livelihood, MeasureKind, Pollutant, TruckRule
from ecoloop.controls.export import control_workbook
from ecoloop.controls.imports import import_list
from ecoloop.controls.imports import template as import_template
from ecoloop.controls.queries import templates
from ecoloop.controls.rules import DEFAULT_MEASURES, GRADES, LEVELS, RequiredShares
from ecoloop.controls.service import ControlError
from ecoloop.db.base import RowId, utcnow
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.i18n import N_, gettext
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import PostedFields, filter_choice, filter_day, local_today
from ecoloop.web.imports import add_import_page
from ecoloop.web.templating import render

router = APIRouter()
add_import_page(
    router,
    "/controls/import",
    action=Action.MANAGE_CONTROL_LISTS,
    title=N_("Import the emergency control list"),
    back=("/controls", N_("Emergency control list")),
    importer_for=lambda settings: partial(import_list, today=local_today(settings)),
    template=import_template,
    filename="应急减排清单导入模板.xlsx",
)
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_CONTROL_LISTS))]
Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_CONTROL_LISTS))]
VOCAB = {
    "industries": list(GuideIndustry),
    "grades": GRADES,
    "levels": LEVELS,
    "kinds": list(MeasureKind),
    "trucks": list(TruckRule),
    "livelihoods": list(Livelihood),
    "pollutants": list(Pollutant),
    "describe": views.describe,
}


def required_shares(settings: Settings) -> RequiredShares:
    """The shares the city's settings require at each level."""
    return RequiredShares(
        Decimal(settings.control_share_yellow_percent) / 100,
        Decimal(settings.control_share_orange_percent) / 100,
        Decimal(settings.control_share_red_percent) / 100,
    )


def _filters(county: str, industry: str, grade: str) -> views.Filters:
    county_id = int(county) if county.isascii() and county.isdigit() and len(county) < 10 else None
    return views.Filters(county_id, filter_choice(GuideIndustry, industry), filter_choice(PerformanceGrade, grade))


@router.get("/controls", include_in_schema=False)
def control_list(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    county: Annotated[str, Query(max_length=12)] = "",
    industry: Annotated[str, Query(max_length=24)] = "",
    grade: Annotated[str, Query(max_length=12)] = "",
    on: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The enterprises of the user's area on the list on a day with their measures at each level, and each
    county's reductions against the required shares."""
    return _list_page(request, db, user, settings, _filters(county, industry, grade), on)


def _list_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    filters: views.Filters,
    on: str = "",
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    day = filter_day(on) or local_today(settings)
    rows = views.list_rows(db, user.principal, day, filters)
    own = user.principal.role is Role.ENTERPRISE
    context = {
        **VOCAB,
        "rows": rows,
        "day": day,
        "filters": filters,
        "counties": views.counties(db, user.principal),
        "summaries": [] if own else views.county_summaries(db, user.principal, rows, required_shares(settings)),
        "may_manage": allowed(user.principal, Action.MANAGE_CONTROL_LISTS),
        "own": own,
        "in_force": views.in_force(db, utcnow()),
        **extra,
    }
    return render(request, "controls/list.html", context, user=user, status_code=status)


@router.get("/controls/mine", include_in_schema=False)
def mine(user: Viewer) -> Response:
    """An enterprise account's own entry (others: the list)."""
    if user.principal.enterprise_id is None:
        return RedirectResponse("/controls", status_code=303)
    return RedirectResponse(f"/controls/{user.principal.enterprise_id}", status_code=303)


@router.post("/controls", include_in_schema=False)
def add(request: Request, db: UnitOfWork, user: Manager, settings: SettingsDep, fields: PostedFields) -> Response:
    """Put an enterprise of the user's area on the list."""
    form = dict(fields)
    try:
        enterprise_id = forms.enterprise_of(db, user.principal, form.get("enterprise", ""))
        service.add_to_list(
            db, user.principal, enterprise_id, **forms.entry_fields(form), **forms.since(form, local_today(settings))
        )
    except ControlError as exc:
        db.rollback()
        error = service.error_text(exc)
        return _list_page(request, db, user, settings, views.Filters(), status=422, error=error, values=form)
    return RedirectResponse(f"/controls/{enterprise_id}", status_code=303)


@router.post("/controls/generate", include_in_schema=False)
def generate(request: Request, db: UnitOfWork, user: Manager, settings: SettingsDep) -> Response:
    """Generate the list from the enterprise registry: every graded enterprise of the user's area, and every one of
    the guide's industries with a flue-gas outlet, not yet on it, from today on."""
    added = service.generate_from_registry(db, user.principal, since=local_today(settings))
    notice = gettext("%(count)s enterprises were put on the list from the enterprise registry.") % {"count": len(added)}
    return _list_page(request, db, user, settings, views.Filters(), notice=notice)


@router.get("/controls/export.xlsx", include_in_schema=False)
def export(
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    county: Annotated[str, Query(max_length=12)] = "",
    industry: Annotated[str, Query(max_length=24)] = "",
    grade: Annotated[str, Query(max_length=12)] = "",
    on: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The list as the usual workbook: identity, emissions and, per level, the measure and the reductions; a
    summary sheet per county."""
    day = filter_day(on) or local_today(settings)
    rows = views.list_rows(db, user.principal, day, _filters(county, industry, grade))
    own = user.principal.role is Role.ENTERPRISE
    summaries = [] if own else views.county_summaries(db, user.principal, rows, required_shares(settings))
    return download(control_workbook(rows, summaries, day), f"control-list-{day.isoformat()}.xlsx", XLSX)


@router.get("/controls/measures", include_in_schema=False)
def measures(request: Request, db: DbSession, user: Viewer) -> Response:
    """The measure of every guide industry, grade and level: the city's where it set one, else the default."""
    return _measures_page(request, db, user)


def _measures_page(request: Request, db: Session, user: CurrentUser, *, status: int = 200, **extra: Any) -> Response:
    context = {
        **VOCAB,
        "table": templates(db),
        "defaults": DEFAULT_MEASURES,
        "may_change": user.principal.role in (Role.ADMIN, Role.ANALYST),
        **extra,
    }
    return render(request, "controls/measures.html", context, user=user, status_code=status)


@router.post("/controls/measures", include_in_schema=False)
def set_measure(request: Request, db: UnitOfWork, user: Manager, fields: PostedFields) -> Response:
    """Set (or, with `reset`, go back to the default of) one industry's measure at a grade and level."""
    form = dict(fields)
    try:
        key = forms.template_key(form)
        if form.get("reset"):
            service.reset_template(db, user.principal, industry=key[0], grade=key[1], level=key[2])
        else:
            measure = forms.measure(form)
            source = form.get("source", "")
            service.set_template(
                db, user.principal, industry=key[0], grade=key[1], level=key[2], measure=measure, source=source
            )
    except ControlError as exc:
        db.rollback()
        return _measures_page(request, db, user, status=422, error=service.error_text(exc))
    return RedirectResponse(f"/controls/measures#{key[0].value}", status_code=303)


@router.get("/controls/baselines", include_in_schema=False)
def baselines(request: Request, db: DbSession, user: Viewer) -> Response:
    """The counties' whole-society emissions per pollutant (the denominators of the shares)."""
    return _baselines_page(request, db, user)


def _baselines_page(request: Request, db: Session, user: CurrentUser, *, status: int = 200, **extra: Any) -> Response:
    context = {
        **VOCAB,
        "counties": views.counties(db, user.principal),
        "baselines": views.baselines(db, user.principal),
        "may_manage": allowed(user.principal, Action.MANAGE_CONTROL_LISTS),
        **extra,
    }
    return render(request, "controls/baselines.html", context, user=user, status_code=status)


@router.post("/controls/baselines", include_in_schema=False)
def set_baselines(request: Request, db: UnitOfWork, user: Manager, fields: PostedFields) -> Response:
    """Set one county's inventory."""
    form = dict(fields)
    try:
        region_id, values, year, source = forms.baseline(form)
        service.set_baselines(db, user.principal, region_id, values, year=year, source=source)
    except ControlError as exc:
        db.rollback()
        return _baselines_page(request, db, user, status=422, error=service.error_text(exc))
    return RedirectResponse("/controls/baselines", status_code=303)


@router.get("/controls/{enterprise_id:id}", include_in_schema=False)
def entry_page(request: Request, db: DbSession, user: Viewer, settings: SettingsDep, enterprise_id: RowId) -> Response:
    """One enterprise's entry: its measures at each level, its own measures, staggered windows and emissions."""
    return _entry_page(request, db, user, settings, enterprise_id)


def _entry_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    enterprise_id: int,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    detail = views.entry_detail(db, user.principal, enterprise_id, local_today(settings))
    if detail is None:
        raise HTTPException(404)
    context = {
        **VOCAB,
        "d": detail,
        "today": local_today(settings),
        "current": views.in_force(db, utcnow()).level_of(detail.enterprise.region.path),
        "may_manage": allowed(user.principal, Action.MANAGE_CONTROL_LISTS),
        **extra,
    }
    return render(request, "controls/entry.html", context, user=user, status_code=status)


@router.post("/controls/{enterprise_id:id}/{part}", include_in_schema=False)
def change(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    enterprise_id: RowId,
    part: str,
    fields: PostedFields,
) -> Response:
    """Change one part of an entry: `entry`, `remove`, `override`, `windows` or `emissions`."""
    if part not in forms.PARTS:
        raise HTTPException(404)
    try:
        forms.PARTS[part](db, user.principal, enterprise_id, fields, _today(settings))
    except ControlError as exc:
        db.rollback()
        return _entry_page(request, db, user, settings, enterprise_id, status=422, error=service.error_text(exc))
    return RedirectResponse(f"/controls/{enterprise_id}", status_code=303)


def _today(settings: Settings) -> date:
    return local_today(settings)
