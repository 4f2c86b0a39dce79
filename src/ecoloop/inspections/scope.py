"""Who sees which inspections and campaigns (registered with `ecoloop.access.scope`).

The bureau's administrator, leaders and analysts see the inspections of their area; a branch those of its county
and those its staff take part in elsewhere (a draw sends officers across counties); an officer (inspector) those
they take part in and those of their unit. A campaign is seen in its region's subtree
and by the units below it (a city campaign is every branch's). Checklists are the bureau's reference data."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import ScopeRule, register
from ecoloop.inspections.models import (
    Campaign,
    CampaignTarget,
    Checklist,
    ChecklistVersion,
    Inspection,
    InspectionAnswer,
    InspectionOfficer,
    InspectionPhoto,
    InspectionSubmission,
)
from ecoloop.regions.models import Region
from ecoloop.regions.queries import in_subtree

_AREA_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.ANALYST, Role.BRANCH})


def _inspections(p: Principal) -> ColumnElement[bool]:
    taking_part = Inspection.id.in_(
        select(InspectionOfficer.inspection_id).where(InspectionOfficer.user_id == p.user_id)
    )
    if p.role is Role.BRANCH:
        # A branch's officer sent to another county (交叉检查: a draw staffs enterprises with other units' officers)
        # sees the inspections they take part in, besides their county's.
        return or_(in_subtree(Inspection.region_id, p), taking_part)
    if p.role in _AREA_ROLES:
        return in_subtree(Inspection.region_id, p)
    if p.role is Role.INSPECTOR:
        return or_(taking_part, Inspection.organisation_id == p.organisation_id)
    return false()


def _of_inspection(column: InstrumentedAttribute[int]) -> ScopeRule:
    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(Inspection.id).where(_inspections(p)))

    return rule


def _campaigns(p: Principal) -> ColumnElement[bool]:
    if p.role not in _AREA_ROLES and p.role is not Role.INSPECTOR:
        return false()
    # the paths of the principal's region and of those above it ("379900.", "379900.379902.")
    codes = [code for code in p.region_path.split(".") if code]
    above = ["".join(f"{code}." for code in codes[: n + 1]) for n in range(len(codes))]
    return or_(
        in_subtree(Campaign.region_id, p), Campaign.region_id.in_(select(Region.id).where(Region.path.in_(above)))
    )


def _targets(p: Principal) -> ColumnElement[bool]:
    return CampaignTarget.campaign_id.in_(select(Campaign.id).where(_campaigns(p)))


register(Checklist, lambda p: true())
register(ChecklistVersion, lambda p: true())
register(Campaign, _campaigns)
register(CampaignTarget, _targets)
register(Inspection, _inspections)
register(InspectionOfficer, _of_inspection(InspectionOfficer.inspection_id))
register(InspectionAnswer, _of_inspection(InspectionAnswer.inspection_id))
register(InspectionPhoto, _of_inspection(InspectionPhoto.inspection_id))
register(InspectionSubmission, _of_inspection(InspectionSubmission.inspection_id))
