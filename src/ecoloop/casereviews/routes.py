"""Case-file review pages (`/case-reviews`): the worklists (files to score, returned files, corrections to judge) and
the rounds; a new round; a round's files with their reviewers; one file with its penalty case, the scoring form of
its reviewer, the points it was returned with, the unit's correction and the reviewers' judgement of it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.casereviews import queries, rules, service
from ecoloop.casereviews.enums import Basis, FileStatus, RoundStatus
from ecoloop.casereviews.models import ReviewFile, ReviewRound
from ecoloop.casereviews.scope import PENDING
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.identity.models import User
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import FieldError, PostedFields, filter_choice, local_today, required_day
from ecoloop.web.templating import render

router = APIRouter()
# The handling units reach their returned files through the same entry (VIEW_PENALTIES); reviewers hold both.
Reader = Annotated[CurrentUser, Depends(requires(Action.VIEW_PENALTIES, Action.REVIEW_CASE_FILES, any_of=True))]
Reviewer = Annotated[CurrentUser, Depends(requires(Action.REVIEW_CASE_FILES))]
Handler = Annotated[CurrentUser, Depends(requires(Action.HANDLE_PENALTIES))]
Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=200)]


def _said(key: str) -> str:
    """A message of MESSAGES in the user's language."""
    return gettext(MESSAGES[key])


MESSAGES = {
    "day": N_("Write the days as 2026-01-01."),
    "number": N_("The year, the files per unit, the reviewers per file and the seed are whole numbers."),
}


@router.get("/case-reviews", include_in_schema=False)
def home(request: Request, db: DbSession, user: Reader) -> Response:
    """The reader's worklists and the rounds."""
    p = user.principal
    reviewer = allowed(p, Action.REVIEW_CASE_FILES)
    context = {
        "reviewer": reviewer,
        "to_score": queries.to_score(db, p) if reviewer else [],
        "to_judge": queries.in_status(db, p, FileStatus.RESUBMITTED) if reviewer else [],
        "returned": queries.in_status(db, p, FileStatus.RETURNED),
        "rounds": queries.rounds(db, p),
    }
    return render(request, "casereviews/home.html", context, user=user)


def _new_page(
    request: Request, db: Session, user: CurrentUser, form: dict[str, Any], message: str = "", status: int = 200
) -> Response:
    context = {"form": form, "units": queries.handling_units(db), "bases": list(Basis), "message": message}
    return render(request, "casereviews/new_round.html", context, user=user, status_code=status)


@router.get("/case-reviews/rounds/new", include_in_schema=False)
def new_round(request: Request, db: DbSession, user: Reviewer, settings: SettingsDep) -> Response:
    """The form of a new round: last year's files closed in the year, two reviewers each."""
    year = local_today(settings).year - 1
    form = {
        "name": "",
        "year": str(year),
        "period_from": date(year, 1, 1).isoformat(),
        "period_to": date(year, 12, 31).isoformat(),
        "basis": Basis.CLOSED.value,
        "per_unit": "0",
        "reviewers_per_file": "2",
        "seed": "",
        "units": [],
    }
    return _new_page(request, db, user, form)


@router.post("/case-reviews/rounds", include_in_schema=False)
def create_round(request: Request, db: UnitOfWork, user: Reviewer, form: PostedFields) -> Response:
    """Create a round: its files chosen by period, unit and sample, each given independent reviewers."""
    fields = {k: v[:200] for k, v in form if k != "units"}
    units = [i for k, v in form if k == "units" and (i := parse_row_id(v)) is not None]
    shown = {**fields, "units": units}
    try:
        period_from = required_day(fields.get("period_from", ""))
        period_to = required_day(fields.get("period_to", ""))
    except FieldError:
        return _new_page(request, db, user, shown, _said("day"), 422)
    blank = {"year": "", "per_unit": "0", "reviewers_per_file": "2", "seed": ""}  # what an empty field means
    numbers = {k: fields.get(k, "").strip() or default for k, default in blank.items()}
    if not all(v.isdigit() and len(v) <= 9 for k, v in numbers.items() if k != "seed" or v):
        return _new_page(request, db, user, shown, _said("number"), 422)
    try:
        round_ = service.create_round(
            db,
            name=fields.get("name", ""),
            year=int(numbers["year"]),
            period_from=period_from,
            period_to=period_to,
            basis=filter_choice(Basis, fields.get("basis", "")) or Basis.CLOSED,
            unit_ids=units,
            per_unit=int(numbers["per_unit"]),
            reviewers_per_file=int(numbers["reviewers_per_file"]),
            seed=int(numbers["seed"]) if numbers["seed"] else None,
            by=user.user,
            now=utcnow(),
        )
    except service.ReviewError as exc:
        db.rollback()
        return _new_page(request, db, user, shown, service.error_text(exc.code), 422)
    return RedirectResponse(f"/case-reviews/rounds/{round_.id}", status_code=303)


def _round(db: Session, user: CurrentUser, round_id: int) -> ReviewRound:
    found = queries.get_round(db, user.principal, round_id)
    if found is None:
        raise HTTPException(404)
    return found


def _round_page(
    request: Request, db: Session, user: CurrentUser, round_: ReviewRound, message: str = "", status: int = 200
) -> Response:
    context = {
        "round": round_,
        "files": queries.round_files(db, user.principal, round_.id),
        "reviewer": allowed(user.principal, Action.REVIEW_CASE_FILES),
        "open": round_.status is RoundStatus.OPEN,
        "message": message,
    }
    return render(request, "casereviews/round.html", context, user=user, status_code=status)


@router.get("/case-reviews/rounds/{round_id:id}", include_in_schema=False)
def round_page(request: Request, round_id: RowId, db: DbSession, user: Reader) -> Response:
    """A round's files (those the reader sees), their status, score, grade and reviewers."""
    return _round_page(request, db, user, _round(db, user, round_id))


@router.post("/case-reviews/rounds/{round_id:id}/files", include_in_schema=False)
def add_file(request: Request, round_id: RowId, db: UnitOfWork, user: Reviewer, number: Short = "") -> Response:
    """Put a penalty case in the round by hand, by its number."""
    round_ = _round(db, user, round_id)
    try:
        service.add_case_by_number(db, round_, number, user.user, utcnow())
    except service.ReviewError as exc:
        db.rollback()
        return _round_page(request, db, user, round_, service.error_text(exc.code), 422)
    return RedirectResponse(f"/case-reviews/rounds/{round_id}", status_code=303)


@router.post("/case-reviews/rounds/{round_id:id}/assign", include_in_schema=False)
def assign(request: Request, round_id: RowId, db: UnitOfWork, user: Reviewer) -> Response:
    """Give the files short of reviewers independent ones (after new reviewers joined, or a dispute)."""
    round_ = _round(db, user, round_id)
    try:
        service.assign_reviewers(db, round_, user.user, utcnow())
    except service.ReviewError as exc:
        db.rollback()
        return _round_page(request, db, user, round_, service.error_text(exc.code), 422)
    return RedirectResponse(f"/case-reviews/rounds/{round_id}", status_code=303)


@router.post("/case-reviews/rounds/{round_id:id}/close", include_in_schema=False)
def close(round_id: RowId, db: UnitOfWork, user: Reviewer) -> Response:
    """Close the round: its sheets no longer change."""
    service.close_round(db, _round(db, user, round_id))
    return RedirectResponse(f"/case-reviews/rounds/{round_id}", status_code=303)


# --- one file ----------------------------------------------------------------------------------------------------


def _file(db: Session, user: CurrentUser, file_id: int) -> ReviewFile:
    found = queries.get_file(db, user.principal, file_id)
    if found is None:
        raise HTTPException(404)
    return found


def _entered(file: ReviewFile, reviewer_id: int) -> dict[str, str]:
    """The reviewer's sheet as the form's fields."""
    sheet = next((s for s in file.sheets if s.reviewer_id == reviewer_id), None)
    if sheet is None:
        return {}
    fields = {f"d:{d.point}": str(d.points) for d in sheet.deductions}
    fields |= {f"r:{d.point}": d.reason for d in sheet.deductions}
    fields |= {f"v:{code}": "1" for code in sheet.vetoes} | {f"vr:{code}": r for code, r in sheet.vetoes.items()}
    return fields | {"comment": sheet.comment}


def _file_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    file: ReviewFile,
    *,
    entered: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    p = user.principal
    reviewer = allowed(p, Action.REVIEW_CASE_FILES)
    mine = next((s for s in file.sheets if s.reviewer_id == p.user_id), None)
    open_ = file.round.status is RoundStatus.OPEN and file.status in PENDING
    standard = service.standard_of(file.round.standard)
    context = {
        "f": file,
        "case": queries.case_summary(db, file),
        "standard": standard,
        "labels": rules.point_labels(standard),
        "sheets": queries.visible_sheets(db, p, file),
        "names": queries.names(db, [s.reviewer_id for s in file.sheets]),
        "returned": queries.last_return(db, file),
        "history": queries.history(db, file),
        "may_score": mine is not None and open_,
        "mine": mine,
        "entered": entered if entered is not None else _entered(file, p.user_id),
        "may_assign": reviewer and open_,
        "candidates": service.reviewers(db) if reviewer and open_ else [],
        "may_correct": file.status is FileStatus.RETURNED
        and p.organisation_id == file.unit_id
        and allowed(p, Action.HANDLE_PENALTIES),
        "may_judge": reviewer and file.status is FileStatus.RESUBMITTED,
        "message": message,
    }
    return render(request, "casereviews/file.html", context, user=user, status_code=status)


@router.get("/case-reviews/files/{file_id:id}", include_in_schema=False)
def file_page(request: Request, file_id: RowId, db: DbSession, user: Reader) -> Response:
    """One reviewed file: its penalty case, the scoring form (its reviewer's), the sheets, the points named."""
    return _file_page(request, db, user, _file(db, user, file_id))


def _refused(
    request: Request, db: Session, user: CurrentUser, file_id: int, exc: service.ReviewError, entered: dict[str, str]
) -> Response:
    db.rollback()
    message = service.error_text(exc.code) + (f" ({exc.detail})" if exc.detail else "")
    return _file_page(request, db, user, _file(db, user, file_id), entered=entered, message=message, status=422)


def _back(file_id: int) -> Response:
    return RedirectResponse(f"/case-reviews/files/{file_id}", status_code=303)


@router.post("/case-reviews/files/{file_id:id}/sheet", include_in_schema=False)
def submit_sheet(request: Request, file_id: RowId, db: UnitOfWork, user: Reviewer, form: PostedFields) -> Response:
    """The reviewer's sheet: points deducted (`d:<sub-point>`) with reasons (`r:<sub-point>`), veto items marked
    (`v:<code>`) with reasons (`vr:<code>`), a comment."""
    fields = {k: v[:2000] for k, v in form}
    file = _file(db, user, file_id)
    try:
        deductions = [
            rules.Deduction(key[2:], _points(key[2:], value), fields.get(f"r:{key[2:]}", ""))
            for key, value in fields.items()
            if key.startswith("d:") and value.strip()
        ]
        vetoes = {key[2:]: fields.get(f"vr:{key[2:]}", "") for key in fields if key.startswith("v:")}
        service.submit_sheet(db, file, user.user, deductions, vetoes, utcnow(), fields.get("comment", ""))
    except service.ReviewError as exc:
        return _refused(request, db, user, file_id, exc, fields)
    return _back(file_id)


def _points(code: str, text: str) -> Decimal:
    value = service.parse_points(text)
    if value is None:
        raise service.ReviewError("sheet_points", code)
    return value


@router.post("/case-reviews/files/{file_id:id}/reviewers", include_in_schema=False)
def add_reviewer(
    request: Request, file_id: RowId, db: UnitOfWork, user: Reviewer, reviewer_id: Annotated[str, Form(max_length=12)]
) -> Response:
    """Assign one more reviewer by hand (independence checked)."""
    file = _file(db, user, file_id)
    chosen = parse_row_id(reviewer_id)
    person = db.get(User, chosen) if chosen else None
    try:
        if person is None:
            raise service.ReviewError("not_reviewer")
        service.add_reviewer(db, file, person, user.user, utcnow())
    except service.ReviewError as exc:
        return _refused(request, db, user, file_id, exc, {})
    return _back(file_id)


@router.post("/case-reviews/files/{file_id:id}/correction", include_in_schema=False)
def correct(request: Request, file_id: RowId, db: UnitOfWork, user: Handler, correction: Text = "") -> Response:
    """The handling unit's correction (整改说明) of its returned file."""
    file = _file(db, user, file_id)
    try:
        service.resubmit(db, file, user.user, user.principal, correction, utcnow())
    except service.ReviewError as exc:
        return _refused(request, db, user, file_id, exc, {})
    return _back(file_id)


@router.post("/case-reviews/files/{file_id:id}/judgement", include_in_schema=False)
def judge(
    request: Request,
    file_id: RowId,
    db: UnitOfWork,
    user: Reviewer,
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Text = "",
) -> Response:
    """Accept the unit's correction, or return the file again with what is still wrong."""
    file = _file(db, user, file_id)
    try:
        service.judge_correction(db, file, user.user, user.principal, decision == "accept", note, utcnow())
    except service.ReviewError as exc:
        return _refused(request, db, user, file_id, exc, {})
    return _back(file_id)
