"""The targets page (`/quality/targets`): the air-quality targets of one year for the city and its counties (a
branch's own county), set and cleared by the roles that manage targets (`results.targets`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.db.base import RowId
from ecoloop.i18n import N_, gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import get_region, list_regions
from ecoloop.results import targets
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import FieldError, local_today, parse_decimal
from ecoloop.web.templating import render

# Why a target was refused (`TargetError.code`, and the forms' own codes).
ERRORS = {
    "year": N_("The year must lie between 2000 and 2100."),
    "good_ratio": N_("The good-day ratio target is a percentage from 0 to 100 with at most one decimal."),
    "pm25": N_("The PM2.5 target is a whole number of µg/m³ from 1 to 500."),
    "heavy_days": N_("The heavy-pollution days target is a whole number of days from 0 to 366."),
    "level": N_("Targets are set for the city, its counties and towns."),
    "number_invalid": N_("Write the targets as numbers."),
    "required": N_("Both the good-day ratio and the PM2.5 target are needed."),
}

router = APIRouter()
Year = Annotated[int, Query(ge=targets.FIRST_YEAR, le=targets.LAST_YEAR)]
Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_TARGETS))]


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    year: int,
    *,
    error: str | None = None,
    failed: int | None = None,
    typed: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    p = user.principal
    regions = list_regions(db, p, level=RegionLevel.CITY) + list_regions(db, p, level=RegionLevel.COUNTY)
    context = {
        "year": year,
        "regions": regions,
        "targets": targets.targets_of(db, p, year),
        "error": error,
        "failed": failed,
        "typed": typed or {},  # what the user wrote in the refused row, shown again
    }
    return render(request, "results/targets.html", context, user=user, status_code=status)


@router.get("/quality/targets", include_in_schema=False)
def targets_page(
    request: Request, db: DbSession, user: Manager, settings: SettingsDep, year: Year | None = None
) -> Response:
    """The targets of one year (this year unless asked) for the city and its counties."""
    return _page(request, db, user, year or local_today(settings).year)


def _whole(text: str) -> int | None:
    value = parse_decimal(text)
    if value is None:
        return None
    if value != value.to_integral_value():
        raise targets.TargetError("heavy_days")
    return int(value)


@router.post("/quality/targets", include_in_schema=False)
def target_set(
    request: Request,
    db: UnitOfWork,
    user: Manager,
    region_id: Annotated[RowId, Form()],
    year: Annotated[int, Form(ge=targets.FIRST_YEAR, le=targets.LAST_YEAR)],
    good_ratio: Annotated[str, Form(max_length=20)] = "",
    pm25: Annotated[str, Form(max_length=20)] = "",
    heavy_days: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Set a region's targets for the year; the page again with the reason when refused."""
    region = get_region(db, user.principal, region_id)
    if region is None:
        raise HTTPException(404)
    try:
        ratio, pm = parse_decimal(good_ratio), parse_decimal(pm25)
        if ratio is None or pm is None:
            raise targets.TargetError("required")
        targets.set_target(db, user.principal, region, year, ratio, pm, _whole(heavy_days))
    except (targets.TargetError, FieldError) as exc:
        db.rollback()
        typed = {"good_ratio": good_ratio, "pm25": pm25, "heavy_days": heavy_days}
        message = gettext(ERRORS[exc.code])
        return _page(request, db, user, year, error=message, failed=region.id, typed=typed, status=422)
    return RedirectResponse(f"/quality/targets?year={year}", status_code=303)


@router.post("/quality/targets/clear", include_in_schema=False)
def target_clear(
    db: UnitOfWork,
    user: Manager,
    region_id: Annotated[RowId, Form()],
    year: Annotated[int, Form(ge=targets.FIRST_YEAR, le=targets.LAST_YEAR)],
) -> Response:
    """Remove a region's targets for the year."""
    region = get_region(db, user.principal, region_id)
    if region is None:
        raise HTTPException(404)
    targets.clear_target(db, user.principal, region, year)
    return RedirectResponse(f"/quality/targets?year={year}", status_code=303)
