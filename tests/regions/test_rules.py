"""Region codes: GB/T 2260 for city and county, 12-digit statistical codes below."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.rules import RegionCodeError, check_region_code, child_level, location_disagrees
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


# The test city's paths: city 371800, county A 371802 with town A …001000 and its village …001001, county B 371821.
CITY = "371800."
COUNTY_A = CITY + "371802."
TOWN_A = COUNTY_A + "371802001000."
VILLAGE_A = TOWN_A + "371802001001."
COUNTY_B = CITY + "371821."
TOWN_B = COUNTY_B + "371821101000."


@pytest.mark.parametrize(
    ("stated", "located", "bounded", "disagrees"),
    [
        (TOWN_A, TOWN_A, {"371802001000"}, False),  # where it says
        (COUNTY_A, TOWN_A, {"371802001000"}, False),  # finer than it says, inside
        (TOWN_A, VILLAGE_A, {"371802001001"}, False),
        (TOWN_A, COUNTY_A, set(), False),  # the towns have no boundaries: somewhere in the county will do
        (VILLAGE_A, COUNTY_A, set(), False),
        (VILLAGE_A, CITY, {"371821"}, False),  # county A's boundary unknown: county B's does not matter
        (TOWN_A, COUNTY_A, {"371802001000"}, True),  # town A's boundary is known and does not hold it
        (VILLAGE_A, COUNTY_A, {"371802001000"}, True),  # nor does the boundary of the town above the village
        (VILLAGE_A, CITY, {"371802"}, True),
        (TOWN_B, TOWN_A, {"371802001000"}, True),  # another county's town
        (TOWN_B, COUNTY_A, set(), True),  # another county
        (COUNTY_A, COUNTY_B, set(), True),
        (COUNTY_A, "371802001000.", set(), True),  # not a path of this city
    ],
)
def test_a_located_point_disagrees_only_outside_what_the_known_boundaries_allow(
    stated: str, located: str, bounded: set[str], disagrees: bool
) -> None:
    assert location_disagrees(stated, located, bounded) is disagrees
