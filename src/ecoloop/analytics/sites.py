"""Stored readings of sites as Ibis expressions: both tiers of the readings store read together, one row per key,
and the figures the monitoring pages and the alerts engine take from them (series, completeness counts, latest
values and times).

The Parquet tier is read where it lies (the partitions of the dates asked for, `readings/parquet.py`), the hot
store's rows are handed in as Arrow; the engine of `ANALYTICS_URL` (`backends.reading`) evaluates the rest, so
that DuckDB or Spark does it alike. Every expression here is portable: no SQL strings, no engine's own functions.

Readings stored before the ways in refused implausible ones (issue 13) are left out of every table: a time that no
datetime holds, an infinite value (`readable`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from ecoloop.analytics import backends
from ecoloop.readings.parquet import partition_path
from ecoloop.readings.parquet import readable as readable_rows
from ecoloop.readings.rules import REPRESENTABLE_FIRST, REPRESENTABLE_LAST
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import READINGS_SCHEMA, Interval, ReadingSource
from ecoloop.settings import Settings

KEY = ("site_id", "parameter", "interval", "time")
# The first and last instants a stored time may hold (`readings.rules`): rows outside are unreadable.
_FIRST = datetime.fromtimestamp(REPRESENTABLE_FIRST, UTC)
_LAST = datetime.fromtimestamp(REPRESENTABLE_LAST, UTC)
COLUMNS = tuple(READINGS_SCHEMA.names)
# One schema for both tiers (Parquet and Arrow differ in timestamp precision), and `tier`: 0 Parquet, 1 hot.
_UTC = dt.Timestamp(timezone="UTC", scale=6)
_ARROW_SCHEMA = pa.schema(
    [pa.field(f.name, pa.timestamp("us", tz="UTC")) if pa.types.is_timestamp(f.type) else f for f in READINGS_SCHEMA]
)
SCHEMA = ibis.schema(
    {
        "site_id": "int64",
        "parameter": "string",
        "interval": "string",
        "time": _UTC,
        "value": "float64",
        "flag": "string",
        "source": "string",
        "received_at": _UTC,
    }
)
# How many of the newest daily partitions of each interval are searched for the latest readings: a site whose
# latest reading is older than these shows its last packet only (or nothing).
RECENT_PARTITIONS = 31
_LARGEST = sys.float_info.max
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class StoredReadings:
    """Both tiers of the readings store and the analytics backend that reads them: `backend()` opens one for a
    read (`backends.reading`; tests hand in a backend of their own)."""

    store: HotStore
    root: Path
    backend: Callable[[], AbstractContextManager[Any]]

    @classmethod
    def of(cls, store: HotStore, settings: Settings) -> StoredReadings:
        """The readings the settings name (`PARQUET_ROOT`), read on the engine of `ANALYTICS_URL`."""
        return cls(store, settings.parquet_root, partial(backends.reading, settings))

    @contextmanager
    def shared(self) -> Iterator[StoredReadings]:
        """These readings with one backend for every read made inside (the reads of one page): a backend is
        opened once, not once per read."""
        with self.backend() as con:
            yield StoredReadings(self.store, self.root, partial(fixed, con))


@contextmanager
def fixed(backend: Any) -> Iterator[Any]:
    """A backend already open, as `StoredReadings.backend` hands one out (left open afterwards)."""
    yield backend


# --- the two tiers as one table -------------------------------------------------------------------------------------


def tiers(cold: ir.Table | None, hot: pa.Table) -> ir.Table:
    """The rows of `cold` (a table of Parquet files, tier 0) and the hot rows `hot` (READINGS_SCHEMA, tier 1)
    as one table."""
    hot_table = ibis.memtable(hot.select(list(COLUMNS)).cast(_ARROW_SCHEMA)).mutate(tier=ibis.literal(1))
    if cold is None:
        return hot_table
    return _as_readings(cold).mutate(tier=ibis.literal(0)).union(hot_table)


def _as_readings(t: ir.Table) -> ir.Table:
    """`t`'s reading columns in the one schema of both tiers (the engines differ in timestamp precision)."""
    t = t.select(*COLUMNS)
    return t if t.schema() == SCHEMA else t.cast(SCHEMA)


def readable(t: ir.Table) -> ir.BooleanValue:
    """Whether a row is one reads show: a time a datetime holds and a finite value or none (`parquet.readable`)."""
    return (t.time >= _literal(_FIRST)) & (t.time <= _literal(_LAST)) & finite(t)


def finite(t: ir.Table) -> ir.BooleanValue:
    """Whether a row's value is finite or missing (NaN compares above every number on DuckDB and Spark). Ibis on
    Spark counts NaN as null (`isnull` is `isnull(x) OR isnan(x)` there), so a missing value is one that is null
    and not NaN: a NaN stored before the ways in refused it is left out on both engines (parity suite)."""
    missing = t.value.isnull() & ~t.value.isnan().fill_null(False)
    return missing | (t.value.abs() <= _LARGEST)


def standing_order(t: ir.Table) -> list[ir.Value]:
    """`standing_rank` as sort keys: the latest approved correction first, else the first value received."""
    correction = t.source.startswith(ReadingSource.CORRECTION.value).fill_null(False)
    return [
        correction.desc(),
        ibis.cases((correction, t.received_at), else_=ibis.null(_UTC)).desc(),
        ibis.cases((~correction, t.received_at), else_=ibis.null(_UTC)).asc(),
    ]


def standing(t: ir.Table) -> ir.Table:
    """One row per key: the one that stands (`standing_order`; the hot row when both tiers hold the same)."""
    order = [*standing_order(t), t.tier.desc()]
    ranked = t.mutate(_rank=ibis.row_number().over(group_by=list(KEY), order_by=order))
    return ranked.filter(ranked._rank == 0).drop("_rank", "tier")


def main_parameters(t: ir.Table) -> ir.BooleanValue:
    """Whether a row is of a main parameter (`a34004`), not of one of its statistics (`a34004-Min` …)."""
    return ~t.parameter.contains("-")


def period_readings(
    con: Any,
    stored: StoredReadings,
    site_ids: Sequence[int],
    intervals: Collection[Interval],
    start: datetime,
    end: datetime,
) -> ir.Table:
    """The sites' readings of `intervals` whose time is in [start, end), from the period's Parquet partitions and
    the hot store, one row per key: the one that stands."""
    # The hot store hands over the sites' rows of the period: only finiteness is left to check (in Arrow).
    hot = readable_rows(stored.store.site_readings(site_ids, [i.value for i in intervals], start, end))
    files = [partition_path(stored.root, i.value, d.isoformat()) for i in intervals for d in days(start, end)]
    files = [f for f in files if f.exists()]
    cold = None
    if files:
        cold = backends.read_parquet_files(con, files)
        wanted = cold.site_id.isin(list(site_ids)) & (cold.time >= _literal(start)) & (cold.time < _literal(end))
        cold = cold.filter(wanted & finite(cold))
        if hot.num_rows == 0:
            # A Parquet partition holds one row per key, the one that stands (compaction and every merge write it
            # so): with nothing in the hot store, there is nothing to choose between (a year's recomputation
            # skips sorting its 30 million rows).
            return _as_readings(cold)
    return standing(tiers(cold, hot))


def recent_files(root: Path, intervals: Sequence[str], until: datetime | None = None) -> list[Path]:
    """The Parquet files of the newest RECENT_PARTITIONS dates of each interval, up to the UTC date of `until`
    (partitions of later dates, or whose name is not a date, are passed over)."""
    last = (until or datetime.now(UTC)).astimezone(UTC).date().isoformat()
    files: list[Path] = []
    for interval in intervals:
        folder = root / f"interval={interval}"
        try:
            names = sorted((entry.name for entry in os.scandir(folder) if entry.is_dir()), reverse=True)
        except FileNotFoundError:
            continue
        found = 0
        for name in names:  # listing names is much faster than globbing a thousand partitions
            day = name.removeprefix("date=")
            if found == RECENT_PARTITIONS:
                break
            if name.startswith("date=") and _ISO_DATE.fullmatch(day) and day <= last:
                path = folder / name / "part.parquet"
                if path.exists():
                    files.append(path)
                    found += 1
    return files


def recent_readings(con: Any, files: Sequence[Path], until: datetime | None) -> ir.Table:
    """The readable rows of Parquet `files` (`recent_files`) not dated after `until` (or the last time a datetime
    holds)."""
    t = _as_readings(backends.read_parquet_files(con, files))
    last = min(until, _LAST) if until is not None else _LAST
    return t.filter(readable(t) & (t.time <= _literal(last)))


# --- figures ------------------------------------------------------------------------------------------------------


def series_rows(t: ir.Table) -> ir.Table:
    """(site_id, parameter, time, value, flag) of the main parameters, by site, parameter and time."""
    rows = t.filter(main_parameters(t))
    return rows.select("site_id", "parameter", "time", "value", "flag").order_by(["site_id", "parameter", "time"])


def completeness_counts(t: ir.Table, windows: ir.Table, invalid_flags: Collection[str]) -> ir.Table:
    """Per site and main parameter: `received` and `valid` values inside the site's window. `windows` holds one
    row per site (`w_site`, `w_interval`, `w_start`, `w_end`: the series and its [start, end)); a value is valid
    when it is present and its flag (N when none) is none of `invalid_flags`."""
    joined = t.filter(main_parameters(t)).join(
        windows,
        [
            t.site_id == windows.w_site,
            t.interval == windows.w_interval,
            t.time >= windows.w_start,
            t.time < windows.w_end,
        ],
    )
    flag = joined.flag.nullif("").fill_null("N").upper()
    valid = joined.value.notnull() & ~flag.isin(sorted(invalid_flags))
    return joined.group_by(["site_id", "parameter"]).aggregate(
        received=joined.count(), valid=ibis.cases((valid, 1), else_=0).sum()
    )


def windows_table(windows: Sequence[tuple[int, Interval, datetime, datetime]]) -> ir.Table:
    """`completeness_counts`' windows from (site, interval, start, end)."""
    return ibis.memtable(
        pa.table(
            {
                "w_site": pa.array([w[0] for w in windows], pa.int64()),
                "w_interval": pa.array([w[1].value for w in windows], pa.string()),
                "w_start": pa.array([w[2] for w in windows], pa.timestamp("us", tz="UTC")),
                "w_end": pa.array([w[3] for w in windows], pa.timestamp("us", tz="UTC")),
            }
        )
    )


def latest_per_parameter(t: ir.Table) -> ir.Table:
    """Per parameter: the row of the latest time (the one that stands at that time)."""
    order = [t.time.desc(), *standing_order(t)]
    ranked = t.mutate(_rank=ibis.row_number().over(group_by="parameter", order_by=order))
    first = ranked.filter(ranked._rank == 0)
    return first.select("parameter", "time", "value", "flag", "source", "received_at")


def latest_time_per_site(t: ir.Table, site_ids: Sequence[int]) -> ir.Table:
    """Per site of `site_ids`: `time`, the time of its latest reading."""
    rows = t.filter(t.site_id.isin(list(site_ids)))
    return rows.group_by("site_id").aggregate(time=rows.time.max())


# --- dates and times ----------------------------------------------------------------------------------------------


def days(start: datetime, end: datetime) -> list[date]:
    """The UTC dates that [start, end) touches (Parquet partitions are by UTC date)."""
    first, last = start.astimezone(UTC).date(), (end - timedelta(microseconds=1)).astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def rows(con: Any, expr: ir.Table) -> list[dict[str, Any]]:
    """The rows of `expr` as dictionaries, timestamps as aware UTC datetimes (whatever the engine's types)."""
    table = con.to_pyarrow(expr)
    columns: dict[str, list[Any]] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(column.type):
            micros = pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64()).to_pylist()
            columns[name] = [None if m is None else _EPOCH + timedelta(microseconds=m) for m in micros]
        else:
            columns[name] = column.to_pylist()
    return [dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def _literal(moment: datetime) -> ir.TimestampScalar:
    return ibis.literal(moment.astimezone(UTC), type=_UTC)
