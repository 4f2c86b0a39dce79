"""The complaints' JSON API for other front ends (issue 18 part 1): file a complaint, and the citizen's look-up.

`POST /api/v1/complaints` without a key is a public submission (channel `web`, limited per address and per phone
like the public page); with `X-Api-Key` of a registered partner it is that partner's (channel `wechat` when the
partner's code starts with `wechat`, `partner` otherwise, and no public limit). `POST /api/v1/complaints/lookup`
answers the status and published reply of a ticket with the last four digits of its phone; a wrong pair is 404,
like an unknown ticket, so that neither can be told apart. Bodies are never logged, and a refusal never echoes what
was sent (the framework's validation errors would)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Generic, TypeVar

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.intake import channels, gate, partners, service
from ecoloop.intake.api_schemas import ComplaintFiledOut, ComplaintIn, ComplaintStatusOut, LookupIn, ProblemOut
from ecoloop.intake.enums import Channel, Status
from ecoloop.intake.keyring import keyring
from ecoloop.intake.models import Complaint, Partner
from ecoloop.settings import Settings
from ecoloop.standards.personal_data import mask
from ecoloop.web.deps import SettingsDep, UnitOfWork
from ecoloop.web.security import client_ip

router = APIRouter(tags=["complaints"])

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WECHAT_PREFIX = "wechat"
PROBLEMS = {
    "invalid": N_("Some fields are missing or invalid."),
    "unknown_key": N_("The X-Api-Key is not a registered partner's key."),
    "too_many": N_("Too many requests from this address; try again later."),
    "not_found": N_("No complaint has this ticket and these phone digits."),
}


class Refused(Exception):
    """A request refused with a code of `PROBLEMS` or of the intake service, and its HTTP status."""

    def __init__(self, status: int, code: str, fields: list[str] | None = None) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.fields = fields or []


def _problem(refused: Refused) -> Response:
    text = gettext(PROBLEMS[refused.code]) if refused.code in PROBLEMS else service.error_text(refused.code)
    body = ProblemOut(code=refused.code, detail=text, fields=refused.fields).model_dump()
    headers = {"Retry-After": str(int(HOUR.total_seconds()))} if refused.status == 429 else None
    return JSONResponse(body, status_code=refused.status, headers=headers)


Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Parsed(Generic[Model]):
    """A JSON body validated against a schema, or the names of the fields that are not (never their values)."""

    value: Model | None
    fields: list[str] = field(default_factory=list)


async def _parsed(request: Request, schema: type[Model]) -> Parsed[Model]:
    try:
        return Parsed(schema.model_validate(json.loads(await request.body())))
    except ValueError as exc:  # JSON or validation error; pydantic's ValidationError is a ValueError
        names = [".".join(str(p) for p in e["loc"]) for e in exc.errors()] if isinstance(exc, ValidationError) else []
        return Parsed(None, names or ["body"])


async def _complaint_body(request: Request) -> Parsed[ComplaintIn]:
    return await _parsed(request, ComplaintIn)


async def _lookup_body(request: Request) -> Parsed[LookupIn]:
    return await _parsed(request, LookupIn)


def _body_of(schema: type[BaseModel]) -> dict[str, object]:
    """The OpenAPI request body of a route that validates its JSON itself (so that a refusal echoes nothing)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema.model_json_schema()}}}}


@router.post(
    "/api/v1/complaints",
    status_code=201,
    response_model=ComplaintFiledOut,
    responses={403: {"model": ProblemOut}, 422: {"model": ProblemOut}, 429: {"model": ProblemOut}},
    openapi_extra=_body_of(ComplaintIn),
)
def file_complaint(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    body: Annotated[Parsed[ComplaintIn], Depends(_complaint_body)],
    x_api_key: Annotated[str, Header(max_length=128)] = "",
) -> Response | ComplaintFiledOut:
    """File a complaint (body: `ComplaintIn`); answers its ticket (201), or a reason code and its reason."""
    now = utcnow()
    try:
        partner = _partner(db, x_api_key)
        if body.value is None:
            raise Refused(422, "invalid", body.fields)
        if partner is None:
            _limit_public(db, settings, client_ip(request), body.value.phone, now)
        who = channels.actor(partner, client_ip(request))
        complaint = _submit(db, settings, _submission(body.value, partner), now, who)
    except Refused as refused:
        return _problem(refused)
    status = complaint.status
    return ComplaintFiledOut(
        ticket=complaint.ticket,
        status=status.value,
        status_label=gettext(status.label),
        accept_due=complaint.accept_due,
    )


@router.post(
    "/api/v1/complaints/lookup",
    response_model=ComplaintStatusOut,
    responses={404: {"model": ProblemOut}, 422: {"model": ProblemOut}, 429: {"model": ProblemOut}},
    openapi_extra=_body_of(LookupIn),
)
def look_up(
    request: Request, db: UnitOfWork, settings: SettingsDep, body: Annotated[Parsed[LookupIn], Depends(_lookup_body)]
) -> Response | ComplaintStatusOut:
    """The citizen's look-up (a POST: the digits stay out of addresses and logs, and every try is counted)."""
    now = utcnow()
    try:
        if body.value is None:
            raise Refused(422, "invalid", body.fields)
        # The public page's counters and answers (`gate.look_up`): no oracle, no guessing.
        ring = keyring(settings.pii_keys_path)
        found = gate.look_up(db, settings, ring, client_ip(request), body.value.ticket, body.value.phone_last4, now)
        if not isinstance(found, Complaint):
            raise Refused(429 if found == gate.TOO_MANY else 404, found)
        complaint = found
    except Refused as refused:
        return _problem(refused)
    not_accepted = complaint.status is Status.NOT_ACCEPTED
    return ComplaintStatusOut(
        ticket=complaint.ticket,
        status=complaint.status.value,
        status_label=gettext(complaint.status.label),
        reply=mask(complaint.decision_note if not_accepted else complaint.reply),
        replied_at=complaint.decided_at if not_accepted else complaint.replied_at,
    )


def _partner(db: Session, key: str) -> Partner | None:
    if not key.strip():
        return None
    partner = partners.authenticate(db, key.strip())
    if partner is None:
        raise Refused(403, "unknown_key")
    return partner


def _limit_public(db: Session, settings: Settings, ip: str, phone: str, now: datetime) -> None:
    """A keyless complaint counts against the public page's limits (the same counters): per address an hour, per
    phone a day."""
    if gate.address_over(db, settings, ip, now) or gate.phone_over(
        db, settings, keyring(settings.pii_keys_path), phone, now
    ):
        raise Refused(429, "too_many")


def _submission(body: ComplaintIn, partner: Partner | None) -> service.Submission:
    channel = Channel.WEB
    if partner is not None:
        channel = Channel.WECHAT if partner.code.lower().startswith(WECHAT_PREFIX) else Channel.PARTNER
    return service.Submission(
        channel=channel,
        topic=body.topic,
        description=body.description,
        address=body.address,
        longitude=body.longitude,
        latitude=body.latitude,
        name=body.name,
        phone=body.phone,
        consent=body.consent or (partner is not None and channel is Channel.PARTNER),
        partner_id=partner.id if partner else None,
        external_id=body.external_id if partner else "",
    )


def _submit(db: Session, settings: Settings, submission: service.Submission, now: datetime, who: Actor) -> Complaint:
    set_actor(db, who)
    try:
        return service.submit(db, keyring(settings.pii_keys_path), settings.data_dir, submission, now, zone=settings.tz)
    except service.IntakeError as error:
        db.rollback()
        raise Refused(422, error.code) from None
