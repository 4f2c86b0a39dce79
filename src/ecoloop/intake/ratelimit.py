"""Rate limits of the public channels (issue 18, part 8): how often one address, one phone or one partner came
within a window, counted in the database so that every web process sees the same counts (no Redis).

One hit is one `INSERT … ON CONFLICT DO UPDATE SET hits = hits + 1 … RETURNING hits` on `rate_counters` (SQLite
≥ 3.35 and PostgreSQL): the database adds, so concurrent requests lose no count, where reading the count and
writing it back would (two requests read n, both write n + 1). It runs in the caller's transaction: a refused
submission that rolls back does not count, an accepted one counts with it.

Counts are kept per fixed window (`window_start`, epoch seconds, a multiple of the window), and a limit is
judged on the sliding-window estimate `previous * (1 - elapsed / window) + current`, which spreads the previous
window's hits evenly over it: a burst at a window's boundary cannot pass twice the limit. `purge` deletes the
windows that no estimate reads any more (the scheduler's `intake_housekeeping`)."""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ecoloop.intake.models import RateCounter

KEY_CHARS = 64  # rate_counters.key
SCOPE_CHARS = 16  # rate_counters.scope


def address_key(ip: str) -> str:
    """The key of a client address: an IPv4 address as it is, an IPv6 address by its /64 (one household or phone
    gets a whole /64 and may pick any address in it); an IPv4 address carried in IPv6 (`::ffff:…`) as the IPv4.
    Anything else (a test client's name) is its own key, cut to the column's length."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip[:KEY_CHARS]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


def _column_key(key: str) -> str:
    """`key` as stored: a longer key (an address with a ticket code) by its SHA-256, so that it fits the column
    and still counts as itself."""
    return key if len(key) <= KEY_CHARS else hashlib.sha256(key.encode()).hexdigest()


def _seconds(window: timedelta) -> int:
    seconds = int(window.total_seconds())
    if seconds < 1:
        raise ValueError("a rate window is at least one second")
    return seconds


def _estimate(previous: int, current: int, now: datetime, start: int, seconds: int) -> float:
    """The sliding-window estimate: the previous window's hits weighted by the part of it still inside the last
    `seconds`, plus the current window's."""
    elapsed = min(max(now.timestamp() - start, 0.0), float(seconds))
    return previous * (1 - elapsed / seconds) + current


def _hits(session: Session, scope: str, key: str, start: int) -> int:
    found = session.scalar(
        select(RateCounter.hits).where(
            RateCounter.scope == scope, RateCounter.key == key, RateCounter.window_start == start
        )
    )
    return found or 0


def _upsert(session: Session, scope: str, key: str, start: int) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(RateCounter)
    elif dialect == "sqlite":
        stmt = sqlite.insert(RateCounter)
    else:  # pragma: no cover - ecoloop runs on these two
        raise NotImplementedError(f"no atomic upsert for {dialect}")
    stmt = stmt.values(scope=scope, key=key, window_start=start, hits=1)
    return stmt.on_conflict_do_update(
        index_elements=[RateCounter.scope, RateCounter.key, RateCounter.window_start],
        set_={"hits": RateCounter.hits + 1},
    ).returning(RateCounter.hits)


def hit(session: Session, scope: str, key: str, window: timedelta, now: datetime) -> float:
    """Count one hit of `key` in `scope` at `now` (one atomic upsert, in the caller's transaction) and return the
    hits within the last `window`, this one included (sliding-window estimate)."""
    if len(scope) > SCOPE_CHARS:
        raise ValueError(f"a rate scope has at most {SCOPE_CHARS} characters")
    seconds = _seconds(window)
    key = _column_key(key)
    epoch = int(now.timestamp())
    start = epoch - epoch % seconds
    current: int = session.execute(_upsert(session, scope, key, start)).scalar_one()
    previous = _hits(session, scope, key, start - seconds)
    return _estimate(previous, current, now, start, seconds)


def peek(session: Session, scope: str, key: str, window: timedelta, now: datetime) -> float:
    """The hits of `key` in `scope` within the last `window` at `now`, without counting one."""
    seconds = _seconds(window)
    key = _column_key(key)
    epoch = int(now.timestamp())
    start = epoch - epoch % seconds
    current = _hits(session, scope, key, start)
    previous = _hits(session, scope, key, start - seconds)
    return _estimate(previous, current, now, start, seconds)


def purge(session: Session, now: datetime, keep: timedelta) -> int:
    """Delete the windows that began more than `keep` before `now` (keep at least twice the longest window: the
    estimate reads the previous one); how many were deleted."""
    before = int((now - keep).timestamp())
    result = session.execute(delete(RateCounter).where(RateCounter.window_start < before))
    return int(getattr(result, "rowcount", 0) or 0)
