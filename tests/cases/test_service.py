"""Cases through the service: the loop with real parties, refusals, merge and reopen, concurrent edits,
attachments, deadline escalation with a controlled clock, and who sees which case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.scope import scoped
from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.enums import CaseSource, Category, EventKind
from ecoloop.cases.models import Case, CaseEvent
from ecoloop.cases.rules import EscalationPolicy, Step
from ecoloop.cases.service import (
    Acting,
    CaseError,
    ConcurrentEditError,
    act,
    add_attachment,
    escalate,
    extend_deadline,
    register_case,
    supervise,
)
from ecoloop.cases.workflow import Action, IllegalTransitionError, State
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.identity.models import User
from ecoloop.settings import Settings
from tests.factories import World

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


def acting(db: Session, world: World, name: str) -> Acting:
    return Acting(world.users[name], world.principal(db, name))


def new_case(db: Session, world: World, **overrides: object) -> Case:
    fields: dict[str, object] = {
        "source": CaseSource.CENTRAL_SUPERVISION,
        "category": Category.WATER,
        "title": "东王庄村生活污水直排入河",
        "region": world.village_b,
        "enterprise_id": world.enterprise_b.id,
        "now": NOW,
    }
    return register_case(db, acting(db, world, "analyst"), **(fields | overrides))  # type: ignore[arg-type]


def step(db: Session, world: World, case: Case, who: str, action: Action, **kwargs: object) -> CaseEvent:
    return act(db, case, acting(db, world, who), action, seen_version=case.version, now=NOW, **kwargs)  # type: ignore[arg-type]


def test_the_loop_with_real_parties(db: Session, world: World) -> None:
    case = new_case(db, world)
    assert case.number == f"AJ{NOW.year}-000001" and case.state is State.REGISTERED
    with pytest.raises(IllegalTransitionError) as early:
        step(db, world, case, "analyst", Action.ACCEPT)
    assert early.value.code == "illegal_state"
    step(db, world, case, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=30))
    assert (case.state, case.lead_unit_id) == (State.ASSIGNED, world.department.id)
    # Only the lead unit accepts; the supervisor cannot do it for them.
    with pytest.raises(IllegalTransitionError) as not_theirs:
        step(db, world, case, "analyst", Action.ACCEPT)
    assert not_theirs.value.code == "not_your_step"
    step(db, world, case, "department", Action.ACCEPT)
    step(db, world, case, "department", Action.REPORT)
    with pytest.raises(IllegalTransitionError):
        step(db, world, case, "department", Action.START_VERIFICATION)  # a unit does not verify its own work
    step(db, world, case, "branch_b", Action.START_VERIFICATION)  # the county's branch supervises
    step(db, world, case, "branch_b", Action.FAIL, reason="现场仍有污水溢流")
    assert case.state is State.RECTIFYING
    step(db, world, case, "department", Action.REPORT)
    step(db, world, case, "analyst", Action.START_VERIFICATION)
    step(db, world, case, "analyst", Action.PASS)
    assert case.state is State.CLOSED and case.closed_at == NOW
    kinds = [e.kind for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id))]
    assert kinds == [
        EventKind.REGISTERED,
        EventKind.ASSIGNED,
        EventKind.ACCEPTED,
        EventKind.REPORTED,
        EventKind.VERIFICATION_STARTED,
        EventKind.FAILED,
        EventKind.REPORTED,
        EventKind.VERIFICATION_STARTED,
        EventKind.PASSED,
    ]
    # A branch of another county is no party to this case.
    with pytest.raises(IllegalTransitionError):
        step(db, world, case, "branch_a", Action.REOPEN, reason="返黑返臭")
    step(db, world, case, "analyst", Action.REOPEN, reason="返黑返臭", deadline=TODAY + timedelta(days=60))
    assert case.state is State.RECTIFYING and case.closed_at is None


def test_return_reassign_and_merge(db: Session, world: World) -> None:
    case = new_case(db, world)
    step(db, world, case, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=10))
    with pytest.raises(IllegalTransitionError) as no_reason:
        step(db, world, case, "department", Action.RETURN)
    assert no_reason.value.code == "reason_required"
    step(db, world, case, "department", Action.RETURN, reason="不属于住建部门职责")
    assert (case.state, case.lead_unit_id) == (State.RETURNED, None)
    with pytest.raises(CaseError) as missing:
        step(db, world, case, "analyst", Action.ASSIGN, unit=world.branch_b)
    assert missing.value.code == "unit_and_deadline_required"
    step(
        db, world, case, "analyst", Action.ASSIGN, unit=world.branch_b, deadline=TODAY + timedelta(days=10),
        co_units=[world.department],
    )  # fmt: skip
    assert [u.organisation_id for u in case.co_units] == [world.department.id]
    duplicate = new_case(db, world, title="东王庄村污水问题 (重复举报)")
    step(db, world, duplicate, "analyst", Action.MERGE, reason="与原案件为同一问题", merge_into=case)
    assert (duplicate.state, duplicate.merged_into_id) == (State.MERGED, case.id)
    third = new_case(db, world)
    with pytest.raises(CaseError):
        step(db, world, third, "analyst", Action.MERGE, reason="x", merge_into=duplicate)


def test_a_stale_copy_is_refused(db: Session, world: World) -> None:
    case = new_case(db, world)
    seen = case.version
    step(db, world, case, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=5))
    with pytest.raises(ConcurrentEditError):
        act(db, case, acting(db, world, "department"), Action.ACCEPT, seen_version=seen, now=NOW)


@pytest.fixture
def two_sessions(app_settings: Settings) -> Iterator[tuple[Session, Session]]:
    sessions = make_session_factory(make_engine(app_settings.database_url))
    with sessions() as first, sessions() as second:
        yield first, second


def test_concurrent_edits_in_two_sessions(
    app_db: Session, app_world: World, two_sessions: tuple[Session, Session]
) -> None:
    """Two users saw the same version of a case; the first one's step commits; the second one's step, made on
    what they saw, is refused instead of silently overwriting (each request loads the case afresh and names
    the version its user saw)."""
    set_actor(app_db, Actor(label="test"))
    case = new_case(app_db, app_world)
    step(
        app_db, app_world, case, "analyst", Action.ASSIGN, unit=app_world.department, deadline=TODAY + timedelta(days=9)
    )
    app_db.commit()
    seen = case.version
    first, second = two_sessions
    for session in (first, second):
        set_actor(session, Actor(label="test"))

    def who(session: Session, name: str) -> Acting:
        user = session.scalars(select(User).where(User.username == name)).one()
        return Acting(user, app_world.principal(session, name))

    mine = first.get(Case, case.id)
    assert mine is not None
    act(first, mine, who(first, "department"), Action.ACCEPT, seen_version=seen, now=NOW)
    first.commit()
    theirs = second.get(Case, case.id)
    assert theirs is not None
    with pytest.raises(ConcurrentEditError):
        act(second, theirs, who(second, "department"), Action.RETURN, seen_version=seen, now=NOW, reason="x")
    second.rollback()
    assert second.get(Case, case.id).state is State.RECTIFYING  # type: ignore[union-attr]


def test_attachments_are_checked(db: Session, world: World, tmp_path: Path) -> None:
    case = new_case(db, world)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    kwargs = {"storage": tmp_path, "now": NOW}
    with pytest.raises(CaseError) as not_yet:
        add_attachment(db, case, acting(db, world, "department"), filename="a.png", content=png, **kwargs)  # type: ignore[arg-type]
    assert not_yet.value.code == "not_allowed"  # not assigned to the department yet
    step(db, world, case, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=9))
    step(db, world, case, "department", Action.ACCEPT)
    unit = acting(db, world, "department")
    for name, content, code in [
        ("evil.exe", b"MZ", "attachment_type"),
        ("photo.png", b"GIF89a", "attachment_content"),
        ("empty.pdf", b"", "attachment_empty"),
        ("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), "attachment_too_large"),
    ]:
        with pytest.raises(CaseError) as refused:
            add_attachment(db, case, unit, filename=name, content=content, **kwargs)  # type: ignore[arg-type]
        assert refused.value.code == code
    attachment = add_attachment(db, case, unit, filename="../整改后照片.png", content=png, **kwargs)  # type: ignore[arg-type]
    assert attachment.filename == "整改后照片.png" and attachment.size == len(png)
    assert (tmp_path / attachment.sha256[:2] / attachment.sha256).read_bytes() == png
    with pytest.raises(CaseError) as foreign:  # the case concerns enterprise B, not A
        add_attachment(db, case, acting(db, world, "enterprise_a"), filename="x.png", content=png, **kwargs)  # type: ignore[arg-type]
    assert foreign.value.code == "not_allowed"
    own = new_case(db, world, enterprise_id=world.enterprise_a.id, region=world.village_a)
    step(db, world, own, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=9))
    step(db, world, own, "department", Action.ACCEPT)
    evidence = add_attachment(
        db, own, acting(db, world, "enterprise_a"), filename="整改.pdf", content=b"%PDF-1.7", **kwargs
    )  # type: ignore[arg-type]
    assert evidence.content_type == "application/pdf"


def test_deadline_escalation_with_a_controlled_clock(db: Session, world: World) -> None:
    policy = EscalationPolicy(warn_days=3, supervise_after_days=0, interview_after_supervisions=2)
    deadline = TODAY + timedelta(days=10)
    case = new_case(db, world)
    step(db, world, case, "analyst", Action.ASSIGN, unit=world.department, deadline=deadline)
    step(db, world, case, "department", Action.ACCEPT)

    def run(day: date) -> dict[Step, int]:
        when = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
        return {k: v for k, v in escalate(db, when, day, policy).items() if v}

    assert run(deadline - timedelta(days=4)) == {}
    assert run(deadline - timedelta(days=3)) == {Step.WARN: 1}
    assert run(deadline - timedelta(days=2)) == {}  # one reminder per deadline
    assert run(deadline) == {}
    assert run(deadline + timedelta(days=1)) == {Step.MARK_OVERDUE: 1, Step.SUPERVISE: 1}
    assert case.overdue
    assert run(deadline + timedelta(days=2)) == {}  # one 督办 per overdue episode
    later = deadline + timedelta(days=20)
    granted = datetime.combine(deadline + timedelta(days=3), datetime.min.time(), UTC) + timedelta(hours=10)
    analyst = acting(db, world, "analyst")
    extend_deadline(db, case, analyst, later, "汛期施工受阻", seen_version=case.version, now=granted)
    assert not case.overdue
    assert run(later - timedelta(days=1)) == {Step.WARN: 1}
    assert run(later + timedelta(days=1)) == {Step.MARK_OVERDUE: 1, Step.SUPERVISE: 1, Step.PROPOSE_INTERVIEW: 1}
    assert run(later + timedelta(days=5)) == {}
    notices = [
        e.data["notice"]
        for e in db.scalars(select(CaseEvent).where(CaseEvent.kind == EventKind.SUPERVISED).order_by(CaseEvent.id))
    ]
    assert notices == ["DB2026-0001", "DB2026-0002"]
    # A reported rectification stops the clock.
    other = new_case(db, world)
    step(db, world, other, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=1))
    step(db, world, other, "department", Action.ACCEPT)
    step(db, world, other, "department", Action.REPORT)
    assert run(TODAY + timedelta(days=30)) == {}


def test_a_leader_issues_a_supervision_notice(db: Session, world: World) -> None:
    case = new_case(db, world)
    with pytest.raises(CaseError):
        supervise(db, case, acting(db, world, "analyst"), "请加快整改", NOW)
    event = supervise(db, case, acting(db, world, "leader"), "请加快整改", NOW)
    assert event.kind is EventKind.SUPERVISED and event.data == {"notice": f"DB{NOW.year}-0001", "automatic": False}


def test_who_sees_which_case(db: Session, world: World) -> None:
    mine = new_case(db, world, enterprise_id=world.enterprise_a.id, region=world.village_a)
    step(db, world, mine, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=9))
    other = new_case(db, world)

    def visible(name: str) -> set[int]:
        return set(db.scalars(scoped(select(Case.id), world.principal(db, name), Case)))

    assert visible("analyst") == {mine.id, other.id}
    assert visible("branch_a") == {mine.id} and visible("branch_b") == {other.id}
    assert visible("department") == {mine.id}  # assigned to it
    assert visible("enterprise_a") == {mine.id}
    with pytest.raises(CaseError):
        register_case(
            db, acting(db, world, "branch_a"), source=CaseSource.INSPECTION, category=Category.AIR, title="x",
            region=world.village_b, now=NOW,
        )  # fmt: skip
    with pytest.raises(CaseError):
        register_case(
            db, acting(db, world, "department"), source=CaseSource.INSPECTION, category=Category.AIR, title="x",
            region=world.village_a, now=NOW,
        )  # fmt: skip


def test_long_term_cases_have_yearly_milestones(db: Session, world: World) -> None:
    from ecoloop.cases.enums import MilestoneStatus
    from ecoloop.cases.service import add_milestone, complete_milestone, review_milestones

    analyst = acting(db, world, "analyst")
    short = new_case(db, world)
    with pytest.raises(CaseError) as not_long:
        add_milestone(db, short, analyst, year=2026, target="x", due=date(2026, 12, 31), now=NOW)
    assert not_long.value.code == "not_long_term"
    case = new_case(db, world, long_term=True, title="柳林河流域污水管网改造 (2026-2028)")
    step(db, world, case, "analyst", Action.ASSIGN, unit=world.department, deadline=date(2028, 12, 31))
    first = add_milestone(db, case, analyst, year=2026, target="完成 3 km 管网改造", due=date(2026, 12, 31), now=NOW)
    second = add_milestone(db, case, analyst, year=2027, target="完成 5 km 管网改造", due=date(2027, 12, 31), now=NOW)
    with pytest.raises(CaseError):
        add_milestone(db, case, acting(db, world, "department"), year=2028, target="x", due=date(2028, 6, 30), now=NOW)
    with pytest.raises(CaseError) as twice:
        add_milestone(db, case, analyst, year=2026, target="again", due=date(2026, 12, 31), now=NOW)
    assert twice.value.code == "milestone_exists"
    assert review_milestones(db, date(2026, 12, 31)) == 2  # pending → on schedule
    assert (first.status, second.status) == (MilestoneStatus.ON_SCHEDULE, MilestoneStatus.ON_SCHEDULE)
    assert review_milestones(db, date(2027, 1, 1)) == 1  # the 2026 target passed undone
    assert first.status is MilestoneStatus.BEHIND
    complete_milestone(
        db, case, first, acting(db, world, "department"), done_on=date(2027, 1, 20), note="已完成", now=NOW
    )
    assert first.status is MilestoneStatus.DONE and review_milestones(db, date(2027, 2, 1)) == 0


def test_a_department_does_not_see_another_departments_case(db: Session, world: World) -> None:
    from ecoloop.identity.enums import DepartmentType, OrgKind, Role
    from ecoloop.identity.models import Organisation
    from tests.factories import add_user

    water = Organisation(
        code="dept-water", name="清源市水利局", kind=OrgKind.DEPARTMENT, region_id=world.city.id,
        department_type=DepartmentType.WATER_RESOURCES,
    )  # fmt: skip
    db.add(water)
    db.flush()
    world.users["water"] = add_user(db, "water", Role.DEPARTMENT, water)
    housing_case = new_case(db, world, title="工地扬尘")
    step(db, world, housing_case, "analyst", Action.ASSIGN, unit=world.department, deadline=TODAY + timedelta(days=9))
    water_case = new_case(db, world, title="河道排污口")
    step(db, world, water_case, "analyst", Action.ASSIGN, unit=water, deadline=TODAY + timedelta(days=9))
    helped = new_case(db, world, title="城区黑臭水体")
    step(
        db, world, helped, "analyst", Action.ASSIGN, unit=water, deadline=TODAY + timedelta(days=9),
        co_units=[world.department],
    )  # fmt: skip

    def visible(name: str) -> set[int]:
        return set(db.scalars(scoped(select(Case.id), world.principal(db, name), Case)))

    assert visible("department") == {housing_case.id, helped.id}  # its own, and the one it helps with
    assert visible("water") == {water_case.id, helped.id}
    with pytest.raises(IllegalTransitionError):  # a co-unit does not act for the lead unit
        step(db, world, helped, "department", Action.ACCEPT)


def test_no_case_is_registered_in_a_retired_region(db: Session, world: World) -> None:
    world.village_b.active = False
    with pytest.raises(CaseError) as refused:
        new_case(db, world)
    assert refused.value.code == "region_retired"


def test_the_bureaus_calendar_entries_replace_and_clear(db: Session, world: World) -> None:
    from ecoloop.cases.queries import calendar_entries, work_calendar
    from ecoloop.cases.service import clear_calendar_day, set_calendar_day

    set_calendar_day(db, date(2027, 2, 7), True, "  春节调休\n上班 ")
    set_calendar_day(db, date(2027, 2, 7), False, "春节")  # the same day again: replaced
    set_calendar_day(db, date(2027, 2, 8), False, "春节")
    assert [(e.day, e.workday, e.name) for e in calendar_entries(db, 2027)] == [
        (date(2027, 2, 7), False, "春节"),
        (date(2027, 2, 8), False, "春节"),
    ]
    assert not work_calendar(db).is_workday(date(2027, 2, 8))
    assert clear_calendar_day(db, date(2027, 2, 8)) and not clear_calendar_day(db, date(2027, 2, 8))
    assert work_calendar(db).is_workday(date(2027, 2, 8))  # a Monday: the weekday rule of a year the bureau entered
