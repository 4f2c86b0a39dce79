"""The demo city's places and network: boundaries for every region, every station inside its region, a network
with city, county, town and village air stations, water stations with targets II and III and noise points in
acoustic zones, and the planted hotspot among enough neighbours."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources

from shapely import Point
from shapely.geometry import shape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecoloop.alerts.evaluate import SiteInfo, neighbours
from ecoloop.alerts.rules import HotspotThresholds
from ecoloop.audit.service import Actor, set_actor
from ecoloop.demo.network import demo_boundaries
from ecoloop.demo.service import demo_fixture, load_demo
from ecoloop.identity.models import User
from ecoloop.identity.service import principal_for
from ecoloop.monitoring.enums import NoiseZone, SiteKind, StationLevel
from ecoloop.monitoring.location import location_mismatches
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

HOTSPOT = "air-371802101000"


def test_the_boundaries_file_is_small_and_names_every_region() -> None:
    text = (resources.files("ecoloop.demo") / "boundaries.geojson").read_text(encoding="utf-8")
    assert len(text.encode()) < 100_000
    collection = json.loads(text)
    assert collection["type"] == "FeatureCollection"
    city = demo_fixture()["city"]
    codes = {city["code"]} | {
        code
        for county in city["counties"]
        for code in [county["code"]]
        + [t["code"] for t in county["towns"]]
        + [v["code"] for t in county["towns"] for v in t["villages"]]
    }
    assert sorted(f["properties"]["code"] for f in collection["features"]) == sorted(codes)
    for feature in collection["features"]:
        geometry = shape(feature["geometry"])
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon") and geometry.is_valid
        assert 115 < geometry.centroid.x < 119 and 35 < geometry.centroid.y < 38  # the North China plain
        numbers = json.dumps(feature["geometry"]["coordinates"]).replace("[", "").replace("]", "").split(",")
        assert all(len(n.strip().partition(".")[2]) <= 5 for n in numbers)


def test_every_region_has_its_boundary_and_every_station_lies_inside_its_region(db: Session) -> None:
    load_demo(db)
    db.flush()
    regions = {r.id: r for r in db.scalars(select(Region))}
    assert all(r.boundary for r in regions.values()) and len(demo_boundaries()) == len(regions)
    for region in regions.values():
        if region.parent_id is not None:
            inner = shape(json.loads(region.boundary or ""))
            assert shape(json.loads(regions[region.parent_id].boundary or "")).buffer(1e-4).contains(inner)
    stations = list(db.scalars(select(Site).where(Site.enterprise_id.is_(None))))
    assert len(stations) == 58
    for site in stations:
        assert site.longitude is not None and site.latitude is not None, site.code
        assert shape(json.loads(site.region.boundary or "")).contains(
            Point(float(site.longitude), float(site.latitude))
        ), site.code


def test_the_network_is_realistic(db: Session) -> None:
    load_demo(db)
    db.flush()
    sites = list(db.scalars(select(Site).where(Site.enterprise_id.is_(None))))
    regions = {r.id: r for r in db.scalars(select(Region))}
    air = [s for s in sites if s.kind is SiteKind.AIR_STATION]
    national = [s for s in air if s.station_level is StationLevel.NATIONAL]
    assert len(national) >= 5 and all(s.level is RegionLevel.CITY for s in national)
    counties = [r for r in regions.values() if r.level is RegionLevel.COUNTY]
    towns_stations = [s for s in air if s.station_level is StationLevel.TOWN]
    assert all(s.level is RegionLevel.TOWN and s.region.level is RegionLevel.TOWN for s in towns_stations)
    per_county = Counter(regions[s.region.parent_id or 0].code for s in towns_stations)
    assert set(per_county) == {c.code for c in counties} and min(per_county.values()) >= 3
    villages = [s for s in air if s.station_level is StationLevel.VILLAGE]
    assert len(villages) >= 5 and all(s.level is RegionLevel.VILLAGE for s in villages)
    assert len({s.region.code[:6] for s in villages}) == 1  # micro-stations in one county
    water = [s for s in sites if s.kind is SiteKind.WATER_STATION]
    assert Counter(s.water_target for s in water) == {"II": 3, "III": 3}
    noise = [s for s in sites if s.kind is SiteKind.NOISE]
    assert noise and all(s.noise_zone is not None for s in noise)
    assert {NoiseZone.CLASS_1, NoiseZone.CLASS_2} <= {s.noise_zone for s in noise}
    every = list(db.scalars(select(Site)))
    assert all(s.station_level is None and s.longitude is None for s in every if s.enterprise_id is not None)
    # The planted hotspot has enough neighbours within the hotspot rule's radius.
    infos = [
        SiteInfo(
            id=s.id,
            kind=s.kind,
            region_id=s.region_id,
            region_path=s.region.path,
            enterprise_id=None,
            lon=float(s.longitude or 0),
            lat=float(s.latitude or 0),
        )
        for s in air
    ]
    near = neighbours(infos, HotspotThresholds().radius_km)
    hotspot = next(s for s in air if s.code == HOTSPOT)
    assert len(near[hotspot.id]) >= HotspotThresholds().min_neighbours
    # Every town and county station can be judged by the hotspot rule: enough neighbours within its radius.
    judged = [s for s in air if s.station_level in (StationLevel.TOWN, StationLevel.COUNTY)]
    assert all(len(near[s.id]) >= HotspotThresholds().min_neighbours for s in judged)
    replay = next(p["replay"] for p in demo_fixture()["sites"] if p["code"] == HOTSPOT)
    assert replay["boost"] == 2.5


def test_a_station_loaded_before_its_place_was_known_gets_it(db: Session) -> None:
    load_demo(db)
    db.flush()
    site = db.scalars(select(Site).where(Site.code == "bj-dongsi")).one()
    site.longitude = site.latitude = site.station_level = None
    county = db.scalars(select(Region).where(Region.code == "371802")).one()
    county.boundary = None
    db.flush()
    report = load_demo(db)
    db.flush()
    assert set(report.added.values()) == {0}
    assert site.longitude is not None and site.longitude > Decimal(116) and site.station_level is StationLevel.NATIONAL
    assert county.boundary is not None
    assert db.scalar(select(func.count()).select_from(Region).where(Region.boundary.is_(None))) == 0


def test_every_demo_station_is_placed_in_its_own_region_by_the_boundaries(db: Session) -> None:
    """Issue 15 part 3 on the demo: each station's coordinates put it in its stated region, none is flagged."""
    set_actor(db, Actor(label="test"))
    load_demo(db, now=datetime(2026, 12, 1, tzinfo=UTC))
    stations = list(db.scalars(select(Site).where(Site.longitude.is_not(None))))
    assert stations and all(site.located_region_id is not None for site in stations)
    admin = db.scalars(select(User).where(User.username == "admin")).one()
    assert location_mismatches(db, principal_for(admin, db)) == []
