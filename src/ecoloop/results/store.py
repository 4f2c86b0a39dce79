"""Result tables kept as Parquet: `DATA_DIR/results/<table>/<unit>=<key>/part.parquet`.

Each table is partitioned by the local calendar (`day`, `month` or `year` of the local date its rows are about), so
that recomputing some days rewrites only their partitions, and a page reads only the partitions of its period.
Results are derived data: a partition can always be computed again from the readings (`results.service`), so a
write is a whole partition replaced atomically (a temporary file renamed over the old one); writers of one data
directory take a lock for a read-merge-write, and readers never wait (they see the old file or the new one).

Partitions are read through the analytics backend (`analytics.backends.read_parquet_files`), so that DuckDB or
Spark reads them alike (the directory must then be shared, as for the readings: docs/scale.md).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ecoloop.analytics import backends

Unit = Literal["day", "month", "year"]
LOCK_FILE = ".lock"


@dataclass(frozen=True)
class ResultTable:
    """One kind of result: its directory `name`, the calendar `unit` of its partitions, the `day_column` (a date)
    that places each row in a partition, and its Arrow `schema` (every partition has exactly these columns)."""

    name: str
    unit: Unit
    schema: pa.Schema
    day_column: str = "day"

    def key(self, day: date) -> str:
        """The partition holding rows about `day`: `2026-12-07`, `2026-12` or `2026`."""
        if self.unit == "day":
            return day.isoformat()
        if self.unit == "month":
            return f"{day.year:04d}-{day.month:02d}"
        return f"{day.year:04d}"

    def keys(self, first: date, last: date) -> list[str]:
        """The partitions that rows about the days first…last (inclusive) lie in, in order."""
        found: list[str] = []
        day = first
        while day <= last:
            key = self.key(day)
            if not found or found[-1] != key:
                found.append(key)
            day = _next(day, self.unit)
        if found and found[-1] != self.key(last):
            found.append(self.key(last))
        return found

    def path(self, root: Path, key: str) -> Path:
        return root / self.name / f"{self.unit}={key}" / "part.parquet"

    def empty(self) -> pa.Table:
        return self.schema.empty_table()


def _next(day: date, unit: Unit) -> date:
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return date(day.year + 1, 1, 1)


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the results' write lock of this data directory (one writer merges a partition at a time)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write(root: Path, table: ResultTable, key: str, rows: pa.Table) -> None:
    """Replace partition `key` of `table` with `rows` (cast to the table's schema), atomically. An empty `rows`
    is written too: "computed, nothing to show" differs from "not computed yet"."""
    path = table.path(root, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".part-{os.getpid()}.parquet")
    pq.write_table(rows.select(table.schema.names).cast(table.schema), tmp, compression="zstd")
    os.replace(tmp, path)


def read_partition(root: Path, table: ResultTable, key: str) -> pa.Table | None:
    """A partition's rows as they are kept, or None when it was never computed."""
    path = table.path(root, key)
    try:
        return pq.read_table(path, schema=table.schema)
    except FileNotFoundError:
        return None


def replace_days(root: Path, table: ResultTable, rows: pa.Table, days: Sequence[date]) -> int:
    """Store `rows` as the results of `days`: in each partition those days touch, the rows of those days are
    replaced by the given ones and the other days' rows kept. Returns the number of partitions written.

    Call it holding `locked(root)` when another process may write the same table.
    """
    wanted = sorted(set(days))
    by_key: dict[str, list[date]] = {}
    for day in wanted:
        by_key.setdefault(table.key(day), []).append(day)
    rows = rows.select(table.schema.names).cast(table.schema)
    column = table.day_column
    for key, key_days in by_key.items():
        day_values = pa.array(key_days, pa.date32())
        new = rows.filter(pc.is_in(rows[column], value_set=day_values))
        old = read_partition(root, table, key)
        if old is not None and old.num_rows:
            kept = old.filter(pc.invert(pc.is_in(old[column], value_set=day_values)))
            new = pa.concat_tables([kept, new]) if kept.num_rows else new
        new = new.sort_by([(column, "ascending")])
        write(root, table, key, new)
    return len(by_key)


def files(root: Path, table: ResultTable, first: date, last: date) -> list[Path]:
    """The existing partition files of `table` that hold rows about first…last."""
    paths = [table.path(root, key) for key in table.keys(first, last)]
    return [p for p in paths if p.exists()]


def computed_days(root: Path, table: ResultTable, first: date, last: date) -> set[date]:
    """The days of first…last whose partition exists (whether or not it holds rows for that day)."""
    present = {key for key in table.keys(first, last) if table.path(root, key).exists()}
    days: set[date] = set()
    day = first
    while day <= last:
        if table.key(day) in present:
            days.add(day)
        day += timedelta(days=1)
    return days


def scan(con: Any, root: Path, table: ResultTable, first: date, last: date) -> ir.Table | None:
    """The rows of `table` about first…last as an Ibis table on the backend `con`, or None when no partition of
    the period was computed."""
    paths = files(root, table, first, last)
    if not paths:
        return None
    t = backends.read_parquet_files(con, paths)
    day = t[table.day_column].cast("date")
    return t.filter((day >= first) & (day <= last))
