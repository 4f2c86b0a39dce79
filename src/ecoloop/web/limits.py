"""Request bodies bounded before they are read (issue 13): a size limit per kind of route, credentials checked
before an anonymous body is read or spooled, and JSON nesting bounded while it streams in.

The limits apply to the bytes as they arrive (Content-Length first, then the streamed or chunked bytes counted),
so a 200 MB body is refused after at most the route's limit has been read, and an anonymous one before any of it
is: uvicorn stops reading a connection whose body the application does not ask for.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from urllib.parse import quote

import anyio
from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecoloop.db.base import utcnow
from ecoloop.i18n import gettext
from ecoloop.settings import Settings
from ecoloop.sheets import SheetLimits
from ecoloop.web.deps import sign_in_of
from ecoloop.web.security import SESSION_COOKIE
from ecoloop.web.templating import render

API_PREFIX = "/api/v1"
MIB = 1024 * 1024
# The only bodies an anonymous visitor may send: the sign-in form, and the form of a one-time set-password link
# (issue 15; its token is the credential, checked by the route); the public channels of complaints (issue 18: the
# public form, the ticket look-up and rating, Open311, the complaints API and its look-up, whose routes apply the
# challenge and the rate limits of `intake`), each within its size limit; a partner platform's warning,
# whose key its route checks before reading the body.
ANONYMOUS_BODIES = frozenset(
    {
        "/login",
        "/public/complaints",
        "/public/lookup",
        "/open311/v2/requests.json",
        "/open311/v2/requests.xml",
        "/api/v1/complaints",
        "/api/v1/complaints/lookup",
        "/api/v1/events",
    }
)
ANONYMOUS_BODY_PREFIXES = ("/set-password/",)
ANONYMOUS_BODY_PATTERNS = (re.compile(r"/public/complaints/[A-Za-z0-9-]{1,24}/rating"),)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyKind(StrEnum):
    """The kinds of route by how large a body they take."""

    FORM = "form"
    ATTACHMENT = "attachment"
    UPLOAD = "upload"
    OBSERVATIONS = "observations"
    COMPLAINT = "complaint"
    EVENTS = "events"


_ROUTES: tuple[tuple[re.Pattern[str], BodyKind], ...] = (
    # A case's evidence, a penalty case's evidence, a photo taken on site during an inspection (issue 19), and a
    # hotspot order's reply with its photo (issue 20).
    (
        re.compile(
            r"/cases/\d+/(?:actions|attachments)|/penalties/\d+/evidence|/inspections/\d+/photos|/hotspots/\d+/reply"
        ),
        BodyKind.ATTACHMENT,
    ),
    (
        re.compile(
            r"/monitoring/upload|/enterprises/import|/cases/batches|/admin/regions/boundaries"
            r"|/reports/templates/\w+|/penalties/settings/templates/\w+|/hotspots/sources/import|/electricity/imports"
        ),
        BodyKind.UPLOAD,
    ),
    (re.compile(r"/api/v1/observations|/api/v1/electricity/readings"), BodyKind.OBSERVATIONS),
    (re.compile(r"/public/complaints"), BodyKind.COMPLAINT),
    (re.compile(r"/api/v1/events"), BodyKind.EVENTS),
)
EVENT_BODY_BYTES = 64 * 1024  # a partner's warning: a few fields of text (issue 18)


def body_kind(path: str) -> BodyKind:
    """The kind of body the route at `path` takes; forms and other JSON by default."""
    for pattern, kind in _ROUTES:
        if pattern.fullmatch(path):
            return kind
    return BodyKind.FORM


def is_anonymous_body(path: str) -> bool:
    """Whether a visitor without a session or token may send a body to `path` (read within its size limit)."""
    return (
        path in ANONYMOUS_BODIES
        or path.startswith(ANONYMOUS_BODY_PREFIXES)
        or any(pattern.fullmatch(path) for pattern in ANONYMOUS_BODY_PATTERNS)
    )


@dataclass(frozen=True)
class BodyLimits:
    """The largest body per kind of route, in bytes, and the deepest JSON nesting."""

    form: int
    attachment: int
    upload: int
    observations: int
    complaint: int
    json_depth: int
    events: int = EVENT_BODY_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        """The limits the settings give."""
        return cls(
            form=settings.request_max_mb * MIB,
            attachment=settings.request_max_attachment_mb * MIB,
            upload=settings.request_max_upload_mb * MIB,
            observations=settings.request_max_observations_mb * MIB,
            complaint=settings.request_max_complaint_mb * MIB,
            json_depth=settings.json_max_depth,
        )

    def for_kind(self, kind: BodyKind) -> int:
        """The largest body a route of `kind` takes."""
        limit: int = getattr(self, kind.value)
        return limit


def sheet_limits(settings: Settings) -> SheetLimits:
    """How much of an uploaded or imported workbook is read at most, from the settings."""
    return SheetLimits(
        columns=settings.sheet_max_columns,
        cells=settings.sheet_max_cells,
        unzipped_bytes=settings.sheet_max_unzipped_mb * MIB,
    )


class JsonDepthGauge:
    """Follows JSON text as it streams in and tells when arrays and objects nest deeper than `most` (pure).

    Deep nesting made the JSON decoder or the validation error's rendering recurse past Python's limit (a 500);
    the gauge refuses it before any of that runs. Only structure outside strings counts; bytes of multi-byte UTF-8
    characters never look like ASCII brackets or quotes.
    """

    _INTERESTING = re.compile(rb'["\\\[\]{}]')

    def __init__(self, most: int) -> None:
        self.most = most
        self.depth = 0
        self.in_string = False
        self.escape_pending = False  # the chunk ended on a backslash inside a string

    def feed(self, chunk: bytes) -> bool:
        """Take the next bytes; False once the nesting went deeper than allowed."""
        if not chunk:
            return True
        position, skip_at = 0, -1
        if self.escape_pending:
            self.escape_pending, position = False, 1
        for match in self._INTERESTING.finditer(chunk, position):
            start = match.start()
            if start == skip_at:
                continue
            char = chunk[start]
            if self.in_string:
                if char == 0x5C:  # a backslash escapes the byte after it
                    skip_at = start + 1
                    self.escape_pending = skip_at == len(chunk)
                elif char == 0x22:
                    self.in_string = False
            elif char == 0x22:
                self.in_string = True
            elif char in (0x5B, 0x7B):
                self.depth += 1
                if self.depth > self.most:
                    return False
            elif char in (0x5D, 0x7D):
                self.depth -= 1
        return True


class _Refused(Exception):
    """The body went over a limit while the application read it."""


class BodyLimitMiddleware:
    """Applies the body limits of `BodyLimits` before and while a request body is read."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        kind = body_kind(path)
        limit = self.limits.for_kind(kind)
        headers = {name: value for name, value in scope["headers"]}
        length = headers.get(b"content-length", b"").decode("latin-1")
        if length.isdigit() and int(length) > limit:
            await _too_large(scope, limit)(scope, receive, send)
            return
        anonymous = is_anonymous_body(path)
        if scope["method"] in _BODY_METHODS and not anonymous and not await _signed_in(scope, headers):
            await _login_required(scope)(scope, receive, send)
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        # Every API body is JSON to its route, whatever its Content-Type says.
        is_json = content_type.endswith(b"json") or _is_api(scope)
        gauge = JsonDepthGauge(self.limits.json_depth) if is_json else None
        refusal: Response | None = None
        started = False
        received = 0

        async def counted_receive() -> Message:
            nonlocal received, refusal
            if refusal is not None:
                raise _Refused  # however often the application asks again
            message = await receive()
            if message["type"] == "http.request":
                body: bytes = message.get("body", b"")
                received += len(body)
                if received > limit:
                    refusal = _too_large(scope, limit)
                elif gauge is not None and not gauge.feed(body):
                    refusal = _too_deep(scope, self.limits.json_depth)
                if refusal is not None:
                    raise _Refused
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refusal is not None and not started:
                return  # what the application makes of the cut-off body is replaced by the refusal
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_Refused):
            await self.app(scope, counted_receive, guarded_send)
        if refusal is not None and not started:
            await refusal(scope, receive, send)


async def _signed_in(scope: Scope, headers: dict[bytes, bytes]) -> bool:
    """Whether the request carries a valid session cookie or bearer token (looked up, nothing changed)."""
    request = Request(scope)
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not authorization.lower().startswith("bearer ") and not cookie:
        return False
    state = scope["app"].state
    settings: Settings = state.settings
    sign_in = sign_in_of(state)

    def look_up() -> bool:
        with state.sessions() as db:  # closed without commit: the sliding expiry is the route's to write
            now = utcnow()
            if authorization.lower().startswith("bearer "):
                return sign_in.by_token(db, authorization[7:].strip(), now) is not None
            lifetime = timedelta(hours=settings.session_hours)
            return cookie is not None and sign_in.by_session(db, cookie, now, lifetime) is not None

    found: bool = await anyio.to_thread.run_sync(look_up)
    return found


def _is_api(scope: Scope) -> bool:
    return str(scope["path"]).startswith(API_PREFIX)


def _login_required(scope: Scope) -> Response:
    if _is_api(scope):
        return JSONResponse(
            {"detail": "authentication required"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return RedirectResponse(
        f"/login?next={quote(str(scope['path']))}", status_code=303, headers={"Connection": "close"}
    )


def _too_large(scope: Scope, limit: int) -> Response:
    megabytes = f"{limit / MIB:g}"
    return _refusal(scope, 413, gettext("The request is larger than the %(mb)s MB allowed here.") % {"mb": megabytes})


def _too_deep(scope: Scope, depth: int) -> Response:
    message = gettext("The JSON is nested deeper than %(depth)s levels.") % {"depth": depth}
    return _refusal(scope, 400, message)


def _refusal(scope: Scope, status: int, message: str) -> Response:
    headers = {"Connection": "close"}  # the rest of the body is not read: the connection cannot be reused
    if _is_api(scope):
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    response = render(Request(scope), "web/error.html", {"status": status, "message": message}, status_code=status)
    response.headers.update(headers)
    return response
