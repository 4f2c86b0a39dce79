"""Rate counters of the public channels: addresses keyed by IPv4 or IPv6 /64, the sliding-window estimate, the
atomic upsert under concurrent writers (threads on PostgreSQL and on a SQLite file, processes on a SQLite file),
and the purge of old windows."""

from __future__ import annotations

import multiprocessing
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from ecoloop.db.engine import make_engine
from ecoloop.db.migrate import upgrade
from ecoloop.intake import ratelimit
from ecoloop.intake.models import RateCounter

HOUR = timedelta(hours=1)
# 2026-12-07 10:00:00 UTC is epoch 1_796_637_600, a multiple of 3600: an hour window starts there.
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),  # the same /64: one household, one key
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::ffff:198.51.100.9", "198.51.100.9"),  # IPv4 carried in IPv6
        (" 203.0.113.7 ", "203.0.113.7"),
        ("testclient", "testclient"),
        ("x" * 100, "x" * 64),
    ],
)
def test_an_address_is_keyed_by_ipv4_or_its_ipv6_64(ip: str, key: str) -> None:
    assert ratelimit.address_key(ip) == key


def test_hits_count_within_a_window_and_the_previous_one_fades(db: Session) -> None:
    assert T0.timestamp() % 3600 == 0
    for minute in (0, 10, 20):
        ratelimit.hit(db, "ip", "203.0.113.7", HOUR, T0 + timedelta(minutes=minute))
    # Three hits in the 10:00 window; at 10:30 nothing from an earlier window.
    assert ratelimit.peek(db, "ip", "203.0.113.7", HOUR, T0 + timedelta(minutes=30)) == 3
    # At 11:15 the 10:00 window weighs 1 - 15/60 = 0.75: 3 x 0.75 = 2.25, plus this hit = 3.25.
    assert ratelimit.hit(db, "ip", "203.0.113.7", HOUR, T0 + timedelta(minutes=75)) == pytest.approx(3.25)
    # At 11:45: 3 x 0.25 + 1 = 1.75 (peek does not count).
    assert ratelimit.peek(db, "ip", "203.0.113.7", HOUR, T0 + timedelta(minutes=105)) == pytest.approx(1.75)
    assert ratelimit.peek(db, "ip", "203.0.113.7", HOUR, T0 + timedelta(minutes=105)) == pytest.approx(1.75)
    # At 12:30 the 10:00 window is two back: only 11:00's one hit, weighted 0.5.
    assert ratelimit.peek(db, "ip", "203.0.113.7", HOUR, T0 + timedelta(minutes=150)) == pytest.approx(0.5)
    # Other keys and scopes count apart.
    assert ratelimit.peek(db, "ip", "203.0.113.8", HOUR, T0 + timedelta(minutes=30)) == 0
    assert ratelimit.hit(db, "phone", "203.0.113.7", HOUR, T0 + timedelta(minutes=30)) == 1


def test_a_day_window_and_a_long_key(db: Session) -> None:
    day = timedelta(days=1)
    key = "lookup:203.0.113.7:" + "2026-7K3Q9M2X" * 5  # longer than the column: kept by its digest
    assert ratelimit.hit(db, "lookup", key, day, T0) == 1
    assert ratelimit.hit(db, "lookup", key, day, T0 + timedelta(hours=13)) == 2  # the same UTC day
    stored = db.scalars(select(RateCounter.key).where(RateCounter.scope == "lookup")).all()
    assert [len(k) for k in stored] == [64]


def test_purge_deletes_the_windows_older_than_kept(db: Session) -> None:
    for hours in (0, 1, 2, 5):
        ratelimit.hit(db, "ip", "198.51.100.1", HOUR, T0 + timedelta(hours=hours))
    # At 15:30, keeping 2 hours: windows starting before 13:30 go (10:00, 11:00, 12:00), 15:00 stays.
    assert ratelimit.purge(db, T0 + timedelta(hours=5, minutes=30), timedelta(hours=2)) == 3
    left = db.scalars(select(RateCounter.window_start).where(RateCounter.key == "198.51.100.1")).all()
    assert left == [int(T0.timestamp()) + 5 * 3600]


def test_a_window_shorter_than_a_second_is_refused(db: Session) -> None:
    with pytest.raises(ValueError, match="second"):
        ratelimit.hit(db, "ip", "x", timedelta(milliseconds=10), T0)
    with pytest.raises(ValueError, match="scope"):
        ratelimit.hit(db, "a-scope-too-long-for-it", "x", HOUR, T0)


def _hammer(engine: Engine, key: str, writers: int, hits: int) -> list[BaseException]:
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait(30)
            for _ in range(hits):
                with Session(engine) as session:
                    ratelimit.hit(session, "ip", key, HOUR, T0)
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_concurrent_hits_on_one_key_lose_no_count(engine: Engine) -> None:
    """8 threads, each 50 hits in transactions of their own, on one key at once: exactly 400 (a read-then-write
    counter loses updates here under PostgreSQL's READ COMMITTED)."""
    key = f"hammer-{uuid.uuid4().hex[:8]}"
    try:
        assert _hammer(engine, key, writers=8, hits=50) == []
        with Session(engine) as session:
            assert session.scalar(select(RateCounter.hits).where(RateCounter.key == key)) == 400
            assert ratelimit.peek(session, "ip", key, HOUR, T0) == 400
    finally:
        with Session(engine) as session:
            session.execute(delete(RateCounter).where(RateCounter.key == key))
            session.commit()


def _process_hits(url: str, hits: int) -> None:
    engine = make_engine(url)
    for _ in range(hits):
        with Session(engine) as session:
            ratelimit.hit(session, "ip", "processes", HOUR, T0)
            session.commit()
    engine.dispose()


def test_processes_hitting_one_key_of_a_sqlite_file_lose_no_count(tmp_path: Path) -> None:
    """4 processes x 100 hits on one SQLite file (the single-server deployment: several web workers)."""
    url = f"sqlite:///{tmp_path / 'counters.sqlite'}"
    upgrade(url)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_process_hits, args=(url, 100)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    engine = make_engine(url)
    with Session(engine) as session:
        assert session.scalar(select(func.sum(RateCounter.hits)).where(RateCounter.key == "processes")) == 400
    engine.dispose()
