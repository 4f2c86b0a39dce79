"""The live alert feed over ASGI: a user gets the events of the alerts they may see as they are written, none of
another county's, the events after `Last-Event-ID` on reconnecting, keep-alive comments while quiet; the feed ends
when the client leaves or the session is ended, and a role without alerts is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import anyio
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ecoloop.alerts.enums import AlertEventKind
from ecoloop.alerts.models import Alert, AlertEvent
from ecoloop.alerts.stream import FeedTiming
from ecoloop.app import create_app
from ecoloop.db.base import utcnow
from ecoloop.identity.models import ApiToken, User, WebSession
from ecoloop.identity.service import create_api_token, revoke_api_token, set_password, start_session
from ecoloop.settings import Settings
from ecoloop.web.security import SESSION_COOKIE
from tests.alerts.test_routes import Alerts, build_alerts
from tests.factories import World
from tests.web.helpers import open_session

FAST = FeedTiming(poll=0.02, heartbeat=0.1)
TIMEOUT = 10  # seconds for any one feed


@dataclass
class Feed:
    """What a client of the feed received, and a way to leave."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""
    ended: bool = False
    changed: anyio.Event = field(default_factory=anyio.Event)
    gone: anyio.Event = field(default_factory=anyio.Event)

    def events(self) -> list[tuple[int, dict[str, object]]]:
        """The `alert` events received: (id, data)."""
        found = []
        for block in self.text.split("\n\n"):
            lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
            if lines.get("event") == "alert":
                found.append((int(lines["id"]), json.loads(lines["data"])))
        return found

    async def wait_for(self, condition: Callable[[Feed], bool]) -> None:
        while not condition(self):
            await self.changed.wait()
            self.changed = anyio.Event()


@pytest.fixture
def alerts(app_db: Session, app_world: World) -> Alerts:
    return build_alerts(app_db, app_world)


@asynccontextmanager
async def app_with_fast_feed(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    app.state.alert_feed = FAST
    try:
        yield app
    finally:
        app.state.engine.dispose()


@asynccontextmanager
async def feed(
    app: FastAPI, cookie: str, last_event_id: str | None = None, token: str | None = None
) -> AsyncIterator[Feed]:
    """Open `/alerts/stream` as a browser would (ASGI 2.4: the app learns of the client leaving from `receive`),
    or as a machine client with an API token; leaving the block disconnects and waits for the response to end."""
    received = Feed()
    headers = [(b"host", b"testserver")]
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    else:
        headers.append((b"cookie", f"{SESSION_COOKIE}={cookie}".encode()))
    if last_event_id is not None:
        headers.append((b"last-event-id", last_event_id.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/alerts/stream",
        "raw_path": b"/alerts/stream",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("10.1.2.3", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    requested = False

    async def receive() -> dict[str, object]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        if not received.gone.is_set():
            await received.gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            received.status = int(message["status"])  # type: ignore[call-overload]
            raw = message.get("headers", [])
            received.headers = {k.decode(): v.decode() for k, v in raw}  # type: ignore[attr-defined]
        elif message["type"] == "http.response.body":
            received.text += message.get("body", b"").decode()  # type: ignore[attr-defined]
            received.ended = not message.get("more_body", False)
        received.changed.set()

    with anyio.fail_after(TIMEOUT):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(app, scope, receive, send)
            await received.wait_for(lambda f: f.status != 0)
            try:
                yield received
            finally:
                received.gone.set()


def signed_in(db: Session, username: str) -> str:
    """The cookie of a new session of `username`."""
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None
    raw = start_session(db, user, "10.1.2.3", utcnow(), timedelta(hours=12))
    db.commit()
    return raw


def add_event(db: Session, alert: Alert, kind: AlertEventKind = AlertEventKind.CLEARED) -> AlertEvent:
    event = AlertEvent(alert_id=alert.id, kind=kind, actor_label="alerts", data={})
    db.add(event)
    db.commit()
    return event


async def test_the_feed_brings_new_events_of_the_users_area_and_none_of_another(
    app_settings: Settings, app_db: Session, alerts: Alerts
) -> None:
    cookie = signed_in(app_db, "branch_a")
    async with app_with_fast_feed(app_settings) as app, feed(app, cookie) as received:
        await received.wait_for(lambda f: "connected" in f.text)
        hidden = add_event(app_db, alerts.b)
        shown = add_event(app_db, alerts.a)
        await received.wait_for(lambda f: bool(f.events()))

    assert received.status == 200
    assert received.headers["content-type"].startswith("text/event-stream")
    assert received.headers["cache-control"] == "no-store"
    assert received.text.startswith("retry: ")
    ((event_id, data),) = received.events()
    assert event_id == shown.id != hidden.id
    assert data["alert"] == alerts.a.number and data["kind"] == "cleared" and data["status"] == "open"
    assert alerts.a.number in str(data["text"]) and str(data["text"]).endswith("：已恢复")
    assert alerts.b.number not in received.text


async def test_a_reconnecting_browser_gets_the_events_after_its_last_one(
    app_settings: Settings, app_db: Session, alerts: Alerts
) -> None:
    cookie = signed_in(app_db, "analyst")
    first = add_event(app_db, alerts.a, AlertEventKind.CONFIRMED)
    second = add_event(app_db, alerts.b, AlertEventKind.DISMISSED)
    async with app_with_fast_feed(app_settings) as app, feed(app, cookie, last_event_id=str(first.id)) as received:
        await received.wait_for(lambda f: bool(f.events()))

    assert [event_id for event_id, _data in received.events()] == [second.id]


@pytest.mark.parametrize("last", ["99999999999999999999999", "²", "-5", ""])
async def test_a_last_event_id_that_is_no_id_starts_from_now(
    app_settings: Settings, app_db: Session, alerts: Alerts, last: str
) -> None:
    cookie = signed_in(app_db, "analyst")
    add_event(app_db, alerts.a)
    async with app_with_fast_feed(app_settings) as app, feed(app, cookie, last_event_id=last) as received:
        await received.wait_for(lambda f: "connected" in f.text)
        shown = add_event(app_db, alerts.a)
        await received.wait_for(lambda f: bool(f.events()))

    assert received.status == 200
    assert [event_id for event_id, _data in received.events()] == [shown.id]


async def test_a_quiet_feed_sends_keep_alive_comments(app_settings: Settings, app_db: Session, alerts: Alerts) -> None:
    cookie = signed_in(app_db, "analyst")
    async with app_with_fast_feed(app_settings) as app, feed(app, cookie) as received:
        await received.wait_for(lambda f: ": keep-alive" in f.text)

    assert received.events() == []


async def test_the_feed_ends_when_the_session_is_ended(app_settings: Settings, app_db: Session, alerts: Alerts) -> None:
    cookie = signed_in(app_db, "analyst")
    async with app_with_fast_feed(app_settings) as app, feed(app, cookie) as received:
        await received.wait_for(lambda f: "connected" in f.text)
        app_db.execute(delete(WebSession))
        app_db.commit()
        await received.wait_for(lambda f: f.ended)  # the server ended it; the client did not leave

    assert received.events() == []


def _revoke_tokens(db: Session) -> None:
    for token in db.scalars(select(ApiToken)):
        owner = db.get(User, token.user_id)
        assert owner is not None
        revoke_api_token(db, owner, token.id, utcnow())


def _change_password(db: Session) -> None:
    analyst = db.scalars(select(User).where(User.username == "analyst")).one()
    set_password(db, analyst, "Another-pass-2027", utcnow())


def _deactivate(db: Session) -> None:
    db.scalars(select(User).where(User.username == "analyst")).one().active = False


def _password_changed_elsewhere(db: Session) -> None:
    """The password's time moves on without the sessions or tokens being touched (another path that set it)."""
    analyst = db.scalars(select(User).where(User.username == "analyst")).one()
    analyst.password_changed_at = utcnow() + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("via", "end"),
    [
        ("token", _revoke_tokens),
        *((via, end) for via in ("session", "token") for end in (_change_password, _deactivate)),
        *((via, _password_changed_elsewhere) for via in ("session", "token")),
    ],
)
async def test_the_feed_ends_when_its_credential_stops_holding(
    app_settings: Settings, app_db: Session, alerts: Alerts, via: str, end: Callable[[Session], None]
) -> None:
    """Issue 13: a revoked API token kept an open feed running; the check now runs at every poll."""
    cookie = signed_in(app_db, "analyst")
    analyst = app_db.scalars(select(User).where(User.username == "analyst")).one()
    _token, raw = create_api_token(app_db, analyst, "feed", utcnow())
    app_db.commit()
    token = raw if via == "token" else None
    async with app_with_fast_feed(app_settings) as app, feed(app, cookie, token=token) as received:
        await received.wait_for(lambda f: "connected" in f.text)
        assert received.status == 200
        add_event(app_db, alerts.a)
        await received.wait_for(lambda f: len(f.events()) == 1)

        end(app_db)
        app_db.commit()
        await received.wait_for(lambda f: f.ended)  # the server ended it; the client did not leave

        add_event(app_db, alerts.a)
    assert len(received.events()) == 1


async def test_the_feed_is_refused_to_a_role_without_alerts(
    client: httpx.AsyncClient, app_db: Session, alerts: Alerts
) -> None:
    open_session(app_db, client, "hotline")

    assert (await client.get("/alerts/stream")).status_code == 403
