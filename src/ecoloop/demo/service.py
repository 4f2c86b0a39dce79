"""Loading the demo city; idempotent, so `make demo` can run again without duplicating anything."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecoloop.audit.service import Actor, set_actor
from ecoloop.demo.alerts import add_demo_alerts
from ecoloop.demo.case_loading import add_demo_cases
from ecoloop.demo.enterprises import EnterpriseFiles, EnterprisePlan, PermitPlan, plan_enterprise_files
from ecoloop.demo.industries import LimitPlan
from ecoloop.demo.network import add_sites, set_boundaries
from ecoloop.demo.targets import add_demo_targets
from ecoloop.enterprises.models import (
    Enterprise,
    GradeRecord,
    ListMembership,
    Outlet,
    OutletLimit,
    Permit,
    SupervisionList,
)
from ecoloop.enterprises.rules import credit_code_problem, industry_code_problem
from ecoloop.identity.enums import DepartmentType, OrgKind, Role
from ecoloop.identity.models import Organisation, User
from ecoloop.identity.service import create_user
from ecoloop.monitoring.location import locate_sites
from ecoloop.monitoring.models import Site
from ecoloop.regions.enums import RegionLevel
from ecoloop.regions.models import Region
from ecoloop.regions.service import add_region
from ecoloop.standards.emission import LimitSpec

DEMO_PASSWORD = "Ecoloop-2026"
PERMIT_ISSUER = "清源市生态环境局"


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
            "permits": 0,
            "memberships": 0,
            "grades": 0,
            "cases": 0,
            "batches": 0,
            "alerts": 0,
            "targets": 0,
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


def load_demo(session: Session, *, now: datetime | None = None, storage: Path | None = None) -> DemoReport:
    """Add whatever of the demo city is missing, keyed by official codes and usernames, in one transaction; then,
    unless they are there already, the demo cases worked over the months before `now` (default: the clock), their
    evidence files stored under `storage` (none without it)."""
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
    set_boundaries(regions)

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

    # The fixture's enterprises with the plan's details (coordinates, contact); the generated ones come later.
    files = plan_enterprise_files(data)
    enterprises = {e.credit_code: e for e in session.scalars(select(Enterprise))}
    for ent in data["enterprises"]:
        if ent["credit_code"] in enterprises:
            continue
        enterprises[ent["credit_code"]] = _enterprise(files.details[ent["credit_code"]], regions)
        session.add(enterprises[ent["credit_code"]])
        session.flush()
        report.added["enterprises"] += 1

    # Stations and the enterprises' outlets (in the enterprise's region), each with its data logger, whose MN and
    # password `ecoloop simulate hj212` sends.
    sites, report.added["sites"], report.added["devices"] = add_sites(session, data, regions, enterprises)
    locate_sites(session)  # each site's town and county by the committed boundaries

    for key, count in _add_enterprise_files(session, files, regions, enterprises, sites).items():
        report.added[key] += count

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

    added = add_demo_cases(session, data, files, now=now or datetime.now(UTC), storage=storage)
    report.added["cases"], report.added["batches"] = added["cases"], added["batches"]
    report.added["alerts"] = add_demo_alerts(session, now or datetime.now(UTC))
    report.added["targets"] = add_demo_targets(session, (now or datetime.now(UTC)).date())
    return report


def _add_enterprise_files(
    session: Session,
    plan: EnterpriseFiles,
    regions: dict[str, Region],
    enterprises: dict[str, Enterprise],
    sites: dict[str, Site],
) -> dict[str, int]:
    """Add what of the enterprise-file plan is missing, keyed by credit code, permit number, (list, enterprise, start)
    and (enterprise, start), in a few bulk flushes; `enterprises` gains the ones added. Returns the counts added."""
    added = {"enterprises": 0, "permits": 0, "memberships": 0, "grades": 0}
    new = [_enterprise(p, regions) for p in plan.enterprises if p.credit_code not in enterprises]
    for p in plan.enterprises:
        if industry_code_problem(p.industry_code):
            raise ValueError(f"demo enterprise {p.credit_code}: industry code {p.industry_code!r}")
    session.add_all(new)
    session.flush()
    enterprises.update((e.credit_code, e) for e in new)
    added["enterprises"] = len(new)

    numbers = set(session.scalars(select(Permit.number)))
    permits = [_permit_row(p, enterprises, sites) for p in plan.permits if p.number not in numbers]
    session.add_all(permits)
    added["permits"] = len(permits)

    lists = {s.code: s.id for s in session.scalars(select(SupervisionList))}
    have = {
        tuple(r)
        for r in session.execute(select(ListMembership.list_id, ListMembership.enterprise_id, ListMembership.start))
    }
    memberships = [
        ListMembership(
            list_id=lists[m.list_code],
            enterprise_id=enterprises[m.credit_code].id,
            start=m.start,
            end=m.end,
            reason=m.reason,
            document=m.document,
        )
        for m in plan.memberships
        if (lists[m.list_code], enterprises[m.credit_code].id, m.start) not in have
    ]
    session.add_all(memberships)
    added["memberships"] = len(memberships)

    graded = {tuple(r) for r in session.execute(select(GradeRecord.enterprise_id, GradeRecord.start))}
    grades = [
        GradeRecord(
            enterprise_id=enterprises[g.credit_code].id, grade=g.grade, start=g.start, end=g.end, document=g.document
        )
        for g in plan.grades
        if (enterprises[g.credit_code].id, g.start) not in graded
    ]
    session.add_all(grades)
    added["grades"] = len(grades)
    session.flush()
    return added


def _enterprise(p: EnterprisePlan, regions: dict[str, Region]) -> Enterprise:
    if problem := credit_code_problem(p.credit_code):
        raise ValueError(f"demo enterprise {p.credit_code}: {problem}")
    return Enterprise(
        credit_code=p.credit_code,
        name=p.name,
        industry_code=p.industry_code,
        address=p.address,
        region_id=regions[p.region_code].id,
        status=p.status,
        longitude=p.longitude,
        latitude=p.latitude,
        contact_name=p.contact_name,
        contact_phone=p.contact_phone,
    )


def _permit_row(p: PermitPlan, enterprises: dict[str, Enterprise], sites: dict[str, Site]) -> Permit:
    enterprise = enterprises[p.credit_code]
    outlets = []
    for o in p.outlets:
        site = sites.get(o.site_code) if o.site_code else None
        if site is not None and site.enterprise_id != enterprise.id:
            raise ValueError(f"site {site.code} is not {p.credit_code}'s")
        outlets.append(
            Outlet(code=o.code, name=o.name, kind=o.kind, site_id=site.id if site else None, limits=_limits(o.limits))
        )
    return Permit(
        enterprise_id=enterprise.id,
        number=p.number,
        permit_class=p.permit_class,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
        issued_by=PERMIT_ISSUER,
        outlets=outlets,
    )


def _limits(limits: tuple[LimitPlan, ...]) -> list[OutletLimit]:
    rows = []
    for lim in limits:
        LimitSpec(
            pollutant=lim.pollutant,
            limit=lim.value,
            unit=lim.unit,
            averaging=lim.averaging.value,
            source=lim.source,
            reference_o2=lim.reference_o2,
        )  # raises on a limit the service would reject
        rows.append(
            OutletLimit(
                pollutant=lim.pollutant,
                limit_value=lim.value,
                unit=lim.unit,
                averaging=lim.averaging,
                reference_o2=lim.reference_o2,
                source=lim.source,
            )
        )
    return rows
