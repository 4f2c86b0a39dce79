"""The briefs' settings page (`/reports/settings`): the settings in force today — the monthly assessment's weights,
the ecological-compensation rates, the document-number prefix of each kind, the addressees and which kinds the
bureau keeps internal — and their saved versions; saving makes a new version valid from a chosen day
(`service.save_config`), refused with the reason in Chinese (`config.ConfigError` codes)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.i18n import N_, gettext
from ecoloop.reports import service
from ecoloop.reports.config import COMPONENT_LABELS, COMPONENTS, ConfigError, check
from ecoloop.reports.enums import NUMBER_PREFIXES, ReportKind
from ecoloop.reports.periods import FIRST_YEAR, LAST_YEAR
from ecoloop.reports.schemas import ConfigForm
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import DATE_INVALID, FieldError, filter_day, local_today, required_day
from ecoloop.web.templating import render

# Why the settings were refused (`ConfigError.code`, and the form's own codes).
ERRORS = {
    "weights": N_("Each weight is a number from 0 to 100 with at most two decimals, and not all of them may be 0."),
    "rate": N_("Each rate is an amount in yuan from 0 to 100,000,000 with at most two decimals."),
    "text": N_("A prefix or the addressees are one line of at most 200 characters."),
    "kind": N_("Choose the kinds of brief from the list."),
    DATE_INVALID: N_("Write the day the settings apply from as YYYY-MM-DD."),
    "year": N_("The day the settings apply from must lie between 2000 and 2100."),
}
RATE_LABELS = {
    "pm25_penalty": N_("PM2.5 above target: the county pays per µg/m³ (yuan)"),
    "pm25_reward": N_("PM2.5 below target: the county receives per µg/m³ (yuan)"),
    "water_level": N_("Water section: per class level better (received) or worse (paid) (yuan)"),
}
DEFAULT_ADDRESSEES = N_("The county branches and the bureau's divisions")

router = APIRouter()
# The administrator and the analysts keep the briefs' settings (`manage_reports`).
Manager = Annotated[CurrentUser, Depends(requires(Action.MANAGE_REPORTS))]


def _valid_from(text: str) -> date:
    day = required_day(text)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FieldError("year")
    return day


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    settings: Settings,
    form: ConfigForm,
    *,
    error: str | None = None,
    saved: date | None = None,
    status: int = 200,
) -> Response:
    today = local_today(settings)
    versions = service.config_versions(db)
    context = {
        "form": form,
        "tz": settings.tz,
        "components": [(key, gettext(COMPONENT_LABELS[key])) for key in COMPONENTS],
        "rates": [(key, gettext(RATE_LABELS[key])) for key in RATE_LABELS],
        "kinds": [(kind.value, gettext(kind.label), gettext(NUMBER_PREFIXES[kind])) for kind in ReportKind],
        "default_addressees": gettext(DEFAULT_ADDRESSEES),
        "versions": [(row, check(row.parameters)) for row in versions],
        "in_force": next((row.id for row in versions if row.valid_from <= today), None),
        "error": error,
        "saved": saved,
    }
    return render(request, "reports/config.html", context, user=user, status_code=status)


@router.get("/reports/settings", include_in_schema=False)
def config_page(request: Request, db: DbSession, user: Manager, settings: SettingsDep, saved: str = "") -> Response:
    """The settings in force today, as a form for a new version valid from today, and the saved versions."""
    today = local_today(settings)
    form = ConfigForm.of(service.config_for(db, today), today)
    return _page(request, db, user, settings, form, saved=filter_day(saved[:20]))


@router.post("/reports/settings", include_in_schema=False)
def config_save(
    request: Request, db: UnitOfWork, user: Manager, settings: SettingsDep, form: Annotated[ConfigForm, Form()]
) -> Response:
    """Save the form as a new version valid from its day; the form again with the reason when refused."""
    try:
        valid_from = _valid_from(form.valid_from)
        config = check(form.parameters())
    except (ConfigError, FieldError) as exc:
        db.rollback()
        message = gettext(ERRORS[exc.code])
        return _page(request, db, user, settings, form, error=message, status=422)
    who = service.Generator(user.user.display_name, user.user.id)
    service.save_config(db, who, valid_from, config)
    return RedirectResponse(f"/reports/settings?saved={valid_from.isoformat()}", status_code=303)
