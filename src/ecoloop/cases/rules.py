"""Deadline escalation (pure): which steps a case's deadline calls for today.

While the responsible unit still works on a case (assigned or rectifying), its deadline drives escalation: a
reminder a few days before (临期提醒), the overdue mark the day after (逾期), a supervision notice (督办) once
per overdue episode, and a proposal to interview (约谈) the unit's leaders after repeated supervision or repeated
failed verification. Reporting the rectification stops the clock; a new deadline (assignment, extension,
reopening) starts a new episode."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ecoloop.cases.workflow import State

CLOCK_STATES = frozenset({State.ASSIGNED, State.RECTIFYING})


@dataclass(frozen=True)
class EscalationPolicy:
    """The bureau's escalation settings."""

    warn_days: int = 3  # remind this many days before the deadline
    supervise_after_days: int = 0  # 督办 once overdue by more than this many days
    interview_after_supervisions: int = 2  # propose 约谈 after this many 督办 of the case
    interview_after_failed_verifications: int = 2  # … or this many failed verifications


class Step(StrEnum):
    """An escalation step."""

    WARN = "warn"
    MARK_OVERDUE = "mark_overdue"
    SUPERVISE = "supervise"
    PROPOSE_INTERVIEW = "propose_interview"


@dataclass(frozen=True)
class DeadlineFacts:
    """What escalation needs to know of a case; the `*_this_episode` facts count since its deadline was set."""

    state: State
    deadline: date | None
    overdue: bool
    warned_this_episode: bool
    supervised_this_episode: bool
    supervisions: int
    failed_verifications: int
    interview_proposed: bool


def due_steps(facts: DeadlineFacts, today: date, policy: EscalationPolicy) -> list[Step]:
    """The steps due today, in order."""
    steps: list[Step] = []
    if facts.state in CLOCK_STATES and facts.deadline is not None:
        days_left = (facts.deadline - today).days
        if 0 <= days_left <= policy.warn_days and not facts.warned_this_episode:
            steps.append(Step.WARN)
        if days_left < 0 and not facts.overdue:
            steps.append(Step.MARK_OVERDUE)
        if -days_left > policy.supervise_after_days and not facts.supervised_this_episode:
            steps.append(Step.SUPERVISE)
    supervisions = facts.supervisions + (Step.SUPERVISE in steps)
    if not facts.interview_proposed and facts.state not in (State.CLOSED, State.MERGED):
        repeated = supervisions >= policy.interview_after_supervisions
        failing = facts.failed_verifications >= policy.interview_after_failed_verifications
        if repeated or failing:
            steps.append(Step.PROPOSE_INTERVIEW)
    return steps
