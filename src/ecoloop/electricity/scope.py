"""Who sees which meters, readings and flags (registered with `ecoloop.access.scope`): each with its enterprise, as
the enterprise file's rule says (an enterprise its own, a county branch its county's, the bureau the city's); the
imports and their refused rows are the bureau's bookkeeping (their readers manage the electricity data); the
parameters are the city's."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from ecoloop.access.actions import Action, allowed
from ecoloop.access.principal import Principal
from ecoloop.access.scope import ScopeRule, register, visible
from ecoloop.electricity.models import (
    CheckSettings,
    ElectricityFlag,
    Meter,
    MeterReading,
    ReadingImport,
    RefusedReading,
)
from ecoloop.enterprises.models import Enterprise


def _with_enterprise(column: InstrumentedAttribute[int]) -> ScopeRule:
    def rule(p: Principal) -> ColumnElement[bool]:
        return column.in_(select(Enterprise.id).where(visible(p, Enterprise)))

    return rule


def _readings(p: Principal) -> ColumnElement[bool]:
    return MeterReading.meter_id.in_(select(Meter.id).where(_with_enterprise(Meter.enterprise_id)(p)))


def _managers(p: Principal) -> ColumnElement[bool]:
    return true() if allowed(p, Action.MANAGE_ELECTRICITY) else false()


def _city(p: Principal) -> ColumnElement[bool]:
    return true()


register(Meter, _with_enterprise(Meter.enterprise_id))
register(MeterReading, _readings)
register(ElectricityFlag, _with_enterprise(ElectricityFlag.enterprise_id))
register(ReadingImport, _managers)
register(RefusedReading, _managers)
register(CheckSettings, _city)
