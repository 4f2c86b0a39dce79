"""Pages of the random checks: the draws (list, announce, enter the public value, draw, the result and its
workbook), the officers' certificates and declared conflicts, and the pools' settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.db.base import RowId, utcnow
from ecoloop.draws import queries, service, views
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.export import draw_workbook
from ecoloop.draws.models import EnterprisePool, OfficerPool
from ecoloop.draws.service import DrawError
from ecoloop.draws.verification import verify
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import PostedFields, local_today, parse_day, required_day
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_INSPECTIONS))]
Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_DRAWS))]


def _error(exc: DrawError) -> str:
    return service.error_text(exc)


def _whole(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise DrawError("number_invalid")
    return int(text)


@router.get("/draws", include_in_schema=False)
def draws_page(request: Request, db: DbSession, user: Viewer) -> Response:
    """The draws of the user's area, newest first."""
    context = {"draws": views.draw_rows(db, queries.draws(db, user.principal)), "may_manage": _may(user)}
    return render(request, "draws/list.html", context, user=user)


def _may(user: CurrentUser) -> bool:
    return allowed(user.principal, Action.MANAGE_DRAWS)


@router.get("/draws/new", include_in_schema=False)
def announce_form(request: Request, db: DbSession, user: Manager, settings: SettingsDep) -> Response:
    """The form that announces a draw."""
    return _announce_page(request, db, user, settings, {})


def _announce_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Any,
    values: dict[str, Any],
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "values": values,
        "today": local_today(settings),
        "regions": queries.region_choices(db, user.principal),
        "enterprise_pools": [p for p in queries.enterprise_pools(db, user.principal) if p.active],
        "officer_pools": [p for p in queries.officer_pools(db, user.principal) if p.active],
        **extra,
    }
    return render(request, "draws/new.html", context, user=user, status_code=status)


@router.post("/draws", include_in_schema=False)
def announce(request: Request, db: UnitOfWork, user: Manager, settings: SettingsDep, fields: PostedFields) -> Response:
    """Announce a draw: its pools are frozen now, its seed's source and date stated."""
    form = views.FormData(fields)
    values: dict[str, Any] = dict(fields)
    try:
        a = views.announcement_of(form)
        draw = service.announce(db, user.principal, a, now=utcnow(), zone=settings.tz)
    except DrawError as exc:
        db.rollback()
        values["enterprise_pool_ids"] = form.getlist("enterprise_pool_ids")  # shown ticked again
        values["officer_pool_ids"] = form.getlist("officer_pool_ids")
        return _announce_page(request, db, user, settings, values, status=422, error=_error(exc))
    return RedirectResponse(f"/draws/{draw.id}", status_code=303)


@router.get("/draws/{draw_id:id}", include_in_schema=False)
def draw_page(request: Request, db: DbSession, user: Viewer, draw_id: RowId, check: bool = False) -> Response:
    """A draw: its announcement, seed, snapshots and, once drawn, the result with the avoidance applied; with
    `check`, verified as `ecoloop inspections verify` does (a re-run: on demand, as it takes a moment)."""
    return _draw_page(request, db, user, draw_id, check=check)


def _draw_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    draw_id: int,
    *,
    check: bool = False,
    status: int = 200,
    **extra: Any,
) -> Response:
    draw = queries.draw(db, user.principal, draw_id)
    if draw is None:
        raise HTTPException(404)
    context = {
        "draw": draw,
        "view": views.draw_view(db, draw),
        "verification": verify(db, draw.id) if check and draw.status is DrawStatus.DRAWN else None,
        "may_manage": _may(user),
        **extra,
    }
    return render(request, "draws/detail.html", context, user=user, status_code=status)


@router.post("/draws/{draw_id:id}/value", include_in_schema=False)
def enter_value(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    draw_id: RowId,
    public_value: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Enter the public value of the stated date: the seed is fixed."""
    try:
        service.enter_public_value(db, user.principal, draw_id, public_value, now=utcnow(), zone=settings.tz)
    except DrawError as exc:
        db.rollback()
        return _draw_page(request, db, user, draw_id, status=422, error=_error(exc))
    return RedirectResponse(f"/draws/{draw_id}", status_code=303)


@router.post("/draws/{draw_id:id}/draw", include_in_schema=False)
def perform(request: Request, db: UnitOfWork, user: Manager, draw_id: RowId) -> Response:
    """Draw: the result is recorded and can never be changed."""
    try:
        service.perform(db, user.principal, draw_id, now=utcnow())
    except DrawError as exc:
        db.rollback()
        return _draw_page(request, db, user, draw_id, status=422, error=_error(exc))
    return RedirectResponse(f"/draws/{draw_id}", status_code=303)


@router.get("/draws/{draw_id:id}/export.xlsx", include_in_schema=False)
def export(db: DbSession, user: Viewer, settings: SettingsDep, draw_id: RowId) -> Response:
    """The result of a draw as an Excel workbook: the enterprises with their officers, the 非现场 checks, the pools."""
    draw = queries.draw(db, user.principal, draw_id)
    if draw is None or draw.status is not DrawStatus.DRAWN:
        raise HTTPException(404)
    return download(draw_workbook(draw, views.draw_view(db, draw), settings.tz), f"{draw.number}.xlsx", XLSX)


@router.get("/draws/{draw_id:id}/snapshots/{position:id}.json", include_in_schema=False)
def snapshot(db: DbSession, user: Manager, draw_id: RowId, position: RowId) -> Response:
    """A pool snapshot exactly as stored (its SHA-256 is on the draw's page): what a re-run by hand starts from.
    Only for those who make draws: it holds the officers' declared conflicts and last inspections."""
    draw = queries.draw(db, user.principal, draw_id)
    found = next((s for s in draw.snapshots if s.position == position), None) if draw else None
    if draw is None or found is None:
        raise HTTPException(404)
    return download(found.content.encode(), f"{draw.number}-{position}.json", "application/json")


# --- officers ---------------------------------------------------------------------------------------------------


@router.get("/draws/officers", include_in_schema=False)
def officers_page(request: Request, db: DbSession, user: Manager, settings: SettingsDep) -> Response:
    """The officers' enforcement certificates and declared conflicts of the user's area."""
    return _officers_page(request, db, user, settings)


def _officers_page(
    request: Request, db: Session, user: CurrentUser, settings: Any, *, status: int = 200, **extra: Any
) -> Response:
    context = {
        "officers": queries.officers(db, user.principal),
        "certificates": queries.certificates(db, user.principal),
        "conflicts": queries.conflicts(db, user.principal),
        "today": local_today(settings),
        "values": {},
        **extra,
    }
    context["names"] = {o.id: o.display_name for o in context["officers"]}
    context["units"] = {
        o.id: (o.organisation.name, o.organisation.region.name) for o in context["officers"] if o.organisation
    }
    context["enterprises"] = queries.enterprises_by_id(db, [c.enterprise_id for c in context["conflicts"]])
    return render(request, "draws/officers.html", context, user=user, status_code=status)


@router.post("/draws/certificates", include_in_schema=False)
def add_certificate(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    user_id: Annotated[RowId, Form()],
    number: Annotated[str, Form(max_length=40)],
    valid_from: Annotated[str, Form(max_length=10)],
    valid_to: Annotated[str, Form(max_length=10)],
    issued_by: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record an officer's enforcement certificate."""
    try:
        service.add_certificate(
            db,
            user.principal,
            user_id=user_id,
            number=number,
            valid_from=required_day(valid_from, refuse=DrawError),
            valid_to=required_day(valid_to, refuse=DrawError),
            issued_by=issued_by,
        )
    except DrawError as exc:
        db.rollback()
        values = {
            "user_id": user_id,
            "number": number,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "issued_by": issued_by,
        }
        return _officers_page(request, db, user, settings, status=422, error=_error(exc), values=values)
    return RedirectResponse("/draws/officers", status_code=303)


@router.post("/draws/certificates/{certificate_id:id}/revoke", include_in_schema=False)
def revoke_certificate(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    certificate_id: RowId,
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Withdraw a certificate from a day (today by default)."""
    try:
        day = parse_day(on, refuse=DrawError) or local_today(settings)
        service.revoke_certificate(db, user.principal, certificate_id, on=day)
    except DrawError as exc:
        db.rollback()
        return _officers_page(request, db, user, settings, status=422, error=_error(exc))
    return RedirectResponse("/draws/officers", status_code=303)


@router.post("/draws/conflicts", include_in_schema=False)
def declare_conflict(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    user_id: Annotated[RowId, Form()],
    credit_code: Annotated[str, Form(max_length=18)],
    reason: Annotated[str, Form(max_length=500)],
    start: Annotated[str, Form(max_length=10)],
    end: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record a conflict of interest an officer declared with an enterprise."""
    try:
        enterprise = queries.enterprise_by_code(db, user.principal, credit_code)
        if enterprise is None:
            raise DrawError("enterprise_unknown")
        service.declare_conflict(
            db,
            user.principal,
            user_id=user_id,
            enterprise_id=enterprise.id,
            reason=reason,
            start=required_day(start, refuse=DrawError),
            end=parse_day(end, refuse=DrawError),
        )
    except DrawError as exc:
        db.rollback()
        values = {"conflict_user_id": user_id, "credit_code": credit_code, "reason": reason, "start": start, "end": end}
        return _officers_page(request, db, user, settings, status=422, error=_error(exc), values=values)
    return RedirectResponse("/draws/officers", status_code=303)


@router.post("/draws/conflicts/{conflict_id:id}/end", include_in_schema=False)
def end_conflict(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    settings: SettingsDep,
    conflict_id: RowId,
    end: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Close a declared conflict on a day (today by default)."""
    try:
        day = parse_day(end, refuse=DrawError) or local_today(settings)
        service.end_conflict(db, user.principal, conflict_id, end=day)
    except DrawError as exc:
        db.rollback()
        return _officers_page(request, db, user, settings, status=422, error=_error(exc))
    return RedirectResponse("/draws/officers", status_code=303)


# --- pools ------------------------------------------------------------------------------------------------------


@router.get("/draws/pools", include_in_schema=False)
def pools_page(request: Request, db: DbSession, user: Manager) -> Response:
    """The enterprise and officer pools' settings of the user's area, and the forms that add one."""
    return _pools_page(request, db, user)


def _pools_page(request: Request, db: Session, user: CurrentUser, *, status: int = 200, **extra: Any) -> Response:
    context = {
        "enterprise_pools": queries.enterprise_pools(db, user.principal),
        "officer_pools": queries.officer_pools(db, user.principal),
        "regions": queries.region_choices(db, user.principal),
        "units": queries.unit_choices(db, user.principal),
        "lists": queries.supervision_lists(db),
        "grades": list(PerformanceGrade),
        "values": {},
        **extra,
    }
    context["region_names"] = {r.id: r.name for r in context["regions"]}
    context["unit_names"] = {u.id: u.name for u in context["units"]}
    return render(request, "draws/pools.html", context, user=user, status_code=status)


@router.post("/draws/pools/enterprises", include_in_schema=False)
def add_enterprise_pool(request: Request, db: UnitOfWork, user: Manager, fields: PostedFields) -> Response:
    """Add an enterprise pool's settings."""
    form = views.FormData(fields)
    try:
        pool_form = views.enterprise_pool_of(form)
        service.save_enterprise_pool(db, user.principal, pool_form)
    except DrawError as exc:
        db.rollback()
        values: dict[str, Any] = dict(fields)
        return _pools_page(request, db, user, status=422, error=_error(exc), values=values)
    return RedirectResponse("/draws/pools", status_code=303)


@router.post("/draws/pools/officers", include_in_schema=False)
def add_officer_pool(request: Request, db: UnitOfWork, user: Manager, fields: PostedFields) -> Response:
    """Add an officer pool's settings."""
    form = views.FormData(fields)
    try:
        region = views.row_id(str(form.get("region_id", "")))
        units = [views.row_id(str(v)) for v in form.getlist("unit_ids")]
        service.save_officer_pool(
            db, user.principal, name=str(form.get("name", ""))[:200], region_id=region, unit_ids=units
        )
    except DrawError as exc:
        db.rollback()
        return _pools_page(request, db, user, status=422, error=_error(exc))
    return RedirectResponse("/draws/pools", status_code=303)


@router.post("/draws/pools/{kind}/{pool_id:id}/active", include_in_schema=False)
def set_pool_active(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    kind: str,
    pool_id: RowId,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Take a pool out of the announce form's choices, or put it back."""
    model = {"enterprises": EnterprisePool, "officers": OfficerPool}.get(kind)
    if model is None:
        raise HTTPException(404)
    try:
        service.set_pool_active(db, user.principal, model, pool_id, active=active == "true")
    except DrawError as exc:
        db.rollback()
        return _pools_page(request, db, user, status=422, error=_error(exc))
    return RedirectResponse("/draws/pools", status_code=303)
