"""Air-quality evaluation of hourly station data as Ibis expressions (GB 3095, HJ 663, HJ 633).

Input: one row per station and hour with the columns of `HourlySchema` (hour start in local time, µg/m³,
CO in mg/m³). Output tables: hourly AQI, daily values with validity, daily AQI, and per-station period
statistics with the composite index. The rules and thresholds come from `ecoloop.standards`; this module only
expresses them column-wise so that DuckDB or Spark evaluates them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from ecoloop.analytics.aqi import quantum, round_half_even, with_aqi
from ecoloop.standards import ranking
from ecoloop.standards.aqi import LEVELS
from ecoloop.standards.editions import EDITION_2026_START, Edition
from ecoloop.standards.evaluation import (
    ANNUAL_PERCENTILES,
    MIN_8H_VALUES_MDA8,
    MIN_HOURS_8H,
    MIN_HOURS_DAILY_MEAN,
)

POLLUTANTS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2_5")
MEAN_POLLUTANTS = ("SO2", "NO2", "CO", "PM10", "PM2_5")
# HJ 212-2017 Appendix B codes of the six pollutants (CO in mg/m³, the others in µg/m³).
AIR_CODES = {"a21026": "SO2", "a21004": "NO2", "a21005": "CO", "a05024": "O3", "a34002": "PM10", "a34004": "PM2_5"}


@dataclass(frozen=True)
class HourlySchema:
    """Column names of an hourly readings table."""

    station: str = "station"
    hour_start: str = "hour_start"
    so2: str = "so2"
    no2: str = "no2"
    co: str = "co"
    o3: str = "o3"
    pm10: str = "pm10"
    pm2_5: str = "pm2_5"

    def column(self, pollutant: str) -> str:
        """The column of `pollutant` (SO2, NO2, CO, O3, PM10, PM2_5)."""
        name: str = getattr(self, pollutant.lower())
        return name


def hourly_from_readings(readings: ir.Table, offset: timedelta, invalid_flags: Collection[str]) -> ir.Table:
    """Stored hourly readings (`analytics.sites` columns, one row per key) as an `HourlySchema` table: one row per
    station and hour with the six pollutants side by side, the hour start in local time (UTC + `offset`; an
    hourly reading's time is the start of its hour: HJ 212-2017, DataTime of CN 2061 is the period's start), a
    value flagged with one of `invalid_flags` left out (HJ 212-2017 Table 8: not valid monitoring data)."""
    flag = readings.flag.nullif("").fill_null("N").upper()
    rows = readings.filter(
        readings.parameter.isin(list(AIR_CODES)) & readings.value.notnull() & ~flag.isin(sorted(invalid_flags))
    )
    local = rows.time.cast(dt.Timestamp(scale=6)) + ibis.interval(seconds=int(offset.total_seconds()))
    rows = rows.mutate(_local=local)
    columns = {
        name.lower(): ibis.cases((rows.parameter == code, rows.value), else_=ibis.null("float64")).max()
        for code, name in AIR_CODES.items()
    }
    return rows.group_by([rows.site_id.name("station"), rows._local.name("hour_start")]).aggregate(**columns)


def area_hourly_values(hourly: ir.Table, membership: ir.Table) -> ir.Table:
    """Hourly values of areas from their stations (`normalise`d rows): per area and hour, the mean of the
    stations' values of each pollutant, reported to its precision: an area's concentration is the arithmetic mean of
    its assessment stations', its AQI computed from these means as for one station
    (docs/standards/gb3095-hj663-evaluation.md).

    `membership` maps `station` to `area`; the result names the area `station`, so `hourly_aqi` applies unchanged."""
    joined = hourly.join(membership, "station")
    means = {p: joined[p].mean() for p in POLLUTANTS}
    area = joined.group_by([joined.area.name("station"), "hour_start", "day", "hour"]).aggregate(
        stations=joined.count(), **means
    )
    return area.mutate(**{p: _report(area[p], f"{p}_1h") for p in POLLUTANTS})


def _editions(start: date, end: date) -> Edition | None:
    """The single edition in force over [start, end], or None when the period straddles 2026-03-01."""
    if end < EDITION_2026_START:
        return "2012"
    if start >= EDITION_2026_START:
        return "2026"
    return None


def edition_mode(start: date, end: date) -> str:
    """ "2012" or "2026" when one edition is in force over [start, end], "both" when the period straddles
    2026-03-01: the expressions of a period depend on nothing else (`MODE_PERIODS` gives one period of each)."""
    return _editions(start, end) or "both"


MODE_PERIODS = {
    "2012": (EDITION_2026_START - timedelta(days=1), EDITION_2026_START - timedelta(days=1)),
    "2026": (EDITION_2026_START, EDITION_2026_START),
    "both": (EDITION_2026_START - timedelta(days=1), EDITION_2026_START),
}


def normalise(readings: ir.Table, schema: HourlySchema = HourlySchema()) -> ir.Table:
    """Readings renamed to the pollutant keys, with the natural day of each hour (negative values as missing)."""
    values = {}
    for pollutant in POLLUTANTS:
        column = readings[schema.column(pollutant)].cast("float64")
        values[pollutant] = ibis.cases((column < 0, ibis.null("float64")), else_=column)
    return readings.select(
        station=readings[schema.station],
        hour_start=readings[schema.hour_start].cast("timestamp"),
        day=readings[schema.hour_start].cast("date"),
        hour=readings[schema.hour_start].cast("timestamp").hour().cast("int8"),
        **values,
    )


def hourly_aqi(hourly: ir.Table, start: date, end: date) -> ir.Table:
    """Real-time AQI of every station-hour from the six 1-hour values (HJ 633-2026 §5.2, see `standards.aqi`)."""
    columns = {f"{p}_1h": p for p in POLLUTANTS}
    edition = _editions(start, end)
    if edition is not None:
        return with_aqi(hourly, columns, report="hourly", edition=edition)
    return with_aqi(hourly, columns, report="hourly", day_column="day")


def o3_8h(hourly: ir.Table) -> ir.Table:
    """O3 8-hour moving means labelled by their last hour, valid with ≥ 6 of 8 hours (GB 3095 Table 4, §3)."""
    window = ibis.range_window(
        preceding=ibis.interval(hours=7), following=0, group_by=hourly.station, order_by=hourly.hour_start
    )
    o3 = hourly.O3
    return hourly.select(
        "station",
        "hour_start",
        "day",
        o3_8h_mean=o3.mean().over(window),
        o3_8h_count=o3.count().over(window),
    ).mutate(o3_8h=lambda t: ibis.cases((t.o3_8h_count >= MIN_HOURS_8H, t.o3_8h_mean), else_=ibis.null("float64")))


def daily_values(hourly: ir.Table, mda8_limit: float = 160.0) -> ir.Table:
    """Per station and natural day: means with ≥ 20 valid hours (GB 3095 Table 4), the O3 daily maximum
    1-hour value, and MDA8 — the maximum of the 8-hour means ending 8时…24时, each valid with ≥ 6 of its 8 hours,
    the MDA8 valid with ≥ 14 such means or when it exceeds the limit (HJ 663 §6.1.2). Values are rounded to
    reporting precision (µg/m³ integers, CO 0.1 mg/m³, half to even) before any AQI is computed from them.

    The 17 windows of the MDA8 lie inside the natural day (they start at 00:00 … 16:00), so they are computed
    from the day's 24 O3 values in the same aggregation as the means: no window function, no sort.

    The result ends with a grouping by station and day again (one row each already, so every value is kept as it
    is). Spark generates one Java method for the projections after an aggregation, up to the next one, and a method
    may not exceed 64 KB: without this end, the MDA8 projections and those of `daily_aqi` (both editions when a
    period straddles 2026-03-01) share one method, which then fails to compile and Spark falls back from
    whole-stage code generation. DuckDB groups the few daily rows again in a few milliseconds.
    """
    aggregates: dict[str, ir.Value] = {}
    for p in MEAN_POLLUTANTS:
        column = hourly[p]
        aggregates[f"{p}_24h"] = ibis.cases((column.count() >= MIN_HOURS_DAILY_MEAN, column.mean()), else_=None)
    o3 = hourly.O3
    aggregates["O3_1h"] = ibis.cases((o3.count() >= MIN_HOURS_DAILY_MEAN, o3.max()), else_=None)
    hour = hourly.hour
    for h in range(24):
        aggregates[f"_o3_{h}"] = ibis.cases((hour == h, o3), else_=ibis.null("float64")).max()
    days = hourly.group_by(["station", "day"]).aggregate(**aggregates)

    windows = []
    for first in range(17):
        cells = [days[f"_o3_{h}"] for h in range(first, first + 8)]
        total = _sum([c.fill_null(0) for c in cells])
        count = _sum([c.notnull().cast("int64") for c in cells])
        windows.append(ibis.cases((count >= MIN_HOURS_8H, total / count), else_=ibis.null("float64")))
    days = days.mutate(_mda8=ibis.greatest(*windows), _windows=_sum([w.notnull().cast("int64") for w in windows]))
    # The exception for fewer windows compares the reported (rounded) value with the limit, as evaluation.mda8 does.
    days = days.mutate(_mda8=_report(days._mda8, "O3_8h"))
    days = days.mutate(
        O3_8h=ibis.cases(
            ((days._windows >= MIN_8H_VALUES_MDA8) | (days._mda8 > mda8_limit), days._mda8),
            else_=ibis.null("float64"),
        )
    )
    reported = {k: _report(days[k], k) for k in DAILY_ITEMS if k != "O3_8h"}
    days = days.mutate(**reported)
    days = days.drop(*[c for c in days.columns if c.startswith("_")])
    # The end of Spark's generated method (see above): max() of the one row of each group is its value.
    items = [c for c in days.columns if c not in ("station", "day")]
    return days.group_by(["station", "day"]).aggregate(**{k: days[k].max() for k in items})


def _sum(values: list[ir.NumericValue]) -> ir.NumericValue:
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


def _report(value: ir.FloatingValue, key: str) -> ir.FloatingValue:
    """Round a mean to reporting precision, half to even (GB/T 8170; HJ 633-2026 §4.2.2).

    Means are scaled to millionths first: a mean of up to 24 values with three decimals is a multiple of
    1/24000, so at this scale no value that is not exactly a half can look like one.
    """
    micro = (value * 1_000_000).round().cast("int64")
    return round_half_even(micro, quantum(key) * 1000).cast("float64") / 1_000_000


def daily_aqi(daily: ir.Table, start: date, end: date) -> ir.Table:
    """Daily AQI per station-day from the daily values (HJ 633 §5.1, edition of each day)."""
    columns = {k: k for k in ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h", "O3_8h", "O3_1h")}
    edition = _editions(start, end)
    if edition is not None:
        return with_aqi(daily, columns, report="daily", edition=edition)
    return with_aqi(daily, columns, report="daily", day_column="day")


DAILY_ITEMS = (*(f"{p}_24h" for p in MEAN_POLLUTANTS), "O3_8h", "O3_1h")
LEVEL_COUNT = len(LEVELS)  # AQI levels 1 (优) … 6 (严重污染), HJ 633 Table 2


def area_daily_values(daily: ir.Table, membership: ir.Table) -> ir.Table:
    """Daily values of areas (county, town, city …) from their assessment stations: per area and day, the mean of
    the stations' valid daily values of each item, reported again to its precision; the AQI is then computed from
    these means, not averaged ([S]: HJ 663 city values are station means; see docs/standards/).

    `membership` maps `station` to `area`. The result keeps the column name `station` for the area, so
    `daily_aqi` and `period_statistics` apply to areas unchanged.
    """
    joined = daily.join(membership, "station")
    means = {k: joined[k].mean() for k in DAILY_ITEMS}
    area = joined.group_by([joined.area.name("station"), "day"]).aggregate(stations=joined.count(), **means)
    return area.mutate(**{k: _report(area[k], k) for k in DAILY_ITEMS})


def period_statistics(daily: ir.Table, day: date) -> ir.Table:
    """Per station over the period of `daily`: valid days, mean of daily means, the annual-evaluation percentile
    of each pollutant (HJ 663 Appendix A, linear interpolation = quantile_cont), and day counts by AQI
    (优良天数比例, heavy-pollution days AQI > 200, days of each AQI level 1-6 `level_N_days`: HJ 633 Table 2, as
    `standards.evaluation.DayCounts` counts them), plus the composite index I_sum = Σ C_i/S_i."""
    stats: dict[str, ir.Value] = {"days": daily.count()}
    for p in MEAN_POLLUTANTS:
        column = daily[f"{p}_24h"]
        stats[f"{p}_days"] = column.count()
        stats[f"{p}_mean"] = _exact_mean(column)
        stats[f"{p}_p{_pct(p)}"] = column.quantile(float(ANNUAL_PERCENTILES[p]))
    stats["O3_days"] = daily.O3_8h.count()
    stats[f"O3_p{_pct('O3')}"] = daily.O3_8h.quantile(float(ANNUAL_PERCENTILES["O3"]))
    stats["aqi_days"] = daily.aqi.count()
    stats["good_days"] = (daily.aqi <= 100).sum()
    stats["heavy_days"] = (daily.aqi > 200).sum()
    for level in range(1, LEVEL_COUNT + 1):
        stats[f"level_{level}_days"] = ibis.cases((daily.level == level, 1), else_=0).cast("int64").sum()
    table = daily.group_by("station").aggregate(**stats)
    composite = _composite(table, day)
    return table.mutate(
        good_ratio=(table.good_days.cast("float64") * 100 / table.aqi_days.nullif(0)),
        composite_index=composite,
    )


def _exact_mean(column: ir.FloatingValue) -> ir.FloatingValue:
    """The mean of daily values (reported values: integers, CO to 0.1) as the exact integer sum of their
    thousandths over their count, so that its one rounding is the same on every engine (a float sum depends on the
    order of its terms, which differs between DuckDB's threads and Spark's partitions)."""
    total = (column * 1000).round().cast("int64").sum()
    return total.cast("float64") / (column.count() * 1000).nullif(0).cast("float64")


def _pct(pollutant: str) -> int:
    return int(ANNUAL_PERCENTILES[pollutant] * 100)


def _composite(table: ir.Table, day: date) -> ir.FloatingValue:
    """I_sum = Σ C_i/S_i over SO2, NO2, PM10, PM2.5 (period means), CO (P95 of 24-h means), O3 (P90 of MDA8),
    with the S_i of `ranking.INDEX_LIMITS` for the period (see docs/standards/ranking.md)."""
    limits = ranking.INDEX_LIMITS[ranking.index_limits_for(day)]
    terms = [table[f"{p}_mean"] / float(limits[p]) for p in ("SO2", "NO2", "PM10", "PM2_5")]
    terms.append(table[f"CO_p{_pct('CO')}"] / float(limits["CO"]))
    terms.append(table[f"O3_p{_pct('O3')}"] / float(limits["O3"]))
    return _sum(terms)
