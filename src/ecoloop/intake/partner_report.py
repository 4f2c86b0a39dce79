"""The report per source platform (issue 18 part 6: "the push rate and outcome per source platform are reported"):
for the warnings received in a period, how many were pushed, handled and effectively handled, the overdue tasks and
the average handling time.

Definitions (docs/partners.md):
- received: the platform's warnings taken in the period (by when they were received);
- pushed: of those, the ones pushed to at least one department; push rate = pushed / received;
- handled: the pushed ones whose every task is done;
- effective: the pushed ones of which at least one department recorded that the push led to handling; effective
  push rate = effective / pushed (the "80 % effective push rate" of 智安净土);
- dismissed: the ones found not to hold at 核查 (误报);
- overdue tasks: their tasks done after the deadline, or still open after it at the report's `now`;
- average handling time: from the push to the task's handling, over the done tasks, in hours.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.alerts.enums import Review
from ecoloop.alerts.models import Alert
from ecoloop.intake.models import Partner, PartnerEvent, PushTask


@dataclass(frozen=True)
class TaskFacts:
    """What the report needs of one push task."""

    pushed_at: datetime
    deadline: datetime
    done_at: datetime | None
    effective: bool | None


@dataclass(frozen=True)
class EventFacts:
    """What the report needs of one warning: whether it was dismissed, and its push tasks."""

    dismissed: bool
    tasks: tuple[TaskFacts, ...]


@dataclass(frozen=True)
class Figures:
    """One platform's figures for a period (pure; rates in per cent to one decimal, None when undefined)."""

    received: int
    pushed: int
    handled: int
    effective: int
    dismissed: int
    tasks: int
    overdue: int
    average_hours: Decimal | None

    @property
    def push_rate(self) -> Decimal | None:
        return _percent(self.pushed, self.received)

    @property
    def effective_rate(self) -> Decimal | None:
        return _percent(self.effective, self.pushed)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def figures(events: Iterable[EventFacts], now: datetime) -> Figures:
    """The figures of a platform's warnings (see the module docstring for each definition)."""
    received = pushed = handled = effective = dismissed = tasks = overdue = 0
    hours: list[Decimal] = []
    for event in events:
        received += 1
        dismissed += event.dismissed
        if not event.tasks:
            continue
        pushed += 1
        handled += all(t.done_at is not None for t in event.tasks)
        effective += any(t.effective for t in event.tasks)
        for t in event.tasks:
            tasks += 1
            overdue += (t.done_at or now) > t.deadline
            if t.done_at is not None:
                hours.append(Decimal((t.done_at - t.pushed_at).total_seconds()) / 3600)
    average = (sum(hours, Decimal(0)) / len(hours)).quantize(Decimal("0.1"), ROUND_HALF_UP) if hours else None
    return Figures(received, pushed, handled, effective, dismissed, tasks, overdue, average)


@dataclass(frozen=True)
class PartnerFigures:
    """A platform with its figures."""

    partner: Partner
    figures: Figures


def report(
    session: Session, principal: Principal, start: datetime, end: datetime, now: datetime
) -> list[PartnerFigures]:
    """The figures of every platform the principal sees, for the warnings received in [start, end)."""
    partners = list(session.scalars(scoped(select(Partner), principal, Partner).order_by(Partner.name, Partner.id)))
    rows = session.execute(
        select(PartnerEvent.partner_id, PartnerEvent.id, Alert.review)
        .outerjoin(Alert, Alert.id == PartnerEvent.alert_id)
        .where(
            PartnerEvent.partner_id.in_([p.id for p in partners]),
            PartnerEvent.received_at >= start,
            PartnerEvent.received_at < end,
        )
    ).all()
    tasks: dict[int, list[TaskFacts]] = {}
    event_ids = [event_id for _partner, event_id, _review in rows]
    for event_id, task in session.execute(
        select(PartnerEvent.id, PushTask)
        .join(PushTask, PushTask.alert_id == PartnerEvent.alert_id)
        .where(PartnerEvent.id.in_(event_ids))
    ):
        tasks.setdefault(event_id, []).append(TaskFacts(task.created_at, task.deadline, task.done_at, task.effective))
    per_partner: dict[int, list[EventFacts]] = {}
    for partner_id, event_id, review in rows:
        facts = EventFacts(review is Review.DISMISSED, tuple(tasks.get(event_id, ())))
        per_partner.setdefault(partner_id, []).append(facts)
    return [PartnerFigures(p, figures(per_partner.get(p.id, []), now)) for p in partners]
