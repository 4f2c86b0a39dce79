"""The start page: the user's area and what they can reach from here. It counts the records of several
capabilities (regions, organisations, enterprises), so it sits above them, beside the app that assembles it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ecoloop.access.actions import Action, allowed
from ecoloop.db.base import utcnow
from ecoloop.enterprises.queries import count_enterprises
from ecoloop.episodes.queries import in_force as warnings_in_force
from ecoloop.identity.queries import list_organisations
from ecoloop.inspections.queries import mine as inspection_tasks
from ecoloop.intake.queries import QUEUE_LABELS, queue_counts
from ecoloop.penalties.queries import QUEUE_LABELS as PENALTY_QUEUE_LABELS
from ecoloop.penalties.queries import queue_counts as penalty_queue_counts
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import area_of, count_by_level
from ecoloop.reports.queries import newest_reports
from ecoloop.results.queries import ResultReads, latest_area_hour
from ecoloop.web.deps import DbSession, SettingsDep, UserDep
from ecoloop.web.forms import local_today
from ecoloop.web.templating import render

router = APIRouter()
BRIEFS_SHOWN = 5


@router.get("/", include_in_schema=False)
def overview(request: Request, db: DbSession, settings: SettingsDep, user: UserDep) -> Response:
    """The start page: the user's area, its AQI now, the newest briefs, and what they can reach from here."""
    p = user.principal
    today = local_today(settings)
    now = utcnow()
    sees_regions = allowed(p, Action.VIEW_REGIONS)
    counts = count_by_level(db, p) if sees_regions else {}
    area = area_of(db, p) if sees_regions else None
    air = None
    if area is not None and allowed(p, Action.VIEW_QUALITY):
        with ResultReads.of(settings) as reads:
            air = latest_area_hour(reads, area.id, today)
    context = {
        "area": area,
        "air": air,
        "sees_screen": allowed(p, Action.VIEW_QUALITY),
        # The heavy-pollution warnings in force (or starting within a day), a banner (issue 20).
        "warnings_now": warnings_in_force(db, p, now) if allowed(p, Action.VIEW_WARNINGS) else [],
        "now": now,
        "counties": counts.get(RegionLevel.COUNTY, 0),
        "towns": counts.get(RegionLevel.TOWN, 0),
        "villages": counts.get(RegionLevel.VILLAGE, 0),
        "organisations": len(list_organisations(db, p)) if allowed(p, Action.VIEW_ORGANISATIONS) else None,
        "enterprises": count_enterprises(db, p) if allowed(p, Action.VIEW_ENTERPRISES) else None,
        # The briefs the user receives (issue 17): the newest few, each a link.
        "briefs": newest_reports(db, p)[:BRIEFS_SHOWN] if allowed(p, Action.VIEW_REPORTS) else None,
        # The complaints waiting in each worklist (issue 18), each a link to it.
        "complaint_queues": queue_counts(db, p, today) if allowed(p, Action.VIEW_COMPLAINTS) else None,
        # The officer's inspections (issue 19): to do today or overdue, and awaiting their confirmation.
        "inspection_tasks": inspection_tasks(db, p, today) if allowed(p, Action.INSPECT) else None,
        # The penalty cases overdue, due soon and awaiting a leader's approval (issue 19).
        "penalty_queues": penalty_queue_counts(db, p, today) if allowed(p, Action.VIEW_PENALTIES) else None,
        "labels": {"queues": QUEUE_LABELS, "penalty_queues": PENALTY_QUEUE_LABELS},
    }
    return render(request, "web/overview.html", context, user=user)
