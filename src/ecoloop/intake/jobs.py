"""The scheduler's intake jobs: housekeeping (the rate counters' old windows and the spent form tokens that expired
are deleted, so that the two tables stay as small as the traffic of the last two days), and replies the citizen
left unrated concluding after the settings' days."""

from __future__ import annotations

from datetime import timedelta

from ecoloop.audit.service import Actor, set_actor
from ecoloop.intake import challenge, ratelimit, service
from ecoloop.scheduler.runner import Job, JobContext

# The longest rate window is a day (complaints per phone, failed look-ups of a ticket); its estimate reads the
# window before the current one, so two days of windows are kept.
KEEP_COUNTERS = timedelta(days=2)


def intake_housekeeping(context: JobContext) -> str:
    """Delete the rate windows older than KEEP_COUNTERS and the nonces of expired form tokens, in one transaction."""
    with context.sessions.begin() as session:
        windows = ratelimit.purge(session, context.now, KEEP_COUNTERS)
        nonces = challenge.purge(session, context.now)
    return f"deleted {windows} rate windows, {nonces} spent form tokens"


def conclude_replies(context: JobContext) -> str:
    """Replies the citizen did not rate within the settings' days conclude (办结), in one transaction."""
    with context.sessions.begin() as session:
        set_actor(session, Actor(label="scheduler"))
        concluded = service.conclude_unrated(session, context.now)
    return f"{concluded} complaints concluded without a rating"


INTAKE_JOBS: tuple[Job, ...] = (
    Job(
        "intake-housekeeping",
        timedelta(hours=1),
        intake_housekeeping,
        "Intake: purge old rate counters and form tokens",
    ),
    Job("complaint-replies", timedelta(hours=1), conclude_replies, "Intake: conclude replies left unrated"),
)
