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

import fcntl
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


class HotStore:
    """The durable, multi-process hot store (one SQLite file in WAL mode)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._connection()
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
        # Writers queue on an flock of a side file before they ask SQLite: a blocked flock wakes the moment the
        # lock is free, where SQLite's busy handler polls with sleeps of up to 100 ms (two receiver workers
        # committing in turn would otherwise add those sleeps to acknowledgement latencies).
        conn = self._connection()
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

    def write_rows(self, batches: Sequence[tuple[Sequence[ReadingRow], Sequence[ArchiveRow]]]) -> list[int]:
        """`write_batches` for readings and packets already in their stored form."""
        rows = [row for batch, _ in batches for row in batch]
        archived = [packet for _, packets in batches for packet in packets]
        with self._transaction() as conn:
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

    def checkpoint(self) -> None:
        """Copy committed WAL pages into the database file without blocking writers (PRAGMA wal_checkpoint
        PASSIVE). A busy writer turns its own automatic checkpoints off (`manual_checkpoints`) and calls this
        from another thread, so its commits never wait for one."""
        self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def manual_checkpoints(self) -> None:
        """Stop this thread's connection from checkpointing when it commits (see `checkpoint`)."""
        self._connection().execute("PRAGMA wal_autocheckpoint=0").fetchall()

    def packet_counts(self) -> dict[tuple[str, str | None], int]:
        """Archived packets per (outcome, reason)."""
        rows = self._connection().execute("SELECT outcome, reason, sum(packets) FROM packet_tally GROUP BY 1, 2")
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
        conn = self._connection()
        for offset in range(0, len(mns), 500):
            chunk = list(mns[offset : offset + 500])
            marks = ",".join("?" * len(chunk))
            seen = f"SELECT mn, max(last_at) FROM packet_tally WHERE mn IN ({marks}) GROUP BY mn"
            for mn, last_at in conn.execute(seen, chunk):
                activity[mn] = DeviceActivity(datetime.fromtimestamp(last_at / 1000, UTC), {})
            counts = (
                "SELECT mn, outcome, reason, sum(packets) FROM packet_tally "
                f"WHERE mn IN ({marks}) AND hour >= ? AND hour < ? GROUP BY 1, 2, 3"
            )
            for mn, outcome, reason, packets in conn.execute(counts, [*chunk, first, last]):
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
        with self._transaction() as conn:
            conn.executemany(
                "DELETE FROM readings WHERE site_id=? AND parameter=? AND interval=? AND ts=? AND received_at=?",
                keys,
            )

    def packet_rows(self, before_ms: int | None = None, limit: int = 50_000) -> pa.Table:
        """Archived packets (received before `before_ms`, when given), oldest first, at most `limit`."""
        sql = f"SELECT {', '.join(PACKETS_SCHEMA.names)} FROM raw_packets"
        params: list[Any] = []
        if before_ms is not None:
            sql += " WHERE received_at < ?"
            params.append(before_ms)
        sql += " ORDER BY id LIMIT ?"
        return _packets_table(self._connection().execute(sql, [*params, limit]).fetchall())

    def delete_packets(self, ids: Sequence[int]) -> None:
        """Remove archived packets by id (once they are safely in Parquet)."""
        for start in range(0, len(ids), 5000):
            with self._transaction() as conn:
                conn.executemany("DELETE FROM raw_packets WHERE id = ?", [(i,) for i in ids[start : start + 5000]])

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        lock = getattr(self._local, "lock", None)
        if lock is not None:
            os.close(lock)
            self._local.lock = None


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
    conn = store._connection()
    sql = f"SELECT {', '.join(PACKETS_SCHEMA.names)} FROM raw_packets" + (" WHERE mn = ?" if mn else "")
    tables.append(_packets_table(conn.execute(sql, [mn] if mn else []).fetchall()))
    table = pa.concat_tables(tables)
    if mn:
        table = table.filter(pc.equal(table["mn"], mn))
    table = table.sort_by([("id", "ascending")])
    if table.num_rows > 1:
        repeat = pc.equal(table["id"].slice(1), table["id"].slice(0, table.num_rows - 1))
        table = table.filter(pa.concat_arrays([pa.array([True]), pc.invert(repeat.combine_chunks())]))
    return table
