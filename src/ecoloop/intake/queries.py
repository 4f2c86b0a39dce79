"""The read side of complaints: the desk's list with its filters and counts, one complaint, its repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.i18n import N_
from ecoloop.intake.enums import Channel, Status, Topic
from ecoloop.intake.models import CaseLeader, Complaint, Reward
from ecoloop.regions.models import Region


@dataclass(frozen=True)
class Filter:
    """The desk's filters; `queue` picks a worklist: to accept, overdue acceptance, to answer, under review."""

    queue: str = ""
    status: Status | None = None
    topic: Topic | None = None
    channel: Channel | None = None
    region_id: int | None = None
    ticket: str = ""


QUEUES = ("to_accept", "accept_overdue", "to_answer", "review")
QUEUE_LABELS = {
    "to_accept": N_("To accept"),
    "accept_overdue": N_("Acceptance overdue"),
    "to_answer": N_("To answer"),
    "review": N_("Under review"),
}


def _conditions(f: Filter, today: date) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if f.queue == "to_accept":
        where.append(Complaint.status == Status.RECEIVED)
    elif f.queue == "accept_overdue":
        where += [Complaint.status == Status.RECEIVED, Complaint.accept_due < today]
    elif f.queue == "to_answer":
        where.append(Complaint.status == Status.ACCEPTED)
    elif f.queue == "review":
        where.append(Complaint.status == Status.REVIEW)
    if f.status is not None:
        where.append(Complaint.status == f.status)
    if f.topic is not None:
        where.append(Complaint.topic == f.topic)
    if f.channel is not None:
        where.append(Complaint.channel == f.channel)
    if f.region_id is not None:
        path = select(Region.path).where(Region.id == f.region_id).scalar_subquery()
        where.append(Complaint.region_id.in_(select(Region.id).where(Region.path.startswith(path))))
    if f.ticket.strip():
        where.append(Complaint.ticket.contains(f.ticket.strip().upper(), autoescape=True))
    return where


def count(session: Session, principal: Principal, f: Filter, today: date) -> int:
    stmt = scoped(select(func.count()).select_from(Complaint), principal, Complaint).where(*_conditions(f, today))
    return session.scalar(stmt) or 0


def search(
    session: Session, principal: Principal, f: Filter, today: date, *, limit: int, offset: int
) -> list[Complaint]:
    """The complaints the principal sees, newest first."""
    stmt = scoped(select(Complaint), principal, Complaint).where(*_conditions(f, today))
    return list(
        session.scalars(stmt.order_by(Complaint.received_at.desc(), Complaint.id.desc()).limit(limit).offset(offset))
    )


def queue_counts(session: Session, principal: Principal, today: date) -> dict[str, int]:
    """How many complaints wait in each worklist."""
    return {queue: count(session, principal, Filter(queue=queue), today) for queue in QUEUES}


def get_complaint(session: Session, principal: Principal, complaint_id: int) -> Complaint | None:
    return get_visible(session, principal, Complaint, complaint_id)


def repeats(session: Session, case_ids: list[int]) -> dict[int, int]:
    """How many complaints report each case."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Complaint.case_id, func.count()).where(Complaint.case_id.in_(case_ids)).group_by(Complaint.case_id)
    ).all()
    return {int(case_id or 0): int(n) for case_id, n in rows}


def leader_of(session: Session, case_id: int) -> CaseLeader | None:
    return session.get(CaseLeader, case_id)


def reward_of(session: Session, complaint_id: int) -> Reward | None:
    return session.scalars(select(Reward).where(Reward.complaint_id == complaint_id)).first()
