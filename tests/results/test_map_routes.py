"""The region maps as GeoJSON: a region's parts with name, code and id only, simplified; scoped for signed-in users
(a foreign region is not found); the city's counties for the public page; 304 for a client that has the map."""

from __future__ import annotations

import json

import httpx
import shapely
from shapely.geometry import shape
from sqlalchemy.orm import Session

from ecoloop.results.maps import TOLERANCE
from tests.factories import COUNTY_A_BOX, World, give_boundaries
from tests.web.helpers import open_session


def jagged_box(west: float, south: float, east: float, north: float, teeth: int = 400) -> str:
    """A box whose south edge has `teeth` bumps far smaller than the map's tolerance."""
    step = (east - west) / teeth
    south_edge = [[west + i * step, south + (TOLERANCE / 10 if i % 2 else 0)] for i in range(teeth + 1)]
    ring = [*south_edge, [east, north], [west, north], [west, south]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


async def test_a_region_map_holds_its_parts_with_name_code_and_id_only(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    give_boundaries(app_db, app_world)
    app_world.county_a.boundary = jagged_box(*COUNTY_A_BOX)
    app_db.commit()
    open_session(app_db, client, "analyst")

    response = await client.get(f"/maps/regions/{app_world.city.id}.geojson")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    found = response.json()
    assert found["type"] == "FeatureCollection"
    features = {f["properties"]["code"]: f for f in found["features"]}
    assert set(features) == {app_world.county_a.code, app_world.county_b.code}
    county_a = features[app_world.county_a.code]
    assert county_a["properties"] == {"name": "清源区", "code": "371802", "id": app_world.county_a.id}
    # Simplified: the bumps below the tolerance are gone, the outline stays.
    geometry = shape(county_a["geometry"])
    assert len(geometry.exterior.coords) < 20
    assert shapely.box(*COUNTY_A_BOX).symmetric_difference(geometry).area < 1e-4


async def test_a_branch_gets_its_county_map_and_no_other(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    give_boundaries(app_db, app_world)
    app_db.commit()
    open_session(app_db, client, "branch_a")

    own = await client.get(f"/maps/regions/{app_world.county_a.id}.geojson")
    city = await client.get(f"/maps/regions/{app_world.city.id}.geojson")
    other = await client.get(f"/maps/regions/{app_world.county_b.id}.geojson")

    assert own.status_code == 200
    assert [f["properties"]["code"] for f in own.json()["features"]] == [app_world.town_a.code]
    assert city.status_code == 404
    assert other.status_code == 404


async def test_a_region_without_parts_with_boundaries_shows_its_own(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    give_boundaries(app_db, app_world)  # town B has none
    app_db.commit()
    open_session(app_db, client, "analyst")

    response = await client.get(f"/maps/regions/{app_world.county_b.id}.geojson")

    assert [f["properties"]["code"] for f in response.json()["features"]] == [app_world.county_b.code]


async def test_the_map_is_answered_304_while_its_boundaries_are_unchanged(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    give_boundaries(app_db, app_world)
    app_db.commit()
    open_session(app_db, client, "analyst")
    url = f"/maps/regions/{app_world.city.id}.geojson"

    first = await client.get(url)
    again = await client.get(url, headers={"if-none-match": first.headers["etag"]})
    app_world.county_b.name = "临河区"
    app_db.commit()
    changed = await client.get(url, headers={"if-none-match": first.headers["etag"]})

    assert again.status_code == 304 and again.content == b""
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
    assert "临河区" in [f["properties"]["name"] for f in changed.json()["features"]]


async def test_the_public_map_is_the_citys_counties_without_signing_in(
    client: httpx.AsyncClient, app_db: Session, app_world: World
) -> None:
    give_boundaries(app_db, app_world)
    app_db.commit()

    response = await client.get("/public/map.geojson")
    signed_out = await client.get(f"/maps/regions/{app_world.city.id}.geojson")

    assert response.status_code == 200
    codes = [f["properties"]["code"] for f in response.json()["features"]]
    assert codes == [app_world.county_a.code, app_world.county_b.code]
    assert signed_out.status_code == 303  # the scoped map needs a signed-in user
