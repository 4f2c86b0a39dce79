"""Who sees which penalty cases (registered with `ecoloop.access.scope`).

The bureau's staff see every penalty case of their area (a branch its county's, by the case's region); units
and enterprises see none here (an enterprise sees its closed-loop case). Evidence, the timeline, the officers and
the periods not counted go with their case; the time limits, the benchmark and the templates are the bureau's
reference data, which every reader of cases may read."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from ecoloop.access.principal import Principal
from ecoloop.access.scope import REGION_ROLES, ScopeRule, register
from ecoloop.penalties.models import (
    PenaltyBenchmark,
    PenaltyCase,
    PenaltyCaseOfficer,
    PenaltyConfig,
    PenaltyEvent,
    PenaltyEvidence,
    PenaltySuspension,
    PenaltyTemplate,
)
from ecoloop.regions.queries import in_subtree


def _cases(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(PenaltyCase.region_id, p)
    return false()


def _of_visible_case(column: InstrumentedAttribute[int]) -> ScopeRule:
    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(PenaltyCase.id).where(_cases(p)))

    return rule


def _reference(p: Principal) -> ColumnElement[bool]:
    return true() if p.role in REGION_ROLES else false()


register(PenaltyCase, _cases)
register(PenaltyCaseOfficer, _of_visible_case(PenaltyCaseOfficer.penalty_case_id))
register(PenaltyEvent, _of_visible_case(PenaltyEvent.penalty_case_id))
register(PenaltyEvidence, _of_visible_case(PenaltyEvidence.penalty_case_id))
register(PenaltySuspension, _of_visible_case(PenaltySuspension.penalty_case_id))
register(PenaltyConfig, _reference)
register(PenaltyBenchmark, _reference)
register(PenaltyTemplate, _reference)
