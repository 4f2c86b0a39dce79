"""Reads of the air results for the overview screen and the public page: the latest hour's AQI of each station, each
area's daily AQI (today so far, yesterday) and an area's daily trend, with the stations' coordinates.

The stations and areas come from the operational database, scoped by the principal (a branch sees its county's
only); the public page reads the whole city (`public_air`: what a bureau publishes, names and AQI only). The values
are the stored results (`results.air` tables, read with `store.scan` on one analytics backend per page): the
engine's numbers, never computed again here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import Any, TypeVar

import ibis
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.analytics import backends
from ecoloop.analytics.air import AIR_CODES
from ecoloop.analytics.aqi import keys_of
from ecoloop.i18n import N_, get_locale
from ecoloop.monitoring.enums import SiteKind, StationLevel
from ecoloop.monitoring.models import Site
from ecoloop.readings import parameters
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.results import store
from ecoloop.results.air import AIR_DAY_AREA, AIR_HOUR, AIR_HOUR_AREA
from ecoloop.settings import Settings
from ecoloop.standards.aqi import LEVELS, report_concentration
from ecoloop.standards.editions import edition_for

TREND_DAYS = 30
# The newest hour of a station is searched in today's and yesterday's partitions: an older one is not "now".
HOUR_DAYS = 2
NO_LEVEL_COLOUR = "#9e9e9e"
NAME_SEPARATOR = "\u3001"  # the ideographic comma, between the names of several primary pollutants
# The AQI levels' names (HJ 633-2012 Table 2; HJ 633-2026 Appendix A), levels 1-6, as message ids.
LEVEL_LABELS = (
    N_("Excellent"),
    N_("Good"),
    N_("Lightly polluted"),
    N_("Moderately polluted"),
    N_("Heavily polluted"),
    N_("Severely polluted"),
)
_CODE_OF = {pollutant: code for code, pollutant in AIR_CODES.items()}


@dataclass(frozen=True)
class Aqi:
    """An AQI as the pages show it: the value, its level 1-6 and the primary pollutants' keys (`PM2_5_24h`);
    `aqi` None when no AQI was computed (too few values)."""

    aqi: int | None = None
    level: int | None = None
    primary: tuple[str, ...] = ()

    @property
    def colour(self) -> str:
        """The level's colour (HJ 633 Table 2), grey without a level."""
        return LEVELS[self.level - 1][2] if self.level else NO_LEVEL_COLOUR

    @property
    def label(self) -> str:
        """The level's name, a message id ("" without a level)."""
        return LEVEL_LABELS[self.level - 1] if self.level else ""

    @property
    def primary_names(self) -> list[str]:
        """The primary pollutants' names in the current language (PM2.5, 臭氧), in the standard's order."""
        return list(_names(self.primary, get_locale()))

    @property
    def primary_text(self) -> str:
        """The primary pollutants' names as one text (PM2.5、臭氧)."""
        return NAME_SEPARATOR.join(_names(self.primary, get_locale()))


@lru_cache(maxsize=256)
def _names(keys: tuple[str, ...], locale: str) -> tuple[str, ...]:
    # By locale: a page of 600 stations names the same few pollutants 600 times.
    return tuple(pollutant_name(key) for key in keys)


def pollutant_name(key: str) -> str:
    """The name of a pollutant of the AQI tables (`O3_8h` → 臭氧), by its HJ 212 code's name."""
    pollutant = key.rsplit("_", 1)[0] if key.endswith("h") else key
    code = _CODE_OF.get(pollutant)
    return parameters.name(code) if code else key


# The daily values a bulletin states, in its order, with how each is averaged (GB 3095-2012 Table 1).
BULLETIN_KEYS = ("PM2_5_24h", "PM10_24h", "O3_8h", "NO2_24h", "SO2_24h", "CO_24h")
AVERAGING = {"24h": N_("24-hour mean"), "8h": N_("Maximum 8-hour mean")}


@dataclass(frozen=True)
class Concentration:
    """A daily value as a bulletin states it: the pollutant's name, its averaging (`label`, a message id), the value
    rounded as HJ 633-2026 §4.2.2 reports it (µg/m³ integers, CO to 0.1 mg/m³) and its unit."""

    key: str
    name: str
    label: str
    text: str
    unit: str


def concentrations(day: DayAqi) -> list[Concentration]:
    """The bulletin's daily values of an area's day ("—" where none)."""
    found = []
    for key in BULLETIN_KEYS:
        pollutant, averaging = key.rsplit("_", 1)
        value = day.values.get(key)
        text = "—" if value is None else str(report_concentration(key, value, "2026"))
        unit = parameters.unit(_CODE_OF[pollutant], ambient=True)
        found.append(Concentration(key, pollutant_name(key), AVERAGING[averaging], text, unit))
    return found


def _aqi(row: dict[str, Any], report: str, day: date) -> Aqi:
    aqi = row.get("aqi")
    if aqi is None:
        return Aqi()
    return Aqi(int(aqi), int(row["level"]), keys_of(row.get("primary"), report, edition_for(day)))


@dataclass(frozen=True)
class StationNow:
    """An air station with its coordinates (WGS-84) and its latest hour's AQI (`hour` None: no AQI lately)."""

    site_id: int
    name: str
    longitude: float | None
    latitude: float | None
    region_id: int
    station_level: StationLevel | None = None
    hour: datetime | None = None
    aqi: Aqi = field(default_factory=Aqi)


@dataclass(frozen=True)
class AreaDays:
    """An area (a county of the city, a town of a county) with its daily AQI today (so far) and yesterday."""

    region_id: int
    name: str
    today: Aqi
    yesterday: Aqi


@dataclass(frozen=True)
class DayAqi:
    """One day's AQI of an area, with its daily concentrations (`PM2_5_24h` … `O3_8h`)."""

    day: date
    aqi: Aqi
    values: dict[str, float | None]


@dataclass(frozen=True)
class AirOverview:
    """What the overview screen and the public page show of the air of one area: its stations now, its parts'
    AQI today and yesterday, its own daily AQI over the trend's days (oldest first, days without a result left
    out), its newest hour's AQI, and the day the page is about."""

    region_id: int
    region_name: str
    today: date
    stations: list[StationNow]
    parts: list[AreaDays]
    trend: list[DayAqi]
    hour: datetime | None = None  # the area's newest hour with an AQI (local start), and that AQI
    hourly: Aqi = field(default_factory=Aqi)

    def day(self, day: date) -> DayAqi | None:
        """The area's own result of `day`, if any."""
        return next((d for d in self.trend if d.day == day), None)

    @property
    def current(self) -> Aqi:
        """Today's AQI so far of the area."""
        found = self.day(self.today)
        return found.aqi if found else Aqi()

    @property
    def yesterday(self) -> DayAqi | None:
        return self.day(self.today - timedelta(days=1))

    @property
    def highest(self) -> list[StationNow]:
        """The stations with an AQI, highest first."""
        return sorted((s for s in self.stations if s.aqi.aqi is not None), key=lambda s: -(s.aqi.aqi or 0))


def air_overview(
    session: Session, principal: Principal, reads: ResultReads, region: Region, today: date, days: int = TREND_DAYS
) -> AirOverview:
    """The air of `region` (a region the principal sees) for the overview screen: its active air stations and
    its child regions, as far as the principal sees them."""
    return _overview(session, principal, reads, region, today, days)


def public_region(session: Session) -> Region | None:
    """The city the public page is about: the root of the region tree."""
    stmt = select(Region).where(Region.parent_id.is_(None), Region.level == RegionLevel.CITY).order_by(Region.id)
    return session.scalars(stmt.limit(1)).first()


def public_air(session: Session, reads: ResultReads, region: Region, today: date, days: int) -> AirOverview:
    """The air of the city for the public page: every active air station and county (public information: names,
    coordinates and AQI; not scoped, as no one is signed in)."""
    return _overview(session, None, reads, region, today, days)


SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def _scope(stmt: SelectT, principal: Principal | None, model: type[Any]) -> SelectT:
    return stmt if principal is None else scoped(stmt, principal, model)


def _overview(
    session: Session, principal: Principal | None, reads: ResultReads, region: Region, today: date, days: int
) -> AirOverview:
    subtree = select(Region.id).where(Region.path.startswith(region.path, autoescape=True))
    site_stmt = (
        select(Site.id, Site.name, Site.longitude, Site.latitude, Site.region_id, Site.station_level)
        .where(Site.kind == SiteKind.AIR_STATION, Site.active.is_(True), Site.region_id.in_(subtree))
        .order_by(Site.code)
    )
    sites = list(session.execute(_scope(site_stmt, principal, Site)))
    part_stmt = (
        select(Region.id, Region.name)
        .where(Region.parent_id == region.id, Region.active.is_(True))
        .order_by(Region.code)
    )
    parts = list(session.execute(_scope(part_stmt, principal, Region)))

    hours = latest_hours(reads, [s.id for s in sites], today)
    first = today - timedelta(days=days - 1)
    area_rows = area_days(reads, [region.id, *(p.id for p in parts)], first, today)
    stations = [
        StationNow(
            site_id=s.id,
            name=s.name,
            longitude=float(s.longitude) if s.longitude is not None else None,
            latitude=float(s.latitude) if s.latitude is not None else None,
            region_id=s.region_id,
            station_level=s.station_level,
            hour=hours[s.id][0] if s.id in hours else None,
            aqi=hours[s.id][1] if s.id in hours else Aqi(),
        )
        for s in sites
    ]
    yesterday = today - timedelta(days=1)
    empty = DayAqi(today, Aqi(), {})
    part_days = [
        AreaDays(
            p.id,
            p.name,
            area_rows.get((p.id, today), empty).aqi,
            area_rows.get((p.id, yesterday), empty).aqi,
        )
        for p in parts
    ]
    trend = sorted((d for (rid, _day), d in area_rows.items() if rid == region.id), key=lambda d: d.day)
    now = latest_area_hour(reads, region.id, today)
    return AirOverview(region.id, region.name, today, stations, part_days, trend, *(now or (None, Aqi())))


# --- the reads, each kept in memory while its partitions are unchanged ----------------------------------------------

Reading = TypeVar("Reading")
KEPT_READS = 256
_KEPT: OrderedDict[Hashable, tuple[tuple[tuple[str, int, int, int], ...], Any]] = OrderedDict()
_KEPT_LOCK = threading.Lock()


class ResultReads:
    """The result tables under `root` as one page reads them. A read is kept in memory with the partition files it
    read (path, inode, modification time, size): while they are unchanged — results change when the results job
    or a command rewrites a partition — the page opens no analytics backend; otherwise one backend (`backend()`,
    opened on the first such read) serves every read of the page. Use it as a context manager."""

    def __init__(self, root: Path, backend: Callable[[], AbstractContextManager[Any]]) -> None:
        self.root = root
        self._backend = backend
        self._stack = ExitStack()
        self._con: Any = None
        self.opened = 0  # backends opened (0 when every read was kept)

    @classmethod
    def of(cls, settings: Settings) -> ResultReads:
        """The results of the settings' data directory (`results_root`), read on the engine of `ANALYTICS_URL`."""
        return cls(settings.results_root, partial(backends.reading, settings))

    def __enter__(self) -> ResultReads:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stack.close()

    def con(self) -> Any:
        """The page's analytics backend, opened on first use."""
        if self._con is None:
            self._con = self._stack.enter_context(self._backend())
            self.opened += 1
        return self._con

    def lazy_con(self) -> Any:
        """The page's analytics backend for a reader with its own cache (`periods.statistics`): opened only when
        the reader uses it, i.e. when its cache missed."""
        return _LazyBackend(self)

    def read(
        self, table: store.ResultTable, first: date, last: date, key: Hashable, build: Callable[[Any, Any], Reading]
    ) -> Reading | None:
        """`build(con, rows)` of the rows of `table` about first…last (`store.scan`), as kept under `key` while the
        partitions are unchanged; None when no partition of the period was computed."""
        paths = store.files(self.root, table, first, last)
        try:
            stamp = tuple((str(p), st.st_ino, st.st_mtime_ns, st.st_size) for p in paths for st in (p.stat(),))
        except FileNotFoundError:  # replaced or removed meanwhile: read it as it is now
            stamp = ()
        cache_key = (str(self.root), table.name, first, last, key)
        with _KEPT_LOCK:
            kept = _KEPT.get(cache_key)
            if kept is not None and stamp and kept[0] == stamp:
                _KEPT.move_to_end(cache_key)
                value: Reading = kept[1]
                return value
        t = store.scan(self.con(), self.root, table, first, last)
        if t is None:
            return None
        value = build(self.con(), t)
        if stamp:
            with _KEPT_LOCK:
                _KEPT[cache_key] = (stamp, value)
                while len(_KEPT) > KEPT_READS:
                    _KEPT.popitem(last=False)
        return value


class _LazyBackend:
    """The backend of a `ResultReads`, opened on its first use."""

    def __init__(self, reads: ResultReads) -> None:
        self._reads = reads

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reads.con(), name)


def latest_hours(reads: ResultReads, site_ids: Sequence[int], today: date) -> dict[int, tuple[datetime, Aqi]]:
    """The newest hour with an AQI of each station in today's and yesterday's results: its start (local time)
    and its AQI."""
    newest = _newest(reads, AIR_HOUR, "site_id", today)
    return {site_id: newest[site_id] for site_id in site_ids if site_id in newest}


def latest_area_hour(reads: ResultReads, region_id: int, today: date) -> tuple[datetime, Aqi] | None:
    """An area's newest hour with an AQI in today's and yesterday's results (its start, local time), and that
    AQI: the area's "AQI now"."""
    return _newest(reads, AIR_HOUR_AREA, "region_id", today).get(region_id)


def newest_rows(t: Any, subject: str) -> Any:
    """Of hourly result rows, each subject's (`site_id` or `region_id`) newest one with an AQI."""
    t = t.filter(t.aqi.notnull())
    t = t.mutate(_newest=ibis.row_number().over(group_by=t[subject], order_by=ibis.desc(t.hour_start)))
    return t.filter(t._newest == 0).drop("_newest")


def _newest(reads: ResultReads, table: store.ResultTable, subject: str, today: date) -> dict[int, tuple[datetime, Aqi]]:
    def build(con: Any, t: Any) -> dict[int, tuple[datetime, Aqi]]:
        t = newest_rows(t, subject).select(subject, "hour_start", "day", "aqi", "level", "primary")
        rows = con.to_pyarrow(t).to_pylist()
        return {int(r[subject]): (r["hour_start"], _aqi(r, "hourly", r["day"])) for r in rows}

    first = today - timedelta(days=HOUR_DAYS - 1)
    return reads.read(table, first, today, "newest", build) or {}


def area_days(reads: ResultReads, region_ids: Sequence[int], first: date, last: date) -> dict[tuple[int, date], DayAqi]:
    """The daily AQI of areas on the days first…last, by (region id, day)."""
    wanted = sorted(set(region_ids))
    keys = [name for name in AIR_DAY_AREA.schema.names if name.endswith(("_24h", "_8h"))]

    def build(con: Any, t: Any) -> dict[tuple[int, date], DayAqi]:
        t = t.filter(t.region_id.isin(wanted)).select("region_id", "day", "aqi", "level", "primary", *keys)
        found: dict[tuple[int, date], DayAqi] = {}
        for row in con.to_pyarrow(t).to_pylist():
            day = row["day"]
            found[(int(row["region_id"]), day)] = DayAqi(day, _aqi(row, "daily", day), {k: row[k] for k in keys})
        return found

    if not wanted:
        return {}
    return reads.read(AIR_DAY_AREA, first, last, tuple(wanted), build) or {}
