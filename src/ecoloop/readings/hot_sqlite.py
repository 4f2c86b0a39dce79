"""The hot store's SQLite backend: one file in WAL mode, its writers queued on an flock of a side file.

The tables' layout and schema version are set here; the PostgreSQL backend (`hot_postgres.py`) keeps the same
tables.
"""

from __future__ import annotations

import fcntl
import functools
import itertools
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ecoloop.readings.vocabulary import ConflictRow, ReadingRow, WriteSet

# Layout choices for write speed: readings are keyed time first, so the loggers' uploads of the current minute
# or hour land on the same few B-tree pages and a group commit writes little; the raw-packet archive is
# append-only, indexed by receive time only (which only grows); per-device activity (last packet, counts by
# outcome and reason per hour) is kept in `packet_tally`, a few rows per device and hour, upserted per commit.
# 3: arrivals; 4: reading_conflicts (older stores gain the tables through CREATE IF NOT EXISTS)
SCHEMA_VERSION = 4
READING_COLUMNS = "site_id, parameter, interval, ts, value, flag, source, received_at"  # as in ReadingRow
CONFLICT_COLUMNS = f"{READING_COLUMNS}, kept_value, kept_flag, kept_source, kept_received_at"  # as in ConflictRow
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
CREATE TABLE IF NOT EXISTS arrivals (
    seq INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL,
    interval TEXT NOT NULL,
    ts INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS reading_conflicts (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL,
    parameter TEXT NOT NULL,
    interval TEXT NOT NULL,
    ts INTEGER NOT NULL,
    value REAL,
    flag TEXT,
    source TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    kept_value REAL,
    kept_flag TEXT,
    kept_source TEXT NOT NULL,
    kept_received_at INTEGER NOT NULL,
    accepted_by TEXT,
    accepted_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS ux_reading_conflicts ON reading_conflicts
    (site_id, ts, parameter, interval, received_at, source);
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
INSERT INTO packet_tally (mn, hour, outcome, reason, packets, first_at, last_at) VALUES {values}
ON CONFLICT (mn, hour, outcome, reason) DO UPDATE SET
    packets = packets + excluded.packets,
    first_at = min(first_at, excluded.first_at),
    last_at = max(last_at, excluded.last_at)
"""

# The first value stored under a key stands (issue 13): a re-send, an upload or an API call never replaces it.
# Rows that did not insert are then looked up one by one (`_outcome`) — only when some did not, so the
# receiver's commits of new data cost one statement per chunk as before.
_INSERT = """
INSERT INTO readings (site_id, parameter, interval, ts, value, flag, source, received_at) VALUES {values}
ON CONFLICT (site_id, parameter, interval, ts) DO NOTHING
"""
# An approved data correction replaces the stored value, unless it is the same.
_UPSERT = """
INSERT INTO readings (site_id, parameter, interval, ts, value, flag, source, received_at) VALUES {values}
ON CONFLICT (site_id, parameter, interval, ts) DO UPDATE SET
    value = excluded.value, flag = excluded.flag, source = excluded.source, received_at = excluded.received_at
WHERE readings.value IS NOT excluded.value OR readings.flag IS NOT excluded.flag
"""

_ARRIVE = "INSERT INTO arrivals (site_id, interval, ts, received_at) VALUES {values}"

# A conflict found again (a compaction that crashed before it removed its rows runs again) is kept once.
_CONFLICT = f"INSERT INTO reading_conflicts ({CONFLICT_COLUMNS}) VALUES {{values}} ON CONFLICT DO NOTHING"

_ARCHIVE = "INSERT INTO raw_packets (received_at, peer, mn, cn, outcome, reason, detail, frame) VALUES {values}"

# Rows go in by multi-row VALUES statements, as many rows in one as SQLite's limit of parameters allows (32,766
# since SQLite 3.32, 999 before), up to 1,024. One statement steps many rows: the sqlite3 module binds and
# releases the GIL once per statement where executemany does so per row, and while the receiver's event loop
# parses, each re-take of the GIL can wait up to the interpreter's switch interval — with the store's write
# lock held, which the other receiver workers are waiting for.
_MAX_ROWS = 1024
# The checkpointing thread starts the WAL over once it holds this much (see `checkpoint`); SQLite truncates a
# WAL it starts over to `_WAL_LIMIT`.
_WAL_RESTART = 16 << 20
_WAL_LIMIT = 64 << 20
_BUSY_TIMEOUT_MS = 30_000


@functools.cache
def _statement(template: str, rows: int, columns: int) -> str:
    row = f"({', '.join('?' * columns)})"
    return template.format(values=", ".join([row] * rows))


def _insert(conn: sqlite3.Connection, template: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """`rows` written by `template` (a statement with `{values}` for its VALUES list), in chunks whose sizes are
    powers of two so that few distinct statements are prepared and cached."""
    if not rows:
        return
    columns = len(rows[0])
    most = min(_MAX_ROWS, conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // columns)
    done, total = 0, len(rows)
    while done < total:
        size = 1 << (min(most, total - done).bit_length() - 1)
        conn.execute(_statement(template, size, columns), list(itertools.chain.from_iterable(rows[done : done + size])))
        done += size


def _outcome(conn: sqlite3.Connection, row: ReadingRow) -> ConflictRow | bool | None:
    """What became of a row written by `_INSERT` or `_UPSERT`: True if the stored reading under its key is this
    row's (same value, flag and receive time), False if it is an identical earlier one (a duplicate), else the
    conflict of this row with the value kept."""
    site_id, parameter, interval, ts = row[:4]
    kept = conn.execute(
        "SELECT value, flag, source, received_at FROM readings "
        "WHERE ts = ? AND interval = ? AND site_id = ? AND parameter = ?",
        (ts, interval, site_id, parameter),
    ).fetchone()
    return outcome_of(row, kept)


def outcome_of(row: ReadingRow, kept: Sequence[Any] | None) -> ConflictRow | bool | None:
    """`_outcome` from the stored (value, flag, source, received_at) of row's key (None: nothing stored)."""
    if kept is None:
        return None
    value, flag, received = row[4], row[5], row[7]
    if kept[0] == value and kept[1] == flag:
        return bool(kept[3] == received)
    return (*row, kept[0], kept[1], kept[2], kept[3])


def stored_once(batch: Sequence[ReadingRow], outcomes: Sequence[ConflictRow | bool | None]) -> int:
    """How many rows of `batch` (one packet, upload or API call) this write stored: those whose stored row is this
    write's (`outcome_of` True), each key once — a key repeated within one batch (an upload listing a value
    twice) is stored once, the repeats are duplicates."""
    seen: set[tuple[Any, ...]] = set()
    count = 0
    for row, outcome in zip(batch, outcomes, strict=True):
        if outcome is True and row[:4] not in seen:
            seen.add(row[:4])
            count += 1
    return count


class SQLiteBackend:
    """The hot store in one SQLite file in WAL mode; writers queue on an flock of a side file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._wal = path.with_name(path.name + "-wal")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Under the writers' flock: receiver workers opening a new file at once would otherwise race to switch
        # it to WAL, and SQLite answers that race with "database is locked" without waiting.
        lock = self._lock_fd()
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            self._create()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

    def _create(self) -> None:
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
            conn.execute(f"PRAGMA journal_size_limit={_WAL_LIMIT}")
            # FULL: a commit returns only once the WAL is on disk, so an acknowledged reading survives a crash.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
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

    def write_rows(
        self,
        prepare: Callable[[], Sequence[WriteSet]],
        *,
        replace: bool = False,
        conflicts: Sequence[ConflictRow] = (),
    ) -> list[tuple[int, int]]:
        """In one transaction, the parts `prepare` gives once the writers' lock is held: readings inserted (the
        first value stands; replaced when `replace`), the others' conflicts kept with `conflicts`, packets
        archived, packet_tally increments added and arrivals queued; (stored, conflicts) of each batch, in
        order."""
        counts: list[tuple[int, int]] = []
        with self.transaction() as conn:
            found = list(conflicts)
            for contents in prepare():
                rows, batches = contents.rows, contents.batches
                before = conn.total_changes
                _insert(conn, _UPSERT if replace else _INSERT, rows)
                if len(rows) == conn.total_changes - before:
                    counts.extend((len(batch), 0) for batch, _ in batches)
                else:  # some rows were stored before: duplicates, or conflicts to keep
                    for batch, _ in batches:
                        outcomes = [_outcome(conn, row) for row in batch]
                        clashes = [o for o in outcomes if isinstance(o, tuple)]
                        found += clashes
                        counts.append((stored_once(batch, outcomes), len(clashes)))
                _insert(conn, _ARCHIVE, contents.archived)
                _insert(conn, _TALLY, contents.tally)  # an upsert: parts may add to the same tally row
                _insert(conn, _ARRIVE, contents.arrivals)
            _insert(conn, _CONFLICT, found)
        return counts

    def keep_conflicts(self, rows: Sequence[ConflictRow]) -> None:
        with self.transaction() as conn:
            _insert(conn, _CONFLICT, rows)

    def fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.connection().execute(sql, params).fetchall()

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.transaction() as conn:
            conn.executemany(sql, rows)

    def checkpoint(self) -> None:
        conn = self.connection()
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        # Under sustained writes a passive checkpoint never catches up (commits append while it copies), and
        # SQLite starts the WAL over only once every frame is copied: the WAL would grow for as long as the load
        # lasts (355 MB in 8 s of the benchmark), each commit extending the file, whose new size every fsync
        # must then write too. So, with the writers' lock held, finish the copy (what arrived during the passive
        # one) and have the next commit write from the start of the file again (RESTART); `journal_size_limit`
        # then trims a WAL that a burst made large.
        try:
            if os.path.getsize(self._wal) < _WAL_RESTART:
                return
        except FileNotFoundError:  # no WAL yet
            return
        # RESTART also waits for readers of older snapshots; a long read (a compaction, a big export) must not
        # keep the writers waiting behind this lock, so it waits 100 ms at most and leaves it for next time.
        lock = self._lock_fd()
        fcntl.flock(lock, fcntl.LOCK_EX)
        conn.execute("PRAGMA busy_timeout=100")
        try:
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
        finally:
            conn.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            fcntl.flock(lock, fcntl.LOCK_UN)

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
