"""Outbound webhooks: the queued deliveries (`WebhookDelivery`, queued by `service.Fanout`) POSTed to the
organisations' URLs, signed, and retried with back-off until delivered or given up.

What a receiving platform gets, per alert event: an HTTP POST of the event's JSON (`service.payload`) to the
webhook's URL, with these headers:

- `Content-Type: application/json; charset=utf-8`
- `X-Ecoloop-Event`: the event kind (`raised`, `cleared`, `reopened`, `confirmed`, `dismissed`, `escalated`,
  `case_closed`), or for a case event (`case_webhooks`, to webhooks that take them) `case.` and the case event's
  kind (`case.registered`, `case.assigned`, `case.reported`, `case.passed`, `case.failed`, `case.supervised`,
  `case.overdue`, …).
- `X-Ecoloop-Delivery`: the delivery id. A delivery can arrive more than once (an answer lost on the way is sent
  again), so the receiver treats a delivery id it has already handled as done.
- `X-Ecoloop-Signature: t=<timestamp>,v1=<signature>`, where `timestamp` is the sending time in Unix seconds and
  `signature` is the lowercase hex HMAC-SHA256, keyed with the webhook's secret (UTF-8), of the bytes
  `<timestamp>` + `.` + the raw request body. The timestamp is signed so that a replayed request can be refused.

To check a request, the receiver takes `t` and `v1` from the header, computes the HMAC of `f"{t}.".encode() + body`
with its copy of the secret, compares it with `v1` in constant time, and refuses the request unless they are equal
and `t` is within a few minutes (here 300 s) of its own clock. In Python::

    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(expected, v1) and abs(time.time() - int(t)) <= 300

`verify()` is that check. The receiver answers any 2xx when it has the event. Any other answer (3xx too: redirects
are not followed), a timeout (`TIMEOUT`) or a connection error counts as failed, and the delivery is tried again
after `RETRY_DELAYS[attempts - 1]`: 30 s, doubling each time (capped at an hour), for at most `MAX_ATTEMPTS` = 8
attempts, the last one about 64 minutes after the first (30 s + 1 + 2 + 4 + 8 + 16 + 32 min). After that the
delivery is given up (failed). A disabled webhook's deliveries wait, untried, until it is enabled again.

Deliveries reach public addresses only, and the networks of `ECOLOOP_WEBHOOK_ALLOWED_NETWORKS` (`Poster`, with the
rule in `ecoloop.alerts.targets`).

One `Sender` runs in the alert engine's process (one engine per data directory), so a delivery is sent by one
sender only.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import logging
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.alerts.case_webhooks import EVENT_PREFIX, queue_case_events
from ecoloop.alerts.enums import AlertEventKind, DeliveryStatus
from ecoloop.alerts.models import AlertEvent, Webhook, WebhookDelivery
from ecoloop.alerts.targets import Networks, RefusedAddressError, Resolve, guarded_connection, target_problem
from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.enums import EventKind
from ecoloop.cases.models import CaseEvent

log = logging.getLogger(__name__)

SIGNATURE_HEADER: Final = "X-Ecoloop-Signature"
EVENT_HEADER: Final = "X-Ecoloop-Event"
DELIVERY_HEADER: Final = "X-Ecoloop-Delivery"
CONTENT_TYPE: Final = "application/json; charset=utf-8"
USER_AGENT: Final = "ecoloop-webhooks/1"
TOLERANCE_S: Final = 300
TIMEOUT: Final = 5.0  # seconds for connecting and for each read: one slow receiver must not hold up the others
MAX_ATTEMPTS: Final = 8
BASE_DELAY: Final = timedelta(seconds=30)
MAX_DELAY: Final = timedelta(hours=1)
# The wait after attempt n (n = 1 … MAX_ATTEMPTS - 1): 30 s * 2^(n-1), at most an hour.
RETRY_DELAYS: Final[tuple[timedelta, ...]] = tuple(min(BASE_DELAY * 2**n, MAX_DELAY) for n in range(MAX_ATTEMPTS - 1))
RESPONSE_BYTES: Final = 512  # of a receiver's answer kept for the delivery log
ERROR_CHARS: Final = 300
REDACTED: Final = "***"
SENDER: Final = Actor(label="webhooks")

# The HTTP call: (url, body, headers, timeout in seconds) → (status, the start of the answer's text).
Send = Callable[[str, bytes, Mapping[str, str], float], tuple[int, str]]


# --- signing ---------------------------------------------------------------------------------------------------------


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The `X-Ecoloop-Signature` value of `body` sent at `timestamp` (Unix seconds); see the module docstring."""
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def verify(secret: str, header: str | None, body: bytes, now: int, tolerance_s: int = TOLERANCE_S) -> bool:
    """Whether `header` is a valid signature of `body` with `secret`, made within `tolerance_s` of `now`
    (Unix seconds). Any `v1` may match (a sender may sign with an old and a new secret while rotating)."""
    if not header:
        return False
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit():
                return False
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    if timestamp is None or not signatures or abs(now - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, body, timestamp).encode()
    # compare_digest on bytes: a str argument with non-ASCII characters would raise instead of refusing
    return any(hmac.compare_digest(expected, candidate.encode()) for candidate in signatures)


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


# --- back-off --------------------------------------------------------------------------------------------------------


def next_attempt(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, the last one at `now` (`RETRY_DELAYS`); None: give up."""
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    if attempts >= MAX_ATTEMPTS:
        return None
    return now + RETRY_DELAYS[attempts - 1]


# --- HTTP ------------------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other non-2xx: the receiver's URL is what the organisation configured."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    """Plain HTTP connections that reach only the addresses `targets` allows."""

    def __init__(self, allowed: Networks, resolve: Resolve) -> None:
        super().__init__()
        self.allowed = allowed
        self.resolve = resolve

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req)

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection(host, **kwargs)
        connection._create_connection = guarded_connection(self.allowed, self.resolve)  # type: ignore[attr-defined]  # http.client's own seam for connecting
        return connection


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    """TLS connections (certificate checked against the host name) that reach only the addresses allowed."""

    def __init__(self, allowed: Networks, resolve: Resolve) -> None:
        super().__init__()
        self.allowed = allowed
        self.resolve = resolve

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(self._connection, req)

    def _connection(self, host: str, **kwargs: Any) -> http.client.HTTPSConnection:
        connection = http.client.HTTPSConnection(host, **kwargs)
        connection._create_connection = guarded_connection(self.allowed, self.resolve)  # type: ignore[attr-defined]  # as above
        return connection


class Poster:
    """The HTTP call of a delivery (a `Send`): POSTs to public addresses, and to the `allowed` networks
    (`ECOLOOP_WEBHOOK_ALLOWED_NETWORKS`), only; never follows a redirect."""

    def __init__(self, allowed: Networks = (), resolve: Resolve = socket.getaddrinfo) -> None:
        self.allowed = tuple(allowed)
        self.resolve = resolve
        self._opener = urllib.request.build_opener(
            _NoRedirect, _GuardedHTTPHandler(self.allowed, resolve), _GuardedHTTPSHandler(self.allowed, resolve)
        )

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> tuple[int, str]:
        """POST `body` to `url` (http or https only); the answer's status and the start of its text, whatever the
        status. Raises `OSError` (connection refused, timeout, a refused address …) when there is no answer."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError("only http and https URLs are allowed")
        if problem := target_problem(url, self.allowed, self.resolve):  # before any proxy: the receiver's own address
            raise RefusedAddressError(parts.hostname or "", problem)
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return int(response.status), _text(response.read(RESPONSE_BYTES))
        except urllib.error.HTTPError as error:
            try:
                text = _text(error.read(RESPONSE_BYTES))
            except OSError:
                text = ""
            finally:
                error.close()
            return error.code, text


post: Final = Poster()
"""Deliveries to public addresses only; `Poster(allowed)` adds the operator's networks."""


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


# --- delivering ------------------------------------------------------------------------------------------------------


@dataclass
class DeliveryRound:
    """What one round did: deliveries delivered, failed and to be retried, and deferred (not tried this round
    because their webhook's receiver could not be reached a moment before)."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0

    @property
    def attempted(self) -> int:
        return self.delivered + self.retrying + self.failed


@dataclass(frozen=True)
class _Due:
    delivery_id: int
    webhook_id: int
    url: str
    secret: str = field(repr=False)
    kind: str
    body: bytes


@dataclass(frozen=True)
class _Outcome:
    delivery_id: int
    webhook_id: int
    at: datetime
    status: int | None
    error: str  # empty when delivered

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def deliver_due(
    session: Session, now: datetime, *, send: Send = post, limit: int = 50, timeout: float = TIMEOUT
) -> DeliveryRound:
    """Queue the new case events (`case_webhooks`), then send the pending deliveries of enabled webhooks that are
    due at `now` (oldest first, at most `limit`) and record each attempt: delivered on a 2xx, else retried after the
    back-off or, after the last attempt, failed."""
    queue_case_events(session, now)
    picked = _due(session, now, limit)
    outcomes = _send(picked, lambda: now, send, timeout)
    return _record(session, outcomes, deferred=len(picked) - len(outcomes))


def _due(session: Session, now: datetime, limit: int) -> list[_Due]:
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.webhook_id,
            Webhook.url,
            Webhook.secret,
            AlertEvent.kind,
            CaseEvent.kind,
            WebhookDelivery.payload,
        )
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .outerjoin(AlertEvent, AlertEvent.id == WebhookDelivery.event_id)
        .outerjoin(CaseEvent, CaseEvent.id == WebhookDelivery.case_event_id)
        .where(
            WebhookDelivery.status == DeliveryStatus.PENDING,
            WebhookDelivery.next_attempt_at <= now,
            Webhook.enabled,
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    ).all()
    return [
        _Due(i, hook, url, secret, _kind(alert_kind, case_kind), body.encode())
        for i, hook, url, secret, alert_kind, case_kind, body in rows
    ]


def _kind(alert_kind: AlertEventKind | None, case_kind: EventKind | None) -> str:
    """The `X-Ecoloop-Event` of a delivery: its alert event's kind, or `case.` and its case event's kind."""
    if alert_kind is not None:
        return alert_kind.value
    return EVENT_PREFIX + (case_kind.value if case_kind is not None else "")


def _send(picked: Sequence[_Due], clock: Callable[[], datetime], send: Send, timeout: float) -> list[_Outcome]:
    """POST each delivery; after a webhook's receiver did not answer at all, its other deliveries wait for the next
    round, so that one unreachable receiver costs one timeout per round, not one per delivery."""
    outcomes = []
    unreachable: set[int] = set()
    for due in picked:
        if due.webhook_id in unreachable:
            continue
        at = clock()
        status, error = post_signed(
            send, due.url, due.secret, due.body, event=due.kind, delivery=str(due.delivery_id), at=at, timeout=timeout
        )
        if status is None:
            unreachable.add(due.webhook_id)
        outcomes.append(_Outcome(due.delivery_id, due.webhook_id, at, status, error))
    return outcomes


def post_signed(
    send: Send, url: str, secret: str, body: bytes, *, event: str, delivery: str, at: datetime, timeout: float
) -> tuple[int | None, str]:
    """POST one signed body (the headers of the module docstring): the answer's HTTP status (None: no answer) and
    the error to record ("" when delivered), with the secret redacted even if a receiver echoes it back, bounded."""
    headers = {
        "Content-Type": CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery,
        SIGNATURE_HEADER: sign(secret, body, int(at.timestamp())),
    }
    status: int | None = None
    try:
        status, text = send(url, body, headers, timeout)
        error = "" if 200 <= status < 300 else f"HTTP {status}: {' '.join(text.split())}"
    except Exception as exc:  # any failure to get an answer is this delivery's error, not the round's
        error = _describe(exc, timeout)
    # Secrets never reach the log or the page.
    error = error.replace(secret, REDACTED) if secret else error
    return status, error[:ERROR_CHARS]


def _describe(exc: Exception, timeout: float) -> str:
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"timeout: no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, BaseException):
        return f"{type(reason).__name__}: {reason}"
    return f"{type(exc).__name__}: {reason}"


def _record(session: Session, outcomes: Sequence[_Outcome], deferred: int = 0) -> DeliveryRound:
    done = DeliveryRound(deferred=deferred)
    if not outcomes:
        return done
    ids = [o.delivery_id for o in outcomes]
    rows = {d.id: d for d in session.scalars(select(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))}
    for outcome in outcomes:
        delivery = rows.get(outcome.delivery_id)
        if delivery is None or delivery.status is not DeliveryStatus.PENDING:
            continue  # its webhook was deleted meanwhile
        delivery.attempts += 1
        delivery.last_attempt_at = outcome.at
        delivery.response_status = outcome.status
        delivery.error = outcome.error
        if outcome.delivered:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = outcome.at
            delivery.next_attempt_at = None
            done.delivered += 1
            continue
        delivery.next_attempt_at = next_attempt(delivery.attempts, outcome.at)
        if delivery.next_attempt_at is None:
            delivery.status = DeliveryStatus.FAILED
            done.failed += 1
            log.warning(
                "webhook %s: delivery %s given up after %s attempts: %s",
                outcome.webhook_id,
                delivery.id,
                delivery.attempts,
                outcome.error,
            )
        else:
            done.retrying += 1
            log.info(
                "webhook %s: delivery %s attempt %s failed, next at %s: %s",
                outcome.webhook_id,
                delivery.id,
                delivery.attempts,
                delivery.next_attempt_at.isoformat(),
                outcome.error,
            )
    session.flush()
    return done


class Sender:
    """Sends the due webhook deliveries round after round; the alert engine's process runs it in a thread."""

    def __init__(self, send: Send = post, *, limit: int = 50, timeout: float = TIMEOUT) -> None:
        self.send = send
        self.limit = limit
        self.timeout = timeout

    def round(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> DeliveryRound:
        """One round: read what is due, send it outside any transaction, then record the answers in a short
        transaction. (Holding a transaction over slow receivers would, on SQLite, lose the round to any write
        made meanwhile and send it all again.)"""
        with sessions.begin() as session:
            set_actor(session, SENDER)
            queue_case_events(session, clock())
        with sessions() as session:
            picked = _due(session, clock(), self.limit)
        if not picked:
            return DeliveryRound()
        outcomes = _send(picked, clock, self.send, self.timeout)
        with sessions.begin() as session:
            set_actor(session, SENDER)
            return _record(session, outcomes, deferred=len(picked) - len(outcomes))

    def run(
        self,
        stop: threading.Event,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime],
        every: float = 1.0,
    ) -> None:
        """Send rounds until `stop` is set: at once again after a full round, else every `every` seconds."""
        while not stop.is_set():
            try:
                done = self.round(sessions, clock)
            except Exception:  # keep sending: the deliveries stay pending and are picked up next round
                log.exception("webhook round failed")
                done = DeliveryRound()
            if done.attempted + done.deferred < self.limit:
                stop.wait(every)


# --- the delivery log ------------------------------------------------------------------------------------------------


def delivery_log(
    session: Session, principal: Principal, webhook_id: int | None = None, limit: int = 100
) -> list[WebhookDelivery]:
    """The latest deliveries the principal may see (of one webhook, or of all), newest first."""
    stmt = select(WebhookDelivery)
    if webhook_id is not None:
        stmt = stmt.where(WebhookDelivery.webhook_id == webhook_id)
    stmt = scoped(stmt, principal, WebhookDelivery)
    return list(
        session.scalars(stmt.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc()).limit(limit))
    )
