"""The complaint settings (`/complaints/settings`): the time limits (days, and whether they are working or calendar
days), the repeat window, the urgency that repeats raise, the days a citizen has to rate a reply and the largest
reward, each saved as a version valid from a chosen day (deadlines set before keep theirs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.db.base import utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.intake import rules, service
from ecoloop.intake.models import IntakeConfig
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import FieldError, local_today, required_day
from ecoloop.web.templating import render

router = APIRouter()
Keeper = Annotated[CurrentUser, Depends(requires(Action.MANAGE_COMPLAINT_RULES))]
Number = Annotated[str, Form(max_length=12)]
UNIT_LABELS = {rules.Unit.WORKING: N_("working days"), rules.Unit.CALENDAR: N_("calendar days")}
LIMIT_LABELS = {
    "accept": N_("Decide acceptance within"),
    "conclude": N_("Conclude within (from acceptance)"),
    "extension": N_("One extension of at most"),
}
DAY_ERROR = "day"
ERRORS = {
    "invalid": N_("Every value must be a number."),
    "limit_days": N_("A time limit is 1 to 365 days."),
    "repeat_distance": N_("The repeat radius is 10 to 10,000 m, and the close distance at most the radius."),
    "repeat_window": N_("The repeat window is 1 to 365 days, and the likeness between 0 and 1."),
    "repeat_priority": N_("Urgent from 2 reports on, and critical from at least as many."),
    "reply_or_reward": N_("The rating window is 1 to 90 days, and the largest reward at most 10,000,000 yuan."),
    "day": N_("Write the day as 2027-01-01."),
}


def _page(
    request: Request,
    db: Session,
    user: CurrentUser,
    day_text: str,
    config: rules.Config,
    error: str = "",
    status: int = 200,
) -> Response:
    versions = list(db.scalars(select(IntakeConfig).order_by(IntakeConfig.valid_from.desc()).limit(20)))
    context = {
        "config": config,
        "valid_from": day_text,
        "versions": versions,
        "units": list(rules.Unit),
        "labels": {"units": UNIT_LABELS, "limits": LIMIT_LABELS},
        "error": error,
    }
    return render(request, "intake/settings.html", context, user=user, status_code=status)


@router.get("/complaints/settings", include_in_schema=False)
def settings_page(request: Request, db: DbSession, user: Keeper, settings: SettingsDep) -> Response:
    """The settings that apply today, and their versions."""
    today = local_today(settings)
    return _page(request, db, user, today.isoformat(), service.config_for(db, today))


@router.post("/complaints/settings", include_in_schema=False)
def save_settings(
    request: Request,
    db: UnitOfWork,
    user: Keeper,
    valid_from: Annotated[str, Form(max_length=20)] = "",
    accept_days: Number = "",
    accept_unit: Number = "",
    conclude_days: Number = "",
    conclude_unit: Number = "",
    extension_days: Number = "",
    extension_unit: Number = "",
    repeat_radius_m: Number = "",
    repeat_near_m: Number = "",
    repeat_days: Number = "",
    repeat_similarity: Number = "",
    high_after: Number = "",
    critical_after: Number = "",
    reply_rating_days: Number = "",
    reward_max: Number = "",
) -> Response:
    """Keep new settings from a day on."""
    parameters = {
        "accept": {"days": accept_days, "unit": accept_unit},
        "conclude": {"days": conclude_days, "unit": conclude_unit},
        "extension": {"days": extension_days, "unit": extension_unit},
        "repeat_radius_m": repeat_radius_m,
        "repeat_near_m": repeat_near_m,
        "repeat_days": repeat_days,
        "repeat_similarity": repeat_similarity,
        "high_after": high_after,
        "critical_after": critical_after,
        "reply_rating_days": reply_rating_days,
        "reward_max": reward_max,
    }
    try:
        day = required_day(valid_from)
        config = rules.check(parameters)
    except FieldError:
        return _page(request, db, user, valid_from, rules.Config(), gettext(ERRORS[DAY_ERROR]), 422)
    except rules.ConfigError as exc:
        return _page(request, db, user, valid_from, rules.Config(), gettext(ERRORS[exc.code]), 422)
    service.save_config(db, config, day, user.user.display_name, utcnow())
    return RedirectResponse("/complaints/settings", status_code=303)
