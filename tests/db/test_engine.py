"""The operational database's engine: on SQLite a transaction that has read and then writes waits for the
writer before it instead of failing with "database is locked" (issue 13), exactly as on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.orm import Session

probe_metadata = MetaData()
probe = Table("concurrency_probe", probe_metadata, Column("id", Integer, primary_key=True), Column("who", String(20)))


@pytest.fixture
def probe_table(engine: Engine) -> Iterator[Table]:
    probe_metadata.create_all(engine)
    try:
        yield probe
    finally:
        probe_metadata.drop_all(engine)


def test_a_transaction_that_read_before_another_commit_still_writes(engine: Engine, probe_table: Table) -> None:
    """A reads, B writes and commits, then A writes: on SQLite with a deferred BEGIN, A's read snapshot is stale and
    its write fails at once (SQLITE_BUSY_SNAPSHOT); it must instead write after B, like PostgreSQL does."""
    a_has_read, b_committed = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with Session(engine) as session:
                session.scalar(select(func.count()).select_from(probe_table))
                a_has_read.set()
                assert b_committed.wait(10)
                session.execute(insert(probe_table).values(who="a"))
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    def second() -> None:
        try:
            assert a_has_read.wait(10)
            with Session(engine) as session:
                session.execute(insert(probe_table).values(who="b"))
                session.commit()
            b_committed.set()
        except BaseException as exc:
            b_committed.set()
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with Session(engine) as session:
        assert sorted(session.scalars(select(probe_table.c.who))) == ["a", "b"]


def test_many_writers_at_once_all_succeed(engine: Engine, probe_table: Table) -> None:
    """Eight threads each read, then write and commit twenty times, all at the same time: nothing fails."""
    start = threading.Barrier(8)
    errors: list[BaseException] = []

    def work(who: str) -> None:
        try:
            start.wait(10)
            for _ in range(20):
                with Session(engine) as session:
                    session.scalar(select(func.count()).select_from(probe_table))
                    session.execute(insert(probe_table).values(who=who))
                    session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(probe_table)) == 160
