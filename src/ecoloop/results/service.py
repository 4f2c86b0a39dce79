"""Computing the results for the days that need it and keeping them (`results.store`).

`compute_days` computes given local days (the command `ecoloop results compute`, the demo after its history is
imported); `refresh` is the scheduler's job: today and yesterday always (the current hour on its arrival, within the
job's period), and any older day whose readings changed since the last run (a late upload, an approved
correction, a history import): a readings partition written after the mark of the last run names its days.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.rules import assessed_level
from ecoloop.regions.models import Region
from ecoloop.results import air, store
from ecoloop.results.computation import Computation, Output
from ecoloop.results.noise import NoiseComputation
from ecoloop.results.sources import SourcesComputation
from ecoloop.results.water import WaterComputation

# A period longer than this is computed in parts of at most this many days (memory stays bounded; each natural
# day is computed from its own hours, so the parts give the same rows as one pass).
CHUNK_DAYS = 31
MARK_FILE = "refreshed.json"


@dataclass
class Computed:
    """What a computation did: the days and the partitions written per table."""

    days: int = 0
    partitions: dict[str, int] = field(default_factory=dict)

    def add(self, other: Computed) -> None:
        self.days += other.days
        for name, count in other.partitions.items():
            self.partitions[name] = self.partitions.get(name, 0) + count

    def __str__(self) -> str:
        written = ", ".join(f"{name} {count}" for name, count in sorted(self.partitions.items()))
        return f"{self.days} days computed" + (f" ({written} partitions)" if written else "")


def air_network(session: Session) -> list[air.Station]:
    """The active air stations and the areas each is assessed for: every region containing it (itself and its
    ancestors) from the level its station level assesses down (a national, provincial or city control station
    counts for the city, its county and its town; a county control station for its county and town; a town
    station for its town; a station without a level for its own region only)."""
    regions = {code: (rid, level) for rid, code, level in session.execute(select(Region.id, Region.code, Region.level))}
    stations = []
    rows = session.execute(
        select(Site.id, Site.station_level, Region.path)
        .join(Region, Site.region_id == Region.id)
        .where(Site.kind == SiteKind.AIR_STATION, Site.active.is_(True))
        .order_by(Site.id)
    )
    for site_id, station_level, path in rows:
        chain = [regions[code] for code in path.split(".") if code in regions]
        if not chain:
            continue
        areas: tuple[int, ...]
        if station_level is None:
            areas = (chain[-1][0],)
        else:
            depth = assessed_level(StationLevel(station_level)).depth
            areas = tuple(rid for rid, level in chain if level.depth >= depth)
        stations.append(air.Station(site_id, areas))
    return stations


@dataclass(frozen=True)
class AirComputation:
    """Hourly and daily AQI of stations and areas (`results.air`)."""

    name: str = "air"

    def network(self, session: Session) -> list[air.Station]:
        return air_network(session)

    def compute(
        self, con: Any, stored: StoredReadings, network: Any, first: date, last: date, tz: tzinfo
    ) -> list[Output]:
        results = air.compute(con, stored, network, first, last, tz)
        span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return [Output(table, results.of(table), span) for table in air.TABLES]


# Every kind of result the job and the command compute, in this order.
COMPUTATIONS: tuple[Computation, ...] = (
    AirComputation(),
    WaterComputation(),
    NoiseComputation(),
    SourcesComputation(),
)
# What the `results` job keeps current every few minutes (the current hour on the pages within minutes), and what
# the `results-sources` job keeps current every hour: an outlet's month is judged hour by hour against its permit,
# and a city's thousands of outlets cost tens of seconds a run (bench/quality.py).
FREQUENT: tuple[Computation, ...] = COMPUTATIONS[:3]
HOURLY: tuple[Computation, ...] = COMPUTATIONS[3:]
SOURCES_MARK_FILE = "refreshed-sources.json"


def compute_days(
    session: Session,
    stored: StoredReadings,
    root: Path,
    days: Iterable[date],
    tz: tzinfo,
    computations: Sequence[Computation] = COMPUTATIONS,
    progress: Callable[[date, date], None] | None = None,
) -> Computed:
    """Compute and keep the results of `days` (local dates), in runs of consecutive days of at most CHUNK_DAYS
    inside one month."""
    done = Computed()
    networks = [(c, c.network(session)) for c in computations]
    with stored.backend() as con:
        for first, last in _runs(sorted(set(days))):
            if progress is not None:
                progress(first, last)
            outputs = [out for c, network in networks for out in c.compute(con, stored, network, first, last, tz)]
            with store.locked(root):
                for out in outputs:
                    written = store.replace_days(root, out.table, out.rows, out.days)
                    done.partitions[out.table.name] = done.partitions.get(out.table.name, 0) + written
            done.days += (last - first).days + 1
    return done


def _runs(days: Sequence[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, last) runs of at most CHUNK_DAYS days, never across a month's end (so that a
    run rewrites one month partition of the daily tables)."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs:
            first, last = runs[-1]
            if day == last + timedelta(days=1) and (day - first).days < CHUNK_DAYS and day.month == first.month:
                runs[-1] = (first, day)
                continue
        runs.append((day, day))
    return runs


def changed_days(readings_root: Path, since: float, tz: tzinfo) -> set[date]:
    """The local days whose readings partitions (`interval=hour|day/date=…`) were written after `since` (epoch
    seconds): a UTC date's readings fall on the local dates its first and last instants fall on."""
    found: set[date] = set()
    for interval in ("hour", "day"):
        folder = readings_root / f"interval={interval}"
        try:
            entries = list(os.scandir(folder))
        except FileNotFoundError:
            continue
        for entry in entries:
            name = entry.name.removeprefix("date=")
            path = Path(entry.path) / "part.parquet"
            try:
                modified = path.stat().st_mtime
                utc_day = date.fromisoformat(name)
            except (FileNotFoundError, ValueError):
                continue
            if modified > since:
                begin = datetime(utc_day.year, utc_day.month, utc_day.day, tzinfo=UTC)
                found.add(begin.astimezone(tz).date())
                found.add((begin + timedelta(days=1) - timedelta(microseconds=1)).astimezone(tz).date())
    return found


@dataclass(frozen=True)
class Mark:
    """Where the refresh stands: when its last run began (epoch seconds) and the older days it has still to
    compute (a history import touches years of days: a run takes the newest PER_RUN of them, the next the rest)."""

    started: float
    pending: tuple[date, ...] = ()


def read_mark(root: Path, name: str = MARK_FILE) -> Mark | None:
    """The refresh's mark, or None before the first run (or when the file cannot be read: then the refresh
    starts over with today and yesterday)."""
    try:
        data = json.loads((root / name).read_text())
        return Mark(float(data["started"]), tuple(date.fromisoformat(d) for d in data.get("pending", [])))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_mark(root: Path, mark: Mark, name: str = MARK_FILE) -> None:
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{name}.{os.getpid()}"
    tmp.write_text(json.dumps({"started": mark.started, "pending": [d.isoformat() for d in mark.pending]}))
    os.replace(tmp, root / name)


# The older days a refresh computes at most, so that a run after a history import does not hold the scheduler
# (which runs its jobs one after the other) for long; the rest follow in the next runs.
PER_RUN = 62


def refresh(
    session: Session,
    stored: StoredReadings,
    root: Path,
    now: datetime,
    tz: tzinfo,
    *,
    first_run_days: int = 2,
    computations: Sequence[Computation] = FREQUENT,
    mark_file: str = MARK_FILE,
) -> Computed:
    """A scheduler's job: compute today and yesterday, and the older days whose readings changed since the last
    run (at most PER_RUN of them, newest first; the others stay pending for the next runs), for `computations`,
    whose progress is kept in `mark_file`. Before the first run (no mark yet), only the last `first_run_days` days:
    a history is computed by `ecoloop results compute`."""
    started = time.time()  # partitions carry the file system's times, not the job's clock
    today = now.astimezone(tz).date()
    recent = {today - timedelta(days=n) for n in range(first_run_days)}
    mark = read_mark(root, mark_file)
    older: set[date] = set()
    if mark is not None:
        older = set(mark.pending) | {d for d in changed_days(stored.root, mark.started, tz) if d <= today}
    older -= recent
    ordered = sorted(older, reverse=True)
    done = compute_days(session, stored, root, recent | set(ordered[:PER_RUN]), tz, computations)
    write_mark(root, Mark(started, tuple(sorted(ordered[PER_RUN:]))), mark_file)
    return done


def missing_days(root: Path, first: date, last: date) -> list[date]:
    """The days of first…last whose air results were never computed (the demo computes these after loading)."""
    computed = store.computed_days(root, air.AIR_HOUR, first, last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return [d for d in days if d not in computed]
