"""Every (state, action, party) of the case workflow: the legal ones give the expected state, every other one is
refused with the reason."""

from __future__ import annotations

import itertools

import pytest

from ecoloop.cases.workflow import (
    PROGRESS,
    Action,
    IllegalTransitionError,
    Party,
    State,
    actions_for,
    is_open,
    may_attach_evidence,
    transition,
)

S, A, P = State, Action, Party
# The workflow written out by hand, independently of TRANSITIONS: (state, action, party) → new state.
LEGAL: dict[tuple[State, Action, Party], State] = {
    (S.REGISTERED, A.ASSIGN, P.SUPERVISOR): S.ASSIGNED,
    (S.RETURNED, A.ASSIGN, P.SUPERVISOR): S.ASSIGNED,
    (S.ASSIGNED, A.ACCEPT, P.UNIT): S.RECTIFYING,
    (S.ASSIGNED, A.RETURN, P.UNIT): S.RETURNED,
    (S.RECTIFYING, A.REPORT, P.UNIT): S.REPORTED,
    (S.REPORTED, A.START_VERIFICATION, P.SUPERVISOR): S.VERIFYING,
    (S.VERIFYING, A.PASS, P.SUPERVISOR): S.CLOSED,
    (S.VERIFYING, A.FAIL, P.SUPERVISOR): S.RECTIFYING,
    (S.REGISTERED, A.MERGE, P.SUPERVISOR): S.MERGED,
    (S.ASSIGNED, A.MERGE, P.SUPERVISOR): S.MERGED,
    (S.RETURNED, A.MERGE, P.SUPERVISOR): S.MERGED,
    (S.RECTIFYING, A.MERGE, P.SUPERVISOR): S.MERGED,
    (S.CLOSED, A.REOPEN, P.SUPERVISOR): S.RECTIFYING,
}
NEEDS_REASON = {A.RETURN, A.FAIL, A.MERGE, A.REOPEN}


@pytest.mark.parametrize(("state", "action", "party"), list(itertools.product(State, Action, Party)))
def test_every_combination(state: State, action: Action, party: Party) -> None:
    expected = LEGAL.get((state, action, party))
    if expected is not None:
        assert transition(state, action, party, reason="理由") is expected
        if action in NEEDS_REASON:
            with pytest.raises(IllegalTransitionError) as bare:
                transition(state, action, party, reason=" ")
            assert bare.value.code == "reason_required"
        return
    with pytest.raises(IllegalTransitionError) as refused:
        transition(state, action, party, reason="理由")
    state_allows = any(s is state and a is action for s, a, _ in LEGAL)
    assert refused.value.code == ("not_your_step" if state_allows else "illegal_state")


def test_the_whole_loop_and_its_detours() -> None:
    state = S.REGISTERED
    steps = [
        (A.ASSIGN, P.SUPERVISOR),
        (A.RETURN, P.UNIT),  # wrong unit
        (A.ASSIGN, P.SUPERVISOR),  # reassigned
        (A.ACCEPT, P.UNIT),
        (A.REPORT, P.UNIT),
        (A.START_VERIFICATION, P.SUPERVISOR),
        (A.FAIL, P.SUPERVISOR),  # verification failed
        (A.REPORT, P.UNIT),
        (A.START_VERIFICATION, P.SUPERVISOR),
        (A.PASS, P.SUPERVISOR),  # 销号
        (A.REOPEN, P.SUPERVISOR),  # 返黑返臭
    ]
    seen = [state]
    for action, party in steps:
        state = transition(state, action, party, reason="理由")
        seen.append(state)
    assert seen[-2:] == [S.CLOSED, S.RECTIFYING]
    assert set(seen) == set(State) - {S.MERGED}


def test_buttons_progress_and_evidence() -> None:
    assert actions_for(S.ASSIGNED, P.UNIT) == [A.ACCEPT, A.RETURN]
    assert actions_for(S.ASSIGNED, P.SUPERVISOR) == [A.MERGE]
    assert actions_for(S.CLOSED, P.UNIT) == []
    assert [s for s in State if not is_open(s)] == [S.CLOSED, S.MERGED]
    assert set(PROGRESS) == set(State)
    assert PROGRESS[S.REPORTED] == PROGRESS[S.VERIFYING] == "basically_completed"
    assert may_attach_evidence(S.RECTIFYING, P.ENTERPRISE) and not may_attach_evidence(S.REPORTED, P.ENTERPRISE)
