"""Period statistics of air stations and areas (issue 16 part 1): for any period first…last, from the stored daily
results (`AIR_DAY`, `AIR_DAY_AREA`) through `analytics.air.period_statistics` — good-day ratio, PM2.5 and PM10
means, the O3 90th percentile of MDA8, the CO 95th percentile, days per AQI level, heavy-pollution days and the
composite index — and the standard periods (month, quarter, year to date) with the same period last year and the
change rates.

Computed once and kept: the expensive part, the daily table, is stored (`results.air`); a period's statistics are
one aggregation over its month partitions, kept in this process in a small cache keyed by the table, the period and
the partition files with their modification times, so a page asks again for free and a recomputed month (a new
file) is read again. The cache holds every subject of the table for the period; callers filter by the ids the
principal may see.

Displayed values are rounded as a bulletin publishes them (docs/standards/gb3095-hj663-evaluation.md: µg/m³
integers, CO to 0.1 mg/m³, percentages to 0.1 %, half to even; docs/standards/ranking.md: the composite index to
2 decimals, computed exactly from the engine's statistics by `standards.ranking.composite_index`).
"""

from __future__ import annotations

import calendar
import threading
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ecoloop.analytics import air as air_analytics
from ecoloop.results import store
from ecoloop.results.air import AIR_DAY, AIR_DAY_AREA
from ecoloop.standards import evaluation, ranking

Kind = Literal["month", "quarter", "ytd", "range"]
KINDS: tuple[Kind, ...] = ("month", "quarter", "ytd", "range")
CACHE_SIZE = 64  # periods x tables kept in this process
MAX_RANGE_DAYS = 3 * 366  # the longest from-to period a page may ask for


@dataclass(frozen=True)
class Period:
    """A period of local days first…last; `kind` says how it was chosen (its previous period depends on it)."""

    kind: Kind
    first: date
    last: date

    def last_year(self) -> Period:
        """The same period a year earlier (29 February becomes the 28th)."""
        return Period(self.kind, _year_before(self.first), _year_before(self.last))

    def previous(self) -> Period | None:
        """The period before this one, for rank movement: the previous month or quarter, the year to date at the
        end of the previous month (None in January), or the equally long span just before a from-to period."""
        if self.kind == "month":
            last = self.first - timedelta(days=1)
            return Period("month", last.replace(day=1), last)
        if self.kind == "quarter":
            last = self.first - timedelta(days=1)
            return Period("quarter", *evaluation.period_bounds("quarter", last))
        if self.kind == "ytd":
            end = self.last.replace(day=1) - timedelta(days=1)
            return None if end.year != self.first.year else Period("ytd", self.first, end)
        length = self.last - self.first
        last = self.first - timedelta(days=1)
        return Period("range", last - length, last)


def _year_before(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def standard_period(kind: Kind, day: date) -> Period:
    """The month or quarter containing `day`, or the year to date ending on `day` (HJ 663 evaluation periods;
    a month or quarter not yet over ends on `day`)."""
    if kind == "ytd":
        return Period("ytd", date(day.year, 1, 1), day)
    if kind in ("month", "quarter"):
        first, last = evaluation.period_bounds(kind, day)
        return Period(kind, first, min(last, day))
    raise ValueError(f"no standard period of kind {kind!r}")


def month_period(year: int, month: int) -> Period:
    """One whole calendar month."""
    return Period("month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def range_period(first: date, last: date) -> Period:
    """A from-to period (ValueError when reversed or longer than MAX_RANGE_DAYS)."""
    if last < first:
        raise ValueError("the period ends before it begins")
    if (last - first).days >= MAX_RANGE_DAYS:
        raise ValueError("the period is too long")
    return Period("range", first, last)


@dataclass(frozen=True)
class Statistics:
    """One station's or area's air over a period, as published: concentrations at reporting precision, the
    good-day ratio to 0.1 %, the composite index to 2 decimals (None without all six items)."""

    subject: int  # site id (stations) or region id (areas)
    days: int  # days with a daily AQI
    good_days: int  # AQI ≤ 100
    heavy_days: int  # AQI > 200
    level_days: tuple[int, int, int, int, int, int]  # days at AQI levels 1…6
    good_ratio: Decimal | None  # percent
    pm25: Decimal | None  # mean of daily means, µg/m³
    pm10: Decimal | None
    so2: Decimal | None
    no2: Decimal | None
    co_p95: Decimal | None  # mg/m³
    o3_p90: Decimal | None  # 90th percentile of MDA8, µg/m³
    composite: ranking.CompositeIndex | None
    raw: Mapping[str, Any]  # the engine's row as computed (unrounded), for tests and the API

    @property
    def composite_index(self) -> Decimal | None:
        return None if self.composite is None else self.composite.total


def _report(pollutant: str, value: Any) -> Decimal | None:
    if value is None or value != value:  # NaN: no valid day
        return None
    return evaluation.report_value(pollutant, value)


def _statistics(row: Mapping[str, Any], first: date) -> Statistics:
    """A row of `analytics.air.period_statistics` as published figures."""
    days = int(row["aqi_days"] or 0)
    good = int(row["good_days"] or 0)
    items = {
        "SO2": row["SO2_mean"],
        "NO2": row["NO2_mean"],
        "PM10": row["PM10_mean"],
        "PM2_5": row["PM2_5_mean"],
        "CO": row["CO_p95"],
        "O3": row["O3_p90"],
    }
    complete = all(v is not None and v == v for v in items.values())
    composite = ranking.composite_index(items, limits=ranking.index_limits_for(first)) if complete else None
    return Statistics(
        subject=int(row["station"]),
        days=days,
        good_days=good,
        heavy_days=int(row["heavy_days"] or 0),
        level_days=tuple(int(row[f"level_{n}_days"] or 0) for n in range(1, 7)),  # type: ignore[arg-type]  # six levels
        good_ratio=None if days == 0 else evaluation.report_percent(Decimal(100 * good) / Decimal(days)),
        pm25=_report("PM2_5", row["PM2_5_mean"]),
        pm10=_report("PM10", row["PM10_mean"]),
        so2=_report("SO2", row["SO2_mean"]),
        no2=_report("NO2", row["NO2_mean"]),
        co_p95=_report("CO", row["CO_p95"]),
        o3_p90=_report("O3", row["O3_p90"]),
        composite=composite,
        raw=dict(row),
    )


Scope = Literal["stations", "areas"]
_TABLES = {"stations": AIR_DAY, "areas": AIR_DAY_AREA}
_SUBJECT = {"stations": "site_id", "areas": "region_id"}
_cache: OrderedDict[tuple[Any, ...], dict[int, Statistics]] = OrderedDict()
_lock = threading.Lock()


def statistics(
    con: Any, root: Path, scope: Scope, period: Period, subjects: Collection[int] | None = None
) -> dict[int, Statistics]:
    """The statistics of every station (`scope="stations"`) or area (`"areas"`) over `period` that has daily
    results in it, by site or region id; only `subjects` when given. Cached (see the module docstring)."""
    table = _TABLES[scope]
    paths = store.files(root, table, period.first, period.last)
    key = (scope, period.first, period.last, tuple((str(p), _mtime(p)) for p in paths))
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
    if found is None:
        found = _compute(con, root, scope, period)
        with _lock:
            _cache[key] = found
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if subjects is None:
        return dict(found)
    wanted = set(subjects)
    return {k: v for k, v in found.items() if k in wanted}


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _compute(con: Any, root: Path, scope: Scope, period: Period) -> dict[int, Statistics]:
    table = _TABLES[scope]
    daily = store.scan(con, root, table, period.first, period.last)
    if daily is None:
        return {}
    daily = daily.rename(station=_SUBJECT[scope])
    rows = con.to_pyarrow(air_analytics.period_statistics(daily, period.first)).to_pylist()
    return {int(r["station"]): _statistics(r, period.first) for r in rows}


def clear_cache() -> None:
    """Forget every cached period (tests; the cache otherwise follows the files by itself)."""
    with _lock:
        _cache.clear()


@dataclass(frozen=True)
class Change:
    """A subject's statistics now and in the same period last year, with the change rates: composite index and
    PM2.5 in percent (`standards.ranking.change_rate`, of the published values; > 0 worse), the good-day ratio
    in percentage points (now - then; > 0 better, as bulletins say 上升 x 个百分点)."""

    now: Statistics | None
    before: Statistics | None
    composite_rate: Decimal | None
    pm25_rate: Decimal | None
    good_ratio_points: Decimal | None


def _rate(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    if now is None or before is None or before <= 0:
        return None
    return ranking.change_rate(now, before)


def change(now: Statistics | None, before: Statistics | None) -> Change:
    """`now` against `before` (the same period last year); rates are None where either side lacks the value."""
    if now is None or before is None:
        return Change(now, before, None, None, None)
    points = None if now.good_ratio is None or before.good_ratio is None else now.good_ratio - before.good_ratio
    return Change(
        now,
        before,
        _rate(now.composite_index, before.composite_index),
        _rate(now.pm25, before.pm25),
        points,
    )


def compared(
    con: Any, root: Path, scope: Scope, period: Period, subjects: Collection[int] | None = None
) -> dict[int, Change]:
    """Each subject's statistics over `period` against the same period last year."""
    now = statistics(con, root, scope, period, subjects)
    before = statistics(con, root, scope, period.last_year(), subjects)
    return {k: change(now.get(k), before.get(k)) for k in sorted(set(now) | set(before))}


@dataclass(frozen=True)
class TargetCheck:
    """A statistic against its target for the year: met or not, and the gap (positive: short of the target by
    that much — percentage points below the good-day target, µg/m³ or days above the PM2.5 or heavy-day one)."""

    target: Decimal | int
    met: bool
    gap: Decimal | int


def against_good_ratio(value: Decimal | None, target: Decimal | None) -> TargetCheck | None:
    """The good-day ratio against its target: met when at least the target (percent, 0.1)."""
    if value is None or target is None:
        return None
    return TargetCheck(target, value >= target, max(target - value, Decimal(0)))


def against_ceiling(value: Decimal | int | None, target: Decimal | int | None) -> TargetCheck | None:
    """PM2.5 (µg/m³) or heavy-pollution days against a ceiling: met when at most the target."""
    if value is None or target is None:
        return None
    return TargetCheck(target, value <= target, max(value - target, 0))


def standard_periods(day: date) -> list[Period]:
    """The month, the quarter and the year to date ending on `day`."""
    return [standard_period(k, day) for k in ("month", "quarter", "ytd")]
