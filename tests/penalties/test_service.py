"""Penalty cases through the service with a controllable clock: opening with the benchmark's advice, 立案 by a
leader with the closed-loop case, the whole procedure with a hearing and a late payment, refusals, scoping."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.cases.enums import CaseSource, Category
from ecoloop.cases.models import Case
from ecoloop.cases.workflow import State
from ecoloop.penalties import clock, service
from ecoloop.penalties.enums import Approval, DecisionKind, EventKind, EvidenceKind, Stage, Suspension
from ecoloop.penalties.models import PenaltyEvent, PenaltySuspension
from ecoloop.penalties.procedure import Entry, ProcedureError, Step
from tests.factories import World
from tests.penalties.conftest import NOW, TODAY, Actor, propose, registered

JPEG = b"\xff\xd8\xff\xe0" + b"0" * 100


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


def step(db: Session, actor: Actor, case, who: str, what: Step, day: date, entry: Entry | None = None, **kw):  # type: ignore[no-untyped-def]
    return service.take_step(db, case, actor(who), what, entry or Entry(day=day), now=at(day), today=day, **kw)


def test_open_keeps_the_benchmarks_advice(db: Session, world: World, actor: Actor) -> None:
    case = propose(db, world, actor)
    assert (case.stage, case.awaiting, case.number) == (Stage.PROPOSED, Approval.REGISTRATION, None)
    assert case.recommendation["amount"] == "388000"
    assert case.recommendation["outcome"] == "penalty"
    assert "第九十九条" in case.penalty_provision
    assert [o.user_id for o in case.officers] == [world.users["inspector"].id, world.users["analyst"].id]
    assert case.region_id == world.enterprise_a.region_id
    [event] = db.scalars(select(PenaltyEvent).where(PenaltyEvent.penalty_case_id == case.id))
    assert (event.kind, event.user_id) == (EventKind.PROPOSED, world.users["inspector"].id)


@pytest.mark.parametrize(
    ("changes", "who", "code"),
    [
        ({"officer_ids": "one"}, "inspector", "officers"),
        ({"facts": " "}, "inspector", "facts_missing"),
        ({"violation_code": "NOPE"}, "inspector", "violation_unknown"),
        ({"discovered_on": TODAY + timedelta(days=1)}, "inspector", "future_day"),
        ({"officer_ids": "hotline"}, "inspector", "officer_role"),
    ],
)
def test_open_refusals(
    db: Session, world: World, actor: Actor, changes: dict[str, object], who: str, code: str
) -> None:
    changes = dict(changes)  # the parameter is shared by both databases' runs
    if changes.get("officer_ids") == "one":
        changes["officer_ids"] = [world.users["inspector"].id]
    elif changes.get("officer_ids") == "hotline":
        changes["officer_ids"] = [world.users["inspector"].id, world.users["hotline"].id]
    with pytest.raises(service.PenaltyError) as refused:
        propose(db, world, actor, **changes)
    assert refused.value.code == code


def test_a_branch_opens_only_in_its_county(db: Session, world: World, actor: Actor) -> None:
    officers = [world.users["branch_a"].id, world.users["branch_a2"].id]
    new = service.NewCase(world.enterprise_b.id, TODAY, "facts", "AIR-EXCEED", officers)
    with pytest.raises(service.PenaltyError) as refused:
        service.open_case(db, actor("branch_a"), new, now=NOW, today=TODAY)
    assert refused.value.code == "enterprise_unknown"
    mine = service.NewCase(world.enterprise_a.id, TODAY, "facts", "AIR-EXCEED", officers)
    case = service.open_case(db, actor("branch_a"), mine, now=NOW, today=TODAY)
    assert case.organisation_id == world.branch_a.id
    # Branch B sees no case of county A, and cannot act on it.
    with pytest.raises(service.PenaltyError):
        service.set_officers(db, case, actor("branch_b"), officers, NOW)


def test_registration_is_a_leaders_and_opens_the_closed_loop_case(db: Session, world: World, actor: Actor) -> None:
    case = propose(db, world, actor)
    with pytest.raises(service.PenaltyError) as refused:
        step(db, actor, case, "inspector", Step.APPROVE_REGISTRATION, TODAY, Entry())
    assert refused.value.code == "not_allowed_leader"
    step(db, actor, case, "leader", Step.APPROVE_REGISTRATION, TODAY, Entry())
    assert (case.stage, case.awaiting, case.registered_on) == (Stage.REGISTERED, None, TODAY)
    assert case.number == "〔2026〕第1号"
    loop = db.get(Case, case.case_id)
    assert loop is not None
    assert (loop.source, loop.category, loop.enterprise_id) == (CaseSource.INSPECTION, Category.AIR, case.enterprise_id)
    assert (loop.deadline, loop.state, loop.external_ref) == (date(2026, 4, 30), State.REGISTERED, case.number)
    second = registered(db, world, actor)
    assert second.number == "〔2026〕第2号"


def test_refused_registration_ends_the_case(db: Session, world: World, actor: Actor) -> None:
    case = propose(db, world, actor)
    step(db, actor, case, "leader", Step.REFUSE_REGISTRATION, TODAY, Entry())
    assert case.stage is Stage.NOT_REGISTERED and case.case_id is None


def test_the_whole_procedure_on_a_controllable_clock(db: Session, world: World, actor: Actor, tmp_path: Path) -> None:
    case = registered(db, world, actor)
    with pytest.raises(ProcedureError) as early:
        step(
            db,
            actor,
            case,
            "inspector",
            Step.NOTIFY,
            TODAY,
            Entry(day=TODAY, kind=DecisionKind.PENALTY, fine=Decimal(1)),
        )
    assert early.value.code == "no_evidence"
    item = service.add_evidence(
        db,
        case,
        actor("inspector"),
        kind=EvidenceKind.PHOTO,
        description="排口采样照片",
        collected_on=date(2026, 3, 1),
        now=NOW,
        today=TODAY,
        storage=tmp_path,
        filename="photo.jpg",
        content=JPEG,
    )
    assert case.stage is Stage.INVESTIGATING
    assert service.evidence_path(tmp_path, item).read_bytes() == JPEG
    # 告知 on Friday 03-06 of 388,000 yuan: a hearing right (from 50,000).
    notice = Entry(day=date(2026, 3, 6), kind=DecisionKind.PENALTY, fine=Decimal(388000))
    step(db, actor, case, "inspector", Step.NOTIFY, date(2026, 3, 6), notice)
    assert case.hearing_right and case.notified_fine == Decimal(388000)
    # Asked on 03-13, the 5th working day; the decision's clock stops while the hearing is pending.
    step(db, actor, case, "inspector", Step.REQUEST_HEARING, date(2026, 3, 13))
    assert case.stage is Stage.HEARING
    [pause] = db.scalars(select(PenaltySuspension).where(PenaltySuspension.penalty_case_id == case.id))
    assert (pause.kind, pause.started_on, pause.ended_on) == (Suspension.HEARING, date(2026, 3, 13), None)
    schedule = Entry(notice_on=date(2026, 3, 16), hearing_on=date(2026, 3, 25))
    step(db, actor, case, "inspector", Step.SCHEDULE_HEARING, date(2026, 3, 16), schedule)
    step(db, actor, case, "inspector", Step.HOLD_HEARING, date(2026, 3, 25))
    assert pause.ended_on == date(2026, 3, 25)
    # 12 days not counted: 2026-03-02 + 102 days = 06-12 (a Friday).
    [decision_due] = service_dues(db, case, date(2026, 3, 26))
    assert decision_due.day == date(2026, 6, 12)
    proposal = Entry(kind=DecisionKind.PENALTY, fine=Decimal(300000))
    step(db, actor, case, "inspector", Step.PROPOSE_DECISION, date(2026, 3, 26), proposal)
    assert case.awaiting is Approval.DECISION
    with pytest.raises(ProcedureError) as collective:
        step(db, actor, case, "leader", Step.APPROVE_DECISION, date(2026, 3, 26), Entry())
    assert collective.value.code == "collective_missing"
    step(db, actor, case, "leader", Step.RECORD_DISCUSSION, date(2026, 3, 27))
    step(db, actor, case, "leader", Step.APPROVE_DECISION, date(2026, 3, 27), Entry())
    assert (case.stage, case.decided_on) == (Stage.DECIDED, date(2026, 3, 27))
    step(db, actor, case, "inspector", Step.SERVE, date(2026, 3, 30))
    # Served 03-30: pay by 04-14; paid on 04-16, two days late: 3 % × 2 of 300,000 = 18,000 added.
    step(
        db,
        actor,
        case,
        "inspector",
        Step.RECORD_PAYMENT,
        date(2026, 4, 16),
        Entry(day=date(2026, 4, 16), amount=Decimal(318000)),
    )
    assert (case.stage, case.late_fee) == (Stage.EXECUTING, Decimal(18000))
    step(db, actor, case, "inspector", Step.PROPOSE_CLOSURE, date(2026, 4, 17), Entry())
    step(db, actor, case, "leader", Step.APPROVE_CLOSURE, date(2026, 4, 20), Entry())
    assert (case.stage, case.closed_on) == (Stage.CLOSED, date(2026, 4, 20))
    kinds = [
        e.kind
        for e in db.scalars(
            select(PenaltyEvent).where(PenaltyEvent.penalty_case_id == case.id).order_by(PenaltyEvent.id)
        )
    ]
    assert kinds == [
        EventKind.PROPOSED,
        EventKind.REGISTERED,
        EventKind.EVIDENCE,
        EventKind.NOTIFIED,
        EventKind.HEARING_REQUESTED,
        EventKind.HEARING_SCHEDULED,
        EventKind.HEARING_HELD,
        EventKind.DECISION_PROPOSED,
        EventKind.COLLECTIVE_DISCUSSION,
        EventKind.DECISION_APPROVED,
        EventKind.SERVED,
        EventKind.PAYMENT,
        EventKind.CLOSURE_PROPOSED,
        EventKind.CLOSED,
    ]


def service_dues(db: Session, case, today: date) -> list[clock.Due]:  # type: ignore[no-untyped-def]
    from ecoloop.penalties import queries

    return queries.dues_of(db, case, today)


def test_extension_needs_a_leader(db: Session, world: World, actor: Actor) -> None:
    case = registered(db, world, actor)
    step(db, actor, case, "inspector", Step.REQUEST_EXTENSION, TODAY, Entry(days=30))
    assert case.awaiting is Approval.EXTENSION
    with pytest.raises(ProcedureError):
        step(db, actor, case, "inspector", Step.NOTIFY, TODAY)
    step(db, actor, case, "leader", Step.APPROVE_EXTENSION, TODAY, Entry())
    assert (case.extended_days, case.extensions, case.awaiting) == (30, 1, None)
    # 90 + 30 days from 03-02: 06-30.
    [due] = service_dues(db, case, TODAY)
    assert due.day == date(2026, 6, 30)


def test_stale_version_refused(db: Session, world: World, actor: Actor) -> None:
    case = registered(db, world, actor)
    with pytest.raises(service.PenaltyError) as refused:
        step(db, actor, case, "inspector", Step.SUSPEND, TODAY, version=case.version - 1)
    assert refused.value.code == "concurrent_edit"


@pytest.mark.parametrize(
    ("filename", "content", "code"),
    [("x.exe", b"MZ", "evidence_type"), ("x.jpg", b"not a jpeg", "evidence_content"), ("x.pdf", b"", "evidence_empty")],
)
def test_evidence_files_checked(
    db: Session, world: World, actor: Actor, tmp_path: Path, filename: str, content: bytes, code: str
) -> None:
    case = registered(db, world, actor)
    with pytest.raises(service.PenaltyError) as refused:
        service.add_evidence(
            db,
            case,
            actor("inspector"),
            kind=EvidenceKind.DOCUMENT,
            description="d",
            collected_on=TODAY,
            now=NOW,
            today=TODAY,
            storage=tmp_path,
            filename=filename,
            content=content,
        )
    assert refused.value.code == code


def test_versions_of_limits_and_benchmark(db: Session, world: World, actor: Actor) -> None:
    service.save_limits(db, clock.Limits(decision_days=60), date(2026, 4, 1), "analyst", NOW)
    assert service.limits_for(db, date(2026, 3, 31)).decision_days == 90
    assert service.limits_for(db, date(2026, 4, 1)).decision_days == 60
    table = service.default_benchmark_json()
    changed = {**table, "violations": [{**table["violations"][0], "minimum": "200000"}, *table["violations"][1:]]}
    row = service.save_benchmark(db, changed, date(2026, 4, 1), "analyst", NOW)
    before = propose(db, world, actor, today=TODAY)
    after = propose(db, world, actor, today=date(2026, 4, 1), discovered_on=date(2026, 4, 1))
    assert before.recommendation["statutory_min"] == "100000"
    assert after.recommendation["statutory_min"] == "200000"
    assert (before.benchmark_version_id, after.benchmark_version_id) == (None, row.id)
