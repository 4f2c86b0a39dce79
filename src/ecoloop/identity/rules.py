"""Login throttling as a pure state transition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ThrottleState:
    """Failures counted since `window_start` and the instant a lock ends (None when not locked)."""

    failures: int
    window_start: datetime
    locked_until: datetime | None = None


@dataclass(frozen=True)
class ThrottlePolicy:
    """`max_failures` failures within `window` lock the key for `lock`."""

    max_failures: int
    window: timedelta
    lock: timedelta


def is_locked(state: ThrottleState | None, now: datetime) -> bool:
    """Whether the key is locked at `now`."""
    return state is not None and state.locked_until is not None and state.locked_until > now


def after_failure(state: ThrottleState | None, now: datetime, policy: ThrottlePolicy) -> ThrottleState:
    """The state after one more failed login at `now`; the `max_failures`-th failure in the window locks."""
    if (
        state is None
        or now - state.window_start > policy.window
        or (state.locked_until is not None and state.locked_until <= now)
    ):
        state = ThrottleState(failures=0, window_start=now)
    failures = state.failures + 1
    locked_until = now + policy.lock if failures >= policy.max_failures else state.locked_until
    return ThrottleState(failures=failures, window_start=state.window_start, locked_until=locked_until)
