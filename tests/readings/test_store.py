"""The hot store: durable upserts, raw-packet archive, device tally, schema migration, concurrent writers."""

from __future__ import annotations

import multiprocessing
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ecoloop.readings.parquet import packets, readings
from ecoloop.readings.store import HotStore, open_hot_store
from ecoloop.readings.vocabulary import (
    Interval,
    Outcome,
    RawPacket,
    Reading,
    ReadingSource,
    WriteCounts,
    parse_source,
    source_value,
)
from ecoloop.settings import Settings
from tests.conftest import make_settings

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def hour(site: int, parameter: str, offset: int, value: float | None, flag: str | None = "N") -> Reading:
    return Reading(site, parameter, Interval.HOUR, T0 + timedelta(hours=offset), value, flag)


def test_the_first_value_stands_a_new_one_is_kept_as_a_conflict_and_a_correction_replaces(
    store: HotStore, tmp_path: Path
) -> None:
    batch = [hour(1, "a21026", i, 10.0 + i) for i in range(3)]
    assert store.write(batch, now=T0) == 3
    resent = store.write_counted(batch, now=T0 + timedelta(minutes=5))
    assert resent == WriteCounts(stored=0, duplicates=3, conflicts=0)  # identical re-send: nothing changes
    assert store.conflicts([1], T0, T0 + timedelta(days=1)) == []
    other = Reading(1, "a21026", Interval.HOUR, T0 + timedelta(hours=1), 99.0, "N", "upload:wang")
    assert store.write_counted([other], now=T0 + timedelta(minutes=6)) == WriteCounts(0, 0, 1)
    rows = readings(store, tmp_path / "parquet").to_pylist()
    assert [r["value"] for r in rows] == [10.0, 11.0, 12.0]  # the first value stands
    assert rows[0]["received_at"] == T0  # the re-send did not even touch received_at
    (conflict,) = store.conflicts([1], T0, T0 + timedelta(days=1))
    assert (conflict.value, conflict.source, conflict.received_at) == (99.0, "upload:wang", T0 + timedelta(minutes=6))
    assert (conflict.kept_value, conflict.kept_source, conflict.kept_received_at) == (11.0, "hj212", T0)
    assert (conflict.parameter, conflict.time) == ("a21026", T0 + timedelta(hours=1))
    # Another such upload of the same value again is kept again (a new receipt); an approved correction replaces.
    fixed = Reading(1, "a21026", Interval.HOUR, T0 + timedelta(hours=1), 12.5, "N", "correction:li")
    assert store.write([fixed], now=T0 + timedelta(minutes=7), replace=True) == 1
    assert store.write([fixed], now=T0 + timedelta(minutes=8), replace=True) == 0
    rows = readings(store, tmp_path / "parquet").to_pylist()
    assert [(r["value"], r["source"]) for r in rows][1] == (12.5, "correction:li")


def test_raw_packets_are_archived_with_their_outcome(store: HotStore) -> None:
    packets = [
        RawPacket(T0, "10.0.0.1:5000", b"##0101QN=...", Outcome.STORED, mn="MN1", cn="2061"),
        RawPacket(T0, "10.0.0.1:5000", b"garbage", Outcome.REJECTED, reason="bad_header", detail="no ##"),
        RawPacket(T0, "10.0.0.2:5000", b"##0101...", Outcome.REJECTED, reason="crc_mismatch"),
    ]
    store.write([], packets, now=T0)
    assert store.packet_counts() == {
        ("stored", None): 1,
        ("rejected", "bad_header"): 1,
        ("rejected", "crc_mismatch"): 1,
    }


def test_naive_times_are_refused(store: HotStore) -> None:
    with pytest.raises(ValueError, match="naive"):
        store.write([Reading(1, "a", Interval.HOUR, datetime(2026, 1, 1), 1.0)])  # noqa: DTZ001


def _writer(path: str, site: int) -> None:
    store = HotStore(Path(path))
    for batch in range(20):
        store.write([hour(site, "a34004", batch * 10 + i, float(i)) for i in range(10)])
    store.close()


def test_several_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "hot.sqlite"
    HotStore(path)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), site)) for site in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert HotStore(path).hot_table().num_rows == 4 * 200


def test_writers_creating_a_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    # Receiver workers start together on a fresh installation: each opens, so creates, the same new file. (Threads
    # with connections of their own race like processes do, and meet more often: 4 rounds in 30 failed before.)
    for round_ in range(20):
        path = tmp_path / str(round_) / "hot.sqlite"
        start, errors = threading.Barrier(6), []

        def create(site: int, path: Path = path, start: threading.Barrier = start, errors: list[Exception] = errors):
            start.wait()
            try:
                store = HotStore(path)
                store.write([hour(site, "a34004", 0, 1.0)])
                store.close()
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=create, args=(site,)) for site in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert HotStore(path).hot_table().num_rows == 6


def test_a_large_group_commit_with_keys_repeated_inside_it(store: HotStore) -> None:
    # More readings than one multi-row statement takes, in chunks of odd sizes, with keys twice in one commit:
    # the first value stands, and each batch counts the readings that now carry its receipt.
    first = [hour(site, "a34004", 0, float(site)) for site in range(1, 152)]
    again = [hour(5, "a34004", 0, 50.0), hour(6, "a34004", 0, 6.0)]  # another value, and an identical re-send
    assert store.write_batches([(first, []), (again, [])], now=T0) == [151, 1]
    values = {row["site_id"]: row["value"] for row in store.hot_table().to_pylist()}
    assert len(values) == 151
    assert values[5] == 5.0
    assert values[151] == 151.0
    assert [(c.site_id, c.value, c.kept_value) for c in store.conflicts([5, 6], T0, T0 + timedelta(hours=1))] == [
        (5, 50.0, 5.0)
    ]


def test_group_commit_counts_changes_per_batch_with_resends_among_them(store: HotStore) -> None:
    first = [hour(1, "a34004", 0, 10.0), hour(1, "a34002", 0, 20.0)]
    assert store.write_batches([(first, [])], now=T0) == [2]
    resent, other, new = first, [hour(1, "a34004", 0, 11.0)], [hour(2, "a34004", 0, 5.0)]
    later = T0 + timedelta(seconds=30)
    assert store.write_batches([(resent, []), (other, []), (new, []), ([], [])], now=later) == [0, 0, 1, 0]
    assert len(store.conflicts([1], T0, later)) == 1
    assert store.write_batches([(new, []), (new, [])], now=later + timedelta(seconds=1)) == [0, 0]


def test_device_activity_from_the_tally(store: HotStore) -> None:
    day2 = T0 + timedelta(days=1)
    store.write([], [RawPacket(T0, "p", b"x", Outcome.STORED, mn="MN1", cn="2061")], now=T0)
    store.write([], [RawPacket(day2, "p", b"x", Outcome.STORED, mn="MN1", cn="2061")] * 2, now=day2)
    store.write([], [RawPacket(day2, "p", b"x", Outcome.REJECTED, "wrong_password", mn="MN1")], now=day2)
    store.write([], [RawPacket(day2, "p", b"x", Outcome.REJECTED, "bad_header")], now=day2)
    activity = store.device_activity(["MN1", "MN2"])
    assert set(activity) == {"MN1"}
    assert activity["MN1"].last_seen == day2
    assert activity["MN1"].packets == {("stored", None): 3, ("rejected", "wrong_password"): 1}
    assert store.device_activity(["MN1"], start=day2)["MN1"].packets[("stored", None)] == 2
    assert store.device_activity(["MN1"], end=day2)["MN1"].packets == {("stored", None): 1}
    assert store.packet_counts()[("rejected", "bad_header")] == 1


def test_a_version_1_store_is_migrated_in_place(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "hot.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE readings (site_id INTEGER NOT NULL, parameter TEXT NOT NULL, interval TEXT NOT NULL,
            ts INTEGER NOT NULL, value REAL, flag TEXT, source TEXT NOT NULL, received_at INTEGER NOT NULL,
            PRIMARY KEY (site_id, parameter, interval, ts)) WITHOUT ROWID;
        CREATE TABLE raw_packets (id INTEGER PRIMARY KEY, received_at INTEGER NOT NULL, peer TEXT NOT NULL,
            mn TEXT, cn TEXT, outcome TEXT NOT NULL, reason TEXT, detail TEXT, frame BLOB NOT NULL);
        CREATE INDEX ix_raw_packets_mn ON raw_packets (mn, received_at);
        INSERT INTO readings VALUES (1, 'a34004', 'hour', 1795000000, 35.0, 'N', 'hj212', 1795000001000);
        INSERT INTO raw_packets VALUES (1, 1795000001000, 'p', 'MN1', '2061', 'stored', NULL, NULL, x'00');
        """
    )
    old.commit()
    old.close()
    store = HotStore(path)
    assert store.hot_table().num_rows == 1
    assert store.packet_counts() == {("stored", None): 1}
    assert store.device_activity(["MN1"])["MN1"].last_seen == datetime.fromtimestamp(1795000001, UTC)
    indexes = store._db.connection().execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    assert ("ix_raw_packets_mn",) not in indexes
    assert HotStore(path).hot_table().num_rows == 1  # opening again changes nothing


def test_an_archived_packet_with_nul_characters_is_kept(store: HotStore, tmp_path: Path) -> None:
    """PostgreSQL text cannot hold NUL: the text columns get U+FFFD there, the frame keeps its bytes everywhere."""
    frame = b"##0010\x00\x01QN=\x00"
    store.write([], [RawPacket(T0, "10.0.0.1:5000", frame, Outcome.REJECTED, "bad_header", detail="a\x00b")], now=T0)
    (row,) = packets(store, tmp_path / "packets").to_pylist()
    assert row["frame"] == frame and row["detail"] in ("a\x00b", "a\ufffdb")


def test_the_settings_choose_the_hot_store(tmp_path: Path, hot_pg_url: str) -> None:
    sqlite = open_hot_store(make_settings(tmp_path))
    assert (sqlite.backend, sqlite.path) == ("sqlite", tmp_path / "ingest" / "hot.sqlite")
    sqlite.close()
    postgresql = open_hot_store(make_settings(tmp_path, hot_store_url=hot_pg_url))
    assert (postgresql.backend, postgresql.path) == ("postgresql", None)
    postgresql.close()
    with pytest.raises(ValueError, match="postgresql"):
        Settings(_env_file=None, hot_store_url="mysql://db/hot")  # type: ignore[call-arg]


def test_postgresql_writers_of_the_same_readings_in_any_order_never_deadlock(
    hot_pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Each transaction changes rows in key order, so concurrent writers wait for each other and PostgreSQL never
    has to abort one of them (the store would retry it, with a warning)."""
    store = HotStore(hot_pg_url)
    keys = [(site, parameter, offset) for site in range(3) for parameter in "abcd" for offset in range(20)]
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        shuffled = random.Random(n)
        try:
            for i in range(15):
                order = shuffled.sample(keys, len(keys))
                mns = shuffled.sample([f"MN{m}" for m in range(20)], 20)
                store.write(
                    [hour(site, parameter, offset, float(i * 10 + n)) for site, parameter, offset in order],
                    [RawPacket(T0, "p", b"x", Outcome.STORED, mn=mn) for mn in mns],
                    now=T0 + timedelta(seconds=i),
                )
        except BaseException as exc:
            failures.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [r.message for r in caplog.records if "retried" in r.message] == []
    assert store.packet_counts() == {("stored", None): 4 * 15 * 20}
    store.close()


def test_hourly_and_daily_readings_are_queued_as_arrivals_until_consumed(store: HotStore) -> None:
    minute = Reading(2, "a21026", Interval.MINUTE, T0, 5.0, "N")
    day = Reading(3, "a21026", Interval.DAY, T0, 7.0, "N")
    store.write([hour(1, "a21026", 0, 10.0), hour(1, "a21002", 0, 20.0), minute, day], now=T0 + timedelta(minutes=2))
    store.write([hour(1, "a21026", 1, 11.0)], now=T0 + timedelta(hours=1, minutes=2))
    queued = store.arrivals()
    # one arrival per site, interval and time; minute data is not queued
    assert [(a.site_id, a.interval, a.time) for a in queued] == [
        (1, Interval.HOUR, T0),
        (3, Interval.DAY, T0),
        (1, Interval.HOUR, T0 + timedelta(hours=1)),
    ]
    assert queued[0].received_at == T0 + timedelta(minutes=2)
    at = store.readings_at(Interval.HOUR, T0, [1, 3])
    assert sorted((r.parameter, r.value) for r in at) == [("a21002", 20.0), ("a21026", 10.0)]
    store.consume_arrivals([queued[0].seq, queued[1].seq])
    assert [a.seq for a in store.arrivals()] == [queued[2].seq]
    assert store.trim_arrivals(T0 + timedelta(hours=2)) == 1
    assert store.arrivals() == []


def test_the_wal_stays_bounded_under_sustained_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A passive checkpoint alone never catches up with a writer that never pauses, and SQLite starts the WAL
    # over only once every frame is copied: the WAL grew for as long as the load lasted (350 MB in 8 s of the
    # receiver benchmark). The checkpoint starts it over once it holds `_WAL_RESTART` bytes.
    from ecoloop.readings import hot_sqlite

    monkeypatch.setattr(hot_sqlite, "_WAL_RESTART", 1 << 20)
    monkeypatch.setattr(hot_sqlite, "_WAL_LIMIT", 1 << 20)
    path = tmp_path / "hot.sqlite"
    store = HotStore(path)
    wal = path.with_name("hot.sqlite-wal")
    stop, largest = threading.Event(), [0]

    def write() -> None:
        writer = HotStore(path)
        writer.manual_checkpoints()
        offset = 0
        while not stop.is_set():
            writer.write([hour(site, "a34004", offset, 1.0) for site in range(500)])
            offset += 1
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    try:
        for _ in range(40):
            time.sleep(0.05)
            store.checkpoint()
            largest[0] = max(largest[0], wal.stat().st_size)
    finally:
        stop.set()
        thread.join()
    assert largest[0] < 8 << 20
    assert store.hot_table().num_rows % 500 == 0


def test_a_long_reader_does_not_hold_the_checkpoint_and_the_writers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from ecoloop.readings import hot_sqlite

    monkeypatch.setattr(hot_sqlite, "_WAL_RESTART", 0)  # start the WAL over at every checkpoint
    path = tmp_path / "hot.sqlite"
    store = HotStore(path)
    store.write([hour(1, "a34004", 0, 1.0)])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM readings").fetchone() == (1,)  # holds this snapshot
    store.write([hour(1, "a34004", 1, 2.0)])
    started = time.monotonic()
    store.checkpoint()  # cannot start the WAL over while the reader reads the old snapshot
    assert time.monotonic() - started < 2
    store.write([hour(1, "a34004", 2, 3.0)])
    reader.execute("COMMIT")
    reader.close()
    assert store.hot_table().num_rows == 3


@pytest.mark.parametrize(
    ("stored", "parsed"),
    [
        ("hj212", (ReadingSource.LOGGER, None)),
        ("upload:wang", (ReadingSource.UPLOAD, "wang")),
        ("api:qx:1", (ReadingSource.API, "qx:1")),
        ("correction:li", (ReadingSource.CORRECTION, "li")),
        ("import:beijing", (ReadingSource.IMPORT, "beijing")),
        ("http", (ReadingSource.API, None)),  # stored before the sources were named
        ("file:beijing", (ReadingSource.IMPORT, "beijing")),
        ("something", (None, None)),
    ],
)
def test_a_stored_source_reads_as_its_kind_and_who(
    stored: str, parsed: tuple[ReadingSource | None, str | None]
) -> None:
    assert parse_source(stored) == parsed
    kind, who = parsed
    if kind is not None and stored not in ("http", "file:beijing"):
        assert source_value(kind, who) == stored


def test_an_accepted_conflict_replaces_the_kept_value_once(store: HotStore) -> None:
    store.write([hour(1, "a21026", 0, 50.0)], now=T0)
    store.write([Reading(1, "a21026", Interval.HOUR, T0, 20.0, "N", "upload:wang")], now=T0 + timedelta(minutes=1))
    (conflict,) = store.conflicts([1], T0, T0 + timedelta(hours=1))
    later = T0 + timedelta(minutes=2)

    assert store.accept_conflict(conflict.id, 2, "li", later) is None  # not a conflict of site 2
    assert store.accept_conflict(conflict.id, 1, "li", later) == conflict
    assert store.accept_conflict(conflict.id, 1, "li", later) is None  # accepted already

    (row,) = store.hot_table().to_pylist()
    assert (row["value"], row["source"]) == (20.0, "correction:li")
    (accepted,) = store.conflicts([1], T0, T0 + timedelta(hours=1))
    assert (accepted.accepted_by, accepted.accepted_at) == ("li", later)


def test_a_key_listed_twice_in_one_write_is_stored_once(store: HotStore) -> None:
    """An upload listing the same value twice was counted as two stored rows (issue 13 review); the repeat is a
    duplicate, another value of the key a conflict."""
    row = hour(1, "a21026", 0, 10.0)
    other = Reading(1, "a21026", Interval.HOUR, T0, 20.0, "N", "upload:wang")
    assert store.write_counted([row, row, other], now=T0) == WriteCounts(stored=1, duplicates=1, conflicts=1)
