"""Reading form and query fields the same way on every page: dates written YYYY-MM-DD, choices among an enum's
values, numbers, and today in the bureau's time zone that date fields default to.

A page either refuses a field it cannot read (a form: the date is the user's statement, so it is shown again with
the reason) or falls back to its default (a filter in the query string: the list is still shown, with a note).
Each reader here says which it does, and a refusing reader raises the refusal its caller passes (the capability's
error, with the stable code `date_invalid` that the page's messages explain), so every page names the same problem
the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from ecoloop.db.base import utcnow
from ecoloop.settings import Settings

DATE_INVALID = "date_invalid"  # the code of a date that cannot be read, or of a required date left blank
NUMBER_INVALID = "number_invalid"  # the code of a number that cannot be read (or is infinite or NaN)


class FieldError(ValueError):
    """A form field that cannot be read; `code` is stable (the refusal a reader raises when given none)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


Refusal = Callable[[str], Exception]  # a capability's error built from a stable code, e.g. CaseError
E = TypeVar("E", bound=StrEnum)


def _read_day(text: str) -> date | None:
    """The date `text` writes as YYYY-MM-DD (surrounding spaces ignored), None when it does not."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_day(text: str, *, refuse: Refusal = FieldError) -> date | None:
    """An optional date field: None when blank; `refuse("date_invalid")` is raised when it cannot be read."""
    if not text.strip():
        return None
    day = _read_day(text)
    if day is None:
        raise refuse(DATE_INVALID)
    return day


def required_day(text: str, *, refuse: Refusal = FieldError) -> date:
    """A date field the form must have: a blank one is refused like an unreadable one (`date_invalid`)."""
    day = parse_day(text, refuse=refuse)
    if day is None:
        raise refuse(DATE_INVALID)
    return day


def parse_decimal(text: str, *, refuse: Refusal = FieldError) -> Decimal | None:
    """An optional number field: None when blank; `refuse("number_invalid")` when it is no finite number."""
    text = text.strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise refuse(NUMBER_INVALID) from None
    if not value.is_finite():
        raise refuse(NUMBER_INVALID)
    return value


def filter_day(text: str) -> date | None:
    """A date in a filter that falls back to its default: None when blank or unreadable (the page may then say
    so with `unreadable_day`)."""
    return _read_day(text) if text.strip() else None


def unreadable_day(text: str) -> bool:
    """Whether a date filter was given but cannot be read (the page shows its default and says why)."""
    return bool(text) and filter_day(text) is None


def filter_choice(enum: type[E], text: str) -> E | None:
    """A choice in a filter: the member whose value `text` is, None when it names none (the filter is then off)."""
    return enum(text) if text in enum._value2member_map_ else None


def local_today(settings: Settings) -> date:
    """Today in the bureau's time zone (`ECOLOOP_TIMEZONE`), the default of date fields and filters."""
    return utcnow().astimezone(settings.tz).date()


async def _posted_fields(request: Request) -> list[tuple[str, str]]:
    form = await request.form()
    try:
        return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    finally:
        await form.close()


async def _raw_body(request: Request) -> bytes:
    return await request.body()


# A form's text fields (repeated keys kept) and a request's raw body, read on the event loop by these async
# dependencies, so that the route that works with the database is a plain function run in the thread pool. A route
# that awaits the body itself and then writes from the event loop stalls the loop while it waits for another
# request's lock, and that request's commit waits for the loop: they deadlock (bench/intake.py found it;
# tests/web/test_deps.py refuses the pattern).
PostedFields = Annotated[list[tuple[str, str]], Depends(_posted_fields)]
RawBody = Annotated[bytes, Depends(_raw_body)]
