"""Working days in China (pure): the weekend, the public holidays and the make-up working days (调休) that the
State Council announces each year, for deadlines counted in working days (issue 18: the time limits of
complaints).

The years the `chinese-calendar` package knows come from it; a year it does not know yet (it is published each
November for the next year) comes from the bureau's own table (`CalendarDay`: a day and whether it is a working
day), and a year neither knows is refused (UnknownYearError) rather than guessed: a deadline that ignores the
Spring Festival would be a week wrong. The bureau's table also overrides the package, e.g. for a local holiday.

Counting follows the Civil Code (民法典, 2020) on periods: the day an event happens is not counted, the period starts
the next day (Article 201); a period of days whose last day is a statutory holiday ends on the first working day
after it (Article 203).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

SATURDAY = 5


@dataclass(frozen=True)
class SpecialDay:
    """A day that is not as its weekday says: a holiday on a weekday, a working weekend day, or any entry of the
    bureau's; `name` is the holiday's Chinese name (the package's data, or the bureau's words)."""

    day: date
    workday: bool
    name: str
    bureau: bool  # entered by the bureau (else from the package)


class UnknownYearError(LookupError):
    """Neither the holiday package nor the bureau's table knows the working days of `year`."""

    def __init__(self, year: int) -> None:
        super().__init__(f"the working days of {year} are not known: enter its holidays in the bureau's calendar")
        self.year = year


def _chinese(name: str) -> str:
    """The package's English holiday name in Chinese (its Holiday enum carries both)."""
    for holiday in chinese_calendar.Holiday:
        if holiday.value == name:
            return str(holiday.chinese)
    return ""


@functools.cache
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass(frozen=True)
class WorkCalendar:
    """The working days: the bureau's entries (`overrides`: day → working day or not) over the package's years; a
    year with at least one entry of the bureau is known to it (its other days: Monday to Friday work)."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    # Count a year neither knows as Monday to Friday instead of refusing it: for a deadline that must be set now
    # (a complaint cannot wait for next year's holidays) and is shown as provisional (`knows` says which).
    assume_weekdays: bool = False

    @functools.cached_property
    def _entered_years(self) -> frozenset[int]:
        # The years the bureau entered, read once (a deadline asks for every day it counts).
        return frozenset(day.year for day in self.overrides)

    def knows(self, year: int) -> bool:
        return _package_knows(year) or year in self._entered_years

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        if _package_knows(day.year):
            return bool(chinese_calendar.is_workday(day))
        if day.year in self._entered_years or self.assume_weekdays:
            return day.weekday() < SATURDAY
        raise UnknownYearError(day.year)

    def special_days(self, year: int) -> list[SpecialDay]:
        """The year's holidays on weekdays and working weekend days, with the bureau's entries, in date order."""
        found: dict[date, SpecialDay] = {}
        if _package_knows(year):
            for day, name in {**chinese_calendar.holidays, **chinese_calendar.workdays}.items():
                if day.year == year and (day.weekday() < SATURDAY) != chinese_calendar.is_workday(day):
                    found[day] = SpecialDay(day, day in chinese_calendar.workdays, _chinese(name), bureau=False)
        for day, workday in self.overrides.items():
            if day.year == year:
                found[day] = SpecialDay(day, workday, "", bureau=True)
        return [found[day] for day in sorted(found)]

    def add_workdays(self, start: date, count: int) -> date:
        """The `count`-th working day after `start` (`start` itself not counted, Civil Code Art. 201); `start` for 0."""
        if count < 0:
            raise ValueError("count must not be negative")
        day, left = start, count
        while left:
            day += timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when `end` is not after `start`)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_workday(day)
        return count

    def add_days(self, start: date, count: int) -> date:
        """A period of `count` calendar days from `start` (not counted); when it ends on a day off it ends on the
        next working day (Civil Code Art. 201, 203)."""
        if count < 0:
            raise ValueError("count must not be negative")
        day = start + timedelta(days=count)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day
