"""The briefs' settings page (`/reports/settings`): the settings in force today — the monthly assessment's weights,
the ecological-compensation rates, the document-number prefix of each kind, the addressees and which kinds the
bureau keeps internal — and their saved versions; saving makes a new version valid from a chosen day
(`service.save_config`), refused with the reason in Chinese (`config.ConfigError` codes)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.i18n import N_, gettext
from ecoloop.reports import service
from ecoloop.reports.config import COMPONENT_LABELS, COMPONENTS, Config, ConfigError, check
from ecoloop.reports.enums import NUMBER_PREFIXES, ReportKind
from ecoloop.reports.periods import FIRST_YEAR, LAST_YEAR
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


class ConfigForm(BaseModel):
    """The settings form: one field per weight, rate and prefix, the addressees, the kinds kept internal (check
    boxes) and the day the version applies from."""

    valid_from: str = Field("", max_length=20)
    weight_air_quality: str = Field("", max_length=20)
    weight_improvement: str = Field("", max_length=20)
    weight_water: str = Field("", max_length=20)
    weight_cases_on_time: str = Field("", max_length=20)
    weight_data_quality: str = Field("", max_length=20)
    weight_complaints: str = Field("", max_length=20)
    pm25_penalty: str = Field("", max_length=20)
    pm25_reward: str = Field("", max_length=20)
    water_level: str = Field("", max_length=20)
    prefix_daily: str = Field("", max_length=400)
    prefix_weekly: str = Field("", max_length=400)
    prefix_monthly: str = Field("", max_length=400)
    prefix_annual: str = Field("", max_length=400)
    addressees: str = Field("", max_length=400)
    internal: list[str] = Field(default_factory=list, max_length=len(ReportKind))

    def parameters(self) -> dict[str, Any]:
        """The settings as `config.check` reads them."""
        return {
            "weights": {key: getattr(self, f"weight_{key}") for key in COMPONENTS},
            "pm25_penalty": self.pm25_penalty,
            "pm25_reward": self.pm25_reward,
            "water_level": self.water_level,
            "prefixes": {kind.value: getattr(self, f"prefix_{kind.value}") for kind in ReportKind},
            "addressees": self.addressees,
            "internal": self.internal,
        }

    @classmethod
    def of(cls, config: Config, valid_from: date) -> ConfigForm:
        """The form filled in with `config`."""
        return cls(
            valid_from=valid_from.isoformat(),
            **{f"weight_{key}": str(config.weights[key]) for key in COMPONENTS},
            pm25_penalty=str(config.pm25_penalty),
            pm25_reward=str(config.pm25_reward),
            water_level=str(config.water_level),
            **{f"prefix_{kind.value}": config.prefixes.get(kind, "") for kind in ReportKind},
            addressees=config.addressees,
            internal=sorted(kind.value for kind in config.internal),
        )


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
