"""The water panels' reads (overview screen, public page): the sections of an area by class in the latest month
with results, scoped; the public table of the latest months; both kept while the partition files are unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pytest
from sqlalchemy.orm import Session

from ecoloop.analytics.sites import fixed
from ecoloop.results.queries import ResultReads
from ecoloop.results.water import WATER_MONTH, section_row
from ecoloop.results.water_panels import PublicClass, public_water, water_classes
from ecoloop.results.water_queries import months_back
from ecoloop.standards.water import WaterGrade
from tests.factories import World, plant_results, plant_water_sections

TODAY = date(2026, 12, 7)
OCTOBER, NOVEMBER, _DECEMBER = months_back(TODAY, 3)


@pytest.fixture
def con() -> Iterator[Any]:
    backend = ibis.duckdb.connect()
    yield backend
    backend.disconnect()


def reads_of(root: Path, con: Any) -> ResultReads:
    return ResultReads(root, lambda: fixed(con))


def test_an_areas_sections_by_class_in_the_latest_month(db: Session, world: World, tmp_path: Path, con: Any) -> None:
    plant_water_sections(db, world, tmp_path, TODAY)

    city = water_classes(db, world.principal(db, "analyst"), reads_of(tmp_path, con), world.city, TODAY)
    county_b = water_classes(db, world.principal(db, "analyst"), reads_of(tmp_path, con), world.county_b, TODAY)
    branch = water_classes(db, world.principal(db, "branch_a"), reads_of(tmp_path, con), world.city, TODAY)

    assert city.month == NOVEMBER
    assert [n for _grade, n in city.classes] == [1, 1, 0, 1, 0, 0]
    assert (city.summary.good_share, city.summary.meeting, city.summary.with_target) == (Decimal("66.7"), 1, 2)
    assert [n for _grade, n in county_b.classes] == [0, 1, 0, 0, 0, 0]
    assert [n for _grade, n in branch.classes] == [1, 0, 0, 1, 0, 0]  # county A's sections only


def test_no_results_lately_is_no_month(db: Session, world: World, tmp_path: Path, con: Any) -> None:
    plant_water_sections(db, world, tmp_path, date(2025, 9, 1))  # results of July and August 2025: too old

    found = water_classes(db, world.principal(db, "analyst"), reads_of(tmp_path, con), world.city, TODAY)

    assert found.month is None and found.summary.classed == 0 and found.summary.sections == 3


def test_the_public_table_and_unchanged_results_read_without_a_backend(
    db: Session, world: World, tmp_path: Path, con: Any
) -> None:
    ids = plant_water_sections(db, world, tmp_path, TODAY)

    with reads_of(tmp_path, con) as first:
        found = public_water(db, first, world.city, TODAY)
    with reads_of(tmp_path, con) as again:
        public_water(db, again, world.city, TODAY)
        water_classes(db, world.principal(db, "leader"), again, world.city, TODAY)
    plant_results(tmp_path, WATER_MONTH, [section_row(ids["wq-b1"], NOVEMBER, {"NH3_N": (2.5, 700)}, None)])
    with reads_of(tmp_path, con) as changed:
        after = public_water(db, changed, world.city, TODAY)

    assert found.months == [OCTOBER, NOVEMBER]
    assert [(s.name, s.months) for s in found.sections] == [
        ("上游断面", (PublicClass(WaterGrade.CLASS_III, True), PublicClass(WaterGrade.CLASS_IV, False))),
        ("水库断面", (None, PublicClass(WaterGrade.CLASS_I, True))),
        ("下游断面", (None, PublicClass(WaterGrade.CLASS_II, None))),
    ]
    assert (first.opened, again.opened, changed.opened) == (1, 0, 1)
    assert after.sections[2].months[1] == PublicClass(WaterGrade.WORSE_THAN_V, None)  # the rewritten month
