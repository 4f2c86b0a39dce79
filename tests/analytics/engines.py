"""The analytics engines a read of many readings is tested on: embedded DuckDB and Spark in local mode.

`backend` (an open Ibis backend, one test case per engine) is what a test of such a read takes, in
tests/analytics and tests/monitoring alike, so the same expected rows hold on both engines (issue 14). `spark`
is one Spark local-mode session for the whole run, registered for every test by tests/conftest.py; it needs the
`spark` extra (`uv sync --extra spark`, which `make test` installs) and a Java 17 runtime, and is skipped without
pyspark. It is opened through `ANALYTICS_URL` (`backends.connect`), as a deployment opens it, with code
generation's fallback turned off: a stage that Spark cannot compile fails the test instead of running slowly.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from typing import Any

import ibis
import pytest

from ecoloop.analytics.backends import connect
from tests.conftest import make_settings

# py4j (Spark) leaves the sockets of finished calls to the garbage collector: modules testing on Spark add these.
PY4J_WARNINGS = [
    pytest.mark.filterwarnings("ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]

SPARK_TEST_CONF = {
    "spark.master": "local[2]",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    # A whole stage that does not compile raises instead of running interpreted (the default falls back).
    "spark.sql.codegen.fallback": "false",
}


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The Ibis backend of one Spark local-mode session for the whole test run."""
    pytest.importorskip("pyspark", reason="the Spark parity suite needs the spark extra: uv sync --extra spark")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    tmp = tmp_path_factory.mktemp("spark")
    query = "&".join(f"{k}={v}" for k, v in SPARK_TEST_CONF.items())
    backend = connect(make_settings(tmp, analytics_url=f"pyspark:///{tmp / 'warehouse'}?{query}"))
    yield backend
    backend.disconnect()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Each engine in turn: a fresh in-memory DuckDB, or the run's Spark session."""
    if request.param == "spark":
        yield request.getfixturevalue("spark")
        gc.collect()  # finalise py4j's sockets under the test module's warning filters
        return
    duckdb = ibis.duckdb.connect()
    try:
        yield duckdb
    finally:
        duckdb.disconnect()
