"""Reads of inspections for the pages, the officers' phone, the public page and other capabilities (the penalty
cases read an inspection's findings through `findings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.models import Draw, DrawAssignment
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.models import Organisation
from ecoloop.inspections.enums import Answer, Conclusion, Kind, Status
from ecoloop.inspections.models import (
    Campaign,
    CampaignTarget,
    Checklist,
    Inspection,
    InspectionOfficer,
    InspectionPhoto,
)
from ecoloop.inspections.rules import Item, items_from
from ecoloop.intake.models import Complaint
from ecoloop.regions.models import Region

MINE_DONE_LIMIT = 20  # completed inspections shown on the officer's task page


@dataclass(frozen=True)
class Filter:
    """The list's filters: status, kind, campaign, county or town, planned from/to, enterprise name or number."""

    status: Status | None = None
    kind: Kind | None = None
    campaign_id: int | None = None
    region_id: int | None = None
    start: date | None = None
    end: date | None = None
    text: str = ""


def _filtered(stmt: Select[Any], principal: Principal, f: Filter) -> Select[Any]:
    stmt = scoped(stmt.join(Enterprise, Enterprise.id == Inspection.enterprise_id), principal, Inspection)
    if f.status:
        stmt = stmt.where(Inspection.status == f.status)
    if f.kind:
        stmt = stmt.where(Inspection.kind == f.kind)
    if f.campaign_id:
        stmt = stmt.where(Inspection.campaign_id == f.campaign_id)
    if f.region_id:
        path = select(Region.path).where(Region.id == f.region_id).scalar_subquery()
        stmt = stmt.where(Inspection.region_id.in_(select(Region.id).where(Region.path.startswith(path))))
    if f.start:
        stmt = stmt.where(Inspection.planned_on >= f.start)
    if f.end:
        stmt = stmt.where(Inspection.planned_on <= f.end)
    if f.text.strip():
        like = f"%{f.text.strip()}%"
        stmt = stmt.where(or_(Enterprise.name.like(like), Inspection.number.like(like)))
    return stmt


def search(session: Session, principal: Principal, f: Filter, *, limit: int, offset: int) -> list[Inspection]:
    """The inspections the principal sees, newest plan first."""
    stmt = _filtered(select(Inspection), principal, f).order_by(Inspection.planned_on.desc(), Inspection.id.desc())
    stmt = stmt.options(selectinload(Inspection.officers))  # one query for the page's officers, not one a row
    return list(session.scalars(stmt.limit(limit).offset(offset)).unique())


def count(session: Session, principal: Principal, f: Filter) -> int:
    """How many inspections `search` finds."""
    return session.scalar(_filtered(select(func.count(Inspection.id)), principal, f)) or 0


@dataclass(frozen=True)
class Tasks:
    """An officer's task page: to do today (or overdue), upcoming, awaiting their confirmation, done lately."""

    today: list[Inspection] = field(default_factory=list)
    upcoming: list[Inspection] = field(default_factory=list)
    to_confirm: list[Inspection] = field(default_factory=list)
    done: list[Inspection] = field(default_factory=list)


def mine(session: Session, principal: Principal, today: date) -> Tasks:
    """The inspections the user is an officer of, by what they have to do."""
    mine_ids = select(InspectionOfficer.inspection_id).where(InspectionOfficer.user_id == principal.user_id)
    stmt = scoped(select(Inspection).where(Inspection.id.in_(mine_ids)), principal, Inspection)
    stmt = stmt.options(selectinload(Inspection.officers))
    open_ = list(
        session.scalars(
            stmt.where(Inspection.status != Status.COMPLETED).order_by(Inspection.planned_on, Inspection.id)
        ).unique()
    )
    done = list(
        session.scalars(
            stmt.where(Inspection.status == Status.COMPLETED)
            .order_by(Inspection.completed_at.desc())
            .limit(MINE_DONE_LIMIT)
        ).unique()
    )
    tasks = Tasks(done=done)
    for inspection in open_:
        me = next(o for o in inspection.officers if o.user_id == principal.user_id)
        if inspection.status is Status.RECORDED and me.confirmed_at is None:
            tasks.to_confirm.append(inspection)
        elif inspection.planned_on <= today or inspection.status is Status.RECORDED:
            tasks.today.append(inspection)
        else:
            tasks.upcoming.append(inspection)
    return tasks


def get(session: Session, principal: Principal, inspection_id: int) -> Inspection | None:
    """One inspection the principal sees."""
    return get_visible(session, principal, Inspection, inspection_id)


def photos_of(session: Session, inspection_id: int) -> list[InspectionPhoto]:
    """An inspection's photos, in the order taken."""
    stmt = select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection_id)
    return list(session.scalars(stmt.order_by(InspectionPhoto.taken_at, InspectionPhoto.id)))


def photo(session: Session, principal: Principal, photo_id: int) -> InspectionPhoto | None:
    """One photo of an inspection the principal sees."""
    return get_visible(session, principal, InspectionPhoto, photo_id)


@dataclass(frozen=True)
class Finding:
    """A checklist item found not compliant, with the officers' note."""

    item: Item
    note: str


@dataclass(frozen=True)
class Findings:
    """What an inspection found: the items not compliant, the findings text, the conclusion, and the case it was
    put into the closed loop as. The penalty cases start from here (a conclusion of `violation`)."""

    inspection_id: int
    number: str
    enterprise_id: int
    region_id: int
    completed_at: datetime | None
    items: list[Finding]
    text: str
    conclusion: Conclusion | None
    case_id: int | None
    planned_on: date
    officer_ids: tuple[int, ...]  # in the order named


def findings(session: Session, principal: Principal, inspection_id: int) -> Findings | None:
    """The findings of an inspection the principal sees (None when out of sight)."""
    inspection = get(session, principal, inspection_id)
    if inspection is None:
        return None
    items = {i.key: i for i in items_from(inspection.checklist_version.items)}
    found = [
        Finding(items[a.item_key], a.note)
        for a in sorted(inspection.answers, key=lambda a: int(a.item_key.lstrip("i") or 0))
        if a.answer is Answer.NONCOMPLIANT and a.item_key in items
    ]
    return Findings(
        inspection.id,
        inspection.number,
        inspection.enterprise_id,
        inspection.region_id,
        inspection.completed_at,
        found,
        inspection.findings,
        inspection.conclusion,
        inspection.case_id,
        inspection.planned_on,
        tuple(o.user_id for o in inspection.officers),
    )


# --- publication (一公开) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """An inspection's outcome as published: enterprise, credit code, region, checking unit, date, kind and
    conclusion. Nothing else: no officers, certificates, photos, answers, complainant or contact."""

    enterprise: str
    credit_code: str
    region: str
    unit: str
    day: date
    kind: Kind
    conclusion: Conclusion | None


def published_count(session: Session) -> int:
    """How many inspections are completed (and published)."""
    return session.scalar(select(func.count(Inspection.id)).where(Inspection.status == Status.COMPLETED)) or 0


def published(session: Session, *, limit: int, offset: int, tz: Any) -> list[Published]:
    """The completed inspections' outcomes, newest first (not scoped: they are public)."""
    stmt = (
        select(
            Enterprise.name, Enterprise.credit_code, Region.name, Organisation.name, Inspection.completed_at,
            Inspection.kind, Inspection.conclusion,
        )
        .join(Enterprise, Enterprise.id == Inspection.enterprise_id)
        .join(Region, Region.id == Inspection.region_id)
        .join(Organisation, Organisation.id == Inspection.organisation_id)
        .where(Inspection.status == Status.COMPLETED)
        .order_by(Inspection.completed_at.desc(), Inspection.id.desc())
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    return [
        Published(name, code, region, unit, (at or datetime.now(tz)).astimezone(tz).date(), kind, conclusion)
        for name, code, region, unit, at, kind, conclusion in session.execute(stmt)
    ]


# --- campaigns, checklists, draws ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """A campaign with its targets counted: how many inspected (completed), planned, not yet planned."""

    campaign: Campaign
    targets: int
    inspected: int
    planned: int

    @property
    def remaining(self) -> int:
        return self.targets - self.inspected


def campaigns(session: Session, principal: Principal) -> list[Progress]:
    """The campaigns the principal sees, newest first, with their progress."""
    rows = session.scalars(scoped(select(Campaign), principal, Campaign).order_by(Campaign.starts_on.desc()))
    return [progress(session, c) for c in rows.unique()]


def campaign(session: Session, principal: Principal, campaign_id: int) -> Campaign | None:
    """One campaign the principal sees."""
    return get_visible(session, principal, Campaign, campaign_id)


def progress(session: Session, campaign: Campaign) -> Progress:
    """A campaign's targets counted by where their inspection stands."""
    targets = select(CampaignTarget.enterprise_id).where(CampaignTarget.campaign_id == campaign.id)
    of_targets = select(Inspection.enterprise_id, Inspection.status).where(
        Inspection.campaign_id == campaign.id, Inspection.enterprise_id.in_(targets)
    )
    statuses: dict[int, set[Status]] = {}
    for enterprise_id, status in session.execute(of_targets):
        statuses.setdefault(enterprise_id, set()).add(status)
    total = session.scalar(select(func.count()).select_from(targets.subquery())) or 0
    inspected = sum(1 for s in statuses.values() if Status.COMPLETED in s)
    return Progress(campaign, total, inspected, len(statuses) - inspected)


@dataclass(frozen=True)
class Target:
    """A campaign's target enterprise and its inspection in the campaign (None: not planned yet)."""

    enterprise: Enterprise
    inspection: Inspection | None


def targets(session: Session, principal: Principal, campaign: Campaign) -> list[Target]:
    """A campaign's targets the principal sees (a branch: those of its county in a city campaign) by name, each
    with its latest inspection in the campaign that the principal sees."""
    stmt = (
        select(Enterprise)
        .join(CampaignTarget, CampaignTarget.enterprise_id == Enterprise.id)
        .where(CampaignTarget.campaign_id == campaign.id)
        .order_by(Enterprise.name)
    )
    enterprises = list(session.scalars(scoped(stmt, principal, Enterprise)).unique())
    inspections: dict[int, Inspection] = {}
    of_campaign = scoped(
        select(Inspection).where(Inspection.campaign_id == campaign.id).order_by(Inspection.id), principal, Inspection
    )
    for inspection in session.scalars(of_campaign).unique():
        inspections[inspection.enterprise_id] = inspection
    return [Target(e, inspections.get(e.id)) for e in enterprises]


def matching_enterprises(
    session: Session, principal: Principal, *, industry_prefix: str = "", region_id: int | None = None, limit: int
) -> list[int]:
    """The ids of the operating enterprises the principal sees whose industry code starts with `industry_prefix`
    and that lie in `region_id`'s subtree (a campaign's targets chosen by filters)."""
    stmt = scoped(select(Enterprise.id), principal, Enterprise)
    if industry_prefix:
        stmt = stmt.where(Enterprise.industry_code.startswith(industry_prefix.upper(), autoescape=True))
    if region_id:
        path = select(Region.path).where(Region.id == region_id).scalar_subquery()
        stmt = stmt.where(Enterprise.region_id.in_(select(Region.id).where(Region.path.startswith(path))))
    return list(session.scalars(stmt.order_by(Enterprise.id).limit(limit)))


def enterprise_by_code(session: Session, principal: Principal, credit_code: str) -> Enterprise | None:
    """The enterprise the principal sees with this unified social credit code."""
    stmt = select(Enterprise).where(Enterprise.credit_code == credit_code.strip().upper())
    return session.scalars(scoped(stmt, principal, Enterprise)).first()


def complaint_by_ticket(session: Session, principal: Principal, ticket: str) -> Complaint | None:
    """The complaint the principal sees with this ticket code (an inspection that checks it)."""
    stmt = select(Complaint).where(Complaint.ticket == ticket.strip().upper())
    return session.scalars(scoped(stmt, principal, Complaint)).first()


def enterprises_by_codes(session: Session, principal: Principal, credit_codes: list[str]) -> list[int]:
    """The ids of the enterprises the principal sees among these credit codes (a campaign's targets by hand)."""
    codes = {c.strip().upper() for c in credit_codes if c.strip()}
    stmt = select(Enterprise.id).where(Enterprise.credit_code.in_(codes))
    return list(session.scalars(scoped(stmt, principal, Enterprise)))


def checklists(session: Session) -> list[Checklist]:
    """Every checklist, general ones first, then by name."""
    return list(session.scalars(select(Checklist).order_by(Checklist.prefixes, Checklist.name)).unique())


def checklist(session: Session, checklist_id: int) -> Checklist | None:
    """One checklist."""
    return session.get(Checklist, checklist_id)


def draws_to_plan(session: Session, principal: Principal) -> list[Draw]:
    """The drawn draws the principal sees with assignments not planned as inspections yet."""
    planned = select(Inspection.assignment_id).where(Inspection.assignment_id.is_not(None))
    open_ = select(DrawAssignment.draw_id).where(DrawAssignment.id.not_in(planned))
    stmt = scoped(select(Draw), principal, Draw).where(Draw.status == DrawStatus.DRAWN, Draw.id.in_(open_))
    return list(session.scalars(stmt.order_by(Draw.drawn_at.desc())).unique())


# --- the inspection history of the random draws ----------------------------------------------------------------------


def history(
    session: Session, enterprise_ids: set[int] | None, before: date
) -> list[tuple[int, date, tuple[int, ...], int | None]]:
    """The completed inspections planned before `before` (unscoped: the draws' avoidance reads all of them), as
    `draws.queries.HistorySource` gives them: enterprise, day (the day it was planned for, as a draw's assignments
    are dated by the draw day), the officers in order and the checking unit. Registered by `ecoloop.tables`."""
    stmt = (
        select(Inspection)
        .where(Inspection.status == Status.COMPLETED, Inspection.planned_on < before)
        .options(selectinload(Inspection.officers))
        .order_by(Inspection.planned_on, Inspection.id)
    )
    if enterprise_ids is not None:
        stmt = stmt.where(Inspection.enterprise_id.in_(enterprise_ids))
    return [
        (i.enterprise_id, i.planned_on, tuple(o.user_id for o in i.officers), i.organisation_id)
        for i in session.scalars(stmt)
    ]
