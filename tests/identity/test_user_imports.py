"""The user registry sheet: accounts with role and organisation and never a password, each new one handed a
one-time set-password link; a second import updates; every bad row named and nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.audit.service import Actor, set_actor
from ecoloop.db.base import utcnow
from ecoloop.identity.enums import Role
from ecoloop.identity.models import User
from ecoloop.identity.rules import ThrottlePolicy
from ecoloop.identity.service import LoginOutcome, authenticate, redeem_password_link
from ecoloop.identity.user_imports import import_users, template
from ecoloop.sheets.table import ImportReport
from tests.factories import World
from tests.sheets.workbooks import xlsx

HEADER = ["用户名", "姓名", "角色", "所属机构编码", "企业统一社会信用代码"]


def run(db: Session, world: World, rows: list[list[object]], header: list[str] = HEADER) -> ImportReport:
    set_actor(db, Actor(label="test"))
    return import_users(db, world.principal(db, "admin"), xlsx([header, *rows], "用户"))


def users(db: Session) -> int:
    return db.scalar(select(func.count(User.id))) or 0


def user(db: Session, name: str) -> User:
    return db.scalars(select(User).where(User.username == name)).one()


def test_new_accounts_get_a_one_time_link_and_no_password(db: Session, world: World) -> None:
    code = world.enterprise_a.credit_code
    report = run(
        db,
        world,
        [
            ["ZhangWei", "张伟", "分局", "BRANCH-371802", None],
            ["lina", "李娜", "分析员", "bureau", None],
            ["qiye-a", "企业甲", "企业", None, code],
        ],
    )
    assert report.ok, [p.describe() for p in report.problems]
    assert report.added == 3
    assert [name for name, _token in report.handover] == ["zhangwei", "lina", "qiye-a"]
    zhang = user(db, "zhangwei")
    assert (zhang.role, zhang.organisation_id) == (Role.BRANCH, world.branch_a.id)
    assert user(db, "qiye-a").enterprise_id == world.enterprise_a.id
    policy = ThrottlePolicy(5, timedelta(minutes=15), timedelta(minutes=15))
    before = authenticate(db, "zhangwei", "Chosen-pass-2026", "10.0.0.9", utcnow(), policy)
    assert before.outcome is LoginOutcome.INVALID  # no password until the link is used
    redeem_password_link(db, dict(report.handover)["zhangwei"], "Chosen-pass-2026")
    after = authenticate(db, "zhangwei", "Chosen-pass-2026", "10.0.0.9", utcnow(), policy)
    assert after.outcome is LoginOutcome.OK


def test_a_second_import_updates_role_and_organisation_and_hands_over_nothing(db: Session, world: World) -> None:
    rows: list[list[object]] = [["zhangwei", "张伟", "分局", "branch-371802", None]]
    assert run(db, world, rows).added == 1
    again = run(db, world, rows)
    assert (again.added, again.updated, again.unchanged, again.handover) == (0, 0, 1, [])
    moved = run(db, world, [["zhangwei", "张伟", "分局", "branch-371821", None]])
    assert moved.updated == 1
    assert user(db, "zhangwei").organisation_id == world.branch_b.id


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (["wang wu", "王五", "分析员", "bureau", None], "用户名", "bad_characters"),
        (["wangwu", None, "分析员", "bureau", None], "姓名", "required"),
        (["wangwu", "王五", "科员", "bureau", None], "角色", "bad_choice"),
        (["wangwu", "王五", "分析员", "nowhere", None], "所属机构编码", "organisation_unknown"),
        (["wangwu", "王五", "分析员", "branch-371802", None], "所属机构编码", "role_does_not_fit_organisation"),
        (["wangwu", "王五", "分析员", None, None], "所属机构编码", "unknown_organisation"),
        (["wangwu", "王五", "企业", None, "91371802000000099X"], "企业统一社会信用代码", "enterprise_unknown"),
        (["zhangwei", "张伟", "分局", "branch-371802", None], "用户名", "duplicate_row"),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_written(
    db: Session, world: World, row: list[object], column: str, code: str
) -> None:
    before = users(db)
    report = run(db, world, [["zhangwei", "张伟", "分局", "branch-371802", None], row])
    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, column, code)]
    assert (users(db), report.handover) == (before, [])


def test_a_sheet_with_passwords_is_refused_whole(db: Session, world: World) -> None:
    report = run(db, world, [["zhangwei", "张伟", "分局", "branch-371802", None, "Secret-2026"]], [*HEADER, "密码"])
    assert [p.code for p in report.problems] == ["password_in_file"]


def test_a_retired_account_is_not_brought_back_by_an_import(db: Session, world: World) -> None:
    world.users["analyst"].active = False
    report = run(db, world, [["analyst", "分析员", "分析员", "bureau", None]])
    assert [p.code for p in report.problems] == ["user_retired"]


def test_only_the_administrator_imports_users(db: Session, world: World) -> None:
    set_actor(db, Actor(label="test"))
    with pytest.raises(ForbiddenError):
        import_users(db, world.principal(db, "branch_a"), xlsx([HEADER, ["x", "x", "分局", "branch-371802", None]]))


def test_the_template_imports_into_the_test_city(db: Session, world: World) -> None:
    set_actor(db, Actor(label="test"))
    report = import_users(db, world.principal(db, "admin"), template())
    assert report.ok, [p.describe() for p in report.problems]
    assert len(report.handover) == 2
