"""Region codes: GB/T 2260 for city and county, 12-digit statistical codes below."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.rules import RegionCodeError, check_region_code, child_level
from ecoloop.regions.service import add_region
from tests.factories import World

VALID = [
    ("371800", RegionLevel.CITY, None),
    ("371802", RegionLevel.COUNTY, "371800"),
    ("371881", RegionLevel.COUNTY, "371800"),
    ("371802001000", RegionLevel.TOWN, "371802"),
    ("371821201000", RegionLevel.TOWN, "371821"),
    ("371802001001", RegionLevel.VILLAGE, "371802001000"),
    ("371821101201", RegionLevel.VILLAGE, "371821101000"),
]

INVALID = [
    ("37180", RegionLevel.CITY, None),  # five digits
    ("371801", RegionLevel.CITY, None),  # a city ends in 00
    ("370000", RegionLevel.CITY, None),  # that is a province
    ("371800", RegionLevel.CITY, "370000"),  # a city is the root here
    ("371900", RegionLevel.COUNTY, "371800"),  # ends in 00
    ("371902", RegionLevel.COUNTY, "371800"),  # another city's county
    ("37180200100", RegionLevel.TOWN, "371802"),  # eleven digits
    ("371803001000", RegionLevel.TOWN, "371802"),  # another county's town
    ("371802000000", RegionLevel.TOWN, "371802"),  # town part 000
    ("371802001001", RegionLevel.TOWN, "371802"),  # a village code
    ("371802002001", RegionLevel.VILLAGE, "371802001000"),  # another town's village
    ("371802001000", RegionLevel.VILLAGE, "371802001000"),  # village part 000
    ("37180200100A", RegionLevel.VILLAGE, "371802001000"),  # not digits
    ("371802001001", RegionLevel.VILLAGE, None),  # no parent
]


@pytest.mark.parametrize(("code", "level", "parent"), VALID)
def test_valid_codes(code: str, level: RegionLevel, parent: str | None) -> None:
    check_region_code(code, level, parent)


@pytest.mark.parametrize(("code", "level", "parent"), INVALID)
def test_invalid_codes(code: str, level: RegionLevel, parent: str | None) -> None:
    with pytest.raises(RegionCodeError):
        check_region_code(code, level, parent)


def test_child_levels() -> None:
    assert child_level(RegionLevel.CITY) is RegionLevel.COUNTY
    assert child_level(RegionLevel.TOWN) is RegionLevel.VILLAGE
    assert child_level(RegionLevel.VILLAGE) is None


def test_add_region_builds_the_path_and_refuses_wrong_levels(db: Session, world: World) -> None:
    town = add_region(db, code="371802002000", name="西城街道", level=RegionLevel.TOWN, parent=world.county_a)
    assert town.path == "371800.371802.371802002000."
    with pytest.raises(RegionCodeError):
        add_region(db, code="371802003000", name="x", level=RegionLevel.TOWN, parent=world.city)
    with pytest.raises(RegionCodeError):
        add_region(db, code="371802002000", name="dup", level=RegionLevel.TOWN, parent=world.county_a)
