"""Taking complaints in and seeing them through, each step one call in the caller's transaction.

`submit` is the one way in for every channel (the public page, the JSON API, Open311, the hotline desk): it
checks the fields, masks personal numbers in the texts (the original kept only encrypted), encrypts the name and
phone, gives the citizen a ticket, sets the acceptance deadline on working days, and links a repeat of an open case
to it (raising its priority) instead of opening another. `accept` routes a complaint to the responsible branch (by
place) and departments (by duty) as a case (交办) with the conclusion deadline; `dismiss` records 不予受理 with the
reason told; `publish_reply` answers the citizen; `rate` is the citizen's 回访. Who complained is shown only by
`identity`, to the hotline and the case's 包案 leader, and every such viewing is audited."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.alerts.service import responsible_unit
from ecoloop.audit.service import record_event
from ecoloop.cases import queries as case_queries
from ecoloop.cases import service as cases
from ecoloop.cases.enums import CaseSource, EventKind
from ecoloop.cases.models import Case, CaseUnit
from ecoloop.cases.workflow import State
from ecoloop.i18n import N_, gettext
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import Organisation, OrganisationDuty, OrganisationRegion, User
from ecoloop.intake import photos, rules, similarity
from ecoloop.intake.enums import Channel, RewardStatus, Satisfaction, Status, Topic
from ecoloop.intake.keyring import Keyring
from ecoloop.intake.models import CaseLeader, Complaint, ComplaintPhoto, IntakeConfig, Reward
from ecoloop.regions.locate import locate_point
from ecoloop.regions.models import Region
from ecoloop.standards import personal_data

MAX_DESCRIPTION = 2000
MAX_ADDRESS = 200
MAX_NAME = 50
MAX_REPLY = 4000
# Ticket codes: 8 characters of Crockford's base32 (no I, L, O, U) after the year, 40 random bits: not guessable
# within the look-up's rate limit, and read aloud over the phone without confusion.
_TICKET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_TICKET_RANDOM = 8
PUBLIC_CHANNELS = frozenset({Channel.WEB, Channel.WECHAT, Channel.OPEN311})
DESK_CHANNELS = frozenset({Channel.HOTLINE, Channel.LETTER})

ERROR_MESSAGES = {
    "description_missing": N_("Describe the problem."),
    "description_too_long": N_("The description is too long (at most 2,000 characters)."),
    "place_missing": N_("Say where the problem is: an address or a point on the map."),
    "place_outside_city": N_("The point is outside the city's area."),
    "address_too_long": N_("The address is too long (at most 200 characters)."),
    "phone_invalid": N_("The phone number is not a mainland mobile or landline number."),
    "name_too_long": N_("The name is too long (at most 50 characters)."),
    "consent_missing": N_("Agree to how your contact details are used, or leave them out."),
    "region_invalid": N_("Choose a region of the city."),
    "not_allowed": N_("You may not do this."),
    "wrong_status": N_("The complaint is not at a step where this can be done."),
    "reason_required": N_("Give the reason; the citizen is told it."),
    "reply_missing": N_("Write the reply."),
    "reply_too_long": N_("The reply is too long (at most 4,000 characters)."),
    "already_extended": N_("The time limit was already extended once."),
    "no_unit": N_("No branch or department is responsible for this place."),
    "amount_invalid": N_("The amount must be positive and within the bureau's largest reward."),
    "reward_exists": N_("This complaint already has a reward."),
    "not_leader": N_("Only a bureau leader takes a case in person."),
}


class IntakeError(ValueError):
    """A complaint or a step on it that is refused; `code` is stable and `ERROR_MESSAGES` says it in words."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def error_text(code: str) -> str:
    """The reason of an IntakeError in the user's language."""
    return gettext(ERROR_MESSAGES[code]) if code in ERROR_MESSAGES else code


@dataclass(frozen=True)
class Submission:
    """A complaint as a channel delivers it."""

    channel: Channel
    topic: Topic
    description: str
    address: str = ""
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    name: str = ""
    phone: str = ""
    consent: bool = False
    partner_id: int | None = None
    external_id: str = ""
    region_id: int | None = None  # the desk's choice where there is no point
    photos: Sequence[photos.Photo] = ()


# --- settings -------------------------------------------------------------------------------------------------------


def config_for(session: Session, day: date) -> rules.Config:
    """The intake settings that apply on `day` (the defaults when none was saved)."""
    row = session.scalars(
        select(IntakeConfig).where(IntakeConfig.valid_from <= day).order_by(IntakeConfig.valid_from.desc()).limit(1)
    ).first()
    return rules.check(row.parameters) if row else rules.Config()


def save_config(session: Session, config: rules.Config, valid_from: date, by: str, now: datetime) -> IntakeConfig:
    """Keep new settings from `valid_from` on (a day already having settings gets them replaced)."""
    row = session.scalars(select(IntakeConfig).where(IntakeConfig.valid_from == valid_from)).first()
    if row is None:
        row = IntakeConfig(valid_from=valid_from, changed_by=by)
        session.add(row)
    row.parameters = rules.as_json(config)
    row.changed_at = now
    row.changed_by = by
    session.flush()
    return row


# --- submission -----------------------------------------------------------------------------------------------------


def context(column: str, ticket: str) -> str:
    """The associated data a complaint's encrypted `column` (name, phone, description) is bound to."""
    return f"complaints.{column}:{ticket}"


def _ticket(session: Session, year: int) -> str:
    while True:
        code = f"{year}-" + "".join(secrets.choice(_TICKET_ALPHABET) for _ in range(_TICKET_RANDOM))
        code = f"{code[:9]}-{code[9:]}"
        if session.scalar(select(Complaint.id).where(Complaint.ticket == code)) is None:
            return code


def ticket_form(text: str) -> str:
    """A ticket as typed (lower case, without dashes, O for 0…) in its written form, for look-ups."""
    plain = "".join(ch for ch in text.upper() if ch.isalnum()).translate(str.maketrans("OIL", "011"))
    if len(plain) != 4 + _TICKET_RANDOM:
        return text.strip().upper()
    return f"{plain[:4]}-{plain[4:8]}-{plain[8:]}"


def city_region(session: Session) -> Region:
    """The city: the one active region without a parent."""
    region = session.scalars(
        select(Region).where(Region.parent_id.is_(None), Region.active.is_(True)).order_by(Region.id).limit(1)
    ).first()
    if region is None:
        raise IntakeError("region_invalid")
    return region


def _place(session: Session, submission: Submission, address: str) -> Region:
    if submission.longitude is not None and submission.latitude is not None:
        region = locate_point(session, float(submission.longitude), float(submission.latitude))
        if region is None:
            raise IntakeError("place_outside_city")
        return region
    if submission.region_id is not None:
        chosen = session.get(Region, submission.region_id)
        if chosen is None or not chosen.active:
            raise IntakeError("region_invalid")
        return chosen
    if not address:
        raise IntakeError("place_missing")
    return city_region(session)


def submit(
    session: Session,
    ring: Keyring,
    data_dir: Path,
    submission: Submission,
    now: datetime,
    *,
    zone: tzinfo,
    user: User | None = None,
) -> Complaint:
    """Take a complaint in: checked, its personal data masked and encrypted, its ticket and acceptance deadline
    set, and linked to the open case it repeats, if any (see the module's description)."""
    description = submission.description.strip()
    address = submission.address.strip()
    name = submission.name.strip()
    if not description:
        raise IntakeError("description_missing")
    if len(description) > MAX_DESCRIPTION:
        raise IntakeError("description_too_long")
    if len(address) > MAX_ADDRESS:
        raise IntakeError("address_too_long")
    if len(name) > MAX_NAME:
        raise IntakeError("name_too_long")
    phone = ""
    if submission.phone.strip():
        phone = personal_data.phone_digits(submission.phone) or ""
        if not phone:
            raise IntakeError("phone_invalid")
    if (name or phone) and submission.channel in PUBLIC_CHANNELS and not submission.consent:
        raise IntakeError("consent_missing")
    region = _place(session, submission, address)
    today = now.astimezone(zone).date()
    config = config_for(session, today)
    calendar = case_queries.work_calendar(session)
    ticket = _ticket(session, today.year)
    masked = personal_data.mask(description)
    complaint = Complaint(
        ticket=ticket,
        channel=submission.channel,
        partner_id=submission.partner_id,
        external_id=personal_data.mask(submission.external_id.strip())[:64],
        topic=submission.topic,
        category=submission.topic.category,
        description=masked,
        description_enc=ring.encrypt(description, context("description", ticket)) if masked != description else "",
        address=personal_data.mask(address),
        longitude=submission.longitude,
        latitude=submission.latitude,
        region_id=region.id,
        anonymous=not (name or phone),
        name_enc=ring.encrypt(name, context("name", ticket)),
        phone_enc=ring.encrypt(phone, context("phone", ticket)),
        phone_index=ring.digest("phone", phone) if phone else "",
        phone_masked=personal_data.mask(phone),
        consent_at=now if submission.consent else None,
        received_at=now,
        registered_by_id=user.id if user else None,
        bigrams=similarity.packed(similarity.bigrams(masked)),
        status=Status.RECEIVED,
        accept_due=rules.due(calendar, today, config.accept).day,
    )
    session.add(complaint)
    session.flush()
    for photo in submission.photos:
        photos.store(data_dir, photo)
        session.add(
            ComplaintPhoto(
                complaint_id=complaint.id, content_type=photo.content_type, size=len(photo.content), sha256=photo.sha256
            )
        )
    repeated = find_repeat(session, complaint, config)
    if repeated is not None:
        link(session, complaint, repeated, now, config)
    session.flush()
    return complaint


# --- repeats --------------------------------------------------------------------------------------------------------


def find_repeat(session: Session, complaint: Complaint, config: rules.Config) -> Case | None:
    """The open case the complaint reports again (same category, first reported within the window, close by, worded
    alike), found among the complaints of open cases: pre-filtered by the indexes (time, place box), then judged."""
    stmt = (
        select(Complaint.case_id, Complaint.latitude, Complaint.longitude, Complaint.address, Complaint.bigrams)
        .join(Case, Case.id == Complaint.case_id)
        .where(*_nearby(complaint, config), Case.state.not_in([State.CLOSED, State.MERGED]))
        .limit(500)
    )
    candidates = [
        _judged(complaint, int(case_id or 0), lat, lon, address, bigrams)
        for case_id, lat, lon, address, bigrams in session.execute(stmt)
    ]
    best = rules.best_repeat(candidates, config)
    return session.get(Case, best.case_id) if best else None


def _nearby(complaint: Complaint, config: rules.Config) -> list[ColumnElement[bool]]:
    """The other complaints of the category within the repeat window and near the complaint: in the box around its
    point (by the indexes), or, without a point, in its region."""
    since = complaint.received_at - timedelta(days=config.repeat_days)
    near = [Complaint.category == complaint.category, Complaint.received_at >= since, Complaint.id != complaint.id]
    if complaint.latitude is None or complaint.longitude is None:
        return [*near, Complaint.region_id == complaint.region_id, Complaint.latitude.is_(None)]
    box = similarity.box(float(complaint.latitude), float(complaint.longitude), config.repeat_radius_m)
    lat0, lat1, lon0, lon1 = (_bound(v, low) for v, low in zip(box, (1, 0, 1, 0), strict=True))
    return [*near, Complaint.latitude.between(lat0, lat1), Complaint.longitude.between(lon0, lon1)]


def _judged(
    complaint: Complaint, key: int, lat: Decimal | None, lon: Decimal | None, address: str, bigrams: str
) -> rules.Candidate:
    """Another complaint found by `_nearby`, as the repeat rule weighs it against `complaint`."""
    distance = None
    if None not in (complaint.latitude, complaint.longitude, lat, lon):
        distance = similarity.distance_m(
            float(complaint.latitude or 0), float(complaint.longitude or 0), float(lat or 0), float(lon or 0)
        )
    same_address = bool(address) and similarity.normalise(address) == similarity.normalise(complaint.address)
    score = similarity.cosine(similarity.unpacked(complaint.bigrams), similarity.unpacked(bigrams))
    return rules.Candidate(key, distance, same_address, score)


def _bound(value: float, low: int) -> Decimal:
    """A box's edge as the columns' type (NUMERIC with 6 decimals), rounded outwards: bound as a float, PostgreSQL
    would convert every row's value and leave the index unused (35 ms instead of 0.3 ms on 100,000 complaints)."""
    return Decimal(str(value)).quantize(Decimal("0.000001"), rounding=ROUND_FLOOR if low else ROUND_CEILING)


def reports_of(session: Session, case_id: int) -> int:
    """How many complaints report the case."""
    return session.scalar(select(func.count()).select_from(Complaint).where(Complaint.case_id == case_id)) or 0


def link(session: Session, complaint: Complaint, case: Case, now: datetime, config: rules.Config) -> None:
    """Link a repeat to its case: accepted with it (its deadline is the case's), the case's timeline notes the
    repeat, and its urgency rises with the count of reports."""
    complaint.case_id = case.id
    complaint.duplicate = True
    complaint.status = Status.ACCEPTED
    complaint.decided_at = now
    complaint.conclude_due = case.deadline
    session.flush()
    count = reports_of(session, case.id)
    raised = rules.priority(count, config, case.severity)
    note = gettext("Reported again (ticket %(ticket)s): %(count)s complaints about this problem.") % {
        "ticket": complaint.ticket,
        "count": count,
    }
    if raised is not case.severity:
        case.severity = raised
    cases.system_event(session, case, EventKind.COMMENTED, now, note=note)


# --- acceptance, routing, replies -----------------------------------------------------------------------------------


def _require(principal: Principal, action: Action) -> None:
    if not allowed(principal, action):
        raise IntakeError("not_allowed")


def routed_units(session: Session, complaint: Complaint) -> tuple[Organisation, list[Organisation]]:
    """Who handles a complaint: the branch (or the bureau) whose area holds its place leads; the departments with
    the duty of its category whose area holds the place, of the sectors its topic involves (`Topic.departments`:
    building sites for construction noise, the city management for cooking fumes…), help (配合)."""
    try:
        lead = responsible_unit(session, complaint.region_id)
    except ValueError as exc:
        raise IntakeError("no_unit") from exc
    path = complaint.region.path
    covered = select(OrganisationRegion.organisation_id).join(Region, Region.id == OrganisationRegion.region_id)
    rows = session.execute(
        select(Organisation, Region.path)
        .join(OrganisationDuty, OrganisationDuty.organisation_id == Organisation.id)
        .join(Region, Region.id == Organisation.region_id)
        .where(
            Organisation.active,
            Organisation.kind == OrgKind.DEPARTMENT,
            OrganisationDuty.category == complaint.category,
        )
    ).all()
    extra = {org_id: p for org_id, p in session.execute(covered.add_columns(Region.path)).all() if path.startswith(p)}
    sectors = complaint.topic.departments
    helpers = [org for org, p in rows if (path.startswith(p) or org.id in extra) and org.department_type in sectors]
    return lead, sorted({h.id: h for h in helpers if h.id != lead.id}.values(), key=lambda o: o.name)


def _title(complaint: Complaint) -> str:
    where = complaint.address or complaint.region.name
    return f"{gettext(complaint.topic.label)}\uff1a{where}"[:300]


def accept(
    session: Session, complaint: Complaint, user: User, principal: Principal, now: datetime, *, zone: tzinfo
) -> Case:
    """受理: the complaint becomes a case of source 'public complaint', handed to the routed units with the
    conclusion deadline; the pending repeats of it are accepted with it."""
    _require(principal, Action.HANDLE_COMPLAINTS)
    if complaint.status is not Status.RECEIVED or complaint.case_id is not None:
        raise IntakeError("wrong_status")
    today = now.astimezone(zone).date()
    config = config_for(session, today)
    lead, helpers = routed_units(session, complaint)
    conclude = rules.due(case_queries.work_calendar(session), today, config.conclude).day
    case = cases.open_for_platform(
        session,
        source=CaseSource.COMPLAINT,
        category=complaint.category,
        title=_title(complaint),
        region=complaint.region,
        unit=lead,
        deadline=conclude,
        now=now,
        label=gettext("Complaint accepted by %(name)s") % {"name": user.display_name},
        description=complaint.description,
    )
    case.external_ref = complaint.ticket
    if complaint.longitude is not None and complaint.latitude is not None:
        case.longitude, case.latitude = complaint.longitude, complaint.latitude
    for helper in helpers:
        session.add(CaseUnit(case_id=case.id, organisation_id=helper.id))
    complaint.case_id = case.id
    complaint.status = Status.ACCEPTED
    complaint.decided_at = now
    complaint.conclude_due = conclude
    session.flush()
    for pending in _pending_repeats(session, complaint, config):
        link(session, pending, case, now, config)
    return case


def _pending_repeats(session: Session, accepted: Complaint, config: rules.Config) -> list[Complaint]:
    waiting = (Complaint.status == Status.RECEIVED, Complaint.case_id.is_(None))
    pending = session.scalars(select(Complaint).where(*waiting, *_nearby(accepted, config))).all()
    return [
        other
        for other in pending
        if rules.is_repeat(
            _judged(accepted, other.id, other.latitude, other.longitude, other.address, other.bigrams), config
        )
    ]


def dismiss(session: Session, complaint: Complaint, principal: Principal, reason: str, now: datetime) -> None:
    """不予受理: the complaint is not accepted, and the citizen is told why (the reason is published as it is
    written, masked)."""
    _require(principal, Action.HANDLE_COMPLAINTS)
    if complaint.status is not Status.RECEIVED or complaint.case_id is not None:
        raise IntakeError("wrong_status")
    if not reason.strip():
        raise IntakeError("reason_required")
    complaint.status = Status.NOT_ACCEPTED
    complaint.decision_note = personal_data.mask(reason.strip())[:MAX_REPLY]
    complaint.decided_at = now
    complaint.closed_at = now
    session.flush()


def extend(
    session: Session, complaint: Complaint, user: User, principal: Principal, reason: str, now: datetime
) -> date:
    """The one extension of the conclusion limit (经批准延长, the reason told): the complaint's and its case's."""
    _require(principal, Action.HANDLE_COMPLAINTS)
    if complaint.status not in (Status.ACCEPTED, Status.REVIEW) or complaint.conclude_due is None:
        raise IntakeError("wrong_status")
    if complaint.extended:
        raise IntakeError("already_extended")
    if not reason.strip():
        raise IntakeError("reason_required")
    config = config_for(session, complaint.conclude_due)
    later = rules.due(case_queries.work_calendar(session), complaint.conclude_due, config.extension).day
    complaint.conclude_due = later
    complaint.extended = True
    complaint.decision_note = personal_data.mask(reason.strip())[:MAX_REPLY]
    case = session.get(Case, complaint.case_id) if complaint.case_id else None
    if case is not None and case.deadline is not None and later > case.deadline:
        case.deadline = later
        case.overdue = False
        data = {"to": later.isoformat(), "by": user.display_name}
        cases.system_event(session, case, EventKind.DEADLINE_EXTENDED, now, note=complaint.decision_note, data=data)
    session.flush()
    return later


def publish_reply(session: Session, complaint: Complaint, principal: Principal, text: str, now: datetime) -> None:
    """答复: the reply the citizen reads with their ticket (masked as written); a complaint under review gets a
    new one."""
    _require(principal, Action.HANDLE_COMPLAINTS)
    if complaint.status not in (Status.ACCEPTED, Status.REVIEW, Status.REPLIED):
        raise IntakeError("wrong_status")
    if not text.strip():
        raise IntakeError("reply_missing")
    if len(text.strip()) > MAX_REPLY:
        raise IntakeError("reply_too_long")
    complaint.reply = personal_data.mask(text.strip())
    complaint.replied_at = now
    complaint.status = Status.REPLIED
    complaint.satisfaction = None
    complaint.rated_at = None
    session.flush()


def rate(session: Session, complaint: Complaint, rating: Satisfaction, note: str, now: datetime) -> Status:
    """回访: the citizen rates the reply; not satisfied sends the complaint back for review (复查) and notes it on
    its case's timeline, otherwise it concludes."""
    if complaint.status is not Status.REPLIED:
        raise IntakeError("wrong_status")
    complaint.satisfaction = rating
    complaint.satisfaction_note = personal_data.mask(note.strip())[:500]
    complaint.rated_at = now
    complaint.status = rules.after_rating(rating)
    if complaint.status is Status.CLOSED:
        complaint.closed_at = now
    else:
        case = session.get(Case, complaint.case_id) if complaint.case_id else None
        if case is not None:
            note_text = gettext("The complainant (ticket %(ticket)s) is not satisfied with the reply.") % {
                "ticket": complaint.ticket
            }
            cases.system_event(session, case, EventKind.COMMENTED, now, note=note_text)
    session.flush()
    return complaint.status


def conclude_unrated(session: Session, now: datetime) -> int:
    """Replies the citizen did not rate within the settings' days conclude (the job's step)."""
    count = 0
    config = config_for(session, now.date())
    for complaint in session.scalars(select(Complaint).where(Complaint.status == Status.REPLIED)):
        if complaint.replied_at and now - complaint.replied_at >= timedelta(days=config.reply_rating_days):
            complaint.status = Status.CLOSED
            complaint.closed_at = now
            count += 1
    session.flush()
    return count


# --- who complained -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """Who complained and what they wrote, as decrypted for a reader allowed to see it."""

    name: str
    phone: str
    description: str


def may_see_identity(session: Session, principal: Principal, complaint: Complaint) -> bool:
    """The hotline (`view_complainant_identity`) and the leader who took the complaint's case in person."""
    if allowed(principal, Action.VIEW_COMPLAINANT_IDENTITY):
        return True
    if complaint.case_id is None:
        return False
    leader = session.get(CaseLeader, complaint.case_id)
    return leader is not None and leader.user_id == principal.user_id


def identity(session: Session, ring: Keyring, principal: Principal, complaint: Complaint) -> Identity:
    """The complainant's name, phone and original text, for a reader who may see them; the viewing is audited."""
    if not may_see_identity(session, principal, complaint):
        raise IntakeError("not_allowed")
    record_event(session, "complainant_viewed", "complaints", str(complaint.id), {"ticket": complaint.ticket})
    return Identity(
        name=ring.decrypt(complaint.name_enc, context("name", complaint.ticket)),
        phone=ring.decrypt(complaint.phone_enc, context("phone", complaint.ticket)),
        description=ring.decrypt(complaint.description_enc, context("description", complaint.ticket))
        or complaint.description,
    )


def phone_matches(ring: Keyring, complaint: Complaint, last4: str) -> bool:
    """Whether `last4` are the last four digits of the complaint's phone (a complaint without one: no digits)."""
    if not complaint.phone_enc:
        return not last4.strip()
    phone = ring.decrypt(complaint.phone_enc, context("phone", complaint.ticket))
    return secrets.compare_digest(phone[-4:], last4.strip()) if last4.strip() else False


# --- 包案 and rewards -----------------------------------------------------------------------------------------------


def take_case(session: Session, case: Case, user: User, principal: Principal, now: datetime) -> CaseLeader:
    """领导包案: a bureau leader takes the case in person (and with it sees its complainants)."""
    if principal.role is not Role.LEADER:
        raise IntakeError("not_leader")
    row = session.get(CaseLeader, case.id)
    if row is None:
        row = CaseLeader(case_id=case.id, user_id=user.id, since=now)
        session.add(row)
    else:
        row.user_id, row.since = user.id, now
    case.responsible_leader = user.display_name[:100]
    note = gettext("%(name)s takes this case in person.") % {"name": user.display_name}
    cases.system_event(session, case, EventKind.COMMENTED, now, note=note)
    session.flush()
    return row


def propose_reward(
    session: Session, complaint: Complaint, user: User, principal: Principal, amount: Decimal, basis: str, now: datetime
) -> Reward:
    """有奖举报: propose a reward for a complaint found true, within the bureau's largest amount."""
    _require(principal, Action.HANDLE_COMPLAINTS)
    config = config_for(session, now.date())
    if amount <= 0 or amount > config.reward_max:
        raise IntakeError("amount_invalid")
    if session.scalars(select(Reward).where(Reward.complaint_id == complaint.id)).first() is not None:
        raise IntakeError("reward_exists")
    reward = Reward(complaint_id=complaint.id, amount=amount, basis=basis.strip()[:500], proposed_by_id=user.id)
    session.add(reward)
    session.flush()
    return reward


def decide_reward(
    session: Session, reward: Reward, user: User, principal: Principal, approve: bool, now: datetime
) -> None:
    """A leader approves or refuses a proposed reward; an approved one is then marked paid by the desk."""
    if reward.status is RewardStatus.PROPOSED:
        _require(principal, Action.APPROVE_REWARDS)
        reward.status = RewardStatus.APPROVED if approve else RewardStatus.REFUSED
        reward.decided_by_id, reward.decided_at = user.id, now
    elif reward.status is RewardStatus.APPROVED and approve:
        _require(principal, Action.HANDLE_COMPLAINTS)
        reward.status, reward.paid_at = RewardStatus.PAID, now
    else:
        raise IntakeError("wrong_status")
    session.flush()
