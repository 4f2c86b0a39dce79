"""The region registry sheet: counties, towns and villages below the city, parents in the same sheet or
registered, every bad row named, all or nothing, a second import changes nothing; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.audit.service import Actor, set_actor
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.imports import import_regions, level_of, parent_code_of, template
from ecoloop.regions.models import Region
from tests.factories import World
from tests.sheets.workbooks import xlsx

HEADER = ["区划代码", "名称", "级别", "上级区划代码"]


def run(db: Session, world: World, rows: list[list[object]], user: str = "admin"):  # type: ignore[no-untyped-def]
    set_actor(db, Actor(label="test"))
    return import_regions(db, world.principal(db, user), xlsx([HEADER, *rows], "区划"))


def count(db: Session) -> int:
    return db.scalar(select(func.count(Region.id))) or 0


def test_levels_and_parents_follow_from_the_codes() -> None:
    assert level_of("371800") is RegionLevel.CITY
    assert level_of("371803") is RegionLevel.COUNTY
    assert level_of("371803101000") is RegionLevel.TOWN
    assert level_of("371803101201") is RegionLevel.VILLAGE
    assert level_of("3718031") is None
    assert parent_code_of("371803101201", RegionLevel.VILLAGE) == "371803101000"
    assert parent_code_of("371803101000", RegionLevel.TOWN) == "371803"


def test_a_county_with_its_towns_and_villages_is_imported_children_before_parents_too(
    db: Session, world: World
) -> None:
    before = count(db)
    report = run(
        db,
        world,
        [
            ["371803101201", "东村村委会", "村", None],
            ["371803101000", "东湖镇", "乡镇", "371803"],
            [371803, "东湖区", "区县", None],  # a code typed as a number
            ["371802002000", "西城街道", None, None],  # under a registered county
        ],
    )
    assert report.ok, [p.describe() for p in report.problems]
    assert (report.added, report.updated, report.unchanged) == (4, 0, 0)
    village = db.scalars(select(Region).where(Region.code == "371803101201")).one()
    assert village.path == "371800.371803.371803101000.371803101201."
    assert village.level is RegionLevel.VILLAGE
    assert count(db) == before + 4


def test_a_second_import_adds_nothing_and_renames_or_brings_back_a_retired_region(db: Session, world: World) -> None:
    rows: list[list[object]] = [["371803", "东湖区", None, None], ["371803101000", "东湖镇", None, None]]
    assert run(db, world, rows).added == 2
    again = run(db, world, rows)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    town = db.scalars(select(Region).where(Region.code == "371803101000")).one()
    town.active = False
    renamed = run(db, world, [["371803", "东湖新区", None, None], ["371803101000", "东湖镇", None, None]])
    assert (renamed.added, renamed.updated, renamed.unchanged) == (0, 2, 0)
    assert town.active


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (["371803101", "某地", None, None], "区划代码", "region_code"),  # 9 digits: no level has them
        (["37180A", "某地", None, None], "区划代码", "bad_characters"),
        (["371800", "清源市", None, None], "区划代码", "city_by_init"),
        (["371903", "外市县", None, None], "区划代码", "region_code"),  # another city's county
        (["371803", "东湖区", "乡镇", None], "级别", "level_mismatch"),
        (["371802009000", "某镇", None, "371821"], "上级区划代码", "parent_mismatch"),
        (["371899101000", "某镇", None, None], "区划代码", "parent_unknown"),  # its county is nowhere
        (["371802001009", None, None, None], "名称", "required"),
        (["371802001009", "某村", "街道办", None], "级别", "bad_choice"),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_written(
    db: Session, world: World, row: list[object], column: str, code: str
) -> None:
    before = count(db)
    report = run(db, world, [["371803", "东湖区", None, None], row])
    assert not report.ok
    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, column, code)]
    assert report.added == 0
    assert count(db) == before  # the good row was not written either


def test_a_code_given_twice_names_the_first_row(db: Session, world: World) -> None:
    report = run(db, world, [["371803", "东湖区", None, None], ["371803", "东湖区", None, None]])
    assert [(p.row, p.code, p.value) for p in report.problems] == [(3, "duplicate_row", "2")]


def test_a_branch_imports_the_towns_and_villages_of_its_county_only(db: Session, world: World) -> None:
    report = run(
        db, world, [["371802009000", "新城街道", None, None], ["371802009001", "新城社区", None, None]], "branch_a"
    )
    assert report.ok and report.added == 2
    for row in (
        ["371803", "东湖区", None, None],
        ["371821109000", "外县镇", None, None],
        ["371802", "改名区", None, None],
    ):
        refused = run(db, world, [row], user="branch_a")
        assert [(p.row, p.code) for p in refused.problems] == [(2, "outside_area")], row


def test_roles_without_the_action_are_refused(db: Session, world: World) -> None:
    with pytest.raises(ForbiddenError):
        run(db, world, [["371803", "东湖区", None, None]], user="analyst")


def test_the_template_imports_into_the_test_city(db: Session, world: World) -> None:
    set_actor(db, Actor(label="test"))
    report = import_regions(db, world.principal(db, "admin"), template())
    assert report.ok, [p.describe() for p in report.problems]
    assert report.added + report.unchanged == 3
