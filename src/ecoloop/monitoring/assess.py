"""Data quality of stored monitoring data: the rules of `quality.py` applied to a site, or to many sites at once.

Readings come from both tiers of the readings store (`readings/store.py`): the Parquet partitions of the period's
dates plus the hot store's rows, filtered to the sites, interval and period and de-duplicated like
`parquet.readings()` (one row per key, the one that stands) in DuckDB before anything reaches Python. Hot rows and
per-device packet counts are read through the `HotStore` (SQLite or PostgreSQL), never from its files directly.

A site's figures are those of its data series at the cadence of its data loggers (`cadence`): hourly data for a
logger reporting every hour or more slowly, minute data for one reporting more often, daily data for one
reporting daily. Only main parameters count (`a34004`, not the statistics `a34004-Min`, `a34004-Zs` …).

Readings stored before the ways in refused implausible ones (issue 13) never stop these reads: infinite values
are left out of every view, and a reading dated after `now` neither counts as the site's last sign of life (a
packet dated 9999 would keep a logger "online" forever) nor shows as its latest value.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from ecoloop.monitoring import quality
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.quality import Completeness, Issue, IssueKind, Point
from ecoloop.readings.parquet import partition_path, readable
from ecoloop.readings.rules import REPRESENTABLE_FIRST, REPRESENTABLE_LAST
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import STANDING_ORDER, Interval, ReadingSource, parse_source, standing_rank

# DuckDB conditions of readable Parquet rows (`parquet.readable`): a time a datetime holds (parameters: the first and
# last), a finite value or none.
_FINITE = "(value IS NULL OR isfinite(value))"
_PLAUSIBLE = f"time >= ? AND time <= ? AND {_FINITE}"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DEFAULT_CADENCE_MINUTES = 60  # a site without a data logger (file or HTTP uploads) is taken as hourly
MAX_PERIOD = timedelta(days=31)
# How many of the newest daily partitions are searched for a site's latest readings: a site whose latest reading
# is older than these shows its last packet only (or nothing).
RECENT_PARTITIONS = 31
_DEFAULT_SPAN = {Interval.DAY: timedelta(days=30)}  # other series: the last 24 hours
_PM25, _PM10 = "a34004", "a34002"


@dataclass(frozen=True)
class Period:
    """The span [start, end) over which a series with one value per `step` is assessed."""

    start: datetime
    end: datetime
    interval: Interval
    step: timedelta

    @property
    def expected(self) -> int:
        """How many values of one parameter the period should hold."""
        return int((self.end - self.start) / self.step)


@dataclass(frozen=True)
class DeviceStatus:
    """When a data logger was last heard from and whether it is online (silent for fewer than 3 intervals)."""

    device_id: int
    mn: str
    interval_minutes: int
    last_seen: datetime | None
    online: bool


@dataclass(frozen=True)
class ParameterQuality:
    """Completeness and device-flag counts of one parameter over the period (a value without a flag counts as N,
    as HJ 212 treats it)."""

    parameter: str
    completeness: Completeness
    flags: dict[str, int]


@dataclass(frozen=True)
class SiteQuality:
    """The data quality of one site over a period: completeness (all parameters pooled, and each), device flags,
    suspicious values, and the data loggers' rejected packets by reason."""

    site_id: int
    period: Period
    last_seen: datetime | None
    online: bool
    completeness: Completeness
    parameters: list[ParameterQuality]
    flags: dict[str, int]
    issues: list[Issue]
    issue_counts: dict[IssueKind, int]
    rejected: dict[str, int]
    devices: list[DeviceStatus] = field(default_factory=list)


@dataclass(frozen=True)
class SiteStatus:
    """What the site list shows of a site: last seen, online, and completeness over the last 24 hours."""

    site_id: int
    last_seen: datetime | None
    online: bool
    completeness: Completeness


@dataclass(frozen=True)
class LatestValue:
    """The most recent stored value of one parameter of a site, with where it came from (`ReadingSource`)."""

    parameter: str
    interval: str
    time: datetime
    value: float | None
    flag: str | None
    source: str
    received_at: datetime

    @property
    def origin(self) -> tuple[ReadingSource | None, str | None]:
        """Where the value came from and who sent it (`parse_source`)."""
        return parse_source(self.source)


# --- periods ------------------------------------------------------------------------------------------------------


def cadence(devices: Sequence[Device]) -> tuple[Interval, timedelta]:
    """The data series a site is assessed on and its step, from its fastest active data logger."""
    minutes = min((d.interval_minutes for d in devices if d.active), default=DEFAULT_CADENCE_MINUTES)
    if minutes >= 24 * 60:
        return Interval.DAY, timedelta(days=1)
    if minutes >= 60:
        return Interval.HOUR, timedelta(minutes=minutes)
    return Interval.MINUTE, timedelta(minutes=minutes)


def step_of(interval: Interval, devices: Sequence[Device]) -> timedelta:
    """The step between expected values of `interval` data: a day, an hour, or the loggers' reporting interval."""
    if interval is Interval.DAY:
        return timedelta(days=1)
    if interval is Interval.HOUR:
        return timedelta(hours=1)
    minutes = min((d.interval_minutes for d in devices if d.active), default=1)
    return timedelta(minutes=max(1, min(minutes, 60)))


def period_for(
    now: datetime,
    devices: Sequence[Device],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    interval: Interval | None = None,
) -> Period:
    """The period to assess: by default the last 24 hours (30 days of daily data) up to the start of the current
    step, on the site's cadence; raises ValueError for an empty, reversed or too long period."""
    series, step = cadence(devices)
    if interval is not None and interval is not series:
        series, step = interval, step_of(interval, devices)
    if end is None:
        end = _floor(now, step)
    if start is None:
        start = end - _DEFAULT_SPAN.get(series, timedelta(hours=24))
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the period needs aware times")
    if end <= start:
        raise ValueError("the period ends before it starts")
    if end - start > MAX_PERIOD:
        raise ValueError("the period is longer than the maximum")
    return Period(start.astimezone(UTC), end.astimezone(UTC), series, step)


def parse_moment(text: str, tz: tzinfo) -> datetime | None:
    """An ISO 8601 date or time from a form or query string (local time `tz` when it has no offset); None when
    empty; ValueError when it cannot be read."""
    text = text.strip()
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=tz)


def _floor(moment: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + ((moment - epoch) // step) * step


# --- one site -----------------------------------------------------------------------------------------------------


def assess_site(
    store: HotStore, root: Path, site_id: int, devices: Sequence[Device], period: Period, now: datetime
) -> SiteQuality:
    """The data quality of a site's `period.interval` data over the period, its loggers' status and rejected
    packets (received during the period)."""
    rows = _period_rows(store, root, [site_id], period.interval, period.start, period.end)
    series: dict[str, list[Point]] = defaultdict(list)
    for _site, parameter, seconds, value, flag in rows:
        series[parameter].append(Point(datetime.fromtimestamp(seconds, UTC), value, flag))
    parameters = [
        ParameterQuality(
            parameter,
            quality.completeness(points, period.start, period.end, period.step),
            dict(Counter((p.flag or "N").upper() for p in points)),
        )
        for parameter, points in sorted(series.items())
    ]
    issues = sorted(
        _issues(series, period.interval) + conflict_issues(store, [site_id], period.start, period.end),
        key=lambda i: (i.start, i.parameter, i.kind),
    )
    devices_status = device_statuses(store, devices, now)
    last_seen = _latest(
        [d.last_seen for d in devices_status] + [_latest_reading_times(store, root, [site_id], now).get(site_id)]
    )
    flags: Counter[str] = Counter()
    for item in parameters:
        flags.update(item.flags)
    return SiteQuality(
        site_id=site_id,
        period=period,
        last_seen=last_seen,
        online=not quality.is_silent(last_seen, now, cadence(devices)[1]),
        completeness=_site_completeness([p.completeness for p in parameters], period.expected),
        parameters=parameters,
        flags=dict(sorted(flags.items())),
        issues=issues,
        issue_counts=dict(Counter(i.kind for i in issues)),
        rejected=_rejected(store, [d.mn for d in devices], period.start, period.end),
        devices=devices_status,
    )


def _issues(series: Mapping[str, Sequence[Point]], interval: Interval) -> list[Issue]:
    """Suspicious values of each parameter, and PM2.5 above PM10; flagged values are counted, not listed."""
    found: list[Issue] = []
    for parameter, points in series.items():
        found += [i for i in quality.value_issues(parameter, points) if i.kind is not IssueKind.FLAGGED]
        found += quality.flat_lines(parameter, points)
        found += quality.spikes(parameter, points)
        step = quality.HOURLY_MAX_STEP.get(parameter)
        if interval is Interval.HOUR and step is not None:
            found += quality.jumps(parameter, points, step)
    if _PM25 in series and _PM10 in series:
        found += quality.pm25_above_pm10(series[_PM25], series[_PM10])
    return sorted(found, key=lambda i: (i.start, i.parameter, i.kind))


MAX_CONFLICTS = 1000  # conflicts listed per site and period (the hot store keeps them all)


def conflict_issues(store: HotStore, site_ids: Sequence[int], start: datetime, end: datetime) -> list[Issue]:
    """The conflicts kept for the sites' readings of any interval whose time is in [start, end), as data-quality
    issues: a value that was not stored because another was stored first under its key (issue 13)."""
    return [
        Issue(
            IssueKind.CONFLICT,
            c.parameter,
            c.time,
            c.time,
            f"{c.interval.value}: {c.value} ({c.source}, {c.received_at.isoformat()}) != kept {c.kept_value} "
            f"({c.kept_source}, {c.kept_received_at.isoformat()})",
            conflict=c,
        )
        for c in store.conflicts(site_ids, start, end, MAX_CONFLICTS)
    ]


def _site_completeness(parts: Sequence[Completeness], expected: int) -> Completeness:
    # A site with no value at all in the period still expected one series.
    return quality.pooled(parts) if parts else quality.rates(expected, 0, 0)


def latest_values(
    store: HotStore, root: Path, site_id: int, interval: Interval, until: datetime | None = None
) -> list[LatestValue]:
    """The latest stored value of each parameter of a site's `interval` data not dated after `until` (hot store,
    else the newest RECENT_PARTITIONS daily partitions); infinite values are skipped."""
    latest: dict[str, LatestValue] = {}
    files = _recent_files(root, [interval.value], until)
    if files:
        with closing(duckdb.connect()) as con:
            rows = con.execute(
                "SELECT parameter, epoch(time)::BIGINT, value, flag, source, epoch_ms(received_at) "
                "FROM read_parquet(?) WHERE site_id = ? "
                f"AND interval = ? AND {_PLAUSIBLE} AND time <= ? "
                f"QUALIFY row_number() OVER (PARTITION BY parameter ORDER BY time DESC, {STANDING_ORDER}) = 1",
                [[str(f) for f in files], site_id, interval.value, *_bounds(until)],
            ).fetchall()
        for parameter, seconds, value, flag, source, received in rows:
            latest[parameter] = LatestValue(
                parameter, interval.value, _instant(seconds), value, flag, source, _instant(received / 1000)
            )
    for hot in store.latest_readings(site_id, interval, until):
        assert hot.received_at is not None  # read back from the store
        known = latest.get(hot.parameter)
        if (
            known is None
            or hot.time > known.time
            or (
                hot.time == known.time  # one key in both tiers: the value that stands
                and standing_rank(hot.source, hot.received_at) < standing_rank(known.source, known.received_at)
            )
        ):
            latest[hot.parameter] = LatestValue(
                hot.parameter, interval.value, hot.time, hot.value, hot.flag, hot.source, hot.received_at
            )
    return [latest[p] for p in sorted(latest)]


# --- many sites ---------------------------------------------------------------------------------------------------


def site_statuses(
    store: HotStore, root: Path, devices_by_site: Mapping[int, Sequence[Device]], now: datetime
) -> dict[int, SiteStatus]:
    """Last seen, online and 24-hour completeness of many sites, with one grouped query per source (packets,
    hot readings, Parquet) whatever the number of sites."""
    site_ids = list(devices_by_site)
    if not site_ids:
        return {}
    periods = {site: period_for(now, devices) for site, devices in devices_by_site.items()}
    counts = _completeness_counts(store, root, periods)
    packets = _last_packets(store, [d.mn for devices in devices_by_site.values() for d in devices])
    readings = _latest_reading_times(store, root, site_ids, now)
    out = {}
    for site, devices in devices_by_site.items():
        period = periods[site]
        parts = [quality.rates(period.expected, r, v) for r, v in counts.get(site, {}).values()]
        device_seen = [_latest([packets.get(d.mn), d.last_seen_at]) for d in devices]
        last_seen = _latest([*device_seen, readings.get(site)])
        online = not quality.is_silent(last_seen, now, cadence(devices)[1])
        out[site] = SiteStatus(site, last_seen, online, _site_completeness(parts, period.expected))
    return out


def device_statuses(store: HotStore, devices: Sequence[Device], now: datetime) -> list[DeviceStatus]:
    """Each logger's last packet (any outcome) and whether it is online at its reporting interval."""
    packets = _last_packets(store, [d.mn for d in devices])
    out = []
    for d in devices:
        seen = _latest([packets.get(d.mn), d.last_seen_at])
        online = not quality.is_silent(seen, now, timedelta(minutes=d.interval_minutes))
        out.append(DeviceStatus(d.id, d.mn, d.interval_minutes, seen, online))
    return out


def _completeness_counts(
    store: HotStore, root: Path, periods: Mapping[int, Period]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per site and main parameter: (received, valid) values of the site's series inside its period."""
    start = min(p.start for p in periods.values())
    end = max(p.end for p in periods.values())
    intervals = sorted({p.interval for p in periods.values()})
    windows = pa.table(
        {
            "w_site": pa.array(list(periods), pa.int64()),
            "w_interval": pa.array([p.interval.value for p in periods.values()], pa.string()),
            "w_start": pa.array([p.start for p in periods.values()], pa.timestamp("s", tz="UTC")),
            "w_end": pa.array([p.end for p in periods.values()], pa.timestamp("s", tz="UTC")),
        }
    )
    sql = (
        "SELECT site_id, parameter, count(*), count(*) FILTER (WHERE value IS NOT NULL AND NOT "
        "list_contains(?, upper(coalesce(nullif(flag, ''), 'N')))) FROM deduped JOIN windows "
        "ON site_id = w_site AND interval = w_interval AND time >= w_start AND time < w_end "
        "WHERE NOT contains(parameter, '-') GROUP BY site_id, parameter"
    )
    counts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    with readings_view(store, root, list(periods), intervals, start, end) as con:
        con.register("windows", windows)
        for site, parameter, received, valid in con.execute(sql, [sorted(quality.INVALID_FLAGS)]).fetchall():
            counts[site][parameter] = (received, valid)
    return counts


# --- reading the store --------------------------------------------------------------------------------------------


def _period_rows(
    store: HotStore, root: Path, site_ids: Sequence[int], interval: Interval, start: datetime, end: datetime
) -> list[tuple[int, str, int, float | None, str | None]]:
    """(site, parameter, epoch seconds, value, flag) of the sites' main parameters in [start, end), by time."""
    with readings_view(store, root, site_ids, [interval], start, end) as con:
        rows: list[tuple[int, str, int, float | None, str | None]] = con.execute(
            "SELECT site_id, parameter, epoch(time)::BIGINT, value, flag FROM deduped "
            "WHERE NOT contains(parameter, '-') ORDER BY site_id, parameter, time"
        ).fetchall()
    return rows


@contextmanager
def readings_view(
    store: HotStore,
    root: Path,
    site_ids: Sequence[int],
    intervals: Collection[Interval],
    start: datetime,
    end: datetime,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection with the view `deduped`: the sites' readings of `intervals` in [start, end) from the
    period's Parquet partitions and the hot store, one row per key: the one that stands (`STANDING_ORDER`: the
    latest approved correction, else the first received; the hot row on a tie)."""
    hot = _hot_rows(store, site_ids, intervals, start, end)
    days = _days(start, end)
    files = [partition_path(root, i.value, d.isoformat()) for i in intervals for d in days]
    files = [f for f in files if f.exists()]
    with closing(duckdb.connect()) as con:
        con.register("hot", hot)
        con.register("sites", pa.table({"id": pa.array(list(site_ids), pa.int64())}))
        filter_sql = f"site_id IN (SELECT id FROM sites) AND time >= $start AND time < $end AND {_FINITE}"
        cold = "SELECT * FROM hot WHERE false"
        if files:
            cold = (
                "SELECT site_id, parameter, interval, time, value, flag, source, received_at, 0 AS tier "
                f"FROM read_parquet($files) WHERE {filter_sql}"
            )
        con.execute(
            "CREATE TEMP TABLE deduped AS SELECT site_id, parameter, interval, time, value, flag, source FROM "
            f"(SELECT * FROM hot UNION ALL {cold}) QUALIFY row_number() OVER "
            f"(PARTITION BY site_id, parameter, interval, time ORDER BY {STANDING_ORDER}, tier DESC) = 1",
            {"files": [str(f) for f in files], "start": start, "end": end} if files else None,
        )
        yield con


def _hot_rows(
    store: HotStore, site_ids: Sequence[int], intervals: Collection[Interval], start: datetime, end: datetime
) -> pa.Table:
    """The hot store's readings of the sites and intervals in [start, end) as Arrow (tier 1)."""
    hot = readable(store.site_readings(site_ids, [i.value for i in intervals], start, end))
    return hot.append_column("tier", pa.array([1] * hot.num_rows, pa.int32()))


def _latest_reading_times(store: HotStore, root: Path, site_ids: Sequence[int], now: datetime) -> dict[int, datetime]:
    """The time of each site's latest reading of any kind not dated after `now`: hot store, and the newest
    RECENT_PARTITIONS days."""
    latest = store.latest_times(site_ids, now)
    files = _recent_files(root, [i.value for i in Interval], now)
    if files:
        with closing(duckdb.connect()) as con:
            con.register("sites", pa.table({"id": pa.array(list(site_ids), pa.int64())}))
            rows = con.execute(
                "SELECT site_id, epoch(max(time))::BIGINT FROM read_parquet(?) "
                f"WHERE site_id IN (SELECT id FROM sites) AND {_PLAUSIBLE} AND time <= ? GROUP BY site_id",
                [[str(f) for f in files], *_bounds(now)],
            ).fetchall()
        for site, seconds in rows:
            latest[site] = max(latest.get(site, _instant(seconds)), _instant(seconds))
    return latest


def _recent_files(root: Path, intervals: Sequence[str], until: datetime | None = None) -> list[Path]:
    """The Parquet files of the newest RECENT_PARTITIONS dates of each interval, up to the UTC date of `until`
    (partitions of later dates, or whose name is not a date, are passed over)."""
    last = (until or datetime.now(UTC)).astimezone(UTC).date().isoformat()
    files: list[Path] = []
    for interval in intervals:
        found = sorted((root / f"interval={interval}").glob("date=*/part.parquet"), reverse=True)
        files += [f for f in found if _ISO_DATE.fullmatch(f.parent.name[5:]) and f.parent.name[5:] <= last][
            :RECENT_PARTITIONS
        ]
    return files


def _bounds(until: datetime | None) -> list[Any]:
    """The parameters of `_PLAUSIBLE` and `time <= ?`: the representable times, then `until` (or the last)."""
    first, last = _instant(REPRESENTABLE_FIRST), _instant(REPRESENTABLE_LAST)
    return [first, last, min(until, last) if until is not None else last]


def _last_packets(store: HotStore, mns: Sequence[str]) -> dict[str, datetime]:
    """The latest receive time of any packet per MN (from the store's per-device tally)."""
    return {
        mn: activity.last_seen
        for mn, activity in store.device_activity(sorted(set(mns))).items()
        if activity.last_seen is not None
    }


def _rejected(store: HotStore, mns: Sequence[str], start: datetime, end: datetime) -> dict[str, int]:
    """Rejected packets of the MNs received in [start, end) (whole hours), per reason."""
    counts: Counter[str] = Counter()
    for activity in store.device_activity(sorted(set(mns)), start, end).values():
        for (outcome, reason), packets in activity.packets.items():
            if outcome == "rejected":
                counts[reason or ""] += packets
    return dict(counts.most_common())


def _days(start: datetime, end: datetime) -> list[date]:
    """The UTC dates that [start, end) touches (Parquet partitions are by UTC date)."""
    first, last = start.astimezone(UTC).date(), (end - timedelta(microseconds=1)).astimezone(UTC).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _latest(moments: Sequence[datetime | None]) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None
