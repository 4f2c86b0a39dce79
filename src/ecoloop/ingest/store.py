"""The readings store: a durable hot store that acknowledges, compacted into date-partitioned Parquet.

Why two tiers: the receiver, the web server, the scheduler and CLI commands are separate processes, and a
DuckDB database file admits one writing process (the others cannot even open it). So:

- **Hot store** — one SQLite file in WAL mode (`DATA_DIR/ingest/hot.sqlite`), `synchronous=FULL`: a reading
  is acknowledged only after the transaction that holds it is on disk. Many writers take turns (the receiver
  batches thousands of readings per commit); readers never block writers. Readings are upserted on
  (site, parameter, interval, time): a re-sent packet changes nothing. Every raw packet, accepted or
  rejected, is archived here with its outcome and reason.
- **Parquet** — `compact()` moves readings into `DATA_DIR/readings/interval=<kind>/date=<YYYY-MM-DD>/part.parquet`
  (one file per partition, rewritten atomically with the merged, de-duplicated rows). Any process reads them
  with DuckDB — or Spark — without a lock; `readings()` adds the rows still in the hot store.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


class Interval(StrEnum):
    """The kind of value: real-time (HJ 212 CN 2011), minute (2051), hourly (2061) or daily (2031) data."""

    REALTIME = "realtime"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"


class Outcome(StrEnum):
    """What happened to a received packet."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    IGNORED = "ignored"


@dataclass(frozen=True)
class Reading:
    """One value of one parameter at one site for one interval; `time` is timezone-aware."""

    site_id: int
    parameter: str
    interval: Interval
    time: datetime
    value: float | None
    flag: str | None = None
    source: str = "hj212"


@dataclass(frozen=True)
class RawPacket:
    """A received packet as it came, with what became of it."""

    received_at: datetime
    peer: str
    frame: bytes
    outcome: Outcome
    reason: str | None = None
    detail: str | None = None
    mn: str | None = None
    cn: str | None = None


READINGS_SCHEMA = pa.schema(
    [
        ("site_id", pa.int64()),
        ("parameter", pa.string()),
        ("interval", pa.string()),
        ("time", pa.timestamp("s", tz="UTC")),
        ("value", pa.float64()),
        ("flag", pa.string()),
        ("source", pa.string()),
        ("received_at", pa.timestamp("ms", tz="UTC")),
    ]
)

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS readings (
    site_id INTEGER NOT NULL,
    parameter TEXT NOT NULL,
    interval TEXT NOT NULL,
    ts INTEGER NOT NULL,
    value REAL,
    flag TEXT,
    source TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, parameter, interval, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS raw_packets (
    id INTEGER PRIMARY KEY,
    received_at INTEGER NOT NULL,
    peer TEXT NOT NULL,
    mn TEXT,
    cn TEXT,
    outcome TEXT NOT NULL,
    reason TEXT,
    detail TEXT,
    frame BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_raw_packets_mn ON raw_packets (mn, received_at);
CREATE INDEX IF NOT EXISTS ix_raw_packets_outcome ON raw_packets (outcome, reason);
"""

# Insert, or replace only when the value or flag differ: an identical re-send changes nothing (not even
# received_at), a corrected value from the device replaces the old one.
_UPSERT = """
INSERT INTO readings (site_id, parameter, interval, ts, value, flag, source, received_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (site_id, parameter, interval, ts) DO UPDATE SET
    value = excluded.value, flag = excluded.flag, source = excluded.source, received_at = excluded.received_at
WHERE readings.value IS NOT excluded.value OR readings.flag IS NOT excluded.flag
"""


_ARCHIVE = (
    "INSERT INTO raw_packets (received_at, peer, mn, cn, outcome, reason, detail, frame) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _row(r: Reading, received: int) -> tuple[Any, ...]:
    return (r.site_id, r.parameter, r.interval.value, _epoch_ms(r.time) // 1000, r.value, r.flag, r.source, received)


def _archived(p: RawPacket) -> tuple[Any, ...]:
    return (_epoch_ms(p.received_at), p.peer, p.mn, p.cn, p.outcome.value, p.reason, p.detail, p.frame)


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; the store keeps aware UTC instants")
    return int(moment.timestamp() * 1000)


class HotStore:
    """The durable, multi-process hot store (one SQLite file in WAL mode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connection() as conn:
            conn.executescript(_SCHEMA_SQL)

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit returns only once the WAL is on disk, so an acknowledged reading survives a crash.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def write(self, readings: Sequence[Reading], packets: Sequence[RawPacket] = (), now: datetime | None = None) -> int:
        """Store readings and archive packets in one durable transaction; returns how many readings changed."""
        return self.write_batches([(readings, packets)], now)[0]

    def write_batches(
        self, batches: Sequence[tuple[Sequence[Reading], Sequence[RawPacket]]], now: datetime | None = None
    ) -> list[int]:
        """Several writers' readings and packets in one durable transaction (group commit); the changed-reading
        count of each batch, in order."""
        received = _epoch_ms(now or datetime.now(UTC))
        counts: list[int] = []
        with self._transaction() as conn:
            for readings, packets in batches:
                before = conn.total_changes
                conn.executemany(_UPSERT, [_row(r, received) for r in readings])
                counts.append(conn.total_changes - before)
                conn.executemany(_ARCHIVE, [_archived(p) for p in packets])
        return counts

    def hot_table(self, before_ms: int | None = None, site_id: int | None = None) -> pa.Table:
        """Readings still in the hot store (received before `before_ms`, of one site, when given) as Arrow."""
        sql = "SELECT site_id, parameter, interval, ts, value, flag, source, received_at FROM readings WHERE 1=1"
        params: list[Any] = []
        if before_ms is not None:
            sql += " AND received_at < ?"
            params.append(before_ms)
        if site_id is not None:
            sql += " AND site_id = ?"
            params.append(site_id)
        rows = self._connection().execute(sql, params).fetchall()
        return _to_arrow(rows)

    def packet_counts(self) -> dict[tuple[str, str | None], int]:
        """Archived packets per (outcome, reason)."""
        rows = self._connection().execute("SELECT outcome, reason, count(*) FROM raw_packets GROUP BY 1, 2")
        return {(outcome, reason): count for outcome, reason, count in rows}

    def delete_compacted(self, keys: Iterable[tuple[int, str, str, int, int]]) -> None:
        """Remove readings that are now in Parquet, unless they changed since (same key and received_at)."""
        with self._transaction() as conn:
            conn.executemany(
                "DELETE FROM readings WHERE site_id=? AND parameter=? AND interval=? AND ts=? AND received_at=?",
                list(keys),
            )

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _to_arrow(rows: list[tuple[Any, ...]]) -> pa.Table:
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in range(8)]
    return pa.table(
        {
            "site_id": pa.array(columns[0], pa.int64()),
            "parameter": pa.array(columns[1], pa.string()),
            "interval": pa.array(columns[2], pa.string()),
            "time": pa.array(columns[3], pa.int64()).cast(pa.timestamp("s", tz="UTC")),
            "value": pa.array(columns[4], pa.float64()),
            "flag": pa.array(columns[5], pa.string()),
            "source": pa.array(columns[6], pa.string()),
            "received_at": pa.array(columns[7], pa.int64()).cast(pa.timestamp("ms", tz="UTC")),
        },
        schema=READINGS_SCHEMA,
    )


KEY = ["site_id", "parameter", "interval", "time"]


def _same(a: pa.Array, b: pa.Array) -> pa.Array:
    """Element-wise equality where two nulls are equal."""
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.or_(pc.fill_null(pc.equal(a, b), False), both_null)


def _shifted(table: pa.Table, names: Sequence[str]) -> pa.Array:
    """For rows 1..n-1: whether the columns `names` equal those of the row before."""
    same = None
    for name in names:
        column = table[name].combine_chunks()
        equal = _same(column.slice(1), column.slice(0, len(column) - 1))
        same = equal if same is None else pc.and_(same, equal)
    assert same is not None
    return same


def _dedupe(table: pa.Table) -> pa.Table:
    """One row per key: the latest value received; re-sends of an unchanged value keep the first receipt."""
    if table.num_rows <= 1:
        return table
    ordered = table.sort_by([*((k, "ascending") for k in KEY), ("received_at", "ascending")])
    repeat = pc.and_(_shifted(ordered, KEY), _shifted(ordered, ("value", "flag")))
    ordered = ordered.filter(pa.concat_arrays([pa.array([True]), pc.invert(repeat)]))
    if ordered.num_rows <= 1:
        return ordered
    superseded = _shifted(ordered, KEY)  # row i-1 has the same key as row i: keep only the last of each key
    return ordered.filter(pa.concat_arrays([pc.invert(superseded), pa.array([True])]))


def partition_path(root: Path, interval: str, day: str) -> Path:
    """The Parquet file of one (interval, date) partition."""
    return root / f"interval={interval}" / f"date={day}" / "part.parquet"


def merge_into_parquet(table: pa.Table, root: Path) -> int:
    """Merge readings into their (interval, date) Parquet partitions; returns the rows merged.

    Each touched partition is rewritten from its old rows plus the new ones, de-duplicated (`_dedupe`), into a
    temporary file that is fsynced and renamed into place, so a reader never sees a half-written partition.
    History files go straight here; the hot store gets here through `compact`.
    """
    if table.num_rows == 0:
        return 0
    days = pc.strftime(table["time"], format="%Y-%m-%d")
    keyed = table.append_column("_part", pc.binary_join_element_wise(table["interval"], days, "/"))
    keyed = keyed.sort_by([("_part", "ascending")])
    offset = 0
    for entry in pc.value_counts(keyed["_part"]).to_pylist():
        part_key, count = str(entry["values"]), int(entry["counts"])
        interval, day = part_key.split("/")
        part = keyed.slice(offset, count).drop_columns(["_part"])
        offset += count
        path = partition_path(root, interval, day)
        merged = pa.concat_tables([pq.read_table(path, schema=READINGS_SCHEMA), part]) if path.exists() else part
        merged = _dedupe(merged)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        pq.write_table(merged, tmp, compression="zstd")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    rows: int = table.num_rows
    return rows


def compact(store: HotStore, root: Path, before: datetime | None = None) -> int:
    """Move hot readings received before `before` into their Parquet partitions; returns rows moved.

    The partitions are merged first (`merge_into_parquet`); only then are the rows removed from the hot store,
    unless they changed meanwhile. A crash at any point leaves every reading in the hot store, in Parquet, or
    both — and both de-duplicate to one.
    """
    hot = store.hot_table(_epoch_ms(before) if before else None)
    moved = merge_into_parquet(hot, root)
    if moved:
        keys = zip(
            hot["site_id"].to_pylist(),
            hot["parameter"].to_pylist(),
            hot["interval"].to_pylist(),
            [int(t.timestamp()) for t in hot["time"].to_pylist()],
            [int(t.timestamp() * 1000) for t in hot["received_at"].to_pylist()],
            strict=True,
        )
        store.delete_compacted(keys)
    return moved


def parquet_glob(root: Path) -> str:
    """The glob of every Parquet partition, for `read_parquet(..., hive_partitioning=true)` in DuckDB or Spark."""
    return str(root / "interval=*" / "date=*" / "part.parquet")


def readings(store: HotStore, root: Path, site_id: int | None = None) -> pa.Table:
    """Stored readings, compacted and hot (of one site when given), one row per key as `_dedupe` keeps it."""
    files = sorted(root.glob("interval=*/date=*/part.parquet"))
    filters = None if site_id is None else [("site_id", "=", site_id)]
    tables = [pq.read_table(f, schema=READINGS_SCHEMA, filters=filters) for f in files]
    tables.append(store.hot_table(site_id=site_id))
    return _dedupe(pa.concat_tables(tables))
