"""The penalty procedure as a state machine: the steps allowed in order, and each step out of order refused with
its reason (2026 calendar)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ecoloop.cases.workdays import WorkCalendar
from ecoloop.penalties import procedure
from ecoloop.penalties.clock import Limits
from ecoloop.penalties.enums import Approval, DecisionKind, Stage
from ecoloop.penalties.procedure import Entry, Facts, Outcome, ProcedureError, Step

CAL = WorkCalendar()
LIMITS = Limits()
D = date
START = date(2026, 3, 2)


def go(step: Step, facts: Facts, entry: Entry | None = None, today: date = START) -> Outcome:
    return procedure.transition(step, facts, entry or Entry(), today=today, calendar=CAL, limits=LIMITS)


def refused(step: Step, facts: Facts, entry: Entry | None = None, today: date = START) -> str:
    with pytest.raises(ProcedureError) as caught:
        go(step, facts, entry, today)
    return caught.value.code


def test_the_whole_procedure_with_a_hearing() -> None:
    f = Facts(stage=Stage.PROPOSED, awaiting=Approval.REGISTRATION, officers=2)
    assert go(Step.APPROVE_REGISTRATION, f) == Outcome(Stage.REGISTERED, None)
    f = dataclasses.replace(f, stage=Stage.REGISTERED, awaiting=None)
    assert go(Step.ADD_EVIDENCE, f).stage is Stage.INVESTIGATING
    f = dataclasses.replace(f, stage=Stage.INVESTIGATING, evidence=1)
    notice = Entry(day=D(2026, 3, 6), kind=DecisionKind.PENALTY, fine=Decimal(388000))
    assert go(Step.NOTIFY, f, notice, D(2026, 3, 6)).stage is Stage.NOTIFIED
    assert procedure.hearing_right(Decimal(388000), False, LIMITS)
    f = dataclasses.replace(
        f, stage=Stage.NOTIFIED, notified_on=D(2026, 3, 6), hearing_right=True, notified_fine=Decimal(388000)
    )
    assert go(Step.REQUEST_HEARING, f, Entry(day=D(2026, 3, 13)), D(2026, 3, 13)).stage is Stage.HEARING
    f = dataclasses.replace(f, stage=Stage.HEARING, hearing_requested_on=D(2026, 3, 13))
    schedule = Entry(notice_on=D(2026, 3, 16), hearing_on=D(2026, 3, 25))
    assert go(Step.SCHEDULE_HEARING, f, schedule, D(2026, 3, 16)).stage is Stage.HEARING
    f = dataclasses.replace(f, hearing_notice_on=D(2026, 3, 16), hearing_on=D(2026, 3, 25))
    go(Step.HOLD_HEARING, f, Entry(day=D(2026, 3, 25)), D(2026, 3, 25))
    f = dataclasses.replace(f, hearing_held_on=D(2026, 3, 25))
    proposal = Entry(kind=DecisionKind.PENALTY, fine=Decimal(300000))
    assert go(Step.PROPOSE_DECISION, f, proposal, D(2026, 3, 26)) == Outcome(Stage.HEARING, Approval.DECISION)
    f = dataclasses.replace(f, awaiting=Approval.DECISION, decision_kind=DecisionKind.PENALTY, fine=Decimal(300000))
    # 300,000 is from the collective threshold (100,000): the leaders discuss it first (第五十七条第二款).
    assert refused(Step.APPROVE_DECISION, f) == "collective_missing"
    go(Step.RECORD_DISCUSSION, f, Entry(day=D(2026, 3, 27)), D(2026, 3, 27))
    f = dataclasses.replace(f, collective_discussion_on=D(2026, 3, 27))
    assert go(Step.APPROVE_DECISION, f) == Outcome(Stage.DECIDED, None)
    f = dataclasses.replace(f, stage=Stage.DECIDED, awaiting=None, decided_on=D(2026, 3, 30))
    assert go(Step.SERVE, f, Entry(day=D(2026, 3, 31)), D(2026, 3, 31)).stage is Stage.SERVED
    f = dataclasses.replace(f, stage=Stage.SERVED, served_on=D(2026, 3, 31))
    assert refused(Step.PROPOSE_CLOSURE, f) == "not_executed"
    paid = Entry(day=D(2026, 4, 10), amount=Decimal(300000))
    absurd = Entry(day=D(2026, 4, 10), amount=Decimal("1e20"))  # overflowed the amount's column: a 500 page
    assert refused(Step.RECORD_PAYMENT, f, absurd, D(2026, 4, 10)) == "amount"
    assert go(Step.RECORD_PAYMENT, f, paid, D(2026, 4, 10)).stage is Stage.EXECUTING
    f = dataclasses.replace(f, stage=Stage.EXECUTING, paid_amount=Decimal(300000))
    assert go(Step.PROPOSE_CLOSURE, f) == Outcome(Stage.EXECUTING, Approval.CLOSURE)
    f = dataclasses.replace(f, awaiting=Approval.CLOSURE)
    assert go(Step.APPROVE_CLOSURE, f) == Outcome(Stage.CLOSED, None)


def test_no_penalty_skips_the_notice() -> None:
    f = Facts(stage=Stage.INVESTIGATING, evidence=1)
    assert go(Step.PROPOSE_DECISION, f, Entry(kind=DecisionKind.NO_PENALTY)).awaiting is Approval.DECISION
    assert refused(Step.PROPOSE_DECISION, f, Entry(kind=DecisionKind.PENALTY, fine=Decimal(1))) == "notice_first"
    served = Facts(stage=Stage.SERVED, decision_kind=DecisionKind.NO_PENALTY)
    assert go(Step.PROPOSE_CLOSURE, served).awaiting is Approval.CLOSURE
    assert refused(Step.RECORD_PAYMENT, served, Entry(day=D(2026, 3, 2), amount=Decimal(1))) == "nothing_to_pay"


NOTIFIED = Facts(stage=Stage.NOTIFIED, notified_on=D(2026, 3, 6), notified_fine=Decimal(80000), officers=2, evidence=1)


@pytest.mark.parametrize(
    ("step", "facts", "entry", "today", "code"),
    [
        # 立案 needs two officers (第四十二条) and a pending registration.
        (Step.APPROVE_REGISTRATION, Facts(Stage.PROPOSED, Approval.REGISTRATION, officers=1), None, None, "officers"),
        (Step.APPROVE_REGISTRATION, Facts(Stage.REGISTERED, officers=2), None, None, "wrong_stage"),
        # 告知 before any evidence.
        (
            Step.NOTIFY,
            Facts(Stage.REGISTERED),
            Entry(day=D(2026, 3, 2), kind=DecisionKind.PENALTY),
            None,
            "no_evidence",
        ),
        (
            Step.NOTIFY,
            Facts(Stage.INVESTIGATING, evidence=1),
            Entry(day=D(2026, 3, 2), kind=DecisionKind.PENALTY),
            None,
            "notice_fine",
        ),
        # Evidence after the notice would need a new notice.
        (Step.ADD_EVIDENCE, NOTIFIED, None, None, "wrong_stage"),
        # A hearing without the right to one, or asked too late (5 working days: by 03-13).
        (Step.REQUEST_HEARING, NOTIFIED, Entry(day=D(2026, 3, 9)), D(2026, 3, 9), "no_hearing_right"),
        (
            Step.REQUEST_HEARING,
            dataclasses.replace(NOTIFIED, hearing_right=True),
            Entry(day=D(2026, 3, 16)),
            D(2026, 3, 16),
            "hearing_request_late",
        ),
        # Told 6 working days before (第六十四条 asks 7): hearing on 03-20, told on 03-12.
        (
            Step.SCHEDULE_HEARING,
            dataclasses.replace(NOTIFIED, stage=Stage.HEARING, hearing_right=True),
            Entry(notice_on=D(2026, 3, 12), hearing_on=D(2026, 3, 20)),
            D(2026, 3, 12),
            "hearing_notice_late",
        ),
        (
            Step.HOLD_HEARING,
            dataclasses.replace(NOTIFIED, stage=Stage.HEARING, hearing_on=D(2026, 3, 25)),
            Entry(day=D(2026, 3, 20)),
            D(2026, 3, 20),
            "hearing_not_yet",
        ),
        # Deciding while the party may still ask for a hearing or defend itself.
        (
            Step.PROPOSE_DECISION,
            dataclasses.replace(NOTIFIED, hearing_right=True),
            Entry(kind=DecisionKind.PENALTY, fine=Decimal(80000)),
            D(2026, 3, 13),
            "hearing_window_open",
        ),
        (
            Step.PROPOSE_DECISION,
            NOTIFIED,
            Entry(kind=DecisionKind.PENALTY, fine=Decimal(80000)),
            D(2026, 3, 12),
            "statement_window_open",
        ),
        (
            Step.PROPOSE_DECISION,
            dataclasses.replace(NOTIFIED, stage=Stage.HEARING, hearing_right=True),
            Entry(kind=DecisionKind.PENALTY, fine=Decimal(80000)),
            D(2026, 4, 1),
            "hearing_pending",
        ),
        # Heavier than the notice (第四十五条第二款).
        (
            Step.PROPOSE_DECISION,
            dataclasses.replace(NOTIFIED, statement_heard=True),
            Entry(kind=DecisionKind.PENALTY, fine=Decimal(90000)),
            D(2026, 3, 9),
            "heavier_than_notified",
        ),
        (Step.SERVE, NOTIFIED, Entry(day=D(2026, 3, 9)), D(2026, 3, 9), "wrong_stage"),
        (
            Step.SERVE,
            Facts(Stage.DECIDED, decided_on=D(2026, 3, 9)),
            Entry(day=D(2026, 3, 8)),
            D(2026, 3, 9),
            "before_decision",
        ),
        (Step.SERVE, Facts(Stage.DECIDED), Entry(day=D(2026, 3, 10)), D(2026, 3, 9), "future_day"),
        # Enforcement before the 15 days (served 03-02, due 03-17).
        (
            Step.APPLY_ENFORCEMENT,
            Facts(Stage.SERVED, decision_kind=DecisionKind.PENALTY, fine=Decimal(5), served_on=D(2026, 3, 2)),
            None,
            D(2026, 3, 17),
            "payment_not_due",
        ),
        # A pending approval blocks the officers' steps.
        (
            Step.HOLD_HEARING,
            dataclasses.replace(NOTIFIED, stage=Stage.HEARING, awaiting=Approval.EXTENSION),
            Entry(day=D(2026, 3, 9)),
            D(2026, 3, 9),
            "awaiting_approval",
        ),
        (Step.APPROVE_DECISION, NOTIFIED, None, None, "nothing_to_approve"),
        (
            Step.REQUEST_EXTENSION,
            dataclasses.replace(NOTIFIED, extensions=2),
            Entry(days=10),
            None,
            "extensions_exhausted",
        ),
        (Step.REQUEST_EXTENSION, NOTIFIED, Entry(days=31), None, "extension_days"),
        (
            Step.APPROVE_EXTENSION,
            dataclasses.replace(NOTIFIED, extensions=1, awaiting=Approval.EXTENSION),
            Entry(),
            None,
            "extension_collective",
        ),
        (Step.RESUME, NOTIFIED, Entry(day=D(2026, 3, 9)), D(2026, 3, 9), "not_suspended"),
        (
            Step.SUSPEND,
            dataclasses.replace(NOTIFIED, suspended=True),
            Entry(day=D(2026, 3, 9)),
            D(2026, 3, 9),
            "already_suspended",
        ),
        (Step.WITHDRAW, Facts(Stage.DECIDED), None, None, "wrong_stage"),
    ],
)
def test_out_of_order_refused(step: Step, facts: Facts, entry: Entry | None, today: date | None, code: str) -> None:
    assert refused(step, facts, entry, today or D(2026, 3, 9)) == code


def test_fines_within_the_provisions_range() -> None:
    # 大气污染防治法 第九十九条: 100,000-1,000,000 yuan; a reduced penalty only below the minimum.
    f = Facts(Stage.INVESTIGATING, evidence=1, statutory_min=Decimal(100000), statutory_max=Decimal(1000000))
    day = D(2026, 3, 9)

    def notice(kind: DecisionKind, fine: int) -> Entry:
        return Entry(day=day, kind=kind, fine=Decimal(fine))

    assert go(Step.NOTIFY, f, notice(DecisionKind.PENALTY, 100000), day).stage is Stage.NOTIFIED
    assert refused(Step.NOTIFY, f, notice(DecisionKind.PENALTY, 99999), day) == "outside_range"
    assert refused(Step.NOTIFY, f, notice(DecisionKind.PENALTY, 1000001), day) == "outside_range"
    assert go(Step.NOTIFY, f, notice(DecisionKind.REDUCED, 50000), day).stage is Stage.NOTIFIED
    assert refused(Step.NOTIFY, f, notice(DecisionKind.REDUCED, 100000), day) == "reduced_not_below"


def test_reduced_or_severe_decisions_need_the_collective_discussion() -> None:
    assert procedure.needs_collective(DecisionKind.REDUCED, Decimal(1000), False, LIMITS)
    assert procedure.needs_collective(DecisionKind.PENALTY, Decimal(20000), True, LIMITS)
    assert not procedure.needs_collective(DecisionKind.PENALTY, Decimal(99999), False, LIMITS)
    assert procedure.needs_collective(DecisionKind.PENALTY, Decimal(100000), False, LIMITS)
    assert procedure.hearing_right(None, True, LIMITS)
    assert not procedure.hearing_right(Decimal(49999), False, LIMITS)


def test_every_refusal_has_a_reason() -> None:
    source = Path(procedure.__file__).read_text(encoding="utf-8")
    codes = set(re.findall(r'ProcedureError\("([a-z_]+)"\)', source))
    assert codes <= set(procedure.REASONS)
    assert set(procedure.STEP_LABELS) == set(Step)
