"""The period a brief covers, by its key (pure): a day `2026-12-06`, an ISO week `2026-W49` (Monday to Sunday), a
month `2026-11` or a year `2026`; the latest period that is over on a given day, and the one before."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from ecoloop.reports.enums import ReportKind


class PeriodError(ValueError):
    """A period key that does not name a period of the brief's kind."""


@dataclass(frozen=True)
class ReportPeriod:
    """The local days first…last a brief covers, and the key that names them."""

    kind: ReportKind
    key: str
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> ReportPeriod:
        """The period just before (the previous day, week, month or year)."""
        return period_containing(self.kind, self.first - timedelta(days=1))

    def last_year(self) -> ReportPeriod:
        """The same period a year earlier (the same ISO week number for a week)."""
        if self.kind is ReportKind.WEEKLY:
            year, week = int(self.key[:4]), int(self.key[6:])
            week = min(week, date(year - 1, 12, 28).isocalendar().week)
            return parse_period(self.kind, f"{year - 1}-W{week:02d}")
        day = self.first
        before = (
            date(day.year - 1, day.month, 28) if (day.month, day.day) == (2, 29) else day.replace(year=day.year - 1)
        )
        return period_containing(self.kind, before)


_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def period_containing(kind: ReportKind, day: date) -> ReportPeriod:
    """The day, ISO week, month or year that contains `day`."""
    if kind is ReportKind.DAILY:
        return ReportPeriod(kind, day.isoformat(), day, day)
    if kind is ReportKind.WEEKLY:
        iso = day.isocalendar()
        monday = day - timedelta(days=iso.weekday - 1)
        return ReportPeriod(kind, f"{iso.year}-W{iso.week:02d}", monday, monday + timedelta(days=6))
    if kind is ReportKind.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return ReportPeriod(kind, f"{day.year}-{day.month:02d}", day.replace(day=1), day.replace(day=last))
    return ReportPeriod(kind, str(day.year), date(day.year, 1, 1), date(day.year, 12, 31))


def parse_period(kind: ReportKind, key: str) -> ReportPeriod:
    """The period named by `key` (PeriodError when it names none of this kind, or lies outside 2000 to 2100)."""
    key = key.strip()
    try:
        if kind is ReportKind.DAILY:
            day = date.fromisoformat(key) if len(key) == 10 else None
        elif kind is ReportKind.WEEKLY:
            found = _WEEK.match(key)
            day = date.fromisocalendar(int(found[1]), int(found[2]), 1) if found else None
        elif kind is ReportKind.MONTHLY:
            found = _MONTH.match(key)
            day = date(int(found[1]), int(found[2]), 1) if found else None
        else:
            found = _YEAR.match(key)
            day = date(int(found[1]), 1, 1) if found else None
    except ValueError as exc:
        raise PeriodError(key) from exc
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise PeriodError(key)
    return period_containing(kind, day)


def latest_over(kind: ReportKind, today: date) -> ReportPeriod:
    """The latest period of this kind that is over before `today`: yesterday, last week, last month, last year."""
    found = period_containing(kind, today - timedelta(days=1))
    return found if found.last < today else found.previous()
