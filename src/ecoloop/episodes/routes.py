"""Pages of heavy-pollution warnings: the list with the warning in force, a new warning with the level the trigger
rules propose, a warning's page (its change log and the actions the user's role and the warning's status allow:
send for signature, sign or refuse, issue, change the level, extend, lift), and the trigger settings."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.roles import Role
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.episodes import queries, service
from ecoloop.episodes.enums import PrimaryPollutant, WarningLevel, WarningStatus
from ecoloop.episodes.models import PollutionWarning
from ecoloop.episodes.service import WarningError
from ecoloop.episodes.triggers import PRESET_LABELS, PRESETS, TriggerTextError, Words, as_text, parse_text
from ecoloop.i18n import gettext
from ecoloop.results.queries import ResultReads
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import PostedFields, local_today
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_WARNINGS))]
Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_WARNINGS))]
Leader = Annotated[CurrentUser, Depends(requires(Action.APPROVE_WARNINGS))]


def _may(user: CurrentUser) -> dict[str, bool]:
    return {
        "may_manage": allowed(user.principal, Action.MANAGE_WARNINGS),
        "may_approve": allowed(user.principal, Action.APPROVE_WARNINGS),
    }


def _local(text: str, tz: tzinfo) -> datetime | None:
    """A `datetime-local` field (YYYY-MM-DDTHH:MM, the bureau's time) as an aware time; None when blank."""
    text = text.strip()
    if not text:
        return None
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise WarningError("time_invalid") from None
    if naive.tzinfo is not None:
        raise WarningError("time_invalid")
    return naive.replace(tzinfo=tz)


def _required_local(text: str, tz: tzinfo) -> datetime:
    at = _local(text, tz)
    if at is None:
        raise WarningError("time_invalid")
    return at


def _choice(enum: Any, text: str) -> Any:
    if text not in enum._value2member_map_:
        raise WarningError("choice_invalid")
    return enum(text)


@router.get("/warnings", include_in_schema=False)
def warnings_page(request: Request, db: DbSession, user: Viewer) -> Response:
    """The warnings the user sees, newest first, with the ones in force at the top."""
    now = utcnow()
    context = {
        "warnings": queries.warnings(db, user.principal),
        "in_force": queries.in_force(db, user.principal, now),
        "unread": queries.unread_notices(db, user.principal),
        "now": now,
        **_may(user),
    }
    return render(request, "episodes/list.html", context, user=user)


def _form(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Any,
    values: dict[str, Any],
    *,
    status: int = 200,
    error: str = "",
) -> Response:
    city = queries.city_of(db, user.principal)
    proposal = None
    if city is not None:
        with ResultReads.of(settings) as reads:
            proposal = queries.propose(db, reads, city.id, local_today(settings))
    context = {
        "values": values,
        "counties": queries.city_counties(db, city.id) if city else [],
        "levels": list(WarningLevel),
        "pollutants": list(PrimaryPollutant),
        "proposal": proposal,
        "error": error,
    }
    return render(request, "episodes/new.html", context, user=user, status_code=status)


@router.get("/warnings/new", include_in_schema=False)
def new_warning(request: Request, db: DbSession, user: Manager, settings: SettingsDep) -> Response:
    """The form of a new warning, with the level the trigger rules propose."""
    return _form(request, db, user, settings, {})


def _draft(fields: dict[str, str], counties: list[str], tz: tzinfo) -> service.Draft:
    peak = fields.get("peak_aqi", "").strip()
    if peak and (not peak.isascii() or not peak.isdigit() or len(peak) > 3):
        raise WarningError("aqi_invalid")
    county_ids = []
    if fields.get("area") == "counties":
        for text in counties:
            county_id = parse_row_id(text)
            if county_id is None:
                raise WarningError("county_invalid")
            county_ids.append(county_id)
        if not county_ids:
            raise WarningError("county_invalid")
    return service.Draft(
        level=_choice(WarningLevel, fields.get("level", "")),
        pollutant=_choice(PrimaryPollutant, fields.get("pollutant", "")),
        planned_start=_required_local(fields.get("planned_start", ""), tz),
        planned_end=_local(fields.get("planned_end", ""), tz),
        county_ids=tuple(county_ids),
        forecast=fields.get("forecast", "")[:4000],
        peak_aqi=int(peak) if peak else None,
        measures=fields.get("measures", "")[:4000],
    )


@router.post("/warnings", include_in_schema=False)
def prepare(request: Request, db: UnitOfWork, user: Manager, settings: SettingsDep, fields: PostedFields) -> Response:
    """Prepare a warning (a draft)."""
    values = dict(fields)
    counties = [v for k, v in fields if k == "county_ids"]
    try:
        warning = service.prepare(db, user.user, _draft(values, counties, settings.tz), now=utcnow())
    except WarningError as exc:
        db.rollback()
        values["county_ids"] = counties  # type: ignore[assignment]  # shown ticked again
        return _form(request, db, user, settings, values, status=422, error=service.error_text(exc))
    return RedirectResponse(f"/warnings/{warning.id}", status_code=303)


def _visible(db: Session, user: CurrentUser, warning_id: int) -> PollutionWarning:
    warning = queries.warning(db, user.principal, warning_id)
    if warning is None:
        raise HTTPException(404)
    return warning


def _page(
    request: Request, db: Session, user: CurrentUser, warning: PollutionWarning, *, status: int = 200, error: str = ""
) -> Response:
    names = queries.users_named(
        db,
        {warning.prepared_by_id}
        | {i for i in (warning.approved_by_id, warning.issued_by_id) if i}
        | {c.approver_id for c in warning.changes if c.approver_id}
        | {c.recorded_by_id for c in warning.changes},
    )
    context = {
        "w": warning,
        "names": names,
        "held": queries.held_of(db, warning.id),
        "leaders": queries.leaders(db),
        "levels": list(WarningLevel),
        "statuses": WarningStatus,
        "error": error,
        "is_leader": user.principal.role is Role.LEADER,
        "may_report": user.principal.role not in (Role.ENTERPRISE, Role.DEPARTMENT),
        "labels": {"responses": {level.value: level.response for level in WarningLevel}},
        **_may(user),
    }
    return render(request, "episodes/detail.html", context, user=user, status_code=status)


@router.get("/warnings/{warning_id:id}", include_in_schema=False)
def warning_page(request: Request, db: DbSession, user: Viewer, warning_id: RowId) -> Response:
    """A warning: what it says, its levels and change log, and the actions open to the user."""
    return _page(request, db, user, _visible(db, user, warning_id))


@router.post("/warnings/notices/read", include_in_schema=False)
def notices_read(db: UnitOfWork, user: Viewer) -> Response:
    """Mark all the user's warning notices read."""
    service.mark_read(db, user.principal.user_id, None, now=utcnow())
    return RedirectResponse("/warnings", status_code=303)


def _act(request: Request, db: Session, user: CurrentUser, warning_id: int, act: Any) -> Response:
    warning = _visible(db, user, warning_id)
    try:
        act(warning)
    except WarningError as exc:
        db.rollback()
        return _page(request, db, user, _visible(db, user, warning_id), status=422, error=service.error_text(exc))
    return RedirectResponse(f"/warnings/{warning_id}", status_code=303)


@router.post("/warnings/{warning_id:id}/submit", include_in_schema=False)
def submit(request: Request, db: UnitOfWork, user: Manager, warning_id: RowId) -> Response:
    """Send the warning for the leader's signature."""
    return _act(request, db, user, warning_id, lambda w: service.submit(db, user.user, w.id, now=utcnow()))


@router.post("/warnings/{warning_id:id}/approve", include_in_schema=False)
def approve(request: Request, db: UnitOfWork, user: Leader, warning_id: RowId, fields: PostedFields) -> Response:
    """The leader signs the warning (审签)."""
    note = dict(fields).get("note", "")[:2000]
    return _act(request, db, user, warning_id, lambda w: service.approve(db, user.user, w.id, note=note, now=utcnow()))


@router.post("/warnings/{warning_id:id}/refuse", include_in_schema=False)
def refuse(request: Request, db: UnitOfWork, user: Leader, warning_id: RowId, fields: PostedFields) -> Response:
    """The leader refuses the warning, saying why."""
    note = dict(fields).get("note", "")[:2000]
    return _act(request, db, user, warning_id, lambda w: service.refuse(db, user.user, w.id, note=note, now=utcnow()))


@router.post("/warnings/{warning_id:id}/issue", include_in_schema=False)
def issue(request: Request, db: UnitOfWork, user: Manager, warning_id: RowId) -> Response:
    """Issue the signed warning: pushed to all concerned."""
    return _act(request, db, user, warning_id, lambda w: service.issue(db, user.user, w.id, now=utcnow()))


def _changer(user: CurrentUser) -> None:
    if not (allowed(user.principal, Action.MANAGE_WARNINGS) or allowed(user.principal, Action.APPROVE_WARNINGS)):
        raise HTTPException(403)


Changer = Annotated[CurrentUser, Depends(requires(Action.VIEW_WARNINGS))]


@router.post("/warnings/{warning_id:id}/change", include_in_schema=False)
def change(
    request: Request, db: UnitOfWork, user: Changer, settings: SettingsDep, warning_id: RowId, fields: PostedFields
) -> Response:
    """Upgrade, downgrade, extend or lift the warning (`kind`), signed by a leader: the leader recording it, or the
    leader an analyst names."""
    _changer(user)
    values = dict(fields)
    now = utcnow()
    approver = parse_row_id(values.get("approver_id", ""))
    reason = values.get("reason", "")[:2000]
    kind = values.get("kind", "")

    def act(w: PollutionWarning) -> Any:
        if kind == "level":
            level = _choice(WarningLevel, values.get("level", ""))
            at = _local(values.get("effective_at", ""), settings.tz) or now
            return service.change_level(db, user.user, w.id, level=level, effective_at=at, reason=reason,
                                        approver_id=approver, now=now)  # fmt: skip
        if kind == "extend":
            end = _required_local(values.get("planned_end", ""), settings.tz)
            return service.extend(db, user.user, w.id, planned_end=end, reason=reason, approver_id=approver, now=now)
        if kind == "lift":
            at = _local(values.get("effective_at", ""), settings.tz) or now
            return service.lift(db, user.user, w.id, effective_at=at, reason=reason, approver_id=approver, now=now)
        raise WarningError("choice_invalid")

    return _act(request, db, user, warning_id, act)


def _words() -> Words:
    """The rules' words in the user's language: the levels' names and the joiners."""
    return Words({level: gettext(level.label) for level in WarningLevel}, gettext("AND"), gettext("OR"))


@router.get("/warnings/settings", include_in_schema=False)
def settings_page(request: Request, db: DbSession, user: Viewer) -> Response:
    """The trigger rules that apply, and (for those who manage warnings) the form that changes them."""
    return _settings(request, db, user, None)


def _settings(request: Request, db: Session, user: CurrentUser, text: str | None, *, status: int = 200,
              error: str = "") -> Response:  # fmt: skip
    triggers, config = queries.current_triggers(db)
    context = {
        "text": text if text is not None else as_text(triggers, _words()),
        "config": config,
        "presets": [(key, gettext(PRESET_LABELS[key])) for key in PRESETS],
        "changed_by": queries.users_named(db, {config.changed_by_id}) if config and config.changed_by_id else {},
        "error": error,
        **_may(user),
    }
    return render(request, "episodes/settings.html", context, user=user, status_code=status)


@router.post("/warnings/settings", include_in_schema=False)
def save_settings(request: Request, db: UnitOfWork, user: Manager, fields: PostedFields) -> Response:
    """Save the trigger rules: a preset as it is, or the rules as written."""
    values = dict(fields)
    preset = values.get("preset", "")
    text = values.get("rules", "")[:4000]
    try:
        triggers = PRESETS[preset] if preset in PRESETS else parse_text(text, _words())
    except TriggerTextError as exc:
        example = as_text(PRESETS["2024"], _words()).splitlines()[0]
        message = gettext("Line %(line)s cannot be read: write it like %(example)s")
        return _settings(request, db, user, text, status=422, error=message % {"line": exc.line, "example": example})
    service.save_triggers(db, user.user, triggers, preset=preset if preset in PRESETS else "", now=utcnow())
    return RedirectResponse("/warnings/settings", status_code=303)
