"""Source compliance pages (污染源达标): the outlets of the user's area with a month's exceedances and effective
transmission rate, sortable, as Excel, and one outlet site's kept months in the JSON API."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from ecoloop.access.actions import Action
from ecoloop.db.base import RowId
from ecoloop.enterprises.enums import Averaging
from ecoloop.exports import append_row, new_workbook, workbook_bytes
from ecoloop.i18n import N_, gettext
from ecoloop.readings import parameters
from ecoloop.results import source_queries as queries
from ecoloop.results.source_queries import OutletMonth, one_decimal
from ecoloop.results.source_schemas import OutletMonthOut, OutletMonthsOut
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import local_today
from ecoloop.web.templating import render

router = APIRouter()

_MONTH = re.compile(r"(\d{4})-(\d{2})")
# sort key → how rows compare (missing figures last whichever the direction).
SORTS: dict[str, Callable[[OutletMonth], Any]] = {
    "enterprise": lambda r: (r.site.enterprise, r.site.code),
    "exceed_hours": lambda r: r.exceed_hours,
    "exceed_days": lambda r: r.exceed_days,
    "max_multiple": lambda r: r.max_multiple,
    "effective": lambda r: r.effective_rate,
}


def chosen_month(text: str, settings: Settings) -> tuple[date, bool]:
    """The month `YYYY-MM` names (its first day), or this month; and whether a given text could not be read."""
    this_month = local_today(settings).replace(day=1)
    found = _MONTH.fullmatch(text.strip())
    if found and 1 <= int(found[2]) <= 12 and 2000 <= int(found[1]) <= this_month.year:
        return date(int(found[1]), int(found[2]), 1), False
    return this_month, bool(text.strip())


def sorted_rows(rows: Sequence[OutletMonth], sort: str, descending: bool) -> list[OutletMonth]:
    """`rows` by the figure `sort` names (the enterprise by default); rows without the figure last."""
    key = SORTS.get(sort, SORTS["enterprise"])
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    return sorted(present, key=key, reverse=descending) + missing


@router.get("/sources", include_in_schema=False)
def sources_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))],
    settings: SettingsDep,
    month: Annotated[str, Query(max_length=7)] = "",
    sort: Annotated[str, Query(max_length=16)] = "exceed_hours",
    order: Annotated[str, Query(max_length=4)] = "desc",
) -> Response:
    """The outlets of the user's area with the month's exceedances and effective transmission rate."""
    first, unreadable = chosen_month(month, settings)
    sort = sort if sort in SORTS else "exceed_hours"
    rows = sorted_rows(queries.area_month(db, user.principal, settings, first), sort, order == "desc")
    context = {
        "month": first,
        "month_error": unreadable,
        "rows": rows,
        "sort": sort,
        "order": "desc" if order == "desc" else "asc",
        "percent": one_decimal,
        "this_month": local_today(settings).strftime("%Y-%m"),
    }
    return render(request, "results/sources.html", context, user=user)


@router.get("/sources/export.xlsx", include_in_schema=False)
def sources_export(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))],
    settings: SettingsDep,
    month: Annotated[str, Query(max_length=7)] = "",
) -> Response:
    """The month's figures of every outlet and pollutant of the user's area as a workbook."""
    first, _unreadable = chosen_month(month, settings)
    rows = queries.area_month(db, user.principal, settings, first)
    return download(outlet_workbook(rows, first), f"sources-{first:%Y-%m}.xlsx", XLSX)


HEADERS = (
    N_("Enterprise"),
    N_("Site code"),
    N_("Site"),
    N_("Outlet"),
    N_("Region"),
    N_("Pollutant"),
    N_("Averaging"),
    N_("Permit limit"),
    N_("Unit"),
    N_("Reference O2 (%)"),
    N_("Hours expected"),
    N_("Hours received"),
    N_("Valid hours"),
    N_("Exceedance hours"),
    N_("Exceedance days"),
    N_("Maximum value"),
    N_("Maximum multiple"),
    N_("Transmission rate (%)"),
    N_("Validity rate (%)"),
    N_("Effective transmission rate (%)"),
)


def outlet_workbook(rows: Sequence[OutletMonth], month: date) -> bytes:
    """One sheet: a line per outlet site and pollutant of the month (a site not computed yet: its names alone)."""
    book = new_workbook()
    sheet = book.create_sheet(f"{month:%Y-%m}")
    append_row(sheet, [gettext(HEADERS[i]) for i in range(len(HEADERS))])
    for r in rows:
        names = [r.site.enterprise, r.site.code, r.site.name, r.site.outlet, r.site.region]
        if not r.rows:
            append_row(sheet, names)
        for m in r.rows:
            figures = [
                parameters.name(m["parameter"]),
                gettext(Averaging(m["averaging"]).label),
                m["limit"],
                m["unit"],
                m["reference_o2"],
                m["hours_expected"],
                m["hours_received"],
                m["hours_valid"],
                m["exceed_hours"],
                m["exceed_days"],
                m["max_value"],
                m["max_multiple"],
                m["transmission_rate"],
                m["validity_rate"],
                m["effective_rate"],
            ]
            append_row(sheet, [*names, *figures])
    return workbook_bytes(book)


@router.get("/api/v1/sources/outlets/{site_id:id}/months", response_model=OutletMonthsOut, tags=["results"])
def api_outlet_months(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ENTERPRISES))],
    settings: SettingsDep,
    site_id: RowId,
    months: Annotated[int, Query(ge=1, le=60)] = queries.MONTHS_SHOWN,
) -> OutletMonthsOut:
    """An outlet site's kept months (the last `months`, oldest first), if the caller may see the site: the figures
    of its enterprise's file."""
    site = queries.visible_outlet(db, user.principal, site_id)
    if site is None:
        raise HTTPException(404)
    last = local_today(settings).replace(day=1)
    kept = queries.outlet_months(settings, [site.site_id], queries.months_before(last, months), last)
    return OutletMonthsOut(
        site_id=site.site_id,
        site_code=site.code,
        site_name=site.name,
        outlet=site.outlet,
        enterprise_id=site.enterprise_id,
        months=[OutletMonthOut.model_validate({k: v for k, v in r.items() if k != "site_id"}) for r in kept],
    )
