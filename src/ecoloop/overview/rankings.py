"""The rankings page (赛马, issue 16 part 5): counties, the towns of a county or the stations ranked by air quality
over a month, a quarter, the year to date or any from-to period (`results.rankings`), with the same period last
year, the movement against the previous period, the targets of the year, the handling of cases by unit
(`cases.queries.handling_by_unit`) and the water by CWQI of a month (`results.water_queries`); its Excel export and
its JSON API.

It sits in the top layer because it joins results with cases. Who sees what: the county ranking of the whole city
is published to every county (a branch sees its neighbours ranked with their targets: docs/access.md); towns and
stations only within the principal's area; cases as the case scope allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.analytics import backends
from ecoloop.cases.queries import UnitHandling, handling_by_unit
from ecoloop.db.base import RowId
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.i18n import N_, gettext
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.queries import site_rows
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import area_of, get_region, list_regions, published_counties
from ecoloop.results import periods, rankings, targets, water_queries
from ecoloop.results.ranking_schemas import RankingOut, RankingRowOut, WaterRankingOut, WaterRankOut
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import filter_day, local_today
from ecoloop.web.templating import render

Level = Literal["county", "town", "station"]
LEVEL_LABELS: dict[Level, str] = {"county": N_("Counties"), "town": N_("Towns of a county"), "station": N_("Stations")}
PERIOD_LABELS: dict[periods.Kind, str] = {
    "month": N_("Month"),
    "quarter": N_("Quarter"),
    "ytd": N_("Year to date"),
    "range": N_("From - to"),
}
MAX_STATIONS = 5000
ROW_ID: TypeAdapter[int] = TypeAdapter(RowId)
Day = Annotated[str, Query(max_length=10)]

router = APIRouter()


@dataclass(frozen=True)
class Asked:
    """What a ranking request asks for, read from its query (unreadable dates fall back: `problem` says so)."""

    level: Level
    by: rankings.By
    period: periods.Period
    county: Region | None
    problem: str | None = None


@dataclass(frozen=True)
class Ranking:
    """A ranking as the page, the workbook and the API show it."""

    asked: Asked
    rows: list[rankings.Row]
    last_year: periods.Period
    previous: periods.Period | None
    handling: list[UnitHandling] | None  # None: the role sees no cases
    counties: list[Region]  # the counties a town or station ranking may be of
    area: Region | None  # the user's own area, with its standard periods against last year and targets
    standings: list[rankings.Standing]
    water: WaterRanking


@dataclass(frozen=True)
class WaterRanking:
    """The counties and the sections by CWQI of one month (the latest with water results up to the period's end),
    against the same month last year (`water_queries.cwqi_ranking`, `section_cwqi_ranking`)."""

    month: date
    base: date
    counties: list[water_queries.CwqiEntry]
    sections: list[water_queries.CwqiEntry]


def water_ranking(db: Session, p: Principal, settings: Settings, day: date) -> WaterRanking:
    """The principal's counties and sections ranked by CWQI in the latest month up to `day`'s with results."""
    kept = water_queries.KeptResults.of(settings)
    month = water_queries.latest_month(db, p, kept, day)
    base = month.replace(year=month.year - 1)
    return WaterRanking(
        month,
        base,
        water_queries.cwqi_ranking(db, p, kept, month, base, RegionLevel.COUNTY),
        water_queries.section_cwqi_ranking(db, p, kept, month, base),
    )


def _period(
    settings: Settings, kind: periods.Kind, day: str, start: str, end: str
) -> tuple[periods.Period, str | None]:
    """The period asked for; the year to date ending yesterday when none, or when its dates cannot be read."""
    yesterday = local_today(settings) - timedelta(days=1)
    anchor = filter_day(day) or yesterday
    if kind == "range" or start or end:
        first, last = filter_day(start), filter_day(end)
        if first is None or last is None:
            return periods.standard_period("ytd", yesterday), gettext("The dates of the period could not be read.")
        try:
            return periods.range_period(first, last), None
        except ValueError:
            message = gettext("The period must end after it begins and last at most three years.")
            return periods.standard_period("ytd", yesterday), message
    problem = gettext("The date could not be read.") if day and filter_day(day) is None else None
    return periods.standard_period(kind, anchor), problem


def _ask(
    db: Session, p: Principal, settings: Settings, level: Level, by: rankings.By, kind: periods.Kind, day: str,
    start: str, end: str, county: str,
) -> Asked:  # fmt: skip
    period, problem = _period(settings, kind, day, start, end)
    chosen = None
    if county.strip():
        region_id = _row_id(county)
        chosen = get_region(db, p, region_id) if region_id is not None else None
        if chosen is None or chosen.level is not RegionLevel.COUNTY:
            raise HTTPException(404)
    elif level == "town":
        own = area_of(db, p)
        chosen = own if own is not None and own.level is RegionLevel.COUNTY else None
        if chosen is None:
            counties = list_regions(db, p, level=RegionLevel.COUNTY)
            chosen = counties[0] if counties else None
    return Asked(level, by, period, chosen, problem)


def _row_id(text: str) -> int | None:
    """A region id from the query, None when it is not one a row can have."""
    try:
        return ROW_ID.validate_python(text.strip())
    except ValidationError:
        return None


def _subjects(db: Session, p: Principal, asked: Asked) -> tuple[periods.Scope, list[rankings.Subject]]:
    if asked.level == "county":
        regions = published_counties(db, p)
    elif asked.level == "town":
        county = asked.county
        regions = [] if county is None else list_regions(db, p, level=RegionLevel.TOWN, parent_code=county.code)
    else:
        region = asked.county or area_of(db, p)
        sites = site_rows(db, p, kind=SiteKind.AIR_STATION, region=region, limit=MAX_STATIONS)
        return "stations", [rankings.Subject(r.site.id, r.site.code, r.site.name) for r in sites]
    return "areas", [rankings.Subject(r.id, r.code, r.name) for r in regions]


def build(db: Session, p: Principal, settings: Settings, asked: Asked) -> Ranking:
    """Rank the asked subjects over the asked period (statistics read on the analytics engine)."""
    scope, subjects = _subjects(db, p, asked)
    ids = [s.id for s in subjects]
    period = asked.period
    previous = period.previous()
    year = period.last.year
    area = area_of(db, p)
    own = targets.targets_of(db, p, year).get(area.id) if area is not None else None
    own_target = rankings.Target(own.good_ratio_target, own.pm25_target, own.heavy_days_target) if own else None
    with backends.reading(settings) as con:
        changes = periods.compared(con, settings.results_root, scope, period, ids)
        before = periods.compared(con, settings.results_root, scope, previous, ids) if previous else None
        standings = rankings.standings(con, settings.results_root, area.id, period.last, own_target) if area else []
    found: dict[int, rankings.Target] = {}
    if scope == "areas":
        stored = (
            targets.published_targets(db, ids, year) if asked.level == "county" else targets.targets_of(db, p, year)
        )
        found = {
            k: rankings.Target(t.good_ratio_target, t.pm25_target, t.heavy_days_target)
            for k, t in stored.items()
            if k in set(ids)
        }
    rows = rankings.rank_rows(subjects, changes, asked.by, before, found)
    handling = None
    if allowed(p, Action.VIEW_CASES):
        tz = settings.tz
        start = datetime.combine(period.first, time(), tz)
        end = datetime.combine(period.last + timedelta(days=1), time(), tz)
        handling = handling_by_unit(db, p, start, end, tz)
    counties = published_counties(db, p) if asked.level == "county" else list_regions(db, p, level=RegionLevel.COUNTY)
    water = water_ranking(db, p, settings, period.last)
    return Ranking(asked, rows, period.last_year(), previous, handling, counties, area, standings, water)


Levels = Annotated[Level, Query()]
County = Annotated[str, Query(max_length=12)]  # a region id, or empty for all (the form's "all" option)
Bys = Annotated[rankings.By, Query()]
Kinds = Annotated[periods.Kind, Query()]
Start = Annotated[str, Query(alias="from", max_length=10)]
End = Annotated[str, Query(alias="to", max_length=10)]


@router.get("/rankings", include_in_schema=False)
def rankings_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))],
    settings: SettingsDep,
    level: Levels = "county",
    by: Bys = "composite",
    period: Kinds = "ytd",
    day: Day = "",
    start: Start = "",
    end: End = "",
    county: County = "",
) -> Response:
    """The ranking page: the chosen ranking, its movement and targets, and the handling of cases by unit."""
    asked = _ask(db, user.principal, settings, level, by, period, day, start, end, county)
    found = build(db, user.principal, settings, asked)
    context = {
        "ranking": found,
        "chart": chart(found),
        "labels": {"levels": LEVEL_LABELS, "bys": rankings.BY_LABELS, "kinds": PERIOD_LABELS},
        "query": request.url.query,
        "manages_targets": allowed(user.principal, Action.MANAGE_TARGETS),
    }
    return render(request, "overview/rankings.html", context, user=user)


@router.get("/rankings.xlsx", include_in_schema=False)
def rankings_export(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))],
    settings: SettingsDep,
    level: Levels = "county",
    by: Bys = "composite",
    period: Kinds = "ytd",
    day: Day = "",
    start: Start = "",
    end: End = "",
    county: County = "",
) -> Response:
    """The ranking as an Excel workbook: the ranking sheet, then the handling of cases by unit."""
    asked = _ask(db, user.principal, settings, level, by, period, day, start, end, county)
    found = build(db, user.principal, settings, asked)
    name = f"ranking-{level}-{asked.period.first.isoformat()}-{asked.period.last.isoformat()}.xlsx"
    return download(workbook(found), name, XLSX)


@router.get("/api/v1/rankings", response_model=RankingOut, tags=["results"])
def api_rankings(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))],
    settings: SettingsDep,
    level: Levels = "county",
    by: Bys = "composite",
    period: Kinds = "ytd",
    day: Day = "",
    start: Start = "",
    end: End = "",
    county: County = "",
) -> RankingOut:
    """A ranking of counties, the towns of a county or stations over a period (`from`/`to`, or `period` with
    `day`), best first, with the same period last year, the previous period's rank and the year's targets; and the
    counties and sections by CWQI of the latest month with water results up to the period's end."""
    asked = _ask(db, user.principal, settings, level, by, period, day, start, end, county)
    if asked.problem:
        raise HTTPException(422, asked.problem)
    found = build(db, user.principal, settings, asked)
    previous = found.previous
    return RankingOut(
        level=level,
        by=by,
        first=asked.period.first,
        last=asked.period.last,
        last_year_first=found.last_year.first,
        last_year_last=found.last_year.last,
        previous_first=previous.first if previous else None,
        previous_last=previous.last if previous else None,
        rows=[RankingRowOut.of(r) for r in found.rows],
        water=WaterRankingOut(
            month=found.water.month,
            base_month=found.water.base,
            counties=[WaterRankOut.of(e) for e in found.water.counties],
            sections=[WaterRankOut.of(e) for e in found.water.sections],
        ),
    )


_CHART_VALUES: dict[str, Callable[[rankings.Row], Decimal | None]] = {
    "composite": lambda r: r.change.now.composite_index if r.change.now else None,
    "pm25": lambda r: r.change.now.pm25 if r.change.now else None,
    "good_ratio": lambda r: r.change.now.good_ratio if r.change.now else None,
    "composite_change": lambda r: r.change.composite_rate,
    "pm25_change": lambda r: r.change.pm25_rate,
    "good_ratio_change": lambda r: r.change.good_ratio_points,
}


def chart(found: Ranking) -> dict[str, object] | None:
    """An ECharts option: the ranked subjects' chosen statistic as bars, best on top (None when nothing ranks)."""
    ranked = [r for r in found.rows if r.rank is not None]
    if not ranked:
        return None
    value = _CHART_VALUES[found.asked.by]
    ranked.reverse()  # ECharts draws the first category at the bottom
    return {
        "grid": {"left": 8, "right": 48, "top": 8, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "value", "scale": False},
        "yAxis": {"type": "category", "data": [r.subject.name for r in ranked]},
        "series": [
            {
                "type": "bar",
                "name": gettext(rankings.BY_LABELS[found.asked.by]),
                "data": [_text(value(r)) for r in ranked],
                "label": {"show": True, "position": "right"},
                "itemStyle": {"color": "#3b7dd8"},
            }
        ],
    }


def _text(value: Decimal | int | None) -> float | None:
    """A published value as a number cell (None: an empty cell)."""
    return None if value is None else float(value)


def workbook(found: Ranking) -> bytes:
    """The ranking, the water by CWQI and the handling of cases as an .xlsx workbook (through `ecoloop.exports`)."""
    book = new_workbook()
    sheet = book.create_sheet(gettext("Ranking"))
    period = found.asked.period
    append_row(sheet, [gettext("Period"), f"{period.first.isoformat()} - {period.last.isoformat()}"])
    append_row(sheet, [gettext("Ranked by"), gettext(rankings.BY_LABELS[found.asked.by])])
    append_row(sheet, [gettext(HEADER[n][0]) + HEADER[n][1] for n in range(len(HEADER))])
    for row in found.rows:
        now, before = row.change.now, row.change.before
        append_row(
            sheet,
            [
                row.rank,
                row.previous_rank,
                row.subject.code,
                row.subject.name,
                _text(now.composite_index if now else None),
                _text(before.composite_index if before else None),
                _text(row.change.composite_rate),
                _text(now.pm25 if now else None),
                _text(before.pm25 if before else None),
                _text(row.change.pm25_rate),
                _text(now.pm10 if now else None),
                _text(now.o3_p90 if now else None),
                _text(now.co_p95 if now else None),
                _text(now.good_ratio if now else None),
                _text(before.good_ratio if before else None),
                _text(row.change.good_ratio_points),
                now.heavy_days if now else None,
                *(list(now.level_days) if now else [None] * 6),
                _text(row.target.good_ratio if row.target else None),
                _met(row.good_check),
                _text(row.target.pm25 if row.target else None),
                _met(row.pm25_check),
            ],
        )
    water = book.create_sheet(gettext("Water by CWQI"))
    append_row(water, [gettext("Month"), found.water.month.strftime("%Y-%m")])
    append_row(water, [gettext("Same month last year"), found.water.base.strftime("%Y-%m")])
    append_row(water, [gettext(WATER_HEADER[n][0]) + WATER_HEADER[n][1] for n in range(len(WATER_HEADER))])
    for n, entries in enumerate((found.water.counties, found.water.sections)):
        for e in entries:
            cells = [e.rank, e.code, e.name, e.sections, _text(e.cwqi), _text(e.base), _text(e.change)]
            append_row(water, [gettext(WATER_RANKED[n]), *cells])
    if found.handling is not None:
        cases = book.create_sheet(gettext("Handling of cases"))
        append_row(cases, [gettext(HANDLING_HEADER[n]) for n in range(len(HANDLING_HEADER))])
        for unit in found.handling:
            append_row(cases, [unit.name, unit.cases, unit.closed_on_time, unit.overdue, unit.supervised])
    data: bytes = workbook_bytes(book)
    return data


def _met(check: periods.TargetCheck | None) -> str | None:
    if check is None:
        return None
    return gettext("Met") if check.met else gettext("Not met")


# The columns of the workbook: a message and the unit written after it.
HEADER = (
    (N_("Rank"), ""),
    (N_("Rank in the previous period"), ""),
    (N_("Code"), ""),
    (N_("Name"), ""),
    (N_("Composite index"), ""),
    (N_("Composite index last year"), ""),
    (N_("Change of the composite index"), " (%)"),
    (N_("PM2.5"), " (µg/m³)"),
    (N_("PM2.5 last year"), " (µg/m³)"),
    (N_("Change of PM2.5"), " (%)"),
    (N_("PM10"), " (µg/m³)"),
    (N_("O3 90th percentile of MDA8"), " (µg/m³)"),
    (N_("CO 95th percentile"), " (mg/m³)"),
    (N_("Good-day ratio"), " (%)"),
    (N_("Good-day ratio last year"), " (%)"),
    (N_("Change of the good-day ratio (percentage points)"), ""),
    (N_("Heavy-pollution days"), ""),
    (N_("Excellent days"), ""),
    (N_("Good days"), ""),
    (N_("Lightly polluted days"), ""),
    (N_("Moderately polluted days"), ""),
    (N_("Heavily polluted days"), ""),
    (N_("Severely polluted days"), ""),
    (N_("Good-day ratio target"), " (%)"),
    (N_("Good-day ratio target met"), ""),
    (N_("PM2.5 target"), " (µg/m³)"),
    (N_("PM2.5 target met"), ""),
)

WATER_RANKED = (N_("County"), N_("Section"))  # the water sheet's two rankings, in order
WATER_HEADER = (
    (N_("Ranked"), ""),
    (N_("Rank"), ""),
    (N_("Code"), ""),
    (N_("Name"), ""),
    (N_("Number of sections"), ""),
    (N_("CWQI"), ""),
    (N_("Same month last year"), ""),
    (N_("Change"), " (%)"),
)

HANDLING_HEADER = (
    N_("Lead unit"),
    N_("Cases registered"),
    N_("Closed on time"),
    N_("Overdue"),
    N_("Supervision notices received"),
)
