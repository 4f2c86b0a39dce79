"""The one place that opens the analytics backend named by `ANALYTICS_URL`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import reduce
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir

from ecoloop.settings import Settings


def resolve_url(url: str) -> str:
    """`url` with a DuckDB file path made absolute.

    As with SQLAlchemy URLs, `duckdb:///var/x.duckdb` (three slashes) is relative to the working directory and
    `duckdb:////srv/x.duckdb` (four) is absolute; `duckdb://` alone is an in-memory database.
    """
    if not url.startswith("duckdb://"):
        return url
    rest = url.removeprefix("duckdb://")
    if rest in ("", "/", "/:memory:", ":memory:"):
        return "duckdb://"
    path = rest[1:] if rest.startswith("/") else rest
    resolved = Path(path).resolve()
    resolved.parent.mkdir(parents=True, exist_ok=True)
    return f"duckdb://{resolved}"


def connect(settings: Settings) -> Any:
    """The Ibis backend for `settings.analytics_url` (embedded DuckDB by default, `pyspark://` for Spark)."""
    # Any: ibis backends share no static type that mypy can follow; callers use the BaseBackend API.
    return ibis.connect(resolve_url(settings.analytics_url))


@contextmanager
def reading(settings: Settings) -> Iterator[Any]:
    """A backend for one read of stored readings (`analytics/sites.py`) on the engine of `ANALYTICS_URL`.

    Embedded DuckDB reads in memory, one database per read: such a read keeps nothing, a DuckDB file admits one
    process at a time (the web server, the scheduler and the alerts engine read at once), and a DuckDB connection
    serves one thread. Another engine (Spark) is reached through `connect`.
    """
    if not settings.analytics_url.startswith("duckdb://"):
        yield connect(settings)
        return
    backend = ibis.duckdb.connect()
    try:
        yield backend
    finally:
        backend.disconnect()


def read_parquet_files(backend: Any, paths: Sequence[Path]) -> ir.Table:
    """One table over Parquet files of one schema, whose directory names (`interval=hour/date=…`) are not read
    as columns."""
    names = [str(p) for p in paths]
    if backend.name == "duckdb":
        return backend.read_parquet(names, hive_partitioning=False)
    # Ibis hands other engines (Spark) one path at a time.
    tables: list[ir.Table] = [backend.read_parquet(name) for name in names]
    return reduce(lambda a, b: a.union(b), tables)
