"""The penalty settings (`/penalties/settings`): the time limits and thresholds, the discretion benchmark (as JSON),
each saved as a version valid from a chosen day, and the bureau's Word template of each document."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.identity.enums import Category
from ecoloop.penalties import clock, discretion, documents, service
from ecoloop.penalties.enums import DocumentKind
from ecoloop.penalties.models import PenaltyBenchmark, PenaltyConfig
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import FieldError, PostedFields, filter_choice, local_today, required_day
from ecoloop.web.templating import render

router = APIRouter()
Keeper = Annotated[CurrentUser, Depends(requires(Action.VIEW_PENALTIES, Action.MANAGE_PENALTY_RULES))]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The settings' fields in the form's order, with their labels.
LIMIT_LABELS = {
    "register_days": N_("Register within (days of discovery)"),
    "decision_days": N_("Decide within (days of registration)"),
    "extension_days": N_("An extension of at most (days)"),
    "statement_days": N_("Statement and defence within (days of the notice)"),
    "hearing_request_days": N_("Hearing asked within (days of the notice)"),
    "hearing_notice_days": N_("Hearing announced at least (days before)"),
    "service_days": N_("Decision served within (days)"),
    "payment_days": N_("Fine paid within (days of service)"),
    "late_fee_percent": N_("Late payment fine (percent of the fine a day)"),
    "hearing_fine_threshold": N_("Right to a hearing from a fine of (yuan)"),
    "collective_fine_threshold": N_("Collective discussion from a fine of (yuan)"),
    "due_soon_days": N_("Worklists show limits due within (days)"),
    "number_prefix": N_("Case number prefix"),
}
UNIT_LABELS = {clock.Unit.WORKING: N_("working days"), clock.Unit.CALENDAR: N_("calendar days")}
ERRORS = {
    "invalid": N_("Every value must be a number."),
    "days": N_("A time limit is 1 to 365 days."),
    "late_fee": N_("The late payment fine is more than 0 and at most 10 % a day."),
    "thresholds": N_("The hearing threshold must not exceed the collective discussion threshold."),
    "prefix": N_("The prefix is at most 20 characters."),
    "day": N_("Write the day as 2027-01-01."),
    "benchmark": N_("The benchmark cannot be used: %(detail)s"),
}
BENCHMARK_ERRORS = {
    "shape": N_("a row is incomplete"),
    "text": N_("a name, provision or code is missing or too long"),
    "weight": N_("a weight must be more than 0, and a factor needs levels"),
    "score": N_("a level's score must be between 0 and 1"),
    "range": N_("a range must have its minimum at most its maximum (a share at most 100 per cent)"),
    "duplicate": N_("a code is used twice"),
    "unknown_factor": N_("a violation names a factor that does not exist"),
    "category": N_("a violation has no valid category"),
    "band": N_("the band is 0 to 0.5 and the reduction ratio between 0 and 1"),
    "empty": N_("the table has no violation"),
}


def _said(key: str) -> str:
    """A message of ERRORS in the user's language."""
    return gettext(ERRORS[key])


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    *,
    limits: clock.Limits | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    today = local_today(settings)
    benchmark, _ = service.benchmark_for(db, today)
    context: dict[str, Any] = {
        "limits": limits or service.limits_for(db, today),
        "labels": {"limits": LIMIT_LABELS, "units": UNIT_LABELS},
        "unit_choices": list(clock.Unit),
        "valid_from": today.isoformat(),
        "benchmark": benchmark,
        "categories": list(Category),
        "versions": list(db.scalars(select(PenaltyConfig).order_by(PenaltyConfig.valid_from.desc()).limit(20))),
        "benchmarks": list(db.scalars(select(PenaltyBenchmark).order_by(PenaltyBenchmark.valid_from.desc()).limit(20))),
        "templates": {kind: documents.versions(db, kind) for kind in DocumentKind},
        "kinds": list(DocumentKind),
        "tags": sorted(documents.TAGS),
        "message": message,
    }
    return render(request, "penalties/settings.html", context, user=user, status_code=status)


@router.get("/penalties/settings", include_in_schema=False)
def settings_page(request: Request, db: DbSession, user: Keeper, settings: SettingsDep) -> Response:
    """The limits and the benchmark that apply today, their versions, and the templates."""
    return _page(request, db, user, settings)


@router.post("/penalties/settings", include_in_schema=False)
def save_limits(request: Request, db: UnitOfWork, user: Keeper, settings: SettingsDep, form: PostedFields) -> Response:
    """Keep new time limits from a day on."""
    values = {key: next((v for k, v in form if k == key), "")[:40] for key in (*LIMIT_LABELS, "short_unit")}
    try:
        day = required_day(next((v for k, v in form if k == "valid_from"), "")[:20])
        limits = clock.check_limits(values)
    except FieldError:
        return _page(request, db, user, settings, message=_said("day"), status=422)
    except clock.LimitsError as exc:
        return _page(request, db, user, settings, message=_said(exc.code), status=422)
    service.save_limits(db, limits, day, user.user.display_name, utcnow())
    return RedirectResponse("/penalties/settings", status_code=303)


# Bounds of the benchmark's form: rows of each kind read at most.
MAX_ROWS = {"v": 200, "f": 50, "c": 100}
MAX_LEVELS = 20


def table_from_form(form: list[tuple[str, str]]) -> dict[str, Any]:
    """The benchmark's JSON from its form: one row per violation (`v3_code`, `v3_factors` repeated…), factor
    (`f1_code`, with its levels `f1_l2_code`…) and condition (`c0_kind`…); rows without a code are left out."""
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for key, value in form:
        values.setdefault(key, value[:2000])
        lists.setdefault(key, []).append(value[:32])

    def row(prefix: str, names: tuple[str, ...]) -> dict[str, str]:
        return {name: values.get(f"{prefix}_{name}", "").strip() for name in names}

    factors = []
    for i in range(MAX_ROWS["f"]):
        factor = row(f"f{i}", ("code", "name", "weight"))
        levels = [row(f"f{i}_l{j}", ("code", "name", "score")) for j in range(MAX_LEVELS)]
        if factor["code"]:
            factors.append({**factor, "levels": [lv for lv in levels if lv["code"]]})
    violations = []
    for i in range(MAX_ROWS["v"]):
        names = ("code", "name", "category", "violated", "basis", "minimum", "maximum", "base", "measures")
        violation: dict[str, Any] = row(f"v{i}", names)
        if violation["code"]:
            violation["factors"] = [code for code in lists.get(f"v{i}_factors", []) if code]
            violations.append(violation)
    conditions: dict[str, list[dict[str, Any]]] = {"no_penalty": [], "reduced": []}
    for i in range(MAX_ROWS["c"]):
        condition: dict[str, Any] = row(f"c{i}", ("kind", "code", "text", "basis"))
        if condition["code"] and condition["kind"] in conditions:
            kind = condition.pop("kind")
            condition["violations"] = values.get(f"c{i}_violations", "").replace(",", " ").split()
            conditions[kind].append(condition)
    return {
        "band": values.get("band", "").strip(),
        "reduction_ratio": values.get("reduction_ratio", "").strip(),
        "factors": factors,
        "violations": violations,
        **conditions,
    }


@router.post("/penalties/settings/benchmark", include_in_schema=False)
def save_benchmark(
    request: Request, db: UnitOfWork, user: Keeper, settings: SettingsDep, form: PostedFields
) -> Response:
    """Keep a new discretion benchmark from a day on (checked: codes, ranges, weights, scores)."""
    try:
        day = required_day(next((v for k, v in form if k == "valid_from"), "")[:20])
        service.save_benchmark(db, table_from_form(form), day, user.user.display_name, utcnow())
    except FieldError:
        return _page(request, db, user, settings, message=_said("day"), status=422)
    except discretion.BenchmarkError as exc:
        db.rollback()
        detail = gettext(BENCHMARK_ERRORS.get(exc.code, BENCHMARK_ERRORS["shape"]))
        message = _said("benchmark") % {"detail": f"{detail} {exc.detail}".strip()}
        return _page(request, db, user, settings, message=message, status=422)
    return RedirectResponse("/penalties/settings", status_code=303)


def _kind(kind: str) -> DocumentKind:
    chosen = filter_choice(DocumentKind, kind)
    if chosen is None:
        raise HTTPException(404)
    return chosen


@router.get("/penalties/settings/templates/{kind}.docx", include_in_schema=False)
def template_download(db: DbSession, user: Keeper, settings: SettingsDep, kind: str) -> Response:
    """The template in use for a document (the bureau's newest, or the built-in one), to edit in Word or WPS."""
    chosen = _kind(kind)
    data, version = documents.current_template(db, settings.data_dir, chosen)
    name = f"{gettext(chosen.label)}-v{version}.docx"
    disposition = f"attachment; filename=\"template.docx\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=DOCX, headers={"Content-Disposition": disposition})


@router.post("/penalties/settings/templates/{kind}", include_in_schema=False)
def template_upload(
    request: Request,
    db: UnitOfWork,
    user: Keeper,
    settings: SettingsDep,
    kind: str,
    file: Annotated[UploadFile | None, File()] = None,
    reset: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """A new version of a document's template, checked first; or back to the built-in one (`reset=1`)."""
    chosen = _kind(kind)
    data = None
    if reset != "1":
        data = file.file.read(documents.MAX_TEMPLATE_BYTES + 1) if file is not None else b""
        try:
            documents.check_template(chosen, data, documents.sample_values(chosen))
        except documents.TemplateRefusedError as exc:
            message = gettext(documents.TEMPLATE_ERRORS[exc.code])
            return _page(request, db, user, settings, message=message, status=422)
    documents.save_template(db, settings.data_dir, chosen, data, user.user.display_name, utcnow())
    return RedirectResponse("/penalties/settings", status_code=303)
