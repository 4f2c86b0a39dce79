"""Login throttling as a pure state transition: 5 failures within 15 minutes lock for 15 minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ecoloop.identity.rules import ThrottlePolicy, ThrottleState, after_failure, is_locked

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15), lock=timedelta(minutes=15))


def fail(times: int, start: ThrottleState | None = None, step: timedelta = timedelta(seconds=10)) -> ThrottleState:
    state = start
    for i in range(times):
        state = after_failure(state, T0 + i * step, POLICY)
    assert state is not None
    return state


def test_four_failures_do_not_lock() -> None:
    state = fail(4)
    assert state.failures == 4
    assert not is_locked(state, T0 + timedelta(minutes=1))


def test_fifth_failure_locks_for_fifteen_minutes() -> None:
    state = fail(5)
    last = T0 + 4 * timedelta(seconds=10)
    assert state.locked_until == last + timedelta(minutes=15)
    assert is_locked(state, last + timedelta(minutes=14, seconds=59))
    assert not is_locked(state, last + timedelta(minutes=15))


def test_failures_outside_the_window_start_a_new_count() -> None:
    state = fail(4)
    later = after_failure(state, T0 + timedelta(minutes=16), POLICY)
    assert later.failures == 1
    assert later.window_start == T0 + timedelta(minutes=16)


def test_failure_after_lock_expired_starts_over() -> None:
    state = fail(5)
    assert state.locked_until is not None
    after = after_failure(state, state.locked_until + timedelta(seconds=1), POLICY)
    assert after.failures == 1
    assert after.locked_until is None


def test_no_state_is_not_locked() -> None:
    assert not is_locked(None, T0)
