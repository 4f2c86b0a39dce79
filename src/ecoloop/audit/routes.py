"""The audit log page and its JSON API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ecoloop.access.actions import Action
from ecoloop.audit import labels, queries
from ecoloop.audit.schemas import AuditOut
from ecoloop.db.base import RowId
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.templating import render

router = APIRouter()


@router.get("/admin/audit", include_in_schema=False)
def audit_log(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_AUDIT))],
    settings: SettingsDep,
    entity_type: str = "",
    actor: str = "",
    before: RowId | None = None,
) -> Response:
    """Who changed what, newest first, in words (labels for tables, fields and values)."""
    records = queries.list_audit(
        db, user.principal, entity_type=entity_type or None, actor=actor or None, before_id=before, limit=100
    )
    context = {
        "entries": [labels.entry(r, settings.tz) for r in records],
        "tables": [(t, labels.table_label(t)) for t in labels.audited_tables()],
        "entity_type": entity_type,
        "actor": actor,
    }
    return render(request, "audit/log.html", context, user=user, fragment="audit/_rows.html")


@router.get("/api/v1/audit", response_model=list[AuditOut], tags=["audit"])
def api_audit(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_AUDIT))],
    entity_type: str | None = None,
    actor: str | None = None,
    before: RowId | None = None,
) -> list[AuditOut]:
    """Audit records, newest first (administrators and leaders)."""
    records = queries.list_audit(db, user.principal, entity_type=entity_type, actor=actor, before_id=before)
    return [AuditOut.model_validate(r) for r in records]
