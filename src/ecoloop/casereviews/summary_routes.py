"""The review figures (`/case-reviews/summary`): a year's (or one round's) scores per unit and per officer, grades,
the most frequent deductions, and the same as a workbook."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.casereviews import queries
from ecoloop.casereviews.enums import Grade
from ecoloop.casereviews.models import ReviewRound
from ecoloop.casereviews.workbook import summary_workbook
from ecoloop.db.base import parse_row_id
from ecoloop.i18n import gettext
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import local_today
from ecoloop.web.templating import render

router = APIRouter()
Reader = Annotated[CurrentUser, Depends(requires(Action.VIEW_PENALTIES, Action.REVIEW_CASE_FILES, any_of=True))]
Year = Annotated[str, Query(max_length=4)]
RoundQuery = Annotated[str, Query(alias="round", max_length=12)]


def _year(text: str, db: Session, this_year: int) -> int:
    """The year asked for; by default the newest year of a round up to this one (a round under way counts), else
    last year."""
    if text.isdigit() and 2000 <= int(text) <= 2100:
        return int(text)
    newest = db.scalar(select(func.max(ReviewRound.year)).where(ReviewRound.year <= this_year))
    return newest if newest is not None else this_year - 1


@router.get("/case-reviews/summary", include_in_schema=False)
def summary_page(
    request: Request, db: DbSession, user: Reader, settings: SettingsDep, year: Year = "", round_: RoundQuery = ""
) -> Response:
    """The year's figures (by default the newest year with a round, else last year): files, mean, grades per unit
    and per officer, deductions."""
    chosen = _year(year, db, local_today(settings).year)
    found = queries.summary(db, user.principal, chosen, parse_row_id(round_) if round_ else None)
    context = {"s": found, "grades": list(Grade), "round": round_ if found.rounds else ""}
    return render(request, "casereviews/summary.html", context, user=user)


@router.get("/case-reviews/summary.xlsx", include_in_schema=False)
def summary_export(
    db: DbSession, user: Reader, settings: SettingsDep, year: Year = "", round_: RoundQuery = ""
) -> Response:
    """The same figures as a workbook."""
    chosen = _year(year, db, local_today(settings).year)
    found = queries.summary(db, user.principal, chosen, parse_row_id(round_) if round_ else None)
    name = gettext("Case-file review %(year)s") % {"year": chosen}
    return download(summary_workbook(found), f"{name}.xlsx", XLSX)
