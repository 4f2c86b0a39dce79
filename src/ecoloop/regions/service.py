"""Adding regions to the tree, renaming and retiring them."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.rules import RegionCodeError, check_region_code, child_level


def add_region(session: Session, *, code: str, name: str, level: RegionLevel, parent: Region | None) -> Region:
    """Add a region under `parent` after checking its code against the level and the parent's code."""
    if parent is not None and child_level(parent.level) is not level:
        raise RegionCodeError(f"a {level} cannot sit under a {parent.level}")
    check_region_code(code, level, parent.code if parent else None)
    if parent is not None and not parent.active:
        raise RegionCodeError(f"region {parent.code} is retired", "retired")
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


class RegionRetireError(ValueError):
    """A region that cannot be retired or brought back; `reason` says why: `children` (it has active regions
    below it), `parent` (the region above it is retired) or the key of a registered holder; `count` how many."""

    def __init__(self, reason: str, count: int = 0) -> None:
        super().__init__(f"{reason}: {count}")
        self.reason = reason
        self.count = count


# What other capabilities keep in a region (monitoring's active sites), registered by the composition
# (`ecoloop.app`): key → (message with %(count)s, count of the active records registered in the region itself).
RegionHolder = Callable[[Session, Region], int]
HOLDERS: dict[str, tuple[str, RegionHolder]] = {}


def register_holder(key: str, message: str, count: RegionHolder) -> None:
    """Keep a region from being retired while `count(session, region)` active records of another capability are
    registered in it; `message` (a catalog message with %(count)s) says what they are."""
    HOLDERS[key] = (message, count)


# What places things in regions by the boundaries (monitoring's sites), registered by the composition (`ecoloop.app`
# and the boundary import command): regions do not know them. Each returns how many records it moved.
Locator = Callable[[Session], int]
LOCATORS: dict[str, Locator] = {}


def register_locator(key: str, locate: Locator) -> None:
    """Run `locate(session)` whenever the known boundaries change (a key registered again is replaced)."""
    LOCATORS[key] = locate


def relocate(session: Session) -> int:
    """Place everything located by the boundaries again; how many records moved."""
    return sum(locate(session) for locate in LOCATORS.values())


def rename_region(session: Session, region: Region, name: str) -> None:
    """Give a region a new name (its code stays: the code is what identifies it)."""
    name = name.strip()
    if not name:
        raise ValueError("a region needs a name")
    region.name = name[:100]
    session.flush()


def retire_region(session: Session, region: Region) -> None:
    """Retire a region (撤销, or merged into another): it stays on the records that name it but is offered for
    no new one and places no point (what it held is placed again). Its active regions below, and the active records
    that other capabilities keep in it, are moved or retired first."""
    children = session.scalar(
        select(func.count(Region.id)).where(Region.parent_id == region.id, Region.active.is_(True))
    )
    if children:
        raise RegionRetireError("children", children)
    for key, (_message, count) in HOLDERS.items():
        held = count(session, region)
        if held:
            raise RegionRetireError(key, held)
    region.active = False
    session.flush()
    if region.boundary is not None:
        relocate(session)


def restore_region(session: Session, region: Region) -> None:
    """Bring a retired region back; the region above it must be active. With a boundary, it places points again."""
    if region.parent is not None and not region.parent.active:
        raise RegionRetireError("parent")
    region.active = True
    session.flush()
    if region.boundary is not None:
        relocate(session)
