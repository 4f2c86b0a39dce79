"""The scores per unit and per officer, the yearly summary and its most frequent deductions, worked by hand; and who
sees which reviewed files and sheets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from ecoloop.access.actions import ALLOWED, Action
from ecoloop.casereviews import queries, service
from ecoloop.casereviews.enums import FileStatus, Grade
from ecoloop.casereviews.models import ReviewFile, ReviewRound
from ecoloop.identity.models import User
from ecoloop.identity.service import principal_for
from tests.casereviews.conftest import NOW, Review, penalty_case, sheet_of
from tests.factories import World


@dataclass
class Year:
    round: ReviewRound
    a1: ReviewFile
    a2: ReviewFile
    b1: ReviewFile
    old: ReviewRound


def _round(db: Session, w: World, year: int) -> ReviewRound:
    return service.create_round(
        db,
        name=f"{year}年度行政处罚案卷评查",
        year=year,
        period_from=date(year, 1, 1),
        period_to=date(year, 12, 31),
        by=w.users["analyst"],
        now=NOW,
    )


def _file(round_: ReviewRound, case_id: int) -> ReviewFile:
    return next(f for f in round_files(round_) if f.penalty_case_id == case_id)


def round_files(round_: ReviewRound) -> list[ReviewFile]:
    session = object_session(round_)
    assert session is not None
    return list(session.scalars(select(ReviewFile).where(ReviewFile.round_id == round_.id)))


def score(db: Session, file: ReviewFile, user: User, *deductions: tuple[str, str, str]) -> None:
    service.submit_sheet(db, file, user, sheet_of(*deductions), {}, NOW)


def scored_year(db: Session, review: Review) -> Year:
    """Three files of 2026 scored by hand (see each below), and a 2025 round that the 2026 figures leave out."""
    w = review.world
    leader, analyst = w.users["leader"], w.users["analyst"]
    old_case = penalty_case(db, w, w.branch_b, [review.officer_b], closed_on=date(2025, 6, 1))
    old = _round(db, w, 2025)
    for user in (leader, analyst):
        score(db, _file(old, old_case.id), user)
    a1 = penalty_case(db, w, w.branch_a, [review.officer_a, review.officer_a2])
    a2 = penalty_case(db, w, w.branch_a, [review.officer_a])
    b1 = penalty_case(db, w, w.branch_b, [review.officer_b])
    round_ = _round(db, w, 2026)
    f1, f2, f3 = (_file(round_, c.id) for c in (a1, a2, b1))
    # A1: 95 and 97 → 96.0, excellent.
    score(db, f1, leader, ("procedure.hearing", "5", "未告知听证权"))
    score(db, f1, analyst, ("law.discretion", "3", "裁量理由简单"))
    # A2 (analyst_b and the leader): 70 and 69 → 69.5, failed and returned.
    score(
        db,
        f2,
        review.analyst_b,
        ("facts.evidence", "8", "证据不足"),
        ("law.basis", "6", "依据错误"),
        ("procedure.notice", "5", "未告知"),
        ("procedure.hearing", "5", "未告知听证权"),
        ("documents.complete", "4", "缺文书"),
        ("archive.timely", "2", "归档超期"),
    )
    score(
        db,
        f2,
        leader,
        ("facts.evidence", "8", "证据不足"),
        ("law.discretion", "8", "未适用裁量基准"),
        ("procedure.collective", "5", "未集体讨论"),
        ("procedure.hearing", "5", "未告知听证权"),
        ("filing.timely", "5", "立案超期"),
    )
    # B1: 84 and 94 → 89.0, passed.
    score(db, f3, leader, ("law.discretion", "8", "裁量畸重"), ("facts.clear", "8", "事实不清"))
    score(db, f3, analyst, ("law.discretion", "6", "裁量偏重"))
    return Year(round_, f1, f2, f3, old)


@pytest.fixture
def year(db: Session, review: Review) -> Year:
    return scored_year(db, review)


def test_the_files_were_scored_as_worked_by_hand(year: Year) -> None:
    assert [(f.score, f.grade, f.status) for f in (year.a1, year.a2, year.b1)] == [
        (Decimal(96), Grade.EXCELLENT, FileStatus.SCORED),
        (Decimal("69.5"), Grade.FAIL, FileStatus.RETURNED),
        (Decimal(89), Grade.PASS, FileStatus.SCORED),
    ]


def test_the_yearly_summary_per_unit_and_per_officer(db: Session, review: Review, year: Year) -> None:
    w = review.world
    summary = queries.summary(db, w.principal(db, "leader"), 2026)
    assert [r.id for r in summary.rounds] == [year.round.id]  # 2025's round is left out
    # All: (96 + 69.5 + 89) / 3 = 84.83 → 84.8.
    assert (summary.total.files, summary.total.mean) == (3, Decimal("84.8"))
    assert summary.total.by_grade == {Grade.EXCELLENT: 1, Grade.PASS: 1, Grade.FAIL: 1}
    units = {t.name: (t.files, t.mean, t.by_grade[Grade.FAIL], t.returned) for t in summary.units}
    # 清源区分局: (96 + 69.5) / 2 = 82.75 → 82.8, one failed and returned; 临河县分局: 89.
    assert units == {"清源区分局": (2, Decimal("82.8"), 1, 1), "临河县分局": (1, Decimal(89), 0, 0)}
    officers = {t.name: (t.unit, t.files, t.mean) for t in summary.officers}
    assert officers == {
        "Officer_A": ("清源区分局", 2, Decimal("82.8")),
        "Officer_A2": ("清源区分局", 1, Decimal(96)),
        "Officer_B": ("临河县分局", 1, Decimal(89)),
    }
    # law.discretion: A1 (3), A2 (8), B1 (8 and 6): 4 sheets, 25 points; procedure.hearing 3 sheets, 15 points.
    top = [(d.code, d.times, d.points) for d in summary.deductions[:3]]
    assert top == [
        ("law.discretion", 4, Decimal(25)),
        ("procedure.hearing", 3, Decimal(15)),
        ("facts.evidence", 2, Decimal(16)),
    ]
    assert summary.deductions[0].item == "法律适用"
    assert summary.waiting == 0
    one_round = queries.summary(db, w.principal(db, "leader"), 2025, year.old.id)
    assert (one_round.total.files, one_round.total.mean) == (1, Decimal(100))


def test_a_branch_sees_its_own_unit_s_files_and_scores(db: Session, review: Review, year: Year) -> None:
    w = review.world
    branch_a = w.principal(db, "branch_a")
    summary = queries.summary(db, branch_a, 2026)
    assert [t.name for t in summary.units] == ["清源区分局"]
    assert {t.name for t in summary.officers} == {"Officer_A", "Officer_A2"}
    assert [r.file.id for r in queries.round_files(db, branch_a, year.round.id)] == [year.a1.id, year.a2.id]
    assert [r.file.id for r in queries.in_status(db, branch_a, FileStatus.RETURNED)] == [year.a2.id]
    assert queries.in_status(db, w.principal(db, "branch_b"), FileStatus.RETURNED) == []
    assert queries.get_file(db, w.principal(db, "branch_b"), year.a1.id) is None
    # An officer of branch A sees the unit's files too.
    officer_a = principal_for(review.officer_a, db)
    assert {r.file.id for r in queries.round_files(db, officer_a, year.round.id)} == {year.a1.id, year.a2.id}


@pytest.mark.parametrize("username", ["hotline", "department", "enterprise_a"])
def test_others_see_no_reviewed_file(db: Session, review: Review, year: Year, username: str) -> None:
    p = review.world.principal(db, username)
    assert queries.round_files(db, p, year.round.id) == []
    assert queries.summary(db, p, 2026).total.files == 0


def test_a_reviewer_sees_the_files_assigned_to_them(db: Session, review: Review, year: Year) -> None:
    # analyst_b, posted at branch B, sees B's files by region and A2, which they review.
    analyst_b = principal_for(review.analyst_b, db)
    assert {r.file.id for r in queries.round_files(db, analyst_b, year.round.id)} == {year.a2.id, year.b1.id}


def test_a_unit_sees_the_sheets_only_once_the_score_is_final(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_a, [review.officer_a])
    file = _file(_round(db, w, 2026), case.id)
    score(db, file, w.users["leader"], ("law.basis", "2", "引用不全"))
    branch_a = w.principal(db, "branch_a")
    assert queries.visible_sheets(db, branch_a, file) == []
    assert queries.round_files(db, branch_a, file.round_id)[0].reviewers == []
    assert len(queries.visible_sheets(db, w.principal(db, "analyst"), file)) == 2
    score(db, file, w.users["analyst"])
    assert [s.total for s in queries.visible_sheets(db, branch_a, file)] == [Decimal(98), Decimal(100)]


def test_every_reviewer_also_reaches_the_menu_entry() -> None:
    """The entry 案卷评审 is under VIEW_PENALTIES: every role that reviews case files must hold it too."""
    assert all(Action.VIEW_PENALTIES in ALLOWED[role] for role in service.REVIEWER_ROLES)


def test_the_rounds_with_the_reader_s_files(db: Session, review: Review, year: Year) -> None:
    w = review.world
    counts = {r.round.id: (r.files, r.scored, r.returned) for r in queries.rounds(db, w.principal(db, "leader"))}
    assert counts == {year.round.id: (3, 3, 1), year.old.id: (1, 1, 0)}
    mine = {r.round.id: (r.files, r.scored, r.returned) for r in queries.rounds(db, w.principal(db, "branch_a"))}
    assert mine == {year.round.id: (2, 2, 1), year.old.id: (0, 0, 0)}
    assert [r.round.id for r in queries.rounds(db, w.principal(db, "hotline"))] == []


def test_the_files_waiting_for_a_reviewer(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_b, [review.officer_b])
    file = _file(_round(db, w, 2026), case.id)
    leader = w.principal(db, "leader")
    assert [r.file.id for r in queries.to_score(db, leader)] == [file.id]
    assert queries.to_score(db, principal_for(review.analyst_b, db)) == []  # of B: not assigned
    score(db, file, w.users["leader"])
    assert queries.to_score(db, leader) == []
    assert [r.file.id for r in queries.to_score(db, w.principal(db, "analyst"))] == [file.id]
    service.close_round(db, file.round)
    assert queries.to_score(db, w.principal(db, "analyst")) == []  # a closed round waits for nobody
