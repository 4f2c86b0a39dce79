"""Who sees which air-quality targets (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from ecoloop.access.principal import Principal
from ecoloop.access.scope import register
from ecoloop.regions.models import Region
from ecoloop.results.models import AirTarget


def _targets(p: Principal) -> ColumnElement[bool]:
    # The targets of the regions in the principal's area, as the regions themselves (reference data).
    return AirTarget.region_id.in_(select(Region.id).where(Region.path.startswith(p.region_path, autoescape=True)))


register(AirTarget, _targets)
