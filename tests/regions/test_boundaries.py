"""Importing region boundaries from GeoJSON: all or none, every problem named by feature and code, stored
normalised, then every site placed again."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ecoloop.identity.enums import Role
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.location import locate_sites
from ecoloop.monitoring.service import add_site
from ecoloop.regions.boundaries import MAX_BOUNDARIES_BYTES, BoundaryReport, import_boundaries
from ecoloop.regions.service import register_locator
from tests.factories import COUNTY_A_BOX, COUNTY_B_BOX, TOWN_A_BOX, World, add_user, box, geojson

register_locator("sites", locate_sites)  # as ecoloop.app does

TEXT = [[["114", "35"], ["114.1", "35"], ["114.1", "35.1"], ["114", "35"]]]
BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[114.0, 35.0], [114.1, 35.1], [114.1, 35.0], [114.0, 35.1], [114.0, 35.0]]],
}


def run(db: Session, world: World, data: bytes, who: str = "admin") -> BoundaryReport:
    return import_boundaries(db, world.principal(db, who), data)


def problems(report: BoundaryReport) -> list[tuple[int | None, str, str]]:
    return [(p.index, p.code, p.reason) for p in report.problems]


def test_boundaries_are_stored_rounded_and_every_site_is_placed_again(db: Session, world: World) -> None:
    station = add_site(db, code="AQ", name="湖滨站", kind=SiteKind.AIR_STATION, region=world.town_a)
    station.longitude, station.latitude = Decimal("114.05"), Decimal("35.05")
    town = box(*TOWN_A_BOX)
    town["coordinates"][0][1] = [114.10000004, 35.0]
    data = geojson(("371802", box(*COUNTY_A_BOX)), ("371802001000", town), ("371821", box(*COUNTY_B_BOX)))

    report = run(db, world, data)

    assert report.ok, report.problems
    assert (report.added, report.replaced, report.unchanged, report.relocated) == (3, 0, 0, 1)
    assert station.located_region_id == world.town_a.id
    assert world.town_a.boundary == json.dumps(box(*TOWN_A_BOX), separators=(",", ":"))
    again = run(db, world, geojson(("371802", box(*COUNTY_A_BOX)), ("371821", box(114.2, 35.0, 114.3, 35.2))))
    assert (again.added, again.replaced, again.unchanged, again.relocated) == (0, 1, 1, 0)


@pytest.mark.parametrize(
    ("key", "code", "stored_in"),
    [("code", "371802", "county_a"), ("adcode", 371821, "county_b"), ("区划代码", "371802001", "town_a")],
)
def test_the_code_may_be_given_as_code_adcode_or_区划代码(
    db: Session, world: World, key: str, code: Any, stored_in: str
) -> None:
    items = [{"type": "Feature", "properties": {key: code}, "geometry": box(*TOWN_A_BOX)}]
    report = run(db, world, json.dumps({"type": "FeatureCollection", "features": items}).encode())

    assert report.ok, report.problems
    assert getattr(world, stored_in).boundary is not None


FILE_PROBLEMS = [
    (b"{not json", "not_json"),
    (b'{"type": "FeatureCollection", "features": [NaN]}', "not_json"),
    (b"\xff\xfe{}", "not_json"),
    (b"[" * 100_000 + b"]" * 100_000, "not_json"),
    (b'{"type": "Feature", "geometry": null}', "not_collection"),
    (b'{"type": "FeatureCollection", "features": {}}', "not_collection"),
    (b'{"type": "FeatureCollection", "features": []}', "no_features"),
]


@pytest.mark.parametrize(("data", "reason"), FILE_PROBLEMS)
def test_a_file_that_is_no_feature_collection_is_refused(db: Session, world: World, data: bytes, reason: str) -> None:
    assert problems(run(db, world, data)) == [(None, "", reason)]


def test_deeply_nested_coordinates_are_named_briefly(db: Session, world: World) -> None:
    deep = "[" * 900 + "]" * 900
    data = b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "371802"}, '
    data += b'"geometry": {"type": "Polygon", "coordinates": ' + deep.encode() + b"}}]}"

    report = run(db, world, data)

    assert problems(report) == [(0, "371802", "coordinates")]
    assert len(report.problems[0].value) < 40


def test_a_file_over_the_limit_is_refused_unread(db: Session, world: World) -> None:
    report = run(db, world, b" " * (MAX_BOUNDARIES_BYTES + 1))

    assert problems(report) == [(None, "", "too_large")]
    assert report.problems[0].value == "20"


def test_every_bad_feature_is_named_and_nothing_is_stored(db: Session, world: World) -> None:
    features: list[dict[str, Any]] = [
        {"type": "Feature", "properties": {"code": "371802"}, "geometry": box(*COUNTY_A_BOX)},  # good
        "a string",  # 1
        {"type": "Feature", "properties": {"name": "清源区"}, "geometry": box(*COUNTY_A_BOX)},  # 2: no code
        {"type": "Feature", "properties": {"code": "3718"}, "geometry": box(*COUNTY_A_BOX)},  # 3
        {"type": "Feature", "properties": {"code": "371899"}, "geometry": box(*COUNTY_A_BOX)},  # 4: no such region
        {"type": "Feature", "properties": {"code": "371802"}, "geometry": box(*COUNTY_A_BOX)},  # 5: twice
        {"type": "Feature", "properties": {"code": "371821"}, "geometry": {"type": "Point", "coordinates": [1, 2]}},
        {"type": "Feature", "properties": {"code": "371821"}, "geometry": {"type": "Polygon", "coordinates": [[]]}},
        {"type": "Feature", "properties": {"code": "371821"}, "geometry": box(114.2, 35.0, 214.4, 35.2)},  # 8
        {"type": "Feature", "properties": {"code": "371821"}, "geometry": box(35.0, 114.2, 35.2, 114.4)},  # 9
        {"type": "Feature", "properties": {"code": "371821"}, "geometry": BOWTIE},  # 10
        {"type": "Feature", "properties": {"code": "371821"}, "geometry": {"type": "Polygon", "coordinates": TEXT}},
        {"type": "Feature", "properties": {"code": True}, "geometry": box(*COUNTY_A_BOX)},  # 12
    ]  # fmt: skip
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()

    report = run(db, world, data)

    assert problems(report) == [
        (1, "", "not_feature"),
        (2, "", "no_code"),
        (3, "3718", "bad_code"),
        (5, "371802", "duplicate"),
        (6, "371821", "geometry_type"),
        (7, "371821", "coordinates"),
        (8, "371821", "out_of_range"),
        (9, "371821", "out_of_range"),
        (10, "371821", "invalid"),
        (11, "371821", "coordinates"),
        (12, "", "bad_code"),
        (4, "371899", "unknown_region"),
    ]
    assert "Self-intersection" in report.problems[8].message
    assert "code, adcode, 区划代码" in report.problems[1].message
    assert world.county_a.boundary is None


def test_regions_outside_the_importers_area_are_unknown(db: Session, world: World) -> None:
    world.users["admin_a"] = add_user(db, "admin_a", Role.ADMIN, world.branch_a)  # an administrator of county A
    data = geojson(("371802", box(*COUNTY_A_BOX)), ("371821", box(*COUNTY_B_BOX)))

    report = run(db, world, data, who="admin_a")

    assert problems(report) == [(1, "371821", "unknown_region")]
    assert world.county_a.boundary is None


def test_a_child_reaching_outside_its_parent_is_refused(db: Session, world: World) -> None:
    # Town A drawn in county B (the wrong code), and county B reaching 0.5 % past the city: only the first is wrong.
    city = box(114.0, 35.0, 114.4, 35.2)
    data = geojson(
        ("371800", city),
        ("371802001000", box(114.25, 35.0, 114.3, 35.05)),
        ("371802", box(*COUNTY_A_BOX)),
        ("371821", box(114.2, 35.0, 114.401, 35.2)),
    )

    report = run(db, world, data)

    assert problems(report) == [(1, "371802001000", "outside_parent")]
    assert "100.0%" in report.problems[0].message


def test_a_parent_stored_before_is_the_measure_and_its_children_too(db: Session, world: World) -> None:
    assert run(db, world, geojson(("371802", box(*COUNTY_A_BOX)), ("371802001000", box(*TOWN_A_BOX)))).ok

    outside = run(db, world, geojson(("371802001000", box(114.1, 35.1, 114.3, 35.2))))
    shrunk = run(db, world, geojson(("371802", box(114.1, 35.1, 114.2, 35.2))))

    assert problems(outside) == [(0, "371802001000", "outside_parent")]
    assert problems(shrunk) == [(0, "371802", "child_outside")]
    assert shrunk.problems[0].value == "371802001000"
