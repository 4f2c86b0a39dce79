"""The alert engine's memory of recent data: per site, interval and parameter, the values of the last days by
time, and when the site's data last arrived. Rules look back at most a day or two (a daily mean, 24 hours of
flags, a few previous hours), so the engine keeps that much and evaluates without querying the stores."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ecoloop.ingest.store import Reading

Value = tuple[float | None, str | None]  # value, device flag
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    """One stored value of a parameter."""

    time: datetime
    value: float | None
    flag: str | None


class Window:
    """Recent readings by site → interval → parameter → epoch second, kept for `keep` behind the newest data."""

    def __init__(self, keep: timedelta = timedelta(hours=50)) -> None:
        self.keep = keep
        self._data: dict[int, dict[str, dict[str, dict[int, Value]]]] = {}
        self.last_received: dict[int, datetime] = {}
        self.newest = _EPOCH

    def add(self, readings: Iterable[Reading], received_at: datetime | None = None) -> None:
        """Remember readings (a later one under the same key replaces the earlier, as in the stores)."""
        for r in readings:
            by_param = self._data.setdefault(r.site_id, {}).setdefault(r.interval.value, {})
            by_param.setdefault(r.parameter, {})[int(r.time.timestamp())] = (r.value, r.flag)
            if r.time > self.newest:
                self.newest = r.time
            if received_at is not None and received_at > self.last_received.get(r.site_id, _EPOCH):
                self.last_received[r.site_id] = received_at

    def seen(self, site_id: int, received_at: datetime) -> None:
        """Note that the site's data arrived at `received_at` (without readings, e.g. seeded from the tally)."""
        if received_at > self.last_received.get(site_id, _EPOCH):
            self.last_received[site_id] = received_at

    def at(self, site_id: int, interval: str, time: datetime) -> dict[str, Value]:
        """The site's values of `interval` at `time`, by parameter."""
        ts = int(time.timestamp())
        found: dict[str, Value] = {}
        for parameter, values in self._data.get(site_id, {}).get(interval, {}).items():
            value = values.get(ts)
            if value is not None:
                found[parameter] = value
        return found

    def series(self, site_id: int, interval: str, parameter: str, start: datetime, end: datetime) -> list[Sample]:
        """The parameter's samples with `start` <= time < `end`, oldest first."""
        values = self._data.get(site_id, {}).get(interval, {}).get(parameter, {})
        lo, hi = int(start.timestamp()), int(end.timestamp())
        return [
            Sample(datetime.fromtimestamp(ts, UTC), value, flag)
            for ts, (value, flag) in sorted(values.items())
            if lo <= ts < hi
        ]

    def parameters(self, site_id: int, interval: str) -> list[str]:
        """The parameters the site has values of in `interval`."""
        return sorted(self._data.get(site_id, {}).get(interval, {}))

    def sites(self) -> Iterator[int]:
        return iter(self._data)

    def prune(self) -> None:
        """Forget values older than `keep` before the newest data time."""
        cutoff = int((self.newest - self.keep).timestamp())
        for intervals in self._data.values():
            for by_param in intervals.values():
                for values in by_param.values():
                    for ts in [ts for ts in values if ts < cutoff]:
                        del values[ts]
