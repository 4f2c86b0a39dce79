"""Adding regions to the tree."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.rules import RegionCodeError, check_region_code, child_level


def add_region(session: Session, *, code: str, name: str, level: RegionLevel, parent: Region | None) -> Region:
    """Add a region under `parent` after checking its code against the level and the parent's code."""
    if parent is not None and child_level(parent.level) is not level:
        raise RegionCodeError(f"a {level} cannot sit under a {parent.level}")
    check_region_code(code, level, parent.code if parent else None)
    if session.scalar(select(Region.id).where(Region.code == code)) is not None:
        raise RegionCodeError(f"region code {code} exists already", "exists")
    region = Region(
        code=code,
        name=name.strip(),
        level=level,
        parent_id=parent.id if parent else None,
        path=(parent.path if parent else "") + code + ".",
    )
    session.add(region)
    session.flush()
    return region
