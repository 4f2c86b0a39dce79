"""The alert engine's memory of recent data: per site, interval and parameter, the values of the last days by
time, and when the site's data last arrived. Rules look back at most a day or two (a daily mean, 24 hours of
flags, a few previous hours), so the engine keeps that much and evaluates without querying the stores.

Every arriving site is judged by several rules, each reading the window a few times, so lookups are cheap: the
values at one time are one dictionary lookup (`samples_at`), a parameter's values over a span two binary
searches and a slice (`series`, on sorted times with the samples beside them). A sample is a plain tuple of
atoms (`Sample`): Python's garbage collector stops tracking those, where it would traverse hundreds of thousands
of objects (a named tuple or a dataclass each) again and again, a third of the engine's time.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from ecoloop.monitoring.quality import Point, is_valid
from ecoloop.readings.vocabulary import Reading

Value = tuple[float | None, str | None]  # value, device flag
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEVER = -(2**62)  # epoch seconds before any data
_USUAL: frozenset[str | None] = frozenset({None, "", "N", "n"})


def unusual(flag: str | None) -> bool:
    """A flag other than none or N (normal): the samples `Window.flagged` returns."""
    return flag not in _USUAL


@functools.lru_cache(maxsize=256)
def _valid_flag(flag: str | None) -> bool:
    return is_valid(Point(_EPOCH, 0.0, flag))


Sample = tuple[datetime, float | None, str | None, bool]
"""One stored value of a parameter: (time, value, flag, valid), `valid` as `monitoring.quality.is_valid` says (a
value, not flagged invalid); made by `sample`."""


def sample(time: datetime, value: float | None, flag: str | None) -> Sample:
    """A sample of `value` with `flag` at `time`."""
    return (time, value, flag, value is not None and _valid_flag(flag))


@dataclass
class _Series:
    """One parameter's samples in time order, beside their times (epoch seconds) for binary searches."""

    times: list[int] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    flagged: list[int] = field(default_factory=list)  # the times of the samples with an `unusual` flag, sorted

    def put(self, ts: int, new: Sample, replaces: Sample | None) -> None:
        """Add the sample at `ts`, or replace `replaces`, the one there."""
        times = self.times
        if replaces is None and (not times or ts > times[-1]):
            times.append(ts)  # the usual case: data arrives in time order
            self.samples.append(new)
        else:
            i = bisect_left(times, ts)
            if replaces is None:
                times.insert(i, ts)
                self.samples.insert(i, new)
            else:
                self.samples[i] = new
                if replaces[2] not in _USUAL:
                    self.flagged.remove(ts)
        if new[2] not in _USUAL:
            self.flagged.insert(bisect_left(self.flagged, ts), ts)

    def between(self, lo: int, hi: int) -> list[Sample]:
        """The samples with lo <= time < hi (epoch seconds)."""
        times = self.times
        first = bisect_left(times, lo)
        return self.samples[first : bisect_left(times, hi, first)]

    def forget(self, cutoff: int) -> list[int]:
        """Drop the samples before `cutoff`; their times."""
        old = bisect_left(self.times, cutoff)
        gone = self.times[:old]
        del self.times[:old]
        del self.samples[:old]
        del self.flagged[: bisect_left(self.flagged, cutoff)]
        return gone


@dataclass
class _Values:
    """One site's values of one interval: by parameter (series) and by time (the samples of every parameter)."""

    series: dict[str, _Series] = field(default_factory=dict)
    by_time: dict[int, dict[str, Sample]] = field(default_factory=dict)
    valid: dict[tuple[int, Hashable], dict[str, float]] = field(default_factory=dict)  # `valid_values`, kept
    late: bool = False  # holds data older than the window's cutoff, added since the last prune (see `add`)

    def forget(self, cutoff: int) -> None:
        """Drop the samples before `cutoff`."""
        for series in self.series.values():
            if series.times and series.times[0] < cutoff:
                for ts in series.forget(cutoff):
                    self.by_time.pop(ts, None)  # every time in `by_time` has a sample in some series
        self.valid.clear()


class Window:
    """Recent readings by site → interval → parameter → time, kept for `keep` behind the newest data."""

    def __init__(self, keep: timedelta = timedelta(hours=50)) -> None:
        self.keep = keep
        self._data: dict[tuple[int, str], _Values] = {}
        self.last_received: dict[int, datetime] = {}
        self.newest = _EPOCH
        # Values before `_cutoff` (epoch seconds, set by `prune`) are forgotten: lookups skip them at once, and
        # they are deleted in bulk once the cutoff has moved by a tenth of `keep` (every poll prunes).
        self._cutoff = _NEVER
        self._deleted_to = _NEVER
        self._late: list[_Values] = []

    def add(self, readings: Iterable[Reading], received_at: datetime | None = None) -> None:
        """Remember readings (a later one under the same key replaces the earlier, as in the stores)."""
        group: tuple[int, str, datetime] | None = None  # readings come grouped by site, interval and time
        values, at, ts, moment = _Values(), {}, 0, _EPOCH
        for r in readings:
            if (r.site_id, r.interval.value, r.time) != group:
                group = (r.site_id, r.interval.value, r.time)
                known = self._data.get(group[:2])
                values = self._data[group[:2]] = _Values() if known is None else known
                ts = int(r.time.timestamp())
                if ts < self._cutoff and not values.late:
                    # Data older than the cutoff is seen until the next prune, as if pruning deleted it only
                    # then: the site's forgotten data is deleted now and its lookups skip no more.
                    values.forget(self._cutoff)
                    values.late = True
                    self._late.append(values)
                moment = datetime.fromtimestamp(ts, UTC)
                at = values.by_time.setdefault(ts, {})
                values.valid.clear()
                if r.time > self.newest:
                    self.newest = r.time
            series = values.series.get(r.parameter)
            if series is None:
                series = values.series[r.parameter] = _Series()
            new = sample(moment, r.value, r.flag)
            series.put(ts, new, at.get(r.parameter))
            at[r.parameter] = new
            if received_at is not None and received_at > self.last_received.get(r.site_id, _EPOCH):
                self.last_received[r.site_id] = received_at

    def seen(self, site_id: int, received_at: datetime) -> None:
        """Note that the site's data arrived at `received_at` (without readings, e.g. seeded from the tally)."""
        if received_at > self.last_received.get(site_id, _EPOCH):
            self.last_received[site_id] = received_at

    def at(self, site_id: int, interval: str, time: datetime) -> dict[str, Value]:
        """The site's values of `interval` at `time`, by parameter."""
        return {p: (value, flag) for p, (_, value, flag, _) in self.samples_at(site_id, interval, time).items()}

    def samples_at(self, site_id: int, interval: str, time: datetime) -> Mapping[str, Sample]:
        """The site's samples of `interval` at `time`, by parameter (the window's own mapping: read only)."""
        values = self._data.get((site_id, interval))
        ts = int(time.timestamp())
        if values is None or ts < self._floor(values):
            return {}
        return values.by_time.get(ts, {})

    def valid_values(
        self, site_id: int, interval: str, time: datetime, parameters: frozenset[str] | tuple[str, ...]
    ) -> Mapping[str, float] | None:
        """The valid values (of valid samples) of `parameters` at `time` by parameter, or None when the site has no
        data of `interval` then. Kept until the site's data changes, as the rules of station groups (hotspots,
        area AQIs) read every station's values at each poll (read only)."""
        return self.valid_values_of([site_id], interval, time, parameters)[site_id]

    def valid_values_of(
        self, site_ids: Iterable[int], interval: str, time: datetime, parameters: frozenset[str] | tuple[str, ...]
    ) -> dict[int, Mapping[str, float] | None]:
        """`valid_values` of several sites, by site."""
        ts = int(time.timestamp())
        key = (ts, parameters)
        found: dict[int, Mapping[str, float] | None] = {}
        for site_id in site_ids:
            values = self._data.get((site_id, interval))
            if values is None or ts < (_NEVER if values.late else self._cutoff):
                found[site_id] = None
                continue
            valid = values.valid.get(key)
            if valid is None:
                at = values.by_time.get(ts)
                if at:
                    valid = values.valid[key] = {
                        p: value for p, (_, value, _, ok) in at.items() if p in parameters and ok and value is not None
                    }
            found[site_id] = valid
        return found

    def series(self, site_id: int, interval: str, parameter: str, start: datetime, end: datetime) -> list[Sample]:
        """The parameter's samples with `start` <= time < `end`, oldest first."""
        values = self._data.get((site_id, interval))
        series = None if values is None else values.series.get(parameter)
        if values is None or series is None:
            return []
        return series.between(max(int(start.timestamp()), self._floor(values)), int(end.timestamp()))

    def flagged(self, site_id: int, interval: str, parameter: str, start: datetime, end: datetime) -> list[Sample]:
        """The parameter's samples with an `unusual` flag and `start` <= time < `end`, oldest first."""
        values = self._data.get((site_id, interval))
        series = None if values is None else values.series.get(parameter)
        if values is None or series is None or not series.flagged:
            return []
        flagged = series.flagged
        lo = bisect_left(flagged, max(int(start.timestamp()), self._floor(values)))
        hi = bisect_left(flagged, int(end.timestamp()), lo)
        return [values.by_time[ts][parameter] for ts in flagged[lo:hi]]

    def parameters(self, site_id: int, interval: str) -> list[str]:
        """The parameters the site has values of in `interval`."""
        values = self._data.get((site_id, interval))
        if values is None:
            return []
        floor = self._floor(values)
        return sorted(p for p, s in values.series.items() if s.times and s.times[-1] >= floor)

    def sites(self) -> Iterator[int]:
        return iter(dict.fromkeys(site for site, _ in self._data))

    def prune(self) -> None:
        """Forget values older than `keep` before the newest data time."""
        cutoff = max(self._cutoff, int((self.newest - self.keep).timestamp()))
        for values in self._late:
            values.forget(cutoff)
            values.late = False
        self._late.clear()
        if cutoff == self._cutoff:
            return
        self._cutoff = cutoff
        if cutoff - self._deleted_to < self.keep.total_seconds() / 10:
            return
        self._deleted_to = cutoff
        for values in self._data.values():
            values.forget(cutoff)

    def _floor(self, values: _Values) -> int:
        """The oldest time of `values` that lookups see: the cutoff, unless it holds late data (all of it)."""
        return _NEVER if values.late else self._cutoff
