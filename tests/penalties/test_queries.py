"""The worklists on a controllable day: a proposal not registered within 15 days is overdue, a decision due within
the horizon is due soon, a case awaiting a leader is listed for approval; a branch sees its county's only."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from ecoloop.penalties import procedure, queries
from ecoloop.penalties.enums import Approval, Stage
from ecoloop.penalties.procedure import Facts, Step
from tests.factories import World
from tests.penalties.conftest import Actor, propose, registered


def ids(rows: list[queries.Row]) -> list[int]:
    return [r.case.id for r in rows]


def test_worklists_on_a_given_day(db: Session, world: World, actor: Actor) -> None:
    waiting = propose(db, world, actor, today=date(2026, 3, 2))  # 立案 due 03-17
    running = registered(db, world, actor, today=date(2026, 3, 2))  # decision due 06-01
    bureau = world.principal(db, "analyst")

    def queue(name: str, day: date) -> list[int]:
        rows, total = queries.search(db, bureau, queries.Filter(queue=name), day)
        assert total == len(rows)
        return ids(rows)

    assert queue("awaiting", date(2026, 3, 10)) == [waiting.id]
    assert queue("due_soon", date(2026, 3, 10)) == [waiting.id]  # 7 days left
    assert queue("overdue", date(2026, 3, 10)) == []
    assert queue("overdue", date(2026, 3, 18)) == [waiting.id]
    assert queue("due_soon", date(2026, 5, 26)) == [running.id]  # 6 days before 06-01
    assert sorted(queue("overdue", date(2026, 6, 2))) == sorted([waiting.id, running.id])
    counts = queries.queue_counts(db, bureau, date(2026, 6, 2))
    assert counts == {"overdue": 2, "due_soon": 0, "awaiting": 1}
    [row] = [r for r in queries.search(db, bureau, queries.Filter(), date(2026, 3, 10))[0] if r.case.id == running.id]
    assert row.due is not None and row.due.day == date(2026, 6, 1)


def test_filters_and_scope(db: Session, world: World, actor: Actor) -> None:
    case = registered(db, world, actor)
    bureau = world.principal(db, "analyst")
    by_number = queries.search(db, bureau, queries.Filter(text="第1号"), date(2026, 3, 2))[0]
    assert ids(by_number) == [case.id]
    assert ids(queries.search(db, bureau, queries.Filter(stage=Stage.CLOSED), date(2026, 3, 2))[0]) == []
    county_b = queries.Filter(region_id=world.county_b.id)
    assert ids(queries.search(db, bureau, county_b, date(2026, 3, 2))[0]) == []
    assert ids(queries.search(db, world.principal(db, "branch_a"), queries.Filter(), date(2026, 3, 2))[0]) == [case.id]
    assert ids(queries.search(db, world.principal(db, "branch_b"), queries.Filter(), date(2026, 3, 2))[0]) == []
    assert queries.get(db, world.principal(db, "department"), case.id) is None


def test_candidates_follow_the_stage() -> None:
    assert procedure.candidates(Facts(Stage.PROPOSED, Approval.REGISTRATION)) == [
        Step.APPROVE_REGISTRATION,
        Step.REFUSE_REGISTRATION,
    ]
    notified = procedure.candidates(Facts(Stage.NOTIFIED))
    assert Step.REQUEST_HEARING not in notified and Step.RESUME not in notified
    assert Step.REQUEST_HEARING in procedure.candidates(Facts(Stage.NOTIFIED, hearing_right=True))
    assert procedure.candidates(Facts(Stage.DECIDED)) == [Step.SERVE]
