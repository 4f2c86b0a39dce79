"""The two analytics engines of the parity suite side by side: one in-memory DuckDB and the run's Spark session
(`spark`, tests/analytics/engines.py), and `Engines.same`, which runs one expression on both and requires the same
rows."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pytest


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
