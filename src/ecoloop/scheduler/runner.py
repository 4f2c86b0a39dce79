"""Running jobs when they are due, with a clock that tests control.

A job is due when it has no successful or failed run within its period; runs are recorded in `job_runs`, so a
restarted scheduler picks up where it stopped instead of running everything at once. One scheduler per data
directory: `run_forever` holds an exclusive lock file (`DATA_DIR/scheduler.lock`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.scheduler.models import JobRun
from ecoloop.settings import Settings

log = logging.getLogger("ecoloop.scheduler")


class Clock(Protocol):
    """Where the scheduler and the jobs get the time from."""

    def now(self) -> datetime:
        """The current instant (aware, UTC)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """The current instant (aware, UTC)."""
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that moves only when told (tests, replays)."""

    current: datetime

    def now(self) -> datetime:
        """The instant set last."""
        return self.current

    def advance(self, by: timedelta) -> None:
        """Move the clock forward."""
        self.current += by


@dataclass(frozen=True)
class JobContext:
    """What a job may use: the settings, the operational database and the time of this run."""

    settings: Settings
    sessions: sessionmaker[Session]
    now: datetime


@dataclass(frozen=True)
class Job:
    """A periodic job: `run` does the work and returns a one-line summary of it."""

    name: str
    every: timedelta
    run: Callable[[JobContext], str]
    description: str = ""


@dataclass(frozen=True)
class Outcome:
    """How one run went."""

    job: str
    ok: bool
    message: str


class Scheduler:
    """Runs the due jobs of a list, one after the other, and records each run."""

    def __init__(
        self, jobs: Sequence[Job], settings: Settings, sessions: sessionmaker[Session], clock: Clock | None = None
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.jobs = list(jobs)
        self.settings = settings
        self.sessions = sessions
        self.clock = clock or SystemClock()

    def due(self) -> list[Job]:
        """The jobs whose last run started a period or more ago (or never ran)."""
        now = self.clock.now()
        with self.sessions() as session:
            last = dict(session.execute(select(JobRun.job, func.max(JobRun.started_at)).group_by(JobRun.job)).all())
        due = []
        for job in self.jobs:
            started = last.get(job.name)
            if started is not None and started.tzinfo is None:  # SQLite hands back naive UTC
                started = started.replace(tzinfo=UTC)
            if started is None or now - started >= job.every:
                due.append(job)
        return due

    def run_due(self) -> list[Outcome]:
        """Run every due job once; a failing job is recorded and does not stop the others."""
        return [self.run(job) for job in self.due()]

    def run(self, job: Job) -> Outcome:
        """Run one job now and record it."""
        started = self.clock.now()
        try:
            message = job.run(JobContext(self.settings, self.sessions, started))
            ok = True
        except Exception as exc:  # a job's failure is recorded; the scheduler goes on
            log.exception("job %s failed", job.name)
            message, ok = f"{type(exc).__name__}: {exc}"[:2000], False
        finished = max(self.clock.now(), started)
        with self.sessions.begin() as session:
            session.add(JobRun(job=job.name, started_at=started, finished_at=finished, ok=ok, message=message))
        log.info("job %s %s: %s", job.name, "done" if ok else "failed", message)
        return Outcome(job.name, ok, message)

    def run_forever(self, stop: threading.Event, tick: float = 5.0) -> None:
        """Run due jobs every `tick` seconds until `stop` is set; refuses to start beside another scheduler."""
        with exclusive(self.settings.data_dir / "scheduler.lock"):
            while not stop.is_set():
                self.run_due()
                stop.wait(tick)


class AlreadyRunningError(RuntimeError):
    """Another scheduler holds the lock of this data directory."""


@contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) or raise AlreadyRunningError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunningError(f"another scheduler holds {path}") from None
        yield
    finally:
        os.close(fd)
