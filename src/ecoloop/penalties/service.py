"""Penalty cases, one transaction each: open a case (立案呈批) from a violation found, take the procedure's steps
(`procedure.transition` decides, this module records), add evidence, keep the time limits and the discretion
benchmark as versions valid from a day.

Every function takes plain arguments and the clock (`now`, `today`) from its caller, so that the demo, the tests
and a later inspection page can call it. At 立案 the problem itself becomes a case of the closed loop
(`cases.service.register_case`, source INSPECTION), whose rectification runs 交办 → 整改 → 复核 → 销号."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ALLOWED, Action, allowed
from ecoloop.access.scope import get_visible
from ecoloop.cases import queries as case_queries
from ecoloop.cases import service as case_service
from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.service import Acting
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_, gettext
from ecoloop.identity.models import User
from ecoloop.inspections.models import Inspection
from ecoloop.penalties import clock, discretion, procedure
from ecoloop.penalties.enums import ENDED, Approval, DecisionKind, EventKind, EvidenceKind, Stage, Suspension
from ecoloop.penalties.models import (
    PenaltyBenchmark,
    PenaltyCase,
    PenaltyCaseOfficer,
    PenaltyConfig,
    PenaltyEvent,
    PenaltyEvidence,
    PenaltySuspension,
)
from ecoloop.penalties.procedure import Entry, Step

# Evidence files: photos, PDF, Office documents, plain text, 20 MiB each (the cases' attachment rules).
EVIDENCE_TYPES = case_service.ATTACHMENT_TYPES
MAX_EVIDENCE_BYTES = case_service.MAX_ATTACHMENT_BYTES
_SIGNATURES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n", "application/pdf": b"%PDF-"}
_ZIP = b"PK\x03\x04"

_EVENT_OF = {
    Step.APPROVE_REGISTRATION: EventKind.REGISTERED,
    Step.REFUSE_REGISTRATION: EventKind.NOT_REGISTERED,
    Step.ADD_EVIDENCE: EventKind.EVIDENCE,
    Step.NOTIFY: EventKind.NOTIFIED,
    Step.HEAR_STATEMENT: EventKind.STATEMENT,
    Step.REQUEST_HEARING: EventKind.HEARING_REQUESTED,
    Step.WAIVE_HEARING: EventKind.HEARING_WAIVED,
    Step.SCHEDULE_HEARING: EventKind.HEARING_SCHEDULED,
    Step.HOLD_HEARING: EventKind.HEARING_HELD,
    Step.SUSPEND: EventKind.SUSPENDED,
    Step.RESUME: EventKind.RESUMED,
    Step.REQUEST_EXTENSION: EventKind.EXTENSION_REQUESTED,
    Step.APPROVE_EXTENSION: EventKind.EXTENSION_APPROVED,
    Step.REFUSE_EXTENSION: EventKind.EXTENSION_REFUSED,
    Step.RECORD_DISCUSSION: EventKind.COLLECTIVE_DISCUSSION,
    Step.PROPOSE_DECISION: EventKind.DECISION_PROPOSED,
    Step.APPROVE_DECISION: EventKind.DECISION_APPROVED,
    Step.RETURN_DECISION: EventKind.DECISION_RETURNED,
    Step.SERVE: EventKind.SERVED,
    Step.RECORD_PAYMENT: EventKind.PAYMENT,
    Step.APPLY_ENFORCEMENT: EventKind.ENFORCEMENT,
    Step.PROPOSE_CLOSURE: EventKind.CLOSURE_PROPOSED,
    Step.APPROVE_CLOSURE: EventKind.CLOSED,
    Step.RETURN_CLOSURE: EventKind.CLOSURE_RETURNED,
    Step.WITHDRAW: EventKind.WITHDRAWN,
}


class PenaltyError(ValueError):
    """A penalty operation that cannot be done; `code` is stable, `ERRORS` or `procedure.REASONS` word it."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --- settings: time limits and the discretion benchmark -------------------------------------------------------------


def limits_for(session: Session, day: date) -> clock.Limits:
    """The time limits that apply on `day` (the defaults when none was saved)."""
    row = session.scalars(
        select(PenaltyConfig).where(PenaltyConfig.valid_from <= day).order_by(PenaltyConfig.valid_from.desc()).limit(1)
    ).first()
    return clock.check_limits(row.parameters) if row else clock.Limits()


def save_limits(session: Session, limits: clock.Limits, valid_from: date, by: str, now: datetime) -> PenaltyConfig:
    """Keep new time limits from `valid_from` on (a day already having a version gets it replaced)."""
    row = session.scalars(select(PenaltyConfig).where(PenaltyConfig.valid_from == valid_from)).first()
    if row is None:
        row = PenaltyConfig(valid_from=valid_from, changed_by=by)
        session.add(row)
    row.parameters = clock.as_json(limits)
    row.changed_at, row.changed_by = now, by
    session.flush()
    return row


@cache
def default_benchmark_json() -> dict[str, Any]:
    """The built-in benchmark (`penalties/benchmark.json`: the statutory ranges with their clauses)."""
    text = (resources.files("ecoloop.penalties") / "benchmark.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def benchmark_for(session: Session, day: date) -> tuple[discretion.Benchmark, PenaltyBenchmark | None]:
    """The discretion benchmark that applies on `day` and its stored version (None: the built-in one)."""
    row = session.scalars(
        select(PenaltyBenchmark)
        .where(PenaltyBenchmark.valid_from <= day)
        .order_by(PenaltyBenchmark.valid_from.desc())
        .limit(1)
    ).first()
    return discretion.check(row.table if row else default_benchmark_json()), row


def save_benchmark(
    session: Session, table: Mapping[str, Any], valid_from: date, by: str, now: datetime
) -> PenaltyBenchmark:
    """Keep a new benchmark from `valid_from` on (checked first: BenchmarkError)."""
    benchmark = discretion.check(table)
    row = session.scalars(select(PenaltyBenchmark).where(PenaltyBenchmark.valid_from == valid_from)).first()
    if row is None:
        row = PenaltyBenchmark(valid_from=valid_from, changed_by=by)
        session.add(row)
    row.table = discretion.as_json(benchmark)
    row.changed_at, row.changed_by = now, by
    session.flush()
    return row


# --- opening a case -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewCase:
    """A violation found, proposed for 立案: the enterprise, when it was found, the facts, the violation of the
    benchmark with its circumstances, the officers (two at least), the correction ordered."""

    enterprise_id: int
    discovered_on: date
    facts: str
    violation_code: str
    officer_ids: Sequence[int]
    levels: Mapping[str, str] = field(default_factory=dict)
    conditions: tuple[str, ...] = ()
    base_amount: Decimal | None = None
    rectification: str = ""
    rectification_deadline: date | None = None
    inspection_id: int | None = None
    organisation_id: int | None = None  # the handling unit; the proposer's by default


def _officers(session: Session, ids: Sequence[int]) -> list[User]:
    """The officers named, each an active user who may handle penalty cases, in the order given."""
    unique = list(dict.fromkeys(ids))
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(unique)))}
    found = [users[i] for i in unique if i in users]
    if len(found) != len(unique) or not all(u.active for u in found):
        raise PenaltyError("officer_unknown")
    for user in found:
        if Action.HANDLE_PENALTIES not in _actions_of(user):
            raise PenaltyError("officer_role")
    if len(found) < procedure.MIN_OFFICERS:
        raise PenaltyError("officers")
    return found


def _actions_of(user: User) -> frozenset[Action]:
    return ALLOWED.get(user.role, frozenset())


def open_case(session: Session, acting: Acting, new: NewCase, *, now: datetime, today: date) -> PenaltyCase:
    """Propose a penalty case for a violation found (立案呈批): the benchmark's recommendation is kept with it, and
    a leader approves or refuses the registration."""
    if not allowed(acting.principal, Action.HANDLE_PENALTIES):
        raise PenaltyError("not_allowed")
    enterprise = get_visible(session, acting.principal, Enterprise, new.enterprise_id)
    if enterprise is None:
        raise PenaltyError("enterprise_unknown")
    if new.inspection_id is not None:
        # The inspection that found the violation: one the proposer sees, of the same enterprise.
        found = get_visible(session, acting.principal, Inspection, new.inspection_id)
        if found is None or found.enterprise_id != enterprise.id:
            raise PenaltyError("inspection_unknown")
    if not new.facts.strip():
        raise PenaltyError("facts_missing")
    if new.discovered_on > today:
        raise PenaltyError("future_day")
    if new.rectification_deadline is not None and new.rectification_deadline < today:
        raise PenaltyError("deadline_past")
    benchmark, version = benchmark_for(session, today)
    violation = benchmark.violation(new.violation_code)
    if violation is None:
        raise PenaltyError("violation_unknown")
    try:
        advice = discretion.recommend(
            benchmark, violation.code, new.levels, conditions=new.conditions, base_amount=new.base_amount
        )
    except discretion.BenchmarkError as exc:
        raise PenaltyError(exc.code, exc.detail) from exc
    officers = _officers(session, new.officer_ids)
    organisation_id = new.organisation_id or acting.user.organisation_id
    if organisation_id is None:
        raise PenaltyError("organisation_missing")
    case = PenaltyCase(
        enterprise_id=enterprise.id,
        region_id=enterprise.region_id,
        organisation_id=organisation_id,
        inspection_id=new.inspection_id,
        stage=Stage.PROPOSED,
        awaiting=Approval.REGISTRATION,
        violation_code=violation.code,
        violation_name=violation.name,
        violated_provision=violation.violated,
        penalty_provision=violation.basis,
        circumstances=dict(new.levels),
        exemptions=list(new.conditions),
        recommendation={**advice.as_json(), "base_amount": str(new.base_amount or "")},
        benchmark_version_id=version.id if version else None,
        facts=new.facts.strip(),
        discovered_on=new.discovered_on,
        proposed_on=today,
        rectification=new.rectification.strip() or violation.measures,
        rectification_deadline=new.rectification_deadline,
        created_by_id=acting.user.id,
    )
    case.officers = [PenaltyCaseOfficer(user_id=u.id, position=n) for n, u in enumerate(officers)]
    session.add(case)
    session.flush()
    _event(session, case, acting, EventKind.PROPOSED, now, to_stage=Stage.PROPOSED, data=advice.as_json())
    return case


def set_officers(
    session: Session, case: PenaltyCase, acting: Acting, officer_ids: Sequence[int], now: datetime
) -> None:
    """Change the handling officers (two at least) of a case not ended."""
    _check_party(session, case, acting, leader=False)
    if case.stage in ENDED:
        raise PenaltyError("ended")
    officers = _officers(session, officer_ids)
    case.officers = [PenaltyCaseOfficer(user_id=u.id, position=n) for n, u in enumerate(officers)]
    session.flush()
    _event(session, case, acting, EventKind.OFFICERS, now, data={"officers": [u.id for u in officers]})


# --- steps ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Details:
    """What a step records beyond the procedure's entry: a note, the kind of a period not counted, the manner of
    service, the decision's other measures, confiscation and reasons."""

    note: str = ""
    suspension: Suspension = Suspension.OTHER
    service_method: str = ""
    other_measures: str = ""
    confiscation: str = ""
    reasons: str = ""


def _check_party(session: Session, case: PenaltyCase, acting: Acting, *, leader: bool, either: bool = False) -> None:
    action = Action.APPROVE_PENALTIES if leader else Action.HANDLE_PENALTIES
    if either:
        if not (
            allowed(acting.principal, Action.HANDLE_PENALTIES) or allowed(acting.principal, Action.APPROVE_PENALTIES)
        ):
            raise PenaltyError("not_allowed")
    elif not allowed(acting.principal, action):
        raise PenaltyError("not_allowed_leader" if leader else "not_allowed")
    if get_visible(session, acting.principal, PenaltyCase, case.id) is None:
        raise PenaltyError("not_allowed")


def facts_of(session: Session, case: PenaltyCase) -> procedure.Facts:
    """What the procedure knows of `case`."""
    evidence = session.scalar(
        select(func.count()).select_from(PenaltyEvidence).where(PenaltyEvidence.penalty_case_id == case.id)
    )
    open_pause = _open_suspension(session, case) is not None
    return procedure.Facts(
        stage=case.stage,
        awaiting=case.awaiting,
        officers=len(case.officers),
        evidence=int(evidence or 0),
        hearing_right=case.hearing_right,
        notified_on=case.notified_on,
        hearing_requested_on=case.hearing_requested_on,
        hearing_waived=case.hearing_waived,
        hearing_notice_on=case.hearing_notice_on,
        hearing_on=case.hearing_on,
        hearing_held_on=case.hearing_held_on,
        statement_heard=case.statement_heard,
        suspended=open_pause,
        extensions=case.extensions,
        decision_kind=case.decision_kind,
        fine=case.fine_amount,
        notified_fine=case.notified_fine,
        severe_measures=case.severe_measures,
        collective_discussion_on=case.collective_discussion_on,
        decided_on=case.decided_on,
        served_on=case.served_on,
        paid_amount=case.paid_amount,
        enforcement_on=case.enforcement_on,
        statutory_min=_amount(case.recommendation.get("statutory_min")),
        statutory_max=_amount(case.recommendation.get("statutory_max")),
    )


def _amount(text: object) -> Decimal | None:
    """An amount kept as text in the recommendation (None when absent)."""
    try:
        return Decimal(str(text)) if text not in (None, "") else None
    except ArithmeticError:
        return None


def _open_suspension(session: Session, case: PenaltyCase) -> PenaltySuspension | None:
    return session.scalars(
        select(PenaltySuspension).where(
            PenaltySuspension.penalty_case_id == case.id, PenaltySuspension.ended_on.is_(None)
        )
    ).first()


def take_step(
    session: Session,
    case: PenaltyCase,
    acting: Acting,
    step: Step,
    entry: Entry,
    *,
    now: datetime,
    today: date,
    details: Details | None = None,
    version: int | None = None,
) -> PenaltyCase:
    """Take one step of the procedure on `case` (ProcedureError with the reason when out of order), record its
    values and one timeline line; `version` is the case version the actor saw (a stale one is refused)."""
    details = details or Details()
    _check_party(session, case, acting, leader=step.leader, either=step in procedure.EITHER_STEPS)
    if version is not None and version != case.version:
        raise PenaltyError("concurrent_edit")
    if step is Step.ADD_EVIDENCE:
        raise PenaltyError("use_add_evidence")
    calendar = case_queries.work_calendar(session)
    limits = limits_for(session, today)
    before = case.stage
    outcome = procedure.transition(step, facts_of(session, case), entry, today=today, calendar=calendar, limits=limits)
    data = _apply(session, case, acting, step, entry, details, now=now, today=today, limits=limits)
    case.stage, case.awaiting = outcome.stage, outcome.awaiting
    session.flush()
    _event(
        session,
        case,
        acting,
        _EVENT_OF[step],
        now,
        from_stage=before,
        to_stage=outcome.stage if outcome.stage is not before else None,
        note=details.note,
        data=data,
    )
    return case


def _day(entry: Entry, today: date) -> date:
    return entry.day or today


def _apply(
    session: Session,
    case: PenaltyCase,
    acting: Acting,
    step: Step,
    entry: Entry,
    details: Details,
    *,
    now: datetime,
    today: date,
    limits: clock.Limits,
) -> dict[str, Any]:
    """Record what `step` changes on the case; the timeline's data of the step."""
    data: dict[str, Any] = {}
    if entry.day is not None:
        data["day"] = entry.day.isoformat()
    if step is Step.APPROVE_REGISTRATION:
        _register(session, case, acting, now=now, today=today, limits=limits)
        data["number"] = case.number
    elif step is Step.NOTIFY:
        case.decision_kind = entry.kind
        case.fine_amount = case.notified_fine = entry.fine
        case.severe_measures = entry.severe_measures
        case.other_measures = details.other_measures.strip()
        case.confiscation = details.confiscation.strip()
        case.notified_on = entry.day
        case.hearing_right = procedure.hearing_right(entry.fine, entry.severe_measures, limits)
        data.update(kind=str(entry.kind), fine=str(entry.fine or ""), hearing_right=case.hearing_right)
    elif step is Step.HEAR_STATEMENT:
        case.statement_heard = True
    elif step is Step.REQUEST_HEARING:
        case.hearing_requested_on = entry.day
        # 听证 is not counted towards the time limit (生态环境行政处罚办法 第五十七条): paused from the request.
        _suspend(session, case, Suspension.HEARING, _day(entry, today), details.note)
    elif step is Step.WAIVE_HEARING:
        case.hearing_waived = True
    elif step is Step.SCHEDULE_HEARING:
        case.hearing_notice_on, case.hearing_on = entry.notice_on, entry.hearing_on
        data.update(notice_on=str(entry.notice_on), hearing_on=str(entry.hearing_on))
    elif step is Step.HOLD_HEARING:
        case.hearing_held_on = entry.day
        _resume(session, case, _day(entry, today))
    elif step is Step.SUSPEND:
        _suspend(session, case, details.suspension, _day(entry, today), details.note)
        data["kind"] = details.suspension.value
    elif step is Step.RESUME:
        _resume(session, case, _day(entry, today))
    elif step is Step.REQUEST_EXTENSION:
        case.extension_requested_days = entry.days
        data["days"] = entry.days
    elif step is Step.APPROVE_EXTENSION:
        data.update(days=case.extension_requested_days, collective=entry.collective)
        case.extended_days += case.extension_requested_days
        case.extensions += 1
        case.extension_requested_days = 0
    elif step is Step.REFUSE_EXTENSION:
        case.extension_requested_days = 0
    elif step is Step.RECORD_DISCUSSION:
        case.collective_discussion_on = entry.day
    elif step is Step.PROPOSE_DECISION:
        case.decision_kind = entry.kind
        case.fine_amount = entry.fine if entry.kind is not DecisionKind.NO_PENALTY else None
        case.severe_measures = entry.severe_measures and entry.kind is not DecisionKind.NO_PENALTY
        case.other_measures = details.other_measures.strip()
        case.confiscation = details.confiscation.strip()
        case.decision_reasons = details.reasons.strip()
        data.update(kind=str(entry.kind), fine=str(case.fine_amount or ""))
    elif step is Step.APPROVE_DECISION:
        case.decided_on = today
    elif step is Step.SERVE:
        case.served_on, case.service_method = entry.day, details.service_method.strip()
    elif step is Step.RECORD_PAYMENT:
        _pay(session, case, entry, limits, data)
    elif step is Step.APPLY_ENFORCEMENT:
        case.enforcement_on = today
    elif step is Step.APPROVE_CLOSURE:
        case.closed_on = today
    elif step is Step.WITHDRAW:
        _resume(session, case, today)
    return data


def _pay(session: Session, case: PenaltyCase, entry: Entry, limits: clock.Limits, data: dict[str, Any]) -> None:
    """Record a payment and the 加处罚款 due on its day (行政处罚法 第七十二条第一款第一项)."""
    assert case.served_on is not None and case.fine_amount is not None  # the procedure checked both
    paid_on = entry.day or case.served_on
    due = clock.payment_due(case_queries.work_calendar(session), case.served_on, limits)
    case.late_fee = clock.late_fee(case.fine_amount, due, paid_on, limits)
    case.paid_amount = (case.paid_amount or Decimal(0)) + (entry.amount or Decimal(0))
    case.paid_on = paid_on
    data.update(amount=str(entry.amount), late_fee=str(case.late_fee), due=due.isoformat())


def _suspend(session: Session, case: PenaltyCase, kind: Suspension, day: date, note: str) -> None:
    session.add(PenaltySuspension(penalty_case_id=case.id, kind=kind, started_on=day, note=note[:1000]))


def _resume(session: Session, case: PenaltyCase, day: date) -> None:
    running = _open_suspension(session, case)
    if running is not None:
        running.ended_on = max(day, running.started_on)


def _register(
    session: Session, case: PenaltyCase, acting: Acting, *, now: datetime, today: date, limits: clock.Limits
) -> None:
    """立案: the case's number from the year's sequence, and the problem as a case of the closed loop (source
    INSPECTION, the violation's category, the enterprise, the correction's deadline)."""
    case.registered_on = today
    year = today.year
    last = session.scalar(select(func.max(PenaltyCase.number_seq)).where(PenaltyCase.number_year == year))
    case.number_year, case.number_seq = year, (last or 0) + 1
    case.number = gettext("%(prefix)s[%(year)d] No. %(seq)d") % {
        "prefix": limits.number_prefix,
        "year": year,
        "seq": case.number_seq,
    }
    enterprise = session.get(Enterprise, case.enterprise_id)
    assert enterprise is not None  # a foreign key
    benchmark, _ = benchmark_for(session, case.proposed_on)
    violation = benchmark.violation(case.violation_code)
    category = Category(violation.category) if violation else Category.OTHER
    try:
        loop = case_service.register_case(
            session,
            acting,
            source=CaseSource.INSPECTION,
            category=category,
            title=f"{enterprise.name}: {case.violation_name}",
            region=enterprise.region,
            now=now,
            description=case.facts,
            enterprise_id=enterprise.id,
            deadline=case.rectification_deadline,
            external_ref=case.number,
        )
    except case_service.CaseError as exc:
        raise PenaltyError("loop_case", exc.code) from exc
    case.case_id = loop.id


# --- evidence -------------------------------------------------------------------------------------------------------


def add_evidence(
    session: Session,
    case: PenaltyCase,
    acting: Acting,
    *,
    kind: EvidenceKind,
    description: str,
    collected_on: date,
    now: datetime,
    today: date,
    storage: Path,
    filename: str = "",
    content: bytes = b"",
) -> PenaltyEvidence:
    """Add an item of evidence (调查取证), with a file stored once per content under `storage`; the first moves
    the case from 立案 to 调查取证."""
    _check_party(session, case, acting, leader=False)
    if not description.strip():
        raise PenaltyError("evidence_text")
    calendar = case_queries.work_calendar(session)
    limits = limits_for(session, today)
    entry = Entry(day=collected_on)
    outcome = procedure.transition(
        Step.ADD_EVIDENCE, facts_of(session, case), entry, today=today, calendar=calendar, limits=limits
    )
    item = PenaltyEvidence(
        penalty_case_id=case.id,
        kind=kind,
        description=description.strip(),
        collected_on=collected_on,
        added_by_id=acting.user.id,
        added_at=now,
    )
    if content or filename:
        item.filename, item.content_type, item.size, item.sha256 = _store(filename, content, storage)
    session.add(item)
    before = case.stage
    case.stage = outcome.stage
    session.flush()
    _event(
        session,
        case,
        acting,
        EventKind.EVIDENCE,
        now,
        from_stage=before,
        to_stage=outcome.stage if outcome.stage is not before else None,
        note=description.strip()[:500],
        data={"kind": kind.value, "file": item.filename, "sha256": item.sha256},
    )
    return item


def _store(filename: str, content: bytes, storage: Path) -> tuple[str, str, int, str]:
    name = Path(filename).name.strip()
    content_type = EVIDENCE_TYPES.get(Path(name).suffix.lower())
    if not name or content_type is None:
        raise PenaltyError("evidence_type", ", ".join(sorted(EVIDENCE_TYPES)))
    if not content:
        raise PenaltyError("evidence_empty")
    if len(content) > MAX_EVIDENCE_BYTES:
        raise PenaltyError("evidence_too_large")
    signature = _SIGNATURES.get(content_type, _ZIP if content_type.startswith("application/vnd.openxml") else b"")
    if not content.startswith(signature):
        raise PenaltyError("evidence_content")
    digest = hashlib.sha256(content).hexdigest()
    path = storage / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(content)
        partial.replace(path)
    return name[:200], content_type, len(content), digest


def evidence_path(storage: Path, item: PenaltyEvidence) -> Path:
    """Where an item's file is stored."""
    return storage / item.sha256[:2] / item.sha256


# --- the timeline ---------------------------------------------------------------------------------------------------


def _event(
    session: Session,
    case: PenaltyCase,
    acting: Acting,
    kind: EventKind,
    now: datetime,
    *,
    from_stage: Stage | None = None,
    to_stage: Stage | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> PenaltyEvent:
    event = PenaltyEvent(
        penalty_case_id=case.id,
        kind=kind,
        at=now,
        user_id=acting.user.id,
        from_stage=from_stage,
        to_stage=to_stage,
        note=note[:2000],
        data=data or {},
    )
    session.add(event)
    session.flush()
    return event


ERRORS = {
    "not_allowed": N_("You may not handle this penalty case."),
    "not_allowed_leader": N_("Only a leader approves this step."),
    "concurrent_edit": N_("Someone changed the case meanwhile: look at it again and retry."),
    "use_add_evidence": N_("Add evidence with its own form."),
    "officer_unknown": N_("An officer named is not an active user."),
    "officer_role": N_("An officer named may not handle penalty cases."),
    "officers": N_("At least two officers must handle the case (Administrative Penalty Law, Article 42)."),
    "enterprise_unknown": N_("Choose an enterprise of your area."),
    "inspection_unknown": N_("The inspection is not one of yours or is about another enterprise."),
    "facts_missing": N_("Describe the facts of the violation."),
    "future_day": N_("The day cannot be later than today."),
    "deadline_past": N_("The correction deadline has passed already."),
    "violation_unknown": N_("Choose a violation of the discretion benchmark."),
    "unknown_violation": N_("Choose a violation of the discretion benchmark."),
    "unknown_level": N_("A circumstance has a level the benchmark does not know."),
    "unknown_condition": N_("A no-penalty or reduction condition is not in the benchmark."),
    "base_missing": N_("Enter the base amount the fine is a share of (e.g. the project's total investment)."),
    "organisation_missing": N_("Your account belongs to no unit: the case needs a handling unit."),
    "ended": N_("The case has ended."),
    "loop_case": N_("The problem could not be registered as a case of the closed loop."),
    "evidence_text": N_("Describe the evidence."),
    "evidence_type": N_("Evidence files may be photos (JPEG, PNG), PDF, Word, Excel or text files."),
    "evidence_empty": N_("The file is empty."),
    "evidence_too_large": N_("An evidence file is at most 20 MB."),
    "evidence_content": N_("The file's content is not what its name says."),
}
