"""Stored readings for the results' tests: a hot store and a Parquet root in the test's directory, read on each
analytics engine (`backend`, tests/analytics/engines.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest

from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.readings.store import HotStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HotStore]:
    hot = HotStore(tmp_path / "hot.sqlite")
    yield hot
    hot.close()


@pytest.fixture
def stored(store: HotStore, tmp_path: Path, backend: Any) -> StoredReadings:
    return StoredReadings(store, tmp_path / "readings", lambda: sites.fixed(backend))


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Any]:
    """An in-memory DuckDB, for the tests whose engine does not matter (the Spark parity is tested once)."""
    con = ibis.duckdb.connect()
    yield con
    con.disconnect()


@pytest.fixture
def duck_stored(store: HotStore, tmp_path: Path, duck: Any) -> StoredReadings:
    return StoredReadings(store, tmp_path / "readings", lambda: sites.fixed(duck))
