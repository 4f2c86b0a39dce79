"""The demo city's places and monitoring network: region boundaries (`boundaries.geojson`) and the stations and
outlets of `city.json`, each with its data logger.

Both files are generated once by `scripts/demo_geography.py` and committed: the city 清源市 is invented, its
county seats lie in the North China plain. The network: 国控 city stations and 县控 county stations (replaying
the Beijing stations), three town stations per county, village micro-stations in 临河县, automatic water stations
on the rivers 清河 (target class II) and 沙河 (III), and noise points in GB 3096 function zones.
"""

from __future__ import annotations

import json
from decimal import Decimal
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.enterprises.models import Enterprise
from ecoloop.monitoring.enums import NoiseZone, SiteKind, StationLevel
from ecoloop.monitoring.models import Device, Site
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region

COORDINATE = Decimal("0.000001")


def demo_boundaries() -> dict[str, str]:
    """Region code → its boundary as GeoJSON geometry text (WGS-84), from the committed `boundaries.geojson`."""
    text = (resources.files("ecoloop.demo") / "boundaries.geojson").read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    return {f["properties"]["code"]: json.dumps(f["geometry"], separators=(",", ":")) for f in features}


def set_boundaries(regions: dict[str, Region]) -> None:
    """Give the demo regions their committed boundaries where they have none (an operator's boundary stays)."""
    for code, geometry in demo_boundaries().items():
        region = regions.get(code)
        if region is not None and region.boundary is None:
            region.boundary = geometry


def add_sites(
    session: Session,
    data: dict[str, Any],
    regions: dict[str, Region],
    enterprises: dict[str, Enterprise],
) -> tuple[dict[str, Site], int, int]:
    """Add the fixture's stations and outlets that are missing, each with its data logger, keyed by site code and
    MN; a station loaded before its place was known gets its coordinates and classes (nothing an operator set is
    changed). Returns the sites by code and how many sites and devices were added."""
    sites = {s.code: s for s in session.scalars(select(Site))}
    regions_by_id = {r.id: r for r in regions.values()}
    devices = set(session.scalars(select(Device.mn)))
    added_sites = added_devices = 0
    for plan in data.get("sites", []):
        site = sites.get(plan["code"])
        if site is None:
            enterprise = enterprises[plan["enterprise"]] if "enterprise" in plan else None
            site = add_site(
                session,
                code=plan["code"],
                name=plan["name"],
                kind=SiteKind(plan["kind"]),
                region=regions[plan["region"]] if enterprise is None else regions_by_id[enterprise.region_id],
                enterprise_id=enterprise.id if enterprise else None,
            )
            if "level" in plan:
                site.level = RegionLevel(plan["level"])
            sites[plan["code"]] = site
            added_sites += 1
        _place(site, plan)
        device = plan.get("device")
        if device is not None and device["mn"] not in devices:
            add_device(session, mn=device["mn"], password=device["password"], site=site)
            devices.add(device["mn"])
            added_devices += 1
    return sites, added_sites, added_devices


def _place(site: Site, plan: dict[str, Any]) -> None:
    """Fill what the plan knows of a station and the site lacks: coordinates, station level, water target, zone."""
    if site.longitude is None and site.latitude is None and "lon" in plan:
        site.longitude = Decimal(str(plan["lon"])).quantize(COORDINATE)
        site.latitude = Decimal(str(plan["lat"])).quantize(COORDINATE)
    if site.station_level is None and "station_level" in plan:
        site.station_level = StationLevel(plan["station_level"])
        site.level = RegionLevel(plan["level"])
    if site.water_target is None and "water_target" in plan:
        site.water_target = plan["water_target"]
    if site.noise_zone is None and "noise_zone" in plan:
        site.noise_zone = NoiseZone(plan["noise_zone"])
