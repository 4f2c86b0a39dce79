"""Periods of briefs by their keys (pure)."""

from __future__ import annotations

from datetime import date

import pytest

from ecoloop.reports.enums import ReportKind
from ecoloop.reports.periods import PeriodError, latest_over, parse_period, period_containing


@pytest.mark.parametrize(
    ("kind", "key", "first", "last"),
    [
        (ReportKind.DAILY, "2026-12-06", date(2026, 12, 6), date(2026, 12, 6)),
        (ReportKind.WEEKLY, "2026-W49", date(2026, 11, 30), date(2026, 12, 6)),
        (ReportKind.WEEKLY, "2026-W01", date(2025, 12, 29), date(2026, 1, 4)),  # ISO week 1 starts in 2025
        (ReportKind.MONTHLY, "2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        (ReportKind.MONTHLY, "2028-02", date(2028, 2, 1), date(2028, 2, 29)),
        (ReportKind.ANNUAL, "2026", date(2026, 1, 1), date(2026, 12, 31)),
    ],
)
def test_keys_name_their_days(kind: ReportKind, key: str, first: date, last: date) -> None:
    period = parse_period(kind, key)
    assert (period.key, period.first, period.last) == (key, first, last)
    assert period_containing(kind, last) == period


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        (ReportKind.DAILY, "2026-13-01"),
        (ReportKind.DAILY, "20261206"),
        (ReportKind.WEEKLY, "2026-W54"),
        (ReportKind.WEEKLY, "2026-49"),
        (ReportKind.MONTHLY, "2026-13"),
        (ReportKind.MONTHLY, "1999-12"),
        (ReportKind.ANNUAL, "26"),
        (ReportKind.ANNUAL, "2101"),
    ],
)
def test_other_keys_are_refused(kind: ReportKind, key: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(kind, key)


def test_the_latest_period_over_and_the_ones_before() -> None:
    monday = date(2026, 12, 7)
    assert latest_over(ReportKind.DAILY, monday).key == "2026-12-06"
    assert latest_over(ReportKind.WEEKLY, monday).key == "2026-W49"
    assert latest_over(ReportKind.MONTHLY, monday).key == "2026-11"
    assert latest_over(ReportKind.MONTHLY, date(2026, 12, 1)).key == "2026-11"
    assert latest_over(ReportKind.ANNUAL, monday).key == "2025"
    assert parse_period(ReportKind.MONTHLY, "2026-01").previous().key == "2025-12"
    assert parse_period(ReportKind.WEEKLY, "2026-W49").last_year().key == "2025-W49"
    assert parse_period(ReportKind.WEEKLY, "2026-W53").last_year().key == "2025-W52"  # 2025 has 52 weeks
    assert parse_period(ReportKind.DAILY, "2028-02-29").last_year().key == "2027-02-28"
