"""The random checks' transactions: officers' certificates and conflicts, pool settings, and a draw's three steps
— announce (pools frozen into snapshots, the seed's source stated), enter the public value (the seed fixed), draw
(the result recorded and chained). Nothing here updates a drawn record: there is no such path (docs/draws.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible
from ecoloop.draws import algorithm, queries
from ecoloop.draws.enums import DrawStatus, SnapshotKind
from ecoloop.draws.models import (
    Draw,
    DrawAssignment,
    DrawAssignmentOfficer,
    DrawSnapshot,
    EnterprisePool,
    OfficerCertificate,
    OfficerConflict,
    OfficerPool,
)
from ecoloop.draws.records import GENESIS, announcement_hash, record_hash
from ecoloop.draws.scope import officers_of
from ecoloop.enterprises.enums import PerformanceGrade
from ecoloop.enterprises.models import Enterprise
from ecoloop.i18n import N_, gettext
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.queries import get_region

ERROR_MESSAGES = {
    "not_found": N_("Not found, or not yours to change."),
    "date_invalid": N_("Write dates as YYYY-MM-DD."),
    "number_invalid": N_("Write a whole number (or a decimal for a ratio)."),
    "enterprise_unknown": N_("No enterprise of your area has this unified social credit code."),
    "grade_invalid": N_("Unknown performance grade."),
    "name_missing": N_("Give a name."),
    "number_missing": N_("Give the certificate number."),
    "number_taken": N_("A certificate with this number is already recorded."),
    "dates_reversed": N_("The end date is before the start date."),
    "not_officer": N_("Only active enforcement officers and branch staff of your region hold certificates here."),
    "take_invalid": N_("Give either a ratio (a percentage above 0, at most 100) or a count, not both."),
    "weight_invalid": N_("Weights are whole numbers from 1 to 10."),
    "months_invalid": N_("Months without an inspection are a whole number from 1 to 120."),
    "title_missing": N_("Give the draw a title."),
    "no_unit": N_("Your account belongs to no unit: a draw is announced by a unit."),
    "no_pools": N_("Choose at least one enterprise pool and one officer pool."),
    "seed_source_missing": N_("State the source of the public value (e.g. an index's closing value of a day)."),
    "seed_date_past": N_(
        "The public value's date must not be before today: the seed must be unknown when the draw is announced."
    ),
    "draw_before_seed": N_("The draw day must not be before the public value's date."),
    "team_invalid": N_("At least two officers go to each enterprise (行政处罚法 第四十二条)."),
    "rotation_invalid": N_("The rotation period is 0 to 60 months."),
    "not_announced": N_("The public value of this draw has already been entered."),
    "too_early": N_("The public value of %(day)s can be entered from that day on."),
    "value_missing": N_("Enter the public value."),
    "not_seeded": N_("The draw needs its public value first, and is drawn only once."),
    "unstaffable": N_(
        "The draw is refused: %(count)s enterprises cannot be given %(team)s certified officers after the avoidance "
        "rules and the load cap: %(names)s. Add officers to the pool or change the rules, and announce again."
    ),
}


MAX_MONTHS = 120  # "not inspected for N months": ten years at most (more went past the calendar: a 500 page)


class DrawError(ValueError):
    """A step refused; `code` is stable and `error_text` says it in words with its `params`."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def error_text(error: DrawError) -> str:
    """The reason of a DrawError in the user's language."""
    if error.code not in ERROR_MESSAGES:
        return error.code
    text = gettext(ERROR_MESSAGES[error.code])
    return text % error.params if error.params else text


def _local_day(now: datetime, zone: tzinfo) -> date:
    return now.astimezone(zone).date()


# --- officers -------------------------------------------------------------------------------------------------


def _officer(session: Session, principal: Principal, user_id: int) -> User:
    """A user the principal keeps certificates and conflicts for."""
    user = session.scalars(
        select(User).where(User.id == user_id, officers_of(principal), User.role.in_(queries.OFFICER_ROLES))
    ).first()
    if user is None:
        raise DrawError("not_officer")
    return user


def add_certificate(
    session: Session,
    principal: Principal,
    *,
    user_id: int,
    number: str,
    valid_from: date,
    valid_to: date,
    issued_by: str = "",
) -> OfficerCertificate:
    """Record an officer's enforcement certificate (执法证)."""
    _officer(session, principal, user_id)
    number = number.strip()
    if not number:
        raise DrawError("number_missing")
    if valid_to < valid_from:
        raise DrawError("dates_reversed")
    if session.scalars(select(OfficerCertificate.id).where(OfficerCertificate.number == number)).first():
        raise DrawError("number_taken")
    certificate = OfficerCertificate(
        user_id=user_id, number=number, valid_from=valid_from, valid_to=valid_to, issued_by=issued_by.strip()
    )
    session.add(certificate)
    session.flush()
    return certificate


def revoke_certificate(session: Session, principal: Principal, certificate_id: int, *, on: date) -> None:
    """Withdraw a certificate from `on` (it no longer qualifies its holder from that day)."""
    certificate = get_visible(session, principal, OfficerCertificate, certificate_id)
    if certificate is None:
        raise DrawError("not_found")
    certificate.revoked_on = on
    session.flush()


def declare_conflict(
    session: Session,
    principal: Principal,
    *,
    user_id: int,
    enterprise_id: int,
    reason: str,
    start: date,
    end: date | None = None,
) -> OfficerConflict:
    """Record a conflict of interest an officer declared with an enterprise (回避)."""
    _officer(session, principal, user_id)
    if get_visible(session, principal, Enterprise, enterprise_id) is None:
        raise DrawError("not_found")
    if end is not None and end < start:
        raise DrawError("dates_reversed")
    conflict = OfficerConflict(
        user_id=user_id,
        enterprise_id=enterprise_id,
        reason=reason.strip(),
        start=start,
        end=end,
        declared_by_id=principal.user_id,
    )
    session.add(conflict)
    session.flush()
    return conflict


def end_conflict(session: Session, principal: Principal, conflict_id: int, *, end: date) -> None:
    """Close a declared conflict on `end` (inclusive)."""
    conflict = get_visible(session, principal, OfficerConflict, conflict_id)
    if conflict is None:
        raise DrawError("not_found")
    if end < conflict.start:
        raise DrawError("dates_reversed")
    conflict.end = end
    session.flush()


# --- pools ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterprisePoolForm:
    """The settings of an enterprise pool as a page or the demo gives them."""

    name: str
    region_id: int
    list_codes: Sequence[str] = ()
    industry_prefix: str = ""
    grades: Sequence[str] = ()
    not_inspected_months: int | None = None
    inspected_before: date | None = None
    ratio_percent: Decimal | None = None
    count: int | None = None
    weights: Mapping[str, int] | None = None
    active: bool = True


def _check_take(ratio: Decimal | None, count: int | None) -> None:
    if (ratio is None) == (count is None):
        raise DrawError("take_invalid")
    if ratio is not None and not Decimal(0) < ratio <= Decimal(100):
        raise DrawError("take_invalid")
    if count is not None and count < 1:
        raise DrawError("take_invalid")


def save_enterprise_pool(
    session: Session, principal: Principal, form: EnterprisePoolForm, *, pool_id: int | None = None
) -> EnterprisePool:
    """Create an enterprise pool's settings, or change them (`pool_id`); snapshots already frozen keep theirs."""
    if not form.name.strip():
        raise DrawError("name_missing")
    if get_region(session, principal, form.region_id) is None:
        raise DrawError("not_found")
    _check_take(form.ratio_percent, form.count)
    if any(g not in PerformanceGrade.__members__.values() for g in form.grades):
        raise DrawError("grade_invalid")
    if form.not_inspected_months is not None and not 1 <= form.not_inspected_months <= MAX_MONTHS:
        raise DrawError("months_invalid")
    weights = dict(form.weights or {})
    if any(not isinstance(w, int) or not 1 <= w <= 10 for w in weights.values()):
        raise DrawError("weight_invalid")
    pool = EnterprisePool(organisation_id=principal.organisation_id or 0)
    if pool_id is not None:
        found = get_visible(session, principal, EnterprisePool, pool_id)
        if found is None:
            raise DrawError("not_found")
        pool = found
    elif principal.organisation_id is None:
        raise DrawError("no_unit")
    pool.name = form.name.strip()
    pool.region_id = form.region_id
    pool.list_codes = sorted(set(form.list_codes))
    pool.industry_prefix = form.industry_prefix.strip().upper()
    pool.grades = sorted(set(form.grades))
    pool.not_inspected_months = form.not_inspected_months
    pool.inspected_before = form.inspected_before
    pool.ratio_percent = form.ratio_percent
    pool.count = form.count
    pool.weights = weights
    pool.active = form.active
    session.add(pool)
    session.flush()
    return pool


def save_officer_pool(
    session: Session,
    principal: Principal,
    *,
    name: str,
    region_id: int,
    unit_ids: Sequence[int] = (),
    active: bool = True,
    pool_id: int | None = None,
) -> OfficerPool:
    """Create an officer pool's settings (its units in a region; none: every unit there), or change them."""
    if not name.strip():
        raise DrawError("name_missing")
    if get_region(session, principal, region_id) is None:
        raise DrawError("not_found")
    units = sorted(set(unit_ids))
    for unit in units:
        if get_visible(session, principal, Organisation, unit) is None:
            raise DrawError("not_found")
    if pool_id is not None:
        pool = get_visible(session, principal, OfficerPool, pool_id)
        if pool is None:
            raise DrawError("not_found")
    elif principal.organisation_id is None:
        raise DrawError("no_unit")
    else:
        pool = OfficerPool(organisation_id=principal.organisation_id)
    pool.name = name.strip()
    pool.region_id = region_id
    pool.unit_ids = units
    pool.active = active
    session.add(pool)
    session.flush()
    return pool


def set_pool_active(session: Session, principal: Principal, model: type[Any], pool_id: int, *, active: bool) -> None:
    """Take a pool out of the choices of new announcements, or put it back (frozen snapshots keep theirs)."""
    if model not in (EnterprisePool, OfficerPool):
        raise DrawError("not_found")
    pool = get_visible(session, principal, model, pool_id)
    if pool is None:
        raise DrawError("not_found")
    pool.active = active
    session.flush()


# --- the draw -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Announcement:
    """What a unit announces: the draw's title, region and period, its pools (with a ratio or a count per
    enterprise pool to use instead of the pool's own), the day it is drawn on, the public value's source and date,
    and the rules."""

    title: str
    region_id: int
    period_label: str
    period_start: date
    period_end: date
    draw_on: date
    seed_source: str
    seed_date: date
    enterprise_pool_ids: Sequence[int]
    officer_pool_ids: Sequence[int]
    takes: Mapping[int, tuple[Decimal | None, int | None]] | None = None
    team: int = algorithm.MIN_TEAM
    avoid_conflicts: bool = True
    avoid_last_inspectors: bool = True
    rotation_months: int = 12
    load_slack: int = 1


def _check(a: Announcement, today: date) -> None:
    if not a.title.strip():
        raise DrawError("title_missing")
    if a.period_end < a.period_start:
        raise DrawError("dates_reversed")
    if not a.enterprise_pool_ids or not a.officer_pool_ids:
        raise DrawError("no_pools")
    if not a.seed_source.strip():
        raise DrawError("seed_source_missing")
    if a.seed_date < today:
        raise DrawError("seed_date_past")
    if a.draw_on < a.seed_date:
        raise DrawError("draw_before_seed")
    if a.team < algorithm.MIN_TEAM or a.team > 10:
        raise DrawError("team_invalid")
    if not 0 <= a.rotation_months <= 60 or not 0 <= a.load_slack <= 10:
        raise DrawError("rotation_invalid")
    for ratio, count in (a.takes or {}).values():
        _check_take(ratio, count)


def _next_number(session: Session, year: int) -> str:
    prefix = f"SJ{year}"
    taken = session.scalar(select(func.count(Draw.id)).where(Draw.number.startswith(prefix))) or 0
    return f"{prefix}{taken + 1:04d}"


def _snapshot(position: int, kind: SnapshotKind, pool_id: int | None, name: str, body: dict[str, Any]) -> DrawSnapshot:
    content = algorithm.canonical(body)
    return DrawSnapshot(
        position=position,
        kind=kind,
        pool_id=pool_id,
        name=name,
        size=len(body["members"]),
        content=content.decode(),
        sha256=algorithm.sha256_hex(content),
    )


def announce(session: Session, principal: Principal, a: Announcement, *, now: datetime, zone: tzinfo) -> Draw:
    """Announce a draw: freeze its pools into snapshots as they are on the draw day, state where the seed will come
    from, and fix all of it with the announcement hash."""
    today = _local_day(now, zone)
    _check(a, today)
    if principal.organisation_id is None:
        raise DrawError("no_unit")
    if get_region(session, principal, a.region_id) is None:
        raise DrawError("not_found")
    enterprise_pools = [get_visible(session, principal, EnterprisePool, i) for i in a.enterprise_pool_ids]
    officer_pools = [get_visible(session, principal, OfficerPool, i) for i in a.officer_pool_ids]
    if any(p is None for p in enterprise_pools) or any(p is None for p in officer_pools):
        raise DrawError("not_found")
    rules = algorithm.Rules(
        draw_on=a.draw_on.isoformat(),
        team=a.team,
        avoid_conflicts=a.avoid_conflicts,
        avoid_last_inspectors=a.avoid_last_inspectors,
        rotation_months=a.rotation_months,
        load_slack=a.load_slack,
    )
    snapshots = []
    for position, pool in enumerate(enterprise_pools, start=1):
        assert pool is not None
        ratio, count = (a.takes or {}).get(pool.id, (pool.ratio_percent, pool.count))
        body = {
            "kind": str(SnapshotKind.ENTERPRISES),
            "pool_id": pool.id,
            "name": pool.name,
            "draw_on": a.draw_on.isoformat(),
            "filters": _filters(pool),
            "ratio": None if ratio is None else str(ratio),
            "count": count,
            "members": queries.pool_members(session, pool, a.draw_on),
        }
        snapshots.append(_snapshot(position, SnapshotKind.ENTERPRISES, pool.id, pool.name, body))
    officers: dict[int, dict[str, Any]] = {}
    for officer_pool in officer_pools:
        assert officer_pool is not None
        for member in queries.certified_officers(session, officer_pool, a.draw_on):
            officers.setdefault(member["user_id"], member)
    names = "、".join(p.name for p in officer_pools if p is not None)
    body = {
        "kind": str(SnapshotKind.OFFICERS),
        "pool_ids": [p.id for p in officer_pools if p is not None],
        "name": names,
        "draw_on": a.draw_on.isoformat(),
        "members": [officers[k] for k in sorted(officers)],
    }
    snapshots.append(_snapshot(len(snapshots) + 1, SnapshotKind.OFFICERS, None, names[:200], body))
    draw = Draw(
        number=_next_number(session, today.year),
        title=a.title.strip(),
        organisation_id=principal.organisation_id,
        region_id=a.region_id,
        period_label=a.period_label.strip(),
        period_start=a.period_start,
        period_end=a.period_end,
        draw_on=a.draw_on,
        status=DrawStatus.ANNOUNCED,
        algorithm=algorithm.ALGORITHM,
        rules=algorithm.canonical(rules.as_json()).decode(),
        seed_source=a.seed_source.strip(),
        seed_date=a.seed_date,
        announced_by_id=principal.user_id,
        announced_at=now.replace(microsecond=0),
        announcement_hash="",
    )
    draw.snapshots = snapshots
    draw.announcement_hash = announcement_hash(draw, snapshots)
    session.add(draw)
    session.flush()
    return draw


def _filters(pool: EnterprisePool) -> dict[str, Any]:
    return {
        "region_id": pool.region_id,
        "list_codes": list(pool.list_codes),
        "industry_prefix": pool.industry_prefix,
        "grades": list(pool.grades),
        "not_inspected_months": pool.not_inspected_months,
        "inspected_before": None if pool.inspected_before is None else pool.inspected_before.isoformat(),
        "weights": dict(sorted(pool.weights.items())),
    }


def _own(session: Session, principal: Principal, draw_id: int) -> Draw:
    draw = get_visible(session, principal, Draw, draw_id)
    if draw is None:
        raise DrawError("not_found")
    return draw


def enter_public_value(
    session: Session, principal: Principal, draw_id: int, value: str, *, now: datetime, zone: tzinfo
) -> Draw:
    """Enter the public value once its day has come: the seed is SHA-256 of the draw number and that value."""
    draw = _own(session, principal, draw_id)
    if draw.status is not DrawStatus.ANNOUNCED:
        raise DrawError("not_announced")
    if _local_day(now, zone) < draw.seed_date:
        raise DrawError("too_early", day=draw.seed_date.isoformat())
    value = value.strip()
    if not value or len(value) > 100:
        raise DrawError("value_missing")
    draw.public_value = value
    draw.seed = algorithm.seed_of(draw.number, value)
    draw.value_entered_by_id = principal.user_id
    draw.value_entered_at = now.replace(microsecond=0)
    draw.status = DrawStatus.SEEDED
    session.flush()
    return draw


def snapshot_bodies(draw: Draw) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The enterprise pools' and the officer pool's snapshots of a draw, parsed from their stored text."""
    enterprise_pools = []
    officer_pool: dict[str, Any] = {"members": []}
    for snapshot in sorted(draw.snapshots, key=lambda s: s.position):
        body = json.loads(snapshot.content)
        if snapshot.kind is SnapshotKind.OFFICERS:
            officer_pool = body
        else:
            enterprise_pools.append(body)
    return enterprise_pools, officer_pool


def run(draw: Draw) -> dict[str, Any]:
    """The algorithm over a draw's stored snapshots, seed and rules (the draw and its verification alike)."""
    enterprise_pools, officer_pool = snapshot_bodies(draw)
    rules = algorithm.Rules.from_json(json.loads(draw.rules))
    return algorithm.draw(enterprise_pools, officer_pool, draw.seed or "", rules)


def perform(session: Session, principal: Principal, draw_id: int, *, now: datetime) -> Draw:
    """Draw: run the algorithm, record the result and its assignments, chain the record to the previous one."""
    draw = _own(session, principal, draw_id)
    if draw.status is not DrawStatus.SEEDED or draw.seed is None:
        raise DrawError("not_seeded")
    try:
        result = run(draw)
    except algorithm.Unstaffable as exc:
        shown = "、".join(f"{name} ({code})" for code, name in exc.enterprises[:20])
        if len(exc.enterprises) > 20:
            shown += "……"
        raise DrawError("unstaffable", count=len(exc.enterprises), team=exc.team, names=shown) from exc
    content = algorithm.canonical(result)
    for entry in result["assignments"]:
        assignment = DrawAssignment(
            enterprise_id=entry["enterprise_id"],
            on_site=entry["on_site"],
            position=entry["position"],
            pool_position=entry["pool"],
            unit_id=entry["unit_id"],
            details={"avoided": entry["avoided"], "rotation_waived": entry["rotation_waived"]},
        )
        assignment.officers = [
            DrawAssignmentOfficer(position=i, user_id=o["user_id"], organisation_id=o["unit_id"])
            for i, o in enumerate(entry["officers"], start=1)
        ]
        draw.assignments.append(assignment)
    previous = session.scalars(
        select(Draw).where(Draw.chain_seq.is_not(None)).order_by(Draw.chain_seq.desc()).limit(1).with_for_update()
    ).first()
    draw.result = content.decode()
    draw.result_sha256 = algorithm.sha256_hex(content)
    draw.drawn_by_id = principal.user_id
    draw.drawn_at = now.replace(microsecond=0)
    draw.chain_seq = 1 if previous is None else (previous.chain_seq or 0) + 1
    draw.previous_hash = GENESIS if previous is None else previous.record_hash
    draw.record_hash = record_hash(draw)
    draw.status = DrawStatus.DRAWN
    session.flush()
    return draw
