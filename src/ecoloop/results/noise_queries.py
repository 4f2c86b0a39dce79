"""Reading the noise results for a principal: the noise stations they may see with each one's days (NOISE_DAY), and
the compliance of a period (达标率: compliant station-days over judged ones, by day and by night, per station, per
function-zone class and overall), computed on read from the kept days.

A station-day counts in the zone class it was judged in (the row's `zone`), so a station moved to another class
counts in each for the days judged there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.monitoring.enums import NoiseZone, SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.regions.queries import in_subtree
from ecoloop.results import store
from ecoloop.results.noise import NOISE_DAY
from ecoloop.standards.noise import ZONES, compliance_rate

MAX_STATIONS = 500


@dataclass(frozen=True)
class NoiseDay:
    """One kept station-day (a NOISE_DAY row): levels in dB(A) at 0.1, verdicts None when not judged."""

    site_id: int
    day: date
    ld: float | None
    ln: float | None
    hours_day: int
    hours_night: int
    day_valid: bool
    night_valid: bool
    lmax_night: float | None
    zone: str | None
    ld_limit: float | None
    ln_limit: float | None
    lmax_limit: float | None
    ld_exceeds: bool | None
    ln_exceeds: bool | None
    lmax_exceeds: bool | None
    ld_excess: float | None
    ln_excess: float | None
    device_leq: float | None
    device_ldn: float | None
    device_ld: float | None
    device_ln: float | None
    device_lmax_night: float | None


@dataclass
class Tally:
    """Judged and compliant station-days of a period, by day (Ld) and by night (Ln)."""

    day_judged: int = 0
    day_met: int = 0
    night_judged: int = 0
    night_met: int = 0

    def add(self, row: NoiseDay) -> None:
        if row.ld_exceeds is not None:
            self.day_judged += 1
            self.day_met += not row.ld_exceeds
        if row.ln_exceeds is not None:
            self.night_judged += 1
            self.night_met += not row.ln_exceeds

    @property
    def day_rate(self) -> Decimal | None:
        """达标率 by day in %, 0.1 (`standards.noise.compliance_rate`)."""
        return compliance_rate(self.day_met, self.day_judged)

    @property
    def night_rate(self) -> Decimal | None:
        return compliance_rate(self.night_met, self.night_judged)


@dataclass(frozen=True)
class StationMonth:
    """A station in a period: its site, its days, their tally and its latest valid day."""

    site: Site
    days: list[NoiseDay]
    tally: Tally

    @property
    def latest(self) -> NoiseDay | None:
        """The latest day with a valid Ld or Ln (today's day is not valid before its evening, nor its night)."""
        valid = [d for d in self.days if d.day_valid or d.night_valid]
        return valid[-1] if valid else None


@dataclass(frozen=True)
class ZoneMonth:
    """A function-zone class in a period: the stations judged in it and their tally."""

    zone: NoiseZone
    stations: set[int] = field(default_factory=set)
    tally: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class NoiseOverview:
    """The noise stations a principal may see over a period, per station and per zone class, and overall."""

    first: date
    last: date
    stations: list[StationMonth]
    zones: list[ZoneMonth]
    total: Tally


def month_bounds(text: str, today: date) -> tuple[date, date]:
    """The first and last day of month `YYYY-MM` (this month of `today` when empty or not a month)."""
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def _stations(principal: Principal) -> Select[Site]:
    """The noise stations in the principal's area (the regions scope: their region's subtree). Results describe an
    area's environment, so every holder of VIEW_QUALITY sees those of its area, a department too, which sees no
    monitoring equipment (`monitoring.scope`)."""
    return select(Site).where(Site.kind == SiteKind.NOISE, in_subtree(Site.region_id, principal))


def visible_stations(session: Session, principal: Principal) -> list[Site]:
    """The noise stations the principal may see, by code."""
    return list(session.scalars(_stations(principal).order_by(Site.code).limit(MAX_STATIONS)))


def read_days(con: Any, root: Path, site_ids: Sequence[int], first: date, last: date) -> dict[int, list[NoiseDay]]:
    """The kept days first…last of the given stations, by station, in order of day."""
    found: dict[int, list[NoiseDay]] = {site_id: [] for site_id in site_ids}
    t = store.scan(con, root, NOISE_DAY, first, last)
    if t is None or not site_ids:
        return found
    t = t.filter(t.site_id.isin(list(site_ids))).order_by(["site_id", "day"])
    for row in con.to_pyarrow(t.select(*NOISE_DAY.schema.names)).to_pylist():
        found[row["site_id"]].append(NoiseDay(**row))
    return found


def overview(session: Session, principal: Principal, con: Any, root: Path, first: date, last: date) -> NoiseOverview:
    """The principal's noise stations over first…last: each station's days and tally, the tally per function-zone
    class (Table 1 order) and overall."""
    sites = visible_stations(session, principal)
    days = read_days(con, root, [s.id for s in sites], first, last)
    return NoiseOverview(first, last, [_station(s, days[s.id]) for s in sites], _zones(days.values()), _total(days))


def _station(site: Site, days: list[NoiseDay]) -> StationMonth:
    tally = Tally()
    for row in days:
        tally.add(row)
    return StationMonth(site, days, tally)


def _zones(days: Iterable[list[NoiseDay]]) -> list[ZoneMonth]:
    zones: dict[str, ZoneMonth] = {}
    for station_days in days:
        for row in station_days:
            if row.zone is None or row.zone not in ZONES:
                continue
            zone = zones.setdefault(row.zone, ZoneMonth(NoiseZone(row.zone)))
            zone.stations.add(row.site_id)
            zone.tally.add(row)
    return [zones[z] for z in ZONES if z in zones]


def _total(days: dict[int, list[NoiseDay]]) -> Tally:
    total = Tally()
    for station_days in days.values():
        for row in station_days:
            total.add(row)
    return total


def station(
    session: Session, principal: Principal, con: Any, root: Path, site_id: int, first: date, last: date
) -> StationMonth | None:
    """One noise station the principal may see with its days first…last, or None (not theirs, or not noise)."""
    site = session.scalars(_stations(principal).where(Site.id == site_id)).first()
    if site is None:
        return None
    return _station(site, read_days(con, root, [site_id], first, last)[site_id])
