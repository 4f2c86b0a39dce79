"""Unexpected errors: the user gets a page in their language (JSON for the API) with a reference, and the log gets
the same reference with the traceback; neither the exception's text nor the request's data reach the user."""

from __future__ import annotations

import logging
import secrets

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ecoloop.i18n import gettext
from ecoloop.web.access_log import redact_path
from ecoloop.web.templating import render

logger = logging.getLogger("ecoloop.web.errors")
API_PREFIX = "/api/v1"


def unexpected_error_text(reference: str) -> str:
    """What the user reads about an unexpected error with `reference`."""
    return gettext(
        "Something went wrong on our side. The error was recorded under the reference %(reference)s: "
        "give it to your administrator."
    ) % {"reference": reference}


class UnexpectedErrorMiddleware:
    """Turns an exception no handler took into a 500 page or JSON body carrying a reference that is also in the
    log line with the traceback (issue 13: the bare English "Internal Server Error" told nobody anything)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception:
            reference = secrets.token_hex(6)
            # The path only (no query string, no body): they may carry what users typed.
            path = redact_path(scope["path"])
            logger.exception("unexpected error reference=%s %s %s", reference, scope["method"], path)
            if started:
                return  # the response is under way: the client sees it cut short, the log has the reference
            await _error_response(scope, reference)(scope, receive, send)


def _error_response(scope: Scope, reference: str) -> Response:
    message = unexpected_error_text(reference)
    if scope["path"].startswith(API_PREFIX):
        return JSONResponse({"detail": message, "reference": reference}, status_code=500)
    try:
        return render(Request(scope), "web/error.html", {"status": 500, "message": message}, status_code=500)
    except Exception:
        logger.exception("the error page failed reference=%s", reference)
        return HTMLResponse(f"<!doctype html><p>{message}</p>", status_code=500)
