"""Warnings through the service: prepared, signed (审签), issued, changed and lifted, each change in the log and
pushed; steps out of order refused in words."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.roles import Role
from ecoloop.alerts.models import Webhook
from ecoloop.episodes import service
from ecoloop.episodes.enums import ChangeKind, WarningLevel, WarningStatus
from ecoloop.episodes.models import WarningChange, WarningDelivery, WarningNotice
from ecoloop.episodes.queries import level_periods
from ecoloop.episodes.service import WarningError, error_text
from tests.episodes.conftest import NOW, H, draft, issued
from tests.factories import World, add_user


def test_a_warning_goes_from_draft_through_signature_to_issued_and_lifted(db: Session, world: World) -> None:
    analyst, leader = world.users["analyst"], world.users["leader"]
    w = service.prepare(db, analyst, draft(), now=NOW)
    assert (w.number, w.status, w.city_wide) == ("ZWR2026-001", WarningStatus.DRAFT, True)
    service.submit(db, analyst, w.id, now=NOW)
    assert w.status is WarningStatus.AWAITING_APPROVAL
    service.approve(db, leader, w.id, note="同意发布", now=NOW + H)
    assert (w.status, w.approved_by_id, w.approved_at) == (WarningStatus.APPROVED, leader.id, NOW + H)
    service.issue(db, analyst, w.id, now=NOW + H)
    start = NOW + 8 * H
    service.change_level(
        db, analyst, w.id, level=WarningLevel.ORANGE, effective_at=start + 12 * H, reason="会商", approver_id=leader.id,
        now=NOW + 2 * H,
    )  # fmt: skip
    service.change_level(db, leader, w.id, level=WarningLevel.YELLOW, effective_at=start + 30 * H, reason="好转",
                         now=start + 29 * H)  # fmt: skip
    service.extend(db, leader, w.id, planned_end=start + 60 * H, reason="持续", now=start + 40 * H)
    service.lift(db, leader, w.id, effective_at=start + 50 * H, reason="空气质量好转", now=start + 50 * H)
    assert w.status is WarningStatus.LIFTED
    log = db.scalars(select(WarningChange).where(WarningChange.warning_id == w.id).order_by(WarningChange.seq)).all()
    assert [(c.kind, c.level, c.effective_at, c.approver_id) for c in log] == [
        (ChangeKind.ISSUE, WarningLevel.YELLOW, start, leader.id),
        (ChangeKind.UPGRADE, WarningLevel.ORANGE, start + 12 * H, leader.id),
        (ChangeKind.DOWNGRADE, WarningLevel.YELLOW, start + 30 * H, leader.id),
        (ChangeKind.EXTEND, WarningLevel.YELLOW, start + 40 * H, leader.id),
        (ChangeKind.LIFT, WarningLevel.YELLOW, start + 50 * H, leader.id),
    ]
    periods = level_periods(db, start, start + 100 * H)
    assert [(p.level, p.start, p.end) for p in periods] == [
        (WarningLevel.YELLOW, start, start + 12 * H),
        (WarningLevel.ORANGE, start + 12 * H, start + 30 * H),
        (WarningLevel.YELLOW, start + 30 * H, start + 50 * H),
    ]


def test_numbers_follow_each_other_within_the_year(db: Session, world: World) -> None:
    analyst = world.users["analyst"]
    numbers = [service.prepare(db, analyst, draft(), now=NOW).number for _ in range(3)]
    assert numbers == ["ZWR2026-001", "ZWR2026-002", "ZWR2026-003"]


def _refused(code: str, call: object) -> None:
    assert callable(call)
    with pytest.raises(WarningError) as caught:
        call()
    assert caught.value.code == code
    assert error_text(caught.value)  # said in words


def test_steps_out_of_order_are_refused_in_words(db: Session, world: World) -> None:
    analyst, leader = world.users["analyst"], world.users["leader"]
    _refused("start_passed", lambda: service.prepare(db, analyst, draft(planned_start=NOW - H), now=NOW))
    _refused("end_before_start", lambda: service.prepare(db, analyst, draft(planned_end=NOW), now=NOW))
    _refused("aqi_invalid", lambda: service.prepare(db, analyst, draft(peak_aqi=501), now=NOW))
    _refused("county_invalid", lambda: service.prepare(db, analyst, draft(county_ids=(world.town_a.id,)), now=NOW))
    w = service.prepare(db, analyst, draft(), now=NOW)
    _refused("not_awaiting", lambda: service.approve(db, leader, w.id, now=NOW))
    _refused("not_approved", lambda: service.issue(db, analyst, w.id, now=NOW))
    service.submit(db, analyst, w.id, now=NOW)
    _refused("not_leader", lambda: service.approve(db, analyst, w.id, now=NOW))
    _refused("refusal_reason", lambda: service.refuse(db, leader, w.id, note=" ", now=NOW))
    service.refuse(db, leader, w.id, note="依据不足", now=NOW)
    assert w.status is WarningStatus.REFUSED
    service.submit(db, analyst, w.id, now=NOW)
    service.approve(db, leader, w.id, now=NOW)
    _refused("not_in_force", lambda: service.lift(db, leader, w.id, effective_at=NOW, reason="x", now=NOW))
    service.issue(db, analyst, w.id, now=NOW)
    start = NOW + 8 * H
    change = dict(effective_at=start + H, reason="会商", now=NOW)
    _refused("same_level", lambda: service.change_level(db, leader, w.id, level=WarningLevel.YELLOW, **change))
    _refused("approver_needed", lambda: service.change_level(db, analyst, w.id, level=WarningLevel.RED, **change))
    _refused(
        "approver_needed",
        lambda: service.change_level(db, analyst, w.id, level=WarningLevel.RED, approver_id=analyst.id, **change),
    )
    _refused(
        "before_last",
        lambda: service.change_level(db, leader, w.id, level=WarningLevel.RED, effective_at=start - H, reason="x",
                                     now=NOW),
    )  # fmt: skip
    _refused(
        "start_passed",
        lambda: service.change_level(db, leader, w.id, level=WarningLevel.RED, effective_at=start + H, reason="x",
                                     now=start + 2 * H),
    )  # fmt: skip
    _refused(
        "ended",
        lambda: service.change_level(db, leader, w.id, level=WarningLevel.RED, effective_at=NOW + 56 * H, reason="x",
                                     now=NOW + 56 * H),
    )  # fmt: skip
    _refused("no_later_end", lambda: service.extend(db, leader, w.id, planned_end=NOW + 50 * H, reason="x", now=NOW))
    service.lift(db, leader, w.id, effective_at=start + 10 * H, reason="好转", now=start + 10 * H)
    _refused("not_in_force", lambda: service.lift(db, leader, w.id, effective_at=start + 11 * H, reason="x", now=NOW))
    _refused("not_draft", lambda: service.submit(db, analyst, w.id, now=NOW))


def test_a_lift_after_the_planned_end_closes_the_warning_at_that_end(db: Session, world: World) -> None:
    w = issued(db, world)
    late = NOW + 100 * H
    change = service.lift(db, world.users["leader"], w.id, effective_at=late, reason="结束", now=late)
    assert change.effective_at == w.lifted_at == NOW + 56 * H


def test_a_change_is_pushed_to_the_units_and_enterprises_of_the_area(db: Session, world: World) -> None:
    ent_b = add_user(db, "enterprise_b", Role.ENTERPRISE, enterprise=world.enterprise_b)
    bureau_hook = Webhook(organisation_id=world.bureau.id, url="https://a.example/h", secret="s1")
    branch_b_hook = Webhook(organisation_id=world.branch_b.id, url="https://b.example/h", secret="s2")
    db.add_all([bureau_hook, branch_b_hook])
    db.flush()
    county = issued(db, world, county_ids=(world.county_a.id,))
    told = set(db.scalars(select(WarningNotice.user_id).where(WarningNotice.warning_id == county.id)))
    u = world.users
    assert told == {
        u[name].id
        for name in ("admin", "leader", "analyst", "inspector", "hotline", "department", "branch_a", "enterprise_a")
    }
    hooks = db.scalars(select(WarningDelivery.webhook_id).where(WarningDelivery.change_id == county.changes[0].id))
    assert set(hooks) == {bureau_hook.id}

    city = issued(db, world)
    told = set(db.scalars(select(WarningNotice.user_id).where(WarningNotice.warning_id == city.id)))
    assert {u["branch_b"].id, ent_b.id, u["branch_a"].id} <= told
    hooks = db.scalars(select(WarningDelivery.webhook_id).where(WarningDelivery.change_id == city.changes[0].id))
    assert set(hooks) == {bureau_hook.id, branch_b_hook.id}
    # Every change in force is pushed: an upgrade makes a second notice per user.
    service.change_level(db, u["leader"], city.id, level=WarningLevel.RED, effective_at=NOW + 9 * H, reason="加重",
                         now=NOW)  # fmt: skip
    assert len(db.scalars(select(WarningNotice).where(WarningNotice.user_id == ent_b.id)).all()) == 2
    assert service.mark_read(db, ent_b.id, city.id, now=NOW) == 2
    assert service.mark_read(db, ent_b.id, city.id, now=NOW) == 0


def test_the_change_log_is_never_rewritten(db: Session, world: World) -> None:
    w = issued(db, world)
    change = w.changes[0]
    change.reason = "改写"
    with pytest.raises(Exception, match="written once"):
        db.flush()
