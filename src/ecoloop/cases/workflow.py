"""The case workflow as an explicit state machine (pure): which action moves a case from which state to which,
and which party may take it. Drawn in docs/cases.md; the service applies it and records each step as an event.

States follow the closed loop of supervision work: a problem is registered (登记), assigned to a responsible unit
with a deadline (交办), rectified by that unit (整改中), reported as rectified with evidence (申请销号), verified
by the bureau (复核), and closed (销号) — or sent back to rectification when verification fails. A unit that is
not responsible returns the case (退回) for reassignment; a duplicate is merged into another case; a closed case
whose problem recurs (e.g. 返黑返臭) is reopened.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ecoloop.i18n import N_


class State(StrEnum):
    """Where a case stands."""

    REGISTERED = "registered"  # 登记
    ASSIGNED = "assigned"  # 已交办, waiting for the unit to accept
    RETURNED = "returned"  # 退回 by the unit: wrong unit, to be reassigned
    RECTIFYING = "rectifying"  # 整改中
    REPORTED = "reported"  # 申请销号: rectification reported with evidence
    VERIFYING = "verifying"  # 复核中
    CLOSED = "closed"  # 已销号
    MERGED = "merged"  # 已合并 into another case (duplicate)

    @property
    def label(self) -> str:
        """The state's name, a message id: pages, the ledger and the audit log all name it so."""
        return STATE_LABELS[self]


STATE_LABELS = {
    State.REGISTERED: N_("Registered"),
    State.ASSIGNED: N_("Assigned, to be accepted"),
    State.RETURNED: N_("Returned for reassignment"),
    State.RECTIFYING: N_("Being rectified"),
    State.REPORTED: N_("Reported as rectified"),
    State.VERIFYING: N_("Under verification"),
    State.CLOSED: N_("Closed (verified)"),
    State.MERGED: N_("Merged"),
}


class Action(StrEnum):
    """What can be done to a case that changes its state."""

    ASSIGN = "assign"  # 交办 (again after a return)
    ACCEPT = "accept"  # 签收
    RETURN = "return"  # 退回
    REPORT = "report"  # 申请销号
    START_VERIFICATION = "start_verification"  # 开始复核
    PASS = "pass"  # 复核通过, 销号
    FAIL = "fail"  # 复核不通过, back to rectification
    MERGE = "merge"  # 合并 into another case
    REOPEN = "reopen"  # 重新打开: the problem recurred

    @property
    def label(self) -> str:
        """The step's name on its button and form, a message id."""
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.ASSIGN: N_("Assign"),
    Action.ACCEPT: N_("Accept"),
    Action.RETURN: N_("Return as not ours"),
    Action.REPORT: N_("Report as rectified"),
    Action.START_VERIFICATION: N_("Start verification"),
    Action.PASS: N_("Pass and close"),
    Action.FAIL: N_("Fail verification"),
    Action.MERGE: N_("Merge as duplicate"),
    Action.REOPEN: N_("Reopen"),
}


class Party(StrEnum):
    """Who takes an action, relative to the case: the supervising bureau (or branch), the lead responsible
    unit it is assigned to, or the enterprise concerned."""

    SUPERVISOR = "supervisor"
    UNIT = "unit"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class Transition:
    """One legal move, with the parties that may make it and what it needs."""

    action: Action
    source: frozenset[State]
    target: State
    parties: frozenset[Party]
    needs_reason: bool = False


_OPEN = frozenset({State.REGISTERED, State.ASSIGNED, State.RETURNED, State.RECTIFYING})
_SUPERVISOR = frozenset({Party.SUPERVISOR})
_UNIT = frozenset({Party.UNIT})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.ASSIGN, frozenset({State.REGISTERED, State.RETURNED}), State.ASSIGNED, _SUPERVISOR),
    Transition(Action.ACCEPT, frozenset({State.ASSIGNED}), State.RECTIFYING, _UNIT),
    Transition(Action.RETURN, frozenset({State.ASSIGNED}), State.RETURNED, _UNIT, needs_reason=True),
    # The unit reports its rectification; where an enterprise is the one rectifying, it submits its evidence
    # through the unit's report (`Party.ENTERPRISE` may attach evidence, see `may_attach_evidence`).
    Transition(Action.REPORT, frozenset({State.RECTIFYING}), State.REPORTED, _UNIT),
    Transition(Action.START_VERIFICATION, frozenset({State.REPORTED}), State.VERIFYING, _SUPERVISOR),
    Transition(Action.PASS, frozenset({State.VERIFYING}), State.CLOSED, _SUPERVISOR),
    Transition(Action.FAIL, frozenset({State.VERIFYING}), State.RECTIFYING, _SUPERVISOR, needs_reason=True),
    Transition(Action.MERGE, _OPEN, State.MERGED, _SUPERVISOR, needs_reason=True),
    Transition(Action.REOPEN, frozenset({State.CLOSED}), State.RECTIFYING, _SUPERVISOR, needs_reason=True),
)
_BY_ACTION = {t.action: t for t in TRANSITIONS}


class IllegalTransitionError(ValueError):
    """An action that the case's state or the acting party does not allow; `code` is stable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def transition(state: State, action: Action, party: Party, *, reason: str = "") -> State:
    """The state after `party` takes `action` on a case in `state`, or IllegalTransitionError saying why not."""
    rule = _BY_ACTION[action]
    if state not in rule.source:
        allowed = ", ".join(sorted(s.value for s in rule.source))
        raise IllegalTransitionError("illegal_state", f"cannot {action.value} a case that is {state.value} ({allowed})")
    if party not in rule.parties:
        raise IllegalTransitionError("not_your_step", f"{party.value} may not {action.value} a case")
    if rule.needs_reason and not reason.strip():
        raise IllegalTransitionError("reason_required", f"{action.value} needs a reason")
    return rule.target


def supervisor_step(action: Action) -> bool:
    """Whether `action` is the supervisor's alone (the roles allowed `supervise_cases`, docs/access.md)."""
    return _BY_ACTION[action].parties == _SUPERVISOR


def actions_for(state: State, party: Party) -> list[Action]:
    """The actions `party` may take on a case in `state` (for the buttons of a case page)."""
    return [t.action for t in TRANSITIONS if state in t.source and party in t.parties]


def is_open(state: State) -> bool:
    """Whether the case still needs work (not closed, not merged)."""
    return state not in (State.CLOSED, State.MERGED)


def may_attach_evidence(state: State, party: Party) -> bool:
    """Rectification evidence (photos, documents) is added while rectifying, by the unit or the enterprise."""
    return state is State.RECTIFYING and party in (Party.UNIT, Party.ENTERPRISE)


class ProgressClass(StrEnum):
    """Progress of a case as supervision ledgers report it (已完成 / 基本完成 / 整改中); merged cases are not
    counted."""

    COMPLETED = "completed"
    BASICALLY_COMPLETED = "basically_completed"
    IN_PROGRESS = "in_progress"
    MERGED = "merged"

    @property
    def label(self) -> str:
        """The class's name, a message id: batch pages and ledgers name it so."""
        return PROGRESS_LABELS[self]


PROGRESS_LABELS = {
    ProgressClass.COMPLETED: N_("Completed"),
    ProgressClass.BASICALLY_COMPLETED: N_("Basically completed"),
    ProgressClass.IN_PROGRESS: N_("In rectification"),
    ProgressClass.MERGED: N_("Merged"),
}

# A reported or verifying case is "basically completed": rectified, awaiting verification.
PROGRESS: dict[State, ProgressClass] = {
    State.CLOSED: ProgressClass.COMPLETED,
    State.REPORTED: ProgressClass.BASICALLY_COMPLETED,
    State.VERIFYING: ProgressClass.BASICALLY_COMPLETED,
    State.REGISTERED: ProgressClass.IN_PROGRESS,
    State.ASSIGNED: ProgressClass.IN_PROGRESS,
    State.RETURNED: ProgressClass.IN_PROGRESS,
    State.RECTIFYING: ProgressClass.IN_PROGRESS,
    State.MERGED: ProgressClass.MERGED,
}
