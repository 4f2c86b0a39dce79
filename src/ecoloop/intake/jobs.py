"""The scheduler's job of the partner platforms (issue 18): queue the feedback of the warnings that are finished
(every push task done, or dismissed at 核查) and send the due feedback, signed and retried (`push.send_round`)."""

from __future__ import annotations

from datetime import timedelta

from ecoloop.alerts.webhooks import Poster
from ecoloop.intake.push import send_round
from ecoloop.scheduler.runner import Job, JobContext


def partner_feedback(context: JobContext) -> str:
    """Send the partner platforms the feedback that is due (public addresses and the allowed networks only)."""
    sent = send_round(context.sessions, lambda: context.now, send=Poster(context.settings.webhook_networks))
    return f"feedback delivered {sent.delivered}, retrying {sent.retrying}, failed {sent.failed}"


PARTNER_JOBS: tuple[Job, ...] = (
    Job("partner-feedback", timedelta(minutes=1), partner_feedback, "Feedback to partner platforms (反馈)"),
)
