"""Who sees which rows of the control list (registered with `ecoloop.access.scope`): an entry, its overrides,
schedules and emissions are visible with their enterprise (a branch its county's, an enterprise its own); the
measure templates are the city's published rules; a county's baseline inventory is visible in its region's
subtree to the region roles."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true

from ecoloop.access.principal import Principal
from ecoloop.access.scope import REGION_ROLES, register, visible
from ecoloop.controls.models import (
    ControlEntry,
    ControlOverride,
    ControlSchedule,
    CountyBaseline,
    MeasureTemplate,
    NormalEmission,
)
from ecoloop.enterprises.models import Enterprise
from ecoloop.regions.queries import in_subtree


def _entries(p: Principal) -> ColumnElement[bool]:
    return ControlEntry.enterprise_id.in_(select(Enterprise.id).where(visible(p, Enterprise)))


def _overrides(p: Principal) -> ColumnElement[bool]:
    return ControlOverride.entry_id.in_(select(ControlEntry.id).where(_entries(p)))


def _schedules(p: Principal) -> ColumnElement[bool]:
    return ControlSchedule.entry_id.in_(select(ControlEntry.id).where(_entries(p)))


def _emissions(p: Principal) -> ColumnElement[bool]:
    return NormalEmission.enterprise_id.in_(select(Enterprise.id).where(visible(p, Enterprise)))


def _templates(p: Principal) -> ColumnElement[bool]:
    return true()


def _baselines(p: Principal) -> ColumnElement[bool]:
    if p.role in REGION_ROLES:
        return in_subtree(CountyBaseline.region_id, p)
    return false()


register(ControlEntry, _entries)
register(ControlOverride, _overrides)
register(ControlSchedule, _schedules)
register(NormalEmission, _emissions)
register(MeasureTemplate, _templates)
register(CountyBaseline, _baselines)
