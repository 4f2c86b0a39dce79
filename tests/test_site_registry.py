"""The monitoring-site registry sheet: stations with their level, coordinates converted to WGS-84, water targets
and acoustic zones; outlets with their enterprise and permit outlet; a second import updates; every bad row named
and nothing written; scoped to the importer's area; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.access.actions import ForbiddenError
from ecoloop.audit.service import Actor, set_actor
from ecoloop.enterprises.enums import OutletKind, PermitClass
from ecoloop.enterprises.models import Outlet, Permit
from ecoloop.monitoring.enums import NoiseZone, StationLevel
from ecoloop.monitoring.location import location_mismatches
from ecoloop.monitoring.models import Site
from ecoloop.regions.datum import wgs84_to_gcj02
from ecoloop.regions.enums import RegionLevel
from ecoloop.sheets.table import ImportReport
from ecoloop.site_registry import import_sites, template
from tests.factories import World, credit_code, give_boundaries
from tests.sheets.workbooks import xlsx

HEADER = ["点位编码", "点位名称", "点位类型", "控制级别", "所属区划代码", "经度", "纬度", "坐标系"]
HEADER += ["水质目标", "声环境功能区", "企业统一社会信用代码", "排放口编号"]


def row(code: str, kind: str = "环境空气站", **cells: object) -> list[object]:
    values: dict[str, object] = {"level": None, "region": "371802001000", "lon": None, "lat": None, "datum": None}
    values |= {"target": None, "zone": None, "credit": None, "outlet": None} | cells
    return [code, f"{code}站", kind, *values.values()]


def run(db: Session, world: World, rows: list[list[object]], user: str = "admin") -> ImportReport:
    set_actor(db, Actor(label="test"))
    return import_sites(db, world.principal(db, user), xlsx([HEADER, *rows], "监测点位"))


def site(db: Session, code: str) -> Site:
    return db.scalars(select(Site).where(Site.code == code)).one()


def sites(db: Session) -> int:
    return db.scalar(select(func.count(Site.id))) or 0


@pytest.fixture
def outlet(db: Session, world: World) -> Outlet:
    set_actor(db, Actor(label="test"))
    permit = Permit(
        enterprise_id=world.enterprise_a.id,
        number="91371802TEST001P",
        permit_class=PermitClass.KEY,
        valid_from=date(2024, 1, 1),
        valid_to=date(2028, 12, 31),
        outlets=[Outlet(code="DA001", name="锅炉废气排放口", kind=OutletKind.GAS)],
    )
    db.add(permit)
    db.flush()
    return permit.outlets[0]


def test_stations_with_levels_coordinates_targets_and_zones(db: Session, world: World) -> None:
    lon, lat = wgs84_to_gcj02(116.45, 36.5)  # a point as Amap shows it
    report = run(
        db,
        world,
        [
            row("T-1", level="乡镇", lon=116.45, lat=36.5),
            row("C-1", level="国控", region="371802", lon=f"{lon:.7f}", lat=f"{lat:.7f}", datum="高德"),
            row("W-1", "水质自动站", level="市控", region="371821", target="Ⅱ类"),
            row("W-2", "水站", target="III"),
            row("N-1", "噪声监测点", zone="4a类"),
        ],
    )
    assert report.ok, [p.describe() for p in report.problems]
    assert report.added == 5
    town = site(db, "T-1")
    assert (town.station_level, town.level, town.region_id) == (StationLevel.TOWN, RegionLevel.TOWN, world.town_a.id)
    assert (town.longitude, town.latitude) == (Decimal("116.450000"), Decimal("36.500000"))
    city = site(db, "C-1")
    assert city.level is RegionLevel.CITY
    assert abs(float(city.longitude or 0) - 116.45) < 2e-6  # GCJ-02 converted back to WGS-84
    assert abs(float(city.latitude or 0) - 36.5) < 2e-6
    assert (site(db, "W-1").water_target, site(db, "W-2").water_target) == ("II", "III")
    assert site(db, "N-1").noise_zone is NoiseZone.CLASS_4A


def test_an_outlet_takes_its_enterprise_s_region_and_links_the_permit_outlet(
    db: Session, world: World, outlet: Outlet
) -> None:
    code = world.enterprise_a.credit_code
    report = run(db, world, [row("E-1", "废气排放口", region=None, credit=code, outlet="da001")])
    assert report.ok, [p.describe() for p in report.problems]
    made = site(db, "E-1")
    assert (made.enterprise_id, made.region_id) == (world.enterprise_a.id, world.enterprise_a.region_id)
    assert outlet.site_id == made.id


def test_a_second_import_updates_and_brings_back_a_retired_site(db: Session, world: World) -> None:
    assert run(db, world, [row("T-1", level="乡镇")]).added == 1
    again = run(db, world, [row("T-1", level="乡镇")])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    site(db, "T-1").active = False
    moved = run(db, world, [row("T-1", level="村", region="371802001001", lon="116.1", lat="36.1")])
    assert moved.updated == 1
    made = site(db, "T-1")
    assert (made.active, made.level, made.region_id) == (True, RegionLevel.VILLAGE, world.village_a.id)


@pytest.mark.parametrize(
    ("bad", "column", "code"),
    [
        (row("X-1", "空气"), "点位类型", "bad_choice"),
        (row("X-1", level="省级"), "控制级别", "bad_choice"),
        (row("X-1", region="999999"), "所属区划代码", "region_unknown"),
        (row("X-1", region=None), "所属区划代码", "required"),
        (row("X-1", level="乡镇", region="371802"), "所属区划代码", "station_region"),
        (row("X-1", lon="116.4"), "纬度", "coordinates_incomplete"),
        (row("X-1", lon="东经116度", lat="36.5"), "经度", "not_a_number"),
        (row("X-1", lon="216.4", lat="36.5"), "经度", "coordinates_out_of_range"),
        (row("X-1", datum="北京54", lon="116.4", lat="36.5"), "坐标系", "bad_choice"),
        (row("X-1", datum="WGS-84"), "坐标系", "datum_without_point"),
        (row("X-1", target="Ⅲ类"), "水质目标", "water_target_not_water"),
        (row("X-1", "水质自动站", target="劣Ⅴ类"), "水质目标", "bad_choice"),
        (row("X-1", "水质自动站", target="劣V"), "水质目标", "not_a_target"),
        (row("X-1", zone="1类"), "声环境功能区", "noise_zone_not_noise"),
        (row("X-1", "噪声监测点", zone="5类"), "声环境功能区", "bad_choice"),
        (row("X-1", "废水排放口", region=None), "企业统一社会信用代码", "needs_enterprise"),
        (row("X-1", credit=credit_code(1)), "企业统一社会信用代码", "enterprise_not_source"),
        (row("X-1", outlet="DA001"), "排放口编号", "needs_enterprise"),
        (row("X-1", "废气排放口", credit="91371802000000099X"), "企业统一社会信用代码", "enterprise_unknown"),
        (row("X-1", "废气排放口", level="国控", credit=credit_code(1)), "控制级别", "station_level_not_station"),
        (row("T-1", "水质自动站"), "点位类型", "kind_changed"),
        (row("T-2"), "点位编码", "duplicate_row"),
    ],
)
def test_every_bad_row_is_named_and_nothing_is_written(
    db: Session, world: World, bad: list[object], column: str, code: str
) -> None:
    set_actor(db, Actor(label="test"))
    assert run(db, world, [row("T-1")]).added == 1
    before = sites(db)
    report = run(db, world, [row("T-2"), bad])
    assert [(p.row, p.column, p.code) for p in report.problems] == [(3, column, code)]
    assert sites(db) == before


def test_an_unknown_or_taken_outlet_is_named(db: Session, world: World, outlet: Outlet) -> None:
    code = world.enterprise_a.credit_code
    unknown = run(db, world, [row("E-1", "废气排放口", region=None, credit=code, outlet="DA009")])
    assert [(p.column, p.code) for p in unknown.problems] == [("排放口编号", "outlet_unknown")]
    assert run(db, world, [row("E-1", "废气排放口", region=None, credit=code, outlet="DA001")]).ok
    taken = run(db, world, [row("E-2", "废气排放口", region=None, credit=code, outlet="DA001")])
    assert [p.code for p in taken.problems] == ["outlet_taken"]


def test_a_branch_registers_sites_in_its_county_only(db: Session, world: World) -> None:
    outside = run(db, world, [row("B-1", region="371821101000")], user="branch_a")
    assert [p.code for p in outside.problems] == ["outside_area"]
    assert run(db, world, [row("A-1")], user="branch_a").added == 1
    run(db, world, [row("B-2", region="371821101000")])
    taken = run(db, world, [row("B-2")], user="branch_a")
    assert [p.code for p in taken.problems] == ["site_outside_area"]


def test_roles_without_the_action_are_refused(db: Session, world: World) -> None:
    with pytest.raises(ForbiddenError):
        run(db, world, [row("A-1")], user="leader")


def test_the_template_imports_into_the_test_city(db: Session, world: World) -> None:
    set_actor(db, Actor(label="test"))
    report = import_sites(db, world.principal(db, "admin"), template())
    assert report.ok, [p.describe() for p in report.problems]
    assert report.added == 3
    assert site(db, "371821-W-01").water_target == "III"


def test_imported_sites_are_placed_by_the_boundaries_and_a_misplaced_one_flagged(db: Session, world: World) -> None:
    give_boundaries(db, world)
    report = run(
        db,
        world,
        [
            row("IN-1", lon="114.05", lat="35.05"),  # inside town A, its stated region
            row("OUT-1", lon="114.3", lat="35.1"),  # stated in town A, but inside county B
        ],
    )
    assert report.ok, [p.describe() for p in report.problems]
    assert site(db, "IN-1").located_region_id == world.town_a.id
    assert site(db, "OUT-1").located_region_id == world.county_b.id
    flagged = {s.code for s in location_mismatches(db, world.principal(db, "admin"))}
    assert flagged == {"OUT-1"}
