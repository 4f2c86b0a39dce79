"""The electricity readings' Parquet tier: closed days moved out of the SQL table into date-partitioned Parquet
under `DATA_DIR/electricity`, and the check's read of both tiers into numpy columns.

Why two tiers (the monitoring readings' pattern, `readings/store.py`): the SQL table `electricity_readings` takes
what arrives — files and API batches, idempotent on (meter, time) by an upsert, the refused rows kept beside them
in the same transaction — and the check reads the listed enterprises' meters over nine weeks at once, which
through a database driver runs at 0.1-0.2 M rows a second. A city-sized check (5,000 enterprises: 47 M readings)
reads Parquet through DuckDB instead, at tens of millions of rows a second.

Layout: `root/date=<YYYY-MM-DD>/part.parquet`, one file per UTC day, rows sorted by (meter, time) so that a read
of some meters skips the other row groups. Columns: `meter_id`, `ts` (the interval's start, epoch seconds),
`kwh`, `origin` and `received_at` (epoch milliseconds) — the SQL row as it was.

Latest wins, in both tiers (the SQL table's upsert replaces a reading sent again, so does this tier):
- a reading sent again for a day already compacted lands in the SQL table (the upsert sees no row there) and the
  read prefers it to the Parquet one under the same (meter, time) (`hot_over`);
- the next compaction rewrites that day's partition with it in place of the old one (`write_partition`: the new
  rows replace the old under the same key), then deletes it from the SQL table.

Crash safety (`compact`): a day's partition is written whole to a temporary file, fsynced and renamed into place
(a reader never sees half a file, a crash leaves only a temporary file no read looks at), and only then are the
day's rows deleted from the SQL table — exactly the rows read (meter, time, received_at and kWh), so a reading sent
again meanwhile stays. A crash between the two leaves the rows in both tiers with the same values: the read takes
the SQL one (no double count) and the next compaction rewrites the partition identically and deletes them.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from ecoloop.analytics.backends import scratch
from ecoloop.electricity.models import MeterReading
from ecoloop.settings import Settings

SCHEMA = pa.schema(
    [
        ("meter_id", pa.int32()),
        ("ts", pa.int64()),
        ("kwh", pa.float32()),
        ("origin", pa.string()),
        ("received_at", pa.int64()),
    ]
)
KEY = ["meter_id", "ts"]
# Rows per row group: a read of a few meters skips the others' groups (the file is sorted by meter).
ROW_GROUP = 128 * 1024


def root_of(settings: Settings) -> Path:
    """Where the compacted electricity readings live: `DATA_DIR/electricity`."""
    return settings.data_dir / "electricity"


def partition_path(root: Path, day: date) -> Path:
    """The Parquet file of one UTC day."""
    return root / f"date={day.isoformat()}" / "part.parquet"


@dataclass(frozen=True)
class Columns:
    """Readings as columns: meter id, interval start (epoch seconds, UTC), kWh."""

    meter_id: NDArray[np.int64]
    ts: NDArray[np.int64]
    kwh: NDArray[np.float32]

    @staticmethod
    def empty() -> Columns:
        return Columns(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return int(self.ts.size)


def write_partition(root: Path, day: date, rows: pa.Table) -> int:
    """Merge `rows` (of `SCHEMA`, all of UTC day `day`) into the day's partition: the new rows replace the old ones
    under the same (meter, time), the file rewritten atomically (temporary file, fsync, rename); the rows in the
    partition afterwards."""
    rows = rows.select(SCHEMA.names).cast(SCHEMA)
    path = partition_path(root, day)
    if path.exists():
        old = pq.read_table(path, schema=SCHEMA)
        new_keys = _keys(rows)
        old = old.filter(pc.invert(pc.is_in(_keys(old), value_set=new_keys)))
        rows = pa.concat_tables([old, rows])
    rows = _latest(rows).sort_by([("meter_id", "ascending"), ("ts", "ascending")])
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        pq.write_table(rows, handle, row_group_size=ROW_GROUP, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself durable
    finally:
        os.close(directory)
    count: int = rows.num_rows
    return count


def _keys(table: pa.Table) -> pa.Array:
    """(meter, time) as one int64 per row: meter x 2^33 + epoch seconds (times before 2242)."""
    meter = pc.cast(table["meter_id"], pa.int64())
    return pc.add(pc.multiply(meter, 2**33), table["ts"]).combine_chunks()


def _latest(table: pa.Table) -> pa.Table:
    """One row per (meter, time): the one received last (of equal receipt, the later in the table)."""
    if table.num_rows <= 1:
        return table
    order = pa.array(np.arange(table.num_rows, dtype=np.int64))
    ranked = table.append_column("_order", order).sort_by(
        [("meter_id", "ascending"), ("ts", "ascending"), ("received_at", "descending"), ("_order", "descending")]
    )
    keys = _keys(ranked).to_numpy()
    first = np.ones(keys.size, dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    return ranked.filter(pa.array(first)).drop_columns(["_order"])


def compact(session: Session, root: Path, before: datetime) -> int:
    """Move the SQL table's readings of the UTC days that ended by `before` into their partitions, a day at a
    time: the partition written first, then exactly the rows read deleted (see the module's note on crashes).
    How many readings were moved. Runs in the caller's transaction (the scheduler's job commits it)."""
    root.mkdir(parents=True, exist_ok=True)
    # One compaction at a time per root (the job and the command may overlap): two that read a day before and
    # after a reading was sent again could otherwise rename their partitions in the wrong order.
    with (root / ".compaction.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _compact(session, root, before)


def _compact(session: Session, root: Path, before: datetime) -> int:
    cutoff = datetime.combine(before.astimezone(UTC).date(), time(), UTC)
    moved = 0
    cursor: datetime | None = None
    while True:
        query = select(func.min(MeterReading.at)).where(MeterReading.at < cutoff)
        if cursor is not None:
            query = query.where(MeterReading.at >= cursor)
        first = session.scalar(query)
        if first is None:
            return moved
        day = _utc(first).date()
        start = datetime.combine(day, time(), UTC)
        cursor = start + timedelta(days=1)
        moved += _compact_day(session, root, day, start, cursor)


def _compact_day(session: Session, root: Path, day: date, start: datetime, end: datetime) -> int:
    rows = session.execute(
        select(MeterReading.meter_id, MeterReading.at, MeterReading.kwh, MeterReading.origin, MeterReading.received_at)
        .where(MeterReading.at >= start, MeterReading.at < end)
        .order_by(MeterReading.meter_id, MeterReading.at)
    ).all()
    if not rows:
        return 0
    table = pa.table(
        {
            "meter_id": [r.meter_id for r in rows],
            "ts": [int(_utc(r.at).timestamp()) for r in rows],
            "kwh": [r.kwh for r in rows],
            "origin": [r.origin.value for r in rows],
            "received_at": [int(_utc(r.received_at).timestamp() * 1000) for r in rows],
        },
        schema=SCHEMA,
    )
    write_partition(root, day, table)
    statement = delete(MeterReading).where(
        MeterReading.meter_id == bindparam("m"),
        MeterReading.at == bindparam("a"),
        MeterReading.received_at == bindparam("r"),
        MeterReading.kwh == bindparam("k"),
    )
    session.connection().execute(
        statement.execution_options(synchronize_session=False),
        [{"m": r.meter_id, "a": r.at, "r": r.received_at, "k": r.kwh} for r in rows],
    )
    return len(rows)


def _utc(at: datetime) -> datetime:
    """A stored time as aware UTC (SQLite gives it back naive)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def partitions(root: Path, start: datetime, end: datetime) -> list[Path]:
    """The partitions that exist for the UTC days that [start, end) touches."""
    first = start.astimezone(UTC).date()
    last = (end.astimezone(UTC) - timedelta(microseconds=1)).date()
    days = (last - first).days + 1
    paths = (partition_path(root, first + timedelta(days=d)) for d in range(max(days, 0)))
    return [p for p in paths if p.exists()]


def columns(root: Path | None, meter_ids: Sequence[int], start: datetime, end: datetime) -> Columns:
    """The compacted readings of `meter_ids` whose interval starts in [start, end), through DuckDB (one in-memory
    database per read, as `analytics.backends.reading`), straight into numpy."""
    paths = partitions(root, start, end) if root is not None else []
    if not paths or not meter_ids:
        return Columns.empty()
    wanted = pa.table({"meter_id": pa.array(sorted(set(meter_ids)), pa.int32())})
    with scratch({"wanted": wanted}) as connection:
        found = connection.execute(
            "SELECT r.meter_id, r.ts, r.kwh FROM read_parquet(?, hive_partitioning = false) AS r "
            "SEMI JOIN wanted AS w ON r.meter_id = w.meter_id WHERE r.ts >= ? AND r.ts < ?",
            [[str(p) for p in paths], int(start.timestamp()), int(end.timestamp())],
        ).fetchnumpy()
    return Columns(
        np.asarray(found["meter_id"], dtype=np.int64),
        np.asarray(found["ts"], dtype=np.int64),
        np.asarray(found["kwh"], dtype=np.float32),
    )


def cells(
    root: Path | None, positions: Mapping[int, int], start: datetime, slots: int, minutes: int
) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """The compacted readings of the meters in `positions` (meter id -> row) on a grid of `slots` slots of `minutes`
    from `start`, as cells of the flat [rows, slots] array (row x slots + slot) and their kWh. DuckDB reads the
    partitions, keeps the wanted meters and times and computes the cells (both cores), so that only two columns
    come into numpy: the read that makes a city-sized check fast (`bench/electricity.py`)."""
    end = start + timedelta(minutes=minutes * slots)
    paths = partitions(root, start, end) if root is not None else []
    if not paths or not positions:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    wanted = pa.table(
        {
            "meter_id": pa.array(list(positions), pa.int32()),
            "row": pa.array(list(positions.values()), pa.int64()),
        }
    )
    first, step = int(start.timestamp()), minutes * 60
    with scratch({"wanted": wanted}) as connection:
        found = connection.execute(
            "SELECT w.row * ? + (r.ts - ?) // ? AS cell, r.kwh "
            "FROM read_parquet(?, hive_partitioning = false) AS r JOIN wanted AS w ON r.meter_id = w.meter_id "
            "WHERE r.ts >= ? AND r.ts < ?",
            [slots, first, step, [str(p) for p in paths], first, int(end.timestamp())],
        ).fetchnumpy()
    return np.asarray(found["cell"], dtype=np.int64), np.asarray(found["kwh"], dtype=np.float32)


def hot_over(parquet: Columns, hot: Columns) -> Columns:
    """The Parquet readings without those the SQL table holds again (the same meter and time: a reading sent again
    after its day was compacted, or one a crashed compaction left in both), followed by the SQL ones."""
    if not len(hot) or not len(parquet):
        return parquet if not len(hot) else hot
    # Only the Parquet rows of the SQL rows' meters and times are compared (few: the SQL table holds what arrived
    # since the last compaction), each meter looked up in a table rather than searched.
    by_meter = np.zeros(int(max(parquet.meter_id.max(), hot.meter_id.max())) + 1, dtype=bool)
    by_meter[hot.meter_id] = True
    near = by_meter[parquet.meter_id] & (parquet.ts >= hot.ts.min()) & (parquet.ts <= hot.ts.max())
    candidates = np.flatnonzero(near)
    keys = parquet.meter_id[candidates] * 2**33 + parquet.ts[candidates]
    stale = candidates[np.isin(keys, hot.meter_id * 2**33 + hot.ts)]
    keep = np.ones(len(parquet), dtype=bool)
    keep[stale] = False
    return Columns(
        np.concatenate([parquet.meter_id[keep], hot.meter_id]),
        np.concatenate([parquet.ts[keep], hot.ts]),
        np.concatenate([parquet.kwh[keep], hot.kwh]),
    )


# A meter's latest reading is looked for in this many of the newest partitions (a meter silent longer shows none
# from Parquet; the pages say when its last reading was, not its whole history).
LATEST_DAYS = 62


def latest(root: Path | None, meter_ids: Sequence[int]) -> dict[int, datetime]:
    """The time of each meter's latest compacted reading, within the newest LATEST_DAYS partitions."""
    if root is None or not meter_ids or not root.is_dir():
        return {}
    paths = sorted(root.glob("date=*/part.parquet"))[-LATEST_DAYS:]
    if not paths:
        return {}
    wanted = pa.table({"meter_id": pa.array(sorted(set(meter_ids)), pa.int32())})
    with scratch({"wanted": wanted}) as connection:
        rows = connection.execute(
            "SELECT r.meter_id, max(r.ts) FROM read_parquet(?, hive_partitioning = false) AS r "
            "SEMI JOIN wanted AS w ON r.meter_id = w.meter_id GROUP BY r.meter_id",
            [[str(p) for p in paths]],
        ).fetchall()
    return {int(meter_id): datetime.fromtimestamp(int(ts), UTC) for meter_id, ts in rows}
