"""The platform's periodic jobs. Each wraps one capability's function and says in one line what it did."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ecoloop.analytics.sites import StoredReadings
from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.rules import EscalationPolicy
from ecoloop.cases.service import escalate, review_milestones
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.service import record_last_seen
from ecoloop.readings.parquet import archive_packets, compact
from ecoloop.readings.store import open_hot_store, time_window
from ecoloop.results.service import HOURLY, SOURCES_MARK_FILE, refresh
from ecoloop.scheduler.runner import Job, JobContext

# Readings stay this long in the hot store before compaction, so a late re-send or correction is usually
# merged there rather than rewriting a Parquet partition.
COMPACT_AFTER = timedelta(minutes=10)
# Raw packets stay queryable in the hot store this long before they move to Parquet evidence files.
PACKETS_HOT_FOR = timedelta(days=7)
# Arrivals the alert engine has not consumed after this long (no engine running) are dropped from the queue.
ARRIVALS_KEPT = timedelta(days=1)
SCHEDULER = Actor(label="scheduler")


def compact_readings(context: JobContext) -> str:
    """Move readings received more than COMPACT_AFTER ago from the hot store into Parquet (hot readings dated
    outside the plausible window are set aside into the packet archive first); drop alert arrivals older than
    ARRIVALS_KEPT (queued while no alert engine ran)."""
    store = open_hot_store(context.settings)
    try:
        settings, now = context.settings, context.now
        moved = compact(store, settings.parquet_root, now - COMPACT_AFTER, window=time_window(settings), now=now)
        dropped = store.trim_arrivals(context.now - ARRIVALS_KEPT)
    finally:
        store.close()
    return f"{moved} readings moved to Parquet" + (f"; {dropped} stale alert arrivals dropped" if dropped else "")


def archive_raw_packets(context: JobContext) -> str:
    """Move raw packets older than PACKETS_HOT_FOR into the Parquet evidence archive."""
    store = open_hot_store(context.settings)
    try:
        moved = archive_packets(store, context.settings.packet_archive_root, context.now - PACKETS_HOT_FOR)
    finally:
        store.close()
    return f"{moved} raw packets archived"


def device_last_seen(context: JobContext) -> str:
    """Copy each device's last packet time from the hot store's tally into the device register."""
    with context.sessions.begin() as session:
        set_actor(session, SCHEDULER)
        mns = list(session.scalars(select(Device.mn)))
        store = open_hot_store(context.settings)
        try:
            activity = store.device_activity(mns)
        finally:
            store.close()
        seen = {mn: entry.last_seen for mn, entry in activity.items() if entry.last_seen is not None}
        moved = record_last_seen(session, seen)
    return f"{moved} of {len(mns)} devices seen since the last run"


def case_deadlines(context: JobContext) -> str:
    """Deadline escalation of open cases: reminders, overdue marks, automatic 督办, 约谈 proposals. The day is the
    bureau's local date."""
    today = context.now.astimezone(context.settings.tz).date()
    with context.sessions.begin() as session:
        set_actor(session, SCHEDULER)
        taken = escalate(session, context.now, today, EscalationPolicy())
        milestones = review_milestones(session, today)
    steps = ", ".join(f"{step.value} {count}" for step, count in taken.items())
    return f"{steps}, milestones changed {milestones}"


def results(context: JobContext) -> str:
    """Compute the results (air, water, noise) of today and yesterday, and of older days whose readings changed
    since the last run (`results.service.refresh`)."""
    store = open_hot_store(context.settings)
    try:
        with context.sessions() as session:
            settings = context.settings
            done = refresh(session, StoredReadings.of(store, settings), settings.results_root, context.now, settings.tz)
    finally:
        store.close()
    return str(done)


def source_results(context: JobContext) -> str:
    """Compute the outlets' compliance (`results.sources`) of today's and yesterday's months, and of older days
    whose readings changed since the job's last run."""
    store = open_hot_store(context.settings)
    try:
        with context.sessions() as session:
            settings = context.settings
            stored = StoredReadings.of(store, settings)
            done = refresh(
                session, stored, settings.results_root, context.now, settings.tz,
                computations=HOURLY, mark_file=SOURCES_MARK_FILE,
            )  # fmt: skip
    finally:
        store.close()
    return str(done)


JOBS: tuple[Job, ...] = (
    Job("device-last-seen", timedelta(minutes=1), device_last_seen, "Device last-seen times from the receiver"),
    Job("compact-readings", timedelta(minutes=10), compact_readings, "Hot readings into Parquet partitions"),
    Job("archive-raw-packets", timedelta(hours=1), archive_raw_packets, "Old raw packets into Parquet evidence"),
    Job("case-deadlines", timedelta(hours=1), case_deadlines, "Case deadline reminders, overdue marks, 督办, 约谈"),
    Job("results", timedelta(minutes=5), results, "Results: AQI, water classes, noise levels"),
    Job("results-sources", timedelta(hours=1), source_results, "Results: the outlets' compliance"),
)
