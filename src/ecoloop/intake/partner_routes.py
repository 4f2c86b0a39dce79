"""Partner platforms' pages and API (issue 18 part 6, docs/partners.md): the administrator's list and registration
(`/admin/partners`, the key and secret shown once), one platform's page (rotate the key, a new secret, the feedback
address, switch off, the feedback log), the report per platform (`/admin/partners/report`), and the warnings'
entrance `POST /api/v1/events` (the partner's key and a signature; no user signs in)."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from datetime import time as day_time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from ecoloop.access.actions import Action
from ecoloop.alerts.schemas import MAX_URL, valid_webhook_url
from ecoloop.alerts.targets import NOT_PUBLIC, target_problem
from ecoloop.alerts.webhooks import SIGNATURE_HEADER, verify
from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.intake import events, partner_report, partners, push
from ecoloop.intake.models import Partner
from ecoloop.intake.partner_schemas import EventAccepted, EventIn, EventRefused, refusal_of
from ecoloop.intake.partners import PartnerError
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.templating import render

router = APIRouter()

EVENTS_PATH = "/api/v1/events"
API_KEY_HEADER = "X-Api-Key"
ERROR_TEXT = {
    "code_invalid": N_("The code is 2 to 48 lower-case letters, digits, hyphens or underscores."),
    "code_taken": N_("Another partner platform has this code."),
    "name_missing": N_("Give the platform's name."),
    "not_allowed": N_("Your role may not do this."),
}
REPORT_DAYS = 30


# --- the administrator's pages ---------------------------------------------------------------------------------------


@router.get("/admin/partners", include_in_schema=False)
def partner_list(
    request: Request, db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))]
) -> Response:
    """The partner platforms with the form to register one."""
    return _list_page(request, db, user)


def _list_page(request: Request, db: Session, user: CurrentUser, *, code: int = 200, **extra: Any) -> Response:
    regions = [r for r in list_regions(db, user.principal) if r.level in (RegionLevel.CITY, RegionLevel.COUNTY)]
    context = {
        "partners": partners.list_partners(db, user.principal),
        "regions": regions,
        "errors": {},
        "values": {},
        "max_url": MAX_URL,
        **extra,
    }
    return render(request, "intake/partners.html", context, user=user, status_code=code)


@router.post("/admin/partners", include_in_schema=False)
def partner_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))],
    settings: SettingsDep,
    code: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=200)],
    region_id: Annotated[str, Form(max_length=12)] = "",
    webhook_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Register a platform; its key and signing secret are shown on the page this once."""
    values = {"code": code, "name": name, "region_id": region_id, "webhook_url": webhook_url}
    errors = _url_errors(webhook_url, settings) if webhook_url.strip() else {}
    region = int(region_id) if region_id.isdigit() else None
    if region is not None and region not in {r.id for r in list_regions(db, user.principal)}:
        errors["region_id"] = gettext("Choose a region of your area.")
    if not errors:
        try:
            partner, key = partners.register(
                db, user.user, user.principal, code=code, name=name, region_id=region, now=utcnow(),
                webhook_url=webhook_url,
            )  # fmt: skip
        except PartnerError as exc:
            db.rollback()
            field = "code" if exc.code.startswith("code") else "name" if exc.code == "name_missing" else "form"
            errors = {field: gettext(ERROR_TEXT[exc.code]) if exc.code in ERROR_TEXT else exc.code}
    if errors:
        return _list_page(request, db, user, errors=errors, values=values, code=422)
    return _list_page(request, db, user, new_partner=partner, new_key=key, new_secret=partner.webhook_secret)


@router.get("/admin/partners/{partner_id:id}", include_in_schema=False)
def partner_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))],
    partner_id: RowId,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """One platform: its key's prefix, feedback address, the buttons to rotate the key or the secret or to switch
    it off, and its feedback log."""
    return _partner_page(request, db, user, _visible(db, user, partner_id), done=done)


def _partner_page(
    request: Request, db: Session, user: CurrentUser, partner: Partner, *, code: int = 200, **extra: Any
) -> Response:
    context = {
        "partner": partner,
        "rule": partners.partner_rule(db, partner),
        "feedback": push.feedback_log(db, user.principal, partner.id),
        "errors": {},
        "values": {"webhook_url": partner.webhook_url},
        "max_url": MAX_URL,
        **extra,
    }
    return render(request, "intake/partners_detail.html", context, user=user, status_code=code)


@router.post("/admin/partners/{partner_id:id}/key", include_in_schema=False)
def partner_key(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))],
    partner_id: RowId,
) -> Response:
    """Give the platform a new key, shown this once; the old one stops working."""
    partner = _visible(db, user, partner_id)
    key = partners.rotate_key(db, partner)
    return _partner_page(request, db, user, partner, new_key=key)


@router.post("/admin/partners/{partner_id:id}/secret", include_in_schema=False)
def partner_secret(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))],
    partner_id: RowId,
) -> Response:
    """Give the platform a new signing secret, shown this once."""
    partner = _visible(db, user, partner_id)
    secret = partners.new_secret(db, partner)
    return _partner_page(request, db, user, partner, new_secret=secret)


@router.post("/admin/partners/{partner_id:id}/webhook", include_in_schema=False)
def partner_webhook(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))],
    settings: SettingsDep,
    partner_id: RowId,
    webhook_url: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Set the address the feedback is sent to (public addresses only), or clear it."""
    partner = _visible(db, user, partner_id)
    errors = _url_errors(webhook_url, settings) if webhook_url.strip() else {}
    if errors:
        return _partner_page(request, db, user, partner, errors=errors, values={"webhook_url": webhook_url}, code=422)
    partners.set_webhook(db, partner, webhook_url)
    return RedirectResponse(f"/admin/partners/{partner_id}?done=saved", status_code=303)


@router.post("/admin/partners/{partner_id:id}/deactivate", include_in_schema=False)
def partner_deactivate(
    db: UnitOfWork, user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))], partner_id: RowId
) -> Response:
    """Switch the platform off: its key is refused from now on."""
    partners.deactivate(db, _visible(db, user, partner_id))
    return RedirectResponse(f"/admin/partners/{partner_id}?done=deactivated", status_code=303)


@router.get("/admin/partners/report", include_in_schema=False)
def partner_report_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_PARTNERS))],
    settings: SettingsDep,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
) -> Response:
    """Per platform, for the warnings received from `start` to `end` (local days, both included; the last 30 days
    by default): received, pushed, push rate, handled, effective push rate, overdue tasks, average handling time."""
    now = utcnow()
    last = end or now.astimezone(settings.tz).date()
    first = start or last - timedelta(days=REPORT_DAYS - 1)
    if first > last:
        first, last = last, first
    since = datetime.combine(first, day_time(), settings.tz)
    until = datetime.combine(last + timedelta(days=1), day_time(), settings.tz)
    context = {"rows": partner_report.report(db, user.principal, since, until, now), "start": first, "end": last}
    return render(request, "intake/partners_report.html", context, user=user)


def _visible(db: Session, user: CurrentUser, partner_id: int) -> Partner:
    partner = partners.get_partner(db, user.principal, partner_id)
    if partner is None:
        raise HTTPException(404)
    return partner


def _url_errors(url: str, settings: Settings) -> dict[str, str]:
    """The same checks as an alert webhook's address: http(s), and a public address unless the operator allows it."""
    if not valid_webhook_url(url.strip()):
        return {
            "webhook_url": gettext("Give an http:// or https:// address of at most %(max)s characters.")
            % {"max": MAX_URL}
        }
    if target_problem(url.strip(), settings.webhook_networks) == NOT_PUBLIC:
        return {
            "webhook_url": gettext(
                "This address is not public (loopback, private, link-local or reserved network). Webhooks may reach "
                "such addresses only in networks the operator allows (ECOLOOP_WEBHOOK_ALLOWED_NETWORKS)."
            )
        }
    return {}


# --- the API ---------------------------------------------------------------------------------------------------------


def _refused(status: int, error: str, **extra: str) -> JSONResponse:
    body = EventRefused(error=error, **extra).model_dump()
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _presented_key(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return request.headers.get(API_KEY_HEADER)


@router.post(
    EVENTS_PATH,
    tags=["partners"],
    status_code=201,
    response_model=EventAccepted,
    responses={
        200: {"model": EventAccepted, "description": "The same warning again: the alert it became"},
        400: {"model": EventRefused, "description": "The body is not JSON"},
        401: {"model": EventRefused, "description": "Unknown key or bad signature"},
        413: {"description": "The body is over 64 KiB"},
        422: {"model": EventRefused, "description": "A field is missing or invalid (field, reason)"},
    },
)
async def post_event(request: Request, db: UnitOfWork) -> Response:
    """A partner platform's warning (docs/partners.md): the partner's key (`Authorization: Bearer <key>` or
    `X-Api-Key`) and the body's signature (`X-Ecoloop-Signature`, with the partner's signing secret) are both
    required. 201 with the alert it became; 200 with the same alert when the id was taken before."""
    partner = await run_in_threadpool(partners.authenticate, db, _presented_key(request))
    if partner is None:  # the key is checked before the body is read
        return _refused(401, "unknown_key")
    body = await request.body()
    return await run_in_threadpool(_take, db, partner, body, request.headers.get(SIGNATURE_HEADER))


def _take(db: Session, partner: Partner, body: bytes, signature: str | None) -> Response:
    if not partner.webhook_secret or not verify(partner.webhook_secret, signature, body, int(time.time())):
        return _refused(401, "bad_signature")
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _refused(400, "invalid_json")
    try:
        event = EventIn.model_validate(raw)
    except ValidationError as exc:
        refusal = refusal_of(exc)
        return _refused(422, refusal.error, field=refusal.field, reason=refusal.reason)
    set_actor(db, Actor(label=f"partner:{partner.code}"))
    accepted = events.accept(db, partner, event, utcnow())  # the unit of work commits it
    answer = EventAccepted(
        status="created" if accepted.created else "duplicate",
        id=accepted.event.external_id,
        alert=accepted.alert.number,
        alert_id=accepted.alert.id,
        received_at=accepted.event.received_at,
    )
    return JSONResponse(answer.model_dump(mode="json"), status_code=201 if accepted.created else 200)
