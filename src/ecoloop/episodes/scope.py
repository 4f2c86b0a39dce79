"""Who sees which warnings (registered with `ecoloop.access.scope`).

Warnings are the city's business: every role that may view warnings sees every warning of the system, drafts
included (the bureau's staff, the branches, the departments, the hotline), so that a county knows what the city
prepares. An enterprise sees only the warnings issued (in force or lifted) whose area covers its place: the city's,
or its county's. The trigger rules are read by every role that sees warnings."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, literal, or_, select, true

from ecoloop.access.principal import Principal
from ecoloop.access.roles import Role
from ecoloop.access.scope import REGION_ROLES, register
from ecoloop.episodes.enums import WarningStatus
from ecoloop.episodes.models import (
    PollutionWarning,
    WarningArea,
    WarningChange,
    WarningDelivery,
    WarningNotice,
    WarningTriggerConfig,
)
from ecoloop.regions.models import Region

PUBLISHED = (WarningStatus.ISSUED, WarningStatus.LIFTED)


def _warnings(p: Principal) -> ColumnElement[bool]:
    if p.role is not Role.ENTERPRISE:
        return true()
    # A county covers the enterprise when the county's path is a prefix of the enterprise's region path.
    covering = select(WarningArea.warning_id).join(Region, Region.id == WarningArea.region_id)
    covering = covering.where(literal(p.region_path).startswith(Region.path))
    city = select(Region.id).where(literal(p.region_path).startswith(Region.path))
    return and_(
        PollutionWarning.status.in_(PUBLISHED),
        or_(
            and_(PollutionWarning.city_wide.is_(True), PollutionWarning.city_id.in_(city)),
            PollutionWarning.id.in_(covering),
        ),
    )


def _areas(p: Principal) -> ColumnElement[bool]:
    return WarningArea.warning_id.in_(select(PollutionWarning.id).where(_warnings(p)))


def _changes(p: Principal) -> ColumnElement[bool]:
    return WarningChange.warning_id.in_(select(PollutionWarning.id).where(_warnings(p)))


def _everyone(p: Principal) -> ColumnElement[bool]:
    return true()


register(PollutionWarning, _warnings)
register(WarningArea, _areas)
register(WarningChange, _changes)
register(WarningTriggerConfig, _everyone)


def _notices(p: Principal) -> ColumnElement[bool]:
    return WarningNotice.user_id == p.user_id


def _deliveries(p: Principal) -> ColumnElement[bool]:
    # The bureau's and the branches' staff who keep the webhooks read their delivery log.
    return true() if p.role in REGION_ROLES else false()


register(WarningNotice, _notices)
register(WarningDelivery, _deliveries)
