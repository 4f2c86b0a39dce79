"""The web shell: the FastAPI application with its middleware and error pages, before any capability's routers
(`ecoloop.app.create_app` assembles those)."""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from ecoloop.access.actions import ForbiddenError
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.i18n import DEFAULT_LOCALE, LOCALES, N_, gettext, use_locale
from ecoloop.settings import Settings
from ecoloop.web.access_log import redact_access_log
from ecoloop.web.caching import NoStoreMiddleware
from ecoloop.web.deps import CsrfError, LoginRequiredError
from ecoloop.web.errors import UnexpectedErrorMiddleware
from ecoloop.web.limits import BodyLimitMiddleware, BodyLimits
from ecoloop.web.routes import router
from ecoloop.web.security import LANG_COOKIE
from ecoloop.web.templating import make_templates, render

API_PREFIX = "/api/v1"
# No inline script or style and no plug-ins; with `static/htmx-config.js` and the `hx-disable` of the layout, the
# page's defences against markup in stored text (issue 13), behind the escaping of every value.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)

# Pages answering with an HTTP status the framework raised without a message of ours.
STATUS_MESSAGES = {
    405: N_("This page cannot be used this way."),
    413: N_("The request is too large."),
}
OTHER_STATUS = N_("This request cannot be handled.")


class LocaleMiddleware:
    """Sets the language of each request from the language cookie (the user's choice), else the default."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app = app
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        locale = self.default
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    if key == LANG_COOKIE and val in LOCALES:
                        locale = val
        with use_locale(locale):
            await self.app(scope, receive, send)


class SecurityHeadersMiddleware:
    """Adds the headers every response carries: CSP, no framing, no MIME sniffing, no referrer leaks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-frame-options", b"DENY"),
                    (b"x-content-type-options", b"nosniff"),
                ]
                if not any(name.lower() == b"referrer-policy" for name, _value in headers):
                    # A page may be stricter (the set-password page sends none: its address holds a token).
                    headers.append((b"referrer-policy", b"same-origin"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    return render(request, "web/error.html", {"status": status, "message": message}, status_code=status)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequiredError)
    async def login_required(request: Request, _exc: LoginRequiredError) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": "authentication required"}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfError)
    async def csrf_failed(request: Request, _exc: CsrfError) -> Response:
        return _error(request, 403, gettext("The form has expired or did not come from this site. Reload and retry."))

    @app.exception_handler(ForbiddenError)
    async def forbidden(request: Request, _exc: ForbiddenError) -> Response:
        return _error(request, 403, gettext("Your role may not do this."))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            return _error(request, 404, gettext("Not found."))
        if not _is_api(request) and str(exc.detail) == HTTPStatus(exc.status_code).phrase:
            # The framework's own English phrase ("Method Not Allowed"): say it in the user's language.
            return _error(request, exc.status_code, gettext(STATUS_MESSAGES.get(exc.status_code, OTHER_STATUS)))
        return _error(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.errors()}, status_code=422)
        if any(tuple(error["loc"])[:1] == ("path",) for error in exc.errors()):
            return _error(request, 404, gettext("Not found."))  # an id no row can have (issue 13)
        return _error(request, 422, gettext("Some fields are missing or invalid."))


def create_shell(settings: Settings) -> FastAPI:
    """The web shell for `settings`: database sessions, templates, middleware, error pages and static files, with
    no page of any capability; `ecoloop.app.create_app` adds the capabilities' routers (issue 14)."""
    logging.getLogger("ecoloop").setLevel(settings.log_level)
    redact_access_log()
    app = FastAPI(
        title="ecoloop",
        version="0.1.0",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    engine = make_engine(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.templates = make_templates()
    # The demo city's pages say that their data are demo data (issue 15).
    app.state.templates.env.globals["demo_data"] = settings.demo_marker.exists()
    app.add_middleware(BodyLimitMiddleware, limits=BodyLimits.from_settings(settings))
    app.add_middleware(UnexpectedErrorMiddleware)  # inside the headers and the language
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(NoStoreMiddleware)
    app.add_middleware(LocaleMiddleware, default=settings.default_locale or DEFAULT_LOCALE)
    if settings.trusted_proxy_list:  # outermost: all below see the client's address, not the proxy's (issue 13)
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    app.mount("/static", StaticFiles(packages=[("ecoloop.web", "static")]), name="static")
    app.include_router(router)
    _install_error_handlers(app)
    return app
