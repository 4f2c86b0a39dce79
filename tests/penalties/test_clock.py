"""The legal clock of penalty cases with a controllable `today`, counted on the 2026 calendar (weekends, 清明,
端午), worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ecoloop.cases.workdays import WorkCalendar
from ecoloop.penalties import clock
from ecoloop.penalties.clock import Dates, DueKind, Limits, Pause

CAL = WorkCalendar()
LIMITS = Limits()


def test_ninety_days_from_registration() -> None:
    # 2026-03-02 + 90 calendar days = 2026-05-31, a Sunday: the period ends on Monday 2026-06-01 (民法典 第二百零三条).
    due = clock.decision_due(CAL, date(2026, 3, 2), LIMITS, extended_days=0, pauses=(), today=date(2026, 3, 2))
    assert due == clock.DecisionDue(date(2026, 6, 1), paused=False, paused_days=0)


def test_ninety_days_ending_on_a_holiday() -> None:
    # 2026-01-05 + 90 = 2026-04-05, 清明 (4-6 April off): it ends on Tuesday 2026-04-07.
    due = clock.decision_due(CAL, date(2026, 1, 5), LIMITS, extended_days=0, pauses=(), today=date(2026, 1, 5))
    assert due.day == date(2026, 4, 7)


def test_extension_adds_its_days() -> None:
    # 90 + 30 days from 2026-03-02: 2026-06-30, a Tuesday.
    due = clock.decision_due(CAL, date(2026, 3, 2), LIMITS, extended_days=30, pauses=(), today=date(2026, 3, 2))
    assert due.day == date(2026, 6, 30)


def test_a_hearing_held_is_not_counted() -> None:
    # Asked on 04-01, held on 04-11: 10 days not counted; 2026-05-31 + 10 = 2026-06-10, a Wednesday.
    pauses = (Pause(date(2026, 4, 1), date(2026, 4, 11)),)
    due = clock.decision_due(CAL, date(2026, 3, 2), LIMITS, extended_days=0, pauses=pauses, today=date(2026, 5, 1))
    assert due == clock.DecisionDue(date(2026, 6, 10), paused=False, paused_days=10)


def test_a_pending_hearing_stops_the_clock() -> None:
    # Asked on 04-01, still pending on 04-21: 20 days so far; 2026-05-31 + 20 = 2026-06-20, a Saturday after 端午
    # (06-19): it ends on Monday 06-22; a day later the end moves by a day.
    pauses = (Pause(date(2026, 4, 1), None),)
    due = clock.decision_due(CAL, date(2026, 3, 2), LIMITS, extended_days=0, pauses=pauses, today=date(2026, 4, 21))
    assert due == clock.DecisionDue(date(2026, 6, 22), paused=True, paused_days=20)
    later = clock.decision_due(CAL, date(2026, 3, 2), LIMITS, extended_days=0, pauses=pauses, today=date(2026, 4, 25))
    assert later.paused_days == 24
    assert later.day == date(2026, 6, 24)


def test_overlapping_pauses_count_once() -> None:
    pauses = [Pause(date(2026, 4, 1), date(2026, 4, 11)), Pause(date(2026, 4, 6), date(2026, 4, 16))]
    assert clock.paused_days(pauses, date(2026, 5, 1)) == 15


def test_short_limits_are_working_days() -> None:
    # Notified on Friday 2026-03-06: 5 working days → Friday 03-13 (行政处罚法 第六十四条, 第八十五条).
    assert clock.hearing_request_last_day(CAL, date(2026, 3, 6), LIMITS) == date(2026, 3, 13)
    # A hearing on Friday 03-20 is announced at the latest 7 working days before: Wednesday 03-11.
    assert clock.hearing_notice_latest(CAL, date(2026, 3, 20), LIMITS) == date(2026, 3, 11)
    # Decided on Friday 03-06: served within 7 working days, by Tuesday 03-17 (第六十一条).
    assert clock.service_due(CAL, date(2026, 3, 6), LIMITS) == date(2026, 3, 17)
    calendar_days = Limits(short_unit=clock.Unit.CALENDAR)
    assert clock.hearing_request_last_day(CAL, date(2026, 3, 6), calendar_days) == date(2026, 3, 11)


def test_payment_within_fifteen_days_and_late_fee() -> None:
    # Served on 2026-03-02: pay by 03-17 (第六十七条); 3 days late: 3 % × 3 of 100,000 = 9,000 (第七十二条).
    due = clock.payment_due(CAL, date(2026, 3, 2), LIMITS)
    assert due == date(2026, 3, 17)
    fine = Decimal(100000)
    assert clock.late_fee(fine, due, date(2026, 3, 17), LIMITS) == Decimal(0)
    assert clock.late_fee(fine, due, date(2026, 3, 20), LIMITS) == Decimal(9000)
    # 61 days late would be 183,000: at most the fine itself (行政强制法 第四十五条).
    assert clock.late_fee(fine, due, date(2026, 5, 17), LIMITS) == fine


def test_dues_by_stage_with_a_controllable_today() -> None:
    proposed = Dates(stage="proposed", discovered_on=date(2026, 3, 2))
    [register] = clock.dues(CAL, proposed, LIMITS, date(2026, 3, 10))
    # 立案 within 15 days of discovery (生态环境行政处罚办法 第十八条): 03-17, 7 days left.
    assert (register.kind, register.day, register.days_left, register.overdue) == (
        DueKind.REGISTER,
        date(2026, 3, 17),
        7,
        False,
    )
    [late] = clock.dues(CAL, proposed, LIMITS, date(2026, 3, 18))
    assert late.overdue and late.days_left == -1
    notified = Dates(
        stage="notified",
        discovered_on=date(2026, 3, 1),
        registered_on=date(2026, 3, 2),
        notified_on=date(2026, 3, 6),
        hearing_right=True,
    )
    kinds = [(d.kind, d.day) for d in clock.dues(CAL, notified, LIMITS, date(2026, 3, 9))]
    assert kinds == [(DueKind.HEARING_REQUEST, date(2026, 3, 13)), (DueKind.DECISION, date(2026, 6, 1))]
    # The window passed unused: not overdue (the party let its right lapse), the decision is what runs.
    after = [(d.kind, d.day, d.overdue) for d in clock.dues(CAL, notified, LIMITS, date(2026, 3, 16))]
    assert after == [(DueKind.DECISION, date(2026, 6, 1), False)]
    paused = Dates(
        stage="hearing",
        discovered_on=date(2026, 3, 1),
        registered_on=date(2026, 3, 2),
        pauses=(Pause(date(2026, 3, 10), None),),
    )
    [decision] = clock.dues(CAL, paused, LIMITS, date(2026, 8, 1))
    assert decision.paused and not decision.overdue
    served = Dates(stage="served", discovered_on=date(2026, 3, 1), served_on=date(2026, 3, 2), fine=Decimal(1))
    [payment] = clock.dues(CAL, served, LIMITS, date(2026, 3, 20))
    assert (payment.kind, payment.overdue) == (DueKind.PAYMENT, True)


def test_limits_round_trip_and_ranges() -> None:
    assert clock.check_limits(clock.as_json(LIMITS)) == LIMITS
    assert clock.check_limits({}) == LIMITS
    changed = clock.check_limits({"decision_days": "60", "hearing_fine_threshold": "30000", "number_prefix": "X"})
    assert (changed.decision_days, changed.hearing_fine_threshold, changed.number_prefix) == (60, Decimal(30000), "X")
    for bad, code in (
        ({"decision_days": "0"}, "days"),
        ({"decision_days": "abc"}, "invalid"),
        ({"late_fee_percent": "20"}, "late_fee"),
        ({"hearing_fine_threshold": "200000"}, "thresholds"),
        ({"short_unit": "weeks"}, "invalid"),
    ):
        with pytest.raises(clock.LimitsError) as refused:
            clock.check_limits(bad)
        assert refused.value.code == code
