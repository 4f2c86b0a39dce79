"""The maps under the results: a region's parts (the counties of the city, the towns of a county) as a GeoJSON
FeatureCollection for ECharts (`static/charts.js` registers it under the stations), built from the stored
boundaries (`Region.boundary`, WGS-84).

A map is small (each boundary simplified to `TOLERANCE` degrees, coordinates rounded to `DECIMALS`) and carries
only each part's name, code and id. Its ETag is made from the parts' ids and update times, so that a client that
has it is answered 304 without any boundary being read; built maps are kept in memory by that tag.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import shapely
from shapely.geometry import mapping
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecoloop.access.principal import Principal
from ecoloop.access.scope import scoped
from ecoloop.regions.locate import geometry_of
from ecoloop.regions.models import Region

# About 100 m: far below what a city's or county's map on a screen can show, and a tenth of the points.
TOLERANCE = 0.001
DECIMALS = 5  # about 1 m
KEPT_MAPS = 64  # maps kept built, by ETag


@dataclass(frozen=True)
class RegionMap:
    """A map's ETag (quoted, as sent) and its GeoJSON text."""

    etag: str
    body: bytes


_BUILT: OrderedDict[str, bytes] = OrderedDict()


def map_etag(session: Session, principal: Principal | None, region: Region) -> str:
    """The ETag of `region`'s map: changes when a part is added, removed, renamed or gets a new boundary."""
    stmt = _parts(principal, region, Region.id, Region.updated_at)
    stamps = [(rid, _stamp(updated)) for rid, updated in session.execute(stmt)]
    if not stamps:
        stamps = [(region.id, _stamp(region.updated_at))]
    digest = hashlib.sha256(json.dumps([region.id, stamps]).encode()).hexdigest()[:32]
    return f'"{digest}"'


def has_map(session: Session, principal: Principal | None, region: Region) -> bool:
    """Whether `region` has a map: a boundary of its own or of a part the principal sees."""
    if region.boundary:
        return True
    return session.execute(_parts(principal, region, Region.id).limit(1)).first() is not None


def region_map(session: Session, principal: Principal | None, region: Region, etag: str | None = None) -> RegionMap:
    """The map of `region`: its parts the principal sees (all of them for the public page, `principal` None), or
    the region's own boundary when no part has one."""
    etag = etag or map_etag(session, principal, region)
    body = _BUILT.get(etag)
    if body is None:
        stmt = _parts(principal, region, Region.id, Region.code, Region.name, Region.boundary)
        rows: list[tuple[int, str, str, str | None]] = [tuple(row) for row in session.execute(stmt)]
        if not rows:
            rows = [(region.id, region.code, region.name, region.boundary)]
        features = [_feature(rid, code, name, boundary) for rid, code, name, boundary in rows]
        collection = {"type": "FeatureCollection", "features": [f for f in features if f is not None]}
        body = json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode()
        _BUILT[etag] = body
        while len(_BUILT) > KEPT_MAPS:
            _BUILT.popitem(last=False)
    return RegionMap(etag, body)


def _parts(principal: Principal | None, region: Region, *columns: Any) -> Select[Any]:
    stmt = (
        select(*columns)
        .where(Region.parent_id == region.id, Region.active.is_(True), Region.boundary.is_not(None))
        .order_by(Region.code)
    )
    return stmt if principal is None else scoped(stmt, principal, Region)


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _feature(region_id: int, code: str, name: str, boundary: str | None) -> dict[str, Any] | None:
    if not boundary:
        return None
    simplified = shapely.simplify(geometry_of(boundary), TOLERANCE, preserve_topology=True)
    geometry = shapely.transform(simplified, lambda xy: xy.round(DECIMALS))
    if geometry.is_empty:
        return None
    return {
        "type": "Feature",
        "properties": {"name": name, "code": code, "id": region_id},
        "geometry": mapping(geometry),
    }
