"""Outlets' hourly values against their permit limits as Ibis expressions: the value each hour is judged on (at the
limit's reference O2, GB 13223-2011 §5.2 formula (1)), the counts of a month's hours (received, valid), the hours and
days that may exceed, and the daily means of daily limits.

Input: the stored hourly readings of outlet sites (`analytics.sites.period_readings`, one row per key) and a table of
limit segments (`LIMIT_COLUMNS`: one row per outlet site, pollutant, averaging and run of local days a limit is in
force). Every expression is portable, so DuckDB and Spark give the same rows (tests/analytics/test_sources.py).

The engines compute in binary floating point; the exact judgement is `standards.emission`'s, in `Decimal`: the
expressions here keep every hour or day whose float estimate comes within `MARGIN` of its limit (a superset of those
that exceed), and the caller judges those with `standards.emission.judge` / `judge_series` (as the alerts engine does,
`alerts.evaluate._surely_within`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from ecoloop.analytics.sites import main_parameters
from ecoloop.standards.emission import AIR_O2, FLAG_NORMAL, MIN_VALID_HOURS_PER_DAY

# HJ 212-2017 Appendix B: oxygen content of flue gas, %; the O2 of an hour converts its values to a reference O2.
O2 = "a19001"
# Relative margin below a limit within which a float estimate is judged exactly (values far below never exceed).
MARGIN = 1e-6
# Limit segments: a limit of an outlet site's pollutant in force over the local days first_day…last_day.
LIMIT_COLUMNS = {
    "segment": "int64",
    "l_site": "int64",
    "l_parameter": "string",
    "averaging": "string",
    "limit_value": "float64",
    "reference_o2": "float64",
    "first_day": "date",
    "last_day": "date",
}


def hourly_values(readings: ir.Table, limits: ir.Table, offset: timedelta, invalid_flags: Collection[str]) -> ir.Table:
    """One row per limit segment and stored hourly reading of its pollutant on its days: `hour_start` (local time,
    UTC + `offset`; an hourly value's time is the start of its hour, HJ 212-2017 CN 2061), `day`, `value`, `flag`
    (N when none, upper case), `o2` (the O2 of the same hour, any flag, as `alerts.evaluate` takes it), `valid`
    (present and not flagged with one of `invalid_flags`: HJ 212-2017 Table 8, `monitoring.quality.INVALID_FLAGS`),
    `judged` (what `standards.emission.judge` compares: flag N, not negative and, for a limit with a reference O2, an
    O2 in [0, 21)) and `used` (the value compared: converted to the reference O2 where the limit has one)."""
    rows = readings.filter(main_parameters(readings))
    local = rows.time.cast(dt.Timestamp(scale=6)) + ibis.interval(seconds=int(offset.total_seconds()))
    rows = rows.mutate(hour_start=local)
    o2 = rows.filter((rows.parameter == O2) & rows.value.notnull()).select(
        o2_site=rows.site_id, o2_hour=rows.hour_start, o2=rows.value
    )
    values = rows.filter(rows.parameter != O2)
    values = values.mutate(day=values.hour_start.cast("date"))
    joined = values.join(
        limits,
        [
            values.site_id == limits.l_site,
            values.parameter == limits.l_parameter,
            values.day >= limits.first_day,
            values.day <= limits.last_day,
        ],
    )
    joined = joined.left_join(o2, [joined.site_id == o2.o2_site, joined.hour_start == o2.o2_hour])
    flag = joined.flag.nullif("").fill_null(FLAG_NORMAL).upper()
    present = joined.value.notnull()
    has_reference = joined.reference_o2.notnull()
    o2_usable = joined.o2.notnull() & (joined.o2 >= 0) & (joined.o2 < float(AIR_O2))
    judged = present & (flag == FLAG_NORMAL) & (joined.value >= 0) & (~has_reference | o2_usable)
    converted = joined.value * (float(AIR_O2) - joined.reference_o2) / (float(AIR_O2) - joined.o2)
    used = ibis.cases(
        (~judged, ibis.null("float64")),
        (has_reference, converted),
        else_=joined.value,
    )
    return joined.select(
        "segment",
        "site_id",
        "parameter",
        "averaging",
        "limit_value",
        "reference_o2",
        "hour_start",
        "day",
        "value",
        "o2",
        flag=flag,
        raw_flag=joined.flag,
        valid=present & ~flag.isin(sorted(invalid_flags)),
        judged=judged,
        used=used,
    )


def segment_counts(hours: ir.Table, end: ir.Value) -> ir.Table:
    """Per limit segment, of the hours starting before `end` (a local timestamp: the end of the expected hours):
    `received` (stored values), `valid` and, over the judged hours, the largest value compared (`max_used`)."""
    inside = hours.filter(hours.hour_start < end)
    return inside.group_by("segment").aggregate(
        received=inside.count(),
        valid=ibis.cases((inside.valid, 1), else_=0).sum(),
        max_used=inside.used.max(),
    )


def hour_candidates(hours: ir.Table, end: ir.Value) -> ir.Table:
    """The judged hours of hourly limits, starting before `end`, whose value compared may exceed the limit: the
    float estimate within MARGIN of it or above. Columns for the exact judgement: segment, hour_start, value,
    o2 and the flag as stored."""
    near = hours.filter(
        (hours.averaging == "hour")
        & hours.judged
        & (hours.hour_start < end)
        & (hours.used > hours.limit_value * (1 - MARGIN))
    )
    return near.select("segment", "hour_start", "value", "o2", flag=near.raw_flag)


def daily_means(hours: ir.Table, end: ir.Value, min_valid_hours: int = MIN_VALID_HOURS_PER_DAY) -> ir.Table:
    """Per segment of a daily limit and local day: the count of judged hours starting before `end` and the mean of
    their compared values, for the days with at least `min_valid_hours` of them (HJ 76-2017 Appendix B)."""
    daily = hours.filter((hours.averaging == "day") & hours.judged & (hours.hour_start < end))
    means = daily.group_by(["segment", "day", "limit_value"]).aggregate(hours=daily.count(), mean=daily.used.mean())
    return means.filter(means.hours >= min_valid_hours)


def day_candidates(hours: ir.Table, end: ir.Value, min_valid_hours: int = MIN_VALID_HOURS_PER_DAY) -> ir.Table:
    """The hours (all of them, judged or not, so that `standards.emission.judge_series` decides) of the days of
    daily limits whose float mean may exceed the limit (`daily_means` within MARGIN of it or above)."""
    means = daily_means(hours, end, min_valid_hours)
    near = means.filter(means.mean > means.limit_value * (1 - MARGIN)).select(c_segment="segment", c_day="day")
    inside = hours.filter(hours.hour_start < end)
    joined = inside.join(near, [inside.segment == near.c_segment, inside.day == near.c_day])
    return joined.select("segment", "hour_start", "value", "o2", flag=joined.raw_flag)


def max_daily_mean(hours: ir.Table, end: ir.Value, min_valid_hours: int = MIN_VALID_HOURS_PER_DAY) -> ir.Table:
    """Per segment of a daily limit: the largest valid daily mean (`max_mean`)."""
    means = daily_means(hours, end, min_valid_hours)
    return means.group_by("segment").aggregate(max_mean=means.mean.max())


def judged_series(hours: ir.Table) -> ir.Table:
    """The judged hours as a chart draws them: site, parameter, averaging, hour_start, day and the value compared."""
    judged = hours.filter(hours.judged)
    return judged.select("site_id", "parameter", "averaging", "hour_start", "day", "used").order_by(
        ["site_id", "parameter", "hour_start"]
    )
