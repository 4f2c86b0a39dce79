"""The overview screen (综合态势, 大屏) of the city or of one county: the stations on the map coloured by their AQI
level, today's and yesterday's AQI of each part of the area, the area's 30-day trend, the year to date against the
target and last year, the water sections by class, the open alerts and the case funnel. `?wall=1` is the
wall-screen layout (16:9, dark, large type, no navigation, reloading itself).

It combines the results with alerts and cases, so it sits above them (issue 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.alerts.enums import AlertStatus
from ecoloop.alerts.queries import AlertFilter, AlertRow, kind_counts, search_alerts, status_counts
from ecoloop.alerts.rules import RuleKind, Severity
from ecoloop.cases.queries import case_funnel
from ecoloop.db.base import RowId
from ecoloop.regions.models import Region
from ecoloop.regions.queries import area_of, get_region
from ecoloop.results import rankings, targets
from ecoloop.results.air_charts import DARK, LIGHT, daily_bars, stations_map
from ecoloop.results.map_routes import map_url
from ecoloop.results.maps import has_map
from ecoloop.results.queries import AirOverview, ResultReads, air_overview
from ecoloop.results.water_panels import water_classes
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.forms import local_today
from ecoloop.web.templating import render

router = APIRouter()
WALL_REFRESH_SECONDS = 300  # the wall screen reloads itself: new hours arrive hourly, alerts at any time
LATEST_ALERTS = 5

Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))]


@dataclass(frozen=True)
class OpenAlerts:
    """The open alerts of an area: how many of each kind and severity (those with any), and the newest few."""

    total: int
    by_kind: list[tuple[RuleKind, int]]
    by_severity: list[tuple[Severity, int]]
    latest: list[AlertRow]


def open_alerts(session: Session, principal: Principal, region: Region) -> OpenAlerts:
    """The open alerts the principal sees in `region`'s subtree."""
    f = AlertFilter(status=AlertStatus.OPEN, region=region)
    kinds = [(kind, n) for kind, n in kind_counts(session, principal, f).items() if n]
    severities = [
        (s, status_counts(session, principal, AlertFilter(severity=s, region=region))[AlertStatus.OPEN])
        for s in reversed(Severity)
    ]
    latest = search_alerts(session, principal, f, limit=LATEST_ALERTS, offset=0)
    return OpenAlerts(sum(n for _k, n in kinds), kinds, [(s, n) for s, n in severities if n], latest)


@router.get("/screen", include_in_schema=False)
def area_screen(request: Request, db: DbSession, settings: SettingsDep, user: Viewer) -> Response:
    """The overview screen of the user's area: the city, or a branch's county."""
    region = area_of(db, user.principal)
    if region is None:
        raise HTTPException(404)
    return _screen(request, db, settings, user, region)


@router.get("/screen/regions/{region_id:id}", include_in_schema=False)
def region_screen(request: Request, region_id: RowId, db: DbSession, settings: SettingsDep, user: Viewer) -> Response:
    """The overview screen of one region the user sees (a county)."""
    region = get_region(db, user.principal, region_id)
    if region is None:
        raise HTTPException(404)
    return _screen(request, db, settings, user, region)


def _screen(request: Request, db: Session, settings: Settings, user: CurrentUser, region: Region) -> Response:
    p = user.principal
    wall = request.query_params.get("wall") == "1"
    today = local_today(settings)
    with ResultReads.of(settings) as reads:
        air = air_overview(db, p, reads, region, today)
        ytd = year_to_date(db, p, reads, region, today)
        water = water_classes(db, p, reads, region, today)
    home = area_of(db, p)
    context = {
        "region": region,
        "air": air,
        "ytd": ytd,
        "water": water,
        "wall": wall,
        "refresh": WALL_REFRESH_SECONDS,
        "alerts": open_alerts(db, p, region) if allowed(p, Action.VIEW_ALERTS) else None,
        "funnel": case_funnel(db, p, region) if allowed(p, Action.VIEW_CASES) else None,
        "charts": charts(air, wall, has_map(db, p, region)),
        "home": home if home is not None and home.id != region.id else None,
        "address": request.url.path,
    }
    return render(request, "overview/wall.html" if wall else "overview/screen.html", context, user=user)


def year_to_date(
    session: Session, principal: Principal, reads: ResultReads, region: Region, today: date
) -> rankings.Standing:
    """The area's year to date ending yesterday (the last whole day) against its target of that year and the same
    period last year: `results.rankings.standings`, the rankings page's figures."""
    day = today - timedelta(days=1)
    stored = targets.targets_of(session, principal, day.year).get(region.id)
    target = rankings.Target(stored.good_ratio_target, stored.pm25_target, stored.heavy_days_target) if stored else None
    found = rankings.standings(reads.lazy_con(), reads.root, region.id, day, target)
    return next(s for s in found if s.period.kind == "ytd")


def charts(air: AirOverview, wall: bool, with_map: bool) -> dict[str, dict[str, Any]]:
    """The screen's chart options by element id: the map of stations and the 30-day trend."""
    palette = DARK if wall else LIGHT
    url = map_url(air.region_id) if with_map else None
    return {
        "screen-map": stations_map(url, f"region-{air.region_id}", air.stations, palette),
        "screen-trend": daily_bars(air.trend, palette),
    }
