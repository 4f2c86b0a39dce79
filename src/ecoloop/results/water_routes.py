"""Water quality pages: the month's class of every section the user sees with the area's summary (`/water`), its
export, a section's last 24 months (`/water/sections/{id}`) and the same months as JSON for other systems."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ecoloop.access.actions import Action
from ecoloop.db.base import RowId, utcnow
from ecoloop.exports import append_row, csv_bytes, new_workbook, workbook_bytes
from ecoloop.i18n import N_, gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.results import water_pages as pages
from ecoloop.results import water_queries as queries
from ecoloop.results.schemas import MainPollutantOut, WaterMonthOut, WaterSectionMonthsOut
from ecoloop.results.water import month_start
from ecoloop.results.water_queries import KeptResults, SectionMonth
from ecoloop.settings import Settings
from ecoloop.standards.water import WaterGrade
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.templating import render

router = APIRouter()

MONTH = re.compile(r"(\d{4})-(\d{2})")
# Months a page may show: two years of room on either side of any date arithmetic (24 months back, a year back).
FIRST_YEAR, LAST_YEAR = 1900, 9997
MonthQuery = Annotated[str, Query(max_length=7)]
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))]
SHEET = N_("Water quality")


def _month(text: str, default: date) -> date:
    """`YYYY-MM` as the first day of the month (`default` when empty); 404 for any other text."""
    if not text:
        return default
    found = MONTH.fullmatch(text)
    if found is None or not 1 <= int(found[2]) <= 12 or not FIRST_YEAR <= int(found[1]) <= LAST_YEAR:
        raise HTTPException(404)
    return date(int(found[1]), int(found[2]), 1)


def _today(settings: Settings) -> date:
    return utcnow().astimezone(settings.tz).date()


def _shift(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


@router.get("/water", include_in_schema=False)
def water_month(
    request: Request, db: DbSession, user: Viewer, settings: SettingsDep, month: MonthQuery = ""
) -> Response:
    """The sections' classes of one month (the latest with results by default), the area's summary and chart."""
    kept = KeptResults.of(settings)
    chosen = _month(month, queries.latest_month(db, user.principal, kept, _today(settings)))
    rows, summary = queries.month_table(db, user.principal, kept, chosen)
    indicators = pages.indicators_of([m for _s, m in rows if m is not None])
    context = {
        "month": chosen,
        "previous": _shift(chosen, -1),
        "next": _shift(chosen, 1) if chosen < month_start(_today(settings)) else None,
        "rows": rows,
        "summary": summary,
        "indicators": indicators,
        "grades": list(WaterGrade),
        "chart": pages.distribution_chart(summary),
        "ranking": queries.cwqi_ranking(db, user.principal, kept, chosen, _shift(chosen, -12), RegionLevel.COUNTY),
        "pages": pages,
    }
    return render(request, "results/water_month.html", context, user=user)


def _export_rows(db: DbSession, user: CurrentUser, settings: Settings, month: str) -> list[list[object]]:
    kept = KeptResults.of(settings)
    chosen = _month(month, queries.latest_month(db, user.principal, kept, _today(settings)))
    rows, _summary = queries.month_table(db, user.principal, kept, chosen)
    return pages.month_export_rows(rows, pages.indicators_of([m for _s, m in rows if m is not None]))


@router.get("/water.xlsx", include_in_schema=False)
def water_month_xlsx(db: DbSession, user: Viewer, settings: SettingsDep, month: MonthQuery = "") -> Response:
    """The month's table as an Excel workbook."""
    book = new_workbook()
    sheet = book.create_sheet(gettext(SHEET))
    for row in _export_rows(db, user, settings, month):
        append_row(sheet, row)
    return download(workbook_bytes(book), f"water-{month or 'latest'}.xlsx", XLSX)


@router.get("/water.csv", include_in_schema=False)
def water_month_csv(db: DbSession, user: Viewer, settings: SettingsDep, month: MonthQuery = "") -> Response:
    """The month's table as CSV."""
    data = csv_bytes(_export_rows(db, user, settings, month))
    return download(data, f"water-{month or 'latest'}.csv", "text/csv; charset=utf-8")


@router.get("/water/sections/{site_id:id}", include_in_schema=False)
def water_section(
    request: Request, db: DbSession, user: Viewer, settings: SettingsDep, site_id: RowId, until: MonthQuery = ""
) -> Response:
    """A section's class per month over 24 months, each indicator's means against its target's limits, a table."""
    until_month = _month(until, month_start(_today(settings)))
    found = queries.section_history(db, user.principal, KeptResults.of(settings), site_id, until_month)
    if found is None:
        raise HTTPException(404)
    section, months, kept = found
    indicators = pages.indicators_of(list(kept.values()))
    judged_by = section.target or WaterGrade.CLASS_III
    context = {
        "section": section,
        "months": months,
        "kept": kept,
        "indicators": indicators,
        "judged_by": judged_by,
        "grade_chart": pages.grade_chart(months, kept),
        "indicator_charts": [(i, pages.indicator_chart(i, months, kept, judged_by)) for i in indicators],
        "pages": pages,
    }
    return render(request, "results/water_section.html", context, user=user)


@router.get("/api/v1/water/sections/{site_id:id}/months", response_model=WaterSectionMonthsOut, tags=["results"])
def api_water_section_months(
    db: DbSession, user: Viewer, settings: SettingsDep, site_id: RowId, until: MonthQuery = ""
) -> WaterSectionMonthsOut:
    """A section's kept months: the 24 months ending with `until` (YYYY-MM, this month by default)."""
    until_month = _month(until, month_start(_today(settings)))
    found = queries.section_history(db, user.principal, KeptResults.of(settings), site_id, until_month)
    if found is None:
        raise HTTPException(404)
    section, months, kept = found
    return WaterSectionMonthsOut(
        site_id=section.id,
        code=section.code,
        name=section.name,
        target=section.target.value if section.target else None,
        months=[_month_out(kept[m]) for m in months if m in kept],
    )


def _month_out(m: SectionMonth) -> WaterMonthOut:
    return WaterMonthOut(
        month=m.month,
        means=m.means,
        counts=m.counts,
        grade=m.grade.value if m.grade else None,
        level=m.level.value if m.level else None,
        main_pollutants=[MainPollutantOut(indicator=k, multiple=Decimal(v) if v else None) for k, v in m.main],
        cwqi=m.cwqi,
        cwqi_indicators=m.cwqi_indicators,
        target=m.target.value if m.target else None,
        meets=m.meets,
    )
