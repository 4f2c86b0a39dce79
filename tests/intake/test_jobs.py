"""The scheduler's intake housekeeping: old rate windows and the spent tokens that expired are deleted, the rest
kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.intake import challenge, ratelimit
from ecoloop.intake.jobs import INTAKE_JOBS, intake_housekeeping
from ecoloop.intake.models import FormNonce, RateCounter
from ecoloop.scheduler.runner import JobContext, Scheduler
from ecoloop.settings import Settings

KEY = b"k" * 32
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def test_housekeeping_deletes_old_windows_and_expired_tokens(app_settings: Settings) -> None:
    engine = make_engine(app_settings.database_url)
    sessions = make_session_factory(engine)
    try:
        with sessions.begin() as session:
            for days_ago in (3, 1):
                when = T0 - timedelta(days=days_ago)
                ratelimit.hit(session, "phone", "digest", timedelta(days=1), when)
                token = challenge.issue(KEY, when).token
                challenge.verify(
                    session, KEY, {challenge.TOKEN_FIELD: token}, when + timedelta(minutes=1), min_seconds=3
                )

        summary = intake_housekeeping(JobContext(app_settings, sessions, T0))

        assert summary == "deleted 1 rate windows, 2 spent form tokens"  # tokens live 2 hours: both expired
        with sessions() as session:
            starts = session.scalars(select(RateCounter.window_start)).all()
            assert starts == [int(datetime(2026, 12, 6, tzinfo=UTC).timestamp())]
            assert session.scalars(select(FormNonce)).all() == []
        scheduler = Scheduler(INTAKE_JOBS, app_settings, sessions)
        assert [outcome.job for outcome in scheduler.run_due()] == ["intake-housekeeping", "complaint-replies"]
    finally:
        engine.dispose()
