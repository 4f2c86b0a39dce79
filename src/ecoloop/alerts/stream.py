"""The live alert feed (issue 7, push): `GET /alerts/stream` sends the signed-in user the alert events they may see
as server-sent events, as the engine process and other users write them.

The feed polls `alert_events` for ids above the last one sent (from the newest at connection, or from the
`Last-Event-ID` header of a reconnecting browser) in short sessions on a worker thread, so the event loop never
waits for the database. Comments keep proxies from closing a quiet connection; the feed ends when the client goes
away or the user's session ends (sign-out, expiry, deactivation), checked without extending the session.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, TypeVar

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.access.actions import Action
from ecoloop.access.principal import Principal
from ecoloop.alerts import queries
from ecoloop.alerts.config import shown_name
from ecoloop.alerts.queries import FeedItem
from ecoloop.db.base import parse_row_id, utcnow
from ecoloop.i18n import gettext
from ecoloop.identity.models import User
from ecoloop.identity.service import api_token_active, session_open
from ecoloop.web.deps import CurrentUser, requires
from ecoloop.web.security import SESSION_COOKIE

router = APIRouter()
T = TypeVar("T")

RETRY_MS = 3000  # how soon a browser reconnects after the feed ends


@dataclass(frozen=True)
class FeedTiming:
    """How often the feed polls (and checks its credential) and sends a keep-alive comment (seconds). An app may
    set `app.state.alert_feed` to other values (tests poll fast)."""

    poll: float = 1.0
    heartbeat: float = 15.0


@dataclass(frozen=True)
class Credential:
    """What a feed was opened with: the user, when their password was last set, and the session cookie or the API
    token (the raw values, kept in memory only)."""

    user_id: int
    password_changed_at: datetime
    cookie: str = field(default="", repr=False)
    token: str = field(default="", repr=False)

    @classmethod
    def of(cls, request: Request, user: CurrentUser) -> Credential:
        """The credential of the request `user` was authenticated by."""
        if user.via == "token":
            token = request.headers.get("authorization", "")[len("bearer ") :].strip()
            return cls(user.user.id, user.user.password_changed_at, token=token)
        return cls(user.user.id, user.user.password_changed_at, cookie=request.cookies.get(SESSION_COOKIE, ""))


@router.get("/alerts/stream", include_in_schema=False)
async def alert_stream(
    request: Request, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))]
) -> StreamingResponse:
    """The alert events the user may see, as they happen (text/event-stream)."""
    last = request.headers.get("last-event-id", "")
    timing: FeedTiming = getattr(request.app.state, "alert_feed", FeedTiming())
    credential = Credential.of(request, user)
    feed = event_feed(
        request.app.state.sessions,
        user.principal,
        parse_row_id(last),  # none, or not an id (beyond the database's integers, "²"): from now on
        timing=timing,
        disconnected=request.is_disconnected,
        signed_in=lambda session: signed_in(session, credential),
    )
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(feed, media_type="text/event-stream", headers=headers)


async def event_feed(
    sessions: sessionmaker[Session],
    principal: Principal,
    after: int | None,
    *,
    timing: FeedTiming,
    disconnected: Callable[[], Awaitable[bool]],
    signed_in: Callable[[Session], bool],
) -> AsyncIterator[str]:
    """The feed's text: a retry hint, then each visible event after `after` (None: from now on) as it appears,
    keep-alive comments while quiet; it ends when `disconnected()` says so or `signed_in` stops holding (checked
    at every poll, before reading the events)."""
    if after is None:
        after = await anyio.to_thread.run_sync(_read, sessions, queries.last_event_id)
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    quiet = 0.0
    while not await disconnected():
        polled = await anyio.to_thread.run_sync(_poll, sessions, principal, after, signed_in)
        if polled is None:
            return
        upto, items = polled
        after = max(after, upto)
        if items:
            yield "".join(format_event(item) for item in items)
            quiet = 0.0
        elif quiet >= timing.heartbeat:
            yield ": keep-alive\n\n"
            quiet = 0.0
        await anyio.sleep(timing.poll)
        quiet += timing.poll


def _read(sessions: sessionmaker[Session], query: Callable[[Session], T]) -> T:
    with sessions() as session:
        return query(session)


def _poll(
    sessions: sessionmaker[Session], principal: Principal, after: int, signed_in: Callable[[Session], bool]
) -> tuple[int, list[FeedItem]] | None:
    """The newest event id, and the visible events up to it (the feed moves past events the user may not see);
    None when the user is no longer signed in."""
    with sessions() as session:
        if not signed_in(session):
            return None
        upto = queries.last_event_id(session)
        items = queries.events_after(session, principal, after, upto) if upto > after else []
    if len(items) == queries.FEED_BATCH:  # more are waiting: continue after the last one sent
        upto = items[-1].event_id
    return upto, items


def format_event(item: FeedItem) -> str:
    """One server-sent event: `id`, `event: alert` and the JSON data (event, alert, status and a short text)."""
    text = gettext("%(number)s %(place)s %(rule)s: %(event)s") % {
        "number": item.number,
        "place": item.place,
        "rule": shown_name(item.rule_code, item.rule_name),
        "event": gettext(item.kind.label),
    }
    data = {
        "id": item.event_id,
        "kind": item.kind.value,
        "alert": item.number,
        "alert_id": item.alert_id,
        "status": item.status.value,
        "text": text,
    }
    return f"id: {item.event_id}\nevent: alert\ndata: {json.dumps(data, ensure_ascii=False, sort_keys=True)}\n\n"


def signed_in(session: Session, credential: Credential) -> bool:
    """Whether the user is still active with the same password and the feed's session still open (without
    extending it) or its API token still valid."""
    row = session.execute(
        select(User.active, User.password_changed_at).where(User.id == credential.user_id)
    ).one_or_none()
    if row is None or not row.active or row.password_changed_at != credential.password_changed_at:
        return False
    if credential.token:
        return api_token_active(session, credential.token)
    return session_open(session, credential.cookie, utcnow())
