"""The data-logger registry sheet: loggers registered by MN for sites of the importer's area, updated on a second
import, every bad row named and nothing written; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.audit.service import Actor, set_actor
from ecoloop.monitoring.device_imports import import_devices, template
from ecoloop.monitoring.enums import CrcMode, SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.monitoring.service import add_site
from ecoloop.sheets.table import ImportReport
from tests.factories import World
from tests.sheets.workbooks import xlsx

HEADER = ["MN号", "访问密码", "监测点位编码", "校验方式", "数据间隔(分钟)"]


@pytest.fixture
def sites(db: Session, world: World) -> tuple[Site, Site]:
    set_actor(db, Actor(label="test"))
    a = add_site(db, code="A-01", name="甲站", kind=SiteKind.AIR_STATION, region=world.town_a)
    b = add_site(db, code="B-01", name="乙站", kind=SiteKind.AIR_STATION, region=world.town_b)
    return a, b


def run(db: Session, world: World, rows: list[list[object]], user: str = "admin") -> ImportReport:
    set_actor(db, Actor(label="test"))
    return import_devices(db, world.principal(db, user), xlsx([HEADER, *rows], "数采仪"))


def devices(db: Session) -> int:
    return db.scalar(select(func.count(Device.id))) or 0


def test_loggers_are_registered_then_updated_and_a_retired_one_brought_back(
    db: Session, world: World, sites: tuple[Site, Site]
) -> None:
    report = run(db, world, [["MN-1", "111111", "A-01", None, None], ["MN-2", 222222, "B-01", "MODBUS", 10]])
    assert report.ok, [p.describe() for p in report.problems]
    assert report.added == 2
    second = db.scalars(select(Device).where(Device.mn == "MN-2")).one()
    assert (second.password, second.crc_mode, second.interval_minutes) == ("222222", CrcMode.MODBUS_LE, 10)
    second.active = False
    again = run(db, world, [["MN-1", "111111", "A-01", None, None], ["MN-2", "333333", "A-01", None, None]])
    assert (again.added, again.updated, again.unchanged) == (0, 1, 1)
    assert (second.password, second.site_id, second.active, second.interval_minutes) == (
        "333333",
        sites[0].id,
        True,
        10,
    )


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (["MN 1", "1", "A-01", None, None], "MN号", "bad_mn"),
        (["MN-3", None, "A-01", None, None], "访问密码", "required"),
        (["MN-3", "1", "Z-99", None, None], "监测点位编码", "site_unknown"),
        (["MN-3", "1", "A-01", "CRC32", None], "校验方式", "bad_choice"),
        (["MN-3", "1", "A-01", None, 0], "数据间隔(分钟)", "out_of_range"),
        (["MN-3", "1", "A-01", None, "半小时"], "数据间隔(分钟)", "not_a_whole_number"),
        (["MN-1", "1", "A-01", None, None], "MN号", "duplicate_row"),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_written(
    db: Session, world: World, sites: tuple[Site, Site], row: list[object], column: str, code: str
) -> None:
    before = devices(db)
    report = run(db, world, [["MN-1", "111111", "A-01", None, None], row])
    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, column, code)]
    assert devices(db) == before


def test_a_branch_registers_loggers_only_for_its_county_s_sites(
    db: Session, world: World, sites: tuple[Site, Site]
) -> None:
    report = run(db, world, [["MN-9", "1", "B-01", None, None]], user="branch_a")
    assert [(p.code, p.value) for p in report.problems] == [("site_unknown", "B-01")]
    assert run(db, world, [["MN-9", "1", "A-01", None, None]], user="branch_a").added == 1
    run(db, world, [["MN-8", "1", "B-01", None, None]])  # the admin registers one in the other county
    taken = run(db, world, [["MN-8", "2", "A-01", None, None]], user="branch_a")
    assert [p.code for p in taken.problems] == ["mn_outside_area"]


def test_roles_without_the_action_are_refused(db: Session, world: World) -> None:
    with pytest.raises(ForbiddenError):
        run(db, world, [["MN-1", "1", "A-01", None, None]], user="analyst")


def test_the_template_reads_back(db: Session, world: World, sites: tuple[Site, Site]) -> None:
    report = import_devices(db, world.principal(db, "admin"), template())
    assert [p.code for p in report.problems] == ["site_unknown", "site_unknown"]  # the example sites are not here
