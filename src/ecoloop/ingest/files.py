"""History files into readings: the formats `ecoloop import csv` knows, converted column-wise with Arrow.

A file's rows become readings in the long layout of the store; rows whose station has no site, or whose time
cannot be read or is outside the plausible window (`rules.TimeWindow`), and values that are not finite numbers,
are counted with examples (and the refusal's code) and skipped; `NA` and empty cells are missing values, not errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecoloop.readings.rules import Refusal, TimeWindow, epoch_refusal
from ecoloop.readings.vocabulary import READINGS_SCHEMA, ReadingSource, source_value

# Beijing multi-site air data (UCI, CC BY 4.0): column → (HJ 212 parameter code, factor to the code's unit).
# HJ 212-2017 Appendix B codes: a34004 PM2.5, a34002 PM10, a21026 SO2, a21004 NO2, a21005 CO (mg/m³), a05024 O3.
BEIJING_COLUMNS: dict[str, tuple[str, float]] = {
    "PM2.5": ("a34004", 1.0),
    "PM10": ("a34002", 1.0),
    "SO2": ("a21026", 1.0),
    "NO2": ("a21004", 1.0),
    "CO": ("a21005", 0.001),  # the source gives CO in µg/m³
    "O3": ("a05024", 1.0),
}
# The committed Parquet copy names the same columns differently (see ecoloop/demo/beijing/README.md).
_PARQUET_NAMES = {"pm2_5": "PM2.5", "pm10": "PM10", "so2": "SO2", "no2": "NO2", "co_ug": "CO", "o3": "O3"}
FORMATS = ("beijing",)
IMPORT_SOURCE = source_value(ReadingSource.IMPORT, "beijing")


@dataclass
class ImportReport:
    """Rows read, readings produced, and the problems met (the first few kept as examples)."""

    rows: int = 0
    readings: int = 0
    errors: int = 0
    skipped: int = 0
    """Rows left out on purpose, not for a problem: dated after `until`, or on a day a year shift does not have."""
    examples: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str]] = field(default_factory=list)
    """The kept problems as (rows, key, the value concerned), for pages to say them in the user's language."""

    def error(self, count: int, message: str, key: str = "", value: str = "") -> None:
        """Count `count` rows with one problem and keep the first 20 messages."""
        self.errors += count
        if count and len(self.examples) < 20:
            self.examples.append(f"{count} rows: {message}")
            self.problems.append((count, key, value))

    def skip(self, count: int, message: str) -> None:
        """Count `count` rows left out on purpose, with a message among the examples."""
        self.skipped += count
        if count and len(self.examples) < 20:
            self.examples.append(f"{count} rows skipped: {message}")


def site_code_for_station(station: str) -> str:
    """The site code a Beijing station's data is stored under (the demo city has one site per station)."""
    return f"bj-{station.strip().lower()}"


def read_beijing(
    path: Path,
    site_ids: dict[str, int],
    tz: tzinfo,
    report: ImportReport,
    origin: str = IMPORT_SOURCE,
    *,
    window: TimeWindow | None = None,
    now: datetime | None = None,
    shift_years: int = 0,
    until: datetime | None = None,
) -> pa.Table:
    """Readings (READINGS_SCHEMA) of a Beijing multi-site CSV file, or of the committed Parquet copy, from
    source `origin` (a history import, unless the file was uploaded).

    `hour` is read as the start of the hour in local time `tz` (HJ 212 hourly data are labelled by their start),
    `shift_years` whole years later (the demo's history ending today): a day the shifted year does not have (29
    February) is skipped, never moved. Hours that end after `until` are skipped. Times outside `window` (by
    default `TimeWindow()`) at `now` (by default the clock) are refused.
    """
    now = now or datetime.now(UTC)
    source = _beijing_columns(path)
    report.rows += source.num_rows
    codes = [site_code_for_station(s) for s in source["station"].to_pylist()]
    ids = pa.array([site_ids.get(code) for code in codes], pa.int64())
    unknown = pc.sum(pc.is_null(ids)).as_py() or 0
    if unknown:
        missing = sorted({c for c, i in zip(codes, ids.to_pylist(), strict=True) if i is None})
        report.error(unknown, f"no site for {', '.join(missing[:5])}", "no_site", ", ".join(missing[:5]))
    times, no_day = _local_hours(source, tz, shift_years)
    no_day = pc.and_(no_day, pc.is_valid(ids))
    report.skip(pc.sum(no_day).as_py() or 0, f"the day does not exist {shift_years} years later")
    bad_time = pc.sum(pc.and_(pc.and_(pc.is_null(times), pc.is_valid(ids)), pc.invert(no_day))).as_py() or 0
    report.error(bad_time, "time cannot be read", "bad_time")
    if until is not None:
        later = pc.fill_null(pc.greater(times, pa.scalar(until - timedelta(hours=1), times.type)), False)
        report.skip(pc.sum(pc.and_(later, pc.is_valid(ids))).as_py() or 0, "the hour ends in the future")
        times = pc.if_else(later, pa.scalar(None, times.type), times)
    times = _plausible(times, ids, window or TimeWindow(), now, report)
    received = pa.scalar(now, pa.timestamp("ms", tz="UTC"))
    parts = []
    rows = pc.and_(pc.is_valid(ids), pc.is_valid(times))
    for column, (code, factor) in BEIJING_COLUMNS.items():
        values = pc.cast(source[column], pa.float64(), safe=False)
        infinite = pc.sum(pc.and_(rows, pc.invert(pc.fill_null(pc.is_finite(values), True)))).as_py() or 0
        report.error(infinite, f"{column}: {Refusal.VALUE_NOT_FINITE.value}", Refusal.VALUE_NOT_FINITE.value, column)
        keep = pc.and_(pc.and_(rows, pc.is_valid(values)), pc.fill_null(pc.is_finite(values), False))
        n = pc.sum(keep).as_py() or 0
        parts.append(
            pa.table(
                {
                    "site_id": pc.filter(ids, keep),
                    "parameter": pa.array([code] * n, pa.string()),
                    "interval": pa.array(["hour"] * n, pa.string()),
                    "time": pc.filter(times, keep),
                    "value": pc.round(pc.multiply(pc.filter(values, keep), factor), 6),
                    "flag": pa.nulls(n, pa.string()),
                    "source": pa.array([origin] * n, pa.string()),
                    "received_at": pa.array([received.as_py()] * n, pa.timestamp("ms", tz="UTC")),
                },
                schema=READINGS_SCHEMA,
            )
        )
    table = pa.concat_tables(parts)
    report.readings += table.num_rows
    return table


def _beijing_columns(path: Path) -> pa.Table:
    """Station, year, month, day, hour and the six pollutant columns as text-or-number columns."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        start = table["hour_start"]
        renamed = {
            "station": table["station"],
            "year": pc.year(start),
            "month": pc.month(start),
            "day": pc.day(start),
            "hour": pc.hour(start),
        }
        renamed.update({name: table[column] for column, name in _PARQUET_NAMES.items()})
        return pa.table(renamed)
    options = pacsv.ConvertOptions(
        null_values=["NA", ""],
        column_types={name: pa.float64() for name in BEIJING_COLUMNS} | {"station": pa.string()},
        include_columns=["station", "year", "month", "day", "hour", *BEIJING_COLUMNS],
    )
    try:
        return pacsv.read_csv(path, convert_options=options)
    except (pa.ArrowInvalid, KeyError) as exc:
        raise ValueError(f"{path.name} is not a Beijing multi-site file: {exc}") from exc


def _local_hours(source: pa.Table, tz: tzinfo, shift_years: int = 0) -> tuple[pa.Array, pa.Array]:
    """The hour starts `shift_years` later as UTC instants, null where year/month/day/hour do not form a time (or
    one whose UTC instant cannot be represented); and which rows are null only because the shifted year lacks
    their day (29 February)."""
    stamps: list[datetime | None] = []
    no_day: list[bool] = []
    for y, m, d, h in zip(*(source[c].to_pylist() for c in ("year", "month", "day", "hour")), strict=True):
        try:
            stamps.append(datetime(int(y) + shift_years, int(m), int(d), int(h), tzinfo=tz).astimezone(UTC))
            no_day.append(False)
        except (TypeError, ValueError, OverflowError):
            stamps.append(None)
            no_day.append(shift_years != 0 and (m, d) == (2, 29) and _is_date(y, m, d))
    return pa.array(stamps, pa.timestamp("s", tz="UTC")), pa.array(no_day, pa.bool_())


def _is_date(y: object, m: object, d: object) -> bool:
    try:
        date(int(y), int(m), int(d))  # type: ignore[call-overload]  # cells of any type; a bad one raises
    except (TypeError, ValueError, OverflowError):
        return False
    return True


def beijing_last_hour(path: Path) -> datetime:
    """The latest hour a Beijing multi-site file (CSV or the committed Parquet copy) has, as naive local time."""
    if path.suffix == ".parquet":
        last = pc.max(pq.read_table(path, columns=["hour_start"])["hour_start"]).as_py()
        if last is None:
            raise ValueError(f"{path.name} has no readable hour")
        return datetime(last.year, last.month, last.day, last.hour)  # noqa: DTZ001  # naive local, as the file
    source = _beijing_columns(path)
    hours = [
        datetime(int(y), int(m), int(d), int(h))  # noqa: DTZ001  # the file's naive local hours
        for y, m, d, h in zip(*(source[c].to_pylist() for c in ("year", "month", "day", "hour")), strict=True)
        if None not in (y, m, d, h) and _is_date(y, m, d)
    ]
    if not hours:
        raise ValueError(f"{path.name} has no readable hour")
    return max(hours)


def years_to_present(last: datetime, now: datetime) -> int:
    """The fewest whole years (at least 0) that bring `last` to or past `now` (both naive local time): shifted by
    them, a history's last twelve months end about now. 29 February counts as 28 February for the comparison."""
    if last >= now:
        return 0
    day = 28 if (last.month, last.day) == (2, 29) else last.day
    years = now.year - last.year
    if last.replace(year=last.year + years, day=day) < now:
        years += 1
    return years


def _plausible(times: pa.Array, ids: pa.Array, window: TimeWindow, now: datetime, report: ImportReport) -> pa.Array:
    """`times` with those outside the plausible window nulled, counted by refusal (rows with a site only)."""
    seconds = pc.cast(times, pa.int64())
    first, last = window.first, window.last(now)
    outside = pc.fill_null(pc.or_(pc.less(seconds, first), pc.greater(seconds, last)), False)
    if not pc.any(outside).as_py():
        return times
    refusals: dict[str, int] = {}
    for value, site in zip(pc.filter(seconds, outside).to_pylist(), pc.filter(ids, outside).to_pylist(), strict=True):
        if site is not None:
            code = str(epoch_refusal(value, first, last))
            refusals[code] = refusals.get(code, 0) + 1
    for code, count in sorted(refusals.items()):
        report.error(count, f"time {code}", code)
    return pc.if_else(outside, pa.scalar(None, times.type), times)
