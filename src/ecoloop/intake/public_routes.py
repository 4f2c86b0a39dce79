"""The citizen's side, without sign-in and phone-sized first: report a problem (`/public/complaints`), look up a
ticket with the last four digits of the phone given (`/public/lookup`), and rate the reply (回访).

Every submission passes the form's challenge (a signed single-use token, a field only robots fill, a minimum time
on the page, and a sum to solve once an address has sent many) and the rate limits per address and per phone
before anything is stored; photos are checked by their content and stripped of their metadata. A look-up answers
the same "not found" for an unknown ticket and a wrong last four, and wrong guesses are limited per address and per
ticket. The pages show only the status, the deadlines and the published answer: never the text as filed, the
place, the name or the phone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.intake import challenge, gate, photos, service
from ecoloop.intake.channels import CITIZEN
from ecoloop.intake.enums import TOPIC_DESCRIPTIONS, Channel, Satisfaction, Status, Topic
from ecoloop.intake.keyring import Keyring, keyring
from ecoloop.intake.models import Complaint
from ecoloop.settings import Settings
from ecoloop.web.deps import DbSession, SettingsDep, UnitOfWork
from ecoloop.web.forms import FieldError, filter_choice, parse_decimal
from ecoloop.web.security import client_ip
from ecoloop.web.templating import render

router = APIRouter()


def _said(key: str) -> str:
    """A message of MESSAGES in the user's language."""
    return gettext(MESSAGES[key])


FORM_FIELDS = ("topic", "description", "address", "longitude", "latitude", "name", "phone")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# Above this share of the hourly limit, an address must also solve the sum (the adaptive step of the challenge).
SUM_FROM = 0.5
MESSAGES = {
    "too_many": N_("Too many reports from your network in the last hour. Please try again later, or call 12369."),
    "too_many_phone": N_("This phone number has sent many reports today. Please try again tomorrow, or call 12369."),
    "too_many_lookups": N_("Too many look-ups. Please try again later."),
    "not_found": N_("No complaint has this ticket code with these last four digits."),
    "photo": N_("A photo could not be taken: only JPEG or PNG pictures of at most 5 MB, three at most."),
    "rating": N_("Choose how satisfied you are."),
    "place": N_("The longitude and latitude are not numbers."),
}


def _ring(settings: Settings) -> Keyring:
    return keyring(settings.pii_keys_path)


def _form_page(
    request: Request,
    db: Session,
    settings: Settings,
    values: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    now = utcnow()
    busy = gate.address_busy(db, settings, client_ip(request), now, SUM_FROM)
    issued = challenge.issue(settings.signing_key, now, arithmetic=busy)
    context = {
        "topics": list(Topic),
        "labels": {"topic_descriptions": TOPIC_DESCRIPTIONS},
        "values": values or {},
        "message": message,
        "token": issued.token,
        "question": issued.question,
        "fields": {
            "token": challenge.TOKEN_FIELD,
            "honeypot": challenge.HONEYPOT_FIELD,
            "answer": challenge.ANSWER_FIELD,
        },
        "max_photos": photos.MAX_PHOTOS,
    }
    return render(request, "intake/public_form.html", context, status_code=status)


@router.get("/public/complaints", include_in_schema=False)
def complaint_form(request: Request, db: DbSession, settings: SettingsDep) -> Response:
    """The form to report a problem."""
    return _form_page(request, db, settings)


@dataclass(frozen=True)
class Posted:
    """A posted form as read on the event loop: its text fields and its files' bytes (read within their limit),
    so that the route itself, which works with the database, runs in the thread pool like every synchronous route
    (a route that wrote from the event loop would stall it while it waits for another request's lock, and that
    request's commit waits for the loop: they would deadlock)."""

    fields: dict[str, str]
    files: list[tuple[bytes, str]]


async def posted(request: Request) -> Posted:
    """The form of the request, files included (at most one byte more than a photo may have, each)."""
    form = await request.form()
    try:
        files = []
        for upload in form.getlist("photos"):
            if isinstance(upload, UploadFile) and upload.filename:
                files.append((await upload.read(photos.MAX_PHOTO_BYTES + 1), upload.content_type or ""))
                if len(files) > photos.MAX_PHOTOS:
                    break
        return Posted({k: v for k, v in form.items() if isinstance(v, str)}, files)
    finally:
        await form.close()  # the spooled files


Form = Annotated[Posted, Depends(posted)]


def _photos(files: list[tuple[bytes, str]]) -> list[photos.Photo]:
    if len(files) > photos.MAX_PHOTOS:
        raise photos.PhotoError("count")
    return [photos.accept(content, declared, photos.MAX_PHOTO_BYTES) for content, declared in files]


@router.post("/public/complaints", include_in_schema=False)
def submit_complaint(request: Request, db: UnitOfWork, settings: SettingsDep, form: Form) -> Response:
    """File a complaint: checked, limited, stored; the answer is the ticket code."""
    # A refusal is an ordinary answer: the unit of work commits the counts it made (a flood keeps being counted);
    # only a refusal after the complaint was partly written rolls back.
    # The citizen's complaint is recorded as the public's; neither their address nor anything of them goes into
    # the audit trail (what they wrote is on the complaint, masked).
    set_actor(db, Actor(label=CITIZEN))
    fields = form.fields
    values = {k: fields.get(k, "") for k in FORM_FIELDS}
    values["anonymous"] = "1" if fields.get("anonymous") else ""
    values["consent"] = "1" if fields.get("consent") else ""
    now = utcnow()
    if gate.address_over(db, settings, client_ip(request), now):
        return _form_page(request, db, settings, values, _said("too_many"), 429)
    try:
        challenge.verify(db, settings.signing_key, fields, now, min_seconds=settings.complaint_form_min_seconds)
    except challenge.ChallengeError as exc:
        return _form_page(request, db, settings, values, gettext(challenge.CHALLENGE_MESSAGES[exc.code]), 400)
    try:
        taken = _photos(form.files)
        longitude, latitude = parse_decimal(values["longitude"]), parse_decimal(values["latitude"])
    except photos.PhotoError:
        db.rollback()
        return _form_page(request, db, settings, values, _said("photo"), 422)
    except FieldError:
        db.rollback()
        return _form_page(request, db, settings, values, _said("place"), 422)
    anonymous = bool(values["anonymous"])
    submission = service.Submission(
        channel=Channel.WEB,
        topic=filter_choice(Topic, values["topic"]) or Topic.OTHER,
        description=values["description"],
        address=values["address"],
        longitude=longitude,
        latitude=latitude,
        name="" if anonymous else values["name"],
        phone="" if anonymous else values["phone"],
        consent=bool(values["consent"]),
        photos=tuple(taken),
    )
    ring = _ring(settings)
    if gate.phone_over(db, settings, ring, submission.phone, now):
        return _form_page(request, db, settings, values, _said("too_many_phone"), 429)
    try:
        complaint = service.submit(db, ring, settings.data_dir, submission, now, zone=settings.tz)
    except service.IntakeError as exc:
        db.rollback()
        return _form_page(request, db, settings, values, service.error_text(exc.code), 422)
    return render(request, "intake/public_receipt.html", {"complaint": complaint, "phone": bool(complaint.phone_enc)})


# --- look-up and rating ---------------------------------------------------------------------------------------------


@router.get("/public/lookup", include_in_schema=False)
def lookup_form(request: Request) -> Response:
    """The form to look a ticket up."""
    ticket = request.query_params.get("ticket", "")[:24]
    return render(request, "intake/public_lookup.html", {"ticket": ticket, "message": ""})


def _looked_up(request: Request, db: Session, settings: Settings, ticket: str, last4: str) -> Complaint | Response:
    """The complaint of the ticket and digits, or the look-up page saying why not (429 or 404)."""
    found = gate.look_up(db, settings, _ring(settings), client_ip(request), ticket[:24], last4, utcnow())
    if isinstance(found, Complaint):
        return found
    too_many = found == gate.TOO_MANY
    context = {"ticket": ticket[:24], "message": _said("too_many_lookups" if too_many else "not_found")}
    return render(request, "intake/public_lookup.html", context, status_code=429 if too_many else 404)


def _status_page(request: Request, complaint: Complaint, last4: str, message: str = "", status: int = 200) -> Response:
    context = {
        "complaint": complaint,
        "last4": last4,
        "ratings": list(Satisfaction),
        "may_rate": complaint.status is Status.REPLIED,
        "message": message,
    }
    return render(request, "intake/public_status.html", context, status_code=status)


@router.post("/public/lookup", include_in_schema=False)
def lookup(request: Request, db: UnitOfWork, settings: SettingsDep, form: Form) -> Response:
    """A ticket's status and published answer, for its code and the last four digits of the phone given."""
    last4 = form.fields.get("last4", "")[:4]
    found = _looked_up(request, db, settings, form.fields.get("ticket", ""), last4)
    return _status_page(request, found, last4) if isinstance(found, Complaint) else found


@router.post("/public/complaints/{ticket}/rating", include_in_schema=False)
def rate(request: Request, ticket: str, db: UnitOfWork, settings: SettingsDep, form: Form) -> Response:
    """回访: the citizen rates the published reply."""
    last4 = form.fields.get("last4", "")[:4]
    complaint = _looked_up(request, db, settings, ticket, last4)
    if not isinstance(complaint, Complaint):
        return complaint
    set_actor(db, Actor(label=CITIZEN))
    choice = filter_choice(Satisfaction, form.fields.get("satisfaction", ""))
    if choice is None:
        return _status_page(request, complaint, last4, _said("rating"), 422)
    try:
        service.rate(db, complaint, choice, form.fields.get("note", ""), utcnow())
    except service.IntakeError as exc:
        db.rollback()
        return _status_page(request, complaint, last4, service.error_text(exc.code), 409)
    return _status_page(request, complaint, last4)
