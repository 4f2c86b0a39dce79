"""Air quality pages: the stations and areas of the user's area with their latest AQI (`/air`), a station's or an
area's hourly and daily results with charts (`/air/stations/{id}`, `/air/areas/{id}`), several stations compared
(`/air/compare`), every series as CSV or Excel, and the results API (`/api/v1/air/…`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ecoloop.access.actions import Action
from ecoloop.access.principal import Principal
from ecoloop.analytics import backends
from ecoloop.db.base import RowId
from ecoloop.exports import append_row, csv_bytes, new_workbook, workbook_bytes
from ecoloop.i18n import gettext
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Site
from ecoloop.monitoring.queries import get_site_row, site_rows
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import get_region, list_regions
from ecoloop.results import air_queries as q
from ecoloop.results import charts
from ecoloop.results.air_schemas import AirDayOut, AirHourOut
from ecoloop.results.queries import ResultReads
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import filter_day, local_today, unreadable_day
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))]
DayText = Annotated[str, Query(alias="from", max_length=40)]
EndText = Annotated[str, Query(alias="to", max_length=40)]
DEFAULT_DAYS = 30
HOURLY_CHART_DAYS = 7
MAX_COMPARED = 8


def period(settings: Settings, start: str, end: str, longest: int) -> tuple[date, date, bool]:
    """The page's days from its `from` and `to` (default: the last DEFAULT_DAYS days to today), at most `longest`
    days ending at `to`; and whether a date could not be read (the page says so and shows the default)."""
    today = local_today(settings)
    last = filter_day(end) or today
    first = filter_day(start) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=longest - 1))
    return first, last, unreadable_day(start) or unreadable_day(end)


def _pollutant(key: str) -> q.Pollutant:
    return next((p for p in q.HOURLY if p.key == key), q.HOURLY[0])


def _visible_areas(db: DbSession, principal: Principal) -> list[Region]:
    """The areas whose results the user may see: the city and counties, and the towns of a branch's county."""
    levels = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWN)
    return [r for r in list_regions(db, principal) if r.level in levels]


def _stations(db: DbSession, principal: Principal) -> list[Any]:
    return [r for r in site_rows(db, principal, kind=SiteKind.AIR_STATION) if r.site.active]


def _station(db: DbSession, user: CurrentUser, site_id: int) -> Site:
    """The air station `site_id` if the user may see it; 404 otherwise (or for a site of another kind)."""
    row = get_site_row(db, user.principal, site_id)
    if row is None or row.site.kind is not SiteKind.AIR_STATION:
        raise HTTPException(404)
    return row.site


def _area(db: DbSession, user: CurrentUser, region_id: int) -> Region:
    """The area `region_id` if the user may see it; 404 otherwise."""
    region = get_region(db, user.principal, region_id)
    if region is None:
        raise HTTPException(404)
    return region


# The kept results of a station (`site_id`) or an area (`region_id`), hourly (False) or daily (True).
_READS = {
    ("site_id", False): q.station_hours,
    ("site_id", True): q.station_days,
    ("region_id", False): q.area_hours,
    ("region_id", True): q.area_days,
}


def _longest(daily: bool) -> int:
    return q.MAX_DAILY_DAYS if daily else q.MAX_HOURLY_DAYS


def _kept(
    settings: Settings, column: str, subject_id: int, daily: bool, first: date, last: date
) -> list[dict[str, Any]]:
    with backends.reading(settings) as con:
        return _READS[column, daily](con, settings.results_root, [subject_id], first, last)


# --- pages ----------------------------------------------------------------------------------------------------------


@router.get("/air", include_in_schema=False)
def air_overview(request: Request, db: DbSession, user: Viewer, settings: SettingsDep) -> Response:
    """The air quality of the user's area: its areas and stations with the latest hour's AQI and yesterday's."""
    p = user.principal
    visible = _visible_areas(db, p)
    areas = [a for a in visible if a.level is not RegionLevel.TOWN or len(visible) < 40]
    stations = _stations(db, p)
    today = local_today(settings)
    area_ids = [a.id for a in areas]
    site_ids = [r.site.id for r in stations]
    with ResultReads.of(settings) as reads:
        context: dict[str, Any] = {
            "areas": areas,
            "stations": stations,
            "area_latest": q.latest_hours(reads, "region_id", area_ids, today),
            "area_yesterday": q.days_of(reads, "region_id", area_ids, today - timedelta(days=1)),
            "station_latest": q.latest_hours(reads, "site_id", site_ids, today),
            "station_yesterday": q.days_of(reads, "site_id", site_ids, today - timedelta(days=1)),
        }
    context["labels"] = q.LABELS
    context["primary"] = q.primary
    return render(request, "results/air.html", context, user=user)


def _subject_page(
    request: Request,
    user: CurrentUser,
    settings: Settings,
    *,
    kind: str,
    subject: Any,
    column: str,
    start: str,
    end: str,
    pollutant: str,
    extra: dict[str, Any],
) -> Response:
    first, last, unreadable = period(settings, start, end, q.MAX_DAILY_DAYS)
    hour_first = max(first, last - timedelta(days=HOURLY_CHART_DAYS - 1))
    chosen = _pollutant(pollutant)
    with backends.reading(settings) as con:
        every_hour = _READS[column, False](con, settings.results_root, [subject.id], first, last)
        days = _READS[column, True](con, settings.results_root, [subject.id], first, last)
    counted = q.valid_hours(every_hour)
    hours = [h for h in every_hour if h["day"] >= hour_first]  # the chart shows the period's last week
    line = (f"{gettext(chosen.label)} ({chosen.unit})", [h[chosen.key] for h in hours])
    hourly_chart = charts.aqi_chart(
        gettext("Hourly AQI"), [h["hour_start"] for h in hours], [h["aqi"] for h in hours],
        [h["level"] for h in hours], line,
    )  # fmt: skip
    daily_chart = charts.aqi_chart(
        gettext("Daily AQI"), [d["day"] for d in days], [d["aqi"] for d in days], [d["level"] for d in days]
    )
    context = {
        "kind": kind,
        "subject": subject,
        "first": first,
        "last": last,
        "hour_first": hour_first,
        "unreadable": unreadable,
        "hours": hours,
        "days": list(reversed(days)),
        "valid_hours": {d: n for (_s, d), n in counted.items()},
        "hourly_chart": hourly_chart if hours else None,
        "daily_chart": daily_chart if days else None,
        "pollutants": q.HOURLY,
        "daily_pollutants": q.DAILY,
        "chosen": chosen,
        "labels": q.LABELS,
        "primary": q.primary,
        **extra,
    }
    return render(request, "results/air_subject.html", context, user=user)


@router.get("/air/stations/{site_id:id}", include_in_schema=False)
def station_page(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    site_id: RowId,
    start: DayText = "",
    end: EndText = "",
    pollutant: Annotated[str, Query(max_length=20)] = "PM2_5",
) -> Response:
    """One air station: hourly AQI with a pollutant (the last week of the period), daily AQI, a table of days."""
    site = _station(db, user, site_id)
    return _subject_page(
        request, user, settings, kind="station", subject=site, column="site_id", start=start, end=end,
        pollutant=pollutant, extra={"region_name": site.region.name},
    )  # fmt: skip


@router.get("/air/areas/{region_id:id}", include_in_schema=False)
def area_page(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    region_id: RowId,
    start: DayText = "",
    end: EndText = "",
    pollutant: Annotated[str, Query(max_length=20)] = "PM2_5",
) -> Response:
    """One area (city, county, town): its values as the mean of its stations', hourly and daily, and its stations."""
    region = _area(db, user, region_id)
    members = [r for r in _stations(db, user.principal) if r.site.region.path.startswith(region.path)]
    return _subject_page(
        request, user, settings, kind="area", subject=region, column="region_id", start=start, end=end,
        pollutant=pollutant, extra={"members": members},
    )  # fmt: skip


@router.get("/air/compare", include_in_schema=False)
def compare_page(
    request: Request,
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    site: Annotated[list[RowId], Query(max_length=MAX_COMPARED)] = [],  # noqa: B006  # FastAPI reads the default
    start: DayText = "",
    end: EndText = "",
    pollutant: Annotated[str, Query(max_length=20)] = "PM2_5",
    interval: Annotated[str, Query(max_length=8)] = "hour",
) -> Response:
    """Several stations side by side: one pollutant (or the AQI), hourly or daily, over a period."""
    stations = _stations(db, user.principal)
    by_id = {r.site.id: r.site for r in stations}
    chosen_sites = [by_id[s] for s in dict.fromkeys(site) if s in by_id][:MAX_COMPARED]
    daily = interval == "day"
    first, last, unreadable = period(settings, start, end, q.MAX_DAILY_DAYS if daily else q.MAX_HOURLY_DAYS)
    if not daily and not start:
        first = max(first, last - timedelta(days=HOURLY_CHART_DAYS - 1))
    chosen = _pollutant(pollutant) if pollutant != "aqi" else None
    key = "aqi" if chosen is None else (chosen.key if not daily else _daily_key(chosen.key))
    ids = [s.id for s in chosen_sites]
    with backends.reading(settings) as con:
        rows = (q.station_days if daily else q.station_hours)(con, settings.results_root, ids, first, last)
    time_key = "day" if daily else "hour_start"
    times = sorted({r[time_key] for r in rows})
    values: dict[int, dict[Any, Any]] = {}
    for r in rows:
        values.setdefault(int(r["site_id"]), {})[r[time_key]] = r[key]
    series = {s.name: [values.get(s.id, {}).get(t) for t in times] for s in chosen_sites}
    unit = "AQI" if chosen is None else chosen.unit
    title = "AQI" if chosen is None else gettext(chosen.label)
    summary = {
        s.id: _mean([v for v in values.get(s.id, {}).values() if v is not None]) for s in chosen_sites
    }  # fmt: skip
    context = {
        "stations": stations,
        "chosen_sites": chosen_sites,
        "chosen_ids": set(ids),
        "first": first,
        "last": last,
        "unreadable": unreadable,
        "daily": daily,
        "pollutants": q.HOURLY,
        "pollutant": pollutant if chosen is None else chosen.key,
        "chosen": chosen,
        "chart": charts.lines_chart(title, unit, times, series) if rows else None,
        "summary": summary,
        "places": 0 if chosen is None else chosen.places,
    }
    return render(request, "results/air_compare.html", context, user=user)


def _daily_key(hourly_key: str) -> str:
    return "O3_8h" if hourly_key == "O3" else f"{hourly_key}_24h"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- exports --------------------------------------------------------------------------------------------------------


def _export_rows(rows: Sequence[dict[str, Any]], daily: bool) -> list[list[Any]]:
    pollutants = q.DAILY if daily else q.HOURLY
    heading = [
        gettext("Day") if daily else gettext("Hour"),
        "AQI",
        gettext("Level of the AQI"),
        gettext("AQI category"),
    ]
    heading.append(gettext("Primary pollutant"))
    heading += [f"{gettext(p.label)} ({p.unit})" for p in pollutants]
    out: list[list[Any]] = [heading]
    for r in rows:
        level = r["level"]
        when = r["day"].isoformat() if daily else r["hour_start"].strftime("%Y-%m-%d %H:%M")
        names = "、".join(gettext(q.PRIMARY_NAMES[k]) for k in q.primary(r, "daily" if daily else "hourly"))
        line = [when, r["aqi"], level, gettext(q.CATEGORY_NAMES[level]) if level else "", names]
        line += [None if r[p.key] is None else round(r[p.key], p.places) for p in pollutants]
        out.append(line)
    return out


def _file_name(subject: str, daily: bool, first: date, last: date) -> str:
    series = gettext("daily") if daily else gettext("hourly")
    return "-".join((subject, series, first.isoformat(), last.isoformat()))


def _format(request: Request) -> str:
    return "csv" if request.url.path.endswith(".csv") else "xlsx"


def _export(
    request: Request, settings: Settings, name: str, column: str, subject_id: int, daily: bool, start: str, end: str
) -> Response:
    first, last, _ = period(settings, start, end, _longest(daily))
    rows = _kept(settings, column, subject_id, daily, first, last)
    return _series_file(_export_rows(rows, daily), _file_name(name, daily, first, last), _format(request))


def _series_file(rows: list[list[Any]], name: str, fmt: str) -> Response:
    if fmt == "csv":
        return download(csv_bytes(rows), f"{name}.csv", "text/csv; charset=utf-8")
    book = new_workbook()
    sheet = book.create_sheet(gettext("Air quality"))
    for line in rows:
        append_row(sheet, line)
    return download(workbook_bytes(book), f"{name}.xlsx", XLSX)


@router.get("/air/stations/{site_id:id}/export.csv", include_in_schema=False, name="stations_csv")
@router.get("/air/stations/{site_id:id}/export.xlsx", include_in_schema=False, name="stations_xlsx")
def station_export(
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    request: Request,
    site_id: RowId,
    start: DayText = "",
    end: EndText = "",
    series: Annotated[str, Query(max_length=8)] = "days",
) -> Response:
    """A station's hourly (`series=hours`) or daily (`days`) results of a period as CSV or Excel."""
    site = _station(db, user, site_id)
    return _export(request, settings, site.name, "site_id", site_id, series == "days", start, end)


@router.get("/air/areas/{region_id:id}/export.csv", include_in_schema=False, name="areas_csv")
@router.get("/air/areas/{region_id:id}/export.xlsx", include_in_schema=False, name="areas_xlsx")
def area_export(
    db: DbSession,
    user: Viewer,
    settings: SettingsDep,
    request: Request,
    region_id: RowId,
    start: DayText = "",
    end: EndText = "",
    series: Annotated[str, Query(max_length=8)] = "days",
) -> Response:
    """An area's hourly (`series=hours`) or daily (`days`) results of a period as CSV or Excel."""
    region = _area(db, user, region_id)
    return _export(request, settings, region.name, "region_id", region_id, series == "days", start, end)


# --- API ------------------------------------------------------------------------------------------------------------


def _api_rows(
    settings: Settings, column: str, subject_id: int, daily: bool, start: str, end: str
) -> list[dict[str, Any]]:
    """The kept rows the API answers with; 422 for a date it cannot read (a page shows its default instead)."""
    if unreadable_day(start) or unreadable_day(end):
        raise HTTPException(422, "from and to are dates, YYYY-MM-DD")
    first, last, _ = period(settings, start, end, _longest(daily))
    return _kept(settings, column, subject_id, daily, first, last)


@router.get("/api/v1/air/stations/{site_id:id}/hours", response_model=list[AirHourOut], tags=["results"])
def api_station_hours(
    db: DbSession, user: Viewer, settings: SettingsDep, site_id: RowId, start: DayText = "", end: EndText = ""
) -> list[AirHourOut]:
    """A station's hourly AQI, IAQIs and concentrations (local hour starts), at most 31 days."""
    _station(db, user, site_id)
    return [AirHourOut.of(r) for r in _api_rows(settings, "site_id", site_id, False, start, end)]


@router.get("/api/v1/air/stations/{site_id:id}/days", response_model=list[AirDayOut], tags=["results"])
def api_station_days(
    db: DbSession, user: Viewer, settings: SettingsDep, site_id: RowId, start: DayText = "", end: EndText = ""
) -> list[AirDayOut]:
    """A station's daily AQI and daily values, at most 400 days."""
    _station(db, user, site_id)
    return [AirDayOut.of(r) for r in _api_rows(settings, "site_id", site_id, True, start, end)]


@router.get("/api/v1/air/areas/{region_id:id}/hours", response_model=list[AirHourOut], tags=["results"])
def api_area_hours(
    db: DbSession, user: Viewer, settings: SettingsDep, region_id: RowId, start: DayText = "", end: EndText = ""
) -> list[AirHourOut]:
    """An area's hourly AQI from the mean of its stations' values, at most 31 days."""
    _area(db, user, region_id)
    return [AirHourOut.of(r) for r in _api_rows(settings, "region_id", region_id, False, start, end)]


@router.get("/api/v1/air/areas/{region_id:id}/days", response_model=list[AirDayOut], tags=["results"])
def api_area_days(
    db: DbSession, user: Viewer, settings: SettingsDep, region_id: RowId, start: DayText = "", end: EndText = ""
) -> list[AirDayOut]:
    """An area's daily AQI from the mean of its stations' daily values, at most 400 days."""
    _area(db, user, region_id)
    return [AirDayOut.of(r) for r in _api_rows(settings, "region_id", region_id, True, start, end)]
