"""HTTP test helpers: a small HTML tree (stdlib HTMLParser), signing in through the login form, extra clients."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.app import create_app
from ecoloop.db.base import utcnow
from ecoloop.identity.models import User
from ecoloop.identity.service import start_session
from ecoloop.settings import Settings
from ecoloop.web.security import SESSION_COOKIE
from tests.factories import PASSWORD

# The cookie jar's name for the host "testserver" (http.cookiejar adds ".local" to host names without a dot).
COOKIE_DOMAIN = "testserver.local"
VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)


@dataclass
class Element:
    """One HTML element with its attributes and its children (elements and text, in order)."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All text inside the element, whitespace collapsed."""
        return " ".join("".join(self._texts()).split())

    def _texts(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()

    def iter(self) -> Iterator[Element]:
        """This element and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, class_: str | None = None, **attrs: str) -> list[Element]:
        """Descendants (and self) with `tag`, the CSS class `class_` and the given attribute values."""
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (class_ is None or class_ in e.attrs.get("class", "").split())
            and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, *, class_: str | None = None, **attrs: str) -> Element | None:
        """The first match of `find_all`, or None."""
        found = self.find_all(tag, class_=class_, **attrs)
        return found[0] if found else None

    def fields(self) -> dict[str, str]:
        """The values a browser would submit for this form (named inputs, selects, textareas)."""
        values: dict[str, str] = {}
        for e in self.iter():
            name = e.attrs.get("name")
            if not name:
                continue
            if e.tag == "input" and e.attrs.get("type") not in ("checkbox", "radio", "submit"):
                values[name] = e.attrs.get("value", "")
            elif e.tag == "input" and "checked" in e.attrs:
                values[name] = e.attrs.get("value", "on")
            elif e.tag == "select":
                options = e.find_all("option")
                chosen = [o for o in options if "selected" in o.attrs] or options[:1]
                if chosen:
                    values[name] = chosen[0].attrs.get("value", chosen[0].text)
            elif e.tag == "textarea":
                values[name] = e.text
        return values


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v if v is not None else "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID_TAGS:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v if v is not None else "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    """The document tree of `html`."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def page_title(html: str) -> str:
    """The text of the page's <title>."""
    title = parse(html).find("title")
    assert title is not None, "page has no <title>"
    return title.text


def form_for(html: str, action: str) -> Element:
    """The form of the page that posts to `action`."""
    form = parse(html).find("form", action=action)
    assert form is not None, f"no form posting to {action}"
    return form


def menu_links(html: str) -> dict[str, str]:
    """The main menu as href → label."""
    nav = parse(html).find("nav", class_="menu")
    return {a.attrs["href"]: a.text for a in nav.find_all("a")} if nav else {}


def csrf_of(html: str) -> str:
    """The session CSRF token of a page: from the body's `hx-headers`, else from a form's hidden field."""
    doc = parse(html)
    body = doc.find("body")
    if body is not None and "hx-headers" in body.attrs:
        token: str = json.loads(body.attrs["hx-headers"])["X-CSRF-Token"]
        return token
    field_ = doc.find("input", name="csrf_token")
    assert field_ is not None, "page carries no CSRF token"
    return field_.attrs["value"]


async def login(
    client: httpx.AsyncClient,
    username: str,
    password: str = PASSWORD,
    next: str | None = None,
    form_url: str = "/login",
) -> httpx.Response:
    """Sign in through the form: GET `form_url`, then POST the form with its CSRF token (and `next` when given)."""
    form_page = await client.get(form_url)
    assert form_page.status_code == 200, f"GET {form_url} answered {form_page.status_code}"
    values = form_for(form_page.text, "/login").fields()
    values.update(username=username, password=password)
    if next is not None:
        values["next"] = next
    return await client.post("/login", data=values)


def open_session(db: Session, client: httpx.AsyncClient, username: str, ip: str = "10.1.2.3") -> str:
    """Sign `username` in without the form (no Argon2 cost): a server-side session and its cookie in `client`.

    Tests whose subject is not the login itself use this; the login form has its own tests.
    """
    user = db.scalar(select(User).where(User.username == username))
    assert user is not None, f"no user {username}"
    raw = start_session(db, user, ip, utcnow(), timedelta(hours=12))
    db.commit()
    set_session_cookie(client, raw)
    return raw


def set_session_cookie(client: httpx.AsyncClient, raw: str) -> None:
    """Put a session cookie into the client's jar as the server's Set-Cookie would (so that logout can delete it)."""
    client.cookies.set(SESSION_COOKIE, raw, domain=COOKIE_DOMAIN)


async def csrf_for(client: httpx.AsyncClient) -> str:
    """The CSRF token of the client's session, read from the account page."""
    page = await client.get("/account")
    assert page.status_code == 200, f"GET /account answered {page.status_code}"
    return csrf_of(page.text)


def session_cookie(client: httpx.AsyncClient) -> str | None:
    """The session cookie the client holds."""
    return client.cookies.get(SESSION_COOKIE)


@asynccontextmanager
async def open_client(settings: Settings, ip: str = "10.1.2.3") -> AsyncIterator[httpx.AsyncClient]:
    """Another browser (own cookies, own client address) on a fresh app over the same database."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=(ip, 50001))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        app.state.engine.dispose()


def reread(db: Session) -> None:
    """End the test session's snapshot and forget loaded rows, so that it sees what the app committed."""
    db.commit()
    db.expire_all()
