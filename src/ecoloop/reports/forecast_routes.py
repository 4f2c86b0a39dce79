"""The forecasts page (`/reports/forecasts`): the imported air-quality forecasts of today and the next days (a
branch sees its county's and the city's), the upload of a forecast table (.xlsx or .csv) with the outcome row by
row, and the blank template (`reports.forecasts`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.reports import forecasts
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.downloads import XLSX, download
from ecoloop.web.forms import local_today
from ecoloop.web.limits import sheet_limits
from ecoloop.web.templating import render

MAX_PROBLEMS_SHOWN = 1000
TEMPLATE_NAME = "空气质量预报导入模板.xlsx"

router = APIRouter()
# Forecasts are read by the readers of briefs (the daily analysis prints them) and imported by who keeps the briefs.
Reader = Annotated[CurrentUser, Depends(requires(Action.VIEW_REPORTS))]
Importer = Annotated[CurrentUser, Depends(requires(Action.MANAGE_REPORTS))]


def _page(
    request: Request, db: Session, user: CurrentUser, settings: Any, *, status: int = 200, **extra: Any
) -> Response:
    today = local_today(settings)
    context = {
        "today": today,
        "forecasts": forecasts.coming_forecasts(db, user.principal, today),
        "days": forecasts.COMING_DAYS,
        "can_import": allowed(user.principal, Action.MANAGE_REPORTS),
        "max_kb": forecasts.MAX_FORECAST_BYTES // 1024,
        "max_problems": MAX_PROBLEMS_SHOWN,
        **extra,
    }
    return render(request, "reports/forecasts.html", context, user=user, status_code=status)


@router.get("/reports/forecasts", include_in_schema=False)
def forecasts_page(request: Request, db: DbSession, user: Reader, settings: SettingsDep) -> Response:
    """The imported forecasts of today and the next days, and the upload form for the roles that import."""
    return _page(request, db, user, settings)


@router.post("/reports/forecasts", include_in_schema=False)
def forecasts_upload(
    request: Request, db: UnitOfWork, user: Importer, settings: SettingsDep, file: Annotated[UploadFile, File()]
) -> Response:
    """Import a forecast table: the good rows stored, every refused row listed with its reason."""
    data = file.file.read(forecasts.MAX_FORECAST_BYTES + 1)  # a larger file is refused without reading the rest
    name = file.filename or ""
    outcome = forecasts.import_forecasts(
        db, user.principal, user.user.display_name, name, data, local_today(settings), sheet_limits(settings)
    )
    status = 200 if outcome.stored or not outcome.problems else 413 if len(data) > forecasts.MAX_FORECAST_BYTES else 422
    return _page(request, db, user, settings, outcome=outcome, filename=name, status=status)


@router.get("/reports/forecasts/template.xlsx", include_in_schema=False)
def forecasts_template(user: Reader) -> Response:
    """The blank forecast table with its notes."""
    return download(forecasts.template(), TEMPLATE_NAME, XLSX)
