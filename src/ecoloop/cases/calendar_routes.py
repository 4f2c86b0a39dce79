"""The working-day calendar (`/admin/calendar`): a year's public holidays and make-up working days, from the
holiday package and the bureau's entries; the administrator enters a year the package does not know yet, or a
local exception, and removes an entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.cases import queries, service
from ecoloop.i18n import N_, gettext
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import FieldError, local_today, required_day
from ecoloop.web.templating import render

router = APIRouter()
Keeper = Annotated[CurrentUser, Depends(requires(Action.MANAGE_CALENDAR))]
FIRST, LAST = 2000, 2100
Year = Annotated[int, Query(ge=FIRST, le=LAST)]
ERRORS = {
    "day": N_("Write the day as 2027-01-01."),
    "year": N_("The day must lie between 2000 and 2100."),
}


def _page(
    request: Request, db: Session, user: CurrentUser, year: int, *, error: str | None = None, status: int = 200
) -> Response:
    calendar = queries.work_calendar(db)
    entries = {entry.day: entry for entry in queries.calendar_entries(db, year)}
    context = {
        "year": year,
        "known": calendar.knows(year),
        "days": calendar.special_days(year),
        "entries": entries,
        "error": error,
    }
    return render(request, "cases/calendar.html", context, user=user, status_code=status)


@router.get("/admin/calendar", include_in_schema=False)
def calendar_page(
    request: Request, db: DbSession, user: Keeper, settings: SettingsDep, year: Year | None = None
) -> Response:
    """A year's holidays and make-up working days (next year's by default in December, when it is announced)."""
    today = local_today(settings)
    return _page(request, db, user, year or (today.year + 1 if today.month == 12 else today.year))


@router.post("/admin/calendar", include_in_schema=False)
def calendar_set(
    request: Request,
    db: UnitOfWork,
    user: Keeper,
    settings: SettingsDep,
    day: Annotated[str, Form(max_length=20)] = "",
    workday: Annotated[bool, Form()] = False,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Enter a day: a holiday (not a working day) or a make-up working day."""
    try:
        when = required_day(day)
        if not FIRST <= when.year <= LAST:
            raise FieldError("year")
    except FieldError as exc:
        code = exc.code if exc.code in ERRORS else "day"
        message = gettext(ERRORS[code])
        return _page(request, db, user, local_today(settings).year, error=message, status=422)
    service.set_calendar_day(db, when, workday, name)
    return RedirectResponse(f"/admin/calendar?year={when.year}", status_code=303)


@router.post("/admin/calendar/clear", include_in_schema=False)
def calendar_clear(db: UnitOfWork, user: Keeper, day: Annotated[str, Form(max_length=20)] = "") -> Response:
    """Remove a day's entry."""
    try:
        when = required_day(day)
    except FieldError:
        return RedirectResponse("/admin/calendar", status_code=303)
    service.clear_calendar_day(db, when)
    return RedirectResponse(f"/admin/calendar?year={when.year}", status_code=303)
