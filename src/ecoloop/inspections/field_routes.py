"""The officer's phone (`/inspections/mine`, `/inspections/{id}/field`): the tasks of today and the coming days,
and one inspection's form — checklist answers, findings, photos with time and place, conclusion, confirmation.

The form keeps every change in the browser (`static/inspection-offline.js`: text in localStorage, photos in
IndexedDB) and sends the record as JSON under a client-generated key, so a submission made offline is queued and
sent when the phone is back online, and a submission sent twice is stored once (`service.submit`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.cases.service import Acting
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import gettext
from ecoloop.inspections import queries, rules, service
from ecoloop.inspections.enums import Answer, Conclusion, Status
from ecoloop.inspections.models import InspectionPhoto
from ecoloop.inspections.photos import MAX_PHOTO_BYTES
from ecoloop.inspections.rules import Record
from ecoloop.inspections.schemas import SubmissionIn
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import RawBody, local_today
from ecoloop.web.templating import render

router = APIRouter()
T = TypeVar("T")
Officer = Annotated[CurrentUser, Depends(requires(Action.INSPECT))]
# HTTP status of each refusal: not yours 403, changed meanwhile or completed 409, the record incomplete 422.
_STATUS = {"not_officer": 403, "completed": 409, "stale": 409, "key_invalid": 422}


def refused(code: str, codes: tuple[str, ...] = (), version: int | None = None) -> JSONResponse:
    """A refusal as JSON: its codes, its reasons in the user's language and, for a stale record, the version now
    stored (the form continues from it once the officer has read why)."""
    reasons = [gettext(rules.MESSAGES.get(c, rules.FALLBACK)) for c in (codes or (code,))]
    return JSONResponse(
        {"ok": False, "code": code, "reason": " ".join(reasons), "version": version},
        status_code=_STATUS.get(code, 422),
    )


@router.get("/inspections/mine", include_in_schema=False)
def my_tasks(request: Request, db: DbSession, user: Officer, settings: SettingsDep) -> Response:
    """The officer's inspections: today's (and overdue), upcoming, awaiting their confirmation, done."""
    today = local_today(settings)
    tasks = queries.mine(db, user.principal, today)
    return render(request, "inspections/mine.html", {"tasks": tasks, "today": today}, user=user)


@router.get("/inspections/{inspection_id:id}/field", include_in_schema=False)
def field_form(request: Request, inspection_id: RowId, db: DbSession, user: Officer) -> Response:
    """One inspection's form on the phone (read-only once completed, or for a user who is not its officer)."""
    inspection = queries.get(db, user.principal, inspection_id)
    if inspection is None:
        raise HTTPException(404)
    me = next((o for o in inspection.officers if o.user_id == user.user.id), None)
    context = {
        "inspection": inspection,
        "items": rules.items_from(inspection.checklist_version.items),
        "answers": {a.item_key: a for a in inspection.answers},
        "photos": queries.photos_of(db, inspection.id),
        "me": me,
        "editable": me is not None and inspection.status is not Status.COMPLETED,
        "answer_choices": list(Answer),
        "conclusions": list(Conclusion),
    }
    return render(request, "inspections/field.html", context, user=user)


@router.post("/inspections/{inspection_id:id}/submit", include_in_schema=False)
def submit(inspection_id: RowId, db: UnitOfWork, user: Officer, body: RawBody) -> Response:
    """Take an officer's record and confirmation (JSON), once per key: the answer says whether it was stored now
    or before, whether the inspection is complete, and the version the form continues from."""
    try:
        sent = SubmissionIn.model_validate(json.loads(body or b"{}"))
    except (ValueError, ValidationError):
        return refused("key_invalid")
    record = Record(
        {k: rules.Response(a.answer, a.note) for k, a in sent.answers.items()}, sent.findings, sent.conclusion
    )

    def take() -> service.Submitted:
        return service.submit(
            db, Acting(user.user, user.principal), inspection_id, key=sent.key, seen_version=sent.version,
            record=record, now=utcnow(),
        )  # fmt: skip

    try:
        done = _once_more(db, take)
    except service.NotFoundError:
        raise HTTPException(404) from None
    except service.InspectionError as exc:
        db.rollback()
        current = queries.get(db, user.principal, inspection_id) if exc.code == "stale" else None
        return refused(exc.code, exc.codes, current.version if current else None)
    confirmed = [o.user.display_name for o in done.inspection.officers if o.confirmed_at is not None]
    return JSONResponse(
        {
            "ok": True,
            "stored": done.stored,
            "completed": done.completed,
            "version": done.inspection.version,
            "confirmed": confirmed,
            "message": gettext("Submitted and confirmed."),
        }
    )


@router.post("/inspections/{inspection_id:id}/photos", include_in_schema=False)
def add_photo(
    inspection_id: RowId,
    db: UnitOfWork,
    user: Officer,
    settings: SettingsDep,
    key: Annotated[str, Form(max_length=64)],
    photo: Annotated[UploadFile, File()],
    taken_at: Annotated[str, Form(max_length=40)] = "",
    longitude: Annotated[str, Form(max_length=20)] = "",
    latitude: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """A photo taken on site, with the time and place the phone recorded; the same key sent again is a no-op."""
    content = photo.file.read(MAX_PHOTO_BYTES + 1)

    def take() -> InspectionPhoto:
        return service.add_photo(
            db, Acting(user.user, user.principal), inspection_id, key=key, content=content,
            taken_at=_instant(taken_at), longitude=_coordinate(longitude, 180), latitude=_coordinate(latitude, 90),
            data_dir=settings.data_dir, now=utcnow(),
        )  # fmt: skip

    try:
        row = _once_more(db, take)
    except service.NotFoundError:
        raise HTTPException(404) from None
    except service.InspectionError as exc:
        db.rollback()
        return refused(exc.code)
    return JSONResponse({"ok": True, "id": row.id, "url": f"/inspections/photos/{row.id}"})


def _once_more(db: Session, take: Callable[[], T]) -> T:
    """`take()`, and once more when a concurrent request stored the same key first (the unique key refused this
    one's insert): the second time finds the stored one and answers as for a repeat."""
    try:
        with db.begin_nested():
            return take()
    except IntegrityError:
        return take()


def _instant(text: str) -> datetime | None:
    """The capture time the browser sent (ISO 8601 with its offset), None when absent, unreadable or out of reason
    (`rules.capture_time`, applied by the service)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return rules.capture_time(value, utcnow())


def _coordinate(text: str, bound: int) -> Decimal | None:
    """A longitude or latitude within ±bound, to six decimals; None when absent or unreadable."""
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        return None
    if not value.is_finite() or abs(value) > bound:
        return None
    return value.quantize(Decimal("0.000001"))
