"""GB 3096-2008 noise limits by acoustic function zone, day and night, by hand-worked values."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ecoloop.standards.noise import (
    ZONES,
    NoisePeriod,
    compliance_rate,
    energy_mean,
    judge_leq,
    judge_night_max,
    limit,
    night_max_limit,
    period_of,
    rounded,
)

DAY, NIGHT = NoisePeriod.DAY, NoisePeriod.NIGHT

# GB 3096-2008 Table 1, written out again here (not read from the module): zone, day limit, night limit in dB(A).
TABLE_1 = [("0", 50, 40), ("1", 55, 45), ("2", 60, 50), ("3", 65, 55), ("4a", 70, 55), ("4b", 70, 60)]


@pytest.mark.parametrize(("zone", "day", "night"), TABLE_1)
def test_table_1_limits_of_every_zone_by_day_and_by_night(zone: str, day: int, night: int) -> None:
    assert limit(zone, DAY) == Decimal(day)
    assert limit(zone, NIGHT) == Decimal(night)


def test_the_zones_are_the_six_classes_of_table_1() -> None:
    assert ZONES == ("0", "1", "2", "3", "4a", "4b")


@pytest.mark.parametrize(("zone", "day", "night"), TABLE_1)
def test_a_level_at_the_limit_complies_and_one_tenth_above_exceeds(zone: str, day: int, night: int) -> None:
    for period, lim in ((DAY, day), (NIGHT, night)):
        at = judge_leq(Decimal(lim), zone, period)
        assert at.compliant and at.excess == 0
        above = judge_leq(Decimal(lim) + Decimal("0.1"), zone, period)
        assert not above.compliant and above.excess == Decimal("0.1")
        below = judge_leq(Decimal(lim) - Decimal("0.1"), zone, period)
        assert below.compliant and below.excess == Decimal("-0.1")


# §5.4: the night limit + 15 dB(A): 40+15, 45+15, 50+15, 55+15, 55+15, 60+15.
@pytest.mark.parametrize(("zone", "allowed"), [("0", 55), ("1", 60), ("2", 65), ("3", 70), ("4a", 70), ("4b", 75)])
def test_the_night_maximum_of_sudden_noise_is_the_night_limit_plus_15(zone: str, allowed: int) -> None:
    assert night_max_limit(zone) == Decimal(allowed)
    assert judge_night_max(Decimal(allowed), zone).compliant
    assert not judge_night_max(Decimal(allowed) + Decimal("0.1"), zone).compliant


def test_a_class_2_station_day_worked_example() -> None:
    """Ld 61.3 against 60: exceeded by 1.3 dB; Ln 49.8 against 50: compliant; a night Lmax of 63.0 is within 65."""
    day = judge_leq(Decimal("61.3"), "2", DAY)
    assert (day.compliant, day.limit, day.excess) == (False, Decimal(60), Decimal("1.3"))
    night = judge_leq(Decimal("49.8"), "2", NIGHT)
    assert (night.compliant, night.limit, night.excess) == (True, Decimal(50), Decimal("-0.2"))
    assert judge_night_max(Decimal("63.0"), "2").compliant


@pytest.mark.parametrize(
    ("value", "shown", "compliant"),
    [
        ("45.04", "45.0", True),  # rounds down to the limit
        ("45.05", "45.0", True),  # half-even: the 0 stays
        ("45.06", "45.1", False),
        ("45.15", "45.2", False),  # half-even: 1 becomes 2
        ("44.95", "45.0", True),  # half-even: 9 becomes 10
    ],
)
def test_levels_are_judged_at_a_tenth_of_a_decibel(value: str, shown: str, compliant: bool) -> None:
    judged = judge_leq(Decimal(value), "1", NIGHT)  # night limit of class 1: 45
    assert str(judged.value) == shown and judged.compliant is compliant


@pytest.mark.parametrize(
    ("clock", "period"),
    [
        (time(0), NIGHT),
        (time(5), NIGHT),
        (time(5, 59), NIGHT),
        (time(6), DAY),  # day begins at 06:00
        (time(10), DAY),
        (time(21), DAY),  # the hour 21:00-22:00 is the last of the day
        (time(21, 59), DAY),
        (time(22), NIGHT),  # night begins at 22:00
        (time(23), NIGHT),
    ],
)
def test_day_is_06_to_22_and_night_22_to_06(clock: time, period: NoisePeriod) -> None:
    assert period_of(clock) is period


def test_the_period_is_of_the_local_wall_clock_time() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    at_23_local = datetime(2026, 12, 6, 15, 0, tzinfo=UTC).astimezone(shanghai)
    assert period_of(at_23_local) is NIGHT
    assert period_of(datetime(2026, 12, 6, 2, 0, tzinfo=UTC).astimezone(shanghai)) is DAY  # 10:00 local


def test_a_county_may_divide_day_and_night_otherwise() -> None:
    """E.g. night from 21:00 to 07:00 in winter."""
    assert period_of(time(21), day_start=time(7), night_start=time(21)) is NIGHT
    assert period_of(time(6), day_start=time(7), night_start=time(21)) is NIGHT
    assert period_of(time(7), day_start=time(7), night_start=time(21)) is DAY
    with pytest.raises(ValueError, match="before night"):
        period_of(time(7), day_start=time(22), night_start=time(6))


def test_an_unknown_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown acoustic function zone"):
        limit("4", DAY)


def test_the_periods_have_labels() -> None:
    assert DAY.label == "Daytime" and NIGHT.label == "Night-time"


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["50", "60"], "57.4"),  # 10·lg((10^5 + 10^6)/2) = 10·lg 550 000 = 57.40
        (["45", "45", "45"], "45.0"),  # equal levels: the level itself
        (["70", "40"], "67.0"),  # 10·lg((10^7 + 10^4)/2) = 66.99: the loud hour dominates, not the mean 55
        # ../shared/standards/noise.md §5(a): 16 hours 06-21 → 10·lg 612 785 = 57.87 (the arithmetic mean is 57.5)
        (
            [
                "52.3",
                "55.8",
                "58.1",
                "59.4",
                "58.7",
                "57.9",
                "58.2",
                "57.6",
                "56.9",
                "58.3",
                "59.0",
                "60.2",
                "59.5",
                "57.4",
                "56.1",
                "54.6",
            ],
            "57.9",
        ),
    ],
)
def test_energy_mean_of_equal_periods(levels: list[str], expected: str) -> None:
    assert rounded(energy_mean([Decimal(v) for v in levels])) == Decimal(expected)


def test_energy_mean_of_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        energy_mean([])


@pytest.mark.parametrize(
    ("compliant", "judged", "expected"),
    [
        # Hunan, 2021 Q4 (../shared/standards/noise.md §1.6, reproduced): 151/156 by day, 139/156 at night; class 1
        (151, 156, "96.8"),
        (139, 156, "89.1"),
        (15, 18, "83.3"),
        (14, 18, "77.8"),
        (30, 30, "100.0"),
        (0, 0, None),
    ],
)
def test_compliance_rate_of_station_days(compliant: int, judged: int, expected: str | None) -> None:
    assert compliance_rate(compliant, judged) == (None if expected is None else Decimal(expected))
