"""The scheduler's hotspot-order jobs: every few minutes the clock of the open orders (missed time limits marked
overdue with an automatic 督办 on their case, then a 约谈 proposal; `service.escalate`), and the effect of the replied
orders whose hours after the reply have passed (`effects.compute_effects`)."""

from __future__ import annotations

from datetime import timedelta

from ecoloop.analytics.sites import StoredReadings
from ecoloop.audit.service import Actor, set_actor
from ecoloop.hotspots import effects, service
from ecoloop.readings.store import open_hot_store
from ecoloop.scheduler.runner import Job, JobContext


def hotspot_clock(context: JobContext) -> str:
    """Escalate the open hotspot orders whose time limits passed, in one transaction."""
    with context.sessions.begin() as session:
        set_actor(session, Actor(label="scheduler"))
        taken = service.escalate(session, context.now, service.policy_of(context.settings))
    return ", ".join(f"{step.value} {count}" for step, count in taken.items())


def hotspot_effects(context: JobContext) -> str:
    """Compute the effect on their station of the orders replied the effect's hours ago."""
    store = open_hot_store(context.settings)
    try:
        with context.sessions.begin() as session:
            set_actor(session, Actor(label="scheduler"))
            readings = StoredReadings.of(store, context.settings)
            done = effects.compute_effects(session, readings, context.now, service.policy_of(context.settings))
    finally:
        store.close()
    return f"{done} effects computed"


HOTSPOT_JOBS: tuple[Job, ...] = (
    Job("hotspot-clock", timedelta(minutes=2), hotspot_clock, "Hotspot orders: overdue marks, 督办, 约谈"),
    Job("hotspot-effects", timedelta(minutes=15), hotspot_effects, "Hotspot orders: the effect on the station"),
)
