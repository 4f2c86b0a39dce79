"""The scheduler's warning job: the changes of warnings to the organisations' webhooks (`webhooks.send_round`)."""

from __future__ import annotations

from datetime import timedelta

from ecoloop.alerts.webhooks import Poster
from ecoloop.episodes.webhooks import send_round
from ecoloop.scheduler.runner import Job, JobContext


def warning_webhooks(context: JobContext) -> str:
    """Send the due webhook deliveries of warning changes (public addresses and the allowed networks only)."""
    done = send_round(context.sessions, lambda: context.now, send=Poster(context.settings.webhook_networks))
    return f"warning changes delivered {done.delivered}, retrying {done.retrying}, given up {done.failed}"


WARNING_JOBS: tuple[Job, ...] = (
    Job("warning-webhooks", timedelta(minutes=1), warning_webhooks, "Warning changes to webhooks (预警推送)"),
)
