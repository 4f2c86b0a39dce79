"""The scheduler's job of briefs: each kind's latest period that is over, generated once when it falls due (the
daily analysis from 07:00 the next morning, the weekly notice on Monday, the monthly assessment from the 3rd, when
late data has arrived, the annual statistics from 5 January). A brief already generated is left alone: a restart
does not generate it again; regenerating is a user's decision (`ecoloop report`, the page)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.i18n import gettext
from ecoloop.regions.models import Region
from ecoloop.reports import service
from ecoloop.reports.enums import ReportKind
from ecoloop.reports.models import Report
from ecoloop.reports.periods import ReportPeriod, latest_over
from ecoloop.results.queries import ResultReads
from ecoloop.scheduler.runner import Job, JobContext
from ecoloop.settings import Settings

log = logging.getLogger(__name__)
# How long after a period's end its brief falls due, at the earliest (local time).
DUE_AFTER = {
    ReportKind.DAILY: timedelta(hours=7),
    ReportKind.WEEKLY: timedelta(hours=7),
    ReportKind.MONTHLY: timedelta(days=2, hours=7),
    ReportKind.ANNUAL: timedelta(days=4, hours=7),
}


def due(kind: ReportKind, local_now: datetime) -> ReportPeriod | None:
    """The period whose brief is due at `local_now` (the bureau's local time): the latest that is over, once its
    delay has passed; None before."""
    period = latest_over(kind, local_now.date())
    if local_now.replace(tzinfo=None) < datetime.combine(period.last + timedelta(days=1), time()) + DUE_AFTER[kind]:
        return None
    return period


class BriefsFailedError(RuntimeError):
    """Some briefs could not be generated (the others were); the scheduler records the run as failed."""


def generate_missing(
    sessions: sessionmaker[Session], settings: Settings, now: datetime, *, wait: bool = True
) -> list[str]:
    """Generate each kind's latest brief that is over (once due, with `wait`) and not yet generated, each in a
    transaction of its own: one kind failing neither undoes nor stops the others (BriefsFailedError after them,
    naming it). What was generated."""
    local_now = now.astimezone(settings.tz)
    done, failed = [], []
    with sessions() as session:
        city_id = session.scalar(select(Region.id).where(Region.parent_id.is_(None)).order_by(Region.id))
    if city_id is None:
        return []
    for kind in service.kinds():
        period = due(kind, local_now) if wait else latest_over(kind, local_now.date())
        if period is None:
            continue
        try:
            with sessions.begin() as session:
                kept = select(Report.id).where(
                    Report.kind == kind, Report.period_key == period.key, Report.region_id == city_id
                )
                if session.scalar(kept.limit(1)) is not None:
                    continue
                with ResultReads.of(settings) as reads:
                    who = service.Generator(gettext("Scheduled job"))
                    made = service.generate(session, settings.data_dir, reads, settings.tz, period, who, now=now)
        except Exception:
            log.exception("the %s brief of %s could not be generated", kind.value, period.key)
            failed.append(f"{kind.value} {period.key}")
            continue
        done.append(f"{kind.value} {period.key} ({len(made)} documents)")
    if failed:
        raise BriefsFailedError(f"failed: {', '.join(failed)}; generated: {', '.join(done) or 'none'}")
    return done


def generate_due(context: JobContext) -> str:
    """Generate each kind's brief that is due and not yet generated."""
    done = generate_missing(context.sessions, context.settings, context.now)
    return "generated " + ", ".join(done) if done else "nothing due"


REPORT_JOBS: tuple[Job, ...] = (
    Job("reports", timedelta(minutes=30), generate_due, "Briefs: daily, weekly, monthly, annual when due"),
)
