"""The organisation registry sheet: branches and departments with their regions, parents, covered regions and
duties; a second import updates; every bad row named and nothing written; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.audit.models import AuditRecord
from ecoloop.audit.service import Actor, set_actor
from ecoloop.identity.enums import Category, DepartmentType, OrgKind
from ecoloop.identity.models import Organisation
from ecoloop.identity.org_imports import import_organisations, template
from ecoloop.sheets.table import ImportReport
from tests.factories import World
from tests.sheets.workbooks import xlsx

HEADER = ["机构编码", "机构名称", "机构类型", "部门类别", "所在区划代码", "上级机构编码", "负责区划", "职责"]


def run(db: Session, world: World, rows: list[list[object]], user: str = "admin") -> ImportReport:
    set_actor(db, Actor(label="test"))
    return import_organisations(db, world.principal(db, user), xlsx([HEADER, *rows], "机构"))


def org(db: Session, code: str) -> Organisation:
    return db.scalars(select(Organisation).where(Organisation.code == code)).one()


def organisations(db: Session) -> int:
    return db.scalar(select(func.count(Organisation.id))) or 0


def test_departments_with_parents_in_the_sheet_covered_regions_and_duties(db: Session, world: World) -> None:
    report = run(
        db,
        world,
        [
            ["ENV-POLICE-A", "清源区环食药侦大队", "部门", "公安", "371802", "POLICE-A", "371802001000", "大气、固废"],
            ["police-a", "清源区公安分局", "责任部门", "公安", 371802, None, None, None],
            ["branch-371802", "清源市生态环境局清源区分局", "分局", None, "371802", None, None, "大气，水；噪声"],
        ],
    )
    assert report.ok, [p.describe() for p in report.problems]
    assert (report.added, report.updated, report.unchanged) == (2, 1, 0)
    squad = org(db, "env-police-a")
    assert squad.kind is OrgKind.DEPARTMENT
    assert squad.department_type is DepartmentType.POLICE
    assert squad.parent_id == org(db, "police-a").id
    assert org(db, "police-a").parent_id == world.bureau.id  # no parent written: under the bureau
    assert [c.region_id for c in squad.covered] == [world.town_a.id]
    assert {d.category for d in squad.duties} == {Category.AIR, Category.SOLID_WASTE}
    assert {d.category for d in world.branch_a.duties} == {Category.AIR, Category.WATER, Category.NOISE}
    assert world.branch_a.name == "清源市生态环境局清源区分局"
    recorded = db.scalar(select(func.count(AuditRecord.id)).where(AuditRecord.entity_type == "organisation_duties"))
    assert recorded == 5  # the history of duties is kept


def test_a_second_import_changes_nothing_and_a_changed_duty_is_an_update(db: Session, world: World) -> None:
    rows: list[list[object]] = [["police-a", "清源区公安分局", "部门", "公安", "371802", None, "371802001000", "大气"]]
    assert run(db, world, rows).added == 1
    again = run(db, world, rows)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    rows[0][7] = "噪声"
    changed = run(db, world, rows)
    assert (changed.updated, [d.category for d in org(db, "police-a").duties]) == (1, [Category.NOISE])


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (["x-1", "某局", "部门", None, "371802", None, None, None], "部门类别", "department_needs_type"),
        (["x-1", "某分局", "分局", "公安", "371802", None, None, None], "部门类别", "department_needs_type"),
        (["x-1", "某局", "部门", "公安", "999999", None, None, None], "所在区划代码", "region_unknown"),
        (["x-1", "某局", "部门", "公安", "371802", None, "371802999000", None], "负责区划", "region_unknown"),
        (["x-1", "某分局", "分局", None, "371802001000", None, None, None], "所在区划代码", "branch_in_county"),
        (["x-1", "某局", "部门", "公安", "371802", "nobody", None, None], "上级机构编码", "parent_unknown"),
        (["x-1", "某局", "部门", "公安", "371802", "X-1", None, None], "上级机构编码", "parent_is_self"),
        (["x-1", "某局", "生态环境局", None, "371800", None, None, None], "机构类型", "bureau_by_init"),
        (["dept-housing", "某分局", "分局", None, "371802", None, None, None], "机构类型", "kind_changed"),
        (["x-1", "某局", "部门", "公安", "371802", None, None, "空气质量"], "职责", "bad_choice"),
        (["x-1", "某局", "科室", None, "371802", None, None, None], "机构类型", "bad_choice"),
        (["x/1", "某局", "部门", "公安", "371802", None, None, None], "机构编码", "bad_characters"),
        (["police-a", "某局", "部门", "公安", "371802", None, None, None], "机构编码", "duplicate_row"),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_written(
    db: Session, world: World, row: list[object], column: str, code: str
) -> None:
    before = organisations(db)
    report = run(db, world, [["police-a", "清源区公安分局", "部门", "公安", "371802", None, None, None], row])
    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, column, code)]
    assert organisations(db) == before


def test_only_the_administrator_imports_organisations(db: Session, world: World) -> None:
    with pytest.raises(ForbiddenError):
        run(db, world, [["police-a", "清源区公安分局", "部门", "公安", "371802", None, None, None]], user="branch_a")


def test_the_template_imports_into_the_test_city(db: Session, world: World) -> None:
    set_actor(db, Actor(label="test"))
    report = import_organisations(db, world.principal(db, "admin"), template())
    assert report.ok, [p.describe() for p in report.problems]
    assert (report.added, report.updated) == (1, 1)


def test_a_retired_region_cannot_be_covered(db: Session, world: World) -> None:
    world.town_b.active = False
    report = run(db, world, [["x-1", "某局", "部门", "公安", "371821", None, "371821101000", None]])
    assert [(p.column, p.code) for p in report.problems] == [("负责区划", "covered_retired")]
