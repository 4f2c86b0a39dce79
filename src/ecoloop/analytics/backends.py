"""The one place that opens the analytics backend named by `ANALYTICS_URL`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import reduce
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

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


def spark_conf(url: str) -> dict[str, str]:
    """The Spark settings a `pyspark://` URL names (docs/scale.md): every query parameter is one
    (`?spark.master=spark://host:7077&spark.executor.memory=8g`), and a path is the SQL warehouse directory,
    relative with three slashes and absolute with four, as for DuckDB."""
    parts = urlsplit(url)
    conf = dict(parse_qsl(parts.query, keep_blank_values=True))
    path = parts.netloc + parts.path
    if path not in ("", "/"):
        conf["spark.sql.warehouse.dir"] = str(Path(path[1:] if path.startswith("/") else path).resolve())
    return conf


def connect_spark(url: str) -> Any:
    """The Ibis backend of a SparkSession built from `url` (`spark_conf`), or the running session's.

    ibis's own `pyspark://` reading sets the URL's settings on the session after it started, which Spark refuses
    for the master and every static setting; here they go to the session builder.
    """
    # Imported here: pyspark is the optional `spark` extra.
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in spark_conf(url).items():
        builder = builder.config(key, value)
    return ibis.pyspark.connect(builder.getOrCreate())


def connect(settings: Settings) -> Any:
    """The Ibis backend for `settings.analytics_url` (embedded DuckDB by default, `pyspark://` for Spark)."""
    # Any: ibis backends share no static type that mypy can follow; callers use the BaseBackend API.
    url = resolve_url(settings.analytics_url)
    if url.startswith("pyspark:"):
        return connect_spark(url)
    return ibis.connect(url)


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


@contextmanager
def scratch(tables: Mapping[str, pa.Table]) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection for one parameterised read of Parquet files straight into numpy, with the
    Arrow `tables` registered under their names (a read that must hand tens of millions of values to numpy
    without an expression to compile: the electricity checks, `electricity/archive.py`). Closed afterwards."""
    connection = duckdb.connect()
    try:
        for name, table in tables.items():
            connection.register(name, table)
        yield connection
    finally:
        connection.close()


def read_parquet_files(backend: Any, paths: Sequence[Path]) -> ir.Table:
    """One table over Parquet files of one schema, whose directory names (`interval=hour/date=…`) are not read
    as columns."""
    names = [str(p) for p in paths]
    if backend.name == "duckdb":
        return backend.read_parquet(names, hive_partitioning=False)
    # Ibis hands other engines (Spark) one path at a time.
    tables: list[ir.Table] = [backend.read_parquet(name) for name in names]
    return reduce(lambda a, b: a.union(b), tables)


def compile_sql(expr: ir.Table, engine: str) -> str:
    """The SQL of `expr` in the dialect of `engine` ("duckdb", "pyspark"), for a statement run many times
    (`run_sql`): compiling large expressions costs far more than running them on little data."""
    return str(ibis.to_sql(expr, dialect=engine))


def run_sql(backend: Any, sql: str) -> pa.Table:
    """The rows of a statement `compile_sql` made for this backend's engine, as Arrow (run as it is: wrapping it
    in an expression would parse it again)."""
    answer = backend.raw_sql(sql)
    result: pa.Table = answer.fetch_arrow_table() if backend.name == "duckdb" else answer.toArrow()
    return result


def temporary(backend: Any, name: str, t: ir.Table) -> None:
    """`t` under `name` for compiled statements: computed once into a temporary table on DuckDB, a temporary view
    on Spark (which plans the whole query anyway)."""
    if backend.name == "duckdb":
        backend.create_table(name, t, temp=True, overwrite=True)
    else:
        backend.create_view(name, t, overwrite=True)


@contextmanager
def materialised(backend: Any, t: ir.Table) -> Iterator[ir.Table]:
    """`t` computed once for several reads made of it: on DuckDB a temporary table of `backend`, dropped afterwards;
    on another engine the expression itself. (`Table.cache` puts an expression made of in-memory tables alone, such
    as the hot store's rows, on ibis' default backend instead, where `backend` does not find it.)"""
    if backend.name != "duckdb":
        yield t
        return
    name = f"materialised_{uuid.uuid4().hex}"
    backend.create_table(name, t, temp=True)
    try:
        yield backend.table(name)
    finally:
        backend.drop_table(name, force=True)
