"""HTTP upload of observations (`POST /api/v1/observations`)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from sqlalchemy import select

from ecoloop.access.actions import Action
from ecoloop.access.scope import scoped
from ecoloop.audit.service import record_event
from ecoloop.db.base import utcnow
from ecoloop.ingest.observations import MAX_ROWS, refusal_summary, to_readings
from ecoloop.ingest.schemas import ObservationsResult, RowErrorOut
from ecoloop.ingest.upload import UPLOAD_AUDIT_ACTION, UPLOAD_AUDIT_ENTITY
from ecoloop.monitoring.models import Site
from ecoloop.readings.parquet import write_checked
from ecoloop.readings.store import time_window
from ecoloop.readings.vocabulary import Outcome, RawPacket, ReadingSource, source_value
from ecoloop.web.deps import CurrentUser, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import RawBody
from ecoloop.web.security import client_ip

router = APIRouter(tags=["ingest"])


@router.post("/api/v1/observations", response_model=ObservationsResult)
def post_observations(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.SUBMIT_OBSERVATIONS))],
    settings: SettingsDep,
    body: RawBody,
) -> ObservationsResult:
    """Store uploaded observations: each row is checked on its own; valid rows are stored even when others are
    refused (a value never replaces one stored before: it is kept as a conflict for review), the request body is
    archived with the outcome, and the upload is in the audit log."""
    try:
        payload: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, f"body is not JSON: {exc}") from None
    rows = payload.get("observations") if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise HTTPException(422, "expected an object with a list 'observations'")
    if len(rows) > MAX_ROWS:
        raise HTTPException(413, f"at most {MAX_ROWS} observations per request")
    codes = {r.get("site") for r in rows if isinstance(r, dict) and isinstance(r.get("site"), str)}
    visible = scoped(select(Site).where(Site.code.in_(codes)), user.principal, Site)
    site_ids: dict[str, int] = {site.code: site.id for site in db.scalars(visible)}
    now = utcnow()
    source = source_value(ReadingSource.API, user.user.username)
    readings, errors = to_readings(rows, site_ids.get, source, now=now, window=time_window(settings))
    outcome = Outcome.STORED if readings else Outcome.REJECTED
    refused = f" ({refusal_summary(errors)})" if errors else ""
    packet = RawPacket(
        received_at=now,
        peer=client_ip(request),
        frame=body,
        outcome=outcome,
        reason=None if not errors else "row_errors",
        detail=f"{len(readings)} stored, {len(errors)} refused{refused} by {user.user.username}",
        cn="http",
    )
    counts = write_checked(request.app.state.hot_store, settings.parquet_root, readings, [packet], now)
    detail = {
        "via": "api",
        "size": len(body),
        "rows": len(rows),
        "stored": counts.stored,
        "duplicates": counts.duplicates,
        "conflicts": counts.conflicts,
        "refused": len(errors),
    }
    record_event(db, UPLOAD_AUDIT_ACTION, UPLOAD_AUDIT_ENTITY, None, detail)
    return ObservationsResult(
        received=len(rows),
        stored=len(readings),
        changed=counts.stored,
        conflicts=counts.conflicts,
        errors=[RowErrorOut(index=e.index, error=e.error) for e in errors],
    )
