"""Shared fixtures of the intake tests: a registered partner platform with its key, and a database of a test's own
for work that commits in several sessions."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.intake import partners
from ecoloop.intake.models import Partner
from tests.alerts.test_webhooks import receiver  # noqa: F401  # the alert webhooks' real local receiver, a fixture
from tests.factories import World

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@dataclass
class Registered:
    """A partner platform as registered, with the key it was given (shown once)."""

    partner: Partner
    key: str


def register(db: Session, world: World, code: str = "police-video", name: str = "公安视频监控平台") -> Registered:
    partner, key = partners.register(
        db, world.users["admin"], world.principal(db, "admin"), code=code, name=name, region_id=None, now=T0
    )
    return Registered(partner, key)


@pytest.fixture
def registered(db: Session, world: World) -> Registered:
    """The police video platform, registered by the administrator."""
    return register(db, world)


@pytest.fixture
def own_engine(engine: Engine, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    """A migrated database of this test's own on the backend of `engine`, for work that commits in several
    sessions (the `db` fixture rolls back one connection's work)."""
    if engine.dialect.name == "sqlite":
        shutil.copy(sqlite_template, tmp_path / "own.sqlite")
        own = make_engine(f"sqlite:///{tmp_path / 'own.sqlite'}")
        yield own
        own.dispose()
        return
    name = f"test_{uuid.uuid4().hex[:12]}"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        url = engine.url.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        own = make_engine(url)
        yield own
        own.dispose()
    finally:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
