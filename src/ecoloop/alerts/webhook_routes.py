"""Webhook pages (the administrator's, `manage_webhooks`): the organisations' outbound webhooks, adding one (its
signing secret is shown once), changing or switching one off, and the delivery log with attempts, answers and
errors. The sending itself is `ecoloop.alerts.webhooks`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.access.principal import Principal
from ecoloop.access.scope import get_visible
from ecoloop.alerts import queries, service
from ecoloop.alerts.enums import DeliveryStatus
from ecoloop.alerts.models import Webhook
from ecoloop.alerts.routes import ENUMS, LABELS
from ecoloop.alerts.schemas import MAX_URL, valid_webhook_url
from ecoloop.alerts.targets import NOT_PUBLIC, target_problem
from ecoloop.db.base import RowId
from ecoloop.i18n import gettext
from ecoloop.identity.models import Organisation
from ecoloop.settings import Settings
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import filter_choice
from ecoloop.web.templating import render

router = APIRouter()


@router.get("/alerts/webhooks", include_in_schema=False)
def webhook_list(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_WEBHOOKS))],
    status: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The webhooks of the organisations the administrator sees, the form to add one, and the delivery log."""
    return _list_page(request, db, user, status=status)


def _list_page(
    request: Request, db: Session, user: CurrentUser, *, status: str = "", code: int = 200, **extra: Any
) -> Response:
    p = user.principal
    chosen = filter_choice(DeliveryStatus, status)
    context = {
        "webhooks": queries.list_webhooks(db, p),
        "counts": queries.delivery_counts(db, p),
        "owners": queries.webhook_owners(db, p),
        "deliveries": queries.deliveries(db, p, status=chosen),
        "chosen_status": status,
        "errors": {},
        "values": {},
        "max_url": MAX_URL,
        "labels": LABELS,
        **ENUMS,
        **extra,
    }
    return render(request, "alerts/webhooks.html", context, user=user, status_code=code)


@router.post("/alerts/webhooks", include_in_schema=False)
def webhook_create(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_WEBHOOKS))],
    settings: SettingsDep,
    organisation_id: Annotated[RowId, Form()],
    url: Annotated[str, Form(max_length=2000)],
    description: Annotated[str, Form(max_length=200)] = "",
    case_events: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Add a webhook for an organisation (for its alerts, and its cases' events when asked); its signing secret is
    shown on the page this once."""
    p = user.principal
    cases = case_events in ("1", "on", "true")
    errors = _url_errors(url, settings)
    if get_visible(db, p, Organisation, organisation_id) is None:
        errors["organisation_id"] = gettext("Choose an organisation from the list.")
    if errors:
        values = {"organisation_id": organisation_id, "url": url, "description": description, "case_events": cases}
        return _list_page(request, db, user, errors=errors, values=values, code=422)
    hook, secret = service.add_webhook(db, organisation_id, url.strip(), description.strip(), case_events=cases)
    return _list_page(request, db, user, new_secret=secret, new_hook=hook)


@router.get("/alerts/webhooks/{webhook_id:id}", include_in_schema=False)
def webhook_page(
    request: Request,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_WEBHOOKS))],
    webhook_id: RowId,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """One webhook: its form and its deliveries."""
    return _hook_page(request, db, user, _visible(db, user.principal, webhook_id), done=done)


def _hook_page(
    request: Request, db: Session, user: CurrentUser, hook: Webhook, *, code: int = 200, **extra: Any
) -> Response:
    context = {
        "hook": hook,
        "deliveries": queries.deliveries(db, user.principal, webhook_id=hook.id),
        "errors": {},
        "values": {
            "url": hook.url,
            "description": hook.description,
            "enabled": hook.enabled,
            "case_events": hook.case_events,
        },
        "max_url": MAX_URL,
        "labels": LABELS,
        **extra,
    }
    return render(request, "alerts/webhook.html", context, user=user, status_code=code)


@router.post("/alerts/webhooks/{webhook_id:id}", include_in_schema=False)
def webhook_save(
    request: Request,
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_WEBHOOKS))],
    settings: SettingsDep,
    webhook_id: RowId,
    url: Annotated[str, Form(max_length=2000)],
    description: Annotated[str, Form(max_length=200)] = "",
    enabled: Annotated[str, Form(max_length=5)] = "",
    case_events: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Change a webhook's address, description, whether it is on and whether it takes case events."""
    hook = _visible(db, user.principal, webhook_id)
    on = enabled in ("1", "on", "true")
    cases = case_events in ("1", "on", "true")
    errors = _url_errors(url, settings)
    if errors:
        values = {"url": url, "description": description, "enabled": on, "case_events": cases}
        return _hook_page(request, db, user, hook, errors=errors, values=values, code=422)
    service.change_webhook(hook, url=url.strip(), description=description.strip(), enabled=on, case_events=cases)
    return RedirectResponse(f"/alerts/webhooks/{webhook_id}?done=saved", status_code=303)


@router.post("/alerts/webhooks/{webhook_id:id}/enabled", include_in_schema=False)
def webhook_switch(
    db: UnitOfWork,
    user: Annotated[CurrentUser, Depends(requires(Action.MANAGE_WEBHOOKS))],
    webhook_id: RowId,
    enabled: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Switch a webhook on or off (the list's buttons)."""
    hook = _visible(db, user.principal, webhook_id)
    on = enabled in ("1", "on", "true")
    service.change_webhook(hook, url=hook.url, description=hook.description, enabled=on, case_events=hook.case_events)
    return RedirectResponse("/alerts/webhooks", status_code=303)


# --- helpers -------------------------------------------------------------------------------------------------------


def _url_errors(url: str, settings: Settings) -> dict[str, str]:
    if not valid_webhook_url(url.strip()):
        return {"url": gettext("Give an http:// or https:// address of at most %(max)s characters.") % {"max": MAX_URL}}
    # A host that does not resolve now is accepted: each delivery checks its addresses again.
    if target_problem(url.strip(), settings.webhook_networks) == NOT_PUBLIC:
        return {
            "url": gettext(
                "This address is not public (loopback, private, link-local or reserved network). Webhooks may reach "
                "such addresses only in networks the operator allows (ECOLOOP_WEBHOOK_ALLOWED_NETWORKS)."
            )
        }
    return {}


def _visible(db: Session, p: Principal, webhook_id: int) -> Webhook:
    hook = queries.get_webhook(db, p, webhook_id)
    if hook is None:
        raise HTTPException(404)
    return hook
