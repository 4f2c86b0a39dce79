"""The scheduler's intake jobs: housekeeping (the rate counters' old windows and the spent form tokens that expired
are deleted, so that the two tables stay as small as the traffic of the last two days), replies the citizen left
unrated concluding after the settings' days, and the partner platforms' feedback: queue the feedback of the warnings
that are finished (every push task done, or dismissed at 核查) and send the due feedback, signed and retried
(`push.send_round`)."""

from __future__ import annotations

from datetime import timedelta

from ecoloop.alerts.webhooks import Poster
from ecoloop.audit.service import Actor, set_actor
from ecoloop.intake import challenge, ratelimit, service
from ecoloop.intake.push import send_round
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


def partner_feedback(context: JobContext) -> str:
    """Send the partner platforms the feedback that is due (public addresses and the allowed networks only)."""
    sent = send_round(context.sessions, lambda: context.now, send=Poster(context.settings.webhook_networks))
    return f"feedback delivered {sent.delivered}, retrying {sent.retrying}, given up {sent.failed}"


PARTNER_JOBS: tuple[Job, ...] = (
    Job("partner-feedback", timedelta(minutes=1), partner_feedback, "Feedback to partner platforms (反馈)"),
)
