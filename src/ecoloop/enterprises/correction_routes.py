"""Data-correction pages: the requests a reviewer decides (or an enterprise follows), and the decision, which
stores an approved value as a reading. An enterprise asks for a correction from its file (`routes`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.scope import get_visible
from ecoloop.db.base import RowId, utcnow
from ecoloop.enterprises import queries, service
from ecoloop.enterprises.models import DataCorrection
from ecoloop.enterprises.routes import LABELS, error_text
from ecoloop.enterprises.service import EnterpriseError
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading, ReadingSource, source_value
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, requires
from ecoloop.web.templating import render

router = APIRouter()

MAX_CORRECTIONS_SHOWN = 500


@router.get("/enterprises/corrections", include_in_schema=False)
def corrections_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.REVIEW_CORRECTIONS, Action.REQUEST_CORRECTIONS, any_of=True))],
) -> Response:
    """Correction requests, pending first: reviewers see those of their area, an enterprise its own."""
    return _corrections_page(request, db, user)


def _corrections_page(request: Request, db: Session, user: CurrentUser, *, status: int = 200, **extra: Any) -> Response:
    p = user.principal
    context = {
        "rows": queries.correction_rows(db, p, limit=MAX_CORRECTIONS_SHOWN),
        "may_review": allowed(p, Action.REVIEW_CORRECTIONS),
        "labels": LABELS,
        **extra,
    }
    return render(request, "enterprises/corrections.html", context, user=user, status_code=status)


@router.post("/enterprises/corrections/{correction_id:id}", include_in_schema=False)
def correction_review(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.REVIEW_CORRECTIONS))],
    correction_id: RowId,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Approve or reject a correction request; an approved value is stored as a reading with source
    `correction` before the decision is committed."""
    correction = get_visible(db, user.principal, DataCorrection, correction_id)
    if correction is None:
        raise HTTPException(404)
    approve = decision == "approve"
    try:
        service.review_correction(db, correction, reviewer=user.user, approve=approve, note=note, now=utcnow())
    except EnterpriseError as exc:
        db.rollback()
        return _corrections_page(request, db, user, error=error_text(exc.code), status=422)
    if approve:  # reviewed: the one way a stored value is replaced (issue 13)
        store: HotStore = request.app.state.hot_store
        store.write([corrected_reading(correction, user.user.username)], replace=True)
    return RedirectResponse(f"/enterprises/corrections?reviewed={correction_id}", status_code=303)


def corrected_reading(correction: DataCorrection, reviewer: str) -> Reading:
    """The reading an approved correction stores: the proposed value (else the current one) and flag, its source
    the correction approved by `reviewer`."""
    value = correction.proposed_value if correction.proposed_value is not None else correction.current_value
    return Reading(
        site_id=correction.site_id,
        parameter=correction.parameter,
        interval=Interval(correction.interval),
        time=correction.time,
        value=float(value) if value is not None else None,
        flag=correction.proposed_flag,
        source=source_value(ReadingSource.CORRECTION, reviewer),
    )
