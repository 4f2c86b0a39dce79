"""The after-action report's page and Word document (issue 20 part 5): from a warning's page once it is issued
(an interim while it is in force), for the bureau's and the branches' staff (the figures name other enterprises:
not for an enterprise or a department)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.access.roles import Role
from ecoloop.db.base import RowId, utcnow
from ecoloop.episodes import queries
from ecoloop.episodes.enums import WarningStatus
from ecoloop.episodes.models import PollutionWarning
from ecoloop.reports import after_action
from ecoloop.results.queries import ResultReads
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import DOCX, download
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_WARNINGS))]
NOT_FOR = frozenset({Role.ENTERPRISE, Role.DEPARTMENT})


def _warning(db: Session, user: CurrentUser, warning_id: int) -> PollutionWarning:
    warning = queries.warning(db, user.principal, warning_id)
    if warning is None or user.principal.role in NOT_FOR:
        raise HTTPException(404)
    if warning.status not in (WarningStatus.ISSUED, WarningStatus.LIFTED):
        raise HTTPException(404)
    return warning


@router.get("/warnings/{warning_id:id}/after-action", include_in_schema=False)
def after_action_page(request: Request, db: DbSession, user: Viewer, settings: SettingsDep,
                      warning_id: RowId) -> Response:  # fmt: skip
    """The after-action figures of a warning, with the document to download."""
    warning = _warning(db, user, warning_id)
    with ResultReads.of(settings) as reads:
        report = after_action.build(db, reads, warning, now=utcnow(), tz=settings.tz)
    return render(request, "reports/after_action.html", {"r": report}, user=user)


@router.get("/warnings/{warning_id:id}/after-action.docx", include_in_schema=False)
def after_action_document(db: DbSession, user: Viewer, settings: SettingsDep, warning_id: RowId) -> Response:
    """The after-action report as a Word document (an interim while the warning is in force)."""
    warning = _warning(db, user, warning_id)
    now = utcnow()
    with ResultReads.of(settings) as reads:
        report = after_action.build(db, reads, warning, now=now, tz=settings.tz)
    data = after_action.document(db, report, now=now, tz=settings.tz)
    return download(data, f"{warning.number}.docx", DOCX)
