"""Data-quality checks at and around their thresholds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ecoloop.monitoring.quality import (
    IssueKind,
    Point,
    completeness,
    flat_lines,
    is_silent,
    jumps,
    pm25_above_pm10,
    spikes,
    value_issues,
)

T0 = datetime(2026, 11, 22, tzinfo=UTC)
H = timedelta(hours=1)


def series(values: list[float | None], flags: list[str | None] | None = None) -> list[Point]:
    flags = flags or [None] * len(values)
    return [Point(T0 + i * H, v, f) for i, (v, f) in enumerate(zip(values, flags, strict=True))]


def test_completeness_hand_worked() -> None:
    """24 expected hours; 20 received (one twice); 2 flagged D/M: transmission 20/24 = 83.33 %, validity 18/20 =
    90.00 %, effective 83.33 x 90.00 / 100 = 75.00 %."""
    points = [*series([10.0] * 20, ["N"] * 18 + ["D", "M"]), Point(T0, 11.0)]
    result = completeness(points, T0, T0 + 24 * H, H)
    assert (result.expected, result.received, result.valid) == (24, 20, 18)
    assert (result.transmission, result.validity, result.effective) == (
        Decimal("83.33"),
        Decimal("90.00"),
        Decimal("75.00"),
    )
    empty = completeness([], T0, T0 + 24 * H, H)
    assert (empty.transmission, empty.validity, empty.effective) == (0, 0, 0)
    with pytest.raises(ValueError):
        completeness([], T0, T0, H)


@pytest.mark.parametrize(("silence", "expected"), [(timedelta(hours=3), False), (timedelta(hours=3, seconds=1), True)])
def test_silent_after_three_missed_intervals(silence: timedelta, expected: bool) -> None:
    assert is_silent(T0, T0 + silence, H) is expected
    assert is_silent(None, T0, H)


def test_value_issues() -> None:
    points = series([-1.0, 35.0, 1500.0, 1500.1], [None, "D", None, None])
    kinds = [(i.kind, i.start) for i in value_issues("a34004", points)]
    assert kinds == [(IssueKind.NEGATIVE, T0), (IssueKind.FLAGGED, T0 + H), (IssueKind.OUT_OF_RANGE, T0 + 3 * H)]


def test_flat_lines_at_the_threshold() -> None:
    five = series([7.0] * 5 + [8.0])
    assert flat_lines("a21026", five, min_points=6) == []
    six = series([1.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 9.0])
    found = flat_lines("a21026", six, min_points=6)
    assert len(found) == 1 and (found[0].start, found[0].end) == (T0 + H, T0 + 6 * H)
    # A flagged value in between does not break or extend the run: only valid data counts.
    assert len(flat_lines("a21026", series([7.0] * 6, [None, None, "M", None, None, None]), min_points=6)) == 0


def test_spikes_and_jumps() -> None:
    points = series([30.0, 32.0, 31.0, 200.0, 33.0, 30.0, 31.0])
    found = spikes("a34004", points)
    assert [i.start for i in found] == [T0 + 3 * H]
    # An episode (values rising together) is not a spike.
    assert spikes("a34004", series([30.0, 80.0, 150.0, 200.0, 210.0, 190.0])) == []
    steps = jumps("a34004", points, max_step=150.0)
    assert [(i.start, i.end) for i in steps] == [(T0 + 2 * H, T0 + 3 * H), (T0 + 3 * H, T0 + 4 * H)]
    assert jumps("a34004", points, max_step=169.0) == []


def test_pm25_above_pm10() -> None:
    pm25 = series([50.0, 80.0, 60.0])
    pm10 = series([70.0, 79.0, 60.0])
    found = pm25_above_pm10(pm25, pm10)
    assert [i.start for i in found] == [T0 + H]
    assert pm25_above_pm10(pm25, pm10, tolerance=1.0) == []
