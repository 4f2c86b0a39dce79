"""The built-in jobs on a real hot store, Parquet files and operational database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.readings.parquet import packets, readings
from ecoloop.readings.store import HotStore, open_hot_store
from ecoloop.readings.vocabulary import Interval, Outcome, RawPacket, Reading
from ecoloop.scheduler.jobs import archive_raw_packets, compact_readings, device_last_seen
from ecoloop.scheduler.runner import JobContext
from ecoloop.settings import Settings
from tests.conftest import make_settings
from tests.factories import World

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


def context(settings: Settings, now: datetime) -> JobContext:
    return JobContext(settings, make_session_factory(make_engine(settings.database_url)), now)


def test_compaction_waits_ten_minutes_then_moves_readings(app_settings: Settings) -> None:
    store = HotStore(app_settings.hot_store_path)
    store.write([Reading(1, "a34004", Interval.HOUR, T0, 35.0, "N")], now=T0)
    assert compact_readings(context(app_settings, T0 + timedelta(minutes=9))) == "0 readings moved to Parquet"
    assert compact_readings(context(app_settings, T0 + timedelta(minutes=11))) == "1 readings moved to Parquet"
    assert store.hot_table().num_rows == 0
    assert readings(store, app_settings.parquet_root)["value"].to_pylist() == [35.0]
    # the hour's arrival, never consumed (no alert engine ran), is dropped after a day
    assert len(store.arrivals()) == 1
    assert compact_readings(context(app_settings, T0 + timedelta(days=1, minutes=1))) == (
        "0 readings moved to Parquet; 1 stale alert arrivals dropped"
    )
    assert store.arrivals() == []


def test_raw_packets_older_than_a_week_move_to_parquet_evidence(app_settings: Settings) -> None:
    store = HotStore(app_settings.hot_store_path)
    old, recent = T0 - timedelta(days=8), T0 - timedelta(days=1)
    store.write([], [RawPacket(old, "p", b"##old", Outcome.STORED, mn="MN1", cn="2061")], now=old)
    store.write([], [RawPacket(old, "p", b"junk", Outcome.REJECTED, "bad_header")], now=old)
    store.write([], [RawPacket(recent, "p", b"##new", Outcome.STORED, mn="MN1", cn="2061")], now=recent)
    assert archive_raw_packets(context(app_settings, T0)) == "2 raw packets archived"
    files = list(app_settings.packet_archive_root.glob("date=2026-11-14/packets-*.parquet"))
    assert len(files) == 1 and pq.read_table(files[0]).num_rows == 2
    assert store.packet_rows().num_rows == 1  # the recent one stays in the hot store
    everything = packets(store, app_settings.packet_archive_root)
    assert everything["frame"].to_pylist() == [b"##old", b"junk", b"##new"]
    assert packets(store, app_settings.packet_archive_root, mn="MN1")["frame"].to_pylist() == [b"##old", b"##new"]
    assert archive_raw_packets(context(app_settings, T0)) == "0 raw packets archived"
    assert store.packet_counts()[("stored", None)] == 2  # the tally keeps counting archived packets


def test_device_last_seen_follows_the_tally(app_settings: Settings, app_db: Session, app_world: World) -> None:
    set_actor(app_db, Actor(label="test"))
    site = add_site(app_db, code="S1", name="站1", kind=SiteKind.AIR_STATION, region=app_world.county_a)
    add_device(app_db, mn="MN1", password="123456", site=site)
    add_device(app_db, mn="MN2", password="123456", site=site)
    app_db.commit()
    store = HotStore(app_settings.hot_store_path)
    store.write([], [RawPacket(T0, "p", b"x", Outcome.STORED, mn="MN1", cn="2061")], now=T0)
    assert device_last_seen(context(app_settings, T0)) == "1 of 2 devices seen since the last run"
    assert device_last_seen(context(app_settings, T0)) == "0 of 2 devices seen since the last run"
    app_db.expire_all()
    seen = {mn: at for mn, at in app_db.execute(select(Device.mn, Device.last_seen_at))}
    assert seen == {"MN1": T0, "MN2": None}


def test_compaction_and_the_packet_archive_on_a_postgresql_hot_store(
    app_settings: Settings, tmp_path: Path, hot_pg_url: str
) -> None:
    settings = make_settings(tmp_path, hot_store_url=hot_pg_url)
    store = open_hot_store(settings)
    assert store.backend == "postgresql"
    old = T0 - timedelta(days=8)
    store.write([Reading(1, "a34004", Interval.HOUR, T0, 35.0, "N")], now=T0)
    store.write([], [RawPacket(old, "p", b"##old", Outcome.STORED, mn="MN1", cn="2061")], now=old)
    assert compact_readings(context(settings, T0 + timedelta(minutes=11))) == "1 readings moved to Parquet"
    assert archive_raw_packets(context(settings, T0)) == "1 raw packets archived"
    assert store.hot_table().num_rows == 0 and store.packet_rows().num_rows == 0
    assert readings(store, settings.parquet_root)["value"].to_pylist() == [35.0]
    assert packets(store, settings.packet_archive_root)["frame"].to_pylist() == [b"##old"]
    assert not settings.hot_store_path.exists()
    store.close()


def test_case_deadlines_escalate_in_the_bureaus_local_day(
    app_settings: Settings, app_db: Session, app_world: World
) -> None:
    from ecoloop.cases.enums import CaseSource, Category, EventKind
    from ecoloop.cases.models import CaseEvent
    from ecoloop.cases.service import Acting, act, register_case
    from ecoloop.cases.workflow import Action
    from ecoloop.scheduler.jobs import case_deadlines

    set_actor(app_db, Actor(label="test"))
    analyst = Acting(app_world.users["analyst"], app_world.principal(app_db, "analyst"))
    case = register_case(
        app_db, analyst, source=CaseSource.COMPLAINT, category=Category.NOISE, title="夜间施工噪声",
        region=app_world.town_a, now=T0,
    )  # fmt: skip
    deadline = T0.date() + timedelta(days=1)
    act(
        app_db,
        case,
        analyst,
        Action.ASSIGN,
        seen_version=case.version,
        now=T0,
        unit=app_world.department,
        deadline=deadline,
    )
    app_db.commit()
    # 2026-11-23 17:00 UTC is already 11-24 01:00 in Shanghai: the day after the deadline there.
    summary = case_deadlines(context(app_settings, datetime(2026, 11, 23, 17, tzinfo=UTC)))
    assert summary == "warn 0, mark_overdue 1, supervise 1, propose_interview 0, milestones changed 0"
    app_db.expire_all()
    kinds = [
        e.kind for e in app_db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    ]
    assert kinds[-2:] == [EventKind.OVERDUE, EventKind.SUPERVISED]
