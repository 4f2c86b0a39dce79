"""Every page of the demo city, as every demo role, in Chinese (issue 13 §11).

The demo city is loaded once into a SQLite database of this module (with a few hours of readings for every site).
For each role its demo account signs in through the login form, then the pages reachable from the navigation and
from the pages' links are fetched (same-origin GETs; downloads, the live feed and sign-out are not followed; pages
of one shape, e.g. `/cases/{id}`, are visited a few times only). Each page fails on what a Chinese user should
never see in its visible text (and its titles, placeholders and labels):

- untranslated messages: English words (runs of ASCII letters), beyond an allow-list of units, codes and names;
- raw enum values: snake_case tokens;
- raw JSON: `{"`.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections import Counter, deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import ecoloop
from ecoloop.app import create_app
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.demo.service import DEMO_PASSWORD, demo_fixture, load_demo
from ecoloop.demo.simulator.profiles import (
    AIR_PARAMETERS,
    GAS_PARAMETERS,
    NOISE_PARAMETERS,
    WATER_PARAMETERS,
    WATER_STATION_PARAMETERS,
)
from ecoloop.identity.enums import Role
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.readings import parameters
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.web.helpers import Element, login, parse

MAX_PAGES = 120  # pages per role
PER_SHAPE = 3  # pages of one shape (path with its numbers as {n}, without the query) per role
SKIPPED = re.compile(
    r"^/(logout|static/|api/|alerts/stream)|\.(xlsx|csv|docx|pdf|json|zip)$|/(download|export|attachments?)(/|$)"
)
# Words a Chinese page may show in Latin letters: units, standards, codes and names of things known by them.
ALLOWED = frozenset(
    {
        # units
        "mg", "µg", "m", "L", "km", "dB", "A", "kPa", "s", "MB", "KB", "h", "min",
        # pollutants and indices known by their symbols
        "AQI", "IAQI", "PM", "SO", "NO", "NOx", "CO", "O", "COD", "BOD", "CODMn", "pH", "TP", "TN", "NH", "N", "DO",
        "CWQI",  # the city water quality index (环办监测〔2017〕51号), known by its symbol like AQI
        "VOCs", "LA", "Leq", "Ld", "Ln", "Ldn", "LMx", "LMn",
        # standards, protocols, formats, products
        "HJ", "GB", "T", "CRC", "MODBUS", "MN", "CN", "QN", "ST", "PW", "API", "CSV", "Excel", "xlsx", "csv",
        "UTF", "BOM", "URL", "IP", "HTTP", "HTTPS", "POST", "HMAC", "SHA", "Webhook", "webhook", "JSON", "ID",
        "Token", "Bearer", "CC", "BY", "WGS", "Beijing", "UTC", "ecoloop", "http", "https", "English", "ISO",
        "GeoJSON", "FeatureCollection", "Polygon", "MultiPolygon",
        "Word", "WPS",  # the office programs the briefs open in (Word文档, issue 17)
        # file types
        "pdf", "png", "jpg", "jpeg", "docx", "txt", "zip", "PNG", "JPEG",  # the citizen form names its photo types
        # data flags of HJ 212 (N, F, M, S, D, C, T, B) and performance grades
        "F", "M", "S", "D", "C", "B", "P", "V", "X",
    }
)  # fmt: skip
# Runs of letters, digits and the joints of codes (`PM2.5`, `AJ2026-000123`, `mg/m`, `bj-dongsi`, `site_code`).
TOKEN = re.compile(r"[A-Za-z0-9µ]+(?:[-_/.:][A-Za-z0-9µ]+)*")
JOINTS = re.compile(r"[-/.:]")
SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
CODE_INPUTS = ("code", "mn", "parameter", "parameters")  # inputs of codes: their placeholders are example codes
EXAMPLES = frozenset({"a34004"})  # the upload format's example parameter code
LITERAL = frozenset({"code", "kbd", "samp", "pre"})  # codes and examples shown as they are
VISIBLE_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
INVISIBLE = frozenset({"script", "style", "template", "head"})
PROFILES = {
    SiteKind.AIR_STATION: AIR_PARAMETERS,
    SiteKind.AIR_SOURCE: GAS_PARAMETERS,
    SiteKind.WATER_SOURCE: WATER_PARAMETERS,
    SiteKind.WATER_STATION: WATER_STATION_PARAMETERS,
    SiteKind.NOISE: NOISE_PARAMETERS,
}


@pytest.fixture(scope="module")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The demo city in a SQLite database of its own, with three hours of readings at every site."""
    settings = make_settings(tmp_path_factory.mktemp("crawl"))
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as db:
        load_demo(db, storage=settings.case_attachments_root)
        db.commit()
        sites = db.scalars(select(Site)).all()
    engine.dispose()
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    readings = [
        Reading(site.id, p.code, Interval.HOUR, hour - timedelta(hours=h), 10.0 + h)
        for site in sites
        for p in PROFILES.get(site.kind, ())
        for h in (1, 2, 3)
    ]
    HotStore(settings.hot_store_path).write(readings, [])
    return settings


def usernames() -> dict[str, str]:
    """A demo account of each role: role → username."""
    found: dict[str, str] = {}
    for user in demo_fixture()["users"]:
        found.setdefault(user["role"], user["username"])
    return found


def shape(path: str) -> str:
    return re.sub(r"\d+", "{n}", urlsplit(path).path)


def links(page: Element, here: str) -> Iterator[str]:
    """Same-origin page links of a page (anchors and htmx GETs), as paths with their queries."""
    for element in page.iter():
        for attribute in ("href", "hx-get"):
            target = element.attrs.get(attribute)
            if not target or target.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            if element.tag == "link" or "download" in element.attrs:
                continue
            parts = urlsplit(urljoin(f"http://testserver{here}", target))
            if parts.netloc == "testserver" and not SKIPPED.search(parts.path):
                yield parts.path + (f"?{parts.query}" if parts.query else "")


def visible_texts(node: Element, literal: bool = False) -> Iterator[tuple[str, bool]]:
    """The text a user sees, each piece with whether it is shown as code: element text outside scripts and
    styles, and titles, placeholders (but the example codes of code inputs) and labels."""
    if node.tag in INVISIBLE:
        return
    # an element of class `code` holds codes as they are typed (the review standard's text form, issue 19)
    literal = literal or node.tag in LITERAL or "code" in node.attrs.get("class", "").split()
    for attribute in VISIBLE_ATTRIBUTES:
        if attribute == "title" and "parameter" in node.attrs.get("class", "").split():
            continue  # a parameter's name keeps its HJ 212 code as a tooltip
        if node.attrs.get(attribute):
            # a code field's placeholder is an example code
            example = attribute == "placeholder" and node.attrs.get("name", "").endswith(CODE_INPUTS)
            if not example:
                yield node.attrs[attribute], literal
    if node.tag == "input" and node.attrs.get("type") in ("submit", "button"):
        yield node.attrs.get("value", ""), False
    for child in node.children:
        if isinstance(child, str):
            yield child, literal
        else:
            yield from visible_texts(child, literal)


@cache
def enum_values() -> frozenset[str]:
    """The values of ecoloop's enums that read as identifiers (snake_case): shown raw, even as code, they are
    a missing label."""
    for module in pkgutil.walk_packages(ecoloop.__path__, "ecoloop."):
        if not module.name.startswith(("ecoloop.migrations", "ecoloop.__main__")):
            importlib.import_module(module.name)
    found: set[str] = set()
    pending: list[type] = [StrEnum]
    while pending:
        kind = pending.pop()
        pending += kind.__subclasses__()
        if kind.__module__.startswith("ecoloop."):
            found |= {m.value for m in kind if SNAKE.match(m.value)}  # type: ignore[attr-defined]
    return frozenset(found)


def problems(page: Element, allowed: frozenset[str]) -> list[str]:
    """What a Chinese user should not see on the page: English words and raw enum values (in code, only our
    enums' values count: codes are identifiers), raw JSON, and HJ 212 parameter codes without their names
    (a name shown with its code keeps the code in its `title`)."""
    found = []
    for text, literal in visible_texts(page):
        if '{"' in text:
            found.append(f"JSON: {text.strip()[:80]}")
        for token in TOKEN.findall(text):
            if token in parameters.PARAMETERS and any(c.isdigit() for c in token) and token not in EXAMPLES:
                found.append(f"bare HJ 212 code: {token}")
            elif SNAKE.match(token):
                if not literal or token in enum_values():
                    found.append(f"enum value: {token}")
            elif not literal and not any(c.isdigit() for c in token):
                words = [w for w in JOINTS.split(token) if not (len(w) == 1 and w.isupper())]  # grades, sections
                found += [f"English: {word}" for word in words if word not in allowed]
    return found


def crawl_allowed() -> frozenset[str]:
    """The allow-list plus the demo's own Latin names (usernames are identifiers, shown as they are)."""
    names = {part for user in demo_fixture()["users"] for part in re.split(r"[^A-Za-z]+", user["username"]) if part}
    return ALLOWED | names


@pytest.mark.parametrize("role", [r.value for r in Role])
async def test_every_page_is_in_chinese(demo_settings: Settings, role: str) -> None:
    app = create_app(demo_settings)
    transport = httpx.ASGITransport(app=app, client=("10.9.8.7", 50000))
    allowed = crawl_allowed()
    found: dict[str, list[str]] = {}
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            signed_in = await login(client, usernames()[role], DEMO_PASSWORD)
            assert signed_in.status_code in (302, 303), f"{role} could not sign in"
            queue, seen, shapes = deque(["/"]), {"/"}, Counter[str]()
            visited = 0
            while queue and visited < MAX_PAGES:
                path = queue.popleft()
                response = await client.get(path)
                visited += 1
                assert response.status_code < 500, f"{role}: GET {path} answered {response.status_code}"
                if response.status_code != 200 or "text/html" not in response.headers.get("content-type", ""):
                    continue
                page = parse(response.text)
                bad = problems(page, allowed)
                if bad:
                    found[path] = sorted(set(bad))
                for target in links(page, path):
                    if target not in seen and shapes[shape(target)] < PER_SHAPE:
                        seen.add(target)
                        shapes[shape(target)] += 1
                        queue.append(target)
            assert visited > 5, f"{role} reached only {visited} pages"
    finally:
        app.state.engine.dispose()
    report = "\n".join(f"{path}: {'; '.join(items)}" for path, items in sorted(found.items()))
    assert not found, f"{role} sees text that is not Chinese:\n{report}"


def test_the_checks_catch_english_enum_values_and_json() -> None:
    page = parse('<p>Notice number: 督办编号</p><p>状态 severely_polluted</p><p>{"findings": []}</p>')
    assert problems(page, ALLOWED) == [
        "English: Notice",
        "English: number",
        "enum value: severely_polluted",
        'JSON: {"findings": []}',
        "English: findings",
    ]
    assert problems(parse("<p>二氧化硫 123.4 mg/m³，PM2.5 35 µg/m³，MN 0101A 符合 HJ 212</p>"), ALLOWED) == []


def test_pages_of_one_shape_are_visited_a_few_times_only() -> None:
    assert shape("/cases/12?tab=1") == shape("/cases/345") == "/cases/{n}"
    assert SKIPPED.search("/cases/1/notices/2.docx") and SKIPPED.search("/logout")
    assert not SKIPPED.search("/cases/1")
