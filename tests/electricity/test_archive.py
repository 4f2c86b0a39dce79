"""The electricity readings' Parquet tier: closed days compacted out of the SQL table (idempotent, latest wins, safe
against a crash between the partition's write and the rows' delete), and the check's read giving the same series
from the SQL table, from Parquet and from both, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.electricity import archive, queries, service
from ecoloop.electricity.enums import FlagKind, MeterInterval, MeterTarget, ReadingOrigin
from ecoloop.electricity.models import Meter, MeterReading
from ecoloop.electricity.rules import Grid, Parameters
from ecoloop.electricity.service import RawReading
from ecoloop.electricity.verification import read_series
from ecoloop.enterprises.enums import PerformanceGrade
from tests.electricity.conftest import NOW, WARNING_END, WARNING_START, ZONE, Plant, issue_warning, list_enterprise
from tests.factories import World

# Three local days, 2026-11-20..22 (UTC days 11-19 16:00 ..), read at noon of the 23rd.
FIRST = datetime(2026, 11, 20, tzinfo=ZONE)
AT = datetime(2026, 11, 23, 12, tzinfo=ZONE)


class Crash(Exception):
    """Stands for the process dying after a partition was written and before its transaction committed."""


def store(db: Session, world: World, rows: list[RawReading], now: datetime = AT) -> None:
    meters = service.meters_by_number(db, world.principal(db, "analyst"))
    result = service.store_readings(db, rows, meters, origin=ReadingOrigin.API, username="analyst", now=now, zone=ZONE)
    assert result.record.refused == 0, result.refused_by_reason


def feed(db: Session, world: World, hourly: Meter) -> None:
    """Three days and a half of a 15-minute meter and an hourly one, with gaps."""
    rows: list[RawReading] = []
    for hour in range(3 * 24 + 11):
        at = FIRST + timedelta(hours=hour)
        if hour % 7 != 3:  # a gap every seventh hour
            rows += [
                RawReading(len(rows) + 2, "DB-a-P", at + timedelta(minutes=15 * q), f"{hour + q / 4:.2f}")
                for q in range(4)
            ]
        rows.append(RawReading(len(rows) + 2, hourly.number, at, f"{40 + hour % 5}"))
    store(db, world, rows)


@pytest.fixture
def hourly(db: Session, world: World, plant: Plant) -> Meter:
    return service.save_meter(
        db,
        number="DB-H",
        enterprise_id=world.enterprise_b.id,
        target=MeterTarget.ENTERPRISE,
        interval=MeterInterval.HOUR,
    )


def series(db: Session, root: Path | None, plant: Plant, hourly: Meter) -> np.ndarray:
    grid = Grid(FIRST, days=4)
    return read_series(db, root, [plant.meters["a-p"].id, hourly.id], {hourly.id}, grid)


def hot_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(MeterReading)) or 0


def stored(root: Path) -> pa.Table:
    return pa.concat_tables(pq.read_table(p, schema=archive.SCHEMA) for p in sorted(root.glob("date=*/part.parquet")))


def test_compaction_moves_the_closed_days_once(
    db: Session, world: World, plant: Plant, hourly: Meter, tmp_path: Path
) -> None:
    feed(db, world, hourly)
    total = hot_count(db)
    moved = archive.compact(db, tmp_path, AT)
    # the UTC days closed by 04:00 UTC of the 23rd: everything before 2026-11-23 00:00 UTC (08:00 local)
    cutoff = datetime(2026, 11, 23, tzinfo=UTC)
    left = db.scalars(select(MeterReading.at)).all()
    assert moved == total - len(left) > 0
    assert left and all(at.replace(tzinfo=UTC) >= cutoff for at in left)
    days = sorted(p.parent.name for p in tmp_path.glob("date=*/part.parquet"))
    assert days == ["date=2026-11-19", "date=2026-11-20", "date=2026-11-21", "date=2026-11-22"]
    before = stored(tmp_path)
    assert before.num_rows == moved
    assert archive.compact(db, tmp_path, AT) == 0  # again: nothing left to move, nothing rewritten
    assert stored(tmp_path).equals(before)
    assert hot_count(db) == len(left)


def test_the_read_is_the_same_from_the_sql_table_parquet_and_both(
    db: Session, world: World, plant: Plant, hourly: Meter, tmp_path: Path
) -> None:
    feed(db, world, hourly)
    from_sql = series(db, tmp_path, plant, hourly)
    assert np.nansum(from_sql) > 0 and from_sql[1, 0:4].tolist() == [10.0] * 4  # 40 kWh over an hour's four slots
    archive.compact(db, tmp_path, AT)  # the closed days to Parquet, the 23rd's morning stays in the table
    mixed = series(db, tmp_path, plant, hourly)
    np.testing.assert_array_equal(mixed, from_sql)
    archive.compact(db, tmp_path, AT + timedelta(days=1))  # everything in Parquet
    assert hot_count(db) == 0
    np.testing.assert_array_equal(series(db, tmp_path, plant, hourly), from_sql)
    assert np.isnan(series(db, None, plant, hourly)).all()  # the SQL table alone has nothing left


def test_a_reading_sent_again_after_its_day_was_compacted_wins(
    db: Session, world: World, plant: Plant, hourly: Meter, tmp_path: Path
) -> None:
    feed(db, world, hourly)
    archive.compact(db, tmp_path, AT)
    moved = stored(tmp_path).num_rows
    at = FIRST + timedelta(hours=5, minutes=30)  # slot 22 of the first day, compacted
    assert series(db, tmp_path, plant, hourly)[0, 22] == pytest.approx(5.5)
    store(db, world, [RawReading(2, "DB-a-P", at, "99")], now=AT + timedelta(minutes=5))
    assert series(db, tmp_path, plant, hourly)[0, 22] == 99.0  # the SQL table's reading stands over Parquet
    curve = queries.recent_curve(db, plant.meters["a-p"], AT, tmp_path)
    assert curve["times"].count(at.astimezone(UTC).isoformat()) == 1  # shown once, with the new value
    assert curve["load"][curve["times"].index(at.astimezone(UTC).isoformat())] == 99.0
    archive.compact(db, tmp_path, AT + timedelta(minutes=10))  # the next run rewrites that day's partition
    rows = stored(tmp_path)
    assert rows.num_rows == moved  # replaced, not added
    ts = int(at.timestamp())
    again = rows.filter(pc.and_(pc.equal(rows["meter_id"], plant.meters["a-p"].id), pc.equal(rows["ts"], ts)))
    assert again["kwh"].to_pylist() == [99.0]
    assert series(db, tmp_path, plant, hourly)[0, 22] == 99.0


def test_a_crash_between_the_partition_and_the_delete_loses_nothing_and_counts_nothing_twice(
    db: Session, world: World, plant: Plant, hourly: Meter, tmp_path: Path
) -> None:
    feed(db, world, hourly)
    expected = series(db, tmp_path, plant, hourly)
    curve = queries.recent_curve(db, plant.meters["a-p"], AT, tmp_path)
    total = hot_count(db)
    with pytest.raises(Crash), db.begin_nested():
        assert archive.compact(db, tmp_path, AT) > 0
        raise Crash  # the partitions are on disk; the deletes are rolled back with the transaction
    assert hot_count(db) == total and stored(tmp_path).num_rows > 0  # both tiers hold the closed days
    (tmp_path / "date=2026-11-22" / ".part.parquet.1.tmp").write_bytes(b"half a file")  # a crash mid-write
    np.testing.assert_array_equal(series(db, tmp_path, plant, hourly), expected)
    assert queries.recent_curve(db, plant.meters["a-p"], AT, tmp_path) == curve  # each reading once
    moved = archive.compact(db, tmp_path, AT)  # the next run finishes the work
    assert stored(tmp_path).num_rows == moved and hot_count(db) == total - moved
    np.testing.assert_array_equal(series(db, tmp_path, plant, hourly), expected)


def test_a_partition_written_again_keeps_one_row_per_meter_and_time_the_new_one(tmp_path: Path) -> None:
    def rows(kwh: list[float], ts: list[int], received: int) -> pa.Table:
        n = len(kwh)
        return pa.table(
            {"meter_id": [1] * n, "ts": ts, "kwh": kwh, "origin": ["api"] * n, "received_at": [received] * n},
            schema=archive.SCHEMA,
        )

    day = date(2026, 11, 20)
    start = int(datetime(2026, 11, 20, tzinfo=UTC).timestamp())
    assert archive.write_partition(tmp_path, day, rows([1.0, 2.0], [start, start + 900], 5)) == 2
    # the same key twice in one batch: the later; the partition's row replaced by the new one, even though the
    # clock that stamped the new one is behind
    assert (
        archive.write_partition(tmp_path, day, rows([3.0, 4.0, 5.0], [start + 900, start + 900, start + 1800], 2)) == 3
    )
    table = pq.read_table(archive.partition_path(tmp_path, day))
    assert table["kwh"].to_pylist() == [1.0, 4.0, 5.0]
    assert not list(tmp_path.rglob("*.tmp"))


def test_the_latest_reading_is_found_in_parquet_after_compaction(
    db: Session, world: World, plant: Plant, hourly: Meter, tmp_path: Path
) -> None:
    feed(db, world, hourly)
    ids = [plant.meters["a-p"].id, hourly.id, plant.meters["b-p"].id]
    before = queries.last_readings(db, ids, tmp_path)
    archive.compact(db, tmp_path, AT + timedelta(days=1))
    assert hot_count(db) == 0
    assert queries.last_readings(db, ids, tmp_path) == before
    assert set(before) == {plant.meters["a-p"].id, hourly.id}
    assert queries.last_readings(db, ids, None) == {}


def test_the_check_finds_the_same_flags_on_compacted_readings(
    db: Session, world: World, plant: Plant, tmp_path: Path
) -> None:
    warning = issue_warning(db, world, WARNING_START, WARNING_END)
    list_enterprise(db, world.enterprise_a)
    list_enterprise(db, world.enterprise_a2)
    list_enterprise(db, world.enterprise_b, PerformanceGrade.B)
    service.save_parameters(db, Parameters(weeks=3), username="analyst", now=NOW - timedelta(days=30))
    service.feed_demo(
        db,
        now=NOW,
        zone=ZONE,
        warning_id=warning.id,
        weeks=3,
        over={world.enterprise_a2.id},
        treatment_off={world.enterprise_b.id},
    )
    archive.compact(db, tmp_path, NOW)
    assert hot_count(db) < 6 * 96  # at most the last UTC day is left in the table
    (checked,) = service.run_checks(db, NOW, ZONE, root=tmp_path)
    assert {(f.meter.number, f.kind) for f in checked.flags} == {
        ("DB-a2-P", FlagKind.OVER_ALLOWANCE),
        ("DB-b-T", FlagKind.TREATMENT_OFF),
    }
