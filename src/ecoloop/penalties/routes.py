"""Penalty cases (`/penalties`): the worklists and every case of the user's area with filters, a new case with the
benchmark's recommendation, one case with its steps, timeline, evidence and documents."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.scope import scoped
from ecoloop.cases import queries as case_queries
from ecoloop.cases.service import Acting
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_, gettext
from ecoloop.inspections import queries as inspection_queries
from ecoloop.penalties import discretion, documents, procedure, queries, service
from ecoloop.penalties.enums import ENDED, PROCEDURE, DecisionKind, DocumentKind, EvidenceKind, Stage, Suspension
from ecoloop.penalties.models import PenaltyCase
from ecoloop.penalties.procedure import Entry, ProcedureError, Step
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import FieldError, PostedFields, filter_choice, local_today, parse_day, parse_decimal
from ecoloop.web.paging import PAGE_SIZE, PageQuery, page_of
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_PENALTIES))]
Handler = Annotated[CurrentUser, Depends(requires(Action.VIEW_PENALTIES, Action.HANDLE_PENALTIES))]
Worker = Annotated[CurrentUser, Depends(requires(Action.HANDLE_PENALTIES, Action.APPROVE_PENALTIES, any_of=True))]
Short = Annotated[str, Form(max_length=40)]
Text = Annotated[str, Form(max_length=4000)]
MESSAGES = {
    "day": N_("Write the day as 2026-03-02."),
    "amount": N_("Write the amount in yuan."),
    "unexpected": N_("The step could not be taken."),
}
EVIDENCE_LIMIT = service.MAX_EVIDENCE_BYTES


def _acting(user: CurrentUser) -> Acting:
    return Acting(user.user, user.principal)


def _error(exc: Exception) -> str:
    """A refusal in the user's words."""
    if isinstance(exc, ProcedureError):
        return gettext(procedure.REASONS.get(exc.code, MESSAGES["unexpected"]))
    if isinstance(exc, service.PenaltyError):
        return gettext(service.ERRORS.get(exc.code, MESSAGES["unexpected"]))
    if isinstance(exc, FieldError):
        return _said("amount" if exc.code == "amount" else "day")
    return _said("unexpected")


def _said(key: str) -> str:
    """A message of MESSAGES in the user's language."""
    return gettext(MESSAGES[key])


# --- the list -------------------------------------------------------------------------------------------------------


@router.get("/penalties", include_in_schema=False)
def penalty_list(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    queue: Annotated[str, Query(max_length=20)] = "",
    stage: Annotated[str, Query(max_length=20)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    q: Annotated[str, Query(max_length=100)] = "",
    page: PageQuery = 1,
) -> Response:
    """The worklists (overdue, due soon, awaiting approval) and every case the user sees, newest first."""
    today = local_today(settings)
    f = queries.Filter(
        queue=queue if queue in queries.QUEUES else "",
        stage=filter_choice(Stage, stage),
        region_id=parse_row_id(region),
        text=q,
    )
    rows, total = queries.search(db, user.principal, f, today, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    shown = page_of(total, page)
    context = {
        "rows": rows,
        "filter": f,
        "page": shown,
        "total": total,
        "query": urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"]),
        "queues": queries.queue_counts(db, user.principal, today),
        "labels": {"queues": queries.QUEUE_LABELS, "dues": queries.DUE_LABELS},
        "stages": list(Stage),
        "regions": [r for r in list_regions(db, user.principal, active_only=True) if r.level is RegionLevel.COUNTY],
        "may_open": allowed(user.principal, Action.HANDLE_PENALTIES),
        "may_configure": allowed(user.principal, Action.MANAGE_PENALTY_RULES),
        "today": today,
    }
    return render(request, "penalties/list.html", context, user=user)


# --- a new case -----------------------------------------------------------------------------------------------------


def _new_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    today: date,
    values: dict[str, Any],
    *,
    advice: discretion.Recommendation | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    benchmark, _ = service.benchmark_for(db, today)
    enterprises = db.scalars(
        scoped(select(Enterprise), user.principal, Enterprise).order_by(Enterprise.name).limit(3000)
    ).all()
    officers = queries.officer_choices(db, user.principal)
    inspection = inspection_queries.get(db, user.principal, parse_row_id(values.get("inspection", "")) or 0)
    if inspection is not None:  # the inspection's officers may come from another unit (the bureau's, a draw's)
        known = {o.id for o in officers}
        officers += [o.user for o in inspection.officers if o.user_id not in known]
    context = {
        "values": values,
        "benchmark": benchmark,
        "enterprises": enterprises,
        "officers": officers,
        "advice": advice,
        "message": message,
        "today": today,
    }
    return render(request, "penalties/new.html", context, user=user, status_code=status)


@router.get("/penalties/new", include_in_schema=False)
def new_form(
    request: Request,
    db: DbSession,
    user: Handler,
    settings: SettingsDep,
    enterprise: Annotated[str, Query(max_length=12)] = "",
    inspection: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """The form of a violation found, for 立案 (an inspection's finding may fill the enterprise and its id)."""
    today = local_today(settings)
    values: dict[str, Any] = {
        "enterprise": enterprise,
        "inspection": inspection,
        "discovered_on": today.isoformat(),
        "officers": [str(user.user.id)],
        "levels": {},
        "conditions": [],
    }
    values.update(_from_inspection(db, user, parse_row_id(inspection), settings))
    return _new_page(request, db, user, today, values)


def _from_inspection(db: Session, user: CurrentUser, inspection_id: int | None, settings: Settings) -> dict[str, Any]:
    """The form's values from an inspection's findings (发现违法行为 → 立案): its enterprise, the day it was completed,
    its officers and what it found (the items not compliant with the officers' notes, then the findings' text)."""
    if inspection_id is None:
        return {}
    found = inspection_queries.findings(db, user.principal, inspection_id)
    if found is None:
        return {"inspection": ""}
    lines = [f"{f.item.text}\uff1a{f.note}" if f.note else f.item.text for f in found.items]  # a full-width colon
    if found.text:
        lines.append(found.text)
    day = found.completed_at.astimezone(settings.tz).date() if found.completed_at else found.planned_on
    return {
        "enterprise": str(found.enterprise_id),
        "discovered_on": day.isoformat(),
        "facts": "\n".join(lines),
        "officers": [str(u) for u in found.officer_ids],
    }


def _one(form: list[tuple[str, str]], key: str, limit: int = 4000) -> str:
    return next((v for k, v in form if k == key), "")[:limit]


@router.post("/penalties/new", include_in_schema=False)
def new_case(request: Request, db: UnitOfWork, user: Handler, settings: SettingsDep, form: PostedFields) -> Response:
    """Show the benchmark's recommendation (`action=preview`), or propose the case for 立案."""
    today = local_today(settings)
    benchmark, _ = service.benchmark_for(db, today)
    levels = {f.code: _one(form, f"level_{f.code}", 32) for f in benchmark.factors if _one(form, f"level_{f.code}")}
    conditions = tuple(v[:32] for k, v in form if k == "condition")[:20]
    officers = [v for k, v in form if k == "officer"][:10]
    values: dict[str, Any] = {
        key: _one(form, key) for key in ("enterprise", "inspection", "discovered_on", "facts", "violation")
    }
    values.update(
        base_amount=_one(form, "base_amount", 20),
        rectification=_one(form, "rectification"),
        deadline=_one(form, "deadline", 20),
        levels=levels,
        conditions=list(conditions),
        officers=officers,
    )
    try:
        base = parse_decimal(values["base_amount"])
        discovered = parse_day(values["discovered_on"]) or today
        deadline = parse_day(values["deadline"])
        if _one(form, "action") == "preview":
            advice = discretion.recommend(
                benchmark, values["violation"], levels, conditions=conditions, base_amount=base
            )
            return _new_page(request, db, user, today, values, advice=advice)
        new = service.NewCase(
            enterprise_id=parse_row_id(values["enterprise"]) or 0,
            discovered_on=discovered,
            facts=values["facts"],
            violation_code=values["violation"],
            officer_ids=[i for i in (parse_row_id(o) for o in officers) if i is not None],
            levels=levels,
            conditions=conditions,
            base_amount=base,
            rectification=values["rectification"],
            rectification_deadline=deadline,
            inspection_id=parse_row_id(values["inspection"]),
        )
        case = service.open_case(db, _acting(user), new, now=utcnow(), today=today)
    except discretion.BenchmarkError as exc:
        return _new_page(request, db, user, today, values, message=_error(service.PenaltyError(exc.code)), status=422)
    except (service.PenaltyError, FieldError) as exc:
        db.rollback()
        return _new_page(request, db, user, today, values, message=_error(exc), status=422)
    return RedirectResponse(f"/penalties/{case.id}", status_code=303)


# --- one case -------------------------------------------------------------------------------------------------------


def _visible(db: Session, user: CurrentUser, case_id: int) -> PenaltyCase:
    case = queries.get(db, user.principal, case_id)
    if case is None:
        raise HTTPException(404)
    return case


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    case: PenaltyCase,
    *,
    message: str = "",
    status: int = 200,
) -> Response:
    today = local_today(settings)
    p = user.principal
    facts = service.facts_of(db, case)
    leader, handler = allowed(p, Action.APPROVE_PENALTIES), allowed(p, Action.HANDLE_PENALTIES)
    steps = [
        s
        for s in procedure.candidates(facts)
        if (leader if s.leader else handler or (leader and s in procedure.EITHER_STEPS))
    ]
    enterprise = db.get(Enterprise, case.enterprise_id)
    context = {
        "c": case,
        "enterprise": enterprise,
        "unit": queries.organisation_name(db, case.organisation_id),
        "officers": queries.names(db, [o.user_id for o in case.officers]),
        "loop_case": case_queries.get_case(db, p, case.case_id) if case.case_id else None,
        "dues": queries.dues_of(db, case, today),
        "timeline": queries.timeline(db, case),
        "evidence": queries.evidence(db, case),
        "suspensions": queries.suspensions(db, case),
        "documents": documents.available(case),
        "steps": steps,
        "may_add_evidence": handler and case.stage in (Stage.REGISTERED, Stage.INVESTIGATING),
        "officer_choices": queries.officer_choices(db, p) if handler and case.stage not in ENDED else [],
        "stages": list(PROCEDURE),
        "labels": {"dues": queries.DUE_LABELS},
        "kinds": list(DecisionKind),
        "evidence_kinds": list(EvidenceKind),
        "suspension_kinds": list(Suspension),
        "message": message,
        "today": today,
    }
    return render(request, "penalties/detail.html", context, user=user, status_code=status)


@router.get("/penalties/{case_id:id}", include_in_schema=False)
def case_page(request: Request, db: DbSession, user: Viewer, settings: SettingsDep, case_id: RowId) -> Response:
    """One penalty case: where it stands, its limits, the steps the user may take, its timeline and documents."""
    return _page(request, db, user, settings, _visible(db, user, case_id))


def _entry(form: list[tuple[str, str]]) -> Entry:
    fine = parse_decimal(_one(form, "fine", 20))
    amount = parse_decimal(_one(form, "amount", 20))
    days = _one(form, "days", 4).strip()
    return Entry(
        day=parse_day(_one(form, "day", 20)),
        kind=filter_choice(DecisionKind, _one(form, "kind", 20)),
        fine=fine,
        severe_measures=_one(form, "severe", 4) == "1",
        notice_on=parse_day(_one(form, "notice_on", 20)),
        hearing_on=parse_day(_one(form, "hearing_on", 20)),
        amount=amount,
        days=int(days) if days.isdigit() else 0,
        collective=_one(form, "collective", 4) == "1",
    )


@router.post("/penalties/{case_id:id}/steps/{step}", include_in_schema=False)
def take_step(
    request: Request,
    db: UnitOfWork,
    user: Worker,
    settings: SettingsDep,
    case_id: RowId,
    step: str,
    form: PostedFields,
) -> Response:
    """Take one step of the procedure; a step out of order is refused with the reason."""
    case = _visible(db, user, case_id)
    chosen = filter_choice(Step, step)
    if chosen is None:
        raise HTTPException(404)
    version = _one(form, "version", 12)
    details = service.Details(
        note=_one(form, "note"),
        suspension=filter_choice(Suspension, _one(form, "suspension", 20)) or Suspension.OTHER,
        service_method=_one(form, "service_method", 100),
        other_measures=_one(form, "other_measures"),
        confiscation=_one(form, "confiscation"),
        reasons=_one(form, "reasons"),
    )
    try:
        service.take_step(
            db,
            case,
            _acting(user),
            chosen,
            _entry(form),
            now=utcnow(),
            today=local_today(settings),
            details=details,
            version=int(version) if version.isdigit() else None,
        )
    except (ProcedureError, service.PenaltyError, FieldError) as exc:
        db.rollback()
        return _page(request, db, user, settings, _visible(db, user, case_id), message=_error(exc), status=422)
    return RedirectResponse(f"/penalties/{case_id}", status_code=303)


@router.post("/penalties/{case_id:id}/officers", include_in_schema=False)
def change_officers(
    request: Request, db: UnitOfWork, user: Handler, settings: SettingsDep, case_id: RowId, form: PostedFields
) -> Response:
    """Name the handling officers again (two at least)."""
    case = _visible(db, user, case_id)
    chosen = [i for i in (parse_row_id(v) for k, v in form if k == "officer") if i is not None][:10]
    try:
        service.set_officers(db, case, _acting(user), chosen, utcnow())
    except service.PenaltyError as exc:
        db.rollback()
        return _page(request, db, user, settings, _visible(db, user, case_id), message=_error(exc), status=422)
    return RedirectResponse(f"/penalties/{case_id}", status_code=303)


@router.post("/penalties/{case_id:id}/evidence", include_in_schema=False)
def add_evidence(
    request: Request,
    db: UnitOfWork,
    user: Handler,
    settings: SettingsDep,
    case_id: RowId,
    description: Text = "",
    kind: Short = "",
    collected_on: Short = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Add an item of evidence, with a file or without."""
    case = _visible(db, user, case_id)
    today = local_today(settings)
    try:
        content = file.file.read(EVIDENCE_LIMIT + 1) if file is not None and file.filename else b""
        service.add_evidence(
            db,
            case,
            _acting(user),
            kind=filter_choice(EvidenceKind, kind) or EvidenceKind.OTHER,
            description=description,
            collected_on=parse_day(collected_on) or today,
            now=utcnow(),
            today=today,
            storage=evidence_root(settings),
            filename=file.filename or "" if file is not None else "",
            content=content,
        )
    except (ProcedureError, service.PenaltyError, FieldError) as exc:
        db.rollback()
        return _page(request, db, user, settings, _visible(db, user, case_id), message=_error(exc), status=422)
    return RedirectResponse(f"/penalties/{case_id}", status_code=303)


def evidence_root(settings: Settings) -> Path:
    """Where evidence files are kept by content hash under DATA_DIR."""
    return settings.data_dir / "penalties" / "evidence"


@router.get("/penalties/{case_id:id}/evidence/{item_id:id}", include_in_schema=False)
def evidence_download(db: DbSession, user: Viewer, settings: SettingsDep, case_id: RowId, item_id: RowId) -> Response:
    """An evidence file of a visible case, under its original name and type."""
    item = queries.evidence_item(db, _visible(db, user, case_id), item_id)
    if item is None or not item.sha256:
        raise HTTPException(404)
    path = service.evidence_path(evidence_root(settings), item)
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=item.content_type, filename=item.filename)


@router.get("/penalties/{case_id:id}/documents/{kind}.docx", include_in_schema=False)
def document_download(db: DbSession, user: Viewer, settings: SettingsDep, case_id: RowId, kind: str) -> Response:
    """A document of the case (.docx), from the bureau's current template."""
    case = _visible(db, user, case_id)
    chosen = filter_choice(DocumentKind, kind)
    if chosen is None or chosen not in documents.available(case):
        raise HTTPException(404)
    data = documents.render(db, settings.data_dir, case, chosen, local_today(settings))
    name = f"{gettext(chosen.label)}-{case.number or case.id}.docx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": _attachment(name)},
    )


def _attachment(name: str) -> str:
    return f"attachment; filename=\"document.docx\"; filename*=UTF-8''{quote(name)}"
