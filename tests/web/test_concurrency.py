"""Several people at once (issue 13): simultaneous sign-ins, comments and case steps all succeed, on the embedded
SQLite database as on PostgreSQL; the requests run side by side in the app's thread pool, each with its own
database connection."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.app import create_app
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.service import Acting, register_case
from ecoloop.cases.workflow import State
from ecoloop.db.base import utcnow
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.factories import World, build_world
from tests.pg import fresh_schema
from tests.web.helpers import csrf_of, login, open_session, parse

PEOPLE = 8


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_settings(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Settings]:
    """Settings of an app whose database (SQLite file, or a PostgreSQL schema of its own) commits for real."""
    if request.param == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "ecoloop.sqlite")
        yield make_settings(tmp_path)
        return
    with fresh_schema(request.getfixturevalue("pg_url")) as url:
        upgrade(url)
        yield make_settings(tmp_path, database_url=url)


@pytest.fixture
def shared_db(shared_settings: Settings) -> Iterator[Session]:
    engine = make_engine(shared_settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
async def browsers(shared_settings: Settings) -> AsyncIterator[list[httpx.AsyncClient]]:
    """PEOPLE browsers (own cookies, own addresses) on one app."""
    app = create_app(shared_settings)
    async with AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=(f"10.3.0.{n + 1}", 50000)),
                    base_url="http://testserver",
                )
            )
            for n in range(PEOPLE)
        ]
        yield clients
    app.state.engine.dispose()


def new_case(db: Session, world: World, title: str) -> Case:
    acting = Acting(world.users["analyst"], world.principal(db, "analyst"))
    case = register_case(
        db,
        acting,
        source=CaseSource.COMPLAINT,
        category=Category.WATER,
        title=title,
        region=world.village_b,
        enterprise_id=world.enterprise_b.id,
        now=utcnow(),
    )
    db.commit()
    return case


async def test_simultaneous_sign_ins_comments_and_steps_all_succeed(
    shared_db: Session, browsers: list[httpx.AsyncClient]
) -> None:
    world = build_world(shared_db)
    shared_db.commit()
    cases = [new_case(shared_db, world, f"东王庄村生活污水直排入河 {n}") for n in range(PEOPLE)]

    signed_in = await asyncio.gather(*(login(browser, "analyst") for browser in browsers))
    assert [r.status_code for r in signed_in] == [303] * PEOPLE, [r.text[:200] for r in signed_in]

    pages = await asyncio.gather(
        *(browser.get(f"/cases/{case.id}") for browser, case in zip(browsers, cases, strict=True))
    )
    tokens = [csrf_of(page.text) for page in pages]
    target = cases[0].id
    comments = await asyncio.gather(
        *(
            browser.post(f"/cases/{target}/comments", data={"text": f"第{n}条意见", "csrf_token": token})
            for n, (browser, token) in enumerate(zip(browsers * 2, tokens * 2, strict=True))
        )
    )
    assert [r.status_code for r in comments] == [303] * 2 * PEOPLE

    deadline = (utcnow().date() + timedelta(days=30)).isoformat()
    steps = []
    for browser, case, page in zip(browsers, cases, pages, strict=True):
        form = parse(page.text).find("form", data_action="assign")
        assert form is not None
        values = form.fields() | {"unit_id": str(world.department.id), "deadline": deadline}
        values.pop("co_unit_ids", None)
        steps.append(browser.post(f"/cases/{case.id}/actions", data=values))
    assert [r.status_code for r in await asyncio.gather(*steps)] == [303] * PEOPLE

    shared_db.expire_all()
    commented = select(func.count()).where(CaseEvent.case_id == target, CaseEvent.kind == EventKind.COMMENTED)
    assert shared_db.scalar(commented) == 2 * PEOPLE
    assert {shared_db.get_one(Case, case.id).state for case in cases} == {State.ASSIGNED}


async def test_simultaneous_sign_ins_and_comments_with_a_session_each(
    shared_db: Session, browsers: list[httpx.AsyncClient]
) -> None:
    """The same people as in the form test, signed in without Argon2, each commenting three times at once."""
    world = build_world(shared_db)
    shared_db.commit()
    case = new_case(shared_db, world, "秸秆焚烧")
    for browser in browsers:
        open_session(shared_db, browser, "analyst")
    pages = await asyncio.gather(*(browser.get(f"/cases/{case.id}") for browser in browsers))
    posts = [
        browser.post(f"/cases/{case.id}/comments", data={"text": f"意见{n}", "csrf_token": csrf_of(page.text)})
        for browser, page in zip(browsers, pages, strict=True)
        for n in range(3)
    ]
    assert [r.status_code for r in await asyncio.gather(*posts)] == [303] * 3 * PEOPLE
