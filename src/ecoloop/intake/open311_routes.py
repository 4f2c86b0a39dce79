"""Open311 GeoReport v2 at `/open311/v2/` (issue 18 part 1): Service Discovery, the service list (one service per
topic) and definitions, service requests created (form-encoded POST) and read (GET, public: never the complainant;
see docs/open311.md). The format is the path's suffix, `.xml` or `.json`; refusals are `errors` bodies.

A POST without `api_key` is a public submission, limited per address like the public page; with a registered
partner's key it is attributed to that partner; with any other key it is refused (403). Request bodies are never
logged."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.intake import channels, gate, open311, partners, service
from ecoloop.intake.enums import Channel, Topic
from ecoloop.intake.keyring import keyring
from ecoloop.intake.models import Complaint, Partner
from ecoloop.intake.open311 import Creation, Format, Open311Error
from ecoloop.intake.rules import Unit
from ecoloop.settings import Settings
from ecoloop.web.deps import DbSession, SettingsDep, UnitOfWork
from ecoloop.web.security import client_ip

router = APIRouter(prefix="/open311/v2", tags=["open311"], include_in_schema=False)

HOUR = timedelta(hours=1)
CONTACT = N_("The Ecology and Environment Bureau's 12369 hotline")
KEY_SERVICE = N_("Partner platforms get a key from the bureau; without a key, requests are public submissions.")
UNKNOWN_KEY = N_("The api_key is not a registered partner's key.")
UNKNOWN_JURISDICTION = N_("This server does not answer for that jurisdiction_id.")
UNKNOWN_SERVICE = N_("There is no such service_code.")
UNKNOWN_REQUEST = N_("There is no such service request.")
MISSING_SERVICE = N_("Give the service_code.")
MISSING_PLACE = N_("Give lat and long, or address_string.")
TOO_MANY = N_("Too many requests from this address; try again later.")
NOTICE_WORKING = N_("Received. Whether it is accepted is decided within %(days)s working days, by %(day)s.")
NOTICE_CALENDAR = N_("Received. Whether it is accepted is decided within %(days)s days, by %(day)s.")
NOT_KEPT = N_("Your name and phone number were not kept: the request did not say you agree to their use.")
CHANGESET = datetime(2026, 12, 7, tzinfo=UTC)  # when this subset last changed (Service Discovery's `changeset`)


def _format(fmt: str) -> Format:
    if fmt not in open311.FORMATS:
        raise HTTPException(404)
    return "xml" if fmt == "xml" else "json"


def _answer(fmt: Format, body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=open311.media_type(fmt))


def _refusal(fmt: Format, error: Open311Error) -> Response:
    headers = {"Retry-After": str(int(HOUR.total_seconds()))} if error.status == 429 else None
    body = open311.errors(fmt, [(error.status, error.description)])
    return Response(body, status_code=error.status, media_type=open311.media_type(fmt), headers=headers)


def _check_jurisdiction(settings: Settings, jurisdiction_id: str) -> None:
    wanted = settings.open311_jurisdiction.strip()
    if wanted and jurisdiction_id.strip() and jurisdiction_id.strip() != wanted:
        raise Open311Error(404, gettext(UNKNOWN_JURISDICTION))


@router.get("/discovery.{fmt}")
def discovery(request: Request, fmt: str) -> Response:
    """Service Discovery: where this endpoint is and what it speaks."""
    chosen = _format(fmt)
    url = str(request.url_for("services", fmt="xml")).rsplit("/", 1)[0]
    body = open311.discovery(chosen, url, CHANGESET, gettext(CONTACT), gettext(KEY_SERVICE))
    return _answer(chosen, body)


@router.get("/services.{fmt}", name="services")
def services(settings: SettingsDep, fmt: str, jurisdiction_id: str = "") -> Response:
    """GET Service List: one service per topic of complaint."""
    chosen = _format(fmt)
    try:
        _check_jurisdiction(settings, jurisdiction_id)
    except Open311Error as error:
        return _refusal(chosen, error)
    rows = [open311.service_row(topic, gettext) for topic in Topic]
    return _answer(chosen, open311.document(chosen, "services", "service", rows))


@router.get("/services/{code}.{fmt}")
def service_definition(settings: SettingsDep, code: str, fmt: str, jurisdiction_id: str = "") -> Response:
    """GET Service Definition: a known service has no attributes; an unknown one is 404."""
    chosen = _format(fmt)
    topic = open311.topic_of(code)
    try:
        _check_jurisdiction(settings, jurisdiction_id)
        if topic is None:
            raise Open311Error(404, gettext(UNKNOWN_SERVICE))
    except Open311Error as error:
        return _refusal(chosen, error)
    return _answer(chosen, open311.definition(chosen, topic))


@router.get("/requests.{fmt}")
def list_requests(request: Request, db: DbSession, settings: SettingsDep, fmt: str) -> Response:
    """GET Service Requests: by ids, or by service, date range (at most 90 days) and status; public fields only."""
    chosen = _format(fmt)
    params = dict(request.query_params)
    try:
        _check_jurisdiction(settings, params.get("jurisdiction_id", ""))
        listing = open311.read_listing(params, utcnow())
    except Open311Error as error:
        return _refusal(chosen, error)
    listing = replace(listing, tickets=tuple(service.ticket_form(t) for t in listing.tickets))
    rows = [
        open311.request_row(p.complaint, p.agency, settings.tz, gettext, p.complaint.region.name)
        for p in channels.public_requests(db, listing)
    ]
    return _answer(chosen, open311.document(chosen, "service_requests", "request", rows))


@router.get("/requests/{ticket}.{fmt}")
def get_request(db: DbSession, settings: SettingsDep, ticket: str, fmt: str, jurisdiction_id: str = "") -> Response:
    """GET Service Request: one request by its id (the ticket); public fields only."""
    chosen = _format(fmt)
    found = channels.public_request(db, service.ticket_form(ticket))
    try:
        _check_jurisdiction(settings, jurisdiction_id)
        if found is None:
            raise Open311Error(404, gettext(UNKNOWN_REQUEST))
    except Open311Error as error:
        return _refusal(chosen, error)
    row = open311.request_row(found.complaint, found.agency, settings.tz, gettext, found.complaint.region.name)
    return _answer(chosen, open311.document(chosen, "service_requests", "request", [row]))


async def _creation(request: Request) -> Creation:
    """The POST form's fields (read here, asynchronously, so that the route itself runs in the thread pool)."""
    form = await request.form()
    return open311.read_form((key, value) for key, value in form.multi_items() if isinstance(value, str))


@router.post("/requests.{fmt}")
def create_request(
    request: Request,
    db: UnitOfWork,
    settings: SettingsDep,
    fmt: str,
    creation: Annotated[Creation, Depends(_creation)],
) -> Response:
    """POST Service Request: a complaint filed, answered with its ticket as `service_request_id`."""
    chosen = _format(fmt)
    now = utcnow()
    try:
        _check_jurisdiction(settings, creation.jurisdiction_id)
        partner = _partner(db, creation.api_key)
        submission, dropped = _submission(creation, partner)
        if partner is None:
            _limit(db, settings, client_ip(request), submission.phone, now)
        complaint = _submit(db, settings, submission, now, channels.actor(partner, client_ip(request)))
    except Open311Error as error:
        return _refusal(chosen, error)
    row = open311.created_row(complaint.ticket, _notice(db, settings, complaint, dropped))
    return _answer(chosen, open311.document(chosen, "service_requests", "request", [row]))


def _partner(db: Session, key: str) -> Partner | None:
    if not key.strip():
        return None
    partner = partners.authenticate(db, key.strip())
    if partner is None:
        raise Open311Error(403, gettext(UNKNOWN_KEY))
    return partner


def _limit(db: Session, settings: Settings, ip: str, phone: str, now: datetime) -> None:
    """Keyless requests count against the public page's allowances (the same counters): per address, and per phone
    when one is kept."""
    ring = keyring(settings.pii_keys_path)
    if gate.address_over(db, settings, ip, now) or gate.phone_over(db, settings, ring, phone, now):
        raise Open311Error(429, gettext(TOO_MANY))


def _submission(creation: Creation, partner: Partner | None) -> tuple[service.Submission, bool]:
    """The complaint a form files, and whether the name and phone were left out for want of consent: a public
    client keeps them only with `attribute[consent]=true`; a partner's agreement with the bureau covers its
    users."""
    topic = open311.topic_of(creation.service_code.strip())
    if not creation.service_code.strip():
        raise Open311Error(400, gettext(MISSING_SERVICE))
    if topic is None:
        raise Open311Error(404, gettext(UNKNOWN_SERVICE))
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    if creation.lat.strip() and creation.long.strip():
        latitude = open311.parse_coordinate(creation.lat, "lat", 90)
        longitude = open311.parse_coordinate(creation.long, "long", 180)
    elif not creation.address_string.strip():
        raise Open311Error(400, gettext(MISSING_PLACE))
    consent = partner is not None or creation.attributes.get("consent", ("",))[0].strip().lower() in ("true", "1")
    identity = bool(creation.name or creation.phone.strip())
    submission = service.Submission(
        channel=Channel.PARTNER if partner else Channel.OPEN311,
        topic=topic,
        description=creation.description,
        address=creation.address_string,
        longitude=longitude,
        latitude=latitude,
        name=creation.name if consent else "",
        phone=creation.phone if consent else "",
        consent=consent and identity,
        partner_id=partner.id if partner else None,
    )
    return submission, identity and not consent


def _submit(db: Session, settings: Settings, submission: service.Submission, now: datetime, who: Actor) -> Complaint:
    set_actor(db, who)
    ring = keyring(settings.pii_keys_path)
    try:
        return service.submit(db, ring, settings.data_dir, submission, now, zone=settings.tz)
    except service.IntakeError as error:
        db.rollback()
        raise Open311Error(400, service.error_text(error.code)) from None


def _notice(db: Session, settings: Settings, complaint: Complaint, dropped: bool) -> str:
    limit = service.config_for(db, complaint.received_at.astimezone(settings.tz).date()).accept
    words = gettext(NOTICE_WORKING if limit.unit is Unit.WORKING else NOTICE_CALENDAR)
    notice = words % {"days": limit.days, "day": complaint.accept_due.isoformat()}
    return f"{notice} {gettext(NOT_KEPT)}" if dropped else notice
