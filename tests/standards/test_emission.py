"""Reference-oxygen conversion and exceedance judgement (ecoloop.standards.emission), with hand-worked values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoloop.standards.emission import (
    EXCLUDED_FLAGS,
    Exceedance,
    LimitSpec,
    NotJudged,
    Reading,
    converted_concentration,
    daily_mean,
    exceedance_multiple,
    judge,
    judge_series,
)

D = Decimal
CST = timezone(timedelta(hours=8))  # China Standard Time, the natural day of a Chinese source

# Test limits shaped like real ones; the numbers are fixtures, not quotations of a standard.
SO2_HOURLY = LimitSpec(
    pollutant="a21026",
    limit=D(100),
    unit="mg/m3",
    averaging="hour",
    reference_o2=D(6),
    source="fixture shaped like GB 13223-2011 Table 1",
)
NOX_HOURLY_NO_O2 = LimitSpec(pollutant="a21002", limit=D(200), unit="mg/m3", averaging="hour", source="fixture")
COD_DAILY = LimitSpec(pollutant="w01018", limit=D(50), unit="mg/L", averaging="day", source="fixture")
DUST_DAILY_O2 = LimitSpec(
    pollutant="a34013", limit=D(80), unit="mg/m3", averaging="day", reference_o2=D(11), source="fixture"
)


# --- converted_concentration -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measured", "o2", "o2_ref", "expected"),
    [
        ("50", "9", "6", "62.5"),  # 50 * (21-6)/(21-9) = 50 * 15/12 = 62.5
        ("50", "6", "6", "50"),  # at the reference O2 nothing changes: 50 * 15/15
        ("100", "3", "6", "83.33333333333333333333333333"),  # 100 * 15/18, below reference: value drops
        ("30", "15", "6", "75"),  # 30 * 15/6 = 75
        ("80", "18", "15", "160"),  # gas turbine reference 15 %: 80 * 6/3 = 160
        ("20", "12", "3.5", "38.88888888888888888888888889"),  # 20 * 17.5/9
        ("40", "10.5", "9", "45.71428571428571428571428571"),  # coal boiler reference 9 %: 40 * 12/10.5
        ("10", "0", "6", "7.142857142857142857142857143"),  # 10 * 15/21
        ("0", "20", "6", "0"),  # zero stays zero
        ("10", "20.5", "6", "300"),  # near 21 %: 10 * 15/0.5 = 300, no cap
    ],
)
def test_converted_concentration(measured: str, o2: str, o2_ref: str, expected: str) -> None:
    assert converted_concentration(D(measured), D(o2), D(o2_ref)) == D(expected)


@pytest.mark.parametrize(
    ("measured", "o2", "o2_ref"),
    [
        ("50", "21", "6"),  # 21 - 21 = 0: division by zero
        ("50", "21.5", "6"),  # negative denominator
        ("50", "-0.1", "6"),  # negative O2
        ("50", "9", "21"),  # reference at 21 %
        ("50", "9", "-1"),  # negative reference
        ("-1", "9", "6"),  # negative concentration
    ],
)
def test_converted_concentration_rejects(measured: str, o2: str, o2_ref: str) -> None:
    with pytest.raises(ValueError):
        converted_concentration(D(measured), D(o2), D(o2_ref))


tenths = st.integers(min_value=0, max_value=209)  # O2 from 0.0 to 20.9 %, in tenths


@given(
    measured=st.decimals(min_value=D("0.01"), max_value=D(5000), places=2),
    ref=st.integers(min_value=0, max_value=200),
    a=tenths,
    b=tenths,
)
def test_converted_value_increases_with_measured_o2_above_reference(
    measured: Decimal, ref: int, a: int, b: int
) -> None:
    low, high = sorted((a, b))
    if low < ref or low == high:
        low, high = ref, max(high, ref + 1)
    o2_ref, o2_low, o2_high = D(ref) / 10, D(low) / 10, D(high) / 10
    at_low = converted_concentration(measured, o2_low, o2_ref)
    at_high = converted_concentration(measured, o2_high, o2_ref)
    assert measured <= at_low < at_high


# --- exceedance_multiple ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("225", "200", "0.12"),  # 25/200 = 0.125, half-even -> 0.12 (half-up would give 0.13)
        ("227", "200", "0.14"),  # 27/200 = 0.135, half-even -> 0.14
        ("203", "200", "0.02"),  # 3/200 = 0.015 -> 0.02
        ("201", "200", "0.00"),  # 1/200 = 0.005 -> 0.00: exceeded, but by less than a hundredth
        ("450", "200", "1.25"),  # 250/200 = 1.25
        ("600", "200", "2.00"),  # 400/200 = 2
        ("62.5", "50", "0.25"),  # 12.5/50
        ("100", "300", "-0.67"),  # below the limit: -200/300 = -0.666.. (judge reports None instead)
    ],
)
def test_exceedance_multiple(value: str, limit: str, expected: str) -> None:
    assert exceedance_multiple(D(value), D(limit)) == D(expected)
    assert str(exceedance_multiple(D(value), D(limit))) == expected


# --- judge -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "o2", "exceeded", "value_used", "multiple"),
    [
        ("80", "9", False, "100", None),  # 80 * 15/12 = 100: exactly at the limit complies
        ("80.08", "9", True, "100.1", "0.00"),  # 80.08 * 15/12 = 100.1; 0.1/100 = 0.001 -> 0.00
        ("120", "9", True, "150", "0.50"),  # 120 * 15/12 = 150; 50/100
        ("100", "6", False, "100", None),  # at reference O2 and at the limit
        ("100.01", "6", True, "100.01", "0.00"),  # just above: 0.0001 -> 0.00
        ("160", "11", True, "240", "1.40"),  # 160 * 15/10 = 240; 140/100
        ("90", "3", False, "75", None),  # 90 * 15/18 = 75: low O2 brings the value under the limit
    ],
)
def test_judge_with_reference_o2(value: str, o2: str, exceeded: bool, value_used: str, multiple: str | None) -> None:
    j = judge(D(value), SO2_HOURLY, o2=D(o2), flag="N")
    assert j.judged and j.reason is None
    assert j.exceeded is exceeded
    assert j.value_used == D(value_used)
    assert j.multiple == (None if multiple is None else D(multiple))


@pytest.mark.parametrize(
    ("value", "exceeded", "multiple"),
    [
        ("200", False, None),  # at the limit
        ("200.001", True, "0.00"),  # just above
        ("225", True, "0.12"),  # 0.125 half-even
        ("350", True, "0.75"),  # 150/200
    ],
)
def test_judge_without_reference_o2_uses_measured_value(value: str, exceeded: bool, multiple: str | None) -> None:
    # A limit with no reference O2 ignores any O2 passed, even an impossible one.
    j = judge(D(value), NOX_HOURLY_NO_O2, o2=D(25))
    assert (j.exceeded, j.value_used, j.multiple) == (exceeded, D(value), None if multiple is None else D(multiple))


@pytest.mark.parametrize(
    ("value", "o2", "flag", "reason"),
    [
        ("500", None, "N", NotJudged.MISSING_O2),
        ("500", "21", "N", NotJudged.O2_OUT_OF_RANGE),
        ("500", "20.95", None, None),  # 20.95 % is still convertible: judged (see next test)
        ("500", "-1", "N", NotJudged.O2_OUT_OF_RANGE),
        ("-0.5", "9", "N", NotJudged.NEGATIVE_VALUE),
        ("500", "9", "F", NotJudged.FLAGGED_INVALID),  # instrument stopped
        ("500", "9", "M", NotJudged.FLAGGED_INVALID),  # maintenance
        ("500", "9", "S", NotJudged.FLAGGED_INVALID),  # manually set value
        ("500", "9", "D", NotJudged.FLAGGED_INVALID),  # fault
        ("500", "9", "C", NotJudged.FLAGGED_INVALID),  # calibration
        ("500", "9", "B", NotJudged.FLAGGED_INVALID),  # logger communication failure
        ("500", "9", "T", NotJudged.OVER_RANGE),  # above the measuring range: needs review
        ("500", "9", "P", NotJudged.UNKNOWN_FLAG),  # 2005 "power failure", not in the 2017 table
        ("500", "9", "n", NotJudged.UNKNOWN_FLAG),  # flags are case-sensitive
        ("500", "9", "", NotJudged.UNKNOWN_FLAG),
        ("500", None, "M", NotJudged.FLAGGED_INVALID),  # the flag is checked before the O2
    ],
)
def test_judge_not_judged(value: str, o2: str | None, flag: str | None, reason: NotJudged | None) -> None:
    j = judge(D(value), SO2_HOURLY, o2=None if o2 is None else D(o2), flag=flag)
    assert j.reason is reason
    if reason is not None:
        assert not j.judged
        assert (j.exceeded, j.value_used, j.multiple) == (False, None, None)


def test_judge_near_21_percent_converts_without_cap() -> None:
    # 500 * 15/0.05 = 150000; (150000 - 100)/100 = 1499
    j = judge(D(500), SO2_HOURLY, o2=D("20.95"))
    assert (j.exceeded, j.value_used, j.multiple) == (True, D(150000), D("1499.00"))


def test_excluded_flags_are_the_hj212_2017_invalid_ones() -> None:
    assert frozenset("FMSDCB") == EXCLUDED_FLAGS


# --- LimitSpec ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"limit": D(0)},
        {"limit": D(-5)},
        {"reference_o2": D(21)},
        {"reference_o2": D(-1)},
        {"averaging": "week"},
        {"pollutant": ""},
    ],
)
def test_limit_spec_rejects(overrides: dict[str, object]) -> None:
    values: dict[str, object] = {
        "pollutant": "a21026",
        "limit": D(100),
        "unit": "mg/m3",
        "averaging": "hour",
        "source": "fixture",
        **overrides,
    }
    with pytest.raises(ValueError):
        LimitSpec(**values)  # type: ignore[arg-type]  # deliberately wrong values


# --- daily_mean --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "min_valid", "expected"),
    [
        ([D(40)] * 19 + [D(60)], 20, D(41)),  # 20 valid hours, the threshold: (19*40 + 60)/20 = 820/20 = 41
        ([D(40)] * 19, 20, None),  # 19 valid hours: no valid daily mean
        ([D(10)] * 24, 20, D(10)),  # a full day
        ([D(1), D(2)] * 10, 20, D("1.5")),  # (10*1 + 10*2)/20 = 30/20
        ([D(5)] * 6, 6, D(5)),  # a caller-chosen threshold (e.g. a water rule)
        ([D(5)] * 5, 6, None),
        ([D(1)] * 20 + [D(2)], 20, D("1.047619047619047619047619048")),  # 22/21, unrounded
    ],
)
def test_daily_mean(values: list[Decimal], min_valid: int, expected: Decimal | None) -> None:
    assert daily_mean(values, min_valid) == expected


@pytest.mark.parametrize(("count", "min_valid"), [(25, 20), (10, 0), (10, 25)])
def test_daily_mean_rejects(count: int, min_valid: int) -> None:
    with pytest.raises(ValueError):
        daily_mean([D(1)] * count, min_valid)


# --- judge_series ------------------------------------------------------------------------------------------------


def hour(day: int, h: int) -> datetime:
    """The start of hour `h` of January `day`, 2024, China Standard Time."""
    return datetime(2024, 1, day, h, tzinfo=CST)


def test_judge_series_hourly_gas() -> None:
    readings = [
        Reading(hour(1, 0), D(80), D(9), "N"),  # 100: at the limit
        Reading(hour(1, 1), D(120), D(9), "N"),  # 150: exceeded 0.50
        Reading(hour(1, 2), D(900), D(9), "C"),  # calibration: ignored
        Reading(hour(1, 3), D(900), None, "N"),  # no O2: ignored
        Reading(hour(1, 4), D(900), D(9), "T"),  # over range: not judged automatically
        Reading(hour(1, 5), D(160), D(11), None),  # 240: exceeded 1.40 (no flag counts as N)
        Reading(hour(1, 6), D("100.01"), D(6), "N"),  # exceeded by less than a hundredth: 0.00
    ]
    assert list(judge_series(readings, SO2_HOURLY, zone=CST)) == [
        Exceedance(hour(1, 1), "hour", D(150), D(100), D("0.50")),
        Exceedance(hour(1, 5), "hour", D(240), D(100), D("1.40")),
        Exceedance(hour(1, 6), "hour", D("100.01"), D(100), D("0.00")),
    ]


def test_judge_series_daily_water() -> None:
    day1 = [Reading(hour(1, h), D(52), flag="N") for h in range(20)]  # 20 valid hours at 52
    day1 += [Reading(hour(1, h), D(500), flag="D") for h in range(20, 24)]  # faults ignored
    day2 = [Reading(hour(2, h), D(80), flag="N") for h in range(19)]  # only 19 valid hours
    day2 += [Reading(hour(2, h), D(80), flag="M") for h in range(19, 24)]
    day3 = [Reading(hour(3, h), D(50), flag="N") for h in range(24)]  # at the limit
    assert list(judge_series(day3 + day2 + day1, COD_DAILY, zone=CST)) == [
        # (52 - 50)/50 = 0.04
        Exceedance(hour(1, 0), "day", D(52), D(50), D("0.04")),
    ]


def test_judge_series_daily_uses_the_zone_for_the_natural_day() -> None:
    # 2024-01-01 16:00 UTC is 2024-01-02 00:00 in China: these 24 UTC hours are one Chinese day.
    first = datetime(2024, 1, 1, 16, tzinfo=UTC)
    readings = [Reading(first + timedelta(hours=h), D(60)) for h in range(24)]
    assert list(judge_series(readings, COD_DAILY, zone=CST)) == [
        Exceedance(hour(2, 0), "day", D(60), D(50), D("0.20")),  # 10/50
    ]
    # Grouped by UTC days instead, each day has only 8 or 16 hours: no valid mean.
    assert list(judge_series(readings, COD_DAILY, zone=UTC)) == []


def test_judge_series_daily_converts_each_hour_first() -> None:
    # Each hour: 50 * (21-11)/(21-15) = 50 * 10/6 = 83.33..; mean the same; (83.33.. - 80)/80 = 0.0416.. -> 0.04
    readings = [Reading(hour(1, h), D(50), D(15), "N") for h in range(20)]
    readings += [Reading(hour(1, h), D(50), None, "N") for h in range(20, 24)]  # no O2: skipped
    [exceedance] = judge_series(readings, DUST_DAILY_O2, zone=CST)
    assert exceedance.value == D("83.33333333333333333333333333")
    assert exceedance.multiple == D("0.04")


def test_judge_series_hourly_reports_in_zone() -> None:
    start = datetime(2024, 1, 1, 16, tzinfo=UTC)
    [exceedance] = judge_series([Reading(start, D(300))], NOX_HOURLY_NO_O2, zone=CST)
    assert exceedance.start == start
    assert exceedance.start.utcoffset() == timedelta(hours=8)


def test_judge_series_rejects_duplicate_hours() -> None:
    readings = [Reading(hour(1, 0), D(1)), Reading(hour(1, 0), D(2))]
    with pytest.raises(ValueError, match="duplicate"):
        list(judge_series(readings, COD_DAILY, zone=CST))


def test_reading_needs_an_aware_start() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Reading(datetime(2024, 1, 1, 0), D(1))  # noqa: DTZ001  # the naive datetime is the point
