"""Benchmark of the alert engine (issue 7): sites sending hourly data with planted events, against a naive
per-arrival engine.

A throw-away data directory holds a migrated SQLite database with a small city (two counties, six towns, the
bureau, two branches, an analyst, a webhook) and 2,000 sites, each with a data logger reporting hourly:
1,000 flue-gas outlets (permits with hourly SO2, NOx and dust limits at 6 % reference O2), 700 air stations
on a 4 km grid (every station has 7-20 neighbours within the hotspot radius) and 300 water stations with a
target class (II or III). Thirty days of hourly data with quiet noise (inside the limits, close to the
neighbours, inside the target class; no value repeats its predecessor, no three parameters share a value) go
into the hot store hour by hour, each hour in several group commits (sites' packets arrive 1-10 minutes after
the hour); the engine polls after every commit and sweeps once a simulated hour (silence). Planted, spaced more
than a reopen window apart per site: source exceedances (a few hours above the limit at the reference O2),
air hotspots (PM2.5 well above the neighbours' values), silences (a logger sending nothing for 4-12 hours) and
water samples below the target class.

Every built-in rule is enabled (`--only-planted` disables the kinds not planted): the others must stay silent,
since every RAISED or REOPENED event counts against precision unless it matches a planted episode (same kind,
site, data time inside the episode). Alert delay: wall time from the commit holding a reading to the end of the
poll that raised its alert (the production loop adds up to its poll interval, 1 s, when idle).

The naive baseline, on a copy of the database and the same hot store, handles a sample of arrivals one by one:
for each rule, query the hot store for the data that rule looks at (the site's look-back, the neighbours' hour,
the area's stations), judge it with the same evaluation functions on a fresh window, and apply each evaluation
in a transaction of its own. Its time per arrival is extrapolated to all arrivals; the ratio is to the engine's
polls (the judgements being the same functions, it measures the window, the batching and the one transaction).

Run: `uv run python bench/alerts.py [--sites 2000] [--days 30] [--commits-per-hour 10]`; a quick run:
`uv run python bench/alerts.py --sites 200 --days 5`. The last line is JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ecoloop.alerts import rule_service, service
from ecoloop.alerts.engine import GC_THRESHOLDS, AlertEngine
from ecoloop.alerts.enums import AlertEventKind
from ecoloop.alerts.models import Alert, AlertEvent, AlertRule, Notification, Webhook, WebhookDelivery
from ecoloop.alerts.rules import RuleKind
from ecoloop.alerts.window import Window
from ecoloop.analytics.backends import reading
from ecoloop.analytics.sites import StoredReadings
from ecoloop.audit.service import Actor, set_actor
from ecoloop.cases.models import Case
from ecoloop.db.engine import make_engine, make_session_factory
from ecoloop.db.migrate import upgrade
from ecoloop.enterprises.enums import Averaging, OutletKind, PermitClass
from ecoloop.enterprises.models import Enterprise, Outlet, OutletLimit, Permit
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval, Reading, ReadingRow
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.service import add_region
from ecoloop.settings import Settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.factories import World, build_world, credit_code  # the test city, built as the tests build it

ZONE = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 30, 16, tzinfo=UTC)  # 2026-12-01 00:00 in Asia/Shanghai
HOUR = timedelta(hours=1)
# HJ 212-2017 Appendix B codes.
SO2, NOX, DUST, O2 = "a21026", "a21002", "a34013", "a19001"
PM25, PM10, NO2, CO, O3 = "a34004", "a34002", "a21004", "a21005", "a05024"
PH, DO, CODMN, NH3N, TP = "w01001", "w01009", "w01019", "w21003", "w21011"
SOURCE_PARAMS = (SO2, NOX, DUST, O2)
AIR_PARAMS = (PM25, PM10, SO2, NO2, CO, O3)
WATER_PARAMS = (PH, DO, CODMN, NH3N, TP)
# Hourly limits of an ultra-low-emission coal-fired boiler at 6 % O2 (mg/m3); fixtures shaped like real permits.
LIMITS = {SO2: 35.0, NOX: 50.0, DUST: 10.0}
REFERENCE_O2 = 6.0
GRID_KM = 4.0  # air stations on a square grid: neighbours within 10 km are the offsets with dx² + dy² <= 6.25
PLANTED_KINDS = (
    RuleKind.SOURCE_EXCEEDANCE,
    RuleKind.AIR_HOTSPOT,
    RuleKind.DEVICE_SILENT,
    RuleKind.WATER_BELOW_TARGET,
)
# Planted episodes per site and 30 days, of the sites of the kind they concern; durations in hours.
RATES = {
    RuleKind.SOURCE_EXCEEDANCE: (0.3, 1, 4),
    RuleKind.AIR_HOTSPOT: (0.2, 1, 4),
    RuleKind.DEVICE_SILENT: (0.05, 4, 12),
    RuleKind.WATER_BELOW_TARGET: (0.3, 1, 6),
}
SPACING = 48  # hours between two episodes of one site (more than the 24-hour reopen window)
# What the naive baseline reads back from the hot store for each rule kind.
LOOKBACK = {
    RuleKind.SOURCE_EXCEEDANCE: HOUR,
    RuleKind.DEVICE_HIDDEN_EXCEEDANCE: 24 * HOUR,
    RuleKind.AIR_SUDDEN_RISE: 4 * HOUR,
    RuleKind.DEVICE_FLAT_LINE: 6 * HOUR,
}


@dataclass
class Group:
    """Sites of one kind with their generated hourly values (hours x sites x parameters) and silences."""

    kind: SiteKind
    params: tuple[str, ...]
    ids: list[int]
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))
    silent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    decimals: tuple[int, ...] = ()


@dataclass(frozen=True)
class Episode:
    """A planted event: its rule kind, site and hours [start, start + hours)."""

    kind: RuleKind
    site_id: int
    start: int
    hours: int


@dataclass
class City:
    world: World
    sources: Group
    air: Group
    water: Group
    near: dict[int, list[int]]  # air station → neighbours within 10 km (by grid position)

    @property
    def groups(self) -> tuple[Group, ...]:
        return (self.sources, self.air, self.water)


# --- the city ---------------------------------------------------------------------------------------------------


def build_city(session: Session, n_sources: int, n_air: int, n_water: int, rng: random.Random) -> City:
    """The test city with two more towns per county, enterprises with permits, sites and their loggers."""
    world = build_world(session)
    set_actor(session, Actor(label="bench"))
    towns = [world.town_a, world.town_b]
    for county, codes in ((world.county_a, ("002", "003")), (world.county_b, ("102", "103"))):
        for code in codes:
            towns.append(
                add_region(
                    session, code=f"{county.code}{code}000", name=f"T{code}", level=RegionLevel.TOWN, parent=county
                )
            )
    session.add(Webhook(organisation_id=world.bureau.id, url="http://127.0.0.1:9/hook", secret="bench"))

    sources = Group(SiteKind.AIR_SOURCE, SOURCE_PARAMS, [], decimals=(2, 2, 2, 2))
    enterprise: Enterprise | None = None
    permit: Permit | None = None
    for i in range(n_sources):
        region = towns[i % len(towns)]
        if i % 4 == 0:
            code = credit_code(100 + i // 4, region.code[:6])
            enterprise = Enterprise(credit_code=code, name=f"Enterprise {i // 4}", region_id=region.id)
            session.add(enterprise)
            session.flush()
            permit = Permit(
                enterprise_id=enterprise.id,
                number=f"{code}{i // 4:03d}P",
                permit_class=PermitClass.KEY,
                valid_from=date(2024, 1, 1),
                valid_to=date(2029, 12, 31),
            )
            session.add(permit)
        assert enterprise is not None and permit is not None
        site = Site(
            code=f"DA{i:05d}", name=f"Outlet {i}", kind=SiteKind.AIR_SOURCE, region_id=region.id,
            enterprise_id=enterprise.id,
        )  # fmt: skip
        session.add(site)
        session.flush()
        limits = [
            OutletLimit(
                pollutant=code,
                limit_value=Decimal(str(limit)),
                unit="mg/m3",
                averaging=Averaging.HOUR,
                reference_o2=Decimal(str(REFERENCE_O2)),
                source="GB 13223-2011 (ultra-low emission)",
            )
            for code, limit in LIMITS.items()
        ]
        permit.outlets.append(
            Outlet(code=f"DA{i % 4 + 1:03d}", name=f"Stack {i}", kind=OutletKind.GAS, site_id=site.id, limits=limits)
        )
        sources.ids.append(site.id)

    air = Group(SiteKind.AIR_STATION, AIR_PARAMS, [], decimals=(1, 1, 1, 1, 3, 1))
    cols = max(1, math.ceil(math.sqrt(n_air * 1.1)))
    rows = max(1, math.ceil(n_air / cols))
    lat0, lon0 = 36.4, 116.6
    position: dict[int, tuple[int, int]] = {}
    for i in range(n_air):
        x, y = i % cols, i // cols
        lat = lat0 + y * GRID_KM / 111.2
        lon = lon0 + x * GRID_KM / (111.32 * math.cos(math.radians(lat)))
        town = towns[(2 * x // cols) * 3 + min(2, 3 * y // rows)]
        site = Site(
            code=f"AQ{i:05d}", name=f"Air station {i}", kind=SiteKind.AIR_STATION, region_id=town.id,
            longitude=Decimal(f"{lon:.6f}"), latitude=Decimal(f"{lat:.6f}"),
        )  # fmt: skip
        session.add(site)
        session.flush()
        air.ids.append(site.id)
        position[site.id] = (x, y)
    by_position = {p: s for s, p in position.items()}
    near = {
        s: [
            by_position[(x + dx, y + dy)]
            for dx in range(-2, 3)
            for dy in range(-2, 3)
            if (dx, dy) != (0, 0) and dx * dx + dy * dy <= 6.25 and (x + dx, y + dy) in by_position
        ]
        for s, (x, y) in position.items()
    }

    water = Group(SiteKind.WATER_STATION, WATER_PARAMS, [], decimals=(2, 2, 2, 3, 3))
    for i in range(n_water):
        site = Site(
            code=f"WQ{i:05d}", name=f"Water station {i}", kind=SiteKind.WATER_STATION,
            region_id=towns[rng.randrange(len(towns))].id, water_target="II" if i % 3 == 0 else "III",
        )  # fmt: skip
        session.add(site)
        session.flush()
        water.ids.append(site.id)
    for group in (sources, air, water):
        for site_id in group.ids:
            session.add(Device(mn=f"BENCH{site_id:08d}", password="123456", site_id=site_id, interval_minutes=60))
    session.flush()
    return City(world, sources, air, water, near)


# --- the data ---------------------------------------------------------------------------------------------------


def generate(city: City, hours: int, seed: int) -> None:
    """Quiet hourly values for every group: a smooth city-wide level per parameter, a station factor and noise,
    bounded (uniform) so that no rule can fire on them; see `quiet` for what is then enforced."""
    rng = np.random.default_rng(seed)
    h = np.arange(hours)[:, None]
    diurnal = np.sin(2 * np.pi * ((h + 8) % 24 - 9) / 24)  # local time, peak in the afternoon

    def level(low: float, high: float, cycle: float) -> np.ndarray:
        """A level between low and high: a slow random walk plus a diurnal cycle of relative amplitude `cycle`."""
        walk = np.cumsum(rng.normal(0, 0.03, hours))
        walk = (walk - walk.min()) / max(np.ptp(walk), 1e-9)
        base = low + (high - low) * (0.15 + 0.7 * walk[:, None])
        return base * (1 + cycle * diurnal)

    def spread(n: int, params: int, site: float, noise: float) -> np.ndarray:
        factor = 1 + rng.uniform(-site, site, (1, n, params))
        return factor * (1 + rng.uniform(-noise, noise, (hours, n, params)))

    n = len(city.sources.ids)
    o2 = 7.0 + rng.uniform(-0.5, 0.5, (1, n)) + rng.uniform(-0.4, 0.4, (hours, n))
    source_levels = np.stack([np.broadcast_to(rng.uniform(lo, hi, (1, n)), (hours, n)) for lo, hi in
                              ((9, 17), (22, 32), (2, 5))], axis=2)  # fmt: skip
    source = source_levels * (1 + 0.08 * diurnal[:, :, None]) * (1 + rng.uniform(-0.12, 0.12, (hours, n, 3)))
    city.sources.values = np.concatenate([source, o2[:, :, None]], axis=2)

    n = len(city.air.ids)
    levels = [level(25, 45, 0.1), level(45, 80, 0.1), level(5, 15, 0.1), level(20, 45, 0.15),
              level(0.4, 1.0, 0.1), level(45, 90, 0.3)]  # fmt: skip
    city.air.values = np.stack([lv for lv in levels], axis=2) * spread(n, 6, 0.07, 0.05)

    n = len(city.water.ids)
    centre = np.array([7.6, 7.4, 2.8, 0.3, 0.06])
    width = np.array([0.5, 0.8, 0.6, 0.12, 0.025])
    site = rng.uniform(-0.5, 0.5, (1, n, 5)) * width
    city.water.values = centre + site + rng.uniform(-0.5, 0.5, (hours, n, 5)) * width
    for group in city.groups:
        group.silent = np.zeros((hours, len(group.ids)), dtype=bool)


def plan(city: City, hours: int, days: float, rng: random.Random) -> list[Episode]:
    """Planted episodes, spaced SPACING hours apart per site; a hotspot also keeps clear of its neighbours'
    hotspots and silences (so it always has at least three neighbours reporting quiet values)."""
    busy: dict[int, list[tuple[int, int, RuleKind]]] = defaultdict(list)
    targets = {
        RuleKind.SOURCE_EXCEEDANCE: city.sources.ids,
        RuleKind.AIR_HOTSPOT: city.air.ids,
        RuleKind.DEVICE_SILENT: [s for g in city.groups for s in g.ids],
        RuleKind.WATER_BELOW_TARGET: city.water.ids,
    }

    def clear(site: int, start: int, end: int, kinds: Sequence[RuleKind] | None = None) -> bool:
        return all(e + SPACING <= start or end + SPACING <= s for s, e, k in busy[site] if kinds is None or k in kinds)

    episodes = []
    for kind, (rate, shortest, longest) in RATES.items():
        ids = targets[kind]
        wanted = max(1, round(rate * len(ids) * days / 30))
        for _ in range(wanted * 50):
            if sum(1 for e in episodes if e.kind is kind) == wanted:
                break
            site, length = rng.choice(ids), rng.randint(shortest, longest)
            if hours - length - 6 <= 4:
                break
            start = rng.randrange(4, hours - length - 6)
            end = start + length
            if not clear(site, start, end):
                continue
            if kind is RuleKind.AIR_HOTSPOT and not all(
                clear(n, start, end, (RuleKind.AIR_HOTSPOT, RuleKind.DEVICE_SILENT)) for n in city.near[site]
            ):
                continue
            if (
                kind is RuleKind.DEVICE_SILENT
                and site in city.near
                and not all(clear(n, start, end, (RuleKind.AIR_HOTSPOT,)) for n in city.near[site])
            ):
                continue
            busy[site].append((start, end, kind))
            episodes.append(Episode(kind, site, start, length))
    return episodes


def plant(city: City, episodes: Sequence[Episode], rng: random.Random) -> None:
    """Write the episodes into the generated values."""
    index = {site: (group, i) for group in city.groups for i, site in enumerate(group.ids)}
    positions = {site: i for i, site in enumerate(city.air.ids)}
    for e in episodes:
        group, i = index[e.site_id]
        span = slice(e.start, e.start + e.hours)
        if e.kind is RuleKind.DEVICE_SILENT:
            group.silent[span, i] = True
        elif e.kind is RuleKind.SOURCE_EXCEEDANCE:
            p = rng.randrange(3)
            code = SOURCE_PARAMS[p]
            o2 = group.values[span, i, 3]
            factor = np.array([rng.uniform(1.3, 2.5) for _ in range(e.hours)])
            # measured so that, converted to the reference O2 (x 15 / (21 - O2)), it is 1.3-2.5 x the limit
            group.values[span, i, p] = LIMITS[code] * factor * (21 - o2) / (21 - REFERENCE_O2)
        elif e.kind is RuleKind.AIR_HOTSPOT:
            # 1.04 x max(1.5 x M, M + 20), M the highest neighbour's value, is at least 1.5 x the neighbours'
            # median and 20 µg/m³ above it; quiet values stay within ±12.4 % of the hour's city level (at most
            # 46 µg/m³), so it rises by less than 50 over the mean of the station's 3 previous hours
            neighbours = [positions[n] for n in city.near[e.site_id]]
            top = group.values[span][:, neighbours, 0].max(axis=1)
            group.values[span, i, 0] = 1.04 * np.maximum(1.5 * top, top + 20)
        else:
            p = rng.choice([1, 2, 3, 4])  # DO below, or CODMn, NH3-N, TP above the class III limit (GB 3838)
            low, high = {1: (2.5, 4.5), 2: (6.5, 12.0), 3: (1.2, 1.9), 4: (0.22, 0.38)}[p]
            group.values[span, i, p] = [rng.uniform(low, high) for _ in range(e.hours)]


def quiet(group: Group) -> int:
    """Round to the parameters' resolution, then nudge (by one step) values equal to the previous hour's or
    shared by three parameters at one time, until neither remains; how many values were nudged."""
    steps = np.array([10.0**-d for d in group.decimals])
    for p, d in enumerate(group.decimals):
        group.values[:, :, p] = np.round(group.values[:, :, p], d)
    nudged = 0
    while True:
        changed = 0
        ordered = np.sort(group.values, axis=2)
        shared = np.zeros(group.values.shape[:2], dtype=bool)
        for p in range(ordered.shape[2] - 2):
            shared |= ordered[:, :, p] == ordered[:, :, p + 2]
        for h, i in zip(*np.nonzero(shared), strict=True):
            cell = group.values[h, i]
            for value, count in Counter(cell.tolist()).items():
                if count >= 3:
                    for n, p in enumerate(np.nonzero(cell == value)[0][1:], start=1):
                        cell[p] += n * steps[p]
                        changed += 1
        for h in range(1, group.values.shape[0]):
            same = group.values[h] == group.values[h - 1]
            if same.any():
                group.values[h][same] += np.broadcast_to(steps, same.shape)[same]
                changed += int(same.sum())
        for p, d in enumerate(group.decimals):
            group.values[:, :, p] = np.round(group.values[:, :, p], d)
        nudged += changed
        if not changed:
            return nudged


# --- the run ------------------------------------------------------------------------------------------------------


@dataclass
class Run:
    arrivals: int = 0
    readings_written: int = 0
    readings: int = 0
    evaluations: int = 0
    polls: int = 0
    write_seconds: float = 0.0
    poll_seconds: float = 0.0
    poll_cpu: float = 0.0
    sweep_seconds: float = 0.0
    sweep_cpu: float = 0.0
    poll_delays: list[float] = field(default_factory=list)
    alert_delays: list[float] = field(default_factory=list)
    arrivals_by_hour: list[list[tuple[int, datetime]]] = field(default_factory=list)


def run(city: City, engine: AlertEngine, store: HotStore, hours: int, commits: int, seed: int) -> Run:
    """Write every hour's data in `commits` group commits, polling after each, and sweep once an hour."""
    rng = np.random.default_rng(seed + 1)
    meta = [(site, g, i) for g, group in enumerate(city.groups) for i, site in enumerate(group.ids)]
    stats = Run()
    for h in range(hours):
        moment = T0 + h * HOUR
        ts = int(moment.timestamp())
        values = [group.values[h].tolist() for group in city.groups]
        silent = np.concatenate([group.silent[h] for group in city.groups])
        offsets = rng.integers(60, 600, len(meta))  # seconds after the hour
        order = [int(k) for k in np.argsort(offsets, kind="stable") if not silent[k]]
        stats.arrivals_by_hour.append([(meta[k][0], moment + timedelta(seconds=int(offsets[k]))) for k in order])
        size = max(1, -(-len(order) // commits))
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            rows: list[ReadingRow] = []
            for k in chunk:
                site, g, i = meta[k]
                received = (ts + int(offsets[k])) * 1000
                params = city.groups[g].params
                rows += [
                    (site, p, "hour", ts, v, "N", "hj212", received) for p, v in zip(params, values[g][i], strict=True)
                ]
            t0 = time.perf_counter()
            store.write_rows([(rows, [])])
            committed = time.perf_counter()
            stats.write_seconds += committed - t0
            stats.readings_written += len(rows)
            now = moment + timedelta(seconds=int(offsets[chunk[-1]]) + 1)
            c0 = time.process_time()
            result = engine.poll(now)
            done = time.perf_counter()
            stats.poll_cpu += time.process_time() - c0
            stats.poll_seconds += done - committed
            stats.polls += 1
            stats.arrivals += result.arrivals
            stats.readings += result.readings
            stats.evaluations += result.evaluations
            stats.poll_delays.append(done - committed)
            stats.alert_delays += [done - committed] * (result.applied.raised + result.applied.reopened)
            assert result.arrivals == len(chunk), "the poll did not drain the queue"
        t0, c0 = time.perf_counter(), time.process_time()
        engine.sweep(moment + timedelta(minutes=30))
        stats.sweep_seconds += time.perf_counter() - t0
        stats.sweep_cpu += time.process_time() - c0
        if (h + 1) % 24 == 0:
            print(
                f"  day {(h + 1) // 24:>2}: {stats.arrivals:,} arrivals, polls {stats.poll_seconds:.1f} s, "
                f"sweeps {stats.sweep_seconds:.1f} s, writes {stats.write_seconds:.1f} s",
                flush=True,
            )
    return stats


# --- scoring ------------------------------------------------------------------------------------------------------


@dataclass
class Score:
    precision: float
    recall: float
    events: int
    matched: int
    planted: int
    false_events: list[tuple[str, int | None, str]]
    missed: list[Episode]
    by_kind: dict[str, tuple[int, int, int]]  # kind → planted, found, events


def score(session: Session, episodes: Sequence[Episode]) -> Score:
    """Match RAISED/REOPENED events to the planted episodes by kind, site and data time."""
    rows = session.execute(
        select(Alert.kind, Alert.site_id, AlertEvent.data)
        .join(Alert, Alert.id == AlertEvent.alert_id)
        .where(AlertEvent.kind.in_([AlertEventKind.RAISED, AlertEventKind.REOPENED]))
        .order_by(AlertEvent.id)
    ).all()
    index: dict[tuple[RuleKind, int], list[Episode]] = defaultdict(list)
    for e in episodes:
        index[(e.kind, e.site_id)].append(e)
    found: set[Episode] = set()
    false_events = []
    events_by_kind: Counter[str] = Counter()
    for kind, site_id, data in rows:
        events_by_kind[kind.value] += 1
        at = (datetime.fromisoformat(data["time"]) - T0) / HOUR
        slack = 1 if kind is RuleKind.DEVICE_SILENT else 0  # a silence is timed 3 intervals after the last data
        match = next(
            (
                e
                for e in index.get((kind, site_id or 0), [])
                if e.start <= at < e.start + e.hours + slack and e not in found
            ),
            None,
        )
        if match is None:
            false_events.append((kind.value, site_id, data["time"]))
        else:
            found.add(match)
    by_kind = {}
    for kind in {*(e.kind.value for e in episodes), *events_by_kind}:
        planted = sum(1 for e in episodes if e.kind.value == kind)
        by_kind[kind] = (planted, sum(1 for e in found if e.kind.value == kind), events_by_kind[kind])
    return Score(
        precision=len(found) / len(rows) if rows else 1.0,
        recall=len(found) / len(episodes) if episodes else 1.0,
        events=len(rows),
        matched=len(found),
        planted=len(episodes),
        false_events=false_events,
        missed=[e for e in episodes if e not in found],
        by_kind=by_kind,
    )


# --- the naive baseline -------------------------------------------------------------------------------------------


def _stored(store: HotStore, root: Path) -> StoredReadings:
    """Both tiers of the readings store, read on embedded DuckDB (the default engine of ANALYTICS_URL)."""
    return StoredReadings(store, root, partial(reading, Settings(_env_file=None, analytics_url="duckdb://")))  # type: ignore[call-arg]


def naive(
    sessions: sessionmaker[Session],
    store: HotStore,
    parquet_root: Path,
    sample: Sequence[tuple[int, datetime, datetime]],
) -> tuple[float, int]:
    """Per arrival (site, hour, received), per rule: query the hot store, judge on a fresh window, apply each
    evaluation in its own transaction; the seconds taken and the evaluations made."""
    loaded = AlertEngine(sessions, _stored(store, parquet_root), ZONE, clock=lambda: T0)
    loaded.load(T0 + HOUR)
    by_rule = {}  # an engine for each rule alone, to judge the rules one at a time
    for rule in loaded.rules:
        one = by_rule[rule.id] = AlertEngine(sessions, _stored(store, parquet_root), ZONE, clock=lambda: T0)
        one.sites, one.devices, one.limits, one.rules = loaded.sites, loaded.devices, loaded.limits, [rule]
        one.prepare()
    evaluations = 0
    t0 = time.perf_counter()
    for site_id, moment, received in sample:
        site = loaded.sites[site_id]
        now = received + timedelta(seconds=1)
        for rule in loaded.rules:
            if not rule.covers(site):
                continue
            engine = by_rule[rule.id]
            ids = [site_id]
            if rule.kind is RuleKind.AIR_HOTSPOT:
                ids += engine.near.get(rule.id, {}).get(site_id, ())
            level = rule.options.get("area_level")
            if rule.kind is RuleKind.AQI_LEVEL and level and site.areas and level in site.areas:
                ids = [s.id for s in engine.area_stations.get((level, site.areas[level]), [])]
            start = moment - LOOKBACK.get(rule.kind, HOUR) + HOUR
            table = store.site_readings(ids, ["hour"], start, moment + HOUR)
            window = Window()
            window.add(
                Reading(r["site_id"], r["parameter"], Interval.HOUR, r["time"], r["value"], r["flag"])
                for r in table.to_pylist()
            )
            window.seen(site_id, received)
            engine.window = window
            found = [
                e
                for e in engine.evaluate_arrivals({(Interval.HOUR, moment): {site_id}}, now)
                if e.site_id == site_id or (e.site_id is None and e.region_id in (site.areas or {}).values())
            ]
            for e in found:
                with sessions.begin() as session:
                    set_actor(session, Actor(label="alerts"))
                    service.apply(session, [e], now, ZONE, {(site_id, moment): received})
            evaluations += len(found)
    return time.perf_counter() - t0, evaluations


# --- main ---------------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sites", type=int, default=2000, help="50 %% outlets, 35 %% air, 15 %% water stations")
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--commits-per-hour", type=int, default=10, help="group commits (and polls) per hour")
    parser.add_argument("--baseline-arrivals", type=int, default=200, help="arrivals the naive baseline handles")
    parser.add_argument("--only-planted", action="store_true", help="disable the rule kinds that are not planted")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    hours = max(24, round(args.days * 24))
    n_sources, n_air = args.sites // 2, round(args.sites * 0.35)
    n_water = args.sites - n_sources - n_air
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="bench-alerts-") as tmp_name:
        tmp = Path(tmp_name)
        url = f"sqlite:///{tmp / 'ecoloop.sqlite'}"
        t0 = time.perf_counter()
        upgrade(url)
        db = make_engine(url)
        sessions = make_session_factory(db)
        with sessions.begin() as session:
            city = build_city(session, n_sources, n_air, n_water, rng)
            rule_service.ensure_builtin_rules(session, T0)
            disabled = []
            if args.only_planted:
                for rule in session.scalars(select(AlertRule).where(AlertRule.kind.not_in(PLANTED_KINDS))):
                    rule.enabled = False
                    disabled.append(rule.code)
            enabled = list(session.scalars(select(AlertRule.code).where(AlertRule.enabled).order_by(AlertRule.id)))
        print(
            f"city: {n_sources} outlets, {n_air} air stations, {n_water} water stations "
            f"({time.perf_counter() - t0:.1f} s to migrate and build)"
        )
        print(f"rules enabled ({len(enabled)}): {', '.join(enabled)}")
        if disabled:
            print(f"rules disabled (--only-planted): {', '.join(disabled)}")

        t0 = time.perf_counter()
        generate(city, hours, args.seed)
        episodes = plan(city, hours, hours / 24, rng)
        plant(city, episodes, rng)
        nudged = sum(quiet(group) for group in city.groups)
        planted = Counter(e.kind.value for e in episodes)
        kinds = ", ".join(f"{k} {v}" for k, v in planted.items())
        print(
            f"data: {hours} hours, {len(episodes)} planted episodes ({kinds}), {nudged:,} values nudged apart "
            f"({time.perf_counter() - t0:.1f} s)"
        )

        store = HotStore(tmp / "hot.sqlite")
        engine = AlertEngine(sessions, _stored(store, tmp / "readings"), ZONE, clock=lambda: T0)
        gc.set_threshold(*GC_THRESHOLDS)  # as the engine's process runs (`AlertEngine.run`)
        engine.start(T0)
        stats = run(city, engine, store, hours, args.commits_per_hour, args.seed)

        with sessions() as session:
            result = score(session, episodes)
            counts = {
                name: session.scalar(select(func.count()).select_from(model)) or 0
                for name, model in (
                    ("alerts", Alert),
                    ("cases", Case),
                    ("notifications", Notification),
                    ("webhook deliveries", WebhookDelivery),
                )
            }
        db.dispose()
        summary = report(stats, result, hours, args.sites, counts)
        if args.baseline_arrivals:
            summary |= baseline(tmp, store, stats, hours, args.baseline_arrivals, args.seed)
        store.close()
    summary["rules_enabled"] = len(enabled)
    print(json.dumps(summary))


def report(stats: Run, result: Score, hours: int, sites: int, counts: dict[str, int]) -> dict[str, object]:
    """Print the run's figures; the summary's values."""
    engine_seconds = stats.poll_seconds + stats.sweep_seconds
    print(
        f"written: {stats.readings_written:,} readings in {stats.polls:,} group commits, "
        f"{stats.write_seconds:.1f} s ({stats.readings_written / stats.write_seconds:,.0f} readings/s)"
    )
    print(
        f"engine polls: {stats.arrivals:,} arrivals, {stats.readings:,} readings, {stats.evaluations:,} "
        f"evaluations in {stats.poll_seconds:.1f} s (CPU {stats.poll_cpu:.1f} s): "
        f"{stats.readings / stats.poll_seconds:,.0f} readings/s, {stats.evaluations / stats.poll_seconds:,.0f} "
        f"evaluations/s, {stats.poll_seconds / stats.arrivals * 1e6:.0f} µs per arrival"
    )
    print(
        f"engine sweeps: {hours} in {stats.sweep_seconds:.1f} s (CPU {stats.sweep_cpu:.1f} s), "
        f"{stats.sweep_seconds / hours * 1000:.0f} ms each"
    )
    alert_p50, alert_p99 = percentile(stats.alert_delays, 0.5), percentile(stats.alert_delays, 0.99)
    poll_p50, poll_p99 = percentile(stats.poll_delays, 0.5), percentile(stats.poll_delays, 0.99)
    print(
        f"alert delay (commit → alert committed) over {len(stats.alert_delays)} alerts raised by polls: "
        f"p50 {alert_p50 * 1000:.0f} ms, p99 {alert_p99 * 1000:.0f} ms; every poll: p50 {poll_p50 * 1000:.0f} ms, "
        f"p99 {poll_p99 * 1000:.0f} ms"
    )
    print(", ".join(f"{name} {count:,}" for name, count in counts.items()))
    for kind, (n_planted, n_found, n_events) in sorted(result.by_kind.items()):
        print(f"  {kind:<26} planted {n_planted:>4}, found {n_found:>4}, raised/reopened events {n_events:>4}")
    print(
        f"precision {result.precision:.4f} ({result.matched}/{result.events} events), "
        f"recall {result.recall:.4f} ({result.matched}/{result.planted} planted)"
    )
    for kind, site_id, at in result.false_events[:10]:
        print(f"  unplanted: {kind} at site {site_id}, {at}")
    for e in result.missed[:10]:
        print(f"  missed: {e}")
    return {
        "readings_per_s": round(stats.readings / stats.poll_seconds),
        "evaluations_per_s": round(stats.evaluations / stats.poll_seconds),
        "p50_alert_delay_ms": round(alert_p50 * 1000, 1),
        "p99_alert_delay_ms": round(alert_p99 * 1000, 1),
        "precision": round(result.precision, 4),
        "recall": round(result.recall, 4),
        "planted": result.planted,
        "events": result.events,
        "sites": sites,
        "hours": hours,
        "arrivals": stats.arrivals,
        "readings": stats.readings,
        "evaluations": stats.evaluations,
        "poll_seconds": round(stats.poll_seconds, 2),
        "poll_cpu_seconds": round(stats.poll_cpu, 2),
        "sweep_seconds": round(stats.sweep_seconds, 2),
        "engine_readings_per_s": round(stats.readings / engine_seconds),
    }


def baseline(tmp: Path, store: HotStore, stats: Run, hours: int, arrivals: int, seed: int) -> dict[str, object]:
    """Run the naive baseline on a sample of the arrivals, on a copy of the database; its summary values."""
    copy = tmp / "naive.sqlite"
    with sqlite3.connect(tmp / "ecoloop.sqlite") as source, sqlite3.connect(copy) as target:
        source.backup(target)
    naive_db = make_engine(f"sqlite:///{copy}")
    pick = random.Random(seed + 2)
    sample = []
    for _ in range(arrivals):
        h = pick.randrange(4, hours)
        site_id, received = pick.choice(stats.arrivals_by_hour[h])
        sample.append((site_id, T0 + h * HOUR, received))
    naive_seconds, naive_evaluations = naive(make_session_factory(naive_db), store, tmp / "readings", sample)
    naive_db.dispose()
    per_arrival = naive_seconds / len(sample)
    extrapolated = per_arrival * stats.arrivals
    ratio = extrapolated / stats.poll_seconds
    print(
        f"naive baseline: {len(sample)} arrivals ({naive_evaluations:,} evaluations) in {naive_seconds:.1f} s, "
        f"{per_arrival * 1000:.1f} ms per arrival → {extrapolated:,.0f} s extrapolated to {stats.arrivals:,} "
        f"arrivals; ratio vs the engine's polls {ratio:.0f}x"
    )
    return {"baseline_seconds": round(extrapolated, 1), "ratio_vs_baseline": round(ratio, 1)}


if __name__ == "__main__":
    main()
