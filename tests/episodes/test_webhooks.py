"""A warning's changes go to the organisations' webhooks signed and retried, by the alert webhooks' code."""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.alerts.enums import DeliveryStatus
from ecoloop.alerts.models import Webhook
from ecoloop.alerts.webhooks import EVENT_HEADER, SIGNATURE_HEADER, verify
from ecoloop.episodes.models import WarningDelivery
from ecoloop.episodes.webhooks import send_round
from tests.episodes.conftest import NOW, H, issued
from tests.factories import World


def test_a_change_is_posted_signed_and_a_failure_retried(db: Session, world: World) -> None:
    ok = Webhook(organisation_id=world.bureau.id, url="https://ok.example/h", secret="secret-ok")
    down = Webhook(organisation_id=world.department.id, url="https://down.example/h", secret="secret-down")
    db.add_all([ok, down])
    db.flush()
    warning = issued(db, world)
    sent: list[tuple[str, bytes, Mapping[str, str]]] = []

    def send(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, str]:
        sent.append((url, body, headers))
        return (204, "") if "ok." in url else (503, "busy")

    sessions = sessionmaker(bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False)
    done = send_round(sessions, lambda: NOW, send=send)
    assert (done.delivered, done.retrying, done.failed) == (1, 1, 0)
    _url, body, headers = next(s for s in sent if s[0] == ok.url)
    assert headers[EVENT_HEADER] == "warning.issue"
    assert verify("secret-ok", headers[SIGNATURE_HEADER], body, int(NOW.timestamp()))
    assert json.loads(body)["warning"]["number"] == warning.number
    db.expire_all()
    rows = {d.webhook_id: d for d in db.scalars(select(WarningDelivery))}
    assert rows[ok.id].status is DeliveryStatus.DELIVERED
    assert rows[down.id].status is DeliveryStatus.PENDING and rows[down.id].next_attempt_at == NOW + 30 * H / 3600
    # Nothing is due before the retry time.
    assert send_round(sessions, lambda: NOW, send=send).retrying == 0
