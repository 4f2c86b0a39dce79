"""Loading the demo city; idempotent, so `make demo` can run again without duplicating anything."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.enterprises.models import Enterprise
from ecoloop.enterprises.rules import credit_code_problem
from ecoloop.identity.enums import DepartmentType, OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.service import create_user
from ecoloop.monitoring.enums import SiteKind
from ecoloop.monitoring.models import Device, Site
from ecoloop.monitoring.service import add_device, add_site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.service import add_region

DEMO_PASSWORD = "Ecoloop-2026"


@dataclass
class DemoReport:
    """What a load added (zero everywhere on a second run) and the demo accounts."""

    added: dict[str, int] = field(
        default_factory=lambda: {
            "regions": 0,
            "organisations": 0,
            "enterprises": 0,
            "users": 0,
            "sites": 0,
            "devices": 0,
        }
    )
    accounts: list[tuple[str, str, Role]] = field(default_factory=list)


def demo_fixture() -> dict[str, Any]:
    """The demo city as shipped in `ecoloop/demo/city.json`."""
    text = (resources.files("ecoloop.demo") / "city.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def demo_readings_file() -> Path:
    """The Beijing multi-site hourly data (CC BY 4.0, see beijing/README.md) that the demo's air stations carry."""
    return Path(str(resources.files("ecoloop.demo") / "beijing" / "beijing_multisite_hourly.parquet"))


def load_demo(session: Session) -> DemoReport:
    """Add whatever of the demo city is missing, keyed by official codes and usernames, in one transaction."""
    set_actor(session, Actor(label="demo-loader"))
    data = demo_fixture()
    report = DemoReport()
    regions = {r.code: r for r in session.scalars(select(Region))}

    def region(code: str, name: str, level: RegionLevel, parent: Region | None) -> Region:
        if code not in regions:
            regions[code] = add_region(session, code=code, name=name, level=level, parent=parent)
            report.added["regions"] += 1
        return regions[code]

    city_data = data["city"]
    city = region(city_data["code"], city_data["name"], RegionLevel.CITY, None)
    for county_data in city_data["counties"]:
        county = region(county_data["code"], county_data["name"], RegionLevel.COUNTY, city)
        for town_data in county_data["towns"]:
            town = region(town_data["code"], town_data["name"], RegionLevel.TOWN, county)
            for village in town_data["villages"]:
                region(village["code"], village["name"], RegionLevel.VILLAGE, town)

    orgs = {o.code: o for o in session.scalars(select(Organisation))}
    for org in data["organisations"]:
        if org["code"] in orgs:
            continue
        parent = orgs.get(org.get("parent", ""))
        orgs[org["code"]] = Organisation(
            code=org["code"],
            name=org["name"],
            kind=OrgKind(org["kind"]),
            department_type=DepartmentType(org["department_type"]) if org.get("department_type") else None,
            region_id=regions[org["region"]].id,
            parent_id=parent.id if parent else None,
        )
        session.add(orgs[org["code"]])
        session.flush()
        report.added["organisations"] += 1

    enterprises = {e.credit_code: e for e in session.scalars(select(Enterprise))}
    for ent in data["enterprises"]:
        if ent["credit_code"] in enterprises:
            continue
        if problem := credit_code_problem(ent["credit_code"]):
            raise ValueError(f"demo enterprise {ent['credit_code']}: {problem}")
        enterprises[ent["credit_code"]] = Enterprise(
            credit_code=ent["credit_code"],
            name=ent["name"],
            industry_code=ent["industry_code"],
            address=ent["address"],
            region_id=regions[ent["region"]].id,
        )
        session.add(enterprises[ent["credit_code"]])
        session.flush()
        report.added["enterprises"] += 1

    # Air stations, and the enterprises' outlets (in the enterprise's region), each with its data logger, whose
    # MN and password `ecoloop simulate hj212` sends.
    sites = {s.code: s for s in session.scalars(select(Site))}
    regions_by_id = {r.id: r for r in regions.values()}
    devices = set(session.scalars(select(Device.mn)))
    for site in data.get("sites", []):
        added_site = sites.get(site["code"])
        if added_site is None:
            enterprise = enterprises[site["enterprise"]] if "enterprise" in site else None
            added_site = add_site(
                session,
                code=site["code"],
                name=site["name"],
                kind=SiteKind(site["kind"]),
                region=regions[site["region"]] if enterprise is None else regions_by_id[enterprise.region_id],
                enterprise_id=enterprise.id if enterprise else None,
            )
            if "level" in site:
                added_site.level = RegionLevel(site["level"])
            sites[site["code"]] = added_site
            report.added["sites"] += 1
        device = site.get("device")
        if device is not None and device["mn"] not in devices:
            add_device(session, mn=device["mn"], password=device["password"], site=added_site)
            devices.add(device["mn"])
            report.added["devices"] += 1

    existing = set(session.scalars(select(User.username)))
    for user in data["users"]:
        role = Role(user["role"])
        report.accounts.append((user["username"], DEMO_PASSWORD, role))
        if user["username"] in existing:
            continue
        create_user(
            session,
            username=user["username"],
            display_name=user["display_name"],
            password=DEMO_PASSWORD,
            role=role,
            organisation_id=orgs[user["organisation"]].id if "organisation" in user else None,
            enterprise_id=enterprises[user["enterprise"]].id if "enterprise" in user else None,
        )
        report.added["users"] += 1
    return report
