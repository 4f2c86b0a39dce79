"""The public page (`/public`, no sign-in): what a bureau publishes about its air — the current AQI of each station
on the map (the control stations listed by name too), the city's daily AQI of the last 7 or 30 days, and the daily
air-quality report (日报: yesterday's city AQI, level, primary pollutant and daily values, and each county's), and
the water sections' classes of the latest three months with results.

Only public information: station, section and area names, coordinates, AQI results and water classes; no codes of
sites, no devices, no alerts or cases. The page is phone-sized first; its reads of the results are kept while the
results are unchanged (`queries.ResultReads`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from ecoloop.monitoring.enums import StationLevel
from ecoloop.results.air_charts import daily_bars, stations_map
from ecoloop.results.map_routes import PUBLIC_MAP
from ecoloop.results.maps import has_map
from ecoloop.results.queries import ResultReads, StationNow, concentrations, public_air, public_region
from ecoloop.results.water_panels import public_water
from ecoloop.web.deps import DbSession, SettingsDep
from ecoloop.web.forms import local_today
from ecoloop.web.templating import render

router = APIRouter()
TREND_CHOICES = (7, 30)
# The stations a bureau lists by name (国控, 省控, 市控, 县控): the town and village stations are on the map only, so
# that the page stays small on a phone for a network of hundreds of micro stations.
LISTED_LEVELS = frozenset({StationLevel.NATIONAL, StationLevel.PROVINCIAL, StationLevel.CITY, StationLevel.COUNTY})


@router.get("/public", include_in_schema=False)
def public_page(request: Request, db: DbSession, settings: SettingsDep) -> Response:
    """The city's air quality as the bureau publishes it."""
    region = public_region(db)
    if region is None:
        raise HTTPException(404)
    days = 30 if request.query_params.get("days") == "30" else 7
    today = local_today(settings)
    with ResultReads.of(settings) as reads:
        air = public_air(db, reads, region, today, max(TREND_CHOICES))
        water = public_water(db, reads, region, today)
    shown = [d for d in air.trend if d.day > today - timedelta(days=days)]
    report = air.yesterday
    context = {
        "air": air,
        "water": water,
        "days": days,
        "choices": TREND_CHOICES,
        "report": report,
        "report_day": today - timedelta(days=1),
        "values": concentrations(report) if report else [],
        "stations": listed(air.stations),
        "charts": {
            "public-map": stations_map(PUBLIC_MAP if has_map(db, None, region) else None, "city", air.stations),
            "public-trend": daily_bars(shown),
        },
    }
    return render(request, "results/public.html", context)


def listed(stations: Sequence[StationNow]) -> list[StationNow]:
    """The stations with an AQI that the page lists: those of LISTED_LEVELS, or all when none has such a level."""
    with_aqi = [s for s in stations if s.aqi.aqi is not None]
    controlled = [s for s in with_aqi if s.station_level in LISTED_LEVELS]
    return controlled or with_aqi
