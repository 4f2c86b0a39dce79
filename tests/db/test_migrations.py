"""Migrations run unchanged on SQLite and PostgreSQL, and match the models."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import alembic_config, check, upgrade
from ecoloop.readings.parquet import readings
from ecoloop.readings.store import HotStore
from ecoloop.settings import Settings
from ecoloop.tables import Base
from tests.factories import plant_implausible_readings


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.sqlite'}"
    base = request.getfixturevalue("pg_url")
    engine = make_engine(base, isolation_level="AUTOCOMMIT")
    name = f"migrations_{tmp_path.name[-20:].lower().replace('-', '_')}"
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return base.rsplit("/", 1)[0] + f"/{name}"


def test_upgrade_creates_every_table_and_matches_models(fresh_url: str) -> None:
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    check(fresh_url)  # raises when autogenerate would find differences


def test_downgrade_to_base_and_upgrade_again(fresh_url: str) -> None:
    upgrade(fresh_url)
    command.downgrade(alembic_config(fresh_url), "base")
    engine = make_engine(fresh_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    upgrade(fresh_url)
    engine = make_engine(fresh_url)
    assert "audit_records" in inspect(engine).get_table_names()
    engine.dispose()


def test_upgrade_twice_is_harmless(fresh_url: str) -> None:
    upgrade(fresh_url)
    upgrade(fresh_url)


def test_upgrading_to_0007_sets_implausible_stored_readings_aside(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite'}"
    settings = Settings(database_url=url, data_dir=tmp_path)
    upgrade(url, "0006", settings)
    store = HotStore(settings.hot_store_path)
    good_ts = plant_implausible_readings(store, settings.parquet_root, 1, int(datetime.now(UTC).timestamp() * 1000))

    upgrade(url, "head", settings)

    assert [int(t.timestamp()) for t in store.hot_table()["time"].to_pylist()] == []
    counts = store.packet_counts()
    assert sum(n for (outcome, reason), n in counts.items() if outcome == "rejected") == 9
    assert counts[("rejected", "time_out_of_range")] == 4
    assert [(int(r["time"].timestamp()), r["value"]) for r in readings(store, settings.parquet_root).to_pylist()] == [
        (good_ts, 50.0)
    ]
    store.close()
