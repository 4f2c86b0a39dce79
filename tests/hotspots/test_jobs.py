"""The scheduler's hotspot jobs: the clock escalates an overdue order once, the effects job runs on an empty store."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.hotspots import service
from ecoloop.hotspots.jobs import HOTSPOT_JOBS, hotspot_clock, hotspot_effects
from ecoloop.hotspots.models import HotspotOrder
from ecoloop.hotspots.service import Dispatch
from ecoloop.scheduler.runner import JobContext, Scheduler
from ecoloop.settings import Settings
from tests.factories import World
from tests.hotspots.conftest import NOW, Place, acting


def test_the_clock_job_supervises_an_overdue_order_once(
    app_settings: Settings, app_db: Session, app_world: World, app_place: Place
) -> None:
    by_hand = Dispatch(site_id=app_place.station.id, parameter="a34004")
    service.dispatch(app_db, acting(app_db, app_world, "analyst"), by_hand, now=NOW)
    app_db.commit()
    engine = make_engine(app_settings.database_url)
    sessions = make_session_factory(engine)
    try:
        later = NOW + timedelta(minutes=45)
        assert hotspot_clock(JobContext(app_settings, sessions, later)) == (
            "mark_overdue 1, supervise 1, propose_interview 0"
        )
        assert hotspot_clock(JobContext(app_settings, sessions, later)) == (
            "mark_overdue 0, supervise 0, propose_interview 0"
        )
        assert hotspot_effects(JobContext(app_settings, sessions, later)) == "0 effects computed"
        with sessions() as session:
            order = session.scalars(select(HotspotOrder)).one()
            assert order.overdue and order.supervised_at is not None
        scheduler = Scheduler(HOTSPOT_JOBS, app_settings, sessions)
        assert [outcome.job for outcome in scheduler.run_due()] == ["hotspot-clock", "hotspot-effects"]
    finally:
        engine.dispose()
