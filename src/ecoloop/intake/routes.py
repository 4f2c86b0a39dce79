"""The complaint desk (`/complaints`): the worklists (to accept, acceptance overdue, to answer, under review), the
hotline's registration of a call or a letter, and one complaint with its steps — accept and route, not accept,
extend once, publish the reply, propose and decide a reward, take its case in person (包案), and, for the hotline
and the leader in charge, who complained (each viewing audited)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.scope import get_visible
from ecoloop.cases import queries as case_queries
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.intake import photos, queries, service
from ecoloop.intake.enums import Channel, Status, Topic
from ecoloop.intake.keyring import keyring
from ecoloop.intake.models import Complaint, ComplaintPhoto, Reward
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import get_region, list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import FieldError, filter_choice, local_today, parse_decimal
from ecoloop.web.paging import PageQuery, page_of
from ecoloop.web.templating import render

router = APIRouter()


def _said(key: str) -> str:
    """A message of MESSAGES in the user's language."""
    return gettext(MESSAGES[key])


Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_COMPLAINTS))]
Handler = Annotated[CurrentUser, Depends(requires(Action.HANDLE_COMPLAINTS))]
Text = Annotated[str, Form(max_length=4000)]
DESK_CHANNELS = (Channel.HOTLINE, Channel.LETTER)
MESSAGES = {"place": N_("The longitude and latitude are not numbers."), "amount": N_("Write the amount in yuan.")}


@router.get("/complaints", include_in_schema=False)
def complaint_list(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    queue: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    topic: Annotated[str, Query(max_length=40)] = "",
    channel: Annotated[str, Query(max_length=20)] = "",
    region: Annotated[str, Query(max_length=12)] = "",
    ticket: Annotated[str, Query(max_length=24)] = "",
    page: PageQuery = 1,
) -> Response:
    """The complaints the user sees, newest first, by worklist and filters."""
    today = local_today(settings)
    f = queries.Filter(
        queue=queue if queue in queries.QUEUES else "",
        status=filter_choice(Status, status),
        topic=filter_choice(Topic, topic),
        channel=filter_choice(Channel, channel),
        region_id=parse_row_id(region),
        ticket=ticket,
    )
    total = queries.count(db, user.principal, f, today)
    shown = page_of(total, page)
    rows = queries.search(db, user.principal, f, today, limit=shown.limit, offset=shown.offset)
    context = {
        "rows": rows,
        "filter": f,
        "page": shown,
        "query": urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"]),
        "total": total,
        "today": today,
        "queues": queries.queue_counts(db, user.principal, today),
        "labels": {"queues": queries.QUEUE_LABELS},
        "statuses": list(Status),
        "topics": list(Topic),
        "channels": list(Channel),
        "regions": _regions(db, user),
        "repeats": queries.repeats(db, [r.case_id for r in rows if r.case_id]),
        "may_register": allowed(user.principal, Action.HANDLE_COMPLAINTS),
        "may_configure": allowed(user.principal, Action.MANAGE_COMPLAINT_RULES),
    }
    return render(request, "intake/list.html", context, user=user)


def _regions(db: Session, user: CurrentUser) -> list[Any]:
    levels = (RegionLevel.COUNTY, RegionLevel.TOWN)
    return [r for r in list_regions(db, user.principal, active_only=True) if r.level in levels]


# --- the hotline desk -----------------------------------------------------------------------------------------------


def _desk_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    values: dict[str, str] | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    context = {
        "values": values or {"channel": Channel.HOTLINE.value},
        "message": message,
        "topics": list(Topic),
        "channels": DESK_CHANNELS,
        "regions": _regions(db, user),
    }
    return render(request, "intake/new.html", context, user=user, status_code=status)


@router.get("/complaints/new", include_in_schema=False)
def desk_form(request: Request, db: DbSession, user: Handler) -> Response:
    """The hotline's form for a call (12369) or a letter."""
    return _desk_page(request, db, user)


@router.post("/complaints/new", include_in_schema=False)
def desk_register(
    request: Request,
    db: UnitOfWork,
    user: Handler,
    settings: SettingsDep,
    channel: Annotated[str, Form(max_length=20)] = "hotline",
    topic: Annotated[str, Form(max_length=40)] = "",
    description: Text = "",
    address: Annotated[str, Form(max_length=400)] = "",
    region: Annotated[str, Form(max_length=12)] = "",
    longitude: Annotated[str, Form(max_length=20)] = "",
    latitude: Annotated[str, Form(max_length=20)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    reference: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Register a call or a letter as a complaint; the hotline then sees it on its page."""
    values = {
        "channel": channel,
        "topic": topic,
        "description": description,
        "address": address,
        "region": region,
        "longitude": longitude,
        "latitude": latitude,
        "name": name,
        "phone": phone,
        "reference": reference,
    }
    try:
        lon, lat = parse_decimal(longitude), parse_decimal(latitude)
    except FieldError:
        return _desk_page(request, db, user, values, _said("place"), 422)
    region_id = parse_row_id(region)
    if region_id is not None and get_region(db, user.principal, region_id) is None:
        region_id = -1  # refused below as a region outside the user's area
    submission = service.Submission(
        channel=Channel.LETTER if channel == Channel.LETTER.value else Channel.HOTLINE,
        topic=filter_choice(Topic, topic) or Topic.OTHER,
        description=description,
        address=address,
        longitude=lon,
        latitude=lat,
        name=name,
        phone=phone,
        consent=True,  # told on the phone or in the letter's reply
        external_id=reference,
        region_id=region_id,
    )
    try:
        complaint = service.submit(
            db,
            keyring(settings.pii_keys_path),
            settings.data_dir,
            submission,
            utcnow(),
            zone=settings.tz,
            user=user.user,
        )
    except service.IntakeError as exc:
        db.rollback()
        return _desk_page(request, db, user, values, service.error_text(exc.code), 422)
    return RedirectResponse(f"/complaints/{complaint.id}", status_code=303)


# --- one complaint --------------------------------------------------------------------------------------------------


def _visible(db: Session, user: CurrentUser, complaint_id: int) -> Complaint:
    complaint = queries.get_complaint(db, user.principal, complaint_id)
    if complaint is None:
        raise HTTPException(404)
    return complaint


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    complaint: Complaint,
    *,
    identity: service.Identity | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    p = user.principal
    case = case_queries.get_case(db, p, complaint.case_id) if complaint.case_id else None
    reward = queries.reward_of(db, complaint.id)
    leader = queries.leader_of(db, complaint.case_id) if complaint.case_id else None
    handler = allowed(p, Action.HANDLE_COMPLAINTS)
    context: dict[str, Any] = {
        "c": complaint,
        "case": case,
        "reward": reward,
        "leader": leader,
        "identity": identity,
        "message": message,
        "today": local_today(settings),
        "may_see_identity": service.may_see_identity(db, p, complaint),
        "handler": handler,
        "may_accept": handler and complaint.status is Status.RECEIVED,
        "may_reply": handler and complaint.status in (Status.ACCEPTED, Status.REVIEW, Status.REPLIED),
        "may_extend": handler and complaint.status in (Status.ACCEPTED, Status.REVIEW) and not complaint.extended,
        "may_take": allowed(p, Action.TAKE_CASES)
        and case is not None
        and (leader is None or leader.user_id != p.user_id),
        "may_decide_reward": reward is not None and allowed(p, Action.APPROVE_REWARDS),
        "repeats": queries.repeats(db, [complaint.case_id]).get(complaint.case_id, 0) if complaint.case_id else 0,
        "routed": service.routed_units(db, complaint) if handler and complaint.status is Status.RECEIVED else None,
        "suggested_reply": case.handling if case is not None else "",
    }
    return render(request, "intake/detail.html", context, user=user, status_code=status)


@router.get("/complaints/{complaint_id:id}", include_in_schema=False)
def complaint_page(
    request: Request, complaint_id: RowId, db: DbSession, user: Viewer, settings: SettingsDep
) -> Response:
    """One complaint: its text as masked, place, deadlines, case, answer and rating."""
    return _page(request, db, user, settings, _visible(db, user, complaint_id))


@router.post("/complaints/{complaint_id:id}/identity", include_in_schema=False)
def reveal(request: Request, complaint_id: RowId, db: UnitOfWork, user: Viewer, settings: SettingsDep) -> Response:
    """Show who complained, to the hotline and the leader in charge (an audited viewing)."""
    complaint = _visible(db, user, complaint_id)
    try:
        who = service.identity(db, keyring(settings.pii_keys_path), user.principal, complaint)
    except service.IntakeError as exc:
        raise HTTPException(403) from exc
    return _page(request, db, user, settings, complaint, identity=who)


def _step(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    complaint: Complaint,
    error: service.IntakeError,
) -> Response:
    db.rollback()
    return _page(request, db, user, settings, complaint, message=service.error_text(error.code), status=422)


def _back(complaint: Complaint) -> Response:
    return RedirectResponse(f"/complaints/{complaint.id}", status_code=303)


@router.post("/complaints/{complaint_id:id}/accept", include_in_schema=False)
def accept(request: Request, complaint_id: RowId, db: UnitOfWork, user: Handler, settings: SettingsDep) -> Response:
    """受理: hand the complaint to the routed units as a case."""
    complaint = _visible(db, user, complaint_id)
    try:
        service.accept(db, complaint, user.user, user.principal, utcnow(), zone=settings.tz)
    except service.IntakeError as exc:
        return _step(request, db, user, settings, complaint, exc)
    return _back(complaint)


@router.post("/complaints/{complaint_id:id}/dismiss", include_in_schema=False)
def dismiss(
    request: Request, complaint_id: RowId, db: UnitOfWork, user: Handler, settings: SettingsDep, reason: Text = ""
) -> Response:
    """不予受理, with the reason the citizen reads."""
    complaint = _visible(db, user, complaint_id)
    try:
        service.dismiss(db, complaint, user.principal, reason, utcnow())
    except service.IntakeError as exc:
        return _step(request, db, user, settings, complaint, exc)
    return _back(complaint)


@router.post("/complaints/{complaint_id:id}/extend", include_in_schema=False)
def extend(
    request: Request, complaint_id: RowId, db: UnitOfWork, user: Handler, settings: SettingsDep, reason: Text = ""
) -> Response:
    """The one extension of the conclusion limit, with the reason told."""
    complaint = _visible(db, user, complaint_id)
    try:
        service.extend(db, complaint, user.user, user.principal, reason, utcnow())
    except service.IntakeError as exc:
        return _step(request, db, user, settings, complaint, exc)
    return _back(complaint)


@router.post("/complaints/{complaint_id:id}/reply", include_in_schema=False)
def reply(
    request: Request, complaint_id: RowId, db: UnitOfWork, user: Handler, settings: SettingsDep, text: Text = ""
) -> Response:
    """Publish the reply the citizen reads with the ticket."""
    complaint = _visible(db, user, complaint_id)
    try:
        service.publish_reply(db, complaint, user.principal, text, utcnow())
    except service.IntakeError as exc:
        return _step(request, db, user, settings, complaint, exc)
    return _back(complaint)


@router.post("/complaints/{complaint_id:id}/take", include_in_schema=False)
def take(
    request: Request,
    complaint_id: RowId,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.TAKE_CASES))],
    settings: SettingsDep,
) -> Response:
    """领导包案: the leader takes the complaint's case in person."""
    complaint = _visible(db, user, complaint_id)
    case = case_queries.get_case(db, user.principal, complaint.case_id) if complaint.case_id else None
    if case is None:
        raise HTTPException(404)
    try:
        service.take_case(db, case, user.user, user.principal, utcnow())
    except service.IntakeError as exc:
        return _step(request, db, user, settings, complaint, exc)
    return _back(complaint)


@router.post("/complaints/{complaint_id:id}/reward", include_in_schema=False)
def propose_reward(
    request: Request,
    complaint_id: RowId,
    db: UnitOfWork,
    user: Handler,
    settings: SettingsDep,
    amount: Annotated[str, Form(max_length=20)] = "",
    basis: Text = "",
) -> Response:
    """有奖举报: propose a reward for a report found true."""
    complaint = _visible(db, user, complaint_id)
    try:
        value = Decimal(amount.strip())
        if not value.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        return _page(request, db, user, settings, complaint, message=_said("amount"), status=422)
    try:
        service.propose_reward(
            db, complaint, user.user, user.principal, value.quantize(Decimal("0.01")), basis, utcnow()
        )
    except service.IntakeError as exc:
        return _step(request, db, user, settings, complaint, exc)
    return _back(complaint)


@router.post("/complaints/{complaint_id:id}/reward/decide", include_in_schema=False)
def decide_reward(
    request: Request,
    complaint_id: RowId,
    db: UnitOfWork,
    user: Viewer,
    settings: SettingsDep,
    approve: Annotated[bool, Form()] = False,
) -> Response:
    """A leader approves or refuses a proposed reward; the desk marks an approved one paid."""
    complaint = _visible(db, user, complaint_id)
    reward: Reward | None = queries.reward_of(db, complaint.id)
    if reward is None:
        raise HTTPException(404)
    try:
        service.decide_reward(db, reward, user.user, user.principal, approve, utcnow())
    except service.IntakeError as exc:
        return _step(request, db, user, settings, complaint, exc)
    return _back(complaint)


@router.get("/complaints/photos/{photo_id:id}", include_in_schema=False)
def photo(photo_id: RowId, db: DbSession, user: Viewer, settings: SettingsDep) -> Response:
    """A photo of a complaint the user sees (its metadata was removed when it came in)."""
    row = get_visible(db, user.principal, ComplaintPhoto, photo_id)
    if row is None:
        raise HTTPException(404)
    path = photos.path_of(settings.data_dir, row.sha256)
    if not path.exists():
        raise HTTPException(404)
    return FileResponse(path, media_type=row.content_type, headers={"Content-Disposition": "inline"})
