"""A review round from its files to the yearly figures, on both databases: selection, independent reviewers, sheets
scored by hand, the mean, grades and vetoes, a third reviewer, files returned with the points named and the
correction cycle, and the standard's versions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.casereviews import service
from ecoloop.casereviews.enums import Basis, EventKind, FileStatus, Grade
from ecoloop.casereviews.models import ReviewEvent, ReviewFile, ReviewRound, ReviewStandard
from ecoloop.identity.models import User
from ecoloop.penalties.enums import Stage
from tests.casereviews.conftest import NOW, Review, penalty_case, sheet_of


def new_round(db: Session, review: Review, **options: Any) -> ReviewRound:
    world = review.world
    arguments: dict[str, Any] = {
        "name": "2026年度行政处罚案卷评查",
        "year": 2026,
        "period_from": date(2026, 1, 1),
        "period_to": date(2026, 12, 31),
        "by": world.users["analyst"],
        "now": NOW,
    }
    return service.create_round(db, **(arguments | options))


def file_of(db: Session, round_: ReviewRound, case_id: int) -> ReviewFile:
    return db.scalars(
        select(ReviewFile).where(ReviewFile.round_id == round_.id, ReviewFile.penalty_case_id == case_id)
    ).one()


def reviewers_of(file: ReviewFile) -> list[int]:
    return [s.reviewer_id for s in file.sheets]


def submit(db: Session, file: ReviewFile, user: User, *deductions: tuple[str, str, str], **vetoes: str) -> None:
    service.submit_sheet(db, file, user, sheet_of(*deductions), vetoes, NOW)


def test_a_round_takes_the_files_of_its_period_with_two_independent_reviewers_each(db: Session, review: Review) -> None:
    w = review.world
    a1 = penalty_case(db, w, w.branch_a, [review.officer_a, review.officer_a2])
    a2 = penalty_case(db, w, w.branch_a, [review.officer_a], closed_on=date(2026, 12, 31))
    b1 = penalty_case(db, w, w.branch_b, [review.officer_b])
    penalty_case(db, w, w.branch_a, [review.officer_a], closed_on=date(2025, 12, 31))  # before the period
    open_case = penalty_case(db, w, w.branch_a, [review.officer_a], closed_on=None, stage=Stage.DECIDED)
    round_ = new_round(db, review)
    files = db.scalars(select(ReviewFile).where(ReviewFile.round_id == round_.id).order_by(ReviewFile.id)).all()
    assert [f.penalty_case_id for f in files] == [a1.id, a2.id, b1.id]
    leader, analyst = w.users["leader"].id, w.users["analyst"].id
    # A's files: any of the three reviewers; the least loaded first. B's: never analyst_b (posted at B).
    # Each file in turn takes the least loaded independent reviewers (ties by id): a1 the leader and the analyst,
    # a2 analyst_b and the leader, b1 (not analyst_b, posted at B) the analyst and the leader.
    assert [reviewers_of(f) for f in files] == [[leader, analyst], [review.analyst_b.id, leader], [analyst, leader]]
    assert all(review.analyst_b.id not in reviewers_of(f) for f in files if f.unit_id == w.branch_b.id)
    assert [f.unit_id for f in files] == [w.branch_a.id, w.branch_a.id, w.branch_b.id]
    # The first round saves the built-in standard, in the bureau's language, as version 1.
    standard = db.get(ReviewStandard, round_.standard_id)
    assert standard is not None and standard.version == 1
    assert [i.name for i in service.standard_of(standard).items] == [
        "立案",
        "执法主体",
        "执法程序",
        "法律适用",
        "违法事实认定",
        "文书规范",
        "案卷归档",
    ]
    # By decision date, the case not yet closed is in as well.
    by_decision = new_round(db, review, basis=Basis.DECIDED)
    assert open_case.id in {
        f.penalty_case_id for f in db.scalars(select(ReviewFile).filter_by(round_id=by_decision.id))
    }


def test_the_sample_per_unit_is_drawn_again_from_the_round_s_seed(db: Session, review: Review) -> None:
    w = review.world
    a_cases = [penalty_case(db, w, w.branch_a, [review.officer_a]) for _ in range(5)]
    b1 = penalty_case(db, w, w.branch_b, [review.officer_b])
    first = new_round(db, review, per_unit=2, seed=2026)
    again = new_round(db, review, per_unit=2, seed=2026)
    picked = {f.penalty_case_id for f in db.scalars(select(ReviewFile).filter_by(round_id=first.id))}
    assert picked == {f.penalty_case_id for f in db.scalars(select(ReviewFile).filter_by(round_id=again.id))}
    assert len(picked & {c.id for c in a_cases}) == 2 and b1.id in picked
    only_a = new_round(db, review, unit_ids=[w.branch_a.id])
    assert {f.unit_id for f in db.scalars(select(ReviewFile).filter_by(round_id=only_a.id))} == {w.branch_a.id}


def test_a_file_s_score_is_the_mean_of_its_reviewers_totals(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_b, [review.officer_b])
    round_ = new_round(db, review)
    file = file_of(db, round_, case.id)
    submit(db, file, w.users["leader"], ("procedure.hearing", "5", "未告知听证权"), ("documents.wording", "1", "错字"))
    assert (file.status, file.score) == (FileStatus.UNDER_REVIEW, None)  # one of two
    submit(db, file, w.users["analyst"], ("law.discretion", "3.5", "裁量理由不充分"))
    # (94 + 96.5) / 2 = 95.25 → 95.3: excellent.
    assert (file.status, file.score, file.grade, file.vetoed) == (
        FileStatus.SCORED,
        Decimal("95.3"),
        Grade.EXCELLENT,
        False,
    )
    with pytest.raises(service.ReviewError, match="not_open"):
        submit(db, file, w.users["leader"])


def test_a_file_below_the_pass_mark_goes_back_to_its_unit_with_the_points_named(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_b, [review.officer_b])
    round_ = new_round(db, review)
    file = file_of(db, round_, case.id)
    submit(
        db,
        file,
        w.users["leader"],
        ("facts.evidence", "8", "证据链不完整"),
        ("law.basis", "6", "处罚依据引用错误"),
        ("procedure.notice", "5", "未告知陈述申辩权"),
        ("procedure.hearing", "5", "未告知听证权"),
        ("archive.timely", "2", "归档超期"),
        ("subject.certified", "3", "未出示执法证"),
        ("documents.format", "3", "格式不规范"),
        ("filing.timely", "4", "立案超期"),
    )  # 100 - 36 = 64
    submit(
        db,
        file,
        w.users["analyst"],
        ("facts.evidence", "8", "无采样记录"),
        ("law.discretion", "8", "未适用裁量基准"),
        ("procedure.collective", "5", "未经集体讨论"),
        ("procedure.notice", "5", "未告知陈述申辩权"),
        ("documents.complete", "4", "缺送达回证"),
    )  # 100 - 30 = 70
    # (64 + 70) / 2 = 67: below 70, returned.
    assert (file.score, file.grade, file.status, file.returns) == (Decimal(67), Grade.FAIL, FileStatus.RETURNED, 1)
    returned = db.scalars(select(ReviewEvent).filter_by(file_id=file.id, kind=EventKind.RETURNED)).one()
    named = {p["code"]: (p["points"], p["reasons"]) for p in returned.data["points"]}
    assert named["facts.evidence"] == ("8", ["证据链不完整", "无采样记录"])
    assert named["procedure.notice"] == ("5", ["未告知陈述申辩权"])  # the same reason named once
    assert len(named) == 11 and returned.data["score"] == "67.0"


def test_a_veto_fails_the_file_whatever_its_score(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_b, [review.officer_b])
    file = file_of(db, new_round(db, review), case.id)
    submit(db, file, w.users["leader"], subject="执法人员无执法证")
    submit(db, file, w.users["analyst"])
    assert (file.score, file.vetoed, file.grade, file.status) == (Decimal(100), True, Grade.FAIL, FileStatus.RETURNED)
    returned = db.scalars(select(ReviewEvent).filter_by(file_id=file.id, kind=EventKind.RETURNED)).one()
    assert returned.data["points"] == [
        {"code": "subject", "points": "0", "reasons": ["执法人员无执法证"], "veto": True}
    ]


def test_a_third_reviewer_settles_a_disagreement(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_a, [review.officer_a])
    file = file_of(db, new_round(db, review), case.id)
    assert sorted(reviewers_of(file)) == sorted([w.users["leader"].id, w.users["analyst"].id])
    submit(db, file, w.users["leader"], ("procedure.hearing", "5", "a"))  # 95
    submit(
        db,
        file,
        w.users["analyst"],
        ("facts.evidence", "8", "b"),
        ("law.discretion", "8", "c"),
        ("law.basis", "4", "d"),
    )  # 80
    assert file.status is FileStatus.SCORED and file.score == Decimal("87.5")  # 15 apart: the mean

    other = penalty_case(db, w, w.branch_a, [review.officer_a], closed_on=date(2026, 9, 1))
    file = file_of(db, new_round(db, review, period_from=date(2026, 9, 1)), other.id)
    submit(db, file, w.users["leader"], ("procedure.hearing", "5", "a"))  # 95
    submit(
        db,
        file,
        w.users["analyst"],
        ("facts.evidence", "8", "b"),
        ("law.discretion", "8", "c"),
        ("law.basis", "4.5", "d"),
    )
    # 95 and 79.5: 15.5 apart, so the file waits and the one reviewer left (analyst_b, of another unit) is added.
    assert (file.status, file.score) == (FileStatus.DISPUTED, None)
    assert reviewers_of(file)[-1] == review.analyst_b.id
    submit(
        db,
        file,
        review.analyst_b,
        ("facts.clear", "8", "e"),
        ("documents.complete", "4", "f"),
        ("archive.binding", "3", "g"),
    )
    # 79.5, 85, 95: the two closest are 79.5 and 85 → 82.25 → 82.3.
    assert (file.status, file.score, file.grade) == (FileStatus.SCORED, Decimal("82.3"), Grade.PASS)


def test_the_correction_cycle(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_a, [review.officer_a])
    file = file_of(db, new_round(db, review), case.id)
    submit(db, file, w.users["leader"], subject="无执法证")
    submit(db, file, w.users["analyst"])
    assert file.status is FileStatus.RETURNED
    branch_a, branch_b = w.users["branch_a"], w.users["branch_b"]
    with pytest.raises(service.ReviewError, match="not_unit"):
        service.resubmit(db, file, branch_b, w.principal(db, "branch_b"), "已整改", NOW)
    with pytest.raises(service.ReviewError, match="text_required"):
        service.resubmit(db, file, branch_a, w.principal(db, "branch_a"), "  ", NOW)
    service.resubmit(db, file, branch_a, w.principal(db, "branch_a"), "已补充执法证复印件", NOW)
    assert (file.status, file.correction) == (FileStatus.RESUBMITTED, "已补充执法证复印件")
    with pytest.raises(service.ReviewError, match="not_reviewer"):
        service.judge_correction(db, file, branch_a, w.principal(db, "branch_a"), True, "", NOW)
    with pytest.raises(service.ReviewError, match="text_required"):
        service.judge_correction(db, file, w.users["leader"], w.principal(db, "leader"), False, "", NOW)
    service.judge_correction(db, file, w.users["leader"], w.principal(db, "leader"), False, "复印件未加盖公章", NOW)
    assert (file.status, file.returns) == (FileStatus.RETURNED, 2)
    service.resubmit(db, file, review.officer_a, w.principal(db, "branch_a"), "已加盖公章", NOW)
    service.judge_correction(db, file, w.users["analyst"], w.principal(db, "analyst"), True, "", NOW)
    assert file.status is FileStatus.CORRECTED
    kinds = list(db.scalars(select(ReviewEvent.kind).filter_by(file_id=file.id).order_by(ReviewEvent.id)))
    assert kinds[-6:] == [
        EventKind.SCORED,
        EventKind.RETURNED,
        EventKind.RESUBMITTED,
        EventKind.RETURNED,
        EventKind.RESUBMITTED,
        EventKind.ACCEPTED,
    ]


def test_a_reviewer_of_the_file_s_unit_or_one_who_handled_it_is_refused(db: Session, review: Review) -> None:
    w = review.world
    analyst = w.users["analyst"]
    # The analyst handled this case of branch B (seconded): only the leader is independent of it.
    case = penalty_case(db, w, w.branch_b, [review.officer_b, analyst])
    round_ = new_round(db, review)
    file = file_of(db, round_, case.id)
    assert reviewers_of(file) == [w.users["leader"].id]  # short of the second: shown so on the round's page
    for user, code in [
        (analyst, "not_independent"),
        (review.analyst_b, "not_independent"),
        (w.users["leader"], "already_assigned"),
        (w.users["branch_a"], "not_reviewer"),
    ]:
        with pytest.raises(service.ReviewError, match=code):
            service.add_reviewer(db, file, user, analyst, NOW)
    with pytest.raises(service.ReviewError, match="not_assigned"):
        submit(db, file, analyst)


def test_a_round_keeps_the_standard_it_was_created_with(db: Session, review: Review) -> None:
    w = review.world
    first_case = penalty_case(db, w, w.branch_b, [review.officer_b])
    first = new_round(db, review)
    stricter = replace(service.standard_of(first.standard), pass_mark=Decimal(80))
    assert service.save_standard(db, stricter, "分析员", NOW).version == 2
    second_case = penalty_case(db, w, w.branch_b, [review.officer_b], closed_on=date(2026, 6, 2))
    second = new_round(db, review, unit_ids=[w.branch_b.id])
    assert second.standard.version == 2
    seventy_five = [
        ("law.discretion", "8", "裁量偏重"),
        ("law.basis", "6", "依据不准"),
        ("law.violated", "6", "条款不准"),
        ("procedure.time_limit", "2", "超期"),
        ("documents.wording", "3", "错字"),
    ]
    for round_, case, expected in [(first, first_case, Grade.PASS), (second, second_case, Grade.FAIL)]:
        file = file_of(db, round_, case.id)
        for user in ("leader", "analyst"):
            submit(db, file, w.users[user], *seventy_five)
        assert (file.score, file.grade) == (Decimal(75), expected)  # 75 passes at 70 (version 1), not at 80


def test_a_closed_round_takes_no_sheet(db: Session, review: Review) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_b, [review.officer_b])
    round_ = new_round(db, review)
    service.close_round(db, round_)
    with pytest.raises(service.ReviewError, match="round_closed"):
        submit(db, file_of(db, round_, case.id), w.users["leader"])


@pytest.mark.parametrize(
    ("deduction", "code"),
    [
        (("law.basis", "7", "r"), "sheet_points"),
        (("law.basis", "2", ""), "sheet_reason"),
        (("x.y", "1", "r"), "sheet_unknown"),
    ],
)
def test_a_sheet_the_standard_refuses_changes_nothing(
    db: Session, review: Review, deduction: tuple[str, str, str], code: str
) -> None:
    w = review.world
    case = penalty_case(db, w, w.branch_b, [review.officer_b])
    file = file_of(db, new_round(db, review), case.id)
    with pytest.raises(service.ReviewError, match=code):
        submit(db, file, w.users["leader"], deduction)
    assert all(s.submitted_at is None for s in file.sheets)


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({"name": " "}, "name"),
        ({"period_to": date(2025, 12, 31)}, "period"),
        ({"reviewers_per_file": 6}, "reviewers"),
        ({"year": 26}, "year"),
    ],
)
def test_a_round_that_cannot_be_is_refused(db: Session, review: Review, options: dict[str, Any], code: str) -> None:
    with pytest.raises(service.ReviewError, match=code):
        new_round(db, review, **options)
