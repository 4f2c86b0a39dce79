"""The procedure of a penalty case as a state machine (pure): which step may be taken at which stage, on which
conditions, and where it leads; a step out of order is refused with a reason (`ProcedureError.code`, worded in
`REASONS`).

The order is that of 行政处罚法 (2021) chapter V section 3 (普通程序) and
生态环境行政处罚办法 (生态环境部令第30号, 2023):
- 立案 approved by a leader (第五十四条; 办法 第十八条);
- 调查取证 by at least two officers (第四十二条, 第五十五条);
- 告知 of the proposed decision with the right to state and defend (第四十四条, 第四十五条) and, for a
  large fine or a heavy measure, to a hearing (第六十三条);
- the hearing asked within 5 days and announced 7 days ahead (第六十四条);
- the decision reviewed and approved by a leader, collectively for serious cases (第五十七条), never
  heavier than the notice because the party defended itself (第四十五条第二款);
- served (第六十一条), executed (第六十六条, 第六十七条, 第七十二条) and closed (办法, 结案).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ecoloop.cases.workdays import WorkCalendar
from ecoloop.i18n import N_
from ecoloop.penalties import clock
from ecoloop.penalties.enums import BEFORE_DECISION, Approval, DecisionKind, Stage

# The largest payment recorded (a fine's and its late fees' columns hold 14 digits): more is a typing error.
MAX_PAYMENT = Decimal(10) ** 12


class Step(StrEnum):
    """A step of the procedure."""

    APPROVE_REGISTRATION = "approve_registration"
    REFUSE_REGISTRATION = "refuse_registration"
    ADD_EVIDENCE = "add_evidence"
    NOTIFY = "notify"
    HEAR_STATEMENT = "hear_statement"
    REQUEST_HEARING = "request_hearing"
    WAIVE_HEARING = "waive_hearing"
    SCHEDULE_HEARING = "schedule_hearing"
    HOLD_HEARING = "hold_hearing"
    SUSPEND = "suspend"
    RESUME = "resume"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    RECORD_DISCUSSION = "record_discussion"
    PROPOSE_DECISION = "propose_decision"
    APPROVE_DECISION = "approve_decision"
    RETURN_DECISION = "return_decision"
    SERVE = "serve"
    RECORD_PAYMENT = "record_payment"
    APPLY_ENFORCEMENT = "apply_enforcement"
    PROPOSE_CLOSURE = "propose_closure"
    APPROVE_CLOSURE = "approve_closure"
    RETURN_CLOSURE = "return_closure"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return STEP_LABELS[self]

    @property
    def leader(self) -> bool:
        """Whether the step is a leader's approval (APPROVE_PENALTIES) rather than the officers' (HANDLE)."""
        return self in LEADER_STEPS


LEADER_STEPS = frozenset(
    {
        Step.APPROVE_REGISTRATION,
        Step.REFUSE_REGISTRATION,
        Step.APPROVE_EXTENSION,
        Step.REFUSE_EXTENSION,
        Step.APPROVE_DECISION,
        Step.RETURN_DECISION,
        Step.APPROVE_CLOSURE,
        Step.RETURN_CLOSURE,
        Step.WITHDRAW,
    }
)
# Steps the officers or a leader may record (集体讨论 is the leaders' own meeting).
EITHER_STEPS = frozenset({Step.RECORD_DISCUSSION})
# Steps that may be taken while a leader's approval is pending.
WHILE_AWAITING = frozenset({Step.HEAR_STATEMENT, Step.SUSPEND, Step.RESUME, Step.RECORD_DISCUSSION})
MIN_OFFICERS = 2  # 行政处罚法 第四十二条第一款: 执法人员不得少于两人
MAX_EXTENSIONS = 2  # 生态环境行政处罚办法 第五十七条: once by a leader, once more by the leaders collectively


class ProcedureError(ValueError):
    """A step refused; `code` is stable and `REASONS[code]` says why in words."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Facts:
    """What the procedure needs to know of a case (plain values, read from the row by the service)."""

    stage: Stage
    awaiting: Approval | None = None
    officers: int = 0
    evidence: int = 0
    hearing_right: bool = False
    notified_on: date | None = None
    hearing_requested_on: date | None = None
    hearing_waived: bool = False
    hearing_notice_on: date | None = None
    hearing_on: date | None = None
    hearing_held_on: date | None = None
    statement_heard: bool = False
    suspended: bool = False  # a period not counted is running
    extensions: int = 0  # approved extensions
    decision_kind: DecisionKind | None = None
    fine: Decimal | None = None
    notified_fine: Decimal | None = None  # the fine told in the 告知
    severe_measures: bool = False  # 责令停产停业、关闭、吊销许可证件… (第六十三条)
    collective_discussion_on: date | None = None
    decided_on: date | None = None
    served_on: date | None = None
    paid_amount: Decimal | None = None
    enforcement_on: date | None = None
    statutory_min: Decimal | None = None  # the penalty provision's range (yuan), from the benchmark
    statutory_max: Decimal | None = None


@dataclass(frozen=True)
class Entry:
    """What the user enters with a step: the day it happened, a proposed decision, hearing days, an amount,
    extension days, whether the leaders decided collectively."""

    day: date | None = None
    kind: DecisionKind | None = None
    fine: Decimal | None = None
    severe_measures: bool = False
    notice_on: date | None = None
    hearing_on: date | None = None
    amount: Decimal | None = None
    days: int = 0
    collective: bool = False


@dataclass(frozen=True)
class Outcome:
    """Where a step leads: the stage and what then awaits a leader's approval."""

    stage: Stage
    awaiting: Approval | None


def hearing_right(fine: Decimal | None, severe_measures: bool, limits: clock.Limits) -> bool:
    """Whether the party must be told of the right to a hearing: a large fine (较大数额罚款, from the configured
    threshold) or a heavy measure (行政处罚法 第六十三条第一款)."""
    return severe_measures or (fine is not None and fine >= limits.hearing_fine_threshold)


def needs_collective(kind: DecisionKind | None, fine: Decimal | None, severe: bool, limits: clock.Limits) -> bool:
    """Whether the leaders must decide collectively (集体讨论, 行政处罚法 第五十七条第二款: 情节复杂或者重大违法
    行为): a fine from the configured threshold, a heavy measure, or a reduced penalty (the bureau's reading)."""
    large = fine is not None and fine >= limits.collective_fine_threshold
    return large or severe or kind is DecisionKind.REDUCED


def transition(
    step: Step, facts: Facts, entry: Entry, *, today: date, calendar: WorkCalendar, limits: clock.Limits
) -> Outcome:
    """Where `step` leads from `facts` with `entry` on `today`, or ProcedureError with the reason."""
    if facts.awaiting is not None and step not in WHILE_AWAITING and not step.leader:
        raise ProcedureError("awaiting_approval")
    if entry.day is not None and entry.day > today:
        raise ProcedureError("future_day")
    checker = _CHECKS[step]
    return checker(facts, entry, today, calendar, limits)


_AWAITED = {
    Approval.REGISTRATION: (Step.APPROVE_REGISTRATION, Step.REFUSE_REGISTRATION),
    Approval.EXTENSION: (Step.APPROVE_EXTENSION, Step.REFUSE_EXTENSION),
    Approval.DECISION: (Step.APPROVE_DECISION, Step.RETURN_DECISION),
    Approval.CLOSURE: (Step.APPROVE_CLOSURE, Step.RETURN_CLOSURE),
}
_RUNNING = (Step.SUSPEND, Step.RESUME, Step.REQUEST_EXTENSION, Step.WITHDRAW)
_BY_STAGE: dict[Stage, tuple[Step, ...]] = {
    Stage.REGISTERED: _RUNNING,
    Stage.INVESTIGATING: (Step.NOTIFY, Step.RECORD_DISCUSSION, Step.PROPOSE_DECISION, *_RUNNING),
    Stage.NOTIFIED: (
        Step.HEAR_STATEMENT,
        Step.REQUEST_HEARING,
        Step.WAIVE_HEARING,
        Step.RECORD_DISCUSSION,
        Step.PROPOSE_DECISION,
        *_RUNNING,
    ),
    Stage.HEARING: (
        Step.SCHEDULE_HEARING,
        Step.HOLD_HEARING,
        Step.HEAR_STATEMENT,
        Step.RECORD_DISCUSSION,
        Step.PROPOSE_DECISION,
        *_RUNNING,
    ),
    Stage.DECIDED: (Step.SERVE,),
    Stage.SERVED: (Step.RECORD_PAYMENT, Step.APPLY_ENFORCEMENT, Step.PROPOSE_CLOSURE),
    Stage.EXECUTING: (Step.RECORD_PAYMENT, Step.APPLY_ENFORCEMENT, Step.PROPOSE_CLOSURE),
}


def candidates(facts: Facts) -> list[Step]:
    """The steps a page offers at the case's stage (each still checked by `transition` when taken): the awaited
    approval's two answers, else the stage's steps, the obviously impossible ones left out."""
    if facts.awaiting is not None:
        return [*_AWAITED[facts.awaiting], *(s for s in _BY_STAGE.get(facts.stage, ()) if s in WHILE_AWAITING)]
    steps = list(_BY_STAGE.get(facts.stage, ()))
    hidden = {Step.RESUME if not facts.suspended else Step.SUSPEND}
    if not facts.hearing_right or facts.hearing_waived:
        hidden |= {Step.REQUEST_HEARING, Step.WAIVE_HEARING}
    if facts.hearing_on is not None:
        hidden.add(Step.SCHEDULE_HEARING)
    if facts.hearing_held_on is not None:
        hidden |= {Step.HOLD_HEARING, Step.SCHEDULE_HEARING}
    if facts.extensions >= MAX_EXTENSIONS:
        hidden.add(Step.REQUEST_EXTENSION)
    return [s for s in steps if s not in hidden]


def _stay(facts: Facts) -> Outcome:
    return Outcome(facts.stage, facts.awaiting)


def _at(facts: Facts, *stages: Stage) -> None:
    if facts.stage not in stages:
        raise ProcedureError("wrong_stage")


def _awaiting(facts: Facts, approval: Approval) -> None:
    if facts.awaiting is not approval:
        raise ProcedureError("nothing_to_approve")


def _approve_registration(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.PROPOSED)
    _awaiting(f, Approval.REGISTRATION)
    if f.officers < MIN_OFFICERS:
        raise ProcedureError("officers")
    return Outcome(Stage.REGISTERED, None)


def _refuse_registration(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.PROPOSED)
    _awaiting(f, Approval.REGISTRATION)
    return Outcome(Stage.NOT_REGISTERED, None)


def _add_evidence(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.REGISTERED, Stage.INVESTIGATING)
    return Outcome(Stage.INVESTIGATING, f.awaiting)


def _within_range(f: Facts, e: Entry) -> None:
    """A penalty's fine lies within the provision's range, a reduced one below its minimum (行政处罚法 第四条
    处罚法定, 第三十二条 减轻)."""
    if e.fine is None or f.statutory_min is None or f.statutory_max is None:
        return
    if e.kind is DecisionKind.PENALTY and not f.statutory_min <= e.fine <= f.statutory_max:
        raise ProcedureError("outside_range")
    if e.kind is DecisionKind.REDUCED and e.fine >= f.statutory_min:
        raise ProcedureError("reduced_not_below")


def _notify(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    if f.stage is Stage.REGISTERED:
        raise ProcedureError("no_evidence")
    _at(f, Stage.INVESTIGATING)
    if f.evidence < 1:
        raise ProcedureError("no_evidence")
    if e.kind not in (DecisionKind.PENALTY, DecisionKind.REDUCED):
        raise ProcedureError("notice_kind")
    if not e.severe_measures and (e.fine is None or e.fine <= 0):
        raise ProcedureError("notice_fine")
    _within_range(f, e)
    if e.day is None:
        raise ProcedureError("day_missing")
    return Outcome(Stage.NOTIFIED, None)


def _hear_statement(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.NOTIFIED, Stage.HEARING)
    return _stay(f)


def _request_hearing(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.NOTIFIED)
    if not f.hearing_right:
        raise ProcedureError("no_hearing_right")
    if f.hearing_waived:
        raise ProcedureError("hearing_waived")
    if e.day is None or f.notified_on is None:
        raise ProcedureError("day_missing")
    if e.day < f.notified_on:
        raise ProcedureError("before_notice")
    if e.day > clock.hearing_request_last_day(cal, f.notified_on, lim):
        raise ProcedureError("hearing_request_late")
    return Outcome(Stage.HEARING, None)


def _waive_hearing(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.NOTIFIED)
    if not f.hearing_right:
        raise ProcedureError("no_hearing_right")
    if f.hearing_waived:
        raise ProcedureError("hearing_waived")
    return _stay(f)


def _schedule_hearing(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.HEARING)
    if f.hearing_held_on is not None:
        raise ProcedureError("hearing_held")
    if e.notice_on is None or e.hearing_on is None:
        raise ProcedureError("day_missing")
    if e.notice_on > today:
        raise ProcedureError("future_day")
    if e.notice_on > clock.hearing_notice_latest(cal, e.hearing_on, lim):
        raise ProcedureError("hearing_notice_late")
    return _stay(f)


def _hold_hearing(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.HEARING)
    if f.hearing_held_on is not None:
        raise ProcedureError("hearing_held")
    if f.hearing_on is None:
        raise ProcedureError("hearing_not_scheduled")
    if e.day is None:
        raise ProcedureError("day_missing")
    if e.day < f.hearing_on:
        raise ProcedureError("hearing_not_yet")
    return _stay(f)


def _suspend(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    if f.stage not in BEFORE_DECISION:
        raise ProcedureError("wrong_stage")
    if f.suspended:
        raise ProcedureError("already_suspended")
    if e.day is None:
        raise ProcedureError("day_missing")
    return _stay(f)


def _resume(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    if not f.suspended:
        raise ProcedureError("not_suspended")
    if e.day is None:
        raise ProcedureError("day_missing")
    return _stay(f)


def _request_extension(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    if f.stage not in BEFORE_DECISION or f.stage is Stage.PROPOSED:
        raise ProcedureError("wrong_stage")
    if f.extensions >= MAX_EXTENSIONS:
        raise ProcedureError("extensions_exhausted")
    if not 1 <= e.days <= lim.extension_days:
        raise ProcedureError("extension_days")
    return Outcome(f.stage, Approval.EXTENSION)


def _approve_extension(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _awaiting(f, Approval.EXTENSION)
    if f.extensions >= 1 and not e.collective:
        raise ProcedureError("extension_collective")
    return Outcome(f.stage, None)


def _refuse_extension(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _awaiting(f, Approval.EXTENSION)
    return Outcome(f.stage, None)


def _record_discussion(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.INVESTIGATING, Stage.NOTIFIED, Stage.HEARING)
    if e.day is None:
        raise ProcedureError("day_missing")
    return _stay(f)


def _propose_decision(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    if e.kind is None:
        raise ProcedureError("decision_kind")
    if f.stage is Stage.INVESTIGATING:
        if e.kind is not DecisionKind.NO_PENALTY:
            raise ProcedureError("notice_first")
    elif f.stage is Stage.NOTIFIED:
        if f.notified_on is None:
            raise ProcedureError("notice_first")
        if f.hearing_right and not f.hearing_waived:
            if today <= clock.hearing_request_last_day(cal, f.notified_on, lim):
                raise ProcedureError("hearing_window_open")
        elif not f.statement_heard and today <= clock.statement_last_day(cal, f.notified_on, lim):
            raise ProcedureError("statement_window_open")
    elif f.stage is Stage.HEARING:
        if f.hearing_held_on is None:
            raise ProcedureError("hearing_pending")
    else:
        raise ProcedureError("wrong_stage")
    if e.kind is not DecisionKind.NO_PENALTY:
        if not e.severe_measures and (e.fine is None or e.fine <= 0):
            raise ProcedureError("notice_fine")
        if e.fine is not None and f.notified_fine is not None and e.fine > f.notified_fine:
            raise ProcedureError("heavier_than_notified")
        if e.severe_measures and not f.severe_measures and f.stage is not Stage.INVESTIGATING:
            raise ProcedureError("heavier_than_notified")
        _within_range(f, e)
    return Outcome(f.stage, Approval.DECISION)


def _approve_decision(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _awaiting(f, Approval.DECISION)
    if needs_collective(f.decision_kind, f.fine, f.severe_measures, lim) and f.collective_discussion_on is None:
        raise ProcedureError("collective_missing")
    return Outcome(Stage.DECIDED, None)


def _return_decision(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _awaiting(f, Approval.DECISION)
    return Outcome(f.stage, None)


def _serve(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.DECIDED)
    if e.day is None:
        raise ProcedureError("day_missing")
    if f.decided_on is not None and e.day < f.decided_on:
        raise ProcedureError("before_decision")
    return Outcome(Stage.SERVED, None)


def _fined(f: Facts) -> bool:
    return f.decision_kind is not DecisionKind.NO_PENALTY and f.fine is not None and f.fine > 0


def _record_payment(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.SERVED, Stage.EXECUTING)
    if not _fined(f):
        raise ProcedureError("nothing_to_pay")
    if e.day is None:
        raise ProcedureError("day_missing")
    if e.amount is None or not Decimal(0) < e.amount <= MAX_PAYMENT:
        raise ProcedureError("amount")
    return Outcome(Stage.EXECUTING, None)


def _apply_enforcement(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.SERVED, Stage.EXECUTING)
    if not _fined(f):
        raise ProcedureError("nothing_to_pay")
    if f.served_on is None or today <= clock.payment_due(cal, f.served_on, lim):
        raise ProcedureError("payment_not_due")
    return Outcome(Stage.EXECUTING, None)


def _propose_closure(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _at(f, Stage.SERVED, Stage.EXECUTING)
    if _fined(f):
        paid = f.paid_amount or Decimal(0)
        if f.fine is not None and paid < f.fine and f.enforcement_on is None:
            raise ProcedureError("not_executed")
    return Outcome(f.stage, Approval.CLOSURE)


def _approve_closure(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _awaiting(f, Approval.CLOSURE)
    return Outcome(Stage.CLOSED, None)


def _return_closure(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    _awaiting(f, Approval.CLOSURE)
    return Outcome(f.stage, None)


def _withdraw(f: Facts, e: Entry, today: date, cal: WorkCalendar, lim: clock.Limits) -> Outcome:
    if f.stage not in BEFORE_DECISION or f.stage is Stage.PROPOSED:
        raise ProcedureError("wrong_stage")
    return Outcome(Stage.WITHDRAWN, None)


_CHECKS = {
    Step.APPROVE_REGISTRATION: _approve_registration,
    Step.REFUSE_REGISTRATION: _refuse_registration,
    Step.ADD_EVIDENCE: _add_evidence,
    Step.NOTIFY: _notify,
    Step.HEAR_STATEMENT: _hear_statement,
    Step.REQUEST_HEARING: _request_hearing,
    Step.WAIVE_HEARING: _waive_hearing,
    Step.SCHEDULE_HEARING: _schedule_hearing,
    Step.HOLD_HEARING: _hold_hearing,
    Step.SUSPEND: _suspend,
    Step.RESUME: _resume,
    Step.REQUEST_EXTENSION: _request_extension,
    Step.APPROVE_EXTENSION: _approve_extension,
    Step.REFUSE_EXTENSION: _refuse_extension,
    Step.RECORD_DISCUSSION: _record_discussion,
    Step.PROPOSE_DECISION: _propose_decision,
    Step.APPROVE_DECISION: _approve_decision,
    Step.RETURN_DECISION: _return_decision,
    Step.SERVE: _serve,
    Step.RECORD_PAYMENT: _record_payment,
    Step.APPLY_ENFORCEMENT: _apply_enforcement,
    Step.PROPOSE_CLOSURE: _propose_closure,
    Step.APPROVE_CLOSURE: _approve_closure,
    Step.RETURN_CLOSURE: _return_closure,
    Step.WITHDRAW: _withdraw,
}

STEP_LABELS = {
    Step.APPROVE_REGISTRATION: N_("Approve registration"),
    Step.REFUSE_REGISTRATION: N_("Refuse registration"),
    Step.ADD_EVIDENCE: N_("Add evidence"),
    Step.NOTIFY: N_("Give prior notice"),
    Step.HEAR_STATEMENT: N_("Record statement and defence"),
    Step.REQUEST_HEARING: N_("Record a hearing request"),
    Step.WAIVE_HEARING: N_("Record that the hearing is waived"),
    Step.SCHEDULE_HEARING: N_("Schedule the hearing"),
    Step.HOLD_HEARING: N_("Record the hearing held"),
    Step.SUSPEND: N_("Suspend the time limit"),
    Step.RESUME: N_("Resume the time limit"),
    Step.REQUEST_EXTENSION: N_("Request an extension"),
    Step.APPROVE_EXTENSION: N_("Approve the extension"),
    Step.REFUSE_EXTENSION: N_("Refuse the extension"),
    Step.RECORD_DISCUSSION: N_("Record the collective discussion"),
    Step.PROPOSE_DECISION: N_("Propose the decision"),
    Step.APPROVE_DECISION: N_("Approve the decision"),
    Step.RETURN_DECISION: N_("Return the decision"),
    Step.SERVE: N_("Record service of the decision"),
    Step.RECORD_PAYMENT: N_("Record payment"),
    Step.APPLY_ENFORCEMENT: N_("Apply for compulsory enforcement"),
    Step.PROPOSE_CLOSURE: N_("Propose closure"),
    Step.APPROVE_CLOSURE: N_("Approve closure"),
    Step.RETURN_CLOSURE: N_("Return closure"),
    Step.WITHDRAW: N_("Withdraw the registration"),
}

REASONS = {
    "awaiting_approval": N_("The case awaits a leader's approval: this step must wait until it is decided."),
    "future_day": N_("The day cannot be later than today."),
    "wrong_stage": N_("This step cannot be taken at the case's present stage."),
    "nothing_to_approve": N_("Nothing of this kind awaits approval."),
    "officers": N_(
        "At least two officers with enforcement certificates must handle the case "
        "(Administrative Penalty Law, Article 42)."
    ),
    "no_evidence": N_("Collect evidence before giving prior notice (Administrative Penalty Law, Articles 44 and 54)."),
    "notice_kind": N_("Prior notice is given of a proposed penalty or reduced penalty."),
    "notice_fine": N_("Enter the proposed fine, or a heavy measure."),
    "day_missing": N_("Enter the day."),
    "no_hearing_right": N_(
        "The proposed decision carries no right to a hearing (Administrative Penalty Law, Article 63)."
    ),
    "hearing_waived": N_("The party has waived the hearing."),
    "before_notice": N_("The day is before the prior notice."),
    "hearing_request_late": N_(
        "A hearing must be asked for within 5 days of the prior notice (Administrative Penalty Law, Article 64)."
    ),
    "hearing_held": N_("The hearing has already been held."),
    "hearing_notice_late": N_(
        "The party must be told of the hearing at least 7 days before it (Administrative Penalty Law, Article 64)."
    ),
    "hearing_not_scheduled": N_("Schedule the hearing first."),
    "hearing_not_yet": N_("The hearing day has not come yet."),
    "already_suspended": N_("The time limit is already suspended."),
    "not_suspended": N_("The time limit is not suspended."),
    "extensions_exhausted": N_(
        "The time limit has been extended twice already (Measures on Ecological and Environmental Administrative "
        "Penalties, Article 57)."
    ),
    "extension_days": N_("An extension is 1 to 30 days, as the settings allow."),
    "extension_collective": N_(
        "A further extension must be decided by the leaders collectively (Measures on Ecological and "
        "Environmental Administrative Penalties, Article 57)."
    ),
    "decision_kind": N_("Choose the decision."),
    "notice_first": N_(
        "Give prior notice of the proposed penalty and hear the party first (Administrative Penalty Law, Article 44)."
    ),
    "hearing_window_open": N_(
        "The party may still ask for a hearing: wait until the 5 days after the prior notice are over, or record "
        "that the hearing is waived."
    ),
    "statement_window_open": N_(
        "The party may still state and defend itself: wait until the period is over, or record its statement."
    ),
    "hearing_pending": N_(
        "The hearing has not been held yet: decide after it (Administrative Penalty Law, Article 65)."
    ),
    "heavier_than_notified": N_(
        "The decision may not be heavier than the prior notice because the party defended itself "
        "(Administrative Penalty Law, Article 45): give prior notice again."
    ),
    "collective_missing": N_(
        "This decision must be discussed collectively by the leaders first (Administrative Penalty Law, Article 57)."
    ),
    "before_decision": N_("The decision cannot be served before it is made."),
    "nothing_to_pay": N_("The decision imposes no fine."),
    "amount": N_("Enter the amount paid (more than zero, at most a trillion yuan)."),
    "payment_not_due": N_("The payment period of 15 days is not over yet (Administrative Penalty Law, Article 67)."),
    "outside_range": N_(
        "The fine must lie within the range of the penalty provision; below its minimum only as a reduced penalty "
        "(Administrative Penalty Law, Articles 4 and 32)."
    ),
    "reduced_not_below": N_("A reduced penalty lies below the minimum of the penalty provision (Article 32)."),
    "not_executed": N_("The fine is not paid in full and no compulsory enforcement was applied for."),
}
