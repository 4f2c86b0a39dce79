"""Numbers from a request never reach the database beyond its integers (issue 13: `/cases/9999…9` answered 500 with
OverflowError): every int a route takes (path, query, form, JSON body, at any depth) is bounded to PostgreSQL's
INTEGER, and requesting any route with an id beyond it or below 1 answers 404 (pages) or 422 (API), never 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from sqlalchemy.orm import Session

from ecoloop.alerts.models import Webhook
from ecoloop.app import create_app
from ecoloop.audit.models import AuditRecord
from ecoloop.cases.models import Case
from ecoloop.db.base import MAX_INT
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.models import User
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import csrf_for, open_session
from tests.web.test_auth import api_routes

HUGE = 99999999999999999999999
LIVE = {"/alerts/stream"}  # a feed that does not end by itself; its id-less path has no int


def _fields(dependant: Dependant) -> Iterator[tuple[str, FieldInfo]]:
    for param in (
        *dependant.path_params,
        *dependant.query_params,
        *dependant.header_params,
        *dependant.cookie_params,
        *dependant.body_params,
    ):
        yield param.name, param.field_info
    for sub in dependant.dependencies:
        yield from _fields(sub)


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models an annotation holds (itself, or inside list[...], X | None, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in getattr(annotation, "__args__", ()):
        yield from _models(arg)


def _leaves(name: str, info: FieldInfo) -> Iterator[tuple[str, FieldInfo]]:
    """The field and, for a model, each field of it at any depth."""
    yield name, info
    for model in _models(info.annotation):
        for sub_name, sub_info in model.model_fields.items():
            yield from _leaves(f"{name}.{model.__name__}.{sub_name}", sub_info)


def _keeps_a_huge_int(info: FieldInfo) -> bool:
    """Whether the field accepts an int beyond the database's (alone, or in a list) and keeps it as an int."""
    adapter: TypeAdapter[Any] = TypeAdapter(Annotated[info.annotation, info])
    for value in (HUGE, -HUGE, MAX_INT + 1, -MAX_INT - 2, [HUGE], [MAX_INT + 1], {"1": HUGE}):
        try:
            kept = adapter.validate_python(value)
        except (ValidationError, TypeError, ValueError):
            continue
        found = kept if isinstance(kept, list | tuple | set) else kept.values() if isinstance(kept, dict) else [kept]
        if any(isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT for v in found):
            return True
    return False


def test_every_int_a_route_takes_is_bounded_to_the_databases_integers(app_settings: Settings) -> None:
    app = create_app(app_settings)
    app.state.engine.dispose()
    unbounded = sorted(
        f"{','.join(sorted(methods))} {path}: {name}"
        for path, methods, route in api_routes(app)
        for field_name, info in _fields(route.dependant)
        for name, leaf in _leaves(field_name, info)
        if _keeps_a_huge_int(leaf)
    )
    assert unbounded == [], "\n".join(unbounded)


def id_routes(app: FastAPI) -> list[tuple[str, str, list[str]]]:
    """(method, path, its int path parameters) of every route with an int path parameter."""
    found = []
    for path, methods, route in api_routes(app):
        ints = [p.name for p in route.dependant.path_params if p.field_info.annotation is int]
        if ints and path not in LIVE:
            found += [(method, path, ints) for method in sorted(methods - {"HEAD"})]
    return found


@pytest.mark.parametrize("value", [str(HUGE), str(2**63), str(MAX_INT + 1), "-1", "0"])
async def test_an_id_no_row_can_have_is_not_found_on_every_route(
    client: httpx.AsyncClient, app_settings: Settings, app_db: Session, app_world: World, value: str
) -> None:
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)
    app = create_app(app_settings)
    app.state.engine.dispose()
    routes = id_routes(app)
    assert len(routes) > 40
    answers = {}
    for method, path, ints in routes:
        url = path
        for name in ints:
            url = url.replace("{" + name + "}", value)
        url = re.sub(r"\{[^}]+\}", "x", url)  # a path parameter that is not an id
        response = await client.request(method, url, headers={"X-CSRF-Token": csrf})
        answers[f"{method} {url}"] = response.status_code
    expected = {key: 422 if key.split()[1].startswith("/api/") else 404 for key in answers}
    assert answers == expected


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("GET", f"/admin/audit?before={HUGE}", None),
        ("GET", f"/api/v1/audit?before={HUGE}", None),
        ("GET", f"/api/v1/cases?offset={HUGE}", None),
        ("GET", f"/api/v1/alerts?offset={HUGE}", None),
        ("GET", f"/api/v1/enterprises?offset={HUGE}", None),
        ("GET", f"/cases?unit={HUGE}&batch={HUGE}", None),
        ("POST", "/alerts/webhooks", {"organisation_id": str(HUGE), "url": "https://example.org/hook"}),
        ("POST", "/alerts/notifications/read", {"ids": str(HUGE)}),
        ("POST", "/admin/organisations", {"code": "x1", "name": "x", "kind": "branch", "region_id": str(HUGE)}),
    ],
)
async def test_a_huge_number_in_a_query_or_form_is_refused_or_ignored(
    client: httpx.AsyncClient, app_db: Session, app_world: World, method: str, path: str, data: dict[str, str] | None
) -> None:
    open_session(app_db, client, "admin")
    csrf = await csrf_for(client)

    response = await client.request(method, path, data=data, headers={"X-CSRF-Token": csrf})

    assert response.status_code in (200, 303, 422), response.text[:300]


def test_the_largest_id_a_request_may_give_finds_nothing_on_both_databases(db: Session, world: World) -> None:
    """The bound is the databases' own: the largest id allowed is a valid lookup on SQLite and on PostgreSQL, whose
    id columns are INTEGER (one more is "integer out of range" there, even in a comparison)."""
    for model in (Case, Enterprise, User, Webhook, AuditRecord):
        assert db.get(model, MAX_INT) is None
