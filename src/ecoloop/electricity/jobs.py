"""The scheduler's electricity jobs: every warning in force (and for two days after it) checked every 15 minutes,
reading both tiers; the closed days' readings compacted from the SQL table into Parquet every hour."""

from __future__ import annotations

from datetime import timedelta

from ecoloop.audit.service import Actor, set_actor
from ecoloop.electricity.archive import compact, root_of
from ecoloop.electricity.service import run_checks
from ecoloop.scheduler.runner import Job, JobContext


def electricity_checks(context: JobContext) -> str:
    """Run the warnings' electricity checks in one transaction."""
    with context.sessions.begin() as session:
        set_actor(session, Actor(label="scheduler"))
        checked = run_checks(session, context.now, context.settings.tz, root=root_of(context.settings))
    flags = sum(len(c.flags) for c in checked)
    raised = sum(c.raised for c in checked)
    return f"{len(checked)} warnings checked, {flags} flags, {raised} alerts raised"


def compact_electricity(context: JobContext) -> str:
    """Move the readings of the UTC days closed before now from the SQL table into their Parquet partitions, in
    one transaction (each day's partition written before its rows are deleted: `archive.compact`)."""
    with context.sessions.begin() as session:
        moved = compact(session, root_of(context.settings), context.now)
    return f"{moved} electricity readings moved to Parquet"


ELECTRICITY_JOBS: tuple[Job, ...] = (
    Job("electricity-checks", timedelta(minutes=15), electricity_checks, "Electricity checks during warnings"),
    Job(
        "compact-electricity", timedelta(hours=1), compact_electricity, "Electricity readings' closed days into Parquet"
    ),
)
