"""The case API: the cases the caller sees (with the board's filters), one case with its timeline, and a workflow
step (409 when the case changed since the caller read it, 422 with the reason code when the step is refused)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.access.scope import get_visible
from ecoloop.cases import queries, service
from ecoloop.cases.enums import EventKind
from ecoloop.cases.models import Case
from ecoloop.cases.queries import TimelineEntry
from ecoloop.cases.routes import ERROR_STATUS, case_filter, error_text, require_step
from ecoloop.cases.schemas import (
    ActionIn,
    AttachmentOut,
    CaseDetailOut,
    CaseIn,
    CaseOut,
    CaseQuery,
    EventOut,
    ProblemOut,
)
from ecoloop.cases.service import Acting, CaseError, register_case, take_step
from ecoloop.cases.workflow import IllegalTransitionError, actions_for
from ecoloop.db.base import RowId, utcnow
from ecoloop.enterprises.models import Enterprise
from ecoloop.regions.models import Region
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, requires
from ecoloop.web.paging import DEFAULT_LIMIT, Limit, Offset

router = APIRouter(tags=["cases"])


@router.get("/api/v1/cases", response_model=list[CaseOut])
def api_cases(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))],
    params: Annotated[CaseQuery, Query()],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> list[CaseOut]:
    """The cases the caller sees, newest first, filtered like the board (`page` is ignored; use limit and
    offset)."""
    f, hidden = case_filter(db, user.principal, params)
    rows = [] if hidden else queries.search_cases(db, user.principal, f, limit=limit, offset=offset)
    return [case_out(c) for c in rows]


@router.post(
    "/api/v1/cases",
    status_code=201,
    response_model=CaseDetailOut,
    responses={422: {"model": ProblemOut}},
)
def api_register_case(
    db: UnitOfWork, user: Annotated[CurrentUser, Depends(requires(Action.REGISTER_CASES))], body: CaseIn
) -> Response | CaseDetailOut:
    """Register a problem as a case (登记) with the registration form's checks; answers the case as
    `GET /api/v1/cases/{id}` does (201), or 422 with the reason code (403 for a role that does not register)."""
    p = user.principal
    try:
        region = get_visible(db, p, Region, body.region_id)
        if region is None:
            raise CaseError("region_unknown")
        if body.enterprise_id is not None and get_visible(db, p, Enterprise, body.enterprise_id) is None:
            raise CaseError("enterprise_unknown")
        case = register_case(
            db,
            Acting(user.user, p),
            source=body.source,
            category=body.category,
            title=body.title,
            region=region,
            now=utcnow(),
            description=body.description.strip(),
            enterprise_id=body.enterprise_id,
            severity=body.severity,
            deadline=body.deadline,
            external_ref=body.external_ref.strip(),
        )
    except CaseError as exc:
        db.rollback()
        problem = ProblemOut(code=exc.code, detail=error_text(exc.code))
        return JSONResponse(problem.model_dump(), status_code=422)
    return _detail(db, user, case)


@router.get("/api/v1/cases/{case_id:id}", response_model=CaseDetailOut)
def api_case(
    db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))], case_id: RowId
) -> CaseDetailOut:
    """One case with its timeline and the steps the caller may take on it now."""
    return _detail(db, user, _visible(db, user, case_id))


@router.post(
    "/api/v1/cases/{case_id:id}/actions",
    response_model=CaseDetailOut,
    responses={409: {"model": ProblemOut}, 422: {"model": ProblemOut}},
)
def api_case_action(
    db: UnitOfWork, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_CASES))], case_id: RowId, body: ActionIn
) -> Response | CaseDetailOut:
    """Take a workflow step on the case as of the `version` the caller read; answers the case as it is now (403
    for a supervisor's step without `supervise_cases`)."""
    require_step(user, body.action)
    case = _visible(db, user, case_id)
    try:
        take_step(
            db,
            Acting(user.user, user.principal),
            case,
            body.action,
            now=utcnow(),
            version=body.version,
            reason=body.reason,
            unit_id=body.unit_id,
            co_unit_ids=body.co_unit_ids,
            deadline=body.deadline,
            merge_into=body.merge_into,
        )
    except (CaseError, IllegalTransitionError) as exc:
        db.rollback()
        problem = ProblemOut(code=exc.code, detail=error_text(exc.code))
        return JSONResponse(problem.model_dump(), status_code=ERROR_STATUS.get(exc.code, 422))
    return _detail(db, user, case)


def _visible(db: Session, user: CurrentUser, case_id: int) -> Case:
    case = queries.get_case(db, user.principal, case_id)
    if case is None:
        raise HTTPException(404)
    return case


def case_out(case: Case) -> CaseOut:
    """A case in the API's shape."""
    return CaseOut(
        id=case.id,
        number=case.number,
        version=case.version,
        state=case.state.value,
        source=case.source.value,
        category=case.category.value,
        severity=case.severity.value,
        title=case.title,
        description=case.description,
        region_id=case.region_id,
        enterprise_id=case.enterprise_id,
        site_id=case.site_id,
        lead_unit_id=case.lead_unit_id,
        co_unit_ids=[u.organisation_id for u in case.co_units],
        responsible_leader=case.responsible_leader,
        deadline=case.deadline,
        overdue=case.overdue,
        long_term=case.long_term,
        batch_id=case.batch_id,
        merged_into_id=case.merged_into_id,
        external_ref=case.external_ref,
        finding=case.finding.value if case.finding else None,
        closed_at=case.closed_at,
        created_at=case.created_at,
    )


def _event_out(case: Case, entry: TimelineEntry) -> EventOut:
    event = entry.event
    base = f"/cases/{case.id}"
    return EventOut(
        id=event.id,
        at=event.at,
        kind=event.kind.value,
        actor=event.actor_label,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value if event.to_state else None,
        note=event.note,
        data=event.data,
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                url=f"{base}/attachments/{a.id}",
            )
            for a in entry.attachments
        ],
        notice_url=f"{base}/notices/{event.id}.docx" if event.kind is EventKind.SUPERVISED else None,
    )


def _detail(db: Session, user: CurrentUser, case: Case) -> CaseDetailOut:
    party = service.party_of(db, user.principal, case)
    return CaseDetailOut(
        **case_out(case).model_dump(),
        timeline=[_event_out(case, entry) for entry in queries.timeline(db, user.principal, case.id)],
        actions=[a.value for a in actions_for(case.state, party)] if party else [],
    )
