"""The alert lifecycle decision: raise once, count repeats, clear on later clean data, reopen within the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ecoloop.alerts.enums import AlertStatus
from ecoloop.alerts.lifecycle import Decision, LiveAlert, decide

T = datetime(2026, 11, 22, 8, tzinfo=UTC)
H = timedelta(hours=1)
WINDOW = timedelta(hours=24)


def test_a_first_finding_raises() -> None:
    assert decide(None, True, T, T, WINDOW) is Decision.RAISE


def test_clean_data_without_an_alert_does_nothing() -> None:
    assert decide(None, False, T, T, WINDOW) is Decision.NOTHING


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-H, Decision.NOTHING), (timedelta(0), Decision.NOTHING), (H, Decision.REPEAT)],
)
def test_a_finding_on_an_open_alert_repeats_only_for_later_data(offset: timedelta, expected: Decision) -> None:
    live = LiveAlert(AlertStatus.OPEN, T)
    assert decide(live, True, T + offset, T + 2 * H, WINDOW) is expected


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-H, Decision.NOTHING), (timedelta(0), Decision.NOTHING), (H, Decision.CLEAR)],
)
def test_clean_data_clears_only_when_later_than_the_last_finding(offset: timedelta, expected: Decision) -> None:
    live = LiveAlert(AlertStatus.OPEN, T)
    assert decide(live, False, T + offset, T + 2 * H, WINDOW) is expected


@pytest.mark.parametrize(
    ("since_cleared", "expected"),
    [
        (WINDOW - timedelta(seconds=1), Decision.REOPEN),
        (WINDOW, Decision.REOPEN),
        (WINDOW + timedelta(seconds=1), Decision.RAISE),
    ],
)
def test_a_recurrence_reopens_within_the_window_and_raises_after_it(
    since_cleared: timedelta, expected: Decision
) -> None:
    cleared = T + H
    live = LiveAlert(AlertStatus.CLEARED, T, cleared_at=cleared)
    assert decide(live, True, T + 2 * H, cleared + since_cleared, WINDOW) is expected


def test_a_cleared_alert_is_not_reopened_by_old_data_nor_cleared_again() -> None:
    live = LiveAlert(AlertStatus.CLEARED, T, cleared_at=T + H)
    assert decide(live, True, T, T + 2 * H, WINDOW) is Decision.NOTHING
    assert decide(live, False, T + 3 * H, T + 3 * H, WINDOW) is Decision.NOTHING
