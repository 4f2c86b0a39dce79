"""Outbound webhooks: the signature against its documented recipe, the back-off schedule, and deliveries to a real
local HTTP server on both databases (retries, timeouts, refused connections, giving up, disabled webhooks, no
redirects, no secrets in errors), the background sender and the scoped delivery log."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.alerts import rule_service, service, webhooks
from ecoloop.alerts.enums import AlertEventKind, DeliveryStatus
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, AlertRuleVersion, Webhook, WebhookDelivery
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.identity.models import Organisation
from ecoloop.settings import Settings
from tests.factories import World

T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC)
# The receivers run on 127.0.0.1, which webhooks reach only when the operator allows it (issue 13).
LOCAL = webhooks.Poster([ip_network("127.0.0.0/8")])
SECRET = "whsec-7f3a9c1e5b"
_numbers = itertools.count(1)


def recipe(secret: str, timestamp: int | str, body: bytes) -> str:
    """The documented recipe, written out independently of the module."""
    return hmac.new(secret.encode("utf-8"), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


# --- a real receiver -------------------------------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signed: bool  # the signature checked out by the documented recipe
    timestamp: int | None


@dataclass
class Receiver:
    """A webhook receiver: checks the signature (401 when wrong), records each request and answers with the queued
    (status, text, headers), then 200. With `slow` set it holds its answer until the test ends."""

    secret: str
    url: str = ""
    answers: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    slow: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, str, dict[str, str]]:
        fields = dict(part.partition("=")[::2] for part in headers.get("x-ecoloop-signature", "").split(","))
        t, v1 = fields.get("t", ""), fields.get("v1", "")
        signed = t.isdigit() and hmac.compare_digest(recipe(self.secret, t, body), v1)
        with self.lock:
            self.requests.append(Received(headers, body, signed, int(t) if t.isdigit() else None))
            answer = self.answers.pop(0) if self.answers else (200, "ok", {})
        self.arrived.set()
        if not signed:
            return 401, "bad signature", {}
        return answer


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the handler threads
    receiver: Receiver

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (the timeout test) is expected


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        receiver = self.server.receiver
        status, text, extra = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
        if receiver.slow:
            receiver.release.wait(5)
        try:
            self.send_response(status)
            for name, value in extra.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text.encode())))
            self.end_headers()
            self.wfile.write(text.encode())
        except OSError:
            pass  # the sender stopped waiting

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(SECRET, url=f"http://127.0.0.1:{server.server_address[1]}/hooks/ecoloop")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.receiver
    finally:
        server.receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- alert events queued for webhooks --------------------------------------------------------------------------------


def hook(db: Session, organisation: Organisation, url: str, secret: str = SECRET) -> Webhook:
    webhook = Webhook(organisation_id=organisation.id, url=url, secret=secret)
    db.add(webhook)
    db.flush()
    return webhook


def push_event(db: Session, world: World, at: datetime = T0) -> list[WebhookDelivery]:
    """An alert raised in town B at `at`, its event fanned out as the service does; the deliveries queued."""
    rule_service.ensure_builtin_rules(db, at)
    rule = db.scalars(select(AlertRule).where(AlertRule.code == "air-hotspot")).one()
    version = db.scalars(select(AlertRuleVersion.id).where(AlertRuleVersion.rule_id == rule.id)).first()
    assert version is not None
    alert = Alert(
        number=f"YJ2026-{next(_numbers):06d}",
        rule_id=rule.id,
        rule_version_id=version,
        kind=RuleKind.AIR_HOTSPOT,
        region_id=world.town_b.id,
        parameter="a34004",
        severity=Severity.MEDIUM,
        first_at=at,
        last_at=at,
        observed=Decimal(210),
        reference=Decimal(55),
        raised_at=at,
    )
    db.add(alert)
    db.flush()
    event = AlertEvent(alert_id=alert.id, at=at, kind=AlertEventKind.RAISED, actor_label="alerts")
    db.add(event)
    db.flush()
    service.Fanout(db).push(alert, event)
    db.flush()
    return list(db.scalars(select(WebhookDelivery).where(WebhookDelivery.event_id == event.id)))


# --- signing ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "body", "timestamp"),
    [
        (SECRET, b'{"event":{"kind":"raised"}}', 1_795_132_800),
        ("short", b"", 0),
        ("\u5bc6\u94a5-non-ascii", '{"region":"\u67f3\u6797\u9547"}'.encode(), 1_700_000_000),
    ],
)
def test_sign_follows_the_documented_recipe(secret: str, body: bytes, timestamp: int) -> None:
    header = webhooks.sign(secret, body, timestamp)
    assert header == f"t={timestamp},v1={recipe(secret, timestamp, body)}"
    assert webhooks.verify(secret, header, body, now=timestamp)


def test_a_known_signature() -> None:
    # Worked out with `printf '1700000000.{}' | openssl dgst -sha256 -hmac secret`.
    expected = "b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
    assert webhooks.sign("secret", b"{}", 1_700_000_000) == f"t=1700000000,v1={expected}"


BODY = b'{"event":{"id":1,"kind":"raised"}}'
NOW = 1_795_132_800


@pytest.mark.parametrize(
    ("secret", "header", "body", "now"),
    [
        pytest.param(SECRET, f"t={NOW},v1={recipe(SECRET, NOW, BODY)}", BODY + b" ", NOW, id="tampered body"),
        pytest.param("other-secret", f"t={NOW},v1={recipe(SECRET, NOW, BODY)}", BODY, NOW, id="wrong secret"),
        pytest.param(SECRET, f"t={NOW},v1={recipe(SECRET, NOW, BODY)}", BODY, NOW + 301, id="stale"),
        pytest.param(SECRET, f"t={NOW},v1={recipe(SECRET, NOW, BODY)}", BODY, NOW - 301, id="from the future"),
        pytest.param(SECRET, f"t={NOW + 1},v1={recipe(SECRET, NOW, BODY)}", BODY, NOW, id="timestamp changed"),
        pytest.param(SECRET, None, BODY, NOW, id="missing"),
        pytest.param(SECRET, "", BODY, NOW, id="empty"),
        pytest.param(SECRET, "garbage", BODY, NOW, id="garbage"),
        pytest.param(SECRET, f"v1={recipe(SECRET, NOW, BODY)}", BODY, NOW, id="no timestamp"),
        pytest.param(SECRET, f"t={NOW}", BODY, NOW, id="no signature"),
        pytest.param(SECRET, f"t=-{NOW},v1={recipe(SECRET, NOW, BODY)}", BODY, NOW, id="signed timestamp"),
        pytest.param(SECRET, f"t=abc,v1={recipe(SECRET, NOW, BODY)}", BODY, NOW, id="timestamp not a number"),
        pytest.param(SECRET, f"t={NOW},t={NOW},v1={recipe(SECRET, NOW, BODY)}", BODY, NOW, id="two timestamps"),
        pytest.param(SECRET, f"t={NOW},v1=\u00e9\u00e9", BODY, NOW, id="non-ascii signature"),
        pytest.param(SECRET, f"t={NOW},v0={recipe(SECRET, NOW, BODY)}", BODY, NOW, id="unknown scheme only"),
    ],
)
def test_verify_refuses(secret: str, header: str | None, body: bytes, now: int) -> None:
    assert webhooks.verify(secret, header, body, now) is False


def test_verify_accepts_within_the_tolerance_and_any_of_several_signatures() -> None:
    good = recipe(SECRET, NOW, BODY)
    assert webhooks.verify(SECRET, f"t={NOW},v1={good}", BODY, NOW + 300)
    assert webhooks.verify(SECRET, f"t={NOW},v1={good}", BODY, NOW - 300)
    assert webhooks.verify(SECRET, f"t={NOW}, v1={'0' * 64}, v1={good}", BODY, NOW)
    assert not webhooks.verify(SECRET, f"t={NOW},v1={good}", BODY, NOW + 61, tolerance_s=60)


# --- back-off --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "wait"),
    [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 960), (7, 1920), (8, None), (9, None)],
)
def test_back_off_doubles_from_30_s_and_gives_up_after_8_attempts(attempts: int, wait: int | None) -> None:
    expected = None if wait is None else T0 + timedelta(seconds=wait)
    assert webhooks.next_attempt(attempts, T0) == expected


def test_the_schedule_spans_about_an_hour_and_is_capped() -> None:
    assert webhooks.MAX_ATTEMPTS == 8
    assert sum(webhooks.RETRY_DELAYS, timedelta()) == timedelta(minutes=63, seconds=30)
    assert all(delay <= timedelta(hours=1) for delay in webhooks.RETRY_DELAYS)
    with pytest.raises(ValueError):
        webhooks.next_attempt(0, T0)


# --- delivering ------------------------------------------------------------------------------------------------------


def test_a_500_is_retried_at_the_back_off_time_then_delivered_signed(
    db: Session, world: World, receiver: Receiver
) -> None:
    hook(db, world.bureau, receiver.url)
    (delivery,) = push_event(db, world)
    receiver.answers.append((500, "database\n  down", {}))

    assert webhooks.deliver_due(db, T0, send=LOCAL) == webhooks.DeliveryRound(retrying=1)
    assert delivery.status is DeliveryStatus.PENDING
    assert (delivery.attempts, delivery.response_status, delivery.error) == (1, 500, "HTTP 500: database down")
    assert delivery.last_attempt_at == T0 and delivery.next_attempt_at == T0 + timedelta(seconds=30)

    assert webhooks.deliver_due(db, T0 + timedelta(seconds=29), send=LOCAL).attempted == 0  # not yet due
    assert len(receiver.requests) == 1

    later = T0 + timedelta(seconds=31)
    assert webhooks.deliver_due(db, later, send=LOCAL) == webhooks.DeliveryRound(delivered=1)
    assert delivery.status is DeliveryStatus.DELIVERED
    assert (delivery.attempts, delivery.response_status, delivery.error) == (2, 200, "")
    assert delivery.delivered_at == later and delivery.next_attempt_at is None
    assert webhooks.deliver_due(db, later + timedelta(hours=2), send=LOCAL).attempted == 0

    first, second = receiver.requests
    assert first.signed and second.signed
    assert (first.timestamp, second.timestamp) == (int(T0.timestamp()), int(later.timestamp()))
    assert second.body == delivery.payload.encode()
    assert json.loads(second.body)["event"]["kind"] == "raised"
    assert second.headers["content-type"] == "application/json; charset=utf-8"
    assert second.headers["x-ecoloop-event"] == "raised"
    assert second.headers["x-ecoloop-delivery"] == str(delivery.id)
    assert webhooks.verify(SECRET, second.headers["x-ecoloop-signature"], second.body, int(later.timestamp()))


def test_a_refused_connection_is_recorded_and_retried(db: Session, world: World, closed_port: int) -> None:
    hook(db, world.bureau, f"http://127.0.0.1:{closed_port}/hook")
    (delivery,) = push_event(db, world)
    assert webhooks.deliver_due(db, T0, send=LOCAL) == webhooks.DeliveryRound(retrying=1)
    assert delivery.error == "connection refused" and delivery.response_status is None
    assert delivery.attempts == 1 and delivery.next_attempt_at == T0 + timedelta(seconds=30)


def test_a_timeout_is_recorded_and_retried(db: Session, world: World, receiver: Receiver) -> None:
    hook(db, world.bureau, receiver.url)
    (delivery,) = push_event(db, world)
    receiver.slow = True
    assert webhooks.deliver_due(db, T0, timeout=0.2, send=LOCAL) == webhooks.DeliveryRound(retrying=1)
    assert delivery.error == "timeout: no answer within 0.2 s" and delivery.response_status is None
    assert delivery.status is DeliveryStatus.PENDING and delivery.next_attempt_at == T0 + timedelta(seconds=30)


def test_after_the_last_attempt_the_delivery_fails(db: Session, world: World, receiver: Receiver) -> None:
    hook(db, world.bureau, receiver.url)
    (delivery,) = push_event(db, world)
    receiver.answers.extend([(503, "busy", {})] * 8)
    at = T0
    for attempt in range(1, 8):
        assert webhooks.deliver_due(db, at, send=LOCAL) == webhooks.DeliveryRound(retrying=1)
        assert delivery.attempts == attempt and delivery.next_attempt_at is not None
        at = delivery.next_attempt_at
    assert at == T0 + timedelta(minutes=63, seconds=30)
    assert webhooks.deliver_due(db, at, send=LOCAL) == webhooks.DeliveryRound(failed=1)
    assert delivery.status is DeliveryStatus.FAILED and delivery.attempts == 8
    assert delivery.next_attempt_at is None and delivery.error == "HTTP 503: busy"
    assert webhooks.deliver_due(db, at + timedelta(days=1), send=LOCAL).attempted == 0
    assert len(receiver.requests) == 8


def test_a_redirect_is_not_followed(db: Session, world: World, receiver: Receiver) -> None:
    hook(db, world.bureau, receiver.url)
    (delivery,) = push_event(db, world)
    receiver.answers.append((302, "moved", {"Location": receiver.url + "/elsewhere"}))
    assert webhooks.deliver_due(db, T0, send=LOCAL) == webhooks.DeliveryRound(retrying=1)
    assert delivery.response_status == 302 and delivery.error == "HTTP 302: moved"
    assert len(receiver.requests) == 1


def test_a_disabled_webhook_s_deliveries_wait(db: Session, world: World, receiver: Receiver) -> None:
    on = hook(db, world.bureau, receiver.url)
    off = hook(db, world.branch_b, receiver.url)
    deliveries = {d.webhook_id: d for d in push_event(db, world)}
    off.enabled = False
    db.flush()
    assert webhooks.deliver_due(db, T0, send=LOCAL) == webhooks.DeliveryRound(delivered=1)
    assert deliveries[on.id].status is DeliveryStatus.DELIVERED
    assert deliveries[off.id].status is DeliveryStatus.PENDING and deliveries[off.id].attempts == 0
    assert len(receiver.requests) == 1
    off.enabled = True
    db.flush()
    assert webhooks.deliver_due(db, T0 + timedelta(minutes=1), send=LOCAL) == webhooks.DeliveryRound(delivered=1)


def test_an_unreachable_receiver_costs_one_attempt_per_round(
    db: Session, world: World, receiver: Receiver, closed_port: int
) -> None:
    hook(db, world.bureau, f"http://127.0.0.1:{closed_port}/hook")
    hook(db, world.branch_b, receiver.url)
    push_event(db, world)
    push_event(db, world)
    assert webhooks.deliver_due(db, T0, send=LOCAL) == webhooks.DeliveryRound(delivered=2, retrying=1, deferred=1)
    assert len(receiver.requests) == 2


def test_the_secret_never_appears_in_the_error(db: Session, world: World, receiver: Receiver) -> None:
    hook(db, world.bureau, receiver.url)
    (delivery,) = push_event(db, world)
    receiver.answers.append((400, f"expected secret {SECRET}!", {}))
    webhooks.deliver_due(db, T0, send=LOCAL)
    assert delivery.error == "HTTP 400: expected secret ***!"

    def broken(url: str, body: bytes, headers: object, timeout: float) -> tuple[int, str]:
        raise OSError(f"cannot use key {SECRET}")

    webhooks.deliver_due(db, T0 + timedelta(minutes=1), send=broken)
    assert delivery.attempts == 2 and delivery.error == "OSError: cannot use key ***"


def test_only_http_urls_are_posted_to(db: Session, world: World) -> None:
    hook(db, world.bureau, "file:///etc/passwd")
    (delivery,) = push_event(db, world)
    assert webhooks.deliver_due(db, T0, send=LOCAL) == webhooks.DeliveryRound(retrying=1)
    assert delivery.error == "ValueError: only http and https URLs are allowed"


# --- the background sender -------------------------------------------------------------------------------------------


def test_the_sender_delivers_in_the_background_and_survives_errors(
    app_settings: Settings,
    app_db: Session,
    app_world: World,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hook(app_db, app_world.bureau, receiver.url)
    (delivery,) = push_event(app_db, app_world)
    app_db.commit()
    calls = itertools.count()

    def clock() -> datetime:
        if next(calls) == 0:
            raise RuntimeError("clock broken once")
        return T0

    engine = make_engine(app_settings.database_url)
    stop = threading.Event()
    sender = webhooks.Sender(LOCAL, limit=10, timeout=2)
    thread = threading.Thread(
        target=sender.run, args=(stop, make_session_factory(engine), clock), kwargs={"every": 0.02}
    )
    with caplog.at_level(logging.ERROR, logger="ecoloop.alerts.webhooks"):
        thread.start()
        try:
            assert receiver.arrived.wait(5)
        finally:
            stop.set()
            thread.join(5)
    engine.dispose()
    assert not thread.is_alive()
    assert "webhook round failed" in caplog.text
    app_db.expire_all()
    app_db.refresh(delivery)
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.delivered_at == T0
    assert receiver.requests[0].signed


# --- the delivery log ------------------------------------------------------------------------------------------------


def test_the_delivery_log_is_scoped_and_newest_first(db: Session, world: World) -> None:
    bureau_hook = hook(db, world.bureau, "http://127.0.0.1:9/a")
    branch_hook = hook(db, world.branch_b, "http://127.0.0.1:9/b")
    older = push_event(db, world, T0)
    newer = push_event(db, world, T0 + timedelta(hours=1))

    def log(user: str, webhook_id: int | None = None) -> list[int]:
        return [d.id for d in webhooks.delivery_log(db, world.principal(db, user), webhook_id)]

    assert log("admin") == sorted((d.id for d in newer), reverse=True) + sorted((d.id for d in older), reverse=True)
    assert log("admin", branch_hook.id) == [d.id for d in newer + older if d.webhook_id == branch_hook.id]
    assert log("branch_b") == log("admin", branch_hook.id)
    assert log("branch_b", bureau_hook.id) == []
    assert log("branch_a") == []
    assert log("enterprise_a") == []
    assert len(webhooks.delivery_log(db, world.principal(db, "admin"), limit=1)) == 1


# --- target addresses (issue 13: webhooks could reach loopback and private addresses) ------------------------------


def _resolver(*rounds: tuple[str, ...]) -> Any:
    """A DNS stand-in (an outside service) whose answers change from one lookup to the next (DNS rebinding)."""
    answers = iter(rounds)

    def resolve(host: str, port: int, *_args: object) -> list[tuple[Any, Any, Any, Any, Any]]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    return resolve


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::ffff:127.0.0.1]"])
def test_a_delivery_to_a_loopback_address_is_refused_without_a_request(
    db: Session, world: World, receiver: Receiver, host: str
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    hook(db, world.bureau, f"http://{host}:{port}/hook")
    (delivery,) = push_event(db, world)

    assert webhooks.deliver_due(db, T0) == webhooks.DeliveryRound(retrying=1)

    assert receiver.requests == []
    assert delivery.response_status is None and "not public" in delivery.error


def test_a_host_that_turns_private_after_the_check_gets_no_request(
    db: Session, world: World, receiver: Receiver
) -> None:
    """DNS rebinding: the check sees a public address, the connection would get loopback; it checks again."""
    port = int(receiver.url.split(":")[2].split("/")[0])
    hook(db, world.bureau, f"http://hooks.example.org:{port}/hook")
    (delivery,) = push_event(db, world)
    rebinding = webhooks.Poster(resolve=_resolver(("8.8.8.8",), ("127.0.0.1",)))

    assert webhooks.deliver_due(db, T0, send=rebinding) == webhooks.DeliveryRound(retrying=1)

    assert receiver.requests == []
    assert "not public" in delivery.error


def test_a_redirect_to_a_private_address_is_not_followed(db: Session, world: World, receiver: Receiver) -> None:
    hook(db, world.bureau, receiver.url)
    (delivery,) = push_event(db, world)
    receiver.answers.append((307, "moved", {"Location": "http://169.254.169.254/latest/meta-data/"}))

    assert webhooks.deliver_due(db, T0, send=LOCAL) == webhooks.DeliveryRound(retrying=1)

    assert delivery.response_status == 307 and len(receiver.requests) == 1
