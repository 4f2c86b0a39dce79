"""Shared fixtures of the readings tests: a hot store of each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecoloop.readings.store import HotStore


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's hot store lives: an SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("hot_pg_url")
        return url
    return str(tmp_path / "hot.sqlite")


@pytest.fixture
def store(location: str) -> Iterator[HotStore]:
    hot = HotStore(location)
    yield hot
    hot.close()
