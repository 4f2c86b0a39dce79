"""Inspections, one transaction each: keep checklists (a new version per edit), run campaigns, plan inspections (by
hand, for a campaign's targets, from a draw's assignments), take the officers' submissions and photos, and put a
finding into the closed loop as a case.

Every function takes plain values (the demo and the CLI call them as the pages do) and `flush()`es; the caller
commits."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible
from ecoloop.cases import service as cases
from ecoloop.cases.enums import CaseSource, Severity
from ecoloop.cases.service import Acting
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.models import Draw, DrawAssignment
from ecoloop.enterprises.models import Enterprise
from ecoloop.identity.enums import Category, Role
from ecoloop.identity.models import User
from ecoloop.inspections import photos, rules
from ecoloop.inspections.enums import Answer, Conclusion, Kind, Status
from ecoloop.inspections.models import (
    Campaign,
    CampaignTarget,
    Checklist,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
    InspectionOfficer,
    InspectionPhoto,
    InspectionSubmission,
)
from ecoloop.inspections.rules import Record
from ecoloop.regions.models import Region

OFFICER_ROLES = (Role.INSPECTOR, Role.BRANCH)  # certified officers: the bureau's inspectors and a branch's staff
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # a client-generated idempotency key (a UUID or random token)


class InspectionError(ValueError):
    """An inspection operation refused; `code` is stable (rules.MESSAGES), `codes` all the reasons."""

    def __init__(self, code: str, codes: Sequence[str] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.codes = tuple(codes) or (code,)


class NotFoundError(LookupError):
    """The row is not there or not within the actor's sight (the page answers 404)."""


# --- checklists ----------------------------------------------------------------------------------------------------


def current_version(checklist: Checklist) -> ChecklistVersion:
    """The checklist's version in force (its newest)."""
    return checklist.versions[-1]


def save_checklist(
    session: Session,
    user: User | None,
    *,
    name: str,
    prefixes: str,
    items: Sequence[tuple[str, str, bool]],
    now: datetime,
    checklist: Checklist | None = None,
    code: str = "",
    active: bool = True,
) -> Checklist:
    """Create a checklist, or give `checklist` a new version (its earlier ones stay with the inspections done with
    them): the name, the industry prefixes (blank: general), the items as (text, legal basis, required)."""
    parsed = rules.parse_prefixes(prefixes)
    if parsed is None:
        raise InspectionError("prefix_invalid")
    if not name.strip():
        raise InspectionError("name_missing")
    kept = [(text.strip(), basis.strip(), required) for text, basis, required in items if text.strip()]
    if not kept:
        raise InspectionError("items_missing")
    if len(kept) > rules.MAX_ITEMS:
        raise InspectionError("items_too_many")
    if checklist is None:
        checklist = Checklist(code=code or f"checklist-{secrets.token_hex(5)}", name="", prefixes="")
        session.add(checklist)
    checklist.name, checklist.prefixes, checklist.active = name.strip()[:200], " ".join(parsed), active
    number = len(checklist.versions) + 1
    stored = [{"key": f"i{n}", "text": t[:500], "basis": b[:300], "required": r} for n, (t, b, r) in enumerate(kept, 1)]
    previous = checklist.versions[-1].items if checklist.versions else None
    if previous != stored:
        checklist.versions.append(
            ChecklistVersion(number=number, items=stored, created_at=now, created_by_id=user.id if user else None)
        )
    session.flush()
    return checklist


def install_default_checklists(session: Session, now: datetime) -> list[Checklist]:
    """Add the default checklists (a general one and a few industries', `default_checklists.json`) whose code the
    bureau does not have yet; the ones added."""
    data = json.loads((resources.files("ecoloop.inspections") / "default_checklists.json").read_text("utf-8"))
    have = set(session.scalars(select(Checklist.code)))
    general = [(i["text"], i["basis"], i["required"]) for i in data["checklists"][0]["items"]]
    added = []
    for entry in data["checklists"]:
        if entry["code"] in have:
            continue
        own = [(i["text"], i["basis"], i["required"]) for i in entry["items"]]
        items = general + own if entry.get("include_general") else own
        added.append(
            save_checklist(
                session, None, name=entry["name"], prefixes=" ".join(entry["prefixes"]), items=items, now=now,
                code=entry["code"],
            )
        )  # fmt: skip
    return added


def checklist_for(session: Session, industry_code: str | None, now: datetime) -> Checklist:
    """The checklist for an enterprise of `industry_code`: the most specific active one (installing the defaults
    when the bureau has none)."""
    active = list(session.scalars(select(Checklist).where(Checklist.active.is_(True))))
    if not active:
        install_default_checklists(session, now)
        active = list(session.scalars(select(Checklist).where(Checklist.active.is_(True))))
    chosen = rules.choose_checklist(((c.id, c.prefixes.split()) for c in active), industry_code)
    if chosen is None:
        raise InspectionError("no_checklist")
    return next(c for c in active if c.id == chosen)


# --- campaigns -----------------------------------------------------------------------------------------------------


def create_campaign(
    session: Session,
    acting: Acting,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    description: str = "",
    checklist_id: int | None = None,
) -> Campaign:
    """A special enforcement campaign (专项执法) of the actor's unit, in the unit's region."""
    if not name.strip():
        raise InspectionError("name_missing")
    if ends_on < starts_on:
        raise InspectionError("period_invalid")
    organisation = acting.user.organisation
    if organisation is None:
        raise InspectionError("enterprise_invalid")
    if checklist_id is not None and session.get(Checklist, checklist_id) is None:
        raise InspectionError("no_checklist")
    campaign = Campaign(
        name=name.strip()[:200],
        description=description.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        checklist_id=checklist_id,
        organisation_id=organisation.id,
        region_id=organisation.region_id,
        created_by_id=acting.user.id,
    )
    session.add(campaign)
    session.flush()
    return campaign


def may_change_campaign(session: Session, principal: Principal, campaign: Campaign) -> bool:
    """Whether the principal may change a campaign: its region lies in the principal's area. A city campaign is
    seen by every branch (scope.py) but only the city's units change it."""
    path = session.scalar(select(Region.path).where(Region.id == campaign.region_id)) or ""
    return bool(principal.region_path) and path.startswith(principal.region_path)


def _check_may_change(session: Session, acting: Acting, campaign: Campaign) -> None:
    if not may_change_campaign(session, acting.principal, campaign):
        raise InspectionError("campaign_not_yours")


def add_targets(session: Session, acting: Acting, campaign: Campaign, enterprise_ids: Iterable[int]) -> int:
    """Add enterprises (those the actor sees) to a campaign of the actor's area; how many were new."""
    _check_may_change(session, acting, campaign)
    have = set(session.scalars(select(CampaignTarget.enterprise_id).where(CampaignTarget.campaign_id == campaign.id)))
    added = 0
    for ident in dict.fromkeys(enterprise_ids):
        if ident in have or get_visible(session, acting.principal, Enterprise, ident) is None:
            continue
        session.add(CampaignTarget(campaign_id=campaign.id, enterprise_id=ident))
        added += 1
    session.flush()
    return added


def remove_target(session: Session, acting: Acting, campaign: Campaign, enterprise_id: int) -> None:
    """Take an enterprise the actor sees off the targets of a campaign of the actor's area (its inspections stay)."""
    _check_may_change(session, acting, campaign)
    if get_visible(session, acting.principal, Enterprise, enterprise_id) is None:
        raise InspectionError("enterprise_invalid")
    target = session.get(CampaignTarget, (campaign.id, enterprise_id))
    if target is not None:
        session.delete(target)
        session.flush()


# --- planning ------------------------------------------------------------------------------------------------------


def eligible_officers(session: Session) -> list[User]:
    """The users who may be an inspection's officers: active inspectors and branch staff."""
    stmt = select(User).where(User.role.in_(OFFICER_ROLES), User.active.is_(True)).order_by(User.display_name)
    return list(session.scalars(stmt))


def create_inspection(
    session: Session,
    acting: Acting,
    *,
    enterprise_id: int,
    officer_ids: Sequence[int],
    planned_on: date,
    now: datetime,
    kind: Kind = Kind.ROUTINE,
    on_site: bool = True,
    campaign: Campaign | None = None,
    complaint_id: int | None = None,
    assignment_id: int | None = None,
) -> Inspection:
    """Plan an inspection of an enterprise the actor sees by two or more officers, with the checklist of the
    campaign or of the enterprise's industry; the checking unit is the first officer's."""
    enterprise = get_visible(session, acting.principal, Enterprise, enterprise_id)
    if enterprise is None:
        raise InspectionError("enterprise_invalid")
    ordered = list(dict.fromkeys(officer_ids))
    eligible = {u.id: u for u in eligible_officers(session)}
    problem = rules.officers_problem(ordered, eligible)
    if problem:
        raise InspectionError(problem)
    unit = eligible[ordered[0]].organisation_id or acting.user.organisation_id
    if unit is None:  # the checking unit: the first officer's (an officer belongs to the bureau or a branch)
        raise InspectionError("officer_invalid")
    checklist = campaign.checklist if campaign and campaign.checklist else None
    checklist = checklist or checklist_for(session, enterprise.industry_code, now)
    inspection = Inspection(
        number=_next_number(session, now.year),
        kind=kind,
        status=Status.PLANNED,
        enterprise_id=enterprise.id,
        region_id=enterprise.region_id,
        organisation_id=unit,
        on_site=on_site,
        planned_on=planned_on,
        assignment_id=assignment_id,
        campaign_id=campaign.id if campaign else None,
        complaint_id=complaint_id,
        checklist_version_id=current_version(checklist).id,
        created_by_id=acting.user.id,
    )
    inspection.officers = [InspectionOfficer(user_id=u, position=n) for n, u in enumerate(ordered)]
    session.add(inspection)
    session.flush()
    return inspection


def plan_campaign(
    session: Session,
    acting: Acting,
    campaign: Campaign,
    *,
    officer_ids: Sequence[int],
    planned_on: date,
    now: datetime,
    on_site: bool = True,
) -> list[Inspection]:
    """An inspection (on site unless `on_site` is False) for each of the campaign's targets that has none in the
    campaign yet; only in a campaign of the actor's area."""
    _check_may_change(session, acting, campaign)
    problem = rules.officers_problem(officer_ids, (u.id for u in eligible_officers(session)))
    if problem:  # refused even when no target is left to plan
        raise InspectionError(problem)
    planned = set(session.scalars(select(Inspection.enterprise_id).where(Inspection.campaign_id == campaign.id)))
    targets = session.scalars(select(CampaignTarget.enterprise_id).where(CampaignTarget.campaign_id == campaign.id))
    return [
        create_inspection(
            session, acting, enterprise_id=e, officer_ids=officer_ids, planned_on=planned_on, now=now,
            kind=Kind.CAMPAIGN, on_site=on_site, campaign=campaign,
        )
        for e in sorted(set(targets) - planned)
    ]  # fmt: skip


def plan_draw(
    session: Session,
    acting: Acting,
    draw_id: int,
    *,
    planned_on: date,
    now: datetime,
    remote_officer_ids: Sequence[int] = (),
) -> list[Inspection]:
    """The inspections of a drawn draw in one step: each assignment's enterprise, on site with its drawn officers,
    or a 非现场 check (a 正面清单 member) by `remote_officer_ids`; assignments already planned are skipped."""
    draw = get_visible(session, acting.principal, Draw, draw_id)
    if draw is None or draw.status is not DrawStatus.DRAWN or not draw.assignments:
        raise InspectionError("draw_invalid")
    planned = set(
        session.scalars(
            select(Inspection.assignment_id).where(Inspection.assignment_id.in_([a.id for a in draw.assignments]))
        )
    )
    todo: list[DrawAssignment] = [a for a in draw.assignments if a.id not in planned]
    if not todo:
        raise InspectionError("already_planned")
    made = []
    for assignment in todo:
        officers = [o.user_id for o in assignment.officers] if assignment.on_site else list(remote_officer_ids)
        made.append(
            create_inspection(
                session, acting, enterprise_id=assignment.enterprise_id, officer_ids=officers, planned_on=planned_on,
                now=now, kind=Kind.RANDOM, on_site=assignment.on_site, assignment_id=assignment.id,
            )
        )  # fmt: skip
    return made


def _next_number(session: Session, year: int) -> str:
    prefix = f"JC{year}-"
    last = session.scalar(select(func.max(Inspection.number)).where(Inspection.number.startswith(prefix)))
    return f"{prefix}{(int(last.removeprefix(prefix)) + 1) if last else 1:06d}"


# --- the officers' record ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submitted:
    """What a submission did: `stored` False when its key was taken before (sent again), `completed` when every
    officer has now confirmed."""

    inspection: Inspection
    stored: bool
    completed: bool


def _load(session: Session, principal: Principal, inspection_id: int) -> Inspection:
    inspection = get_visible(session, principal, Inspection, inspection_id)
    if inspection is None:
        raise NotFoundError(inspection_id)
    return inspection


def stored_record(inspection: Inspection) -> Record:
    """The record as stored, as a rule value."""
    answers = {a.item_key: rules.Response(a.answer, a.note) for a in inspection.answers}
    return Record(answers, inspection.findings, inspection.conclusion)


def submit(
    session: Session,
    acting: Acting,
    inspection_id: int,
    *,
    key: str,
    seen_version: int,
    record: Record,
    now: datetime,
) -> Submitted:
    """An officer's record and confirmation, sent once or again under the same client-generated `key` (stored
    once). Refused for another user (`not_officer`), a completed inspection, a stale form (another officer changed
    the record since `seen_version`), or an incomplete record. A changed record asks every other officer to confirm
    again; the inspection is complete, and read-only, when all have confirmed."""
    if not _KEY.match(key):
        raise InspectionError("key_invalid")
    taken = session.get(InspectionSubmission, key)
    if taken is not None:
        if taken.inspection_id != inspection_id or taken.user_id != acting.user.id:
            raise InspectionError("key_invalid")
        inspection = _load(session, acting.principal, inspection_id)
        return Submitted(inspection, stored=False, completed=inspection.status is Status.COMPLETED)
    inspection = _load(session, acting.principal, inspection_id)
    officer = next((o for o in inspection.officers if o.user_id == acting.user.id), None)
    record = Record(
        {k: rules.Response(r.answer, r.note.strip()[: rules.MAX_NOTE]) for k, r in record.answers.items()},
        record.findings.strip()[: rules.MAX_FINDINGS],
        record.conclusion,
    )
    changes = record != stored_record(inspection)
    refusal = rules.submission_refusal(
        officer=officer is not None,
        completed=inspection.status is Status.COMPLETED,
        seen_version=seen_version,
        current_version=inspection.version,
        changes=changes,
    )
    if refusal:
        raise InspectionError(refusal)
    count = session.scalar(select(func.count()).where(InspectionPhoto.inspection_id == inspection.id)) or 0
    problems = rules.record_problems(
        rules.items_from(inspection.checklist_version.items), record, on_site=inspection.on_site, photos=count
    )
    if problems:
        raise InspectionError(problems[0], problems)
    assert officer is not None  # refused above otherwise
    if changes:
        inspection.answers = [
            InspectionAnswer(item_key=k, answer=r.answer, note=r.note) for k, r in sorted(record.answers.items())
        ]
        inspection.findings, inspection.conclusion, inspection.recorded_at = record.findings, record.conclusion, now
        for other in inspection.officers:
            other.confirmed_at = None
    officer.confirmed_at = now
    complete = rules.is_complete({o.user_id: o.confirmed_at is not None for o in inspection.officers})
    inspection.status = Status.COMPLETED if complete else Status.RECORDED
    inspection.completed_at = now if complete else None
    session.add(InspectionSubmission(key=key, inspection_id=inspection.id, user_id=acting.user.id, received_at=now))
    session.flush()
    return Submitted(inspection, stored=True, completed=complete)


def add_photo(
    session: Session,
    acting: Acting,
    inspection_id: int,
    *,
    key: str,
    content: bytes,
    taken_at: datetime | None,
    longitude: Decimal | None,
    latitude: Decimal | None,
    data_dir: Path,
    now: datetime,
) -> InspectionPhoto:
    """A photo taken on site by one of the officers, with when and where the phone says it was taken (a time out of
    reason is dropped: `rules.capture_time`); the same `key` sent again returns the photo stored the first time."""
    if not _KEY.match(key):
        raise InspectionError("key_invalid")
    inspection = _load(session, acting.principal, inspection_id)
    taken = session.scalar(select(InspectionPhoto).where(InspectionPhoto.client_key == key))
    if taken is not None:
        if taken.inspection_id != inspection.id:
            raise InspectionError("key_invalid")
        return taken
    if all(o.user_id != acting.user.id for o in inspection.officers):
        raise InspectionError("not_officer")
    if inspection.status is Status.COMPLETED:
        raise InspectionError("completed")
    count = session.scalar(select(func.count()).where(InspectionPhoto.inspection_id == inspection.id)) or 0
    if count >= photos.MAX_PHOTOS:
        raise InspectionError("photos_too_many")
    try:
        photo = photos.accept(content)
    except photos.PhotoError as exc:
        raise InspectionError(exc.code) from exc
    photos.store(data_dir, photo)
    row = InspectionPhoto(
        inspection_id=inspection.id,
        client_key=key,
        content_type=photos.CONTENT_TYPE,
        size=len(photo.content),
        sha256=photo.sha256,
        taken_at=rules.capture_time(taken_at, now),
        longitude=longitude,
        latitude=latitude,
        uploaded_by_id=acting.user.id,
        uploaded_at=now,
    )
    session.add(row)
    session.flush()
    return row


def register_case(
    session: Session, acting: Acting, inspection_id: int, *, now: datetime, category: Category = Category.OTHER
) -> int:
    """Put a completed inspection's findings into the closed loop as a case (source: inspection) of the enterprise
    and its region; the case's id. The penalty case, where the conclusion calls for one, is linked separately."""
    inspection = _load(session, acting.principal, inspection_id)
    if inspection.status is not Status.COMPLETED:
        raise InspectionError("not_completed")
    if inspection.case_id is not None:
        raise InspectionError("already_case")
    record = stored_record(inspection)
    if not rules.has_findings(record) and inspection.conclusion in (Conclusion.NO_PROBLEM, Conclusion.NOT_OPERATING):
        raise InspectionError("no_finding")
    region = session.get(Region, inspection.region_id)
    assert region is not None  # a foreign key
    items = {i.key: i for i in rules.items_from(inspection.checklist_version.items)}
    lines = [f"{items[k].text}: {r.note}" for k, r in sorted(record.answers.items()) if r.answer is Answer.NONCOMPLIANT]
    description = "\n".join([*lines, inspection.findings]).strip()
    case = cases.register_case(
        session,
        acting,
        source=CaseSource.INSPECTION,
        category=category,
        title=f"{inspection.enterprise.name} {inspection.number}",
        region=region,
        now=now,
        description=description,
        enterprise_id=inspection.enterprise_id,
        severity=Severity.HIGH if inspection.conclusion is Conclusion.VIOLATION else Severity.NORMAL,
        external_ref=inspection.number,
    )
    inspection.case_id = case.id
    session.flush()
    return case.id
