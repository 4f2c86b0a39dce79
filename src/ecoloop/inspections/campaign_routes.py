"""Special enforcement campaigns (`/inspections/campaigns`, 专项执法): the list with each one's progress, a new
campaign (name, period, checklist), its targets chosen by filters or by credit code, and their inspections
planned in one step."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action, allowed
from ecoloop.cases.service import Acting
from ecoloop.db.base import RowId, parse_row_id, utcnow
from ecoloop.enterprises import queries as enterprise_queries
from ecoloop.i18n import gettext
from ecoloop.inspections import queries, rules, service
from ecoloop.inspections.models import Campaign
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.queries import list_regions
from ecoloop.web.deps import CurrentUser, DbSession, SettingsDep, UnitOfWork, requires
from ecoloop.web.forms import local_today, required_day
from ecoloop.web.templating import render

router = APIRouter()
Viewer = Annotated[CurrentUser, Depends(requires(Action.VIEW_INSPECTIONS))]
# Campaigns are run by those who plan checks: the analysts and a branch (manage_draws).
Organiser = Annotated[CurrentUser, Depends(requires(Action.MANAGE_DRAWS))]
MAX_TARGETS = 2000  # enterprises a filter adds to a campaign at once


def _said(code: str) -> str:
    return gettext(rules.MESSAGES.get(code, rules.FALLBACK))


def _form_page(
    request: Request, db: Session, user: CurrentUser, values: dict[str, Any], message: str = "", status: int = 200
) -> Response:
    context = {"values": values, "message": message, "checklists": queries.checklists(db)}
    return render(request, "inspections/campaign_new.html", context, user=user, status_code=status)


@router.get("/inspections/campaigns", include_in_schema=False)
def campaign_list(request: Request, db: DbSession, user: Viewer) -> Response:
    """The campaigns the user sees, with their targets inspected and remaining."""
    context = {
        "rows": queries.campaigns(db, user.principal),
        "may_organise": allowed(user.principal, Action.MANAGE_DRAWS),
    }
    return render(request, "inspections/campaigns.html", context, user=user)


@router.get("/inspections/campaigns/new", include_in_schema=False)
def new_campaign(request: Request, db: DbSession, user: Organiser, settings: SettingsDep) -> Response:
    """The form of a new campaign."""
    return _form_page(request, db, user, {"starts_on": local_today(settings).isoformat()})


@router.post("/inspections/campaigns/new", include_in_schema=False)
def create_campaign(
    request: Request,
    db: UnitOfWork,
    user: Organiser,
    name: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
    starts_on: Annotated[str, Form(max_length=10)] = "",
    ends_on: Annotated[str, Form(max_length=10)] = "",
    checklist: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Create a campaign of the user's unit."""
    values = {"name": name, "description": description, "starts_on": starts_on, "ends_on": ends_on,
              "checklist": checklist}  # fmt: skip
    try:
        campaign = service.create_campaign(
            db, Acting(user.user, user.principal), name=name, description=description,
            starts_on=required_day(starts_on, refuse=service.InspectionError),
            ends_on=required_day(ends_on, refuse=service.InspectionError), checklist_id=parse_row_id(checklist),
        )  # fmt: skip
    except service.InspectionError as exc:
        db.rollback()
        return _form_page(request, db, user, values, _said(exc.code), 422)
    return RedirectResponse(f"/inspections/campaigns/{campaign.id}", status_code=303)


def _campaign(db: Session, user: CurrentUser, campaign_id: int) -> Campaign:
    campaign = queries.campaign(db, user.principal, campaign_id)
    if campaign is None:
        raise HTTPException(404)
    return campaign


def _changeable(db: Session, user: CurrentUser, campaign_id: int) -> Campaign:
    """A campaign the user sees and may change (one of the user's area), else 404 or a 403 page saying why."""
    campaign = _campaign(db, user, campaign_id)
    if not service.may_change_campaign(db, user.principal, campaign):
        raise HTTPException(403, _said("campaign_not_yours"))
    return campaign


@router.get("/inspections/campaigns/{campaign_id:id}", include_in_schema=False)
def campaign_page(request: Request, campaign_id: RowId, db: DbSession, user: Viewer, settings: SettingsDep) -> Response:
    """A campaign: its period, checklist, progress, targets with their inspections, and the organiser's forms."""
    campaign = _campaign(db, user, campaign_id)
    levels = (RegionLevel.COUNTY, RegionLevel.TOWN)
    context = {
        "campaign": campaign,
        "progress": queries.progress(db, campaign),
        "targets": queries.targets(db, user.principal, campaign),
        "may_organise": allowed(user.principal, Action.MANAGE_DRAWS)
        and service.may_change_campaign(db, user.principal, campaign),
        "officers": service.eligible_officers(db),
        "regions": [r for r in list_regions(db, user.principal, active_only=True) if r.level in levels],
        "lists": enterprise_queries.list_lists(db),
        "today": local_today(settings).isoformat(),
        "message": _said(request.query_params["refused"]) if request.query_params.get("refused") else "",
    }
    return render(request, "inspections/campaign.html", context, user=user)


@router.post("/inspections/campaigns/{campaign_id:id}/targets", include_in_schema=False)
def add_targets(
    campaign_id: RowId,
    db: UnitOfWork,
    user: Organiser,
    settings: SettingsDep,
    industry: Annotated[str, Form(max_length=8)] = "",
    region: Annotated[str, Form(max_length=12)] = "",
    list_code: Annotated[str, Form(max_length=64)] = "",
    codes: Annotated[str, Form(max_length=40_000)] = "",
) -> Response:
    """Add targets: the enterprises matching the filters (industry prefix, county or town, supervision list), or
    those whose credit codes are listed (one a line)."""
    campaign = _changeable(db, user, campaign_id)
    if codes.strip():
        ids = queries.enterprises_by_codes(db, user.principal, re.split(r"\s+", codes.strip()))
    else:
        ids = queries.matching_enterprises(
            db, user.principal, industry_prefix=industry.strip(), region_id=parse_row_id(region), limit=MAX_TARGETS
        )
        if list_code:
            members = enterprise_queries.members_on(db, user.principal, list_code, local_today(settings))
            on_list = {e.id for e in members}
            ids = [i for i in ids if i in on_list]
    service.add_targets(db, Acting(user.user, user.principal), campaign, ids)
    return RedirectResponse(f"/inspections/campaigns/{campaign.id}#targets", status_code=303)


@router.post("/inspections/campaigns/{campaign_id:id}/targets/{enterprise_id:id}/remove", include_in_schema=False)
def remove_target(campaign_id: RowId, enterprise_id: RowId, db: UnitOfWork, user: Organiser) -> Response:
    """Take an enterprise off the campaign's targets."""
    campaign = _changeable(db, user, campaign_id)
    try:
        service.remove_target(db, Acting(user.user, user.principal), campaign, enterprise_id)
    except service.InspectionError as exc:
        db.rollback()
        raise HTTPException(403, _said(exc.code)) from None
    return RedirectResponse(f"/inspections/campaigns/{campaign.id}#targets", status_code=303)


@router.post("/inspections/campaigns/{campaign_id:id}/plan", include_in_schema=False)
def plan(
    campaign_id: RowId,
    db: UnitOfWork,
    user: Organiser,
    officers: Annotated[list[RowId] | None, Form()] = None,
    planned_on: Annotated[str, Form(max_length=10)] = "",
    on_site: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """An inspection by the chosen officers for each target not planned yet (on site, or 非现场)."""
    campaign = _changeable(db, user, campaign_id)
    try:
        service.plan_campaign(
            db, Acting(user.user, user.principal), campaign, officer_ids=officers or [],
            planned_on=required_day(planned_on, refuse=service.InspectionError), now=utcnow(), on_site=bool(on_site),
        )  # fmt: skip
    except service.InspectionError as exc:
        db.rollback()
        return RedirectResponse(f"/inspections/campaigns/{campaign_id}?refused={exc.code}", status_code=303)
    return RedirectResponse(f"/inspections/campaigns/{campaign.id}#targets", status_code=303)
