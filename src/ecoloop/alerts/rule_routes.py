"""Rule editor pages: the rules with their current versions, one rule's form (built from its kind's parameters,
`config.fields_of`) with the history of its versions, and a new rule of a chosen kind. Saving a changed rule makes
a new version; the analysts keep the rules (`manage_alert_rules`), the bureau's and the branches' staff read
them."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible
from ecoloop.alerts import config, queries, rule_service
from ecoloop.alerts.config import (
    AREA_LEVEL_LABELS,
    FIELD_LABELS,
    PERIOD_CHOICES,
    PERIOD_LABELS,
    RuleConfigError,
    shown_name,
)
from ecoloop.alerts.enums import Escalation
from ecoloop.alerts.models import AlertRule
from ecoloop.alerts.routes import ENUMS, LABELS
from ecoloop.alerts.rule_service import RuleChange
from ecoloop.alerts.rules import EXTERNAL_KINDS, RuleKind
from ecoloop.alerts.schemas import PARAM, RuleForm
from ecoloop.alerts.service import AlertError
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.i18n import N_, gettext
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.queries import list_regions
from ecoloop.web.deps import CurrentUser, DbSession, UnitOfWork, requires
from ecoloop.web.forms import filter_choice
from ecoloop.web.templating import render

router = APIRouter()

# What a parameter of the wrong type must be, by the type's name (`config.RuleConfigError.expected`).
TYPE_ERRORS = {
    "int": N_("Enter a whole number."),
    "Decimal": N_("Enter a number."),
    "float": N_("Enter a number."),
    "timedelta": N_("Enter a number of hours."),
    "Severity": N_("Choose one of the listed severities."),
}


def config_error_text(exc: RuleConfigError) -> str:
    """A refused parameter in the user's language: what its value must be; for values the thresholds refuse
    together, the parameters named in the refusal by their labels."""
    if exc.reason == "type":
        return gettext(TYPE_ERRORS.get(exc.expected, N_("Not a valid value.")))
    if exc.reason == "choice":
        return gettext("Choose one of the listed options.")
    named = [gettext(label) for name, label in FIELD_LABELS.items() if re.search(rf"\b{name}\b", exc.message)]
    return gettext("These values are out of range or do not fit together: %(fields)s") % {
        "fields": "\u3001".join(named) or gettext("Parameters")
    }


RULE_ERRORS = {
    "name_missing": ("name", N_("Give the rule a name.")),
    "code_missing": ("code", N_("Give the rule a code.")),
    "code_taken": ("code", N_("Another rule has this code.")),
    "out_of_range": ("limits", N_("The case deadline is 1 to 365 days, the reopening window 0 to 720 hours.")),
    "not_allowed": ("form", N_("Your role may not do this.")),
}
RULE_LABELS = {
    **LABELS,
    "fields": FIELD_LABELS,
    "area_levels": AREA_LEVEL_LABELS,
    "periods": PERIOD_LABELS,
    "period_choices": dict(PERIOD_CHOICES),
}


@router.get("/alerts/rules", include_in_schema=False)
def rule_list(
    request: Request, db: DbSession, user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))]
) -> Response:
    """The rules the user sees with their kind, state, escalation and version; a new rule's kind to choose."""
    context = {
        "rules": queries.list_rules(db, user.principal),
        "may_edit": allowed(user.principal, Action.MANAGE_ALERT_RULES),
        "labels": RULE_LABELS,
        **ENUMS,
    }
    return render(request, "alerts/rules.html", context, user=user)


@router.get("/alerts/rules/new", include_in_schema=False)
def rule_new(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ALERT_RULES))],
    kind: Annotated[RuleKind, Query()],
) -> Response:
    """The form of a new rule of `kind`, with the kind's default parameters (a partner platform's rule comes with
    the partner, `ecoloop.intake.partners`; the electricity checks' is built in)."""
    if kind in EXTERNAL_KINDS:
        raise HTTPException(404)
    return _rule_page(request, db, user, None, kind, RuleForm(kind=kind.value))


@router.post("/alerts/rules", include_in_schema=False)
def rule_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ALERT_RULES))],
    form: Annotated[RuleForm, Form()],
) -> Response:
    """Create a rule of the chosen kind with its first version."""
    if form.kind not in RuleKind._value2member_map_ or RuleKind(form.kind) in EXTERNAL_KINDS:
        raise HTTPException(422, gettext("Some fields are missing or invalid."))
    return _save(request, db, user, form, None, RuleKind(form.kind))


@router.get("/alerts/rules/{rule_id:id}", include_in_schema=False)
def rule_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_ALERTS))],
    rule_id: RowId,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """One rule: its form (read-only unless the user keeps rules) and the history of its versions."""
    rule = _visible(db, user.principal, rule_id)
    return _rule_page(request, db, user, rule, rule.kind, _form_of(rule), done=done)


@router.post("/alerts/rules/{rule_id:id}", include_in_schema=False)
def rule_save(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_ALERT_RULES))],
    rule_id: RowId,
    form: Annotated[RuleForm, Form()],
) -> Response:
    """Save the rule's form as a new version (nothing changes when nothing was changed)."""
    rule = _visible(db, user.principal, rule_id)
    return _save(request, db, user, form, rule, rule.kind)


# --- helpers -------------------------------------------------------------------------------------------------------


def _visible(db: Session, p: Principal, rule_id: int) -> AlertRule:
    rule = queries.get_rule(db, p, rule_id)
    if rule is None:
        raise HTTPException(404)
    return rule


def _form_of(rule: AlertRule) -> RuleForm:
    """The form filled in with the rule as it is."""
    values = {PARAM + name: _shown(value) for name, value in rule.parameters.items()}
    return RuleForm.model_validate(
        {
            "code": rule.code,
            "kind": rule.kind.value,
            "name": shown_name(rule.code, rule.name),
            "enabled": "1" if rule.enabled else "",
            "region_id": str(rule.region_id or ""),
            "escalation": rule.escalation.value,
            "case_deadline_days": str(rule.case_deadline_days),
            "reopen_hours": str(rule.reopen_hours),
            **values,
        }
    )


def _shown(value: Any) -> str:
    """A parameter's stored value as the form shows it (lists comma-separated)."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _change(
    db: Session, p: Principal, form: RuleForm, rule: AlertRule | None
) -> tuple[RuleChange | None, dict[str, str]]:
    """The change the form asks for, or the errors of its own fields by field. A built-in rule's name is shown
    shown by its catalog name in the reader's language (`config.shown_name`); sent back unchanged, it keeps its
    stored name."""
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name in ("case_deadline_days", "reopen_hours"):
        text = getattr(form, name).strip()
        if not text.isdigit():
            errors[name] = gettext("Give a whole number.")
        else:
            numbers[name] = int(text)
    region_id = parse_row_id(form.region_id)
    if form.region_id and (region_id is None or get_visible(db, p, Region, region_id) is None):
        errors["region_id"] = gettext("Choose a region of your area.")
    escalation = filter_choice(Escalation, form.escalation)
    if escalation is None:
        errors["escalation"] = gettext("Choose how the alerts become cases.")
    if errors or escalation is None:
        return None, errors
    name = rule.name if rule is not None and form.name.strip() == shown_name(rule.code, rule.name) else form.name
    change = RuleChange(
        name=name,
        enabled=form.enabled in ("1", "on", "true"),
        region_id=region_id,
        escalation=escalation,
        case_deadline_days=numbers["case_deadline_days"],
        reopen_hours=numbers["reopen_hours"],
        parameters=form.parameters(),
        note=form.note.strip(),
    )
    return change, {}


def _save(
    request: Request, db: Session, user: CurrentUser, form: RuleForm, rule: AlertRule | None, kind: RuleKind
) -> Response:
    """Apply the form: on success go to the rule (303; the unit of work commits); otherwise show the form again
    with the errors at their fields (422)."""
    change, errors = _change(db, user.principal, form, rule)
    saved = None
    version = rule.version if rule else 0
    if change is not None:
        try:
            saved = rule_service.save_rule(
                db, user.user, user.principal, change, utcnow(), rule=rule, code=form.code, kind=kind
            )
        except RuleConfigError as exc:
            errors = {exc.field: config_error_text(exc)}
        except AlertError as exc:
            known = exc.code in RULE_ERRORS
            errors = {
                RULE_ERRORS[exc.code][0] if known else "form": gettext(RULE_ERRORS[exc.code][1]) if known else exc.code
            }
    if saved is None:
        db.rollback()
        return _rule_page(request, db, user, rule, kind, form, errors=errors, status=422)
    done = "saved" if saved.version != version else "unchanged"
    return RedirectResponse(f"/alerts/rules/{saved.id}?done={done}", status_code=303)


def _rule_page(
    request: Request,
    db: Session,
    user: CurrentUser,
    rule: AlertRule | None,
    kind: RuleKind,
    form: RuleForm,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    p = user.principal
    submitted = form.parameters()
    fields = [
        {
            "name": name,
            "default": _shown(default),
            "value": submitted.get(name, _shown(default)),
            "widget": _widget(name),
        }
        for name, default in config.fields_of(kind)
    ]
    errors: dict[str, str] = extra.pop("errors", {})
    known = {f["name"] for f in fields} | {"name", "code", "region_id", "escalation", "limits", "form"}
    known |= {"case_deadline_days", "reopen_hours"}
    context = {
        "rule": rule,
        "kind": kind,
        "form": form,
        "fields": fields,
        "errors": errors,
        # errors of no field of the form (a check across parameters) show above the parameters
        "general_errors": [message for name, message in errors.items() if name not in known],
        "versions": queries.rule_versions(db, p, rule.id) if rule else [],
        "may_edit": allowed(p, Action.MANAGE_ALERT_RULES),
        "regions": [
            r for r in list_regions(db, p) if r.level in (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWN)
        ],
        "area_levels": list(config.AREA_LEVELS),
        "period_choices": [value for value, _label in PERIOD_CHOICES],
        "labels": RULE_LABELS,
        "shown": _shown,
        **ENUMS,
        **extra,
    }
    return render(request, "alerts/rule.html", context, user=user, status_code=status)


def _widget(name: str) -> str:
    """How a parameter is edited: a choice of severities, area levels or noise periods, else a text field."""
    return {"severity": "severity", "area_level": "area_level", "periods": "periods"}.get(name, "text")
