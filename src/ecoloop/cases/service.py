"""Working cases: register, take workflow steps, comment, attach evidence, extend deadlines.

Every step checks who is acting (`party_of`), applies `workflow.transition`, and writes one timeline event in the
caller's transaction. Each step names the case version the actor saw: if someone else changed the case since,
the step is refused (`ConcurrentEditError`) rather than applied to a state the actor never saw; the `version`
column also stops two transactions that both read the same version from both writing."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import case as case_
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ecoloop.access.actions import Action as AccessAction
from ecoloop.access.actions import allowed
from ecoloop.access.principal import Principal
from ecoloop.cases import queries
from ecoloop.cases.enums import CaseSource, Category, EventKind, MilestoneStatus, Severity
from ecoloop.cases.models import Attachment, CalendarDay, Case, CaseEvent, CaseUnit, Milestone, SupervisionBatch
from ecoloop.cases.rules import DeadlineFacts, EscalationPolicy, Step, due_steps
from ecoloop.cases.workflow import Action, IllegalTransitionError, Party, State, may_attach_evidence, transition
from ecoloop.identity.enums import Role
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.models import Region
from ecoloop.standards import personal_data

_EVENT_OF: dict[Action, EventKind] = {
    Action.ASSIGN: EventKind.ASSIGNED,
    Action.ACCEPT: EventKind.ACCEPTED,
    Action.RETURN: EventKind.RETURNED,
    Action.REPORT: EventKind.REPORTED,
    Action.START_VERIFICATION: EventKind.VERIFICATION_STARTED,
    Action.PASS: EventKind.PASSED,
    Action.FAIL: EventKind.FAILED,
    Action.MERGE: EventKind.MERGED,
    Action.REOPEN: EventKind.REOPENED,
}
# Evidence and documents: photos, PDF, Office files, plain text; 20 MiB each.
ATTACHMENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".txt": "text/plain",
}
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
# File signatures: the content must be what the name says.
_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}


class CaseError(ValueError):
    """A case operation that cannot be done; `code` is stable."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class ConcurrentEditError(CaseError):
    """The case changed since the actor loaded it."""

    def __init__(self, seen: int, current: int) -> None:
        super().__init__("concurrent_edit", f"the case changed meanwhile (version {seen} seen, now {current})")


@dataclass(frozen=True)
class Acting:
    """Who acts: the user (for the timeline) and their principal (for the party they are on this case)."""

    user: User
    principal: Principal


def party_of(session: Session, principal: Principal, case: Case) -> Party | None:
    """The actor's party on this case: the lead unit's staff act as the unit (even a branch assigned its own
    case); the roles that supervise cases (`supervise_cases`: the bureau's administrator, leaders and analysts, a
    branch) supervise those of their area; the enterprise concerned is the enterprise."""
    if principal.organisation_id is not None and principal.organisation_id == case.lead_unit_id:
        return Party.UNIT
    if allowed(principal, AccessAction.SUPERVISE_CASES) and _in_area(session, principal, case):
        return Party.SUPERVISOR
    if principal.role is Role.ENTERPRISE and principal.enterprise_id == case.enterprise_id:
        return Party.ENTERPRISE
    return None


def follows(session: Session, principal: Principal, case: Case) -> bool:
    """Whether the actor takes part in the case's timeline (comments): a party to it, or a role that registers
    cases (inspectors, the hotline) for a case of their area."""
    if party_of(session, principal, case) is not None:
        return True
    return allowed(principal, AccessAction.REGISTER_CASES) and _in_area(session, principal, case)


def _in_area(session: Session, principal: Principal, case: Case) -> bool:
    path = session.scalar(select(Region.path).where(Region.id == case.region_id)) or ""
    return path.startswith(principal.region_path)


def _next_number(session: Session, year: int) -> str:
    prefix = f"AJ{year}-"
    last = session.scalar(select(func.max(Case.number)).where(Case.number.startswith(prefix)))
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{sequence:06d}"


def register_case(
    session: Session,
    acting: Acting,
    *,
    source: CaseSource,
    category: Category,
    title: str,
    region: Region,
    now: datetime,
    description: str = "",
    enterprise_id: int | None = None,
    site_id: int | None = None,
    severity: Severity = Severity.NORMAL,
    deadline: date | None = None,
    batch: SupervisionBatch | None = None,
    external_ref: str = "",
    long_term: bool = False,
    responsible_leader: str = "",
) -> Case:
    """Register a problem as a case (登记) in `region`, which must be within the actor's area."""
    if not allowed(acting.principal, AccessAction.REGISTER_CASES):
        raise CaseError("not_allowed", "only the bureau, a branch or the hotline registers cases")
    if not region.path.startswith(acting.principal.region_path):
        raise CaseError("region_outside_area")
    if not region.active:
        raise CaseError("region_retired")
    if not title.strip():
        raise CaseError("title_missing")
    if source is CaseSource.COMPLAINT:
        # A complainant's phone or identity number typed into a complaint's text is masked for every reader of
        # the case, the enterprise concerned included (issue 18); the complaint keeps the original encrypted.
        title, description = personal_data.mask(title), personal_data.mask(description)
    case = Case(
        number=_next_number(session, now.year),
        source=source,
        category=category,
        title=title.strip(),
        description=description,
        region_id=region.id,
        enterprise_id=enterprise_id,
        site_id=site_id,
        severity=severity,
        state=State.REGISTERED,
        deadline=deadline,
        long_term=long_term,
        batch_id=batch.id if batch else None,
        external_ref=external_ref,
        responsible_leader=responsible_leader,
        registered_by_id=acting.user.id,
    )
    session.add(case)
    session.flush()
    _event(session, case, acting, EventKind.REGISTERED, now, to_state=State.REGISTERED, note=description[:500])
    return case


def open_for_platform(
    session: Session,
    *,
    source: CaseSource,
    category: Category,
    title: str,
    region: Region,
    unit: Organisation,
    deadline: date,
    now: datetime,
    label: str,
    description: str = "",
    enterprise_id: int | None = None,
    site_id: int | None = None,
    severity: Severity = Severity.NORMAL,
) -> Case:
    """Register a case and hand it to `unit` by `deadline` (登记 and 交办) on the platform's own authority: an
    alert rule that escalates automatically. Both steps are timeline events signed `label` (the rule), and the
    assignment is the workflow's ASSIGN transition as a supervisor would take it."""
    case = Case(
        number=_next_number(session, now.year),
        source=source,
        category=category,
        title=title.strip()[:300],
        description=description,
        region_id=region.id,
        enterprise_id=enterprise_id,
        site_id=site_id,
        severity=severity,
        state=State.REGISTERED,
    )
    session.add(case)
    session.flush()
    _event(
        session, case, None, EventKind.REGISTERED, now, to_state=State.REGISTERED, note=description[:500], label=label
    )
    after = transition(State.REGISTERED, Action.ASSIGN, Party.SUPERVISOR)
    case.lead_unit_id = unit.id
    case.deadline = deadline
    case.state = after
    session.flush()
    data = {"unit_id": unit.id, "unit": unit.name, "deadline": deadline.isoformat(), "co_units": []}
    _event(session, case, None, EventKind.ASSIGNED, now, State.REGISTERED, after, data=data, label=label)
    return case


def take_step(
    session: Session,
    acting: Acting,
    case: Case,
    step: Action,
    *,
    now: datetime,
    version: int,
    reason: str = "",
    unit_id: int | None = None,
    co_unit_ids: Sequence[int] = (),
    deadline: date | None = None,
    merge_into: str = "",
) -> CaseEvent:
    """Take a workflow step with the units and the merge target named by id and number, as the case page and the
    API send them; the case as of `version` the caller read (`ConcurrentEditError` otherwise)."""
    if version != case.version:
        raise ConcurrentEditError(version, case.version)
    unit, co_units = None, []
    if step is Action.ASSIGN:
        units = {u.id: u for u in queries.assignable_units(session, acting.principal)}
        if (unit_id is not None and unit_id not in units) or any(i not in units for i in co_unit_ids):
            raise CaseError("unit_unknown")
        unit = units[unit_id] if unit_id is not None else None
        co_units = [units[i] for i in co_unit_ids]
    target = None
    if step is Action.MERGE and merge_into.strip():
        target = queries.case_by_number(session, acting.principal, merge_into)
        if target is None:
            raise CaseError("merge_target_unknown")
    return act(
        session,
        case,
        acting,
        step,
        seen_version=version,
        now=now,
        reason=reason.strip(),
        unit=unit,
        co_units=co_units,
        deadline=deadline,
        merge_into=target,
    )


def act(
    session: Session,
    case: Case,
    acting: Acting,
    action: Action,
    *,
    seen_version: int,
    now: datetime,
    reason: str = "",
    unit: Organisation | None = None,
    co_units: Sequence[Organisation] = (),
    deadline: date | None = None,
    merge_into: Case | None = None,
) -> CaseEvent:
    """Take a workflow step on a case: `assign` needs the lead unit and a deadline (co-units optional),
    `merge` the case this one duplicates; `return`, `fail`, `merge` and `reopen` a reason; `reopen` may set a
    new deadline. Refused with IllegalTransitionError or CaseError, nothing changed."""
    if seen_version != case.version:
        raise ConcurrentEditError(seen_version, case.version)
    party = party_of(session, acting.principal, case)
    if party is None:
        raise IllegalTransitionError("not_your_step", "this case is not yours to act on")
    before = case.state
    after = transition(before, action, party, reason=reason)
    data: dict[str, Any] = {}
    if action is Action.ASSIGN:
        if unit is None or deadline is None:
            raise CaseError("unit_and_deadline_required", "交办 names the lead unit and the deadline")
        if deadline < now.date():
            raise CaseError("deadline_in_past")
        case.lead_unit_id = unit.id
        case.deadline = deadline
        case.overdue = False
        existing = {u.organisation_id for u in case.co_units}
        for co in co_units:
            if co.id != unit.id and co.id not in existing:
                case.co_units.append(CaseUnit(organisation_id=co.id))
        data = {
            "unit_id": unit.id,
            "unit": unit.name,
            "deadline": deadline.isoformat(),
            "co_units": [c.id for c in co_units],
        }
    elif action is Action.RETURN:
        data = {"unit_id": case.lead_unit_id}
        case.lead_unit_id = None
    elif action is Action.MERGE:
        if merge_into is None or merge_into.id == case.id:
            raise CaseError("merge_target_required")
        if merge_into.state is State.MERGED:
            raise CaseError("merge_target_merged", "merge into the case the target was merged into")
        case.merged_into_id = merge_into.id
        data = {"into": merge_into.id, "into_number": merge_into.number}
    elif action is Action.PASS:
        case.closed_at = now
        case.overdue = False
    elif action is Action.REOPEN:
        case.closed_at = None
        if deadline is not None:
            case.deadline = deadline
            data = {"deadline": deadline.isoformat()}
    case.state = after
    try:
        session.flush()  # UPDATE … WHERE version = seen: a concurrent writer's commit makes it match nothing
    except StaleDataError:
        raise ConcurrentEditError(seen_version, seen_version + 1) from None
    return _event(session, case, acting, _EVENT_OF[action], now, before, after, reason, data)


def comment(session: Session, case: Case, acting: Acting, text: str, now: datetime) -> CaseEvent:
    """Add a remark to the timeline (a party to the case, or a registering role of its area: `follows`)."""
    if not follows(session, acting.principal, case):
        raise CaseError("not_allowed")
    if not text.strip():
        raise CaseError("comment_empty")
    return _event(session, case, acting, EventKind.COMMENTED, now, note=text.strip())


def extend_deadline(
    session: Session, case: Case, acting: Acting, new_deadline: date, reason: str, *, seen_version: int, now: datetime
) -> CaseEvent:
    """Grant more time (延期): the supervisor moves the deadline later, with a reason; the overdue mark goes."""
    if seen_version != case.version:
        raise ConcurrentEditError(seen_version, case.version)
    if party_of(session, acting.principal, case) is not Party.SUPERVISOR:
        raise CaseError("not_allowed", "only the supervisor extends a deadline")
    if case.deadline is None or new_deadline <= case.deadline:
        raise CaseError("deadline_not_later")
    if not reason.strip():
        raise CaseError("reason_required")
    old = case.deadline
    case.deadline = new_deadline
    case.overdue = False
    session.flush()
    data = {"from": old.isoformat(), "to": new_deadline.isoformat()}
    return _event(session, case, acting, EventKind.DEADLINE_EXTENDED, now, note=reason.strip(), data=data)


def add_attachment(
    session: Session,
    case: Case,
    acting: Acting,
    *,
    filename: str,
    content: bytes,
    storage: Path,
    now: datetime,
    note: str = "",
) -> Attachment:
    """Attach rectification evidence or a document: type by extension and file signature, at most
    MAX_ATTACHMENT_BYTES; stored once per content under `storage/<sha256[:2]>/<sha256>`."""
    party = party_of(session, acting.principal, case)
    if party is None:
        raise CaseError("not_allowed")
    if party is not Party.SUPERVISOR and not may_attach_evidence(case.state, party):
        raise CaseError("not_rectifying", "evidence is added while the case is being rectified")
    name = Path(filename).name.strip()
    content_type = ATTACHMENT_TYPES.get(Path(name).suffix.lower())
    if not name or content_type is None:
        raise CaseError("attachment_type", f"accepted: {', '.join(sorted(ATTACHMENT_TYPES))}")
    if not content:
        raise CaseError("attachment_empty")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise CaseError("attachment_too_large", f"at most {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB")
    magic = _MAGIC.get(content_type)
    if magic is not None and not content.startswith(magic):
        raise CaseError("attachment_content", f"{name} is not a {content_type} file")
    digest = hashlib.sha256(content).hexdigest()
    path = storage / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    event = _event(
        session, case, acting, EventKind.EVIDENCE_ADDED, now, note=note, data={"file": name, "sha256": digest}
    )
    attachment = Attachment(
        case_id=case.id,
        event_id=event.id,
        filename=name,
        content_type=content_type,
        size=len(content),
        sha256=digest,
        uploaded_by_id=acting.user.id,
        uploaded_at=now,
    )
    session.add(attachment)
    session.flush()
    return attachment


def _event(
    session: Session,
    case: Case,
    acting: Acting | None,
    kind: EventKind,
    now: datetime,
    from_state: State | None = None,
    to_state: State | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
    *,
    label: str | None = None,
) -> CaseEvent:
    if case.source is CaseSource.COMPLAINT:
        note = personal_data.mask(note)  # what anyone writes on a complaint's case names no phone (issue 18)
    event = CaseEvent(
        case_id=case.id,
        at=now,
        kind=kind,
        actor_user_id=acting.user.id if acting else None,
        actor_label=label or (acting.user.display_name if acting else "system"),
        from_state=from_state,
        to_state=to_state,
        note=note,
        data=data or {},
    )
    session.add(event)
    session.flush()
    return event


def system_event(
    session: Session, case: Case, kind: EventKind, now: datetime, note: str = "", data: dict[str, Any] | None = None
) -> CaseEvent:
    """A timeline event written by the platform itself (deadline warnings, overdue marks, automatic 督办)."""
    return _event(session, case, None, kind, now, note=note, data=data, label="scheduler")


# --- supervision (督办), interviews (约谈) and deadline escalation ----------------------------------------------------


def _notice_number(session: Session, year: int) -> str:
    """The next supervision-notice number of the year, DB<year>-<n>."""
    count = session.scalar(
        select(func.count(CaseEvent.id)).where(
            CaseEvent.kind == EventKind.SUPERVISED, CaseEvent.data["notice"].as_string().startswith(f"DB{year}-")
        )
    )
    return f"DB{year}-{(count or 0) + 1:04d}"


def supervise(session: Session, case: Case, acting: Acting, note: str, now: datetime) -> CaseEvent:
    """A leader (or the bureau's administrator) issues a supervision notice (督办) on an open case."""
    if not allowed(acting.principal, AccessAction.ISSUE_SUPERVISION):
        raise CaseError("not_allowed", "a 督办 is issued by a leader")
    if party_of(session, acting.principal, case) is not Party.SUPERVISOR:
        raise CaseError("not_allowed")
    if case.state in (State.CLOSED, State.MERGED):
        raise CaseError("case_not_open")
    data = {"notice": _notice_number(session, now.year), "automatic": False}
    return _event(session, case, acting, EventKind.SUPERVISED, now, note=note.strip(), data=data)


def record_interview(
    session: Session, case: Case, acting: Acting, note: str, held_on: date, now: datetime
) -> CaseEvent:
    """Record that the responsible unit's leaders were interviewed (约谈) about the case."""
    if not allowed(acting.principal, AccessAction.ISSUE_SUPERVISION):
        raise CaseError("not_allowed", "an interview is held by a leader")
    if party_of(session, acting.principal, case) is not Party.SUPERVISOR:
        raise CaseError("not_allowed")
    if not note.strip():
        raise CaseError("note_required")
    return _event(
        session, case, acting, EventKind.INTERVIEWED, now, note=note.strip(), data={"held_on": held_on.isoformat()}
    )


_EPISODE_STARTS = (EventKind.ASSIGNED, EventKind.DEADLINE_EXTENDED, EventKind.REOPENED)


def deadline_facts(session: Session, cases: Sequence[Case]) -> dict[int, DeadlineFacts]:
    """Escalation facts of many cases from their timelines, in one grouped query."""
    ids = [c.id for c in cases]
    if not ids:
        return {}

    def latest(*kinds: EventKind) -> Any:
        return func.max(case_((CaseEvent.kind.in_(kinds), CaseEvent.at)))

    def count(kind: EventKind) -> Any:
        return func.sum(case_((CaseEvent.kind == kind, 1), else_=0))

    rows = session.execute(
        select(
            CaseEvent.case_id,
            latest(*_EPISODE_STARTS),
            latest(EventKind.DEADLINE_WARNING),
            latest(EventKind.SUPERVISED),
            count(EventKind.SUPERVISED),
            count(EventKind.FAILED),
            count(EventKind.INTERVIEW_PROPOSED),
        )
        .where(CaseEvent.case_id.in_(ids))
        .group_by(CaseEvent.case_id)
    ).all()
    by_case = {row[0]: row[1:] for row in rows}
    facts = {}
    for c in cases:
        episode, warned, supervised, supervisions, failed, proposed = by_case.get(c.id, (None, None, None, 0, 0, 0))
        facts[c.id] = DeadlineFacts(
            state=c.state,
            deadline=c.deadline,
            overdue=c.overdue,
            warned_this_episode=_after(warned, episode),
            supervised_this_episode=_after(supervised, episode),
            supervisions=int(supervisions or 0),
            failed_verifications=int(failed or 0),
            interview_proposed=bool(proposed),
        )
    return facts


def _after(moment: datetime | None, start: datetime | None) -> bool:
    """Whether `moment` happened in the episode that began at `start` (or at all, without a start)."""
    if moment is None:
        return False
    return start is None or _aware(moment) >= _aware(start)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def mark_overdue(
    session: Session, case: Case, now: datetime, note: str = "", data: dict[str, Any] | None = None
) -> CaseEvent:
    """The platform marks a case overdue (逾期): the daily deadline escalation, or a capability whose own clock
    runs in minutes (a hotspot order, issue 20)."""
    case.overdue = True
    session.flush()
    return system_event(session, case, EventKind.OVERDUE, now, note=note, data=data)


def supervise_automatically(
    session: Session, case: Case, now: datetime, note: str = "", data: dict[str, Any] | None = None
) -> CaseEvent:
    """The platform issues a numbered supervision notice (督办, DB<year>-<n>) on a case: the deadline escalation, or
    a capability whose own clock passed (an overdue hotspot order, issue 20)."""
    notice = _notice_number(session, now.year)
    return system_event(
        session, case, EventKind.SUPERVISED, now, note=note, data={**(data or {}), "notice": notice, "automatic": True}
    )


def escalate(session: Session, now: datetime, today: date, policy: EscalationPolicy) -> dict[Step, int]:
    """Apply the due escalation steps to every open case; returns how many of each were taken."""
    open_cases = list(session.scalars(select(Case).where(Case.state.not_in([State.CLOSED, State.MERGED]))))
    taken = dict.fromkeys(Step, 0)
    all_facts = deadline_facts(session, open_cases)
    for c in open_cases:
        facts = all_facts[c.id]
        for step in due_steps(facts, today, policy):
            taken[step] += 1
            if step is Step.WARN:
                system_event(session, c, EventKind.DEADLINE_WARNING, now, data={"deadline": str(c.deadline)})
            elif step is Step.MARK_OVERDUE:
                mark_overdue(session, c, now, data={"deadline": str(c.deadline)})
            elif step is Step.SUPERVISE:
                supervise_automatically(session, c, now)
            else:
                system_event(
                    session,
                    c,
                    EventKind.INTERVIEW_PROPOSED,
                    now,
                    data={"supervisions": facts.supervisions, "failed_verifications": facts.failed_verifications},
                )
    return taken


# --- long-term cases: yearly milestones -----------------------------------------------------------------------------


def add_milestone(
    session: Session, case: Case, acting: Acting, *, year: int, target: str, due: date, now: datetime
) -> Milestone:
    """Set a yearly target of a long-term case (supervisor)."""
    if not case.long_term:
        raise CaseError("not_long_term", "milestones belong to long-term cases")
    if party_of(session, acting.principal, case) is not Party.SUPERVISOR:
        raise CaseError("not_allowed")
    if not target.strip():
        raise CaseError("target_missing")
    if due.year != year:
        raise CaseError("due_outside_year")
    if session.scalar(select(Milestone.id).where(Milestone.case_id == case.id, Milestone.year == year)) is not None:
        raise CaseError("milestone_exists")
    milestone = Milestone(case_id=case.id, year=year, target=target.strip(), due=due, status=MilestoneStatus.PENDING)
    session.add(milestone)
    session.flush()
    _event(session, case, acting, EventKind.COMMENTED, now, note=f"{year}: {target.strip()}", data={"milestone": year})
    return milestone


def complete_milestone(
    session: Session, case: Case, milestone: Milestone, acting: Acting, *, done_on: date, note: str, now: datetime
) -> None:
    """The unit reports a yearly target reached (or the supervisor records it)."""
    if milestone.case_id != case.id:
        raise CaseError("not_this_case")
    if party_of(session, acting.principal, case) not in (Party.UNIT, Party.SUPERVISOR):
        raise CaseError("not_allowed")
    if milestone.status is MilestoneStatus.DONE:
        raise CaseError("milestone_done")
    milestone.status = MilestoneStatus.DONE
    milestone.done_on = done_on
    milestone.note = note.strip()
    session.flush()
    _event(session, case, acting, EventKind.COMMENTED, now, note=note.strip(), data={"milestone_done": milestone.year})


def milestone_status(milestone: Milestone, today: date) -> MilestoneStatus:
    """A yearly target's standing today: done; behind once its due date passed undone; on schedule until then."""
    if milestone.status is MilestoneStatus.DONE:
        return MilestoneStatus.DONE
    return MilestoneStatus.BEHIND if today > milestone.due else MilestoneStatus.ON_SCHEDULE


def review_milestones(session: Session, today: date) -> int:
    """Set every open milestone's status for today (scheduler); returns how many changed."""
    changed = 0
    for milestone in session.scalars(select(Milestone).where(Milestone.status != MilestoneStatus.DONE)):
        status = milestone_status(milestone, today)
        if status is not milestone.status:
            milestone.status = status
            changed += 1
    session.flush()
    return changed


# --- the working-day calendar ---------------------------------------------------------------------------------------

CALENDAR_NAME_CHARS = 60


def set_calendar_day(session: Session, day: date, workday: bool, name: str) -> CalendarDay:
    """Enter a day in the bureau's calendar (a holiday, a make-up working day), replacing its earlier entry."""
    name = " ".join(name.split())[:CALENDAR_NAME_CHARS]
    entry = session.get(CalendarDay, day)
    if entry is None:
        entry = CalendarDay(day=day, workday=workday, name=name)
        session.add(entry)
    else:
        entry.workday, entry.name = workday, name
    session.flush()
    return entry


def clear_calendar_day(session: Session, day: date) -> bool:
    """Remove a day's entry (the package's or the weekday rule applies again); whether there was one."""
    entry = session.get(CalendarDay, day)
    if entry is None:
        return False
    session.delete(entry)
    session.flush()
    return True
