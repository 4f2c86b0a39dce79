"""Engine and session factory for the operational database (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_SECONDS = 30
# Statements that only read: they run in the transaction's read snapshot and take no write lock.
_READING = ("SELECT", "PRAGMA", "EXPLAIN", "ANALYZE", "VALUES")
_WRITING = "sqlite_writing"  # connection.info key: the transaction holds SQLite's write lock (BEGIN IMMEDIATE)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and a busy timeout, and its directory is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_before_write)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, emit BEGIN, so that transactions and SAVEPOINTs behave as on
    # PostgreSQL (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_SECONDS * 1000}")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # A transaction starts as a reader (deferred): pages read side by side, and writers do not wait for them.
    connection.info[_WRITING] = True  # the BEGIN itself is no write
    connection.exec_driver_sql("BEGIN")
    connection.info[_WRITING] = False


def _sqlite_before_write(
    connection: Any, cursor: Any, statement: str, _parameters: Any, _context: Any, _executemany: bool
) -> None:
    """Before a transaction's first write (or savepoint), restart it as a writer with BEGIN IMMEDIATE.

    A deferred transaction that has read and then writes is refused at once with "database is locked" when
    another connection committed since its read (SQLITE_BUSY_SNAPSHOT: the busy timeout does not apply), so two
    people signing in or commenting at the same time failed (issue 13). Until its first write a transaction has
    changed nothing, so it is committed and begun again with IMMEDIATE, which waits (busy timeout) for the write
    lock. Its earlier reads then belong to an earlier snapshot, as every statement's do on PostgreSQL (READ
    COMMITTED); optimistic versions and constraints catch what changed in between.
    """
    if connection.info.get(_WRITING, True) or statement.lstrip()[:8].upper().startswith(_READING):
        return
    raw = cursor.connection
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")
    connection.info[_WRITING] = True


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (pages render after the transaction)."""
    return sessionmaker(engine, expire_on_commit=False)
