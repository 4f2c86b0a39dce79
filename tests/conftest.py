"""Shared fixtures: settings, real PostgreSQL and SQLite databases (migrated with Alembic), the web app."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import ecoloop.tables  # noqa: F401  # every table and its scope rule, as in every entry point
from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.settings import Settings
from tests.factories import World, build_world
from tests.pg import fresh_schema, postgres_cluster

SHARED = Path(__file__).resolve().parents[2] / "shared"


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings for a test: files under `tmp`, a fixed secret key."""
    values: dict[str, object] = {
        "database_url": f"sqlite:///{tmp / 'ecoloop.sqlite'}",
        "analytics_url": f"duckdb:///{tmp / 'analytics.duckdb'}",
        "data_dir": tmp,
        "secret_key": "test-secret-key-not-for-production",
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The URL of a PostgreSQL cluster started for this test session."""
    with postgres_cluster() as url:
        yield url


@pytest.fixture
def hot_pg_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL hot store of this test's own: a fresh schema in the session's cluster, dropped afterwards."""
    with fresh_schema(pg_url) as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test that needs a database of its own."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database on each backend; tests run inside a transaction that is rolled back."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'ecoloop.sqlite'}"
    upgrade(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def world(db: Session) -> World:
    """The small test city in the test's session."""
    return build_world(db)


@pytest.fixture
def app_settings(tmp_path: Path, sqlite_template: Path) -> Settings:
    """Settings of a web app with its own migrated SQLite database."""
    shutil.copy(sqlite_template, tmp_path / "ecoloop.sqlite")
    return make_settings(tmp_path)


@pytest.fixture
def app_db(app_settings: Settings) -> Iterator[Session]:
    """A session on the web app's database (commits are real: the app reads them)."""
    eng = make_engine(app_settings.database_url)
    with Session(eng, expire_on_commit=False) as session:
        yield session
    eng.dispose()


@pytest.fixture
def app_world(app_db: Session) -> World:
    """The test city, committed to the web app's database."""
    world = build_world(app_db)
    app_db.commit()
    return world


@pytest.fixture
async def client(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    from ecoloop.app import create_app

    app = create_app(app_settings)
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    app.state.engine.dispose()
