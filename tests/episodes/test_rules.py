from datetime import UTC, datetime, timedelta

import pytest

from ecoloop.episodes.enums import ChangeKind, WarningLevel
from ecoloop.episodes.rules import ChangeEntry, Held, LevelPeriod, held_levels, level_at

CITY = "371800."
COUNTY = "371800.371802."
OTHER = "371800.371821."


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=UTC)


def test_a_period_covers_its_area_from_its_start_until_its_end() -> None:
    period = LevelPeriod(1, 2, COUNTY, WarningLevel.ORANGE, _at(1, 8), _at(3, 8))
    assert period.covers(COUNTY, _at(1, 8))
    assert period.covers(COUNTY + "371802001000.", _at(2))
    assert not period.covers(COUNTY, _at(3, 8))  # the end is excluded
    assert not period.covers(COUNTY, _at(1, 7))
    assert not period.covers(OTHER, _at(2))
    assert not period.covers(CITY, _at(2))  # a county's warning does not cover the city


def test_an_open_period_holds_until_further_notice() -> None:
    period = LevelPeriod(1, 1, CITY, WarningLevel.YELLOW, _at(1), None)
    assert period.covers(OTHER, _at(31, 23))


def test_the_strictest_level_in_force_applies() -> None:
    city_yellow = LevelPeriod(1, 1, CITY, WarningLevel.YELLOW, _at(1), _at(5))
    county_red = LevelPeriod(2, 2, COUNTY, WarningLevel.RED, _at(2), _at(3))
    periods = [city_yellow, county_red]
    assert level_at(periods, COUNTY, _at(2, 12)) == county_red
    assert level_at(periods, OTHER, _at(2, 12)) == city_yellow
    assert level_at(periods, COUNTY, _at(3)) == city_yellow
    assert level_at(periods, COUNTY, _at(5)) is None


def test_of_two_periods_of_one_level_the_earlier_one_applies() -> None:
    later = LevelPeriod(2, 1, CITY, WarningLevel.ORANGE, _at(2), None)
    earlier = LevelPeriod(1, 2, COUNTY, WarningLevel.ORANGE, _at(1), None)
    assert level_at([later, earlier], COUNTY, _at(3)) == earlier
    assert level_at([earlier, later], COUNTY, _at(3)) == earlier


# The levels a warning held, read from its change log (worked by hand).
_T = datetime(2026, 12, 10, tzinfo=UTC)
_H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        pytest.param([], [], id="nothing issued"),
        pytest.param(
            [ChangeEntry(ChangeKind.ISSUE, WarningLevel.YELLOW, _T, None)],
            [Held(WarningLevel.YELLOW, _T, None)],
            id="issued until further notice",
        ),
        pytest.param(
            [ChangeEntry(ChangeKind.ISSUE, WarningLevel.YELLOW, _T, _T + 48 * _H)],
            [Held(WarningLevel.YELLOW, _T, _T + 48 * _H)],
            id="ends at its planned end",
        ),
        pytest.param(
            [
                ChangeEntry(ChangeKind.ISSUE, WarningLevel.YELLOW, _T, _T + 48 * _H),
                ChangeEntry(ChangeKind.UPGRADE, WarningLevel.RED, _T + 12 * _H, _T + 48 * _H),
                ChangeEntry(ChangeKind.DOWNGRADE, WarningLevel.ORANGE, _T + 30 * _H, _T + 48 * _H),
                ChangeEntry(ChangeKind.EXTEND, WarningLevel.ORANGE, _T + 40 * _H, _T + 60 * _H),
            ],
            [
                Held(WarningLevel.YELLOW, _T, _T + 12 * _H),
                Held(WarningLevel.RED, _T + 12 * _H, _T + 30 * _H),
                Held(WarningLevel.ORANGE, _T + 30 * _H, _T + 60 * _H),
            ],
            id="upgrade, downgrade and extension",
        ),
        pytest.param(
            [
                ChangeEntry(ChangeKind.ISSUE, WarningLevel.ORANGE, _T, _T + 72 * _H),
                ChangeEntry(ChangeKind.LIFT, WarningLevel.ORANGE, _T + 20 * _H, None),
            ],
            [Held(WarningLevel.ORANGE, _T, _T + 20 * _H)],
            id="lifted early",
        ),
        pytest.param(
            [
                ChangeEntry(ChangeKind.ISSUE, WarningLevel.YELLOW, _T, None),
                ChangeEntry(ChangeKind.UPGRADE, WarningLevel.ORANGE, _T, None),
            ],
            [Held(WarningLevel.ORANGE, _T, None)],
            id="upgraded at its start: the stretch of no length is left out",
        ),
        pytest.param(
            [ChangeEntry(ChangeKind.UPGRADE, WarningLevel.RED, _T, None)],
            [],
            id="a change before any issue is no change",
        ),
    ],
)
def test_held_levels(entries: list[ChangeEntry], expected: list[Held]) -> None:
    assert held_levels(entries) == expected
