"""Working days: China's holidays and make-up working days from the package, later years from the bureau's table;
deadlines across a holiday and a make-up Saturday, worked by hand from the State Council's 2026 schedule
(国办发明电〔2025〕7号 [U: as the package records it]: National Day 1–7 October off, Saturday 10 October worked)."""

from __future__ import annotations

from datetime import date

import pytest

from ecoloop.cases.workdays import UnknownYearError, WorkCalendar

CALENDAR = WorkCalendar()


def test_the_packages_holidays_and_make_up_days() -> None:
    assert not CALENDAR.is_workday(date(2026, 10, 1))  # National Day
    assert not CALENDAR.is_workday(date(2026, 10, 7))
    assert CALENDAR.is_workday(date(2026, 10, 10))  # a Saturday worked in exchange
    assert not CALENDAR.is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert CALENDAR.is_workday(date(2026, 9, 30))


def test_working_days_are_counted_from_the_next_day_across_a_holiday() -> None:
    # Received Tuesday 29 September 2026: 30 Sep (1); 1–7 Oct off; 8 Oct (2), 9 Oct (3), Sat 10 Oct worked (4),
    # 12 Oct (5).
    assert CALENDAR.add_workdays(date(2026, 9, 29), 5) == date(2026, 10, 12)
    assert CALENDAR.add_workdays(date(2026, 9, 29), 0) == date(2026, 9, 29)
    assert CALENDAR.workdays_between(date(2026, 9, 29), date(2026, 10, 12)) == 5
    assert CALENDAR.workdays_between(date(2026, 10, 12), date(2026, 9, 29)) == 0


def test_a_period_of_days_ending_on_a_holiday_ends_on_the_next_working_day() -> None:
    # 15 days from 16 September 2026 end on 1 October, a holiday: the period ends on 8 October (Civil Code Art. 203).
    assert CALENDAR.add_days(date(2026, 9, 16), 15) == date(2026, 10, 8)
    # 15 days from 10 September end on Friday 25 September, the Mid-Autumn Festival: then the weekend; Monday 28th.
    assert CALENDAR.add_days(date(2026, 9, 10), 15) == date(2026, 9, 28)
    # 15 days from 1 September end on Wednesday 16 September, a working day.
    assert CALENDAR.add_days(date(2026, 9, 1), 15) == date(2026, 9, 16)


def test_a_year_the_package_does_not_know_comes_from_the_bureaus_table_or_is_refused() -> None:
    with pytest.raises(UnknownYearError) as unknown:
        CALENDAR.add_workdays(date(2026, 12, 30), 5)  # runs into 2027
    assert unknown.value.year == 2027
    # The bureau enters 2027's New Year holiday (1–3 January off) and a make-up Sunday (10 January worked).
    bureau = WorkCalendar(
        {date(2027, 1, 1): False, date(2027, 1, 2): False, date(2027, 1, 3): False, date(2027, 1, 10): True}
    )
    assert bureau.knows(2027) and not CALENDAR.knows(2027)
    # From Wednesday 30 December 2026: 31 Dec (1); 1–3 Jan off; 4–8 Jan (2–6); Sun 10 Jan worked (7).
    assert bureau.add_workdays(date(2026, 12, 30), 7) == date(2027, 1, 10)
    assert not bureau.is_workday(date(2027, 1, 9))  # an ordinary Saturday
    # The bureau's entries also override the package's (a local holiday).
    assert not WorkCalendar({date(2026, 9, 30): False}).is_workday(date(2026, 9, 30))
