"""The electricity pages (用电监控): the meters of the reader's area with the flags of the current or last warning,
a meter's curve against its allowed level and its mapping, the checks' parameters, and the imports of readings;
`POST /api/v1/electricity/readings` for the grid's or a vendor's feed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from ecoloop.access.actions import Action, allowed
from ecoloop.access.scope import get_visible
from ecoloop.db.base import RowId, utcnow
from ecoloop.electricity import charts, queries, service
from ecoloop.electricity.archive import root_of
from ecoloop.electricity.enums import FlagKind, MeterInterval, MeterTarget, ReadingOrigin
from ecoloop.electricity.imports import FILE_ERROR_TEXT, MAX_BYTES, FileError, read_file, template_csv
from ecoloop.electricity.models import Meter, ReadingImport
from ecoloop.electricity.rules import Parameters
from ecoloop.electricity.schemas import ReadingsIn, ReadingsResult, RefusedOut
from ecoloop.i18n import N_, gettext
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import PostedFields, RawBody
from ecoloop.web.limits import sheet_limits
from ecoloop.web.templating import render

router = APIRouter()
E = TypeVar("E", MeterTarget, MeterInterval)
TOO_LARGE = "too_large"
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_ELECTRICITY))]
Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_ELECTRICITY))]
Text = Annotated[str, Form(max_length=200)]

METER_ERRORS = {
    "number": N_("A meter number is 1 to 64 characters."),
    "number_taken": N_("Another meter has this number."),
    "source": N_("The source is at most 100 characters."),
    "enterprise": N_("No enterprise you may see has this credit code."),
    "line": N_("Choose one of the enterprise's lines or facilities."),
    "line_kind": N_("A production meter measures a production line, a treatment meter a treatment facility."),
    "line_for_enterprise": N_("A whole-enterprise meter measures no single line."),
}
REASONS = {
    "meter_missing": N_("No meter number"),
    "meter_unknown": N_("No meter you may submit for has this number"),
    "time_invalid": N_("The time cannot be read"),
    "time_out_of_range": N_("The time is before 2000 or after the server's clock"),
    "time_not_aligned": N_("The time is not the start of the meter's interval"),
    "value_invalid": N_("The kWh is not a number"),
    "value_out_of_range": N_("The kWh is negative or implausibly large"),
}
PARAMETER_LABELS = {
    "weeks": N_("Weeks of history the normal load is learned from"),
    "min_samples": N_("Fewest days of a weekday before all weekdays are used"),
    "maintenance_share": N_("A day below this share of the usual day is maintenance (left out)"),
    "residual": N_("Residual load of a stopped line (share of normal)"),
    "k": N_("Tolerance in robust standard deviations (k)"),
    "sigma_floor": N_("Smallest standard deviation (share of normal load)"),
    "min_run": N_("Slots in a row above the allowed level to flag"),
    "min_share": N_("Or this share of the limited slots"),
    "production_on": N_("Production counts as running from this share of its normal load"),
    "treatment_off": N_("Treatment counts as off below this share of its normal load"),
    "treatment_run": N_("Slots in a row of treatment off while producing to flag"),
    "missing_run": N_("Slots in a row without data to flag"),
}
# The label tables the templates translate from (`labels.<table>[key]`).
LABELS: dict[str, Mapping[Any, str]] = {
    "targets": {t: t.label for t in MeterTarget},
    "intervals": {i: i.label for i in MeterInterval},
    "flags": {f: f.label for f in FlagKind},
    "origins": {o: o.label for o in ReadingOrigin},
    "reasons": REASONS,
    "parameters": PARAMETER_LABELS,
}


@router.get("/electricity", include_in_schema=False)
def index(request: Request, db: DbSession, user: Viewer, settings: SettingsDep) -> Response:
    """The meters of the reader's area and the flags of the current or last warning."""
    shown = queries.latest_warning(db, utcnow())
    found = queries.flags(db, user.principal, shown.warning_id) if shown else []
    meters = queries.meters(db, user.principal)
    context = {
        "shown": shown,
        "flags": found,
        "meters": meters,
        "last": queries.last_readings(db, [m.id for m in meters], root_of(settings)),
        "labels": LABELS,
        "may_manage": allowed(user.principal, Action.MANAGE_ELECTRICITY),
        "message": request.query_params.get("checked", "")[:20],
    }
    return render(request, "electricity/index.html", context, user=user)


@router.post("/electricity/check", include_in_schema=False)
def check_now(db: UnitOfWork, user: Manager, settings: SettingsDep) -> Response:
    """Run the warnings' checks now (as the scheduler does every 15 minutes)."""
    checked = service.run_checks(db, utcnow(), settings.tz, root=root_of(settings))
    return RedirectResponse(f"/electricity?checked={sum(len(c.flags) for c in checked)}", status_code=303)


@router.get("/electricity/meters/new", include_in_schema=False)
def meter_new(request: Request, user: Manager) -> Response:
    """The form of a new meter."""
    return _meter_form(request, user, {})


def _meter_form(
    request: Request, user: CurrentUser, form: dict[str, str], error: str = "", status: int = 200
) -> Response:
    context = {"form": form, "error": error, "labels": LABELS}
    return render(request, "electricity/meter_new.html", context, user=user, status_code=status)


@router.post("/electricity/meters", include_in_schema=False)
def meter_create(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    number: Text = "",
    credit_code: Text = "",
    target: Text = "",
    line: Text = "",
    interval: Text = "",
    source: Text = "",
) -> Response:
    """Add a meter to an enterprise (by its credit code) and one of its lines (by name)."""
    form = {"number": number, "credit_code": credit_code, "target": target, "line": line, "interval": interval}
    form["source"] = source
    enterprise = queries.enterprise_by_code(db, user.principal, credit_code.strip())
    try:
        if enterprise is None:
            raise service.MeterError("enterprise")
        line_id = queries.line_id(db, enterprise.id, line.strip()) if line.strip() else None
        meter = service.save_meter(
            db,
            number=number,
            enterprise_id=enterprise.id,
            target=_choice(MeterTarget, target),
            line_id=line_id,
            interval=_choice(MeterInterval, interval),
            source=source,
        )
    except service.MeterError as exc:
        return _meter_form(request, user, form, gettext(METER_ERRORS[exc.code]), 422)
    return RedirectResponse(f"/electricity/meters/{meter.id}", status_code=303)


def _choice(enum: type[E], value: str) -> E:
    if value not in enum._value2member_map_:
        raise HTTPException(422, gettext("Some fields are missing or invalid."))
    return enum(value)


@router.get("/electricity/meters/{meter_id:id}", include_in_schema=False)
def meter_page(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    meter_id: RowId,
    warning: Annotated[RowId | None, Query()] = None,
) -> Response:
    """A meter: its mapping, its load against its baseline and allowed level during the current or last warning
    (or the one named, as an alert links it), else its last seven days, and its flags."""
    found = queries.meter(db, user.principal, meter_id)
    if found is None:
        raise HTTPException(404)
    return _meter_page(request, db, user, settings, found, warning_id=warning)


def _meter_page(
    request: Request,
    db: DbSession,
    user: CurrentUser,
    settings: SettingsDep,
    meter: Meter,
    error: str = "",
    status: int = 200,
    warning_id: int | None = None,
) -> Response:
    now = utcnow()
    shown = queries.latest_warning(db, now, warning_id)
    curve = (
        queries.warning_curve(
            db, meter, shown, now=now, zone=settings.tz, params=service.parameters(db), root=root_of(settings)
        )
        if shown
        else None
    )
    chart = charts.warning_chart(curve, settings.tz) if curve else None
    recent = (
        None if chart else charts.recent_chart(queries.recent_curve(db, meter, now, root_of(settings)), settings.tz)
    )
    context = {
        "meter": meter,
        "shown": shown,
        "chart": chart,
        "recent": recent,
        "flags": queries.flags(db, user.principal, shown.warning_id, meter.id) if shown else [],
        "lines": queries.lines_of(db, meter.enterprise_id),
        "labels": LABELS,
        "may_manage": allowed(user.principal, Action.MANAGE_ELECTRICITY),
        "error": error,
    }
    return render(request, "electricity/meter.html", context, user=user, status_code=status)


@router.post("/electricity/meters/{meter_id:id}", include_in_schema=False)
def meter_save(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    meter_id: RowId,
    number: Text = "",
    target: Text = "",
    line_id: Text = "",
    interval: Text = "",
    source: Text = "",
    active: Text = "",
) -> Response:
    """Change a meter's mapping (its line or facility, what it measures, its interval and source)."""
    meter = queries.meter(db, user.principal, meter_id)
    if meter is None:
        raise HTTPException(404)
    try:
        service.save_meter(
            db,
            number=number,
            enterprise_id=meter.enterprise_id,
            target=_choice(MeterTarget, target),
            line_id=int(line_id) if line_id.isdigit() else None,
            interval=_choice(MeterInterval, interval),
            source=source,
            active=active == "on",
            meter=meter,
        )
    except service.MeterError as exc:  # refused before anything changed
        return _meter_page(request, db, user, settings, meter, gettext(METER_ERRORS[exc.code]), 422)
    return RedirectResponse(f"/electricity/meters/{meter.id}", status_code=303)


@router.get("/electricity/settings", include_in_schema=False)
def settings_page(request: Request, db: DbSession, user: Manager) -> Response:
    """The checks' parameters in force and their versions."""
    return _settings_page(request, db, user, service.parameters(db).to_json())


def _settings_page(
    request: Request, db: DbSession, user: CurrentUser, values: dict[str, object], error: str = "", status: int = 200
) -> Response:
    context = {
        "values": values,
        "labels": LABELS,
        "versions": queries.settings_versions(db),
        "error": error,
    }
    return render(request, "electricity/settings.html", context, user=user, status_code=status)


@router.post("/electricity/settings", include_in_schema=False)
def settings_save(request: Request, db: UnitOfWork, user: Manager, fields: PostedFields) -> Response:
    """Save the parameters as a new version."""
    form = dict(fields)
    values = {name: str(form.get(name, ""))[:20] for name in PARAMETER_LABELS}
    try:
        params = Parameters.from_json(values)
    except ValueError:
        return _settings_page(request, db, user, dict(values), gettext("Every value must be a number."), 422)
    if params.problems():
        message = gettext("Out of range: %(names)s") % {
            "names": ", ".join(gettext(PARAMETER_LABELS[n]) for n in params.problems())
        }
        return _settings_page(request, db, user, dict(values), message, 422)
    service.save_parameters(db, params, username=user.user.display_name, now=utcnow())
    return RedirectResponse("/electricity/settings", status_code=303)


def _upload_size(request: Request) -> None:
    """Refuse an oversized upload from its Content-Length, before the body is read (multipart overhead allowed)."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BYTES + 64 * 1024:
        raise HTTPException(413, gettext(FILE_ERROR_TEXT[TOO_LARGE]) % {"value": MAX_BYTES // (1024 * 1024)})


@router.get("/electricity/imports", include_in_schema=False)
def imports_page(request: Request, db: DbSession, user: Manager) -> Response:
    """The upload form and the latest imports."""
    return _imports_page(request, db, user)


def _imports_page(
    request: Request, db: DbSession, user: CurrentUser, error: str = "", status: int = 200, **extra: object
) -> Response:
    context = {
        "imports": queries.imports(db, user.principal),
        "labels": LABELS,
        "max_mb": MAX_BYTES // (1024 * 1024),
        "error": error,
        **extra,
    }
    return render(request, "electricity/imports.html", context, user=user, status_code=status)


@router.post("/electricity/imports", include_in_schema=False)
def imports_upload(
    request: Request,
    _size: Annotated[None, Depends(_upload_size)],
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Store the valid readings of a CSV or Excel file and keep the refused rows with their reasons."""
    data = file.file.read(MAX_BYTES + 1)
    try:
        rows = read_file(file.filename or "", data, settings.tz, sheet_limits(settings))
    except FileError as exc:
        status = {"too_large": 413, "bad_type": 415}.get(exc.code, 422)
        message = gettext(FILE_ERROR_TEXT[exc.code]) % {"value": exc.detail}
        return _imports_page(request, db, user, message, status)
    result = service.store_readings(
        db,
        rows,
        service.meters_by_number(db, user.principal),
        origin=ReadingOrigin.UPLOAD,
        username=user.user.username,
        now=utcnow(),
        zone=settings.tz,
        filename=file.filename or "",
    )
    return RedirectResponse(f"/electricity/imports/{result.record.id}", status_code=303)


@router.get("/electricity/imports/template.csv", include_in_schema=False)
def imports_template(user: Manager) -> Response:
    """The file layout as a CSV template."""
    headers = {"Content-Disposition": 'attachment; filename="electricity-readings-template.csv"'}
    return Response(template_csv(), media_type="text/csv; charset=utf-8", headers=headers)


@router.get("/electricity/imports/{import_id:id}", include_in_schema=False)
def import_page(request: Request, db: DbSession, user: Manager, import_id: RowId) -> Response:
    """One import: its counts and its refused rows with their reasons."""
    record = get_visible(db, user.principal, ReadingImport, import_id)
    if record is None:
        raise HTTPException(404)
    context = {
        "record": record,
        "refused": queries.refused_rows(db, user.principal, import_id),
        "labels": LABELS,
    }
    return render(request, "electricity/import.html", context, user=user)


@router.post("/api/v1/electricity/readings", response_model=ReadingsResult, tags=["electricity"])
def api_readings(db: UnitOfWork, user: Manager, settings: SettingsDep, body: RawBody) -> ReadingsResult:
    """Store readings sent as JSON (`{"readings": [{"meter": …, "time": …, "kwh": …}]}`): each checked on its own,
    the valid stored (a reading of the same meter and time replaces the one stored), the refused named by index
    and reason and kept for inspection."""
    try:
        payload = ReadingsIn.model_validate_json(body)
    except ValidationError:
        raise HTTPException(422, "expected an object with a list 'readings' of {meter, time, kwh}") from None
    rows = [service.RawReading(i, r.meter, r.time, r.kwh) for i, r in enumerate(payload.readings)]
    result = service.store_readings(
        db,
        rows,
        service.meters_by_number(db, user.principal, [r.meter for r in payload.readings]),
        origin=ReadingOrigin.API,
        username=user.user.username,
        now=utcnow(),
        zone=settings.tz,
    )
    return ReadingsResult(
        received=result.record.rows,
        stored=result.record.stored,
        refused=result.record.refused,
        refused_by_reason=result.refused_by_reason,
        errors=[
            RefusedOut(index=r.row, reason=r.reason) for r in queries.refused_rows(db, user.principal, result.record.id)
        ],
    )
