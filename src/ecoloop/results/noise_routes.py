"""Noise pages (声环境): the stations of a month with their compliance (达标率) by day and by night, per station and
per GB 3096 function-zone class; a station's daily Ld and Ln charted against its zone's limits; the month table as
.xlsx/.csv; the days of a station as JSON (`GET /api/v1/noise/stations/{site_id}/days`)."""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ecoloop.access.actions import Action
from ecoloop.analytics.backends import reading
from ecoloop.db.base import RowId, utcnow
from ecoloop.i18n import gettext
from ecoloop.monitoring.enums import NoiseZone
from ecoloop.results import noise_queries as queries
from ecoloop.results.noise_export import month_csv, month_workbook
from ecoloop.results.noise_queries import NoiseDay
from ecoloop.results.noise_schemas import NoiseStationDaysOut
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.templating import render

router = APIRouter()

MAX_MONTHS = 12
MAX_API_DAYS = 366
LABELS = {"zones": {zone.value: zone.label for zone in NoiseZone}}

Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))]
Month = Annotated[str, Query(max_length=7)]


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


@router.get("/noise", include_in_schema=False)
def noise_page(request: Request, db: DbSession, user: Viewer, settings: SettingsDep, month: Month = "") -> Response:
    """The noise stations of a month: zone, compliance by day and by night, latest Ld and Ln; compliance per zone."""
    first, last = queries.month_bounds(month, _today(settings))
    with reading(settings) as con:
        found = queries.overview(db, user.principal, con, settings.results_root, first, last)
    context = {"o": found, "month": f"{first:%Y-%m}", "labels": LABELS}
    return render(request, "results/noise_index.html", context, user=user)


@router.get("/noise/month.xlsx", include_in_schema=False)
def noise_month_xlsx(db: DbSession, user: Viewer, settings: SettingsDep, month: Month = "") -> Response:
    """The month table as a workbook: the stations' compliance and their days."""
    first, last = queries.month_bounds(month, _today(settings))
    with reading(settings) as con:
        found = queries.overview(db, user.principal, con, settings.results_root, first, last)
    return download(month_workbook(found), f"noise-{first:%Y-%m}.xlsx", XLSX)


@router.get("/noise/month.csv", include_in_schema=False)
def noise_month_csv(db: DbSession, user: Viewer, settings: SettingsDep, month: Month = "") -> Response:
    """The month's station-days as CSV."""
    first, last = queries.month_bounds(month, _today(settings))
    with reading(settings) as con:
        found = queries.overview(db, user.principal, con, settings.results_root, first, last)
    return download(month_csv(found), f"noise-{first:%Y-%m}.csv", "text/csv; charset=utf-8")


@router.get("/noise/stations/{site_id:id}", include_in_schema=False)
def noise_station_page(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    site_id: RowId,
    month: Month = "",
    months: Annotated[int, Query(ge=1, le=MAX_MONTHS)] = 1,
) -> Response:
    """One noise station: daily Ld and Ln against its zone's limits over `months` months ending with `month`."""
    first, last = queries.month_bounds(month, _today(settings))
    for _ in range(months - 1):
        first = queries.month_bounds(f"{first - timedelta(days=1):%Y-%m}", first)[0]
    with reading(settings) as con:
        found = queries.station(db, user.principal, con, settings.results_root, site_id, first, last)
    if found is None:
        raise HTTPException(404)
    context = {
        "s": found,
        "month": f"{last:%Y-%m}",
        "months": months,
        "first": first,
        "last": last,
        "chart": daily_chart(found.days),
        "labels": LABELS,
    }
    return render(request, "results/noise_station.html", context, user=user)


@router.get("/api/v1/noise/stations/{site_id:id}/days", response_model=NoiseStationDaysOut, tags=["results"])
def api_noise_station_days(
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    site_id: RowId,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
) -> NoiseStationDaysOut:
    """A noise station's days from `from` to `to` (local dates, inclusive; default this month, at most 366 days):
    Ld, Ln, hours, limits and verdicts of GB 3096, and the period's compliance."""
    default_first, default_last = queries.month_bounds("", _today(settings))
    first, last = start or default_first, end or default_last
    if last < first or (last - first).days >= MAX_API_DAYS:
        raise HTTPException(422, f"bad period: from must not be after to, at most {MAX_API_DAYS} days")
    with reading(settings) as con:
        found = queries.station(db, user.principal, con, settings.results_root, site_id, first, last)
    if found is None:
        raise HTTPException(404)
    return NoiseStationDaysOut.of(found, first, last)


def daily_chart(days: list[NoiseDay]) -> dict[str, Any]:
    """The ECharts option of a station's daily Ld and Ln with the zone's day and night limits (dashed)."""
    names = [gettext("Ld"), gettext("Ln"), gettext("Day limit"), gettext("Night limit")]
    series = [
        (names[0], [d.ld if d.day_valid else None for d in days], "#d9822b", "solid"),
        (names[1], [d.ln if d.night_valid else None for d in days], "#2b6cb0", "solid"),
        (names[2], [d.ld_limit for d in days], "#d9822b", "dashed"),
        (names[3], [d.ln_limit for d in days], "#2b6cb0", "dashed"),
    ]
    shown = [v for _name, values, _colour, _style in series for v in values if v is not None]
    low, high = (min(shown), max(shown)) if shown else (40.0, 70.0)
    return {
        "animation": False,  # drawn at once: the page's numbers and the chart agree whenever it is looked at
        "tooltip": {"trigger": "axis"},
        "legend": {"data": names, "top": 0},
        "grid": {"left": 50, "right": 20, "top": 50, "bottom": 30},
        "xAxis": {"type": "category", "data": [d.day.isoformat() for d in days]},
        # Whole 5 dB steps around the levels and the limits, so that a limit line never lies on the axis.
        "yAxis": {
            "type": "value",
            "name": "dB(A)",
            "min": 5 * math.floor(low / 5 - 0.5),
            "max": 5 * math.ceil(high / 5 + 0.5),
        },
        "series": [
            {
                "name": name,
                "type": "line",
                "data": values,
                "connectNulls": False,
                "symbol": "circle" if style == "solid" else "none",
                "step": "middle" if style == "dashed" else False,
                "lineStyle": {"color": colour, "type": style},
                "itemStyle": {"color": colour},
            }
            for name, values, colour, style in series
        ],
    }
