"""The unit of work of a route that writes (issue 14): committed after the route returns and before its answer is
sent, rolled back when the route raises, and a commit that fails answers with the error page, never a success."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from starlette.types import Receive, Scope, Send

from ecoloop.audit.service import Actor, set_actor
from ecoloop.enterprises.models import SupervisionList
from ecoloop.settings import Settings
from ecoloop.web.app import create_app
from ecoloop.web.deps import UnitOfWork


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
