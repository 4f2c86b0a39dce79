"""The readings store: a durable hot store that acknowledges, compacted into date-partitioned Parquet.

Why two tiers: the receiver, the web server, the scheduler and CLI commands are separate processes, and a
DuckDB database file admits one writing process (the others cannot even open it). So:

- **Hot store** (this module) — by default one SQLite file in WAL mode (`DATA_DIR/ingest/hot.sqlite`),
  `synchronous=FULL`; or, for a bureau that outgrows one machine, three tables in a PostgreSQL database
  (`HOT_STORE_URL`). Either way a reading is acknowledged only after the transaction that holds it is durable.
  Many writers take turns (the receiver batches thousands of readings per commit); readers never block writers.
  Readings are keyed on (site, parameter, interval, time) and the first value stored stands: a re-sent packet
  with the same value and flag is a duplicate that changes nothing, and one with another value (a re-sent HJ 212
  packet, an upload, an API call, a history import) is kept aside in `reading_conflicts` for review instead of
  replacing it (issue 13). Only an approved data correction (`ReadingSource.CORRECTION`, written with
  `replace=True`) replaces a stored value. Every reading keeps its source (`ReadingSource`, with who sent it
  where that is a user). Every raw packet, accepted or rejected, is archived here with its outcome and reason.
- **Parquet** (`parquet.py`) — `compact()` moves readings into
  `DATA_DIR/readings/interval=<kind>/date=<YYYY-MM-DD>/part.parquet` (one file per partition, rewritten
  atomically with the merged, de-duplicated rows). Any process reads them with DuckDB — or Spark — without a
  lock; `readings()` adds the rows still in the hot store.

`HotStore` is the one interface; what differs between the two databases (placeholders, upsert and change
counting, locking, schema, checkpoints) lives in its two backends, `SQLiteBackend` (`hot_sqlite.py`) and
`PostgresBackend` (`hot_postgres.py`).
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa

from ecoloop.readings.hot_postgres import POSTGRESQL_SCHEMES, PostgresBackend
from ecoloop.readings.hot_sqlite import CONFLICT_COLUMNS, READING_COLUMNS, SQLiteBackend
from ecoloop.readings.rules import REPRESENTABLE_FIRST, REPRESENTABLE_LAST, TimeWindow, epoch_refusal, value_refusal
from ecoloop.readings.vocabulary import (
    PACKETS_SCHEMA,
    READINGS_SCHEMA,
    ArchiveRow,
    Arrival,
    Batches,
    Conflict,
    ConflictRow,
    DeviceActivity,
    Interval,
    Outcome,
    RawPacket,
    Reading,
    ReadingSource,
    WriteCounts,
    WriteSet,
    archive_row,
    epoch_ms,
    reading_row,
    source_value,
    write_set,
)

if TYPE_CHECKING:
    from ecoloop.settings import Settings

_I = TypeVar("_I")


class HotStore:
    """The durable, multi-process hot store: one SQLite file in WAL mode, or tables in a PostgreSQL database.

    `location` is the SQLite file's path, or a `postgresql://` (or `postgresql+psycopg://`) URL."""

    def __init__(self, location: Path | str) -> None:
        self.path: Path | None = None
        if isinstance(location, str) and location.startswith(POSTGRESQL_SCHEMES):
            self._db: SQLiteBackend | PostgresBackend = PostgresBackend(location)
        else:
            self.path = Path(location)
            self._db = SQLiteBackend(self.path)

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql`."""
        return "sqlite" if isinstance(self._db, SQLiteBackend) else "postgresql"

    def write(
        self,
        readings: Sequence[Reading],
        packets: Sequence[RawPacket] = (),
        now: datetime | None = None,
        *,
        replace: bool = False,
    ) -> int:
        """Store readings and archive packets in one durable transaction; returns how many readings were stored
        (see `write_counted`)."""
        return self.write_counted(readings, packets, now, replace=replace).stored

    def write_counted(
        self,
        readings: Sequence[Reading],
        packets: Sequence[RawPacket] = (),
        now: datetime | None = None,
        *,
        replace: bool = False,
        conflicts: Sequence[ConflictRow] = (),
    ) -> WriteCounts:
        """Store readings, archive packets and keep `conflicts` (found by the caller, e.g. against Parquet) in one
        durable transaction. A reading whose key is stored already is a duplicate (same value and flag) or a
        conflict kept for review (another value) — unless `replace` (an approved correction): then it replaces
        the stored value."""
        received = epoch_ms(now or datetime.now(UTC))
        rows = [reading_row(r, received) for r in readings]
        batch = [(rows, [archive_row(p) for p in packets])]
        ((stored, conflicting),) = self._write(batch, replace=replace, conflicts=conflicts)
        return WriteCounts(stored, len(rows) - stored - conflicting, conflicting)

    def write_batches(
        self, batches: Sequence[tuple[Sequence[Reading], Sequence[RawPacket]]], now: datetime | None = None
    ) -> list[int]:
        """Several writers' readings and packets in one durable transaction (group commit); the count of readings
        stored of each batch, in order."""
        received = epoch_ms(now or datetime.now(UTC))
        return self.write_rows(
            [
                ([reading_row(r, received) for r in readings], [archive_row(p) for p in packets])
                for readings, packets in batches
            ]
        )

    def write_rows(self, batches: Batches | Callable[[], Batches]) -> list[int]:
        """`write_batches` for readings and packets already in their stored form. Each distinct (site, interval,
        time) of hourly and daily readings is queued in `arrivals` in the same transaction, for the alert engine.

        `batches` may be a function that takes them from a queue, returning those not taken before: it is called
        before the transaction, and again once it holds the write lock, so a group commit that had to wait for
        another process's takes along what arrived meanwhile while the rows of the others are made ready
        outside the lock."""
        return [stored for stored, _ in self._write(batches)]

    def _write(
        self,
        batches: Batches | Callable[[], Batches],
        *,
        replace: bool = False,
        conflicts: Sequence[ConflictRow] = (),
    ) -> list[tuple[int, int]]:
        """(stored, conflicts) of each batch written in one transaction (see `write_rows`)."""
        take: Callable[[], Batches] | None = None
        if callable(batches):
            take, batches = batches, batches()
        parts = [write_set(batches)]
        asked: list[bool] = []

        def prepare() -> list[WriteSet]:  # the late ones once, even when a PostgreSQL transaction is retried
            if take is not None and not asked:
                asked.append(True)
                arrived = take()
                if arrived:
                    parts.append(write_set(arrived))
            return parts

        return self._db.write_rows(prepare, replace=replace, conflicts=conflicts)

    def keep_conflicts(self, rows: Sequence[ConflictRow]) -> None:
        """Keep conflicts found outside a write (compaction, history imports: `parquet.merge_into_parquet`); one
        already kept is not kept twice."""
        if rows:
            self._db.keep_conflicts(rows)

    def conflicts(self, site_ids: Sequence[int], start: datetime, end: datetime, limit: int = 1000) -> list[Conflict]:
        """The conflicts kept for the sites whose readings' time is in [start, end), by time, at most `limit`."""
        found: list[Conflict] = []
        bounds = [math.ceil(start.timestamp()), math.ceil(end.timestamp())]
        for chunk in _chunks(site_ids):
            rows = self._db.fetch(
                f"SELECT {_CONFLICT_SELECT} FROM reading_conflicts WHERE site_id IN ({_marks(chunk)}) "
                "AND ts >= ? AND ts < ? ORDER BY ts, parameter, received_at LIMIT ?",
                [*chunk, *bounds, limit],
            )
            found += [_conflict(row) for row in rows]
        return sorted(found, key=lambda c: (c.time, c.parameter, c.received_at))[:limit]

    def accept_conflict(self, conflict_id: int, site_id: int, reviewer: str, now: datetime) -> Conflict | None:
        """After review, store a conflicting value of the site in place of the kept one, as an approved correction
        by `reviewer` (`ReadingSource.CORRECTION`), and mark the conflict accepted; None when the site has no
        such conflict, or it was accepted already."""
        rows = self._db.fetch(
            f"SELECT {_CONFLICT_SELECT} FROM reading_conflicts WHERE id = ? AND site_id = ? AND accepted_by IS NULL",
            [conflict_id, site_id],
        )
        if not rows:
            return None
        c = _conflict(rows[0])
        source = source_value(ReadingSource.CORRECTION, reviewer)
        self.write(
            [Reading(c.site_id, c.parameter, c.interval, c.time, c.value, c.flag, source)], now=now, replace=True
        )
        self._db.execute_many(
            "UPDATE reading_conflicts SET accepted_by = ?, accepted_at = ? WHERE id = ?",
            [[reviewer, epoch_ms(now), conflict_id]],
        )
        return c

    def arrivals(self, limit: int = 10_000) -> list[Arrival]:
        """The oldest queued arrivals, at most `limit`. A consumer handles them, then `consume_arrivals`: an
        arrival committed late with a lower number than one already handled is still picked up next time."""
        # Arrivals of times no datetime holds (stored before the receiver refused them) are left to
        # `trim_arrivals`: reading them would stop every consumer.
        rows = self._db.fetch(
            "SELECT seq, site_id, interval, ts, received_at FROM arrivals WHERE ts >= ? AND ts <= ? ORDER BY seq "
            "LIMIT ?",
            [REPRESENTABLE_FIRST, REPRESENTABLE_LAST, limit],
        )
        return [
            Arrival(seq, site, Interval(interval), _instant(ts), _instant_ms(ms))
            for seq, site, interval, ts, ms in rows
        ]

    def consume_arrivals(self, seqs: Sequence[int]) -> None:
        """Remove handled arrivals."""
        for chunk in _chunks(seqs):
            self._db.execute_many(f"DELETE FROM arrivals WHERE seq IN ({_marks(chunk)})", [chunk])

    def trim_arrivals(self, before: datetime) -> int:
        """Drop arrivals received before `before` that nobody consumed (no alert engine running); how many."""
        (count,) = self._db.fetch("SELECT count(*) FROM arrivals WHERE received_at < ?", [epoch_ms(before)])[0]
        if count:
            self._db.execute_many("DELETE FROM arrivals WHERE received_at < ?", [[epoch_ms(before)]])
        return int(count)

    def readings_at(self, interval: Interval, ts: datetime, site_ids: Sequence[int]) -> list[Reading]:
        """The hot readings of `interval` at time `ts` of the sites (by the key's prefix: time, interval, site)."""
        found: list[Reading] = []
        seconds = math.ceil(ts.timestamp())
        for chunk in _chunks(site_ids):
            rows = self._db.fetch(
                "SELECT site_id, parameter, value, flag, source FROM readings "
                f"WHERE ts = ? AND interval = ? AND site_id IN ({_marks(chunk)})",
                [seconds, interval.value, *chunk],
            )
            found += [
                Reading(site, p, interval, ts, value, flag, source)
                for site, p, value, flag, source in rows
                if value_refusal(value) is None  # an infinite value stored before it was refused is skipped
            ]
        return found

    def hot_table(self, before_ms: int | None = None, site_id: int | None = None) -> pa.Table:
        """Readings still in the hot store (received before `before_ms`, of one site, when given) as Arrow."""
        sql = f"SELECT {READING_COLUMNS} FROM readings WHERE 1=1"
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
                f"SELECT {READING_COLUMNS} FROM readings WHERE site_id IN ({_marks(chunk)}) "
                f"AND interval IN ({_marks(names)}) AND ts >= ? AND ts < ?",
                [*chunk, *names, *bounds],
            )
        return _to_arrow(rows)

    def latest_times(self, site_ids: Sequence[int], until: datetime | None = None) -> dict[int, datetime]:
        """The time of each site's latest hot reading of any kind, not after `until` when given (sites without one
        are absent). Times no datetime holds are skipped."""
        latest: dict[int, datetime] = {}
        bounds = [REPRESENTABLE_FIRST, _until(until)]
        for chunk in _chunks(site_ids):
            sql = (
                f"SELECT site_id, max(ts) FROM readings WHERE site_id IN ({_marks(chunk)}) AND ts >= ? AND ts <= ? "
                "GROUP BY site_id"
            )
            for site, seconds in self._db.fetch(sql, [*chunk, *bounds]):
                latest[site] = datetime.fromtimestamp(seconds, UTC)
        return latest

    def latest_readings(self, site_id: int, interval: Interval, until: datetime | None = None) -> list[Reading]:
        """The latest hot reading of each parameter of a site's `interval` data not after `until` when given, by
        parameter, with its receipt. Times no datetime holds are skipped."""
        rows = self._db.fetch(
            "SELECT r.parameter, r.ts, r.value, r.flag, r.source, r.received_at FROM readings r "
            "JOIN (SELECT parameter, max(ts) AS ts "
            "FROM readings WHERE site_id = ? AND interval = ? AND ts >= ? AND ts <= ? "
            f"AND {_FINITE} GROUP BY parameter) m "
            "ON r.parameter = m.parameter AND r.ts = m.ts WHERE r.site_id = ? AND r.interval = ? ORDER BY r.parameter",
            [site_id, interval.value, REPRESENTABLE_FIRST, _until(until), *_FINITE_BOUNDS, site_id, interval.value],
        )
        return [
            Reading(site_id, parameter, interval, _instant(ts), value, flag, source, _instant_ms(received))
            for parameter, ts, value, flag, source, received in rows
        ]

    def set_aside(self, window: TimeWindow, now: datetime) -> Counter[str]:
        """Move readings stored before the ways in refused them (a time outside `window` at `now`, an infinite
        value) out of the readings into the packet archive, as rejected entries with the refusal's reason and the
        row as JSON; how many by reason. Archived first, removed after (unless changed meanwhile), so a crash in
        between leaves a reading in both places, never in neither."""
        first, last = window.first, window.last(now)
        rows = self._db.fetch(
            f"SELECT {READING_COLUMNS} FROM readings WHERE ts < ? OR ts > ? OR NOT {_FINITE}",
            [first, last, *_FINITE_BOUNDS],
        )
        found: Counter[str] = Counter()
        archived: list[ArchiveRow] = []
        keys: list[tuple[int, str, str, int, int]] = []
        received = epoch_ms(now)
        for row in rows:
            entry = dict(zip(READING_COLUMNS.split(", "), row, strict=True))
            refusal = epoch_refusal(entry["ts"], first, last) or value_refusal(entry["value"])
            if refusal is None:
                continue
            found[refusal.value] += 1
            key = (entry["site_id"], entry["parameter"], entry["interval"], entry["ts"], entry["received_at"])
            frame = json.dumps(entry, default=str).encode()  # json writes infinity as Infinity
            detail = f"set aside from the stored readings: site {key[0]} {key[1]} {key[2]} ts {key[3]}"
            archived.append((received, "store", None, "stored", Outcome.REJECTED.value, refusal.value, detail, frame))
            keys.append(key)
        if archived:
            self.write_rows([((), archived)])
            self.delete_compacted(keys)
        return found

    def checkpoint(self) -> None:
        """Copy committed WAL pages into the SQLite file without blocking writers (PRAGMA wal_checkpoint PASSIVE),
        then, once the WAL holds 16 MB, start it over, which holds the writers back for the last pages' copy
        (RESTART); nothing on PostgreSQL. A busy writer turns its own automatic checkpoints off
        (`manual_checkpoints`) and calls this from another thread, so its commits never run one."""
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


def time_window(settings: Settings) -> TimeWindow:
    """The plausible data times the settings allow (`READINGS_EARLIEST`, `READINGS_MAX_AHEAD_MINUTES`)."""
    return TimeWindow(settings.readings_earliest, timedelta(minutes=settings.readings_max_ahead_minutes))


# SQL condition of a finite or missing value, with `_FINITE_BOUNDS` as its parameters: the largest finite doubles
# (SQLite stores NaN as NULL; PostgreSQL orders NaN above every number).
_FINITE = "(value IS NULL OR value BETWEEN ? AND ?)"
_FINITE_BOUNDS = (-sys.float_info.max, sys.float_info.max)
_CHUNK = 500  # bound parameters per statement (SQLite allows 32,766, PostgreSQL 65,535)


_CONFLICT_SELECT = f"{CONFLICT_COLUMNS}, id, accepted_by, accepted_at"


def _conflict(row: tuple[Any, ...]) -> Conflict:
    site, parameter, interval, ts, value, flag, source, received, kept, kept_flag, kept_source, kept_received = row[:12]
    conflict_id, accepted_by, accepted_at = row[12:]
    return Conflict(
        site,
        parameter,
        Interval(interval),
        _instant(ts),
        value,
        flag,
        source,
        _instant_ms(received),
        kept,
        kept_flag,
        kept_source,
        _instant_ms(kept_received),
        conflict_id,
        accepted_by,
        None if accepted_at is None else _instant_ms(accepted_at),
    )


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _until(moment: datetime | None) -> int:
    """Epoch seconds of an upper bound of reading times: `moment`, or the last that a datetime holds."""
    return REPRESENTABLE_LAST if moment is None else min(math.floor(moment.timestamp()), REPRESENTABLE_LAST)


def _instant_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


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


def _packets_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [() for _ in PACKETS_SCHEMA]
    arrays = [
        pa.array(column, pa.int64()).cast(field.type) if field.name == "received_at" else pa.array(column, field.type)
        for column, field in zip(columns, PACKETS_SCHEMA, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=PACKETS_SCHEMA)
