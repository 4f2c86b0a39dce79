"""Data quality of stored monitoring data: the rules of `quality.py` applied to a site, or to many sites at once.

Readings come from both tiers of the readings store (`readings/store.py`) read together by the analytics engine
of `ANALYTICS_URL` (`analytics/sites.py`: DuckDB or Spark): the Parquet partitions of the period's dates plus the
hot store's rows, filtered to the sites, interval and period and de-duplicated like `parquet.readings()` (one row
per key, the one that stands), then counted there before anything reaches Python. Hot rows and per-device packet
counts are read through the `HotStore` (SQLite or PostgreSQL), never from its files directly.

A site's figures are those of its data series at the cadence of its data loggers (`cadence`): hourly data for a
logger reporting every hour or more slowly, minute data for one reporting more often, daily data for one
reporting daily. Only main parameters count (`a34004`, not the statistics `a34004-Min`, `a34004-Zs` …).

Readings stored before the ways in refused implausible ones (issue 13) never stop these reads: infinite values
are left out of every view, and a reading dated after `now` neither counts as the site's last sign of life (a
packet dated 9999 would keep a logger "online" forever) nor shows as its latest value.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.monitoring import quality
from ecoloop.monitoring.models import Device
from ecoloop.monitoring.quality import Completeness, Issue, IssueKind, Point
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, ReadingSource, parse_source, standing_rank

DEFAULT_CADENCE_MINUTES = 60  # a site without a data logger (file or HTTP uploads) is taken as hourly
MAX_PERIOD = timedelta(days=31)
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
    stored: StoredReadings, site_id: int, devices: Sequence[Device], period: Period, now: datetime
) -> SiteQuality:
    """The data quality of a site's `period.interval` data over the period, its loggers' status and rejected
    packets (received during the period)."""
    store = stored.store
    with stored.backend() as con:
        readings = sites.period_readings(con, stored, [site_id], [period.interval], period.start, period.end)
        rows = sites.rows(con, sites.series_rows(readings))
        latest_reading = _latest_reading_times(con, stored, [site_id], now).get(site_id)
    series: dict[str, list[Point]] = defaultdict(list)
    for row in rows:
        series[row["parameter"]].append(Point(row["time"], row["value"], row["flag"]))
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
    last_seen = _latest([d.last_seen for d in devices_status] + [latest_reading])
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
    stored: StoredReadings, site_id: int, interval: Interval, until: datetime | None = None
) -> list[LatestValue]:
    """The latest stored value of each parameter of a site's `interval` data not dated after `until` (hot store,
    else the newest `sites.RECENT_PARTITIONS` daily partitions); infinite values are skipped."""
    latest: dict[str, LatestValue] = {}
    files = sites.recent_files(stored.root, [interval.value], until)
    if files:
        with stored.backend() as con:
            t = sites.recent_readings(con, files, until)
            t = t.filter((t.site_id == site_id) & (t.interval == interval.value))
            for row in sites.rows(con, sites.latest_per_parameter(t)):
                latest[row["parameter"]] = LatestValue(
                    row["parameter"],
                    interval.value,
                    row["time"],
                    row["value"],
                    row["flag"],
                    row["source"],
                    row["received_at"],
                )
    for hot in stored.store.latest_readings(site_id, interval, until):
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
    stored: StoredReadings, devices_by_site: Mapping[int, Sequence[Device]], now: datetime
) -> dict[int, SiteStatus]:
    """Last seen, online and 24-hour completeness of many sites, with one grouped query per source (packets,
    hot readings, Parquet) whatever the number of sites."""
    site_ids = list(devices_by_site)
    if not site_ids:
        return {}
    periods = {site: period_for(now, devices) for site, devices in devices_by_site.items()}
    with stored.backend() as con:
        counts = _completeness_counts(con, stored, periods)
        readings = _latest_reading_times(con, stored, site_ids, now)
    packets = _last_packets(stored.store, [d.mn for devices in devices_by_site.values() for d in devices])
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
    con: Any, stored: StoredReadings, periods: Mapping[int, Period]
) -> dict[int, dict[str, tuple[int, int]]]:
    """Per site and main parameter: (received, valid) values of the site's series inside its period."""
    start = min(p.start for p in periods.values())
    end = max(p.end for p in periods.values())
    intervals = sorted({p.interval for p in periods.values()})
    readings = sites.period_readings(con, stored, list(periods), intervals, start, end)
    windows = sites.windows_table([(site, p.interval, p.start, p.end) for site, p in periods.items()])
    counts: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in sites.rows(con, sites.completeness_counts(readings, windows, quality.INVALID_FLAGS)):
        counts[row["site_id"]][row["parameter"]] = (row["received"], row["valid"])
    return counts


# --- reading the store --------------------------------------------------------------------------------------------


def _latest_reading_times(
    con: Any, stored: StoredReadings, site_ids: Sequence[int], now: datetime
) -> dict[int, datetime]:
    """The time of each site's latest reading of any kind not dated after `now`: hot store, and the newest
    `sites.RECENT_PARTITIONS` days."""
    latest = stored.store.latest_times(site_ids, now)
    files = sites.recent_files(stored.root, [i.value for i in Interval], now)
    if files:
        recent = sites.recent_readings(con, files, now)
        for row in sites.rows(con, sites.latest_time_per_site(recent, site_ids)):
            site, moment = row["site_id"], row["time"]
            latest[site] = max(latest.get(site, moment), moment)
    return latest


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


def _latest(moments: Sequence[datetime | None]) -> datetime | None:
    known = [m for m in moments if m is not None]
    return max(known) if known else None
