"""Reads of outlet compliance for pages and the API, scoped to the principal: the outlet sites they may see, their
kept months (OUTLET_MONTH) and their last days of values against the permit limits (through the analytics layer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import ibis
import ibis.expr.datatypes as dt
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.analytics import backends, sites
from ecoloop.analytics import sources as expressions
from ecoloop.analytics.sites import StoredReadings
from ecoloop.enterprises.models import Enterprise, Outlet
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.quality import INVALID_FLAGS, pooled, rates
from ecoloop.readings.store import HotStore
from ecoloop.readings.vocabulary import Interval
from ecoloop.regions.models import Region
from ecoloop.results import store
from ecoloop.results.sources import (
    OUTLET_MONTH,
    SOURCE_KINDS,
    OutletLimitRow,
    Segment,
    limits_table,
    month_end,
    source_network,
)
from ecoloop.settings import Settings
from ecoloop.standards.emission import MIN_VALID_HOURS_PER_DAY

RECENT_DAYS = 30
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class OutletSite:
    """An outlet site as the compliance pages name it: its code and name, the permit outlet it measures, its
    enterprise and the enterprise's region."""

    site_id: int
    code: str
    name: str
    outlet: str
    enterprise_id: int | None
    enterprise: str
    region: str


def outlet_sites(session: Session, principal: Principal, enterprise_id: int | None = None) -> list[OutletSite]:
    """The outlet sites the principal may see (of one enterprise when given), by enterprise and code."""
    stmt = (
        select(Site.id, Site.code, Site.name, Site.enterprise_id, Enterprise.name, Region.name)
        .outerjoin(Enterprise, Enterprise.id == Site.enterprise_id)
        .join(Region, Region.id == Site.region_id)
        .where(Site.kind.in_(SOURCE_KINDS))
    )
    stmt = scoped(stmt, principal, Site)
    if enterprise_id is not None:
        stmt = stmt.where(Site.enterprise_id == enterprise_id)
    rows = list(session.execute(stmt.order_by(Enterprise.name, Site.code)))
    codes: dict[int, str] = {}
    ids = [r[0] for r in rows]
    if ids:
        for site_id, code in session.execute(select(Outlet.site_id, Outlet.code).where(Outlet.site_id.in_(ids))):
            if site_id is not None:
                codes.setdefault(site_id, code)
    return [
        OutletSite(site_id, code, name, codes.get(site_id, ""), ent_id, ent_name or "", region)
        for site_id, code, name, ent_id, ent_name, region in rows
    ]


def visible_outlet(session: Session, principal: Principal, site_id: int) -> OutletSite | None:
    """One outlet site, if the principal may see it."""
    found = [s for s in outlet_sites(session, principal) if s.site_id == site_id]
    return found[0] if found else None


def months_before(month: date, count: int) -> date:
    """The first day of the month `count - 1` months before `month` (so that `count` months end with it)."""
    index = month.year * 12 + month.month - 1 - (count - 1)
    return date(index // 12, index % 12 + 1, 1)


def outlet_months(settings: Settings, site_ids: Sequence[int], first: date, last: date) -> list[dict[str, Any]]:
    """The kept OUTLET_MONTH rows of `site_ids` for the months first…last (first days), by site, month and
    parameter."""
    if not site_ids:
        return []
    with backends.reading(settings) as con:
        t = store.scan(con, settings.results_root, OUTLET_MONTH, first, month_end(last))
        if t is None:
            return []
        t = t.filter(t.site_id.isin(list(site_ids))).order_by(["site_id", "month", "parameter", "averaging"])
        rows: list[dict[str, Any]] = con.to_pyarrow(t).to_pylist()
    return rows


@dataclass(frozen=True)
class Series:
    """The recent values of one outlet site's pollutant against its limit in force: hourly values compared with an
    hourly limit, or the valid daily means compared with a daily one (local times)."""

    site_id: int
    limit: OutletLimitRow
    points: list[tuple[datetime, float]]


def recent_series(
    session: Session, settings: Settings, hot: HotStore, site_ids: Sequence[int], now: datetime
) -> list[Series]:
    """The last RECENT_DAYS days of values of the sites' limited pollutants against the limits in force today, read
    and converted as `results.sources` judges them (`analytics.sources.hourly_values`)."""
    tz = settings.tz
    today = now.astimezone(tz).date()
    first = today - timedelta(days=RECENT_DAYS - 1)
    in_force: dict[tuple[int, str, str], OutletLimitRow] = {}
    for row in source_network(session, site_ids):
        key = (row.site_id, row.parameter, row.averaging)
        if row.valid_from <= today <= row.valid_to and (
            key not in in_force or row.valid_from > in_force[key].valid_from
        ):
            in_force[key] = row
    if not in_force:
        return []
    segs = [Segment(n, row, first, today) for n, row in enumerate(in_force.values())]
    start = datetime.combine(first, time(), tz)
    end = now.astimezone(tz)
    offset = end.utcoffset() or timedelta()
    stored = StoredReadings.of(hot, settings)
    points: dict[int, list[tuple[datetime, float]]] = {s.number: [] for s in segs}
    with stored.backend() as con:
        readings = sites.period_readings(
            con, stored, sorted({s.row.site_id for s in segs}), [Interval.HOUR], start, end
        )
        hours = expressions.hourly_values(readings, limits_table(segs), offset, INVALID_FLAGS)
        hourly = hours.filter((hours.averaging == "hour") & hours.judged)
        for r in sites.rows(con, hourly.select("segment", "hour_start", "used").order_by(["segment", "hour_start"])):
            points[r["segment"]].append((_local(r["hour_start"]), float(r["used"])))
        cut = _local_literal(end.replace(tzinfo=None) + timedelta(days=1))
        daily = expressions.daily_means(hours, cut, MIN_VALID_HOURS_PER_DAY).order_by(["segment", "day"])
        for r in sites.rows(con, daily):
            points[r["segment"]].append((datetime.combine(r["day"], time()), float(r["mean"])))
    return [Series(s.row.site_id, s.row, points[s.number]) for s in segs]


def _local(moment: datetime) -> datetime:
    """A local time that `sites.rows` handed as if it were UTC, as the naive local time it is."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def _local_literal(moment: datetime) -> Any:
    return ibis.literal(moment, type=dt.Timestamp(scale=6))


def one_decimal(value: float | None) -> str:
    """A percentage as bulletins state it: to 0.1, half even (97.22 → 97.2); blank when there is none."""
    if value is None:
        return ""
    return str(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class OutletMonth:
    """One outlet site's month on the bureau's list: its pollutants' rows summed (exceedance hours of hourly limits,
    days of daily limits, the largest multiple) and the effective rate of its pollutants pooled (expected, received
    and valid hours summed, `monitoring.quality.pooled`); None figures where the month was not computed."""

    site: OutletSite
    exceed_hours: int | None
    exceed_days: int | None
    max_multiple: float | None
    effective_rate: float | None
    rows: list[dict[str, Any]]


def area_month(session: Session, principal: Principal, settings: Settings, month: date) -> list[OutletMonth]:
    """The outlet sites the principal may see with their figures of `month` (a first day)."""
    outlets = outlet_sites(session, principal)
    kept = outlet_months(settings, [s.site_id for s in outlets], month, month)
    by_site: dict[int, list[dict[str, Any]]] = {}
    for r in kept:
        by_site.setdefault(r["site_id"], []).append(r)
    found = []
    for site in outlets:
        rows = by_site.get(site.site_id, [])
        if not rows:
            found.append(OutletMonth(site, None, None, None, None, []))
            continue
        hours = [r["exceed_hours"] for r in rows if r["exceed_hours"] is not None]
        days = [r["exceed_days"] for r in rows if r["exceed_days"] is not None]
        multiples = [r["max_multiple"] for r in rows if r["max_multiple"] is not None]
        parts = [rates(r["hours_expected"], r["hours_received"], r["hours_valid"]) for r in rows]
        found.append(
            OutletMonth(
                site,
                sum(hours) if hours else None,
                sum(days) if days else None,
                max(multiples) if multiples else None,
                float(pooled(parts).effective),
                rows,
            )
        )
    return found
