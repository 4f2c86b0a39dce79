"""The alert engine (`ecoloop alerts run`): rules evaluated on arriving data and on a schedule.

Arriving data: every group commit of the hot store queues one arrival per (site, interval, time) of hourly and
daily readings (`HotStore.write_rows`). The engine polls that queue, reads the arrived readings by key into its
window of recent data, evaluates the rules that concern each arrival (a site's own rules; for air stations
also the hotspots of the station and its neighbours, and the AQIs of its areas), applies the evaluations to the
alerts in one transaction, and only then removes the arrivals from the queue: a crash in between evaluates them
again, which changes nothing (`lifecycle.decide`). On a schedule (`sweep`): silent devices, the past day's daily
permit limits, the cases that closed (反馈), and reloading rules, sites and permit limits when they changed.

One engine runs per data directory (a lock file, as the scheduler).
"""

from __future__ import annotations

import gc
import logging
import threading
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.alerts import evaluate as ev
from ecoloop.alerts import rule_service, service
from ecoloop.alerts.evaluate import Evaluation, RuleSpec, SiteInfo
from ecoloop.alerts.rules import RuleKind
from ecoloop.alerts.window import Window
from ecoloop.analytics import sites
from ecoloop.analytics.sites import StoredReadings
from ecoloop.audit.service import Actor, set_actor
from ecoloop.enterprises.queries import limit_specs_by_site
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.scheduler.runner import exclusive
from ecoloop.standards.emission import LimitSpec
from ecoloop.standards.water import WaterGrade

log = logging.getLogger(__name__)
ENGINE = Actor(label="alerts")
# Rules read back at most a day (daily means, 24 h of flags) plus a few hours; keep a little more.
WINDOW = timedelta(hours=50)
# Data dated further ahead of the engine's clock than this is not evaluated (it was stored before the ways in
# refused implausible times): one reading dated 9999 would make the window forget every other site's data.
AHEAD = timedelta(hours=1)
SITE_RULES = frozenset(
    {
        RuleKind.SOURCE_EXCEEDANCE,
        RuleKind.DEVICE_HIDDEN_EXCEEDANCE,
        RuleKind.AIR_SUDDEN_RISE,
        RuleKind.DEVICE_FLAT_LINE,
        RuleKind.DEVICE_IDENTICAL_VALUES,
        RuleKind.WATER_BELOW_TARGET,
        RuleKind.AQI_LEVEL,
        RuleKind.DEVICE_SILENT,
        RuleKind.NOISE_EXCEEDANCE,
    }
)
# The engine's process allocates tens of thousands of short-lived objects per poll (readings, evaluations,
# findings). With CPython's default first threshold, 700, the collector runs a young collection every few hundred
# of them, moves what the poll still holds into the old generation and so sets off a full collection of the
# whole process every few hours of data: a quarter of the engine's time (bench/alerts.py). 10,000 keeps young
# collections rare; `run` sets it for its process.
GC_THRESHOLDS: Final = (10_000, 10, 10)
# The site kinds a site rule can judge (its evaluation function returns None for the others); other kinds: any.
_KINDS_JUDGED = {
    RuleKind.SOURCE_EXCEEDANCE: ev.SOURCE_KINDS,
    RuleKind.DEVICE_HIDDEN_EXCEEDANCE: ev.SOURCE_KINDS,
    RuleKind.AIR_SUDDEN_RISE: ev.AIR_STATION_KINDS,
    RuleKind.WATER_BELOW_TARGET: frozenset({SiteKind.WATER_STATION}),
    RuleKind.AQI_LEVEL: ev.AIR_STATION_KINDS,
    RuleKind.NOISE_EXCEEDANCE: frozenset({SiteKind.NOISE}),
}


@dataclass
class PollResult:
    """What one poll did: arrivals handled, readings read, evaluations made, and what they did to alerts."""

    arrivals: int = 0
    readings: int = 0
    evaluations: int = 0
    applied: service.Applied = field(default_factory=service.Applied)


class AlertEngine:
    """Evaluates the rules on arriving data and on a schedule; see the module docstring."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        readings: StoredReadings,
        zone: tzinfo,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.sessions = sessions
        self.readings = readings
        self.zone = zone
        self.clock = clock or (lambda: datetime.now(UTC))
        self.window = Window(WINDOW)
        self.rules: list[RuleSpec] = []
        self.sites: dict[int, SiteInfo] = {}
        self.devices: dict[int, list[str]] = {}
        self.limits: dict[int, list[LimitSpec]] = {}
        self.near: dict[int, dict[int, tuple[int, ...]]] = {}  # hotspot rule → station → neighbours
        self.site_rules: dict[int, list[RuleSpec]] = {}  # site → the site rules that cover it and can judge it
        self.area_stations: dict[tuple[str, int], list[SiteInfo]] = {}  # (level, area) → its air stations
        self._neighbours: dict[
            tuple[float, tuple[tuple[int, float | None, float | None], ...]], dict[int, tuple[int, ...]]
        ] = {}
        self.started = self.clock()
        self._stamp: tuple[int, str] | None = None
        self._limits_day: date | None = None
        self._judged_days: set[tuple[int, date]] = set()

    # --- loading ---------------------------------------------------------------------------------------------

    @property
    def store(self) -> HotStore:
        """The hot store the engine reads arrivals, packets and readings from."""
        return self.readings.store

    def load(self, now: datetime | None = None) -> None:
        """(Re)load rules, sites with their areas and devices, and today's permit limits."""
        now = now or self.clock()
        with self.sessions() as session:
            self._stamp = rule_service.rules_stamp(session)
            self.rules = rule_service.rule_specs(session)
            self.sites = _site_infos(session)
            self.devices = {}
            for mn, site_id in session.execute(select(Device.mn, Device.site_id).where(Device.active)):
                self.devices.setdefault(site_id, []).append(mn)
            self._limits_day = now.astimezone(self.zone).date()
            self.limits = limit_specs_by_site(session, self._limits_day)
        self.prepare()

    def prepare(self) -> None:
        """Derive from the loaded rules and sites what evaluation looks up: each site's rules, each hotspot
        rule's neighbours and each area's stations."""
        stations = [s for s in self.sites.values() if s.kind is SiteKind.AIR_STATION]
        self.near = {}
        places = tuple((s.id, s.lon, s.lat) for s in stations)
        cache, self._neighbours = self._neighbours, {}  # kept while the stations and radii stay the same
        for rule in self.rules:
            if rule.kind is RuleKind.AIR_HOTSPOT and rule.options.get("area_level"):
                self.near[rule.id] = ev.area_neighbours(stations, rule.options["area_level"])
            elif rule.kind is RuleKind.AIR_HOTSPOT:
                radius = rule.thresholds.radius_km  # type: ignore[union-attr]  # hotspot thresholds
                near = cache.get((radius, places)) or ev.neighbours(stations, radius)
                self.near[rule.id] = self._neighbours[(radius, places)] = near
        self.site_rules = {
            site.id: [
                rule
                for rule in self.rules
                if rule.kind in SITE_RULES
                and rule.covers(site)
                and site.kind in _KINDS_JUDGED.get(rule.kind, (site.kind,))
            ]
            for site in self.sites.values()
        }
        self.area_stations = {}
        for station in stations:
            for level, area in (station.areas or {}).items():
                self.area_stations.setdefault((level, area), []).append(station)

    def seed(self, now: datetime | None = None) -> int:
        """Fill the window with the last WINDOW of hourly readings from Parquet and the hot store, and the sites'
        last packet times from the store's tally; how many readings."""
        now = now or self.clock()
        site_ids = sorted(self.sites)
        if not site_ids:
            return 0
        with self.readings.backend() as con:
            window = sites.period_readings(con, self.readings, site_ids, [Interval.HOUR], now - WINDOW, now + AHEAD)
            rows = sites.rows(con, window.select("site_id", "parameter", "time", "value", "flag"))
        self.window.add(
            Reading(r["site_id"], r["parameter"], Interval.HOUR, r["time"], r["value"], r["flag"]) for r in rows
        )
        mns = {mn: site for site, names in self.devices.items() for mn in names}
        for mn, activity in self.store.device_activity(sorted(mns)).items():
            if activity.last_seen is not None:
                self.window.seen(mns[mn], activity.last_seen)
        return len(rows)

    def start(self, now: datetime | None = None) -> None:
        """Built-in rules ensured, everything loaded, the window seeded."""
        now = now or self.clock()
        with self.sessions.begin() as session:
            set_actor(session, ENGINE)
            rule_service.ensure_builtin_rules(session, now)
        self.load(now)
        self.seed(now)

    # --- arriving data ---------------------------------------------------------------------------------------

    def poll(self, now: datetime | None = None, limit: int = 20_000) -> PollResult:
        """Handle the queued arrivals (at most `limit`); see the module docstring."""
        arrivals = self.store.arrivals(limit)
        result = PollResult(arrivals=len(arrivals))
        if not arrivals:
            return result
        now = now or self.clock()
        groups: dict[tuple[Interval, datetime], set[int]] = {}
        received: dict[tuple[int | None, datetime], datetime] = {}
        for a in arrivals:
            if a.time > now + AHEAD:
                continue  # consumed below without evaluation
            groups.setdefault((a.interval, a.time), set()).add(a.site_id)
            key = (a.site_id, a.time)
            received[key] = max(received.get(key, a.received_at), a.received_at)
        for (interval, moment), site_ids in groups.items():
            readings = self.store.readings_at(interval, moment, sorted(site_ids))
            result.readings += len(readings)
            self.window.add(readings)
        for a in arrivals:
            self.window.seen(a.site_id, a.received_at)
        evaluations = self.evaluate_arrivals(groups, now)
        result.evaluations = len(evaluations)
        with self.sessions.begin() as session:
            set_actor(session, ENGINE)
            result.applied = service.apply(session, evaluations, now, self.zone, received)
        self.store.consume_arrivals([a.seq for a in arrivals])
        self.window.prune()
        return result

    def evaluate_arrivals(self, groups: dict[tuple[Interval, datetime], set[int]], now: datetime) -> list[Evaluation]:
        """The evaluations the arrived data calls for, in data-time order."""
        evaluations: list[Evaluation] = []
        for (interval, moment), site_ids in sorted(groups.items(), key=lambda item: item[0][1]):
            if interval is not Interval.HOUR:
                continue  # daily limits are judged from the hours; other rules read hourly data
            stations: list[SiteInfo] = []
            for site_id in sorted(site_ids):
                site = self.sites.get(site_id)
                if site is None:
                    continue
                if site.kind is SiteKind.AIR_STATION:
                    stations.append(site)
                evaluations += self._site_evaluations(site, moment, now)
            if stations:
                evaluations += self._station_group_evaluations(stations, moment)
        return evaluations

    def _station_group_evaluations(self, arrived: list[SiteInfo], moment: datetime) -> list[Evaluation]:
        """The rules that judge air stations together: hotspots of the arrived stations and of their neighbours
        (whose neighbours' median changed), and the AQIs of the areas they lie in. The other stations' judgements
        at `moment` stand as they were made when their data or their neighbours' arrived."""
        evaluations: list[Evaluation] = []
        for rule in self.rules:
            if rule.kind is RuleKind.AIR_HOTSPOT:
                near = self.near.get(rule.id, {})
                judged = {s.id for s in arrived}
                for station in arrived:
                    judged.update(near.get(station.id, ()))
                evaluations += ev.hotspots(rule, self.sites, near, self.window, moment, judged)
            elif rule.kind is RuleKind.AQI_LEVEL and (level := rule.options.get("area_level")):
                areas = sorted({area for s in arrived if (area := (s.areas or {}).get(level)) is not None})
                members = [m for area in areas for m in self.area_stations.get((level, area), [])]
                evaluations += ev.area_aqi(rule, members, self.window, moment)
        return evaluations

    def _site_evaluations(self, site: SiteInfo, moment: datetime, now: datetime) -> list[Evaluation]:
        found: list[Evaluation | None] = []
        limits = self.limits.get(site.id, [])
        local = moment.astimezone(self.zone)
        for rule in self.site_rules.get(site.id, ()):
            if rule.kind in (RuleKind.SOURCE_EXCEEDANCE, RuleKind.DEVICE_HIDDEN_EXCEEDANCE):
                found.append(ev.source_hour(rule, site, self.window, moment, limits, self.zone))
                if rule.kind is RuleKind.SOURCE_EXCEEDANCE and local.hour == 23:
                    found.append(self._day(rule, site, local.date()))
            elif rule.kind is RuleKind.AIR_SUDDEN_RISE:
                found.append(ev.sudden_rise(rule, site, self.window, moment))
            elif rule.kind is RuleKind.DEVICE_FLAT_LINE:
                found.append(ev.flat_line(rule, site, self.window, moment))
            elif rule.kind is RuleKind.DEVICE_IDENTICAL_VALUES:
                found.append(ev.identical(rule, site, self.window, moment))
            elif rule.kind is RuleKind.WATER_BELOW_TARGET:
                found.append(ev.water(rule, site, self.window, moment))
            elif rule.kind is RuleKind.AQI_LEVEL:
                found.append(ev.station_aqi(rule, site, self.window, moment))
            elif rule.kind is RuleKind.NOISE_EXCEEDANCE:
                found.append(ev.noise(rule, site, self.window, moment, self.zone))
            elif rule.kind is RuleKind.DEVICE_SILENT:
                # data arrived: the logger is not silent (clears an open silence alert at once)
                found.append(ev.silence(rule, site, self.window.last_received.get(site.id), now, self.started))
        return [e for e in found if e is not None]

    def _day(self, rule: RuleSpec, site: SiteInfo, day: date) -> Evaluation | None:
        self._judged_days.add((site.id, day))
        start = datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return ev.source_day(rule, site, self.window, start, self.limits.get(site.id, []), self.zone)

    # --- schedule --------------------------------------------------------------------------------------------

    def sweep(self, now: datetime | None = None) -> service.Applied:
        """Silence, yesterday's daily limits where not yet judged, case feedback, reloads; one transaction."""
        now = now or self.clock()
        with self.sessions() as session:
            stamp = rule_service.rules_stamp(session)
        if stamp != self._stamp or now.astimezone(self.zone).date() != self._limits_day:
            self.load(now)
        mns = {mn: site for site, names in self.devices.items() for mn in names}
        last_packet: dict[int, datetime] = {}
        for mn, activity in self.store.device_activity(sorted(mns)).items():
            if activity.last_seen is not None:
                owner = mns[mn]
                last_packet[owner] = max(last_packet.get(owner, activity.last_seen), activity.last_seen)
        evaluations: list[Evaluation] = []
        yesterday = now.astimezone(self.zone).date() - timedelta(days=1)
        received = self.window.last_received
        for rule in self.rules:
            if rule.kind is RuleKind.DEVICE_SILENT:
                for site in self.sites.values():
                    if site.id in self.devices and rule.covers(site):
                        seen = received.get(site.id)
                        packet = last_packet.get(site.id)
                        if seen is None or (packet is not None and packet > seen):
                            seen = packet
                        # A logger not heard from since the engine started watching is silent only after its
                        # allowed intervals from then: a restart (or the demo's first seconds) raises nothing.
                        evaluations.append(ev.silence(rule, site, seen or self.started, now, self.started))
            elif rule.kind is RuleKind.SOURCE_EXCEEDANCE:
                for site in self.sites.values():
                    if site.id in self.limits and (site.id, yesterday) not in self._judged_days and rule.covers(site):
                        day = self._day(rule, site, yesterday)
                        if day is not None:
                            evaluations.append(day)
        self._judged_days = {(s, d) for s, d in self._judged_days if d >= yesterday}
        with self.sessions.begin() as session:
            set_actor(session, ENGINE)
            applied = service.apply(session, evaluations, now, self.zone)
            service.feed_back(session, now)
        return applied

    def run(
        self,
        stop: threading.Event,
        lock: Path,
        poll_every: float = 1.0,
        sweep_every: float = 60.0,
        locked: Callable[[], object] | None = None,
    ) -> None:
        """Poll and sweep until `stop` is set, holding `lock` (one engine per data directory); `locked` is called
        once the lock is held (the command starts the webhook sender there, so a second engine sends nothing)."""
        with exclusive(lock):
            if locked is not None:
                locked()
            gc.set_threshold(*GC_THRESHOLDS)
            self.start()
            next_sweep = 0.0
            while not stop.is_set():
                try:
                    result = self.poll()
                    if time_module.monotonic() >= next_sweep:
                        self.sweep()
                        next_sweep = time_module.monotonic() + sweep_every
                except Exception:  # keep running: the arrivals stay queued and are evaluated next time
                    log.exception("alert engine step failed")
                    result = PollResult()
                if result.arrivals == 0:
                    stop.wait(poll_every)


def _site_infos(session: Session) -> dict[int, SiteInfo]:
    regions = {r.id: r for r in session.scalars(select(Region))}
    by_path = {r.path: r for r in regions.values()}
    interval: dict[int, int] = {}
    for site_id, minutes in session.execute(select(Device.site_id, Device.interval_minutes).where(Device.active)):
        interval[site_id] = min(interval.get(site_id, minutes), minutes)
    infos = {}
    for site in session.scalars(select(Site).where(Site.active)):
        region = regions[site.region_id]
        areas = {}
        for level in (RegionLevel.TOWN, RegionLevel.COUNTY):
            area = next((r for p, r in by_path.items() if region.path.startswith(p) and r.level is level), None)
            if area is not None:
                areas[level.value] = area.id
        target = None
        if site.water_target:
            try:
                target = WaterGrade(site.water_target)
            except ValueError:
                log.warning("site %s has an unknown water target %r", site.code, site.water_target)
        infos[site.id] = SiteInfo(
            id=site.id,
            kind=site.kind,
            region_id=site.region_id,
            region_path=region.path,
            enterprise_id=site.enterprise_id,
            lon=None if site.longitude is None else float(site.longitude),
            lat=None if site.latitude is None else float(site.latitude),
            water_target=target,
            interval=timedelta(minutes=interval.get(site.id, 60)),
            areas=areas,
            noise_zone=site.noise_zone,
        )
    return infos
