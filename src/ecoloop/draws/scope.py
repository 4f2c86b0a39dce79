"""Who sees which officers' certificates and conflicts, pools and draws (registered with `ecoloop.access.scope`).

The random checks are the bureau's and the branches' work: the roles of a region see the draws, pools and
officers of their region's subtree (a branch: its county's); departments and enterprises see none of them (the
published results are on the public page)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select
from sqlalchemy.orm import InstrumentedAttribute

from ecoloop.access.principal import Principal
from ecoloop.access.scope import REGION_ROLES, ScopeRule, register
from ecoloop.draws.models import (
    Draw,
    DrawAssignment,
    DrawAssignmentOfficer,
    DrawSnapshot,
    EnterprisePool,
    OfficerCertificate,
    OfficerConflict,
    OfficerPool,
)
from ecoloop.identity.models import Organisation, User
from ecoloop.regions.queries import in_subtree


def officers_of(p: Principal) -> ColumnElement[bool]:
    """Users whose organisation lies in the principal's region subtree (the officers a unit keeps)."""
    in_region = select(Organisation.id).where(in_subtree(Organisation.region_id, p))
    return User.organisation_id.in_(in_region)


def _certificates(p: Principal) -> ColumnElement[bool]:
    if p.role not in REGION_ROLES:
        return false()
    return OfficerCertificate.user_id.in_(select(User.id).where(officers_of(p)))


def _conflicts(p: Principal) -> ColumnElement[bool]:
    if p.role not in REGION_ROLES:
        return false()
    return OfficerConflict.user_id.in_(select(User.id).where(officers_of(p)))


def _regional(column: InstrumentedAttribute[int]) -> ScopeRule:
    def rule(p: Principal) -> ColumnElement[bool]:
        return in_subtree(column, p) if p.role in REGION_ROLES else false()

    return rule


def _draws(p: Principal) -> ColumnElement[bool]:
    return in_subtree(Draw.region_id, p) if p.role in REGION_ROLES else false()


def _of_visible_draw(column: InstrumentedAttribute[int]) -> ScopeRule:
    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(Draw.id).where(_draws(p)))

    return rule


def _assignment_officers(p: Principal) -> ColumnElement[bool]:
    return DrawAssignmentOfficer.assignment_id.in_(
        select(DrawAssignment.id).where(_of_visible_draw(DrawAssignment.draw_id)(p))
    )


register(OfficerCertificate, _certificates)
register(OfficerConflict, _conflicts)
register(EnterprisePool, _regional(EnterprisePool.region_id))
register(OfficerPool, _regional(OfficerPool.region_id))
register(Draw, _draws)
register(DrawSnapshot, _of_visible_draw(DrawSnapshot.draw_id))
register(DrawAssignment, _of_visible_draw(DrawAssignment.draw_id))
register(DrawAssignmentOfficer, _assignment_officers)
