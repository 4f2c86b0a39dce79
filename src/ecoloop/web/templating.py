"""Jinja2 templates with the message catalog, and `render()`, which serves a page or its htmx fragment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from ecoloop.i18n import get_locale, gettext, ngettext
from ecoloop.web.deps import CurrentUser
from ecoloop.web.navigation import menu_for


def make_templates() -> Jinja2Templates:
    """The template environment: autoescaped, translated through `ecoloop.i18n`."""
    env = Environment(
        loader=PackageLoader("ecoloop.web", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_escaped_gettext, _escaped_ngettext, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    env.filters["localtime"] = _localtime
    env.filters["segment"] = _segment
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    return Jinja2Templates(env=env)


# Jinja's new-style gettext marks what the catalog returns as safe markup. Templates translate message ids only
# (tests/web/test_templating.py checks every `_()`), and the translation is escaped all the same, so that text which
# reached `_()` by mistake still shows as text (issue 13: a rule name carrying htmx attributes created a user).
def _escaped_gettext(message: str) -> Markup:
    return escape(gettext(message))


def _escaped_ngettext(singular: str, plural: str, n: int) -> Markup:
    return escape(ngettext(singular, plural, n))


def _segment(value: object) -> str:
    """`value` as one URL path segment: every reserved character (/ ? # …) percent-encoded."""
    return quote(str(value), safe="")


def _localtime(value: datetime | None, tz: Any = None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return (value.astimezone(tz) if tz else value).strftime(fmt)


def is_htmx_partial(request: Request) -> bool:
    """An htmx request that wants a fragment (not a boosted navigation, which wants the whole page)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    user: CurrentUser | None = None,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render `template` (or `fragment` for an htmx partial request) with the layout's common context."""
    templates: Jinja2Templates = request.app.state.templates
    settings = request.app.state.settings
    full = {
        "user": user,
        "menu": menu_for(user.principal) if user else [],
        "csrf_token": user.csrf if user else "",
        "locale": get_locale(),
        "tz": settings.tz,
        **(context or {}),
    }
    name = fragment if fragment and is_htmx_partial(request) else template
    return templates.TemplateResponse(request, name, full, status_code=status_code)
