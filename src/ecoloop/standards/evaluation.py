"""Ambient air quality evaluation by GB 3095 (limits, data validity) and HJ 663 (statistics, attainment).

Editions: GB 3095-2012 with HJ 663-2013 before 2026-03-01, GB 3095-2026 with HJ 663-2026 from then on
(`ecoloop.standards.limits.limit_stage`). HJ 663-2026's text was not available: the rules applied to 2026 data
are the 2013 ones, and where a 2026 rule is known only from secondary sources it is a named module constant.
docs/standards/gb3095-hj663-evaluation.md lists every clause with its status.

Arithmetic is exact `Decimal`: sums and the percentile interpolation are exact, means carry 28 significant
digits, and rounding for reports is GB/T 8170 half-even on the decimal value. Floats are read through their
shortest repr (the number that was measured). A missing or NaN value counts as not valid.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation
from functools import reduce
from typing import Literal

from ecoloop.standards.aqi import Number, level_of
from ecoloop.standards.limits import (
    POLLUTANTS,
    AreaClass,
    LimitStage,
    class_ii_limits,
    limit_stage,
    limits,
    stage_limits,
)

__all__ = [
    "ANNUAL_MEAN_POLLUTANTS",
    "ANNUAL_PERCENTILES",
    "DAILY_AVERAGING",
    "DUST_DEDUCTED_POLLUTANTS",
    "EXCEEDANCE_MULTIPLE_PLACES",
    "JUDGE_REPORTED_VALUES",
    "MIN_8H_VALUES_MDA8",
    "MIN_DAYS_FEBRUARY",
    "MIN_DAYS_MONTH",
    "MIN_DAYS_YEAR",
    "MIN_HOURS_8H",
    "MIN_HOURS_DAILY_MAX_1H",
    "MIN_HOURS_DAILY_MEAN",
    "PERCENT_PLACES",
    "POLLUTANTS",
    "REPORT_PLACES",
    "AreaClass",
    "DailyValues",
    "DayCounts",
    "LimitStage",
    "Period",
    "PeriodStatistics",
    "aqi_day_counts",
    "class_ii_limits",
    "daily_max_1h",
    "daily_mean",
    "exceedance_multiple",
    "exceeds",
    "limit_stage",
    "limits",
    "mda8",
    "min_days_in_month",
    "moving_8h",
    "percentile",
    "period_bounds",
    "period_statistics",
    "report_percent",
    "report_value",
    "without_dust",
]

Period = Literal["month", "quarter", "year"]

MIN_HOURS_DAILY_MEAN = 20
"""A 24-hour mean needs at least 20 valid hourly values of the natural day (GB 3095-2012 / 2026 Table 4)."""
MIN_HOURS_8H = 6
"""An 8-hour mean needs at least 6 valid hourly values of its 8 hours (GB 3095-2012 / 2026 Table 4)."""
MIN_8H_VALUES_MDA8 = 14
"""MDA8 needs at least 14 valid 8-hour means among those ending 8时 to 24时; with fewer it is valid only if it
exceeds the limit (HJ 663-2013 §6.1.2; the same rule in HJ 663-2026 §6.1.2 per secondary sources)."""
MIN_DAYS_YEAR = 324
"""A year needs at least 324 valid daily values (GB 3095 Table 4, annual mean)."""
MIN_DAYS_MONTH = 27
"""Every month needs at least 27 valid daily values (GB 3095 Table 4, annual mean) ..."""
MIN_DAYS_FEBRUARY = 25
"""... and February at least 25 (GB 3095 Table 4), also in leap years."""
MIN_HOURS_DAILY_MAX_1H = 20
"""Valid hours for a daily maximum 1-hour value: an ecoloop choice (no clause found), the daily-mean minimum."""

ANNUAL_PERCENTILES: dict[str, Decimal] = {
    "SO2": Decimal("0.98"),
    "NO2": Decimal("0.98"),
    "PM10": Decimal("0.95"),
    "PM2_5": Decimal("0.95"),
    "CO": Decimal("0.95"),
    "O3": Decimal("0.90"),
}
"""The percentile item of each pollutant (HJ 663-2013 annual evaluation items: SO2, NO2 98th, PM10, PM2.5, CO
95th percentile of the 24-hour means; O3 90th percentile of MDA8): [S] national centre reports. Applied to 2026
data too: [S] a 2026 fixture; HJ 663-2026 not seen."""

DAILY_AVERAGING: dict[str, str] = {"SO2": "24h", "NO2": "24h", "CO": "24h", "O3": "8h", "PM10": "24h", "PM2_5": "24h"}
"""The daily statistic each pollutant's period items are taken of, and the limit they are judged on (HJ 663)."""
ANNUAL_MEAN_POLLUTANTS: tuple[str, ...] = ("SO2", "NO2", "PM10", "PM2_5")
"""Pollutants with an annual mean item and an annual limit (GB 3095 Table 1; HJ 663 annual items)."""

REPORT_PLACES: dict[str, Decimal] = {p: Decimal("0.1") if p == "CO" else Decimal(1) for p in POLLUTANTS}
"""Reported precision: µg/m³ to integers, CO (mg/m³) to one decimal (HJ 633-2026 §4.2.2; HJ 663 by GB/T 8170)."""
PERCENT_PLACES = Decimal("0.1")
"""Ratios (good-day ratio, attainment rate) are reported in percent to one decimal: [S] official bulletins."""
EXCEEDANCE_MULTIPLE_PLACES = Decimal("0.01")
"""超标倍数 to two decimals: [U] as bulletins print it; HJ 663-2026's rounding rules were not seen."""
JUDGE_REPORTED_VALUES = True
"""Compare the reported (rounded) value with the limit, GB/T 8170 "rounded-value comparison": [U] practice of
published attainment; HJ 663-2026's rounding rules were not seen."""
DUST_DEDUCTED_POLLUTANTS = frozenset({"PM10", "PM2_5"})
"""Dust-storm days are deducted (扣沙) from PM10 and PM2.5 statistics, not from AQI day ratios: [S] national
centre report notes; HJ 663-2026 "exceptional events" (例外事件) text not seen."""

GOOD_AQI_MAX = 100  # 优 and 良 (HJ 633 Table 2 / Appendix A): a good day
HEAVY_AQI_MIN = 201  # 重度 and 严重污染: a heavy-pollution day (AQI > 200)

# Sums and percentiles are exact (any rounding raises); a mean is rounded to 28 significant digits, whatever
# the caller's decimal context is.
_CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_EXACT = Context(prec=200, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])


def _decimal(value: Number) -> Decimal:
    # str() of a float is its shortest repr, i.e. the decimal number that was measured or typed.
    return Decimal(value) if isinstance(value, str | Decimal | int) else Decimal(str(value))


def _valid(value: Number | None) -> Decimal | None:
    if value is None:
        return None
    number = _decimal(value)
    return None if number.is_nan() else number


def _mean(values: Sequence[Number | None], minimum: int) -> Decimal | None:
    present = [v for v in map(_valid, values) if v is not None]
    if len(present) < minimum or not present:
        return None
    return _CONTEXT.divide(reduce(_EXACT.add, present, Decimal(0)), Decimal(len(present)))


def _check_pollutant(pollutant: str) -> str:
    if pollutant not in POLLUTANTS:
        raise ValueError(f"unknown pollutant {pollutant!r}; expected one of {', '.join(POLLUTANTS)}")
    return pollutant


def report_value(pollutant: str, value: Number) -> Decimal:
    """A concentration at its reported precision: µg/m³ to an integer, CO (mg/m³) to one decimal, rounded half
    to even ("四舍六入五成双", GB/T 8170) (HJ 633-2026 §4.2.2; HJ 663 data rounding by GB/T 8170)."""
    return _decimal(value).quantize(REPORT_PLACES[_check_pollutant(pollutant)], rounding=ROUND_HALF_EVEN)


def report_percent(value: Number) -> Decimal:
    """A percentage at its reported precision, one decimal, rounded half to even (GB/T 8170; `PERCENT_PLACES`)."""
    return _decimal(value).quantize(PERCENT_PLACES, rounding=ROUND_HALF_EVEN)


def _ratio_percent(part: int, whole: int) -> Decimal | None:
    return None if whole == 0 else report_percent(_CONTEXT.divide(Decimal(100 * part), Decimal(whole)))


def exceeds(pollutant: str, value: Number, limit: Number) -> bool:
    """Whether `value` exceeds `limit` (GB 3095 Table 1: a value equal to the limit meets it), comparing the
    reported value when `JUDGE_REPORTED_VALUES` (GB/T 8170 rounded-value comparison)."""
    compared = report_value(pollutant, value) if JUDGE_REPORTED_VALUES else _decimal(value)
    return compared > _decimal(limit)


def exceedance_multiple(pollutant: str, value: Number, limit: Number) -> Decimal | None:
    """超标倍数 (C - S)/S of a value over its limit, to `EXCEEDANCE_MULTIPLE_PLACES`; None when it does not
    exceed (HJ 663 exceedance multiple; [U] clause not seen)."""
    if not exceeds(pollutant, value, limit):
        return None
    compared = report_value(pollutant, value) if JUDGE_REPORTED_VALUES else _decimal(value)
    s = _decimal(limit)
    ratio = _CONTEXT.divide(_EXACT.subtract(compared, s), s)
    return ratio.quantize(EXCEEDANCE_MULTIPLE_PLACES, rounding=ROUND_HALF_EVEN)


def percentile(values: Sequence[Number], p: Number) -> Decimal:
    """The p-th percentile (0 ≤ p ≤ 1) by HJ 663-2013 Appendix A: sort ascending X(1)..X(n), k = 1 + (n - 1)·p,
    s = ⌊k⌋, m = X(s) + (X(s+1) - X(s))·(k - s); exact. ValueError on no values or p outside [0, 1]."""
    if not values:
        raise ValueError("percentile of no values")
    q = _decimal(p)
    if not Decimal(0) <= q <= Decimal(1):
        raise ValueError(f"percentile p must be between 0 and 1, got {p!r}")
    numbers = [_decimal(v) for v in values]
    if any(n.is_nan() for n in numbers):
        raise ValueError("percentile of a missing (NaN) value")
    ordered = sorted(numbers)
    k = _EXACT.add(1, _EXACT.multiply(Decimal(len(ordered) - 1), q))
    s = int(k.to_integral_value(rounding=ROUND_FLOOR))
    low = ordered[s - 1]
    if s >= len(ordered) or k == s:
        return low
    return _EXACT.add(low, _EXACT.multiply(_EXACT.subtract(ordered[s], low), _EXACT.subtract(k, Decimal(s))))


def daily_mean(hourly: Sequence[Number | None]) -> Decimal | None:
    """24-hour mean of the natural day's hourly values (up to 24; None for missing), None with fewer than
    `MIN_HOURS_DAILY_MEAN` valid hours (GB 3095-2012 / 2026 Table 4; HJ 663 daily mean)."""
    if len(hourly) > 24:
        raise ValueError(f"a natural day has 24 hourly values, got {len(hourly)}")
    return _mean(hourly, MIN_HOURS_DAILY_MEAN)


def moving_8h(hourly: Sequence[Number | None]) -> list[Decimal | None]:
    """8-hour moving means of consecutive hourly values, one per window of 8 that fits: element j is the mean
    of hourly[j..j+7], labelled by its last hour, None with fewer than `MIN_HOURS_8H` valid hours
    (GB 3095 §3 and Table 4; HJ 663 8-hour moving mean).

    Pass the natural day's 24 hours to get the 17 windows ending 1时-8时 ... 17时-24时; put the previous day's
    last 7 hours in front (31 values) to get all 24 windows of the day, as the hourly report needs.
    """
    return [_mean(hourly[j : j + 8], MIN_HOURS_8H) for j in range(len(hourly) - 7)]


def mda8(hourly: Sequence[Number | None], day: date, class_: AreaClass = "II") -> Decimal | None:
    """O3 daily maximum 8-hour mean of the natural day's 24 hourly values: the largest 8-hour mean ending
    8时 to 24时 (GB 3095-2026 §3.9), valid with at least `MIN_8H_VALUES_MDA8` valid 8-hour means, or with fewer
    when it exceeds the O3 8-hour limit in force on `day` (HJ 663-2013 §6.1.2)."""
    if len(hourly) != 24:
        raise ValueError(f"MDA8 takes the natural day's 24 hourly values (None for missing), got {len(hourly)}")
    windows = [w for w in moving_8h(hourly) if w is not None]
    if not windows:
        return None
    top = max(windows)
    if len(windows) >= MIN_8H_VALUES_MDA8 or exceeds("O3", top, limits(day, class_)[("O3", "8h")]):
        return top
    return None


def daily_max_1h(hourly: Sequence[Number | None]) -> Decimal | None:
    """Daily maximum 1-hour value of the natural day (HJ 663 daily evaluation of the 1-hour limits; HJ 633-2012
    §5.1 O3 daily maximum 1-hour), None with fewer than `MIN_HOURS_DAILY_MAX_1H` valid hours ([U] choice)."""
    if len(hourly) > 24:
        raise ValueError(f"a natural day has 24 hourly values, got {len(hourly)}")
    present = [v for v in map(_valid, hourly) if v is not None]
    return max(present) if len(present) >= MIN_HOURS_DAILY_MAX_1H else None


@dataclass(frozen=True)
class DailyValues:
    """One day's statistics at a station or for a city: the 24-hour means, the O3 MDA8 and daily maximum
    1-hour value (None when not valid), and whether the day was a dust-storm day (沙尘天气)."""

    so2: Number | None = None
    no2: Number | None = None
    co: Number | None = None
    pm10: Number | None = None
    pm2_5: Number | None = None
    o3_8h: Number | None = None
    o3_1h: Number | None = None
    dust: bool = False

    def item(self, pollutant: str) -> Decimal | None:
        """The daily value the period items of `pollutant` are taken of: the 24-hour mean, for O3 the MDA8."""
        field = "o3_8h" if _check_pollutant(pollutant) == "O3" else pollutant.lower()
        value: Number | None = getattr(self, field)
        return _valid(value)


def min_days_in_month(month: int) -> int:
    """Minimum valid daily values of a month: 27, February 25 (GB 3095-2012 / 2026 Table 4, annual mean)."""
    return MIN_DAYS_FEBRUARY if month == 2 else MIN_DAYS_MONTH


def period_bounds(period: Period, day: date) -> tuple[date, date]:
    """First and last day of the calendar month, quarter or year containing `day` (HJ 663 evaluation periods)."""
    if period == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    if period == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return date(day.year, first, 1), date(day.year, first + 2, calendar.monthrange(day.year, first + 2)[1])
    if period == "month":
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    raise ValueError(f"unknown period {period!r}; use 'month', 'quarter' or 'year'")


@dataclass(frozen=True)
class PeriodStatistics:
    """One pollutant over a month, quarter or year: its statistics, their validity and attainment (HJ 663)."""

    pollutant: str
    period: Period
    start: date
    end: date
    stage: LimitStage  # the GB 3095 limits the period items are judged on
    valid_days: int  # days with a valid daily value, dust days included
    valid_days_by_month: tuple[int, ...]  # per calendar month of the period
    valid: bool  # the period meets the minimum-data rule
    dust_days_deducted: int
    mean: Decimal | None  # mean of the daily values (the annual-mean item for SO2, NO2, PM10, PM2.5)
    percentile: Decimal | None  # the ANNUAL_PERCENTILES item of the daily values
    mean_limit: Decimal | None  # the annual limit; None for CO and O3
    daily_limit: Decimal  # the 24-hour (O3: 8-hour) limit the percentile is judged on
    mean_multiple: Decimal | None  # 超标倍数 of the mean, None when within the limit
    percentile_multiple: Decimal | None  # 超标倍数 of the percentile, None when within the limit
    attained: bool | None  # every item within its limit; None when the period is not valid
    exceeding_days: int  # days over the daily limit in force on that day
    attainment_rate: Decimal | None  # 达标率: percent of the counted days within the daily limit


def without_dust(daily: Mapping[date, DailyValues], pollutant: str) -> dict[date, Decimal]:
    """The valid daily values of `pollutant`, leaving out dust-storm days for PM10 and PM2.5 (扣沙) and keeping
    every day for the other pollutants (`DUST_DEDUCTED_POLLUTANTS`; [S] national centre report notes)."""
    deduct = _check_pollutant(pollutant) in DUST_DEDUCTED_POLLUTANTS
    result: dict[date, Decimal] = {}
    for day, values in daily.items():
        item = values.item(pollutant)
        if item is not None and not (deduct and values.dust):
            result[day] = item
    return result


def _anchor_of(daily: Mapping[date, DailyValues], period: Period) -> date:
    if not daily:
        raise ValueError("no days given: pass `anchor`, a day of the period")
    bounds = {period_bounds(period, day) for day in daily}
    if len(bounds) > 1:
        raise ValueError(f"the days span {len(bounds)} {period}s: pass `anchor`, a day of the period")
    return min(daily)


def period_statistics(
    daily: Mapping[date, DailyValues],
    pollutant: str,
    period: Period,
    *,
    anchor: date | None = None,
    class_: AreaClass = "II",
    deduct_dust: bool = False,
    limits_on: date | None = None,
) -> PeriodStatistics:
    """Mean, percentile item, validity, attainment, 超标倍数 and 达标率 of one pollutant over the calendar month,
    quarter or year containing `anchor` (default: the days given, which must lie in one period); days outside
    it are ignored (HJ 663-2013 §5, §6, Appendix A; GB 3095 Table 4).

    - Validity: a month needs 27 valid days (February 25); a quarter needs that in each of its months ([U]
      reading); a year needs 324 valid days and that in each month (GB 3095 Table 4). Dust days count as valid.
    - The mean and percentile items are judged on the limits in force on `limits_on` (default: the last day of
      the period, [U]); the percentile on the 24-hour limit, for O3 (MDA8) on the 8-hour limit. Months and
      quarters are judged on the annual limits as years are ([U] practice).
    - Each day counts as exceeding by the 24-hour (O3 8-hour) limit in force on that day; 达标率 = days within
      it / days counted * 100% (HJ 663 attainment rate; [U] clause not seen).
    - `deduct_dust` leaves dust-storm days out of the PM10 and PM2.5 items and day counts (`without_dust`).
    """
    _check_pollutant(pollutant)
    start, end = period_bounds(period, anchor or _anchor_of(daily, period))
    inside = {day: values for day, values in daily.items() if start <= day <= end}
    valid = {day: item for day, values in inside.items() if (item := values.item(pollutant)) is not None}
    counted = without_dust(inside, pollutant) if deduct_dust else valid
    months = [(start.year, m) for m in range(start.month, end.month + 1)]
    by_month = tuple(sum(1 for day in valid if (day.year, day.month) == ym) for ym in months)
    enough = all(n >= min_days_in_month(m) for (_y, m), n in zip(months, by_month, strict=True))
    is_valid = enough and (period != "year" or len(valid) >= MIN_DAYS_YEAR)

    stage = limit_stage(limits_on or end)
    table = stage_limits(stage, class_)
    averaging = DAILY_AVERAGING[pollutant]
    daily_limit = table[(pollutant, averaging)]
    mean_limit = table.get((pollutant, "annual"))
    values = list(counted.values())
    mean = _mean(values, 1)
    item = percentile(values, ANNUAL_PERCENTILES[pollutant]) if values else None
    mean_multiple = None
    if mean is not None and mean_limit is not None:
        mean_multiple = exceedance_multiple(pollutant, mean, mean_limit)
    item_multiple = exceedance_multiple(pollutant, item, daily_limit) if item is not None else None
    attained = None
    if is_valid and mean is not None and item is not None:
        attained = mean_multiple is None and item_multiple is None
    exceeding = sum(1 for d, v in counted.items() if exceeds(pollutant, v, limits(d, class_)[(pollutant, averaging)]))
    return PeriodStatistics(
        pollutant=pollutant,
        period=period,
        start=start,
        end=end,
        stage=stage,
        valid_days=len(valid),
        valid_days_by_month=by_month,
        valid=is_valid,
        dust_days_deducted=len(valid) - len(counted),
        mean=mean,
        percentile=item,
        mean_limit=mean_limit,
        daily_limit=daily_limit,
        mean_multiple=mean_multiple,
        percentile_multiple=item_multiple,
        attained=attained,
        exceeding_days=exceeding,
        attainment_rate=_ratio_percent(len(counted) - exceeding, len(counted)),
    )


@dataclass(frozen=True)
class DayCounts:
    """Daily-AQI day counts of a period: good days, exceedance and heavy-pollution days, days per level.

    Ratios are percent of the valid days (days with an AQI) to one decimal, None without valid days. Dust-storm
    days stay in every count and ratio; `dust_days` and the `*_dust_days` fields say how many of them there were.
    """

    valid_days: int
    good_days: int  # AQI ≤ 100 (优良天数)
    good_ratio: Decimal | None  # 优良天数比例
    exceedance_days: int  # AQI > 100 (超标天数)
    exceedance_ratio: Decimal | None
    heavy_days: int  # AQI > 200 (重污染天数: 重度 and 严重污染)
    heavy_ratio: Decimal | None
    level_days: tuple[int, int, int, int, int, int]  # days at AQI level 1..6
    dust_days: int  # valid days that were dust-storm days
    exceedance_dust_days: int
    heavy_dust_days: int


def aqi_day_counts(daily_aqis: Sequence[int | None], dust_days: Sequence[bool] = ()) -> DayCounts:
    """Good-day ratio (AQI ≤ 100 over valid days), exceedance (AQI > 100) and heavy-pollution (AQI > 200) days
    and days per level from daily AQIs (HJ 633 Table 2 / Appendix A; HJ 663 AQI evaluation; [S] national
    centre bulletins). `dust_days`, empty or aligned with `daily_aqis`, marks dust-storm days: they are kept in
    the ratios and counted separately ([S] national centre report notes)."""
    if dust_days and len(dust_days) != len(daily_aqis):
        raise ValueError(f"{len(dust_days)} dust flags for {len(daily_aqis)} days")
    flags = list(dust_days) or [False] * len(daily_aqis)
    days = [(aqi, dust) for aqi, dust in zip(daily_aqis, flags, strict=True) if aqi is not None]
    levels = [0] * 6
    for aqi, _dust in days:
        levels[level_of(aqi) - 1] += 1
    valid = len(days)
    good = sum(1 for aqi, _dust in days if aqi <= GOOD_AQI_MAX)
    heavy = sum(1 for aqi, _dust in days if aqi >= HEAVY_AQI_MIN)
    return DayCounts(
        valid_days=valid,
        good_days=good,
        good_ratio=_ratio_percent(good, valid),
        exceedance_days=valid - good,
        exceedance_ratio=_ratio_percent(valid - good, valid),
        heavy_days=heavy,
        heavy_ratio=_ratio_percent(heavy, valid),
        level_days=(levels[0], levels[1], levels[2], levels[3], levels[4], levels[5]),
        dust_days=sum(1 for _aqi, dust in days if dust),
        exceedance_dust_days=sum(1 for aqi, dust in days if dust and aqi > GOOD_AQI_MAX),
        heavy_dust_days=sum(1 for aqi, dust in days if dust and aqi >= HEAVY_AQI_MIN),
    )
