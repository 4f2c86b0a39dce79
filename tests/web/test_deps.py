"""The unit of work of a route that writes (issue 14): committed after the route returns and before its answer is
sent, rolled back when the route raises, and a commit that fails answers with the error page, never a success."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.dependencies.models import Dependant
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import select
from starlette.convertors import CONVERTOR_TYPES
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

import ecoloop
from ecoloop.app import create_app
from ecoloop.audit.service import Actor, set_actor
from ecoloop.enterprises.models import SupervisionList
from ecoloop.settings import Settings
from ecoloop.web.deps import UnitOfWork, current_user, declared_actions, get_db, unit_of_work
from tests.conftest import make_settings


def stored(app: FastAPI, code: str) -> bool:
    """Whether another connection sees the list `code` (what is committed, not what the route's session holds)."""
    with app.state.sessions() as other:
        return other.scalar(select(SupervisionList.id).where(SupervisionList.code == code)) is not None


class SeenOnSend(RedirectResponse):
    """A redirect that notes, when it starts being sent, whether the route's row is committed."""

    def __init__(self, app: FastAPI, code: str, seen: list[bool]) -> None:
        super().__init__("/done", status_code=303)
        self._app, self._code, self._seen = app, code, seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._seen.append(stored(self._app, self._code))
        await super().__call__(scope, receive, send)


def probe_app(settings: Settings, seen: list[bool]) -> FastAPI:
    """The real app with routes that write a list and then answer, raise, or leave a commit that must fail."""
    app = create_app(settings)

    def write(db: UnitOfWork, outcome: str) -> Response:
        set_actor(db, Actor(label="probe"))
        db.add(SupervisionList(code=f"probe-{outcome}", name="probe"))
        db.flush()
        if outcome == "raise":
            raise RuntimeError("the route fails after it wrote")
        if outcome == "refuse":
            raise HTTPException(404)
        if outcome == "commit-fails":  # the same code again: the unique constraint refuses it at commit
            db.add(SupervisionList(code="probe-commit-fails", name="again"))
        return SeenOnSend(app, f"probe-{outcome}", seen)

    app.add_api_route("/probe/{outcome}", write, methods=["GET"])
    return app


@pytest.fixture
async def probe(app_settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient, list[bool]]]:
    seen: list[bool] = []
    app = probe_app(app_settings, seen)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield app, client, seen
    app.state.engine.dispose()


async def test_a_writing_route_is_committed_before_its_answer_is_sent(
    probe: tuple[FastAPI, httpx.AsyncClient, list[bool]],
) -> None:
    app, client, seen = probe

    response = await client.get("/probe/ok")

    assert response.status_code == 303
    assert seen == [True]  # committed when the first byte of the answer left, not after
    assert stored(app, "probe-ok")


@pytest.mark.parametrize(("outcome", "status"), [("raise", 500), ("refuse", 404)])
async def test_a_route_that_fails_after_writing_leaves_nothing_written(
    probe: tuple[FastAPI, httpx.AsyncClient, list[bool]], outcome: str, status: int
) -> None:
    app, client, seen = probe

    response = await client.get(f"/probe/{outcome}")

    assert response.status_code == status
    assert seen == []
    assert not stored(app, f"probe-{outcome}")


async def test_a_commit_that_fails_answers_with_the_error_page_not_a_success(
    probe: tuple[FastAPI, httpx.AsyncClient, list[bool]],
) -> None:
    app, client, seen = probe

    response = await client.get("/probe/commit-fails")

    assert response.status_code == 500  # the user learns that nothing was saved
    assert seen == []
    assert not stored(app, "probe-commit-fails")


# --- every route of the app: its action, its unit of work, its path --------------------------------------------------

# Routes anyone may call: signing in, the health check, the API description (and the static files, a mount).
PUBLIC = {
    "GET /login",
    "POST /login",
    "GET /healthz",
    "GET /api/v1/openapi.json",
    # A one-time set-password link: its token is the credential (issue 15).
    "GET /set-password/{token}",
    "POST /set-password/{token}",
    # What a bureau publishes (issue 16): the city's air quality and the map of its counties.
    "GET /public",
    "GET /public/map.geojson",
    # The random checks as published (一公开, issue 19): the draws' public fields and how a draw is made.
    "GET /public/draws",
    "GET /public/draw-algorithm",
    "GET /public/draws/{number}",
    # Complaints from other front ends and Open311 clients, and the citizen's look-up (issue 18): a partner's key
    # or nothing (rate-limited per address); Open311's GETs are public by the spec and show no complainant.
    "POST /api/v1/complaints",
    "POST /api/v1/complaints/lookup",
    "GET /open311/v2/discovery.{fmt}",
    "GET /open311/v2/services.{fmt}",
    "GET /open311/v2/services/{code}.{fmt}",
    "GET /open311/v2/requests.{fmt}",
    "POST /open311/v2/requests.{fmt}",
    "GET /open311/v2/requests/{ticket}.{fmt}",
    # The citizen's side (issue 18): report a problem, look a ticket up, rate the reply (the ticket and the last
    # four digits of the phone are the credential; the form's challenge and the rate limits guard them).
    "GET /public/complaints",
    "POST /public/complaints",
    "GET /public/lookup",
    "POST /public/lookup",
    "POST /public/complaints/{ticket}/rating",
    # A partner platform's warning (issue 18): its key and the body's signature are the credential (docs/partners.md).
    "POST /api/v1/events",
    # The inspections' outcomes as the bureau publishes them (issue 19, 一公开): no officer, photo or contact.
    "GET /public/inspections",
}
# Routes any signed-in user may call, whatever their role: their own account and the start page, whose sections
# follow the role (`allowed` there chooses what to show, it refuses nothing).
SIGNED_IN = {
    "GET /",
    "POST /logout",
    "GET /account",
    "POST /account/password",
    "POST /account/language",
    "POST /account/tokens/{token_id}/revoke",  # one's own token only (the service looks it up by owner)
    "GET /api/v1/me",
    "GET /api/v1/users",  # oneself, or every user for an administrator (row scope)
    "GET /api/v1/users/{user_id}",
}
READING = {"GET", "HEAD", "OPTIONS"}


def app_routes(app: FastAPI) -> list[tuple[str, set[str], BaseRoute]]:
    """(path with its convertors, methods, route) of every route of `app`, inside included routers too."""
    found = []
    for context in fastapi.routing.iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            continue  # /static
        found.append((context.path or "", set(getattr(context, "methods", None) or route.methods or ()), route))
    return found


def dependency_calls(dependant: Dependant) -> Iterator[object]:
    """The callables of every dependency of a route, at any depth."""
    for sub in dependant.dependencies:
        yield sub.call
        yield from dependency_calls(sub)


def plain(path: str) -> str:
    return re.sub(r"\{(\w+):\w+\}", r"{\1}", path)


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, set[str], BaseRoute]]:
    app = create_app(make_settings(tmp_path_factory.mktemp("routes")))
    app.state.engine.dispose()
    return app_routes(app)


def test_every_route_declares_the_action_its_role_needs(routes: list[tuple[str, set[str], BaseRoute]]) -> None:
    """A new route without `requires(Action.X)` in its signature fails here, unless it is added to PUBLIC or
    SIGNED_IN with its reason; what a role may do on one loaded row is the service's check, not this one."""
    undeclared, signed_in_without_user, public_with_user = set(), set(), set()
    for path, methods, route in routes:
        calls = list(dependency_calls(route.dependant)) if isinstance(route, APIRoute) else []
        declared = any(declared_actions(call) is not None for call in calls)
        for method in methods - {"HEAD"}:
            key = f"{method} {plain(path)}"
            if not declared:
                undeclared.add(key)
            if key in SIGNED_IN and current_user not in calls:
                signed_in_without_user.add(key)
            if key in PUBLIC and current_user in calls:
                public_with_user.add(key)
    assert undeclared == PUBLIC | SIGNED_IN
    assert signed_in_without_user == set()
    assert public_with_user == set()


def test_every_route_that_changes_state_writes_through_the_unit_of_work_and_no_read_does(
    routes: list[tuple[str, set[str], BaseRoute]],
) -> None:
    wrong = [
        f"{sorted(methods)} {path}"
        for path, methods, route in routes
        if isinstance(route, APIRoute)
        and (unit_of_work in dependency_calls(route.dependant)) != bool(methods - READING)
    ]
    assert wrong == []


def route_modules() -> list[Path]:
    """The modules that define routes."""
    package = Path(ecoloop.__file__).parent
    return sorted(p for p in package.rglob("*.py") if "APIRouter(" in p.read_text(encoding="utf-8"))


def test_no_route_module_commits_or_checks_a_role_at_the_top_of_a_route() -> None:
    """Routes leave the commit to the unit of work (services flush), and declare their action instead of calling
    `require` first thing."""
    modules = route_modules()
    assert len(modules) > 15
    found = []
    for path in modules:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                found.append(f"{path.relative_to(path.parents[1])}:{node.lineno} commit")
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list:
                body = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
                first = body[0] if body else None
                calls = isinstance(first, ast.Expr) and isinstance(first.value, ast.Call)
                if calls and ast.unparse(first.value.func) == "require":
                    found.append(f"{path.relative_to(path.parents[1])}:{node.lineno} require")
    assert found == []


PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
SAMPLES = ("1", "-1", "x", "new")


def _segment_pattern(segment: str) -> re.Pattern[str]:
    pattern, position = "", 0
    for match in PARAM.finditer(segment):
        convertor = CONVERTOR_TYPES[match.group(2) or "str"]
        pattern += re.escape(segment[position : match.start()]) + f"(?:{convertor.regex})"
        position = match.end()
    return re.compile(pattern + re.escape(segment[position:]))


def _filled(segment: str) -> set[str]:
    """The segment with each sample value its parameters' convertors accept."""
    kinds = [CONVERTOR_TYPES[m.group(2) or "str"].regex for m in PARAM.finditer(segment)]
    fits = [v for v in SAMPLES if all(re.fullmatch(kind, v) for kind in kinds)]
    return {PARAM.sub(value, segment) for value in fits}


def _segments_overlap(a: str, b: str) -> bool:
    """Whether some path segment matches both: each side filled with sample values is tried on the other."""
    a_filled, b_filled = _filled(a), _filled(b)
    return any(_segment_pattern(b).fullmatch(x) for x in a_filled) or any(
        _segment_pattern(a).fullmatch(x) for x in b_filled
    )


def paths_overlap(a: str, b: str) -> bool:
    """Whether one request path could match both route paths (neither holds a `:path` parameter)."""
    first, second = a.strip("/").split("/"), b.strip("/").split("/")
    return len(first) == len(second) and all(_segments_overlap(x, y) for x, y in zip(first, second, strict=True))


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ("/cases/{case_id}", "/cases/mine", True),
        ("/cases/{case_id:id}", "/cases/mine", False),
        ("/cases/{case_id:id}", "/cases/{other_id:id}", True),
        ("/cases/{case_id:id}/notices/{event_id:id}.docx", "/cases/{case_id:id}/notices/{x}", True),
        ("/cases/{case_id:id}/notices/{event_id:id}.docx", "/cases/{case_id:id}/notices/new", False),
        ("/enterprises/lists/{code}", "/enterprises/lists/{code}/export.xlsx", False),
        ("/cases/ledger", "/cases/ledger.xlsx", False),
    ],
)
def test_paths_overlap(a: str, b: str, overlap: bool) -> None:
    assert paths_overlap(a, b) is overlap
    assert paths_overlap(b, a) is overlap


def test_no_request_could_match_two_routes_so_router_order_does_not_matter(
    routes: list[tuple[str, set[str], BaseRoute]],
) -> None:
    """`/cases/new` can never be taken by `/cases/{case_id:id}`: ids are typed ({name:id}), and a word parameter
    has no literal sibling at its place."""
    assert not any(":path}" in path for path, _methods, _route in routes)
    clashes = [
        f"{sorted(m1 & m2)} {p1} / {p2}"
        for i, (p1, m1, _r1) in enumerate(routes)
        for p2, m2, _r2 in routes[i + 1 :]
        if m1 & m2 and paths_overlap(p1, p2)
    ]
    assert clashes == []


def test_no_async_route_works_with_the_database_on_the_event_loop(
    routes: list[tuple[str, set[str], BaseRoute]],
) -> None:
    """A route that is a coroutine runs on the event loop: if it queried or wrote through its (synchronous) session
    there, it would stall the loop while it waits for another request's lock, and that request's commit, run in the
    thread pool after its route, waits for the loop: the two deadlock (bench/intake.py found this with two
    overlapping complaints). A route that must await its body reads it in an async dependency
    (`web.forms.PostedFields`, `RawBody`) and is a plain function; or it hands every use of the session to the
    thread pool (`run_in_threadpool(f, db, …)`)."""
    wrong = []
    for path, methods, route in routes:
        if not isinstance(route, APIRoute) or not inspect.iscoroutinefunction(route.endpoint):
            continue
        sessions = {
            p.name for p in route.dependant.dependencies if p.call in (get_db, unit_of_work) and p.name is not None
        }
        if not sessions:
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(route.endpoint)))
        handed = {
            id(arg)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call) and ast.unparse(call.func).endswith(("run_in_threadpool", "run_sync"))
            for arg in call.args
        }
        # the parameters are `ast.arg`s: every `ast.Name` of the session is a use of it in the body
        if any(isinstance(n, ast.Name) and n.id in sessions and id(n) not in handed for n in ast.walk(tree)):
            wrong.append(f"{sorted(methods)} {path}")
    assert wrong == []
