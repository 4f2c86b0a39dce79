"""The region maps as GeoJSON: a region's parts for the overview screen (scoped: a branch gets its county's towns,
another region is not found) and the city's counties for the public page (public information)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecoloop.access.actions import Action
from ecoloop.access.principal import Principal
from ecoloop.db.base import RowId
from ecoloop.regions.models import Region
from ecoloop.regions.queries import get_region
from ecoloop.results.maps import map_etag, region_map
from ecoloop.results.queries import public_region
from ecoloop.web.deps import CurrentUser, DbSession, requires

router = APIRouter()
GEOJSON = "application/geo+json"
PUBLIC_MAP = "/public/map.geojson"


def map_url(region_id: int) -> str:
    """The address of a region's map for a signed-in user."""
    return f"/maps/regions/{region_id}.geojson"


@router.get("/maps/regions/{region_id:id}.geojson", include_in_schema=False)
def region_geojson(
    request: Request,
    region_id: RowId,
    db: DbSession,
    user: Annotated[CurrentUser, Depends(requires(Action.VIEW_QUALITY))],
) -> Response:
    """The boundaries of a region's parts the user sees (FeatureCollection: name, code and id of each)."""
    region = get_region(db, user.principal, region_id)
    if region is None:
        raise HTTPException(404)
    return _answer(request, db, user.principal, region)


@router.get(PUBLIC_MAP, include_in_schema=False)
def public_geojson(request: Request, db: DbSession) -> Response:
    """The boundaries of the city's counties, for the public page (no sign-in)."""
    region = public_region(db)
    if region is None:
        raise HTTPException(404)
    return _answer(request, db, None, region)


def _answer(request: Request, db: Session, principal: Principal | None, region: Region) -> Response:
    etag = map_etag(db, principal, region)
    if etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers={"ETag": etag})
    found = region_map(db, principal, region, etag)
    return Response(found.body, media_type=GEOJSON, headers={"ETag": found.etag})


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}
