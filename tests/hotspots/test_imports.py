"""The registered sources sheet: every row or none, problems by row and column, a source of the same name and region
updated; the template reads back."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.hotspots.enums import SourceKind
from ecoloop.hotspots.imports import import_sources, template
from ecoloop.hotspots.models import PollutionSource
from tests.factories import World
from tests.hotspots.conftest import Place

HEADER = [
    "名称",
    "类型",
    "所在区划代码",
    "经度",
    "纬度",
    "地址",
    "责任单位编码",
    "经营或施工单位",
    "启用日期",
    "停用日期",
]


def sheet(*rows: list[object]) -> bytes:
    book = new_workbook()
    page = book.create_sheet("污染源")
    append_row(page, HEADER)
    for row in rows:
        append_row(page, row)
    return workbook_bytes(book)


def test_a_sheet_registers_and_updates_sources(db: Session, world: World, place: Place) -> None:
    analyst = world.principal(db, "analyst")
    data = sheet(
        [
            "东湖工地",
            "工地",
            world.town_a.code,
            117.002,
            35.999,
            "东湖路",
            "dept-housing",
            "清源建工",
            "2026-03-01",
            "",
        ],
        ["北郊料场", "料场", world.town_a.code, "117.0001", "36.0102", "", "", "", "", ""],  # the fixture's yard
    )
    report = import_sources(db, analyst, data)
    assert report.ok, [p.describe() for p in report.problems]
    assert (report.added, report.updated) == (1, 1)
    site = db.scalars(select(PollutionSource).where(PollutionSource.name == "东湖工地")).one()
    assert (site.kind, site.organisation_id, site.longitude) == (
        SourceKind.CONSTRUCTION,
        world.department.id,
        Decimal("117.002000"),
    )
    assert place.yard.longitude == Decimal("117.000100")


def test_a_sheet_with_problems_registers_nothing(db: Session, world: World, place: Place) -> None:
    data = sheet(
        ["好工地", "工地", world.town_a.code, 117.0, 36.0, "", "", "", "", ""],
        ["坏工地", "工厂", "999999", 200, 36.0, "", "nobody", "", "2026-05-01", "2026-04-01"],
        ["县外工地", "工地", world.town_b.code, 117.0, 36.0, "", "", "", "", ""],
    )
    report = import_sources(db, world.principal(db, "analyst"), data)
    assert not report.ok
    assert {(p.row, p.column, p.code) for p in report.problems} >= {
        (3, "类型", "bad_choice"),
        (3, "经度", "coordinates_out_of_range"),
        (3, "停用日期", "period"),
    }
    assert db.scalars(select(PollutionSource).where(PollutionSource.name == "好工地")).first() is None


def test_the_template_reads_back(db: Session, world: World, place: Place) -> None:
    report = import_sources(db, world.principal(db, "analyst"), template())
    # The examples name the test city's town of county A and its housing department.
    assert report.ok, [p.describe() for p in report.problems]
    assert report.added == 2
