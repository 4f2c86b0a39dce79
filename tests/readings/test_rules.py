"""The plausibility of a reading's time and value (pure), hand-worked at a fixed `now`."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ecoloop.readings.rules import (
    REPRESENTABLE_LAST,
    Refusal,
    TimeWindow,
    epoch_refusal,
    reading_refusal,
    time_refusal,
    value_refusal,
)

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
WINDOW = TimeWindow(date(2000, 1, 1), timedelta(minutes=10))
PLUS_14 = timezone(timedelta(hours=14))
MINUS_14 = timezone(timedelta(hours=-14))


@pytest.mark.parametrize(
    ("moment", "refusal"),
    [
        (NOW, None),
        (NOW + timedelta(minutes=10), None),  # the drift allowed
        (NOW + timedelta(minutes=10, seconds=1), Refusal.TIME_AHEAD),
        (datetime(2099, 1, 1, tzinfo=UTC), Refusal.TIME_AHEAD),
        (datetime(2000, 1, 1, tzinfo=UTC), None),
        (datetime(2000, 1, 1, 7, 59, 59, tzinfo=timezone(timedelta(hours=8))), Refusal.TIME_BEFORE_FLOOR),
        (datetime(1, 1, 1, tzinfo=PLUS_14), Refusal.TIME_OUT_OF_RANGE),  # its UTC instant is in year 0
        (datetime(9999, 12, 31, tzinfo=MINUS_14), Refusal.TIME_OUT_OF_RANGE),  # … in year 10000
        (datetime(9999, 12, 31, tzinfo=UTC), Refusal.TIME_OUT_OF_RANGE),  # not in every zone
        (datetime(9999, 1, 1, tzinfo=UTC), Refusal.TIME_AHEAD),
    ],
)
def test_time_refusal(moment: datetime, refusal: Refusal | None) -> None:
    assert time_refusal(moment, NOW, WINDOW) == refusal


def test_epoch_refusal_matches_time_refusal_at_the_bounds() -> None:
    first, last = WINDOW.first, WINDOW.last(NOW)
    assert first == 946_684_800 and last == int(NOW.timestamp()) + 600
    assert [epoch_refusal(s, first, last) for s in (first - 1, first, last, last + 1)] == [
        Refusal.TIME_BEFORE_FLOOR,
        None,
        None,
        Refusal.TIME_AHEAD,
    ]
    assert epoch_refusal(REPRESENTABLE_LAST + 1, first, last) is Refusal.TIME_OUT_OF_RANGE
    assert epoch_refusal(-(2**62), first, last) is Refusal.TIME_OUT_OF_RANGE


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        (None, None),
        (0.0, None),
        (-1e308, None),
        (float("1e999"), Refusal.VALUE_NOT_FINITE),
        (float("-inf"), Refusal.VALUE_NOT_FINITE),
        (float("nan"), Refusal.VALUE_NOT_FINITE),
    ],
)
def test_value_refusal(value: float | None, refusal: Refusal | None) -> None:
    assert value_refusal(value) == refusal


def test_a_reading_is_judged_by_its_time_first() -> None:
    assert reading_refusal(datetime(2099, 1, 1, tzinfo=UTC), float("inf"), NOW, WINDOW) is Refusal.TIME_AHEAD
    assert reading_refusal(NOW, float("inf"), NOW, WINDOW) is Refusal.VALUE_NOT_FINITE
    assert reading_refusal(NOW, 35.0, NOW, WINDOW) is None
