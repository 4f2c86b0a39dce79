"""The published outcomes of inspections (`/public/inspections`, no sign-in, 一公开): for each completed inspection
the enterprise's name and unified social credit code, its region, the checking unit, the date, the kind of check
(随机抽查, 专项执法 …) and the conclusion in words.

国办发[2015]58号 asks that random checks' results be published; what is published here is the enterprise and the
outcome, never who inspected (officers' names or certificate numbers), the photos, the answers and notes, a
complainant or a contact (`queries.Published` holds nothing else)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ecoloop.inspections import queries
from ecoloop.web.deps import DbSession, SettingsDep
from ecoloop.web.paging import PageQuery, page_of
from ecoloop.web.templating import render

router = APIRouter()


@router.get("/public/inspections", include_in_schema=False)
def published(request: Request, db: DbSession, settings: SettingsDep, page: PageQuery = 1) -> Response:
    """The completed inspections' outcomes, newest first."""
    total = queries.published_count(db)
    shown = page_of(total, page)
    rows = queries.published(db, limit=shown.limit, offset=shown.offset, tz=settings.tz)
    return render(request, "inspections/public.html", {"rows": rows, "total": total, "page": shown})
