"""Shared fixtures: settings, real PostgreSQL and SQLite databases (migrated with Alembic), the web app.

Markers say what a test needs, and are put on by `pytest_collection_modifyitems` below, so that nobody has to
remember them: `pg` (a PostgreSQL server), `e2e` (Chromium and a server process), `slow` (the tests in SLOW).
`make test-fast` leaves all three out (docs/development/testing.md)."""

from __future__ import annotations

import os
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
E2E = Path(__file__).resolve().parent / "e2e"
PG_FIXTURES = frozenset({"pg_url", "hot_pg_url"})
WITHOUT_POSTGRES = "TESTS_WITHOUT_POSTGRES"  # set by `make test-fast`: starting PostgreSQL is then an error

# Tests marked `slow`: each takes a second or more on its own (measured with `--durations`: CPU, or waiting out
# timeouts), by what it does, not by a fixture that could be shared. An entry is a file, or a test in it (all its
# parametrised cases). A test that moves or is renamed moves here too (tests/test_markers.py checks the names).
SLOW = {
    "tests/demo/test_network.py": "each test loads the whole demo city (75 sites, 280 boundaries)",
    "tests/demo/test_history.py::test_replaying_stations_get_their_sources_recent_history_scaled": "the demo city",
    "tests/ingest/test_files.py::test_history_shifted_by_whole_years_ends_now": "reads the Beijing history file",
    "tests/cli/test_registries.py": "the CLI on a freshly migrated database",
    "tests/test_new_city.py": "a city from nothing by the CLI, with a receiver process",
    "tests/test_cli.py": "each command runs in-process on a database it migrates from nothing; some load the demo",
    "tests/test_exports.py::test_data_export_command_writes_no_formula": "the CLI on a freshly migrated database",
    "tests/web/test_api_fuzz.py": "schemathesis generates hundreds of API requests",
    "tests/web/test_crawl_zh.py::test_every_page_is_in_chinese": "loads the demo city, visits every page per role",
    "tests/web/test_escaping.py::test_no_stored_value_becomes_markup_on_any_page": "plants text, visits every page",
    "tests/web/test_escaping.py::test_values_typed_into_every_form_stay_text": "submits every form",
    "tests/web/test_caching.py::test_every_answer_to_a_signed_in_user_is_not_stored": "visits every page",
    "tests/web/test_pages.py::test_every_menu_entry_opens": "visits every menu entry per role",
    "tests/web/test_pages.py::test_pages_by_role": "visits every page per role",
    "tests/web/test_ids.py::test_an_id_no_row_can_have_is_not_found_on_every_route": "every route",
    "tests/web/test_concurrency.py": "many simultaneous requests in threads",
    "tests/ingest/test_server.py::test_worker_processes_share_the_port_and_the_store": "receiver processes",
    "tests/ingest/test_server.py::test_acknowledged_readings_survive_sigkill": "a receiver process, killed",
    "tests/ingest/test_files.py::test_committed_beijing_copy_converts_completely": "the whole Beijing sample",
    "tests/readings/test_store.py::test_several_processes_write_at_once": "writer processes",
    "tests/readings/test_store.py::test_the_wal_stays_bounded_under_sustained_writes": "sustained writes",
    "tests/analytics/test_aqi.py::test_property_hourly_agrees": "hypothesis over the Beijing sample",
    "tests/analytics/test_air.py::test_pipeline_agrees_with_scalar_functions": "a season of the Beijing sample",
    "tests/demo/test_service.py::test_load_is_complete_and_idempotent": "loads the demo city twice",
    "tests/demo/test_service.py::test_demo_accounts_fit_their_roles": "loads the demo city",
    "tests/demo/test_service.py::test_every_station_and_outlet_has_a_data_logger": "loads the demo city",
    "tests/demo/test_cases.py::test_the_demo_has_cases_in_every_state": "loads the demo cases",
    "tests/demo/test_cases.py::test_the_alert_cases_have_their_alerts_closed_with_their_case": "loads the demo cases",
    "tests/demo/test_cases.py::test_without_storage_no_evidence_files": "loads the demo cases",
    "tests/demo/test_enterprises.py::test_load_adds_the_files_once_and_quickly": "loads the demo enterprises twice",
    "tests/demo/simulator/test_loggers.py::test_cli_simulates_the_demo_devices": "the simulator over the demo",
    "tests/readings/test_store.py::test_writers_creating_a_new_store_at_once_all_succeed": "writer processes",
    "tests/intake/test_ratelimit.py::test_processes_hitting_one_key_of_a_sqlite_file_lose_no_count": "processes",
    "tests/intake/test_keyring.py::test_processes_starting_at_once_share_one_key_file": "processes",
    "tests/web/test_client_address.py::test_the_served_app_ignores_a_forwarded_for_from_localhost": "uvicorn on TCP",
    "tests/ingest/test_server_limits.py::test_connections_that_never_send_a_valid_packet_are_closed": "waits timeouts",
    "tests/ingest/test_server_connections.py::test_two_thousand_connections_held_open_at_once": "2,000 sockets",
    "tests/identity/test_service.py::test_ip_locks_after_five_failures_on_any_accounts": "Argon2, slow on purpose",
    "tests/identity/test_service.py::test_account_locks_after_five_failures_then_unlocks": "Argon2, slow on purpose",
    "tests/identity/test_service.py::test_a_deactivated_account_answers_as_slowly_as_a_wrong_password": "Argon2",
    "tests/identity/test_links.py::test_a_user_created_without_a_password_cannot_sign_in_with_any": "Argon2 x4",
    "tests/reports/test_pages.py::test_each_brief_renders_as_a4_pages_saying_its_title_and_numbers": "LibreOffice",
    "tests/reports/test_pages.py::test_a_non_docx_is_refused_and_a_late_converter_is_ended": "LibreOffice",
}


# The analytics engines (`backend`: DuckDB and Spark; `spark`: the run's Spark session) for every test of a read of
# many readings, in tests/analytics and tests/monitoring alike.
pytest_plugins = ["tests.analytics.engines"]


def is_slow(nodeid: str) -> bool:
    """Whether the test `nodeid` is listed in SLOW (as itself, one of its cases, or its file)."""
    return any(nodeid == entry or nodeid.startswith((f"{entry}::", f"{entry}[")) for entry in SLOW)


def needs_postgresql(item: pytest.Item) -> bool:
    """Whether a test uses the PostgreSQL server: one of its fixtures (directly or through other fixtures) is a
    PostgreSQL fixture, or it is the `postgresql` case of a parametrised backend (`params=["sqlite",
    "postgresql"]`, whose fixture asks for the server with `request.getfixturevalue`)."""
    if PG_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgresql" in callspec.params.values()


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what each test needs: `e2e` for everything under tests/e2e, `pg` for every test that uses PostgreSQL.

    Under pytest-xdist (`--dist loadgroup`) the tests of one file run on one worker, so that a module's fixtures
    are built once, and all the browser tests on one worker, so that one worker loads the demo city and runs its
    server, not each."""
    for item in items:
        if E2E in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))
        else:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))
        if needs_postgresql(item) or item.get_closest_marker("postgres_only"):
            item.add_marker(pytest.mark.pg)
        if is_slow(item.nodeid):
            item.add_marker(pytest.mark.slow)


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
    """The URL of a PostgreSQL cluster started for this test session (under pytest-xdist: for this worker)."""
    if os.environ.get(WITHOUT_POSTGRES):
        pytest.fail(
            f"{WITHOUT_POSTGRES} is set, yet this test starts PostgreSQL: it is not marked `pg` "
            f"(see needs_postgresql in tests/conftest.py)",
            pytrace=False,
        )
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
