"""The scheduler: due jobs with a controllable clock, recorded runs, failures that do not stop the others, one
scheduler per data directory."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.scheduler.models import JobRun
from ecoloop.scheduler.runner import AlreadyRunningError, FixedClock, Job, JobContext, Scheduler, exclusive
from ecoloop.settings import Settings

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@pytest.fixture
def sessions(app_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(app_settings.database_url)
    yield make_session_factory(engine)
    engine.dispose()


def counting(name: str, every: timedelta, calls: list[tuple[str, datetime]]) -> Job:
    def run(context: JobContext) -> str:
        calls.append((name, context.now))
        return f"{name} ran"

    return Job(name, every, run)


def test_jobs_run_when_due_by_the_clock(app_settings: Settings, sessions: sessionmaker[Session]) -> None:
    calls: list[tuple[str, datetime]] = []
    clock = FixedClock(T0)
    jobs = [counting("minutely", timedelta(minutes=1), calls), counting("hourly", timedelta(hours=1), calls)]
    scheduler = Scheduler(jobs, app_settings, sessions, clock)
    assert [o.job for o in scheduler.run_due()] == ["minutely", "hourly"]  # never ran: both due
    assert scheduler.run_due() == []
    clock.advance(timedelta(seconds=59))
    assert scheduler.run_due() == []
    clock.advance(timedelta(seconds=1))
    assert [o.job for o in scheduler.run_due()] == ["minutely"]
    clock.advance(timedelta(minutes=59))
    assert [o.job for o in scheduler.run_due()] == ["minutely", "hourly"]
    assert calls[-1] == ("hourly", T0 + timedelta(hours=1))
    # A new scheduler (a restart) continues from the recorded runs instead of running everything again.
    assert Scheduler(jobs, app_settings, sessions, clock).run_due() == []


def test_a_failing_job_is_recorded_and_the_others_still_run(
    app_settings: Settings, sessions: sessionmaker[Session]
) -> None:
    calls: list[tuple[str, datetime]] = []

    def broken(context: JobContext) -> str:
        raise OSError("disk full")

    jobs = [Job("broken", timedelta(minutes=5), broken), counting("fine", timedelta(minutes=5), calls)]
    outcomes = Scheduler(jobs, app_settings, sessions, FixedClock(T0)).run_due()
    assert [(o.job, o.ok, o.message) for o in outcomes] == [
        ("broken", False, "OSError: disk full"),
        ("fine", True, "fine ran"),
    ]
    with sessions() as session:
        runs = session.scalars(select(JobRun).order_by(JobRun.id)).all()
        assert [(r.job, r.ok, r.started_at) for r in runs] == [("broken", False, T0), ("fine", True, T0)]
    # A failed run counts as a run: it is retried a period later, not in a tight loop.
    assert Scheduler(jobs, app_settings, sessions, FixedClock(T0 + timedelta(minutes=4))).due() == []


def test_job_names_are_unique(app_settings: Settings, sessions: sessionmaker[Session]) -> None:
    calls: list[tuple[str, datetime]] = []
    with pytest.raises(ValueError, match="unique"):
        Scheduler([counting("a", timedelta(1), calls), counting("a", timedelta(2), calls)], app_settings, sessions)


def test_one_scheduler_per_data_directory(app_settings: Settings, sessions: sessionmaker[Session]) -> None:
    lock = app_settings.data_dir / "scheduler.lock"
    with exclusive(lock), pytest.raises(AlreadyRunningError):
        Scheduler([], app_settings, sessions).run_forever(threading.Event())
    stop = threading.Event()
    stop.set()
    Scheduler([], app_settings, sessions).run_forever(stop)  # the lock is free again
