"""Noise levels of stations per day as Ibis expressions: Ld and Ln, the energy means of the day's and the night's
hourly Leq, with their hours and the night's maximum level (GB 3096-2008, HJ 640-2012; see
docs/standards/gb3096-noise.md).

Input: stored readings of noise stations (`analytics.sites` columns). The hourly values are the HJ 212-2017 Table
B.3 quantities of the hourly upload CN=2061: `Leq` (the hour's equivalent level, `Leq-Data`) and `LMx` (its
maximum, `LMx-Data`); a daily upload CN=2031 may add the device's own day values (`Leq-Data`, `Ldn-Data`,
`Ld-DayData`, `Ln-NightData`, `LMx-NightData`). The periods and validity thresholds come from
`ecoloop.standards.noise`; this module only expresses them column-wise so that DuckDB or Spark evaluates them
alike.

Which day a night belongs to: the night that starts at 22:00 on day D and ends at 06:00 on D+1 is D's night
(GB 3096-2008 §3 defines night as 22:00 to 06:00 *of the next day*, a night starting on its day; [U] whether the
official daily evaluation dates it so, `../shared/standards/noise.md` §1.2, §7.8). A device's own daily upload
covers 00:00-24:00 of one date instead (HJ 212-2017 CN=2031), so its NightData may differ from Ln here.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date, time, timedelta

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from ecoloop.analytics.aqi import round_half_even
from ecoloop.standards.noise import DAY_START, MIN_DAY_HOURS, MIN_NIGHT_HOURS, NIGHT_START

HOURLY_CODES = ("Leq", "LMx")
"""HJ 212-2017 Table B.3: the hour's equivalent sound level and its maximum sound level, in dB(A)."""
DEVICE_DAY_VALUES = {
    "device_leq": ("Leq",),
    "device_ldn": ("Ldn",),
    "device_ld": ("Ld-DayData", "Ld"),
    "device_ln": ("Ln-NightData", "Ln"),
    "device_lmax_night": ("LMx-NightData",),
}
"""The values of a device's daily upload (CN=2031) kept beside the computed ones, each from the first of its stored
parameters present: the day's Leq and Ldn (`-Data`), Ld and Ln (`Ld-DayData`, `Ln-NightData`, or `-Data`) and the
night's maximum (`LMx-NightData`) (HJ 212-2017 Table B.3, Appendix C)."""
_LN10 = math.log(10)


def _local(readings: ir.Table, offset: timedelta) -> ir.TimestampValue:
    """A reading's time in local wall-clock time (UTC + `offset`); an hourly or daily value is labelled by the start
    of its period (HJ 212-2017 DataTime)."""
    return readings.time.cast(dt.Timestamp(scale=6)) + ibis.interval(seconds=int(offset.total_seconds()))


def _valid(readings: ir.Table, codes: Collection[str], invalid_flags: Collection[str]) -> ir.Table:
    """Rows of `codes` with a value whose flag (N when none) is none of `invalid_flags` (HJ 212-2017 Table 8)."""
    flag = readings.flag.nullif("").fill_null("N").upper()
    return readings.filter(
        readings.parameter.isin(list(codes)) & readings.value.notnull() & ~flag.isin(sorted(invalid_flags))
    )


def hourly_levels(readings: ir.Table, offset: timedelta, invalid_flags: Collection[str]) -> ir.Table:
    """Per station and local hour (`station`, `hour_start`): the hour's `leq` and `lmx` (dB(A)) of the hourly
    readings, a value flagged invalid left out."""
    rows = _valid(readings.filter(readings.interval == "hour"), HOURLY_CODES, invalid_flags)
    rows = rows.mutate(_local=_local(rows, offset))
    none = ibis.null("float64")
    return rows.group_by([rows.site_id.name("station"), rows._local.name("hour_start")]).aggregate(
        leq=ibis.cases((rows.parameter == "Leq", rows.value), else_=none).max(),
        lmx=ibis.cases((rows.parameter == "LMx", rows.value), else_=none).max(),
    )


def _energy_mean(levels: ir.FloatingValue, where: ir.BooleanValue) -> ir.FloatingValue:
    """10·lg(mean(10^(0.1·L))) over the rows where `where` holds: the equivalent level of equal periods (GB 3096-2008
    §3, LAeq,T; GB 12348-2008 §3.3), reported to 0.1 dB."""
    energy = ibis.cases((where, (levels * (0.1 * _LN10)).exp()), else_=ibis.null("float64"))
    return _tenths(energy.mean().log10() * 10)


def _tenths(value: ir.FloatingValue) -> ir.FloatingValue:
    """A level rounded to 0.1 dB, half to even (HJ 212-2017 Table B.3 N3.1; GB/T 8170 as `standards.noise.rounded`).

    The level is taken to millionths first, so that the last bits of a float sum, which depend on the order DuckDB's
    threads or Spark's partitions add in, do not decide a rounding."""
    micro = (value * 1_000_000).round().cast("int64")
    return round_half_even(micro, 100_000).cast("float64") / 1_000_000


def daily_levels(
    hourly: ir.Table,
    first: date,
    last: date,
    day_start: time = DAY_START,
    night_start: time = NIGHT_START,
    min_day_hours: int = MIN_DAY_HOURS,
    min_night_hours: int = MIN_NIGHT_HOURS,
) -> ir.Table:
    """Per station and day of first…last: `ld` and `ln` (energy means of the day's and the night's hourly Leq, 0.1
    dB), `hours_day` and `hours_night` (hours with a valid Leq), `day_valid` / `night_valid` (at least
    `min_day_hours` / `min_night_hours` of them, `standards.noise.MIN_DAY_HOURS`) and `lmax_night` (the highest
    hourly LMx of the night, unrounded as sent).

    Day D's day is its hours day_start…night_start, and its night the hours from night_start on D to day_start on
    D+1 (module docstring): an hour shifted back by `day_start` falls on the date its period belongs to, and is a
    day hour when it falls before night_start - day_start."""
    if not day_start < night_start:
        raise ValueError("day must start before night on the same day")
    shift = day_start.hour * 3600 + day_start.minute * 60
    day_seconds = night_start.hour * 3600 + night_start.minute * 60 - shift
    shifted = hourly.hour_start.cast("timestamp") - ibis.interval(seconds=shift)
    seconds = shifted.hour().cast("int64") * 3600 + shifted.minute().cast("int64") * 60
    rows = hourly.mutate(day=shifted.cast("date"), _is_day=seconds < day_seconds)
    rows = rows.filter((rows.day >= first) & (rows.day <= last))
    is_day, is_night = rows._is_day, ~rows._is_day
    has_leq = rows.leq.notnull()
    days = rows.group_by(["station", "day"]).aggregate(
        ld=_energy_mean(rows.leq, is_day & has_leq),
        ln=_energy_mean(rows.leq, is_night & has_leq),
        hours_day=(is_day & has_leq).cast("int64").sum(),
        hours_night=(is_night & has_leq).cast("int64").sum(),
        lmax_night=ibis.cases((is_night, rows.lmx), else_=ibis.null("float64")).max(),
    )
    return days.mutate(day_valid=days.hours_day >= min_day_hours, night_valid=days.hours_night >= min_night_hours)


def device_days(readings: ir.Table, offset: timedelta, invalid_flags: Collection[str]) -> ir.Table:
    """Per station and local date (`station`, `day`): the values of the device's daily upload (`DEVICE_DAY_VALUES`
    columns, null when not sent)."""
    codes = [code for choices in DEVICE_DAY_VALUES.values() for code in choices]
    rows = _valid(readings.filter(readings.interval == "day"), codes, invalid_flags)
    rows = rows.mutate(_day=_local(rows, offset).cast("date"))
    none = ibis.null("float64")
    columns = {f"_{code}": ibis.cases((rows.parameter == code, rows.value), else_=none).max() for code in codes}
    days = rows.group_by([rows.site_id.name("station"), rows._day.name("day")]).aggregate(**columns)
    return days.select(
        "station",
        "day",
        **{
            column: ibis.coalesce(*(days[f"_{code}"] for code in choices))
            if len(choices) > 1
            else days[f"_{choices[0]}"]
            for column, choices in DEVICE_DAY_VALUES.items()
        },
    )


def station_days(
    readings: ir.Table,
    offset: timedelta,
    invalid_flags: Collection[str],
    first: date,
    last: date,
    day_start: time = DAY_START,
    night_start: time = NIGHT_START,
) -> ir.Table:
    """`daily_levels` of the readings' hourly values with the device's own day values (`device_days`) beside them:
    one row per station and day of first…last that has either."""
    levels = daily_levels(hourly_levels(readings, offset, invalid_flags), first, last, day_start, night_start)
    device = device_days(readings, offset, invalid_flags)
    device = device.filter((device.day >= first) & (device.day <= last))
    joined = levels.outer_join(device, ["station", "day"])
    station = ibis.coalesce(levels.station, device.station)
    day = ibis.coalesce(levels.day, device.day)
    return joined.select(
        station=station,
        day=day,
        ld=levels.ld,
        ln=levels.ln,
        hours_day=levels.hours_day.fill_null(0),
        hours_night=levels.hours_night.fill_null(0),
        day_valid=levels.day_valid.fill_null(False),
        night_valid=levels.night_valid.fill_null(False),
        lmax_night=levels.lmax_night,
        **{column: device[column] for column in DEVICE_DAY_VALUES},
    )
