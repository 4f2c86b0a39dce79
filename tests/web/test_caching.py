"""No private response is cached (issue 13: private pages and downloads had no Cache-Control): every answer of
every route carries `Cache-Control: no-store` and `Pragma: no-cache`; the static files keep their caching, and the
region maps (issue 16) are kept by the user's browser only, revalidated with their ETag each time."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session

from ecoloop.app import create_app
from ecoloop.settings import Settings
from tests.factories import World
from tests.web.helpers import csrf_for, open_session
from tests.web.test_auth import api_routes

LIVE = {"/alerts/stream"}  # never ends by itself: tests/alerts/test_stream.py checks its headers


def get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the app, its path parameters filled with 1."""
    return sorted(
        re.sub(r"\{[^}]+\}", "1", path)
        for path, methods, _route in api_routes(app)
        if "GET" in methods and path not in LIVE
    )


REVALIDATED = ("/maps/", "/public/map.geojson")


def assert_not_stored(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    if response.request.url.path.startswith(REVALIDATED) and response.status_code in (200, 304):
        assert response.headers.get("cache-control") == "private, no-cache", where
        return
    assert response.headers.get("cache-control") == "no-store", where
    assert response.headers.get("pragma") == "no-cache", where


def test_the_walk_covers_the_pages_the_api_and_the_downloads(app_settings: Settings) -> None:
    app = create_app(app_settings)
    paths = get_paths(app)
    app.state.engine.dispose()
    assert len(paths) >= 50
    assert {"/", "/cases", "/api/v1/me", "/enterprises/import/template.xlsx", "/cases/1/attachments/1"} <= set(paths)


@pytest.mark.parametrize("username", ["admin", "enterprise_a"])
async def test_every_answer_to_a_signed_in_user_is_not_stored(
    client: httpx.AsyncClient, app_settings: Settings, app_db: Session, app_world: World, username: str
) -> None:
    open_session(app_db, client, username)
    app = create_app(app_settings)
    paths = get_paths(app)
    app.state.engine.dispose()
    statuses = set()
    for path in paths:
        response = await client.get(path)
        assert response.status_code < 500, path
        assert_not_stored(response)
        statuses.add(response.status_code)
    assert 200 in statuses

    csrf = await csrf_for(client)
    assert_not_stored(await client.post("/account/language", data={"locale": "zh_CN", "csrf_token": csrf}))
    assert_not_stored(await client.get("/api/v1/openapi.json"))


async def test_anonymous_answers_are_not_stored_either(client: httpx.AsyncClient) -> None:
    for path in ("/login", "/", "/api/v1/me", "/no-such-page"):
        assert_not_stored(await client.get(path))


async def test_a_region_map_is_kept_by_the_browser_and_revalidated(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    open_session(app_db, client, "analyst")
    url = f"/maps/regions/{app_world.city.id}.geojson"
    first = await client.get(url)
    again = await client.get(url, headers={"if-none-match": first.headers["etag"]})
    page = await client.get("/screen")

    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    assert "pragma" not in first.headers
    assert again.status_code == 304 and again.headers["cache-control"] == "private, no-cache"
    assert page.headers["cache-control"] == "no-store"  # the page holding the map is not kept
    client.cookies.clear()
    signed_out = await client.get(url)  # the sign-in redirect is not kept
    assert signed_out.status_code == 303 and signed_out.headers["cache-control"] == "no-store"


async def test_static_files_keep_their_caching(client: httpx.AsyncClient) -> None:
    response = await client.get("/static/app.css")

    assert response.status_code == 200
    assert "cache-control" not in response.headers
    assert "pragma" not in response.headers
    assert response.headers.get("etag")
    revalidated = await client.get("/static/app.css", headers={"if-none-match": response.headers["etag"]})
    assert revalidated.status_code == 304
