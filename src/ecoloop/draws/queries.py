"""Read-side of the random checks: the members of an enterprise pool and the certified officers on a day (what a
snapshot freezes), the inspection history the avoidance rules read, and the lists the pages show (scoped, except
where a docstring says why)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible, scoped
from ecoloop.draws.algorithm import POSITIVE_LIST, months_before
from ecoloop.draws.enums import DrawStatus
from ecoloop.draws.models import (
    Draw,
    DrawAssignment,
    DrawAssignmentOfficer,
    EnterprisePool,
    OfficerCertificate,
    OfficerConflict,
    OfficerPool,
)
from ecoloop.draws.scope import officers_of
from ecoloop.enterprises.enums import EnterpriseStatus
from ecoloop.enterprises.models import Enterprise, GradeRecord, ListMembership, SupervisionList
from ecoloop.identity.enums import OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

OFFICER_ROLES = (Role.INSPECTOR, Role.BRANCH)
"""The roles whose users may be drawn as officers (with a valid certificate)."""


@dataclass(frozen=True)
class LastInspection:
    """An enterprise's last inspection: its day, its officers and the unit that did it."""

    day: date
    officer_ids: tuple[int, ...]
    unit_id: int | None


# Other records of inspections than the draws' own (the inspections done in the field, issue 19), registered by
# the composition on top (`ecoloop.tables`): the inspections capability imports the draws, not the other way round.
# A source gives, for the enterprises asked (None: all), inspections before a day as (enterprise id, day, officer
# ids in order, checking unit id).
HistorySource = Callable[[Session, set[int] | None, date], Iterable[tuple[int, date, tuple[int, ...], int | None]]]
_HISTORY: list[HistorySource] = []


def register_history(source: HistorySource) -> None:
    """Add a source of inspection records to the history the pools and the avoidance rules read."""
    if source not in _HISTORY:
        _HISTORY.append(source)


def last_inspections(session: Session, enterprise_ids: Iterable[int] | None, before: date) -> dict[int, LastInspection]:
    """Per enterprise, its last inspection before `before` (unscoped: the avoidance rules read all of it): the
    on-site assignments of the drawn draws, dated by their draw day, and the records of the registered sources (the
    inspections completed in the field, dated by the day they were done); on the same day a source's record wins,
    since it names who actually went."""
    stmt = (
        select(DrawAssignment.id, DrawAssignment.enterprise_id, DrawAssignment.unit_id, Draw.draw_on)
        .join(Draw, Draw.id == DrawAssignment.draw_id)
        .where(Draw.status == DrawStatus.DRAWN, Draw.draw_on < before, DrawAssignment.on_site.is_(True))
        .order_by(DrawAssignment.enterprise_id, Draw.draw_on.desc(), DrawAssignment.id.desc())
    )
    wanted = None if enterprise_ids is None else set(enterprise_ids)
    latest: dict[int, tuple[int, date, int | None]] = {}
    for assignment_id, enterprise_id, unit_id, day in session.execute(stmt):
        if wanted is None or enterprise_id in wanted:
            latest.setdefault(enterprise_id, (assignment_id, day, unit_id))
    officers: dict[int, list[int]] = defaultdict(list)
    chosen = [a for a, _, _ in latest.values()]
    for start in range(0, len(chosen), 1000):
        rows = session.execute(
            select(DrawAssignmentOfficer.assignment_id, DrawAssignmentOfficer.user_id)
            .where(DrawAssignmentOfficer.assignment_id.in_(chosen[start : start + 1000]))
            .order_by(DrawAssignmentOfficer.assignment_id, DrawAssignmentOfficer.position)
        )
        for assignment_id, user_id in rows:
            officers[assignment_id].append(user_id)
    found = {
        enterprise_id: LastInspection(day, tuple(officers[assignment_id]), unit_id)
        for enterprise_id, (assignment_id, day, unit_id) in latest.items()
    }
    for source in _HISTORY:
        for enterprise_id, day, officer_ids, unit_id in source(session, wanted, before):
            known = found.get(enterprise_id)
            if day < before and (known is None or day >= known.day):
                found[enterprise_id] = LastInspection(day, officer_ids, unit_id)
    return found


def _valid_on(start: Any, end: Any, day: date) -> Any:
    return and_(start <= day, or_(end.is_(None), end >= day))


def _subtree(region: Region) -> Any:
    return select(Region.id).where(Region.path.startswith(region.path, autoescape=True))


def pool_members(session: Session, pool: EnterprisePool, day: date) -> list[dict[str, Any]]:
    """The members of an enterprise pool on `day`, as a snapshot holds them, by credit code: each with its weight
    (the largest weight of the lists it is on, else 1), whether it is on the 正面清单, its last inspection and
    the officers who declared a conflict with it (unscoped: the pool's settings say what it holds)."""
    region = session.get(Region, pool.region_id)
    if region is None:
        return []
    stmt = (
        select(Enterprise.id, Enterprise.credit_code, Enterprise.name, Region.name, Enterprise.industry_code)
        .join(Region, Region.id == Enterprise.region_id)
        .where(Enterprise.region_id.in_(_subtree(region)), Enterprise.status != EnterpriseStatus.CLOSED)
    )
    if pool.industry_prefix:
        stmt = stmt.where(Enterprise.industry_code.startswith(pool.industry_prefix.upper(), autoescape=True))
    if pool.list_codes:
        on_lists = (
            select(ListMembership.enterprise_id)
            .join(SupervisionList, SupervisionList.id == ListMembership.list_id)
            .where(SupervisionList.code.in_(pool.list_codes), _valid_on(ListMembership.start, ListMembership.end, day))
        )
        stmt = stmt.where(Enterprise.id.in_(on_lists))
    if pool.grades:
        graded = select(GradeRecord.enterprise_id).where(
            GradeRecord.grade.in_(pool.grades), _valid_on(GradeRecord.start, GradeRecord.end, day)
        )
        stmt = stmt.where(Enterprise.id.in_(graded))
    rows = session.execute(stmt).all()
    lists = _lists_on(session, day)
    history = last_inspections(session, None, day)
    conflicts = _conflicts_on(session, day)
    limit = _inspected_limit(pool, day)
    members: list[dict[str, Any]] = []
    for enterprise_id, code, name, region_name, _industry in rows:
        last = history.get(enterprise_id)
        if limit is not None and last is not None and last.day >= limit:
            continue
        codes = lists.get(enterprise_id, set())
        weight = max([int(pool.weights.get(c, 1)) for c in codes] + [1])
        members.append(
            {
                "enterprise_id": enterprise_id,
                "credit_code": code,
                "name": name,
                "region": region_name,
                "weight": weight,
                "positive_list": POSITIVE_LIST in codes,
                "last_inspection": None
                if last is None
                else {"date": last.day.isoformat(), "unit_id": last.unit_id, "officers": list(last.officer_ids)},
                "conflicts": sorted(conflicts.get(enterprise_id, ())),
            }
        )
    members.sort(key=lambda m: m["credit_code"])
    return members


def _inspected_limit(pool: EnterprisePool, day: date) -> date | None:
    """The day before which the last inspection must lie for an enterprise to be in the pool (None: no filter)."""
    limits = []
    if pool.not_inspected_months:
        limits.append(months_before(day, pool.not_inspected_months))
    if pool.inspected_before is not None:
        limits.append(pool.inspected_before)
    return min(limits) if limits else None


def _lists_on(session: Session, day: date) -> dict[int, set[str]]:
    stmt = (
        select(ListMembership.enterprise_id, SupervisionList.code)
        .join(SupervisionList, SupervisionList.id == ListMembership.list_id)
        .where(_valid_on(ListMembership.start, ListMembership.end, day))
    )
    found: dict[int, set[str]] = defaultdict(set)
    for enterprise_id, code in session.execute(stmt):
        found[enterprise_id].add(code)
    return found


def _conflicts_on(session: Session, day: date) -> dict[int, set[int]]:
    stmt = select(OfficerConflict.enterprise_id, OfficerConflict.user_id).where(
        _valid_on(OfficerConflict.start, OfficerConflict.end, day)
    )
    found: dict[int, set[int]] = defaultdict(set)
    for enterprise_id, user_id in session.execute(stmt):
        found[enterprise_id].add(user_id)
    return found


def certified_officers(session: Session, pool: OfficerPool, day: date) -> list[dict[str, Any]]:
    """The officers of a pool on `day`, by user id: active users with the role of an inspector or a branch, of
    the pool's units (or of any unit of its region), holding a certificate valid that day (unscoped: the pool's
    settings say what it holds)."""
    region = session.get(Region, pool.region_id)
    if region is None:
        return []
    valid = (
        select(OfficerCertificate.user_id)
        .where(OfficerCertificate.valid_from <= day, OfficerCertificate.valid_to >= day)
        .where(or_(OfficerCertificate.revoked_on.is_(None), OfficerCertificate.revoked_on > day))
    )
    stmt = (
        select(User.id, User.display_name, Organisation.id, Organisation.name, Region.name)
        .join(Organisation, Organisation.id == User.organisation_id)
        .join(Region, Region.id == Organisation.region_id)
        .where(User.active.is_(True), User.role.in_(OFFICER_ROLES), User.id.in_(valid))
        .where(Organisation.region_id.in_(_subtree(region)))
        .order_by(User.id)
    )
    if pool.unit_ids:
        stmt = stmt.where(Organisation.id.in_(pool.unit_ids))
    return [
        {"user_id": uid, "name": name, "unit_id": unit_id, "unit": unit, "region": region_name}
        for uid, name, unit_id, unit, region_name in session.execute(stmt)
    ]


# --- pages ------------------------------------------------------------------------------------------------------


def draws(session: Session, principal: Principal) -> list[Draw]:
    """The draws the principal sees, newest first."""
    return list(session.scalars(scoped(select(Draw), principal, Draw).order_by(Draw.id.desc())))


def draw(session: Session, principal: Principal, draw_id: int) -> Draw | None:
    """One draw, if the principal sees it."""
    return get_visible(session, principal, Draw, draw_id)


def enterprise_pools(session: Session, principal: Principal) -> list[EnterprisePool]:
    """The enterprise pools' settings the principal sees, by name."""
    stmt = scoped(select(EnterprisePool), principal, EnterprisePool).order_by(EnterprisePool.name, EnterprisePool.id)
    return list(session.scalars(stmt))


def officer_pools(session: Session, principal: Principal) -> list[OfficerPool]:
    """The officer pools' settings the principal sees, by name."""
    stmt = scoped(select(OfficerPool), principal, OfficerPool).order_by(OfficerPool.name, OfficerPool.id)
    return list(session.scalars(stmt))


def officers(session: Session, principal: Principal) -> list[User]:
    """The users the principal keeps certificates for: inspectors and branch staff of their region's units."""
    stmt = (
        select(User)
        .where(officers_of(principal), User.role.in_(OFFICER_ROLES))
        .order_by(User.organisation_id, User.display_name, User.id)
    )
    return list(session.scalars(stmt))


def certificates(session: Session, principal: Principal) -> list[OfficerCertificate]:
    """The certificates the principal sees, by officer."""
    stmt = scoped(select(OfficerCertificate), principal, OfficerCertificate)
    return list(session.scalars(stmt.order_by(OfficerCertificate.user_id, OfficerCertificate.valid_from.desc())))


def conflicts(session: Session, principal: Principal) -> list[OfficerConflict]:
    """The declared conflicts the principal sees, newest first."""
    stmt = scoped(select(OfficerConflict), principal, OfficerConflict)
    return list(session.scalars(stmt.order_by(OfficerConflict.start.desc(), OfficerConflict.id.desc())))


def names(session: Session, user_ids: Sequence[int]) -> dict[int, str]:
    """Display names of users (the officers of a draw the principal sees)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(set(user_ids))))
    return {user_id: name for user_id, name in rows}


def organisation_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Names of organisations by id (the units printed on a draw)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted)))
    return {organisation_id: name for organisation_id, name in rows}


def enterprises_by_id(session: Session, ids: Iterable[int]) -> dict[int, Enterprise]:
    """Enterprises by id (the drawn ones of a draw)."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {e.id: e for e in session.scalars(select(Enterprise).where(Enterprise.id.in_(wanted)))}


def region_choices(session: Session, principal: Principal) -> list[Region]:
    """The city and counties the principal may announce a draw or keep a pool for."""
    stmt = scoped(select(Region), principal, Region).where(
        Region.active.is_(True), Region.level.in_((RegionLevel.CITY, RegionLevel.COUNTY))
    )
    return list(session.scalars(stmt.order_by(Region.path)))


def unit_choices(session: Session, principal: Principal) -> list[Organisation]:
    """The bureau's and branches' units the principal sees (the units of an officer pool)."""
    stmt = scoped(select(Organisation), principal, Organisation).where(
        Organisation.active.is_(True), Organisation.kind != OrgKind.DEPARTMENT
    )
    return list(session.scalars(stmt.order_by(Organisation.code)))


def supervision_lists(session: Session) -> list[SupervisionList]:
    """Every supervision list (the lists are known to everyone in the platform)."""
    return list(session.scalars(select(SupervisionList).order_by(SupervisionList.builtin.desc(), SupervisionList.code)))


def enterprise_by_code(session: Session, principal: Principal, credit_code: str) -> Enterprise | None:
    """The enterprise with a credit code, if the principal sees it."""
    stmt = scoped(select(Enterprise), principal, Enterprise).where(
        Enterprise.credit_code == credit_code.strip().upper()
    )
    return session.scalars(stmt).first()


# --- publication (一公开) -----------------------------------------------------------------------------------------


def published_draws(session: Session) -> list[Draw]:
    """Every draw, newest first: its announcement is published from the start, its result once drawn (unscoped:
    the public page shows every unit's draws)."""
    return list(session.scalars(select(Draw).order_by(Draw.announced_at.desc(), Draw.id.desc())))


def published_draw(session: Session, number: str) -> Draw | None:
    """One draw by its number, as published (unscoped, like `published_draws`)."""
    return session.scalars(select(Draw).where(Draw.number == number.strip().upper())).first()
