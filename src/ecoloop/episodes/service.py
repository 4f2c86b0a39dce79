"""Heavy-pollution warnings, one transaction each: an analyst prepares a warning and sends it to a leader, who
signs it (审签) or refuses it; once signed it is issued, then upgraded, downgraded, extended and lifted, each change
written to its append-only log with the leader who signed it, and pushed to the users and webhooks concerned
(`push`). A step out of order is refused with a reason in words (`WarningError`, `error_text`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.roles import Role
from ecoloop.alerts.models import Webhook
from ecoloop.enterprises.models import Enterprise
from ecoloop.episodes.enums import ChangeKind, PrimaryPollutant, WarningLevel, WarningStatus
from ecoloop.episodes.models import (
    PollutionWarning,
    WarningArea,
    WarningChange,
    WarningDelivery,
    WarningNotice,
    WarningTriggerConfig,
)
from ecoloop.episodes.triggers import TriggerSet
from ecoloop.i18n import N_, gettext
from ecoloop.identity.enums import OrgKind
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

# A start or an effective time this far before the moment it is recorded is accepted (the decision was taken and
# announced by telephone first, then recorded); anything earlier is refused: a warning is not issued after the fact.
TOLERANCE: Final = timedelta(minutes=30)
NUMBER_PREFIX: Final = "ZWR"  # 重污染 warning numbers: ZWR2026-001
MAX_AQI: Final = 500  # the top of the AQI scale (HJ 633-2012 Table 1)

ERROR_MESSAGES: Final = {
    "not_found": N_("No such warning."),
    "time_invalid": N_("Write the time as a date and an hour."),
    "choice_invalid": N_("Choose one of the values offered."),
    "start_passed": N_("The start must not be earlier than 30 minutes ago: a warning is not issued after the fact."),
    "end_before_start": N_("The planned end must be after the start."),
    "county_invalid": N_("Choose counties of the city, or the whole city."),
    "aqi_invalid": N_("The forecast peak AQI is 0 to 500."),
    "not_draft": N_("Only a draft or a refused warning can be changed and sent for signature."),
    "not_awaiting": N_("Only a warning awaiting the leader's signature can be signed or refused."),
    "not_leader": N_("Only a bureau leader signs warnings (审签)."),
    "refusal_reason": N_("Say why the warning is refused."),
    "not_approved": N_("Only a warning signed by a leader can be issued."),
    "not_in_force": N_("The warning is not in force: it has not been issued, or it was lifted."),
    "same_level": N_("The warning is already at this level."),
    "before_last": N_("The change must not take effect before the warning's last change (%(at)s)."),
    "ended": N_("The warning ended at its planned end (%(at)s): prepare a new one."),
    "no_later_end": N_("The new planned end must be later than the current one and than now."),
    "approver_needed": N_("Name the leader who signed this change (审签)."),
    "reason_needed": N_("Give the reason of the change."),
}


class WarningError(ValueError):
    """A step refused; `code` is stable and `error_text` says it in words with its `params`."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def error_text(error: WarningError) -> str:
    """The reason of a WarningError in the user's language."""
    if error.code not in ERROR_MESSAGES:
        return error.code
    text = gettext(ERROR_MESSAGES[error.code])
    return text % error.params if error.params else text


@dataclass(frozen=True)
class Draft:
    """What an analyst writes in a warning: level, pollutant, the area (no counties: the whole city), the planned
    start and end (None: until lifted), the forecast it rests on and the measures and advice as written."""

    level: WarningLevel
    pollutant: PrimaryPollutant
    planned_start: datetime
    planned_end: datetime | None
    county_ids: tuple[int, ...] = ()
    forecast: str = ""
    peak_aqi: int | None = None
    measures: str = ""


@dataclass
class Pushed:
    """Who a change was pushed to: the users notified and the webhooks queued."""

    users: list[int] = field(default_factory=list)
    webhooks: list[int] = field(default_factory=list)


def _get(session: Session, warning_id: int) -> PollutionWarning:
    # Locked: two leaders signing, or two analysts changing, one warning at once are taken one after the other.
    stmt = select(PollutionWarning).where(PollutionWarning.id == warning_id).with_for_update(of=PollutionWarning)
    warning = session.scalars(stmt).first()
    if warning is None:
        raise WarningError("not_found")
    return warning


def _city_of(session: Session, user: User) -> Region:
    """The city of the user's organisation (the top of its region path)."""
    org = session.get_one(Organisation, user.organisation_id) if user.organisation_id else None
    path = org.region.path if org is not None else ""
    code = path.split(".", 1)[0]
    city = session.scalar(select(Region).where(Region.code == code, Region.level == RegionLevel.CITY))
    if city is None:
        city = session.scalars(select(Region).where(Region.level == RegionLevel.CITY).order_by(Region.id)).first()
    if city is None:
        raise WarningError("county_invalid")
    return city


def _check_draft(session: Session, city: Region, draft: Draft, now: datetime) -> list[Region]:
    if draft.planned_start < now - TOLERANCE:
        raise WarningError("start_passed")
    if draft.planned_end is not None and draft.planned_end <= draft.planned_start:
        raise WarningError("end_before_start")
    if draft.peak_aqi is not None and not 0 <= draft.peak_aqi <= MAX_AQI:
        raise WarningError("aqi_invalid")
    counties = list(
        session.scalars(
            select(Region).where(
                Region.id.in_(draft.county_ids), Region.level == RegionLevel.COUNTY, Region.parent_id == city.id
            )
        )
    )
    if len(counties) != len(set(draft.county_ids)):
        raise WarningError("county_invalid")
    return counties


def _next_number(session: Session, year: int) -> str:
    prefix = f"{NUMBER_PREFIX}{year}-"
    count = session.scalar(
        select(func.count()).select_from(PollutionWarning).where(PollutionWarning.number.startswith(prefix))
    )
    return f"{prefix}{(count or 0) + 1:03d}"


def _fill(warning: PollutionWarning, draft: Draft, counties: list[Region]) -> None:
    warning.level = draft.level
    warning.pollutant = draft.pollutant
    warning.planned_start = draft.planned_start
    warning.planned_end = draft.planned_end
    warning.forecast = draft.forecast.strip()
    warning.peak_aqi = draft.peak_aqi
    warning.measures = draft.measures.strip()
    warning.city_wide = not counties
    warning.areas = [WarningArea(region_id=county.id) for county in counties]


def prepare(session: Session, author: User, draft: Draft, *, now: datetime) -> PollutionWarning:
    """A new warning in draft, numbered ZWR<year>-<n>, prepared by `author` (an analyst)."""
    city = _city_of(session, author)
    counties = _check_draft(session, city, draft, now)
    warning = PollutionWarning(
        number=_next_number(session, now.year),
        city_id=city.id,
        status=WarningStatus.DRAFT,
        prepared_by_id=author.id,
        prepared_at=now,
    )
    _fill(warning, draft, counties)
    session.add(warning)
    session.flush()
    return warning


def revise(session: Session, author: User, warning_id: int, draft: Draft, *, now: datetime) -> PollutionWarning:
    """Rewrite a draft or a refused warning (it goes back to draft)."""
    warning = _get(session, warning_id)
    if warning.status not in (WarningStatus.DRAFT, WarningStatus.REFUSED):
        raise WarningError("not_draft")
    _fill(warning, draft, _check_draft(session, warning.city, draft, now))
    warning.status = WarningStatus.DRAFT
    session.flush()
    return warning


def submit(session: Session, user: User, warning_id: int, *, now: datetime) -> PollutionWarning:
    """Send a draft (or a refused warning, revised) to the leaders for signature (送审)."""
    warning = _get(session, warning_id)
    if warning.status not in (WarningStatus.DRAFT, WarningStatus.REFUSED):
        raise WarningError("not_draft")
    if warning.planned_start < now - TOLERANCE:
        raise WarningError("start_passed")
    warning.status = WarningStatus.AWAITING_APPROVAL
    warning.submitted_at = now
    warning.approved_by_id = warning.approved_at = None
    session.flush()
    return warning


def _decide(session: Session, leader: User, warning_id: int, now: datetime) -> PollutionWarning:
    if leader.role is not Role.LEADER:
        raise WarningError("not_leader")
    warning = _get(session, warning_id)
    if warning.status is not WarningStatus.AWAITING_APPROVAL:
        raise WarningError("not_awaiting")
    return warning


def approve(session: Session, leader: User, warning_id: int, *, note: str = "", now: datetime) -> PollutionWarning:
    """The leader signs the warning (审签): it may now be issued."""
    warning = _decide(session, leader, warning_id, now)
    warning.status = WarningStatus.APPROVED
    warning.approved_by_id = leader.id
    warning.approved_at = now
    warning.decision_note = note.strip()
    session.flush()
    return warning


def refuse(session: Session, leader: User, warning_id: int, *, note: str, now: datetime) -> PollutionWarning:
    """The leader refuses the warning, saying why; the analyst may revise it and send it again."""
    if not note.strip():
        raise WarningError("refusal_reason")
    warning = _decide(session, leader, warning_id, now)
    warning.status = WarningStatus.REFUSED
    warning.decision_note = note.strip()
    session.flush()
    return warning


def _record(
    session: Session,
    warning: PollutionWarning,
    kind: ChangeKind,
    *,
    level: WarningLevel,
    effective_at: datetime,
    approver_id: int | None,
    recorded_by: User,
    reason: str,
    now: datetime,
) -> WarningChange:
    seq = len(warning.changes) + 1
    change = WarningChange(
        warning_id=warning.id,
        seq=seq,
        kind=kind,
        level=level,
        effective_at=effective_at,
        planned_end=warning.planned_end,
        approver_id=approver_id,
        recorded_by_id=recorded_by.id,
        recorded_at=now,
        reason=reason.strip(),
    )
    session.add(change)
    session.flush()
    session.refresh(warning, ["changes"])
    push(session, warning, change, now=now)
    return change


def issue(session: Session, user: User, warning_id: int, *, now: datetime) -> WarningChange:
    """Issue a signed warning (发布): its level holds from its planned start over its area; pushed to all concerned."""
    warning = _get(session, warning_id)
    if warning.status is not WarningStatus.APPROVED:
        raise WarningError("not_approved")
    if warning.planned_start < now - TOLERANCE:
        raise WarningError("start_passed")
    warning.status = WarningStatus.ISSUED
    warning.issued_by_id = user.id
    warning.issued_at = now
    return _record(
        session,
        warning,
        ChangeKind.ISSUE,
        level=warning.level,
        effective_at=warning.planned_start,
        approver_id=warning.approved_by_id,
        recorded_by=user,
        reason=warning.forecast,
        now=now,
    )


def _approver(session: Session, user: User, approver_id: int | None) -> int:
    """The leader who signed a change: the user when a leader records it, else the leader they name."""
    if user.role is Role.LEADER:
        return user.id
    approver = session.get(User, approver_id) if approver_id is not None else None
    if approver is None or approver.role is not Role.LEADER or not approver.active:
        raise WarningError("approver_needed")
    return approver.id


def _in_force(warning: PollutionWarning, effective_at: datetime, now: datetime) -> None:
    if warning.status is not WarningStatus.ISSUED:
        raise WarningError("not_in_force")
    last = max(c.effective_at for c in warning.changes)
    if effective_at < now - TOLERANCE:
        raise WarningError("start_passed")
    if effective_at < last:
        raise WarningError("before_last", at=_shown(last))
    if warning.planned_end is not None and effective_at >= warning.planned_end:
        raise WarningError("ended", at=_shown(warning.planned_end))


def _shown(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def change_level(
    session: Session,
    user: User,
    warning_id: int,
    *,
    level: WarningLevel,
    effective_at: datetime,
    reason: str,
    approver_id: int | None = None,
    now: datetime,
) -> WarningChange:
    """Upgrade or downgrade a warning in force (预警升级、降级) from `effective_at`, signed by a leader."""
    warning = _get(session, warning_id)
    _in_force(warning, effective_at, now)
    if level is warning.level:
        raise WarningError("same_level")
    if not reason.strip():
        raise WarningError("reason_needed")
    signed = _approver(session, user, approver_id)
    kind = ChangeKind.UPGRADE if level.rank > warning.level.rank else ChangeKind.DOWNGRADE
    warning.level = level
    return _record(
        session, warning, kind, level=level, effective_at=effective_at, approver_id=signed, recorded_by=user,
        reason=reason, now=now,
    )  # fmt: skip


def extend(
    session: Session,
    user: User,
    warning_id: int,
    *,
    planned_end: datetime,
    reason: str,
    approver_id: int | None = None,
    now: datetime,
) -> WarningChange:
    """Extend a warning in force to a later planned end (预警延长), signed by a leader."""
    warning = _get(session, warning_id)
    _in_force(warning, max(now, max(c.effective_at for c in warning.changes)), now)
    if planned_end <= now or (warning.planned_end is not None and planned_end <= warning.planned_end):
        raise WarningError("no_later_end")
    if not reason.strip():
        raise WarningError("reason_needed")
    signed = _approver(session, user, approver_id)
    warning.planned_end = planned_end
    return _record(
        session, warning, ChangeKind.EXTEND, level=warning.level, effective_at=now, approver_id=signed,
        recorded_by=user, reason=reason, now=now,
    )  # fmt: skip


def lift(
    session: Session,
    user: User,
    warning_id: int,
    *,
    effective_at: datetime,
    reason: str,
    approver_id: int | None = None,
    now: datetime,
) -> WarningChange:
    """Lift a warning (预警解除) from `effective_at`, signed by a leader. A warning past its planned end is closed
    at that end (its levels stopped there)."""
    warning = _get(session, warning_id)
    if warning.status is not WarningStatus.ISSUED:
        raise WarningError("not_in_force")
    if warning.planned_end is not None and effective_at > warning.planned_end:
        effective_at = warning.planned_end
    else:
        last = max(c.effective_at for c in warning.changes)
        if effective_at < now - TOLERANCE:
            raise WarningError("start_passed")
        if effective_at < last:
            raise WarningError("before_last", at=_shown(last))
    if not reason.strip():
        raise WarningError("reason_needed")
    signed = _approver(session, user, approver_id)
    warning.status = WarningStatus.LIFTED
    warning.lifted_at = effective_at
    return _record(
        session, warning, ChangeKind.LIFT, level=warning.level, effective_at=effective_at, approver_id=signed,
        recorded_by=user, reason=reason, now=now,
    )  # fmt: skip


# --- who is told --------------------------------------------------------------------------------------------------

# The bureau's roles that hear of every warning of the city.
BUREAU_ROLES: Final = frozenset({Role.LEADER, Role.ANALYST, Role.ADMIN, Role.INSPECTOR})


def area_paths(warning: PollutionWarning) -> list[str]:
    """The region paths a warning covers: the city's, or its counties'."""
    return [warning.city.path] if warning.city_wide else [area.region.path for area in warning.areas]


def recipients(session: Session, warning: PollutionWarning) -> list[int]:
    """The users told of a change: the bureau's staff, the departments' users, the branches' users of the counties
    covered, and the accounts of the enterprises in the area (active accounts only), by id."""
    paths = area_paths(warning)
    covered_region = or_(*(Region.path.startswith(path, autoescape=True) for path in paths))
    staff = (
        select(User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .where(
            User.active,
            or_(
                Organisation.kind == OrgKind.BUREAU,
                Organisation.kind == OrgKind.DEPARTMENT,
                (Organisation.kind == OrgKind.BRANCH) & covered_region,
            ),
            Region.path.startswith(warning.city.path, autoescape=True),
        )
    )
    enterprises = (
        select(User.id)
        .join(Enterprise, Enterprise.id == User.enterprise_id)
        .join(Region, Region.id == Enterprise.region_id)
        .where(User.active, User.role == Role.ENTERPRISE, covered_region)
    )
    return sorted(set(session.scalars(staff)) | set(session.scalars(enterprises)))


def listening_webhooks(session: Session, warning: PollutionWarning) -> list[int]:
    """The enabled webhooks of the organisations concerned: the bureau's and departments' of the city, and the
    branches' of the counties covered."""
    paths = area_paths(warning)
    rows = session.execute(
        select(Webhook.id, Organisation.kind, Region.path)
        .join(Organisation, Organisation.id == Webhook.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .where(Webhook.enabled, Region.path.startswith(warning.city.path, autoescape=True))
    ).all()
    return sorted(
        hook_id
        for hook_id, kind, path in rows
        if kind is not OrgKind.BRANCH or any(path.startswith(area) for area in paths)
    )


def payload(warning: PollutionWarning, change: WarningChange) -> dict[str, Any]:
    """The JSON body of a change as webhooks receive it (`X-Ecoloop-Event: warning.<kind>`)."""
    return {
        "change": {
            "seq": change.seq,
            "kind": change.kind.value,
            "level": change.level.value,
            "effective_at": change.effective_at.isoformat(),
            "planned_end": change.planned_end.isoformat() if change.planned_end else None,
            "reason": change.reason,
        },
        "warning": {
            "number": warning.number,
            "status": warning.status.value,
            "level": warning.level.value,
            "pollutant": warning.pollutant.value,
            "controls": warning.pollutant.starts_controls,
            "city": warning.city.code,
            "counties": [] if warning.city_wide else [area.region.code for area in warning.areas],
            "planned_start": warning.planned_start.isoformat(),
            "planned_end": warning.planned_end.isoformat() if warning.planned_end else None,
        },
    }


def push(session: Session, warning: PollutionWarning, change: WarningChange, *, now: datetime) -> Pushed:
    """Tell everyone concerned of a change in force: a notice on each recipient's list and a delivery queued for
    each listening webhook (sent, signed and retried, by `episodes.webhooks`)."""
    pushed = Pushed(recipients(session, warning), listening_webhooks(session, warning))
    for user_id in pushed.users:
        session.add(WarningNotice(user_id=user_id, warning_id=warning.id, change_id=change.id, created_at=now))
    body = json.dumps(payload(warning, change), ensure_ascii=False, sort_keys=True)
    for hook_id in pushed.webhooks:
        session.add(WarningDelivery(webhook_id=hook_id, change_id=change.id, payload=body, created_at=now))
    session.flush()
    return pushed


def mark_read(session: Session, user_id: int, warning_id: int | None, *, now: datetime) -> int:
    """Mark the user's notices of one warning (None: of all) read; how many were unread."""
    stmt = select(WarningNotice).where(WarningNotice.user_id == user_id, WarningNotice.read_at.is_(None))
    if warning_id is not None:
        stmt = stmt.where(WarningNotice.warning_id == warning_id)
    notices = session.scalars(stmt).all()
    for notice in notices:
        notice.read_at = now
    session.flush()
    return len(notices)


def save_triggers(
    session: Session, user: User, triggers: TriggerSet, *, preset: str = "", now: datetime
) -> WarningTriggerConfig:
    """A new version of the trigger rules (the newest applies from now on)."""
    config = WarningTriggerConfig(rules=triggers.to_json(), preset=preset, changed_at=now, changed_by_id=user.id)
    session.add(config)
    session.flush()
    return config
