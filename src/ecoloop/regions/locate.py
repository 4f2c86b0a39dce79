"""Where a point is (issue 15): the deepest active region whose stored boundary holds it.

Boundaries are GeoJSON Polygon or MultiPolygon geometries in WGS-84, longitude first (`Region.boundary`). A
region without a boundary is unknown here, so a point is placed as deep as the boundaries reach: in a county when
its towns have none. A point on an edge counts as inside.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.regions.models import Region


def geometry_of(boundary: str) -> BaseGeometry:
    """The shapely geometry of a stored boundary (GeoJSON geometry text)."""
    return shape(json.loads(boundary))


@dataclass(frozen=True)
class Boundaries:
    """The known boundaries of the active regions, indexed for point look-ups (build once, ask many times)."""

    regions: Sequence[Region]
    tree: shapely.STRtree

    @classmethod
    def of(cls, regions: Sequence[Region]) -> Boundaries:
        """The boundaries of `regions` (those without one are left out)."""
        bounded = [r for r in regions if r.boundary]
        geometries = [geometry_of(r.boundary) for r in bounded if r.boundary]
        shapely.prepare(geometries)
        return cls(bounded, shapely.STRtree(geometries))

    def locate(self, longitude: float, latitude: float) -> Region | None:
        """The deepest region whose boundary covers the point (edges included), or None outside all of them.
        Where two regions of one level share the edge the point is on, the one with the lower code."""
        hits = self.tree.query(Point(longitude, latitude), predicate="covered_by")
        found = [self.regions[int(i)] for i in hits]
        return min(found, key=lambda r: (-r.level.depth, r.code), default=None)


def load_boundaries(session: Session) -> Boundaries:
    """The boundaries stored with the active regions."""
    regions = session.scalars(select(Region).where(Region.active.is_(True), Region.boundary.is_not(None)))
    return Boundaries.of(list(regions))


@dataclass(frozen=True)
class _Index:
    """The boundaries as a look-up that outlives a session: each region's id and rank (depth, code) and the tree."""

    ids: Sequence[int]
    ranks: Sequence[tuple[int, str]]
    tree: shapely.STRtree

    def locate(self, longitude: float, latitude: float) -> int | None:
        hits = self.tree.query(Point(longitude, latitude), predicate="covered_by")
        found = [int(i) for i in hits]
        return self.ids[min(found, key=lambda i: self.ranks[i])] if found else None


# The index per database, with the stamp of the boundaries it was built from: parsing every boundary for each point
# cost 8-15 ms of a complaint's 14-24 ms (bench/intake.py); a boundary changed, added or retired changes the stamp.
_INDEXES: dict[str, tuple[tuple[int, object], _Index]] = {}


def _index(session: Session) -> _Index:
    bounded = (Region.active.is_(True), Region.boundary.is_not(None))
    count, latest = session.execute(select(func.count(), func.max(Region.updated_at)).where(*bounded)).one()
    key = session.get_bind().engine.url.render_as_string(hide_password=False)
    stamp = (int(count), latest)
    cached = _INDEXES.get(key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    found = load_boundaries(session)
    index = _Index([r.id for r in found.regions], [(-r.level.depth, r.code) for r in found.regions], found.tree)
    _INDEXES[key] = (stamp, index)
    return index


def locate_point(session: Session, longitude: float, latitude: float) -> Region | None:
    """The deepest active region whose boundary holds the point (WGS-84), or None where no boundary does; the
    boundaries are parsed once per process and database until one of them changes."""
    region_id = _index(session).locate(longitude, latitude)
    return session.get(Region, region_id) if region_id is not None else None


def bounded_codes(session: Session) -> frozenset[str]:
    """The codes of the active regions whose boundaries are known (what `rules.location_disagrees` needs)."""
    stmt = select(Region.code).where(Region.active.is_(True), Region.boundary.is_not(None))
    return frozenset(session.scalars(stmt))
