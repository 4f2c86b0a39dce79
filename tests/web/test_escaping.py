"""Stored text is shown as text on every page: the demo city with a hostile value in every free-text column (names,
notes, comments, file names, webhook addresses, codes…) is crawled as several roles, and no element or attribute of
a value may survive as markup (issue 13, point 1). Also: the page's own defences (CSP, htmx configuration)."""

from __future__ import annotations

import importlib
import io
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, String, Text, insert, select, text
from sqlalchemy.orm import Session

from ecoloop.alerts import rule_service
from ecoloop.alerts import service as alert_service
from ecoloop.alerts.evaluate import Evaluation
from ecoloop.alerts.models import AlertEvent, AlertRule, Webhook, WebhookDelivery
from ecoloop.alerts.rules import Finding, Severity
from ecoloop.app import create_app
from ecoloop.audit.models import AuditRecord
from ecoloop.cases.batches import example_workbook as batch_workbook
from ecoloop.cases.models import Attachment, Milestone
from ecoloop.db.base import Base
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.demo.service import load_demo
from ecoloop.enterprises.import_layout import example_workbook as enterprise_workbook
from ecoloop.enterprises.models import GradeRecord
from ecoloop.enterprises.service import request_correction
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.service import create_api_token, principal_for, start_session
from ecoloop.monitoring.models import Site
from ecoloop.settings import Settings
from ecoloop.web.app import CSP
from ecoloop.web.templating import make_templates
from tests.conftest import make_settings
from tests.factories import World
from tests.web.helpers import Element, open_session, parse, set_session_cookie

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
ROLES = ("admin", "analyst", "enterprise", "department")

# Columns that hold structure rather than text anyone types: the region tree's codes and paths (scoping), secrets and
# hashes, the language code, a stored file's type, and readings' interval and flag codes (checked on the way in).
STRUCTURAL = frozenset(
    {
        "regions.code",
        "regions.path",
        "users.password_hash",
        "users.locale",
        "web_sessions.token_hash",
        "api_tokens.token_hash",
        "devices.password",
        "webhooks.secret",
        "case_attachments.sha256",
        "case_attachments.content_type",
        "penalty_evidence.sha256",
        "penalty_evidence.content_type",
        "penalty_templates.file",
        "penalty_templates.sha256",
        "login_throttle.scope",
        "login_throttle.key",
        "data_corrections.interval",
        "data_corrections.proposed_flag",
    }
)
# Fields that must be seen on some page (as text): the crawl reached the places where people type.
MUST_SHOW = frozenset(
    {
        "alert_rules.name",
        "alert_rule_versions.name",
        "alert_rule_versions.note",
        "alert_events.note",
        "alerts.feedback",
        "cases.title",
        "cases.description",
        "case_events.note",
        "case_events.actor_label",
        "case_attachments.filename",
        "case_milestones.target",
        "enterprises.name",
        "enterprises.address",
        "enterprises.contact_name",
        "permits.number",
        "outlets.name",
        "outlet_limits.source",
        "list_memberships.reason",
        "supervision_lists.name",
        "supervision_batches.name",
        "grade_records.document",
        "data_corrections.reason",
        "webhooks.url",
        "webhooks.description",
        "webhook_deliveries.error",
        "organisations.name",
        "users.display_name",
        "users.username",
        "api_tokens.name",
        "regions.name",
        "sites.name",
        "devices.mn",
        "audit_records.actor_label",
    }
)


def payloads(n: int) -> list[str]:
    """What is planted in column number `n`: an htmx element that would create a user, a redirecting meta, an
    attribute break-out with an event handler, and an element with a template expression and %-placeholders (which
    break `str % values`). Each element carries `data-h=n`, so that a leak names its column."""
    return [
        f'<i hx-post="/admin/users" hx-trigger="load" data-h={n}>x</i>',
        f'<meta http-equiv="refresh" content="0;url=//evil" data-h={n}>',
        f'"><img src=x onerror=alert(1) data-h={n}>',
        f"'><x-h data-h='{n}'>{{{{7*7}}}}%(x)s",
    ]


TINY = ("<x-h>%(x)s", "<x-h>")  # for short codes: still an element, unnamed


def values_for(n: int, length: int | None, digits: int) -> list[str]:
    """The values rows of column `n` get in turn (each followed by the row id): all payloads at once where they
    fit, else each that fits, else a tiny element."""
    every = payloads(n)
    whole = "".join(every) + " %"
    if length is None or len(whole) + digits <= length:
        return [whole]
    fits = [p for p in every if len(p) + digits <= length] or [t for t in TINY if len(t) + digits <= length]
    # A field too short for an element (the last four digits of a phone) gets what fits of one.
    return fits or [TINY[1][: max(1, length - digits)]]


def injected(doc: Element) -> list[str]:
    """What of a hostile value became markup in `doc`: its elements, or any event-handler or refresh attribute."""
    return [
        f"<{e.tag} {e.attrs}>"
        for e in doc.iter()
        if e.tag == "x-h"
        or "data-h" in e.attrs
        or any(a.startswith("on") for a in e.attrs)
        or e.attrs.get("hx-post") == "/admin/users"
        or "http-equiv" in e.attrs
    ]


# Where text is only text to a browser or outside what htmx processes: the document's head, and the raw text of
# options and text areas.
INERT = frozenset({"head", "title", "option", "textarea"})


def unguarded(element: Element, guarded: bool = False) -> Iterator[str]:
    """Stored text (a planted value) that lies outside every `hx-disable` container, where htmx would act on
    attributes if the text ever became markup."""
    guarded = guarded or "hx-disable" in element.attrs or element.tag in INERT
    for child in element.children:
        if isinstance(child, Element):
            yield from unguarded(child, guarded)
        elif not guarded and "data-h=" in child:
            yield f"<{element.tag} {element.attrs}>: {child.strip()[:60]}"


@cache
def text_columns() -> list[tuple[str, str, int | None]]:
    """Every plain text column of the schema (not enum or JSON) that people or their files fill, with its length."""
    importlib.import_module("ecoloop.tables")  # every table
    return [
        (table.name, column.name, getattr(column.type, "length", None))
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text)
        and f"{table.name}.{column.name}" not in STRUCTURAL
        and "id" in table.columns  # the tables without (sessions, throttles) hold no text anyone types
    ]


# JSON the system writes from what people typed or files carried (alert details and notes, event data): their text
# leaves are planted too, numbered after the text columns.
JSON_TEXTS = (("alerts", "detail"), ("alert_events", "data"), ("case_events", "data"))


def hostile_leaves(data: object, value: str) -> object:
    """`data` with every string value (not key) replaced by `value`."""
    if isinstance(data, dict):
        return {k: hostile_leaves(v, value) for k, v in data.items()}
    if isinstance(data, list):
        return [hostile_leaves(v, value) for v in data]
    return value if isinstance(data, str) else data


def planted() -> list[str]:
    """The planted columns as `table.column`, by their number."""
    return [f"{table}.{column}" for table, column, _length in text_columns()] + [f"{t}.{c}" for t, c in JSON_TEXTS]


def plant(engine: Engine) -> None:
    """Overwrite every text column of every row with hostile values (the append-only tables' guards are lifted
    meanwhile), and add an audit record whose JSON of what changed is hostile too."""
    with engine.begin() as connection:
        guards = list(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")))
        for name, _sql in guards:
            connection.execute(text(f'DROP TRIGGER "{name}"'))
        for n, (table, column, length) in enumerate(text_columns()):
            digits = len(str(connection.scalar(text(f"SELECT max(id) FROM {table}")) or 0))
            options = values_for(n, length, digits)
            chosen = " ".join(f"WHEN {i} THEN :v{i}" for i in range(len(options)))
            connection.execute(
                text(f'UPDATE {table} SET "{column}" = (CASE id % {len(options)} {chosen} END) || CAST(id AS TEXT)'),
                {f"v{i}": v for i, v in enumerate(options)},
            )
        for n, (table, column) in enumerate(JSON_TEXTS, start=len(planted())):
            value = "".join(payloads(n))
            for id_, data in list(connection.execute(text(f"SELECT id, {column} FROM {table}"))):
                if data is not None:
                    planted_data = json.dumps(hostile_leaves(json.loads(data), value))
                    connection.execute(
                        text(f"UPDATE {table} SET {column} = :d WHERE id = :i"), {"d": planted_data, "i": id_}
                    )
        for _name, sql in guards:
            connection.execute(text(sql))
        changed = {"name": "".join(payloads(len(planted())))}
        connection.execute(insert(AuditRecord).values(actor_label="a", action="update", entity_type="b", after=changed))


def add_what_the_demo_lacks(db: Session) -> None:
    """A webhook with a failed delivery, an enterprise's correction request, an API token and an edited rule."""
    admin = db.scalar(select(User).where(User.username == "admin"))
    enterprise_user = db.scalar(select(User).where(User.username == "enterprise"))
    assert admin is not None and enterprise_user is not None
    bureau = db.scalar(select(Organisation).where(Organisation.code == "bureau"))
    assert bureau is not None
    hook = Webhook(organisation_id=bureau.id, url="https://hooks.example/x", secret="s" * 32, description="d")
    db.add(hook)
    db.flush()
    event = db.scalars(select(AlertEvent)).first()
    assert event is not None, "the demo raised no alert"
    db.add(WebhookDelivery(webhook_id=hook.id, event_id=event.id, payload="{}", error="refused", attempts=1))
    site = db.scalar(select(Site).where(Site.enterprise_id == enterprise_user.enterprise_id))
    assert site is not None
    request_correction(
        db,
        user=enterprise_user,
        site=site,
        parameter="a21026",
        interval="hour",
        time=NOW - timedelta(hours=3),
        current_value=Decimal(80),
        proposed_value=Decimal(8),
        proposed_flag=None,
        reason="r",
    )
    create_api_token(db, admin, "t", NOW)
    rule = db.scalar(select(AlertRule).where(AlertRule.code == "air-hotspot"))
    assert rule is not None
    change = rule_service.RuleChange(
        name="renamed",
        enabled=True,
        region_id=None,
        escalation=rule.escalation,
        case_deadline_days=rule.case_deadline_days,
        reopen_hours=rule.reopen_hours,
        parameters=dict(rule.parameters),
        note="n",
    )
    rule_service.save_rule(db, admin, principal_for(admin, db), change, NOW, rule=rule)
    # an alert with a finding whose details are shown (the demo's alerts carry a note only)
    spec = next(s for s in rule_service.rule_specs(db) if s.code == "air-hotspot")
    time = NOW - timedelta(hours=2)
    finding = Finding(
        kind=spec.kind,
        site_id=site.id,
        parameter="a34004",
        time=time,
        observed=Decimal(180),
        reference=Decimal(60),
        severity=Severity.MEDIUM,
        detail={"neighbours": 4, "category": "moderately_polluted", "station": "s"},
    )
    alert_service.apply(
        db, [Evaluation(spec, site.id, site.region_id, time, (finding,))], NOW, ZoneInfo("Asia/Shanghai")
    )


@dataclass
class HostileCity:
    """The demo city with hostile text everywhere, and a signed-in session cookie per role."""

    settings: Settings
    sessions: dict[str, str] = field(default_factory=dict)
    pages: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def hostile_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostileCity]:
    tmp: Path = tmp_path_factory.mktemp("hostile")
    settings = make_settings(tmp)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    city = HostileCity(settings)
    with Session(engine, expire_on_commit=False) as db:
        load_demo(db, now=NOW, storage=settings.case_attachments_root)
        add_what_the_demo_lacks(db)
        city.pages = [
            *(f"/cases/{id_}" for id_ in db.scalars(select(Attachment.case_id).limit(1))),
            *(f"/cases/{id_}" for id_ in db.scalars(select(Milestone.case_id).limit(1))),
            *(f"/enterprises/{id_}" for id_ in db.scalars(select(GradeRecord.enterprise_id).limit(1))),
        ]
        for role in ROLES:
            user = db.scalar(select(User).where(User.username == role))
            assert user is not None
            city.sessions[role] = start_session(db, user, "10.1.2.3", datetime.now(UTC), timedelta(hours=12))
        db.commit()
    plant(engine)
    engine.dispose()
    yield city


@pytest.fixture
async def hostile_client(hostile_city: HostileCity) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(hostile_city.settings)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    app.state.engine.dispose()


SKIP = re.compile(r"^/(static/|logout|alerts/stream|api/)|\.(xlsx|csv|docx)$")
PER_SHAPE = 3  # pages of the same shape (path with its numbers blanked, query keys) that are fetched
MAX_PAGES = 600


def shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({p.partition("=")[0] for p in parts.query.split("&") if p})
    return re.sub(r"\d+", "#", parts.path) + "?" + "&".join(keys)


def links(doc: Element) -> Iterator[str]:
    for e in doc.iter():
        for attr in ("href", "hx-get", "action"):
            value = e.attrs.get(attr, "")
            if attr == "action" and e.attrs.get("method", "get").lower() != "get":
                continue
            if value.startswith("/") and not value.startswith("//"):
                yield value.partition("#")[0]


@dataclass
class Crawl:
    """What a crawl saw: pages by status, markup that came from stored values, and the fields shown as text."""

    statuses: dict[str, int] = field(default_factory=dict)
    injections: dict[str, list[str]] = field(default_factory=dict)
    evaluated: list[str] = field(default_factory=list)
    unguarded: dict[str, list[str]] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)


async def crawl(client: httpx.AsyncClient, start: list[str]) -> Crawl:
    """Fetch every page reachable from `start` (a few of each shape), as a browser and as htmx."""
    seen: Crawl = Crawl()
    queue = list(start)
    shapes: dict[str, int] = {}
    while queue and len(seen.statuses) < MAX_PAGES:
        url = queue.pop(0)
        if url in seen.statuses or SKIP.search(urlsplit(url).path) or shapes.get(shape(url), 0) >= PER_SHAPE:
            continue
        shapes[shape(url)] = shapes.get(shape(url), 0) + 1
        for headers in ({}, {"HX-Request": "true"}):
            response = await client.get(url, headers=headers)
            seen.statuses[url] = response.status_code
            if not response.headers.get("content-type", "").startswith("text/html"):
                break
            doc = parse(response.text)
            if found := injected(doc):
                seen.injections[url] = found
            if not headers and (outside := list(unguarded(doc))):  # a fragment lands inside its page's guard
                seen.unguarded[url] = outside
            if "49%(x)s" in response.text:
                seen.evaluated.append(url)
            seen.shown |= {
                planted()[int(n)] for n in re.findall(r"data-h='?(\d+)", doc.text) if int(n) < len(planted())
            }
            queue += links(doc)
    return seen


def named(leak: str) -> str:
    """A leaked element with the column its value came from."""
    n = re.search(r"'data-h': '(\d+)'", leak)
    return f"{planted()[int(n.group(1))] if n and int(n.group(1)) < len(planted()) else '?'}: {leak}"


@pytest.mark.parametrize("role", ROLES)
async def test_no_stored_value_becomes_markup_on_any_page(
    hostile_city: HostileCity, hostile_client: httpx.AsyncClient, role: str
) -> None:
    set_session_cookie(hostile_client, hostile_city.sessions[role])
    start = ["/", "/account", "/alerts/rules", "/alerts/webhooks", "/alerts/notifications", "/enterprises/lists"]
    start += ["/enterprises/corrections", "/monitoring/devices", "/admin/users", "/admin/organisations", "/admin/audit"]
    start += ["/public"]  # the public page: station and area names shown to anyone

    seen = await crawl(hostile_client, hostile_city.pages + start)

    failed = {url: status for url, status in seen.statuses.items() if status >= 500}
    markup = {url: named(found[0]) for url, found in seen.injections.items()}
    assert not (failed or markup or seen.evaluated), f"failed: {failed}\nmarkup: {markup}\nevaluated: {seen.evaluated}"
    assert not seen.unguarded, (
        f"stored text outside hx-disable: { {u: found[0] for u, found in seen.unguarded.items()} }"
    )
    assert len(seen.statuses) > 20
    if role == "admin":
        assert MUST_SHOW - seen.shown == set(), f"fields the crawl did not see on any page (of {sorted(seen.statuses)})"


def test_every_text_column_is_planted_or_named_structural() -> None:
    assert set(planted()) >= MUST_SHOW
    assert "regions.code" not in planted()
    assert values_for(0, None, 3) == ["".join(payloads(0)) + " %"]
    assert all(len(v) + 3 <= 16 for v in values_for(0, 16, 3))


# --- values typed into forms and files -----------------------------------------------------------------------------

TYPED = "".join(payloads(9999)) + " %"
SKIP_FORMS = re.compile(r"/logout$|password$")


def hostile_workbook(data: bytes) -> bytes:
    """The workbook with every text cell below the first row replaced by the hostile value."""
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = TYPED
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload_for(action: str) -> tuple[str, bytes]:
    """A file for the form posting to `action`: its own template with hostile cells, else a PDF with a hostile name."""
    if action == "/enterprises/import":
        return f"{TYPED}.xlsx", hostile_workbook(enterprise_workbook())
    if action == "/cases/batches":
        return f"{TYPED}.xlsx", hostile_workbook(batch_workbook(NOW.date()))
    if action == "/monitoring/upload":
        return f"{TYPED}.csv", f"site,parameter,time,value\n{TYPED},{TYPED},{TYPED},{TYPED}\n".encode()
    return f"{TYPED}.pdf", b"%PDF-1.4\n%%EOF\n"


async def submit(client: httpx.AsyncClient, form: Element) -> list[str]:
    """Post `form` with the hostile value in every text field (and file); the problems of the answers."""
    action = form.attrs["action"]
    values = form.fields()
    files = {}
    for i, e in enumerate(form.iter()):
        name = e.attrs.get("name", "")
        if e.tag == "textarea" or (e.tag == "input" and e.attrs.get("type", "text") in ("text", "search", "url")):
            limit = int(e.attrs["maxlength"]) if e.attrs.get("maxlength", "").isdigit() else None
            options = values_for(9999, limit, 0)  # what fits the field, so that the server takes it
            values[name] = options[i % len(options)]
        elif e.tag == "input" and e.attrs.get("type") == "file":
            files[name] = upload_for(action)
    response = await client.post(action, data=values, files=files or None, follow_redirects=True)
    problems = [f"{response.status_code}"] if response.status_code >= 500 else []
    if response.headers.get("content-type", "").startswith("text/html"):
        problems += injected(parse(response.text))
    return problems


async def test_values_typed_into_every_form_stay_text(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    """Every form the roles reach (twice: the second round reaches what the first created) is posted with the
    hostile value in each text field and file; neither the answers nor the pages afterwards carry markup from it."""
    rule_service.ensure_builtin_rules(app_db, NOW)
    app_db.commit()
    start = ["/", "/account", "/alerts/rules", "/alerts/webhooks", "/enterprises/lists", "/cases/batches"]
    for role in ("admin", "analyst", "enterprise_a"):
        open_session(app_db, client, role)
        answers: dict[str, list[str]] = {}
        for _round in range(2):
            pages = await crawl(client, start)
            for url, status in pages.statuses.items():
                if status != 200 or SKIP.search(urlsplit(url).path):
                    continue
                for form in parse((await client.get(url)).text).find_all("form", method="post"):
                    action = form.attrs.get("action", "")
                    key = shape(action) + form.attrs.get("data-action", "")
                    if action.startswith("/") and not SKIP_FORMS.search(action) and key not in answers:
                        answers[key] = await submit(client, form)
        after = await crawl(client, start)

        assert len(answers) >= 3, sorted(answers)
        assert {key: found for key, found in answers.items() if found} == {}, role
        assert ({u: s for u, s in after.statuses.items() if s >= 500}, after.injections) == ({}, {}), role


# --- the page's own defences --------------------------------------------------------------------------------------

HTMX_SETTINGS = {
    "allowEval": "false",
    "allowScriptTags": "false",
    "selfRequestsOnly": "true",
    "historyCacheSize": "0",
    "refreshOnHistoryMiss": "true",
}


async def test_csp_allows_no_inline_code_and_no_plugins(client: httpx.AsyncClient) -> None:
    header = (await client.get("/login")).headers["content-security-policy"]
    csp = {d.split()[0]: d.split()[1:] for d in header.split(";") if d.strip()}

    assert "unsafe-" not in header
    assert header == CSP
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]


async def test_htmx_is_configured_from_a_static_file_before_it_starts(client: httpx.AsyncClient) -> None:
    page = parse((await client.get("/login")).text)
    head = page.find("head")
    assert head is not None
    scripts = [s.attrs.get("src") for s in page.find_all("script")]
    config = await client.get("/static/htmx-config.js")
    htmx = (await client.get("/static/htmx.min.js")).text

    # after htmx, deferred like it (so it runs before htmx processes the page), and nothing inline
    assert scripts[:2] == ["/static/htmx.min.js", "/static/htmx-config.js"]
    assert all("defer" in s.attrs and s.attrs.get("src") for s in page.find_all("script"))
    # the first htmx-config meta is the layout's, in the head: htmx reads only that one
    metas = page.find_all("meta", name="htmx-config")
    assert metas and head.find("meta", name="htmx-config") is metas[0]
    assert config.status_code == 200
    assert "javascript" in config.headers["content-type"]
    for option, value in HTMX_SETTINGS.items():
        assert re.search(rf"config\.{option} = {value};", config.text), option
        assert re.search(rf"\b{option}:", htmx), f"htmx {option} is no option of this htmx version"


def test_htmx_acts_only_inside_the_filter_forms() -> None:
    """Pages leave `hx-disable` on their content (the layout's default) unless they have an htmx filter form; the
    containers those forms fill carry it themselves. The crawl above checks that stored text lies inside one."""
    env = make_templates().env
    loader = env.loader
    assert loader is not None
    for name in env.list_templates():
        source = loader.get_source(env, name)[0]
        if re.search(r"\bhx-(get|post|put|patch|delete)=", source) and name != "base.html":
            assert "{% block main_htmx %}{% endblock %}" in source, name
