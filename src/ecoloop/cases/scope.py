"""Who sees which cases and what hangs on them (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, ScopeRule, register
from ecoloop.cases.models import Attachment, CalendarDay, Case, CaseEvent, CaseUnit, Milestone, SupervisionBatch
from ecoloop.regions.queries import in_subtree


def _cases(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(Case.region_id, p)
    if p.role is Role.DEPARTMENT:
        # A department sees the cases it leads or helps with, wherever they are.
        helping = select(CaseUnit.case_id).where(CaseUnit.organisation_id == p.organisation_id)
        return or_(Case.lead_unit_id == p.organisation_id, Case.id.in_(helping))
    if p.role is Role.ENTERPRISE:
        return Case.enterprise_id == p.enterprise_id
    return false()


def _of_visible_case(column: InstrumentedAttribute[int]) -> ScopeRule:
    """Timeline events, attachments, co-units and milestones are visible with their case."""

    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(Case.id).where(_cases(p)))

    return rule


def _batches(p: Principal) -> ColumnElement[bool]:
    # Batches are the bureau's bookkeeping; units and enterprises reach their cases directly.
    return true() if p.role in REGION_ROLES else false()


register(Case, _cases)
register(CaseEvent, _of_visible_case(CaseEvent.case_id))
register(CaseUnit, _of_visible_case(CaseUnit.case_id))
register(Attachment, _of_visible_case(Attachment.case_id))
register(Milestone, _of_visible_case(Milestone.case_id))
register(SupervisionBatch, _batches)
# The working-day calendar is the bureau's reference data: every user's deadlines are counted on it.
register(CalendarDay, lambda p: true())
