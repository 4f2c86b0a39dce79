"""Case pages: the board with its filters and the registration form, "my tasks", one case with its timeline and
the forms of the steps the user's party may take, and the downloads of attachments and supervision notices (督办单).
Supervision batches are in `batch_routes`, ledgers in `ledger_routes`, the JSON API in `api_routes`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed, require
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible
from ecoloop.cases import queries, service
from ecoloop.cases.documents import notice_data, supervision_notice
from ecoloop.cases.enums import (
    CATEGORY_LABELS,
    EVENT_LABELS,
    FINDING_LABELS,
    MILESTONE_LABELS,
    SEVERITY_LABELS,
    SOURCE_LABELS,
    CaseSource,
    Category,
    Severity,
)
from ecoloop.cases.models import Case, Milestone
from ecoloop.cases.queries import CaseFilter
from ecoloop.cases.schemas import CaseQuery
from ecoloop.cases.service import ATTACHMENT_TYPES, MAX_ATTACHMENT_BYTES, Acting, CaseError, ConcurrentEditError
from ecoloop.cases.workflow import (
    ACTION_LABELS,
    STATE_LABELS,
    TRANSITIONS,
    IllegalTransitionError,
    Party,
    State,
    actions_for,
    is_open,
    may_attach_evidence,
    supervisor_step,
)
from ecoloop.cases.workflow import Action as Step
from ecoloop.db.base import DbInt, RowId, parse_row_id, utcnow
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_, gettext
from ecoloop.identity.enums import Role
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import get_region_by_code, list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import DOCX, download
from ecoloop.web.forms import filter_choice, local_today, parse_day, required_day
from ecoloop.web.paging import page_of
from ecoloop.web.templating import render

router = APIRouter()


LABELS = {
    "states": STATE_LABELS,
    "actions": ACTION_LABELS,
    "events": EVENT_LABELS,
    "sources": SOURCE_LABELS,
    "categories": CATEGORY_LABELS,
    "severities": SEVERITY_LABELS,
    "findings": FINDING_LABELS,
    "milestones": MILESTONE_LABELS,
}
REASON_ACTIONS = frozenset(t.action for t in TRANSITIONS if t.needs_reason)

ERROR_TEXT = {
    "concurrent_edit": N_("Someone changed this case meanwhile. Reload the page and try again."),
    "illegal_state": N_("The case's state does not allow this step."),
    "not_your_step": N_("This step is not yours to take on this case."),
    "reason_required": N_("Give the reason."),
    "unit_and_deadline_required": N_("Choose the lead unit and the deadline."),
    "deadline_in_past": N_("The deadline lies in the past."),
    "deadline_not_later": N_("The new deadline must be later than the current one."),
    "merge_target_required": N_("Give the number of another case to merge into."),
    "merge_target_unknown": N_("There is no case with this number in your area."),
    "merge_target_merged": N_("That case was itself merged; merge into the case it was merged into."),
    "not_allowed": N_("You may not do this on this case."),
    "region_outside_area": N_("The region is outside your area."),
    "region_retired": N_("The region has been retired."),
    "region_unknown": N_("Choose a region of your area."),
    "enterprise_unknown": N_("There is no such enterprise in your area."),
    "unit_unknown": N_("Choose a unit from the list."),
    "title_missing": N_("The title is missing."),
    "comment_empty": N_("The comment is empty."),
    "note_required": N_("Write down what was agreed."),
    "case_not_open": N_("The case is closed or merged."),
    "not_rectifying": N_("Evidence is added while the case is being rectified."),
    "attachment_type": N_("Accepted files: %(types)s."),
    "attachment_empty": N_("The file is empty."),
    "attachment_too_large": N_("The file is larger than %(mb)s MB."),
    "attachment_content": N_("The file's content does not match its name's type."),
    "date_invalid": N_("A date cannot be read."),
    "not_long_term": N_("Yearly targets belong to long-term cases."),
    "target_missing": N_("The target is missing."),
    "due_outside_year": N_("The due date must lie in the target's year."),
    "milestone_exists": N_("This year already has a target."),
    "milestone_done": N_("This target is already reached."),
    "not_this_case": N_("This target belongs to another case."),
}
ERROR_STATUS = {"concurrent_edit": 409, "attachment_too_large": 413}


def error_text(code: str) -> str:
    """The message of a refusal in the current language."""
    if code not in ERROR_TEXT:
        return code
    return gettext(ERROR_TEXT[code]) % {
        "types": ", ".join(sorted(ATTACHMENT_TYPES)),
        "mb": MAX_ATTACHMENT_BYTES // (1024 * 1024),
    }


# --- the board -------------------------------------------------------------------------------------------------------


def case_filter(db: Session, p: Principal, params: CaseQuery) -> tuple[CaseFilter, bool]:
    """The board's filter from its query; True when the region named is out of sight (then nothing matches)."""
    region = get_region_by_code(db, p, params.region) if params.region else None
    f = CaseFilter(
        state=filter_choice(State, params.state),
        source=filter_choice(CaseSource, params.source),
        category=filter_choice(Category, params.category),
        region=region,
        unit_id=parse_row_id(params.unit),
        overdue=params.overdue in ("1", "true", "on"),
        batch_id=parse_row_id(params.batch),
        text=params.q.strip(),
    )
    return f, bool(params.region) and region is None


@router.get("/cases", include_in_schema=False)
def board(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    params: Annotated[CaseQuery, Query()],
) -> Response:
    """The cases the user sees, filtered, with a count per state and pages (the results alone for htmx)."""
    return _board(request, db, user, settings, params)


def _board(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    params: CaseQuery,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    p = user.principal
    f, hidden = case_filter(db, p, params)
    counts = dict.fromkeys(State, 0) if hidden else queries.state_counts(db, p, f)
    total = counts[f.state] if f.state else sum(counts.values())
    page = page_of(total, params.page)
    rows = [] if hidden else queries.search_cases(db, p, f, limit=page.limit, offset=page.offset)
    chosen = params.model_dump(exclude={"page"})
    may_register = allowed(p, Action.REGISTER_CASES)
    context = {
        "cases": rows,
        "counts": counts,
        "total": total,
        "all_count": sum(counts.values()),
        "page": page.number,
        "pages": page.pages,
        "chosen": chosen,
        "query": urlencode({k: v for k, v in chosen.items() if v}),
        "tab_query": urlencode({k: v for k, v in chosen.items() if v and k != "state"}),
        "regions": [r for r in list_regions(db, p) if r.level in (RegionLevel.COUNTY, RegionLevel.TOWN)],
        "units": queries.lead_units(db, p),
        "batches": queries.batches(db, p),
        "may_register": may_register,
        "form": _registration_choices(db, p) if may_register else {},
        "values": {"source": CaseSource.COMPLAINT.value if p.role is Role.HOTLINE else ""},
        "today": local_today(settings),
        "labels": LABELS,
        "states": list(State),
        "sources": list(CaseSource),
        "categories": list(Category),
        **extra,
    }
    return render(request, "cases/board.html", context, user=user, fragment="cases/_results.html", status_code=status)


def _registration_choices(db: Session, p: Principal) -> dict[str, Any]:
    levels = (RegionLevel.COUNTY, RegionLevel.TOWN, RegionLevel.VILLAGE)
    return {
        "regions": [r for r in list_regions(db, p, active_only=True) if r.level in levels],
        "enterprises": queries.enterprise_choices(db, p),
        "severities": list(Severity),
    }


@router.post("/cases", include_in_schema=False)
def register(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.REGISTER_CASES))],
    settings: SettingsDep,
    title: Annotated[str, Form(max_length=300)],
    source: Annotated[CaseSource, Form()],
    category: Annotated[Category, Form()],
    region_id: Annotated[RowId, Form()],
    severity: Annotated[Severity, Form()] = Severity.NORMAL,
    description: Annotated[str, Form(max_length=10_000)] = "",
    enterprise_id: Annotated[RowId | None, Form()] = None,
    deadline: Annotated[str, Form(max_length=10)] = "",
    external_ref: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Register a problem as a case (登记) in a region of the user's area; then go to the case."""
    p = user.principal
    try:
        region = get_visible(db, p, Region, region_id)
        if region is None:
            raise CaseError("region_unknown")
        if enterprise_id is not None and get_visible(db, p, Enterprise, enterprise_id) is None:
            raise CaseError("enterprise_unknown")
        case = service.register_case(
            db,
            Acting(user.user, p),
            source=source,
            category=category,
            title=title,
            region=region,
            now=utcnow(),
            description=description.strip(),
            enterprise_id=enterprise_id,
            severity=severity,
            deadline=parse_day(deadline, refuse=CaseError),
            external_ref=external_ref.strip(),
        )
    except CaseError as exc:
        db.rollback()
        values: dict[str, Any] = {"title": title, "source": source.value, "category": category.value}
        values |= {"region_id": region_id}
        values |= {"severity": severity.value, "description": description, "enterprise_id": enterprise_id}
        values |= {"deadline": deadline, "external_ref": external_ref}
        return _board(request, db, user, settings, CaseQuery(), error=error_text(exc.code), values=values, status=422)
    return RedirectResponse(f"/cases/{case.id}?done=registered", status_code=303)


# --- my tasks ----------------------------------------------------------------------------------------------------


@router.get("/cases/mine", include_in_schema=False)
def my_tasks(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
) -> Response:
    """What waits for the user: cases to accept and report (a unit), to assign, verify and chase (a supervisor),
    to add evidence to (an enterprise)."""
    context = {"tasks": queries.my_tasks(db, user.principal), "labels": LABELS, "today": local_today(settings)}
    return render(request, "cases/mine.html", context, user=user)


# --- one case ------------------------------------------------------------------------------------------------------


@router.get("/cases/{case_id:id}", include_in_schema=False)
def case_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    done: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """One case: its fields, units, timeline, and the forms of what the user may do on it now."""
    return _case_page(request, db, user, settings, _visible(db, user.principal, case_id), done=done)


def _case_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    case: Case,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    p = user.principal
    party = service.party_of(db, p, case)
    actions = actions_for(case.state, party) if party else []
    supervisor = party is Party.SUPERVISOR
    context = {
        "file": queries.case_file(db, p, case),
        "case": case,
        "party": party,
        "actions": actions,
        "reason_actions": REASON_ACTIONS,
        "units": queries.assignable_units(db, p) if Step.ASSIGN in actions else [],
        "may_comment": service.follows(db, p, case),
        "may_attach": supervisor or (party is not None and may_attach_evidence(case.state, party)),
        "may_extend": supervisor and case.deadline is not None and is_open(case.state),
        "may_supervise": supervisor and allowed(p, Action.ISSUE_SUPERVISION),
        "may_add_milestone": supervisor and case.long_term and is_open(case.state),
        "may_complete_milestone": case.long_term and party in (Party.UNIT, Party.SUPERVISOR),
        "may_view_enterprise": allowed(p, Action.VIEW_ENTERPRISES),
        "is_open": is_open(case.state),
        "today": local_today(settings),
        "accepted_types": ",".join(sorted(ATTACHMENT_TYPES)),
        "max_mb": MAX_ATTACHMENT_BYTES // (1024 * 1024),
        "labels": LABELS,
        "errors": {},
        "values": {},
        **extra,
    }
    return render(request, "cases/detail.html", context, user=user, status_code=status)


def _submit(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    case_id: int,
    form: str,
    apply: Callable[[Case], object],
    values: dict[str, Any] | None = None,
) -> Response:
    """Apply one form of the case page: on success go back to the case (303; the unit of work commits); a refusal
    shows the case again with the reason at the form (409 for a stale version, 413 for a too large file, else 422)."""
    case = _visible(db, user.principal, case_id)
    try:
        apply(case)
    except (CaseError, IllegalTransitionError) as exc:
        db.rollback()
        errors = {form: error_text(exc.code)}
        status = ERROR_STATUS.get(exc.code, 422)
        return _case_page(request, db, user, settings, case, errors=errors, values={form: values or {}}, status=status)
    return RedirectResponse(f"/cases/{case_id}?done={form}#timeline", status_code=303)


def require_step(user: CurrentUser, step: Step) -> None:
    """Refuse (403) a supervisor's step to a role not allowed `supervise_cases`, whichever case it names."""
    if supervisor_step(step):
        require(user.principal, Action.SUPERVISE_CASES)


@router.post("/cases/{case_id:id}/actions", include_in_schema=False)
def case_step(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    action: Annotated[Step, Form()],
    version: Annotated[DbInt, Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
    unit_id: Annotated[RowId | None, Form()] = None,
    co_unit_ids: Annotated[list[RowId] | None, Form()] = None,
    deadline: Annotated[str, Form(max_length=10)] = "",
    merge_into: Annotated[str, Form(max_length=32)] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Take a workflow step on the case as the version the page showed; a report may carry an evidence file.
    The supervisor's steps need `supervise_cases` (403 otherwise); the service then checks the party."""
    require_step(user, action)
    too_large = _too_large(request)

    def apply(case: Case) -> None:
        if evidence is not None and evidence.filename:
            if version != case.version:
                raise ConcurrentEditError(version, case.version)
            _attach(db, user, settings, case, evidence, reason if action is Step.REPORT else "", too_large)
        chosen = co_unit_ids or []
        service.take_step(
            db,
            Acting(user.user, user.principal),
            case,
            action,
            now=utcnow(),
            version=version,
            reason=reason,
            unit_id=unit_id,
            co_unit_ids=chosen,
            deadline=parse_day(deadline, refuse=CaseError),
            merge_into=merge_into,
        )

    values = {"action": action.value, "reason": reason, "deadline": deadline, "merge_into": merge_into}
    return _submit(request, db, user, settings, case_id, "actions", apply, values)


@router.post("/cases/{case_id:id}/comments", include_in_schema=False)
def case_comment(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    text: Annotated[str, Form(max_length=5000)],
) -> Response:
    """Add a remark to the case's timeline."""

    def apply(case: Case) -> None:
        service.comment(db, case, Acting(user.user, user.principal), text, utcnow())

    return _submit(request, db, user, settings, case_id, "comment", apply, {"text": text})


@router.post("/cases/{case_id:id}/attachments", include_in_schema=False)
def case_attachment(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    file: Annotated[UploadFile, File()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Attach rectification evidence or a document to the case."""
    too_large = _too_large(request)

    def apply(case: Case) -> None:
        _attach(db, user, settings, case, file, note, too_large)

    return _submit(request, db, user, settings, case_id, "attachment", apply, {"note": note})


@router.post("/cases/{case_id:id}/deadline", include_in_schema=False)
def case_extension(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES, Action.SUPERVISE_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    version: Annotated[DbInt, Form()],
    deadline: Annotated[str, Form(max_length=10)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Extend the case's deadline (延期), with a reason."""

    def apply(case: Case) -> None:
        new = required_day(deadline, refuse=CaseError)
        service.extend_deadline(
            db, case, Acting(user.user, user.principal), new, reason, seen_version=version, now=utcnow()
        )

    return _submit(request, db, user, settings, case_id, "deadline", apply, {"deadline": deadline, "reason": reason})


@router.post("/cases/{case_id:id}/milestones", include_in_schema=False)
def case_milestone(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES, Action.SUPERVISE_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    year: Annotated[int, Form(ge=2000, le=2100)],
    target: Annotated[str, Form(max_length=2000)],
    due: Annotated[str, Form(max_length=10)],
) -> Response:
    """Set a yearly target of a long-term case (the supervisor)."""

    def apply(case: Case) -> None:
        day = required_day(due, refuse=CaseError)
        service.add_milestone(
            db, case, Acting(user.user, user.principal), year=year, target=target, due=day, now=utcnow()
        )

    values = {"year": year, "target": target, "due": due}
    return _submit(request, db, user, settings, case_id, "milestone", apply, values)


@router.post("/cases/{case_id:id}/milestones/{milestone_id:id}/done", include_in_schema=False)
def case_milestone_done(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    milestone_id: RowId,
    done_on: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Report a yearly target reached (the lead unit, or the supervisor records it)."""

    def apply(case: Case) -> None:
        milestone = db.get(Milestone, milestone_id)
        if milestone is None:
            raise CaseError("not_this_case")
        service.complete_milestone(  # refuses another case's milestone
            db,
            case,
            milestone,
            Acting(user.user, user.principal),
            done_on=required_day(done_on, refuse=CaseError),
            note=note,
            now=utcnow(),
        )

    return _submit(request, db, user, settings, case_id, "milestone_done", apply, {"note": note})


@router.post("/cases/{case_id:id}/supervise", include_in_schema=False)
def case_supervise(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES, Action.ISSUE_SUPERVISION))],
    settings: SettingsDep,
    case_id: RowId,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Issue a supervision notice (督办) on the case; it can then be downloaded from the timeline."""

    def apply(case: Case) -> None:
        service.supervise(db, case, Acting(user.user, user.principal), note, utcnow())

    return _submit(request, db, user, settings, case_id, "supervise", apply, {"note": note})


@router.post("/cases/{case_id:id}/interviews", include_in_schema=False)
def case_interview(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES, Action.ISSUE_SUPERVISION))],
    settings: SettingsDep,
    case_id: RowId,
    held_on: Annotated[str, Form(max_length=10)],
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Record an interview (约谈) of the responsible unit's leaders about the case."""

    def apply(case: Case) -> None:
        service.record_interview(
            db, case, Acting(user.user, user.principal), note, required_day(held_on, refuse=CaseError), utcnow()
        )

    return _submit(request, db, user, settings, case_id, "interview", apply, {"held_on": held_on, "note": note})


# --- downloads -----------------------------------------------------------------------------------------------------


@router.get("/cases/{case_id:id}/attachments/{attachment_id:id}", include_in_schema=False)
def attachment_download(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    attachment_id: RowId,
) -> Response:
    """An attachment of a visible case, under its original name and type."""
    attachment = queries.get_attachment(db, user.principal, case_id, attachment_id)
    if attachment is None:
        raise HTTPException(404)
    path = settings.case_attachments_root / attachment.sha256[:2] / attachment.sha256
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(path, media_type=attachment.content_type, filename=attachment.filename)


@router.get("/cases/{case_id:id}/notices/{event_id:id}.docx", include_in_schema=False)
def notice_download(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    settings: SettingsDep,
    case_id: RowId,
    event_id: RowId,
) -> Response:
    """A supervision notice (督办单) of the case as a Word document, as it was issued."""
    case = _visible(db, user.principal, case_id)
    event = queries.notice_event(db, user.principal, case_id, event_id)
    if event is None:
        raise HTTPException(404)
    data = supervision_notice(notice_data(case, event, queries.issuer_name(db, case.region), settings.tz))
    return download(data, f"{event.data.get('notice') or f'notice-{event.id}'}.docx", DOCX)


# --- helpers -------------------------------------------------------------------------------------------------------


def _visible(db: Session, p: Principal, case_id: int) -> Case:
    case = queries.get_case(db, p, case_id)
    if case is None:
        raise HTTPException(404)
    return case


def _too_large(request: Request) -> bool:
    """Whether the request body alone is beyond an attachment's limit (multipart overhead allowed)."""
    length = request.headers.get("content-length", "")
    return length.isdigit() and int(length) > MAX_ATTACHMENT_BYTES + 64 * 1024


def _attach(
    db: Session, user: CurrentUser, settings: Settings, case: Case, upload: UploadFile, note: str, too_large: bool
) -> None:
    if too_large:
        raise CaseError("attachment_too_large")
    service.add_attachment(
        db,
        case,
        Acting(user.user, user.principal),
        filename=upload.filename or "",
        content=upload.file.read(MAX_ATTACHMENT_BYTES + 1),
        storage=settings.case_attachments_root,
        now=utcnow(),
        note=note.strip(),
    )
