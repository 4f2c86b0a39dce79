"""What an evaluation does to an alert (pure): raise a new one, count a repeat, reopen, clear, or nothing.

One alert per (rule, subject) is live at a time — open, or cleared and still within the rule's reopen window —
so a condition that persists or flaps does not flood anyone: repeats are counted on the live alert, a recurrence
soon after clearing reopens it. A closed alert (its case closed, or dismissed after checking) is never reopened:
a new finding raises a new alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ecoloop.alerts.enums import AlertStatus


class Decision(StrEnum):
    """What to do with the live alert of a (rule, subject) after an evaluation."""

    RAISE = "raise"
    REPEAT = "repeat"
    REOPEN = "reopen"
    CLEAR = "clear"
    NOTHING = "nothing"


@dataclass(frozen=True)
class LiveAlert:
    """The latest not-closed alert of a (rule, subject): its status, the data time of its latest finding and,
    if cleared, when."""

    status: AlertStatus
    last_at: datetime
    cleared_at: datetime | None = None


def decide(live: LiveAlert | None, found: bool, time: datetime, now: datetime, reopen_within: timedelta) -> Decision:
    """The decision after evaluating a (rule, subject) at data time `time`: `found` whether the rule fired.

    - Fired, no live alert (or the live one cleared longer than `reopen_within` ago): raise.
    - Fired, open alert: a repeat when `time` is later than its latest finding, else nothing (the same data
      evaluated again — a re-sent packet, a second arrival of the same hour — changes nothing).
    - Fired, cleared alert within the window: reopen, if `time` is later than the latest finding.
    - Clean evaluation of data later than the open alert's latest finding: clear. Older data does not clear
      (hours can arrive out of order).
    """
    if found:
        if live is None:
            return Decision.RAISE
        if time <= live.last_at:
            return Decision.NOTHING
        if live.status is AlertStatus.OPEN:
            return Decision.REPEAT
        if live.cleared_at is not None and now - live.cleared_at > reopen_within:
            return Decision.RAISE
        return Decision.REOPEN
    if live is not None and live.status is AlertStatus.OPEN and time > live.last_at:
        return Decision.CLEAR
    return Decision.NOTHING
