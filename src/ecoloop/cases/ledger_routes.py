"""The rectification ledger (整改台账) of the city or a county over a period: the figures per county and the cases,
on a page and as the Excel workbook offices keep."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.access.principal import Principal
from ecoloop.cases.ledger import Ledger, ledger, ledger_workbook
from ecoloop.cases.routes import LABELS
from ecoloop.i18n import gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import area_of, get_region_by_code, list_regions
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import FieldError, local_today, parse_day
from ecoloop.web.templating import render

router = APIRouter()

Text = Annotated[str, Query(max_length=12)]


def _period(settings: Settings, start: str, end: str) -> tuple[date, date, str]:
    """The period asked for (this year to today by default) and what is wrong with it ("" when nothing)."""
    today = local_today(settings)
    try:
        first, last = parse_day(start) or today.replace(month=1, day=1), parse_day(end) or today
    except FieldError:
        return today.replace(month=1, day=1), today, gettext("A date cannot be read; showing this year.")
    if last < first:
        return last, first, gettext("The period ended before it started; the dates were swapped.")
    return first, last, ""


def _region(db: Session, p: Principal, code: str) -> Region | None:
    """The ledger's region: the one chosen if it is the city or a county the user sees, else the user's area."""
    chosen = get_region_by_code(db, p, code) if code else None
    if chosen is not None and chosen.level in (RegionLevel.CITY, RegionLevel.COUNTY):
        return chosen
    area = area_of(db, p)
    return area if area is not None and area.level in (RegionLevel.CITY, RegionLevel.COUNTY) else None


def _ledger(
    db: Session, p: Principal, settings: Settings, region: str, start: str, end: str
) -> tuple[Ledger | None, str]:
    first, last, problem = _period(settings, start, end)
    chosen = _region(db, p, region)
    if chosen is None:
        return None, problem
    return ledger(db, p, chosen, start=first, end=last, tz=settings.tz), problem


@router.get("/cases/ledger", include_in_schema=False)
def ledger_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_LEDGERS))],
    settings: SettingsDep,
    region: Text = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """The ledger of the city or a county: figures per county, then each county's cases."""
    p = user.principal
    found, problem = _ledger(db, p, settings, region, start, end)
    regions = [r for r in list_regions(db, p) if r.level in (RegionLevel.CITY, RegionLevel.COUNTY)]
    context = {
        "ledger": found,
        "problem": problem,
        "regions": regions,
        "chosen": {"region": region, "from": start, "to": end},
        "labels": LABELS,
    }
    return render(request, "cases/ledger.html", context, user=user)


@router.get("/cases/ledger.xlsx", include_in_schema=False)
def ledger_export(
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_LEDGERS))],
    settings: SettingsDep,
    region: Text = "",
    start: Annotated[str, Query(alias="from", max_length=10)] = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    """The ledger as an Excel workbook: the summary sheet, then one sheet per county."""
    found, _problem = _ledger(db, user.principal, settings, region, start, end)
    if found is None:
        raise HTTPException(404)
    name = f"ledger-{found.start.isoformat()}-{found.end.isoformat()}.xlsx"
    return download(ledger_workbook(found), name, XLSX)
