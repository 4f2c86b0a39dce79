"""Who sees which regions (registered with `ecoloop.access.scope`)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from ecoloop.access.principal import Principal
from ecoloop.access.scope import register
from ecoloop.regions.models import Region


def _regions(p: Principal) -> ColumnElement[bool]:
    # Regions are reference data: every role sees its own subtree (an enterprise its own area).
    return Region.path.startswith(p.region_path, autoescape=True)


register(Region, _regions)
