"""The two analytics engines of the parity suite: embedded DuckDB and Spark in local mode, one session of each.

Spark needs the `spark` extra (`uv sync --extra spark`, which `make test` installs) and a Java 17 runtime
(`scripts/install-system-deps`); without pyspark the tests that ask for `engines` or `spark` are skipped. The
Spark session is opened through `ANALYTICS_URL` (`backends.connect`), as a deployment opens it, with code
generation's fallback turned off: a stage that Spark cannot compile fails the test instead of running slowly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pytest

from ecoloop.analytics.backends import connect
from tests.conftest import make_settings

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


@pytest.fixture(scope="session")
def duckdb_engine() -> Iterator[Any]:
    """The Ibis backend of one in-memory DuckDB for the parity suite."""
    backend = ibis.duckdb.connect()
    yield backend
    backend.disconnect()


Build = Callable[[Any], ir.Table]
"""A function from an Ibis backend to the expression to run on it (tables are registered per backend)."""


@dataclass(frozen=True)
class Engines:
    """DuckDB and Spark side by side: `same()` runs one expression on both and requires identical results."""

    duckdb: Any
    spark: Any

    def same(self, build: Build, keys: Sequence[str]) -> list[dict[str, Any]]:
        """Run `build(backend)` on both engines and assert the same columns and types and the same rows, sorted
        by `keys`, every value equal exactly (floats bit for bit, null as null); returns the rows."""
        duck, duck_schema = _rows(self.duckdb, build(self.duckdb), keys)
        spark, spark_schema = _rows(self.spark, build(self.spark), keys)
        assert duck_schema == spark_schema
        assert len(duck) == len(spark)
        for a, b in zip(duck, spark, strict=True):
            differing = {k: (a[k], b[k]) for k in a if not _equal(a[k], b[k])}
            assert not differing, ({k: a[k] for k in keys}, "DuckDB, Spark:", differing)
        return duck


@pytest.fixture(scope="session")
def engines(duckdb_engine: Any, spark: Any) -> Engines:
    """Both engines of the parity suite (the site assessment and any other read on Ibis can be added with
    `engines.same(lambda con: <expression on con>, keys=[...])`)."""
    return Engines(duckdb_engine, spark)


def _rows(backend: Any, expr: ir.Table, keys: Sequence[str]) -> tuple[list[dict[str, Any]], str]:
    table = backend.to_pyarrow(expr)
    rows = table.to_pylist()
    rows.sort(key=lambda row: tuple(row[k] for k in keys))
    return rows, str(expr.schema())


def _equal(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def data_path(*parts: str) -> Path:
    """A file of the repository (the Beijing sample lives in the demo package)."""
    return Path(__file__).resolve().parents[2].joinpath(*parts)
