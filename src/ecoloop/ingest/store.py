"""The readings store: a durable hot store that acknowledges, compacted into date-partitioned Parquet.

Why two tiers: the receiver, the web server, the scheduler and CLI commands are separate processes, and a
DuckDB database file admits one writing process (the others cannot even open it). So:

- **Hot store** — by default one SQLite file in WAL mode (`DATA_DIR/ingest/hot.sqlite`), `synchronous=FULL`; or,
  for a bureau that outgrows one machine, three tables in a PostgreSQL database (`HOT_STORE_URL`). Either way a
  reading is acknowledged only after the transaction that holds it is durable. Many writers take turns (the
  receiver batches thousands of readings per commit); readers never block writers. Readings are upserted on
  (site, parameter, interval, time): a re-sent packet changes nothing. Every raw packet, accepted or
  rejected, is archived here with its outcome and reason.
- **Parquet** — `compact()` moves readings into `DATA_DIR/readings/interval=<kind>/date=<YYYY-MM-DD>/part.parquet`
  (one file per partition, rewritten atomically with the merged, de-duplicated rows). Any process reads them
  with DuckDB — or Spark — without a lock; `readings()` adds the rows still in the hot store.

`HotStore` is the one interface; what differs between the two databases (placeholders, upsert and change
counting, locking, schema, checkpoints) lives in its two engines, `_SQLite` and `_Postgres`.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import sqlite3
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import psycopg

    from ecoloop.settings import Settings

log = logging.getLogger("ecoloop.ingest")
_T = TypeVar("_T")
_I = TypeVar("_I")


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


@dataclass
class DeviceActivity:
    """What a device sent: its last packet's arrival (UTC) and packet counts by (outcome, reason)."""

    last_seen: datetime | None
    packets: dict[tuple[str, str | None], int]


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

# Layout choices for write speed: readings are keyed time first, so the loggers' uploads of the current minute
# or hour land on the same few B-tree pages and a group commit writes little; the raw-packet archive is
# append-only, indexed by receive time only (which only grows); per-device activity (last packet, counts by
# outcome and reason per hour) is kept in `packet_tally`, a few rows per device and hour, upserted per commit.
SCHEMA_VERSION = 2
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
    PRIMARY KEY (ts, interval, site_id, parameter)
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
CREATE INDEX IF NOT EXISTS ix_raw_packets_received_at ON raw_packets (received_at);
CREATE TABLE IF NOT EXISTS packet_tally (
    mn TEXT NOT NULL,
    hour INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    packets INTEGER NOT NULL,
    first_at INTEGER NOT NULL,
    last_at INTEGER NOT NULL,
    PRIMARY KEY (mn, hour, outcome, reason)
) WITHOUT ROWID;
"""
# Version 1 keyed readings site first and indexed raw_packets by MN and by outcome.
_MIGRATE_FROM_1 = """
ALTER TABLE readings RENAME TO readings_v1;
DROP INDEX IF EXISTS ix_raw_packets_mn;
DROP INDEX IF EXISTS ix_raw_packets_outcome;
{schema}
INSERT INTO readings SELECT site_id, parameter, interval, ts, value, flag, source, received_at FROM readings_v1;
DROP TABLE readings_v1;
INSERT INTO packet_tally
SELECT coalesce(mn, ''), received_at / 3600000, outcome, coalesce(reason, ''), count(*), min(received_at),
       max(received_at)
FROM raw_packets GROUP BY 1, 2, 3, 4;
"""
_TALLY = """
INSERT INTO packet_tally (mn, hour, outcome, reason, packets, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (mn, hour, outcome, reason) DO UPDATE SET
    packets = packets + excluded.packets,
    first_at = min(first_at, excluded.first_at),
    last_at = max(last_at, excluded.last_at)
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


# A reading as the hot store holds it: site_id, parameter, interval, epoch seconds, value, flag, source,
# received_at (epoch ms); and an archived packet: received_at (epoch ms), peer, mn, cn, outcome, reason, detail,
# frame. Writers that take thousands of packets a second build these tuples directly.
ReadingRow = tuple[int, str, str, int, float | None, str | None, str, int]
ArchiveRow = tuple[int, str, str | None, str | None, str, str | None, str | None, bytes]


def reading_row(r: Reading, received_ms: int) -> ReadingRow:
    """The stored form of a reading received at `received_ms`."""
    return (
        r.site_id,
        r.parameter,
        r.interval.value,
        epoch_ms(r.time) // 1000,
        r.value,
        r.flag,
        r.source,
        received_ms,
    )


def archive_row(p: RawPacket) -> ArchiveRow:
    """The stored form of an archived packet."""
    return (epoch_ms(p.received_at), p.peer, p.mn, p.cn, p.outcome.value, p.reason, p.detail, p.frame)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware instant, as the store keeps receive times."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given; the store keeps aware UTC instants")
    return int(moment.timestamp() * 1000)


def _packets_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in PACKETS_SCHEMA]
    arrays = [
        pa.array(column, pa.int64()).cast(field.type) if field.name == "received_at" else pa.array(column, field.type)
        for column, field in zip(columns, PACKETS_SCHEMA, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=PACKETS_SCHEMA)


def _tally(archived: Sequence[ArchiveRow]) -> list[tuple[str, int, str, str, int, int, int]]:
    """The `packet_tally` increments of archived packets: per MN, hour, outcome and reason."""
    tally: dict[tuple[str, int, str, str], list[int]] = {}
    for received, _, mn, _, outcome, reason, _, _ in archived:
        key = (mn or "", received // 3_600_000, outcome, reason or "")
        entry = tally.get(key)
        if entry is None:
            tally[key] = [1, received, received]
        else:
            entry[0] += 1
            entry[1] = min(entry[1], received)
            entry[2] = max(entry[2], received)
    return [(*key, *entry) for key, entry in tally.items()]  # type: ignore[misc]


def _stamped(conn: sqlite3.Connection, row: ReadingRow) -> int:
    """1 if the stored reading under row's key carries row's value, flag and receive time (it was written by
    this row, not an earlier identical one), else 0."""
    site_id, parameter, interval, ts, value, flag, _, received = row
    found = conn.execute(
        "SELECT value IS ? AND flag IS ? AND received_at = ? FROM readings "
        "WHERE ts = ? AND interval = ? AND site_id = ? AND parameter = ?",
        (value, flag, received, ts, interval, site_id, parameter),
    ).fetchone()
    return int(bool(found and found[0]))


Batches = Sequence[tuple[Sequence[ReadingRow], Sequence[ArchiveRow]]]


class _SQLite:
    """The hot store in one SQLite file in WAL mode; writers queue on an flock of a side file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'readings'").fetchone()
            if exists and version < 2:
                for statement in _MIGRATE_FROM_1.format(schema=_SCHEMA_SQL).split(";"):
                    conn.execute(statement)
            else:
                for statement in _SCHEMA_SQL.split(";"):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def connection(self) -> sqlite3.Connection:
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
    def transaction(self) -> Iterator[sqlite3.Connection]:
        # Writers queue on an flock of a side file before they ask SQLite: a blocked flock wakes the moment the
        # lock is free, where SQLite's busy handler polls with sleeps of up to 100 ms (two receiver workers
        # committing in turn would otherwise add those sleeps to acknowledgement latencies).
        conn = self.connection()
        lock = self._lock_fd()
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    def _lock_fd(self) -> int:
        fd: int | None = getattr(self._local, "lock", None)
        if fd is None:
            fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
            self._local.lock = fd
        return fd

    def write_rows(self, batches: Batches) -> list[int]:
        rows = [row for batch, _ in batches for row in batch]
        archived = [packet for _, packets in batches for packet in packets]
        with self.transaction() as conn:
            before = conn.total_changes
            if rows:
                conn.executemany(_UPSERT, rows)  # one statement for the lot: per-call overhead dominates
            if len(rows) == conn.total_changes - before:
                counts = [len(batch) for batch, _ in batches]
            else:  # some rows were re-sends: count per batch what now carries this receipt
                counts = [sum(_stamped(conn, row) for row in batch) for batch, _ in batches]
            if archived:
                conn.executemany(_ARCHIVE, archived)
                conn.executemany(_TALLY, _tally(archived))
        return counts

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection().execute(sql, params).fetchall()

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    def checkpoint(self) -> None:
        self.connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def manual_checkpoints(self) -> None:
        self.connection().execute("PRAGMA wal_autocheckpoint=0").fetchall()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        lock = getattr(self._local, "lock", None)
        if lock is not None:
            os.close(lock)
            self._local.lock = None


# PostgreSQL: the same tables (identity key and BYTEA instead of SQLite's rowid and BLOB), with the schema version
# in a table of its own. Created under an advisory lock: receiver workers start at the same moment. Key columns
# compare bytewise (COLLATE "C"): codes are ASCII, comparisons are cheaper than the database locale's, and
# PostgreSQL's key order is Python's.
_PG_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS readings (
    site_id BIGINT NOT NULL,
    parameter TEXT COLLATE "C" NOT NULL,
    interval TEXT COLLATE "C" NOT NULL,
    ts BIGINT NOT NULL,
    value DOUBLE PRECISION,
    flag TEXT,
    source TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (ts, interval, site_id, parameter)
)""",
    """CREATE TABLE IF NOT EXISTS raw_packets (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    received_at BIGINT NOT NULL,
    peer TEXT NOT NULL,
    mn TEXT,
    cn TEXT,
    outcome TEXT NOT NULL,
    reason TEXT,
    detail TEXT,
    frame BYTEA NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS ix_raw_packets_received_at ON raw_packets (received_at)",
    """CREATE TABLE IF NOT EXISTS packet_tally (
    mn TEXT COLLATE "C" NOT NULL,
    hour BIGINT NOT NULL,
    outcome TEXT COLLATE "C" NOT NULL,
    reason TEXT COLLATE "C" NOT NULL,
    packets INTEGER NOT NULL,
    first_at BIGINT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (mn, hour, outcome, reason)
)""",
    "CREATE TABLE IF NOT EXISTS hot_store_version (version INTEGER NOT NULL)",
)
_PG_SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('ecoloop hot store schema'))"
_COLUMNS = "site_id, parameter, interval, ts, value, flag, source, received_at"
# Each transaction changes rows in key order, so two writers touching the same readings or tally rows wait for
# each other instead of deadlocking.
_PG_SET = """ON CONFLICT (site_id, parameter, interval, ts) DO UPDATE SET
    value = excluded.value, flag = excluded.flag, source = excluded.source, received_at = excluded.received_at
WHERE readings.value IS DISTINCT FROM excluded.value OR readings.flag IS DISTINCT FROM excluded.flag"""
# A batch's readings and tally increments are copied into temporary tables (COPY takes a fraction of the client
# CPU of a statement per row or of array parameters) and upserted from there, one statement each.
_PG_BATCH_TABLES = (
    "CREATE TEMP TABLE IF NOT EXISTS readings_batch (LIKE readings) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS tally_batch (LIKE packet_tally) ON COMMIT DELETE ROWS",
)
_PG_COPY_BATCH = f"COPY readings_batch ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
_PG_UPSERT_BATCH = (
    f"INSERT INTO readings ({_COLUMNS}) SELECT {_COLUMNS} FROM readings_batch "
    f"ORDER BY ts, interval, site_id, parameter {_PG_SET}"
)
_PG_UPSERT = f"INSERT INTO readings ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) {_PG_SET}"
_PG_STAMPED = """SELECT k.n FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[], %s::float8[], %s::text[],
    %s::bigint[]) WITH ORDINALITY AS k (site_id, parameter, interval, ts, value, flag, received_at, n)
JOIN readings r ON r.ts = k.ts AND r.interval = k.interval AND r.site_id = k.site_id AND r.parameter = k.parameter
WHERE r.value IS NOT DISTINCT FROM k.value AND r.flag IS NOT DISTINCT FROM k.flag AND r.received_at = k.received_at"""
_PG_COPY_ARCHIVE = (
    "COPY raw_packets (received_at, peer, mn, cn, outcome, reason, detail, frame) FROM STDIN (FORMAT BINARY)"
)
_PG_COPY_TALLY = "COPY tally_batch (mn, hour, outcome, reason, packets, first_at, last_at) FROM STDIN (FORMAT BINARY)"
_PG_TALLY = """INSERT INTO packet_tally (mn, hour, outcome, reason, packets, first_at, last_at)
SELECT mn, hour, outcome, reason, packets, first_at, last_at FROM tally_batch ORDER BY mn, hour, outcome, reason
ON CONFLICT (mn, hour, outcome, reason) DO UPDATE SET
    packets = packet_tally.packets + excluded.packets,
    first_at = LEAST(packet_tally.first_at, excluded.first_at),
    last_at = GREATEST(packet_tally.last_at, excluded.last_at)"""
_PG_READING_TYPES = ("int8", "text", "text", "int8", "float8", "text", "text", "int8")
_PG_ARCHIVE_TYPES = ("int8", "text", "text", "text", "text", "text", "text", "bytea")
_PG_TALLY_TYPES = ("text", "int8", "text", "text", "int4", "int8", "int8")
POSTGRESQL_SCHEMES = ("postgresql://", "postgresql+psycopg://")


def _key_order(row: ReadingRow) -> tuple[int, str, int, str]:
    """The primary-key order of readings (time, interval, site, parameter)."""
    return row[3], row[2], row[0], row[1]


def _text(value: str | None) -> str | None:
    """PostgreSQL text cannot hold NUL; an archived packet's frame keeps the bytes as they came."""
    return value.replace("\x00", "\ufffd") if value and "\x00" in value else value


class _Postgres:
    """The hot store in a PostgreSQL database: its tables in the connection's current schema (`search_path`)."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._local = threading.local()
        conn = self.connection()
        with conn.transaction():
            conn.execute(_PG_SCHEMA_LOCK)
            if conn.execute("SELECT to_regclass('hot_store_version')").fetchone() == (None,):
                for statement in _PG_SCHEMA:
                    conn.execute(statement)
                conn.execute("INSERT INTO hot_store_version VALUES (%s)", (SCHEMA_VERSION,))
            (version,) = conn.execute("SELECT max(version) FROM hot_store_version").fetchone() or (None,)
            if version != SCHEMA_VERSION:
                raise RuntimeError(f"the hot store's schema is version {version}; this ecoloop has {SCHEMA_VERSION}")

    def connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        return self._held().conn

    def _held(self) -> _Held:
        import psycopg

        held: _Held | None = getattr(self._local, "held", None)
        if held is None or held.conn.closed or held.pid != os.getpid():  # lost, or inherited across a fork
            conn = psycopg.connect(self.url, autocommit=True)
            # Durability: a commit returns only once it is flushed, whatever the server's default says.
            if conn.execute("SHOW synchronous_commit").fetchone() == ("off",):
                conn.execute("SET synchronous_commit = on")
            held = self._local.held = _Held(conn)
        return held

    def _write(self, work: Callable[[psycopg.Cursor[tuple[Any, ...]]], _T], batch_tables: bool = False) -> _T:
        """Run `work` in one transaction, again when PostgreSQL picked it to break a deadlock (up to 3 times)."""
        from psycopg import errors

        for attempt in range(3):
            held = self._held()
            if batch_tables and not held.batch_tables:
                for statement in _PG_BATCH_TABLES:
                    held.conn.execute(statement)
                held.batch_tables = True
            try:
                with held.conn.transaction(), held.conn.cursor() as cur:
                    return work(cur)
            except (errors.DeadlockDetected, errors.SerializationFailure) as exc:
                if attempt == 2:
                    raise
                log.warning("hot store transaction retried: %s", exc.sqlstate)
        raise AssertionError("unreachable")

    def write_rows(self, batches: Batches) -> list[int]:
        rows = [row for batch, _ in batches for row in batch]
        archived = [packet for _, packets in batches for packet in packets]

        def work(cur: psycopg.Cursor[tuple[Any, ...]]) -> list[int]:
            changed = self._upsert(cur, rows) if rows else 0
            if changed == len(rows):
                counts = [len(batch) for batch, _ in batches]
            else:  # some rows were re-sends: count per batch what now carries this receipt
                columns = [list(column) for column in zip(*rows, strict=True)]
                del columns[6]  # source
                columns[4] = [None if value is None else float(value) for value in columns[4]]  # one array type
                stamped = {n for (n,) in cur.execute(_PG_STAMPED, columns)}
                counts, first = [], 1
                for batch, _ in batches:
                    counts.append(sum(1 for n in range(first, first + len(batch)) if n in stamped))
                    first += len(batch)
            if archived:
                with cur.copy(_PG_COPY_ARCHIVE) as copy:
                    copy.set_types(_PG_ARCHIVE_TYPES)
                    for received, peer, mn, cn, outcome, reason, detail, frame in archived:
                        copy.write_row(
                            (received, _text(peer), _text(mn), _text(cn), outcome, _text(reason), _text(detail), frame)
                        )
                with cur.copy(_PG_COPY_TALLY) as copy:
                    copy.set_types(_PG_TALLY_TYPES)
                    for increment in _tally(archived):
                        copy.write_row(increment)
                cur.execute(_PG_TALLY)
            return counts

        return self._write(work, batch_tables=True)

    @staticmethod
    def _upsert(cur: psycopg.Cursor[tuple[Any, ...]], rows: list[ReadingRow]) -> int:
        """Upsert readings in key order; how many rows changed."""
        if len({row[:4] for row in rows}) == len(rows):
            with cur.copy(_PG_COPY_BATCH) as copy:
                copy.set_types(_PG_READING_TYPES)
                for row in rows:
                    copy.write_row(row)
            cur.execute(_PG_UPSERT_BATCH)
        else:  # one reading twice in the batch: one statement per row, in key order and, per key, as received
            ordered = sorted(rows, key=_key_order)
            cur.executemany(_PG_UPSERT, ordered)
        return cur.rowcount

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection().execute(_placeholders(sql), params).fetchall()

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._write(lambda cur: cur.executemany(_placeholders(sql), rows))

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL checkpoints on its own."""

    def manual_checkpoints(self) -> None:
        """Nothing to do: PostgreSQL checkpoints on its own."""

    def close(self) -> None:
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None:
            held.close()
            self._local.held = None


class _Held:
    """A thread's connection, closed when the thread ends or the store is dropped (a connection inherited across a
    fork is left alone: closing it would end the parent's session)."""

    def __init__(self, conn: psycopg.Connection[tuple[Any, ...]]) -> None:
        self.conn, self.pid, self.batch_tables = conn, os.getpid(), False

    def close(self) -> None:
        if self.pid == os.getpid():
            self.conn.close()
        else:
            _INHERITED.append(self.conn)

    def __del__(self) -> None:
        with suppress(Exception):
            self.close()


_INHERITED: list[Any] = []


def _placeholders(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (the shared statements hold no other `?` or `%`)."""
    return sql.replace("?", "%s")


class HotStore:
    """The durable, multi-process hot store: one SQLite file in WAL mode, or tables in a PostgreSQL database.

    `location` is the SQLite file's path, or a `postgresql://` (or `postgresql+psycopg://`) URL."""

    def __init__(self, location: Path | str) -> None:
        self.path: Path | None = None
        if isinstance(location, str) and location.startswith(POSTGRESQL_SCHEMES):
            self._db: _SQLite | _Postgres = _Postgres(location)
        else:
            self.path = Path(location)
            self._db = _SQLite(self.path)

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return "sqlite" if isinstance(self._db, _SQLite) else "postgresql"

    def write(self, readings: Sequence[Reading], packets: Sequence[RawPacket] = (), now: datetime | None = None) -> int:
        """Store readings and archive packets in one durable transaction; returns how many readings changed."""
        return self.write_batches([(readings, packets)], now)[0]

    def write_batches(
        self, batches: Sequence[tuple[Sequence[Reading], Sequence[RawPacket]]], now: datetime | None = None
    ) -> list[int]:
        """Several writers' readings and packets in one durable transaction (group commit); the changed-reading
        count of each batch, in order."""
        received = epoch_ms(now or datetime.now(UTC))
        return self.write_rows(
            [
                ([reading_row(r, received) for r in readings], [archive_row(p) for p in packets])
                for readings, packets in batches
            ]
        )

    def write_rows(self, batches: Batches) -> list[int]:
        """`write_batches` for readings and packets already in their stored form."""
        return self._db.write_rows(batches)

    def hot_table(self, before_ms: int | None = None, site_id: int | None = None) -> pa.Table:
        """Readings still in the hot store (received before `before_ms`, of one site, when given) as Arrow."""
        sql = f"SELECT {_COLUMNS} FROM readings WHERE 1=1"
        params: list[Any] = []
        if before_ms is not None:
            sql += " AND received_at < ?"
            params.append(before_ms)
        if site_id is not None:
            sql += " AND site_id = ?"
            params.append(site_id)
        return _to_arrow(self._db.fetch(sql, params))

    def site_readings(
        self, site_ids: Sequence[int], intervals: Collection[str], start: datetime, end: datetime
    ) -> pa.Table:
        """Hot readings of the sites and intervals whose time is in [start, end), as Arrow."""
        rows: list[tuple[Any, ...]] = []
        names = list(intervals)
        bounds = [math.ceil(start.timestamp()), math.ceil(end.timestamp())]
        for chunk in _chunks(site_ids if names else []):
            rows += self._db.fetch(
                f"SELECT {_COLUMNS} FROM readings WHERE site_id IN ({_marks(chunk)}) "
                f"AND interval IN ({_marks(names)}) AND ts >= ? AND ts < ?",
                [*chunk, *names, *bounds],
            )
        return _to_arrow(rows)

    def latest_times(self, site_ids: Sequence[int]) -> dict[int, datetime]:
        """The time of each site's latest hot reading of any kind (sites without one are absent)."""
        latest: dict[int, datetime] = {}
        for chunk in _chunks(site_ids):
            sql = f"SELECT site_id, max(ts) FROM readings WHERE site_id IN ({_marks(chunk)}) GROUP BY site_id"
            for site, seconds in self._db.fetch(sql, chunk):
                latest[site] = datetime.fromtimestamp(seconds, UTC)
        return latest

    def latest_readings(self, site_id: int, interval: Interval) -> list[Reading]:
        """The latest hot reading of each parameter of a site's `interval` data, by parameter."""
        rows = self._db.fetch(
            "SELECT r.parameter, r.ts, r.value, r.flag, r.source FROM readings r JOIN (SELECT parameter, max(ts) AS ts "
            "FROM readings WHERE site_id = ? AND interval = ? GROUP BY parameter) m "
            "ON r.parameter = m.parameter AND r.ts = m.ts WHERE r.site_id = ? AND r.interval = ? ORDER BY r.parameter",
            [site_id, interval.value, site_id, interval.value],
        )
        return [
            Reading(site_id, parameter, interval, datetime.fromtimestamp(ts, UTC), value, flag, source)
            for parameter, ts, value, flag, source in rows
        ]

    def checkpoint(self) -> None:
        """Copy committed WAL pages into the SQLite file without blocking writers (PRAGMA wal_checkpoint PASSIVE);
        nothing on PostgreSQL. A busy writer turns its own automatic checkpoints off (`manual_checkpoints`) and
        calls this from another thread, so its commits never wait for one."""
        self._db.checkpoint()

    def manual_checkpoints(self) -> None:
        """Stop this thread's connection from checkpointing when it commits (see `checkpoint`)."""
        self._db.manual_checkpoints()

    def packet_counts(self) -> dict[tuple[str, str | None], int]:
        """Archived packets per (outcome, reason)."""
        rows = self._db.fetch("SELECT outcome, reason, sum(packets) FROM packet_tally GROUP BY 1, 2")
        return {(outcome, reason or None): count for outcome, reason, count in rows}

    def device_activity(
        self, mns: Sequence[str], start: datetime | None = None, end: datetime | None = None
    ) -> dict[str, DeviceActivity]:
        """Per MN: when its last packet arrived (ever), and its packets by (outcome, reason) received in
        [start, end) — counted per hour, so from the start of `start`'s hour to the end of `end`'s — or ever.
        MNs that never sent a packet are absent."""
        first = epoch_ms(start) // 3_600_000 if start else 0
        last = -(-epoch_ms(end) // 3_600_000) if end else 2**62
        activity: dict[str, DeviceActivity] = {}
        for chunk in _chunks(mns):
            marks = _marks(chunk)
            seen = f"SELECT mn, max(last_at) FROM packet_tally WHERE mn IN ({marks}) GROUP BY mn"
            for mn, last_at in self._db.fetch(seen, chunk):
                activity[mn] = DeviceActivity(datetime.fromtimestamp(last_at / 1000, UTC), {})
            counts = (
                "SELECT mn, outcome, reason, sum(packets) FROM packet_tally "
                f"WHERE mn IN ({marks}) AND hour >= ? AND hour < ? GROUP BY 1, 2, 3"
            )
            for mn, outcome, reason, packets in self._db.fetch(counts, [*chunk, first, last]):
                activity[mn].packets[(outcome, reason or None)] = packets
        return activity

    def delete_compacted(self, keys: Iterable[tuple[int, str, str, int, int]]) -> None:
        """Remove readings that are now in Parquet, unless they changed since (same key and received_at).

        In transactions of a few thousand rows, so that writers waiting for the lock (the receiver) wait
        milliseconds, not the length of a whole compaction."""
        chunk: list[tuple[int, str, str, int, int]] = []
        for key in keys:
            chunk.append(key)
            if len(chunk) == 5000:
                self._delete(chunk)
                chunk = []
        if chunk:
            self._delete(chunk)

    def _delete(self, keys: list[tuple[int, str, str, int, int]]) -> None:
        keys.sort(key=lambda k: (k[3], k[2], k[0], k[1]))  # in key order, as writers lock rows
        self._db.execute_many(
            "DELETE FROM readings WHERE site_id=? AND parameter=? AND interval=? AND ts=? AND received_at=?", keys
        )

    def packet_rows(self, before_ms: int | None = None, limit: int | None = 50_000, mn: str | None = None) -> pa.Table:
        """Archived packets (received before `before_ms`, of one MN, when given), oldest first, at most `limit`."""
        sql = f"SELECT {', '.join(PACKETS_SCHEMA.names)} FROM raw_packets WHERE 1=1"
        params: list[Any] = []
        if before_ms is not None:
            sql += " AND received_at < ?"
            params.append(before_ms)
        if mn is not None:
            sql += " AND mn = ?"
            params.append(mn)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return _packets_table(self._db.fetch(sql, params))

    def delete_packets(self, ids: Sequence[int]) -> None:
        """Remove archived packets by id (once they are safely in Parquet)."""
        for start in range(0, len(ids), 5000):
            self._db.execute_many("DELETE FROM raw_packets WHERE id = ?", [(i,) for i in ids[start : start + 5000]])

    def close(self) -> None:
        """Close this thread's connection."""
        self._db.close()


def open_hot_store(settings: Settings) -> HotStore:
    """The hot store the settings name: `HOT_STORE_URL` (PostgreSQL), else the SQLite file under DATA_DIR."""
    return HotStore(settings.hot_store_url or settings.hot_store_path)


_CHUNK = 500  # bound parameters per statement (SQLite allows 32,766, PostgreSQL 65,535)


def _chunks(items: Sequence[_I]) -> Iterator[list[_I]]:
    for start in range(0, len(items), _CHUNK):
        yield list(items[start : start + _CHUNK])


def _marks(items: Sequence[Any]) -> str:
    return ",".join("?" * len(items))


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


PACKETS_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("received_at", pa.timestamp("ms", tz="UTC")),
        ("peer", pa.string()),
        ("mn", pa.string()),
        ("cn", pa.string()),
        ("outcome", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("frame", pa.binary()),
    ]
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


def merge_into_parquet(table: pa.Table, root: Path, progress: Callable[[int, int], None] | None = None) -> int:
    """Merge readings into their (interval, date) Parquet partitions; returns the rows merged. `progress`, when
    given, is called with (partitions done, partitions in all) after each partition.

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
    partitions = pc.value_counts(keyed["_part"]).to_pylist()
    for done, entry in enumerate(partitions, start=1):
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
        if progress is not None:
            progress(done, len(partitions))
    rows: int = table.num_rows
    return rows


def compact(store: HotStore, root: Path, before: datetime | None = None) -> int:
    """Move hot readings received before `before` into their Parquet partitions; returns rows moved.

    The partitions are merged first (`merge_into_parquet`); only then are the rows removed from the hot store,
    unless they changed meanwhile. A crash at any point leaves every reading in the hot store, in Parquet, or
    both — and both de-duplicate to one.
    """
    hot = store.hot_table(epoch_ms(before) if before else None)
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


def archive_packets(store: HotStore, root: Path, before: datetime) -> int:
    """Move archived packets received before `before` out of the hot store into Parquet evidence files,
    `root/date=<YYYY-MM-DD>/packets-<first id>-<last id>.parquet` (UTC dates); returns packets moved.

    Files are written whole (fsynced, renamed into place) before the packets leave the hot store, so a crash
    leaves each packet in the hot store, in a file, or both; readers drop repeats by id (`packets`)."""
    moved = 0
    while True:
        table = store.packet_rows(epoch_ms(before))
        if table.num_rows == 0:
            return moved
        days = pc.strftime(table["received_at"], format="%Y-%m-%d")
        for day in pc.unique(days).to_pylist():
            part = table.filter(pc.equal(days, day))
            ids = part["id"]
            path = root / f"date={day}" / f"packets-{pc.min(ids).as_py()}-{pc.max(ids).as_py()}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            pq.write_table(part, tmp, compression="zstd")
            with open(tmp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        store.delete_packets(table["id"].to_pylist())
        moved += table.num_rows


def packets(store: HotStore, root: Path, mn: str | None = None) -> pa.Table:
    """Every archived packet (of one MN, when given), in the hot store or in Parquet, once each, by id."""
    tables = [pq.read_table(f, schema=PACKETS_SCHEMA) for f in sorted(root.glob("date=*/packets-*.parquet"))]
    tables.append(store.packet_rows(limit=None, mn=mn or None))
    table = pa.concat_tables(tables)
    if mn:
        table = table.filter(pc.equal(table["mn"], mn))
    table = table.sort_by([("id", "ascending")])
    if table.num_rows > 1:
        repeat = pc.equal(table["id"].slice(1), table["id"].slice(0, table.num_rows - 1))
        table = table.filter(pa.concat_arrays([pa.array([True]), pc.invert(repeat.combine_chunks())]))
    return table
