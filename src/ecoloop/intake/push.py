"""推送 → 处置 → 反馈 (issue 18 part 6): a checked alert pushed to several departments, each with its task and
deadline; each department's handling; and, once every task is done (or the warning was dismissed at 核查), what
became of a partner's warning sent back to the platform as a signed feedback, retried until delivered.

The departments offered for a push are the active departments and branches; those whose duties (`OrganisationDuty`)
include the alert's category and whose area (their own region or the regions they cover) holds the alert's region
are chosen in advance.

The feedback is POSTed as the alert webhooks are (`ecoloop.alerts.webhooks`): the same `X-Ecoloop-Signature`
(t=<unix>,v1=<HMAC-SHA256 of "<t>." + body>) keyed with the partner's `webhook_secret`, the same back-off (30 s
doubling, 8 attempts), public addresses only (or the networks of ECOLOOP_WEBHOOK_ALLOWED_NETWORKS), no redirects.
Its body carries no personal data: the texts in it are stored masked and are masked again on the way out.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.alerts.enums import AlertStatus, DeliveryStatus, Review
from ecoloop.alerts.models import Alert
from ecoloop.alerts.webhooks import TIMEOUT, Send, next_attempt, post, post_signed
from ecoloop.audit.service import Actor, set_actor
from ecoloop.identity.enums import Category, OrgKind
from ecoloop.identity.models import Organisation, OrganisationDuty, OrganisationRegion, User
from ecoloop.intake.models import Partner, PartnerEvent, PartnerFeedback, PushTask
from ecoloop.regions.models import Region
from ecoloop.standards.personal_data import mask

log = logging.getLogger(__name__)

FEEDBACK_EVENT: Final = "feedback"  # the X-Ecoloop-Event of a feedback
MAX_TASK: Final = 2000
MAX_OUTCOME: Final = 2000
SENDER: Final = Actor(label="partner-feedback")
PUSH_KINDS: Final = (OrgKind.DEPARTMENT, OrgKind.BRANCH)


class PushError(ValueError):
    """A push or a handling that cannot be done; `code` is stable (the pages say it in words)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- 推送 ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A department (or branch) an alert may be pushed to, and whether its duties and area match the alert."""

    organisation: Organisation
    matches: bool


def alert_category(alert: Alert) -> Category:
    """The category of an alert's problem: the one a partner's warning names, else other."""
    named = str(alert.detail.get("category"))
    return Category(named) if named in Category._value2member_map_ else Category.OTHER


def candidates(session: Session, alert: Alert) -> list[Candidate]:
    """The active departments and branches, those responsible for the alert's category in its region first."""
    orgs = list(
        session.scalars(
            select(Organisation)
            .where(Organisation.active.is_(True), Organisation.kind.in_(PUSH_KINDS))
            .order_by(Organisation.kind, Organisation.name, Organisation.id)
        )
    )
    category = alert_category(alert)
    dutiful = set(
        session.scalars(select(OrganisationDuty.organisation_id).where(OrganisationDuty.category == category))
    )
    path = session.scalar(select(Region.path).where(Region.id == alert.region_id)) or ""
    areas: dict[int, list[str]] = {}
    own = select(Organisation.id, Region.path).join(Region, Region.id == Organisation.region_id)
    covered = select(OrganisationRegion.organisation_id, Region.path).join(
        Region, Region.id == OrganisationRegion.region_id
    )
    for stmt in (own, covered):
        for org_id, region_path in session.execute(stmt):
            areas.setdefault(org_id, []).append(region_path)
    found = [
        Candidate(org, org.id in dutiful and any(path.startswith(p) for p in areas.get(org.id, []))) for org in orgs
    ]
    return sorted(found, key=lambda c: not c.matches)


@dataclass(frozen=True)
class Order:
    """One department's part of a push: its task and deadline."""

    organisation_id: int
    task: str
    deadline: datetime


def push(
    session: Session, alert: Alert, user: User, principal: Principal, orders: Sequence[Order], now: datetime
) -> list[PushTask]:
    """推送: give each chosen department its task with its deadline. Only a confirmed (核查属实), open alert is
    pushed; a department already given a task for the alert is not given a second."""
    if not allowed(principal, Action.REVIEW_ALERTS):
        raise PushError("not_allowed")
    if alert.review is not Review.CONFIRMED or alert.status is AlertStatus.CLOSED:
        raise PushError("not_confirmed")
    if not orders:
        raise PushError("no_departments")
    allowed_ids = {c.organisation.id for c in candidates(session, alert)}
    taken = set(session.scalars(select(PushTask.organisation_id).where(PushTask.alert_id == alert.id)))
    tasks = []
    for order in orders:
        if order.organisation_id not in allowed_ids:
            raise PushError("unknown_department")
        if order.organisation_id in taken:
            raise PushError("already_pushed")
        if not order.task.strip() or len(order.task) > MAX_TASK:
            raise PushError("task_missing")
        if order.deadline <= now:
            raise PushError("deadline_past")
        task = PushTask(
            alert_id=alert.id,
            organisation_id=order.organisation_id,
            task=mask(order.task.strip()),
            deadline=order.deadline,
            pushed_by_id=user.id,
            created_at=now,
            updated_at=now,
        )
        session.add(task)
        taken.add(order.organisation_id)
        tasks.append(task)
    session.flush()
    return tasks


def tasks_of(session: Session, principal: Principal, alert_id: int) -> list[tuple[PushTask, str]]:
    """The push tasks of an alert the principal sees, with their departments' names."""
    stmt = (
        select(PushTask, Organisation.name)
        .join(Organisation, Organisation.id == PushTask.organisation_id)
        .where(PushTask.alert_id == alert_id)
    )
    return [(t, name) for t, name in session.execute(scoped(stmt, principal, PushTask).order_by(PushTask.id))]


# --- 处置 ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """A push task as the task list shows it: the alert's number and title, the department, the platform."""

    task: PushTask
    number: str
    title: str
    department: str
    source: str


def task_list(session: Session, principal: Principal, *, done: bool | None = None, limit: int = 200) -> list[TaskRow]:
    """The push tasks the principal sees (a department: its own), open ones by deadline, then the done ones."""
    stmt = (
        select(PushTask, Alert.number, Alert.detail, Organisation.name, Partner.name)
        .join(Alert, Alert.id == PushTask.alert_id)
        .join(Organisation, Organisation.id == PushTask.organisation_id)
        .outerjoin(PartnerEvent, PartnerEvent.alert_id == Alert.id)
        .outerjoin(Partner, Partner.id == PartnerEvent.partner_id)
    )
    if done is not None:
        stmt = stmt.where(PushTask.done_at.is_not(None) if done else PushTask.done_at.is_(None))
    stmt = scoped(stmt, principal, PushTask).order_by(PushTask.done_at.is_not(None), PushTask.deadline, PushTask.id)
    return [
        TaskRow(task, number, str(detail.get("title") or ""), department, source or "")
        for task, number, detail, department, source in session.execute(stmt.limit(limit))
    ]


def get_task(session: Session, principal: Principal, task_id: int) -> PushTask | None:
    """One push task if the principal sees it."""
    return get_visible(session, principal, PushTask, task_id)


def record_outcome(
    session: Session, task: PushTask, principal: Principal, outcome: str, effective: bool, now: datetime
) -> PartnerFeedback | None:
    """处置: the department the task was pushed to records what it did and whether the push led to handling; the
    task is done. When it is the alert's last open task, the partner's feedback is queued (returned)."""
    if not allowed(principal, Action.HANDLE_PUSH_TASKS) or principal.organisation_id != task.organisation_id:
        raise PushError("not_allowed")
    if task.done_at is not None:
        raise PushError("task_done")
    if not outcome.strip() or len(outcome) > MAX_OUTCOME:
        raise PushError("outcome_missing")
    task.outcome = mask(outcome.strip())
    task.effective = effective
    task.done_at = now
    session.flush()
    return queue_feedback(session, task.alert_id, now)


# --- 反馈 ------------------------------------------------------------------------------------------------------------


def feedback_body(session: Session, event: PartnerEvent, alert: Alert) -> dict[str, Any]:
    """What the platform is told of its warning: the alert, the check's result, each department's handling. No
    personal data: the texts are kept masked and masked again here."""
    rows = session.execute(
        select(PushTask, Organisation.name)
        .join(Organisation, Organisation.id == PushTask.organisation_id)
        .where(PushTask.alert_id == alert.id)
        .order_by(PushTask.id)
    ).all()
    tasks = [
        {
            "department": name,
            "task": mask(t.task),
            "deadline": t.deadline.isoformat(),
            "done_at": t.done_at.isoformat() if t.done_at else None,
            "effective": t.effective,
            "outcome": mask(t.outcome),
        }
        for t, name in rows
    ]
    dismissed = alert.review is Review.DISMISSED
    return {
        "event": {"id": event.external_id, "received_at": event.received_at.isoformat()},
        "alert": {
            "number": alert.number,
            "status": alert.status.value,
            "review": alert.review.value,
            "raised_at": alert.raised_at.isoformat(),
        },
        "outcome": "dismissed" if dismissed else "handled",
        "effective": False if dismissed else any(t["effective"] for t in tasks),
        "note": mask(alert.feedback) if dismissed else "",
        "tasks": tasks,
    }


def queue_feedback(session: Session, alert_id: int, now: datetime) -> PartnerFeedback | None:
    """Queue the feedback of a partner's warning whose alert is pushed and every task done, or dismissed; None when
    there is nothing to send (no partner, tasks still open, queued before)."""
    event = session.scalar(select(PartnerEvent).where(PartnerEvent.alert_id == alert_id))
    if event is None or session.scalar(select(PartnerFeedback.id).where(PartnerFeedback.event_id == event.id)):
        return None
    alert = session.get_one(Alert, alert_id)
    counts = session.execute(
        select(func.count(PushTask.id), func.count(PushTask.done_at)).where(PushTask.alert_id == alert_id)
    ).one()
    finished = counts[0] > 0 and counts[0] == counts[1]
    if not finished and alert.review is not Review.DISMISSED:
        return None
    body = json.dumps(feedback_body(session, event, alert), ensure_ascii=False, sort_keys=True)
    feedback = PartnerFeedback(
        event_id=event.id, partner_id=event.partner_id, payload=body, created_at=now, next_attempt_at=now
    )
    session.add(feedback)
    session.flush()
    return feedback


def queue_due_feedback(session: Session, now: datetime) -> int:
    """Queue the feedback of every partner warning that is finished (all tasks done, or dismissed) and has none
    yet, e.g. one dismissed at 核查; how many were queued."""
    pending = (
        select(PartnerEvent.alert_id)
        .join(Alert, Alert.id == PartnerEvent.alert_id)
        .outerjoin(PartnerFeedback, PartnerFeedback.event_id == PartnerEvent.id)
        .where(PartnerFeedback.id.is_(None))
    )
    done_all = (
        select(PushTask.alert_id)
        .group_by(PushTask.alert_id)
        .having(func.count(PushTask.id) == func.count(PushTask.done_at))
    )
    alert_ids = session.scalars(pending.where((Alert.review == Review.DISMISSED) | Alert.id.in_(done_all)))
    queued = [queue_feedback(session, alert_id, now) for alert_id in list(alert_ids) if alert_id is not None]
    return sum(1 for feedback in queued if feedback is not None)


@dataclass
class FeedbackRound:
    """What one round of sending did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Due:
    feedback_id: int
    url: str
    secret: str = field(repr=False)
    body: bytes


def _due(session: Session, now: datetime, limit: int) -> list[_Due]:
    rows = session.execute(
        select(PartnerFeedback.id, Partner.webhook_url, Partner.webhook_secret, PartnerFeedback.payload)
        .join(Partner, Partner.id == PartnerFeedback.partner_id)
        .where(
            PartnerFeedback.status == DeliveryStatus.PENDING,
            PartnerFeedback.next_attempt_at <= now,
            Partner.webhook_url != "",  # waits until the platform has an address
            Partner.active.is_(True),
        )
        .order_by(PartnerFeedback.id)
        .limit(limit)
    ).all()
    return [_Due(i, url, secret, body.encode()) for i, url, secret, body in rows]


def _send(picked: Sequence[_Due], clock: Callable[[], datetime], send: Send, timeout: float) -> list[_Outcome]:
    outcomes = []
    for due in picked:
        at = clock()
        delivery = f"feedback-{due.feedback_id}"
        status, error = post_signed(
            send, due.url, due.secret, due.body, event=FEEDBACK_EVENT, delivery=delivery, at=at, timeout=timeout
        )
        outcomes.append(_Outcome(due.feedback_id, at, status, error))
    return outcomes


@dataclass(frozen=True)
class _Outcome:
    feedback_id: int
    at: datetime
    status: int | None
    error: str

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _record(session: Session, outcomes: Sequence[_Outcome]) -> FeedbackRound:
    done = FeedbackRound()
    for outcome in outcomes:
        feedback = session.get(PartnerFeedback, outcome.feedback_id)
        if feedback is None or feedback.status is not DeliveryStatus.PENDING:
            continue
        feedback.attempts += 1
        feedback.last_attempt_at = outcome.at
        feedback.response_status = outcome.status
        feedback.error = outcome.error
        if outcome.delivered:
            feedback.status = DeliveryStatus.DELIVERED
            feedback.delivered_at = outcome.at
            feedback.next_attempt_at = None
            _mark_fed_back(session, feedback, outcome.at)
            done.delivered += 1
            continue
        feedback.next_attempt_at = next_attempt(feedback.attempts, outcome.at)
        if feedback.next_attempt_at is None:
            feedback.status = DeliveryStatus.FAILED
            done.failed += 1
            log.warning(
                "partner feedback %s given up after %s attempts: %s", feedback.id, feedback.attempts, outcome.error
            )
        else:
            done.retrying += 1
    session.flush()
    return done


def _mark_fed_back(session: Session, feedback: PartnerFeedback, at: datetime) -> None:
    alert_id = session.scalar(select(PartnerEvent.alert_id).where(PartnerEvent.id == feedback.event_id))
    for task in session.scalars(select(PushTask).where(PushTask.alert_id == alert_id)):
        task.fed_back_at = at


def deliver_due(
    session: Session, now: datetime, *, send: Send = post, limit: int = 50, timeout: float = TIMEOUT
) -> FeedbackRound:
    """Send the due feedback (in this session's transaction) and record each attempt: delivered on a 2xx, else
    tried again after the webhooks' back-off or, after the last attempt, failed."""
    return _record(session, _send(_due(session, now, limit), lambda: now, send, timeout))


def send_round(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], *, send: Send = post, limit: int = 50
) -> FeedbackRound:
    """One round of the scheduler's job: queue what is finished, read what is due, send it outside any
    transaction (a slow platform holds no lock), then record the answers."""
    with sessions.begin() as session:
        set_actor(session, SENDER)
        queue_due_feedback(session, clock())
        picked = _due(session, clock(), limit)
    if not picked:
        return FeedbackRound()
    outcomes = _send(picked, clock, send, TIMEOUT)
    with sessions.begin() as session:
        set_actor(session, SENDER)
        return _record(session, outcomes)


def feedback_log(session: Session, principal: Principal, partner_id: int, limit: int = 50) -> list[PartnerFeedback]:
    """A partner's latest feedback deliveries, newest first."""
    stmt = scoped(select(PartnerFeedback), principal, PartnerFeedback).where(PartnerFeedback.partner_id == partner_id)
    return list(session.scalars(stmt.order_by(PartnerFeedback.id.desc()).limit(limit)))
