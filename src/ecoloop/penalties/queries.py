"""Reads of penalty cases for the pages: the cases a user sees with filters, the worklists (overdue, due soon,
awaiting a leader), one case with its timeline, evidence, periods not counted and the limits running."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ALLOWED, Action
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.cases import queries as case_queries
from ecoloop.cases.workdays import WorkCalendar
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_
from ecoloop.identity.models import Organisation, User
from ecoloop.penalties import clock, service
from ecoloop.penalties.enums import ENDED, Approval, Stage
from ecoloop.penalties.models import PenaltyCase, PenaltyEvent, PenaltyEvidence, PenaltySuspension
from ecoloop.regions.models import Region
from ecoloop.regions.queries import get_region, in_subtree

QUEUES = ("overdue", "due_soon", "awaiting")
QUEUE_LABELS = {
    "overdue": N_("Overdue"),
    "due_soon": N_("Due soon"),
    "awaiting": N_("Awaiting approval"),
}
DUE_LABELS = {
    clock.DueKind.REGISTER: N_("Register by"),
    clock.DueKind.DECISION: N_("Decide by"),
    clock.DueKind.HEARING_REQUEST: N_("Hearing may be asked until"),
    clock.DueKind.STATEMENT: N_("Statement and defence until"),
    clock.DueKind.SERVICE: N_("Serve by"),
    clock.DueKind.PAYMENT: N_("Fine due by"),
}


def get(session: Session, principal: Principal, case_id: int) -> PenaltyCase | None:
    """The case if the user may see it."""
    return get_visible(session, principal, PenaltyCase, case_id)


def dates_of(session: Session, case: PenaltyCase) -> clock.Dates:
    """What the clock needs of `case`."""
    pauses = tuple(
        clock.Pause(s.started_on, s.ended_on)
        for s in session.scalars(select(PenaltySuspension).where(PenaltySuspension.penalty_case_id == case.id))
    )
    return _dates(case, pauses)


def _dates(case: PenaltyCase, pauses: tuple[clock.Pause, ...]) -> clock.Dates:
    return clock.Dates(
        stage=case.stage.value,
        discovered_on=case.discovered_on,
        registered_on=case.registered_on,
        notified_on=case.notified_on,
        hearing_right=case.hearing_right,
        hearing_requested_on=case.hearing_requested_on,
        hearing_waived=case.hearing_waived,
        statement_heard=case.statement_heard,
        decided_on=case.decided_on,
        served_on=case.served_on,
        fine=case.fine_amount,
        paid_on=case.paid_on,
        extended_days=case.extended_days,
        pauses=pauses,
    )


def dues_of(session: Session, case: PenaltyCase, today: date) -> list[clock.Due]:
    """The limits running for `case` on `today`, soonest first."""
    limits = service.limits_for(session, today)
    return clock.dues(case_queries.work_calendar(session), dates_of(session, case), limits, today)


@dataclass(frozen=True)
class Row:
    """A case as the lists show it: the case, its enterprise's name, its soonest limit."""

    case: PenaltyCase
    enterprise: str
    due: clock.Due | None


@dataclass(frozen=True)
class Filter:
    """The list's filters."""

    queue: str = ""
    stage: Stage | None = None
    region_id: int | None = None
    text: str = ""  # the enterprise's name or credit code, or the case number


def _base(principal: Principal, f: Filter, session: Session) -> Select[PenaltyCase, str]:
    stmt = scoped(select(PenaltyCase, Enterprise.name), principal, PenaltyCase).join(
        Enterprise, Enterprise.id == PenaltyCase.enterprise_id
    )
    if f.stage is not None:
        stmt = stmt.where(PenaltyCase.stage == f.stage)
    if f.region_id is not None:
        region = get_region(session, principal, f.region_id)
        below = select(Region.id).where(Region.path.startswith(region.path, autoescape=True)) if region else None
        stmt = stmt.where(PenaltyCase.region_id.in_(below)) if below is not None else stmt.where(false())
    if f.text.strip():
        like = f"%{f.text.strip()}%"
        stmt = stmt.where(
            or_(Enterprise.name.like(like), Enterprise.credit_code.like(like), PenaltyCase.number.like(like))
        )
    if f.queue == "awaiting":
        stmt = stmt.where(PenaltyCase.awaiting.is_not(None))
    if f.queue in ("overdue", "due_soon"):
        stmt = stmt.where(PenaltyCase.stage.not_in(ENDED))
    return stmt.order_by(PenaltyCase.id.desc())


def _rows(session: Session, pairs: list[tuple[PenaltyCase, str]], today: date) -> list[Row]:
    """The rows with their soonest limit (the periods not counted read at once)."""
    ids = [case.id for case, _ in pairs]
    pauses: dict[int, list[clock.Pause]] = {}
    if ids:
        for s in session.scalars(select(PenaltySuspension).where(PenaltySuspension.penalty_case_id.in_(ids))):
            pauses.setdefault(s.penalty_case_id, []).append(clock.Pause(s.started_on, s.ended_on))
    calendar = case_queries.work_calendar(session)
    limits = service.limits_for(session, today)
    return [
        Row(case, name, _soonest(calendar, _dates(case, tuple(pauses.get(case.id, ()))), limits, today))
        for case, name in pairs
    ]


def _soonest(calendar: WorkCalendar, dates: clock.Dates, limits: clock.Limits, today: date) -> clock.Due | None:
    dues = clock.dues(calendar, dates, limits, today)
    return dues[0] if dues else None


def _in_queue(row: Row, queue: str, limits: clock.Limits) -> bool:
    if queue == "overdue":
        return row.due is not None and row.due.overdue
    if queue == "due_soon":
        return row.due is not None and not row.due.overdue and 0 <= row.due.days_left <= limits.due_soon_days
    return True


def search(
    session: Session, principal: Principal, f: Filter, today: date, *, limit: int = 50, offset: int = 0
) -> tuple[list[Row], int]:
    """The cases the user sees with the filters, newest first, one page of them and how many in all."""
    stmt = _base(principal, f, session)
    if f.queue in ("overdue", "due_soon"):
        limits = service.limits_for(session, today)
        rows = [
            r
            for r in _rows(session, [(c, n) for c, n in session.execute(stmt)], today)
            if _in_queue(r, f.queue, limits)
        ]
        return rows[offset : offset + limit], len(rows)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pairs = [(c, n) for c, n in session.execute(stmt.limit(limit).offset(offset))]
    return _rows(session, pairs, today), total


def queue_counts(session: Session, principal: Principal, today: date) -> dict[str, int]:
    """How many cases wait in each worklist."""
    open_cases = [(c, n) for c, n in session.execute(_base(principal, Filter(queue="overdue"), session))]
    rows = _rows(session, open_cases, today)
    limits = service.limits_for(session, today)
    return {
        "overdue": sum(_in_queue(r, "overdue", limits) for r in rows),
        "due_soon": sum(_in_queue(r, "due_soon", limits) for r in rows),
        "awaiting": sum(r.case.awaiting is not None for r in rows),
    }


@dataclass(frozen=True)
class TimelineLine:
    """A line of the timeline with who did it."""

    event: PenaltyEvent
    who: str


def timeline(session: Session, case: PenaltyCase) -> list[TimelineLine]:
    """The case's timeline, oldest first."""
    stmt = (
        select(PenaltyEvent, User.display_name)
        .outerjoin(User, User.id == PenaltyEvent.user_id)
        .where(PenaltyEvent.penalty_case_id == case.id)
        .order_by(PenaltyEvent.at, PenaltyEvent.id)
    )
    return [TimelineLine(event, who or "") for event, who in session.execute(stmt)]


def evidence(session: Session, case: PenaltyCase) -> list[PenaltyEvidence]:
    """The case's evidence in the order it was added."""
    stmt = select(PenaltyEvidence).where(PenaltyEvidence.penalty_case_id == case.id).order_by(PenaltyEvidence.id)
    return list(session.scalars(stmt))


def evidence_item(session: Session, case: PenaltyCase, item_id: int) -> PenaltyEvidence | None:
    """One item of the case's evidence."""
    item = session.get(PenaltyEvidence, item_id)
    return item if item is not None and item.penalty_case_id == case.id else None


def suspensions(session: Session, case: PenaltyCase) -> list[PenaltySuspension]:
    """The periods not counted, oldest first."""
    stmt = select(PenaltySuspension).where(PenaltySuspension.penalty_case_id == case.id)
    return list(session.scalars(stmt.order_by(PenaltySuspension.started_on, PenaltySuspension.id)))


def names(session: Session, user_ids: list[int]) -> dict[int, str]:
    """Users' display names by id."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}


def officer_choices(session: Session, principal: Principal) -> list[User]:
    """The users who may be named as officers: the active users who may handle penalty cases, of the units of the
    user's area (their names only are shown)."""
    roles = [role for role, actions in ALLOWED.items() if Action.HANDLE_PENALTIES in actions]
    stmt = (
        select(User)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.active.is_(True), User.role.in_(roles), in_subtree(Organisation.region_id, principal))
    )
    return list(session.scalars(stmt.order_by(User.display_name, User.id)))


def organisation_name(session: Session, organisation_id: int) -> str:
    organisation = session.get(Organisation, organisation_id)
    return organisation.name if organisation else ""


def awaiting_label(approval: Approval | None) -> str:
    return approval.label if approval else ""
