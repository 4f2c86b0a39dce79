"""Intake's pure rules, with values worked by hand: time limits across the 2026 National Day holiday and its
make-up Saturday, a limit running into a year whose holidays are not known (provisional), calendar-day limits
ending on a day off, the settings' ranges, repeats, priority and the citizen's rating.

The 2026 calendar as the chinese-calendar package records it: 1–7 October off (National Day), Saturday
10 October worked in exchange, 11 October an ordinary Sunday; 2027 not yet published (the package raises)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ecoloop.cases.enums import Severity
from ecoloop.cases.workdays import WorkCalendar
from ecoloop.intake import rules
from ecoloop.intake.enums import Satisfaction, Status
from ecoloop.intake.rules import Candidate, Config, ConfigError, Due, Limit, Unit

CALENDAR = WorkCalendar()
CONFIG = Config()  # radius 500 m, near 100 m, similarity 0.3, high after 3, critical after 10


@pytest.mark.parametrize(
    ("start", "limit", "expected"),
    [
        # Received Monday 28 September: 29 Sep (1), 30 Sep (2); 1–7 Oct off; 8 Oct (3), 9 Oct (4), and the
        # make-up Saturday 10 Oct (5).
        (date(2026, 9, 28), Limit(5), Due(date(2026, 10, 10), provisional=False)),
        # One more: Sunday 11 Oct is off, Monday 12 Oct (6).
        (date(2026, 9, 28), Limit(6), Due(date(2026, 10, 12), provisional=False)),
        # Received on a holiday: the count starts the next day, 8 Oct (1).
        (date(2026, 10, 3), Limit(1), Due(date(2026, 10, 8), provisional=False)),
        # 15 working days from Tuesday 29 Sep: 30 Sep (1), 8, 9, 10 Oct (4), 12–16 Oct (9), 19–23 Oct (14), 26 Oct (15).
        (date(2026, 9, 29), Limit(15), Due(date(2026, 10, 26), provisional=False)),
        # 60 working days from Tuesday 1 December 2026: 2–31 December hold 22 working days (weekdays, no holiday),
        # the other 38 fall in 2027, counted Monday to Friday because its holidays are not known: Fri 1 Jan (1),
        # 4–8 Jan (6), 11–15 (11), 18–22 (16), 25–29 (21), 1–5 Feb (26), 8–12 (31), 15–19 (36), 22 Feb (37),
        # 23 Feb (38) — provisional.
        (date(2026, 12, 1), Limit(60), Due(date(2027, 2, 23), provisional=True)),
        # Calendar days: 28 Sep + 3 = 1 Oct, a holiday: the period ends on the next working day, 8 Oct.
        (date(2026, 9, 28), Limit(3, Unit.CALENDAR), Due(date(2026, 10, 8), provisional=False)),
        # 2 Oct + 8 = Saturday 10 Oct, a working day: it stands.
        (date(2026, 10, 2), Limit(8, Unit.CALENDAR), Due(date(2026, 10, 10), provisional=False)),
        # 30 Sep + 11 = Sunday 11 Oct: Monday 12 Oct.
        (date(2026, 9, 30), Limit(11, Unit.CALENDAR), Due(date(2026, 10, 12), provisional=False)),
        # 15 Dec + 30 calendar days = 14 Jan 2027, a Thursday, in the unknown year: provisional.
        (date(2026, 12, 15), Limit(30, Unit.CALENDAR), Due(date(2027, 1, 14), provisional=True)),
    ],
)
def test_due_on_the_working_day_calendar(start: date, limit: Limit, expected: Due) -> None:
    assert rules.due(CALENDAR, start, limit) == expected


def test_a_year_the_bureau_entered_is_no_longer_provisional() -> None:
    """With 1 January 2027 entered as a day off, 2027 is known: the 60th working day from 1 December 2026 moves
    one working day later, to Wednesday 24 February, and is final."""
    entered = WorkCalendar({date(2027, 1, 1): False})
    assert rules.due(entered, date(2026, 12, 1), Limit(60)) == Due(date(2027, 2, 24), provisional=False)


def test_the_defaults_follow_the_regulation() -> None:
    assert (CONFIG.accept, CONFIG.conclude, CONFIG.extension) == (Limit(15), Limit(60), Limit(30))
    assert CONFIG.accept.unit is Unit.WORKING


def _with(**changes: Any) -> dict[str, Any]:
    return {**rules.as_json(CONFIG), **changes}


@pytest.mark.parametrize(
    ("parameters", "code"),
    [
        ({"accept": {"days": 0, "unit": "working"}}, "limit_days"),
        ({"conclude": {"days": 366, "unit": "calendar"}}, "limit_days"),
        ({"accept": {"days": 10, "unit": "weeks"}}, "invalid"),
        ({"accept": {"days": "ten", "unit": "working"}}, "invalid"),
        ({"extension": "30"}, "invalid"),
        ({"repeat_radius_m": 9}, "repeat_distance"),
        ({"repeat_radius_m": 10_001}, "repeat_distance"),
        ({"repeat_near_m": 501}, "repeat_distance"),  # nearer than the radius, or it is no "near"
        ({"repeat_near_m": -1}, "repeat_distance"),
        ({"repeat_days": 0}, "repeat_window"),
        ({"repeat_days": 366}, "repeat_window"),
        ({"repeat_similarity": 1.01}, "repeat_window"),
        ({"repeat_similarity": -0.1}, "repeat_window"),
        ({"high_after": 1}, "repeat_priority"),
        ({"high_after": 5, "critical_after": 4}, "repeat_priority"),
        ({"critical_after": 1001}, "repeat_priority"),
        ({"reply_rating_days": 0}, "reply_or_reward"),
        ({"reply_rating_days": 91}, "reply_or_reward"),
        ({"reward_max": -1}, "reply_or_reward"),
        ({"reward_max": 10_000_001}, "reply_or_reward"),
    ],
)
def test_settings_out_of_range_are_refused_with_a_code(parameters: dict[str, Any], code: str) -> None:
    with pytest.raises(ConfigError) as caught:
        rules.check(_with(**parameters))
    assert caught.value.code == code


def test_settings_within_range_and_their_round_trip() -> None:
    assert rules.check({}) == CONFIG
    assert rules.check(rules.as_json(CONFIG)) == CONFIG
    edges = rules.check(
        {
            "accept": {"days": 365, "unit": "calendar"},
            "conclude": {"days": 1, "unit": "working"},
            "repeat_radius_m": 10,
            "repeat_near_m": 10,  # as near as the radius
            "repeat_days": 365,
            "repeat_similarity": 1.0,
            "high_after": 2,
            "critical_after": 2,
            "reply_rating_days": 90,
            "reward_max": 10_000_000,
            "unknown": "ignored",
        }
    )
    assert edges.accept == Limit(365, Unit.CALENDAR) and edges.repeat_near_m == 10 and edges.critical_after == 2
    assert rules.check({"high_after": "4"}).high_after == 4  # JSON from a form: text that is a number


@pytest.mark.parametrize(
    ("distance_m", "same_address", "similarity", "repeat"),
    [
        (None, True, 0.0, True),  # no points: the same address decides
        (None, False, 1.0, False),
        (80.0, False, 0.0, True),  # near: whatever the words
        (100.0, False, 0.0, True),  # the near distance itself counts
        (100.1, False, 0.29, False),
        (300.0, False, 0.3, True),  # within the radius and alike enough
        (300.0, False, 0.29, False),
        (500.0, False, 0.5, True),  # the radius itself counts
        (500.1, True, 1.0, False),  # beyond the radius nothing counts
    ],
)
def test_is_repeat(distance_m: float | None, same_address: bool, similarity: float, repeat: bool) -> None:
    assert rules.is_repeat(Candidate(1, distance_m, same_address, similarity), CONFIG) is repeat


def test_best_repeat_is_the_closest_then_the_most_alike() -> None:
    far_alike = Candidate(1, 300.0, False, 0.5)
    near = Candidate(2, 80.0, False, 0.0)
    beyond = Candidate(3, 600.0, False, 1.0)
    assert rules.best_repeat([far_alike, near, beyond], CONFIG) == near
    same_place = [Candidate(4, 200.0, False, 0.4), Candidate(5, 200.0, False, 0.6)]
    assert rules.best_repeat(same_place, CONFIG) == same_place[1]
    tie = [Candidate(7, 50.0, False, 0.0), Candidate(6, 50.0, False, 0.0)]
    assert rules.best_repeat(tie, CONFIG) == tie[1]  # the older case (lower id)
    assert rules.best_repeat([beyond, Candidate(8, 300.0, False, 0.1)], CONFIG) is None
    assert rules.best_repeat([], CONFIG) is None


@pytest.mark.parametrize(
    ("reports", "current", "expected"),
    [
        (1, Severity.NORMAL, Severity.NORMAL),
        (2, Severity.LOW, Severity.LOW),
        (3, Severity.LOW, Severity.HIGH),  # high_after = 3
        (9, Severity.NORMAL, Severity.HIGH),
        (10, Severity.NORMAL, Severity.CRITICAL),  # critical_after = 10
        (1, Severity.CRITICAL, Severity.CRITICAL),  # never lowered
        (3, Severity.CRITICAL, Severity.CRITICAL),
        (5, Severity.HIGH, Severity.HIGH),
    ],
)
def test_priority_is_raised_by_repeats_never_lowered(reports: int, current: Severity, expected: Severity) -> None:
    assert rules.priority(reports, CONFIG, current) is expected


@pytest.mark.parametrize(
    ("rating", "status"),
    [
        (Satisfaction.SATISFIED, Status.CLOSED),
        (Satisfaction.BASICALLY, Status.CLOSED),
        (Satisfaction.NOT_SATISFIED, Status.REVIEW),  # sent back for review (复查)
    ],
)
def test_after_rating(rating: Satisfaction, status: Status) -> None:
    assert rules.after_rating(rating) is status
