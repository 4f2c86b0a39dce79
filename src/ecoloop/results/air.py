"""Air quality results of stations and areas: hourly AQI, daily values and daily AQI, computed from the stored
readings through `ecoloop.analytics.air` (DuckDB or Spark) and kept as result tables (`results.store`).

An area (city, county, town, village) is assessed from its stations (`Station.areas`, `service.air_network`): its
hourly and daily concentrations are the means of its stations' values, its AQI computed from those means. Each
natural day is computed from its own hours only (the daily means and the MDA8 lie inside the day, GB 3095 Table 4,
HJ 663 §6.1.2), so any set of days can be computed again alone, and a long period is computed month by month.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from ecoloop.analytics import air, sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring.quality import INVALID_FLAGS
from ecoloop.readings.vocabulary import Interval
from ecoloop.results.store import ResultTable
from ecoloop.standards.aqi import HOURLY_KEYS

DAILY_KEYS = ("SO2_24h", "NO2_24h", "CO_24h", "PM10_24h", "PM2_5_24h", "O3_8h", "O3_1h")
_AQI = [
    ("aqi", pa.int64()),
    ("level", pa.int64()),
    ("primary", pa.int64()),  # bit mask over the report's keys (`analytics.aqi.keys_of`)
    ("exceeding", pa.int64()),  # HJ 633-2012 only
    ("complete", pa.bool_()),
]
_HOUR_VALUES = [(p, pa.float64()) for p in air.POLLUTANTS] + [(f"iaqi_{k}", pa.int64()) for k in HOURLY_KEYS]
_DAY_VALUES = [(k, pa.float64()) for k in DAILY_KEYS] + [(f"iaqi_{k}", pa.int64()) for k in DAILY_KEYS]

AIR_HOUR = ResultTable(
    "air_hour",
    "day",
    pa.schema(
        [("site_id", pa.int64()), ("hour_start", pa.timestamp("us")), ("day", pa.date32()), *_HOUR_VALUES, *_AQI]
    ),
)
AIR_HOUR_AREA = ResultTable(
    "air_hour_area",
    "day",
    pa.schema(
        [
            ("region_id", pa.int64()),
            ("hour_start", pa.timestamp("us")),
            ("day", pa.date32()),
            ("stations", pa.int64()),
            *_HOUR_VALUES,
            *_AQI,
        ]
    ),
)
AIR_DAY = ResultTable(
    "air_day", "month", pa.schema([("site_id", pa.int64()), ("day", pa.date32()), *_DAY_VALUES, *_AQI])
)
AIR_DAY_AREA = ResultTable(
    "air_day_area",
    "month",
    pa.schema([("region_id", pa.int64()), ("day", pa.date32()), ("stations", pa.int64()), *_DAY_VALUES, *_AQI]),
)
TABLES = (AIR_HOUR, AIR_HOUR_AREA, AIR_DAY, AIR_DAY_AREA)


@dataclass(frozen=True)
class Station:
    """An air station as the results see it: its site and the areas (region ids) its values are assessed for."""

    site_id: int
    areas: tuple[int, ...]


@dataclass(frozen=True)
class AirResults:
    """The four result tables of some days, as Arrow tables."""

    hour: pa.Table
    hour_area: pa.Table
    day: pa.Table
    day_area: pa.Table

    def of(self, table: ResultTable) -> pa.Table:
        return {
            AIR_HOUR.name: self.hour,
            AIR_HOUR_AREA.name: self.hour_area,
            AIR_DAY.name: self.day,
            AIR_DAY_AREA.name: self.day_area,
        }[table.name]


def local_bounds(first: date, last: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The instants [start, end) of the local days first…last."""
    start = datetime.combine(first, time(), tz)
    end = datetime.combine(last + timedelta(days=1), time(), tz)
    return start, end


def compute(
    con: Any, stored: StoredReadings, stations: Sequence[Station], first: date, last: date, tz: tzinfo
) -> AirResults:
    """The air results of the local days first…last for `stations`, read and computed on the backend `con`."""
    start, end = local_bounds(first, last, tz)
    offset = start.utcoffset() or timedelta()
    if (end.utcoffset() or timedelta()) != offset:
        raise ValueError("the period crosses a change of the local time's offset: compute it in parts")
    if not stations:
        return AirResults(*(t.empty() for t in TABLES))
    ids = [s.site_id for s in stations]
    readings = sites.period_readings(con, stored, ids, [Interval.HOUR], start, end)
    wide = air.hourly_from_readings(readings, offset, INVALID_FLAGS)
    hourly = air.normalise(wide)
    # DuckDB computes the hourly values once for the four tables, in a temporary table of `con` itself:
    # `Table.cache()` caches on the backend the expression is bound to, and readings only in the hot store (an
    # Arrow memtable: no Parquet partition of the period yet) are bound to none, so ibis chose its default one.
    cached = f"air_hourly_{uuid.uuid4().hex}" if con.name == "duckdb" else None
    if cached is not None:
        hourly = con.create_table(cached, hourly, temp=True)
    try:
        membership = _membership(stations)
        station_hours = air.hourly_aqi(hourly, first, last)
        area_hours = air.hourly_aqi(air.area_hourly_values(hourly, membership), first, last)
        daily = air.daily_values(hourly)
        station_days = air.daily_aqi(daily, first, last)
        area_days = air.daily_aqi(air.area_daily_values(daily, membership), first, last)
        return AirResults(
            hour=_arrow(con, station_hours, AIR_HOUR, "site_id"),
            hour_area=_arrow(con, area_hours, AIR_HOUR_AREA, "region_id"),
            day=_arrow(con, station_days, AIR_DAY, "site_id"),
            day_area=_arrow(con, area_days, AIR_DAY_AREA, "region_id"),
        )
    finally:
        if cached is not None:
            con.drop_table(cached, force=True)


def _membership(stations: Sequence[Station]) -> ir.Table:
    pairs = [(s.site_id, area) for s in stations for area in s.areas]
    return ibis.memtable(
        pa.table(
            {
                "station": pa.array([p[0] for p in pairs], pa.int64()),
                "area": pa.array([p[1] for p in pairs], pa.int64()),
            }
        )
    )


def _arrow(con: Any, t: ir.Table, table: ResultTable, subject: str) -> pa.Table:
    """`t` (the pipeline's columns, the subject named `station`) as the rows of `table`."""
    columns: dict[str, ir.Value] = {}
    for field in table.schema:
        name = field.name
        if name == subject:
            columns[name] = t.station.cast("int64")
        elif name in t.columns:
            columns[name] = t[name]
        else:  # a column of the other edition (O3_1h terms: 2012 only), or `exceeding` in a 2026 period
            columns[name] = ibis.null(_ibis_type(field.type))
    result: pa.Table = con.to_pyarrow(t.select(**columns))
    return result.cast(table.schema)


def _ibis_type(arrow: pa.DataType) -> str:
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_integer(arrow):
        return "int64"
    return "float64"
