"""Where a point is: the deepest active region whose boundary holds it, edges included, as deep as the boundaries
reach (a county when its towns have none), MultiPolygons, retired regions left out."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.orm import Session

from ecoloop.regions.locate import locate_point
from tests.factories import COUNTY_B_BOX, World, box, give_boundaries


@pytest.fixture
def bounded(db: Session, world: World) -> World:
    give_boundaries(db, world)
    return world


@pytest.mark.parametrize(
    ("longitude", "latitude", "expected"),
    [
        (114.05, 35.05, "town_a"),  # inside town A
        (114.1, 35.05, "town_a"),  # on town A's eastern edge
        (114.0, 35.0, "town_a"),  # on its corner, which is the city's corner too
        (114.15, 35.15, "county_a"),  # in county A, in none of its known towns
        (114.3, 35.1, "county_b"),  # county B's towns have no boundaries
        (114.2, 35.15, "county_a"),  # on the edge the counties share: the lower code
        (114.4, 35.2, "county_b"),  # the city's north-east corner
        (115.0, 36.0, None),  # outside every boundary
        (114.2, 35.2000001, None),  # just north of the city
    ],
)
def test_a_point_is_placed_in_the_deepest_region_whose_boundary_holds_it(
    db: Session, bounded: World, longitude: float, latitude: float, expected: str | None
) -> None:
    found = locate_point(db, longitude, latitude)

    assert found is (getattr(bounded, expected) if expected else None)


def test_without_any_boundary_no_point_is_placed(db: Session, world: World) -> None:
    assert locate_point(db, 114.05, 35.05) is None


def test_a_multipolygon_holds_the_points_of_each_of_its_parts(db: Session, bounded: World) -> None:
    west, south, east, north = COUNTY_B_BOX
    parts = [box(west, south, east, 35.08)["coordinates"], box(west, 35.12, east, north)["coordinates"]]
    bounded.county_b.boundary = json.dumps({"type": "MultiPolygon", "coordinates": parts})
    db.flush()

    assert locate_point(db, 114.3, 35.05) is bounded.county_b
    assert locate_point(db, 114.3, 35.15) is bounded.county_b
    assert locate_point(db, 114.3, 35.1) is bounded.city  # between the parts: only the city holds it


def test_a_retired_region_places_no_point(db: Session, bounded: World) -> None:
    bounded.town_a.active = False
    db.flush()

    assert locate_point(db, 114.05, 35.05) is bounded.county_a


def test_a_town_is_found_below_a_county_without_a_boundary(db: Session, bounded: World) -> None:
    bounded.county_a.boundary = None
    db.flush()

    assert locate_point(db, 114.05, 35.05) is bounded.town_a
    assert locate_point(db, 114.15, 35.15) is bounded.city
