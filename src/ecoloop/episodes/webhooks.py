"""The changes of warnings to the organisations' webhooks: the deliveries `service.push` queued are POSTed signed,
with `X-Ecoloop-Event: warning.<kind>`, retried with the alert webhooks' back-off and to public addresses only, by
the alert webhooks' own code (`alerts.webhooks.post_signed`, `next_attempt`, `Poster`). Sending happens outside
any transaction, so a slow receiver holds no lock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.alerts.enums import DeliveryStatus
from ecoloop.alerts.models import Webhook
from ecoloop.alerts.webhooks import TIMEOUT, Send, next_attempt, post_signed
from ecoloop.audit.service import Actor, set_actor
from ecoloop.episodes.models import WarningChange, WarningDelivery

EVENT_PREFIX: Final = "warning."
SENDER: Final = Actor(label="webhooks")


@dataclass(frozen=True)
class _Due:
    delivery_id: int
    url: str
    secret: str
    kind: str
    body: bytes


@dataclass(frozen=True)
class WarningRound:
    """What one round did: delivered, to be retried, given up."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0


def _due(session: Session, now: datetime, limit: int) -> list[_Due]:
    rows = session.execute(
        select(WarningDelivery.id, Webhook.url, Webhook.secret, WarningChange.kind, WarningDelivery.payload)
        .join(Webhook, Webhook.id == WarningDelivery.webhook_id)
        .join(WarningChange, WarningChange.id == WarningDelivery.change_id)
        .where(
            WarningDelivery.status == DeliveryStatus.PENDING,
            WarningDelivery.next_attempt_at <= now,
            Webhook.enabled,
        )
        .order_by(WarningDelivery.id)
        .limit(limit)
    ).all()
    return [_Due(i, url, secret, EVENT_PREFIX + kind.value, body.encode()) for i, url, secret, kind, body in rows]


def send_round(
    sessions: sessionmaker[Session], clock: Callable[[], datetime], *, send: Send, limit: int = 50
) -> WarningRound:
    """Send the due deliveries of warning changes and record the answers."""
    with sessions() as session:
        picked = _due(session, clock(), limit)
    outcomes = []
    for due in picked:
        at = clock()
        status, error = post_signed(
            send, due.url, due.secret, due.body, event=due.kind, delivery=f"w{due.delivery_id}", at=at, timeout=TIMEOUT
        )
        outcomes.append((due.delivery_id, at, status, error))
    delivered = retrying = failed = 0
    with sessions.begin() as session:
        set_actor(session, SENDER)
        for delivery_id, at, status, error in outcomes:
            row = session.get_one(WarningDelivery, delivery_id)
            row.attempts += 1
            row.last_attempt_at = at
            row.response_status = status
            row.error = error
            if not error:
                row.status, row.delivered_at, row.next_attempt_at = DeliveryStatus.DELIVERED, at, None
                delivered += 1
            elif (again := next_attempt(row.attempts, at)) is None:
                row.status, row.next_attempt_at = DeliveryStatus.FAILED, None
                failed += 1
            else:
                row.next_attempt_at = again
                retrying += 1
    return WarningRound(delivered, retrying, failed)
