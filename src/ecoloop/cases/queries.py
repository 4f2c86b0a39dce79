"""Read-side queries on cases for the pages, the API and the downloads (scoped, except where a docstring says why
not)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select, true
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Attachment, CalendarDay, Case, CaseEvent, CaseUnit, Milestone, SupervisionBatch
from ecoloop.cases.workdays import WorkCalendar
from ecoloop.cases.workflow import State
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.models import Region

# Any select, of one entity or of several columns.
SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
MAX_TASKS = 200  # cases per section of "my tasks"
OPEN_STATES = (State.REGISTERED, State.ASSIGNED, State.RETURNED, State.RECTIFYING, State.REPORTED, State.VERIFYING)


@dataclass(frozen=True)
class CaseFilter:
    """What the case board is narrowed to."""

    state: State | None = None
    source: CaseSource | None = None
    category: Category | None = None
    region: Region | None = None  # cases in this region's subtree
    unit_id: int | None = None  # lead unit
    overdue: bool = False
    batch_id: int | None = None
    enterprise_id: int | None = None  # cases about this enterprise
    text: str = ""  # in the case number, the hand-down reference or the title


def _matching(stmt: SelectT, f: CaseFilter, *, with_state: bool = True) -> SelectT:
    if with_state and f.state is not None:
        stmt = stmt.where(Case.state == f.state)
    if f.source is not None:
        stmt = stmt.where(Case.source == f.source)
    if f.category is not None:
        stmt = stmt.where(Case.category == f.category)
    if f.region is not None:
        subtree = select(Region.id).where(Region.path.startswith(f.region.path, autoescape=True))
        stmt = stmt.where(Case.region_id.in_(subtree))
    if f.unit_id is not None:
        stmt = stmt.where(Case.lead_unit_id == f.unit_id)
    if f.overdue:
        stmt = stmt.where(Case.overdue.is_(True))
    if f.batch_id is not None:
        stmt = stmt.where(Case.batch_id == f.batch_id)
    if f.enterprise_id is not None:
        stmt = stmt.where(Case.enterprise_id == f.enterprise_id)
    if f.text:
        stmt = stmt.where(
            or_(
                Case.number.icontains(f.text, autoescape=True),
                Case.external_ref.icontains(f.text, autoescape=True),
                Case.title.icontains(f.text, autoescape=True),
            )
        )
    return stmt


def state_counts(session: Session, principal: Principal, f: CaseFilter) -> dict[State, int]:
    """How many visible cases match the filter in each state (the filter's own state aside), in one grouped
    query."""
    stmt = _matching(scoped(select(Case.state, func.count(Case.id)), principal, Case), f, with_state=False)
    counts = dict.fromkeys(State, 0)
    for state, count in session.execute(stmt.group_by(Case.state)):
        counts[State(state)] = int(count)
    return counts


def search_cases(session: Session, principal: Principal, f: CaseFilter, *, limit: int, offset: int) -> list[Case]:
    """The visible cases that match the filter, newest first."""
    stmt = _matching(scoped(select(Case), principal, Case), f).order_by(Case.id.desc())
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def get_case(session: Session, principal: Principal, case_id: int) -> Case | None:
    """One case if the principal may see it."""
    return get_visible(session, principal, Case, case_id)


def case_by_number(session: Session, principal: Principal, number: str) -> Case | None:
    """A visible case by its number (e.g. the target of a merge)."""
    stmt = scoped(select(Case).where(Case.number == number.strip().upper()), principal, Case)
    return session.scalars(stmt).first()


def cases_by_ids(session: Session, principal: Principal, ids: Sequence[int]) -> dict[int, Case]:
    """Visible cases by id."""
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(scoped(select(Case).where(Case.id.in_(ids)), principal, Case))}


# --- one case --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """An event of a case's timeline with the files attached with it."""

    event: CaseEvent
    attachments: list[Attachment]


@dataclass(frozen=True)
class CaseFile:
    """A case with what its page shows beside its own columns."""

    case: Case
    place: str  # the region's names from the county down, as far as the principal sees them
    enterprise: str  # the enterprise's name (shown with the case even where the enterprise is not visible)
    co_units: list[Organisation]
    batch: SupervisionBatch | None
    merged_into: Case | None
    registered_by: str
    timeline: list[TimelineEntry] = field(default_factory=list)
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def registered_at(self) -> datetime:
        """When the case was registered: its `registered` event (an import may record it later than it happened)."""
        found = (e.event.at for e in self.timeline if e.event.kind is EventKind.REGISTERED)
        return next(found, self.case.created_at)


def case_file(session: Session, principal: Principal, case: Case) -> CaseFile:
    """The case page's data for a case the principal sees. The enterprise's and the co-units' names come with the
    case, unscoped: who the case is about and who works on it belongs to the case."""
    enterprise = ""
    if case.enterprise_id is not None:
        enterprise = session.scalar(select(Enterprise.name).where(Enterprise.id == case.enterprise_id)) or ""
    co_units = list(
        session.scalars(
            scoped(
                select(Organisation).join(CaseUnit, CaseUnit.organisation_id == Organisation.id), principal, CaseUnit
            )
            .where(CaseUnit.case_id == case.id)
            .order_by(CaseUnit.id)
        )
    )
    batch = get_visible(session, principal, SupervisionBatch, case.batch_id) if case.batch_id else None
    merged_into = get_case(session, principal, case.merged_into_id) if case.merged_into_id else None
    registered_by = ""
    if case.registered_by_id is not None:
        registered_by = session.scalar(select(User.display_name).where(User.id == case.registered_by_id)) or ""
    return CaseFile(
        case=case,
        place=place_of(session, principal, case.region),
        enterprise=enterprise,
        co_units=co_units,
        batch=batch,
        merged_into=merged_into,
        registered_by=registered_by,
        timeline=timeline(session, principal, case.id),
        milestones=list(
            session.scalars(
                scoped(select(Milestone).where(Milestone.case_id == case.id), principal, Milestone).order_by(
                    Milestone.year
                )
            )
        ),
    )


def place_of(session: Session, principal: Principal, region: Region) -> str:
    """A region's names from the county down (the ones the principal sees), e.g. "临河县 柳林镇 东王庄村委会"."""
    codes = [code for code in region.path.split(".") if code][1:]
    if not codes:
        return region.name
    found = scoped(select(Region.code, Region.name), principal, Region).where(Region.code.in_(codes))
    names = {code: name for code, name in session.execute(found)}
    return " ".join(names[code] for code in codes if code in names) or region.name


def timeline(session: Session, principal: Principal, case_id: int) -> list[TimelineEntry]:
    """The events of a case in the order they happened, each with its attachments (two queries)."""
    events = session.scalars(
        scoped(select(CaseEvent).where(CaseEvent.case_id == case_id), principal, CaseEvent).order_by(
            CaseEvent.at, CaseEvent.id
        )
    ).all()
    attachments: dict[int | None, list[Attachment]] = {}
    found = scoped(select(Attachment).where(Attachment.case_id == case_id), principal, Attachment)
    for attachment in session.scalars(found.order_by(Attachment.id)):
        attachments.setdefault(attachment.event_id, []).append(attachment)
    return [TimelineEntry(event, attachments.get(event.id, [])) for event in events]


def get_attachment(session: Session, principal: Principal, case_id: int, attachment_id: int) -> Attachment | None:
    """An attachment of a visible case."""
    attachment = get_visible(session, principal, Attachment, attachment_id)
    return attachment if attachment is not None and attachment.case_id == case_id else None


def notice_event(session: Session, principal: Principal, case_id: int, event_id: int) -> CaseEvent | None:
    """The `supervised` event (督办) of a visible case, whose notice can be downloaded."""
    event = get_visible(session, principal, CaseEvent, event_id)
    if event is None or event.case_id != case_id or event.kind is not EventKind.SUPERVISED:
        return None
    return event


def issuer_name(session: Session, region: Region) -> str:
    """The name of the bureau that issues supervision notices for cases in `region`: the bureau organisation
    nearest above it (unscoped: the issuer is printed on the notice whoever downloads it)."""
    rows = session.execute(
        select(Organisation.name, Region.path)
        .join(Region, Region.id == Organisation.region_id)
        .where(Organisation.kind == OrgKind.BUREAU)
    ).all()
    above = [(len(path), name) for name, path in rows if region.path.startswith(path)]
    return max(above)[1] if above else ""


# --- choices for the forms -------------------------------------------------------------------------------------------


def assignable_units(session: Session, principal: Principal) -> list[Organisation]:
    """The units a supervisor may assign a case to: the active departments and branches they see."""
    stmt = scoped(select(Organisation), principal, Organisation).where(
        Organisation.active.is_(True), Organisation.kind.in_([OrgKind.DEPARTMENT, OrgKind.BRANCH])
    )
    return list(session.scalars(stmt.order_by(Organisation.kind, Organisation.name, Organisation.id)))


def lead_units(session: Session, principal: Principal) -> list[Organisation]:
    """The units that lead some visible case (the board's unit filter)."""
    leading = scoped(select(Case.lead_unit_id), principal, Case).where(Case.lead_unit_id.is_not(None)).distinct()
    stmt = select(Organisation).where(Organisation.id.in_(leading)).order_by(Organisation.name, Organisation.id)
    return list(session.scalars(stmt))


def batches(session: Session, principal: Principal) -> list[SupervisionBatch]:
    """The visible supervision batches, newest first."""
    stmt = scoped(select(SupervisionBatch), principal, SupervisionBatch)
    return list(session.scalars(stmt.order_by(SupervisionBatch.received_on.desc(), SupervisionBatch.code.desc())))


def get_batch(session: Session, principal: Principal, batch_id: int) -> SupervisionBatch | None:
    """One supervision batch if the principal may see it."""
    return get_visible(session, principal, SupervisionBatch, batch_id)


def enterprise_choices(session: Session, principal: Principal, limit: int = 5000) -> list[tuple[int, str]]:
    """(id, name) of the enterprises the principal sees, for the registration form."""
    stmt = scoped(select(Enterprise.id, Enterprise.name), principal, Enterprise).order_by(Enterprise.name)
    return [(int(i), str(n)) for i, n in session.execute(stmt.limit(limit))]


# --- my tasks --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tasks:
    """The cases waiting for the principal, by what they wait for."""

    to_accept: list[Case] = field(default_factory=list)  # assigned to the principal's unit
    to_report: list[Case] = field(default_factory=list)  # its unit rectifies them
    to_assign: list[Case] = field(default_factory=list)  # registered or returned, in the supervisor's area
    to_verify: list[Case] = field(default_factory=list)  # reported or being verified
    overdue: list[Case] = field(default_factory=list)  # open and past their deadline
    evidence: list[Case] = field(default_factory=list)  # the enterprise's cases being rectified

    @property
    def total(self) -> int:
        """Cases in all sections (a case may be in two)."""
        return sum(len(x) for x in (self.to_accept, self.to_report, self.to_assign, self.to_verify, self.evidence))


def my_tasks(session: Session, principal: Principal) -> Tasks:
    """What waits for the principal: a unit accepts and reports the cases it leads; a supervisor assigns,
    verifies and chases the overdue cases of its area (not those its own organisation leads); an enterprise adds
    evidence to its cases under rectification."""

    def of(stmt: Select[Case]) -> list[Case]:
        stmt = scoped(stmt, principal, Case).order_by(Case.deadline.is_(None), Case.deadline, Case.id)
        return list(session.scalars(stmt.limit(MAX_TASKS)))

    tasks: dict[str, list[Case]] = {}
    org = principal.organisation_id
    if org is not None:
        tasks["to_accept"] = of(select(Case).where(Case.lead_unit_id == org, Case.state == State.ASSIGNED))
        tasks["to_report"] = of(select(Case).where(Case.lead_unit_id == org, Case.state == State.RECTIFYING))
    if allowed(principal, Action.SUPERVISE_CASES):
        not_own = or_(Case.lead_unit_id.is_(None), Case.lead_unit_id != org) if org is not None else true()
        tasks["to_assign"] = of(select(Case).where(Case.state.in_([State.REGISTERED, State.RETURNED]), not_own))
        tasks["to_verify"] = of(select(Case).where(Case.state.in_([State.REPORTED, State.VERIFYING]), not_own))
        tasks["overdue"] = of(select(Case).where(Case.overdue.is_(True), Case.state.in_(OPEN_STATES), not_own))
    if principal.role is Role.ENTERPRISE:
        tasks["evidence"] = of(select(Case).where(Case.state == State.RECTIFYING))
    return Tasks(**tasks)


def batch_cases(session: Session, principal: Principal, batch_id: int, limit: int = 1000) -> list[Case]:
    """The visible cases of a batch, in the order of their numbers."""
    stmt = scoped(select(Case).where(Case.batch_id == batch_id), principal, Case).order_by(Case.number)
    return list(session.scalars(stmt.limit(limit)))


@dataclass(frozen=True)
class UnitHandling:
    """How one lead unit handled the cases of a period (the rankings' 办理情况): the cases it leads that were
    registered in the period, how many of them were closed by their deadline, how many are marked overdue, and the
    supervision notices (督办) its cases received in the period."""

    unit_id: int
    name: str
    cases: int = 0
    closed_on_time: int = 0
    overdue: int = 0
    supervised: int = 0


def handling_by_unit(
    session: Session, principal: Principal, start: datetime, end: datetime, tz: tzinfo
) -> list[UnitHandling]:
    """Per lead unit, over the visible cases registered in [start, end) and the 督办 notices given in it: cases,
    closed on time (closed on or before the local deadline day; a case without deadline counts when closed),
    overdue (the daily escalation's mark) and supervised; by unit name. Merged cases are left out."""
    found: dict[int, dict[str, int]] = {}
    names: dict[int, str] = {}
    registered = select(CaseEvent.case_id).where(
        CaseEvent.kind == EventKind.REGISTERED, CaseEvent.at >= start, CaseEvent.at < end
    )
    rows = session.execute(
        scoped(
            select(Case.lead_unit_id, Organisation.name, Case.state, Case.deadline, Case.closed_at, Case.overdue)
            .join(Organisation, Organisation.id == Case.lead_unit_id)
            .where(Case.id.in_(registered), Case.state != State.MERGED),
            principal,
            Case,
        )
    )
    for lead, name, state, deadline, closed_at, overdue in rows:
        if lead is None:  # the join leaves none; the column is nullable
            continue
        unit_id = lead
        names[unit_id] = name
        counts = found.setdefault(unit_id, {"cases": 0, "closed_on_time": 0, "overdue": 0, "supervised": 0})
        counts["cases"] += 1
        on_time = closed_at is not None and (deadline is None or closed_at.astimezone(tz).date() <= deadline)
        if state == State.CLOSED and on_time:
            counts["closed_on_time"] += 1
        if overdue:
            counts["overdue"] += 1
    notices = session.execute(
        scoped(
            select(Case.lead_unit_id, Organisation.name, func.count(CaseEvent.id))
            .join(Case, Case.id == CaseEvent.case_id)
            .join(Organisation, Organisation.id == Case.lead_unit_id)
            .where(CaseEvent.kind == EventKind.SUPERVISED, CaseEvent.at >= start, CaseEvent.at < end)
            .group_by(Case.lead_unit_id, Organisation.name),
            principal,
            Case,
        )
    )
    for lead, name, count in notices:
        if lead is None:
            continue
        unit_id = lead
        names[unit_id] = name
        counts = found.setdefault(unit_id, {"cases": 0, "closed_on_time": 0, "overdue": 0, "supervised": 0})
        counts["supervised"] = int(count)
    return sorted(
        (UnitHandling(unit_id, names[unit_id], **counts) for unit_id, counts in found.items()),
        key=lambda u: (u.name, u.unit_id),
    )


# --- the case funnel of the overview screen (issue 16) ---------------------------------------------------------------

# How far a case in each state has come: registered (0), assigned to a unit (1, a return too: it was assigned),
# being rectified or reported as rectified (2), under verification (3), closed (4). Merged cases are duplicates.
FUNNEL_STAGE = {
    State.REGISTERED: 0,
    State.ASSIGNED: 1,
    State.RETURNED: 1,
    State.RECTIFYING: 2,
    State.REPORTED: 2,
    State.VERIFYING: 3,
    State.CLOSED: 4,
}
FUNNEL_LABELS = (
    N_("Registered"),
    N_("Assigned to a unit"),
    N_("Rectification"),
    N_("Verification"),
    N_("Closed (verified)"),
)


@dataclass(frozen=True)
class FunnelStage:
    """One stage of the funnel: its name (a message id) and how many cases reached it."""

    label: str
    count: int


@dataclass(frozen=True)
class Funnel:
    """The case funnel of an area: how many cases reached each stage (registered → assigned → rectification →
    verification → closed, `FUNNEL_LABELS`), and the lead units with open overdue cases (name, count), most
    first."""

    reached: tuple[int, ...]
    overdue_by_unit: list[tuple[str, int]]

    @property
    def stages(self) -> list[FunnelStage]:
        return [FunnelStage(label, n) for label, n in zip(FUNNEL_LABELS, self.reached, strict=True)]


def case_funnel(session: Session, principal: Principal, region: Region | None = None, units: int = 8) -> Funnel:
    """The funnel of the visible cases (in `region`'s subtree when given) and the `units` lead units with most
    open overdue cases, in two grouped queries."""
    counts = state_counts(session, principal, CaseFilter(region=region))
    reached = tuple(
        sum(count for state, count in counts.items() if FUNNEL_STAGE.get(state, -1) >= stage)
        for stage in range(len(FUNNEL_LABELS))
    )
    stmt = _matching(
        scoped(select(Organisation.name, func.count(Case.id)), principal, Case).join(
            Organisation, Organisation.id == Case.lead_unit_id
        ),
        CaseFilter(region=region, overdue=True),
    ).where(Case.state.in_(OPEN_STATES))
    stmt = stmt.group_by(Organisation.id, Organisation.name).order_by(func.count(Case.id).desc(), Organisation.name)
    overdue = [(name, int(count)) for name, count in session.execute(stmt.limit(units))]
    return Funnel(reached, overdue)


# --- the working-day calendar ---------------------------------------------------------------------------------------


def work_calendar(session: Session) -> WorkCalendar:
    """The working days: the holiday package's years with the bureau's entries over them (`cases.workdays`)."""
    return WorkCalendar({row.day: row.workday for row in session.scalars(select(CalendarDay))})


def calendar_entries(session: Session, year: int) -> list[CalendarDay]:
    """The bureau's entries of one year, in date order."""
    stmt = select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    return list(session.scalars(stmt.order_by(CalendarDay.day)))
