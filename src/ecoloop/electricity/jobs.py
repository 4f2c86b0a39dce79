"""The scheduler's electricity job: every warning in force (and for two days after it) checked every 15 minutes."""

from __future__ import annotations

from datetime import timedelta

from ecoloop.audit.service import Actor, set_actor
from ecoloop.electricity.service import run_checks
from ecoloop.scheduler.runner import Job, JobContext


def electricity_checks(context: JobContext) -> str:
    """Run the warnings' electricity checks in one transaction."""
    with context.sessions.begin() as session:
        set_actor(session, Actor(label="scheduler"))
        checked = run_checks(session, context.now, context.settings.tz)
    flags = sum(len(c.flags) for c in checked)
    raised = sum(c.raised for c in checked)
    return f"{len(checked)} warnings checked, {flags} flags, {raised} alerts raised"


ELECTRICITY_JOBS: tuple[Job, ...] = (
    Job("electricity-checks", timedelta(minutes=15), electricity_checks, "Electricity checks during warnings"),
)
