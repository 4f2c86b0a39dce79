"""GB 3095 limits and data validity, HJ 663 statistics and attainment, by hand-worked values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoloop.standards.aqi import Number
from ecoloop.standards.evaluation import (
    ANNUAL_PERCENTILES,
    MIN_8H_VALUES_MDA8,
    MIN_DAYS_FEBRUARY,
    MIN_DAYS_MONTH,
    MIN_DAYS_YEAR,
    MIN_HOURS_8H,
    MIN_HOURS_DAILY_MEAN,
    DailyValues,
    aqi_day_counts,
    class_ii_limits,
    daily_max_1h,
    daily_mean,
    exceedance_multiple,
    exceeds,
    limit_stage,
    limits,
    mda8,
    moving_8h,
    percentile,
    period_bounds,
    period_statistics,
    report_percent,
    report_value,
    without_dust,
)

D = Decimal
JAN_2025 = date(2025, 1, 15)


def test_the_constants_the_ibis_pipeline_imports() -> None:
    """GB 3095 Table 4 and HJ 663 §6.1.2 minimum counts; HJ 663 annual percentile items."""
    assert (MIN_HOURS_DAILY_MEAN, MIN_HOURS_8H, MIN_8H_VALUES_MDA8) == (20, 6, 14)
    assert (MIN_DAYS_YEAR, MIN_DAYS_MONTH, MIN_DAYS_FEBRUARY) == (324, 27, 25)
    expected = {"SO2": "0.98", "NO2": "0.98", "PM10": "0.95", "PM2_5": "0.95", "CO": "0.95", "O3": "0.90"}
    assert {k: D(v) for k, v in expected.items()} == ANNUAL_PERCENTILES


# --- limits (GB 3095-2012 Table 1; GB 3095-2026 Table 1, transition and final) ---------------------------------

# Written out again here from the notes' table, not read from the module.
CLASS_II = {
    "2012": {
        ("SO2", "annual"): 60, ("SO2", "24h"): 150, ("SO2", "1h"): 500,
        ("NO2", "annual"): 40, ("NO2", "24h"): 80, ("NO2", "1h"): 200,
        ("CO", "24h"): 4, ("CO", "1h"): 10, ("O3", "8h"): 160, ("O3", "1h"): 200,
        ("PM10", "annual"): 70, ("PM10", "24h"): 150, ("PM2_5", "annual"): 35, ("PM2_5", "24h"): 75,
    },
    "2026-transition": {
        ("SO2", "annual"): 60, ("SO2", "24h"): 150, ("SO2", "1h"): 500,
        ("NO2", "annual"): 40, ("NO2", "24h"): 80, ("NO2", "1h"): 200,
        ("CO", "24h"): 4, ("CO", "1h"): 10, ("O3", "8h"): 160, ("O3", "1h"): 200,
        ("PM10", "annual"): 60, ("PM10", "24h"): 120, ("PM2_5", "annual"): 30, ("PM2_5", "24h"): 60,
    },
    "2026-final": {
        ("SO2", "annual"): 20, ("SO2", "24h"): 50, ("SO2", "1h"): 150,
        ("NO2", "annual"): 30, ("NO2", "24h"): 50, ("NO2", "1h"): 200,
        ("CO", "24h"): 4, ("CO", "1h"): 10, ("O3", "8h"): 160, ("O3", "1h"): 200,
        ("PM10", "annual"): 50, ("PM10", "24h"): 100, ("PM2_5", "annual"): 25, ("PM2_5", "24h"): 50,
    },
}  # fmt: skip


@pytest.mark.parametrize(
    ("day", "stage"),
    [
        (date(2013, 1, 1), "2012"),
        (date(2026, 2, 28), "2012"),
        (date(2026, 3, 1), "2026-transition"),
        (date(2030, 12, 31), "2026-transition"),
        (date(2031, 1, 1), "2026-final"),
    ],
)
def test_class_ii_limits_by_day(day: date, stage: str) -> None:
    assert limit_stage(day) == stage
    assert class_ii_limits(day) == {key: D(value) for key, value in CLASS_II[stage].items()}


@pytest.mark.parametrize(
    ("day", "key", "expected"),
    [
        (date(2026, 2, 28), ("PM2_5", "24h"), 35),
        (date(2026, 3, 1), ("PM2_5", "annual"), 15),
        (date(2031, 1, 1), ("PM2_5", "24h"), 25),
        (date(2031, 1, 1), ("PM10", "annual"), 20),
        (date(2031, 1, 1), ("NO2", "annual"), 30),
        (date(2030, 12, 31), ("O3", "8h"), 100),
        (date(2030, 12, 31), ("SO2", "1h"), 150),
    ],
)
def test_class_i_limits(day: date, key: tuple[str, str], expected: int) -> None:
    assert limits(day, "I")[key] == expected


def test_unknown_class() -> None:
    with pytest.raises(ValueError, match="area class"):
        limits(JAN_2025, "III")  # type: ignore[arg-type]


# --- percentile (HJ 663-2013 Appendix A) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        # sorted 2 3 4 4 5 8; k = 1 + 5·0.9 = 5.5; X(5) + (X(6) − X(5))·0.5 = 5 + 3·0.5 = 6.5 (the notes' check).
        ([3, 4, 8, 2, 5, 4], "0.9", "6.5"),
        # k = 1 + 5·0.5 = 3.5; X(3) = X(4) = 4.
        ([3, 4, 8, 2, 5, 4], "0.5", "4"),
        # p = 0 → X(1); p = 1 → k = n → X(n).
        ([3, 4, 8, 2, 5, 4], 0, "2"),
        ([3, 4, 8, 2, 5, 4], 1, "8"),
        # one value: k = 1 whatever p.
        ([7], "0.95", "7"),
        # 1..100: k = 1 + 99·0.95 = 95.05; 95 + (96 − 95)·0.05 = 95.05.
        (list(range(1, 101)), "0.95", "95.05"),
        # 1..365: k = 1 + 364·0.98 = 357.72 → 357.72.
        (list(range(1, 366)), "0.98", "357.72"),
        # 1..324 (the least valid year): k = 1 + 323·0.9 = 291.7 → 291.7.
        (list(range(1, 325)), "0.90", "291.7"),
        # floats are read as their decimal repr: k = 1 + 1·0.3 = 1.3; 0.1 + 0.1·0.3 = 0.13 exactly.
        ([0.2, 0.1], 0.3, "0.13"),
        # k = 2 exactly: X(2) = 0.2, not 0.20000000000000001.
        ([0.1, 0.2, 0.3], 0.5, "0.2"),
        # 10, 20, 30, 40 at p = 0.95: k = 1 + 3·0.95 = 3.85; 30 + 10·0.85 = 38.5.
        (["40", "10", "30", "20"], D("0.95"), "38.5"),
    ],
)
def test_percentile_hand_worked(values: list[Number], p: Number, expected: str) -> None:
    assert percentile(values, p) == D(expected)


def test_percentile_rejects_no_values_and_bad_p() -> None:
    with pytest.raises(ValueError, match="no values"):
        percentile([], "0.5")
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1, 2], 95)
    with pytest.raises(ValueError, match="NaN"):
        percentile([1, float("nan")], "0.5")


values_strategy = st.lists(st.decimals(min_value=0, max_value=2000, places=1, allow_nan=False), min_size=1, max_size=60)
p_strategy = st.decimals(min_value=0, max_value=1, places=3)


@settings(max_examples=150, deadline=None)
@given(values=values_strategy, p=p_strategy, q=p_strategy)
def test_percentile_is_within_range_and_monotone_in_p(values: list[Decimal], p: Decimal, q: Decimal) -> None:
    low, high = sorted((p, q))
    assert min(values) <= percentile(values, low) <= percentile(values, high) <= max(values)


# --- daily statistics (GB 3095 Table 4; HJ 663 §6.1.2) ----------------------------------------------------------


def _hours(valid: int, value: Number = 10) -> list[Number | None]:
    return [value] * valid + [None] * (24 - valid)


@pytest.mark.parametrize(
    ("hourly", "expected"),
    [
        # 20 valid hours (the minimum): 1 + 2 + … + 20 = 210; 210/20 = 10.5.
        ([*range(1, 21), None, None, None, None], "10.5"),
        # 19 valid hours: not valid.
        ([*range(1, 20), None, None, None, None, None], None),
        (_hours(24), "10"),
        (_hours(0), None),
        # NaN counts as missing: 20 valid of 24.
        ([float("nan")] * 4 + [2.5] * 20, "2.5"),
        # 24 hours of 1, 2, 3 repeated: 8·6/24 = 2.
        ([1, 2, 3] * 8, "2"),
    ],
)
def test_daily_mean_needs_20_hours(hourly: list[Number | None], expected: str | None) -> None:
    assert daily_mean(hourly) == (None if expected is None else D(expected))


def test_daily_mean_rejects_more_than_24_hours() -> None:
    with pytest.raises(ValueError, match="24 hourly values"):
        daily_mean([1] * 25)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False)),
        min_size=24,
        max_size=24,
    )
)
def test_daily_mean_is_within_the_valid_hours(hourly: list[Decimal | None]) -> None:
    valid = [v for v in hourly if v is not None]
    mean = daily_mean(hourly)
    if len(valid) < 20:
        assert mean is None
    else:
        assert mean is not None and min(valid) <= mean <= max(valid)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        # 6 of 8 valid: (10 + 20 + 30 + 40 + 50 + 60)/6 = 210/6 = 35.
        ([10, 20, 30, 40, 50, 60, None, None], "35"),
        ([None, 20, 30, None, 50, 60, 70, 80], "51.66666666666666666666666667"),  # 310/6
        # 5 of 8: not valid.
        ([10, 20, 30, 40, 50, None, None, None], None),
        ([80] * 8, "80"),
    ],
)
def test_8_hour_mean_needs_6_of_8_hours(window: list[Number | None], expected: str | None) -> None:
    assert moving_8h(window) == [None if expected is None else D(expected)]


def test_moving_8h_labels_by_last_hour() -> None:
    """24 hours give 17 windows (ending 8时…24时); with the previous day's last 7 hours, 24 windows."""
    day = list(range(1, 25))
    windows = moving_8h(day)
    assert len(windows) == 17
    # The window ending 8时 holds hours 1..8: mean 4.5; ending 24时 holds 17..24: mean 20.5.
    assert (windows[0], windows[-1]) == (D("4.5"), D("20.5"))
    previous = [None] * 5 + [100, 100]
    with_previous = moving_8h(previous + day)
    assert len(with_previous) == 24
    # Ending 1时: hours 18时-24时 of the day before (5 missing) + 1时: 3 valid → None.
    # Ending 2时: 100, 100, 1, 2 and 4 missing → None. Ending 3时: 100, 100, 1, 2, 3 → 5 valid → None.
    # Ending 4时: 100, 100, 1, 2, 3, 4 → 6 valid: 210/6 = 35.
    assert with_previous[:4] == [None, None, None, D(35)]
    assert with_previous[7:] == windows
    assert moving_8h(day[:7]) == []


# MDA8 over 24 hours with the last `missing` hours absent: missing 19时..24时 (hours 19-23, 0-based) leaves
# windows j = 0..13 valid (j = 14 covers hours 14-21 with 19, 20, 21 missing: 5 of 8) → 14 windows;
# missing hours 18-23 leaves j = 0..12 (j = 13 covers 13-20 with 18, 19, 20 missing) → 13 windows.
FOURTEEN = 5
THIRTEEN = 6


def _day_missing_last(missing: int, value: Number) -> list[Number | None]:
    return [value] * (24 - missing) + [None] * missing


def test_the_window_counts_of_the_fixtures() -> None:
    assert sum(w is not None for w in moving_8h(_day_missing_last(FOURTEEN, 1))) == 14
    assert sum(w is not None for w in moving_8h(_day_missing_last(THIRTEEN, 1))) == 13


@pytest.mark.parametrize(
    ("missing", "value", "class_", "expected"),
    [
        (0, 100, "II", "100"),
        # 14 valid 8-hour means: valid whatever the value.
        (FOURTEEN, 100, "II", "100"),
        # 13: valid only above the limit (class II 160).
        (THIRTEEN, 100, "II", None),
        (THIRTEEN, 200, "II", "200"),
        (THIRTEEN, 161, "II", "161"),
        (THIRTEEN, 160, "II", None),
        # 160.4 reports as 160, which meets the limit: not valid. 160.6 reports as 161: valid.
        (THIRTEEN, "160.4", "II", None),
        (THIRTEEN, "160.6", "II", "160.6"),
        # class I limit 100: 120 exceeds it.
        (THIRTEEN, 120, "I", "120"),
        (THIRTEEN, 120, "II", None),
        (24, 100, "II", None),
    ],
)
def test_mda8_needs_14_windows_unless_over_the_limit(
    missing: int, value: Number, class_: str, expected: str | None
) -> None:
    result = mda8(_day_missing_last(missing, value), JAN_2025, class_)  # type: ignore[arg-type]
    assert result == (None if expected is None else D(expected))


def test_mda8_is_the_maximum_window_of_the_natural_day() -> None:
    # Hours 17时-24时 (indices 16-23) at 200, the rest at 10: the window ending 24时 has mean 200.
    assert mda8([10] * 16 + [200] * 8, JAN_2025) == D(200)
    # Hours 11-18 (indices 10-17) at 170: one window of 170; the others mix 10 and 170.
    assert mda8([10] * 10 + [170] * 8 + [10] * 6, JAN_2025) == D(170)
    with pytest.raises(ValueError, match="24 hourly values"):
        mda8([10] * 23, JAN_2025)


@pytest.mark.parametrize(
    ("hourly", "expected"),
    [
        ([*range(1, 21), None, None, None, None], 20),
        ([*range(1, 20), None, None, None, None, None], None),
        ([5] * 23 + [250], 250),
    ],
)
def test_daily_max_1h(hourly: list[Number | None], expected: int | None) -> None:
    assert daily_max_1h(hourly) == expected


# --- reporting precision (HJ 633-2026 §4.2.2; GB/T 8170 half-even) ----------------------------------------------


@pytest.mark.parametrize(
    ("pollutant", "value", "expected"),
    [
        ("PM2_5", "35.5", "36"),  # half: to the even 36
        ("PM2_5", "34.5", "34"),  # half: to the even 34
        ("PM2_5", "34.51", "35"),
        ("PM10", 70.49, "70"),
        ("O3", 160.5, "160"),
        ("CO", "1.25", "1.2"),
        ("CO", "1.35", "1.4"),
        ("CO", 1.251, "1.3"),
        ("SO2", 7, "7"),
    ],
)
def test_report_value(pollutant: str, value: Number, expected: str) -> None:
    assert report_value(pollutant, value) == D(expected)
    assert str(report_value(pollutant, value)) == expected


def test_unknown_pollutant() -> None:
    with pytest.raises(ValueError, match="unknown pollutant"):
        report_value("PM1", 3)


@pytest.mark.parametrize(
    ("pollutant", "value", "limit", "exceeding", "multiple"),
    [
        # (52 − 35)/35 = 0.4857… → 0.49.
        ("PM2_5", 52, 35, True, "0.49"),
        # 35.4 reports as 35: meets the limit.
        ("PM2_5", "35.4", 35, False, None),
        ("PM2_5", "35.5", 35, True, "0.03"),  # 36: 1/35 = 0.0286 → 0.03
        # CO 4.06 reports as 4.1: (4.1 − 4)/4 = 0.025 → 0.02 (half to even).
        ("CO", "4.06", 4, True, "0.02"),
        ("CO", "4.04", 4, False, None),
        # 320/160 − 1 = 1.
        ("O3", 320, 160, True, "1.00"),
    ],
)
def test_exceedance_and_multiple(pollutant: str, value: str, limit: int, exceeding: bool, multiple: str | None) -> None:
    assert exceeds(pollutant, value, limit) is exceeding
    assert exceedance_multiple(pollutant, value, limit) == (None if multiple is None else D(multiple))


@pytest.mark.parametrize(("value", "expected"), [("93.10344", "93.1"), ("6.25", "6.2"), ("18.75", "18.8")])
def test_report_percent(value: str, expected: str) -> None:
    assert report_percent(value) == D(expected)


# --- periods (GB 3095 Table 4; HJ 663 §5, §6, Appendix A) -------------------------------------------------------


def _days(first: date, count: int) -> list[date]:
    return [first + timedelta(days=i) for i in range(count)]


def _year(per_month: Sequence[int], year: int = 2025, pm2_5: Number = 20) -> dict[date, DailyValues]:
    """The first `per_month[m]` days of every month with PM2.5 `pm2_5`."""
    return {day: DailyValues(pm2_5=pm2_5) for m, n in enumerate(per_month, 1) for day in _days(date(year, m, 1), n)}


@pytest.mark.parametrize(
    ("per_month", "total", "valid"),
    [
        # 27·11 + 25 = 322, plus one extra day in two months: 324 → valid.
        ([28, 25, 28, 27, 27, 27, 27, 27, 27, 27, 27, 27], 324, True),
        # 323: every month meets its minimum but the year does not.
        ([28, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27], 323, False),
        # 26 + 28 + 30·10 = 354 days but January has 26: not valid.
        ([26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30], 354, False),
        # February 24: not valid.
        ([30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30], 354, False),
        ([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], 365, True),
    ],
)
def test_year_validity(per_month: list[int], total: int, valid: bool) -> None:
    result = period_statistics(_year(per_month), "PM2_5", "year")
    assert (result.valid_days, result.valid_days_by_month, result.valid) == (total, tuple(per_month), valid)
    assert result.attained is (True if valid else None)


@pytest.mark.parametrize(
    ("first", "count", "valid"),
    [
        (date(2025, 1, 1), 27, True),
        (date(2025, 1, 1), 26, False),
        (date(2025, 2, 1), 25, True),
        (date(2025, 2, 1), 24, False),
        (date(2024, 2, 1), 25, True),  # leap year: still 25
        (date(2024, 2, 1), 24, False),
    ],
)
def test_month_validity(first: date, count: int, valid: bool) -> None:
    daily = {day: DailyValues(so2=8) for day in _days(first, count)}
    result = period_statistics(daily, "SO2", "month")
    assert (result.valid_days, result.valid) == (count, valid)


@pytest.mark.parametrize(("march", "valid"), [(27, True), (26, False)])
def test_quarter_validity_needs_every_month(march: int, valid: bool) -> None:
    daily = _year([27, 25, march])
    result = period_statistics(daily, "PM2_5", "quarter")
    assert (result.start, result.end, result.valid_days_by_month, result.valid) == (
        date(2025, 1, 1),
        date(2025, 3, 31),
        (27, 25, march),
        valid,
    )


def test_month_statistics_hand_worked() -> None:
    """January, PM2.5 = 2·d on day d (2, 4, …, 62).

    mean = 2·16 = 32; P95: k = 1 + 30·0.95 = 29.5, X(29) = 58, X(30) = 60 → 59.
    2025 (GB 3095-2012: annual 35, 24h 75): both within → attained, no day over 75, 达标率 100.0.
    2027 (transition: annual 30, 24h 60): mean 32 > 30, (32 − 30)/30 = 0.0667 → 0.07; P95 59 ≤ 60;
    one day (62) over 60; 达标率 30/31 = 96.77 → 96.8.
    """
    for year, stage, attained, multiple, exceeding, rate in [
        (2025, "2012", True, None, 0, "100.0"),
        (2027, "2026-transition", False, D("0.07"), 1, "96.8"),
    ]:
        daily = {date(year, 1, d): DailyValues(pm2_5=2 * d) for d in range(1, 32)}
        result = period_statistics(daily, "PM2_5", "month")
        assert (result.mean, result.percentile, result.stage) == (D(32), D(59), stage)
        assert (result.valid, result.attained, result.mean_multiple, result.percentile_multiple) == (
            True,
            attained,
            multiple,
            None,
        )
        assert (result.exceeding_days, result.attainment_rate) == (exceeding, D(rate))


def test_o3_and_co_are_judged_by_their_percentile_only() -> None:
    """O3: MDA8 P90 against the 8-hour limit 160; CO: P95 against the 24-hour limit 4; no annual limit.

    O3 = 100 on days 1..27 and 200 on 28..31: P90 k = 1 + 30·0.9 = 28 → X(28) = 200 > 160,
    (200 − 160)/160 = 0.25; mean (27·100 + 4·200)/31 = 3500/31.
    """
    daily = {date(2025, 7, d): DailyValues(o3_8h=100 if d <= 27 else 200, co="0.8") for d in range(1, 32)}
    o3 = period_statistics(daily, "O3", "month")
    assert (o3.percentile, o3.daily_limit, o3.mean_limit, o3.percentile_multiple) == (D(200), D(160), None, D("0.25"))
    assert o3.mean == D(3500) / D(31)
    assert (o3.attained, o3.exceeding_days, o3.attainment_rate) == (False, 4, D("87.1"))  # 27/31 = 87.10
    co = period_statistics(daily, "CO", "month")
    assert (co.percentile, co.daily_limit, co.mean_limit, co.attained) == (D("0.8"), D(4), None, True)


def test_straddling_quarter_judges_each_day_by_its_own_limit() -> None:
    """Q1 2026: the quarter items on the limits in force on its last day (transition), each day on its own."""
    daily = _year([31, 28, 31], year=2026, pm2_5=20)
    daily[date(2026, 2, 10)] = DailyValues(pm2_5=70)  # 70 ≤ 75 (GB 3095-2012)
    daily[date(2026, 3, 10)] = DailyValues(pm2_5=70)  # 70 > 60 (transition)
    result = period_statistics(daily, "PM2_5", "quarter")
    assert (result.stage, result.daily_limit, result.mean_limit, result.exceeding_days) == (
        "2026-transition",
        D(60),
        D(30),
        1,
    )
    on_january = period_statistics(daily, "PM2_5", "quarter", limits_on=date(2026, 1, 31))
    assert (on_january.stage, on_january.daily_limit) == ("2012", D(75))


def test_dust_days_are_deducted_from_particulate_items_only() -> None:
    """27 January days: PM10 50 on 26, 800 on one dust-storm day; SO2 10 every day.

    Kept: mean (26·50 + 800)/27 = 2100/27 = 77.8 → reported 78 > 70, (78 − 70)/70 = 0.114 → 0.11; one day over
    150, 达标率 26/27 = 96.3. Deducted: mean 50, no day over, 100.0; the dust day still counts as valid.
    """
    daily = {day: DailyValues(pm10=50, so2=10) for day in _days(date(2025, 1, 1), 27)}
    daily[date(2025, 1, 5)] = DailyValues(pm10=800, so2=10, dust=True)
    kept = period_statistics(daily, "PM10", "month")
    assert (kept.mean_multiple, kept.exceeding_days, kept.attainment_rate, kept.attained) == (
        D("0.11"),
        1,
        D("96.3"),
        False,
    )
    deducted = period_statistics(daily, "PM10", "month", deduct_dust=True)
    assert (deducted.mean, deducted.valid_days, deducted.valid, deducted.dust_days_deducted) == (D(50), 27, True, 1)
    assert (deducted.exceeding_days, deducted.attainment_rate, deducted.attained) == (0, D("100.0"), True)
    assert len(without_dust(daily, "PM10")) == 26
    assert len(without_dust(daily, "SO2")) == 27
    assert period_statistics(daily, "SO2", "month", deduct_dust=True).dust_days_deducted == 0


def test_period_needs_one_period_or_an_anchor() -> None:
    daily = {date(2025, 1, 31): DailyValues(no2=30), date(2025, 2, 1): DailyValues(no2=50)}
    with pytest.raises(ValueError, match="span 2 months"):
        period_statistics(daily, "NO2", "month")
    february = period_statistics(daily, "NO2", "month", anchor=date(2025, 2, 14))
    assert (february.start, february.valid_days, february.mean) == (date(2025, 2, 1), 1, D(50))
    assert period_statistics(daily, "NO2", "year").valid_days == 2
    empty = period_statistics({}, "NO2", "year", anchor=date(2025, 6, 1))
    assert (empty.valid, empty.mean, empty.percentile, empty.attained, empty.attainment_rate) == (
        False,
        None,
        None,
        None,
        None,
    )
    with pytest.raises(ValueError, match="no days"):
        period_statistics({}, "NO2", "year")


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("month", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
        ("quarter", date(2025, 5, 10), (date(2025, 4, 1), date(2025, 6, 30))),
        ("quarter", date(2025, 12, 31), (date(2025, 10, 1), date(2025, 12, 31))),
        ("year", date(2026, 3, 1), (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_period_bounds(period: str, day: date, bounds: tuple[date, date]) -> None:
    assert period_bounds(period, day) == bounds  # type: ignore[arg-type]


def test_daily_values_item() -> None:
    values = DailyValues(pm2_5=float("nan"), o3_8h="150.5", o3_1h=300, co=0.7)
    assert (values.item("PM2_5"), values.item("O3"), values.item("CO"), values.item("SO2")) == (
        None,
        D("150.5"),
        D("0.7"),
        None,
    )


# --- AQI day counts (HJ 633 levels; good-day ratio, heavy-pollution days) ---------------------------------------


@pytest.mark.parametrize(
    ("good", "valid", "ratio"),
    [
        (27, 29, "93.1"),  # 93.103…
        (1, 16, "6.2"),  # 6.25: half to even
        (3, 16, "18.8"),  # 18.75: half to even
        (1, 3, "33.3"),
        (2, 3, "66.7"),
        (365, 365, "100.0"),
        (0, 31, "0.0"),
    ],
)
def test_good_day_ratio(good: int, valid: int, ratio: str) -> None:
    aqis: list[int | None] = [100] * good + [101] * (valid - good) + [None, None]
    counts = aqi_day_counts(aqis)
    assert (counts.valid_days, counts.good_days, counts.good_ratio) == (valid, good, D(ratio))
    assert counts.exceedance_days == valid - good


def test_day_counts_levels_heavy_and_dust() -> None:
    """Nine days: 0, 50 (level 1), 51, 100 (2), 150 (3), 200 (4), 201 (5, dust), 300 (5), 301 (6); one missing.

    Good 4/9 = 44.4%; exceedance 5/9 = 55.6%; heavy (> 200) 3/9 = 33.3%, one of them a dust-storm day.
    """
    aqis = [0, 50, 51, 100, 150, 200, 201, 300, 301, None]
    dust = [False] * 6 + [True] + [False] * 2 + [True]
    counts = aqi_day_counts(aqis, dust)
    assert counts.level_days == (2, 2, 1, 1, 2, 1)
    assert (counts.good_days, counts.good_ratio, counts.exceedance_ratio) == (4, D("44.4"), D("55.6"))
    assert (counts.heavy_days, counts.heavy_ratio) == (3, D("33.3"))
    # The missing day's dust flag does not count; the dust day stays in every ratio.
    assert (counts.dust_days, counts.exceedance_dust_days, counts.heavy_dust_days) == (1, 1, 1)
    empty = aqi_day_counts([None, None])
    assert (empty.valid_days, empty.good_ratio, empty.heavy_ratio) == (0, None, None)
    with pytest.raises(ValueError, match="dust flags"):
        aqi_day_counts([50, 60], [True])


def test_no_float_leaks_into_results() -> None:
    result = period_statistics({date(2025, 1, d): DailyValues(co=0.1 * d) for d in range(1, 32)}, "CO", "month")
    assert isinstance(result.mean, Decimal) and isinstance(result.percentile, Decimal)
    assert not math.isnan(float(result.mean))
