"""The review standard (`/case-reviews/standard`): the items with their points and sub-points, the veto items, the
grade marks and the reviewers' allowed spread, kept by version. A round keeps the version it was created with.

Who keeps it: the reviewers (REVIEW_CASE_FILES: leaders and analysts), not the keepers of the penalty rules
(MANAGE_PENALTY_RULES): the standard is the review's instrument, set with the review plan the bureau's leaders
approve, and the units whose files are reviewed should not set what they are scored by."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.casereviews import rules, service
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, requires
from ecoloop.web.templating import render

router = APIRouter()
Keeper = Annotated[CurrentUser, Depends(requires(Action.REVIEW_CASE_FILES))]
Mark = Annotated[str, Form(max_length=8)]
ERRORS = {
    "no_items": N_("The standard needs at least one item."),
    "codes": N_("Codes are lower-case letters, digits and _, unique, and every item has sub-points."),
    "total": N_("The items' points must add up to 100."),
    "deduction": N_("A sub-point deducts half points up to its item's points."),
    "marks": N_("The marks: 0 < pass mark ≤ excellent mark ≤ 100, and the spread between 0 and 100."),
    "line": N_("Line %(line)s is not an item, a sub-point or a veto item."),
}


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    text: str,
    marks: dict[str, str],
    error: str = "",
    status: int = 200,
) -> Response:
    context = {"text": text, "marks": marks, "versions": service.versions(db), "error": error}
    return render(request, "casereviews/standard.html", context, user=user, status_code=status)


@router.get("/case-reviews/standard", include_in_schema=False)
def standard_page(request: Request, db: DbSession, user: Keeper) -> Response:
    """The newest standard (the built-in one until a version is saved), to edit, and its versions."""
    row = service.newest_standard(db)
    standard = service.standard_of(row) if row else service.default_standard()
    marks = {"excellent": str(standard.excellent), "pass_mark": str(standard.pass_mark), "spread": str(standard.spread)}
    return _page(request, db, user, rules.as_text(standard), marks)


@router.post("/case-reviews/standard", include_in_schema=False)
def save_standard(
    request: Request,
    db: UnitOfWork,
    user: Keeper,
    text: Annotated[str, Form(max_length=20000)] = "",
    excellent: Mark = "",
    pass_mark: Mark = "",
    spread: Mark = "",
) -> Response:
    """Keep a new version of the standard."""
    marks = {"excellent": excellent, "pass_mark": pass_mark, "spread": spread}
    try:
        standard = rules.parse_text(text, excellent, pass_mark, spread)
    except rules.StandardError as exc:
        message = gettext(ERRORS[exc.code]) % {"line": exc.line} if exc.code == "line" else gettext(ERRORS[exc.code])
        return _page(request, db, user, text, marks, message, 422)
    service.save_standard(db, standard, user.user.display_name, utcnow())
    return RedirectResponse("/case-reviews/standard", status_code=303)
